/** Convolution layers: Conv1d, Conv2d, ConvTranspose2d (torch/nn/modules/conv.py). */
import type { Tensor } from '../../tensor';
import { emptyTensor } from '../../tensor';
import { getDefaultDtype } from '../../dtype';
import * as C from '../../ops/conv';
import type { PadMode } from '../../ops/conv';
import type { Pair } from '../../validate';
import { checkBool, checkInt, checkOptions } from '../../validate';
import { Module } from './module';
import { Parameter } from '../parameter';
import * as init from '../init';
import { pyTuple as tuple } from '../repr';

/** How Conv1d and Conv2d pad their input: 'zeros' (the default), 'reflect', 'replicate' or 'circular'. | */
export type PaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';

const asPair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/** A layer's options object with its bias flag checked (the sizes are checked by C.sizeArg). */
function layerOptions<O extends { bias?: boolean }>(name: string, options: O | undefined): O & { bias: boolean } {
  const o = checkOptions(name, options);
  return { ...o, bias: checkBool(name, 'bias', o.bias, true) };
}

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
    checkInt(name, 'inChannels', inChannels, 1);
    checkInt(name, 'outChannels', outChannels, 1);
    checkInt(name, 'groups', groups);
    if (groups <= 0) throw new RangeError(`${name}: groups must be a positive integer`);
    if (inChannels % groups !== 0) throw new RangeError(`${name}: in_channels must be divisible by groups`);
    if (outChannels % groups !== 0) throw new RangeError(`${name}: out_channels must be divisible by groups`);
    if (!['zeros', 'reflect', 'replicate', 'circular'].includes(paddingMode)) {
      throw new RangeError(`${name}: padding_mode must be one of 'zeros', 'reflect', 'replicate' or 'circular', but got padding_mode='${String(paddingMode)}'`);
    }
    const shape = transposed ? [inChannels, outChannels / groups, ...kernelSize] : [outChannels, inChannels / groups, ...kernelSize];
    this.weight = new Parameter(emptyTensor(shape, getDefaultDtype()));
    if (bias) this.bias = new Parameter(emptyTensor([outChannels], getDefaultDtype()));
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
 * @example new nn.Conv2d(3, 8, 3, { padding: 1 }).forward(torch.randn(1, 3, 28, 28)).shape // [1, 8, 28, 28]
 */
export class Conv2d extends ConvNd {
  readonly stride: [number, number];
  readonly padding: [number, number] | 'valid' | 'same';
  readonly dilation: [number, number];

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options: Conv2dOptions = {}) {
    const o = layerOptions('Conv2d', options);
    super(inChannels, outChannels, C.sizeArg('Conv2d', 'kernelSize', kernelSize, 2, 1), o.groups ?? 1, o.bias, false, o.paddingMode ?? 'zeros');
    this.stride = C.sizeArg('Conv2d', 'stride', o.stride ?? 1, 2, 1);
    const p = o.padding ?? 0;
    this.padding = p === 'valid' || p === 'same' ? p : C.sizeArg('Conv2d', 'padding', p, 2, 0);
    this.dilation = C.sizeArg('Conv2d', 'dilation', o.dilation ?? 1, 2, 1);
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

/**
 * A 1-d convolution over (N, C, L) or (C, L) input, with learned weight and bias, as torch.nn.Conv1d.
 * @example new nn.Conv1d(2, 4, 3).forward(torch.randn(1, 2, 10)).shape // [1, 4, 8]
 */
export class Conv1d extends ConvNd {
  readonly stride: number;
  readonly padding: number | 'valid' | 'same';
  readonly dilation: number;

  constructor(inChannels: number, outChannels: number, kernelSize: number, options: Conv1dOptions = {}) {
    const o = layerOptions('Conv1d', options);
    super(inChannels, outChannels, C.sizeArg('Conv1d', 'kernelSize', kernelSize, 1, 1), o.groups ?? 1, o.bias, false, o.paddingMode ?? 'zeros');
    this.stride = C.sizeArg('Conv1d', 'stride', o.stride ?? 1, 1, 1)[0];
    const p = o.padding ?? 0;
    this.padding = p === 'valid' || p === 'same' ? p : C.sizeArg('Conv1d', 'padding', p, 1, 0)[0];
    this.dilation = C.sizeArg('Conv1d', 'dilation', o.dilation ?? 1, 1, 1)[0];
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

/**
 * A 2-d transposed convolution (the gradient of Conv2d; upsamples with a stride), as torch.nn.ConvTranspose2d.
 * @example new nn.ConvTranspose2d(4, 2, 2, { stride: 2 }).forward(torch.randn(1, 4, 5, 5)).shape // [1, 2, 10, 10]
 */
export class ConvTranspose2d extends ConvNd {
  readonly options: Required<Omit<ConvTranspose2dOptions, 'bias' | 'groups'>>;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options: ConvTranspose2dOptions = {}) {
    const op = 'ConvTranspose2d';
    const o = layerOptions(op, options);
    super(inChannels, outChannels, C.sizeArg(op, 'kernelSize', kernelSize, 2, 1), o.groups ?? 1, o.bias, true, 'zeros');
    this.options = {
      stride: C.sizeArg(op, 'stride', o.stride ?? 1, 2, 1),
      padding: C.sizeArg(op, 'padding', o.padding ?? 0, 2, 0),
      outputPadding: C.sizeArg(op, 'outputPadding', o.outputPadding ?? 0, 2, 0),
      dilation: C.sizeArg(op, 'dilation', o.dilation ?? 1, 2, 1),
    };
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
