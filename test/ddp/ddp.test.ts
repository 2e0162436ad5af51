/**
 * DistributedDataParallel with 2 real ranks (child processes, Gloo over 127.0.0.1, a fresh port per test) against
 * PyTorch 1.13's DDP over Gloo (test/fixtures/ddp_train.json, scripts/gen_ddp_fixtures.py), and against one
 * process training on the combined batch.
 */
import { spawn } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import { build } from '../helpers/fixtures';
import type { TensorJson } from '../helpers/fixtures';
import { trainFixture } from './ddp_worker';
import type { TaskSpec } from './ddp_worker';
import { Big, makeModel } from './models';
import { GLOO, childEnv, compiledLib, freePort } from '../distributed/ranks';

const { nn, optim } = torch;
const F = nn.functional;
const fx = trainFixture();
const WORLD = fx.world;
const root = path.resolve(__dirname, '..', '..');

type Weights = Record<string, number[]>;
interface FixtureResult {
  afterInit: Weights;
  indices: number[][];
  losses: number[][];
  buckets: number[][][];
  final: Weights;
  stateDictKeys: string[];
  gradIsNone: Record<string, boolean>;
  bucketBytes: number[];
}

/**
 * The worker, its models and the fixture helper transpiled to plain JS beside the distributed tests' compiled lib/
 * (ts-node would take half a minute per process on a busy machine): <dir>/test/ddp/ddp_worker.js requires
 * <dir>/lib, a link to compiledLib().
 */
function compiledWorker(): string {
  const files = ['test/ddp/ddp_worker.ts', 'test/ddp/models.ts', 'test/helpers/fixtures.ts'];
  const lib = compiledLib();
  const hash = crypto.createHash('sha1').update(lib);
  for (const f of files) hash.update(fs.readFileSync(path.join(root, f)));
  const dir = path.join(os.tmpdir(), `torchlet-ddp-worker-${hash.digest('hex').slice(0, 12)}`);
  if (!fs.existsSync(path.join(dir, files[0]!.replace(/\.ts$/, '.js')))) {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const ts = require('typescript') as typeof import('typescript');
    fs.mkdirSync(path.join(dir, 'test'), { recursive: true });
    if (!fs.existsSync(path.join(dir, 'lib'))) fs.symlinkSync(lib, path.join(dir, 'lib'));
    if (!fs.existsSync(path.join(dir, 'test', 'fixtures'))) fs.symlinkSync(path.join(root, 'test', 'fixtures'), path.join(dir, 'test', 'fixtures'));
    for (const f of files) {
      const js = ts.transpileModule(fs.readFileSync(path.join(root, f), 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
        fileName: f,
      }).outputText;
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      fs.writeFileSync(path.join(dir, f.replace(/\.ts$/, '.js')), js);
    }
  }
  return path.join(dir, files[0]!.replace(/\.ts$/, '.js'));
}

/** Runs a task on WORLD ranks as child processes; resolves with each rank's result, rejects with a failed rank's stderr. */
async function runRanks<R>(task: TaskSpec, timeoutMs = 240000): Promise<R[]> {
  const worker = compiledWorker();
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torchlet-ddp-'));
  const outs = Array.from({ length: WORLD }, (_, r) => path.join(dir, `rank${r}.json`));
  const children = outs.map((out, rank) =>
    spawn(process.execPath, [worker, JSON.stringify({ ...task, out })], {
      env: childEnv({ RANK: String(rank), LOCAL_RANK: String(rank), WORLD_SIZE: String(WORLD), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) }),
      stdio: ['ignore', 'inherit', 'pipe'],
    }),
  );
  const timer = setTimeout(() => children.forEach((c) => c.kill('SIGKILL')), timeoutMs);
  try {
    const ends = await Promise.all(children.map((c) => new Promise<[number | null, string]>((resolve) => {
      let err = '';
      c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      c.on('close', (code) => resolve([code, err]));
    })));
    ends.forEach(([code, err], rank) => {
      if (code !== 0) throw new Error(`rank ${rank} exited with ${code}:\n${err}`);
    });
    return outs.map((o) => JSON.parse(fs.readFileSync(o, 'utf8')) as R);
  } finally {
    clearTimeout(timer);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** max |a - b| over every tensor of a state (PyTorch's as TensorJson, or torchlet's as arrays). */
function maxDiff(got: Weights, want: Record<string, TensorJson | number[]>): number {
  expect(Object.keys(got)).toEqual(Object.keys(want));
  let m = 0;
  for (const [k, w] of Object.entries(want)) {
    const wv = Array.isArray(w) ? w : w.data.map(Number);
    const gv = got[k]!;
    expect(gv.length).toBe(wv.length);
    gv.forEach((v, i) => (m = Math.max(m, Math.abs(v - wv[i]!))));
  }
  return m;
}

function expectBitwiseEqual(a: Weights, b: Weights, keys = Object.keys(a)): void {
  for (const k of keys) {
    const x = Float64Array.from(a[k]!);
    const y = Float64Array.from(b[k]!);
    if (x.some((v, i) => !Object.is(v, y[i]))) throw new Error(`${k}: the ranks differ`);
  }
}

/** Plain single-process training of the fixture case on each step's batches of all ranks together. */
function combined(name: string, indices: number[][][]): Weights {
  const c = fx.cases[name]!;
  const X = build(fx.X);
  const y = build(fx.y);
  const model = makeModel(c.model, 0);
  model.loadStateDict(Object.fromEntries(Object.entries(c.ranks[0]!.initial).map(([k, v]) => [k, build(v)])));
  const opt = new optim.SGD(model.parameters(), { lr: fx.lr, momentum: fx.momentum });
  const perStep = fx.perRankBatch * c.accumulate;
  indices[0]!.forEach((idx0, epoch) => {
    for (let start = 0; start + perStep <= idx0.length; start += perStep) {
      opt.zeroGrad();
      for (let k = 0; k < c.accumulate; k++) {
        const rows = indices.flatMap((byEpoch) => byEpoch[epoch]!.slice(start + k * fx.perRankBatch, start + (k + 1) * fx.perRankBatch));
        const b = torch.tensor(rows, { dtype: 'int32' });
        F.crossEntropy(model.forward(X.indexSelect(0, b)), y.indexSelect(0, b)).backward();
      }
      opt.step();
    }
  });
  return Object.fromEntries([...model.stateDict()].map(([k, v]) => [k, Array.from(v.data as ArrayLike<number>)]));
}

if (!GLOO) {
  // eslint-disable-next-line no-console
  console.warn('DDP over Gloo: SKIPPED: the Gloo addon (torchlet_gloo.node) is not built; install libgloo-dev and rebuild');
}
const it = GLOO ? (name: string, fn: () => Promise<void>) => test(name, fn, 300000) : test.skip;
jest.setTimeout(300000);

describe.each(Object.keys(fx.cases))('DDP over 2 Gloo ranks reproduces PyTorch: %s', (name) => {
  it('rank 0 broadcast at construction; sampler indices, per-rank losses and final weights as PyTorch; ranks bitwise equal', async () => {
    const c = fx.cases[name]!;
    const py = c.ranks as unknown as (Omit<FixtureResult, 'final'> & { initial: Record<string, TensorJson>; final: Record<string, TensorJson> })[];
    const got = await runRanks<FixtureResult>({ kind: 'fixture', name });
    for (let r = 0; r < WORLD; r++) {
      expect(maxDiff(got[r]!.afterInit, py[0]!.initial)).toBe(0);
      expect(got[r]!.indices).toEqual(py[r]!.indices);
      got[r]!.losses.flat().forEach((l, i) => expect(Math.abs(l - py[r]!.losses.flat()[i]!)).toBeLessThan(1e-5));
      const params = Object.keys(got[r]!.final).filter((k) => !k.includes('running') && !k.includes('num_batches'));
      expect(maxDiff(Object.fromEntries(params.map((k) => [k, got[r]!.final[k]!])), Object.fromEntries(params.map((k) => [k, py[r]!.final[k]!])))).toBeLessThan(1e-6);
      // Buffers too: re-broadcast from rank 0 before each forward, then updated locally by it (or never synced).
      const buffers = Object.keys(got[r]!.final).filter((k) => !params.includes(k));
      expect(maxDiff(Object.fromEntries(buffers.map((k) => [k, got[r]!.final[k]!])), Object.fromEntries(buffers.map((k) => [k, py[r]!.final[k]!])))).toBeLessThan(1e-6);
      expect(got[r]!.stateDictKeys).toEqual(py[r]!.stateDictKeys);
      expect(got[r]!.gradIsNone).toEqual(py[r]!.gradIsNone);
    }
    const params = Object.keys(got[0]!.final).filter((k) => !k.includes('running') && !k.includes('num_batches'));
    expectBitwiseEqual(got[0]!.final, got[1]!.final, params);
    // PyTorch's rebuilt bucket sizes in bytes, from its logging data, against ours.
    const pyBuckets = py[0]!.buckets.at(-1) as unknown as string | null;
    if (pyBuckets && !c.options.findUnusedParameters) {
      expect(got[0]!.bucketBytes.join(', ')).toBe(pyBuckets);
    }
    if (name !== 'findUnused' && !name.startsWith('batchNorm')) {
      const ref = combined(name, got.map((g) => g.indices));
      expect(maxDiff(got[0]!.final, ref)).toBeLessThan(1e-5);
    }
  });
});

it("a parameter unused without findUnusedParameters: the next forward fails with PyTorch's message", async () => {
  const got = await runRanks<{ message: string | null; name: string }>({ kind: 'unusedError' });
  got.forEach((g, rank) => {
    const py = fx.unusedError[rank]!;
    expect(g.name).toBe('Error');
    expect(g.message).toContain(py.slice(0, py.indexOf('You can enable')));
    expect(g.message).toContain('`findUnusedParameters: true`');
    expect(g.message).toContain(py.match(/Parameter indices which did not receive grad for rank \d: [\d ]+/)![0]);
    expect(g.message).toContain('unused.weight, unused.bias');
  });
});

it('default buckets (1 MB first, then 25 MB) over a 1.2 MB weight: two buckets, the first started during backward; ranks bitwise equal; equal to one process', async () => {
  const steps = 4;
  const got = await runRanks<{ initial: Weights; losses: number[]; final: Weights; buckets: number[][]; launchedBeforeLast: boolean[] }>({ kind: 'big', steps });
  expectBitwiseEqual(got[0]!.final, got[1]!.final);
  // Rebuilt in gradient-ready order: fc3.bias, fc3.weight, fc2.bias, fc2.weight (>= 1 MB closes it), then fc1.
  expect(got[0]!.buckets).toEqual([[5, 4, 3, 2], [1, 0]]);
  // The first iteration has one bucket (as PyTorch 1.13); from the second, bucket 0 is in flight before fc1's gradient.
  expect(got[0]!.launchedBeforeLast.slice(1)).toEqual(Array(steps - 1).fill(true));
  // One process, rank 0's initial weights, both ranks' batches together.
  const model = new Big();
  model.loadStateDict(Object.fromEntries(Object.entries(got[0]!.initial).map(([k, v]) => [k, torch.tensor(v).view(model.stateDict().get(k)!.shape)])));
  const opt = new optim.SGD(model.parameters(), { lr: 0.05 });
  const g = new torch.Generator().manualSeed(50);
  const X = torch.randn([steps, 2, 6, 20], { generator: g });
  const y = torch.randint(0, 3, [steps, 2, 6], { generator: g });
  for (let s = 0; s < steps; s++) {
    opt.zeroGrad();
    F.crossEntropy(model.forward(X.select(0, s).reshape([12, 20])), y.select(0, s).reshape([12])).backward();
    opt.step();
  }
  const ref: Record<string, number[]> = Object.fromEntries([...model.stateDict()].map(([k, v]) => [k, Array.from(v.data as ArrayLike<number>)]));
  expect(maxDiff(got[0]!.final, ref)).toBeLessThan(1e-5);
});

describe('construction and misuse, in one process', () => {
  test('errors without a process group, for bad options, for a module without trainable parameters', () => {
    const DDP = nn.parallel.DistributedDataParallel;
    const m = new nn.Linear(2, 2);
    expect(() => new DDP(m)).toThrow(/Default process group has not been initialized, please make sure to call distributed.initProcessGroup/);
    expect(() => new DDP(m, { bucketCapMb: 0 })).toThrow(/bucketCapMb/);
    expect(() => new DDP(m, { deviceIds: [0] })).toThrow(/device_ids and output_device arguments only work/);
    expect(() => new DDP(m, { staticGraph: true } as never)).toThrow(/unexpected option 'staticGraph'/);
    expect(() => new DDP({} as never)).toThrow(/expected an nn.Module/);
    const frozen = new nn.Linear(2, 2).requiresGrad_(false);
    expect(() => new DDP(frozen)).toThrow("DistributedDataParallel is not needed when a module doesn't have any parameter that requires a gradient.");
  });
});

export type { Tensor };
