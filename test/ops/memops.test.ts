/**
 * The fast paths of the memory-bound kernels (issue 12) against PyTorch (test/fixtures/memops.json, written by
 * scripts/gen_memops_fixtures.py): vector binary runs (in place, a number on either side, broadcast, strided),
 * chunked and column sums, max/min along contiguous slices (NaN, ties, -0), transposing copies; and sums that give the
 * same bits on any number of threads.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import { build, describeGroups, expectClose, loadFixture } from '../helpers/fixtures';
import type { Num, TensorJson } from '../helpers/fixtures';

interface InputSpec {
  shape: number[];
  dtype: TensorJson['dtype'];
  steps: unknown[][];
  specials: [number, Num][];
  shift: number;
  dyadic: boolean;
}
interface MemCase {
  group: string;
  op: string;
  inputs: InputSpec[];
  args: unknown[];
  rtol: number;
  atol: number;
  outs: TensorJson[];
}

/**
 * The generator's input: value(i) = ((i * 7919 + 13) % 1999 - 999) / 7, or ((i * 7919 + 13) % 61 - 30) / 8 for sums
 * (see the script), specials, then the steps.
 */
function input(spec: InputSpec): Tensor {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const data: Num[] = [];
  for (let k = 0; k < n; k++) {
    const i = k + spec.shift;
    const num = spec.dyadic ? ((i * 7919 + 13) % 61) - 30 : ((i * 7919 + 13) % 1999) - 999;
    data.push(spec.dtype === 'bool' ? i % 3 === 0 : spec.dtype === 'int32' ? num : num / (spec.dyadic ? 8 : 7));
  }
  for (const [at, v] of spec.specials) data[at] = v;
  return build({ shape: spec.shape, dtype: spec.dtype, data, steps: spec.steps });
}

type Op = (t: Tensor[], a: unknown[]) => Tensor | readonly Tensor[];
const other = (t: Tensor[], a: unknown[]): Tensor | number => t[1] ?? (a[0] as number);
const dims = (a: unknown[]): [number | number[], boolean?] => a as [number | number[], boolean?];
const inPlace = (f: (x: Tensor, t: Tensor[], a: unknown[]) => void): Op => (t, a) => {
  const x = t[0]!.clone();
  f(x, t, a);
  return x;
};

const OPS: Record<string, Op> = {
  sum: (t, a) => (a.length ? t[0]!.sum(...dims(a)) : t[0]!.sum()),
  mean: (t, a) => (a.length ? t[0]!.mean(...dims(a)) : t[0]!.mean()),
  max: (t, a) => (a.length ? t[0]!.max(a[0] as number, a[1] as boolean | undefined) : t[0]!.max()),
  min: (t, a) => (a.length ? t[0]!.min(a[0] as number, a[1] as boolean | undefined) : t[0]!.min()),
  argmax: (t, a) => t[0]!.argmax(a[0] as number, a[1] as boolean | undefined),
  argmin: (t, a) => t[0]!.argmin(a[0] as number, a[1] as boolean | undefined),
  amax: (t, a) => t[0]!.amax(a[0] as number),
  add: (t, a) => (a.length ? torch.add(t[0]!, t[1]!, { alpha: a[0] as number }) : torch.add(t[0]!, t[1]!)),
  sub: (t, a) => torch.sub(t[0]!, other(t, a)),
  rsub: (t, a) => torch.sub(a[0] as number, t[0]!),
  mul: (t, a) => torch.mul(t[0]!, other(t, a)),
  div: (t, a) => torch.div(t[0]!, other(t, a)),
  maximum: (t) => torch.maximum(t[0]!, t[1]!),
  gt: (t) => t[0]!.gt(t[1]!),
  add_: inPlace((x, t, a) => x.add_(other(t, a))),
  mul_: inPlace((x, t, a) => x.mul_(other(t, a))),
  contiguous: (t) => t[0]!.contiguous(),
  copyT: (t) => torch.zeros([...t[0]!.shape].reverse(), { dtype: t[0]!.dtype }).t().copy_(t[0]!).t(),
};

const fixture = loadFixture<MemCase>('memops.json');

describe('memory-bound fast paths against PyTorch', () => {
  describeGroups(
    fixture,
    (c) => `${c.op} ${c.inputs.map((i) => `${i.dtype}[${i.shape.join(',')}]${i.steps.length ? JSON.stringify(i.steps) : ''}${i.specials.length ? '*' : ''}`).join(' ')} ${JSON.stringify(c.args)}`,
    (c) => {
      const r = OPS[c.op]!(c.inputs.map(input), c.args);
      const outs = Array.isArray(r) ? (r as readonly Tensor[]) : [r as Tensor];
      expect(outs.length).toBe(c.outs.length);
      outs.forEach((o, k) => expectClose(o, c.outs[k]!, c.rtol, c.atol, `output ${k}`));
    },
  );
});

describe('results do not depend on the number of threads', () => {
  const before = torch.getNumThreads();
  afterAll(() => torch.setNumThreads(before));

  /** A tensor's elements as bytes, in row-major order. */
  function bytesOf(t: Tensor): string {
    const d = t.contiguous().data;
    return Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('base64');
  }
  /** The bytes of each result on 1 thread and on 2 (chunks and bands are fixed, so they must be equal). */
  function sameOnThreads(f: () => Tensor | readonly Tensor[]): void {
    const bytes = (): string[] => {
      const r = f();
      return (Array.isArray(r) ? (r as readonly Tensor[]) : [r as Tensor]).map(bytesOf);
    };
    torch.setNumThreads(1);
    const one = bytes();
    torch.setNumThreads(2);
    const two = bytes();
    expect(two).toEqual(one);
  }

  torch.manualSeed(12);
  const big = torch.randn(1 << 20);
  const wide = torch.randn(700, 1500);
  const big64 = torch.randn(300001, { dtype: 'float64' });

  test('sum of everything (float32, float64) and mean', () => {
    sameOnThreads(() => big.sum());
    sameOnThreads(() => big.mean());
    sameOnThreads(() => big64.sum());
  });
  test('sums over outer, inner and several dims', () => {
    sameOnThreads(() => wide.sum(0));
    sameOnThreads(() => wide.sum(1));
    sameOnThreads(() => wide.reshape([7, 100, 1500]).sum([0, 2]));
    sameOnThreads(() => wide.t().sum(0));
  });
  test('sums over the trailing dims of a contiguous tensor: the bits of the strided path, within float rounding per row', () => {
    const a = torch.randn(33, 1024);
    // Each t has rows with a gap between them (so its sum takes the strided path), each row one contiguous run.
    for (const [t, dims] of [
      [a.narrow(1, 0, 1000), [1]],
      [a.narrow(1, 0, 560).view([33, 8, 70]), [1, 2]],
      [a.reshape([33, 1, 1024]).narrow(2, 0, 64), [-1]],
    ] as [Tensor, number[]][]) {
      const dense = t.contiguous();
      const fast = dense.sum(dims);
      // The same rows with a gap between them go through the general path: the same bits.
      expect(bytesOf(fast)).toEqual(bytesOf(t.sum(dims)));
      // Independent reference: each row's float64 sum. The float adds of four elements round at the elements' scale
      // (two roundings), the result once more at its own.
      const len = dense.numel() / fast.numel();
      const values = Array.from(dense.data as Float32Array);
      (Array.from(fast.data as Float32Array)).forEach((v, r) => {
        const row = values.slice(r * len, (r + 1) * len);
        const exact = row.reduce((x, y) => x + y, 0);
        const scale = row.reduce((x, y) => x + Math.abs(y), 0);
        expect(Math.abs(v - exact)).toBeLessThanOrEqual(2 ** -22 * scale + 2 ** -23 * Math.abs(exact));
      });
      sameOnThreads(() => dense.sum(dims));
    }
  });
  test('sums over many outer rows (added in chunks of rows): the float64 sum of each column, the same bits on 1 and 2 threads', () => {
    torch.manualSeed(13);
    // [rows, (kept,) columns] with more than 256 reduced rows, so they are cut into chunks; the last two cut the
    // reduced dims' runs mid-way, and one keeps a dim between the reduced rows and the columns.
    const cases: [Tensor, number[]][] = [
      [torch.randn(1030, 37), [0]],
      [torch.randn(2, 700, 24), [1]],
      [torch.randn(9, 57, 40), [0, 1]],
      [torch.randn(301, 3, 16), [0]],
    ];
    for (const [t, dims] of cases) {
      const s = t.sum(dims);
      const shape = t.shape;
      const values = Array.from(t.data as Float32Array);
      const got = Array.from(s.data as Float32Array);
      const w = shape[shape.length - 1]!;
      // Independent reference: for each output (kept index, column), the float64 sum and the sum of magnitudes.
      const exact = new Array<number>(got.length).fill(0);
      const scale = new Array<number>(got.length).fill(0);
      values.forEach((v, i) => {
        const idx: number[] = [];
        let rest = i;
        for (let d = shape.length - 1; d >= 0; --d) {
          idx[d] = rest % shape[d]!;
          rest = Math.floor(rest / shape[d]!);
        }
        const o = idx.reduce((acc, x, d) => (dims.includes(d) ? acc : acc * shape[d]! + x), 0);
        exact[o]! += v;
        scale[o]! += Math.abs(v);
      });
      expect(got.length).toBe(exact.length);
      expect(s.shape[s.shape.length - 1]).toBe(w);
      got.forEach((v, o) => expect(Math.abs(v - exact[o]!)).toBeLessThanOrEqual(2 ** -22 * scale[o]! + 2 ** -23 * Math.abs(exact[o]!)));
      sameOnThreads(() => t.sum(dims));
      sameOnThreads(() => t.mean(dims));
    }
  });
  test('max and argmax along a dim; the transposing copy', () => {
    sameOnThreads(() => wide.max(1));
    sameOnThreads(() => wide.t().contiguous());
  });
  test('the chunked float32 sum is within 4 float ulps of the exact sum (a float running sum is off by hundreds)', () => {
    // Independent reference: the float64 sum of the float32 values (exact to far below a float ulp here).
    const exact = Array.from(big.data as Float32Array).reduce((s, v) => s + v, 0);
    const ulp = 2 ** (Math.floor(Math.log2(Math.abs(exact))) - 23);
    expect(Math.abs((big.sum().item() as number) - exact)).toBeLessThanOrEqual(4 * ulp);
  });
});

describe('fresh results written with streaming stores (native/src/kernels/stream.cpp)', () => {
  /**
   * Runs elementwise ops with fresh results of 2 MiB and more (streamed where streaming is on) and a little under,
   * on 1 and 2 threads, in a fresh process with TORCHLET_STREAMING_STORES set, and counts the elements that differ
   * from an independent JS computation on the inputs. Lengths are odd, so the two threads' runs start off a cache
   * line (their first elements are stored plainly) and end in a partial block; and transposing copies.
   */
  function child(streaming: '0' | '1'): { streamingStores: boolean; wrong: Record<string, number> } {
    const dist = path.resolve(__dirname, '..', '..', 'dist');
    const code = `
      const torch = require(${JSON.stringify(dist)});
      const wrong = {};
      const check = (name, t, expected) => {
        const d = t.data;
        let bad = d.length === expected.length ? 0 : -1;
        for (let i = 0; bad >= 0 && i < d.length; i++) if (!Object.is(d[i], expected[i])) bad++;
        wrong[name] = bad;
      };
      const values = (n, k, f) => Array.from({ length: n }, (_, i) => f(((i * 7919 + k) % 2003) - 1001));
      for (const threads of [1, 2]) {
        torch.setNumThreads(threads);
        for (const n of [700001, 500003]) {
          const xs = values(n, 13, (v) => v / 7), ys = values(n, 29, (v) => v / 3);
          const x = torch.tensor(xs), y = torch.tensor(ys);
          const f = Math.fround;
          const fx = xs.map(f), fy = ys.map(f);
          check('add ' + n + ' t' + threads, x.add(y), fx.map((v, i) => f(v + fy[i])));
          check('mul by 1.5 ' + n + ' t' + threads, x.mul(1.5), fx.map((v) => f(v * 1.5)));
          check('relu ' + n + ' t' + threads, x.relu(), fx.map((v) => (v > 0 ? v : 0)));
          check('gt ' + n + ' t' + threads, x.gt(y), fx.map((v, i) => (v > fy[i] ? 1 : 0)));
          const dx = torch.tensor(xs, { dtype: 'float64' }), dy = torch.tensor(ys, { dtype: 'float64' });
          check('float64 sub ' + n + ' t' + threads, dx.sub(dy), xs.map((v, i) => v - ys[i]));
          const ix = torch.tensor(values(n, 13, (v) => v), { dtype: 'int32' });
          check('int32 neg ' + n + ' t' + threads, ix.neg(), values(n, 13, (v) => 0 - v));
        }
        // Transposing copies: rows of the result on cache lines (so whole 32 x 32 tiles are streamed), an odd number
        // of them (so the last band of tiles is partial).
        for (const [rows, cols, dtype] of [[1040, 701, 'float32'], [520, 601, 'float64']]) {
          const xs = values(rows * cols, 17, (v) => v / 5);
          const f = dtype === 'float32' ? Math.fround : (v) => v;
          const t = torch.tensor(xs, { dtype }).reshape([rows, cols]);
          const expected = [];
          for (let c = 0; c < cols; c++) for (let r = 0; r < rows; r++) expected.push(f(xs[r * cols + c]));
          check(dtype + ' t().contiguous() ' + rows + 'x' + cols + ' t' + threads, t.t().contiguous(), expected);
        }
        const b = torch.tensor(values(2200001, 5, (v) => v % 3 === 0));
        check('logical_not 2200001 t' + threads, b.logicalNot(), values(2200001, 5, (v) => (v % 3 === 0 ? 0 : 1)));
      }
      process.stdout.write(JSON.stringify({ streamingStores: torch.backendInfo().streamingStores, wrong }));`;
    const r = spawnSync(process.execPath, ['-e', code], {
      encoding: 'utf8',
      env: { ...process.env, TORCHLET_STREAMING_STORES: streaming },
      timeout: 120_000,
    });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    return JSON.parse(r.stdout);
  }

  test.each(['1', '0'] as const)('TORCHLET_STREAMING_STORES=%s: every element as computed independently', (streaming) => {
    const r = child(streaming);
    expect(r.streamingStores).toBe(streaming === '1');
    expect(Object.keys(r.wrong)).toHaveLength(30);
    for (const [name, bad] of Object.entries(r.wrong)) expect([name, bad]).toEqual([name, 0]);
  });
});
