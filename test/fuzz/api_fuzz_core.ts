/**
 * The API fuzzer's shared half: the seeded argument generator, the list of entry points (every export of lib/index.ts,
 * walked recursively, every class's methods and every Tensor method) and the rule that classifies an outcome.
 * The child (api_fuzz_child.ts) makes the calls; the runner (api_fuzz_runner.ts) spawns children and adds up.
 */
import { readdirSync, readFileSync } from 'fs';
import * as path from 'path';
import type * as Torch from '../../lib';

type TorchModule = typeof Torch;

/** How one call ended. The first three are acceptable; the rest fail the test unless the entry is known-failing. */
export type Outcome =
  | 'returned'
  | 'good' // an Error whose message names the entry point (see namesEntry)
  | 'unnamed' // torchlet's own Error that names another op or none (a delegated check); reported, not failing
  | 'generic' // a message made by V8 or Node ("x.dim is not a function"), or a thrown non-Error
  | 'internal' // the addon's torchlet.native.* message reached the user
  | 'crash' // the child died from a signal other than SIGABRT, or exited early
  | 'abort' // SIGABRT: a C++ abort, a failed assertion, or V8's fatal out-of-memory
  | 'hang' // no progress within the per-call timeout
  | 'skipped'; // a class method whose class could not be constructed from any argument tried

export const OUTCOMES: readonly Outcome[] = ['returned', 'good', 'unnamed', 'generic', 'internal', 'crash', 'abort', 'hang', 'skipped'];
export const FAILING: ReadonlySet<Outcome> = new Set(['generic', 'internal', 'crash', 'abort', 'hang']);

// ---- seeded generator -------------------------------------------------------------------------------------

/** mulberry32: a small seeded 32-bit generator; each call index gets its own stream, so any call replays alone. */
export class Rng {
  private s: number;
  constructor(seed: number, index: number) {
    this.s = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
    for (let i = 0; i < 4; i++) this.next();
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

// ---- entry points -----------------------------------------------------------------------------------------

export interface Entry {
  /** 'torch.add', 'nn.functional.relu', 'nn.Linear' (the constructor), 'nn.Linear#forward', 'Tensor#add' */
  name: string;
  kind: 'function' | 'constructor' | 'method' | 'tensorMethod';
  fn: (...args: unknown[]) => unknown;
  /** For 'method': the class whose instance is the receiver. */
  cls?: new (...args: unknown[]) => unknown;
}

function isClass(f: unknown): f is new (...args: unknown[]) => unknown {
  return typeof f === 'function' && /^class\b/.test(Function.prototype.toString.call(f));
}

/** Method names that lib/ declares private or protected somewhere: not public entry points. */
function nonPublicMethods(): Set<string> {
  const names = new Set<string>();
  const visit = (dir: string): void => {
    for (const f of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, f.name);
      if (f.isDirectory()) visit(p);
      else if (f.name.endsWith('.ts')) {
        for (const m of readFileSync(p, 'utf8').matchAll(/^\s+(?:private|protected)\s+(?:static\s+)?(?:readonly\s+)?(\w+)\s*[(<]/gm)) {
          names.add(m[1]!);
        }
      }
    }
  };
  visit(path.resolve(__dirname, '..', '..', 'lib'));
  return names;
}

/** Public prototype methods of a class, own and inherited up to Object.prototype (getters skipped), each with its owner. */
function protoMethods(cls: { prototype: object }, hidden: ReadonlySet<string>): { name: string; fn: Entry['fn']; owner: string }[] {
  const out = new Map<string, { name: string; fn: Entry['fn']; owner: string }>();
  for (let p: object | null = cls.prototype; p && p !== Object.prototype && p !== Error.prototype; p = Object.getPrototypeOf(p)) {
    for (const k of Object.getOwnPropertyNames(p)) {
      const d = Object.getOwnPropertyDescriptor(p, k)!;
      if (k === 'constructor' || typeof d.value !== 'function' || hidden.has(k) || out.has(k)) continue;
      out.set(k, { name: k, fn: d.value as Entry['fn'], owner: (p as { constructor: { name: string } }).constructor.name });
    }
  }
  return [...out.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Every public entry point: functions and classes of lib/index.ts and its namespaces (nn, nn.functional, optim,
 * autograd, data, ...), each class's prototype methods, and every Tensor method. A function exported under two
 * paths (torch.matmul and torch.linalg.matmul) is one entry, under its first path.
 */
export function entryPoints(torch: TorchModule): Entry[] {
  const out: Entry[] = [];
  const seen = new Set<unknown>();
  const hidden = nonPublicMethods();
  const tensorMethods = new Set(protoMethods(torch.Tensor, hidden).map((m) => m.fn));
  const walk = (ns: Record<string, unknown>, prefix: string, depth: number): void => {
    const keys = Object.keys(ns).sort();
    // This level's functions and classes first, so that torch.matmul wins over torch.linalg.matmul.
    for (const key of keys) {
      const v = ns[key];
      const name = `${prefix}${key}`;
      if (typeof v !== 'function' || seen.has(v)) continue;
      seen.add(v);
      if (!isClass(v)) {
        out.push({ name, kind: 'function', fn: v as Entry['fn'] });
        continue;
      }
      if (v === torch.Tensor) continue; // its methods are listed below
      out.push({ name, kind: 'constructor', fn: v as unknown as Entry['fn'] });
      // An inherited method is one entry, named after the class that defines it (nn.Module#apply), called on
      // an instance of the first exported class that has it; Tensor's own methods come below.
      for (const m of protoMethods(v, hidden)) {
        if (seen.has(m.fn) || tensorMethods.has(m.fn)) continue;
        seen.add(m.fn);
        const owner = m.owner === key ? name : name.replace(/[^.]+$/, m.owner);
        out.push({ name: `${owner}#${m.name}`, kind: 'method', fn: m.fn, cls: v });
      }
    }
    for (const key of keys) {
      const v = ns[key];
      if (v && typeof v === 'object' && depth < 4 && isNamespace(v)) walk(v as Record<string, unknown>, `${prefix}${key}.`, depth + 1);
    }
  };
  walk(torch as unknown as Record<string, unknown>, 'torch.', 0);
  for (const m of protoMethods(torch.Tensor, hidden)) out.push({ name: `Tensor#${m.name}`, kind: 'tensorMethod', fn: m.fn });
  return out.map((e) => ({ ...e, name: e.name.replace(/^torch\.(?=nn\.|optim\.|autograd\.|data\.|linalg\.|indexing\.)/, '') }));
}

/**
 * Namespace objects (`export * as nn`): plain or null-prototype objects holding functions or namespaces. Plain in
 * any realm (under jest, module objects come from another one), so not compared with this realm's Object.prototype.
 */
function isNamespace(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as object | null;
  if (proto !== null && Object.getPrototypeOf(proto) !== null) return false;
  const vals = Object.values(v);
  return vals.length > 0 && vals.some((x) => typeof x === 'function');
}

// ---- classification -----------------------------------------------------------------------------------------

/**
 * Messages that V8 or Node make, never torchlet: each is a missing check somewhere (a wrong type reached
 * code that assumed another, or a size reached an allocator unchecked).
 */
const GENERIC_PATTERNS: readonly RegExp[] = [
  /is not a function/,
  /is not a constructor/,
  /Cannot read propert(y|ies) of/,
  /Cannot set propert(y|ies) of/,
  /Cannot create property/,
  /Cannot assign to read only property/,
  /object is not extensible/,
  /is not iterable/,
  /Invalid typed array length/,
  /Invalid array length/,
  /Invalid array buffer length/,
  /Array buffer allocation failed/,
  /Invalid string length/,
  /Maximum call stack size exceeded/,
  /Cannot convert .* to/,
  /Cannot mix BigInt/,
  /Reduce of empty array/,
  /Right-hand side of 'instanceof'/,
  /cannot be invoked without 'new'/,
  /Converting circular structure/,
  /Do not know how to serialize a BigInt/,
  /Invalid count value/,
  /Start offset .* is outside the bounds/,
  /offset is out of bounds/,
  /^The "[^"]+" argument must be/, // Node's ERR_INVALID_ARG_TYPE (fs, Buffer)
  /^The value of "[^"]+" is out of range/,
  /Cannot use 'in' operator/,
  /Class constructor/,
  /Unexpected token|is not valid JSON|JSON at position/,
];

const normalize = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * The names an error message may use for an entry: the entry's own last name ('conv2d', 'Conv2d', 'add_'), and
 * for a class method its class's ('Linear' for nn.Linear#forward) and the method's.
 */
function entryNames(entry: string): string[] {
  const [path, method] = entry.split('#') as [string, string | undefined];
  const last = path.split('.').pop()!;
  const names = path === 'Tensor' ? [] : [last];
  if (method) names.push(method);
  return names.map(normalize).filter((n) => n.length > 0);
}

/**
 * Does the message name the entry point? The message's leading op token (the text before the first ': ', when it
 * is a name or a dotted path such as 'conv2d', 'nn.Conv2d', 'Tensor.add_') is compared with the entry's names
 * after lower-casing and dropping '_' and '.': equal, or one contains the other (BatchNorm2d ~ batch_norm,
 * var ~ variance, relu_ ~ relu). A message with no leading op token names the entry if it contains one of its
 * names as a word ("addmm(): argument 'mat1' ...", "Embedding(3, 2): ...").
 */
export function namesEntry(entry: string, message: string): boolean {
  const names = entryNames(entry);
  const m = /^([A-Za-z_][\w.]*)(\(\))?:\s/.exec(message) ?? /^([A-Za-z_][\w.]*)(\([^)]*\))?:\s/.exec(message);
  if (m) {
    const tok = normalize(m[1]!.split('.').pop()!);
    if (tok.length > 0 && names.some((n) => n === tok || (Math.min(n.length, tok.length) >= 3 && (n.includes(tok) || tok.includes(n))))) {
      return true;
    }
  }
  const words = new Set(message.split(/[^A-Za-z0-9_]+/).map(normalize));
  return names.some((n) => words.has(n));
}

/** The outcome of a call that threw `e` from entry point `entry`. */
export function classifyError(entry: string, e: unknown): Outcome {
  if (!(e instanceof Error) && !(e && typeof e === 'object' && 'message' in e && 'name' in e)) return 'generic';
  const err = e as Error;
  const msg = String(err.message);
  if (/torchlet\.native\./.test(msg)) return 'internal';
  if (!['Error', 'TypeError', 'RangeError'].includes(err.name) && !(e instanceof Error && err.name.endsWith('Error') && err.constructor !== Error && !isBuiltinError(err))) {
    return 'generic';
  }
  if (GENERIC_PATTERNS.some((p) => p.test(msg))) return 'generic';
  // Node's system errors (ENOENT: no such file, EISDIR, EINVAL...) carry the failed syscall.
  if ('syscall' in err || /^E[A-Z]+$/.test(String((err as { code?: unknown }).code))) return 'generic';
  return namesEntry(entry, msg) ? 'good' : 'unnamed';
}

function isBuiltinError(e: Error): boolean {
  return ['EvalError', 'ReferenceError', 'SyntaxError', 'URIError', 'AggregateError'].includes(e.name);
}

/** The message with numbers and quoted values masked, so that one kind of failure counts once per entry. */
export function messageKey(e: unknown): string {
  const msg = e instanceof Error ? `${e.name}: ${e.message}` : `thrown ${typeof e}: ${String(e)}`;
  return msg
    .split('\n')[0]!
    .slice(0, 200)
    .replace(/-?\d+(\.\d+)?(e[-+]?\d+)?/g, 'N');
}
