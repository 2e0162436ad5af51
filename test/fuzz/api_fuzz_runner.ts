/**
 * Runs the API fuzzer: calls [0, calls) split into batches, each batch in a child process under an address-space
 * limit (prlimit --as) and a per-call inactivity timeout, so that a crash, an abort or a hang is seen as such and
 * charged to the call that was running. After one, the next child resumes at the call after it.
 */
import { spawn, spawnSync } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { OUTCOMES } from './api_fuzz_core';
import type { Outcome } from './api_fuzz_core';

export interface FuzzOptions {
  seed: number;
  calls: number;
  /** Calls per child process. */
  batch: number;
  /** A call that makes no progress for this long is a hang (the child is killed). */
  callTimeoutMs: number;
  /** The child's address-space limit in bytes (prlimit --as); huge allocations fail instead of swapping. */
  memoryBytes: number;
  /** Only these call indices (to replay a failure); overrides calls. */
  only?: readonly number[];
}

export interface Finding {
  entry: string;
  outcome: Outcome;
  message: string;
  /** The first call index that gave it: replay with TORCHLET_FUZZ_ONLY=<index>. */
  index: number;
  count: number;
}

export interface FuzzResult {
  calls: number;
  entries: number;
  byOutcome: Record<Outcome, number>;
  /** Per entry, per outcome counts. */
  byEntry: Map<string, Partial<Record<Outcome, number>>>;
  /** One row per (entry, outcome, message kind), for the outcomes other than 'returned' and 'good'. */
  findings: Finding[];
  children: number;
}

const root = path.resolve(__dirname, '..', '..');
const child = path.join(__dirname, 'api_fuzz_child.ts');
const tsNode = require.resolve('ts-node/register/transpile-only');

export function optionsFromEnv(defaults: Partial<FuzzOptions> = {}): FuzzOptions {
  const env = process.env;
  const num = (v: string | undefined, d: number): number => (v !== undefined && v !== '' ? Number(v) : d);
  return {
    seed: num(env.TORCHLET_FUZZ_SEED, defaults.seed ?? 1),
    calls: num(env.TORCHLET_FUZZ_CALLS, defaults.calls ?? 3000),
    batch: num(env.TORCHLET_FUZZ_BATCH, defaults.batch ?? 5000),
    callTimeoutMs: num(env.TORCHLET_FUZZ_TIMEOUT_MS, defaults.callTimeoutMs ?? 20000),
    memoryBytes: num(env.TORCHLET_FUZZ_MEMORY_MB, 3072) * 1024 * 1024,
    only: env.TORCHLET_FUZZ_ONLY ? env.TORCHLET_FUZZ_ONLY.split(',').map(Number) : defaults.only,
  };
}

interface ChildEnd {
  /** The last call index with a result line. */
  done: number;
  /** Set when the child ended before its last call: the outcome charged to the running call. */
  failure?: { index: number; entry: string; outcome: Outcome; message: string };
}

/** prlimit (util-linux) sets the address-space limit; without it children run unlimited, with a warning. */
let prlimit: boolean | undefined;
function hasPrlimit(): boolean {
  if (prlimit === undefined) {
    prlimit = spawnSync('prlimit', ['--version']).status === 0;
    // eslint-disable-next-line no-console
    if (!prlimit) console.warn('api fuzz: prlimit not found; child processes run without a memory limit');
  }
  return prlimit;
}

function runChild(
  o: FuzzOptions,
  start: number,
  end: number,
  cwd: string,
  onResult: (index: number, outcome: Outcome, entry: string, message: string) => void,
): Promise<ChildEnd> {
  return new Promise((resolve) => {
    const node = [
      process.execPath,
      '--max-old-space-size=1024',
      '-r',
      tsNode,
      child,
      String(o.seed),
      String(start),
      String(end),
    ];
    const [cmd, ...args] = hasPrlimit() ? ['prlimit', `--as=${o.memoryBytes}`, ...node] : node;
    const p = spawn(cmd!, args, {
      cwd,
      env: { ...process.env, TS_NODE_PROJECT: path.join(root, 'tsconfig.test.json'), OPENBLAS_NUM_THREADS: '1' },
      stdio: ['ignore', 'ignore', 'pipe', 'ignore', 'ignore', 'ignore', 'ignore', 'ignore', 'ignore', 'pipe'],
    });
    let buf = '';
    let stderr = '';
    let done = start - 1;
    let running: { index: number; entry: string } | null = null;
    let finished = false;
    let hung = false;
    // The first call also pays for loading TypeScript and the addon, slow on a busy machine.
    let timer = setTimeout(() => kill(), o.callTimeoutMs + 120000);
    const kill = (): void => {
      hung = true;
      p.kill('SIGKILL');
    };
    const progress = (): void => {
      clearTimeout(timer);
      timer = setTimeout(kill, o.callTimeoutMs);
    };
    (p.stdio as unknown as NodeJS.ReadableStream[])[9]!.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const l = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const parts = l.split(' ');
        if (parts[0] === 'S') {
          running = { index: Number(parts[1]), entry: parts[2]! };
          progress();
        } else if (parts[0] === 'R') {
          done = Number(parts[1]);
          running = null;
          onResult(done, parts[2] as Outcome, parts[3]!, parts.slice(4).join(' '));
        } else if (parts[0] === 'E') {
          finished = true;
        }
      }
    });
    p.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      if (finished && code === 0) return resolve({ done });
      const r = running as { index: number; entry: string } | null;
      const tail = stderr.trim().split('\n').filter((s) => s.trim()).slice(-3).join(' | ').slice(0, 300);
      const outcome: Outcome = hung ? 'hang' : signal === 'SIGABRT' || code === 134 ? 'abort' : 'crash';
      const message = hung ? `no progress in ${o.callTimeoutMs} ms` : `${signal ?? `exit code ${code}`}: ${tail}`;
      resolve({ done, failure: { index: r ? r.index : done + 1, entry: r ? r.entry : '(between calls)', outcome, message } });
    });
  });
}

/** Runs the calls, batch after batch, and adds up the outcomes. */
export async function runFuzz(o: FuzzOptions): Promise<FuzzResult> {
  const byOutcome = Object.fromEntries(OUTCOMES.map((k) => [k, 0])) as Record<Outcome, number>;
  const byEntry = new Map<string, Partial<Record<Outcome, number>>>();
  const findings = new Map<string, Finding>();
  let children = 0;
  const record = (index: number, outcome: Outcome, entry: string, message: string): void => {
    byOutcome[outcome]++;
    const e = byEntry.get(entry) ?? {};
    e[outcome] = (e[outcome] ?? 0) + 1;
    byEntry.set(entry, e);
    if (outcome === 'returned' || outcome === 'good') return;
    const key = `${entry}\u0000${outcome}\u0000${message}`;
    const f = findings.get(key);
    if (f) f.count++;
    else findings.set(key, { entry, outcome, message, index, count: 1 });
  };
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'torchlet-fuzz-')); // torch.save writes here
  try {
    const ranges: [number, number][] = o.only ? o.only.map((i) => [i, i + 1]) : [];
    if (!o.only) for (let s = 0; s < o.calls; s += o.batch) ranges.push([s, Math.min(o.calls, s + o.batch)]);
    for (const [s0, end] of ranges) {
      let start = s0;
      while (start < end) {
        children++;
        const r = await runChild(o, start, end, cwd, record);
        if (!r.failure) break;
        let failure: ChildEnd['failure'] = r.failure;
        if (failure.outcome === 'hang') {
          // A busy machine can stall a call: a hang counts only if the call, alone in a fresh child with twice
          // the time, hangs again (if it ends, its outcome was recorded by that run).
          children++;
          const again = await runChild({ ...o, callTimeoutMs: 2 * o.callTimeoutMs }, failure.index, failure.index + 1, cwd, record);
          failure = again.failure;
        }
        if (failure) record(failure.index, failure.outcome, failure.entry, failure.message);
        start = Math.max(r.done, r.failure.index) + 1;
      }
    }
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
  const entries = byEntry.size;
  return { calls: Object.values(byOutcome).reduce((a, b) => a + b, 0), entries, byOutcome, byEntry, findings: [...findings.values()], children };
}

/** The summary printed by the test and by `npm run fuzz`. */
export function summary(r: FuzzResult, seed: number, maxFindings = 60): string {
  const lines = [
    `API fuzz, seed ${seed}: ${r.calls} calls over ${r.entries} entry points in ${r.children} child processes`,
    ...OUTCOMES.map((k) => `  ${k.padEnd(9)} ${String(r.byOutcome[k]).padStart(8)}`),
  ];
  const bad = r.findings.filter((f) => f.outcome !== 'unnamed' && f.outcome !== 'skipped').sort((a, b) => a.entry.localeCompare(b.entry));
  if (bad.length && maxFindings === 0) {
    lines.push(`${bad.length} kinds of failing outcome (entry, outcome, message); npm run fuzz lists them`);
  } else if (bad.length) {
    lines.push(`failing kinds (${bad.length}; replay one with TORCHLET_FUZZ_ONLY=<index>):`);
    for (const f of bad.slice(0, maxFindings)) lines.push(`  [${f.outcome}] ${f.entry} x${f.count} #${f.index}: ${f.message}`);
    if (bad.length > maxFindings) lines.push(`  ... and ${bad.length - maxFindings} more`);
  }
  return lines.join('\n');
}
