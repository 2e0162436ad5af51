'use strict';
/**
 * DataLoader throughput: items per second over a dataset whose item takes about 1 ms of CPU work, loaded on the
 * main thread (numWorkers 0) and by 2 worker threads (goal: at least 1.5x with 2 workers on 2 cores).
 */
const torch = require('..');

const DATASET = require.resolve('./dataloader_dataset');
const { SyntheticFeatures } = require('./dataloader_dataset');

/** Milliseconds per item with `terms` terms: the best of a few rounds after a warm-up (a busy machine only adds time). */
function itemMs(terms) {
  const probe = new SyntheticFeatures(1, terms);
  for (let i = 0; i < 20; i++) probe.getItem(i);
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 5; i++) probe.getItem(i);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6 / 5);
  }
  return best;
}

/** Trigonometric terms per feature for about 1 ms per item on this machine (measured, then fixed for every run). */
function calibrate() {
  return Math.max(1, Math.round(64 / itemMs(64)));
}

/** Milliseconds of one timed epoch after a warm-up epoch (persistent workers, so their start is not timed). */
function epochMs(loader) {
  let n = 0;
  for (const [x] of loader) n += x.shape[0];
  const t0 = process.hrtime.bigint();
  let m = 0;
  for (const [x] of loader) m += x.shape[0];
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (n !== m) throw new Error(`dataloader bench: epochs of ${n} and ${m} items`);
  return ms;
}

async function run({ quick = false } = {}) {
  const items = quick ? 160 : 1600;
  const reps = quick ? 1 : 3;
  const terms = calibrate();
  const ref = torch.data.workerDataset(DATASET, 'SyntheticFeatures', items, terms);
  const rows = [];
  const best = {};
  for (const numWorkers of [0, 2]) {
    const opts = { batchSize: 16, shuffle: true, numWorkers, ...(numWorkers > 0 ? { persistentWorkers: true } : {}) };
    const loader = new torch.data.DataLoader(ref, opts);
    const times = [];
    for (let r = 0; r < reps; r++) times.push(epochMs(loader));
    loader.close();
    best[numWorkers] = Math.min(...times);
  }
  const ratio = best[0] / best[2];
  rows.push({
    workload: 'dataloader', dataloader: true, threads: 2, items, item_ms: itemMs(terms),
    items_per_s_0: (items / best[0]) * 1000, items_per_s_2: (items / best[2]) * 1000,
    torchlet_ms: best[2], baseline_ms: best[0], ratio,
  });
  return rows;
}

function print(rows) {
  console.log('\ndataloader: items per second, dataset item ~1 ms of CPU work (goal: 2 workers >= 1.5x 0 workers)');
  for (const r of rows) {
    console.log(`${r.items} items of ${r.item_ms.toFixed(2)} ms: ${r.items_per_s_0.toFixed(0)} items/s with 0 workers, ` +
      `${r.items_per_s_2.toFixed(0)} items/s with 2 workers: ${r.ratio.toFixed(2)}x`);
  }
}

module.exports = { run, print };
