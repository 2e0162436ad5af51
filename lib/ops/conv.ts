/**
 * Convolutions (conv1d, conv2d, convTranspose2d) and padding, on the native im2col + sgemm kernels. Each
 * convolution is one recorded node whose backward is made of the same recorded kernels (differentiable to any order).
 */
import * as K from '../backend/kernels';
import type { FloatStorage } from '../backend/kernels';
import { Tensor, emptyTensor, outputTensor } from '../tensor';
import { record } from '../autograd/record';
import { recordOnInput } from '../autograd/backward_node';
import { noGrad } from '../autograd/grad_mode';
import { shapeStr } from '../shape';
import { checkFloatingOperands, checkInt, checkNumber, checkOptions, checkTensor, describe } from '../validate';
import type { Pair } from '../validate';

export type { Pair } from '../validate';
export type PaddingArg = Pair | 'valid' | 'same';

const dense = K.denseFloat;

/**
 * A kernel size, stride, padding or dilation of a convolution or a pool: one integer for every dim, or an array of
 * `n` of them, each at least `min`.
 * @throws TypeError for anything else (named with describe, so any value prints); RangeError for an integer below min
 *   or a fractional number
 */
export function sizeArg(op: string, name: string, v: unknown, n: 1, min: number): [number];
export function sizeArg(op: string, name: string, v: unknown, n: 2, min: number): [number, number];
export function sizeArg(op: string, name: string, v: unknown, n: number, min: number): number[] {
  const list: readonly unknown[] | null = typeof v === 'number' ? new Array<number>(n).fill(v) : Array.isArray(v) ? v : null;
  if (!list || list.length !== n) {
    throw new TypeError(`${op}: expected an integer or an array of ${n} integer${n > 1 ? 's' : ''} for '${name}' but received ${describe(v)}`);
  }
  return list.map((x, i) => checkInt(op, typeof v === 'number' ? name : `${name}[${i}]`, x, min));
}

/** The groups of a convolution: a positive integer (PyTorch's message for the range). */
function checkGroups(op: string, groups: unknown): number {
  checkInt(op, 'groups', groups);
  if ((groups as number) < 1) throw new RangeError(`${op}: non-positive groups is not supported`);
  return groups as number;
}

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
 * PyTorch's convolution of an empty input, which never reaches a kernel: an empty batch gives [0, OC, ...], no input
 * channels give [N, 0, ...] (PyTorch 1.13's shape), any other empty input is refused (after the kernel-size check,
 * since padding can make room for the kernel). The result has no elements: every gradient is zero.
 */
function emptyConvolution(op: string, input: Tensor, weight: Tensor, bias: Tensor | null, g: K.ConvGeometry): Tensor {
  if (g.n > 0 && g.c > 0) {
    const lifted = input.dim() === 3 ? [g.n, g.c, 1, input.shape[2]!] : input.shape;
    throw new RangeError(`${op}: Only zero batch or zero channel inputs are supported, but got input shape: ${shapeStr(lifted)}`);
  }
  const shape = [g.n, g.c === 0 ? 0 : g.oc, ...(input.dim() === 3 ? [] : [g.oh]), g.ow];
  const operands = bias ? [input, weight, bias] : [input, weight];
  return record('ConvolutionBackward0', emptyTensor(shape, input.dtype), operands, (out) => operands.map((t) => emptyTensor(t.shape, out.dtype)));
}

/**
 * 2-D convolution over [N, C, H, W] (or unbatched [C, H, W]) input with weight [OC, C / groups, kh, kw].
 * @throws RangeError with PyTorch's messages for channel mismatches, kernels larger than the padded input and
 *   groups that do not divide the channels
 * @example torch.nn.functional.conv2d(torch.randn(1, 3, 8, 8), torch.randn(4, 3, 3, 3), null, { padding: 1 }).shape
 *   // [1, 4, 8, 8]
 */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  const op = 'conv2d';
  checkConvOperands(op, input, weight, bias);
  if (input.dim() === 3) return conv2d(input.unsqueeze(0), weight, bias, options).squeeze(0);
  if (input.dim() !== 4) throw new RangeError(`${op}: Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: ${shapeStr(input.shape)}`);
  if (weight.dim() !== 4) throw new RangeError(`${op}: weight should have 4 dimensions, got ${shapeStr(weight.shape)}`);
  const o = checkOptions(op, options);
  const padding = o.padding ?? 0;
  return convolution(op, input, weight, bias ?? null, {
    stride: sizeArg(op, 'stride', o.stride ?? 1, 2, 1),
    padding: padding === 'valid' || padding === 'same' ? padding : sizeArg(op, 'padding', padding, 2, 0),
    dilation: sizeArg(op, 'dilation', o.dilation ?? 1, 2, 1),
    groups: checkGroups(op, o.groups ?? 1),
  });
}

/** Per-dim convolution arguments (one entry per spatial dim), already checked to be integers in range. */
interface ConvArgs {
  stride: readonly number[];
  padding: readonly number[] | 'valid' | 'same';
  dilation: readonly number[];
  groups: number;
}

/**
 * The checks and geometry shared by conv1d and conv2d, on batched input ([N, C, L] or [N, C, H, W]): messages
 * name the op and its own shapes, as PyTorch's; a 1-D convolution then runs as a 2-D one of height 1.
 */
function convolution(op: string, input: Tensor, weight: Tensor, bias: Tensor | null, a: ConvArgs): Tensor {
  const { groups } = a;
  const [n, c] = input.shape as [number, number];
  const [oc, cg] = weight.shape as [number, number];
  if (oc % groups !== 0) {
    throw new RangeError(`${op}: Given groups=${groups}, expected weight to be divisible by ${groups} at dimension 0, but got weight of size [${shapeStr(weight.shape)}] instead`);
  }
  if (cg * groups !== c) {
    throw new RangeError(
      `${op}: Given groups=${groups}, weight of size ${shapeStr(weight.shape)}, expected input${shapeStr(input.shape)} to have ${cg * groups} channels, but got ${c} channels instead`,
    );
  }
  if (bias && (bias.dim() !== 1 || bias.shape[0] !== oc)) {
    throw new RangeError(`${op}: Given weight of size ${shapeStr(weight.shape)}, expected bias to be 1-dimensional with ${oc} elements, but got bias of size ${shapeStr(bias.shape)} instead`);
  }
  // From here on a 1-D convolution is a 2-D one of height 1.
  const lift = (v: readonly number[], one: number): number[] => (v.length === 1 ? [one, v[0]!] : [...v]);
  let x = input.dim() === 3 ? input.unsqueeze(2) : input;
  const w4 = weight.dim() === 3 ? weight.unsqueeze(2) : weight;
  const [kh, kw] = w4.shape.slice(2) as [number, number];
  const [sh, sw] = lift(a.stride, 1) as [number, number];
  const [dh, dw] = lift(a.dilation, 1) as [number, number];
  let ph: number;
  let pw: number;
  if (a.padding === 'valid') {
    [ph, pw] = [0, 0];
  } else if (a.padding === 'same') {
    if (sh !== 1 || sw !== 1) throw new RangeError(`${op}: padding='same' is not supported for strided convolutions`);
    // Total padding d * (k - 1) per dim; an odd total puts the extra row/column on the bottom/right, as PyTorch.
    const th = dh * (kh - 1);
    const tw = dw * (kw - 1);
    [ph, pw] = [Math.floor(th / 2), Math.floor(tw / 2)];
    if (th % 2 || tw % 2) x = pad(x, [0, tw % 2, 0, th % 2]);
  } else {
    [ph, pw] = lift(a.padding, 0) as [number, number];
  }
  const hh = x.shape[2]!;
  const ww = x.shape[3]!;
  const eh = hh + 2 * ph - dh * (kh - 1) - 1;
  const ew = ww + 2 * pw - dw * (kw - 1) - 1;
  if (eh < 0 || ew < 0) {
    const sizes = (h: number, w: number): string => (input.dim() === 3 ? `${w}` : `${h} x ${w}`);
    throw new RangeError(
      `${op}: Calculated padded input size per channel: (${sizes(hh + 2 * ph, ww + 2 * pw)}). Kernel size: (${sizes(dh * (kh - 1) + 1, dw * (kw - 1) + 1)}). ` +
        "Kernel size can't be greater than actual input size",
    );
  }
  const g: K.ConvGeometry = { n, c, h: hh, w: ww, oc, kh, kw, sh, sw, ph, pw, dh, dw, groups, oh: Math.floor(eh / sh) + 1, ow: Math.floor(ew / sw) + 1 };
  if (input.numel() === 0) return emptyConvolution(op, input, weight, bias, g);
  const y = convForward(FORWARD, x, w4, bias, g);
  return input.dim() === 3 ? y.squeeze(2) : y;
}

/**
 * The three convolution primitives of geometry g, each one recorded node whose backward is written with the other
 * two, so every derivative order is itself differentiable (PyTorch's ConvolutionBackward0 and
 * ConvolutionBackwardBackward0). Each runs one native kernel; with grad off (first-order backward) the recording is
 * a no-op, so the backward costs the kernels alone.
 *
 *   convForward(x, w)         y = conv(x, w) + b                 [n, c, h, w] -> [n, oc, oh, ow]
 *   convInputGrad(gy, w)      x-shaped conv^T(gy, w) + b         [n, oc, oh, ow] -> [n, c, h, w]
 *   convWeightGrad(x, gy)     w-shaped sum over n and positions  bilinear in x and gy
 *
 * <G, convWeightGrad(x, gy)> = <conv(x, G), gy> = <x, conv^T(gy, G)> gives every adjoint.
 *
 * As PyTorch's convolution_backward, the first-order gradients also take the convolution's other operand (`also`:
 * its input for the input gradient, its weight for the weight gradient), so that under createGraph they require grad
 * where PyTorch's do; no gradient flows back to it (PyTorch gives none either).
 */
const FORWARD = 'ConvolutionBackward0';
const BACKWARD = 'ConvolutionBackwardBackward0';

function convForward(name: string, x: Tensor, weight: Tensor, bias: Tensor | null, g: K.ConvGeometry, also: Tensor | null = null): Tensor {
  const y = outputTensor([g.n, g.oc, g.oh, g.ow], x.dtype, undefined, 'convolution');
  // The kernel adds the bias to each output block while it is still in cache.
  K.conv2d('forward', dense(x), dense(weight), y.data as FloatStorage, g, bias ? dense(bias) : null);
  const first = name === FORWARD;
  return record(name, y, [x, weight, bias, also], (gy, needs) => [
    needs[0] ? convInputGrad(BACKWARD, gy, weight, null, g, first ? x : null) : null,
    needs[1] ? convWeightGrad(x, gy, g, first ? weight : null) : null,
    needs[2] ? gy.sum([0, 2, 3]) : null,
    null,
  ]);
}

function convInputGrad(name: string, gy: Tensor, weight: Tensor, bias: Tensor | null, g: K.ConvGeometry, also: Tensor | null = null): Tensor {
  const gx = outputTensor([g.n, g.c, g.h, g.w], gy.dtype, undefined, 'convolution backward');
  K.conv2d('backward_input', dense(gy), dense(weight), gx.data as FloatStorage, g);
  if (bias) noGrad(() => gx.add_(bias.view([1, -1, 1, 1])));
  const first = name === FORWARD;
  return record(name, gx, [gy, weight, bias, also], (gz, needs) => [
    needs[0] ? convForward(BACKWARD, gz, weight, null, g, first ? gy : null) : null,
    // The weight gradient pairs the convolution's input with its output gradient: here gz is the input.
    needs[1] ? convWeightGrad(gz, gy, g, first ? weight : null) : null,
    needs[2] ? gz.sum([0, 2, 3]) : null,
    null,
  ]);
}

function convWeightGrad(x: Tensor, gy: Tensor, g: K.ConvGeometry, also: Tensor | null = null): Tensor {
  const gw = outputTensor([g.oc, g.c / g.groups, g.kh, g.kw], x.dtype, undefined, 'convolution backward');
  K.conv2d('backward_weight', dense(x), dense(gy), gw.data as FloatStorage, g);
  return record(BACKWARD, gw, [x, gy, also], (gg, needs) => [
    needs[0] ? convInputGrad(BACKWARD, gy, gg, null, g) : null,
    needs[1] ? convForward(BACKWARD, x, gg, null, g) : null,
    null,
  ]);
}

export interface ConvTranspose2dOptions {
  stride?: Pair;
  padding?: Pair;
  outputPadding?: Pair;
  groups?: number;
  dilation?: Pair;
}

/**
 * Transposed 2-D convolution with weight [C_in, C_out / groups, kh, kw], as torch.nn.functional.conv_transpose2d.
 * @example F.convTranspose2d(torch.randn(1, 4, 5, 5), torch.randn(4, 2, 2, 2), null, { stride: 2 }).shape
 *   // [1, 2, 10, 10]
 */
export function convTranspose2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvTranspose2dOptions = {}): Tensor {
  const op = 'convTranspose2d';
  checkConvOperands(op, input, weight, bias);
  if (input.dim() === 3) return convTranspose2d(input.unsqueeze(0), weight, bias, options).squeeze(0);
  if (input.dim() !== 4 || weight.dim() !== 4) throw new RangeError(`${op}: expected 4-D input and weight, got ${shapeStr(input.shape)} and ${shapeStr(weight.shape)}`);
  options = checkOptions(op, options);
  const groups = checkGroups(op, options.groups ?? 1);
  const [n, cin, h, w] = input.shape as [number, number, number, number];
  const [wc, ocg, kh, kw] = weight.shape as [number, number, number, number];
  if (wc % groups !== 0) {
    throw new RangeError(`${op}: Given groups=${groups}, expected weight to be divisible by ${groups} at dimension 0, but got weight of size [${shapeStr(weight.shape)}] instead`);
  }
  if (wc !== cin) {
    throw new RangeError(`${op}: Given transposed=1, weight of size ${shapeStr(weight.shape)}, expected input${shapeStr(input.shape)} to have ${wc} channels, but got ${cin} channels instead`);
  }
  const oc = ocg * groups;
  if (bias && (bias.dim() !== 1 || bias.shape[0] !== oc)) {
    throw new RangeError(`${op}: Given transposed=1, weight of size ${shapeStr(weight.shape)}, expected bias to be 1-dimensional with ${oc} elements, but got bias of size ${shapeStr(bias.shape)} instead`);
  }
  const [sh, sw] = sizeArg(op, 'stride', options.stride ?? 1, 2, 1);
  const [ph, pw] = sizeArg(op, 'padding', options.padding ?? 0, 2, 0);
  const [dh, dw] = sizeArg(op, 'dilation', options.dilation ?? 1, 2, 1);
  const [oph, opw] = sizeArg(op, 'outputPadding', options.outputPadding ?? 0, 2, 0);
  // PyTorch allows output_padding < max(stride, dilation) per dim.
  if ((oph >= sh && oph >= dh) || (opw >= sw && opw >= dw)) {
    throw new RangeError(
      `${op}: output padding must be smaller than either stride or dilation, but got output_padding_height: ${oph} output_padding_width: ${opw} ` +
        `stride_height: ${sh} stride_width: ${sw} dilation_height: ${dh} dilation_width: ${dw}`,
    );
  }
  const oh = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1;
  const ow = (w - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1;
  if (oh < 1 || ow < 1) {
    throw new RangeError(`${op}: Given input size per channel: (${h} x ${w}). Calculated output size per channel: (${oh} x ${ow}). Output size is too small`);
  }
  const [rows, cols] = [transposedExtent(h, kh, sh, ph, dh, oph, oh), transposedExtent(w, kw, sw, pw, dw, opw, ow)];
  if (rows.keep < 1 || cols.keep < 1) return unreached(input, weight, bias ?? null, [n, oc, oh, ow]);
  // The convolution whose input gradient this is: input y [n, oc, rows, cols] -> output x [n, cin, h, w].
  const g: K.ConvGeometry = { n, c: oc, h: rows.size, w: cols.size, oc: cin, kh, kw, sh, sw, ph: rows.pad, pw: cols.pad, dh, dw, groups, oh: h, ow: w };
  if (oph < sh && opw < sw) return convInputGrad(FORWARD, input, weight, bias ?? null, g);
  const full = convInputGrad(FORWARD, input, weight, null, g);
  const y = pad(full.narrow(2, rows.crop, rows.keep).narrow(3, cols.crop, cols.keep), [0, ow - cols.keep, 0, oh - rows.keep]);
  return bias ? y.add(bias.view([1, -1, 1, 1])) : y;
}

/**
 * How a transposed convolution covers one output dim of size `out`. Output padding below the stride is a size the
 * convolution geometry maps back onto the input (floor division absorbs it). Output padding of stride or more (legal
 * when the dilation is larger) is not: along that dim the full, uncropped result (padding 0, size `size`) is
 * computed, `crop` leading entries dropped, `keep` entries kept, and the rest of `out` is zeros no input reaches.
 */
function transposedExtent(input: number, k: number, s: number, p: number, d: number, op: number, out: number): { size: number; pad: number; crop: number; keep: number } {
  if (op < s) return { size: out, pad: p, crop: 0, keep: out };
  const size = (input - 1) * s + d * (k - 1) + 1;
  return { size, pad: 0, crop: p, keep: Math.min(out, size - p) };
}

/** A transposed convolution whose output no input position reaches: the bias alone, zero gradients for the rest. */
function unreached(input: Tensor, weight: Tensor, bias: Tensor | null, shape: readonly number[]): Tensor {
  const y = emptyTensor(shape, input.dtype);
  if (bias) noGrad(() => y.add_(bias.view([1, -1, 1, 1])));
  return record(FORWARD, y, [input, weight, bias], (gy, needs) => [
    needs[0] ? emptyTensor(input.shape, input.dtype) : null,
    needs[1] ? emptyTensor(weight.shape, weight.dtype) : null,
    needs[2] ? gy.sum([0, 2, 3]) : null,
  ]);
}

/** conv1d's sizes: a number or, as PyTorch's one-element tuples, a one-element array. */
export type Single = number | readonly [number];

export interface Conv1dOptions {
  stride?: Single;
  padding?: Single | 'valid' | 'same';
  dilation?: Single;
  groups?: number;
}

/**
 * 1-D convolution over [N, C, L] (or [C, L]) with weight [OC, C / groups, k], as torch.nn.functional.conv1d.
 * @example torch.nn.functional.conv1d(torch.randn(1, 2, 10), torch.randn(3, 2, 3)).shape // [1, 3, 8]
 */
export function conv1d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv1dOptions = {}): Tensor {
  const op = 'conv1d';
  checkConvOperands(op, input, weight, bias);
  if (input.dim() === 2) return conv1d(input.unsqueeze(0), weight, bias, options).squeeze(0);
  if (input.dim() !== 3) throw new RangeError(`${op}: Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: ${shapeStr(input.shape)}`);
  if (weight.dim() !== 3) throw new RangeError(`${op}: weight should have 3 dimensions, got ${shapeStr(weight.shape)}`);
  const o = checkOptions(op, options);
  const padding = o.padding ?? 0;
  return convolution(op, input, weight, bias ?? null, {
    stride: sizeArg(op, 'stride', o.stride ?? 1, 1, 1),
    padding: padding === 'valid' || padding === 'same' ? padding : sizeArg(op, 'padding', padding, 1, 0),
    dilation: sizeArg(op, 'dilation', o.dilation ?? 1, 1, 1),
    groups: checkGroups(op, o.groups ?? 1),
  });
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
 * torch.nn.functional.pad (a negative constant padding crops). Non-constant modes gather rows (so their gradient is
 * an index_add).
 * @example torch.nn.functional.pad(torch.ones(1, 2), [1, 1]) // [[0, 1, 1, 0]]
 */
export function pad(input: Tensor, padding: readonly number[], mode: PadMode = 'constant', value = 0): Tensor {
  const op = 'pad';
  checkTensor(op, 'input', input);
  if (!Array.isArray(padding)) throw new TypeError(`${op}: expected an array of integers for 'pad' but received ${describe(padding)}`);
  padding.forEach((v, i) => checkInt(op, `pad[${i}]`, v));
  if (padding.length % 2 !== 0 || padding.length / 2 > input.dim()) {
    throw new RangeError(`${op}: Padding length must be divisible by 2 and at most twice the number of dims, got [${padding.join(', ')}] for input ${shapeStr(input.shape)}`);
  }
  checkNumber(op, 'value', value);
  const dims = padding.length / 2;
  if (mode === 'constant') {
    // A negative padding crops, as PyTorch's constant_pad_nd: narrow those sides first, then pad the others.
    if (padding.some((v) => v < 0)) {
      let cropped = input;
      for (let k = 0; k < dims; k++) {
        const d = input.dim() - 1 - k;
        const [before, after, size] = [padding[2 * k]!, padding[2 * k + 1]!, input.shape[d]!];
        const keep = size - Math.max(-before, 0) - Math.max(-after, 0);
        if (keep < 0) {
          throw new RangeError(
            `${op}: The input size ${size}, plus negative padding ${before} and ${after} resulted in a negative output size, which is invalid. Check dimension ${d} of your input.`,
          );
        }
        cropped = cropped.narrow(d, Math.max(-before, 0), keep);
      }
      return pad(cropped, padding.map((v) => Math.max(v, 0)), mode, value);
    }
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
  // PyTorch's non-constant modes pad 1 to 3 trailing dims of a batched or unbatched input; circular needs both.
  if (mode === 'circular' && padding.length !== 2 * (input.dim() - 2)) {
    throw new RangeError(`${op}: Invalid padding size, expected ${2 * Math.max(input.dim() - 2, 0)} but got ${padding.length} (input ${shapeStr(input.shape)}, mode 'circular')`);
  }
  if (dims > 3 || (input.dim() !== dims + 1 && input.dim() !== dims + 2)) {
    throw new RangeError(`${op}: Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now (got ${padding.length} pads for input ${shapeStr(input.shape)}, mode '${mode}')`);
  }
  const gathers: [number, Tensor][] = [];
  for (let k = 0; k < dims; k++) {
    const d = input.dim() - 1 - k;
    const size = input.shape[d]!;
    const [before, after] = [padding[2 * k]!, padding[2 * k + 1]!];
    // Reflect and replicate take a negative padding as a crop (the source index of each output position is the same
    // rule); torchlet's circular mode does not (PyTorch's crops first and may then wrap more than once).
    if (mode === 'circular' && (before < 0 || after < 0)) throw new RangeError(`${op}: negative padding is not supported in ${mode} mode`);
    if (size + before + after < 1) {
      const name = ['W', 'H', 'D'][k]!;
      throw new RangeError(`${op}: input (${name}: ${size}) is too small. Calculated output ${name}: ${size + before + after} (padding (${before}, ${after}), mode '${mode}')`);
    }
    if (mode === 'reflect' && (before >= size || after >= size)) {
      throw new RangeError(`${op}: Padding size should be less than the corresponding input dimension, but got: padding (${before}, ${after}) at dimension ${d} of input ${shapeStr(input.shape)}`);
    }
    if (mode === 'circular' && (before > size || after > size)) {
      throw new RangeError(`${op}: Padding value causes wrapping around more than once (padding (${before}, ${after}) at dimension ${d} of input ${shapeStr(input.shape)})`);
    }
    if (before || after) gathers.push([d, padIndex(mode, size, before, after)]);
  }
  const gather = (t: Tensor): Tensor => gathers.reduce((v, [d, idx]) => v.indexSelect(d, idx), t);
  if (mode === 'circular') return gather(input);
  // Reflect and replicate: one node, as PyTorch's reflection_padNd / replication_padNd. The gradient adds each
  // output position's gradient at its source (index_add per dim, recorded on g) and, as PyTorch's backward function,
  // takes the input too (recordOnInput).
  const name = `${mode === 'reflect' ? 'Reflection' : 'Replication'}Pad${dims}DBackward0`;
  const out = noGrad(() => gather(input));
  return record(name, out, [input], (g) => {
    let gx = g;
    for (let i = gathers.length - 1; i >= 0; i--) {
      const [d, idx] = gathers[i]!;
      const shape = [...gx.shape];
      shape[d] = input.shape[d]!;
      gx = emptyTensor(shape, g.dtype).indexAdd(d, idx, gx);
    }
    return [recordOnInput(name, gx, input)];
  });
}

