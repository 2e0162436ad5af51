/** torchlet.data: TensorDataset and a DataLoader that batches with indexSelect and shuffles from a seeded generator. */
import type { Tensor } from '../tensor';
import { Generator, randperm } from '../random';
import { arange } from '../ops/creation';
import { noGrad } from '../autograd/grad_mode';
import { checkBool, checkOptions, checkTensor, describe } from '../validate';

/** Rows of equally long tensors, served together, as torch.utils.data.TensorDataset. */
export class TensorDataset {
  readonly tensors: readonly Tensor[];

  constructor(...tensors: Tensor[]) {
    if (tensors.length === 0) throw new RangeError('TensorDataset: expected at least one tensor');
    tensors.forEach((t, i) => checkTensor('TensorDataset', `tensors[${i}]`, t));
    const n = tensors[0]!.shape[0];
    if (!tensors.every((t) => t.dim() > 0 && t.shape[0] === n)) throw new RangeError('TensorDataset: Size mismatch between tensors');
    this.tensors = tensors;
  }

  get length(): number {
    return this.tensors[0]!.shape[0]!;
  }
}

export interface DataLoaderOptions {
  batchSize?: number;
  shuffle?: boolean;
  dropLast?: boolean;
  generator?: Generator;
}

/**
 * Iterates a TensorDataset in batches (a reshuffle per epoch when shuffle is set), as torch.utils.data.DataLoader.
 * @example for (const [x, y] of new DataLoader(ds, { batchSize: 64, shuffle: true })) { ... }
 */
export class DataLoader implements Iterable<Tensor[]> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  private readonly generator?: Generator;

  constructor(readonly dataset: TensorDataset, options: DataLoaderOptions = {}) {
    if (!(dataset instanceof TensorDataset)) {
      throw new TypeError(`DataLoader: expected a TensorDataset for 'dataset' but received ${describe(dataset)}`);
    }
    options = checkOptions('DataLoader', options);
    this.batchSize = options.batchSize ?? 1;
    if (typeof this.batchSize !== 'number' || !Number.isInteger(this.batchSize) || this.batchSize <= 0) {
      throw new RangeError(`DataLoader: batch_size should be a positive integer value, but got batch_size=${typeof this.batchSize === 'number' ? this.batchSize : describe(this.batchSize)}`);
    }
    this.shuffle = checkBool('DataLoader', 'shuffle', options.shuffle, false);
    this.dropLast = checkBool('DataLoader', 'drop_last', options.dropLast, false);
    if (options.generator !== undefined && !(options.generator instanceof Generator)) {
      throw new TypeError(`DataLoader: expected a torch.Generator for 'generator' but received ${describe(options.generator)}`);
    }
    this.generator = options.generator;
  }

  /** Number of batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  *[Symbol.iterator](): Iterator<Tensor[]> {
    const n = this.dataset.length;
    const order = this.shuffle ? randperm(n, { generator: this.generator }) : arange(n);
    for (let start = 0; start < n; start += this.batchSize) {
      const size = Math.min(this.batchSize, n - start);
      if (size < this.batchSize && this.dropLast) return;
      const idx = order.narrow(0, start, size);
      yield noGrad(() => this.dataset.tensors.map((t) => t.indexSelect(0, idx)));
    }
  }
}

export { DistributedSampler, type DistributedSamplerOptions } from './distributed_sampler';
