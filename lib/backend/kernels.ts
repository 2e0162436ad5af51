/**
 * The kernels interface: the only way into the native addon. Each function takes strided operands (storage +
 * layout), packs the layouts into one reused Float64Array and calls the addon. Knows nothing of Tensors, autograd
 * or broadcasting. Kernels are named by strings that the addon exports (op names, conv and pool kinds, dtypes), so
 * the two sides are checked against each other at load instead of sharing numbers.
 */
import type { DType, Storage } from '../dtype';
import { DTYPES, setMisalignmentProbe } from '../dtype';
import type { Shape } from '../shape';
import { contiguousStrides, isRowMajor, numelOf } from '../shape';
import { native } from './native/binding';
import type { BackendInfo, FloatStorage } from './native/binding';

// Storage allocation starts large arrays on a cache line; only the addon can see where a buffer lies.
setMisalignmentProbe((buffer) => native.misalignment(buffer));

export type { BackendInfo, FloatStorage } from './native/binding';

/** A strided operand: storage plus layout (shape, strides in elements, offset). Tensor satisfies it. */
export interface Strided {
  readonly data: Storage;
  readonly shape: Shape;
  readonly strides: readonly number[];
  readonly offset: number;
}

// ---- names -> codes, checked at load ---------------------------------------------------------------------------

type KernelKind = keyof typeof native.opNames;

function missing(kind: string, name: string): Error {
  return new Error(`torchlet: the native addon lacks the ${kind} kernel '${name}'; rebuild it (npm rebuild torchlet)`);
}

/** The addon's code for a kernel name; throws at the caller's load time when the addon lacks it. */
export function kernelCode(kind: KernelKind, name: string): number {
  const code = native.opNames[kind].indexOf(name);
  if (code < 0) throw missing(kind, name);
  return code;
}

function codes<N extends string>(kind: KernelKind, names: readonly N[]): Record<N, number> {
  const table = {} as Record<N, number>;
  for (const name of names) table[name] = kernelCode(kind, name);
  return table;
}

// The TypeScript and C++ dtype tables must describe the same element types.
for (const [name, d] of Object.entries(DTYPES)) {
  const n = native.dtypes.find((x) => x.name === name);
  if (!n || n.size !== d.size) throw missing('dtype', name);
}

export type ReduceOpName = 'sum' | 'prod' | 'max' | 'min' | 'argmax' | 'argmin';
const REDUCE = codes<ReduceOpName>('reduce', ['sum', 'prod', 'max', 'min', 'argmax', 'argmin']);

export type ConvKind = 'forward' | 'backward_input' | 'backward_weight';
const CONV = codes<ConvKind>('conv', ['forward', 'backward_input', 'backward_weight']);

export type PoolKind = 'max' | 'avg' | 'avg_backward' | 'adaptive_avg' | 'adaptive_max' | 'adaptive_avg_backward' | 'max_backward';
export type RangeKind = 'arange' | 'linspace';
const RANGE = codes<RangeKind>('range', ['arange', 'linspace']);

const POOL = codes<PoolKind>('pool', ['max', 'avg', 'avg_backward', 'adaptive_avg', 'adaptive_max', 'adaptive_avg_backward', 'max_backward']);

// ---- layouts ---------------------------------------------------------------------------------------------------

// One scratch layout array for every call: calls are synchronous, so it is never shared. A Float64Array holds every
// size, stride and offset exactly (integers up to 2^53), where an Int32Array would wrap them at 2^31. Entry 0 is the
// count of values the call packed: the addon reads only those, so nothing an earlier call left behind is ever read.
const meta = new Float64Array(257);
let pos = 1;
function begin(): void {
  pos = 1;
}
function put(v: number): void {
  meta[pos++] = v;
}
function putAll(vs: readonly number[]): void {
  for (let i = 0; i < vs.length; i++) meta[pos++] = vs[i]!;
}
/**
 * Writes an operand's `rank` strides: exactly as many as the addon reads for it. A layout whose strides do not match
 * the shape it is packed with is a caller's bug; it is reported here rather than let the addon read other values.
 */
function putStrides(kernel: string, operand: string, o: Strided, rank: number): void {
  if (o.strides.length !== rank) {
    throw new RangeError(
      `torchlet.kernels.${kernel}: '${operand}' has ${o.strides.length} strides (shape [${o.shape.join(', ')}]) ` +
        `for an index space of rank ${rank}`,
    );
  }
  putAll(o.strides);
}
function finish(): Float64Array {
  meta[0] = pos - 1;
  return meta;
}

/**
 * Packs the layout every elementwise kernel takes: [rank, offsets..., shape..., strides of each operand...].
 * Operands are positional (no array per call: this is on every op's path).
 */
function packElementwise(kernel: string, shape: Shape, o0: Strided, o1: Strided, o2?: Strided, o3?: Strided): Float64Array {
  const rank = shape.length;
  begin();
  put(rank);
  put(o0.offset);
  put(o1.offset);
  if (o2) put(o2.offset);
  if (o3) put(o3.offset);
  putAll(shape);
  putStrides(kernel, 'operand 0', o0, rank);
  putStrides(kernel, 'operand 1', o1, rank);
  if (o2) putStrides(kernel, 'operand 2', o2, rank);
  if (o3) putStrides(kernel, 'operand 3', o3, rank);
  return finish();
}

// ---- elementwise -----------------------------------------------------------------------------------------------

/** out = op(a, b), op a code from kernelCode('binary', name); all three share out's shape. alpha scales b for add/sub. */
export function binary(op: number, out: Strided, a: Strided, b: Strided, alpha = 1): void {
  native.binary(op, out.data, a.data, b.data, packElementwise('binary', out.shape, out, a, b), alpha);
}

/** out = op(a) with scalar parameters p0, p1 (clamp bounds, exponent, slope); op from kernelCode('unary', name). */
export function unary(op: number, out: Strided, a: Strided, p0 = 0, p1 = 0): void {
  native.unary(op, out.data, a.data, packElementwise('unary', out.shape, out, a), p0, p1);
}

/**
 * out = op(g, a) with scalar parameters p0, p1: a fused activation gradient (tanh and sigmoid take the forward's
 * output, gelu, silu and softplus its input; softplus: p0 = beta, p1 = threshold); op from
 * kernelCode('unaryBackward', name). All three share out's shape and dtype.
 */
export function unaryBackward(op: number, out: Strided, g: Strided, a: Strided, p0 = 0, p1 = 0): void {
  native.unaryBackward(op, out.data, g.data, a.data, packElementwise('unaryBackward', out.shape, out, g, a), p0, p1);
}

/** out = cond ? a : b. */
export function where(out: Strided, cond: Strided, a: Strided, b: Strided): void {
  native.where(out.data, cond.data as Uint8Array, a.data, b.data, packElementwise('where', out.shape, out, cond, a, b));
}

/** dst = src (same shape), converting dtype when the storages differ. */
export function copy(dst: Strided, src: Strided): void {
  native.copy(dst.data, src.data, packElementwise('copy', dst.shape, dst, src));
}

/**
 * The elements of a strided operand as one contiguous typed array: a view of the storage itself when it already is
 * one, else a packed copy.
 */
export function dense(t: Strided & { readonly dtype: DType }): Storage {
  const n = numelOf(t.shape);
  if (isRowMajor(t.shape, t.strides)) return t.offset === 0 && t.data.length === n ? t.data : t.data.subarray(t.offset, t.offset + n);
  const out = new DTYPES[t.dtype].array(n);
  copy({ data: out, shape: t.shape, strides: contiguousStrides(t.shape), offset: 0 }, t);
  return out;
}

// ---- reductions, products, indexing ----------------------------------------------------------------------------

/** Reduces the dims flagged in `mask` into contiguous `out` / `indices` over the kept dims. */
export function reduce(op: ReduceOpName, out: Storage | null, indices: Int32Array | null, a: Strided, mask: readonly boolean[]): void {
  const rank = a.shape.length;
  if (mask.length !== rank) throw new RangeError(`torchlet.kernels.reduce: a mask of ${mask.length} dims for a rank-${rank} operand`);
  begin();
  put(rank);
  put(a.offset);
  putAll(a.shape);
  putStrides('reduce', 'a', a, rank);
  for (let d = 0; d < rank; d++) put(mask[d] ? 1 : 0);
  native.reduce(REDUCE[op], out, indices, a.data, finish());
}

/**
 * out[batch] = alpha * a[batch] @ b[batch] + beta * out[batch], out contiguous [batch..., m, n] from outOffset.
 * a and b are [batch..., m, k] and [batch..., k, n] with batch dims already broadcast (stride 0 allowed); all
 * three float32 (torchlet's own sgemm, which takes any strides) or all float64 (OpenBLAS dgemm).
 * @returns 0, or a mask (1 = a, 2 = b) of operands that must be made contiguous first (float64 only).
 */
export function matmul(out: FloatStorage, outOffset: number, a: Strided, b: Strided, alpha: number, beta: number): number {
  const r = a.shape.length;
  const batchRank = r - 2;
  if (b.shape.length !== r || a.strides.length !== r || b.strides.length !== r) {
    throw new RangeError(`torchlet.kernels.matmul: operands of shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] differ in rank`);
  }
  begin();
  put(batchRank);
  put(a.shape[r - 2]!);
  put(b.shape[r - 1]!);
  put(a.shape[r - 1]!);
  put(a.offset);
  put(b.offset);
  put(outOffset);
  put(a.strides[r - 2]!);
  put(a.strides[r - 1]!);
  put(b.strides[r - 2]!);
  put(b.strides[r - 1]!);
  for (let d = 0; d < batchRank; d++) put(a.shape[d]!);
  for (let d = 0; d < batchRank; d++) put(a.strides[d]!);
  for (let d = 0; d < batchRank; d++) put(b.strides[d]!);
  return native.matmul(out, a.data as FloatStorage, b.data as FloatStorage, finish(), alpha, beta);
}

function indexLayout(kernel: string, out: Strided, src: Strided, index: Strided, dimSize: number): Float64Array {
  const rank = index.shape.length;
  begin();
  put(rank);
  put(out.offset);
  put(src.offset);
  put(index.offset);
  putAll(index.shape);
  putStrides(kernel, 'out', out, rank);
  putStrides(kernel, 'src', src, rank);
  putStrides(kernel, 'index', index, rank);
  put(dimSize);
  return finish();
}

/** out = src gathered along `dim` by index (out has the index's shape; src's dim has dimSize entries). */
export function gather(out: Strided, src: Strided, index: Strided, dim: number, dimSize: number): void {
  native.gather(out.data, src.data, index.data as Int32Array, indexLayout('gather', out, src, index, dimSize), dim);
}

/** out[.. index ..] += src along `dim` (src has the index's shape; out's dim has dimSize entries). */
export function scatterAdd(out: Strided, src: Strided, index: Strided, dim: number, dimSize: number): void {
  native.scatterAdd(out.data, src.data, index.data as Int32Array, indexLayout('scatterAdd', out, src, index, dimSize), dim);
}

// ---- convolution and pooling -----------------------------------------------------------------------------------

/** Geometry of a 2-D convolution, as the addon takes it. */
export interface ConvGeometry {
  n: number; c: number; h: number; w: number; oc: number; kh: number; kw: number;
  sh: number; sw: number; ph: number; pw: number; dh: number; dw: number; groups: number; oh: number; ow: number;
}

/**
 * Runs a convolution kernel on contiguous float32 or float64 buffers: forward (x, w -> y, adding bias [oc] when
 * given), backward_input (gy, w -> gx), backward_weight (x, gy -> gw).
 */
export function conv2d(kind: ConvKind, a: FloatStorage, b: FloatStorage, out: FloatStorage, g: ConvGeometry, bias: FloatStorage | null = null): void {
  begin();
  putAll([g.n, g.c, g.h, g.w, g.oc, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.groups, g.oh, g.ow]);
  native.conv2d(CONV[kind], a, b, out, finish(), bias);
}

/** Geometry of a 2-D pooling over [planes, h, w]. */
export interface PoolGeometry {
  planes: number; h: number; w: number; oh: number; ow: number; kh: number; kw: number;
  sh: number; sw: number; ph: number; pw: number; dh: number; dw: number; countIncludePad: boolean; divisorOverride: number;
}

export function pool2d(kind: PoolKind, a: FloatStorage, out: FloatStorage, indices: Int32Array | null, g: PoolGeometry): void {
  begin();
  putAll([g.planes, g.h, g.w, g.oh, g.ow, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.countIncludePad ? 1 : 0, g.divisorOverride]);
  native.pool2d(POOL[kind], a, out, indices, finish());
}

// ---- range fills ------------------------------------------------------------------------------------------------

/**
 * Fills out[0, n) natively: arange (a = start, b = step; out[i] = a + i * b in double, then stored) or linspace
 * (from a to b inclusive, as PyTorch's CPU kernel computes it). Floats round; int32 truncates, and every value must
 * fit in int32 (the addon throws a RangeError otherwise). Bool storage is refused.
 * @throws RangeError for int32 values out of range; TypeError for bool storage.
 * @example fillRange('arange', new Float64Array(3), 3, 0, 0.5) // fills [0, 0.5, 1]
 */
export function fillRange(kind: RangeKind, out: Storage, n: number, a: number, b: number): void {
  native.fillRange(RANGE[kind], out, n, a, b);
}

// ---- fused kernels: softmax family, layer norm, classification losses --------------------------------------------

export type SoftmaxKind = 'softmax' | 'log_softmax' | 'logsumexp';
const SOFTMAX = codes<SoftmaxKind>('softmax', ['softmax', 'log_softmax', 'logsumexp']);

/**
 * softmax, log_softmax (out [outer, n, inner]) or logsumexp (out [outer, inner]) over the middle dim of a contiguous
 * [outer, n, inner] x; the same bits on any thread count.
 */
export function softmax(kind: SoftmaxKind, x: FloatStorage, out: FloatStorage, outer: number, n: number, inner: number): void {
  native.softmax(SOFTMAX[kind], x, out, outer, n, inner);
}
/**
 * Their gradient gx for the incoming g: from the output y (softmax, log_softmax), or for logsumexp from its input
 * y and result r, with g of r's shape.
 */
export function softmaxBackward(kind: SoftmaxKind, g: FloatStorage, y: FloatStorage, r: FloatStorage | null, gx: FloatStorage, outer: number, n: number, inner: number): void {
  native.softmaxBackward(SOFTMAX[kind], g, y, r, gx, outer, n, inner);
}
/**
 * Multi-head attention's weights: softmax over the last dim of contiguous x [batch, heads, rows, n] in place, and
 * mean [batch, rows, n] = the sum over the heads divided by heads, in the same pass.
 */
export function softmaxHeadMean(x: FloatStorage, mean: FloatStorage, batch: number, heads: number, rows: number, n: number): void {
  native.softmaxHeadMean(x, mean, batch, heads, rows, n);
}
/** Layer norm of the m rows of n of contiguous x into y, saving each row's mean and 1 / std. */
export function layerNorm(x: FloatStorage, w: FloatStorage | null, b: FloatStorage | null, y: FloatStorage, mean: FloatStorage, rstd: FloatStorage, m: number, n: number, eps: number): void {
  native.layerNorm(x, w, b, y, mean, rstd, m, n, eps);
}
/** Layer norm's gradients gx, gw, gb (each null when not wanted) in one pass. */
export function layerNormBackward(
  g: FloatStorage, x: FloatStorage, mean: FloatStorage, rstd: FloatStorage, w: FloatStorage | null,
  gx: FloatStorage | null, gw: FloatStorage | null, gb: FloatStorage | null, m: number, n: number,
): void {
  native.layerNormBackward(g, x, mean, rstd, w, gx, gw, gb, m, n);
}

/** A classification loss's parameters: logits (cross entropy) or log-probabilities (nll) of `classes` per row. */
export interface ClassLossParams {
  rows: number; classes: number; ignoreIndex: number; smoothing: number; logInput: boolean; reduction: 'none' | 'mean' | 'sum';
}
const REDUCTION = { none: 0, mean: 1, sum: 2 } as const;
const totals = new Float64Array(1);

/**
 * Cross entropy (fused log_softmax) or nll over contiguous [rows, classes] x; stats (2 per row, logits only) is
 * saved for the backward.
 * @returns the kept rows' total weight, or { bad: row } for the first target out of range (nothing computed)
 */
export function classLoss(x: FloatStorage, target: Int32Array, weight: FloatStorage | null, loss: FloatStorage, stats: FloatStorage | null, p: ClassLossParams): number | { bad: number } {
  const bad = native.classLoss(x, target, weight, loss, stats, totals, p.rows, p.classes, p.ignoreIndex, p.smoothing, p.logInput ? 1 : 0, REDUCTION[p.reduction]);
  return bad >= 0 ? { bad } : totals[0]!;
}
/** The classification loss's gradient gx [rows, classes] for the incoming g. */
export function classLossBackward(x: FloatStorage, target: Int32Array, weight: FloatStorage | null, stats: FloatStorage | null, g: FloatStorage, gx: FloatStorage, totalWeight: number, p: ClassLossParams): void {
  native.classLossBackward(x, target, weight, stats, g, gx, totalWeight, p.rows, p.classes, p.ignoreIndex, p.smoothing, p.logInput ? 1 : 0, REDUCTION[p.reduction]);
}

// ---- fused recurrent layers ------------------------------------------------------------------------------------

export type RnnMode = 'rnn_tanh' | 'rnn_relu' | 'lstm' | 'gru';
const RNN = codes<RnnMode>('rnn', ['rnn_tanh', 'rnn_relu', 'lstm', 'gru']);

/**
 * The geometry of one direction of a recurrent layer: steps T, batch B (rows of h0), hidden H, out P (the width of h:
 * the LSTM's projection size, else H), reverse, and whether the LSTM projects.
 */
export interface RnnGeometry {
  mode: RnnMode; steps: number; batch: number; hidden: number; out: number; reverse: boolean; proj: boolean;
}

function rnnLayout(g: RnnGeometry): Float64Array {
  begin();
  putAll([RNN[g.mode], g.steps, g.batch, g.hidden, g.out, g.reverse ? 1 : 0, g.proj ? 1 : 0]);
  return finish();
}

/** Elements of the buffer rnnForward saves for rnnBackward, for `rows` packed rows (as rnn_saved_size in C++). */
export function rnnSavedSize(g: RnnGeometry, rows: number): number {
  const extra = g.mode === 'lstm' ? 6 * g.hidden + (g.proj ? g.hidden : 0) : g.mode === 'gru' ? 4 * g.hidden : 0;
  return rows * (g.out + extra);
}

/** The operands of rnnForward: contiguous buffers; null for an absent bias, c0 (not LSTM) or projection. */
export interface RnnForwardArgs {
  xw: FloatStorage; h0: FloatStorage; c0: FloatStorage | null; wHh: FloatStorage; bHh: FloatStorage | null; wHr: FloatStorage | null;
  out: FloatStorage; hN: FloatStorage; cN: FloatStorage | null; saved: FloatStorage;
}

/** One direction of a recurrent layer over a packed sequence, every step (see native/src/kernels/rnn.cpp). */
export function rnnForward(g: RnnGeometry, batchSizes: Int32Array, a: RnnForwardArgs): void {
  native.rnnForward(batchSizes, rnnLayout(g), a.xw, a.h0, a.c0, a.wHh, a.bHh, a.wHr, a.out, a.hN, a.cN, a.saved);
}

/** The operands of rnnBackward: what forward used and saved, the output gradients (null: zero) and the results. */
export interface RnnBackwardArgs {
  wHh: FloatStorage; wHr: FloatStorage | null; out: FloatStorage; saved: FloatStorage;
  gOut: FloatStorage | null; gHN: FloatStorage | null; gCN: FloatStorage | null;
  dXw: FloatStorage; dH0: FloatStorage; dC0: FloatStorage | null; dWHh: FloatStorage; dBHh: FloatStorage | null; dWHr: FloatStorage | null;
}

/** The gradients of rnnForward's inputs, every step at once. */
export function rnnBackward(g: RnnGeometry, batchSizes: Int32Array, a: RnnBackwardArgs): void {
  native.rnnBackward(batchSizes, rnnLayout(g), a.wHh, a.wHr, a.out, a.saved, a.gOut, a.gHN, a.gCN, a.dXw, a.dH0, a.dC0, a.dWHh, a.dBHh, a.dWHr);
}

// ---- optimizers ------------------------------------------------------------------------------------------------

export interface AdamHyper {
  lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; step: number;
  amsgrad: boolean; maximize: boolean; decoupled: boolean;
}

/** The elements of a floating tensor as one contiguous typed array, for the float-only kernels. */
export function denseFloat(t: Strided & { readonly dtype: DType }): FloatStorage {
  return dense(t) as FloatStorage;
}

/** One fused Adam/AdamW update of contiguous p with gradient g and moments m, v (vmax with amsgrad). */
export function adamStep(p: FloatStorage, g: FloatStorage, m: FloatStorage, v: FloatStorage, vmax: FloatStorage | null, h: AdamHyper): void {
  const flags = (h.amsgrad ? 1 : 0) | (h.maximize ? 2 : 0) | (h.decoupled ? 4 : 0);
  native.adamStep(p, g, m, v, vmax, p.length, h.lr, h.beta1, h.beta2, h.eps, h.weightDecay, h.step, flags);
}

// ---- random streams --------------------------------------------------------------------------------------------

/** Words of a generator state (MT19937, position, cached normal, seed). */
export const rngStateWords = native.rngStateWords;

export function rngSeed(state: Uint32Array, seed: bigint): void {
  native.rngSeed(state, Number(seed & 0xffffffffn), Number(seed >> 32n));
}
/** U[from, to) into out[offset, offset + n), in order. */
export function rngUniform(state: Uint32Array, out: FloatStorage, offset: number, n: number, from: number, to: number): void {
  native.rngUniform(state, out, offset, n, from, to);
}
/** N(mean, std^2) into out[offset, offset + n), with PyTorch's 16-block and scalar paths. */
export function rngNormal(state: Uint32Array, out: FloatStorage, offset: number, n: number, mean: number, std: number): void {
  native.rngNormal(state, out, offset, n, mean, std);
}
/** Integers uniform in [low, high). */
export function rngRandint(state: Uint32Array, out: Int32Array, offset: number, n: number, low: number, high: number): void {
  native.rngRandint(state, out, offset, n, low, high);
}
/** A random permutation of 0..n-1. */
export function rngRandperm(state: Uint32Array, out: Int32Array, offset: number, n: number): void {
  native.rngRandperm(state, out, offset, n);
}
/** 1 with probability p, else 0. */
export function rngBernoulli(state: Uint32Array, out: FloatStorage, offset: number, n: number, p: number): void {
  native.rngBernoulli(state, out, offset, n, p);
}

// ---- threads and build facts -----------------------------------------------------------------------------------

/**
 * Sets the size of OpenBLAS's thread pool and of torchlet's own, for the whole process (every module and worker
 * thread sees it), as torch.set_num_threads.
 * @param n an integer in [1, maxThreads()].
 * @throws RangeError for any other n.
 * @example setNumThreads(1)
 */
export function setNumThreads(n: number): void {
  native.setNumThreads(n);
}
/** The thread count setNumThreads last set (process-wide). @example getNumThreads() // 2 */
export function getNumThreads(): number {
  return native.getNumThreads();
}
/** The most threads setNumThreads takes: the CPUs this process may use, within what OpenBLAS was built for. @example maxThreads() // 2 */
export function maxThreads(): number {
  return native.backendInfo().maxThreads;
}
export function backendInfo(): BackendInfo {
  return native.backendInfo();
}
