/**
 * The dtype table: every fact about an element type lives in one entry here (its size, typed array, whether it
 * is floating, its PyTorch and safetensors names), and type promotion, the default dtype and allocation read it.
 * PyTorch's int64 (indices, class labels) maps to int32 here; bool is stored one byte each.
 */

/** The typed array behind a tensor of each dtype. */
export type Storage = Float32Array | Float64Array | Int32Array | Uint8Array;

interface DTypeInfo {
  /** Bytes per element. */
  readonly size: number;
  /** The typed array class that holds the elements. */
  readonly array: { new (n: number): Storage; new (buffer: ArrayBufferLike, byteOffset: number, length: number): Storage };
  /** Whether the dtype is floating point (can require gradients, is what true division and exp produce). */
  readonly floating: boolean;
  /** PyTorch's promotion category: 0 bool, 1 integer, 2 floating. */
  readonly category: 0 | 1 | 2;
  /** Rank within the category: the wider type wins a promotion. */
  readonly width: number;
  /** The PyTorch dtype it stands for, as PyTorch prints it. */
  readonly torch: string;
  /** PyTorch's ScalarType name, as its error messages spell it ('Float', 'Long'). */
  readonly scalarType: string;
  /** PyTorch's legacy tensor type name ('FloatTensor'), used in Module assignment errors. */
  readonly tensorType: string;
  /** The dtype code of the safetensors format. */
  readonly safetensors: string;
}

/** One entry per dtype. Adding a dtype here (and to the addon's table, checked at load) is the whole change. */
export const DTYPES = {
  float32: {
    size: 4, array: Float32Array, floating: true, category: 2, width: 32,
    torch: 'torch.float32', scalarType: 'Float', tensorType: 'FloatTensor', safetensors: 'F32',
  },
  float64: {
    size: 8, array: Float64Array, floating: true, category: 2, width: 64,
    torch: 'torch.float64', scalarType: 'Double', tensorType: 'DoubleTensor', safetensors: 'F64',
  },
  int32: {
    size: 4, array: Int32Array, floating: false, category: 1, width: 32,
    torch: 'torch.int64', scalarType: 'Long', tensorType: 'LongTensor', safetensors: 'I32',
  },
  bool: {
    size: 1, array: Uint8Array, floating: false, category: 0, width: 8,
    torch: 'torch.bool', scalarType: 'Bool', tensorType: 'BoolTensor', safetensors: 'BOOL',
  },
} as const satisfies Record<string, DTypeInfo>;

/** Element types. */
export type DType = keyof typeof DTYPES;

/** PyTorch's other spellings of each dtype ('int64' and 'long' are int32 here). */
const ALIASES: Readonly<Record<string, DType>> = {
  float: 'float32', double: 'float64', int64: 'int32', long: 'int32', int: 'int32',
};

/** What dtype arguments accept: a dtype, or one of PyTorch's spellings of it. */
export type DTypeLike = DType | 'float' | 'double' | 'int64' | 'long' | 'int';

/** The dtype 'float32', as torch.float32. @example torch.zeros([2], { dtype: torch.float32 }) */
export const float32: DType = 'float32';
/** The dtype 'float32', as torch.float. @example torch.ones([2], { dtype: torch.float }).dtype // 'float32' */
export const float: DType = 'float32';
/** The dtype 'float64', as torch.float64. @example torch.zeros([2], { dtype: torch.float64 }) */
export const float64: DType = 'float64';
/** The dtype 'float64', as torch.double. @example torch.ones([2], { dtype: torch.double }).dtype // 'float64' */
export const double: DType = 'float64';
/** The dtype 'int32', as torch.int32. @example torch.zeros([2], { dtype: torch.int32 }) */
export const int32: DType = 'int32';
/**
 * PyTorch spells integer indices int64; torchlet stores them as int32.
 * @example torch.tensor([0, 2], { dtype: torch.int64 }).dtype // 'int32'
 */
export const int64: DType = 'int32';
/**
 * torch.long: the dtype 'int32' here (PyTorch's int64).
 * @example torch.tensor([1], { dtype: torch.long }).dtype // 'int32'
 */
export const long: DType = 'int32';
/**
 * The dtype 'bool', as torch.bool (one byte per element).
 * @example torch.zeros([2], { dtype: torch.bool }) // [false, false]
 */
export const bool: DType = 'bool';

/** The table entry of a dtype. */
export function info(d: DType): DTypeInfo {
  return DTYPES[d];
}

export function isFloating(d: DType): boolean {
  return DTYPES[d].floating;
}

/** The dtype of a typed array, or undefined for other arrays. */
export function dtypeOfStorage(s: unknown): DType | undefined {
  return BY_ARRAY.find(([array]) => s instanceof array)?.[1];
}
const BY_ARRAY = (Object.keys(DTYPES) as DType[]).map((d) => [DTYPES[d].array, d] as const);

/** Validates a user-supplied dtype name, resolving PyTorch's aliases. */
export function checkDType(op: string, d: unknown): DType {
  if (typeof d === 'string') {
    if (Object.prototype.hasOwnProperty.call(DTYPES, d)) return d as DType;
    const alias = ALIASES[d];
    if (alias) return alias;
  }
  throw new TypeError(
    `${op}: expected a dtype (${Object.keys(DTYPES).map((k) => `'${k}'`).join(', ')}, or 'int64', 'double', ...) but received ` +
      (typeof d === 'string' ? JSON.stringify(d) : typeof d === 'object' && d !== null ? 'an object' : typeof d === 'symbol' ? 'a symbol' : String(d)),
  );
}

// ---- the default floating dtype (torch.set_default_dtype) ----------------------------------------------------

let defaultDtype: DType = 'float32';

/**
 * The dtype of floating results that name none: JS numbers in tensor(), zeros(), rand(), int / int.
 * @example torch.getDefaultDtype() // 'float32'
 */
export function getDefaultDtype(): DType {
  return defaultDtype;
}

/**
 * Sets the default floating dtype, as torch.set_default_dtype.
 * @throws TypeError for a dtype that is not floating point
 * @example torch.setDefaultDtype('float64'); torch.tensor([1.5]).dtype // 'float64'
 */
export function setDefaultDtype(d: DTypeLike): void {
  const t = checkDType('setDefaultDtype', d);
  if (!isFloating(t)) throw new TypeError(`setDefaultDtype: only floating-point types are supported as the default type (got ${t})`);
  defaultDtype = t;
}

// ---- promotion -------------------------------------------------------------------------------------------------

/**
 * PyTorch's promotion of two dtypes: the higher category wins, then the wider type within it.
 * @example torch.promoteTypes('int32', 'float32') // 'float32'
 */
export function promoteTypes(a: DType, b: DType): DType {
  // typeof first: indexing with a symbol or a prototype-less object would throw V8's message.
  const x = typeof a === 'string' ? DTYPES[a] : undefined;
  const y = typeof b === 'string' ? DTYPES[b] : undefined;
  if (!x || !y) return checkDType('promoteTypes', x ? b : a); // only reached with a bad argument: throws
  if (x.category !== y.category) return x.category > y.category ? a : b;
  return x.width >= y.width ? a : b;
}

/** The dtype a JS number or boolean stands for as an operand: bool, int32 for integral numbers, else the default. */
export function scalarType(v: number | boolean): DType {
  if (typeof v === 'boolean') return 'bool';
  return Number.isInteger(v) ? 'int32' : defaultDtype;
}

/** An operand of an op whose result dtype follows PyTorch's result_type. */
export interface Operand {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/**
 * PyTorch's result_type: tensors with dims decide, unless a 0-dim tensor or a number is of a higher category
 * (bool < integer < floating). So float32 [3] + float64 0-dim stays float32, and int32 [3] + 1.5 is floating.
 */
export function resultType(operands: readonly (Operand | number | boolean)[]): DType {
  let dim: DType | null = null;
  let zero: DType | null = null;
  let wrapped: DType | null = null;
  const join = (acc: DType | null, t: DType): DType => (acc === null ? t : promoteTypes(acc, t));
  for (const o of operands) {
    if (typeof o === 'number' || typeof o === 'boolean') wrapped = join(wrapped, scalarType(o));
    else if (o.shape.length === 0) zero = join(zero, o.dtype);
    else dim = join(dim, o.dtype);
  }
  return combine(dim, combine(zero, wrapped)) ?? defaultDtype;
}

/** c10's combine_categories: the higher-priority state keeps its type unless the other is of a higher category. */
function combine(higher: DType | null, lower: DType | null): DType | null {
  if (higher === null) return lower;
  if (lower === null) return higher;
  if (DTYPES[higher].floating) return higher;
  if (higher === 'bool' || DTYPES[lower].floating) return promoteTypes(higher, lower);
  return higher;
}

/**
 * PyTorch's refusal of a dtype that an op's kernel has no loop for, in its words: `"elu_cpu" not implemented for
 * 'Long'` (PyTorch raises RuntimeError; the kernel name is PyTorch's, so the message can be searched for).
 */
export function notImplemented(op: string, kernel: string, d: DType): TypeError {
  return new TypeError(`${op}: "${kernel}" not implemented for '${DTYPES[d].scalarType}'`);
}

/** Whether a value of dtype `from` may be written into a tensor of dtype `to` (PyTorch's canCast). */
export function canCast(from: DType, to: DType): boolean {
  return DTYPES[from].category <= DTYPES[to].category;
}

// ---- allocation ------------------------------------------------------------------------------------------------

// Below this many bytes a zeroed typed array is as cheap as anything else, and storage is not worth recycling.
const REUSE_MIN_BYTES = 4 * 1024;

// Storage of REUSE_MIN_BYTES and more starts on a 64-byte cache line, as PyTorch's allocations do. glibc's blocks
// start 16 bytes past a line as often as not, and vector stores that straddle two lines ran a 64K-element add at
// half speed. JS cannot see addresses: the backend installs the probe (the address of an ArrayBuffer's first byte
// modulo 64), and each such storage is a view at the first line into a buffer exactly ALIGN bytes longer, which
// holds nothing else. (Marking them in a WeakSet instead made every allocation about 25% dearer, in the collector.)
const ALIGN = 64;
let misalignment: ((buffer: ArrayBuffer) => number) | null = null;

/** Installs the backend's address probe (lib/backend/kernels.ts does, when it loads). */
export function setMisalignmentProbe(probe: (buffer: ArrayBuffer) => number): void {
  misalignment = probe;
}

/** New storage of n elements (of REUSE_MIN_BYTES and more) starting on a cache line, zeroed or not. */
function alignedStorage(e: DTypeInfo, n: number, zeroed: boolean): Storage {
  const bytes = e.size * n;
  if (misalignment === null) return zeroed ? new e.array(n) : new e.array(Buffer.allocUnsafeSlow(bytes).buffer, 0, n);
  // allocUnsafeSlow and alloc give a buffer of their own (never a slice of Buffer's shared pool).
  const buf = (zeroed ? Buffer.alloc(bytes + ALIGN) : Buffer.allocUnsafeSlow(bytes + ALIGN)).buffer;
  return new e.array(buf, (ALIGN - misalignment(buf)) % ALIGN, n);
}

/**
 * Whether the storage is all its ArrayBuffer holds (the buffer may be moved or transferred as a whole): a whole
 * buffer, or a cache-line-aligned allocation of torchlet's (a view at the buffer's first 64-byte line, exactly
 * ALIGN bytes shorter than the buffer).
 */
export function ownsBuffer(s: Storage): boolean {
  const buf = s.buffer;
  if (s.byteOffset === 0 && s.byteLength === buf.byteLength) return true;
  return (
    misalignment !== null && s.byteLength + ALIGN === buf.byteLength &&
    Object.prototype.toString.call(buf) === '[object ArrayBuffer]' &&
    s.byteOffset === (ALIGN - misalignment(buf as ArrayBuffer)) % ALIGN
  );
}

/** Allocates zeroed storage for `n` elements of `dtype`. */
export function allocate(dtype: DType, n: number): Storage {
  const s = reuse(dtype, n);
  if (s !== undefined) s.fill(0);
  const e = DTYPES[dtype];
  return collect(s ?? (e.size * n < REUSE_MIN_BYTES ? new e.array(n) : alignedStorage(e, n, true)));
}

/**
 * Storage for `n` elements whose every element the caller will overwrite (a kernel's output): recycled storage of
 * that dtype and length when there is some (it is still in cache), else a fresh array. Storage of 4 KiB and more
 * is not zeroed (fresh: its own ArrayBuffer from Buffer.allocUnsafeSlow), saving a pass over memory.
 */
export function allocateForOutput(dtype: DType, n: number): Storage {
  const e = DTYPES[dtype];
  const s = reuse(dtype, n);
  if (s !== undefined) return collect(s);
  return collect(e.size * n < REUSE_MIN_BYTES ? new e.array(n) : alignedStorage(e, n, false));
}

// ---- storage reuse ---------------------------------------------------------------------------------------------
//
// Tensors belong to the garbage collector, which frees dead storage late: each result would land in a new block
// while dead ones wait, so memory-bound ops run on cold memory. Storage nobody can reach any more is recycled
// instead, at once and hottest first, and only on proof: the autograd engine collects the storage allocated while it
// walks the graph (collectAllocations), follows which of it the gradients it holds use, and recycles a storage when
// the last of them is consumed and none was handed out (to .grad, autograd.grad's results, retainGrad). Nothing a
// user can reach is ever recycled, so users never dispose anything.

/**
 * Recycled storage of one dtype and length, used last in, first out (the most recently touched first), with the
 * backward walk (generation) in which each was recycled.
 */
interface FreeList {
  readonly storage: Storage[];
  readonly generation: number[];
}
const FREE: Record<DType, Map<number, FreeList>> = { float32: new Map(), float64: new Map(), int32: new Map(), bool: new Map() };
/** At most this much recycled storage waits (beyond it, released storage is left to the collector). */
const POOL_MAX_BYTES = 256 * 1024 * 1024;
let pooledBytes = 0;
/** How many storages were handed out again, over the life of the process. */
let reusedCount = 0;
/** Outermost backward walks so far. Storage a whole walk (and the forward pass before it) did not reuse is dropped. */
let generation = 0;

/** The innermost collection in progress (a backward hook may run a nested backward), or null. */
let collecting: WeakSet<Storage> | null = null;
const collections: WeakSet<Storage>[] = [];

function reuse(dtype: DType, n: number): Storage | undefined {
  if (pooledBytes === 0) return undefined;
  const list = FREE[dtype].get(n);
  if (list === undefined || list.storage.length === 0) return undefined;
  const s = list.storage.pop()!;
  list.generation.pop();
  pooledBytes -= s.byteLength;
  reusedCount++;
  return s;
}

/** Leaves to the collector the storage recycled before the previous walk began and not reused since. */
function age(): void {
  const cutoff = generation - 1;
  for (const m of Object.values(FREE)) {
    for (const [n, list] of m) {
      let stale = 0;
      while (stale < list.generation.length && list.generation[stale]! < cutoff) stale++;
      if (stale === 0) continue;
      for (const s of list.storage.splice(0, stale)) pooledBytes -= s.byteLength;
      list.generation.splice(0, stale);
      if (list.storage.length === 0) m.delete(n);
    }
  }
}

function collect(s: Storage): Storage {
  if (collecting !== null) collecting.add(s);
  return s;
}

/**
 * Starts recording the storage allocated from now on: the set returned fills until endCollection() (weakly: it keeps
 * nothing alive). For the autograd engine, which alone may recycle (storage of at least REUSE_MIN_BYTES; smaller
 * storage is not worth it) and which lets a gradient become a .grad only if nothing else can reach its storage.
 */
export function collectAllocations(): WeakSet<Storage> {
  if (collections.length === 0) {
    generation++;
    if (pooledBytes !== 0) age();
  }
  collecting = new WeakSet();
  collections.push(collecting);
  return collecting;
}

/** Ends the innermost collectAllocations(). */
export function endCollection(): void {
  collections.pop();
  collecting = collections[collections.length - 1] ?? null;
}

/**
 * Gives storage back for reuse by allocate / allocateForOutput. The caller guarantees that nothing will read or
 * write it again. Two callers: the autograd engine, for storage it proved only it could reach, and the fused
 * attention forward (nn/functional_attention.ts), for intermediates it made itself, never returned and no graph
 * saved (its output does not require grad).
 */
export function recycle(s: Storage): void {
  const bytes = s.byteLength;
  // Only storage that is all of an unshared, attached ArrayBuffer (what allocate returns) is reused.
  if (bytes < REUSE_MIN_BYTES || !ownsBuffer(s) || pooledBytes + bytes > POOL_MAX_BYTES) return;
  if (Object.prototype.toString.call(s.buffer) !== '[object ArrayBuffer]') return;
  const d = dtypeOfStorage(s);
  if (d === undefined) return;
  let list = FREE[d].get(s.length);
  if (list === undefined) FREE[d].set(s.length, (list = { storage: [], generation: [] }));
  list.storage.push(s);
  list.generation.push(generation);
  pooledBytes += bytes;
}

/**
 * What waits for reuse (the number of storages and their bytes), and how many storages were reused so far (for
 * tests and the benchmark).
 */
export function pooledStorage(): { count: number; bytes: number; reused: number } {
  let count = 0;
  for (const m of Object.values(FREE)) for (const list of m.values()) count += list.storage.length;
  return { count, bytes: pooledBytes, reused: reusedCount };
}

/** Drops every recycled storage (to the garbage collector), as torch.cuda.empty_cache does for PyTorch's cache. */
export function emptyPool(): void {
  for (const m of Object.values(FREE)) m.clear();
  pooledBytes = 0;
}
