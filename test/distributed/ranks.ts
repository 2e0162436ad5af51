/**
 * Runs ranks as real child processes on 127.0.0.1 for the distributed tests: each rank runs a small script that
 * loads torchlet's lib/ (transpiled once to plain JS under node_modules/.cache, since ts-node would take seconds
 * per process), and prints its result as one JSON line.
 */
import { spawn } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

import { glooPath } from '../../lib/backend/native/gloo';

const REPO = path.resolve(__dirname, '..', '..');

/** Whether the Gloo addon is built; when not, the suites say so and skip. */
export const GLOO = glooPath();

/** describe, or describe.skip with a visible reason when torchlet was built without Gloo. */
export function describeGloo(name: string, fn: () => void): void {
  if (GLOO) {
    describe(name, fn);
  } else {
    // eslint-disable-next-line no-console
    console.warn(`${name}: SKIPPED: the Gloo addon (torchlet_gloo.node) is not built; install libgloo-dev and rebuild`);
    describe.skip(name, fn);
  }
}

function libFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? libFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []);
}

let compiled: string | null = null;

/** lib/ as CommonJS under the temp directory, keyed by the sources' contents (shared by test files and runs). */
export function compiledLib(): string {
  if (compiled) return compiled;
  const src = path.join(REPO, 'lib');
  const files = libFiles(src);
  const hash = crypto.createHash('sha1');
  for (const f of files) hash.update(f).update(fs.readFileSync(f));
  // Under node_modules/.cache, so that the compiled files resolve torchlet's dependencies (fflate, onnx-proto, ...).
  const out = path.join(REPO, 'node_modules', '.cache', `torchlet-lib-${hash.digest('hex').slice(0, 12)}`);
  if (!fs.existsSync(path.join(out, 'index.js'))) {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const ts = require('typescript') as typeof import('typescript');
    const tmp = `${out}.${process.pid}`;
    for (const f of files) {
      const js = ts.transpileModule(fs.readFileSync(f, 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
        fileName: f,
      }).outputText;
      const dest = path.join(tmp, path.relative(src, f).replace(/\.ts$/, '.js'));
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.writeFileSync(dest, js);
    }
    try {
      fs.renameSync(tmp, out);
    } catch {
      fs.rmSync(tmp, { recursive: true, force: true }); // another worker finished first
    }
  }
  compiled = out;
  return out;
}

/** The environment every child gets: the addons this process uses, and OpenBLAS's settings. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const core = process.env.TORCHLET_NATIVE ?? (require('node-gyp-build') as { path(dir: string): string }).path(REPO);
  return {
    ...process.env,
    TORCHLET_NATIVE: path.resolve(core),
    ...(GLOO ? { TORCHLET_GLOO_NATIVE: GLOO } : {}),
    OPENBLAS_NUM_THREADS: '1',
    OPENBLAS_CORETYPE: process.env.OPENBLAS_CORETYPE ?? 'Haswell',
    OPENBLAS_L2_SIZE: process.env.OPENBLAS_L2_SIZE ?? '512',
    ...extra,
  };
}

/** A port free right now on 127.0.0.1 (from listening on port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A fresh directory under the temp directory. */
export function freshDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `torchlet-${tag}-`));
}

export interface RankResult {
  rank: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The JSON the script printed on its last `RESULT ` line. */
  result: unknown;
  stderr: string;
  ms: number;
}

/**
 * Writes a rank script and runs it as `world` processes (or only `ranks`), with RANK, WORLD_SIZE, MASTER_ADDR and
 * MASTER_PORT set. The body runs in an async function with `torch`, `d` (torch.distributed), `rank`, `world` and
 * `result(value)` in scope.
 */
export async function runRanks(
  world: number, body: string, opts: { ranks?: number[]; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<RankResult[]> {
  const dir = freshDir('ranks');
  const script = path.join(dir, 'rank.js');
  fs.writeFileSync(script, `'use strict';
const torch = require(${JSON.stringify(compiledLib())});
const d = torch.distributed;
const rank = Number(process.env.RANK), world = Number(process.env.WORLD_SIZE);
const result = (v) => console.log('RESULT ' + JSON.stringify(v));
(async () => {
${body}
})().catch((e) => { console.log('RESULT ' + JSON.stringify({ error: e.message, name: e.name })); process.exitCode = 1; });
`);
  const port = await freePort();
  const ranks = opts.ranks ?? Array.from({ length: world }, (_, i) => i);
  const started = Date.now();
  const runs = ranks.map((rank) => new Promise<RankResult>((resolve) => {
    const child = spawn(process.execPath, [script], {
      env: childEnv({ RANK: String(rank), WORLD_SIZE: String(world), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), STORE_DIR: path.join(dir, 'store'), ...opts.env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
    const killer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30000);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      const line = out.split('\n').reverse().find((l) => l.startsWith('RESULT '));
      resolve({ rank, code, signal, result: line ? JSON.parse(line.slice(7)) : undefined, stderr: err, ms: Date.now() - started });
    });
  }));
  const results = await Promise.all(runs);
  fs.rmSync(dir, { recursive: true, force: true });
  return results;
}
