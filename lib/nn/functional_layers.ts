/**
 * nn.functional for the remaining common layers (issue 13): the shrink/hard/smooth activations and prelu, cosine
 * similarity and pairwise distance, pixel (un)shuffle, interpolate, embeddingBag, instanceNorm and the 1-D adaptive
 * pools. Compositions of ops where those are exact; elsewhere one recorded node with PyTorch's backward formula, its
 * forward on raw storage. lib/nn/functional.ts re-exports this file; it imports nothing from there (no cycle).
 */
import { Tensor, emptyTensor, viewOf } from '../tensor';
import type { Storage } from '../dtype';
import { info, isFloating, notImplemented } from '../dtype';
import { dense } from '../backend/kernels';
import { record } from '../autograd/record';
import { noGrad } from '../autograd/grad_mode';
import { recordLinearBackward } from '../autograd/backward_node';
import { inplaceResult } from './inplace';
import { where } from '../ops/elementwise';
import { adaptiveAvgPool2d, adaptiveMaxPool2d } from '../ops/pool';
import { norm } from '../ops/reduce';
import { broadcastShapes, normalizeDim, shapeStr } from '../shape';
import { checkBool, checkInt, checkNumber, checkOptions, checkTensor, describe } from '../validate';

// ---- shared helpers ----------------------------------------------------------------------------------------------

/** A floating input: integer ones are refused in PyTorch's words, naming its CPU kernel. */
function floatInput(op: string, kernel: string, x: unknown): Tensor {
  checkTensor(op, 'input', x);
  if (!isFloating(x.dtype)) throw notImplemented(op, kernel, x.dtype);
  return x;
}

/** The forward value computed without recording, then one node named `name` with the gradient `backward(g)`. */
function pointwiseNode(name: string, x: Tensor, forward: () => Tensor, backward: (g: Tensor) => Tensor): Tensor {
  return record(name, noGrad(forward), [x], (g) => [backward(g)]);
}

/**
 * As pointwiseNode, for an op whose gradient is linear in g and depends on x only through comparisons (hardtanh,
 * hardsigmoid, the shrinks, threshold): the gradient is one node on g and x, as PyTorch records the op's backward
 * function (recordLinearBackward), so that a createGraph gradient requires grad where PyTorch's does. (PyTorch 1.13
 * has no derivative for hardsigmoid_backward and raises; torchlet differentiates it.)
 */
function maskedNode(name: string, x: Tensor, forward: () => Tensor, backward: (g: Tensor) => Tensor): Tensor {
  const grad = (g: Tensor): Tensor => recordLinearBackward(name, noGrad(() => backward(g)), g, x, grad);
  return record(name, noGrad(forward), [x], (g) => [grad(g)]);
}

// ---- activations ---------------------------------------------------------------------------------------------

/**
 * min(max(x, minVal), maxVal), as F.hardtanh; its gradient is zero at and beyond the bounds (PyTorch's
 * hardtanh_backward), unlike clamp's, and passes g through at NaN (neither at nor beyond a bound).
 * @param inplace write the result into x (see lib/nn/inplace.ts: a tracked x keeps its value)
 * @example F.hardtanh(torch.tensor([-2, 0.5, 3])) // [-1, 0.5, 1]
 */
export const hardtanh = (x: Tensor, minVal = -1, maxVal = 1, inplace = false): Tensor => clampNode('hardtanh', x, minVal, maxVal, inplace);

/** min(max(x, 0), 6), as F.relu6 (hardtanh between 0 and 6). @example F.relu6(torch.tensor([-1, 3, 8])) // [0, 3, 6] */
export const relu6 = (x: Tensor, inplace = false): Tensor => clampNode('relu6', x, 0, 6, inplace);

/** hardtanh under the name `op`: clamp's values, PyTorch's hardtanh_backward. */
function clampNode(op: string, x: Tensor, minVal: number, maxVal: number, inplace: boolean): Tensor {
  checkTensor(op, 'input', x);
  checkNumber(op, 'minVal', minVal);
  checkNumber(op, 'maxVal', maxVal);
  const out = maskedNode('HardtanhBackward0', x, () => x.clamp(minVal, maxVal), (g) => where(x.le(minVal).logicalOr(x.ge(maxVal)), 0, g));
  return inplaceResult(op, x, out, inplace);
}

/**
 * relu6(x + 3) / 6, as F.hardsigmoid: gradient 1/6 strictly inside (-3, 3), else 0.
 * @example F.hardsigmoid(torch.tensor([-4, 0, 4])) // [0, 0.5, 1]
 */
export function hardsigmoid(x: Tensor, inplace = false): Tensor {
  floatInput('hardsigmoid', 'hardsigmoid_cpu', x);
  const out = maskedNode('HardsigmoidBackward0', x, () => x.add(3).clamp(0, 6).div(6), (g) => where(x.gt(-3).logicalAnd(x.lt(3)), g.div(6), 0));
  return inplaceResult('hardsigmoid', x, out, inplace);
}

/**
 * x relu6(x + 3) / 6, as F.hardswish, with PyTorch's gradient: 0 below -3, g (x / 3 + 1/2) up to 3 inclusive, g above.
 * @example F.hardswish(torch.tensor([-4, 1, 4])) // [0, 0.6667, 4]
 */
export function hardswish(x: Tensor, inplace = false): Tensor {
  floatInput('hardswish', 'hardswish_cpu', x);
  const out = pointwiseNode(
    'HardswishBackward0',
    x,
    () => x.mul(x.add(3).clamp(0, 6)).div(6),
    (g) => where(x.lt(-3), 0, where(x.le(3), g.mul(x.div(3).add(0.5)), g)),
  );
  return inplaceResult('hardswish', x, out, inplace);
}

/**
 * x tanh(softplus(x)), as F.mish, one node with PyTorch's gradient g (t + x sigmoid(x) (1 - t^2)), t = tanh(softplus(x)).
 * @example F.mish(torch.tensor([0, 1])) // [0, 0.8651]
 */
export function mish(x: Tensor, inplace = false): Tensor {
  floatInput('mish', 'mish_cpu', x);
  const softplusTanh = (): Tensor => x.exp().log1p().tanh();
  const out = pointwiseNode('MishBackward0', x, () => x.mul(softplusTanh()), (g) => {
    const t = softplusTanh();
    return g.mul(t.add(x.mul(x.sigmoid()).mul(t.square().neg().add(1))));
  });
  return inplaceResult('mish', x, out, inplace);
}

/**
 * PyTorch's elu kernel with its three coefficients: x > 0 ? scale x : alpha scale (exp(inputScale x) - 1), one node
 * (EluBackward0) whose gradient is g scale, or g inputScale alpha scale exp(inputScale x) at and below 0.
 */
function eluFamily(x: Tensor, alpha: number, scale: number, inputScale: number): Tensor {
  return pointwiseNode(
    'EluBackward0',
    x,
    () => {
      const neg = x.le(0);
      // exp - 1 as PyTorch's kernel computes it (not expm1): the same values near 0, and +0 at -0.
      return where(neg, where(neg, x, 0).mul(inputScale).exp().sub(1).mul(alpha * scale), x.mul(scale));
    },
    (g) => {
      const neg = x.le(0);
      return where(neg, g.mul(where(neg, x, 0).mul(inputScale).exp().mul(inputScale * alpha * scale)), g.mul(scale));
    },
  );
}

const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;

/**
 * scale * elu(x, alpha) with SELU's fixed constants, as F.selu.
 * @example F.selu(torch.tensor([1])) // [1.0507]
 */
export function selu(x: Tensor, inplace = false): Tensor {
  floatInput('selu', 'elu_cpu', x);
  return inplaceResult('selu', x, eluFamily(x, SELU_ALPHA, SELU_SCALE, 1), inplace);
}

/**
 * max(0, x) + min(0, alpha (exp(x / alpha) - 1)), as F.celu.
 * @throws RangeError for alpha 0, in PyTorch's words
 * @example F.celu(torch.tensor([-1, 1]), 2) // [-0.7869, 1]
 */
export function celu(x: Tensor, alpha = 1, inplace = false): Tensor {
  floatInput('celu', 'elu_cpu', x);
  checkNumber('celu', 'alpha', alpha);
  if (alpha === 0) throw new RangeError('celu: ZeroDivisionError: alpha cannot be 0 for CELU');
  return inplaceResult('celu', x, eluFamily(x, alpha, 1, 1 / alpha), inplace);
}

/**
 * a * sigmoid(b) where a and b are the two halves of x along dim, as F.glu.
 * @throws RangeError for a 0-dim input or an odd size along dim, in PyTorch's words
 * @example F.glu(torch.tensor([1, 2, 0, 0])) // [0.5, 1]
 */
export function glu(x: Tensor, dim = -1): Tensor {
  floatInput('glu', 'glu_cpu', x);
  if (x.dim() === 0) throw new RangeError('glu: glu does not support scalars because halving size must be even');
  const d = normalizeDim('glu', dim, x.dim());
  const size = x.shape[d]!;
  if (size % 2 !== 0) throw new RangeError(`glu: Halving dimension must be even, but dimension ${d} is size ${size}`);
  return x.narrow(d, 0, size / 2).mul(x.narrow(d, size / 2, size / 2).sigmoid());
}

/**
 * log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)), finite for large |x|, as F.logsigmoid: one node with PyTorch's
 * gradient g sigmoid(-x) (a composite through clamp and abs would give 1 at x = 0, not 1/2).
 * @example F.logsigmoid(torch.tensor([0])) // [-0.6931]
 */
export function logsigmoid(x: Tensor): Tensor {
  floatInput('logsigmoid', 'log_sigmoid_cpu', x);
  return pointwiseNode('LogSigmoidBackward0', x, () => x.clamp(null, 0).sub(x.abs().neg().exp().log1p()), (g) => g.mul(x.neg().sigmoid()));
}

/** x / (1 + |x|), as F.softsign. @example F.softsign(torch.tensor([1, -3])) // [0.5, -0.75] */
export const softsign = (x: Tensor): Tensor => (checkTensor('softsign', 'input', x), x.div(x.abs().add(1)));

/** x - tanh(x), as F.tanhshrink. @example F.tanhshrink(torch.tensor([1])) // [0.2384] */
export const tanhshrink = (x: Tensor): Tensor => (checkTensor('tanhshrink', 'input', x), x.sub(x.tanh()));

/** The shrink functions' lambda: a number of at least 0 (PyTorch's words). */
function checkLambda(op: string, lambd: unknown): number {
  checkNumber(op, 'lambd', lambd);
  if (!((lambd as number) >= 0)) throw new RangeError(`${op}: lambda must be greater or equal to 0, but found to be ${lambd}.`);
  return lambd as number;
}

/** Whether each element of x lies in [-lambd, lambd], where the shrink functions and their gradients are 0. */
const shrinkZone = (x: Tensor, lambd: number): Tensor => x.ge(-lambd).logicalAnd(x.le(lambd));

/**
 * x - lambd above lambd, x + lambd below -lambd, 0 between, as F.softshrink.
 * @throws RangeError for a negative lambd
 * @example F.softshrink(torch.tensor([-1, 0.2, 2])) // [-0.5, 0, 1.5]
 */
export function softshrink(x: Tensor, lambd = 0.5): Tensor {
  floatInput('softshrink', 'softshrink_cpu', x);
  checkLambda('softshrink', lambd);
  return maskedNode(
    'SoftshrinkBackward0',
    x,
    () => where(x.gt(lambd), x.sub(lambd), where(x.lt(-lambd), x.add(lambd), 0)),
    (g) => where(shrinkZone(x, lambd), 0, g),
  );
}

/**
 * x where |x| > lambd, else 0, as F.hardshrink.
 * @example F.hardshrink(torch.tensor([-1, 0.2, 2])) // [-1, 0, 2]
 */
export function hardshrink(x: Tensor, lambd = 0.5): Tensor {
  floatInput('hardshrink', 'hardshrink_cpu', x);
  checkNumber('hardshrink', 'lambd', lambd);
  return maskedNode('HardshrinkBackward0', x, () => where(shrinkZone(x, lambd), 0, x), (g) => where(shrinkZone(x, lambd), 0, g));
}

/**
 * value where x <= threshold, else x, as F.threshold; the gradient is 0 where the value was substituted.
 * @example F.threshold(torch.tensor([1, 3]), 2, -1) // [-1, 3]
 */
export function threshold(x: Tensor, thresholdValue: number, value: number, inplace = false): Tensor {
  checkTensor('threshold', 'input', x);
  checkNumber('threshold', 'threshold', thresholdValue);
  checkNumber('threshold', 'value', value);
  const out = maskedNode('ThresholdBackward0', x, () => where(x.le(thresholdValue), value, x).to(x.dtype), (g) => where(x.le(thresholdValue), 0, g));
  return inplaceResult('threshold', x, out, inplace);
}

/**
 * prelu's input gradient gx (recorded on g and the weight) as PyTorch's prelu_backward, which also takes x: a node on
 * gx and x whose gradient for x is prelu_double_backward's with no weight gradient flowing, zeros * g where x <= 0
 * (NaN where g is infinite or NaN, as there).
 */
function preluInputGrad(gx: Tensor, g: Tensor, x: Tensor): Tensor {
  return record('PreluBackwardBackward0', viewOf(gx, gx.shape, gx.strides), [gx, x], (gg, needs) => [
    needs[0] ? gg : null,
    needs[1] ? emptyTensor(x.shape, gg.dtype).mul(g).mul(x.le(0).to(gg.dtype)) : null,
  ]);
}

/** softmax(-x) along dim, as F.softmin. @example F.softmin(torch.tensor([[0, 0]]), 1) // [[0.5, 0.5]] */
export function softmin(x: Tensor, dim: number): Tensor {
  checkTensor('softmin', 'input', x);
  return x.neg().softmax(dim);
}

/**
 * x > 0 ? x : weight x, with one weight or one per channel (dim 1), as F.prelu: one node with PyTorch's gradients
 * (g or weight g for x; the sum of x g over the non-positive elements of each channel for the weight).
 * @throws RangeError for a weight of more than 1 dim, or a weight count that is neither 1 nor the channels
 * @example F.prelu(torch.tensor([-2, 3]), torch.tensor([0.25])) // [-0.5, 3]
 */
export function prelu(x: Tensor, weight: Tensor): Tensor {
  floatInput('prelu', 'prelu_cpu', x);
  checkTensor('prelu', 'weight', weight);
  if (weight.dim() > 1) throw new RangeError(`prelu: prelu: Expected \`weight\` to be a scalar or 1D tensor, but got ndim = ${weight.dim()}`);
  const n = weight.numel();
  const channels = x.dim() > 1 ? x.shape[1]! : 1;
  if (n !== 1 && n !== channels) {
    throw new RangeError(`prelu: Mismatch of parameter numbers and input channel size. Found parameter numbers = ${n} and channel size = ${channels}.`);
  }
  // One weight for every element, or one per channel viewed along dim 1.
  const w = n === 1 ? weight.reshape([]) : weight.reshape([channels, ...x.shape.slice(2).map(() => 1)]);
  return record('PreluBackward0', noGrad(() => where(x.gt(0), x, x.mul(w))), [x, weight], (g, needs) => {
    const pos = x.gt(0);
    const gw = needs[1] ? where(pos, 0, x.mul(g)) : null;
    return [
      needs[0] ? preluInputGrad(where(pos, g, g.mul(w)), g, x) : null,
      gw ? (n === 1 ? gw.sum() : gw.sum([0, ...x.shape.slice(2).map((_, i) => i + 2)])).reshape(weight.shape) : null,
    ];
  });
}

// ---- distances -------------------------------------------------------------------------------------------------

/** x1 and x2 broadcast together, the common dtype floating (PyTorch's check). */
function floatingPair(op: string, x1: unknown, x2: unknown): [Tensor, Tensor] {
  checkTensor(op, 'x1', x1);
  checkTensor(op, 'x2', x2);
  const shape = broadcastShapes(op, x1.shape, x2.shape);
  const a = x1.expand(shape);
  const b = x2.expand(shape);
  if (!isFloating(a.dtype) && !isFloating(b.dtype)) {
    throw new TypeError(`${op}: expected common dtype to be floating point, yet common dtype is ${a.dtype === 'bool' && b.dtype === 'bool' ? 'Bool' : 'Long'}`);
  }
  return [a, b];
}

/** A value with an identity gradient: PyTorch clamps some norms in place under no_grad, leaving the graph as it was. */
const sameGradient = (x: Tensor, value: Tensor): Tensor => record('ClampMinBackward0', value, [x], (g) => [g]);

/**
 * input / max(||input||_p, eps) along dim, as F.normalize(input, p=2, dim=1, eps=1e-12): the norm kept as a dim of 1
 * and broadcast; differentiable through both (the floor stops the gradient where it applies, as clamp_min).
 * @throws TypeError for an integer or bool input (torch.norm's error)
 * @example F.normalize(torch.tensor([[3, 4]])) // [[0.6, 0.8]]
 */
export function normalize(input: Tensor, p = 2, dim = 1, eps = 1e-12): Tensor {
  checkTensor('normalize', 'input', input);
  checkNumber('normalize', 'p', p);
  checkInt('normalize', 'dim', dim);
  checkNumber('normalize', 'eps', eps);
  if (!isFloating(input.dtype)) throw new TypeError(`normalize: norm(): input dtype should be either floating point or complex. Got ${info(input.dtype).scalarType} instead.`);
  return input.div(norm(input, p, dim, true).clamp(eps, null).expandAs(input));
}

/** The options of cosineSimilarity: the dim to reduce (1) and the norms' floor eps (1e-8). | */
export interface CosineSimilarityOptions {
  dim?: number;
  eps?: number;
}

/**
 * The cosine of the angle between x1 and x2 along dim, as F.cosine_similarity in PyTorch 1.13: each input divided by
 * its norm floored at eps, then their dot product (the floor does not change the gradient, as PyTorch's no-grad clamp).
 * @throws RangeError when the shapes do not broadcast or dim is out of range
 * @example F.cosineSimilarity(torch.tensor([[1, 0]]), torch.tensor([[1, 1]])) // [0.7071]
 */
export function cosineSimilarity(x1: Tensor, x2: Tensor, options: CosineSimilarityOptions = {}): Tensor {
  const op = 'cosineSimilarity';
  const { dim = 1, eps = 1e-8 } = checkOptions(op, options);
  const [a, b] = floatingPair(op, x1, x2);
  normalizeDim(op, dim, a.dim());
  checkNumber(op, 'eps', eps);
  const normalize = (t: Tensor): Tensor => {
    const sq = t.pow(2).sum(dim, true);
    return t.div(sameGradient(sq, noGrad(() => sq.clamp(eps * eps))).sqrt());
  };
  return normalize(a).mul(normalize(b)).sum(dim);
}

/** The options of pairwiseDistance: the norm's p (2), the eps added to the difference (1e-6), keepdim (false). | */
export interface PairwiseDistanceOptions {
  p?: number;
  eps?: number;
  keepdim?: boolean;
}

/**
 * ||x1 - x2 + eps||_p along the last dim, as F.pairwise_distance (eps is added to every difference, as PyTorch does).
 * @throws RangeError when the shapes do not broadcast
 * @example F.pairwiseDistance(torch.tensor([[0, 0]]), torch.tensor([[3, 4]])) // [5.0]
 */
export function pairwiseDistance(x1: Tensor, x2: Tensor, options: PairwiseDistanceOptions = {}): Tensor {
  const op = 'pairwiseDistance';
  const { p = 2, eps = 1e-6 } = checkOptions(op, options);
  checkNumber(op, 'p', p);
  checkNumber(op, 'eps', eps);
  const keepdim = checkBool(op, 'keepdim', options.keepdim, false);
  const [a, b] = floatingPair(op, x1, x2);
  const diff = a.sub(b).add(eps);
  return norm(diff, p, Math.max(diff.dim() - 1, 0), keepdim && diff.dim() > 0);
}

// ---- pixel shuffle ---------------------------------------------------------------------------------------------

/** The input of pixel (un)shuffle: a Tensor of at least 3 dims, and a positive factor (PyTorch's words). */
function checkShuffle(op: string, name: string, x: unknown, factor: unknown): asserts x is Tensor {
  checkTensor(op, 'input', x);
  checkInt(op, name, factor);
  const snake = op === 'pixelShuffle' ? 'pixel_shuffle' : 'pixel_unshuffle';
  if (x.dim() < 3) throw new RangeError(`${op}: ${snake} expects input to have at least 3 dimensions, but got input with ${x.dim()} dimension(s)`);
  if ((factor as number) <= 0) throw new RangeError(`${op}: ${snake} expects a positive ${name === 'upscaleFactor' ? 'upscale_factor' : 'downscale_factor'}, but got ${factor}`);
}

/**
 * Rearranges (*, C r^2, H, W) into (*, C, H r, W r), as F.pixel_shuffle.
 * @throws RangeError for fewer than 3 dims, a factor below 1 or channels not divisible by its square
 * @example F.pixelShuffle(torch.randn(1, 8, 2, 3), 2).shape // [1, 2, 4, 6]
 */
export function pixelShuffle(x: Tensor, upscaleFactor: number): Tensor {
  checkShuffle('pixelShuffle', 'upscaleFactor', x, upscaleFactor);
  const r = upscaleFactor;
  const [c, h, w] = x.shape.slice(-3) as [number, number, number];
  if (c % (r * r) !== 0) {
    throw new RangeError(`pixelShuffle: pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, but input.size(-3)=${c} is not divisible by ${r * r}`);
  }
  const batch = x.shape.slice(0, -3);
  const n = batch.length;
  const oc = c / (r * r);
  return x.reshape([...batch, oc, r, r, h, w]).permute([...batch.map((_, i) => i), n, n + 3, n + 1, n + 4, n + 2]).reshape([...batch, oc, h * r, w * r]);
}

/**
 * Rearranges (*, C, H r, W r) into (*, C r^2, H, W), the inverse of pixelShuffle, as F.pixel_unshuffle.
 * @throws RangeError for fewer than 3 dims, a factor below 1 or a height or width not divisible by it
 * @example F.pixelUnshuffle(torch.randn(1, 2, 4, 6), 2).shape // [1, 8, 2, 3]
 */
export function pixelUnshuffle(x: Tensor, downscaleFactor: number): Tensor {
  checkShuffle('pixelUnshuffle', 'downscaleFactor', x, downscaleFactor);
  const r = downscaleFactor;
  const [c, h, w] = x.shape.slice(-3) as [number, number, number];
  for (const [size, d] of [[h, -2], [w, -1]] as const) {
    if (size % r !== 0) {
      throw new RangeError(`pixelUnshuffle: pixel_unshuffle expects ${d === -2 ? 'height' : 'width'} to be divisible by downscale_factor, but input.size(${d})=${size} is not divisible by ${r}`);
    }
  }
  const batch = x.shape.slice(0, -3);
  const n = batch.length;
  return x.reshape([...batch, c, h / r, r, w / r, r]).permute([...batch.map((_, i) => i), n, n + 2, n + 4, n + 1, n + 3]).reshape([...batch, c * r * r, h / r, w / r]);
}

// ---- interpolate -----------------------------------------------------------------------------------------------

/** The interpolation modes torchlet implements. | */
export type InterpolateMode = 'nearest' | 'nearest-exact' | 'linear' | 'bilinear' | 'area';

/** The options of interpolate, as F.interpolate's keywords: exactly one of size and scaleFactor. | */
export interface InterpolateOptions {
  size?: number | readonly number[] | null;
  scaleFactor?: number | readonly number[] | null;
  mode?: InterpolateMode;
  alignCorners?: boolean | null;
  recomputeScaleFactor?: boolean | null;
}

/**
 * How one spatial dim is resampled: for each output position the two source positions and their weights (PyTorch's
 * compute_source_index_and_lambda), or one source position for the nearest modes.
 */
interface Axis {
  size: number;
  i0: Int32Array;
  i1: Int32Array;
  l0: Float64Array;
  l1: Float64Array;
}

/** The source positions of nearest (PyTorch's nearest_idx, in float as its kernel) or nearest-exact. */
function nearestAxis(inSize: number, outSize: number, scale: number | null, exact: boolean): Axis {
  const a: Axis = { size: inSize, i0: new Int32Array(outSize), i1: new Int32Array(0), l0: new Float64Array(0), l1: new Float64Array(0) };
  const s = Math.fround(scale !== null && scale > 0 ? 1 / scale : Math.fround(inSize) / outSize);
  for (let o = 0; o < outSize; o++) {
    if (exact) a.i0[o] = Math.min(Math.floor(Math.fround(Math.fround(o + 0.5) * s)), inSize - 1);
    else if (outSize === inSize) a.i0[o] = o;
    else if (outSize === 2 * inSize) a.i0[o] = o >> 1;
    else a.i0[o] = Math.min(Math.floor(Math.fround(o * s)), inSize - 1);
  }
  return a;
}

/**
 * The two source positions and weights of linear interpolation, as PyTorch computes them: the ratio in the input's
 * precision (float for float32), the source index in double, the weights rounded back to the input's precision.
 */
function linearAxis(inSize: number, outSize: number, scale: number | null, alignCorners: boolean, single: boolean): Axis {
  const r = single ? Math.fround : (v: number): number => v;
  const a: Axis = { size: inSize, i0: new Int32Array(outSize), i1: new Int32Array(outSize), l0: new Float64Array(outSize), l1: new Float64Array(outSize) };
  let ratio: number;
  if (alignCorners) ratio = outSize > 1 ? r((inSize - 1) / (outSize - 1)) : 0;
  else ratio = scale !== null && scale > 0 ? r(1 / scale) : r(r(inSize) / outSize);
  for (let o = 0; o < outSize; o++) {
    if (outSize === inSize) {
      a.i0[o] = o;
      a.i1[o] = o;
      a.l0[o] = 1;
      a.l1[o] = 0;
      continue;
    }
    let src = alignCorners ? ratio * o : ratio * (o + 0.5) - 0.5;
    if (!alignCorners && src < 0) src = 0;
    const i0 = Math.trunc(src);
    a.i0[o] = i0;
    a.i1[o] = i0 + (i0 < inSize - 1 ? 1 : 0);
    a.l1[o] = r(src - i0);
    a.l0[o] = r(1 - a.l1[o]!);
  }
  return a;
}

/**
 * Resamples `planes` contiguous planes of [rows.size, cols.size] into [rows.i0.length, cols.i0.length] (rows is null
 * for 1-D input), or with `adjoint` adds each output value of src back at its sources in dst (zeroed), with the same
 * weights. Linear weights multiply as PyTorch's Interpolate, (x00 w0 + x01 w1) h0 + (x10 w0 + x11 w1) h1, and its
 * backward adds h0 w0 g, h0 w1 g, h1 w0 g, h1 w1 g in that order.
 */
function resample(src: Storage, dst: Storage, planes: number, rows: Axis | null, cols: Axis, linear: boolean, adjoint: boolean): void {
  const oh = rows ? rows.i0.length : 1;
  const ow = cols.i0.length;
  const w = cols.size;
  const plane = (rows ? rows.size : 1) * w;
  let k = 0;
  for (let p = 0; p < planes; p++) {
    const base = p * plane;
    for (let y = 0; y < oh; y++) {
      const r0 = base + (rows ? rows.i0[y]! * w : 0);
      const r1 = rows && linear ? base + rows.i1[y]! * w : r0;
      const h0 = rows && linear ? rows.l0[y]! : 1;
      const h1 = rows && linear ? rows.l1[y]! : 0;
      for (let x = 0; x < ow; x++, k++) {
        const c0 = cols.i0[x]!;
        if (!linear) {
          if (adjoint) dst[r0 + c0]! += src[k]!;
          else dst[k] = src[r0 + c0]!;
          continue;
        }
        const c1 = cols.i1[x]!;
        const w0 = cols.l0[x]!;
        const w1 = cols.l1[x]!;
        if (!adjoint) {
          const t0 = src[r0 + c0]! * w0 + src[r0 + c1]! * w1;
          dst[k] = rows ? t0 * h0 + (src[r1 + c0]! * w0 + src[r1 + c1]! * w1) * h1 : t0;
          continue;
        }
        const v = src[k]!;
        dst[r0 + c0]! += h0 * w0 * v;
        dst[r0 + c1]! += h0 * w1 * v;
        if (rows) {
          dst[r1 + c0]! += h1 * w0 * v;
          dst[r1 + c1]! += h1 * w1 * v;
        }
      }
    }
  }
}

/** One resampling pass as a node; its backward is the adjoint pass, recorded with this pass as its own backward. */
function resampleNode(name: string, x: Tensor, rows: Axis | null, cols: Axis, linear: boolean): Tensor {
  const spatial = rows ? [rows.i0.length, cols.i0.length] : [cols.i0.length];
  const out = emptyTensor([...x.shape.slice(0, x.dim() - spatial.length), ...spatial], x.dtype);
  const planes = x.shape.slice(0, x.dim() - spatial.length).reduce((s, v) => s * v, 1);
  resample(dense(x), out.data, planes, rows, cols, linear, false);
  return record(name, out, [x], (g) => [resampleBackward(name, g, x.shape, planes, rows, cols, linear)]);
}

function resampleBackward(name: string, g: Tensor, shape: readonly number[], planes: number, rows: Axis | null, cols: Axis, linear: boolean): Tensor {
  const gx = emptyTensor(shape, g.dtype);
  resample(dense(g), gx.data, planes, rows, cols, linear, true);
  return record(name.replace(/0$/, 'Backward0'), gx, [g], (gg) => [resampleNode(name, gg, rows, cols, linear)]);
}

const INTERPOLATE_MODES = 'nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact';

/** F.interpolate's size / scaleFactor argument: one number for every spatial dim, or one per dim. */
function perDim(op: string, name: string, v: number | readonly number[], dims: number, x: Tensor): number[] {
  if (typeof v === 'number') return new Array<number>(dims).fill(v);
  if (!Array.isArray(v)) throw new TypeError(`${op}: expected a number or an array of numbers for '${name}' but received ${describe(v)}`);
  if (v.length !== dims) {
    const what = name === 'size' ? 'output size of' : 'scale_factor of shape';
    throw new RangeError(
      `${op}: Input and ${name === 'size' ? 'output' : 'scale_factor'} must have the same number of spatial dimensions, but got input with spatial dimensions of [${x.shape.slice(2).join(', ')}] and ${what} [${v.join(', ')}].`,
    );
  }
  return [...v] as number[];
}

/**
 * Up- or down-samples the spatial dims of (N, C, L) or (N, C, H, W) input, as F.interpolate: 'nearest',
 * 'nearest-exact' and 'area' (1-D and 2-D), 'linear' (1-D) and 'bilinear' (2-D) with alignCorners; the output is `size`, or the
 * input size times scaleFactor rounded down (the interpolation then uses 1 / scaleFactor unless recomputeScaleFactor).
 * Differentiable to any order (the backward is the resampling's adjoint).
 * @throws RangeError for both or neither of size and scaleFactor, alignCorners with a nearest mode, a mode that does not
 *   fit the input's rank, or an empty spatial input or output, in PyTorch's words
 * @example F.interpolate(torch.randn(1, 1, 2, 2), { scaleFactor: 2, mode: 'bilinear' }).shape // [1, 1, 4, 4]
 */
export function interpolate(input: Tensor, options: InterpolateOptions = {}): Tensor {
  const op = 'interpolate';
  checkTensor(op, 'input', input);
  const { size = null, scaleFactor = null, mode = 'nearest', recomputeScaleFactor = null } = checkOptions(op, options);
  let alignCorners = options.alignCorners ?? null;
  const nearest = mode === 'nearest' || mode === 'nearest-exact';
  if (nearest || mode === 'area') {
    if (alignCorners !== null) throw new RangeError(`${op}: align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear`);
  } else if (mode !== 'linear' && mode !== 'bilinear') {
    throw new RangeError(`${op}: unsupported mode ${describe(mode)}: torchlet implements nearest | nearest-exact | linear | bilinear | area`);
  } else {
    alignCorners = checkBool(op, 'alignCorners', alignCorners ?? undefined, false);
  }
  const dims = input.dim() - 2;
  let outSize: number[];
  let scales: (number | null)[];
  if (size !== null && scaleFactor !== null) throw new RangeError(`${op}: only one of size or scale_factor should be defined`);
  if (size !== null) {
    outSize = perDim(op, 'size', size, Math.max(dims, 0), input).map((s, i) => checkInt(op, `size[${i}]`, s));
    scales = outSize.map(() => null);
    if (recomputeScaleFactor) throw new RangeError(`${op}: recompute_scale_factor is not meaningful with an explicit size.`);
  } else if (scaleFactor !== null) {
    const factors = perDim(op, 'scaleFactor', scaleFactor, Math.max(dims, 0), input).map((s, i) => checkNumber(op, `scaleFactor[${i}]`, s, false));
    outSize = factors.map((s, i) => Math.floor(input.shape[i + 2]! * s));
    scales = recomputeScaleFactor ? factors.map(() => null) : factors;
  } else {
    throw new RangeError(`${op}: either size or scale_factor should be defined`);
  }
  if (mode === 'area' && (dims === 1 || dims === 2)) {
    // PyTorch's area mode is adaptive average pooling to the output size (a scale factor is always recomputed).
    return dims === 1 ? adaptiveAvgPool1d(input, outSize[0]!) : adaptiveAvgPool2d(input, outSize as [number, number]);
  }
  if (!(dims === 1 && (nearest || mode === 'linear')) && !(dims === 2 && (nearest || mode === 'bilinear'))) {
    if (dims === 1 && mode === 'bilinear') throw new RangeError(`${op}: Got 3D input, but bilinear mode needs 4D input`);
    if (dims === 2 && mode === 'linear') throw new RangeError(`${op}: Got 4D input, but linear mode needs 3D input`);
    throw new RangeError(`${op}: Input Error: Only 3D, 4D and 5D input Tensors supported (got ${input.dim()}D) for the modes: ${INTERPOLATE_MODES} (got ${mode}); torchlet implements 3D and 4D`);
  }
  floatInput(op, nearest ? 'compute_indices_weights_nearest' : 'compute_indices_weights_linear', input);
  const inSize = input.shape.slice(2);
  if (inSize.some((s) => s <= 0) || outSize.some((s) => s <= 0)) {
    const names = dims === 1 ? ['W'] : ['H', 'W'];
    const fmt = (v: readonly number[]): string => v.map((s, i) => `${names[i]}: ${s}`).join(', ');
    // PyTorch's 1-D message says 'and output', its 2-D one 'output'.
    throw new RangeError(`${op}: Input and output sizes should be greater than 0, but got input (${fmt(inSize)})${dims === 1 ? ' and' : ''} output (${fmt(outSize)})`);
  }
  if (input.shape[1] === 0) {
    throw new RangeError(`${op}: Non-empty ${input.dim()}D data tensor expected but got a tensor with sizes ${shapeStr(input.shape)}`);
  }
  const single = input.dtype === 'float32';
  const axis = (i: number): Axis =>
    nearest ? nearestAxis(inSize[i]!, outSize[i]!, scales[i]!, mode === 'nearest-exact') : linearAxis(inSize[i]!, outSize[i]!, scales[i]!, alignCorners as boolean, single);
  const name = nearest ? `Upsample${mode === 'nearest' ? 'Nearest' : 'NearestExact'}${dims}DBackward0` : `Upsample${dims === 1 ? 'Linear1D' : 'Bilinear2D'}Backward0`;
  return resampleNode(name, input, dims === 2 ? axis(0) : null, axis(dims - 1), !nearest);
}

// ---- embedding bag --------------------------------------------------------------------------------------------

/** How embeddingBag reduces each bag. | */
export type EmbeddingBagMode = 'sum' | 'mean' | 'max';

/** The options of embeddingBag, as F.embedding_bag's keywords. | */
export interface EmbeddingBagOptions {
  /** The start of each bag in a 1-D input (required for 1-D input, refused for 2-D input). */
  offsets?: Tensor | null;
  mode?: EmbeddingBagMode;
  /** One weight per index (mode 'sum' only), the shape of the input. */
  perSampleWeights?: Tensor | null;
  /** offsets has one more entry, the end of the last bag. */
  includeLastOffset?: boolean;
  /** Indices equal to it are left out of their bag (not counted by 'mean'). */
  paddingIdx?: number | null;
}

/** The integer entries of an index tensor, as plain numbers. */
const intValues = (t: Tensor): Int32Array => dense(t) as Int32Array;

/**
 * Sums, means or maxima of bags of rows of weight, as F.embedding_bag: a 2-D input is a batch of equal bags, a 1-D
 * input is cut into bags at `offsets`. Empty bags (and bags of padding only) give zeros. One recorded node whose
 * gradients are PyTorch's: the bag gradient added to each member row (divided by the bag size for 'mean', only at
 * each feature's argmax for 'max', times the sample weight for 'sum'), and the dot of the bag gradient with the row
 * for perSampleWeights.
 * @throws RangeError / TypeError for the argument combinations F.embedding_bag refuses, offsets that do not start at
 *   0 or run past the input, and indices outside the table, in PyTorch's words
 * @example F.embeddingBag(torch.tensor([[0, 1]], { dtype: 'int64' }), torch.eye(3), { mode: 'sum' }) // [[1, 1, 0]]
 */
export function embeddingBag(input: Tensor, weight: Tensor, options: EmbeddingBagOptions = {}): Tensor {
  const op = 'embeddingBag';
  checkTensor(op, 'input', input);
  checkTensor(op, 'weight', weight);
  const { offsets = null, mode = 'mean', perSampleWeights = null, paddingIdx = null } = checkOptions(op, options);
  const includeLast = checkBool(op, 'includeLastOffset', options.includeLastOffset, false);
  if (input.dtype !== 'int32') throw new TypeError(`${op}: Expected tensor for argument #1 'indices' to have scalar type Long (int32 here); but got ${input.dtype}`);
  if (!isFloating(weight.dtype)) throw new TypeError(`${op}: expected a floating point Tensor for 'weight' but received ${describe(weight)}`);
  if (perSampleWeights !== null) {
    checkTensor(op, 'perSampleWeights', perSampleWeights);
    if (perSampleWeights.dim() !== input.dim() || perSampleWeights.shape.some((s, i) => s !== input.shape[i])) {
      throw new RangeError(
        `${op}: If per_sample_weights (${shapeStr(perSampleWeights.shape)}) is not None, then it must have the same shape as the input (${shapeStr(input.shape)})`,
      );
    }
  }
  if (weight.dim() !== 2) throw new RangeError(`${op}: 'weight' must be 2-D but received ${describe(weight)}`);
  let flat: Tensor;
  let starts: Int32Array;
  if (input.dim() === 2) {
    if (offsets !== null) {
      throw new RangeError(`${op}: if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed length sequences. However, found offsets of type ${describe(offsets)}`);
    }
    const [b, l] = input.shape as [number, number];
    starts = Int32Array.from({ length: b }, (_, i) => i * l);
    flat = input.reshape([-1]);
  } else if (input.dim() === 1) {
    if (offsets === null) throw new RangeError(`${op}: offsets has to be a 1D Tensor but got None`);
    checkTensor(op, 'offsets', offsets);
    if (offsets.dim() !== 1) throw new RangeError(`${op}: offsets has to be a 1D Tensor (got ${shapeStr(offsets.shape)})`);
    if (offsets.dtype !== 'int32') throw new TypeError(`${op}: expected offsets of the input's integer dtype (int32, PyTorch's int64) but received ${describe(offsets)}`);
    starts = intValues(offsets);
    flat = input;
  } else {
    throw new RangeError(`${op}: input has to be 1D or 2D Tensor, but got Tensor of dimension ${input.dim()}`);
  }
  if (mode !== 'sum' && mode !== 'mean' && mode !== 'max') throw new RangeError(`${op}: mode has to be one of sum, mean or max (got ${describe(mode)})`);
  if (perSampleWeights !== null && mode !== 'sum') {
    throw new RangeError(`${op}: embedding_bag: per_sample_weights was not None. per_sample_weights is only supported for mode='sum' (got mode='${mode}'). Please open a feature request on GitHub.`);
  }
  const [n, d] = weight.shape as [number, number];
  let pad = -1;
  if (paddingIdx !== null) {
    checkInt(op, 'paddingIdx', paddingIdx);
    if (paddingIdx < -n || paddingIdx >= n) throw new RangeError(`${op}: padding_idx must be within the number of embeddings, -${n} through ${n - 1}, but got ${paddingIdx}`);
    pad = paddingIdx < 0 ? paddingIdx + n : paddingIdx;
  }
  const idx = intValues(flat);
  const count = idx.length;
  const bags = includeLast ? Math.max(starts.length - 1, 0) : starts.length;
  if (starts.length > 0) {
    if (starts[0] !== 0) throw new RangeError(`${op}: offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from position 0. However, got ${starts[0]}`);
    const last = starts[starts.length - 1]!;
    if (last > count) throw new RangeError(`${op}: offsets[-1] can not be greater than input's length ${count} but got offsets[-1] of ${last}`);
    for (let b = 1; b < starts.length; b++) {
      if (starts[b]! < starts[b - 1]!) throw new RangeError(`${op}: offsets must be non-decreasing, but offsets[${b}] = ${starts[b]} < offsets[${b - 1}] = ${starts[b - 1]}`);
    }
  }
  idx.forEach((i, k) => {
    if (i < 0 || i >= n) throw new RangeError(`${op}: Index ${k} is out of bounds: ${i}, range 0 to ${n}`);
  });
  // Bag b holds the entries [lo(b), hi(b)).
  const lo = (b: number): number => starts[b]!;
  const hi = (b: number): number => (b + 1 < starts.length ? starts[b + 1]! : count);
  const W = dense(weight);
  const psw = perSampleWeights ? dense(perSampleWeights.reshape([-1])) : null;
  const out = emptyTensor([bags, d], weight.dtype);
  const o = out.data;
  const argmax = mode === 'max' ? new Int32Array(bags * d).fill(-1) : null;
  const sizes = new Float64Array(bags);
  for (let b = 0; b < bags; b++) {
    for (let k = lo(b); k < hi(b); k++) {
      const row = idx[k]!;
      if (row === pad) continue;
      sizes[b]!++;
      for (let j = 0; j < d; j++) {
        const v = W[row * d + j]!;
        if (argmax) {
          if (argmax[b * d + j]! < 0 || v > o[b * d + j]!) {
            o[b * d + j] = v;
            argmax[b * d + j] = row;
          }
        } else {
          o[b * d + j]! += psw ? psw[k]! * v : v;
        }
      }
    }
    if (mode === 'mean' && sizes[b]! > 0) for (let j = 0; j < d; j++) o[b * d + j]! /= sizes[b]!;
  }
  return record('EmbeddingBagBackward0', out, [weight, perSampleWeights], (g, needs) => {
    const gd = dense(g.contiguous());
    let gw: Tensor | null = null;
    if (needs[0]) {
      gw = emptyTensor(weight.shape, g.dtype);
      const a = gw.data;
      for (let b = 0; b < bags; b++) {
        if (argmax) {
          for (let j = 0; j < d; j++) if (argmax[b * d + j]! >= 0) a[argmax[b * d + j]! * d + j]! += gd[b * d + j]!;
          continue;
        }
        for (let k = lo(b); k < hi(b); k++) {
          const row = idx[k]!;
          if (row === pad) continue;
          const scale = psw ? psw[k]! : mode === 'mean' ? 1 / sizes[b]! : 1;
          for (let j = 0; j < d; j++) a[row * d + j]! += gd[b * d + j]! * scale;
        }
      }
    }
    let gp: Tensor | null = null;
    if (needs[1] && perSampleWeights) {
      gp = emptyTensor([count], g.dtype);
      for (let b = 0; b < bags; b++) {
        for (let k = lo(b); k < hi(b); k++) {
          const row = idx[k]!;
          if (row === pad) continue;
          let s = 0;
          for (let j = 0; j < d; j++) s += gd[b * d + j]! * W[row * d + j]!;
          gp.data[k] = s;
        }
      }
      gp = gp.view(perSampleWeights.shape);
    }
    return [gw, gp];
  });
}

// ---- instance norm ---------------------------------------------------------------------------------------------

/** The options of instanceNorm, as F.instance_norm's keywords. | */
export interface InstanceNormOptions {
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** Normalize with each instance's statistics (true, the default) or with the running ones. */
  useInputStats?: boolean;
  momentum?: number;
  eps?: number;
}

/** The per-instance mean, biased variance, centered input and 1 / sqrt(variance + eps) over dims. */
function instanceStats(x: Tensor, dims: readonly number[], eps: number): { mean: Tensor; variance: Tensor; centered: Tensor; invstd: Tensor } {
  const mean = x.mean(dims, true);
  const centered = x.sub(mean);
  const variance = centered.square().mean(dims, true);
  return { mean, variance, centered, invstd: variance.add(eps).rsqrt() };
}

/**
 * (x - mean) / sqrt(var + eps) over dims as one node with batch norm's input gradient, as PyTorch computes instance
 * norm: (g - mean(g) - (x - mean) mean((x - mean) g) invstd^2) invstd. The statistics are recomputed from x inside
 * the backward, so it is differentiable again.
 */
function standardizeNode(x: Tensor, dims: readonly number[], eps: number): Tensor {
  const out = noGrad(() => {
    const { centered, invstd } = instanceStats(x, dims, eps);
    return centered.mul(invstd);
  });
  return record('NativeBatchNormBackward0', out, [x], (g) => {
    const { centered, invstd } = instanceStats(x, dims, eps);
    const k = centered.mul(g).mean(dims, true).mul(invstd.square());
    return [g.sub(g.mean(dims, true)).sub(centered.mul(k)).mul(invstd)];
  });
}

/**
 * Normalizes each channel of each sample over its spatial dims, then scales and shifts per channel, as
 * F.instance_norm; with useInputStats and running statistics these are updated with the batch mean of the
 * per-instance means and unbiased variances.
 * @throws RangeError for fewer than 3 dims, per-channel tensors of the wrong size, or a single spatial value
 * @example F.instanceNorm(torch.randn(2, 3, 5)).shape // [2, 3, 5]
 */
export function instanceNorm(x: Tensor, options: InstanceNormOptions = {}): Tensor {
  const op = 'instanceNorm';
  floatInput(op, 'batch_norm', x);
  const { runningMean = null, runningVar = null, weight = null, bias = null, momentum = 0.1, eps = 1e-5 } = checkOptions(op, options);
  const useInputStats = checkBool(op, 'useInputStats', options.useInputStats, true);
  checkNumber(op, 'momentum', momentum);
  checkNumber(op, 'eps', eps);
  if (x.dim() < 3) throw new RangeError(`${op}: expected an input of 3 or more dims (N, C, ...) but received ${describe(x)}`);
  const c = x.shape[1]!;
  // PyTorch repeats the per-channel tensors over the batch (its message counts the repeated elements).
  const b = x.shape[0]!;
  for (const [name, t] of [['running_mean', runningMean], ['running_var', runningVar], ['weight', weight], ['bias', bias]] as const) {
    if (t === null) continue;
    checkTensor(op, name, t);
    if (t.numel() !== c) throw new RangeError(`${op}: ${name} should contain ${b * c} elements not ${b * t.numel()}`);
  }
  const spatial = x.shape.slice(2).map((_, i) => i + 2);
  const view = [1, c, ...spatial.map(() => 1)];
  let out: Tensor;
  if (useInputStats) {
    const per = x.shape.slice(2).reduce((s, v) => s * v, 1);
    if (per <= 1) throw new RangeError(`${op}: Expected more than 1 spatial element when training, got input size ${shapeStr(x.shape)}`);
    const { mean, variance } = noGrad(() => instanceStats(x, spatial, eps));
    out = standardizeNode(x, spatial, eps);
    noGrad(() => {
      const m = 1 - momentum;
      if (runningMean) runningMean.mul_(m).add_(mean.reshape([-1, c]).mean(0).view(runningMean.shape), momentum);
      if (runningVar) runningVar.mul_(m).add_(variance.reshape([-1, c]).mean(0).mul(per / (per - 1)).view(runningVar.shape), momentum);
    });
  } else {
    if (!runningMean || !runningVar) throw new RangeError(`${op}: Expected running_mean and running_var to be defined when use_input_stats is false`);
    out = x.sub(runningMean.view(view)).mul(runningVar.view(view).add(eps).rsqrt());
  }
  if (weight) out = out.mul(weight.view(view));
  if (bias) out = out.add(bias.view(view));
  return out;
}

// ---- 1-D adaptive pooling --------------------------------------------------------------------------------------

/** The input of a 1-D adaptive pool: 2 or 3 dims, and an output length of at least 1 (PyTorch's words). */
function adaptive1d(op: string, x: unknown, outputSize: unknown): number {
  checkTensor(op, 'input', x);
  const size = checkInt(op, 'outputSize', Array.isArray(outputSize) && outputSize.length === 1 ? outputSize[0] : outputSize, 1);
  if (x.dim() !== 2 && x.dim() !== 3) {
    const name = op === 'adaptiveAvgPool1d' ? 'adaptive_avg_pool1d' : 'adaptive_max_pool1d';
    throw new RangeError(`${op}: Expected 2 to 3 dimensions, but got ${x.dim()}-dimensional tensor for argument #1 'self' (while checking arguments for ${name})`);
  }
  return size;
}

/**
 * Averages over windows chosen so the output has length outputSize, as F.adaptive_avg_pool1d.
 * @example F.adaptiveAvgPool1d(torch.tensor([[[1, 2, 3, 4]]]), 2) // [[[1.5, 3.5]]]
 */
export function adaptiveAvgPool1d(input: Tensor, outputSize: number | readonly [number]): Tensor {
  const size = adaptive1d('adaptiveAvgPool1d', input, outputSize);
  return adaptiveAvgPool2d(input.unsqueeze(-2), [1, size]).squeeze(-2);
}

/**
 * Maxima over windows chosen so the output has length outputSize, as F.adaptive_max_pool1d; with returnIndices also
 * the position of each maximum along the length.
 * @example F.adaptiveMaxPool1d(torch.tensor([[[1, 4, 3, 2]]]), 2) // [[[4, 3]]]
 */
export function adaptiveMaxPool1d(input: Tensor, outputSize: number | readonly [number], returnIndices: true): [Tensor, Tensor];
export function adaptiveMaxPool1d(input: Tensor, outputSize: number | readonly [number], returnIndices?: false): Tensor;
export function adaptiveMaxPool1d(input: Tensor, outputSize: number | readonly [number], returnIndices = false): Tensor | [Tensor, Tensor] {
  const size = adaptive1d('adaptiveMaxPool1d', input, outputSize);
  const [out, idx] = adaptiveMaxPool2d(input.unsqueeze(-2), [1, size], true) as [Tensor, Tensor];
  return checkBool('adaptiveMaxPool1d', 'returnIndices', returnIndices, false) ? [out.squeeze(-2), idx.squeeze(-2)] : out.squeeze(-2);
}
