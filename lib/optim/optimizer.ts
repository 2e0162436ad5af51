/** The Optimizer base: parameter groups with per-group options, per-parameter state, state dicts. */
import { Tensor } from '../tensor';
import { noGrad } from '../autograd/grad_mode';
import { sameShape, shapeStr } from '../shape';
import { checkOptions, describe } from '../validate';

export type ParamGroup<O> = O & { params: Tensor[] };
export type ParamsArg<O> = readonly Tensor[] | readonly (Partial<O> & { params: readonly Tensor[] })[];

/**
 * An optimizer's state dict in PyTorch's layout and names, so it saves to a .pt file that PyTorch's
 * optimizer.load_state_dict takes, and PyTorch's loads here: per-parameter state keyed by the parameter's position
 * (`{ 0: { exp_avg, exp_avg_sq, step } }`) and the groups' options with `params` as positions.
 */
export interface OptimizerStateDict {
  state: Record<number, Record<string, unknown>>;
  param_groups: Record<string, unknown>[];
}

/** The layout stateDict() returned before it took PyTorch's names (camelCase keys, paramGroups); loadStateDict reads it. */
export interface CamelOptimizerStateDict {
  state: Record<number, Record<string, unknown>>;
  paramGroups: Record<string, unknown>[];
}

/** A camelCase name as PyTorch spells it: weightDecay -> weight_decay. */
export function snakeCase(k: string): string {
  return k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** A PyTorch name as torchlet spells it: exp_avg_sq -> expAvgSq (a leading underscore stays). */
export function camelCase(k: string): string {
  return k.replace(/(?<=[^_])_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
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

  /**
   * State and groups with parameters replaced by their position, as PyTorch's optimizer.state_dict(), in PyTorch's
   * names (param_groups, weight_decay, exp_avg, momentum_buffer...), so `torch.save({ opt: opt.stateDict() }, 'ckpt.pt')`
   * writes what PyTorch writes. Tensors are copies.
   * @example torch.save({ model: model.stateDict(), opt: opt.stateDict(), epoch }, 'ckpt.pt')
   */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const groups = this.paramGroups.map((g) => {
      const { params, ...opts } = g;
      const named = Object.fromEntries(Object.entries(opts).map(([k, v]) => [snakeCase(k), Array.isArray(v) ? [...v] : v]));
      return { ...named, params: params.map((p) => index.get(p) ?? index.set(p, index.size).get(p)!) };
    });
    const state: Record<number, Record<string, unknown>> = {};
    for (const [p, st] of this.state) {
      const i = index.get(p);
      if (i === undefined) continue;
      state[i] = Object.fromEntries(Object.entries(st).map(([k, v]) => [snakeCase(k), v instanceof Tensor ? v.clone() : v]));
    }
    return { state, param_groups: groups };
  }

  /**
   * Restores state and group options saved by stateDict(), or by PyTorch's optimizer.state_dict() (loaded with
   * torch.load: PyTorch's names become torchlet's, a one-element step tensor a number); groups must match in number
   * and size, and every tensor in the state must have its parameter's shape. Everything is checked before anything
   * changes.
   * @throws RangeError for mismatched groups or wrong-shaped state, TypeError for malformed entries
   * @example opt.loadStateDict((torch.load('ckpt.pt') as { opt: OptimizerStateDict }).opt)
   */
  loadStateDict(sd: OptimizerStateDict | CamelOptimizerStateDict): void {
    const op = `${this.constructor.name}.loadStateDict`;
    const savedGroups = typeof sd === 'object' && sd !== null ? ('param_groups' in sd ? sd.param_groups : (sd as CamelOptimizerStateDict).paramGroups) : undefined;
    if (!Array.isArray(savedGroups) || typeof sd.state !== 'object' || sd.state === null) {
      throw new TypeError(`${op}: expected { state, param_groups } but received ${describe(sd)}`);
    }
    if (savedGroups.length !== this.paramGroups.length) {
      throw new RangeError(`${op}: loaded state dict has a different number of parameter groups`);
    }
    const params: Tensor[] = [];
    const options = savedGroups.map((saved, gi) => {
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
      const { params: _ignored, ...named } = saved;
      void _ignored;
      const opts = Object.fromEntries(Object.entries(named).map(([k, v]) => [camelCase(k), Array.isArray(v) ? [...(v as unknown[])] : v]));
      checkOptionKinds(op, this.defaults, opts);
      return opts;
    });
    const state = new Map<Tensor, Record<string, unknown>>();
    for (const [id, st] of Object.entries(sd.state)) {
      const p = params[Number(id)];
      if (!p) continue;
      if (typeof st !== 'object' || st === null) throw new TypeError(`${op}: state of parameter ${id} is ${describe(st)}, not an object`);
      const entry: Record<string, unknown> = {};
      for (const [name, v] of Object.entries(st)) {
        const k = camelCase(name);
        // PyTorch 1.13 keeps Adam's, RMSprop's and Adagrad's step count as a one-element tensor; torchlet as a number.
        if (k === 'step' && v instanceof Tensor) {
          if (v.numel() !== 1) throw new RangeError(`${op}: state 'step' of parameter ${id} has ${v.numel()} elements, not one`);
          entry[k] = Number(v.item());
          continue;
        }
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
