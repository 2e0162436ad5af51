/**
 * Pointwise composites with several tensor operands: clamp's tensor-bound form, lerp, addcmul, addcdiv, outer, and
 * the Tensor.new* constructors.
 */
import { isFloating, resultType } from '../dtype';
import { broadcastShapes } from '../shape';
import { record } from '../autograd/record';
import { noGrad } from '../autograd/grad_mode';
import { Tensor, defineMethods } from '../tensor';
import { checkNumber, checkOperand, checkOptions, checkTensor } from '../validate';
import type { Scalar } from '../validate';
import { cast, where } from './elementwise';
import { empty, full, ones, tensor, zeros } from './creation';
import type { SizeArgs, TensorOptions } from './creation';

/** Sizes then options, as the factories take them (a mutable rest list, as method types need). */
type FactoryArgs = (number | readonly number[] | TensorOptions)[];

/**
 * clamp with tensor bounds (torch.clamp(input, min, max) with Tensor min and/or max, broadcast): NaN in x or a bound
 * gives NaN, and min > max gives max, as PyTorch's kernel. The gradient goes to x inside the bounds, to min where x
 * is below it (and min < max), to max where x is above it (or max < min), as PyTorch's clamp_backward_min_max.
 * Returns null when neither bound is a Tensor (the kernel's scalar form).
 */
export function clampTensors(op: string, x: Tensor, min?: number | Tensor | null, max?: number | Tensor | null): Tensor | null {
  if (!(min instanceof Tensor) && !(max instanceof Tensor)) return null;
  const given = [min, max].filter((b) => b !== null && b !== undefined);
  if (given.some((b) => !(b instanceof Tensor))) {
    throw new TypeError(`${op}: expected min and max to be both Tensors or both numbers, but received ${given.map((b) => (b instanceof Tensor ? 'a Tensor' : typeof b)).join(' and ')}`);
  }
  const lo = min instanceof Tensor ? min : null;
  const hi = max instanceof Tensor ? max : null;
  const dtype = resultType([x, ...(lo ? [lo] : []), ...(hi ? [hi] : [])]);
  let shape = x.shape;
  for (const b of [lo, hi]) if (b) shape = broadcastShapes(op, shape, b.shape);
  const xe = cast(x, dtype).expand(shape);
  const loE = lo && cast(lo, dtype).expand(shape);
  const hiE = hi && cast(hi, dtype).expand(shape);
  const out = noGrad(() => {
    let r = loE ? xe.maximum(loE) : xe;
    if (hiE) r = r.minimum(hiE);
    return r === xe ? xe.clone() : r;
  });
  return record('ClampBackward0', out, [xe, loE, hiE], (g, needs) => {
    const inside = noGrad(() => {
      const above = loE ? xe.ge(loE) : null;
      const below = hiE ? xe.le(hiE) : null;
      return above && below ? above.logicalAnd(below) : (above ?? below)!;
    });
    const lowGrad = loE && noGrad(() => (hiE ? xe.lt(loE).logicalAnd(loE.lt(hiE)) : xe.lt(loE)));
    const highGrad = hiE && noGrad(() => (loE ? xe.gt(hiE).logicalOr(hiE.lt(loE)) : xe.gt(hiE)));
    return [
      needs[0] ? where(inside, g, 0) : null,
      needs[1] && lowGrad ? where(lowGrad, g, 0) : null,
      needs[2] && highGrad ? where(highGrad, g, 0) : null,
    ];
  });
}

/**
 * x + weight * (end - x), as torch.lerp (computed from end's side for |weight| >= 0.5, as PyTorch does, so weight 1
 * gives end exactly); weight is a number or a tensor, all broadcast.
 * @param x the start (floating)
 * @param end the end, of x's dtype
 * @param weight a number, or a tensor of x's dtype
 * @throws TypeError for mixed or integer dtypes
 * @example torch.lerp(a, b, 0.25)
 */
export function lerp(x: Tensor, end: Tensor, weight: number | Tensor): Tensor {
  checkTensor('lerp', 'input', x);
  checkTensor('lerp', 'end', end);
  checkOperand('lerp', 'weight', weight);
  if (!isFloating(x.dtype)) throw new TypeError(`lerp: "lerp_kernel_scalar" not implemented for '${x.dtype}'`);
  const name = (d: string): string => ({ float32: 'float', float64: 'double' })[d] ?? d;
  if (end.dtype !== x.dtype) throw new TypeError(`lerp: expected dtype ${name(x.dtype)} for \`end\` but got dtype ${name(end.dtype)}`);
  if (weight instanceof Tensor && weight.dtype !== x.dtype) throw new TypeError(`lerp: expected dtype ${name(x.dtype)} for \`weight\` but got dtype ${name(weight.dtype)}`);
  broadcastShapes('lerp', broadcastShapes('lerp', x.shape, end.shape), weight instanceof Tensor ? weight.shape : []);
  const diff = end.sub(x);
  const w = typeof weight === 'number' ? checkNumber('lerp', 'weight', weight) : weight;
  if (typeof w === 'number') return Math.abs(w) < 0.5 ? x.add(diff.mul(w)) : end.sub(diff.mul(1 - w));
  return where(w.abs().lt(0.5), x.add(diff.mul(w)), end.sub(diff.mul(w.neg().add(1))));
}

/** The options of addcmul and addcdiv: PyTorch's value keyword. | */
export interface ValueOptions {
  /** The factor of the product or quotient (default 1). */
  value?: number;
}

function valueOf(op: string, options: ValueOptions | undefined): number {
  const o = checkOptions(op, options);
  return o.value === undefined ? 1 : checkNumber(op, 'value', o.value);
}

/**
 * x + value * tensor1 * tensor2, broadcast, as torch.addcmul.
 * @param x the input
 * @param tensor1 the first factor
 * @param tensor2 the second factor
 * @param options value (default 1)
 * @example torch.addcmul(x, a, b, { value: 0.5 })
 */
export function addcmul(x: Tensor, tensor1: Tensor, tensor2: Tensor, options?: ValueOptions): Tensor {
  checkTensor('addcmul', 'input', x);
  checkTensor('addcmul', 'tensor1', tensor1);
  checkTensor('addcmul', 'tensor2', tensor2);
  const v = valueOf('addcmul', options);
  const p = tensor1.mul(tensor2);
  return x.add(v === 1 ? p : p.mul(v));
}

/**
 * x + value * tensor1 / tensor2, broadcast, as torch.addcdiv.
 * @param x the input
 * @param tensor1 the numerator
 * @param tensor2 the denominator
 * @param options value (default 1)
 * @throws TypeError when both tensor1 and tensor2 are integer, as PyTorch refuses them
 * @example torch.addcdiv(p, m, v.sqrt().add(1e-8), { value: -lr })
 */
export function addcdiv(x: Tensor, tensor1: Tensor, tensor2: Tensor, options?: ValueOptions): Tensor {
  checkTensor('addcdiv', 'input', x);
  checkTensor('addcdiv', 'tensor1', tensor1);
  checkTensor('addcdiv', 'tensor2', tensor2);
  if (!isFloating(tensor1.dtype) && !isFloating(tensor2.dtype)) {
    throw new TypeError(
      'addcdiv: Integer division with addcdiv is no longer supported, and in a future release addcdiv will perform a true division of tensor1 and tensor2. ' +
        'The historic addcdiv behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as ' +
        '(input + value * tensor1 / tensor2) for float inputs. The future addcdiv behavior is just the latter implementation: (input + value * tensor1 / tensor2), for all dtypes.',
    );
  }
  const v = valueOf('addcdiv', options);
  const q = tensor1.div(tensor2);
  return x.add(v === 1 ? q : q.mul(v));
}

/**
 * The outer product of two 1-D tensors, a[i] * b[j] (with PyTorch's type promotion), as torch.outer (PyTorch's
 * a.reshape(-1, 1) * b: differentiable in both).
 * @throws RangeError when either is not 1-D
 * @example torch.outer(torch.tensor([1, 2]), torch.tensor([3, 4])) // [[3, 4], [6, 8]]
 */
export function outer(a: Tensor, b: Tensor): Tensor {
  checkTensor('outer', 'input', a);
  checkTensor('outer', 'vec2', b);
  if (a.dim() !== 1) throw new RangeError(`outer: Expected 1-D argument self, but got ${a.dim()}-D`);
  if (b.dim() !== 1) throw new RangeError(`outer: Expected 1-D argument vec2, but got ${b.dim()}-D`);
  return a.reshape([-1, 1]).mul(b);
}

/** Factory options with the dtype defaulting to self's, as Tensor.new_*. */
function like(self: Tensor, args: readonly unknown[]): unknown[] {
  const last = args[args.length - 1];
  const isOptions = last !== null && typeof last === 'object' && !Array.isArray(last) && !(last instanceof Tensor);
  const o = (isOptions ? last : {}) as TensorOptions;
  return [...(isOptions ? args.slice(0, -1) : args), { dtype: self.dtype, ...o }];
}

declare module '../tensor' {
  interface Tensor {
    /**
     * this + weight * (end - this), as Tensor.lerp.
     * @example torch.zeros(2).lerp(torch.ones(2), 0.25) // [0.25, 0.25]
     */
    lerp(end: Tensor, weight: number | Tensor): Tensor;
    /**
     * this + value * tensor1 * tensor2, as Tensor.addcmul.
     * @example torch.ones(2).addcmul(torch.tensor([2, 3]), torch.tensor([4, 5]), { value: 0.5 }) // [5, 8.5]
     */
    addcmul(tensor1: Tensor, tensor2: Tensor, options?: ValueOptions): Tensor;
    /**
     * this + value * tensor1 / tensor2, as Tensor.addcdiv.
     * @example torch.zeros(2).addcdiv(torch.tensor([1, 3]), torch.tensor([2, 4])) // [0.5, 0.75]
     */
    addcdiv(tensor1: Tensor, tensor2: Tensor, options?: ValueOptions): Tensor;
    /**
     * The outer product with the 1-D vec2, as Tensor.outer; see torch.outer.
     * @example torch.tensor([1, 2]).outer(torch.tensor([3, 4])) // [[3, 4], [6, 8]]
     */
    outer(vec2: Tensor): Tensor;
    /**
     * Zeros of the given size with this tensor's dtype unless options give one, as Tensor.new_zeros.
     * @example torch.ones(1, { dtype: 'float64' }).newZeros(2, 3).dtype // 'float64'
     */
    newZeros(...args: FactoryArgs): Tensor;
    /**
     * Ones with this tensor's dtype (unless options give one), as Tensor.new_ones.
     * @example torch.zeros(1).newOnes([2]) // [1, 1]
     */
    newOnes(...args: FactoryArgs): Tensor;
    /**
     * An uninitialized tensor with this tensor's dtype (unless options give one), as Tensor.new_empty.
     * @example torch.zeros(1).newEmpty(4).shape // [4]
     */
    newEmpty(...args: FactoryArgs): Tensor;
    /**
     * A tensor of value with this tensor's dtype (unless options give one), as Tensor.new_full.
     * @example torch.zeros(1).newFull([2], 3) // [3, 3]
     */
    newFull(size: readonly number[], value: Scalar, options?: TensorOptions): Tensor;
    /**
     * A tensor of data with this tensor's dtype unless options give one, as Tensor.new_tensor.
     * @example torch.zeros(1, { dtype: 'float64' }).newTensor([1, 2]).dtype // 'float64'
     */
    newTensor(data: Parameters<typeof tensor>[0], options?: TensorOptions): Tensor;
  }
}

defineMethods({
  lerp(this: Tensor, end: Tensor, weight: number | Tensor) {
    return lerp(this, end, weight);
  },
  addcmul(this: Tensor, tensor1: Tensor, tensor2: Tensor, options?: ValueOptions) {
    return addcmul(this, tensor1, tensor2, options);
  },
  addcdiv(this: Tensor, tensor1: Tensor, tensor2: Tensor, options?: ValueOptions) {
    return addcdiv(this, tensor1, tensor2, options);
  },
  outer(this: Tensor, vec2: Tensor) {
    return outer(this, vec2);
  },
  newZeros(this: Tensor, ...args: FactoryArgs) {
    return zeros(...(like(this, args) as SizeArgs<TensorOptions>));
  },
  newOnes(this: Tensor, ...args: FactoryArgs) {
    return ones(...(like(this, args) as SizeArgs<TensorOptions>));
  },
  newEmpty(this: Tensor, ...args: FactoryArgs) {
    return empty(...(like(this, args) as SizeArgs<TensorOptions>));
  },
  newFull(this: Tensor, size: readonly number[], value: Scalar, options?: TensorOptions) {
    return full(size, value, { dtype: this.dtype, ...checkOptions('newFull', options) });
  },
  newTensor(this: Tensor, data: Parameters<typeof tensor>[0], options?: TensorOptions) {
    const t = tensor(data instanceof Tensor ? data.detach() : data, { dtype: this.dtype, ...checkOptions('newTensor', options) });
    return t;
  },
});
