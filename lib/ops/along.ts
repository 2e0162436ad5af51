/**
 * Helpers shared by the ops that run along one dim in TypeScript (sort, topk, cumsum, cumprod, unique): the dense
 * values seen as outer x n x inner lanes, and results built from index arrays.
 */
import * as K from '../backend/kernels';
import type { Storage } from '../dtype';
import { Tensor } from '../tensor';
import { noGrad } from '../autograd/grad_mode';
import { checkTensor, checkUntrackedOperand, checkWritable } from '../validate';
import { normalizeDim, numelOf, sameShape, shapeStr } from '../shape';

/** x's values in row-major order, seen as `outer` blocks of `n` entries along dim, `inner` apart. */
export interface Lanes {
  readonly values: Storage;
  readonly outer: number;
  readonly n: number;
  readonly inner: number;
  /** The dim, normalized (0 for a 0-d tensor). */
  readonly d: number;
}

/** The lanes of x along dim (a 0-d tensor is one lane of one entry). */
export function lanesOf(op: string, x: Tensor, dim: number): Lanes {
  const d = normalizeDim(op, dim, x.dim());
  if (x.dim() === 0) return { values: K.dense(x), outer: 1, n: 1, inner: 1, d: 0 };
  return {
    values: K.dense(x),
    outer: numelOf(x.shape.slice(0, d)),
    n: x.shape[d]!,
    inner: numelOf(x.shape.slice(d + 1)),
    d,
  };
}

/** Calls f(base, step) for each lane: its entries are values[base + k * step], k < n. */
export function forEachLane(l: Lanes, f: (base: number, step: number) => void): void {
  for (let o = 0; o < l.outer; o++) {
    for (let i = 0; i < l.inner; i++) f(o * l.n * l.inner + i, l.inner);
  }
}

/** An int32 tensor (PyTorch int64) holding `values`. */
export function intTensor(values: Int32Array, shape: readonly number[]): Tensor {
  return new Tensor(values, shape, undefined, 0, 'int32');
}

/** PyTorch's order for sorting: NaN above everything (so last ascending, first descending). */
export function ascending(a: number, b: number): number {
  const an = a !== a;
  const bn = b !== b;
  if (an || bn) return an === bn ? 0 : an ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Writes the out-of-place result of op into x, as PyTorch's in-place forms: x writable, operands untracked, the
 * result of x's shape (a mask or operand may broadcast to x, not x to them).
 */
export function writeInto(op: string, x: Tensor, operands: readonly unknown[], result: () => Tensor): Tensor {
  checkTensor(op, 'input', x);
  checkWritable(x, op);
  for (const v of operands) checkUntrackedOperand(op, v);
  const r = noGrad(result);
  if (!sameShape(r.shape, x.shape)) throw new RangeError(`${op}: output with shape ${shapeStr(x.shape)} doesn't match the broadcast shape ${shapeStr(r.shape)}`);
  K.copy(x, r);
  return x;
}

