/** Optimizer trajectories over 20 steps, schedules and clipping, against PyTorch within 1e-6 relative. */
import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import { build, expectClose, loadFixture } from '../helpers/fixtures';
import type { TensorJson } from '../helpers/fixtures';

const { nn, optim } = torch;
const F = nn.functional;
const S = optim.lrScheduler;

interface OptimFixture {
  X: TensorJson;
  Y: TensorJson;
  optims: {
    name: string;
    traj: (Record<string, TensorJson> & { loss: number })[];
    norms: number[];
    unusedStateEmpty: boolean;
    /** 'float64': the model built under torch.set_default_dtype(torch.float64), trained in double. */
    default?: 'float64';
  }[];
  scheds: { name: string; lrs: number[][]; momentum: number[] }[];
}
const fx = loadFixture<never>('optim.json') as unknown as OptimFixture;
const X = build(fx.X);
const Y = build(fx.Y);

class Net extends nn.Sequential {
  declare unused: torch.nn.Parameter;
}
function makeModel(): Net {
  torch.manualSeed(0);
  const m = new Net(new nn.Linear(5, 4), new nn.Tanh(), new nn.Linear(4, 3));
  m.unused = new nn.Parameter(torch.ones(2)); // never gets a gradient: must be skipped
  return m;
}
const lin = (m: Net, i: number): torch.nn.Linear => m.at(i) as torch.nn.Linear;

type Make = (m: Net) => torch.optim.Optimizer<object>;
const OPTIMS: Record<string, Make> = {
  SGD: (m) => new optim.SGD(m.parameters(), { lr: 0.1 }),
  'SGD momentum dampening': (m) => new optim.SGD(m.parameters(), { lr: 0.05, momentum: 0.9, dampening: 0.1 }),
  'SGD nesterov weightDecay': (m) => new optim.SGD(m.parameters(), { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 }),
  'SGD maximize': (m) => new optim.SGD(m.parameters(), { lr: 0.01, maximize: true }),
  'SGD param groups': (m) =>
    new optim.SGD([{ params: lin(m, 0).parameters() }, { params: lin(m, 2).parameters(), lr: 0.01, momentum: 0.5 }], { lr: 0.1 }),
  Adam: (m) => new optim.Adam(m.parameters(), { lr: 1e-2 }),
  'Adam amsgrad weightDecay': (m) => new optim.Adam(m.parameters(), { lr: 1e-2, amsgrad: true, weightDecay: 0.1, betas: [0.8, 0.99] }),
  'Adam maximize': (m) => new optim.Adam(m.parameters(), { lr: 1e-3, maximize: true }),
  AdamW: (m) => new optim.AdamW(m.parameters(), { lr: 1e-2 }),
  'AdamW amsgrad': (m) => new optim.AdamW(m.parameters(), { lr: 1e-2, weightDecay: 0.1, amsgrad: true }),
  RMSprop: (m) => new optim.RMSprop(m.parameters(), { lr: 1e-2 }),
  'RMSprop centered momentum weightDecay': (m) => new optim.RMSprop(m.parameters(), { lr: 1e-2, centered: true, momentum: 0.9, weightDecay: 0.01 }),
  Adagrad: (m) => new optim.Adagrad(m.parameters(), { lr: 0.1 }),
  'Adagrad lrDecay init weightDecay': (m) =>
    new optim.Adagrad(m.parameters(), { lr: 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.1, weightDecay: 0.01 }),
  'SGD clipGradNorm': (m) => new optim.SGD(m.parameters(), { lr: 0.1, momentum: 0.9 }),
  'SGD clipGradValue': (m) => new optim.SGD(m.parameters(), { lr: 0.1 }),
};

describe('optimizer trajectories over 20 steps match PyTorch within 1e-6 relative (float64: 1e-12)', () => {
  afterEach(() => torch.setDefaultDtype('float32'));

  test.each(fx.optims.map((c) => [c.name, c] as const))('%s', (name, c) => {
    if (c.default) torch.setDefaultDtype(c.default);
    const rel = c.default ? 1e-12 : 1e-6;
    const m = makeModel();
    const base = name.replace(/ float64$/, '');
    const opt = OPTIMS[base]!(m);
    const [x, y] = c.default ? [X.double(), Y.double()] : [X, Y];
    c.traj.forEach((want, step) => {
      opt.zeroGrad();
      const loss = F.mseLoss(m.forward(x), y);
      loss.backward();
      if (base.endsWith('clipGradNorm')) {
        const norm = nn.utils.clipGradNorm_(m.parameters(), 0.5);
        expect(Math.abs((norm.item() as number) - c.norms[step]!)).toBeLessThanOrEqual(rel * c.norms[step]!);
      }
      if (base.endsWith('clipGradValue')) nn.utils.clipGradValue_(m.parameters(), 0.05);
      opt.step();
      expect(Math.abs((loss.item() as number) - want.loss)).toBeLessThanOrEqual(rel * Math.abs(want.loss) + rel / 10);
      const state = Object.fromEntries(m.stateDict());
      for (const [k, v] of Object.entries(want)) {
        if (k === 'loss') continue;
        // 1e-6 relative to the tensor's largest entry: sums run in a different order than PyTorch's cascade,
        // so entries near zero can differ in relative terms while the tensor agrees to 1e-6.
        const ref = v as TensorJson;
        const scale = Math.max(...ref.data.map((e) => Math.abs(Number(e))));
        expectClose(state[k]!, ref, 0, rel * scale, `${k} after step ${step + 1}`);
      }
    });
    expect(opt.state.has(m.unused)).toBe(!c.unusedStateEmpty);
  });
});

type MakeSched = (m: Net) => [torch.optim.Optimizer<object>, { step(metric?: number): void; getLastLr(): number[] }];
const sgd = (m: Net): torch.optim.SGD => new optim.SGD(m.parameters(), { lr: 0.1, momentum: 0.9 });
const SCHEDS: Record<string, MakeSched> = {
  StepLR: (m) => { const o = sgd(m); return [o, new S.StepLR(o, 3, 0.5)]; },
  MultiStepLR: (m) => { const o = sgd(m); return [o, new S.MultiStepLR(o, [2, 5, 5, 9], 0.1)]; },
  ExponentialLR: (m) => { const o = sgd(m); return [o, new S.ExponentialLR(o, 0.9)]; },
  CosineAnnealingLR: (m) => { const o = sgd(m); return [o, new S.CosineAnnealingLR(o, 10, 0.001)]; },
  LinearLR: (m) => { const o = sgd(m); return [o, new S.LinearLR(o, 0.25, 1.0, 4)]; },
  'OneCycleLR SGD': (m) => { const o = sgd(m); return [o, new S.OneCycleLR(o, 0.1, { totalSteps: 30 })]; },
  'OneCycleLR Adam linear three-phase': (m) => {
    const o = new optim.Adam(m.parameters());
    return [o, new S.OneCycleLR(o, 0.01, { totalSteps: 30, annealStrategy: 'linear', threePhase: true })];
  },
  ReduceLROnPlateau: (m) => { const o = sgd(m); return [o, new S.ReduceLROnPlateau(o, { factor: 0.5, patience: 2, cooldown: 1, minLr: 0.01 })]; },
};
const METRICS = [1.0, 0.9, 0.91, 0.92, 0.93, 0.8, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7];

describe('learning-rate schedules match PyTorch', () => {
  test.each(fx.scheds.map((c) => [c.name, c] as const))('%s', (name, c) => {
    const [opt, s] = SCHEDS[name]!(makeModel());
    c.lrs.forEach((want, i) => {
      if (name === 'ReduceLROnPlateau') s.step(METRICS[i]);
      else s.step();
      const got = s.getLastLr();
      got.forEach((v, k) => expect(Math.abs(v - want[k]!)).toBeLessThanOrEqual(1e-12 + 1e-12 * Math.abs(want[k]!)));
      const g0 = opt.paramGroups[0] as unknown as { betas?: number[]; momentum?: number };
      const mom = g0.betas ? g0.betas[0]! : (g0.momentum ?? 0);
      expect(Math.abs(mom - c.momentum[i]!)).toBeLessThanOrEqual(1e-12);
    });
  });
});

describe('optimizer mechanics', () => {
  test('zeroGrad sets grads to null; step skips parameters without grad', () => {
    const p = new nn.Parameter(torch.ones(2));
    const q = new nn.Parameter(torch.ones(2));
    const opt = new optim.SGD([p, q], { lr: 1 });
    p.sum().backward();
    opt.step();
    expect(p.tolist()).toEqual([0, 0]);
    expect(q.tolist()).toEqual([1, 1]);
    opt.zeroGrad();
    expect(p.grad).toBeNull();
  });

  test('stateDict / loadStateDict resume the same trajectory', () => {
    const run = (steps: number, opt: torch.optim.Optimizer<object>, m: Net): void => {
      for (let i = 0; i < steps; i++) {
        opt.zeroGrad();
        F.mseLoss(m.forward(X), Y).backward();
        opt.step();
      }
    };
    const a = makeModel();
    const oa = new optim.Adam(a.parameters(), { lr: 1e-2 });
    run(10, oa, a);
    const b = makeModel();
    b.loadStateDict(a.stateDict());
    const ob = new optim.Adam(b.parameters(), { lr: 1e-2 });
    ob.loadStateDict(oa.stateDict());
    run(5, oa, a);
    run(5, ob, b);
    for (const [k, v] of a.stateDict()) expect(b.stateDict().get(k)!.tolist()).toEqual(v.tolist());
  });

  test('bad options and parameters are rejected', () => {
    expect(() => new optim.SGD([], { lr: 0.1 })).toThrow(/empty parameter list/);
    expect(() => new optim.Adam([new nn.Parameter(torch.ones(1))], { lr: -1 })).toThrow(/Invalid learning rate/);
    expect(() => new optim.Adam([new nn.Parameter(torch.ones(1))], { betas: [1.0, 0.9] })).toThrow(/Invalid beta parameter at index 0/);
    const w = torch.ones([1], { requiresGrad: true });
    expect(() => new optim.SGD([w.mul(2)], { lr: 0.1 })).toThrow(/non-leaf/);
  });

  test('clipGradNorm_ with the inf norm', () => {
    const p = new nn.Parameter(torch.tensor([3, -4]));
    p.grad = torch.tensor([3, -4]);
    const n = nn.utils.clipGradNorm_([p], 2, Infinity);
    expect(n.item()).toBe(4);
    expect((p.grad.tolist() as number[]).map((v) => Math.round(v * 1e4) / 1e4)).toEqual([1.5, -2]);
  });

  void (null as unknown as Tensor);
});

describe('the fused Adam kernel', () => {
  test.each([
    ['Adam', {}],
    ['Adam', { weightDecay: 0.1 }],
    ['Adam', { amsgrad: true, maximize: true, betas: [0.8, 0.99] as [number, number] }],
    ['AdamW', {}],
    ['AdamW', { amsgrad: true, weightDecay: 0.05 }],
  ] as const)('%s %j gives the same bits as the same update written with tensor ops', (kind, options) => {
    const make = (fused: boolean): Net => {
      const m = makeModel();
      const opt = kind === 'Adam' ? new optim.Adam(m.parameters(), { lr: 1e-2, ...options }) : new optim.AdamW(m.parameters(), { lr: 1e-2, ...options });
      opt.fused = fused;
      for (let i = 0; i < 15; i++) {
        opt.zeroGrad();
        F.mseLoss(m.forward(X), Y).backward();
        opt.step();
      }
      return m;
    };
    const a = make(true);
    const b = make(false);
    for (const [k, v] of a.stateDict()) expect(v.tolist()).toEqual(b.stateDict().get(k)!.tolist());
  });
});
