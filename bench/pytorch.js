'use strict';
/**
 * Runs the PyTorch side of a benchmark: Debian's python3-torch in a long-lived helper (bench/torch_helper.py).
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

/** Starts the helper; ask(request) resolves with its timings (ms per repetition). */
async function startPyTorch() {
  const child = spawn(PYTHON, [path.join(__dirname, 'torch_helper.py')], { stdio: ['pipe', 'pipe', 'inherit'] });
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
      if (out.error) throw new Error(`PyTorch helper: ${out.error}`);
      return out.times;
    },
    /** Like ask, also returning the helper's peak RSS in bytes (for workloads that report it). */
    async askWithMemory(request) {
      const out = await new Promise((resolve) => {
        waiting.push(resolve);
        child.stdin.write(JSON.stringify(request) + '\n');
      });
      if (out.error) throw new Error(`PyTorch helper: ${out.error}`);
      return out;
    },
    close() {
      child.stdin.end();
    },
  };
}

module.exports = { ensurePyTorch, startPyTorch };
