/**
 * The embedding, ranking, margin and likelihood losses of torch.nn.functional (PyTorch 1.13's Loss.cpp and
 * functional.py), as compositions of ops; re-exported by nn.functional.
 */
import type { Tensor } from '../tensor';
import * as ops from '../ops/pointwise';
import { where } from '../ops/elementwise';
import { arange } from '../ops/creation';
import { record } from '../autograd/record';
import { isGradEnabled, noGrad } from '../autograd/grad_mode';
import { broadcastShapes, sameShape, shapeStr } from '../shape';
import { checkBool, checkNumber, checkOptions, checkTensor } from '../validate';
import { logsigmoid, pairwiseDistance } from './functional_layers';

/** nn.functional's Reduction, spelled out in the exported options (importing it would be an import cycle). */
type Reduction = 'none' | 'mean' | 'sum';

/** The reduction option, checked as PyTorch's _Reduction.get_enum (two losses word the error differently). */
function reductionOf(op: string, reduction: unknown, message = 'is not a valid value for reduction'): Reduction {
  const r = reduction ?? 'mean';
  if (r !== 'none' && r !== 'mean' && r !== 'sum') throw new RangeError(`${op}: ${String(r)} ${message}`);
  return r;
}

function reduced(loss: Tensor, reduction: Reduction): Tensor {
  return reduction === 'none' ? loss : reduction === 'sum' ? loss.sum() : loss.mean();
}

/** A tensor that PyTorch's kernel combines in place into `input`'s shape: it must broadcast to it without growing. */
function checkFits(op: string, name: string, t: Tensor, input: Tensor): void {
  const shape = broadcastShapes(op, input.shape, t.shape);
  if (!sameShape(shape, input.shape)) {
    throw new RangeError(`${op}: output with shape ${shapeStr(input.shape)} doesn't match the broadcast shape ${shapeStr(shape)} (${name} ${shapeStr(t.shape)})`);
  }
}

/** The options of the margin losses: the margin and PyTorch's reduction keyword. | */
export interface MarginLossOptions {
  /** The margin (default 0, or 1 for hingeEmbeddingLoss and tripletMarginLoss). */
  margin?: number;
  reduction?: 'none' | 'mean' | 'sum';
}

const COSINE_EPS = 1e-12;

/**
 * 1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where it is -1 (0 elsewhere), cosines along the
 * last dim of [N, D] inputs with a [N] target (or [D] inputs with a 0-dim target), as F.cosine_embedding_loss.
 * @throws RangeError for a target of more than one dim or inputs of the wrong rank, in PyTorch's words
 * @example F.cosineEmbeddingLoss(torch.tensor([[1, 0]]), torch.tensor([[0, 1]]), torch.tensor([1])) // 1
 */
export function cosineEmbeddingLoss(input1: Tensor, input2: Tensor, target: Tensor, options: MarginLossOptions = {}): Tensor {
  const op = 'cosineEmbeddingLoss';
  checkTensor(op, 'input1', input1);
  checkTensor(op, 'input2', input2);
  checkTensor(op, 'target', target);
  const o = checkOptions(op, options);
  const margin = checkNumber(op, 'margin', o.margin ?? 0);
  const reduction = reductionOf(op, o.reduction);
  const d = target.dim();
  if (d > 1) throw new RangeError(`${op}: 0D or 1D target tensor expected, multi-target not supported`);
  if (input1.dim() !== d + 1 || input2.dim() !== d + 1) {
    throw new RangeError(`${op}: ${d}D target tensor expects ${d + 1}D input tensors, but found inputs with sizes ${shapeStr(input1.shape)} and ${shapeStr(input2.shape)}.`);
  }
  broadcastShapes(op, input1.shape, input2.shape);
  const prod = input1.mul(input2).sum(d);
  const mag1 = input1.mul(input1).sum(d).add(COSINE_EPS);
  const mag2 = input2.mul(input2).sum(d).add(COSINE_EPS);
  const cos = prod.div(mag1.mul(mag2).sqrt());
  broadcastShapes(op, target.shape, cos.shape);
  const pos = where(target.eq(1), ops.sub(1, cos), 0);
  const neg = where(target.eq(-1), cos.sub(margin).clamp(0), 0);
  return reduced(pos.add(neg), reduction);
}

/**
 * max(0, -target (x1 - x2) + margin) elementwise (broadcast), as F.margin_ranking_loss.
 * @throws RangeError unless the three tensors have the same number of dims, in PyTorch's words
 * @example F.marginRankingLoss(torch.tensor([1]), torch.tensor([2]), torch.tensor([1])) // 1
 */
export function marginRankingLoss(input1: Tensor, input2: Tensor, target: Tensor, options: MarginLossOptions = {}): Tensor {
  const op = 'marginRankingLoss';
  checkTensor(op, 'input1', input1);
  checkTensor(op, 'input2', input2);
  checkTensor(op, 'target', target);
  const o = checkOptions(op, options);
  const margin = checkNumber(op, 'margin', o.margin ?? 0);
  const reduction = reductionOf(op, o.reduction);
  if (input1.dim() !== input2.dim() || input1.dim() !== target.dim()) {
    throw new RangeError(
      `${op}: All input tensors should have same dimension but got sizes: input1: ${shapeStr(input1.shape)}, input2: ${shapeStr(input2.shape)}, target: ${shapeStr(target.shape)}`,
    );
  }
  broadcastShapes(op, target.shape, broadcastShapes(op, input1.shape, input2.shape));
  return reduced(target.neg().mul(input1.sub(input2)).add(margin).clamp(0), reduction);
}

/** The options of tripletMarginLoss: margin (default 1), the norm's p (default 2), eps, swap and the reduction. | */
export interface TripletMarginLossOptions extends MarginLossOptions {
  /** The norm of the distances (default 2). */
  p?: number;
  /** Added to the differences before the norm (default 1e-6). */
  eps?: number;
  /** Use the smaller of d(anchor, negative) and d(positive, negative), as the distance swap of Balntas et al. */
  swap?: boolean;
}

/**
 * max(0, margin + d(anchor, positive) - d(anchor, negative)) with d the pairwise p-norm distance over the last dim,
 * as F.triplet_margin_loss.
 * @throws RangeError unless the three tensors have the same number of dims, in PyTorch's words
 * @example F.tripletMarginLoss(torch.tensor([[0, 0]]), torch.tensor([[0, 1]]), torch.tensor([[0, 2]])) // 0
 */
export function tripletMarginLoss(anchor: Tensor, positive: Tensor, negative: Tensor, options: TripletMarginLossOptions = {}): Tensor {
  const op = 'tripletMarginLoss';
  checkTensor(op, 'anchor', anchor);
  checkTensor(op, 'positive', positive);
  checkTensor(op, 'negative', negative);
  const o = checkOptions(op, options);
  const margin = checkNumber(op, 'margin', o.margin ?? 1);
  const p = checkNumber(op, 'p', o.p ?? 2, false);
  const eps = checkNumber(op, 'eps', o.eps ?? 1e-6);
  const swap = checkBool(op, 'swap', o.swap, false);
  const reduction = reductionOf(op, o.reduction);
  if (anchor.dim() !== positive.dim() || anchor.dim() !== negative.dim()) {
    throw new RangeError(`${op}: All inputs should have same dimension but got ${anchor.dim()}D, ${positive.dim()}D and ${negative.dim()}D inputs.`);
  }
  if (anchor.dim() === 0) throw new RangeError(`${op}: expected inputs of at least 1 dim (the distances run over the last), but got 0-dim ones`);
  const distPos = pairwiseDistance(anchor, positive, { p, eps });
  let distNeg = pairwiseDistance(anchor, negative, { p, eps });
  if (swap) distNeg = ops.minimum(distNeg, pairwiseDistance(positive, negative, { p, eps }));
  return reduced(distPos.sub(distNeg).add(margin).clamp(0), reduction);
}

/** The options of poissonNllLoss, as PyTorch's keywords. | */
export interface PoissonNllLossOptions {
  /** The input is log(rate) (default): loss exp(input) - target input; else input - target log(input + eps). */
  logInput?: boolean;
  /** Add Stirling's approximation of log(target!) where target > 1. */
  full?: boolean;
  /** Keeps log(input + eps) finite when logInput is false (default 1e-8). */
  eps?: number;
  reduction?: 'none' | 'mean' | 'sum';
}

/**
 * The negative log likelihood of target under Poisson(input), as F.poisson_nll_loss (input and target broadcast).
 * @example F.poissonNllLoss(torch.tensor([0]), torch.tensor([1])) // 1
 */
export function poissonNllLoss(input: Tensor, target: Tensor, options: PoissonNllLossOptions = {}): Tensor {
  const op = 'poissonNllLoss';
  checkTensor(op, 'input', input);
  checkTensor(op, 'target', target);
  const o = checkOptions(op, options);
  const logInput = checkBool(op, 'logInput', o.logInput, true);
  const full = checkBool(op, 'full', o.full, false);
  const eps = checkNumber(op, 'eps', o.eps ?? 1e-8);
  const reduction = reductionOf(op, o.reduction);
  broadcastShapes(op, target.shape, input.shape);
  let loss = logInput ? input.exp().sub(target.mul(input)) : input.sub(target.mul(input.add(eps).log()));
  if (full) {
    const stirling = target.mul(target.log()).sub(target).add(target.mul(2 * Math.PI).log().mul(0.5));
    loss = loss.add(where(target.le(1), 0, stirling));
  }
  return reduced(loss, reduction);
}

/** The options of gaussianNllLoss, as PyTorch's keywords. | */
export interface GaussianNllLossOptions {
  /** Add the constant 0.5 log(2 pi). */
  full?: boolean;
  /** The smallest variance used (default 1e-6); smaller ones are clamped to it, the gradient passing through. */
  eps?: number;
  reduction?: 'none' | 'mean' | 'sum';
}

/**
 * 0.5 (log var + (input - target)^2 / var), with var clamped at eps (without cutting its gradient), as
 * F.gaussian_nll_loss. var has input's shape, or input's without the last dim, or with a last dim of 1.
 * @throws RangeError when var has another shape or a negative entry, in PyTorch's words
 * @example F.gaussianNllLoss(torch.tensor([1]), torch.tensor([1]), torch.tensor([1])) // 0
 */
export function gaussianNllLoss(input: Tensor, target: Tensor, variance: Tensor, options: GaussianNllLossOptions = {}): Tensor {
  const op = 'gaussianNllLoss';
  checkTensor(op, 'input', input);
  checkTensor(op, 'target', target);
  checkTensor(op, 'var', variance);
  const o = checkOptions(op, options);
  const full = checkBool(op, 'full', o.full, false);
  const eps = checkNumber(op, 'eps', o.eps ?? 1e-6);
  let v = variance;
  if (!sameShape(v.shape, input.shape)) {
    const batch = input.shape.slice(0, -1);
    if (input.dim() > 0 && sameShape(batch, v.shape)) v = v.unsqueeze(-1);
    else if (!(input.dim() > 0 && v.dim() > 0 && sameShape(batch, v.shape.slice(0, -1)) && v.shape[v.dim() - 1] === 1)) {
      throw new RangeError(`${op}: var is of incorrect size (var ${shapeStr(variance.shape)}, input ${shapeStr(input.shape)})`);
    }
  }
  const reduction = reductionOf(op, o.reduction, 'is not valid');
  if (noGrad(() => v.lt(0).any().item())) throw new RangeError(`${op}: var has negative entry/entries`);
  // PyTorch clamps a clone in place under no_grad: the values are clamped, the gradient goes to var unchanged.
  const clamped = record('CloneBackward0', noGrad(() => v.clamp(eps)), [v], (g) => [g]);
  let loss = clamped.log().add(input.sub(target).square().div(clamped)).mul(0.5);
  if (full) loss = loss.add(0.5 * Math.log(2 * Math.PI));
  return reduced(loss, reduction);
}

/**
 * input where target is 1, max(0, margin - input) where it is -1 (margin default 1), as F.hinge_embedding_loss.
 * @example F.hingeEmbeddingLoss(torch.tensor([0.3, 2]), torch.tensor([-1, 1])) // (0.7 + 2) / 2
 */
export function hingeEmbeddingLoss(input: Tensor, target: Tensor, options: MarginLossOptions = {}): Tensor {
  const op = 'hingeEmbeddingLoss';
  checkTensor(op, 'input', input);
  checkTensor(op, 'target', target);
  const o = checkOptions(op, options);
  const margin = checkNumber(op, 'margin', o.margin ?? 1);
  const reduction = reductionOf(op, o.reduction);
  broadcastShapes(op, target.shape, input.shape);
  const marginPart = where(target.ne(1), ops.sub(margin, input).clamp(0), 0);
  return reduced(marginPart.add(where(target.ne(-1), input, 0)), reduction);
}

/**
 * log(1 + exp(-target input)) elementwise, as F.soft_margin_loss (target broadcasts to input's shape).
 * @throws RangeError when target requires grad (PyTorch has no gradient for it) or would grow input's shape
 * @example F.softMarginLoss(torch.tensor([0]), torch.tensor([1])) // 0.6931
 */
export function softMarginLoss(input: Tensor, target: Tensor, options: { reduction?: 'none' | 'mean' | 'sum' } = {}): Tensor {
  const op = 'softMarginLoss';
  checkTensor(op, 'input', input);
  checkTensor(op, 'target', target);
  const reduction = reductionOf(op, checkOptions(op, options).reduction);
  checkFits(op, 'target', target, input);
  if (target.requiresGrad && isGradEnabled()) {
    throw new RangeError(`${op}: The function 'soft_margin_loss' is not differentiable with respect to argument 'target'. This input cannot have requires_grad True.`);
  }
  return reduced(input.neg().mul(target).exp().log1p(), reduction);
}

/** The options of the losses with per-class weights: the weight and PyTorch's reduction keyword. | */
export interface WeightedLossOptions {
  /** A rescaling weight per class, broadcast against the loss. */
  weight?: Tensor | null;
  reduction?: 'none' | 'mean' | 'sum';
}

/**
 * -(y log sigmoid(x) + (1 - y) log sigmoid(-x)) averaged over the classes (the last dim), with class weights, as
 * F.multilabel_soft_margin_loss.
 * @example F.multilabelSoftMarginLoss(torch.tensor([[0, 0]]), torch.tensor([[1, 0]])) // 0.6931
 */
export function multilabelSoftMarginLoss(input: Tensor, target: Tensor, options: WeightedLossOptions = {}): Tensor {
  const op = 'multilabelSoftMarginLoss';
  checkTensor(op, 'input', input);
  checkTensor(op, 'target', target);
  const o = checkOptions(op, options);
  const weight = o.weight ?? null;
  if (weight !== null) checkTensor(op, 'weight', weight);
  if (input.dim() === 0) throw new RangeError(`${op}: expected an input with a class dim (its last) but got a 0-dim one`);
  broadcastShapes(op, input.shape, target.shape);
  let loss = target.mul(logsigmoid(input)).add(ops.sub(1, target).mul(logsigmoid(input.neg()))).neg();
  if (weight) loss = loss.mul(weight);
  const classDim = input.dim() - 1;
  loss = loss.sum(classDim).div(input.shape[classDim]!);
  return reduced(loss, reductionOf(op, o.reduction, 'is not valid'));
}

/** The options of multiMarginLoss: p (1 or 2), margin, class weights and the reduction. | */
export interface MultiMarginLossOptions extends WeightedLossOptions {
  /** 1 (default) or 2: the hinge is raised to this power. */
  p?: number;
  /** The margin (default 1). */
  margin?: number;
}

/**
 * The multi-class hinge loss sum_{j != y} max(0, margin - x[y] + x[j])^p / C (times weight[y]), for input [N, C] or
 * [C] and class indices (int32, PyTorch's int64), as F.multi_margin_loss.
 * @throws RangeError in PyTorch's words: p not 1 or 2, a weight not 1-D, input shape, target size, a class out of range
 * @example F.multiMarginLoss(torch.tensor([[0, 1]]), torch.tensor([0], { dtype: 'int32' })) // 1
 */
export function multiMarginLoss(input: Tensor, target: Tensor, options: MultiMarginLossOptions = {}): Tensor {
  const op = 'multiMarginLoss';
  checkTensor(op, 'input', input);
  checkTensor(op, 'target', target);
  const o = checkOptions(op, options);
  const p = checkNumber(op, 'p', o.p ?? 1);
  const margin = checkNumber(op, 'margin', o.margin ?? 1);
  const weight = o.weight ?? null;
  if (p !== 1 && p !== 2) throw new RangeError(`${op}: only p == 1 and p == 2 supported`);
  if (weight !== null) {
    checkTensor(op, 'weight', weight);
    if (weight.dim() !== 1) throw new RangeError(`${op}: weight must be one-dimensional`);
  }
  const reduction = reductionOf(op, o.reduction);
  const n = input.dim();
  if (!((n === 2 && input.shape[1] !== 0) || (n === 1 && input.shape[0] !== 0) || n === 0)) {
    throw new RangeError(`${op}: Expected non-empty vector or matrix with optional 0-dim batch size, but got: ${shapeStr(input.shape)}`);
  }
  if (target.dtype !== 'int32') throw new TypeError(`${op}: expected scalar type Long but found ${target.dtype} (target must hold class indices, int32 in torchlet)`);
  const frames = n <= 1 ? 1 : input.shape[0]!;
  const classes = n === 0 ? 1 : input.shape[n - 1]!;
  if (target.dim() > 1 || target.numel() !== frames) throw new RangeError(`${op}: inconsistent target size, got: ${shapeStr(target.shape)}`);
  if (weight !== null && weight.numel() !== classes) throw new RangeError(`${op}: inconsistent weight size, expected ${classes} but got ${shapeStr(weight.shape)}`);
  const t = target.reshape(frames, 1);
  if (noGrad(() => t.lt(0).logicalOr(t.ge(classes)).any().item())) throw new RangeError(`${op}: target out of range`);
  const x = input.reshape(frames, classes);
  let z = ops.sub(margin, x.gather(1, t)).add(x).clamp(0);
  if (p === 2) z = z.mul(z);
  if (weight) z = z.mul(weight.gather(0, t.reshape(-1)).unsqueeze(1));
  // The target's own class does not count.
  const own = t.eq(arange(0, classes, 1, { dtype: 'int32' }));
  const loss = where(own, 0, z).sum(1).div(classes);
  return reduced(n <= 1 ? loss.reshape(target.shape) : loss, reduction);
}
