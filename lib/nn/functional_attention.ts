/**
 * Attention as functions: scaledDotProductAttention (PyTorch 2.x's F.scaled_dot_product_attention, which 1.13 lacks)
 * and multiHeadAttentionForward (PyTorch 1.13's F.multi_head_attention_forward, the core of nn.MultiheadAttention).
 * Both compute softmax(Q K^T + mask) V with batched GEMMs, writing the [..., L, S] scores once (see attentionProbs).
 * nn/functional.ts re-exports this file, so it takes nothing from there.
 */
import type { Tensor } from '../tensor';
import { outputTensor } from '../tensor';
import * as K from '../backend/kernels';
import type { FloatStorage } from '../backend/kernels';
import { record } from '../autograd/record';
import { isGradEnabled, noGrad } from '../autograd/grad_mode';
import { addmm, mm } from '../ops/linalg';
import { cat } from '../ops/movement';
import { dropoutProduct } from '../ops/dropout';
import { full, zeros } from '../ops/creation';
import { broadcastShapes, sameShape, shapeStr } from '../shape';
import { isFloating, recycle } from '../dtype';
import type { Storage } from '../dtype';
import { checkBool, checkInt, checkNumber, checkOptions, checkTensor, describe } from '../validate';

// ---- the shared core -------------------------------------------------------------------------------------------

/** out = alpha * a @ b + beta * out (batch dims of a and b already those of out); BLAS-hostile strides copied once. */
function gemmInto(out: Tensor, a: Tensor, b: Tensor, alpha: number, beta: number): void {
  let bad = K.matmul(out.data as FloatStorage, out.offset, a, b, alpha, beta);
  if (bad) bad = K.matmul(out.data as FloatStorage, out.offset, bad & 1 ? a.contiguous() : a, bad & 2 ? b.contiguous() : b, alpha, beta);
  if (bad) throw new Error('attention: internal error, contiguous operands were rejected by the BLAS layout check');
}

/**
 * softmax(scale * q @ k^T + bias) over the last dim as one graph node (PyTorch's SoftmaxBackward0 over its
 * baddbmm): the [..., L, S] scores are written once, by one batched GEMM into a buffer pre-filled with the bias, and
 * normalised in place, so the probabilities are the only [..., L, S] tensor kept for backward (PyTorch's math path
 * keeps the scores and the probabilities). A row whose every score is -inf gives NaN, as PyTorch's softmax.
 * @param q [..., L, E]
 * @param k [..., S, E], the same batch dims as q
 * @param bias null, or a float tensor of q's dtype broadcastable to [..., L, S] (not larger)
 * @param headMean null, or (when nothing needs the gradient of the probabilities) a contiguous [N, L, S] tensor that
 *   receives their mean over the heads, q's batch dims being [N * heads] (multi-head attention's averaged weights)
 */
function attentionProbs(q: Tensor, k: Tensor, bias: Tensor | null, scale: number, headMean: Tensor | null = null): Tensor {
  const last = k.shape[k.dim() - 2]!;
  const shape = [...q.shape.slice(0, -1), last];
  const kt = k.transpose(-2, -1);
  const probs = noGrad(() => {
    const out = outputTensor(shape, q.dtype);
    if (bias) out.copy_(bias);
    if (out.numel() === 0) return out;
    if (q.shape[q.dim() - 1] === 0) {
      if (!bias) out.fill_(0);
    } else {
      gemmInto(out, q, kt, scale, bias ? 1 : 0);
    }
    // The fused softmax kernel, in place over the rows of the scores (and their mean over the heads with it).
    const rows = K.denseFloat(out);
    if (headMean) {
      const [n, l] = headMean.shape as [number, number];
      K.softmaxHeadMean(rows, headMean.data as FloatStorage, n, out.shape[0]! / n, l, last);
    } else {
      K.softmax('softmax', rows, rows, out.numel() / last, last, 1);
    }
    return out;
  });
  const result = record('SoftmaxBackward0', probs, [q, k, bias], (gIn, needs) => {
    // d(scores) = p * (g - sum(g * p)); the scores' gradient reaches q, k and the bias as baddbmm's does.
    const g = gIn.dtype === probs.dtype ? gIn : gIn.to(probs.dtype);
    let ds: Tensor;
    if (isGradEnabled() || probs.numel() === 0) {
      ds = g.sub(g.mul(result).sum(-1, true)).mul(result);
    } else {
      ds = outputTensor(shape, probs.dtype);
      K.softmaxBackward('softmax', K.denseFloat(g), K.denseFloat(probs), null, ds.data as FloatStorage, probs.numel() / last, last, 1);
    }
    const scaled = scale === 1 ? ds : ds.mul(scale);
    return [
      needs[0] ? scaled.matmul(k) : null,
      needs[1] ? scaled.transpose(-2, -1).matmul(q) : null,
      needs[2] ? ds.sumToSize(bias!.shape) : null,
    ];
  });
  return result;
}

/** F.dropout of the attention weights (the default generator): PyTorch's mask under the same seed. */
function dropoutWeights(x: Tensor, p: number): Tensor {
  if (p === 0) return x;
  if (p === 1) return x.mul(0);
  return dropoutProduct(x, p);
}

/**
 * x @ w^T + b over the last dim, as F.linear does for the projections: one addmm over the folded leading dims (`rows`,
 * x as [-1, E], when the caller already has it).
 */
function project(x: Tensor, w: Tensor, b: Tensor | null, rows = x.reshape([-1, x.shape[x.dim() - 1]!])): Tensor {
  const out = b ? addmm(b, rows, w.t()) : mm(rows, w.t());
  return out.view([...x.shape.slice(0, -1), w.shape[0]!]);
}

/** A float mask: 0 where a bool mask lets a position take part, -inf where it does not (mask true = `blocked`). */
function boolToBias(mask: Tensor, blocked: boolean, dtype: Tensor['dtype']): Tensor {
  return zeros(mask.shape, { dtype }).maskedFill(blocked ? mask : mask.logicalNot(), -Infinity);
}

/** A mask of bool or floating dtype (PyTorch's uint8 masks have no torchlet dtype). */
function checkMaskDtype(op: string, name: string, mask: Tensor, message: string): void {
  if (mask.dtype !== 'bool' && !isFloating(mask.dtype)) throw new TypeError(`${op}: ${message} (${name} is ${describe(mask)})`);
}

// ---- scaled dot product attention --------------------------------------------------------------------------------

/** The options of scaledDotProductAttention, PyTorch 2.x's keywords. | */
export interface ScaledDotProductAttentionOptions {
  /**
   * Broadcastable to [..., L, S]: bool (true = the position takes part, as PyTorch 2.x) or float (added to the
   * scores). Not with isCausal.
   */
  attnMask?: Tensor | null;
  /** Dropout probability on the attention weights, applied whenever > 0 (there is no training flag). */
  dropoutP?: number;
  /** Mask out keys after each query (position j > i), top-left aligned. */
  isCausal?: boolean;
  /** Multiplies Q K^T; default 1 / sqrt(E). */
  scale?: number | null;
}

/**
 * softmax(Q K^T * scale + mask) V, as PyTorch 2.x's F.scaled_dot_product_attention (its math path), with broadcast
 * batch dims. The [..., L, S] scores are written once by one batched GEMM and normalised in place.
 * @param query [..., L, E]
 * @param key [..., S, E]
 * @param value [..., S, Ev]
 * @returns [..., L, Ev]
 * @throws TypeError for tensors that are not floating or of different dtypes, or a mask of another dtype;
 *   RangeError for shapes that do not fit, a mask with isCausal, or dropoutP outside [0, 1]
 * @example F.scaledDotProductAttention(torch.randn(2, 4, 3, 8), torch.randn(2, 4, 5, 8), torch.randn(2, 4, 5, 8), { isCausal: false }).shape
 *   // [2, 4, 3, 8]
 */
export function scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor, options: ScaledDotProductAttentionOptions = {}): Tensor {
  const op = 'scaledDotProductAttention';
  checkTensor(op, 'query', query);
  checkTensor(op, 'key', key);
  checkTensor(op, 'value', value);
  const { attnMask = null, dropoutP = 0, scale = null } = checkOptions(op, options);
  const isCausal = checkBool(op, 'isCausal', options.isCausal, false);
  checkNumber(op, 'dropoutP', dropoutP, false);
  if (!(dropoutP >= 0 && dropoutP <= 1)) throw new RangeError(`${op}: dropout probability has to be between 0 and 1, but got ${dropoutP}`);
  if (scale !== null) checkNumber(op, 'scale', scale, false);
  if (!isFloating(query.dtype)) throw new TypeError(`${op}: expected a floating point Tensor for 'query' but received ${describe(query)}`);
  if (key.dtype !== query.dtype || value.dtype !== query.dtype) {
    throw new TypeError(
      `${op}: Expected query, key, and value to have the same dtype, but got query.dtype: ${query.dtype} key.dtype: ${key.dtype} and value.dtype: ${value.dtype} instead.`,
    );
  }
  if (query.dim() < 2 || key.dim() < 2 || value.dim() < 2) {
    throw new RangeError(`${op}: expected query, key and value of at least 2 dims but got shapes ${shapeStr(query.shape)}, ${shapeStr(key.shape)} and ${shapeStr(value.shape)}`);
  }
  const [L, E] = query.shape.slice(-2) as [number, number];
  const [S, Ek] = key.shape.slice(-2) as [number, number];
  if (Ek !== E) throw new RangeError(`${op}: query ${shapeStr(query.shape)} and key ${shapeStr(key.shape)} must have the same last dim (${E} != ${Ek})`);
  if (value.shape[value.dim() - 2] !== S) {
    throw new RangeError(`${op}: key ${shapeStr(key.shape)} and value ${shapeStr(value.shape)} must have the same sequence length (dim -2)`);
  }
  const batch = broadcastShapes(op, broadcastShapes(op, query.shape.slice(0, -2), key.shape.slice(0, -2)), value.shape.slice(0, -2));
  const scores = [...batch, L, S];
  let bias: Tensor | null = null;
  if (isCausal) {
    if (attnMask !== null) throw new RangeError(`${op}: Explicit attn_mask should not be set when is_causal=True`);
    bias = noGrad(() => full([L, S], -Infinity, { dtype: query.dtype }).triu(1));
  } else if (attnMask !== null) {
    checkTensor(op, 'attnMask', attnMask);
    checkMaskDtype(op, 'attnMask', attnMask, 'expected a bool or floating point attn_mask');
    if (attnMask.dtype !== 'bool' && attnMask.dtype !== query.dtype) {
      throw new TypeError(`${op}: Expected attn_mask dtype to be bool or to match query dtype (${query.dtype}), but got ${attnMask.dtype}`);
    }
    if (!sameShape(broadcastShapes(op, attnMask.shape, scores), scores)) {
      throw new RangeError(`${op}: attn_mask of shape ${shapeStr(attnMask.shape)} does not broadcast to the scores' shape ${shapeStr(scores)}`);
    }
    bias = attnMask.dtype === 'bool' ? boolToBias(attnMask, false, query.dtype) : attnMask;
  }
  const spread = (t: Tensor, rows: number): Tensor => (sameShape(t.shape.slice(0, -2), batch) ? t : t.expand([...batch, rows, E]));
  const q = spread(query, L);
  const k = spread(key, S);
  const probs = attentionProbs(q, k, bias, scale ?? 1 / Math.sqrt(E));
  return dropoutWeights(probs, dropoutP).matmul(value);
}

// ---- multi-head attention (PyTorch 1.13's multi_head_attention_forward) -----------------------------------------

/** The keyword arguments of multiHeadAttentionForward, as PyTorch's. | */
export interface MultiHeadAttentionForwardOptions {
  /** Apply dropout (default true). */
  training?: boolean;
  /** [N, S] or [S] (unbatched): bool (true = ignore that key) or float (added). */
  keyPaddingMask?: Tensor | null;
  /** Return the attention weights too (default true). */
  needWeights?: boolean;
  /** [L, S] or [N * numHeads, L, S]: bool (true = not allowed to attend) or float (added). */
  attnMask?: Tensor | null;
  /** Take qProjWeight, kProjWeight and vProjWeight instead of inProjWeight (default false). */
  useSeparateProjWeight?: boolean;
  qProjWeight?: Tensor | null;
  kProjWeight?: Tensor | null;
  vProjWeight?: Tensor | null;
  /** Used as the projected keys, [N * numHeads, S, headDim]. */
  staticK?: Tensor | null;
  /** Used as the projected values, [N * numHeads, S, headDim]. */
  staticV?: Tensor | null;
  /** Average the returned weights over the heads (default true). */
  averageAttnWeights?: boolean;
}

/** PyTorch's shape check (_mha_shape_check): whether the input is batched; every failure in PyTorch's words. */
function mhaShapeCheck(op: string, query: Tensor, key: Tensor, value: Tensor, kpm: Tensor | null, attnMask: Tensor | null, numHeads: number): boolean {
  if (query.dim() === 3) {
    if (key.dim() !== 3 || value.dim() !== 3) {
      throw new RangeError(`${op}: For batched (3-D) \`query\`, expected \`key\` and \`value\` to be 3-D but found ${key.dim()}-D and ${value.dim()}-D tensors respectively`);
    }
    if (kpm && kpm.dim() !== 2) {
      throw new RangeError(`${op}: For batched (3-D) \`query\`, expected \`key_padding_mask\` to be \`None\` or 2-D but found ${kpm.dim()}-D tensor instead`);
    }
    if (attnMask && attnMask.dim() !== 2 && attnMask.dim() !== 3) {
      throw new RangeError(`${op}: For batched (3-D) \`query\`, expected \`attn_mask\` to be \`None\`, 2-D or 3-D but found ${attnMask.dim()}-D tensor instead`);
    }
    return true;
  }
  if (query.dim() === 2) {
    if (key.dim() !== 2 || value.dim() !== 2) {
      throw new RangeError(`${op}: For unbatched (2-D) \`query\`, expected \`key\` and \`value\` to be 2-D but found ${key.dim()}-D and ${value.dim()}-D tensors respectively`);
    }
    if (kpm && kpm.dim() !== 1) {
      throw new RangeError(`${op}: For unbatched (2-D) \`query\`, expected \`key_padding_mask\` to be \`None\` or 1-D but found ${kpm.dim()}-D tensor instead`);
    }
    if (attnMask) {
      if (attnMask.dim() !== 2 && attnMask.dim() !== 3) {
        throw new RangeError(`${op}: For unbatched (2-D) \`query\`, expected \`attn_mask\` to be \`None\`, 2-D or 3-D but found ${attnMask.dim()}-D tensor instead`);
      }
      const want = [numHeads, query.shape[0]!, key.shape[0]!];
      if (attnMask.dim() === 3 && !sameShape(attnMask.shape, want)) {
        throw new RangeError(`${op}: Expected \`attn_mask\` shape to be ${shapeStr(want)} but got ${shapeStr(attnMask.shape)}`);
      }
    }
    return false;
  }
  throw new RangeError(`${op}: query should be unbatched 2D or batched 3D tensor but received ${query.dim()}-D query tensor`);
}

/** A mask (bool or float) with one more key position on its last dim that takes part: false or 0, as F.pad. */
function padKey(mask: Tensor): Tensor {
  return cat([mask, zeros([...mask.shape.slice(0, -1), 1], { dtype: mask.dtype })], -1);
}

/** The q, k, v projections (PyTorch's _in_projection_packed and _in_projection), one GEMM for self-attention. */
function inProjection(
  op: string,
  query: Tensor,
  key: Tensor,
  value: Tensor,
  inProjWeight: Tensor | null,
  inProjBias: Tensor | null,
  separate: readonly [Tensor | null, Tensor | null, Tensor | null] | null,
): [Tensor, Tensor, Tensor] {
  const E = query.shape[2]!;
  if (!separate) {
    if (!inProjWeight) throw new TypeError(`${op}: use_separate_proj_weight is False but in_proj_weight is None`);
    checkTensor(op, 'inProjWeight', inProjWeight);
    if (inProjWeight.dim() !== 2 || inProjWeight.shape[0] !== 3 * E || inProjWeight.shape[1] !== E) {
      throw new RangeError(`${op}: expecting in_proj_weight shape of ${shapeStr([3 * E, E])}, but got ${shapeStr(inProjWeight.shape)}`);
    }
    const ws = inProjWeight.split(E);
    const bs = inProjBias ? inProjBias.split(E) : [null, null, null];
    if (key === value) {
      if (query === key) {
        // Three GEMMs rather than one chunked one: each result is contiguous, so the heads are views of it (the
        // chunks of one [L, N, 3E] product would each be copied to split them into heads).
        const rows = query.reshape([-1, E]);
        return [project(query, ws[0]!, bs[0]!, rows), project(query, ws[1]!, bs[1]!, rows), project(query, ws[2]!, bs[2]!, rows)];
      }
      const [kk, vv] = project(key, inProjWeight.narrow(0, E, 2 * E), inProjBias ? inProjBias.narrow(0, E, 2 * E) : null).chunk(2, -1) as [Tensor, Tensor];
      return [project(query, ws[0]!, bs[0]!), kk, vv];
    }
    return [project(query, ws[0]!, bs[0]!), project(key, ws[1]!, bs[1]!), project(value, ws[2]!, bs[2]!)];
  }
  const names = ['q_proj_weight', 'k_proj_weight', 'v_proj_weight'] as const;
  separate.forEach((w, i) => {
    if (!w) throw new TypeError(`${op}: use_separate_proj_weight is True but ${names[i]} is None`);
  });
  const [wq, wk, wv] = separate as [Tensor, Tensor, Tensor];
  const bs = inProjBias ? inProjBias.chunk(3) : [null, null, null];
  const inputs = [query, key, value];
  const kinds = ['query', 'key', 'value'];
  [wq, wk, wv].forEach((w, i) => {
    const want = [E, inputs[i]!.shape[2]!];
    if (!sameShape(w.shape, want)) throw new RangeError(`${op}: expecting ${kinds[i]} weights shape of ${shapeStr(want)}, but got ${shapeStr(w.shape)}`);
    const b = bs[i];
    if (b && !sameShape(b.shape, [E])) throw new RangeError(`${op}: expecting ${kinds[i]} bias shape of [${E}], but got ${shapeStr(b.shape)}`);
  });
  return [project(query, wq, bs[0]!), project(key, wk, bs[1]!), project(value, wv, bs[2]!)];
}

/**
 * Multi-head attention from its parameters, as PyTorch 1.13's F.multi_head_attention_forward (sequence-first:
 * [L, N, E] or unbatched [L, E]). Returns [output, weights]: weights averaged over the heads ([N, L, S]) or per head
 * ([N, numHeads, L, S]) when needWeights, else null.
 * @param embedDimToCheck the model's embedding dim E (query's last dim)
 * @param biasK a [1, 1, E] key appended to every sequence (with biasV), or null
 * @param addZeroAttn append a zero key and value after the projection
 * @param dropoutP dropout on the attention weights in training
 * @throws RangeError for shapes that do not fit, in PyTorch's words; TypeError for masks of other dtypes
 * @example const [out, w] = F.multiHeadAttentionForward(q, q, q, 8, 2, mha.in_proj_weight, mha.in_proj_bias, null, null,
 *     false, 0, mha.out_proj.weight, mha.out_proj.bias)
 */
export function multiHeadAttentionForward(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  embedDimToCheck: number,
  numHeads: number,
  inProjWeight: Tensor | null,
  inProjBias: Tensor | null,
  biasK: Tensor | null,
  biasV: Tensor | null,
  addZeroAttn: boolean,
  dropoutP: number,
  outProjWeight: Tensor,
  outProjBias: Tensor | null,
  options: MultiHeadAttentionForwardOptions = {},
): [Tensor, Tensor | null] {
  const op = 'multiHeadAttentionForward';
  checkTensor(op, 'query', query);
  checkTensor(op, 'key', key);
  checkTensor(op, 'value', value);
  checkInt(op, 'embedDimToCheck', embedDimToCheck, 0);
  checkInt(op, 'numHeads', numHeads, 1);
  checkBool(op, 'addZeroAttn', addZeroAttn, false);
  checkNumber(op, 'dropoutP', dropoutP, false);
  checkTensor(op, 'outProjWeight', outProjWeight);
  const o = checkOptions(op, options);
  const training = checkBool(op, 'training', o.training, true);
  const needWeights = checkBool(op, 'needWeights', o.needWeights, true);
  const average = checkBool(op, 'averageAttnWeights', o.averageAttnWeights, true);
  const separate = checkBool(op, 'useSeparateProjWeight', o.useSeparateProjWeight, false);
  let kpm = o.keyPaddingMask ?? null;
  let attnMask = o.attnMask ?? null;
  if (kpm !== null) checkTensor(op, 'keyPaddingMask', kpm);
  if (attnMask !== null) checkTensor(op, 'attnMask', attnMask);
  const batched = mhaShapeCheck(op, query, key, value, kpm, attnMask, numHeads);
  if (!batched) {
    query = query.unsqueeze(1);
    key = key.unsqueeze(1);
    value = value.unsqueeze(1);
    if (kpm) kpm = kpm.unsqueeze(0);
  }
  const [tgtLen, bsz, embedDim] = query.shape as [number, number, number];
  let srcLen = key.shape[0]!;
  if (kpm) checkMaskDtype(op, 'keyPaddingMask', kpm, 'only bool and floating types of key_padding_mask are supported');
  if (embedDim !== embedDimToCheck) throw new RangeError(`${op}: was expecting embedding dimension of ${embedDimToCheck}, but got ${embedDim}`);
  const headDim = Math.floor(embedDim / numHeads);
  if (headDim * numHeads !== embedDim) throw new RangeError(`${op}: embed_dim ${embedDim} not divisible by num_heads ${numHeads}`);
  if (separate) {
    if (!sameShape(key.shape.slice(0, 2), value.shape.slice(0, 2))) {
      throw new RangeError(`${op}: key's sequence and batch dims ${shapeStr(key.shape.slice(0, 2))} do not match value's ${shapeStr(value.shape.slice(0, 2))}`);
    }
  } else if (!sameShape(key.shape, value.shape)) {
    throw new RangeError(`${op}: key shape ${shapeStr(key.shape)} does not match value shape ${shapeStr(value.shape)}`);
  }

  let [q, k, v] = inProjection(op, query, key, value, inProjWeight, inProjBias, separate ? [o.qProjWeight ?? null, o.kProjWeight ?? null, o.vProjWeight ?? null] : null);

  if (attnMask) {
    checkMaskDtype(op, 'attnMask', attnMask, `Only float, byte, and bool types are supported for attn_mask, not ${attnMask.dtype}`);
    if (attnMask.dim() === 2) {
      if (!sameShape(attnMask.shape, [tgtLen, srcLen])) {
        throw new RangeError(`${op}: The shape of the 2D attn_mask is ${shapeStr(attnMask.shape)}, but should be ${shapeStr([tgtLen, srcLen])}.`);
      }
      attnMask = attnMask.unsqueeze(0);
    } else if (attnMask.dim() === 3) {
      const want = [bsz * numHeads, tgtLen, srcLen];
      if (!sameShape(attnMask.shape, want)) throw new RangeError(`${op}: The shape of the 3D attn_mask is ${shapeStr(attnMask.shape)}, but should be ${shapeStr(want)}.`);
    } else {
      throw new RangeError(`${op}: attn_mask's dimension ${attnMask.dim()} is not supported`);
    }
  }

  if (biasK && biasV) {
    if (o.staticK) throw new RangeError(`${op}: bias cannot be added to static key.`);
    if (o.staticV) throw new RangeError(`${op}: bias cannot be added to static value.`);
    k = cat([k, biasK.expand([1, bsz, embedDim])]);
    v = cat([v, biasV.expand([1, bsz, embedDim])]);
    if (attnMask) attnMask = padKey(attnMask);
    if (kpm) kpm = padKey(kpm);
  } else if (biasK || biasV) {
    throw new RangeError(`${op}: bias_k and bias_v must be given together (got ${biasK ? 'bias_k' : 'bias_v'} alone)`);
  }

  // Heads into the batch: [L, N, E] -> [N * heads, L, headDim], as views over the projections.
  const heads = (t: Tensor): Tensor => t.contiguous().view([t.shape[0]!, bsz * numHeads, headDim]).transpose(0, 1);
  q = heads(q);
  const fromStatic = (name: string, s: Tensor | null | undefined, t: Tensor): Tensor => {
    if (!s) return heads(t);
    checkTensor(op, name, s);
    if (s.shape[0] !== bsz * numHeads) throw new RangeError(`${op}: expecting ${name}.size(0) of ${bsz * numHeads}, but got ${s.shape[0]}`);
    if (s.shape[2] !== headDim) throw new RangeError(`${op}: expecting ${name}.size(2) of ${headDim}, but got ${s.shape[2]}`);
    return s;
  };
  k = fromStatic('static_k', o.staticK, k);
  v = fromStatic('static_v', o.staticV, v);

  if (addZeroAttn) {
    k = cat([k, zeros([bsz * numHeads, 1, headDim], { dtype: k.dtype })], 1);
    v = cat([v, zeros([bsz * numHeads, 1, headDim], { dtype: v.dtype })], 1);
    if (attnMask) attnMask = padKey(attnMask);
    if (kpm) kpm = padKey(kpm);
  }
  srcLen = k.shape[1]!;

  if (kpm) {
    if (!sameShape(kpm.shape, [bsz, srcLen])) throw new RangeError(`${op}: expecting key_padding_mask shape of ${shapeStr([bsz, srcLen])}, but got ${shapeStr(kpm.shape)}`);
    const spread = kpm.view([bsz, 1, 1, srcLen]).expand([-1, numHeads, -1, -1]).reshape([bsz * numHeads, 1, srcLen]);
    if (!attnMask) attnMask = spread;
    else if (attnMask.dtype === 'bool') attnMask = attnMask.logicalOr(spread);
    else attnMask = attnMask.maskedFill(spread, -Infinity);
  }
  if (attnMask && attnMask.dtype === 'bool') attnMask = boolToBias(attnMask, true, q.dtype);
  if (attnMask && attnMask.dtype !== q.dtype) {
    throw new TypeError(`${op}: expected a float attn_mask / key_padding_mask of the query's dtype ${q.dtype}, but got ${attnMask.dtype}`);
  }

  const p = training ? dropoutP : 0;
  // Averaged weights without a graph through them come out of the softmax pass itself.
  const graph = q.requiresGrad || k.requiresGrad || (attnMask !== null && attnMask.requiresGrad);
  const mean = needWeights && average && p === 0 && !graph ? outputTensor([bsz, tgtLen, srcLen], q.dtype) : null;
  // As PyTorch, the weights returned are those after dropout.
  const probs = dropoutWeights(attentionProbs(q, k, attnMask, 1 / Math.sqrt(headDim), mean), p);
  const attended = probs.bmm(v);
  const merged = attended.transpose(0, 1).contiguous().view([tgtLen * bsz, embedDim]);
  let out = project(merged, outProjWeight, outProjBias).view([tgtLen, bsz, -1]);
  let weights: Tensor | null = null;
  if (needWeights) {
    weights = mean ?? probs.view([bsz, numHeads, tgtLen, srcLen]);
    if (average && !mean) weights = weights.sum(1).div(numHeads);
    if (!batched) weights = weights.squeeze(0);
  }
  if (!out.requiresGrad) {
    // out depends on every intermediate: none requires grad, so no graph saved one. The projections (not a caller's
    // static k / v), the weights unless returned per head, and the heads' outputs are dead now.
    const dead = [q, attended, merged];
    if (!o.staticK) dead.push(k);
    if (!o.staticV) dead.push(v);
    if (weights === null || average) dead.push(probs);
    releaseStorage(dead, [out, weights]);
  }
  if (!batched) out = out.squeeze(1);
  return [out, weights];
}

/**
 * Gives the storage of dead intermediates back for reuse by the next outputs of their size (hot memory instead of
 * fresh), as the autograd engine does for the gradients it consumed: each storage once, and none that a kept tensor
 * (one returned to the caller) uses. The caller guarantees that no graph saved any of them.
 */
function releaseStorage(dead: readonly Tensor[], kept: readonly (Tensor | null)[]): void {
  const keep = new Set<Storage>();
  for (const t of kept) if (t) keep.add(t.data);
  const done = new Set<Storage>();
  for (const t of dead) {
    if (keep.has(t.data) || done.has(t.data)) continue;
    done.add(t.data);
    recycle(t.data);
  }
}
