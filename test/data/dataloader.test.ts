import * as torch from '../../lib';
import type { DataLoaderOptions } from '../../lib/data';
import { after, Count, fx, Range } from './data_fixtures';

const { data } = torch;

type Opts = DataLoaderOptions<number, unknown>;

/** The options of each fixture loader (scripts/gen_data_fixtures.py, loaders()). */
function options(name: string, seed: number): { opts: Opts; g?: torch.Generator } {
  switch (name) {
    case 'batch3': return { opts: { batchSize: 3 } };
    case 'batch3_shuffle': return { opts: { batchSize: 3, shuffle: true } };
    case 'batch3_shuffle_drop_last': return { opts: { batchSize: 3, shuffle: true, dropLast: true } };
    case 'batch4_shuffle_gen': {
      const g = new torch.Generator().manualSeed(seed + 1);
      return { opts: { batchSize: 4, shuffle: true, generator: g }, g };
    }
    case 'no_batch_shuffle': return { opts: { batchSize: null, shuffle: true } };
    case 'sampler_replacement': return { opts: { batchSize: 5, sampler: new data.RandomSampler(new Range(10), { replacement: true, numSamples: 12 }) } };
    case 'batch_sampler': return { opts: { batchSampler: new data.BatchSampler(new data.RandomSampler(new Range(10)), 4, false) } };
    case 'default': return { opts: {} };
    default: throw new Error(name);
  }
}

const plain = (b: unknown): unknown => (b instanceof torch.Tensor ? b.tolist() : b);

describe('DataLoader batches match PyTorch 1.13 over two epochs (numWorkers 0)', () => {
  it.each(fx.loaders.map((c) => [`${c.name} seed ${c.seed}`, c] as const))('%s', (_, c) => {
    torch.manualSeed(c.seed);
    if (c.name === 'iterable_batch3') {
      const loader = new data.DataLoader(new Count(7), { batchSize: 3 });
      expect(c.epochs.map(() => [...loader].map(plain))).toEqual(c.epochs);
      expect(after()).toEqual(c.after);
      return;
    }
    const { opts, g } = options(c.name, c.seed);
    const loader = new data.DataLoader(new Range(10), opts);
    expect(c.epochs.map(() => [...loader].map(plain))).toEqual(c.epochs);
    expect(loader.length).toBe(c.length);
    // The base-seed draw per epoch and the sampler's draws left the generators where PyTorch's are.
    expect(after(g)).toEqual(c.after);
    if (c.afterGlobal) expect(after()).toEqual(c.afterGlobal);
  });

  it('for await gives the same batches', async () => {
    const c = fx.loaders.find((l) => l.name === 'batch3_shuffle' && l.seed === 7)!;
    torch.manualSeed(7);
    const loader = new data.DataLoader(new Range(10), { batchSize: 3, shuffle: true });
    const epochs: unknown[][] = [];
    for (let e = 0; e < 2; e++) {
      const got: unknown[] = [];
      for await (const b of loader) got.push(plain(b));
      epochs.push(got);
    }
    expect(epochs).toEqual(c.epochs);
  });
});

describe('DataLoader iteration', () => {
  it('for await yields to the event loop between batches (a timer fires)', async () => {
    const loader = new data.DataLoader(new Range(6), { batchSize: 1 });
    const events: string[] = [];
    const timer = setInterval(() => events.push('tick'), 0);
    // Each batch takes ~3 ms of busy work, so a 0 ms interval is due before every next batch.
    for await (const b of loader) {
      events.push(`batch ${String(plain(b))}`);
      const until = Date.now() + 3;
      while (Date.now() < until);
    }
    clearInterval(timer);
    const batches = events.map((e, i) => [e, i] as const).filter(([e]) => e.startsWith('batch')).map(([, i]) => i);
    // Between any two batches at least one tick ran.
    for (let k = 1; k < batches.length; k++) expect(events.slice(batches[k - 1]! + 1, batches[k]).includes('tick')).toBe(true);
    expect(batches.length).toBe(6);
  });

  it('custom collateFn receives the list of samples', () => {
    const loader = new data.DataLoader(new Range(5), { batchSize: 2, collateFn: (b: number[]) => b.join('+') });
    expect([...loader]).toEqual(['0+1', '2+3', '4']);
  });

  it('keeps the TensorDataset behaviour (rows gathered, last batch short)', () => {
    const x = torch.arange(10).reshape([5, 2]);
    const y = torch.tensor([0, 1, 0, 1, 1]);
    const batches = [...new data.DataLoader(new data.TensorDataset(x, y), { batchSize: 2 })];
    expect(batches.map(([bx, by]) => [bx.tolist(), by.tolist()])).toEqual([
      [[[0, 1], [2, 3]], [0, 1]],
      [[[4, 5], [6, 7]], [0, 1]],
      [[[8, 9]], [1]],
    ]);
  });

  it('an iterable dataset has a length only if it defines one', () => {
    expect(() => new data.DataLoader(new Count(3)).length).toThrow(/^DataLoader: object of type 'Count' has no len\(\)$/);
  });
});

describe('DataLoader option errors, in PyTorch words', () => {
  const e = new Map(fx.optionErrors.map((x) => [x.name, x.message]));
  const ds = new Range(4);
  const seq = (): torch.data.SequentialSampler => new data.SequentialSampler(new Range(4));
  const cases: [string, () => unknown][] = [
    ['num_workers', () => new data.DataLoader(ds, { numWorkers: -1 })],
    ['prefetch_factor', () => new data.DataLoader(ds, { prefetchFactor: 3 })],
    ['persistent_workers', () => new data.DataLoader(ds, { persistentWorkers: true })],
    ['sampler_shuffle', () => new data.DataLoader(ds, { sampler: seq(), shuffle: true })],
    ['batch_sampler_batch_size', () => new data.DataLoader(ds, { batchSampler: new data.BatchSampler(seq(), 2, false), batchSize: 2 })],
    ['batch_sampler_drop_last', () => new data.DataLoader(ds, { batchSampler: new data.BatchSampler(seq(), 2, false), dropLast: true })],
    ['batch_size_none_drop_last', () => new data.DataLoader(ds, { batchSize: null, dropLast: true })],
    ['batch_size_zero', () => new data.DataLoader(ds, { batchSize: 0 })],
    ['batch_size_negative', () => new data.DataLoader(ds, { batchSize: -2 })],
    ['iterable_shuffle', () => new data.DataLoader(new Count(4), { shuffle: true })],
  ];
  it.each(cases)('%s', (name, make) => {
    expect(make).toThrow(new RangeError(`DataLoader: ${e.get(name)!}`));
    expect(make).toThrow(RangeError);
  });

  it('type errors name DataLoader and the option', () => {
    expect(() => new data.DataLoader(null as never)).toThrow(/^DataLoader: expected a Dataset, an IterableDataset or a module reference for 'dataset' but received null$/);
    expect(() => new data.DataLoader(ds, { shuffle: 1 as never })).toThrow(/^DataLoader: expected a boolean for 'shuffle' \(shuffle\) but received the number 1$/);
    expect(() => new data.DataLoader(ds, { generator: {} as never })).toThrow(/^DataLoader: expected a torch.Generator for 'generator' but received an object$/);
    expect(() => new data.DataLoader(ds, { batchSize: '2' as never })).toThrow(/^DataLoader: batch_size should be a positive integer value, but got batch_size=the string "2"$/);
    expect(() => new data.DataLoader(ds, { numWorker: 2 } as never)).toThrow(/^DataLoader: got an unexpected option 'numWorker'/);
    expect(() => new data.DataLoader(ds, { numWorkers: 2 })).toThrow(/^DataLoader: numWorkers > 0 needs the dataset as a module reference/);
    expect(() => new data.DataLoader(ds, { workerInitFn: (() => 0) as never })).toThrow(TypeError);
    expect(() => new data.DataLoader(ds, { sampler: 3 as never })).toThrow(/^DataLoader: expected a Sampler or another iterable of indices for 'sampler' but received the number 3$/);
    expect(() => new data.DataLoader(ds, { prefetchFactor: 0, numWorkers: 1 })).toThrow(RangeError);
    expect(() => new data.DataLoader({ module: '/nonexistent/torchlet-dataset.js' })).toThrow(/Cannot find module/);
  });
});
