/** Activation functions as modules (torch/nn/modules/activation.py). */
import type { Tensor } from '../../tensor';
import { Module } from './module';
import { Parameter } from '../parameter';
import * as F from '../functional';
import { full } from '../../ops/creation';
import { pyFloat } from '../repr';
import { checkBool, checkInt, checkNumber } from '../../validate';

/** PyTorch's inplace_str: 'inplace=True' alone, or ', inplace=True' after other options; nothing when false. */
const inplaceStr = (inplace: boolean, after = false): string => (inplace ? `${after ? ', ' : ''}inplace=True` : '');

/** max(x, 0) elementwise, as torch.nn.ReLU. @example new nn.ReLU().forward(torch.tensor([-1, 2])) // [0, 2] */
export class ReLU extends Module {
  constructor(readonly inplace = false) {
    super();
    checkBool('ReLU', 'inplace', inplace, false);
  }
  forward(input: Tensor): Tensor {
    return F.relu(input, this.inplace);
  }
  override extraRepr(): string {
    return inplaceStr(this.inplace);
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
  constructor(readonly inplace = false) {
    super();
    checkBool('SiLU', 'inplace', inplace, false);
  }
  forward(input: Tensor): Tensor {
    return F.silu(input, this.inplace);
  }
  override extraRepr(): string {
    return inplaceStr(this.inplace);
  }
}
/**
 * x for x > 0, else negativeSlope * x (default 0.01), as torch.nn.LeakyReLU.
 * @example new nn.LeakyReLU(0.1).forward(torch.tensor([-1, 2])) // [-0.1, 2]
 */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01, readonly inplace = false) {
    super();
    checkNumber('LeakyReLU', 'negativeSlope', negativeSlope, false);
    checkBool('LeakyReLU', 'inplace', inplace, false);
  }
  forward(input: Tensor): Tensor {
    return F.leakyRelu(input, this.negativeSlope, this.inplace);
  }
  override extraRepr(): string {
    return `negative_slope=${this.negativeSlope}${inplaceStr(this.inplace, true)}`;
  }
}
/**
 * x for x > 0, else alpha * (exp(x) - 1), as torch.nn.ELU.
 * @example new nn.ELU().forward(torch.tensor([-1, 1])) // [-0.6321, 1]
 */
export class ELU extends Module {
  constructor(readonly alpha = 1, readonly inplace = false) {
    super();
    checkNumber('ELU', 'alpha', alpha, false);
    checkBool('ELU', 'inplace', inplace, false);
  }
  forward(input: Tensor): Tensor {
    return F.elu(input, this.alpha, this.inplace);
  }
  override extraRepr(): string {
    return `alpha=${pyFloat(this.alpha)}${inplaceStr(this.inplace, true)}`;
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

/** An elementwise activation with only PyTorch's inplace flag: its repr is PyTorch's inplace_str. */
abstract class InplaceActivation extends Module {
  constructor(readonly inplace = false) {
    super();
    checkBool(new.target.name, 'inplace', inplace, false);
  }
  override extraRepr(): string {
    return inplaceStr(this.inplace);
  }
}

/**
 * min(max(x, minVal), maxVal), as torch.nn.Hardtanh (gradient 0 at and beyond the bounds).
 * @throws RangeError unless maxVal > minVal
 * @example new nn.Hardtanh(-2, 2).forward(torch.tensor([-3, 1, 3])) // [-2, 1, 2]
 */
export class Hardtanh extends Module {
  constructor(readonly minVal = -1, readonly maxVal = 1, readonly inplace = false) {
    super();
    checkNumber('Hardtanh', 'minVal', minVal, false);
    checkNumber('Hardtanh', 'maxVal', maxVal, false);
    checkBool('Hardtanh', 'inplace', inplace, false);
    // PyTorch asserts max_val > min_val.
    if (!(maxVal > minVal)) throw new RangeError(`Hardtanh: expected maxVal > minVal but received minVal ${minVal}, maxVal ${maxVal}`);
  }
  forward(input: Tensor): Tensor {
    return F.hardtanh(input, this.minVal, this.maxVal, this.inplace);
  }
  override extraRepr(): string {
    return `min_val=${pyFloat(this.minVal)}, max_val=${pyFloat(this.maxVal)}${inplaceStr(this.inplace, true)}`;
  }
}

/** min(max(x, 0), 6), as torch.nn.ReLU6. @example new nn.ReLU6().forward(torch.tensor([-1, 3, 8])) // [0, 3, 6] */
export class ReLU6 extends InplaceActivation {
  forward(input: Tensor): Tensor {
    return F.relu6(input, this.inplace);
  }
}

/** relu6(x + 3) / 6, as torch.nn.Hardsigmoid. @example new nn.Hardsigmoid().forward(torch.tensor([0])) // [0.5] */
export class Hardsigmoid extends InplaceActivation {
  forward(input: Tensor): Tensor {
    return F.hardsigmoid(input, this.inplace);
  }
  override extraRepr(): string {
    return '';
  }
}

/** x relu6(x + 3) / 6, as torch.nn.Hardswish. @example new nn.Hardswish().forward(torch.tensor([1])) // [0.6667] */
export class Hardswish extends InplaceActivation {
  forward(input: Tensor): Tensor {
    return F.hardswish(input, this.inplace);
  }
  override extraRepr(): string {
    return '';
  }
}

/** x tanh(softplus(x)), as torch.nn.Mish. @example new nn.Mish().forward(torch.tensor([1])) // [0.8651] */
export class Mish extends InplaceActivation {
  forward(input: Tensor): Tensor {
    return F.mish(input, this.inplace);
  }
  override extraRepr(): string {
    return '';
  }
}

/** scale * elu(x, alpha) with SELU's constants, as torch.nn.SELU. @example new nn.SELU().forward(torch.tensor([1])) // [1.0507] */
export class SELU extends InplaceActivation {
  forward(input: Tensor): Tensor {
    return F.selu(input, this.inplace);
  }
}

/**
 * max(0, x) + min(0, alpha (exp(x / alpha) - 1)), as torch.nn.CELU.
 * @example new nn.CELU(2).forward(torch.tensor([-1, 1])) // [-0.7869, 1]
 */
export class CELU extends Module {
  constructor(readonly alpha = 1, readonly inplace = false) {
    super();
    checkNumber('CELU', 'alpha', alpha, false);
    checkBool('CELU', 'inplace', inplace, false);
  }
  forward(input: Tensor): Tensor {
    return F.celu(input, this.alpha, this.inplace);
  }
  override extraRepr(): string {
    return `alpha=${pyFloat(this.alpha)}${inplaceStr(this.inplace, true)}`;
  }
}

/**
 * The first half of dim times the sigmoid of the second half, as torch.nn.GLU.
 * @example new nn.GLU().forward(torch.tensor([1, 2, 0, 0])) // [0.5, 1]
 */
export class GLU extends Module {
  constructor(readonly dim = -1) {
    super();
    checkInt('GLU', 'dim', dim);
  }
  forward(input: Tensor): Tensor {
    return F.glu(input, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/** log(sigmoid(x)), as torch.nn.LogSigmoid. @example new nn.LogSigmoid().forward(torch.tensor([0])) // [-0.6931] */
export class LogSigmoid extends Module {
  forward(input: Tensor): Tensor {
    return F.logsigmoid(input);
  }
}

/** x / (1 + |x|), as torch.nn.Softsign. @example new nn.Softsign().forward(torch.tensor([1])) // [0.5] */
export class Softsign extends Module {
  forward(input: Tensor): Tensor {
    return F.softsign(input);
  }
}

/** x - tanh(x), as torch.nn.Tanhshrink. @example new nn.Tanhshrink().forward(torch.tensor([1])) // [0.2384] */
export class Tanhshrink extends Module {
  forward(input: Tensor): Tensor {
    return F.tanhshrink(input);
  }
}

/**
 * x - lambd above lambd, x + lambd below -lambd, 0 between, as torch.nn.Softshrink.
 * @throws RangeError for a negative lambd, when called
 * @example new nn.Softshrink().forward(torch.tensor([2])) // [1.5]
 */
export class Softshrink extends Module {
  constructor(readonly lambd = 0.5) {
    super();
    checkNumber('Softshrink', 'lambd', lambd, false);
  }
  forward(input: Tensor): Tensor {
    return F.softshrink(input, this.lambd);
  }
  override extraRepr(): string {
    return pyFloat(this.lambd);
  }
}

/** x where |x| > lambd, else 0, as torch.nn.Hardshrink. @example new nn.Hardshrink().forward(torch.tensor([0.2, 2])) // [0, 2] */
export class Hardshrink extends Module {
  constructor(readonly lambd = 0.5) {
    super();
    checkNumber('Hardshrink', 'lambd', lambd, false);
  }
  forward(input: Tensor): Tensor {
    return F.hardshrink(input, this.lambd);
  }
  override extraRepr(): string {
    return pyFloat(this.lambd);
  }
}

/**
 * value where x <= threshold, else x, as torch.nn.Threshold.
 * @example new nn.Threshold(2, -1).forward(torch.tensor([1, 3])) // [-1, 3]
 */
export class Threshold extends Module {
  constructor(readonly threshold: number, readonly value: number, readonly inplace = false) {
    super();
    checkNumber('Threshold', 'threshold', threshold, false);
    checkNumber('Threshold', 'value', value, false);
    checkBool('Threshold', 'inplace', inplace, false);
  }
  forward(input: Tensor): Tensor {
    return F.threshold(input, this.threshold, this.value, this.inplace);
  }
  override extraRepr(): string {
    return `threshold=${pyFloat(this.threshold)}, value=${pyFloat(this.value)}${inplaceStr(this.inplace, true)}`;
  }
}

/** softmax(-x) along dim, as torch.nn.Softmin. @example new nn.Softmin(1).forward(torch.tensor([[0, 0]])) // [[0.5, 0.5]] */
export class Softmin extends Module {
  constructor(readonly dim: number) {
    super();
    checkInt('Softmin', 'dim', dim);
  }
  forward(input: Tensor): Tensor {
    return F.softmin(input, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/**
 * x > 0 ? x : a x with learnable a, one shared or one per channel (dim 1), initialised to `init`, as torch.nn.PReLU.
 * @example new nn.PReLU().forward(torch.tensor([-2, 3])) // [-0.5, 3]
 */
export class PReLU extends Module {
  declare weight: Parameter;
  constructor(readonly numParameters = 1, readonly init = 0.25) {
    super();
    checkInt('PReLU', 'numParameters', numParameters, 1);
    checkNumber('PReLU', 'init', init, false);
    this.weight = new Parameter(full([numParameters], init));
  }
  forward(input: Tensor): Tensor {
    return F.prelu(input, this.weight);
  }
  override extraRepr(): string {
    return `num_parameters=${this.numParameters}`;
  }
}
