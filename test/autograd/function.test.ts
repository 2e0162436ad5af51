/**
 * torch.autograd.Function against PyTorch 1.13 (test/fixtures/packed.json): the same custom ops written in Python
 * (scripts/gen_packed_fixtures.py) give the same outputs, node names, gradients and errors.
 */
import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import { build, expectClose, loadFixture } from '../helpers/fixtures';
import type { TensorJson } from '../helpers/fixtures';
import { expectError } from '../helpers/errors';

const { Function } = torch.autograd;
type Ctx = torch.autograd.FunctionCtx;

class MyExp extends Function {
  static override forward(ctx: Ctx, x: Tensor): Tensor {
    const y = x.exp();
    ctx.saveForBackward(y);
    return y;
  }
  static override backward(ctx: Ctx, g: Tensor): Tensor {
    const [y] = ctx.savedTensors;
    return g.mul(y!);
  }
}

class MyLinear extends Function {
  static override forward(ctx: Ctx, x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
    ctx.saveForBackward(x, weight, bias);
    const out = x.mm(weight.t());
    return bias !== null ? out.add(bias) : out;
  }
  static override backward(ctx: Ctx, g: Tensor): (Tensor | null)[] {
    const [x, weight, bias] = ctx.savedTensors;
    const n = ctx.needsInputGrad;
    return [n[0] ? g.mm(weight!) : null, n[1] ? g.t().mm(x!) : null, bias && n[2] ? g.sum(0) : null];
  }
}

class ClampST extends Function {
  static override forward(_ctx: Ctx, x: Tensor, lo: number, hi: number): Tensor {
    return x.clamp(lo, hi);
  }
  static override backward(_ctx: Ctx, g: Tensor): (Tensor | null)[] {
    return [g, null, null];
  }
}

class ScaleBy extends Function {
  static override forward(ctx: Ctx, x: Tensor, k: number): Tensor {
    ctx.k = k;
    return x.mul(k);
  }
  static override backward(ctx: Ctx, g: Tensor): (Tensor | null)[] {
    return [g.mul(ctx.k as number).expand(2, ...g.shape).div(2), null];
  }
}

class SinCos extends Function {
  static override forward(ctx: Ctx, x: Tensor): [Tensor, Tensor] {
    ctx.saveForBackward(x);
    return [x.sin(), x.cos()];
  }
  static override backward(ctx: Ctx, gs: Tensor, gc: Tensor): Tensor {
    const [x] = ctx.savedTensors;
    return gs.mul(x!.cos()).sub(gc.mul(x!.sin()));
  }
}

class MaxArg extends Function {
  static override forward(ctx: Ctx, x: Tensor): [Tensor, Tensor] {
    const i = x.argmax();
    ctx.markNonDifferentiable(i);
    ctx.saveForBackward(x, i);
    return [x.max(), i];
  }
  static override backward(ctx: Ctx, gv: Tensor, gi: Tensor): Tensor {
    const [x, i] = ctx.savedTensors;
    // As in Python: the integer output's gradient is a materialized zero of its dtype.
    expect(gi.dtype).toBe('int32');
    expect(gi.item()).toBe(0);
    return torch.nn.functional.oneHot(i!.reshape(1), x!.shape[0]!).reshape(-1).to(x!.dtype).mul(gv);
  }
}

class Mul2_ extends Function {
  static override forward(ctx: Ctx, x: Tensor): Tensor {
    x.mul_(2);
    ctx.markDirty(x);
    return x;
  }
  static override backward(_ctx: Ctx, g: Tensor): Tensor {
    return g.mul(2);
  }
}

class Cube extends Function {
  static override forward(ctx: Ctx, x: Tensor): Tensor {
    ctx.saveForBackward(x);
    return x.pow(3);
  }
  static override backward(ctx: Ctx, g: Tensor): Tensor {
    const [x] = ctx.savedTensors;
    return g.mul(3).mul(x!.pow(2));
  }
}

const OPS: Record<string, (inputs: Tensor[], args: unknown[]) => Tensor | Tensor[]> = {
  MyExp: ([x]) => MyExp.apply(x!),
  MyLinear: ([x, w, b]) => MyLinear.apply(x!, w!, b ?? null),
  ClampST: ([x], [lo, hi]) => ClampST.apply(x!, lo as number, hi as number),
  ScaleBy: ([x], [k]) => ScaleBy.apply(x!, k as number),
  SinCos: ([x]) => SinCos.apply(x!),
  MaxArg: ([x]) => MaxArg.apply(x!),
  Mul2_: ([x]) => Mul2_.apply(x!.mul(1)),
  Cube: ([x]) => Cube.apply(x!),
};

interface FnCase {
  name: string;
  inputs: TensorJson[];
  args: unknown[];
  outs?: TensorJson[];
  names?: (string | null)[];
  upstream: (TensorJson | null)[];
  grads: (TensorJson | null)[];
  grads2?: TensorJson[];
}
interface FnFixture {
  torch: string;
  function: { cases: FnCase[]; errors: Record<string, { type: string; message: string }> };
}
const fx = loadFixture('packed.json') as unknown as FnFixture;
const E = fx.function.errors;

describe('custom Functions against PyTorch', () => {
  test('fixture version', () => expect(fx.torch).toMatch(/^1\.13/));
  for (const c of fx.function.cases.filter((k) => k.outs)) {
    test(`${c.name} ${JSON.stringify(c.inputs.map((t) => [t.shape, t.dtype]))}${c.grads2 ? ' with createGraph' : ''}`, () => {
      const xs = c.inputs.map((t) => build(t, () => undefined));
      const out = OPS[c.name]!(xs, c.args);
      const outs = Array.isArray(out) ? out : [out];
      outs.forEach((o, k) => {
        expectClose(o, c.outs![k]!, 1e-6, 1e-6, `output ${k}`);
        expect(o.gradFn?.name ?? null).toBe(c.names![k]);
      });
      const total = outs.flatMap((o, k) => (c.upstream[k] ? [o.mul(build(c.upstream[k]!)).sum()] : [])).reduce((a, b) => a.add(b));
      const gs = torch.autograd.grad(total, xs, { createGraph: !!c.grads2, allowUnused: true });
      gs.forEach((g, k) => (c.grads[k] ? expectClose(g!, c.grads[k]!, 1e-5, 1e-6, `grad ${k}`) : expect(g).toBeNull()));
      if (c.grads2) {
        const gg = torch.autograd.grad(gs.map((g) => g!.sum()).reduce((a, b) => a.add(b)), xs);
        gg.forEach((g, k) => expectClose(g!, c.grads2![k]!, 1e-5, 1e-6, `second derivative ${k}`));
      }
    });
  }

  test('only the second output used: backward receives zeros for the first', () => {
    const c = fx.function.cases.find((k) => k.name === 'SinCosSecondOnly')!;
    const x = build(c.inputs[0]!, () => undefined);
    const [, co] = SinCos.apply(x);
    const [g] = torch.autograd.grad(co.mul(build(c.upstream[1]!)).sum(), [x]);
    expectClose(g!, c.grads[0]!, 1e-6, 1e-6);
  });
});

describe('FunctionCtx', () => {
  test('forward runs under noGrad; needsInputGrad per argument; outputs of several tensors share one backward call', () => {
    const seen: unknown[] = [];
    class Probe extends Function {
      static override forward(ctx: Ctx, x: Tensor, y: Tensor, k: number): [Tensor, Tensor] {
        seen.push(torch.isGradEnabled(), ctx.needsInputGrad);
        return [x.mul(y).mul(k), x.add(y)];
      }
      static override backward(_ctx: Ctx, ga: Tensor, gb: Tensor): (Tensor | null)[] {
        seen.push('backward');
        return [ga.add(gb), null, null];
      }
    }
    const x = torch.ones([3], { requiresGrad: true });
    const [a, b] = Probe.apply(x, torch.ones(3), 2);
    expect(seen).toEqual([false, [true, false, false]]);
    expect(a.gradFn!.name).toBe('ProbeBackward');
    a.add(b).sum().backward();
    expect(seen.filter((s) => s === 'backward').length).toBe(1);
    expect(x.grad!.tolist()).toEqual([2, 2, 2]);
  });

  test('setMaterializeGrads(false) gives null for an output with no gradient', () => {
    const got: unknown[] = [];
    class NM extends Function {
      static override forward(ctx: Ctx, x: Tensor): [Tensor, Tensor] {
        ctx.setMaterializeGrads(false);
        return [x.mul(1), x.mul(3)];
      }
      static override backward(_ctx: Ctx, ga: Tensor | null, gb: Tensor): Tensor {
        got.push(ga);
        return gb.mul(3);
      }
    }
    const x = torch.ones([2], { requiresGrad: true });
    NM.apply(x)[1].sum().backward();
    expect(got).toEqual([null]);
    expect(x.grad!.tolist()).toEqual([3, 3]);
  });

  test('no graph without grad mode or without an input that requires grad; returning an input gives a new tensor', () => {
    const x = torch.ones([2], { requiresGrad: true });
    expect(torch.noGrad(() => MyExp.apply(x)).requiresGrad).toBe(false);
    expect(MyExp.apply(torch.ones(2)).requiresGrad).toBe(false);
    class Same extends Function {
      static override forward(_ctx: Ctx, t: Tensor): Tensor {
        return t;
      }
      static override backward(_ctx: Ctx, g: Tensor): Tensor {
        return g.mul(5);
      }
    }
    const s = Same.apply(x);
    expect(s).not.toBe(x);
    expect(x.gradFn).toBeNull();
    s.sum().backward();
    expect(x.grad!.tolist()).toEqual([5, 5]);
  });

  test('an input modified in place keeps its identity and gets the node; its old history stays behind it', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    const a = x.mul(3);
    const r = Mul2_.apply(a);
    expect(r).toBe(a);
    expect(a.gradFn!.name).toBe('Mul2_Backward');
    expect(a.tolist()).toEqual([6, 12]);
    a.sum().backward();
    expect(x.grad!.tolist()).toEqual([6, 6]);
  });

  test('savedTensors stays readable with retainGraph, and saved null stays null', () => {
    let kept: Ctx | null = null;
    class Keep extends Function {
      static override forward(ctx: Ctx, x: Tensor): Tensor {
        ctx.saveForBackward(x, null);
        kept = ctx;
        return x.mul(2);
      }
      static override backward(_ctx: Ctx, g: Tensor): Tensor {
        return g.mul(2);
      }
    }
    const x = torch.ones([2], { requiresGrad: true });
    const y = Keep.apply(x);
    y.sum().backward({ retainGraph: true });
    expect(kept!.savedTensors).toEqual([x, null]);
    y.sum().backward();
    expect(() => kept!.savedTensors).toThrow(E.freed!.message.replace('retain_graph=True', 'retainGraph: true'));
  });

  test('gradcheck passes on a custom op with two outputs and a non-tensor argument', () => {
    class Poly extends Function {
      static override forward(ctx: Ctx, x: Tensor, w: Tensor, p: number): [Tensor, Tensor] {
        ctx.saveForBackward(x, w);
        ctx.p = p;
        return [x.pow(p).mul(w), x.mul(w).sum(0)];
      }
      static override backward(ctx: Ctx, ga: Tensor, gb: Tensor): (Tensor | null)[] {
        const [x, w] = ctx.savedTensors;
        const p = ctx.p as number;
        const gx = ga.mul(w!).mul(x!.pow(p - 1)).mul(p).add(gb.mul(w!));
        const gw = ga.mul(x!.pow(p)).add(gb.mul(x!));
        return [gx, gw, null];
      }
    }
    const x = torch.rand([3, 2], { dtype: 'float64' }).add(0.5).requiresGrad_();
    const w = torch.randn([3, 2], { dtype: 'float64' }).requiresGrad_();
    expect(torch.autograd.gradcheck((a: Tensor, b: Tensor) => Poly.apply(a, b, 3), [x, w])).toBe(true);
    expect(torch.autograd.gradcheck((a: Tensor) => MyExp.apply(a), [x])).toBe(true);
  });
});

describe('PyTorch errors', () => {
  const x = torch.randn([3], { requiresGrad: true });
  const withMessage = (key: string): RegExp => new RegExp(`^${E[key]!.message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

  test('wrong number of gradients, a gradient for a non-tensor argument, a wrong shape, a non-tensor', () => {
    class Two extends Function {
      static override forward(_ctx: Ctx, t: Tensor, k: number): Tensor {
        return t.mul(k);
      }
      static override backward(_ctx: Ctx, g: Tensor): Tensor {
        return g;
      }
    }
    expectError(() => Two.apply(x, 2).sum().backward(), 'RangeError', withMessage('count'));
    class Extra extends Function {
      static override forward(_ctx: Ctx, t: Tensor): Tensor {
        return t.mul(2);
      }
      static override backward(_ctx: Ctx, g: Tensor): Tensor[] {
        return [g, g];
      }
    }
    expectError(() => Extra.apply(x).sum().backward(), 'RangeError', withMessage('extra'));
    class NonTensor extends Function {
      static override forward(_ctx: Ctx, t: Tensor, k: number): Tensor {
        return t.mul(k);
      }
      static override backward(_ctx: Ctx, g: Tensor): Tensor[] {
        return [g, g];
      }
    }
    expectError(() => NonTensor.apply(x, 2).sum().backward(), 'TypeError', withMessage('nonTensor'));
    class Shape extends Function {
      static override forward(_ctx: Ctx, t: Tensor): Tensor {
        return t.mul(2);
      }
      static override backward(_ctx: Ctx, g: Tensor): Tensor {
        return g.narrow(0, 0, 2);
      }
    }
    expectError(() => Shape.apply(x).sum().backward(), 'RangeError', withMessage('shape'));
    class BadType extends Function {
      static override forward(_ctx: Ctx, t: Tensor): Tensor {
        return t.mul(2);
      }
      static override backward(): number {
        return 3;
      }
    }
    // PyTorch: "expected Variable or None (got int)".
    expectError(() => BadType.apply(x).sum().backward(), 'TypeError', /^function BadTypeBackward returned an invalid gradient at index 0: expected a Tensor or null but received the number 3$/);
  });

  test('missing forward or backward, dirty inputs, saving a non-tensor', () => {
    class NoForward extends Function {}
    expectError(() => NoForward.apply(), 'Error', withMessage('noForward'));
    class NoBackward extends Function {
      static override forward(_ctx: Ctx, t: Tensor): Tensor {
        return t.mul(2);
      }
    }
    expectError(() => NoBackward.apply(x).sum().backward(), 'Error', withMessage('noBackward'));
    expectError(() => Mul2_.apply(x.detach().requiresGrad_()), 'Error', withMessage('dirtyLeaf'));
    class DirtyNotReturned extends Function {
      static override forward(ctx: Ctx, t: Tensor): Tensor {
        ctx.markDirty(t);
        return t.mul(2);
      }
      static override backward(_ctx: Ctx, g: Tensor): Tensor {
        return g;
      }
    }
    expectError(() => DirtyNotReturned.apply(x.mul(1)), 'Error', withMessage('dirtyNotReturned'));
    class SaveNumber extends Function {
      static override forward(ctx: Ctx, t: Tensor): Tensor {
        ctx.saveForBackward(t, 3 as never);
        return t;
      }
    }
    // PyTorch: "save_for_backward can only save variables, but argument 1 is of type int".
    expect(E.saveNumber!.type).toBe('TypeError');
    expectError(() => SaveNumber.apply(x), 'TypeError', /^saveForBackward can only save tensors \(or null\), but argument 1 is the number 3$/);
  });

  test('the freed-graph message after backward without retainGraph', () => {
    let kept: Ctx | null = null;
    class Keep extends Function {
      static override forward(ctx: Ctx, t: Tensor): Tensor {
        ctx.saveForBackward(t);
        kept = ctx;
        return t.mul(2);
      }
      static override backward(_ctx: Ctx, g: Tensor): Tensor {
        return g;
      }
    }
    Keep.apply(x).sum().backward();
    expectError(() => kept!.savedTensors, 'Error', /^Trying to backward through the graph a second time \(or directly access saved tensors after they have already been freed\)/);
  });
});
