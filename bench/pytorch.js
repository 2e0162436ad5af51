'use strict';
/**
 * Runs the PyTorch side of a benchmark: Debian's python3-torch in a long-lived helper (bench/torch_helper.py).
 * It runs twice, as installed and with glibc keeping freed memory, and each request is answered by the faster.
 * As root a missing python3-torch is installed with apt-get; otherwise the exact command is printed.
 */
const { execFileSync, spawn } = require('child_process');
const path = require('path');
const readline = require('readline');

const PYTHON = '/usr/bin/python3';

function hasTorch() {
  try {
    execFileSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Makes sure python3-torch is importable; returns false (after saying why) when it cannot be. */
function ensurePyTorch() {
  if (hasTorch()) return true;
  const cmd = 'apt-get update && apt-get install -y python3-torch';
  if (process.getuid && process.getuid() === 0) {
    console.error(`bench: installing PyTorch for the comparison (${cmd})`);
    try {
      execFileSync('bash', ['-c', `${cmd} > /dev/null`], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    } catch {
      /* reported below */
    }
    if (hasTorch()) return true;
  }
  console.error(`bench: PyTorch (Debian's python3-torch) is needed for the comparison; run: sudo ${cmd}`);
  return false;
}

/**
 * glibc settings under which PyTorch keeps its freed memory (no fresh mmap and no trim per large tensor): its own
 * speed swings up to 5x with them on this kind of machine, so every workload is compared against the faster of
 * PyTorch as installed and PyTorch with these.
 */
const TUNED_GLIBC = 'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967295:glibc.malloc.hugetlb=1';

/** The two PyTorch setups every request runs on: as installed, and with TUNED_GLIBC. */
const VARIANTS = [
  { name: 'as installed', env: {} },
  { name: 'tuned glibc', env: { GLIBC_TUNABLES: TUNED_GLIBC } },
];

/** The environment of a PyTorch process of the given variant (the user's GLIBC_TUNABLES is dropped for 'as installed'). */
function variantEnv(variant) {
  const env = { ...process.env, ...variant.env };
  if (!variant.env.GLIBC_TUNABLES) delete env.GLIBC_TUNABLES;
  return env;
}

/** Starts one helper process; its ask(request) resolves with the helper's whole answer. */
async function startHelper(variant) {
  const child = spawn(PYTHON, [path.join(__dirname, 'torch_helper.py')], { stdio: ['pipe', 'pipe', 'inherit'], env: variantEnv(variant) });
  const lines = readline.createInterface({ input: child.stdout });
  const waiting = [];
  lines.on('line', (l) => waiting.shift()?.(JSON.parse(l)));
  const hello = await new Promise((resolve) => waiting.push(resolve));
  return {
    info: hello,
    async ask(request) {
      const out = await new Promise((resolve) => {
        waiting.push(resolve);
        child.stdin.write(JSON.stringify(request) + '\n');
      });
      if (out.error) throw new Error(`PyTorch helper (${variant.name}): ${out.error}`);
      return out;
    },
    close() {
      child.stdin.end();
    },
  };
}

function median(times) {
  const s = [...times].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Starts PyTorch twice: as installed and with glibc told to keep freed memory. ask(request) runs the request on
 * each in turn (never at once: they would share the cores) and resolves with the timings of the faster (by median);
 * the array's `variant` names it and `medians` holds both medians. `wins` counts the requests each variant won.
 */
async function startPyTorch() {
  const helpers = [];
  for (const v of VARIANTS) helpers.push(await startHelper(v));
  const wins = Object.fromEntries(VARIANTS.map((v) => [v.name, 0]));
  const pick = async (request) => {
    const outs = [];
    for (const h of helpers) outs.push(await h.ask(request));
    const medians = outs.map((o) => median(o.times));
    const best = medians[1] < medians[0] ? 1 : 0;
    wins[VARIANTS[best].name]++;
    return { out: outs[best], variant: VARIANTS[best].name, medians: Object.fromEntries(VARIANTS.map((v, i) => [v.name, medians[i]])) };
  };
  return {
    info: { ...helpers[0].info, variants: VARIANTS.map((v) => ({ name: v.name, env: v.env })) },
    wins,
    async ask(request) {
      const { out, variant, medians } = await pick(request);
      return Object.assign([...out.times], { variant, medians });
    },
    /** Like ask, also returning the faster helper's peak RSS in bytes (for workloads that report it). */
    async askWithMemory(request) {
      const { out, variant, medians } = await pick(request);
      return { ...out, variant, medians };
    },
    close() {
      for (const h of helpers) h.close();
    },
  };
}

/** Which variant won how many requests, as one line. */
function winsLine(wins) {
  return Object.entries(wins).map(([name, n]) => `${name} ${n}`).join(', ');
}

module.exports = { ensurePyTorch, startPyTorch, winsLine, VARIANTS, variantEnv, TUNED_GLIBC };
