/** The Optimizer base: parameter groups with per-group options, per-parameter state, state dicts. */
import { Tensor } from '../tensor';
import { noGrad } from '../autograd/grad_mode';

export type ParamGroup<O> = O & { params: Tensor[] };
export type ParamsArg<O> = readonly Tensor[] | readonly (Partial<O> & { params: readonly Tensor[] })[];

export interface OptimizerStateDict {
  state: Record<number, Record<string, unknown>>;
  paramGroups: Record<string, unknown>[];
}

export abstract class Optimizer<O extends object> {
  readonly defaults: O;
  paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state (momentum buffers, moments, step counts), keyed by the parameter. */
  state = new Map<Tensor, Record<string, unknown>>();

  constructor(params: ParamsArg<O>, defaults: O) {
    this.defaults = defaults;
    const list = [...params] as unknown[];
    if (list.length === 0) throw new RangeError('optimizer got an empty parameter list');
    const groups = (list[0] instanceof Tensor ? [{ params: list as Tensor[] }] : list) as (Partial<O> & { params: readonly Tensor[] })[];
    for (const g of groups) this.addParamGroup(g);
  }

  /** Adds a group; options it leaves out come from the defaults. */
  addParamGroup(group: Partial<O> & { params: readonly Tensor[] | Tensor }): void {
    const params = group.params instanceof Tensor ? [group.params] : [...group.params];
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    for (const p of params) {
      if (!(p instanceof Tensor)) throw new TypeError(`optimizer can only optimize Tensors, but one of the params is ${typeof p}`);
      if (!p.isLeaf) throw new Error("can't optimize a non-leaf Tensor");
      if (seen.has(p)) throw new Error('some parameters appear in more than one parameter group');
    }
    this.paramGroups.push({ ...this.defaults, ...group, params } as ParamGroup<O>);
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
    const loss = closure ? closure() : undefined;
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

  /** Restores state and group options saved by stateDict(); groups must match in number and size. */
  loadStateDict(sd: OptimizerStateDict): void {
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new RangeError('loaded state dict has a different number of parameter groups');
    }
    const params: Tensor[] = [];
    sd.paramGroups.forEach((saved, gi) => {
      const g = this.paramGroups[gi]!;
      const ids = saved.params as number[];
      if (ids.length !== g.params.length) {
        throw new RangeError("loaded state dict contains a parameter group that doesn't match the size of optimizer's group");
      }
      ids.forEach((id, k) => (params[id] = g.params[k]!));
      const { params: _ignored, ...opts } = saved;
      void _ignored;
      Object.assign(g, opts);
    });
    this.state = new Map();
    for (const [id, st] of Object.entries(sd.state)) {
      const p = params[Number(id)];
      if (!p) continue;
      this.state.set(p, Object.fromEntries(Object.entries(st).map(([k, v]) => [k, v instanceof Tensor ? v.clone() : v])));
    }
  }
}
