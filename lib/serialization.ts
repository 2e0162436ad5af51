/**
 * torchlet.save / torchlet.load in the safetensors format (8-byte little-endian header length, JSON header,
 * raw little-endian data), so checkpoints open in other tools. Writes are atomic: a temporary file, fsync, rename.
 */
import * as fs from 'fs';
import * as path from 'path';

import { Tensor } from './tensor';
import type { DType } from './dtype';
import { DTYPES, allocate, info } from './dtype';
import { contiguousStrides, numelOf } from './shape';

/** The dtype of each safetensors code torchlet reads. */
const BY_CODE = new Map(Object.entries(DTYPES).map(([d, e]) => [e.safetensors as string, d as DType]));
const elem = (d: DType): number => info(d).size;

function entries(stateDict: Map<string, Tensor> | Record<string, Tensor>): [string, Tensor][] {
  const list = stateDict instanceof Map ? [...stateDict] : Object.entries(stateDict);
  for (const [k, v] of list) {
    if (!(v instanceof Tensor)) throw new TypeError(`save: value for key '${k}' is not a Tensor`);
  }
  return list;
}

/**
 * Writes tensors to `file` in the safetensors format, replacing any old file only once the new one is complete.
 * @param metadata string pairs stored under "__metadata__"
 * @example torch.save(model.stateDict(), 'model.safetensors')
 */
export function save(stateDict: Map<string, Tensor> | Record<string, Tensor>, file: string, metadata?: Record<string, string>): void {
  const list = entries(stateDict);
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
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
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, head);
    fs.writeSync(fd, json);
    for (const b of blobs) fs.writeSync(fd, b);
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
}

function corrupt(file: string, why: string): Error {
  return new Error(`load: ${file} is not a valid safetensors file: ${why}`);
}

/**
 * Reads a safetensors file into a Map of tensors (in file order).
 * @throws Error naming the file and the problem for truncated or corrupted files
 */
export function load(file: string): Map<string, Tensor> {
  const buf = fs.readFileSync(file);
  if (buf.length < 8) throw corrupt(file, `it has ${buf.length} bytes, fewer than the 8-byte header length`);
  const n = buf.readBigUInt64LE(0);
  if (n > BigInt(buf.length - 8)) throw corrupt(file, `the header claims ${n} bytes but the file has ${buf.length - 8} after the length (truncated?)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + Number(n)).toString('utf8')) as Record<string, unknown>;
  } catch (e) {
    throw corrupt(file, `the header is not JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw corrupt(file, 'the header is not a JSON object');
  const data = buf.subarray(8 + Number(n));
  const out = new Map<string, Tensor>();
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const entry = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = typeof entry.dtype === 'string' ? BY_CODE.get(entry.dtype) : undefined;
    if (!dtype) throw corrupt(file, `tensor '${name}' has unsupported dtype ${JSON.stringify(entry.dtype)} (torchlet reads ${[...BY_CODE.keys()].join(', ')})`);
    const shape = entry.shape;
    if (!Array.isArray(shape) || !shape.every((s) => Number.isInteger(s) && s >= 0)) throw corrupt(file, `tensor '${name}' has a bad shape`);
    const offs = entry.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o) && o >= 0)) {
      throw corrupt(file, `tensor '${name}' has bad data_offsets`);
    }
    const [begin, end] = offs as [number, number];
    const bytes = numelOf(shape as number[]) * elem(dtype);
    if (end - begin !== bytes) throw corrupt(file, `tensor '${name}' spans ${end - begin} bytes but its shape needs ${bytes}`);
    if (end > data.length) throw corrupt(file, `tensor '${name}' ends at byte ${end} of a ${data.length}-byte data section (truncated?)`);
    const storage = allocate(dtype, numelOf(shape as number[]));
    Buffer.from(storage.buffer, storage.byteOffset, bytes).set(data.subarray(begin, end));
    out.set(name, new Tensor(storage, shape as number[], contiguousStrides(shape as number[]), 0, dtype));
  }
  return out;
}
