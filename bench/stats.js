'use strict';
/** Median / min / max of a list of timings. */
function summarize(times) {
  const s = [...times].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], n: s.length };
}

/**
 * Calls before the first timed round of a training step (both sides alike). V8 compiles a step's functions over its
 * first hundred or so steps: the CNN step (b=64, 2 threads) took 19.4 ms over steps 5-15, 16.5 over steps 15-40 and
 * 14.1-14.7 from step 100 on, so a warm-up of a few steps timed the compiler, not the step a training loop repeats.
 */
const STEP_WARMUP = 100;

/** Times fn() `reps` times after `warmup` calls; returns per-call milliseconds. */
function timeIt(fn, { warmup = 3, reps = 10, inner = 1 } = {}) {
  for (let i = 0; i < warmup; i++) fn();
  const times = [];
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < inner; i++) fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6 / inner);
  }
  return summarize(times);
}

/**
 * Lets the other side's idle BLAS/OpenMP worker threads stop spinning before a timed round starts: with more
 * than one thread, a round that follows the other process's round otherwise shares its cores with spinners.
 */
function settle(threads) {
  return threads > 1 ? new Promise((resolve) => setTimeout(resolve, 300)) : Promise.resolve();
}

/**
 * This process's peak resident set in bytes: VmHWM, the high-water mark of its own address space. Not
 * process.resourceUsage().maxRSS: Linux carries ru_maxrss across exec, so a child started from a large benchmark
 * process reports at least its parent's size.
 */
function peakRss() {
  try {
    const m = /^VmHWM:\s*(\d+) kB/m.exec(require('fs').readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux: fall back below
  }
  return process.resourceUsage().maxRSS * 1024;
}

module.exports = { summarize, timeIt, settle, peakRss, STEP_WARMUP };
