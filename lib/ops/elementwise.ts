/**
 * The machinery behind the pointwise op table (lib/ops/pointwise.ts): `unary` and `binary` turn one table entry
 * (kernel, dtype rule, PyTorch backward name, gradient formula) into the op function, and register the entry so
 * that Tensor methods (lib/ops/pointwise_methods.ts), the tests and gradcheck come from the same list.
 *
 * Also here: the ternary `where`, dtype conversion (`to`), copy_/fill_/zero_, all with PyTorch's broadcasting and
 * type promotion. Broadcasting is an expand view, so kernels only ever see operands of the output's shape.
 */
import { Tensor, defineMethods, emptyTensor, outputTensor } from '../tensor';
import { asBoolTensor } from '../tensor';
import type { BoolTensor } from '../tensor';
import type { DType, DTypeLike } from '../dtype';
import { DTYPES, canCast, checkDType, getDefaultDtype, isFloating, notImplemented, promoteTypes, resultType, scalarType } from '../dtype';
import * as K from '../backend/kernels';
import type { Strided } from '../backend/kernels';
import { record } from '../autograd/record';
import { derivativeNotImplemented } from '../autograd/backward_node';
import { noGrad } from '../autograd/grad_mode';
import { broadcastShapes, contiguousStrides, isRowMajor, sameShape, shapeStr } from '../shape';
import type { Shape } from '../shape';
import type { Scalar } from '../validate';
import { checkInPlaceResult, checkIntValue, checkIntValues, checkNumber, checkOperand, checkTensor, checkUntrackedOperand, checkWritable, describe } from '../validate';

export type { Scalar } from '../validate';

// ---- the registry --------------------------------------------------------------------------------------------

/** One entry of the pointwise op table, as the tests and gradcheck read it. */
export interface OpEntry {
  /** torchlet's name: the function, the method and the fixtures' op name ('floorDivide'). */
  readonly name: string;
  readonly arity: 1 | 2;
  /** The addon kernel that computes it. */
  readonly kernel: string;
  /** PyTorch's backward node name, or null when the op has no gradient (comparisons, predicates). */
  readonly backward: string | null;
  /** The names of its scalar parameters after the tensor operands (clamp: min, max). */
  readonly params: readonly string[];
  /** Whether it has a Tensor method `name_` that writes in place. */
  readonly inPlace: boolean;
}

const TABLE: OpEntry[] = [];

/** The pointwise op table: every entry defined with `unary`, `predicate` or `binary`, in definition order. */
export function opTable(): readonly OpEntry[] {
  return TABLE;
}

function register(entry: OpEntry): void {
  if (TABLE.some((e) => e.name === entry.name)) throw new Error(`torchlet: pointwise op '${entry.name}' is defined twice`);
  TABLE.push(entry);
}

const snake = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

// ---- operands ----------------------------------------------------------------------------------------------

// Scalars travel as a one-element array seen with stride 0; calls are synchronous, so one slot per dtype is enough.
const SLOTS = Object.fromEntries(Object.entries(DTYPES).map(([d, e]) => [d, new e.array(1)])) as Record<DType, Strided['data']>;
const ZEROS: number[][] = [];
function zeroStrides(rank: number): number[] {
  return (ZEROS[rank] ??= new Array<number>(rank).fill(0));
}
/** A number as an operand of dtype: bool 0 or 1; an integer refused when it does not fit int32 (never wrapped). */
function storedScalar(op: string, dtype: DType, value: Scalar): number {
  if (dtype === 'bool') return value === false || value === 0 ? 0 : 1;
  const v = Number(value);
  return dtype === 'int32' ? checkIntValue(op, v) : v;
}

function scalarOperand(op: string, dtype: DType, value: Scalar, shape: Shape): Strided {
  const slot = SLOTS[dtype];
  slot[0] = storedScalar(op, dtype, value);
  return { data: slot, shape, strides: zeroStrides(shape.length), offset: 0 };
}

/** A 0-dim tensor holding a number, for the few places an operand must be a Tensor. */
export function scalarTensor(value: Scalar, dtype: DType = scalarType(value), op = 'scalarTensor'): Tensor {
  const t = emptyTensor([], dtype);
  t.data[0] = storedScalar(op, dtype, value);
  return t;
}

/** Contiguous strides for a fresh result; an operand's own (immutable) array when it already is that layout. */
function stridesFor(shape: Shape, like: Tensor): readonly number[] {
  return like.shape === shape && like.offset === 0 && isRowMajor(like.shape, like.strides, true) ? like.strides : contiguousStrides(shape);
}

/** A copy of x converted to dtype (recorded as PyTorch's ToCopyBackward0 between floating types), or x itself. */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  checkCastable('to', x, dtype);
  const out = outputTensor(x.shape, dtype, undefined, 'to');
  K.copy(out, x);
  return record('ToCopyBackward0', out, [x], (g) => [cast(g, x.dtype)]);
}

/**
 * Converting floats to torchlet's int32 (PyTorch's int64) must not wrap: values out of its range, NaN and
 * infinities (undefined behaviour in PyTorch's cast) are refused.
 */
function checkCastable(op: string, x: Tensor, dtype: DType): void {
  if (dtype === 'int32' && isFloating(x.dtype)) checkIntValues(op, K.dense(x));
}

/** x viewed with `shape` by broadcasting (an expand view, whose backward sums back), or x itself. */
function broadcast(x: Tensor, shape: Shape): Tensor {
  return sameShape(x.shape, shape) ? x : x.expand(shape);
}

// ---- in-place plumbing -------------------------------------------------------------------------------------

/** An operand that may alias x's storage with another layout is cloned first, so reads never see writes. */
function unaliased<V extends Tensor | Scalar>(x: Tensor, v: V): V {
  if (v instanceof Tensor && v.data === x.data && (v.offset !== x.offset || !sameShape(v.strides, x.strides))) return v.clone() as V;
  return v;
}

/**
 * Runs an op in place on x with PyTorch's checks (x writable, operands untracked, the result type castable to x's
 * dtype). `direct`: the kernel can write x itself (the op computes in x's dtype); otherwise the result is computed
 * out of place and copied into x, converting.
 */
function inPlaceResult(
  op: string,
  x: Tensor,
  operands: readonly (Tensor | Scalar)[],
  result: DType,
  direct: boolean,
  run: (into: Tensor | undefined) => Tensor,
): Tensor {
  checkWritable(x, op);
  for (const v of operands) checkUntrackedOperand(op, v);
  checkInPlaceResult(op, x, result);
  if (direct) return run(x);
  const r = noGrad(() => run(undefined));
  checkOutputShape(op, x, r.shape);
  K.copy(x, r);
  return x;
}

/** An in-place op's result must have the shape of the tensor it is written into. */
function checkOutputShape(op: string, into: Tensor, shape: Shape): void {
  if (!sameShape(shape, into.shape)) {
    throw new RangeError(`${op}: output with shape ${shapeStr(into.shape)} doesn't match the broadcast shape ${shapeStr(shape)}`);
  }
}

// ---- unary ops ---------------------------------------------------------------------------------------------

/**
 * The result dtype of a unary op: 'float' converts integer and bool inputs to the default float dtype (exp, log);
 * 'floating' takes floating inputs only, as PyTorch's kernel (leakyRelu); 'same' keeps the dtype (neg, abs);
 * 'rounding' keeps integers as they are (floor, round). What 'same' and 'rounding' do with bool is the op's `bool`.
 */
export type UnaryDtype = 'float' | 'floating' | 'same' | 'rounding';

/**
 * What an op does with bool operands, as PyTorch: 'identity' returns them (sign), 'int' computes in int32 (square,
 * PyTorch's pow(x, 2), gives int64), 'logical' computes on 0 and 1 and gives bool (add, mul, maximum: or, and);
 * { refuse } is PyTorch's own error. Without it, bool is refused with PyTorch's "not implemented" error naming
 * `torchKernel`.
 */
export type BoolRule = 'identity' | 'int' | 'logical' | { refuse: string };

/** The error for a bool operand an op refuses: the entry's own words, or PyTorch's kernel's. */
function boolRefusal(op: string, rule: BoolRule | null, torchKernel: string): TypeError {
  return typeof rule === 'object' && rule !== null ? new TypeError(`${op}: ${rule.refuse}`) : notImplemented(op, torchKernel, 'bool');
}

/** The gradient of a unary op from the incoming gradient, the input, the output and the op's parameters. */
export type UnaryGrad = (g: Tensor, x: Tensor, out: Tensor, p0: number, p1: number) => Tensor;

/** A unary op's parameters as the kernel takes them, and the input converted when the parameters require it. */
export interface UnaryParams {
  p0: number;
  p1: number;
  x?: Tensor;
}

export interface UnarySpec<P extends readonly unknown[]> {
  /** The addon's unary kernel; defaults to the op's name in snake_case. */
  kernel?: string;
  /** The result dtype rule; 'bool' for a bool result without gradient (logicalNot). */
  dtype: UnaryDtype | 'bool';
  /** What a bool input does ('same' and 'rounding' ops); see BoolRule. */
  bool?: BoolRule;
  /** PyTorch's kernel name, which its error for a dtype the op refuses names; defaults to the snake_case name. */
  torchKernel?: string;
  /** PyTorch's backward node name (omitted with the gradient for ops that have none). */
  backward?: string;
  /**
   * The gradient, written with Tensor ops so that it is differentiable itself. Give it an explicit `: Tensor`
   * return type: the table's own types depend on it, and TypeScript cannot infer a type through that cycle.
   */
  grad?: UnaryGrad;
  /** Parameter names after the tensor, and how they become the kernel's p0, p1 (and perhaps a converted input). */
  params?: { names: readonly string[]; parse: (op: string, x: Tensor, ...args: P) => UnaryParams };
  /**
   * The op's form with tensor parameters (clamp with tensor bounds), a composite of other ops: it returns the result
   * for the arguments it takes, or null to leave them to the kernel.
   */
  tensorForm?: (op: string, x: Tensor, ...args: P) => Tensor | null;
}

interface UnaryImpl {
  name: string;
  code: number;
  dtype: UnaryDtype | 'bool';
  bool: BoolRule | null;
  torchKernel: string;
  backward: string | null;
  grad: UnaryGrad | null;
}

/** The dtype a unary op gives for an input of dtype d (refusals are runUnary's). */
function unaryResult(e: UnaryImpl, d: DType): DType {
  if (e.dtype === 'bool') return 'bool';
  if (e.dtype === 'float' && !isFloating(d)) return getDefaultDtype();
  return d === 'bool' && e.bool === 'int' ? 'int32' : d;
}

function runUnary(e: UnaryImpl, a: Tensor, p0: number, p1: number, into?: Tensor): Tensor {
  let x = a;
  const op = into ? `${e.name}_` : e.name;
  if (e.dtype === 'float' && !isFloating(a.dtype)) x = cast(a, getDefaultDtype());
  else if (e.dtype === 'floating' && !isFloating(a.dtype)) throw notImplemented(op, e.torchKernel, a.dtype);
  else if (a.dtype === 'bool' && (e.dtype === 'same' || e.dtype === 'rounding')) {
    // In place, an 'int' rule never gets here: the int32 result cannot be written into bool.
    if (e.bool === 'int') return runUnary(e, cast(a, 'int32'), p0, p1);
    if (e.bool !== 'identity') throw boolRefusal(op, e.bool, e.torchKernel);
    return into ?? a.clone();
  } else if (e.dtype === 'rounding' && !isFloating(a.dtype)) {
    // Rounding an integer tensor is the identity, as in PyTorch.
    return into ?? a.clone();
  } else if (a.dtype === 'int32' && INT_CAN_OVERFLOW.has(e.name)) {
    return narrowInt(into ? `${e.name}_` : e.name, runUnary(e, cast(a, 'float64'), p0, p1), false, into);
  }
  const outType: DType = e.dtype === 'bool' ? 'bool' : x.dtype;
  const out = into ?? outputTensor(x.shape, outType, stridesFor(x.shape, x), e.name);
  K.unary(e.code, out, x, p0, p1);
  if (into || !e.grad) return out;
  const grad = e.grad;
  return record(e.backward!, out, [x], (g) => [grad(g, x, out, p0, p1)]);
}

/** A unary op's function: the tensor, then its parameters. */
export type UnaryFn<P extends readonly unknown[], R extends Tensor = Tensor> = (x: Tensor, ...params: P) => R;

function unaryImpl(
  name: string,
  kernel: string,
  spec: { dtype: UnaryImpl['dtype']; bool?: BoolRule; torchKernel?: string },
  backward: string | null,
  grad: UnaryGrad | null,
): UnaryImpl {
  const torchKernel = spec.torchKernel ?? snake(name);
  return { name, code: K.kernelCode('unary', kernel), dtype: spec.dtype, bool: spec.bool ?? null, torchKernel, backward, grad };
}

const IN_PLACE = new Map<string, (x: Tensor, ...args: unknown[]) => Tensor>();
// Table functions by identity, so that aliases (clip = clamp) find their entry.
const ENTRY_OF = new WeakMap<object, string>();

/** The table entry a function was defined by (also through an alias), or undefined. */
export function entryOf(fn: unknown): OpEntry | undefined {
  const name = typeof fn === 'function' ? ENTRY_OF.get(fn) : undefined;
  return name === undefined ? undefined : TABLE.find((e) => e.name === name);
}

/**
 * Defines and registers a differentiable unary op (one table entry).
 * @example export const exp = unary('exp', { dtype: 'float', backward: 'ExpBackward0', grad: (g, _x, out): Tensor => g.mul(out) });
 */
export function unary<P extends readonly unknown[] = []>(name: string, spec: UnarySpec<P>): UnaryFn<P> {
  const kernel = spec.kernel ?? snake(name);
  const e = unaryImpl(name, kernel, spec, spec.backward ?? null, spec.grad ?? null);
  const params = spec.params;
  register({ name, arity: 1, kernel, backward: spec.backward ?? null, params: params?.names ?? [], inPlace: true });
  const takes = params?.names.length ?? 0;
  const fn = (x: Tensor, ...args: P): Tensor => {
    checkTensor(name, 'input', x);
    if (args.length > takes) tooManyArguments(name, 1 + takes, 1 + args.length);
    if (!params) return runUnary(e, x, 0, 0);
    const composite = spec.tensorForm?.(name, x, ...args);
    if (composite) return composite;
    const p = params.parse(name, x, ...args);
    return runUnary(e, p.x ?? x, p.p0, p.p1);
  };
  IN_PLACE.set(name, (x: Tensor, ...args: unknown[]): Tensor => {
    const op = `${name}_`;
    checkTensor(op, 'input', x);
    if (args.length > takes) tooManyArguments(op, takes, args.length);
    const tensors = args.filter((a): a is Tensor => a instanceof Tensor);
    if (spec.tensorForm && tensors.length > 0) {
      const form = spec.tensorForm;
      return inPlaceResult(op, x, tensors, resultType([x, ...tensors]), false, () => form(op, x, ...(args as unknown as P))!);
    }
    const p = params ? params.parse(op, x, ...(args as unknown as P)) : { p0: 0, p1: 0 };
    const src = p.x ?? x;
    const result = unaryResult(e, src.dtype);
    return inPlaceResult(op, x, [], result, result === x.dtype, (into) => runUnary(e, into ? x : src, p.p0, p.p1, into));
  });
  ENTRY_OF.set(fn, name);
  return fn;
}

/** Marks table ops that have no in-place method (the type of Tensor methods reads it). */
export declare const NO_IN_PLACE: unique symbol;
export type NoInPlace = { readonly [NO_IN_PLACE]: true };

/** Defines and registers a unary op with a bool result and no gradient (isnan): no in-place form. */
export function predicate(name: string, spec: { kernel?: string } = {}): UnaryFn<[], BoolTensor> & NoInPlace {
  const kernel = spec.kernel ?? snake(name);
  const e = unaryImpl(name, kernel, { dtype: 'bool' }, null, null);
  register({ name, arity: 1, kernel, backward: null, params: [], inPlace: false });
  const fn = (x: Tensor, ...rest: unknown[]): Tensor => {
    checkTensor(name, 'input', x);
    if (rest.length) tooManyArguments(name, 1, 1 + rest.length);
    return runUnary(e, x, 0, 0);
  };
  ENTRY_OF.set(fn, name);
  return fn as UnaryFn<[], BoolTensor> & NoInPlace;
}

// ---- binary ops --------------------------------------------------------------------------------------------

/**
 * The result dtype of a binary op: 'arith' promotes (what two bool operands do is the op's `bool`); 'float' promotes
 * and then converts integers to the default float dtype (true division); 'compare' and 'logical' give bool.
 */
export type BinaryDtype = 'arith' | 'float' | 'compare' | 'logical';

/**
 * The gradients of a binary op: (g, x, y, out, needs) -> [dx, dy]. y is the second operand as given: a Tensor, or a
 * number for the scalar form (needs[1] is then false). Formulas use ops that accept both.
 */
export type BinaryGrad = (g: Tensor, x: Tensor, y: Tensor | number, out: Tensor, needs: readonly boolean[], alpha: number) => (Tensor | null)[];

export interface BinarySpec {
  /** The addon's binary kernel; defaults to the op's name in snake_case. */
  kernel?: string;
  dtype: BinaryDtype;
  /** PyTorch's backward node name; with `scalarBackward` for the form whose second operand is a number. */
  backward?: string;
  scalarBackward?: string;
  /**
   * The gradient (see UnarySpec.grad on its return type annotation); omitted for ops without one. It sees the
   * operands as given (broadcast, not converted), as PyTorch's formulas do: a bool exponent stays bool.
   */
  grad?: BinaryGrad;
  /**
   * PyTorch's name of an op it has no derivative for (floor_divide): floating results still require grad, as in
   * PyTorch, and backward raises its error.
   */
  noDerivative?: string;
  /** What two bool operands do ('arith' ops); see BoolRule. */
  bool?: BoolRule;
  /** PyTorch's kernel name, which its error for a dtype the op refuses names; defaults to the snake_case name. */
  torchKernel?: string;
  /** Whether the op takes alpha (add, sub: a + alpha * b, one fused multiply-add). */
  alpha?: boolean;
  /**
   * A faster form when the second operand is a number and the first is floating: a unary kernel taking the
   * number as its parameter (pow_scalar computes x^2, x^0.5 ... exactly, as PyTorch does), with its own gradient.
   */
  scalarUnary?: { kernel: string; backward: string; grad: UnaryGrad };
  /** Refuses operand combinations the op does not define (integers to negative integer powers). */
  check?: (op: string, x: Tensor, y: Tensor | Scalar) => void;
}

interface BinaryImpl {
  name: string;
  /** The in-place method's name (add_), made once: messages name it, and a template string per call costs. */
  inPlaceName: string;
  code: number;
  dtype: BinaryDtype;
  backward: string | null;
  scalarBackward: string | null;
  grad: BinaryGrad | null;
  scalarUnary: UnaryImpl | null;
  check: ((op: string, x: Tensor, y: Tensor | Scalar) => void) | null;
  bool: BoolRule | null;
  torchKernel: string;
}

/** The dtype the kernel computes in. */
function computeType(e: BinaryImpl, a: Tensor, b: Tensor | Scalar): DType {
  // The common cases without building an operand list: equal dtypes, or a number that keeps a float tensor's type.
  let t: DType;
  if (b instanceof Tensor) t = a.dtype === b.dtype ? a.dtype : resultType([a, b]);
  else t = isFloating(a.dtype) && typeof b === 'number' ? a.dtype : resultType([a, b]);
  if (e.dtype === 'float' && !isFloating(t)) return getDefaultDtype();
  if (e.dtype === 'logical' && b instanceof Tensor && a.dtype !== b.dtype) return promoteTypes(a.dtype, b.dtype);
  if (e.dtype === 'logical') return a.dtype;
  return t;
}

function runBinary(e: BinaryImpl, a: Tensor, b: Tensor | Scalar, alpha: number, into?: Tensor): Tensor {
  const op = into ? e.inPlaceName : e.name;
  if (e.check) e.check(op, a, b);
  const ct = computeType(e, a, b);
  if (e.scalarUnary && !(b instanceof Tensor) && isFloating(ct) && alpha === 1) {
    return runUnary(e.scalarUnary, a.dtype === ct ? a : cast(a, ct), Number(b), 0, into);
  }
  if ((ct === 'int32' || ct === 'bool') && alpha !== 1 && !Number.isInteger(alpha)) {
    throw new TypeError(`${op}: For integral input tensors, argument alpha must not be a floating point number.`);
  }
  if (ct === 'bool' && e.dtype === 'arith') return logicalArith(e, op, a, b, alpha, into);
  if (ct === 'int32' && INT_CAN_OVERFLOW.has(e.name)) return exactInt(e, a, b, alpha, into);
  const outType: DType = e.dtype === 'compare' || e.dtype === 'logical' ? 'bool' : ct;
  let x = a.dtype === ct ? a : cast(a, ct);
  let shape: Shape;
  let y: Strided;
  let yt: Tensor | null = null;
  let scalarAlpha = alpha;
  if (b instanceof Tensor) {
    yt = b.dtype === ct ? b : cast(b, ct);
    if (sameShape(x.shape, yt.shape)) {
      shape = x.shape;
    } else {
      shape = broadcastShapes(e.name, a.shape, b.shape);
      x = broadcast(x, shape);
      yt = broadcast(yt, shape);
    }
    y = yt;
  } else {
    shape = x.shape;
    // A number operand takes alpha up front (add(x, 2, alpha)), in double, as the slot holds it.
    y = scalarOperand(op, ct, alpha === 1 ? b : Number(b) * alpha, shape);
    scalarAlpha = 1;
  }
  if (into) {
    checkOutputShape(op, into, shape);
    K.binary(e.code, into, x, y, scalarAlpha);
    return into;
  }
  const out = outputTensor(shape, outType, stridesFor(shape, x), e.name);
  K.binary(e.code, out, x, y, scalarAlpha);
  if (!e.grad) return out;
  const grad = e.grad;
  if (yt) {
    const yv = yt;
    const bt = b as Tensor;
    // The formula sees the operands as given (a converted operand is re-read from the original, broadcast).
    const given = (t: Tensor, orig: Tensor): Tensor => (orig.dtype === t.dtype ? t : broadcast(orig, shape));
    return record(e.backward!, out, [x, yv], (g, needs) => grad(g, given(x, a), given(yv, bt), out, needs, alpha));
  }
  const s = Number(b);
  return record(e.scalarBackward ?? e.backward!, out, [x], (g, needs) => grad(g, x, s, out, [needs[0]!, false], alpha).slice(0, 1));
}

/**
 * An 'arith' op on two bool operands: bool in PyTorch for the ops that define it (add is or, mul and minimum are
 * and, maximum is or), computed on 0 and 1 in int32 (alpha taken as a bool, as PyTorch converts it), then made bool.
 */
function logicalArith(e: BinaryImpl, op: string, a: Tensor, b: Tensor | Scalar, alpha: number, into?: Tensor): Tensor {
  if (e.bool !== 'logical') throw boolRefusal(op, e.bool, e.torchKernel);
  const wide = runBinary(e, cast(a, 'int32'), b instanceof Tensor ? cast(b, 'int32') : Number(b), alpha === 0 ? 0 : 1);
  if (!into) return cast(wide, 'bool');
  checkOutputShape(op, into, wide.shape);
  K.copy(into, wide);
  return into;
}

// Integer ops whose int32 result can leave int32's range (or that the native integer kernel cannot survive:
// INT_MIN // -1 and division by zero trap). int32 stands for PyTorch's int64, so these compute in double (exact:
// every in-range result of int32 operands is, floor division included) and refuse results that do not fit.
const INT_CAN_OVERFLOW = new Set(['add', 'sub', 'mul', 'pow', 'floorDivide', 'remainder', 'neg', 'abs', 'square']);
const INT_DIVIDES = new Set(['floorDivide', 'remainder']);

function exactInt(e: BinaryImpl, a: Tensor, b: Tensor | Scalar, alpha: number, into?: Tensor): Tensor {
  const wide = runBinary(e, cast(a, 'float64'), b instanceof Tensor ? cast(b, 'float64') : Number(b), alpha);
  return narrowInt(into ? e.inPlaceName : e.name, wide, INT_DIVIDES.has(e.name), into);
}

/** A double result of an integer op as int32, into `into` or a fresh tensor; values int32 cannot hold are refused. */
function narrowInt(op: string, wide: Tensor, divides: boolean, into?: Tensor): Tensor {
  const values = K.dense(wide);
  if (divides && values.some((v) => !Number.isFinite(v))) throw new RangeError(`${op}: ZeroDivisionError (integer division by zero)`);
  checkIntValues(op, values);
  if (into) checkOutputShape(op, into, wide.shape);
  const out = into ?? outputTensor(wide.shape, 'int32');
  K.copy(out, wide);
  return out;
}

/** A binary op's function: a tensor (or number) and another tensor or number; add and sub also take alpha. */
export type BinaryFn<R extends Tensor = Tensor> = (input: Tensor | Scalar, other: Tensor | Scalar) => R;
/** alpha as PyTorch's keyword ({ alpha: 2 }), or as a number after the operands (torchlet's shorter spelling). */
export type AlphaArg = number | { alpha?: number };
export type BinaryAlphaFn = (input: Tensor | Scalar, other: Tensor | Scalar, alpha?: AlphaArg) => Tensor;

function binaryOperands(op: string, a: unknown, b: unknown): [Tensor, Tensor | Scalar] {
  checkOperand(op, 'input', a);
  checkOperand(op, 'other', b);
  if (a instanceof Tensor) return [a, b];
  // A number first stands for a 0-dim tensor (torch.pow(2, x), 1 - x). PyTorch holds it in double and lets only its
  // category count, so it takes the result type (pow(0.1, float64 x) keeps 0.1 in double); a bool stays bool.
  if (!(b instanceof Tensor)) throw new TypeError(`${op}: expected at least one Tensor but received ${describe(a)} and ${describe(b)}`);
  return [scalarTensor(a, typeof a === 'boolean' ? 'bool' : resultType([a, b]), op), b];
}

/** PyTorch's refusal of extra positional arguments: no op has a public output argument to write into. */
function tooManyArguments(op: string, takes: number, given: number): never {
  throw new TypeError(`${op}() takes ${takes} positional argument${takes === 1 ? '' : 's'} but ${given} were given`);
}

/**
 * The arguments after the operands: alpha (a number or { alpha }) for ops that take it, nothing for the others.
 * Anything more is refused, as PyTorch refuses extra positional arguments (there is no public output argument).
 */
function alphaArg(op: string, takesAlpha: boolean | undefined, operands: number, rest: readonly unknown[]): number {
  if (rest.length > (takesAlpha ? 1 : 0)) tooManyArguments(op, operands, operands + rest.length);
  let alpha = rest[0];
  if (alpha !== null && typeof alpha === 'object' && !(alpha instanceof Tensor) && !Array.isArray(alpha)) {
    const extra = Object.keys(alpha).filter((k) => k !== 'alpha');
    if (extra.length) throw new TypeError(`${op}() got an unexpected keyword argument '${extra[0]}'`);
    alpha = (alpha as { alpha?: unknown }).alpha;
  }
  return alpha === undefined ? 1 : checkNumber(op, 'alpha', alpha);
}

/** The backward of an op PyTorch has no derivative for: it raises PyTorch's error. */
function notImplementedGrad(torchName: string): BinaryGrad {
  return () => {
    throw derivativeNotImplemented(torchName);
  };
}

function binaryImpl(name: string, spec: BinarySpec, kernel: string): BinaryImpl {
  const su = spec.scalarUnary;
  return {
    name,
    inPlaceName: `${name}_`,
    code: K.kernelCode('binary', kernel),
    dtype: spec.dtype,
    backward: spec.noDerivative ? 'NotImplemented' : (spec.backward ?? null),
    scalarBackward: spec.scalarBackward ?? null,
    grad: spec.noDerivative ? notImplementedGrad(spec.noDerivative) : (spec.grad ?? null),
    scalarUnary: su ? unaryImpl(name, su.kernel, { dtype: 'same' }, su.backward, su.grad) : null,
    check: spec.check ?? null,
    bool: spec.bool ?? null,
    torchKernel: spec.torchKernel ?? snake(name),
  };
}

/** The function of a binary op: operands checked, a leading number made a 0-dim tensor, alpha checked. */
function binaryFunction(name: string, spec: BinarySpec, e: BinaryImpl): BinaryAlphaFn {
  return (a: Tensor | Scalar, b: Tensor | Scalar, ...rest: unknown[]): Tensor => {
    const [x, y] = binaryOperands(name, a, b);
    return runBinary(e, x, y, alphaArg(name, spec.alpha, 2, rest));
  };
}

/** Defines a binary op without registering it: for internal ops that are not part of the public table. */
export function internalBinary(name: string, spec: BinarySpec): BinaryAlphaFn {
  return binaryFunction(name, spec, binaryImpl(name, spec, spec.kernel ?? snake(name)));
}

/** Defines and registers a binary op (one table entry): its function and, through the table, its methods. */
/** A binary op whose result is bool (comparisons, logical ops): binary(), typed as giving a BoolTensor. */
export function boolBinary(name: string, spec: BinarySpec & { dtype: 'compare' | 'logical' }): BinaryFn<BoolTensor> {
  return binary(name, spec) as BinaryFn<BoolTensor>;
}

/** A unary op whose result is bool (logicalNot): unary(), typed as giving a BoolTensor. */
export function boolUnary(name: string, spec: UnarySpec<[]> & { dtype: 'bool' }): UnaryFn<[], BoolTensor> {
  return unary(name, spec) as UnaryFn<[], BoolTensor>;
}

export function binary(name: string, spec: BinarySpec & { alpha: true }): BinaryAlphaFn;
export function binary(name: string, spec: BinarySpec): BinaryFn;
export function binary(name: string, spec: BinarySpec): BinaryAlphaFn {
  const kernel = spec.kernel ?? snake(name);
  const e = binaryImpl(name, spec, kernel);
  register({ name, arity: 2, kernel, backward: spec.backward ?? null, params: spec.alpha ? ['alpha'] : [], inPlace: true });
  const boolResult = spec.dtype === 'compare' || spec.dtype === 'logical';
  IN_PLACE.set(name, (x: Tensor, ...args: unknown[]): Tensor => {
    const op = `${name}_`;
    checkTensor(op, 'input', x);
    const [other, ...rest] = args;
    checkOperand(op, 'other', other);
    const b = unaliased(x, other);
    const a = alphaArg(op, spec.alpha, 1, rest);
    const result = boolResult ? 'bool' : computeType(e, x, b);
    // The kernel writes x itself when the result has x's dtype (the usual case: add_, mul_ on floats).
    return inPlaceResult(op, x, [b], result, result === x.dtype, (into) => runBinary(e, x, b, a, into));
  });
  const fn = binaryFunction(name, spec, e);
  ENTRY_OF.set(fn, name);
  return fn;
}

/** The in-place form of a table op: writes op(x, ...args) into x. */
export function inPlace(name: string): (x: Tensor, ...args: unknown[]) => Tensor {
  const f = IN_PLACE.get(name);
  if (!f) throw new Error(`torchlet: pointwise op '${name}' has no in-place form`);
  return f;
}

// ---- where, conversion, copies ---------------------------------------------------------------------------------

/** condition ? a : b elementwise, broadcasting all three; numbers are allowed for a and b. */
export function where(condition: Tensor, a: Tensor | Scalar, b: Tensor | Scalar): Tensor {
  checkTensor('where', 'condition', condition);
  if (condition.dtype !== 'bool') {
    throw new TypeError(`where: expected condition to be a boolean tensor, but got a tensor with dtype ${condition.dtype}`);
  }
  checkOperand('where', 'input', a);
  checkOperand('where', 'other', b);
  const dtype = a instanceof Tensor || b instanceof Tensor ? resultType([a, b]) : getDefaultDtype();
  const x = a instanceof Tensor ? cast(a, dtype) : scalarTensor(a, dtype, 'where');
  const y = b instanceof Tensor ? cast(b, dtype) : scalarTensor(b, dtype, 'where');
  const shape = broadcastShapes('where', broadcastShapes('where', condition.shape, x.shape), y.shape);
  const out = outputTensor(shape, dtype, undefined, 'where');
  const c = broadcast(condition, shape);
  const xe = broadcast(x, shape);
  const ye = broadcast(y, shape);
  K.where(out, c, xe, ye);
  return record('WhereBackward0', out, [xe, ye], (g, needs) => [
    needs[0] ? where(c, g, 0) : null,
    needs[1] ? where(c, 0, g) : null,
  ]);
}

/** A copy with another dtype, or x itself when it already has it, as Tensor.to(dtype). */
export function to(x: Tensor, dtype: DTypeLike): Tensor {
  checkTensor('to', 'input', x);
  return cast(x, checkDType('to', dtype));
}

/** Writes src (a tensor broadcast to x's shape, or a number) into x, converting dtype, as Tensor.copy_. */
function copyInto(x: Tensor, op: string, src: Tensor | Scalar): Tensor {
  checkWritable(x, op);
  checkOperand(op, 'src', src);
  checkUntrackedOperand(op, src);
  if (src instanceof Tensor) {
    checkCastable(op, src, x.dtype);
    K.copy(x, broadcast(unaliased(x, src), x.shape));
  } else {
    K.copy(x, scalarOperand(op, x.dtype, src, x.shape));
  }
  return x;
}

declare module '../tensor' {
  interface Tensor {
    /**
     * A copy with another dtype, or this tensor if it already has it.
     * @example torch.tensor([1.7]).to('int32') // [1]
     */
    to(dtype: DTypeLike): Tensor;
    /** to('float32'), as Tensor.float. @example torch.tensor([1, 2], { dtype: 'int32' }).float().dtype // 'float32' */
    float(): Tensor;
    /** to('float64'), as Tensor.double. @example torch.tensor([1]).double().dtype // 'float64' */
    double(): Tensor;
    /** to('int32'), as Tensor.int. @example torch.tensor([1.5]).int() // [1] */
    int(): Tensor;
    /** to('int32') (PyTorch's int64), as Tensor.long. @example torch.tensor([2.9]).long() // [2] */
    long(): Tensor;
    /** to('bool'): nonzero is true, as Tensor.bool. @example torch.tensor([0, 3]).bool() // [false, true] */
    bool(): BoolTensor;
    /**
     * this where condition holds, else other (both broadcast), as Tensor.where.
     * @example torch.tensor([1, 2]).where(torch.tensor([true, false]), 0) // [1, 0]
     */
    where(condition: Tensor, other: Tensor | Scalar): Tensor;
    /**
     * Copies src (broadcast, converted) into this tensor's elements.
     * @example torch.zeros(2, 2).copy_(torch.tensor([1, 2])) // [[1, 2], [1, 2]]
     */
    copy_(src: Tensor | Scalar): this;
    /** Every element set to value, as Tensor.fill_. @example torch.empty(3).fill_(7) // [7, 7, 7] */
    fill_(value: Scalar): this;
    /** Every element set to 0, as Tensor.zero_. @example torch.ones(3).zero_() // [0, 0, 0] */
    zero_(): this;
  }
}

defineMethods({
  to(this: Tensor, dtype: DTypeLike) {
    return to(this, dtype);
  },
  float(this: Tensor) {
    return cast(this, 'float32');
  },
  double(this: Tensor) {
    return cast(this, 'float64');
  },
  int(this: Tensor) {
    return cast(this, 'int32');
  },
  long(this: Tensor) {
    return cast(this, 'int32');
  },
  bool(this: Tensor) {
    return asBoolTensor(cast(this, 'bool'));
  },
  where(this: Tensor, condition: Tensor, other: Tensor | Scalar) {
    return where(condition, this, other);
  },
  copy_(this: Tensor, src: Tensor | Scalar) {
    return copyInto(this, 'copy_', src);
  },
  fill_(this: Tensor, value: Scalar) {
    return copyInto(this, 'fill_', value);
  },
  zero_(this: Tensor) {
    return copyInto(this, 'zero_', 0);
  },
});
