/**
 * The vectorised transcendental kernels and the fused activations against PyTorch (test/fixtures/vmath.json, from
 * scripts/gen_vmath_fixtures.py): values, gradients and, for the fused gradients, second-order gradients, over grids
 * plus the special values (+-0, subnormals, +-FLT_MAX, +-inf, NaN, the overflow and underflow thresholds), contiguous
 * and transposed. The ulp accuracy of every code path is native/test/vmath_tests.cc's.
 */
import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import { build, decode, expectClose, loadFixture } from '../helpers/fixtures';
import type { Num, TensorJson } from '../helpers/fixtures';

const F = torch.nn.functional;

interface VmathCase {
  name: string;
  op: string;
  args: Num[];
  input: TensorJson;
  transposed: boolean;
  gridPoints: number;
  out: TensorJson;
  upstream: TensorJson;
  grad: TensorJson;
  weights?: TensorJson;
  grad2?: TensorJson;
  rtol: number;
  atol: number;
  gradRtol: number;
  gradAtol: number;
}

const OPS: Record<string, (x: Tensor, args: Num[]) => Tensor> = {
  exp: (x) => x.exp(),
  log: (x) => x.log(),
  log1p: (x) => x.log1p(),
  expm1: (x) => x.expm1(),
  tanh: (x) => x.tanh(),
  sigmoid: (x) => x.sigmoid(),
  erf: (x) => x.erf(),
  sin: (x) => x.sin(),
  cos: (x) => x.cos(),
  pow: (x, a) => x.pow(decode(a[0]!)),
  gelu: (x, a) => F.gelu(x, a[0] as 'none' | 'tanh'),
  silu: (x) => F.silu(x),
  softplus: (x, a) => F.softplus(x, ...(a.map(decode) as [number?, number?])),
};

const fixture = loadFixture<VmathCase>('vmath.json');

describe(`vectorised math against PyTorch ${fixture.torch}`, () => {
  test('the fixture covers every op in both dtypes', () => {
    const seen = new Set(fixture.cases.map((c) => `${c.op} ${c.input.dtype}`));
    for (const op of Object.keys(OPS)) for (const d of ['float32', 'float64']) expect(seen).toContain(`${op} ${d}`);
  });

  for (const c of fixture.cases) {
    test(c.name, () => {
      const leaf = build(c.input).detach().requiresGrad_();
      const x = c.transposed ? leaf.t() : leaf;
      const out = OPS[c.op]!(x, c.args);
      expectClose(out, c.out, c.rtol, c.atol, 'forward');
      const createGraph = c.grad2 !== undefined;
      const [gx] = torch.autograd.grad([out], [leaf], { gradOutputs: [build(c.upstream)], createGraph });
      expectClose(gx!, c.grad, c.gradRtol, c.gradAtol, 'gradient');
      if (c.grad2 && c.weights) {
        // The second order on the grid (the input's first gridPoints values), as the generator masks it.
        const finite = torch.tensor(c.input.data.map((_, i) => (i < c.gridPoints ? 1 : 0)), { dtype: c.input.dtype }).reshape(c.input.shape);
        const [ggx] = torch.autograd.grad([gx!.mul(build(c.weights)).mul(finite).sum()], [leaf]);
        expectClose(torch.where(finite.gt(0), ggx!, 0), c.grad2, c.gradRtol, c.gradAtol, 'second order');
      }
    });
  }
});

describe('signed zeros', () => {
  test('sin keeps the sign of a zero (C99 Annex F: sin(-0) = -0), in the vector lanes and the scalar tail', () => {
    for (const n of [1, 17, 64]) {
      const out = torch.tensor(new Array<number>(n).fill(-0)).sin().tolist() as number[];
      expect(out.every((v) => Object.is(v, -0))).toBe(true);
    }
    expect(Object.is(torch.tensor([0]).sin().item(), 0)).toBe(true);
  });

  // The sign PyTorch's formulas give at -0 (what PyTorch prints as -0. or 0.), in float32 and float64, for one
  // element and for vector lengths: relu is max(x, 0), which keeps x when x is not below 0; silu is x / (1 + exp(-x));
  // elu's kernel computes (exp(x) - 1) alpha, +0 at -0; full(-0) holds -0.
  test.each([
    ['relu', (t: Tensor): Tensor => t.relu(), -0],
    ['silu', (t: Tensor): Tensor => torch.nn.functional.silu(t), -0],
    ['elu', (t: Tensor): Tensor => torch.nn.functional.elu(t), 0],
    ['leakyRelu', (t: Tensor): Tensor => torch.nn.functional.leakyRelu(t), -0],
  ] as const)('%s at -0', (_name, f, want) => {
    for (const dtype of ['float32', 'float64'] as const) {
      for (const n of [1, 17, 64]) {
        const out = f(torch.tensor(new Array<number>(n).fill(-0), { dtype })).tolist() as number[];
        expect(out.every((v) => Object.is(v, want))).toBe(true);
      }
    }
  });

  test('full and fullLike of -0 hold -0', () => {
    expect((torch.full([3], -0).tolist() as number[]).every((v) => Object.is(v, -0))).toBe(true);
    expect((torch.fullLike(torch.ones(2), -0).tolist() as number[]).every((v) => Object.is(v, -0))).toBe(true);
  });
});

describe('fused activations: one native node each', () => {
  test('gelu, silu and softplus record one node whose gradient is one node', () => {
    const x = torch.tensor([-1.5, 0.25, 2]).requiresGrad_();
    for (const [y, name] of [
      [F.gelu(x), 'GeluBackward0'],
      [F.gelu(x, 'tanh'), 'GeluBackward0'],
      [F.silu(x), 'SiluBackward0'],
      [F.softplus(x, 2, 1), 'SoftplusBackward0'],
      [x.tanh(), 'TanhBackward0'],
      [x.sigmoid(), 'SigmoidBackward0'],
    ] as const) {
      expect(y.gradFn?.name).toBe(name);
      const [g] = torch.autograd.grad([y.sum()], [x], { createGraph: true });
      expect(g!.gradFn?.name).toMatch(/BackwardBackward0$/);
    }
  });

  test('integer inputs are refused with PyTorch\'s kernel names', () => {
    const i = torch.tensor([1, 2], { dtype: 'int32' });
    expect(() => F.gelu(i)).toThrow(/"GeluKernelImpl" not implemented for 'Long'/);
    expect(() => F.silu(i)).toThrow(/"silu_cpu" not implemented for 'Long'/);
    expect(() => F.softplus(i)).toThrow(/"softplus_cpu" not implemented for 'Long'/);
  });
});
