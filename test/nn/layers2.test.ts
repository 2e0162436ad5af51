/**
 * The remaining common layers of issue 13 against PyTorch (scripts/gen_layers_fixtures.py): the activations and
 * prelu, cosine similarity and pairwise distance, pixel (un)shuffle, interpolate, embeddingBag, instanceNorm, the 1-D
 * adaptive pools and F.pad's modes as functions; their modules' reprs, initial state, outputs, gradients, state after
 * the forward pass and errors.
 */
import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import { build, describeGroups, decode, expectClose, loadFixture } from '../helpers/fixtures';
import type { TensorJson } from '../helpers/fixtures';
import { expectError } from '../helpers/errors';

const { nn } = torch;
const F = nn.functional;

interface ErrorJson {
  type: 'TypeError' | 'RangeError' | 'Error';
  message: string;
  key: string;
}

interface Case {
  group: string;
  op: string;
  inputs: TensorJson[];
  args: unknown[];
  kwargs: Record<string, unknown>;
  rtol: number;
  atol: number;
  error?: ErrorJson;
  outs?: TensorJson[];
  upstream?: TensorJson[];
  grads?: (TensorJson | null)[];
}

interface ModuleCase {
  group: string;
  name: string;
  seed: number;
  train: boolean;
  calls: number;
  /** Whether the floating inputs require grad. */
  grad: boolean;
  inputs: TensorJson[];
  rtol: number;
  atol: number;
  error?: ErrorJson;
  at?: 'construct' | 'forward';
  repr?: string;
  state?: Record<string, TensorJson>;
  out?: TensorJson;
  after?: Record<string, TensorJson>;
  upstream?: TensorJson;
  grads?: (TensorJson | null)[];
  paramGrads?: Record<string, TensorJson | null>;
}

const fixture = loadFixture<Case>('layers.json') as { torch: string; cases: Case[]; modules: ModuleCase[] };

type Kw = Record<string, unknown>;
type Result = Tensor | Tensor[];
const num = (a: unknown): number => (typeof a === 'string' ? decode(a) : (a as number));

// The torchlet spelling of each op of the generator's OPS table; keywords arrive camelCased.
const OPS: Record<string, (t: Tensor[], a: unknown[], k: Kw) => Result> = {
  hardtanh: ([x], a) => F.hardtanh(x!, ...(a as number[])),
  relu6: ([x]) => F.relu6(x!),
  hardsigmoid: ([x]) => F.hardsigmoid(x!),
  hardswish: ([x]) => F.hardswish(x!),
  mish: ([x]) => F.mish(x!),
  selu: ([x]) => F.selu(x!),
  celu: ([x], a) => F.celu(x!, ...(a as number[])),
  glu: ([x], a) => F.glu(x!, ...(a as number[])),
  logsigmoid: ([x]) => F.logsigmoid(x!),
  softsign: ([x]) => F.softsign(x!),
  tanhshrink: ([x]) => F.tanhshrink(x!),
  softshrink: ([x], a) => F.softshrink(x!, ...(a as number[])),
  hardshrink: ([x], a) => F.hardshrink(x!, ...(a as number[])),
  threshold: ([x], [t, v]) => F.threshold(x!, t as number, v as number),
  softmin: ([x], [d]) => F.softmin(x!, d as number),
  prelu: ([x, w]) => F.prelu(x!, w!),
  cosineSimilarity: ([a, b], _a, k) => F.cosineSimilarity(a!, b!, k),
  pairwiseDistance: ([a, b], _a, k) => F.pairwiseDistance(a!, b!, { ...k, p: k.p === undefined ? undefined : num(k.p) }),
  pixelShuffle: ([x], [r]) => F.pixelShuffle(x!, r as number),
  pixelUnshuffle: ([x], [r]) => F.pixelUnshuffle(x!, r as number),
  interpolate: ([x], _a, k) => F.interpolate(x!, k),
  embeddingBag: ([x, w], _a, k) => F.embeddingBag(x!, w!, k),
  instanceNorm: ([x], _a, k) => F.instanceNorm(x!, k),
  adaptiveAvgPool1d: ([x], [s]) => F.adaptiveAvgPool1d(x!, s as number),
  adaptiveMaxPool1d: ([x], [s], k) => (k.returnIndices ? F.adaptiveMaxPool1d(x!, s as number, true) : F.adaptiveMaxPool1d(x!, s as number)),
  pad: ([x], [p, mode]) => F.pad(x!, p as number[], mode as 'reflect'),
};

const camel = (s: string): string => s.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
const escape = (t: string): string => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function label(c: Case): string {
  const kw = Object.keys(c.kwargs).length ? ` ${JSON.stringify(c.kwargs)}` : '';
  return `${c.op}(${c.inputs.map((i) => `${i.dtype}[${i.shape.join(',')}]${i.steps ? '*' : ''}`).join(', ')}; ${JSON.stringify(c.args)}${kw})`;
}

function check(c: Case): void {
  const leaves: Tensor[] = [];
  const inputs = c.inputs.map((spec) => build(spec, (base): void => void leaves.push(base)));
  const kw: Kw = {};
  for (const [k, v] of Object.entries(c.kwargs)) kw[camel(k)] = v && typeof v === 'object' && 't' in (v as object) ? inputs[(v as { t: number }).t] : v;
  const run = (): Result => OPS[c.op]!(inputs, c.args.map((a) => (typeof a === 'string' && /^-?inf$|^nan$/.test(a) ? decode(a) : a)), kw);
  if (c.error) {
    expectError(run, c.error.type, new RegExp(`^${c.op}_?\\b.*${escape(c.error.key)}`));
    return;
  }
  const r = run();
  const outs = r instanceof torch.Tensor ? [r] : r;
  expect(outs.length).toBe(c.outs!.length);
  outs.forEach((o, i) => expectClose(o, c.outs![i]!, c.rtol, c.atol, `output ${i}`));
  if (!c.grads) return;
  const diff = outs.filter((o) => o.requiresGrad);
  const gs = torch.autograd.grad(diff, leaves, { gradOutputs: c.upstream!.map((u) => build(u)), allowUnused: true });
  c.grads.forEach((w, i) => {
    if (w) expectClose(gs[i]!, w, c.rtol, c.atol, `gradient ${i}`);
    else expect(gs[i]).toBeNull();
  });
}

describe('the remaining layers as functions, against PyTorch', () => describeGroups(fixture, label, check));

// The same keys as the generator's FACTORIES.
const FACTORIES: Record<string, () => torch.nn.Module> = {
  'Hardtanh()': () => new nn.Hardtanh(),
  'Hardtanh(-2, 0.5, inplace)': () => new nn.Hardtanh(-2, 0.5, true),
  'Hardtanh(1, 1)': () => new nn.Hardtanh(1, 1),
  'ReLU6()': () => new nn.ReLU6(),
  'ReLU6(inplace)': () => new nn.ReLU6(true),
  'Hardsigmoid()': () => new nn.Hardsigmoid(),
  'Hardswish(inplace)': () => new nn.Hardswish(true),
  'Mish()': () => new nn.Mish(),
  'SELU()': () => new nn.SELU(),
  'CELU(2)': () => new nn.CELU(2),
  'GLU()': () => new nn.GLU(),
  'GLU(1)': () => new nn.GLU(1),
  'LogSigmoid()': () => new nn.LogSigmoid(),
  'Softsign()': () => new nn.Softsign(),
  'Tanhshrink()': () => new nn.Tanhshrink(),
  'Softshrink()': () => new nn.Softshrink(),
  'Hardshrink(1.5)': () => new nn.Hardshrink(1.5),
  'Threshold(0.1, 20)': () => new nn.Threshold(0.1, 20),
  'Softmin(1)': () => new nn.Softmin(1),
  'PReLU()': () => new nn.PReLU(),
  'PReLU(3, 0.1)': () => new nn.PReLU(3, 0.1),
  'ReLU(inplace)': () => new nn.ReLU(true),
  'LeakyReLU(0.2, inplace)': () => new nn.LeakyReLU(0.2, true),
  'ELU(1, inplace)': () => new nn.ELU(1, true),
  'SiLU(inplace)': () => new nn.SiLU(true),
  'CosineSimilarity()': () => new nn.CosineSimilarity(),
  'CosineSimilarity(0, 0.5)': () => new nn.CosineSimilarity(0, 0.5),
  'PairwiseDistance()': () => new nn.PairwiseDistance(),
  'PairwiseDistance(1, 0, keepdim)': () => new nn.PairwiseDistance(1, 0, true),
  'PixelShuffle(2)': () => new nn.PixelShuffle(2),
  'PixelUnshuffle(2)': () => new nn.PixelUnshuffle(2),
  'ConstantPad1d(2, 3.5)': () => new nn.ConstantPad1d(2, 3.5),
  'ConstantPad2d([1, 0, 2, 1], -1)': () => new nn.ConstantPad2d([1, 0, 2, 1], -1),
  'ConstantPad3d(1, 0)': () => new nn.ConstantPad3d(1, 0),
  'ZeroPad2d(1)': () => new nn.ZeroPad2d(1),
  'ReflectionPad1d([2, 1])': () => new nn.ReflectionPad1d([2, 1]),
  'ReflectionPad2d(1)': () => new nn.ReflectionPad2d(1),
  'ReflectionPad1d(3)': () => new nn.ReflectionPad1d(3),
  'ReplicationPad1d([1, 3])': () => new nn.ReplicationPad1d([1, 3]),
  'ReplicationPad2d([2, 0, 1, 3])': () => new nn.ReplicationPad2d([2, 0, 1, 3]),
  'Upsample(scale 2)': () => new nn.Upsample({ scaleFactor: 2 }),
  'Upsample(size [3, 5], bilinear)': () => new nn.Upsample({ size: [3, 5], mode: 'bilinear' }),
  'Upsample(scale 1.5, linear, alignCorners)': () => new nn.Upsample({ scaleFactor: 1.5, mode: 'linear', alignCorners: true }),
  'UpsamplingNearest2d(size 5)': () => new nn.UpsamplingNearest2d({ size: 5 }),
  'UpsamplingBilinear2d(scale 2)': () => new nn.UpsamplingBilinear2d({ scaleFactor: 2 }),
  'InstanceNorm1d(3)': () => new nn.InstanceNorm1d(3),
  'InstanceNorm1d(3, affine, track)': () => new nn.InstanceNorm1d(3, 1e-5, 0.1, true, true),
  'InstanceNorm2d(2, eps 0.1, momentum 0.3, track)': () => new nn.InstanceNorm2d(2, 0.1, 0.3, false, true),
  'InstanceNorm2d(2, affine)': () => new nn.InstanceNorm2d(2, 1e-5, 0.1, true),
  'LayerNorm(4, no affine)': () => new nn.LayerNorm(4, 1e-5, false),
  'EmbeddingBag(6, 3)': () => new nn.EmbeddingBag(6, 3),
  'EmbeddingBag(6, 3, sum, padding 2)': () => new nn.EmbeddingBag(6, 3, { mode: 'sum', paddingIdx: 2 }),
  'EmbeddingBag(6, 3, max, lastOffset)': () => new nn.EmbeddingBag(6, 3, { mode: 'max', includeLastOffset: true }),
  'EmbeddingBag(6, 3, mean, padding -1)': () => new nn.EmbeddingBag(6, 3, { paddingIdx: -1 }),
  'MaxPool1d(3)': () => new nn.MaxPool1d(3),
  'MaxPool1d(2, stride 1, padding 1, ceil)': () => new nn.MaxPool1d(2, { stride: 1, padding: 1, ceilMode: true }),
  'AvgPool1d(3, 2, 1)': () => new nn.AvgPool1d(3, { stride: 2, padding: 1 }),
  'AvgPool1d(2, ceil, no pad count)': () => new nn.AvgPool1d(3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
  'AdaptiveMaxPool2d([2, 3])': () => new nn.AdaptiveMaxPool2d([2, 3]),
  'AdaptiveMaxPool2d(2)': () => new nn.AdaptiveMaxPool2d(2),
  'AdaptiveAvgPool1d(3)': () => new nn.AdaptiveAvgPool1d(3),
  'AdaptiveMaxPool1d(2)': () => new nn.AdaptiveMaxPool1d(2),
};

// Running statistics are float32 sums of a few terms: a few ulp from PyTorch's.
function expectState(got: torch.nn.Module, want: Record<string, TensorJson>, tol: number, what: string): void {
  const state = Object.fromEntries(got.stateDict());
  expect(Object.keys(state)).toEqual(Object.keys(want));
  for (const [k, v] of Object.entries(want)) expectClose(state[k]!, v, tol, tol, `${what} ${k}`);
}

function checkModule(c: ModuleCase): void {
  torch.manualSeed(c.seed);
  const leaves: Tensor[] = [];
  const inputs = c.inputs.map((spec) => build(spec, c.grad ? (base): void => void leaves.push(base) : undefined));
  if (c.error && c.at === 'construct') {
    const name = c.name.replace(/\(.*$/, '');
    expectError(FACTORIES[c.name]!, c.error.type, new RegExp(`^${name}\\b.*${escape(c.error.key)}`));
    return;
  }
  const m = FACTORIES[c.name]!();
  expect(m.toString()).toBe(c.repr);
  // nn.Embedding's N(0, 1) draws take PyTorch's vectorised normal kernel: a few ulp.
  expectState(m, c.state!, 1e-6, 'initial');
  m.train(c.train);
  const forward = (): Tensor => (m.forward as (...a: Tensor[]) => Tensor)(...inputs);
  if (c.error) {
    expectError(forward, c.error.type, new RegExp(`${escape(c.error.key)}`));
    return;
  }
  let out = forward();
  for (let i = 1; i < c.calls; i++) out = forward();
  expectClose(out, c.out!, c.rtol, c.atol, 'output');
  expectState(m, c.after!, 1e-6, 'after forward');
  if (!c.grads) {
    expect(out.requiresGrad).toBe(false);
    return;
  }
  const params = [...m.namedParameters()];
  const gs = torch.autograd.grad([out], [...leaves, ...params.map(([, p]) => p)], { gradOutputs: [build(c.upstream!)], allowUnused: true });
  c.grads.forEach((w, i) => w && expectClose(gs[i]!, w, c.rtol, c.atol, `input gradient ${i}`));
  expect(params.map(([k]) => k)).toEqual(Object.keys(c.paramGrads!));
  params.forEach(([k], i) => {
    const w = c.paramGrads![k];
    if (w) expectClose(gs[leaves.length + i]!, w, c.rtol, c.atol, `gradient of ${k}`);
  });
}

describe('the remaining layers as modules, against PyTorch', () => {
  for (const group of [...new Set(fixture.modules.map((c) => c.group))]) {
    describe(group, () => {
      for (const c of fixture.modules.filter((k) => k.group === group)) {
        test(`${c.name} on ${c.inputs.map((i) => `${i.dtype}[${i.shape.join(',')}]`).join(', ')}${c.train ? '' : ' (eval)'}${c.grad ? '' : ' (no grad)'}${c.error ? ' (error)' : ''}${c.calls > 1 ? ` x${c.calls}` : ''}`, () => checkModule(c));
      }
    });
  }
});

describe('inplace activations', () => {
  test('write into an untracked input and return it; a tracked input keeps its value', () => {
    const x = torch.tensor([-1, 2, 7]);
    expect(F.relu6(x, true)).toBe(x);
    expect(x.tolist()).toEqual([0, 2, 6]);
    const y = torch.tensor([-1, 2]);
    expect(new nn.ReLU(true).forward(y)).toBe(y);
    expect(y.tolist()).toEqual([0, 2]);
    const leaf = torch.tensor([-1, 2]).requiresGrad_();
    const tracked = leaf.mul(1);
    const out = F.hardtanh(tracked, -0.5, 0.5, true);
    expect(out).not.toBe(tracked);
    expect(tracked.tolist()).toEqual([-1, 2]);
    expect(out.tolist()).toEqual([-0.5, 0.5]);
    out.backward(torch.ones(2));
    expect(leaf.grad!.tolist()).toEqual([0, 0]);
    expect(() => F.hardtanh(leaf, -0.5, 0.5, true)).toThrow(/^hardtanh_: a leaf Variable that requires grad/);
    expect(() => F.relu(torch.ones(1).expand([3]), true)).toThrow(/^relu_: unsupported operation: more than one element/);
  });
});

test('an empty pixelUnshuffle input is rearranged (PyTorch 1.13 returns it unchanged)', () => {
  expect(F.pixelUnshuffle(torch.zeros(0, 1, 2, 2), 2).shape).toEqual([0, 4, 1, 1]);
  expect(F.pixelUnshuffle(torch.zeros(2, 0, 4, 6), 2).shape).toEqual([2, 0, 2, 3]);
});

describe('argument checks name the op', () => {
  test.each([
    ['interpolate mode', () => F.interpolate(torch.ones(1, 1, 2), { size: 3, mode: 'bicubic' as 'linear' }), 'RangeError', /^interpolate: unsupported mode/],
    ['interpolate options', () => F.interpolate(torch.ones(1, 1, 2), 3 as unknown as object), 'TypeError', /^interpolate: expected an options object/],
    ['embeddingBag weight', () => F.embeddingBag(torch.tensor([0], { dtype: 'int64' }), torch.ones(3), { offsets: torch.tensor([0], { dtype: 'int64' }) }), 'RangeError', /^embeddingBag: 'weight' must be 2-D/],
    ['embeddingBag indices', () => F.embeddingBag(torch.ones(1, 2), torch.ones(3, 2)), 'TypeError', /^embeddingBag: Expected tensor for argument #1 'indices'/],
    ['prelu weight', () => F.prelu(torch.ones(2), 0.25 as unknown as Tensor), 'TypeError', /^prelu: expected a Tensor for 'weight'/],
    ['pixelShuffle factor', () => F.pixelShuffle(torch.ones(1, 4, 2, 2), 1.5), 'RangeError', /^pixelShuffle: expected an integer for 'upscaleFactor'/],
    ['pairwiseDistance keepdim', () => F.pairwiseDistance(torch.ones(2), torch.ones(2), { keepdim: 1 as unknown as boolean }), 'TypeError', /^pairwiseDistance: expected a boolean for 'keepdim'/],
    ['ConstantPad2d padding', () => new nn.ConstantPad2d([1, 2], 0), 'TypeError', /^ConstantPad2d: expected an integer or an array of 4 integers for 'padding'/],
    ['EmbeddingBag mode', () => new nn.EmbeddingBag(3, 2, { mode: 'min' as 'max' }), 'RangeError', /^EmbeddingBag: mode has to be one of sum, mean or max/],
    ['PReLU numParameters', () => new nn.PReLU(0), 'RangeError', /^PReLU: expected an integer >= 1 for 'numParameters'/],
    ['relu inplace', () => F.relu(torch.ones(2), 'yes' as unknown as boolean), 'TypeError', /^relu: expected a boolean for 'inplace'/],
  ] as const)('%s', (_name, fn, type, message) => expectError(fn, type, message));
});

describe('gradients of gradients (finite differences, float64)', () => {
  const f64 = (...shape: number[]): Tensor => torch.randn(shape, { dtype: 'float64' }).mul(2).requiresGrad_();
  // The gradient of fn at x for the upstream g, kept differentiable: gradcheck then checks its Jacobian in x and g.
  // gradcheck evaluates fn under noGrad for its finite differences: the inner gradient needs grad mode back on.
  const gradOf = (fn: (...xs: Tensor[]) => Tensor, n: number) => (...args: Tensor[]): Tensor[] =>
    torch.enableGrad(() => {
      const xs = args.slice(0, n);
      const out = fn(...xs);
      return torch.autograd.grad([out], xs, { gradOutputs: [args[n]!], createGraph: true, allowUnused: true }).map((g, i) => g ?? xs[i]!.mul(0));
    });
  const cases: [string, (...xs: Tensor[]) => Tensor, number[][]][] = [
    ['hardswish', (x) => F.hardswish(x), [[3, 4]]],
    ['hardsigmoid', (x) => F.hardsigmoid(x), [[3, 4]]],
    ['mish', (x) => F.mish(x), [[3, 4]]],
    ['selu', (x) => F.selu(x), [[3, 4]]],
    ['celu', (x) => F.celu(x, 1.5), [[3, 4]]],
    ['softshrink', (x) => F.softshrink(x, 0.3), [[3, 4]]],
    ['logsigmoid', (x) => F.logsigmoid(x), [[3, 4]]],
    ['glu', (x) => F.glu(x, 1), [[3, 4]]],
    ['prelu', (x, w) => F.prelu(x, w), [[2, 3, 2], [3]]],
    ['cosineSimilarity', (a, b) => F.cosineSimilarity(a, b), [[3, 4], [3, 4]]],
    ['pairwiseDistance p 3', (a, b) => F.pairwiseDistance(a, b, { p: 3 }), [[3, 4], [3, 4]]],
    ['pairwiseDistance p 2', (a, b) => F.pairwiseDistance(a, b), [[3, 4], [3, 4]]],
    ['interpolate bilinear', (x) => F.interpolate(x, { size: [3, 5], mode: 'bilinear' }), [[1, 2, 2, 3]]],
    ['interpolate linear alignCorners', (x) => F.interpolate(x, { scaleFactor: 1.5, mode: 'linear', alignCorners: true }), [[1, 2, 4]]],
    ['interpolate nearest', (x) => F.interpolate(x, { size: [3, 4] }), [[1, 1, 2, 3]]],
    ['pixelShuffle', (x) => F.pixelShuffle(x, 2), [[1, 4, 2, 3]]],
    ['instanceNorm', (x, w) => F.instanceNorm(x, { weight: w }), [[2, 3, 4], [3]]],
  ];
  test.each(cases)('%s', (_name, fn, shapes) => {
    torch.manualSeed(5);
    const xs = shapes.map((s) => f64(...s));
    expect(torch.autograd.gradcheck(fn, xs)).toBe(true);
    const out = fn(...xs);
    const g = torch.randn(out.shape, { dtype: 'float64' }).requiresGrad_();
    expect(torch.autograd.gradcheck(gradOf(fn, xs.length), [...xs, g])).toBe(true);
  });

  test('embeddingBag: weight and per-sample weights', () => {
    torch.manualSeed(6);
    const idx = torch.tensor([0, 2, 2, 4, 1], { dtype: 'int64' });
    const offsets = torch.tensor([0, 2, 2], { dtype: 'int64' });
    const w = f64(5, 3);
    const psw = f64(5);
    for (const mode of ['sum', 'mean', 'max'] as const) {
      expect(torch.autograd.gradcheck((weight: Tensor) => F.embeddingBag(idx, weight, { offsets, mode, paddingIdx: 4 }), [w])).toBe(true);
    }
    expect(torch.autograd.gradcheck((weight: Tensor, p: Tensor) => F.embeddingBag(idx, weight, { offsets, mode: 'sum', perSampleWeights: p }), [w, psw])).toBe(true);
  });
});
