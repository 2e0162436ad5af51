/** Element types. PyTorch's int64 (indices, class labels) maps to int32 here; bool is stored one byte each. */
export type DType = 'float32' | 'int32' | 'bool';

/** What dtype arguments accept: a dtype, or PyTorch's spellings of it ('int64' and 'long' are int32 here). */
export type DTypeLike = DType | 'int64' | 'long' | 'float';

/** The typed array behind a tensor of each dtype. */
export type Storage = Float32Array | Int32Array | Uint8Array;

export const float32: DType = 'float32';
export const int32: DType = 'int32';
/** PyTorch spells integer indices int64; torchlet stores them as int32. */
export const int64: DType = 'int32';
export const long: DType = 'int32';
export const float: DType = 'float32';
export const bool: DType = 'bool';

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2 };

/** Allocates zeroed storage for `n` elements of `dtype`. */
export function allocate(dtype: DType, n: number): Storage {
  if (dtype === 'float32') return new Float32Array(n);
  if (dtype === 'int32') return new Int32Array(n);
  return new Uint8Array(n);
}

// Below this many bytes a zeroed typed array is as cheap as anything else.
const UNINIT_MIN_BYTES = 64 * 1024;

/**
 * Storage for `n` elements whose every element the caller will overwrite (a kernel's output): large arrays
 * skip the zero-fill (Buffer.allocUnsafe gives them their own, unpooled ArrayBuffer), saving a full pass over
 * fresh memory on every op.
 */
export function allocateForOutput(dtype: DType, n: number): Storage {
  const bytes = dtype === 'bool' ? n : 4 * n;
  if (bytes < UNINIT_MIN_BYTES) return allocate(dtype, n);
  const buf = Buffer.allocUnsafe(bytes);
  if (dtype === 'float32') return new Float32Array(buf.buffer, buf.byteOffset, n);
  if (dtype === 'int32') return new Int32Array(buf.buffer, buf.byteOffset, n);
  return new Uint8Array(buf.buffer, buf.byteOffset, n);
}

/** The dtype of a typed array, or undefined for other arrays. */
export function dtypeOfStorage(s: unknown): DType | undefined {
  if (s instanceof Float32Array) return 'float32';
  if (s instanceof Int32Array) return 'int32';
  if (s instanceof Uint8Array) return 'bool';
  return undefined;
}

/** PyTorch's promotion between two tensors: bool < int < float. */
export function promoteTypes(a: DType, b: DType): DType {
  return (RANK[a] ?? 0) >= (RANK[b] ?? 0) ? a : b;
}

/** PyTorch's promotion of a tensor with a JS number: an integral number keeps the tensor's integer type. */
export function promoteWithScalar(t: DType, scalar: number | boolean): DType {
  if (typeof scalar === 'boolean') return t;
  if (t === 'float32') return 'float32';
  if (!Number.isInteger(scalar)) return 'float32';
  return 'int32';
}

export function isFloating(d: DType): boolean {
  return d === 'float32';
}

/** Validates a user-supplied dtype name. */
export function checkDType(op: string, d: unknown): DType {
  if (d === 'float32' || d === 'int32' || d === 'bool') return d;
  if (d === 'int64' || d === 'long') return 'int32';
  if (d === 'float') return 'float32';
  throw new TypeError(`${op}: expected dtype 'float32', 'int32' (or 'int64') or 'bool' but received ${String(d)}`);
}
