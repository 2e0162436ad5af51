/** Diagonals: diagonal (a view), its scatter (its backward), diag (vector to matrix and back), diagEmbed-free. */
import { Tensor, defineMethods, emptyTensor, viewOf } from '../tensor';
import { normalizeDim, shapeStr } from '../shape';
import { record } from '../autograd/record';
import { noGrad } from '../autograd/grad_mode';
import { checkInt, checkShape, checkTensor } from '../validate';

export interface DiagonalOptions {
  offset?: number;
  dim1?: number;
  dim2?: number;
}

/** The layout of the diagonal view: dims d1, d2 removed and the diagonal appended last. */
function diagonalView(op: string, x: Tensor, offset: number, dim1: number, dim2: number): { shape: number[]; strides: number[]; offset: number } {
  checkInt(op, 'offset', offset);
  const d1 = normalizeDim(op, dim1, x.dim());
  const d2 = normalizeDim(op, dim2, x.dim());
  if (x.dim() < 2) throw new RangeError(`${op}: Dimension out of range (expected to be in range of [-1, 0], but got ${dim2}) (diagonal needs 2 dims, input has shape ${shapeStr(x.shape)})`);
  if (d1 === d2) throw new RangeError(`${op}: diagonal dimensions cannot be identical ${dim1}, ${dim2}`);
  const n1 = x.shape[d1]!;
  const n2 = x.shape[d2]!;
  const n = Math.max(0, offset >= 0 ? Math.min(n1, n2 - offset) : Math.min(n1 + offset, n2));
  let start = x.offset;
  if (n > 0) start += offset >= 0 ? offset * x.strides[d2]! : -offset * x.strides[d1]!;
  const keep = (_: number, i: number): boolean => i !== d1 && i !== d2;
  return {
    shape: [...x.shape.filter(keep), n],
    strides: [...x.strides.filter(keep), x.strides[d1]! + x.strides[d2]!],
    offset: start,
  };
}

/**
 * The diagonal of dims dim1, dim2 (offset above it for positive offsets, below for negative) as a view, appended as
 * the last dim, as torch.diagonal.
 * @param x a tensor of at least 2 dims
 * @param options { offset, dim1, dim2 } (default 0, 0, 1), or the offset
 * @throws RangeError for equal dims or dims out of range
 * @example torch.arange(9).reshape(3, 3).diagonal() // [0, 4, 8]
 */
export function diagonal(x: Tensor, options?: DiagonalOptions | number): Tensor {
  checkTensor('diagonal', 'input', x);
  const o = typeof options === 'number' ? { offset: options } : (options ?? {});
  const { offset = 0, dim1 = 0, dim2 = 1 } = o;
  const v = diagonalView('diagonal', x, offset, dim1, dim2);
  const out = viewOf(x, v.shape, v.strides, v.offset);
  return record('DiagonalBackward0', out, [x], (g) => [diagonalScatter(g, x.shape, offset, dim1, dim2)]);
}

/** A zero tensor of shape with g written on the diagonal diagonal() reads: diagonal's backward, differentiable itself. */
export function diagonalScatter(g: Tensor, shape: readonly number[], offset: number, dim1: number, dim2: number, op = 'diagonal'): Tensor {
  const out = emptyTensor(shape, g.dtype, op);
  noGrad(() => {
    const v = diagonalView('diagonalScatter', out, offset, dim1, dim2);
    viewOf(out, v.shape, v.strides, v.offset).copy_(g);
  });
  return record('DiagonalScatterBackward0', out, [g], (gg) => [diagonal(gg, { offset, dim1, dim2 })]);
}

/**
 * torch.diag: a 1-D x becomes the square matrix with x on the given diagonal; a 2-D x gives a copy of that diagonal.
 * @param x a 1-D or 2-D tensor
 * @param diagonal_ which diagonal: 0 the main one, > 0 above it, < 0 below
 * @throws RangeError for other ranks
 * @example torch.diag(torch.tensor([1, 2])) // [[1, 0], [0, 2]]
 */
export function diag(x: Tensor, diagonal_ = 0): Tensor {
  checkTensor('diag', 'input', x);
  checkInt('diag', 'diagonal', diagonal_);
  if (x.dim() === 2) return diagonal(x, diagonal_).clone();
  if (x.dim() !== 1) throw new RangeError(`diag: matrix or a vector expected (got shape ${shapeStr(x.shape)})`);
  const n = x.shape[0]! + Math.abs(diagonal_);
  checkShape('diag', [n, n]);
  return diagonalScatter(x, [n, n], diagonal_, 0, 1, 'diag');
}

declare module '../tensor' {
  interface Tensor {
    diagonal(options?: DiagonalOptions | number): Tensor;
    diag(diagonal?: number): Tensor;
  }
}

defineMethods({
  diagonal(this: Tensor, options?: DiagonalOptions | number) {
    return diagonal(this, options);
  },
  diag(this: Tensor, d?: number) {
    return diag(this, d);
  },
});
