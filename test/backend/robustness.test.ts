/**
 * The native boundary under hostile input and limits: integer division that has no int32 result, failed
 * allocations, thread counts, sizes past 2^31, layouts left over from earlier calls, and huge ranges. Whatever would
 * kill the process (a signal, an abort, a hang) runs in a child process, so jest survives a regression.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

import * as torch from '../../lib';
import * as K from '../../lib/backend/kernels';
import { native } from '../../lib/backend/native/binding';
import { expectError } from '../helpers/errors';

const root = path.resolve(__dirname, '..', '..');
const linux = process.platform === 'linux';
/**
 * Under AddressSanitizer (CI preloads its runtime) a child cannot start within an address-space limit (ASan
 * reserves terabytes of shadow), freed memory stays quarantined (so RSS says nothing) and fresh gigabytes cost
 * minutes: those tests run only without it.
 */
const sanitized = /asan/.test(process.env.LD_PRELOAD ?? '');
const unsanitizedLinux = linux && !sanitized ? test : test.skip;

interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `code` in a child node that has loaded the compiled package as `torch` (and its kernels as `K`), with the
 * same addon as this process, its address space limited to `limitBytes` when given; returns how it ended.
 */
function runChild(code: string, options: { limitBytes?: number; timeoutMs?: number; nodeArgs?: string[] } = {}): ChildResult {
  const prelude =
    `const torch = require(${JSON.stringify(path.join(root, 'dist'))});` +
    `const K = require(${JSON.stringify(path.join(root, 'dist', 'backend', 'kernels'))});`;
  const node = [process.execPath, ...(options.nodeArgs ?? []), '-e', prelude + code];
  const quoted = node.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const limit = options.limitBytes === undefined ? '' : `ulimit -v ${Math.floor(options.limitBytes / 1024)}; `;
  const r = spawnSync('bash', ['-c', `${limit}exec ${quoted}`], {
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
    env: process.env,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** A child script's way to report each case: the error's name and message, or the value. */
const REPORT = `
  const report = {};
  const tryCase = (name, f) => {
    try { const v = f(); report[name] = { value: v instanceof torch.Tensor ? v.tolist() : v }; }
    catch (e) { report[name] = { error: e.name, message: e.message }; }
  };
`;
function parseReport(r: ChildResult): Record<string, { value?: unknown; error?: string; message?: string }> {
  expect({ status: r.status, signal: r.signal, stderr: r.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
  return JSON.parse(r.stdout) as Record<string, { value?: unknown; error?: string; message?: string }>;
}

// The public ops check integer results in TypeScript and name themselves; the kernels refuse the same operands on
// their own (native/test), so no path to them can trap.
describe('integer kernels (issue 11.1)', () => {
  test('division without an int32 result is a RangeError naming the op, never a signal', () => {
    const r = runChild(`${REPORT}
      const i = (v) => torch.tensor(v, { dtype: 'int32' });
      const MIN = -(2 ** 31);
      tryCase('floorDivide MIN by -1', () => i([5, MIN]).floorDivide(i([2, -1])));
      tryCase('floorDivide by 0', () => i([5, 6]).floorDivide(i([2, 0])));
      tryCase('floorDivide by scalar 0', () => i([5, 6]).floorDivide(0));
      tryCase('remainder by 0', () => i([5, 6]).remainder(i([0, 2])));
      tryCase('remainder MIN by -1', () => i([MIN, 7, -7]).remainder(i([-1, -2, 2])));
      tryCase('neg MIN', () => i([1, MIN]).neg());
      tryCase('abs MIN', () => i([MIN]).abs());
      tryCase('in place floorDivide_ by 0 keeps the input', () => { const a = i([5, 6]); try { a.floorDivide_(0); } catch (e) {} return a; });
      tryCase('pow by a negative scalar', () => i([2]).pow(-1));
      tryCase('pow by negative tensor exponents', () => i([2, 1, -1, -1, 0]).pow(i([-1, -3, -3, -2, 2])));
      process.stdout.write(JSON.stringify(report));
    `);
    const out = parseReport(r);
    expect(out['floorDivide MIN by -1']).toEqual({ error: 'RangeError', message: expect.stringMatching(/^floorDivide: value 2147483648 cannot be converted to type int64 without overflow/) });
    for (const name of ['floorDivide by 0', 'floorDivide by scalar 0']) {
      expect(out[name]).toEqual({ error: 'RangeError', message: expect.stringMatching(/^floorDivide: ZeroDivisionError/) });
    }
    expect(out['remainder by 0']).toEqual({ error: 'RangeError', message: expect.stringMatching(/^remainder: ZeroDivisionError/) });
    // Python: -2**31 % -1 == 0, 7 % -2 == -1, -7 % 2 == 1.
    expect(out['remainder MIN by -1']).toEqual({ value: [0, -1, 1] });
    expect(out['neg MIN']).toEqual({ error: 'RangeError', message: expect.stringMatching(/^neg: value 2147483648 cannot be converted to type int64 without overflow/) });
    expect(out['abs MIN']).toEqual({ error: 'RangeError', message: expect.stringMatching(/^abs: value 2147483648 cannot be converted/) });
    expect(out['in place floorDivide_ by 0 keeps the input']).toEqual({ value: [5, 6] });
    expect(out['pow by a negative scalar']).toEqual({ error: 'RangeError', message: expect.stringMatching(/Integers to negative integer powers are not allowed/) });
    // PyTorch's integer pow with a tensor exponent: 1 and -1 keep their magnitude, anything else gives 0.
    expect(out['pow by negative tensor exponents']).toEqual({ value: [0, 1, -1, 1, 0] });
  });
});

describe('native allocations and exceptions (issue 11.2)', () => {
  unsanitizedLinux('a convolution whose scratch cannot be allocated is a RangeError naming conv2d', () => {
    const r = runChild(`${REPORT}
      const F = torch.nn.functional;
      // On one thread its scratch is one column matrix, 128 * 49 * 512 * 512 floats: 6.6 GB, over the 6 GiB limit
      // (and under the 2^31 floats the binding refuses outright).
      torch.setNumThreads(1);
      tryCase('conv2d', () => F.conv2d(torch.zeros(1, 128, 512, 512), torch.zeros(4, 128, 7, 7), null, { padding: 3 }).shape);
      tryCase('after', () => F.conv2d(torch.ones(1, 1, 3, 3), torch.ones(1, 1, 2, 2)).sum().item());
      process.stdout.write(JSON.stringify(report));
    `, { limitBytes: 6 * 2 ** 30 });
    const out = parseReport(r);
    expect(out.conv2d).toEqual({ error: 'RangeError', message: expect.stringMatching(/conv2d: out of memory: could not allocate \d+ bytes/) });
    expect(out.after).toEqual({ value: 16 });
  }, 120_000);

  unsanitizedLinux('a large convolution gives its scratch back: RSS returns near where it was', () => {
    // One 7x7 convolution of a 1x16x256x256 input needs 205 MB of column scratch per thread.
    const r = runChild(`
      const F = torch.nn.functional;
      const x = torch.rand(1, 16, 256, 256), w = torch.rand(4, 16, 7, 7);
      F.conv2d(torch.rand(1, 16, 8, 8), w, null, { padding: 3 });
      global.gc();
      const before = process.memoryUsage().rss;
      let y = F.conv2d(x, w, null, { padding: 3 });
      y = null;
      global.gc();
      const after = process.memoryUsage().rss;
      process.stdout.write(JSON.stringify({ before, after }));
    `, { nodeArgs: ['--expose-gc'] });
    expect(r.stderr).toBe('');
    const { before, after } = JSON.parse(r.stdout) as { before: number; after: number };
    expect(after - before).toBeLessThan(100 * 2 ** 20);
  }, 120_000);
});

describe('thread counts (issue 11.3)', () => {
  const max = K.maxThreads();
  const initial = torch.getNumThreads();
  afterAll(() => torch.setNumThreads(initial));

  test('setNumThreads takes integers in [1, maxThreads] and getNumThreads reports them', () => {
    expect(max).toBeGreaterThanOrEqual(1);
    expect(torch.backendInfo().maxThreads).toBe(max);
    for (const n of [1, max]) {
      torch.setNumThreads(n);
      expect(torch.getNumThreads()).toBe(n);
    }
    for (const bad of [0, max + 1, 1000, 1.5, NaN]) {
      expectError(() => torch.setNumThreads(bad), 'RangeError', new RegExp(`setNumThreads: expected an integer in \\[1, ${max}\\]`));
      expectError(() => native.setNumThreads(bad), 'RangeError', new RegExp(`setNumThreads: expected an integer in \\[1, ${max}\\]`));
    }
    expect(torch.getNumThreads()).toBe(max);
  });

  unsanitizedLinux('setNumThreads(64) under a memory limit is refused and the next matmul completes', () => {
    const r = runChild(`${REPORT}
      tryCase('set', () => torch.setNumThreads(64));
      tryCase('matmul', () => torch.matmul(torch.ones(300, 300), torch.ones(300, 300)).sum().item());
      tryCase('threads', () => torch.getNumThreads());
      process.stdout.write(JSON.stringify(report));
    `, { limitBytes: 6 * 2 ** 30, timeoutMs: 60_000 });
    const out = parseReport(r);
    if (max < 64) expect(out.set).toEqual({ error: 'RangeError', message: expect.stringMatching(/setNumThreads: expected an integer in/) });
    expect(out.matmul).toEqual({ value: 300 * 300 * 300 });
    expect(out.threads!.value).toBeLessThanOrEqual(max);
  }, 90_000);
});

describe('sizes and options past 2^31 reach the kernels exactly (issue 11.4)', () => {
  test('a sum over 2^31 + 1 expanded elements', () => {
    expect(torch.ones(1, { dtype: 'float64' }).expand(2 ** 31 + 1).sum().item()).toBe(2 ** 31 + 1);
  }, 60_000);

  test('an argmax over 2^32 + 1 elements refuses, naming the count, rather than wrapping', () => {
    expectError(() => torch.ones(1).expand(2 ** 32 + 1).argmax(), 'RangeError', /'argmax' over 4294967297 elements/);
  });

  test('avgPool2d divides by a divisorOverride of 2^32 + 2', () => {
    // float32: the sum 4 over the float32 divisor.
    const y = torch.nn.functional.avgPool2d(torch.ones(1, 1, 2, 2), 2, { divisorOverride: 2 ** 32 + 2 });
    expect(y.item()).toBe(Math.fround(4 / Math.fround(2 ** 32 + 2)));
  });

  test('conv2d with padding 2^32 + 1 (a 5x5 output through a stride of 2^31 - 1) refuses rather than pad by 1', () => {
    expectError(() => torch.nn.functional.conv2d(torch.ones(1, 1, 3, 3), torch.ones(1, 1, 3, 3), null, { padding: 2 ** 32 + 1, stride: 2 ** 31 - 1 }),
      'RangeError', /conv2d: 'ph' is 4294967297, outside \[0, 2147483647\], the range the kernel supports/);
  });

  test('convolution geometry past int32 is a RangeError naming the value', () => {
    const g = { n: 1, c: 1, h: 3, w: 3, oc: 1, kh: 1, kw: 1, sh: 1, sw: 1, ph: 2 ** 32 + 1, pw: 0, dh: 1, dw: 1, groups: 1, oh: 3, ow: 3 };
    expectError(() => K.conv2d('forward', new Float32Array(9), new Float32Array(1), new Float32Array(9), g), 'RangeError',
      /conv2d: 'ph' is 4294967297, outside \[0, 2147483647\]/);
  });

  test('layout values must be integers of magnitude at most 2^53', () => {
    const ADD = native.opNames.binary.indexOf('add');
    const f = new Float32Array(2);
    for (const bad of [1.5, 2 ** 53 + 2, -Infinity, NaN]) {
      expectError(() => native.binary(ADD, f, f, f, Float64Array.from([8, 1, 0, 0, 0, 2, 1, 1, bad])), 'RangeError',
        /binary: 'layout' value 7 is .*, not an integer in \[-2\^53, 2\^53\]/);
    }
    // A layout whose reach overflows 64 bits lies outside the buffer; it is not wrapped back into it.
    expectError(() => native.copy(f, f, Float64Array.from([9, 2, 0, 0, 2 ** 26, 2 ** 26, 2 ** 53, 2 ** 53, 0, 0])), 'RangeError',
      /copy: layout of 'dst' .* reaches past the 64-bit range of a buffer of 2/);
  });
});

describe('no state survives between kernel calls (issue 10.8)', () => {
  /** Fills the shared layout array with long, valid-looking values (a rank-16 elementwise call). */
  function poison(): void {
    const shape = new Array<number>(16).fill(1);
    const x = torch.ones(shape);
    x.add(x.permute([15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]));
    torch.ones(7, 5).t().mul(torch.ones(5, 7));
  }

  test.each([
    ['max', 0, false],
    ['max', -1, true],
    ['min', 0, true],
    ['min', -1, false],
  ] as const)('%s(dim %d, keepDim %s) of a 0-d tensor: backward gives 1 however the array was left', (which, dim, keepDim) => {
    for (const poisoned of [false, true]) {
      const x = torch.tensor(3, { requiresGrad: true });
      if (poisoned) poison();
      const r = which === 'max' ? torch.max(x, dim, keepDim) : torch.min(x, dim, keepDim);
      expect(r.values.shape).toEqual([]);
      expect(r.indices.item()).toBe(0);
      if (poisoned) poison();
      r.values.backward();
      expect(x.grad!.item()).toBe(1);
    }
  });

  test('the addon reads only the values the call packed, and all of them', () => {
    const ADD = native.opNames.binary.indexOf('add');
    const out = new Float32Array(2);
    // Values past the count are never read, whatever they hold.
    native.binary(ADD, out, Float32Array.from([1, 2]), Float32Array.from([3, 4]), Float64Array.from([8, 1, 0, 0, 0, 2, 1, 1, 1, 99, -5, 1.5]));
    expect(Array.from(out)).toEqual([4, 6]);
    expectError(() => native.binary(ADD, out, out, out, Float64Array.from([6, 1, 0, 0, 0, 2, 1, 1, 1])), 'RangeError', /binary: 'layout' ends before strides of a/);
    expectError(() => native.binary(ADD, out, out, out, Float64Array.from([9, 1, 0, 0, 0, 2, 1, 1, 1, 0])), 'RangeError',
      /binary: 'layout' holds 9 values but the call reads 8/);
    expectError(() => native.binary(ADD, out, out, out, Float64Array.from([9, 1, 0, 0, 0, 2, 1, 1, 1])), 'RangeError',
      /binary: 'layout' must start with the count of values that follow, at most 8, but starts with 9/);
  });

  test('the kernels interface refuses strides that do not match the index space', () => {
    const out = { data: new Float32Array(1), shape: [], strides: [], offset: 0 };
    const src = { data: new Float32Array(1), shape: [1], strides: [1], offset: 0 };
    const index = { data: new Int32Array(1), shape: [1], strides: [1], offset: 0 };
    expect(() => K.scatterAdd(out, src, index, 0, 1)).toThrow(/torchlet.kernels.scatterAdd: 'out' has 0 strides \(shape \[\]\) for an index space of rank 1/);
  });
});

describe('range fills (issue 11.9)', () => {
  test('arange and linspace values', () => {
    // start + i * step in double, then stored.
    expect(torch.arange(-3, 4, 2.5, { dtype: 'float64' }).tolist()).toEqual([-3, -0.5, 2]);
    expect(torch.arange(5).tolist()).toEqual([0, 1, 2, 3, 4]);
    expect(torch.linspace(-1, 1, 5, { dtype: 'float64' }).tolist()).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(torch.linspace(2, 2, 1).tolist()).toEqual([2]);
    expect(torch.linspace(2, 3, 0).shape).toEqual([0]);
  });

  test('results that cannot exist are a RangeError naming the op and the size', () => {
    expectError(() => torch.arange(0, 2 ** 33), 'RangeError', /arange: values from 0 to 8589934591 do not fit in int32/);
    expectError(() => torch.arange(0, 2 ** 40, 1, { dtype: 'float32' }), 'RangeError',
      /arange: can't allocate memory: the result of 1099511627776 float32 elements needs 4398046511104 bytes/);
    expectError(() => torch.linspace(0, 1, 2 ** 33), 'RangeError', /linspace: can't allocate memory: the result of 8589934592 float32 elements/);
    expectError(() => torch.linspace(0, 2 ** 31, 3, { dtype: 'int32' }), 'RangeError', /linspace: values from 0 to 2147483648 do not fit in int32/);
    expectError(() => torch.arange(0, 3, 1, { dtype: 'bool' }), 'TypeError', /arange: "arange_cpu" not implemented for 'Bool'/);
    expectError(() => torch.linspace(0, 1, 3, { dtype: 'bool' }), 'TypeError', /linspace: "linspace_cpu" not implemented for 'Bool'/);
  });

  // The time is mostly the page faults of 2.9 GB of fresh memory (seconds on an idle machine; the JS loop it
  // replaces took minutes), so the test bounds it only by its timeout.
  unsanitizedLinux('arange(-(2**31), 1, 3) fills its 715827883 elements natively', () => {
    const r = runChild(`
      const t = torch.arange(-(2 ** 31), 1, 3);
      process.stdout.write(JSON.stringify({ n: t.shape[0], first: t.data[0], second: t.data[1], last: t.data[t.data.length - 1] }));
    `, { timeoutMs: 110_000 });
    expect(r.stderr).toBe('');
    const n = Math.ceil((1 + 2 ** 31) / 3);
    expect(JSON.parse(r.stdout)).toEqual({ n, first: -(2 ** 31), second: -(2 ** 31) + 3, last: -(2 ** 31) + 3 * (n - 1) });
  }, 120_000);
});
