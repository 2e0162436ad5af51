/** 2-D (and 1-D) max, average and adaptive pooling on the native kernels, each one recorded node. */
import * as K from '../backend/kernels';
import type { FloatStorage } from '../backend/kernels';
import { Tensor, outputTensor as empty } from '../tensor';
import { record, releaseUnrecorded } from '../autograd/record';
import { recordLinearBackward } from '../autograd/backward_node';
import { shapeStr } from '../shape';
import { checkBool, checkFloating, checkInt, checkOptions, describe } from '../validate';
import type { Pair } from '../validate';
import { sizeArg } from './conv';

const dense = K.denseFloat;

/** The pooling kernel; a batch of 0 planes (an empty result) needs no call. */
function pool2d(kind: K.PoolKind, a: FloatStorage, out: FloatStorage, indices: Int32Array | null, g: K.PoolGeometry): void {
  if (g.planes > 0) K.pool2d(kind, a, out, indices, g);
}

/**
 * A float input of 3 or 4 dims. Window pools take an empty batch (dim 0 of a 4-D input) only, adaptive max pooling
 * an empty dim 0 of either rank, adaptive average pooling any empty dim but the plane's: PyTorch's messages.
 */
function checkInput(op: string, x: unknown, adaptive = false): asserts x is Tensor {
  checkFloating(op, 'input', x);
  if (x.dim() !== 3 && x.dim() !== 4) throw new RangeError(`${op}: Expected 3D or 4D (batch mode) tensor for input, but got: ${shapeStr(x.shape)}`);
  // The first dim that must not be empty: adaptive average pooling checks the plane only.
  const from = op === 'adaptiveAvgPool2d' ? x.dim() - 2 : adaptive || x.dim() === 4 ? 1 : 0;
  const empty = x.shape.findIndex((s, i) => s === 0 && i >= from);
  if (empty < 0) return;
  if (!adaptive) throw new RangeError(`${op}: Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:${shapeStr(x.shape)}`);
  const name = op === 'adaptiveMaxPool2d' ? 'adaptive_max_pool2d' : 'adaptive_avg_pool2d';
  throw new RangeError(
    `${op}: ${name}(): Expected input to have non-zero size for non-batch dimensions, but input has sizes ${shapeStr(x.shape)} with dimension ${empty} being empty`,
  );
}

/** PyTorch's pooling_output_shape, with ceil mode's rule that the last window must start inside the input. */
function outSize(size: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const num = size + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0);
  let o = Math.floor(num / s) + 1;
  if (ceil && (o - 1) * s >= size + p) o--;
  return o;
}

export interface MaxPool2dOptions {
  stride?: Pair | null;
  padding?: Pair;
  dilation?: Pair;
  ceilMode?: boolean;
  returnIndices?: boolean;
}

/** The geometry of a pass that only needs the plane sizes (adaptive pooling, max-pool backward). */
function planeGeometry(planes: number, h: number, w: number, oh: number, ow: number): K.PoolGeometry {
  return { planes, h, w, oh, ow, kh: 1, kw: 1, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, countIncludePad: false, divisorOverride: 0 };
}

/**
 * A window-mean pool (plain or adaptive): its forward kernel, recorded. The pool is linear, so its backward is its
 * adjoint kernel, recorded in turn with the forward kernel as its own backward: differentiable to any order.
 */
function meanPool(name: string, kinds: [K.PoolKind, K.PoolKind], input: Tensor, geometry: K.PoolGeometry): Tensor {
  const y = empty([...input.shape.slice(0, -2), geometry.oh, geometry.ow], input.dtype);
  pool2d(kinds[0], dense(input), y.data as FloatStorage, null, geometry);
  return record(name, y, [input], (g) => [meanPoolAdjoint(name, kinds, g, input, geometry)]);
}

/** The gradient of meanPool for its input x, recorded on g and x as PyTorch's avg_pool2d_backward (recordLinearBackward). */
function meanPoolAdjoint(name: string, kinds: [K.PoolKind, K.PoolKind], g: Tensor, x: Tensor, geometry: K.PoolGeometry): Tensor {
  // PyTorch's adaptive_avg_pool2d takes an empty channel dim forward, and refuses it in the backward.
  const emptyDim = kinds[1] === 'adaptive_avg_backward' ? g.shape.findIndex((s, i) => i > 0 && s === 0) : -1;
  if (emptyDim > 0) {
    throw new RangeError(
      `adaptiveAvgPool2d: adaptive_avg_pool2d_backward(): Expected grad_output to have non-zero size for non-batch dimensions, but grad_output has sizes [${g.shape.join(', ')}] with dimension ${emptyDim} being empty`,
    );
  }
  const gx = empty(x.shape, g.dtype);
  pool2d(kinds[1], dense(g), gx.data as FloatStorage, null, geometry);
  return recordLinearBackward(name, gx, g, x, (gg) => meanPool(name, kinds, gg, geometry));
}

/**
 * The input gradient of max pooling: each output's gradient added at its argmax, in one native pass (parallel over
 * planes). It is linear in g, and recorded on g and the pooled input x (PyTorch's
 * MaxPool2DWithIndicesBackwardBackward0, see recordLinearBackward): its own backward gathers the incoming gradient at
 * each argmax, so max pooling is differentiable to any order.
 */
function maxPoolBackward(name: string, g: Tensor, idx: Tensor, x: Tensor, planes: number, h: number, w: number): Tensor {
  const [oh, ow] = idx.shape.slice(-2) as [number, number];
  const gx = empty(x.shape, g.dtype);
  pool2d('max_backward', dense(g), gx.data as FloatStorage, idx.data as Int32Array, planeGeometry(planes, h, w, oh, ow));
  return recordLinearBackward(name, gx, g, x, (gg) => gg.reshape([planes, h * w]).gather(1, idx.view([planes, oh * ow])).view(g.shape));
}

const MAX_POOL = 'MaxPool2DWithIndicesBackward0';
const ADAPTIVE_MAX_POOL = 'AdaptiveMaxPool2DBackward0';

function planesOf(x: Tensor): number {
  return x.dim() === 4 ? x.shape[0]! * x.shape[1]! : x.shape[0]!;
}

/**
 * Max pooling; with returnIndices also the flat positions (h * W + w) of each maximum, as PyTorch.
 * @example torch.nn.functional.maxPool2d(torch.randn(1, 1, 4, 4), 2).shape // [1, 1, 2, 2]
 */
export function maxPool2d(input: Tensor, kernelSize: Pair, options: MaxPool2dOptions & { returnIndices: true }): [Tensor, Tensor];
export function maxPool2d(input: Tensor, kernelSize: Pair, options?: MaxPool2dOptions): Tensor;
export function maxPool2d(input: Tensor, kernelSize: Pair, options: MaxPool2dOptions = {}): Tensor | [Tensor, Tensor] {
  const op = 'maxPool2d';
  checkInput(op, input);
  options = checkOptions(op, options);
  const [kh, kw] = sizeArg(op, 'kernelSize', kernelSize, 2, 1);
  const [sh, sw] = sizeArg(op, 'stride', options.stride ?? [kh, kw], 2, 1);
  const [ph, pw] = sizeArg(op, 'padding', options.padding ?? 0, 2, 0);
  const [dh, dw] = sizeArg(op, 'dilation', options.dilation ?? 1, 2, 1);
  if (2 * ph > kh || 2 * pw > kw) throw new RangeError(`${op}: pad should be at most half of effective kernel size, but got pad=(${ph}, ${pw}), kernel_size=(${kh}, ${kw})`);
  const [h, w] = input.shape.slice(-2) as [number, number];
  const ceil = checkBool(op, 'ceilMode', options.ceilMode, false);
  const returnIndices = checkBool(op, 'returnIndices', options.returnIndices, false);
  const oh = outSize(h, kh, sh, ph, dh, ceil);
  const ow = outSize(w, kw, sw, pw, dw, ceil);
  if (oh < 1 || ow < 1) throw new RangeError(`${op}: Given input size: (${input.shape.slice(-3).join('x')}). Calculated output size: (${input.shape[input.dim() - 3]}x${oh}x${ow}). Output size is too small`);
  const planes = planesOf(input);
  const shape = [...input.shape.slice(0, -2), oh, ow];
  const y = empty(shape, input.dtype);
  const idx = empty(shape, 'int32');
  pool2d('max', dense(input), y.data as FloatStorage, idx.data as Int32Array, { planes, h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw, countIncludePad: false, divisorOverride: 0 });
  // The positions are the user's with returnIndices; otherwise only the node reads them.
  const owned = returnIndices ? null : [idx.data];
  const empties = emptyWindows(oh, h, kh, sh, ph, dh, ow, w, kw, sw, pw, dw);
  const out = record(MAX_POOL, y, [input], (g) => {
    if (!empties) return [maxPoolBackward(MAX_POOL, g, idx, input, planes, h, w)];
    // A window with no input element (padding and dilation can make one) gives -inf and, as PyTorch's, a position
    // outside the plane, which PyTorch's backward adds into the next plane. The output is a constant: no gradient.
    const inside = empties.logicalNot();
    return [maxPoolBackward(MAX_POOL, g.where(inside, 0), idx.where(inside, 0), input, planes, h, w)];
  }, owned);
  if (owned) releaseUnrecorded(out, owned);
  return returnIndices ? [out, idx] : out;
}

/**
 * The outputs of a max pool whose window holds no input element (every tap in the padding), as a bool [oh, ow]
 * tensor, or null when every window holds one (always, unless padding and dilation leave a window between rows).
 */
function emptyWindows(oh: number, h: number, kh: number, sh: number, ph: number, dh: number, ow: number, w: number, kw: number, sw: number, pw: number, dw: number): Tensor | null {
  const empty = (o: number, size: number, k: number, s: number, p: number, d: number): boolean => {
    for (let t = 0; t < k; t++) {
      const i = o * s - p + t * d;
      if (i >= 0 && i < size) return false;
    }
    return true;
  };
  const rows = Array.from({ length: oh }, (_, o) => empty(o, h, kh, sh, ph, dh));
  const cols = Array.from({ length: ow }, (_, o) => empty(o, w, kw, sw, pw, dw));
  if (!rows.some(Boolean) && !cols.some(Boolean)) return null;
  const mask = new Tensor(Uint8Array.from({ length: oh * ow }, (_, i) => (rows[Math.floor(i / ow)]! || cols[i % ow]! ? 1 : 0)), [oh, ow], undefined, 0, 'bool');
  return mask;
}

/** The input of a 1-D pool: a float Tensor of 2 or 3 dims. */
function checkInput1d(op: string, input: unknown): asserts input is Tensor {
  checkFloating(op, 'input', input);
  if (input.dim() !== 2 && input.dim() !== 3) throw new RangeError(`${op}: Expected 2D or 3D (batch mode) tensor for input, but got: ${shapeStr(input.shape)}`);
}

export interface MaxPool1dOptions {
  stride?: number | null;
  padding?: number;
  dilation?: number;
  ceilMode?: boolean;
  returnIndices?: boolean;
}

/**
 * Max pooling over [N, C, L] (or [C, L]) as a 2-D pool of height 1; indices are positions along L.
 * @example torch.nn.functional.maxPool1d(torch.randn(1, 2, 6), 3).shape // [1, 2, 2]
 */
export function maxPool1d(input: Tensor, kernelSize: number, options: MaxPool1dOptions = {}): Tensor | [Tensor, Tensor] {
  const op = 'maxPool1d';
  checkInput1d(op, input);
  options = checkOptions(op, options);
  const [k] = sizeArg(op, 'kernelSize', kernelSize, 1, 1);
  const r = maxPool2d(input.unsqueeze(-2), [1, k], {
    stride: [1, sizeArg(op, 'stride', options.stride ?? k, 1, 1)[0]],
    padding: [0, sizeArg(op, 'padding', options.padding ?? 0, 1, 0)[0]],
    dilation: [1, sizeArg(op, 'dilation', options.dilation ?? 1, 1, 1)[0]],
    ceilMode: options.ceilMode,
    returnIndices: true,
  });
  const [y, idx] = r;
  return checkBool(op, 'returnIndices', options.returnIndices, false) ? [y.squeeze(-2), idx.squeeze(-2)] : y.squeeze(-2);
}

export interface AvgPool2dOptions {
  stride?: Pair | null;
  padding?: Pair;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number | null;
}

/**
 * The average over each kernel window of (N, C, H, W) or (C, H, W) input, as F.avg_pool2d.
 * @example torch.nn.functional.avgPool2d(torch.ones(1, 1, 4, 4), 2) // ones, shape [1, 1, 2, 2]
 */
export function avgPool2d(input: Tensor, kernelSize: Pair, options: AvgPool2dOptions = {}): Tensor {
  const op = 'avgPool2d';
  checkInput(op, input);
  options = checkOptions(op, options);
  const [kh, kw] = sizeArg(op, 'kernelSize', kernelSize, 2, 1);
  const [sh, sw] = sizeArg(op, 'stride', options.stride ?? [kh, kw], 2, 1);
  const [ph, pw] = sizeArg(op, 'padding', options.padding ?? 0, 2, 0);
  if (2 * ph > kh || 2 * pw > kw) throw new RangeError(`${op}: pad should be at most half of kernel size, but got pad=(${ph}, ${pw}), kernel_size=(${kh}, ${kw})`);
  const div = checkInt(op, 'divisorOverride', options.divisorOverride ?? 0);
  if (options.divisorOverride === 0) throw new RangeError(`${op}: divisor must be not zero`);
  if (div < 0) throw new RangeError(`${op}: expected a positive divisorOverride (torchlet's kernel) but received the number ${div}`);
  const [h, w] = input.shape.slice(-2) as [number, number];
  const ceil = checkBool(op, 'ceilMode', options.ceilMode, false);
  const oh = outSize(h, kh, sh, ph, 1, ceil);
  const ow = outSize(w, kw, sw, pw, 1, ceil);
  if (oh < 1 || ow < 1) throw new RangeError(`${op}: Output size is too small (${oh} x ${ow})`);
  const geometry: K.PoolGeometry = {
    planes: planesOf(input), h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh: 1, dw: 1,
    countIncludePad: checkBool(op, 'countIncludePad', options.countIncludePad, true), divisorOverride: div,
  };
  return meanPool('AvgPool2DBackward0', ['avg', 'avg_backward'], input, geometry);
}

/**
 * The average over each kernel window of (N, C, L) or (C, L) input, as F.avg_pool1d.
 * @example torch.nn.functional.avgPool1d(torch.tensor([[[1, 3, 5, 7]]]), 2) // [[[2, 6]]]
 */
export function avgPool1d(input: Tensor, kernelSize: number, options: { stride?: number | null; padding?: number; ceilMode?: boolean; countIncludePad?: boolean } = {}): Tensor {
  const op = 'avgPool1d';
  checkInput1d(op, input);
  options = checkOptions(op, options);
  const [k] = sizeArg(op, 'kernelSize', kernelSize, 1, 1);
  return avgPool2d(input.unsqueeze(-2), [1, k], {
    stride: [1, sizeArg(op, 'stride', options.stride ?? k, 1, 1)[0]],
    padding: [0, sizeArg(op, 'padding', options.padding ?? 0, 1, 0)[0]],
    ceilMode: options.ceilMode,
    countIncludePad: options.countIncludePad,
  }).squeeze(-2);
}

function adaptiveSize(op: string, input: Tensor, outputSize: Pair | readonly (number | null)[]): [number, number] {
  const raw: readonly unknown[] | null = typeof outputSize === 'number' ? [outputSize, outputSize] : Array.isArray(outputSize) ? outputSize : null;
  if (!raw || raw.length !== 2) throw new TypeError(`${op}: expected an integer or an array of 2 integers (or nulls) for 'outputSize' but received ${describe(outputSize)}`);
  const [h, w] = input.shape.slice(-2) as [number, number];
  // null keeps the input's size along that dim, as PyTorch's None.
  const size = (v: unknown, i: number, keep: number): number => (v === null || v === undefined ? keep : checkInt(op, `outputSize[${i}]`, v, 1));
  return [size(raw[0], 0, h), size(raw[1], 1, w)];
}

/**
 * Averages over windows chosen so the output has outputSize (H, W), as F.adaptive_avg_pool2d.
 * @example torch.nn.functional.adaptiveAvgPool2d(torch.randn(1, 3, 7, 7), 1).shape // [1, 3, 1, 1]
 */
export function adaptiveAvgPool2d(input: Tensor, outputSize: Pair | readonly (number | null)[]): Tensor {
  const op = 'adaptiveAvgPool2d';
  checkFloating(op, 'input', input);
  // PyTorch's adaptive_avg_pool2d is a mean over the plane for a 1 x 1 output (NaN for an empty plane).
  if ((input.dim() === 3 || input.dim() === 4) && adaptiveSize(op, input, outputSize).every((s) => s === 1)) return input.mean([-2, -1], true);
  checkInput(op, input, true);
  const [oh, ow] = adaptiveSize(op, input, outputSize);
  const [h, w] = input.shape.slice(-2) as [number, number];
  return meanPool('AdaptiveAvgPool2DBackward0', ['adaptive_avg', 'adaptive_avg_backward'], input, planeGeometry(planesOf(input), h, w, oh, ow));
}

/**
 * Maxima over windows chosen so the output has outputSize (H, W), as F.adaptive_max_pool2d.
 * @example torch.nn.functional.adaptiveMaxPool2d(torch.randn(1, 3, 6, 6), [2, 3]).shape // [1, 3, 2, 3]
 */
export function adaptiveMaxPool2d(input: Tensor, outputSize: Pair | readonly (number | null)[], returnIndices = false): Tensor | [Tensor, Tensor] {
  const op = 'adaptiveMaxPool2d';
  checkInput(op, input, true);
  const [oh, ow] = adaptiveSize(op, input, outputSize);
  const [h, w] = input.shape.slice(-2) as [number, number];
  const planes = planesOf(input);
  const shape = [...input.shape.slice(0, -2), oh, ow];
  const y = empty(shape, input.dtype);
  const idx = empty(shape, 'int32');
  pool2d('adaptive_max', dense(input), y.data as FloatStorage, idx.data as Int32Array, planeGeometry(planes, h, w, oh, ow));
  const out = record(ADAPTIVE_MAX_POOL, y, [input], (g) => [maxPoolBackward(ADAPTIVE_MAX_POOL, g, idx, input, planes, h, w)]);
  return returnIndices ? [out, idx] : out;
}
