/**
 * nn.functional: activations, linear, dropout, embedding, normalization and the losses, as compositions of ops;
 * convolution and pooling re-exported from lib/ops.
 */
import type { Tensor } from '../tensor';
import { emptyTensor, outputTensor } from '../tensor';
import * as ops from '../ops/pointwise';
import { where } from '../ops/elementwise';
import type { Generator } from '../random';
import { record } from '../autograd/record';
import { recordOnInput } from '../autograd/backward_node';
import { noGrad } from '../autograd/grad_mode';
import { logsigmoid as logSigmoid } from './functional_layers';
import { inplaceResult } from './inplace';
import { addmm, matmul } from '../ops/linalg';
import { geluActivation, siluActivation, softplusActivation } from '../ops/activation';
import { indexAdd, indexSelect, scatterAdd } from '../ops/indexing';
import { broadcastShapes, shapeStr } from '../shape';
import { checkBool, checkInt, checkNumber, checkOptions, checkPaddingIdx, checkShape, checkTensor, describe } from '../validate';
import { info, isFloating, notImplemented } from '../dtype';
import { classLossOf, layerNormOf } from '../ops/fused';
import { dropoutProduct } from '../ops/dropout';
import type { ClassLossOptions } from '../ops/fused';

/** How a loss reduces its per-element values: 'mean' (the default), 'sum', or 'none' (unreduced). | */
export type Reduction = 'none' | 'mean' | 'sum';
export { conv1d, conv2d, convTranspose2d, pad } from '../ops/conv';
export { maxPool1d, maxPool2d, avgPool1d, avgPool2d, adaptiveAvgPool2d, adaptiveMaxPool2d } from '../ops/pool';
export { oneHot } from '../ops/scatter';
export * from './functional_losses';
export * from './functional_attention';

// ---- activations ---------------------------------------------------------------------------------------------

/** The composite activations take floating tensors only, as PyTorch's kernels (its error names the kernel). */
function floatingOnly(op: string, kernel: string, x: Tensor): Tensor {
  checkTensor(op, 'input', x);
  if (!isFloating(x.dtype)) throw notImplemented(op, kernel, x.dtype);
  return x;
}

/** max(x, 0) elementwise, as F.relu (inplace: see lib/nn/inplace.ts). @example F.relu(torch.tensor([-1, 2])) // [0, 2] */
export const relu = (x: Tensor, inplace = false): Tensor => (checkTensor('relu', 'input', x), inplaceResult('relu', x, ops.relu(x), inplace));
/** 1 / (1 + exp(-x)) elementwise, as F.sigmoid. @example F.sigmoid(torch.tensor([0])) // [0.5] */
export const sigmoid = (x: Tensor): Tensor => (checkTensor('sigmoid', 'input', x), ops.sigmoid(x));
/** The hyperbolic tangent elementwise, as F.tanh. @example F.tanh(torch.tensor([0])) // [0] */
export const tanh = (x: Tensor): Tensor => (checkTensor('tanh', 'input', x), ops.tanh(x));
/**
 * x for x > 0, else negativeSlope * x (default 0.01), as F.leaky_relu.
 * @example F.leakyRelu(torch.tensor([-1, 2]), 0.2) // [-0.2, 2]
 */
export const leakyRelu = (x: Tensor, negativeSlope = 0.01, inplace = false): Tensor =>
  (checkTensor('leakyRelu', 'input', x), inplaceResult('leakyRelu', x, ops.leakyRelu(x, negativeSlope), inplace));
/**
 * x > 0 ? x : alpha * (exp(x) - 1), as one node with PyTorch's elu_backward (g for x > 0, g alpha exp(x) for x <= 0),
 * itself a node differentiated as derivatives.yaml does. The exponential branch sees 0 where it is not picked: exp of
 * a large x is inf.
 * @example F.elu(torch.tensor([-1, 1])) // [-0.6321, 1]
 */
export function elu(x: Tensor, alpha = 1, inplace = false): Tensor {
  floatingOnly('elu', 'elu_cpu', x);
  checkNumber('elu', 'alpha', alpha);
  const out = noGrad(() => {
    const neg = x.le(0);
    // exp - 1 as PyTorch's kernel computes it (not expm1): +0 at -0.
    return where(neg, where(neg, x, 0).exp().sub(1).mul(alpha), x);
  });
  return inplaceResult('elu', x, record('EluBackward0', out, [x], (g) => [eluBackward(g, x, alpha)]), inplace);
}

/**
 * elu's gradient as one node (EluBackwardBackward0): linear in g, and for x PyTorch's elu_double_backward,
 * elu_backward(gg g, x) * (x < 0): zero at x = 0 although the first order takes the exponential branch there, and
 * NaN where x >= 0 meets an infinite or NaN gg g (the mask multiplies).
 */
function eluBackward(g: Tensor, x: Tensor, alpha: number): Tensor {
  const out = noGrad(() => {
    const neg = x.le(0);
    return where(neg, g.mul(where(neg, x, 0).exp().mul(alpha)), g);
  });
  return record('EluBackwardBackward0', out, [g, x], (gg, needs) => [
    needs[0] ? eluBackward(gg, x, alpha) : null,
    needs[1] ? eluBackward(gg.mul(g), x, alpha).mul(x.lt(0).to(gg.dtype)) : null,
  ]);
}
/**
 * x * sigmoid(x), one native kernel forward and PyTorch's silu_backward kernel backward.
 * @example F.silu(torch.tensor([0, 1])) // [0, 0.7311]
 */
export const silu = (x: Tensor, inplace = false): Tensor => inplaceResult('silu', x, siluActivation(floatingOnly('silu', 'silu_cpu', x)), inplace);
/**
 * GELU, exact (erf) or with PyTorch's tanh approximation, as one native kernel and one node whose gradient is PyTorch's
 * gelu_backward kernel (g (cdf + x pdf), so x = 0 with an infinite g gives inf, not the composite's inf * 0), itself a
 * node with FunctionsManual's gelu_double_backward.
 * @example F.gelu(torch.tensor([0, 1]), 'tanh') // [0, 0.8412]
 */
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  floatingOnly('gelu', 'GeluKernelImpl', x);
  if (approximate !== 'none' && approximate !== 'tanh') throw new RangeError(`gelu: approximate must be 'none' or 'tanh', but received ${describe(approximate)}`);
  return geluActivation(x, approximate === 'tanh');
}
/**
 * log(1 + exp(beta x)) / beta, linear above threshold, as torch.nn.functional.softplus: one native kernel forward and
 * PyTorch's softplus_backward kernel backward.
 * @example F.softplus(torch.tensor([0])) // [0.6931]
 */
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  floatingOnly('softplus', 'softplus_cpu', x);
  checkNumber('softplus', 'beta', beta);
  checkNumber('softplus', 'threshold', threshold);
  return softplusActivation(x, beta, threshold);
}
/** exp(x) / sum(exp(x)) along dim, as F.softmax. @example F.softmax(torch.tensor([[1, 1]]), 1) // [[0.5, 0.5]] */
export const softmax = (x: Tensor, dim: number): Tensor => (checkTensor('softmax', 'input', x), x.softmax(dim));
/**
 * log(softmax(x)) along dim, computed stably, as F.log_softmax.
 * @example F.logSoftmax(torch.tensor([[1, 1]]), 1) // [[-0.6931, -0.6931]]
 */
export const logSoftmax = (x: Tensor, dim: number): Tensor => (checkTensor('logSoftmax', 'input', x), x.logSoftmax(dim));

// ---- layers as functions -------------------------------------------------------------------------------------

/**
 * x @ weight^T + bias, as torch.nn.functional.linear (addmm for 2-D input with bias, like PyTorch).
 * @throws RangeError naming both shapes when in_features differ
 * @example F.linear(torch.ones(2, 3), torch.ones(4, 3), torch.zeros(4)).shape // [2, 4]
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  checkTensor('linear', 'input', x);
  checkTensor('linear', 'weight', weight);
  if (x.shape[x.dim() - 1] !== weight.shape[weight.dim() - 1]) {
    throw new RangeError(
      `linear: mat1 and mat2 shapes cannot be multiplied (input ${shapeStr(x.shape)}, weight ${shapeStr(weight.shape)})`,
    );
  }
  if (x.dim() === 2 && bias) return addmm(bias, x, weight.t());
  const out = matmul(x, weight.t());
  return bias ? out.add(bias) : out;
}

/**
 * dropout's p (a number in [0, 1], PyTorch's message), training flag and options object.
 * @throws TypeError for a p that is not a number, a training that is not a boolean or options that are not an object
 */
function dropoutArgs(op: string, x: Tensor, p: unknown, training: unknown, options: unknown): { p: number; training: boolean; options: { generator?: Generator } } {
  const prob = checkNumber(op, 'p', p);
  if (!(prob >= 0 && prob <= 1)) throw new RangeError(`${op}: dropout probability has to be between 0 and 1, but got ${prob}`);
  const train = checkBool(op, 'training', training, true);
  // PyTorch multiplies by a float mask in place, in training only.
  if (train && !isFloating(x.dtype)) throw new TypeError(`${op}: result type Float can't be cast to the desired output type ${info(x.dtype).scalarType}`);
  return { p: prob, training: train, options: checkOptions(op, options as { generator?: Generator } | undefined) };
}

/**
 * Zeroes elements with probability p during training and scales the rest by 1/(1-p), from the seeded generator.
 * @example F.dropout(torch.ones(4), 0.5) // each element 0 or 2
 */
export function dropout(x: Tensor, p = 0.5, training = true, options: { generator?: Generator } = {}): Tensor {
  checkTensor('dropout', 'input', x);
  ({ p, training, options } = dropoutArgs('dropout', x, p, training, options));
  if (!training || p === 0) return x;
  if (p === 1) return x.mul(0);
  // PyTorch: noise = empty_like(x).bernoulli_(1 - p); noise.div_(1 - p); x * noise
  return dropoutProduct(x, p, options);
}

/**
 * Zeroes whole channels with probability p in training (one draw per [N, C]), scaling the rest by 1/(1-p).
 * @example F.dropout2d(torch.ones(1, 4, 2, 2), 0.5) // whole channels zeroed, the rest doubled
 */
export function dropout2d(input: Tensor, p = 0.5, training = true, options: { generator?: Generator } = {}): Tensor {
  checkTensor('dropout2d', 'input', input);
  ({ p, training, options } = dropoutArgs('dropout2d', input, p, training, options));
  // PyTorch warns and guesses for other ranks; torchlet takes the two it documents.
  if (input.dim() !== 3 && input.dim() !== 4) {
    throw new RangeError(`dropout2d: expected a 3-D (unbatched) or 4-D (batched) input but received ${describe(input)}`);
  }
  if (!training || p === 0) return input;
  const batched = input.dim() === 4;
  const shape = batched ? [input.shape[0]!, input.shape[1]!, 1, 1] : [input.shape[0]!, 1, 1];
  const noise = outputTensor(shape, input.dtype).bernoulli_(1 - p, options);
  noGrad(() => noise.div_(1 - p));
  return input.mul(noise);
}

/**
 * Rows of weight picked by integer indices; the paddingIdx row gets no gradient.
 * @throws RangeError for an index outside [0, weight.shape[0]), or a paddingIdx that is fractional or outside [-n, n)
 * @example F.embedding(torch.tensor([2, 0], { dtype: 'int64' }), torch.randn(5, 3)).shape // [2, 3]
 */
export function embedding(input: Tensor, weight: Tensor, paddingIdx?: number | null): Tensor {
  checkTensor('embedding', 'input', input);
  checkTensor('embedding', 'weight', weight);
  if (input.dtype !== 'int32') throw new TypeError(`embedding: Expected tensor for argument #1 'indices' to have scalar type Long (int32 here); but got ${input.dtype}`);
  if (weight.dim() !== 2) throw new RangeError(`embedding: 'weight' must be 2-D but received ${describe(weight)}`);
  const n = weight.shape[0]!;
  const pad = checkPaddingIdx('embedding', paddingIdx, n);
  const flat = input.reshape([-1]);
  if (flat.numel() > 0) {
    const [lo, hi] = noGrad(() => [flat.min().item() as number, flat.max().item() as number]);
    if (lo < 0 || hi >= n) {
      throw new RangeError(`embedding: index ${lo < 0 ? lo : hi} is out of range for ${n} embeddings (index out of range in self)`);
    }
  }
  const rows = noGrad(() => indexSelect(weight, 0, flat));
  const out = rows.view([...input.shape, weight.shape[1]!]);
  return record('EmbeddingBackward0', out, [weight], (g) => {
    const gw = indexAdd(emptyTensor(weight.shape, g.dtype), 0, flat, g.reshape([-1, weight.shape[1]!]));
    // PyTorch skips the padding positions, so a NaN or infinite gradient there does not reach the row.
    return [pad >= 0 ? where(rowMask(n, pad).unsqueeze(1), gw, 0) : gw];
  });
}

/** A bool vector of n trues with a false at `pad`: the rows of the padding index get no gradient. */
function rowMask(n: number, pad: number): Tensor {
  const m = emptyTensor([n], 'bool');
  m.data.fill(1);
  m.data[pad] = 0;
  return m;
}

// ---- normalization ---------------------------------------------------------------------------------------------

/** (x - mean) / sqrt(var + eps) over dims, with the biased variance; the batch statistics are returned too. */
function standardize(x: Tensor, dims: readonly number[], eps: number): { out: Tensor; mean: Tensor; variance: Tensor } {
  const mean = x.mean(dims, true);
  const centered = x.sub(mean);
  const variance = centered.mul(centered).mean(dims, true);
  return { out: centered.mul(variance.add(eps).rsqrt()), mean, variance };
}

/** out * weight + bias, each optional, with weight and bias viewed as `view` (per channel) when given. */
function affine(out: Tensor, weight: Tensor | null | undefined, bias: Tensor | null | undefined, view?: readonly number[]): Tensor {
  if (weight) out = out.mul(view ? weight.view(view) : weight);
  if (bias) out = out.add(view ? bias.view(view) : bias);
  return out;
}

/** The optional weight and bias of a normalization: each a Tensor, null or undefined. */
function checkAffine(op: string, weight: unknown, bias: unknown): void {
  if (weight !== null && weight !== undefined) checkTensor(op, 'weight', weight);
  if (bias !== null && bias !== undefined) checkTensor(op, 'bias', bias);
}

/**
 * Normalizes over the last dims given by normalizedShape, then scales and shifts, as F.layer_norm.
 * @example F.layerNorm(torch.randn(2, 4), [4]).mean(-1) // about [0, 0]
 */
export function layerNorm(x: Tensor, normalizedShape: readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  floatingOnly('layerNorm', 'LayerNormKernelImpl', x);
  // PyTorch takes one int for a 1-element shape.
  normalizedShape = checkShape('layerNorm', typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape);
  checkAffine('layerNorm', weight, bias);
  checkNumber('layerNorm', 'eps', eps);
  const n = normalizedShape.length;
  const tail = x.shape.slice(x.dim() - n);
  if (n === 0 || tail.length !== n || tail.some((s, i) => s !== normalizedShape[i])) {
    throw new RangeError(
      `layerNorm: Given normalized_shape=${shapeStr(normalizedShape)}, expected input with shape [*, ${normalizedShape.join(', ')}], but got input of size ${shapeStr(x.shape)}`,
    );
  }
  // The fused kernel takes a weight and bias of exactly the normalized shape and x's dtype (PyTorch's requirement);
  // any other that broadcasts, and empty inputs, take the composite.
  const exact = (t: Tensor | null | undefined): boolean => !t || (t.dtype === x.dtype && t.dim() === n && t.shape.every((s, i) => s === normalizedShape[i]));
  if (x.numel() > 0 && exact(weight) && exact(bias)) return layerNormOf(x, n, weight ?? null, bias ?? null, eps);
  const dims = normalizedShape.map((_, i) => x.dim() - n + i);
  return affine(standardize(x, dims, eps).out, weight, bias);
}

/**
 * Normalizes groups of channels per sample, then scales and shifts per channel, as F.group_norm.
 * @example F.groupNorm(torch.randn(2, 4, 3), 2).shape // [2, 4, 3]
 */
export function groupNorm(x: Tensor, numGroups: number, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  floatingOnly('groupNorm', 'GroupNormKernelImpl', x);
  checkInt('groupNorm', 'numGroups', numGroups, 1);
  checkAffine('groupNorm', weight, bias);
  checkNumber('groupNorm', 'eps', eps);
  const c = x.shape[1];
  if (x.dim() < 2 || c === undefined || c % numGroups !== 0) {
    throw new RangeError(`groupNorm: Expected number of channels in input to be divisible by num_groups, but got input of shape ${shapeStr(x.shape)} and num_groups=${numGroups}`);
  }
  const out = standardize(x.reshape([x.shape[0]!, numGroups, -1]), [2], eps).out.reshape(x.shape);
  return affine(out, weight, bias, [1, c, ...x.shape.slice(2).map(() => 1)]);
}

/** The options of batchNorm: the affine weight and bias, training mode, momentum and eps. | */
export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** Normalize with the batch's statistics (and update the running ones, when given) instead of the running ones. */
  training?: boolean;
  momentum?: number;
  eps?: number;
}

/**
 * Normalizes over every dim but dim 1, then scales and shifts per channel, as F.batch_norm: in training with the
 * batch's statistics, folding them into runningMean and runningVar (unbiased variance) with the momentum; otherwise
 * with the running statistics.
 * @example F.batchNorm(torch.randn(8, 3), null, null, { training: true }).shape // [8, 3]
 */
export function batchNorm(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, options: BatchNormOptions = {}): Tensor {
  floatingOnly('batchNorm', 'batch_norm', x);
  if (runningMean !== null && runningMean !== undefined) checkTensor('batchNorm', 'runningMean', runningMean);
  if (runningVar !== null && runningVar !== undefined) checkTensor('batchNorm', 'runningVar', runningVar);
  const { weight = null, bias = null, momentum = 0.1, eps = 1e-5 } = checkOptions('batchNorm', options);
  checkAffine('batchNorm', weight, bias);
  const training = checkBool('batchNorm', 'training', options.training, false);
  checkNumber('batchNorm', 'momentum', momentum);
  checkNumber('batchNorm', 'eps', eps);
  if (x.dim() < 2) throw new RangeError(`batchNorm: expected an input of 2 or more dims (N, C, ...) but received ${describe(x)}`);
  const c = x.shape[1]!;
  const perChannel: [string, Tensor | null | undefined][] = [['runningMean', runningMean], ['runningVar', runningVar], ['weight', weight], ['bias', bias]];
  for (const [name, t] of perChannel) {
    if (t && t.numel() !== c) throw new RangeError(`batchNorm: ${name} should contain ${c} elements not ${t.numel()}`);
  }
  const view = [1, c, ...x.shape.slice(2).map(() => 1)];
  if (!training) {
    if (!runningMean || !runningVar) throw new TypeError('batchNorm: running_mean and running_var must be defined in evaluation mode');
    return affine(x.sub(runningMean.view(view)).mul(runningVar.view(view).add(eps).rsqrt()), weight, bias, view);
  }
  const count = x.numel() / c;
  if (count <= 1) throw new RangeError(`Expected more than 1 value per channel when training, got input size ${JSON.stringify(x.shape)}`);
  const { out, mean, variance } = standardize(x, [0, ...x.shape.slice(2).map((_, i) => i + 2)], eps);
  noGrad(() => {
    if (runningMean) runningMean.mul_(1 - momentum).add_(mean.view([c]), momentum);
    if (runningVar) runningVar.mul_(1 - momentum).add_(variance.view([c]).mul(count / (count - 1)), momentum);
  });
  return affine(out, weight, bias, view);
}

// ---- losses --------------------------------------------------------------------------------------------------

function reduce(op: string, loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'none') return loss;
  if (reduction === 'mean') return loss.mean();
  if (reduction === 'sum') return loss.sum();
  throw new RangeError(`${op}: ${String(reduction)} is not a valid value for reduction`);
}

function checkPair(op: string, input: Tensor, target: Tensor): void {
  checkTensor(op, 'input', input);
  checkTensor(op, 'target', target);
  if (input.shape.length !== target.shape.length || input.shape.some((s, i) => s !== target.shape[i])) {
    throw new RangeError(`${op}: Using a target size (${shapeStr(target.shape)}) that is different to the input size (${shapeStr(input.shape)}) is not supported`);
  }
}

/** The options of the losses: PyTorch's reduction keyword. | */
export interface LossOptions {
  reduction?: Reduction;
}

/** mean(|input - target|) @example F.l1Loss(torch.tensor([1, 2]), torch.tensor([2, 4])) // 1.5 */
export function l1Loss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  checkPair('l1Loss', input, target);
  return reduce('l1Loss', input.sub(target).abs(), options.reduction ?? 'mean');
}
/** mean((input - target)^2) @example F.mseLoss(torch.tensor([1, 2]), torch.tensor([2, 4])) // 2.5 */
export function mseLoss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  checkPair('mseLoss', input, target);
  // PyTorch's mse_loss_backward: 2 d g; mse_loss_double_backward: 2 gg g.
  const loss = differenceLoss('MseLoss', input, target, (d) => d.mul(d), (d, g) => d.mul(2).mul(g), (_d, gg) => gg.mul(2));
  return reduce('mseLoss', loss, options.reduction ?? 'mean');
}
/**
 * An elementwise loss of d = input - target as one node whose gradient with respect to d is dLoss(d, g), as PyTorch's
 * mse, smooth L1 and Huber kernels: exact at the kinks, NaN for a NaN d, finite for an infinite one (a composite
 * through abs and where gives 0 and NaN there). As derivatives.yaml, the target's gradient is the same backward with
 * input and target swapped (dLoss(target - input, g): -0 and the kinks come out as PyTorch's), a node of its own.
 * Each gradient is a node (PyTorch's `<name>BackwardBackward0`) differentiated as FunctionsManual does: the same
 * backward again for the incoming gradient, and `curvature(d, gg * g)` for its first difference operand (negated for
 * the second), which multiplies by a mask of the quadratic region where there is one (so an infinite gg * g outside
 * it gives NaN, a NaN d 0).
 */
function differenceLoss(
  name: string,
  input: Tensor,
  target: Tensor,
  loss: (d: Tensor) => Tensor,
  dLoss: (d: Tensor, g: Tensor) => Tensor,
  curvature: (d: Tensor, gg: Tensor) => Tensor,
): Tensor {
  const backward = (g: Tensor, a: Tensor, b: Tensor): Tensor => {
    const d = noGrad(() => a.sub(b));
    return record(`${name}BackwardBackward0`, noGrad(() => dLoss(d, g)), [g, a, b], (gg, needs) => {
      const second = needs[1] || needs[2] ? curvature(d, gg.mul(g)) : null;
      return [needs[0] ? backward(gg, a, b) : null, needs[1] ? second : null, needs[2] ? second!.neg() : null];
    });
  };
  return record(`${name}Backward0`, noGrad(() => loss(input.sub(target))), [input, target], (g, needs) => [
    needs[0] ? backward(g, input, target) : null,
    needs[1] ? backward(g, target, input) : null,
  ]);
}

/**
 * 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta.
 * @example F.smoothL1Loss(torch.tensor([0, 0]), torch.tensor([0.5, 3])) // (0.125 + 2.5) / 2
 */
export function smoothL1Loss(input: Tensor, target: Tensor, options: LossOptions & { beta?: number } = {}): Tensor {
  checkPair('smoothL1Loss', input, target);
  const beta = options.beta ?? 1;
  const loss = differenceLoss(
    'SmoothL1Loss',
    input,
    target,
    (d) => (beta === 0 ? d.abs() : where(d.abs().lt(beta), d.mul(d).mul(0.5 / beta), d.abs().sub(0.5 * beta))),
    (d, g) => where(d.le(-beta), g.neg(), where(d.ge(beta), g, d.mul(g).div(beta))),
    // PyTorch's smooth_l1_loss_double_backward: zeros for beta = 0 (no division by it), else gg * (|d| < beta) / beta.
    (d, gg) => (beta === 0 ? emptyTensor(gg.shape, gg.dtype) : gg.mul(d.abs().lt(beta).to(gg.dtype)).div(beta)),
  );
  return reduce('smoothL1Loss', loss, options.reduction ?? 'mean');
}
/**
 * 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta).
 * @example F.huberLoss(torch.tensor([0]), torch.tensor([3]), { delta: 1 }) // 2.5
 */
export function huberLoss(input: Tensor, target: Tensor, options: LossOptions & { delta?: number } = {}): Tensor {
  checkPair('huberLoss', input, target);
  const delta = options.delta ?? 1;
  const loss = differenceLoss(
    'HuberLoss',
    input,
    target,
    (d) => where(d.abs().lt(delta), d.mul(d).mul(0.5), d.abs().sub(0.5 * delta).mul(delta)),
    (d, g) => where(d.le(-delta), g.mul(-delta), where(d.ge(delta), g.mul(delta), d.mul(g))),
    // PyTorch's huber_loss_double_backward: gg * (|d| < delta).
    (d, gg) => gg.mul(d.abs().lt(delta).to(gg.dtype)),
  );
  return reduce('huberLoss', loss, options.reduction ?? 'mean');
}

/** The options of nllLoss: per-class weights, an ignored class index, and the reduction. | */
export interface NllOptions extends LossOptions {
  weight?: Tensor | null;
  ignoreIndex?: number;
}

/** Moves the class dim last and flattens: [N, C, d1, ...] -> [N * d1 * ..., C]. */
function classesLast(x: Tensor): Tensor {
  if (x.dim() <= 2) return x.dim() === 1 ? x.unsqueeze(0) : x;
  const perm = [0, ...Array.from({ length: x.dim() - 2 }, (_, i) => i + 2), 1];
  return x.permute(perm).reshape([-1, x.shape[1]!]);
}

/**
 * @throws RangeError unless weight is null or a 1-D tensor of one weight per class, in PyTorch's words
 */
function checkClassWeight(op: string, weight: Tensor | null, classes: number): void {
  if (weight === null) return;
  checkTensor(op, 'weight', weight);
  if (weight.dim() !== 1 || weight.shape[0] !== classes) {
    throw new RangeError(
      `${op}: weight tensor should be defined either for all ${classes} classes or no classes but got weight tensor of shape: ${shapeStr(weight.shape)}`,
    );
  }
}

function checkTarget(op: string, input: Tensor, target: Tensor): void {
  const want = input.dim() === 1 ? [] : [input.shape[0]!, ...input.shape.slice(2)];
  if (target.dim() !== want.length || target.shape.some((s, i) => s !== want[i])) {
    throw new RangeError(`${op}: Expected target of shape ${shapeStr(want)} for input of shape ${shapeStr(input.shape)}, got ${shapeStr(target.shape)}`);
  }
}

/**
 * -logp[target] with class weights and an ignored index, as torch.nn.functional.nll_loss.
 * @example F.nllLoss(torch.log(torch.tensor([[0.5, 0.5]])), torch.tensor([0], { dtype: 'int64' })) // 0.6931
 */
export function nllLoss(input: Tensor, target: Tensor, options: NllOptions = {}): Tensor {
  checkTensor('nllLoss', 'input', input);
  checkTensor('nllLoss', 'target', target);
  if (target.dtype !== 'int32') throw new TypeError(`nllLoss: expected an int32 (int64) target of class indices, got ${target.dtype}`);
  checkTarget('nllLoss', input, target);
  const { weight = null, ignoreIndex = -100, reduction = 'mean' } = options;
  if (reduction !== 'none' && reduction !== 'sum' && reduction !== 'mean') {
    throw new RangeError(`nllLoss: ${String(reduction)} is not a valid value for reduction`);
  }
  const logp = classesLast(input);
  const t = target.reshape([-1]);
  const c = logp.shape[1]!;
  checkClassWeight('nllLoss', weight, c);
  const fused = fusedClassLoss(input, target, { weight, ignoreIndex, reduction, smoothing: 0, logInput: true });
  if (fused) return fused;
  // Forward on raw values; one recorded node (PyTorch's NllLossBackward0) whose gradient is a scatter of
  // -w[target] (scaled for the reduction) into the class dim. Ignored targets are skipped, as PyTorch does: their
  // loss and gradient are zeros (not 0 * logp, NaN at a -inf log-probability), even when every target is ignored
  // and the mean is 0 / 0 = NaN.
  const { out, w, keep, total, safe } = noGrad(() => {
    const kept = t.ne(ignoreIndex);
    const safeT = where(kept, t, 0);
    if (safeT.lt(0).logicalOr(safeT.ge(c)).any().item()) throw targetOutOfBounds(c, ignoreIndex);
    const wt = weight ? where(kept, weight.gather(0, safeT), 0) : kept.to(logp.dtype);
    const loss = where(kept, logp.gather(1, safeT.unsqueeze(1)).squeeze(1).mul(wt).neg(), 0);
    const sum = wt.sum();
    const value = reduction === 'none' ? loss.view(target.shape) : reduction === 'sum' ? loss.sum() : loss.sum().div(sum);
    return { out: value, w: wt, keep: kept, total: sum, safe: safeT };
  });
  const name = input.dim() >= 3 ? 'NllLoss2DBackward0' : 'NllLossBackward0';
  return record(name, out, [logp], (g) => {
    const scale = reduction === 'none' ? g.reshape([-1]) : reduction === 'mean' ? g.div(total) : g;
    const perRow = where(keep, w.mul(scale).neg(), 0);
    // PyTorch's nll_loss_backward takes the input too (with a zero derivative): see recordOnInput.
    return [recordOnInput(name, scatterAdd(emptyTensor(logp.shape, g.dtype), 1, safe.unsqueeze(1), perRow.unsqueeze(1)), logp)];
  });
}

const targetOutOfBounds = (c: number, ignoreIndex: number): RangeError =>
  new RangeError(`nllLoss: Target out of bounds: class indices must be in [0, ${c - 1}] (or ignoreIndex ${ignoreIndex})`);

/**
 * nllLoss or crossEntropy of class indices as one fused kernel (lib/ops/fused.ts), or null where the composite must
 * run: a non-floating or empty input, a weight of another dtype, or (with label smoothing, whose term is
 * differentiable in the weight) a weight that requires grad.
 * @throws RangeError for a target outside [0, C) that is not ignoreIndex
 */
function fusedClassLoss(input: Tensor, target: Tensor, o: ClassLossOptions): Tensor | null {
  const { weight } = o;
  if (!isFloating(input.dtype) || input.numel() === 0 || target.numel() === 0 || !Number.isInteger(o.ignoreIndex)) return null;
  if (weight && (weight.dtype !== input.dtype || (o.smoothing > 0 && weight.requiresGrad))) return null;
  const c = input.dim() === 1 ? input.shape[0]! : input.shape[1]!;
  const out = classLossOf(input, target, o);
  if ('bad' in out) throw targetOutOfBounds(c, o.ignoreIndex);
  return out;
}

/** The options of crossEntropy: nllLoss's, plus label smoothing. | */
export interface CrossEntropyOptions extends NllOptions {
  labelSmoothing?: number;
}

/**
 * Cross entropy of logits against class indices (int32) or class probabilities (float, same shape), with
 * weight, ignoreIndex and labelSmoothing, as torch.nn.functional.cross_entropy.
 * @throws RangeError for a non-negative ignoreIndex with probability targets, as PyTorch
 * @example F.crossEntropy(torch.tensor([[0, 0]]), torch.tensor([1], { dtype: 'int64' })) // 0.6931
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  checkTensor('crossEntropy', 'input', input);
  checkTensor('crossEntropy', 'target', target);
  const { weight = null, ignoreIndex = -100, reduction = 'mean', labelSmoothing = 0 } = options;
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) throw new RangeError(`crossEntropy: label_smoothing must be between 0.0 and 1.0. Got: ${labelSmoothing}`);
  const c = input.dim() === 1 ? input.shape[0]! : input.shape[1]!;
  checkClassWeight('crossEntropy', weight, c);
  if (target.dtype === 'int32' && input.dim() >= 1 && isFloating(input.dtype)) {
    // Class indices: the fused kernel, after nllLoss's checks (its messages, as the composite gives them).
    checkTarget('nllLoss', input, target);
    if (reduction !== 'none' && reduction !== 'sum' && reduction !== 'mean') throw new RangeError(`nllLoss: ${String(reduction)} is not a valid value for reduction`);
    const fused = fusedClassLoss(input, target, { weight, ignoreIndex, reduction, smoothing: labelSmoothing, logInput: false });
    if (fused) return fused;
  }
  const logp = input.logSoftmax(input.dim() === 1 ? 0 : 1);
  if (target.isFloatingPoint()) {
    checkPair('crossEntropy', input, target);
    // PyTorch checks ignore_index < 0 (the default -100 passes).
    if (ignoreIndex >= 0) throw new RangeError(`crossEntropy: ignore_index is not supported for floating point target (got ignoreIndex ${ignoreIndex})`);
    const t = labelSmoothing > 0 ? target.mul(1 - labelSmoothing).add(labelSmoothing / c) : target;
    const classDim = input.dim() === 1 ? 0 : 1;
    let prod = logp.mul(t);
    if (weight) prod = prod.mul(input.dim() <= 1 ? weight : weight.view([c, ...input.shape.slice(2).map(() => 1)]));
    // The mean is over every position, N * d1 * ... * dk of them, not over the batch alone.
    if (reduction === 'mean') return prod.sum().neg().div(input.numel() / c);
    return reduce('crossEntropy', prod.sum(classDim).neg(), reduction);
  }
  const nll = nllLoss(logp, target, { weight, ignoreIndex, reduction });
  if (labelSmoothing <= 0) return nll;
  // PyTorch: (1 - eps) * nll + eps / C * smooth, smooth = -sum_c w_c logp_c over non-ignored entries.
  const flat = classesLast(logp);
  const t = target.reshape([-1]);
  const keep = t.ne(ignoreIndex);
  // Ignored entries are filled with 0 (PyTorch's masked_fill_), so their gradient is 0 whatever the incoming one.
  let smooth = where(keep, (weight ? flat.mul(weight) : flat).sum(1).neg(), 0);
  if (reduction === 'none') smooth = smooth.view(target.shape);
  else if (reduction === 'sum') smooth = smooth.sum();
  else {
    const denom = weight ? where(keep, weight.gather(0, where(keep, t, 0)), 0).sum() : keep.to(logp.dtype).sum();
    smooth = smooth.sum().div(denom);
  }
  return nll.mul(1 - labelSmoothing).add(smooth.mul(labelSmoothing / c));
}

/**
 * A loss weight multiplies the elementwise loss in place in PyTorch, so it must broadcast to the input's shape without
 * enlarging it.
 * @throws RangeError when it does not broadcast or would enlarge the shape, in PyTorch's words
 */
function checkLossWeight(op: string, name: string, weight: Tensor | null | undefined, input: Tensor): void {
  if (!weight) return;
  checkTensor(op, name, weight);
  const shape = broadcastShapes(op, weight.shape, input.shape);
  if (shape.length !== input.dim() || shape.some((s, i) => s !== input.shape[i])) {
    throw new RangeError(`${op}: output with shape ${shapeStr(input.shape)} doesn't match the broadcast shape ${shapeStr(shape)} (${name} ${shapeStr(weight.shape)})`);
  }
}

/**
 * -(y log p + (1 - y) log(1 - p)), logs clamped at -100, as PyTorch's binary_cross_entropy: one node whose input
 * gradient divides by max(p (1 - p), 1e-12), finite at p = 0 and p = 1 where the clamped logs' gradient is NaN.
 * @throws RangeError when an input is outside [0, 1] (NaN included)
 * @example F.binaryCrossEntropy(torch.tensor([0.5]), torch.tensor([1])) // 0.6931
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: LossOptions & { weight?: Tensor | null } = {}): Tensor {
  checkPair('binaryCrossEntropy', input, target);
  checkLossWeight('binaryCrossEntropy', 'weight', options.weight, input);
  const inRange = noGrad(() => input.ge(0).logicalAnd(input.le(1)).all().item());
  if (!inRange) throw new RangeError('binaryCrossEntropy: all elements of input should be between 0 and 1');
  const out = noGrad(() => target.sub(1).mul(input.neg().log1p().clamp(-100)).sub(target.mul(input.log().clamp(-100))));
  let loss = record('BinaryCrossEntropyBackward0', out, [input, target], (g, needs) => [
    needs[0] ? bceBackward(g, input, target) : null,
    // PyTorch's binary_cross_entropy_target_backward: -logit(p) g, unclamped.
    needs[1] ? logit(input).neg().mul(g) : null,
  ]);
  if (options.weight) loss = loss.mul(options.weight);
  return reduce('binaryCrossEntropy', loss, options.reduction ?? 'mean');
}

const BCE_EPS = 1e-12;

/**
 * binaryCrossEntropy's input gradient g (p - y) / max(p (1 - p), 1e-12) as one node (PyTorch's
 * BinaryCrossEntropyBackwardBackward0) with FunctionsManual's double backward formulas, whose eps terms differ from
 * the clamp: (p - y) / ((p + eps) (1 - p + eps)) gg for g, (p^2 - 2 p y + y) / ((p + eps)^2 (1 - p + eps)^2) gg g for p
 * and -gg g / max(p (1 - p), eps) for y.
 */
function bceBackward(g: Tensor, input: Tensor, target: Tensor): Tensor {
  const out = noGrad(() => g.mul(input.sub(target)).div(ops.sub(1, input).mul(input).clamp(BCE_EPS)));
  return record('BinaryCrossEntropyBackwardBackward0', out, [g, input, target], (gg, needs) => {
    const p = input.add(BCE_EPS);
    const q = ops.sub(1, input).add(BCE_EPS);
    return [
      needs[0] ? input.sub(target).div(p.mul(q)).mul(gg) : null,
      needs[1] ? input.mul(input).sub(input.mul(target).mul(2)).add(target).div(p.square().mul(q.square())).mul(gg.mul(g)) : null,
      needs[2] ? gg.mul(g).neg().div(noGrad(() => ops.sub(1, input).mul(input).clamp(BCE_EPS))) : null,
    ];
  });
}

/** log(p / (1 - p)) with torch.logit's gradient g / (p (1 - p)), NaN outside [0, 1]. */
function logit(p: Tensor): Tensor {
  const out = noGrad(() => p.div(ops.sub(1, p)).log());
  return record('LogitBackward0', out, [p], (g) => [where(p.lt(0).logicalOr(p.gt(1)), NaN, g.div(p.mul(ops.sub(1, p))))]);
}

/**
 * Sigmoid + binary cross entropy in one numerically stable expression, with weight and posWeight, as PyTorch's
 * binary_cross_entropy_with_logits: one node with PyTorch's gradients (sigmoid(x) - y for the input, -x for the
 * target), finite at infinite logits where the gradient of the stable expression is NaN.
 * @example F.binaryCrossEntropyWithLogits(torch.tensor([0]), torch.tensor([1])) // 0.6931
 */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  options: LossOptions & { weight?: Tensor | null; posWeight?: Tensor | null } = {},
): Tensor {
  checkPair('binaryCrossEntropyWithLogits', input, target);
  checkLossWeight('binaryCrossEntropyWithLogits', 'weight', options.weight, input);
  checkLossWeight('binaryCrossEntropyWithLogits', 'posWeight', options.posWeight, input);
  const posWeight = options.posWeight ?? null;
  const out = noGrad(() => {
    const maxVal = input.neg().clamp(0);
    const logTerm = maxVal.neg().exp().add(input.neg().sub(maxVal).exp()).log().add(maxVal);
    const logWeight = posWeight ? posWeight.sub(1).mul(target).add(1) : null;
    return ops.sub(1, target).mul(input).add(logWeight ? logWeight.mul(logTerm) : logTerm);
  });
  let loss = record('BinaryCrossEntropyWithLogitsBackward0', out, [input, target], (g, needs) => {
    const pt = posWeight ? posWeight.mul(target) : null;
    return [
      needs[0] ? (pt ? pt.add(1).sub(target).mul(input.sigmoid()).sub(pt) : input.sigmoid().sub(target)).mul(g) : null,
      needs[1] ? (posWeight ? logSigmoid(input.neg()).sub(logSigmoid(input).mul(posWeight)) : input.neg()).mul(g) : null,
    ];
  });
  if (options.weight) loss = loss.mul(options.weight);
  return reduce('binaryCrossEntropyWithLogits', loss, options.reduction ?? 'mean');
}

/**
 * x log y, 0 where x is 0 (NaN where y is NaN), as torch.xlogy, with its gradients: log y where x != 0 for x, and
 * x / y for y (NaN at x = y = 0, as PyTorch's).
 */
function xlogy(x: Tensor, y: Tensor): Tensor {
  const out = noGrad(() => where(ops.isnan(y), NaN, where(x.eq(0), 0, x.mul(y.log()))));
  return record('XlogyBackward0', out, [x, y], (g, needs) => [
    needs[0] ? g.mul(xlogy(x.ne(0).to(g.dtype), y)) : null,
    needs[1] ? g.mul(x).div(y) : null,
  ]);
}

/**
 * KL divergence with input given as log-probabilities: target * (log target - input), as PyTorch's composite.
 * @example F.klDiv(torch.log(torch.tensor([[0.5, 0.5]])), torch.tensor([[0.5, 0.5]]), { reduction: 'batchmean' }) // 0
 */
export function klDiv(input: Tensor, target: Tensor, options: { reduction?: Reduction | 'batchmean'; logTarget?: boolean } = {}): Tensor {
  checkPair('klDiv', input, target);
  const { reduction = 'mean', logTarget = false } = options;
  const loss = logTarget ? target.exp().mul(target.sub(input)) : xlogy(target, target).sub(target.mul(input));
  if (reduction === 'batchmean') return input.dim() === 0 ? loss.sum() : loss.sum().div(input.shape[0]!);
  return reduce('klDiv', loss, reduction);
}

// The remaining common layers of issue 13 (activations, distances, pixel shuffle, interpolate, embeddingBag, ...).
export * from './functional_layers';
