/** Layers: Linear, Bilinear, Embedding, LayerNorm, Dropout, Identity, Flatten, Unflatten and the activations. */
import { Tensor } from '../tensor';
import { noGrad } from '../autograd/grad_mode';
import { empty } from '../ops/movement';
import { Module } from './module';
import { Parameter } from './parameter';
import * as F from './functional';
import * as init from './init';

const pyBool = (b: boolean): string => (b ? 'True' : 'False');
/** Python's repr of a float: 0.2, 1.0, 1e-05. */
export function pyFloat(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return `${x}.0`;
  if (x !== 0 && (Math.abs(x) < 1e-4 || Math.abs(x) >= 1e16)) return x.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  return String(x);
}

function checkSize(layer: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`${layer}: ${name} must be a non-negative integer, got ${v}`);
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
    checkSize('Linear', 'in_features', inFeatures);
    checkSize('Linear', 'out_features', outFeatures);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = new Parameter(empty([outFeatures, inFeatures], 'float32'));
    if (bias) this.bias = new Parameter(empty([outFeatures], 'float32'));
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

/** y = x1^T A x2 + b per output feature. */
export class Bilinear extends Module {
  declare weight: Parameter;
  declare bias: Parameter | null;

  constructor(readonly in1Features: number, readonly in2Features: number, readonly outFeatures: number, bias = true) {
    super();
    this.weight = new Parameter(empty([outFeatures, in1Features, in2Features], 'float32'));
    if (bias) this.bias = new Parameter(empty([outFeatures], 'float32'));
    else this.registerParameter('bias', null);
    const bound = 1 / Math.sqrt(in1Features);
    init.uniform_(this.weight, -bound, bound);
    if (this.bias) init.uniform_(this.bias, -bound, bound);
  }

  forward(x1: Tensor, x2: Tensor): Tensor {
    const lead = x1.shape.slice(0, -1);
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

/** A lookup table of numEmbeddings vectors of size embeddingDim, initialised N(0, 1). */
export class Embedding extends Module {
  declare weight: Parameter;
  readonly paddingIdx: number | null;

  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, options: { paddingIdx?: number | null } = {}) {
    super();
    let pad = options.paddingIdx ?? null;
    if (pad !== null) {
      if (pad >= numEmbeddings || pad < -numEmbeddings) throw new RangeError('Embedding: Padding_idx must be within num_embeddings');
      if (pad < 0) pad += numEmbeddings;
    }
    this.paddingIdx = pad;
    this.weight = new Parameter(empty([numEmbeddings, embeddingDim], 'float32'));
    init.normal_(this.weight);
    if (pad !== null) noGrad(() => this.weight.select(0, pad!).fill_(0));
  }

  forward(input: Tensor): Tensor {
    return F.embedding(input, this.weight, this.paddingIdx);
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, padding_idx=${this.paddingIdx}` : ''}`;
  }
}

export class LayerNorm extends Module {
  declare weight: Parameter | null;
  declare bias: Parameter | null;
  readonly normalizedShape: number[];

  constructor(normalizedShape: number | readonly number[], readonly eps = 1e-5, readonly elementwiseAffine = true) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (elementwiseAffine) {
      this.weight = new Parameter(empty(this.normalizedShape, 'float32'));
      this.bias = new Parameter(empty(this.normalizedShape, 'float32'));
      init.ones_(this.weight);
    } else {
      this.registerParameter('weight', null);
      this.registerParameter('bias', null);
    }
  }

  forward(input: Tensor): Tensor {
    return F.layerNorm(input, this.normalizedShape, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `(${this.normalizedShape.join(', ')}${this.normalizedShape.length === 1 ? ',' : ''}), eps=${pyFloat(this.eps)}, elementwise_affine=${pyBool(this.elementwiseAffine)}`;
  }
}

export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout probability has to be between 0 and 1, but got ${p}`);
  }
  forward(input: Tensor): Tensor {
    return F.dropout(input, this.p, this.training);
  }
  override extraRepr(): string {
    return `p=${this.p}, inplace=False`;
  }
}

export class Identity extends Module {
  forward(input: Tensor): Tensor {
    return input;
  }
}

export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }
  forward(input: Tensor): Tensor {
    return input.flatten(this.startDim, this.endDim);
  }
  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

export class Unflatten extends Module {
  constructor(readonly dim: number, readonly unflattenedSize: readonly number[]) {
    super();
  }
  forward(input: Tensor): Tensor {
    return input.unflatten(this.dim, this.unflattenedSize);
  }
  override extraRepr(): string {
    return `dim=${this.dim}, unflattened_size=(${this.unflattenedSize.join(', ')})`;
  }
}

// ---- activations as modules ----------------------------------------------------------------------------------

export class ReLU extends Module {
  forward(input: Tensor): Tensor {
    return F.relu(input);
  }
}
export class Sigmoid extends Module {
  forward(input: Tensor): Tensor {
    return F.sigmoid(input);
  }
}
export class Tanh extends Module {
  forward(input: Tensor): Tensor {
    return F.tanh(input);
  }
}
export class SiLU extends Module {
  forward(input: Tensor): Tensor {
    return F.silu(input);
  }
}
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  forward(input: Tensor): Tensor {
    return F.leakyRelu(input, this.negativeSlope);
  }
  override extraRepr(): string {
    return `negative_slope=${this.negativeSlope}`;
  }
}
export class ELU extends Module {
  constructor(readonly alpha = 1) {
    super();
  }
  forward(input: Tensor): Tensor {
    return F.elu(input, this.alpha);
  }
  override extraRepr(): string {
    return `alpha=${pyFloat(this.alpha)}`;
  }
}
export class GELU extends Module {
  constructor(readonly approximate: 'none' | 'tanh' = 'none') {
    super();
  }
  forward(input: Tensor): Tensor {
    return F.gelu(input, this.approximate);
  }
  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}
export class Softplus extends Module {
  constructor(readonly beta = 1, readonly threshold = 20) {
    super();
  }
  forward(input: Tensor): Tensor {
    return F.softplus(input, this.beta, this.threshold);
  }
  override extraRepr(): string {
    return `beta=${this.beta}, threshold=${this.threshold}`;
  }
}
export class Softmax extends Module {
  constructor(readonly dim: number) {
    super();
  }
  forward(input: Tensor): Tensor {
    return F.softmax(input, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
export class LogSoftmax extends Module {
  constructor(readonly dim: number) {
    super();
  }
  forward(input: Tensor): Tensor {
    return F.logSoftmax(input, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
