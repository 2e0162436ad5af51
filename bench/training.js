'use strict';
/**
 * Autograd and training workloads beside PyTorch, alternating in one run with the same thread count:
 * - autograd_tiny: relu(x * w + b).sum().backward() on 16 elements, 10,000 times (goal: >= 3x faster than PyTorch)
 * - mlp_step: 784-512-512-10 MLP, batch 128, cross entropy, Adam (goal: no slower than PyTorch)
 * ratio = PyTorch time / torchlet time (above 1: torchlet is faster).
 */
const { execFileSync } = require('child_process');
const path = require('path');

const torch = require('..');
const { settle, summarize, timeIt } = require('./stats');

const { nn, optim } = torch;
const F = nn.functional;

function autogradTiny(inner) {
  torch.manualSeed(0);
  const w = torch.randn([16], { requiresGrad: true });
  const b = torch.randn([16], { requiresGrad: true });
  const x = torch.randn(16);
  return () => {
    for (let i = 0; i < inner; i++) x.mul(w).add(b).relu().sum().backward();
  };
}

function mlpStep(batch) {
  torch.manualSeed(0);
  const model = new nn.Sequential(new nn.Linear(784, 512), new nn.ReLU(), new nn.Linear(512, 512), new nn.ReLU(), new nn.Linear(512, 10));
  const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
  const x = torch.rand(batch, 784);
  const y = torch.randint(0, 10, [batch]);
  return () => {
    opt.zeroGrad();
    F.crossEntropy(model.forward(x), y).backward();
    opt.step();
  };
}

/**
 * Leak check: RSS after `first` and after `last` steps of an MLP training loop, each side in a fresh process.
 * A leak of the graph or of saved tensors would grow RSS with the step count.
 */
function leakCheck({ first, last, hidden, batch }, withPyTorch) {
  const js = `
    const torch = require(${JSON.stringify(path.join(__dirname, '..'))});
    const { nn, optim } = torch; const F = nn.functional;
    torch.setNumThreads(1); torch.manualSeed(0);
    const model = new nn.Sequential(new nn.Linear(784, ${hidden}), new nn.ReLU(), new nn.Linear(${hidden}, 10));
    const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
    const x = torch.rand(${batch}, 784); const y = torch.randint(0, 10, [${batch}]);
    const out = {};
    for (let i = 1; i <= ${last}; i++) {
      opt.zeroGrad(); F.crossEntropy(model.forward(x), y).backward(); opt.step();
      if (i === ${first} || i === ${last}) out[i] = process.memoryUsage().rss;
    }
    out.peak = process.resourceUsage().maxRSS * 1024;
    console.log(JSON.stringify(out));`;
  const tl = JSON.parse(execFileSync(process.execPath, ['-e', js], { encoding: 'utf8' }));
  let py = null;
  if (withPyTorch) {
    const code = `import json, sys
sys.path.insert(0, ${JSON.stringify(__dirname)})
import torch_helper as h
h.set_threads(1)
print(json.dumps(h.leak({'first': ${first}, 'last': ${last}, 'hidden': ${hidden}, 'batch': ${batch}})))`;
    py = JSON.parse(execFileSync('/usr/bin/python3', ['-c', code], { encoding: 'utf8' }));
  }
  return { tl, py };
}

async function run({ quick = false, threads = [1], pytorch }) {
  const rows = [];
  const inner = quick ? 1000 : 10000;
  const batch = 128;
  const specs = [
    { workload: `autograd tiny loop x${inner}`, make: () => autogradTiny(inner), req: { workload: 'autograd_tiny', inner }, reps: quick ? 3 : 5, warmup: 1 },
    { workload: `MLP step b=${batch}`, make: () => mlpStep(batch), req: { workload: 'mlp_step', batch }, reps: quick ? 5 : 20, warmup: 5 },
  ];
  const before = torch.getNumThreads();
  try {
    for (const t of threads) {
      torch.setNumThreads(t);
      for (const s of specs) {
        const fn = s.make();
        const tl = [];
        const pt = [];
        // Five alternating rounds: this machine's noise is about 15% per round.
        for (let round = 0; round < (quick ? 2 : 5); round++) {
          await settle(t);
          tl.push(timeIt(fn, { warmup: s.warmup, reps: s.reps }).median);
          await settle(t);
          if (pytorch) pt.push(summarize(await pytorch.ask({ ...s.req, threads: t, warmup: s.warmup, reps: s.reps })).median);
        }
        const js = summarize(tl);
        const py = pytorch ? summarize(pt) : null;
        rows.push({ workload: s.workload, threads: t, torchlet_ms: js, pytorch_ms: py, ratio: py ? py.median / js.median : null });
      }
    }
  } finally {
    torch.setNumThreads(before);
  }
  return rows;
}

/**
 * The leak check, run after every timed workload of the suite: it starts fresh processes, and the fork leaves
 * the parent's pages copy-on-write, which would slow the next timed rounds.
 */
async function memory({ quick = false, pytorch }) {
  const leak = quick ? { first: 100, last: 1000, hidden: 64, batch: 32 } : { first: 1000, last: 10000, hidden: 512, batch: 128 };
  const mem = leakCheck(leak, Boolean(pytorch));
  const mb = (b) => b / 2 ** 20;
  return [{
    workload: `MLP RSS after ${leak.first} vs ${leak.last} steps`,
    threads: 1,
    leak: true,
    torchlet_rss_mb: [mb(mem.tl[leak.first]), mb(mem.tl[leak.last])],
    pytorch_rss_mb: mem.py ? [mb(mem.py[leak.first]), mb(mem.py[leak.last])] : null,
    torchlet_peak_rss_mb: mb(mem.tl.peak),
    pytorch_peak_rss_mb: mem.py ? mb(mem.py.peak) : null,
  }];
}

function print(rows) {
  if (rows.some((r) => !r.leak && !r.memory)) console.log('\nautograd and training beside PyTorch (same run, alternating, same threads); ratio = PyTorch time / torchlet time');
  if (rows.some((r) => !r.leak && !r.memory)) console.log('workload                     thr  torchlet ms (min-max)          PyTorch ms (min-max)           ratio');
  const f = (s) => (s ? `${s.median.toFixed(3)} (${s.min.toFixed(3)}-${s.max.toFixed(3)})` : 'n/a').padEnd(30);
  for (const r of rows) {
    if (r.leak) {
      const py = r.pytorch_rss_mb ? `${r.pytorch_rss_mb[0].toFixed(1)} -> ${r.pytorch_rss_mb[1].toFixed(1)} MB` : 'n/a';
      const peak = `peak RSS ${r.torchlet_peak_rss_mb.toFixed(0)} / ${r.pytorch_peak_rss_mb ? r.pytorch_peak_rss_mb.toFixed(0) : 'n/a'} MB`;
      console.log(`${r.workload}: torchlet ${r.torchlet_rss_mb[0].toFixed(1)} -> ${r.torchlet_rss_mb[1].toFixed(1)} MB, PyTorch ${py}; ${peak}`);
      continue;
    }
    console.log(`${r.workload.padEnd(28)} ${String(r.threads).padEnd(4)} ${f(r.torchlet_ms)} ${f(r.pytorch_ms)} ${r.ratio ? r.ratio.toFixed(2) : 'n/a'}`);
  }
}

module.exports = { run, memory, print, needsPyTorch: true };
