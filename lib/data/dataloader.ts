/**
 * DataLoader, as torch.utils.data.DataLoader: batches from a sampler, collated, loaded on the main thread or by
 * worker threads, iterated with for...of or for await...of.
 */
import * as path from 'path';
import { Worker, MessageChannel, receiveMessageOnPort } from 'worker_threads';
import type { MessagePort } from 'worker_threads';

import { Generator, randomInt64 } from '../random';
import { checkOptions, describe } from '../validate';
import { Dataset, IterableDataset } from './dataset';
import type { AnyDataset } from './dataset';
import { defaultCollate, defaultConvert } from './collate';
import type { Collated } from './collate';
import { createFetcher, StopFetching } from './fetch';
import type { CollateFn, Fetcher } from './fetch';
import { isModuleRef, loadDataset, loadFunction } from './module_ref';
import type { ModuleRef } from './module_ref';
import { BatchSampler, RandomSampler, SequentialSampler, checkPositive } from './sampler';
import { unpack } from '../threads/transfer';
import type { ResultMessage, TaskMessage, WorkerError, WorkerSetup } from './worker';

/** The options of DataLoader, as torch.utils.data.DataLoader's keywords (camelCased). | */
export interface DataLoaderOptions<T, B> {
  /** Samples per batch (default 1); null turns automatic batching off (each item is yielded as it is). */
  batchSize?: number | null;
  /** Reshuffle every epoch (a RandomSampler over the dataset). */
  shuffle?: boolean;
  /** The order of sample indices; exclusive with shuffle. */
  sampler?: Iterable<number> & { readonly length?: number };
  /** The index batches; exclusive with batchSize, shuffle, sampler and dropLast. */
  batchSampler?: Iterable<number[]> & { readonly length?: number };
  /** Worker threads that load and collate batches (0: the main thread does). */
  numWorkers?: number;
  /** Merges a list of samples into a batch; a module reference when numWorkers > 0. */
  collateFn?: ((batch: T[]) => B) | ModuleRef;
  /** Drop the last batch when it is short. */
  dropLast?: boolean;
  /** The generator of the shuffle and of the workers' base seed (default: the global generator). */
  generator?: Generator;
  /** Batches in flight per worker (default 2; only with numWorkers > 0). */
  prefetchFactor?: number;
  /** Keep the workers (and their datasets) from one epoch to the next. */
  persistentWorkers?: boolean;
  /** Called in each worker with its id after seeding and before loading: a module reference. */
  workerInitFn?: ModuleRef;
}

const OPTION_NAMES = new Set([
  'batchSize', 'shuffle', 'sampler', 'batchSampler', 'numWorkers', 'collateFn', 'dropLast', 'generator',
  'prefetchFactor', 'persistentWorkers', 'workerInitFn',
]);

/** The worker entry point, run through ts-node when torchlet itself runs from its TypeScript sources. */
function workerEntry(): { file: string; ts: boolean } {
  const ext = path.extname(__filename);
  return { file: path.join(__dirname, `worker${ext}`), ts: ext === '.ts' };
}

function formatError(e: WorkerError, workerId: number): Error {
  const Ctor = ({ TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError } as Record<string, ErrorConstructor>)[e.name] ?? Error;
  const where = e.sample === null ? '' : ` while loading sample index ${e.sample}`;
  const err = new Ctor(`Caught ${e.name} in DataLoader worker ${workerId}${where}: ${e.message}\nOriginal stack in the worker:\n${e.stack}`);
  return Object.assign(err, { workerId, sampleIndex: e.sample, workerStack: e.stack });
}

/** Worker threads with their result ports and the shared wake-up counter. */
class WorkerPool {
  readonly workers: Worker[] = [];
  readonly ports: MessagePort[] = [];
  readonly signal: Int32Array;
  private closed = false;

  constructor(numWorkers: number, setup: Omit<WorkerSetup, 'id' | 'port' | 'signal'>) {
    this.signal = new Int32Array(new SharedArrayBuffer(4 * (1 + numWorkers)));
    const { file, ts } = workerEntry();
    const needsTs = ts || /\.[cm]?ts$/.test(setup.dataset.module);
    for (let id = 0; id < numWorkers; id++) {
      const { port1, port2 } = new MessageChannel();
      const workerData = { torchletDataLoader: { ...setup, id, signal: this.signal.buffer, port: port2 } };
      const w = needsTs
        ? new Worker(`require(${JSON.stringify(require.resolve('ts-node/register/transpile-only'))}); require(${JSON.stringify(file)});`, {
            eval: true, workerData, transferList: [port2],
          })
        : new Worker(file, { workerData, transferList: [port2] });
      // Errors surface through the result port; an 'error' event only means the worker is gone (seen through signal).
      w.on('error', () => undefined);
      w.unref();
      this.workers.push(w);
      this.ports.push(port1);
    }
  }

  send(id: number, msg: TaskMessage): void {
    this.workers[id]!.postMessage(msg);
  }

  /** The next result of any worker, or undefined when none is waiting. */
  poll(): { id: number; msg: ResultMessage } | undefined {
    for (let id = 0; id < this.ports.length; id++) {
      const r = receiveMessageOnPort(this.ports[id]!);
      if (r) return { id, msg: r.message as ResultMessage };
    }
    return undefined;
  }

  /** The next message of one worker, or undefined. */
  pollWorker(id: number): ResultMessage | undefined {
    return receiveMessageOnPort(this.ports[id]!)?.message as ResultMessage | undefined;
  }

  exited(id: number): boolean {
    return Atomics.load(this.signal, 1 + id) !== 0;
  }

  /** Keeps the process alive while the main thread waits for a batch, and only then. */
  ref(on: boolean): void {
    for (const w of this.workers) {
      if (on) w.ref();
      else w.unref();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.workers.forEach((w) => {
      w.postMessage({ type: 'stop' } satisfies TaskMessage);
      void w.terminate();
    });
    this.ports.forEach((p) => p.close());
  }
}

/** A wait for the worker counter to move past `seen`: the coroutines below yield these. */
type Wait = number;

/** The cleanup of iterators dropped without being finished. */
const abandoned = new FinalizationRegistry<WorkerPool>((pool) => pool.close());

/** The common state of one pass (PyTorch's _BaseDataLoaderIter). */
abstract class LoaderIter<B> {
  protected samplerIter!: Iterator<unknown>;

  constructor(protected readonly loader: DataLoader<unknown, B>) {}

  /** A new pass over the index sampler. */
  protected resetSampler(): void {
    this.samplerIter = this.loader.indexSampler[Symbol.iterator]();
  }

  protected nextIndex(): IteratorResult<unknown> {
    return this.samplerIter.next();
  }

  /** The next batch: a coroutine yielding the waits it needs, so one body serves for...of and for await. */
  abstract step(): globalThis.Generator<Wait, IteratorResult<B>, void>;

  /** Ends the pass early (break / return). */
  abstract stop(): void;
}

class SingleProcessIter<B> extends LoaderIter<B> {
  private readonly fetcher: Fetcher;

  constructor(loader: DataLoader<unknown, B>) {
    super(loader);
    this.resetSampler();
    // PyTorch draws the worker base seed even without workers, which moves the generator's stream.
    randomInt64(loader.generator);
    this.fetcher = createFetcher(loader.dataset, loader.autoCollation, loader.collate, loader.dropLast);
  }

  // eslint-disable-next-line require-yield
  *step(): globalThis.Generator<Wait, IteratorResult<B>, void> {
    const r = this.nextIndex();
    if (r.done) return { done: true, value: undefined };
    try {
      return { done: false, value: this.fetcher.fetch(r.value) as B };
    } catch (e) {
      if (e instanceof StopFetching) return { done: true, value: undefined };
      throw e;
    }
  }

  stop(): void {}
}

interface TaskInfo {
  worker: number;
  result?: ResultMessage;
}

class MultiWorkerIter<B> extends LoaderIter<B> {
  readonly pool: WorkerPool;
  private sendIdx = 0;
  private rcvdIdx = 0;
  private tasks = new Map<number, TaskInfo>();
  private outstanding = 0;
  private status: boolean[] = [];
  private nextWorker = 0;
  private needsResume = false;
  private shutdown = false;
  private readonly token = {};

  constructor(loader: DataLoader<unknown, B>) {
    super(loader);
    this.resetSampler();
    const baseSeed = randomInt64(loader.generator);
    this.pool = new WorkerPool(loader.numWorkers, {
      dataset: loader.datasetRef!,
      collateFn: loader.collateRef,
      workerInitFn: loader.workerInitRef,
      autoCollation: loader.autoCollation,
      dropLast: loader.dropLast,
      baseSeed: baseSeed.toString(),
      numWorkers: loader.numWorkers,
    });
    abandoned.register(this, this.pool, this.token);
    this.reset(true);
  }

  /** A new pass (persistent workers): PyTorch's _reset; the workers are resumed at the first step. */
  reset(first = false): void {
    this.resetSampler();
    this.sendIdx = 0;
    this.rcvdIdx = 0;
    this.tasks = new Map();
    this.outstanding = 0;
    this.status = this.pool.workers.map(() => true);
    this.nextWorker = 0;
    this.needsResume = !first;
    this.shutdown = false;
    if (first) this.prime();
  }

  private prime(): void {
    for (let i = 0; i < this.loader.prefetchFactor * this.loader.numWorkers; i++) this.tryPutIndex();
  }

  private tryPutIndex(): void {
    const r = this.nextIndex();
    if (r.done) return;
    let id = -1;
    for (let k = 0; k < this.status.length; k++) {
      const w = this.nextWorker;
      this.nextWorker = (this.nextWorker + 1) % this.status.length;
      if (this.status[w]) {
        id = w;
        break;
      }
    }
    if (id < 0) return;
    this.pool.send(id, { type: 'task', idx: this.sendIdx, index: r.value });
    this.tasks.set(this.sendIdx, { worker: id });
    this.outstanding++;
    this.sendIdx++;
  }

  private checkAlive(): void {
    const dead = this.status.map((on, id) => (on && this.pool.exited(id) ? id : -1)).filter((id) => id >= 0);
    if (dead.length > 0) {
      this.close();
      throw new Error(`DataLoader worker (id(s) ${dead.join(', ')}) exited unexpectedly`);
    }
  }

  private *getData(): globalThis.Generator<Wait, { id: number; msg: ResultMessage }, void> {
    for (;;) {
      const seen = Atomics.load(this.pool.signal, 0);
      const r = this.pool.poll();
      if (r) return r;
      this.checkAlive();
      yield seen;
    }
  }

  private *resume(): globalThis.Generator<Wait, void, void> {
    this.pool.workers.forEach((_, id) => this.pool.send(id, { type: 'resume' }));
    // Results of the abandoned pass still in the ports come first: drop them up to each worker's acknowledgement.
    for (let id = 0; id < this.pool.workers.length; id++) {
      for (;;) {
        const seen = Atomics.load(this.pool.signal, 0);
        const m = this.pool.pollWorker(id);
        if (m?.type === 'resumed') break;
        if (m) continue;
        if (this.pool.exited(id)) throw new Error(`DataLoader worker (id(s) ${id}) exited unexpectedly`);
        yield seen;
      }
    }
    this.prime();
  }

  *step(): globalThis.Generator<Wait, IteratorResult<B>, void> {
    if (this.shutdown) return { done: true, value: undefined };
    if (this.needsResume) {
      this.needsResume = false;
      yield* this.resume();
    }
    for (;;) {
      while (this.rcvdIdx < this.sendIdx) {
        const info = this.tasks.get(this.rcvdIdx)!;
        if (info.result !== undefined || this.status[info.worker]) break;
        this.tasks.delete(this.rcvdIdx);
        this.rcvdIdx++;
      }
      if (this.rcvdIdx >= this.sendIdx) {
        this.finish();
        return { done: true, value: undefined };
      }
      const info = this.tasks.get(this.rcvdIdx)!;
      if (info.result !== undefined) {
        this.tasks.delete(this.rcvdIdx);
        return this.process(info.result, info.worker);
      }
      const { id, msg } = yield* this.getData();
      if (msg.type === 'resumed') continue;
      this.outstanding--;
      if (msg.type === 'ended') {
        // An iterable dataset's copy in that worker is exhausted: no more tasks for it this pass.
        this.status[id] = false;
        this.tryPutIndex();
        continue;
      }
      if (msg.idx !== this.rcvdIdx) {
        this.tasks.get(msg.idx)!.result = msg;
        continue;
      }
      this.tasks.delete(msg.idx);
      return this.process(msg, id);
    }
  }

  private process(msg: ResultMessage, worker: number): IteratorResult<B> {
    this.rcvdIdx++;
    this.tryPutIndex();
    if (msg.type === 'error') {
      // A failed batch ends the pass (the workers stop, unless persistent), so a throwing for...of leaves no threads behind.
      this.finish();
      throw formatError(msg.error, worker);
    }
    return { done: false, value: unpack((msg as { data: unknown }).data) as B };
  }

  /** The end of a pass: persistent workers wait for the next one, others are stopped. */
  private finish(): void {
    this.shutdown = true;
    if (!this.loader.persistentWorkers) this.close();
  }

  stop(): void {
    this.finish();
  }

  close(): void {
    this.shutdown = true;
    abandoned.unregister(this.token);
    this.pool.close();
  }
}

/** Runs a step coroutine to its result, blocking on the worker counter (for...of). */
function runSync<B>(co: globalThis.Generator<Wait, IteratorResult<B>, void>, signal: Int32Array | null): IteratorResult<B> {
  for (let r = co.next(); ; r = co.next()) {
    if (r.done) return r.value;
    Atomics.wait(signal!, 0, r.value, 100);
  }
}

/** Atomics.waitAsync (ES2024; Node has it since 16). */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, i: number, v: number, ms: number): { async: boolean; value: Promise<unknown> | string };
}).waitAsync;

/** Runs a step coroutine to its result, awaiting the worker counter without blocking the event loop. */
async function runAsync<B>(co: globalThis.Generator<Wait, IteratorResult<B>, void>, pool: WorkerPool | null): Promise<IteratorResult<B>> {
  for (let r = co.next(); ; r = co.next()) {
    if (r.done) return r.value;
    // The workers are referenced only while the main thread waits for them, so an idle loader never holds the process.
    pool!.ref(true);
    try {
      const w = waitAsync(pool!.signal, 0, r.value, 100);
      if (w.async) await w.value;
    } finally {
      pool!.ref(false);
    }
  }
}

/**
 * Iterates a dataset in batches, as torch.utils.data.DataLoader. Options follow PyTorch's keyword arguments
 * (camelCased) with its mutual exclusions. With numWorkers > 0, batches are loaded and collated in worker
 * threads: pass the dataset as a module reference (`{ module, exportName, args }` or data.workerDataset(...)),
 * since objects and functions do not cross threads; index batches are dealt to the workers round-robin and
 * the results come back in sampler order, so the batches are those of numWorkers 0 under the same seed.
 * `for await` yields to the event loop between batches (setImmediate), so a server keeps answering.
 * @throws TypeError / RangeError naming DataLoader and the option, in PyTorch's words
 * @example for (const [x, y] of new DataLoader(new TensorDataset(xs, ys), { batchSize: 64, shuffle: true })) { ... }
 */
export class DataLoader<T, B = Collated<T>> implements Iterable<B>, AsyncIterable<B> {
  /** The dataset on this thread (constructed here too when given as a module reference). */
  readonly dataset: AnyDataset<T>;
  /** The module reference the workers construct the dataset from, if given as one. */
  readonly datasetRef: ModuleRef | null;
  readonly batchSize: number | null;
  readonly dropLast: boolean;
  readonly sampler: Iterable<number> & { readonly length?: number };
  readonly batchSampler: (Iterable<number[]> & { readonly length?: number }) | null;
  readonly numWorkers: number;
  readonly prefetchFactor: number;
  readonly persistentWorkers: boolean;
  readonly generator?: Generator;
  readonly collate: CollateFn;
  readonly collateRef: ModuleRef | null;
  readonly workerInitRef: ModuleRef | null;
  private persistentIter: MultiWorkerIter<B> | null = null;

  constructor(dataset: AnyDataset<T> | ModuleRef, options: DataLoaderOptions<T, B> = {}) {
    const o = checkOptions('DataLoader', options);
    for (const k of Object.keys(o)) {
      if (!OPTION_NAMES.has(k)) throw new TypeError(`DataLoader: got an unexpected option '${k}' (have ${[...OPTION_NAMES].join(', ')})`);
    }
    const bool = (name: string, pyName: string, v: unknown): boolean => {
      if (v !== undefined && typeof v !== 'boolean') throw new TypeError(`DataLoader: expected a boolean for '${name}' (${pyName}) but received ${describe(v)}`);
      return v ?? false;
    };
    const numWorkers = o.numWorkers ?? 0;
    if (typeof numWorkers !== 'number' || !Number.isInteger(numWorkers)) {
      throw new TypeError(`DataLoader: expected an integer for 'numWorkers' (num_workers) but received ${describe(numWorkers)}`);
    }
    if (numWorkers < 0) throw new RangeError('DataLoader: num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.');
    const prefetchFactor = o.prefetchFactor ?? 2;
    if (typeof prefetchFactor !== 'number') throw new TypeError(`DataLoader: expected an integer for 'prefetchFactor' (prefetch_factor) but received ${describe(prefetchFactor)}`);
    if (numWorkers === 0 && prefetchFactor !== 2) {
      throw new RangeError('DataLoader: prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 to enable multiprocessing.');
    }
    checkPositive('DataLoader', 'prefetch_factor', prefetchFactor);
    const persistentWorkers = bool('persistentWorkers', 'persistent_workers', o.persistentWorkers);
    if (persistentWorkers && numWorkers === 0) throw new RangeError('DataLoader: persistent_workers option needs num_workers > 0');
    if (o.generator !== undefined && !(o.generator instanceof Generator)) {
      throw new TypeError(`DataLoader: expected a torch.Generator for 'generator' but received ${describe(o.generator)}`);
    }

    if (isModuleRef(dataset)) {
      this.datasetRef = dataset;
      this.dataset = loadDataset('DataLoader', dataset) as AnyDataset<T>;
    } else if (dataset instanceof Dataset || dataset instanceof IterableDataset) {
      if (numWorkers > 0) {
        throw new TypeError(
          `DataLoader: numWorkers > 0 needs the dataset as a module reference ({ module, exportName, args } or data.workerDataset(...)), since ${describe(dataset)} cannot cross threads`,
        );
      }
      this.datasetRef = null;
      this.dataset = dataset;
    } else {
      throw new TypeError(`DataLoader: expected a Dataset, an IterableDataset or a module reference for 'dataset' but received ${describe(dataset)}`);
    }

    let shuffle: boolean | undefined = o.shuffle;
    if (shuffle !== undefined) bool('shuffle', 'shuffle', shuffle);
    let sampler = o.sampler;
    let batchSampler = o.batchSampler ?? null;
    let batchSize = o.batchSize === undefined ? 1 : o.batchSize;
    let dropLast = bool('dropLast', 'drop_last', o.dropLast);
    const iterable = (v: unknown): boolean => v !== null && typeof v === 'object' && typeof (v as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function';
    if (sampler !== undefined && !iterable(sampler)) throw new TypeError(`DataLoader: expected a Sampler or another iterable of indices for 'sampler' but received ${describe(sampler)}`);
    if (o.batchSampler !== undefined && !iterable(o.batchSampler)) {
      throw new TypeError(`DataLoader: expected a Sampler or another iterable of index lists for 'batchSampler' but received ${describe(o.batchSampler)}`);
    }
    if (this.dataset instanceof IterableDataset) {
      if (shuffle !== undefined && shuffle !== false) throw new RangeError(`DataLoader: DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle=${shuffle ? 'True' : 'False'}`);
      if (sampler !== undefined) throw new RangeError(`DataLoader: DataLoader with IterableDataset: expected unspecified sampler option, but got sampler=${describe(sampler)}`);
      if (o.batchSampler !== undefined) {
        throw new RangeError(`DataLoader: DataLoader with IterableDataset: expected unspecified batch_sampler option, but got batch_sampler=${describe(o.batchSampler)}`);
      }
    }
    shuffle = shuffle ?? false;
    if (sampler !== undefined && shuffle) throw new RangeError('DataLoader: sampler option is mutually exclusive with shuffle');
    if (batchSampler !== null) {
      if (batchSize !== 1 || shuffle || sampler !== undefined || dropLast) {
        throw new RangeError('DataLoader: batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last');
      }
      batchSize = null;
      dropLast = false;
    } else if (batchSize === null) {
      if (dropLast) throw new RangeError('DataLoader: batch_size=None option disables auto-batching and is mutually exclusive with drop_last');
    } else {
      checkPositive('DataLoader', 'batch_size', batchSize);
    }
    if (sampler === undefined) {
      if (this.dataset instanceof IterableDataset) sampler = infiniteConstantSampler();
      else sampler = shuffle ? new RandomSampler(this.dataset, { generator: o.generator }) : new SequentialSampler(this.dataset);
    }
    if (batchSize !== null && batchSampler === null) batchSampler = new BatchSampler(sampler, batchSize, dropLast);

    const fn = (name: string, v: unknown): ModuleRef | null => {
      if (v === undefined || v === null) return null;
      if (isModuleRef(v)) return v;
      if (typeof v === 'function') {
        if (numWorkers > 0) throw new TypeError(`DataLoader: with numWorkers > 0, '${name}' must be a module reference ({ module, exportName }), since functions cannot cross threads`);
        return null;
      }
      throw new TypeError(`DataLoader: expected a function or a module reference for '${name}' but received ${describe(v)}`);
    };
    this.collateRef = fn('collateFn', o.collateFn);
    this.workerInitRef = fn('workerInitFn', o.workerInitFn);
    if (typeof o.workerInitFn === 'function') throw new TypeError("DataLoader: 'workerInitFn' must be a module reference ({ module, exportName }), since it runs in the worker threads");
    const auto = batchSampler !== null;
    this.collate = (typeof o.collateFn === 'function'
      ? o.collateFn
      : this.collateRef
        ? loadFunction('DataLoader', 'collateFn', this.collateRef)
        : auto
          ? defaultCollate
          : defaultConvert) as CollateFn;

    this.batchSize = batchSize;
    this.dropLast = dropLast;
    this.sampler = sampler;
    this.batchSampler = batchSampler;
    this.numWorkers = numWorkers;
    this.prefetchFactor = prefetchFactor;
    this.persistentWorkers = persistentWorkers;
    this.generator = o.generator;
  }

  /** Whether samples are batched (a batch sampler is in use), as _auto_collation. */
  get autoCollation(): boolean {
    return this.batchSampler !== null;
  }

  /** What the iterator draws from: the batch sampler, or the sampler without batching. */
  get indexSampler(): Iterable<unknown> & { readonly length?: number } {
    return this.batchSampler ?? this.sampler;
  }

  /** Batches per epoch (for an IterableDataset, its length over the batch size), as len(dataloader). */
  get length(): number {
    if (this.dataset instanceof IterableDataset) {
      const n = (this.dataset as unknown as { length?: unknown }).length;
      if (typeof n !== 'number') throw new TypeError(`DataLoader: object of type '${this.dataset.constructor.name}' has no len()`);
      if (this.batchSize === null) return n;
      return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
    }
    const n = this.indexSampler.length;
    if (typeof n !== 'number') throw new TypeError('DataLoader: the sampler has no length');
    return n;
  }

  private makeIter(): LoaderIter<B> {
    if (this.numWorkers === 0) return new SingleProcessIter(this as DataLoader<unknown, B>);
    if (!this.persistentWorkers) return new MultiWorkerIter(this as DataLoader<unknown, B>);
    if (this.persistentIter === null) this.persistentIter = new MultiWorkerIter(this as DataLoader<unknown, B>);
    else this.persistentIter.reset();
    return this.persistentIter;
  }

  /** Stops persistent workers (others stop at the end of each pass). The loader can be iterated again after. */
  close(): void {
    this.persistentIter?.close();
    this.persistentIter = null;
  }

  [Symbol.iterator](): Iterator<B> {
    const it = this.makeIter();
    const signal = it instanceof MultiWorkerIter ? it.pool.signal : null;
    return {
      next: (): IteratorResult<B> => runSync(it.step(), signal),
      return: (): IteratorResult<B> => {
        it.stop();
        return { done: true, value: undefined };
      },
    };
  }

  [Symbol.asyncIterator](): AsyncIterator<B> {
    const it = this.makeIter();
    const pool = it instanceof MultiWorkerIter ? it.pool : null;
    return {
      next: async (): Promise<IteratorResult<B>> => {
        // Let the event loop run (timers, I/O, requests) before each batch.
        await new Promise<void>((resolve) => setImmediate(resolve));
        return runAsync(it.step(), pool);
      },
      return: async (): Promise<IteratorResult<B>> => {
        it.stop();
        return { done: true, value: undefined };
      },
    };
  }
}

/** The sampler of an IterableDataset: endless nulls (the dataset decides when to stop), as _InfiniteConstantSampler. */
function infiniteConstantSampler(): Iterable<number> {
  return {
    *[Symbol.iterator](): Iterator<number> {
      for (;;) yield null as unknown as number;
    },
  };
}

