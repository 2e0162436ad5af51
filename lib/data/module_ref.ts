/**
 * Module references: how a dataset, a collate function or a worker init function reaches a worker thread.
 * Functions and class instances do not cross threads, so a worker loads them itself: `require(module)`, takes the
 * export `exportName` (default: the `default` export, else the module itself) and, for a dataset, constructs it
 * with `args` (which must survive structured cloning: numbers, strings, arrays, plain objects, typed arrays).
 */
import { Dataset, IterableDataset } from './dataset';
import type { AnyDataset } from './dataset';
import { describe } from '../validate';

/** A module path, an export of it and (for datasets) constructor arguments. */
export interface ModuleRef {
  /** An absolute path (use require.resolve) or a package name. */
  readonly module: string;
  /** The export to use; default: `default`, else the whole module. */
  readonly exportName?: string;
  /** Constructor arguments (datasets only). */
  readonly args?: readonly unknown[];
}

/** Whether v is a module reference ({ module: string, ... }). */
export function isModuleRef(v: unknown): v is ModuleRef {
  return v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype && typeof (v as Partial<ModuleRef>).module === 'string';
}

/**
 * A dataset that DataLoader workers construct for themselves: `new (require(module)[exportName])(...args)`.
 * @example new data.DataLoader(data.workerDataset(require.resolve('./images'), 'Images', '/data/train'), { numWorkers: 2 })
 */
export function workerDataset(module: string, exportName?: string, ...args: unknown[]): ModuleRef {
  if (typeof module !== 'string') throw new TypeError(`workerDataset: expected a module path for 'module' but received ${describe(module)}`);
  if (exportName !== undefined && typeof exportName !== 'string') {
    throw new TypeError(`workerDataset: expected a string for 'exportName' but received ${describe(exportName)}`);
  }
  return { module, exportName, args };
}

/** The export a reference names. */
export function loadExport(op: string, name: string, ref: ModuleRef): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(ref.module) as Record<string, unknown>;
  const v = ref.exportName === undefined ? (mod.default ?? mod) : mod[ref.exportName];
  if (v === undefined) throw new TypeError(`${op}: the module '${ref.module}' given for '${name}' has no export '${ref.exportName ?? 'default'}'`);
  return v;
}

/** The function a reference names. */
export function loadFunction(op: string, name: string, ref: ModuleRef): (...a: unknown[]) => unknown {
  const f = loadExport(op, name, ref);
  if (typeof f !== 'function') throw new TypeError(`${op}: expected '${name}' to name a function but '${ref.exportName ?? 'default'}' of '${ref.module}' is ${describe(f)}`);
  return f as (...a: unknown[]) => unknown;
}

/** The dataset a reference names: a class constructed with args, or a factory function called with them. */
export function loadDataset(op: string, ref: ModuleRef): AnyDataset<unknown> {
  const C = loadFunction(op, 'dataset', ref) as unknown as { new (...a: unknown[]): unknown; (...a: unknown[]): unknown; prototype?: unknown };
  const args = ref.args ?? [];
  const ds = C.prototype !== undefined ? new C(...args) : C(...args);
  if (!(ds instanceof Dataset) && !(ds instanceof IterableDataset)) {
    throw new TypeError(`${op}: the dataset module '${ref.module}' made ${describe(ds)}, not a Dataset or IterableDataset`);
  }
  return ds;
}
