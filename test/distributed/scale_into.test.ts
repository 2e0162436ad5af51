/**
 * The one-pass scaled copy DistributedDataParallel uses to copy a gradient into its bucket (as PyTorch's
 * Reducer::copy_grad_to_bucket, mul_out): the same bits as a copy followed by an in-place multiply by the number,
 * checked against plain JS arithmetic (float32: Math.fround of the product of the rounded operands).
 */
import * as torch from '../../lib';
import { scaleInto } from '../../lib/distributed';
import { loadGloo } from '../../lib/backend/native/gloo';
import { GLOO } from './ranks';

const describeGloo = GLOO ? describe : describe.skip;

describeGloo('distributed scaleInto (DDP gradient-to-bucket copy)', () => {
  const third = 1 / 3;

  test.each(['float32', 'float64'] as const)('%s: dst = src * scale in one pass, into a view with an offset', (dtype) => {
    const g = new torch.Generator().manualSeed(5);
    const src = torch.randn([37, 3], { generator: g, dtype });
    const bucket = torch.full([120], 7, { dtype });
    const view = bucket.narrow(0, 4, 111).view([37, 3]);
    expect(scaleInto(view, src, third)).toBe(true);
    const s = Array.from(src.data as Float32Array | Float64Array);
    const want = dtype === 'float32' ? s.map((x) => Math.fround(x * Math.fround(third))) : s.map((x) => x * third);
    expect(Array.from(bucket.data as Float32Array | Float64Array)).toEqual([7, 7, 7, 7, ...want, ...Array(5).fill(7)]);
    // The two-pass path it replaces gives the same bits.
    const twoPass = torch.zeros([37, 3], { dtype }).copy_(src).mul_(third);
    expect(Array.from(twoPass.data as Float32Array | Float64Array)).toEqual(want);
  });

  test('declines (false, dst untouched) what it does not handle: the caller copies and scales itself', () => {
    const dst = torch.zeros(6);
    expect(scaleInto(dst, torch.ones(3, 2).t(), 0.5)).toBe(false); // not contiguous
    expect(scaleInto(dst, torch.ones(6, { dtype: 'float64' }), 0.5)).toBe(false); // dtypes differ
    expect(scaleInto(torch.zeros(6, { dtype: 'int32' }), torch.ones(6, { dtype: 'int32' }), 1)).toBe(false);
    expect(scaleInto(dst, torch.ones(5), 0.5)).toBe(false); // numel differs
    const shared = torch.arange(0, 8, 1, { dtype: 'float32' });
    expect(scaleInto(shared.narrow(0, 0, 6), shared.narrow(0, 2, 6), 0.5)).toBe(false); // overlapping
    expect(Array.from(dst.data)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(shared.data)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // Adjacent ranges of one storage do not overlap.
    expect(scaleInto(shared.narrow(0, 0, 4), shared.narrow(0, 4, 4), 0.5)).toBe(true);
    expect(Array.from(shared.data)).toEqual([2, 2.5, 3, 3.5, 4, 5, 6, 7]);
  });

  test('bad arguments get a TypeError naming the argument', () => {
    expect(() => scaleInto(null as never, torch.ones(2), 1)).toThrow(/^scaleInto: expected a Tensor for 'dst'/);
    expect(() => scaleInto(torch.ones(2), [1, 2] as never, 1)).toThrow(/^scaleInto: expected a Tensor for 'src'/);
    expect(() => scaleInto(torch.ones(2), torch.ones(2), '2' as never)).toThrow(/^scaleInto: expected a number for 'scale'/);
  });

  test('the addon refuses bad arguments with a TypeError or RangeError, never a crash', () => {
    const g = loadGloo();
    // The error's name and message (the addon's errors come from another realm than jest's TypeError).
    const call = (...a: unknown[]): string => {
      try {
        (g.scaleInto as (...x: unknown[]) => void)(...a);
        return 'no error';
      } catch (e) {
        return `${(e as Error).name}: ${(e as Error).message}`;
      }
    };
    const types = 'TypeError: torchlet_gloo.scaleInto: dst and src must be Float32Arrays or Float64Arrays of one type';
    expect(call(new Float32Array(2), new Float64Array(2), 1)).toBe(types);
    expect(call(new Int32Array(2), new Int32Array(2), 1)).toBe(types);
    expect(call(new Float32Array(2), new Float32Array(3), 1)).toBe('RangeError: torchlet_gloo.scaleInto: dst and src differ in length');
    expect(call(new Float32Array(2), new Float32Array(2))).toBe('TypeError: torchlet_gloo.scaleInto: expected (dst, src, scale)');
    const b = new Float32Array(8);
    expect(call(b.subarray(0, 4), b.subarray(2, 6), 1)).toBe('RangeError: torchlet_gloo.scaleInto: dst and src overlap');
  });
});
