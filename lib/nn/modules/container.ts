/** Containers: Sequential, ModuleList and ModuleDict (torch/nn/modules/container.py). */
import type { Tensor } from '../../tensor';
import { describe } from '../../validate';
import { Module } from './module';

function checkModule(where: string, m: unknown): asserts m is Module {
  if (!(m instanceof Module)) throw new TypeError(`${where}: expected a Module but received ${describe(m)}`);
}

/** Runs its modules in order, feeding each the previous one's output. */
export class Sequential extends Module {
  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => {
      checkModule('Sequential', m);
      this.registerModule(String(i), m);
    });
  }
  get length(): number {
    return this.children().length;
  }
  at(i: number): Module {
    const mods = [...this.namedChildrenAll()];
    const m = mods[i < 0 ? i + mods.length : i];
    if (!m) throw new RangeError(`Sequential: index ${i} is out of range`);
    return m;
  }
  private *namedChildrenAll(): Generator<Module> {
    for (const [, m] of this.namedChildren()) yield m;
  }
  append(m: Module): this {
    checkModule('Sequential.append', m);
    this.registerModule(String(this.children().length), m);
    return this;
  }
  forward(input: Tensor): Tensor {
    let x: unknown = input;
    for (const m of this.children()) x = (m.forward as (a: unknown) => unknown)(x);
    return x as Tensor;
  }
}

/** A list of modules, registered as children '0', '1', ... */
export class ModuleList extends Module {
  constructor(modules: readonly Module[] = []) {
    super();
    for (const m of modules) this.append(m);
  }
  get length(): number {
    return this.children().length;
  }
  at(i: number): Module {
    const mods = this.children();
    const m = mods[i < 0 ? i + mods.length : i];
    if (!m) throw new RangeError(`ModuleList: index ${i} is out of range`);
    return m;
  }
  append(m: Module): this {
    checkModule('ModuleList.append', m);
    this.registerModule(String(this.children().length), m);
    return this;
  }
  [Symbol.iterator](): Iterator<Module> {
    return this.children()[Symbol.iterator]();
  }
  forward(): never {
    throw new Error('ModuleList is not callable: iterate over it in your forward()');
  }
}

/** Modules by name, in insertion order. */
export class ModuleDict extends Module {
  constructor(modules: Record<string, Module> = {}) {
    super();
    for (const [k, m] of Object.entries(modules)) this.set(k, m);
  }
  get(key: string): Module | undefined {
    return this.namedChildrenMap().get(key);
  }
  set(key: string, m: Module): this {
    checkModule('ModuleDict.set', m);
    this.registerModule(key, m);
    return this;
  }
  has(key: string): boolean {
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
