/**
 * Tensors across threads: `pack` turns a value holding tensors (a state dict, a batch, nested arrays, objects and
 * Maps of them) into a message that postMessage can clone, plus the list of buffers to transfer; `unpack` rebuilds
 * it on the other side, as torch.multiprocessing's tensor reductions do for queues.
 *
 * Each storage is sent once, so views of one storage are views of one storage again after the trip (a transposed
 * weight and the weight it views stay tied). Storage in a SharedArrayBuffer (`shareMemory_()`) is shared, not
 * copied: both threads then read and write the same memory. Other storage is copied, or with `{ transfer: true }`
 * moved without a copy: the sender's tensors on it can no longer be used (using one is an Error saying so).
 */
import type { MessagePort, Worker } from 'worker_threads';

import { DTYPES, ownsBuffer } from '../dtype';
import type { DType, Storage } from '../dtype';
import { Tensor, isSharedBuffer, markTransferred } from '../tensor';
import { Parameter } from '../nn/parameter';
import { checkBool, checkOptions, describe } from '../validate';

/** What travels in postMessage: plain data, typed arrays and shared buffers only. */
export interface PackedMessage {
  readonly torchlet: typeof FORMAT;
  /** Every storage once; tensors refer to their storage by index. */
  readonly storages: Storage[];
  readonly value: unknown;
}

/** The options of packing tensors for another thread: whether to move storage instead of copying it. | */
export interface PackOptions {
  /**
   * Move non-shared storage instead of copying it (its buffer goes in the transfer list). The sender's tensors on
   * that storage become unusable. Storage that does not own its whole ArrayBuffer is still copied.
   */
  transfer?: boolean;
}

const FORMAT = 'torchlet.threads/1';

// Tags of the encoded tree. Arrays stay arrays and primitives stay themselves; every object is tagged, so a user's
// object can never be mistaken for an encoded tensor.
interface EncodedTensor {
  readonly $: 'tensor';
  readonly storage: number;
  readonly dtype: DType;
  readonly shape: number[];
  readonly strides: number[];
  readonly offset: number;
  readonly requiresGrad: boolean;
  readonly parameter: boolean;
}
interface EncodedObject {
  readonly $: 'object';
  readonly entries: [string, unknown][];
}
interface EncodedMap {
  readonly $: 'map';
  readonly entries: [unknown, unknown][];
}
/** A value structured clone handles itself (typed arrays, ArrayBuffers, Dates...). */
interface EncodedRaw {
  readonly $: 'raw';
  readonly value: unknown;
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function isCloneable(v: object): boolean {
  return ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof SharedArrayBuffer || v instanceof Date || v instanceof RegExp;
}

function pathStr(path: readonly (string | number)[]): string {
  return path.length === 0 ? 'the value' : 'value' + path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
}

/**
 * Packs a value holding tensors for postMessage.
 * @param value a tensor, number, string, boolean, null, undefined, bigint, typed array, or an array, plain object or
 *   Map of these (a state dict), nested to any depth
 * @param options `{ transfer: true }` moves non-shared storage instead of copying it
 * @returns the message and the transfer list: `port.postMessage(message, transferList)`
 * @throws TypeError for a value that cannot cross threads (a function, a class instance, a cycle), naming where it is;
 *   Error for a non-leaf tensor that requires grad (autograd does not cross threads: detach() it)
 * @example
 * const { message, transferList } = threads.pack(model.stateDict());
 * worker.postMessage(message, transferList);
 */
export function pack(value: unknown, options?: PackOptions): { message: PackedMessage; transferList: ArrayBuffer[] } {
  const opts = checkOptions('pack', options);
  const transfer = checkBool('pack', 'transfer', opts.transfer, false);
  const storages: Storage[] = [];
  const index = new Map<Storage, number>();
  const transferList: ArrayBuffer[] = [];
  const open = new Set<object>();

  const storageIndex = (t: Tensor): number => {
    const d = t.data;
    let i = index.get(d);
    if (i !== undefined) return i;
    i = storages.length;
    storages.push(d);
    index.set(d, i);
    const buf = d.buffer;
    // A buffer goes in the list once, even under two typed arrays (postMessage refuses duplicates).
    if (transfer && !isSharedBuffer(buf) && ownsBuffer(d) && d.byteLength > 0) {
      if (!transferList.includes(buf as ArrayBuffer)) transferList.push(buf as ArrayBuffer);
      markTransferred(d);
    }
    return i;
  };

  const encode = (v: unknown, path: (string | number)[]): unknown => {
    if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return v;
    if (typeof v === 'function' || typeof v === 'symbol') {
      throw new TypeError(`pack: ${pathStr(path)} is ${describe(v)}, which cannot cross threads (pass a module path instead)`);
    }
    if (v instanceof Tensor) {
      if (v.requiresGrad && !v.isLeaf) {
        throw new Error(
          `pack: ${pathStr(path)}: Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd does not support crossing process boundaries. If you just want to transfer the data, call detach() on the tensor before serializing (e.g., putting it on the queue).`,
        );
      }
      const e: EncodedTensor = {
        $: 'tensor', storage: storageIndex(v), dtype: v.dtype, shape: [...v.shape], strides: [...v.strides], offset: v.offset,
        requiresGrad: v.requiresGrad, parameter: v instanceof Parameter,
      };
      return e;
    }
    if (isCloneable(v)) return { $: 'raw', value: v } satisfies EncodedRaw;
    if (open.has(v)) throw new TypeError(`pack: ${pathStr(path)} refers back to itself (a cycle), which cannot be packed`);
    open.add(v);
    try {
      if (Array.isArray(v)) return v.map((x, i) => encode(x, [...path, i]));
      if (v instanceof Map) {
        return { $: 'map', entries: [...v].map(([k, x]) => [encode(k, [...path, 'key']), encode(x, [...path, String(k)])]) } satisfies EncodedMap;
      }
      if (isPlainObject(v)) {
        return { $: 'object', entries: Object.entries(v).map(([k, x]) => [k, encode(x, [...path, k])]) } satisfies EncodedObject;
      }
    } finally {
      open.delete(v);
    }
    throw new TypeError(
      `pack: ${pathStr(path)} is ${describe(v)}; only tensors, numbers, strings, booleans, null, typed arrays and arrays, plain objects and Maps of them cross threads`,
    );
  };

  const encoded = encode(value, []);
  return { message: { torchlet: FORMAT, storages, value: encoded }, transferList };
}

function bad(what: string): TypeError {
  return new TypeError(`unpack: expected a message made by threads.pack but ${what}`);
}

/**
 * Rebuilds what `pack` packed, in the receiving thread: tensors get their dtype, shape, strides, offset and
 * requiresGrad back (nn.Parameters come back as Parameters), views of one storage share one storage, and shared
 * storage is the very memory the sender holds.
 * @throws TypeError for a message that `pack` did not make
 * @example worker.on('message', (m) => model.loadStateDict(threads.unpack(m)));
 */
export function unpack(message: unknown): unknown {
  if (message === null || typeof message !== 'object' || (message as { torchlet?: unknown }).torchlet !== FORMAT) {
    throw bad(`received ${describe(message)}`);
  }
  const { storages, value } = message as PackedMessage;
  if (!Array.isArray(storages)) throw bad('it has no storage list');
  // Rebuilt once per storage, so views stay views of one array. A typed array that postMessage delivered into a vm
  // context (jest, a REPL) belongs to another realm: it gets a view of this realm's class over the same buffer.
  const arrays = new Map<number, Storage>();
  const storage = (i: number, dtype: DType): Storage => {
    let a = arrays.get(i);
    if (a !== undefined) return a;
    const s: unknown = storages[i];
    const Ctor = DTYPES[dtype].array;
    if (!ArrayBuffer.isView(s) || Object.prototype.toString.call(s) !== `[object ${Ctor.name}]`) {
      throw bad(`a ${dtype} tensor's storage is ${describe(s)}`);
    }
    const v = s as Storage;
    a = v instanceof Ctor ? v : new Ctor(v.buffer as ArrayBuffer, v.byteOffset, v.length);
    arrays.set(i, a);
    return a;
  };
  const decode = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map(decode);
    const e = v as EncodedTensor | EncodedObject | EncodedMap | EncodedRaw;
    switch (e.$) {
      case 'tensor': {
        if (!Object.hasOwn(DTYPES, e.dtype)) throw bad(`a tensor has the unknown dtype ${describe(e.dtype)}`);
        const t = new Tensor(storage(e.storage, e.dtype), e.shape, e.strides, e.offset, e.dtype);
        if (e.parameter) return new Parameter(t, e.requiresGrad);
        if (e.requiresGrad) t.requiresGrad_(true);
        return t;
      }
      case 'object': {
        const out: Record<string, unknown> = {};
        for (const [k, x] of e.entries) out[k] = decode(x);
        return out;
      }
      case 'map':
        return new Map(e.entries.map(([k, x]) => [decode(k), decode(x)]));
      case 'raw':
        return e.value;
      default:
        throw bad(`it holds ${describe(v)}`);
    }
  };
  return decode(value);
}

/**
 * Packs a value and posts it on a port or worker: `post(port, stateDict)` is
 * `port.postMessage(...pack(stateDict))`.
 * @example threads.post(parentPort, { step, stateDict: model.stateDict() });
 */
export function post(port: MessagePort | Worker, value: unknown, options?: PackOptions): void {
  if (port === null || typeof port !== 'object' || typeof (port as { postMessage?: unknown }).postMessage !== 'function') {
    throw new TypeError(`post: expected a MessagePort or Worker for 'port' but received ${describe(port)}`);
  }
  const { message, transferList } = pack(value, options);
  port.postMessage(message, transferList);
}
