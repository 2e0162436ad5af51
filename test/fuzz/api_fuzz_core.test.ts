/** The API fuzzer's own rules: which entries it finds, how it classifies an outcome, and that its draws replay. */
import * as torch from '../../lib';
import { classifyError, entryPoints, namesEntry, Rng } from './api_fuzz_core';

describe('entry points', () => {
  const names = entryPoints(torch).map((e) => e.name);
  test('walks namespaces, classes, inherited methods once, and Tensor methods', () => {
    for (const n of ['torch.add', 'torch.matmul', 'nn.functional.conv2d', 'nn.init.kaimingUniform_', 'optim.Adam', 'data.DataLoader',
      'autograd.grad', 'nn.Linear', 'nn.Linear#forward', 'nn.Module#apply', 'optim.Optimizer#step', 'Tensor#add', 'Tensor#sum',
      'optim.lrScheduler.StepLR']) {
      expect(names).toContain(n);
    }
    // One entry per function: torch.linalg.matmul is torch.matmul; Linear's inherited apply is Module's.
    expect(names).not.toContain('linalg.matmul');
    expect(names).not.toContain('nn.Linear#apply');
    expect(new Set(names).size).toBe(names.length);
  });
  test('leaves out methods declared private or protected', () => {
    expect(names).not.toContain('nn.BatchNorm#checkInput');
  });
});

describe('classification', () => {
  test.each([
    ['torch.narrow', new TypeError('x.dim is not a function'), 'generic'],
    ['nn.BatchNorm1d', new TypeError("Cannot read properties of null (reading 'dtype')"), 'generic'],
    ['torch.sum', new TypeError('dims is not iterable'), 'generic'],
    ['nn.GroupNorm', new RangeError('Invalid typed array length: -6'), 'generic'],
    ['torch.load', Object.assign(new Error('EISDIR: illegal operation on a directory, read'), { code: 'EISDIR', syscall: 'read' }), 'generic'],
    ['torch.add', 'a string', 'generic'],
    ['torch.add', new ReferenceError('add: y is not defined'), 'generic'],
    ['nn.Conv2d', new RangeError("torchlet.native.rngUniform: expected an integer in [0, 37] for 'n' but received 37.5"), 'internal'],
    ['nn.ELU', new TypeError("ELU: expected a number for 'alpha' but received null"), 'good'],
    ['nn.BatchNorm2d', new RangeError('batch_norm: expected 4D input'), 'good'],
    ['nn.Bilinear#forward', new RangeError('bilinear(): input1 size does not match weight size: got 4 but expected 3'), 'good'],
    ['Tensor#var', new TypeError("variance: expected a Tensor for 'input'"), 'good'],
    ['Tensor#add_', new TypeError("add: expected a Tensor or a number for 'other'"), 'good'],
    ['Tensor#clip', new TypeError("clamp: expected a number for 'min'"), 'unnamed'],
    ['Tensor#requiresGrad_', new TypeError('only Tensors of floating point dtype can require gradients'), 'unnamed'],
  ] as const)('%s: %s', (entry, e, outcome) => {
    expect(classifyError(entry, e)).toBe(outcome);
  });

  test('a message names its entry by its leading op token or as a word', () => {
    expect(namesEntry('nn.functional.maxPool2d', 'max_pool2d: kernel_size must be positive')).toBe(true);
    expect(namesEntry('nn.Embedding', 'Embedding(3, 2): padding_idx must be within num_embeddings')).toBe(true);
    expect(namesEntry('torch.mm', 'matmul: shapes [2, 3] and [4, 5] cannot be multiplied')).toBe(false);
  });
});

test('each call index has its own replayable stream', () => {
  const draw = (seed: number, i: number): number[] => {
    const r = new Rng(seed, i);
    return [r.next(), r.next(), r.int(10)];
  };
  expect(draw(1, 5)).toEqual(draw(1, 5));
  expect(draw(1, 5)).not.toEqual(draw(1, 6));
  expect(draw(1, 5)).not.toEqual(draw(2, 5));
});
