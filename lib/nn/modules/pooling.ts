/** Pooling layers: MaxPool2d, AvgPool2d, AdaptiveAvgPool2d (torch/nn/modules/pooling.py). */
import type { Tensor } from '../../tensor';
import * as P from '../../ops/pool';
import type { Pair } from '../../validate';
import { Module } from './module';
import { pyTuple as tuple } from '../repr';

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
