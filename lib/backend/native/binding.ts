/**
 * The whole native addon as one TypeScript interface; `loadBinding` is the only place that casts.
 * Layouts cross the boundary packed in a Float64Array, [count, values...], so sizes, strides and offsets past 2^31
 * arrive exactly (see native/src/binding/addon.cpp for each layout).
 */
import * as path from 'path';

import type { Storage } from '../../dtype';

/** What backendInfo reports: the BLAS, its configuration and core, the thread counts and the addon's versions. | */
export interface BackendInfo {
  blas: string;
  blasConfig: string;
  blasCore: string;
  numThreads: number;
  /** The most threads setNumThreads takes: the CPUs this process may use, within OpenBLAS's MAX_THREADS. */
  maxThreads: number;
  addonVersion: string;
  napiVersion: number;
  napiBuildVersion: number;
  /** Whether glibc was told to keep freed memory for reuse (TORCHLET_MALLOC_TUNING=0 turns it off). */
  mallocTuned: boolean;
  /**
   * Whether fresh storage is advised onto transparent huge pages (Linux with transparent_hugepage in "madvise" mode
   * and vm.overcommit_memory other than 2; TORCHLET_HUGE_PAGES=0 or TORCHLET_MALLOC_TUNING=0 turns it off).
   */
  hugePages: boolean;
  /**
   * Whether elementwise results of 2 MiB and more in fresh storage are written with streaming stores, which skip
   * reading memory that is not in cache (AMD x86-64 CPUs; TORCHLET_STREAMING_STORES=1 or 0 forces it).
   */
  streamingStores: boolean;
}

/** The floating storages the float-only kernels (matmul, convolution, pooling, Adam, float draws) take. */
export type FloatStorage = Float32Array | Float64Array;

/** One entry of the addon's dtype table: the code its kernels use, the name and the element size. */
export interface NativeDType {
  readonly name: string;
  readonly size: number;
  readonly code: number;
}

export interface NativeBinding {
  /** alpha scales b for add and sub: out = a + alpha * b, fused for floats. */
  binary(op: number, out: Storage, a: Storage, b: Storage, layout: Float64Array, alpha?: number): void;
  unary(op: number, out: Storage, a: Storage, layout: Float64Array, p0: number, p1: number): void;
  /** out = op(g, a; p0, p1), op a code from opNames.unaryBackward (a fused activation gradient). */
  unaryBackward(op: number, out: Storage, g: Storage, a: Storage, layout: Float64Array, p0: number, p1: number): void;
  where(out: Storage, cond: Uint8Array, a: Storage, b: Storage, layout: Float64Array): void;
  copy(dst: Storage, src: Storage, layout: Float64Array): void;
  reduce(op: number, out: Storage | null, indices: Int32Array | null, a: Storage, layout: Float64Array): void;
  /** Returns 0, or a mask (1 = a, 2 = b) of operands whose strides need a contiguous copy first. */
  matmul(out: FloatStorage, a: FloatStorage, b: FloatStorage, layout: Float64Array, alpha: number, beta: number): number;
  gather(out: Storage, src: Storage, index: Int32Array, layout: Float64Array, dim: number): void;
  scatterAdd(out: Storage, src: Storage, index: Int32Array, layout: Float64Array, dim: number): void;
  /** One fused Adam/AdamW update; flags: 1 amsgrad, 2 maximize, 4 decoupled weight decay (AdamW). */
  adamStep(
    p: FloatStorage, g: FloatStorage, m: FloatStorage, v: FloatStorage, vmax: FloatStorage | null, n: number,
    lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, step: number, flags: number,
  ): void;
  /** kind: a code from opNames.conv (forward: x, w -> y; backward_input: gy, w -> gx; backward_weight: x, gy -> gw). */
  conv2d(kind: number, a: FloatStorage, b: FloatStorage, out: FloatStorage, geometry: Float64Array, bias?: FloatStorage | null): void;
  /** kind: a code from opNames.pool. */
  pool2d(kind: number, a: FloatStorage, out: FloatStorage, indices: Int32Array | null, geometry: Float64Array): void;
  /** kind: a code from opNames.range (arange: a = start, b = step; linspace: from a to b). */
  fillRange(kind: number, out: Storage, n: number, a: number, b: number): void;
  rngSeed(state: Uint32Array, low: number, high: number): void;
  rngUniform(state: Uint32Array, out: FloatStorage, offset: number, n: number, from: number, to: number): void;
  rngNormal(state: Uint32Array, out: FloatStorage, offset: number, n: number, mean: number, std: number): void;
  rngRandint(state: Uint32Array, out: Int32Array, offset: number, n: number, low: number, high: number): void;
  rngRandperm(state: Uint32Array, out: Int32Array, offset: number, n: number): void;
  rngBernoulli(state: Uint32Array, out: FloatStorage, offset: number, n: number, p: number): void;
  /**
   * One direction of a fused recurrent layer over a packed sequence (native/src/kernels/rnn.cpp). layout =
   * [count, mode (opNames.rnn), steps, batch, hidden, out, reverse, proj]; null stands for an absent operand.
   */
  rnnForward(
    batchSizes: Int32Array, layout: Float64Array, xw: FloatStorage, h0: FloatStorage, c0: FloatStorage | null, wHh: FloatStorage,
    bHh: FloatStorage | null, wHr: FloatStorage | null, out: FloatStorage, hN: FloatStorage, cN: FloatStorage | null, saved: FloatStorage,
  ): void;
  /** The gradients of rnnForward; gOut, gHN and gCN may be null (zero). */
  rnnBackward(
    batchSizes: Int32Array, layout: Float64Array, wHh: FloatStorage, wHr: FloatStorage | null, out: FloatStorage, saved: FloatStorage,
    gOut: FloatStorage | null, gHN: FloatStorage | null, gCN: FloatStorage | null, dXw: FloatStorage, dH0: FloatStorage,
    dC0: FloatStorage | null, dWHh: FloatStorage, dBHh: FloatStorage | null, dWHr: FloatStorage | null,
  ): void;
  backendInfo(): BackendInfo;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  /** The address of the buffer's first byte modulo 64 (lib/dtype.ts starts storage on a cache line). */
  misalignment(buffer: ArrayBuffer): number;
  /** Fused kernels (native/src/kernels/fused.cpp); kind: a code from opNames.softmax. */
  softmax(kind: number, x: FloatStorage, out: FloatStorage, outer: number, n: number, inner: number): void;
  softmaxBackward(kind: number, g: FloatStorage, y: FloatStorage, r: FloatStorage | null, gx: FloatStorage, outer: number, n: number, inner: number): void;
  /** Attention weights: softmax of x [batch, heads, rows, n] in place, and its mean over the heads into mean. */
  softmaxHeadMean(x: FloatStorage, mean: FloatStorage, batch: number, heads: number, rows: number, n: number): void;
  layerNorm(x: FloatStorage, w: FloatStorage | null, b: FloatStorage | null, y: FloatStorage, mean: FloatStorage, rstd: FloatStorage, m: number, n: number, eps: number): void;
  layerNormBackward(
    g: FloatStorage, x: FloatStorage, mean: FloatStorage, rstd: FloatStorage, w: FloatStorage | null,
    gx: FloatStorage | null, gw: FloatStorage | null, gb: FloatStorage | null, m: number, n: number,
  ): void;
  /** Returns -1, or the first row whose target is out of range; totals[0] receives the kept rows' weight. */
  classLoss(
    x: FloatStorage, target: Int32Array, weight: FloatStorage | null, loss: FloatStorage, stats: FloatStorage | null, totals: Float64Array,
    rows: number, classes: number, ignoreIndex: number, smoothing: number, logInput: number, reduction: number,
  ): number;
  classLossBackward(
    x: FloatStorage, target: Int32Array, weight: FloatStorage | null, stats: FloatStorage | null, g: FloatStorage, gx: FloatStorage,
    totalWeight: number, rows: number, classes: number, ignoreIndex: number, smoothing: number, logInput: number, reduction: number,
  ): void;
  /** The names of the addon's kernels of each kind, in the order of their codes. */
  readonly opNames: {
    readonly binary: readonly string[];
    readonly unary: readonly string[];
    readonly reduce: readonly string[];
    readonly conv: readonly string[];
    readonly pool: readonly string[];
    readonly range: readonly string[];
    readonly unaryBackward: readonly string[];
    readonly softmax: readonly string[];
    readonly rnn: readonly string[];
  };
  /** The addon's dtype table. */
  readonly dtypes: readonly NativeDType[];
  readonly rngStateWords: number;
}

/** The package root: dist/backend/native -> ../../.. (also right for lib/ under ts-jest). */
const ROOT = path.resolve(__dirname, '..', '..', '..');

/**
 * How long (2^n cycles) OpenBLAS's idle threads spin before they sleep, unless the user set
 * OPENBLAS_THREAD_TIMEOUT. OpenBLAS's default (2^28 cycles, about 0.1 s) keeps its threads busy-yielding through
 * the whole training step, where they take the cores from torchlet's own convolution threads: the CNN step ran
 * 40% slower on 2 threads than on 1. 2^16 cycles (about 20 us) still covers the gaps between back-to-back GEMMs.
 */
const OPENBLAS_THREAD_TIMEOUT = '16';

/**
 * Runs load with OPENBLAS_THREAD_TIMEOUT set for OpenBLAS to read when the addon loads it, then puts the
 * environment back as it was, so child processes and other libraries see the user's environment.
 */
function withBlasEnvironment<T>(load: () => T): T {
  if (process.env.OPENBLAS_THREAD_TIMEOUT !== undefined) return load();
  process.env.OPENBLAS_THREAD_TIMEOUT = OPENBLAS_THREAD_TIMEOUT;
  try {
    return load();
  } finally {
    delete process.env.OPENBLAS_THREAD_TIMEOUT;
  }
}

/**
 * Loads the addon: TORCHLET_NATIVE (a path to a .node file) if set, else a prebuild or build/ through
 * node-gyp-build.
 * @throws Error saying how to build the addon when none loads.
 */
export function loadBinding(): NativeBinding {
  const explicit = process.env.TORCHLET_NATIVE;
  try {
    return withBlasEnvironment(() => {
      if (explicit) return require(path.resolve(explicit)) as NativeBinding;
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const load = require('node-gyp-build') as (dir: string) => unknown;
      return load(ROOT) as NativeBinding;
    });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(
      `torchlet: could not load the native addon (${why}). Build it with \`npm rebuild torchlet\` ` +
        '(needs a C++ compiler and OpenBLAS: on Debian/Ubuntu `apt-get install -y build-essential libopenblas-dev pkg-config`), ' +
        'or set TORCHLET_NATIVE to the path of a built torchlet.node.',
    );
  }
}

export const native: NativeBinding = loadBinding();
