/** examples/seed_thread.ts prints PyTorch's numbers for the same script and seed. */
import { run } from '../../examples/seed_thread';
import { decode, loadFixture } from '../helpers/fixtures';
import type { TensorJson } from '../helpers/fixtures';

interface SeedCase {
  before: Record<string, TensorJson>;
  after: Record<string, TensorJson>;
  yPred: TensorJson;
  loss: TensorJson;
  names: string[];
  text: string;
  lossText: string;
}
const fx = loadFixture<never>('optim.json') as unknown as { seed: Record<string, SeedCase> };

function close(got: number[], want: TensorJson, what: string): void {
  const w = want.data.map(decode);
  expect(got.length).toBe(w.length);
  got.forEach((v, i) => {
    if (Math.abs(v - w[i]!) > 1e-6 * Math.abs(w[i]!)) throw new Error(`${what}[${i}]: got ${v}, PyTorch ${w[i]}`);
  });
}

describe('the seed thread, replayed', () => {
  const lines: string[] = [];
  const result = run((s) => lines.push(s));

  test.each(['parameterOfProduct', 'productInForward', 'frozenA'] as const)('%s matches PyTorch before and after one Adam step', (name) => {
    const got = result[name];
    const want = fx.seed[name]!;
    expect(got.names).toEqual(want.names);
    expect(Object.keys(got.before)).toEqual(Object.keys(want.before));
    for (const k of Object.keys(want.before)) {
      close(got.before[k]!, want.before[k]!, `${name} before ${k}`);
      close(got.after[k]!, want.after[k]!, `${name} after ${k}`);
    }
    close(got.yPred, want.yPred, `${name} y_pred`);
    close([got.loss], want.loss, `${name} loss`);
    // The printed tensors read like PyTorch's (grad_fn names included).
    expect(got.yPredText).toBe(want.text);
    expect(got.lossText).toBe(want.lossText);
  });

  test('the numbers the thread quotes', () => {
    const p = result.parameterOfProduct;
    expect(p.before.a![0]!.toFixed(4)).toBe('0.4963');
    expect(p.before.b![0]!.toFixed(4)).toBe('0.7682');
    expect(p.before['linear_layer.bias']![0]!.toFixed(4)).toBe('-0.7359');
    expect(p.after['linear_layer.weight']![0]!.toFixed(4)).toBe('0.3912');
    expect(p.after['linear_layer.bias']![0]!.toFixed(4)).toBe('-0.7259');
    expect(p.after.a).toEqual(p.before.a);
    const q = result.productInForward;
    expect(q.after.a![0]!.toFixed(4)).toBe('0.5063');
    expect(q.after.b![0]!.toFixed(4)).toBe('0.7782');
    expect(result.frozenA.after.a).toEqual(result.frozenA.before.a);
  });

  test('assigning a plain tensor to a Parameter slot is a TypeError with PyTorch\'s message', () => {
    expect(result.plainTensorError).toBe(
      "TypeError: cannot assign 'torchlet.FloatTensor' as parameter 'weight' (torchlet.nn.Parameter or null expected)",
    );
  });
});

describe("the seed thread's Conv2d part, replayed", () => {
  const result = run(() => undefined);
  const fxc = loadFixture<never>('seed_conv.json') as unknown as Record<string, {
    before: Record<string, TensorJson>;
    after?: Record<string, TensorJson>;
    names: string[];
    loss?: TensorJson;
    yPred?: TensorJson;
    error?: string;
  }>;

  test.each(['productInForward', 'newParameter'] as const)('%s: parameters before and after one Adam step match PyTorch', (mode) => {
    const got = result.conv[mode];
    const want = fxc[mode]!;
    expect(got.names).toEqual(want.names);
    for (const k of Object.keys(want.before)) close(got.before[k]!, want.before[k]!, `${mode} before ${k}`);
    for (const k of Object.keys(want.after!)) close(got.after![k]!, want.after![k]!, `${mode} after ${k}`);
    close([got.loss!], want.loss!, `${mode} loss`);
    close(got.yPred!, want.yPred!, `${mode} y_pred`);
  });

  test('a and b train when the product is computed in forward; not when a new Parameter wraps it', () => {
    const p = result.conv.productInForward;
    expect(p.after!.a).not.toEqual(p.before.a);
    expect(p.after!.b).not.toEqual(p.before.b);
    const n = result.conv.newParameter;
    expect(n.after!.a).toEqual(n.before.a);
    expect(n.after!.b).toEqual(n.before.b);
  });

  test('assigning the plain product to this.weight in forward throws the TypeError', () => {
    const want = fxc.plain!.error!.replace('torch.FloatTensor', 'torchlet.FloatTensor').replace('torch.nn.Parameter or None', 'torchlet.nn.Parameter or null');
    expect(result.conv.plain.error).toBe(`TypeError: ${want}`);
  });
});
