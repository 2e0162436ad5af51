/**
 * Resumable training: a checkpoint of model, optimizer, scheduler and epoch, saved mid-run in either format and
 * loaded into fresh objects, continues bit for bit as the run that was never interrupted.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import * as torch from '../../lib';
import type { Tensor } from '../../lib';

const { nn, optim } = torch;
const F = nn.functional;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torchlet-resume-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

type Opt = torch.optim.Optimizer<{ lr: number }>;
interface Run {
  model: torch.nn.Sequential;
  opt: Opt;
  sched: torch.optim.lrScheduler.StepLR;
  plateau: torch.optim.lrScheduler.ReduceLROnPlateau;
}
interface Checkpoint {
  model: Map<string, Tensor>;
  opt: torch.optim.OptimizerStateDict;
  sched: Record<string, unknown>;
  plateau: Record<string, unknown>;
  epoch: number;
}

torch.manualSeed(7);
const X = torch.randn(8, 3);
const Y = torch.randn(8, 2);

function setup(seed: number, makeOpt: (p: Tensor[]) => Opt): Run {
  torch.manualSeed(seed);
  const model = new nn.Sequential(new nn.Linear(3, 4), new nn.Tanh(), new nn.Linear(4, 2));
  const opt = makeOpt(model.parameters());
  return { model, opt, sched: new optim.lrScheduler.StepLR(opt, 2, 0.5), plateau: new optim.lrScheduler.ReduceLROnPlateau(opt, { patience: 0, factor: 0.9 }) };
}

function epoch(r: Run, i: number): void {
  r.opt.zeroGrad();
  const loss = F.mseLoss(r.model.forward(X), Y);
  loss.backward();
  r.opt.step();
  r.sched.step();
  // A metric that rises every other epoch, so the plateau scheduler acts too.
  r.plateau.step(Number(loss.item()) + (i % 2));
}

const params = (r: Run): number[][] => r.model.parameters().map((p) => p.flatten().tolist() as number[]);

const optimizers: [string, (p: Tensor[]) => Opt][] = [
  ['SGD with momentum', (p) => new optim.SGD(p, { lr: 0.1, momentum: 0.9, weightDecay: 1e-3, nesterov: true })],
  ['Adam', (p) => new optim.Adam(p, { lr: 0.05, betas: [0.8, 0.95] })],
  ['Adam, amsgrad, tensor-op path', (p) => Object.assign(new optim.Adam(p, { lr: 0.05, amsgrad: true }), { fused: false })],
];

describe.each(['ckpt.pt', 'ckpt.safetensors'])('stop, save to %s, reload into fresh objects, continue', (name) => {
  test.each(optimizers)('%s: bit-identical to the uninterrupted run', (_label, makeOpt) => {
    const straight = setup(1, makeOpt);
    for (let i = 0; i < 6; i++) epoch(straight, i);

    const first = setup(1, makeOpt);
    for (let i = 0; i < 3; i++) epoch(first, i);
    const file = path.join(dir, name);
    torch.save({ model: first.model.stateDict(), opt: first.opt.stateDict(), sched: first.sched.stateDict(), plateau: first.plateau.stateDict(), epoch: 3 }, file);

    const resumed = setup(2, makeOpt); // other initial weights: everything must come from the file
    const ck = torch.load<Checkpoint>(file);
    resumed.model.loadStateDict(ck.model);
    resumed.opt.loadStateDict(ck.opt);
    resumed.sched.loadStateDict(ck.sched);
    resumed.plateau.loadStateDict(ck.plateau);
    expect(ck.epoch).toBe(3);
    for (let i = ck.epoch; i < 6; i++) epoch(resumed, i);

    expect(params(resumed)).toEqual(params(straight));
    expect(resumed.opt.paramGroups[0]!.lr).toBe(straight.opt.paramGroups[0]!.lr);
    expect(resumed.sched.stateDict()).toEqual(straight.sched.stateDict());
    expect(resumed.plateau.stateDict()).toEqual(straight.plateau.stateDict());
  });
});

describe('state dicts in PyTorch layout', () => {
  test("an optimizer's state dict has PyTorch's keys (checked against the names in test/fixtures/pt/optim_adam.json)", () => {
    const want = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'pt', 'optim_adam.json'), 'utf8')) as {
      state: Record<string, Record<string, unknown>>;
      param_groups: Record<string, unknown>[];
    };
    const r = setup(1, (p) => new optim.Adam(p, { lr: 0.01 }));
    epoch(r, 0);
    const sd = r.opt.stateDict();
    expect(Object.keys(sd)).toEqual(['state', 'param_groups']);
    expect(Object.keys(sd.state[0]!).sort()).toEqual(Object.keys(want.state['0']!).sort());
    // torchlet's groups carry the options it has; PyTorch's add foreach, capturable, differentiable, fused.
    const torchOnly = ['foreach', 'capturable', 'differentiable', 'fused'];
    expect(Object.keys(sd.param_groups[0]!).sort()).toEqual(Object.keys(want.param_groups[0]!).filter((k) => !torchOnly.includes(k)).sort());
  });

  test('loadStateDict names what is wrong in a loaded state dict', () => {
    const r = setup(1, (p) => new optim.Adam(p, { lr: 0.01 }));
    epoch(r, 0);
    const sd = r.opt.stateDict();
    sd.state[0]!.step = torch.ones(2);
    expect(() => r.opt.loadStateDict(sd)).toThrow(/^Adam\.loadStateDict: state 'step' of parameter 0 has 2 elements, not one/);
    expect(() => r.sched.loadStateDict({ last_epoch: 'x' })).toThrow(/^StepLR\.loadStateDict: expected a number for 'last_epoch' but received the string "x"/);
    expect(() => r.plateau.loadStateDict(null as never)).toThrow(/^ReduceLROnPlateau\.loadStateDict: expected a state dict object but received null/);
  });
});
