/**
 * Loss functions and modules against PyTorch 1.13 (test/fixtures/packed.json, scripts/gen_packed_fixtures.py):
 * values and gradients for every reduction, broadcast, empty and edge inputs, PyTorch's errors, and the modules'
 * options, buffers (state dict keys) and repr.
 */
import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import { build, decode, expectClose, loadFixture } from '../helpers/fixtures';
import type { TensorJson } from '../helpers/fixtures';
import { expectError } from '../helpers/errors';

const { nn } = torch;
const F = nn.functional;

type Kwargs = Record<string, unknown>;
interface LossCase {
  fn: string;
  inputs: TensorJson[];
  grad: boolean[];
  kwargs: Kwargs;
  error?: { type: string; message: string };
  out?: TensorJson;
  upstream?: TensorJson | null;
  grads?: (TensorJson | null)[];
}
interface ModuleCase {
  module: string;
  kwargs: Kwargs;
  inputs: TensorJson[];
  out: TensorJson;
  upstream: TensorJson;
  grads: (TensorJson | null)[];
  stateKeys: string[];
  repr: string;
}
const fx = loadFixture('packed.json') as unknown as { torch: string; losses: LossCase[]; modules: ModuleCase[] };

/** Keyword values as torchlet takes them: tensors rebuilt from the fixture. */
function options(kw: Kwargs): Kwargs {
  const value = (v: unknown): unknown => {
    if (v && typeof v === 'object' && 'tensor' in v) return build((v as { tensor: TensorJson }).tensor);
    return v === 'inf' || v === '-inf' || v === 'nan' ? decode(v) : v;
  };
  return Object.fromEntries(Object.entries(kw).map(([k, v]) => [k, value(v)]));
}

const FUNCTIONS = F as unknown as Record<string, (...args: unknown[]) => Tensor>;

/** PyTorch's message as torchlet words it: sizes as [a, b], without the Python op prefix and trailing space. */
function torchletWording(message: string): string {
  return message
    .replace(/torch\.Size\(\[([^\]]*)\]\)/g, '[$1]')
    .replace(/^\w+ : /, '')
    .trim();
}

/** Where torchlet's existing losses word an error their own way (the same condition, checked before). */
const OWN: Record<string, RegExp> = {
  'Using a target size ([3]) that is different to the input size ([2, 3]) is deprecated. Please ensure they have the same size.':
    /Using a target size \(\[3\]\) that is different to the input size \(\[2, 3\]\) is not supported/,
  'Target size ([3]) must be the same as input size ([2, 3])': /Using a target size \(\[3\]\) that is different to the input size \(\[2, 3\]\) is not supported/,
};

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('functional losses against PyTorch', () => {
  test('fixture version', () => expect(fx.torch).toMatch(/^1\.13/));
  fx.losses.forEach((c, i) => {
    test(`${i} ${c.fn} ${JSON.stringify(c.inputs.map((t) => t.shape))} ${JSON.stringify(Object.keys(c.kwargs).length ? c.kwargs : '').slice(0, 80)}`, () => {
      const xs = c.inputs.map((t, k) => (c.grad[k] ? build(t, () => undefined) : build(t)));
      const run = (): Tensor => FUNCTIONS[c.fn]!(...xs, options(c.kwargs));
      if (c.error) {
        const message = torchletWording(c.error.message);
        const type = c.error.type === 'TypeError' ? 'TypeError' : 'RangeError';
        expectError(run, type, OWN[message] ?? new RegExp(`^${c.fn}: ${escape(message)}`));
        return;
      }
      const out = run();
      expectClose(out, c.out!, 1e-5, 1e-6, 'value');
      if (!c.upstream) return;
      const gs = torch.autograd.grad(out.mul(build(c.upstream)).sum(), xs.filter((_, k) => c.grad[k]), { allowUnused: true });
      let at = 0;
      c.grad.forEach((g, k) => {
        if (!g) return;
        const got = gs[at++];
        const want = c.grads![k];
        if (want) expectClose(got!, want, 1e-4, 1e-5, `grad ${k}`);
        else expect(got).toBeNull();
      });
    });
  });
});

const MODULES = nn as unknown as Record<string, new (options?: Kwargs) => torch.nn.Module>;

describe('loss modules against PyTorch', () => {
  fx.modules.forEach((c) => {
    test(`${c.module} ${JSON.stringify(c.kwargs).slice(0, 100)}`, () => {
      const m = new MODULES[c.module]!(options(c.kwargs));
      expect([...m.stateDict().keys()]).toEqual(c.stateKeys);
      expect(m.toString()).toBe(c.repr);
      const xs = c.inputs.map((t, k) => (c.grads[k] ? build(t, () => undefined) : build(t)));
      const out = m.forward(...xs) as Tensor;
      expectClose(out, c.out, 1e-5, 1e-6, 'value');
      out.mul(build(c.upstream)).sum().backward();
      xs.forEach((x, k) => (c.grads[k] ? expectClose(x.grad!, c.grads[k]!, 1e-4, 1e-5, `grad ${k}`) : expect(x.grad).toBeNull()));
    });
  });

  test('weight buffers follow Module.to() and load from a state dict', () => {
    const w = torch.tensor([1, 2, 3]);
    const m = new nn.BCEWithLogitsLoss({ weight: w, posWeight: torch.tensor([2, 2, 2]) });
    expect(m.weight).toBe(w);
    m.double();
    expect(m.weight!.dtype).toBe('float64');
    expect(m.pos_weight!.dtype).toBe('float64');
    const n = new nn.BCEWithLogitsLoss({ weight: torch.zeros(3), posWeight: torch.zeros(3) });
    n.loadStateDict(new nn.BCEWithLogitsLoss({ weight: torch.tensor([4, 5, 6]), posWeight: torch.tensor([1, 1, 1]) }).stateDict());
    expect(n.weight!.tolist()).toEqual([4, 5, 6]);
    expect(new nn.CrossEntropyLoss().weight).toBeNull();
    expect([...new nn.CrossEntropyLoss().stateDict().keys()]).toEqual([]);
  });

  test('options are kept under their camelCase names', () => {
    const t = new nn.TripletMarginLoss({ margin: 0.5, p: 1, swap: true });
    expect([t.margin, t.p, t.eps, t.swap, t.reduction]).toEqual([0.5, 1, 1e-6, true, 'mean']);
    const c = new nn.CrossEntropyLoss({ ignoreIndex: 2, labelSmoothing: 0.1 });
    expect([c.ignoreIndex, c.labelSmoothing]).toEqual([2, 0.1]);
    const p = new nn.PoissonNLLLoss({ logInput: false });
    expect([p.logInput, p.full, p.eps]).toEqual([false, false, 1e-8]);
  });

  test('constructor options are checked, naming the module and the option', () => {
    expectError(() => new nn.CosineEmbeddingLoss(null as never), 'TypeError', /^CosineEmbeddingLoss: expected an options object for 'options' but received null$/);
    expectError(() => new nn.TripletMarginLoss({ swap: 'yes' as never }), 'TypeError', /^TripletMarginLoss: .*'swap'/);
    expectError(() => new nn.HingeEmbeddingLoss({ margin: '1' as never }), 'TypeError', /^HingeEmbeddingLoss: expected a number for 'margin'/);
    expectError(() => new nn.BCEWithLogitsLoss({ posWeight: [1, 2] as never }), 'TypeError', /^BCEWithLogitsLoss: expected a Tensor for 'posWeight' but received an array of length 2$/);
    expectError(() => new nn.NLLLoss({ ignoreIndex: 1.5 }), 'RangeError', /^NLLLoss: .*'ignoreIndex'/);
  });

  test('a bad reduction fails when the loss runs, as in PyTorch; bad arguments name the op', () => {
    const m = new nn.L1Loss({ reduction: 'avg' as never });
    expectError(() => m.forward(torch.ones(2), torch.ones(2)), 'RangeError', /^l1Loss: avg is not a valid value for reduction$/);
    expectError(() => F.tripletMarginLoss(torch.ones(2), torch.ones(2), 3 as never), 'TypeError', /^tripletMarginLoss: expected a Tensor for 'negative' but received the number 3$/);
    expectError(() => F.tripletMarginLoss(torch.ones(2), torch.ones(2), torch.ones(2), { swap: 1 as never }), 'TypeError', /^tripletMarginLoss: .*'swap'/);
    expectError(() => F.multiMarginLoss(torch.ones(2, 3), torch.ones(2)), 'TypeError', /^multiMarginLoss: expected scalar type Long but found float32/);
    expectError(() => F.gaussianNllLoss(torch.ones(2), torch.ones(2), 1 as never), 'TypeError', /^gaussianNllLoss: expected a Tensor for 'var' but received the number 1$/);
  });
});
