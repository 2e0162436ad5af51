/** Shape and stride arithmetic shared by every op. */

export type Shape = readonly number[];

export function numelOf(shape: Shape): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** Row-major strides (in elements) of a contiguous tensor. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d]!;
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

/** Checks a user-given shape (sizes, possibly one -1) and returns it as numbers. */
export function checkShape(op: string, shape: readonly unknown[], allowInfer = false): number[] {
  for (const s of shape) {
    if (typeof s !== 'number' || !Number.isInteger(s) || s < (allowInfer ? -1 : 0)) {
      throw new TypeError(`${op}: expected a shape of non-negative integers but received ${shapeStr(shape as number[])}`);
    }
  }
  return shape as number[];
}

/** Accepts shape arguments given as (2, 3) or ([2, 3]). */
export function shapeArgs(args: readonly (number | readonly number[])[]): readonly unknown[] {
  if (args.length === 1 && Array.isArray(args[0])) return args[0];
  return args;
}
