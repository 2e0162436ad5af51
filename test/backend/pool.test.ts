/**
 * Storage reuse (lib/dtype.ts's pool, fed by the autograd engine): gradients the engine alone holds are recycled the
 * moment they are consumed, and nothing a user can still reach is ever reused. Each test keeps references to many
 * tensors (intermediates, .grad, retained gradients, hook arguments, autograd.grad results) across many steps, with
 * copies of their contents taken when they were made, and compares the two at the end: any reuse of storage a user
 * holds would have overwritten one of them.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import { native } from '../../lib/backend/native/binding';
import { allocate, allocateForOutput, emptyPool, ownsBuffer, pooledStorage, recycle } from '../../lib/dtype';

const { nn, optim } = torch;
const F = nn.functional;

/** Tensors with copies of their values taken when they were made. */
class Witness {
  private readonly kept: [Tensor, ArrayLike<number>][] = [];
  keep(t: Tensor | null | undefined): void {
    if (t) this.kept.push([t, values(t).slice()]);
  }
  get count(): number {
    return this.kept.length;
  }
  /** Every kept tensor still holds what it held (NaN compares equal to NaN). */
  check(): void {
    for (const [i, [t, copy]] of this.kept.entries()) {
      const now = values(t);
      let same = now.length === copy.length;
      for (let j = 0; same && j < now.length; j++) same = Object.is(now[j], copy[j]);
      if (!same) throw new Error(`kept tensor ${i} (shape [${t.shape.join(', ')}]) changed after it was made`);
    }
  }
}

/** The elements of t in row-major order, reading its storage (a view of it when t is contiguous). */
function values(t: Tensor): Float32Array | Float64Array | Int32Array | Uint8Array {
  const c = t.contiguous();
  return c.data.subarray(c.offset, c.offset + c.numel());
}

/** a, after its buffer was transferred away (as threads.pack({ transfer: true }) does). */
function detached(a: Float32Array): Float32Array {
  const buf = a.buffer as ArrayBuffer;
  structuredClone(buf, { transfer: [buf] });
  return a;
}

/** Runs fn and returns how many storages the pool handed out again meanwhile. */
function reusedDuring(fn: () => void): number {
  const before = pooledStorage().reused;
  fn();
  return pooledStorage().reused - before;
}

describe('storage reuse', () => {
  test('an MLP trained for 20 steps: every intermediate, .grad, retained grad and hook argument kept stays intact', () => {
    torch.manualSeed(0);
    const model = new nn.Sequential(new nn.Linear(64, 128), new nn.ReLU(), new nn.Linear(128, 128), new nn.Tanh(), new nn.Linear(128, 10));
    const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const x = torch.randn(32, 64);
    const y = torch.randint(0, 10, [32]);
    const seen = new Witness();
    const hooked: Tensor[] = [];
    for (const p of model.parameters()) p.registerPostAccumulateGradHook((leaf) => hooked.push(leaf.grad!));
    const reused = reusedDuring(() => {
      for (let step = 0; step < 20; step++) {
        opt.zeroGrad();
        const h1 = model.at(0).forward(x);
        const a1 = model.at(1).forward(h1);
        const h2 = model.at(2).forward(a1).retainGrad();
        const a2 = model.at(3).forward(h2);
        const logits = model.at(4).forward(a2).retainGrad();
        const loss = F.crossEntropy(logits, y);
        for (const t of [h1, a1, h2, a2, logits, loss]) seen.keep(t);
        hooked.length = 0;
        loss.backward();
        for (const t of [h2.grad, logits.grad, ...model.parameters().map((p) => p.grad), ...hooked]) seen.keep(t);
        opt.step();
        // The step wrote the parameters in place (not gradients): keep the new values too.
        for (const p of model.parameters()) seen.keep(p.detach().clone());
      }
    });
    expect(reused).toBeGreaterThan(0);
    expect(seen.count).toBeGreaterThan(20 * 20);
    seen.check();
  });

  test('a CNN step with convolution, pooling and a residual fan-in, 12 steps, float32', () => {
    torch.manualSeed(1);
    const conv1 = new nn.Conv2d(3, 8, 3, { padding: 1 });
    const conv2 = new nn.Conv2d(8, 8, 3, { padding: 1 });
    const fc = new nn.Linear(8 * 8 * 8, 10);
    const params = [...conv1.parameters(), ...conv2.parameters(), ...fc.parameters()];
    const opt = new optim.Adam(params, { lr: 1e-3 });
    const x = torch.randn(4, 3, 16, 16);
    const y = torch.randint(0, 10, [4]);
    const seen = new Witness();
    const reused = reusedDuring(() => {
      for (let step = 0; step < 12; step++) {
        opt.zeroGrad();
        const c1 = F.relu(conv1.forward(x)).retainGrad();
        const c2 = conv2.forward(c1);
        const r = c2.add(c1).retainGrad(); // two gradient paths into c1
        const p = F.maxPool2d(r, 2);
        const loss = F.crossEntropy(fc.forward(p.flatten(1)), y);
        for (const t of [c1, c2, r, p, loss]) seen.keep(t);
        loss.backward();
        for (const t of [c1.grad, r.grad, ...params.map((q) => q.grad)]) seen.keep(t);
        opt.step();
      }
    });
    expect(reused).toBeGreaterThan(0);
    seen.check();
  });

  test('autograd.grad results (of leaves and of intermediates) and retainGraph backwards stay intact', () => {
    torch.manualSeed(2);
    const w = torch.randn([128, 128], { requiresGrad: true });
    const b = torch.randn([128], { requiresGrad: true });
    const seen = new Witness();
    const reused = reusedDuring(() => {
      for (let step = 0; step < 20; step++) {
        const x = torch.randn(16, 128);
        const h = x.matmul(w).add(b);
        const a = h.tanh();
        const out = a.matmul(w).sigmoid().sum();
        seen.keep(h);
        seen.keep(a);
        // The gradient of an intermediate and of the leaves, twice through one graph (the second time scaled, so
        // that storage reused by it would hold other values).
        const [ga, gw] = torch.autograd.grad(out, [a, w], { retainGraph: true });
        seen.keep(ga);
        seen.keep(gw);
        const [gw2, gb] = torch.autograd.grad([out], [w, b], [torch.tensor(3)]);
        seen.keep(gw2);
        seen.keep(gb);
      }
    });
    expect(reused).toBeGreaterThan(0);
    seen.check();
  });

  test('one gradient reaching several leaves and a retained non-leaf (add, expand and view backward) stays intact', () => {
    const seen = new Witness();
    const reused = reusedDuring(() => {
      for (let step = 0; step < 20; step++) {
        const p = torch.randn([64, 64], { requiresGrad: true });
        const q = torch.randn([64, 64], { requiresGrad: true });
        const r = torch.randn([64], { requiresGrad: true });
        // add's backward returns g for both inputs; expand's sums it; view's backward is a view of g.
        const s = p.add(q).retainGrad();
        const t = s.add(r.expand([64, 64])).view([4096]).retainGrad();
        const u = t.mul(t).view([64, 64]).sum(1).exp().sum();
        for (const k of [s, t]) seen.keep(k);
        u.backward();
        for (const k of [r.grad, s.grad, t.grad]) seen.keep(k);
        // A second backward into the same leaves accumulates into their .grad in place (as PyTorch's engine does):
        // they are kept after it.
        p.mul(q).sum().backward();
        for (const k of [p.grad, q.grad]) seen.keep(k);
      }
    });
    expect(reused).toBeGreaterThan(0);
    seen.check();
  });

  test('float64 gradients, a float32 -> float64 promotion (a cast gradient) and a nested backward in a hook', () => {
    const seen = new Witness();
    const inner: Tensor[] = [];
    const reused = reusedDuring(() => {
      for (let step = 0; step < 15; step++) {
        const x = torch.randn([48, 48], { dtype: 'float64', requiresGrad: true });
        const z = torch.randn([48, 48], { requiresGrad: true }); // float32, promoted by the mul below
        const other = torch.randn([48, 48], { requiresGrad: true });
        const hook = x.registerPostAccumulateGradHook(() => {
          // A backward of its own while the outer one runs.
          other.grad = null;
          torch.autograd.enableGrad(() => other.mul(other).exp().sum().backward());
          inner.push(other.grad!);
          seen.keep(other.grad);
        });
        const y = x.mul(z).sin().matmul(x).sum();
        seen.keep(y);
        y.backward();
        hook.remove();
        for (const k of [x.grad, z.grad]) seen.keep(k);
      }
    });
    expect(inner.length).toBe(15);
    expect(reused).toBeGreaterThan(0);
    seen.check();
  });

  test('createGraph: gradients that the double-backward graph saves are never reused (checked against the formula)', () => {
    torch.manualSeed(4);
    for (let step = 0; step < 10; step++) {
      const x = torch.randn([32, 32], { requiresGrad: true });
      // y = sum(x tanh x): dy/dx = t + x (1 - t^2); the backward of sum((dy/dx)^2) is 2 dy/dx (2 (1 - t^2)(1 - x t)).
      const [gx] = torch.autograd.grad(x.tanh().mul(x).sum(), [x], { createGraph: true });
      // Another walk in between, whose consumed gradients would take any storage wrongly recycled above.
      torch.randn([32, 32], { requiresGrad: true }).exp().mul(2).sin().sum().backward();
      gx!.pow(2).sum().backward();
      const xs = values(x);
      const got = values(x.grad!);
      let worst = 0;
      for (let i = 0; i < xs.length; i++) {
        const v = xs[i]!;
        const t = Math.tanh(v);
        const d = t + v * (1 - t * t);
        worst = Math.max(worst, Math.abs(got[i]! - 2 * d * (2 * (1 - t * t) * (1 - v * t))));
      }
      expect(worst).toBeLessThan(1e-4);
    }
  });

  test('a consumed gradient serves the next result of its dtype and length', () => {
    torch.manualSeed(3);
    const w = torch.randn([256, 256], { requiresGrad: true });
    const x = torch.randn(64, 256);
    x.matmul(w).relu().matmul(w).sum().backward();
    // The [64, 256] gradients of the two activations were consumed: they wait for reuse.
    const after = pooledStorage();
    expect(after.count).toBeGreaterThan(0);
    const y = x.matmul(w.detach());
    expect(pooledStorage().reused).toBe(after.reused + 1);
    expect(pooledStorage().count).toBe(after.count - 1);
    expect(y.shape).toEqual([64, 256]);
  });

  test('a leaf given as a root gets its seed before the walk (backward on a leaf, autograd.grad of a leaf)', () => {
    const x = torch.ones([2048], { requiresGrad: true });
    const seed = torch.full([2048], 3);
    x.backward(seed);
    expect(x.grad!.sum().item()).toBe(3 * 2048);
    const [gx] = torch.autograd.grad([x], [x], [seed]);
    expect(gx!.sum().item()).toBe(3 * 2048);
  });

  test('the pool takes only whole, unshared storage of at least 4 KiB, and allocate() zeroes what it reuses', () => {
    emptyPool();
    const whole = new Float32Array(2048).fill(7);
    const refused = [
      new Float32Array(new ArrayBuffer(16384), 4096, 2048), // a view into a larger buffer
      new Float32Array(new SharedArrayBuffer(8192)), // shared with other threads
      new Float32Array(512), // 2 KiB
      new Int32Array(8192).subarray(0, 2048),
      detached(new Float32Array(2048)), // transferred to another thread
    ];
    for (const r of refused) recycle(r);
    expect(pooledStorage().count).toBe(0);
    recycle(whole);
    expect(pooledStorage()).toMatchObject({ count: 1, bytes: 8192 });
    // Another length or dtype does not take it; the same dtype and length does, zero-filled by allocate.
    expect(allocateForOutput('float32', 2047)).not.toBe(whole);
    expect(allocateForOutput('int32', 2048)).not.toBe(whole);
    const got = allocate('float32', 2048);
    expect(got).toBe(whole);
    expect(got.every((v) => v === 0)).toBe(true);
    expect(pooledStorage().count).toBe(0);
  });

  test('storage no walk reused is left to the garbage collector two walks later', () => {
    emptyPool();
    recycle(new Float64Array(1000)); // a length no walk below asks for
    expect(pooledStorage().count).toBe(1);
    const x = torch.ones([4], { requiresGrad: true });
    x.sum().backward();
    expect(pooledStorage().count).toBe(1);
    x.sum().backward();
    x.sum().backward();
    expect(pooledStorage().count).toBe(0);
  });
  test('a recurrent layer workspace and max-pool positions go back to the pool after backward; returned indices never do', () => {
    torch.manualSeed(2);
    const lstm = new nn.LSTM(16, 32, { numLayers: 2 });
    const x = torch.randn(12, 4, 16);
    const seen = new Witness();
    // The same forward on fresh memory: what every later step must give again, whatever its storage held before.
    emptyPool();
    const [first] = lstm.forward(x);
    const expected = values(first).slice();
    let reused = 0;
    for (let step = 0; step < 6; step++) {
      reused += reusedDuring(() => {
        const [out, [hN, cN]] = lstm.forward(x);
        expect(Array.from(values(out))).toEqual(Array.from(expected));
        const img = torch.randn(2, 3, 64, 64, { requiresGrad: true }); // other maxima each step; 24 KiB of positions
        const [pooled, idx] = F.maxPool2d(img, 2, { returnIndices: true });
        const plain = F.maxPool2d(img.mul(2), 2);
        for (const t of [out, hN, cN, pooled, idx, plain]) seen.keep(t);
        out.sum().add(hN.sum()).add(cN.sum()).add(pooled.sum()).add(plain.sum()).backward();
        for (const p of lstm.parameters()) seen.keep(p.grad);
        seen.keep(img.grad);
        lstm.zeroGrad();
      });
    }
    expect(reused).toBeGreaterThan(0);
    seen.check();
    // Without a graph (no grad), the workspace is recycled at once: the next forward takes it again.
    torch.noGrad(() => lstm.forward(x));
    expect(reusedDuring(() => torch.noGrad(() => lstm.forward(x)))).toBeGreaterThan(0);
  });

  test('dropout: its noise goes back to the pool after backward; outputs and gradients kept stay intact', () => {
    torch.manualSeed(3);
    const seen = new Witness();
    let reused = 0;
    for (let step = 0; step < 8; step++) {
      const x = torch.ones([64, 64], { requiresGrad: true });
      const y = F.dropout(x, 0.25);
      reused += reusedDuring(() => y.sum().backward());
      // With x all ones, y is the noise itself, and the gradient of y.sum() is that noise again.
      expect(Array.from(values(x.grad!))).toEqual(Array.from(values(y)));
      expect(new Set(values(y))).toEqual(new Set([0, Math.fround(1 / 0.75)]));
      seen.keep(y);
      seen.keep(x.grad);
    }
    // The noise of one step serves the next step's allocations of its length.
    reused += reusedDuring(() => F.dropout(torch.ones([64, 64], { requiresGrad: true }), 0.25).sum().backward());
    expect(reused).toBeGreaterThan(0);
    seen.check();
  });

  test('storage of 4 KiB and more starts on a 64-byte cache line, holds its buffer alone and is recycled', () => {
    emptyPool();
    // Lengths around the 4 KiB and 64 KiB thresholds, zeroed and not; the address comes from the addon.
    for (const [dtype, n] of [['float32', 1024], ['float32', 1025], ['float64', 8191], ['int32', 16384], ['float32', 16385], ['bool', 70000]] as const) {
      for (const s of [allocate(dtype, n), allocateForOutput(dtype, n)]) {
        expect(s.length).toBe(n);
        expect((native.misalignment(s.buffer as ArrayBuffer) + s.byteOffset) % 64).toBe(0);
        expect(s.buffer.byteLength - s.byteLength).toBeLessThanOrEqual(64);
        expect(ownsBuffer(s)).toBe(true);
      }
    }
    expect(allocate('float32', 70000).every((v) => v === 0)).toBe(true);
    // A user's view of part of a buffer is not torchlet's: it is neither moved nor recycled.
    const mine = allocateForOutput('float32', 4096);
    for (const [offset, length] of [[mine.byteOffset, 4095], [(mine.byteOffset + 16) % 64, 4096], [mine.byteOffset + 4, 4080]]) {
      expect(ownsBuffer(new Float32Array(mine.buffer, offset, length))).toBe(false);
    }
    recycle(mine);
    expect(pooledStorage()).toMatchObject({ count: 1, bytes: 16384 });
    expect(allocateForOutput('float32', 4096)).toBe(mine);
  });

  test('large tensors move to shared memory and transfer whole', () => {
    const x = torch.arange(5000).to('float32');
    expect(x.data.byteLength).toBeLessThan(x.data.buffer.byteLength); // a padded, aligned allocation
    const y = x.view([50, 100]);
    x.shareMemory_();
    expect(y.isShared()).toBe(true);
    expect(y.select(0, 49).select(0, 99).item()).toBe(4999);
    const z = torch.ones([3000]).mul(2);
    const { transferList } = torch.threads.pack({ z }, { transfer: true });
    expect(transferList).toEqual([z.data.buffer]);
  });
});

// The kernel's own accounting (AnonHugePages of the heap in /proc/self/smaps) in fresh processes: the heap's state
// depends on everything a process allocated before. Under AddressSanitizer malloc is not glibc's heap.
const thpMode = (() => {
  try {
    return /\[(\w+)\]/.exec(fs.readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))?.[1] ?? 'none';
  } catch {
    return 'none';
  }
})();
/** Whether the addon asks for huge pages here: in "madvise" mode, unless address space is strictly accounted. */
const hugeOnRequest = (() => {
  try {
    return thpMode === 'madvise' && fs.readFileSync('/proc/sys/vm/overcommit_memory', 'utf8').trim() !== '2';
  } catch {
    return false;
  }
})();
const plainLinux = process.platform === 'linux' && !/asan/.test(process.env.LD_PRELOAD ?? '') ? describe : describe.skip;

plainLinux('huge pages', () => {
  /** Makes 40 results of 1M floats in a fresh process; returns what backendInfo says and what the kernel counted. */
  function child(env: Record<string, string>): { mallocTuned: boolean; hugePages: boolean; heapHugeKiB: number; sums: number[] } {
    const dist = path.resolve(__dirname, '..', '..', 'dist');
    const code = `
      const torch = require(${JSON.stringify(dist)});
      const ones = torch.ones(1 << 20);
      const kept = [];
      for (let i = 0; i < 40; i++) kept.push(ones.mul(i));
      let heapHugeKiB = 0, heap = false;
      for (const line of require('fs').readFileSync('/proc/self/smaps', 'utf8').split('\\n')) {
        if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) heap = line.endsWith('[heap]');
        else if (heap && line.startsWith('AnonHugePages:')) heapHugeKiB += Number(line.split(/\\s+/)[1]);
      }
      const { mallocTuned, hugePages } = torch.backendInfo();
      process.stdout.write(JSON.stringify({ mallocTuned, hugePages, heapHugeKiB, sums: kept.map((t) => t.sum().item()) }));`;
    const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    return JSON.parse(r.stdout);
  }
  const sums = Array.from({ length: 40 }, (_, i) => i * 2 ** 20);

  test('results land on huge pages when the kernel gives them on request', () => {
    const r = child({ TORCHLET_HUGE_PAGES: '1', TORCHLET_MALLOC_TUNING: '1' });
    expect(r.mallocTuned).toBe(true);
    expect(r.hugePages).toBe(hugeOnRequest);
    // 160 MiB of results, most of it on 2 MiB pages here (some of the heap was touched before the addon loaded; a
    // kernel short of free huge pages falls back to small ones, so the bound is low).
    if (hugeOnRequest) expect(r.heapHugeKiB).toBeGreaterThanOrEqual(16 * 1024);
    expect(r.sums).toEqual(sums);
  });

  test('TORCHLET_HUGE_PAGES=0 and TORCHLET_MALLOC_TUNING=0 turn them off', () => {
    const off = child({ TORCHLET_HUGE_PAGES: '0' });
    expect(off).toMatchObject({ mallocTuned: true, hugePages: false, sums });
    if (hugeOnRequest) expect(off.heapHugeKiB).toBe(0);
    expect(child({ TORCHLET_MALLOC_TUNING: '0' })).toMatchObject({ mallocTuned: false, hugePages: false, sums });
  });
});
