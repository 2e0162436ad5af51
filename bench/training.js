'use strict';
/**
 * Autograd and training workloads beside PyTorch, alternating in one run with the same thread count:
 * - autograd_tiny: relu(x * w + b).sum().backward() on 16 elements, 10,000 times (goal: >= 3x faster than PyTorch)
 * - mlp_step: 784-512-512-10 MLP, batch 128, cross entropy, Adam (goal: no slower than PyTorch)
 * ratio = PyTorch time / torchlet time (above 1: torchlet is faster).
 */
const torch = require('..');
const { summarize, timeIt } = require('./stats');

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
        for (let round = 0; round < (quick ? 2 : 3); round++) {
          tl.push(timeIt(fn, { warmup: s.warmup, reps: s.reps }).median);
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

function print(rows) {
  console.log('\nautograd and training beside PyTorch (same run, alternating, same threads); ratio = PyTorch time / torchlet time');
  console.log('workload                     thr  torchlet ms (min-max)          PyTorch ms (min-max)           ratio');
  const f = (s) => (s ? `${s.median.toFixed(3)} (${s.min.toFixed(3)}-${s.max.toFixed(3)})` : 'n/a').padEnd(30);
  for (const r of rows) {
    console.log(`${r.workload.padEnd(28)} ${String(r.threads).padEnd(4)} ${f(r.torchlet_ms)} ${f(r.pytorch_ms)} ${r.ratio ? r.ratio.toFixed(2) : 'n/a'}`);
  }
}

module.exports = { run, print, needsPyTorch: true };
