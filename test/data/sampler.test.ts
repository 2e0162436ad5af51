import * as torch from '../../lib';
import { after, fx, Range } from './data_fixtures';

const { data } = torch;

function makeSampler(name: string, g: torch.Generator | undefined): Iterable<unknown> & { length: number } {
  switch (name) {
    case 'sequential': return new data.SequentialSampler(new Range(7));
    case 'random': return new data.RandomSampler(new Range(10));
    case 'random_gen': return new data.RandomSampler(new Range(10), { generator: g });
    case 'random_replacement': return new data.RandomSampler(new Range(10), { replacement: true, numSamples: 70, generator: g });
    case 'random_replacement_global': return new data.RandomSampler(new Range(9), { replacement: true });
    case 'random_num_samples': return new data.RandomSampler(new Range(10), { numSamples: 25, generator: g });
    case 'random_num_samples_exact': return new data.RandomSampler(new Range(5), { numSamples: 10, generator: g });
    case 'subset_random': return new data.SubsetRandomSampler([3, 8, 1, 9, 4], { generator: g });
    case 'subset_random_global': return new data.SubsetRandomSampler([3, 8, 1, 9, 4]);
    case 'weighted': return new data.WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 20, { generator: g });
    case 'weighted_no_replacement': return new data.WeightedRandomSampler([0.9, 0.4, 0.05, 0.2, 0.3, 0.1], 5, { replacement: false, generator: g });
    case 'weighted_global': return new data.WeightedRandomSampler([1, 2, 3, 4], 7);
    case 'batch': return new data.BatchSampler(new data.RandomSampler(new Range(10), { generator: g }), 3, false);
    case 'batch_drop_last': return new data.BatchSampler(new data.RandomSampler(new Range(10), { generator: g }), 3, true);
    default: throw new Error(`no sampler ${name}`);
  }
}

const GLOBAL = new Set(['sequential', 'random', 'random_replacement_global', 'subset_random_global', 'weighted_global']);

describe('samplers give PyTorch 1.13 index streams', () => {
  it.each(fx.samplers.map((c) => [`${c.name} seed ${c.seed}`, c] as const))('%s', (_, c) => {
    torch.manualSeed(c.seed);
    const g = GLOBAL.has(c.name) ? undefined : new torch.Generator().manualSeed(c.seed);
    const sampler = makeSampler(c.name, g);
    const streams = c.streams.map(() => [...sampler]);
    expect(streams).toEqual(c.streams);
    expect(sampler.length).toBe(c.length);
    // The same numbers were consumed: the next draws agree too.
    expect(after(g)).toEqual(c.after);
  });

  it('draw lazily: a RandomSampler draws its seed at the first index, not when iteration is requested', () => {
    const c = fx.samplers.find((s) => s.name === 'random' && s.seed === 0)!;
    torch.manualSeed(0);
    const it = new data.RandomSampler(new Range(10))[Symbol.iterator]();
    torch.manualSeed(0); // a reseed before the first next() decides the stream
    expect([it.next().value]).toEqual(c.streams[0]!.slice(0, 1));
  });
});

describe('randomInt64 (torch.empty((), dtype=torch.int64).random_())', () => {
  it.each(fx.int64Seeds.map((c) => [c.seed, c] as const))('seed %s', (_, c) => {
    torch.manualSeed(c.seed);
    expect([0, 1, 2].map(() => torch.randomInt64().toString())).toEqual(c.draws);
    expect(after()).toEqual(c.after);
  });
});

describe('multinomial', () => {
  it.each(fx.multinomial.map((c, i) => [`${i}: ${c.dtype} ${JSON.stringify(c.weights)} n=${c.n} replacement=${c.replacement} seed ${c.seed}`, c] as const))('%s', (_, c) => {
    torch.manualSeed(c.seed);
    const w = torch.tensor(c.weights, { dtype: c.dtype });
    expect(torch.multinomial(w, c.n, { replacement: c.replacement }).tolist()).toEqual(c.result);
    expect(after()).toEqual(c.after);
  });

  it('rejects bad arguments in PyTorch words', () => {
    const w = torch.tensor([1, 2, 3]);
    expect(() => torch.multinomial(w, 4)).toThrow(/^multinomial: cannot sample n_sample > prob_dist.size\(-1\) samples without replacement$/);
    expect(() => torch.multinomial(w, 0)).toThrow(RangeError);
    expect(() => torch.multinomial(torch.tensor([1, -1]), 1)).toThrow(/probability tensor contains either `inf`, `nan` or element < 0/);
    expect(() => torch.multinomial(torch.tensor([0, 0]), 2, { replacement: true })).toThrow(/sum of probabilities <= 0/);
    expect(() => torch.multinomial(torch.tensor([1, 2], { dtype: 'int32' }), 1)).toThrow(/^multinomial: multinomial only supports floating-point dtypes for input, got: Long$/);
    expect(() => torch.multinomial(torch.zeros(2, 2, 2), 1)).toThrow(/prob_dist must be 1 or 2 dim/);
  });
});

describe('sampler errors', () => {
  const byName = new Map(fx.optionErrors.map((e) => [e.name, e]));
  it('RandomSampler numSamples', () => {
    expect(() => new data.RandomSampler(new Range(4), { numSamples: 0 })).toThrow(new RangeError(`RandomSampler: ${byName.get('random_num_samples')!.message}`));
  });
  it('WeightedRandomSampler numSamples', () => {
    expect(() => new data.WeightedRandomSampler([1, 2], 0)).toThrow(new RangeError(`WeightedRandomSampler: ${byName.get('weighted_num_samples')!.message}`));
  });
  it('BatchSampler batchSize', () => {
    expect(() => new data.BatchSampler(new data.SequentialSampler(new Range(4)), 0, false)).toThrow(new RangeError(`BatchSampler: ${byName.get('batch_sampler_size')!.message}`));
    expect(() => new data.BatchSampler(new data.SequentialSampler(new Range(4)), 2, 1 as never)).toThrow(TypeError);
  });
  it('a sampler over something without a length', () => {
    expect(() => new data.SequentialSampler(null as never)).toThrow(/^SequentialSampler: expected a Dataset or another object with a length for 'dataSource' but received null$/);
  });
});
