/** Every op against PyTorch fixtures on contiguous, transposed, broadcast, sliced, empty and size-1 inputs. */
import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import { opTable } from '../../lib/ops/elementwise';
import { build, decode, expectClose, loadFixture } from '../helpers/fixtures';
import type { Num, TensorJson } from '../helpers/fixtures';

interface OpCase {
  group: string;
  name: string;
  op: string;
  inputs: TensorJson[];
  args: Num[] & unknown[];
  /** Absent when PyTorch raises `error` (its first line, which torchlet's message must contain). */
  outs?: TensorJson[];
  error?: { type: string; message: string };
  /** PyTorch's error from backward, when it has no derivative (floor_divide) or refuses a dtype there. */
  gradError?: { type: string; message: string };
  rtol: number;
  atol: number;
  upstream?: TensorJson[];
  grads?: (TensorJson | null)[];
}

type Args = unknown[];
const n = (v: unknown): number => decode(v as Num);

type Spelling = (t: Tensor[], a: Args) => Tensor | Tensor[];
type AnyFn = (...args: unknown[]) => Tensor;

// The pointwise op table (lib/ops/pointwise.ts) spells its own cases: the fixture's op is the entry's name, its
// inputs and numbers are the operands, then the parameters (alpha, clamp's bounds). Each case runs as the torch.*
// function and as the method, which must agree bit for bit; `name_` cases run the in-place method on a clone.
const TABLE = new Map(opTable().map((e) => [e.name, e] as const));
const numbers = (a: Args): unknown[] => a.map((v) => (v === null || typeof v === 'boolean' ? v : n(v)));

function tableSpelling(op: string): Spelling | undefined {
  const inPlace = op.endsWith('_');
  const entry = TABLE.get(inPlace ? op.slice(0, -1) : op);
  if (!entry || (inPlace && !entry.inPlace)) return undefined;
  return (t, a) => {
    const rest = [...t.slice(1), ...numbers(a)];
    if (inPlace) {
      const self = t[0]!.clone();
      const r = (self[op as keyof Tensor] as AnyFn)(...rest);
      expect(r).toBe(self);
      return self;
    }
    const viaFunction = ((torch as unknown as Record<string, AnyFn>)[op]!)(t[0], ...rest);
    const viaMethod = (t[0]![op as keyof Tensor] as AnyFn)(...rest);
    expect(viaMethod.dtype).toBe(viaFunction.dtype);
    expect(viaMethod.tolist()).toEqual(viaFunction.tolist());
    return viaFunction;
  };
}

// The torchlet spelling of each PyTorch call in scripts/gen_fixtures.py outside the pointwise table.
const OPS: Record<string, Spelling> = {
  where: ([c, x, y]) => torch.where(c!, x!, y!),
  toFloat: ([x]) => x!.float(),
  toInt: ([x]) => x!.long(),
  toBool: ([x]) => x!.bool(),
  toDouble: ([x]) => x!.double(),
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
  powScalarBase: ([x], a) => torch.pow(n(a[0]), x!),
  clip: ([x], a) => torch.clip(x!, ...(numbers(a) as [number | null, number | null])),
  elu: ([x]) => torch.nn.functional.elu(x!),
  silu: ([x]) => torch.nn.functional.silu(x!),
  gelu: ([x]) => torch.nn.functional.gelu(x!),
  softplus: ([x]) => torch.nn.functional.softplus(x!),
};

const spelling = (op: string): Spelling => {
  const fn = OPS[op] ?? tableSpelling(op);
  if (!fn) throw new Error(`no torchlet spelling for fixture op ${op}`);
  return fn;
};

for (const file of ['ops.json', 'ops_float64.json']) {
  const fixture = loadFixture<OpCase>(file);
  const groups = [...new Set(fixture.cases.map((c) => c.group))];
  // float64 results are compared at float64 tolerances: the gradient check's floor shrinks with them.
  const gradFloor = file === 'ops_float64.json' ? 1e-12 : 1e-6;

  describe(`${file}: ops against PyTorch ${fixture.torch}`, () => {
    for (const group of groups) {
      describe(group, () => {
        test.each(fixture.cases.filter((c) => c.group === group).map((c) => [c.name, c] as const))('%s', (_name, c) => {
          const inputs = c.inputs.map((s) => build(s));
          const before = inputs.map((t) => t.clone());
          if (c.error) {
            expect(() => spelling(c.op)(inputs, c.args)).toThrow(c.error.message);
            return;
          }
          const result = spelling(c.op)(inputs, c.args);
          const outs = Array.isArray(result) ? result : [result];
          expect(outs.length).toBe(c.outs!.length);
          outs.forEach((o, i) => expectClose(o, c.outs![i]!, c.rtol, c.atol, `output ${i}`));
          // Out-of-place ops leave their inputs alone.
          inputs.forEach((t, i) => expectClose(t, { ...before[i]!, data: before[i]!.reshape([-1]).tolist() as number[] }, 0, 0, `input ${i}`));
          // A table op whose result has its first input's dtype and shape: the in-place form gives PyTorch's result too.
          const entry = TABLE.get(c.op);
          const want = c.outs![0]!;
          const x = inputs[0]!;
          if (entry?.inPlace && want.dtype === x.dtype && JSON.stringify(want.shape) === JSON.stringify(x.shape)) {
            expectClose(tableSpelling(`${c.op}_`)!(inputs, c.args) as Tensor, want, c.rtol, c.atol, 'in place');
          }
        });
      });
    }
  });

  // Gradients through the same views: each base tensor is a leaf, the view steps and the op are recorded.
  const gradCases = fixture.cases.filter((c) => c.grads || c.gradError);
  describe(`${file}: gradients against PyTorch ${fixture.torch}`, () => {
    for (const group of [...new Set(gradCases.map((c) => c.group))]) {
      describe(group, () => {
        test.each(gradCases.filter((c) => c.group === group).map((c) => [c.name, c] as const))('%s', (_name, c) => {
          const leaves: (Tensor | null)[] = [];
          const inputs = c.inputs.map((spec, i) => {
            leaves[i] = null;
            return build(spec, (b) => (leaves[i] = b));
          });
          const result = spelling(c.op)(inputs, c.args);
          const roots = (Array.isArray(result) ? result : [result]).filter((r) => r.requiresGrad);
          if (c.gradError) {
            // The result requires grad as in PyTorch; backward raises PyTorch's error.
            expect(roots.length).toBe(c.upstream!.length);
            expect(() => torch.autograd.backward(roots, c.upstream!.map((u) => build(u)))).toThrow(c.gradError.message);
            return;
          }
          torch.autograd.backward(roots, c.upstream!.map((u) => build(u)));
          c.grads!.forEach((want, i) => {
            if (!want) return;
            const got = leaves[i]!.grad;
            if (!got) throw new Error(`input ${i} got no gradient`);
            // Gradients compound the op's rounding: one more digit of slack than the forward check.
            expectClose(got, want, Math.max(c.rtol * 10, gradFloor), Math.max(c.atol * 10, gradFloor), `grad ${i}`);
          });
        });
      });
    }
  });

  test(`${file}: every entry of the pointwise table has PyTorch cases`, () => {
    const covered = new Set(fixture.cases.map((c) => c.op));
    expect([...TABLE.keys()].filter((name) => !covered.has(name))).toEqual([]);
  });
}
