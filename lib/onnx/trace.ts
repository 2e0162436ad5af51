/**
 * Tracing one forward pass. For the length of that pass only, every Tensor method and every function the op
 * modules export (torch.*, nn.functional.*) is replaced by a wrapper; the originals are put back afterwards, so
 * nothing costs anything when no export is running. A call made from user code (nesting depth 0) runs the op,
 * then its converter (lib/onnx/symbolic.ts) writes the ONNX nodes for it; the calls the op makes inside run
 * untraced. An op with no converter is refused by name.
 *
 * The wrappers work because lib/ compiles to CommonJS: a call into another module reads the function from that
 * module's exports object, where the wrapper sits. Calls inside one file bypass it; they happen inside an op that
 * is already traced, and the hook in lib/autograd/record.ts refuses any primitive that ran outside every traced op,
 * so nothing reaches the graph untraced (or is baked into it as a constant) without an error.
 */
import { Tensor } from '../tensor';
import { setTraceHook } from '../autograd/record';
import * as pointwise from '../ops/pointwise';
import * as elementwise from '../ops/elementwise';
import * as creation from '../ops/creation';
import * as movement from '../ops/movement';
import * as reduce from '../ops/reduce';
import * as linalg from '../ops/linalg';
import * as indexing from '../ops/indexing';
import * as conv from '../ops/conv';
import * as pool from '../ops/pool';
import * as random from '../random';
import * as functional from '../nn/functional';
import type { GraphBuilder } from './graph';
import { CONSTANT_MAKERS, CONVERTERS, METHOD_CONVERTERS, PLAIN_METHODS, unsupported } from './symbolic';
import type { Converter } from './symbolic';

/** The modules whose exported functions are traced (nn.functional re-exports conv and pool from theirs). */
const OP_MODULES: readonly object[] = [pointwise, elementwise, creation, movement, reduce, linalg, indexing, conv, pool, random, functional];

type Fn = (this: unknown, ...args: unknown[]) => unknown;

/** Whether a value is or holds a Tensor (an array of them, max(dim)'s values and indices). */
function holdsTensor(v: unknown): boolean {
  if (v instanceof Tensor) return true;
  if (Array.isArray(v)) return v.some(holdsTensor);
  return v !== null && typeof v === 'object' && Object.values(v).some((x) => x instanceof Tensor);
}

/** A class (Generator): its prototype has members besides the constructor. Classes are not ops. */
const isClass = (f: Fn): boolean => f.prototype !== undefined && Object.getOwnPropertyNames(f.prototype).length > 1;

let active: GraphBuilder | null = null;
let depth = 0;

/**
 * The wrapper for one op. `method`: a Tensor method, whose tensor is passed to the converter first. Methods with
 * no converter are refused before they run (so an in-place method never writes a parameter); functions with none
 * run first and are refused when they return a tensor (helpers returning numbers and shapes are fine).
 */
function traced(name: string, orig: Fn, method: boolean): Fn {
  const convert: Converter | undefined = (method ? METHOD_CONVERTERS[name] : undefined) ?? CONVERTERS[name];
  const plain = method ? PLAIN_METHODS.has(name) : CONSTANT_MAKERS.has(name);
  return function (this: unknown, ...args: unknown[]): unknown {
    const g = active;
    if (g === null || depth > 0) return orig.apply(this, args);
    if (method && convert === undefined && !plain) throw unsupported(name);
    depth++;
    try {
      const out = orig.apply(this, args);
      if (convert !== undefined) convert(g, method ? [this, ...args] : args, out);
      else if (!plain && holdsTensor(out)) throw unsupported(name);
      return out;
    } finally {
      depth--;
    }
  };
}

interface Saved {
  target: object;
  key: string;
  desc: PropertyDescriptor;
}

function install(): Saved[] {
  const saved: Saved[] = [];
  const replace = (target: object, key: string, desc: PropertyDescriptor, next: PropertyDescriptor): void => {
    saved.push({ target, key, desc });
    Object.defineProperty(target, key, { ...desc, ...next });
  };
  for (const [key, desc] of Object.entries(Object.getOwnPropertyDescriptors(Tensor.prototype))) {
    if (key === 'constructor') continue;
    if (typeof desc.value === 'function') replace(Tensor.prototype, key, desc, { value: traced(key, desc.value as Fn, true) });
    else if (desc.get && CONVERTERS[key]) {
      const get = traced(key, desc.get as Fn, true);
      replace(Tensor.prototype, key, desc, { get(this: Tensor) { return get.call(this); } });
    }
  }
  for (const mod of OP_MODULES) {
    for (const [key, desc] of Object.entries(Object.getOwnPropertyDescriptors(mod))) {
      // Re-exports are getters onto the module that defines them, which is traced itself.
      if (typeof desc.value !== 'function' || !desc.writable || isClass(desc.value as Fn)) continue;
      replace(mod, key, desc, { value: traced(key, desc.value as Fn, false) });
    }
  }
  return saved;
}

/**
 * Runs fn (one forward pass) with every op traced into g; the ops and the hook are put back however fn ends.
 * @throws TypeError naming an op that has no ONNX export, or one that ran outside every traced op
 */
export function trace<T>(g: GraphBuilder, fn: () => T): T {
  if (active !== null) throw new Error('torch.onnx.export: an export is already running (export is not reentrant)');
  const saved = install();
  active = g;
  depth = 0;
  setTraceHook((backwardName) => {
    if (depth === 0) throw unsupported(backwardName.replace(/Backward\d*$/, ''), `(recorded as ${backwardName}) ran outside every op the exporter traces, so it has no ONNX export yet`);
  });
  try {
    return fn();
  } finally {
    setTraceHook(null);
    active = null;
    for (const { target, key, desc } of saved.reverse()) Object.defineProperty(target, key, desc);
  }
}
