/**
 * Seeded random numbers that reproduce PyTorch's CPU streams: after manualSeed(s), rand, randn, randint,
 * randperm, uniform_ and normal_ give the numbers torch.manual_seed(s) gives (see native/src/kernels/rng.cpp).
 */
import { randomBytes } from 'crypto';

import * as K from './backend/kernels';
import type { FloatStorage } from './backend/kernels';
import type { DTypeLike } from './dtype';
import { DTYPES, checkDType, getDefaultDtype, isFloating } from './dtype';
import { Tensor, defineMethods, emptyTensor, outputTensor } from './tensor';
import { numelOf } from './shape';
import {
  checkBool, checkFinite, checkFloating, checkInt, checkNumber, checkOptions, checkTensor, checkWritable, describe, parseSizeArgs,
} from './validate';
import type { SizeArgs } from './validate';

/** PyTorch's default CPU seed (c10::default_rng_seed_val). */
const DEFAULT_SEED = 67280421310721n;
const SEED_WORD = 628;

function toUint64(op: string, seed: number | bigint): bigint {
  if (typeof seed !== 'number' && typeof seed !== 'bigint') checkNumber(op, 'seed', seed);
  const s = typeof seed === 'number' ? (Number.isSafeInteger(seed) ? BigInt(seed) : NaN) : seed;
  if (typeof s !== 'bigint' || s < -(2n ** 63n) || s >= 2n ** 64n) {
    throw new RangeError(`${op}: seed must be an integer in [-0x8000_0000_0000_0000, 0xffff_ffff_ffff_ffff] but received ${String(seed)}`);
  }
  return s < 0n ? s + 2n ** 64n : s;
}

/** A generator state as getState() returns it. */
function checkState(op: string, state: unknown): void {
  if (!(state instanceof Uint32Array) || state.length !== K.rngStateWords) {
    throw new TypeError(`${op}: expected a Uint32Array of ${K.rngStateWords} words from getState() for 'state' but received ${describe(state)}`);
  }
}

/**
 * A random number generator with PyTorch's CPU algorithm (MT19937 plus a cached normal sample).
 * @example const g = new torch.Generator().manualSeed(42); torch.rand([2], { generator: g });
 */
export class Generator {
  /** The whole state: 624 MT words, position, cached normal, seed. Owned by JS, read and written by the addon. */
  readonly state: Uint32Array = new Uint32Array(K.rngStateWords);

  constructor() {
    this.manualSeed(DEFAULT_SEED);
  }

  /** Re-seeds, as torch.Generator.manual_seed. Numbers must be safe integers; use a bigint for larger seeds. */
  manualSeed(seed: number | bigint): this {
    K.rngSeed(this.state, toUint64('manualSeed', seed));
    return this;
  }

  /** The seed last set (a number when it is a safe integer, else a bigint). */
  initialSeed(): number | bigint {
    const s = (BigInt(this.state[SEED_WORD + 1]!) << 32n) | BigInt(this.state[SEED_WORD]!);
    return s <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(s) : s;
  }

  /** Seeds from the operating system's entropy and returns the seed. */
  seed(): number {
    const s = Number(randomBytes(8).readBigUInt64LE() & BigInt(Number.MAX_SAFE_INTEGER));
    this.manualSeed(s);
    return s;
  }

  /** A copy of the state, for setState. */
  getState(): Uint32Array {
    return this.state.slice();
  }

  /** Restores a state from getState. */
  setState(state: Uint32Array): this {
    checkState('Generator.setState', state);
    this.state.set(state);
    return this;
  }
}

/** The generator used when none is passed, as torch.default_generator. @example torch.defaultGenerator.initialSeed() */
export const defaultGenerator = new Generator();

/** Seeds the default generator, as torch.manual_seed. @example torch.manualSeed(0); torch.rand(5) */
export function manualSeed(seed: number | bigint): Generator {
  return defaultGenerator.manualSeed(seed);
}
/** The seed of the default generator, as torch.initial_seed. @example torch.manualSeed(7); torch.initialSeed() // 7 */
export function initialSeed(): number | bigint {
  return defaultGenerator.initialSeed();
}
/**
 * Seeds the default generator from a nondeterministic source and returns the seed, as torch.seed.
 * @example const s = torch.seed()
 */
export function seed(): number {
  return defaultGenerator.seed();
}
/**
 * The default generator's state, to restore with setRngState, as torch.get_rng_state.
 * @example const state = torch.getRngState(); const a = torch.rand(2); torch.setRngState(state);
 *   torch.rand(2) // the same as a
 */
export function getRngState(): Uint32Array {
  return defaultGenerator.getState();
}
/**
 * Restores the default generator's state from getRngState, as torch.set_rng_state.
 * @example const state = torch.getRngState(); torch.rand(2); torch.setRngState(state)
 */
export function setRngState(state: Uint32Array): void {
  checkState('setRngState', state);
  defaultGenerator.setState(state);
}

/** The options of the random factories: a generator (the default one otherwise), dtype and requiresGrad. | */
export interface RandomOptions {
  generator?: Generator;
  dtype?: DTypeLike;
  requiresGrad?: boolean;
}

function gen(op: string, g: Generator | undefined): Generator {
  if (g === undefined) return defaultGenerator;
  if (!(g instanceof Generator)) throw new TypeError(`${op}: expected a torch.Generator for 'generator'`);
  return g;
}

/** The generator of an in-place draw's options object ({ generator }), checked. */
function genOf(op: string, options: { generator?: Generator } | undefined): Generator {
  return gen(op, checkOptions(op, options).generator);
}

/**
 * Fills x with draws from fill(storage, offset, n), in place when x is contiguous, else through a contiguous
 * temporary (PyTorch draws non-contiguous tensors in memory order, so those values can differ from it).
 */
function fillWith(x: Tensor, fill: (out: FloatStorage, offset: number, n: number) => void): void {
  // Nothing to draw (an empty view may start at the storage's end, past where the kernels accept an offset).
  if (x.numel() === 0) return;
  if (x.isContiguous()) {
    fill(x.data as FloatStorage, x.offset, x.numel());
    return;
  }
  const tmp = outputTensor(x.shape, x.dtype, undefined, 'random');
  fill(tmp.data as FloatStorage, 0, tmp.numel());
  x.copy_(tmp);
}

/** Fills x with U[from, to), as Tensor.uniform_. */
export function uniformInPlace(x: Tensor, from: number, to: number, g?: Generator): void {
  checkFloating('uniform_', 'self', x);
  checkWritable(x, 'uniform_');
  checkFinite('uniform_', 'from', from);
  checkFinite('uniform_', 'to', to);
  if (!(from <= to)) throw new RangeError(`uniform_: uniform_ expects to return a [from, to) range, but found from=${from} > to=${to}`);
  const st = gen('uniform_', g).state;
  fillWith(x, (out, offset, n) => K.rngUniform(st, out, offset, n, from, to));
}

/** Fills x with N(mean, std^2), as Tensor.normal_. */
export function normalInPlace(x: Tensor, mean: number, std: number, g?: Generator): void {
  checkFloating('normal_', 'self', x);
  checkWritable(x, 'normal_');
  checkFinite('normal_', 'mean', mean);
  checkNumber('normal_', 'std', std);
  if (!(std >= 0 && std < Infinity)) throw new RangeError(`normal_: expects std >= 0.0, but found std ${std}`);
  const st = gen('normal_', g).state;
  fillWith(x, (out, offset, n) => K.rngNormal(st, out, offset, n, mean, std));
}

/**
 * Fills x with integers uniform in [from, to) (random_(to) means [0, to)), as Tensor.random_; int32 targets
 * are drawn in place, others through an int32 temporary.
 */
export function randomInPlace(x: Tensor, from: number, to: number | undefined, g?: Generator): void {
  checkTensor('random_', 'self', x);
  checkWritable(x, 'random_');
  checkNumber('random_', 'from', from);
  if (to !== undefined) checkNumber('random_', 'to', to);
  const [lo, hi] = to === undefined ? [0, from] : [from, to];
  if (!Number.isInteger(lo) || !Number.isInteger(hi)) throw new TypeError('random_: from and to must be integers');
  if (lo >= hi) throw new RangeError(`random_: random_ expects 'from' to be less than 'to', but got from=${lo} >= to=${hi}`);
  if (lo < -(2 ** 31) || hi > 2 ** 31) throw new RangeError('random_: from and to must fit in int32');
  const st = gen('random_', g).state;
  if (x.dtype === 'int32' && x.isContiguous()) {
    K.rngRandint(st, x.data as Int32Array, x.offset, x.numel(), lo, hi);
    return;
  }
  const tmp = outputTensor(x.shape, 'int32');
  K.rngRandint(st, tmp.data as Int32Array, 0, tmp.numel(), lo, hi);
  x.copy_(tmp);
}

/** Fills x with 1 with probability p, else 0, as Tensor.bernoulli_(p). */
export function bernoulliInPlace(x: Tensor, p: number, g?: Generator): void {
  checkFloating('bernoulli_', 'self', x);
  checkWritable(x, 'bernoulli_');
  checkNumber('bernoulli_', 'p', p);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`bernoulli_: bernoulli_ expects p to be in [0, 1], but got p=${p}`);
  const st = gen('bernoulli_', g).state;
  fillWith(x, (out, offset, n) => K.rngBernoulli(st, out, offset, n, p));
}

function floatResult(op: string, args: SizeArgs<RandomOptions>): { t: Tensor; options: RandomOptions } {
  const { shape, options } = parseSizeArgs(op, args);
  const dtype = options.dtype === undefined ? getDefaultDtype() : checkDType(op, options.dtype);
  if (!isFloating(dtype)) throw new TypeError(`${op}: expected a floating point dtype but received ${dtype}`);
  checkBool(op, 'requiresGrad', options.requiresGrad, false);
  return { t: outputTensor(shape, dtype, undefined, op), options };
}

/** Uniform samples in [0, 1). @example torch.rand(2, 3) */
export function rand(...args: SizeArgs<RandomOptions>): Tensor {
  const { t, options } = floatResult('rand', args);
  K.rngUniform(gen('rand', options.generator).state, t.data as FloatStorage, 0, t.numel(), 0, 1);
  t.requiresGrad = options.requiresGrad ?? false;
  return t;
}

/** Standard normal samples. @example torch.randn(2, 3) */
export function randn(...args: SizeArgs<RandomOptions>): Tensor {
  const { t, options } = floatResult('randn', args);
  K.rngNormal(gen('randn', options.generator).state, t.data as FloatStorage, 0, t.numel(), 0, 1);
  t.requiresGrad = options.requiresGrad ?? false;
  return t;
}

/**
 * Uniform [0, 1) numbers with x's shape and dtype (unless options give one), as torch.rand_like.
 * @example torch.randLike(torch.zeros(2, 3)).shape // [2, 3]
 */
export function randLike(x: Tensor, options: RandomOptions = {}): Tensor {
  checkTensor('randLike', 'input', x);
  return rand(x.shape, { dtype: x.dtype, ...checkOptions('randLike', options) });
}
/**
 * Standard normal numbers with x's shape and dtype (unless options give one), as torch.randn_like.
 * @example torch.randnLike(torch.zeros(2, 3)).shape // [2, 3]
 */
export function randnLike(x: Tensor, options: RandomOptions = {}): Tensor {
  checkTensor('randnLike', 'input', x);
  return randn(x.shape, { dtype: x.dtype, ...checkOptions('randnLike', options) });
}

/**
 * Integers uniform in [low, high), int32 (PyTorch's int64). randint(high, size) or randint(low, high, size).
 * @example torch.randint(0, 10, [3])
 */
export function randint(
  a: number,
  b: number | readonly number[],
  c?: readonly number[] | RandomOptions,
  d?: RandomOptions,
): Tensor {
  let low = 0;
  let high: number;
  let size: readonly number[];
  let options: RandomOptions;
  if (Array.isArray(b)) {
    high = a;
    size = b;
    options = checkOptions('randint', c as RandomOptions | undefined);
  } else {
    low = a;
    high = b as number;
    if (!Array.isArray(c)) throw new TypeError('randint: expected a size array, as randint(low, high, size)');
    size = c;
    options = checkOptions('randint', d);
  }
  checkNumber('randint', 'low', low);
  checkNumber('randint', 'high', high);
  if (!Number.isInteger(low) || !Number.isInteger(high)) throw new TypeError('randint: low and high must be integers');
  if (low >= high) throw new RangeError(`randint: random_ expects 'from' to be less than 'to', but got from=${low} >= to=${high}`);
  if (low < -(2 ** 31) || high > 2 ** 31) throw new RangeError('randint: low and high must fit in int32');
  if (options.dtype !== undefined && checkDType('randint', options.dtype) !== 'int32') {
    throw new TypeError('randint: only int32 (int64) results are supported');
  }
  const t = outputTensor(parseSizeArgs('randint', [size]).shape, 'int32', undefined, 'randint');
  K.rngRandint(gen('randint', options.generator).state, t.data as Int32Array, 0, numelOf(t.shape), low, high);
  return t;
}

/**
 * A random permutation of 0..n-1 (int32), as torch.randperm.
 * @example torch.manualSeed(0); torch.randperm(4) // a permutation of [0, 1, 2, 3], int32
 */
export function randperm(n: number, options: RandomOptions = {}): Tensor {
  checkNumber('randperm', 'n', n);
  if (Number.isInteger(n) && n < 0) throw new RangeError(`randperm: Trying to create tensor with negative dimension ${n}: [${n}]`);
  // The addon's randperm (int32 result) takes n up to 2^31 - 1.
  checkInt('randperm', 'n', n, 0, 2 ** 31 - 1);
  const { generator } = checkOptions('randperm', options);
  const t = outputTensor([n], 'int32', undefined, 'randperm');
  K.rngRandperm(gen('randperm', generator).state, t.data as Int32Array, 0, n);
  return t;
}

// ---- draws no kernel makes: raw 64-bit words and multinomial ---------------------------------------------------

const MT_N = 624;
const MT_M = 397;

/**
 * One 32-bit draw from a generator state, as the addon's rng_random (MT19937 with PyTorch's word layout: 624 words,
 * then the position), for the few draws that need the raw word: random64 and multinomial's double uniforms.
 */
function nextUint32(st: Uint32Array): number {
  if (st[MT_N]! >= MT_N) {
    for (let i = 0; i < MT_N; i++) {
      const y = (st[i]! & 0x80000000) | (st[(i + 1) % MT_N]! & 0x7fffffff);
      st[i] = st[(i + MT_M) % MT_N]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    st[MT_N] = 0;
  }
  let y = st[st[MT_N]!]!;
  st[MT_N] = st[MT_N]! + 1;
  y ^= y >>> 11;
  y ^= (y << 7) & 0x9d2c5680;
  y ^= (y << 15) & 0xefc60000;
  y ^= y >>> 18;
  return y >>> 0;
}

/** CPUGeneratorImpl::random64: the first draw is the high word. */
function random64(st: Uint32Array): bigint {
  const hi = BigInt(nextUint32(st));
  return (hi << 32n) | BigInt(nextUint32(st));
}

/** uniform_real_distribution<double>(0, 1): 53 bits of random64 times 2^-53. */
function uniform53(st: Uint32Array): number {
  return Number(random64(st) & 0x1fffffffffffffn) / 2 ** 53;
}

/**
 * A random int64 as `torch.empty((), dtype=torch.int64).random_(generator=g).item()` gives it (random64 modulo
 * 2^63): the seed RandomSampler and DataLoader draw. A bigint, since it rarely fits a safe integer.
 * @example const seed = torch.randomInt64(g);
 */
export function randomInt64(generator?: Generator): bigint {
  return random64(gen('randomInt64', generator).state) % 2n ** 63n;
}

export interface MultinomialOptions {
  replacement?: boolean;
  generator?: Generator;
}

/**
 * Indices drawn from the rows of a 1-D or 2-D tensor of non-negative weights, as torch.multinomial, with PyTorch's
 * CPU stream (1.13): without replacement the largest weight / Exp(1) draws (the Gumbel-top-k trick,
 * exponentials drawn in double for every entry in memory order); with replacement a binary search of the
 * normalised cumulative weights per double uniform draw.
 * @throws RangeError for a bad shape, sample count or distribution, in PyTorch's words
 * @example torch.multinomial(torch.tensor([0.1, 0.9]), 4, { replacement: true })
 */
export function multinomial(input: Tensor, numSamples: number, options: MultinomialOptions = {}): Tensor {
  checkTensor('multinomial', 'input', input);
  const { replacement: r, generator } = checkOptions('multinomial', options);
  const replacement = checkBool('multinomial', 'replacement', r, false);
  checkInt('multinomial', 'numSamples', numSamples);
  if (!isFloating(input.dtype)) throw new TypeError(`multinomial: multinomial only supports floating-point dtypes for input, got: ${DTYPES[input.dtype].scalarType}`);
  if (input.dim() < 1 || input.dim() > 2) throw new RangeError('multinomial: prob_dist must be 1 or 2 dim');
  const nCat = input.shape[input.dim() - 1]!;
  const nDist = input.dim() === 2 ? input.shape[0]! : 1;
  if (numSamples <= 0) throw new RangeError('multinomial: cannot sample n_sample <= 0 samples');
  if (!replacement && numSamples > nCat) throw new RangeError('multinomial: cannot sample n_sample > prob_dist.size(-1) samples without replacement');
  if (nCat > 2 ** 24) throw new RangeError('multinomial: number of categories cannot exceed 2^24');
  const st = gen('multinomial', generator).state;
  // The kernels compute in the input's type: float32 inputs round every intermediate to float32.
  const round = input.dtype === 'float32' ? Math.fround : (v: number): number => v;
  const rows = (input.dim() === 2 ? input.tolist() : [input.tolist()]) as number[][];
  const out = new Int32Array(nDist * numSamples);
  if (!replacement) {
    const flat = rows.flat();
    if (!flat.every((v) => v >= 0 && v < Infinity)) throw new RangeError('multinomial: probability tensor contains either `inf`, `nan` or element < 0');
    if (rows.some((row) => row.reduce((a, b) => a + b, 0) === 0)) throw new RangeError('multinomial: invalid multinomial distribution (sum of probabilities <= 0)');
    // q = empty_like(self).exponential_(1), drawn over the whole tensor before any division.
    const q = flat.map(() => round(-Math.log(1 - uniform53(st))));
    rows.forEach((row, i) => {
      const keys = row.map((p, j) => ({ j, v: round(p / q[i * nCat + j]!) }));
      keys.sort((a, b) => b.v - a.v || a.j - b.j);
      for (let k = 0; k < numSamples; k++) out[i * numSamples + k] = keys[k]!.j;
    });
  } else {
    rows.forEach((row, i) => {
      const cum = new Float64Array(nCat);
      let sum = 0;
      row.forEach((v, j) => {
        if (!(v >= 0)) throw new RangeError('multinomial: invalid multinomial distribution (encountering probability entry < 0)');
        if (!Number.isFinite(v)) throw new RangeError('multinomial: invalid multinomial distribution (encountering probability entry = infinity or NaN)');
        sum = round(sum + v);
        cum[j] = sum;
      });
      if (!(sum > 0)) throw new RangeError('multinomial: invalid multinomial distribution (sum of probabilities <= 0)');
      for (let j = 0; j < nCat; j++) cum[j] = round(cum[j]! / sum);
      cum[nCat - 1] = 1;
      for (let k = 0; k < numSamples; k++) {
        const u = uniform53(st);
        let lo = 0;
        let hi = nCat;
        while (hi - lo > 0) {
          const mid = lo + Math.floor((hi - lo) / 2);
          if (cum[mid]! < u) lo = mid + 1;
          else hi = mid;
        }
        out[i * numSamples + k] = lo;
      }
    });
  }
  const shape = input.dim() === 2 ? [nDist, numSamples] : [numSamples];
  const t = emptyTensor(shape, 'int32', 'multinomial');
  (t.data as Int32Array).set(out);
  return t;
}

declare module './tensor' {
  interface Tensor {
    /**
     * Fills this tensor with numbers uniform in [from, to) (default [0, 1)), as Tensor.uniform_.
     * @example torch.empty(3).uniform_(-1, 1)
     */
    uniform_(from?: number, to?: number, options?: { generator?: Generator }): this;
    /**
     * Integers uniform in [from, to), or [0, from) when to is omitted, as Tensor.random_.
     * @example torch.empty(3).random_(0, 10) // integers in [0, 10)
     */
    random_(from: number, to?: number, options?: { generator?: Generator }): this;
    /**
     * Fills this tensor from N(mean, std²) (default N(0, 1)), as Tensor.normal_.
     * @example torch.empty(3).normal_(0, 0.02)
     */
    normal_(mean?: number, std?: number, options?: { generator?: Generator }): this;
    /**
     * 1 with probability p, else 0, as Tensor.bernoulli_(p).
     * @example torch.empty(5).bernoulli_(0.3) // zeros and ones
     */
    bernoulli_(p?: number, options?: { generator?: Generator }): this;
  }
}

defineMethods({
  uniform_(this: Tensor, from = 0, to = 1, options?: { generator?: Generator }) {
    uniformInPlace(this, from, to, genOf('uniform_', options));
    return this;
  },
  random_(this: Tensor, from: number, to?: number, options?: { generator?: Generator }) {
    randomInPlace(this, from, to, genOf('random_', options));
    return this;
  },
  normal_(this: Tensor, mean = 0, std = 1, options?: { generator?: Generator }) {
    normalInPlace(this, mean, std, genOf('normal_', options));
    return this;
  },
  bernoulli_(this: Tensor, p = 0.5, options?: { generator?: Generator }) {
    bernoulliInPlace(this, p, genOf('bernoulli_', options));
    return this;
  },
});
