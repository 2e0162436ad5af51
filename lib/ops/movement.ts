/** Views (layout edits sharing storage) and the copies that move data: contiguous, clone, cat, stack, split. */
import { promoteTypes } from '../dtype';
import * as K from '../backend/kernels';
import { Tensor, defineMethods, emptyTensor, outputTensor, viewOf } from '../tensor';
import { record } from '../autograd/record';
import { noGrad } from '../autograd/grad_mode';
import { markWindowed } from '../autograd/engine';
import { contiguousStrides, normalizeDim, numelOf, sameShape, shapeStr } from '../shape';
import type { Shape } from '../shape';
import { checkInt, checkShape, checkTensor, describe, flatArgs } from '../validate';

/** One entry of `x.index(...)`: a number selects, ':' / 'a:b:c' slices, null adds a dim, '...' fills. */
export type IndexSpec = number | string | null | Tensor;

/** Sizes given as (2, 3) or ([2, 3]). */
export type SizeArg = number | readonly number[];

/** Resolves one -1 in a requested shape against numel. */
function inferShape(op: string, x: Tensor, shape: readonly number[]): number[] {
  checkShape(op, shape, true);
  const n = x.numel();
  let infer = -1;
  let known = 1;
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === -1) {
      if (infer >= 0) throw new RangeError(`${op}: only one dimension can be inferred`);
      infer = i;
    } else {
      known *= shape[i]!;
    }
  }
  const out = [...shape];
  if (infer >= 0 && known === 0 && n === 0) {
    throw new RangeError(
      `${op}: cannot reshape tensor of 0 elements into shape ${shapeStr(shape)} because the unspecified dimension size -1 can be any value and is ambiguous`,
    );
  }
  if (infer >= 0) {
    if (known === 0 || n % known !== 0) {
      throw new RangeError(`${op}: shape '${shapeStr(shape)}' is invalid for input of size ${n}`);
    }
    out[infer] = n / known;
  } else if (known !== n) {
    throw new RangeError(`${op}: shape '${shapeStr(shape)}' is invalid for input of size ${n}`);
  }
  return out;
}

/** Strides that view `shape` onto the existing layout without copying, or null (PyTorch's computeStride). */
function viewStrides(oldShape: Shape, oldStrides: readonly number[], shape: Shape): number[] | null {
  if (numelOf(oldShape) === 0) return contiguousStrides(shape);
  if (oldShape.length === 0) {
    oldShape = [1];
    oldStrides = [1];
  }
  const strides = new Array<number>(shape.length);
  let viewD = shape.length - 1;
  let chunkBase = oldStrides[oldStrides.length - 1]!;
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let d = oldShape.length - 1; d >= 0; d--) {
    tensorNumel *= oldShape[d]!;
    if (d === 0 || (oldShape[d - 1] !== 1 && oldStrides[d - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || shape[viewD] === 1)) {
        strides[viewD] = viewNumel * chunkBase;
        viewNumel *= shape[viewD]!;
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBase = oldStrides[d - 1]!;
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  return viewD === -1 ? strides : null;
}

/** A view with another shape over the same storage, as Tensor.view; -1 infers one size. */
export function view(x: Tensor, ...shape: SizeArg[]): Tensor {
  return viewAs('view', x, inferShape('view', x, flatArgs('view', shape)));
}

function viewAs(op: string, x: Tensor, shape: number[]): Tensor {
  const strides = viewStrides(x.shape, x.strides, shape);
  if (!strides) {
    throw new RangeError(
      `${op}: view size is not compatible with input tensor's size and stride (at least one dimension spans across ` +
        `two contiguous subspaces). Use .reshape(...) instead. (shape ${shapeStr(x.shape)}, strides ${shapeStr(x.strides)}, requested ${shapeStr(shape)})`,
    );
  }
  return record('ViewBackward0', viewOf(x, shape, strides), [x], (g) => [reshape(g, x.shape)]);
}

/**
 * A view when the layout allows one, else a contiguous copy, as torch.reshape.
 * @example torch.reshape(torch.arange(6), 2, -1).shape // [2, 3]
 */
export function reshape(x: Tensor, ...shape: SizeArg[]): Tensor {
  checkTensor('reshape', 'input', x);
  return reshapeTo(x, inferShape('reshape', x, flatArgs('reshape', shape)));
}

/**
 * A new view of x with its own layout unchanged: what PyTorch's view ops return when there is nothing to change
 * (a new tensor object sharing the storage, recorded in autograd), never x itself.
 */
function alias(name: string, x: Tensor): Tensor {
  return record(name, viewOf(x, x.shape, x.strides), [x], (g) => [g]);
}

function reshapeTo(x: Tensor, shape: number[]): Tensor {
  if (sameShape(shape, x.shape)) return alias('ViewBackward0', x);
  const strides = viewStrides(x.shape, x.strides, shape);
  const src = strides ? x : contiguous(x);
  const out = viewOf(src, shape, strides ?? contiguousStrides(shape), src.offset);
  return record(strides ? 'ViewBackward0' : 'UnsafeViewBackward0', out, [src], (g) => [reshape(g, src.shape)]);
}

/**
 * Dims startDim to endDim of x merged into one, as torch.flatten.
 * @example torch.flatten(torch.ones(2, 3, 4), 1).shape // [2, 12]
 */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  checkTensor('flatten', 'input', x);
  if (x.dim() === 0) return reshape(x, [1]);
  const s = normalizeDim('flatten', startDim, x.dim());
  const e = normalizeDim('flatten', endDim, x.dim());
  if (s > e) throw new RangeError('flatten: start_dim cannot come after end_dim');
  // PyTorch returns the input itself when there is one dim to flatten (a 1-D tensor, or start_dim == end_dim).
  if (s === e) return x;
  const shape = [...x.shape.slice(0, s), numelOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

export function unflatten(x: Tensor, dim: number, sizes: readonly number[]): Tensor {
  checkTensor('unflatten', 'input', x);
  const d = normalizeDim('unflatten', dim, x.dim());
  if (!Array.isArray(sizes)) throw new TypeError(`unflatten: expected an array of integers for 'sizes' but received ${describe(sizes)}`);
  const part = inferShape('unflatten', new Tensor(x.data, [x.shape[d]!], [1], 0, x.dtype), sizes);
  return view(x, [...x.shape.slice(0, d), ...part, ...x.shape.slice(d + 1)]);
}

/**
 * A view of x with the dims reordered, as torch.permute.
 * @example torch.permute(torch.ones(2, 3, 4), 2, 0, 1).shape // [4, 2, 3]
 */
export function permute(x: Tensor, ...order: SizeArg[]): Tensor {
  checkTensor('permute', 'input', x);
  const dims = flatArgs('permute', order);
  const r = x.dim();
  if (dims.length !== r) {
    throw new RangeError(`permute: number of dims don't match in permute (got ${dims.length} dims for a tensor of shape ${shapeStr(x.shape)})`);
  }
  const seen = new Array<boolean>(r).fill(false);
  const shape = new Array<number>(r);
  const strides = new Array<number>(r);
  for (let i = 0; i < r; i++) {
    const d = normalizeDim('permute', dims[i]!, r);
    if (seen[d]) throw new RangeError(`permute: repeated dim ${d} in ${shapeStr(dims)}`);
    seen[d] = true;
    shape[i] = x.shape[d]!;
    strides[i] = x.strides[d]!;
  }
  const inverse = new Array<number>(r);
  for (let i = 0; i < r; i++) inverse[normalizeDim('permute', dims[i]!, r)] = i;
  return record('PermuteBackward0', viewOf(x, shape, strides), [x], (g) => [permute(g, inverse)]);
}

/**
 * A view of x with dims dim0 and dim1 swapped, as torch.transpose.
 * @example torch.transpose(torch.ones(2, 3), 0, 1).shape // [3, 2]
 */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  checkTensor('transpose', 'input', x);
  const r = x.dim();
  const a = normalizeDim('transpose', dim0, r);
  if (r === 0) return record('TransposeBackward0', viewOf(x, [], []), [x], (g) => [g]);
  const b = normalizeDim('transpose', dim1, r);
  const shape = [...x.shape];
  const strides = [...x.strides];
  shape[a] = x.shape[b]!;
  shape[b] = x.shape[a]!;
  strides[a] = x.strides[b]!;
  strides[b] = x.strides[a]!;
  return record('TransposeBackward0', viewOf(x, shape, strides), [x], (g) => [transpose(g, a, b)]);
}

/** The transpose of a tensor of at most 2 dims, as torch.t. @example torch.t(torch.tensor([[1, 2]])) // [[1], [2]] */
export function t(x: Tensor): Tensor {
  checkTensor('t', 'input', x);
  if (x.dim() > 2) throw new RangeError(`t: expects a tensor with <= 2 dimensions, but self is ${x.dim()}D`);
  if (x.dim() < 2) return alias('TBackward0', x);
  const shape = [x.shape[1]!, x.shape[0]!];
  const strides = [x.strides[1]!, x.strides[0]!];
  return record('TBackward0', viewOf(x, shape, strides), [x], (g) => [t(g)]);
}

/**
 * A view of x with a dim of size 1 inserted at dim, as torch.unsqueeze.
 * @example torch.unsqueeze(torch.tensor([1, 2]), 0).shape // [1, 2]
 */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  checkTensor('unsqueeze', 'input', x);
  const d = normalizeDim('unsqueeze', dim, x.dim() + 1);
  const shape = [...x.shape];
  const strides = [...x.strides];
  const stride = d < x.dim() ? x.shape[d]! * x.strides[d]! : 1;
  shape.splice(d, 0, 1);
  strides.splice(d, 0, stride);
  return record('UnsqueezeBackward0', viewOf(x, shape, strides), [x], (g) => [squeeze(g, d)]);
}

/**
 * A view of x without its dims of size 1 (or without dim, if its size is 1), as torch.squeeze.
 * @example torch.squeeze(torch.ones(1, 3, 1)).shape // [3]
 */
export function squeeze(x: Tensor, dim?: number): Tensor {
  checkTensor('squeeze', 'input', x);
  const name = dim === undefined ? 'SqueezeBackward0' : 'SqueezeBackward1';
  let keep: boolean[];
  if (dim === undefined) {
    keep = x.shape.map((s) => s !== 1);
  } else {
    const d = normalizeDim('squeeze', dim, Math.max(x.dim(), 1));
    keep = x.shape.map((s, i) => i !== d || s !== 1);
  }
  if (keep.every(Boolean)) return alias(name, x);
  const out = viewOf(x, x.shape.filter((_, i) => keep[i]), x.strides.filter((_, i) => keep[i]));
  return record(name, out, [x], (g) => [reshape(g, x.shape)]);
}

/** Broadcasts size-1 dims (stride 0) and prepends new ones; -1 keeps a size. */
export function expand(x: Tensor, ...size: SizeArg[]): Tensor {
  checkTensor('expand', 'input', x);
  return expandTo('expand', x, flatArgs('expand', size));
}

/** expand's work, its errors named after the public op (expand, broadcastTo). */
function expandTo(op: string, x: Tensor, sizes: number[]): Tensor {
  const r = sizes.length;
  if (r < x.dim()) {
    throw new RangeError(
      `${op}: the number of sizes provided (${r}) must be greater or equal to the number of dimensions in the tensor (${x.dim()})`,
    );
  }
  const shape = new Array<number>(r);
  const strides = new Array<number>(r);
  for (let i = r - 1; i >= 0; i--) {
    const j = i - (r - x.dim());
    const want = sizes[i]!;
    if (!Number.isInteger(want) || want < -1) throw new TypeError(`${op}: invalid size ${want} in ${shapeStr(sizes)}`);
    if (j < 0) {
      if (want === -1) throw new RangeError(`${op}: -1 is not allowed in a leading, non-existing dimension (${shapeStr(sizes)})`);
      shape[i] = want;
      strides[i] = 0;
      continue;
    }
    const have = x.shape[j]!;
    if (want === -1 || want === have) {
      shape[i] = have;
      strides[i] = x.strides[j]!;
    } else if (have === 1) {
      shape[i] = want;
      strides[i] = 0;
    } else {
      throw new RangeError(
        `${op}: The expanded size of the tensor (${want}) must match the existing size (${have}) at non-singleton ` +
          `dimension ${i}.  Target sizes: ${shapeStr(sizes)}.  Tensor sizes: ${shapeStr(x.shape)}`,
      );
    }
  }
  checkShape(op, shape);
  return record('ExpandBackward0', viewOf(x, shape, strides), [x], (g) => [sumToSize(g, x.shape)]);
}

/**
 * Sums g over the dims that broadcasting added or stretched, back to `shape`: the one place where broadcast
 * gradients are reduced (expand's backward).
 */
export function sumToSize(g: Tensor, ...size: SizeArg[]): Tensor {
  checkTensor('sumToSize', 'input', g);
  const shape = checkShape('sumToSize', flatArgs('sumToSize', size));
  if (sameShape(g.shape, shape)) return g;
  const lead = g.dim() - shape.length;
  if (lead < 0 || shape.some((s, i) => s !== 1 && s !== g.shape[i + lead])) {
    throw new RangeError(`sumToSize: size {${shapeStr(shape)}} is not expandable to size {${shapeStr(g.shape)}}.`);
  }
  const dims: number[] = [];
  for (let i = 0; i < g.dim(); i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  }
  return reshape(dims.length ? g.sum(dims, true) : g, shape);
}

/**
 * x viewed with `shape` by broadcasting (a new view even when the shape already matches), as torch.broadcast_to.
 * @example torch.broadcastTo(torch.tensor([1, 2]), [3, 2]).shape // [3, 2]
 */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  checkTensor('broadcastTo', 'input', x);
  return expandTo('broadcastTo', x, [...checkShape('broadcastTo', shape, true)]);
}

/**
 * A view of length elements of x from start along dim, as torch.narrow.
 * @example torch.narrow(torch.arange(6), 0, 2, 3) // [2, 3, 4]
 */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  checkTensor('narrow', 'input', x);
  checkInt('narrow', 'start', start);
  checkInt('narrow', 'length', length);
  if (x.dim() === 0) throw new RangeError('narrow: cannot be applied to a 0-dim tensor.');
  const d = normalizeDim('narrow', dim, x.dim());
  const size = x.shape[d]!;
  if (start < 0) start += size;
  if (!Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 0 || start + length > size) {
    throw new RangeError(`narrow: start (${start}) + length (${length}) exceeds dimension size (${size}) of shape ${shapeStr(x.shape)}`);
  }
  return slice(x, d, start, start + length, 1);
}

/** Python slicing of one dim: x[..., start:stop:step, ...] with clamping and negative wrap. */
export function slice(x: Tensor, dim: number, start: number | null, stop: number | null, step = 1): Tensor {
  checkTensor('slice', 'input', x);
  const d = normalizeDim('slice', dim, x.dim());
  if (!Number.isInteger(step) || step <= 0) throw new RangeError(`slice: step must be greater than zero (got ${step})`);
  const size = x.shape[d]!;
  const clampIndex = (v: number | null, dflt: number): number => {
    if (v === null) return dflt;
    if (v < 0) v += size;
    return Math.min(Math.max(v, 0), size);
  };
  const s = clampIndex(start, 0);
  const e = Math.max(clampIndex(stop, size), s);
  const shape = [...x.shape];
  const strides = [...x.strides];
  shape[d] = Math.ceil((e - s) / step);
  strides[d] = x.strides[d]! * step;
  const out = viewOf(x, shape, strides, x.offset + s * x.strides[d]!);
  return record('SliceBackward0', out, [x], (g) => [sliceScatter(g, x.shape, d, s, step)]);
}

/** A zero tensor of `shape` with g written at [start::step] along dim: slice's backward, differentiable itself. */
export function sliceScatter(g: Tensor, shape: Shape, dim: number, start: number, step: number): Tensor {
  const out = emptyTensor(shape, g.dtype);
  // The stop just past g's last entry; an empty g stops at start (the formula would go below it, and wrap).
  const n = g.shape[dim]!;
  const stop = n === 0 ? start : start + (n - 1) * step + 1;
  noGrad(() => slice(out, dim, start, stop, step).copy_(g));
  markWindowed(out, (into, from) => slice(into, dim, start, stop, step).add_(slice(from, dim, start, stop, step)));
  return record('SliceScatterBackward0', out, [g], (gg) => [slice(gg, dim, start, stop, step)]);
}

/** x[index] along dim, removing that dim. @example torch.select(torch.tensor([[1, 2], [3, 4]]), 1, 0) // [1, 3] */
export function select(x: Tensor, dim: number, index: number): Tensor {
  checkTensor('select', 'input', x);
  checkInt('select', 'index', index);
  if (x.dim() === 0) throw new RangeError('select: cannot be applied to a 0-dim tensor.');
  const d = normalizeDim('select', dim, x.dim());
  const size = x.shape[d]!;
  if (!Number.isInteger(index) || index < -size || index >= size) {
    throw new RangeError(`select: index ${index} out of range for tensor of size ${shapeStr(x.shape)} at dimension ${d}`);
  }
  if (index < 0) index += size;
  const at = index;
  const out = viewOf(
    x,
    x.shape.filter((_, i) => i !== d),
    x.strides.filter((_, i) => i !== d),
    x.offset + at * x.strides[d]!,
  );
  return record('SelectBackward0', out, [x], (g) => [sliceScatter(unsqueeze(g, d), x.shape, d, at, 1)]);
}

function parseSlice(spec: string): [number | null, number | null, number] {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3) throw new TypeError(`index: cannot parse the slice '${spec}'`);
  const num = (p: string | undefined): number | null => {
    if (p === undefined || p.trim() === '') return null;
    const v = Number(p);
    if (!Number.isInteger(v)) throw new TypeError(`index: cannot parse the slice '${spec}'`);
    return v;
  };
  return [num(parts[0]), num(parts[1]), num(parts[2]) ?? 1];
}

/**
 * x[..., index, ...] along dim d for a 1-D int index, negative positions wrapped (x[tensor([-1])] is the last
 * entry). Out-of-range positions are PyTorch's IndexError, checked only when the result has elements: PyTorch
 * reads no index for an empty result, which is then x's (empty) elements in the result's shape.
 */
function advancedIndex(x: Tensor, d: number, index: Tensor): Tensor {
  const size = x.shape[d]!;
  const n = index.numel();
  const shape = [...x.shape];
  shape[d] = n;
  // An empty result: no index is read. With n > 0 it is empty because x is, so x's elements are its elements.
  if (numelOf(shape) === 0) return n === 0 ? x.indexSelect(d, index) : reshapeTo(x, shape);
  const values = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = index.data[index.offset + i * index.strides[0]!]!;
    if (v < -size || v >= size) {
      // PyTorch's two wordings: an empty dim has no index to name.
      const what = size === 0 ? 'index is out of bounds for dimension' : `index ${v} is out of bounds for dimension ${d}`;
      throw new RangeError(`index: ${what} with size ${size}`);
    }
    values[i] = v < 0 ? v + size : v;
  }
  return x.indexSelect(d, new Tensor(values, [n], [1], 0, 'int32'));
}

/**
 * x[..., mask] for a bool mask over dims d .. d + mask.dim() - 1: those dims become one, holding the entries where
 * the mask is true (a 0-d mask adds a dim of size 1 or 0), as PyTorch's boolean indexing.
 */
function maskIndex(x: Tensor, d: number, mask: Tensor): Tensor {
  const k = mask.dim();
  for (let i = 0; i < k; i++) {
    if (mask.shape[i] !== x.shape[d + i]) {
      throw new RangeError(`index: The shape of the mask ${shapeStr(mask.shape)} at index ${i} does not match the shape of the indexed tensor ${shapeStr(x.shape)} at index ${d + i}`);
    }
  }
  const flat = k === 0 ? unsqueeze(x, d) : flatten(x, d, d + k - 1);
  const m = K.dense(mask);
  const picked: number[] = [];
  for (let i = 0; i < m.length; i++) if (m[i]) picked.push(i);
  return flat.indexSelect(d, new Tensor(Int32Array.from(picked), [picked.length], [1], 0, 'int32'));
}

/** Python-style basic indexing; an int32 Tensor entry selects along its dim (index_select), a bool one masks. */
export function index(x: Tensor, ...specs: IndexSpec[]): Tensor {
  checkTensor('index', 'input', x);
  // A bool mask consumes as many dims as it has.
  const consumes = (s: IndexSpec): number => (s === null || s === '...' ? 0 : s instanceof Tensor && s.dtype === 'bool' ? s.dim() : 1);
  const used = specs.reduce<number>((n, s) => n + consumes(s), 0);
  if (used > x.dim()) {
    throw new RangeError(`index: too many indices for tensor of dimension ${x.dim()} (got ${used})`);
  }
  if (specs.filter((s) => s === '...').length > 1) throw new RangeError('index: an index can only have a single ellipsis');
  let out = x;
  let d = 0;
  for (const spec of specs) {
    if (spec === null) {
      out = unsqueeze(out, d);
      d++;
    } else if (spec === '...') {
      d += x.dim() - used;
    } else if (typeof spec === 'number') {
      // Python indexing's wording (IndexError), not select()'s.
      const size = out.shape[d]!;
      if (!Number.isInteger(spec) || spec < -size || spec >= size) {
        throw new RangeError(`index: index ${spec} is out of bounds for dimension ${d} with size ${size}`);
      }
      out = select(out, d, spec);
    } else if (typeof spec === 'string') {
      const [s, e, step] = parseSlice(spec);
      out = slice(out, d, s, e, step);
      d++;
    } else if (spec instanceof Tensor) {
      if (spec.isFloatingPoint()) throw new TypeError('index: tensors used as indices must be int32 (long) or bool tensors');
      if (spec.dtype === 'bool') {
        if (specs.some((s) => s instanceof Tensor && s !== spec)) throw new TypeError('index: a bool mask cannot be combined with other index tensors');
        out = maskIndex(out, d, spec);
        d++;
        continue;
      }
      if (spec.dim() !== 1) {
        throw new TypeError('index: only 1-D int32 index tensors are supported (use gather or where for the rest)');
      }
      out = advancedIndex(out, d, spec);
      d++;
    } else {
      throw new TypeError(`index: expected a number, a slice string, null, "..." or an int32 Tensor for an index but received ${describe(spec)}`);
    }
  }
  // x[...] and x[()] are new views in PyTorch.
  return out === x ? alias('AliasBackward0', x) : out;
}

/** The same values in a contiguous layout (x itself if already contiguous). */
export function contiguous(x: Tensor): Tensor {
  return x.isContiguous() ? x : clone(x);
}

/**
 * A contiguous copy with its own storage.
 * @example torch.clone(torch.tensor([1, 2])) // a copy: writing it leaves the original alone
 */
export function clone(x: Tensor): Tensor {
  checkTensor('clone', 'input', x);
  const out = outputTensor(x.shape, x.dtype, undefined, 'clone');
  K.copy(out, x);
  return record('CloneBackward0', out, [x], (g) => [g]);
}

/**
 * Concatenates along an existing dim; 1-D empty tensors are skipped, as in PyTorch.
 * @example torch.cat([torch.ones(2, 3), torch.zeros(1, 3)]).shape // [3, 3]
 */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new RangeError('cat: expected a non-empty list of Tensors');
  tensors.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new TypeError(`cat: expected a Tensor at position ${i} but received ${String(t)}`);
  });
  const skipped = (t: Tensor): boolean => t.dim() === 1 && t.shape[0] === 0;
  const parts = tensors.filter((t) => !skipped(t));
  const dtype = tensors.map((t) => t.dtype).reduce(promoteTypes);
  const ref = parts[0] ?? tensors[0]!;
  const d = normalizeDim('cat', dim, ref.dim());
  let total = 0;
  parts.forEach((p, i) => {
    if (p.dim() !== ref.dim()) {
      throw new RangeError(`cat: Tensors must have same number of dimensions: got ${ref.dim()} and ${p.dim()}`);
    }
    for (let k = 0; k < ref.dim(); k++) {
      if (k !== d && p.shape[k] !== ref.shape[k]) {
        throw new RangeError(
          `cat: Sizes of tensors must match except in dimension ${d}. Expected size ${ref.shape[k]} but got size ` +
            `${p.shape[k]} for tensor number ${i} in the list (shapes ${shapeStr(ref.shape)} and ${shapeStr(p.shape)}).`,
        );
      }
    }
    total += p.shape[d]!;
  });
  const shape = [...ref.shape];
  shape[d] = total;
  const out = outputTensor(shape, dtype, undefined, 'cat');
  let at = 0;
  // Where each input starts along d; the skipped inputs still take part in autograd, with an empty gradient.
  const starts = tensors.map((t) => {
    if (skipped(t)) return -1;
    const n = t.shape[d]!;
    if (n > 0) K.copy(narrow(out.detach(), d, at, n), t);
    at += n;
    return at - n;
  });
  return record('CatBackward0', out, [...tensors], (g, needs) =>
    tensors.map((t, i) => (!needs[i] ? null : skipped(t) ? emptyTensor([0], g.dtype) : narrow(g, d, starts[i]!, t.shape[d]!))),
  );
}

/**
 * Joins equal-shaped tensors along a new dim.
 * @example torch.stack([torch.ones(3), torch.zeros(3)], 1).shape // [3, 2]
 */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new RangeError('stack: expected a non-empty list of Tensors');
  const ref = tensors[0]!;
  tensors.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new TypeError(`stack: expected a Tensor at position ${i} but received ${String(t)}`);
    if (!sameShape(t.shape, ref.shape)) {
      throw new RangeError(
        `stack: stack expects each tensor to be equal size, but got ${shapeStr(ref.shape)} at entry 0 and ${shapeStr(t.shape)} at entry ${i}`,
      );
    }
  });
  const d = normalizeDim('stack', dim, ref.dim() + 1);
  return cat(tensors.map((t) => unsqueeze(t, d)), d);
}

/**
 * x in pieces of splitSize along dim (the last may be smaller), or of the given sizes, as torch.split.
 * @example torch.split(torch.arange(5), 2).map((p) => p.tolist()) // [[0, 1], [2, 3], [4]]
 */
export function split(x: Tensor, splitSize: number | readonly number[], dim = 0): Tensor[] {
  checkTensor('split', 'input', x);
  checkAtLeast1d('split', x);
  const d = normalizeDim('split', dim, x.dim());
  const size = x.shape[d]!;
  let sizes: number[];
  if (typeof splitSize !== 'number' && !Array.isArray(splitSize)) {
    throw new TypeError(`split: expected an integer or an array of integers for 'splitSize' but received ${describe(splitSize)}`);
  }
  if (typeof splitSize === 'number') {
    if (!Number.isInteger(splitSize) || splitSize < 0) {
      throw new RangeError(`split: split expects split_size be non-negative, but got split_size=${splitSize}`);
    }
    if (splitSize === 0 && size !== 0) {
      throw new RangeError(`split: split_size can only be 0 if dimension size is 0, but got dimension size of ${size}`);
    }
    if (splitSize > 0) checkPieces('split', Math.ceil(size / splitSize));
    sizes = [];
    for (let at = 0; at < size; at += splitSize) sizes.push(Math.min(splitSize, size - at));
    if (size === 0) sizes.push(0);
  } else {
    sizes = flatArgs('split', [splitSize]);
    const sum = sizes.reduce((a, b) => a + b, 0);
    if (sum !== size || sizes.some((s) => !Number.isInteger(s) || s < 0)) {
      throw new RangeError(
        `split: split_with_sizes expects split_sizes to sum exactly to ${size} (input tensor's size at dimension ${d}), ` +
          `but got split_sizes=${shapeStr(sizes)}`,
      );
    }
  }
  const out: Tensor[] = [];
  let at = 0;
  for (const s of sizes) {
    out.push(narrow(x, d, at, s));
    at += s;
  }
  return out;
}

/** The most tensors one split/chunk/tensorSplit/unbind call returns: each is an object, and 2^24 of them already take GBs. */
const MAX_PIECES = 2 ** 24;

/** Refuses a cut into more pieces than a list can hold, before any piece is made (V8 would abort the process). */
function checkPieces(op: string, n: number): void {
  if (n > MAX_PIECES) throw new RangeError(`${op}: the result would hold ${n} tensors; torchlet returns at most 2^24 (${MAX_PIECES}) from one call`);
}

/** split and chunk need a dim to cut. */
function checkAtLeast1d(op: string, x: Tensor): void {
  if (x.dim() === 0) throw new RangeError(`${op}: ${op} expects at least a 1-dimensional tensor`);
}

/**
 * x in chunks pieces of (nearly) equal size along dim, as torch.chunk.
 * @example torch.chunk(torch.arange(6), 3).length // 3
 */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  checkTensor('chunk', 'input', x);
  checkAtLeast1d('chunk', x);
  if (typeof chunks !== 'number') throw new TypeError(`chunk: expected an integer for 'chunks' but received ${describe(chunks)}`);
  if (!Number.isInteger(chunks) || chunks <= 0) throw new RangeError(`chunk: chunk expects \`chunks\` to be greater than 0, got: ${chunks}`);
  const d = normalizeDim('chunk', dim, x.dim());
  const size = x.shape[d]!;
  // An empty dim still gives `chunks` (empty) chunks; otherwise chunks of ceil(size / chunks), so perhaps fewer.
  if (size === 0) {
    checkPieces('chunk', chunks);
    return split(x, new Array<number>(chunks).fill(0), d);
  }
  return split(x, Math.ceil(size / chunks), d);
}

/**
 * Views cut along dim into `sections` near-equal parts (the first size % sections one longer) or at the given
 * indices (each part a Python slice [previous, index)), as torch.tensor_split.
 * @throws RangeError for a 0-dim tensor or a section count below 1
 * @example torch.tensorSplit(torch.arange(7), 3) // sizes 3, 2, 2
 */
export function tensorSplit(x: Tensor, sections: number | readonly number[], dim = 0): Tensor[] {
  checkTensor('tensorSplit', 'input', x);
  if (x.dim() === 0) throw new RangeError('tensorSplit: tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims');
  const d = normalizeDim('tensorSplit', dim, x.dim());
  const size = x.shape[d]!;
  let cuts: number[];
  if (typeof sections === 'number') {
    if (!Number.isInteger(sections) || sections <= 0) throw new RangeError(`tensorSplit: number of sections must be larger than 0, got ${sections}`);
    checkPieces('tensorSplit', sections);
    const base = Math.floor(size / sections);
    cuts = [];
    for (let i = 1, at = 0; i < sections; i++) cuts.push((at += base + (i <= size % sections ? 1 : 0)));
  } else {
    cuts = flatArgs('tensorSplit', [sections]);
  }
  return [...cuts, null].map((stop, i) => slice(x, d, i === 0 ? 0 : cuts[i - 1]!, stop, 1));
}

/**
 * The slices of x along dim, that dim removed, as torch.unbind.
 * @example torch.unbind(torch.tensor([[1, 2], [3, 4]])) // [tensor([1, 2]), tensor([3, 4])]
 */
export function unbind(x: Tensor, dim = 0): Tensor[] {
  checkTensor('unbind', 'input', x);
  checkInt('unbind', 'dim', dim);
  if (x.dim() === 0) throw new RangeError(`unbind: Dimension specified as ${dim} but tensor has no dimensions`);
  const d = normalizeDim('unbind', dim, x.dim());
  checkPieces('unbind', x.shape[d]!);
  const out: Tensor[] = [];
  for (let i = 0; i < x.shape[d]!; i++) out.push(select(x, d, i));
  return out;
}

declare module '../tensor' {
  interface Tensor {
    /**
     * The same storage seen with another shape (one size may be -1), as Tensor.view; the strides must allow it.
     * @example torch.arange(6).view(2, 3).shape // [2, 3]
     */
    view(...shape: SizeArg[]): Tensor;
    /**
     * Another shape: a view when the strides allow, else a copy, as Tensor.reshape.
     * @example torch.arange(6).reshape(-1, 2).shape // [3, 2]
     */
    reshape(...shape: SizeArg[]): Tensor;
    /**
     * A view with other's shape, as Tensor.view_as.
     * @example torch.arange(6).viewAs(torch.ones(3, 2)).shape // [3, 2]
     */
    viewAs(other: Tensor): Tensor;
    /**
     * reshape to other's shape, as Tensor.reshape_as.
     * @example torch.arange(6).reshapeAs(torch.ones(2, 3)).shape // [2, 3]
     */
    reshapeAs(other: Tensor): Tensor;
    /**
     * Dims startDim to endDim merged into one, as Tensor.flatten.
     * @example torch.ones(2, 3, 4).flatten(0, 1).shape // [6, 4]
     */
    flatten(startDim?: number, endDim?: number): Tensor;
    /**
     * One dim split into the given sizes (one may be -1), as Tensor.unflatten.
     * @example torch.ones(2, 12).unflatten(1, [3, 4]).shape // [2, 3, 4]
     */
    unflatten(dim: number, sizes: readonly number[]): Tensor;
    /**
     * A view with two dims swapped, as Tensor.transpose.
     * @example torch.ones(2, 3, 4).transpose(0, 2).shape // [4, 3, 2]
     */
    transpose(dim0: number, dim1: number): Tensor;
    /** Transpose of a tensor of at most 2 dims. @example torch.tensor([[1, 2], [3, 4]]).t() // [[1, 3], [2, 4]] */
    t(): Tensor;
    /** All dims reversed. @example torch.ones(2, 3).T.shape // [3, 2] */
    readonly T: Tensor;
    /**
     * A view with the dims reordered, as Tensor.permute.
     * @example torch.ones(2, 3, 4).permute(2, 0, 1).shape // [4, 2, 3]
     */
    permute(...dims: SizeArg[]): Tensor;
    /**
     * A view with a dim of size 1 inserted at dim, as Tensor.unsqueeze.
     * @example torch.ones(3).unsqueeze(1).shape // [3, 1]
     */
    unsqueeze(dim: number): Tensor;
    /**
     * A view without the dims of size 1 (or without dim, if its size is 1), as Tensor.squeeze.
     * @example torch.ones(1, 3, 1).squeeze(0).shape // [3, 1]
     */
    squeeze(dim?: number): Tensor;
    /**
     * A view broadcast to a larger shape (-1 keeps a size), no copy, as Tensor.expand.
     * @example torch.ones(3, 1).expand(3, 4).shape // [3, 4]
     */
    expand(...sizes: SizeArg[]): Tensor;
    /**
     * expand to other's shape, as Tensor.expand_as.
     * @example torch.ones(1, 2).expandAs(torch.zeros(3, 2)).shape // [3, 2]
     */
    expandAs(other: Tensor): Tensor;
    /**
     * The gradient-style reduction of expand: sums dims that broadcasting added or stretched, back to size.
     * @example torch.ones(3, 2).sumToSize(1, 2) // [[3, 3]]
     */
    sumToSize(...size: SizeArg[]): Tensor;
    /**
     * A view of length elements from start along dim, as Tensor.narrow.
     * @example torch.arange(6).narrow(0, 1, 2) // [1, 2]
     */
    narrow(dim: number, start: number, length: number): Tensor;
    /**
     * A view of the slice at index along dim (that dim removed), as Tensor.select.
     * @example torch.tensor([[1, 2], [3, 4]]).select(0, 1) // [3, 4]
     */
    select(dim: number, index: number): Tensor;
    /**
     * Python's `x[dim0_spec, dim1_spec, ...]`: numbers, ':' or 'start:stop:step' strings, null (new axis), '...'.
     * @example torch.arange(12).view(3, 4).index(':', '1:3').shape // [3, 2], as x[:, 1:3]
     */
    index(...specs: IndexSpec[]): Tensor;
    /**
     * The same values in a row-major contiguous layout (this tensor if already contiguous).
     * @example torch.ones(2, 3).t().contiguous().isContiguous() // true
     */
    contiguous(): Tensor;
    /** A copy with its own storage. @example const y = torch.ones(2).clone(); y.add_(1) */
    clone(): Tensor;
    /**
     * Pieces of splitSize along dim (the last may be smaller), or of the given sizes, as Tensor.split.
     * @example torch.arange(5).split([2, 3]).map((p) => p.shape[0]) // [2, 3]
     */
    split(splitSize: number | readonly number[], dim?: number): Tensor[];
    /**
     * chunks pieces of (nearly) equal size along dim, as Tensor.chunk.
     * @example torch.arange(6).chunk(2)[1] // [3, 4, 5]
     */
    chunk(chunks: number, dim?: number): Tensor[];
    /**
     * The slices along dim, that dim removed, as Tensor.unbind.
     * @example torch.tensor([[1, 2], [3, 4]]).unbind(1)[0] // [1, 3]
     */
    unbind(dim?: number): Tensor[];
    /**
     * Views cut into near-equal sections or at indices along dim, as Tensor.tensor_split.
     * @example torch.arange(5).tensorSplit([1, 3]).length // 3
     */
    tensorSplit(sections: number | readonly number[], dim?: number): Tensor[];
  }
}

defineMethods({
  view(this: Tensor, ...shape: SizeArg[]) {
    return view(this, ...shape);
  },
  reshape(this: Tensor, ...shape: SizeArg[]) {
    return reshape(this, ...shape);
  },
  viewAs(this: Tensor, other: Tensor) {
    checkTensor('viewAs', 'other', other);
    return view(this, other.shape);
  },
  reshapeAs(this: Tensor, other: Tensor) {
    checkTensor('reshapeAs', 'other', other);
    return reshape(this, other.shape);
  },
  flatten(this: Tensor, startDim?: number, endDim?: number) {
    return flatten(this, startDim, endDim);
  },
  unflatten(this: Tensor, dim: number, sizes: readonly number[]) {
    return unflatten(this, dim, sizes);
  },
  transpose(this: Tensor, dim0: number, dim1: number) {
    return transpose(this, dim0, dim1);
  },
  t(this: Tensor) {
    return t(this);
  },
  permute(this: Tensor, ...dims: SizeArg[]) {
    return permute(this, ...dims);
  },
  unsqueeze(this: Tensor, dim: number) {
    return unsqueeze(this, dim);
  },
  squeeze(this: Tensor, dim?: number) {
    return squeeze(this, dim);
  },
  expand(this: Tensor, ...sizes: SizeArg[]) {
    return expand(this, ...sizes);
  },
  expandAs(this: Tensor, other: Tensor) {
    checkTensor('expandAs', 'other', other);
    return expand(this, other.shape);
  },
  sumToSize(this: Tensor, ...size: SizeArg[]) {
    return sumToSize(this, ...size);
  },
  narrow(this: Tensor, dim: number, start: number, length: number) {
    return narrow(this, dim, start, length);
  },
  select(this: Tensor, dim: number, i: number) {
    return select(this, dim, i);
  },
  index(this: Tensor, ...specs: IndexSpec[]) {
    return index(this, ...specs);
  },
  contiguous(this: Tensor) {
    return contiguous(this);
  },
  clone(this: Tensor) {
    return clone(this);
  },
  split(this: Tensor, splitSize: number | readonly number[], dim?: number) {
    return split(this, splitSize, dim);
  },
  chunk(this: Tensor, chunks: number, dim?: number) {
    return chunk(this, chunks, dim);
  },
  unbind(this: Tensor, dim?: number) {
    return unbind(this, dim);
  },
  tensorSplit(this: Tensor, sections: number | readonly number[], dim?: number) {
    return tensorSplit(this, sections, dim);
  },
});
Object.defineProperty(Tensor.prototype, 'T', {
  get(this: Tensor) {
    return permute(this, this.shape.map((_, i) => this.shape.length - 1 - i));
  },
  configurable: true,
  enumerable: false,
});
