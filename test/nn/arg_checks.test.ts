/**
 * Argument checks of layers, initialisers, random draws and data loading: PyTorch's messages where PyTorch has
 * them (test/fixtures/arg_errors.json, from scripts/gen_arg_error_fixtures.py), each prefixed with the entry
 * point's name; and, for the values the API fuzzer (test/fuzz) found reaching JS internals, an error that names the
 * entry point, the argument and what it expected.
 */
import * as torch from '../../lib';
import { expectError } from '../helpers/errors';
import { loadFixture } from '../helpers/fixtures';

const { nn } = torch;
const fx = loadFixture<never>('arg_errors.json') as unknown as { errors: Record<string, string> };

/**
 * PyTorch's message without its Python exception class, as a pattern: after torchlet's 'op: ' prefix, or alone
 * when PyTorch's own message starts with the op ('bilinear(): ...').
 */
function pt(key: string): RegExp {
  const msg = fx.errors[key]!.replace(/^\w+: /, '');
  const escaped = msg.replace(/[[\]().*+?^$|{}\\]/g, '\\$&');
  return new RegExp(/^\w+\(\): /.test(msg) ? `^${escaped}$` : `^\\S+: ${escaped}$`);
}

describe("PyTorch's messages", () => {
  test.each([
    ['dropoutP', () => new nn.Dropout(1.5), 'RangeError'],
    ['dropout2dP', () => new nn.Dropout2d(-0.5), 'RangeError'],
    ['groupNormDivisible', () => new nn.GroupNorm(3, 4), 'RangeError'],
    ['calculateGain', () => nn.init.calculateGain('bogus' as 'relu'), 'RangeError'],
    ['kaimingMode', () => nn.init.kaimingUniform_(torch.zeros(2, 3), { mode: 'bogus' as 'fan_in' }), 'RangeError'],
    ['fanIn1d', () => nn.init.xavierUniform_(torch.zeros(3)), 'RangeError'],
    ['uniformRange', () => torch.zeros(3).uniform_(2, 1), 'RangeError'],
    ['bernoulliP', () => torch.zeros(3).bernoulli_(1.5), 'RangeError'],
    ['randpermNegative', () => torch.randperm(-1), 'RangeError'],
    ['dataLoaderBatch', () => new torch.data.DataLoader(new torch.data.TensorDataset(torch.zeros(3)), { batchSize: 0 }), 'RangeError'],
    ['bilinearIn1', () => new nn.Bilinear(3, 2, 4).forward(torch.zeros(5, 4), torch.zeros(5, 2)), 'RangeError'],
    ['bilinearIn2', () => new nn.Bilinear(3, 2, 4).forward(torch.zeros(5, 3), torch.zeros(5, 3)), 'RangeError'],
    ['bilinearBatch', () => new nn.Bilinear(3, 2, 4).forward(torch.zeros(5, 3), torch.zeros(4, 2)), 'RangeError'],
    ['bilinearDims', () => new nn.Bilinear(3, 2, 4).forward(torch.zeros(5, 3), torch.zeros(1, 5, 2)), 'RangeError'],
    ['geluApproximate', () => new nn.GELU('bogus' as 'none'), 'RangeError'],
    ['sizeDim', () => torch.zeros(2, 3).size(2), 'RangeError'],
  ] as const)('%s', (key, fn, name) => {
    expectError(fn, name, pt(key));
  });
});

/** Values that used to reach V8 ("t.dim is not a function", "Cannot convert object to primitive value"). */
describe('wrong kinds of value name the entry point and the argument', () => {
  const bare = Object.create(null) as never;
  test.each([
    ['zeros_', () => nn.init.zeros_(3 as never), 'TypeError', /^zeros_: expected a Tensor for 'tensor' but received the number 3$/],
    ['xavierNormal_', () => nn.init.xavierNormal_(null as never), 'TypeError', /^xavierNormal_: expected a Tensor for 'tensor' but received null$/],
    ['calculateFanInAndFanOut', () => nn.init.calculateFanInAndFanOut([2, 3] as never), 'TypeError', /^calculateFanInAndFanOut: expected a Tensor for 'tensor'/],
    ['calculateGain', () => nn.init.calculateGain(bare), 'RangeError', /^calculateGain: Unsupported nonlinearity an object$/],
    ['uniform_', () => nn.init.uniform_(torch.zeros(2), bare), 'TypeError', /^uniform_: expected a number for 'a' but received an object$/],
    ['normal_ mean', () => torch.zeros(2).normal_(bare), 'TypeError', /^normal_: expected a number for 'mean' but received an object$/],
    ['normal_ std', () => torch.zeros(2).normal_(0, 'x' as never), 'TypeError', /^normal_: expected a number for 'std' but received the string "x"$/],
    ['uniform_ NaN', () => torch.zeros(2).uniform_(NaN, 1), 'RangeError', /^uniform_: expected a finite number for 'from' but received the number NaN$/],
    ['bernoulli_', () => torch.zeros(2).bernoulli_([0.5] as never), 'TypeError', /^bernoulli_: expected a number for 'p' but received an array of length 1$/],
    ['bernoulli_ options', () => torch.zeros(2).bernoulli_(0.5, 3 as never), 'TypeError', /^bernoulli_: expected an options object for 'options' but received the number 3$/],
    ['manualSeed', () => torch.manualSeed(bare), 'TypeError', /^manualSeed: expected a number for 'seed' but received an object$/],
    ['rand options', () => torch.rand(2, null as never), 'TypeError', /^rand: expected a shape of integers but received \[2, null\]$/],
    ['rand symbol', () => torch.rand(Symbol('s') as never), 'TypeError', /^rand: expected a shape of integers but received \[a Symbol\]$/],
    ['setRngState', () => torch.setRngState(new Uint32Array(3)), 'TypeError', /^setRngState: expected a Uint32Array of \d+ words from getState\(\) for 'state' but received a Uint32Array$/],
    ['randLike', () => torch.randLike(undefined as never), 'TypeError', /^randLike: expected a Tensor for 'input' but received undefined$/],
    ['randperm huge', () => torch.randperm(2 ** 40), 'RangeError', /^randperm: expected an integer in \[0, 2147483647\] for 'n'/],
    ['size symbol', () => torch.zeros(2).size(Symbol('d') as never), 'TypeError', /^size: expected an integer for 'dim' but received a symbol$/],
    ['stride object', () => torch.zeros(2).stride(bare), 'TypeError', /^stride: expected an integer for 'dim' but received an object$/],
    ['requiresGrad_', () => torch.zeros(2).requiresGrad_(1 as never), 'TypeError', /^requiresGrad_: expected a boolean for 'requiresGrad' but received the number 1$/],
    ['promoteTypes', () => torch.promoteTypes('float32', 'bogus' as never), 'TypeError', /^promoteTypes: expected a dtype .* but received "bogus"$/],
    ['setNumThreads', () => torch.setNumThreads(2 ** 31), 'RangeError', /^setNumThreads: expected an integer in \[1, \d+\] for 'n'/],
    ['Dropout', () => new nn.Dropout(bare), 'TypeError', /^Dropout: expected a number for 'p' but received an object$/],
    // PyTorch: "module name should be a string. Got int" (a Python type name; JS's is 'number').
    ['ModuleDict.set', () => new nn.ModuleDict().set(3 as never, new nn.ReLU()), 'TypeError', /^ModuleDict.set: module name should be a string. Got number$/],
    ['ModuleList', () => new nn.ModuleList(5 as never), 'TypeError', /^ModuleList: expected an iterable of Modules for 'modules' but received the number 5$/],
    ['ModuleList.at', () => new nn.ModuleList().at(bare), 'TypeError', /^ModuleList.at: expected an integer for 'idx' but received an object$/],
    ['LayerNorm', () => new nn.LayerNorm(null as never), 'TypeError', /^LayerNorm: expected an integer or an array of integers for 'normalizedShape' but received null$/],
    ['BatchNorm1d', () => new nn.BatchNorm1d(2.5), 'RangeError', /^BatchNorm1d: expected an integer >= 0 for 'num_features' but received the number 2.5$/],
    ['BatchNorm2d forward', () => new nn.BatchNorm2d(3).forward(3 as never), 'TypeError', /^BatchNorm2d: expected a Tensor for 'input' but received the number 3$/],
    ['GroupNorm', () => new nn.GroupNorm(0, 4), 'RangeError', /^GroupNorm: expected an integer >= 1 for 'num_groups' but received the number 0$/],
    ['Bilinear', () => new nn.Bilinear(3, 2, NaN), 'RangeError', /^Bilinear: expected an integer >= 0 for 'out_features' but received the number NaN$/],
    ['Bilinear forward', () => new nn.Bilinear(3, 2, 4).forward(torch.zeros(5, 3), undefined as never), 'TypeError', /^bilinear: expected a Tensor for 'input2' but received undefined$/],
    ['Linear bias', () => new nn.Linear(3, 2, 'yes' as never), 'TypeError', /^Linear: expected a boolean for 'bias' but received the string "yes"$/],
    ['Flatten', () => new nn.Flatten(0.5), 'RangeError', /^Flatten: expected an integer for 'startDim' but received the number 0.5$/],
    ['Flatten forward', () => new nn.Flatten().forward(null as never), 'TypeError', /^Flatten: expected a Tensor for 'input' but received null$/],
    ['Unflatten', () => new nn.Unflatten(1, 6 as never), 'TypeError', /^Unflatten: expected an array of sizes for 'unflattenedSize' but received the number 6$/],
    ['Softmax', () => new nn.Softmax('1' as never), 'TypeError', /^Softmax: expected an integer for 'dim' but received the string "1"$/],
    ['Parameter', () => new nn.Parameter([1, 2] as never), 'TypeError', /^Parameter: expected a Tensor for 'data' but received an array of length 2$/],
    ['clipGradNorm_', () => nn.utils.clipGradNorm_(5 as never, 1), 'TypeError', /^clipGradNorm_: expected a Tensor or an iterable of Tensors for 'parameters' but received the number 5$/],
    ['clipGradValue_', () => nn.utils.clipGradValue_([torch.zeros(1), 2] as never, 1), 'TypeError', /^clipGradValue_: expected a Tensor for 'parameters\[1\]' but received the number 2$/],
    ['TensorDataset', () => new torch.data.TensorDataset(torch.zeros(2), [1, 2] as never), 'TypeError', /^TensorDataset: expected a Tensor for 'tensors\[1\]' but received an array of length 2$/],
    ['DataLoader', () => new torch.data.DataLoader(null as never), 'TypeError', /^DataLoader: expected a Dataset, an IterableDataset or a module reference for 'dataset' but received null$/],
    ['DataLoader options', () => new torch.data.DataLoader(new torch.data.TensorDataset(torch.zeros(2)), null as never), 'TypeError', /^DataLoader: expected an options object for 'options' but received null$/],
  ] as const)('%s', (_label, fn, name, message) => {
    expectError(fn, name, message);
  });

  test('an allocation the process cannot make says which op asked for how much', () => {
    // 2^40 int32 elements (4 TiB): over the typed-array limit, so it fails at once without touching memory.
    expectError(
      () => torch.randint(0, 2, [2 ** 20, 2 ** 20]),
      'RangeError',
      /^randint: cannot allocate an int32 tensor of shape \[1048576, 1048576\] \(1099511627776 elements, 4398046511104 bytes: more than this process can allocate\)$/,
    );
  });
});
