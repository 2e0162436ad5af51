/** gather and indexSelect, on the native gather kernel (index_select is a gather with an expanded index). */
import * as K from '../backend/kernels';
import { Tensor } from '../tensor';
import { normalizeDim, shapeStr } from '../shape';
import { empty } from './movement';

function checkIndex(op: string, index: unknown): asserts index is Tensor {
  if (!(index instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor for 'index'`);
  if (index.dtype !== 'int32') throw new TypeError(`${op}: Expected dtype int32 (int64 in PyTorch) for index but got ${index.dtype}`);
}

/** out[i][j] = x[index[i][j]][j] (dim 0), as torch.gather. */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  checkIndex('gather', index);
  const d = normalizeDim('gather', dim, x.dim());
  if (index.dim() !== Math.max(x.dim(), 1) && !(x.dim() === 0 && index.dim() <= 1)) {
    throw new RangeError(`gather: Index tensor must have the same number of dimensions as input tensor (shapes ${shapeStr(x.shape)} and ${shapeStr(index.shape)})`);
  }
  for (let k = 0; k < index.dim(); k++) {
    if (k !== d && index.shape[k]! > (x.shape[k] ?? 1)) {
      throw new RangeError(
        `gather: Size does not match at dimension ${k} expected index ${shapeStr(index.shape)} to be smaller than self ${shapeStr(x.shape)} apart from dimension ${d}`,
      );
    }
  }
  const out = empty(index.shape, x.dtype);
  if (out.numel() === 0) return out;
  const src = x.dim() === 0 ? x.view([1]) : x;
  K.gather(out, src, index, d, src.shape[d]!);
  return out;
}

/** The entries of x at the given positions along dim, as torch.index_select. */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  checkIndex('indexSelect', index);
  if (index.dim() > 1) throw new RangeError(`indexSelect: Index is supposed to be a vector (got shape ${shapeStr(index.shape)})`);
  const d = normalizeDim('indexSelect', dim, x.dim());
  const src = x.dim() === 0 ? x.view([1]) : x;
  const shape = [...src.shape];
  const n = index.numel();
  shape[d] = n;
  const out = empty(x.dim() === 0 ? [] : shape, x.dtype);
  if (out.numel() === 0) return out;
  // View the index as [1, .., n, .., 1] expanded to the output shape: every other dim follows the iteration.
  const strides = shape.map((_, k) => (k === d ? (index.dim() === 0 ? 0 : index.strides[0]!) : 0));
  const idx = new Tensor(index.data, shape, strides, index.offset, 'int32');
  K.gather(out.dim() === 0 ? out.view([1]) : out, src, idx, d, src.shape[d]!);
  return out;
}
