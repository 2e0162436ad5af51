/**
 * Argument checks at the public API (issues 11.5-11.8, 10.22): PyTorch's arguments only for binary ops, int64 values
 * that torchlet's int32 cannot hold refused (never wrapped), shapes checked when a tensor is made, autograd seeds
 * validated before the walk, PyTorch's positional autograd arguments, optimizer and state-dict checks. Expected
 * values are computed independently in each test; messages are PyTorch's words where PyTorch has them.
 */
import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import { assignData } from '../../lib/tensor';
import { expectError } from '../helpers/errors';

const { nn, optim } = torch;
const INT64_OVERFLOW = /cannot be converted to type int64 without overflow/;
type AnyFn = (...args: unknown[]) => Tensor;
const loose = (f: unknown): AnyFn => f as AnyFn;

describe('binary ops take PyTorch arguments only (11.5)', () => {
  test('no hidden output argument: a third argument is refused, as PyTorch refuses it', () => {
    const a = torch.ones(2, 3);
    const out = torch.zeros(1, 3).expand(2, 3);
    for (const name of ['mul', 'div', 'maximum', 'eq', 'pow', 'remainder']) {
      expectError(() => loose((torch as unknown as Record<string, unknown>)[name])(a, 1, out), 'TypeError', new RegExp(`^${name}\\(\\) takes 2 positional arguments but 3 were given`));
    }
    expectError(() => loose(a.mul_.bind(a.clone()))(1, out), 'TypeError', /^mul_\(\) takes 1 positional argument but 2 were given/);
    expectError(() => loose(torch.add)(a, 1, 1, out), 'TypeError', /^add\(\) takes 2 positional arguments but 4 were given/);
    expectError(() => loose(torch.exp)(a, out), 'TypeError', /^exp\(\) takes 1 positional argument but 2 were given/);
    expectError(() => loose(torch.clamp)(a, 0, 1, out), 'TypeError', /^clamp\(\) takes 3 positional arguments but 4 were given/);
    const c = a.clone();
    expectError(() => loose(c.exp_.bind(c))(out), 'TypeError', /^exp_\(\) takes 0 positional arguments but 1 were given/);
    expectError(() => loose(torch.isnan)(a, out), 'TypeError', /^isnan\(\) takes 1 positional argument but 2 were given/);
    // Nothing was written into the would-be output or its storage.
    expect(out.tolist()).toEqual([[0, 0, 0], [0, 0, 0]]);
  });

  test('a Parameter cannot be written through a public function', () => {
    const w = new nn.Parameter(torch.ones(3));
    expectError(() => loose(torch.add)(torch.ones(3), torch.ones(3), w), 'TypeError', /expected a number for 'alpha'/);
    expect(w.tolist()).toEqual([1, 1, 1]);
  });

  test('alpha as PyTorch keyword ({ alpha }) or a number: a + alpha * b', () => {
    const a = torch.tensor([1, 2]);
    const b = torch.tensor([3, 4]);
    expect(torch.add(a, b, { alpha: 2 }).tolist()).toEqual([1 + 2 * 3, 2 + 2 * 4]);
    expect(torch.sub(a, b, { alpha: 2 }).tolist()).toEqual([1 - 2 * 3, 2 - 2 * 4]);
    expect(a.add(b, 2).tolist()).toEqual([7, 10]);
    expect(a.clone().sub_(b, { alpha: 0.5 }).tolist()).toEqual([1 - 1.5, 2 - 2]);
    expectError(() => loose(torch.add)(a, b, { alpha: 2, out: a }), 'TypeError', /add\(\) got an unexpected keyword argument 'out'/);
    expectError(() => loose(torch.mul)(a, b, { alpha: 2 }), 'TypeError', /mul\(\) takes 2 positional arguments but 3 were given/);
  });
});

describe('int64 values beyond int32 raise, never wrap (11.6)', () => {
  const big = 2 ** 32 + 5;
  test('tensor, full, fill_ and scalar operands', () => {
    expectError(() => torch.tensor([big], { dtype: 'int64' }), 'RangeError', /^tensor: value 4294967301 cannot be converted/);
    expectError(() => torch.tensor([2 ** 31], { dtype: 'int64' }), 'RangeError', INT64_OVERFLOW);
    expectError(() => torch.full([2], big, { dtype: 'int64' }), 'RangeError', /^full: value 4294967301/);
    expectError(() => torch.fullLike(torch.zeros(2, { dtype: 'int64' }), -(2 ** 31) - 1), 'RangeError', /^fullLike: /);
    const i = torch.tensor([1, 2], { dtype: 'int64' });
    expectError(() => i.fill_(2 ** 40), 'RangeError', /^fill_: value 1099511627776/);
    expectError(() => i.add(2 ** 40), 'RangeError', /^add: value 1099511627777/);
    expectError(() => i.eq(2 ** 40), 'RangeError', /^eq: /);
    expectError(() => torch.sub(2 ** 40, i), 'RangeError', /^sub: /);
    expect(i.tolist()).toEqual([1, 2]);
    // The limits themselves fit.
    expect(torch.tensor([2 ** 31 - 1, -(2 ** 31)], { dtype: 'int64' }).tolist()).toEqual([2147483647, -2147483648]);
    // Fractions truncate toward zero, as PyTorch converts (torch.tensor([1.7, -1.7], dtype=torch.int64) is [1, -1]).
    expect(torch.tensor([1.7, -1.7], { dtype: 'int64' }).tolist()).toEqual([1, -1]);
  });

  test('NaN and infinities never become integers', () => {
    for (const v of [NaN, Infinity, -Infinity]) {
      expectError(() => torch.tensor([v], { dtype: 'int64' }), 'RangeError', INT64_OVERFLOW);
      expectError(() => torch.full([1], v, { dtype: 'int64' }), 'RangeError', INT64_OVERFLOW);
      expectError(() => torch.tensor([v]).to('int64'), 'RangeError', /^to: value .* cannot be converted/);
      expectError(() => torch.zeros(1, { dtype: 'int64' }).fill_(v), 'RangeError', INT64_OVERFLOW);
    }
  });

  test('casts of large floats to int64 raise, on views too; in-range values truncate', () => {
    expectError(() => torch.tensor([1e10]).to('int64'), 'RangeError', /^to: value 10000000000/);
    const strided = torch.tensor([[1, 5e9], [2, 3]], { dtype: 'float64' }).t();
    expectError(() => strided.long(), 'RangeError', /value 5000000000/);
    expectError(() => torch.zeros(2, { dtype: 'int64' }).copy_(torch.tensor([1e12, 1])), 'RangeError', /^copy_: /);
    expect(torch.tensor([-2147483648.9, 2147483647.9, 2.5], { dtype: 'float64' }).long().tolist()).toEqual([-2147483648, 2147483647, 2]);
    // bool conversion follows truth, as PyTorch (tensor([2, 0.5, 0], dtype=torch.bool) is [True, True, False]).
    expect(torch.tensor([2, 0.5, 0], { dtype: 'bool' }).tolist()).toEqual([true, true, false]);
    expect(torch.full([1], NaN, { dtype: 'bool' }).tolist()).toEqual([true]);
    expect(torch.full([2], 2, { dtype: 'bool' }).int().tolist()).toEqual([1, 1]);
    expect(torch.zeros(1, { dtype: 'bool' }).fill_(2).int().tolist()).toEqual([1]);
    // A Uint8Array is bool (as documented): its nonzero bytes are stored as 1, never as themselves.
    const fromBytes = torch.tensor(new Uint8Array([2, 0, 1]));
    expect(fromBytes.dtype).toBe('bool');
    expect(fromBytes.int().tolist()).toEqual([1, 0, 1]);
  });

  test('integer arithmetic and sums that leave int32 raise', () => {
    const max = torch.tensor([2 ** 31 - 1, 5], { dtype: 'int64' });
    expectError(() => max.add(1), 'RangeError', /^add: value 2147483648/);
    expectError(() => max.add(torch.tensor([1, 0], { dtype: 'int64' })), 'RangeError', /^add: value 2147483648/);
    expectError(() => max.mul(2), 'RangeError', /^mul: value 4294967294/);
    expectError(() => max.neg().sub(2), 'RangeError', /^sub: value -2147483649/);
    expectError(() => max.clone().add_(1), 'RangeError', /^add_: /);
    expectError(() => torch.tensor([2 ** 30, 2 ** 30], { dtype: 'int64' }).sum(), 'RangeError', /^sum: value 2147483648/);
    expectError(() => torch.tensor([[2 ** 30], [2 ** 30]], { dtype: 'int64' }).sum(0), 'RangeError', /^sum: /);
    expectError(() => torch.tensor([2 ** 16, 2 ** 16], { dtype: 'int64' }).prod(), 'RangeError', /^prod: value 4294967296/);
    expect(max.add(torch.tensor([0, 1], { dtype: 'int64' })).tolist()).toEqual([2147483647, 6]);
    expect(torch.tensor([2 ** 30, 2 ** 30 - 1, -5], { dtype: 'int64' }).sum().item()).toBe(2 ** 30 + 2 ** 30 - 1 - 5);
    expect(torch.tensor([3, 4], { dtype: 'int64' }).mul(torch.tensor([[1], [2]], { dtype: 'int64' })).tolist()).toEqual([[3, 4], [6, 8]]);
    // PyTorch: "For integral input tensors, argument alpha must not be a floating point number."
    expectError(() => max.sub(max, { alpha: 0.5 }), 'TypeError', /For integral input tensors, argument alpha must not be a floating point number/);
  });

  test('integer pow, neg, abs, square, floor division and remainder: exact in range, refused out of it', () => {
    const min = torch.tensor([-(2 ** 31)], { dtype: 'int64' });
    expectError(() => min.neg(), 'RangeError', /^neg: value 2147483648/);
    expectError(() => min.abs(), 'RangeError', /^abs: value 2147483648/);
    expectError(() => min.clone().neg_(), 'RangeError', /^neg_: /);
    expectError(() => torch.tensor([46341], { dtype: 'int64' }).square(), 'RangeError', /^square: value 2147488281/);
    expectError(() => torch.tensor([7], { dtype: 'int64' }).pow(20), 'RangeError', /^pow: /);
    // INT_MIN // -1 and division by zero trap in a native integer kernel: refused here, as PyTorch's ZeroDivisionError.
    expectError(() => min.floorDivide(-1), 'RangeError', /^floorDivide: value 2147483648/);
    expectError(() => torch.tensor([3, 4], { dtype: 'int64' }).floorDivide(0), 'RangeError', /^floorDivide: ZeroDivisionError/);
    expectError(() => torch.tensor([3, 4], { dtype: 'int64' }).remainder(torch.tensor([1, 0], { dtype: 'int64' })), 'RangeError', /^remainder: ZeroDivisionError/);
    const a = [-7, 7, -7, 7, 2 ** 31 - 1, -(2 ** 31)];
    const b = [2, -2, -2, 2, 3, 7];
    const ta = torch.tensor(a, { dtype: 'int64' });
    const tb = torch.tensor(b, { dtype: 'int64' });
    // Python's floor division and modulo, computed independently.
    expect(ta.floorDivide(tb).tolist()).toEqual(a.map((x, i) => Math.floor(x / b[i]!)));
    expect(ta.remainder(tb).tolist()).toEqual(a.map((x, i) => x - b[i]! * Math.floor(x / b[i]!)));
    expect(torch.tensor([-3, 7], { dtype: 'int64' }).pow(3).tolist()).toEqual([-27, 343]);
    expect(torch.tensor([-46340, 3], { dtype: 'int64' }).square().tolist()).toEqual([46340 * 46340, 9]);
  });

});

describe('shapes are checked when a tensor is made (11.7)', () => {
  test('sizes must be non-negative integers', () => {
    expectError(() => torch.broadcastTo(torch.ones(2, 3), true as unknown as number[]), 'TypeError', /^broadcastTo: expected a shape/);
    expectError(() => torch.broadcastTo(torch.ones(2, 3), [2, 3.5]), 'TypeError', /^broadcastTo: expected a shape of integers/);
    expectError(() => torch.zeros(2.5), 'TypeError', /^zeros: expected a shape of integers/);
    expectError(() => torch.zeros(-1), 'RangeError', /^zeros: Trying to create tensor with negative dimension -1: \[-1\]/);
    expectError(() => torch.full([2, -3], 1), 'RangeError', /negative dimension -3/);
    expectError(() => torch.ones(2).view('a' as unknown as number), 'TypeError', /^view: /);
    expectError(() => torch.ones(2).expand([true as unknown as number]), 'TypeError', /^expand: /);
  });

  test('the element count (zeros left out) must stay within Number.MAX_SAFE_INTEGER', () => {
    expectError(() => torch.zeros(0, 2 ** 53, 3), 'RangeError', /^zeros: the shape \[0, 9007199254740992, 3\] has more than Number.MAX_SAFE_INTEGER/);
    expectError(() => torch.empty([2 ** 40, 0, 2 ** 40]), 'RangeError', /MAX_SAFE_INTEGER/);
    expectError(() => torch.rand(0, 2 ** 53), 'RangeError', /^rand: /);
    expectError(() => torch.ones(1, 1).expand(2 ** 27, 2 ** 27), 'RangeError', /^expand: /);
    expect(torch.zeros(0, 2 ** 26, 2 ** 26).shape).toEqual([0, 2 ** 26, 2 ** 26]);
  });

  test('ranks above the native maximum (16) are refused at creation', () => {
    const sixteen = new Array<number>(16).fill(1);
    expect(torch.zeros(sixteen).dim()).toBe(16);
    expectError(() => torch.zeros([...sixteen, 1]), 'RangeError', /^zeros: torchlet supports tensors of at most 16 dims, but this one would have 17/);
    expectError(() => torch.zeros(sixteen).unsqueeze(0), 'RangeError', /at most 16 dims/);
    expectError(() => torch.ones(1).view([...sixteen, 1]), 'RangeError', /^view: .*at most 16 dims/);
    expectError(() => torch.ones(1).expand([...sixteen, 1]), 'RangeError', /^expand: .*at most 16 dims/);
    let nested: unknown = [1];
    for (let i = 0; i < 16; i++) nested = [nested];
    expectError(() => torch.tensor(nested as number[]), 'RangeError', /at most 16 dims/);
  });
});

describe('autograd checks gradients before it runs (11.8)', () => {
  test('a wrong-shaped gradient is reported for its own output and frees nothing', () => {
    const x = torch.ones(3, { requiresGrad: true });
    const y = x.mul(2);
    const z = x.mul(3);
    expectError(
      () => torch.autograd.backward([y, z], [torch.ones(3), torch.ones(2)]),
      'RangeError',
      /^backward: Mismatch in shape: grad_output\[1\] has a shape of \[2\] and output\[1\] has a shape of \[3\]\./,
    );
    expect(x.grad).toBeNull();
    // The graph is intact: the same backward with good gradients works (d(2x + 3x)/dx = 5).
    torch.autograd.backward([y, z], [torch.ones(3), torch.ones(3)]);
    expect(x.grad!.tolist()).toEqual([5, 5, 5]);
    expectError(() => torch.autograd.backward([y], [torch.ones(3), torch.ones(3)]), 'RangeError', /2 gradients for 1 outputs/);
  });

  test('an integer gradient for a float output is converted, as PyTorch does', () => {
    const x = torch.ones(3, { requiresGrad: true });
    x.mul(2).backward(torch.ones(3, { dtype: 'int64' }));
    expect(x.grad!.dtype).toBe('float32');
    expect(x.grad!.tolist()).toEqual([2, 2, 2]);
    const w = torch.ones(2, { requiresGrad: true });
    torch.autograd.backward([w], [torch.tensor([true, false])]);
    expect(w.grad!.dtype).toBe('float32');
    expect(w.grad!.tolist()).toEqual([1, 0]);
  });

  test('gradients that are not tensors are TypeErrors', () => {
    const x = torch.ones(3, { requiresGrad: true });
    expectError(() => loose(x.sum().backward.bind(x.sum()))(5), 'TypeError', /^backward: expected a Tensor, null or an options object for 'gradient' but received the number 5/);
    expectError(() => loose(torch.autograd.backward)(5), 'TypeError', /^backward: expected a Tensor or an array of Tensors for 'tensors'/);
    expectError(() => loose(torch.autograd.backward)([x.sum()], [5]), 'TypeError', /for gradient 0 but received the number 5/);
    expectError(() => loose(torch.autograd.grad)([x.sum()], [x], 5), 'TypeError', /grad_tensors/);
    expectError(() => loose(torch.autograd.grad)([x.sum()], [x], null, 'yes'), 'TypeError', /expected a boolean for 'retainGraph'/);
    expect(x.grad).toBeNull();
  });
});

describe("autograd takes PyTorch's positional arguments (10.22)", () => {
  test('grad(outputs, inputs, gradOutputs, retainGraph, createGraph)', () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    const y = x.mul(x);
    // d(x^2)/dx = 2x, weighted by the gradient [1, 0.5, 2].
    const [g] = torch.autograd.grad([y], [x], [torch.tensor([1, 0.5, 2])], true);
    expect(g!.tolist()).toEqual([2, 2, 12]);
    const [g2] = torch.autograd.grad(y, x, torch.ones(3), true, true);
    expect(g2!.requiresGrad).toBe(true);
    // d(sum 2x)/dx = 2.
    expect(torch.autograd.grad(g2!.sum(), x)[0]!.tolist()).toEqual([2, 2, 2]);
    const unused = torch.ones(1, { requiresGrad: true });
    expect(torch.autograd.grad(x.sum(), [x, unused], null, false, false, true, true)[1]).toBeNull();
    // The options object still works in the third position.
    expect(torch.autograd.grad(x.sum(), [x], { gradOutputs: [torch.tensor(2)] })[0]!.tolist()).toEqual([2, 2, 2]);
  });

  test('backward(gradient, retainGraph) and autograd.backward(tensors, gradTensors, retainGraph)', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    const y = x.mul(3);
    y.backward(torch.ones(2), true);
    y.backward(torch.ones(2), { retainGraph: true });
    torch.autograd.backward([y], [torch.ones(2)], true);
    torch.autograd.backward(y, torch.ones(2));
    expect(x.grad!.tolist()).toEqual([12, 12]);
    expectError(() => y.backward(torch.ones(2)), 'Error', /Trying to backward through the graph a second time/);
  });
});

describe('optimizers check gradients and state (11.8)', () => {
  const makers: [string, (ps: Tensor[]) => torch.optim.Optimizer<object>][] = [
    ['SGD', (ps) => new optim.SGD(ps, { lr: 0.1, momentum: 0.9 })],
    ['Adam', (ps) => new optim.Adam(ps)],
    ['AdamW', (ps) => new optim.AdamW(ps)],
    ['RMSprop', (ps) => new optim.RMSprop(ps)],
    ['Adagrad', (ps) => new optim.Adagrad(ps)],
  ];
  for (const [name, make] of makers) {
    test(`${name}.step refuses a wrong-shaped .grad before moving any parameter`, () => {
      const a = new nn.Parameter(torch.ones(2));
      const b = new nn.Parameter(torch.ones(3));
      const opt = make([a, b]);
      const stateBefore = opt.state.size;
      a.grad = torch.ones(2);
      // Assigning a wrong-shaped .grad is refused (see below); a gradient reshaped in place after assignment
      // (PyTorch's `p.grad.data = ...`) is what the optimizer's own check is for.
      b.grad = torch.ones(3);
      assignData(b.grad, torch.ones(1, 3));
      expectError(() => opt.step(), 'RangeError', new RegExp(`^${name}.step: the .grad of parameter 1 has shape \\[1, 3\\] but the parameter has shape \\[3\\]`));
      expect(a.tolist()).toEqual([1, 1]);
      expect(opt.state.size).toBe(stateBefore);
      assignData(b.grad, torch.ones(3, { dtype: 'float64' }));
      expectError(() => opt.step(), 'TypeError', /parameter 1 has dtype float64 but the parameter has dtype float32/);
    });
  }

  test('loadStateDict refuses wrong-shaped state and changes nothing', () => {
    const p = new nn.Parameter(torch.ones(3));
    const opt = new optim.Adam([p], { lr: 0.1 });
    p.grad = torch.ones(3);
    opt.step();
    const good = opt.stateDict();
    const bad = opt.stateDict();
    bad.state[0]!.exp_avg = torch.zeros(2);
    bad.param_groups[0]!.lr = 5;
    const before = opt.state.get(p)!.expAvg as Tensor;
    expectError(() => opt.loadStateDict(bad), 'RangeError', /^Adam.loadStateDict: state 'expAvg' of parameter 0 has shape \[2\] but the parameter has shape \[3\]/);
    expect(opt.paramGroups[0]!.lr).toBe(0.1);
    expect(opt.state.get(p)!.expAvg).toBe(before);
    opt.loadStateDict(good);
    expect((opt.state.get(p)!.expAvg as Tensor).tolist()).toEqual((good.state[0]!.exp_avg as Tensor).tolist());
    expectError(() => opt.loadStateDict({ state: {}, paramGroups: [{ lr: 1 }] } as never), 'TypeError', /parameter group 0 has no list of parameter ids/);
  });
});

describe('Module.loadStateDict is all or nothing (11.8)', () => {
  class WithCounter extends nn.Module {
    declare weight: torch.nn.Parameter;
    constructor() {
      super();
      this.weight = new nn.Parameter(torch.ones(2));
      this.registerBuffer('count', torch.zeros(1, { dtype: 'int64' }));
    }
    forward(x: Tensor): Tensor {
      return x;
    }
  }

  test('strict loading of a null value is an error, not a skipped key', () => {
    const m = new nn.Linear(2, 1);
    expectError(
      () => m.loadStateDict({ weight: null as unknown as Tensor, bias: torch.zeros(1) }),
      'Error',
      /While copying the parameter named "weight", expected torchlet.Tensor or Tensor-like object from checkpoint but received null/,
    );
  });

  test('a value that cannot be copied leaves every parameter and buffer as it was', () => {
    const m = new WithCounter();
    expect([...m.stateDict().keys()]).toEqual(['weight', 'count']);
    expectError(
      () => m.loadStateDict({ weight: torch.tensor([5, 6]), count: torch.tensor([1e12]) }),
      'Error',
      /While copying the parameter named "count".*cannot be converted to type int64 without overflow/,
    );
    expect(m.weight.tolist()).toEqual([1, 1]);
    m.loadStateDict({ weight: torch.tensor([5, 6]), count: torch.tensor([7.9]) });
    expect(m.weight.tolist()).toEqual([5, 6]);
    expect(m.stateDict().get('count')!.tolist()).toEqual([7]);
  });
});

describe('assigning .grad checks what PyTorch checks (11.8)', () => {
  // PyTorch 1.13: x.grad = torch.zeros(3, 2) -> "assigned grad has data of a different size"; a float64 or int64 grad
  // on a float32 tensor -> "... of a different type"; x.grad = 5 -> "assigned grad expected to be a Tensor or None".
  test('a wrong shape, dtype or type is refused and the old gradient kept', () => {
    const x = torch.zeros(2, 3).requiresGrad_();
    const kept = torch.ones(2, 3);
    x.grad = kept;
    expectError(() => (x.grad = torch.zeros(3, 2)), 'RangeError', /^grad: assigned grad has data of a different size/);
    expectError(() => (x.grad = torch.zeros(2, 3, { dtype: 'float64' })), 'TypeError', /^grad: assigned grad has data of a different type/);
    expectError(() => (x.grad = torch.zeros(2, 3, { dtype: 'int64' })), 'TypeError', /^grad: assigned grad has data of a different type/);
    expectError(() => ((x as unknown as { grad: unknown }).grad = 5), 'TypeError', /^grad: assigned grad expected to be a Tensor or null/);
    expect(x.grad).toBe(kept);
    x.grad = null;
    expect(x.grad).toBeNull();
  });
});
