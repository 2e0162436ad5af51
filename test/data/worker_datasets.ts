/** Datasets that DataLoader workers load by module path in test/data/workers.test.ts. */
import * as torch from '../../lib';

const { data } = torch;

/** Item i: i, the worker id, the worker seed (a string), and a draw of the worker's global generator (fixtures' Seeds). */
export class Seeds extends data.Dataset<[number, number, string, number]> {
  getItem(i: number): [number, number, string, number] {
    const info = data.getWorkerInfo();
    return [i, info ? info.id : -1, info ? info.seed.toString() : '', torch.randint(0, 1000, []).item() as number];
  }

  get length(): number {
    return 12;
  }
}

/**
 * Item i is i + offset (workerInitFn sets offset); every getItem counts in counters[0], every construction in
 * counters[1] (a SharedArrayBuffer, shared with the test), and index failAt throws.
 */
export class Counted extends data.Dataset<number> {
  offset = 0;
  private readonly counters: Int32Array;

  constructor(readonly n: number, shared: SharedArrayBuffer, readonly failAt = -1) {
    super();
    this.counters = new Int32Array(shared);
    Atomics.add(this.counters, 1, 1);
  }

  getItem(i: number): number {
    Atomics.add(this.counters, 0, 1);
    if (i === this.failAt) throw new RangeError(`cannot read sample ${i}`);
    return i + this.offset;
  }

  get length(): number {
    return this.n;
  }
}

/** workerInitFn: offsets the worker's dataset copy by 1000 * id. */
export function offsetByWorker(id: number): void {
  (data.getWorkerInfo()!.dataset as Counted).offset = 1000 * id;
}

/** The stream start..end-1; with split, each worker takes its share (PyTorch's IterableDataset example 1). */
export class Span extends data.IterableDataset<number> {
  constructor(readonly start: number, readonly end: number, readonly split = false) {
    super();
  }

  *[Symbol.iterator](): Iterator<number> {
    let [lo, hi] = [this.start, this.end];
    const info = data.getWorkerInfo();
    if (this.split && info) {
      const per = Math.ceil((hi - lo) / info.numWorkers);
      lo = this.start + info.id * per;
      hi = Math.min(lo + per, this.end);
    }
    for (let i = lo; i < hi; i++) yield i;
  }
}
