/** Containers: Sequential, ModuleList and ModuleDict (torch/nn/modules/container.py). */
import type { Tensor } from '../../tensor';
import { checkInt, describe } from '../../validate';
import { Module } from './module';

function checkModule(where: string, m: unknown): asserts m is Module {
  if (!(m instanceof Module)) throw new TypeError(`${where}: expected a Module but received ${describe(m)}`);
}

function checkKey(where: string, key: unknown): asserts key is string {
  if (typeof key !== 'string') throw new TypeError(`${where}: module name should be a string. Got ${key === null ? 'null' : typeof key}`);
}

/** The module type of a container made from M (an empty one, `new ModuleList([])`, holds any Module). */
type Member<M extends Module> = [M] extends [never] ? Module : M;

/**
 * Runs its modules in order, feeding each the previous one's output. T is the tuple of the constructor's
 * arguments, so `new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU())` holds Linear | ReLU, which at(i) and
 * iteration give (and append takes).
 * @example const mlp = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 2))
 *   mlp.forward(torch.randn(3, 4)).shape // [3, 2]
 */
export class Sequential<T extends readonly Module[] = Module[]> extends Module {
  constructor(...modules: T) {
    super();
    modules.forEach((m, i) => {
      checkModule('Sequential', m);
      this.registerModule(String(i), m);
    });
  }
  get length(): number {
    return this.children().length;
  }
  at(i: number): Member<T[number]> {
    checkInt('Sequential.at', 'idx', i);
    const mods = [...this.namedChildrenAll()];
    const m = mods[i < 0 ? i + mods.length : i];
    if (!m) throw new RangeError(`Sequential: index ${i} is out of range`);
    return m;
  }
  private *namedChildrenAll(): Generator<Member<T[number]>> {
    // Only append() and the constructor register children, and both take this type.
    for (const [, m] of this.namedChildren()) yield m as Member<T[number]>;
  }
  append(m: Member<T[number]>): this {
    checkModule('Sequential.append', m);
    this.registerModule(String(this.children().length), m);
    return this;
  }
  [Symbol.iterator](): IterableIterator<Member<T[number]>> {
    return this.namedChildrenAll();
  }
  forward(input: Tensor): Tensor {
    let x: unknown = input;
    for (const m of this.children()) x = m.forward(x);
    return x as Tensor;
  }
}

/**
 * A list of modules, registered as children '0', '1', ... M is the type of its modules (inferred from the
 * constructor's argument: `new nn.ModuleList([new Block(), new Block()])` holds Blocks), which at(i) and iteration
 * give, so `for (const b of this.blocks) x = b.forward(x)` is typed by Block.forward.
 * @example const layers = new nn.ModuleList([new nn.Linear(2, 2), new nn.Linear(2, 2)]);
 *   layers.parameters().length // 4
 */
export class ModuleList<M extends Module = Module> extends Module {
  constructor(modules: Iterable<M> = []) {
    super();
    if (modules === null || typeof (modules as Partial<Iterable<Module>>)[Symbol.iterator] !== 'function' || typeof modules === 'string') {
      throw new TypeError(`ModuleList: expected an iterable of Modules for 'modules' but received ${describe(modules)}`);
    }
    for (const m of modules) this.append(m);
  }
  get length(): number {
    return this.children().length;
  }
  at(i: number): Member<M> {
    checkInt('ModuleList.at', 'idx', i);
    const mods = this.members();
    const m = mods[i < 0 ? i + mods.length : i];
    if (!m) throw new RangeError(`ModuleList: index ${i} is out of range`);
    return m;
  }
  append(m: Member<M>): this {
    checkModule('ModuleList.append', m);
    this.registerModule(String(this.children().length), m);
    return this;
  }
  [Symbol.iterator](): IterableIterator<Member<M>> {
    return this.members()[Symbol.iterator]();
  }
  /** The children, which only append() registers, so all are of its type. */
  private members(): Member<M>[] {
    return this.children() as Member<M>[];
  }
  forward(): never {
    throw new Error('ModuleList is not callable: iterate over it in your forward()');
  }
}

/**
 * Modules by name, in insertion order.
 * @example const heads = new nn.ModuleDict({ a: new nn.Linear(2, 1), b: new nn.Linear(2, 3) });
 *   heads.children().length // 2
 */
export class ModuleDict extends Module {
  constructor(modules: Record<string, Module> = {}) {
    super();
    if (modules === null || typeof modules !== 'object' || Array.isArray(modules) || modules instanceof Module) {
      throw new TypeError(`ModuleDict: expected an object of named Modules for 'modules' but received ${describe(modules)}`);
    }
    for (const [k, m] of Object.entries(modules)) this.set(k, m);
  }
  get(key: string): Module | undefined {
    checkKey('ModuleDict.get', key);
    return this.namedChildrenMap().get(key);
  }
  set(key: string, m: Module): this {
    checkKey('ModuleDict.set', key);
    checkModule('ModuleDict.set', m);
    this.registerModule(key, m);
    return this;
  }
  has(key: string): boolean {
    checkKey('ModuleDict.has', key);
    return this.namedChildrenMap().has(key);
  }
  keys(): string[] {
    return [...this.namedChildrenMap().keys()];
  }
  private namedChildrenMap(): Map<string, Module> {
    return new Map(this.namedChildren());
  }
  forward(): never {
    throw new Error('ModuleDict is not callable: index it in your forward()');
  }
}
