/** nn.MultiheadAttention (torch/nn/modules/activation.py in PyTorch 1.13). */
import type { Tensor } from '../../tensor';
import { emptyTensor } from '../../tensor';
import { getDefaultDtype } from '../../dtype';
import { Module } from './module';
import { Linear } from './linear';
import { Parameter } from '../parameter';
import * as init from '../init';
import { multiHeadAttentionForward } from '../functional_attention';
import { checkBool, checkInt, checkNumber, checkOptions, checkTensor, describe } from '../../validate';
import { isFloating } from '../../dtype';

/** The options of nn.MultiheadAttention, PyTorch's keyword arguments. | */
export interface MultiheadAttentionOptions {
  /** Dropout probability on the attention weights (default 0). */
  dropout?: number;
  /** Biases on the input and output projections (default true). */
  bias?: boolean;
  /** Learned bias_k and bias_v appended to the keys and values (default false). */
  addBiasKv?: boolean;
  /** A zero key and value appended after the projection (default false). */
  addZeroAttn?: boolean;
  /** Features of the keys (default embedDim). */
  kdim?: number | null;
  /** Features of the values (default embedDim). */
  vdim?: number | null;
  /** Inputs and output as [N, L, E] instead of [L, N, E] (default false). */
  batchFirst?: boolean;
}

/** The keyword arguments of MultiheadAttention.forward. | */
export interface MultiheadAttentionForwardOptions {
  /** [N, S] (or [S] unbatched): bool (true = ignore that key) or float (added to the scores). */
  keyPaddingMask?: Tensor | null;
  /** Return the attention weights (default true). */
  needWeights?: boolean;
  /** [L, S] or [N * numHeads, L, S]: bool (true = not allowed to attend) or float (added). */
  attnMask?: Tensor | null;
  /** Average the returned weights over the heads (default true). */
  averageAttnWeights?: boolean;
}

/** PyTorch's NonDynamicallyQuantizableLinear: a Linear under the name PyTorch prints for out_proj. */
class NonDynamicallyQuantizableLinear extends Linear {}

/**
 * Multi-head attention, as torch.nn.MultiheadAttention: parameters in_proj_weight (or q_proj_weight, k_proj_weight,
 * v_proj_weight when kdim or vdim differ from embedDim), in_proj_bias, out_proj (a Linear), bias_k and bias_v, drawn
 * in PyTorch's order (out_proj's Linear init, then xavier_uniform_ of the projections; biases zero; xavier_normal_ of
 * bias_k and bias_v), so a seed gives PyTorch's bits and a PyTorch state dict loads unchanged.
 * @example const mha = new nn.MultiheadAttention(16, 4, { batchFirst: true });
 *   const [out, weights] = mha.forward(x, x, x); // out [N, L, 16], weights [N, L, L]
 */
export class MultiheadAttention extends Module {
  declare in_proj_weight: Parameter | null;
  declare q_proj_weight: Parameter | null;
  declare k_proj_weight: Parameter | null;
  declare v_proj_weight: Parameter | null;
  declare in_proj_bias: Parameter | null;
  declare out_proj: Linear;
  declare bias_k: Parameter | null;
  declare bias_v: Parameter | null;
  readonly embedDim: number;
  readonly numHeads: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly headDim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  readonly addZeroAttn: boolean;
  /** Whether kdim and vdim equal embedDim, so one packed in_proj_weight projects q, k and v. */
  readonly qkvSameEmbedDim: boolean;

  constructor(embedDim: number, numHeads: number, options: MultiheadAttentionOptions = {}) {
    super();
    const op = 'MultiheadAttention';
    checkInt(op, 'embed_dim', embedDim, 0);
    checkInt(op, 'num_heads', numHeads, 1);
    const o = checkOptions(op, options);
    const dropout = checkNumber(op, 'dropout', o.dropout ?? 0, false);
    if (!(dropout >= 0 && dropout <= 1)) throw new RangeError(`${op}: dropout probability has to be between 0 and 1, but got ${dropout}`);
    const bias = checkBool(op, 'bias', o.bias, true);
    const addBiasKv = checkBool(op, 'addBiasKv', o.addBiasKv, false);
    this.embedDim = embedDim;
    this.kdim = o.kdim === undefined || o.kdim === null ? embedDim : checkInt(op, 'kdim', o.kdim, 0);
    this.vdim = o.vdim === undefined || o.vdim === null ? embedDim : checkInt(op, 'vdim', o.vdim, 0);
    this.qkvSameEmbedDim = this.kdim === embedDim && this.vdim === embedDim;
    this.numHeads = numHeads;
    this.dropout = dropout;
    this.batchFirst = checkBool(op, 'batchFirst', o.batchFirst, false);
    this.headDim = Math.floor(embedDim / numHeads);
    if (this.headDim * numHeads !== embedDim) throw new RangeError(`${op}: embed_dim must be divisible by num_heads (got embed_dim ${embedDim}, num_heads ${numHeads})`);
    const dtype = getDefaultDtype();
    const param = (...shape: number[]): Parameter => new Parameter(emptyTensor(shape, dtype));
    if (!this.qkvSameEmbedDim) {
      this.q_proj_weight = param(embedDim, embedDim);
      this.k_proj_weight = param(embedDim, this.kdim);
      this.v_proj_weight = param(embedDim, this.vdim);
      this.registerParameter('in_proj_weight', null);
    } else {
      this.in_proj_weight = param(3 * embedDim, embedDim);
      this.registerParameter('q_proj_weight', null);
      this.registerParameter('k_proj_weight', null);
      this.registerParameter('v_proj_weight', null);
    }
    if (bias) this.in_proj_bias = param(3 * embedDim);
    else this.registerParameter('in_proj_bias', null);
    // A Linear, initialised (drawing from the generator) when built.
    this.out_proj = new NonDynamicallyQuantizableLinear(embedDim, embedDim, bias);
    if (addBiasKv) {
      this.bias_k = param(1, 1, embedDim);
      this.bias_v = param(1, 1, embedDim);
    } else {
      this.bias_k = null;
      this.bias_v = null;
    }
    this.addZeroAttn = checkBool(op, 'addZeroAttn', o.addZeroAttn, false);
    this.resetParameters();
  }

  /**
   * PyTorch's _reset_parameters: xavier_uniform_ of the projection weights, zero biases, xavier_normal_ of bias_k, bias_v.
   * @example new nn.MultiheadAttention(8, 2).resetParameters()
   */
  resetParameters(): void {
    if (this.qkvSameEmbedDim) init.xavierUniform_(this.in_proj_weight!);
    else for (const w of [this.q_proj_weight, this.k_proj_weight, this.v_proj_weight]) init.xavierUniform_(w!);
    if (this.in_proj_bias) {
      init.constant_(this.in_proj_bias, 0);
      init.constant_(this.out_proj.bias!, 0);
    }
    if (this.bias_k) init.xavierNormal_(this.bias_k);
    if (this.bias_v) init.xavierNormal_(this.bias_v);
  }

  /**
   * Attends from query to key/value: returns [output, weights], weights null unless needWeights (the default), averaged
   * over heads ([N, L, S]) unless averageAttnWeights is false ([N, numHeads, L, S]).
   * @param query [L, N, E] ([N, L, E] with batchFirst) or unbatched [L, E]
   * @param key [S, N, kdim] (or batch first, or [S, kdim])
   * @param value [S, N, vdim] (or batch first, or [S, vdim])
   * @throws RangeError for shapes that do not fit, TypeError for a key padding mask that is not bool or float
   * @example const [out] = mha.forward(q, kv, kv, { keyPaddingMask: pad, needWeights: false })
   */
  forward(query: Tensor, key: Tensor, value: Tensor, options: MultiheadAttentionForwardOptions = {}): [Tensor, Tensor | null] {
    const op = 'MultiheadAttention';
    checkTensor(op, 'query', query);
    checkTensor(op, 'key', key);
    checkTensor(op, 'value', value);
    const o = checkOptions(op, options);
    const kpm = o.keyPaddingMask ?? null;
    if (kpm !== null) {
      checkTensor(op, 'keyPaddingMask', kpm);
      if (kpm.dtype !== 'bool' && !isFloating(kpm.dtype)) {
        throw new TypeError(`${op}: only bool and floating types of key_padding_mask are supported (got ${describe(kpm)})`);
      }
    }
    const batched = query.dim() === 3;
    if (this.batchFirst && batched) {
      // Transposed so that key === value (and query === key) still hold: they pick the packed projections.
      if (key === value) {
        if (query === key) {
          query = key = value = query.transpose(1, 0);
        } else {
          query = query.transpose(1, 0);
          key = value = key.transpose(1, 0);
        }
      } else {
        [query, key, value] = [query.transpose(1, 0), key.transpose(1, 0), value.transpose(1, 0)];
      }
    }
    const separate = !this.qkvSameEmbedDim;
    const [out, weights] = multiHeadAttentionForward(
      query, key, value, this.embedDim, this.numHeads,
      this.in_proj_weight, this.in_proj_bias, this.bias_k, this.bias_v, this.addZeroAttn,
      this.dropout, this.out_proj.weight, this.out_proj.bias,
      {
        training: this.training,
        keyPaddingMask: kpm,
        needWeights: o.needWeights,
        attnMask: o.attnMask ?? null,
        averageAttnWeights: o.averageAttnWeights,
        useSeparateProjWeight: separate,
        qProjWeight: this.q_proj_weight,
        kProjWeight: this.k_proj_weight,
        vProjWeight: this.v_proj_weight,
      },
    );
    return [this.batchFirst && batched ? out.transpose(1, 0) : out, weights];
  }
}
