/** The PyTorch fixtures of torch.utils.data (scripts/gen_data_fixtures.py) and helpers shared by the data tests. */
import * as fs from 'fs';
import * as path from 'path';

import * as torch from '../../lib';

export interface Fixtures {
  int64Seeds: { seed: number; draws: string[]; after: number[] }[];
  samplers: { seed: number; name: string; streams: unknown[][]; length: number; after: number[] }[];
  multinomial: { seed: number; weights: number[] | number[][]; dtype: 'float32' | 'float64'; n: number; replacement: boolean; result: unknown; after: number[] }[];
  splits: { seed: number; n: number; lengths: number[]; generator: boolean; parts: number[][]; after: number[] }[];
  loaders: { seed: number; name: string; epochs: unknown[][]; length: number | null; after: number[]; afterGlobal: number[] | null }[];
  workers: { seed: number; shuffle: boolean; persistent: boolean; epochs: [number[], number[], string[], number[]][][]; after: number[] }[];
  collate: { name: string; batch: Encoded; result: Encoded }[];
  collateErrors: { name: string; type: string; message: string }[];
  optionErrors: { name: string; type: string; message: string }[];
}

export type Encoded =
  | { tensor: { dtype: 'float32' | 'float64' | 'int32' | 'bool'; shape: number[]; data: (number | boolean)[] } }
  | { dict: Record<string, Encoded> }
  | { list: Encoded[] }
  | { value: unknown };

export const fx = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'data.json'), 'utf8')) as Fixtures;

/** The JS value an encoded Python value stands for (tuples become arrays, dicts plain objects). */
export function decodeValue(e: Encoded): unknown {
  if ('tensor' in e) return torch.tensor(e.tensor.data as number[], { dtype: e.tensor.dtype }).reshape(e.tensor.shape);
  if ('dict' in e) return Object.fromEntries(Object.entries(e.dict).map(([k, v]) => [k, decodeValue(v)]));
  if ('list' in e) return e.list.map(decodeValue);
  return e.value;
}

/** A value with its tensors described by dtype, shape and values, for toEqual. */
export function describeValue(v: unknown): unknown {
  if (v instanceof torch.Tensor) return { dtype: v.dtype, shape: [...v.shape], data: (v.reshape([-1]).tolist() as unknown[]) };
  if (Array.isArray(v)) return v.map(describeValue);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, describeValue(x)]));
  return v;
}

/** Three draws of randint(0, 1000) after a stream: the fixtures' `after`. */
export function after(generator?: torch.Generator): number[] {
  return torch.randint(0, 1000, [3], { generator }).tolist() as number[];
}

/** Item i is i, as the fixtures' Range dataset. */
export class Range extends torch.data.Dataset<number> {
  constructor(readonly n: number) {
    super();
  }

  getItem(i: number): number {
    return i;
  }

  get length(): number {
    return this.n;
  }
}

/** The stream 0..n-1, as the fixtures' Count dataset. */
export class Count extends torch.data.IterableDataset<number> {
  constructor(readonly n: number) {
    super();
  }

  *[Symbol.iterator](): Iterator<number> {
    for (let i = 0; i < this.n; i++) yield i;
  }
}
