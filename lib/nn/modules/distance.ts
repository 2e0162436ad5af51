/** CosineSimilarity and PairwiseDistance (torch/nn/modules/distance.py). */
import type { Tensor } from '../../tensor';
import { checkBool, checkInt, checkNumber } from '../../validate';
import { Module } from './module';
import * as F from '../functional';

/**
 * The cosine similarity of x1 and x2 along dim (norms floored at eps), as torch.nn.CosineSimilarity.
 * @example new nn.CosineSimilarity().forward(torch.tensor([[1, 0]]), torch.tensor([[1, 1]])) // [0.7071]
 */
export class CosineSimilarity extends Module {
  constructor(readonly dim = 1, readonly eps = 1e-8) {
    super();
    checkInt('CosineSimilarity', 'dim', dim);
    checkNumber('CosineSimilarity', 'eps', eps, false);
  }
  forward(x1: Tensor, x2: Tensor): Tensor {
    return F.cosineSimilarity(x1, x2, { dim: this.dim, eps: this.eps });
  }
}

/**
 * ||x1 - x2 + eps||_p along the last dim, as torch.nn.PairwiseDistance.
 * @example new nn.PairwiseDistance().forward(torch.tensor([[0, 0]]), torch.tensor([[3, 4]])) // [5.0]
 */
export class PairwiseDistance extends Module {
  constructor(readonly p = 2, readonly eps = 1e-6, readonly keepdim = false) {
    super();
    checkNumber('PairwiseDistance', 'p', p, false);
    checkNumber('PairwiseDistance', 'eps', eps, false);
    checkBool('PairwiseDistance', 'keepdim', keepdim, false);
  }
  forward(x1: Tensor, x2: Tensor): Tensor {
    return F.pairwiseDistance(x1, x2, { p: this.p, eps: this.eps, keepdim: this.keepdim });
  }
}
