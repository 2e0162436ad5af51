/** The addon validates every argument: wrong input from JS is a TypeError/RangeError naming the function. */
import { native } from '../../lib/backend/native/binding';
import type { NativeBinding } from '../../lib/backend/native/binding';
import { expectError } from '../helpers/errors';

const f32 = (n: number): Float32Array => new Float32Array(n);
// A packed layout as the kernels interface writes it: the count of values, then the values.
const layout = (...v: number[]): Float64Array => Float64Array.from([v.length, ...v]);
const ADD = native.opNames.binary.indexOf('add');
const EXP = native.opNames.unary.indexOf('exp');
const SUM = native.opNames.reduce.indexOf('sum');

describe('native binding argument checks', () => {
  test('a correct call works', () => {
    const out = f32(2);
    native.binary(ADD, out, Float32Array.from([1, 2]), Float32Array.from([3, 4]), layout(1, 0, 0, 0, 2, 1, 1, 1));
    expect(Array.from(out)).toEqual([4, 6]);
  });

  test.each([
    ['op out of range', () => native.binary(99, f32(2), f32(2), f32(2), layout(1, 0, 0, 0, 2, 1, 1, 1)), RangeError, /binary: expected an integer in \[0, \d+\] for 'op'/],
    ['op not a number', () => native.binary('add' as unknown as number, f32(2), f32(2), f32(2), layout()), TypeError, /binary: expected a number for 'op' but received a string/],
    ['plain array instead of typed array', () => native.binary(ADD, [1, 2] as unknown as Float32Array, f32(2), f32(2), layout()), TypeError, /binary: expected a Float32Array, Float64Array, Int32Array or Uint8Array for 'out' but received an array/],
    ['Int16Array', () => native.binary(ADD, new Int16Array(2) as unknown as Float32Array, f32(2), f32(2), layout()), TypeError, /received an Int16Array/],
    ['float64 output of float32 inputs', () => native.binary(ADD, new Float64Array(2) as unknown as Float32Array, f32(2), f32(2), layout(1, 0, 0, 0, 2, 1, 1, 1)), TypeError, /binary: 'add' is not defined for float32 inputs with a float64 output/],
    ['missing layout', () => (native.binary as unknown as (...a: unknown[]) => void)(ADD, f32(2), f32(2), f32(2)), TypeError, /binary: expected a Float64Array for 'layout' but received undefined/],
    ['short layout', () => native.binary(ADD, f32(2), f32(2), f32(2), layout(1, 0, 0)), RangeError, /binary: 'layout' ends before offsets/],
    ['rank too large', () => native.binary(ADD, f32(2), f32(2), f32(2), layout(40)), RangeError, /binary: expected rank in \[0, 16\]/],
    ['negative size', () => native.binary(ADD, f32(2), f32(2), f32(2), layout(1, 0, 0, 0, -2, 1, 1, 1)), RangeError, /binary: negative size/],
    ['view past the end', () => native.binary(ADD, f32(2), f32(2), f32(2), layout(1, 0, 0, 0, 3, 1, 1, 1)), RangeError, /binary: layout of 'out' .* reaches elements \[0, 2\] of a buffer of 2/],
    ['offset past the end', () => native.binary(ADD, f32(2), f32(2), f32(2), layout(1, 0, 5, 0, 1, 1, 1, 1)), RangeError, /layout of 'a'/],
    ['negative offset', () => native.binary(ADD, f32(2), f32(2), f32(2), layout(1, 0, 0, -1, 1, 1, 1, 1)), RangeError, /layout of 'b'/],
    ['huge stride', () => native.binary(ADD, f32(2), f32(2), f32(2), layout(1, 0, 0, 0, 2, 1, 2147483647, 1)), RangeError, /layout of 'a'/],
    ['mixed input dtypes', () => native.binary(ADD, f32(2), f32(2), new Int32Array(2), layout(1, 0, 0, 0, 2, 1, 1, 1)), TypeError, /binary: 'a' and 'b' must share a dtype/],
    ['wrong output dtype', () => native.binary(ADD, new Uint8Array(2), f32(2), f32(2), layout(1, 0, 0, 0, 2, 1, 1, 1)), TypeError, /binary: 'add' is not defined for float32 inputs with a bool output/],
    ['unary on bool', () => native.unary(EXP, new Uint8Array(2), new Uint8Array(2), layout(1, 0, 0, 2, 1, 1), 0, 0), TypeError, /unary: 'exp' is not defined/],
    ['unary parameter not a number', () => native.unary(EXP, f32(2), f32(2), layout(1, 0, 0, 2, 1, 1), null as unknown as number, 0), TypeError, /unary: expected a number for 'p0'/],
    ['copy out of bounds', () => native.copy(f32(2), f32(4), layout(2, 0, 0, 2, 2, 2, 1, 2, 1)), RangeError, /copy: layout of 'dst'/],
    ['reduce wrong out length', () => native.reduce(SUM, f32(3), null, f32(4), layout(2, 0, 2, 2, 2, 1, 0, 1)), RangeError, /reduce: 'out' holds 3 elements, expected 2/],
    ['reduce without out', () => native.reduce(SUM, null, null, f32(4), layout(1, 0, 4, 1, 1)), TypeError, /reduce: 'out' is required/],
    ['matmul int operands', () => native.matmul(f32(4), new Int32Array(4) as unknown as Float32Array, f32(4), layout(0, 2, 2, 2, 0, 0, 0, 2, 1, 2, 1), 1, 0), TypeError, /matmul: expected 'a' of dtype float32/],
    ['matmul out too small', () => native.matmul(f32(3), f32(4), f32(4), layout(0, 2, 2, 2, 0, 0, 0, 2, 1, 2, 1), 1, 0), RangeError, /matmul: 'out' is too small/],
    ['matmul a out of bounds', () => native.matmul(f32(4), f32(3), f32(4), layout(0, 2, 2, 2, 0, 0, 0, 2, 1, 2, 1), 1, 0), RangeError, /matmul: layout of 'a'/],
    ['gather index out of range', () => native.gather(f32(2), f32(3), Int32Array.from([0, 3]), layout(1, 0, 0, 0, 2, 1, 1, 1, 3), 0), RangeError, /gather: index 3 is out of bounds for dimension 0 with size 3/],
    ['gather negative index', () => native.gather(f32(2), f32(3), Int32Array.from([-1, 0]), layout(1, 0, 0, 0, 2, 1, 1, 1, 3), 0), RangeError, /index -1 is out of bounds/],
    ['gather float index', () => native.gather(f32(2), f32(3), f32(2) as unknown as Int32Array, layout(1, 0, 0, 0, 2, 1, 1, 1, 3), 0), TypeError, /gather: expected 'index' of dtype int32/],
    ['gather dim out of range', () => native.gather(f32(2), f32(3), new Int32Array(2), layout(1, 0, 0, 0, 2, 1, 1, 1, 3), 3), RangeError, /gather: expected an integer in \[0, 0\] for 'dim'/],
    ['rng state too short', () => native.rngUniform(new Uint32Array(10), f32(2), 0, 2, 0, 1), RangeError, /rngUniform: expected 'state' to hold at least 630/],
    ['rng state wrong type', () => native.rngUniform(new Int32Array(630) as unknown as Uint32Array, f32(2), 0, 2, 0, 1), TypeError, /rngUniform: expected a Uint32Array for 'state'/],
    ['rng run past the end', () => native.rngUniform(new Uint32Array(630), f32(2), 1, 2, 0, 1), RangeError, /rngUniform: expected an integer in \[0, 1\] for 'n'/],
    ['randint empty range', () => native.rngRandint(new Uint32Array(630), new Int32Array(2), 0, 2, 3, 3), RangeError, /expected low < high/],
    ['setNumThreads zero', () => native.setNumThreads(0), RangeError, /setNumThreads: expected an integer in \[1, \d+\]/],
    ['softmax kind out of range', () => native.softmax(7, f32(4), f32(4), 1, 4, 1), RangeError, /softmax: expected an integer in \[0, 2\] for 'kind'/],
    ['softmax sizes past x', () => native.softmax(0, f32(4), f32(8), 2, 4, 1), RangeError, /softmax: 'x' holds 4 elements, expected 8/],
    ['softmax int input', () => native.softmax(0, new Int32Array(4) as unknown as Float32Array, f32(4), 1, 4, 1), TypeError, /softmax: expected 'x' of dtype float32 or float64/],
    ['softmax mixed dtypes', () => native.softmax(0, f32(4), new Float64Array(4), 1, 4, 1), TypeError, /softmax: expected 'out' of dtype float32/],
    ['softmax huge sizes', () => native.softmax(0, f32(4), f32(4), 2 ** 30, 2 ** 30, 1), RangeError, /softmax: the sizes' product exceeds 2\^53/],
    ['logsumexp backward without r', () => native.softmaxBackward(2, f32(1), f32(4), null, f32(4), 1, 4, 1), TypeError, /softmaxBackward: expected a Float32Array/],
    ['softmaxHeadMean short mean', () => native.softmaxHeadMean(f32(24), f32(7), 2, 3, 1, 4), RangeError, /softmaxHeadMean: 'mean' holds 7 elements, expected 8/],
    ['softmaxHeadMean short x', () => native.softmaxHeadMean(f32(20), f32(8), 2, 3, 1, 4), RangeError, /softmaxHeadMean: 'x' holds 20 elements, expected 24/],
    ['softmaxHeadMean no heads', () => native.softmaxHeadMean(f32(0), f32(8), 2, 0, 1, 4), RangeError, /softmaxHeadMean: 'heads' must be at least 1/],
    ['softmaxHeadMean mean over x', () => { const x = f32(32); native.softmaxHeadMean(x, x.subarray(24), 2, 3, 1, 4); }, RangeError, /softmaxHeadMean: 'mean' must not overlap 'x'/],
    ['softmaxHeadMean mixed dtypes', () => native.softmaxHeadMean(f32(24), new Float64Array(8) as unknown as Float32Array, 2, 3, 1, 4), TypeError, /softmaxHeadMean: expected 'mean' of dtype float32/],
    ['softmaxHeadMean int x', () => native.softmaxHeadMean(new Int32Array(24) as unknown as Float32Array, f32(8), 2, 3, 1, 4), TypeError, /softmaxHeadMean: expected 'x' of dtype float32 or float64/],
    ['layerNorm short weight', () => native.layerNorm(f32(8), f32(3), null, f32(8), f32(2), f32(2), 2, 4, 1e-5), RangeError, /layerNorm: 'weight' holds 3 elements, expected 4/],
    ['layerNormBackward short gw', () => native.layerNormBackward(f32(8), f32(8), f32(2), f32(2), null, null, f32(1), null, 2, 4), RangeError, /layerNormBackward: 'gw' holds 1 elements, expected 4/],
    ['classLoss float target', () => native.classLoss(f32(6), f32(2) as unknown as Int32Array, null, f32(1), f32(4), new Float64Array(1), 2, 3, -100, 0, 0, 1), TypeError, /classLoss: expected 'target' of dtype int32/],
    ['classLoss short target', () => native.classLoss(f32(6), new Int32Array(1), null, f32(1), f32(4), new Float64Array(1), 2, 3, -100, 0, 0, 1), RangeError, /classLoss: 'target' holds 1 elements, expected 2/],
    ['classLoss smoothing out of range', () => native.classLoss(f32(6), new Int32Array(2), null, f32(1), f32(4), new Float64Array(1), 2, 3, -100, 2, 0, 1), RangeError, /classLoss: smoothing must be in \[0, 1\]/],
    ['classLoss without stats for logits', () => native.classLoss(f32(6), new Int32Array(2), null, f32(1), null, new Float64Array(1), 2, 3, -100, 0, 0, 1), TypeError, /classLoss: 'stats' is required/],
    ['classLossBackward target out of range', () => native.classLossBackward(f32(6), Int32Array.from([0, 3]), null, f32(4), f32(1), f32(6), 2, 2, 3, -100, 0, 0, 1), RangeError, /classLossBackward: a target is out of range/],
  ] as const)('%s', (_name, call, type, message) => {
    expectError(call, type.name as 'TypeError' | 'RangeError', message);
  });

  test('classLoss reports the row of a target out of range and computes nothing', () => {
    const loss = Float32Array.of(7);
    expect(native.classLoss(f32(6), Int32Array.from([0, 3]), null, loss, f32(4), new Float64Array(1), 2, 3, -100, 0, 0, 1)).toBe(1);
    expect(native.classLoss(f32(6), Int32Array.from([-100, -1]), null, loss, f32(4), new Float64Array(1), 2, 3, -100, 0, 0, 1)).toBe(1);
    expect(loss[0]).toBe(7);
  });

  test('reports the op lists and state size it was built with', () => {
    expect(native.opNames.binary).toContain('add');
    expect(native.opNames.unary).toContain('sigmoid');
    expect(native.opNames.reduce).toEqual(['sum', 'prod', 'max', 'min', 'argmax', 'argmin']);
    expect(native.rngStateWords).toBe(630);
  });
});

/**
 * The addon as it is built: the NativeBinding interface with float64 storage allowed wherever it takes a typed array
 * for data, plus the exports it does not describe yet.
 */
type WidenArg<A> = A extends Float32Array | Int32Array | Uint8Array ? A | Float64Array : A;
type Widened<T> = {
  [K in keyof T]: T[K] extends (...args: infer P) => infer R ? (...args: { [I in keyof P]: WidenArg<P[I]> }) => R : T[K];
};
type Float64Surface = Widened<NativeBinding> & {
  readonly opNames: { readonly conv: readonly string[]; readonly pool: readonly string[] };
  readonly dtypes: readonly { readonly name: string; readonly size: number; readonly code: number }[];
};
const raw = native as unknown as Float64Surface;
const f64 = (...v: number[]): Float64Array => Float64Array.from(v);
const op = (kind: 'binary' | 'unary' | 'reduce' | 'conv' | 'pool', name: string): number => raw.opNames[kind].indexOf(name);

describe('native binding, float64', () => {
  test('exports its dtype table and the conv and pool kinds by name', () => {
    expect(raw.dtypes).toEqual([
      { name: 'float32', size: 4, code: 0 },
      { name: 'int32', size: 4, code: 1 },
      { name: 'bool', size: 1, code: 2 },
      { name: 'float64', size: 8, code: 3 },
    ]);
    expect(raw.opNames.conv).toEqual(['forward', 'backward_input', 'backward_weight']);
    expect(raw.opNames.pool).toEqual(['max', 'avg', 'avg_backward', 'adaptive_avg', 'adaptive_max', 'adaptive_avg_backward', 'max_backward']);
  });

  test('elementwise ops compute in double', () => {
    // out[2, 3] = a[2, 1] (expanded) * b[3] (expanded): JS numbers are doubles, so the products must match exactly.
    const a = f64(0.1, 1 / 3), b = f64(3, 1e-300, -7.25), out = new Float64Array(6);
    raw.binary(op('binary', 'mul'), out, a, b, layout(2, 0, 0, 0, 2, 3, 3, 1, 1, 0, 0, 1));
    expect(Array.from(out)).toEqual([0.1 * 3, 0.1 * 1e-300, 0.1 * -7.25, (1 / 3) * 3, (1 / 3) * 1e-300, (1 / 3) * -7.25]);
    raw.binary(op('binary', 'add'), out, a, b, layout(2, 0, 0, 0, 2, 3, 3, 1, 1, 0, 0, 1), 2);
    expect(out[0]).toBe(0.1 + 2 * 3);
    const lt = new Uint8Array(2);
    raw.binary(op('binary', 'lt'), lt, f64(1, 2), f64(1 + 2 ** -52, 2), layout(1, 0, 0, 0, 2, 1, 1, 1));
    expect(Array.from(lt)).toEqual([1, 0]);
    raw.unary(op('unary', 'sqrt'), out, f64(2, 1e-310, 4, 9, 16, 25), layout(1, 0, 0, 6, 1, 1), 0, 0);
    expect(Array.from(out)).toEqual([Math.SQRT2, Math.sqrt(1e-310), 2, 3, 4, 5]);
    raw.unary(op('unary', 'clamp'), out, f64(-1, 0.5, 1e300, NaN, 2, 3), layout(1, 0, 0, 6, 1, 1), 0.25, 2.5);
    expect(Array.from(out)).toEqual([0.25, 0.5, 2.5, NaN, 2, 2.5]);
    raw.where(out, Uint8Array.from([1, 0]), f64(Math.PI), f64(Math.E), layout(1, 0, 0, 0, 0, 2, 1, 1, 0, 0));
    expect(Array.from(out.subarray(0, 2))).toEqual([Math.PI, Math.E]);
  });

  test('copy converts between float64 and the other dtypes', () => {
    const d = f64(1 + 2 ** -40, -2.75, 3e9, NaN);
    const f = new Float32Array(4), i = new Int32Array(4), back = new Float64Array(4);
    raw.copy(f, d, layout(1, 0, 0, 4, 1, 1));
    expect(Array.from(f)).toEqual([1, -2.75, 3e9, NaN].map(Math.fround));
    raw.copy(i, d, layout(1, 0, 0, 4, 1, 1));
    expect(Array.from(i)).toEqual([1, -2, 2147483647, 0]);
    raw.copy(back, i, layout(1, 0, 0, 4, 1, 1));
    expect(Array.from(back)).toEqual([1, -2, 2147483647, 0]);
    raw.copy(back, d, layout(1, 0, 0, 4, 1, 1));
    expect(Array.from(back)).toEqual(Array.from(d));
  });

  test('reductions, gather and scatterAdd take float64', () => {
    const out = new Float64Array(2), idx = new Int32Array(2);
    const x = f64(1, 2 ** -60, 3, -4, 5, 2 ** 60);
    raw.reduce(op('reduce', 'sum'), out, null, x, layout(2, 0, 2, 3, 3, 1, 0, 1));
    expect(Array.from(out)).toEqual([4 + 2 ** -60, 2 ** 60]);
    raw.reduce(op('reduce', 'max'), out, idx, x, layout(2, 0, 2, 3, 3, 1, 0, 1));
    expect(Array.from(out)).toEqual([3, 2 ** 60]);
    expect(Array.from(idx)).toEqual([2, 2]);
    const g = new Float64Array(2);
    raw.gather(g, f64(0.5, 1.5, 2.5), Int32Array.from([2, 0]), layout(1, 0, 0, 0, 2, 1, 1, 1, 3), 0);
    expect(Array.from(g)).toEqual([2.5, 0.5]);
    const acc = f64(0.25, 0.25, 0.25);
    raw.scatterAdd(acc, f64(1e-20, 2), Int32Array.from([1, 1]), layout(1, 0, 0, 0, 2, 1, 1, 1, 3), 0);
    expect(Array.from(acc)).toEqual([0.25, 0.25 + 1e-20 + 2, 0.25]);
  });

  test('matmul takes float64 operands, transposed ones as BLAS flags', () => {
    // a [2, 3] @ b [3, 2], b read transposed from a [2, 3] buffer.
    const a = f64(1, 2, 3, 4, 5, 6), bt = f64(0.5, -1, 2, 3, 0.25, -0.125), out = new Float64Array(4);
    expect(raw.matmul(out, a, bt, layout(0, 2, 2, 3, 0, 0, 0, 3, 1, 1, 3), 1, 0)).toBe(0);
    const want = [0, 1, 2, 3].map((o) => {
      const i = Math.floor(o / 2), j = o % 2;
      return a[i * 3]! * bt[j * 3]! + a[i * 3 + 1]! * bt[j * 3 + 1]! + a[i * 3 + 2]! * bt[j * 3 + 2]!;
    });
    expect(Array.from(out)).toEqual(want);
  });

  test('conv2d and pool2d take float64', () => {
    // A 1x1x3x3 image and a 1x1x2x2 filter: each output is the sum over its 2x2 window.
    const x = f64(1, 2, 3, 4, 5, 6, 7, 8, 9), w = f64(0.5, -1, 0.25, 2), y = new Float64Array(4);
    const geometry = layout(1, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0, 1, 1, 1, 2, 2);
    raw.conv2d(op('conv', 'forward'), x, w, y, geometry, f64(0.125));
    const at = (i: number, j: number): number => 0.5 * x[i * 3 + j]! - x[i * 3 + j + 1]! + 0.25 * x[i * 3 + j + 3]! + 2 * x[i * 3 + j + 4]! + 0.125;
    expect(Array.from(y)).toEqual([at(0, 0), at(0, 1), at(1, 0), at(1, 1)]);
    const gw = new Float64Array(4);
    raw.conv2d(op('conv', 'backward_weight'), x, f64(1, 0, 0, 0), gw, geometry);
    expect(Array.from(gw)).toEqual([1, 2, 4, 5]);
    const pooled = new Float64Array(1), idx = new Int32Array(1);
    raw.pool2d(op('pool', 'max'), f64(1, 2 ** -30, 1 + 2 ** -50, 0), pooled, idx, layout(1, 2, 2, 1, 1, 2, 2, 2, 2, 0, 0, 1, 1, 1, 0));
    expect(pooled[0]).toBe(1 + 2 ** -50);
    expect(idx[0]).toBe(2);
  });

  test('adamStep updates float64 parameters', () => {
    const p = f64(1, -2), g = f64(0.5, 0.25), m = new Float64Array(2), v = new Float64Array(2);
    raw.adamStep(p, g, m, v, null, 2, 0.1, 0.9, 0.999, 1e-8, 0, 1, 0);
    // torch.optim.Adam's first step in double (its lerp from zero has no rounding to fuse).
    const want = [1, -2].map((p0, i) => {
      const gi = [0.5, 0.25][i]!;
      const mi = (1 - 0.9) * gi, vi = ((1 - 0.999) * gi) * gi;
      return p0 + (-(0.1 / (1 - 0.9)) * mi) / (Math.sqrt(vi) / Math.sqrt(1 - 0.999) + 1e-8);
    });
    expect(Array.from(p)).toEqual(want);
    expect(Array.from(m)).toEqual([(1 - 0.9) * 0.5, (1 - 0.9) * 0.25]);
  });

  test('random streams match PyTorch\'s float64 draws', () => {
    const state = new Uint32Array(native.rngStateWords);
    const out = new Float64Array(7);
    raw.rngSeed(state, 0, 0);
    raw.rngUniform(state, out, 1, 5, 0, 1);
    // torch.manual_seed(0); torch.rand(5, dtype=torch.float64)
    expect(Array.from(out)).toEqual([0, 0.9700530018065531, 0.707819864399788, 0.45938294312745087, 0.9207476841219603, 0.6450241201227648, 0]);
    raw.rngSeed(state, 0, 0);
    raw.rngNormal(state, out, 0, 3, 0, 1);
    // torch.manual_seed(0); torch.randn(3, dtype=torch.float64)
    expect(Array.from(out.subarray(0, 3))).toEqual([1.5409961082440433, -0.2934289057609464, -2.1787893820745574]);
    const n17 = new Float64Array(17);
    raw.rngSeed(state, 0, 0);
    raw.rngNormal(state, n17, 0, 17, 1, 2);
    // torch.manual_seed(0); torch.empty(17, dtype=torch.float64).normal_(1, 2)[-3:]
    expect(Array.from(n17.subarray(14))).toEqual([0.10316839057709781, -0.7820060703414751, 2.3497150871880077]);
    const coin = new Float64Array(20);
    raw.rngSeed(state, 0, 0);
    raw.rngBernoulli(state, coin, 0, 20, 0.3);
    // torch.manual_seed(0); torch.empty(20, dtype=torch.float64).bernoulli_(0.3)
    expect(Array.from(coin)).toEqual([0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0]);
  });

  test.each([
    ['matmul mixed dtypes', () => raw.matmul(new Float64Array(4), f32(4), f32(4), layout(0, 2, 2, 2, 0, 0, 0, 2, 1, 2, 1), 1, 0), TypeError, /matmul: expected 'a' of dtype float64 but received float32/],
    ['matmul int32', () => raw.matmul(new Int32Array(4) as unknown as Float32Array, f32(4), f32(4), layout(0, 2, 2, 2, 0, 0, 0, 2, 1, 2, 1), 1, 0), TypeError, /matmul: expected 'out' of dtype float32 or float64 but received int32/],
    ['conv2d mixed weight', () => raw.conv2d(0, new Float64Array(9), f32(4), new Float64Array(4), layout(1, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0, 1, 1, 1, 2, 2)), TypeError, /conv2d: expected 'weight' of dtype float64 but received float32/],
    ['conv2d mixed bias', () => raw.conv2d(0, new Float64Array(9), new Float64Array(4), new Float64Array(4), layout(1, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0, 1, 1, 1, 2, 2), f32(1)), TypeError, /conv2d: expected 'bias' of dtype float64 but received float32/],
    ['conv2d int32 input', () => raw.conv2d(2, new Int32Array(9) as unknown as Float32Array, f32(4), f32(4), layout(1, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0, 1, 1, 1, 2, 2)), TypeError, /conv2d: expected 'x' of dtype float32 or float64 but received int32/],
    ['conv2d kind out of range', () => raw.conv2d(3, f32(9), f32(4), f32(4), layout()), RangeError, /conv2d: expected an integer in \[0, 2\] for 'kind'/],
    ['pool2d mixed dtypes', () => raw.pool2d(1, new Float64Array(4), f32(1), null, layout(1, 2, 2, 1, 1, 2, 2, 2, 2, 0, 0, 1, 1, 1, 0)), TypeError, /pool2d: expected 'out' of dtype float64 but received float32/],
    ['pool2d kind out of range', () => raw.pool2d(7, f32(4), f32(1), null, layout()), RangeError, /pool2d: expected an integer in \[0, 6\] for 'kind'/],
    ['adamStep mixed dtypes', () => raw.adamStep(new Float64Array(2), f32(2), new Float64Array(2), new Float64Array(2), null, 2, 0.1, 0.9, 0.999, 1e-8, 0, 1, 0), TypeError, /adamStep: expected 'g' of dtype float64 but received float32/],
    ['adamStep vmax dtype', () => raw.adamStep(new Float64Array(2), new Float64Array(2), new Float64Array(2), new Float64Array(2), f32(2), 2, 0.1, 0.9, 0.999, 1e-8, 0, 1, 1), TypeError, /adamStep: expected 'vmax' of dtype float64 but received float32/],
    ['rngNormal int32 output', () => raw.rngNormal(new Uint32Array(630), new Int32Array(2) as unknown as Float32Array, 0, 2, 0, 1), TypeError, /rngNormal: expected 'out' of dtype float32 or float64 but received int32/],
    ['rngRandint float64 output', () => native.rngRandint(new Uint32Array(630), new Float64Array(2) as unknown as Int32Array, 0, 2, 0, 3), TypeError, /rngRandint: expected 'out' of dtype int32 but received float64/],
    ['float64 run past the end', () => raw.rngBernoulli(new Uint32Array(630), new Float64Array(2), 1, 2, 0.5), RangeError, /rngBernoulli: expected an integer in \[0, 1\] for 'n'/],
  ] as const)('%s', (_name, call, type, message) => {
    expectError(call, type.name as 'TypeError' | 'RangeError', message);
  });
});
