/**
 * The same-host shared-memory allreduce across 2 and 3 real processes: every op and dtype on buffers of several
 * slots against a rank-order reduction computed in plain JS by every rank; the same bits on every rank and, for 2
 * ranks, the same bits as Gloo's allreduce; agreement (one member opting out sends everyone to Gloo); a dead peer,
 * a peer that never comes and an exit with an allreduce pending; nothing left in /dev/shm.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';

import { describeGloo, runRanks } from './ranks';
import type { RankResult } from './ranks';

/** Elements per buffer: over 2 slots of float32 (1 MB = 262144 floats), over 4 of float64; not a multiple of anything. */
const N = 600_001;

/**
 * Every rank builds every rank's inputs (plain arithmetic), reduces them itself in rank order with JS numbers rounded
 * to the dtype after each step (the independent reference), runs allReduce, and reports mismatches and a hash of
 * the result's bytes.
 */
const BODY = `
await d.initProcessGroup({ timeout: 30000 });
const crypto = require('crypto');
const N = ${N};
const OPS = ['sum', 'avg', 'product', 'min', 'max'];
const input = (dtype, r, i) => dtype === 'int32'
  ? ((i * 31 + r * 17) % 7) - 3
  : ((i * 7919 + r * 104729) % 10007) / 997 - 5;
const round = { float32: Math.fround, float64: (x) => x, int32: (x) => x | 0 };
const step = {
  sum: (a, b) => a + b, avg: (a, b) => a + b, product: (a, b) => a * b,
  min: (a, b) => Math.min(a, b), max: (a, b) => Math.max(a, b),
};
const Arr = { float32: Float32Array, float64: Float64Array, int32: Int32Array };
const out = { shm: d.usesSharedMemory(), pid: process.pid, hashes: {}, bad: {} };
for (const dtype of ['float32', 'float64', 'int32']) {
  for (const op of OPS) {
    if (op === 'avg' && dtype === 'int32') continue;
    const rd = round[dtype];
    const mine = new Arr[dtype](N);
    for (let i = 0; i < N; i++) mine[i] = input(dtype, rank, i);
    const t = torch.tensor(mine, { dtype });
    d.allReduce(t, { op });
    const got = t.data.subarray(t.offset, t.offset + N);
    let bad = 0, first = null;
    for (let i = 0; i < N; i++) {
      let acc = rd(input(dtype, 0, i));
      for (let r = 1; r < world; r++) acc = dtype === 'int32' && op === 'product' ? Math.imul(acc, input(dtype, r, i)) : rd(step[op](acc, rd(input(dtype, r, i))));
      if (op === 'avg') acc = rd(acc / world);
      if (!Object.is(got[i], acc)) { bad++; if (first === null) first = [i, got[i], acc]; }
    }
    const key = dtype + '.' + op;
    out.bad[key] = bad ? bad + ' wrong, first ' + JSON.stringify(first) : 0;
    out.hashes[key] = crypto.createHash('sha1').update(Buffer.from(got.buffer, got.byteOffset, got.byteLength)).digest('hex');
  }
}
// A subgroup of the first and last rank reduces through a segment of its own.
const sub = d.newGroup([0, world - 1]);
if (sub.rank >= 0) {
  const s = torch.full([3 << 18], rank + 0.5, { dtype: 'float64' });
  d.allReduce(s, { group: sub, op: 'max' });
  out.sub = { shm: d.usesSharedMemory(sub), first: s.data[0], last: s.data[s.numel() - 1] };
}
d.destroyProcessGroup();
result(out);
`;

interface Out {
  shm: boolean;
  pid: number;
  hashes: Record<string, string>;
  bad: Record<string, number | string>;
  sub?: { shm: boolean; first: number; last: number };
}

const outs = (runs: RankResult[]): Out[] => runs.map((r) => {
  if (r.code !== 0) throw new Error(`rank ${r.rank} exited ${r.code}: ${JSON.stringify(r.result)} ${r.stderr}`);
  return r.result as Out;
});

/** The segments of these processes still in /dev/shm (rank 0 names each after its pid). */
const leftovers = (pids: number[]): string[] => fs.readdirSync('/dev/shm').filter((f) => pids.some((p) => f.startsWith(`torchlet-${p}-`)));

/** Segments in /dev/shm whose creator (rank 0, named in the segment's name) has exited: leaked. */
function orphans(): string[] {
  return fs.readdirSync('/dev/shm').filter((f) => {
    const m = /^torchlet-(\d+)-/.exec(f);
    if (!m) return false;
    try {
      process.kill(Number(m[1]), 0);
      return false;
    } catch {
      return true;
    }
  });
}

describeGloo('same-host shared-memory allReduce', () => {
  jest.setTimeout(120000);

  afterAll(() => expect(orphans()).toEqual([]));

  test.each([2, 3])('%i ranks: every op and dtype over several slots, rank-order bits, equal on every rank', async (world) => {
    const got = outs(await runRanks(world, BODY, { timeoutMs: 100000 }));
    for (const o of got) {
      expect(o.shm).toBe(true);
      expect(Object.values(o.bad).every((b) => b === 0) ? 'all right' : o.bad).toBe('all right');
      expect(o.hashes).toEqual(got[0]!.hashes);
    }
    for (const r of [0, world - 1]) expect(got[r]!.sub).toEqual({ shm: true, first: world - 0.5, last: world - 0.5 });
    expect(leftovers(got.map((o) => o.pid))).toEqual([]);
  });

  test('2 ranks: the same bits as Gloo (TORCHLET_DISTRIBUTED_SHM=0), which the opt-out uses', async () => {
    const gloo = outs(await runRanks(2, BODY, { timeoutMs: 100000, env: { TORCHLET_DISTRIBUTED_SHM: '0' } }));
    const shm = outs(await runRanks(2, BODY, { timeoutMs: 100000 }));
    for (const o of gloo) {
      expect(o.shm).toBe(false);
      expect(o.sub!.shm).toBe(false);
      expect(o.bad).toEqual(shm[0]!.bad);
      expect(o.hashes).toEqual(shm[0]!.hashes);
    }
  });

  const SMALL = `
    await d.initProcessGroup({ timeout: 20000 });
    const t = torch.tensor([rank + 1, 2], { dtype: 'float64' });
    d.allReduce(t, { op: 'product' });
    result({ shm: d.usesSharedMemory(), t: t.tolist() });
    d.destroyProcessGroup();`;

  test('one member opting out (TORCHLET_DISTRIBUTED_SHM=0 on one rank) sends every member to Gloo', async () => {
    const mixed = await runRanks(3, SMALL.replace('await d.init', "if (rank === 1) process.env.TORCHLET_DISTRIBUTED_SHM = '0'; await d.init"));
    expect(mixed.map((r) => r.result)).toEqual([0, 1, 2].map(() => ({ shm: false, t: [6, 8] })));
  });

  // A container on the same kernel with a /dev/shm of its own cannot share the segment: rank 1 runs in a mount
  // namespace with a fresh tmpfs there (needs unshare and the right to mount; skipped where that is not allowed).
  // The members' identities differ (the mount's device); were they taken as equal, rank 1 could not open the
  // segment and every member would still fall back (checked by hand with /dev/shm left out of the identity).
  const ownShm = spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs none /dev/shm'], { stdio: 'ignore' }).status === 0;
  (ownShm ? test : test.skip)('a member with its own /dev/shm (another container) sends every member to Gloo', async () => {
    const inner = `if (rank === 1 && !process.env.TORCHLET_TEST_INNER) {
      const r = require('child_process').spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs none /dev/shm && exec "$0" "$1"', process.execPath, __filename],
        { env: { ...process.env, TORCHLET_TEST_INNER: '1' }, stdio: 'inherit' });
      process.exit(r.status ?? 1);
    }
    `;
    const runs = await runRanks(3, inner + SMALL);
    expect(runs.map((r) => r.result)).toEqual([0, 1, 2].map(() => ({ shm: false, t: [6, 8] })));
  });

  test('a rank killed during a shared-memory allReduce fails the survivors at once, naming it; no segment is left', async () => {
    const body = `
      await d.initProcessGroup({ timeout: 10000 });
      const big = torch.ones(25 << 18);
      d.allReduce(big);
      if (rank === world - 1) {
        d.allReduce(big, { asyncOp: true });
        setTimeout(() => process.kill(process.pid, 'SIGKILL'), 3);
        return;
      }
      const t0 = Date.now();
      let error = 'no error', later;
      try { for (let k = 0; k < 100; k++) d.allReduce(big); } catch (e) { error = e.message; }
      try { d.allReduce(torch.ones(2)); } catch (e) { later = e.message; }
      result({ shm: d.usesSharedMemory(), error, later, ms: Date.now() - t0, pid: process.pid });
      await new Promise((r) => setTimeout(r, 1000));`;
    for (const world of [2, 3]) {
      const runs = await runRanks(world, body);
      expect(runs[world - 1]!.signal).toBe('SIGKILL');
      for (const r of runs.slice(0, world - 1)) {
        const o = r.result as { shm: boolean; error: string; later: string; ms: number; pid: number };
        expect(o.shm).toBe(true);
        expect(o.error).toMatch(new RegExp(`^allReduce failed on rank ${r.rank}: lost rank ${world - 1} \\(its process exited\\): rank ${world - 1} exited during a same-host shared-memory allreduce$`));
        expect(o.ms).toBeLessThan(5000);
        expect(o.later).toMatch(new RegExp(`^allReduce failed on rank ${r.rank}: .*the same-host shared-memory allreduce failed before: rank ${world - 1} exited`));
      }
      expect(leftovers(runs.map((r) => (r.result as { pid?: number } | undefined)?.pid ?? -1))).toEqual([]);
    }
  });

  test('a peer that stays up but never calls allReduce fails it after the timeout, naming the rank (subgroups too)', async () => {
    const body = `
      await d.initProcessGroup({ timeout: 1500 });
      const sub = d.newGroup([1, 2]);
      d.barrier();
      if (rank === 2) { await new Promise((r) => setTimeout(r, 4500)); return; }
      const t0 = Date.now();
      const group = rank === 1 ? sub : undefined;
      try { d.allReduce(torch.ones(10), { group }); result({ error: 'no error' }); }
      catch (e) { result({ error: e.message, ms: Date.now() - t0, shm: d.usesSharedMemory(group) }); }
      await new Promise((r) => setTimeout(r, 2500));`;
    const runs = await runRanks(3, body);
    for (const [r, waitedFor] of [[0, 1], [1, 2]] as const) {
      const o = runs[r]!.result as { error: string; ms: number; shm: boolean };
      expect(o.error).toBe(`allReduce failed on rank ${r}: timed out after 1500 ms waiting for rank ${waitedFor} in a same-host shared-memory allreduce`);
      expect(o.shm).toBe(true);
      expect(o.ms).toBeGreaterThanOrEqual(1500);
      expect(o.ms).toBeLessThan(3500);
    }
  });

  test('a process that exits with a shared-memory allReduce pending ends at once (its group is aborted at teardown)', async () => {
    const body = `
      await d.initProcessGroup({ timeout: 20000 });
      d.barrier();
      if (rank === 1) { await new Promise((r) => setTimeout(r, 6000)); result({ stayed: true }); return; }
      d.allReduce(torch.ones(10), { asyncOp: true });
      setTimeout(() => process.exit(0), 300);`;
    const [r0, r1] = await runRanks(2, body);
    expect(r0!.code).toBe(0);
    expect(r1!.result).toEqual({ stayed: true });
    expect(r0!.ms).toBeLessThan(r1!.ms - 3000);
  });
});
