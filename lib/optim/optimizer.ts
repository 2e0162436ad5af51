/** The Optimizer base: parameter groups with per-group options, per-parameter state, state dicts. */
import { Tensor } from '../tensor';
import { noGrad } from '../autograd/grad_mode';
import { sameShape, shapeStr } from '../shape';
import { checkOptions, describe } from '../validate';

export type ParamGroup<O> = O & { params: Tensor[] };
export type ParamsArg<O> = readonly Tensor[] | readonly (Partial<O> & { params: readonly Tensor[] })[];

export interface OptimizerStateDict {
  state: Record<number, Record<string, unknown>>;
  paramGroups: Record<string, unknown>[];
}

function isIterable(v: unknown): v is Iterable<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as Iterable<unknown>)[Symbol.iterator] === 'function';
}

/** What a group option must be, after its default: 'a number', 'a boolean', 'an array of 2 numbers'. */
function describeLike(dflt: unknown): string {
  if (Array.isArray(dflt)) return `an array of ${dflt.length} numbers`;
  return typeof dflt === 'object' ? 'an object' : `a ${typeof dflt}`;
}

/**
 * The entries of an options object that are not undefined (an option given as undefined keeps its default).
 * @example definedOptions({ lr: undefined, eps: 1e-8 }) // { eps: 1e-8 }
 */
export function definedOptions<O extends object>(o: O): Partial<O> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<O>;
}

/**
 * Options (those the defaults have; 'params' and others are left alone) must be of their defaults' kinds, as the
 * updates read them: a number, a boolean, an array of as many numbers (betas).
 * @throws TypeError naming the op and the option
 * @example checkOptionKinds('Adam', { lr: 1e-3, betas: [0.9, 0.999] }, { betas: 0.9 }) // throws
 */
export function checkOptionKinds(op: string, defaults: object, given: object): void {
  for (const [k, v] of Object.entries(given)) {
    if (k === 'params' || !Object.prototype.hasOwnProperty.call(defaults, k)) continue;
    const dflt = (defaults as Record<string, unknown>)[k];
    const ok = Array.isArray(dflt)
      ? Array.isArray(v) && v.length === dflt.length && v.every((x) => typeof x === 'number')
      : typeof v === typeof dflt;
    if (!ok) throw new TypeError(`${op}: expected ${describeLike(dflt)} for option '${k}' but received ${describe(v)}`);
  }
}

export abstract class Optimizer<O extends object> {
  readonly defaults: O;
  paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state (momentum buffers, moments, step counts), keyed by the parameter. */
  state = new Map<Tensor, Record<string, unknown>>();

  constructor(params: ParamsArg<O>, defaults: O) {
    const op = new.target.name;
    this.defaults = checkOptions(op, defaults, 'defaults');
    if (params instanceof Tensor || !isIterable(params)) {
      throw new TypeError(`${op}: params argument given to the optimizer should be an iterable of Tensors or dicts, but got ${describe(params)}`);
    }
    const list = [...params] as unknown[];
    if (list.length === 0) throw new RangeError(`${op}: optimizer got an empty parameter list`);
    const groups = list[0] instanceof Tensor ? [{ params: list }] : list;
    for (const g of groups) this.addGroup(op, g);
  }

  /** Adds a group; options it leaves out come from the defaults. */
  addParamGroup(group: Partial<O> & { params: readonly Tensor[] | Tensor }): void {
    this.addGroup(`${this.constructor.name}.addParamGroup`, group);
  }

  private addGroup(op: string, group: unknown): void {
    if (typeof group !== 'object' || group === null || Array.isArray(group) || group instanceof Tensor) {
      throw new TypeError(`${op}: param group must be an object with 'params' but received ${describe(group)}`);
    }
    const given = (group as { params?: unknown }).params;
    if (given === undefined) throw new TypeError(`${op}: param group must have 'params' (a Tensor or an iterable of Tensors)`);
    if (!(given instanceof Tensor) && !isIterable(given)) {
      throw new TypeError(`${op}: expected a Tensor or an iterable of Tensors for a group's 'params' but received ${describe(given)}`);
    }
    const params = given instanceof Tensor ? [given] : [...given];
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    for (const p of params) {
      if (!(p instanceof Tensor)) throw new TypeError(`${op}: optimizer can only optimize Tensors, but one of the params is ${describe(p)}`);
      if (!p.isLeaf) throw new Error(`${op}: can't optimize a non-leaf Tensor`);
      if (seen.has(p)) throw new Error(`${op}: some parameters appear in more than one parameter group`);
      seen.add(p);
    }
    const options = definedOptions(group);
    checkOptionKinds(op, this.defaults, options);
    this.paramGroups.push({ ...this.defaults, ...options, params } as ParamGroup<O>);
  }

  /** Sets every gradient to null (default) or zero. */
  zeroGrad(setToNone = true): void {
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (!p.grad) continue;
        if (setToNone) p.grad = null;
        else noGrad(() => p.grad!.zero_());
      }
    }
  }

  /** One update of every parameter that has a gradient (the others are skipped, their state untouched). */
  step(closure?: () => Tensor): Tensor | undefined {
    if (closure !== undefined && closure !== null && typeof closure !== 'function') {
      throw new TypeError(`${this.constructor.name}.step: expected a function for 'closure' but received ${describe(closure)}`);
    }
    const loss = closure ? closure() : undefined;
    // Every gradient is checked before any parameter moves, so a bad one cannot leave a half-made step.
    let index = 0;
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (p.grad) this.checkGrad(index, p, p.grad);
        index++;
      }
    }
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          if (!p.grad) continue;
          let st = this.state.get(p);
          if (!st) {
            st = {};
            this.state.set(p, st);
          }
          this.update(p, p.grad, st, group);
        }
      }
    });
    return loss;
  }

  /** A parameter's gradient must be a Tensor of its shape and dtype (the update reads it element for element). */
  private checkGrad(index: number, p: Tensor, grad: unknown): void {
    const op = `${this.constructor.name}.step`;
    if (!(grad instanceof Tensor)) throw new TypeError(`${op}: the .grad of parameter ${index} is ${describe(grad)}, not a Tensor`);
    if (!sameShape(grad.shape, p.shape)) {
      throw new RangeError(`${op}: the .grad of parameter ${index} has shape ${shapeStr(grad.shape)} but the parameter has shape ${shapeStr(p.shape)}`);
    }
    if (grad.dtype !== p.dtype) {
      throw new TypeError(`${op}: the .grad of parameter ${index} has dtype ${grad.dtype} but the parameter has dtype ${p.dtype}`);
    }
  }

  /** Updates one parameter in place from its gradient, state and group options. */
  protected abstract update(p: Tensor, grad: Tensor, state: Record<string, unknown>, group: ParamGroup<O>): void;

  /** State and groups with parameters replaced by their position, as PyTorch's optimizer.state_dict(). */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((g) => {
      const { params, ...opts } = g;
      return { ...opts, params: params.map((p) => index.get(p) ?? index.set(p, index.size).get(p)!) };
    });
    const state: Record<number, Record<string, unknown>> = {};
    for (const [p, st] of this.state) {
      const i = index.get(p);
      if (i === undefined) continue;
      state[i] = Object.fromEntries(Object.entries(st).map(([k, v]) => [k, v instanceof Tensor ? v.clone() : v]));
    }
    return { state, paramGroups };
  }

  /**
   * Restores state and group options saved by stateDict(); groups must match in number and size, and every
   * tensor in the state must have its parameter's shape. Everything is checked before anything changes.
   * @throws RangeError for mismatched groups or wrong-shaped state, TypeError for malformed entries
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const op = `${this.constructor.name}.loadStateDict`;
    if (typeof sd !== 'object' || sd === null || !Array.isArray(sd.paramGroups) || typeof sd.state !== 'object' || sd.state === null) {
      throw new TypeError(`${op}: expected { state, paramGroups } but received ${describe(sd)}`);
    }
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new RangeError(`${op}: loaded state dict has a different number of parameter groups`);
    }
    const params: Tensor[] = [];
    const options = sd.paramGroups.map((saved, gi) => {
      const g = this.paramGroups[gi]!;
      if (typeof saved !== 'object' || saved === null || Array.isArray(saved)) {
        throw new TypeError(`${op}: parameter group ${gi} is ${describe(saved)}, not an object`);
      }
      const ids = (saved as { params?: unknown }).params;
      if (!Array.isArray(ids) || !ids.every((id) => Number.isInteger(id) && id >= 0)) {
        throw new TypeError(`${op}: parameter group ${gi} has no list of parameter ids`);
      }
      if (ids.length !== g.params.length) {
        throw new RangeError(`${op}: loaded state dict contains a parameter group that doesn't match the size of optimizer's group`);
      }
      ids.forEach((id: number, k) => {
        if (params[id]) throw new RangeError(`${op}: parameter id ${id} appears more than once in the groups`);
        params[id] = g.params[k]!;
      });
      const { params: _ignored, ...opts } = saved;
      void _ignored;
      checkOptionKinds(op, this.defaults, opts);
      return opts;
    });
    const state = new Map<Tensor, Record<string, unknown>>();
    for (const [id, st] of Object.entries(sd.state)) {
      const p = params[Number(id)];
      if (!p) continue;
      if (typeof st !== 'object' || st === null) throw new TypeError(`${op}: state of parameter ${id} is ${describe(st)}, not an object`);
      const entry: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(st)) {
        if (v instanceof Tensor && !sameShape(v.shape, p.shape)) {
          throw new RangeError(`${op}: state '${k}' of parameter ${id} has shape ${shapeStr(v.shape)} but the parameter has shape ${shapeStr(p.shape)}`);
        }
        // PyTorch casts floating state to its parameter's dtype.
        entry[k] = v instanceof Tensor ? (v.isFloatingPoint() ? v.to(p.dtype) : v).clone() : v;
      }
      state.set(p, entry);
    }
    options.forEach((opts, gi) => Object.assign(this.paramGroups[gi]!, opts));
    this.state = state;
  }
}
