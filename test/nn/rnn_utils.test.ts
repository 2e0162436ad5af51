/** nn.utils.rnn against PyTorch 1.13 (test/fixtures/packed.json): packing, padding, their gradients and errors. */
import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import { build, expectClose, loadFixture } from '../helpers/fixtures';
import type { TensorJson } from '../helpers/fixtures';
import { expectError } from '../helpers/errors';

const { rnn } = torch.nn.utils;

interface RnnCase {
  kind: 'padSequence' | 'packPad' | 'packSequence' | 'unpadSequence';
  inputs: TensorJson[];
  options: Record<string, Record<string, unknown> | unknown>;
  lengths?: number[];
  own?: string;
  roundTripOnly?: boolean;
  error?: { type: string; message: string };
  outs?: TensorJson[];
  upstream?: (TensorJson | null)[];
  grads?: (TensorJson | null)[];
}

const fx = loadFixture<RnnCase>('packed.json') as unknown as { torch: string; rnn: RnnCase[] };

const none = torch.zeros([0], { dtype: 'int32' });
const packedTensors = (p: torch.nn.utils.rnn.PackedSequence): Tensor[] => [p.data, p.batchSizes, p.sortedIndices ?? none, p.unsortedIndices ?? none];

function run(c: RnnCase, xs: Tensor[]): Tensor[] {
  const o = c.options as Record<string, unknown>;
  switch (c.kind) {
    case 'padSequence':
      return [rnn.padSequence(xs, o)];
    case 'packPad': {
      const p = rnn.packPaddedSequence(xs[0]!, c.lengths!, o.pack as torch.nn.utils.rnn.PackOptions);
      return [...packedTensors(p), ...rnn.padPackedSequence(p, o.pad as torch.nn.utils.rnn.PadPackedOptions)];
    }
    case 'packSequence': {
      const p = rnn.packSequence(xs, o);
      return [...packedTensors(p), ...rnn.unpackSequence(p)];
    }
    case 'unpadSequence':
      return rnn.unpadSequence(xs[0]!, torch.tensor(c.lengths!, { dtype: 'int32' }), o);
  }
}

describe('nn.utils.rnn against PyTorch', () => {
  test('fixture version', () => expect(fx.torch).toMatch(/^1\.13/));
  fx.rnn.forEach((c, i) => {
    test(`${i} ${c.kind} ${JSON.stringify(c.inputs.map((t) => t.shape))} ${JSON.stringify(c.lengths ?? '')} ${JSON.stringify(c.options)}`, () => {
      const leaves: Tensor[] = [];
      const xs = c.inputs.map((t) => build(t, (l) => leaves.push(l)));
      if (c.error || c.own) {
        const type = c.error?.type === 'TypeError' ? 'TypeError' : 'RangeError';
        const message = c.own ?? c.error!.message;
        expectError(() => run(c, xs), type, new RegExp(`^${c.kind === 'packPad' ? '(packPaddedSequence|padPackedSequence)' : c.kind}: .*${escape(message)}`));
        return;
      }
      const outs = run(c, xs);
      expect(outs.length).toBe(c.outs!.length);
      outs.forEach((o, k) => {
        // Tied lengths among more than 16 sequences: PyTorch's unstable sort orders the packed rows its own way.
        if (c.roundTripOnly && k < 4) expect(o.shape).toEqual(c.outs![k]!.shape);
        else expectClose(o, c.outs![k]!, 0, 0, `output ${k}`);
      });
      const pairs = outs.flatMap((o, k) => (c.upstream![k] ? [o.mul(build(c.upstream![k]!)).sum()] : []));
      if (pairs.length === 0) return;
      pairs.reduce((a, b) => a.add(b)).backward();
      xs.forEach((x, k) => {
        const want = c.grads![k];
        if (want) expectClose(x.grad!, want, 1e-6, 1e-6, `grad ${k}`);
        else expect(x.grad ?? null).toBeNull();
      });
    });
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('PackedSequence', () => {
  const p = rnn.packSequence([torch.tensor([1, 2, 3]), torch.tensor([4])], { enforceSorted: false });

  test('destructures as PyTorch namedtuple and converts only data', () => {
    const [data, batchSizes, sorted, unsorted] = p;
    expect(data).toBe(p.data);
    expect(batchSizes!.tolist()).toEqual([2, 1, 1]);
    expect(sorted!.tolist()).toEqual([0, 1]);
    expect(unsorted!.tolist()).toEqual([0, 1]);
    const d = p.double();
    expect(d.data.dtype).toBe('float64');
    expect(d.batchSizes).toBe(p.batchSizes);
    expect(d.float().data.dtype).toBe('float32');
    expect(p.float()).toBe(p);
    expect(p.cpu()).toBe(p);
    expect(p.isCuda).toBe(false);
  });

  test('the constructor inverts sortedIndices when unsortedIndices is omitted', () => {
    const q = new rnn.PackedSequence(torch.tensor([1, 2, 3]), torch.tensor([2, 1], { dtype: 'int32' }), torch.tensor([2, 0, 1], { dtype: 'int32' }));
    expect(q.unsortedIndices!.tolist()).toEqual([1, 2, 0]);
    const bad = (): unknown => new rnn.PackedSequence(torch.tensor([1, 2]), torch.tensor([2], { dtype: 'int32' }), torch.tensor([1, 1], { dtype: 'int32' }));
    expectError(bad, 'RangeError', /^PackedSequence: 'sorted_indices' \[1, 1\] is not a permutation of 0\.\.1$/);
  });

  test('bad arguments name the op and the argument', () => {
    expectError(() => new rnn.PackedSequence(torch.ones(3), torch.ones(2)), 'TypeError', /^PackedSequence: expected a 1-D int32 .* for 'batch_sizes' but received a float32 Tensor of shape \[2\]/);
    expectError(() => rnn.padPackedSequence(torch.ones(3) as never), 'TypeError', /^padPackedSequence: expected a PackedSequence for 'sequence'/);
    expectError(() => rnn.padPackedSequence(new rnn.PackedSequence(torch.ones(3), torch.tensor([2, 2], { dtype: 'int32' }))), 'RangeError', /^padPackedSequence: batch_sizes \[2, 2\] .* data of shape \[3\]/);
    expectError(() => rnn.packPaddedSequence(torch.ones(3, 2), 'ab' as never), 'TypeError', /^packPaddedSequence: expected a Tensor or an array of numbers for 'lengths'/);
    expectError(() => rnn.packPaddedSequence(torch.ones(3, 2), torch.tensor([[3, 2]])), 'RangeError', /^packPaddedSequence: 'lengths' argument should be a 1D CPU int64 tensor, but got 2D/);
    expectError(() => rnn.padSequence([torch.ones(2)], { batchFirst: 1 as never }), 'TypeError', /^padSequence: .*'batchFirst'/);
  });

  test('lengths as a float tensor or non-integers truncate, as torch.as_tensor(lengths, dtype=int64)', () => {
    const x = torch.arange(6).reshape(3, 2).float();
    expect(rnn.packPaddedSequence(x, [3.7, 1.2]).batchSizes.tolist()).toEqual([2, 1, 1]);
    expect(rnn.packPaddedSequence(x, torch.tensor([3, 1])).data.tolist()).toEqual([0, 1, 2, 4]);
  });

  test('gradients of a packed round trip, checked by gradcheck', () => {
    const x = torch.randn([4, 3, 2], { dtype: 'float64' }).requiresGrad_();
    const f = (t: Tensor): Tensor => rnn.padPackedSequence(rnn.packPaddedSequence(t, [2, 4, 1], { enforceSorted: false }), { batchFirst: true, totalLength: 5 })[0];
    expect(torch.autograd.gradcheck(f, [x])).toBe(true);
  });
});
