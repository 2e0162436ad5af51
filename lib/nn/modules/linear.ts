/** Linear layers: Identity, Linear, Bilinear (torch/nn/modules/linear.py). */
import type { Tensor } from '../../tensor';
import { emptyTensor } from '../../tensor';
import { getDefaultDtype } from '../../dtype';
import { checkBool, checkFloatingOperands, checkInt } from '../../validate';
import { Module } from './module';
import { Parameter } from '../parameter';
import * as F from '../functional';
import * as init from '../init';
import { pyBool } from '../repr';

/** A placeholder that returns its input. @example new nn.Identity().forward(torch.tensor([1, 2])) // [1, 2] */
export class Identity extends Module {
  forward(input: Tensor): Tensor {
    return input;
  }
}

/**
 * y = x W^T + b. Initialised as PyTorch does (kaiming_uniform_(a=sqrt(5)) for W, U(-1/sqrt(in), 1/sqrt(in)) for
 * b), so the same seed gives the same bits.
 * @example const fc = new nn.Linear(784, 10); fc.forward(x)
 */
export class Linear extends Module {
  declare weight: Parameter;
  declare bias: Parameter | null;
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, bias = true) {
    super();
    checkInt('Linear', 'in_features', inFeatures, 0);
    checkInt('Linear', 'out_features', outFeatures, 0);
    checkBool('Linear', 'bias', bias, true);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = new Parameter(emptyTensor([outFeatures, inFeatures], getDefaultDtype()));
    if (bias) this.bias = new Parameter(emptyTensor([outFeatures], getDefaultDtype()));
    else this.registerParameter('bias', null);
    this.resetParameters();
  }

  resetParameters(): void {
    init.defaultLayerInit_(this.weight, this.bias);
  }

  forward(input: Tensor): Tensor {
    return F.linear(input, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${pyBool(this.bias !== null)}`;
  }
}

/**
 * y = x1^T A x2 + b per output feature.
 * @example new nn.Bilinear(2, 3, 4).forward(torch.ones(5, 2), torch.ones(5, 3)).shape // [5, 4]
 */
export class Bilinear extends Module {
  declare weight: Parameter;
  declare bias: Parameter | null;

  constructor(readonly in1Features: number, readonly in2Features: number, readonly outFeatures: number, bias = true) {
    super();
    checkInt('Bilinear', 'in1_features', in1Features, 0);
    checkInt('Bilinear', 'in2_features', in2Features, 0);
    checkInt('Bilinear', 'out_features', outFeatures, 0);
    checkBool('Bilinear', 'bias', bias, true);
    this.weight = new Parameter(emptyTensor([outFeatures, in1Features, in2Features], getDefaultDtype()));
    if (bias) this.bias = new Parameter(emptyTensor([outFeatures], getDefaultDtype()));
    else this.registerParameter('bias', null);
    const bound = 1 / Math.sqrt(in1Features);
    init.uniform_(this.weight, -bound, bound);
    if (this.bias) init.uniform_(this.bias, -bound, bound);
  }

  forward(x1: Tensor, x2: Tensor): Tensor {
    checkFloatingOperands('bilinear', [['input1', x1], ['input2', x2], ['weight', this.weight]]);
    const lead = x1.shape.slice(0, -1);
    if (x1.dim() === 0 || x2.dim() !== x1.dim()) {
      throw new RangeError(`bilinear(): input dimensions do not match: got ${x1.dim()} and ${x2.dim()}`);
    }
    const d = lead.findIndex((s, i) => s !== x2.shape[i]);
    if (d >= 0) throw new RangeError(`bilinear(): input batch dimensions do not match at dim ${d}: got ${lead[d]} and ${x2.shape[d]}`);
    if (x1.shape[x1.dim() - 1] !== this.in1Features) {
      throw new RangeError(`bilinear(): input1 size does not match weight size: got ${x1.shape[x1.dim() - 1]} but expected ${this.in1Features}`);
    }
    if (x2.shape[x2.dim() - 1] !== this.in2Features) {
      throw new RangeError(`bilinear(): input2 size does not match weight size: got ${x2.shape[x2.dim() - 1]} but expected ${this.in2Features}`);
    }
    const a = x1.reshape([-1, this.in1Features]);
    const b = x2.reshape([-1, this.in2Features]);
    // [out, N, in2] = x1 [1, N, in1] @ W [out, in1, in2]; times x2, summed over in2; then [N, out].
    let y = a.unsqueeze(0).matmul(this.weight).mul(b.unsqueeze(0)).sum(2).t();
    if (this.bias) y = y.add(this.bias);
    return y.reshape([...lead, this.outFeatures]);
  }

  override extraRepr(): string {
    return `in1_features=${this.in1Features}, in2_features=${this.in2Features}, out_features=${this.outFeatures}, bias=${pyBool(this.bias !== null)}`;
  }
}
