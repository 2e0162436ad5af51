/**
 * torchlet.save / torchlet.load in the safetensors format (8-byte little-endian header length, JSON header,
 * raw little-endian data), so checkpoints open in other tools. Writes are atomic: a temporary file beside the target,
 * fsync, rename; the temporary file is removed on every failure, and ones left by a killed process are removed by
 * the next save of the same target. Reads enforce the format's rules, naming the file and the key at fault.
 */
import * as fs from 'fs';
import * as path from 'path';
import { fileURLToPath } from 'url';

import { Tensor } from './tensor';
import type { DType } from './dtype';
import { DTYPES, allocate, info } from './dtype';
import { contiguousStrides, numelOf } from './shape';
import { checkShape, describe } from './validate';

/** The dtype of each safetensors code torchlet reads. */
const BY_CODE = new Map(Object.entries(DTYPES).map(([d, e]) => [e.safetensors as string, d as DType]));
const elem = (d: DType): number => info(d).size;

/** The header key the format reserves for string metadata. */
const METADATA = '__metadata__';
/** A key that would set an object's prototype: refused on both sides, so no file torchlet writes fails to load. */
const PROTO = '__proto__';

function entries(stateDict: Map<string, Tensor> | Record<string, Tensor>): [string, Tensor][] {
  if (typeof stateDict !== 'object' || stateDict === null) throw new TypeError(`save: expected a Map or an object of Tensors but received ${describe(stateDict)}`);
  const list = stateDict instanceof Map ? [...stateDict] : Object.entries(stateDict);
  for (const [k, v] of list) {
    if (typeof k !== 'string') throw new TypeError(`save: keys must be strings but one is ${describe(k)}`);
    if (k === METADATA) throw new RangeError(`save: a tensor may not be named '${METADATA}': the safetensors format reserves that key for metadata`);
    if (k === PROTO) throw new RangeError(`save: a tensor may not be named '${PROTO}': load refuses it, as JS objects cannot hold it safely`);
    if (!(v instanceof Tensor)) throw new TypeError(`save: value for key '${k}' is not a Tensor`);
  }
  return list;
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
 * The file argument of save and load: a path string or a file: URL (as fs takes them). Numbers (file descriptors),
 * Buffers and anything else are refused, so that load(4) cannot read one of the process's own descriptors.
 */
function filePath(op: string, file: unknown): string {
  if (file instanceof URL) {
    if (file.protocol !== 'file:') throw new TypeError(`${op}: expected a file: URL but received the URL ${file.href}`);
    return fileURLToPath(file);
  }
  if (typeof file !== 'string') throw new TypeError(`${op}: expected a file path (a string or a file: URL) for 'file' but received ${describe(file)}`);
  if (file.length === 0) throw new TypeError(`${op}: expected a file path for 'file' but received an empty string`);
  if (file.includes('\0')) throw new TypeError(`${op}: a file path may not contain a null byte`);
  return file;
}

/** Runs a file-system call, rethrowing its error with the op and the file named (the original kept as cause). */
function fsCall<T>(op: string, what: string, file: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (typeof err?.code !== 'string') throw e;
    throw new Error(`${op}: cannot ${what} ${JSON.stringify(file)}: ${err.message}`, { cause: e });
  }
}

// Temporary files are `.<target name>.<pid>.<random>.torchlet-tmp` in the target's directory: on the same file
// system (so the rename is atomic) and recognisable as belonging to one target and one process.
const TMP_SUFFIX = '.torchlet-tmp';

function tmpName(file: string): string {
  const rand = Math.random().toString(36).slice(2, 10);
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${rand}${TMP_SUFFIX}`);
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temporary files of `file` left by saves that died (their process is gone); live saves are left alone. */
function removeStale(file: string): void {
  const base = `.${path.basename(file)}.`;
  let names: string[];
  try {
    names = fs.readdirSync(path.dirname(file));
  } catch {
    return; // the write itself will report a missing directory
  }
  for (const name of names) {
    if (!name.startsWith(base) || !name.endsWith(TMP_SUFFIX)) continue;
    const m = /^(\d+)\.[0-9a-z]+$/.exec(name.slice(base.length, -TMP_SUFFIX.length));
    if (m && !isAlive(Number(m[1]))) fs.rmSync(path.join(path.dirname(file), name), { force: true });
  }
}

/**
 * Writes tensors to `file` in the safetensors format, replacing any old file only once the new one is complete.
 * @param fileArg a path string or a file: URL (a number, a Buffer or anything else is a TypeError)
 * @param metadata string pairs stored under "__metadata__"
 * @throws TypeError for values that are not Tensors, metadata that is not strings or a file that is not a path;
 *   RangeError for a tensor named '__metadata__'; an Error naming save and the file, with the file system's error
 *   as its cause, when writing fails (the old file is then untouched)
 * @example torch.save(model.stateDict(), 'model.safetensors')
 */
export function save(stateDict: Map<string, Tensor> | Record<string, Tensor>, fileArg: string | URL, metadata?: Record<string, string>): void {
  const list = entries(stateDict);
  const meta = checkMetadata(metadata);
  const file = filePath('save', fileArg);
  const header: Record<string, unknown> = {};
  if (meta) header[METADATA] = meta;
  let offset = 0;
  const blobs: Buffer[] = [];
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
  fsCall('save', 'write', file, () => {
    removeStale(file);
    const tmp = tmpName(file);
    const fd = fs.openSync(tmp, 'wx');
    try {
      try {
        fs.writeSync(fd, head);
        fs.writeSync(fd, json);
        for (const b of blobs) fs.writeSync(fd, b);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, file);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      throw e;
    }
  });
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
 * Reads a safetensors file into a Map of tensors (in file order).
 * @param fileArg a path string or a file: URL (a number, a Buffer or anything else is a TypeError)
 * @throws TypeError for a file that is not a path; Error naming load and the file (the file system's error as its
 *   cause) when reading fails; Error naming the file (and the key at fault) for truncated files and for anything the format forbids:
 *   duplicate keys, non-string metadata, data ranges that overlap, leave holes or trailing bytes, BOOL bytes other
 *   than 0 and 1, a tensor named __proto__
 */
export function load(fileArg: string | URL): Map<string, Tensor> {
  const file = filePath('load', fileArg);
  const buf = fsCall('load', 'read', file, () => fs.readFileSync(file));
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
  for (const [name, raw] of Object.entries(header)) {
    if (name === METADATA) {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !Object.values(raw).every((v) => typeof v === 'string')) {
        throw corrupt(file, `'${METADATA}' must be an object of strings`);
      }
      continue;
    }
    if (name === PROTO) throw corrupt(file, `a tensor is named '${PROTO}', which JS objects cannot hold safely`);
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw corrupt(file, `tensor '${name}' is not described by an object`);
    const entry = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = typeof entry.dtype === 'string' ? BY_CODE.get(entry.dtype) : undefined;
    if (!dtype) throw corrupt(file, `tensor '${name}' has unsupported dtype ${JSON.stringify(entry.dtype)} (torchlet reads ${[...BY_CODE.keys()].join(', ')})`);
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
    const bytes = numelOf(shape) * elem(dtype);
    if (end - begin !== bytes) throw corrupt(file, `tensor '${name}' spans ${end - begin} bytes but its shape needs ${bytes}`);
    if (end > data.length) throw corrupt(file, `tensor '${name}' ends at byte ${end} of a ${data.length}-byte data section (truncated?)`);
    const storage = allocate(dtype, numelOf(shape));
    Buffer.from(storage.buffer, storage.byteOffset, bytes).set(data.subarray(begin, end));
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
  return out;
}
