#!/usr/bin/env node
// The API fuzzer outside jest: `npm run fuzz` (TORCHLET_FUZZ_CALLS=400000 by default here; TORCHLET_FUZZ_SEED,
// TORCHLET_FUZZ_BATCH, TORCHLET_FUZZ_ONLY=<index,...> to replay calls, TORCHLET_FUZZ_REPORT=<file> for all findings as JSON).
// Exits 1 when any call crashed, aborted, hung, or ended in a generic or internal message.
const path = require('path');
const fs = require('fs');
process.env.TS_NODE_PROJECT = path.join(__dirname, '..', 'tsconfig.test.json');
require('ts-node/register/transpile-only');
const { runFuzz, optionsFromEnv, summary } = require('../test/fuzz/api_fuzz_runner.ts');

(async () => {
  const o = optionsFromEnv({ calls: 400000 });
  const t0 = Date.now();
  const r = await runFuzz(o);
  console.log(summary(r, o.seed, Number(process.env.TORCHLET_FUZZ_SHOW || 200)));
  console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (process.env.TORCHLET_FUZZ_REPORT) {
    const byEntry = Object.fromEntries(r.byEntry);
    fs.writeFileSync(process.env.TORCHLET_FUZZ_REPORT, JSON.stringify({ ...r, byEntry }, null, 1));
  }
  const failing = ['generic', 'internal', 'crash', 'abort', 'hang'].some((k) => r.byOutcome[k] > 0);
  process.exitCode = failing ? 1 : 0;
})();
