/**
 * nn.Module: ordered registries of parameters, buffers and child modules, filled by plain property assignment
 * as in PyTorch's Module.__setattr__ (a Proxy intercepts the assignments), and one traversal for every helper.
 */
import { Tensor, assignData } from '../../tensor';
import type { DTypeLike } from '../../dtype';
import { checkDType, info, isFloating } from '../../dtype';
import { noGrad } from '../../autograd/grad_mode';
import { shapeStr, sameShape } from '../../shape';
import { Parameter } from '../parameter';
import { checkBool, checkWritable, describe } from '../../validate';

/**
 * The name of a parameter, buffer or child module: a non-empty string without '.', in PyTorch's words.
 * @throws TypeError for a name that is not a string; RangeError for '' or a name with '.'
 */
function checkMemberName(op: string, kind: string, name: unknown): asserts name is string {
  if (typeof name !== 'string') throw new TypeError(`${op}: ${kind} name should be a string. Got ${describe(name)}`);
  if (name === '') throw new RangeError(`${op}: ${kind} name can't be empty string ""`);
  if (name.includes('.')) throw new RangeError(`${op}: ${kind} name can't contain ".", got "${name}"`);
}

/** A key prefix (namedModules, namedParameters, stateDict): a string. */
function checkPrefix(op: string, prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string') throw new TypeError(`${op}: expected a string for 'prefix' but received ${describe(prefix)}`);
}

/** PyTorch's name for a value's type in assignment errors ('torchlet.FloatTensor', 'number', ...). */
function typeName(v: unknown): string {
  if (v instanceof Tensor) return `torchlet.${info(v.dtype).tensorType}`;
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}

/** Result of loadStateDict(sd, false). */
export interface IncompatibleKeys {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** A module's state: parameter and persistent buffer names (dotted paths) to tensors, in registration order. | */
export type StateDict = Map<string, Tensor>;

// Registries live under symbols so they never clash with user attribute names.
const PARAMS = Symbol('parameters');
const BUFFERS = Symbol('buffers');
const NON_PERSISTENT = Symbol('nonPersistent');
const MODULES = Symbol('modules');

/**
 * The base class of every layer and model, as torch.nn.Module: a subclass defines forward, and the parameters, buffers
 * and submodules it assigns to fields are registered (so parameters(), stateDict(), train() and the rest reach them).
 * @example class Net extends nn.Module {
 *     fc = new nn.Linear(4, 2);
 *     forward(x: Tensor) { return this.fc.forward(x).relu(); }
 *   }
 *   new Net().forward(torch.randn(3, 4)).shape // [3, 2]
 */
export abstract class Module {
  /** Whether the module is in training mode (Dropout and BatchNorm read it). */
  training = true;
  [PARAMS] = new Map<string, Parameter | null>();
  [BUFFERS] = new Map<string, Tensor | null>();
  [NON_PERSISTENT] = new Set<string>();
  [MODULES] = new Map<string, Module | null>();

  constructor() {
    // Subclass constructors run with `this` bound to this proxy, so `this.fc = new Linear(...)` registers.
    return new Proxy(this, {
      set: (target, name, value, receiver) => {
        if (typeof name === 'symbol') return Reflect.set(target, name, value, receiver);
        target.setAttribute(name, value);
        return true;
      },
      defineProperty: (target, name, desc) => {
        if (typeof name === 'symbol' || !('value' in desc)) return Reflect.defineProperty(target, name, desc);
        target.setAttribute(name, desc.value);
        return true;
      },
      deleteProperty: (target, name) => {
        if (typeof name === 'string') {
          target[PARAMS].delete(name);
          target[BUFFERS].delete(name);
          target[MODULES].delete(name);
        }
        return Reflect.deleteProperty(target, name);
      },
    });
  }

  /**
   * Runs the module. Subclasses define it with their own parameters and result; call it directly:
   * `model.forward(x)`. Through the base type (a Module of unknown kind) it takes any arguments and returns any,
   * as PyTorch types `Module.forward` and `__call__` (`Callable[..., Any]`): a subclass's own signature, or a
   * ModuleList/Sequential typed by its modules, gives the precise types.
   * @example new nn.Linear(3, 1).forward(torch.ones(2, 3)).shape // [2, 1]
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  abstract forward(...inputs: any[]): any;

  private plain(name: string, value: unknown): void {
    Reflect.defineProperty(this, name, { value, writable: true, enumerable: true, configurable: true });
  }

  /** PyTorch's Module.__setattr__ rules, applied to every property assignment. */
  private setAttribute(name: string, value: unknown): void {
    const params = this[PARAMS];
    const buffers = this[BUFFERS];
    const modules = this[MODULES];
    if (value instanceof Parameter) {
      buffers.delete(name);
      modules.delete(name);
      this.registerParameter(name, value);
      return;
    }
    if (params.has(name)) {
      if (value !== null && value !== undefined) {
        throw new TypeError(`cannot assign '${typeName(value)}' as parameter '${name}' (torchlet.nn.Parameter or null expected)`);
      }
      this.registerParameter(name, null);
      return;
    }
    if (value instanceof Module) {
      params.delete(name);
      buffers.delete(name);
      this.registerModule(name, value);
      return;
    }
    if (modules.has(name)) {
      if (value !== null && value !== undefined) {
        throw new TypeError(`cannot assign '${typeName(value)}' as child module '${name}' (torchlet.nn.Module or null expected)`);
      }
      modules.set(name, null);
      this.plain(name, null);
      return;
    }
    if (buffers.has(name)) {
      if (value !== null && value !== undefined && !(value instanceof Tensor)) {
        throw new TypeError(`cannot assign '${typeName(value)}' as buffer '${name}' (torchlet.Tensor or null expected)`);
      }
      buffers.set(name, (value as Tensor | null | undefined) ?? null);
      this.plain(name, value ?? null);
      return;
    }
    this.plain(name, value);
  }

  /**
   * Registers a parameter (or null, which keeps the name registered without a value).
   * @throws TypeError for values that are not Parameters
   * @example const m = new nn.Identity(); m.registerParameter('scale', new nn.Parameter(torch.ones(1)));
   *   m.parameters().length
   *   // 1
   */
  registerParameter(name: string, param: Parameter | null): void {
    checkMemberName('registerParameter', 'parameter', name);
    if (param !== null && !(param instanceof Parameter)) {
      throw new TypeError(`registerParameter: cannot assign '${typeName(param)}' object to parameter '${name}' (torchlet.nn.Parameter or null required)`);
    }
    if (param && param.gradFn) {
      throw new Error(
        `Cannot assign non-leaf Tensor to parameter '${name}'. Model parameters must be created explicitly. To express '${name}' ` +
          'as a function of another Tensor, compute the value in the forward() method.',
      );
    }
    this[PARAMS].set(name, param);
    this.plain(name, param);
  }

  /**
   * Registers a buffer: state that is not trained (running statistics); persistent ones go into stateDict.
   * @example const m = new nn.Identity(); m.registerBuffer('steps', torch.zeros(1)); [...m.stateDict().keys()]
   *   // ['steps']
   */
  registerBuffer(name: string, tensor: Tensor | null, persistent = true): void {
    checkMemberName('registerBuffer', 'buffer', name);
    checkBool('registerBuffer', 'persistent', persistent, true);
    if (tensor !== null && !(tensor instanceof Tensor)) {
      throw new TypeError(`registerBuffer: cannot assign '${typeName(tensor)}' object to buffer '${name}' (torchlet.Tensor or null required)`);
    }
    this[PARAMS].delete(name);
    this[MODULES].delete(name);
    this[BUFFERS].set(name, tensor);
    if (persistent) this[NON_PERSISTENT].delete(name);
    else this[NON_PERSISTENT].add(name);
    this.plain(name, tensor);
  }

  /**
   * Registers a child module under name.
   * @example const m = new nn.Sequential(); m.registerModule('fc', new nn.Linear(2, 2)); m.children().length // 1
   */
  registerModule(name: string, module: Module | null): void {
    checkMemberName('registerModule', 'module', name);
    if (module !== null && !(module instanceof Module)) throw new TypeError(`${typeName(module)} is not a Module subclass`);
    this[MODULES].set(name, module);
    this.plain(name, module);
  }
  /**
   * The same as registerModule, as Module.add_module.
   * @example const m = new nn.Sequential(); m.addModule('act', new nn.ReLU()); [...m.namedChildren()][0][0] // 'act'
   */
  addModule(name: string, module: Module | null): void {
    this.registerModule(name, module);
  }

  /**
   * (prefix, module) pairs in pre-order, each module once (PyTorch's named_modules).
   * @example [...new nn.Sequential(new nn.Linear(2, 2)).namedModules()].map(([n]) => n) // ['', '0']
   */
  namedModules(prefix = '', memo = new Set<Module>()): Generator<[string, Module]> {
    checkPrefix('namedModules', prefix);
    if (!(memo instanceof Set)) throw new TypeError(`namedModules: expected a Set for 'memo' but received ${describe(memo)}`);
    // Checked here, eagerly: a generator's body would run (and check) only at the first next().
    return walkModules(this, prefix, memo);
  }
  /**
   * This module and every module below it, in pre-order, each once, as Module.modules.
   * @example new nn.Sequential(new nn.Linear(2, 2), new nn.ReLU()).modules().length // 3
   */
  modules(): Module[] {
    return [...this.namedModules()].map(([, m]) => m);
  }
  /**
   * (name, module) pairs of the direct submodules, each once, as Module.named_children.
   * @example [...new nn.Sequential(new nn.ReLU()).namedChildren()] // [['0', ReLU]]
   */
  *namedChildren(): Generator<[string, Module]> {
    const seen = new Set<Module>();
    for (const [name, child] of this[MODULES]) {
      if (child && !seen.has(child)) {
        seen.add(child);
        yield [name, child];
      }
    }
  }
  /**
   * The direct submodules, each once, as Module.children.
   * @example new nn.Sequential(new nn.Linear(2, 2), new nn.ReLU()).children().length // 2
   */
  children(): Module[] {
    return [...this.namedChildren()].map(([, m]) => m);
  }

  /**
   * (name, parameter) pairs: modules in pre-order, registration order, each parameter once.
   * @example new nn.Linear(2, 1).namedParameters().map(([n]) => n) // ['weight', 'bias']
   */
  namedParameters(prefix = '', recurse = true, removeDuplicate = true): [string, Parameter][] {
    const op = 'namedParameters';
    checkPrefix(op, prefix);
    return namedMembers(this, (m) => m[PARAMS], prefix, checkBool(op, 'recurse', recurse, true), checkBool(op, 'removeDuplicate', removeDuplicate, true));
  }
  /**
   * The parameters of this module and (with recurse, the default) its submodules, each once, as Module.parameters.
   * @example new optim.SGD(new nn.Linear(2, 1).parameters(), { lr: 0.1 })
   */
  parameters(recurse = true): Parameter[] {
    return this.namedParameters('', recurse).map(([, p]) => p);
  }
  /**
   * (name, buffer) pairs of this module and (with recurse) its submodules, as Module.named_buffers.
   * @example new nn.BatchNorm1d(3).namedBuffers().map(([n]) => n)
   *   // ['running_mean', 'running_var', 'num_batches_tracked']
   */
  namedBuffers(prefix = '', recurse = true): [string, Tensor][] {
    checkPrefix('namedBuffers', prefix);
    return namedMembers(this, (m) => m[BUFFERS], prefix, checkBool('namedBuffers', 'recurse', recurse, true), true);
  }
  /**
   * The buffers of this module and (with recurse, the default) its submodules, as Module.buffers.
   * @example new nn.BatchNorm1d(3).buffers().length // 3
   */
  buffers(recurse = true): Tensor[] {
    return this.namedBuffers('', recurse).map(([, b]) => b);
  }

  /**
   * Parameters and persistent buffers under dotted keys, not deduplicated, values detached (sharing storage).
   * @example torch.save(new nn.Linear(2, 1).stateDict(), '/tmp/linear.pt')
   */
  stateDict(prefix = ''): StateDict {
    checkPrefix('stateDict', prefix);
    const out: StateDict = new Map();
    const walk = (m: Module, p: string): void => {
      for (const [name, v] of m[PARAMS]) if (v) out.set(p + name, v.detach());
      for (const [name, v] of m[BUFFERS]) if (v && !m[NON_PERSISTENT].has(name)) out.set(p + name, v.detach());
      for (const [name, child] of m[MODULES]) if (child) walk(child, `${p}${name}.`);
    };
    walk(this, prefix);
    return out;
  }

  /**
   * Copies values from a state dict into this module's parameters and buffers (under noGrad).
   * @param strict throw on missing or unexpected keys (PyTorch's messages); otherwise return them
   * @throws Error listing size mismatches, then missing and unexpected keys
   * @example const a = new nn.Linear(2, 1), b = new nn.Linear(2, 1); b.loadStateDict(a.stateDict())
   */
  loadStateDict(stateDict: StateDict | Record<string, Tensor>, strict = true): IncompatibleKeys {
    const proto = stateDict !== null && typeof stateDict === 'object' ? Object.getPrototypeOf(stateDict) : undefined;
    if (!(stateDict instanceof Map) && proto !== Object.prototype && proto !== null) {
      throw new TypeError(`loadStateDict: Expected state_dict to be dict-like (a Map or a plain object), got ${describe(stateDict)}.`);
    }
    strict = checkBool('loadStateDict', 'strict', strict, true);
    const sd = stateDict instanceof Map ? stateDict : new Map(Object.entries(stateDict));
    const own = this.stateDict();
    const missingKeys = [...own.keys()].filter((k) => !sd.has(k));
    const unexpectedKeys = [...sd.keys()].filter((k) => !own.has(k));
    const errors: string[] = [];
    // Every value is checked and converted to its target's dtype before anything is copied: a failure leaves the
    // module as it was, never half loaded.
    const ready: [Tensor, Tensor][] = [];
    for (const [key, target] of own) {
      if (!sd.has(key)) continue;
      const src: unknown = sd.get(key);
      if (!(src instanceof Tensor)) {
        errors.push(`While copying the parameter named "${key}", expected torchlet.Tensor or Tensor-like object from checkpoint but received ${typeName(src)}`);
      } else if (!sameShape(src.shape, target.shape)) {
        errors.push(
          `size mismatch for ${key}: copying a param with shape ${torchSize(src.shape)} from checkpoint, the shape in current model is ${torchSize(target.shape)}.`,
        );
      } else {
        try {
          noGrad(() => checkWritable(target, 'loadStateDict'));
          ready.push([target, noGrad(() => src.to(target.dtype))]);
        } catch (e) {
          errors.push(`While copying the parameter named "${key}", whose dimensions in the model are ${torchSize(target.shape)} and whose dimensions in the checkpoint are ${torchSize(src.shape)}, an exception occurred : ${(e as Error).message}.`);
        }
      }
    }
    if (strict) {
      if (unexpectedKeys.length) errors.unshift(`Unexpected key(s) in state_dict: ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}. `);
      if (missingKeys.length) errors.unshift(`Missing key(s) in state_dict: ${missingKeys.map((k) => `"${k}"`).join(', ')}. `);
    }
    if (errors.length) {
      throw new Error(`Error(s) in loading state_dict for ${this.constructor.name}:\n\t${errors.join('\n\t')}`);
    }
    noGrad(() => {
      for (const [target, src] of ready) target.copy_(src);
    });
    return { missingKeys, unexpectedKeys };
  }

  /**
   * Sets training mode here and in every descendant.
   * @example const m = new nn.Dropout(0.5).train(); m.training // true
   */
  train(mode = true): this {
    mode = checkBool('train', 'mode', mode, true);
    for (const m of this.modules()) m.training = mode;
    return this;
  }
  /**
   * train(false): Dropout passes inputs through and BatchNorm uses its running statistics, as Module.eval.
   * @example const m = new nn.Dropout(0.5).eval(); m.forward(torch.ones(2)) // [1, 1]
   */
  eval(): this {
    return this.train(false);
  }

  /**
   * Converts every floating parameter, gradient and buffer to a floating dtype, in place: the Parameter objects stay
   * the same (an optimizer built earlier keeps working), as Module.to(dtype).
   * @throws TypeError for a dtype that is not floating point
   * @example model.to('float64')
   */
  to(dtype: DTypeLike): this {
    const d = checkDType('Module.to', dtype);
    if (!isFloating(d)) throw new TypeError(`Module.to: nn.Module.to only accepts floating point dtypes, but got desired dtype=${d}`);
    noGrad(() => {
      for (const m of this.modules()) {
        for (const p of m[PARAMS].values()) {
          if (!p || !isFloating(p.dtype)) continue;
          assignData(p, p.detach().to(d));
          if (p.grad && isFloating(p.grad.dtype)) p.grad = p.grad.to(d);
        }
        for (const [name, b] of m[BUFFERS]) {
          if (b && isFloating(b.dtype)) m.registerBuffer(name, b.to(d), !m[NON_PERSISTENT].has(name));
        }
      }
    });
    return this;
  }
  /**
   * Converts floating parameters and buffers to float64, as Module.double().
   * @example new nn.Linear(2, 1).double().weight.dtype // 'float64'
   */
  double(): this {
    return this.to('float64');
  }
  /**
   * Converts floating parameters and buffers to float32, as Module.float().
   * @example new nn.Linear(2, 1).double().float().weight.dtype // 'float32'
   */
  float(): this {
    return this.to('float32');
  }

  /**
   * Clears parameter gradients (to null by default, as PyTorch 2.x).
   * @example const m = new nn.Linear(2, 1); m.forward(torch.ones(1, 2)).sum().backward(); m.zeroGrad(); m.weight.grad
   *   // null
   */
  zeroGrad(setToNone = true): void {
    for (const p of this.parameters()) {
      if (!p.grad) continue;
      if (setToNone) p.grad = null;
      else noGrad(() => p.grad!.zero_());
    }
  }

  /**
   * Moves every parameter, gradient and buffer to shared memory in place (Tensor.shareMemory_), as
   * Module.share_memory: the module's state dict can then be posted to worker threads without a copy, and a worker
   * that trains it updates the memory this thread reads (see torchlet.threads).
   * @example model.shareMemory(); model.parameters()[0].isShared() // true
   */
  shareMemory(): this {
    for (const p of this.parameters()) {
      p.shareMemory_();
      p.grad?.shareMemory_();
    }
    for (const b of this.buffers()) b.shareMemory_();
    return this;
  }

  /**
   * Sets requiresGrad on every parameter.
   * @example const m = new nn.Linear(2, 1).requiresGrad_(false); m.weight.requiresGrad // false
   */
  requiresGrad_(requiresGrad = true): this {
    for (const p of this.parameters()) p.requiresGrad_(requiresGrad);
    return this;
  }

  /**
   * Calls fn on every descendant (children first) and on this module, as Module.apply.
   * @example new nn.Sequential(new nn.Linear(2, 2))
   *     .apply((m) => { if (m instanceof nn.Linear) nn.init.zeros_(m.weight); })
   */
  apply(fn: (m: Module) => void): this {
    if (typeof fn !== 'function') throw new TypeError(`apply: expected a function for 'fn' but received ${describe(fn)}`);
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  /**
   * The text inside the parentheses of this module's printout, e.g. 'in_features=1, out_features=1, bias=True'.
   * @example new nn.Linear(2, 1).extraRepr() // 'in_features=2, out_features=1, bias=True'
   */
  extraRepr(): string {
    return '';
  }

  /**
   * The module tree, printed like PyTorch.
   * @example String(new nn.Linear(2, 1)) // 'Linear(in_features=2, out_features=1, bias=True)'
   */
  toString(): string {
    const lines: string[] = [];
    const extra = this.extraRepr();
    if (extra) lines.push(...extra.split('\n'));
    for (const [name, child] of this[MODULES]) {
      const text = child ? child.toString() : 'None';
      lines.push(`(${name}): ${text.split('\n').join('\n  ')}`);
    }
    const name = this.constructor.name;
    if (lines.length === 0) return `${name}()`;
    if (this[MODULES].size === 0 && lines.length === 1) return `${name}(${lines[0]})`;
    return `${name}(\n  ${lines.join('\n  ')}\n)`;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

function torchSize(shape: readonly number[]): string {
  return `torch.Size(${shapeStr(shape)})`;
}

/**
 * (name, value) pairs of one registry (parameters or buffers) over a module, or over its tree in pre-order, each
 * value once when dedupe.
 */
function namedMembers<T>(root: Module, registry: (m: Module) => Map<string, T | null>, prefix: string, recurse: boolean, dedupe: boolean): [string, T][] {
  const seen = new Set<T>();
  const out: [string, T][] = [];
  const mods: [string, Module][] = recurse ? [...root.namedModules(prefix)] : [[prefix, root]];
  for (const [mp, m] of mods) {
    for (const [name, v] of registry(m)) {
      if (v === null || v === undefined) continue;
      if (dedupe && seen.has(v)) continue;
      seen.add(v);
      out.push([mp ? `${mp}.${name}` : name, v]);
    }
  }
  return out;
}

/** namedModules' walk, after its checks: (prefix, module) pairs in pre-order, skipping modules already in memo. */
function* walkModules(m: Module, prefix: string, memo: Set<Module>): Generator<[string, Module]> {
  if (memo.has(m)) return;
  memo.add(m);
  yield [prefix, m];
  for (const [name, child] of m[MODULES]) {
    if (child) yield* walkModules(child, prefix ? `${prefix}.${name}` : name, memo);
  }
}
