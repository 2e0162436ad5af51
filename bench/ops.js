'use strict';
/** Elementwise ops, reductions, softmax and crossEntropy on 1M elements, beside PyTorch (ratio = PyTorch / torchlet). */
const torch = require('..');
const { settle, summarize, timeIt } = require('./stats');

const F = torch.nn.functional;

function makeOps(n) {
  torch.manualSeed(0);
  const a = torch.rand(n);
  const b = torch.rand(n);
  const m = torch.rand(n / 1000, 1000);
  const logits = torch.randn(n / 10, 10);
  const target = torch.randint(0, 10, [n / 10]);
  return {
    add: () => a.add(b),
    mul: () => a.mul(b),
    exp: () => a.exp(),
    relu: () => a.relu(),
    sum: () => a.sum(),
    'max dim': () => m.max(1),
    softmax: () => m.softmax(1),
    crossEntropy: () => F.crossEntropy(logits, target),
  };
}

async function run({ quick = false, threads = [1], pytorch }) {
  const n = quick ? 100_000 : 1_000_000;
  const ops = makeOps(n);
  const rows = [];
  const reps = quick ? 5 : 20;
  for (const t of threads) {
    torch.setNumThreads(t);
    for (const [name, fn] of Object.entries(ops)) {
      const tl = [];
      const pt = [];
      for (let round = 0; round < (quick ? 2 : 3); round++) {
        await settle(t);
        tl.push(timeIt(fn, { warmup: 3, reps }).median);
        await settle(t);
        if (pytorch) pt.push(summarize(await pytorch.ask({ workload: 'ops', op: name, n, threads: t, warmup: 3, reps })).median);
      }
      const js = summarize(tl);
      const py = pytorch ? summarize(pt) : null;
      rows.push({ workload: `${name} ${n / 1e6}M`, threads: t, torchlet_ms: js, pytorch_ms: py, ratio: py ? py.median / js.median : null });
    }
  }
  return rows;
}

function print(rows) {
  console.log('\nelementwise and reductions beside PyTorch; ratio = PyTorch time / torchlet time');
  const f = (s) => (s ? `${s.median.toFixed(3)} (${s.min.toFixed(3)}-${s.max.toFixed(3)})` : 'n/a').padEnd(30);
  for (const r of rows) console.log(`${r.workload.padEnd(22)} ${String(r.threads).padEnd(4)} ${f(r.torchlet_ms)} ${f(r.pytorch_ms)} ${r.ratio ? r.ratio.toFixed(2) : 'n/a'}`);
}

module.exports = { run, print, needsPyTorch: true };
