/**
 * Fetching one batch (or one sample) from a dataset and collating it, as torch.utils.data._utils.fetch; shared by
 * the main thread (numWorkers 0) and the worker threads.
 */
import { Dataset, IterableDataset, TensorDataset } from './dataset';
import type { AnyDataset } from './dataset';
import { defaultCollate } from './collate';
import { indexSelect } from '../ops/indexing';
import { tensor } from '../ops/creation';

/** Thrown by an iterable dataset's fetcher when its stream has ended (PyTorch's StopIteration). */
export class StopFetching extends Error {
  constructor() {
    super('the iterable dataset has ended');
  }
}

export type CollateFn = (batch: never) => unknown;

export interface Fetcher {
  /** The batch (auto-collation: an array of indices) or the sample at `index`, collated. */
  fetch(index: unknown): unknown;
  /** The sample index (map-style) or stream position (iterable) being read, for error messages. */
  readonly current: number | null;
}

/** A fetcher of the dataset's kind. */
export function createFetcher(dataset: AnyDataset<unknown>, autoCollation: boolean, collate: CollateFn, dropLast: boolean): Fetcher {
  const apply = collate as (b: unknown) => unknown;
  if (dataset instanceof IterableDataset) {
    const it = dataset[Symbol.iterator]();
    let ended = false;
    const f = {
      current: null as number | null,
      fetch(index: unknown): unknown {
        if (ended) throw new StopFetching();
        const pull = (): IteratorResult<unknown> => {
          f.current = (f.current ?? -1) + 1;
          return it.next();
        };
        if (!autoCollation) {
          const r = pull();
          if (r.done) {
            ended = true;
            throw new StopFetching();
          }
          return apply(r.value);
        }
        const want = (index as unknown[]).length;
        const data: unknown[] = [];
        while (data.length < want) {
          const r = pull();
          if (r.done) {
            ended = true;
            break;
          }
          data.push(r.value);
        }
        if (data.length === 0 || (dropLast && data.length < want)) throw new StopFetching();
        return apply(data);
      },
    };
    return f;
  }
  const ds = dataset as Dataset<unknown>;
  const f = {
    current: null as number | null,
    fetch(index: unknown): unknown {
      if (!autoCollation) {
        f.current = index as number;
        return apply(ds.getItem(index as number));
      }
      const indices = index as number[];
      // A TensorDataset batch is a row gather per tensor: the same values as stacking the rows, without the views.
      if (ds instanceof TensorDataset && collate === defaultCollate && indices.length > 0) {
        indices.forEach((i) => {
          f.current = i;
          if (!(Number.isInteger(i) && i >= -ds.length && i < ds.length)) ds.getItem(i);
        });
        const idx = tensor(indices.map((i) => (i < 0 ? i + ds.length : i)), { dtype: 'int32' });
        return (ds as TensorDataset).tensors.map((t) => indexSelect(t, 0, idx));
      }
      return apply(
        indices.map((i) => {
          f.current = i;
          return ds.getItem(i);
        }),
      );
    },
  };
  return f;
}
