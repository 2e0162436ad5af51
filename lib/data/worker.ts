/**
 * The entry point of a DataLoader worker thread, as torch.utils.data._utils.worker._worker_loop: seeds the global
 * generator with baseSeed + id, loads its own dataset (and collate / init functions) from their modules, then
 * answers index tasks with collated batches on its result port, in the order they come.
 */
import { parentPort, workerData } from 'worker_threads';
import type { MessagePort } from 'worker_threads';

import { manualSeed } from '../random';
import { defaultCollate, defaultConvert } from './collate';
import { createFetcher, StopFetching } from './fetch';
import type { CollateFn, Fetcher } from './fetch';
import { loadDataset, loadFunction } from './module_ref';
import type { ModuleRef } from './module_ref';
import { pack } from '../threads/transfer';
import { setWorkerInfo } from './worker_info';

/** What the DataLoader gives each worker. */
export interface WorkerSetup {
  readonly dataset: ModuleRef;
  readonly collateFn: ModuleRef | null;
  readonly workerInitFn: ModuleRef | null;
  readonly autoCollation: boolean;
  readonly dropLast: boolean;
  /** The base seed as a decimal string (it is a 63-bit integer). */
  readonly baseSeed: string;
  readonly id: number;
  readonly numWorkers: number;
  /** [0]: a counter bumped after every message posted on `port`; [1 + id]: set when worker id exits. */
  readonly signal: SharedArrayBuffer;
  readonly port: MessagePort;
}

export type TaskMessage = { type: 'task'; idx: number; index: unknown } | { type: 'resume' } | { type: 'stop' };

export interface WorkerError {
  readonly name: string;
  readonly message: string;
  readonly stack: string;
  readonly sample: number | null;
}

export type ResultMessage =
  | { type: 'data'; idx: number; data: unknown }
  | { type: 'error'; idx: number; error: WorkerError }
  | { type: 'ended'; idx: number }
  | { type: 'resumed' };

function errorRecord(e: unknown, sample: number | null): WorkerError {
  const err = e instanceof Error ? e : new Error(String(e));
  return { name: err.name, message: err.message, stack: err.stack ?? `${err.name}: ${err.message}`, sample };
}

function run(setup: WorkerSetup): void {
  const signal = new Int32Array(setup.signal);
  const post = (msg: ResultMessage, transferList: ArrayBuffer[] = []): void => {
    setup.port.postMessage(msg, transferList);
    // After the post, so that a main thread woken by the counter finds the message on the port.
    Atomics.add(signal, 0, 1);
    Atomics.notify(signal, 0);
  };
  process.on('exit', () => {
    Atomics.store(signal, 1 + setup.id, 1);
    Atomics.add(signal, 0, 1);
    Atomics.notify(signal, 0);
  });

  const seed = BigInt(setup.baseSeed) + BigInt(setup.id);
  manualSeed(seed);
  let fetcher: Fetcher | null = null;
  let initError: WorkerError | null = null;
  let makeFetcher = (): Fetcher => {
    throw new Error('unreachable');
  };
  try {
    const dataset = loadDataset('DataLoader worker', setup.dataset);
    setWorkerInfo({ id: setup.id, numWorkers: setup.numWorkers, seed, dataset });
    const collate = (setup.collateFn ? loadFunction('DataLoader worker', 'collateFn', setup.collateFn) : setup.autoCollation ? defaultCollate : defaultConvert) as CollateFn;
    makeFetcher = () => createFetcher(dataset, setup.autoCollation, collate, setup.dropLast);
    if (setup.workerInitFn) loadFunction('DataLoader worker', 'workerInitFn', setup.workerInitFn)(setup.id);
    fetcher = makeFetcher();
  } catch (e) {
    initError = errorRecord(e, null);
  }

  let ended = false;
  parentPort!.on('message', (msg: TaskMessage) => {
    if (msg.type === 'stop') {
      parentPort!.close();
      setup.port.close();
      return;
    }
    if (msg.type === 'resume') {
      ended = false;
      try {
        if (!initError) fetcher = makeFetcher();
      } catch (e) {
        initError = errorRecord(e, null);
      }
      post({ type: 'resumed' });
      return;
    }
    if (ended) return;
    if (initError || !fetcher) {
      post({ type: 'error', idx: msg.idx, error: initError ?? errorRecord(new Error('no fetcher'), null) });
      initError = null;
      return;
    }
    let data: unknown;
    try {
      data = fetcher.fetch(msg.index);
    } catch (e) {
      if (e instanceof StopFetching) {
        ended = true;
        post({ type: 'ended', idx: msg.idx });
      } else {
        post({ type: 'error', idx: msg.idx, error: errorRecord(e, fetcher.current) });
      }
      return;
    }
    try {
      const { message, transferList } = pack(data);
      post({ type: 'data', idx: msg.idx, data: message }, transferList);
    } catch (e) {
      post({ type: 'error', idx: msg.idx, error: errorRecord(e, null) });
    }
  });
}

if (parentPort && workerData && (workerData as { torchletDataLoader?: WorkerSetup }).torchletDataLoader) {
  run((workerData as { torchletDataLoader: WorkerSetup }).torchletDataLoader);
}
