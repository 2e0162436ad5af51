'use strict';
/**
 * Convolution workloads beside PyTorch (oneDNN here), alternating in one run with the same thread count:
 * conv2d N=32 C=64 32x32, 64 filters 3x3 pad 1 (forward; forward+backward), conv2d N=64 C=1 28x28, 32 filters
 * 5x5 (forward+backward), and the demo's CNN training step at batch 64 with Adam, with peak RSS.
 * ratio = PyTorch time / torchlet time. GFLOP/s counts the direct-convolution multiply-adds.
 */
const { execFileSync } = require('child_process');
const path = require('path');

const torch = require('..');
const { settle, summarize, timeIt, STEP_WARMUP } = require('./stats');

const { nn, optim } = torch;
const F = nn.functional;

function convRun({ n, c, h, w, oc, k, pad, backward }) {
  torch.manualSeed(0);
  const x = torch.rand([n, c, h, w], { requiresGrad: backward });
  const weight = torch.rand([oc, c, k, k], { requiresGrad: backward });
  const bias = torch.rand([oc], { requiresGrad: backward });
  if (!backward) return () => torch.noGrad(() => F.conv2d(x, weight, bias, { padding: pad }));
  const up = torch.rand(n, oc, h + 2 * pad - k + 1, w + 2 * pad - k + 1);
  return () => {
    x.grad = weight.grad = bias.grad = null;
    F.conv2d(x, weight, bias, { padding: pad }).backward(up);
  };
}

class CNN extends nn.Module {
  constructor() {
    super();
    this.conv1 = new nn.Conv2d(1, 32, 3);
    this.conv2 = new nn.Conv2d(32, 64, 3);
    this.fc1 = new nn.Linear(1600, 128);
    this.fc2 = new nn.Linear(128, 10);
  }
  forward(x) {
    let h = F.maxPool2d(F.relu(this.conv1.forward(x)), 2);
    h = F.maxPool2d(F.relu(this.conv2.forward(h)), 2);
    return this.fc2.forward(F.relu(this.fc1.forward(h.flatten(1))));
  }
}

function cnnStep(batch) {
  torch.manualSeed(0);
  const model = new CNN();
  const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
  const x = torch.rand(batch, 1, 28, 28);
  const y = torch.randint(0, 10, [batch]);
  return () => {
    opt.zeroGrad();
    F.crossEntropy(model.forward(x), y).backward();
    opt.step();
  };
}

/**
 * Peak resident memory of the CNN step, each side in a fresh process: the process's peak RSS after 20 steps,
 * and how far it rose above the RSS measured just before the model was built.
 */
function cnnMemory(batch, threads, withPyTorch) {
  const js = `
    const torch = require(${JSON.stringify(path.join(__dirname, '..'))});
    torch.setNumThreads(${threads});
    const base = process.memoryUsage().rss;
    const step = require(${JSON.stringify(__filename)}).cnnStep(${batch});
    for (let i = 0; i < 20; i++) step();
    const peak = require(${JSON.stringify(path.join(__dirname, 'stats.js'))}).peakRss();
    console.log(JSON.stringify({ peak, base }));`;
  const tl = JSON.parse(execFileSync(process.execPath, ['-e', js], { encoding: 'utf8' }));
  let py = null;
  if (withPyTorch) {
    const code = `
import json, sys
sys.path.insert(0, ${JSON.stringify(__dirname)})
import torch_helper as h
h.set_threads(${threads})
def rss():
    with open('/proc/self/statm') as f: return int(f.read().split()[1]) * 4096
base = rss()
h.cnn_step({'batch': ${batch}, 'warmup': 0, 'reps': 20})
print(json.dumps({'peak': h.peak_rss(), 'base': base}))`;
    py = JSON.parse(execFileSync('/usr/bin/python3', ['-c', code], { encoding: 'utf8' }));
  }
  return { tl, py };
}

function convFlops({ n, c, h, w, oc, k, pad, backward }) {
  const oh = h + 2 * pad - k + 1;
  const ow = w + 2 * pad - k + 1;
  return 2 * n * oc * oh * ow * c * k * k * (backward ? 3 : 1);
}

async function run({ quick = false, threads = [1], pytorch }) {
  const big = quick ? { n: 4, c: 16, h: 16, w: 16, oc: 16, k: 3, pad: 1 } : { n: 32, c: 64, h: 32, w: 32, oc: 64, k: 3, pad: 1 };
  const mnist = quick ? { n: 8, c: 1, h: 28, w: 28, oc: 32, k: 5, pad: 0 } : { n: 64, c: 1, h: 28, w: 28, oc: 32, k: 5, pad: 0 };
  const specs = [
    { name: `conv2d ${big.n}x${big.c}x${big.h}x${big.w} 3x3 fwd`, geo: { ...big, backward: false } },
    { name: `conv2d ${big.n}x${big.c}x${big.h}x${big.w} 3x3 fwd+bwd`, geo: { ...big, backward: true } },
    { name: `conv2d ${mnist.n}x1x28x28 5x5 fwd+bwd`, geo: { ...mnist, backward: true } },
  ];
  const reps = quick ? 3 : 10;
  const rows = [];
  const before = torch.getNumThreads();
  try {
    for (const t of threads) {
      torch.setNumThreads(t);
      for (const s of specs) {
        const fn = convRun(s.geo);
        const tl = [];
        const pt = [];
        for (let round = 0; round < (quick ? 2 : 3); round++) {
          await settle(t);
          tl.push(timeIt(fn, { warmup: 2, reps }).median);
          await settle(t);
          if (pytorch) pt.push(summarize(await pytorch.ask({ workload: 'conv', ...s.geo, threads: t, warmup: 2, reps })).median);
        }
        const js = summarize(tl);
        const py = pytorch ? summarize(pt) : null;
        const flops = convFlops(s.geo);
        rows.push({
          workload: s.name, threads: t, torchlet_ms: js, pytorch_ms: py, ratio: py ? py.median / js.median : null,
          torchlet_gflops: flops / js.median / 1e6, pytorch_gflops: py ? flops / py.median / 1e6 : null,
        });
      }
      // The CNN training step.
      const batch = quick ? 16 : 64;
      const fn = cnnStep(batch);
      const tl = [];
      const pt = [];
      for (let round = 0; round < (quick ? 2 : 3); round++) {
        const warmup = round === 0 && !quick ? STEP_WARMUP : 3;
        await settle(t);
        tl.push(timeIt(fn, { warmup, reps: quick ? 3 : 10 }).median);
        await settle(t);
        if (pytorch) pt.push(summarize(await pytorch.ask({ workload: 'cnn_step', batch, threads: t, warmup, reps: quick ? 3 : 10 })).median);
      }
      const js = summarize(tl);
      const py = pytorch ? summarize(pt) : null;
      rows.push({ workload: `CNN step b=${batch}`, threads: t, torchlet_ms: js, pytorch_ms: py, ratio: py ? py.median / js.median : null });
    }
  } finally {
    torch.setNumThreads(before);
  }
  return rows;
}

/** Peak RSS of the CNN step in fresh processes, run after every timed workload (see training.js's memory). */
async function memory({ quick = false, threads = [1], pytorch }) {
  const batch = quick ? 16 : 64;
  const mb = (b) => b / 2 ** 20;
  return threads.map((t) => {
    const mem = cnnMemory(batch, t, Boolean(pytorch));
    return {
      workload: `CNN step b=${batch} memory`, threads: t, memory: true,
      torchlet_peak_rss_mb: mb(mem.tl.peak), torchlet_rss_rise_mb: mb(mem.tl.peak - mem.tl.base),
      pytorch_peak_rss_mb: mem.py ? mb(mem.py.peak) : null, pytorch_rss_rise_mb: mem.py ? mb(mem.py.peak - mem.py.base) : null,
    };
  });
}

function print(rows) {
  if (rows.some((r) => !r.leak && !r.memory)) console.log('\nconvolution beside PyTorch (same run, alternating, same threads); ratio = PyTorch time / torchlet time');
  if (rows.some((r) => !r.leak && !r.memory)) console.log('workload                              thr  torchlet ms (min-max)          PyTorch ms (min-max)           ratio  GFLOP/s tl / PyTorch');
  const f = (s) => (s ? `${s.median.toFixed(3)} (${s.min.toFixed(3)}-${s.max.toFixed(3)})` : 'n/a').padEnd(30);
  for (const r of rows) {
    const gf = r.torchlet_gflops ? `${r.torchlet_gflops.toFixed(1)} / ${r.pytorch_gflops ? r.pytorch_gflops.toFixed(1) : 'n/a'}` : '';
    if (r.memory) {
      console.log(`${r.workload} (${r.threads} threads): peak RSS ${r.torchlet_peak_rss_mb.toFixed(0)} MB, PyTorch ${r.pytorch_peak_rss_mb ? r.pytorch_peak_rss_mb.toFixed(0) : 'n/a'} MB; rise during the steps ${r.torchlet_rss_rise_mb.toFixed(0)} / ${r.pytorch_rss_rise_mb !== null ? r.pytorch_rss_rise_mb.toFixed(0) : 'n/a'} MB`);
      continue;
    }
    const mem = '';
    console.log(`${r.workload.padEnd(37)} ${String(r.threads).padEnd(4)} ${f(r.torchlet_ms)} ${f(r.pytorch_ms)} ${r.ratio ? r.ratio.toFixed(2).padEnd(6) : 'n/a   '} ${gf}${mem}`);
  }
}

module.exports = { run, memory, print, needsPyTorch: true, cnnStep };
