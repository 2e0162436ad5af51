/**
 * int64 values that torchlet's int32 storage cannot hold are RangeErrors wherever they arise (issue 14's examples and
 * their neighbours), never wrapped: creation, ranges, casts, arithmetic, and loading (pt_fixtures.test.ts).
 */
import * as torch from '../../lib';

const OVERFLOW = /cannot be converted to type int64 without overflow|do not fit in int32 \(torchlet's int64\)/;

describe('int64 past int32 is a RangeError, not a wrap', () => {
  const cases: [string, () => unknown][] = [
    ["tensor([2**32 + 5], { dtype: 'int64' })", () => torch.tensor([2 ** 32 + 5], { dtype: 'int64' })],
    ['tensor([[2**31]]) as long', () => torch.tensor([[2 ** 31]], { dtype: 'long' })],
    ['tensor(Float64Array [-2**31 - 1]) as int64', () => torch.tensor(new Float64Array([-(2 ** 31) - 1]), { dtype: 'int64' })],
    ['arange(2**31 - 2, 2**31 + 2)', () => torch.arange(2 ** 31 - 2, 2 ** 31 + 2)],
    ['arange(0, 2**32, 2**30)', () => torch.arange(0, 2 ** 32, 2 ** 30)],
    ["full([1], 2**40, { dtype: 'int64' })", () => torch.full([1], 2 ** 40, { dtype: 'int64' })],
    ["float tensor .to('int64')", () => torch.tensor([2 ** 33]).to('int64')],
    ['int64 add past 2**31 - 1', () => torch.tensor([2 ** 30], { dtype: 'int64' }).add(2 ** 30)],
    ['int64 sum past 2**31 - 1', () => torch.tensor([2 ** 30, 2 ** 30], { dtype: 'int64' }).sum()],
    ['fill_(2**33)', () => torch.zeros([1], { dtype: 'int64' }).fill_(2 ** 33)],
  ];
  test.each(cases)('%s', (_name, f) => {
    expect(f).toThrow(RangeError);
    expect(f).toThrow(OVERFLOW);
  });

  test('embedding ids past int32 cannot be made, so never reach a lookup', () => {
    expect(() => new torch.nn.Embedding(4, 2).forward(torch.tensor([2 ** 32 + 1], { dtype: 'int64' }))).toThrow(OVERFLOW);
    // The edges themselves fit.
    expect(torch.tensor([2 ** 31 - 1, -(2 ** 31)], { dtype: 'int64' }).tolist()).toEqual([2147483647, -2147483648]);
  });
});
