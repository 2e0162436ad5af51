/** Dropout layers (torch/nn/modules/dropout.py); both draw from the seeded default generator. */
import type { Tensor } from '../../tensor';
import { Module } from './module';
import * as F from '../functional';
import { checkNumber } from '../../validate';

/** PyTorch's check of a dropout probability, made when the module is built. */
function checkP(op: string, value: unknown): number {
  const p = checkNumber(op, 'p', value);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`${op}: dropout probability has to be between 0 and 1, but got ${p}`);
  return p;
}

/**
 * Zeroes elements with probability p in training and scales the rest by 1/(1-p).
 * @example new nn.Dropout(0.2).eval().forward(torch.ones(3)) // [1, 1, 1] (in eval mode)
 */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    checkP('Dropout', p);
  }
  forward(input: Tensor): Tensor {
    return F.dropout(input, this.p, this.training);
  }
  override extraRepr(): string {
    return `p=${this.p}, inplace=False`;
  }
}

/**
 * Zeroes whole channels with probability p in training.
 * @example new nn.Dropout2d(0.5).forward(torch.ones(1, 4, 2, 2)).shape // [1, 4, 2, 2]
 */
export class Dropout2d extends Module {
  constructor(readonly p = 0.5) {
    super();
    checkP('Dropout2d', p);
  }
  forward(input: Tensor): Tensor {
    return F.dropout2d(input, this.p, this.training);
  }
  override extraRepr(): string {
    return `p=${this.p}, inplace=False`;
  }
}
