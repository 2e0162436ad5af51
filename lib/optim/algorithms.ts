/**
 * SGD, Adam, AdamW, RMSprop and Adagrad: PyTorch 1.13's single-tensor updates, op for op, in place under noGrad.
 */
import type { Tensor } from '../tensor';
import { isFloating } from '../dtype';
import * as K from '../backend/kernels';
import type { FloatStorage } from '../backend/kernels';
import { zerosLike, fullLike } from '../ops/creation';
import { Optimizer, checkOptionKinds, definedOptions } from './optimizer';
import { checkOptions } from '../validate';
import type { ParamGroup, ParamsArg } from './optimizer';

// PyTorch's pointwise kernels evaluate value * t1 * t2 and value * t1 / t2 left to right; the same order here
// keeps trajectories within rounding of PyTorch's.
/** t += value * a * b (torch addcmul_) */
function addcmul_(t: Tensor, a: Tensor, b: Tensor, value = 1): void {
  t.add_((value === 1 ? a : a.mul(value)).mul(b));
}
/** t += value * a / b (torch addcdiv_) */
function addcdiv_(t: Tensor, a: Tensor, b: Tensor, value = 1): void {
  t.add_((value === 1 ? a : a.mul(value)).div(b));
}

/** The defaults overridden by the given options, each of its default's kind. */
function withDefaults<O extends object>(opt: string, defaults: O, given: Partial<O> | undefined): O {
  const o = definedOptions(checkOptions(opt, given));
  checkOptionKinds(opt, defaults, o);
  return { ...defaults, ...o };
}

function checkNonNegative(opt: string, name: string, v: number): void {
  if (!(v >= 0)) throw new RangeError(`${opt}: Invalid ${name}: ${v}`);
}

/** The options of SGD, as torch.optim.SGD's keywords (camelCased). | */
export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

/**
 * Stochastic gradient descent with momentum, dampening, Nesterov, weight decay and maximize.
 * @example const opt = new optim.SGD(new nn.Linear(2, 1).parameters(), { lr: 0.1, momentum: 0.9 })
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsArg<SGDOptions>, options: Partial<SGDOptions> & { lr: number }) {
    if (checkOptions('SGD', options).lr === undefined) throw new TypeError("SGD: parameter group didn't specify a value of required optimization parameter lr");
    const o = withDefaults<SGDOptions>('SGD', { lr: 0, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false }, options);
    checkNonNegative('SGD', 'learning rate', o.lr);
    checkNonNegative('SGD', 'momentum value', o.momentum);
    checkNonNegative('SGD', 'weight_decay value', o.weightDecay);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) throw new RangeError('SGD: Nesterov momentum requires a momentum and zero dampening');
    super(params, o);
  }

  protected update(p: Tensor, grad: Tensor, st: Record<string, unknown>, g: ParamGroup<SGDOptions>): void {
    let d = g.maximize ? grad.neg() : grad;
    if (g.weightDecay !== 0) d = d.add(p, g.weightDecay);
    if (g.momentum !== 0) {
      let buf = st.momentumBuffer as Tensor | undefined;
      if (!buf) {
        buf = d.clone();
        st.momentumBuffer = buf;
      } else {
        buf.mul_(g.momentum).add_(d, 1 - g.dampening);
      }
      d = g.nesterov ? d.add(buf, g.momentum) : buf;
    }
    p.add_(d, -g.lr);
  }
}

/** The options of Adam and AdamW, as torch.optim.Adam's keywords (camelCased). | */
export interface AdamOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

function checkAdam(name: string, o: AdamOptions): void {
  checkNonNegative(name, 'learning rate', o.lr);
  checkNonNegative(name, 'epsilon value', o.eps);
  checkNonNegative(name, 'weight_decay value', o.weightDecay);
  o.betas.forEach((b, i) => {
    if (!(b >= 0 && b < 1)) throw new RangeError(`${name}: Invalid beta parameter at index ${i}: ${b}`);
  });
}

/** A contiguous floating tensor's elements as one typed array over its storage, or null (then the op path runs). */
function flat(t: Tensor, like: Tensor): FloatStorage | null {
  if (!isFloating(t.dtype) || t.dtype !== like.dtype || !t.isContiguous()) return null;
  return K.denseFloat(t);
}

/**
 * Adam and AdamW: one fused native pass when parameter and gradient are contiguous (the usual case), else the same
 * float operations as tensor ops. Both give PyTorch's bits (test/optim/optim.test.ts compares them).
 */
function adam(p: Tensor, grad: Tensor, st: Record<string, unknown>, g: AdamOptions, decoupled: boolean, fused = true): void {
  if (st.expAvg === undefined) {
    st.step = 0;
    st.expAvg = zerosLike(p);
    st.expAvgSq = zerosLike(p);
    if (g.amsgrad) st.maxExpAvgSq = zerosLike(p);
  }
  const pf = fused ? flat(p, p) : null;
  const gf = pf ? flat(grad, p) : null;
  if (pf && gf) {
    const step = (st.step as number) + 1;
    st.step = step;
    const vmax = g.amsgrad ? flat(st.maxExpAvgSq as Tensor, p) : null;
    K.adamStep(pf, gf, flat(st.expAvg as Tensor, p)!, flat(st.expAvgSq as Tensor, p)!, vmax, {
      lr: g.lr, beta1: g.betas[0], beta2: g.betas[1], eps: g.eps, weightDecay: g.weightDecay, step,
      amsgrad: g.amsgrad, maximize: g.maximize, decoupled,
    });
    return;
  }
  if (decoupled) p.mul_(1 - g.lr * g.weightDecay);
  adamStep(p, grad, st, g, decoupled ? 0 : g.weightDecay);
}

/** The Adam step as tensor ops (AdamW's decoupled decay is applied before it). */
function adamStep(p: Tensor, grad: Tensor, st: Record<string, unknown>, g: AdamOptions, l2: number): void {
  let d = g.maximize ? grad.neg() : grad;
  if (l2 !== 0) d = d.add(p, l2);
  let m = st.expAvg as Tensor | undefined;
  let v = st.expAvgSq as Tensor | undefined;
  if (!m || !v) {
    st.step = 0;
    m = st.expAvg = zerosLike(p);
    v = st.expAvgSq = zerosLike(p);
    if (g.amsgrad) st.maxExpAvgSq = zerosLike(p);
  }
  const step = (st.step as number) + 1;
  st.step = step;
  const [beta1, beta2] = g.betas;
  // m = lerp(m, g, 1 - beta1); v = v * beta2 + (1 - beta2) g^2
  m.add_(d.sub(m), 1 - beta1);
  addcmul_(v.mul_(beta2), d, d, 1 - beta2);
  const bc1 = 1 - beta1 ** step;
  const bc2 = 1 - beta2 ** step;
  const stepSize = g.lr / bc1;
  let second = v;
  if (g.amsgrad) {
    const vmax = st.maxExpAvgSq as Tensor;
    vmax.copy_(vmax.maximum(v));
    second = vmax;
  }
  // eps is added after dividing by sqrt(bias_correction2), as in PyTorch.
  const denom = second.sqrt().div(Math.sqrt(bc2)).add(g.eps);
  addcdiv_(p, m, denom, -stepSize);
}

/**
 * Adam, with amsgrad, L2 weight decay and maximize.
 * @example const opt = new optim.Adam(new nn.Linear(2, 1).parameters(), { lr: 1e-3 })
 */
export class Adam extends Optimizer<AdamOptions> {
  constructor(params: ParamsArg<AdamOptions>, options: Partial<AdamOptions> = {}) {
    const o = withDefaults<AdamOptions>('Adam', { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false }, options);
    checkAdam('Adam', o);
    super(params, o);
  }
  /** Set false to run the tensor-op path instead of the fused kernel (for tests). */
  fused = true;
  protected update(p: Tensor, grad: Tensor, st: Record<string, unknown>, g: ParamGroup<AdamOptions>): void {
    adam(p, grad, st, g, false, this.fused);
  }
}

/**
 * Adam with decoupled weight decay (default 1e-2): p *= 1 - lr * weightDecay before the step.
 * @example const opt = new optim.AdamW(new nn.Linear(2, 1).parameters(), { lr: 1e-3, weightDecay: 0.01 })
 */
export class AdamW extends Optimizer<AdamOptions> {
  constructor(params: ParamsArg<AdamOptions>, options: Partial<AdamOptions> = {}) {
    const o = withDefaults<AdamOptions>('AdamW', { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false }, options);
    checkAdam('AdamW', o);
    super(params, o);
  }
  /** Set false to run the tensor-op path instead of the fused kernel (for tests). */
  fused = true;
  protected update(p: Tensor, grad: Tensor, st: Record<string, unknown>, g: ParamGroup<AdamOptions>): void {
    adam(p, grad, st, g, true, this.fused);
  }
}

/** The options of RMSprop, as torch.optim.RMSprop's keywords (camelCased). | */
export interface RMSpropOptions {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
  maximize: boolean;
}

/**
 * RMSprop, as torch.optim.RMSprop: steps scaled by a running mean of squared gradients (optionally centered, with
 * momentum).
 * @example const opt = new optim.RMSprop(new nn.Linear(2, 1).parameters(), { lr: 0.01 })
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: ParamsArg<RMSpropOptions>, options: Partial<RMSpropOptions> = {}) {
    const o = withDefaults<RMSpropOptions>('RMSprop', { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false }, options);
    checkNonNegative('RMSprop', 'learning rate', o.lr);
    checkNonNegative('RMSprop', 'epsilon value', o.eps);
    checkNonNegative('RMSprop', 'momentum value', o.momentum);
    checkNonNegative('RMSprop', 'weight_decay value', o.weightDecay);
    checkNonNegative('RMSprop', 'alpha value', o.alpha);
    super(params, o);
  }
  protected update(p: Tensor, grad: Tensor, st: Record<string, unknown>, g: ParamGroup<RMSpropOptions>): void {
    let d = g.maximize ? grad.neg() : grad;
    if (g.weightDecay !== 0) d = d.add(p, g.weightDecay);
    if (st.squareAvg === undefined) {
      st.step = 0;
      st.squareAvg = zerosLike(p);
      if (g.momentum > 0) st.momentumBuffer = zerosLike(p);
      if (g.centered) st.gradAvg = zerosLike(p);
    }
    st.step = (st.step as number) + 1;
    const sq = st.squareAvg as Tensor;
    addcmul_(sq.mul_(g.alpha), d, d, 1 - g.alpha);
    let avg: Tensor;
    if (g.centered) {
      const ga = st.gradAvg as Tensor;
      ga.mul_(g.alpha).add_(d, 1 - g.alpha);
      avg = sq.add(ga.mul(-1).mul(ga)).sqrt();
    } else {
      avg = sq.sqrt();
    }
    avg = avg.add(g.eps);
    if (g.momentum > 0) {
      const buf = st.momentumBuffer as Tensor;
      addcdiv_(buf.mul_(g.momentum), d, avg);
      p.add_(buf, -g.lr);
    } else {
      addcdiv_(p, d, avg, -g.lr);
    }
  }
}

/** The options of Adagrad, as torch.optim.Adagrad's keywords (camelCased). | */
export interface AdagradOptions {
  lr: number;
  lrDecay: number;
  weightDecay: number;
  initialAccumulatorValue: number;
  eps: number;
  maximize: boolean;
}

/**
 * Adagrad, as torch.optim.Adagrad: steps scaled by the root of the sum of squared gradients so far.
 * @example const opt = new optim.Adagrad(new nn.Linear(2, 1).parameters(), { lr: 0.01 })
 */
export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: ParamsArg<AdagradOptions>, options: Partial<AdagradOptions> = {}) {
    const o = withDefaults<AdagradOptions>('Adagrad', { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false }, options);
    checkNonNegative('Adagrad', 'learning rate', o.lr);
    checkNonNegative('Adagrad', 'lr_decay value', o.lrDecay);
    checkNonNegative('Adagrad', 'weight_decay value', o.weightDecay);
    checkNonNegative('Adagrad', 'initial_accumulator_value', o.initialAccumulatorValue);
    checkNonNegative('Adagrad', 'epsilon value', o.eps);
    super(params, o);
    // As in PyTorch, Adagrad creates every parameter's state up front.
    for (const group of this.paramGroups) {
      for (const p of group.params) this.state.set(p, { step: 0, sum: fullLike(p, group.initialAccumulatorValue) });
    }
  }
  protected update(p: Tensor, grad: Tensor, st: Record<string, unknown>, g: ParamGroup<AdagradOptions>): void {
    const step = (st.step as number) + 1;
    st.step = step;
    let d = g.maximize ? grad.neg() : grad;
    if (g.weightDecay !== 0) d = d.add(p, g.weightDecay);
    const clr = g.lr / (1 + (step - 1) * g.lrDecay);
    const sum = st.sum as Tensor;
    addcmul_(sum, d, d);
    addcdiv_(p, d, sum.sqrt().add(g.eps), -clr);
  }
}
