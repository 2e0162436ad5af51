/** Tensor factories: tensor, zeros, ones, full, empty, arange, linspace, eye and the *Like variants. */
import { allocate, checkDType, dtypeOfStorage, getDefaultDtype, isFloating } from '../dtype';
import type { DType, DTypeLike, Storage } from '../dtype';
import { Tensor, emptyTensor } from '../tensor';
import { contiguousStrides, numelOf, shapeStr } from '../shape';
import { checkIntValue, checkShape, checkTensor, parseSizeArgs } from '../validate';
import type { SizeArgs } from '../validate';

export type { SizeArgs } from '../validate';

export interface TensorOptions {
  dtype?: DTypeLike;
  requiresGrad?: boolean;
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

function filled(op: string, shape: number[], value: number | boolean, options: TensorOptions, dflt: DType = getDefaultDtype()): Tensor {
  const dtype = options.dtype === undefined ? dflt : checkDType(op, options.dtype);
  const t = emptyTensor(shape, dtype);
  const v = storedValue(op, dtype, value);
  if (v !== 0) t.data.fill(v);
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
/** Uninitialised in PyTorch; zero-filled here, since fresh JS memory is always zeroed. */
export function empty(...args: SizeArgs<TensorOptions>): Tensor {
  const { shape, options } = parseSizeArgs('empty', args);
  return filled('empty', shape, 0, options);
}
/** Every element set to value; the dtype follows the value (bool, else the default float dtype) unless given. */
export function full(size: readonly number[], value: number | boolean, options: TensorOptions = {}): Tensor {
  if (typeof value !== 'number' && typeof value !== 'boolean') throw new TypeError('full: expected a number or boolean fill value');
  return filled('full', [...checkShape('full', size)], value, options, typeof value === 'boolean' ? 'bool' : getDefaultDtype());
}
export function zerosLike(x: Tensor, options: TensorOptions = {}): Tensor {
  checkTensor('zerosLike', 'input', x);
  return filled('zerosLike', [...x.shape], 0, options, x.dtype);
}
export function onesLike(x: Tensor, options: TensorOptions = {}): Tensor {
  checkTensor('onesLike', 'input', x);
  return filled('onesLike', [...x.shape], 1, options, x.dtype);
}
export function emptyLike(x: Tensor, options: TensorOptions = {}): Tensor {
  checkTensor('emptyLike', 'input', x);
  return filled('emptyLike', [...x.shape], 0, options, x.dtype);
}
export function fullLike(x: Tensor, value: number | boolean, options: TensorOptions = {}): Tensor {
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
export function tensor(data: Nested | Tensor, options: TensorOptions = {}): Tensor {
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
 */
export function arange(start: number, end?: number, step = 1, options: TensorOptions = {}): Tensor {
  if (end === undefined) {
    end = start;
    start = 0;
  }
  if (![start, end, step].every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new TypeError(`arange: expected finite numbers but received (${start}, ${end}, ${step})`);
  }
  if (step === 0) throw new RangeError('arange: step must be nonzero');
  if ((step > 0 && end < start) || (step < 0 && end > start)) {
    throw new RangeError('arange: upper bound and larger bound inconsistent with step sign');
  }
  const allInt = Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(step);
  const dtype = options.dtype === undefined ? (allInt ? 'int32' : getDefaultDtype()) : checkDType('arange', options.dtype);
  const n = Math.ceil((end - start) / step);
  const t = emptyTensor([n], dtype);
  // PyTorch computes start + i * step in double, then casts.
  for (let i = 0; i < n; i++) t.data[i] = start + i * step;
  return finish(t, options);
}

/** x = m * 2^e with an integer m, for exact arithmetic on doubles. */
function exactParts(x: number): [bigint, number] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const biased = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  if (biased !== 0) m |= 1n << 52n;
  return [hi >>> 31 ? -m : m, (biased === 0 ? 1 : biased) - 1075];
}

/** a * b + c rounded once, as the fused multiply-add of PyTorch's compiled double kernels (JS has no Math.fma). */
function fma(a: number, b: number, c: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b) || !Number.isFinite(c) || a === 0 || b === 0 || c === 0) return a * b + c;
  const [ma, ea] = exactParts(a);
  const [mb, eb] = exactParts(b);
  const [mc, ec] = exactParts(c);
  const e = Math.min(ea + eb, ec);
  const sum = ((ma * mb) << BigInt(ea + eb - e)) + (mc << BigInt(ec - e));
  // Number() rounds the exact integer to nearest-even; the power-of-two scaling is exact (in two steps when
  // 2^e alone would underflow).
  return e < -1000 ? Number(sum) * 2 ** (e + 500) * 2 ** -500 : Number(sum) * 2 ** e;
}

/** `steps` evenly spaced values from start to end inclusive, computed as PyTorch does (from both ends). */
export function linspace(start: number, end: number, steps: number, options: TensorOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`linspace: number of steps must be non-negative (got ${steps})`);
  const dtype = options.dtype === undefined ? getDefaultDtype() : checkDType('linspace', options.dtype);
  const t = emptyTensor([steps], dtype);
  if (steps === 1) t.data[0] = start;
  if (steps > 1) {
    // PyTorch's CPU kernel: a step in the tensor's type, values taken from the nearer end, in chunks of two AVX2
    // vectors (8 floats or 4 doubles each) of base + j * step, then the tail one by one; its compiler fuses each
    // multiply-add. For float32, double arithmetic plus one rounding is that fused result (the products are exact
    // in double); float64 needs a real fused multiply-add.
    const double = dtype === 'float64';
    const f = double ? (x: number): number => x : Math.fround;
    const lanes = double ? 4 : 8;
    const s = f(start);
    const e = f(end);
    const step = f(f(e - s) / (steps - 1));
    const half = Math.floor(steps / 2);
    const at = double
      ? (i: number): number => (i < half ? fma(step, i, s) : fma(-step, steps - i - 1, e))
      : (i: number): number => (i < half ? f(s + step * i) : f(e - step * (steps - i - 1)));
    const lane = double ? (base: number, j: number): number => fma(j, step, base) : (base: number, j: number): number => f(base + f(j * step));
    let i = 0;
    for (; i + 2 * lanes <= steps; i += lanes) {
      const base = at(i);
      for (let j = 0; j < lanes; j++) t.data[i + j] = lane(base, j);
      i += lanes;
      const base2 = at(i);
      for (let j = 0; j < lanes; j++) t.data[i + j] = lane(base2, j);
    }
    for (; i < steps; i++) t.data[i] = at(i);
  }
  return finish(t, options);
}

/** The n x m identity matrix (m defaults to n). */
export function eye(n: number, m = n, options: TensorOptions = {}): Tensor {
  checkShape('eye', [n, m]);
  const t = filled('eye', [n, m], 0, options);
  for (let i = 0; i < Math.min(n, m); i++) t.data[i * m + i] = 1;
  return t;
}
