/** Embedding (torch/nn/modules/sparse.py). */
import type { Tensor } from '../../tensor';
import { emptyTensor } from '../../tensor';
import { getDefaultDtype } from '../../dtype';
import { noGrad } from '../../autograd/grad_mode';
import { checkInt, checkOptions, checkPaddingIdx } from '../../validate';
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
