/**
 * Seeded random numbers that reproduce PyTorch's CPU streams: after manualSeed(s), rand, randn, randint,
 * randperm, uniform_ and normal_ give the numbers torch.manual_seed(s) gives (see native/src/kernels/rng.cpp).
 */
import { randomBytes } from 'crypto';

import { native } from './backend/native/binding';
import type { DTypeLike } from './dtype';
import { checkDType } from './dtype';
import { Tensor } from './tensor';
import { numelOf } from './shape';
import { checkWritable } from './ops/elementwise';
import { empty } from './ops/movement';
import { parseSizeArgs } from './ops/creation';
import type { SizeArgs } from './ops/creation';

/** PyTorch's default CPU seed (c10::default_rng_seed_val). */
const DEFAULT_SEED = 67280421310721n;
const SEED_WORD = 628;

function toUint64(op: string, seed: number | bigint): bigint {
  const s = typeof seed === 'number' ? (Number.isSafeInteger(seed) ? BigInt(seed) : NaN) : seed;
  if (typeof s !== 'bigint' || s < -(2n ** 63n) || s >= 2n ** 64n) {
    throw new RangeError(`${op}: seed must be an integer in [-0x8000_0000_0000_0000, 0xffff_ffff_ffff_ffff] but received ${String(seed)}`);
  }
  return s < 0n ? s + 2n ** 64n : s;
}

/**
 * A random number generator with PyTorch's CPU algorithm (MT19937 plus a cached normal sample).
 * @example const g = new torch.Generator().manualSeed(42); torch.rand([2], { generator: g });
 */
export class Generator {
  /** The whole state: 624 MT words, position, cached normal, seed. Owned by JS, read and written by the addon. */
  readonly state: Uint32Array = new Uint32Array(native.rngStateWords);

  constructor() {
    this.manualSeed(DEFAULT_SEED);
  }

  /** Re-seeds, as torch.Generator.manual_seed. Numbers must be safe integers; use a bigint for larger seeds. */
  manualSeed(seed: number | bigint): this {
    const s = toUint64('manualSeed', seed);
    native.rngSeed(this.state, Number(s & 0xffffffffn), Number(s >> 32n));
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
    if (!(state instanceof Uint32Array) || state.length !== this.state.length) {
      throw new TypeError(`Generator.setState: expected a Uint32Array of ${this.state.length} words from getState()`);
    }
    this.state.set(state);
    return this;
  }
}

/** The generator used when none is passed, as torch.default_generator. */
export const defaultGenerator = new Generator();

/** Seeds the default generator, as torch.manual_seed. @example torch.manualSeed(0); torch.rand(5) */
export function manualSeed(seed: number | bigint): Generator {
  return defaultGenerator.manualSeed(seed);
}
export function initialSeed(): number | bigint {
  return defaultGenerator.initialSeed();
}
export function seed(): number {
  return defaultGenerator.seed();
}
export function getRngState(): Uint32Array {
  return defaultGenerator.getState();
}
export function setRngState(state: Uint32Array): void {
  defaultGenerator.setState(state);
}

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

/**
 * Fills x with draws from fill(storage, offset, n), in place when x is contiguous, else through a contiguous
 * temporary (PyTorch draws non-contiguous tensors in memory order, so those values can differ from it).
 */
function fillWith(x: Tensor, fill: (out: Float32Array, offset: number, n: number) => void): void {
  if (x.isContiguous()) {
    fill(x.data as Float32Array, x.offset, x.numel());
    return;
  }
  const tmp = empty(x.shape, 'float32');
  fill(tmp.data as Float32Array, 0, tmp.numel());
  x.copy_(tmp);
}

function checkFloatTarget(op: string, x: Tensor): void {
  if (x.dtype !== 'float32') throw new TypeError(`${op}: expected a float32 tensor but received ${x.dtype}`);
}

/** Fills x with U[from, to), as Tensor.uniform_. */
export function uniformInPlace(x: Tensor, from: number, to: number, g?: Generator): void {
  checkWritable(x, 'uniform_');
  checkFloatTarget('uniform_', x);
  if (!(from <= to)) throw new RangeError(`uniform_: expects to return a [from, to) range, but found from=${from} > to=${to}`);
  const st = gen('uniform_', g).state;
  fillWith(x, (out, offset, n) => native.rngUniform(st, out, offset, n, from, to));
}

/** Fills x with N(mean, std^2), as Tensor.normal_. */
export function normalInPlace(x: Tensor, mean: number, std: number, g?: Generator): void {
  checkWritable(x, 'normal_');
  checkFloatTarget('normal_', x);
  if (!(std >= 0)) throw new RangeError(`normal_: expects std >= 0.0, but found std ${std}`);
  const st = gen('normal_', g).state;
  fillWith(x, (out, offset, n) => native.rngNormal(st, out, offset, n, mean, std));
}

/**
 * Fills x with integers uniform in [from, to) (random_(to) means [0, to)), as Tensor.random_; int32 targets
 * are drawn in place, others through an int32 temporary.
 */
export function randomInPlace(x: Tensor, from: number, to: number | undefined, g?: Generator): void {
  checkWritable(x, 'random_');
  const [lo, hi] = to === undefined ? [0, from] : [from, to];
  if (!Number.isInteger(lo) || !Number.isInteger(hi)) throw new TypeError('random_: from and to must be integers');
  if (lo >= hi) throw new RangeError(`random_: random_ expects 'from' to be less than 'to', but got from=${lo} >= to=${hi}`);
  if (lo < -(2 ** 31) || hi > 2 ** 31) throw new RangeError('random_: from and to must fit in int32');
  const st = gen('random_', g).state;
  if (x.dtype === 'int32' && x.isContiguous()) {
    native.rngRandint(st, x.data as Int32Array, x.offset, x.numel(), lo, hi);
    return;
  }
  const tmp = empty(x.shape, 'int32');
  native.rngRandint(st, tmp.data as Int32Array, 0, tmp.numel(), lo, hi);
  x.copy_(tmp);
}

function floatResult(op: string, args: SizeArgs<RandomOptions>): { t: Tensor; options: RandomOptions } {
  const { shape, options } = parseSizeArgs(op, args);
  if (options.dtype !== undefined && checkDType(op, options.dtype) !== 'float32') {
    throw new TypeError(`${op}: only float32 is supported, received dtype ${String(options.dtype)}`);
  }
  return { t: empty(shape, 'float32'), options };
}

/** Uniform samples in [0, 1). @example torch.rand(2, 3) */
export function rand(...args: SizeArgs<RandomOptions>): Tensor {
  const { t, options } = floatResult('rand', args);
  native.rngUniform(gen('rand', options.generator).state, t.data as Float32Array, 0, t.numel(), 0, 1);
  t.requiresGrad = options.requiresGrad ?? false;
  return t;
}

/** Standard normal samples. @example torch.randn(2, 3) */
export function randn(...args: SizeArgs<RandomOptions>): Tensor {
  const { t, options } = floatResult('randn', args);
  native.rngNormal(gen('randn', options.generator).state, t.data as Float32Array, 0, t.numel(), 0, 1);
  t.requiresGrad = options.requiresGrad ?? false;
  return t;
}

export function randLike(x: Tensor, options: RandomOptions = {}): Tensor {
  return rand(x.shape, options);
}
export function randnLike(x: Tensor, options: RandomOptions = {}): Tensor {
  return randn(x.shape, options);
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
    options = (c as RandomOptions | undefined) ?? {};
  } else {
    low = a;
    high = b as number;
    if (!Array.isArray(c)) throw new TypeError('randint: expected a size array, as randint(low, high, size)');
    size = c;
    options = d ?? {};
  }
  if (!Number.isInteger(low) || !Number.isInteger(high)) throw new TypeError('randint: low and high must be integers');
  if (low >= high) throw new RangeError(`randint: random_ expects 'from' to be less than 'to', but got from=${low} >= to=${high}`);
  if (low < -(2 ** 31) || high > 2 ** 31) throw new RangeError('randint: low and high must fit in int32');
  if (options.dtype !== undefined && checkDType('randint', options.dtype) !== 'int32') {
    throw new TypeError('randint: only int32 (int64) results are supported');
  }
  const t = empty(parseSizeArgs('randint', [size]).shape, 'int32');
  native.rngRandint(gen('randint', options.generator).state, t.data as Int32Array, 0, numelOf(t.shape), low, high);
  return t;
}

/** A random permutation of 0..n-1 (int32), as torch.randperm. */
export function randperm(n: number, options: RandomOptions = {}): Tensor {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`randperm: n must be non-negative, got ${n}`);
  const t = empty([n], 'int32');
  native.rngRandperm(gen('randperm', options.generator).state, t.data as Int32Array, 0, n);
  return t;
}
