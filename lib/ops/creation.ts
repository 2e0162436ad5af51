/** Tensor factories: tensor, zeros, ones, full, empty, arange, linspace, eye and the *Like variants. */
import { allocate, checkDType, dtypeOfStorage } from '../dtype';
import type { DType, DTypeLike, Storage } from '../dtype';
import { Tensor } from '../tensor';
import { checkShape, contiguousStrides, numelOf, shapeStr } from '../shape';
import { empty as emptyOf } from './movement';

export interface TensorOptions {
  dtype?: DTypeLike;
  requiresGrad?: boolean;
}

/** Size arguments as PyTorch takes them: (2, 3), ([2, 3]), each optionally followed by an options object. */
export type SizeArgs<O> = readonly (number | readonly number[] | O)[];

export function parseSizeArgs<O extends object>(op: string, args: SizeArgs<O>): { shape: number[]; options: O } {
  let list = [...args];
  let options = {} as O;
  const last = list[list.length - 1];
  if (last !== undefined && typeof last === 'object' && !Array.isArray(last)) {
    options = last as O;
    list = list.slice(0, -1);
  }
  const dims = list.length === 1 && Array.isArray(list[0]) ? (list[0] as readonly unknown[]) : list;
  return { shape: [...checkShape(op, dims)], options };
}

function finish(t: Tensor, options: TensorOptions): Tensor {
  if (options.requiresGrad) {
    if (t.dtype !== 'float32') throw new TypeError('Only Tensors of floating point dtype can require gradients');
    t.requiresGrad = true;
  }
  return t;
}

function filled(op: string, shape: number[], value: number | boolean, options: TensorOptions, dflt: DType = 'float32'): Tensor {
  const dtype = options.dtype === undefined ? dflt : checkDType(op, options.dtype);
  const t = emptyOf(shape, dtype);
  const v = typeof value === 'boolean' ? (value ? 1 : 0) : value;
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
/** Every element set to value; the dtype follows the value (bool, else float32) unless given. */
export function full(size: readonly number[], value: number | boolean, options: TensorOptions = {}): Tensor {
  if (typeof value !== 'number' && typeof value !== 'boolean') throw new TypeError('full: expected a number or boolean fill value');
  return filled('full', [...checkShape('full', size)], value, options, typeof value === 'boolean' ? 'bool' : 'float32');
}
export function zerosLike(x: Tensor, options: TensorOptions = {}): Tensor {
  return filled('zerosLike', [...x.shape], 0, options, x.dtype);
}
export function onesLike(x: Tensor, options: TensorOptions = {}): Tensor {
  return filled('onesLike', [...x.shape], 1, options, x.dtype);
}
export function emptyLike(x: Tensor, options: TensorOptions = {}): Tensor {
  return filled('emptyLike', [...x.shape], 0, options, x.dtype);
}
export function fullLike(x: Tensor, value: number | boolean, options: TensorOptions = {}): Tensor {
  return filled('fullLike', [...x.shape], value, options, x.dtype);
}

type Nested = number | boolean | readonly Nested[] | Storage | Float64Array;

function isTypedArray(v: unknown): v is ArrayLike<number> {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

/**
 * A tensor from nested arrays, a typed array, a number or a boolean. JS numbers give float32 (a JS number
 * does not say whether it was written 1 or 1.0); booleans give bool; Int32Array gives int32.
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
  let inferred: DType = 'float32';
  if (typeof probe === 'boolean') inferred = 'bool';
  if (isTypedArray(data) && shape.length === 1) inferred = dtypeOfStorage(data) ?? 'float32';
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
    for (let i = 0; i < n; i++) values[i] = (data as ArrayLike<number>)[i]!;
    allBool = false;
  } else {
    walk(data, 0, []);
  }
  if (inferred === 'bool' && !allBool) inferred = 'float32';
  const dtype = options.dtype === undefined ? inferred : checkDType('tensor', options.dtype);
  const storage = allocate(dtype, n);
  if (dtype === 'bool') for (let i = 0; i < n; i++) storage[i] = values[i] !== 0 ? 1 : 0;
  else if (dtype === 'int32') for (let i = 0; i < n; i++) storage[i] = Math.trunc(values[i]!);
  else storage.set(values);
  return finish(new Tensor(storage, shape, contiguousStrides(shape), 0, dtype), options);
}

/**
 * Values from start (inclusive) to end (exclusive) by step: arange(end) or arange(start, end, step).
 * Integer arguments give int32 (PyTorch's int64), others float32.
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
  const dtype = options.dtype === undefined ? (allInt ? 'int32' : 'float32') : checkDType('arange', options.dtype);
  const n = Math.ceil((end - start) / step);
  const t = emptyOf([n], dtype);
  // PyTorch computes start + i * step in double, then casts.
  for (let i = 0; i < n; i++) t.data[i] = start + i * step;
  return finish(t, options);
}

/** `steps` evenly spaced values from start to end inclusive, computed as PyTorch does (from both ends). */
export function linspace(start: number, end: number, steps: number, options: TensorOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`linspace: number of steps must be non-negative (got ${steps})`);
  const dtype = options.dtype === undefined ? 'float32' : checkDType('linspace', options.dtype);
  const t = emptyOf([steps], dtype);
  if (steps === 1) t.data[0] = start;
  if (steps > 1) {
    // PyTorch's CPU kernel: a float step, values taken from the nearer end, in chunks of 16 as two vectors of
    // base + j * step (plain float arithmetic), then the tail one by one with a fused multiply-add, which double
    // arithmetic plus one rounding reproduces (step * k is exact in double).
    const f = Math.fround;
    const s = f(start);
    const e = f(end);
    const step = f(f(e - s) / (steps - 1));
    const half = Math.floor(steps / 2);
    const at = (i: number): number => (i < half ? f(s + step * i) : f(e - step * (steps - i - 1)));
    let i = 0;
    for (; i + 16 <= steps; i += 8) {
      const base = at(i);
      for (let j = 0; j < 8; j++) t.data[i + j] = f(base + f(j * step));
      i += 8;
      const base2 = at(i);
      for (let j = 0; j < 8; j++) t.data[i + j] = f(base2 + f(j * step));
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
