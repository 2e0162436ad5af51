import { spawnSync } from 'child_process';
import * as path from 'path';

import * as torch from '../../lib';
import { after, fx } from './data_fixtures';

const { data } = torch;
const datasets = require.resolve('./worker_datasets');
type SeedItem = [number, number, string, number];
const plain = (b: unknown): unknown => (b instanceof torch.Tensor ? b.tolist() : b);

jest.setTimeout(600000);

// Worker threads start through ts-node under jest (a few seconds each on a busy machine), so the cases are few.
const WORKER_CASES = [[0, false, false], [0, true, true], [7, true, false], [42, false, true]] as const;

describe('numWorkers = 2 gives the batches of numWorkers = 0 and of PyTorch', () => {
  const cases = WORKER_CASES.map(([seed, shuffle, persistent]) => fx.workers.find((c) => c.seed === seed && c.shuffle === shuffle && c.persistent === persistent)!);
  it.each(cases.map((c) => [`shuffle ${c.shuffle} persistent ${c.persistent} seed ${c.seed}`, c] as const))('%s', async (_, c) => {
    torch.manualSeed(c.seed);
    const loader = new data.DataLoader<SeedItem>(data.workerDataset(datasets, 'Seeds'), { batchSize: 2, shuffle: c.shuffle, numWorkers: 2, persistentWorkers: c.persistent });
    const epochs: unknown[][] = [];
    for (let e = 0; e < 2; e++) {
      const got: unknown[] = [];
      // One epoch with for...of, one with for await: both paths.
      if (e === 0) for (const [i, id, seed, draw] of loader) got.push([i.tolist(), id.tolist(), seed, draw.tolist()]);
      else for await (const [i, id, seed, draw] of loader) got.push([i.tolist(), id.tolist(), seed, draw.tolist()]);
      epochs.push(got);
    }
    loader.close();
    // Indices, worker ids (round-robin), seeds (base seed + id) and the workers' own draws all match PyTorch.
    expect(epochs).toEqual(c.epochs);
    expect(after()).toEqual(c.after);
    // And the indices are those of numWorkers = 0 under the same seed (over a dataset that draws nothing on the
    // main thread, since Seeds would draw from the main generator there). Persistent workers draw their base seed
    // once, not every epoch, so after the first epoch the shuffle differs from numWorkers = 0, in PyTorch too.
    torch.manualSeed(c.seed);
    const single = new data.DataLoader<number>(data.workerDataset(datasets, 'Counted', 12, new SharedArrayBuffer(8)), { batchSize: 2, shuffle: c.shuffle });
    const indices = [0, 1].map(() => [...single].map((i) => i.tolist()));
    const compared = c.persistent && c.shuffle ? 1 : 2;
    expect(indices.slice(0, compared)).toEqual(c.epochs.slice(0, compared).map((ep) => ep.map((b) => b[0])));
  });
});

describe('DataLoader workers', () => {
  it('an error in a worker names the sample index and carries the worker stack', async () => {
    const shared = new SharedArrayBuffer(8);
    const loader = new data.DataLoader<number>(data.workerDataset(datasets, 'Counted', 10, shared, 7), { batchSize: 3, numWorkers: 2 });
    const seen: unknown[] = [];
    let error: (Error & { sampleIndex?: number; workerId?: number; workerStack?: string }) | undefined;
    try {
      for await (const b of loader) seen.push(plain(b));
    } catch (e) {
      error = e as Error;
    }
    expect(seen).toEqual([[0, 1, 2], [3, 4, 5]]);
    expect(error).toBeInstanceOf(RangeError);
    expect(error!.message).toMatch(/^Caught RangeError in DataLoader worker 0 while loading sample index 7: cannot read sample 7\nOriginal stack in the worker:\nRangeError: cannot read sample 7\n\s+at Counted.getItem/);
    expect(error!.sampleIndex).toBe(7);
    expect(error!.workerId).toBe(0);
  });

  it('prefetchFactor bounds the batches in flight per worker', () => {
    for (const prefetchFactor of [1, 3]) {
      const shared = new SharedArrayBuffer(8);
      const counters = new Int32Array(shared);
      const loader = new data.DataLoader<number>(data.workerDataset(datasets, 'Counted', 40, shared), { batchSize: 1, numWorkers: 2, prefetchFactor });
      const it = loader[Symbol.iterator]();
      expect(plain(it.next().value)).toEqual([0]);
      // After one batch taken, prefetchFactor * 2 + 1 tasks were sent in all: wait for them, then check that no
      // more are loaded.
      const sleep = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
      const want = prefetchFactor * 2 + 1;
      for (let k = 0; k < 600 && Atomics.load(counters, 0) < want; k++) sleep(100);
      sleep(1000);
      expect(Atomics.load(counters, 0)).toBe(want);
      it.return!();
    }
  });

  it('persistentWorkers keeps the workers (and their dataset copies) across epochs', async () => {
    for (const persistent of [false, true]) {
      const shared = new SharedArrayBuffer(8);
      const counters = new Int32Array(shared);
      const loader = new data.DataLoader<number>(data.workerDataset(datasets, 'Counted', 6, shared), { batchSize: 2, numWorkers: 1, persistentWorkers: persistent });
      for (let e = 0; e < 2; e++) {
        const got: unknown[] = [];
        for await (const b of loader) got.push(plain(b));
        expect(got).toEqual([[0, 1], [2, 3], [4, 5]]);
      }
      loader.close();
      // One construction on the main thread, then one per epoch, or one in all when persistent.
      expect(Atomics.load(counters, 1)).toBe(persistent ? 1 + 1 : 1 + 2);
    }
  });

  it('a persistent loader abandoned mid-epoch starts the next epoch cleanly', () => {
    const shared = new SharedArrayBuffer(8);
    const loader = new data.DataLoader<number>(data.workerDataset(datasets, 'Counted', 8, shared), { batchSize: 2, numWorkers: 1, persistentWorkers: true });
    for (const b of loader) {
      expect(plain(b)).toEqual([0, 1]);
      break;
    }
    expect([...loader].map(plain)).toEqual([[0, 1], [2, 3], [4, 5], [6, 7]]);
    loader.close();
  });

  it('workerInitFn runs in each worker with its id; getWorkerInfo is null on the main thread', () => {
    const shared = new SharedArrayBuffer(8);
    const loader = new data.DataLoader<number>(data.workerDataset(datasets, 'Counted', 6, shared), {
      batchSize: 1, numWorkers: 2, workerInitFn: { module: datasets, exportName: 'offsetByWorker' },
    });
    // Batches alternate between worker 0 (offset 0) and worker 1 (offset 1000).
    expect([...loader].map(plain)).toEqual([[0], [1001], [2], [1003], [4], [1005]]);
    expect(data.getWorkerInfo()).toBeNull();
  });

  it('an IterableDataset is copied into each worker: duplicates unless split by getWorkerInfo', () => {
    const dup = new data.DataLoader<number>(data.workerDataset(datasets, 'Span', 0, 4), { batchSize: 2, numWorkers: 2 });
    // Tasks go round-robin: worker 0, worker 1, worker 0, ...; each copy streams 0..3.
    expect([...dup].map(plain)).toEqual([[0, 1], [0, 1], [2, 3], [2, 3]]);
    const split = new data.DataLoader<number>(data.workerDataset(datasets, 'Span', 0, 8, true), { batchSize: 2, numWorkers: 2 });
    expect([...split].map(plain)).toEqual([[0, 1], [4, 5], [2, 3], [6, 7]]);
  });

  it('the process exits by itself after a finished, an abandoned and a persistent loader', () => {
    const script = `
      const torch = require(${JSON.stringify(path.join(__dirname, '..', '..', 'lib'))});
      const ds = torch.data.workerDataset(${JSON.stringify(datasets)}, 'Counted', 20, new SharedArrayBuffer(8));
      (async () => {
        for await (const b of new torch.data.DataLoader(ds, { batchSize: 2, numWorkers: 1 })) void b;
        for await (const b of new torch.data.DataLoader(ds, { batchSize: 2, numWorkers: 1 })) break;
        const it = new torch.data.DataLoader(ds, { batchSize: 2, numWorkers: 1 })[Symbol.asyncIterator]();
        await it.next();
        const p = new torch.data.DataLoader(ds, { batchSize: 2, numWorkers: 1, persistentWorkers: true });
        for await (const b of p) void b;
        console.log('done');
      })();`;
    const r = spawnSync(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), '-e', script], {
      timeout: 300000, encoding: 'utf8', env: process.env,
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('done');
    expect(r.status).toBe(0);
  });

  it('functions cannot be given to workers', () => {
    const ref = data.workerDataset(datasets, 'Seeds');
    expect(() => new data.DataLoader(ref, { numWorkers: 2, collateFn: (b: unknown[]) => b })).toThrow(
      /^DataLoader: with numWorkers > 0, 'collateFn' must be a module reference/,
    );
    expect(() => new data.DataLoader(data.workerDataset(datasets, 'Nope'))).toThrow(/has no export 'Nope'/);
  });
});
