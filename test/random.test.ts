/** Seeded streams against torch.manual_seed: uniform, randint and randperm bit-exact, normal within a few ulp. */
import * as torch from '../lib';
import type { Tensor } from '../lib';
import { expectClose, loadFixture } from './helpers/fixtures';
import type { TensorJson } from './helpers/fixtures';

interface RngCase {
  name: string;
  seed: number;
  calls: [string, unknown[], torch.DType?][];
  outs: TensorJson[];
}

function call(op: string, a: unknown[], dtype: torch.DType = 'float32', generator?: torch.Generator): Tensor {
  const g = { generator };
  switch (op) {
    case 'rand':
      return torch.rand(a as number[], { dtype, generator });
    case 'randn':
      return torch.randn(a as number[], { dtype, generator });
    case 'randint':
      return torch.randint(a[0] as number, a[1] as number, a[2] as number[], g);
    case 'randperm':
      return torch.randperm(a[0] as number, g);
    case 'uniform_':
      return torch.empty(a[0] as number[], { dtype }).uniform_(a[1] as number, a[2] as number, g);
    case 'normal_':
      return torch.empty(a[0] as number[], { dtype }).normal_(a[1] as number, a[2] as number, g);
    case 'bernoulli_':
      return torch.empty(a[0] as number[], { dtype }).bernoulli_(a[1] as number, g);
    default:
      throw new Error(op);
  }
}

// float32 normal samples: PyTorch's AVX2 kernel uses polynomial log/sin/cos, so allow a few float32 ulp. Its
// float64 normal path is scalar libm code, as torchlet's: bit-exact.
const tolerance = (op: string, dtype?: torch.DType): [number, number] =>
  (op === 'randn' || op === 'normal_') && dtype !== 'float64' ? [4e-7, 4e-7] : [0, 0];

const fixture = loadFixture<RngCase>('random.json');

describe(`random streams against torch.manual_seed (PyTorch ${fixture.torch})`, () => {
  test.each(fixture.cases.map((c) => [c.name, c] as const))('%s (default generator)', (_n, c) => {
    torch.manualSeed(c.seed);
    c.calls.forEach(([op, args, dtype], i) => expectClose(call(op, args, dtype), c.outs[i]!, ...tolerance(op, dtype), `${op} #${i}`));
  });

  test.each(fixture.cases.map((c) => [c.name, c] as const))('%s (own Generator)', (_n, c) => {
    const g = new torch.Generator().manualSeed(c.seed);
    torch.manualSeed(999); // the default generator must not matter
    c.calls.forEach(([op, args, dtype], i) => expectClose(call(op, args, dtype, g), c.outs[i]!, ...tolerance(op, dtype), `${op} #${i}`));
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

describe('empty draws', () => {
  // Found by the API fuzzer (seed 3, call 33302): an empty view starting at its storage's end reached the kernel with
  // an offset past the end. PyTorch draws nothing for an empty tensor and leaves the stream where it was.
  test('normal_/uniform_ of an empty view at the end of its storage draw nothing', () => {
    torch.manualSeed(0);
    const expected = torch.rand(3).tolist();
    torch.manualSeed(0);
    // [3, 0] has PyTorch's strides [1, 1], so row 2 starts at offset 2 of an empty storage.
    const empty = torch.zeros(3, 0).narrow(0, 2, 1);
    expect(empty.offset).toBeGreaterThan(empty.data.length);
    expect(empty.normal_().shape).toEqual([1, 0]);
    expect(empty.uniform_().shape).toEqual([1, 0]);
    expect(torch.zeros(3, 0, 2).select(0, 2).normal_().shape).toEqual([0, 2]);
    expect(torch.rand(3).tolist()).toEqual(expected);
  });
});
