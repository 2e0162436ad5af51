/** Tensor semantics that fixtures cannot show: shared storage, in-place rules, errors, the public surface. */
import * as path from 'path';
import { execFileSync } from 'child_process';

import * as torch from '../lib';
import { expectError } from './helpers/errors';

describe('views share storage', () => {
  test('writes through a transposed, sliced or reshaped view reach the base', () => {
    const x = torch.zeros(3, 4);
    x.t().index('1:3', 0).fill_(1); // x[0, 1:3] = 1
    x.index(2).add_(5); // x[2, :] += 5
    x.reshape([12]).narrow(0, 4, 1).copy_(torch.tensor(7));
    expect(x.tolist()).toEqual([[0, 1, 1, 0], [7, 0, 0, 0], [5, 5, 5, 5]]);
  });

  test('view/expand/permute/unsqueeze do not copy; reshape copies only when it must', () => {
    const x = torch.arange(12).float();
    expect(x.view(3, 4).data).toBe(x.data);
    expect(x.view(3, 4).t().unsqueeze(0).permute(2, 0, 1).data).toBe(x.data);
    expect(x.view(3, 4).t().isContiguous()).toBe(false);
    expect(x.view(3, 4).t().reshape([12]).data).not.toBe(x.data);
    expect(x.view(3, 4).t().contiguous().isContiguous()).toBe(true);
    expect(torch.ones(3, 1).expand(3, 5).strides).toEqual([1, 0]);
    expect(x.detach().data).toBe(x.data);
    expect(x.clone().data).not.toBe(x.data);
  });

  test('view of a non-contiguous tensor works where PyTorch allows it and fails where it does not', () => {
    const x = torch.arange(24).float().view(4, 6).index(':', ':4'); // strides [6, 1]: the last dim can split
    expect(x.view(4, 2, 2).data).toBe(x.data);
    expect(x.view(4, 2, 2).strides).toEqual([6, 2, 1]);
    expectError(() => x.view(16), 'RangeError', /view size is not compatible/);
    expectError(() => torch.arange(6).view(2, 3).t().view(6), 'RangeError', /view size is not compatible/);
    expectError(() => torch.arange(6).view(4, -1), 'RangeError', /shape '\[4, -1\]' is invalid for input of size 6/);
  });

  test('index spells Python slicing', () => {
    const x = torch.arange(24).view(2, 3, 4);
    expect(x.index(1, '::2', -1).tolist()).toEqual([15, 23]);
    expect(x.index('...', 0).shape).toEqual([2, 3]);
    expect(x.index(null, 0).shape).toEqual([1, 3, 4]);
    expect(x.index(0, torch.tensor([2, 0], { dtype: 'int32' })).tolist()).toEqual([[8, 9, 10, 11], [0, 1, 2, 3]]);
    expectError(() => x.index(0, 0, 0, 0), 'RangeError', /too many indices/);
    expectError(() => x.index(5), 'RangeError', /index 5 is out of bounds for dimension 0 with size 2/);
  });
});

describe('in place', () => {
  test('in place on a tensor that requires grad throws outside noGrad, and works inside it', () => {
    const w = torch.ones([2], { requiresGrad: true });
    expectError(() => w.add_(1), 'Error', /a leaf Variable that requires grad is being used in an in-place operation/);
    torch.noGrad(() => w.add_(1));
    expect(w.tolist()).toEqual([2, 2]);
  });

  test('writing into an expanded view is refused', () => {
    expectError(() => torch.zeros(1, 3).expand(2, 3).fill_(1), 'Error', /more than one element of the written-to tensor/);
  });

  test('in place keeps the dtype and refuses float results for int tensors', () => {
    const i = torch.tensor([1, 2], { dtype: 'int32' });
    i.add_(3);
    expect(i.tolist()).toEqual([4, 5]);
    expectError(() => i.add_(0.5), 'TypeError', /result type Float can't be cast to the desired output type Long/);
    const f = torch.tensor([1, 2]);
    f.add_(i);
    expect(f.tolist()).toEqual([5, 7]);
  });

  test('an operand aliasing the target is read before it is overwritten', () => {
    const x = torch.arange(4).float().view(2, 2);
    x.add_(x.t());
    expect(x.tolist()).toEqual([[0, 3], [3, 6]]);
  });

  test('clamp_, mul_, div_, sub_ with alpha, zero_', () => {
    const x = torch.tensor([-2, -0.5, 0.5, 2]);
    x.clamp_(-1, 1).mul_(2).div_(4).sub_(torch.ones(4), 2);
    expect(x.tolist()).toEqual([-2.5, -2.25, -1.75, -1.5]); // as PyTorch
    expect(x.zero_().tolist()).toEqual([0, 0, 0, 0]);
  });
});

describe('errors name the op and the shapes', () => {
  test.each([
    ['broadcast', () => torch.ones(2, 3).add(torch.ones(4)), 'RangeError', /add: The size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1 \(shapes \[2, 3\] and \[4\]\)/],
    ['matmul', () => torch.matmul(torch.ones(2, 3), torch.ones(4, 5)), 'RangeError', /matmul: shapes \[2, 3\] and \[4, 5\] cannot be multiplied \(3 != 4\)/],
    ['matmul batched', () => torch.matmul(torch.ones(2, 2, 3), torch.ones(3, 4, 5)), 'RangeError', /matmul: shapes \[2, 2, 3\] and \[3, 4, 5\] cannot be multiplied \(3 != 4\)/],
    ['matmul int', () => torch.matmul(torch.arange(4).view(2, 2), torch.ones(2, 2)), 'TypeError', /matmul: expected a floating point Tensor for 'input' but received an int32 Tensor of shape \[2, 2\]/],
    ['mm rank', () => torch.mm(torch.ones(3), torch.ones(3, 3)), 'RangeError', /mm: expected 2-D tensors but received shapes \[3\] and \[3, 3\]/],
    ['bmm batch', () => torch.bmm(torch.ones(2, 2, 2), torch.ones(3, 2, 2)), 'RangeError', /bmm: batch sizes differ/],
    ['cat', () => torch.cat([torch.ones(2, 3), torch.ones(2, 4)], 0), 'RangeError', /cat: Sizes of tensors must match except in dimension 0/],
    ['stack', () => torch.stack([torch.ones(2), torch.ones(3)]), 'RangeError', /stack expects each tensor to be equal size, but got \[2\] at entry 0 and \[3\] at entry 1/],
    ['split sizes', () => torch.ones(5).split([2, 2]), 'RangeError', /split_with_sizes expects split_sizes to sum exactly to 5/],
    ['dim range', () => torch.ones(2, 3).sum(2), 'RangeError', /sum: Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)/],
    ['expand', () => torch.ones(2, 3).expand(2, 4), 'RangeError', /The expanded size of the tensor \(4\) must match the existing size \(3\) at non-singleton dimension 1/],
    ['mean of ints', () => torch.arange(3).mean(), 'TypeError', /mean\(\): could not infer output dtype/],
    ['max of empty', () => torch.ones(0).max(), 'RangeError', /max\(\): Expected reduction dim to be specified/],
    ['gather index dtype', () => torch.ones(3).gather(0, torch.zeros(2)), 'TypeError', /gather: Expected dtype int32/],
    ['gather index range', () => torch.ones(3).gather(0, torch.tensor([3], { dtype: 'int32' })), 'RangeError', /index 3 is out of bounds for dimension 0 with size 3/],
    ['item', () => torch.ones(2).item(), 'RangeError', /a Tensor with 2 elements cannot be converted to Scalar/],
    ['where condition', () => torch.where(torch.ones(2), torch.ones(2), torch.zeros(2)), 'TypeError', /where: expected condition to be a boolean tensor/],
    ['not a tensor', () => torch.ones(2).add('x' as unknown as number), 'TypeError', /add: expected a Tensor or a number for 'other' but received the string "x"/],
    ['bool neg', () => torch.tensor([true]).neg(), 'TypeError', /neg: not supported for bool tensors/],
    ['permute', () => torch.ones(2, 3).permute(0, 0), 'RangeError', /permute: repeated dim 0/],
  ] as const)('%s', (_n, fn, name, message) => expectError(fn, name, message));
});

describe('values', () => {
  test('max(dim) destructures and carries values and indices', () => {
    const [values, indices] = torch.tensor([[1, 5, 2], [7, 0, 3]]).max(1);
    expect(values!.tolist()).toEqual([5, 7]);
    expect(indices!.tolist()).toEqual([1, 0]);
    const r = torch.tensor([[1, 5, 2]]).min(1, true);
    expect(r.values.shape).toEqual([1, 1]);
    expect(r.indices.dtype).toBe('int32');
  });

  test('item, tolist, dtype conversions', () => {
    expect(torch.tensor([[2.5]]).item()).toBe(2.5);
    expect(torch.tensor([true]).item()).toBe(true);
    expect(torch.tensor([1.7, -1.7]).long().tolist()).toEqual([1, -1]);
    expect(torch.tensor([0, 2]).bool().tolist()).toEqual([false, true]);
    expect(torch.tensor([1, 2]).to('int64').dtype).toBe('int32');
  });

  test('noGrad, enableGrad and isGradEnabled nest', () => {
    expect(torch.isGradEnabled()).toBe(true);
    torch.noGrad(() => {
      expect(torch.isGradEnabled()).toBe(false);
      torch.enableGrad(() => expect(torch.isGradEnabled()).toBe(true));
      expect(torch.isGradEnabled()).toBe(false);
    });
    expect(torch.isGradEnabled()).toBe(true);
  });

  test('split, chunk and unbind return views', () => {
    const x = torch.arange(10).float();
    const parts = x.chunk(3);
    expect(parts.map((p) => p.shape[0])).toEqual([4, 4, 2]);
    expect(parts[2]!.data).toBe(x.data);
    expect(x.view(2, 5).unbind(1).length).toBe(5);
  });
});

describe('backend', () => {
  test('backendInfo reports OpenBLAS and versions', () => {
    const info = torch.backendInfo();
    expect(info.blas).toBe('OpenBLAS');
    expect(info.blasConfig).toMatch(/OpenBLAS \d+\.\d+/);
    expect(info.napiVersion).toBeGreaterThanOrEqual(8);
    expect(info.addonVersion).toBe(require('../package.json').version);
    expect(info.nodeVersion).toBe(process.version);
  });

  test('setNumThreads / getNumThreads round-trip', () => {
    const before = torch.getNumThreads();
    torch.setNumThreads(1);
    expect(torch.getNumThreads()).toBe(1);
    expect(torch.backendInfo().numThreads).toBe(1);
    torch.setNumThreads(before);
    expect(torch.getNumThreads()).toBe(before);
    expectError(() => torch.setNumThreads(0), 'RangeError', /setNumThreads: expected an integer in \[1, 1024\] for 'n' but received the number 0/);
  });

  test('the ESM entry exports the same classes as the CommonJS one', () => {
    const root = path.resolve(__dirname, '..');
    const out = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', `import * as t from ${JSON.stringify(path.join(root, 'dist/index.mjs'))}; import { createRequire } from 'module'; const r = createRequire(import.meta.url)(${JSON.stringify(path.join(root, 'dist/index.js'))}); console.log(t.Tensor === r.Tensor, t.zeros(2) instanceof r.Tensor);`],
      { encoding: 'utf8' },
    );
    expect(out.trim()).toBe('true true');
  });
});
