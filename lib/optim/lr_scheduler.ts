/** Learning-rate schedulers: PyTorch 1.13's chainable forms, stepped once per epoch (or batch) after optimizer.step(). */
import { Optimizer, camelCase, definedOptions, snakeCase } from './optimizer';
import { Tensor } from '../tensor';
import { checkFinite, checkInt, checkNumber, checkOptions, describe } from '../validate';

type AnyOptimizer = Optimizer<{ lr: number }>;
type Group = { lr: number; initialLr?: number } & Record<string, unknown>;

/** A scheduler's optimizer must be an Optimizer (PyTorch: "int is not an Optimizer"). */
function checkOptimizer(op: string, optimizer: unknown): void {
  if (!(optimizer instanceof Optimizer)) throw new TypeError(`${op}: expected an Optimizer for 'optimizer' but received ${describe(optimizer)}`);
}

/** The attributes PyTorch keeps private (a leading underscore) in a scheduler's state dict. */
const PRIVATE = new Set(['stepCount', 'lastLr']);

/** A value a scheduler's state dict carries: numbers, strings, booleans and arrays of numbers (no functions, no objects). */
function isStateValue(v: unknown): boolean {
  return typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || (Array.isArray(v) && v.every((x) => typeof x === 'number'));
}

/** A scheduler's state as PyTorch's scheduler.state_dict(): its attributes but the optimizer, in PyTorch's names. */
function schedulerState(s: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'optimizer' || !isStateValue(v)) continue;
    out[PRIVATE.has(k) ? `_${snakeCase(k)}` : snakeCase(k)] = Array.isArray(v) ? [...(v as number[])] : v;
  }
  return out;
}

/**
 * Restores what schedulerState (or PyTorch's scheduler.state_dict(), loaded with torch.load) holds: every attribute the
 * scheduler has, of the same kind; others (PyTorch's verbose, _get_lr_called_within_step) are ignored.
 * @throws TypeError for a state dict that is not an object or a value of the wrong kind; nothing changes then
 */
function restoreScheduler(s: object, op: string, sd: unknown): void {
  if (typeof sd !== 'object' || sd === null || Array.isArray(sd)) throw new TypeError(`${op}: expected a state dict object but received ${describe(sd)}`);
  const target = s as Record<string, unknown>;
  const updates: [string, unknown][] = [];
  for (const [name, v] of Object.entries(sd)) {
    const k = camelCase(name.replace(/^_/, ''));
    if (k === 'optimizer' || !Object.prototype.hasOwnProperty.call(target, k) || !isStateValue(target[k])) continue;
    if (Array.isArray(target[k]) ? !Array.isArray(v) || !v.every((x) => typeof x === 'number') : typeof v !== typeof target[k]) {
      throw new TypeError(`${op}: expected ${Array.isArray(target[k]) ? 'an array of numbers' : `a ${typeof target[k]}`} for '${name}' but received ${describe(v)}`);
    }
    updates.push([k, Array.isArray(v) ? [...(v as number[])] : v]);
  }
  for (const [k, v] of updates) target[k] = v;
}

export abstract class LRScheduler {
  readonly optimizer: AnyOptimizer;
  lastEpoch: number;
  baseLrs: number[];
  protected stepCount = 0;
  private lastLr: number[] = [];

  constructor(optimizer: Optimizer<object>, lastEpoch = -1) {
    const op = new.target.name;
    checkOptimizer(op, optimizer);
    checkInt(op, 'lastEpoch', lastEpoch, -1);
    this.optimizer = optimizer as unknown as AnyOptimizer;
    const groups = this.groups();
    if (lastEpoch === -1) for (const g of groups) g.initialLr = g.lr;
    else if (groups.some((g) => g.initialLr === undefined)) throw new Error(`${op}: param 'initial_lr' is not specified in param_groups when resuming an optimizer`);
    this.baseLrs = groups.map((g) => g.initialLr!);
    this.lastEpoch = lastEpoch;
  }

  /** Call at the end of the constructor of every subclass: the initial step, as PyTorch's __init__ does. */
  protected init(): void {
    this.step();
  }

  protected groups(): Group[] {
    return this.optimizer.paramGroups as unknown as Group[];
  }

  /** The next learning rate of each group, from the current ones. */
  protected abstract getLr(): number[];

  /** Advances one epoch and sets each group's lr. */
  step(): void {
    this.stepCount++;
    this.lastEpoch++;
    const lrs = this.getLr();
    this.groups().forEach((g, i) => (g.lr = lrs[i]!));
    this.lastLr = lrs;
  }

  /** The learning rates the last step set. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /**
   * The scheduler's state, as PyTorch's scheduler.state_dict(): its attributes but the optimizer, in PyTorch's names
   * (last_epoch, base_lrs, _step_count, _last_lr, step_size...), so it saves beside the optimizer's.
   * @example torch.save({ opt: opt.stateDict(), sched: sched.stateDict() }, 'ckpt.pt')
   */
  stateDict(): Record<string, unknown> {
    return schedulerState(this);
  }

  /**
   * Restores a state saved by stateDict() or by PyTorch's scheduler.state_dict().
   * @throws TypeError for a value of the wrong kind (nothing changes then)
   */
  loadStateDict(sd: Record<string, unknown>): void {
    restoreScheduler(this, `${this.constructor.name}.loadStateDict`, sd);
  }
}

export class StepLR extends LRScheduler {
  constructor(optimizer: Optimizer<object>, readonly stepSize: number, readonly gamma = 0.1, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    checkInt('StepLR', 'stepSize', stepSize, 1);
    checkFinite('StepLR', 'gamma', gamma);
    this.init();
  }
  protected getLr(): number[] {
    const gs = this.groups();
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return gs.map((g) => g.lr);
    return gs.map((g) => g.lr * this.gamma);
  }
}

export class MultiStepLR extends LRScheduler {
  constructor(optimizer: Optimizer<object>, readonly milestones: readonly number[], readonly gamma = 0.1, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    if (!Array.isArray(milestones)) throw new TypeError(`MultiStepLR: expected an array of integers for 'milestones' but received ${describe(milestones)}`);
    milestones.forEach((m, i) => checkInt('MultiStepLR', `milestones[${i}]`, m));
    checkFinite('MultiStepLR', 'gamma', gamma);
    this.init();
  }
  protected getLr(): number[] {
    const hits = this.milestones.filter((m) => m === this.lastEpoch).length;
    return this.groups().map((g) => (hits ? g.lr * this.gamma ** hits : g.lr));
  }
}

export class ExponentialLR extends LRScheduler {
  constructor(optimizer: Optimizer<object>, readonly gamma: number, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    checkFinite('ExponentialLR', 'gamma', gamma);
    this.init();
  }
  protected getLr(): number[] {
    return this.groups().map((g) => (this.lastEpoch === 0 ? g.lr : g.lr * this.gamma));
  }
}

export class CosineAnnealingLR extends LRScheduler {
  constructor(optimizer: Optimizer<object>, readonly tMax: number, readonly etaMin = 0, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    checkInt('CosineAnnealingLR', 'tMax', tMax, 1);
    checkFinite('CosineAnnealingLR', 'etaMin', etaMin);
    this.init();
  }
  protected getLr(): number[] {
    const gs = this.groups();
    const e = this.lastEpoch;
    const T = this.tMax;
    if (e === 0) return gs.map((g) => g.lr);
    if ((e - 1 - T) % (2 * T) === 0) {
      return gs.map((g, i) => g.lr + ((this.baseLrs[i]! - this.etaMin) * (1 - Math.cos(Math.PI / T))) / 2);
    }
    return gs.map(
      (g) => ((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) * (g.lr - this.etaMin) + this.etaMin,
    );
  }
}

export class LinearLR extends LRScheduler {
  constructor(optimizer: Optimizer<object>, readonly startFactor = 1 / 3, readonly endFactor = 1, readonly totalIters = 5, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    checkNumber('LinearLR', 'startFactor', startFactor);
    checkNumber('LinearLR', 'endFactor', endFactor);
    checkInt('LinearLR', 'totalIters', totalIters, 1);
    if (!(endFactor >= 0 && endFactor <= 1)) throw new RangeError('LinearLR: Ending multiplicative factor expected to be between 0 and 1.');
    if (!(startFactor > 0 && startFactor <= 1)) throw new RangeError('LinearLR: Starting multiplicative factor expected to be greater than 0 and less or equal to 1.');
    this.init();
  }
  protected getLr(): number[] {
    const gs = this.groups();
    if (this.lastEpoch === 0) return gs.map((g) => g.lr * this.startFactor);
    if (this.lastEpoch > this.totalIters) return gs.map((g) => g.lr);
    const s = this.startFactor;
    const f = this.endFactor;
    return gs.map((g) => g.lr * (1 + (f - s) / (this.totalIters * s + (this.lastEpoch - 1) * (f - s))));
  }
}

export interface OneCycleOptions {
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  pctStart?: number;
  annealStrategy?: 'cos' | 'linear';
  cycleMomentum?: boolean;
  baseMomentum?: number;
  maxMomentum?: number;
  divFactor?: number;
  finalDivFactor?: number;
  threePhase?: boolean;
}

interface Phase {
  endStep: number;
  startLr: string;
  endLr: string;
  startMomentum: string;
  endMomentum: string;
}

/** The 1cycle policy: warm up to maxLr, then anneal far below the start; cycles momentum (or Adam's beta1) inversely. */
export class OneCycleLR extends LRScheduler {
  private readonly totalSteps: number;
  private readonly phases: Phase[];
  private readonly anneal: (start: number, end: number, pct: number) => number;
  private readonly cycleMomentum: boolean;
  private readonly useBeta1: boolean;

  constructor(optimizer: Optimizer<object>, maxLr: number | readonly number[], options: OneCycleOptions = {}, lastEpoch = -1) {
    checkOptimizer('OneCycleLR', optimizer);
    if (typeof maxLr !== 'number' && !(Array.isArray(maxLr) && maxLr.length === optimizer.paramGroups.length)) {
      throw new TypeError(`OneCycleLR: expected a number or an array of ${optimizer.paramGroups.length} numbers for 'maxLr' but received ${describe(maxLr)}`);
    }
    (typeof maxLr === 'number' ? [maxLr] : maxLr).forEach((v, i) => checkNumber('OneCycleLR', `maxLr[${i}]`, v, false));
    const {
      totalSteps, epochs, stepsPerEpoch, pctStart = 0.3, annealStrategy = 'cos', cycleMomentum = true,
      baseMomentum = 0.85, maxMomentum = 0.95, divFactor = 25, finalDivFactor = 1e4, threePhase = false,
    } = checkOptions('OneCycleLR', options);
    const total = totalSteps ?? (epochs && stepsPerEpoch ? epochs * stepsPerEpoch : undefined);
    if (!total || total <= 0) throw new RangeError('OneCycleLR: You must define either total_steps OR (epochs AND steps_per_epoch)');
    const groups = optimizer.paramGroups as unknown as Group[];
    const maxLrs = typeof maxLr === 'number' ? groups.map(() => maxLr) : [...maxLr];
    if (lastEpoch === -1) {
      groups.forEach((g, i) => {
        g.initialLr = maxLrs[i]! / divFactor;
        g.lr = g.initialLr;
        g.maxLr = maxLrs[i]!;
        g.minLr = g.initialLr / finalDivFactor;
      });
    }
    super(optimizer, lastEpoch);
    this.totalSteps = total;
    this.phases = threePhase
      ? [
          { endStep: pctStart * total - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
          { endStep: 2 * pctStart * total - 2, startLr: 'maxLr', endLr: 'initialLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
          { endStep: total - 1, startLr: 'initialLr', endLr: 'minLr', startMomentum: 'maxMomentum', endMomentum: 'maxMomentum' },
        ]
      : [
          { endStep: pctStart * total - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
          { endStep: total - 1, startLr: 'maxLr', endLr: 'minLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
        ];
    this.anneal =
      annealStrategy === 'cos'
        ? (start, end, pct) => end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1)
        : (start, end, pct) => (end - start) * pct + start;
    this.cycleMomentum = cycleMomentum;
    this.useBeta1 = 'betas' in (optimizer.defaults as object);
    if (cycleMomentum) {
      if (!this.useBeta1 && !('momentum' in (optimizer.defaults as object))) {
        throw new Error('optimizer must support momentum with `cycle_momentum` option enabled');
      }
      if (lastEpoch === -1) {
        for (const g of groups) {
          if (this.useBeta1) g.betas = [maxMomentum, (g.betas as number[])[1]!];
          else g.momentum = maxMomentum;
          g.maxMomentum = maxMomentum;
          g.baseMomentum = baseMomentum;
        }
      }
    }
    this.init();
  }

  protected getLr(): number[] {
    const step = this.lastEpoch;
    if (step > this.totalSteps) {
      throw new RangeError(`OneCycleLR: Tried to step ${step} times. The specified number of total steps is ${this.totalSteps}`);
    }
    return this.groups().map((g) => {
      let start = 0;
      let lr = g.lr;
      for (let i = 0; i < this.phases.length; i++) {
        const ph = this.phases[i]!;
        if (step <= ph.endStep || i === this.phases.length - 1) {
          const pct = (step - start) / (ph.endStep - start);
          lr = this.anneal(g[ph.startLr] as number, g[ph.endLr] as number, pct);
          if (this.cycleMomentum) {
            const mom = this.anneal(g[ph.startMomentum] as number, g[ph.endMomentum] as number, pct);
            if (this.useBeta1) g.betas = [mom, (g.betas as number[])[1]!];
            else g.momentum = mom;
          }
          break;
        }
        start = ph.endStep;
      }
      return lr;
    });
  }
}

export interface PlateauOptions {
  mode?: 'min' | 'max';
  factor?: number;
  patience?: number;
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  cooldown?: number;
  minLr?: number | readonly number[];
  eps?: number;
}

/** The metric ReduceLROnPlateau.step compares: a number, or a one-element Tensor (PyTorch takes float(metrics)). */
function metricValue(metric: unknown): number {
  const op = 'ReduceLROnPlateau.step';
  if (metric instanceof Tensor) {
    if (metric.numel() !== 1) throw new RangeError(`${op}: a Tensor metric must have one element but received ${describe(metric)}`);
    return Number(metric.item());
  }
  return checkNumber(op, 'metric', metric);
}

/** Divides the learning rate by 1/factor when a metric stops improving for `patience` epochs. */
export class ReduceLROnPlateau {
  readonly optimizer: AnyOptimizer;
  private readonly o: Required<Omit<PlateauOptions, 'minLr'>>;
  private readonly minLrs: number[];
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;

  constructor(optimizer: Optimizer<object>, options: PlateauOptions = {}) {
    const op = 'ReduceLROnPlateau';
    checkOptimizer(op, optimizer);
    this.optimizer = optimizer as unknown as AnyOptimizer;
    const { minLr = 0, ...rest } = checkOptions(op, options);
    const o: Required<Omit<PlateauOptions, 'minLr'>> = {
      mode: 'min', factor: 0.1, patience: 10, threshold: 1e-4, thresholdMode: 'rel', cooldown: 0, eps: 1e-8, ...definedOptions(rest),
    };
    const show = (v: unknown): string => (typeof v === 'string' ? v : describe(v));
    if (o.mode !== 'min' && o.mode !== 'max') throw new RangeError(`${op}: mode ${show(o.mode)} is unknown! (expected 'min' or 'max')`);
    if (o.thresholdMode !== 'rel' && o.thresholdMode !== 'abs') {
      throw new RangeError(`${op}: threshold mode ${show(o.thresholdMode)} is unknown! (expected 'rel' or 'abs')`);
    }
    checkNumber(op, 'factor', o.factor, false);
    if (o.factor >= 1) throw new RangeError(`${op}: Factor should be < 1.0.`);
    checkInt(op, 'patience', o.patience);
    checkInt(op, 'cooldown', o.cooldown, 0);
    checkNumber(op, 'threshold', o.threshold, false);
    checkNumber(op, 'eps', o.eps, false);
    this.o = o;
    const n = this.optimizer.paramGroups.length;
    if (typeof minLr === 'number') {
      this.minLrs = new Array<number>(n).fill(minLr);
    } else {
      if (!Array.isArray(minLr)) throw new TypeError(`${op}: expected a number or an array of numbers for 'minLr' but received ${describe(minLr)}`);
      if (minLr.length !== n) throw new RangeError(`${op}: expected ${n} min_lrs, got ${minLr.length}`);
      this.minLrs = minLr.map((v, i) => checkNumber(op, `minLr[${i}]`, v, false));
    }
    this.best = this.o.mode === 'min' ? Infinity : -Infinity;
  }

  private isBetter(a: number, best: number): boolean {
    const { mode, thresholdMode, threshold } = this.o;
    if (mode === 'min' && thresholdMode === 'rel') return a < best * (1 - threshold);
    if (mode === 'min') return a < best - threshold;
    if (thresholdMode === 'rel') return a > best * (threshold + 1);
    return a > best + threshold;
  }

  /**
   * Records this epoch's metric (a number; a one-element Tensor is read as its value, as PyTorch's float(metrics))
   * and lowers the learning rates if it has plateaued.
   */
  step(metric: number): void {
    const current = metricValue(metric);
    this.lastEpoch++;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs++;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.o.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const newLr = Math.max(g.lr * this.o.factor, this.minLrs[i]!);
        if (g.lr - newLr > this.o.eps) g.lr = newLr;
      });
      this.cooldownCounter = this.o.cooldown;
      this.numBadEpochs = 0;
    }
  }

  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The scheduler's counters and best metric, in PyTorch's names (best, num_bad_epochs, cooldown_counter, last_epoch, min_lrs). */
  stateDict(): Record<string, unknown> {
    return schedulerState(this);
  }

  /** Restores a state saved by stateDict() or by PyTorch's scheduler.state_dict(). @throws TypeError for a value of the wrong kind */
  loadStateDict(sd: Record<string, unknown>): void {
    restoreScheduler(this, 'ReduceLROnPlateau.loadStateDict', sd);
  }
}
