'use strict';
/**
 * Autograd and training workloads beside PyTorch, alternating in one run with the same thread count:
 * - autograd_tiny: relu(x * w + b).sum().backward() on 16 elements, 10,000 times (goal: >= 3x faster than PyTorch)
 * - lstm_cell_loop: an LSTM cell written with matmul, chunk, sigmoid, tanh, mul and add, 32 steps, batch 32, hidden
 *   128, forward and backward (goal: no slower than PyTorch)
 * - mlp_step: 784-512-512-10 MLP, batch 128, cross entropy, Adam (goal: no slower than PyTorch), with the minor page
 *   faults per step of each side over the timed steps
 * - memory, in fresh processes after the timed workloads: RSS growth over many MLP steps (a leak check), and minor
 *   page faults per step in steady state and peak RSS of the MLP and CNN steps (goal: 0 faults per step)
 * PyTorch runs twice (as installed, and with glibc keeping freed memory: bench/pytorch.js); every ratio is against
 * the faster of the two, and the rows say which one it was. ratio = PyTorch time / torchlet time (above 1: torchlet
 * is faster).
 */
const { execFileSync } = require('child_process');
const path = require('path');

const torch = require('..');
const { settle, summarize, timeIt, STEP_WARMUP } = require('./stats');
const { VARIANTS, variantEnv } = require('./pytorch');

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

/** An LSTM cell written with primitives, unrolled over `steps` and differentiated: many small ops per step. */
function lstmCellLoop({ steps, batch, hidden }) {
  torch.manualSeed(0);
  const wIh = torch.randn(hidden, 4 * hidden).mul(0.05).requiresGrad_();
  const wHh = torch.randn(hidden, 4 * hidden).mul(0.05).requiresGrad_();
  const bias = torch.zeros([4 * hidden], { requiresGrad: true });
  const xs = torch.randn(steps, batch, hidden);
  return () => {
    wIh.grad = wHh.grad = bias.grad = null;
    let h = torch.zeros(batch, hidden);
    let c = torch.zeros(batch, hidden);
    for (let t = 0; t < steps; t++) {
      const [i, f, g, o] = xs.select(0, t).matmul(wIh).add(h.matmul(wHh)).add(bias).chunk(4, 1);
      c = f.sigmoid().mul(c).add(i.sigmoid().mul(g.tanh()));
      h = o.sigmoid().mul(c.tanh());
    }
    h.sum().backward();
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
    out.peak = require(${JSON.stringify(path.join(__dirname, 'stats.js'))}).peakRss();
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

/** The minor page faults of this process so far. */
function minorFaults() {
  return process.resourceUsage().minorPageFault;
}

/** timeIt, with the minor page faults per call over the timed calls (after the warmup). */
function timeWithFaults(fn, { warmup, reps }) {
  for (let i = 0; i < warmup; i++) fn();
  const f0 = minorFaults();
  const t = timeIt(fn, { warmup: 0, reps });
  return { ...t, faults: (minorFaults() - f0) / reps };
}

/** The variant named most often in a list (ties: the first). */
function mostOften(names) {
  const count = new Map();
  for (const n of names) count.set(n, (count.get(n) ?? 0) + 1);
  return [...count].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
}

async function run({ quick = false, threads = [1], pytorch }) {
  const rows = [];
  const inner = quick ? 1000 : 10000;
  const batch = 128;
  const cell = { steps: 32, batch: 32, hidden: 128 };
  const specs = [
    { workload: `autograd tiny loop x${inner}`, make: () => autogradTiny(inner), req: { workload: 'autograd_tiny', inner }, reps: quick ? 3 : 5, warmup: 1 },
    { workload: 'LSTM cell from primitives, 32 steps b=32 h=128, fwd+bwd', make: () => lstmCellLoop(cell), req: { workload: 'lstm_cell_loop', ...cell }, reps: quick ? 3 : 10, warmup: 3, step: true },
    { workload: `MLP step b=${batch}`, make: () => mlpStep(batch), req: { workload: 'mlp_step', batch }, reps: quick ? 5 : 20, warmup: 5, faults: true, step: true },
  ];
  const before = torch.getNumThreads();
  try {
    for (const t of threads) {
      torch.setNumThreads(t);
      for (const s of specs) {
        const fn = s.make();
        const tl = [];
        const pt = [];
        const tlFaults = [];
        const ptFaults = [];
        const variants = [];
        // Five alternating rounds: this machine's noise is about 15% per round.
        for (let round = 0; round < (quick ? 2 : 5); round++) {
          // The steps' first round warms up as a training loop does (the autograd loop repeats itself inside).
          const warmup = round === 0 && !quick && s.step ? STEP_WARMUP : s.warmup;
          await settle(t);
          const r = timeWithFaults(fn, { warmup, reps: s.reps });
          tl.push(r.median);
          tlFaults.push(r.faults);
          await settle(t);
          if (!pytorch) continue;
          const out = await pytorch.askWithMemory({ ...s.req, threads: t, warmup, reps: s.reps });
          pt.push(summarize(out.times).median);
          if (out.faults !== undefined) ptFaults.push(out.faults);
          variants.push(out.variant);
        }
        const js = summarize(tl);
        const py = pytorch ? summarize(pt) : null;
        rows.push({
          workload: s.workload, threads: t, torchlet_ms: js, pytorch_ms: py, ratio: py ? py.median / js.median : null,
          pytorch_variant: mostOften(variants),
          ...(s.faults ? { torchlet_faults: summarize(tlFaults).median, pytorch_faults: ptFaults.length ? summarize(ptFaults).median : null } : {}),
        });
      }
    }
  } finally {
    torch.setNumThreads(before);
  }
  return rows;
}

/**
 * Minor page faults per step in steady state (over `steps` steps after `warmup`) and peak RSS of the MLP or CNN
 * training step, torchlet and each PyTorch variant in a fresh process of its own.
 */
function stepMemory({ model, batch, warmup, steps }, withPyTorch) {
  const make = model === 'mlp'
    ? `require(${JSON.stringify(__filename)}).mlpStep(${batch})`
    : `require(${JSON.stringify(path.join(__dirname, 'conv.js'))}).cnnStep(${batch})`;
  const js = `
    const torch = require(${JSON.stringify(path.join(__dirname, '..'))});
    torch.setNumThreads(1);
    const step = ${make};
    for (let i = 0; i < ${warmup}; i++) step();
    const f0 = process.resourceUsage().minorPageFault;
    for (let i = 0; i < ${steps}; i++) step();
    const faults = (process.resourceUsage().minorPageFault - f0) / ${steps};
    console.log(JSON.stringify({ faults, peak: require(${JSON.stringify(path.join(__dirname, 'stats.js'))}).peakRss() }));`;
  const tl = JSON.parse(execFileSync(process.execPath, ['-e', js], { encoding: 'utf8' }));
  const py = {};
  if (withPyTorch) {
    const code = `import json, sys
sys.path.insert(0, ${JSON.stringify(__dirname)})
import torch_helper as h
h.set_threads(1)
print(json.dumps(h.step_memory(${JSON.stringify({ model, batch, warmup, steps })})))`;
    for (const v of VARIANTS) py[v.name] = JSON.parse(execFileSync('/usr/bin/python3', ['-c', code], { encoding: 'utf8', env: variantEnv(v) }));
  }
  return { tl, py };
}

/**
 * The memory checks, run after every timed workload of the suite: they start fresh processes, and the fork leaves
 * the parent's pages copy-on-write, which would slow the next timed rounds.
 */
async function memory({ quick = false, pytorch }) {
  const leak = quick ? { first: 100, last: 1000, hidden: 64, batch: 32 } : { first: 1000, last: 10000, hidden: 512, batch: 128 };
  const mem = leakCheck(leak, Boolean(pytorch));
  const mb = (b) => b / 2 ** 20;
  const rows = [{
    workload: `MLP RSS after ${leak.first} vs ${leak.last} steps`,
    threads: 1,
    leak: true,
    torchlet_rss_mb: [mb(mem.tl[leak.first]), mb(mem.tl[leak.last])],
    pytorch_rss_mb: mem.py ? [mb(mem.py[leak.first]), mb(mem.py[leak.last])] : null,
    torchlet_peak_rss_mb: mb(mem.tl.peak),
    pytorch_peak_rss_mb: mem.py ? mb(mem.py.peak) : null,
  }];
  const steps = quick
    ? [{ model: 'mlp', batch: 128, warmup: 30, steps: 30 }, { model: 'cnn', batch: 16, warmup: 20, steps: 20 }]
    // Steady state is after V8 has settled: its JIT compiles the functions a step calls over the first thousand or
    // so steps (each is called a few times per step), its compiler's memory and new code pages fault, and the young
    // generation grows page by page. perf record -e minor-faults, MLP b=128: TurboFan compiling view and emptyTensor
    // around step 1200 (up to 180 faults in a compiler thread, in some processes), the semi-space growing by 64
    // pages at step 1980 (in every process); after that 0-5 faults per 100 steps. CNN: V8's compiler and
    // new-space resizing until step 1300 or so, no kernel.
    : [{ model: 'mlp', batch: 128, warmup: 2500, steps: 500 }, { model: 'cnn', batch: 64, warmup: 1500, steps: 300 }];
  for (const spec of steps) {
    const m = stepMemory(spec, Boolean(pytorch));
    rows.push({
      workload: `${spec.model.toUpperCase()} step b=${spec.batch}, ${spec.steps} steps after ${spec.warmup}`,
      threads: 1,
      memory: true,
      torchlet_faults: m.tl.faults,
      torchlet_peak_rss_mb: mb(m.tl.peak),
      pytorch: Object.fromEntries(Object.entries(m.py).map(([k, v]) => [k, { faults: v.faults, peak_rss_mb: mb(v.peak) }])),
    });
  }
  return rows;
}

function print(rows) {
  const timed = rows.filter((r) => !r.leak && !r.memory);
  if (timed.length) {
    console.log('\nautograd and training beside PyTorch (same run, alternating, same threads); ratio = best PyTorch time / torchlet time');
    console.log('workload                     thr  torchlet ms (min-max)          PyTorch ms (min-max)           ratio  faster PyTorch  faults/step tl / PyTorch');
  }
  const f = (s) => (s ? `${s.median.toFixed(3)} (${s.min.toFixed(3)}-${s.max.toFixed(3)})` : 'n/a').padEnd(30);
  const n = (v) => (v === null || v === undefined ? 'n/a' : v.toFixed(1));
  for (const r of rows) {
    if (r.leak) {
      const py = r.pytorch_rss_mb ? `${r.pytorch_rss_mb[0].toFixed(1)} -> ${r.pytorch_rss_mb[1].toFixed(1)} MB` : 'n/a';
      const peak = `peak RSS ${r.torchlet_peak_rss_mb.toFixed(0)} / ${r.pytorch_peak_rss_mb ? r.pytorch_peak_rss_mb.toFixed(0) : 'n/a'} MB`;
      console.log(`${r.workload}: torchlet ${r.torchlet_rss_mb[0].toFixed(1)} -> ${r.torchlet_rss_mb[1].toFixed(1)} MB, PyTorch ${py}; ${peak}`);
      continue;
    }
    if (r.memory) {
      const py = Object.entries(r.pytorch).map(([k, v]) => `PyTorch ${k} ${n(v.faults)} faults/step, peak ${v.peak_rss_mb.toFixed(0)} MB`);
      console.log(`${r.workload} (fresh processes, 1 thread): torchlet ${n(r.torchlet_faults)} minor faults/step, peak RSS ${r.torchlet_peak_rss_mb.toFixed(0)} MB${py.length ? '; ' + py.join('; ') : ''}`);
      continue;
    }
    const faults = r.torchlet_faults !== undefined ? `${n(r.torchlet_faults)} / ${n(r.pytorch_faults)}` : '';
    console.log(`${r.workload.padEnd(28)} ${String(r.threads).padEnd(4)} ${f(r.torchlet_ms)} ${f(r.pytorch_ms)} ${(r.ratio ? r.ratio.toFixed(2) : 'n/a').padEnd(6)} ${(r.pytorch_variant ?? 'n/a').padEnd(15)} ${faults}`);
  }
}

module.exports = { run, memory, print, needsPyTorch: true, mlpStep };
