/**
 * bin/torchlet-run: the environment torchrun gives each rank, the threads per process, stopping every rank when
 * one fails (exiting with its code), and a real Gloo job started through it.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { childEnv, compiledLib, describeGloo, freshDir } from './ranks';

const LAUNCHER = path.resolve(__dirname, '..', '..', 'bin', 'torchlet-run');

/** childEnv without the thread settings, which the launcher sets. */
function launcherEnv(): NodeJS.ProcessEnv {
  const env = childEnv();
  delete env.OMP_NUM_THREADS;
  delete env.OPENBLAS_NUM_THREADS;
  return env;
}

function launch(args: string[], env: NodeJS.ProcessEnv = launcherEnv()): Promise<{ code: number | null; out: string; err: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [LAUNCHER, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
    const killer = setTimeout(() => child.kill('SIGKILL'), 30000);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, out, err, ms: Date.now() - started });
    });
  });
}

const lines = (out: string) => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, string>);

describe('torchlet-run', () => {
  jest.setTimeout(60000);
  const dir = freshDir('launcher');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('sets the environment torchrun sets, and cores / N threads', async () => {
    const script = path.join(dir, 'env.js');
    fs.writeFileSync(script, `console.log(JSON.stringify({ ...Object.fromEntries(Object.entries(process.env).filter(([k]) =>
      /^(RANK|LOCAL_RANK|WORLD_SIZE|LOCAL_WORLD_SIZE|GROUP_RANK|GROUP_WORLD_SIZE|ROLE_RANK|ROLE_WORLD_SIZE|ROLE_NAME|MASTER_ADDR|MASTER_PORT|TORCHELASTIC_RUN_ID|TORCHELASTIC_RESTART_COUNT|OMP_NUM_THREADS|OPENBLAS_NUM_THREADS)$/.test(k))), args: process.argv.slice(2).join(' ') }));`);
    const env = launcherEnv();
    const r = await launch(['--nproc-per-node', '2', '--nnodes', '3', '--node-rank', '1', '--master-addr', '10.1.2.3', '--master-port=2345', '--run-id', 'job7', script, 'a', '--b'], env);
    expect(r.code).toBe(0);
    const threads = String(Math.max(1, Math.floor(os.cpus().length / 2)));
    const got = lines(r.out).sort((a, b) => Number(a.RANK) - Number(b.RANK));
    expect(got).toEqual([0, 1].map((local) => ({
      RANK: String(2 + local), LOCAL_RANK: String(local), WORLD_SIZE: '6', LOCAL_WORLD_SIZE: '2', GROUP_RANK: '1', GROUP_WORLD_SIZE: '3',
      ROLE_RANK: String(2 + local), ROLE_WORLD_SIZE: '6', ROLE_NAME: 'default', MASTER_ADDR: '10.1.2.3', MASTER_PORT: '2345',
      TORCHELASTIC_RUN_ID: 'job7', TORCHELASTIC_RESTART_COUNT: '0', OMP_NUM_THREADS: threads, OPENBLAS_NUM_THREADS: threads,
      args: 'a --b',
    })));
    // A thread count the user set is kept.
    const kept = await launch(['--nproc-per-node', '1', script], { ...env, OMP_NUM_THREADS: '3' });
    expect(lines(kept.out)[0]).toMatchObject({ OMP_NUM_THREADS: '3', OPENBLAS_NUM_THREADS: '3', MASTER_ADDR: '127.0.0.1', MASTER_PORT: '29500' });
  });

  test("sizes each rank's V8 helper pool like its other thread pools, unless NODE_OPTIONS sets one", async () => {
    const script = path.join(dir, 'flags.js');
    fs.writeFileSync(script, 'console.log(JSON.stringify({ RANK: process.env.RANK, flags: process.execArgv.join(" ") }));');
    const env = launcherEnv();
    delete env.NODE_OPTIONS;
    const threads = Math.max(1, Math.floor(os.cpus().length / 2));
    const r = await launch(['--nproc-per-node', '2', script], env);
    expect(r.code).toBe(0);
    expect(lines(r.out).map((l) => l.flags)).toEqual([`--v8-pool-size=${threads}`, `--v8-pool-size=${threads}`]);
    // The thread count the user set decides; a pool size in NODE_OPTIONS is left alone.
    const three = await launch(['--nproc-per-node', '1', script], { ...env, OMP_NUM_THREADS: '3' });
    expect(lines(three.out)[0]!.flags).toBe('--v8-pool-size=3');
    const own = await launch(['--nproc-per-node', '1', script], { ...env, NODE_OPTIONS: '--v8-pool-size=2' });
    expect(own.code).toBe(0);
    expect(lines(own.out)[0]!.flags).toBe('');
  });

  test("stops every rank when one fails and exits with that rank's code", async () => {
    const script = path.join(dir, 'fail.js');
    const marker = path.join(dir, 'survivor-finished');
    fs.writeFileSync(script, `if (process.env.LOCAL_RANK === '1') setTimeout(() => process.exit(7), 300);
      else setTimeout(() => require('fs').writeFileSync(${JSON.stringify(marker)}, 'x'), 20000);`);
    const r = await launch(['--nproc-per-node', '3', script]);
    expect(r.code).toBe(7);
    expect(r.err).toMatch(/torchlet-run: rank 1 \(local rank 1\) failed with exit code 7; stopped the other ranks/);
    expect(r.ms).toBeLessThan(15000);
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('rejects bad usage with a message', async () => {
    const r = await launch(['--nproc-per-node', '0', 'x.js']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/torchlet-run: --nproc-per-node must be at least 1/);
    const u = await launch(['--nprocs', '2', 'x.js']);
    expect(u.err).toMatch(/unknown option --nprocs/);
  });
});

describeGloo('torchlet-run with Gloo', () => {
  jest.setTimeout(60000);

  test('runs a real job: every rank joins through env:// and allReduces', async () => {
    const dir = freshDir('launcher-job');
    const script = path.join(dir, 'job.js');
    fs.writeFileSync(script, `const torch = require(${JSON.stringify(compiledLib())});
      const d = torch.distributed;
      d.initProcessGroup({ timeout: 20000 }).then(() => {
        const x = torch.tensor([d.getRank() + 1, Number(process.env.LOCAL_RANK)], { dtype: 'float64' });
        d.allReduce(x);
        console.log(JSON.stringify({ rank: d.getRank(), world: d.getWorldSize(), x: x.tolist(), threads: torch.getNumThreads() }));
        d.destroyProcessGroup();
      });`);
    const r = await launch(['--standalone', '--nproc-per-node', '3', script]);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.code).toBe(0);
    const got = lines(r.out).sort((a, b) => Number(a.rank) - Number(b.rank));
    const threads = Math.max(1, Math.floor(os.cpus().length / 3));
    expect(got).toEqual([0, 1, 2].map((rank) => ({ rank, world: 3, x: [6, 3], threads })));
  });
});
