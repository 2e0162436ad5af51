/**
 * torch.load enforces the safetensors format (issue 11.11). Each file is crafted byte by byte here: an 8-byte
 * little-endian header length, the JSON header text, the data section. Every refusal names the file and the key.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import * as torch from '../../lib';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torchlet-format-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let count = 0;
/** Writes a safetensors file from header text (or an object, serialised) and data bytes; returns its path. */
function craft(header: string | object, data: number[] | Buffer): string {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(text)));
  const file = path.join(dir, `f${count++}.safetensors`);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(text), Buffer.from(data)]));
  return file;
}

/** float32 little-endian bytes of the given values. */
function f32(...values: number[]): number[] {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeFloatLE(v, 4 * i));
  return [...b];
}
function i32(...values: number[]): number[] {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeInt32LE(v, 4 * i));
  return [...b];
}

function expectRefused(file: string, why: RegExp): void {
  let message = '';
  try {
    torch.load(file);
  } catch (e) {
    message = (e as Error).message;
  }
  expect(message).toContain(`load: ${file} is not a valid safetensors file`);
  expect(message).toMatch(why);
}

const A = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
const B = { dtype: 'I32', shape: [1], data_offsets: [8, 12] };

describe('load accepts what the format allows', () => {
  test('tensors listed in another order than their data, string metadata, an empty tensor', () => {
    const file = craft(
      { __metadata__: { format: 'pt' }, b: B, e: { dtype: 'F32', shape: [0, 3], data_offsets: [12, 12] }, a: A },
      [...f32(1.5, -2), ...i32(7)],
    );
    const sd = torch.load(file, { format: 'safetensors' });
    expect([...sd.keys()]).toEqual(['b', 'e', 'a']);
    expect(sd.get('a')!.tolist()).toEqual([1.5, -2]);
    expect(sd.get('b')!.tolist()).toEqual([7]);
    expect(sd.get('e')!.shape).toEqual([0, 3]);
  });

  test('BOOL bytes 0 and 1', () => {
    const file = craft({ m: { dtype: 'BOOL', shape: [3], data_offsets: [0, 3] } }, [1, 0, 1]);
    expect(torch.load(file, { format: 'safetensors' }).get('m')!.tolist()).toEqual([true, false, true]);
  });
});

describe('load refuses what the format forbids', () => {
  test('overlapping data ranges', () => {
    const file = craft({ a: A, b: { dtype: 'I32', shape: [2], data_offsets: [4, 12] } }, [...f32(1, 2), ...i32(3)]);
    expectRefused(file, /tensor 'b' \(bytes 4 to 12\) overlaps the data of tensor 'a'/);
  });

  test('the same range for two tensors', () => {
    const file = craft({ a: A, c: A }, f32(1, 2));
    expectRefused(file, /tensor '[ac]' \(bytes 0 to 8\) overlaps the data of tensor '[ac]'/);
  });

  test('data offsets out of order (end before begin)', () => {
    const file = craft({ a: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, f32(1, 2));
    expectRefused(file, /tensor 'a' has data_offsets out of order \[8, 0\]/);
  });

  test('a hole between tensors', () => {
    const file = craft({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: B }, [...f32(1, 2), ...i32(3)]);
    expectRefused(file, /unused bytes 4 to 8 before tensor 'b'/);
  });

  test('trailing bytes after the last tensor', () => {
    const file = craft({ a: A }, [...f32(1, 2), 0, 0, 0, 0]);
    expectRefused(file, /4 trailing bytes after the last tensor \('a'\)/);
    expectRefused(craft({ __metadata__: { k: 'v' } }, [0]), /1 trailing bytes after the last tensor$/);
  });

  test('duplicate keys, at the top and inside an entry', () => {
    const a = JSON.stringify(A);
    expectRefused(craft(`{"a":${a},"a":${a}}`, f32(1, 2)), /the header has the key 'a' more than once/);
    const inner = '{"a":{"dtype":"F32","shape":[2],"dtype":"I32","data_offsets":[0,8]}}';
    expectRefused(craft(inner, f32(1, 2)), /the header has the key 'dtype' more than once/);
    // An escaped spelling of the same key is the same key.
    expectRefused(craft(`{"a":${a},"\\u0061":${a}}`, f32(1, 2)), /the key 'a' more than once/);
  });

  test('metadata that is not an object of strings', () => {
    expectRefused(craft({ __metadata__: ['x'], a: A }, f32(1, 2)), /'__metadata__' must be an object of strings/);
    expectRefused(craft({ __metadata__: { epoch: 3 }, a: A }, f32(1, 2)), /'__metadata__' must be an object of strings/);
    expectRefused(craft({ __metadata__: 'pt', a: A }, f32(1, 2)), /'__metadata__' must be an object of strings/);
  });

  test('BOOL bytes other than 0 and 1', () => {
    const file = craft({ m: { dtype: 'BOOL', shape: [3], data_offsets: [0, 3] } }, [1, 2, 0]);
    expectRefused(file, /BOOL tensor 'm' holds the byte 2 at element 1/);
  });

  test('a tensor named __proto__', () => {
    const file = craft(`{"__proto__":${JSON.stringify(A)}}`, f32(1, 2));
    expectRefused(file, /a tensor is named '__proto__'/);
  });

  test('headers that are not an object of entries, and bad shapes', () => {
    expectRefused(craft('[1]', []), /the header is not a JSON object/);
    expectRefused(craft({ a: 5 }, []), /tensor 'a' is not described by an object/);
    expectRefused(craft({ a: { dtype: 'F32', shape: 2, data_offsets: [0, 8] } }, f32(1, 2)), /tensor 'a' has a bad shape 2/);
    expectRefused(craft({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } }, []), /tensor 'a' has a bad shape .*negative dimension/);
    expectRefused(craft({ a: { dtype: 'F32', shape: new Array(17).fill(1), data_offsets: [0, 4] } }, f32(1)), /tensor 'a' has a bad shape .*at most 16 dims/);
    expectRefused(craft({ a: { dtype: 'F32', shape: [0, 2 ** 52, 4], data_offsets: [0, 0] } }, []), /tensor 'a' has a bad shape .*MAX_SAFE_INTEGER/);
  });
});
