/** matmul's contract beyond values (those are in ops.test.ts): transposed views reach sgemm without a copy. */
import * as torch from '../../lib';
import * as K from '../../lib/backend/kernels';

describe('matmul layouts', () => {
  afterEach(() => jest.restoreAllMocks());

  test('transposed operands go to sgemm as flags: no contiguous copy, one kernel call', () => {
    const a = torch.rand(6, 4).t(); // [4, 6], column-major
    const b = torch.rand(5, 6).t(); // [6, 5], column-major
    const contiguous = jest.spyOn(torch.Tensor.prototype, 'contiguous');
    const copy = jest.spyOn(K, 'copy');
    const gemm = jest.spyOn(K, 'matmul');
    const out = torch.matmul(a, b);
    expect(contiguous).not.toHaveBeenCalled();
    expect(copy).not.toHaveBeenCalled();
    expect(gemm).toHaveBeenCalledTimes(1);
    expect(gemm.mock.results[0]!.value).toBe(0); // the kernel needed no copy either
    // Independent check: the product of the transposed views equals the product of their contiguous copies.
    const ref = torch.matmul(a.contiguous(), b.contiguous());
    expect(out.sub(ref).abs().max().item()).toBeLessThan(1e-5);
  });

  test('a batch of transposed matrices times a transposed weight: still no copy', () => {
    const x = torch.rand(3, 7, 4).transpose(1, 2); // [3, 4, 7]
    const w = torch.rand(5, 7).t(); // [7, 5]
    const contiguous = jest.spyOn(torch.Tensor.prototype, 'contiguous');
    const copy = jest.spyOn(K, 'copy');
    torch.matmul(x, w);
    expect(contiguous).not.toHaveBeenCalled();
    expect(copy).not.toHaveBeenCalled();
  });

  test('an operand BLAS cannot read (broadcast inside the matrix) is copied once and the result is right', () => {
    const a = torch.rand(1, 6).expand(4, 6);
    const b = torch.rand(6, 3);
    const out = torch.matmul(a, b);
    const row = torch.matmul(a.index('0:1'), b);
    expect(out.sub(row.expand(4, 3)).abs().max().item()).toBe(0);
  });
});
