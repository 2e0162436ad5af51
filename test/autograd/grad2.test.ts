/** Second derivatives through createGraph, against torch.autograd.grad(..., create_graph=True). */
import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import { build, expectClose, loadFixture } from '../helpers/fixtures';
import type { TensorJson } from '../helpers/fixtures';

interface Grad2Case {
  name: string;
  inputs: TensorJson[];
  u: TensorJson;
  v: TensorJson[];
  first: TensorJson[];
  second: TensorJson[];
}

const FNS: Record<string, (...x: Tensor[]) => Tensor> = {
  mul: (a, b) => a!.mul(b!),
  div: (a, b) => a!.div(b!),
  exp: (a) => a!.exp(),
  log: (a) => a!.log(),
  tanh: (a) => a!.tanh(),
  sigmoid: (a) => a!.sigmoid(),
  sin: (a) => a!.sin(),
  'pow 3': (a) => a!.pow(3),
  sqrt: (a) => a!.sqrt(),
  matmul: (a, b) => a!.matmul(b!),
  'matmul of squares': (a, b) => a!.mul(a!).matmul(b!.t()),
  'broadcast mul': (a, b) => a!.mul(b!.exp()),
};

const fixture = loadFixture<Grad2Case>('grad2.json');

describe('second derivatives (createGraph)', () => {
  test.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const leaves = c.inputs.map((i) => build(i).requiresGrad_());
    const y = FNS[c.name]!(...leaves);
    const first = torch.autograd.grad(y.mul(build(c.u)).sum(), leaves, { createGraph: true });
    first.forEach((g, i) => expectClose(g!, c.first[i]!, 1e-5, 1e-6, `first ${i}`));
    let h: Tensor | null = null;
    first.forEach((g, i) => {
      const term = g!.mul(build(c.v[i]!)).sum();
      h = h ? h.add(term) : term;
    });
    (h as unknown as Tensor).backward();
    leaves.forEach((l, i) => expectClose(l.grad!, c.second[i]!, 1e-5, 1e-6, `second ${i}`));
  });
});
