/**
 * The run-time side of the typings in test/types: what the types promise is what the values are. max/min along a
 * dim give a [values, indices] pair with names (PyTorch's named tuple: out[0], out.values, destructuring);
 * Sequential and ModuleList iterate over their modules in order; item() and tolist() give booleans exactly for
 * bool tensors (the BoolTensor results of comparisons, predicates, logical ops, all/any and bool()).
 */
import * as torch from '../../lib';
import main from '../../lib/main';

const { nn } = torch;

test('max/min along a dim: a pair that is also named', () => {
  const x = torch.tensor([[1, 5, 2], [7, 0, 3]]);
  for (const r of [torch.max(x, 1), x.min(0, true)]) {
    expect(Array.isArray(r)).toBe(true);
    expect(r).toHaveLength(2);
    expect(r[0]).toBe(r.values);
    expect(r[1]).toBe(r.indices);
    const [v, i] = r;
    expect([v, i]).toEqual([r.values, r.indices]);
  }
  // Values as Python computes them: max over dim 1 of [[1, 5, 2], [7, 0, 3]] is [5, 7] at [1, 0].
  expect(torch.max(x, 1)[0].tolist()).toEqual([5, 7]);
  expect(torch.max(x, 1)[1].tolist()).toEqual([1, 0]);
});

test('Sequential and ModuleList iterate over their modules in order', () => {
  const a = new nn.Linear(2, 2);
  const b = new nn.ReLU();
  const c = new nn.Linear(2, 1);
  const seq = new nn.Sequential(a, b);
  seq.append(c);
  expect([...seq]).toEqual([a, b, c]);
  expect([...seq].every((m, k) => m === [a, b, c][k])).toBe(true);
  expect(seq.at(-1)).toBe(c);
  const list = new nn.ModuleList([a, c]);
  expect([...list].every((m, k) => m === [a, c][k])).toBe(true);
  expect(list.at(-2)).toBe(a);
  // A ModuleList made from a Sequential takes its modules, as PyTorch's ModuleList(nn.Sequential(...)).
  expect(new nn.ModuleList(seq).length).toBe(3);
});

test('item() and tolist() give booleans exactly for bool tensors', () => {
  const x = torch.tensor([0.5, -1, 2]);
  const bools: unknown[] = [x.gt(0).any().item(), x.lt(0).all().item(), x.isnan().any().item(), torch.eq(x, x).all().item(), x.bool().all().item(), x.gt(0).logicalNot().any().item()];
  expect(bools).toEqual([true, false, false, true, true, true]);
  expect(typeof x.gt(0).sum().item()).toBe('number');
  expect(typeof x.clone().gt_(0).sum().item()).toBe('number');
  expect(x.gt(0).tolist()).toEqual([true, false, true]);
  expect(x.sum().tolist()).toBeCloseTo(1.5, 6);
});

test('the package entry has a default export that is the module itself', () => {
  expect(main.tensor).toBe(torch.tensor);
  expect(main.nn.Linear).toBe(torch.nn.Linear);
});
