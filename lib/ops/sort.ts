/**
 * Ordering ops computed along one dim in TypeScript: sort, argsort, topk, and (flattened) unique, searchsorted,
 * bucketize. Values come from a gather at the computed positions, so their gradient is gather's.
 */
import { notImplemented } from '../dtype';
import * as K from '../backend/kernels';
import { noGrad } from '../autograd/grad_mode';
import { numelOf, shapeStr } from '../shape';
import { Tensor, defineMethods } from '../tensor';
import { checkBool, checkInt, checkOperand, checkOptions, checkTensor, describe } from '../validate';
import type { Scalar } from '../validate';
import { ascending, forEachLane, intTensor, lanesOf } from './along';
import { scalarTensor } from './elementwise';
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

/**
 * The positions of the k first entries of each lane in sort order (the same order orderLanes gives: ties by
 * position), in one pass keeping a sorted buffer of k: topk's path when k is small next to the lane.
 */
function selectLanes(l: Lanes, largest: boolean, k: number): Int32Array {
  const out = new Int32Array(l.outer * l.inner * k);
  const v = l.values;
  const best = new Int32Array(k);
  // before(a, b): entry a comes first (a < b in position when values tie: a was seen earlier).
  const before = (a: number, b: number, base: number, step: number): boolean => {
    const c = ascending(v[base + a * step]!, v[base + b * step]!);
    return largest ? c > 0 : c < 0;
  };
  forEachLane(l, (base, step) => {
    let size = 0;
    for (let j = 0; j < l.n; j++) {
      if (size === k && !before(j, best[k - 1]!, base, step)) continue;
      let at = size < k ? size++ : k - 1;
      while (at > 0 && before(j, best[at - 1]!, base, step)) {
        best[at] = best[at - 1]!;
        at--;
      }
      best[at] = j;
    }
    const o = Math.floor(base / (l.n * l.inner));
    const i = base - o * l.n * l.inner;
    for (let j = 0; j < k; j++) out[o * k * l.inner + j * l.inner + i] = best[j]!;
  });
  return out;
}

function sortedIndices(op: string, x: Tensor, dim: number, descending: boolean): Tensor {
  const l = lanesOf(op, x, dim);
  return intTensor(orderLanes(l, descending), x.shape);
}

/**
 * x sorted along dim, with the positions the values came from, as torch.sort (stable; NaN sorts as the largest).
 * @param x the input
 * @param dim the dim (default -1), or an options object { dim, descending, stable }
 * @param descending largest first
 * @throws RangeError for a dim out of range
 * @example const { values, indices } = torch.sort(x, { dim: 1, descending: true });
 */
export function sort(x: Tensor, dim?: number | SortOptions, descending?: boolean): ValuesIndices {
  checkTensor('sort', 'input', x);
  const a = sortArgs('sort', dim, descending);
  const indices = sortedIndices('sort', x, a.dim, a.descending);
  return valuesIndices(x.dim() === 0 ? x.clone() : x.gather(a.dim, indices), indices);
}

/**
 * The positions that sort x along dim, as torch.argsort.
 * @param x the input
 * @param dim the dim (default -1), or an options object { dim, descending, stable }
 * @param descending largest first
 * @example torch.argsort(x, { descending: true })
 */
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
 * @param x the input (not bool)
 * @param k how many entries
 * @param options { dim (default -1), largest (default true), sorted }, or the dim
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
  // A small k is a selection, not a sort (the order of equal values is the same either way).
  const indices = intTensor(k <= 64 && k * 8 <= l.n ? selectLanes(l, largest, k) : orderLanes(l, largest, k), shape);
  return valuesIndices(x.dim() === 0 ? x.clone() : x.gather(l.d, indices), indices);
}

export interface UniqueOptions {
  /** Sorted ascending (default; torchlet always sorts, PyTorch leaves the order unspecified without it). */
  sorted?: boolean;
  /** Also return, for each entry (or slice) of x, the position of its value in the output. */
  returnInverse?: boolean;
  /** Also return how many times each unique value (or slice) occurs. */
  returnCounts?: boolean;
  /** Unique slices along this dim instead of unique values of the flattened x. */
  dim?: number | null;
}

/** Orders two rows of `width` values lexicographically, NaN counting as the largest. */
function compareRows(v: ArrayLike<number>, width: number, a: number, b: number): number {
  for (let k = 0; k < width; k++) {
    const c = ascending(v[a * width + k]!, v[b * width + k]!);
    if (c !== 0) return c;
  }
  return 0;
}

/**
 * The unique values of x (flattened), or its unique slices along dim, in ascending order, as torch.unique; with
 * returnInverse and/or returnCounts an array [output, inverse?, counts?] of the requested results. Each NaN is a value
 * of its own (as PyTorch 2; 1.13's sort-based CPU kernel miscounts NaN). Not differentiable, as in PyTorch.
 * @param x the input
 * @param options sorted, returnInverse, returnCounts, dim
 * @example const [values, counts] = torch.unique(labels, { returnCounts: true }) as Tensor[];
 */
export function unique(x: Tensor, options?: UniqueOptions): Tensor | Tensor[] {
  const op = 'unique';
  checkTensor(op, 'input', x);
  const o = checkOptions(op, options);
  checkBool(op, 'sorted', o.sorted, true);
  const returnInverse = checkBool(op, 'returnInverse', o.returnInverse, false);
  const returnCounts = checkBool(op, 'returnCounts', o.returnCounts, false);
  const byDim = o.dim !== null && o.dim !== undefined;
  if (byDim && x.dim() === 0) throw new RangeError(`${op}: Dimension specified as ${o.dim} but tensor has no dimensions`);
  const d = byDim ? lanesOf(op, x, o.dim!).d : 0;
  return noGrad(() => {
    // Rows: the slices along d (each flattened), or the single values.
    const rows = byDim ? x.permute([d, ...x.shape.map((_, k) => k).filter((k) => k !== d)]) : x.reshape([-1, 1]);
    const n = rows.shape[0]!;
    const width = n === 0 ? 0 : numelOf(rows.shape) / n;
    const v = K.dense(rows.contiguous());
    const order = Array.from({ length: n }, (_, i) => i);
    order.sort((a, b) => compareRows(v, width, a, b) || a - b);
    const same = (a: number, b: number): boolean => {
      for (let k = 0; k < width; k++) if (!(v[a * width + k] === v[b * width + k])) return false;
      return true;
    };
    const firsts: number[] = [];
    const counts: number[] = [];
    const inverse = new Int32Array(n);
    order.forEach((r, i) => {
      if (i === 0 || !same(order[i - 1]!, r)) {
        firsts.push(r);
        counts.push(0);
      }
      counts[counts.length - 1]!++;
      inverse[r] = firsts.length - 1;
    });
    const picked = intTensor(Int32Array.from(firsts), [firsts.length]);
    const output = byDim ? x.indexSelect(d, picked) : x.reshape([-1]).indexSelect(0, picked);
    if (!returnInverse && !returnCounts) return output;
    const out = [output];
    if (returnInverse) out.push(intTensor(inverse, byDim ? [n] : x.shape));
    if (returnCounts) out.push(intTensor(Int32Array.from(counts), [counts.length]));
    return out;
  });
}

export interface SearchOptions {
  /** Return the last position instead of the first at which each value could be inserted. */
  right?: boolean;
  /** 'left' or 'right', the same as right (either one asking for 'right' wins, as in PyTorch). */
  side?: 'left' | 'right';
  /** Results as int32: torchlet's indices are int32 (PyTorch's int64) either way. */
  outInt32?: boolean;
  /** Positions that sort sortedSequence along its last dim, when it is not sorted itself. */
  sorter?: Tensor;
}

/**
 * For each value, the position in sortedSequence (its last dim, per leading index) where it would be inserted to keep
 * it sorted, as torch.searchsorted (NaN compared as PyTorch compares it). A 1-D sequence serves every value.
 * @param sortedSequence sorted along its last dim; its leading dims match values' leading dims unless it is 1-D
 * @param values a tensor or a number
 * @param options right / side, sorter, outInt32
 * @throws RangeError for shapes that do not fit, or a side other than 'left' and 'right'
 * @example torch.searchsorted(torch.tensor([1, 3, 5, 7]), torch.tensor([3, 6, 9])) // [1, 3, 4]
 */
export function searchsorted(sortedSequence: Tensor, values: Tensor | Scalar, options?: SearchOptions): Tensor {
  const op = 'searchsorted';
  checkTensor(op, 'sortedSequence', sortedSequence);
  checkOperand(op, 'values', values);
  const o = checkOptions(op, options);
  if (o.side !== undefined && o.side !== 'left' && o.side !== 'right') {
    throw new RangeError(`${op}: torch.searchsorted(): side can only be 'left' or 'right' but got ${String(o.side)}`);
  }
  const right = checkBool(op, 'right', o.right, false) || o.side === 'right';
  checkBool(op, 'outInt32', o.outInt32, false);
  const seq = sortedSequence;
  const vals = values instanceof Tensor ? values : scalarTensor(values);
  if (seq.dim() === 0) throw new RangeError(`${op}: torch.searchsorted(): boundaries tensor should have positive dimension, but got 0 dimension`);
  const lead = seq.shape.slice(0, -1);
  if (seq.dim() > 1 && (vals.dim() !== seq.dim() || lead.some((s, i) => s !== vals.shape[i]))) {
    throw new RangeError(
      `${op}: torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries tensor and input value tensor must match, ` +
        `but we got boundaries tensor ${shapeStr(seq.shape)} and input value tensor ${shapeStr(vals.shape)}`,
    );
  }
  const m = seq.shape[seq.dim() - 1]!;
  let sorter: ArrayLike<number> | null = null;
  if (o.sorter !== undefined) {
    checkTensor(op, 'sorter', o.sorter);
    if (o.sorter.dtype !== 'int32') throw new TypeError(`${op}: torch.searchsorted(): sorter must be a tensor of long dtype but got ${o.sorter.dtype}`);
    if (o.sorter.dim() !== seq.dim() || o.sorter.shape.some((s, i) => s !== seq.shape[i])) {
      throw new RangeError(`${op}: torch.searchsorted(): boundary and sorter must have the same size, but got boundary tensor ${shapeStr(seq.shape)} and got sorter tensor ${shapeStr(o.sorter.shape)}`);
    }
    sorter = K.dense(o.sorter);
    for (let i = 0; i < sorter.length; i++) {
      if (sorter[i]! < 0 || sorter[i]! >= m) throw new RangeError(`${op}: torch.searchsorted(): sorter index out of range`);
    }
  }
  const s = K.dense(seq);
  const v = K.dense(vals);
  const out = new Int32Array(v.length);
  const perRow = seq.dim() === 1 ? v.length : vals.shape[vals.dim() - 1]!;
  for (let i = 0; i < v.length; i++) {
    const base = seq.dim() === 1 ? 0 : Math.floor(i / perRow) * m;
    const at = (k: number): number => s[base + (sorter ? sorter[base + k]! : k)]!;
    let lo = 0;
    let hi = m;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      // PyTorch's comparisons, so NaN in the values or the sequence lands where PyTorch puts it.
      const m_ = at(mid);
      if (right ? !(m_ > v[i]!) : !(m_ >= v[i]!)) lo = mid + 1;
      else hi = mid;
    }
    out[i] = lo;
  }
  return intTensor(out, vals.shape);
}

/**
 * The bucket of each entry of x between sorted 1-D boundaries (the index of the first boundary >= x, or > x with
 * right), as torch.bucketize.
 * @param x the values (a tensor or a number)
 * @param boundaries a sorted 1-D tensor
 * @param options right, outInt32
 * @throws RangeError for boundaries that are not 1-D
 * @example torch.bucketize(torch.tensor([3, 6, 9]), torch.tensor([1, 3, 5, 7])) // [1, 3, 4]
 */
export function bucketize(x: Tensor | Scalar, boundaries: Tensor, options?: { right?: boolean; outInt32?: boolean }): Tensor {
  checkOperand('bucketize', 'input', x);
  checkTensor('bucketize', 'boundaries', boundaries);
  if (boundaries.dim() !== 1) throw new RangeError(`bucketize: boundaries tensor must be 1 dimension, but got dim(${boundaries.dim()})`);
  const o = checkOptions('bucketize', options);
  return searchsorted(boundaries, x, { right: checkBool('bucketize', 'right', o.right, false), outInt32: o.outInt32 });
}

declare module '../tensor' {
  interface Tensor {
    sort(dim?: number | SortOptions, descending?: boolean): ValuesIndices;
    argsort(dim?: number | SortOptions, descending?: boolean): Tensor;
    topk(k: number, options?: TopkOptions | number): ValuesIndices;
    unique(options?: UniqueOptions): Tensor | Tensor[];
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
  unique(this: Tensor, options?: UniqueOptions) {
    return unique(this, options);
  },
});
