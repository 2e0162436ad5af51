/**
 * scatter (a source tensor or a value, optionally reduced with 'add' / 'multiply'), scatterReduce ('sum', 'prod',
 * 'mean', 'amax', 'amin', includeSelf) and oneHot, computed in TypeScript over the index's positions.
 */
import { isFloating } from '../dtype';
import { Tensor, defineMethods, emptyTensor } from '../tensor';
import { normalizeDim, numelOf, shapeStr } from '../shape';
import { record } from '../autograd/record';
import { noGrad } from '../autograd/grad_mode';
import { checkBool, checkInt, checkOperand, checkOptions, checkTensor, describe } from '../validate';
import type { Scalar } from '../validate';
import { writeInto } from './along';
import { scalarTensor, where } from './elementwise';
import { sliceScatter } from './movement';

type Combine = (acc: number, v: number) => number;
const COMBINE: Record<string, Combine> = {
  set: (_a, v) => v,
  add: (a, v) => a + v,
  sum: (a, v) => a + v,
  mean: (a, v) => a + v,
  multiply: (a, v) => a * v,
  prod: (a, v) => a * v,
  // NaN wins, as PyTorch's maximum and minimum propagate it.
  amax: (a, v) => (a !== a || v !== v ? NaN : Math.max(a, v)),
  amin: (a, v) => (a !== a || v !== v ? NaN : Math.min(a, v)),
};

/** The checks PyTorch's scatter makes: an int32 index of self's rank, no larger than self (but along dim) or src. */
function checkScatter(op: string, x: Tensor, d: number, index: Tensor, src: Tensor | null): void {
  if (index.dtype !== 'int32') throw new TypeError(`${op}: scatter(): Expected dtype int64 for index (int32 in torchlet) but received ${describe(index)}`);
  if (src && src.dtype !== x.dtype) throw new TypeError(`${op}: scatter(): Expected self.dtype to be equal to src.dtype (${x.dtype} and ${src.dtype})`);
  if (index.dim() !== x.dim() && !(index.numel() === 0 && index.dim() <= 1)) {
    throw new RangeError(`${op}: Index tensor must have the same number of dimensions as self tensor (shapes ${shapeStr(x.shape)} and ${shapeStr(index.shape)})`);
  }
  if (src && index.dim() !== src.dim() && index.numel() > 0 && src.dim() > 0) {
    throw new RangeError(`${op}: Index tensor must have the same number of dimensions as src tensor (shapes ${shapeStr(src.shape)} and ${shapeStr(index.shape)})`);
  }
  const tooBig = index.shape.some((s, k) => k !== d && s > (x.shape[k] ?? 1));
  const tooBigSrc = src !== null && src.dim() > 0 && index.shape.some((s, k) => s > src.shape[k]!);
  if (tooBig || tooBigSrc) {
    throw new RangeError(
      `${op}: Expected index ${shapeStr(index.shape)} to be smaller than self ${shapeStr(x.shape)} apart from dimension ${d}` +
        (src ? ` and to be smaller size than src ${shapeStr(src.shape)}` : ''),
    );
  }
}

/**
 * out (contiguous, x's shape) combined with src at index along d: for every position p of index, out at p with
 * coordinate d replaced by index[p] takes combine(out, src[p]). Returns how many entries landed on each position.
 */
function scatterInto(op: string, out: Tensor, d: number, index: Tensor, src: Tensor | number, combine: Combine): Int32Array {
  const counts = new Int32Array(out.numel());
  const n = index.numel();
  if (n === 0) return counts;
  const rank = index.dim();
  const shape = index.shape;
  const size = out.dim() === 0 ? 1 : out.shape[d]!;
  const outStrides = out.strides;
  const coord = new Array<number>(rank).fill(0);
  const sv = typeof src === 'number' ? null : src;
  for (let p = 0; p < n; p++) {
    let ip = index.offset;
    let op_ = 0;
    let sp = sv ? sv.offset : 0;
    for (let k = 0; k < rank; k++) {
      ip += coord[k]! * index.strides[k]!;
      if (sv && sv.dim() > 0) sp += coord[k]! * sv.strides[k]!;
    }
    const at = index.data[ip]!;
    if (!(at >= 0 && at < size)) throw new RangeError(`${op}: index ${at} is out of bounds for dimension ${d} with size ${size}`);
    for (let k = 0; k < rank; k++) op_ += (k === d ? at : coord[k]!) * (outStrides[k] ?? 0);
    const v = sv ? sv.data[sp]! : (src as number);
    out.data[op_] = combine(out.data[op_]!, v);
    counts[op_]!++;
    for (let k = rank - 1; k >= 0; k--) {
      if (++coord[k]! < shape[k]!) break;
      coord[k] = 0;
    }
  }
  return counts;
}

/** src cut to index's shape (the entries scatter reads), keeping its graph. */
function usedPart(src: Tensor, index: Tensor): Tensor {
  let s = src;
  index.shape.forEach((n, k) => {
    if (s.shape[k] !== n) s = s.narrow(k, 0, n);
  });
  return s;
}

/** g (of index's shape) as a gradient of src: zeros where src has entries beyond the index. */
function padTo(g: Tensor, shape: readonly number[]): Tensor {
  let t = g;
  shape.forEach((n, k) => {
    if (t.shape[k] !== n) t = sliceScatter(t, t.shape.map((m, j) => (j === k ? n : m)), k, 0, 1);
  });
  return t;
}

/** The options of scatter and scatter_. | */
export interface ScatterOptions {
  /** Combine with the entry already there ('add' or 'multiply') instead of replacing it. */
  reduce?: 'add' | 'multiply';
}

/**
 * x with src (a tensor, or one value) written at index along dim, as torch.scatter: out[index[i][j]][j] = src[i][j]
 * for dim 0. With reduce the entry is added to or multiplied into instead. Duplicate positions without reduce keep
 * the last entry written.
 * @param x the input
 * @param dim the dim index addresses
 * @param index int32 positions, of x's rank and no larger than x (but along dim) or src
 * @param src the values: a tensor of x's dtype, or one number
 * @param options reduce: 'add' or 'multiply'
 * @throws RangeError for positions out of bounds or shapes that do not fit
 * @example torch.zeros(2, 3).scatter(0, torch.tensor([[1, 0, 1]], { dtype: 'int64' }), 1)
 */
export function scatter(x: Tensor, dim: number, index: Tensor, src: Tensor | Scalar, options?: ScatterOptions): Tensor {
  const op = 'scatter';
  checkTensor(op, 'input', x);
  checkTensor(op, 'index', index);
  checkOperand(op, 'src', src);
  const reduce = checkOptions(op, options).reduce;
  if (reduce !== undefined && reduce !== 'add' && reduce !== 'multiply') {
    throw new RangeError(`${op}: reduce argument must be either add or multiply. (got ${describe(reduce)})`);
  }
  const d = normalizeDim(op, dim, x.dim());
  const s = src instanceof Tensor ? src : null;
  checkScatter(op, x, d, index, s);
  const out = noGrad(() => x.contiguous().clone());
  const value = s ?? Number(noGrad(() => scalarTensor(src as Scalar, x.dtype, op)).item());
  scatterInto(op, out, d, index, value, COMBINE[reduce ?? 'set']!);
  if (reduce !== undefined) {
    // PyTorch 1.13 has no gradient for the reduce forms: results requiring grad would be wrong.
    if ((x.requiresGrad || s?.requiresGrad) && isFloating(out.dtype)) {
      return record('ScatterBackward1', out, [x, s], () => {
        throw new Error(`${op}: the derivative for scatter with reduce is not implemented (use scatterReduce)`);
      });
    }
    return out;
  }
  return record(s ? 'ScatterBackward0' : 'ScatterBackward1', out, [x, s], (g, needs) => [
    needs[0] ? scatter(g, d, index, 0) : null,
    needs[1] && s ? padTo(g.gather(d, index), s.shape) : null,
  ]);
}

/** The reductions scatterReduce applies where indices collide. | */
export type ScatterReduce = 'sum' | 'prod' | 'mean' | 'amax' | 'amin';

/** The options of scatterReduce and scatterReduce_. | */
export interface ScatterReduceOptions {
  /** Whether x's own entries take part in the reduction (default true). */
  includeSelf?: boolean;
}

/**
 * x with src's entries reduced into the positions index names along dim, as torch.scatter_reduce: 'sum', 'prod',
 * 'mean', 'amax' or 'amin', over x's own entry too unless includeSelf is false. Gradients for all but 'prod'.
 * @param x the input
 * @param dim the dim index addresses
 * @param index int32 positions
 * @param src the values, of x's dtype
 * @param reduce 'sum', 'prod', 'mean', 'amax' or 'amin'
 * @param options includeSelf (default true)
 * @throws RangeError for positions out of bounds, shapes that do not fit, or another reduce
 * @example const index = torch.tensor([0, 0, 2], { dtype: 'int64' });
 *   torch.zeros(3).scatterReduce(0, index, torch.tensor([1., 2., 3.]), 'amax')
 */
export function scatterReduce(x: Tensor, dim: number, index: Tensor, src: Tensor, reduce: ScatterReduce, options?: ScatterReduceOptions): Tensor {
  const op = 'scatterReduce';
  checkTensor(op, 'input', x);
  checkTensor(op, 'index', index);
  checkTensor(op, 'src', src);
  if (!['sum', 'prod', 'mean', 'amax', 'amin'].includes(reduce)) {
    throw new RangeError(`${op}: reduce argument must be either sum, prod, mean, amax or amin, got ${describe(reduce)}`);
  }
  const includeSelf = checkBool(op, 'includeSelf', checkOptions(op, options).includeSelf, true);
  const d = normalizeDim(op, dim, x.dim());
  checkScatter(op, x, d, index, src);
  const out = noGrad(() => x.contiguous().clone());
  // Positions a src entry lands on: without includeSelf they start from the reduction's identity.
  const touched = scatterInto(op, emptyTensor(x.shape, 'float64'), d, index, 0, COMBINE.set!);
  if (!includeSelf) {
    const start = { sum: 0, mean: 0, prod: 1, amax: -Infinity, amin: Infinity }[reduce];
    for (let i = 0; i < touched.length; i++) if (touched[i]) out.data[i] = start;
  }
  const counts = scatterInto(op, out, d, index, src, COMBINE[reduce]!);
  const n = emptyTensor(x.shape, 'float64');
  for (let i = 0; i < counts.length; i++) n.data[i] = counts[i]! + (includeSelf || !touched[i] ? 1 : 0);
  if (reduce === 'mean') {
    for (let i = 0; i < counts.length; i++) {
      const v = out.data[i]! / n.data[i]!;
      out.data[i] = out.dtype === 'int32' ? Math.floor(v) : v;
    }
  }
  const hit = new Tensor(Uint8Array.from(touched, (c) => (c ? 1 : 0)), x.shape, undefined, 0, 'bool');
  const used = usedPart(src, index);
  return record('ScatterReduceBackward0', out, [x, src], (g, needs) => {
    // x's entries that a src entry replaced (includeSelf false) get no gradient.
    const own = (t: Tensor): Tensor => (includeSelf ? t : where(hit, 0, t));
    if (reduce === 'sum') return [needs[0] ? own(g) : null, needs[1] ? padTo(g.gather(d, index), src.shape) : null];
    if (reduce === 'mean') {
      const share = g.div(n.to(g.dtype));
      return [needs[0] ? own(share) : null, needs[1] ? padTo(share.gather(d, index), src.shape) : null];
    }
    if (reduce === 'prod') throw new Error(`${op}: the derivative for scatterReduce with reduce 'prod' is not implemented in torchlet`);
    // amax / amin: the gradient is shared evenly by every entry equal to the result.
    const res = out.detach();
    // As PyTorch, x's entries equal to the result count among the ties even when includeSelf leaves them out.
    const selfIs = noGrad(() => x.eq(res));
    const srcIs = noGrad(() => used.eq(res.gather(d, index)));
    const ties = noGrad(() => selfIs.to(g.dtype).scatterAdd(d, index, srcIs.to(g.dtype)));
    const share = g.div(ties);
    return [needs[0] ? own(where(selfIs, share, 0)) : null, needs[1] ? padTo(where(srcIs, share.gather(d, index), 0), src.shape) : null];
  });
}

/**
 * Class indices as one-hot rows, as torch.nn.functional.one_hot: an int32 (int64) tensor of shape [...x.shape,
 * numClasses]; numClasses -1 takes the largest index + 1.
 * @param x int32 (int64) class indices
 * @param numClasses the number of classes, or -1 for the largest index + 1
 * @throws TypeError for a non-integer x; RangeError for negative indices or ones >= numClasses
 * @example F.oneHot(torch.tensor([0, 2], { dtype: 'int64' }), 3) // [[1, 0, 0], [0, 0, 1]]
 */
export function oneHot(x: Tensor, numClasses = -1): Tensor {
  const op = 'oneHot';
  checkTensor(op, 'input', x);
  if (x.dtype !== 'int32') throw new TypeError(`${op}: one_hot is only applicable to index tensor (received ${describe(x)})`);
  checkInt(op, 'numClasses', numClasses);
  const values = x.reshape([-1]).tolist() as number[];
  if (numClasses === -1 && values.length === 0) throw new RangeError(`${op}: Can not infer total number of classes from empty tensor.`);
  let top = -1;
  for (const v of values) {
    if (v < 0) throw new RangeError(`${op}: Class values must be non-negative. (got ${v})`);
    top = Math.max(top, v);
  }
  const c = numClasses === -1 ? top + 1 : numClasses;
  if (top >= c) throw new RangeError(`${op}: Class values must be smaller than num_classes. (got ${top} for ${c} classes)`);
  const out = emptyTensor([...x.shape, c], 'int32', op);
  const data = out.data as Int32Array;
  values.forEach((v, i) => (data[i * c + v] = 1));
  return out;
}

declare module '../tensor' {
  interface Tensor {
    /**
     * This tensor with src (or a number) written at index along dim, out of place, as Tensor.scatter.
     * @example torch.zeros(3).scatter(0, torch.tensor([2], { dtype: 'int64' }), 5) // [0, 0, 5]
     */
    scatter(dim: number, index: Tensor, src: Tensor | Scalar, options?: ScatterOptions): Tensor;
    /**
     * scatter written into this tensor.
     * @example torch.zeros(3).scatter_(0, torch.tensor([0, 1], { dtype: 'int64' }), torch.tensor([4, 6])) // [4, 6, 0]
     */
    scatter_(dim: number, index: Tensor, src: Tensor | Scalar, options?: ScatterOptions): this;
    /**
     * This tensor with src reduced into the positions index names along dim ('sum', 'prod', 'mean', 'amax', 'amin'),
     * as Tensor.scatter_reduce.
     * @example const index = torch.tensor([0, 0, 1], { dtype: 'int64' });
     *   torch.zeros(2).scatterReduce(0, index, torch.tensor([1, 5, 2]), 'amax')
     *   // [5, 2]
     */
    scatterReduce(dim: number, index: Tensor, src: Tensor, reduce: ScatterReduce, options?: ScatterReduceOptions): Tensor;
    /**
     * scatterReduce written into this tensor, as Tensor.scatter_reduce_.
     * @example torch.zeros(2).scatterReduce_(0, torch.tensor([1, 1], { dtype: 'int64' }), torch.tensor([1, 2]), 'sum')
     *   // [0, 3]
     */
    scatterReduce_(dim: number, index: Tensor, src: Tensor, reduce: ScatterReduce, options?: ScatterReduceOptions): this;
  }
}

defineMethods({
  scatter(this: Tensor, dim: number, index: Tensor, src: Tensor | Scalar, options?: ScatterOptions) {
    return scatter(this, dim, index, src, options);
  },
  scatter_(this: Tensor, dim: number, index: Tensor, src: Tensor | Scalar, options?: ScatterOptions) {
    return writeInto('scatter_', this, [src], () => scatter(this, dim, index, src, options)) as never;
  },
  scatterReduce(this: Tensor, dim: number, index: Tensor, src: Tensor, reduce: ScatterReduce, options?: ScatterReduceOptions) {
    return scatterReduce(this, dim, index, src, reduce, options);
  },
  scatterReduce_(this: Tensor, dim: number, index: Tensor, src: Tensor, reduce: ScatterReduce, options?: ScatterReduceOptions) {
    return writeInto('scatterReduce_', this, [src], () => scatterReduce(this, dim, index, src, reduce, options)) as never;
  },
});
