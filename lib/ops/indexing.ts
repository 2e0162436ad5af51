/**
 * gather / scatterAdd and indexSelect / indexAdd on the native gather and scatter-add kernels (the index_*
 * pair runs through them with an index expanded along the other dims). Each pair is the other's backward.
 */
import * as K from '../backend/kernels';
import { Tensor, defineMethods, emptyTensor } from '../tensor';
import { normalizeDim, shapeStr } from '../shape';
import { record } from '../autograd/record';
import { noGrad } from '../autograd/grad_mode';
import { checkIndexTensor, checkTensor } from '../validate';

/** The input tensor and the int32 index of an indexing op. */
function checkIndex(op: string, x: unknown, index: unknown): asserts index is Tensor {
  checkTensor(op, 'input', x);
  checkIndexTensor(op, 'index', index);
}

function checkGatherShapes(op: string, x: Tensor, d: number, index: Tensor, other?: Tensor): void {
  if (index.dim() !== Math.max(x.dim(), 1) && !(x.dim() === 0 && index.dim() <= 1)) {
    throw new RangeError(`${op}: Index tensor must have the same number of dimensions as input tensor (shapes ${shapeStr(x.shape)} and ${shapeStr(index.shape)})`);
  }
  for (let k = 0; k < index.dim(); k++) {
    if ((k !== d && index.shape[k]! > (x.shape[k] ?? 1)) || (other && index.shape[k]! > other.shape[k]!)) {
      throw new RangeError(
        `${op}: Size does not match at dimension ${k} expected index ${shapeStr(index.shape)} to be smaller than self ${shapeStr(x.shape)} apart from dimension ${d}` +
          (other ? ` and to be smaller size than src ${shapeStr(other.shape)}` : ''),
      );
    }
  }
}

/**
 * Every position in index lies in [0, size) of x's dim d (negative ones are errors, as in PyTorch), or a RangeError
 * in PyTorch's words: gather/scatter_add name the index, index_select/index_add say "index out of range in self".
 */
function checkPositions(op: string, x: Tensor, d: number, index: Tensor, wording: 'bounds' | 'range'): void {
  const size = x.dim() === 0 ? 1 : x.shape[d]!;
  if (op === 'indexSelect' && size === 0 && index.numel() > 0) {
    throw new RangeError(`${op}: self indexing axis dim should be positive (dimension ${d} of shape ${shapeStr(x.shape)} is empty)`);
  }
  const values = K.dense(index);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v >= 0 && v < size) continue;
    if (wording === 'bounds') throw new RangeError(`${op}: index ${v} is out of bounds for dimension ${d} with size ${size}`);
    throw new RangeError(`${op}: index out of range in self (index ${v} for dimension ${d} with size ${size})`);
  }
}

/**
 * out[i][j] = x[index[i][j]][j] (dim 0), as torch.gather.
 * @example torch.gather(torch.tensor([[1, 2], [3, 4]]), 1, torch.tensor([[1], [0]], { dtype: 'int64' })) // [[2], [3]]
 */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  checkIndex('gather', x, index);
  const d = normalizeDim('gather', dim, x.dim());
  checkGatherShapes('gather', x, d, index);
  const out = emptyTensor(index.shape, x.dtype);
  // An empty result reads no index, so none is checked (as in PyTorch).
  if (out.numel() > 0) {
    checkPositions('gather', x, d, index, 'bounds');
    K.gather(vec(out), vec(x), vec(index), d, vec(x).shape[d]!);
  }
  return record('GatherBackward0', out, [x], (g) => [scatterAdd(emptyTensor(x.shape, g.dtype), d, index, g)]);
}

/**
 * x with src added at index along dim (out of place), as torch.scatter_add.
 * @example torch.scatterAdd(torch.zeros(3), 0, torch.tensor([0, 0, 2], { dtype: 'int64' }), torch.ones(3)) // [2, 0, 1]
 */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  checkIndex('scatterAdd', x, index);
  checkTensor('scatterAdd', 'src', src);
  const d = normalizeDim('scatterAdd', dim, x.dim());
  if (src.dtype !== x.dtype) throw new TypeError(`scatterAdd: Expected self.dtype to be equal to src.dtype (${x.dtype} and ${src.dtype})`);
  checkGatherShapes('scatterAdd', x, d, index, src);
  if (index.numel() > 0) checkPositions('scatterAdd', x, d, index, 'bounds');
  const out = addAt(x, src, index.numel() > 0 ? vec(index) : null, d);
  return record('ScatterAddBackward0', out, [x, src], (g, needs) => [g, needs[1] ? gather(g, d, index) : null]);
}

/**
 * A copy of x with src added at index along d (the scatter-add kernel, on rank-1-or-more layouts: a 0-d tensor is
 * a one-entry vector), untracked. Bool tensors add as int32 and come back as "any true", as PyTorch's bool add.
 */
function addAt(x: Tensor, src: Tensor, index: Tensor | null, d: number): Tensor {
  if (x.dtype === 'bool') return noGrad(() => addAt(x.to('int32'), src.to('int32'), index, d).ne(0));
  const out = x.detach().clone();
  if (index) K.scatterAdd(vec(out), vec(src), index, d, vec(out).shape[d]!);
  return out;
}

/** A 0-dim tensor as a one-entry vector (untracked), since the kernels take layouts of rank 1 or more. */
function vec(t: Tensor): Tensor {
  return t.dim() === 0 ? new Tensor(t.data, [1], [1], t.offset, t.dtype) : t;
}

/** View a 1-D index as [1, .., n, .., 1] expanded to `shape`, so one gather/scatter kernel does index_*. */
function expandedIndex(index: Tensor, shape: readonly number[], d: number): Tensor {
  const strides = shape.map((_, k) => (k === d ? (index.dim() === 0 ? 0 : index.strides[0]!) : 0));
  return new Tensor(index.data, shape, strides, index.offset, 'int32');
}

/**
 * The entries of x at the given positions along dim, as torch.index_select.
 * @example torch.indexSelect(torch.tensor([[1, 2], [3, 4]]), 0, torch.tensor([1], { dtype: 'int64' })) // [[3, 4]]
 */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  checkIndex('indexSelect', x, index);
  if (index.dim() > 1) throw new RangeError(`indexSelect: Index is supposed to be a vector (got shape ${shapeStr(index.shape)})`);
  const d = normalizeDim('indexSelect', dim, x.dim());
  // PyTorch 1.13 overruns its output here (a 0-d result has room for one entry); later versions raise this.
  if (x.dim() === 0 && index.numel() !== 1) throw new RangeError(`indexSelect: index_select(): Index to scalar can have only 1 value, got ${index.numel()} value(s)`);
  checkPositions('indexSelect', x, d, index, 'range');
  const src = vec(x);
  const shape = [...src.shape];
  shape[d] = index.numel();
  const out = emptyTensor(x.dim() === 0 ? [] : shape, x.dtype);
  if (out.numel() > 0) K.gather(vec(out), src, expandedIndex(index, shape, d), d, src.shape[d]!);
  return record('IndexSelectBackward0', out, [x], (g) => [indexAdd(emptyTensor(x.shape, g.dtype), d, index, g)]);
}

/**
 * index_add's shape rules in PyTorch's words: one index per source slice along d (a 0-d source is one slice), a
 * self of at most one dim takes a source of at most one dim, a larger self a source of its own shape but for d.
 */
function checkIndexAddShapes(x: Tensor, d: number, n: number, src: Tensor): void {
  // PyTorch's check names source.size(dim), which a 0-d source has not: its IndexError is the message.
  if (src.dim() === 0 && n !== 1) throw new RangeError(`indexAdd: Dimension specified as ${d} but tensor has no dimensions`);
  if (src.dim() > 0 && src.shape[Math.min(d, src.dim() - 1)] !== n && !(x.dim() <= 1 && src.dim() > 1)) {
    throw new RangeError(`indexAdd: index_add_(): Number of indices (${n}) should be equal to source.size(dim): (${src.shape[Math.min(d, src.dim() - 1)]}), for dim: ${d}`);
  }
  if (x.dim() <= 1) {
    if (src.dim() > 1) throw new RangeError(`indexAdd: source.dim() (${src.dim()}) must one or zero for given self.dim() (${x.dim()})`);
    return;
  }
  if (src.dim() === 0) throw new RangeError('indexAdd: select() cannot be applied to a 0-dim tensor.');
  if (src.dim() !== x.dim() || src.shape.some((s, k) => k !== d && s !== x.shape[k])) {
    throw new RangeError(`indexAdd: source slice shape ${shapeStr(src.shape)} does not match self ${shapeStr(x.shape)} apart from dimension ${d}`);
  }
  if (x.shape[d] === 0 && n > 0) throw new RangeError(`indexAdd: select(): index 0 out of range for tensor of size ${shapeStr(x.shape)} at dimension ${d}`);
}

/**
 * x with src's slices added at the given positions along dim (out of place), as torch.index_add.
 * @example torch.indexAdd(torch.zeros(3, 2), 0, torch.tensor([0, 2], { dtype: 'int64' }), torch.ones(2, 2))
 */
export function indexAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  checkIndex('indexAdd', x, index);
  checkTensor('indexAdd', 'source', src);
  const d = normalizeDim('indexAdd', dim, x.dim());
  if (index.dim() > 1) throw new RangeError(`indexAdd: Index is supposed to be a vector, but got dim: ${index.dim()} and size: ${shapeStr(index.shape)}`);
  if (src.dtype !== x.dtype) throw new TypeError(`indexAdd: self (${x.dtype}) and source (${src.dtype}) must have the same scalar type`);
  checkIndexAddShapes(x, d, index.numel(), src);
  checkPositions('indexAdd', x, d, index, 'range');
  const out = addAt(x, src, src.numel() > 0 ? expandedIndex(index, vec(src).shape, d) : null, d);
  // A self of at most one dim may take a source of another rank (0-d or 1-D): its gradient comes in source's shape.
  return record('IndexAddBackward0', out, [x, src], (g, needs) => [g, needs[1] ? indexSelect(g.dim() ? g : g.reshape([1]), d, index).reshape(src.shape) : null]);
}

declare module '../tensor' {
  interface Tensor {
    /**
     * The values at index along dim (index has this tensor's number of dims), as Tensor.gather.
     * @example torch.tensor([10, 20, 30]).gather(0, torch.tensor([2, 0], { dtype: 'int64' })) // [30, 10]
     */
    gather(dim: number, index: Tensor): Tensor;
    /**
     * The slices along dim at the given indices, as Tensor.index_select.
     * @example torch.tensor([[1, 2], [3, 4]]).indexSelect(1, torch.tensor([1], { dtype: 'int64' })) // [[2], [4]]
     */
    indexSelect(dim: number, index: Tensor): Tensor;
    /**
     * This tensor with src added at index along dim (out of place), as Tensor.scatter_add.
     * @example torch.zeros(3).scatterAdd(0, torch.tensor([1, 1], { dtype: 'int64' }), torch.ones(2)) // [0, 2, 0]
     */
    scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor;
    /**
     * This tensor with source's slices added at the given positions along dim (out of place), as Tensor.index_add.
     * @example torch.zeros(3).indexAdd(0, torch.tensor([2], { dtype: 'int64' }), torch.tensor([5])) // [0, 0, 5]
     */
    indexAdd(dim: number, index: Tensor, source: Tensor): Tensor;
  }
}

defineMethods({
  gather(this: Tensor, dim: number, index: Tensor) {
    return gather(this, dim, index);
  },
  indexSelect(this: Tensor, dim: number, index: Tensor) {
    return indexSelect(this, dim, index);
  },
  scatterAdd(this: Tensor, dim: number, index: Tensor, src: Tensor) {
    return scatterAdd(this, dim, index, src);
  },
  indexAdd(this: Tensor, dim: number, index: Tensor, source: Tensor) {
    return indexAdd(this, dim, index, source);
  },
});
