/** Convolution, pooling and normalization layers. */
import { Tensor } from '../tensor';
import { noGrad } from '../autograd/grad_mode';
import { empty } from '../ops/movement';
import { ones, zeros } from '../ops/creation';
import * as C from '../ops/conv';
import * as P from '../ops/pool';
import type { Pair, PadMode } from '../ops/conv';
import { defaultGenerator } from '../random';
import { native } from '../backend/native/binding';
import { Module } from './module';
import { Parameter } from './parameter';
import * as init from './init';
import { pyFloat } from './layers';

export type PaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';

const tuple = (p: readonly number[]): string => `(${p.join(', ')}${p.length === 1 ? ',' : ''})`;
const asPair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/** Shared by the convolution layers: weight and bias created and initialised as PyTorch's _ConvNd. */
abstract class ConvNd extends Module {
  declare weight: Parameter;
  declare bias: Parameter | null;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number[],
    readonly groups: number,
    bias: boolean,
    transposed: boolean,
    readonly paddingMode: PaddingMode,
  ) {
    super();
    const name = this.constructor.name;
    if (!Number.isInteger(groups) || groups <= 0) throw new RangeError(`${name}: groups must be a positive integer`);
    if (inChannels % groups !== 0) throw new RangeError(`${name}: in_channels must be divisible by groups`);
    if (outChannels % groups !== 0) throw new RangeError(`${name}: out_channels must be divisible by groups`);
    if (!['zeros', 'reflect', 'replicate', 'circular'].includes(paddingMode)) {
      throw new RangeError(`${name}: padding_mode must be one of 'zeros', 'reflect', 'replicate' or 'circular', but got padding_mode='${paddingMode}'`);
    }
    const shape = transposed ? [inChannels, outChannels / groups, ...kernelSize] : [outChannels, inChannels / groups, ...kernelSize];
    this.weight = new Parameter(empty(shape, 'float32'));
    if (bias) this.bias = new Parameter(empty([outChannels], 'float32'));
    else this.registerParameter('bias', null);
    this.resetParameters();
  }

  resetParameters(): void {
    init.defaultLayerInit_(this.weight, this.bias, true);
  }
}

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair | 'valid' | 'same';
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
  paddingMode?: PaddingMode;
}

/**
 * 2-D convolution layer. forward(x) is convForward(x, this.weight, this.bias), so a subclass can compute its
 * weight in forward (e.g. matmul(a, b)) and train what it is computed from.
 */
export class Conv2d extends ConvNd {
  readonly stride: [number, number];
  readonly padding: [number, number] | 'valid' | 'same';
  readonly dilation: [number, number];

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options: Conv2dOptions = {}) {
    super(inChannels, outChannels, asPair(kernelSize), options.groups ?? 1, options.bias ?? true, false, options.paddingMode ?? 'zeros');
    this.stride = asPair(options.stride ?? 1);
    const p = options.padding ?? 0;
    this.padding = typeof p === 'string' ? p : asPair(p);
    this.dilation = asPair(options.dilation ?? 1);
    if (p === 'same' && (this.stride[0] !== 1 || this.stride[1] !== 1)) throw new RangeError("padding='same' is not supported for strided convolutions");
  }

  /** The convolution with this layer's options on any weight and bias (PyTorch's _conv_forward). */
  convForward(input: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
    if (this.paddingMode !== 'zeros' && typeof this.padding !== 'string') {
      const [ph, pw] = this.padding;
      const padded = C.pad(input, [pw, pw, ph, ph], this.paddingMode as PadMode);
      return C.conv2d(padded, weight, bias, { stride: this.stride, padding: 0, dilation: this.dilation, groups: this.groups });
    }
    if (this.paddingMode !== 'zeros' && this.padding === 'same') {
      const [kh, kw] = this.kernelSize as [number, number];
      const th = this.dilation[0] * (kh - 1);
      const tw = this.dilation[1] * (kw - 1);
      const padded = C.pad(input, [Math.floor(tw / 2), tw - Math.floor(tw / 2), Math.floor(th / 2), th - Math.floor(th / 2)], this.paddingMode as PadMode);
      return C.conv2d(padded, weight, bias, { stride: this.stride, padding: 0, dilation: this.dilation, groups: this.groups });
    }
    return C.conv2d(input, weight, bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }

  forward(input: Tensor): Tensor {
    return this.convForward(input, this.weight, this.bias);
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${tuple(this.kernelSize)}, stride=${tuple(this.stride)}`;
    const p = this.padding;
    if (typeof p === 'string') s += `, padding=${p}`;
    else if (p[0] !== 0 || p[1] !== 0) s += `, padding=${tuple(p)}`;
    if (this.dilation[0] !== 1 || this.dilation[1] !== 1) s += `, dilation=${tuple(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (!this.bias) s += ', bias=False';
    if (this.paddingMode !== 'zeros') s += `, padding_mode=${this.paddingMode}`;
    return s;
  }
}

export interface Conv1dOptions {
  stride?: number;
  padding?: number | 'valid' | 'same';
  dilation?: number;
  groups?: number;
  bias?: boolean;
  paddingMode?: PaddingMode;
}

export class Conv1d extends ConvNd {
  readonly stride: number;
  readonly padding: number | 'valid' | 'same';
  readonly dilation: number;

  constructor(inChannels: number, outChannels: number, kernelSize: number, options: Conv1dOptions = {}) {
    super(inChannels, outChannels, [kernelSize], options.groups ?? 1, options.bias ?? true, false, options.paddingMode ?? 'zeros');
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 0;
    this.dilation = options.dilation ?? 1;
  }

  convForward(input: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
    if (this.paddingMode !== 'zeros' && typeof this.padding === 'number') {
      const padded = C.pad(input, [this.padding, this.padding], this.paddingMode as PadMode);
      return C.conv1d(padded, weight, bias, { stride: this.stride, dilation: this.dilation, groups: this.groups });
    }
    return C.conv1d(input, weight, bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }

  forward(input: Tensor): Tensor {
    return this.convForward(input, this.weight, this.bias);
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${tuple(this.kernelSize)}, stride=(${this.stride},)`;
    if (typeof this.padding === 'string') s += `, padding=${this.padding}`;
    else if (this.padding !== 0) s += `, padding=(${this.padding},)`;
    if (this.dilation !== 1) s += `, dilation=(${this.dilation},)`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (!this.bias) s += ', bias=False';
    return s;
  }
}

export interface ConvTranspose2dOptions {
  stride?: Pair;
  padding?: Pair;
  outputPadding?: Pair;
  groups?: number;
  bias?: boolean;
  dilation?: Pair;
}

export class ConvTranspose2d extends ConvNd {
  readonly options: Required<Omit<ConvTranspose2dOptions, 'bias' | 'groups'>>;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options: ConvTranspose2dOptions = {}) {
    super(inChannels, outChannels, asPair(kernelSize), options.groups ?? 1, options.bias ?? true, true, 'zeros');
    this.options = { stride: options.stride ?? 1, padding: options.padding ?? 0, outputPadding: options.outputPadding ?? 0, dilation: options.dilation ?? 1 };
  }

  forward(input: Tensor): Tensor {
    return C.convTranspose2d(input, this.weight, this.bias, { ...this.options, groups: this.groups });
  }

  override extraRepr(): string {
    const o = this.options;
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${tuple(this.kernelSize)}, stride=${tuple(asPair(o.stride))}`;
    if (asPair(o.padding).some((v) => v)) s += `, padding=${tuple(asPair(o.padding))}`;
    if (asPair(o.outputPadding).some((v) => v)) s += `, output_padding=${tuple(asPair(o.outputPadding))}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (!this.bias) s += ', bias=False';
    return s;
  }
}

export class MaxPool2d extends Module {
  constructor(readonly kernelSize: Pair, readonly options: P.MaxPool2dOptions = {}) {
    super();
  }
  forward(input: Tensor): Tensor {
    return P.maxPool2d(input, this.kernelSize, { ...this.options, returnIndices: false });
  }
  override extraRepr(): string {
    const o = this.options;
    return `kernel_size=${this.kernelSize}, stride=${o.stride ?? this.kernelSize}, padding=${o.padding ?? 0}, dilation=${o.dilation ?? 1}, ceil_mode=${o.ceilMode ? 'True' : 'False'}`;
  }
}

export class AvgPool2d extends Module {
  constructor(readonly kernelSize: Pair, readonly options: P.AvgPool2dOptions = {}) {
    super();
  }
  forward(input: Tensor): Tensor {
    return P.avgPool2d(input, this.kernelSize, this.options);
  }
  override extraRepr(): string {
    const o = this.options;
    return `kernel_size=${this.kernelSize}, stride=${o.stride ?? this.kernelSize}, padding=${o.padding ?? 0}`;
  }
}

export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: Pair) {
    super();
  }
  forward(input: Tensor): Tensor {
    return P.adaptiveAvgPool2d(input, this.outputSize);
  }
  override extraRepr(): string {
    return `output_size=${typeof this.outputSize === 'number' ? this.outputSize : tuple(this.outputSize)}`;
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
    if (affine) {
      this.weight = new Parameter(ones(numFeatures));
      this.bias = new Parameter(zeros(numFeatures));
    } else {
      this.registerParameter('weight', null);
      this.registerParameter('bias', null);
    }
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
    this.checkInput(input);
    if (input.shape[1] !== this.numFeatures) {
      throw new RangeError(`${this.constructor.name}: running_mean should contain ${input.shape[1]} elements not ${this.numFeatures}`);
    }
    const dims = [0, ...Array.from({ length: input.dim() - 2 }, (_, i) => i + 2)];
    const view = [1, this.numFeatures, ...Array.from({ length: input.dim() - 2 }, () => 1)];
    const useBatch = this.training || !this.trackRunningStats;
    let mean: Tensor;
    let variance: Tensor;
    if (useBatch) {
      const count = input.numel() / this.numFeatures;
      if (this.training && count <= 1) throw new RangeError(`Expected more than 1 value per channel when training, got input size ${JSON.stringify(input.shape)}`);
      mean = input.mean(dims, true);
      const centered = input.sub(mean);
      variance = centered.mul(centered).mean(dims, true);
      if (this.training && this.trackRunningStats) {
        noGrad(() => {
          this.num_batches_tracked!.add_(1);
          const m = this.momentum ?? 1 / (this.num_batches_tracked!.item() as number);
          const unbiased = variance.view([this.numFeatures]).mul(count / (count - 1));
          this.running_mean!.mul_(1 - m).add_(mean.view([this.numFeatures]), m);
          this.running_var!.mul_(1 - m).add_(unbiased, m);
        });
      }
      const out = input.sub(mean).mul(variance.add(this.eps).rsqrt());
      return this.affine ? out.mul(this.weight!.view(view)).add(this.bias!.view(view)) : out;
    }
    mean = this.running_mean!.view(view);
    variance = this.running_var!.view(view);
    const out = input.sub(mean).mul(variance.add(this.eps).rsqrt());
    return this.affine ? out.mul(this.weight!.view(view)).add(this.bias!.view(view)) : out;
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${this.momentum === null ? 'None' : pyFloat(this.momentum)}, affine=${this.affine ? 'True' : 'False'}, track_running_stats=${this.trackRunningStats ? 'True' : 'False'}`;
  }
}

export class BatchNorm1d extends BatchNorm {
  protected checkInput(input: Tensor): void {
    if (input.dim() !== 2 && input.dim() !== 3) throw new RangeError(`BatchNorm1d: expected 2D or 3D input (got ${input.dim()}D input)`);
  }
}

export class BatchNorm2d extends BatchNorm {
  protected checkInput(input: Tensor): void {
    if (input.dim() !== 4) throw new RangeError(`BatchNorm2d: expected 4D input (got ${input.dim()}D input)`);
  }
}

/** Normalizes groups of channels per sample, then scales and shifts per channel. */
export class GroupNorm extends Module {
  declare weight: Parameter | null;
  declare bias: Parameter | null;

  constructor(readonly numGroups: number, readonly numChannels: number, readonly eps = 1e-5, readonly affine = true) {
    super();
    if (numChannels % numGroups !== 0) throw new RangeError('GroupNorm: num_channels must be divisible by num_groups');
    if (affine) {
      this.weight = new Parameter(ones(numChannels));
      this.bias = new Parameter(zeros(numChannels));
    } else {
      this.registerParameter('weight', null);
      this.registerParameter('bias', null);
    }
  }

  forward(input: Tensor): Tensor {
    if (input.dim() < 2 || input.shape[1] !== this.numChannels) {
      throw new RangeError(`GroupNorm: Expected input with ${this.numChannels} channels, got shape ${JSON.stringify(input.shape)}`);
    }
    const n = input.shape[0]!;
    const x = input.reshape([n, this.numGroups, -1]);
    const mean = x.mean(2, true);
    const centered = x.sub(mean);
    const variance = centered.mul(centered).mean(2, true);
    let out = centered.mul(variance.add(this.eps).rsqrt()).reshape(input.shape);
    if (this.affine) {
      const view = [1, this.numChannels, ...Array.from({ length: input.dim() - 2 }, () => 1)];
      out = out.mul(this.weight!.view(view)).add(this.bias!.view(view));
    }
    return out;
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${pyFloat(this.eps)}, affine=${this.affine ? 'True' : 'False'}`;
  }
}

/** Zeroes whole channels with probability p in training (one draw per [N, C]), scaling the rest by 1/(1-p). */
export function dropout2d(input: Tensor, p = 0.5, training = true): Tensor {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout probability has to be between 0 and 1, but got ${p}`);
  if (!training || p === 0) return input;
  const batched = input.dim() === 4;
  const shape = batched ? [input.shape[0]!, input.shape[1]!, 1, 1] : [input.shape[0]!, 1, 1];
  const noise = empty(shape, 'float32');
  native.rngBernoulli(defaultGenerator.state, noise.data as Float32Array, 0, noise.numel(), 1 - p);
  noGrad(() => noise.div_(1 - p));
  return input.mul(noise);
}

export class Dropout2d extends Module {
  constructor(readonly p = 0.5) {
    super();
  }
  forward(input: Tensor): Tensor {
    return dropout2d(input, this.p, this.training);
  }
  override extraRepr(): string {
    return `p=${this.p}, inplace=False`;
  }
}
