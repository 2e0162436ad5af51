/**
 * Tensors across threads: shareMemory_/isShared, and pack/unpack through a real worker's postMessage (copied, shared
 * and transferred storage, views, dtypes, state dicts). Expected values are the literal inputs, rearranged by hand.
 */
import * as path from 'path';
import { Worker } from 'worker_threads';

// The main thread and the worker load the same compiled package, as a user's program and its worker would.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const torch = require(path.resolve(__dirname, '..', '..', 'dist')) as typeof import('../../lib');
type Tensor = import('../../lib').Tensor;
const { threads, nn, optim } = torch;

// The echo worker: unpacks what it gets, describes it, optionally doubles every float tensor in place, and posts the
// values back (copied).
const ECHO = `
  const { parentPort } = require('worker_threads');
  const torch = require(${JSON.stringify(path.resolve(__dirname, '..', '..', 'dist'))});
  parentPort.on('message', ({ packed, double }) => {
    const v = torch.threads.unpack(packed);
    const entries = v instanceof Map ? [...v] : Object.entries(v);
    const facts = {};
    for (const [k, t] of entries) {
      facts[k] = { dtype: t.dtype, shape: [...t.shape], strides: [...t.strides], offset: t.offset, requiresGrad: t.requiresGrad,
        shared: t.isShared(), parameter: t instanceof torch.nn.Parameter, values: t.tolist(),
        sameStorageAs: entries.filter(([, u]) => u.data === t.data).map(([j]) => j) };
      if (double && t.dtype === 'float32') torch.noGrad(() => t.mul_(2));
    }
    torch.threads.post(parentPort, { facts, back: v });
  });`;

let worker: Worker;
beforeAll(() => {
  worker = new Worker(ECHO, { eval: true });
});
afterAll(() => worker.terminate());

interface Facts {
  dtype: string;
  shape: number[];
  strides: number[];
  offset: number;
  requiresGrad: boolean;
  shared: boolean;
  parameter: boolean;
  values: unknown;
  sameStorageAs: string[];
}

async function echo(value: unknown, opts: { transfer?: boolean; double?: boolean } = {}): Promise<{ facts: Record<string, Facts>; back: unknown }> {
  const { message, transferList } = threads.pack(value, { transfer: opts.transfer ?? false });
  const reply = new Promise<unknown>((resolve) => worker.once('message', resolve));
  worker.postMessage({ packed: message, double: opts.double ?? false }, transferList);
  return threads.unpack(await reply) as { facts: Record<string, Facts>; back: unknown };
}

describe('shareMemory_ / isShared', () => {
  test('moves the storage of every view at once, in place, and returns this', () => {
    const x = torch.tensor([[1, 2, 3], [4, 5, 6]]);
    const t = x.t();
    const row = x.select(0, 1);
    expect(x.isShared()).toBe(false);
    expect(x.shareMemory_()).toBe(x);
    expect([x.isShared(), t.isShared(), row.isShared()]).toEqual([true, true, true]);
    expect(t.data).toBe(x.data);
    expect(x.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    torch.noGrad(() => row.add_(10));
    expect(t.tolist()).toEqual([[1, 14], [2, 15], [3, 16]]);
    expect(x.shareMemory_().data).toBe(t.data); // already shared: a no-op
  });

  test('ops, autograd and an optimizer step give the same numbers on shared and unshared tensors', () => {
    const run = (share: boolean): number[][] => {
      const w = torch.tensor([[0.5, -1.5], [2, 0.25], [-0.75, 1]], { requiresGrad: true });
      if (share) w.shareMemory_();
      const x = torch.tensor([[1, 2, 3], [-1, 0.5, 2]]);
      if (share) x.shareMemory_();
      const opt = new optim.Adam([w], { lr: 0.1 });
      for (let i = 0; i < 3; i++) {
        opt.zeroGrad();
        torch.matmul(x, w).tanh().sum().backward();
        opt.step();
      }
      expect(w.isShared()).toBe(share);
      return w.tolist() as number[][];
    };
    expect(run(true)).toEqual(run(false));
  });

  test('a storage that is a view into a larger buffer is refused with a clear error', () => {
    const big = new Float32Array(8);
    const x = new torch.Tensor(big.subarray(2, 6), [4]);
    expect(() => x.shareMemory_()).toThrow(/shareMemory_: the float32 storage is a view into a larger ArrayBuffer \(16 of its 32 bytes, from byte 8\)/);
  });

  test('Module.shareMemory shares every parameter and buffer', () => {
    const m = new nn.Sequential(new nn.Linear(3, 2), new nn.BatchNorm1d(2));
    expect(m.shareMemory()).toBe(m);
    const all = [...m.parameters(), ...m.buffers()];
    expect(all.length).toBe(7); // weight, bias, BN weight, bias; running mean, var, batches tracked
    expect(all.every((t) => t.isShared())).toBe(true);
  });
});

describe('pack / unpack through postMessage', () => {
  test('contiguous tensors of every dtype come back with dtype, shape and values', async () => {
    const value = {
      f: torch.tensor([[1.5, -2], [3, 4.25]]),
      d: torch.tensor([1e-300, 2.5], { dtype: 'float64' }),
      i: torch.tensor([[7, -8, 9]], { dtype: 'int64' }),
      b: torch.tensor([true, false, true]),
      s: torch.tensor(3.5),
    };
    const { facts, back } = await echo(value);
    expect(facts.f).toMatchObject({ dtype: 'float32', shape: [2, 2], strides: [2, 1], offset: 0, values: [[1.5, -2], [3, 4.25]], shared: false });
    expect(facts.d).toMatchObject({ dtype: 'float64', values: [1e-300, 2.5] });
    expect(facts.i).toMatchObject({ dtype: 'int32', shape: [1, 3], values: [[7, -8, 9]] });
    expect(facts.b).toMatchObject({ dtype: 'bool', values: [true, false, true] });
    expect(facts.s).toMatchObject({ dtype: 'float32', shape: [], strides: [], values: 3.5 });
    const b = back as Record<string, Tensor>;
    expect(b.i!.dtype).toBe('int32');
    expect(b.b!.tolist()).toEqual([true, false, true]);
    expect(b.f).toBeInstanceOf(torch.Tensor);
  });

  test('views of one storage stay views of one storage, with strides and offset kept', async () => {
    const x = torch.tensor([[1, 2, 3], [4, 5, 6]]);
    const { facts } = await echo({ x, t: x.t(), tail: x.narrow(1, 1, 2), other: torch.tensor([9]) });
    expect(facts.t).toMatchObject({ shape: [3, 2], strides: [1, 3], offset: 0, values: [[1, 4], [2, 5], [3, 6]] });
    expect(facts.tail).toMatchObject({ shape: [2, 2], strides: [3, 1], offset: 1, values: [[2, 3], [5, 6]] });
    expect(facts.x!.sameStorageAs).toEqual(['x', 't', 'tail']);
    expect(facts.other!.sameStorageAs).toEqual(['other']);
  });

  test('copied storage: the worker writes its own copy', async () => {
    const x = torch.tensor([1, 2, 3]);
    const { facts, back } = await echo({ x }, { double: true });
    expect(facts.x!.shared).toBe(false);
    expect(x.tolist()).toEqual([1, 2, 3]);
    expect((back as { x: Tensor }).x.tolist()).toEqual([2, 4, 6]);
  });

  test('shared storage: the worker writes the memory this thread reads', async () => {
    const x = torch.tensor([[1, 2], [3, 4]]).shareMemory_();
    const t = x.t();
    const { facts, back } = await echo({ t }, { double: true });
    expect(facts.t).toMatchObject({ shared: true, strides: [1, 2], values: [[1, 3], [2, 4]] });
    expect(x.tolist()).toEqual([[2, 4], [6, 8]]);
    const tBack = (back as { t: Tensor }).t;
    torch.noGrad(() => tBack.fill_(0.5)); // the copy it sent back is a view of the same memory too
    expect(x.tolist()).toEqual([[0.5, 0.5], [0.5, 0.5]]);
  });

  test('transferred storage moves without a copy; the sender using it is a clear error', async () => {
    const x = torch.tensor([[1, 2], [3, 4]]);
    const view = x.t();
    const untouched = torch.tensor([5]);
    const { facts } = await echo({ x, untouched: untouched.shareMemory_() }, { transfer: true });
    expect(facts.x!.values).toEqual([[1, 2], [3, 4]]);
    expect(() => x.add(1)).toThrow(/this float32 tensor of shape \[2, 2\] can no longer be used: its storage was transferred to another thread/);
    expect(() => view.tolist()).toThrow(/shape \[2, 2\] can no longer be used/);
    expect(untouched.tolist()).toEqual([5]); // shared storage is never transferred
  });

  test('a state dict (Map) keeps keys, order, Parameters and requiresGrad', async () => {
    const p = new nn.Parameter(torch.tensor([0.5, -0.5]));
    const frozen = new nn.Parameter(torch.tensor([1]), false);
    const leaf = torch.tensor([2, 3], { requiresGrad: true });
    const { facts, back } = await echo(new Map<string, Tensor>([['p', p], ['frozen', frozen], ['leaf', leaf], ['buf', torch.tensor([1, 2], { dtype: 'int64' })]]));
    expect(Object.keys(facts)).toEqual(['p', 'frozen', 'leaf', 'buf']);
    expect(facts.p).toMatchObject({ parameter: true, requiresGrad: true });
    expect(facts.frozen).toMatchObject({ parameter: true, requiresGrad: false });
    expect(facts.leaf).toMatchObject({ parameter: false, requiresGrad: true });
    expect(facts.buf).toMatchObject({ parameter: false, requiresGrad: false, dtype: 'int32' });
    const b = back as { back: unknown };
    expect(b).toBeDefined();
  });

  test('nested arrays, objects, Maps and plain values round-trip as they are', async () => {
    const value = { a: [1, 'two', null, true, [torch.tensor([3])]], m: new Map<unknown, unknown>([[1, { deep: torch.tensor([4]) }]]), raw: new Float64Array([5]) };
    const { message, transferList } = threads.pack(value);
    const v = threads.unpack(structuredClone(message, { transfer: transferList })) as typeof value;
    expect(v.a.slice(0, 4)).toEqual([1, 'two', null, true]);
    expect(((v.a[4] as Tensor[])[0] as Tensor).tolist()).toEqual([3]);
    expect(((v.m.get(1) as { deep: Tensor }).deep).tolist()).toEqual([4]);
    expect(Array.from(v.raw)).toEqual([5]);
  });
});

describe('pack / unpack errors', () => {
  test('values that cannot cross threads name where they are', () => {
    expect(() => threads.pack({ a: [1, () => 0] })).toThrow(new TypeError("pack: value.a[1] is a function, which cannot cross threads (pass a module path instead)"));
    expect(() => threads.pack({ m: new nn.Linear(1, 1) })).toThrow(/pack: value\.m is a Linear; only tensors, numbers, strings/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => threads.pack(cyclic)).toThrow(/pack: value\.self refers back to itself \(a cycle\)/);
    expect(() => threads.pack(1, { transfer: 'yes' as unknown as boolean })).toThrow(TypeError);
  });

  test('a non-leaf tensor that requires grad is refused as PyTorch refuses it', () => {
    const y = torch.tensor([1, 2], { requiresGrad: true }).mul(2);
    expect(() => threads.pack([y])).toThrow(/pack: value\[0\]: Cowardly refusing to serialize non-leaf tensor which requires_grad/);
    expect(() => threads.pack([y.detach()])).not.toThrow();
  });

  test('unpack refuses what pack did not make', () => {
    expect(() => threads.unpack({ storages: [] })).toThrow(new TypeError('unpack: expected a message made by threads.pack but received an object'));
    expect(() => threads.unpack(null)).toThrow(/received null/);
  });
});
