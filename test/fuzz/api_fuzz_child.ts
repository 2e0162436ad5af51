/**
 * One batch of fuzz calls, run in its own process: `api_fuzz_child.ts <seed> <start> <end>`. For call i it writes,
 * on fd 9,
 * `S <i> <entry>` before the call and `R <i> <outcome> <entry> <message key>` after it, each with a synchronous
 * write, so that the runner knows which call was running when the process crashed, aborted or hung.
 */
import { writeSync } from 'fs';
import * as path from 'path';
import { classifyError, entryPoints, messageKey, Rng } from './api_fuzz_core';
import type { Entry, Outcome } from './api_fuzz_core';
import type * as Torch from '../../lib';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const torch = require(path.resolve(__dirname, '..', '..', 'lib')) as typeof Torch;
type Tensor = Torch.Tensor;

const DTYPES = ['float32', 'float32', 'float64', 'int32', 'bool'] as const;
const SHAPES: readonly number[][] = [[], [1], [3], [0], [2, 3], [3, 2], [3, 3], [2, 0], [2, 3, 4], [1, 3, 4, 4], [2, 3, 5, 5], [2, 1, 3], [4]];
const NUMBERS = [0, 1, 2, 3, -1, -2, 0.5, 2.5, -0.5, 1e-3, NaN, Infinity, -Infinity, 1e10, -1e10, 2 ** 31, 2 ** 32 + 1, 2 ** 53, Number.MAX_VALUE, 5e-324, -0, 7, 64, 1e6];
const STRINGS = ['float32', 'float64', 'int32', 'bool', 'int64', 'mean', 'sum', 'none', 'zeros', 'reflect', 'circular', 'same', 'valid', '', 'bogus', 'fan_in', 'fan_out', 'relu', 'leaky_relu', 'tanh', 'linear', 'min', 'max', 'weight', 'bias', '0', '2', 'cpu', 'x.bin',
  // the sequence-model tensor ops: einsum equations, scatter reductions, meshgrid indexing, searchsorted sides
  'ij,jk->ik', 'bij,bjk->bik', 'i,j->ij', 'ij->ji', 'ii->', 'ii->i', 'ij->i', '...ij,...jk->...ik', 'ij', '->', 'i,i', 'add', 'multiply',
  'prod', 'amax', 'amin', 'ij', 'xy', 'left', 'right'];
const OPTION_KEYS = ['dim', 'keepdim', 'dtype', 'requiresGrad', 'generator', 'lr', 'momentum', 'weightDecay', 'bias', 'reduction', 'stride', 'padding', 'dilation', 'groups', 'inplace', 'eps', 'p', 'training', 'batchSize', 'shuffle', 'dropLast', 'alpha', 'beta', 'betas', 'ceilMode', 'countIncludePad', 'divisorOverride', 'ignoreIndex', 'labelSmoothing', 'weight', 'mode', 'nonlinearity', 'outputPadding', 'paddingMode', 'returnIndices', 'retainGraph', 'createGraph', 'gradOutputs', 'maxNorm', 'normType', 'min', 'max', 'low', 'high', 'start', 'end', 'steps', 'a', 'gain', 'mean', 'std', 'negativeSlope', 'threshold', 'value', 'unbiased', 'correction', 'amsgrad', 'maximize', 'nesterov', 'dampening', 'stepSize', 'gamma', 'milestones', 'totalSteps', 'epochs', 'stepsPerEpoch', 'factor', 'patience', 'atol', 'rtol', 'numEmbeddings', 'paddingIdx', 'maxNormEmb', 'affine', 'trackRunningStats', 'elementwiseAffine', 'startDim', 'endDim', 'approximate', 'beta1', 'lambd', 'index', 'src', 'out',
  'largest', 'sorted', 'descending', 'stable', 'offset', 'dim1', 'dim2', 'diagonal', 'asTuple', 'includeSelf', 'returnInverse', 'returnCounts',
  'right', 'side', 'sorter', 'outInt32', 'outputSize', 'indexing', 'nan', 'posinf', 'neginf', 'keepDim'];

/** A tensor drawn from the pool: varied dtype and shape, sometimes a view, special values, or requiring grad. */
function genTensor(r: Rng): Tensor {
  const dtype = r.pick(DTYPES);
  const shape = r.pick(SHAPES);
  let t: Tensor;
  if (dtype === 'bool') t = torch.rand(shape).gt(0.5);
  else if (dtype === 'int32') t = torch.randint(-3, 6, shape, { dtype: 'int32' });
  else t = torch.randn(shape, { dtype });
  if (r.chance(0.1) && t.numel() > 0 && t.isFloatingPoint()) {
    t = t.clone();
    t.data[t.offset] = r.pick([NaN, Infinity, -Infinity, 1e30]);
  }
  const view = r.int(6);
  if (view === 0 && t.dim() >= 2) t = t.transpose(0, 1);
  else if (view === 1 && t.dim() >= 1 && t.shape[0]! > 1) t = t.narrow(0, 1, t.shape[0]! - 1);
  else if (view === 2 && t.dim() >= 1) t = t.unsqueeze(0).expand([2, ...t.shape]);
  if (r.chance(0.15) && t.isFloatingPoint()) {
    t = t.detach().clone().requiresGrad_();
    if (r.chance(0.5)) t = t.mul(1); // a non-leaf
  }
  if (r.chance(0.05) && t.isFloatingPoint()) t = new torch.nn.Parameter(t.detach());
  return t;
}

function genNumber(r: Rng): number {
  return r.chance(0.6) ? r.int(5) : r.pick(NUMBERS);
}

function genArray(r: Rng, depth: number): unknown[] {
  switch (r.int(8)) {
    case 0:
      return [];
    case 1:
      return Array.from({ length: 1 + r.int(4) }, () => 1 + r.int(4));
    case 2:
      return Array.from({ length: 1 + r.int(3) }, () => genNumber(r));
    case 3:
      return Array.from({ length: 1 + r.int(3) }, () => genTensor(r));
    case 4:
      return [[1, 2], [3]]; // ragged
    case 5:
      return Array.from({ length: 1 + r.int(3) }, () => genValue(r, depth + 1));
    case 6:
      return [-1, 3];
    default:
      return Array.from({ length: 9 }, (_, i) => i % 2 + 1);
  }
}

function genOptions(r: Rng, depth: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const n = r.int(4);
  for (let i = 0; i < n; i++) o[r.pick(OPTION_KEYS)] = genValue(r, depth + 1);
  return o;
}

/** Any argument: tensors and small integers most often (so calls get past the first check), then everything else. */
function genValue(r: Rng, depth = 0): unknown {
  const k = r.int(100);
  if (k < 30) return genTensor(r);
  if (k < 55) return genNumber(r);
  if (k < 60) return r.chance(0.5);
  if (k < 66) return r.pick(STRINGS);
  if (k < 70) return r.pick([null, undefined]);
  if (k < 80) return depth < 2 ? genArray(r, depth) : [];
  if (k < 90) return depth < 2 ? genOptions(r, depth) : {};
  switch (r.int(12)) {
    case 0:
      return () => 0;
    case 1:
      return 3n;
    case 2:
      return Symbol('s');
    case 3:
      return new torch.nn.Linear(3, 2);
    case 4:
      return new torch.Generator();
    case 5:
      return new Float32Array(3);
    case 6:
      return Object.create(null);
    case 7:
      return new Map();
    case 8:
      return [new torch.nn.Parameter(torch.randn(3, 2))];
    case 9:
      return [{ params: [new torch.nn.Parameter(torch.randn(2))], lr: r.pick([0.1, -1, NaN]) }];
    case 10:
      return new torch.nn.Sequential(new torch.nn.Linear(3, 2), new torch.nn.ReLU());
    default:
      return 'not a tensor';
  }
}

function genArgs(r: Rng): unknown[] {
  const n = r.pick([0, 1, 1, 2, 2, 2, 3, 3, 4]);
  return Array.from({ length: n }, () => genValue(r));
}

/** Plausible constructor arguments for the receiver of a class method; tried in turn, then random ones. */
const CTOR_ARGS: readonly (() => unknown[])[] = [
  () => [3, 2],
  () => [3],
  () => [],
  () => [3, 2, 2],
  () => [2, 4],
  () => [1, [3, 1]],
  () => [[new torch.nn.Parameter(torch.randn(3, 2))]],
  () => [torch.randn(4, 3), torch.randn(4)],
  () => [new torch.optim.SGD([new torch.nn.Parameter(torch.randn(3))], { lr: 0.1 }), 2],
  () => [new torch.optim.SGD([new torch.nn.Parameter(torch.randn(3))], { lr: 0.1 }), { maxLr: 1, totalSteps: 5 }],
  () => [new torch.optim.SGD([new torch.nn.Parameter(torch.randn(3))], { lr: 0.1 }), [1, 2]],
  () => [new torch.data.TensorDataset(torch.randn(5, 2)), { batchSize: 2 }],
];

function makeReceiver(entry: Entry, r: Rng): unknown {
  const cls = entry.cls!;
  for (const args of CTOR_ARGS) {
    try {
      return new cls(...args());
    } catch {
      // try the next
    }
  }
  for (let i = 0; i < 20; i++) {
    try {
      return new cls(...genArgs(r));
    } catch {
      // try again
    }
  }
  return undefined;
}

/** Calls the entry and consumes what it returns (an iterator is advanced a few steps, a promise awaited later). */
function prepare(entry: Entry, r: Rng): (() => unknown) | null {
  const self = entry.kind === 'method' ? makeReceiver(entry, r) : entry.kind === 'tensorMethod' ? genTensor(r) : undefined;
  if (entry.kind === 'method' && self === undefined) return null;
  const args = genArgs(r);
  if (process.env.TORCHLET_FUZZ_SHOW_ARGS) {
    const show = (v: unknown): string => (v instanceof torch.Tensor ? `Tensor(${v.dtype} [${v.shape.join(', ')}] strides [${v.strides.join(', ')}]${v.requiresGrad ? ' requiresGrad' : ''})` : typeof v === 'symbol' || typeof v === 'bigint' ? String(v) : Array.isArray(v) ? `[${v.map(show).join(', ')}]` : v && typeof v === 'object' ? (v.constructor?.name ?? 'null-proto') + (v.constructor === Object ? `{${Object.entries(v).map(([k, x]) => `${k}: ${show(x)}`).join(', ')}}` : '') : String(v));
    writeSync(2, `${entry.name}(${args.map(show).join(', ')})${self !== undefined ? ` on ${show(self)}` : ''}\n`);
  }
  if (entry.kind === 'constructor') return () => new (entry.fn as unknown as new (...a: unknown[]) => unknown)(...args);
  return () => entry.fn.apply(self, args);
}

function call(run: () => unknown): unknown {
  const out = run();
  if (out && typeof out === 'object' && typeof (out as Iterator<unknown>).next === 'function' && Symbol.iterator in out) {
    const it = out as unknown as Iterator<unknown>;
    for (let i = 0; i < 3 && !it.next().done; i++);
  }
  return out;
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * The runner reads results on fd 9, out of the way of calls that take a file descriptor for a path (save(t, 1)
 * would otherwise write into the results, load(1) would wait on them). A synchronous write, retried while the
 * socket is full (it is non-blocking).
 */
const RESULTS_FD = 9;

function line(s: string): void {
  const buf = Buffer.from(s + '\n');
  for (let off = 0; off < buf.length; ) {
    try {
      off += writeSync(RESULTS_FD, buf, off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(pause, 0, 0, 2);
    }
  }
}

function main(): void {
  const [seed, start, end] = process.argv.slice(2).map(Number) as [number, number, number];
  const entries = entryPoints(torch);
  process.on('unhandledRejection', () => undefined);
  for (let i = start; i < end; i++) {
    const entry = entries[i % entries.length]!;
    const r = new Rng(seed, i);
    torch.setDefaultDtype('float32');
    torch.manualSeed(i);
    // Arguments are made before the call, so a failure in making them is never charged to the entry.
    const run = prepare(entry, r);
    if (!run) {
      line(`R ${i} skipped ${entry.name} no receiver could be constructed`);
      continue;
    }
    line(`S ${i} ${entry.name}`);
    let outcome: Outcome = 'returned';
    let key = '';
    try {
      const out = call(run);
      if (out instanceof Promise) out.catch(() => undefined);
    } catch (e) {
      outcome = classifyError(entry.name, e);
      key = messageKey(e);
    }
    line(`R ${i} ${outcome} ${entry.name} ${key.replace(/\n/g, ' ')}`);
  }
  line(`E ${entries.length}`);
}

main();
