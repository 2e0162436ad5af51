/** DistributedSampler: each rank's share of a dataset's indices, as torch.utils.data.DistributedSampler. */
import { Generator, randperm } from '../random';
import { getRank, getWorldSize, isInitialized } from '../distributed';
import { checkBool, checkInt, checkOptions, describe } from '../validate';

/** The options of DistributedSampler, as torch.utils.data.DistributedSampler's keywords (camelCased). | */
export interface DistributedSamplerOptions {
  /** Number of ranks sharing the dataset (default: the default process group's world size). */
  numReplicas?: number;
  /** This rank, in [0, numReplicas) (default: the rank in the default process group). */
  rank?: number;
  /** Draw a new permutation each epoch from a generator seeded with seed + epoch (default true). */
  shuffle?: boolean;
  /** The seed every rank must share (default 0). */
  seed?: number;
  /** Drop the tail so every rank gets the same count without repeating samples (default false: pad). */
  dropLast?: boolean;
}

const KEYS = ['numReplicas', 'rank', 'shuffle', 'seed', 'dropLast'];

/** The default process group's size or rank, for an option left out. */
function fromGroup(name: string, get: () => number): number {
  if (!isInitialized()) {
    throw new Error(`DistributedSampler: '${name}' was not given and the default process group has not been initialized, please make sure to call distributed.initProcessGroup.`);
  }
  return get();
}

/**
 * The indices of the dataset this rank visits, as torch.utils.data.DistributedSampler: the same permutation on every
 * rank (randperm from a generator seeded with seed + epoch, or 0..n-1 unshuffled), padded by repeating its head to
 * a multiple of numReplicas (or trimmed with dropLast), of which rank r takes every numReplicas-th from r. Call
 * setEpoch(e) before each epoch, or every epoch repeats the same order.
 * @example const sampler = new data.DistributedSampler(ds); sampler.setEpoch(epoch); for (const i of sampler) ...
 */
export class DistributedSampler implements Iterable<number> {
  readonly numReplicas: number;
  readonly rank: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  /** Indices each rank gets per epoch. */
  readonly numSamples: number;
  /** numSamples * numReplicas: the padded (or trimmed) length of the permutation. */
  readonly totalSize: number;
  epoch = 0;
  private readonly size: number;

  /**
   * @param dataset anything with a length (a TensorDataset, an array)
   * @throws RangeError for a rank outside [0, numReplicas), in PyTorch's words; TypeError for a dataset without a length
   */
  constructor(readonly dataset: { readonly length: number }, options: DistributedSamplerOptions = {}) {
    const op = 'DistributedSampler';
    const o = checkOptions(op, options);
    const unknown = Object.keys(o).find((k) => !KEYS.includes(k));
    if (unknown !== undefined) throw new TypeError(`${op}: unexpected option '${unknown}' (expected ${KEYS.join(', ')})`);
    const n = (dataset as { length?: unknown } | null)?.length;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
      throw new TypeError(`${op}: expected a dataset with a length (a TensorDataset or an array) for 'dataset' but received ${describe(dataset)}`);
    }
    this.size = n;
    this.numReplicas = o.numReplicas === undefined ? fromGroup('numReplicas', getWorldSize) : checkInt(op, 'numReplicas', o.numReplicas, 1);
    const rank = o.rank === undefined ? fromGroup('rank', getRank) : checkInt(op, 'rank', o.rank);
    if (rank >= this.numReplicas || rank < 0) {
      throw new RangeError(`${op}: Invalid rank ${rank}, rank should be in the interval [0, ${this.numReplicas - 1}]`);
    }
    this.rank = rank;
    this.shuffle = checkBool(op, 'shuffle', o.shuffle, true);
    this.seed = o.seed === undefined ? 0 : checkInt(op, 'seed', o.seed, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    this.dropLast = checkBool(op, 'dropLast', o.dropLast, false);
    // Trimming drops at most numReplicas - 1 samples; padding repeats at most that many.
    // (Math.max: a dataset smaller than the world with dropLast gives 0, not ceil's -0.)
    this.numSamples = this.dropLast && n % this.numReplicas !== 0 ? Math.max(0, Math.ceil((n - this.numReplicas) / this.numReplicas)) : Math.ceil(n / this.numReplicas);
    this.totalSize = this.numSamples * this.numReplicas;
  }

  /** Indices per epoch for this rank (PyTorch's len(sampler)). */
  get length(): number {
    return this.numSamples;
  }

  /**
   * Sets the epoch: the next iteration shuffles with seed + epoch, so each epoch has its own order on every rank.
   * @throws TypeError/RangeError for an epoch that is not an integer
   */
  setEpoch(epoch: number): void {
    this.epoch = checkInt('DistributedSampler.setEpoch', 'epoch', epoch, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  }

  /** This rank's indices for the current epoch, as an array. */
  indices(): number[] {
    const n = this.size;
    let all: number[];
    if (this.shuffle) {
      const g = new Generator().manualSeed(this.seed + this.epoch);
      all = Array.from(randperm(n, { generator: g }).data as Int32Array);
    } else {
      all = Array.from({ length: n }, (_, i) => i);
    }
    if (this.dropLast) {
      all.length = this.totalSize;
    } else {
      for (let i = 0; all.length < this.totalSize; i++) all.push(all[i % n]!);
    }
    const mine: number[] = [];
    for (let i = this.rank; i < this.totalSize; i += this.numReplicas) mine.push(all[i]!);
    return mine;
  }

  [Symbol.iterator](): Iterator<number> {
    return this.indices()[Symbol.iterator]();
  }
}
