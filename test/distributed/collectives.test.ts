/**
 * Every collective and reduce op across 2 and 3 real processes over loopback Gloo, against values computed here
 * independently (plain JS arithmetic on the same inputs), plus async overlap, subgroups and argument errors.
 */
import { describeGloo, runRanks } from './ranks';
import type { RankResult } from './ranks';

const N = 5;
/** Rank r's input element i (small integers, so sums and products are exact in every dtype). */
const val = (r: number, i: number): number => ((r + 1) * (i + 2)) % 7 + 1;
const DTYPES = ['float32', 'float64', 'int32'] as const;
const OPS = ['sum', 'avg', 'product', 'min', 'max'] as const;

/** The script every rank runs: each collective once per dtype/op, results keyed by name. */
const BODY = `
const init = process.env.INIT === 'file' ? 'file://' + process.env.STORE_DIR : 'env://';
await d.initProcessGroup({ backend: 'gloo', initMethod: init, timeout: 20000 });
const N = ${N};
const val = ${val.toString()};
const mk = (dtype, r) => torch.tensor(Array.from({ length: N }, (_, i) => val(r, i)), { dtype });
const out = { rank: d.getRank(), world: d.getWorldSize(), initialized: d.isInitialized(), shm: d.usesSharedMemory() };
for (const dtype of ${JSON.stringify(DTYPES)}) {
  for (const op of ${JSON.stringify(OPS)}) {
    if (op === 'avg' && dtype === 'int32') continue;
    const a = mk(dtype, rank);
    d.allReduce(a, { op });
    out['allReduce.' + dtype + '.' + op] = a.tolist();
    const r = mk(dtype, rank);
    d.reduce(r, { dst: world - 1, op });
    if (rank === world - 1) out['reduce.' + dtype + '.' + op] = r.tolist();
    const rs = torch.zeros(N, { dtype });
    d.reduceScatter(rs, Array.from({ length: world }, (_, j) => mk(dtype, rank * world + j)), { op });
    out['reduceScatter.' + dtype + '.' + op] = rs.tolist();
  }
  const b = mk(dtype, rank);
  d.broadcast(b, { src: 1 });
  out['broadcast.' + dtype] = b.tolist();
  const list = Array.from({ length: world }, () => torch.zeros(N, { dtype }));
  d.allGather(list, mk(dtype, rank));
  out['allGather.' + dtype] = list.map((t) => t.tolist());
  const flat = torch.zeros(world, N, { dtype });
  d.allGatherIntoTensor(flat, mk(dtype, rank));
  out['allGatherIntoTensor.' + dtype] = flat.tolist();
  const g = rank === 0 ? Array.from({ length: world }, () => torch.zeros(N, { dtype })) : null;
  d.gather(mk(dtype, rank), { gatherList: g, dst: 0 });
  if (rank === 0) out['gather.' + dtype] = g.map((t) => t.tolist());
  const s = torch.zeros(N, { dtype });
  d.scatter(s, { scatterList: rank === world - 1 ? Array.from({ length: world }, (_, j) => mk(dtype, 10 + j)) : null, src: world - 1 });
  out['scatter.' + dtype] = s.tolist();
  const outs = Array.from({ length: world }, () => torch.zeros(N, { dtype }));
  d.allToAll(outs, Array.from({ length: world }, (_, j) => mk(dtype, rank * world + j)));
  out['allToAll.' + dtype] = outs.map((t) => t.tolist());
  const single = torch.zeros(world * N, { dtype });
  d.allToAllSingle(single, torch.cat(Array.from({ length: world }, (_, j) => mk(dtype, rank * world + j))));
  out['allToAllSingle.' + dtype] = single.tolist();
  const rst = torch.zeros(N, { dtype });
  d.reduceScatterTensor(rst, torch.cat(Array.from({ length: world }, (_, j) => mk(dtype, rank * world + j))));
  out['reduceScatterTensor.' + dtype] = rst.tolist();
}
// Edge sizes: no elements at all (Gloo would divide by zero), fewer elements than ranks.
const e0 = torch.zeros(0);
d.allReduce(e0);
d.broadcast(e0, { src: 0 });
d.allGather(Array.from({ length: world }, () => torch.zeros(0)), e0);
const one = torch.tensor([rank + 1], { dtype: 'float64' });
d.allReduce(one, { op: 'product' });
const oneReduced = torch.tensor([rank + 1], { dtype: 'int32' });
d.reduce(oneReduced, { dst: 0, op: 'max' });
out.edge = { product: one.tolist(), max: rank === 0 ? oneReduced.tolist() : null };
// Several collectives in flight at once while the event loop keeps running.
let ticks = 0;
const timer = setInterval(() => ticks++, 1);
const big = Array.from({ length: 4 }, (_, k) => torch.full([1 << 20], rank + k));
const works = big.map((t) => d.allReduce(t, { asyncOp: true }));
const pendingRightAway = works.filter((w) => !w.isCompleted()).length;
await Promise.all(works.map((w) => w.promise));
clearInterval(timer);
works[0].wait();
out.overlap = { sums: big.map((t) => [t.data[0], t.data[t.numel() - 1]]), completed: works.every((w) => w.isCompleted()), ticks, pendingRightAway };
const asyncBarrier = d.barrier({ asyncOp: true });
asyncBarrier.wait();
d.barrier();
// A subgroup of the first and last rank; the others are not members.
const sub = d.newGroup([0, world - 1]);
out.sub = { rank: d.getRank(sub), size: d.getWorldSize(sub) };
if (sub.rank >= 0) {
  const t = torch.tensor([rank + 1, 10 * rank], { dtype: 'float64' });
  d.allReduce(t, { group: sub });
  const u = torch.tensor([rank], { dtype: 'int32' });
  d.broadcast(u, { src: world - 1, group: sub, asyncOp: true }).wait();
  out.sub.sum = t.tolist();
  out.sub.bcast = u.tolist();
}
const errors = {};
const catchIt = (name, f) => { try { f(); errors[name] = 'no error'; } catch (e) { errors[name] = e.name + ': ' + e.message; } };
catchIt('noncontiguous', () => d.allReduce(torch.ones(2, 3).t()));
catchIt('bool', () => d.allReduce(torch.ones(2).gt(0)));
catchIt('avgInt', () => d.allReduce(torch.ones(2, { dtype: 'int32' }), { op: d.ReduceOp.AVG }));
catchIt('badOp', () => d.allReduce(torch.ones(2), { op: 'mean' }));
catchIt('listLength', () => d.allGather([torch.ones(2)], torch.ones(2)));
catchIt('listDtype', () => d.allGather(Array.from({ length: world }, () => torch.ones(2, { dtype: 'float64' })), torch.ones(2)));
catchIt('src', () => d.broadcast(torch.ones(2), { src: world }));
try { await d.initProcessGroup(); } catch (e) { errors.twice = e.message; }
out.errors = errors;
d.destroyProcessGroup();
out.afterDestroy = d.isInitialized();
result(out);
`;

type Out = Record<string, unknown> & {
  overlap: { sums: number[][]; completed: boolean; ticks: number; pendingRightAway: number };
  sub: { rank: number; size: number; sum?: number[]; bcast?: number[] };
  errors: Record<string, string>;
};

function reduceOf(op: (typeof OPS)[number], xs: number[], dtype: string): number {
  switch (op) {
    case 'sum': return xs.reduce((a, b) => a + b, 0);
    case 'avg': {
      const s = xs.reduce((a, b) => a + b, 0);
      return dtype === 'float32' ? Math.fround(Math.fround(s) / Math.fround(xs.length)) : s / xs.length;
    }
    case 'product': return xs.reduce((a, b) => a * b, 1);
    case 'min': return Math.min(...xs);
    case 'max': return Math.max(...xs);
  }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const row = (r: number) => range(N).map((i) => val(r, i));

/** shm: whether allReduce ran through same-host shared memory (the default) or Gloo (TORCHLET_DISTRIBUTED_SHM=0). */
function check(results: RankResult[], world: number, shm: boolean): void {
  for (const res of results) {
    if (res.code !== 0) throw new Error(`rank ${res.rank} exited ${res.code}: ${JSON.stringify(res.result)} ${res.stderr}`);
    const out = res.result as Out;
    const rank = res.rank;
    expect(out).toMatchObject({ rank, world, initialized: true, afterDestroy: false, shm });
    for (const dtype of DTYPES) {
      for (const op of OPS) {
        if (op === 'avg' && dtype === 'int32') continue;
        const all = range(N).map((i) => reduceOf(op, range(world).map((r) => val(r, i)), dtype));
        expect(out[`allReduce.${dtype}.${op}`]).toEqual(all);
        if (rank === world - 1) expect(out[`reduce.${dtype}.${op}`]).toEqual(all);
        // Chunk `rank` of the reduction of every rank's list, whose j-th tensor is row(r * world + j).
        const rs = range(N).map((i) => reduceOf(op, range(world).map((r) => val(r * world + rank, i)), dtype));
        expect(out[`reduceScatter.${dtype}.${op}`]).toEqual(rs);
      }
      expect(out[`broadcast.${dtype}`]).toEqual(row(1));
      expect(out[`allGather.${dtype}`]).toEqual(range(world).map(row));
      expect(out[`allGatherIntoTensor.${dtype}`]).toEqual(range(world).map(row));
      if (rank === 0) expect(out[`gather.${dtype}`]).toEqual(range(world).map(row));
      expect(out[`scatter.${dtype}`]).toEqual(row(10 + rank));
      // Rank j's inputList[rank] is row(j * world + rank).
      expect(out[`allToAll.${dtype}`]).toEqual(range(world).map((j) => row(j * world + rank)));
      expect(out[`allToAllSingle.${dtype}`]).toEqual(range(world).flatMap((j) => row(j * world + rank)));
      expect(out[`reduceScatterTensor.${dtype}`]).toEqual(range(N).map((i) => range(world).reduce((a, r) => a + val(r * world + rank, i), 0)));
    }
    expect(out.edge).toEqual({ product: [range(world).reduce((a, r) => a * (r + 1), 1)], max: rank === 0 ? [world] : null });
    const ranksSum = range(world).reduce((a, b) => a + b, 0);
    expect(out.overlap.sums).toEqual(range(4).map((k) => [ranksSum + world * k, ranksSum + world * k]));
    expect(out.overlap.completed).toBe(true);
    expect(out.overlap.pendingRightAway).toBeGreaterThan(0);
    expect(out.overlap.ticks).toBeGreaterThan(0);
    const member = rank === 0 || rank === world - 1;
    if (member) {
      expect(out.sub).toEqual({ rank: rank === 0 ? 0 : 1, size: 2, sum: [1 + world, 10 * (world - 1)], bcast: [world - 1] });
    } else {
      expect(out.sub).toEqual({ rank: -1, size: -1 });
    }
    expect(out.errors.noncontiguous).toMatch(/^RangeError: allReduce: 'tensor' must be contiguous .*shape \[3, 2\] with strides \[1, 3\]/);
    expect(out.errors.bool).toMatch(/^TypeError: allReduce: 'tensor' is a bool Tensor; Gloo collectives take float32, float64 and int32/);
    expect(out.errors.avgInt).toMatch(/^TypeError: allReduce: ReduceOp.AVG needs a floating point tensor, got int32/);
    expect(out.errors.badOp).toMatch(/^RangeError: allReduce: unknown reduce op the string "mean"/);
    expect(out.errors.listLength).toMatch(new RegExp(`^RangeError: allGather: 'tensorList' must hold one tensor per rank of the group \\(${world}\\), got 1`));
    expect(out.errors.listDtype).toMatch(/^TypeError: allGather: 'tensorList\[0\]' is float64 but the tensor is float32/);
    expect(out.errors.src).toMatch(/^RangeError: broadcast: expected .* for 'src'/);
    expect(out.errors.twice).toMatch(/trying to initialize the default process group twice/);
  }
}

/** Point to point in a ring of 3: isend to the next rank, recv from the previous, tags matched out of order. */
const P2P = `
await d.initProcessGroup({ timeout: 20000 });
const next = (rank + 1) % world, prev = (rank + world - 1) % world;
const a = torch.tensor([rank, rank * 10], { dtype: 'float64' });
const b = torch.tensor([rank + 100], { dtype: 'int32' });
const sends = [d.isend(a, { dst: next, tag: 1 }), d.isend(b, { dst: next, tag: 2 })];
const fromB = torch.zeros(1, { dtype: 'int32' });
const fromA = torch.zeros(2, { dtype: 'float64' });
const src = d.recv(fromB, { src: prev, tag: 2 });   // the later message first
d.irecv(fromA, { src: prev, tag: 1 }).wait();
for (const w of sends) await w.promise;
// Ranks 0 and 1 exchange on one tag, both ways at once.
let swapped = null;
if (rank < 2) {
  const mine = torch.full([3], rank + 0.5), theirs = torch.zeros(3);
  const w = d.isend(mine, { dst: 1 - rank, tag: 5 });
  d.recv(theirs, { src: 1 - rank, tag: 5 });
  w.wait();
  swapped = theirs.tolist();
}
// A collective after point to point still lines up on every rank.
const s = torch.tensor([1]);
d.allReduce(s);
let self;
try { d.send(a, { dst: rank }); } catch (e) { self = e.name + ': ' + e.message; }
result({ fromA: fromA.tolist(), fromB: fromB.tolist(), src, sum: s.tolist(), self, swapped });
d.destroyProcessGroup();
`;

/**
 * Synchronous collectives in a loop that never yields to the event loop (a training loop) leave nothing behind:
 * before, each one kept a promise, its callbacks and a thread-safe function alive until the loop ended (about 1 KB
 * per collective: 1.9 MB after 2000), which made V8 run a major GC every few DDP steps.
 */
const SYNC_LOOP = `
await d.initProcessGroup({ timeout: 20000 });
require('v8').setFlagsFromString('--expose-gc');
const gc = require('vm').runInNewContext('gc');
const t = torch.ones(1);
const loop = (n) => { for (let i = 0; i < n; i++) d.allReduce(t, { op: d.ReduceOp.MAX }); };
loop(100);
gc();
const before = process.memoryUsage().heapUsed;
loop(2000);
gc();
const grown = process.memoryUsage().heapUsed - before;
// An asynchronous collective on a group this rank is not in throws at once (it does not reject later).
const sub = d.newGroup([0]);
let outside = null;
if (rank === 1) {
  try { d.allReduce(t, { group: sub, asyncOp: true }); outside = 'no error'; } catch (e) { outside = e.name + ': ' + e.message; }
}
result({ kept: grown < 200000 ? 'under 100 bytes per collective' : grown + ' bytes', t: t.tolist(), outside });
d.destroyProcessGroup();
`;

describeGloo('distributed collectives (real processes, loopback Gloo)', () => {
  jest.setTimeout(60000);

  test('synchronous collectives in a loop that never yields keep no memory; an async one outside its group throws', async () => {
    for (const r of await runRanks(2, SYNC_LOOP)) {
      expect(r.result).toEqual({
        kept: 'under 100 bytes per collective', t: [1],
        outside: r.rank === 1 ? 'RangeError: allReduce: this process (rank 1) is not a member of the group' : null,
      });
    }
  });

  test('send, recv, isend, irecv: a ring of 3 with tags', async () => {
    const runs = await runRanks(3, P2P);
    for (const r of runs) {
      const prev = (r.rank + 2) % 3;
      expect(r.result).toEqual({
        fromA: [prev, prev * 10], fromB: [prev + 100], src: prev, sum: [3],
        swapped: r.rank < 2 ? [1 - r.rank + 0.5, 1 - r.rank + 0.5, 1 - r.rank + 0.5] : null,
        self: 'RangeError: send: Invalid destination rank: should not use rank of current process',
      });
    }
  });

  // allReduce runs through same-host shared memory by default, through Gloo with TORCHLET_DISTRIBUTED_SHM=0: both.
  test.each([true, false])('2 ranks, env:// rendezvous (shared-memory allReduce: %s)', async (shm) => {
    check(await runRanks(2, BODY, { env: shm ? {} : { TORCHLET_DISTRIBUTED_SHM: '0' } }), 2, shm);
  });

  test.each([true, false])('3 ranks, file:// rendezvous (shared-memory allReduce: %s)', async (shm) => {
    check(await runRanks(3, BODY, { env: { INIT: 'file', ...(shm ? {} : { TORCHLET_DISTRIBUTED_SHM: '0' }) } }), 3, shm);
  });
});
