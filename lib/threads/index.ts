/**
 * torchlet.threads (also torchlet.multiprocessing): tensors and state dicts across worker_threads, shared-memory
 * parameters, and training in a worker so that a Node service keeps answering while a model trains.
 */
export { pack, unpack, post } from './transfer';
export type { PackOptions, PackedMessage } from './transfer';
