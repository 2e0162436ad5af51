/** Normalization layers: BatchNorm1d/2d, InstanceNorm1d/2d, GroupNorm, LayerNorm (batchnorm.py, instancenorm.py, normalization.py). */
import type { Tensor } from '../../tensor';
import { noGrad } from '../../autograd/grad_mode';
import { ones, zeros } from '../../ops/creation';
import { Module } from './module';
import { Parameter } from '../parameter';
import * as F from '../functional';
import { pyBool, pyFloat } from '../repr';
import { checkBool, checkInt, checkNumber, checkShape, checkTensor, describe } from '../../validate';

/** The learnable scale and shift of a normalization layer: weight 1 and bias 0, or both null when not affine. */
function registerAffine(m: Module, shape: number | readonly number[], affine: boolean): void {
  m.registerParameter('weight', affine ? new Parameter(ones(shape)) : null);
  m.registerParameter('bias', affine ? new Parameter(zeros(shape)) : null);
}

/**
 * Normalizes over the last dims given by normalizedShape, then scales and shifts elementwise.
 * @example new nn.LayerNorm(4).forward(torch.randn(2, 4)).shape // [2, 4]
 */
export class LayerNorm extends Module {
  declare weight: Parameter | null;
  declare bias: Parameter | null;
  readonly normalizedShape: number[];

  constructor(normalizedShape: number | readonly number[], readonly eps = 1e-5, readonly elementwiseAffine = true) {
    super();
    if (typeof normalizedShape !== 'number' && !Array.isArray(normalizedShape)) {
      throw new TypeError(`LayerNorm: expected an integer or an array of integers for 'normalizedShape' but received ${describe(normalizedShape)}`);
    }
    this.normalizedShape = checkShape('LayerNorm', typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape]);
    checkNumber('LayerNorm', 'eps', eps, false);
    checkBool('LayerNorm', 'elementwiseAffine', elementwiseAffine, true);
    registerAffine(this, this.normalizedShape, elementwiseAffine);
  }

  forward(input: Tensor): Tensor {
    return F.layerNorm(input, this.normalizedShape, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `(${this.normalizedShape.join(', ')}${this.normalizedShape.length === 1 ? ',' : ''}), eps=${pyFloat(this.eps)}, elementwise_affine=${pyBool(this.elementwiseAffine)}`;
  }
}

/** Batch normalization over dim 1, with running statistics kept as buffers (momentum, or a cumulative mean if null). */
abstract class BatchNorm extends Module {
  declare weight: Parameter | null;
  declare bias: Parameter | null;
  declare running_mean: Tensor | null;
  declare running_var: Tensor | null;
  declare num_batches_tracked: Tensor | null;

  constructor(
    readonly numFeatures: number,
    readonly eps = 1e-5,
    readonly momentum: number | null = 0.1,
    readonly affine = true,
    readonly trackRunningStats = true,
  ) {
    super();
    const op = new.target.name;
    checkInt(op, 'num_features', numFeatures, 0);
    checkNumber(op, 'eps', eps, false);
    if (momentum !== null) checkNumber(op, 'momentum', momentum, false);
    checkBool(op, 'affine', affine, true);
    checkBool(op, 'track_running_stats', trackRunningStats, true);
    registerAffine(this, numFeatures, affine);
    if (trackRunningStats) {
      this.registerBuffer('running_mean', zeros(numFeatures));
      this.registerBuffer('running_var', ones(numFeatures));
      this.registerBuffer('num_batches_tracked', zeros([], { dtype: 'int64' }));
    } else {
      this.registerBuffer('running_mean', null);
      this.registerBuffer('running_var', null);
      this.registerBuffer('num_batches_tracked', null);
    }
  }

  protected abstract checkInput(input: Tensor): void;

  forward(input: Tensor): Tensor {
    checkTensor(this.constructor.name, 'input', input);
    this.checkInput(input);
    if (input.shape[1] !== this.numFeatures) {
      throw new RangeError(`${this.constructor.name}: running_mean should contain ${input.shape[1]} elements not ${this.numFeatures}`);
    }
    // Batch statistics in training or without running ones; the running ones are updated only in training.
    const useBatch = this.training || !this.trackRunningStats;
    const update = this.training && this.trackRunningStats;
    // PyTorch's exponential_average_factor: the momentum, or 1 / batches seen for a cumulative average.
    let momentum = this.momentum ?? 0;
    if (update) {
      noGrad(() => this.num_batches_tracked!.add_(1));
      momentum = this.momentum ?? 1 / (this.num_batches_tracked!.item() as number);
    }
    const running = !useBatch || update;
    return F.batchNorm(input, running ? this.running_mean : null, running ? this.running_var : null, {
      weight: this.weight, bias: this.bias, training: useBatch, momentum, eps: this.eps,
    });
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${this.momentum === null ? 'None' : pyFloat(this.momentum)}, affine=${this.affine ? 'True' : 'False'}, track_running_stats=${this.trackRunningStats ? 'True' : 'False'}`;
  }
}

/**
 * Batch normalization of (N, C) or (N, C, L) input, as torch.nn.BatchNorm1d.
 * @example new nn.BatchNorm1d(3).forward(torch.randn(8, 3)).shape // [8, 3]
 */
export class BatchNorm1d extends BatchNorm {
  protected checkInput(input: Tensor): void {
    if (input.dim() !== 2 && input.dim() !== 3) throw new RangeError(`BatchNorm1d: expected 2D or 3D input (got ${input.dim()}D input)`);
  }
}

/**
 * Batch normalization of (N, C, H, W) input, as torch.nn.BatchNorm2d.
 * @example new nn.BatchNorm2d(3).forward(torch.randn(2, 3, 4, 4)).shape // [2, 3, 4, 4]
 */
export class BatchNorm2d extends BatchNorm {
  protected checkInput(input: Tensor): void {
    if (input.dim() !== 4) throw new RangeError(`BatchNorm2d: expected 4D input (got ${input.dim()}D input)`);
  }
}

/**
 * Normalizes groups of channels per sample, then scales and shifts per channel.
 * @example new nn.GroupNorm(2, 4).forward(torch.randn(3, 4, 5)).shape // [3, 4, 5]
 */
export class GroupNorm extends Module {
  declare weight: Parameter | null;
  declare bias: Parameter | null;

  constructor(readonly numGroups: number, readonly numChannels: number, readonly eps = 1e-5, readonly affine = true) {
    super();
    checkInt('GroupNorm', 'num_groups', numGroups, 1);
    checkInt('GroupNorm', 'num_channels', numChannels, 0);
    checkNumber('GroupNorm', 'eps', eps, false);
    checkBool('GroupNorm', 'affine', affine, true);
    if (numChannels % numGroups !== 0) throw new RangeError('GroupNorm: num_channels must be divisible by num_groups');
    registerAffine(this, numChannels, affine);
  }

  forward(input: Tensor): Tensor {
    checkTensor('GroupNorm', 'input', input);
    if (input.dim() < 2 || input.shape[1] !== this.numChannels) {
      throw new RangeError(`GroupNorm: Expected input with ${this.numChannels} channels, got shape ${JSON.stringify(input.shape)}`);
    }
    return F.groupNorm(input, this.numGroups, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${pyFloat(this.eps)}, affine=${this.affine ? 'True' : 'False'}`;
  }
}

/**
 * Instance normalization: each channel of each sample normalized over its spatial dims (PyTorch's _InstanceNorm),
 * with BatchNorm's parameters and buffers but no affine transform and no running statistics by default. Running
 * statistics, when tracked, are updated in training and used in evaluation.
 */
abstract class InstanceNorm extends BatchNorm {
  constructor(numFeatures: number, eps = 1e-5, momentum = 0.1, affine = false, trackRunningStats = false) {
    super(numFeatures, eps, momentum, affine, trackRunningStats);
    checkNumber(new.target.name, 'momentum', momentum, false);
  }

  /** The rank of an unbatched input: 2 for InstanceNorm1d, 3 for InstanceNorm2d. */
  protected abstract readonly noBatchDim: number;

  protected checkInput(input: Tensor): void {
    const d = this.noBatchDim;
    if (input.dim() !== d && input.dim() !== d + 1) throw new RangeError(`${this.constructor.name}: expected ${d}D or ${d + 1}D input (got ${input.dim()}D input)`);
  }

  override forward(input: Tensor): Tensor {
    const op = this.constructor.name;
    checkTensor(op, 'input', input);
    this.checkInput(input);
    // PyTorch 1.13 does not compare the channels with numFeatures: the running statistics and parameters refuse a mismatch.
    const batched = input.dim() === this.noBatchDim ? input.unsqueeze(0) : input;
    const out = F.instanceNorm(batched, {
      runningMean: this.running_mean, runningVar: this.running_var, weight: this.weight, bias: this.bias,
      useInputStats: this.training || !this.trackRunningStats, momentum: this.momentum ?? 0.1, eps: this.eps,
    });
    return input.dim() === this.noBatchDim ? out.squeeze(0) : out;
  }
}

/**
 * Instance normalization of (N, C, L) or (C, L) input, as torch.nn.InstanceNorm1d.
 * @example new nn.InstanceNorm1d(3).forward(torch.randn(2, 3, 5)).shape // [2, 3, 5]
 */
export class InstanceNorm1d extends InstanceNorm {
  protected readonly noBatchDim = 2;
}

/**
 * Instance normalization of (N, C, H, W) or (C, H, W) input, as torch.nn.InstanceNorm2d.
 * @example new nn.InstanceNorm2d(3, 1e-5, 0.1, true).forward(torch.randn(2, 3, 4, 4)).shape // [2, 3, 4, 4]
 */
export class InstanceNorm2d extends InstanceNorm {
  protected readonly noBatchDim = 3;
}
