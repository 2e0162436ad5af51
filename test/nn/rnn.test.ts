/**
 * RNN, LSTM, GRU and their cells against PyTorch 1.13 (test/fixtures/rnn.json, scripts/gen_rnn_fixtures.py): initial
 * parameters bit-exact under the seed, outputs, final states and the gradients of the input, the initial states and
 * every parameter, for padded, batch-first, bidirectional, stacked, biasless, projected, unbatched and packed input;
 * inter-layer dropout with PyTorch's random stream; a state dict saved by PyTorch; PyTorch's error messages.
 */
import * as path from 'path';

import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import { build, expectClose, loadFixture } from '../helpers/fixtures';
import type { TensorJson } from '../helpers/fixtures';

const { nn } = torch;
type PackedSequence = torch.nn.utils.rnn.PackedSequence;
const { packPaddedSequence } = nn.utils.rnn;

interface Options {
  numLayers?: number;
  bias?: boolean;
  batchFirst?: boolean;
  dropout?: number;
  bidirectional?: boolean;
  projSize?: number;
  nonlinearity?: 'tanh' | 'relu';
}
interface Case {
  name: string;
  kind: string;
  args: (number | boolean | string)[];
  options: Options;
  seed: number;
  dtype: 'float32' | 'float64';
  state: Record<string, TensorJson>;
  input: TensorJson;
  h0?: TensorJson;
  c0?: TensorJson;
  packed?: { lengths: number[]; enforceSorted: boolean };
  trainSeed?: number;
  /** Which results the loss reads: all, the output only, or the final states only. */
  upstream: 'all' | 'out' | 'final';
  out: TensorJson;
  hN?: TensorJson;
  cN?: TensorJson;
  gOut: TensorJson;
  gHN?: TensorJson;
  gCN?: TensorJson;
  grads: { input: TensorJson; h0?: TensorJson; c0?: TensorJson; params: Record<string, TensorJson> };
}
interface RnnFixture {
  torch: string;
  cases: Case[];
  inits: { kind: string; args: number[]; options: Options; seed: number; state: Record<string, TensorJson>; repr: string }[];
  saved: { file: string; args: number[]; options: Options; input: TensorJson; out: TensorJson; hN: TensorJson; cN: TensorJson };
  errors: { kind: string; args: number[]; options: Options; input: number[]; hx: number[][] | null; type: string; message: string }[];
  ctorErrors: { kind: string; args: number[]; options: Options; message: string }[];
}

const fx = loadFixture<Case>('rnn.json') as unknown as RnnFixture;

type AnyLayer = torch.nn.RNN | torch.nn.LSTM | torch.nn.GRU | torch.nn.RNNCell | torch.nn.LSTMCell | torch.nn.GRUCell;

/** The layer of a fixture case; cells take PyTorch's positional (input, hidden, bias, nonlinearity). */
function make(kind: string, args: readonly (number | boolean | string)[], options: Options): AnyLayer {
  const [i, h, bias, nonlinearity] = args as [number, number, boolean | undefined, 'tanh' | 'relu' | undefined];
  const cellOptions = { ...(bias === undefined ? {} : { bias }), ...(nonlinearity ? { nonlinearity } : {}) };
  switch (kind) {
    case 'RNN': return new nn.RNN(i, h, options);
    case 'LSTM': return new nn.LSTM(i, h, options);
    case 'GRU': return new nn.GRU(i, h, options);
    case 'RNNCell': return new nn.RNNCell(i, h, cellOptions);
    case 'LSTMCell': return new nn.LSTMCell(i, h, cellOptions);
    case 'GRUCell': return new nn.GRUCell(i, h, cellOptions);
    default: throw new Error(`unknown kind ${kind}`);
  }
}

/** Runs any of the layers with an optional state: [output, hN or null, cN or null]. */
function run(m: AnyLayer, input: Tensor | PackedSequence, h0: Tensor | null, c0: Tensor | null): [Tensor | PackedSequence, Tensor | null, Tensor | null] {
  if (m instanceof nn.LSTM) {
    const [out, [h, c]] = m.forward(input as Tensor, h0 && c0 ? [h0, c0] : null);
    return [out, h, c];
  }
  if (m instanceof nn.LSTMCell) {
    const [h, c] = m.forward(input as Tensor, h0 && c0 ? [h0, c0] : null);
    return [h, null, c];
  }
  if (m instanceof nn.RNN || m instanceof nn.GRU) {
    const [out, h] = m.forward(input as Tensor, h0);
    return [out, h, null];
  }
  return [m.forward(input as Tensor, h0), null, null];
}

function stateOf(m: torch.nn.Module): Record<string, Tensor> {
  return Object.fromEntries(m.stateDict());
}

const TOL = { float32: [2e-5, 2e-6], float64: [1e-10, 1e-12] } as const;

describe(`recurrent layers against PyTorch ${fx.torch}`, () => {
  test('the fixture comes from PyTorch 1.13', () => expect(fx.torch).toMatch(/^1\.13/));

  test.each(fx.cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    torch.manualSeed(c.seed);
    const m = make(c.kind, c.args, c.options);
    if (c.dtype === 'float64') m.double();
    // The initial parameters: the same names, in the same order, bit for bit.
    const state = stateOf(m);
    expect(Object.keys(state)).toEqual(Object.keys(c.state));
    for (const [k, want] of Object.entries(c.state)) expectClose(state[k]!, want, 0, 0, `init ${k}`);
    const [rtol, atol] = TOL[c.dtype];
    const x = build(c.input).requiresGrad_();
    const h0 = c.h0 ? build(c.h0).requiresGrad_() : null;
    const c0 = c.c0 ? build(c.c0).requiresGrad_() : null;
    let input: Tensor | PackedSequence = x;
    if (c.packed) {
      input = packPaddedSequence(x, c.packed.lengths, { batchFirst: c.options.batchFirst ?? false, enforceSorted: c.packed.enforceSorted });
    }
    if (c.trainSeed !== undefined) torch.manualSeed(c.trainSeed);
    else m.eval();
    const [res, hN, cN] = run(m, input, h0, c0);
    const out = res instanceof nn.utils.rnn.PackedSequence ? res.data : res;
    if (c.packed) expect(res).toBeInstanceOf(nn.utils.rnn.PackedSequence);
    expectClose(out, c.out, rtol, atol, 'output');
    // Only the results PyTorch's loss read reach the graph's roots, so each path into the fused node is exercised alone.
    const terms: Tensor[] = c.upstream === 'final' ? [] : [out.mul(build(c.gOut)).sum()];
    if (c.hN) {
      expectClose(hN!, c.hN, rtol, atol, 'hN');
      terms.push(hN!.mul(build(c.gHN!)).sum());
    }
    if (c.cN) {
      expectClose(cN!, c.cN, rtol, atol, 'cN');
      terms.push(cN!.mul(build(c.gCN!)).sum());
    }
    terms.reduce((a, b) => a.add(b)).backward();
    expectClose(x.grad!, c.grads.input, rtol, atol, 'grad input');
    if (c.grads.h0) expectClose(h0!.grad!, c.grads.h0, rtol, atol, 'grad h0');
    if (c.grads.c0) expectClose(c0!.grad!, c.grads.c0, rtol, atol, 'grad c0');
    const params = Object.fromEntries(m.namedParameters());
    expect(Object.keys(params)).toEqual(Object.keys(c.grads.params));
    for (const [k, want] of Object.entries(c.grads.params)) expectClose(params[k]!.grad!, want, rtol, atol, `grad ${k}`);
  });
});

describe('initialisation and printing', () => {
  test.each(fx.inits.map((c) => [c.repr, c] as const))('%s', (_n, c) => {
    torch.manualSeed(c.seed);
    const m = make(c.kind, c.args, c.options);
    const state = stateOf(m);
    expect(Object.keys(state)).toEqual(Object.keys(c.state));
    for (const [k, want] of Object.entries(c.state)) expectClose(state[k]!, want, 0, 0, k);
    expect(String(m)).toBe(c.repr);
  });
});

describe('a state dict saved by PyTorch', () => {
  test('loads unchanged into the layer and gives the same outputs', () => {
    const s = fx.saved;
    const m = new nn.LSTM(s.args[0]!, s.args[1]!, s.options);
    const sd = torch.load(path.join(__dirname, '..', 'fixtures', 'pt', s.file)) as Record<string, Tensor>;
    m.loadStateDict(sd);
    const [out, [h, c]] = torch.noGrad(() => m.forward(build(s.input)));
    expectClose(out, s.out, 2e-5, 2e-6, 'output');
    expectClose(h, s.hN, 2e-5, 2e-6, 'hN');
    expectClose(c, s.cN, 2e-5, 2e-6, 'cN');
  });
});

describe("PyTorch's errors", () => {
  test.each(fx.errors.map((e) => [`${e.kind} input [${e.input.join(', ')}]${e.hx ? ` hx ${JSON.stringify(e.hx)}` : ''}`, e] as const))('%s', (_n, e) => {
    const m = make(e.kind, e.args, e.options);
    const x = torch.zeros(e.input);
    const hx = e.hx?.map((s) => torch.zeros(s)) ?? null;
    const call = (): unknown => run(m, x, hx?.[0] ?? null, hx?.[1] ?? null);
    expect(call).toThrow(RangeError);
    expect(call).toThrow(e.message);
  });

  test.each(fx.ctorErrors.map((e) => [e.message, e] as const))('%s', (_n, e) => {
    expect(() => make(e.kind, e.args, e.options)).toThrow(e.message);
  });

  test('input of the wrong dtype', () => {
    const m = new nn.GRU(3, 4);
    expect(() => m.forward(torch.zeros([2, 1, 3], { dtype: 'float64' }))).toThrow(TypeError);
    expect(() => m.forward(torch.zeros([2, 1, 3], { dtype: 'float64' }))).toThrow('input must have the type float32, got type float64');
  });
});

describe('the fused backward', () => {
  test('each direction of each layer is one graph node, whatever the sequence length', () => {
    const m = new nn.LSTM(3, 4, { numLayers: 2 });
    const [out] = m.forward(torch.randn(50, 2, 3));
    const names = new Set<string>();
    const seen = new Set<unknown>();
    const walk = (t: Tensor): void => {
      const n = t.gradFn;
      if (!n || seen.has(n)) return;
      seen.add(n);
      names.add(n.name);
      for (const i of n.inputs) if (i) walk(i);
    };
    walk(out);
    expect(seen.size).toBeLessThan(12);
    expect(names.has('LstmBackward0')).toBe(true);
  });

  test('a second derivative through the fused node is a clear error', () => {
    const m = new nn.GRU(2, 3);
    const x = torch.randn(4, 1, 2).requiresGrad_();
    const [out] = m.forward(x);
    const [gx] = torch.autograd.grad([out.pow(2).sum()], [x], { createGraph: true });
    expect(() => gx!.sum().backward()).toThrow('not twice differentiable');
  });
});

describe('packed input that does not hold together', () => {
  test('data rows that are not the sum of the batch sizes are a RangeError', () => {
    const bad = new nn.utils.rnn.PackedSequence(torch.zeros(5, 3), torch.tensor([2, 2], { dtype: 'int32' }));
    expect(() => new nn.GRU(3, 4).forward(bad)).toThrow('the packed data has 5 rows but its batch sizes add up to 4');
  });
  test('increasing batch sizes are a RangeError, not a crash', () => {
    const bad = new nn.utils.rnn.PackedSequence(torch.zeros(5, 3), torch.tensor([2, 3], { dtype: 'int32' }));
    expect(() => new nn.LSTM(3, 4).forward(bad)).toThrow(RangeError);
    expect(() => new nn.LSTM(3, 4).forward(bad)).toThrow('the batch sizes of packed input must be positive and non-increasing, got [2, 3]');
  });
});
