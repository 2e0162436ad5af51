/** DistributedSampler against PyTorch's indices (test/fixtures/ddp_sampler.json, scripts/gen_ddp_fixtures.py). */
import * as torch from '../../lib';
import { isInitialized } from '../../lib/distributed';
import { loadFixture } from '../helpers/fixtures';
import { expectError } from '../helpers/errors';

const { DistributedSampler } = torch.data;

interface SamplerCase {
  n: number;
  numReplicas: number;
  rank: number;
  shuffle: boolean;
  seed: number;
  dropLast: boolean;
  length: number;
  epochs: { epoch: number; indices: number[] }[];
}
const fx = loadFixture<SamplerCase>('ddp_sampler.json') as unknown as { cases: SamplerCase[]; errors: { numReplicas: number; rank: number; message: string }[] };

test(`PyTorch's indices for ${fx.cases.length} (size, world, rank, options) cases over epochs 0, 1 and 5`, () => {
  for (const c of fx.cases) {
    const s = new DistributedSampler({ length: c.n }, { numReplicas: c.numReplicas, rank: c.rank, shuffle: c.shuffle, seed: c.seed, dropLast: c.dropLast });
    expect(s.length).toBe(c.length);
    for (const e of c.epochs) {
      s.setEpoch(e.epoch);
      const got = [...s];
      if (JSON.stringify(got) !== JSON.stringify(e.indices)) {
        throw new Error(`n=${c.n} world=${c.numReplicas} rank=${c.rank} shuffle=${c.shuffle} seed=${c.seed} dropLast=${c.dropLast} epoch=${e.epoch}: ${JSON.stringify(got)} != ${JSON.stringify(e.indices)}`);
      }
    }
  }
});

test('the ranks of one world partition the padded permutation: every sample at least once, the counts equal', () => {
  const ds = new torch.data.TensorDataset(torch.zeros(11, 2));
  const parts = [0, 1, 2].map((rank) => [...new DistributedSampler(ds, { numReplicas: 3, rank, seed: 5 })]);
  expect(parts.map((p) => p.length)).toEqual([4, 4, 4]);
  expect(new Set(parts.flat()).size).toBe(11);
});

test("errors: a rank outside the world in PyTorch's words, bad options, no process group", () => {
  for (const e of fx.errors) {
    expectError(() => new DistributedSampler([1, 2, 3, 4], { numReplicas: e.numReplicas, rank: e.rank }), 'RangeError', new RegExp(`^DistributedSampler: ${e.message.replace(/[[\]]/g, '\\$&')}$`));
  }
  expectError(() => new DistributedSampler(5 as never, { numReplicas: 1, rank: 0 }), 'TypeError', /expected a dataset with a length/);
  expectError(() => new DistributedSampler([1], { numReplicas: 0, rank: 0 }), 'RangeError', /'numReplicas'/);
  expectError(() => new DistributedSampler([1], { numReplicas: 1, rank: 0, shufle: true } as never), 'TypeError', /unexpected option 'shufle'/);
  expectError(() => new DistributedSampler([1], { numReplicas: 1, rank: 0, seed: 0.5 }), 'RangeError', /'seed'/);
  expectError(() => new DistributedSampler([1], { numReplicas: 1, rank: 0 }).setEpoch('1' as never), 'TypeError', /setEpoch: expected an integer for 'epoch'/);
  if (!isInitialized()) {
    expectError(() => new DistributedSampler([1, 2]), 'Error', /'numReplicas' was not given and the default process group has not been initialized/);
  }
});
