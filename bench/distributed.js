'use strict';
/**
 * allreduce of 1, 4 and 25 MB (float32 sum) across 2 ranks on loopback: torchlet.distributed over Gloo
 * (TORCHLET_DISTRIBUTED_SHM=0) beside the same Gloo allreduce driven from C++ (bench/gloo_allreduce.cc, built here on
 * demand) and beside PyTorch's dist.all_reduce (Debian's python3-torch, Gloo backend), in the same run; then
 * torchlet's default on one host, the shared-memory allreduce, beside the same two. All four pairs of ranks stay up
 * for the whole run and take short turns (a few allreduces each), round after round, a different one first in each
 * round, so that load from elsewhere on the machine falls on all alike. Each time is the median (min-max) over every
 * timed allreduce; the ratio (C time / torchlet time; goal >= 0.95 for the Gloo rows) is the median over rounds of
 * each round's ratio of medians (paired within the round), with its range over rounds. When bench/ddp.js exists,
 * its DDP training rows follow.
 *
 * This file is also the torchlet rank: `TORCHLET_BENCH_RANK=1 node bench/distributed.js MAX_BYTES`.
 */
const { execFileSync, spawn } = require('child_process');
const fs = require('fs');
const { freePort } = require('./ports');
const os = require('os');
const path = require('path');
const readline = require('readline');

const { summarize } = require('./stats');

const PYTHON = '/usr/bin/python3';
const MB = 1 << 20;

/** The PyTorch rank: the same request loop over dist.all_reduce. */
const PYTORCH_RANK = `
import json, os, sys, time
import torch, torch.distributed as dist
torch.set_num_threads(1)
dist.init_process_group('gloo', rank=int(os.environ['RANK']), world_size=int(os.environ['WORLD_SIZE']))
x = torch.ones(int(sys.argv[1]) // 4)
for line in sys.stdin:
    nbytes, warmup, reps = map(int, line.split())
    v = x[: nbytes // 4]
    for _ in range(warmup):
        dist.all_reduce(v)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        dist.all_reduce(v)
        times.append((time.perf_counter() - t0) * 1e3)
    print(json.dumps({'times': times}), flush=True)
dist.destroy_process_group()
`;

/** The torchlet rank: reads "BYTES WARMUP REPS" lines, answers with the times of synchronous allReduces. */
async function rankMain(maxBytes) {
  const torch = require('..');
  const d = torch.distributed;
  await d.initProcessGroup({ backend: 'gloo', timeout: 120000 });
  const x = torch.ones(maxBytes / 4);
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    const [nbytes, warmup, reps] = line.split(' ').map(Number);
    const v = x.narrow(0, 0, nbytes / 4);
    for (let i = 0; i < warmup; i++) d.allReduce(v);
    const times = [];
    for (let i = 0; i < reps; i++) {
      const t0 = process.hrtime.bigint();
      d.allReduce(v);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    console.log(JSON.stringify({ times }));
  }
  d.destroyProcessGroup();
}


/** Compiles the C++ driver against the system Gloo (scripts/find-gloo.js finds it). */
function compileDriver() {
  const find = (what) => execFileSync(process.execPath, [path.join(__dirname, '..', 'scripts', 'find-gloo.js'), what], { encoding: 'utf8' }).trim();
  if (find('') !== '1') throw new Error('Gloo not found (install libgloo-dev)');
  const exe = path.join(os.tmpdir(), `torchlet-gloo-allreduce-${process.pid}`);
  const flags = [...find('cflags').split(/\s+/), ...find('libs').split(/\s+/)].filter(Boolean);
  execFileSync('c++', ['-O2', '-std=c++17', '-o', exe, path.join(__dirname, 'gloo_allreduce.cc'), ...flags]);
  return exe;
}

/**
 * Each rank on a core of its own (taskset), the same for every contender: unpinned, the ranks' threads (the caller,
 * Gloo's transport thread, torchlet's communication thread) migrate between the 2 cores and the scheduler's
 * wake-up delays, not the allreduce, decide the times (per-round ratios spread over 0.2-5x).
 */
function pin(rank) {
  const cores = os.cpus().length;
  if (process.env.TORCHLET_BENCH_PIN === '0' || cores < 2) return [];
  try {
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
  } catch {
    return [];
  }
  return ['taskset', '-c', String(rank % cores)];
}

/**
 * Starts one contender's 2 ranks; ask(line) sends the request to both and resolves with rank 0's answer once both
 * have answered.
 */
function startPair(name, argvOf, envOf) {
  const ranks = [0, 1].map((rank) => {
    const [cmd, ...args] = [...pin(rank), ...argvOf(rank)];
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...envOf(rank) } });
    const waiting = [];
    let exited = null;
    readline.createInterface({ input: child.stdout }).on('line', (l) => {
      if (l.startsWith('{')) waiting.shift()?.resolve(JSON.parse(l));
    });
    child.on('exit', (code) => {
      exited = code;
      for (const w of waiting.splice(0)) w.reject(new Error(`${name} rank ${rank} exited (${code})`));
    });
    return {
      child,
      ask(line) {
        if (exited !== null) return Promise.reject(new Error(`${name} rank ${rank} exited (${exited})`));
        return new Promise((resolve, reject) => {
          waiting.push({ resolve, reject });
          child.stdin.write(line + '\n');
        });
      },
    };
  });
  return {
    name,
    async ask(line) {
      const [a] = await Promise.all(ranks.map((r) => r.ask(line)));
      if (a.error) throw new Error(`${name}: ${a.error}`);
      return a.times;
    },
    close() {
      for (const r of ranks) r.child.stdin.end();
    },
  };
}

/** Timed allreduces per turn, rounds, and untimed ones first in each turn: many short turns (1-2 s per round). */
function schedule(mb, quick) {
  if (quick) return { reps: 3, rounds: 1, warmup: 1 };
  return mb >= 25 ? { reps: 3, rounds: 16, warmup: 1 } : mb >= 4 ? { reps: 6, rounds: 24, warmup: 2 } : { reps: 10, rounds: 30, warmup: 2 };
}

/** The median over rounds of a per-round ratio num / den (each a list of that round's times), and its range. */
function pairedRatio(rounds, num, den) {
  const r = rounds.filter((x) => x[num]?.length && x[den]?.length).map((x) => summarize(x[num]).median / summarize(x[den]).median);
  return r.length ? summarize(r) : null;
}

async function run({ quick = false, sizes = [1, 4, 25] } = {}) {
  const maxBytes = Math.max(...sizes) * MB;
  const single = { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MASTER_ADDR: '127.0.0.1', WORLD_SIZE: '2', GLOO_SOCKET_IFNAME: 'lo' };
  const pairs = [];
  try {
    require('..').distributed.isGlooAvailable() || (() => { throw new Error('torchlet was built without Gloo (install libgloo-dev and rebuild)'); })();
    // 'torchlet': over Gloo, the row compared with C++; 'torchlet shm': the same-host default.
    for (const [name, shm] of [['torchlet', '0'], ['torchlet shm', '1']]) {
      const port = await freePort();
      pairs.push(startPair(name, () => [process.execPath, __filename, String(maxBytes)],
        (rank) => ({ ...single, TORCHLET_BENCH_RANK: '1', TORCHLET_DISTRIBUTED_SHM: shm, RANK: String(rank), MASTER_PORT: String(port) })));
    }
    let exe = null;
    try {
      exe = compileDriver();
    } catch (e) {
      console.error(`distributed bench: no C++ baseline (${e.message.split('\n')[0]})`);
    }
    const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'torchlet-gloo-bench-'));
    if (exe) pairs.push(startPair('C++', (rank) => [exe, String(rank), '2', storeDir, String(maxBytes)], () => single));
    let hasTorch = false;
    try {
      execFileSync(PYTHON, ['-c', 'import torch.distributed as d; assert d.is_gloo_available()'], { stdio: 'ignore' });
      hasTorch = true;
    } catch {
      console.error('distributed bench: no PyTorch baseline (/usr/bin/python3 with torch and Gloo is needed)');
    }
    const pyPort = await freePort();
    if (hasTorch) {
      pairs.push(startPair('PyTorch', () => [PYTHON, '-c', PYTORCH_RANK, String(maxBytes)],
        (rank) => ({ ...single, RANK: String(rank), MASTER_PORT: String(pyPort) })));
    }
    // times.get(size)[round][contender]: that turn's allreduce times.
    const times = new Map(sizes.map((mb) => [mb, []]));
    const maxRounds = Math.max(...sizes.map((mb) => schedule(mb, quick).rounds));
    for (let round = 0; round < maxRounds; round++) {
      for (const mb of sizes) {
        const { reps, rounds, warmup } = schedule(mb, quick);
        if (round >= rounds) continue;
        const turn = {};
        // A different contender goes first in each round.
        for (let k = 0; k < pairs.length; k++) {
          const p = pairs[(k + round) % pairs.length];
          turn[p.name] = await p.ask(`${mb * MB} ${warmup} ${reps}`);
        }
        times.get(mb).push(turn);
      }
    }
    fs.rmSync(storeDir, { recursive: true, force: true });
    if (exe) fs.rmSync(exe, { force: true });
    const row = (mb, side, label) => {
      const rounds = times.get(mb);
      const of = (name) => {
        const all = rounds.flatMap((r) => r[name] ?? []);
        return all.length ? summarize(all) : null;
      };
      const tl = of(side);
      const c = pairedRatio(rounds, 'C++', side);
      const py = pairedRatio(rounds, 'PyTorch', side);
      return {
        workload: `allreduce ${mb} MB, 2 ranks${label}`,
        threads: 1,
        torchlet_ms: tl,
        c_ms: of('C++'),
        pytorch_ms: of('PyTorch'),
        rounds: rounds.length,
        // Per-round ratios (C time / torchlet time within one round): their median is the figure, min-max its spread.
        ratio: c ? c.median : null,
        ratio_range: c ? [c.min, c.max] : null,
        pytorch_ratio: py ? py.median : null,
        torchlet_gbps: (mb * MB) / tl.median / 1e6,
      };
    };
    const rows = [...sizes.map((mb) => row(mb, 'torchlet', '')), ...sizes.map((mb) => row(mb, 'torchlet shm', ', shared memory'))];
    return [...rows, ...(await ddpRows({ quick }))];
  } catch (e) {
    console.error(`distributed bench skipped: ${e.message}`);
    return [];
  } finally {
    for (const p of pairs) p.close();
  }
}

/** The DDP training rows of bench/ddp.js (a function, or a module with run), when that file exists. */
async function ddpRows(opts) {
  const file = path.join(__dirname, 'ddp.js');
  if (!fs.existsSync(file)) return [];
  const ddp = require(file);
  return (await (typeof ddp === 'function' ? ddp(opts) : ddp.run(opts))) ?? [];
}

function print(rows) {
  console.log('\ndistributed: allreduce (float32 sum, 2 ranks, loopback TCP) through torchlet (TORCHLET_DISTRIBUTED_SHM=0) vs the same');
  console.log('Gloo allreduce from C++ and PyTorch dist.all_reduce (Gloo), same run, in interleaved turns; then torchlet\'s same-host');
  console.log('default (shared memory) vs the same two. Times: medians (min-max) over all allreduces; ratio = C++ time / torchlet time');
  console.log('(goal >= 0.95 for the Gloo rows): median over rounds of each round\'s ratio (min-max over rounds)');
  console.log('workload                                torchlet ms                  C++ ms                       PyTorch ms                   ratio (range over rounds)  vs PyTorch');
  const f = (s) => (s ? `${s.median.toFixed(3)} (${s.min.toFixed(3)}-${s.max.toFixed(3)})` : 'n/a').padEnd(29);
  for (const r of rows) {
    if (!r.workload.startsWith('allreduce')) continue;
    const ratio = r.ratio ? `${r.ratio.toFixed(3)} (${r.ratio_range[0].toFixed(2)}-${r.ratio_range[1].toFixed(2)}, ${r.rounds})` : 'n/a';
    console.log(`${r.workload.padEnd(39)} ${f(r.torchlet_ms)}${f(r.c_ms)}${f(r.pytorch_ms)}${ratio.padEnd(27)}${r.pytorch_ratio ? r.pytorch_ratio.toFixed(3) : 'n/a'}`);
  }
  const rest = rows.filter((r) => !r.workload.startsWith('allreduce'));
  if (rest.length) {
    const ddp = require(path.join(__dirname, 'ddp.js'));
    if (typeof ddp.print === 'function') ddp.print(rest);
    else for (const r of rest) console.log(JSON.stringify(r));
  }
}

if (require.main === module && process.env.TORCHLET_BENCH_RANK) {
  rankMain(Number(process.argv[2])).catch((e) => {
    console.log(JSON.stringify({ error: e.message }));
    process.exit(1);
  });
}

module.exports = { run, print };
