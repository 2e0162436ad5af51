#!/usr/bin/env node
'use strict';
/**
 * The benchmark suite: `npm run bench [-- NAME...] [--filter TEXT] [--quick] [--threads N]`.
 * Runs torchlet beside its baselines (C cblas_sgemm/cblas_dgemm, PyTorch) in the same run, for 1 thread and for all cores
 * (or --threads N), and writes JSON under bench/results/. A full run (no filter, not quick) also writes
 * bench/results/ratios.svg and regenerates the README's performance section.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');

const torch = require('..');
const { ensurePyTorch, startPyTorch, winsLine } = require('./pytorch');
const { startHelper } = require('./c_helper');
const { chartSvg, readmeSection, updateReadme } = require('./report');

const WORKLOADS = {
  matmul: require('./matmul'),
  tiny: require('./tiny'),
  ops: require('./ops'),
  training: require('./training'),
  conv: require('./conv'),
  distributed: require('./distributed'),
  server: require('./server'),
  dataloader: require('./dataloader'),
  sequence: require('./sequence'),
};

function parse(argv) {
  const opts = { quick: false, filter: null, threads: null, names: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') opts.quick = true;
    else if (a === '--filter') opts.filter = argv[++i];
    else if (a === '--threads') opts.threads = Number(argv[++i]);
    else if (a.startsWith('--')) throw new Error(`unknown option ${a} (have --quick, --filter TEXT, --threads N)`);
    else opts.names.push(a);
  }
  if (opts.threads !== null && !(Number.isInteger(opts.threads) && opts.threads > 0)) throw new Error('--threads needs a positive integer');
  return opts;
}

/** The CPU's feature flags (Linux), or '' where /proc/cpuinfo is not readable. */
function readCpuFlags() {
  try {
    return /^flags\s*:(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
  } catch {
    return '';
  }
}

/** The core clock, from a chain of dependent adds in C (one per cycle), for the theoretical peak. */
async function measureClockGHz() {
  const helper = startHelper('gemm.c', 'clock', {});
  try {
    return (await helper.ask('clock 0 0 0 s')).ghz;
  } finally {
    helper.close();
  }
}

async function main(argv) {
  const opts = parse(argv);
  let selected = opts.names.length ? opts.names : Object.keys(WORKLOADS);
  if (opts.filter) selected = selected.filter((n) => n.includes(opts.filter));
  for (const n of selected) if (!WORKLOADS[n]) throw new Error(`unknown workload '${n}' (have: ${Object.keys(WORKLOADS).join(', ')})`);
  if (selected.length === 0) throw new Error(`no workload matches --filter ${opts.filter}`);
  const cores = os.cpus().length;
  const threads = opts.threads ? [opts.threads] : opts.quick ? [1] : [...new Set([1, cores])];
  const full = !opts.quick && !opts.filter && opts.names.length === 0 && !opts.threads;
  const info = torch.backendInfo();
  console.log(`torchlet ${info.addonVersion} | ${info.blasConfig} | core ${info.blasCore} | node ${info.nodeVersion} | threads ${threads.join(', ')}`);
  const results = { date: new Date().toISOString(), backend: info, quick: opts.quick, threads, workloads: {} };
  // Helpers start before any workload allocates, so their forks do not disturb timed rounds.
  const pytorch = selected.some((n) => WORKLOADS[n].needsPyTorch) && ensurePyTorch() ? await startPyTorch() : null;
  if (pytorch) {
    console.log(`PyTorch ${pytorch.info.torch} (${pytorch.info.config.join('; ')}; OpenBLAS threads set per workload: ${pytorch.info.blasThreadsControlled}) in the same run`);
    console.log(`PyTorch runs twice, ${pytorch.info.variants.map((v) => v.name).join(' and ')} (${Object.entries(pytorch.info.variants[1].env).map(([k, v]) => `${k}=${v}`).join(' ')}); ratios are against the faster of the two`);
    results.pytorch = pytorch.info;
  }
  if (selected.includes('matmul')) {
    const ghz = await measureClockGHz();
    results.clockGHz = ghz;
    // Two FMA pipes, 2 FLOPs per lane each, per cycle: 8 float lanes with AVX2, 16 where AVX-512 runs at full
    // width (as on this project's Zen 5 machines, where torchlet's own sgemm uses it; OpenBLAS is held to Haswell).
    const avx512 = /\bavx512f\b/.test(readCpuFlags());
    results.peakIsa = avx512 ? 'AVX-512 FMA' : 'AVX2 FMA';
    results.peakGflops = ghz * (avx512 ? 64 : 32);
    console.log(`core clock about ${ghz.toFixed(2)} GHz: theoretical fp32 peak about ${results.peakGflops.toFixed(0)} GFLOP/s per core (${results.peakIsa})`);
  }
  try {
    for (const n of selected) {
      const w = WORKLOADS[n];
      const wins = pytorch ? { ...pytorch.wins } : null;
      const rows = await w.run({ quick: opts.quick, threads, pytorch, ...(opts.quick && n === 'matmul' ? { sizes: [32, 128, 256], dsizes: [128] } : {}) });
      w.print(rows);
      if (pytorch) {
        const won = Object.fromEntries(Object.entries(pytorch.wins).map(([k, v]) => [k, v - wins[k]]));
        if (Object.values(won).some((v) => v > 0)) console.log(`faster PyTorch per request (${n}): ${winsLine(won)}`);
      }
      results.workloads[n] = rows;
    }
    // Memory checks start fresh processes; their forks would slow timed rounds, so they come last.
    for (const n of selected) {
      const w = WORKLOADS[n];
      if (!w.memory) continue;
      const rows = await w.memory({ quick: opts.quick, threads, pytorch });
      w.print(rows);
      results.workloads[n].push(...rows);
    }
  } finally {
    pytorch?.close();
  }
  if (pytorch) {
    results.pytorchWins = pytorch.wins;
    console.log(`\nfaster PyTorch per request, whole run: ${winsLine(pytorch.wins)}`);
  }
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const name = full ? 'latest' : `${opts.quick ? 'quick' : 'latest'}-${selected.join('-')}${opts.threads ? `-t${opts.threads}` : ''}`;
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  console.log(`\nresults: ${path.relative(process.cwd(), file)}`);
  if (full) {
    fs.writeFileSync(path.join(dir, 'ratios.svg'), chartSvg(results));
    console.log(updateReadme(readmeSection(results)) ? 'README performance section regenerated; chart: bench/results/ratios.svg' : 'README has no bench markers');
  } else {
    fs.writeFileSync(path.join(dir, `${name}.svg`), chartSvg(results));
  }
}

main(process.argv.slice(2)).catch((e) => {
  console.error(e);
  process.exit(1);
});
