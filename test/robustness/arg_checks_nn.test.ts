/**
 * Argument checks of nn.functional, the convolution and pooling ops, the convolution layers, Embedding and
 * nn.Module's methods, for the values the API fuzzer (test/fuzz) found reaching JS internals or the addon: each error
 * names the entry point, the argument and what it expected, in PyTorch's words where PyTorch has them (checked
 * against PyTorch 1.13.1: "buffer name should be a string. Got int", "Expected state_dict to be dict-like",
 * "running_mean should contain 3 elements not 2", "'weight' must be 2-D").
 */
import * as torch from '../../lib';
import { expectError } from '../helpers/errors';

const { nn } = torch;
const F = nn.functional;
// The fuzzer's values: what a caller's bug passes where a Tensor, a number or an array belongs.
const sym = Symbol('s') as unknown;
const big = 3n as unknown;
const obj = {} as unknown;
const x4 = (): torch.Tensor => torch.ones(1, 2, 4, 4);
type Any = never;

describe('nn.functional checks its tensors before using them', () => {
  test.each([
    ['elu', () => F.elu(obj as Any)],
    ['gelu', () => F.gelu(obj as Any)],
    ['silu', () => F.silu(obj as Any)],
    ['softplus', () => F.softplus(obj as Any)],
    ['softmax', () => F.softmax(undefined as Any, 0)],
    ['logSoftmax', () => F.logSoftmax(undefined as Any, 0)],
    ['relu', () => F.relu([1, 2] as Any)],
  ])('%s', (op, f) => expectError(f, 'TypeError', new RegExp(`^${op}: expected a Tensor for 'input' but received `)));

  test("a module's forward inherits its function's check", () => {
    expectError(() => new nn.ELU().forward(obj as Any), 'TypeError', /^elu: expected a Tensor for 'input' but received an object$/);
    expectError(() => new nn.Softmax(0).forward(3 as Any), 'TypeError', /^softmax: expected a Tensor for 'input' but received the number 3$/);
    expectError(() => new nn.LogSoftmax(1).forward(undefined as Any), 'TypeError', /^logSoftmax: expected a Tensor for 'input' but received undefined$/);
    expectError(() => new nn.GELU().forward('x' as Any), 'TypeError', /^gelu: expected a Tensor for 'input'/);
  });

  test('scalar arguments', () => {
    expectError(() => F.dropout(torch.ones(2), obj as Any), 'TypeError', /^dropout: expected a number for 'p' but received an object$/);
    expectError(() => F.dropout(torch.ones(2), 0.5, 1 as Any), 'TypeError', /^dropout: expected a boolean for 'training' but received the number 1$/);
    expectError(() => F.dropout(torch.ones(2), 0.5, true, [] as Any), 'TypeError', /^dropout: expected an options object for 'options'/);
    expectError(() => F.dropout2d(torch.ones(1, 2, 2, 2), sym as Any), 'TypeError', /^dropout2d: expected a number for 'p' but received /);
    expectError(() => F.dropout2d(torch.ones(1, 2, 2, 2), NaN), 'RangeError', /^dropout2d: dropout probability has to be between 0 and 1, but got NaN$/);
    expectError(() => F.elu(torch.ones(2), big as Any), 'TypeError', /^elu: expected a number for 'alpha' but received the bigint 3$/);
    expectError(() => F.softplus(torch.ones(2), 1, obj as Any), 'TypeError', /^softplus: expected a number for 'threshold'/);
    expectError(() => F.groupNorm(torch.ones(2, 4), obj as Any), 'TypeError', /^groupNorm: expected an integer for 'numGroups' but received an object$/);
    expectError(() => F.groupNorm(torch.ones(2, 4), 0), 'RangeError', /^groupNorm: expected an integer >= 1 for 'numGroups' but received the number 0$/);
  });

  test('dropout2d takes 3-D or 4-D input (a 0-dim one used to reach the generator with NaN)', () => {
    expectError(() => F.dropout2d(torch.tensor(1)), 'RangeError', /^dropout2d: expected a 3-D \(unbatched\) or 4-D \(batched\) input but received a float32 Tensor of shape \[\]$/);
    expect(F.dropout2d(torch.ones(2, 3, 3), 0.5, false).shape).toEqual([2, 3, 3]);
  });

  test('normalization', () => {
    expectError(() => F.layerNorm(torch.ones(2, 3), obj as Any), 'TypeError', /^layerNorm: expected a shape \(an array of integers\) but received an object$/);
    expectError(() => F.layerNorm(torch.ones(2, 3), [3], obj as Any), 'TypeError', /^layerNorm: expected a Tensor for 'weight' but received an object$/);
    // PyTorch takes one int for a one-element shape: normalized over the last dim, its mean is 0.
    expect(F.layerNorm(torch.tensor([[1, 2, 3]]), 3 as Any).sum().item()).toBeCloseTo(0, 6);
    expectError(() => F.batchNorm(torch.ones(2, 3), obj as Any, null, { training: true }), 'TypeError', /^batchNorm: expected a Tensor for 'runningMean' but received an object$/);
    expectError(() => F.batchNorm(torch.ones(2, 3), torch.zeros(2), torch.ones(3)), 'RangeError', /^batchNorm: runningMean should contain 3 elements not 2$/);
    expectError(() => F.batchNorm(torch.ones(2, 3), null, null, { training: 'yes' as Any }), 'TypeError', /^batchNorm: expected a boolean for 'training'/);
    expectError(() => F.batchNorm(torch.ones(2, 3), null, null, null as Any), 'TypeError', /^batchNorm: expected an options object/);
  });

  test("integer input, in PyTorch's words", () => {
    const long = torch.ones([2, 4], { dtype: 'int32' });
    expectError(() => F.dropout(long), 'TypeError', /^dropout: result type Float can't be cast to the desired output type Long$/);
    expect(F.dropout(long, 0.5, false)).toBe(long);
    expectError(() => F.layerNorm(long, [4]), 'TypeError', /^layerNorm: "LayerNormKernelImpl" not implemented for 'Long'/);
    expectError(() => F.groupNorm(long, 2), 'TypeError', /^groupNorm: "GroupNormKernelImpl" not implemented for 'Long'/);
    expectError(() => F.batchNorm(long, null, null, { training: true }), 'TypeError', /^batchNorm: "batch_norm" not implemented for 'Long'/);
  });

  test('embedding wants a 2-D weight', () => {
    expectError(() => F.embedding(torch.tensor([0], { dtype: 'int32' }), torch.ones(3)), 'RangeError', /^embedding: 'weight' must be 2-D but received a float32 Tensor of shape \[3\]$/);
  });
});

describe('convolution and pooling sizes', () => {
  test('non-integers are TypeErrors naming the argument, never a JSON.stringify or iteration failure', () => {
    expectError(() => F.maxPool2d(x4(), big as Any), 'TypeError', /^maxPool2d: expected an integer or an array of 2 integers for 'kernelSize' but received the bigint 3$/);
    expectError(() => F.maxPool2d(x4(), [2, big] as Any), 'TypeError', /^maxPool2d: expected an integer for 'kernelSize\[1\]' but received the bigint 3$/);
    expectError(() => F.avgPool1d(torch.ones(1, 2, 4), 2, { stride: big as Any }), 'TypeError', /^avgPool1d: expected an integer or an array of 1 integer for 'stride'/);
    expectError(() => F.avgPool2d(x4(), 2, { ceilMode: 1 as Any }), 'TypeError', /^avgPool2d: expected a boolean for 'ceilMode'/);
    expectError(() => F.adaptiveAvgPool2d(x4(), obj as Any), 'TypeError', /^adaptiveAvgPool2d: expected an integer or an array of 2 integers \(or nulls\) for 'outputSize' but received an object$/);
    expectError(() => F.adaptiveMaxPool2d(x4(), undefined as Any), 'TypeError', /^adaptiveMaxPool2d: expected an integer or an array of 2 integers \(or nulls\) for 'outputSize' but received undefined$/);
    expectError(() => F.conv2d(x4(), torch.ones(1, 2, 2, 2), null, { stride: sym as Any }), 'TypeError', /^conv2d: expected an integer or an array of 2 integers for 'stride'/);
    expectError(() => F.conv1d(torch.ones(1, 2, 4), torch.ones(1, 2, 2), null, { groups: obj as Any }), 'TypeError', /^conv1d: expected an integer for 'groups' but received an object$/);
    expectError(() => F.pad(x4(), undefined as Any), 'TypeError', /^pad: expected an array of integers for 'pad' but received undefined$/);
    expectError(() => F.pad(x4(), [1, 1.5]), 'RangeError', /^pad: expected an integer for 'pad\[1\]' but received the number 1.5$/);
  });

  test('out-of-range integers are RangeErrors', () => {
    expectError(() => F.maxPool2d(x4(), 0), 'RangeError', /^maxPool2d: expected an integer >= 1 for 'kernelSize' but received the number 0$/);
    expectError(() => F.convTranspose2d(x4(), torch.ones(2, 1, 2, 2), null, { outputPadding: [-1, 0] }), 'RangeError', /^convTranspose2d: expected an integer >= 0 for 'outputPadding\[0\]'/);
    expectError(() => F.conv2d(x4(), torch.ones(1, 2, 2, 2), null, { groups: 0 }), 'RangeError', /^conv2d: non-positive groups is not supported$/);
    expectError(() => F.avgPool2d(x4(), 2, { divisorOverride: 0 }), 'RangeError', /^avgPool2d: divisor must be not zero$/);
  });

  test('null in an adaptive output size keeps the input size, as PyTorch\'s None', () => {
    expect(F.adaptiveAvgPool2d(x4(), [null, 2]).shape).toEqual([1, 2, 4, 2]);
  });
});

describe('layers check their constructor arguments', () => {
  test.each([
    ['Conv1d', () => new nn.Conv1d(2, 2, obj as Any), /^Conv1d: expected an integer or an array of 1 integer for 'kernelSize' but received an object$/, 'TypeError'],
    ['Conv1d', () => new nn.Conv1d(sym as Any, 2, 3), /^Conv1d: expected an integer for 'inChannels'/, 'TypeError'],
    ['Conv2d', () => new nn.Conv2d(2, 2, [3] as Any), /^Conv2d: expected an integer or an array of 2 integers for 'kernelSize' but received an array of length 1$/, 'TypeError'],
    ['Conv2d', () => new nn.Conv2d(2, 2, 3, null as Any), /^Conv2d: expected an options object/, 'TypeError'],
    ['Conv2d', () => new nn.Conv2d(2, 2, 3, { bias: 0 as Any }), /^Conv2d: expected a boolean for 'bias'/, 'TypeError'],
    ['ConvTranspose2d', () => new nn.ConvTranspose2d(2, 2, 3, { stride: big as Any }), /^ConvTranspose2d: expected an integer or an array of 2 integers for 'stride'/, 'TypeError'],
    ['ConvTranspose2d', () => new nn.ConvTranspose2d(2, 0, 3), /^ConvTranspose2d: expected an integer >= 1 for 'outChannels' but received the number 0$/, 'RangeError'],
    ['Embedding', () => new nn.Embedding(NaN, 3), /^Embedding: expected an integer >= 0 for 'numEmbeddings' but received the number NaN$/, 'RangeError'],
    ['Embedding', () => new nn.Embedding(4, obj as Any), /^Embedding: expected an integer for 'embeddingDim' but received an object$/, 'TypeError'],
  ] as const)('%s', (_name, f, pattern, kind) => expectError(f, kind, pattern));
});

describe("nn.Module's methods", () => {
  const m = (): torch.nn.Module => new nn.Linear(2, 3);

  test('registered names, in PyTorch\'s words', () => {
    expectError(() => m().registerBuffer(sym as Any, null), 'TypeError', /^registerBuffer: buffer name should be a string. Got /);
    expectError(() => m().registerBuffer('', null), 'RangeError', /^registerBuffer: buffer name can't be empty string ""$/);
    expectError(() => m().registerBuffer('a.b', null), 'RangeError', /^registerBuffer: buffer name can't contain "."/);
    expectError(() => m().registerParameter(big as Any, null), 'TypeError', /^registerParameter: parameter name should be a string. Got the bigint 3$/);
    expectError(() => m().registerBuffer('b', {} as Any), 'TypeError', /^registerBuffer: cannot assign 'Object' object to buffer 'b' \(torchlet.Tensor or null required\)$/);
    expectError(() => m().registerBuffer('b', null, 1 as Any), 'TypeError', /^registerBuffer: expected a boolean for 'persistent'/);
  });

  test('loadStateDict wants a Map or a plain object', () => {
    expectError(() => m().loadStateDict(null as Any), 'TypeError', /^loadStateDict: Expected state_dict to be dict-like \(a Map or a plain object\), got null\.$/);
    expectError(() => m().loadStateDict(m().stateDict(), 'no' as Any), 'TypeError', /^loadStateDict: expected a boolean for 'strict'/);
  });

  test('apply and namedModules check their arguments when called', () => {
    expectError(() => m().apply(obj as Any), 'TypeError', /^apply: expected a function for 'fn' but received an object$/);
    expectError(() => m().namedModules('', obj as Any), 'TypeError', /^namedModules: expected a Set for 'memo' but received an object$/);
    expectError(() => m().namedModules(3 as Any), 'TypeError', /^namedModules: expected a string for 'prefix' but received the number 3$/);
    expectError(() => m().namedParameters('', 'x' as Any), 'TypeError', /^namedParameters: expected a boolean for 'recurse'/);
    const seen = new Set<torch.nn.Module>();
    const model = new nn.Sequential(new nn.Linear(2, 2), new nn.ReLU());
    expect([...model.namedModules('net', seen)].map(([k]) => k)).toEqual(['net', 'net.0', 'net.1']);
    expect(seen.size).toBe(3);
  });

  test('the parameter and buffer walks are not methods (the fuzzer called the old private one with anything)', () => {
    expect((m() as unknown as Record<string, unknown>).namedMembers).toBeUndefined();
    expect(m().namedParameters().map(([k]) => k)).toEqual(['weight', 'bias']);
  });
});
