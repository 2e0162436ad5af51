/**
 * Elementwise ops with PyTorch's broadcasting and type promotion. Broadcasting is an expand view, so the
 * kernels only ever see operands of the output's shape.
 */
import { allocateForOutput, promoteTypes, promoteWithScalar } from '../dtype';
import type { DType } from '../dtype';
import * as K from '../backend/kernels';
import type { BinaryOpName, Strided, UnaryOpName } from '../backend/kernels';
import { isGradEnabled } from '../autograd/grad_mode';
import { record } from '../autograd/node';
import { Tensor } from '../tensor';
import { broadcastShapes, contiguousStrides, numelOf, sameShape, shapeStr } from '../shape';
import type { Shape } from '../shape';
import { broadcastTo, empty } from './movement';

export type Scalar = number | boolean;

// Scalars travel as a one-element array seen with stride 0; calls are synchronous, so one slot per dtype is enough.
const SLOTS: Record<DType, Float32Array | Int32Array | Uint8Array> = {
  float32: new Float32Array(1),
  int32: new Int32Array(1),
  bool: new Uint8Array(1),
};
const ZEROS: number[][] = [];
function zeroStrides(rank: number): number[] {
  return (ZEROS[rank] ??= new Array<number>(rank).fill(0));
}
function scalarOperand(dtype: DType, value: Scalar, shape: Shape): Strided {
  const slot = SLOTS[dtype];
  slot[0] = typeof value === 'boolean' ? (value ? 1 : 0) : value;
  return { data: slot, shape, strides: zeroStrides(shape.length), offset: 0 };
}

function checkOperand(op: string, v: unknown, name: string): void {
  if (!(v instanceof Tensor) && typeof v !== 'number' && typeof v !== 'boolean') {
    throw new TypeError(`${op}: expected a Tensor or a number for '${name}' but received ${v === null ? 'null' : typeof v}`);
  }
}

/** A copy of x converted to dtype, or x itself when it already has that dtype. */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  const out = empty(x.shape, dtype);
  K.copy(out, x);
  return out;
}

type Kind = 'arith' | 'float' | 'compare' | 'logical';

/** Contiguous strides for a fresh result; an operand's own (immutable) array when it already is that layout. */
function stridesFor(shape: Shape, like: Tensor): readonly number[] {
  return like.shape === shape && like.offset === 0 && isPacked(like) ? like.strides : contiguousStrides(shape);
}

/** Whether the strides are exactly the row-major ones (isContiguous accepts any stride on size-1 dims too). */
function isPacked(t: Tensor): boolean {
  let expected = 1;
  for (let d = t.shape.length - 1; d >= 0; d--) {
    if (t.strides[d] !== expected) return false;
    expected *= t.shape[d]!;
  }
  return true;
}

function computeType(kind: Kind, a: Tensor, b: Tensor | Scalar): DType {
  let t = b instanceof Tensor ? promoteTypes(a.dtype, b.dtype) : promoteWithScalar(a.dtype, b);
  if (kind === 'float') t = 'float32';
  if (kind === 'arith' && t === 'bool') t = 'int32';
  if (kind === 'logical') t = b instanceof Tensor && a.dtype !== b.dtype ? promoteTypes(a.dtype, b.dtype) : a.dtype;
  return t;
}

/** Gradients of a binary op: (g, x, y, out) -> [dx, dy]; y is null when the second operand was a number. */
type BinaryGrad = (g: Tensor, x: Tensor, y: Tensor | null, out: Tensor, needs: readonly boolean[]) => (Tensor | null)[];

/**
 * Runs a binary kernel with broadcasting: out = op(a, b), recording `grad` under `gradName`. Broadcasting is an
 * expand view, whose own backward sums the gradient back. `into`, when given, is the output (in-place ops).
 */
function binaryOp(
  op: string,
  kernel: BinaryOpName,
  kind: Kind,
  a: Tensor,
  b: Tensor | Scalar,
  into?: Tensor,
  gradName?: string,
  grad?: BinaryGrad,
  alpha = 1,
): Tensor {
  checkOperand(op, a, 'input');
  checkOperand(op, b, 'other');
  const ct = computeType(kind, a, b);
  const outType: DType = kind === 'compare' || kind === 'logical' ? 'bool' : ct;
  let x = a.dtype === ct ? a : cast(a, ct);
  let shape: Shape;
  let y: Strided;
  if (b instanceof Tensor) {
    let yb = b.dtype === ct ? b : cast(b, ct);
    if (sameShape(a.shape, yb.shape)) {
      shape = a.shape;
    } else {
      shape = broadcastShapes(op, a.shape, yb.shape);
      x = broadcastTo(x, shape);
      yb = broadcastTo(yb, shape);
    }
    y = yb;
  } else {
    shape = a.shape;
    y = scalarOperand(ct, b, shape);
  }
  if (into) {
    if (!sameShape(shape, into.shape)) {
      throw new RangeError(`${op}: output with shape ${shapeStr(into.shape)} doesn't match the broadcast shape ${shapeStr(shape)}`);
    }
    K.binary(kernel, into, x, y, alpha);
    return into;
  }
  const out = new Tensor(allocateForOutput(outType, numelOf(shape)), shape, stridesFor(shape, a), 0, outType);
  K.binary(kernel, out, x, y, alpha);
  if (!grad || outType !== 'float32') return out;
  const yt = y instanceof Tensor ? y : null;
  return record(gradName!, out, yt ? [x, yt] : [x], (g, needs) => grad(g, x, yt, out, needs));
}

function checkAlpha(op: string, alpha: number | undefined): number {
  if (alpha === undefined) return 1;
  if (typeof alpha !== 'number') throw new TypeError(`${op}: expected a number for 'alpha' but received ${typeof alpha}`);
  return alpha;
}

const gradAdd = (alpha: number): BinaryGrad => (g, _x, _y, _o, needs) => [g, needs[1] ? (alpha === 1 ? g : mul(g, alpha)) : null];
const gradMul: BinaryGrad = (g, x, y, _o, needs) => [needs[0] ? mul(g, y!) : null, needs[1] ? mul(g, x) : null];

/** a + alpha * b, broadcasting (one fused multiply-add when alpha != 1). @example torch.tensor([1, 2]).add(1) */
export function add(a: Tensor, b: Tensor | Scalar, alpha?: number, into?: Tensor): Tensor {
  const s = checkAlpha('add', alpha);
  checkOperand('add', b, 'other');
  if (!(b instanceof Tensor)) return binaryOp('add', 'add', 'arith', a, Number(b) * s, into, 'AddBackward0', gradAdd(1));
  return binaryOp('add', 'add', 'arith', a, b, into, 'AddBackward0', gradAdd(s), s);
}
/** a - alpha * b, broadcasting; a may be a number (torch.rsub). */
export function sub(a: Tensor | Scalar, b: Tensor | Scalar, alpha?: number, into?: Tensor): Tensor {
  const s = checkAlpha('sub', alpha);
  checkOperand('sub', b, 'other');
  if (!(a instanceof Tensor)) {
    if (!(b instanceof Tensor)) throw new TypeError('sub: expected at least one Tensor');
    return add(mul(b, -s), a);
  }
  if (!(b instanceof Tensor)) return binaryOp('sub', 'sub', 'arith', a, Number(b) * s, into, 'SubBackward0', gradAdd(1));
  return binaryOp('sub', 'sub', 'arith', a, b, into, 'SubBackward0', gradAdd(-s), s);
}
export function mul(a: Tensor, b: Tensor | Scalar, into?: Tensor): Tensor {
  if (!(b instanceof Tensor)) {
    const s = Number(b);
    return binaryOp('mul', 'mul', 'arith', a, b, into, 'MulBackward0', (g) => [mul(g, s)]);
  }
  return binaryOp('mul', 'mul', 'arith', a, b, into, 'MulBackward0', gradMul);
}
/** True division: integer inputs give a float32 result, as torch.div. */
export function div(a: Tensor, b: Tensor | Scalar, into?: Tensor): Tensor {
  if (!(b instanceof Tensor)) {
    const s = Number(b);
    return binaryOp('div', 'div', 'float', a, b, into, 'DivBackward0', (g) => [div(g, s)]);
  }
  return binaryOp('div', 'div', 'float', a, b, into, 'DivBackward0', (g, _x, y, out, needs) => [
    needs[0] ? div(g, y!) : null,
    needs[1] ? neg(mul(g, div(out, y!))) : null,
  ]);
}
export function pow(a: Tensor, b: Tensor | Scalar): Tensor {
  if (typeof b === 'number' && a.dtype === 'float32') {
    const p = b;
    return unaryOp('pow', 'pow_scalar', 'same', a, p, 0, 'PowBackward0', (g, x) =>
      p === 0 ? mul(g, 0) : mul(g, mul(pow(x, p - 1), p)),
    );
  }
  if (typeof b === 'number' && a.dtype !== 'float32' && Number.isInteger(b) && b < 0) {
    throw new RangeError('pow: Integers to negative integer powers are not allowed.');
  }
  return binaryOp('pow', 'pow', 'arith', a, b, undefined, 'PowBackward1', (g, x, y, out, needs) => [
    needs[0] ? mul(g, mul(y!, pow(x, sub(y!, 1)))) : null,
    // d/dy x^y = x^y log x, taken as 0 where x == 0 and y >= 0, as PyTorch does.
    needs[1] ? mul(g, where(logicalAnd(eq(x, 0), ge(y!, 0)), 0, mul(out, log(x)))) : null,
  ]);
}
export function remainder(a: Tensor, b: Tensor | Scalar): Tensor {
  return binaryOp('remainder', 'remainder', 'arith', a, b, undefined, 'RemainderBackward0', (g, x, y, _o, needs) => [
    g,
    needs[1] ? mul(neg(g), floorDivide(x, y!)) : null,
  ]);
}
export function floorDivide(a: Tensor, b: Tensor | Scalar): Tensor {
  return binaryOp('floorDivide', 'floor_divide', 'arith', a, b);
}
// Ties send half the gradient to each side, as PyTorch's maximum/minimum backward.
const gradExtreme = (pick: (x: Tensor, y: Tensor) => Tensor): BinaryGrad => (g, x, y, _o, needs) => {
  const tie = eq(x, y!);
  const half = div(g, 2);
  const toX = where(tie, half, where(pick(x, y!), g, 0));
  const toY = where(tie, half, where(pick(y!, x), g, 0));
  return [needs[0] ? toX : null, needs[1] ? toY : null];
};
export function maximum(a: Tensor, b: Tensor): Tensor {
  return binaryOp('maximum', 'maximum', 'arith', a, b, undefined, 'MaximumBackward0', gradExtreme(gt));
}
export function minimum(a: Tensor, b: Tensor): Tensor {
  return binaryOp('minimum', 'minimum', 'arith', a, b, undefined, 'MinimumBackward0', gradExtreme(lt));
}
const comparison = (op: string, kernel: BinaryOpName) => (a: Tensor, b: Tensor | Scalar): Tensor =>
  binaryOp(op, kernel, 'compare', a, b);
const logical = (op: string, kernel: BinaryOpName) => (a: Tensor, b: Tensor): Tensor => binaryOp(op, kernel, 'logical', a, b);
export const eq = comparison('eq', 'eq');
export const ne = comparison('ne', 'ne');
export const lt = comparison('lt', 'lt');
export const le = comparison('le', 'le');
export const gt = comparison('gt', 'gt');
export const ge = comparison('ge', 'ge');
export const logicalAnd = logical('logicalAnd', 'logical_and');
export const logicalOr = logical('logicalOr', 'logical_or');
export const logicalXor = logical('logicalXor', 'logical_xor');

/** 'float': integer inputs are converted to float32 first (exp, log, ...); 'same': the dtype is kept. */
type UnaryKind = 'float' | 'same' | 'bool';

/** Gradient of a unary op: (g, x, out) -> dx. */
type UnaryGrad = (g: Tensor, x: Tensor, out: Tensor) => Tensor;

function unaryOp(
  op: string,
  kernel: UnaryOpName,
  kind: UnaryKind,
  a: Tensor,
  p0 = 0,
  p1 = 0,
  gradName?: string,
  grad?: UnaryGrad,
): Tensor {
  if (!(a instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor but received ${typeof a}`);
  let x = a;
  if (kind === 'float' && a.dtype !== 'float32') x = cast(a, 'float32');
  if (kind === 'same' && a.dtype === 'bool') {
    throw new TypeError(`${op}: not supported for bool tensors; convert with .int() or .float() first`);
  }
  const outType: DType = kind === 'bool' ? 'bool' : x.dtype;
  const out = new Tensor(allocateForOutput(outType, x.numel()), x.shape, stridesFor(x.shape, x), 0, outType);
  K.unary(kernel, out, x, p0, p1);
  if (!grad || outType !== 'float32') return out;
  return record(gradName!, out, [x], (g) => [grad(g, x, out)]);
}

const zeroGrad: UnaryGrad = (g) => mul(g, 0);
export const neg = (a: Tensor): Tensor => unaryOp('neg', 'neg', 'same', a, 0, 0, 'NegBackward0', (g) => neg(g));
export const abs = (a: Tensor): Tensor => unaryOp('abs', 'abs', 'same', a, 0, 0, 'AbsBackward0', (g, x) => mul(g, sign(x)));
export const sign = (a: Tensor): Tensor => unaryOp('sign', 'sign', 'same', a, 0, 0, 'SignBackward0', zeroGrad);
export const relu = (a: Tensor): Tensor =>
  unaryOp('relu', 'relu', 'same', a, 0, 0, 'ReluBackward0', (g, _x, out) => thresholdBackward(g, out));

/** g where y > 0, else 0: ReLU's gradient in one kernel, as PyTorch's threshold_backward. */
export function thresholdBackward(g: Tensor, y: Tensor): Tensor {
  return binaryOp('thresholdBackward', 'threshold_backward', 'arith', g, y, undefined, 'ThresholdBackwardBackward0', (gg, _g, yy, _o, needs) => [
    needs[0] ? thresholdBackward(gg, yy!) : null,
    null,
  ]);
}
export const square = (a: Tensor): Tensor =>
  unaryOp('square', 'square', 'same', a, 0, 0, 'PowBackward0', (g, x) => mul(g, mul(x, 2)));
export const exp = (a: Tensor): Tensor => unaryOp('exp', 'exp', 'float', a, 0, 0, 'ExpBackward0', (g, _x, out) => mul(g, out));
export const log = (a: Tensor): Tensor => unaryOp('log', 'log', 'float', a, 0, 0, 'LogBackward0', (g, x) => div(g, x));
export const log1p = (a: Tensor): Tensor =>
  unaryOp('log1p', 'log1p', 'float', a, 0, 0, 'Log1PBackward0', (g, x) => div(g, add(x, 1)));
export const expm1 = (a: Tensor): Tensor =>
  unaryOp('expm1', 'expm1', 'float', a, 0, 0, 'Expm1Backward0', (g, _x, out) => mul(g, add(out, 1)));
export const sqrt = (a: Tensor): Tensor =>
  unaryOp('sqrt', 'sqrt', 'float', a, 0, 0, 'SqrtBackward0', (g, _x, out) => div(g, mul(out, 2)));
export const rsqrt = (a: Tensor): Tensor =>
  unaryOp('rsqrt', 'rsqrt', 'float', a, 0, 0, 'RsqrtBackward0', (g, _x, out) => mul(g, mul(pow(out, 3), -0.5)));
export const sin = (a: Tensor): Tensor => unaryOp('sin', 'sin', 'float', a, 0, 0, 'SinBackward0', (g, x) => mul(g, cos(x)));
export const cos = (a: Tensor): Tensor => unaryOp('cos', 'cos', 'float', a, 0, 0, 'CosBackward0', (g, x) => neg(mul(g, sin(x))));
export const tanh = (a: Tensor): Tensor =>
  unaryOp('tanh', 'tanh', 'float', a, 0, 0, 'TanhBackward0', (g, _x, out) => mul(g, sub(1, square(out))));
export const sigmoid = (a: Tensor): Tensor =>
  unaryOp('sigmoid', 'sigmoid', 'float', a, 0, 0, 'SigmoidBackward0', (g, _x, out) => mul(g, mul(out, sub(1, out))));
export const reciprocal = (a: Tensor): Tensor =>
  unaryOp('reciprocal', 'reciprocal', 'float', a, 0, 0, 'ReciprocalBackward0', (g, _x, out) => neg(mul(g, square(out))));
export const erf = (a: Tensor): Tensor =>
  unaryOp('erf', 'erf', 'float', a, 0, 0, 'ErfBackward0', (g, x) => mul(g, mul(exp(neg(square(x))), 2 / Math.sqrt(Math.PI))));
export const logicalNot = (a: Tensor): Tensor => unaryOp('logicalNot', 'logical_not', 'bool', a);
export const isnan = (a: Tensor): Tensor => unaryOp('isnan', 'isnan', 'bool', a);
// Rounding keeps integer tensors as they are, as PyTorch does; its gradient is zero.
const rounding = (op: string, kernel: UnaryOpName, gradName: string) => (a: Tensor): Tensor =>
  a.dtype === 'float32' ? unaryOp(op, kernel, 'same', a, 0, 0, gradName, zeroGrad) : a.clone();
export const floor = rounding('floor', 'floor', 'FloorBackward0');
export const ceil = rounding('ceil', 'ceil', 'CeilBackward0');
export const round = rounding('round', 'round', 'RoundBackward0');
export const trunc = rounding('trunc', 'trunc', 'TruncBackward0');
/** x for x > 0, else slope * x. */
export const leakyRelu = (a: Tensor, slope = 0.01): Tensor =>
  unaryOp('leakyRelu', 'leaky_relu', 'float', a, slope, 0, 'LeakyReluBackward0', (g, x) =>
    mul(g, where(gt(x, 0), 1, slope)),
  );

function clampBounds(op: string, min: number | null | undefined, max: number | null | undefined): [number, number] {
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  if ((min === null || min === undefined) && (max === null || max === undefined)) {
    throw new TypeError(`${op}: At least one of 'min' or 'max' must not be None`);
  }
  if (typeof lo !== 'number' || typeof hi !== 'number') throw new TypeError(`${op}: expected numbers for 'min' and 'max'`);
  return [lo, hi];
}

/** Limits values to [min, max]; either bound may be null. */
export function clamp(a: Tensor, min?: number | null, max?: number | null): Tensor {
  const [lo, hi] = clampBounds('clamp', min, max);
  if (a.dtype === 'int32' && (!Number.isInteger(lo) || !Number.isInteger(hi)) && (Number.isFinite(lo) || Number.isFinite(hi))) {
    // A fractional bound promotes an integer tensor, as in PyTorch.
    if (!(Number.isInteger(lo) || !Number.isFinite(lo)) || !(Number.isInteger(hi) || !Number.isFinite(hi))) {
      return clamp(cast(a, 'float32'), min, max);
    }
  }
  return unaryOp('clamp', 'clamp', 'same', a, lo, hi, 'ClampBackward1', (g, x) =>
    mul(g, logicalAnd(ge(x, lo), le(x, hi))),
  );
}

/** condition ? a : b elementwise, broadcasting all three; numbers are allowed for a and b. */
export function where(condition: Tensor, a: Tensor | Scalar, b: Tensor | Scalar): Tensor {
  if (!(condition instanceof Tensor)) throw new TypeError("where: expected a Tensor for 'condition'");
  if (condition.dtype !== 'bool') {
    throw new TypeError(`where: expected condition to be a boolean tensor, but got a tensor with dtype ${condition.dtype}`);
  }
  checkOperand('where', a, 'input');
  checkOperand('where', b, 'other');
  let dtype: DType;
  if (a instanceof Tensor && b instanceof Tensor) dtype = promoteTypes(a.dtype, b.dtype);
  else if (a instanceof Tensor) dtype = promoteWithScalar(a.dtype, b as Scalar);
  else if (b instanceof Tensor) dtype = promoteWithScalar(b.dtype, a);
  else dtype = 'float32';
  const asTensor = (v: Tensor | Scalar): Tensor => {
    if (v instanceof Tensor) return cast(v, dtype);
    const t = empty([], dtype);
    t.data[0] = Number(v);
    return t;
  };
  const x = asTensor(a);
  const y = asTensor(b);
  const shape = broadcastShapes('where', broadcastShapes('where', condition.shape, x.shape), y.shape);
  const out = empty(shape, dtype);
  const c = broadcastTo(condition, shape);
  const xe = broadcastTo(x, shape);
  const ye = broadcastTo(y, shape);
  K.where(out, c, xe, ye);
  if (dtype !== 'float32') return out;
  return record('WhereBackward0', out, [xe, ye], (g, needs) => [
    needs[0] ? where(c, g, 0) : null,
    needs[1] ? where(c, 0, g) : null,
  ]);
}

/** Throws PyTorch's errors for writing into x in place: leaves that require grad, and overlapping views. */
export function checkWritable(x: Tensor, op: string): void {
  if (x.requiresGrad && isGradEnabled()) {
    throw new Error(`${op}: a leaf Variable that requires grad is being used in an in-place operation.`);
  }
  for (let d = 0; d < x.shape.length; d++) {
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
function refuseGradOperand(op: string, v: Tensor | Scalar): void {
  if (v instanceof Tensor && v.requiresGrad && isGradEnabled()) {
    throw new Error(`${op}: in-place operations with an operand that requires grad are only supported under noGrad; use the out-of-place op`);
  }
}

/** An operand that may alias x's storage with another layout is cloned first, so reads never see writes. */
function unaliased(x: Tensor, v: Tensor | Scalar): Tensor | Scalar {
  if (v instanceof Tensor && v.data === x.data && (v.offset !== x.offset || !sameShape(v.strides, x.strides))) return v.clone();
  return v;
}

/**
 * Checks and prepares an in-place binary op on x (add_, mul_, ...): x keeps its dtype as in PyTorch, an
 * aliasing operand is cloned, and `run` then writes op(x, b) into x.
 */
export function inplace(x: Tensor, op: string, other: Tensor | Scalar, run: (b: Tensor | Scalar) => void): void {
  checkWritable(x, op);
  checkOperand(op, other, 'other');
  refuseGradOperand(op, other);
  let b = unaliased(x, other);
  const result = b instanceof Tensor ? promoteTypes(x.dtype, b.dtype) : promoteWithScalar(x.dtype, b);
  if ((op === 'div_' || result === 'float32') && x.dtype !== 'float32') {
    throw new TypeError(`${op}: result type Float can't be cast to the desired output type ${x.dtype === 'int32' ? 'Long' : 'Bool'}`);
  }
  if (b instanceof Tensor && b.dtype !== x.dtype) b = cast(b, x.dtype);
  run(b);
}

export function clampInPlace(x: Tensor, min?: number | null, max?: number | null): void {
  checkWritable(x, 'clamp_');
  const [lo, hi] = clampBounds('clamp_', min, max);
  if (x.dtype === 'bool') throw new TypeError('clamp_: not supported for bool tensors');
  K.unary('clamp', x, x, lo, hi);
}

/** Writes src (a tensor broadcast to x's shape, or a number) into x, converting dtype. */
export function copyInto(x: Tensor, op: string, src: Tensor | Scalar): void {
  checkWritable(x, op);
  checkOperand(op, src, 'src');
  refuseGradOperand(op, src);
  if (src instanceof Tensor) {
    K.copy(x, broadcastTo(unaliased(x, src) as Tensor, x.shape));
  } else {
    K.copy(x, scalarOperand(x.dtype, src, x.shape));
  }
}
