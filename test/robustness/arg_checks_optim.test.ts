/**
 * Argument checks of the optimizers, the learning-rate schedulers, the autograd entry points (backward, grad,
 * noGrad, enableGrad, gradcheck) and save/load (issue 11, item 12): every wrong kind of argument the API fuzzer
 * found is a TypeError or RangeError that names the entry point, in PyTorch's words where PyTorch has them
 * (torch 1.13.1: "params argument given to the optimizer should be an iterable of Tensors or dicts, but got ...",
 * "Invalid weight_decay value: -1", "mode x is unknown!", "expected 1 min_lrs, got 2", "Ending multiplicative
 * factor expected to be between 0 and 1.").
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import { expectError } from '../helpers/errors';

const { optim } = torch;
const sched = optim.lrScheduler;
type Loose = (...args: unknown[]) => unknown;
const loose = (f: unknown): Loose => f as Loose;
/** new C(...args) with arguments of any type (the calls a JS user could make). */
const make = (C: unknown, ...args: unknown[]): unknown => new (C as new (...a: unknown[]) => unknown)(...args);
const param = (): Tensor => torch.zeros(2).requiresGrad_();

describe('optimizer constructors', () => {
  test('params must be an iterable of Tensors or of group objects', () => {
    const notIterable = /^Adam: params argument given to the optimizer should be an iterable of Tensors or dicts, but got /;
    expectError(() => make(optim.Adam, 3), 'TypeError', notIterable);
    expectError(() => make(optim.Adam, null), 'TypeError', notIterable);
    // PyTorch refuses a bare Tensor ("... but got torch.FloatTensor"): a Tensor is iterable, but over its rows.
    expectError(() => make(optim.Adam, param()), 'TypeError', notIterable);
    expectError(() => make(optim.RMSprop, [3]), 'TypeError', /^RMSprop: param group must be an object with 'params' but received the number 3/);
    expectError(() => make(optim.Adagrad, [{ lr: 1 }]), 'TypeError', /^Adagrad: param group must have 'params'/);
    expectError(() => make(optim.AdamW, [{ params: 5 }]), 'TypeError', /^AdamW: expected a Tensor or an iterable of Tensors for a group's 'params' but received the number 5/);
    expectError(() => make(optim.SGD, [param(), 'w'], { lr: 1 }), 'TypeError', /^SGD: optimizer can only optimize Tensors, but one of the params is the string "w"/);
    const p = param();
    expectError(() => make(optim.SGD, [p, p], { lr: 1 }), 'Error', /^SGD: some parameters appear in more than one parameter group/);
  });

  test('options: an object whose entries have their defaults\' kinds, in ranges PyTorch checks', () => {
    expectError(() => make(optim.Adam, [param()], 3), 'TypeError', /^Adam: expected an options object for 'options' but received the number 3/);
    expectError(() => make(optim.Adam, [param()], { betas: 0.9 }), 'TypeError', /^Adam: expected an array of 2 numbers for option 'betas' but received the number 0.9/);
    expectError(() => make(optim.Adam, [param()], { lr: '1' }), 'TypeError', /^Adam: expected a number for option 'lr' but received the string "1"/);
    expectError(() => make(optim.AdamW, [param()], { amsgrad: 1 }), 'TypeError', /^AdamW: expected a boolean for option 'amsgrad'/);
    expectError(() => make(optim.RMSprop, [param()], { weightDecay: -1 }), 'RangeError', /^RMSprop: Invalid weight_decay value: -1/);
    expectError(() => make(optim.Adagrad, [param()], { eps: -1 }), 'RangeError', /^Adagrad: Invalid epsilon value: -1/);
    expectError(() => make(optim.Adagrad, [param()], { weightDecay: -1 }), 'RangeError', /^Adagrad: Invalid weight_decay value: -1/);
    expectError(() => make(optim.SGD, [param()], {}), 'TypeError', /^SGD: parameter group didn't specify a value of required optimization parameter lr/);
    // A group's own options are checked the same way.
    expectError(() => make(optim.Adam, [{ params: [param()], lr: null }]), 'TypeError', /^Adam: expected a number for option 'lr' but received null/);
    // Options given as undefined keep their defaults, in the options and in a group.
    const o = make(optim.Adam, [param()], { lr: undefined }) as InstanceType<typeof optim.Adam>;
    expect(o.paramGroups[0]!.lr).toBe(1e-3);
    o.addParamGroup({ params: [param()], lr: undefined, eps: 0.5 });
    expect([o.paramGroups[1]!.lr, o.paramGroups[1]!.eps]).toEqual([1e-3, 0.5]);
    // Only the defaults' own keys are options ('toString' is not one).
    expect(() => make(optim.Adam, [param()], { toString: 5 })).not.toThrow();
  });

  test('the Optimizer base class names itself', () => {
    expectError(() => make(optim.Optimizer, 7, {}), 'TypeError', /^Optimizer: params argument given to the optimizer should be an iterable/);
    expectError(() => make(optim.Optimizer, [param()], 'fan_in'), 'TypeError', /^Optimizer: expected an options object for 'defaults' but received the string "fan_in"/);
  });
});

describe('optimizer methods', () => {
  test('addParamGroup takes a group object with Tensor params', () => {
    const opt = new optim.SGD([param()], { lr: 0.1 });
    expectError(() => loose(opt.addParamGroup.bind(opt))(null), 'TypeError', /^SGD.addParamGroup: param group must be an object with 'params' but received null/);
    expectError(() => loose(opt.addParamGroup.bind(opt))({ params: 1 }), 'TypeError', /^SGD.addParamGroup: expected a Tensor or an iterable of Tensors/);
    expectError(() => loose(opt.addParamGroup.bind(opt))({ params: [param()], momentum: 'x' }), 'TypeError', /^SGD.addParamGroup: expected a number for option 'momentum'/);
    expect(opt.paramGroups.length).toBe(1);
    opt.addParamGroup({ params: param(), lr: 0.5 });
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.1, 0.5]);
  });

  test('step takes a closure or nothing', () => {
    const p = param();
    const opt = new optim.SGD([p], { lr: 0.1 });
    p.grad = torch.ones(2);
    expectError(() => loose(opt.step.bind(opt))(3), 'TypeError', /^SGD.step: expected a function for 'closure' but received the number 3/);
    expect(p.tolist()).toEqual([0, 0]);
  });

  test('loadStateDict refuses malformed groups and options without changing anything', () => {
    const opt = new optim.Adam([param()], { lr: 0.1 });
    const sd = opt.stateDict();
    expectError(() => opt.loadStateDict({ state: {}, paramGroups: [null as unknown as Record<string, unknown>] }), 'TypeError', /^Adam.loadStateDict: parameter group 0 is null, not an object/);
    expectError(
      () => opt.loadStateDict({ state: {}, paramGroups: [{ ...sd.param_groups[0], lr: 'fast' }] }),
      'TypeError',
      /^Adam.loadStateDict: expected a number for option 'lr' but received the string "fast"/,
    );
    expect(opt.paramGroups[0]!.lr).toBe(0.1);
  });
});

describe('learning-rate schedulers', () => {
  const opt = (): InstanceType<typeof optim.SGD> => new optim.SGD([param()], { lr: 1 });

  test('the optimizer must be an Optimizer (PyTorch: "int is not an Optimizer")', () => {
    expectError(() => make(sched.StepLR, 3, 2), 'TypeError', /^StepLR: expected an Optimizer for 'optimizer' but received the number 3/);
    expectError(() => make(sched.CosineAnnealingLR, {}, 2), 'TypeError', /^CosineAnnealingLR: expected an Optimizer/);
    expectError(() => make(sched.ReduceLROnPlateau, null), 'TypeError', /^ReduceLROnPlateau: expected an Optimizer/);
    expectError(() => make(sched.OneCycleLR, [], 1, { totalSteps: 10 }), 'TypeError', /^OneCycleLR: expected an Optimizer/);
    expectError(() => make(sched.LRScheduler, undefined), 'TypeError', /^LRScheduler: expected an Optimizer/);
  });

  test('sizes, factors and epochs', () => {
    expectError(() => make(sched.StepLR, opt(), 0), 'RangeError', /^StepLR: expected an integer >= 1 for 'stepSize' but received the number 0/);
    expectError(() => make(sched.StepLR, opt(), 2, 'x'), 'TypeError', /^StepLR: expected a number for 'gamma'/);
    expectError(() => make(sched.MultiStepLR, opt(), 3), 'TypeError', /^MultiStepLR: expected an array of integers for 'milestones' but received the number 3/);
    expectError(() => make(sched.MultiStepLR, opt(), [1, 'a']), 'TypeError', /^MultiStepLR: expected an integer for 'milestones\[1\]'/);
    expectError(() => make(sched.ExponentialLR, opt(), NaN), 'RangeError', /^ExponentialLR: expected a finite number for 'gamma'/);
    expectError(() => make(sched.CosineAnnealingLR, opt(), 1.5), 'RangeError', /^CosineAnnealingLR: expected an integer >= 1 for 'tMax'/);
    expectError(() => make(sched.LinearLR, opt(), 0.5, 2), 'RangeError', /^LinearLR: Ending multiplicative factor expected to be between 0 and 1\./);
    expectError(() => make(sched.LinearLR, opt(), 0.5, 1, 0), 'RangeError', /^LinearLR: expected an integer >= 1 for 'totalIters'/);
    expectError(() => make(sched.ExponentialLR, opt(), 0.5, 'x'), 'TypeError', /^ExponentialLR: expected an integer for 'lastEpoch'/);
    expectError(() => make(sched.StepLR, opt(), 1, 0.1, 3), 'Error', /^StepLR: param 'initial_lr' is not specified in param_groups when resuming an optimizer/);
  });

  test('ReduceLROnPlateau options and metric', () => {
    const P = sched.ReduceLROnPlateau;
    expectError(() => make(P, opt(), 5), 'TypeError', /^ReduceLROnPlateau: expected an options object for 'options'/);
    expectError(() => make(P, opt(), { mode: 'x' }), 'RangeError', /^ReduceLROnPlateau: mode x is unknown!/);
    expectError(() => make(P, opt(), { thresholdMode: 'x' }), 'RangeError', /^ReduceLROnPlateau: threshold mode x is unknown!/);
    expectError(() => make(P, opt(), { minLr: [1, 2] }), 'RangeError', /^ReduceLROnPlateau: expected 1 min_lrs, got 2/);
    expectError(() => make(P, opt(), { minLr: 'a' }), 'TypeError', /^ReduceLROnPlateau: expected a number or an array of numbers for 'minLr'/);
    expectError(() => make(P, opt(), { mode: 3 }), 'RangeError', /^ReduceLROnPlateau: mode the number 3 is unknown!/);
    expectError(() => make(P, opt(), { patience: 1.5 }), 'RangeError', /^ReduceLROnPlateau: expected an integer for 'patience'/);
    expectError(() => make(P, opt(), { factor: 1 }), 'RangeError', /^ReduceLROnPlateau: Factor should be < 1.0./);
    const o = opt();
    const s = new P(o, { patience: 0 });
    expectError(() => loose(s.step.bind(s))(Object.create(null)), 'TypeError', /^ReduceLROnPlateau.step: expected a number for 'metric' but received an object/);
    expectError(() => loose(s.step.bind(s))(torch.ones(2)), 'RangeError', /^ReduceLROnPlateau.step: a Tensor metric must have one element/);
    // A one-element Tensor is read as its value, as PyTorch's float(metrics): 1 then 2 is no improvement with
    // patience 0, so the lr drops by the default factor 0.1.
    s.step(torch.tensor(1) as unknown as number);
    s.step(torch.tensor([2]) as unknown as number);
    expect(o.paramGroups[0]!.lr).toBeCloseTo(0.1, 12);
  });
});

describe('autograd entry points', () => {
  test('noGrad and enableGrad take a function', () => {
    expectError(() => loose(torch.noGrad)(3), 'TypeError', /^noGrad: expected a function for 'fn' but received a number/);
    expectError(() => loose(torch.enableGrad)(null), 'TypeError', /^enableGrad: expected a function for 'fn' but received null/);
    expect(torch.isGradEnabled()).toBe(true);
  });

  test('backward and grad name themselves for non-Tensor arguments', () => {
    expectError(() => loose(torch.autograd.backward)(5), 'TypeError', /^backward: expected a Tensor or an array of Tensors for 'tensors' but received the number 5/);
    const x = param();
    expectError(() => loose(torch.autograd.grad)(x.sum(), 5), 'TypeError', /^grad: expected a Tensor or an array of Tensors for 'inputs'/);
    expectError(() => loose(torch.autograd.grad)('y', [x]), 'TypeError', /^grad: expected a Tensor or an array of Tensors for 'outputs'/);
  });

  test('gradcheck checks its function, inputs and options', () => {
    const x = torch.ones(2, { dtype: 'float64' }).requiresGrad_();
    const f = (t: Tensor): Tensor => t.mul(2);
    expectError(() => loose(torch.autograd.gradcheck)(3, [x]), 'TypeError', /^gradcheck: expected a function for 'func' but received the number 3/);
    expectError(() => loose(torch.autograd.gradcheck)(f, 3), 'TypeError', /^gradcheck: expected a Tensor or an array of inputs for 'inputs' but received the number 3/);
    expectError(() => loose(torch.autograd.gradcheck)(f, [x], 3), 'TypeError', /^gradcheck: expected an options object/);
    expectError(() => loose(torch.autograd.gradcheck)(f, [x], { eps: 'a' }), 'TypeError', /^gradcheck: expected a number for 'eps'/);
    expectError(() => loose(torch.autograd.gradcheck)(f, [x], { raiseException: 1 }), 'TypeError', /^gradcheck: expected a boolean for 'raiseException'/);
    expect(torch.autograd.gradcheck(f, new Set([x]) as unknown as Tensor[])).toBe(true);
  });

  test('GradcheckError shows any message as text, as Python shows str(obj)', () => {
    expect(make(torch.autograd.GradcheckError, Symbol('s'))).toHaveProperty('message', 'Symbol(s)');
    expect(make(torch.autograd.GradcheckError, 3)).toHaveProperty('message', '3');
    expect(make(torch.autograd.GradcheckError, Object.create(null))).toHaveProperty('message', '[object Object]');
  });
});

describe('save and load take a path', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torchlet-argchecks-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a file descriptor, a Buffer or a Tensor is refused, never read or written', () => {
    // load(0) would block reading stdin; save(t, 1) would write to stdout.
    expectError(() => loose(torch.load)(0), 'TypeError', /^load: expected a file path \(a string or a file: URL\) for 'file' but received the number 0/);
    expectError(() => loose(torch.load)(Buffer.from('x')), 'TypeError', /^load: expected a file path/);
    expectError(() => loose(torch.load)(torch.ones(1)), 'TypeError', /^load: expected a file path .* but received a float32 Tensor of shape \[1\]/);
    expectError(() => loose(torch.save)({ x: torch.ones(1) }, 1), 'TypeError', /^save: expected a file path .* but received the number 1/);
    expectError(() => loose(torch.load)(''), 'TypeError', /^load: expected a file path for 'file' but received an empty string/);
    expectError(() => loose(torch.load)('a\0b'), 'TypeError', /^load: a file path may not contain a null byte/);
    expectError(() => loose(torch.load)(new URL('http://example.com/x')), 'TypeError', /^load: expected a file: URL/);
  });

  test('file system errors name the op and the file, the original kept as the cause', () => {
    const missing = path.join(dir, 'missing.safetensors');
    let err: unknown;
    try {
      torch.load(missing);
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toBe(`load: cannot read ${JSON.stringify(missing)}: ENOENT: no such file or directory, open '${missing}'`);
    expect((err as Error & { cause: { code: string } }).cause.code).toBe('ENOENT');
    expectError(() => torch.save({ x: torch.ones(1) }, path.join(dir, 'no-dir', 'x.safetensors')), 'Error', /^save: cannot write .*ENOENT/);
  });

  test('a file: URL works for both', () => {
    const url = pathToFileURL(path.join(dir, 'u.safetensors'));
    torch.save({ x: torch.tensor([1, 2]) }, url);
    expect(torch.load(url, { format: 'safetensors' }).get('x')!.tolist()).toEqual([1, 2]);
  });
});
