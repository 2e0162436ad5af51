/** The dtype table's rules against PyTorch: result_type, promote_types, can_cast, and the default dtype. */
import * as torch from '../lib';
import type { Tensor } from '../lib';
import { loadFixture } from './helpers/fixtures';

type Operand = { dtype: torch.DType; shape: number[] } | { number: number | boolean };
interface PromotionFixture {
  torch: string;
  resultType: { a: Operand; b: Operand; default: torch.DType; out: torch.DType }[];
  promoteTypes: { a: torch.DType; b: torch.DType; out: torch.DType }[];
  canCast: { from: torch.DType; to: torch.DType; out: boolean }[];
}
const fx = loadFixture<never>('promotion.json') as unknown as PromotionFixture;

const make = (o: Operand): Tensor | number | boolean => ('number' in o ? o.number : torch.zeros(o.shape, { dtype: o.dtype }));
const label = (o: Operand): string => ('number' in o ? JSON.stringify(o.number) : `${o.dtype}[${o.shape.join(', ')}]`);

describe(`type promotion against PyTorch ${fx.torch}`, () => {
  afterEach(() => torch.setDefaultDtype('float32'));

  test.each(fx.resultType.map((c) => [`${label(c.a)} with ${label(c.b)} (default ${c.default})`, c] as const))('resultType %s', (_n, c) => {
    torch.setDefaultDtype(c.default);
    expect(torch.resultType(make(c.a), make(c.b))).toBe(c.out);
  });

  test('promoteTypes and canCast over every pair of dtypes', () => {
    for (const c of fx.promoteTypes) expect([c.a, c.b, torch.promoteTypes(c.a, c.b)]).toEqual([c.a, c.b, c.out]);
    for (const c of fx.canCast) expect([c.from, c.to, torch.canCast(c.from, c.to)]).toEqual([c.from, c.to, c.out]);
  });

  test('ops compute in the result type: float32 [3] + float64 0-dim stays float32, int32 / int32 is the default', () => {
    expect(torch.ones(3).add(torch.tensor(1, { dtype: 'float64' })).dtype).toBe('float32');
    expect(torch.ones(3).add(torch.ones(3, { dtype: 'float64' })).dtype).toBe('float64');
    expect(torch.arange(3).div(torch.arange(1, 4)).dtype).toBe('float32');
    torch.setDefaultDtype('float64');
    expect(torch.arange(3).div(torch.arange(1, 4)).dtype).toBe('float64');
    expect(torch.arange(3).add(0.5).dtype).toBe('float64');
    expect(torch.arange(3).exp().dtype).toBe('float64');
  });
});

describe('setDefaultDtype', () => {
  afterEach(() => torch.setDefaultDtype('float32'));

  test('floating results that name no dtype follow it; integer and bool ones do not', () => {
    torch.setDefaultDtype('double');
    expect(torch.getDefaultDtype()).toBe('float64');
    expect(torch.tensor([1.5]).dtype).toBe('float64');
    expect(torch.zeros(2).dtype).toBe('float64');
    expect(torch.rand(2).dtype).toBe('float64');
    expect(torch.randn(2).dtype).toBe('float64');
    expect(torch.arange(0, 1, 0.5).dtype).toBe('float64');
    expect(torch.arange(3).dtype).toBe('int32');
    expect(torch.tensor([true]).dtype).toBe('bool');
    expect(new torch.nn.Linear(2, 3).weight.dtype).toBe('float64');
    expect(torch.zeros(2, { dtype: 'float32' }).dtype).toBe('float32');
  });

  test('only floating dtypes are accepted', () => {
    expect(() => torch.setDefaultDtype('int32')).toThrow(/only floating-point types are supported as the default type/);
    expect(() => torch.setDefaultDtype('complex64' as torch.DType)).toThrow(TypeError);
    expect(torch.getDefaultDtype()).toBe('float32');
  });
});

describe('conversions', () => {
  test('.double() and .float() convert and are differentiable between floating dtypes', () => {
    const x = torch.tensor([0.1, 0.2], { requiresGrad: true });
    const y = x.double();
    expect(y.dtype).toBe('float64');
    // 0.1 as float32, exactly, in a double.
    expect(y.tolist()).toEqual([Math.fround(0.1), Math.fround(0.2)]);
    expect(String(y.gradFn)).toBe('<ToCopyBackward0>');
    y.mul(torch.tensor([3, 4], { dtype: 'float64' })).sum().backward();
    expect(x.grad!.dtype).toBe('float32');
    expect(x.grad!.tolist()).toEqual([3, 4]);
    expect(torch.tensor([1.5], { dtype: 'float64' }).float().dtype).toBe('float32');
    expect(x.double().double().dtype).toBe('float64');
  });

  test('Module.double() converts parameters and buffers in place, keeping the Parameter objects', () => {
    torch.manualSeed(0);
    const m = new torch.nn.Sequential(new torch.nn.Linear(3, 2), new torch.nn.BatchNorm1d(2));
    const w = (m.at(0) as torch.nn.Linear).weight;
    const before = w.tolist() as number[][];
    const opt = new torch.optim.SGD(m.parameters(), { lr: 0.1 });
    m.double();
    expect((m.at(0) as torch.nn.Linear).weight).toBe(w);
    expect(w.dtype).toBe('float64');
    expect(w.tolist()).toEqual(before);
    expect(m.stateDict().get('1.running_mean')!.dtype).toBe('float64');
    expect(m.stateDict().get('1.num_batches_tracked')!.dtype).toBe('int32');
    const loss = (m.forward(torch.rand([4, 3], { dtype: 'float64' })) as Tensor).sum();
    loss.backward();
    opt.step();
    expect(w.grad!.dtype).toBe('float64');
    m.float();
    expect(w.dtype).toBe('float32');
  });
});
