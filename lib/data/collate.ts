/**
 * Collation, as torch.utils.data._utils.collate: default_collate merges a list of samples into a batch,
 * default_convert leaves an unbatched sample as it is.
 */
import { Tensor } from '../tensor';
import { stack } from '../ops/movement';
import { tensor } from '../ops/creation';
import { describe } from '../validate';

/** The batch defaultCollate makes from samples of type T: tensors, numbers and booleans stack into one tensor, strings into a list, arrays and objects are collated field by field. */
export type Collated<T> = T extends Tensor
  ? Tensor
  : T extends number | boolean | ArrayBufferView
    ? Tensor
    : T extends string
      ? string[]
      : T extends readonly unknown[]
        ? { -readonly [K in keyof T]: Collated<T[K]> }
        : T extends object
          ? { [K in keyof T]: Collated<T[K]> }
          : never;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function fail(elem: unknown): never {
  throw new TypeError(`default_collate: batch must contain tensors, numbers, dicts or lists; found ${describe(elem)}`);
}

function collate(batch: readonly unknown[]): unknown {
  const elem = batch[0];
  if (elem instanceof Tensor) {
    batch.forEach((b) => b instanceof Tensor || fail(b));
    return stack(batch as Tensor[], 0);
  }
  if (ArrayBuffer.isView(elem) && !(elem instanceof DataView)) {
    // A typed array is a numpy array here: as_tensor each, then stack.
    return collate(batch.map((b) => (ArrayBuffer.isView(b) ? tensor(b as Float32Array) : fail(b))));
  }
  if (typeof elem === 'number') {
    batch.forEach((b) => typeof b === 'number' || fail(b));
    // A JS number does not say int or float: a batch of integers is PyTorch's int batch (int64, int32 here),
    // any fraction makes it PyTorch's float batch (float64).
    const nums = batch as number[];
    return tensor(nums, { dtype: nums.every(Number.isInteger) ? 'int32' : 'float64' });
  }
  if (typeof elem === 'boolean') {
    batch.forEach((b) => typeof b === 'boolean' || fail(b));
    return tensor(batch as boolean[]);
  }
  if (typeof elem === 'string') return [...batch];
  if (Array.isArray(elem)) {
    const size = elem.length;
    batch.forEach((b) => Array.isArray(b) || fail(b));
    if (!(batch as unknown[][]).every((b) => b.length === size)) {
      throw new RangeError('default_collate: each element in list of batch should be of equal size');
    }
    return elem.map((_, i) => collate((batch as unknown[][]).map((b) => b[i])));
  }
  if (isPlainObject(elem)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(elem)) {
      out[key] = collate(batch.map((b) => (isPlainObject(b) ? b[key] : fail(b))));
    }
    return out;
  }
  return fail(elem);
}

/**
 * Merges samples into a batch, as torch.utils.data.default_collate: tensors are stacked along a new first dim;
 * numbers become one tensor (int32, PyTorch's int64, when all are integers, else float64, PyTorch's dtype for
 * Python floats); booleans a bool tensor; typed arrays tensors, stacked; strings stay a list; arrays (PyTorch's
 * tuples and lists) are transposed and each position collated; plain objects (dicts) are collated key by key.
 * @throws TypeError for another kind of sample, RangeError for arrays of unequal lengths or tensors of unequal shapes
 * @example data.defaultCollate([{ x: t0, y: 0 }, { x: t1, y: 1 }]) // { x: Tensor [2, ...], y: Tensor [2] }
 */
export function defaultCollate<T>(batch: readonly T[]): Collated<T> {
  if (!Array.isArray(batch)) throw new TypeError(`default_collate: expected an array of samples for 'batch' but received ${describe(batch)}`);
  if (batch.length === 0) throw new RangeError('default_collate: expected a non-empty batch');
  return collate(batch) as Collated<T>;
}

/**
 * The collate of unbatched loading (batchSize null), as torch.utils.data.default_convert: a sample is returned as
 * it is (PyTorch converts only numpy arrays, which JS does not have).
 * @example data.defaultConvert(sample) === sample
 */
export function defaultConvert<T>(sample: T): T {
  return sample;
}
