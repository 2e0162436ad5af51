/**
 * The element types of stored tensors (PyTorch storages and safetensors codes) and their conversion to the nearest
 * torchlet dtype: float16 and bfloat16 widen to float32, the small integers widen to int32, and int64 narrows to
 * int32 (torchlet's int64) with a RangeError for a value that does not fit.
 */
import type { DType, Storage } from '../dtype';
import { allocate, info } from '../dtype';

/** One stored element type. */
export interface ElementType {
  /** PyTorch's dtype name, without 'torch.' ('float16'). */
  readonly torch: string;
  /** The storage class torch.save names for it ('HalfStorage'). */
  readonly storage: string;
  /** The safetensors dtype code ('F16'). */
  readonly safetensors: string;
  /** Bytes per element. */
  readonly size: number;
  /** The torchlet dtype it loads as. */
  readonly target: DType;
}

const TYPES: readonly ElementType[] = [
  { torch: 'float32', storage: 'FloatStorage', safetensors: 'F32', size: 4, target: 'float32' },
  { torch: 'float64', storage: 'DoubleStorage', safetensors: 'F64', size: 8, target: 'float64' },
  { torch: 'float16', storage: 'HalfStorage', safetensors: 'F16', size: 2, target: 'float32' },
  { torch: 'bfloat16', storage: 'BFloat16Storage', safetensors: 'BF16', size: 2, target: 'float32' },
  { torch: 'int64', storage: 'LongStorage', safetensors: 'I64', size: 8, target: 'int32' },
  { torch: 'int32', storage: 'IntStorage', safetensors: 'I32', size: 4, target: 'int32' },
  { torch: 'int16', storage: 'ShortStorage', safetensors: 'I16', size: 2, target: 'int32' },
  { torch: 'int8', storage: 'CharStorage', safetensors: 'I8', size: 1, target: 'int32' },
  { torch: 'uint8', storage: 'ByteStorage', safetensors: 'U8', size: 1, target: 'int32' },
  { torch: 'bool', storage: 'BoolStorage', safetensors: 'BOOL', size: 1, target: 'bool' },
];

export const BY_STORAGE = new Map(TYPES.map((t) => [t.storage, t]));
export const BY_SAFETENSORS = new Map(TYPES.map((t) => [t.safetensors, t]));

/**
 * The element type a torchlet dtype is written as in a .pt file: its PyTorch dtype (torchlet's int32 stands for
 * PyTorch's int64, so it is written as int64 and loads in PyTorch as index tensors do).
 */
export function elementTypeOf(d: DType): ElementType {
  const name = info(d).torch.replace('torch.', '');
  return TYPES.find((t) => t.torch === name)!;
}

/** A float16 bit pattern as a number. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

/**
 * Decodes `n` stored elements into torchlet storage of the type's target dtype.
 * @param littleEndian the byte order of `bytes`
 * @param overflow builds the error for an int64 value outside int32 (given the element index and the value)
 */
export function decodeElements(t: ElementType, bytes: Uint8Array, n: number, littleEndian: boolean, overflow: (index: number, value: bigint) => RangeError): Storage {
  const out = allocate(t.target, n);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, n * t.size);
  // The common case, stored as torchlet stores it: one copy of the bytes.
  if (littleEndian && (t.storage === 'FloatStorage' || t.storage === 'DoubleStorage' || t.storage === 'IntStorage' || t.storage === 'BoolStorage')) {
    new Uint8Array(out.buffer, out.byteOffset, n * t.size).set(bytes.subarray(0, n * t.size));
    return out;
  }
  const le = littleEndian;
  switch (t.storage) {
    case 'FloatStorage':
      for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, le);
      break;
    case 'DoubleStorage':
      for (let i = 0; i < n; i++) out[i] = dv.getFloat64(8 * i, le);
      break;
    case 'HalfStorage':
      for (let i = 0; i < n; i++) out[i] = halfToFloat(dv.getUint16(2 * i, le));
      break;
    case 'BFloat16Storage': {
      const bits = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < n; i++) {
        bits.setUint32(0, dv.getUint16(2 * i, le) << 16);
        out[i] = bits.getFloat32(0);
      }
      break;
    }
    case 'LongStorage':
      for (let i = 0; i < n; i++) {
        const lo = dv.getInt32(8 * i + (le ? 0 : 4), le);
        const hi = dv.getInt32(8 * i + (le ? 4 : 0), le);
        if (hi !== lo >> 31) throw overflow(i, dv.getBigInt64(8 * i, le));
        out[i] = lo;
      }
      break;
    case 'IntStorage':
      for (let i = 0; i < n; i++) out[i] = dv.getInt32(4 * i, le);
      break;
    case 'ShortStorage':
      for (let i = 0; i < n; i++) out[i] = dv.getInt16(2 * i, le);
      break;
    case 'CharStorage':
      for (let i = 0; i < n; i++) out[i] = dv.getInt8(i);
      break;
    default: // ByteStorage, BoolStorage
      out.set(bytes.subarray(0, n));
  }
  return out;
}

/** Encodes torchlet storage as the element type elementTypeOf(dtype) names, little-endian. */
export function encodeElements(d: DType, s: Storage): Uint8Array {
  const bytes = new Uint8Array(s.buffer, s.byteOffset, s.byteLength);
  if (d !== 'int32') return bytes;
  // int32 is written as PyTorch's int64: sign-extended.
  const out = new Int32Array(2 * s.length);
  for (let i = 0; i < s.length; i++) {
    out[2 * i] = s[i]!;
    out[2 * i + 1] = s[i]! < 0 ? -1 : 0;
  }
  return new Uint8Array(out.buffer);
}

/** The RangeError of an int64 value that torchlet's int32 cannot hold. */
export function int64Overflow(op: string, what: string, index: number, value: bigint): RangeError {
  return new RangeError(
    `${op}: ${what} holds the int64 value ${value} (element ${index}), which does not fit in torchlet's int64 ` +
      `(stored in 32 bits: [${INT_MIN}, ${INT_MAX}])`,
  );
}
