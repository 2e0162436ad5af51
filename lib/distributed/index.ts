/**
 * torch.distributed on Gloo: process groups and collectives across processes and machines.
 *
 * `initProcessGroup` rendezvouses through env:// (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT; rank 0 serves a
 * small key-value store over TCP), tcp://host:port or file:///directory. Collectives work in place on contiguous
 * float32, float64 and int32 tensors. Each process group has one communication thread that runs its collectives
 * in issue order, off the event loop; without `asyncOp` a call returns when its collective is done (PyTorch's
 * default), with `asyncOp: true` it returns a Work at once. The Gloo addon loads on the first initProcessGroup.
 */
import * as dns from 'dns';
import * as os from 'os';
import * as path from 'path';

import { Tensor } from '../tensor';
import { shapeStr } from '../shape';
import { checkInt, checkNumber, checkOptions, checkTensor, describe } from '../validate';
import { DTYPE_CODES, KINDS, REDUCE_OPS, loadGloo } from '../backend/native/gloo';
import type { GlooBinding, NativeGroupOptions } from '../backend/native/gloo';
import type { Storage } from '../dtype';

/**
 * The reductions of allReduce, reduce and reduceScatter, as torch.distributed.ReduceOp.
 * @example distributed.allReduce(loss, { op: distributed.ReduceOp.MAX })
 */
export const ReduceOp = Object.freeze({ SUM: 'sum', AVG: 'avg', PRODUCT: 'product', MIN: 'min', MAX: 'max' } as const);
export type ReduceOp = (typeof REDUCE_OPS)[number];

/**
 * The default timeout of a rendezvous and of each collective, PyTorch's (30 minutes).
 * @example await distributed.initProcessGroup({ timeout: distributed.DEFAULT_TIMEOUT_MS / 6 })
 */
export const DEFAULT_TIMEOUT_MS = 30 * 60 * 1000;

/** Proves a constructor call comes from this module: Work and ProcessGroup are made by the functions below only. */
const INTERNAL: unique symbol = Symbol('torchlet.distributed');

function checkInternal(cls: string, token: unknown, how: string): void {
  if (token !== INTERNAL) throw new TypeError(`${cls}: not constructible by user code; ${how}`);
}

/**
 * A process group: the default one (all ranks) or one newGroup made.
 * @example const g = distributed.newGroup([0, 1]); if (g.rank >= 0) distributed.allReduce(x, { group: g })
 */
export class ProcessGroup {
  /** @internal */
  constructor(
    token: typeof INTERNAL,
    /** @internal the addon's id; -1 for a rank that is not a member */
    readonly id: number,
    /** This process's rank in the group (-1 when it is not a member). */
    readonly rank: number,
    /** The members' ranks in the default group, in group rank order. */
    readonly ranks: readonly number[],
    /** @internal resolves when the group's rendezvous succeeded */
    readonly ready: Promise<void>,
  ) {
    checkInternal('ProcessGroup', token, 'initProcessGroup and newGroup make process groups');
  }

  /** The number of members. */
  get size(): number {
    return this.ranks.length;
  }
}

/** Options of initProcessGroup, as torch.distributed.init_process_group's keyword arguments. */
export interface InitOptions {
  backend?: 'gloo';
  /** 'env://' (the default), 'tcp://host:port' or 'file:///a/fresh/directory'. */
  initMethod?: string;
  /** Defaults to the RANK environment variable. */
  rank?: number;
  /** Defaults to the WORLD_SIZE environment variable. */
  worldSize?: number;
  /** Milliseconds for the rendezvous and each collective; default 30 minutes. */
  timeout?: number;
}

/** Options every collective takes. */
export interface CollectiveOptions {
  group?: ProcessGroup;
  /** Return a Work at once instead of waiting for the collective. */
  asyncOp?: boolean;
}

/**
 * The handle of an operation started with `asyncOp: true`, as PyTorch's Work.
 * @example const work = distributed.allReduce(grad, { asyncOp: true }); await work.promise
 */
export class Work {
  /** Resolves when the operation has finished; rejects with its error. */
  readonly promise: Promise<void>;
  /** @internal */
  constructor(
    token: typeof INTERNAL,
    private readonly pending: PendingWork,
    promise: Promise<void>,
  ) {
    checkInternal('Work', token, 'collectives called with { asyncOp: true } return one');
    this.promise = promise;
  }

  /**
   * Blocks until the operation has finished (the event loop too).
   * @throws Error when the operation failed (a peer exited, a timeout), naming the op and the peer.
   */
  wait(): void {
    this.pending.wait();
  }

  /** Whether the operation has finished (successfully or not). */
  isCompleted(): boolean {
    return this.pending.isCompleted();
  }
}

interface State {
  gloo: GlooBinding;
  world: ProcessGroup;
  /** How subgroups reach the store. */
  store: Pick<NativeGroupOptions, 'store' | 'path' | 'host' | 'port' | 'hostname' | 'iface' | 'shm'>;
  timeout: number;
  /** rank 0's store server for env:// and tcp:// */
  server: number | null;
  groups: ProcessGroup[];
  created: number;
}

let state: State | null = null;

function notInitialized(op: string): Error {
  return new Error(`${op}: Default process group has not been initialized, please make sure to call initProcessGroup.`);
}

function current(op: string): State {
  if (!state) throw notInitialized(op);
  return state;
}

function envInt(op: string, name: string, given: number | undefined, min: number): number {
  if (given !== undefined) return checkInt(op, name === 'RANK' ? 'rank' : 'worldSize', given, min);
  const raw = process.env[name];
  if (raw === undefined || raw === '') {
    throw new Error(`${op}: environment variable ${name} expected, but not set (or pass ${name === 'RANK' ? 'rank' : 'worldSize'})`);
  }
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${op}: environment variable ${name} must be an integer >= ${min}, got '${raw}'`);
  return v;
}

const LOOPBACK = /^(127\.|localhost$|::1$)/;

/** The address this process's Gloo device listens on: GLOO_SOCKET_IFNAME's interface, loopback, or the host's name. */
async function deviceAddress(masterHost: string | null): Promise<{ hostname?: string; iface?: string }> {
  const iface = process.env.GLOO_SOCKET_IFNAME;
  if (iface) return { iface: iface.split(',')[0]! };
  if (masterHost !== null && LOOPBACK.test(masterHost)) return { hostname: '127.0.0.1' };
  const host = os.hostname();
  try {
    await dns.promises.lookup(host);
    return { hostname: host };
  } catch {
    return { hostname: '127.0.0.1' };
  }
}

/** Turns a failed rendezvous or collective callback into a settled promise. */
function settle(resolve: () => void, reject: (e: Error) => void, prefix: string) {
  return (error: string | null) => (error === null ? resolve() : reject(new Error(prefix + error)));
}

/**
 * Joins the default process group, as torch.distributed.init_process_group: resolves once every rank has arrived.
 * @param options backend 'gloo'; initMethod 'env://' (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT), 'tcp://host:port'
 *   or 'file:///directory' (a fresh directory per run); rank, worldSize; timeout in ms.
 * @throws Error (rejects) naming the ranks that have not joined when the timeout passes, or saying what to install
 *   when torchlet was built without Gloo; RangeError/TypeError for bad options.
 * @example await distributed.initProcessGroup({ backend: 'gloo' })
 */
export async function initProcessGroup(options: InitOptions = {}): Promise<void> {
  const op = 'initProcessGroup';
  const o = checkOptions(op, options);
  if (state) throw new Error(`${op}: trying to initialize the default process group twice!`);
  const backend = o.backend ?? 'gloo';
  if (backend !== 'gloo') throw new RangeError(`${op}: backend ${describe(backend)} is not available: torchlet.distributed has 'gloo'`);
  const timeout = o.timeout === undefined ? DEFAULT_TIMEOUT_MS : checkInt(op, 'timeout', o.timeout, 1);
  const initMethod = o.initMethod ?? 'env://';
  if (typeof initMethod !== 'string') throw new TypeError(`${op}: expected a string for 'initMethod' but received ${describe(initMethod)}`);
  const gloo = loadGloo();
  let store: State['store'];
  let host: string | null = null;
  let port = 0;
  let rank: number;
  let worldSize: number;
  if (initMethod === 'env://' || initMethod.startsWith('tcp://')) {
    if (initMethod === 'env://') {
      host = process.env.MASTER_ADDR ?? null;
      const p = process.env.MASTER_PORT;
      if (!host) throw new Error(`${op}: env:// rendezvous: environment variable MASTER_ADDR expected, but not set`);
      if (!p) throw new Error(`${op}: env:// rendezvous: environment variable MASTER_PORT expected, but not set`);
      port = Number(p);
    } else {
      const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(initMethod);
      if (!m) throw new RangeError(`${op}: initMethod ${describe(initMethod)} is not tcp://host:port`);
      host = m[1]!.replace(/^\[|\]$/g, '');
      port = Number(m[2]);
    }
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`${op}: the master port must be from 1 to 65535, got ${port}`);
    rank = envInt(op, 'RANK', o.rank, 0);
    worldSize = envInt(op, 'WORLD_SIZE', o.worldSize, 1);
    store = { store: 'tcp', host, port };
  } else if (initMethod.startsWith('file://')) {
    const dir = initMethod.slice('file://'.length);
    if (!path.isAbsolute(dir)) throw new RangeError(`${op}: initMethod ${describe(initMethod)} needs an absolute path (file:///dir)`);
    rank = envInt(op, 'RANK', o.rank, 0);
    worldSize = envInt(op, 'WORLD_SIZE', o.worldSize, 1);
    store = { store: 'file', path: dir };
  } else {
    throw new RangeError(`${op}: initMethod ${describe(initMethod)} is not env://, tcp://host:port or file:///directory`);
  }
  if (rank >= worldSize) throw new RangeError(`${op}: rank ${rank} is out of range for world size ${worldSize}`);
  let server: number | null = null;
  if (store.store === 'tcp' && rank === 0) {
    try {
      server = gloo.startStore('', port)[0];
    } catch (e) {
      throw new Error(`${op}: ${(e as Error).message.replace(/^torchlet_gloo\.startStore: /, '')}`);
    }
  }
  Object.assign(store, await deviceAddress(host));
  // Same-host groups allReduce through shared memory unless TORCHLET_DISTRIBUTED_SHM=0 (every member must agree).
  store.shm = process.env.TORCHLET_DISTRIBUTED_SHM !== '0';
  const ranks = Array.from({ length: worldSize }, (_, i) => i);
  let id = -1;
  const ready = new Promise<void>((resolve, reject) => {
    id = gloo.newGroup({ ...store, prefix: 'default', rank, size: worldSize, timeout, globalRanks: ranks }, settle(resolve, reject, `${op}: `));
  });
  const world = new ProcessGroup(INTERNAL, id, rank, ranks, ready);
  try {
    await ready;
  } catch (e) {
    gloo.destroyGroup(id);
    // The store outlives the failure a little, so the other ranks read why ("abort") instead of a lost connection.
    if (server !== null) setTimeout(() => gloo.stopStore(server!), 1000).unref();
    throw e;
  }
  state = { gloo, world, store, timeout, server, groups: [], created: 0 };
}

/**
 * Whether initProcessGroup has completed (and destroyProcessGroup not since), as torch.distributed.is_initialized.
 * @example if (!distributed.isInitialized()) await distributed.initProcessGroup()
 */
export function isInitialized(): boolean {
  return state !== null;
}

/**
 * @internal Whether the group's allReduce runs through same-host shared memory (all members on this host, none with
 * TORCHLET_DISTRIBUTED_SHM=0) rather than Gloo; false for a process outside the group or before its rendezvous.
 * @example if (!distributed.usesSharedMemory()) console.warn('allReduce runs over Gloo TCP')
 */
export function usesSharedMemory(group?: ProcessGroup): boolean {
  const g = groupOf('usesSharedMemory', group);
  return g.id >= 0 && current('usesSharedMemory').gloo.usesSharedMemory(g.id);
}

/**
 * Whether this torchlet has the Gloo backend, as torch.distributed.is_gloo_available.
 * @example distributed.isGlooAvailable() // false when the Gloo addon was not built
 */
export function isGlooAvailable(): boolean {
  try {
    loadGloo();
    return true;
  } catch {
    return false;
  }
}

function groupOf(op: string, group: ProcessGroup | undefined): ProcessGroup {
  const s = current(op);
  if (group === undefined) return s.world;
  if (!(group instanceof ProcessGroup)) throw new TypeError(`${op}: expected a ProcessGroup for 'group' but received ${describe(group)}`);
  return group;
}

/**
 * This process's rank in the group (the default group unless given), as torch.distributed.get_rank; -1 when the
 * process is not a member of group.
 * @throws Error when the default process group has not been initialized.
 * @example if (distributed.getRank() === 0) torch.save(model.stateDict(), 'model.pt')
 */
export function getRank(group?: ProcessGroup): number {
  return groupOf('getRank', group).rank;
}

/**
 * The number of processes in the group (the default group unless given), as torch.distributed.get_world_size.
 * @example const shard = Math.ceil(n / distributed.getWorldSize())
 */
export function getWorldSize(group?: ProcessGroup): number {
  const g = groupOf('getWorldSize', group);
  return g.rank < 0 ? -1 : g.size;
}

/**
 * A process group of some ranks, as torch.distributed.new_group. Every rank must call it, members or not, in the
 * same order; it returns at once and the group's rendezvous runs on its own thread before its first collective.
 * @param ranks the members' ranks in the default group (all ranks when omitted).
 * @param options timeout in ms (the default group's when omitted).
 * @throws RangeError for ranks out of range or repeated.
 * @example const evens = distributed.newGroup([0, 2])
 */
export function newGroup(ranks?: readonly number[], options: { timeout?: number } = {}): ProcessGroup {
  const op = 'newGroup';
  const s = current(op);
  const o = checkOptions(op, options);
  const world = s.world.size;
  const members = ranks === undefined ? [...s.world.ranks] : [...ranks].map((r, i) => checkInt(op, `ranks[${i}]`, r, 0, world - 1));
  members.sort((a, b) => a - b);
  if (new Set(members).size !== members.length) throw new RangeError(`${op}: ranks ${JSON.stringify(ranks)} repeat a rank`);
  if (members.length === 0) throw new RangeError(`${op}: ranks must not be empty`);
  const timeout = o.timeout === undefined ? s.timeout : checkInt(op, 'timeout', o.timeout, 1);
  const prefix = `group${++s.created}`;
  const rank = members.indexOf(s.world.rank);
  if (rank < 0) return new ProcessGroup(INTERNAL, -1, -1, members, Promise.resolve());
  let id = -1;
  const ready = new Promise<void>((resolve, reject) => {
    id = s.gloo.newGroup({ ...s.store, prefix, rank, size: members.length, timeout, globalRanks: members }, settle(resolve, reject, `${op}: `));
  });
  ready.catch(() => {}); // its error reaches every collective on the group
  const g = new ProcessGroup(INTERNAL, id, rank, members, ready);
  s.groups.push(g);
  return g;
}

/**
 * Leaves a process group, as torch.distributed.destroy_process_group: without an argument, every group and the
 * default one (after which initProcessGroup may be called again). Collectives still queued fail.
 * @example distributed.destroyProcessGroup()
 */
export function destroyProcessGroup(group?: ProcessGroup): void {
  const s = current('destroyProcessGroup');
  if (group !== undefined && group !== s.world) {
    if (group.id >= 0) s.gloo.destroyGroup(group.id);
    s.groups = s.groups.filter((g) => g !== group);
    return;
  }
  for (const g of s.groups) if (g.id >= 0) s.gloo.destroyGroup(g.id);
  s.gloo.destroyGroup(s.world.id);
  if (s.server !== null) s.gloo.stopStore(s.server);
  state = null;
}

// ---- collectives ----

/** A tensor a collective reads or writes in place: contiguous, of a dtype Gloo takes. Its elements as a view. */
function buffer(op: string, name: string, t: unknown, like?: Tensor): Storage {
  checkTensor(op, name, t);
  if (DTYPE_CODES[t.dtype] === undefined) {
    throw new TypeError(`${op}: '${name}' is a ${t.dtype} Tensor; Gloo collectives take float32, float64 and int32 tensors`);
  }
  if (!t.isContiguous()) {
    throw new RangeError(`${op}: '${name}' must be contiguous (Tensors must be contiguous), got shape ${shapeStr(t.shape)} with strides ${shapeStr(t.strides)}; call .contiguous() first`);
  }
  if (like && t.dtype !== like.dtype) throw new TypeError(`${op}: '${name}' is ${t.dtype} but the tensor is ${like.dtype}`);
  return t.data.subarray(t.offset, t.offset + t.numel()) as Storage;
}

/** A list of one tensor per member, each like the tensor (same dtype, same number of elements). */
function bufferList(op: string, name: string, list: unknown, like: Tensor, size: number): Storage[] {
  if (!Array.isArray(list)) throw new TypeError(`${op}: expected an array of Tensors for '${name}' but received ${describe(list)}`);
  if (list.length !== size) throw new RangeError(`${op}: '${name}' must hold one tensor per rank of the group (${size}), got ${list.length}`);
  return list.map((t, i) => {
    const b = buffer(op, `${name}[${i}]`, t, like);
    if (b.length !== like.numel()) {
      throw new RangeError(`${op}: '${name}[${i}]' has ${b.length} elements but the tensor has ${like.numel()}`);
    }
    return b;
  });
}

function reduceOp(op: string, v: unknown, t: Tensor): number {
  const code = REDUCE_OPS.indexOf((v ?? 'sum') as ReduceOp);
  if (code < 0) throw new RangeError(`${op}: unknown reduce op ${describe(v)} (have ${REDUCE_OPS.join(', ')}: use distributed.ReduceOp)`);
  if (v === 'avg' && t.dtype === 'int32') throw new TypeError(`${op}: ReduceOp.AVG needs a floating point tensor, got ${t.dtype}`);
  return code;
}

function rootOf(op: string, name: string, v: unknown, g: ProcessGroup): number {
  if (v === undefined) throw new TypeError(`${op}: '${name}' is required`);
  const r = checkInt(op, name, v, 0, Math.max(...g.ranks));
  const local = g.ranks.indexOf(r);
  if (local < 0) throw new RangeError(`${op}: ${name} ${r} is not a member of the group (ranks ${JSON.stringify(g.ranks)})`);
  return local;
}

interface Submission {
  kind: (typeof KINDS)[number];
  group: ProcessGroup;
  op?: number;
  root?: number;
  dtype: string;
  inputs: Storage[];
  outputs: Storage[];
  asyncOp?: boolean;
}

/**
 * Queues one operation on the group's thread. The closure holds the buffers (and so the tensors' storage) until
 * the operation has finished. Without asyncOp, waits for it here: then the addon gets no callback, so nothing is
 * left for the event loop to run (a training loop that never yields would otherwise pile up one promise, one
 * callback and one thread-safe function per collective, and the growing old generation makes V8 run a major GC
 * every few steps on the threads the other ranks need).
 */
function submit(s: Submission): Work | undefined {
  if (!s.asyncOp) {
    start(s).wait(); // s holds the buffers until wait() returns
    return undefined;
  }
  const keep = [s.inputs, s.outputs];
  let settle: (error: string | null) => void = () => {};
  const promise = new Promise<void>((resolve, reject) => {
    settle = (error) => {
      keep.length = 0;
      if (error === null) resolve();
      else reject(new Error(error));
    };
  });
  promise.catch(() => {}); // wait() reports the error when nobody awaits the promise
  // Outside the promise's executor, so that a bad argument throws here rather than rejecting.
  return new Work(INTERNAL, start(s, (error) => settle(error)), promise);
}

/**
 * Queues one operation on the group's thread; done(error | null) runs on the event loop once it has finished. Without
 * done the addon queues no JS call at all: the caller keeps the buffers alive until it has waited.
 */
function start(s: Submission, done?: (error: string | null) => void): PendingWork {
  const g = current(s.kind).gloo;
  if (s.group.rank < 0) throw new RangeError(`${s.kind}: this process (rank ${state!.world.rank}) is not a member of the group`);
  const handle = g.run(s.group.id, KINDS.indexOf(s.kind), s.op ?? 0, s.root ?? 0, DTYPE_CODES[s.dtype]!, s.inputs, s.outputs, 0, done);
  return {
    wait(): void {
      const error = g.wait(handle);
      if (error !== null) throw new Error(error);
    },
    isCompleted: () => g.isCompleted(handle),
  };
}

/**
 * @internal An operation only ever waited for (DistributedDataParallel's buckets): no promise and no callback for
 * the event loop (see submit). Its caller keeps the tensors alive until wait() has returned.
 */
export interface PendingWork {
  /** Blocks until the operation has finished; throws its error. */
  wait(): void;
  isCompleted(): boolean;
}

/**
 * @internal allReduce(tensor, { group, asyncOp: true }) (a sum) for DistributedDataParallel, returning a
 * PendingWork instead of a Work (see submit). tensor: a contiguous float32, float64 or int32 tensor.
 */
export function startAllReduce(tensor: Tensor, group?: ProcessGroup): PendingWork {
  const k = 'allReduce';
  const grp = groupOf(k, group);
  const out = buffer(k, 'tensor', tensor);
  return start({ kind: k, group: grp, op: reduceOp(k, ReduceOp.SUM, tensor), dtype: tensor.dtype, inputs: [], outputs: [out] });
}

/**
 * @internal dst = src * scale in one pass (the scale rounded to their dtype first, as `dst.copy_(src).mul_(scale)`),
 * for DistributedDataParallel's copy of a gradient into its bucket, as PyTorch's Reducer (mul_out). Returns false,
 * doing nothing, unless both are contiguous float32 or float64 tensors of one dtype and numel in storages that do
 * not overlap; the caller then copies and scales itself.
 */
export function scaleInto(dst: Tensor, src: Tensor, scale: number): boolean {
  const op = 'scaleInto';
  checkTensor(op, 'dst', dst);
  checkTensor(op, 'src', src);
  checkNumber(op, 'scale', scale);
  if (dst.dtype !== src.dtype || (dst.dtype !== 'float32' && dst.dtype !== 'float64') || dst.numel() !== src.numel()) return false;
  if (!dst.isContiguous() || !src.isContiguous()) return false;
  const n = dst.numel();
  const d = (dst.data as Float32Array | Float64Array).subarray(dst.offset, dst.offset + n);
  const v = (src.data as Float32Array | Float64Array).subarray(src.offset, src.offset + n);
  if (d.buffer === v.buffer && d.byteOffset < v.byteOffset + v.byteLength && v.byteOffset < d.byteOffset + d.byteLength) return false;
  loadGloo().scaleInto(d, v, scale);
  return true;
}

function asyncFlag(op: string, o: CollectiveOptions): boolean | undefined {
  if (o.asyncOp !== undefined && typeof o.asyncOp !== 'boolean') throw new TypeError(`${op}: expected a boolean for 'asyncOp' but received ${describe(o.asyncOp)}`);
  return o.asyncOp;
}

/** Options of allReduce, reduceScatter. */
export interface ReduceOptions extends CollectiveOptions {
  op?: ReduceOp;
}

/**
 * Reduces the tensor across the group in place on every rank, as torch.distributed.all_reduce.
 * @param tensor a contiguous float32, float64 or int32 tensor, the same shape on every rank.
 * @param options op (ReduceOp.SUM default; AVG for floating tensors), group, asyncOp.
 * @returns a Work with asyncOp: true, else undefined once the reduction is done.
 * @throws TypeError/RangeError for a tensor of another dtype or not contiguous; Error when a peer failed or the
 *   timeout passed.
 * @example distributed.allReduce(grad, { op: distributed.ReduceOp.AVG })
 */
export function allReduce(tensor: Tensor, options: ReduceOptions & { asyncOp: true }): Work;
export function allReduce(tensor: Tensor, options?: ReduceOptions): Work | undefined;
export function allReduce(tensor: Tensor, options: ReduceOptions = {}): Work | undefined {
  const k = 'allReduce';
  const o = checkOptions(k, options);
  const group = groupOf(k, o.group);
  const out = buffer(k, 'tensor', tensor);
  return submit({ kind: k, group, op: reduceOp(k, o.op, tensor), dtype: tensor.dtype, inputs: [], outputs: [out], asyncOp: asyncFlag(k, o) });
}

/**
 * Copies the tensor of rank src into the tensor of every rank, as torch.distributed.broadcast.
 * @param options src (a rank of the default group), group, asyncOp.
 * @example distributed.broadcast(weight, { src: 0 })
 */
export function broadcast(tensor: Tensor, options: CollectiveOptions & { src: number; asyncOp: true }): Work;
export function broadcast(tensor: Tensor, options: CollectiveOptions & { src: number }): Work | undefined;
export function broadcast(tensor: Tensor, options: CollectiveOptions & { src: number }): Work | undefined {
  const k = 'broadcast';
  const o = checkOptions(k, options);
  const group = groupOf(k, o.group);
  const out = buffer(k, 'tensor', tensor);
  return submit({ kind: k, group, root: rootOf(k, 'src', o.src, group), dtype: tensor.dtype, inputs: [], outputs: [out], asyncOp: asyncFlag(k, o) });
}

/**
 * Waits until every rank of the group has reached it, as torch.distributed.barrier.
 * @example distributed.barrier()
 */
export function barrier(options: CollectiveOptions & { asyncOp: true }): Work;
export function barrier(options?: CollectiveOptions): Work | undefined;
export function barrier(options: CollectiveOptions = {}): Work | undefined {
  const k = 'barrier';
  const o = checkOptions(k, options);
  return submit({ kind: k, group: groupOf(k, o.group), dtype: 'float32', inputs: [], outputs: [], asyncOp: asyncFlag(k, o) });
}

/**
 * Gathers every rank's tensor into tensorList on every rank, as torch.distributed.all_gather.
 * @param tensorList one tensor per member, each with the tensor's dtype and number of elements.
 * @example distributed.allGather(parts, x)
 */
export function allGather(tensorList: Tensor[], tensor: Tensor, options: CollectiveOptions = {}): Work | undefined {
  const k = 'allGather';
  const o = checkOptions(k, options);
  const group = groupOf(k, o.group);
  const input = buffer(k, 'tensor', tensor);
  const outputs = bufferList(k, 'tensorList', tensorList, tensor, group.size);
  return submit({ kind: k, group, dtype: tensor.dtype, inputs: [input], outputs, asyncOp: asyncFlag(k, o) });
}

/**
 * Gathers every rank's tensor into one tensor, rank after rank, as torch.distributed.all_gather_into_tensor.
 * @param output a tensor of group size times the input's elements.
 * @example const out = torch.empty(distributed.getWorldSize() * 2); distributed.allGatherIntoTensor(out, torch.ones(2))
 */
export function allGatherIntoTensor(output: Tensor, input: Tensor, options: CollectiveOptions = {}): Work | undefined {
  const k = 'allGatherIntoTensor';
  const o = checkOptions(k, options);
  const group = groupOf(k, o.group);
  const inp = buffer(k, 'input', input);
  const out = flatOf(k, 'output', output, input, group.size);
  return submit({ kind: 'allGather', group, dtype: input.dtype, inputs: [inp], outputs: [out], asyncOp: asyncFlag(k, o) });
}

/** A tensor holding one chunk like `like` per member. */
function flatOf(op: string, name: string, t: Tensor, like: Tensor, size: number): Storage {
  const b = buffer(op, name, t, like);
  if (b.length !== like.numel() * size) {
    throw new RangeError(`${op}: '${name}' must have ${size} x ${like.numel()} elements (group size x the other tensor's), got ${b.length}`);
  }
  return b;
}

/**
 * Reduces inputList across the group and leaves chunk r of the result in output on rank r, as
 * torch.distributed.reduce_scatter.
 * @param inputList one tensor per member, each like output.
 * @example distributed.reduceScatter(out, [a, b]) // 2 ranks: out is the sum of the a's on rank 0, of the b's on rank 1
 */
export function reduceScatter(output: Tensor, inputList: Tensor[], options: ReduceOptions = {}): Work | undefined {
  const k = 'reduceScatter';
  const o = checkOptions(k, options);
  const group = groupOf(k, o.group);
  const out = buffer(k, 'output', output);
  const inputs = bufferList(k, 'inputList', inputList, output, group.size);
  return submit({ kind: k, group, op: reduceOp(k, o.op, output), dtype: output.dtype, inputs, outputs: [out], asyncOp: asyncFlag(k, o) });
}

/**
 * reduceScatter from one input of group size times output's elements, as torch.distributed.reduce_scatter_tensor.
 * @example distributed.reduceScatterTensor(torch.empty(2), torch.ones(2 * distributed.getWorldSize()))
 */
export function reduceScatterTensor(output: Tensor, input: Tensor, options: ReduceOptions = {}): Work | undefined {
  const k = 'reduceScatterTensor';
  const o = checkOptions(k, options);
  const group = groupOf(k, o.group);
  const out = buffer(k, 'output', output);
  const inp = flatOf(k, 'input', input, output, group.size);
  return submit({ kind: 'reduceScatter', group, op: reduceOp(k, o.op, output), dtype: output.dtype, inputs: [inp], outputs: [out], asyncOp: asyncFlag(k, o) });
}

/**
 * Reduces the tensor across the group into the tensor of rank dst, as torch.distributed.reduce (other ranks'
 * tensors are left unspecified, as PyTorch's).
 * @example distributed.reduce(loss, { dst: 0 }) // rank 0 holds the sum
 */
export function reduce(tensor: Tensor, options: ReduceOptions & { dst: number }): Work | undefined {
  const k = 'reduce';
  const o = checkOptions(k, options);
  const group = groupOf(k, o.group);
  const out = buffer(k, 'tensor', tensor);
  return submit({ kind: k, group, op: reduceOp(k, o.op, tensor), root: rootOf(k, 'dst', o.dst, group), dtype: tensor.dtype, inputs: [], outputs: [out], asyncOp: asyncFlag(k, o) });
}

/**
 * Gathers every rank's tensor into gatherList on rank dst, as torch.distributed.gather.
 * @param options gatherList (on dst only: one tensor per member), dst, group, asyncOp.
 * @example distributed.gather(x, { gatherList: rank === 0 ? [torch.empty(2), torch.empty(2)] : null, dst: 0 })
 */
export function gather(tensor: Tensor, options: CollectiveOptions & { gatherList?: Tensor[] | null; dst?: number } = {}): Work | undefined {
  const k = 'gather';
  const o = checkOptions(k, options);
  const group = groupOf(k, o.group);
  const root = rootOf(k, 'dst', o.dst ?? 0, group);
  const input = buffer(k, 'tensor', tensor);
  let outputs: Storage[] = [];
  if (group.rank === root) {
    if (!o.gatherList) throw new TypeError(`${k}: Argument 'gatherList' must be specified on destination rank.`);
    outputs = bufferList(k, 'gatherList', o.gatherList, tensor, group.size);
  } else if (o.gatherList && o.gatherList.length) {
    throw new TypeError(`${k}: Argument 'gatherList' must NOT be specified on non-destination ranks.`);
  }
  return submit({ kind: k, group, root, dtype: tensor.dtype, inputs: [input], outputs, asyncOp: asyncFlag(k, o) });
}

/**
 * Scatters scatterList of rank src, one tensor to each rank, as torch.distributed.scatter.
 * @param options scatterList (on src only: one tensor per member), src, group, asyncOp.
 * @example distributed.scatter(x, { scatterList: rank === 0 ? [torch.zeros(2), torch.ones(2)] : null, src: 0 })
 */
export function scatter(tensor: Tensor, options: CollectiveOptions & { scatterList?: Tensor[] | null; src?: number } = {}): Work | undefined {
  const k = 'scatter';
  const o = checkOptions(k, options);
  const group = groupOf(k, o.group);
  const root = rootOf(k, 'src', o.src ?? 0, group);
  const out = buffer(k, 'tensor', tensor);
  let inputs: Storage[] = [];
  if (group.rank === root) {
    if (!o.scatterList) throw new TypeError(`${k}: Argument 'scatterList' must be specified on source rank.`);
    inputs = bufferList(k, 'scatterList', o.scatterList, tensor, group.size);
  } else if (o.scatterList && o.scatterList.length) {
    throw new TypeError(`${k}: Argument 'scatterList' must NOT be specified on non-source ranks.`);
  }
  return submit({ kind: k, group, root, dtype: tensor.dtype, inputs, outputs: [out], asyncOp: asyncFlag(k, o) });
}

/**
 * Sends inputList[j] to rank j and receives rank j's into outputList[j], as torch.distributed.all_to_all (equal
 * sizes).
 * @example distributed.allToAll(outputs, inputs) // inputs[j] goes to rank j, outputs[j] comes from rank j
 */
export function allToAll(outputList: Tensor[], inputList: Tensor[], options: CollectiveOptions = {}): Work | undefined {
  const k = 'allToAll';
  const o = checkOptions(k, options);
  const group = groupOf(k, o.group);
  if (!Array.isArray(outputList) || outputList.length === 0) throw new TypeError(`${k}: expected a non-empty array of Tensors for 'outputList' but received ${describe(outputList)}`);
  const like = outputList[0]!;
  checkTensor(k, 'outputList[0]', like);
  const outputs = bufferList(k, 'outputList', outputList, like, group.size);
  const inputs = bufferList(k, 'inputList', inputList, like, group.size);
  return submit({ kind: k, group, dtype: like.dtype, inputs, outputs, asyncOp: asyncFlag(k, o) });
}

/**
 * allToAll on single tensors split evenly into group-size chunks, as torch.distributed.all_to_all_single.
 * @example distributed.allToAllSingle(torch.empty(4), torch.arange(0, 4, 1, { dtype: 'float32' }))
 */
export function allToAllSingle(output: Tensor, input: Tensor, options: CollectiveOptions = {}): Work | undefined {
  const k = 'allToAllSingle';
  const o = checkOptions(k, options);
  const group = groupOf(k, o.group);
  const out = buffer(k, 'output', output);
  const inp = buffer(k, 'input', input, output);
  if (out.length !== inp.length || out.length % group.size !== 0) {
    throw new RangeError(`${k}: 'input' and 'output' must have the same number of elements, a multiple of the group size ${group.size}; got ${inp.length} and ${out.length}`);
  }
  return submit({ kind: 'allToAll', group, dtype: output.dtype, inputs: [inp], outputs: [out], asyncOp: asyncFlag(k, o) });
}

// ---- point to point ----

/** Options of send/isend (dst) and recv/irecv (src). */
export interface PointToPointOptions {
  group?: ProcessGroup;
  /** Matches a send with the receive of the same tag (default 0). */
  tag?: number;
}

function pointToPoint(k: 'send' | 'recv', name: string, tensor: Tensor, peer: unknown, o: PointToPointOptions, asyncOp: boolean): Work | undefined {
  const group = groupOf(name, o.group);
  const buf = buffer(name, 'tensor', tensor);
  const local = rootOf(name, k === 'send' ? 'dst' : 'src', peer, group);
  if (local === group.rank) throw new RangeError(`${name}: Invalid ${k === 'send' ? 'destination' : 'source'} rank: should not use rank of current process`);
  const tag = o.tag === undefined ? 0 : checkInt(name, 'tag', o.tag, 0, 2 ** 31 - 1);
  return submit({ kind: k, group, op: tag, root: local, dtype: tensor.dtype, inputs: k === 'send' ? [buf] : [], outputs: k === 'recv' ? [buf] : [], asyncOp });
}

/**
 * Sends the tensor to rank dst, as torch.distributed.send: returns once it has been received. Point-to-point
 * messages do not wait behind the group's queued collectives.
 * @example distributed.send(x, { dst: 1 })
 */
export function send(tensor: Tensor, options: PointToPointOptions & { dst: number }): void {
  const o = checkOptions('send', options);
  pointToPoint('send', 'send', tensor, o.dst, o, false);
}

/**
 * Receives rank src's tensor into the tensor, as torch.distributed.recv; returns src.
 * @example distributed.recv(x, { src: 0 })
 */
export function recv(tensor: Tensor, options: PointToPointOptions & { src: number }): number {
  const o = checkOptions('recv', options);
  pointToPoint('recv', 'recv', tensor, o.src, o, false);
  return o.src;
}

/**
 * send that returns a Work at once, as torch.distributed.isend.
 * @example const work = distributed.isend(x, { dst: 1 }); await work.promise
 */
export function isend(tensor: Tensor, options: PointToPointOptions & { dst: number }): Work {
  const o = checkOptions('isend', options);
  return pointToPoint('send', 'isend', tensor, o.dst, o, true)!;
}

/**
 * recv that returns a Work at once, as torch.distributed.irecv.
 * @example const work = distributed.irecv(x, { src: 0 }); await work.promise
 */
export function irecv(tensor: Tensor, options: PointToPointOptions & { src: number }): Work {
  const o = checkOptions('irecv', options);
  return pointToPoint('recv', 'irecv', tensor, o.src, o, true)!;
}
