/**
 * Convolutions (conv1d, conv2d, convTranspose2d) and padding, on the native im2col + sgemm kernels. Each
 * convolution is one recorded node whose backward calls the kernels' adjoints.
 */
import * as K from '../backend/kernels';
import type { FloatStorage } from '../backend/kernels';
import { Tensor, emptyTensor, outputTensor } from '../tensor';
import { record } from '../autograd/record';
import { noGrad } from '../autograd/grad_mode';
import { shapeStr } from '../shape';
import { checkFloatingOperands, checkTensor, pair } from '../validate';
import type { Pair } from '../validate';

export type { Pair } from '../validate';
export type PaddingArg = Pair | 'valid' | 'same';

const dense = K.denseFloat;

export interface Conv2dOptions {
  stride?: Pair;
  padding?: PaddingArg;
  dilation?: Pair;
  groups?: number;
}

/** Input, weight and bias of a convolution: floating, of one dtype (PyTorch does not promote inside a convolution). */
const checkConvOperands = (op: string, input: unknown, weight: unknown, bias: unknown): void =>
  checkFloatingOperands(op, [['input', input], ['weight', weight], ['bias', bias, 'optional']]);

/**
 * 2-D convolution over [N, C, H, W] (or unbatched [C, H, W]) input with weight [OC, C / groups, kh, kw].
 * @throws RangeError with PyTorch's messages for channel mismatches, kernels larger than the padded input and
 *   groups that do not divide the channels
 */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  const op = 'conv2d';
  checkConvOperands(op, input, weight, bias);
  if (input.dim() === 3) return conv2d(input.unsqueeze(0), weight, bias, options).squeeze(0);
  if (input.dim() !== 4) throw new RangeError(`${op}: Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: ${shapeStr(input.shape)}`);
  if (weight.dim() !== 4) throw new RangeError(`${op}: weight should have 4 dimensions, got ${shapeStr(weight.shape)}`);
  const groups = options.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new RangeError(`${op}: non-positive groups is not supported`);
  const [n, c] = input.shape as [number, number];
  const [oc, cg, kh, kw] = weight.shape as [number, number, number, number];
  if (oc % groups !== 0) {
    throw new RangeError(`${op}: Given groups=${groups}, expected weight to be divisible by ${groups} at dimension 0, but got weight of size ${shapeStr(weight.shape)} instead`);
  }
  if (cg * groups !== c) {
    throw new RangeError(
      `${op}: Given groups=${groups}, weight of size ${shapeStr(weight.shape)}, expected input${shapeStr(input.shape)} to have ${cg * groups} channels, but got ${c} channels instead`,
    );
  }
  if (bias && (bias.dim() !== 1 || bias.shape[0] !== oc)) {
    throw new RangeError(`${op}: Given weight of size ${shapeStr(weight.shape)}, expected bias to be 1-dimensional with ${oc} elements, but got bias of size ${shapeStr(bias.shape)} instead`);
  }
  const [sh, sw] = pair(op, 'stride', options.stride ?? 1, 1);
  const [dh, dw] = pair(op, 'dilation', options.dilation ?? 1, 1);
  let x = input;
  let ph: number;
  let pw: number;
  const padding = options.padding ?? 0;
  if (padding === 'valid') {
    [ph, pw] = [0, 0];
  } else if (padding === 'same') {
    if (sh !== 1 || sw !== 1) throw new RangeError(`${op}: padding='same' is not supported for strided convolutions`);
    // Total padding d * (k - 1) per dim; an odd total puts the extra row/column on the bottom/right, as PyTorch.
    const th = dh * (kh - 1);
    const tw = dw * (kw - 1);
    [ph, pw] = [Math.floor(th / 2), Math.floor(tw / 2)];
    if (th % 2 || tw % 2) x = pad(x, [0, tw % 2, 0, th % 2]);
  } else {
    [ph, pw] = pair(op, 'padding', padding, 0);
  }
  const hh = x.shape[2]!;
  const ww = x.shape[3]!;
  const eh = hh + 2 * ph - dh * (kh - 1) - 1;
  const ew = ww + 2 * pw - dw * (kw - 1) - 1;
  if (eh < 0 || ew < 0) {
    throw new RangeError(
      `${op}: Calculated padded input size per channel: (${hh + 2 * ph} x ${ww + 2 * pw}). Kernel size: (${dh * (kh - 1) + 1} x ${dw * (kw - 1) + 1}). Kernel size can't be greater than actual input size`,
    );
  }
  const g: K.ConvGeometry = { n, c, h: hh, w: ww, oc, kh, kw, sh, sw, ph, pw, dh, dw, groups, oh: Math.floor(eh / sh) + 1, ow: Math.floor(ew / sw) + 1 };
  return convNode('ConvolutionBackward0', x, weight, bias ?? null, g, false);
}

/**
 * The recorded convolution. transposed = false: y = conv(x, w) under g. transposed = true: y = conv^T(x, w), i.e.
 * the input gradient of the convolution g describes (whose "input" is y and "output" is x).
 */
function convNode(name: string, x: Tensor, weight: Tensor, bias: Tensor | null, g: K.ConvGeometry, transposed: boolean): Tensor {
  const outShape = transposed ? [g.n, g.c, g.h, g.w] : [g.n, g.oc, g.oh, g.ow];
  const y = outputTensor(outShape, x.dtype);
  const xd = dense(x);
  const wd = dense(weight);
  if (transposed) {
    K.conv2d('backward_input', xd, wd, y.data as FloatStorage, g);
    if (bias) noGrad(() => y.add_(bias.view([1, -1, 1, 1])));
  } else {
    // The kernel adds the bias to each output block while it is still in cache.
    K.conv2d('forward', xd, wd, y.data as FloatStorage, g, bias ? dense(bias) : null);
  }
  return record(name, y, [x, weight, bias], (gy, needs) => {
    const gyd = dense(gy);
    let gx: Tensor | null = null;
    let gw: Tensor | null = null;
    if (needs[0]) {
      gx = outputTensor(x.shape, x.dtype);
      K.conv2d(transposed ? 'forward' : 'backward_input', gyd, wd, gx.data as FloatStorage, g);
    }
    if (needs[1]) {
      gw = outputTensor(weight.shape, weight.dtype);
      // The weight gradient pairs the convolution's input with its output gradient; transposed, the roles swap.
      if (transposed) K.conv2d('backward_weight', gyd, xd, gw.data as FloatStorage, g);
      else K.conv2d('backward_weight', xd, gyd, gw.data as FloatStorage, g);
    }
    return [gx, gw, needs[2] ? gy.sum([0, 2, 3]) : null];
  });
}

export interface ConvTranspose2dOptions {
  stride?: Pair;
  padding?: Pair;
  outputPadding?: Pair;
  groups?: number;
  dilation?: Pair;
}

/** Transposed 2-D convolution with weight [C_in, C_out / groups, kh, kw], as torch.nn.functional.conv_transpose2d. */
export function convTranspose2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvTranspose2dOptions = {}): Tensor {
  const op = 'convTranspose2d';
  checkConvOperands(op, input, weight, bias);
  if (input.dim() === 3) return convTranspose2d(input.unsqueeze(0), weight, bias, options).squeeze(0);
  if (input.dim() !== 4 || weight.dim() !== 4) throw new RangeError(`${op}: expected 4-D input and weight, got ${shapeStr(input.shape)} and ${shapeStr(weight.shape)}`);
  const groups = options.groups ?? 1;
  const [n, cin, h, w] = input.shape as [number, number, number, number];
  const [wc, ocg, kh, kw] = weight.shape as [number, number, number, number];
  if (wc !== cin) {
    throw new RangeError(`${op}: Given transposed=1, weight of size ${shapeStr(weight.shape)}, expected input${shapeStr(input.shape)} to have ${wc} channels, but got ${cin} channels instead`);
  }
  if (cin % groups !== 0) throw new RangeError(`${op}: in_channels must be divisible by groups`);
  const [sh, sw] = pair(op, 'stride', options.stride ?? 1, 1);
  const [ph, pw] = pair(op, 'padding', options.padding ?? 0, 0);
  const [dh, dw] = pair(op, 'dilation', options.dilation ?? 1, 1);
  const [oph, opw] = pair(op, 'output_padding', options.outputPadding ?? 0, 0);
  if ((oph >= sh && oph >= dh) || (opw >= sw && opw >= dw)) {
    throw new RangeError(`${op}: output padding must be smaller than either stride or dilation, but got output_padding=(${oph}, ${opw}), stride=(${sh}, ${sw}), dilation=(${dh}, ${dw})`);
  }
  const oh = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1;
  const ow = (w - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1;
  if (oh < 1 || ow < 1) throw new RangeError(`${op}: the output would be empty (${oh} x ${ow})`);
  const oc = ocg * groups;
  if (bias && (bias.dim() !== 1 || bias.shape[0] !== oc)) throw new RangeError(`${op}: expected bias of ${oc} elements, got ${shapeStr(bias.shape)}`);
  // The convolution whose input gradient this is: input y [n, oc, oh, ow] -> output x [n, cin, h, w].
  const g: K.ConvGeometry = { n, c: oc, h: oh, w: ow, oc: cin, kh, kw, sh, sw, ph, pw, dh, dw, groups, oh: h, ow: w };
  return convNode('ConvolutionBackward0', input, weight, bias ?? null, g, true);
}

export interface Conv1dOptions {
  stride?: number;
  padding?: number | 'valid' | 'same';
  dilation?: number;
  groups?: number;
}

/** 1-D convolution over [N, C, L] (or [C, L]), as a 2-D convolution of height 1. */
export function conv1d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv1dOptions = {}): Tensor {
  checkConvOperands('conv1d', input, weight, bias);
  if (input.dim() === 2) return conv1d(input.unsqueeze(0), weight, bias, options).squeeze(0);
  if (input.dim() !== 3 || weight.dim() !== 3) {
    throw new RangeError(`conv1d: Expected 2D (unbatched) or 3D (batched) input and 3D weight, got ${shapeStr(input.shape)} and ${shapeStr(weight.shape)}`);
  }
  const p = options.padding ?? 0;
  const out = conv2d(input.unsqueeze(2), weight.unsqueeze(2), bias, {
    stride: [1, options.stride ?? 1],
    padding: typeof p === 'number' ? [0, p] : p,
    dilation: [1, options.dilation ?? 1],
    groups: options.groups ?? 1,
  });
  return out.squeeze(2);
}

export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';

/** Source positions for one padded dim: reflect, replicate or circular. */
function padIndex(mode: PadMode, size: number, before: number, after: number): Tensor {
  const idx = new Int32Array(size + before + after);
  for (let o = 0; o < idx.length; o++) {
    const i = o - before;
    if (mode === 'reflect') idx[o] = i < 0 ? -i : i >= size ? 2 * (size - 1) - i : i;
    else if (mode === 'replicate') idx[o] = Math.min(Math.max(i, 0), size - 1);
    else idx[o] = ((i % size) + size) % size;
  }
  return new Tensor(idx, [idx.length]);
}


/**
 * Pads the last dims: pad = [left, right, top, bottom, ...] from the last dim backwards, as
 * torch.nn.functional.pad. Non-constant modes gather rows (so their gradient is an index_add).
 */
export function pad(input: Tensor, padding: readonly number[], mode: PadMode = 'constant', value = 0): Tensor {
  const op = 'pad';
  checkTensor(op, 'input', input);
  if (padding.length % 2 !== 0 || padding.length / 2 > input.dim() || !padding.every((v) => Number.isInteger(v))) {
    throw new RangeError(`${op}: Padding length must be divisible by 2 and at most twice the number of dims, got ${JSON.stringify(padding)}`);
  }
  const dims = padding.length / 2;
  if (mode === 'constant') {
    if (padding.some((v) => v < 0)) throw new RangeError(`${op}: negative padding is not supported`);
    const shape = [...input.shape];
    for (let k = 0; k < dims; k++) shape[input.dim() - 1 - k]! += padding[2 * k]! + padding[2 * k + 1]!;
    const out = emptyTensor(shape, input.dtype);
    if (value !== 0) out.data.fill(value);
    const interior = (t: Tensor): Tensor => {
      let v = t;
      for (let k = 0; k < dims; k++) v = v.narrow(input.dim() - 1 - k, padding[2 * k]!, input.shape[input.dim() - 1 - k]!);
      return v;
    };
    noGrad(() => interior(out).copy_(input));
    return record('ConstantPadNdBackward0', out, [input], (g) => [interior(g)]);
  }
  if (mode !== 'reflect' && mode !== 'replicate' && mode !== 'circular') throw new RangeError(`${op}: unknown padding mode '${String(mode)}'`);
  let out = input;
  for (let k = 0; k < dims; k++) {
    const d = input.dim() - 1 - k;
    const size = input.shape[d]!;
    const [before, after] = [padding[2 * k]!, padding[2 * k + 1]!];
    if (before < 0 || after < 0) throw new RangeError(`${op}: negative padding is not supported in ${mode} mode`);
    if (mode === 'reflect' && (before >= size || after >= size)) {
      throw new RangeError(`${op}: Padding size should be less than the corresponding input dimension, but got: padding (${before}, ${after}) at dimension ${d} of input ${shapeStr(input.shape)}`);
    }
    if (mode === 'circular' && (before > size || after > size)) {
      throw new RangeError(`${op}: Padding value causes wrapping around more than once (padding (${before}, ${after}) at dimension ${d} of input ${shapeStr(input.shape)})`);
    }
    if (before || after) out = out.indexSelect(d, padIndex(mode, size, before, after));
  }
  return out;
}

