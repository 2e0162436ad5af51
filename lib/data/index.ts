/**
 * torchlet.data, as torch.utils.data: datasets (map-style Dataset with getItem/length, IterableDataset,
 * TensorDataset, Subset, ConcatDataset, randomSplit), samplers with PyTorch's index streams, default collation,
 * and a DataLoader that loads on the main thread or in worker threads.
 */
export { Dataset, IterableDataset, TensorDataset, Subset, ConcatDataset, randomSplit } from './dataset';
export type { AnyDataset } from './dataset';
export { Sampler, SequentialSampler, RandomSampler, SubsetRandomSampler, WeightedRandomSampler, BatchSampler } from './sampler';
export type { Sized, RandomSamplerOptions, WeightedRandomSamplerOptions } from './sampler';
export { defaultCollate, defaultConvert } from './collate';
export type { Collated } from './collate';
export { DataLoader } from './dataloader';
export type { DataLoaderOptions } from './dataloader';
export { workerDataset } from './module_ref';
export type { ModuleRef } from './module_ref';
export { getWorkerInfo } from './worker_info';
export type { WorkerInfo } from './worker_info';
export { DistributedSampler, type DistributedSamplerOptions } from './distributed_sampler';
