/** Layers, init and losses against PyTorch: the same seed gives the same bits, values and gradients. */
import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import { build, expectClose, loadFixture } from '../helpers/fixtures';
import type { TensorJson } from '../helpers/fixtures';

const { nn } = torch;
const F = nn.functional;

interface NnFixture {
  torch: string;
  inits: { kind: string; seed: number; args: number[]; state: Record<string, TensorJson> }[];
  initFns: { name: string; out: TensorJson }[];
  gains: Record<string, number>;
  layers: {
    name: string;
    seed: number;
    /** 'float64': built under torch.set_default_dtype(torch.float64). */
    default?: 'float64';
    inputs: TensorJson[];
    upstream: TensorJson;
    out: TensorJson;
    inputGrads: (TensorJson | null)[];
    paramGrads: Record<string, TensorJson>;
  }[];
  losses: { name: string; fn: string; input: TensorJson; target: TensorJson; kwargs: Record<string, unknown>; out: TensorJson; grad: TensorJson }[];
}

const fx = loadFixture<NnFixture>('nn.json') as unknown as NnFixture;

function stateOf(m: torch.nn.Module): Record<string, Tensor> {
  return Object.fromEntries(m.stateDict());
}

const MODULES: Record<string, (a: number[]) => torch.nn.Module> = {
  Linear: (a) => new nn.Linear(a[0]!, a[1]!),
  Bilinear: (a) => new nn.Bilinear(a[0]!, a[1]!, a[2]!),
  Embedding: (a) => new nn.Embedding(a[0]!, a[1]!, { paddingIdx: a[2] }),
  LayerNorm: (a) => new nn.LayerNorm(a[0]!),
};

describe(`default initialisation is bit-identical to PyTorch ${fx.torch}`, () => {
  test.each(fx.inits.map((c) => [`${c.kind}(${c.args.join(', ')}) seed ${c.seed}`, c] as const))('%s', (_n, c) => {
    torch.manualSeed(c.seed);
    const state = stateOf(MODULES[c.kind]!(c.args));
    expect(Object.keys(state)).toEqual(Object.keys(c.state));
    // Embedding draws N(0, 1) through PyTorch's vectorised normal kernel: a few ulp; the rest is bit-exact.
    const tol = c.kind === 'Embedding' ? 1e-6 : 0;
    for (const [k, want] of Object.entries(c.state)) expectClose(state[k]!, want, tol, tol, k);
  });

  const FNS: Record<string, (t: Tensor) => Tensor> = {
    uniform_: (t) => nn.init.uniform_(t, -0.3, 0.7),
    normal_: (t) => nn.init.normal_(t, 0.5, 2.0),
    xavierUniform_: (t) => nn.init.xavierUniform_(t, 1.5),
    xavierNormal_: (t) => nn.init.xavierNormal_(t),
    kaimingUniform_: (t) => nn.init.kaimingUniform_(t, { mode: 'fan_out', nonlinearity: 'relu' }),
    kaimingNormal_: (t) => nn.init.kaimingNormal_(t, { a: 0.1 }),
    constant_: (t) => nn.init.constant_(t, 0.25),
  };
  test.each(fx.initFns.map((c) => [c.name, c] as const))('nn.init.%s', (name, c) => {
    torch.manualSeed(11);
    // normal_ on 35 elements takes PyTorch's vectorised path: a few ulp.
    const tol = name.includes('ormal') ? 1e-6 : 0;
    expectClose(FNS[name]!(torch.empty(5, 7)), c.out, tol, tol);
  });

  test('calculateGain', () => {
    for (const [k, v] of Object.entries(fx.gains)) {
      const [name, param] = k.split(' ');
      expect(nn.init.calculateGain(name as 'relu', param === undefined ? undefined : Number(param))).toBe(v);
    }
  });
});

const LAYERS: Record<string, () => torch.nn.Module> = {
  Linear: () => new nn.Linear(5, 3),
  'Linear 3-D input': () => new nn.Linear(5, 3),
  'Linear no bias': () => new nn.Linear(5, 3, false),
  Bilinear: () => new nn.Bilinear(3, 4, 2),
  'Embedding padding': () => new nn.Embedding(6, 3, { paddingIdx: 1 }),
  LayerNorm: () => new nn.LayerNorm(5),
  'LayerNorm 2 dims': () => new nn.LayerNorm([2, 3]),
  ReLU: () => new nn.ReLU(),
  LeakyReLU: () => new nn.LeakyReLU(0.2),
  ELU: () => new nn.ELU(),
  GELU: () => new nn.GELU(),
  'GELU tanh': () => new nn.GELU('tanh'),
  SiLU: () => new nn.SiLU(),
  Sigmoid: () => new nn.Sigmoid(),
  Tanh: () => new nn.Tanh(),
  Softplus: () => new nn.Softplus(2, 1),
  Softmax: () => new nn.Softmax(1),
  LogSoftmax: () => new nn.LogSoftmax(0),
  Dropout: () => new nn.Dropout(0.3),
  'Dropout 40 elements': () => new nn.Dropout(0.5),
  Flatten: () => new nn.Flatten(),
  Unflatten: () => new nn.Unflatten(1, [2, 2]),
  'Sequential MLP': () => new nn.Sequential(new nn.Linear(4, 6), new nn.ReLU(), new nn.Linear(6, 2)),
};

// Tolerances: float32 results differ from PyTorch's in the last bits of SLEEF approximations and summation order;
// float64 ones are compared at float64 precision.
const TOL: Record<'float32' | 'float64', { out: [number, number]; grad: [number, number] }> = {
  float32: { out: [2e-6, 1e-6], grad: [1e-5, 1e-6] },
  float64: { out: [1e-12, 1e-14], grad: [1e-11, 1e-13] },
};

describe('layers: forward and gradients against PyTorch', () => {
  afterEach(() => torch.setDefaultDtype('float32'));

  test.each(fx.layers.map((c) => [c.name, c] as const))('%s', (name, c) => {
    if (c.default) torch.setDefaultDtype(c.default);
    const tol = TOL[c.default ?? 'float32'];
    torch.manualSeed(c.seed);
    const m = LAYERS[name.replace(/ float64$/, '')]!();
    const xs = c.inputs.map((i) => {
      const t = build(i);
      return t.isFloatingPoint() ? t.requiresGrad_() : t;
    });
    const out = (m.forward as (...a: Tensor[]) => Tensor)(...xs);
    expectClose(out, c.out, ...tol.out, 'output');
    out.backward(build(c.upstream));
    c.inputGrads.forEach((g, i) => g && expectClose(xs[i]!.grad!, g, ...tol.grad, `input grad ${i}`));
    const params = Object.fromEntries(m.namedParameters());
    expect(Object.keys(params).sort()).toEqual(Object.keys(c.paramGrads).sort());
    for (const [k, g] of Object.entries(c.paramGrads)) expectClose(params[k]!.grad!, g, ...tol.grad, `grad of ${k}`);
  });
});

type LossFn = (input: Tensor, target: Tensor, options: Record<string, unknown>) => Tensor;
const LOSSES: Record<string, LossFn> = {
  l1_loss: F.l1Loss as LossFn,
  mse_loss: F.mseLoss as LossFn,
  smooth_l1_loss: F.smoothL1Loss as LossFn,
  huber_loss: F.huberLoss as LossFn,
  cross_entropy: F.crossEntropy as LossFn,
  nll_loss: F.nllLoss as LossFn,
  binary_cross_entropy: F.binaryCrossEntropy as LossFn,
  binary_cross_entropy_with_logits: F.binaryCrossEntropyWithLogits as LossFn,
  kl_div: F.klDiv as LossFn,
};
const OPTION_NAMES: Record<string, string> = { label_smoothing: 'labelSmoothing', pos_weight: 'posWeight', log_target: 'logTarget' };

describe('losses against PyTorch', () => {
  test.each(fx.losses.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const x = build(c.input).requiresGrad_();
    const options: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(c.kwargs)) {
      options[OPTION_NAMES[k] ?? k] = v && typeof v === 'object' && 'shape' in (v as object) ? build(v as TensorJson) : v;
    }
    const out = LOSSES[c.fn]!(x, build(c.target), options);
    const tol = TOL[x.dtype === 'float64' ? 'float64' : 'float32'];
    expectClose(out, c.out, ...tol.grad, 'loss');
    out.backward(out.dim() ? torch.onesLike(out) : undefined);
    expectClose(x.grad!, c.grad, ...tol.grad, 'grad');
  });

  test('bad targets are clear errors', () => {
    const logits = torch.randn(3, 4);
    expect(() => F.crossEntropy(logits, torch.tensor([0, 5, 1], { dtype: 'int64' }))).toThrow(/Target out of bounds/);
    expect(() => F.crossEntropy(logits, torch.tensor([0, 1], { dtype: 'int64' }))).toThrow(/Expected target of shape \[3\]/);
    expect(() => F.mseLoss(logits, torch.randn(3))).toThrow(/different to the input size/);
    expect(() => F.binaryCrossEntropy(torch.tensor([1.5]), torch.tensor([1]))).toThrow(/between 0 and 1/);
    expect(() => F.l1Loss(logits, logits, { reduction: 'avg' as 'mean' })).toThrow(/not a valid value for reduction/);
  });
});
