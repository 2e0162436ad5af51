'use strict';
/**
 * Sequence workloads beside PyTorch (issue 13), alternating in one run with the same thread count:
 * - LSTM / GRU training step: 2 layers, seq 64, batch 32, input 64, hidden 256
 * - TransformerEncoder training step: 2 layers, d_model 256, 4 heads, feed-forward 1024, seq 128, batch 16
 * - MultiheadAttention forward alone (d_model 256, 4 heads, seq 128, batch 16, self-attention, eval, no grad)
 * A training step is zeroGrad, forward, mean of the squared output, backward, SGD step (lr 0.01).
 * ratio = PyTorch time / torchlet time (above 1: torchlet is faster). Peak RSS of each training workload is taken
 * afterwards, each side in a fresh process.
 */
const { execFileSync } = require('child_process');
const path = require('path');

const torch = require('..');
const { settle, summarize, timeIt } = require('./stats');

const { nn, optim } = torch;

const FULL = {
  lstm: { seq: 64, batch: 32, input: 64, hidden: 256, layers: 2 },
  gru: { seq: 64, batch: 32, input: 64, hidden: 256, layers: 2 },
  transformer: { seq: 128, batch: 16, dModel: 256, heads: 4, ff: 1024, layers: 2 },
  mha: { seq: 128, batch: 16, dModel: 256, heads: 4 },
};
const QUICK = {
  lstm: { seq: 16, batch: 16, input: 32, hidden: 64, layers: 2 },
  gru: { seq: 16, batch: 16, input: 32, hidden: 64, layers: 2 },
  transformer: { seq: 32, batch: 8, dModel: 64, heads: 4, ff: 128, layers: 2 },
  mha: { seq: 32, batch: 8, dModel: 64, heads: 4 },
};

/** The model and its inputs for one workload, as bench/torch_sequence.py builds them. */
function make(kind, s) {
  torch.manualSeed(0);
  if (kind === 'lstm' || kind === 'gru') {
    const Cls = kind === 'lstm' ? nn.LSTM : nn.GRU;
    return { model: new Cls(s.input, s.hidden, { numLayers: s.layers }), inputs: [torch.randn(s.seq, s.batch, s.input)], training: true };
  }
  if (kind === 'transformer') {
    const layer = new nn.TransformerEncoderLayer(s.dModel, s.heads, { dimFeedforward: s.ff });
    return { model: new nn.TransformerEncoder(layer, s.layers), inputs: [torch.randn(s.seq, s.batch, s.dModel)], training: true };
  }
  if (kind === 'mha') {
    const x = torch.randn(s.seq, s.batch, s.dModel);
    return { model: new nn.MultiheadAttention(s.dModel, s.heads), inputs: [x, x, x], training: false };
  }
  throw new Error(`unknown sequence workload ${kind}`);
}

const outputOf = (y) => (Array.isArray(y) ? y[0] : y);

/** One repetition of the workload as a function. */
function stepFn(kind, s) {
  const { model, inputs, training } = make(kind, s);
  if (!training) {
    model.eval();
    return () => torch.noGrad(() => model.forward(...inputs));
  }
  model.train();
  const opt = new optim.SGD(model.parameters(), { lr: 0.01 });
  return () => {
    opt.zeroGrad();
    outputOf(model.forward(...inputs)).square().mean().backward();
    opt.step();
  };
}

const LABELS = {
  lstm: (s) => `LSTM step ${s.layers}x${s.hidden} T=${s.seq} b=${s.batch}`,
  gru: (s) => `GRU step ${s.layers}x${s.hidden} T=${s.seq} b=${s.batch}`,
  transformer: (s) => `Transformer step d=${s.dModel} T=${s.seq} b=${s.batch}`,
  mha: (s) => `MHA forward d=${s.dModel} T=${s.seq} b=${s.batch}`,
};

async function run({ quick = false, threads = [1], pytorch }) {
  const sizes = quick ? QUICK : FULL;
  const rows = [];
  const before = torch.getNumThreads();
  try {
    for (const t of threads) {
      torch.setNumThreads(t);
      for (const kind of Object.keys(sizes)) {
        const s = sizes[kind];
        const fn = stepFn(kind, s);
        const reps = quick ? 3 : kind === 'mha' ? 20 : 5;
        const tl = [];
        const pt = [];
        for (let round = 0; round < (quick ? 2 : 5); round++) {
          await settle(t);
          tl.push(timeIt(fn, { warmup: 2, reps }).median);
          await settle(t);
          if (pytorch) pt.push(summarize(await pytorch.ask({ workload: 'sequence', kind, sizes: s, threads: t, warmup: 2, reps })).median);
        }
        const js = summarize(tl);
        const py = pytorch ? summarize(pt) : null;
        rows.push({ workload: LABELS[kind](s), kind, threads: t, torchlet_ms: js, pytorch_ms: py, ratio: py ? py.median / js.median : null });
      }
    }
  } finally {
    torch.setNumThreads(before);
  }
  return rows;
}

/** Peak RSS of each training workload after a few steps, each side in a fresh process on one thread. */
function peaks(kind, s, steps, withPyTorch) {
  const js = `
    const torch = require(${JSON.stringify(path.join(__dirname, '..'))});
    torch.setNumThreads(1);
    const { stepFn } = require(${JSON.stringify(__filename)});
    const fn = stepFn(${JSON.stringify(kind)}, ${JSON.stringify(s)});
    for (let i = 0; i < ${steps}; i++) fn();
    console.log(require(${JSON.stringify(path.join(__dirname, 'stats.js'))}).peakRss());`;
  const tl = Number(execFileSync(process.execPath, ['-e', js], { encoding: 'utf8' }));
  let py = null;
  if (withPyTorch) {
    const code = `import json, sys
sys.path.insert(0, ${JSON.stringify(__dirname)})
import torch_helper as h, torch_sequence as q
h.set_threads(1)
print(q.sequence_peak(json.loads(${JSON.stringify(JSON.stringify({ kind, sizes: s, steps }))}), h.timed))`;
    py = Number(execFileSync('/usr/bin/python3', ['-c', code], { encoding: 'utf8' }));
  }
  return { tl, py };
}

async function memory({ quick = false, pytorch }) {
  const sizes = quick ? QUICK : FULL;
  const mb = (b) => b / 2 ** 20;
  const rows = [];
  for (const kind of ['lstm', 'gru', 'transformer']) {
    const p = peaks(kind, sizes[kind], quick ? 3 : 10, Boolean(pytorch));
    rows.push({ workload: `${LABELS[kind](sizes[kind])} memory`, threads: 1, memory: true, torchlet_peak_rss_mb: mb(p.tl), pytorch_peak_rss_mb: p.py ? mb(p.py) : null });
  }
  return rows;
}

function print(rows) {
  const timed = rows.filter((r) => !r.memory);
  if (timed.length) {
    console.log('\nsequence models beside PyTorch (same run, alternating, same threads); ratio = PyTorch time / torchlet time');
    console.log('workload                                  thr  torchlet ms (min-max)          PyTorch ms (min-max)           ratio');
  }
  const f = (s) => (s ? `${s.median.toFixed(3)} (${s.min.toFixed(3)}-${s.max.toFixed(3)})` : 'n/a').padEnd(30);
  for (const r of rows) {
    if (r.memory) {
      console.log(`${r.workload}: peak RSS ${r.torchlet_peak_rss_mb.toFixed(0)} MB, PyTorch ${r.pytorch_peak_rss_mb ? r.pytorch_peak_rss_mb.toFixed(0) : 'n/a'} MB`);
      continue;
    }
    console.log(`${r.workload.padEnd(41)} ${String(r.threads).padEnd(4)} ${f(r.torchlet_ms)} ${f(r.pytorch_ms)} ${r.ratio ? r.ratio.toFixed(2) : 'n/a'}`);
  }
}

module.exports = { run, memory, print, needsPyTorch: true, stepFn };
