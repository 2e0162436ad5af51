/**
 * Nested objects in a safetensors file, which holds only a flat dict of tensors and string metadata: each tensor is
 * stored under its path ('opt.state.0.exp_avg'), and the object's shape, with its numbers, strings and the like, is a
 * JSON text in the metadata under STRUCTURE, where every tensor is {"__tensor__": key}. A checkpoint of a model, an
 * optimizer and a scheduler so round-trips; views are stored as their values (the format has no storage sharing).
 */
import { Tensor } from '../tensor';
import { describe } from '../validate';
import type { Loaded } from './pt';

/** The metadata key of the structure. */
export const STRUCTURE = 'torchlet.structure';

/** Markers of what JSON has no value for; an object with one of these as its only key would be ambiguous. */
const TENSOR = '__tensor__';
const BIGINT = '__bigint__';
const FLOAT = '__float__';
const MAP = '__map__';
const MARKERS = new Set([TENSOR, BIGINT, FLOAT, MAP]);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Whether obj is what safetensors holds natively: a Map or a plain object whose every value is a Tensor. */
export function isFlatTensorDict(obj: unknown): boolean {
  if (obj instanceof Map) return [...(obj as Map<unknown, unknown>)].every(([k, v]) => typeof k === 'string' && v instanceof Tensor);
  const proto = typeof obj === 'object' && obj !== null ? Object.getPrototypeOf(obj) : undefined;
  return (proto === Object.prototype || proto === null) && Object.values(obj as object).every((v) => v instanceof Tensor);
}

/**
 * The tensors of a nested object under their paths, and the JSON text of its structure.
 * @throws TypeError naming the path of a value that cannot be saved, or of a cycle
 */
export function flatten(obj: unknown): { tensors: [string, Tensor][]; structure: string } {
  const tensors: [string, Tensor][] = [];
  const used = new Set<string>();
  const active = new Set<unknown>();
  const where = (path: string): string => (path ? `'${path}'` : 'the root');
  const walk = (v: unknown, path: string): Json => {
    if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
    if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0) ? v : { [FLOAT]: String(v) };
    if (typeof v === 'bigint') return { [BIGINT]: String(v) };
    if (v instanceof Tensor) {
      let key = path || 'tensor';
      for (let i = 1; used.has(key); i++) key = `${path}#${i}`;
      used.add(key);
      tensors.push([key, v]);
      return { [TENSOR]: key };
    }
    if (active.has(v)) throw new TypeError(`save: the object refers to itself at ${where(path)} (a cycle), which cannot be saved`);
    const at = (k: string): string => (path ? `${path}.${k}` : k);
    active.add(v);
    try {
      if (Array.isArray(v)) return v.map((x, i) => walk(x, at(String(i))));
      if (v instanceof Map) return { [MAP]: [...(v as Map<unknown, unknown>)].map(([k, x]) => [walk(k, path), walk(x, at(String(k)))]) };
      const proto = typeof v === 'object' ? Object.getPrototypeOf(v) : undefined;
      if (proto === Object.prototype || proto === null) {
        const keys = Object.keys(v as object);
        if (keys.length === 1 && MARKERS.has(keys[0]!)) throw new TypeError(`save: an object whose only key is '${keys[0]}' (at ${where(path)}) is reserved by the safetensors structure; save to a .pt file`);
        return Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, walk(x, at(k))]));
      }
    } finally {
      active.delete(v);
    }
    throw new TypeError(
      `save: cannot save ${describe(v)} at ${where(path)} (torchlet saves Tensors, numbers, bigints, strings, booleans, null, arrays, Maps and plain objects)`,
    );
  };
  const structure = JSON.stringify(walk(obj, ''));
  return { tensors, structure };
}

/**
 * The object a structure describes, with its tensors from the file.
 * @throws Error naming the file for a structure that is not JSON or names a tensor the file lacks
 */
export function unflatten(structure: string, tensors: Map<string, Tensor>, file: string): Loaded {
  const bad = (why: string): Error => new Error(`load: ${file} is not a valid safetensors file: its '${STRUCTURE}' metadata ${why}`);
  let json: Json;
  try {
    json = JSON.parse(structure) as Json;
  } catch (e) {
    throw bad(`is not JSON (${(e as Error).message})`);
  }
  const build = (v: Json): Loaded => {
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map(build);
    const keys = Object.keys(v);
    if (keys.length === 1 && MARKERS.has(keys[0]!)) {
      const x = v[keys[0]!];
      if (keys[0] === MAP) {
        if (!Array.isArray(x) || !x.every((e) => Array.isArray(e) && e.length === 2)) throw bad('has a malformed Map');
        return new Map((x as [Json, Json][]).map(([k, y]) => [build(k), build(y)]));
      }
      if (typeof x !== 'string') throw bad(`has a malformed ${keys[0]}`);
      if (keys[0] === TENSOR) {
        const t = tensors.get(x);
        if (!t) throw bad(`names the tensor '${x}', which the file does not hold`);
        return t;
      }
      if (keys[0] === BIGINT) {
        if (!/^-?\d+$/.test(x)) throw bad(`has a malformed bigint ${JSON.stringify(x)}`);
        return BigInt(x);
      }
      return Number(x);
    }
    if (keys.includes('__proto__')) throw bad("has the key '__proto__', which JS objects cannot hold safely");
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, build(x)]));
  };
  return build(json);
}
