/**
 * The Tensor: a typed-array storage plus a layout (shape, strides in elements, offset). Views share storage;
 * memory belongs to the JS garbage collector (no dispose). Methods delegate to the op families in lib/ops/.
 */
import type { DType, DTypeLike, Storage } from './dtype';
import { checkDType } from './dtype';
import type { Shape } from './shape';
import { contiguousStrides, normalizeDim, numelOf } from './shape';
import * as elementwise from './ops/elementwise';
import * as movement from './ops/movement';
import * as reduction from './ops/reduce';
import * as linalg from './ops/linalg';
import * as indexing from './ops/indexing';
import * as random from './random';
import { formatTensor } from './print';
import type { Generator } from './random';
import type { Scalar } from './ops/elementwise';
import type { IndexSpec } from './ops/movement';
import type { MaxMin } from './ops/reduce';
import type { Node } from './autograd/node';
import { runBackward } from './autograd/engine';
import type { BackwardOptions } from './autograd/engine';

export class Tensor {
  /** The storage, shared by every view of it. */
  readonly data: Storage;
  readonly shape: Shape;
  /** Strides in elements, one per dim. */
  readonly strides: readonly number[];
  /** Position of element [0, ..., 0] in data. */
  readonly offset: number;
  readonly dtype: DType;
  /** Whether autograd tracks this tensor. */
  requiresGrad = false;
  /** The accumulated gradient of a leaf (or of a tensor that called retainGrad()). */
  grad: Tensor | null = null;
  /** The graph node that produced this tensor; null for leaves. */
  gradFn: Node | null = null;

  /**
   * Wraps storage with a layout. Most code should use torch.tensor / zeros / ... instead.
   * @param data the storage, shared, not copied
   * @param shape sizes per dim
   * @param strides strides per dim in elements (default: contiguous)
   * @param offset element offset of the first element
   */
  constructor(data: Storage, shape: Shape, strides?: readonly number[], offset = 0, dtype?: DType) {
    this.data = data;
    this.shape = shape;
    this.strides = strides ?? contiguousStrides(shape);
    this.offset = offset;
    this.dtype = dtype ?? (data instanceof Float32Array ? 'float32' : data instanceof Int32Array ? 'int32' : 'bool');
  }

  // ---- layout -------------------------------------------------------------------------------------------

  /** Number of dims. */
  dim(): number {
    return this.shape.length;
  }
  get ndim(): number {
    return this.shape.length;
  }
  /** Number of elements. */
  numel(): number {
    return numelOf(this.shape);
  }
  /** The shape, or the size of one dim. */
  size(): Shape;
  size(dim: number): number;
  size(dim?: number): Shape | number {
    if (dim === undefined) return this.shape;
    return this.shape[normalizeDim('size', dim, this.shape.length)]!;
  }
  /** The strides, or the stride of one dim. */
  stride(): readonly number[];
  stride(dim: number): number;
  stride(dim?: number): readonly number[] | number {
    if (dim === undefined) return this.strides;
    return this.strides[normalizeDim('stride', dim, this.shape.length)]!;
  }
  /** Whether the layout is row-major contiguous (size-1 dims may have any stride). */
  isContiguous(): boolean {
    let expected = 1;
    for (let d = this.shape.length - 1; d >= 0; d--) {
      const s = this.shape[d]!;
      if (s === 1) continue;
      if (this.strides[d] !== expected) return s === 0 || this.numel() === 0;
      expected *= s;
    }
    return true;
  }
  /** Whether this is a floating point tensor. */
  isFloatingPoint(): boolean {
    return this.dtype === 'float32';
  }

  // ---- autograd -------------------------------------------------------------------------------------------

  /** A leaf is a tensor not produced by a recorded op: the user's inputs and parameters. */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /**
   * Accumulates d(this)/d(leaf) into every leaf's .grad. A non-scalar tensor needs `gradient` (d loss/d this).
   * Options may come first: loss.backward({ retainGraph: true }).
   * @throws Error when the graph was already freed by an earlier backward (pass retainGraph to keep it)
   * @example loss.backward(); w.grad
   */
  backward(gradient?: Tensor | BackwardOptions | null, options: BackwardOptions = {}): void {
    if (gradient && !(gradient instanceof Tensor)) {
      options = gradient;
      gradient = null;
    }
    if (!this.requiresGrad) {
      throw new Error('element 0 of tensors does not require grad and does not have a grad_fn');
    }
    let seed = gradient ?? null;
    if (!seed) {
      if (this.numel() !== 1) throw new Error('grad can be implicitly created only for scalar outputs');
      seed = new Tensor(new Float32Array([1]), this.shape);
    } else if (seed.shape.length !== this.shape.length || seed.shape.some((s, i) => s !== this.shape[i])) {
      throw new RangeError(
        `backward: Mismatch in shape: grad_output[0] has a shape of [${seed.shape.join(', ')}] and output[0] has a shape of [${this.shape.join(', ')}].`,
      );
    }
    runBackward([this], [seed], options);
  }

  /** Keeps .grad on this non-leaf tensor at the next backward. */
  retainGrad(): this {
    if (!this.requiresGrad) throw new Error("can't retain_grad on Tensor that has requires_grad=False");
    if (this.gradFn) this.gradFn.retained = this;
    return this;
  }

  /** Sets requiresGrad on a leaf, as Tensor.requires_grad_. */
  requiresGrad_(requiresGrad = true): this {
    if (this.gradFn) {
      throw new Error(
        'you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a ' +
          'subgraph that doesn\'t require differentiation use var_no_grad = var.detach().',
      );
    }
    if (requiresGrad && this.dtype !== 'float32') {
      throw new TypeError('only Tensors of floating point dtype can require gradients');
    }
    this.requiresGrad = requiresGrad;
    return this;
  }

  // ---- conversion -----------------------------------------------------------------------------------------

  /** The single value of a one-element tensor as a JS number (or boolean for bool tensors). */
  item(): number | boolean {
    if (this.numel() !== 1) {
      throw new RangeError(`item: a Tensor with ${this.numel()} elements cannot be converted to Scalar`);
    }
    const v = this.data[this.offset]!;
    return this.dtype === 'bool' ? v !== 0 : v;
  }
  /** Nested JS arrays of the values (numbers, or booleans for bool tensors). */
  tolist(): unknown {
    return movement.tolist(this);
  }
  /** A copy with another dtype, or this tensor if it already has it. */
  to(dtype: DTypeLike): Tensor {
    return elementwise.cast(this, checkDType('to', dtype));
  }
  float(): Tensor {
    return this.to('float32');
  }
  int(): Tensor {
    return this.to('int32');
  }
  long(): Tensor {
    return this.to('int32');
  }
  bool(): Tensor {
    return this.to('bool');
  }
  /** PyTorch-style printing: `tensor([[0.4963]])`. */
  toString(): string {
    return formatTensor(this);
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return formatTensor(this);
  }

  // ---- views and movement ---------------------------------------------------------------------------------

  view(...shape: (number | readonly number[])[]): Tensor {
    return movement.view(this, shape);
  }
  reshape(...shape: (number | readonly number[])[]): Tensor {
    return movement.reshape(this, shape);
  }
  viewAs(other: Tensor): Tensor {
    return movement.view(this, [other.shape]);
  }
  reshapeAs(other: Tensor): Tensor {
    return movement.reshape(this, [other.shape]);
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return movement.flatten(this, startDim, endDim);
  }
  unflatten(dim: number, sizes: readonly number[]): Tensor {
    return movement.unflatten(this, dim, sizes);
  }
  transpose(dim0: number, dim1: number): Tensor {
    return movement.transpose(this, dim0, dim1);
  }
  /** Transpose of a tensor of at most 2 dims. */
  t(): Tensor {
    return movement.t(this);
  }
  get T(): Tensor {
    return movement.permute(this, this.shape.map((_, i) => this.shape.length - 1 - i));
  }
  permute(...dims: (number | readonly number[])[]): Tensor {
    return movement.permute(this, movement.flatArgs(dims));
  }
  unsqueeze(dim: number): Tensor {
    return movement.unsqueeze(this, dim);
  }
  squeeze(dim?: number): Tensor {
    return movement.squeeze(this, dim);
  }
  expand(...sizes: (number | readonly number[])[]): Tensor {
    return movement.expand(this, movement.flatArgs(sizes));
  }
  expandAs(other: Tensor): Tensor {
    return movement.expand(this, other.shape);
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return movement.narrow(this, dim, start, length);
  }
  select(dim: number, index: number): Tensor {
    return movement.select(this, dim, index);
  }
  /** Python's `x[dim0_spec, dim1_spec, ...]`: numbers, ':' or 'start:stop:step' strings, null (new axis), '...'. */
  index(...specs: IndexSpec[]): Tensor {
    return movement.index(this, specs);
  }
  /** The same values in a row-major contiguous layout (this tensor if already contiguous). */
  contiguous(): Tensor {
    return movement.contiguous(this);
  }
  /** A copy with its own storage. */
  clone(): Tensor {
    return movement.clone(this);
  }
  /** A view of the same storage that autograd does not track. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape, this.strides, this.offset, this.dtype);
  }
  split(splitSize: number | readonly number[], dim = 0): Tensor[] {
    return movement.split(this, splitSize, dim);
  }
  chunk(chunks: number, dim = 0): Tensor[] {
    return movement.chunk(this, chunks, dim);
  }
  unbind(dim = 0): Tensor[] {
    return movement.unbind(this, dim);
  }
  gather(dim: number, index: Tensor): Tensor {
    return indexing.gather(this, dim, index);
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return indexing.indexSelect(this, dim, index);
  }

  // ---- elementwise ----------------------------------------------------------------------------------------

  add(other: Tensor | Scalar, alpha?: number): Tensor {
    return elementwise.add(this, other, alpha);
  }
  sub(other: Tensor | Scalar, alpha?: number): Tensor {
    return elementwise.sub(this, other, alpha);
  }
  mul(other: Tensor | Scalar): Tensor {
    return elementwise.mul(this, other);
  }
  div(other: Tensor | Scalar): Tensor {
    return elementwise.div(this, other);
  }
  pow(exponent: Tensor | Scalar): Tensor {
    return elementwise.pow(this, exponent);
  }
  remainder(other: Tensor | Scalar): Tensor {
    return elementwise.remainder(this, other);
  }
  floorDivide(other: Tensor | Scalar): Tensor {
    return elementwise.floorDivide(this, other);
  }
  maximum(other: Tensor): Tensor {
    return elementwise.maximum(this, other);
  }
  minimum(other: Tensor): Tensor {
    return elementwise.minimum(this, other);
  }
  eq(other: Tensor | Scalar): Tensor {
    return elementwise.eq(this, other);
  }
  ne(other: Tensor | Scalar): Tensor {
    return elementwise.ne(this, other);
  }
  lt(other: Tensor | Scalar): Tensor {
    return elementwise.lt(this, other);
  }
  le(other: Tensor | Scalar): Tensor {
    return elementwise.le(this, other);
  }
  gt(other: Tensor | Scalar): Tensor {
    return elementwise.gt(this, other);
  }
  ge(other: Tensor | Scalar): Tensor {
    return elementwise.ge(this, other);
  }
  logicalAnd(other: Tensor): Tensor {
    return elementwise.logicalAnd(this, other);
  }
  logicalOr(other: Tensor): Tensor {
    return elementwise.logicalOr(this, other);
  }
  logicalXor(other: Tensor): Tensor {
    return elementwise.logicalXor(this, other);
  }
  logicalNot(): Tensor {
    return elementwise.logicalNot(this);
  }
  neg(): Tensor {
    return elementwise.neg(this);
  }
  abs(): Tensor {
    return elementwise.abs(this);
  }
  exp(): Tensor {
    return elementwise.exp(this);
  }
  log(): Tensor {
    return elementwise.log(this);
  }
  log1p(): Tensor {
    return elementwise.log1p(this);
  }
  expm1(): Tensor {
    return elementwise.expm1(this);
  }
  sqrt(): Tensor {
    return elementwise.sqrt(this);
  }
  rsqrt(): Tensor {
    return elementwise.rsqrt(this);
  }
  sin(): Tensor {
    return elementwise.sin(this);
  }
  cos(): Tensor {
    return elementwise.cos(this);
  }
  tanh(): Tensor {
    return elementwise.tanh(this);
  }
  sigmoid(): Tensor {
    return elementwise.sigmoid(this);
  }
  relu(): Tensor {
    return elementwise.relu(this);
  }
  sign(): Tensor {
    return elementwise.sign(this);
  }
  floor(): Tensor {
    return elementwise.floor(this);
  }
  ceil(): Tensor {
    return elementwise.ceil(this);
  }
  round(): Tensor {
    return elementwise.round(this);
  }
  trunc(): Tensor {
    return elementwise.trunc(this);
  }
  reciprocal(): Tensor {
    return elementwise.reciprocal(this);
  }
  erf(): Tensor {
    return elementwise.erf(this);
  }
  square(): Tensor {
    return elementwise.square(this);
  }
  isnan(): Tensor {
    return elementwise.isnan(this);
  }
  clamp(min?: number | null, max?: number | null): Tensor {
    return elementwise.clamp(this, min, max);
  }
  clip(min?: number | null, max?: number | null): Tensor {
    return elementwise.clamp(this, min, max);
  }
  where(condition: Tensor, other: Tensor | Scalar): Tensor {
    return elementwise.where(condition, this, other);
  }

  // ---- in place -------------------------------------------------------------------------------------------

  add_(other: Tensor | Scalar, alpha?: number): this {
    elementwise.inplace(this, 'add_', other, (b) => elementwise.add(this, b, alpha, this));
    return this;
  }
  sub_(other: Tensor | Scalar, alpha?: number): this {
    elementwise.inplace(this, 'sub_', other, (b) => elementwise.sub(this, b, alpha, this));
    return this;
  }
  mul_(other: Tensor | Scalar): this {
    elementwise.inplace(this, 'mul_', other, (b) => elementwise.mul(this, b, this));
    return this;
  }
  div_(other: Tensor | Scalar): this {
    elementwise.inplace(this, 'div_', other, (b) => elementwise.div(this, b, this));
    return this;
  }
  clamp_(min?: number | null, max?: number | null): this {
    elementwise.clampInPlace(this, min, max);
    return this;
  }
  /** Copies src (broadcast, converted) into this tensor's elements. */
  copy_(src: Tensor | Scalar): this {
    elementwise.copyInto(this, 'copy_', src);
    return this;
  }
  fill_(value: Scalar): this {
    elementwise.copyInto(this, 'fill_', value);
    return this;
  }
  zero_(): this {
    elementwise.copyInto(this, 'zero_', 0);
    return this;
  }
  uniform_(from = 0, to = 1, options?: { generator?: Generator }): this {
    random.uniformInPlace(this, from, to, options?.generator);
    return this;
  }
  /** Integers uniform in [from, to), or [0, from) when to is omitted, as Tensor.random_. */
  random_(from: number, to?: number, options?: { generator?: Generator }): this {
    random.randomInPlace(this, from, to, options?.generator);
    return this;
  }
  normal_(mean = 0, std = 1, options?: { generator?: Generator }): this {
    random.normalInPlace(this, mean, std, options?.generator);
    return this;
  }

  // ---- reductions -----------------------------------------------------------------------------------------

  sum(dim?: number | readonly number[] | null, keepDim = false): Tensor {
    return reduction.sum(this, dim, keepDim);
  }
  mean(dim?: number | readonly number[] | null, keepDim = false): Tensor {
    return reduction.mean(this, dim, keepDim);
  }
  prod(dim?: number | null, keepDim = false): Tensor {
    return reduction.prod(this, dim, keepDim);
  }
  /** max() over all elements, max(dim, keepDim) giving { values, indices }, or max(other) elementwise. */
  max(): Tensor;
  max(other: Tensor): Tensor;
  max(dim: number, keepDim?: boolean): MaxMin;
  max(dim?: number | Tensor, keepDim = false): Tensor | MaxMin {
    return reduction.extreme(this, 'max', dim, keepDim);
  }
  min(): Tensor;
  min(other: Tensor): Tensor;
  min(dim: number, keepDim?: boolean): MaxMin;
  min(dim?: number | Tensor, keepDim = false): Tensor | MaxMin {
    return reduction.extreme(this, 'min', dim, keepDim);
  }
  amax(dim?: number | readonly number[] | null, keepDim = false): Tensor {
    return reduction.amax(this, dim, keepDim, 'max');
  }
  amin(dim?: number | readonly number[] | null, keepDim = false): Tensor {
    return reduction.amax(this, dim, keepDim, 'min');
  }
  argmax(dim?: number | null, keepDim = false): Tensor {
    return reduction.argExtreme(this, 'argmax', dim, keepDim);
  }
  argmin(dim?: number | null, keepDim = false): Tensor {
    return reduction.argExtreme(this, 'argmin', dim, keepDim);
  }
  var(dim?: number | readonly number[] | null, unbiased = true, keepDim = false): Tensor {
    return reduction.variance(this, dim, unbiased, keepDim);
  }
  std(dim?: number | readonly number[] | null, unbiased = true, keepDim = false): Tensor {
    return reduction.std(this, dim, unbiased, keepDim);
  }
  logsumexp(dim: number | readonly number[], keepDim = false): Tensor {
    return reduction.logsumexp(this, dim, keepDim);
  }
  softmax(dim: number): Tensor {
    return reduction.softmax(this, dim);
  }
  logSoftmax(dim: number): Tensor {
    return reduction.logSoftmax(this, dim);
  }
  all(): Tensor {
    return reduction.all(this);
  }
  any(): Tensor {
    return reduction.any(this);
  }

  // ---- linear algebra -------------------------------------------------------------------------------------

  matmul(other: Tensor): Tensor {
    return linalg.matmul(this, other);
  }
  mm(other: Tensor): Tensor {
    return linalg.mm(this, other);
  }
  bmm(other: Tensor): Tensor {
    return linalg.bmm(this, other);
  }
  dot(other: Tensor): Tensor {
    return linalg.dot(this, other);
  }
}
