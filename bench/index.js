#!/usr/bin/env node
'use strict';
/**
 * The benchmark runner: `npm run bench [-- matmul|tiny] [--quick] [--threads N]`.
 * Writes the rows as JSON under bench/results/.
 */
const fs = require('fs');
const path = require('path');

const torch = require('..');

const WORKLOADS = { matmul: require('./matmul'), tiny: require('./tiny'), training: require('./training'), conv: require('./conv') };
const { ensurePyTorch, startPyTorch } = require('./pytorch');

async function main(argv) {
  const quick = argv.includes('--quick');
  const ti = argv.indexOf('--threads');
  const threads = ti >= 0 ? [Number(argv[ti + 1])] : [1];
  const names = argv.filter((a, i) => !a.startsWith('--') && argv[i - 1] !== '--threads');
  const selected = names.length ? names : Object.keys(WORKLOADS);
  for (const n of selected) {
    if (!WORKLOADS[n]) throw new Error(`unknown workload '${n}' (have: ${Object.keys(WORKLOADS).join(', ')})`);
  }
  const info = torch.backendInfo();
  console.log(`torchlet ${info.addonVersion} | ${info.blasConfig} | core ${info.blasCore} | node ${info.nodeVersion}`);
  const results = { date: new Date().toISOString(), backend: info, quick, workloads: {} };
  // The PyTorch helper starts before any workload allocates, so its fork does not disturb timed rounds.
  const pytorch = selected.some((n) => WORKLOADS[n].needsPyTorch) && ensurePyTorch() ? await startPyTorch() : null;
  if (pytorch) {
    console.log(`PyTorch ${pytorch.info.torch} (${pytorch.info.config.join('; ')}; OpenBLAS threads set per workload: ${pytorch.info.blasThreadsControlled}) in the same run`);
    results.pytorch = pytorch.info;
  }
  try {
    for (const n of selected) {
      const w = WORKLOADS[n];
      const rows = await w.run({ quick, threads, pytorch, ...(quick && n === 'matmul' ? { sizes: [128, 256] } : {}) });
      w.print(rows);
      results.workloads[n] = rows;
    }
  } finally {
    pytorch?.close();
  }
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${quick ? 'quick' : 'latest'}-${selected.join('-')}.json`);
  fs.writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  console.log(`\nresults: ${path.relative(process.cwd(), file)}`);
}

main(process.argv.slice(2)).catch((e) => {
  console.error(e);
  process.exit(1);
});
