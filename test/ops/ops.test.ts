/** Every op against PyTorch fixtures on contiguous, transposed, broadcast, sliced, empty and size-1 inputs. */
import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import { build, decode, expectClose, loadFixture } from '../helpers/fixtures';
import type { Num, TensorJson } from '../helpers/fixtures';

interface OpCase {
  group: string;
  name: string;
  op: string;
  inputs: TensorJson[];
  args: Num[] & unknown[];
  outs: TensorJson[];
  rtol: number;
  atol: number;
  upstream?: TensorJson[];
  grads?: (TensorJson | null)[];
}

type Args = unknown[];
const n = (v: unknown): number => decode(v as Num);
const opt = (v: unknown): number | null => (v === null ? null : n(v));

// The torchlet spelling of each PyTorch call in scripts/gen_fixtures.py.
const OPS: Record<string, (t: Tensor[], a: Args) => Tensor | Tensor[]> = {
  add: ([x, y]) => x!.add(y!),
  sub: ([x, y]) => x!.sub(y!),
  mul: ([x, y]) => x!.mul(y!),
  div: ([x, y]) => x!.div(y!),
  pow: ([x, y]) => x!.pow(y!),
  maximum: ([x, y]) => torch.maximum(x!, y!),
  minimum: ([x, y]) => torch.minimum(x!, y!),
  remainder: ([x, y]) => x!.remainder(y!),
  floorDivide: ([x, y]) => x!.floorDivide(y!),
  eq: ([x, y]) => x!.eq(y!),
  ne: ([x, y]) => x!.ne(y!),
  lt: ([x, y]) => x!.lt(y!),
  le: ([x, y]) => x!.le(y!),
  gt: ([x, y]) => x!.gt(y!),
  ge: ([x, y]) => x!.ge(y!),
  logicalAnd: ([x, y]) => x!.logicalAnd(y!),
  logicalOr: ([x, y]) => x!.logicalOr(y!),
  logicalXor: ([x, y]) => x!.logicalXor(y!),
  addAlpha: ([x, y], a) => x!.add(y!, n(a[0])),
  addScalar: ([x], a) => x!.add(n(a[0])),
  subScalar: ([x], a) => x!.sub(n(a[0])),
  mulScalar: ([x], a) => x!.mul(n(a[0])),
  divScalar: ([x], a) => x!.div(n(a[0])),
  powScalar: ([x], a) => x!.pow(n(a[0])),
  gtScalar: ([x], a) => x!.gt(n(a[0])),
  eqScalar: ([x], a) => x!.eq(n(a[0])),
  neg: ([x]) => x!.neg(),
  abs: ([x]) => x!.abs(),
  exp: ([x]) => x!.exp(),
  log: ([x]) => x!.log(),
  log1p: ([x]) => x!.log1p(),
  expm1: ([x]) => x!.expm1(),
  sqrt: ([x]) => x!.sqrt(),
  rsqrt: ([x]) => x!.rsqrt(),
  sin: ([x]) => x!.sin(),
  cos: ([x]) => x!.cos(),
  tanh: ([x]) => x!.tanh(),
  sigmoid: ([x]) => x!.sigmoid(),
  relu: ([x]) => x!.relu(),
  sign: ([x]) => x!.sign(),
  floor: ([x]) => x!.floor(),
  ceil: ([x]) => x!.ceil(),
  round: ([x]) => x!.round(),
  trunc: ([x]) => x!.trunc(),
  reciprocal: ([x]) => x!.reciprocal(),
  erf: ([x]) => x!.erf(),
  square: ([x]) => x!.square(),
  logicalNot: ([x]) => x!.logicalNot(),
  clamp: ([x], a) => x!.clamp(opt(a[0]), opt(a[1])),
  leakyRelu: ([x], a) => torch.leakyRelu(x!, n(a[0])),
  where: ([c, x, y]) => torch.where(c!, x!, y!),
  toFloat: ([x]) => x!.float(),
  toInt: ([x]) => x!.long(),
  toBool: ([x]) => x!.bool(),
  sum: ([x], a) => (a.length ? x!.sum(a[0] as number, a[1] as boolean) : x!.sum()),
  mean: ([x], a) => (a.length ? x!.mean(a[0] as number, a[1] as boolean) : x!.mean()),
  prod: ([x], a) => (a.length ? x!.prod(a[0] as number, a[1] as boolean) : x!.prod()),
  maxAll: ([x]) => x!.max(),
  minAll: ([x]) => x!.min(),
  maxDim: ([x], a) => [...x!.max(a[0] as number, a[1] as boolean)],
  minDim: ([x], a) => [...x!.min(a[0] as number, a[1] as boolean)],
  amax: ([x], a) => x!.amax(a[0] as number[], a[1] as boolean),
  argmax: ([x], a) => (a.length ? x!.argmax(a[0] as number, a[1] as boolean) : x!.argmax()),
  argmin: ([x], a) => (a.length ? x!.argmin(a[0] as number, a[1] as boolean) : x!.argmin()),
  var: ([x], a) => x!.var(a[0] as number, a[1] as boolean, a[2] as boolean),
  std: ([x], a) => x!.std(a[0] as number, a[1] as boolean, a[2] as boolean),
  varAll: ([x], a) => x!.var(null, a[0] as boolean),
  logsumexp: ([x], a) => x!.logsumexp(a[0] as number, a[1] as boolean),
  softmax: ([x], a) => x!.softmax(a[0] as number),
  logSoftmax: ([x], a) => x!.logSoftmax(a[0] as number),
  matmul: ([x, y]) => torch.matmul(x!, y!),
  mm: ([x, y]) => torch.mm(x!, y!),
  bmm: ([x, y]) => torch.bmm(x!, y!),
  addmm: ([i, x, y], a) => torch.addmm(i!, x!, y!, { beta: n(a[0]), alpha: n(a[1]) }),
  dot: ([x, y]) => torch.dot(x!, y!),
  contiguous: ([x]) => x!.contiguous(),
  reshape: ([x], a) => x!.reshape(a[0] as number[]),
  flatten: ([x], a) => x!.flatten(a[0] as number, a[1] as number),
  permute: ([x], a) => x!.permute(a[0] as number[]),
  squeeze: ([x], a) => (a.length ? x!.squeeze(a[0] as number) : x!.squeeze()),
  unsqueeze: ([x], a) => x!.unsqueeze(a[0] as number),
  narrow: ([x], a) => x!.narrow(a[0] as number, a[1] as number, a[2] as number),
  select: ([x], a) => x!.select(a[0] as number, a[1] as number),
  cat: (t, a) => torch.cat(t, a[0] as number),
  stack: (t, a) => torch.stack(t, a[0] as number),
  split: ([x], a) => x!.split(a[0] as number | number[], a[1] as number),
  chunk: ([x], a) => x!.chunk(a[0] as number, a[1] as number),
  gather: ([x, i], a) => x!.gather(a[0] as number, i!),
  indexSelect: ([x, i], a) => x!.indexSelect(a[0] as number, i!),
  copy_: ([x, y]) => x!.clone().copy_(y!),
  addInPlace: ([x, y]) => x!.clone().add_(y!),
  mulInPlace: ([x], a) => x!.clone().mul_(n(a[0])),
};

const fixture = loadFixture<OpCase>('ops.json');
const groups = [...new Set(fixture.cases.map((c) => c.group))];

describe(`ops against PyTorch ${fixture.torch}`, () => {
  for (const group of groups) {
    describe(group, () => {
      test.each(fixture.cases.filter((c) => c.group === group).map((c) => [c.name, c] as const))('%s', (_name, c) => {
        const fn = OPS[c.op];
        if (!fn) throw new Error(`no torchlet spelling for fixture op ${c.op}`);
        const inputs = c.inputs.map((s) => build(s));
        const before = inputs.map((t) => t.clone());
        const result = fn(inputs, c.args);
        const outs = Array.isArray(result) ? result : [result];
        expect(outs.length).toBe(c.outs.length);
        outs.forEach((o, i) => expectClose(o, c.outs[i]!, c.rtol, c.atol, `output ${i}`));
        // Out-of-place ops leave their inputs alone.
        inputs.forEach((t, i) => expectClose(t, { ...before[i]!, data: before[i]!.reshape([-1]).tolist() as number[] }, 0, 0, `input ${i}`));
      });
    });
  }
});

// Gradients through the same views: each base tensor is a leaf, the view steps and the op are recorded.
const gradCases = fixture.cases.filter((c) => c.grads);
describe(`gradients against PyTorch ${fixture.torch}`, () => {
  for (const group of [...new Set(gradCases.map((c) => c.group))]) {
    describe(group, () => {
      test.each(gradCases.filter((c) => c.group === group).map((c) => [c.name, c] as const))('%s', (_name, c) => {
        const leaves: (Tensor | null)[] = [];
        const inputs = c.inputs.map((spec, i) => {
          leaves[i] = null;
          return build(spec, (b) => (leaves[i] = b));
        });
        const result = OPS[c.op]!(inputs, c.args);
        const roots = (Array.isArray(result) ? result : [result]).filter((r) => r.requiresGrad);
        torch.autograd.backward(roots, c.upstream!.map((u) => build(u)));
        c.grads!.forEach((want, i) => {
          if (!want) return;
          const got = leaves[i]!.grad;
          if (!got) throw new Error(`input ${i} got no gradient`);
          // Gradients compound the op's rounding: one more digit of slack than the forward check.
          expectClose(got, want, Math.max(c.rtol * 10, 1e-6), Math.max(c.atol * 10, 1e-6), `grad ${i}`);
        });
      });
    });
  }
});
