/**
 * Second derivatives of convolution and pooling against PyTorch (test/fixtures/conv_grad2.json, written by
 * scripts/gen_conv_fixtures.py), gradgradcheck by finite differences in float64, and convTranspose2d's
 * output_padding rule with PyTorch's messages.
 */
import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import { build, decode, expectClose, loadFixture } from '../helpers/fixtures';
import type { TensorJson } from '../helpers/fixtures';
import { expectError } from '../helpers/errors';

const F = torch.nn.functional;

interface PerInput {
  grad: TensorJson;
  v: TensorJson;
  gradGrad: TensorJson | null;
}
interface Grad2Case {
  name: string;
  kind: string;
  kwargs: Record<string, unknown>;
  inputs: (TensorJson | null)[];
  out: TensorJson;
  upstream: TensorJson;
  perInput: (PerInput | null)[];
  upstreamGradGrad: TensorJson | null;
}
interface OutputPaddingCase {
  stride: number | [number, number];
  dilation: number | [number, number];
  output_padding: number | [number, number];
  shape?: number[];
  error?: string;
}
const fx = loadFixture<Grad2Case>('conv_grad2.json') as ReturnType<typeof loadFixture<Grad2Case>> & {
  outputPadding: OutputPaddingCase[];
  gradientPenalty: { init: Record<string, TensorJson>; x: TensorJson; gx: TensorJson; penalty: TensorJson; xGrad: TensorJson; paramGrads: Record<string, TensorJson | null> };
  gradFnNames: Record<string, [string, string]>;
  sweepErrors: { name: string; kind: string; kwargs: Record<string, unknown>; shapes: number[][]; bias: boolean; error: string }[];
  issueExample: { x: TensorJson; w: TensorJson; gx: TensorJson; xGrad: TensorJson | null; wGrad: TensorJson };
  errors: Record<string, string>;
};

type Pair = number | [number, number];
type Call = (t: (Tensor | null)[], k: Record<string, unknown>) => Tensor;
const n = (v: unknown): number => v as number;
const p = (v: unknown): Pair => v as Pair;
const first = (r: Tensor | Tensor[]): Tensor => (Array.isArray(r) ? r[0]! : r);
const CALLS: Record<string, Call> = {
  conv2d: ([x, w, b], k) => F.conv2d(x!, w!, b, { stride: p(k.stride), padding: k.padding as Pair, dilation: p(k.dilation), groups: n(k.groups) }),
  conv1d: ([x, w, b], k) => F.conv1d(x!, w!, b, { stride: n(k.stride), padding: k.padding as number, dilation: n(k.dilation), groups: n(k.groups) }),
  convTranspose2d: ([x, w, b], k) =>
    F.convTranspose2d(x!, w!, b, { stride: p(k.stride), padding: p(k.padding), outputPadding: p(k.output_padding), groups: n(k.groups), dilation: p(k.dilation) }),
  maxPool2d: ([x], k) => F.maxPool2d(x!, p(k.kernel_size), { stride: k.stride as Pair | null, padding: p(k.padding), dilation: p(k.dilation), ceilMode: k.ceil_mode as boolean }),
  avgPool2d: ([x], k) =>
    F.avgPool2d(x!, p(k.kernel_size), {
      stride: k.stride as Pair | null,
      padding: p(k.padding),
      ceilMode: k.ceil_mode as boolean,
      countIncludePad: k.count_include_pad as boolean,
      divisorOverride: k.divisor_override as number | null,
    }),
  maxPool1d: ([x], k) => first(F.maxPool1d(x!, n(k.kernel_size), { stride: n(k.stride), padding: n(k.padding) })),
  avgPool1d: ([x], k) => F.avgPool1d(x!, n(k.kernel_size), { stride: n(k.stride), padding: n(k.padding) }),
  adaptiveAvgPool2d: ([x], k) => F.adaptiveAvgPool2d(x!, k.output_size as [number, number]),
  adaptiveMaxPool2d: ([x], k) => first(F.adaptiveMaxPool2d(x!, k.output_size as [number, number])),
};

/** PyTorch gives zeros where torchlet's graph has no path (a null gradient): only all-zero expectations allow null. */
function expectGradGrad(actual: Tensor | null, expected: TensorJson | null, tol: number, label: string): void {
  if (expected === null) {
    expect(actual).toBeNull();
    return;
  }
  if (actual === null) {
    expect({ label, values: expected.data.map(decode).filter((v) => v !== 0) }).toEqual({ label, values: [] });
    return;
  }
  expectClose(actual, expected, tol, tol, label);
}

describe(`second derivatives against PyTorch ${fx.torch}`, () => {
  test.each(fx.cases.map((c) => [c.name, c] as const))('%s', (name, c) => {
    const float64 = name.endsWith('float64');
    const [outTol, gradTol] = float64 ? [1e-11, 1e-10] : [1e-5, 1e-4];
    const leaves = c.inputs.map((i) => (i ? build(i).requiresGrad_() : null));
    const up = build(c.upstream).requiresGrad_();
    const out = CALLS[c.kind]!(leaves, c.kwargs);
    expectClose(out, c.out, outTol, outTol, 'output');
    const live = leaves.filter((l): l is Tensor => l !== null);
    const grads = torch.autograd.grad(out, live, { gradOutputs: [up], createGraph: true });
    const per = c.perInput.filter((q): q is PerInput => q !== null);
    // The sum <grad_i, v_i> over the first derivatives that depend on anything, as the generator forms it.
    let total: Tensor | null = null;
    grads.forEach((g, i) => {
      expectClose(g!, per[i]!.grad, gradTol, gradTol, `grad ${i}`);
      if (!g!.requiresGrad) return;
      const term = g!.mul(build(per[i]!.v)).sum();
      total = total ? total.add(term) : term;
    });
    expect(total).not.toBeNull();
    const second = torch.autograd.grad(total!, [...live, up], { allowUnused: true });
    live.forEach((_, i) => expectGradGrad(second[i]!, per[i]!.gradGrad, gradTol, `grad of grad ${i}`));
    expectGradGrad(second[live.length]!, c.upstreamGradGrad, gradTol, 'grad of grad of the incoming gradient');
  });

  test('the issue\'s example: backward through the input gradient of conv2d reaches the weight', () => {
    const e = fx.issueExample;
    const x = build(e.x).requiresGrad_();
    const w = build(e.w).requiresGrad_();
    const [gx] = torch.autograd.grad(F.conv2d(x, w).sum(), [x], { createGraph: true });
    expect(gx!.gradFn?.name).toBe('ConvolutionBackwardBackward0');
    expectClose(gx!, e.gx, 1e-5, 1e-5, 'gx');
    gx!.pow(2).sum().backward();
    expectClose(w.grad!, e.wGrad, 1e-4, 1e-4, 'w.grad');
    // gx does not depend on x (the convolution is linear in x): PyTorch leaves x.grad unset.
    expect(e.xGrad).toBeNull();
    expect(x.grad).toBeNull();
  });

  test.each(Object.entries(fx.gradFnNames))('%s records PyTorch\'s node names, its input gradient too', (kind, [outName, gradName]) => {
    const x = torch.randn(1, 2, 5, 5).requiresGrad_();
    const ops: Record<string, (t: Tensor) => Tensor> = {
      conv2d: (t) => F.conv2d(t, torch.ones(3, 2, 3, 3)),
      convTranspose2d: (t) => F.convTranspose2d(t, torch.ones(2, 3, 3, 3)),
      avgPool2d: (t) => F.avgPool2d(t, 2),
      adaptiveAvgPool2d: (t) => F.adaptiveAvgPool2d(t, [2, 3]),
      maxPool2d: (t) => F.maxPool2d(t, 2),
      adaptiveMaxPool2d: (t) => first(F.adaptiveMaxPool2d(t, [2, 3])),
    };
    const y = ops[kind]!(x);
    const [gx] = torch.autograd.grad(y, [x], { gradOutputs: [torch.ones(...y.shape).requiresGrad_()], createGraph: true });
    expect([y.gradFn?.name, gx!.gradFn?.name]).toEqual([outName, gradName]);
  });

  test('a gradient penalty through convolution and pooling layers reaches every parameter, as PyTorch', () => {
    const e = fx.gradientPenalty;
    const { nn } = torch;
    torch.manualSeed(11);
    const model = new nn.Sequential(
      new nn.Conv2d(2, 3, 3, { padding: 1 }), new nn.Tanh(), new nn.MaxPool2d(2),
      new nn.ConvTranspose2d(3, 2, 3, { dilation: 2, outputPadding: 1 }), new nn.Tanh(), new nn.AvgPool2d(2, { ceilMode: true }),
      new nn.Conv2d(2, 2, 2, { stride: 2, groups: 2 }),
    );
    // The same initial parameters as PyTorch under the same seed.
    for (const [k, v] of model.stateDict()) expectClose(v.detach().clone(), e.init[k]!, 0, 0, `init ${k}`);
    const x = build(e.x).requiresGrad_();
    const [gx] = torch.autograd.grad(model.forward(x).sum(), [x], { createGraph: true });
    expectClose(gx!, e.gx, 1e-5, 1e-5, 'gx');
    const penalty = gx!.pow(2).sum();
    expectClose(penalty, e.penalty, 1e-5, 1e-5, 'penalty');
    penalty.backward();
    expectClose(x.grad!, e.xGrad, 1e-4, 1e-4, 'x.grad');
    // The last layer's bias does not enter d sum / dx: no gradient in PyTorch, none here.
    expect(Object.keys(e.paramGrads).filter((k) => e.paramGrads[k] === null)).toEqual(['6.bias']);
    for (const [k, p] of model.namedParameters()) {
      const want = e.paramGrads[k]!;
      if (want === null) expect(p.grad).toBeNull();
      else expectClose(p.grad!, want, 1e-4, 1e-4, `grad ${k}`);
    }
  });
});

/**
 * torch.autograd.gradgradcheck: gradcheck of (inputs, gradOutput) -> the first derivatives, built with createGraph,
 * with a random float64 gradOutput shaped like fn's output.
 */
function gradgradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): boolean {
  const count = inputs.length;
  const upstream = torch.randn(fn(...inputs).shape, { dtype: 'float64' }).requiresGrad_();
  const firstDerivatives = (...args: Tensor[]): Tensor[] =>
    // gradcheck perturbs under no-grad; the first derivatives must still be recorded to be taken.
    torch.enableGrad(() => {
      const xs = args.slice(0, count);
      const gs = torch.autograd.grad(fn(...xs), xs, { gradOutputs: [args[count]!], createGraph: true, allowUnused: true });
      return gs.filter((g): g is Tensor => g !== null);
    });
  return torch.autograd.gradcheck(firstDerivatives as never, [...inputs, upstream]);
}

describe('gradgradcheck (finite differences of the first derivatives) in float64', () => {
  const rand = (...shape: number[]): Tensor => torch.randn(shape, { dtype: 'float64' }).requiresGrad_();
  beforeEach(() => torch.manualSeed(0));
  const cases: [string, () => boolean][] = [
    ['conv2d stride 2 padding 1 dilation 2 groups 2 with bias', () => {
      const f = (x: Tensor, w: Tensor, b: Tensor): Tensor => F.conv2d(x, w, b, { stride: 2, padding: 1, dilation: [2, 1], groups: 2 });
      return gradgradcheck(f, [rand(1, 4, 6, 5), rand(2, 2, 2, 3), rand(2)]);
    }],
    ['conv1d same', () => gradgradcheck((x: Tensor, w: Tensor) => F.conv1d(x, w, null, { padding: 'same' }), [rand(1, 2, 5), rand(3, 2, 2)])],
    ['convTranspose2d stride 2 outputPadding 1 groups 2', () => {
      const f = (x: Tensor, w: Tensor, b: Tensor): Tensor => F.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1, groups: 2 });
      return gradgradcheck(f, [rand(1, 2, 2, 3), rand(2, 1, 3, 2), rand(2)]);
    }],
    ['convTranspose2d outputPadding 2 beyond stride 1 (dilation 3)', () => {
      const f = (x: Tensor, w: Tensor, b: Tensor): Tensor => F.convTranspose2d(x, w, b, { outputPadding: 2, dilation: 3 });
      return gradgradcheck(f, [rand(1, 1, 2, 2), rand(1, 2, 2, 2), rand(2)]);
    }],
    ['maxPool2d ceilMode padding', () => gradgradcheck((x: Tensor) => F.maxPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }), [rand(1, 2, 5, 6)])],
    ['avgPool2d ceilMode countIncludePad false', () => {
      const f = (x: Tensor): Tensor => F.avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false });
      return gradgradcheck(f, [rand(1, 2, 5, 6)]);
    }],
    ['avgPool2d divisorOverride', () => gradgradcheck((x: Tensor) => F.avgPool2d(x, 2, { stride: 1, divisorOverride: 3 }), [rand(1, 1, 3, 4)])],
    ['adaptiveAvgPool2d', () => gradgradcheck((x: Tensor) => F.adaptiveAvgPool2d(x, [2, 3]), [rand(1, 2, 5, 4)])],
  ];
  test.each(cases)('%s', (_name, run) => expect(run()).toBe(true));

  test('gradgradcheck catches a wrong second derivative (the check can fail)', () => {
    // x * x with one factor computed outside the graph: the recorded first derivative misses its x-dependence.
    const broken = (x: Tensor): Tensor => x.mul(torch.noGrad(() => x.mul(1)));
    expect(() => gradgradcheck(broken, [rand(3)])).toThrow(/Jacobian mismatch/);
  });
});

describe('convTranspose2d output_padding: legal below max(stride, dilation) per dim, as PyTorch', () => {
  test.each(fx.outputPadding.map((c) => [JSON.stringify(c).slice(0, 80), c] as const))('%s', (_name, c) => {
    const run = (): Tensor => F.convTranspose2d(torch.zeros(1, 2, 4, 4), torch.zeros(2, 3, 3, 3), null, { stride: c.stride, dilation: c.dilation, outputPadding: c.output_padding });
    if (c.error) expectError(run, 'RangeError', new RegExp(`^convTranspose2d: ${escape(c.error)}$`));
    else expect(run().shape).toEqual(c.shape);
  });
});

function escape(s: string): string {
  return s.replace(/[[\]().*+?^$|{}\\]/g, '\\$&');
}

describe('convolution argument errors in PyTorch\'s words', () => {
  const cases: [string, string, () => unknown][] = [
    ['outputTooSmall', 'convTranspose2d', () => F.convTranspose2d(torch.zeros(1, 4, 1, 1), torch.zeros(4, 3, 3, 3), null, { padding: 2 })],
    ['transposeGroups', 'convTranspose2d', () => F.convTranspose2d(torch.zeros(1, 4, 4, 4), torch.zeros(4, 3, 3, 3), null, { groups: 3 })],
    ['transposeGroupsNonPositive', 'convTranspose2d', () => F.convTranspose2d(torch.zeros(1, 4, 4, 4), torch.zeros(4, 3, 3, 3), null, { groups: 0 })],
    ['transposeBias', 'convTranspose2d', () => F.convTranspose2d(torch.zeros(1, 4, 4, 4), torch.zeros(4, 3, 1, 1), torch.zeros(3), { groups: 2 })],
    ['transposeChannels', 'convTranspose2d', () => F.convTranspose2d(torch.zeros(1, 2, 4, 4), torch.zeros(4, 3, 1, 1))],
    ['conv2dGroups', 'conv2d', () => F.conv2d(torch.zeros(1, 4, 5, 5), torch.zeros(3, 2, 3, 3), null, { groups: 2 })],
    ['conv2dBias', 'conv2d', () => F.conv2d(torch.zeros(1, 2, 6, 6), torch.zeros(4, 2, 3, 3), torch.zeros(3))],
    ['conv2dSameStrided', 'conv2d', () => F.conv2d(torch.zeros(1, 2, 6, 6), torch.zeros(4, 2, 3, 3), null, { stride: 2, padding: 'same' })],
    ['conv1dChannels', 'conv1d', () => F.conv1d(torch.zeros(1, 2, 6), torch.zeros(4, 3, 3))],
    ['conv1dGroups', 'conv1d', () => F.conv1d(torch.zeros(1, 4, 6), torch.zeros(3, 2, 3), null, { groups: 2 })],
    ['conv1dKernelTooLarge', 'conv1d', () => F.conv1d(torch.zeros(1, 2, 3), torch.zeros(4, 2, 5))],
    ['conv1dBias', 'conv1d', () => F.conv1d(torch.zeros(1, 2, 6), torch.zeros(4, 2, 3), torch.zeros(3))],
    ['conv1dInputDims', 'conv1d', () => F.conv1d(torch.zeros(6), torch.zeros(4, 2, 3))],
    ['conv1dSameStrided', 'conv1d', () => F.conv1d(torch.zeros(1, 2, 6), torch.zeros(4, 2, 3), null, { stride: 2, padding: 'same' })],
    ['conv1dGroupsNonPositive', 'conv1d', () => F.conv1d(torch.zeros(1, 2, 6), torch.zeros(4, 2, 3), null, { groups: 0 })],
  ];
  test.each(cases)('%s', (key, op, run) => expectError(run, 'RangeError', new RegExp(`^${op}: ${escape(fx.errors[key]!)}$`)));
});

describe('geometries PyTorch refuses in the stride/padding/dilation sweep get its message', () => {
  test.each(fx.sweepErrors.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const [x, w, b] = c.shapes.map((shape) => torch.zeros(shape, { dtype: 'float64' }));
    expectError(() => CALLS[c.kind]!([x!, w!, c.bias ? b! : null], c.kwargs), 'RangeError', new RegExp(`^${c.kind}: ${escape(c.error)}$`));
  });
});
