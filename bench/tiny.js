'use strict';
/** Per-call overhead of a tiny op: 2x2 add (goal: under 1 microsecond per call). */
const torch = require('..');
const { timeIt } = require('./stats');

function run({ quick = false } = {}) {
  const a = torch.rand(2, 2);
  const b = torch.rand(2, 2);
  const inner = quick ? 20000 : 200000;
  const rows = [];
  const add = timeIt(() => a.add(b), { warmup: 2, reps: 9, inner });
  rows.push({ workload: '2x2 add', us_per_call: add.median * 1000, min: add.min * 1000, max: add.max * 1000 });
  const scalar = timeIt(() => a.mul(2), { warmup: 2, reps: 9, inner });
  rows.push({ workload: '2x2 mul scalar', us_per_call: scalar.median * 1000, min: scalar.min * 1000, max: scalar.max * 1000 });
  const bc = torch.rand(2);
  const bcast = timeIt(() => a.add(bc), { warmup: 2, reps: 9, inner });
  rows.push({ workload: '2x2 + [2] broadcast', us_per_call: bcast.median * 1000, min: bcast.min * 1000, max: bcast.max * 1000 });
  return rows;
}

function print(rows) {
  console.log('\ntiny ops: microseconds per call (median of 9 runs; goal for 2x2 add: < 1 us)');
  for (const r of rows) {
    console.log(`${r.workload.padEnd(22)} ${r.us_per_call.toFixed(3)} us  (min ${r.min.toFixed(3)}, max ${r.max.toFixed(3)})`);
  }
}

module.exports = { run, print };
