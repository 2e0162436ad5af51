/** Reductions over all or chosen dims; var/std are compositions of primitives, the softmax family fused kernels. */
import type { DType } from '../dtype';
import { getDefaultDtype, info, isFloating, notImplemented } from '../dtype';
import * as K from '../backend/kernels';
import type { ReduceOpName } from '../backend/kernels';
import { Tensor, asBoolTensor, defineMethods, emptyTensor, outputTensor } from '../tensor';
import type { BoolTensor } from '../tensor';
import { normalizeDim, numelOf, shapeStr } from '../shape';
import { record } from '../autograd/record';
import { noGrad } from '../autograd/grad_mode';
import { checkBool, checkInt, checkIntValues, checkNumber, checkOptions, checkTensor, describe } from '../validate';
import { logsumexpOf, softmaxOf } from './fused';

/** Dims to reduce: one dim, several, or null/undefined/[] for all of them. */
export type DimArg = number | readonly number[] | null;

/**
 * What max(dim) / min(dim) return, as PyTorch's named tuple: the values and their positions along dim, by name or
 * as the pair [values, indices] (destructuring and [0]/[1] are typed Tensor, also under noUncheckedIndexedAccess).
 */
export type MaxMin = readonly [values: Tensor, indices: Tensor] & {
  readonly values: Tensor;
  readonly indices: Tensor;
};

/** The named pair [values, indices] that max/min by dim, sort and topk return. */
export function maxMin(values: Tensor, indices: Tensor): MaxMin {
  return Object.assign([values, indices] as const, { values, indices });
}

/** Normalizes dim arguments into a reduce mask; null/undefined/[] means every dim. */
function reduceMask(op: string, x: Tensor, dim: DimArg | undefined): boolean[] {
  checkTensor(op, 'input', x);
  const r = x.dim();
  const mask = new Array<boolean>(r).fill(false);
  if (dim === null || dim === undefined || (Array.isArray(dim) && dim.length === 0)) return mask.fill(true);
  if (typeof dim !== 'number' && !Array.isArray(dim)) throw new TypeError(`${op}: expected an integer or an array of integers for 'dim' but received ${describe(dim)}`);
  const dims = typeof dim === 'number' ? [dim] : dim;
  for (const d of dims) {
    const n = normalizeDim(op, d, r);
    if (mask[n]) throw new RangeError(`${op}: dim ${n} appears multiple times in the list of dims`);
    mask[n] = true;
  }
  // A 0-d tensor's dim 0 (or -1) is accepted but is no dim of its own: the mask keeps exactly one flag per dim.
  mask.length = r;
  return mask;
}

function keptShape(x: Tensor, mask: readonly boolean[], keepDim: boolean): number[] {
  const out: number[] = [];
  x.shape.forEach((s, d) => {
    if (!mask[d]) out.push(s);
    else if (keepDim) out.push(1);
  });
  return out;
}

// Reduction kernels write every output element.
const newTensor = outputTensor;

/**
 * Runs a reduction kernel. Empty cases never reach the kernel: an empty result needs no work, and a non-empty
 * result of an empty input (a reduced dim of size 0) holds the reduction's identity (sum 0, prod 1); ops without
 * an identity (max, min, arg*) refuse that case before getting here.
 */
function run(op: ReduceOpName, x: Tensor, mask: boolean[], keepDim: boolean, dtype: DType): Tensor {
  const out = newTensor(keptShape(x, mask, keepDim), dtype, undefined, op);
  if (out.numel() === 0) return out;
  if (x.numel() === 0) {
    out.data.fill(op === 'prod' ? 1 : 0);
  } else if (dtype === 'int32' && (op === 'sum' || op === 'prod')) {
    // int32 stands for PyTorch's int64, so a sum must not wrap: accumulate in double (exact for int32 terms until a
    // result is out of range anyway) and refuse results int32 cannot hold.
    const wide = newTensor(out.shape, 'float64');
    K.reduce(op, wide.data, null, noGrad(() => x.to('float64')), mask);
    checkIntValues(op, wide.data);
    K.copy(out, wide);
  } else {
    K.reduce(op, out.data, null, x, mask);
  }
  return out;
}

/** g (of the reduced shape) viewed with the reduced dims restored as 1 and expanded back to x's shape. */
function spread(g: Tensor, x: Tensor, mask: readonly boolean[]): Tensor {
  // A full reduction's 0-dim gradient expands directly (new leading dims); otherwise restore the 1s first.
  return (g.dim() === 0 ? g : g.reshape(keptShape(x, mask, true))).expand(x.shape);
}

const allDims = (dim: unknown): boolean => dim === null || dim === undefined || (Array.isArray(dim) && dim.length === 0);

/**
 * Sum over all elements or the given dims; integer and bool inputs sum to int32.
 * @example torch.sum(torch.tensor([[1, 2], [3, 4]]), 1) // [3, 7]
 */
export function sum(x: Tensor, dim?: DimArg, keepDim = false): Tensor {
  const mask = reduceMask('sum', x, dim);
  keepDim = checkBool('sum', 'keepDim', keepDim, false);
  const src = x.dtype === 'bool' ? x.to('int32') : x;
  const out = run('sum', src, mask, keepDim, src.dtype);
  return record(allDims(dim) ? 'SumBackward0' : 'SumBackward1', out, [src], (g) => [spread(g, src, mask)]);
}

/**
 * The mean over dims (all by default), as torch.mean; floating tensors only.
 * @example torch.mean(torch.tensor([[1, 2], [3, 4]]), 0, true) // [[2, 3]]
 */
export function mean(x: Tensor, dim?: DimArg, keepDim = false): Tensor {
  checkTensor('mean', 'input', x);
  if (!isFloating(x.dtype)) {
    throw new TypeError(
      `mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: ${x.dtype}`,
    );
  }
  const mask = reduceMask('mean', x, dim);
  keepDim = checkBool('mean', 'keepDim', keepDim, false);
  const count = numelOf(x.shape.filter((_, d) => mask[d]));
  const out = run('sum', x, mask, keepDim, x.dtype);
  noGrad(() => out.div_(count));
  return record(allDims(dim) ? 'MeanBackward0' : 'MeanBackward1', out, [x], (g) => [spread(g.div(count), x, mask)]);
}

/**
 * The product over one dim (all elements by default), as torch.prod.
 * @example torch.prod(torch.tensor([2, 3, 4])) // 24
 */
export function prod(x: Tensor, dim?: number | null, keepDim = false): Tensor {
  checkTensor('prod', 'input', x);
  if (dim !== null && dim !== undefined && typeof dim !== 'number') throw new TypeError(`prod: expected an integer for 'dim' but received ${describe(dim)}`);
  const mask = reduceMask('prod', x, dim);
  keepDim = checkBool('prod', 'keepDim', keepDim, false);
  const src = x.dtype === 'bool' ? x.to('int32') : x;
  const out = run('prod', src, mask, keepDim, src.dtype);
  return record(allDims(dim) ? 'ProdBackward0' : 'ProdBackward1', out, [src], (g) => {
    if (src.numel() === 0 || src.dim() === 0) return [spread(g, src, mask)];
    const zeros = Number(noGrad(() => sum(src.eq(0))).item());
    // PyTorch 1.13 (prod_backward): without a zero anywhere in the tensor, prod / x; with one, the product of the
    // other entries for every slice (prod_safe_zeros_backward), except that a full reduction over two or more zeros
    // gives a zero gradient, outside the graph even under createGraph.
    if (zeros === 0) return [spread(g, src, mask).mul(spread(out, src, mask).div(src))];
    if (allDims(dim) && zeros > 1) return [emptyTensor(src.shape, g.dtype)];
    const others = allDims(dim) ? productOfOthers(src.reshape([-1]), 0).reshape(src.shape) : productOfOthers(src, mask.indexOf(true));
    return [spread(g, src, mask).mul(others)];
  });
}

/**
 * d prod / d x_i along dim d: the product of the entries before i times the product of those after it (PyTorch's
 * prod_safe_zeros_backward, exclusive cumulative products from both ends), so zeros and infinities elsewhere in the
 * slice give the same numbers as PyTorch's, to any order of derivative. One small op per position: taken only when
 * the tensor holds a zero.
 */
function productOfOthers(x: Tensor, d: number): Tensor {
  const n = x.shape[d]!;
  const at = Array.from({ length: n }, (_, i) => x.narrow(d, i, 1));
  const before: (Tensor | null)[] = [];
  const after: (Tensor | null)[] = new Array<Tensor | null>(n).fill(null);
  let acc: Tensor | null = null;
  for (let i = 0; i < n; i++) {
    before.push(acc);
    acc = acc ? acc.mul(at[i]!) : at[i]!;
  }
  acc = null;
  for (let i = n - 1; i >= 0; i--) {
    after[i] = acc;
    acc = acc ? acc.mul(at[i]!) : at[i]!;
  }
  let others = emptyTensor(x.shape, x.dtype);
  for (let i = 0; i < n; i++) {
    const b = before[i] ?? null;
    const a = after[i] ?? null;
    const piece = b && a ? b.mul(a) : (b ?? a ?? emptyTensor(at[i]!.shape, x.dtype).add(1));
    others = others.indexAdd(d, new Tensor(Int32Array.of(i), [1]), piece);
  }
  return others;
}

/** max, min and the arg* reductions have no identity: PyTorch's errors for reducing an empty dim (or everything). */
function checkNonEmpty(op: string, x: Tensor, mask: readonly boolean[], all: boolean): void {
  if (all && x.numel() === 0) {
    const hint = op.startsWith('arg') ? '' : " Specify the reduction dim with the 'dim' argument.";
    throw new RangeError(`${op}(): Expected reduction dim to be specified for input.numel() == 0.${hint} (shape ${shapeStr(x.shape)})`);
  }
  const d = x.shape.findIndex((s, k) => mask[k] && s === 0);
  if (d >= 0) throw new RangeError(`${op}(): Expected reduction dim ${d} to have non-zero size. (shape ${shapeStr(x.shape)})`);
}

/** max()/min(): over everything, along a dim with indices, or elementwise against another tensor. */
function extreme(x: Tensor, which: 'max' | 'min', dim: number | Tensor | undefined, keepDim: boolean): Tensor | MaxMin {
  checkTensor(which, 'input', x);
  if (dim instanceof Tensor) return which === 'max' ? x.maximum(dim) : x.minimum(dim);
  if (dim === undefined || dim === null) return extremeOfAll(x, which);
  if (typeof dim !== 'number') throw new TypeError(`${which}: expected an integer or a Tensor for 'dim' but received ${describe(dim)}`);
  const mask = reduceMask(which, x, dim);
  keepDim = checkBool(which, 'keepDim', keepDim, false);
  checkNonEmpty(which, x, mask, false);
  const shape = keptShape(x, mask, keepDim);
  const values = newTensor(shape, x.dtype);
  const indices = newTensor(shape, 'int32');
  if (values.numel() > 0) K.reduce(which, values.data, indices.data as Int32Array, x, mask);
  const d = mask.indexOf(true);
  // The gradient goes to the selected position only (a 0-d input has one position, and no dim to scatter along).
  record(which === 'max' ? 'MaxBackward0' : 'MinBackward0', values, [x], (g) => [
    d < 0 ? g : emptyTensor(x.shape, g.dtype).scatterAdd(d, keepDim ? indices : indices.unsqueeze(d), keepDim ? g : g.unsqueeze(d)),
  ]);
  return maxMin(values, indices);
}

/**
 * max()/min() over all elements: the gradient is shared evenly by the entries equal to the result, or by the NaNs
 * when the result is NaN (PyTorch's evenly_distribute_backward; amax's NaN never equals itself).
 */
function extremeOfAll(x: Tensor, which: 'max' | 'min'): Tensor {
  const mask = reduceMask(which, x, null);
  checkNonEmpty(which, x, mask, true);
  const out = run(which, x, mask, false, x.dtype);
  return record(which === 'max' ? 'MaxBackward1' : 'MinBackward1', out, [x], (g) => {
    // PyTorch's CPU path writes the share into zeros (index_put_), so the other entries stay 0 even for a NaN g.
    const hit = Number.isNaN(out.item()) ? x.isnan() : x.eq(out);
    return [g.div(sum(hit.to(g.dtype))).expand(x.shape).where(hit, 0)];
  });
}

/** amax/amin: values only, over one or several dims; ties share the gradient evenly, as in PyTorch. */
function extremeValues(x: Tensor, dim: DimArg | undefined, keepDim: boolean, which: 'max' | 'min'): Tensor {
  const op = which === 'max' ? 'amax' : 'amin';
  const mask = reduceMask(op, x, dim);
  keepDim = checkBool(op, 'keepDim', keepDim, false);
  checkNonEmpty(op, x, mask, allDims(dim));
  const out = run(which, x, mask, keepDim, x.dtype);
  const dims = mask.flatMap((m, i) => (m ? [i] : []));
  return record(which === 'max' ? 'AmaxBackward0' : 'AminBackward0', out, [x], (g) => {
    const hit = x.eq(spread(out, x, mask)).to(x.dtype);
    const count = sum(hit, dims, true);
    return [spread(g, x, mask).mul(hit).div(count)];
  });
}

/** argmax/argmin: over the flattened tensor, or along one dim. */
function argExtreme(x: Tensor, op: 'argmax' | 'argmin', dim: number | null | undefined, keepDim: boolean): Tensor {
  const all = dim === null || dim === undefined;
  checkTensor(op, 'input', x);
  if (!all && typeof dim !== 'number') throw new TypeError(`${op}: expected an integer for 'dim' but received ${describe(dim)}`);
  const mask = reduceMask(op, x, all ? null : dim);
  keepDim = checkBool(op, 'keepDim', keepDim, false);
  checkNonEmpty(op, x, mask, all);
  const shape = all ? (keepDim ? x.shape.map(() => 1) : []) : keptShape(x, mask, keepDim);
  const indices = newTensor(shape, 'int32');
  if (indices.numel() === 0) return indices;
  // PyTorch has no bool kernel; it answers a dim of size 1 without one (all zeros).
  const trivial = !all && x.dim() > 0 && x.shape[mask.indexOf(true)] === 1;
  if (x.dtype === 'bool' && !trivial) throw notImplemented(op, `${op}_cpu`, 'bool');
  K.reduce(op, null, indices.data as Int32Array, x, mask);
  return indices;
}

/**
 * The mean along dims (kept), computed around each slice's first element: s + mean(x - s). Equal values give their
 * value exactly, so their variance is exactly 0 as PyTorch's Welford pass gives (sum / n rounds: the variance of
 * [0.78, 0.78, 0.78] would be 1e-33, its std 3e-17, and a division by it huge instead of inf). Same gradient as mean.
 */
function centre(x: Tensor, dims: readonly number[], n: number): Tensor {
  if (n === 0) return mean(x, dims, true);
  let shift = x;
  for (const d of dims) shift = shift.narrow(d, 0, 1);
  // A non-finite first element centres nothing (x - inf would turn the slice's infinities into NaN): 0 instead.
  const finite = noGrad(() => shift.sub(shift).eq(0));
  shift = shift.where(finite, 0);
  return shift.add(mean(x.sub(shift), dims, true));
}

/** var/std's keyword arguments: the correction (n - correction divides; default 1), or unbiased, and keepDim. */
export interface VarOptions {
  correction?: number;
  unbiased?: boolean;
  keepDim?: boolean;
}

/**
 * Variance with Bessel's correction when unbiased, as torch.var(input, dim, unbiased, keepdim); an options object in
 * unbiased's place gives torch.var(input, dim, correction=..., keepdim=...).
 * @example x.var(1, { correction: 0, keepDim: true })
 */
export function variance(x: Tensor, dim?: DimArg, unbiased: boolean | VarOptions = true, keepDim = false): Tensor {
  return varianceOf('var', x, dim, unbiased, keepDim);
}

/** The correction and keepDim from var/std's third and fourth arguments. */
function varArgs(op: 'var' | 'std', unbiased: boolean | VarOptions | undefined, keepDim: boolean | undefined): [number, boolean] {
  if (unbiased === null || typeof unbiased !== 'object') return [checkBool(op, 'unbiased', unbiased, true) ? 1 : 0, checkBool(op, 'keepDim', keepDim, false)];
  const o = checkOptions(op, unbiased);
  if (o.correction !== undefined && o.unbiased !== undefined) throw new TypeError(`${op}: cannot specify both correction and unbiased arguments`);
  const correction = o.correction === undefined ? (checkBool(op, 'unbiased', o.unbiased, true) ? 1 : 0) : checkInt(op, 'correction', o.correction);
  return [correction, checkBool(op, 'keepDim', o.keepDim ?? keepDim, false)];
}

function varianceOf(op: 'var' | 'std', x: Tensor, dim: DimArg | undefined, unbiased: boolean | VarOptions, keepDimArg: boolean | undefined): Tensor {
  checkTensor(op, 'input', x);
  if (!isFloating(x.dtype)) throw new TypeError(`${op}: expected a floating point tensor but received ${x.dtype}`);
  const mask = reduceMask(op, x, dim);
  const [correction, keepDim] = varArgs(op, unbiased, keepDimArg);
  const n = numelOf(x.shape.filter((_, d) => mask[d]));
  const dims = mask.flatMap((m, d) => (m ? [d] : []));
  const out = noGrad(() => {
    const centered = x.sub(centre(x, dims, n));
    return sum(centered.mul(centered), dims, keepDim).div(Math.max(0, n - correction));
  });
  // PyTorch 1.13's var_backward: 2 / (n - correction) * g * (x - mean), so 0 * inf = NaN for a single element
  // (unbiased) and inf - inf = NaN next to an infinity. A full reduction with nothing left after the correction
  // gives inf * g (PyTorch returns that 0-d, which fails its shape check unless x is 0-d; here it is expanded).
  // PyTorch 1.13 takes dim=[] as a reduction over nothing in backward (dof 0) while the forward reduces everything;
  // torchlet treats dim=[] as the full reduction in both.
  return record('VarBackward0', out, [x], (g) => {
    if ((allDims(dim) || x.dim() === 0) && n === correction) return [spread(g.mul(Infinity), x, mask)];
    return [spread(g.mul(2 / (n - correction)), x, mask).mul(x.sub(centre(x, dims, n)))];
  });
}

/**
 * Standard deviation: sqrt(var), with a zero gradient where the deviation is zero, as torch.std.
 * @example torch.std(torch.tensor([1, 2, 3, 4])) // 1.291
 */
export function std(x: Tensor, dim?: DimArg, unbiased: boolean | VarOptions = true, keepDim = false): Tensor {
  const v = varianceOf('std', x, dim, unbiased, keepDim);
  const out = noGrad(() => v.sqrt());
  return record('StdBackward0', out, [v], (g) => [g.div(out.mul(2)).where(out.ne(0), 0)]);
}

/** torch.norm's p: a real number (0, 1, 2, Infinity, -Infinity, ...) or 'fro' (2 over the dims). */
export type NormOrder = number | 'fro';

/**
 * The vector p-norm over dims (all by default), as torch.norm(input, p, dim, keepdim): (sum |x|^p)^(1/p); Infinity
 * the largest |x|, -Infinity the smallest, 0 the count of nonzeros; 'fro' is p = 2. Computed in x's dtype, as
 * PyTorch 1.13 (float32 squares overflow to inf above 1.8e19); a reduction over nothing is 0. One node
 * (NormBackward1) with PyTorch's norm_backward: g x / norm (0 where the norm is 0) for p = 2, sign(x) g for p = 1, g
 * shared among the maxima (and NaNs) for +-Infinity, no gradient for p = 0.
 * @throws TypeError for an integer or bool input; RangeError for 'nuc' (the nuclear norm is not in torchlet) and
 *   other strings
 * @example torch.norm(torch.tensor([3, 4])) // 5
 */
export function norm(x: Tensor, p: NormOrder = 'fro', dim?: DimArg, keepDim = false): Tensor {
  const op = 'norm';
  checkTensor(op, 'input', x);
  if ((p as unknown) === 'nuc') throw new RangeError(`${op}: the nuclear norm ('nuc') is not in torchlet`);
  if (typeof p === 'string' && p !== 'fro') throw new RangeError(`${op}: only valid string values are 'fro' and 'nuc', found ${p}`);
  if (typeof p !== 'string' && (typeof p !== 'number' || Number.isNaN(p))) throw new TypeError(`${op}: expected a number or 'fro' for 'p' but received ${describe(p)}`);
  const ord = p === 'fro' ? 2 : p;
  if (!isFloating(x.dtype)) throw new TypeError(`${op}: norm(): input dtype should be either floating point or complex. Got ${info(x.dtype).scalarType} instead.`);
  const mask = reduceMask(op, x, dim);
  keepDim = checkBool(op, 'keepDim', keepDim, false);
  const dims = mask.flatMap((m, d) => (m ? [d] : []));
  const count = numelOf(x.shape.filter((_, d) => mask[d]));
  const out = noGrad(() => {
    const ax = x.abs();
    if (ord === 1 || count === 0) return sum(ax, dims, keepDim);
    if (ord === Infinity) return amax(ax, dims, keepDim);
    if (ord === -Infinity) return amin(ax, dims, keepDim);
    if (ord === 0) return sum(ax.ne(0), dims, keepDim).to(x.dtype);
    if (ord === 2) return sum(ax.mul(ax), dims, keepDim).sqrt();
    return sum(ax.pow(ord), dims, keepDim).pow(1 / ord);
  });
  return record('NormBackward1', out, [x], (g) => {
    if (ord === 0) return [null];
    const gk = spread(g, x, mask);
    const nk = spread(out, x, mask);
    if (ord === 1) return [x.sign().mul(gk)];
    if (ord === 2) return [gk.mul(x.div(nk).where(nk.ne(0), 0))];
    if (!Number.isFinite(ord)) {
      const ax = x.abs();
      const hit = ax.eq(nk).logicalOr(ax.isnan());
      const hits = spread(sum(hit, dims, keepDim).to(x.dtype), x, mask);
      return [x.sign().mul(gk.div(hits).mul(hit.to(x.dtype)))];
    }
    if (ord < 1) return [x.sign().mul(x.abs().pow(ord - 1).where(x.ne(0), 0)).mul(gk).mul(nk.pow(1 - ord))];
    const scale = gk.div(nk.pow(ord - 1)).where(nk.ne(0), 0);
    return [(ord < 2 ? x.sign().mul(x.abs().pow(ord - 1)) : x.mul(x.abs().pow(ord - 2))).mul(scale)];
  });
}

/** isclose's tolerances: |a - b| <= atol + |rtol b|, and whether NaN equals NaN. | */
export interface IscloseOptions {
  rtol?: number;
  atol?: number;
  equalNan?: boolean;
}

/**
 * Whether each pair of elements (broadcast) is close, as torch.isclose: a == b, or |a - b| finite and at most
 * atol + |rtol b| (in a's dtype; integer and bool inputs compare in the default float dtype); NaN pairs with
 * equalNan. A bool tensor.
 * @throws TypeError when a and b differ in dtype; RangeError for a negative tolerance
 * @example torch.isclose(torch.tensor([1, 2]), torch.tensor([1.000001, 2.1])) // [true, false]
 */
export function isclose(a: Tensor, b: Tensor, options: IscloseOptions = {}): BoolTensor {
  const op = 'isclose';
  checkTensor(op, 'input', a);
  checkTensor(op, 'other', b);
  const o = checkOptions(op, options);
  const rtol = checkNumber(op, 'rtol', o.rtol ?? 1e-5);
  const atol = checkNumber(op, 'atol', o.atol ?? 1e-8);
  const equalNan = checkBool(op, 'equalNan', o.equalNan, false);
  if (a.dtype !== b.dtype) throw new TypeError(`${op}: ${info(a.dtype).scalarType} did not match ${info(b.dtype).scalarType}`);
  if (!(rtol >= 0)) throw new RangeError(`${op}: rtol must be greater than or equal to zero, but got ${rtol}`);
  if (!(atol >= 0)) throw new RangeError(`${op}: atol must be greater than or equal to zero, but got ${atol}`);
  return noGrad(() => {
    let close = a.eq(b);
    if (equalNan) close = close.logicalOr(a.isnan().logicalAnd(b.isnan()));
    if (rtol === 0 && atol === 0) return asBoolTensor(close);
    const x = floating(a);
    const y = floating(b);
    const actual = x.sub(y).abs();
    return asBoolTensor(close.logicalOr(actual.isfinite().logicalAnd(actual.le(y.mul(rtol).abs().add(atol)))));
  });
}

/**
 * Whether every pair of elements (broadcast) is close (isclose), a JS boolean, as torch.allclose.
 * @example torch.allclose(torch.tensor([1, 2]), torch.tensor([1, 2.0000001])) // true
 */
export function allclose(a: Tensor, b: Tensor, options: IscloseOptions = {}): boolean {
  return isclose(a, b, options).all().item() as boolean;
}

/**
 * Whether a and b have the same shape and equal elements (NaN equals nothing; dtypes may differ), a JS boolean, as
 * torch.equal.
 * @example torch.equal(torch.tensor([1, 2]), torch.tensor([1, 2])) // true
 */
export function equal(a: Tensor, b: Tensor): boolean {
  checkTensor('equal', 'input', a);
  checkTensor('equal', 'other', b);
  if (a.dim() !== b.dim() || a.shape.some((s, i) => s !== b.shape[i])) return false;
  return noGrad(() => a.eq(b).all().item() as boolean);
}

/** x, or x converted to the default float dtype when it is integer or bool. */
function floating(x: Tensor): Tensor {
  return isFloating(x.dtype) ? x : x.to(getDefaultDtype());
}

/**
 * log(sum(exp(x))) along dims, computed stably around the maximum (by 0 where it is infinite, as PyTorch), in one
 * fused kernel.
 * @example torch.logsumexp(torch.tensor([[0, 0], [1, 1]]), 1) // [0.6931, 1.6931]
 */
export function logsumexp(x: Tensor, dim: number | readonly number[], keepDim = false): Tensor {
  checkTensor('logsumexp', 'input', x);
  const xf = floating(x);
  const mask = reduceMask('logsumexp', xf, dim);
  keepDim = checkBool('logsumexp', 'keepDim', keepDim, false);
  const dims = mask.flatMap((m, d) => (m ? [d] : []));
  if (xf.numel() === 0) return sum(xf.exp(), dims, keepDim).log();
  // A 0-d tensor has no dim to reduce: log(exp(x)) is x itself, as one node all the same.
  return dims.length === 0 ? logsumexpOf(xf.reshape([1]), [0], false).reshape([]) : logsumexpOf(xf, dims, keepDim);
}

/**
 * softmax and logSoftmax take floating tensors only, as PyTorch's kernels (named in its error: the last-dim one,
 * or the general one, which log_softmax shares); an empty tensor is returned as it is, whatever its dtype.
 */
function checkSoftmaxInput(op: 'softmax' | 'logSoftmax', x: Tensor, d: number): void {
  if (isFloating(x.dtype)) return;
  const lastDim = x.dim() === 0 || d === x.dim() - 1;
  throw notImplemented(op, lastDim ? `${op === 'softmax' ? 'softmax' : 'log_softmax'}_lastdim_kernel_impl` : 'softmax_kernel_impl', x.dtype);
}

/**
 * softmax along dim: exp(x - max) / sum, in one fused kernel.
 * @example torch.softmax(torch.tensor([[1, 2, 3]]), -1) // [[0.09, 0.2447, 0.6652]]
 */
export function softmax(x: Tensor, dim: number): Tensor {
  checkTensor('softmax', 'input', x);
  const d = normalizeDim('softmax', dim, x.dim());
  if (x.numel() === 0) return x.clone();
  checkSoftmaxInput('softmax', x, d);
  return x.dim() === 0 ? softmaxOf(x.reshape([1]), 0, false).reshape([]) : softmaxOf(x, d, false);
}

/**
 * log(softmax(x)) along dim, computed as (x - max) - log(sum(exp(x - max))) in one fused kernel.
 * @example torch.logSoftmax(torch.tensor([[1, 2, 3]]), 1)
 */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  checkTensor('logSoftmax', 'input', x);
  const d = normalizeDim('logSoftmax', dim, x.dim());
  if (x.numel() === 0) return x.clone();
  checkSoftmaxInput('logSoftmax', x, d);
  // (x - max) - log(sum(exp(x - max))) with no guard for an infinite max, as PyTorch: a +inf in a slice makes the
  // whole slice NaN (logsumexp's guard would give -inf beside it and an infinite cross-entropy).
  return x.dim() === 0 ? softmaxOf(x.reshape([1]), 0, true).reshape([]) : softmaxOf(x, d, true);
}

/**
 * Whether every element is nonzero (a 0-dim bool tensor), as torch.all.
 * @example torch.all(torch.tensor([1, 0])).item() // false
 */
export function all(x: Tensor): BoolTensor {
  checkTensor('all', 'input', x);
  const b = x.to('bool');
  const out = newTensor([], 'bool');
  out.data[0] = b.numel() === 0 ? 1 : (run('min', b, reduceMask('all', b, null), false, 'bool').data[0] ?? 1);
  return asBoolTensor(out);
}

/**
 * Whether some element is nonzero (a 0-dim bool tensor), as torch.any.
 * @example torch.any(torch.tensor([1, 0])).item() // true
 */
export function any(x: Tensor): BoolTensor {
  checkTensor('any', 'input', x);
  const b = x.to('bool');
  const out = newTensor([], 'bool');
  out.data[0] = b.numel() === 0 ? 0 : (run('max', b, reduceMask('any', b, null), false, 'bool').data[0] ?? 0);
  return asBoolTensor(out);
}

/**
 * torch.max(x), torch.max(x, dim, keepDim) -> { values, indices }, or torch.max(x, other).
 * @example const { values, indices } = torch.max(torch.tensor([[1, 5], [7, 2]]), 1) // values [5, 7], indices [1, 0]
 */
export function max(x: Tensor): Tensor;
export function max(x: Tensor, other: Tensor): Tensor;
export function max(x: Tensor, dim: number, keepDim?: boolean): MaxMin;
export function max(x: Tensor, dim?: number | Tensor, keepDim = false): Tensor | MaxMin {
  return extreme(x, 'max', dim, keepDim);
}
/**
 * min(x) over all elements, min(x, dim, keepDim) giving { values, indices }, or min(x, other) elementwise,
 * as torch.min.
 * @example torch.min(torch.tensor([[1, 5], [7, 2]])) // 1
 */
export function min(x: Tensor): Tensor;
export function min(x: Tensor, other: Tensor): Tensor;
export function min(x: Tensor, dim: number, keepDim?: boolean): MaxMin;
export function min(x: Tensor, dim?: number | Tensor, keepDim = false): Tensor | MaxMin {
  return extreme(x, 'min', dim, keepDim);
}
/**
 * The largest values over one or several dims (all when none is given), as torch.amax.
 * @example torch.amax(torch.tensor([[1, 5], [7, 2]]), 0) // [7, 5]
 */
export const amax = (x: Tensor, dim?: DimArg, keepDim = false): Tensor => extremeValues(x, dim, keepDim, 'max');
/**
 * The minimum over dims (all by default), values only, gradient shared among ties, as torch.amin.
 * @example torch.amin(torch.tensor([[1, 5], [7, 2]]), [0, 1]) // 1
 */
export const amin = (x: Tensor, dim?: DimArg, keepDim = false): Tensor => extremeValues(x, dim, keepDim, 'min');
/**
 * The index of the maximum (first among ties; over the flattened tensor without dim), int32, as torch.argmax.
 * @example torch.argmax(torch.tensor([[1, 5], [7, 2]]), 1) // [1, 0]
 */
export const argmax = (x: Tensor, dim?: number | null, keepDim = false): Tensor => argExtreme(x, 'argmax', dim, keepDim);
/**
 * The index of the minimum (first among ties; over the flattened tensor without dim), int32, as torch.argmin.
 * @example torch.argmin(torch.tensor([3, 1, 2])) // 1
 */
export const argmin = (x: Tensor, dim?: number | null, keepDim = false): Tensor => argExtreme(x, 'argmin', dim, keepDim);

declare module '../tensor' {
  interface Tensor {
    /**
     * The sum over dims (all by default), as Tensor.sum; bool and integer tensors sum in int32.
     * @example torch.tensor([[1, 2], [3, 4]]).sum(0) // [4, 6]
     */
    sum(dim?: DimArg, keepDim?: boolean): Tensor;
    /**
     * The mean over dims (all by default), as Tensor.mean; floating tensors only.
     * @example torch.tensor([[1, 2], [3, 4]]).mean(1, true) // [[1.5], [3.5]]
     */
    mean(dim?: DimArg, keepDim?: boolean): Tensor;
    /**
     * The product over one dim (all elements by default), as Tensor.prod.
     * @example torch.tensor([[1, 2], [3, 4]]).prod(1) // [2, 12]
     */
    prod(dim?: number | null, keepDim?: boolean): Tensor;
    /**
     * max() over all elements, max(dim, keepDim) giving { values, indices }, or max(other) elementwise.
     * @example torch.tensor([[1, 5], [7, 2]]).max(1).values // [5, 7]
     */
    max(): Tensor;
    max(other: Tensor): Tensor;
    max(dim: number, keepDim?: boolean): MaxMin;
    /**
     * min() over all elements, min(dim, keepDim) giving { values, indices }, or min(other) elementwise, as Tensor.min.
     * @example torch.tensor([[1, 5], [7, 2]]).min(0).indices // [0, 1]
     */
    min(): Tensor;
    min(other: Tensor): Tensor;
    min(dim: number, keepDim?: boolean): MaxMin;
    /**
     * The maximum over dims (all by default), values only, as Tensor.amax.
     * @example torch.tensor([[1, 5], [7, 2]]).amax(1) // [5, 7]
     */
    amax(dim?: DimArg, keepDim?: boolean): Tensor;
    /**
     * The minimum over dims (all by default), values only, as Tensor.amin.
     * @example torch.tensor([[1, 5], [7, 2]]).amin(1) // [1, 2]
     */
    amin(dim?: DimArg, keepDim?: boolean): Tensor;
    /**
     * The index of the maximum along dim (of the flattened tensor without one), int32, as Tensor.argmax.
     * @example torch.tensor([[1, 5], [7, 2]]).argmax(1) // [1, 0]
     */
    argmax(dim?: number | null, keepDim?: boolean): Tensor;
    /**
     * The index of the minimum along dim (of the flattened tensor without one), int32, as Tensor.argmin.
     * @example torch.tensor([3, 1, 2]).argmin() // 1
     */
    argmin(dim?: number | null, keepDim?: boolean): Tensor;
    /**
     * The variance over dims (all by default), unbiased unless told otherwise, as Tensor.var.
     * @example torch.tensor([1, 2, 3, 4]).var() // 1.6667
     */
    var(dim?: DimArg, unbiased?: boolean | VarOptions, keepDim?: boolean): Tensor;
    /**
     * The standard deviation over dims (all by default), unbiased unless told otherwise, as Tensor.std.
     * @example torch.tensor([1, 2, 3, 4]).std(0, false) // 1.118
     */
    std(dim?: DimArg, unbiased?: boolean | VarOptions, keepDim?: boolean): Tensor;
    /**
     * log(sum(exp(x))) over dims, computed stably, as Tensor.logsumexp.
     * @example torch.tensor([[0, 0]]).logsumexp(1) // [0.6931]
     */
    logsumexp(dim: number | readonly number[], keepDim?: boolean): Tensor;
    /**
     * The vector p-norm over dims (all by default), as Tensor.norm; see torch.norm.
     * @example torch.tensor([3, 4]).norm() // 5
     */
    norm(p?: NormOrder, dim?: DimArg, keepDim?: boolean): Tensor;
    /**
     * Whether each element is close to other's (a bool tensor), as Tensor.isclose; see torch.isclose.
     * @example torch.tensor([1, 2]).isclose(torch.tensor([1, 3])) // [true, false]
     */
    isclose(other: Tensor, options?: IscloseOptions): BoolTensor;
    /**
     * Whether every element is close to other's, as Tensor.allclose; see torch.allclose.
     * @example torch.tensor([1, 2]).allclose(torch.tensor([1, 2])) // true
     */
    allclose(other: Tensor, options?: IscloseOptions): boolean;
    /**
     * Whether other has this shape and these elements, as Tensor.equal; see torch.equal.
     * @example torch.tensor([1, 2]).equal(torch.tensor([1, 2])) // true
     */
    equal(other: Tensor): boolean;
    /** exp(x) / sum(exp(x)) along dim, as Tensor.softmax. @example torch.tensor([1, 1]).softmax(0) // [0.5, 0.5] */
    softmax(dim: number): Tensor;
    /**
     * log(softmax(x)) along dim, computed stably, as Tensor.log_softmax.
     * @example torch.tensor([1, 1]).logSoftmax(0) // [-0.6931, -0.6931]
     */
    logSoftmax(dim: number): Tensor;
    /**
     * Whether every element is nonzero (a 0-dim bool tensor), as Tensor.all.
     * @example torch.tensor([1, 2]).all().item() // true
     */
    all(): BoolTensor;
    /**
     * Whether some element is nonzero (a 0-dim bool tensor), as Tensor.any.
     * @example torch.tensor([0, 0]).any().item() // false
     */
    any(): BoolTensor;
  }
}

defineMethods({
  sum(this: Tensor, dim?: DimArg, keepDim?: boolean) {
    return sum(this, dim, keepDim);
  },
  mean(this: Tensor, dim?: DimArg, keepDim?: boolean) {
    return mean(this, dim, keepDim);
  },
  prod(this: Tensor, dim?: number | null, keepDim?: boolean) {
    return prod(this, dim, keepDim);
  },
  max(this: Tensor, dim?: number | Tensor, keepDim = false) {
    return extreme(this, 'max', dim, keepDim) as Tensor & MaxMin;
  },
  min(this: Tensor, dim?: number | Tensor, keepDim = false) {
    return extreme(this, 'min', dim, keepDim) as Tensor & MaxMin;
  },
  amax(this: Tensor, dim?: DimArg, keepDim = false) {
    return amax(this, dim, keepDim);
  },
  amin(this: Tensor, dim?: DimArg, keepDim = false) {
    return amin(this, dim, keepDim);
  },
  argmax(this: Tensor, dim?: number | null, keepDim?: boolean) {
    return argmax(this, dim, keepDim);
  },
  argmin(this: Tensor, dim?: number | null, keepDim?: boolean) {
    return argmin(this, dim, keepDim);
  },
  var(this: Tensor, dim?: DimArg, unbiased?: boolean | VarOptions, keepDim?: boolean) {
    return variance(this, dim, unbiased, keepDim);
  },
  std(this: Tensor, dim?: DimArg, unbiased?: boolean | VarOptions, keepDim?: boolean) {
    return std(this, dim, unbiased, keepDim);
  },
  logsumexp(this: Tensor, dim: number | readonly number[], keepDim?: boolean) {
    return logsumexp(this, dim, keepDim);
  },
  norm(this: Tensor, p?: NormOrder, dim?: DimArg, keepDim?: boolean) {
    return norm(this, p, dim, keepDim);
  },
  isclose(this: Tensor, other: Tensor, options?: IscloseOptions) {
    return isclose(this, other, options);
  },
  allclose(this: Tensor, other: Tensor, options?: IscloseOptions) {
    return allclose(this, other, options);
  },
  equal(this: Tensor, other: Tensor) {
    return equal(this, other);
  },
  softmax(this: Tensor, dim: number) {
    return softmax(this, dim);
  },
  logSoftmax(this: Tensor, dim: number) {
    return logSoftmax(this, dim);
  },
  all(this: Tensor) {
    return all(this);
  },
  any(this: Tensor) {
    return any(this);
  },
});
