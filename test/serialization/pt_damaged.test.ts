/**
 * torch.load of damaged or hostile .pt files: every one is a clear Error naming the file, never a crash, a hang, an
 * out-of-bounds view or code run. Archives are crafted here with fflate and hand-written pickles.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { zipSync } from 'fflate';

import * as torch from '../../lib';
import type { Tensor } from '../../lib';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torchlet-ptbad-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let count = 0;

/** A zip laid out as torch.save's, with the given data.pkl and records. */
function archive(pkl: Uint8Array | number[], records: Record<string, Uint8Array> = {}, prefix = 'archive'): string {
  const files: Record<string, Uint8Array> = { [`${prefix}/data.pkl`]: Uint8Array.from(pkl) };
  for (const [k, v] of Object.entries(records)) files[`${prefix}/${k}`] = v;
  files[`${prefix}/version`] = Buffer.from('3\n');
  const file = path.join(dir, `f${count++}.pt`);
  fs.writeFileSync(file, zipSync(files, { level: 0 }));
  return file;
}

const str = (s: string): number[] => [0x58, ...new Uint8Array(new Uint32Array([s.length]).buffer), ...Buffer.from(s)];
const glob = (m: string, n: string): number[] => [0x63, ...Buffer.from(`${m}\n${n}\n`)];
const int1 = (n: number): number[] => [0x4b, n];
/** _rebuild_tensor_v2(storage('0', FloatStorage, numel), offset, size, stride, False, OrderedDict()) */
function tensorPickle(numel: number, offset: number, size: number[], stride: number[], storageType = 'FloatStorage'): number[] {
  const tuple = (xs: number[]): number[] => [0x28, ...xs.flatMap(int1), 0x74];
  return [
    0x80, 0x02, ...glob('torch._utils', '_rebuild_tensor_v2'), 0x28,
    0x28, ...str('storage'), ...glob('torch', storageType), ...str('0'), ...str('cpu'), ...int1(numel), 0x74, 0x51,
    ...int1(offset), ...tuple(size), ...tuple(stride), 0x89, ...glob('collections', 'OrderedDict'), 0x29, 0x52,
    0x74, 0x52, 0x2e,
  ];
}
const floats = (n: number): Uint8Array => new Uint8Array(new Float32Array(n).fill(1.5).buffer);

describe('torch.load refuses damaged and hostile .pt files with a clear error', () => {
  test('a well-formed hand-made archive loads (the crafting is right)', () => {
    const t = torch.load<Tensor>(archive(tensorPickle(6, 1, [2, 2], [2, 1]), { 'data/0': floats(6) }));
    expect(t.tolist()).toEqual([[1.5, 1.5], [1.5, 1.5]]);
    expect(t.offset).toBe(1);
  });

  test('a view reaching past its storage, a storage record shorter than its elements, a missing record', () => {
    expect(() => torch.load(archive(tensorPickle(6, 3, [2, 2], [2, 1]), { 'data/0': floats(6) }))).toThrow(/tensor '' reaches element 6 of storage '0', which has 6 elements/);
    expect(() => torch.load(archive(tensorPickle(6, 0, [2, 3], [3, 1]), { 'data/0': floats(5) }))).toThrow(/the record data\/0 has 20 bytes but its 6 float32 elements need 24/);
    expect(() => torch.load(archive(tensorPickle(6, 0, [6], [1])))).toThrow(/the record data\/0 of a storage is missing/);
  });

  test('storages torchlet has no dtype for, and globals PyTorch allows but torchlet cannot build', () => {
    expect(() => torch.load(archive(tensorPickle(2, 0, [2], [1], 'ComplexFloatStorage'), { 'data/0': floats(4) }))).toThrow(/storage of type 'torch\.ComplexFloatStorage' is not one torchlet reads/);
    const sparse = [0x80, 0x02, ...glob('torch._utils', '_rebuild_sparse_tensor'), 0x29, 0x52, 0x2e];
    expect(() => torch.load(archive(sparse))).toThrow(/it holds sparse tensors \('torch\._utils\._rebuild_sparse_tensor'\), which torchlet does not have/);
    expect(() => torch.load(archive(tensorPickle(2, 0, [2], [1], 'BoolStorage'), { 'data/0': Uint8Array.from([1, 2]) }))).toThrow(/holds the byte 2 at element 1 of a bool storage/);
  });

  test('pickles that are malformed: truncated, unknown opcodes, empty stack, memo misses, no STOP', () => {
    const good = tensorPickle(6, 0, [6], [1]);
    expect(() => torch.load(archive(good.slice(0, 40), { 'data/0': floats(6) }))).toThrow(/is not a valid pickle: .*\(at byte \d+\)/);
    expect(() => torch.load(archive([0x80, 0x02, 0x69, 0x2e]))).toThrow(/opcode 0x69 \('i'\) is not supported/); // INST
    expect(() => torch.load(archive([0x80, 0x02, 0x61, 0x2e]))).toThrow(/the stack is empty/);
    expect(() => torch.load(archive([0x80, 0x02, 0x68, 0x07, 0x2e]))).toThrow(/memo entry 7 is read before it is written/);
    expect(() => torch.load(archive([0x80, 0x02, 0x4e]))).toThrow(/ends without a STOP opcode/);
    expect(() => torch.load(archive([0x80, 0x02, 0x8b, 0xff, 0xff, 0xff, 0x7f, 0x2e]))).toThrow(/ends inside an opcode's argument/); // LONG4 of 2 GB
    expect(() => torch.load(archive([0x80, 0x02, 0x4e, 0x4e, 0x2e]))).toThrow(/STOP leaves 2 values on the stack/);
  });

  test('a persistent id that is not a storage, BUILD on a tensor, an object that is not a zip', () => {
    expect(() => torch.load(archive([0x80, 0x02, ...str('evil'), 0x85, 0x51, 0x2e]))).toThrow(/a persistent id is .*not \('storage', type, key, location, numel\)/);
    const build = [...tensorPickle(6, 0, [6], [1]).slice(0, -1), 0x29, 0x62, 0x2e];
    expect(() => torch.load(archive(build, { 'data/0': floats(6) }))).toThrow(/it sets the state of a tensor \(legacy set_\), which weights-only loading refuses/);
    const file = path.join(dir, 'text.pt');
    fs.writeFileSync(file, 'hello');
    expect(() => torch.load(file)).toThrow(/is not a PyTorch file/);
    const noPkl = path.join(dir, 'nopkl.pt');
    fs.writeFileSync(noPkl, zipSync({ 'a/b.txt': Buffer.from('x') }));
    expect(() => torch.load(noPkl)).toThrow(/without <name>\/data\.pkl/);
    const script = path.join(dir, 'script.pt');
    fs.writeFileSync(script, zipSync({ 'm/data.pkl': Uint8Array.from([0x80, 0x02, 0x4e, 0x2e]), 'm/constants.pkl': Uint8Array.from([0x80, 0x02, 0x4e, 0x2e]), 'm/code/x.py': Buffer.from('') }));
    expect(() => torch.load(script)).toThrow(/is a TorchScript archive \(torch\.jit\.save\)/);
  });

  test('deep nesting and self-reference load or fail cleanly', () => {
    // [[[...]]] 5000 deep: refused by name rather than overflowing the stack.
    const deep = [0x80, 0x02, ...Array<number>(5000).fill(0x5d), ...Array<number>(4999).fill(0x61), 0x2e];
    expect(() => torch.load(archive(deep))).toThrow(/is nested more than 1000 levels deep/);
    // l = []; l.append(l): a cycle is kept as one (the JS array contains itself).
    const cyc = [0x80, 0x02, 0x5d, 0x71, 0x00, 0x68, 0x00, 0x61, 0x2e];
    const l = torch.load<unknown[]>(archive(cyc));
    expect(l[0]).toBe(l);
  });

  test('random damage to a real file is always an Error (200 mutations of test/fixtures/pt/model.pt)', () => {
    const good = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'pt', 'model.pt'));
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const file = path.join(dir, 'mutant.pt');
    let failures = 0;
    for (let i = 0; i < 200; i++) {
      const bad = Buffer.from(good);
      for (let k = 0; k < 1 + rand(4); k++) bad[rand(bad.length)] = rand(256);
      fs.writeFileSync(file, i % 10 === 0 ? bad.subarray(0, rand(bad.length)) : bad);
      try {
        torch.load(file);
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
        expect((e as Error).message).toMatch(/^(torch\.)?load: /);
        failures++;
      }
    }
    expect(failures).toBeGreaterThan(0);
  });
});
