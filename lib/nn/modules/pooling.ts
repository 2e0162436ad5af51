/** Pooling layers: max, average and adaptive pools in 1-D and 2-D (torch/nn/modules/pooling.py). */
import type { Tensor } from '../../tensor';
import * as P from '../../ops/pool';
import type { Pair } from '../../validate';
import { Module } from './module';
import { pyTuple as tuple } from '../repr';
import * as F from '../functional_layers';

/**
 * The maximum over each kernel window of (N, C, H, W) or (C, H, W) input, as torch.nn.MaxPool2d.
 * @example new nn.MaxPool2d(2).forward(torch.randn(1, 1, 4, 4)).shape // [1, 1, 2, 2]
 */
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

/**
 * The average over each kernel window of (N, C, H, W) or (C, H, W) input, as torch.nn.AvgPool2d.
 * @example new nn.AvgPool2d(2).forward(torch.ones(1, 1, 4, 4)).shape // [1, 1, 2, 2]
 */
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

/**
 * Averages over windows chosen so the output is outputSize (H, W), as torch.nn.AdaptiveAvgPool2d.
 * @example new nn.AdaptiveAvgPool2d(1).forward(torch.randn(2, 3, 7, 7)).shape // [2, 3, 1, 1]
 */
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

/**
 * The maximum over each kernel window of (N, C, L) or (C, L) input, as torch.nn.MaxPool1d.
 * @example new nn.MaxPool1d(2).forward(torch.tensor([[1, 3, 2, 5]])) // [[3, 5]]
 */
export class MaxPool1d extends Module {
  constructor(readonly kernelSize: number, readonly options: P.MaxPool1dOptions = {}) {
    super();
  }
  forward(input: Tensor): Tensor {
    return P.maxPool1d(input, this.kernelSize, { ...this.options, returnIndices: false }) as Tensor;
  }
  override extraRepr(): string {
    const o = this.options;
    return `kernel_size=${this.kernelSize}, stride=${o.stride ?? this.kernelSize}, padding=${o.padding ?? 0}, dilation=${o.dilation ?? 1}, ceil_mode=${o.ceilMode ? 'True' : 'False'}`;
  }
}

/**
 * The average over each kernel window of (N, C, L) or (C, L) input, as torch.nn.AvgPool1d.
 * @example new nn.AvgPool1d(2).forward(torch.tensor([[1, 3, 2, 6]])) // [[2, 4]]
 */
export class AvgPool1d extends Module {
  constructor(readonly kernelSize: number, readonly options: { stride?: number | null; padding?: number; ceilMode?: boolean; countIncludePad?: boolean } = {}) {
    super();
  }
  forward(input: Tensor): Tensor {
    return P.avgPool1d(input, this.kernelSize, this.options);
  }
  override extraRepr(): string {
    const o = this.options;
    return `kernel_size=${tuple([this.kernelSize])}, stride=${tuple([o.stride ?? this.kernelSize])}, padding=${tuple([o.padding ?? 0])}`;
  }
}

/** How adaptive pools print their output size: an int, or a tuple (null as None). */
const outputRepr = (s: number | readonly (number | null)[]): string =>
  typeof s === 'number' ? String(s) : `(${s.map((v) => (v === null ? 'None' : String(v))).join(', ')}${s.length === 1 ? ',' : ''})`;

/**
 * Maxima over windows chosen so the output is outputSize (H, W), as torch.nn.AdaptiveMaxPool2d.
 * @example new nn.AdaptiveMaxPool2d([2, 3]).forward(torch.randn(1, 1, 6, 6)).shape // [1, 1, 2, 3]
 */
export class AdaptiveMaxPool2d extends Module {
  constructor(readonly outputSize: Pair | readonly (number | null)[]) {
    super();
  }
  forward(input: Tensor): Tensor {
    return P.adaptiveMaxPool2d(input, this.outputSize) as Tensor;
  }
  override extraRepr(): string {
    return `output_size=${outputRepr(this.outputSize)}`;
  }
}

/** A 1-D adaptive pool: its output length, printed as PyTorch's output_size. */
abstract class AdaptivePool1d extends Module {
  constructor(readonly outputSize: number) {
    super();
  }
  override extraRepr(): string {
    return `output_size=${this.outputSize}`;
  }
}

/**
 * Averages over windows chosen so the output has length outputSize, as torch.nn.AdaptiveAvgPool1d.
 * @example new nn.AdaptiveAvgPool1d(2).forward(torch.tensor([[1, 2, 3, 4]])) // [[1.5, 3.5]]
 */
export class AdaptiveAvgPool1d extends AdaptivePool1d {
  forward(input: Tensor): Tensor {
    return F.adaptiveAvgPool1d(input, this.outputSize);
  }
}

/**
 * Maxima over windows chosen so the output has length outputSize, as torch.nn.AdaptiveMaxPool1d.
 * @example new nn.AdaptiveMaxPool1d(2).forward(torch.tensor([[1, 4, 3, 2]])) // [[4, 3]]
 */
export class AdaptiveMaxPool1d extends AdaptivePool1d {
  forward(input: Tensor): Tensor {
    return F.adaptiveMaxPool1d(input, this.outputSize);
  }
}
