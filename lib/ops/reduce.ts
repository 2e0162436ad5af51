/** Reductions over all or chosen dims; var/std, logsumexp and softmax are compositions of primitives. */
import type { DType } from '../dtype';
import { getDefaultDtype, isFloating } from '../dtype';
import * as K from '../backend/kernels';
import type { ReduceOpName } from '../backend/kernels';
import { Tensor, defineMethods, emptyTensor, outputTensor } from '../tensor';
import { normalizeDim, numelOf, shapeStr } from '../shape';
import { record } from '../autograd/record';
import { noGrad } from '../autograd/grad_mode';
import { checkTensor } from '../validate';

/** Dims to reduce: one dim, several, or null/undefined/[] for all of them. */
export type DimArg = number | readonly number[] | null;

/** What max(dim) / min(dim) return: the values and their positions along dim; destructures as [values, indices]. */
export interface MaxMin extends Iterable<Tensor> {
  readonly values: Tensor;
  readonly indices: Tensor;
}

function maxMin(values: Tensor, indices: Tensor): MaxMin {
  return {
    values,
    indices,
    *[Symbol.iterator]() {
      yield values;
      yield indices;
    },
  };
}

/** Normalizes dim arguments into a reduce mask; null/undefined/[] means every dim. */
function reduceMask(op: string, x: Tensor, dim: DimArg | undefined): boolean[] {
  checkTensor(op, 'input', x);
  const r = x.dim();
  const mask = new Array<boolean>(r).fill(false);
  if (dim === null || dim === undefined || (Array.isArray(dim) && dim.length === 0)) return mask.fill(true);
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

function run(op: ReduceOpName, x: Tensor, mask: boolean[], keepDim: boolean, dtype: DType): Tensor {
  const out = newTensor(keptShape(x, mask, keepDim), dtype);
  K.reduce(op, out.data, null, x, mask);
  return out;
}

/** g (of the reduced shape) viewed with the reduced dims restored as 1 and expanded back to x's shape. */
function spread(g: Tensor, x: Tensor, mask: readonly boolean[]): Tensor {
  // A full reduction's 0-dim gradient expands directly (new leading dims); otherwise restore the 1s first.
  return (g.dim() === 0 ? g : g.reshape(keptShape(x, mask, true))).expand(x.shape);
}

const allDims = (dim: unknown): boolean => dim === null || dim === undefined || (Array.isArray(dim) && dim.length === 0);

/** Sum over all elements or the given dims; integer and bool inputs sum to int32. */
export function sum(x: Tensor, dim?: DimArg, keepDim = false): Tensor {
  const mask = reduceMask('sum', x, dim);
  const src = x.dtype === 'bool' ? x.to('int32') : x;
  const out = run('sum', src, mask, keepDim, src.dtype);
  return record(allDims(dim) ? 'SumBackward0' : 'SumBackward1', out, [src], (g) => [spread(g, src, mask)]);
}

export function mean(x: Tensor, dim?: DimArg, keepDim = false): Tensor {
  checkTensor('mean', 'input', x);
  if (!isFloating(x.dtype)) {
    throw new TypeError(
      `mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: ${x.dtype}`,
    );
  }
  const mask = reduceMask('mean', x, dim);
  const count = numelOf(x.shape.filter((_, d) => mask[d]));
  const out = run('sum', x, mask, keepDim, x.dtype);
  noGrad(() => out.div_(count));
  return record(allDims(dim) ? 'MeanBackward0' : 'MeanBackward1', out, [x], (g) => [spread(g.div(count), x, mask)]);
}

export function prod(x: Tensor, dim?: number | null, keepDim = false): Tensor {
  const mask = reduceMask('prod', x, dim);
  const src = x.dtype === 'bool' ? x.to('int32') : x;
  const out = run('prod', src, mask, keepDim, src.dtype);
  // d prod / d x_i = prod / x_i; inputs holding zeros get PyTorch's answer only where a single zero leaves the rest.
  return record(allDims(dim) ? 'ProdBackward0' : 'ProdBackward1', out, [src], (g) => [
    spread(g, src, mask).mul(spread(out, src, mask)).div(src),
  ]);
}

function checkNonEmpty(op: string, x: Tensor, mask: readonly boolean[]): void {
  const reduced = x.shape.some((s, d) => mask[d] && s === 0);
  if (reduced) {
    throw new RangeError(
      `${op}(): Expected reduction dim to be specified for input.numel() == 0, or the reduced dim to be non-empty ` +
        `(shape ${shapeStr(x.shape)}). Specify the reduction dim with the 'dim' argument.`,
    );
  }
}

/** max()/min(): over everything, along a dim with indices, or elementwise against another tensor. */
function extreme(x: Tensor, which: 'max' | 'min', dim: number | Tensor | undefined, keepDim: boolean): Tensor | MaxMin {
  if (dim instanceof Tensor) return which === 'max' ? x.maximum(dim) : x.minimum(dim);
  if (dim === undefined || dim === null) return amax(x, null, false, which, which === 'max' ? 'MaxBackward1' : 'MinBackward1');
  const mask = reduceMask(which, x, dim);
  checkNonEmpty(which, x, mask);
  const shape = keptShape(x, mask, keepDim);
  const values = newTensor(shape, x.dtype);
  const indices = newTensor(shape, 'int32');
  K.reduce(which, values.data, indices.data as Int32Array, x, mask);
  const d = mask.indexOf(true);
  // The gradient goes to the selected position only (a 0-d input has one position, and no dim to scatter along).
  record(which === 'max' ? 'MaxBackward0' : 'MinBackward0', values, [x], (g) => [
    d < 0 ? g : emptyTensor(x.shape, g.dtype).scatterAdd(d, keepDim ? indices : indices.unsqueeze(d), keepDim ? g : g.unsqueeze(d)),
  ]);
  return maxMin(values, indices);
}

/** amax/amin: values only, over one or several dims; ties share the gradient evenly, as in PyTorch. */
export function amax(
  x: Tensor,
  dim: DimArg | undefined,
  keepDim: boolean,
  which: 'max' | 'min',
  gradName: string = which === 'max' ? 'AmaxBackward0' : 'AminBackward0',
): Tensor {
  const op = which === 'max' ? 'amax' : 'amin';
  const mask = reduceMask(op, x, dim);
  checkNonEmpty(op, x, mask);
  const out = run(which, x, mask, keepDim, x.dtype);
  const dims = mask.flatMap((m, i) => (m ? [i] : []));
  return record(gradName, out, [x], (g) => {
    const hit = x.eq(spread(out, x, mask)).to(x.dtype);
    const count = sum(hit, dims, true);
    return [spread(g, x, mask).mul(hit).div(count)];
  });
}

/** argmax/argmin: over the flattened tensor, or along one dim. */
function argExtreme(x: Tensor, op: 'argmax' | 'argmin', dim: number | null | undefined, keepDim: boolean): Tensor {
  const all = dim === null || dim === undefined;
  const mask = reduceMask(op, x, all ? null : dim);
  checkNonEmpty(op, x, mask);
  const shape = all ? (keepDim ? x.shape.map(() => 1) : []) : keptShape(x, mask, keepDim);
  const indices = newTensor(shape, 'int32');
  K.reduce(op, null, indices.data as Int32Array, x, mask);
  return indices;
}

/** Variance with Bessel's correction when unbiased, as torch.var(input, dim, unbiased, keepdim). */
export function variance(x: Tensor, dim?: DimArg, unbiased = true, keepDim = false): Tensor {
  checkTensor('var', 'input', x);
  if (!isFloating(x.dtype)) throw new TypeError(`var: expected a floating point tensor but received ${x.dtype}`);
  const mask = reduceMask('var', x, dim);
  const n = numelOf(x.shape.filter((_, d) => mask[d]));
  const dims = mask.flatMap((m, d) => (m ? [d] : []));
  const centered = x.sub(mean(x, dims, true));
  return sum(centered.mul(centered), dims, keepDim).div(Math.max(0, n - (unbiased ? 1 : 0)));
}

/** Standard deviation: sqrt(var), with a zero gradient where the deviation is zero, as torch.std. */
export function std(x: Tensor, dim?: DimArg, unbiased = true, keepDim = false): Tensor {
  const v = variance(x, dim, unbiased, keepDim);
  const out = noGrad(() => v.sqrt());
  return record('StdBackward0', out, [v], (g) => [g.div(out.mul(2)).where(out.ne(0), 0)]);
}

/** x, or x converted to the default float dtype when it is integer or bool. */
function floating(x: Tensor): Tensor {
  return isFloating(x.dtype) ? x : x.to(getDefaultDtype());
}

/** log(sum(exp(x))) along dims, computed stably around the maximum. */
export function logsumexp(x: Tensor, dim: number | readonly number[], keepDim = false): Tensor {
  checkTensor('logsumexp', 'input', x);
  const xf = floating(x);
  const mask = reduceMask('logsumexp', xf, dim);
  const dims = mask.flatMap((m, d) => (m ? [d] : []));
  if (xf.numel() === 0) return sum(xf.exp(), dims, keepDim).log();
  // An infinite maximum would give inf - inf = nan; shift by 0 there instead, as PyTorch does.
  // The shift cancels out of the result, so it is taken without gradient.
  const m = amax(xf, dims, true, 'max').detach();
  const shift = m.where(m.abs().ne(Infinity), 0);
  const out = sum(xf.sub(shift).exp(), dims, true).log().add(shift);
  return keepDim ? out : out.view(keptShape(xf, mask, false));
}

/** softmax along dim: exp(x - max) / sum. */
export function softmax(x: Tensor, dim: number): Tensor {
  checkTensor('softmax', 'input', x);
  const xf = floating(x);
  const d = normalizeDim('softmax', dim, xf.dim());
  if (xf.numel() === 0) return xf.clone();
  const e = xf.sub(amax(xf, d, true, 'max').detach()).exp();
  return e.div(sum(e, d, true));
}

/** log(softmax(x)) along dim, computed as x - logsumexp(x). */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  checkTensor('logSoftmax', 'input', x);
  const xf = floating(x);
  const d = normalizeDim('logSoftmax', dim, xf.dim());
  if (xf.numel() === 0) return xf.clone();
  return xf.sub(logsumexp(xf, d, true));
}

export function all(x: Tensor): Tensor {
  checkTensor('all', 'input', x);
  const b = x.to('bool');
  const out = newTensor([], 'bool');
  out.data[0] = b.numel() === 0 ? 1 : (run('min', b, reduceMask('all', b, null), false, 'bool').data[0] ?? 1);
  return out;
}

export function any(x: Tensor): Tensor {
  checkTensor('any', 'input', x);
  const b = x.to('bool');
  const out = newTensor([], 'bool');
  out.data[0] = b.numel() === 0 ? 0 : (run('max', b, reduceMask('any', b, null), false, 'bool').data[0] ?? 0);
  return out;
}

/** torch.max(x), torch.max(x, dim, keepDim) -> { values, indices }, or torch.max(x, other). */
export function max(x: Tensor): Tensor;
export function max(x: Tensor, other: Tensor): Tensor;
export function max(x: Tensor, dim: number, keepDim?: boolean): MaxMin;
export function max(x: Tensor, dim?: number | Tensor, keepDim = false): Tensor | MaxMin {
  return extreme(x, 'max', dim, keepDim);
}
export function min(x: Tensor): Tensor;
export function min(x: Tensor, other: Tensor): Tensor;
export function min(x: Tensor, dim: number, keepDim?: boolean): MaxMin;
export function min(x: Tensor, dim?: number | Tensor, keepDim = false): Tensor | MaxMin {
  return extreme(x, 'min', dim, keepDim);
}
export const amin = (x: Tensor, dim?: DimArg, keepDim = false): Tensor => amax(x, dim, keepDim, 'min');
export const argmax = (x: Tensor, dim?: number | null, keepDim = false): Tensor => argExtreme(x, 'argmax', dim, keepDim);
export const argmin = (x: Tensor, dim?: number | null, keepDim = false): Tensor => argExtreme(x, 'argmin', dim, keepDim);

declare module '../tensor' {
  interface Tensor {
    sum(dim?: DimArg, keepDim?: boolean): Tensor;
    mean(dim?: DimArg, keepDim?: boolean): Tensor;
    prod(dim?: number | null, keepDim?: boolean): Tensor;
    /** max() over all elements, max(dim, keepDim) giving { values, indices }, or max(other) elementwise. */
    max(): Tensor;
    max(other: Tensor): Tensor;
    max(dim: number, keepDim?: boolean): MaxMin;
    min(): Tensor;
    min(other: Tensor): Tensor;
    min(dim: number, keepDim?: boolean): MaxMin;
    amax(dim?: DimArg, keepDim?: boolean): Tensor;
    amin(dim?: DimArg, keepDim?: boolean): Tensor;
    argmax(dim?: number | null, keepDim?: boolean): Tensor;
    argmin(dim?: number | null, keepDim?: boolean): Tensor;
    var(dim?: DimArg, unbiased?: boolean, keepDim?: boolean): Tensor;
    std(dim?: DimArg, unbiased?: boolean, keepDim?: boolean): Tensor;
    logsumexp(dim: number | readonly number[], keepDim?: boolean): Tensor;
    softmax(dim: number): Tensor;
    logSoftmax(dim: number): Tensor;
    all(): Tensor;
    any(): Tensor;
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
    return amax(this, dim, keepDim, 'max');
  },
  amin(this: Tensor, dim?: DimArg, keepDim = false) {
    return amax(this, dim, keepDim, 'min');
  },
  argmax(this: Tensor, dim?: number | null, keepDim?: boolean) {
    return argmax(this, dim, keepDim);
  },
  argmin(this: Tensor, dim?: number | null, keepDim?: boolean) {
    return argmin(this, dim, keepDim);
  },
  var(this: Tensor, dim?: DimArg, unbiased?: boolean, keepDim?: boolean) {
    return variance(this, dim, unbiased, keepDim);
  },
  std(this: Tensor, dim?: DimArg, unbiased?: boolean, keepDim?: boolean) {
    return std(this, dim, unbiased, keepDim);
  },
  logsumexp(this: Tensor, dim: number | readonly number[], keepDim?: boolean) {
    return logsumexp(this, dim, keepDim);
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
