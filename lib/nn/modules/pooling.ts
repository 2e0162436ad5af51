/** Pooling layers: MaxPool2d, AvgPool2d, AdaptiveAvgPool2d (torch/nn/modules/pooling.py). */
import type { Tensor } from '../../tensor';
import * as P from '../../ops/pool';
import type { Pair } from '../../validate';
import { Module } from './module';
import { pyTuple as tuple } from '../repr';

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
