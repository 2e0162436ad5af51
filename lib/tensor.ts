/**
 * The tensor core: a typed-array storage plus a layout (shape, strides in elements, offset), its dtype and its
 * autograd state. Views share storage; memory belongs to the JS garbage collector (no dispose).
 *
 * This module imports no op. Each op family attaches its Tensor methods from its own module (lib/ops/*, random,
 * print, autograd) with `defineMethods` and declares them with `declare module '../tensor'`, so the op modules
 * depend on the core and never the other way round.
 */
import type { DType, Storage } from './dtype';
import { allocate, allocateForOutput, dtypeOfStorage, info, isFloating, ownsBuffer } from './dtype';
import type { Shape } from './shape';
import { checkRank, contiguousStrides, isRowMajor, normalizeDim, numelOf } from './shape';
import type { Node } from './autograd/node';

/**
 * A tensor the type checker knows holds bools: what comparisons (eq, lt, ...), predicates (isnan, ...), logical ops,
 * all/any and bool() return. Only its item() is typed boolean.
 */
export type BoolTensor = Tensor & { readonly dtype: 'bool' };

/** t typed as the BoolTensor it is: a check that t holds bools, not a conversion (that is `t.bool()`). */
export function asBoolTensor(t: Tensor): BoolTensor {
  if (t.dtype !== 'bool') throw new TypeError(`torchlet: expected a bool tensor here but got ${t.dtype} (an internal error)`);
  return t as BoolTensor;
}

/** What tolist() returns: nested arrays of numbers (booleans for bool tensors); a bare value for a 0-dim tensor. */
export type NestedList<T> = T | NestedList<T>[];

/**
 * Storage moved by shareMemory_ (old typed array -> its SharedArrayBuffer copy). The old array's buffer is detached
 * by the move, so a view still holding it takes the slow path of `data` once and then holds the new array.
 */
const moved = new WeakMap<Storage, Storage>();
/** Storage whose buffer was transferred to another thread (threads' pack with { transfer: true }). */
const transferred = new WeakSet<Storage>();
let setStorage: (t: Tensor, data: Storage) => void;

/**
 * Whether a buffer is a SharedArrayBuffer, from any realm: one that arrived by postMessage in a vm context (jest,
 * a REPL) is another realm's, and fails instanceof.
 */
export function isSharedBuffer(buf: ArrayBufferLike): boolean {
  return Object.prototype.toString.call(buf) === '[object SharedArrayBuffer]';
}

/**
 * A strided n-dim array of float32, float64, int32 or bool with autograd, as torch.Tensor: made by the factories
 * (torch.tensor, zeros, randn, ...), never with new.
 * @example const x = torch.tensor([[1, 2], [3, 4]], { requiresGrad: true })
 *   x.mul(x).sum().backward(); x.grad // [[2, 4], [6, 8]]
 */
export class Tensor {
  #data: Storage;
  /**
   * The storage, shared by every view of it. A getter so that shareMemory_ can move the storage of every view at
   * once: the fast path is one field read and a length test.
   * @example const x = torch.tensor([1, 2]); x.data // Float32Array [1, 2]
   */
  get data(): Storage {
    const d = this.#data;
    return d.length !== 0 ? d : this.#relocated(d);
  }
  // An empty typed array: legitimately empty storage, or one whose buffer was detached by a move or a transfer.
  #relocated(d: Storage): Storage {
    let to = moved.get(d);
    if (to === undefined) {
      if (transferred.has(d)) {
        throw new Error(
          `this ${this.dtype} tensor of shape [${this.shape.join(', ')}] can no longer be used: its storage was transferred to another thread (threads.pack with { transfer: true }); clone it before transferring to keep a copy`,
        );
      }
      return d;
    }
    for (let next = moved.get(to); next !== undefined; next = moved.get(to)) to = next;
    this.#data = to;
    return to;
  }
  static {
    setStorage = (t, data) => {
      t.#data = data;
    };
  }
  readonly shape: Shape;
  /** Strides in elements, one per dim. */
  readonly strides: readonly number[];
  /** Position of element [0, ..., 0] in data. */
  readonly offset: number;
  readonly dtype: DType;
  /** Whether autograd tracks this tensor. */
  requiresGrad = false;
  #grad: Tensor | null = null;
  /**
   * The accumulated gradient of a leaf (or of a tensor that called retainGrad()).
   * @example const x = torch.ones([2], { requiresGrad: true }); x.sum().backward(); x.grad // [1, 1]
   */
  get grad(): Tensor | null {
    return this.#grad;
  }
  /** Assigning checks what PyTorch checks: a Tensor (or null) of this tensor's dtype and shape. */
  set grad(g: Tensor | null) {
    if (g !== null && !(g instanceof Tensor)) {
      throw new TypeError(`grad: assigned grad expected to be a Tensor or null but got grad of type ${typeof g}`);
    }
    if (g !== null && g.dtype !== this.dtype) throw new TypeError(`grad: assigned grad has data of a different type (${g.dtype}, tensor is ${this.dtype})`);
    if (g !== null && (g.shape.length !== this.shape.length || g.shape.some((n, i) => n !== this.shape[i]))) {
      throw new RangeError(`grad: assigned grad has data of a different size (${JSON.stringify(g.shape)}, tensor is ${JSON.stringify(this.shape)})`);
    }
    this.#grad = g;
  }
  /** The graph node that produced this tensor; null for leaves. */
  gradFn: Node<Tensor> | null = null;

  /**
   * Wraps storage with a layout. Most code should use torch.tensor / zeros / ... instead.
   * @param data the storage, shared, not copied
   * @param shape sizes per dim
   * @param strides strides per dim in elements (default: contiguous)
   * @param offset element offset of the first element
   * @param dtype the element type (default: the one the typed array holds)
   */
  constructor(data: Storage, shape: Shape, strides?: readonly number[], offset = 0, dtype?: DType) {
    // Checked here, where every tensor and view is made, so an unsupported rank fails at once, not at a later kernel.
    checkRank('', shape.length);
    this.#data = data;
    this.shape = shape;
    this.strides = strides ?? contiguousStrides(shape);
    this.offset = offset;
    this.dtype = dtype ?? dtypeOfStorage(data) ?? 'float32';
  }

  // ---- layout -------------------------------------------------------------------------------------------

  /** Number of dims. @example torch.zeros(2, 3).dim() // 2 */
  dim(): number {
    return this.shape.length;
  }
  /** The number of dims, as Tensor.ndim (the same as dim()). @example torch.zeros(2, 3).ndim // 2 */
  get ndim(): number {
    return this.shape.length;
  }
  /** Number of elements. @example torch.zeros(2, 3).numel() // 6 */
  numel(): number {
    return numelOf(this.shape);
  }
  /** The shape, or the size of one dim. @example torch.zeros(2, 3).size(1) // 3 */
  size(): Shape;
  size(dim: number): number;
  size(dim?: number): Shape | number {
    if (dim === undefined) return this.shape;
    return this.shape[normalizeDim('size', dim, this.shape.length)]!;
  }
  /** The strides, or the stride of one dim. @example torch.zeros(2, 3).stride() // [3, 1] */
  stride(): readonly number[];
  stride(dim: number): number;
  stride(dim?: number): readonly number[] | number {
    if (dim === undefined) return this.strides;
    return this.strides[normalizeDim('stride', dim, this.shape.length)]!;
  }
  /**
   * Whether the layout is row-major contiguous (size-1 dims may have any stride).
   * @example torch.zeros(2, 3).t().isContiguous() // false
   */
  isContiguous(): boolean {
    return isRowMajor(this.shape, this.strides);
  }
  /**
   * Whether this is a floating point tensor.
   * @example torch.tensor([1], { dtype: 'int32' }).isFloatingPoint() // false
   */
  isFloatingPoint(): boolean {
    return isFloating(this.dtype);
  }

  // ---- autograd state -----------------------------------------------------------------------------------

  /**
   * A leaf is a tensor not produced by a recorded op: the user's inputs and parameters.
   * @example torch.ones([2], { requiresGrad: true }).mul(2).isLeaf // false
   */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /**
   * Keeps .grad on this non-leaf tensor at the next backward.
   * @example const x = torch.ones([2], { requiresGrad: true }); const y = x.mul(2).retainGrad();
   *   y.sum().backward(); y.grad
   *   // [1, 1]
   */
  retainGrad(): this {
    if (!this.requiresGrad) throw new Error("can't retain_grad on Tensor that has requires_grad=False");
    if (this.gradFn) this.gradFn.retained = this;
    return this;
  }

  /**
   * Sets requiresGrad on a leaf, as Tensor.requires_grad_.
   * @example const w = torch.zeros(3).requiresGrad_(); w.requiresGrad // true
   */
  requiresGrad_(requiresGrad = true): this {
    if (typeof requiresGrad !== 'boolean') {
      throw new TypeError(`requiresGrad_: expected a boolean for 'requiresGrad' but received ${typeof requiresGrad === 'number' ? `the number ${requiresGrad}` : `a ${typeof requiresGrad}`}`);
    }
    if (this.gradFn) {
      throw new Error(
        'you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a ' +
          'subgraph that doesn\'t require differentiation use var_no_grad = var.detach().',
      );
    }
    if (requiresGrad && !isFloating(this.dtype)) {
      throw new TypeError('only Tensors of floating point dtype can require gradients');
    }
    this.requiresGrad = requiresGrad;
    return this;
  }

  /**
   * A view of the same storage that autograd does not track.
   * @example const y = torch.ones([2], { requiresGrad: true }).mul(2).detach(); y.requiresGrad // false
   */
  detach(): Tensor {
    return new Tensor(this.data, this.shape, this.strides, this.offset, this.dtype);
  }

  // ---- memory ---------------------------------------------------------------------------------------------

  /**
   * Whether the storage lives in a SharedArrayBuffer (so worker threads can see it), as Tensor.is_shared.
   * @example torch.zeros(2).isShared() // false
   */
  isShared(): boolean {
    return isSharedBuffer(this.data.buffer);
  }

  /**
   * Moves the storage to a SharedArrayBuffer in place, as Tensor.share_memory_: every view of the storage sees the
   * move, and the tensor can then be posted to worker threads without a copy (see torchlet.threads). A no-op when
   * the storage is already shared.
   * @throws Error when the storage is a view into a larger ArrayBuffer (other arrays may use the rest of it)
   * @example const w = torch.zeros(3).shareMemory_(); w.isShared() // true
   */
  shareMemory_(): this {
    const d = this.data;
    const buf = d.buffer;
    if (isSharedBuffer(buf)) return this;
    if (!ownsBuffer(d)) {
      throw new Error(
        `shareMemory_: the ${this.dtype} storage is a view into a larger ArrayBuffer (${d.byteLength} of its ${buf.byteLength} bytes, from byte ${d.byteOffset}), which other arrays may use; share a clone() instead`,
      );
    }
    const Ctor = d.constructor as new (b: SharedArrayBuffer, byteOffset: number, length: number) => Storage;
    const shared = new Ctor(new SharedArrayBuffer(d.byteLength), 0, d.length);
    shared.set(d);
    moved.set(d, shared);
    // Detaching the old buffer (transferring it to nowhere) is what sends every other view to `moved`.
    structuredClone(buf, { transfer: [buf as ArrayBuffer] });
    this.#data = shared;
    return this;
  }

  // ---- values ---------------------------------------------------------------------------------------------

  /**
   * The single value of a one-element tensor as a JS number, or a boolean for bool tensors, as Tensor.item. Typed
   * boolean for a BoolTensor (the result of a comparison, predicate, logical op, all/any or bool()) and number for
   * any other Tensor; a bool tensor the type checker cannot see as one (a view of a mask, `{ dtype: 'bool' }`) still
   * gives a boolean: `Boolean(t.item())` reads either.
   * @example torch.tensor([[3]]).item() // 3
   */
  item(this: BoolTensor): boolean;
  item(): number;
  item(): number | boolean {
    if (this.numel() !== 1) {
      throw new RangeError(`item: a Tensor with ${this.numel()} elements cannot be converted to Scalar`);
    }
    const v = this.data[this.offset]!;
    return this.dtype === 'bool' ? v !== 0 : v;
  }

  /**
   * Nested JS arrays of the values (numbers, or booleans for bool tensors); the value itself for a 0-dim tensor.
   * @example torch.tensor([[1, 2], [3, 4]]).tolist() // [[1, 2], [3, 4]]
   */
  tolist(this: BoolTensor): NestedList<boolean>;
  tolist(): NestedList<number>;
  tolist(): NestedList<number | boolean> {
    const bool = this.dtype === 'bool';
    const rec = (dim: number, offset: number): NestedList<number | boolean> => {
      if (dim === this.shape.length) {
        const v = this.data[offset]!;
        return bool ? v !== 0 : v;
      }
      const out: NestedList<number | boolean>[] = [];
      for (let i = 0; i < this.shape[dim]!; i++) out.push(rec(dim + 1, offset + i * this.strides[dim]!));
      return out;
    };
    return rec(0, this.offset);
  }
}

/**
 * Storage for a new tensor. A size the allocator refuses (too many elements for a typed array, or more memory
 * than the process may have) becomes a RangeError that says which op asked for how much.
 */
function storageFor(op: string | undefined, shape: Shape, dtype: DType, uninit: boolean): Storage {
  const n = numelOf(shape);
  try {
    return uninit ? allocateForOutput(dtype, n) : allocate(dtype, n);
  } catch (e) {
    // By name, not instanceof: Node's allocation errors come from its own realm under vm contexts (jest, REPLs).
    if ((e as Error | null)?.name !== 'RangeError') throw e;
    const why = Number.isInteger(n) && n >= 0 ? `${n * info(dtype).size} bytes: more than this process can allocate` : 'not a valid number of elements';
    throw new RangeError(`${op ?? 'torchlet'}: cannot allocate ${/^[aeiou]/.test(dtype) ? 'an' : 'a'} ${dtype} tensor of shape [${shape.join(', ')}] (${n} elements, ${why})`);
  }
}

/** A fresh contiguous, zero-filled tensor; `op` names the caller in the error if memory runs out. */
export function emptyTensor(shape: Shape, dtype: DType, op?: string): Tensor {
  return new Tensor(storageFor(op, shape, dtype, false), shape, contiguousStrides(shape), 0, dtype);
}

/** A fresh contiguous tensor for a kernel that writes every element: large ones skip the zero-fill. */
export function outputTensor(shape: Shape, dtype: DType, strides?: readonly number[], op?: string): Tensor {
  return new Tensor(storageFor(op, shape, dtype, true), shape, strides ?? contiguousStrides(shape), 0, dtype);
}

/** A view of x's storage with another layout (no autograd: callers record it). */
export function viewOf(x: Tensor, shape: Shape, strides: readonly number[], offset = x.offset): Tensor {
  return new Tensor(x.data, shape, strides, offset, x.dtype);
}

/** Implementations of declared Tensor methods, each checked against its declaration. */
export type MethodImpls = {
  [K in keyof Tensor]?: Tensor[K] extends (...args: infer A) => infer R ? (this: Tensor, ...args: A) => R : never;
};

/**
 * Marks storage about to be transferred to another thread: once its buffer is detached, using a tensor that
 * still holds it is a clear error instead of silently empty data.
 */
export function markTransferred(data: Storage): void {
  transferred.add(data);
}

/**
 * Points t at src's storage, layout and dtype, keeping t's identity and autograd flags, as PyTorch's `t.data = src`.
 * For Module.to(dtype), which converts parameters without replacing the Parameter objects optimizers hold.
 */
export function assignData(t: Tensor, src: Tensor): void {
  const w = t as { -readonly [K in 'shape' | 'strides' | 'offset' | 'dtype']: Tensor[K] };
  setStorage(t, src.data);
  w.shape = src.shape;
  w.strides = src.strides;
  w.offset = src.offset;
  w.dtype = src.dtype;
}

/**
 * Attaches methods to Tensor.prototype (non-enumerable, like class methods). Each op module calls it once for
 * the methods it declares; defining a name twice is an error, so two families cannot silently shadow each other.
 */
export function defineMethods(methods: MethodImpls): void {
  for (const [name, fn] of Object.entries(methods)) {
    if (Object.prototype.hasOwnProperty.call(Tensor.prototype, name)) {
      throw new Error(`torchlet: Tensor.${name} is defined twice`);
    }
    Object.defineProperty(Tensor.prototype, name, { value: fn, writable: true, configurable: true, enumerable: false });
  }
}
