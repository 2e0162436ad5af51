/**
 * The tensor ops sequence models need (issue 13) against PyTorch (scripts/gen_seqops_fixtures.py): maskedFill and
 * boolean masks, tril/triu, cumsum/cumprod, sort/argsort/topk, oneHot, repeat/tile/repeatInterleave/flip/roll,
 * meshgrid, einsum, baddbmm, scatter/scatterReduce, diagonal/diag, lerp/addcmul/addcdiv, isinf & co, nanToNum,
 * var/std with correction and the Tensor.new* constructors; also norm, normalize, isclose/allclose/equal and outer.
 * Each case checks PyTorch's error, or the outputs, their requiresGrad flags and the gradients of the inputs.
 */
import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import { build, describeGroups, decode, expectClose, loadFixture } from '../helpers/fixtures';
import type { OpCase, TensorJson } from '../helpers/fixtures';

/** A case, with second-order gradients for some: of sum(grad_i * weights_i), null where PyTorch's is None. */
interface Case extends OpCase {
  weights?: (TensorJson | null)[];
  grads2?: (TensorJson | null)[];
}
import { expectError } from '../helpers/errors';

const F = torch.nn.functional;

type Result = Tensor | Iterable<Tensor>;
type Dims = number | number[];
const dtypeOpt = (a: unknown[], i: number): { dtype?: 'float32' | 'float64' } => (a.length > i ? { dtype: a[i] as 'float32' | 'float64' } : {});

/** topk with sorted: false, ordered by index on both sides (PyTorch's order is unspecified). */
function byIndex(r: { values: Tensor; indices: Tensor }): Tensor[] {
  const order = r.indices.argsort(-1);
  return [r.values.gather(-1, order), r.indices.gather(-1, order)];
}

// The torchlet spelling of each op of the generator's OPS table.
const OPS: Record<string, (t: Tensor[], a: unknown[]) => Result> = {
  maskedFill: ([x, m, v], [s]) => x!.maskedFill(m!, v ?? (s as number)),
  maskedFill_: ([x, m], [s]) => x!.detach().clone().maskedFill_(m!, s as number),
  maskedSelect: ([x, m]) => x!.maskedSelect(m!),
  maskedScatter: ([x, m, s]) => x!.maskedScatter(m!, s!),
  maskIndex: ([x, m], [d]) => x!.index(...new Array<string>(d as number).fill(':'), m!),
  nonzero: ([x], [asTuple]) => (asTuple ? torch.nonzero(x!, { asTuple: true }) : x!.nonzero()),
  where1: ([x]) => torch.where(x!),
  tril: ([x], a) => x!.tril(...(a as number[])),
  triu: ([x], a) => x!.triu(...(a as number[])),
  cumsum: ([x], a) => x!.cumsum(a[0] as number, dtypeOpt(a, 1)),
  cumprod: ([x], a) => x!.cumprod(a[0] as number, dtypeOpt(a, 1)),
  sort: ([x], [d, desc]) => x!.sort({ dim: d as number, descending: desc as boolean, stable: true }),
  argsort: ([x], [d, desc]) => x!.argsort(d as number, desc as boolean),
  topk: ([x], [k, d, largest]) => x!.topk(k as number, { dim: d as number, largest: largest as boolean }),
  topkUnsorted: ([x], [k, d]) => byIndex(x!.topk(k as number, { dim: d as number, sorted: false })),
  oneHot: ([x], a) => F.oneHot(x!, ...(a as number[])),
  repeat: ([x], [r]) => x!.repeat(r as number[]),
  tile: ([x], [r]) => x!.tile(r as number[]),
  repeatInterleave: ([x, r], [n, d]) => x!.repeatInterleave(r ?? (n as number), { dim: d as number | null }),
  flip: ([x], [d]) => x!.flip(d as number[]),
  roll: ([x], a) => (a.length > 1 ? x!.roll(a[0] as Dims, a[1] as Dims) : x!.roll(a[0] as Dims)),
  meshgrid: (t, [i]) => torch.meshgrid(t, { indexing: i as 'ij' | 'xy' }),
  einsum: (t, [eq]) => torch.einsum(eq as string, ...t),
  baddbmm: ([i, a, b], [beta, alpha]) => torch.baddbmm(i!, a!, b!, { beta: beta as number, alpha: alpha as number }),
  scatter: ([x, i, s], a) => x!.scatter(a[0] as number, i!, s ?? (a[1] as number), a.length > 2 ? { reduce: a[2] as 'add' | 'multiply' } : undefined),
  scatterReduce: ([x, i, s], [d, r, inc]) => x!.scatterReduce(d as number, i!, s!, r as 'sum', { includeSelf: inc as boolean }),
  diagonal: ([x], [offset, dim1, dim2]) => x!.diagonal({ offset: offset as number, dim1: dim1 as number, dim2: dim2 as number }),
  diag: ([x], a) => x!.diag(...(a as number[])),
  lerp: ([x, e, w], [s]) => x!.lerp(e!, w ?? (s as number)),
  addcmul: ([x, a, b], [v]) => x!.addcmul(a!, b!, { value: v as number }),
  addcdiv: ([x, a, b], [v]) => x!.addcdiv(a!, b!, { value: v as number }),
  isinf: ([x]) => x!.isinf(),
  isfinite: ([x]) => x!.isfinite(),
  isposinf: ([x]) => x!.isposinf(),
  isneginf: ([x]) => x!.isneginf(),
  nanToNum: ([x], [nan, posinf, neginf]) => x!.nanToNum({ nan: nan as number, posinf: posinf as number, neginf: neginf as number }),
  var: ([x], [d, c, k]) => x!.var(d as number, { correction: c as number, keepDim: k as boolean }),
  std: ([x], [d, c, k]) => x!.std(d as number, { correction: c as number, keepDim: k as boolean }),
  newFull: ([x], [s, v]) => x!.newFull(s as number[], v as number),
  newZeros: ([x], [s]) => x!.newZeros(s as number[]),
  newOnes: ([x], a) => x!.newOnes(a[0] as number[], dtypeOpt(a, 1)),
  newTensor: ([x], [d]) => x!.newTensor(d as number[][]),
  clamp: (t, [which]) => t[0]!.clamp(...(which as number[]).map((k) => t[k] ?? null)),
  unique: ([x], [inverse, counts, dim]) => {
    const r = x!.unique({ returnInverse: inverse as boolean, returnCounts: counts as boolean, dim: dim as number | null });
    return r instanceof torch.Tensor ? r : r;
  },
  searchsorted: ([s, v, sorter], [right, side, value]) =>
    torch.searchsorted(s!, v ?? (value as number), { right: right as boolean, side: (side ?? undefined) as 'left' | 'right' | undefined, sorter }),
  bucketize: ([x, b], [right]) => torch.bucketize(x!, b!, { right: right as boolean }),
  matmul: ([a, b]) => a!.matmul(b!),
  bmm: ([a, b]) => a!.bmm(b!),
  norm: ([x], a) => x!.norm(...(a.map((v, i) => (i === 0 && typeof v === 'string' && v !== 'fro' && v !== 'bogus' ? decode(v) : v)) as Parameters<Tensor['norm']>)),
  normalize: ([x], a) => F.normalize(x!, ...(a as number[])),
  isclose: ([x, y], [rtol, atol, equalNan]) => torch.isclose(x!, y!, { rtol: rtol as number, atol: atol as number, equalNan: equalNan as boolean }),
  allclose: ([x, y], [rtol, atol, equalNan]) => torch.tensor(torch.allclose(x!, y!, { rtol: rtol as number, atol: atol as number, equalNan: equalNan as boolean })),
  equal: ([x, y]) => torch.tensor(torch.equal(x!, y!)),
  outer: ([x, y]) => torch.outer(x!, y!),
};

// Error messages name the op as torchlet spells it.
const NAME: Record<string, string> = { maskIndex: 'index', where1: 'where', topkUnsorted: 'topk' };

const fixture = loadFixture<Case>('seqops.json');

function label(c: Case): string {
  return `${c.op}(${c.inputs.map((i) => `${i.dtype}[${i.shape.join(',')}]${i.steps ? '*' : ''}`).join(', ')}; ${JSON.stringify(c.args)})`;
}

function check(c: Case): void {
  const leaves: Tensor[] = [];
  const inputs = c.inputs.map((spec) => build(spec, c.grad ? (base): void => void leaves.push(base) : undefined));
  // The generator writes infinities and NaN as strings.
  const args = c.args.map((a) => (a === 'inf' || a === '-inf' || a === 'nan' ? decode(a) : a));
  const run = (): Result => OPS[c.op]!(inputs, args);
  if (c.error) {
    const escape = (t: string): string => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const name = (NAME[c.op] ?? c.op).replace(/_$/, '');
    expectError(run, c.error.type, new RegExp(`^(?=${name}_?\\b).*${escape(c.error.key)}`));
    return;
  }
  const r = run();
  const outs = r instanceof torch.Tensor ? [r] : [...r];
  expect(outs.length).toBe(c.outs!.length);
  outs.forEach((o, i) => expectClose(o, c.outs![i]!, c.rtol, c.atol, `output ${i}`));
  expect(outs.map((o) => o.requiresGrad)).toEqual(c.requiresGrad);
  if (!c.grads) return;
  const diff = outs.filter((o) => o.requiresGrad);
  const ups = c.upstream!.map((u) => build(u));
  const second = c.grads2 !== undefined;
  const gs = torch.autograd.grad(diff, leaves, { gradOutputs: ups, allowUnused: true, createGraph: second });
  expectGrads(gs, c.grads, c, 'gradient');
  if (!second) return;
  const terms = gs.flatMap((g, i) => (g && g.requiresGrad ? [g.mul(build(c.weights![i]!)).sum()] : []));
  if (terms.length === 0) {
    // PyTorch's gradients do not depend on the inputs: torchlet's must not either.
    expect(c.grads2!.every((g) => g === null)).toBe(true);
    return;
  }
  expectGrads(torch.autograd.grad(terms.reduce((a, b) => a.add(b)), leaves, { allowUnused: true }), c.grads2!, c, 'second-order gradient');
}

function expectGrads(got: (Tensor | null)[], want: (TensorJson | null)[], c: Case, what: string): void {
  want.forEach((w, i) => {
    if (w) expectClose(got[i]!, w, c.rtol, c.atol, `${what} ${i}`);
    else expect(got[i]).toBeNull();
  });
}

describe('sequence-model tensor ops against PyTorch', () => describeGroups(fixture, label, check));

describe('in-place forms', () => {
  test('write into the tensor and refuse leaves that require grad', () => {
    const x = torch.tensor([[1, 2], [3, 4]]);
    expect(x.maskedFill_(torch.tensor([true, false]), 0)).toBe(x);
    expect(x.tolist()).toEqual([[0, 2], [0, 4]]);
    expect(x.tril_().tolist()).toEqual([[0, 0], [0, 4]]);
    expect(x.scatter_(1, torch.tensor([[1], [0]], { dtype: 'int64' }), 7).tolist()).toEqual([[0, 7], [7, 4]]);
    expect(x.cumsum_(0).tolist()).toEqual([[0, 7], [7, 11]]);
    const y = torch.tensor([[1, -2], [5, 0.5]]);
    expect(y.clamp_(torch.tensor([0, 0]), torch.tensor([[4], [1]])).tolist()).toEqual([[1, 0], [1, 0.5]]);
    expect(y.triu_().tolist()).toEqual([[1, 0], [0, 0.5]]);
    expect(y.maskedScatter_(torch.tensor([false, true]), torch.tensor([7, 8])).tolist()).toEqual([[1, 7], [0, 8]]);
    expect(y.cumprod_(1).tolist()).toEqual([[1, 7], [0, 0]]);
    const z = torch.tensor([NaN, Infinity, -Infinity, 2]);
    expect(z.nanToNum_({ nan: 1, posinf: 9, neginf: -9 }).tolist()).toEqual([1, 9, -9, 2]);
    const w = torch.zeros(3);
    expect(w.scatterReduce_(0, torch.tensor([0, 0, 2], { dtype: 'int64' }), torch.tensor([1, 2, 3]), 'sum').tolist()).toEqual([3, 0, 3]);
    const leaf = torch.ones(2).requiresGrad_();
    expectError(() => leaf.maskedFill_(torch.tensor([true, false]), 0), 'Error', /^maskedFill_: a leaf Variable that requires grad/);
  });
});

describe('argument checks name the op', () => {
  test.each([
    ['sort', () => torch.sort(torch.ones(3), 'x' as unknown as number), 'TypeError', /^sort: expected an integer or an options object for 'dim'/],
    ['topk', () => torch.topk(torch.ones(3), 1.5), 'RangeError', /^topk: expected an integer for 'k'/],
    ['topk options', () => torch.topk(torch.ones(3), 1, { largest: 1 as unknown as boolean }), 'TypeError', /^topk: expected a boolean for 'largest'/],
    ['einsum', () => torch.einsum(3 as unknown as string, torch.ones(2)), 'TypeError', /^einsum: expected a string for 'equation'/],
    ['einsum operands', () => torch.einsum('i', 'x' as unknown as Tensor), 'TypeError', /^einsum: expected a Tensor for 'operands\[0\]'/],
    ['einsum dtypes', () => torch.einsum('i,i', torch.ones(2), torch.ones(2, { dtype: 'float64' })), 'TypeError', /^einsum: expected scalar type Float but found Double/],
    ['clamp mixed bounds', () => torch.clamp(torch.ones(2), torch.zeros(2), 1), 'TypeError', /^clamp: expected min and max to be both Tensors or both numbers/],
    ['roll', () => torch.roll(torch.ones(2), []), 'RangeError', /^roll: `shifts` required/],
    ['meshgrid', () => torch.meshgrid([torch.ones(2)], { indexing: 'yx' as 'xy' }), 'RangeError', /^meshgrid: indexing must be one of "xy" or "ij"/],
    ['scatter index dtype', () => torch.zeros(2).scatter(0, torch.zeros(1), 1), 'TypeError', /^scatter: scatter\(\): Expected dtype int64 for index/],
    ['repeatInterleave', () => torch.ones(2).repeatInterleave(1.5), 'TypeError', /^repeatInterleave: expected an integer or an int32 Tensor for 'repeats'/],
    ['nonzero options', () => torch.nonzero(torch.ones(2), { asTuple: 'yes' as unknown as boolean }), 'TypeError', /^nonzero: expected a boolean for 'asTuple'/],
    ['var correction', () => torch.ones(3).var(0, { correction: 1, unbiased: true }), 'TypeError', /^var: cannot specify both correction and unbiased/],
    ['index mask and index', () => torch.ones(2, 2).index(torch.tensor([true, false]), torch.tensor([0], { dtype: 'int64' })), 'TypeError', /^index: a bool mask cannot be combined/],
    ['oneHot too many classes', () => F.oneHot(torch.tensor([0, 1], { dtype: 'int64' }), 2 ** 40), 'RangeError', /^oneHot: cannot allocate an int32 tensor of shape \[2, 1099511627776\]/],
  ] as const)('%s', (_name, fn, type, message) => expectError(fn, type, message));
});
