/**
 * The training worker's entry point (runTraining starts it): sets the thread count, loads the training module in
 * this thread, calls its training function with a TrainingContext, and posts the result or the error back.
 */
import * as os from 'os';
import * as path from 'path';
import { parentPort, workerData } from 'worker_threads';

import { setNumThreads } from '../backend/kernels';
// Every Tensor method attached before the training module (or the args it receives) needs one.
import '../index';
import { pack, unpack } from './transfer';
import { startContext, watchedModule } from './worker';
import type { WorkerMessage } from './worker';

interface Data {
  readonly modulePath: string;
  readonly exportName: string | undefined;
  readonly args: unknown;
  readonly cancelFlag: Int32Array;
  readonly numThreads: number | undefined;
  readonly niceness: number;
  readonly stateDictEvery: number;
}

type TrainFn = (args: unknown, ctx: ReturnType<typeof startContext>) => unknown;

function post(m: WorkerMessage, transferList: ArrayBuffer[] = []): void {
  parentPort!.postMessage(m, transferList);
}

async function main(): Promise<void> {
  const d = workerData as Data;
  if (d.numThreads !== undefined) setNumThreads(d.numThreads);
  // os.setPriority(0, n) is setpriority(PRIO_PROCESS, 0, n): on Linux it sets this thread's niceness only.
  if (d.niceness !== 0) {
    try {
      os.setPriority(0, d.niceness);
    } catch (e) {
      if (d.niceness < 0) throw new RangeError(`runTraining: cannot set niceness ${d.niceness} (${(e as Error).message}); negative values need privileges`);
    }
  }
  const ctx = startContext(unpack(d.args), d.cancelFlag, d.stateDictEvery);
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const mod = require(d.modulePath) as Record<string, unknown>;
  const name = d.exportName ?? (typeof mod.default === 'function' ? 'default' : 'train');
  const fn = mod[name];
  if (typeof fn !== 'function') {
    const have = Object.keys(mod).filter((k) => typeof mod[k] === 'function');
    throw new TypeError(
      `runTraining: ${path.basename(d.modulePath)} exports no function '${name}' (it exports ${have.length ? have.map((k) => `'${k}'`).join(', ') : 'no functions'}); export default or train(args, ctx), or pass { exportName }`,
    );
  }
  const value = await (fn as TrainFn)(ctx.args, ctx);
  const model = watchedModule();
  // The worker is done with its tensors: move them instead of copying (shared ones stay shared).
  const { message, transferList } = pack({ value, stateDict: model ? model.stateDict() : null, cancelled: ctx.isCancelled() }, { transfer: true });
  post({ type: 'result', message }, transferList);
}

main().catch((e: unknown) => {
  const err = e instanceof Error ? e : new Error(String(e));
  post({ type: 'error', name: err.name, message: err.message, stack: err.stack });
});
