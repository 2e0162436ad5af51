/**
 * Argument checks of the creation, indexing, movement and reduction ops: PyTorch's messages where PyTorch has them
 * (test/fixtures/arg_errors_ops.json, from scripts/gen_arg_error_ops_fixtures.py), each prefixed with the op's
 * name; and, for the values the API fuzzer (test/fuzz) found reaching JS internals or the addon, an error that
 * names the op, the argument and what it expected.
 */
import * as torch from '../../lib';
import { expectError } from '../helpers/errors';
import { loadFixture } from '../helpers/fixtures';

const fx = loadFixture<never>('arg_errors_ops.json') as unknown as { errors: Record<string, string> };

/** PyTorch's message after torchlet's 'op: ' prefix, as a pattern (anything may follow when `open`). */
function pt(key: string, open = false): RegExp {
  const escaped = fx.errors[key]!.replace(/[[\]().*+?^$|{}\\]/g, '\\$&');
  return new RegExp(`^\\w+: ${escaped}${open ? '' : '$'}`);
}

describe("PyTorch's messages", () => {
  test.each([
    ['sumToSizeNotExpandable', () => torch.zeros(2, 3).sumToSize(3, 3), false],
    ['sumToSizeTooLong', () => torch.zeros(2, 3).sumToSize(1, 2, 3), false],
    ['arangeInfinite', () => torch.arange(0, Infinity), false],
    ['chunkZero', () => torch.zeros(4).chunk(0), false],
    ['splitNegative', () => torch.zeros(4).split(-1), false],
  ] as const)('%s', (key, fn, open) => {
    expectError(fn, 'RangeError', pt(key, open));
  });
});

/** Values that used to reach V8 ("x.dim is not a function", "dims is not iterable") or the addon. */
describe('wrong kinds of value name the op and the argument', () => {
  const x = torch.zeros(2, 3);
  const bare = Object.create(null) as never;
  const sym = Symbol('s') as never;
  test.each([
    // creation
    ['zerosLike null options', () => torch.zerosLike(x, null as never), 'TypeError', /^zerosLike: expected an options object for 'options' but received null$/],
    ['onesLike', () => torch.onesLike(null as never), 'TypeError', /^onesLike: expected a Tensor for 'input' but received null$/],
    ['emptyLike requiresGrad', () => torch.emptyLike(x, { requiresGrad: 1 as never }), 'TypeError', /^emptyLike: expected a boolean for 'requiresGrad' but received the number 1$/],
    ['fullLike value', () => torch.fullLike(x, bare), 'TypeError', /^fullLike: expected a number or a boolean for 'fillValue' but received an object$/],
    ['full shape', () => torch.full(3 as never, 1), 'TypeError', /^full: expected a shape \(an array of integers\) but received the number 3$/],
    ['tensor null options', () => torch.tensor([1], null as never), 'TypeError', /^tensor: expected an options object for 'options' but received null$/],
    ['arange symbol', () => torch.arange(Infinity, sym), 'TypeError', /^arange: expected a number for 'end' but received a Symbol$/],
    ['linspace symbol', () => torch.linspace(sym, 1, 3), 'TypeError', /^linspace: expected a number for 'start' but received a Symbol$/],
    ['linspace steps', () => torch.linspace(0, 1, '3' as never), 'TypeError', /^linspace: expected an integer for 'steps' but received the string "3"$/],
    // movement
    ['torch.t', () => torch.t(3 as never), 'TypeError', /^t: expected a Tensor for 'input' but received the number 3$/],
    ['torch.squeeze', () => torch.squeeze([1] as never), 'TypeError', /^squeeze: expected a Tensor for 'input' but received an array of length 1$/],
    ['torch.unsqueeze', () => torch.unsqueeze(null as never, 0), 'TypeError', /^unsqueeze: expected a Tensor for 'input' but received null$/],
    ['torch.narrow', () => torch.narrow(undefined as never, 0, 0, 1), 'TypeError', /^narrow: expected a Tensor for 'input' but received undefined$/],
    ['narrow start', () => x.narrow(0, sym, 1), 'TypeError', /^narrow: expected an integer for 'start' but received a Symbol$/],
    ['torch.select', () => torch.select(bare, 0, 0), 'TypeError', /^select: expected a Tensor for 'input' but received an object$/],
    ['select index', () => x.select(0, '1' as never), 'TypeError', /^select: expected an integer for 'index' but received the string "1"$/],
    ['split splitSize', () => x.split(bare), 'TypeError', /^split: expected an integer or an array of integers for 'splitSize' but received an object$/],
    ['split sizes', () => torch.split(x, [1, sym]), 'TypeError', /^split: expected integers or one array of integers but received a Symbol$/],
    ['chunk chunks', () => x.chunk(sym), 'TypeError', /^chunk: expected an integer for 'chunks' but received a Symbol$/],
    ['torch.chunk', () => torch.chunk(2 as never, 2), 'TypeError', /^chunk: expected a Tensor for 'input' but received the number 2$/],
    ['unflatten sizes', () => x.unflatten(1, 3 as never), 'TypeError', /^unflatten: expected an array of integers for 'sizes' but received the number 3$/],
    ['viewAs', () => x.viewAs(undefined as never), 'TypeError', /^viewAs: expected a Tensor for 'other' but received undefined$/],
    ['reshapeAs', () => x.reshapeAs([6] as never), 'TypeError', /^reshapeAs: expected a Tensor for 'other' but received an array of length 1$/],
    ['expandAs', () => x.expandAs(null as never), 'TypeError', /^expandAs: expected a Tensor for 'other' but received null$/],
    ['broadcastTo', () => torch.broadcastTo(x, undefined as never), 'TypeError', /^broadcastTo: expected a shape \(an array of integers\) but received undefined$/],
    ['index spec', () => x.index(bare), 'TypeError', /^index: expected a number, a slice string, null, "\.\.\." or an int32 Tensor for an index but received an object$/],
    ['broadcastTo names itself', () => torch.broadcastTo(x, [3, 3]), 'RangeError', /^broadcastTo: The expanded size of the tensor \(3\) must match the existing size \(2\) at non-singleton dimension 0\./],
    ['empty allocation names the op', () => torch.empty(2 ** 40), 'RangeError', /^empty: cannot allocate a float32 tensor of shape \[1099511627776\]/],
    ['unbind dim', () => torch.tensor(1).unbind(sym), 'TypeError', /^unbind: expected an integer for 'dim' but received a Symbol$/],
    // reduce
    ['sum dim', () => x.sum(bare), 'TypeError', /^sum: expected an integer or an array of integers for 'dim' but received an object$/],
    ['torch.sum dim', () => torch.sum(x, 'a' as never), 'TypeError', /^sum: expected an integer or an array of integers for 'dim' but received the string "a"$/],
    ['mean keepDim', () => x.mean(0, 1 as never), 'TypeError', /^mean: expected a boolean for 'keepDim' but received the number 1$/],
    ['prod dim', () => x.prod([0] as never), 'TypeError', /^prod: expected an integer for 'dim' but received an array of length 1$/],
    ['amax dim', () => torch.amax(x, sym), 'TypeError', /^amax: expected an integer or an array of integers for 'dim' but received a Symbol$/],
    ['amin keepDim', () => x.amin(0, 'yes' as never), 'TypeError', /^amin: expected a boolean for 'keepDim' but received the string "yes"$/],
    ['argmax dim', () => x.argmax([0] as never), 'TypeError', /^argmax: expected an integer for 'dim' but received an array of length 1$/],
    ['torch.argmin', () => torch.argmin(null as never), 'TypeError', /^argmin: expected a Tensor for 'input' but received null$/],
    // An object in unbiased's place is var's keyword arguments ({ correction, unbiased, keepDim }).
    ['var unbiased', () => x.var(0, 'yes' as never), 'TypeError', /^var: expected a boolean for 'unbiased' but received the string "yes"$/],
    ['var options', () => x.var(0, [1] as never), 'TypeError', /^var: expected an options object for 'options' but received an array of length 1$/],
    ['std dim', () => torch.std(x, bare), 'TypeError', /^std: expected an integer or an array of integers for 'dim' but received an object$/],
    ['logsumexp dim', () => x.logsumexp(bare), 'TypeError', /^logsumexp: expected an integer or an array of integers for 'dim' but received an object$/],
    ['torch.max', () => torch.max(3 as never, x), 'TypeError', /^max: expected a Tensor for 'input' but received the number 3$/],
    ['torch.min dim', () => torch.min(x, '0' as never), 'TypeError', /^min: expected an integer or a Tensor for 'dim' but received the string "0"$/],
    ['max keepDim', () => x.max(0, 0 as never), 'TypeError', /^max: expected a boolean for 'keepDim' but received the number 0$/],
  ] as const)('%s', (_label, fn, name, message) => {
    expectError(fn, name, message);
  });

  test('torch.amax and torch.amin take (input, dim, keepDim), as the methods', () => {
    const t = torch.tensor([[1, 5], [7, 2]]);
    // Independent values: the row maxima of [[1, 5], [7, 2]] are 5 and 7, the overall maximum 7, the minimum 1.
    expect(Array.from(torch.amax(t, 1).data)).toEqual([5, 7]);
    expect(torch.amax(t).item()).toBe(7);
    expect(torch.amin(t).item()).toBe(1);
    expect(torch.amax(t, 0, true).shape).toEqual([1, 2]);
  });
});

describe('cuts into more pieces than a list can hold are refused before any piece is made', () => {
  // Found by the API fuzzer (seed 7, call 40541): tensorSplit(x, 2^40) grew a JS array until V8 aborted the process.
  test('tensorSplit, split, chunk and unbind name themselves and the count', () => {
    const long = torch.ones(1).expand(2 ** 25);
    expectError(() => torch.tensorSplit(torch.ones(3), 2 ** 40), 'RangeError', /^tensorSplit: the result would hold 1099511627776 tensors/);
    expectError(() => long.split(1), 'RangeError', /^split: the result would hold 33554432 tensors/);
    expectError(() => torch.chunk(torch.zeros(0), 2 ** 30), 'RangeError', /^chunk: the result would hold 1073741824 tensors/);
    expectError(() => long.unbind(), 'RangeError', /^unbind: the result would hold 33554432 tensors/);
    expect(torch.ones(1).expand(1000).split(1)).toHaveLength(1000);
  });
});

describe('an allocation the process cannot make names the op and the size', () => {
  test('pointwise, reductions, products, copies and convolution', () => {
    const huge = torch.ones(1).expand(2 ** 40);
    const tooBig = (elements: number, bytes: number): string => `\\(${elements} elements, ${bytes} bytes: more than this process can allocate\\)`;
    expectError(() => huge.add(1), 'RangeError', new RegExp(`^add: cannot allocate a float32 tensor of shape \\[1099511627776\\] ${tooBig(2 ** 40, 2 ** 42)}`));
    expectError(() => huge.exp(), 'RangeError', /^exp: cannot allocate/);
    expectError(() => huge.clone(), 'RangeError', /^clone: cannot allocate/);
    expectError(() => huge.double(), 'RangeError', /^to: cannot allocate a float64 tensor/);
    expectError(() => torch.ones(1, 1).expand(2 ** 20, 1).matmul(torch.ones(1, 1).expand(1, 2 ** 20)), 'RangeError', /^mm: cannot allocate a float32 tensor of shape \[1048576, 1048576\]/);
    expectError(() => torch.ones(1, 1).expand(2 ** 40, 1).sum(1), 'RangeError', /^sum: cannot allocate/);
  });
});
