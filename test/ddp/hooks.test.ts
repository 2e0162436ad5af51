/**
 * Post-accumulate-grad hooks and final callbacks (what DDP builds on), against PyTorch 1.13's AccumulateGrad post
 * hooks and Variable._execution_engine.queue_callback (test/fixtures/ddp_hooks.json, scripts/gen_ddp_fixtures.py).
 */
import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import { build, expectClose, loadFixture } from '../helpers/fixtures';
import type { TensorJson } from '../helpers/fixtures';
import { expectError } from '../helpers/errors';

const { nn } = torch;

interface Event {
  name: string;
  grad?: TensorJson;
  a?: TensorJson;
  c?: TensorJson;
}
interface HookCase {
  name: string;
  events: Event[];
  outsideError?: string | null;
  [k: string]: unknown;
}
const cases = new Map(loadFixture<HookCase>('ddp_hooks.json').cases.map((c) => [c.name, c]));
const leaf = (spec: unknown): Tensor => build(spec as TensorJson).requiresGrad_();

/** Records each hook call as PyTorch's fixture does: the leaf's name and a copy of its .grad then. */
function hookAll(named: [string, Tensor][], seen: { name: string; grad?: Tensor }[]): void {
  for (const [name, p] of named) p.registerPostAccumulateGradHook((t) => seen.push({ name, grad: t.grad!.clone() }));
}

function expectEvents(seen: { name: string; grad?: Tensor }[], want: Event[]): void {
  expect(seen.map((e) => e.name)).toEqual(want.map((e) => e.name));
  want.forEach((e, i) => e.grad && expectClose(seen[i]!.grad!, e.grad, 1e-6, 1e-6, e.name));
}

test('an MLP: hooks run leaf by leaf in the order PyTorch accumulates, each seeing its final gradient', () => {
  const c = cases.get('mlp')!;
  const m = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2));
  const sd = c.state as Record<string, TensorJson>;
  m.loadStateDict(Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, build(v)])));
  const seen: { name: string; grad?: Tensor }[] = [];
  hookAll(m.namedParameters(), seen);
  m.forward(build(c.x as TensorJson)).pow(2).sum().backward();
  expectEvents(seen, c.events);
});

test('a leaf used three times: one call after the sum is accumulated; again on the next backward; never for a leaf the walk misses', () => {
  const c = cases.get('reused')!;
  const w = leaf(c.w);
  const b = leaf(c.b);
  const x = build(c.x as TensorJson);
  const seen: { name: string; grad?: Tensor }[] = [];
  hookAll([['w', w], ['b', b]], seen);
  w.mul(x).sum().add(w.mul(w).sum()).add(w.mul(b).exp().sum()).backward();
  seen.push({ name: 'second backward' });
  w.mul(x).sum().backward();
  expectEvents(seen, c.events);
});

test('queueCallback from a hook runs once after every gradient is in place; outside backward it throws', () => {
  const c = cases.get('callback')!;
  const a = leaf(c.a);
  const cc = leaf(c.c);
  const seen: { name: string; grad?: Tensor; a?: Tensor; c?: Tensor }[] = [];
  hookAll([['a', a], ['c', cc]], seen);
  let queued = false;
  const queueOnce = (): void => {
    if (queued) return;
    queued = true;
    torch.autograd.queueCallback(() => seen.push({ name: 'callback', a: a.grad!.clone(), c: cc.grad!.clone() }));
  };
  a.registerPostAccumulateGradHook(queueOnce);
  cc.registerPostAccumulateGradHook(queueOnce);
  a.sin().mul(cc).sum().backward();
  expectEvents(seen, c.events);
  const cb = c.events.find((e) => e.name === 'callback')!;
  expectClose(seen.at(-1)!.a!, cb.a!, 1e-6, 1e-6, 'a at callback');
  expectClose(seen.at(-1)!.c!, cb.c!, 1e-6, 1e-6, 'c at callback');
  expectError(() => torch.autograd.queueCallback(() => undefined), 'Error', new RegExp(c.outsideError!));
});

test('callbacks run in queue order, one may queue another, and a nested backward has its own queue', () => {
  const x = torch.ones(2).requiresGrad_();
  const y = torch.ones(2).requiresGrad_();
  const log: string[] = [];
  x.registerPostAccumulateGradHook(() => {
    torch.autograd.queueCallback(() => {
      log.push('outer 1');
      torch.autograd.queueCallback(() => log.push('outer 3 (queued by 1)'));
    });
    // A backward inside a hook runs its callbacks when it ends, not the outer ones. Hooks run with grad mode
    // off, as in PyTorch's backward (no createGraph): recording needs enableGrad.
    const z = torch.enableGrad(() => y.mul(3).sum());
    y.registerPostAccumulateGradHook(() => torch.autograd.queueCallback(() => log.push('inner')));
    z.backward();
    log.push('inner backward returned');
    torch.autograd.queueCallback(() => log.push('outer 2'));
  });
  x.mul(2).sum().backward();
  expect(log).toEqual(['inner', 'inner backward returned', 'outer 1', 'outer 2', 'outer 3 (queued by 1)']);
});

test('remove() unregisters; autograd.grad runs no hook; a leaf root gets its hook; errors', () => {
  const w = torch.tensor([1, 2, 3]).requiresGrad_();
  let calls = 0;
  const h = w.registerPostAccumulateGradHook(() => calls++);
  w.mul(2).sum().backward();
  expect(calls).toBe(1);
  torch.autograd.grad(w.mul(2).sum(), [w]);
  expect(calls).toBe(1);
  w.backward(torch.ones(3));
  expect(calls).toBe(2);
  // The second call saw the root's gradient added to the first backward's: 2 + 1.
  expect(w.grad!.tolist()).toEqual([3, 3, 3]);
  h.remove();
  h.remove();
  w.mul(2).sum().backward();
  expect(calls).toBe(2);
  expectError(() => torch.ones(2).registerPostAccumulateGradHook(() => undefined), 'Error', /cannot register a hook on a tensor that doesn't require gradient/);
  expectError(() => w.mul(2).registerPostAccumulateGradHook(() => undefined), 'Error', /post accumulate grad hooks cannot be registered on non-leaf tensors/);
  expectError(() => w.registerPostAccumulateGradHook(3 as never), 'TypeError', /registerPostAccumulateGradHook: expected a function for 'hook' but received/);
  expectError(() => torch.autograd.queueCallback(null as never), 'TypeError', /queueCallback: expected a function/);
});

test('a hook that throws fails backward with its error and leaves no callback queued for the next walk', () => {
  const w = torch.tensor([1, 2]).requiresGrad_();
  const h = w.registerPostAccumulateGradHook(() => {
    torch.autograd.queueCallback(() => {
      throw new Error('must not run');
    });
    throw new Error('hook failed');
  });
  expect(() => w.mul(2).sum().backward()).toThrow('hook failed');
  h.remove();
  expect(() => w.mul(2).sum().backward()).not.toThrow();
  expect(() => torch.autograd.queueCallback(() => undefined)).toThrow(/only be installed during backward/);
});
