/**
 * torch.autograd.gradcheck: PyTorch's messages on failing checks, and the check itself run over every
 * differentiable entry of the pointwise op table (lib/ops/pointwise.ts) through contiguous, transposed and broadcast
 * inputs, and the scalar forms of the binary entries.
 */
import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import { record } from '../../lib/autograd/record';
import { opTable } from '../../lib/ops/elementwise';
import { build, loadFixture } from '../helpers/fixtures';
import type { TensorJson } from '../helpers/fixtures';

interface GradcheckCase {
  name: string;
  inputs: TensorJson[];
  requiresGrad: boolean[];
  error: string;
  message: string;
}

// The functions of scripts/gen_fixtures.py's gradcheck cases: torch.autograd.Function subclasses there, a recorded
// node with the same (wrong) backward here.
const FNS: Record<string, (...x: Tensor[]) => Tensor> = {
  'wrong gradient': (x) => record('DoubleBackward', torch.noGrad(() => x!.mul(2)), [x!], (g) => [g.mul(3)]),
  'wrong gradient of the second input': (x, y) =>
    record('ProductBackward', torch.noGrad(() => x!.mul(y!)), [x!, y!], (g) => [g.mul(y!), g.mul(x!).mul(2)]),
  'no input requires grad': (x) => x!.mul(2),
};

const fixture = loadFixture<GradcheckCase>('gradcheck.json');

describe(`gradcheck messages against PyTorch ${fixture.torch}`, () => {
  test.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const inputs = c.inputs.map((spec, i) => {
      const t = build(spec);
      return c.requiresGrad[i] ? t.requiresGrad_() : t;
    });
    let caught: unknown;
    try {
      torch.autograd.gradcheck(FNS[c.name]!, inputs);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(Error);
    // PyTorch raises a GradcheckError for a mismatch and a ValueError for inputs without gradient.
    expect((caught as Error).name).toBe(c.error === 'GradcheckError' ? 'GradcheckError' : 'Error');
    expect((caught as Error).message).toBe(c.message);
    if (c.error === 'GradcheckError') expect(torch.autograd.gradcheck(FNS[c.name]!, inputs, { raiseException: false })).toBe(false);
  });
});

// ---- every differentiable op of the table ------------------------------------------------------------------------

/** Sample values for the table's parameters, by name. */
const PARAMS: Record<string, number> = { alpha: 0.5, min: -0.8, max: 0.9, negativeSlope: 0.2 };

type AnyFn = (...args: unknown[]) => Tensor;
const fnOf = (name: string): AnyFn => (torch as unknown as Record<string, AnyFn>)[name]!;

/** Values in +-[0.5, 1.5], away from the kinks of abs, relu, sign and the rounding ops; all positive if `positive`. */
function sample(shape: number[], positive: boolean): Tensor {
  const u = torch.rand(shape, { dtype: 'float64' });
  const magnitude = u.add(0.5);
  if (positive) return magnitude;
  const sign = torch.rand(shape, { dtype: 'float64' }).gt(0.5).to('float64').mul(2).sub(1);
  return magnitude.mul(sign);
}

const leaf = (t: Tensor): Tensor => t.detach().requiresGrad_();

/** Ops defined on part of the line: the samples mapped into it (inside the function gradcheck differentiates). */
const DOMAIN: Record<string, (t: Tensor) => Tensor> = {
  asin: (t) => t.mul(0.6), // +-[0.3, 0.9]
  acos: (t) => t.mul(0.6),
  atanh: (t) => t.mul(0.6),
  acosh: (t) => t.abs().add(0.6), // [1.1, 2.1]
};

interface Layout {
  name: string;
  /** The leaves gradcheck perturbs and the function of them that feeds the op. */
  make: (arity: number, positive: boolean) => { inputs: Tensor[]; feed: (...xs: Tensor[]) => Tensor[] };
}

const LAYOUTS: Layout[] = [
  {
    name: 'contiguous',
    make: (arity, positive) => ({ inputs: Array.from({ length: arity }, () => leaf(sample([3, 4], positive))), feed: (...xs) => xs }),
  },
  {
    name: 'transposed',
    // Non-contiguous leaves: gradcheck perturbs them through their strides.
    make: (arity, positive) => ({
      inputs: Array.from({ length: arity }, () => leaf(sample([4, 3], positive)).t().detach().requiresGrad_()),
      feed: (...xs) => xs,
    }),
  },
  {
    name: 'broadcast',
    // The last operand is a row broadcast over the first dim (for a unary op, the only operand).
    make: (arity, positive) => ({
      inputs: [...Array.from({ length: arity - 1 }, () => leaf(sample([3, 4], positive))), leaf(sample([4], positive))],
      feed: (...xs) => (arity === 1 ? [xs[0]!.expand(3, 4)] : xs),
    }),
  },
];

const differentiable = opTable().filter((e) => e.backward !== null);

describe('gradcheck over the pointwise op table (float64)', () => {
  beforeAll(() => torch.manualSeed(0));

  test('the table has differentiable entries of both arities', () => {
    expect(differentiable.filter((e) => e.arity === 1).length).toBeGreaterThan(10);
    expect(differentiable.filter((e) => e.arity === 2).length).toBeGreaterThan(5);
  });

  for (const entry of differentiable) {
    const params = entry.params.map((p) => PARAMS[p]!);
    for (const layout of LAYOUTS) {
      test(`${entry.name} ${layout.name}`, () => {
        // Ops defined only for positive inputs (log, sqrt, pow of a tensor base) get positive ones.
        let positive = false;
        let made = layout.make(entry.arity, positive);
        const into = DOMAIN[entry.name] ?? ((t: Tensor): Tensor => t);
        const run = (...xs: Tensor[]): Tensor => fnOf(entry.name)(...made.feed(...xs).map(into), ...params);
        if (torch.noGrad(() => run(...made.inputs)).isnan().any().item()) {
          positive = true;
          made = layout.make(entry.arity, positive);
        }
        expect(torch.autograd.gradcheck(run, made.inputs)).toBe(true);
      });
    }
    if (entry.arity === 2) {
      test(`${entry.name} with a number`, () => {
        const x = leaf(sample([3, 4], entry.name === 'pow'));
        expect(torch.autograd.gradcheck((t: Tensor) => fnOf(entry.name)(t, 1.3, ...params), [x])).toBe(true);
      });
    }
  }
});

describe('gradcheck itself', () => {
  test('inputs with a stride of 0 are refused, as in PyTorch', () => {
    const x = torch.rand([1, 3], { dtype: 'float64' }).expand(2, 3).detach().requiresGrad_();
    expect(() => torch.autograd.gradcheck((t: Tensor) => t.sin(), [x])).toThrow(/The 0th input has a dimension with stride 0/);
  });

  test('a backward that ignores its output gradient fails', () => {
    const x = leaf(torch.rand([3], { dtype: 'float64' }));
    // The identity's Jacobian for every one-hot seed (g + 1 - sum(g) = g), but a zero seed gives ones.
    const f = (t: Tensor): Tensor => record('Unscaled', torch.noGrad(() => t.mul(1)), [t], (g) => [g.add(g.sum().neg().add(1))]);
    expect(() => torch.autograd.gradcheck(f, [x])).toThrow('backward not multiplied by grad_output');
  });
});
