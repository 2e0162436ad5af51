/** Flatten and Unflatten (torch/nn/modules/flatten.py). */
import type { Tensor } from '../../tensor';
import { Module } from './module';
import { checkInt, checkShape, checkTensor, describe } from '../../validate';

/** Flattens dims startDim..endDim into one. @example new nn.Flatten().forward(torch.ones(2, 3, 4)).shape // [2, 12] */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
    checkInt('Flatten', 'startDim', startDim);
    checkInt('Flatten', 'endDim', endDim);
  }
  forward(input: Tensor): Tensor {
    checkTensor('Flatten', 'input', input);
    return input.flatten(this.startDim, this.endDim);
  }
  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

/** Expands one dim into several. @example new nn.Unflatten(1, [3, 4]).forward(torch.ones(2, 12)).shape // [2, 3, 4] */
export class Unflatten extends Module {
  constructor(readonly dim: number, readonly unflattenedSize: readonly number[]) {
    super();
    checkInt('Unflatten', 'dim', dim);
    if (!Array.isArray(unflattenedSize)) {
      throw new TypeError(`Unflatten: expected an array of sizes for 'unflattenedSize' but received ${describe(unflattenedSize)}`);
    }
    checkShape('Unflatten', unflattenedSize, true);
  }
  forward(input: Tensor): Tensor {
    checkTensor('Unflatten', 'input', input);
    return input.unflatten(this.dim, this.unflattenedSize);
  }
  override extraRepr(): string {
    return `dim=${this.dim}, unflattened_size=(${this.unflattenedSize.join(', ')})`;
  }
}
