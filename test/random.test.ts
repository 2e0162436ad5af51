/** Seeded streams against torch.manual_seed: uniform, randint and randperm bit-exact, normal within a few ulp. */
import * as torch from '../lib';
import type { Tensor } from '../lib';
import { expectClose, loadFixture } from './helpers/fixtures';
import type { TensorJson } from './helpers/fixtures';

interface RngCase {
  name: string;
  seed: number;
  calls: [string, unknown[]][];
  outs: TensorJson[];
}

function call(op: string, a: unknown[], generator?: torch.Generator): Tensor {
  const g = { generator };
  switch (op) {
    case 'rand':
      return torch.rand(a as number[], g);
    case 'randn':
      return torch.randn(a as number[], g);
    case 'randint':
      return torch.randint(a[0] as number, a[1] as number, a[2] as number[], g);
    case 'randperm':
      return torch.randperm(a[0] as number, g);
    case 'uniform_':
      return torch.empty(a[0] as number[]).uniform_(a[1] as number, a[2] as number, g);
    case 'normal_':
      return torch.empty(a[0] as number[]).normal_(a[1] as number, a[2] as number, g);
    default:
      throw new Error(op);
  }
}

// Normal samples: PyTorch's AVX2 kernel uses polynomial log/sin/cos, so allow a few float32 ulp.
const tolerance = (op: string): [number, number] => (op === 'randn' || op === 'normal_' ? [4e-7, 4e-7] : [0, 0]);

const fixture = loadFixture<RngCase>('random.json');

describe(`random streams against torch.manual_seed (PyTorch ${fixture.torch})`, () => {
  test.each(fixture.cases.map((c) => [c.name, c] as const))('%s (default generator)', (_n, c) => {
    torch.manualSeed(c.seed);
    c.calls.forEach(([op, args], i) => expectClose(call(op, args), c.outs[i]!, ...tolerance(op), `${op} #${i}`));
  });

  test.each(fixture.cases.map((c) => [c.name, c] as const))('%s (own Generator)', (_n, c) => {
    const g = new torch.Generator().manualSeed(c.seed);
    torch.manualSeed(999); // the default generator must not matter
    c.calls.forEach(([op, args], i) => expectClose(call(op, args, g), c.outs[i]!, ...tolerance(op), `${op} #${i}`));
  });
});

describe('Generator', () => {
  test('state can be saved and restored, including the cached normal sample', () => {
    const g = new torch.Generator().manualSeed(5);
    torch.randn([1], { generator: g }); // leaves a cached second Box-Muller sample
    const saved = g.getState();
    const a = torch.randn([5], { generator: g }).tolist();
    g.setState(saved);
    expect(torch.randn([5], { generator: g }).tolist()).toEqual(a);
  });

  test('initialSeed reports the seed, bigint seeds are accepted', () => {
    expect(new torch.Generator().manualSeed(1234).initialSeed()).toBe(1234);
    expect(new torch.Generator().manualSeed(2n ** 63n).initialSeed()).toBe(2n ** 63n);
    expect(() => torch.manualSeed(1.5)).toThrow(RangeError);
    expect(() => torch.manualSeed(2n ** 64n)).toThrow(RangeError);
  });

  test('a fresh generator uses PyTorch default seed', () => {
    expect(new torch.Generator().initialSeed()).toBe(67280421310721);
  });

  test('setState rejects foreign data', () => {
    expect(() => new torch.Generator().setState(new Uint32Array(3))).toThrow(TypeError);
  });

  test('non-contiguous targets are filled, and bad ranges rejected', () => {
    const x = torch.zeros(4, 6).t();
    x.uniform_(2, 3);
    const v = x.contiguous().reshape([-1]).tolist() as number[];
    expect(v.every((e) => e >= 2 && e < 3)).toBe(true);
    expect(() => torch.zeros(3).uniform_(3, 2)).toThrow(RangeError);
    expect(() => torch.zeros(3).normal_(0, -1)).toThrow(RangeError);
    expect(() => torch.randint(5, 5, [2])).toThrow(RangeError);
  });
});
