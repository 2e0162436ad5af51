/**
 * The graph a createGraph gradient carries, against PyTorch (scripts/gen_grad_graph_fixtures.py): for ops whose
 * PyTorch backward function takes the op's input with a zero derivative (hardtanh, threshold, the shrinks, pooling,
 * padding, nll_loss, convolution, prelu, abs through sgn), the gradient requires grad whenever the input does, its
 * node has PyTorch's name, and the second-order gradient is PyTorch's: zeros, NaN where a zero meets an infinity,
 * none where PyTorch gives none (hardsigmoid, where PyTorch has no derivative, gives zeros).
 */
import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import { build, expectClose, loadFixture } from '../helpers/fixtures';
import type { TensorJson } from '../helpers/fixtures';

const F = torch.nn.functional;

interface GradGraphCase {
  name: string;
  special: boolean;
  x: TensorJson;
  w: TensorJson;
  u: TensorJson;
  first: TensorJson;
  requiresGrad: boolean;
  gradFn: string | null;
  second?: TensorJson | 'zero tensor' | null;
  error?: string;
}

const fixture = loadFixture<GradGraphCase>('grad_graph.json') as ReturnType<typeof loadFixture<GradGraphCase>> & {
  constants: Record<'W3' | 'L1_TARGET', TensorJson>;
  backwardErrors: Record<string, string>;
};
const ints = (a: unknown): Tensor => torch.tensor(a as number[], { dtype: 'int32' });
/** The constant tensors the cases share (the convolution weight, the L1 target), as PyTorch drew them. */
const W3 = (): Tensor => build(fixture.constants.W3);
const L1_TARGET = (): Tensor => build(fixture.constants.L1_TARGET);

const FNS: Record<string, (x: Tensor) => Tensor> = {
  relu: (x) => x.relu(),
  leakyRelu: (x) => F.leakyRelu(x, 0.1),
  hardtanh: (x) => F.hardtanh(x),
  relu6: (x) => F.relu6(x.mul(4)),
  threshold: (x) => F.threshold(x, 0.1, 2.0),
  softshrink: (x) => F.softshrink(x, 0.5),
  hardshrink: (x) => F.hardshrink(x, 0.5),
  hardsigmoid: (x) => F.hardsigmoid(x.mul(4)),
  abs: (x) => x.abs(),
  l1Loss: (x) => F.l1Loss(x, L1_TARGET(), { reduction: 'none' }),
  prelu: (x) => F.prelu(x, torch.tensor([0.25])),
  'prelu per channel': (x) => F.prelu(x, torch.tensor([0.25, -0.5, 2.0])),
  maxPool2d: (x) => F.maxPool2d(x, 2),
  'maxPool2d padded': (x) => F.maxPool2d(x, 3, { stride: 2, padding: 1 }),
  avgPool2d: (x) => F.avgPool2d(x, 2),
  adaptiveAvgPool2d: (x) => F.adaptiveAvgPool2d(x, 2),
  adaptiveMaxPool2d: (x) => F.adaptiveMaxPool2d(x, 2) as Tensor,
  maxPool1d: (x) => F.maxPool1d(x, 2) as Tensor,
  avgPool1d: (x) => F.avgPool1d(x, 2),
  'bmm then maxPool2d': (x) => F.maxPool2d(torch.bmm(torch.tensor([[[1.24, -1.11, -Infinity]]]), x), 1),
  nllLoss: (x) => F.nllLoss(x, ints([1, 0, 2, 2])),
  'nllLoss none': (x) => F.nllLoss(x, ints([1, 0, 2, 2]), { reduction: 'none' }),
  'nllLoss 4d': (x) => F.nllLoss(x, ints([[[0, 1], [2, 0]], [[1, 1], [0, 2]]])),
  'pad reflect 1d': (x) => F.pad(x, [1, 2], 'reflect'),
  'pad reflect 2d': (x) => F.pad(x, [1, 1, 2, 1], 'reflect'),
  'pad replicate 2d': (x) => F.pad(x, [1, 1, 1, 1], 'replicate'),
  'pad replicate 3d': (x) => F.pad(x, [1, 0, 0, 1, 1, 1], 'replicate'),
  conv2d: (x) => F.conv2d(x, W3(), null, { padding: 1 }),
  convTranspose2d: (x) => F.convTranspose2d(x, W3().transpose(0, 1).contiguous()),
};

/** PyTorch's name of the node of a backward it has no derivative for. */
const nodeName = (name: string | null): string | null => (name === 'torch::autograd::NotImplemented' ? 'NotImplemented' : name);

describe('createGraph gradients carry PyTorch graph', () => {
  test('the fixture comes from PyTorch 1.13 and covers every case here', () => {
    expect(fixture.torch).toMatch(/^1\.13/);
    expect(new Set(fixture.cases.map((c) => c.name))).toEqual(new Set(Object.keys(FNS)));
  });

  test.each(fixture.cases.map((c) => [`${c.name}${c.special ? ' (infinite, NaN and zero inputs)' : ''}`, c] as const))('%s', (_n, c) => {
    const x = build(c.x).requiresGrad_();
    const y = FNS[c.name]!(x);
    const [g] = torch.autograd.grad(y.mul(build(c.w)).sum(), [x], { createGraph: true });
    expectClose(g!, c.first, 1e-5, 1e-6, 'first');
    expect(g!.requiresGrad).toBe(c.requiresGrad);
    expect(g!.gradFn?.name ?? null).toBe(nodeName(c.gradFn));
    if (!c.requiresGrad) return;
    const second = (): (Tensor | null)[] => torch.autograd.grad(g!.mul(build(c.u)).sum(), [x], { allowUnused: true });
    if (c.error !== undefined) {
      // PyTorch 1.13 has no derivative for hardsigmoid_backward and raises; torchlet differentiates it (checked against
      // finite differences in test/nn/layers2.test.ts): hardsigmoid is piecewise linear, so the result is zeros.
      expect(c.error).toBe('derivative for aten::hardsigmoid_backward is not implemented');
      expect((second()[0]!.tolist() as number[][]).flat().every((v) => v === 0)).toBe(true);
      return;
    }
    const [gg] = second();
    // PyTorch's efficient zero tensor (abs's sgn) is no gradient in torchlet (see sgnOf in lib/ops/pointwise.ts).
    if (c.second === null || c.second === undefined || c.second === 'zero tensor') expect(gg).toBeNull();
    else expectClose(gg!, c.second, 1e-5, 1e-6, 'second');
  });
});

describe('backward functions refuse what PyTorch refuses', () => {
  test('adaptiveAvgPool2d of an empty channel dim: the forward passes, the backward raises PyTorch\'s error', () => {
    const x = torch.zeros([1, 0, 4, 1], { requiresGrad: true });
    const y = F.adaptiveAvgPool2d(x, 3);
    expect(y.shape).toEqual([1, 0, 3, 3]);
    expect(() => y.sum().backward()).toThrow(RangeError);
    expect(() => F.adaptiveAvgPool2d(x, 3).sum().backward()).toThrow(fixture.backwardErrors['adaptiveAvgPool2d empty channels']!);
  });
});
