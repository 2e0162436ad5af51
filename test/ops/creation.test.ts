/** Factories against PyTorch fixtures, plus the inference rules a JS caller relies on. */
import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import { expectClose, loadFixture } from '../helpers/fixtures';
import type { TensorJson } from '../helpers/fixtures';

interface CreationCase {
  op: string;
  args: unknown[];
  /** The dtype asked for, if any. */
  dtype?: torch.DType;
  /** The default dtype PyTorch ran under (torch.set_default_dtype). */
  default?: torch.DType;
  out: TensorJson;
}

type Options = { dtype?: torch.DType };
const CALLS: Record<string, (a: unknown[], o: Options) => Tensor> = {
  arange: (a, o) => (a.length === 1 ? torch.arange(a[0] as number, undefined, 1, o) : torch.arange(a[0] as number, a[1] as number, (a[2] as number | undefined) ?? 1, o)),
  linspace: (a, o) => torch.linspace(a[0] as number, a[1] as number, a[2] as number, o),
  eye: (a, o) => torch.eye(a[0] as number, (a[1] as number | undefined) ?? (a[0] as number), o),
  full: (a, o) => torch.full(a[0] as number[], a[1] as number | boolean, o),
  tensor: (a, o) => torch.tensor(a[0] as number[][], o),
};

const fixture = loadFixture<CreationCase>('creation.json');

describe('creation against PyTorch', () => {
  afterEach(() => torch.setDefaultDtype('float32'));

  const label = (c: CreationCase): string =>
    `${c.op}(${JSON.stringify(c.args)})${c.dtype ? ` ${c.dtype}` : ''}${c.default ? ` under the ${c.default} default` : ''}`;
  test.each(fixture.cases.map((c) => [label(c), c] as const))('%s', (_n, c) => {
    if (c.default) torch.setDefaultDtype(c.default);
    expectClose(CALLS[c.op]!(c.args, c.dtype ? { dtype: c.dtype } : {}), c.out, 0, 0);
  });
});

describe('creation', () => {
  test('tensor infers shape and dtype from nested arrays, booleans and typed arrays', () => {
    const t = torch.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(torch.tensor([true, false]).dtype).toBe('bool');
    expect(torch.tensor(new Int32Array([1, 2])).dtype).toBe('int32');
    expect(torch.tensor(2.5).dim()).toBe(0);
    expect(torch.tensor([]).shape).toEqual([0]);
    expect(torch.tensor([[1, 2]], { dtype: 'int64' }).dtype).toBe('int32');
  });

  test('ragged and non-numeric data are TypeErrors naming the position', () => {
    expect(() => torch.tensor([[1, 2], [3]])).toThrow(/expected sequence of length 2 at dim 1 \(got 1\)/);
    expect(() => torch.tensor([1, 'a' as unknown as number])).toThrow(TypeError);
  });

  test('size arguments in both spellings, with options', () => {
    expect(torch.zeros(2, 3).shape).toEqual([2, 3]);
    expect(torch.ones([2, 3], { dtype: 'int32' }).dtype).toBe('int32');
    expect(torch.zeros(2, { dtype: 'bool' }).dtype).toBe('bool');
    expect(() => torch.zeros(-1)).toThrow(RangeError);
    expect(() => torch.zeros(1.5)).toThrow(TypeError);
  });

  test('*Like variants keep shape and dtype', () => {
    const x = torch.ones([2, 2], { dtype: 'int32' });
    expect(torch.zerosLike(x).dtype).toBe('int32');
    expect(torch.fullLike(x, 7).tolist()).toEqual([[7, 7], [7, 7]]);
    expect(torch.onesLike(torch.rand(3)).sum().item()).toBe(3);
  });

  test('requiresGrad only for float tensors', () => {
    expect(torch.zeros(2, { requiresGrad: true }).requiresGrad).toBe(true);
    expect(() => torch.zeros(2, { dtype: 'int32', requiresGrad: true })).toThrow(/floating point/);
  });
});
