/**
 * Edge cases against PyTorch (scripts/gen_edge_tensor_fixtures.py): negative and out-of-range indices, empty
 * results and empty dims in reductions, slices, splits and concatenation, 0-d movement ops, prod's gradient at
 * zeros, max/min with ties and NaN. Each case checks PyTorch's error, or the outputs, their requiresGrad, the
 * gradients and (grad2) the second-order gradients.
 */
import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import { build, describeGroups, decode, expectClose, loadFixture } from '../helpers/fixtures';
import type { Num, OpCase, TensorJson } from '../helpers/fixtures';
import { expectError } from '../helpers/errors';

const F = torch.nn.functional;

interface EdgeCase extends OpCase {
  weights?: (TensorJson | null)[];
  grads2?: (TensorJson | null)[] | null;
  aliasWeight?: TensorJson;
  aliasGrads?: (TensorJson | null)[];
}

type Result = Tensor | Iterable<Tensor>;
const num = (v: unknown): number => decode(v as Num);
const opt = (v: unknown): number | null => (v === null ? null : num(v));
// (dim, keepDim) when given, else the reduction over everything.
const reduction = (f: (x: Tensor, ...a: never[]) => Result) => (t: Tensor[], a: unknown[]): Result =>
  a.length ? (f as (x: Tensor, d: unknown, k: boolean) => Result)(t[0]!, a[0], a[1] as boolean) : f(t[0]!);

// The torchlet spelling of each op of the generator's OPS table.
const OPS: Record<string, (t: Tensor[], a: unknown[]) => Result> = {
  index: ([x, i], [d]) => x!.index(...new Array<string>(d as number).fill(':'), i!),
  indexInt: ([x], [i]) => x!.index(i as number),
  slice: ([x], [d, s, e, step]) => x!.index(...new Array<string>(d as number).fill(':'), `${opt(s) ?? ''}:${opt(e) ?? ''}:${num(step)}`),
  indexSelect: ([x, i], [d]) => x!.indexSelect(d as number, i!),
  gather: ([x, i], [d]) => x!.gather(d as number, i!),
  scatterAdd: ([x, i, s], [d]) => x!.scatterAdd(d as number, i!, s!),
  indexAdd: ([x, i, s], [d]) => x!.indexAdd(d as number, i!, s!),
  sum: reduction((x: Tensor, d?: number, k?: boolean) => x.sum(d, k)),
  mean: reduction((x: Tensor, d?: number, k?: boolean) => x.mean(d, k)),
  prod: reduction((x: Tensor, d?: number, k?: boolean) => x.prod(d, k)),
  amax: reduction((x: Tensor, d?: number, k?: boolean) => x.amax(d, k)),
  amin: reduction((x: Tensor, d?: number, k?: boolean) => x.amin(d, k)),
  max: reduction((x: Tensor, d?: number, k?: boolean) => (d === undefined ? x.max() : x.max(d, k))),
  min: reduction((x: Tensor, d?: number, k?: boolean) => (d === undefined ? x.min() : x.min(d, k))),
  argmax: reduction((x: Tensor, d?: number, k?: boolean) => x.argmax(d, k)),
  argmin: reduction((x: Tensor, d?: number, k?: boolean) => x.argmin(d, k)),
  var: reduction((x: Tensor, d?: number, u?: boolean) => x.var(d, u)),
  std: reduction((x: Tensor, d?: number, u?: boolean) => x.std(d, u)),
  logsumexp: ([x], [d]) => x!.logsumexp(d as number),
  softmax: ([x], [d]) => x!.softmax(d as number),
  logSoftmax: ([x], [d]) => x!.logSoftmax(d as number),
  layerNorm: ([x], [s]) => F.layerNorm(x!, s as number[]),
  crossEntropy: ([x, y], [r]) => F.crossEntropy(x!, y!, { reduction: r as 'mean' | 'sum' | 'none' }),
  maxPool2d: ([x], [k]) => F.maxPool2d(x!, k as number),
  add: ([x, y]) => x!.add(y!),
  mul: ([x, y]) => x!.mul(y!),
  addmm: ([b, m1, m2], [beta, alpha]) => torch.addmm(b!, m1!, m2!, { beta: beta as number | undefined, alpha: alpha as number | undefined }),
  linear: ([x, w, b]) => F.linear(x!, w!, b!),
  expand: ([x], [s]) => x!.expand(s as number[]),
  pad: ([x], [p]) => F.pad(x!, p as number[]),
  copy: ([x, y]) => x!.detach().clone().copy_(y!),
  strides: (_, [s]) => torch.tensor([...torch.zeros(s as number[]).stride()], { dtype: 'int64' }),
  unbind: ([x], [d]) => x!.unbind(d as number),
  split: ([x], [s, d]) => x!.split(s as number | number[], d as number),
  chunk: ([x], [c, d]) => x!.chunk(c as number, d as number),
  tensorSplit: ([x], [s, d]) => torch.tensorSplit(x!, s as number | number[], d as number),
  cat: (t, [d]) => torch.cat(t, d as number),
  transpose: ([x], [a, b]) => x!.transpose(a as number, b as number),
  permute: ([x], [p]) => x!.permute(p as number[]),
  reshape: ([x], [s]) => x!.reshape(s as number[]),
  squeeze: ([x], a) => (a.length ? x!.squeeze(a[0] as number) : x!.squeeze()),
  unsqueeze: ([x], [d]) => x!.unsqueeze(d as number),
  flatten: ([x]) => x!.flatten(),
  t: ([x]) => x!.t(),
  select: ([x], [d, i]) => x!.select(d as number, i as number),
  flattenDims: ([x], [s, e]) => x!.flatten(s as number, e as number),
  broadcastTo: ([x], [s]) => torch.broadcastTo(x!, s as number[]),
  narrow: ([x], [d, s, n]) => x!.narrow(d as number, s as number, n as number),
  view: ([x], [s]) => x!.view(s as number[]),
  indexSpecs: ([x], [specs]) => x!.index(...(specs as string[])),
  viewAs: ([x]) => x!.viewAs(x!),
  reshapeAs: ([x]) => x!.reshapeAs(x!),
  expandAs: ([x]) => x!.expandAs(x!),
  contiguous: ([x]) => x!.contiguous(),
  sumToSize: ([x], [s]) => x!.sumToSize(s as number[]),
  T: ([x]) => x!.T,
  mm: ([a, b]) => a!.mm(b!),
  bmm: ([a, b]) => a!.bmm(b!),
  matmul: ([a, b]) => a!.matmul(b!),
  dot: ([a, b]) => a!.dot(b!),
  linearNoBias: ([x, w]) => F.linear(x!, w!),
  avgPool2d: ([x], [k]) => F.avgPool2d(x!, k as number),
  adaptiveAvgPool2d: ([x], [s]) => F.adaptiveAvgPool2d(x!, s as number),
  adaptiveMaxPool2d: ([x], [s]) => F.adaptiveMaxPool2d(x!, s as number),
  conv1d: ([x, w], [p]) => F.conv1d(x!, w!, null, { padding: p as number }),
  conv2d: ([x, w], [p]) => F.conv2d(x!, w!, null, { padding: p as number }),
};

const fixture = loadFixture<EdgeCase>('edge_tensor.json');

function label(c: EdgeCase): string {
  return `${c.op}(${c.inputs.map((i) => `${i.dtype}[${i.shape.join(',')}]`).join(', ')}; ${JSON.stringify(c.args)})`;
}

function results(r: Result): Tensor[] {
  return r instanceof torch.Tensor ? [r] : [...r];
}

function expectGrads(got: (Tensor | null)[], want: (TensorJson | null)[], c: EdgeCase, what: string): void {
  expect(got.map((g) => g !== null)).toEqual(want.map((g) => g !== null));
  want.forEach((w, i) => {
    if (w) expectClose(got[i]!, w, c.rtol, c.atol, `${what} ${i}`);
  });
}

function check(c: EdgeCase): void {
  // Each input is a base tensor (a leaf requiring grad, when floating and the case takes gradients) seen through
  // the fixture's view steps; gradients are taken with respect to the bases.
  const leaves: Tensor[] = [];
  const inputs = c.inputs.map((spec) => build(spec, c.grad ? (base): void => void leaves.push(base) : undefined));
  const run = (): Result => OPS[c.op]!(inputs, c.args);
  if (c.error) {
    // The message names the op, then says what PyTorch says.
    const escape = (t: string): string => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const name = c.op === 'indexInt' ? 'index' : c.op;
    expectError(run, c.error.type, new RegExp(`^(?=${name}\\b).*${escape(c.error.key)}`));
    return;
  }
  const outs = results(run());
  expect(outs.length).toBe(c.outs!.length);
  outs.forEach((o, i) => expectClose(o, c.outs![i]!, c.rtol, c.atol, `output ${i}`));
  expect(outs.map((o) => o.requiresGrad)).toEqual(c.requiresGrad);
  if (!c.grads) return;
  const diff = outs.filter((o) => o.requiresGrad);
  const xs = leaves;
  const ups = c.upstream!.map((u) => build(u));
  const grad2 = c.grads2 !== undefined;
  const gs = torch.autograd.grad(diff, xs, { gradOutputs: ups, allowUnused: true, createGraph: grad2, retainGraph: grad2 || c.aliasGrads !== undefined });
  expectGrads(gs, c.grads, c, 'gradient');
  if (c.aliasGrads) {
    // The outputs as values: a new view gets its upstream gradient only, the input object itself the input's term too.
    const terms = diff.map((o, i) => o.mul(ups[i]!).sum());
    const loss = terms.reduce((a, b) => a.add(b)).add(inputs[0]!.mul(build(c.aliasWeight!)).sum());
    expectGrads(torch.autograd.grad(loss, diff, { allowUnused: true }), c.aliasGrads, c, 'gradient w.r.t. the output');
  }
  if (!grad2) return;
  const terms = gs.flatMap((g, i) => (g && g.requiresGrad ? [g.mul(build(c.weights![i]!)).sum()] : []));
  if (c.grads2 === null) {
    // PyTorch's gradients do not depend on the inputs: torchlet's must not either.
    expect(terms).toHaveLength(0);
    return;
  }
  const total = terms.reduce((a, b) => a.add(b));
  expectGrads(torch.autograd.grad(total, xs, { allowUnused: true }), c.grads2!, c, 'second-order gradient');
}

test('integer products that do not fit int32 raise (PyTorch int64 holds them)', () => {
  // 46341 * 46341 = 2147488281 > 2**31 - 1
  expect(() => torch.tensor([[46341]], { dtype: 'int32' }).mm(torch.tensor([[46341]], { dtype: 'int32' }))).toThrow(RangeError);
  expect(() => torch.tensor([[46341]], { dtype: 'int32' }).matmul(torch.tensor([[-46341]], { dtype: 'int32' }))).toThrow(/does not fit/);
  // 2**30 * 2 = 2**31, plus 0 * beta
  expect(() => torch.addmm(torch.tensor([0], { dtype: 'int32' }), torch.tensor([[2 ** 30]], { dtype: 'int32' }), torch.tensor([[2]], { dtype: 'int32' }))).toThrow(/addmm/);
  // PyTorch refuses mixed dtypes and bool products (RuntimeError): torchlet's dtype errors are TypeErrors.
  const i22 = torch.tensor([[1, 2], [3, 4]], { dtype: 'int32' });
  expect(() => i22.mm(torch.ones([2, 2]))).toThrow(TypeError);
  expect(() => torch.addmm(torch.ones([2]), i22, i22)).toThrow(/addmm: self and mat2 must have the same dtype/);
  expect(() => torch.tensor([[true]]).mm(torch.tensor([[true]]))).toThrow(/not implemented for 'Bool'/);
});

test('reductions over dims of size 1: sum turns -0 into 0, prod and max keep it (the fixture compares within a tolerance)', () => {
  // PyTorch 1.13: torch.tensor([[-0.0, 1.0]]).sum(0) is [0., 1.], .prod(0) and .amax(0) are [-0., 1.].
  for (const dtype of ['float32', 'float64'] as const) {
    const x = torch.tensor([[-0, 1]], { dtype });
    expect(Object.is((x.sum(0).tolist() as number[])[0], 0)).toBe(true);
    expect(Object.is((x.t().sum(1).tolist() as number[])[0], 0)).toBe(true);
    expect(Object.is((x.prod(0).tolist() as number[])[0], -0)).toBe(true);
    expect(Object.is((x.amax(0).tolist() as number[])[0], -0)).toBe(true);
  }
});

describe('edge cases against PyTorch', () => describeGroups(fixture, label, check));
