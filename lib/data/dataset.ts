/**
 * Datasets, as torch.utils.data.dataset: the map-style base (getItem(index) and length, PyTorch's __getitem__ and
 * __len__), the iterable-style base, TensorDataset, Subset, ConcatDataset and randomSplit.
 */
import type { Tensor } from '../tensor';
import { select } from '../ops/movement';
import { Generator, defaultGenerator, randperm } from '../random';
import { checkInt, checkTensor, describe } from '../validate';

/**
 * A map-style dataset, as torch.utils.data.Dataset: subclasses implement `getItem(index)` (PyTorch's
 * `__getitem__`) and the `length` getter (PyTorch's `__len__`, named like Array's length). The DataLoader's
 * samplers need `length`.
 * @example class Squares extends data.Dataset<number> { getItem(i: number) { return i * i; } get length() { return 10; } }
 */
export abstract class Dataset<T> {
  /** The sample at `index`. */
  abstract getItem(index: number): T;
  /** The number of samples. */
  abstract get length(): number;

  /** This dataset followed by `other`, as Dataset.__add__. */
  concat(other: Dataset<T>): ConcatDataset<T> {
    return new ConcatDataset([this, other]);
  }
}

/**
 * An iterable-style dataset, as torch.utils.data.IterableDataset: subclasses implement `[Symbol.iterator]()`
 * (PyTorch's `__iter__`). With numWorkers > 0 each worker iterates its own copy, so without a split by
 * getWorkerInfo() (in the iterator or in workerInitFn) every worker yields the whole stream: duplicate data, as in
 * PyTorch.
 * @example class Count extends data.IterableDataset<number> { *[Symbol.iterator]() { yield* [1, 2, 3]; } }
 */
export abstract class IterableDataset<T> implements Iterable<T> {
  abstract [Symbol.iterator](): Iterator<T>;
}

/** Either kind of dataset. */
export type AnyDataset<T> = Dataset<T> | IterableDataset<T>;

/** Checks and returns a sample index in [0, n). */
function checkIndex(op: string, index: number, n: number): number {
  checkInt(op, 'index', index);
  if (index < -n || index >= n) throw new RangeError(`${op}: index ${index} is out of range for a dataset of length ${n}`);
  return index < 0 ? index + n : index;
}

/**
 * Rows of equally long tensors, served together, as torch.utils.data.TensorDataset: item i is the tuple of
 * row i of each tensor (views).
 * @example const ds = new data.TensorDataset(x, y); const [xi, yi] = ds.getItem(0);
 */
export class TensorDataset<T extends Tensor[] = Tensor[]> extends Dataset<T> {
  readonly tensors: Readonly<T>;

  constructor(...tensors: T) {
    super();
    if (tensors.length === 0) throw new RangeError('TensorDataset: expected at least one tensor');
    tensors.forEach((t, i) => checkTensor('TensorDataset', `tensors[${i}]`, t));
    const n = tensors[0]!.shape[0];
    if (!tensors.every((t) => t.dim() > 0 && t.shape[0] === n)) throw new RangeError('TensorDataset: Size mismatch between tensors');
    this.tensors = tensors;
  }

  getItem(index: number): T {
    const i = checkIndex('TensorDataset.getItem', index, this.length);
    return this.tensors.map((t) => select(t, 0, i)) as T;
  }

  get length(): number {
    return this.tensors[0]!.shape[0]!;
  }
}

function checkDataset(op: string, name: string, v: unknown): asserts v is Dataset<unknown> {
  if (!(v instanceof Dataset)) throw new TypeError(`${op}: expected a Dataset for '${name}' but received ${describe(v)}`);
}

/**
 * The samples of a dataset at the given indices, as torch.utils.data.Subset.
 * @example new data.Subset(ds, [0, 2, 4])
 */
export class Subset<T> extends Dataset<T> {
  readonly indices: readonly number[];

  constructor(readonly dataset: Dataset<T>, indices: readonly number[]) {
    super();
    checkDataset('Subset', 'dataset', dataset);
    if (!Array.isArray(indices)) throw new TypeError(`Subset: expected an array of indices for 'indices' but received ${describe(indices)}`);
    indices.forEach((v, i) => checkInt('Subset', `indices[${i}]`, v));
    this.indices = indices;
  }

  getItem(index: number): T {
    return this.dataset.getItem(this.indices[checkIndex('Subset.getItem', index, this.length)]!);
  }

  get length(): number {
    return this.indices.length;
  }
}

/**
 * Datasets one after another, as torch.utils.data.ConcatDataset.
 * @example new data.ConcatDataset([train, extra])
 */
export class ConcatDataset<T> extends Dataset<T> {
  readonly datasets: readonly Dataset<T>[];
  /** The running totals of the lengths, as cumulative_sizes. */
  readonly cumulativeSizes: readonly number[];

  constructor(datasets: Iterable<Dataset<T>>) {
    super();
    if (datasets === null || typeof (datasets as Partial<Iterable<unknown>>)?.[Symbol.iterator] !== 'function') {
      throw new TypeError(`ConcatDataset: expected an iterable of Datasets for 'datasets' but received ${describe(datasets)}`);
    }
    this.datasets = [...datasets];
    if (this.datasets.length === 0) throw new RangeError('ConcatDataset: datasets should not be an empty iterable');
    this.datasets.forEach((d, i) => {
      if (d instanceof IterableDataset) throw new TypeError('ConcatDataset: ConcatDataset does not support IterableDataset');
      checkDataset('ConcatDataset', `datasets[${i}]`, d);
    });
    let s = 0;
    this.cumulativeSizes = this.datasets.map((d) => (s += d.length));
  }

  getItem(index: number): T {
    const idx = checkIndex('ConcatDataset.getItem', index, this.length);
    // bisect_right: the first dataset whose running total exceeds idx.
    let d = 0;
    while (this.cumulativeSizes[d]! <= idx) d++;
    return this.datasets[d]!.getItem(d === 0 ? idx : idx - this.cumulativeSizes[d - 1]!);
  }

  get length(): number {
    return this.cumulativeSizes[this.cumulativeSizes.length - 1]!;
  }
}

/** Python's math.isclose(a, b) with its default rel_tol 1e-9. */
function isClose(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

/**
 * Splits a dataset into non-overlapping random subsets of the given lengths, or of fractions summing to 1
 * (floor(n * fraction) each, the remainder dealt one by one from the first), as torch.utils.data.random_split:
 * one randperm of the whole length from `generator` (default: the global generator), cut in order.
 * @throws RangeError when the lengths do not add up to the dataset's length, or for a fraction outside [0, 1]
 * @example const [train, val] = data.randomSplit(ds, [0.8, 0.2], new Generator().manualSeed(42));
 */
export function randomSplit<T>(dataset: Dataset<T>, lengths: readonly number[], generator: Generator = defaultGenerator): Subset<T>[] {
  checkDataset('randomSplit', 'dataset', dataset);
  if (!Array.isArray(lengths)) throw new TypeError(`randomSplit: expected an array of lengths for 'lengths' but received ${describe(lengths)}`);
  lengths.forEach((v, i) => {
    if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`randomSplit: expected a number for 'lengths[${i}]' but received ${describe(v)}`);
  });
  const n = dataset.length;
  let sizes = [...lengths];
  const total = sizes.reduce((a, b) => a + b, 0);
  if (isClose(total, 1) && total <= 1) {
    sizes = lengths.map((frac, i) => {
      if (frac < 0 || frac > 1) throw new RangeError(`randomSplit: Fraction at index ${i} is not between 0 and 1`);
      return Math.floor(n * frac);
    });
    const remainder = n - sizes.reduce((a, b) => a + b, 0);
    for (let i = 0; i < remainder; i++) sizes[i % sizes.length]! += 1;
  }
  sizes.forEach((v, i) => checkInt('randomSplit', `lengths[${i}]`, v, 0));
  if (sizes.reduce((a, b) => a + b, 0) !== n) throw new RangeError('randomSplit: Sum of input lengths does not equal the length of the input dataset!');
  const indices = randperm(n, { generator }).tolist() as number[];
  let offset = 0;
  return sizes.map((len) => new Subset(dataset, indices.slice(offset, (offset += len))));
}
