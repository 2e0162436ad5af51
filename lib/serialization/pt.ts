/**
 * PyTorch's file format (torch.save since 1.6): a zip archive holding `<name>/data.pkl` (the object, pickled with each
 * storage replaced by a persistent id), `<name>/data/<key>` (one record per storage, raw little-endian elements) and
 * `<name>/version`. Reading goes through a restricted unpickler that accepts only the globals PyTorch 1.13's
 * `weights_only=True` unpickler allows and runs no code; writing produces what torch.save writes, with views of one
 * storage pointing at one record, so they share again after loading (in torchlet and in PyTorch).
 */
import { unzipSync, zipSync } from 'fflate';
import type { Zippable } from 'fflate';

import { Tensor } from '../tensor';
import type { Storage } from '../dtype';
import { isFloating } from '../dtype';
import { Parameter } from '../nn/parameter';
import { describe } from '../validate';
import type { ElementType } from './elements';
import { BY_STORAGE, decodeElements, elementTypeOf, encodeElements, int64Overflow } from './elements';
import { PyDict, PyGlobal, PyPersistent, PyReduce, PyTuple, pickle, unpickle } from './pickle';
import type { PickleOut, UnpickleHooks } from './pickle';

/**
 * What torch.load returns: tensors, Python scalars (int as number, or bigint past 2**53; float as number; str, bool,
 * None as null), lists and tuples as arrays, and dicts as plain objects when every key is a string or an int (an int
 * key becomes its decimal string, as JS property keys are), else as Maps.
 */
export type Loaded = null | boolean | number | bigint | string | Tensor | Loaded[] | { [key: string]: Loaded } | Map<Loaded, Loaded>;

const STORAGES = ['Float', 'Double', 'Half', 'BFloat16', 'Long', 'Int', 'Short', 'Char', 'Byte', 'Bool', 'ComplexFloat', 'ComplexDouble'];
const TENSOR_CLASSES = ['Float', 'Double', 'Half', 'BFloat16', 'Long', 'Int', 'Short', 'Char', 'Byte', 'Bool'].map((t) => `${t}Tensor`);

/** The globals PyTorch 1.13's weights_only unpickler allows (torch/_weights_only_unpickler.py), and no others. */
const ALLOWED = new Set([
  'collections.OrderedDict', 'torch.nn.parameter.Parameter', 'torch.serialization._get_layout', 'torch.Size', 'torch.Tensor',
  ...['complex32', 'complex64', 'complex128', 'float16', 'float32', 'float64', 'int8', 'int16', 'int32', 'int64'].map((d) => `torch.${d}`),
  ...TENSOR_CLASSES.flatMap((c) => [`torch.${c}`, `torch.cuda.${c}`]),
  ...TENSOR_CLASSES.filter((c) => c !== 'BoolTensor').flatMap((c) => [`torch.sparse.${c}`, `torch.cuda.sparse.${c}`]),
  ...STORAGES.flatMap((s) => [`torch.${s}Storage`, `torch.cuda.${s}Storage`]),
  ...['QInt32', 'QInt8', 'QUInt2x4', 'QUInt4x2', 'QUInt8'].map((s) => `torch.${s}Storage`),
  'torch.storage.TypedStorage', 'torch.storage.UntypedStorage',
  ...['parameter', 'tensor', 'tensor_v2', 'sparse_tensor', 'meta_tensor_no_storage', 'sparse_csr_tensor'].map((f) => `torch._utils._rebuild_${f}`),
]);

/** What torchlet cannot build from an allowed global, in words for the error. */
const UNSUPPORTED: Record<string, string> = {
  'torch._utils._rebuild_sparse_tensor': 'sparse tensors',
  'torch._utils._rebuild_sparse_csr_tensor': 'sparse tensors',
  'torch._utils._rebuild_meta_tensor_no_storage': 'meta tensors (tensors without data)',
};

/** A global the file named, once allowed. */
class Global {
  constructor(readonly path: string) {}
}

/** One storage record of the archive, as its persistent id names it. */
class RawStorage {
  constructor(
    readonly key: string,
    readonly type: ElementType,
    readonly bytes: Uint8Array,
    readonly numel: number,
  ) {}
}

/** A tensor as the pickle describes it; made a Tensor once its path in the result is known (for errors). */
class PendingTensor {
  constructor(
    readonly storage: RawStorage,
    readonly offset: unknown,
    readonly shape: unknown,
    readonly strides: unknown,
    readonly requiresGrad: boolean,
    readonly parameter = false,
  ) {}
}

/** PyTorch's magic number of the pre-1.6 format, pickled as torch.save wrote it (protocol 2, LONG1 of 10 bytes). */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

function startsWith(buf: Uint8Array, prefix: readonly number[], at = 0): boolean {
  return buf.length >= at + prefix.length && prefix.every((b, i) => buf[at + i] === b);
}

/** Whether the bytes are a zip archive (local file header, or the end record of an empty archive). */
export function isZip(buf: Uint8Array): boolean {
  return startsWith(buf, [0x50, 0x4b, 0x03, 0x04]) || startsWith(buf, [0x50, 0x4b, 0x05, 0x06]);
}

/** Whether the bytes are a file of PyTorch's pre-1.6 formats (pickled magic number, or the older tar archive). */
export function isLegacyPt(buf: Uint8Array): boolean {
  return startsWith(buf, LEGACY_MAGIC) || startsWith(buf, [...Buffer.from('ustar')], 257);
}

export function legacyError(file: string): Error {
  return new Error(
    `torch.load: ${file} is in PyTorch's legacy format (written before PyTorch 1.6 or with _use_new_zipfile_serialization=False), ` +
      'which torchlet does not read. Convert it in Python: torch.save(torch.load(path), new_path) writes the zip format ' +
      '(_use_new_zipfile_serialization=True, the default since PyTorch 1.6).',
  );
}

function int(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/** The hooks of torch.load's unpickler: allowed globals only, storages from the archive's records. */
function hooks(file: string, records: (key: string) => Uint8Array | undefined): UnpickleHooks {
  const storages = new Map<string, RawStorage>();
  const bad = (why: string): Error => new Error(`torch.load: ${file}: ${why}`);
  return {
    global(module, name) {
      const path = `${module}.${name}`;
      if (!ALLOWED.has(path)) {
        throw new Error(
          `torch.load: unsupported global '${path}' in ${file}: torchlet loads only what PyTorch's weights_only=True unpickler ` +
            'allows (tensors, storages, Parameters, OrderedDict and Python containers and scalars) and never runs code from a file',
        );
      }
      return new Global(path);
    },
    call(fn, args, opcode) {
      const path = fn instanceof Global ? fn.path : describe(fn);
      const unsupported = UNSUPPORTED[path];
      if (unsupported) throw bad(`it holds ${unsupported} ('${path}'), which torchlet does not have`);
      if (opcode === 'NEWOBJ' && path !== 'torch.nn.parameter.Parameter') throw bad(`it instantiates '${path}', which weights-only loading refuses`);
      switch (path) {
        case 'collections.OrderedDict': {
          const d = new PyDict([], true);
          const items = args[0];
          if (args.length > 1 || (items !== undefined && !Array.isArray(items))) throw bad('OrderedDict is called with arguments other than a list of pairs');
          for (const it of items ?? []) {
            if (!(it instanceof PyTuple) || it.items.length !== 2) throw bad('OrderedDict is called with an item that is not a pair');
            d.entries.push([it.items[0], it.items[1]]);
          }
          return d;
        }
        case 'torch._utils._rebuild_tensor':
        case 'torch._utils._rebuild_tensor_v2': {
          const [storage, offset, size, stride, requiresGrad = false] = args;
          if (!(storage instanceof RawStorage)) throw bad(`'${path}' is called without a storage (got ${describe(storage)})`);
          return new PendingTensor(storage, offset, size, stride, requiresGrad === true);
        }
        case 'torch._utils._rebuild_parameter':
        case 'torch.nn.parameter.Parameter': {
          const [data, requiresGrad = true] = args;
          if (!(data instanceof PendingTensor)) throw bad(`'${path}' is called without a tensor (got ${describe(data)})`);
          return new PendingTensor(data.storage, data.offset, data.shape, data.strides, requiresGrad === true, true);
        }
        case 'torch.Size': {
          const dims = args[0];
          if (!(dims instanceof PyTuple) || !dims.items.every(int)) throw bad('torch.Size is called without a tuple of ints');
          return dims;
        }
        default:
          throw bad(`it calls '${path}', which torchlet cannot build`);
      }
    },
    build(obj, state) {
      // An OrderedDict's state is its attributes: Module.state_dict()'s _metadata (module versions), unused here.
      if (obj instanceof PyDict && obj.ordered) return;
      void state;
      throw bad(`it sets the state of ${obj instanceof PendingTensor ? 'a tensor (legacy set_)' : describe(obj)}, which weights-only loading refuses`);
    },
    persistentLoad(pid) {
      if (!(pid instanceof PyTuple) || pid.items[0] !== 'storage' || pid.items.length !== 5) {
        throw bad(`a persistent id is ${describe(pid instanceof PyTuple ? pid.items : pid)}, not ('storage', type, key, location, numel)`);
      }
      const [, type, key, location, numel] = pid.items;
      const typeName = type instanceof Global ? type.path.split('.').pop()! : '';
      // An untyped storage is bytes (torch.save writes one for a storage saved on its own).
      const et = BY_STORAGE.get(typeName === 'UntypedStorage' ? 'ByteStorage' : typeName);
      if (!et) throw bad(`storage of type ${type instanceof Global ? `'${type.path}'` : describe(type)} is not one torchlet reads (${[...BY_STORAGE.keys()].join(', ')})`);
      if (typeof key !== 'string' || typeof location !== 'string' || !int(numel) || numel < 0) throw bad(`storage ${describe(key)} is described badly`);
      const known = storages.get(key);
      if (known) {
        if (known.type !== et) throw bad(`storage '${key}' is read as both ${known.type.storage} and ${et.storage}`);
        return known;
      }
      const bytes = records(`data/${key}`);
      if (!bytes) throw bad(`the record data/${key} of a storage is missing`);
      if (bytes.length < numel * et.size) throw bad(`the record data/${key} has ${bytes.length} bytes but its ${numel} ${et.torch} elements need ${numel * et.size}`);
      const raw = new RawStorage(key, et, bytes, numel);
      storages.set(key, raw);
      return raw;
    },
  };
}

/** Nesting deeper than this is refused (the conversion recurses). */
const MAX_DEPTH = 1000;

/** The unpickled tree as torch.load returns it: tensors built, tuples as arrays, dicts as objects or Maps. */
function finish(root: unknown, file: string, littleEndian: boolean): Loaded {
  const done = new Map<unknown, Loaded>();
  const decoded = new Map<RawStorage, Storage>();
  const bad = (where: string, why: string): Error => new Error(`torch.load: ${file}: ${where}${why}`);
  const tensor = (p: PendingTensor, where: string): Tensor => {
    const s = p.storage;
    let storage = decoded.get(s);
    if (!storage) {
      storage = decodeElements(s.type, s.bytes, s.numel, littleEndian, (i, v) => int64Overflow('torch.load', `${file}: tensor ${where || '(the root)'}`, i, v));
      const flag = s.type.target === 'bool' ? storage.findIndex((b) => b > 1) : -1;
      if (flag >= 0) throw bad(`tensor ${where}`, ` holds the byte ${storage[flag]} at element ${flag} of a bool storage (only 0 and 1 are booleans)`);
      decoded.set(s, storage);
    }
    const shape = p.shape instanceof PyTuple ? p.shape.items : null;
    const strides = p.strides instanceof PyTuple ? p.strides.items : null;
    if (!shape || !strides || shape.length !== strides.length || ![...shape, ...strides].every((v) => int(v) && v >= 0) || !int(p.offset) || p.offset < 0) {
      throw bad(`tensor ${where}`, ' has a malformed layout (size, stride and offset must be non-negative ints)');
    }
    const dims = shape as number[];
    const st = strides as number[];
    const last = p.offset + dims.reduce((acc, d, i) => acc + (d - 1) * st[i]!, 0);
    if (dims.every((d) => d > 0) && last >= s.numel) {
      throw bad(`tensor ${where}`, ` reaches element ${last} of storage '${s.key}', which has ${s.numel} elements`);
    }
    let t: Tensor;
    try {
      t = new Tensor(storage, dims, st, p.offset, s.type.target);
    } catch (e) {
      throw bad(`tensor ${where}`, `: ${(e as Error).message}`);
    }
    const grad = p.requiresGrad && isFloating(t.dtype);
    if (p.parameter) return new Parameter(t, grad);
    return grad ? t.requiresGrad_(true) : t;
  };
  const convert = (v: unknown, where: string, depth: number): Loaded => {
    if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string') return v;
    if (depth > MAX_DEPTH) throw bad(where, ` is nested more than ${MAX_DEPTH} levels deep`);
    const seen = done.get(v);
    if (seen !== undefined) return seen;
    const at = (k: string): string => (where ? `${where}.${k}` : k);
    if (v instanceof PendingTensor) {
      const t = tensor(v, `'${where}'`);
      done.set(v, t);
      return t;
    }
    if (Array.isArray(v) || v instanceof PyTuple) {
      const items = Array.isArray(v) ? v : v.items;
      const out: Loaded[] = [];
      done.set(v, out);
      items.forEach((x, i) => out.push(convert(x, `${where}[${i}]`, depth + 1)));
      return out;
    }
    if (v instanceof PyDict) {
      const keys = v.entries.map(([k]) => k);
      const asObject = keys.every((k) => typeof k === 'string' || int(k)) && new Set(keys.map(String)).size === keys.length;
      if (asObject) {
        if (keys.includes('__proto__')) throw bad(where, ` has the key '__proto__', which JS objects cannot hold safely`);
        const out: { [key: string]: Loaded } = {};
        done.set(v, out);
        for (const [k, x] of v.entries) out[String(k)] = convert(x, at(String(k)), depth + 1);
        return out;
      }
      const out = new Map<Loaded, Loaded>();
      done.set(v, out);
      for (const [k, x] of v.entries) out.set(convert(k, where, depth + 1), convert(x, at(String(k)), depth + 1));
      return out;
    }
    if (v instanceof Global) return v.path;
    throw bad(where ? `'${where}'` : 'the root', ` is ${v instanceof RawStorage ? `a bare storage ('${v.key}'), which torchlet has no type for` : describe(v)}`);
  };
  return convert(root, '', 0);
}

/**
 * The object in a PyTorch zip archive (what torch.save wrote).
 * @param file names the file in errors
 * @throws Error naming the file for a corrupt archive, a TorchScript archive, a global weights-only loading refuses,
 *   a storage of a type torchlet cannot hold (complex, quantized); RangeError naming the tensor for an int64 value
 *   that does not fit torchlet's int64
 */
export function decodePt(buf: Uint8Array, file: string): Loaded {
  if (isLegacyPt(buf)) throw legacyError(file);
  if (!isZip(buf)) throw new Error(`torch.load: ${file} is not a PyTorch file (a zip archive, as torch.save writes)`);
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(buf);
  } catch (e) {
    throw new Error(`torch.load: ${file} is not a valid zip archive: ${(e as Error).message}`, { cause: e });
  }
  const names = Object.keys(entries);
  // Every record lives under one directory, named after the file torch.save wrote ('archive' for streams).
  const pkl = names.find((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (!pkl) throw new Error(`torch.load: ${file} is a zip archive without <name>/data.pkl, so not a file torch.save wrote`);
  const prefix = pkl.slice(0, -'data.pkl'.length);
  if (entries[`${prefix}constants.pkl`] || names.some((n) => n.startsWith(`${prefix}code/`))) {
    throw new Error(`torch.load: ${file} is a TorchScript archive (torch.jit.save), which torchlet does not run; save the state_dict() with torch.save instead`);
  }
  const order = entries[`${prefix}byteorder`];
  const byteorder = order ? Buffer.from(order).toString('utf8').trim() : 'little';
  if (byteorder !== 'little' && byteorder !== 'big') throw new Error(`torch.load: ${file} has an unknown byteorder record '${byteorder}'`);
  const root = unpickle(entries[pkl]!, hooks(file, (key) => entries[prefix + key]), file);
  return finish(root, file, byteorder === 'little');
}

// ---- writing -------------------------------------------------------------------------------------------------

const REBUILD_V2 = new PyGlobal('torch._utils', '_rebuild_tensor_v2');
const REBUILD_PARAMETER = new PyGlobal('torch._utils', '_rebuild_parameter');
const emptyOrderedDict = (): PyDict => new PyDict([], true);

/** Object keys that JS treats as integers (array indices) are written as Python ints. */
const INT_KEY = /^(0|[1-9]\d{0,14})$/;

/**
 * The records of a PyTorch zip archive for `obj`: data.pkl, then one record per distinct storage (tensors over the
 * same typed array share one), then version, as torch.save orders them.
 * @throws TypeError naming the path of a value that cannot be saved; Error for a non-leaf tensor requiring grad
 */
export function encodePt(obj: unknown): Uint8Array {
  const keys = new Map<Storage, string>();
  const records = new Map<string, Uint8Array>();
  const unsaveable = (where: string, v: unknown): TypeError =>
    new TypeError(
      `torch.save: cannot save ${describe(v)} at ${where ? `'${where}'` : 'the root'} (torchlet saves Tensors, numbers, bigints, strings, booleans, null, arrays, Maps and plain objects)`,
    );
  const tensor = (t: Tensor, where: string): PickleOut => {
    if (t.requiresGrad && !t.isLeaf) {
      throw new Error(
        `torch.save: Cowardly refusing to serialize non-leaf tensor which requires_grad ('${where}'), since autograd does not support crossing process boundaries. ` +
          'If you just want to transfer the data, call detach() on the tensor before serializing (e.g., putting it on the queue).',
      );
    }
    const et = elementTypeOf(t.dtype);
    let key = keys.get(t.data);
    if (key === undefined) {
      key = String(keys.size);
      keys.set(t.data, key);
      records.set(key, encodeElements(t.dtype, t.data));
    }
    const storage = new PyPersistent(new PyTuple(['storage', new PyGlobal('torch', et.storage), key, 'cpu', t.data.length]));
    const isParam = t instanceof Parameter;
    const v2 = new PyReduce(
      REBUILD_V2,
      new PyTuple([storage, t.offset, new PyTuple([...t.shape]), new PyTuple([...t.strides]), isParam ? false : t.requiresGrad, emptyOrderedDict()]),
    );
    return isParam ? new PyReduce(REBUILD_PARAMETER, new PyTuple([v2, t.requiresGrad, emptyOrderedDict()])) : v2;
  };
  const key = (k: unknown, where: string): PickleOut => {
    if (k === null || typeof k === 'boolean' || typeof k === 'number' || typeof k === 'bigint' || typeof k === 'string') return k;
    throw unsaveable(where, k);
  };
  const active = new Set<unknown>();
  const container = (v: unknown, where: string): PickleOut => {
    const at = (k: string): string => (where ? `${where}.${k}` : k);
    if (Array.isArray(v)) return v.map((x, i) => convert(x, `${where}[${i}]`));
    if (v instanceof Map) {
      return new PyDict([...(v as Map<unknown, unknown>)].map(([k, x]) => [key(k, where), convert(x, at(String(k)))]), true);
    }
    const proto = typeof v === 'object' && v !== null ? Object.getPrototypeOf(v) : undefined;
    if (proto === Object.prototype || proto === null) {
      return new PyDict(Object.entries(v as object).map(([k, x]) => [INT_KEY.test(k) ? Number(k) : k, convert(x, at(k))]));
    }
    throw unsaveable(where, v);
  };
  const convert = (v: unknown, where: string): PickleOut => {
    if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string') return v;
    if (v instanceof Tensor) return tensor(v, where);
    if (active.has(v)) throw new TypeError(`torch.save: the object refers to itself at ${where ? `'${where}'` : 'the root'} (a cycle), which cannot be saved`);
    active.add(v);
    try {
      return container(v, where);
    } finally {
      active.delete(v);
    }
  };
  const data = pickle(convert(obj, ''));
  // Storage keys in string order, as torch.save writes them.
  const files: [string, Uint8Array][] = [['data.pkl', data], ...[...records].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, b]): [string, Uint8Array] => [`data/${k}`, b]), ['version', Buffer.from('3\n')]];
  return zipAligned(files.map(([n, b]) => [`archive/${n}`, b]));
}

/** Local header bytes before a record's name: the zip format's fixed 30. */
const LOCAL_HEADER = 30;
/** PyTorch aligns every record's data to 64 bytes (so storages can be mapped) with a padding extra field, 'FB'. */
const ALIGN = 64;
const PAD_FIELD = 0x4246;

/** A stored (uncompressed) zip archive whose records' data start at multiples of 64 bytes, as PyTorch writes them. */
function zipAligned(files: readonly [string, Uint8Array][]): Uint8Array {
  const zippable: Zippable = {};
  let offset = 0;
  for (const [name, data] of files) {
    const start = offset + LOCAL_HEADER + Buffer.byteLength(name) + 4;
    const pad = (ALIGN - (start % ALIGN)) % ALIGN;
    zippable[name] = [data, { level: 0, mtime: new Date(1980, 0, 1), extra: { [PAD_FIELD]: new Uint8Array(pad) } }];
    offset = start + pad + data.length;
  }
  return zipSync(zippable);
}
