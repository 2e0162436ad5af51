'use strict';
/**
 * DDP training throughput, run by the `distributed` workload (bench/distributed.js) after its allreduce rows:
 * an MLP 784-512-512-10 (670k parameters, 2.7 MB of gradients: two buckets, 1 MB then the rest) trained with SGD
 * on a global batch of 256, as 1 process of 1 thread (plain training on the whole batch) and as 2 DDP ranks of
 * 1 thread each (128 per rank, Gloo on loopback), for torchlet and for PyTorch 1.13 (Debian's python3-torch, same
 * setup). Every configuration runs in fresh processes, the six (torchlet, PyTorch as installed, PyTorch with the tuned
 * allocator; 1 process and 2 ranks each) taking turns round after round, a different one first in each round;
 * torchlet's processes (1 process and DDP ranks alike) start as bin/torchlet-run starts a rank of 1 thread (its node
 * flags). Beside step times, each configuration
 * reports CPU milliseconds per step per rank (all threads), which other load on the machine moves far less.
 * torchlet's ranks use its default transport (on one host, the shared-memory allreduce). scaling = throughput of
 * 2 ranks / throughput of 1 process; goal: torchlet's scaling >= PyTorch's at its best, i.e. PyTorch's faster
 * 1-process step (as installed or tuned) over its faster 2-rank step. The verdict (ratio)
 * is paired within rounds: each round's torchlet scaling / PyTorch scaling (medians of that round's steps), and the
 * median of those over rounds, with their range; the pooled medians are printed beside it.
 *
 * This file is also the torchlet rank: `TORCHLET_DDP_BENCH=1 node bench/ddp.js WORLD BATCH WARMUP STEPS`.
 */
const { spawn } = require('child_process');
const fs = require('fs');
const { freePort } = require('./ports');
const path = require('path');

const { summarize } = require('./stats');
const { nodeFlags } = require('../bin/torchlet-run');

const PYTHON = '/usr/bin/python3';
const GLOBAL_BATCH = 256;
/** PyTorch at its best on this machine: glibc keeps freed memory instead of returning it (see issue 12). */
const TUNED = 'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967295:glibc.malloc.hugetlb=1';
const SIZES = [784, 512, 512, 10];

/** The PyTorch rank: plain training for world 1, DDP over Gloo otherwise; prints per-step milliseconds. */
const PYTORCH_RANK = `
import json, os, sys, time
import torch, torch.nn as nn, torch.nn.functional as F
import torch.distributed as dist
world, batch, warmup, steps = map(int, sys.argv[1:5])
torch.set_num_threads(1)
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
if world > 1:
    dist.init_process_group('gloo', rank=int(os.environ['RANK']), world_size=world)
    model = nn.parallel.DistributedDataParallel(model)
opt = torch.optim.SGD(model.parameters(), lr=0.01)
x = torch.rand(batch, 784)
y = torch.randint(0, 10, (batch,))
times = []
for i in range(warmup + steps):
    if i == warmup:
        cpu0 = time.process_time()
    t0 = time.perf_counter()
    opt.zero_grad()
    F.cross_entropy(model(x), y).backward()
    opt.step()
    if i >= warmup:
        times.append((time.perf_counter() - t0) * 1e3)
cpu = (time.process_time() - cpu0) * 1e3 / steps
if world > 1:
    dist.destroy_process_group()
print(json.dumps({'times': times, 'cpu': cpu}), flush=True)
`;

/** The torchlet rank: the same loop. */
async function rankMain(world, batch, warmup, steps) {
  const torch = require('..');
  const { nn, optim } = torch;
  torch.setNumThreads(1);
  torch.manualSeed(0);
  let model = new nn.Sequential(new nn.Linear(784, 512), new nn.ReLU(), new nn.Linear(512, 512), new nn.ReLU(), new nn.Linear(512, 10));
  if (world > 1) {
    await torch.distributed.initProcessGroup({ backend: 'gloo', timeout: 120000 });
    model = new nn.parallel.DistributedDataParallel(model);
  }
  const opt = new optim.SGD(model.parameters(), { lr: 0.01 });
  const x = torch.rand(batch, 784);
  const y = torch.randint(0, 10, [batch]);
  const times = [];
  let cpu0 = process.cpuUsage();
  for (let i = 0; i < warmup + steps; i++) {
    if (i === warmup) cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    opt.zeroGrad();
    nn.functional.crossEntropy(model.forward(x), y).backward();
    opt.step();
    if (i >= warmup) times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const cpu = process.cpuUsage(cpu0);
  if (world > 1) torch.distributed.destroyProcessGroup();
  console.log(JSON.stringify({ times, cpu: (cpu.user + cpu.system) / 1e3 / steps }));
}


/**
 * Runs `world` ranks of one side; resolves with rank 0's step times (the ranks wait for each other every step) and
 * the ranks' mean CPU milliseconds per step (all threads of a rank: compute, communication, GC).
 */
async function runSide(side, world, warmup, steps) {
  const port = await freePort();
  const batch = GLOBAL_BATCH / world;
  const args = [String(world), String(batch), String(warmup), String(steps)];
  const runs = Array.from({ length: world }, (_, rank) => new Promise((resolve, reject) => {
    const env = {
      ...process.env, RANK: String(rank), LOCAL_RANK: String(rank), WORLD_SIZE: String(world), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port),
      OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', TORCHLET_DDP_BENCH: '1',
      ...(side === 'pytorch-tuned' ? { GLIBC_TUNABLES: TUNED } : {}),
    };
    const child = side === 'torchlet'
      // Every process, the single one too, gets the node flags torchlet-run gives a rank of 1 thread, so the scaling
      // compares two launches of one kind (the single one had run as plain node, with V8's default helper threads).
      ? spawn(process.execPath, [...nodeFlags(env), __filename, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(PYTHON, ['-c', PYTORCH_RANK, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (err += b));
    const killer = setTimeout(() => child.kill('SIGKILL'), 600000);
    child.on('close', (code) => {
      clearTimeout(killer);
      const line = out.trim().split('\n').pop();
      if (code !== 0 || !line) reject(new Error(`${side} rank ${rank} of ${world} exited with ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`));
      else resolve(JSON.parse(line));
    });
  }));
  const results = await Promise.all(runs);
  return { times: results[0].times, cpu: results.reduce((a, r) => a + r.cpu, 0) / world };
}

/**
 * The DDP rows: step time and images per second for 1 process and 2 ranks, each side, and the scaling of each.
 * @param {{ quick?: boolean }} opts quick: one round of few steps (a few seconds)
 */
async function run({ quick = false } = {}) {
  const torch = require('..');
  if (!torch.distributed.isGlooAvailable()) {
    console.error('DDP bench skipped: torchlet was built without Gloo (install libgloo-dev and rebuild)');
    return [];
  }
  const withPyTorch = fs.existsSync(PYTHON);
  const rounds = quick ? 1 : 8;
  // torchlet's first ~10 steps run 3-4x slower (V8 still compiling the training loop's code).
  const warmup = quick ? 2 : 10;
  const steps = quick ? 5 : 20;
  const times = { torchlet: { 1: [], 2: [] }, pytorch: { 1: [], 2: [] }, 'pytorch-tuned': { 1: [], 2: [] } };
  // CPU ms per step of a rank, one figure per run: unlike step times, barely moved by other load on the machine.
  const cpus = { torchlet: { 1: [], 2: [] }, pytorch: { 1: [], 2: [] }, 'pytorch-tuned': { 1: [], 2: [] } };
  // byRound[r][side][world]: round r's step times, for the paired scaling ratios.
  const byRound = [];
  const record = (round, side, world, r) => {
    times[side][world].push(...r.times);
    cpus[side][world].push(r.cpu);
    ((byRound[round] ??= {})[side] ??= {})[world] = r.times;
  };
  // PyTorch as installed and with the tuned allocator; the faster configuration is the baseline.
  const configs = ['torchlet', ...(withPyTorch ? ['pytorch', 'pytorch-tuned'] : [])].flatMap((side) => [1, 2].map((world) => ({ side, world })));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < configs.length; k++) {
      const { side, world } = configs[(k + r) % configs.length];
      try {
        record(r, side, world, await runSide(side, world, warmup, steps));
      } catch (e) {
        if (side === 'torchlet') throw e;
        console.error(`DDP bench: ${side} side failed: ${e.message}`);
      }
    }
  }
  const stat = (t) => (t.length ? summarize(t) : null);
  const ips = (s) => (s ? GLOBAL_BATCH / (s.median / 1e3) : null);
  // PyTorch at its best: for each world size, the faster of PyTorch as installed and with the tuned allocator. Its
  // scaling is the faster 1-process step over the faster 2-rank step.
  const fastest = (t, world) => {
    const plain = t.pytorch?.[world]?.length ? summarize(t.pytorch[world]).median : null;
    const tuned = t['pytorch-tuned']?.[world]?.length ? summarize(t['pytorch-tuned'][world]).median : null;
    return tuned !== null && (plain === null || tuned < plain) ? 'pytorch-tuned' : 'pytorch';
  };
  const bestOf = { 1: fastest(times, 1), 2: fastest(times, 2) };
  const rows = [1, 2].map((world) => {
    const best = bestOf[world];
    const tl = stat(times.torchlet[world]);
    const py = stat(times[best][world]);
    const cpu = (k) => (cpus[k][world].length ? summarize(cpus[k][world]).median : null);
    return {
      pytorch_config: best === 'pytorch-tuned' ? `GLIBC_TUNABLES=${TUNED}` : 'as installed',
      pytorch_installed_ms: stat(times.pytorch[world]),
      pytorch_tuned_ms: stat(times['pytorch-tuned'][world]),
      workload: `DDP MLP ${SIZES.join('-')} step, global batch ${GLOBAL_BATCH}, ${world === 1 ? '1 process' : '2 ranks'} x 1 thread`,
      threads: 1,
      world,
      torchlet_ms: tl,
      pytorch_ms: py,
      torchlet_images_per_s: ips(tl),
      pytorch_images_per_s: ips(py),
      torchlet_cpu_ms_per_step: cpu('torchlet'),
      pytorch_cpu_ms_per_step: cpu(best),
      ratio: py ? py.median / tl.median : null,
    };
  });
  const scale = (side) => (rows[1][`${side}_ms`] && rows[0][`${side}_ms`] ? rows[0][`${side}_ms`].median / rows[1][`${side}_ms`].median : null);
  const tlScaling = scale('torchlet');
  const pyScaling = scale('pytorch');
  // Each round's scaling of a side (medians of that round's 1-process and 2-rank steps), paired within the round;
  // PyTorch's from that round's faster configuration at each world size.
  const median = (t) => (t?.length ? summarize(t).median : null);
  const paired = byRound.map((b) => {
    const tl = median(b.torchlet?.[1]) && median(b.torchlet?.[2]) ? median(b.torchlet[1]) / median(b.torchlet[2]) : null;
    const one = median(b[fastest(b, 1)]?.[1]);
    const two = median(b[fastest(b, 2)]?.[2]);
    return tl && one && two ? tl / (one / two) : null;
  }).filter((x) => x !== null);
  const pairedStat = paired.length ? summarize(paired) : null;
  const side = (k, w) => stat(times[k][w]);
  const scaling = (k) => (side(k, 1) && side(k, 2) ? side(k, 1).median / side(k, 2).median : null);
  const cpuScaling = (k) => (cpus[k][1].length && cpus[k][2].length ? summarize(cpus[k][1]).median / summarize(cpus[k][2]).median : null);
  rows.push({
    workload: `DDP scaling, 2 ranks / 1 process (torchlet ${tlScaling?.toFixed(2) ?? 'n/a'}x, PyTorch ${pyScaling?.toFixed(2) ?? 'n/a'}x)`,
    threads: 1,
    torchlet_scaling: tlScaling,
    pytorch_scaling: pyScaling,
    pytorch_installed_scaling: scaling('pytorch'),
    pytorch_tuned_scaling: scaling('pytorch-tuned'),
    // Scaling if each rank had a core to itself: 1-process CPU per step / a rank's CPU per step.
    torchlet_cpu_scaling: cpuScaling('torchlet'),
    pytorch_cpu_scaling: cpus[bestOf[1]][1].length && cpus[bestOf[2]][2].length ? summarize(cpus[bestOf[1]][1]).median / summarize(cpus[bestOf[2]][2]).median : null,
    // The goal: torchlet's scaling at least PyTorch's (ratio >= 1): the median over rounds of each round's ratio.
    ratio: pairedStat ? pairedStat.median : null,
    ratio_range: pairedStat ? [pairedStat.min, pairedStat.max] : null,
    rounds: paired.length,
    // The same from the medians of all rounds' steps pooled.
    pooled_ratio: tlScaling && pyScaling ? tlScaling / pyScaling : null,
  });
  return rows;
}

function print(rows) {
  console.log(`\nDDP training: MLP ${SIZES.join('-')}, SGD, global batch ${GLOBAL_BATCH}; 1 process of 1 thread vs 2 DDP ranks of 1 thread (Gloo, loopback)`);
  console.log('beside PyTorch (same setup), same run, interleaved; medians (min-max); scaling = 2-rank throughput / 1-process throughput (goal: >= PyTorch\'s);');
  console.log('ratio = torchlet scaling / PyTorch scaling, paired within each round, median over rounds');
  const f = (s) => (s ? `${s.median.toFixed(2)} (${s.min.toFixed(2)}-${s.max.toFixed(2)})` : 'n/a').padEnd(26);
  for (const r of rows) {
    if (r.torchlet_scaling !== undefined) {
      const both = `PyTorch as installed ${r.pytorch_installed_scaling?.toFixed(2) ?? 'n/a'}x, tuned allocator ${r.pytorch_tuned_scaling?.toFixed(2) ?? 'n/a'}x`;
      const range = r.ratio_range ? ` (range over ${r.rounds} rounds ${r.ratio_range[0].toFixed(2)}-${r.ratio_range[1].toFixed(2)})` : '';
      console.log(`${r.workload}: ratio ${r.ratio?.toFixed(3) ?? 'n/a'}${range}, pooled ${r.pooled_ratio?.toFixed(3) ?? 'n/a'} (goal >= 1); ${both}`);
      const c = (v) => v?.toFixed(2) ?? 'n/a';
      console.log(`  CPU scaling (1-process CPU per step / a rank's, load-independent): torchlet ${c(r.torchlet_cpu_scaling)}x, PyTorch ${c(r.pytorch_cpu_scaling)}x`);
    } else {
      const img = (v) => (v ? `${Math.round(v)} img/s` : 'n/a');
      const cpu = `CPU/step/rank torchlet ${r.torchlet_cpu_ms_per_step?.toFixed(2) ?? 'n/a'}, PyTorch ${r.pytorch_cpu_ms_per_step?.toFixed(2) ?? 'n/a'} ms`;
      console.log(`${r.workload.padEnd(72)} torchlet ${f(r.torchlet_ms)}ms ${img(r.torchlet_images_per_s).padEnd(12)} PyTorch ${f(r.pytorch_ms)}ms ${img(r.pytorch_images_per_s)} (${r.pytorch_config}; installed ${r.pytorch_installed_ms?.median.toFixed(2) ?? 'n/a'}, tuned ${r.pytorch_tuned_ms?.median.toFixed(2) ?? 'n/a'} ms); ${cpu}`);
    }
  }
}

if (require.main === module && process.env.TORCHLET_DDP_BENCH) {
  const [world, batch, warmup, steps] = process.argv.slice(2).map(Number);
  rankMain(world, batch, warmup, steps).catch((e) => {
    console.error(e.stack || String(e));
    process.exit(1);
  });
} else if (require.main === module) {
  // Standalone: `node bench/ddp.js [--quick]`.
  run({ quick: process.argv.includes('--quick') }).then(print, (e) => {
    console.error(e);
    process.exit(1);
  });
}

module.exports = { run, print };
