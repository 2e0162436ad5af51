/**
 * The fused native ops: softmax, logSoftmax, logsumexp, layer norm and the classification losses (cross entropy of
 * logits, nll of log-probabilities). Each runs one kernel forward and records one graph node whose backward is one
 * kernel too; under createGraph the backward is written with Tensor ops instead (PyTorch's formulas), so it can be
 * differentiated again. The callers (lib/ops/reduce.ts, lib/nn/functional.ts) validate the arguments first.
 */
import type { DType } from '../dtype';
import * as K from '../backend/kernels';
import type { FloatStorage } from '../backend/kernels';
import type { Tensor } from '../tensor';
import { emptyTensor, outputTensor } from '../tensor';
import { numelOf } from '../shape';
import { record } from '../autograd/record';
import { recordOnInput } from '../autograd/backward_node';
import { isGradEnabled, noGrad } from '../autograd/grad_mode';

/** The elements of x as one contiguous float array (x itself when it already is one). */
const flat = (x: Tensor): FloatStorage => K.denseFloat(x);

/** A fresh contiguous float tensor and its storage. */
function fresh(shape: readonly number[], dtype: DType, op: string): [Tensor, FloatStorage] {
  const t = outputTensor(shape, dtype, undefined, op);
  return [t, t.data as FloatStorage];
}

/** g as x's dtype (the engine hands back what the consumer produced). */
const like = (g: Tensor, dtype: DType): Tensor => (g.dtype === dtype ? g : g.to(dtype));

/** The sizes before, inside and after dims [d0, d1) of shape: the kernels' [outer, n, inner]. */
function around(shape: readonly number[], d0: number, d1: number): [number, number, number] {
  return [numelOf(shape.slice(0, d0)), numelOf(shape.slice(d0, d1)), numelOf(shape.slice(d1))];
}

/**
 * softmax or log(softmax) of a non-empty floating x along dim d, as one node (SoftmaxBackward0 /
 * LogSoftmaxBackward0) with PyTorch's gradients from the output: y (g - sum(g y)) and g - exp(y) sum(g).
 */
export function softmaxOf(x: Tensor, d: number, log: boolean): Tensor {
  const op = log ? 'logSoftmax' : 'softmax';
  const kind = log ? 'log_softmax' : 'softmax';
  const [outer, n, inner] = around(x.shape, d, d + 1);
  const [out, data] = fresh(x.shape, x.dtype, op);
  K.softmax(kind, flat(x), data, outer, n, inner);
  return record(log ? 'LogSoftmaxBackward0' : 'SoftmaxBackward0', out, [x], (gIn) => {
    const g = like(gIn, out.dtype);
    if (isGradEnabled()) return [log ? g.sub(out.exp().mul(g.sum(d, true))) : out.mul(g.sub(g.mul(out).sum(d, true)))];
    const [gx, gd] = fresh(out.shape, out.dtype, op);
    K.softmaxBackward(kind, flat(g), data, null, gd, outer, n, inner);
    return [gx];
  });
}

/**
 * log(sum(exp(x))) over `dims` (sorted, non-empty) of a non-empty floating x, stably (shifted by the maximum, or by 0
 * where that is infinite), as one node (LogsumexpBackward0) with PyTorch's gradient g exp(x - result).
 */
export function logsumexpOf(x: Tensor, dims: readonly number[], keepDim: boolean): Tensor {
  const r = x.dim();
  const adjacent = dims.every((d, i) => d === dims[0]! + i);
  // Reduced dims that are not adjacent go last (a permuted copy): the kernel reduces one run of dims.
  const perm = adjacent ? null : [...x.shape.keys()].filter((d) => !dims.includes(d)).concat(dims);
  const src = perm ? noGrad(() => x.permute(perm)) : x;
  const d0 = perm ? r - dims.length : dims[0]!;
  const [outer, n, inner] = around(src.shape, d0, d0 + dims.length);
  const xs = flat(src);
  const kept = x.shape.map((s, d) => (dims.includes(d) ? 1 : s));
  const [out, data] = fresh(keepDim ? kept : x.shape.filter((_, d) => !dims.includes(d)), x.dtype, 'logsumexp');
  K.softmax('logsumexp', xs, data, outer, n, inner);
  return record('LogsumexpBackward0', out, [x], (gIn) => {
    const g = like(gIn, out.dtype);
    if (isGradEnabled()) return [g.reshape(kept).mul(x.sub(out.reshape(kept)).exp())];
    const [gx, gd] = fresh(src.shape, out.dtype, 'logsumexp');
    K.softmaxBackward('logsumexp', flat(g), xs, data, gd, outer, n, inner);
    return [perm ? noGrad(() => gx.permute(inverse(perm))) : gx];
  });
}

function inverse(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/**
 * Layer norm of a non-empty floating x over its last k dims, with optional weight and bias of exactly those dims'
 * shape and x's dtype, as one node (NativeLayerNormBackward0) whose backward computes the three gradients in one
 * kernel, as PyTorch's layer_norm_backward.
 */
export function layerNormOf(x: Tensor, k: number, weight: Tensor | null, bias: Tensor | null, eps: number): Tensor {
  const lead = x.dim() - k;
  const [, m, n] = around(x.shape, 0, lead);
  const [out, data] = fresh(x.shape, x.dtype, 'layerNorm');
  const xs = flat(x);
  const [, meanData] = fresh([m], x.dtype, 'layerNorm');
  const [, rstd] = fresh([m], x.dtype, 'layerNorm');
  const ws = weight ? flat(weight) : null;
  K.layerNorm(xs, ws, bias ? flat(bias) : null, data, meanData, rstd, m, n, eps);
  return record('NativeLayerNormBackward0', out, [x, weight, bias], (gIn, needs) => {
    const g = like(gIn, out.dtype);
    const batch = [...Array(lead).keys()];
    if (isGradEnabled()) return layerNormGrads(g, x, k, weight, eps, needs, batch);
    const gx = needs[0] ? fresh(x.shape, x.dtype, 'layerNorm') : null;
    const gw = needs[1] && weight ? fresh(weight.shape, x.dtype, 'layerNorm') : null;
    const gb = needs[2] && bias ? fresh(bias.shape, x.dtype, 'layerNorm') : null;
    K.layerNormBackward(flat(g), xs, meanData, rstd, ws, gx?.[1] ?? null, gw?.[1] ?? null, gb?.[1] ?? null, m, n);
    return [gx?.[0] ?? null, gw?.[0] ?? null, gb?.[0] ?? null];
  });
}

/**
 * Layer norm's gradients written with Tensor ops (for createGraph): rstd (g w - mean(g w) - xhat mean(g w xhat)) for
 * x, sum(g xhat) and sum(g) over the batch dims for weight and bias.
 */
function layerNormGrads(g: Tensor, x: Tensor, k: number, weight: Tensor | null, eps: number, needs: readonly boolean[], batch: number[]): (Tensor | null)[] {
  const dims = [...Array(k).keys()].map((i) => x.dim() - k + i);
  const centred = x.sub(x.mean(dims, true));
  const rstd = centred.mul(centred).mean(dims, true).add(eps).rsqrt();
  const xhat = centred.mul(rstd);
  const overBatch = (t: Tensor): Tensor => (batch.length ? t.sum(batch) : t);
  const gw = weight ? g.mul(weight) : g;
  const gx = needs[0] ? gw.sub(gw.mean(dims, true)).sub(xhat.mul(gw.mul(xhat).mean(dims, true))).mul(rstd) : null;
  return [gx, needs[1] ? overBatch(g.mul(xhat)) : null, needs[2] ? overBatch(g) : null];
}

/** What classLossOf needs besides its tensors. */
export interface ClassLossOptions {
  weight: Tensor | null;
  ignoreIndex: number;
  reduction: 'none' | 'mean' | 'sum';
  smoothing: number;
  /** nll of log-probabilities (true) or cross entropy of logits (false). */
  logInput: boolean;
}

/** [N, C, d1, ...] -> [N * d1 * ..., C] (a 1-D input is one row), without recording. */
function rowsOf(x: Tensor): Tensor {
  if (x.dim() <= 2) return x.dim() === 1 ? x.unsqueeze(0) : x;
  return noGrad(() => x.permute([0, ...Array.from({ length: x.dim() - 2 }, (_, i) => i + 2), 1]));
}

/** gx computed over [rows, C] back to input's layout. */
function unrows(gx: Tensor, input: Tensor): Tensor {
  if (input.dim() <= 2) return gx.view(input.shape);
  const r = input.dim();
  const permuted = gx.view([input.shape[0]!, ...input.shape.slice(2), input.shape[1]!]);
  return permuted.permute([0, r - 1, ...Array.from({ length: r - 2 }, (_, i) => i + 1)]);
}

/**
 * Cross entropy of logits against class indices (fused log_softmax and nll, with class weights, an ignored index
 * and label smoothing) or nll of log-probabilities, as one node. Returns { bad: row } for a target out of range,
 * before computing anything.
 */
export function classLossOf(input: Tensor, target: Tensor, o: ClassLossOptions): Tensor | { bad: number; value: number } {
  const c = input.dim() === 1 ? input.shape[0]! : input.shape[1]!;
  const rowsView = rowsOf(input);
  const rows = rowsView.numel() / c;
  const xs = flat(rowsView);
  const t = K.dense(target) as Int32Array;
  const ws = o.weight ? flat(o.weight) : null;
  const stats = o.logInput ? null : fresh([2 * rows], input.dtype, 'crossEntropy')[1];
  const p: K.ClassLossParams = { rows, classes: c, ignoreIndex: o.ignoreIndex, smoothing: o.smoothing, logInput: o.logInput, reduction: o.reduction };
  const [out, data] = fresh(o.reduction === 'none' ? target.shape : [], input.dtype, o.logInput ? 'nllLoss' : 'crossEntropy');
  const total = K.classLoss(xs, t, ws, data, stats, p);
  if (typeof total !== 'number') return { bad: total.bad, value: t[total.bad]! };
  // PyTorch's nll_loss_nd: nll_loss2d for inputs with spatial dims.
  const nll = input.dim() >= 3 ? 'NllLoss2DBackward0' : 'NllLossBackward0';
  const name = o.smoothing > 0 ? 'AddBackward0' : nll;
  return record(name, out, [input], (gIn) => {
    const g = like(gIn, out.dtype);
    if (isGradEnabled()) {
      const gx = unrows(classLossGrad(g, input, t, total, p, o), input);
      // nll of log-probabilities: PyTorch's nll_loss_backward takes the input too (with a zero derivative).
      return [o.logInput && o.smoothing === 0 ? recordOnInput(nll, gx, input) : gx];
    }
    const [gx, gd] = fresh([rows, c], input.dtype, 'crossEntropy');
    K.classLossBackward(xs, t, ws, stats, flat(g), gd, total, p);
    return [unrows(gx, input)];
  });
}

/**
 * The classification loss's gradient over [rows, C] written with Tensor ops (for createGraph): PyTorch's chain of
 * nll's backward (-coef w_t at the target, plus -coef eps / C w_c with label smoothing) and, for logits,
 * log_softmax's (gx = grad_logp - softmax(x) sum(grad_logp)).
 */
function classLossGrad(g: Tensor, input: Tensor, t: Int32Array, total: number, p: K.ClassLossParams, o: ClassLossOptions): Tensor {
  const { rows, classes: c, smoothing: eps } = p;
  const dtype = input.dtype;
  const { keep, idx, wt, spread } = noGrad(() => {
    const keepData = emptyTensor([rows, 1], 'bool');
    const idxData = emptyTensor([rows, 1], 'int32');
    const wtData = emptyTensor([rows, 1], dtype);
    const w = o.weight ? K.dense(o.weight) : null;
    for (let i = 0; i < rows; i++) {
      const kept = t[i] !== o.ignoreIndex;
      keepData.data[i] = kept ? 1 : 0;
      idxData.data[i] = kept ? t[i]! : 0;
      wtData.data[i] = kept ? (w ? w[t[i]!]! : 1) : 0;
    }
    const everywhere = eps > 0 ? (o.weight ? o.weight.reshape([1, c]) : emptyTensor([1, c], dtype).add(1)).mul(eps / c) : null;
    return { keep: keepData, idx: idxData, wt: wtData, spread: everywhere };
  });
  const scale = p.reduction === 'none' ? g.reshape([rows, 1]) : p.reduction === 'mean' ? g.div(total).reshape([1, 1]) : g.reshape([1, 1]);
  // An ignored row's gradient is 0 whatever g (even NaN), as PyTorch's.
  const coef = scale.expand([rows, 1]).where(keep, 0);
  // grad_logp: -coef (1 - eps) w_t at the target only (a scatter, so an infinite coef leaves the others 0), and
  // -coef eps / C w_c everywhere with label smoothing.
  const atTarget = emptyTensor([rows, c], dtype).scatterAdd(1, idx, coef.mul(wt).mul(1 - eps).neg());
  const gradLogp = spread ? atTarget.sub(coef.mul(spread)) : atTarget;
  if (o.logInput) return gradLogp;
  const x = input.dim() <= 2 ? (input.dim() === 1 ? input.unsqueeze(0) : input) : classesLast(input);
  return gradLogp.sub(x.softmax(1).mul(gradLogp.sum(1, true)));
}

/** [N, C, d1, ...] -> [N * d1 * ..., C], recorded (for the createGraph backward). */
function classesLast(x: Tensor): Tensor {
  return x.permute([0, ...Array.from({ length: x.dim() - 2 }, (_, i) => i + 2), 1]).reshape([-1, x.shape[1]!]);
}

