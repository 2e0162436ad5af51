/** Autograd semantics as PyTorch's: accumulation, freeing, leaves, grad mode. */
import * as torch from '../../lib';
import { expectError } from '../helpers/errors';

describe('autograd', () => {
  test('leaf gradients accumulate across backward calls (2x then 3x gives 5x)', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    x.mul(2).sum().backward();
    x.mul(3).sum().backward();
    expect(x.grad!.tolist()).toEqual([5, 5]);
  });

  test('.grad accumulates in place, as PyTorch\'s AccumulateGrad: a reference to it sees the sum; not under createGraph', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    x.mul(2).sum().backward();
    const first = x.grad!;
    x.mul(3).sum().backward();
    expect(x.grad).toBe(first);
    expect(first.tolist()).toEqual([5, 5]);
    // A .grad the user assigned is written in place too (PyTorch's `variable_grad += new_grad`).
    const mine = torch.tensor([10, 20]);
    x.grad = mine;
    x.mul(x).sum().backward();
    expect(x.grad).toBe(mine);
    expect(mine.tolist()).toEqual([12, 24]);
    // createGraph records the sum, so it is a new tensor and the old one keeps its values.
    x.mul(4).sum().backward({ createGraph: true });
    expect(x.grad).not.toBe(mine);
    expect(mine.tolist()).toEqual([12, 24]);
    expect(x.grad!.tolist()).toEqual([16, 28]);
  });

  test('a gradient that becomes a .grad while other nodes still read it is copied, so later sums in place leave them intact', () => {
    // add's backward hands one gradient to both of its inputs: w gets it as its first .grad while another node
    // still has to read it, and a branch adds into w.grad before that node runs (in some of the four orders).
    // The product by k makes that gradient a fresh, dense tensor (sum's own is an expanded view, always copied).
    const w0 = [0.5, -1.25, 2];
    const k = [3, -2, 0.5];
    const expected = w0.map((v, i) => k[i]! * (1 + Math.exp(v) + Math.cos(v)));
    for (const order of [0, 1, 2, 3]) {
      const w = torch.tensor(w0, { requiresGrad: true });
      const inner = order % 2 === 0 ? w.add(w.exp()) : w.add(w.sin());
      const other = order % 2 === 0 ? w.sin() : w.exp();
      const out = order < 2 ? inner.add(other) : other.add(inner);
      out.mul(torch.tensor(k)).sum().backward();
      (w.grad!.tolist() as number[]).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
    }
  });

  test('a second backward through a freed graph throws PyTorch\'s error; retainGraph keeps it', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    const y = x.exp().sum();
    y.backward({ retainGraph: true });
    y.backward();
    expectError(() => y.backward(), 'Error', /Trying to backward through the graph a second time/);
    expect(x.grad!.tolist()).toEqual([2 * Math.fround(Math.exp(1)), 2 * Math.fround(Math.exp(2))].map(Math.fround));
  });

  test('non-leaf tensors get no .grad unless retainGrad()', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    const h = x.mul(3);
    const k = x.mul(4).retainGrad();
    h.add(k).sum().backward();
    expect(h.grad).toBeNull();
    expect(k.grad!.tolist()).toEqual([1, 1]);
    expect(h.isLeaf).toBe(false);
    expect(x.isLeaf).toBe(true);
  });

  test('requiresGrad_ on a non-leaf throws; on an integer tensor too', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    expectError(() => x.mul(2).requiresGrad_(false), 'Error', /you can only change requires_grad flags of leaf variables/);
    expectError(() => torch.arange(3).requiresGrad_(), 'TypeError', /only Tensors of floating point dtype can require gradients/);
  });

  test('under noGrad results have requiresGrad false and no gradFn', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    const y = torch.noGrad(() => x.mul(2));
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    expect(torch.enableGrad(() => x.mul(2)).requiresGrad).toBe(true);
  });

  test('gradFn carries PyTorch\'s names', () => {
    const a = torch.rand([2, 3], { requiresGrad: true });
    const b = torch.rand([3, 2], { requiresGrad: true });
    expect(a.mm(b).gradFn!.name).toBe('MmBackward0');
    expect(torch.addmm(torch.zeros(2), a, b).gradFn!.name).toBe('AddmmBackward0');
    expect(a.mean().gradFn!.name).toBe('MeanBackward0');
    expect(a.abs().mean().toString()).toMatch(/grad_fn=<MeanBackward0>\)$/);
    expect(a.sum(1).gradFn!.name).toBe('SumBackward1');
    expect(a.t().gradFn!.name).toBe('TBackward0');
    expect(a.relu().gradFn!.name).toBe('ReluBackward0');
  });

  test('backward needs a gradient for non-scalar outputs, of the right shape', () => {
    const x = torch.rand([2, 3], { requiresGrad: true });
    expectError(() => x.mul(2).backward(), 'Error', /grad can be implicitly created only for scalar outputs/);
    expectError(() => x.mul(2).backward(torch.ones(3)), 'RangeError', /Mismatch in shape/);
    x.mul(2).backward(torch.ones(2, 3));
    expect(x.grad!.sum().item()).toBe(12);
    expectError(() => torch.ones(2).sum().backward(), 'Error', /does not require grad/);
  });

  test('autograd.grad returns gradients without touching .grad', () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    const y = x.mul(x).sum();
    const [dx] = torch.autograd.grad(y, [x]);
    expect(dx!.tolist()).toEqual([2, 4, 6]);
    expect(x.grad).toBeNull();
    const z = torch.tensor([1], { requiresGrad: true });
    expectError(() => torch.autograd.grad(x.sum(), [z]), 'Error', /appears to not have been used in the graph/);
    expect(torch.autograd.grad(x.sum(), [z], { allowUnused: true })).toEqual([null]);
  });

  test('grad of a non-leaf input is the gradient flowing into it', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    const h = x.mul(3);
    const [dh] = torch.autograd.grad(h.mul(h).sum(), [h]);
    expect(dh!.tolist()).toEqual([6, 12]);
  });

  test('in place on a tracked operand is refused outside noGrad', () => {
    const w = torch.ones([2], { requiresGrad: true });
    expectError(() => torch.zeros(2).add_(w), 'Error', /only supported under noGrad/);
    expect(torch.noGrad(() => torch.zeros(2).add_(w)).tolist()).toEqual([1, 1]);
  });

  test('detach cuts the graph; shared storage', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    const d = x.mul(2).detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.gradFn).toBeNull();
  });

  test('saved tensors are released: 10,000 forwards without backward do not grow the heap', () => {
    const w = torch.rand([64, 64], { requiresGrad: true });
    const x = torch.rand(8, 64);
    const step = (): void => {
      x.matmul(w).relu().sum();
    };
    const heap = (): number => {
      global.gc?.();
      return process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    };
    for (let i = 0; i < 1000; i++) step();
    const before = heap();
    for (let i = 0; i < 10000; i++) step();
    const after = heap();
    // Without a collector to call, allow what one young generation can hold; a leak of every graph would be
    // 10,000 x (2 KiB output + 16 KiB saved) = 180 MB.
    expect(after - before).toBeLessThan(global.gc ? 2e6 : 64e6);
  });

  test('each leaf gets a gradient of its own storage, contiguous, so in-place updates never leak between them', () => {
    const x = torch.ones([3], { requiresGrad: true });
    const y = torch.ones([3], { requiresGrad: true });
    const b = torch.ones([1], { requiresGrad: true });
    x.add(y).add(b).sum().backward();
    expect(x.grad!.data).not.toBe(y.grad!.data);
    torch.noGrad(() => x.grad!.mul_(5));
    expect(y.grad!.tolist()).toEqual([1, 1, 1]);
    expect(b.grad!.tolist()).toEqual([3]);
    const s = torch.ones([4], { requiresGrad: true });
    s.sum().backward();
    expect(s.grad!.isContiguous()).toBe(true);
    torch.noGrad(() => s.grad!.clamp_(0, 0.5)); // would throw on an expanded (stride-0) gradient
    expect(s.grad!.tolist()).toEqual([0.5, 0.5, 0.5, 0.5]);
  });

  test('the graph is freed by backward: saved tensors drop with it', () => {
    const x = torch.rand([4], { requiresGrad: true });
    const y = x.exp().sum();
    const node = y.gradFn!;
    y.backward();
    expect(node.backwardFn).toBeNull();
    expect(node.inputs.length).toBe(0);
  });
});
