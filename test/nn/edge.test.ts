/**
 * Edge cases against PyTorch (test/fixtures/edge_nn.json from scripts/gen_edge_nn_fixtures.py): losses, the softmax
 * family and gradient formulas with infinite and NaN inputs, targets and incoming gradients, ignored targets and
 * spatial dims, NaN included; and PyTorch's errors for bad class weights, padding indices and embedding indices.
 */
import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import { build, decode, expectClose, loadFixture } from '../helpers/fixtures';
import type { TensorJson } from '../helpers/fixtures';

const { nn } = torch;
const F = nn.functional;

type Kw = Record<string, unknown>;
interface EdgeCase {
  name: string;
  fn: string;
  inputs: TensorJson[];
  kwargs: Kw;
  /** Inputs that do not require grad (PyTorch has no derivative for them). */
  noGrad: number[];
  upstream: TensorJson;
  out: TensorJson;
  grads: (TensorJson | null)[];
  /** Second derivatives: the gradients of sum_i (grads[i] * v[i]).sum(), null where PyTorch's do not depend on it. */
  v?: (TensorJson | null)[];
  second?: (TensorJson | null)[];
}
interface EdgeError {
  name: string;
  fn: string;
  inputs: (TensorJson | number)[];
  kwargs: Kw;
  pytorch: string;
  expect: string;
}

const fx = loadFixture<EdgeCase>('edge_nn.json') as unknown as { torch: string; cases: EdgeCase[]; errors: EdgeError[] };

const isTensorJson = (v: unknown): v is TensorJson => typeof v === 'object' && v !== null && 'shape' in v && 'dtype' in v;
const NON_FINITE = new Set(['nan', 'inf', '-inf']);
/** The kwargs with tensors rebuilt and non-finite numbers decoded. */
function options(kw: Kw): Kw {
  const value = (v: unknown): unknown => (isTensorJson(v) ? build(v) : typeof v === 'string' && NON_FINITE.has(v) ? decode(v) : v);
  return Object.fromEntries(Object.entries(kw).map(([k, v]) => [k, value(v)]));
}

type Fn = (a: Tensor[], kw: Kw) => Tensor;
const unaryOp = (name: 'sign' | 'floor' | 'ceil' | 'round' | 'trunc' | 'abs' | 'relu'): Fn => (a) => a[0]![name]();
const FNS: Record<string, Fn> = {
  softmax: (a, kw) => F.softmax(a[0]!, kw.dim as number),
  logSoftmax: (a, kw) => F.logSoftmax(a[0]!, kw.dim as number),
  logsumexp: (a, kw) => torch.logsumexp(a[0]!, kw.dim as number),
  crossEntropy: (a, kw) => F.crossEntropy(a[0]!, a[1]!, kw),
  nllLoss: (a, kw) => F.nllLoss(a[0]!, a[1]!, kw),
  mseLoss: (a, kw) => F.mseLoss(a[0]!, a[1]!, kw),
  l1Loss: (a, kw) => F.l1Loss(a[0]!, a[1]!, kw),
  smoothL1Loss: (a, kw) => F.smoothL1Loss(a[0]!, a[1]!, kw),
  huberLoss: (a, kw) => F.huberLoss(a[0]!, a[1]!, kw),
  binaryCrossEntropy: (a, kw) => F.binaryCrossEntropy(a[0]!, a[1]!, kw),
  binaryCrossEntropyWithLogits: (a, kw) => F.binaryCrossEntropyWithLogits(a[0]!, a[1]!, kw),
  klDiv: (a, kw) => F.klDiv(a[0]!, a[1]!, kw),
  pow: (a, kw) => torch.pow(a[0]!, a[1] ?? (kw.exponent as number)),
  maximum: (a) => torch.maximum(a[0]!, a[1]!),
  maxAll: (a) => a[0]!.max(),
  minAll: (a) => a[0]!.min(),
  minimum: (a) => torch.minimum(a[0]!, a[1]!),
  remainder: (a) => torch.remainder(a[0]!, a[1]!),
  floorDivide: (a) => torch.floorDivide(a[0]!, a[1]!),
  clamp: (a, kw) => torch.clamp(a[0]!, kw.min as number | undefined, kw.max as number | undefined),
  sign: unaryOp('sign'),
  floor: unaryOp('floor'),
  ceil: unaryOp('ceil'),
  round: unaryOp('round'),
  trunc: unaryOp('trunc'),
  abs: unaryOp('abs'),
  relu: unaryOp('relu'),
  leakyRelu: (a, kw) => F.leakyRelu(a[0]!, kw.negativeSlope as number),
  elu: (a) => F.elu(a[0]!),
  silu: (a) => F.silu(a[0]!),
  gelu: (a, kw) => F.gelu(a[0]!, (kw.approximate as 'none' | 'tanh' | undefined) ?? 'none'),
  softplus: (a) => F.softplus(a[0]!),
  sigmoid: (a) => F.sigmoid(a[0]!),
  tanh: (a) => F.tanh(a[0]!),
  embedding: (a, kw) => F.embedding(a[0]!, a[1]!, kw.paddingIdx as number | undefined),
  // No var over dim=[] case: PyTorch 1.13's backward takes it as a reduction over no dim (dof 0) while its forward
  // reduces everything (issue 10); torchlet keeps the full reduction's gradient there.
  var: (a, kw) => torch.var(a[0]!, kw.dim as number | number[] | undefined, (kw.unbiased as boolean | undefined) ?? true, (kw.keepDim as boolean | undefined) ?? false),
  divAbs: (a) => a[0]!.div(a[1]!).abs(),
  bceRelu: (a) => F.relu(F.binaryCrossEntropy(a[0]!, a[1]!, { reduction: 'none' })),
  nllReciprocal: (a) => F.nllLoss(a[0]!, a[1]!, { reduction: 'none' }).reciprocal(),
};

describe(`edge cases match PyTorch ${fx.torch}, NaN included`, () => {
  test.each(fx.cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const leaves: (Tensor | null)[] = c.inputs.map(() => null);
    const inputs = c.inputs.map((spec, i) => (c.noGrad.includes(i) ? build(spec) : build(spec, (leaf) => (leaves[i] = leaf))));
    const out = FNS[c.fn]!(inputs, options(c.kwargs));
    expectClose(out, c.out, 1e-5, 1e-6, 'output');
    if (c.second) return checkSecond(c, leaves, out);
    if (out.requiresGrad) out.backward(build(c.upstream));
    c.grads.forEach((want, i) => {
      if (want === null) return;
      const got = leaves[i]?.grad;
      if (!got) throw new Error(`input ${i}: no gradient, PyTorch has one`);
      expectClose(got, want, 1e-5, 1e-6, `gradient of input ${i}`);
    });
  });
});

/** First derivatives through createGraph, then the gradients of sum_i (first[i] * v[i]).sum(). */
function checkSecond(c: EdgeCase, leaves: (Tensor | null)[], out: Tensor): void {
  const used = leaves.flatMap((l, i) => (l ? [i] : []));
  const first = torch.autograd.grad(out, used.map((i) => leaves[i]!), { gradOutputs: [build(c.upstream)], createGraph: true });
  let total: Tensor | null = null;
  used.forEach((i, k) => {
    expectClose(first[k]!, c.grads[i]!, 1e-5, 1e-6, `first derivative of input ${i}`);
    const term = first[k]!.mul(build(c.v![i]!)).sum();
    total = total ? total.add(term) : term;
  });
  const t = total as Tensor | null;
  const second = t?.requiresGrad ? torch.autograd.grad(t, used.map((i) => leaves[i]!), { allowUnused: true }) : used.map(() => null);
  used.forEach((i, k) => {
    const want = c.second![i];
    const got = second[k];
    // PyTorch's null: the first derivative does not depend on that input; torchlet may say so with zeros.
    if (!want) expect(got ? (got.abs().sum().item() as number) : 0).toBe(0);
    else expectClose(got ?? torch.zerosLike(leaves[i]!), want, 1e-4, 1e-5, `second derivative of input ${i}`);
  });
}

const MAKERS: Record<string, (a: (Tensor | number)[], kw: Kw) => unknown> = {
  ...(FNS as Record<string, (a: (Tensor | number)[], kw: Kw) => unknown>),
  Embedding: (a, kw) => new nn.Embedding(a[0] as number, a[1] as number, { paddingIdx: kw.paddingIdx as number }),
};

describe('bad arguments raise PyTorch\'s errors', () => {
  test.each(fx.errors.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const inputs = c.inputs.map((v) => (typeof v === 'number' ? v : build(v)));
    expect(() => MAKERS[c.fn]!(inputs, options(c.kwargs))).toThrow(c.expect);
  });

  test('an out-of-range embedding index names the op, the index and the size', () => {
    const weight = torch.zeros([5, 3]);
    expect(() => F.embedding(torch.tensor([1, 7], { dtype: 'int32' }), weight)).toThrow(/embedding: index 7 is out of range for 5 embeddings/);
  });
});
