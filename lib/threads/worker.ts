/**
 * The training worker's side of runTraining: what a training module calls from inside the worker thread
 * (reportProgress, isCancelled, postStateDict, the cancellation signal). The bootstrap (worker_main.ts) sets the
 * context before it calls the module's training function; outside a training worker these functions throw.
 */
import { parentPort } from 'worker_threads';

import type { Tensor } from '../tensor';
import type { Module, StateDict } from '../nn/modules/module';
import { pack } from './transfer';

/** What the worker posts to the thread that started it. */
export type WorkerMessage =
  | { readonly type: 'progress'; readonly value: unknown }
  | { readonly type: 'stateDict'; readonly message: unknown }
  | { readonly type: 'result'; readonly message: unknown }
  | { readonly type: 'error'; readonly name: string; readonly message: string; readonly stack: string | undefined };

/** What the bootstrap hands to the training function (also reachable through the functions below). */
export interface TrainingContext {
  /** The arguments given to runTraining (tensors rebuilt; shared ones are the caller's memory). */
  readonly args: unknown;
  /** Aborted once the caller cancels (seen at the next isCancelled()/reportProgress(), or when the worker awaits). */
  readonly signal: AbortSignal;
  reportProgress(value: unknown): void;
  isCancelled(): boolean;
  postStateDict(stateDict: StateDict | Record<string, Tensor>): void;
  watch(module: Module): void;
}

interface State {
  readonly cancelFlag: Int32Array;
  readonly controller: AbortController;
  readonly stateDictEvery: number;
  reports: number;
  watched: Module | null;
}

let state: State | null = null;

function current(op: string): State {
  if (state === null) throw new Error(`threads.${op}: only available inside a training worker started by threads.runTraining`);
  return state;
}

function send(m: WorkerMessage, transferList: ArrayBuffer[] = []): void {
  parentPort!.postMessage(m, transferList);
}

/** @internal Called once by the bootstrap. */
export function startContext(args: unknown, cancelFlag: Int32Array, stateDictEvery: number): TrainingContext {
  const controller = new AbortController();
  state = { cancelFlag, controller, stateDictEvery, reports: 0, watched: null };
  // Seen whenever the training function awaits; a synchronous loop sees the flag through isCancelled().
  parentPort!.on('message', (m: unknown) => {
    if (m === 'cancel') isCancelled();
  });
  return { args, signal: controller.signal, reportProgress, isCancelled, postStateDict, watch };
}

/** @internal The module given to watch(), whose state dict goes with the final result. */
export function watchedModule(): Module | null {
  return state?.watched ?? null;
}

/**
 * Whether the thread that started this training asked it to stop (handle.cancel()). A synchronous training loop
 * should check it every step; once true, the context's signal is aborted too.
 * @example for (const batch of loader) { if (threads.isCancelled()) break; ... }
 */
export function isCancelled(): boolean {
  const s = current('isCancelled');
  // An Atomics flag, not a message: a synchronous loop never lets the worker's event loop deliver one.
  if (Atomics.load(s.cancelFlag, 0) === 0) return false;
  if (!s.controller.signal.aborted) s.controller.abort(new Error('training cancelled'));
  return true;
}

/**
 * Sends a progress report (any structured-cloneable value, tensors included) to the handle's 'progress' event.
 * With runTraining's stateDictEvery = n and a watched module, every n-th report also posts its state dict.
 * @example threads.reportProgress({ step, loss: loss.item() })
 */
export function reportProgress(value: unknown): void {
  const s = current('reportProgress');
  const { message, transferList } = pack(value);
  send({ type: 'progress', value: message }, transferList);
  s.reports++;
  if (s.watched && s.stateDictEvery > 0 && s.reports % s.stateDictEvery === 0) postStateDict(s.watched.stateDict());
  isCancelled();
}

/**
 * Sends a state dict to the handle's 'stateDict' event (and its latestStateDict). Values are copied, except shared
 * ones (Module.shareMemory()), which the other thread then reads live.
 * @example threads.postStateDict(model.stateDict())
 */
export function postStateDict(stateDict: StateDict | Record<string, Tensor>): void {
  current('postStateDict');
  const { message, transferList } = pack(stateDict);
  send({ type: 'stateDict', message }, transferList);
}

/**
 * Names the module being trained: its state dict is posted every stateDictEvery reports and goes with the final
 * result.
 * @example threads.watch(model)
 */
export function watch(module: Module): void {
  current('watch').watched = module;
}
