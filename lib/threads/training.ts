/**
 * runTraining: trains in a worker_thread so the event loop of the thread that asked stays free (a training step is
 * synchronous native work; on the main thread of a service it stalls every request).
 */
import { EventEmitter } from 'events';
import * as path from 'path';
import { Worker } from 'worker_threads';
import type { WorkerOptions } from 'worker_threads';

import type { StateDict } from '../nn/modules/module';
import { maxThreads } from '../backend/kernels';
import { checkInt, checkOptions, describe } from '../validate';
import { pack, unpack } from './transfer';
import type { WorkerMessage } from './worker';

/** The options of runTraining: the arguments, the export to call, the worker's thread count and Node options. | */
export interface RunTrainingOptions {
  /** Passed to the training function (tensors rebuilt in the worker; shared ones stay shared). */
  args?: unknown;
  /** The export to call (default: `default`, else `train`). */
  exportName?: string;
  /**
   * setNumThreads(numThreads) in the worker before training. The thread pools are process-wide (see setNumThreads),
   * so this is also the count the calling thread's ops use.
   */
  numThreads?: number;
  /**
   * The worker thread's niceness, -20 to 19 (default 0: the caller's). On Linux each thread has its own, so
   * `niceness: 10` makes the kernel run the caller's thread (a server answering requests) first whenever both want a
   * core, and training takes what is left. Set with os.setPriority in the worker; raising priority (a negative
   * value) needs privileges, and an unsupported platform ignores it.
   */
  niceness?: number;
  /** With a watched module (threads.watch), post its state dict every this many progress reports (0: never). */
  stateDictEvery?: number;
  /** Node options for the worker (default: the parent's execArgv, plus ts-node for a .ts module). */
  execArgv?: string[];
}

/** What the result promise resolves with. */
export interface TrainingResult {
  /** What the training function returned (tensors moved here, not copied). */
  readonly value: unknown;
  /** The watched module's final state dict, or null when none was watched. */
  readonly stateDict: StateDict | null;
  /** Whether the training function returned after a cancel(). */
  readonly cancelled: boolean;
}

/**
 * A running training worker. Events: 'progress' (the value the worker reported), 'stateDict' (a state dict it
 * posted). `for await (const p of handle)` iterates the progress reports until training ends.
 */
export class TrainingHandle extends EventEmitter {
  /** Resolves once the worker has finished and exited; rejects with the worker's error (its stack kept). */
  readonly result: Promise<TrainingResult>;
  /** The last state dict the worker posted, or null. */
  latestStateDict: StateDict | null = null;
  /** The last progress report, or undefined. */
  latestProgress: unknown = undefined;
  readonly #worker: Worker;
  readonly #cancelFlag: Int32Array;
  #done = false;

  /** @internal Use runTraining. */
  constructor(worker: Worker, cancelFlag: Int32Array) {
    super();
    this.#worker = worker;
    this.#cancelFlag = cancelFlag;
    this.result = new Promise<TrainingResult>((resolve, reject) => {
      let outcome: { ok: true; value: TrainingResult } | { ok: false; error: Error } | null = null;
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'progress') {
          this.latestProgress = unpack(m.value);
          this.emit('progress', this.latestProgress);
        } else if (m.type === 'stateDict') {
          this.latestStateDict = unpack(m.message) as StateDict;
          this.emit('stateDict', this.latestStateDict);
        } else if (m.type === 'result') {
          outcome = { ok: true, value: unpack(m.message) as TrainingResult };
          // Its work is done; a handle the training module left open must not keep the worker (or jest) alive.
          void worker.terminate();
        } else {
          const e = new Error(m.message);
          e.name = m.name;
          e.stack = m.stack ?? `${m.name}: ${m.message}`;
          outcome = { ok: false, error: e };
          void worker.terminate();
        }
      });
      worker.on('error', (e) => {
        outcome ??= { ok: false, error: e };
      });
      worker.on('exit', (code) => {
        this.#done = true;
        this.emit('end');
        if (outcome === null) {
          reject(new Error(`runTraining: the worker stopped before it finished (exit code ${code}: terminated, or process.exit in the training module)`));
        } else if (outcome.ok) resolve(outcome.value);
        else reject(outcome.error);
      });
    });
    // The caller may only listen to events; an unobserved rejection is still theirs to see on `result`.
    this.result.catch(() => undefined);
  }

  /** The worker's threadId. */
  get threadId(): number {
    return this.#worker.threadId;
  }

  /**
   * Asks the training to stop: the worker's isCancelled() turns true and its signal aborts. The training function
   * decides when to return (result.cancelled is then true); terminate() stops it at once instead.
   */
  cancel(): void {
    Atomics.store(this.#cancelFlag, 0, 1);
    if (!this.#done) this.#worker.postMessage('cancel');
  }

  /** Stops the worker at once (the result promise rejects); resolves when it has exited. */
  async terminate(): Promise<void> {
    this.cancel();
    await this.#worker.terminate();
  }

  /** The progress reports, as they come, until training ends (errors surface on `result`, not here). */
  async *[Symbol.asyncIterator](): AsyncGenerator<unknown> {
    const queue: unknown[] = [];
    let wake: (() => void) | null = null;
    const onProgress = (p: unknown): void => {
      queue.push(p);
      wake?.();
    };
    const onEnd = (): void => wake?.();
    this.on('progress', onProgress);
    this.on('end', onEnd);
    try {
      for (;;) {
        if (queue.length) yield queue.shift();
        else if (this.#done) return;
        else await new Promise<void>((r) => (wake = r));
        wake = null;
      }
    } finally {
      this.off('progress', onProgress);
      this.off('end', onEnd);
    }
  }
}

// The worker runs the compiled entry next to this file; from TypeScript sources (tests, ts-node), under ts-node.
const ENTRY = path.join(__dirname, `worker_main${path.extname(__filename)}`);

// Node options that take their value as the next argument (the others are one argument each), and those that end
// the options with code of the parent's own (node -e CODE, node -p CODE).
const WITH_VALUE = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '-C', '--conditions']);
const CODE = /^(-e|-p|-pe|--eval|--print)(=|$)/;

/**
 * The parent's Node options for a worker: without what follows a script a launcher put there (ts-node's bin.js and
 * its flags) and without the code of `node -e` / `node -p`.
 * @internal exported for tests
 */
export function nodeOptions(execArgv: readonly string[] = process.execArgv): string[] {
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i]!;
    if (!a.startsWith('-') || CODE.test(a)) return execArgv.slice(0, i);
    if (WITH_VALUE.has(a)) i++;
  }
  return [...execArgv];
}

/**
 * Starts the worker. Node refuses process-wide options (V8 flags such as --max-old-space-size, --trace-gc,
 * --single-threaded-gc, --v8-pool-size) in a worker's execArgv, yet the worker has them anyway. When the options are
 * the parent's (`inherited`), the ones Node's refusal names are dropped and the worker started again; a caller's own
 * execArgv is the caller's to fix, so its refusal is thrown.
 */
function startWorker(options: WorkerOptions, inherited: boolean): Worker {
  const code = `require(${JSON.stringify(ENTRY)});`;
  try {
    return new Worker(code, { ...options, eval: true });
  } catch (e) {
    const m = /invalid execArgv flags: (.*)$/.exec((e as Error).message);
    if (!inherited || (e as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV' || m === null) throw e;
    const refused = new Set(m[1]!.split(', '));
    return new Worker(code, { ...options, eval: true, execArgv: options.execArgv!.filter((a) => !refused.has(a)) });
  }
}

/**
 * Runs a training function in a worker thread, as a module path (functions do not cross threads): the module
 * exports `default` or `train(args, ctx)`, which may be async; ctx (or the threads.* functions, inside the worker)
 * gives reportProgress, isCancelled, signal, postStateDict and watch.
 * @param modulePath the training module, absolute or relative to the working directory
 * @param options args, exportName, numThreads, niceness, stateDictEvery, execArgv
 * @returns a handle: progress events and iteration, cancel(), and `result`, which rejects with the worker's error
 * @throws TypeError/RangeError for bad options
 * @example
 * const run = threads.runTraining('./train.js', { args: { epochs: 2 }, numThreads: 1 });
 * run.on('progress', (p) => console.log(p));
 * const { stateDict } = await run.result;
 */
export function runTraining(modulePath: string, options?: RunTrainingOptions): TrainingHandle {
  if (typeof modulePath !== 'string' || modulePath === '') {
    throw new TypeError(`runTraining: expected a module path (string) for 'modulePath' but received ${describe(modulePath)}`);
  }
  const o = checkOptions('runTraining', options);
  if (o.exportName !== undefined && typeof o.exportName !== 'string') {
    throw new TypeError(`runTraining: expected a string for 'exportName' but received ${describe(o.exportName)}`);
  }
  const numThreads = o.numThreads === undefined ? undefined : checkInt('runTraining', 'numThreads', o.numThreads, 1, maxThreads());
  const stateDictEvery = o.stateDictEvery === undefined ? 0 : checkInt('runTraining', 'stateDictEvery', o.stateDictEvery, 0);
  const niceness = o.niceness === undefined ? 0 : checkInt('runTraining', 'niceness', o.niceness, -20, 19);
  if (o.execArgv !== undefined && !(Array.isArray(o.execArgv) && o.execArgv.every((a) => typeof a === 'string'))) {
    throw new TypeError(`runTraining: expected an array of strings for 'execArgv' but received ${describe(o.execArgv)}`);
  }
  const resolved = path.resolve(modulePath);
  // Packed before the worker starts, so a value that cannot cross threads fails here, in the caller's stack.
  const args = pack(o.args);
  const cancelFlag = new Int32Array(new SharedArrayBuffer(4));
  const ts = ENTRY.endsWith('.ts') || resolved.endsWith('.ts');
  const execArgv = o.execArgv ?? (ts ? [...nodeOptions(), '-r', 'ts-node/register/transpile-only'] : undefined);
  const worker = startWorker(
    {
      execArgv,
      workerData: { modulePath: resolved, exportName: o.exportName, args: args.message, cancelFlag, numThreads, niceness, stateDictEvery },
      transferList: args.transferList,
    },
    o.execArgv === undefined,
  );
  return new TrainingHandle(worker, cancelFlag);
}

