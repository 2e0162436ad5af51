/** Tensor factories: tensor, zeros, ones, full, empty, arange, linspace, eye and the *Like variants. */
import { DTYPES, allocate, checkDType, dtypeOfStorage, getDefaultDtype, isFloating } from '../dtype';
import type { DType, DTypeLike, Storage } from '../dtype';
import { Tensor, emptyTensor, outputTensor } from '../tensor';
import * as K from '../backend/kernels';
import { contiguousStrides, numelOf, shapeStr } from '../shape';
import { checkBool, checkIntValue, checkNumber, checkOptions, checkShape, checkTensor, describe, parseSizeArgs } from '../validate';
import type { SizeArgs } from '../validate';

export type { SizeArgs } from '../validate';

/**
 * The options of the factories (tensor, zeros, ones, full, arange, ...): torch's dtype and requires_grad keywords. |
 */
export interface TensorOptions {
  dtype?: DTypeLike;
  requiresGrad?: boolean;
}

/** The options object of a factory, checked: a plain object (or undefined) with a boolean requiresGrad. */
function factoryOptions(op: string, options: TensorOptions | undefined): TensorOptions {
  const o = checkOptions(op, options);
  checkBool(op, 'requiresGrad', o.requiresGrad, false);
  return o;
}

/** A fill value: a number or a boolean. */
function checkFillValue(op: string, value: unknown): asserts value is number | boolean {
  if (typeof value !== 'number' && typeof value !== 'boolean') throw new TypeError(`${op}: expected a number or a boolean for 'fillValue' but received ${describe(value)}`);
}

function finish(t: Tensor, options: TensorOptions): Tensor {
  if (options.requiresGrad) {
    if (!isFloating(t.dtype)) throw new TypeError('Only Tensors of floating point dtype can require gradients');
    t.requiresGrad = true;
  }
  return t;
}

/** A fill value as dtype's storage holds it: bool 0 or 1, integers truncated and range-checked. */
function storedValue(op: string, dtype: DType, value: number | boolean): number {
  if (dtype === 'bool') return value === false || value === 0 ? 0 : 1;
  const v = Number(value);
  return dtype === 'int32' ? checkIntValue(op, v) : v;
}

function filled(op: string, shape: number[], value: number | boolean, options: TensorOptions | undefined, dflt: DType = getDefaultDtype()): Tensor {
  options = factoryOptions(op, options);
  checkFillValue(op, value);
  const dtype = options.dtype === undefined ? dflt : checkDType(op, options.dtype);
  const t = emptyTensor(shape, dtype, op);
  const v = storedValue(op, dtype, value);
  if (!Object.is(v, 0)) t.data.fill(v);  // -0 too (the storage starts at +0)
  return finish(t, options);
}

/** Zeros. @example torch.zeros(2, 3) */
export function zeros(...args: SizeArgs<TensorOptions>): Tensor {
  const { shape, options } = parseSizeArgs('zeros', args);
  return filled('zeros', shape, 0, options);
}
/** Ones. @example torch.ones([2, 3], { dtype: 'int32' }) */
export function ones(...args: SizeArgs<TensorOptions>): Tensor {
  const { shape, options } = parseSizeArgs('ones', args);
  return filled('ones', shape, 1, options);
}
/**
 * Uninitialised in PyTorch; zero-filled here, since fresh JS memory is always zeroed.
 * @example torch.empty(2, 3).shape // [2, 3]
 */
export function empty(...args: SizeArgs<TensorOptions>): Tensor {
  const { shape, options } = parseSizeArgs('empty', args);
  return filled('empty', shape, 0, options);
}
/**
 * Every element set to value; the dtype follows the value (bool, else the default float dtype) unless given.
 * @example torch.full([2, 2], 7) // [[7, 7], [7, 7]]
 */
export function full(size: readonly number[], value: number | boolean, options: TensorOptions = {}): Tensor {
  checkFillValue('full', value);
  return filled('full', [...checkShape('full', size)], value, options, typeof value === 'boolean' ? 'bool' : getDefaultDtype());
}
/**
 * Zeros with x's shape and dtype (unless options give one), as torch.zeros_like.
 * @example torch.zerosLike(torch.ones(2, 3)).shape // [2, 3]
 */
export function zerosLike(x: Tensor, options?: TensorOptions): Tensor {
  checkTensor('zerosLike', 'input', x);
  return filled('zerosLike', [...x.shape], 0, options, x.dtype);
}
/**
 * Ones with x's shape and dtype (unless options give one), as torch.ones_like.
 * @example torch.onesLike(torch.zeros(2), { dtype: 'int32' }) // [1, 1]
 */
export function onesLike(x: Tensor, options?: TensorOptions): Tensor {
  checkTensor('onesLike', 'input', x);
  return filled('onesLike', [...x.shape], 1, options, x.dtype);
}
/**
 * A tensor with x's shape and dtype (unless options give one), zero-filled here, as torch.empty_like.
 * @example torch.emptyLike(torch.ones(4)).shape // [4]
 */
export function emptyLike(x: Tensor, options?: TensorOptions): Tensor {
  checkTensor('emptyLike', 'input', x);
  return filled('emptyLike', [...x.shape], 0, options, x.dtype);
}
/**
 * value everywhere, with x's shape and dtype (unless options give one), as torch.full_like.
 * @example torch.fullLike(torch.zeros(2), 3) // [3, 3]
 */
export function fullLike(x: Tensor, value: number | boolean, options?: TensorOptions): Tensor {
  checkTensor('fullLike', 'input', x);
  return filled('fullLike', [...x.shape], value, options, x.dtype);
}

type Nested = number | boolean | readonly Nested[] | Storage;

function isTypedArray(v: unknown): v is ArrayLike<number> {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

/**
 * A tensor from nested arrays, a typed array, a number or a boolean. JS numbers give the default float dtype
 * (a JS number does not say whether it was written 1 or 1.0); booleans give bool; a typed array gives its dtype
 * (Float64Array float64, Int32Array int32, Uint8Array bool).
 * @throws TypeError for ragged or non-numeric data.
 * @example torch.tensor([[1, 2], [3, 4]])
 */
export function tensor(data: Nested | Tensor, options?: TensorOptions): Tensor {
  options = factoryOptions('tensor', options);
  if (data instanceof Tensor) {
    const c = data.clone();
    return finish(options.dtype ? c.to(checkDType('tensor', options.dtype)) : c, options);
  }
  const shape: number[] = [];
  // The shape comes from the first element at each depth; every other element must agree.
  let probe: unknown = data;
  while (Array.isArray(probe) || isTypedArray(probe)) {
    shape.push((probe as ArrayLike<unknown>).length);
    if ((probe as ArrayLike<unknown>).length === 0 || isTypedArray(probe)) break;
    probe = (probe as readonly unknown[])[0];
  }
  const n = numelOf(shape);
  let inferred: DType = getDefaultDtype();
  if (typeof probe === 'boolean') inferred = 'bool';
  if (isTypedArray(data) && shape.length === 1) inferred = dtypeOfStorage(data) ?? getDefaultDtype();
  const values = new Float64Array(n);
  let allBool = true;
  let at = 0;
  const walk = (v: unknown, depth: number, path: number[]): void => {
    if (depth === shape.length) {
      if (typeof v === 'number') allBool = false;
      else if (typeof v !== 'boolean') {
        throw new TypeError(`tensor: expected numbers or booleans but found ${v === null ? 'null' : typeof v} at ${shapeStr(path)}`);
      }
      values[at++] = Number(v);
      return;
    }
    if (!(Array.isArray(v) || isTypedArray(v))) {
      throw new TypeError(`tensor: expected a sequence at ${shapeStr(path)} (dim ${depth}) but found ${typeof v}`);
    }
    const seq = v as ArrayLike<unknown>;
    if (seq.length !== shape[depth]) {
      throw new TypeError(`tensor: expected sequence of length ${shape[depth]} at dim ${depth} (got ${seq.length})`);
    }
    for (let i = 0; i < seq.length; i++) walk(seq[i], depth + 1, [...path, i]);
  };
  if (isTypedArray(data) && shape.length === 1) {
    // A typed array says its dtype itself (a Uint8Array is bool, its nonzero bytes true).
    for (let i = 0; i < n; i++) values[i] = (data as ArrayLike<number>)[i]!;
  } else {
    walk(data, 0, []);
  }
  if (inferred === 'bool' && !allBool) inferred = getDefaultDtype();
  const dtype = options.dtype === undefined ? inferred : checkDType('tensor', options.dtype);
  const storage = allocate(dtype, n);
  if (dtype === 'float64' || dtype === 'float32') storage.set(values);
  else for (let i = 0; i < n; i++) storage[i] = storedValue('tensor', dtype, values[i]!);
  return finish(new Tensor(storage, shape, contiguousStrides(shape), 0, dtype), options);
}

/**
 * Values from start (inclusive) to end (exclusive) by step: arange(end) or arange(start, end, step).
 * Integer arguments give int32 (PyTorch's int64), others the default float dtype.
 * @example torch.arange(5) // [0, 1, 2, 3, 4] (int32)
 *   torch.arange(0, 1, 0.25) // [0, 0.25, 0.5, 0.75]
 */
export function arange(start: number, end?: number, step = 1, options?: TensorOptions): Tensor {
  options = factoryOptions('arange', options);
  if (end === undefined) {
    end = start;
    start = 0;
  }
  const bounds = [['start', start], ['end', end], ['step', step]] as const;
  for (const [name, v] of bounds) checkNumber('arange', name, v);
  if (!bounds.every(([, v]) => Number.isFinite(v))) {
    // PyTorch's words, with Python's spelling of the non-finite values.
    const py = (v: number): string => (Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : String(v));
    throw new RangeError(`arange: unsupported range: ${py(start)} -> ${py(end)}${Number.isFinite(step) ? '' : ` (step ${py(step)})`}`);
  }
  if (step === 0) throw new RangeError('arange: step must be nonzero');
  if ((step > 0 && end < start) || (step < 0 && end > start)) {
    throw new RangeError('arange: upper bound and larger bound inconsistent with step sign');
  }
  const allInt = Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(step);
  const dtype = options.dtype === undefined ? (allInt ? 'int32' : getDefaultDtype()) : checkDType('arange', options.dtype);
  const n = Math.ceil((end - start) / step);
  // PyTorch computes start + i * step in double, then casts.
  checkRangeValues('arange', dtype, start, start + Math.max(n - 1, 0) * step);
  const t = rangeTensor('arange', n, dtype);
  K.fillRange('arange', t.data, n, start, step);
  return finish(t, options);
}

/**
 * `steps` evenly spaced values from start to end inclusive, computed as PyTorch does (from both ends).
 * @example torch.linspace(0, 1, 5) // [0, 0.25, 0.5, 0.75, 1]
 */
export function linspace(start: number, end: number, steps: number, options?: TensorOptions): Tensor {
  options = factoryOptions('linspace', options);
  checkNumber('linspace', 'start', start);
  checkNumber('linspace', 'end', end);
  if (typeof steps !== 'number') throw new TypeError(`linspace: expected an integer for 'steps' but received ${describe(steps)}`);
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`linspace: number of steps must be non-negative (got ${steps})`);
  const dtype = options.dtype === undefined ? getDefaultDtype() : checkDType('linspace', options.dtype);
  // Non-double dtypes step in float32, so the ends as float32 bound every value.
  checkRangeValues('linspace', dtype, Math.fround(start), Math.fround(end));
  const t = rangeTensor('linspace', steps, dtype);
  K.fillRange('linspace', t.data, steps, start, end);
  return finish(t, options);
}

/**
 * The 1-d result of a range op, every element of which the fill kernel writes; a RangeError naming the op, the
 * element count and the bytes when it cannot be allocated (PyTorch's "can't allocate memory: you tried to allocate
 * N bytes").
 */
function rangeTensor(op: string, n: number, dtype: DType): Tensor {
  try {
    if (n > MAX_ELEMENTS) throw new RangeError('longer than a typed array can be');
    return outputTensor([n], dtype);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    const bytes = n * DTYPES[dtype].size;
    throw new RangeError(`${op}: can't allocate memory: the result of ${n} ${dtype} elements needs ${bytes} bytes (${e.message})`);
  }
}

/** The most elements a typed array (so a tensor's storage) holds in Node. */
const MAX_ELEMENTS = 2 ** 32;

/** Checks that a range op's dtype can hold its values: from..to for int32 (PyTorch's int64), and not bool. */
function checkRangeValues(op: string, dtype: DType, from: number, to: number): void {
  if (dtype === 'bool') throw new TypeError(`${op}: "${op}_cpu" not implemented for 'Bool'`);
  if (dtype === 'int32' && !(Math.min(from, to) > -(2 ** 31) - 1 && Math.max(from, to) < 2 ** 31)) {
    throw new RangeError(`${op}: values from ${from} to ${to} do not fit in int32 (torchlet's int64), [-2147483648, 2147483647]`);
  }
}

/** The n x m identity matrix (m defaults to n). @example torch.eye(2) // [[1, 0], [0, 1]] */
export function eye(n: number, m = n, options?: TensorOptions): Tensor {
  checkShape('eye', [n, m]);
  const t = filled('eye', [n, m], 0, options);
  for (let i = 0; i < Math.min(n, m); i++) t.data[i * m + i] = 1;
  return t;
}
