/**
 * The safetensors format (8-byte little-endian header length, JSON header, raw little-endian data), so checkpoints
 * open in other tools. Reads enforce the format's rules, naming the file and the key at fault, and convert the
 * element types torchlet lacks to the nearest dtype it has (lib/serialization/elements.ts).
 */
import { Tensor } from '../tensor';
import type { DType } from '../dtype';
import { info } from '../dtype';
import { contiguousStrides, numelOf } from '../shape';
import { checkShape, describe } from '../validate';
import { BY_SAFETENSORS, decodeElements, int64Overflow } from './elements';
import type { Loaded } from './pt';
import { STRUCTURE, flatten, isFlatTensorDict, unflatten } from './structure';

const elem = (d: DType): number => info(d).size;

/** The header key the format reserves for string metadata. */
const METADATA = '__metadata__';
/** A key that would set an object's prototype: refused on both sides, so no file torchlet writes fails to load. */
const PROTO = '__proto__';

function entries(stateDict: unknown): [string, Tensor][] {
  if (typeof stateDict !== 'object' || stateDict === null) throw new TypeError(`save: expected a Map or an object of Tensors but received ${describe(stateDict)}`);
  const list: [unknown, unknown][] = stateDict instanceof Map ? [...(stateDict as Map<unknown, unknown>)] : Object.entries(stateDict);
  for (const [k, v] of list) {
    if (typeof k !== 'string') throw new TypeError(`save: keys must be strings but one is ${describe(k)}`);
    if (k === METADATA) throw new RangeError(`save: a tensor may not be named '${METADATA}': the safetensors format reserves that key for metadata`);
    if (k === PROTO) throw new RangeError(`save: a tensor may not be named '${PROTO}': load refuses it, as JS objects cannot hold it safely`);
    if (!(v instanceof Tensor)) throw new TypeError(`save: value for key '${k}' is not a Tensor`);
  }
  return list as [string, Tensor][];
}

function checkMetadata(metadata: unknown): Record<string, string> | undefined {
  if (metadata === undefined || metadata === null) return undefined;
  if (typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw new TypeError(`save: expected an object of strings for 'metadata' but received ${describe(metadata)}`);
  }
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new TypeError(`save: metadata values must be strings (the safetensors format) but '${k}' is ${describe(v)}`);
  }
  return metadata as Record<string, string>;
}

/**
 * An object as the bytes of a safetensors file: a flat Map or object of tensors as the format has it, anything else
 * (a checkpoint with an optimizer's state, numbers, strings) flattened, its structure in the metadata (structure.ts).
 * @throws TypeError for values that cannot be saved or metadata that is not strings; RangeError for a tensor named
 *   '__metadata__' or '__proto__', or metadata under the structure's key
 */
export function encodeSafetensors(obj: unknown, metadata: unknown): Uint8Array[] {
  const meta = checkMetadata(metadata);
  if (meta && Object.prototype.hasOwnProperty.call(meta, STRUCTURE)) throw new RangeError(`save: the metadata key '${STRUCTURE}' is reserved for the structure of nested objects`);
  let list: [string, Tensor][];
  const header: Record<string, unknown> = {};
  if (typeof obj === 'object' && obj !== null && isFlatTensorDict(obj)) {
    list = entries(obj);
    if (meta) header[METADATA] = meta;
  } else {
    const flat = flatten(obj);
    list = entries(new Map(flat.tensors));
    header[METADATA] = { ...meta, [STRUCTURE]: flat.structure };
  }
  let offset = 0;
  const blobs: Uint8Array[] = [];
  for (const [name, t] of list) {
    const c = t.contiguous();
    const bytes = numelOf(c.shape) * elem(c.dtype);
    const view = Buffer.from(c.data.buffer, c.data.byteOffset + c.offset * elem(c.dtype), bytes);
    header[name] = { dtype: info(c.dtype).safetensors, shape: [...c.shape], data_offsets: [offset, offset + bytes] };
    blobs.push(view);
    offset += bytes;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data starts 8-byte aligned, as the reference implementation does.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return [head, Buffer.from(json, 'utf8'), ...blobs];
}

function corrupt(file: string, why: string): Error {
  return new Error(`load: ${file} is not a valid safetensors file: ${why}`);
}

/**
 * The first key that appears twice in one object of a JSON text, or null. JSON.parse keeps the last silently; the
 * safetensors format forbids duplicates.
 */
function duplicateKey(json: string): string | null {
  const stack: (Set<string> | null)[] = [];
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '{') stack.push(new Set());
    else if (c === '[') stack.push(null);
    else if (c === '}' || c === ']') stack.pop();
    else if (c === '"') {
      let j = i + 1;
      while (j < json.length && json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      const text = json.slice(i, j + 1);
      i = j;
      let k = j + 1;
      while (k < json.length && /\s/.test(json[k]!)) k++;
      const keys = stack[stack.length - 1];
      if (json[k] !== ':' || !keys) continue;
      const key = JSON.parse(text) as string;
      if (keys.has(key)) return key;
      keys.add(key);
    }
  }
  return null;
}

/**
 * What a safetensors file holds: the Map of its tensors in file order, or the nested object save flattened into it
 * (structure.ts). F16 and BF16 load as float32; I64 as int32 (a RangeError names the tensor when a value does not
 * fit); I16, I8 and U8 as int32.
 * @throws Error naming the file (and the key at fault) for truncated files and for anything the format forbids:
 *   duplicate keys, non-string metadata, data ranges that overlap, leave holes or trailing bytes, BOOL bytes other
 *   than 0 and 1, a tensor named __proto__, an unknown dtype
 */
export function decodeSafetensors(buf: Buffer, file: string): Map<string, Tensor> | Loaded {
  const { tensors, metadata } = readSafetensors(buf, file);
  const structure = metadata?.[STRUCTURE];
  return structure === undefined ? tensors : unflatten(structure, tensors, file);
}

function readSafetensors(buf: Buffer, file: string): { tensors: Map<string, Tensor>; metadata: Record<string, string> | undefined } {
  if (buf.length < 8) throw corrupt(file, `it has ${buf.length} bytes, fewer than the 8-byte header length`);
  const n = buf.readBigUInt64LE(0);
  if (n > BigInt(buf.length - 8)) throw corrupt(file, `the header claims ${n} bytes but the file has ${buf.length - 8} after the length (truncated?)`);
  const text = buf.subarray(8, 8 + Number(n)).toString('utf8');
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw corrupt(file, `the header is not JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw corrupt(file, 'the header is not a JSON object');
  const dup = duplicateKey(text);
  if (dup !== null) throw corrupt(file, `the header has the key '${dup}' more than once`);
  const data = buf.subarray(8 + Number(n));
  const out = new Map<string, Tensor>();
  const ranges: [number, number, string][] = [];
  let metadata: Record<string, string> | undefined;
  for (const [name, raw] of Object.entries(header)) {
    if (name === METADATA) {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !Object.values(raw).every((v) => typeof v === 'string')) {
        throw corrupt(file, `'${METADATA}' must be an object of strings`);
      }
      metadata = raw as Record<string, string>;
      continue;
    }
    if (name === PROTO) throw corrupt(file, `a tensor is named '${PROTO}', which JS objects cannot hold safely`);
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw corrupt(file, `tensor '${name}' is not described by an object`);
    const entry = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const type = typeof entry.dtype === 'string' ? BY_SAFETENSORS.get(entry.dtype) : undefined;
    if (!type) throw corrupt(file, `tensor '${name}' has unsupported dtype ${JSON.stringify(entry.dtype)} (torchlet reads ${[...BY_SAFETENSORS.keys()].join(', ')})`);
    const dtype = type.target;
    const shape = entry.shape as number[];
    try {
      checkShape('load', shape);
    } catch (e) {
      throw corrupt(file, `tensor '${name}' has a bad shape ${JSON.stringify(shape)} (${(e as Error).message})`);
    }
    const offs = entry.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw corrupt(file, `tensor '${name}' has bad data_offsets ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    if (end < begin) throw corrupt(file, `tensor '${name}' has data_offsets out of order [${begin}, ${end}]`);
    const bytes = numelOf(shape) * type.size;
    if (end - begin !== bytes) throw corrupt(file, `tensor '${name}' spans ${end - begin} bytes but its shape needs ${bytes}`);
    if (end > data.length) throw corrupt(file, `tensor '${name}' ends at byte ${end} of a ${data.length}-byte data section (truncated?)`);
    const storage = decodeElements(type, data.subarray(begin, end), numelOf(shape), true, (i, v) => int64Overflow('load', `${file}: tensor '${name}'`, i, v));
    if (dtype === 'bool') {
      const bad = storage.findIndex((b) => b > 1);
      if (bad >= 0) throw corrupt(file, `BOOL tensor '${name}' holds the byte ${storage[bad]} at element ${bad} (only 0 and 1 are booleans)`);
    }
    ranges.push([begin, end, name]);
    out.set(name, new Tensor(storage, shape, contiguousStrides(shape), 0, dtype));
  }
  // The data section must be exactly the tensors' bytes, each range once: no overlap, no hole, nothing after.
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let at = 0;
  let last = '';
  for (const [begin, end, name] of ranges) {
    if (begin < at) throw corrupt(file, `tensor '${name}' (bytes ${begin} to ${end}) overlaps the data of tensor '${last}'`);
    if (begin > at) throw corrupt(file, `the data section has unused bytes ${at} to ${begin} before tensor '${name}'`);
    at = end;
    last = name;
  }
  if (at !== data.length) {
    throw corrupt(file, `the data section has ${data.length - at} trailing bytes after the last tensor${last ? ` ('${last}')` : ''}`);
  }
  return { tensors: out, metadata };
}
