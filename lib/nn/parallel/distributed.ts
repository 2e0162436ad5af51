/**
 * nn.parallel.DistributedDataParallel, as PyTorch 1.13's: rank 0's parameters and buffers are broadcast at
 * construction; during backward each parameter's gradient is copied into its bucket (scaled by 1 / world) as soon
 * as autograd has accumulated it (a post-accumulate-grad hook), and a bucket whose gradients are all in starts its
 * asynchronous allreduce (sum) on the process group's communication thread, always in bucket order, while the rest
 * of backward runs; a final callback waits for every bucket and writes the averages into .grad.
 *
 * Buckets follow PyTorch's Reducer: the first iteration uses one bucket per dtype (or, with findUnusedParameters,
 * buckets in reverse parameter order from computeBucketAssignmentBySize), and after it the buckets are rebuilt in
 * the order the gradients became ready: the first holding up to defaultFirstBucketBytes (1 MB), the others up to
 * bucketCapMb.
 */
import { Tensor } from '../../tensor';
import type { DType } from '../../dtype';
import { info } from '../../dtype';
import { isGradEnabled, noGrad } from '../../autograd/grad_mode';
import { queueCallback } from '../../autograd/engine';
import '../../autograd/grad';
import { cat } from '../../ops/movement';
import { zeros } from '../../ops/creation';
import * as dist from '../../distributed';
import type { PendingWork, ProcessGroup } from '../../distributed';
import { Module } from '../modules/module';
import type { Parameter } from '../parameter';
import { checkBool, checkOptions, describe } from '../../validate';

const OP = 'DistributedDataParallel';

/** The options of DistributedDataParallel, as torch.nn.parallel.DistributedDataParallel's keywords (camelCased). | */
export interface DistributedDataParallelOptions {
  /** CPU modules take none (null or []), as PyTorch. */
  deviceIds?: readonly number[] | null;
  /** Re-broadcast rank 0's buffers (BatchNorm statistics) at each forward (default true). */
  broadcastBuffers?: boolean;
  /** The group to average over (default: the default process group). */
  processGroup?: ProcessGroup;
  /** Size of the gradient buckets after the first, in MiB (default 25). */
  bucketCapMb?: number;
  /** Walk the autograd graph from forward's outputs and mark parameters it does not reach ready (default false). */
  findUnusedParameters?: boolean;
  /** Let each .grad be a view into its bucket (saves a copy and memory; default false). */
  gradientAsBucketView?: boolean;
}

const KEYS = ['deviceIds', 'broadcastBuffers', 'processGroup', 'bucketCapMb', 'findUnusedParameters', 'gradientAsBucketView'];

/** Bucket limit that never fills: PyTorch's sys.maxsize. */
const NO_LIMIT = Number.MAX_SAFE_INTEGER;

/**
 * Groups tensors into buckets as PyTorch's dist._compute_bucket_assignment_by_size: tensors of one dtype fill a
 * bucket in the given order until it holds at least its limit in bytes (limits[0] for the first bucket of a dtype,
 * then limits[1], ..., the last repeating); without tensorIndices the buckets are sorted by their smallest index.
 * @param tensors numel and dtype of each tensor, in bucketing order
 * @param tensorIndices the index each tensor stands for (default: its position); given, the order is kept as is
 * @returns the buckets (lists of indices) and the size limit each was filled against
 */
export function computeBucketAssignmentBySize(
  tensors: readonly { numel: number; dtype: DType }[],
  limits: readonly number[],
  tensorIndices?: readonly number[],
): { buckets: number[][]; sizeLimits: number[] } {
  const result: { indices: number[]; limit: number }[] = [];
  const open = new Map<DType, { indices: number[]; size: number; limit: number; next: number }>();
  tensors.forEach((t, i) => {
    const index = tensorIndices ? tensorIndices[i]! : i;
    let acc = open.get(t.dtype);
    if (!acc) {
      acc = { indices: [], size: 0, limit: 0, next: 0 };
      open.set(t.dtype, acc);
    }
    acc.indices.push(index);
    acc.size += t.numel * info(t.dtype).size;
    acc.limit = limits[acc.next]!;
    if (acc.size >= acc.limit) {
      result.push({ indices: acc.indices, limit: acc.limit });
      acc.indices = [];
      acc.size = 0;
      if (acc.next + 1 < limits.length) acc.next++;
    }
  });
  for (const acc of open.values()) if (acc.indices.length) result.push({ indices: acc.indices, limit: acc.limit });
  if (!tensorIndices) result.sort((a, b) => Math.min(...a.indices) - Math.min(...b.indices));
  return { buckets: result.map((r) => r.indices), sizeLimits: result.map((r) => r.limit) };
}

interface Bucket {
  /** Parameter indices, in the bucket's layout order. */
  indices: number[];
  /** The flat gradients of the bucket (allreduced in place) and one view per parameter. */
  buffer: Tensor;
  views: Tensor[];
  /** Gradients still to arrive this iteration. */
  pending: number;
  work: PendingWork | null;
}

/** Every tensor in a forward result (nested arrays, plain objects, Maps), as PyTorch's _find_tensors. */
function findTensors(v: unknown, out: Tensor[] = [], seen = new Set<unknown>()): Tensor[] {
  if (v instanceof Tensor) out.push(v);
  else if (v !== null && typeof v === 'object' && !seen.has(v)) {
    seen.add(v);
    const values = v instanceof Map ? v.values() : Array.isArray(v) ? v : Object.values(v);
    for (const x of values) findTensors(x, out, seen);
  }
  return out;
}

/** The leaves an autograd graph from these outputs reaches. */
function reachedLeaves(outputs: readonly Tensor[]): Set<Tensor> {
  const leaves = new Set<Tensor>();
  const seen = new Set<unknown>();
  const stack = outputs.map((t) => t);
  while (stack.length) {
    const t = stack.pop()!;
    if (!t.gradFn) {
      leaves.add(t);
      continue;
    }
    if (seen.has(t.gradFn)) continue;
    seen.add(t.gradFn);
    for (const i of t.gradFn.inputs) if (i) stack.push(i);
  }
  return leaves;
}

/** Broadcasts tensors from src, one flat message per dtype (PyTorch's _broadcast_coalesced), and waits. */
function broadcastCoalesced(tensors: readonly Tensor[], src: number, group: ProcessGroup | undefined): void {
  const byDtype = new Map<DType, Tensor[]>();
  for (const t of tensors) {
    if (t.numel() === 0) continue;
    const list = byDtype.get(t.dtype) ?? [];
    list.push(t);
    byDtype.set(t.dtype, list);
  }
  noGrad(() => {
    for (const list of byDtype.values()) {
      const flat = cat(list.map((t) => t.reshape([-1])));
      dist.broadcast(flat, { src, group });
      let at = 0;
      for (const t of list) {
        t.copy_(flat.narrow(0, at, t.numel()).view(t.shape));
        at += t.numel();
      }
    }
  });
}

/** A tensor aliasing exactly a bucket view (same storage, offset and layout): a gradient that is the view. */
function isViewOf(g: Tensor | null, view: Tensor): boolean {
  return g !== null && g.data === view.data && g.offset === view.offset && g.strides.every((s, i) => s === view.strides[i]);
}

/** PyTorch's Reducer: buckets, the per-parameter hook, and the end-of-backward finalizer. */
class Reducer {
  buckets: Bucket[] = [];
  /** Bucket and slot of each parameter. */
  private locators: { bucket: number; slot: number }[] = [];
  private nextBucket = 0;
  /** Whether hooks should act: set by forward (with sync), cleared by the finalizer. */
  expectHooks = false;
  /** Set once a gradient is marked ready; a forward that finds it still set reports the missed reduction. */
  private requireFinalize = false;
  private readyThisIteration = new Set<number>();
  private unused: number[] = [];
  private hasMarkedUnused = false;
  /** Gradient-ready order of the first iteration, for the bucket rebuild. */
  private rebuiltOrder: number[] = [];
  hasRebuiltBuckets = false;
  /** findUnusedParameters: 1 where a parameter got a gradient on this rank, allreduced to "on any rank". */
  private localUsed: Tensor;
  private localUsedWork: PendingWork | null = null;
  private readonly world: number;
  private readonly names: string[];

  constructor(
    readonly params: readonly Parameter[],
    names: readonly string[],
    private readonly group: ProcessGroup | undefined,
    private readonly firstBucketBytes: number,
    private readonly capBytes: number,
    private readonly findUnused: boolean,
    private readonly asBucketView: boolean,
  ) {
    this.names = [...names];
    this.world = dist.getWorldSize(group);
    this.localUsed = zeros([params.length], { dtype: 'int32' });
    const tensors = params.map((p) => ({ numel: p.numel(), dtype: p.dtype }));
    // PyTorch 1.13 starts with one bucket per dtype unless it must find unused parameters; the reversal makes the
    // parameters defined last (whose gradients come first) the first bucket.
    const limits = findUnused ? [firstBucketBytes, capBytes] : [NO_LIMIT];
    this.initializeBuckets(computeBucketAssignmentBySize(tensors, limits).buckets.reverse());
    params.forEach((p, i) => p.registerPostAccumulateGradHook(() => this.autogradHook(i)));
  }

  private initializeBuckets(assignment: number[][]): void {
    this.locators = [];
    this.buckets = assignment.map((indices, b) => {
      const numel = indices.reduce((n, i) => n + this.params[i]!.numel(), 0);
      const buffer = zeros([numel], { dtype: this.params[indices[0]!]!.dtype });
      let at = 0;
      const views = indices.map((i, slot) => {
        const p = this.params[i]!;
        const view = buffer.narrow(0, at, p.numel()).view(p.shape);
        at += p.numel();
        this.locators[i] = { bucket: b, slot };
        if (this.asBucketView && p.grad && !isViewOf(p.grad, view)) {
          noGrad(() => view.copy_(p.grad!));
          p.grad = view;
        }
        return view;
      });
      return { indices, buffer, views, pending: indices.length, work: null };
    });
  }

  private shouldRebuild(): boolean {
    return !this.findUnused && !this.hasRebuiltBuckets;
  }

  /** Before each forward with grad: report a reduction the last iteration left unfinished; rebuild once. */
  rebuildBuckets(): boolean {
    this.ensurePriorReductionFinished();
    if (!this.shouldRebuild() || this.rebuiltOrder.length === 0) return false;
    // Rank 0's order decides, so every rank lays its buckets out alike (PyTorch's sync_bucket_indices).
    const order = noGrad(() => {
      const t = zeros([this.rebuiltOrder.length], { dtype: 'int32' });
      t.data.set(this.rebuiltOrder);
      dist.broadcast(t, { src: 0, group: this.group });
      return Array.from(t.data as Int32Array);
    });
    const tensors = order.map((i) => ({ numel: this.params[i]!.numel(), dtype: this.params[i]!.dtype }));
    this.initializeBuckets(computeBucketAssignmentBySize(tensors, [this.firstBucketBytes, this.capBytes], order).buckets);
    this.rebuiltOrder = [];
    this.hasRebuiltBuckets = true;
    return true;
  }

  /** After a forward that will be followed by a synchronising backward. */
  prepareForBackward(outputs: readonly Tensor[]): void {
    this.expectHooks = true;
    for (const b of this.buckets) {
      b.pending = b.indices.length;
      b.work = null;
    }
    this.nextBucket = 0;
    this.hasMarkedUnused = false;
    this.readyThisIteration.clear();
    if (this.findUnused) {
      const reached = reachedLeaves(outputs);
      this.unused = this.params.flatMap((p, i) => (reached.has(p) ? [] : [i]));
    }
  }

  private autogradHook(index: number): void {
    if (!this.expectHooks) return;
    if (this.findUnused && this.params[index]!.grad) this.localUsed.data[index] = 1;
    if (!this.hasMarkedUnused) {
      this.hasMarkedUnused = true;
      for (const i of this.unused) this.markReady(i);
    }
    if (this.shouldRebuild()) this.rebuiltOrder.push(index);
    this.markReady(index);
  }

  private markReady(index: number): void {
    if (this.readyThisIteration.has(index)) {
      throw new Error(
        `${OP}: Expected to mark a variable ready only once. This error is caused by one of the following reasons: 1) Use of a module ` +
          'parameter outside the `forward` function. Please make sure model parameters are not shared across multiple concurrent forward-backward ' +
          'passes, or try to use _set_static_graph() as a workaround if this module graph does not change during training loop.' +
          '2) Reused parameters in multiple reentrant backward passes. For example, if you use multiple `checkpoint` functions to wrap the same ' +
          'part of your model, it would result in the same set of parameters been used by different reentrant backward passes multiple times, ' +
          `and hence marking a variable ready multiple times. Parameter at index ${index} with name ${this.names[index]} has been marked as ready twice.`,
      );
    }
    this.readyThisIteration.add(index);
    this.requireFinalize = true;
    const { bucket: b, slot } = this.locators[index]!;
    const bucket = this.buckets[b]!;
    const view = bucket.views[slot]!;
    const p = this.params[index]!;
    noGrad(() => {
      // Scaled while copied, in one pass as Reducer::copy_grad_to_bucket; a gradient that is the view is scaled in
      // place.
      if (p.grad === null) view.zero_();
      else if (isViewOf(p.grad, view)) view.mul_(1 / this.world);
      else {
        if (!dist.scaleInto(view, p.grad, 1 / this.world)) view.copy_(p.grad).mul_(1 / this.world);
        if (this.asBucketView) p.grad = view;
      }
    });
    if (--bucket.pending === 0) this.markBucketReady(b);
    if (this.nextBucket === this.buckets.length) {
      if (this.findUnused) this.localUsedWork = dist.startAllReduce(this.localUsed, this.group);
      queueCallback(() => this.finalizeBackward());
    }
  }

  /** Starts the allreduce of every ready bucket from the next one in order; a later bucket waits for earlier ones. */
  private markBucketReady(b: number): void {
    if (b > this.nextBucket) return;
    for (; this.nextBucket < this.buckets.length && this.buckets[this.nextBucket]!.pending === 0; this.nextBucket++) {
      const bucket = this.buckets[this.nextBucket]!;
      bucket.work = dist.startAllReduce(bucket.buffer, this.group);
    }
  }

  /** End of backward: wait for every bucket and write the averages into .grad. */
  private finalizeBackward(): void {
    this.expectHooks = false;
    this.requireFinalize = false;
    // Whether localUsed holds the allreduced counts yet: waited for only once a locally unused parameter needs it.
    let reduced = false;
    for (const bucket of this.buckets) {
      bucket.work!.wait();
      bucket.indices.forEach((i, slot) => {
        if (this.findUnused && this.localUsed.data[i] === 0) {
          if (!reduced) {
            this.localUsedWork!.wait();
            reduced = true;
          }
          // A parameter no rank used keeps its .grad untouched.
          if (this.localUsed.data[i] === 0) return;
        }
        const p = this.params[i]!;
        const view = bucket.views[slot]!;
        if (this.asBucketView) {
          if (p.grad === null) p.grad = view;
          else if (!isViewOf(p.grad, view)) {
            throw new Error(`${OP}: Detected at least one parameter gradient is not the expected DDP bucket view with gradientAsBucketView: true. This may happen (for example) if multiple allreduce hooks were registered onto the same parameter. If you hit this error, please file an issue with a minimal repro.`);
          }
        } else if (p.grad === null) {
          p.grad = noGrad(() => view.clone());
        } else {
          noGrad(() => p.grad!.copy_(view));
        }
      });
    }
    if (this.findUnused) {
      if (!reduced) this.localUsedWork!.wait();
      this.localUsed.data.fill(0);
      this.localUsedWork = null;
    }
  }

  private ensurePriorReductionFinished(): void {
    if (!this.requireFinalize) return;
    const unmarked = this.params.flatMap((_, i) => (this.readyThisIteration.has(i) ? [] : [i]));
    const outputs = 'making sure all `forward` function outputs participate in calculating loss. ';
    const bug =
      "\nIf you already have done the above, then the distributed data parallel module wasn't able to locate the output tensors in the return " +
      "value of your module's `forward` function. Please include the loss function and the structure of the return value of `forward` of " +
      'your module when reporting this issue (e.g. list, dict, iterable).';
    let msg =
      'Expected to have finished reduction in the prior iteration before starting a new one. This error indicates that your module has ' +
      'parameters that were not used in producing loss. ';
    msg += this.findUnused
      ? 'Since `findUnusedParameters: true` is enabled, this likely  means that not all `forward` outputs participate in computing loss. You can fix this by ' + outputs + bug
      : 'You can enable unused parameter detection by passing the option `findUnusedParameters: true` to ' +
        '`nn.parallel.DistributedDataParallel`, and by \n' + outputs + bug;
    msg += `\nParameter indices which did not receive grad for rank ${dist.getRank(this.group)}: ${unmarked.join(' ')}`;
    msg += `\nParameters which did not receive grad for rank ${dist.getRank(this.group)}: ${unmarked.map((i) => this.names[i]).join(', ')}`;
    throw new Error(`${OP}: ${msg}`);
  }
}

/**
 * Data-parallel training across processes, as torch.nn.parallel.DistributedDataParallel: wrap the model after
 * distributed.initProcessGroup, call forward on the wrapper, and backward averages the gradients over the group.
 * The wrapped model is `.module`, so state-dict keys carry the `module.` prefix, as PyTorch's.
 * @example
 * await torch.distributed.initProcessGroup({ backend: 'gloo' });
 * const ddp = new nn.parallel.DistributedDataParallel(model);
 * F.crossEntropy(ddp.forward(x), y).backward(); opt.step();
 */
export class DistributedDataParallel<M extends Module = Module> extends Module {
  /**
   * Bytes of the first gradient bucket after the rebuild, PyTorch's dist._DEFAULT_FIRST_BUCKET_BYTES (1 MiB);
   * read when a DDP is constructed.
   */
  static defaultFirstBucketBytes = 1024 * 1024;

  declare module: M;
  readonly broadcastBuffers: boolean;
  readonly findUnusedParameters: boolean;
  readonly gradientAsBucketView: boolean;
  readonly bucketBytesCap: number;
  readonly processGroup: ProcessGroup | undefined;
  /** False inside noSync: forward then prepares no reduction, so backward only accumulates locally. */
  requireBackwardGradSync = true;
  /** Whether the last forward prepared a synchronising backward: the next one re-broadcasts the buffers. */
  requireForwardParamSync = true;
  numIterations = 0;
  private readonly reducer: Reducer;

  /**
   * @throws Error without an initialised process group, or for a module without parameters that require grad;
   *   TypeError/RangeError for bad options (deviceIds on a CPU module, a bucketCapMb that is not positive)
   */
  constructor(module: M, options: DistributedDataParallelOptions = {}) {
    super();
    if (!(module instanceof Module)) throw new TypeError(`${OP}: expected an nn.Module for 'module' but received ${describe(module)}`);
    const o = checkOptions(OP, options);
    const unknown = Object.keys(o).find((k) => !KEYS.includes(k));
    if (unknown !== undefined) throw new TypeError(`${OP}: unexpected option '${unknown}' (expected ${KEYS.join(', ')})`);
    const named = module.namedParameters().filter(([, p]) => p.requiresGrad);
    if (named.length === 0) throw new Error(`${OP}: DistributedDataParallel is not needed when a module doesn't have any parameter that requires a gradient.`);
    if (o.deviceIds !== undefined && o.deviceIds !== null && (!Array.isArray(o.deviceIds) || o.deviceIds.length > 0)) {
      throw new RangeError(`${OP}: DistributedDataParallel device_ids and output_device arguments only work with single-device/multiple-device GPU modules or CPU modules, but got device_ids ${describe(o.deviceIds)} and module parameters on the CPU.`);
    }
    const cap = o.bucketCapMb ?? 25;
    if (typeof cap !== 'number' || !(cap > 0) || !Number.isFinite(cap)) throw new RangeError(`${OP}: expected a positive number for 'bucketCapMb' but received ${describe(cap)}`);
    if (o.processGroup === undefined && !dist.isInitialized()) {
      throw new Error(`${OP}: Default process group has not been initialized, please make sure to call distributed.initProcessGroup.`);
    }
    this.module = module;
    this.broadcastBuffers = checkBool(OP, 'broadcastBuffers', o.broadcastBuffers, true);
    this.findUnusedParameters = checkBool(OP, 'findUnusedParameters', o.findUnusedParameters, false);
    this.gradientAsBucketView = checkBool(OP, 'gradientAsBucketView', o.gradientAsBucketView, false);
    this.bucketBytesCap = Math.floor(cap * 1024 * 1024);
    this.processGroup = o.processGroup;
    this.verifyShapesAcrossProcesses(named.map(([, p]) => p));
    // Every rank starts from rank 0's parameters and buffers.
    broadcastCoalesced([...module.parameters().map((p) => p.detach()), ...module.buffers()], 0, this.processGroup);
    this.reducer = new Reducer(
      named.map(([, p]) => p), named.map(([n]) => n), this.processGroup,
      DistributedDataParallel.defaultFirstBucketBytes, this.bucketBytesCap, this.findUnusedParameters, this.gradientAsBucketView,
    );
  }

  /** The same model on every rank: parameter count, elements and shapes, compared with two allreduces. */
  private verifyShapesAcrossProcesses(params: readonly Parameter[]): void {
    let shapes = 0;
    params.forEach((p, i) => p.shape.forEach((n, d) => (shapes = (shapes + (i + 1) * (d + 7) * (n + 1)) % 1000003)));
    const numel = params.reduce((n, p) => n + p.numel(), 0);
    const mine = [params.length, numel, shapes];
    const [lo, hi] = [dist.ReduceOp.MIN, dist.ReduceOp.MAX].map((op) => {
      const t = noGrad(() => zeros([3], { dtype: 'float64' }));
      t.data.set(mine);
      dist.allReduce(t, { op, group: this.processGroup });
      return Array.from(t.data as Float64Array);
    });
    if (lo!.some((v, i) => v !== hi![i])) {
      throw new Error(
        `${OP}: DDP expects same model across all ranks, but rank ${dist.getRank(this.processGroup)} has ${params.length} parameters of ${numel} elements ` +
          `while the ranks range over ${lo![0]}-${hi![0]} parameters and ${lo![1]}-${hi![1]} elements${lo![0] === hi![0] && lo![1] === hi![1] ? ' (their shapes differ)' : ''}.`,
      );
    }
  }

  /**
   * Runs the wrapped module's forward. With grad enabled it first reports a reduction the last backward left
   * unfinished (parameters that got no gradient), rebuilds the buckets once, re-broadcasts rank 0's buffers
   * (broadcastBuffers), and afterwards prepares the next backward's reduction (outside noSync).
   * @throws Error when the previous iteration's reduction did not finish, in PyTorch's words
   */
  forward(...inputs: Parameters<M['forward']>): ReturnType<M['forward']> {
    const grad = isGradEnabled();
    const sync = grad && this.requireBackwardGradSync;
    if (sync) this.numIterations++;
    if (grad) this.reducer.rebuildBuckets();
    if (this.requireForwardParamSync && this.broadcastBuffers) {
      const buffers = this.module.buffers();
      if (buffers.length) broadcastCoalesced(buffers, 0, this.processGroup);
    }
    const out = (this.module.forward as (...a: unknown[]) => ReturnType<M['forward']>)(...inputs);
    if (sync) {
      this.requireForwardParamSync = true;
      this.reducer.prepareForBackward(this.findUnusedParameters ? findTensors(out) : []);
    } else {
      this.requireForwardParamSync = false;
    }
    return out;
  }

  /**
   * Runs fn without gradient synchronisation, as `with ddp.no_sync():`: forwards inside it prepare no reduction, so
   * their backward only accumulates into .grad; the first synchronised backward after it averages the sum. An
   * async fn keeps the context until its promise settles.
   * @example ddp.noSync(() => F.mseLoss(ddp.forward(x1), y1).backward()); F.mseLoss(ddp.forward(x2), y2).backward();
   */
  noSync<T>(fn: () => T): T {
    if (typeof fn !== 'function') throw new TypeError(`${OP}.noSync: expected a function for 'fn' but received ${describe(fn)}`);
    const old = this.requireBackwardGradSync;
    this.requireBackwardGradSync = false;
    let pending = false;
    try {
      const r = fn();
      if (r instanceof Promise) {
        pending = true;
        return r.finally(() => (this.requireBackwardGradSync = old)) as T;
      }
      return r;
    } finally {
      if (!pending) this.requireBackwardGradSync = old;
    }
  }

  /** The parameter indices of each gradient bucket, in reduction order (for inspection and tests). */
  bucketIndices(): number[][] {
    return this.reducer.buckets.map((b) => [...b.indices]);
  }

  /** Whether the buckets have been rebuilt in gradient-ready order (after the first synchronised iteration). */
  get hasRebuiltBuckets(): boolean {
    return this.reducer.hasRebuiltBuckets;
  }
}
