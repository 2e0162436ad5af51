/**
 * The fused native ops (softmax, logSoftmax, logsumexp, layerNorm, crossEntropy, nllLoss) against PyTorch
 * (scripts/gen_fused_fixtures.py): values and gradients over every dim and layout, non-finite rows, every loss
 * option; inputs large enough to be split over threads give the same bits on 1 and 2 threads and PyTorch's values.
 */
import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import { build, expectClose, loadFixture } from '../helpers/fixtures';
import type { TensorJson } from '../helpers/fixtures';

const F = torch.nn.functional;

interface FusedCase {
  name: string;
  fn: string;
  inputs: TensorJson[];
  grads: boolean[];
  kw: Record<string, unknown>;
  out: TensorJson;
  upstream: TensorJson;
  inputGrads: (TensorJson | null)[];
  rtol: number;
  atol: number;
}

interface Summary {
  picks: number[];
  values: number[];
  sum: number;
  absSum: number;
}

interface LargeCase {
  name: string;
  fn: string;
  shape: number[];
  kw: Record<string, unknown>;
  affine: boolean;
  out: Summary;
  grads: Summary[];
}

type Kw = Record<string, unknown>;
const num = (kw: Kw, k: string): number => kw[k] as number;

/** Runs a fixture's fn on torchlet tensors (inputs in the fixture's order; weights after the target). */
function run(fn: string, a: Tensor[], kw: Kw): Tensor {
  switch (fn) {
    case 'softmax':
      return torch.softmax(a[0]!, num(kw, 'dim'));
    case 'logSoftmax':
      return torch.logSoftmax(a[0]!, num(kw, 'dim'));
    case 'logsumexp':
      return torch.logsumexp(a[0]!, kw.dim as number | number[], (kw.keepDim as boolean | undefined) ?? false);
    case 'layerNorm':
      return F.layerNorm(a[0]!, kw.normalizedShape as number[], a[1] ?? null, a[2] ?? null, (kw.eps as number | undefined) ?? 1e-5);
    case 'crossEntropy':
      return F.crossEntropy(a[0]!, a[1]!, { ...kw, weight: a[2] ?? null });
    case 'nllLoss':
      return F.nllLoss(a[0]!, a[1]!, { ...kw, weight: a[2] ?? null });
    default:
      throw new Error(`unknown fn ${fn}`);
  }
}

const fixture = loadFixture<FusedCase>('fused.json') as unknown as { cases: FusedCase[]; large: LargeCase[] };

describe('fused ops against PyTorch', () => {
  test.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const wanted: Tensor[] = [];
    const inputs = c.inputs.map((spec, i) => build(spec, c.grads[i] ? (leaf) => void wanted.push(leaf) : undefined));
    const out = run(c.fn, inputs, c.kw);
    expectClose(out, c.out, c.rtol, c.atol, 'output');
    if (wanted.length === 0 || !out.requiresGrad) return;
    const grads = torch.autograd.grad(out, wanted, { gradOutputs: [build(c.upstream)], allowUnused: true });
    let k = 0;
    c.inputGrads.forEach((expected, i) => {
      if (!c.grads[i] || !expected) return;
      const g = grads[k++] ?? torch.zeros(expected.shape, { dtype: expected.dtype });
      expectClose(g, expected, c.rtol, c.atol, `gradient of input ${i}`);
    });
  });

  test('one graph node per op', () => {
    const x = torch.randn(3, 4).requiresGrad_();
    expect(torch.softmax(x, 1).gradFn?.name).toBe('SoftmaxBackward0');
    expect(torch.logSoftmax(x, 0).gradFn?.name).toBe('LogSoftmaxBackward0');
    expect(torch.logsumexp(x, 1).gradFn?.name).toBe('LogsumexpBackward0');
    expect(F.layerNorm(x, [4]).gradFn?.name).toBe('NativeLayerNormBackward0');
    const t = torch.tensor([0, 3, 1], { dtype: 'int64' });
    const ce = F.crossEntropy(x, t);
    expect(ce.gradFn?.name).toBe('NllLossBackward0');
    expect(ce.gradFn?.inputs.map((i) => i?.gradFn ?? i)).toEqual([x]);
  });

  test('an out-of-range target is a RangeError in PyTorch words, never a read out of bounds', () => {
    const x = torch.randn(3, 4);
    for (const bad of [4, -1, 1000000, -101]) {
      const t = torch.tensor([0, bad, 1], { dtype: 'int64' });
      expect(() => F.crossEntropy(x, t)).toThrow(/Target out of bounds/);
      expect(() => F.crossEntropy(x, t, { labelSmoothing: 0.1, reduction: 'none' })).toThrow(RangeError);
      expect(() => F.nllLoss(x, t)).toThrow(/Target out of bounds/);
    }
  });
});

/** x_i = float32(sin(i * 0.001) * 8 + (i mod 7) * 0.25), as the generator writes it. */
function formula(shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.sin(i * 0.001) * 8 + (i % 7) * 0.25;
  return torch.tensor(data).reshape(shape);
}

function cosines(shape: readonly number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.cos(i * 0.003);
  return torch.tensor(data).reshape(shape);
}

function largeInputs(c: LargeCase): Tensor[] {
  const a = [formula(c.shape).requiresGrad_()];
  if (c.fn === 'crossEntropy') a.push(torch.tensor(Array.from({ length: c.shape[0]! }, (_, i) => (i * 7) % c.shape[1]!), { dtype: 'int64' }));
  if (c.affine) {
    const ns = c.kw.normalizedShape as number[];
    const n = ns.reduce((x, y) => x * y, 1);
    const w = Array.from({ length: n }, (_, j) => 1 + 0.5 * Math.sin(j * 0.1));
    const b = Array.from({ length: n }, (_, j) => 0.1 * Math.cos(j * 0.2));
    a.push(torch.tensor(w).reshape(ns).requiresGrad_(), torch.tensor(b).reshape(ns).requiresGrad_());
  }
  return a;
}

/**
 * Picks within 1e-4 relative and the sum within 4e-5 of the sum of magnitudes of the float64 answer: float32 sums of
 * thousands of terms are that far off (PyTorch's own float32 layerNorm weight gradient over [4096, 24] is off by
 * 1.8e-5 of it, its softmax over 2^20 elements by 8e-5 relative).
 */
function expectSummary(t: Tensor, s: Summary, label: string): void {
  const flat = t.reshape([-1]);
  const values = s.picks.map((p) => flat.index(p).item() as number);
  values.forEach((v, i) => {
    const e = s.values[i]!;
    if (!(Math.abs(v - e) <= 1e-6 + 1e-4 * Math.abs(e))) throw new Error(`${label}: element ${s.picks[i]} is ${v}, PyTorch ${e}`);
  });
  const sum = flat.to('float64').sum().item() as number;
  if (!(Math.abs(sum - s.sum) <= 4e-5 * s.absSum + 1e-6)) throw new Error(`${label}: sum ${sum}, PyTorch ${s.sum} (abs sum ${s.absSum})`);
}

describe('large inputs: split over threads, the same bits on 1 and 2 threads', () => {
  const before = torch.getNumThreads();
  afterAll(() => torch.setNumThreads(before));
  const two = Math.min(2, torch.backendInfo().maxThreads);

  test.each(fixture.large.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const results: { out: Float32Array; grads: Float32Array[] }[] = [];
    for (const threads of [1, two]) {
      torch.setNumThreads(threads);
      const inputs = largeInputs(c);
      const out = run(c.fn, inputs, c.kw);
      const diff = inputs.filter((t) => t.requiresGrad);
      const grads = torch.autograd.grad(out, diff, { gradOutputs: [cosines(out.shape)] });
      expectSummary(out, c.out, `${threads} thread(s), output`);
      grads.forEach((g, i) => expectSummary(g!, c.grads[i]!, `${threads} thread(s), gradient ${i}`));
      results.push({ out: Float32Array.from(out.contiguous().data as Float32Array), grads: grads.map((g) => Float32Array.from(g!.contiguous().data as Float32Array)) });
    }
    // Forward results bitwise equal whatever the thread count.
    expect(Buffer.from(results[1]!.out.buffer).equals(Buffer.from(results[0]!.out.buffer))).toBe(true);
  });
});
