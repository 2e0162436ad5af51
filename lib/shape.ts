/** Shape and stride arithmetic shared by every op. */

export type Shape = readonly number[];

/** The most dims a tensor may have: the native kernels' kMaxRank (native/src/kernels/strided.h). */
export const MAX_RANK = 16;

/**
 * Refuses ranks the native kernels cannot take, when a tensor or view is made rather than at a later kernel.
 * @param op the op to name in the message, or '' when unknown (the Tensor constructor)
 * @throws RangeError for a rank above MAX_RANK
 * @example checkRank('zeros', shape.length)
 */
export function checkRank(op: string, rank: number): void {
  if (rank > MAX_RANK) throw new RangeError(`${op ? `${op}: ` : ''}torchlet supports tensors of at most ${MAX_RANK} dims, but this one would have ${rank}`);
}

export function numelOf(shape: Shape): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/**
 * Whether `strides` are the row-major strides of `shape`. Size-1 dims may have any stride unless `exact` (a result
 * that reuses an operand's strides array needs them exact, and then only they count); otherwise a layout addressing
 * no element counts as row-major.
 */
export function isRowMajor(shape: Shape, strides: readonly number[], exact = false): boolean {
  if (!exact && shape.includes(0)) return true;
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    const s = shape[d]!;
    if (strides[d] !== expected && (exact || s !== 1)) return false;
    expected *= Math.max(s, 1);
  }
  return true;
}

/**
 * Row-major strides (in elements) of a contiguous tensor. A size-0 dim counts as size 1, as in PyTorch: an empty
 * tensor's strides stay nonzero (no stride 0 that would read as broadcasting).
 */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= Math.max(shape[d]!, 1);
  }
  return strides;
}

export function shapeStr(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Wraps a possibly negative dim into [0, rank), as PyTorch does, or throws IndexError-like RangeError. */
export function normalizeDim(op: string, dim: number, rank: number): number {
  const r = Math.max(rank, 1);
  if (typeof dim !== 'number') {
    // Checked here because every dim argument passes through: a wrong kind of value must not reach the message.
    const what = dim === null ? 'null' : Array.isArray(dim) ? 'an array' : typeof dim === 'object' ? 'an object' : `a ${typeof dim}`;
    throw new TypeError(`${op}: expected an integer for 'dim' but received ${what}`);
  }
  if (!Number.isInteger(dim) || dim < -r || dim >= r) {
    throw new RangeError(`${op}: Dimension out of range (expected to be in range of [${-r}, ${r - 1}], but got ${dim})`);
  }
  return dim < 0 ? dim + r : dim;
}

/** Broadcast shape of two shapes (numpy rules), or a RangeError naming the op and both shapes. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) {
      throw new RangeError(
        `${op}: The size of tensor a (${x}) must match the size of tensor b (${y}) at non-singleton dimension ${i} ` +
          `(shapes ${shapeStr(a)} and ${shapeStr(b)})`,
      );
    }
    out[i] = x === 1 ? y : x;
  }
  return out;
}
