/** Activation functions as modules (torch/nn/modules/activation.py). */
import type { Tensor } from '../../tensor';
import { Module } from './module';
import * as F from '../functional';
import { pyFloat } from '../repr';
import { checkInt, checkNumber } from '../../validate';

/** max(x, 0) elementwise, as torch.nn.ReLU. @example new nn.ReLU().forward(torch.tensor([-1, 2])) // [0, 2] */
export class ReLU extends Module {
  forward(input: Tensor): Tensor {
    return F.relu(input);
  }
}
/** 1 / (1 + exp(-x)) elementwise, as torch.nn.Sigmoid. @example new nn.Sigmoid().forward(torch.tensor([0])) // [0.5] */
export class Sigmoid extends Module {
  forward(input: Tensor): Tensor {
    return F.sigmoid(input);
  }
}
/** The hyperbolic tangent elementwise, as torch.nn.Tanh. @example new nn.Tanh().forward(torch.tensor([0])) // [0] */
export class Tanh extends Module {
  forward(input: Tensor): Tensor {
    return F.tanh(input);
  }
}
/** x * sigmoid(x) elementwise, as torch.nn.SiLU. @example new nn.SiLU().forward(torch.tensor([0])) // [0] */
export class SiLU extends Module {
  forward(input: Tensor): Tensor {
    return F.silu(input);
  }
}
/**
 * x for x > 0, else negativeSlope * x (default 0.01), as torch.nn.LeakyReLU.
 * @example new nn.LeakyReLU(0.1).forward(torch.tensor([-1, 2])) // [-0.1, 2]
 */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
    checkNumber('LeakyReLU', 'negativeSlope', negativeSlope, false);
  }
  forward(input: Tensor): Tensor {
    return F.leakyRelu(input, this.negativeSlope);
  }
  override extraRepr(): string {
    return `negative_slope=${this.negativeSlope}`;
  }
}
/**
 * x for x > 0, else alpha * (exp(x) - 1), as torch.nn.ELU.
 * @example new nn.ELU().forward(torch.tensor([-1, 1])) // [-0.6321, 1]
 */
export class ELU extends Module {
  constructor(readonly alpha = 1) {
    super();
    checkNumber('ELU', 'alpha', alpha, false);
  }
  forward(input: Tensor): Tensor {
    return F.elu(input, this.alpha);
  }
  override extraRepr(): string {
    return `alpha=${pyFloat(this.alpha)}`;
  }
}
/**
 * x * Φ(x), exact or with the tanh approximation, as torch.nn.GELU.
 * @example new nn.GELU('tanh').forward(torch.tensor([0, 1])) // [0, 0.8412]
 */
export class GELU extends Module {
  constructor(readonly approximate: 'none' | 'tanh' = 'none') {
    super();
    if (approximate !== 'none' && approximate !== 'tanh') {
      throw new RangeError('GELU: approximate argument must be either none or tanh.');
    }
  }
  forward(input: Tensor): Tensor {
    return F.gelu(input, this.approximate);
  }
  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}
/**
 * log(1 + exp(beta * x)) / beta, linear above threshold, as torch.nn.Softplus.
 * @example new nn.Softplus().forward(torch.tensor([0])) // [0.6931]
 */
export class Softplus extends Module {
  constructor(readonly beta = 1, readonly threshold = 20) {
    super();
    checkNumber('Softplus', 'beta', beta, false);
    checkNumber('Softplus', 'threshold', threshold, false);
  }
  forward(input: Tensor): Tensor {
    return F.softplus(input, this.beta, this.threshold);
  }
  override extraRepr(): string {
    return `beta=${this.beta}, threshold=${this.threshold}`;
  }
}
/**
 * softmax along dim, as torch.nn.Softmax.
 * @example new nn.Softmax(1).forward(torch.tensor([[1, 1]])) // [[0.5, 0.5]]
 */
export class Softmax extends Module {
  constructor(readonly dim: number) {
    super();
    checkInt('Softmax', 'dim', dim);
  }
  forward(input: Tensor): Tensor {
    return F.softmax(input, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
/**
 * logSoftmax along dim, as torch.nn.LogSoftmax.
 * @example new nn.LogSoftmax(1).forward(torch.tensor([[1, 1]])) // [[-0.6931, -0.6931]]
 */
export class LogSoftmax extends Module {
  constructor(readonly dim: number) {
    super();
    checkInt('LogSoftmax', 'dim', dim);
  }
  forward(input: Tensor): Tensor {
    return F.logSoftmax(input, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
