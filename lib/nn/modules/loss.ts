/**
 * Loss modules (torch/nn/modules/loss.py): each keeps its options (PyTorch's keywords, camelCased) and calls the
 * functional loss. Class weights are registered buffers under PyTorch's names (`weight`, `pos_weight`), so they
 * follow Module.to() and appear in the state dict as in PyTorch.
 */
import type { Tensor } from '../../tensor';
import { Module } from './module';
import * as F from '../functional';
import type { Reduction } from '../functional';
import { checkBool, checkInt, checkNumber, checkOptions, checkTensor } from '../../validate';

/** The options every loss module takes: PyTorch's reduction keyword ('mean' by default). | */
export interface LossModuleOptions {
  reduction?: Reduction;
}

/** The options of the loss modules with class weights (registered as the `weight` buffer). | */
export interface WeightedLossModuleOptions extends LossModuleOptions {
  weight?: Tensor | null;
}

/** A loss module's options object (a TypeError naming the module unless a plain object or undefined). */
const optionsOf = <O extends LossModuleOptions>(op: string, options: O | undefined): O => checkOptions(op, options);

/** The reduction option (checked by the functional loss when it runs, as in PyTorch). */
const reductionOf = (o: LossModuleOptions): Reduction => o.reduction ?? 'mean';

/** A tensor option kept as a buffer: a Tensor, or null when absent. */
function bufferOf(op: string, name: string, v: unknown): Tensor | null {
  if (v === undefined || v === null) return null;
  checkTensor(op, name, v);
  return v;
}

/** mean(|input - target|), as torch.nn.L1Loss. @example new nn.L1Loss().forward(torch.tensor([1, 2]), torch.tensor([2, 4])) // 1.5 */
export class L1Loss extends Module {
  readonly reduction: Reduction;
  constructor(options: LossModuleOptions = {}) {
    super();
    const o = optionsOf('L1Loss', options);
    this.reduction = reductionOf(o);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.l1Loss(input, target, { reduction: this.reduction });
  }
}

/** mean((input - target)^2), as torch.nn.MSELoss. @example new nn.MSELoss().forward(torch.tensor([1, 2]), torch.tensor([2, 4])) // 2.5 */
export class MSELoss extends Module {
  readonly reduction: Reduction;
  constructor(options: LossModuleOptions = {}) {
    super();
    const o = optionsOf('MSELoss', options);
    this.reduction = reductionOf(o);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.mseLoss(input, target, { reduction: this.reduction });
  }
}

/**
 * The smooth L1 loss with threshold beta (default 1), as torch.nn.SmoothL1Loss.
 * @example new nn.SmoothL1Loss({ beta: 0.5 }).forward(torch.tensor([0]), torch.tensor([2])) // 1.75
 */
export class SmoothL1Loss extends Module {
  readonly reduction: Reduction;
  readonly beta: number;
  constructor(options: LossModuleOptions & { beta?: number } = {}) {
    super();
    const o = optionsOf('SmoothL1Loss', options);
    this.reduction = reductionOf(o);
    this.beta = checkNumber('SmoothL1Loss', 'beta', o.beta ?? 1);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

/**
 * The Huber loss with threshold delta (default 1), as torch.nn.HuberLoss.
 * @example new nn.HuberLoss().forward(torch.tensor([0]), torch.tensor([3])) // 2.5
 */
export class HuberLoss extends Module {
  readonly reduction: Reduction;
  readonly delta: number;
  constructor(options: LossModuleOptions & { delta?: number } = {}) {
    super();
    const o = optionsOf('HuberLoss', options);
    this.reduction = reductionOf(o);
    this.delta = checkNumber('HuberLoss', 'delta', o.delta ?? 1);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

/**
 * KL divergence of log-probability input against target (probabilities, or log-probabilities with logTarget), as
 * torch.nn.KLDivLoss; reduction may also be 'batchmean'.
 * @example new nn.KLDivLoss({ reduction: 'batchmean' }).forward(torch.log(torch.tensor([[0.5, 0.5]])), torch.tensor([[0.5, 0.5]])) // 0
 */
export class KLDivLoss extends Module {
  readonly reduction: Reduction | 'batchmean';
  readonly logTarget: boolean;
  constructor(options: { reduction?: Reduction | 'batchmean'; logTarget?: boolean } = {}) {
    super();
    const o = checkOptions('KLDivLoss', options);
    this.reduction = o.reduction ?? 'mean';
    this.logTarget = checkBool('KLDivLoss', 'logTarget', o.logTarget, false);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
}

/**
 * The negative log likelihood of class indices given log-probabilities, with class weights and an ignored index,
 * as torch.nn.NLLLoss.
 * @example new nn.NLLLoss().forward(torch.log(torch.tensor([[0.5, 0.5]])), torch.tensor([0], { dtype: 'int64' })) // 0.6931
 */
export class NLLLoss extends Module {
  declare weight: Tensor | null;
  readonly reduction: Reduction;
  readonly ignoreIndex: number;
  constructor(options: WeightedLossModuleOptions & { ignoreIndex?: number } = {}) {
    super();
    const o = optionsOf('NLLLoss', options);
    this.reduction = reductionOf(o);
    this.registerBuffer('weight', bufferOf('NLLLoss', 'weight', o.weight));
    this.ignoreIndex = checkInt('NLLLoss', 'ignoreIndex', o.ignoreIndex ?? -100);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.nllLoss(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }
}

/**
 * Cross entropy of logits against class indices or probabilities, with class weights, an ignored index and label
 * smoothing, as torch.nn.CrossEntropyLoss.
 * @example new nn.CrossEntropyLoss({ labelSmoothing: 0.1 }).forward(torch.tensor([[0, 0]]), torch.tensor([1], { dtype: 'int64' })) // 0.6931
 */
export class CrossEntropyLoss extends Module {
  declare weight: Tensor | null;
  readonly reduction: Reduction;
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  constructor(options: WeightedLossModuleOptions & { ignoreIndex?: number; labelSmoothing?: number } = {}) {
    super();
    const o = optionsOf('CrossEntropyLoss', options);
    this.reduction = reductionOf(o);
    this.registerBuffer('weight', bufferOf('CrossEntropyLoss', 'weight', o.weight));
    this.ignoreIndex = checkInt('CrossEntropyLoss', 'ignoreIndex', o.ignoreIndex ?? -100);
    this.labelSmoothing = checkNumber('CrossEntropyLoss', 'labelSmoothing', o.labelSmoothing ?? 0);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.crossEntropy(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction, labelSmoothing: this.labelSmoothing });
  }
}

/**
 * Binary cross entropy of probabilities, with an elementwise weight, as torch.nn.BCELoss.
 * @example new nn.BCELoss().forward(torch.tensor([0.5]), torch.tensor([1])) // 0.6931
 */
export class BCELoss extends Module {
  declare weight: Tensor | null;
  readonly reduction: Reduction;
  constructor(options: WeightedLossModuleOptions = {}) {
    super();
    const o = optionsOf('BCELoss', options);
    this.reduction = reductionOf(o);
    this.registerBuffer('weight', bufferOf('BCELoss', 'weight', o.weight));
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropy(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

/**
 * Sigmoid and binary cross entropy in one stable expression, with an elementwise weight and a positive-class weight
 * (the `pos_weight` buffer, PyTorch's name), as torch.nn.BCEWithLogitsLoss.
 * @example new nn.BCEWithLogitsLoss({ posWeight: torch.tensor([2]) }).forward(torch.tensor([0]), torch.tensor([1])) // 1.3863
 */
export class BCEWithLogitsLoss extends Module {
  declare weight: Tensor | null;
  declare pos_weight: Tensor | null;
  readonly reduction: Reduction;
  constructor(options: WeightedLossModuleOptions & { posWeight?: Tensor | null } = {}) {
    super();
    const o = optionsOf('BCEWithLogitsLoss', options);
    this.reduction = reductionOf(o);
    this.registerBuffer('weight', bufferOf('BCEWithLogitsLoss', 'weight', o.weight));
    this.registerBuffer('pos_weight', bufferOf('BCEWithLogitsLoss', 'posWeight', o.posWeight));
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropyWithLogits(input, target, { weight: this.weight, posWeight: this.pos_weight, reduction: this.reduction });
  }
}

/** The options of the margin loss modules: the margin and the reduction. | */
export interface MarginLossModuleOptions extends LossModuleOptions {
  margin?: number;
}

/**
 * 1 - cos(x1, x2) for target 1, max(0, cos(x1, x2) - margin) for target -1, as torch.nn.CosineEmbeddingLoss.
 * @example new nn.CosineEmbeddingLoss().forward(torch.tensor([[1, 0]]), torch.tensor([[0, 1]]), torch.tensor([1])) // 1
 */
export class CosineEmbeddingLoss extends Module {
  readonly reduction: Reduction;
  readonly margin: number;
  constructor(options: MarginLossModuleOptions = {}) {
    super();
    const o = optionsOf('CosineEmbeddingLoss', options);
    this.reduction = reductionOf(o);
    this.margin = checkNumber('CosineEmbeddingLoss', 'margin', o.margin ?? 0);
  }
  forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor {
    return F.cosineEmbeddingLoss(input1, input2, target, { margin: this.margin, reduction: this.reduction });
  }
}

/**
 * max(0, -target (x1 - x2) + margin), as torch.nn.MarginRankingLoss.
 * @example new nn.MarginRankingLoss().forward(torch.tensor([1]), torch.tensor([2]), torch.tensor([1])) // 1
 */
export class MarginRankingLoss extends Module {
  readonly reduction: Reduction;
  readonly margin: number;
  constructor(options: MarginLossModuleOptions = {}) {
    super();
    const o = optionsOf('MarginRankingLoss', options);
    this.reduction = reductionOf(o);
    this.margin = checkNumber('MarginRankingLoss', 'margin', o.margin ?? 0);
  }
  forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor {
    return F.marginRankingLoss(input1, input2, target, { margin: this.margin, reduction: this.reduction });
  }
}

/**
 * max(0, margin + d(anchor, positive) - d(anchor, negative)), d the pairwise p-norm distance, as
 * torch.nn.TripletMarginLoss.
 * @example new nn.TripletMarginLoss({ margin: 1, p: 2 }).forward(anchor, positive, negative)
 */
export class TripletMarginLoss extends Module {
  readonly reduction: Reduction;
  readonly margin: number;
  readonly p: number;
  readonly eps: number;
  readonly swap: boolean;
  constructor(options: F.TripletMarginLossOptions = {}) {
    super();
    const o = optionsOf('TripletMarginLoss', options);
    this.reduction = reductionOf(o);
    this.margin = checkNumber('TripletMarginLoss', 'margin', o.margin ?? 1);
    this.p = checkNumber('TripletMarginLoss', 'p', o.p ?? 2);
    this.eps = checkNumber('TripletMarginLoss', 'eps', o.eps ?? 1e-6);
    this.swap = checkBool('TripletMarginLoss', 'swap', o.swap, false);
  }
  forward(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor {
    return F.tripletMarginLoss(anchor, positive, negative, { margin: this.margin, p: this.p, eps: this.eps, swap: this.swap, reduction: this.reduction });
  }
}

/**
 * The Poisson negative log likelihood, as torch.nn.PoissonNLLLoss.
 * @example new nn.PoissonNLLLoss().forward(torch.tensor([0]), torch.tensor([1])) // 1
 */
export class PoissonNLLLoss extends Module {
  readonly reduction: Reduction;
  readonly logInput: boolean;
  readonly full: boolean;
  readonly eps: number;
  constructor(options: F.PoissonNllLossOptions = {}) {
    super();
    const o = optionsOf('PoissonNLLLoss', options);
    this.reduction = reductionOf(o);
    this.logInput = checkBool('PoissonNLLLoss', 'logInput', o.logInput, true);
    this.full = checkBool('PoissonNLLLoss', 'full', o.full, false);
    this.eps = checkNumber('PoissonNLLLoss', 'eps', o.eps ?? 1e-8);
  }
  forward(logInput: Tensor, target: Tensor): Tensor {
    return F.poissonNllLoss(logInput, target, { logInput: this.logInput, full: this.full, eps: this.eps, reduction: this.reduction });
  }
}

/**
 * The Gaussian negative log likelihood of target under N(input, var), as torch.nn.GaussianNLLLoss.
 * @example new nn.GaussianNLLLoss().forward(torch.tensor([1]), torch.tensor([1]), torch.tensor([1])) // 0
 */
export class GaussianNLLLoss extends Module {
  readonly reduction: Reduction;
  readonly full: boolean;
  readonly eps: number;
  constructor(options: F.GaussianNllLossOptions = {}) {
    super();
    const o = optionsOf('GaussianNLLLoss', options);
    this.reduction = reductionOf(o);
    this.full = checkBool('GaussianNLLLoss', 'full', o.full, false);
    this.eps = checkNumber('GaussianNLLLoss', 'eps', o.eps ?? 1e-6);
  }
  forward(input: Tensor, target: Tensor, variance: Tensor): Tensor {
    return F.gaussianNllLoss(input, target, variance, { full: this.full, eps: this.eps, reduction: this.reduction });
  }
}

/**
 * input for target 1, max(0, margin - input) for target -1, as torch.nn.HingeEmbeddingLoss.
 * @example new nn.HingeEmbeddingLoss().forward(torch.tensor([0.3, 2]), torch.tensor([-1, 1])) // 1.35
 */
export class HingeEmbeddingLoss extends Module {
  readonly reduction: Reduction;
  readonly margin: number;
  constructor(options: MarginLossModuleOptions = {}) {
    super();
    const o = optionsOf('HingeEmbeddingLoss', options);
    this.reduction = reductionOf(o);
    this.margin = checkNumber('HingeEmbeddingLoss', 'margin', o.margin ?? 1);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.hingeEmbeddingLoss(input, target, { margin: this.margin, reduction: this.reduction });
  }
}

/**
 * log(1 + exp(-target input)), as torch.nn.SoftMarginLoss.
 * @example new nn.SoftMarginLoss().forward(torch.tensor([0]), torch.tensor([1])) // 0.6931
 */
export class SoftMarginLoss extends Module {
  readonly reduction: Reduction;
  constructor(options: LossModuleOptions = {}) {
    super();
    const o = optionsOf('SoftMarginLoss', options);
    this.reduction = reductionOf(o);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.softMarginLoss(input, target, { reduction: this.reduction });
  }
}

/**
 * The multi-label one-versus-all logistic loss, averaged over classes, as torch.nn.MultiLabelSoftMarginLoss.
 * @example new nn.MultiLabelSoftMarginLoss().forward(torch.tensor([[0, 0]]), torch.tensor([[1, 0]])) // 0.6931
 */
export class MultiLabelSoftMarginLoss extends Module {
  declare weight: Tensor | null;
  readonly reduction: Reduction;
  constructor(options: WeightedLossModuleOptions = {}) {
    super();
    const o = optionsOf('MultiLabelSoftMarginLoss', options);
    this.reduction = reductionOf(o);
    this.registerBuffer('weight', bufferOf('MultiLabelSoftMarginLoss', 'weight', o.weight));
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.multilabelSoftMarginLoss(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

/**
 * The multi-class hinge loss (p 1 or 2), as torch.nn.MultiMarginLoss.
 * @example new nn.MultiMarginLoss().forward(torch.tensor([[0, 1]]), torch.tensor([0], { dtype: 'int32' })) // 1
 */
export class MultiMarginLoss extends Module {
  declare weight: Tensor | null;
  readonly reduction: Reduction;
  readonly p: number;
  readonly margin: number;
  constructor(options: WeightedLossModuleOptions & { p?: number; margin?: number } = {}) {
    super();
    const o = optionsOf('MultiMarginLoss', options);
    this.reduction = reductionOf(o);
    this.p = checkNumber('MultiMarginLoss', 'p', o.p ?? 1);
    this.margin = checkNumber('MultiMarginLoss', 'margin', o.margin ?? 1);
    this.registerBuffer('weight', bufferOf('MultiMarginLoss', 'weight', o.weight));
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.multiMarginLoss(input, target, { p: this.p, margin: this.margin, weight: this.weight, reduction: this.reduction });
  }
}
