/** Embedding and EmbeddingBag (torch/nn/modules/sparse.py). */
import type { Tensor } from '../../tensor';
import { emptyTensor } from '../../tensor';
import { getDefaultDtype } from '../../dtype';
import { noGrad } from '../../autograd/grad_mode';
import { checkBool, checkInt, checkOptions, checkPaddingIdx } from '../../validate';
import { Module } from './module';
import { Parameter } from '../parameter';
import * as F from '../functional';
import * as init from '../init';

/**
 * A lookup table of numEmbeddings vectors of size embeddingDim, initialised N(0, 1); the paddingIdx row is zeroed.
 * @throws RangeError for a paddingIdx that is fractional or outside [-numEmbeddings, numEmbeddings)
 * @example new nn.Embedding(10, 3).forward(torch.tensor([[1, 2]], { dtype: 'int64' })).shape // [1, 2, 3]
 */
export class Embedding extends Module {
  declare weight: Parameter;
  readonly paddingIdx: number | null;

  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, options: { paddingIdx?: number | null } = {}) {
    super();
    checkInt('Embedding', 'numEmbeddings', numEmbeddings, 0);
    checkInt('Embedding', 'embeddingDim', embeddingDim, 0);
    const pad = checkPaddingIdx('Embedding', checkOptions('Embedding', options).paddingIdx, numEmbeddings);
    this.paddingIdx = pad < 0 ? null : pad;
    this.weight = new Parameter(emptyTensor([numEmbeddings, embeddingDim], getDefaultDtype()));
    init.normal_(this.weight);
    if (pad >= 0) noGrad(() => this.weight.select(0, pad).fill_(0));
  }

  forward(input: Tensor): Tensor {
    return F.embedding(input, this.weight, this.paddingIdx);
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, padding_idx=${this.paddingIdx}` : ''}`;
  }
}

/** The options of nn.EmbeddingBag: how bags reduce, whether offsets include the end, and the padding row. | */
export interface EmbeddingBagModuleOptions {
  mode?: F.EmbeddingBagMode;
  includeLastOffset?: boolean;
  paddingIdx?: number | null;
}

/**
 * Sums, means or maxima of bags of embeddings (numEmbeddings vectors of size embeddingDim, initialised N(0, 1), the
 * paddingIdx row zeroed), as torch.nn.EmbeddingBag; forward takes a 2-D batch of equal bags, or a 1-D input with
 * offsets, and per-sample weights in mode 'sum'.
 * @throws RangeError for a paddingIdx outside [-numEmbeddings, numEmbeddings) or an unknown mode
 * @example new nn.EmbeddingBag(10, 3).forward(torch.tensor([[1, 2]], { dtype: 'int64' })).shape // [1, 3]
 */
export class EmbeddingBag extends Module {
  declare weight: Parameter;
  readonly paddingIdx: number | null;
  readonly mode: F.EmbeddingBagMode;
  readonly includeLastOffset: boolean;

  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, options: EmbeddingBagModuleOptions = {}) {
    super();
    checkInt('EmbeddingBag', 'numEmbeddings', numEmbeddings, 0);
    checkInt('EmbeddingBag', 'embeddingDim', embeddingDim, 0);
    const o = checkOptions('EmbeddingBag', options);
    const pad = checkPaddingIdx('EmbeddingBag', o.paddingIdx, numEmbeddings);
    this.paddingIdx = pad < 0 ? null : pad;
    this.mode = o.mode ?? 'mean';
    if (this.mode !== 'sum' && this.mode !== 'mean' && this.mode !== 'max') throw new RangeError(`EmbeddingBag: mode has to be one of sum, mean or max (got ${String(this.mode)})`);
    this.includeLastOffset = checkBool('EmbeddingBag', 'includeLastOffset', o.includeLastOffset, false);
    this.weight = new Parameter(emptyTensor([numEmbeddings, embeddingDim], getDefaultDtype()));
    init.normal_(this.weight);
    if (pad >= 0) noGrad(() => this.weight.select(0, pad).fill_(0));
  }

  forward(input: Tensor, offsets: Tensor | null = null, perSampleWeights: Tensor | null = null): Tensor {
    return F.embeddingBag(input, this.weight, {
      offsets, perSampleWeights, mode: this.mode, includeLastOffset: this.includeLastOffset, paddingIdx: this.paddingIdx,
    });
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}, mode=${this.mode}${this.paddingIdx !== null ? `, padding_idx=${this.paddingIdx}` : ''}`;
  }
}
