/** The addon validates every argument: wrong input from JS is a TypeError/RangeError naming the function. */
import { native } from '../../lib/backend/native/binding';
import { expectError } from '../helpers/errors';

const f32 = (n: number): Float32Array => new Float32Array(n);
const layout = (...v: number[]): Int32Array => Int32Array.from(v);
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
    ['plain array instead of typed array', () => native.binary(ADD, [1, 2] as unknown as Float32Array, f32(2), f32(2), layout()), TypeError, /binary: expected a Float32Array, Int32Array or Uint8Array for 'out' but received an array/],
    ['Float64Array', () => native.binary(ADD, new Float64Array(2) as unknown as Float32Array, f32(2), f32(2), layout()), TypeError, /received a Float64Array/],
    ['missing layout', () => (native.binary as unknown as (...a: unknown[]) => void)(ADD, f32(2), f32(2), f32(2)), TypeError, /binary: expected an Int32Array for 'layout' but received undefined/],
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
    ['setNumThreads zero', () => native.setNumThreads(0), RangeError, /setNumThreads: expected an integer in \[1, 1024\]/],
  ] as const)('%s', (_name, call, type, message) => {
    expectError(call, type.name as 'TypeError' | 'RangeError', message);
  });

  test('reports the op lists and state size it was built with', () => {
    expect(native.opNames.binary).toContain('add');
    expect(native.opNames.unary).toContain('sigmoid');
    expect(native.opNames.reduce).toEqual(['sum', 'prod', 'max', 'min', 'argmax', 'argmin']);
    expect(native.rngStateWords).toBe(630);
  });
});
