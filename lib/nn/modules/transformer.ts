/**
 * Transformer layers (torch/nn/modules/transformer.py in PyTorch 1.13): TransformerEncoderLayer,
 * TransformerDecoderLayer, the stacks TransformerEncoder / TransformerDecoder (deep copies of one layer, as PyTorch's
 * _get_clones) and nn.Transformer.
 */
import { Tensor } from '../../tensor';
import { isFloating } from '../../dtype';
import { noGrad, isGradEnabled } from '../../autograd/grad_mode';
import { full } from '../../ops/creation';
import { Module } from './module';
import { ModuleList } from './container';
import { Linear } from './linear';
import { Dropout } from './dropout';
import { LayerNorm } from './normalization';
import { ReLU, GELU } from './activation';
import { MultiheadAttention } from './attention';
import { Parameter } from '../parameter';
import * as F from '../functional';
import * as init from '../init';
import { checkBool, checkInt, checkNumber, checkOptions, checkTensor, describe } from '../../validate';

// ---- deep copies (copy.deepcopy of a module) ---------------------------------------------------------------------

/**
 * A deep copy of a value inside a module, as copy.deepcopy: tensors cloned (a Parameter stays a Parameter with its
 * requiresGrad), modules copied whole, arrays, maps, sets and plain objects copied member by member; functions and
 * other values shared. `memo` keeps sharing inside the copy as it was in the original (one Parameter used twice stays
 * one Parameter).
 */
function deepCopy<T>(v: T, memo: Map<unknown, unknown>): T {
  if (v === null || typeof v !== 'object') return v;
  if (memo.has(v)) return memo.get(v) as T;
  let copy: unknown;
  if (v instanceof Module) return cloneModule(v, memo) as T;
  if (v instanceof Parameter) {
    const p = new Parameter(noGrad(() => v.detach().clone()), v.requiresGrad);
    memo.set(v, p);
    if (v.grad) p.grad = deepCopy(v.grad, memo);
    return p as T;
  }
  if (v instanceof Tensor) copy = noGrad(() => v.detach().clone());
  else if (v instanceof Map) {
    const m = new Map();
    memo.set(v, m);
    for (const [k, x] of v) m.set(k, deepCopy(x, memo));
    return m as T;
  } else if (v instanceof Set) {
    const s = new Set();
    memo.set(v, s);
    for (const x of v) s.add(deepCopy(x, memo));
    return s as T;
  } else if (Array.isArray(v)) {
    const a: unknown[] = [];
    memo.set(v, a);
    for (const x of v) a.push(deepCopy(x, memo));
    return a as T;
  } else if (Object.getPrototypeOf(v) === Object.prototype) {
    const o: Record<string, unknown> = {};
    memo.set(v, o);
    for (const [k, x] of Object.entries(v)) o[k] = deepCopy(x, memo);
    return o as T;
  } else {
    copy = v;
  }
  memo.set(v, copy);
  return copy as T;
}

/**
 * A deep copy of a module of any class, as copy.deepcopy: built by Module's own constructor only (so no subclass
 * constructor runs and no random number is drawn), then given deep copies of every own property, the registries of
 * parameters, buffers and children included (they keep their order, hence the state-dict keys).
 */
function cloneModule<M extends Module>(m: M, memo: Map<unknown, unknown>): M {
  const copy = Reflect.construct(Module as unknown as new () => Module, [], m.constructor) as M;
  memo.set(m, copy);
  const src = m as unknown as Record<PropertyKey, unknown>;
  const dst = copy as unknown as Record<PropertyKey, unknown>;
  // The registries first (symbol keys), then the attributes: assigning a registered name re-registers the same copy.
  for (const s of Object.getOwnPropertySymbols(m)) dst[s] = deepCopy(src[s], memo);
  for (const name of Object.keys(m)) dst[name] = deepCopy(src[name], memo);
  return copy;
}

/** numLayers deep copies of a layer in a ModuleList, as PyTorch's _get_clones. */
function getClones<M extends Module>(op: string, layer: M, numLayers: number): ModuleList<M> {
  if (!(layer instanceof Module)) throw new TypeError(`${op}: expected a Module for the layer but received ${describe(layer)}`);
  checkInt(op, 'num_layers', numLayers, 0);
  return new ModuleList(Array.from({ length: numLayers }, () => cloneModule(layer, new Map())));
}

// ---- activations and masks ------------------------------------------------------------------------------------------

/** A layer's activation: 'relu', 'gelu', a function of a tensor or a Module (registered as a child). | */
export type TransformerActivation = 'relu' | 'gelu' | ((x: Tensor) => Tensor) | Module;

/** PyTorch's _get_activation_fn for strings; functions and modules as they are. */
function activationOf(op: string, a: TransformerActivation): ((x: Tensor) => Tensor) | Module {
  if (a === 'relu') return F.relu;
  if (a === 'gelu') return F.gelu;
  if (typeof a === 'function' || a instanceof Module) return a;
  throw new RangeError(`${op}: activation should be relu/gelu, not ${typeof a === 'string' ? a : describe(a)}`);
}

function applyActivation(a: ((x: Tensor) => Tensor) | Module, x: Tensor): Tensor {
  return a instanceof Module ? (a.forward(x) as Tensor) : a(x);
}

/** A key padding mask must be bool or floating, as PyTorch asserts. */
function checkPaddingMask(op: string, name: string, m: Tensor | null | undefined): void {
  if (m === null || m === undefined) return;
  checkTensor(op, name, m);
  if (m.dtype !== 'bool' && !isFloating(m.dtype)) throw new TypeError(`${op}: only bool and floating types of key_padding_mask are supported (got ${describe(m)})`);
}

/**
 * A float [sz, sz] mask, -inf above the diagonal and 0 elsewhere, as Transformer.generate_square_subsequent_mask.
 * @throws RangeError for a size that is not a non-negative integer
 */
function squareSubsequentMask(sz: number): Tensor {
  checkInt('generateSquareSubsequentMask', 'sz', sz, 0);
  return full([sz, sz], -Infinity).triu(1);
}

// ---- layers ------------------------------------------------------------------------------------------------------

/** The options of TransformerEncoderLayer and TransformerDecoderLayer, PyTorch's keyword arguments. | */
export interface TransformerLayerOptions {
  /** Hidden size of the feed-forward block (default 2048). */
  dimFeedforward?: number;
  /** Dropout probability everywhere in the layer (default 0.1). */
  dropout?: number;
  /** 'relu' (default), 'gelu', a function or a Module. */
  activation?: TransformerActivation;
  /** eps of the LayerNorms (default 1e-5). */
  layerNormEps?: number;
  /** Inputs and output as [N, L, E] (default false: [L, N, E]). */
  batchFirst?: boolean;
  /** LayerNorm before attention and feed-forward instead of after (default false). */
  normFirst?: boolean;
}

/** The options checked, with PyTorch's defaults. */
function layerOptions(op: string, options: TransformerLayerOptions | undefined): Required<TransformerLayerOptions> {
  const o = checkOptions(op, options);
  const dimFeedforward = checkInt(op, 'dim_feedforward', o.dimFeedforward ?? 2048, 0);
  const dropout = checkNumber(op, 'dropout', o.dropout ?? 0.1, false);
  const layerNormEps = checkNumber(op, 'layer_norm_eps', o.layerNormEps ?? 1e-5, false);
  return {
    dimFeedforward,
    dropout,
    activation: o.activation ?? 'relu',
    layerNormEps,
    batchFirst: checkBool(op, 'batchFirst', o.batchFirst, false),
    normFirst: checkBool(op, 'normFirst', o.normFirst, false),
  };
}

/** The masks of TransformerEncoderLayer.forward. | */
export interface TransformerEncoderLayerForwardOptions {
  /** [S, S] or [N * nhead, S, S]: bool (true = not allowed to attend) or float (added). */
  srcMask?: Tensor | null;
  /** [N, S] (or [S] unbatched): true (or -inf) for padding keys. */
  srcKeyPaddingMask?: Tensor | null;
}

/**
 * Self-attention and a feed-forward block, each with a residual connection and a LayerNorm (after, or before with
 * normFirst), as torch.nn.TransformerEncoderLayer. Submodules self_attn, linear1, dropout, linear2, norm1, norm2,
 * dropout1, dropout2: PyTorch's state-dict keys and initial bits.
 * @example const layer = new nn.TransformerEncoderLayer(16, 4, { dimFeedforward: 32, batchFirst: true });
 *   layer.forward(torch.randn(2, 5, 16)).shape // [2, 5, 16]
 */
export class TransformerEncoderLayer extends Module {
  declare self_attn: MultiheadAttention;
  declare linear1: Linear;
  declare dropout: Dropout;
  declare linear2: Linear;
  declare norm1: LayerNorm;
  declare norm2: LayerNorm;
  declare dropout1: Dropout;
  declare dropout2: Dropout;
  declare activation: ((x: Tensor) => Tensor) | Module;
  readonly normFirst: boolean;
  /** 1 for relu, 2 for gelu, 0 otherwise (PyTorch's activation_relu_or_gelu, which gates its fast path). */
  readonly activationReluOrGelu: number;

  constructor(dModel: number, nhead: number, options: TransformerLayerOptions = {}) {
    super();
    const op = 'TransformerEncoderLayer';
    const o = layerOptions(op, options);
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout: o.dropout, batchFirst: o.batchFirst });
    this.linear1 = new Linear(dModel, o.dimFeedforward);
    this.dropout = new Dropout(o.dropout);
    this.linear2 = new Linear(o.dimFeedforward, dModel);
    this.normFirst = o.normFirst;
    this.norm1 = new LayerNorm(dModel, o.layerNormEps);
    this.norm2 = new LayerNorm(dModel, o.layerNormEps);
    this.dropout1 = new Dropout(o.dropout);
    this.dropout2 = new Dropout(o.dropout);
    const activation = activationOf(op, o.activation);
    this.activationReluOrGelu = activation === F.relu || activation instanceof ReLU ? 1 : activation === F.gelu || activation instanceof GELU ? 2 : 0;
    this.activation = activation;
  }

  /**
   * The layer on src ([S, N, E], [N, S, E] with batchFirst, or unbatched [S, E]).
   * @throws TypeError for a key padding mask that is not bool or float; RangeError for shapes that do not fit
   * @example layer.forward(src, { srcKeyPaddingMask: pad })
   */
  forward(src: Tensor, options: TransformerEncoderLayerForwardOptions = {}): Tensor {
    const op = 'TransformerEncoderLayer';
    checkTensor(op, 'src', src);
    const { srcMask = null, srcKeyPaddingMask = null } = checkOptions(op, options);
    checkPaddingMask(op, 'srcKeyPaddingMask', srcKeyPaddingMask);
    let x = src;
    if (this.normFirst) {
      x = x.add(this.saBlock(this.norm1.forward(x), srcMask, srcKeyPaddingMask));
      return x.add(this.ffBlock(this.norm2.forward(x)));
    }
    x = this.norm1.forward(x.add(this.saBlock(x, srcMask, srcKeyPaddingMask)));
    return this.norm2.forward(x.add(this.ffBlock(x)));
  }

  private saBlock(x: Tensor, attnMask: Tensor | null, keyPaddingMask: Tensor | null): Tensor {
    const [out] = this.self_attn.forward(x, x, x, { attnMask, keyPaddingMask, needWeights: false });
    return this.dropout1.forward(out);
  }

  private ffBlock(x: Tensor): Tensor {
    const h = this.dropout.forward(applyActivation(this.activation, this.linear1.forward(x)));
    return this.dropout2.forward(this.linear2.forward(h));
  }
}

/** The masks of TransformerDecoderLayer.forward and TransformerDecoder.forward. | */
export interface TransformerDecoderForwardOptions {
  /** [T, T] or [N * nhead, T, T] mask of the target's self-attention. */
  tgtMask?: Tensor | null;
  /** [T, S] mask of the attention over the memory. */
  memoryMask?: Tensor | null;
  /** [N, T] padding of the target keys. */
  tgtKeyPaddingMask?: Tensor | null;
  /** [N, S] padding of the memory keys. */
  memoryKeyPaddingMask?: Tensor | null;
}

/**
 * Self-attention, attention over the encoder's memory and a feed-forward block, each with a residual and a LayerNorm,
 * as torch.nn.TransformerDecoderLayer (submodules self_attn, multihead_attn, linear1, dropout, linear2, norm1-3,
 * dropout1-3).
 * @example new nn.TransformerDecoderLayer(16, 4, { dimFeedforward: 32 }).forward(torch.randn(5, 2, 16), torch.randn(7, 2, 16)).shape
 *   // [5, 2, 16]
 */
export class TransformerDecoderLayer extends Module {
  declare self_attn: MultiheadAttention;
  declare multihead_attn: MultiheadAttention;
  declare linear1: Linear;
  declare dropout: Dropout;
  declare linear2: Linear;
  declare norm1: LayerNorm;
  declare norm2: LayerNorm;
  declare norm3: LayerNorm;
  declare dropout1: Dropout;
  declare dropout2: Dropout;
  declare dropout3: Dropout;
  declare activation: ((x: Tensor) => Tensor) | Module;
  readonly normFirst: boolean;

  constructor(dModel: number, nhead: number, options: TransformerLayerOptions = {}) {
    super();
    const op = 'TransformerDecoderLayer';
    const o = layerOptions(op, options);
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout: o.dropout, batchFirst: o.batchFirst });
    this.multihead_attn = new MultiheadAttention(dModel, nhead, { dropout: o.dropout, batchFirst: o.batchFirst });
    this.linear1 = new Linear(dModel, o.dimFeedforward);
    this.dropout = new Dropout(o.dropout);
    this.linear2 = new Linear(o.dimFeedforward, dModel);
    this.normFirst = o.normFirst;
    this.norm1 = new LayerNorm(dModel, o.layerNormEps);
    this.norm2 = new LayerNorm(dModel, o.layerNormEps);
    this.norm3 = new LayerNorm(dModel, o.layerNormEps);
    this.dropout1 = new Dropout(o.dropout);
    this.dropout2 = new Dropout(o.dropout);
    this.dropout3 = new Dropout(o.dropout);
    this.activation = activationOf(op, o.activation);
  }

  /**
   * The layer on tgt ([T, N, E], batch first, or [T, E]) attending to memory ([S, N, E], ...).
   * @throws RangeError for shapes that do not fit
   * @example layer.forward(tgt, memory, { tgtMask: nn.Transformer.generateSquareSubsequentMask(5) })
   */
  forward(tgt: Tensor, memory: Tensor, options: TransformerDecoderForwardOptions = {}): Tensor {
    const op = 'TransformerDecoderLayer';
    checkTensor(op, 'tgt', tgt);
    checkTensor(op, 'memory', memory);
    const { tgtMask = null, memoryMask = null, tgtKeyPaddingMask = null, memoryKeyPaddingMask = null } = checkOptions(op, options);
    let x = tgt;
    if (this.normFirst) {
      x = x.add(this.saBlock(this.norm1.forward(x), tgtMask, tgtKeyPaddingMask));
      x = x.add(this.mhaBlock(this.norm2.forward(x), memory, memoryMask, memoryKeyPaddingMask));
      return x.add(this.ffBlock(this.norm3.forward(x)));
    }
    x = this.norm1.forward(x.add(this.saBlock(x, tgtMask, tgtKeyPaddingMask)));
    x = this.norm2.forward(x.add(this.mhaBlock(x, memory, memoryMask, memoryKeyPaddingMask)));
    return this.norm3.forward(x.add(this.ffBlock(x)));
  }

  private saBlock(x: Tensor, attnMask: Tensor | null, keyPaddingMask: Tensor | null): Tensor {
    const [out] = this.self_attn.forward(x, x, x, { attnMask, keyPaddingMask, needWeights: false });
    return this.dropout1.forward(out);
  }

  private mhaBlock(x: Tensor, mem: Tensor, attnMask: Tensor | null, keyPaddingMask: Tensor | null): Tensor {
    const [out] = this.multihead_attn.forward(x, mem, mem, { attnMask, keyPaddingMask, needWeights: false });
    return this.dropout2.forward(out);
  }

  private ffBlock(x: Tensor): Tensor {
    const h = this.dropout.forward(applyActivation(this.activation, this.linear1.forward(x)));
    return this.dropout3.forward(this.linear2.forward(h));
  }
}

// ---- stacks -------------------------------------------------------------------------------------------------------

/** The options of TransformerEncoder. | */
export interface TransformerEncoderOptions {
  /** A module applied to the last layer's output (a LayerNorm, usually), or null. */
  norm?: Module | null;
  /** PyTorch's nested-tensor path in eval mode (default true): padded positions of the output come out as 0. */
  enableNestedTensor?: boolean;
  /** Take that path only for left-aligned padding masks (default true). */
  maskCheck?: boolean;
}

/** The masks of TransformerEncoder.forward. | */
export interface TransformerEncoderForwardOptions {
  /** [S, S] or [N * nhead, S, S] attention mask. */
  mask?: Tensor | null;
  /** [N, S] padding of the source keys. */
  srcKeyPaddingMask?: Tensor | null;
}

/** Whether every row of a bool [N, S] padding mask is false then true (padding only at the end). */
function leftAligned(mask: Tensor): boolean {
  return noGrad(() => mask.narrow(1, 1, mask.shape[1]! - 1).to('int32').sub(mask.narrow(1, 0, mask.shape[1]! - 1).to('int32')).ge(0).all().item() as boolean);
}

/**
 * A stack of numLayers deep copies of an encoder layer, then an optional norm, as torch.nn.TransformerEncoder.
 * State-dict keys `layers.0.self_attn.in_proj_weight`, ..., `norm.weight`.
 * @example const enc = new nn.TransformerEncoder(new nn.TransformerEncoderLayer(16, 4), 2, { norm: new nn.LayerNorm(16) });
 *   enc.forward(torch.randn(5, 2, 16)).shape // [5, 2, 16]
 */
export class TransformerEncoder extends Module {
  declare layers: ModuleList<Module>;
  declare norm: Module | null;
  readonly numLayers: number;
  readonly enableNestedTensor: boolean;
  readonly maskCheck: boolean;

  constructor(encoderLayer: Module, numLayers: number, options: TransformerEncoderOptions = {}) {
    super();
    const op = 'TransformerEncoder';
    const o = checkOptions(op, options);
    this.layers = getClones(op, encoderLayer, numLayers);
    this.numLayers = numLayers;
    if (o.norm !== undefined && o.norm !== null && !(o.norm instanceof Module)) throw new TypeError(`${op}: expected a Module or null for 'norm' but received ${describe(o.norm)}`);
    this.norm = o.norm ?? null;
    this.enableNestedTensor = checkBool(op, 'enableNestedTensor', o.enableNestedTensor, true);
    this.maskCheck = checkBool(op, 'maskCheck', o.maskCheck, true);
  }

  /**
   * The layers in turn, then the norm.
   * @throws TypeError for a padding mask that is not bool or float
   * @example enc.forward(src, { srcKeyPaddingMask: pad })
   */
  forward(src: Tensor, options: TransformerEncoderForwardOptions = {}): Tensor {
    const op = 'TransformerEncoder';
    checkTensor(op, 'src', src);
    const { mask = null, srcKeyPaddingMask = null } = checkOptions(op, options);
    checkPaddingMask(op, 'srcKeyPaddingMask', srcKeyPaddingMask);
    let output = src;
    for (const layer of this.layers) output = layer.forward(output, { srcMask: mask, srcKeyPaddingMask }) as Tensor;
    // PyTorch 1.13 runs eval-mode, gradient-free batches with a left-aligned padding mask as nested tensors and pads
    // the result back with zeros: the padded positions come out as 0 (its result is also cut to the longest sequence;
    // torchlet keeps the input's length).
    if (srcKeyPaddingMask && this.takesNestedPath(src, mask, srcKeyPaddingMask)) output = output.maskedFill(srcKeyPaddingMask.unsqueeze(-1), 0);
    return this.norm ? (this.norm.forward(output) as Tensor) : output;
  }

  /** PyTorch 1.13's conditions for its sparsity fast path (TransformerEncoder.forward). */
  private takesNestedPath(src: Tensor, mask: Tensor | null, kpm: Tensor): boolean {
    const first = this.layers.at(0);
    if (!(first instanceof TransformerEncoderLayer) || first.normFirst || first.training) return false;
    const attn = first.self_attn;
    if (!attn.batchFirst || !attn.qkvSameEmbedDim || !first.activationReluOrGelu || first.norm1.eps !== first.norm2.eps) return false;
    if (src.dim() !== 3 || !this.enableNestedTensor || kpm.dtype !== 'bool' || mask !== null || attn.numHeads % 2 === 1) return false;
    if (this.maskCheck && !leftAligned(kpm)) return false;
    const tensors = [src, attn.in_proj_weight, attn.in_proj_bias, attn.out_proj.weight, attn.out_proj.bias, first.norm1.weight, first.norm1.bias,
      first.norm2.weight, first.norm2.bias, first.linear1.weight, first.linear1.bias, first.linear2.weight, first.linear2.bias];
    return !(isGradEnabled() && tensors.some((t) => t?.requiresGrad));
  }
}

/**
 * A stack of numLayers deep copies of a decoder layer, then an optional norm, as torch.nn.TransformerDecoder.
 * @example const dec = new nn.TransformerDecoder(new nn.TransformerDecoderLayer(16, 4), 2);
 *   dec.forward(torch.randn(5, 2, 16), torch.randn(7, 2, 16)).shape // [5, 2, 16]
 */
export class TransformerDecoder extends Module {
  declare layers: ModuleList<Module>;
  declare norm: Module | null;
  readonly numLayers: number;

  constructor(decoderLayer: Module, numLayers: number, options: { norm?: Module | null } = {}) {
    super();
    const op = 'TransformerDecoder';
    const o = checkOptions(op, options);
    this.layers = getClones(op, decoderLayer, numLayers);
    this.numLayers = numLayers;
    if (o.norm !== undefined && o.norm !== null && !(o.norm instanceof Module)) throw new TypeError(`${op}: expected a Module or null for 'norm' but received ${describe(o.norm)}`);
    this.norm = o.norm ?? null;
  }

  /**
   * The layers in turn on tgt, each attending to memory, then the norm.
   * @example dec.forward(tgt, memory, { tgtMask: nn.Transformer.generateSquareSubsequentMask(tgt.shape[0]) })
   */
  forward(tgt: Tensor, memory: Tensor, options: TransformerDecoderForwardOptions = {}): Tensor {
    const op = 'TransformerDecoder';
    checkTensor(op, 'tgt', tgt);
    checkTensor(op, 'memory', memory);
    const o = checkOptions(op, options);
    let output = tgt;
    for (const layer of this.layers) output = layer.forward(output, memory, o) as Tensor;
    return this.norm ? (this.norm.forward(output) as Tensor) : output;
  }
}

// ---- the whole model ------------------------------------------------------------------------------------------------

/** The options of nn.Transformer, PyTorch's keyword arguments with its defaults. | */
export interface TransformerOptions extends TransformerLayerOptions {
  /** Features of the inputs (default 512). */
  dModel?: number;
  /** Attention heads (default 8). */
  nhead?: number;
  /** Encoder layers (default 6). */
  numEncoderLayers?: number;
  /** Decoder layers (default 6). */
  numDecoderLayers?: number;
  /** Used instead of the encoder stack. */
  customEncoder?: Module | null;
  /** Used instead of the decoder stack. */
  customDecoder?: Module | null;
}

/** The masks of Transformer.forward. | */
export interface TransformerForwardOptions extends TransformerDecoderForwardOptions {
  /** [S, S] or [N * nhead, S, S] mask of the encoder's self-attention. */
  srcMask?: Tensor | null;
  /** [N, S] padding of the source keys. */
  srcKeyPaddingMask?: Tensor | null;
}

/**
 * An encoder-decoder transformer, as torch.nn.Transformer: TransformerEncoder and TransformerDecoder stacks, each with
 * a final LayerNorm, then xavier_uniform_ of every parameter of 2 or more dims (PyTorch's _reset_parameters).
 * @example const model = new nn.Transformer({ dModel: 16, nhead: 4, numEncoderLayers: 2, numDecoderLayers: 2, dimFeedforward: 32 });
 *   model.forward(torch.randn(7, 2, 16), torch.randn(5, 2, 16)).shape // [5, 2, 16]
 */
export class Transformer extends Module {
  declare encoder: Module;
  declare decoder: Module;
  readonly dModel: number;
  readonly nhead: number;
  readonly batchFirst: boolean;

  constructor(options: TransformerOptions = {}) {
    super();
    const op = 'Transformer';
    const o = checkOptions(op, options);
    const dModel = checkInt(op, 'd_model', o.dModel ?? 512, 0);
    const nhead = checkInt(op, 'nhead', o.nhead ?? 8, 1);
    const layer = layerOptions(op, o);
    if (o.customEncoder) {
      this.encoder = o.customEncoder;
    } else {
      const encoderLayer = new TransformerEncoderLayer(dModel, nhead, layer);
      this.encoder = new TransformerEncoder(encoderLayer, o.numEncoderLayers ?? 6, { norm: new LayerNorm(dModel, layer.layerNormEps) });
    }
    if (o.customDecoder) {
      this.decoder = o.customDecoder;
    } else {
      const decoderLayer = new TransformerDecoderLayer(dModel, nhead, layer);
      this.decoder = new TransformerDecoder(decoderLayer, o.numDecoderLayers ?? 6, { norm: new LayerNorm(dModel, layer.layerNormEps) });
    }
    for (const p of this.parameters()) if (p.dim() > 1) init.xavierUniform_(p);
    this.dModel = dModel;
    this.nhead = nhead;
    this.batchFirst = layer.batchFirst;
  }

  /**
   * Encodes src, then decodes tgt against it.
   * @param src [S, N, E] ([N, S, E] with batchFirst, or [S, E])
   * @param tgt [T, N, E] (or batch first, or [T, E])
   * @returns [T, N, E] (or batch first, or [T, E])
   * @throws RangeError when the batch sizes differ or a feature size is not dModel, in PyTorch's words
   * @example model.forward(src, tgt, { tgtMask: model.generateSquareSubsequentMask(tgt.shape[0]) })
   */
  forward(src: Tensor, tgt: Tensor, options: TransformerForwardOptions = {}): Tensor {
    const op = 'Transformer';
    checkTensor(op, 'src', src);
    checkTensor(op, 'tgt', tgt);
    const o = checkOptions(op, options);
    const batchDim = this.batchFirst ? 0 : 1;
    if (src.dim() === 3 && src.shape[batchDim] !== tgt.shape[batchDim]) {
      throw new RangeError(`${op}: the batch number of src and tgt must be equal (src ${src.shape[batchDim]}, tgt ${tgt.shape[batchDim]})`);
    }
    if (src.shape[src.dim() - 1] !== this.dModel || tgt.shape[tgt.dim() - 1] !== this.dModel) {
      throw new RangeError(`${op}: the feature number of src and tgt must be equal to d_model (${this.dModel}), got ${src.shape[src.dim() - 1]} and ${tgt.shape[tgt.dim() - 1]}`);
    }
    const memory = this.encoder.forward(src, { mask: o.srcMask ?? null, srcKeyPaddingMask: o.srcKeyPaddingMask ?? null }) as Tensor;
    return this.decoder.forward(tgt, memory, {
      tgtMask: o.tgtMask ?? null,
      memoryMask: o.memoryMask ?? null,
      tgtKeyPaddingMask: o.tgtKeyPaddingMask ?? null,
      memoryKeyPaddingMask: o.memoryKeyPaddingMask ?? null,
    }) as Tensor;
  }

  /**
   * A float [sz, sz] mask with -inf above the diagonal and 0 elsewhere (a causal mask), as
   * Transformer.generate_square_subsequent_mask.
   * @throws RangeError for a size that is not a non-negative integer
   * @example nn.Transformer.generateSquareSubsequentMask(3) // [[0, -inf, -inf], [0, 0, -inf], [0, 0, 0]]
   */
  static generateSquareSubsequentMask(sz: number): Tensor {
    return squareSubsequentMask(sz);
  }

  /**
   * The same mask from an instance, as PyTorch allows (model.generate_square_subsequent_mask(sz)).
   * @example model.generateSquareSubsequentMask(3)
   */
  generateSquareSubsequentMask(sz: number): Tensor {
    return squareSubsequentMask(sz);
  }
}
