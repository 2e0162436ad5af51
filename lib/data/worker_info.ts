/** The state of a DataLoader worker thread, as torch.utils.data.get_worker_info. */
import type { AnyDataset } from './dataset';

/** What getWorkerInfo() returns inside a worker. */
export interface WorkerInfo {
  /** The worker's id, in [0, numWorkers). */
  readonly id: number;
  readonly numWorkers: number;
  /** baseSeed + id: the worker's global generator was seeded with it. */
  readonly seed: bigint;
  /** This worker's own copy of the dataset. */
  readonly dataset: AnyDataset<unknown>;
}

let current: WorkerInfo | null = null;

/**
 * Inside a DataLoader worker, its id, the worker count, its seed and its copy of the dataset; null on the main
 * thread, as torch.utils.data.get_worker_info.
 * @example const info = data.getWorkerInfo(); if (info) start += info.id * perWorker;
 */
export function getWorkerInfo(): WorkerInfo | null {
  return current;
}

/** Set once by the worker entry point. */
export function setWorkerInfo(info: WorkerInfo): void {
  current = Object.freeze({ ...info });
}
