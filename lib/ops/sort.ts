/**
 * Ordering ops computed along one dim in TypeScript: sort, argsort, topk, and (flattened) unique, searchsorted,
 * bucketize. Values come from a gather at the computed positions, so their gradient is gather's.
 */
import { notImplemented } from '../dtype';
import { Tensor, defineMethods } from '../tensor';
import { checkBool, checkInt, checkOptions, checkTensor, describe } from '../validate';
import { ascending, forEachLane, intTensor, lanesOf } from './along';
import type { Lanes } from './along';
import { maxMin } from './reduce';
import type { MaxMin } from './reduce';

/** What sort and topk return: the values and their positions along dim; destructures as [values, indices]. */
export type ValuesIndices = MaxMin;
const valuesIndices = maxMin;

export interface SortOptions {
  dim?: number;
  descending?: boolean;
  /** Keep equal values in their order (torchlet's sort is always stable; the flag is accepted as PyTorch's). */
  stable?: boolean;
}

/** sort's arguments: (dim, descending) as PyTorch's positional ones, or an options object. */
function sortArgs(op: string, dimOrOptions: number | SortOptions | undefined, descending: boolean | undefined): { dim: number; descending: boolean } {
  if (dimOrOptions !== undefined && typeof dimOrOptions === 'object') {
    const o = checkOptions(op, dimOrOptions);
    checkBool(op, 'stable', o.stable, false);
    return { dim: o.dim ?? -1, descending: checkBool(op, 'descending', o.descending, false) };
  }
  if (dimOrOptions !== undefined && typeof dimOrOptions !== 'number') {
    throw new TypeError(`${op}: expected an integer or an options object for 'dim' but received ${describe(dimOrOptions)}`);
  }
  return { dim: dimOrOptions ?? -1, descending: checkBool(op, 'descending', descending, false) };
}

/** The positions that order each lane (stable: equal values keep their order; NaN counts as the largest). */
function orderLanes(l: Lanes, descending: boolean, k = l.n): Int32Array {
  const out = new Int32Array(l.outer * l.inner * k);
  const idx = new Array<number>(l.n);
  const v = l.values;
  forEachLane(l, (base, step) => {
    for (let j = 0; j < l.n; j++) idx[j] = j;
    const cmp = descending ? (a: number, b: number) => ascending(v[base + b * step]!, v[base + a * step]!) || a - b : (a: number, b: number) => ascending(v[base + a * step]!, v[base + b * step]!) || a - b;
    idx.sort(cmp);
    // The lane's results sit where its entries sat, with k entries along dim.
    const o = Math.floor(base / (l.n * l.inner));
    const i = base - o * l.n * l.inner;
    for (let j = 0; j < k; j++) out[o * k * l.inner + j * l.inner + i] = idx[j]!;
  });
  return out;
}

function sortedIndices(op: string, x: Tensor, dim: number, descending: boolean): Tensor {
  const l = lanesOf(op, x, dim);
  return intTensor(orderLanes(l, descending), x.shape);
}

/**
 * x sorted along dim, with the positions the values came from, as torch.sort (stable; NaN sorts as the largest).
 * @example const { values, indices } = torch.sort(x, { dim: 1, descending: true });
 */
export function sort(x: Tensor, dim?: number | SortOptions, descending?: boolean): ValuesIndices {
  checkTensor('sort', 'input', x);
  const a = sortArgs('sort', dim, descending);
  const indices = sortedIndices('sort', x, a.dim, a.descending);
  return valuesIndices(x.dim() === 0 ? x.clone() : x.gather(a.dim, indices), indices);
}

/** The positions that sort x along dim, as torch.argsort. @example torch.argsort(x, { descending: true }) */
export function argsort(x: Tensor, dim?: number | SortOptions, descending?: boolean): Tensor {
  checkTensor('argsort', 'input', x);
  const a = sortArgs('argsort', dim, descending);
  return sortedIndices('argsort', x, a.dim, a.descending);
}

export interface TopkOptions {
  dim?: number;
  largest?: boolean;
  sorted?: boolean;
}

/**
 * The k largest (or smallest) entries along dim and their positions, as torch.topk; NaN counts as the largest. The
 * values always come sorted (PyTorch leaves their order unspecified with sorted: false).
 * @throws RangeError when k is outside [0, size of dim]
 * @example const [values, indices] = torch.topk(logits, 5);
 */
export function topk(x: Tensor, k: number, options?: TopkOptions | number): ValuesIndices {
  checkTensor('topk', 'input', x);
  checkInt('topk', 'k', k);
  const o = typeof options === 'number' ? { dim: options } : checkOptions('topk', options);
  const largest = checkBool('topk', 'largest', o.largest, true);
  checkBool('topk', 'sorted', o.sorted, true);
  const l = lanesOf('topk', x, o.dim ?? -1);
  if (k < 0 || k > l.n) throw new RangeError(`topk: selected index k out of range (k = ${k}, size ${l.n} along dim ${l.d})`);
  if (x.dtype === 'bool') throw notImplemented('topk', 'topk_cpu', 'bool');
  const shape = x.dim() === 0 ? [] : x.shape.map((s, i) => (i === l.d ? k : s));
  const indices = intTensor(orderLanes(l, largest, k), shape);
  return valuesIndices(x.dim() === 0 ? x.clone() : x.gather(l.d, indices), indices);
}

declare module '../tensor' {
  interface Tensor {
    sort(dim?: number | SortOptions, descending?: boolean): ValuesIndices;
    argsort(dim?: number | SortOptions, descending?: boolean): Tensor;
    topk(k: number, options?: TopkOptions | number): ValuesIndices;
  }
}

defineMethods({
  sort(this: Tensor, dim?: number | SortOptions, descending?: boolean) {
    return sort(this, dim, descending);
  },
  argsort(this: Tensor, dim?: number | SortOptions, descending?: boolean) {
    return argsort(this, dim, descending);
  },
  topk(this: Tensor, k: number, options?: TopkOptions | number) {
    return topk(this, k, options);
  },
});
