/** torchlet.nn.parallel: data-parallel training across processes, as torch.nn.parallel. */
export { DistributedDataParallel } from './distributed';
export type { DistributedDataParallelOptions } from './distributed';
