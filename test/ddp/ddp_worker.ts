/**
 * One rank of a DDP test, started by test/ddp/ddp.test.ts with RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT set as
 * torchrun sets them. argv[2] is the task (JSON); the result (JSON) goes to the file task.out.
 */
import * as fs from 'fs';

import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import * as dist from '../../lib/distributed';
import { build, loadFixture } from '../helpers/fixtures';
import type { TensorJson } from '../helpers/fixtures';
import { Big, makeModel } from './models';

const { nn, optim } = torch;
const F = nn.functional;
const DDP = nn.parallel.DistributedDataParallel;

export interface TrainCase {
  model: string;
  options: Record<string, unknown>;
  epochs: number;
  accumulate: number;
  firstBucketBytes?: number;
  ranks: { initial: Record<string, TensorJson> }[];
}
export interface TrainFixture {
  world: number;
  perRankBatch: number;
  samplerSeed: number;
  lr: number;
  momentum: number;
  X: TensorJson;
  y: TensorJson;
  cases: Record<string, TrainCase>;
  unusedError: string[];
}
export const trainFixture = (): TrainFixture => loadFixture<never>('ddp_train.json') as unknown as TrainFixture;

export type TaskSpec = { kind: 'fixture'; name: string } | { kind: 'big'; steps: number } | { kind: 'unusedError' };
export type Task = TaskSpec & { out: string };

const dump = (sd: Map<string, Tensor>): Record<string, number[]> =>
  Object.fromEntries([...sd].map(([k, v]) => [k, Array.from(v.contiguous().data as ArrayLike<number>)]));

function fixtureRun(name: string, rank: number, world: number): unknown {
  const fx = trainFixture();
  const c = fx.cases[name]!;
  const X = build(fx.X);
  const y = build(fx.y);
  const model = makeModel(c.model, rank);
  model.loadStateDict(Object.fromEntries(Object.entries(c.ranks[rank]!.initial).map(([k, v]) => [k, build(v)])));
  if (c.firstBucketBytes !== undefined) DDP.defaultFirstBucketBytes = c.firstBucketBytes;
  const ddp = new DDP(model, c.options);
  DDP.defaultFirstBucketBytes = 1024 * 1024;
  const afterInit = dump(ddp.module.stateDict());
  const opt = new optim.SGD(ddp.parameters(), { lr: fx.lr, momentum: fx.momentum });
  const sampler = new torch.data.DistributedSampler({ length: X.shape[0]! }, { numReplicas: world, rank, shuffle: true, seed: fx.samplerSeed });
  const perStep = fx.perRankBatch * c.accumulate;
  const out = { afterInit, indices: [] as number[][], losses: [] as number[][], buckets: [] as number[][][] };
  for (let epoch = 0; epoch < c.epochs; epoch++) {
    sampler.setEpoch(epoch);
    const idx = sampler.indices();
    out.indices.push(idx);
    for (let start = 0; start + perStep <= idx.length; start += perStep) {
      opt.zeroGrad();
      const losses: number[] = [];
      for (let k = 0; k < c.accumulate; k++) {
        const batch = torch.tensor(idx.slice(start + k * fx.perRankBatch, start + (k + 1) * fx.perRankBatch), { dtype: 'int32' });
        const micro = (): number => {
          const loss = F.crossEntropy(ddp.forward(X.indexSelect(0, batch)), y.indexSelect(0, batch));
          loss.backward();
          return loss.item() as number;
        };
        losses.push(k === c.accumulate - 1 ? micro() : ddp.noSync(micro));
      }
      out.losses.push(losses);
      out.buckets.push(ddp.bucketIndices());
      opt.step();
    }
  }
  const params = ddp.parameters();
  return {
    ...out,
    bucketBytes: ddp.bucketIndices().map((b) => b.reduce((n, i) => n + params[i]!.numel() * 4, 0)),
    final: dump(ddp.module.stateDict()),
    stateDictKeys: [...ddp.stateDict().keys()],
    gradIsNone: Object.fromEntries(ddp.module.namedParameters().map(([n, p]) => [n, p.grad === null])),
  };
}

/** The Big model with default buckets on rank-specific data; also records whether bucket 0 was in flight before backward ended. */
function bigRun(steps: number, rank: number): unknown {
  torch.manualSeed(100 + rank);
  const model = new Big();
  const initial = dump(model.stateDict());
  const ddp = new DDP(model);
  const opt = new optim.SGD(ddp.parameters(), { lr: 0.05 });
  const g = new torch.Generator().manualSeed(50);
  const X = torch.randn([steps, 2, 6, 20], { generator: g });
  const y = torch.randint(0, 3, [steps, 2, 6], { generator: g });
  // fc1.weight's gradient comes last; when its hook runs the earlier bucket must already have been started.
  const reducer = (ddp as unknown as { reducer: { buckets: { work: unknown }[] } }).reducer;
  const launchedBeforeLast: boolean[] = [];
  model.fc1.weight.registerPostAccumulateGradHook(() => launchedBeforeLast.push(reducer.buckets.length > 1 && reducer.buckets[0]!.work !== null));
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    opt.zeroGrad();
    const loss = F.crossEntropy(ddp.forward(X.select(0, s).select(0, rank)), y.select(0, s).select(0, rank));
    loss.backward();
    losses.push(loss.item() as number);
    opt.step();
  }
  return { initial, losses, final: dump(ddp.module.stateDict()), buckets: ddp.bucketIndices(), launchedBeforeLast };
}

function unusedErrorRun(rank: number): unknown {
  const fx = trainFixture();
  const X = build(fx.X);
  const y = build(fx.y);
  torch.manualSeed(100);
  const ddp = new DDP(makeModel('Unused', rank));
  F.crossEntropy(ddp.forward(X.narrow(0, 0, 4)), y.narrow(0, 0, 4)).backward();
  try {
    ddp.forward(X.narrow(0, 4, 4));
    return { message: null };
  } catch (e) {
    return { message: (e as Error).message, name: (e as Error).name };
  }
}

async function main(): Promise<void> {
  const task = JSON.parse(process.argv[2]!) as Task;
  torch.setNumThreads(1);
  await dist.initProcessGroup({ backend: 'gloo', initMethod: 'env://' });
  const rank = dist.getRank();
  const world = dist.getWorldSize();
  const result = task.kind === 'fixture' ? fixtureRun(task.name, rank, world) : task.kind === 'big' ? bigRun(task.steps, rank) : unusedErrorRun(rank);
  await dist.barrier();
  dist.destroyProcessGroup();
  fs.writeFileSync(task.out, JSON.stringify(result));
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
