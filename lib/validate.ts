/**
 * Argument validation for every public function, with one small vocabulary of messages (after sharp's is.mjs):
 * "<op>: expected <what> for '<name>' but received <value>". Wrong kinds of value are TypeErrors; values of the
 * right kind out of range (sizes, dims, ranks, shapes) are RangeErrors. Messages name the op, the argument and,
 * for tensors, the dtype and shape.
 */
import { Tensor } from './tensor';
import type { DType } from './dtype';
import { canCast, info, isFloating } from './dtype';
import { isGradEnabled } from './autograd/grad_mode';
import { checkRank, shapeStr } from './shape';

/** A JS number or boolean standing for a 0-dim operand. */
export type Scalar = number | boolean;

/** How a value reads in an error message: 'null', 'the number 3', 'a float32 Tensor of shape [2, 3]', ... */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (v instanceof Tensor) return `${/^[aeiou]/.test(v.dtype) ? 'an' : 'a'} ${v.dtype} Tensor of shape ${shapeStr(v.shape)}`;
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'boolean') return `the boolean ${v}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v)}`;
  if (typeof v === 'bigint') return `the bigint ${v}`;
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === 'function') return 'a function';
  const name = (v as object).constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object';
}

function expected(op: string, what: string, name: string, v: unknown): string {
  return `${op}: expected ${what} for '${name}' but received ${describe(v)}`;
}

export function checkTensor(op: string, name: string, v: unknown): asserts v is Tensor {
  if (!(v instanceof Tensor)) throw new TypeError(expected(op, 'a Tensor', name, v));
}

/** A Tensor, or a number or boolean (a 0-dim operand). */
export function checkOperand(op: string, name: string, v: unknown): asserts v is Tensor | Scalar {
  if (!(v instanceof Tensor) && typeof v !== 'number' && typeof v !== 'boolean') {
    throw new TypeError(expected(op, 'a Tensor or a number', name, v));
  }
}

/** A Tensor of a floating point dtype (float32, float64). */
export function checkFloating(op: string, name: string, v: unknown): asserts v is Tensor {
  checkTensor(op, name, v);
  if (!isFloating(v.dtype)) throw new TypeError(expected(op, 'a floating point Tensor', name, v));
}

/** Tensors that one kernel reads together must share a dtype (PyTorch does not promote inside matmul or conv). */
function checkSameDtype(op: string, tensors: readonly (readonly [string, Tensor | null | undefined])[]): void {
  const first = tensors.find(([, t]) => t);
  if (!first) return;
  for (const [name, t] of tensors) {
    if (t && t.dtype !== first[1]!.dtype) {
      throw new TypeError(`${op}: expected '${first[0]}' and '${name}' to have the same dtype, but got ${first[1]!.dtype} and ${t.dtype}`);
    }
  }
}

/**
 * The operands of one float kernel (matmul, convolution): each a floating Tensor (null allowed where the op takes
 * an optional one, such as a bias), all of one dtype.
 */
export function checkFloatingOperands(op: string, operands: readonly (readonly [string, unknown, 'optional'?])[]): void {
  for (const [name, v, optional] of operands) {
    if (optional && (v === null || v === undefined)) continue;
    checkFloating(op, name, v);
  }
  checkSameDtype(op, operands.map(([name, v]) => [name, v as Tensor | null | undefined] as const));
}

/** A finite or infinite JS number (not NaN unless allowNaN). */
export function checkNumber(op: string, name: string, v: unknown, allowNaN = true): number {
  if (typeof v !== 'number' || (!allowNaN && Number.isNaN(v))) throw new TypeError(expected(op, 'a number', name, v));
  return v;
}

/** An integer in [min, max]. */
export function checkInt(op: string, name: string, v: unknown, min = -Infinity, max = Infinity): number {
  if (typeof v !== 'number') throw new TypeError(expected(op, 'an integer', name, v));
  if (!Number.isInteger(v) || v < min || v > max) {
    const range = min === -Infinity ? (max === Infinity ? '' : ` <= ${max}`) : max === Infinity ? ` >= ${min}` : ` in [${min}, ${max}]`;
    throw new RangeError(expected(op, `an integer${range}`, name, v));
  }
  return v;
}

/**
 * An embedding's paddingIdx as a row of a table of n rows (negative counts from the end), or -1 for none.
 * @throws RangeError outside [-n, n) in PyTorch's words, or for a fractional paddingIdx
 */
export function checkPaddingIdx(op: string, paddingIdx: number | null | undefined, n: number): number {
  if (paddingIdx === null || paddingIdx === undefined) return -1;
  checkInt(op, 'paddingIdx', paddingIdx);
  if (paddingIdx >= n || paddingIdx < -n) {
    throw new RangeError(`${op}: Padding_idx must be within num_embeddings (paddingIdx ${paddingIdx}, num_embeddings ${n})`);
  }
  return paddingIdx < 0 ? paddingIdx + n : paddingIdx;
}

/** A size given as one number for both dims or as two: kernel sizes, strides, paddings, dilations. */
export type Pair = number | readonly [number, number];

/** A size pair given as one number or two: kernel sizes, strides, paddings, dilations. */
export function pair(op: string, name: string, v: Pair, min: number): [number, number] {
  const p = typeof v === 'number' ? [v, v] : Array.isArray(v) ? [...v] : [];
  if (p.length !== 2 || !p.every((x) => Number.isInteger(x) && x >= min)) {
    throw new RangeError(`${op}: ${name} must be ${min > 0 ? 'positive' : 'non-negative'} integers, got ${JSON.stringify(v)}`);
  }
  return p as [number, number];
}

/**
 * A user-given shape: integer sizes, non-negative (one -1 allowed when allowInfer), at most MAX_RANK of them, each
 * and their product (zeros left out, so an empty tensor cannot hide an impossible size) at most
 * Number.MAX_SAFE_INTEGER, the largest element count a JS number indexes exactly.
 * @throws TypeError for a non-array or a size that is not an integer; RangeError for a negative size, too many
 *   elements or too many dims
 * @example const shape = checkShape('zeros', [2, 3]);
 */
export function checkShape(op: string, shape: readonly unknown[], allowInfer = false): number[] {
  if (!Array.isArray(shape)) throw new TypeError(`${op}: expected a shape (an array of integers) but received ${describe(shape)}`);
  const bad = (): string => `[${shape.map((s) => (typeof s === 'number' ? String(s) : describe(s))).join(', ')}]`;
  let product = 1;
  for (const s of shape) {
    if (typeof s !== 'number' || !Number.isInteger(s)) {
      throw new TypeError(`${op}: expected a shape of integers but received ${bad()}`);
    }
    if (s < (allowInfer ? -1 : 0)) {
      throw new RangeError(`${op}: Trying to create tensor with negative dimension ${s}: ${bad()}`);
    }
    if (s > 0) product *= s;
    if (product > Number.MAX_SAFE_INTEGER) {
      throw new RangeError(`${op}: the shape ${bad()} has more than Number.MAX_SAFE_INTEGER (2^53 - 1) elements`);
    }
  }
  checkRank(op, shape.length);
  return shape as number[];
}

/** Size arguments as PyTorch takes them: (2, 3), ([2, 3]), each optionally followed by an options object. */
export type SizeArgs<O> = readonly (number | readonly number[] | O)[];

export function parseSizeArgs<O extends object>(op: string, args: SizeArgs<O>): { shape: number[]; options: O } {
  let list = [...args];
  let options = {} as O;
  const last = list[list.length - 1];
  if (last !== undefined && last !== null && typeof last === 'object' && !Array.isArray(last) && !(last instanceof Tensor)) {
    options = last as O;
    list = list.slice(0, -1);
  }
  const dims = list.length === 1 && Array.isArray(list[0]) ? (list[0] as readonly unknown[]) : list;
  return { shape: [...checkShape(op, dims)], options: checkOptions(op, options) };
}

/** Flattens (2, 3) or ([2, 3]) argument lists of integers (each checked to be an integer). */
export function flatArgs(op: string, args: readonly (number | readonly number[])[]): number[] {
  const list = (args.length === 1 && Array.isArray(args[0]) ? args[0] : args) as readonly unknown[];
  for (const a of list) {
    if (typeof a !== 'number' || !Number.isInteger(a)) {
      throw new TypeError(`${op}: expected integers or one array of integers but received ${describe(a)}`);
    }
  }
  return [...(list as readonly number[])];
}

// ---- integer values -------------------------------------------------------------------------------------------

/** The range of torchlet's int32 storage, which stands for PyTorch's int64. */
export const INT_MIN = -(2 ** 31);
export const INT_MAX = 2 ** 31 - 1;

function intOverflow(op: string, v: number): RangeError {
  return new RangeError(
    `${op}: value ${v} cannot be converted to type int64 without overflow (torchlet stores int64 in 32 bits: ` +
      `[${INT_MIN}, ${INT_MAX}])`,
  );
}

/**
 * A number stored into an integer tensor: truncated toward zero, as PyTorch converts, and refused when it does not fit.
 * @throws RangeError naming the op and the value for NaN, infinities and values outside int32
 * @example storage[i] = checkIntValue('full', value)
 */
export function checkIntValue(op: string, v: number): number {
  const t = Math.trunc(v);
  if (!(t >= INT_MIN && t <= INT_MAX)) throw intOverflow(op, v);
  return t;
}

/**
 * Every value of a float tensor converted to an integer one must fit (NaN and infinities never do).
 * @throws RangeError naming the op and the first value that does not fit
 * @example checkIntValues('to', K.dense(x))
 */
export function checkIntValues(op: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v > INT_MIN - 1 && v < INT_MAX + 1)) throw intOverflow(op, v);
  }
}

/** An int32 (PyTorch int64) index tensor. */
export function checkIndexTensor(op: string, name: string, v: unknown): asserts v is Tensor {
  checkTensor(op, name, v);
  if (v.dtype !== 'int32') throw new TypeError(`${op}: Expected dtype int32 (int64 in PyTorch) for ${name} but got ${v.dtype}`);
}

/** Throws PyTorch's errors for writing into x in place: leaves that require grad, and overlapping views. */
export function checkWritable(x: Tensor, op: string): void {
  if (x.requiresGrad && isGradEnabled()) {
    throw new Error(`${op}: a leaf Variable that requires grad is being used in an in-place operation.`);
  }
  // An empty tensor has no element to write twice, whatever its strides.
  for (let d = 0; d < x.shape.length && x.numel() > 0; d++) {
    if (x.strides[d] === 0 && x.shape[d]! > 1) {
      throw new Error(
        `${op}: unsupported operation: more than one element of the written-to tensor refers to a single memory ` +
          'location. Please clone() the tensor before performing the operation.',
      );
    }
  }
}

/**
 * Writing a tracked value into an untracked tensor would need version counters to stay correct, which torchlet
 * leaves out (tensors are immutable inside the graph): in-place ops take tracked operands only under noGrad.
 */
export function checkUntrackedOperand(op: string, v: unknown): void {
  if (v instanceof Tensor && v.requiresGrad && isGradEnabled()) {
    throw new Error(`${op}: in-place operations with an operand that requires grad are only supported under noGrad; use the out-of-place op`);
  }
}

/** An in-place op keeps x's dtype: the op's result type must be castable to it (PyTorch's rule). */
export function checkInPlaceResult(op: string, x: Tensor, result: DType): void {
  if (!canCast(result, x.dtype)) {
    throw new TypeError(`${op}: result type ${infoName(result)} can't be cast to the desired output type ${infoName(x.dtype)}`);
  }
}

function infoName(d: DType): string {
  return info(d).scalarType;
}

/**
 * An options object (PyTorch's keyword arguments): undefined gives {}; anything but a plain object (an array, a
 * Tensor, a number, null) is a TypeError naming the op.
 */
export function checkOptions<O extends object>(op: string, v: O | undefined, name = 'options'): O {
  if (v === undefined) return {} as O;
  const proto = v === null || typeof v !== 'object' ? undefined : Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) throw new TypeError(expected(op, 'an options object', name, v));
  return v;
}

/** A boolean flag (keepdim, inplace, requiresGrad...); undefined gives the default. */
export function checkBool(op: string, name: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new TypeError(expected(op, 'a boolean', name, v));
  return v;
}

/** A finite JS number (no NaN, no infinity), for parameters such as a mean, a bound, a learning rate. */
export function checkFinite(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number') throw new TypeError(expected(op, 'a number', name, v));
  if (!Number.isFinite(v)) throw new RangeError(expected(op, 'a finite number', name, v));
  return v;
}

/** A list of Tensors (an array or another iterable of them), as the parameters of clip_grad_norm_. */
export function checkTensorList(op: string, name: string, v: unknown): Tensor[] {
  if (v instanceof Tensor) return [v];
  const iterable = v !== null && typeof v === 'object' && typeof (v as Iterable<unknown>)[Symbol.iterator] === 'function';
  if (!iterable) throw new TypeError(expected(op, 'a Tensor or an iterable of Tensors', name, v));
  const list = [...(v as Iterable<unknown>)];
  list.forEach((t, i) => checkTensor(op, `${name}[${i}]`, t));
  return list as Tensor[];
}
