/**
 * Copies that rearrange or repeat a tensor's entries: repeat, tile, repeatInterleave, flip, roll, meshgrid. Each is
 * written with expand, reshape and indexSelect, whose gradients compose into its own.
 */
import { Tensor, defineMethods, emptyTensor } from '../tensor';
import { checkShape, checkTensor, checkTensorList, describe, flatArgs } from '../validate';
import { normalizeDim, shapeStr } from '../shape';
import { intTensor } from './along';
import type { SizeArg } from './movement';

/** Dims as one integer or a list, each normalized, none twice. */
function dimList(op: string, x: Tensor, dims: SizeArg): number[] {
  const list = flatArgs(op, [dims]);
  const out = list.map((d) => normalizeDim(op, d, x.dim()));
  out.forEach((d, i) => {
    if (out.indexOf(d) !== i) throw new RangeError(`${op}: dim ${d} appears multiple times in the list of dims`);
  });
  return out;
}

/**
 * x repeated along each dim (new leading dims for extra sizes), as Tensor.repeat.
 * @param x the input
 * @param sizes copies per dim, as (2, 3) or ([2, 3])
 * @throws RangeError with fewer sizes than x has dims, or a negative size
 * @example torch.tensor([1, 2]).repeat(2, 2) // [[1, 2, 1, 2], [1, 2, 1, 2]]
 */
export function repeat(x: Tensor, ...sizes: SizeArg[]): Tensor {
  checkTensor('repeat', 'input', x);
  return repeatDims('repeat', x, flatArgs('repeat', sizes));
}

/** repeat's work, its errors named after the public op (repeat, tile). */
function repeatDims(op: string, x: Tensor, reps: readonly number[]): Tensor {
  if (reps.length < x.dim()) {
    throw new RangeError(`${op}: Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor (${reps.length} < ${x.dim()})`);
  }
  const shape = [...new Array<number>(reps.length - x.dim()).fill(1), ...x.shape];
  const outShape = shape.map((s, i) => s * reps[i]!);
  const negative = reps.findIndex((r) => r < 0);
  if (negative >= 0) throw new RangeError(`${op}: Trying to create tensor with negative dimension ${reps[negative]! * shape[negative]!}: ${shapeStr(outShape)}`);
  checkShape(op, outShape);
  // One dim at a time: a broadcast copy count in front of dim i, merged into it (the rank grows by one at most).
  let out = x.reshape(shape);
  reps.forEach((r, i) => {
    if (r === 1) return;
    const grown = out.unsqueeze(i);
    out = grown.expand(grown.shape.map((s, k) => (k === i ? r : s))).reshape(out.shape.map((s, k) => (k === i ? s * r : s)));
  });
  // Always a copy, as PyTorch's repeat (a view of x when every count is 1).
  return out.data === x.data ? out.clone() : out;
}

/**
 * x repeated along each dim, as torch.tile: fewer sizes than dims are padded with leading 1s.
 * @param x the input
 * @param dims copies per dim
 * @example torch.tensor([1, 2]).tile(2) // [1, 2, 1, 2]
 */
export function tile(x: Tensor, ...dims: SizeArg[]): Tensor {
  checkTensor('tile', 'input', x);
  const reps = flatArgs('tile', dims);
  const padded = [...new Array<number>(Math.max(0, x.dim() - reps.length)).fill(1), ...reps];
  return repeatDims('tile', x, padded);
}

/** The options of repeatInterleave. | */
export interface RepeatInterleaveOptions {
  /** The dim to repeat along; null or undefined flattens x first. */
  dim?: number | null;
  /** The total number of entries along dim (accepted as PyTorch's hint; checked against the repeats). */
  outputSize?: number;
}

/** The index that repeats position i of a size-n dim counts[i] times. */
function repeatIndex(op: string, counts: ArrayLike<number>, n: number): Tensor {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const c = counts[counts.length === 1 ? 0 : i]!;
    if (c < 0) throw new RangeError(`${op}: repeats can not be negative (got ${c})`);
    total += c;
  }
  const out = emptyTensor([total], 'int32', op); // names the op when the counts ask for more than can be allocated
  const idx = out.data as Int32Array;
  for (let i = 0, k = 0; i < n; i++) {
    const c = counts[counts.length === 1 ? 0 : i]!;
    idx.fill(i, k, k + c);
    k += c;
  }
  return out;
}

/** The repeat counts: an integer, or an int32 tensor of 0 or 1 dims. */
function repeatCounts(op: string, repeats: unknown): ArrayLike<number> {
  if (typeof repeats === 'number') {
    if (!Number.isInteger(repeats)) throw new TypeError(`${op}: expected an integer or an int32 Tensor for 'repeats' but received ${describe(repeats)}`);
    return [repeats];
  }
  checkTensor(op, 'repeats', repeats);
  if (repeats.dtype !== 'int32') throw new TypeError(`${op}: "repeat_interleave_cpu" not implemented for '${repeats.dtype}' (repeats must be an int32 tensor)`);
  if (repeats.dim() > 1) throw new RangeError(`${op}: repeats must be 0-dim or 1-dim tensor (got shape ${shapeStr(repeats.shape)})`);
  return repeats.reshape([-1]).tolist() as number[];
}

/**
 * Each entry of x repeated along dim (x flattened without one), as torch.repeat_interleave; repeats is one count or
 * one per entry. With x an int32 tensor of counts and no repeats, the positions repeated by those counts.
 * @param x the input
 * @param repeats a count, or an int32 tensor of one count per entry along dim
 * @param options { dim, outputSize }, or the dim
 * @throws RangeError for negative counts or a count tensor of the wrong size
 * @example torch.tensor([1, 2]).repeatInterleave(2) // [1, 1, 2, 2]
 */
export function repeatInterleave(x: Tensor, repeats?: number | Tensor, options?: RepeatInterleaveOptions | number): Tensor {
  const op = 'repeatInterleave';
  checkTensor(op, 'input', x);
  if (repeats === undefined) {
    if (x.dtype !== 'int32' || x.dim() > 1) throw new TypeError(`${op}: repeats must be a 1-dim int32 tensor when given alone but received ${describe(x)}`);
    const counts = repeatCounts(op, x);
    return repeatIndex(op, counts, counts.length);
  }
  const o = typeof options === 'number' ? { dim: options } : (options ?? {});
  const counts = repeatCounts(op, repeats);
  const flat = o.dim === null || o.dim === undefined;
  if (!flat && x.dim() === 0) throw new RangeError(`${op}: Dimension specified as ${o.dim} but tensor has no dimensions`);
  const src = flat ? x.reshape([-1]) : x;
  const d = flat ? 0 : normalizeDim(op, o.dim!, x.dim());
  const n = src.shape[d]!;
  if (counts.length !== 1 && counts.length !== n) {
    throw new RangeError(`${op}: repeats must have the same size as input along dim (${counts.length} repeats for size ${n})`);
  }
  const index = repeatIndex(op, counts, n);
  if (o.outputSize !== undefined && o.outputSize !== index.numel()) {
    throw new RangeError(`${op}: allocated size does not match required size (outputSize ${o.outputSize}, repeats give ${index.numel()})`);
  }
  return src.indexSelect(d, index);
}

/**
 * x with the order of entries reversed along each of dims, as torch.flip.
 * @param x the input
 * @param dims the dims to reverse, none twice
 * @example x.flip([0, 1])
 */
export function flip(x: Tensor, ...dims: SizeArg[]): Tensor {
  checkTensor('flip', 'input', x);
  let out = x;
  const ds = dimList('flip', x, flatArgs('flip', dims));
  if (x.dim() === 0) return x.clone();
  for (const d of ds) {
    const n = x.shape[d]!;
    out = out.indexSelect(d, intTensor(Int32Array.from({ length: n }, (_, i) => n - 1 - i), [n]));
  }
  return out === x ? x.clone() : out;
}

/**
 * x rotated along dims by shifts (entries pushed past the end come back at the start), as torch.roll; without dims
 * x is rolled flattened and reshaped back.
 * @param x the input
 * @param shifts one shift per dim in dims
 * @param dims the dims to roll (none: the flattened tensor)
 * @throws RangeError when shifts and dims differ in length
 * @example torch.roll(x, [1, -1], [0, 1])
 */
export function roll(x: Tensor, shifts: SizeArg, dims?: SizeArg): Tensor {
  checkTensor('roll', 'input', x);
  const s = flatArgs('roll', [shifts]);
  const ds = dims === undefined ? [] : flatArgs('roll', [dims]);
  if (s.length === 0) throw new RangeError('roll: `shifts` required');
  if (ds.length === 0) {
    if (s.length !== 1) throw new RangeError(`roll: shifts and dimensions must align. shifts: ${s.length}, dims:0`);
    return roll(x.reshape([-1]), s, [0]).reshape(x.shape);
  }
  if (s.length !== ds.length) throw new RangeError(`roll: shifts and dimensions must align. shifts: ${s.length}, dims:${ds.length}`);
  if (x.dim() === 0) throw new RangeError(`roll: Dimension specified as ${ds[0]} but tensor has no dimensions`);
  let out = x;
  ds.forEach((dim, i) => {
    const d = normalizeDim('roll', dim, x.dim());
    const n = x.shape[d]!;
    if (n === 0) return;
    const k = ((s[i]! % n) + n) % n;
    out = out.indexSelect(d, intTensor(Int32Array.from({ length: n }, (_, j) => (j - k + n) % n), [n]));
  });
  return out === x ? x.clone() : out;
}

/** The options of meshgrid. | */
export interface MeshgridOptions {
  /** 'ij' (matrix indexing, PyTorch's default) or 'xy' (Cartesian: the first two outputs' dims swapped). */
  indexing?: 'ij' | 'xy';
}

/**
 * Coordinate grids from 0- or 1-D tensors, as torch.meshgrid: output i varies along dim i ('ij') and all have the
 * shape [n0, n1, ...] ('xy' swaps the first two dims). Each output is an expanded view.
 * @param tensors 0- or 1-D tensors of one dtype
 * @param options indexing: 'ij' (default) or 'xy'
 * @throws RangeError for tensors of more than 1 dim
 * @example const [ys, xs] = torch.meshgrid([torch.arange(3), torch.arange(4)], { indexing: 'ij' });
 */
export function meshgrid(tensors: readonly Tensor[], options?: MeshgridOptions): Tensor[] {
  const list = checkTensorList('meshgrid', 'tensors', tensors);
  const indexing = options?.indexing ?? 'ij';
  if (indexing !== 'ij' && indexing !== 'xy') throw new RangeError(`meshgrid: indexing must be one of "xy" or "ij", but received: ${String(indexing)}`);
  if (list.length === 0) throw new RangeError('meshgrid: expects a non-empty TensorList');
  list.forEach((t, i) => {
    if (t.dim() > 1) throw new RangeError(`meshgrid: Expected 0D or 1D tensor in the tensor list but got: tensors[${i}] of shape ${shapeStr(t.shape)}`);
    if (t.dtype !== list[0]!.dtype) throw new TypeError(`meshgrid: expects all tensors to have the same dtype (tensors[0] is ${list[0]!.dtype}, tensors[${i}] is ${t.dtype})`);
  });
  const swap = indexing === 'xy' && list.length >= 2;
  const order = swap ? [1, 0, ...list.slice(2).map((_, i) => i + 2)] : list.map((_, i) => i);
  const grid = order.map((i) => list[i]!.numel());
  return list.map((t, i) => {
    const at = order.indexOf(i);
    const view = grid.map((n, j) => (j === at ? n : 1));
    return t.reshape(view).expand(grid);
  });
}

declare module '../tensor' {
  interface Tensor {
    /**
     * This tensor tiled sizes times along each dim (sizes may add leading dims), as Tensor.repeat.
     * @example torch.tensor([1, 2]).repeat(2, 2) // [[1, 2, 1, 2], [1, 2, 1, 2]]
     */
    repeat(...sizes: SizeArg[]): Tensor;
    /**
     * repeat that pads dims with 1 when fewer are given, as Tensor.tile.
     * @example torch.tensor([1, 2]).tile(2) // [1, 2, 1, 2]
     */
    tile(...dims: SizeArg[]): Tensor;
    /**
     * Each element (or slice along dim) repeated in place, as Tensor.repeat_interleave.
     * @example torch.tensor([1, 2]).repeatInterleave(2) // [1, 1, 2, 2]
     */
    repeatInterleave(repeats: number | Tensor, options?: RepeatInterleaveOptions | number): Tensor;
    /**
     * The order along the given dims reversed (a copy), as Tensor.flip.
     * @example torch.tensor([1, 2, 3]).flip(0) // [3, 2, 1]
     */
    flip(...dims: SizeArg[]): Tensor;
    /**
     * Elements shifted along dims, wrapping around (flattened without dims), as Tensor.roll.
     * @example torch.tensor([1, 2, 3]).roll(1) // [3, 1, 2]
     */
    roll(shifts: SizeArg, dims?: SizeArg): Tensor;
  }
}

defineMethods({
  repeat(this: Tensor, ...sizes: SizeArg[]) {
    return repeat(this, ...sizes);
  },
  tile(this: Tensor, ...dims: SizeArg[]) {
    return tile(this, ...dims);
  },
  repeatInterleave(this: Tensor, repeats: number | Tensor, options?: RepeatInterleaveOptions | number) {
    return repeatInterleave(this, repeats, options);
  },
  flip(this: Tensor, ...dims: SizeArg[]) {
    return flip(this, ...dims);
  },
  roll(this: Tensor, shifts: SizeArg, dims?: SizeArg) {
    return roll(this, shifts, dims);
  },
});
