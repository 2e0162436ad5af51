/** Running sums and products along a dim (cumsum, cumprod), accumulated in double as PyTorch's CPU kernels do. */
import { checkDType, isFloating } from '../dtype';
import type { DTypeLike } from '../dtype';
import { Tensor, defineMethods, outputTensor } from '../tensor';
import { record } from '../autograd/record';
import { isGradEnabled, noGrad } from '../autograd/grad_mode';
import { checkIntValues, checkOptions, checkTensor } from '../validate';
import { forEachLane, lanesOf, writeInto } from './along';
import { where } from './elementwise';
import { cat } from './movement';

export interface ScanOptions {
  /** The dtype the input is converted to before accumulating. */
  dtype?: DTypeLike;
}

/** The input of a scan in its result dtype: integer and bool inputs accumulate as int32 (PyTorch's int64). */
function scanInput(op: string, x: Tensor, dim: number, options: ScanOptions | undefined): Tensor {
  checkTensor(op, 'input', x);
  const o = checkOptions(op, options);
  if (o.dtype !== undefined) return x.to(checkDType(op, o.dtype));
  return isFloating(x.dtype) ? x : x.to('int32');
}

/** One untracked pass of a running sum or product of x along dim. */
function scan(op: string, x: Tensor, dim: number, product: boolean): Tensor {
  const l = lanesOf(op, x, dim);
  const wide = new Float64Array(l.values.length);
  const v = l.values;
  forEachLane(l, (base, step) => {
    let acc = product ? 1 : 0;
    for (let k = 0, p = base; k < l.n; k++, p += step) {
      acc = product ? acc * v[p]! : acc + v[p]!;
      wide[p] = acc;
    }
  });
  // int32 stands for PyTorch's int64: a running total must not wrap.
  if (x.dtype === 'int32') checkIntValues(op, wide);
  const out = outputTensor(x.shape, x.dtype, undefined, op);
  out.data.set(wide);
  return out;
}

/** g summed from each position to the end of dim: cumsum's backward. */
function reverseCumsum(g: Tensor, d: number): Tensor {
  return g.dim() === 0 ? g : cumsum(g.flip([d]), d).flip([d]);
}

/**
 * Running sums along dim, as torch.cumsum; integer and bool inputs give int32 (PyTorch's int64) unless a dtype is given.
 * @param x the input
 * @param dim the dim to accumulate along
 * @param options dtype: the input is converted to it first
 * @throws RangeError for a dim out of range, or an int32 total that does not fit
 * @example torch.cumsum(torch.tensor([1, 2, 3]), 0) // [1, 3, 6]
 */
export function cumsum(x: Tensor, dim: number, options?: ScanOptions): Tensor {
  const src = scanInput('cumsum', x, dim, options);
  const out = scan('cumsum', src, dim, false);
  const d = src.dim() === 0 ? 0 : lanesOf('cumsum', src, dim).d;
  return record('CumsumBackward0', out, [src], (g) => [reverseCumsum(g, d)]);
}

/**
 * Running products along dim, as torch.cumprod. The gradient handles zeros as PyTorch does: before a lane's first
 * zero it is reverse-cumsum(g * out) / x, at that zero the same sum with the zero taken as 1, after it zero.
 * @param x the input
 * @param dim the dim to accumulate along
 * @param options dtype: the input is converted to it first
 * @throws RangeError for a dim out of range, or an int32 product that does not fit
 * @example torch.cumprod(torch.tensor([1, 2, 3]), 0) // [1, 2, 6]
 */
export function cumprod(x: Tensor, dim: number, options?: ScanOptions): Tensor {
  const src = scanInput('cumprod', x, dim, options);
  const out = scan('cumprod', src, dim, true);
  const d = src.dim() === 0 ? 0 : lanesOf('cumprod', src, dim).d;
  return record('CumprodBackward0', out, [src], (g) => [cumprodGrad(g, src, out, d)]);
}

function cumprodGrad(g: Tensor, x: Tensor, out: Tensor, d: number): Tensor {
  if (x.numel() === 0) return g;
  const { zero, before, first } = noGrad(() => {
    const isZero = x.eq(0);
    const count = cumsum(isZero, d);
    return { zero: isZero, before: count.eq(0), first: isZero.logicalAnd(count.eq(1)) };
  });
  const plain = reverseCumsum(g.mul(out), d).div(where(before, x, 1));
  if (!noGrad(() => zero.any().item())) return plain;
  // Differentiated again: the entries after a zero have gradient 0 but not derivative 0, so take PyTorch's n^2 form.
  if (isGradEnabled()) return cumprodGradByProducts(g, x, d);
  // At the first zero: the products with that zero taken as 1.
  const atZero = reverseCumsum(g.mul(cumprod(where(first, 1, x), d)), d);
  return where(before, plain, where(first, atZero, 0));
}

/**
 * cumprod's gradient as sums of products that leave one entry out (PyTorch's double-backward form): entry k gets
 * sum over j >= k of g_j * prod(x_0..x_{k-1}) * prod(x_{k+1}..x_j). No division, so it is exact around zeros.
 */
function cumprodGradByProducts(g: Tensor, x: Tensor, d: number): Tensor {
  const n = x.shape[d]!;
  const cols: Tensor[] = [];
  for (let k = 0; k < n; k++) {
    const before = k === 0 ? null : x.narrow(d, 0, k).prod(d, true);
    const after = k === n - 1 ? null : cumprod(x.narrow(d, k + 1, n - k - 1), d);
    const head = before ?? noGrad(() => x.narrow(d, 0, 1).mul(0).add(1));
    const omitted = after ? cat([head, before ? after.mul(before) : after], d) : head;
    cols.push(g.narrow(d, k, n - k).mul(omitted).sum(d, true));
  }
  return cat(cols, d);
}

declare module '../tensor' {
  interface Tensor {
    cumsum(dim: number, options?: ScanOptions): Tensor;
    cumprod(dim: number, options?: ScanOptions): Tensor;
    /** cumsum written into this tensor. */
    cumsum_(dim: number, options?: ScanOptions): this;
    cumprod_(dim: number, options?: ScanOptions): this;
  }
}

defineMethods({
  cumsum(this: Tensor, dim: number, options?: ScanOptions) {
    return cumsum(this, dim, options);
  },
  cumprod(this: Tensor, dim: number, options?: ScanOptions) {
    return cumprod(this, dim, options);
  },
  cumsum_(this: Tensor, dim: number, options?: ScanOptions) {
    return writeInto('cumsum_', this, [], () => cumsum(this, dim, options)) as never;
  },
  cumprod_(this: Tensor, dim: number, options?: ScanOptions) {
    return writeInto('cumprod_', this, [], () => cumprod(this, dim, options)) as never;
  },
});
