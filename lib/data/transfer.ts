/**
 * Batches across threads for DataLoader workers: tensors inside arrays and plain objects become (dtype, shape,
 * strides, offset, storage) records that postMessage clones (the storage is copied), and are rebuilt on the other
 * side. Interim: replaced by torchlet.threads' pack/unpack once that lands.
 */
import { Tensor } from '../tensor';
import type { DType, Storage } from '../dtype';

interface PackedTensor {
  readonly $torchletTensor: true;
  readonly dtype: DType;
  readonly shape: number[];
  readonly strides: number[];
  readonly offset: number;
  readonly data: Storage;
  readonly requiresGrad: boolean;
}

function isPackedTensor(v: unknown): v is PackedTensor {
  return v !== null && typeof v === 'object' && (v as Partial<PackedTensor>).$torchletTensor === true;
}

/** A value whose tensors are replaced by records postMessage can clone. */
export function pack(value: unknown): { message: unknown; transferList: ArrayBuffer[] } {
  const encode = (v: unknown): unknown => {
    if (v instanceof Tensor) {
      return { $torchletTensor: true, dtype: v.dtype, shape: [...v.shape], strides: [...v.strides], offset: v.offset, data: v.data, requiresGrad: v.requiresGrad };
    }
    if (Array.isArray(v)) return v.map(encode);
    if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encode(x)]));
    }
    return v;
  };
  return { message: encode(value), transferList: [] };
}

/** The value pack encoded, with its tensors rebuilt. */
export function unpack(message: unknown): unknown {
  const decode = (v: unknown): unknown => {
    if (isPackedTensor(v)) {
      const t = new Tensor(v.data, v.shape, v.strides, v.offset, v.dtype);
      t.requiresGrad = v.requiresGrad;
      return t;
    }
    if (Array.isArray(v)) return v.map(decode);
    if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x)]));
    }
    return v;
  };
  return decode(message);
}
