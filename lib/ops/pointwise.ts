/**
 * THE POINTWISE OP TABLE. Each op is one entry: its name (the export), its kernel (by default the name in
 * snake_case, one line of the addon's unary or binary op list), its dtype rule, PyTorch's backward node name and
 * its gradient formula, side by side as in PyTorch's derivatives.yaml. From this file come the torch.* functions
 * (lib/index.ts re-exports it), the Tensor methods and their in-place forms (lib/ops/pointwise_methods.ts), the
 * test spellings (test/ops/ops.test.ts) and gradcheck's coverage (test/autograd/gradcheck.test.ts).
 *
 * Adding a unary op: one entry here, one line in the addon's TORCHLET_FLOAT_UNARY_OPS, one line in
 * scripts/gen_fixtures.py's UNARY table (then `npm run fixtures`).
 *
 * Gradients are written with Tensor ops (so they are differentiable themselves) and annotate their return type:
 * the table's types depend on it, and TypeScript cannot infer a type through that cycle.
 */
import { Tensor, emptyTensor } from '../tensor';
import { isFloating, resultType } from '../dtype';
import { checkNumber } from '../validate';
import { record } from '../autograd/record';
import { recordLinearBackward, zeroGrad } from '../autograd/backward_node';
import { noGrad } from '../autograd/grad_mode';
import { binary, boolBinary, boolUnary, internalBinary, predicate, unary, where } from './elementwise';
import type { BinaryFn, UnaryParams } from './elementwise';
import { clampTensors } from './blend';
import { sigmoidBackward, tanhBackward } from './activation';


// ---- unary: float results (integer inputs are converted to the default float dtype) ----------------------------

/** e to the power of each element, as torch.exp. @example torch.exp(torch.tensor([0, 1])) // [1, 2.7183] */
export const exp = unary('exp', { dtype: 'float', backward: 'ExpBackward0', grad: (g, _x, out): Tensor => g.mul(out) });
/**
 * The natural logarithm of each element, as torch.log (NaN below 0, -inf at 0).
 * @example torch.log(torch.tensor([1, Math.E])) // [0, 1]
 */
export const log = unary('log', { dtype: 'float', backward: 'LogBackward0', grad: (g, x): Tensor => g.div(x) });
/** log(1 + x) of each element, accurate near 0, as torch.log1p. @example torch.log1p(torch.tensor([0, 1e-8])) */
export const log1p = unary('log1p', { dtype: 'float', backward: 'Log1PBackward0', grad: (g, x): Tensor => g.div(x.add(1)) });
/** exp(x) - 1 of each element, accurate near 0, as torch.expm1. @example torch.expm1(torch.tensor([0, 1e-8])) */
export const expm1 = unary('expm1', { dtype: 'float', backward: 'Expm1Backward0', grad: (g, _x, out): Tensor => g.mul(out.add(1)) });
/** The square root of each element, as torch.sqrt. @example torch.sqrt(torch.tensor([4, 9])) // [2, 3] */
export const sqrt = unary('sqrt', { dtype: 'float', backward: 'SqrtBackward0', grad: (g, _x, out): Tensor => g.div(out.mul(2)) });
/**
 * The reciprocal of the square root of each element, as torch.rsqrt.
 * @example torch.rsqrt(torch.tensor([4, 16])) // [0.5, 0.25]
 */
export const rsqrt = unary('rsqrt', { dtype: 'float', backward: 'RsqrtBackward0', grad: (g, _x, out): Tensor => g.mul(out.pow(3).mul(-0.5)) });
/** The sine of each element (radians), as torch.sin. @example torch.sin(torch.tensor([0, Math.PI / 2])) // [0, 1] */
export const sin = unary('sin', { dtype: 'float', backward: 'SinBackward0', grad: (g, x): Tensor => g.mul(x.cos()) });
/** The cosine of each element (radians), as torch.cos. @example torch.cos(torch.tensor([0, Math.PI])) // [1, -1] */
export const cos = unary('cos', { dtype: 'float', backward: 'CosBackward0', grad: (g, x): Tensor => g.mul(x.sin()).neg() });
/** The hyperbolic tangent of each element, as torch.tanh. @example torch.tanh(torch.tensor([0, 1])) */
export const tanh = unary('tanh', { dtype: 'float', backward: 'TanhBackward0', grad: (g, _x, out): Tensor => tanhBackward(g, out) });
/**
 * The logistic function 1 / (1 + exp(-x)) of each element, as torch.sigmoid.
 * @example torch.sigmoid(torch.tensor([0])) // [0.5]
 */
export const sigmoid = unary('sigmoid', { dtype: 'float', backward: 'SigmoidBackward0', grad: (g, _x, out): Tensor => sigmoidBackward(g, out) });
/**
 * 1 / x for each element, as torch.reciprocal (integer inputs give floats).
 * @example torch.reciprocal(torch.tensor([2, 4])) // [0.5, 0.25]
 */
export const reciprocal = unary('reciprocal', { dtype: 'float', backward: 'ReciprocalBackward0', grad: (g, _x, out): Tensor => g.mul(out.square()).neg() });
/** The error function of each element, as torch.erf. @example torch.erf(torch.tensor([0, 1])) */
export const erf = unary('erf', { dtype: 'float', backward: 'ErfBackward0', grad: (g, x): Tensor => g.mul(x.square().neg().exp().mul(2 / Math.sqrt(Math.PI))) });
/** The hyperbolic sine of each element, as torch.sinh. @example torch.sinh(torch.tensor([0, 1])) */
export const sinh = unary('sinh', { dtype: 'float', backward: 'SinhBackward0', grad: (g, x): Tensor => g.mul(x.cosh()) });
/** The hyperbolic cosine of each element, as torch.cosh. @example torch.cosh(torch.tensor([0, 1])) */
export const cosh = unary('cosh', { dtype: 'float', backward: 'CoshBackward0', grad: (g, x): Tensor => g.mul(x.sinh()) });
/** The tangent of each element (radians), as torch.tan. @example torch.tan(torch.tensor([0, Math.PI / 4])) // [0, 1] */
export const tan = unary('tan', { dtype: 'float', backward: 'TanBackward0', grad: (g, _x, out): Tensor => g.mul(out.pow(2).add(1)) });
/** The arctangent of each element, as torch.atan. @example torch.atan(torch.tensor([0, 1])) // [0, 0.7854] */
export const atan = unary('atan', { dtype: 'float', backward: 'AtanBackward0', grad: (g, x): Tensor => g.div(x.mul(x).add(1)) });
/** The arcsine of each element (NaN outside [-1, 1]), as torch.asin. @example torch.asin(torch.tensor([0, 1])) // [0, 1.5708] */
export const asin = unary('asin', { dtype: 'float', backward: 'AsinBackward0', grad: (g, x): Tensor => g.mul(x.mul(x).neg().add(1).rsqrt()) });
/** The arccosine of each element (NaN outside [-1, 1]), as torch.acos. @example torch.acos(torch.tensor([1, 0])) // [0, 1.5708] */
export const acos = unary('acos', { dtype: 'float', backward: 'AcosBackward0', grad: (g, x): Tensor => g.mul(x.mul(x).neg().add(1).rsqrt().neg()) });
/** The inverse hyperbolic sine of each element, as torch.asinh. @example torch.asinh(torch.tensor([0, 1])) // [0, 0.8814] */
export const asinh = unary('asinh', { dtype: 'float', backward: 'AsinhBackward0', grad: (g, x): Tensor => g.mul(x.pow(2).add(1).rsqrt()) });
/** The inverse hyperbolic cosine of each element (NaN below 1), as torch.acosh. @example torch.acosh(torch.tensor([1, 2])) // [0, 1.317] */
export const acosh = unary('acosh', { dtype: 'float', backward: 'AcoshBackward0', grad: (g, x): Tensor => g.mul(x.pow(2).sub(1).rsqrt()) });
/**
 * The inverse hyperbolic tangent of each element (+-inf at +-1, NaN beyond), as torch.atanh.
 * @example torch.atanh(torch.tensor([0, 0.5])) // [0, 0.5493]
 */
export const atanh = unary('atanh', { dtype: 'float', backward: 'AtanhBackward0', grad: (g, x): Tensor => g.div(x.pow(2).neg().add(1)) });
/** The base-2 logarithm of each element, as torch.log2. @example torch.log2(torch.tensor([1, 8])) // [0, 3] */
export const log2 = unary('log2', { dtype: 'float', backward: 'Log2Backward0', grad: (g, x): Tensor => g.div(x.mul(Math.LN2)) });
/** The base-10 logarithm of each element, as torch.log10. @example torch.log10(torch.tensor([1, 100])) // [0, 2] */
export const log10 = unary('log10', { dtype: 'float', backward: 'Log10Backward0', grad: (g, x): Tensor => g.div(x.mul(Math.LN10)) });
/** 2 to the power of each element, as torch.exp2. @example torch.exp2(torch.tensor([0, 3])) // [1, 8] */
export const exp2 = unary('exp2', { dtype: 'float', backward: 'Exp2Backward0', grad: (g, _x, out): Tensor => g.mul(out).mul(Math.LN2) });

// ---- unary: the dtype is kept (bool as each op's `bool` says) ----------------------------------------------------

/** PyTorch's refusal of bool operands to `-` (neg, sub). */
const MASK_HINT = 'If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.';

/**
 * -x for each element, as torch.neg (a bool tensor is refused, as in PyTorch).
 * @example torch.neg(torch.tensor([1, -2])) // [-1, 2]
 */
export const neg = unary('neg', {
  dtype: 'same',
  bool: { refuse: `Negation, the \`-\` operator, on a bool tensor is not supported. ${MASK_HINT}` },
  backward: 'NegBackward0',
  grad: (g): Tensor => g.neg(),
});
// grad * sgn(x), with sgn outside the graph: PyTorch's sgn backward is an efficient zero tensor, which stays zero
// through later products and quotients (materialized zeros would make 0 * inf and 0 / 0 NaN in double backward).
/** The absolute value of each element, as torch.abs. @example torch.abs(torch.tensor([-1, 2])) // [1, 2] */
export const abs = unary('abs', { dtype: 'same', torchKernel: 'abs_cpu', backward: 'AbsBackward0', grad: (g, x): Tensor => g.mul(sgnOf(x)) });

/**
 * sign(x) for abs's gradient g * sgn(x), recorded on x as PyTorch records sgn, so that a createGraph gradient of abs
 * requires grad where PyTorch's does. No gradient flows back through it: PyTorch's is an efficient zero tensor,
 * which later ops pass on as exact zeros (0 * inf stays 0, where real zeros would give NaN).
 */
const sgnOf = (x: Tensor): Tensor => record('SgnBackward0', noGrad(() => x.sign()), [x], () => [null]);
/**
 * -1, 0 or 1 by the sign of each element, as torch.sign.
 * @example torch.sign(torch.tensor([-3, 0, 2])) // [-1, 0, 1]
 */
export const sign = unary('sign', { dtype: 'same', bool: 'identity', backward: 'SignBackward0', grad: zeroGrad });
/**
 * x * x; bool gives int32 (PyTorch's pow(x, 2) promotes bool with the integer 2).
 * @example torch.square(torch.tensor([2, -3])) // [4, 9]
 */
export const square = unary('square', { dtype: 'same', bool: 'int', backward: 'PowBackward0', grad: (g, x): Tensor => g.mul(x.mul(2)) });
/** max(x, 0) for each element, as torch.relu. @example torch.relu(torch.tensor([-1, 2])) // [0, 2] */
export const relu = unary('relu', {
  dtype: 'same',
  bool: { refuse: 'Boolean inputs not supported for relu' },
  backward: 'ReluBackward0',
  grad: (g, _x, out): Tensor => thresholdBackward(g, out),
});

/** g where y > 0, else 0: ReLU's gradient in one kernel, as PyTorch's threshold_backward (not a public op). */
const thresholdBackward = internalBinary('thresholdBackward', {
  dtype: 'arith',
  backward: 'ThresholdBackwardBackward0',
  // PyTorch: zeros for y (not an undefined gradient), so an infinite factor further down gives NaN there too.
  grad: (gg, _g, y, _o, needs): (Tensor | null)[] => [needs[0] ? thresholdBackward(gg, y) : null, needs[1] ? zeroGrad(gg) : null],
});

// ---- unary: rounding (integer inputs are returned as they are, bool refused; the gradient is zero) -------------

/**
 * The largest integer not above each element, as torch.floor.
 * @example torch.floor(torch.tensor([1.5, -1.5])) // [1, -2]
 */
export const floor = unary('floor', { dtype: 'rounding', torchKernel: 'floor_vml_cpu', backward: 'FloorBackward0', grad: zeroGrad });
/**
 * The smallest integer not below each element, as torch.ceil.
 * @example torch.ceil(torch.tensor([1.5, -1.5])) // [2, -1]
 */
export const ceil = unary('ceil', { dtype: 'rounding', torchKernel: 'ceil_vml_cpu', backward: 'CeilBackward0', grad: zeroGrad });
/**
 * Each element rounded to the nearest integer, halves to even, as torch.round.
 * @example torch.round(torch.tensor([0.5, 1.5, 2.7])) // [0, 2, 3]
 */
export const round = unary('round', { dtype: 'rounding', torchKernel: 'round_vml_cpu', backward: 'RoundBackward0', grad: zeroGrad });
/** Each element rounded toward zero, as torch.trunc. @example torch.trunc(torch.tensor([1.7, -1.7])) // [1, -1] */
export const trunc = unary('trunc', { dtype: 'rounding', torchKernel: 'trunc_vml_cpu', backward: 'TruncBackward0', grad: zeroGrad });

// ---- unary with parameters ----------------------------------------------------------------------------------

/**
 * Limits values to [min, max]; either bound may be null. The result type counts the bounds as numbers (PyTorch's
 * result_type): a fractional, infinite or NaN bound makes an integer or bool tensor float, an integer bound makes
 * a bool tensor int.
 * @example torch.clamp(torch.tensor([-2, 0.5, 3]), 0, 1) // [0, 0.5, 1]
 */
export const clamp = unary<[min?: number | Tensor | null, max?: number | Tensor | null]>('clamp', {
  dtype: 'same',
  backward: 'ClampBackward1',
  grad: (g, x, _out, lo, hi): Tensor => where(x.ge(lo).logicalAnd(x.le(hi)), g, 0),
  tensorForm: clampTensors,
  params: {
    names: ['min', 'max'],
    parse: (op, x, min, max): UnaryParams => {
      if ((min === null || min === undefined) && (max === null || max === undefined)) {
        throw new TypeError(`${op}: At least one of 'min' or 'max' must not be None`);
      }
      const lo = min === null || min === undefined ? -Infinity : checkNumber(op, 'min', min);
      const hi = max === null || max === undefined ? Infinity : checkNumber(op, 'max', max);
      const t = resultType([x, ...[min, max].filter((v): v is number => v !== null && v !== undefined)]);
      return { p0: lo, p1: hi, x: t === x.dtype ? undefined : x.to(t) };
    },
  },
});

/** x for x > 0, else negativeSlope * x. @example torch.leakyRelu(torch.tensor([-2, 3]), 0.1) // [-0.2, 3] */
export const leakyRelu = unary<[negativeSlope?: number]>('leakyRelu', {
  dtype: 'floating',
  torchKernel: 'leaky_relu_cpu',
  backward: 'LeakyReluBackward0',
  grad: (g, x, _out, slope): Tensor => leakyReluBackward(g, x, slope),
  params: { names: ['negativeSlope'], parse: (op, _x, slope = 0.01): UnaryParams => ({ p0: checkNumber(op, 'negativeSlope', slope), p1: 0 }) },
});

/**
 * leakyRelu's gradient as one node, as PyTorch's leaky_relu_backward: linear in g, and zeros (not an undefined
 * gradient) for x, so an infinite factor further down gives NaN there as in PyTorch.
 */
function leakyReluBackward(g: Tensor, x: Tensor, slope: number): Tensor {
  return recordLinearBackward('LeakyReluBackward0', noGrad(() => where(x.gt(0), g, g.mul(slope))), g, x, (gg) => leakyReluBackward(gg, x, slope));
}

// ---- unary: bool results, no gradient -------------------------------------------------------------------------

/**
 * The logical negation of each element (nonzero is true), a bool tensor, as torch.logical_not.
 * @example torch.logicalNot(torch.tensor([0, 2])) // [true, false]
 */
export const logicalNot = boolUnary('logicalNot', { dtype: 'bool' });
/**
 * Whether each element is NaN (a bool tensor), as torch.isnan.
 * @example torch.isnan(torch.tensor([1, NaN])) // [false, true]
 */
export const isnan = predicate('isnan');

// ---- binary: arithmetic (the scalar form is the same entry, with a number as the second operand) -------------

/** a + alpha * b, broadcasting (one fused multiply-add when alpha != 1). @example torch.tensor([1, 2]).add(1) */
export const add = binary('add', {
  dtype: 'arith',
  bool: 'logical',
  alpha: true,
  backward: 'AddBackward0',
  grad: (g, _x, _y, _o, needs, alpha): (Tensor | null)[] => [g, needs[1] ? (alpha === 1 ? g : g.mul(alpha)) : null],
});
/**
 * a - alpha * b, broadcasting; a may be a number (1 - x). Bool operands are refused, as PyTorch refuses them.
 * @example torch.sub(torch.tensor([5, 5]), 1) // [4, 4]
 */
export const sub = binary('sub', {
  dtype: 'arith',
  check: (op, x, y) => {
    const yBool = y instanceof Tensor ? y.dtype === 'bool' : typeof y === 'boolean';
    if (x.dtype === 'bool' && yBool) {
      throw new TypeError(`${op}: Subtraction, the \`-\` operator, with two bool tensors is not supported. Use the \`^\` or \`logical_xor()\` operator instead.`);
    }
    if (x.dtype === 'bool' || yBool) throw new TypeError(`${op}: Subtraction, the \`-\` operator, with a bool tensor is not supported. ${MASK_HINT}`);
  },
  alpha: true,
  backward: 'SubBackward0',
  grad: (g, _x, _y, _o, needs, alpha): (Tensor | null)[] => [g, needs[1] ? (alpha === 1 ? g.neg() : g.mul(-alpha)) : null],
});
/**
 * The elementwise product, broadcasting, as torch.mul.
 * @example torch.mul(torch.tensor([1, 2]), torch.tensor([3, 4])) // [3, 8]
 */
export const mul = binary('mul', {
  dtype: 'arith',
  bool: 'logical',
  backward: 'MulBackward0',
  grad: (g, x, y, _o, needs): (Tensor | null)[] => [needs[0] ? g.mul(y) : null, needs[1] ? g.mul(x) : null],
});
/**
 * True division: integer inputs give the default float dtype, as torch.div.
 * @example torch.div(torch.tensor([1, 3]), 2) // [0.5, 1.5]
 */
export const div = binary('div', {
  dtype: 'float',
  backward: 'DivBackward0',
  // PyTorch's div_tensor_other_backward: -g * ((x / y) / y), recomputed from x (not the saved output), so that double
  // backward differentiates the same expression.
  grad: (g, x, y, _out, needs): (Tensor | null)[] => [needs[0] ? g.div(y) : null, needs[1] ? g.neg().mul(div(x, y).div(y)) : null],
});
/**
 * x^y elementwise; a number exponent runs PyTorch's exact special cases (x^2, x^0.5, x^-1 ...).
 * @example torch.pow(torch.tensor([2, 3]), 2) // [4, 9]
 */
export const pow = binary('pow', {
  dtype: 'arith',
  torchKernel: 'pow',
  backward: 'PowBackward1',
  // A tensor exponent: the scalar form goes to scalarUnary unless the base is an integer (which has no gradient).
  grad: (g, x, y, out, needs): (Tensor | null)[] => {
    const e = y as Tensor;
    return [
      needs[0] ? where(e.eq(0), 0, g.mul(e.mul(x.pow(e.sub(1))))) : null,
      // d/dy x^y = x^y log x, taken as 0 where x == 0 and y >= 0, as PyTorch does (log of x in the result type).
      needs[1] ? g.mul(where(x.eq(0).logicalAnd(e.ge(0)), 0, out.mul(x.to(out.dtype).log()))) : null,
    ];
  },
  scalarUnary: {
    kernel: 'pow_scalar',
    backward: 'PowBackward0',
    grad: (g, x, _out, p): Tensor => (p === 0 ? zeroGrad(g) : g.mul(x.pow(p - 1).mul(p))),
  },
  check: (op, x, y) => {
    if (typeof y === 'number' && !isFloating(x.dtype) && Number.isInteger(y) && y < 0) {
      throw new RangeError(`${op}: Integers to negative integer powers are not allowed.`);
    }
  },
});
/**
 * Python's modulo: the result takes the divisor's sign.
 * @example torch.remainder(torch.tensor([5, -5]), 3) // [2, 1]
 */
export const remainder = binary('remainder', {
  dtype: 'arith',
  torchKernel: 'remainder_cpu',
  backward: 'RemainderBackward0',
  // PyTorch's div(x, y, rounding_mode='floor'), whose gradient is zero: the quotient is a constant here.
  grad: (g, x, y, _o, needs): (Tensor | null)[] => [g, needs[1] ? g.neg().mul(floorDivide(x, y).detach()) : null],
});
/**
 * Python's //: floor(a / b) as PyTorch's div_floor rounds it. Floating results require grad; backward raises.
 * @example torch.floorDivide(torch.tensor([7, -7]), 2) // [3, -4]
 */
export const floorDivide = binary('floorDivide', { dtype: 'arith', torchKernel: 'div_floor_cpu', noDerivative: 'floor_divide' });

// As PyTorch's maximum/minimum backward: ties send half the gradient to each side, the side that loses the
// comparison gets zero, and both sides get all of it where a NaN makes every comparison false.
const extremeGrad = (pick: (x: Tensor | number, y: Tensor | number) => Tensor) =>
  (g: Tensor, x: Tensor, y: Tensor | number, _o: Tensor, needs: readonly boolean[]): (Tensor | null)[] => {
    const share = where(x.eq(y), g.div(2), g);
    return [needs[0] ? where(pick(y, x), 0, share) : null, needs[1] ? where(pick(x, y), 0, share) : null];
  };
/**
 * The elementwise maximum of two tensors (NaN propagates), as torch.maximum.
 * @example torch.maximum(torch.tensor([1, 5]), torch.tensor([3, 2])) // [3, 5]
 */
export const maximum: BinaryFn = binary('maximum', { dtype: 'arith', bool: 'logical', backward: 'MaximumBackward0', grad: extremeGrad((x, y) => gt(x, y)) });
/**
 * The elementwise minimum of two tensors (NaN propagates), as torch.minimum.
 * @example torch.minimum(torch.tensor([1, 5]), torch.tensor([3, 2])) // [1, 2]
 */
export const minimum: BinaryFn = binary('minimum', { dtype: 'arith', bool: 'logical', backward: 'MinimumBackward0', grad: extremeGrad((x, y) => lt(x, y)) });

// ---- binary: comparisons and logic (bool results, no gradient) ----------------------------------------------

/**
 * Whether each pair of elements is equal (a bool tensor), as torch.eq.
 * @example torch.eq(torch.tensor([1, 2]), 2) // [false, true]
 */
export const eq = boolBinary('eq', { dtype: 'compare' });
/**
 * Whether each pair of elements differs (a bool tensor), as torch.ne.
 * @example torch.ne(torch.tensor([1, 2]), 2) // [true, false]
 */
export const ne = boolBinary('ne', { dtype: 'compare' });
/**
 * Whether each element is less than the other (a bool tensor), as torch.lt.
 * @example torch.lt(torch.tensor([1, 2]), 2) // [true, false]
 */
export const lt = boolBinary('lt', { dtype: 'compare' });
/**
 * Whether each element is at most the other (a bool tensor), as torch.le.
 * @example torch.le(torch.tensor([1, 3]), 2) // [true, false]
 */
export const le = boolBinary('le', { dtype: 'compare' });
/**
 * Whether each element is greater than the other (a bool tensor), as torch.gt.
 * @example torch.gt(torch.tensor([1, 3]), 2) // [false, true]
 */
export const gt = boolBinary('gt', { dtype: 'compare' });
/**
 * Whether each element is at least the other (a bool tensor), as torch.ge.
 * @example torch.ge(torch.tensor([1, 2]), 2) // [false, true]
 */
export const ge = boolBinary('ge', { dtype: 'compare' });
/**
 * Elementwise logical and (nonzero is true), a bool tensor, as torch.logical_and.
 * @example torch.logicalAnd(torch.tensor([1, 1, 0]), torch.tensor([1, 0, 0])) // [true, false, false]
 */
export const logicalAnd = boolBinary('logicalAnd', { dtype: 'logical' });
/**
 * Elementwise logical or (nonzero is true), a bool tensor, as torch.logical_or.
 * @example torch.logicalOr(torch.tensor([1, 0]), torch.tensor([0, 0])) // [true, false]
 */
export const logicalOr = boolBinary('logicalOr', { dtype: 'logical' });
/**
 * Elementwise logical exclusive or (nonzero is true), a bool tensor, as torch.logical_xor.
 * @example torch.logicalXor(torch.tensor([1, 1]), torch.tensor([1, 0])) // [false, true]
 */
export const logicalXor = boolBinary('logicalXor', { dtype: 'logical' });

// ---- aliases ---------------------------------------------------------------------------------------------------

/** PyTorch's other name for clamp. @example torch.clip(torch.tensor([-2, 3]), 0, null) // [0, 3] */
export const clip = clamp;
