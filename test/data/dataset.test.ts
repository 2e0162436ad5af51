import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import { after, decodeValue, describeValue, fx, Range } from './data_fixtures';

const { data } = torch;

describe('randomSplit gives PyTorch 1.13 splits', () => {
  it.each(fx.splits.map((c, i) => [`${i}: n=${c.n} ${JSON.stringify(c.lengths)} seed ${c.seed}${c.generator ? ' generator' : ''}`, c] as const))('%s', (_, c) => {
    torch.manualSeed(c.seed);
    const g = c.generator ? new torch.Generator().manualSeed(c.seed) : undefined;
    const parts = g ? data.randomSplit(new Range(c.n), c.lengths, g) : data.randomSplit(new Range(c.n), c.lengths);
    expect(parts.map((p) => p.indices)).toEqual(c.parts);
    expect(parts.map((p) => Array.from({ length: p.length }, (_, i) => p.getItem(i)))).toEqual(c.parts);
    expect(after(g)).toEqual(c.after);
  });

  it('rejects lengths that do not add up, and bad fractions', () => {
    expect(() => data.randomSplit(new Range(10), [3, 6])).toThrow(new RangeError('randomSplit: Sum of input lengths does not equal the length of the input dataset!'));
    expect(() => data.randomSplit(new Range(10), [1.5, -0.5])).toThrow(new RangeError('randomSplit: Fraction at index 0 is not between 0 and 1'));
    expect(() => data.randomSplit([1, 2] as never, [1, 1])).toThrow(/^randomSplit: expected a Dataset for 'dataset' but received an array of length 2$/);
  });
});

class Pairs extends data.Dataset<[Tensor, number]> {
  getItem(i: number): [Tensor, number] {
    return [torch.tensor([i, 2 * i]), i % 3];
  }

  get length(): number {
    return 5;
  }
}

describe('Dataset subclasses', () => {
  it('a DataLoader over a user subclass batches its items (tuple-typed batches)', () => {
    const loader = new data.DataLoader(new Pairs(), { batchSize: 2 });
    const xs: number[][][] = [];
    const ys: number[][] = [];
    for (const [x, y] of loader) {
      xs.push(x.tolist() as number[][]);
      ys.push(y.tolist() as number[]);
      expect(y.dtype).toBe('int32');
    }
    // Independent: the items written out by hand.
    expect(xs).toEqual([[[0, 0], [1, 2]], [[2, 4], [3, 6]], [[4, 8]]]);
    expect(ys).toEqual([[0, 1], [2, 0], [1]]);
    expect(loader.length).toBe(3);
  });

  it('Subset and ConcatDataset index into their datasets', () => {
    const sub = new data.Subset(new Range(10), [7, 2, 5]);
    expect([0, 1, 2].map((i) => sub.getItem(i))).toEqual([7, 2, 5]);
    expect(sub.getItem(-1)).toBe(5);
    const cat = new data.ConcatDataset([new Range(2), new Range(3)]);
    expect(cat.length).toBe(5);
    expect(cat.cumulativeSizes).toEqual([2, 5]);
    expect([0, 1, 2, 3, 4, -1].map((i) => cat.getItem(i))).toEqual([0, 1, 0, 1, 2, 2]);
    expect(new Range(2).concat(new Range(1)).length).toBe(3);
    expect(() => cat.getItem(5)).toThrow(/^ConcatDataset.getItem: index 5 is out of range for a dataset of length 5$/);
    expect(() => new data.ConcatDataset([])).toThrow(/datasets should not be an empty iterable/);
  });

  it('TensorDataset items are rows', () => {
    const x = torch.arange(6).reshape([3, 2]);
    const ds = new data.TensorDataset(x, torch.tensor([5, 6, 7]));
    const [xi, yi] = ds.getItem(1);
    expect(xi.tolist()).toEqual([2, 3]);
    expect(yi.item()).toBe(6);
    expect(() => ds.getItem(3)).toThrow(RangeError);
  });
});

describe('defaultCollate matches default_collate', () => {
  it.each(fx.collate.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const batch = decodeValue(c.batch) as unknown[];
    expect(describeValue(data.defaultCollate(batch))).toEqual(describeValue(decodeValue(c.result)));
  });

  it('errors in PyTorch words', () => {
    const e = new Map(fx.collateErrors.map((x) => [x.name, x.message]));
    expect(() => data.defaultCollate([[0, 1], [2]])).toThrow(new RangeError(`default_collate: ${e.get('unequal')}`));
    expect(() => data.defaultCollate([null, null])).toThrow(/^default_collate: batch must contain tensors, numbers, dicts or lists; found null$/);
    expect(() => data.defaultCollate([torch.zeros(2), torch.zeros(3)])).toThrow(`stack: ${e.get('stack')}`);
    expect(() => data.defaultCollate([])).toThrow(RangeError);
  });

  it('typed arrays collate as tensors (numpy arrays in PyTorch)', () => {
    const out = data.defaultCollate([new Float64Array([1, 2]), new Float64Array([3, 4])]);
    expect(describeValue(out)).toEqual({ dtype: 'float64', shape: [2, 2], data: [1, 2, 3, 4] });
  });
});
