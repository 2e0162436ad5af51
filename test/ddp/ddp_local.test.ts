/**
 * DistributedDataParallel in a process group of one (in this process, over Gloo): with world 1 the averages are the
 * gradients themselves, so DDP must train bit for bit as the plain model does; and its misuse errors.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import { GLOO } from '../distributed/ranks';
import { MLP, Unused } from './models';

const { nn, optim } = torch;
const F = nn.functional;
const DDP = nn.parallel.DistributedDataParallel;
const d = torch.distributed;
const describeGloo = GLOO ? describe : describe.skip;
if (!GLOO) {
  // eslint-disable-next-line no-console
  console.warn('DDP in one process: SKIPPED: the Gloo addon (torchlet_gloo.node) is not built; install libgloo-dev and rebuild');
}

describeGloo('DDP in a process group of one', () => {
  beforeAll(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torchlet-ddp-local-'));
    await d.initProcessGroup({ backend: 'gloo', initMethod: `file://${path.join(dir, 'store')}`, rank: 0, worldSize: 1 });
  });
  afterAll(() => d.destroyProcessGroup());

  const pair = (): [MLP, MLP] => {
    torch.manualSeed(3);
    const a = new MLP();
    torch.manualSeed(3);
    return [a, new MLP()];
  };
  const data = (): [Tensor, Tensor] => {
    const g = new torch.Generator().manualSeed(9);
    return [torch.randn([6, 5, 8], { generator: g }), torch.randint(0, 3, [6, 5], { generator: g })];
  };
  const sameBits = (a: torch.nn.Module, b: torch.nn.Module): boolean =>
    a.parameters().every((p, i) => {
      const q = b.parameters()[i]!;
      return (p.data as Float32Array).every((v, j) => Object.is(v, q.data[j]));
    });

  test.each([
    ['default buckets', {}, 1 << 20],
    ['small buckets', { bucketCapMb: 0.002 }, 1024],
    ['gradients as bucket views', { bucketCapMb: 0.002, gradientAsBucketView: true }, 1024],
    ['findUnusedParameters', { findUnusedParameters: true }, 1 << 20],
  ])('%s: trains bit for bit as the plain model, noSync steps included', (_, options, firstBucket) => {
    const [a, b] = pair();
    DDP.defaultFirstBucketBytes = firstBucket;
    const ddp = new DDP(a, options);
    DDP.defaultFirstBucketBytes = 1 << 20;
    const oa = new optim.SGD(ddp.parameters(), { lr: 0.1, momentum: 0.9 });
    const ob = new optim.SGD(b.parameters(), { lr: 0.1, momentum: 0.9 });
    const [x, y] = data();
    for (let s = 0; s < 6; s++) {
      oa.zeroGrad();
      ob.zeroGrad();
      if (s % 2 === 1) {
        ddp.noSync(() => F.crossEntropy(ddp.forward(x.select(0, s - 1)), y.select(0, s - 1)).backward());
        F.crossEntropy(b.forward(x.select(0, s - 1)), y.select(0, s - 1)).backward();
      }
      F.crossEntropy(ddp.forward(x.select(0, s)), y.select(0, s)).backward();
      F.crossEntropy(b.forward(x.select(0, s)), y.select(0, s)).backward();
      oa.step();
      ob.step();
    }
    expect(sameBits(a, b)).toBe(true);
    if ((options as { gradientAsBucketView?: boolean }).gradientAsBucketView) {
      // fc3's and fc2's gradients are views of one bucket.
      expect(a.fc3.weight.grad!.data).toBe(a.fc2.weight.grad!.data);
    }
  });

  test('buckets: one in the first iteration, then rebuilt in gradient-ready order', () => {
    const [a] = pair();
    DDP.defaultFirstBucketBytes = 1024;
    const ddp = new DDP(a, { bucketCapMb: 0.002 });
    DDP.defaultFirstBucketBytes = 1 << 20;
    expect(ddp.bucketIndices()).toEqual([[0, 1, 2, 3, 4, 5]]);
    const [x, y] = data();
    F.crossEntropy(ddp.forward(x.select(0, 0)), y.select(0, 0)).backward();
    expect(ddp.hasRebuiltBuckets).toBe(false);
    ddp.forward(x.select(0, 1));
    expect(ddp.hasRebuiltBuckets).toBe(true);
    // fc3.bias, fc3.weight, fc2.bias, fc2.weight (2316 bytes >= 1024), then fc1 (1152 bytes < 2097).
    expect(ddp.bucketIndices()).toEqual([[5, 4, 3, 2], [1, 0]]);
  });

  test('module, parameters and state dict: the wrapped model under `module.`', () => {
    const [a] = pair();
    const ddp = new DDP(a);
    expect(ddp.module).toBe(a);
    expect(ddp.parameters()).toEqual(a.parameters());
    expect([...ddp.stateDict().keys()]).toEqual([...a.stateDict().keys()].map((k) => `module.${k}`));
  });

  test('a gradient marked ready twice before the reduction finished is an error; after it, a second backward only accumulates', () => {
    const [x, y] = data();
    // The unused layer leaves its bucket incomplete, so the first backward does not finish the reduction.
    torch.manualSeed(0);
    const ddp = new DDP(new Unused());
    const loss = F.crossEntropy(ddp.forward(x.select(0, 0)), y.select(0, 0));
    loss.backward({ retainGraph: true });
    expect(() => loss.backward()).toThrow(/Expected to mark a variable ready only once.*Parameter at index 5 with name fc2.bias has been marked as ready twice/s);
    // As PyTorch: once the reduction is done, hooks are off until the next forward.
    const [a, b] = pair();
    const ok = new DDP(a);
    const l2 = F.crossEntropy(ok.forward(x.select(0, 0)), y.select(0, 0));
    l2.backward({ retainGraph: true });
    l2.backward();
    F.crossEntropy(b.forward(x.select(0, 0)), y.select(0, 0)).mul(2).backward();
    expect(a.fc1.weight.grad!.sub(b.fc1.weight.grad!).abs().max().item()).toBeLessThan(1e-6);
  });

  test('an unused parameter without findUnusedParameters: the next forward names it; with the option it trains', () => {
    torch.manualSeed(0);
    const ddp = new DDP(new Unused());
    const [x, y] = data();
    F.crossEntropy(ddp.forward(x.select(0, 0)), y.select(0, 0)).backward();
    expect(() => ddp.forward(x.select(0, 1))).toThrow(/Parameter indices which did not receive grad for rank 0: 2 3\nParameters which did not receive grad for rank 0: unused.weight, unused.bias/);
    torch.manualSeed(0);
    const ok = new DDP(new Unused(), { findUnusedParameters: true });
    for (let s = 0; s < 3; s++) F.crossEntropy(ok.forward(x.select(0, s)), y.select(0, s)).backward();
    expect(ok.module.unused.weight.grad).toBeNull();
  });

  test('noSync: an async function keeps the context until its promise settles; the flag comes back after a throw', async () => {
    const [a] = pair();
    const ddp = new DDP(a);
    let release!: () => void;
    const p = ddp.noSync(() => new Promise<void>((r) => (release = r)));
    expect(ddp.requireBackwardGradSync).toBe(false);
    release();
    await p;
    expect(ddp.requireBackwardGradSync).toBe(true);
    expect(() => ddp.noSync(() => {
      throw new Error('inside');
    })).toThrow('inside');
    expect(ddp.requireBackwardGradSync).toBe(true);
    expect(() => ddp.noSync(3 as never)).toThrow(/noSync: expected a function for 'fn'/);
  });
});
