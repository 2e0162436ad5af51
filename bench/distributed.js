'use strict';
/**
 * allreduce of 1, 4 and 25 MB (float32 sum) across 2 ranks on loopback: torchlet.distributed beside the same Gloo
 * allreduce driven from C++ (bench/gloo_allreduce.cc, built here on demand) and beside PyTorch's dist.all_reduce
 * (Debian's python3-torch, Gloo backend), in the same run. All three pairs of ranks stay up for the whole run and
 * take turns, round after round; each figure is the median over every timed allreduce of its rounds.
 * Goal: ratio (C time / torchlet time) >= 0.95. When bench/ddp.js exists, its DDP training rows follow.
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
 * Starts one contender's 2 ranks; ask(line) sends the request to both and resolves with rank 0's answer once both
 * have answered.
 */
function startPair(name, argvOf, envOf) {
  const ranks = [0, 1].map((rank) => {
    const [cmd, ...args] = argvOf(rank);
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

async function run({ quick = false, sizes = [1, 4, 25], rounds = 5 } = {}) {
  const maxBytes = Math.max(...sizes) * MB;
  const single = { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MASTER_ADDR: '127.0.0.1', WORLD_SIZE: '2', GLOO_SOCKET_IFNAME: 'lo' };
  const pairs = [];
  try {
    require('..').distributed.isGlooAvailable() || (() => { throw new Error('torchlet was built without Gloo (install libgloo-dev and rebuild)'); })();
    const torchletPort = await freePort();
    pairs.push(startPair('torchlet', () => [process.execPath, __filename, String(maxBytes)],
      (rank) => ({ ...single, TORCHLET_BENCH_RANK: '1', RANK: String(rank), MASTER_PORT: String(torchletPort) })));
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
    const times = new Map();
    const nRounds = quick ? 1 : rounds;
    for (let round = 0; round < nRounds; round++) {
      for (const mb of sizes) {
        const reps = quick ? 3 : mb >= 25 ? 10 : mb >= 4 ? 20 : 40;
        // A different contender goes first in each round.
        for (let k = 0; k < pairs.length; k++) {
          const p = pairs[(k + round) % pairs.length];
          const t = await p.ask(`${mb * MB} ${quick ? 1 : 3} ${reps}`);
          const key = `${p.name} ${mb}`;
          times.set(key, [...(times.get(key) ?? []), ...t]);
        }
      }
    }
    fs.rmSync(storeDir, { recursive: true, force: true });
    if (exe) fs.rmSync(exe, { force: true });
    const rows = sizes.map((mb) => {
      const of = (name) => (times.has(`${name} ${mb}`) ? summarize(times.get(`${name} ${mb}`)) : null);
      const tl = of('torchlet');
      const c = of('C++');
      const py = of('PyTorch');
      return {
        workload: `allreduce ${mb} MB, 2 ranks`,
        threads: 1,
        torchlet_ms: tl,
        c_ms: c,
        pytorch_ms: py,
        ratio: c ? c.median / tl.median : null,
        pytorch_ratio: py ? py.median / tl.median : null,
        torchlet_gbps: (mb * MB) / tl.median / 1e6,
      };
    });
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
  console.log('\ndistributed: allreduce (float32 sum, 2 ranks, loopback TCP) through torchlet vs the same Gloo allreduce from C++');
  console.log('and PyTorch dist.all_reduce (Gloo), same run; ratio = C++ time / torchlet time (goal >= 0.95); medians, (min-max)');
  console.log('workload                 torchlet ms                  C++ ms                       PyTorch ms                   ratio   vs PyTorch');
  const f = (s) => (s ? `${s.median.toFixed(3)} (${s.min.toFixed(3)}-${s.max.toFixed(3)})` : 'n/a').padEnd(29);
  for (const r of rows) {
    if (!r.workload.startsWith('allreduce')) continue;
    console.log(`${r.workload.padEnd(24)} ${f(r.torchlet_ms)}${f(r.c_ms)}${f(r.pytorch_ms)}${r.ratio ? r.ratio.toFixed(3) : 'n/a'}   ${r.pytorch_ratio ? r.pytorch_ratio.toFixed(3) : 'n/a'}`);
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
