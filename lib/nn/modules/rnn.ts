/**
 * Recurrent layers: RNN, LSTM, GRU and their cells (torch/nn/modules/rnn.py), with PyTorch's parameters, initial
 * bits, outputs and gradients.
 *
 * Each direction of each layer runs as one graph node over the whole sequence: the input projection x W_ih^T + b_ih
 * of every step is one GEMM (a recorded linear), then the native kernel (native/src/kernels/rnn.cpp) runs the steps,
 * one GEMM for the hidden projection and one pass of gate arithmetic each, and its backward does the same in reverse.
 * Padded input is the packed case with every step's batch full, so packed and padded input share one path.
 */
import { Tensor, outputTensor } from '../../tensor';
import { allocate, getDefaultDtype, isFloating } from '../../dtype';
import * as K from '../../backend/kernels';
import type { FloatStorage } from '../../backend/kernels';
import { record, releaseUnrecorded } from '../../autograd/record';
import { isGradEnabled } from '../../autograd/grad_mode';
import { cat, stack } from '../../ops/movement';
import { zeros } from '../../ops/creation';
import { indexSelect } from '../../ops/indexing';
import { emptyTensor } from '../../tensor';
import { checkBool, checkInt, checkNumber, checkOptions, checkTensor, describe } from '../../validate';
import { PackedSequence } from '../utils/rnn';
import { Module } from './module';
import { Parameter } from '../parameter';
import * as F from '../functional';
import * as init from '../init';
import { pyBool, pyFloat } from '../repr';

// ---- the fused recurrence ----------------------------------------------------------------------------------------

/** PyTorch's names for the aten ops whose backward each node runs. */
const NODE_NAMES: Record<K.RnnMode, string> = { rnn_tanh: 'RnnTanhBackward0', rnn_relu: 'RnnReluBackward0', lstm: 'LstmBackward0', gru: 'GruBackward0' };

const DOUBLE_BACKWARD =
  'the fused recurrent layer backward is not twice differentiable (as PyTorch\'s fused RNN kernels); a gradient of a ' +
  'gradient through an RNN, LSTM or GRU cannot be taken';

/** The stand-in gradient a final-state node hands the sequence node (see recurrence): zero, never read. */
const ZERO_GRADS = new WeakSet<Tensor>();
function zeroGradient(like: Tensor): Tensor {
  const one = like.dtype === 'float64' ? new Float64Array(1) : new Float32Array(1);
  const z = new Tensor(one, like.shape, like.shape.map(() => 0), 0, like.dtype);
  ZERO_GRADS.add(z);
  return z;
}

const dense = (t: Tensor): FloatStorage => K.denseFloat(t);
const denseOrNull = (t: Tensor | null): FloatStorage | null => (t ? dense(t) : null);

/** What one direction of one layer gives: every step's hidden state, the final hidden and cell states. */
interface Recurrence {
  out: Tensor;
  hN: Tensor;
  cN: Tensor | null;
}

/**
 * One direction of one recurrent layer over a packed sequence, as ONE graph node: xw = x W_ih^T + b_ih for every
 * row [N, G], h0 [B, P], c0 [B, H] (LSTM), w_hh [G, P], b_hh, w_hr [P, H] (projected LSTM). Its outputs are out
 * [N, P], hN and cN; a node has one output, so hN and cN are small nodes of their own that pass their gradient to
 * the sequence node (which they feed into, so the backward walk reaches them first) and hand it a zero stand-in.
 */
function recurrence(
  mode: K.RnnMode,
  xw: Tensor,
  batchSizes: Int32Array,
  h0: Tensor,
  c0: Tensor | null,
  wHh: Tensor,
  bHh: Tensor | null,
  wHr: Tensor | null,
  reverse: boolean,
  hidden: number,
): Recurrence {
  const dtype = xw.dtype;
  const [batch, width] = h0.shape as [number, number];
  const rows = xw.shape[0]!;
  const g: K.RnnGeometry = { mode, steps: batchSizes.length, batch, hidden, out: width, reverse, proj: wHr !== null };
  const lstm = mode === 'lstm';
  const out = outputTensor([rows, width], dtype);
  const hN = outputTensor([batch, width], dtype);
  const cN = lstm ? outputTensor([batch, hidden], dtype) : null;
  // The workspace backward reads (gates, cell states): only the node holds it, so it goes back to the pool once
  // backward is done with it, or at once when nothing is recorded.
  const saved = allocate(dtype, K.rnnSavedSize(g, rows)) as FloatStorage;
  const owned = [saved];
  K.rnnForward(g, batchSizes, {
    xw: dense(xw), h0: dense(h0), c0: denseOrNull(c0), wHh: dense(wHh), bHh: denseOrNull(bHh), wHr: denseOrNull(wHr),
    out: out.data as FloatStorage, hN: hN.data as FloatStorage, cN: (cN?.data ?? null) as FloatStorage | null, saved,
  });
  const finals: { hN: Tensor | null; cN: Tensor | null } = { hN: null, cN: null };
  const inputs = [xw, h0, c0, wHh, bHh, wHr];
  const name = NODE_NAMES[mode];
  record(name, out, inputs, (gOut, needs) => {
    const gH = finals.hN;
    const gC = finals.cN;
    finals.hN = finals.cN = null;
    // The kernel writes every element of every gradient.
    const grads = [xw, h0, c0, wHh, bHh, wHr].map((t) => (t ? outputTensor(t.shape, dtype) : null));
    const data = (i: number): FloatStorage | null => (grads[i]?.data ?? null) as FloatStorage | null;
    K.rnnBackward(g, batchSizes, {
      wHh: dense(wHh), wHr: denseOrNull(wHr), out: out.data as FloatStorage, saved,
      gOut: ZERO_GRADS.has(gOut) ? null : dense(gOut), gHN: denseOrNull(gH), gCN: denseOrNull(gC),
      dXw: data(0)!, dH0: data(1)!, dC0: data(2), dWHh: data(3)!, dBHh: data(4), dWHr: data(5),
    });
    const result = grads.map((t, i) => (needs[i] ? t : null));
    if (isGradEnabled()) {
      // createGraph: the gradients are right, but this node's backward is made of raw kernels. Each gradient gets a
      // node that refuses to be differentiated, so only an actual second derivative through it is an error.
      const sources = [gOut, ...inputs].filter((t): t is Tensor => t !== null && t.requiresGrad);
      for (const r of result) if (r) record(`${name}Backward`, r, [...sources], () => { throw new Error(DOUBLE_BACKWARD); });
    }
    return result;
  }, owned);
  releaseUnrecorded(out, owned);
  if (out.requiresGrad) {
    record(name, hN, [out], (gh) => {
      finals.hN = gh;
      return [zeroGradient(out)];
    });
    if (cN) {
      record(name, cN, [out], (gc) => {
        finals.cN = gc;
        return [zeroGradient(out)];
      });
    }
  }
  return { out, hN, cN };
}

/** PyTorch's name for the kind of recurrence a layer runs (RNNBase.mode). | */
export type RNNMode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';

const KERNEL_MODE: Record<RNNMode, K.RnnMode> = { RNN_TANH: 'rnn_tanh', RNN_RELU: 'rnn_relu', LSTM: 'lstm', GRU: 'gru' };
const GATES: Record<RNNMode, number> = { RNN_TANH: 1, RNN_RELU: 1, LSTM: 4, GRU: 3 };

// ---- layers --------------------------------------------------------------------------------------------------------

/** The options of RNN, LSTM and GRU, as PyTorch's keywords. | */
export interface RNNOptions {
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** Whether the layers have b_ih and b_hh (default true). */
  bias?: boolean;
  /** Input and output as [batch, seq, feature] instead of [seq, batch, feature] (default false). */
  batchFirst?: boolean;
  /** Dropout probability on the outputs of every layer but the last, in training (default 0). */
  dropout?: number;
  /** Whether every layer also runs the sequence backwards (default false). */
  bidirectional?: boolean;
  /** RNN only: 'tanh' (default) or 'relu'. */
  nonlinearity?: 'tanh' | 'relu';
  /** LSTM only: the size of the projected hidden state (0, the default, for none). */
  projSize?: number;
}

/** The parameters of one direction of one layer. */
interface DirectionWeights {
  wIh: Parameter;
  wHh: Parameter;
  bIh: Parameter | null;
  bHh: Parameter | null;
  wHr: Parameter | null;
}

const ints = (t: Tensor): Int32Array => Int32Array.from(t.reshape([-1]).tolist() as number[]);

/** A shape as PyTorch prints a tuple of ints: (1, 3, 20). */
const tupleStr = (s: readonly number[]): string => `(${s.join(', ')}${s.length === 1 ? ',' : ''})`;

/** Checks an initial state's shape, in PyTorch's words. */
function checkHidden(t: Tensor, expected: readonly number[], msg: string): void {
  if (t.dim() !== expected.length || t.shape.some((s, i) => s !== expected[i])) {
    throw new RangeError(`${msg} size ${tupleStr(expected)}, got [${t.shape.join(', ')}]`);
  }
}

/**
 * The common part of RNN, LSTM and GRU (PyTorch's RNNBase): parameters `weight_ih_l{k}`, `weight_hh_l{k}`,
 * `bias_ih_l{k}`, `bias_hh_l{k}` (and the LSTM's `weight_hr_l{k}`), `_reverse` for the second direction, registered
 * in PyTorch's order and initialised U(-1/sqrt(hidden), 1/sqrt(hidden)) in that order.
 * @example new nn.LSTM(2, 3, { bidirectional: true }).namedParameters().map(([n]) => n).slice(4)
 *   // ['weight_ih_l0_reverse', 'weight_hh_l0_reverse', 'bias_ih_l0_reverse', 'bias_hh_l0_reverse']
 */
export abstract class RNNBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly projSize: number;
  /** The parameter names of each layer and direction, in order (PyTorch's _all_weights). */
  readonly allWeightNames: string[][] = [];
  /** 'RNN_TANH', 'RNN_RELU', 'LSTM' or 'GRU', as PyTorch's RNNBase.mode. */
  readonly mode: RNNMode;

  constructor(mode: RNNMode, inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    super();
    const name = this.constructor.name;
    const o = checkOptions(name, options);
    this.mode = mode;
    this.inputSize = checkInt(name, 'input_size', inputSize, 0);
    this.hiddenSize = checkInt(name, 'hidden_size', hiddenSize, 1);
    this.numLayers = checkInt(name, 'num_layers', o.numLayers ?? 1, 1);
    this.bias = checkBool(name, 'bias', o.bias, true);
    this.batchFirst = checkBool(name, 'batch_first', o.batchFirst, false);
    this.bidirectional = checkBool(name, 'bidirectional', o.bidirectional, false);
    const dropout = o.dropout ?? 0;
    if (typeof dropout !== 'number' || !(dropout >= 0 && dropout <= 1)) {
      throw new RangeError(`${name}: dropout should be a number in range [0, 1] representing the probability of an element being zeroed`);
    }
    this.dropout = dropout;
    if (dropout > 0 && this.numLayers === 1) {
      process.emitWarning(
        `dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects num_layers greater than 1, but got dropout=${dropout} and num_layers=1`,
        'UserWarning',
      );
    }
    if (o.projSize !== undefined && mode !== 'LSTM') throw new TypeError(`${name}: proj_size argument is only supported for LSTM, not RNN or GRU`);
    const projSize = checkNumber(name, 'proj_size', o.projSize ?? 0);
    if (projSize < 0) throw new RangeError(`${name}: proj_size should be a positive integer or zero to disable projections`);
    if (projSize >= hiddenSize) throw new RangeError(`${name}: proj_size has to be smaller than hidden_size`);
    this.projSize = checkInt(name, 'proj_size', projSize, 0);
    const gates = hiddenSize * GATES[mode];
    const real = this.projSize > 0 ? this.projSize : hiddenSize;
    const dirs = this.bidirectional ? 2 : 1;
    const dtype = getDefaultDtype();
    const param = (shape: number[]): Parameter => new Parameter(emptyTensor(shape, dtype));
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let d = 0; d < dirs; d++) {
        const layerInput = layer === 0 ? inputSize : real * dirs;
        const suffix = `_l${layer}${d === 1 ? '_reverse' : ''}`;
        const params: [string, Parameter][] = [[`weight_ih${suffix}`, param([gates, layerInput])], [`weight_hh${suffix}`, param([gates, real])]];
        if (this.bias) params.push([`bias_ih${suffix}`, param([gates])], [`bias_hh${suffix}`, param([gates])]);
        if (this.projSize > 0) params.push([`weight_hr${suffix}`, param([this.projSize, hiddenSize])]);
        for (const [n, p] of params) this.registerParameter(n, p);
        this.allWeightNames.push(params.map(([n]) => n));
      }
    }
    this.resetParameters();
  }

  /** Draws every parameter from U(-1/sqrt(hidden), 1/sqrt(hidden)), in registration order, as PyTorch. */
  resetParameters(): void {
    const stdv = 1.0 / Math.sqrt(this.hiddenSize);
    for (const p of this.parameters()) init.uniform_(p, -stdv, stdv);
  }

  /**
   * Does nothing, as PyTorch's flatten_parameters on the CPU (it packs the weights for cuDNN), so ported code that
   * calls it runs unchanged.
   * @example const lstm = new nn.LSTM(2, 3); lstm.flattenParameters()
   */
  flattenParameters(): void {}

  /**
   * The parameters of each layer and direction, as PyTorch's all_weights.
   * @example new nn.LSTM(2, 3).allWeights[0]!.length // 4
   */
  get allWeights(): Parameter[][] {
    const self = this as unknown as Record<string, Parameter>;
    return this.allWeightNames.map((names) => names.map((n) => self[n]!));
  }

  private directionWeights(k: number): DirectionWeights {
    const self = this as unknown as Record<string, Parameter | null | undefined>;
    const suffix = `_l${Math.floor(k / (this.bidirectional ? 2 : 1))}${this.bidirectional && k % 2 === 1 ? '_reverse' : ''}`;
    const get = (n: string): Parameter | null => self[`${n}${suffix}`] ?? null;
    const wIh = get('weight_ih');
    const wHh = get('weight_hh');
    if (!wIh || !wHh) throw new Error(`${this.constructor.name}: weight_ih${suffix} and weight_hh${suffix} must be Parameters, not null`);
    return { wIh, wHh, bIh: this.bias ? get('bias_ih') : null, bHh: this.bias ? get('bias_hh') : null, wHr: this.projSize > 0 ? get('weight_hr') : null };
  }

  /**
   * The shared forward: `hx` holds the initial states (h0, and c0 for the LSTM) or is null for zeros. Returns the
   * output (a PackedSequence for packed input) and the final states.
   */
  protected runLayers(input: Tensor | PackedSequence, hx: readonly Tensor[] | null): [Tensor | PackedSequence, Tensor[]] {
    const name = this.constructor.name;
    const lstm = this.mode === 'LSTM';
    const dirs = this.bidirectional ? 2 : 1;
    const real = this.projSize > 0 ? this.projSize : this.hiddenSize;
    const packed = input instanceof PackedSequence;
    let x: Tensor;
    let batchSizes: Int32Array;
    let batch: number;
    let batched = true;
    const batchDim = this.batchFirst ? 0 : 1;
    let states = hx ? [...hx] : null;
    for (const s of states ?? []) checkTensor(name, 'hx', s);
    if (input instanceof PackedSequence) {
      x = input.data;
      batchSizes = ints(input.batchSizes);
      batch = batchSizes[0] ?? 0;
      if (x.dim() !== 2) throw new RangeError(`${name}: input must have 2 dimensions, got ${x.dim()}`);
      if (batchSizes.some((b, t) => b < 1 || (t > 0 && b > batchSizes[t - 1]!))) {
        throw new RangeError(`${name}: the batch sizes of packed input must be positive and non-increasing, got [${batchSizes.join(', ')}]`);
      }
      const rows = batchSizes.reduce((a, b) => a + b, 0);
      if (x.shape[0] !== rows) throw new RangeError(`${name}: the packed data has ${x.shape[0]} rows but its batch sizes add up to ${rows}`);
    } else {
      checkTensor(name, 'input', input);
      x = input;
      batched = x.dim() === 3;
      const what = lstm ? 'hx and cx' : 'hx';
      const dims = (n: number): string => (lstm ? `(${states!.map((s) => `${s.dim()}-D`).join(', ')}) tensors` : `${states![0]!.dim()}-D tensor`);
      if (!batched) {
        x = x.unsqueeze(batchDim);
        if (states) {
          if (states.some((s) => s.dim() !== 2)) throw new RangeError(`${name}: For unbatched 2-D input, ${what} should also be 2-D but got ${dims(2)}`);
          states = states.map((s) => s.unsqueeze(1));
        }
      } else if (states && states.some((s) => s.dim() !== 3)) {
        throw new RangeError(`${name}: For batched 3-D input, ${what} should also be 3-D but got ${dims(3)}`);
      }
      if (x.dim() !== 3) throw new RangeError(`${name}: input must have 3 dimensions, got ${x.dim()}`);
      batch = x.shape[batchDim]!;
      const steps = x.shape[1 - batchDim]!;
      if (steps === 0) throw new RangeError(`${name}: Expected sequence length to be larger than 0 in RNN`);
      batchSizes = new Int32Array(steps).fill(batch);
    }
    if (x.shape[x.dim() - 1] !== this.inputSize) {
      throw new RangeError(`${name}: input.size(-1) must be equal to input_size. Expected ${this.inputSize}, got ${x.shape[x.dim() - 1]}`);
    }
    const w0 = this.directionWeights(0).wIh;
    if (!isFloating(x.dtype) || x.dtype !== w0.dtype) throw new TypeError(`${name}: input must have the type ${w0.dtype}, got type ${x.dtype}`);
    if (batch === 0) throw new RangeError(`${name}: expected a batch of at least one sequence but got input of shape [${x.shape.join(', ')}]`);
    const hShape = [this.numLayers * dirs, batch, real];
    const cShape = [this.numLayers * dirs, batch, this.hiddenSize];
    if (states) {
      if (packed && (input as PackedSequence).sortedIndices) {
        const perm = (input as PackedSequence).sortedIndices!;
        states = states.map((s) => (s.dim() === 3 ? indexSelect(s, 1, perm) : s));
      }
      checkHidden(states[0]!, hShape, lstm ? 'Expected hidden[0]' : 'Expected hidden');
      if (lstm) checkHidden(states[1]!, cShape, 'Expected hidden[1]');
      for (const s of states) if (s.dtype !== x.dtype) throw new TypeError(`${name}: hx must have the type ${x.dtype}, got type ${s.dtype}`);
    } else {
      states = lstm ? [zeros(hShape, { dtype: x.dtype }), zeros(cShape, { dtype: x.dtype })] : [zeros(hShape, { dtype: x.dtype })];
    }
    const [h0, c0 = null] = states;
    const steps = batchSizes.length;
    let layerInput = packed ? x : (this.batchFirst ? x.transpose(0, 1) : x).reshape([steps * batch, this.inputSize]);
    const hN: Tensor[] = [];
    const cN: Tensor[] = [];
    for (let layer = 0; layer < this.numLayers; layer++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < dirs; d++) {
        const k = layer * dirs + d;
        const w = this.directionWeights(k);
        const xw = F.linear(layerInput, w.wIh, w.bIh);
        const r = recurrence(KERNEL_MODE[this.mode], xw, batchSizes, h0!.select(0, k), c0 ? c0.select(0, k) : null, w.wHh, w.bHh, w.wHr, d === 1, this.hiddenSize);
        outs.push(r.out);
        hN.push(r.hN);
        if (r.cN) cN.push(r.cN);
      }
      layerInput = dirs === 2 ? cat(outs, 1) : outs[0]!;
      if (this.dropout > 0 && this.training && layer < this.numLayers - 1) layerInput = F.dropout(layerInput, this.dropout, true);
    }
    let finals = lstm ? [stack(hN, 0), stack(cN, 0)] : [stack(hN, 0)];
    if (input instanceof PackedSequence) {
      const perm = input.unsortedIndices;
      if (perm) finals = finals.map((s) => indexSelect(s, 1, perm));
      return [new PackedSequence(layerInput, input.batchSizes, input.sortedIndices, input.unsortedIndices), finals];
    }
    let output = layerInput.view([steps, batch, dirs * real]);
    if (this.batchFirst) output = output.transpose(0, 1);
    if (!batched) {
      output = output.squeeze(batchDim);
      finals = finals.map((s) => s.squeeze(1));
    }
    return [output, finals];
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.projSize !== 0) s += `, proj_size=${this.projSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (!this.bias) s += `, bias=${pyBool(this.bias)}`;
    if (this.batchFirst) s += `, batch_first=${pyBool(this.batchFirst)}`;
    if (this.dropout !== 0) s += `, dropout=${pyFloat(this.dropout)}`;
    if (this.bidirectional) s += `, bidirectional=${pyBool(this.bidirectional)}`;
    return s;
  }
}

/** Checks the RNN's nonlinearity option. */
function nonlinearityOf(op: string, v: unknown): 'tanh' | 'relu' {
  if (v === undefined || v === 'tanh') return 'tanh';
  if (v === 'relu') return 'relu';
  throw new RangeError(`${op}: Unknown nonlinearity '${typeof v === 'string' ? v : describe(v)}'`);
}

/**
 * An Elman RNN, h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu), as torch.nn.RNN.
 * forward(input, h0?) takes [seq, batch, inputSize] (batchFirst: [batch, seq, inputSize]), an unbatched
 * [seq, inputSize] or a PackedSequence, and h0 [numLayers * directions, batch, hiddenSize]; it returns
 * [output, hN].
 * @param inputSize features of each input step
 * @param hiddenSize features of the hidden state
 * @param options numLayers, nonlinearity, bias, batchFirst, dropout, bidirectional
 * @throws RangeError / TypeError with PyTorch's messages for bad options, input sizes and hidden-state shapes
 * @example const rnn = new nn.RNN(10, 20, { numLayers: 2 });
 *   const [output, hN] = rnn.forward(torch.randn(5, 3, 10));
 *   output.shape // [5, 3, 20]; hN.shape // [2, 3, 20]
 */
export class RNN extends RNNBase {
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    const nonlinearity = nonlinearityOf('RNN', checkOptions('RNN', options).nonlinearity);
    super(nonlinearity === 'relu' ? 'RNN_RELU' : 'RNN_TANH', inputSize, hiddenSize, { ...options, nonlinearity: undefined });
    this.nonlinearity = nonlinearity;
  }

  forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor];
  forward(input: PackedSequence, hx?: Tensor | null): [PackedSequence, Tensor];
  forward(input: Tensor | PackedSequence, hx: Tensor | null = null): [Tensor | PackedSequence, Tensor] {
    const [out, [h]] = this.runLayers(input, hx ? [hx] : null);
    return [out, h!];
  }
}

/**
 * A long short-term memory layer, as torch.nn.LSTM (with projSize, the hidden state is projected by weight_hr).
 * forward(input, [h0, c0]?) returns [output, [hN, cN]]; input as for RNN, h0 [numLayers * directions, batch,
 * projSize || hiddenSize], c0 [numLayers * directions, batch, hiddenSize].
 * @param inputSize features of each input step
 * @param hiddenSize features of the cell state
 * @param options numLayers, bias, batchFirst, dropout, bidirectional, projSize
 * @throws RangeError / TypeError with PyTorch's messages for bad options, input sizes and state shapes
 * @example const lstm = new nn.LSTM(10, 20, { batchFirst: true });
 *   const [output, [hN, cN]] = lstm.forward(torch.randn(3, 5, 10));
 *   output.shape // [3, 5, 20]
 */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    super('LSTM', inputSize, hiddenSize, options);
  }

  forward(input: Tensor, hx?: readonly [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]];
  forward(input: PackedSequence, hx?: readonly [Tensor, Tensor] | null): [PackedSequence, [Tensor, Tensor]];
  forward(input: Tensor | PackedSequence, hx: readonly [Tensor, Tensor] | null = null): [Tensor | PackedSequence, [Tensor, Tensor]] {
    if (hx !== null && (!Array.isArray(hx) || hx.length !== 2)) throw new TypeError(`LSTM: expected hx to be an array [h0, c0] but received ${describe(hx)}`);
    const [out, [h, c]] = this.runLayers(input, hx);
    return [out, [h!, c!]];
  }
}

/**
 * A gated recurrent unit layer, as torch.nn.GRU: r, z = sigmoid(...), n = tanh(x W_in^T + b_in + r * (h W_hn^T +
 * b_hn)), h' = (1 - z) * n + z * h. forward(input, h0?) returns [output, hN], shapes as for RNN.
 * @param inputSize features of each input step
 * @param hiddenSize features of the hidden state
 * @param options numLayers, bias, batchFirst, dropout, bidirectional
 * @throws RangeError / TypeError with PyTorch's messages for bad options, input sizes and hidden-state shapes
 * @example const gru = new nn.GRU(10, 20, { bidirectional: true });
 *   gru.forward(torch.randn(5, 3, 10))[0].shape // [5, 3, 40]
 */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    super('GRU', inputSize, hiddenSize, options);
  }

  forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor];
  forward(input: PackedSequence, hx?: Tensor | null): [PackedSequence, Tensor];
  forward(input: Tensor | PackedSequence, hx: Tensor | null = null): [Tensor | PackedSequence, Tensor] {
    const [out, [h]] = this.runLayers(input, hx ? [hx] : null);
    return [out, h!];
  }
}

// ---- cells ---------------------------------------------------------------------------------------------------------

/** The options of RNNCell, LSTMCell and GRUCell. | */
export interface RNNCellOptions {
  /** Whether the cell has bias_ih and bias_hh (default true). */
  bias?: boolean;
  /** RNNCell only: 'tanh' (default) or 'relu'. */
  nonlinearity?: 'tanh' | 'relu';
}

/**
 * The common part of the cells (PyTorch's RNNCellBase): weight_ih [chunks * hidden, input], weight_hh [chunks *
 * hidden, hidden], bias_ih, bias_hh, initialised U(-1/sqrt(hidden), 1/sqrt(hidden)) in that order.
 * @example new nn.GRUCell(2, 3).weight_ih.shape // [9, 2]
 */
export abstract class RNNCellBase extends Module {
  declare weight_ih: Parameter;
  declare weight_hh: Parameter;
  declare bias_ih: Parameter | null;
  declare bias_hh: Parameter | null;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly bias: boolean;
  /** The recurrence the cell runs, named as RNNBase.mode. */
  readonly mode: RNNMode;

  constructor(mode: RNNMode, inputSize: number, hiddenSize: number, options: RNNCellOptions) {
    super();
    const name = this.constructor.name;
    const o = checkOptions(name, options);
    this.mode = mode;
    this.inputSize = checkInt(name, 'input_size', inputSize, 0);
    this.hiddenSize = checkInt(name, 'hidden_size', hiddenSize, 1);
    this.bias = checkBool(name, 'bias', o.bias, true);
    const gates = hiddenSize * GATES[mode];
    const dtype = getDefaultDtype();
    this.weight_ih = new Parameter(emptyTensor([gates, inputSize], dtype));
    this.weight_hh = new Parameter(emptyTensor([gates, hiddenSize], dtype));
    if (this.bias) {
      this.bias_ih = new Parameter(emptyTensor([gates], dtype));
      this.bias_hh = new Parameter(emptyTensor([gates], dtype));
    } else {
      this.registerParameter('bias_ih', null);
      this.registerParameter('bias_hh', null);
    }
    this.resetParameters();
  }

  /** Draws every parameter from U(-1/sqrt(hidden), 1/sqrt(hidden)), in registration order, as PyTorch. */
  resetParameters(): void {
    const stdv = 1.0 / Math.sqrt(this.hiddenSize);
    for (const p of this.parameters()) init.uniform_(p, -stdv, stdv);
  }

  /** One step: checks as PyTorch's cells, then the fused recurrence over a single step. */
  protected cellStep(input: Tensor, hx: readonly Tensor[] | null): Tensor[] {
    const name = this.constructor.name;
    checkTensor(name, 'input', input);
    if (input.dim() !== 1 && input.dim() !== 2) throw new RangeError(`${name}: Expected input to be 1-D or 2-D but received ${input.dim()}-D tensor`);
    const batched = input.dim() === 2;
    const x = batched ? input : input.unsqueeze(0);
    const lstm = this.mode === 'LSTM';
    let states = hx ? [...hx] : null;
    for (const s of states ?? []) checkTensor(name, 'hx', s);
    if (states && !batched) states = states.map((s) => s.unsqueeze(0));
    if (x.shape[1] !== this.inputSize) throw new RangeError(`${name}: input has inconsistent input_size: got ${x.shape[1]} expected ${this.inputSize}`);
    if (!isFloating(x.dtype) || x.dtype !== this.weight_ih.dtype) throw new TypeError(`${name}: input must have the type ${this.weight_ih.dtype}, got type ${x.dtype}`);
    const batch = x.shape[0]!;
    if (batch === 0) throw new RangeError(`${name}: expected a batch of at least one input but got input of shape [${input.shape.join(', ')}]`);
    if (states) {
      states.forEach((s, i) => {
        if (s.dim() !== 2 || s.shape[0] !== batch) throw new RangeError(`${name}: Input batch size ${batch} doesn't match hidden${i} batch size ${s.shape[0]}`);
        if (s.shape[1] !== this.hiddenSize) throw new RangeError(`${name}: hidden${i} has inconsistent hidden_size: got ${s.shape[1]}, expected ${this.hiddenSize}`);
        if (s.dtype !== x.dtype) throw new TypeError(`${name}: hx must have the type ${x.dtype}, got type ${s.dtype}`);
      });
    } else {
      const z = zeros([batch, this.hiddenSize], { dtype: x.dtype });
      states = lstm ? [z, z] : [z];
    }
    const xw = F.linear(x, this.weight_ih, this.bias_ih);
    const r = recurrence(KERNEL_MODE[this.mode], xw, new Int32Array([batch]), states[0]!, lstm ? states[1]! : null, this.weight_hh, this.bias_hh, null, false, this.hiddenSize);
    const out = lstm ? [r.out, r.cN!] : [r.out];
    return batched ? out : out.map((t) => t.squeeze(0));
  }

  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.bias ? '' : ', bias=False'}`;
  }
}

/**
 * One step of an Elman RNN, as torch.nn.RNNCell: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu).
 * @param inputSize features of the input
 * @param hiddenSize features of the hidden state
 * @param options bias, nonlinearity
 * @throws RangeError with PyTorch's messages for inconsistent input and hidden sizes
 * @example new nn.RNNCell(10, 20).forward(torch.randn(3, 10)).shape // [3, 20]
 */
export class RNNCell extends RNNCellBase {
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions = {}) {
    const nonlinearity = nonlinearityOf('RNNCell', checkOptions('RNNCell', options).nonlinearity);
    super(nonlinearity === 'relu' ? 'RNN_RELU' : 'RNN_TANH', inputSize, hiddenSize, options);
    this.nonlinearity = nonlinearity;
  }

  forward(input: Tensor, hx: Tensor | null = null): Tensor {
    return this.cellStep(input, hx ? [hx] : null)[0]!;
  }

  override extraRepr(): string {
    return super.extraRepr() + (this.nonlinearity !== 'tanh' ? `, nonlinearity=${this.nonlinearity}` : '');
  }
}

/**
 * One step of an LSTM, as torch.nn.LSTMCell: forward(input, [h, c]?) returns [h', c'].
 * @param inputSize features of the input
 * @param hiddenSize features of the hidden and cell states
 * @param options bias
 * @throws RangeError with PyTorch's messages for inconsistent input and hidden sizes
 * @example const [h, c] = new nn.LSTMCell(10, 20).forward(torch.randn(3, 10)); h.shape // [3, 20]
 */
export class LSTMCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions = {}) {
    super('LSTM', inputSize, hiddenSize, options);
  }

  forward(input: Tensor, hx: readonly [Tensor, Tensor] | null = null): [Tensor, Tensor] {
    if (hx !== null && (!Array.isArray(hx) || hx.length !== 2)) throw new TypeError(`LSTMCell: expected hx to be an array [h, c] but received ${describe(hx)}`);
    const [h, c] = this.cellStep(input, hx);
    return [h!, c!];
  }
}

/**
 * One step of a GRU, as torch.nn.GRUCell: h' = (1 - z) * n + z * h.
 * @param inputSize features of the input
 * @param hiddenSize features of the hidden state
 * @param options bias
 * @throws RangeError with PyTorch's messages for inconsistent input and hidden sizes
 * @example new nn.GRUCell(10, 20).forward(torch.randn(3, 10)).shape // [3, 20]
 */
export class GRUCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions = {}) {
    super('GRU', inputSize, hiddenSize, options);
  }

  forward(input: Tensor, hx: Tensor | null = null): Tensor {
    return this.cellStep(input, hx ? [hx] : null)[0]!;
  }
}
