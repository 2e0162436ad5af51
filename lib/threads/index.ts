/**
 * torchlet.threads (also torchlet.multiprocessing): tensors and state dicts across worker_threads, shared-memory
 * parameters, and training in a worker so that a Node service keeps answering while a model trains.
 *
 * Thread counts: OpenBLAS's pool and torchlet's kernel pool are process-wide, so setNumThreads in any thread sets
 * the count for every thread. Two threads running kernels at once do not oversubscribe the kernel pool: a parallel
 * region that starts while another runs executes serially on its caller. With 2 cores, a worker training with
 * numThreads 1 and the main thread answering requests use one core each.
 */
export { pack, unpack, post } from './transfer';
export type { PackOptions, PackedMessage } from './transfer';
export { runTraining, TrainingHandle } from './training';
export type { RunTrainingOptions, TrainingResult } from './training';
export { reportProgress, isCancelled, postStateDict, watch } from './worker';
export type { TrainingContext } from './worker';
export { useSharedStateDict } from './shared';
