/**
 * The kernels interface: each function takes strided operands (storage + layout), packs the layouts into one
 * reused Int32Array and calls the addon. Knows nothing of Tensors, autograd or broadcasting.
 */
import type { Storage } from '../dtype';
import type { Shape } from '../shape';
import { native } from './native/binding';

/** A strided operand: storage plus layout (shape, strides in elements, offset). Tensor satisfies it. */
export interface Strided {
  readonly data: Storage;
  readonly shape: Shape;
  readonly strides: readonly number[];
  readonly offset: number;
}

export type BinaryOpName =
  | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum' | 'remainder' | 'floor_divide'
  | 'threshold_backward' | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'logical_and' | 'logical_or' | 'logical_xor';
export type UnaryOpName =
  | 'neg' | 'abs' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'sin' | 'cos' | 'tanh' | 'sigmoid' | 'relu' | 'sign'
  | 'clamp' | 'pow_scalar' | 'log1p' | 'expm1' | 'floor' | 'ceil' | 'round' | 'trunc' | 'reciprocal' | 'erf'
  | 'square' | 'logical_not' | 'isnan' | 'leaky_relu';
export type ReduceOpName = 'sum' | 'prod' | 'max' | 'min' | 'argmax' | 'argmin';

// Op codes come from the addon's own name lists, so the two sides cannot drift apart silently.
function codes<N extends string>(kind: string, names: readonly string[], wanted: readonly N[]): Record<N, number> {
  const table = {} as Record<N, number>;
  for (const name of wanted) {
    const code = names.indexOf(name);
    if (code < 0) throw new Error(`torchlet: the native addon lacks the ${kind} op '${name}'; rebuild it (npm rebuild torchlet)`);
    table[name] = code;
  }
  return table;
}

const BINARY = codes<BinaryOpName>('binary', native.opNames.binary, [
  'add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'remainder', 'floor_divide',
  'threshold_backward', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logical_and', 'logical_or', 'logical_xor',
]);
const UNARY = codes<UnaryOpName>('unary', native.opNames.unary, [
  'neg', 'abs', 'exp', 'log', 'sqrt', 'rsqrt', 'sin', 'cos', 'tanh', 'sigmoid', 'relu', 'sign', 'clamp',
  'pow_scalar', 'log1p', 'expm1', 'floor', 'ceil', 'round', 'trunc', 'reciprocal', 'erf', 'square',
  'logical_not', 'isnan', 'leaky_relu',
]);
const REDUCE = codes<ReduceOpName>('reduce', native.opNames.reduce, ['sum', 'prod', 'max', 'min', 'argmax', 'argmin']);

// One scratch layout array for every call: calls are synchronous, so it is never shared.
const meta = new Int32Array(1024);
let pos = 0;
function put(v: number): void {
  meta[pos++] = v;
}
function putAll(vs: readonly number[]): void {
  for (let i = 0; i < vs.length; i++) meta[pos++] = vs[i]!;
}

/**
 * Packs the layout every elementwise kernel takes: [rank, offsets..., shape..., strides of each operand...].
 * Operands are positional (no array per call: this is on every op's path).
 */
function packElementwise(shape: Shape, o0: Strided, o1: Strided, o2?: Strided, o3?: Strided): Int32Array {
  pos = 0;
  put(shape.length);
  put(o0.offset);
  put(o1.offset);
  if (o2) put(o2.offset);
  if (o3) put(o3.offset);
  putAll(shape);
  putAll(o0.strides);
  putAll(o1.strides);
  if (o2) putAll(o2.strides);
  if (o3) putAll(o3.strides);
  return meta;
}

/** out = op(a, b); all three share out's shape. For add/sub, alpha scales b (one fused multiply-add). */
export function binary(op: BinaryOpName, out: Strided, a: Strided, b: Strided, alpha = 1): void {
  native.binary(BINARY[op], out.data, a.data, b.data, packElementwise(out.shape, out, a, b), alpha);
}

/** out = op(a) with scalar parameters p0, p1 (clamp bounds, exponent, slope). */
export function unary(op: UnaryOpName, out: Strided, a: Strided, p0 = 0, p1 = 0): void {
  native.unary(UNARY[op], out.data, a.data, packElementwise(out.shape, out, a), p0, p1);
}

/** out = cond ? a : b. */
export function where(out: Strided, cond: Strided, a: Strided, b: Strided): void {
  native.where(out.data, cond.data as Uint8Array, a.data, b.data, packElementwise(out.shape, out, cond, a, b));
}

/** dst = src (same shape), converting dtype when the storages differ. */
export function copy(dst: Strided, src: Strided): void {
  native.copy(dst.data, src.data, packElementwise(dst.shape, dst, src));
}

/** Reduces the dims flagged in `mask` into contiguous `out` / `indices` over the kept dims. */
export function reduce(op: ReduceOpName, out: Storage | null, indices: Int32Array | null, a: Strided, mask: readonly boolean[]): void {
  pos = 0;
  put(a.shape.length);
  put(a.offset);
  putAll(a.shape);
  putAll(a.strides);
  for (let d = 0; d < mask.length; d++) put(mask[d] ? 1 : 0);
  native.reduce(REDUCE[op], out, indices, a.data, meta);
}

/**
 * out[batch] = alpha * a[batch] @ b[batch] + beta * out[batch], out contiguous [batch..., m, n] from outOffset.
 * a and b are [batch..., m, k] and [batch..., k, n] with batch dims already broadcast (stride 0 allowed).
 * @returns 0, or a mask (1 = a, 2 = b) of operands that must be made contiguous first.
 */
export function matmul(out: Float32Array, outOffset: number, a: Strided, b: Strided, alpha: number, beta: number): number {
  const r = a.shape.length;
  const batchRank = r - 2;
  pos = 0;
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
  return native.matmul(out, a.data as Float32Array, b.data as Float32Array, meta, alpha, beta);
}

function indexLayout(out: Strided, src: Strided, index: Strided, dimSize: number): void {
  pos = 0;
  put(index.shape.length);
  put(out.offset);
  put(src.offset);
  put(index.offset);
  putAll(index.shape);
  putAll(out.strides);
  putAll(src.strides);
  putAll(index.strides);
  put(dimSize);
}

/** out = src gathered along `dim` by index (out has the index's shape; src's dim has dimSize entries). */
export function gather(out: Strided, src: Strided, index: Strided, dim: number, dimSize: number): void {
  indexLayout(out, src, index, dimSize);
  native.gather(out.data, src.data, index.data as Int32Array, meta, dim);
}

/** out[.. index ..] += src along `dim` (src has the index's shape; out's dim has dimSize entries). */
export function scatterAdd(out: Strided, src: Strided, index: Strided, dim: number, dimSize: number): void {
  indexLayout(out, src, index, dimSize);
  native.scatterAdd(out.data, src.data, index.data as Int32Array, meta, dim);
}

/** Geometry of a 2-D convolution, as the addon takes it. */
export interface ConvGeometry {
  n: number; c: number; h: number; w: number; oc: number; kh: number; kw: number;
  sh: number; sw: number; ph: number; pw: number; dh: number; dw: number; groups: number; oh: number; ow: number;
}

/**
 * Runs a convolution kernel: 0 forward (x, w -> y, adding bias [oc] when given), 1 input gradient (gy, w -> gx),
 * 2 weight gradient (x, gy -> gw).
 */
export function conv2d(kind: 0 | 1 | 2, a: Float32Array, b: Float32Array, out: Float32Array, g: ConvGeometry, bias: Float32Array | null = null): void {
  pos = 0;
  putAll([g.n, g.c, g.h, g.w, g.oc, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.groups, g.oh, g.ow]);
  native.conv2d(kind, a, b, out, meta, bias);
}

/** Geometry of a 2-D pooling over [planes, h, w]. */
export interface PoolGeometry {
  planes: number; h: number; w: number; oh: number; ow: number; kh: number; kw: number;
  sh: number; sw: number; ph: number; pw: number; dh: number; dw: number; countIncludePad: boolean; divisorOverride: number;
}

export type PoolKind = 'max' | 'avg' | 'avgBackward' | 'adaptiveAvg' | 'adaptiveMax' | 'adaptiveAvgBackward' | 'maxBackward';
const POOL_KINDS: Record<PoolKind, number> = { max: 0, avg: 1, avgBackward: 2, adaptiveAvg: 3, adaptiveMax: 4, adaptiveAvgBackward: 5, maxBackward: 6 };

export function pool2d(kind: PoolKind, a: Float32Array, out: Float32Array, indices: Int32Array | null, g: PoolGeometry): void {
  pos = 0;
  putAll([g.planes, g.h, g.w, g.oh, g.ow, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.countIncludePad ? 1 : 0, g.divisorOverride]);
  native.pool2d(POOL_KINDS[kind], a, out, indices, meta);
}
