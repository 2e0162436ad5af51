'use strict';
/**
 * Memory-bound ops beside PyTorch (ratio = PyTorch time / torchlet time, medians of rounds): elementwise ops,
 * reductions, softmax/layerNorm/crossEntropy (forward, and forward + backward) and a transposing copy, on float32
 * tensors of 1M and 64K elements. Matrices are [n / 1024, 1024] (rows of 1024: softmax, layerNorm and crossEntropy
 * along the last dim). --quick runs 64K only. TORCHLET_BENCH_OPS=add,sum,... restricts the run to those ops.
 * The PyTorch side (bench/torch_helper.py, `ops`) builds the same tensors and runs the same calls by name.
 */
const torch = require('..');
const { settle, summarize, timeIt } = require('./stats');

const F = torch.nn.functional;
const COLS = 1024;
/** Calls before the first timed round of the small size (see run). */
const JIT_WARMUP = 5000;

/** The timed calls by name, on inputs of n elements (n a multiple of COLS). */
function makeOps(n) {
  torch.manualSeed(0);
  const rows = n / COLS;
  const a = torch.rand(n);
  const b = torch.rand(n);
  const acc = torch.rand(n); // written in place by add_
  const scaled = torch.rand(n); // written in place by mul_ (by 0.999: no overflow, no subnormals in any run)
  const m = torch.randn(rows, COLS);
  const target = torch.randint(0, COLS, [rows]);
  const weight = torch.rand(COLS);
  const bias = torch.rand(COLS);
  const up = torch.randn(rows, COLS);
  const x = m.clone().requiresGrad_();
  const w = weight.clone().requiresGrad_();
  const bb = bias.clone().requiresGrad_();
  const backward = (fn) => () => {
    x.grad = w.grad = bb.grad = null;
    fn();
  };
  return {
    add: () => a.add(b),
    add_: () => acc.add_(b),
    mul: () => a.mul(b),
    'mul scalar': () => a.mul(1.5),
    'mul_ scalar': () => scaled.mul_(0.999),
    exp: () => m.exp(),
    tanh: () => m.tanh(),
    sigmoid: () => m.sigmoid(),
    relu: () => m.relu(),
    gelu: () => F.gelu(m),
    'gelu tanh': () => F.gelu(m, 'tanh'),
    softplus: () => F.softplus(m),
    erf: () => m.erf(),
    log: () => a.log(),
    sin: () => m.sin(),
    pow: () => a.pow(2.5),
    sum: () => a.sum(),
    'sum dim 1': () => m.sum(1),
    'sum dim 0': () => m.sum(0),
    'max dim': () => m.max(1),
    softmax: () => m.softmax(1),
    logSoftmax: () => m.logSoftmax(1),
    logsumexp: () => m.logsumexp(1),
    layerNorm: () => F.layerNorm(m, [COLS], weight, bias),
    crossEntropy: () => F.crossEntropy(m, target),
    'transpose+contiguous': () => m.t().contiguous(),
    'softmax fwd+bwd': backward(() => x.softmax(1).backward(up)),
    'logSoftmax fwd+bwd': backward(() => x.logSoftmax(1).backward(up)),
    'layerNorm fwd+bwd': backward(() => F.layerNorm(x, [COLS], w, bb).backward(up)),
    'crossEntropy fwd+bwd': backward(() => F.crossEntropy(x, target).backward()),
    'gelu fwd+bwd': backward(() => F.gelu(x).backward(up)),
  };
}

async function run({ quick = false, threads = [1], pytorch }) {
  // 64K first: its first round's long warm-up also brings V8's compiled code to its steady state for the 1M calls.
  const sizes = quick ? [['64K', 1 << 16]] : [['64K', 1 << 16], ['1M', 1 << 20]];
  const only = process.env.TORCHLET_BENCH_OPS ? process.env.TORCHLET_BENCH_OPS.split(',') : null;
  const rows = [];
  const reps = quick ? 5 : 15;
  // Five alternating rounds: on this VM a whole process can run at half speed for a second or so (both threads on
  // their own CPUs, each using twice the CPU time per call: a busy sibling of the host's cores), which took two of
  // three rounds of one side now and then (softmax fwd+bwd on 2 threads: rounds of 0.61-0.64 ms and of 1.0-1.17 ms).
  const rounds = quick ? 2 : 5;
  const before = torch.getNumThreads();
  try {
    for (const t of threads) {
      torch.setNumThreads(t);
      for (const [label, n] of sizes) {
        // Small inputs repeat each call, so one timed repetition is well above the clock's resolution. The warm-up
        // makes about 64 MiB of results, so torchlet reaches its steady state (its first calls land on fresh pages
        // until the garbage collector has freed some results). The first round of the small size warms up for
        // JIT_WARMUP calls: V8 compiles an op's JS path after some thousands of calls, and before that the calls
        // measured the interpreter (sum of 64K: 15 us after 256 calls, 4.1 after 16,000; PyTorch 4.3).
        const inner = n < 1 << 20 ? 10 : 1;
        const warmupFor = (round) => Math.max(20, (64 << 20) / (4 * n), round === 0 && n < 1 << 20 ? JIT_WARMUP : 0);
        const ops = makeOps(n);
        for (const [name, fn] of Object.entries(ops)) {
          if (only && !only.includes(name)) continue;
          const tl = [];
          const pt = [];
          for (let round = 0; round < rounds; round++) {
            await settle(t);
            const warmup = warmupFor(round);
            tl.push(timeIt(fn, { warmup, reps, inner }).median);
            await settle(t);
            if (pytorch) pt.push(summarize(await pytorch.ask({ workload: 'ops', op: name, n, threads: t, warmup, reps, inner })).median);
          }
          const js = summarize(tl);
          const py = pytorch ? summarize(pt) : null;
          rows.push({ workload: `${name} ${label}`, threads: t, torchlet_ms: js, pytorch_ms: py, ratio: py ? py.median / js.median : null });
        }
      }
    }
  } finally {
    torch.setNumThreads(before);
  }
  return rows;
}

function print(rows) {
  console.log('\nmemory-bound ops beside PyTorch (float32); ratio = PyTorch time / torchlet time; ms: median (min-max) of rounds');
  console.log(`${'workload'.padEnd(28)} thr  ${'torchlet ms'.padEnd(30)} ${'PyTorch ms'.padEnd(30)} ratio`);
  const f = (s) => (s ? `${s.median.toFixed(4)} (${s.min.toFixed(4)}-${s.max.toFixed(4)})` : 'n/a').padEnd(30);
  for (const r of rows) console.log(`${r.workload.padEnd(28)} ${String(r.threads).padEnd(4)} ${f(r.torchlet_ms)} ${f(r.pytorch_ms)} ${r.ratio ? r.ratio.toFixed(2) : 'n/a'}`);
}

module.exports = { run, print, needsPyTorch: true };
