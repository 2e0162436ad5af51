/**
 * Samplers, as torch.utils.data.sampler, with PyTorch's index streams: the same seed gives the same indices.
 * Like PyTorch's generator-based __iter__, every draw happens lazily as iteration reaches it.
 */
import { Generator, multinomial, randint, randomInt64, randperm } from '../random';
import { tensor } from '../ops/creation';
import { checkOptions, describe } from '../validate';

/** Anything with a length: a Dataset, an array, a sampler. */
export interface Sized {
  readonly length: number;
}

/**
 * The base of samplers, as torch.utils.data.Sampler: an iterable of indices (or of index batches) with a length.
 * @example class Evens extends data.Sampler<number> { *[Symbol.iterator]() { yield 0; yield 2; } get length() { return 2; } }
 */
export abstract class Sampler<T = number> implements Iterable<T> {
  abstract [Symbol.iterator](): Iterator<T>;
  abstract get length(): number;
}

function checkSized(op: string, name: string, v: unknown): asserts v is Sized {
  if (v === null || typeof v !== 'object' || typeof (v as Partial<Sized>).length !== 'number') {
    throw new TypeError(`${op}: expected a Dataset or another object with a length for '${name}' but received ${describe(v)}`);
  }
}

function checkGenerator(op: string, v: unknown): Generator | undefined {
  if (v !== undefined && v !== null && !(v instanceof Generator)) {
    throw new TypeError(`${op}: expected a torch.Generator for 'generator' but received ${describe(v)}`);
  }
  return v ?? undefined;
}

/** A positive integer option, checked with PyTorch's ValueError wording ("<name> should be a positive integer value, but got <name>=<v>"). */
export function checkPositive(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number') throw new TypeError(`${op}: ${name} should be a positive integer value, but got ${name}=${describe(v)}`);
  if (!Number.isInteger(v) || v <= 0) throw new RangeError(`${op}: ${name} should be a positive integer value, but got ${name}=${v}`);
  return v;
}

/**
 * 0, 1, ..., length - 1, as torch.utils.data.SequentialSampler.
 * @example [...new data.SequentialSampler(ds)]
 */
export class SequentialSampler extends Sampler<number> {
  constructor(readonly dataSource: Sized) {
    super();
    checkSized('SequentialSampler', 'dataSource', dataSource);
  }

  *[Symbol.iterator](): Iterator<number> {
    for (let i = 0; i < this.dataSource.length; i++) yield i;
  }

  get length(): number {
    return this.dataSource.length;
  }
}

/** The options of RandomSampler: draw with replacement, how many samples, and the generator. | */
export interface RandomSamplerOptions {
  replacement?: boolean;
  numSamples?: number;
  generator?: Generator;
}

/**
 * Random indices, as torch.utils.data.RandomSampler: a permutation per pass (several passes when numSamples
 * exceeds the length), or with replacement randint draws in chunks of 32. Without a generator each iteration
 * seeds a fresh one from a random int64 of the global generator, as PyTorch 1.13 does.
 * @example new data.RandomSampler(ds, { generator: new torch.Generator().manualSeed(0) })
 */
export class RandomSampler extends Sampler<number> {
  readonly replacement: boolean;
  readonly generator?: Generator;
  private readonly numSamplesOption?: number;

  constructor(readonly dataSource: Sized, options: RandomSamplerOptions = {}) {
    super();
    checkSized('RandomSampler', 'dataSource', dataSource);
    const o = checkOptions('RandomSampler', options);
    if (o.replacement !== undefined && typeof o.replacement !== 'boolean') {
      throw new TypeError(`RandomSampler: replacement should be a boolean value, but got replacement=${describe(o.replacement)}`);
    }
    this.replacement = o.replacement ?? false;
    this.numSamplesOption = o.numSamples ?? undefined;
    this.generator = checkGenerator('RandomSampler', o.generator);
    checkPositive('RandomSampler', 'num_samples', this.numSamples);
  }

  /** The number of indices per iteration: numSamples, or the dataset's length. */
  get numSamples(): number {
    return this.numSamplesOption ?? this.dataSource.length;
  }

  *[Symbol.iterator](): Iterator<number> {
    const n = this.dataSource.length;
    const generator = this.generator ?? new Generator().manualSeed(randomInt64());
    const total = this.numSamples;
    if (this.replacement) {
      for (let i = 0; i < Math.floor(total / 32); i++) yield* randint(n, [32], { generator }).tolist() as number[];
      yield* randint(n, [total % 32], { generator }).tolist() as number[];
    } else {
      for (let i = 0; i < Math.floor(total / n); i++) yield* randperm(n, { generator }).tolist() as number[];
      yield* (randperm(n, { generator }).tolist() as number[]).slice(0, total % n);
    }
  }

  get length(): number {
    return this.numSamples;
  }
}

/**
 * The given indices in a random order (one randperm of their count), as torch.utils.data.SubsetRandomSampler.
 * @example new data.SubsetRandomSampler([0, 5, 7], { generator })
 */
export class SubsetRandomSampler extends Sampler<number> {
  readonly generator?: Generator;

  constructor(readonly indices: readonly number[], options: { generator?: Generator } = {}) {
    super();
    if (!Array.isArray(indices)) throw new TypeError(`SubsetRandomSampler: expected an array of indices for 'indices' but received ${describe(indices)}`);
    this.generator = checkGenerator('SubsetRandomSampler', checkOptions('SubsetRandomSampler', options).generator);
  }

  *[Symbol.iterator](): Iterator<number> {
    for (const i of randperm(this.indices.length, { generator: this.generator }).tolist() as number[]) yield this.indices[i]!;
  }

  get length(): number {
    return this.indices.length;
  }
}

/** The options of WeightedRandomSampler: draw with replacement (default true) and the generator. | */
export interface WeightedRandomSamplerOptions {
  replacement?: boolean;
  generator?: Generator;
}

/**
 * Indices 0..weights.length-1 drawn with the given (unnormalised) weights, as torch.utils.data.WeightedRandomSampler:
 * one torch.multinomial of the float64 weights per iteration (replacement defaults to true).
 * @example new data.WeightedRandomSampler([0.1, 0.9, 0.4], 5)
 */
export class WeightedRandomSampler extends Sampler<number> {
  readonly weights: readonly number[];
  readonly replacement: boolean;
  readonly generator?: Generator;

  constructor(weights: readonly number[], readonly numSamples: number, options: WeightedRandomSamplerOptions = {}) {
    super();
    checkPositive('WeightedRandomSampler', 'num_samples', numSamples);
    const o = checkOptions('WeightedRandomSampler', options);
    if (o.replacement !== undefined && typeof o.replacement !== 'boolean') {
      throw new TypeError(`WeightedRandomSampler: replacement should be a boolean value, but got replacement=${describe(o.replacement)}`);
    }
    if (!Array.isArray(weights) || !weights.every((w) => typeof w === 'number')) {
      throw new TypeError(`WeightedRandomSampler: weights should be a 1d sequence of numbers but received ${describe(weights)}`);
    }
    this.weights = weights;
    this.replacement = o.replacement ?? true;
    this.generator = checkGenerator('WeightedRandomSampler', o.generator);
  }

  *[Symbol.iterator](): Iterator<number> {
    const w = tensor(this.weights as number[], { dtype: 'float64' });
    yield* multinomial(w, this.numSamples, { replacement: this.replacement, generator: this.generator }).tolist() as number[];
  }

  get length(): number {
    return this.numSamples;
  }
}

/**
 * Groups another sampler's indices into lists of batchSize (the last one shorter unless dropLast), as
 * torch.utils.data.BatchSampler.
 * @example [...new data.BatchSampler(new data.SequentialSampler(ds), 3, false)]
 */
export class BatchSampler extends Sampler<number[]> {
  constructor(readonly sampler: Iterable<number> & Partial<Sized>, readonly batchSize: number, readonly dropLast: boolean) {
    super();
    if (sampler === null || typeof (sampler as Partial<Iterable<number>>)?.[Symbol.iterator] !== 'function') {
      throw new TypeError(`BatchSampler: expected a Sampler or another iterable of indices for 'sampler' but received ${describe(sampler)}`);
    }
    checkPositive('BatchSampler', 'batch_size', batchSize);
    if (typeof dropLast !== 'boolean') throw new TypeError(`BatchSampler: drop_last should be a boolean value, but got drop_last=${describe(dropLast)}`);
  }

  *[Symbol.iterator](): Iterator<number[]> {
    let batch: number[] = [];
    for (const idx of this.sampler) {
      batch.push(idx);
      if (batch.length === this.batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0 && !this.dropLast) yield batch;
  }

  get length(): number {
    const n = this.sampler.length;
    if (typeof n !== 'number') throw new TypeError('BatchSampler: the sampler has no length');
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }
}
