/** Convolution, padding, pooling and normalization against PyTorch fixtures (values and gradients). */
import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import { build, expectClose, loadFixture } from '../helpers/fixtures';
import type { TensorJson } from '../helpers/fixtures';
import { expectError } from '../helpers/errors';

const { nn } = torch;
const F = nn.functional;

interface ConvCase {
  name: string;
  kind: string;
  kwargs: Record<string, unknown>;
  inputs: (TensorJson | null)[];
  outs: TensorJson[];
  upstream: TensorJson;
  grads: (TensorJson | null)[];
}
interface ModuleCase {
  name: string;
  seed: number;
  train: boolean;
  steps: number;
  init: Record<string, TensorJson>;
  input: TensorJson;
  out: TensorJson;
  upstream: TensorJson;
  inputGrad: TensorJson;
  paramGrads: Record<string, TensorJson>;
  state: Record<string, TensorJson>;
  repr: string;
  /** 'float64': built under torch.set_default_dtype(torch.float64). */
  default?: 'float64';
}
const fx = loadFixture<never>('conv.json') as unknown as { torch: string; cases: ConvCase[]; modules: ModuleCase[]; errors: Record<string, string> };

type Args = Record<string, unknown>;
const pairOrNull = (v: unknown): torch.Tensor | number | [number, number] | null => v as never;
const CALLS: Record<string, (t: (Tensor | null)[], k: Args) => Tensor | Tensor[]> = {
  conv2d: ([x, w, b], k) => F.conv2d(x!, w!, b, { stride: k.stride as number, padding: k.padding as number, dilation: k.dilation as number, groups: k.groups as number }),
  // Sizes as PyTorch's one-element tuples here; conv_grad2.test.ts replays conv1d with plain numbers.
  conv1d: ([x, w, b], k) => F.conv1d(x!, w!, b, { stride: [(k.stride as number | undefined) ?? 1], padding: k.padding as number, dilation: [(k.dilation as number | undefined) ?? 1], groups: k.groups as number }),
  convTranspose2d: ([x, w, b], k) =>
    F.convTranspose2d(x!, w!, b, { stride: k.stride as number, padding: k.padding as number, outputPadding: k.output_padding as number, groups: k.groups as number, dilation: k.dilation as number }),
  pad: ([x], k) => F.pad(x!, k.pad as number[], k.mode as 'constant', (k.value as number | undefined) ?? 0),
  maxPool2d: ([x], k) =>
    F.maxPool2d(x!, k.kernel_size as number, { stride: pairOrNull(k.stride) as number | null, padding: k.padding as number, dilation: k.dilation as number, ceilMode: k.ceil_mode as boolean, returnIndices: true }),
  maxPool1d: ([x], k) => {
    const r = F.maxPool1d(x!, k.kernel_size as number, { stride: k.stride as number | undefined, padding: k.padding as number | undefined, returnIndices: Boolean(k.return_indices) });
    return Array.isArray(r) ? r : [r];
  },
  avgPool2d: ([x], k) =>
    F.avgPool2d(x!, k.kernel_size as number, { stride: k.stride as number | null, padding: k.padding as number, ceilMode: k.ceil_mode as boolean, countIncludePad: k.count_include_pad as boolean, divisorOverride: k.divisor_override as number | null }),
  avgPool1d: ([x], k) => F.avgPool1d(x!, k.kernel_size as number, { stride: k.stride as number, padding: k.padding as number }),
  adaptiveAvgPool2d: ([x], k) => F.adaptiveAvgPool2d(x!, k.output_size as [number, number]),
  adaptiveMaxPool2d: ([x], k) => F.adaptiveMaxPool2d(x!, k.output_size as [number, number], true) as Tensor[],
};

describe(`convolution and pooling against PyTorch ${fx.torch}`, () => {
  test.each(fx.cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const leaves = c.inputs.map((i) => (i ? build(i).requiresGrad_() : null));
    // The 'transposed input' case feeds the same values through a non-contiguous (transposed) layout.
    const inputs = leaves.map((l, i) => (c.name.includes('transposed input') && i === 0 ? l!.transpose(2, 3).contiguous().transpose(2, 3) : l));
    const r = CALLS[c.kind]!(inputs, c.kwargs);
    const outs = Array.isArray(r) ? r : [r];
    // float64 cases are compared at float64 precision.
    const [out, grad] = c.name.endsWith('float64') ? [1e-11, 1e-10] : [1e-5, 1e-4];
    outs.forEach((o, i) => expectClose(o, c.outs[i]!, out, out, `output ${i}`));
    outs[0]!.backward(build(c.upstream));
    c.grads.forEach((g, i) => g && expectClose(leaves[i]!.grad!, g, grad, grad, `grad ${i}`));
    if (c.name.includes('transposed input')) expect(inputs[0]!.isContiguous()).toBe(false);
  });
});

const MODULES: Record<string, () => torch.nn.Module> = {
  Conv2d: () => new nn.Conv2d(3, 8, 3, { padding: 1 }),
  'Conv2d fan_in 27 bias bound': () => new nn.Conv2d(3, 4, 3),
  'Conv2d groups dilation no bias': () => new nn.Conv2d(4, 8, [3, 2], { stride: 2, dilation: 2, groups: 2, bias: false }),
  'Conv2d padding_mode reflect': () => new nn.Conv2d(2, 3, 3, { padding: 1, paddingMode: 'reflect' }),
  'Conv2d padding_mode replicate': () => new nn.Conv2d(2, 3, 3, { padding: 1, paddingMode: 'replicate' }),
  'Conv2d padding_mode circular': () => new nn.Conv2d(2, 3, 3, { padding: 1, paddingMode: 'circular' }),
  'Conv2d same reflect': () => new nn.Conv2d(2, 3, [2, 3], { padding: 'same', paddingMode: 'reflect' }),
  Conv1d: () => new nn.Conv1d(4, 6, 3, { stride: 2, padding: 1 }),
  ConvTranspose2d: () => new nn.ConvTranspose2d(4, 3, 3, { stride: 2, padding: 1, outputPadding: 1 }),
  MaxPool2d: () => new nn.MaxPool2d(2),
  AvgPool2d: () => new nn.AvgPool2d(3, { stride: 2, padding: 1 }),
  AdaptiveAvgPool2d: () => new nn.AdaptiveAvgPool2d([2, 3]),
  'BatchNorm2d train': () => new nn.BatchNorm2d(3),
  'BatchNorm2d train 3 steps': () => new nn.BatchNorm2d(3, 1e-5, 0.3),
  'BatchNorm2d cumulative': () => new nn.BatchNorm2d(3, 1e-5, null),
  'BatchNorm2d eval': () => new nn.BatchNorm2d(3),
  'BatchNorm1d train': () => new nn.BatchNorm1d(5),
  'BatchNorm1d 3D no affine': () => new nn.BatchNorm1d(4, 1e-5, 0.1, false),
  GroupNorm: () => new nn.GroupNorm(2, 6),
  'GroupNorm no affine': () => new nn.GroupNorm(3, 6, 1e-5, false),
  Dropout2d: () => new nn.Dropout2d(0.4),
};

describe('convolution and normalization layers against PyTorch', () => {
  afterEach(() => torch.setDefaultDtype('float32'));

  test.each(fx.modules.map((c) => [c.name, c] as const))('%s', (name, c) => {
    if (c.default) torch.setDefaultDtype(c.default);
    const [out1, grad1] = c.default ? [1e-11, 1e-10] : [1e-5, 1e-4];
    torch.manualSeed(c.seed);
    const m = MODULES[name.replace(/ float64$/, '')]!();
    const init = Object.fromEntries(m.stateDict());
    expect(Object.keys(init)).toEqual(Object.keys(c.init));
    // Default initialisation: the same bits as PyTorch under the same seed.
    for (const [k, v] of Object.entries(c.init)) expectClose(init[k]!.detach().clone(), v, 0, 0, `init ${k}`);
    m.train(c.train);
    const x = build(c.input).requiresGrad_();
    let out: Tensor | null = null;
    for (let i = 0; i < c.steps; i++) out = (m.forward as (t: Tensor) => Tensor)(x);
    expectClose(out!, c.out, out1, out1, 'output');
    out!.backward(build(c.upstream));
    expectClose(x.grad!, c.inputGrad, grad1, grad1, 'input grad');
    const params = Object.fromEntries(m.namedParameters());
    for (const [k, g] of Object.entries(c.paramGrads)) expectClose(params[k]!.grad!, g, grad1, grad1, `grad ${k}`);
    const state = Object.fromEntries(m.stateDict());
    for (const [k, v] of Object.entries(c.state)) expectClose(state[k]!, v, out1, out1 / 10, `state ${k}`);
    expect(m.toString()).toBe(c.repr);
  });
});

describe('bad convolution input gets PyTorch\'s kind of error', () => {
  test('channel mismatch', () => {
    expectError(() => F.conv2d(torch.zeros(2, 4, 5, 5), torch.zeros(8, 3, 3, 3)), 'RangeError', new RegExp(fx.errors.channels!.replace('RuntimeError: ', '').replace(/[[\]().]/g, '\\$&')));
  });
  test('kernel larger than the padded input', () => {
    expectError(() => F.conv2d(torch.zeros(1, 1, 3, 3), torch.zeros(1, 1, 5, 5)), 'RangeError', new RegExp(fx.errors.kernelTooLarge!.replace('RuntimeError: ', '').replace(/[[\]().]/g, '\\$&')));
  });
  test('groups not dividing the channels', () => {
    expectError(() => F.conv2d(torch.zeros(1, 4, 5, 5), torch.zeros(3, 2, 3, 3), null, { groups: 2 }), 'RangeError', /Given groups=2, expected weight to be divisible by 2 at dimension 0/);
    expectError(() => new nn.Conv2d(3, 4, 3, { groups: 2 }), 'RangeError', new RegExp(fx.errors.moduleGroups!.replace('ValueError: ', '')));
  });
  test('the native layer refuses inconsistent geometry instead of crashing', () => {
    const { native } = require('../../lib/backend/native/binding') as typeof import('../../lib/backend/native/binding');
    const g = Int32Array.from([1, 1, 5, 5, 1, 3, 3, 1, 1, 0, 0, 1, 1, 1, 9, 9]);
    // As the kernels interface packs a geometry: the count of values, then the values.
    const packed = (v: Int32Array): Float64Array => Float64Array.from([v.length, ...v]);
    expectError(() => native.conv2d(0, new Float32Array(25), new Float32Array(9), new Float32Array(81), packed(g)), 'RangeError', /output size does not follow/);
    g[14] = 3;
    g[15] = 3;
    expectError(() => native.conv2d(0, new Float32Array(24), new Float32Array(9), new Float32Array(9), packed(g)), 'RangeError', /'x' holds 24 elements, the geometry needs 25/);
    expectError(() => native.conv2d(2, new Float32Array(25), new Float32Array(9), new Float32Array(8), packed(g)), 'RangeError', /'grad_weight' holds 8 elements/);
    g[4] = 2;
    expectError(() => native.conv2d(0, new Float32Array(25), new Float32Array(18), new Float32Array(18), packed(g), new Float32Array(1)), 'RangeError', /'bias' holds 1 elements, the geometry needs 2/);
    expectError(() => native.conv2d(0, new Float32Array(25), new Float32Array(18), new Float32Array(18), packed(g), new Int32Array(2) as unknown as Float32Array), 'TypeError', /bias/);
    expectError(() => native.conv2d(1, new Float32Array(18), new Float32Array(18), new Float32Array(25), packed(g), new Float32Array(2)), 'TypeError', /'bias' is only taken by the forward kernel/);
    g[4] = 1;
    g[13] = 2;
    expectError(() => native.conv2d(0, new Float32Array(25), new Float32Array(9), new Float32Array(9), packed(g)), 'RangeError', /groups must divide/);
    expectError(() => native.pool2d(0, new Float32Array(4), new Float32Array(1), null, packed(Int32Array.from([1, 2, 2, 1, 1, 2, 2, 2, 2, 0, 0, 1, 1, 0, 0]))), 'TypeError', /'indices' is required/);
  });
});

describe('max pooling backward', () => {
  test('first order runs natively and puts each gradient at its argmax', () => {
    torch.manualSeed(3);
    const x = torch.randn(2, 3, 6, 37).requiresGrad_();
    const [y, idx] = F.maxPool2d(x, 2, { returnIndices: true }) as [Tensor, Tensor];
    const up = torch.randn(...y.shape);
    y.backward(up);
    // Expected: an independent scatter of up into [planes, h * w] at the returned indices.
    const want = new Float32Array(2 * 3 * 6 * 37);
    const ix = idx.reshape([-1]).tolist() as number[];
    const u = up.reshape([-1]).tolist() as number[];
    ix.forEach((at, o) => (want[Math.floor(o / (3 * 18)) * 222 + at]! += u[o]!));
    expect(Array.from(x.grad!.reshape([-1]).tolist() as number[])).toEqual(Array.from(want));
  });

  test('with createGraph the backward is itself differentiable (a gather at the argmax)', () => {
    torch.manualSeed(4);
    const x = torch.randn(1, 2, 4, 4).requiresGrad_();
    const w = torch.randn(1, 2, 2, 2).requiresGrad_();
    const [y, idx] = F.maxPool2d(x, 2, { returnIndices: true }) as [Tensor, Tensor];
    const [gx] = torch.autograd.grad(y.mul(w).sum(), x, { createGraph: true });
    const v = torch.randn(1, 2, 4, 4);
    const [gw] = torch.autograd.grad(gx!.mul(v).sum(), w);
    const flat = v.reshape([2, 16]).tolist() as number[][];
    const want = (idx.reshape([2, 4]).tolist() as number[][]).map((row, p) => row.map((at) => flat[p]![at]!));
    expect(gw!.reshape([2, 4]).tolist()).toEqual(want);
  });

  test('a max-pool window of padding only: -inf, PyTorch\'s position outside the plane, and no gradient', () => {
    // kernel 2, padding 1, dilation 2 over one row: the window's rows are -1 and 1, both outside a plane of one row.
    // PyTorch starts the search at the first row at or after 0 (1) and column 1, so position 1 * 4 + 1 = 5 is kept;
    // its backward adds the gradient there, in the next plane. The output is a constant -inf: no gradient.
    const x = torch.tensor([[[1.71, 0.15, 1.92, 0.14]], [[-0.49, 2.64, 2.81, -0.91]]], { requiresGrad: true });
    const [y, idx] = F.maxPool2d(x, 2, { padding: 1, dilation: 2, returnIndices: true });
    expect(y.tolist()).toEqual([[[-Infinity, -Infinity]], [[-Infinity, -Infinity]]]);
    expect(idx.tolist()).toEqual([[[5, 5]], [[5, 5]]]);
    F.maxPool2d(x, 2, { padding: 1, dilation: 2 }).sum().backward();
    expect(x.grad!.tolist()).toEqual([[[0, 0, 0, 0]], [[0, 0, 0, 0]]]);
    // Windows with one tap inside (columns -1 and 1, then 1 and 3, of three) keep their gradient: both at column 1.
    const z = torch.tensor([[[1, 5, 2], [4, 3, 6]]], { requiresGrad: true });
    F.maxPool2d(z, [1, 2], { padding: [0, 1], dilation: [1, 2] }).sum().backward();
    expect(z.grad!.tolist()).toEqual([[[0, 2, 0], [0, 2, 0]]]);
  });

  test('an index outside its plane is a RangeError, not a write out of bounds', () => {
    const { native } = require('../../lib/backend/native/binding') as typeof import('../../lib/backend/native/binding');
    const g = Float64Array.from([15, 1, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0]);  // the count, then the geometry
    expectError(() => native.pool2d(6, new Float32Array(1), new Float32Array(4), Int32Array.from([4]), g), 'RangeError', /an index lies outside its plane/);
  });
});

describe('convolution threads', () => {
  test('weight gradients are bitwise the same run after run on 2 threads (Winograd and im2col paths)', () => {
    const before = torch.getNumThreads();
    try {
      torch.setNumThreads(2);
      torch.manualSeed(1);
      const x = torch.randn(16, 32, 20, 20);
      const small = torch.randn(16, 32, 10, 10);
      const w = torch.randn(48, 32, 3, 3).requiresGrad_();
      const run = (input: Tensor, padding: number): number[] => {
        w.grad = null;
        const y = F.conv2d(input, w, null, { padding });
        y.backward(torch.ones(...y.shape));
        return w.grad!.reshape([-1]).tolist() as number[];
      };
      expect(run(x, 1)).toEqual(run(x, 1));
      expect(run(small, 0)).toEqual(run(small, 0));
    } finally {
      torch.setNumThreads(before);
    }
  });
});
