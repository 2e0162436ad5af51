/**
 * Replays the random programs of test/fixtures/diff_programs.json (scripts/gen_diff_programs.py) through torchlet's
 * public API and reports each disagreement with PyTorch as a class key (the op that disagrees and the kind of
 * disagreement) with a one-line detail.
 */
import * as torch from '../../lib';
import type { DType, Tensor } from '../../lib';
import { build, decode } from '../helpers/fixtures';
import type { Num, TensorJson } from '../helpers/fixtures';

type Json = Num | null | Json[] | { [k: string]: Json };

export interface OpRecord {
  op: string;
  /** How many of the next inputs to build before this op. */
  n?: number;
  in?: (number | number[])[];
  a?: Json[];
  kw?: Record<string, Json>;
}

interface Result extends TensorJson {
  rg: boolean;
}

interface PyError {
  at?: number;
  type: string;
  message: string;
}

export interface Program {
  id: number;
  inputs: (TensorJson & { grad: boolean })[];
  ops: OpRecord[];
  results: Result[][];
  error?: PyError;
  weights?: TensorJson[];
  grads?: (TensorJson | null)[];
  valueGrads?: Record<string, TensorJson | null>;
  gradError?: PyError;
  gradWeights?: (TensorJson | null)[];
  grads2?: (TensorJson | null)[] | null;
  valueGrads2?: Record<string, TensorJson | null>;
  grad2Error?: PyError;
}

export interface Disagreement {
  /** `op:kind`, e.g. 'logSoftmax:value', 'indexSelect:no-throw', 'prod:grad-nan'. */
  key: string;
  detail: string;
}

type AnyFn = (...args: unknown[]) => unknown;
const F = torch.nn.functional;

/** Numbers of the neutral form: 'nan' / 'inf' / '-inf' strings back to numbers, recursively. */
function num(v: Json): unknown {
  if (v === 'nan' || v === 'inf' || v === '-inf') return decode(v);
  if (Array.isArray(v)) return v.map(num);
  return v;
}

function lossOptions(kw: Record<string, Json>, vals: Tensor[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(kw)) o[k] = k === 'weight' || k === 'posWeight' ? vals[v as number] : num(v);
  return o;
}

/** Runs one op record on torchlet; returns its results. */
export function runOp(rec: OpRecord, vals: Tensor[], table: ReadonlySet<string>): Tensor[] {
  const t = (rec.in ?? []).map((i) => (Array.isArray(i) ? i.map((j) => vals[j]!) : vals[i]!));
  const x = t[0] as Tensor;
  const a = (rec.a ?? []).map(num) as unknown[];
  const kw = rec.kw ?? {};
  const op = rec.op;
  const base = op.endsWith('_') ? op.slice(0, -1) : op;
  const call = (self: Tensor, name: string, ...args: unknown[]): Tensor => (self[name as keyof Tensor] as AnyFn).apply(self, args) as Tensor;
  if (table.has(base)) {
    const fn = (torch as unknown as Record<string, AnyFn>)[base]!;
    const operands: unknown[] = [...t];
    if (kw.s !== undefined) {
      if (kw.rev) return [fn(num(kw.s), x) as Tensor];
      operands.push(num(kw.s));
    }
    const rest = [...operands.slice(1), ...a];
    if (kw.alpha !== undefined) rest.push(kw.alpha);
    if (op.endsWith('_')) {
      const r = call(x, op, ...rest);
      if (r !== x) throw new Error(`${op}: the in-place form did not return its input`);
      return [r];
    }
    return [fn(x, ...rest) as Tensor];
  }
  const [a0, a1, a2] = a as [never, never, never];
  switch (op) {
    case 'sum':
    case 'mean':
    case 'prod':
      return [a0 === null ? call(x, op) : call(x, op, a0, a1)];
    case 'max':
    case 'min':
      if (t.length === 2) return [call(x, op, t[1])];
      if (!a.length) return [call(x, op)];
      return [...(call(x, op, a0, a1) as unknown as Iterable<Tensor>)];
    case 'amax':
    case 'amin':
      return [call(x, op, a0, a1)];
    case 'argmax':
    case 'argmin':
      return [a0 === null ? call(x, op) : call(x, op, a0, a1)];
    case 'var':
    case 'std':
      return [call(x, op, a0, a1, a2)];
    case 'logsumexp':
      return [x.logsumexp(a0, a1)];
    case 'softmax':
      return [x.softmax(a0)];
    case 'logSoftmax':
      return [x.logSoftmax(a0)];
    case 'all':
      return [x.all()];
    case 'any':
      return [x.any()];
    case 'matmul':
      return [torch.matmul(x, t[1] as Tensor)];
    case 'mm':
      return [torch.mm(x, t[1] as Tensor)];
    case 'bmm':
      return [torch.bmm(x, t[1] as Tensor)];
    case 'dot':
      return [torch.dot(x, t[1] as Tensor)];
    case 'addmm':
      return [torch.addmm(x, t[1] as Tensor, t[2] as Tensor, { beta: num(kw.beta!) as number, alpha: num(kw.alpha!) as number })];
    case 'where':
      return [torch.where(x, t[1] as Tensor, t[2] as Tensor)];
    case 'transpose':
      return [x.transpose(a0, a1)];
    case 't':
      return [x.t()];
    case 'permute':
      return [x.permute(a0)];
    case 'reshape':
      return [x.reshape(a0)];
    case 'flatten':
      return [x.flatten(a0, a1)];
    case 'squeeze':
      return [a.length ? x.squeeze(a0) : x.squeeze()];
    case 'unsqueeze':
      return [x.unsqueeze(a0)];
    case 'expand':
      return [x.expand(a0)];
    case 'broadcastTo':
      return [torch.broadcastTo(x, a0)];
    case 'narrow':
      return [x.narrow(a0, a1, a2)];
    case 'select':
      return [x.select(a0, a1)];
    case 'index': {
      const specs = (a0 as Json[]).map((s) => (s !== null && typeof s === 'object' && !Array.isArray(s) ? vals[s.t as number]! : s));
      return [x.index(...(specs as torch.IndexSpec[]))];
    }
    case 'cat':
      return [torch.cat(t[0] as Tensor[], a0)];
    case 'stack':
      return [torch.stack(t[0] as Tensor[], a0)];
    case 'split':
      return x.split(a0, a1);
    case 'chunk':
      return x.chunk(a0, a1);
    case 'unbind':
      return x.unbind(a0);
    case 'clone':
      return [x.clone()];
    case 'contiguous':
      return [x.contiguous()];
    case 'to':
      return [x.to(a0 as DType)];
    case 'gather':
      return [x.gather(a0, t[1] as Tensor)];
    case 'indexSelect':
      return [x.indexSelect(a0, t[1] as Tensor)];
    case 'scatterAdd':
      return [x.scatterAdd(a0, t[1] as Tensor, t[2] as Tensor)];
    case 'indexAdd':
      return [x.indexAdd(a0, t[1] as Tensor, t[2] as Tensor)];
    case 'elu':
      return [F.elu(x, a0)];
    case 'silu':
      return [F.silu(x)];
    case 'gelu':
      return [F.gelu(x, a0)];
    case 'softplus':
      return [F.softplus(x, a0, a1)];
    case 'linear':
      return [F.linear(x, t[1] as Tensor, (t[2] as Tensor | undefined) ?? null)];
    case 'l1Loss':
    case 'mseLoss':
    case 'smoothL1Loss':
    case 'huberLoss':
    case 'nllLoss':
    case 'crossEntropy':
    case 'binaryCrossEntropy':
    case 'binaryCrossEntropyWithLogits':
    case 'klDiv':
      return [(F[op] as AnyFn)(x, t[1], lossOptions(kw, vals)) as Tensor];
    case 'conv1d':
    case 'conv2d':
    case 'convTranspose2d':
      return [(F[op] as AnyFn)(x, t[1], t[2] ?? null, lossOptions(kw, vals)) as Tensor];
    case 'maxPool2d':
    case 'avgPool2d':
      return [(F[op] as AnyFn)(x, a0, lossOptions(kw, vals)) as Tensor];
    case 'adaptiveAvgPool2d':
    case 'adaptiveMaxPool2d':
      return [(F[op] as AnyFn)(x, a0) as Tensor];
    default:
      throw new Error(`differential: no torchlet spelling for fixture op '${op}'`);
  }
}

// ---- comparison ------------------------------------------------------------------------------------------------

/** Tolerances by dtype: values, then gradients (which run through more float32 arithmetic). */
const TOL = {
  float32: { value: [1e-4, 1e-5], grad: [1e-3, 1e-4] },
  float64: { value: [1e-9, 1e-12], grad: [1e-7, 1e-10] },
} as const;

function flat(t: Tensor): number[] {
  return (t.reshape([-1]).tolist() as (number | boolean)[]).map(Number);
}

/**
 * Compares a tensor with PyTorch's; returns the kind of disagreement ('dtype', 'shape', 'nan', 'inf', 'value') and
 * a detail, or null. Non-finite values must sit at the same positions with the same signs; finite ones agree
 * within rtol * |expected| + atol * (the largest finite |expected|, at least 1).
 */
export function compare(got: Tensor, want: TensorJson, which: 'value' | 'grad', single = false): [string, string] | null {
  if (got.dtype !== want.dtype) return ['dtype', `dtype ${got.dtype}, PyTorch ${want.dtype}`];
  if (got.shape.length !== want.shape.length || got.shape.some((s, i) => s !== want.shape[i])) {
    return ['shape', `shape [${got.shape.join(', ')}], PyTorch [${want.shape.join(', ')}]`];
  }
  const g = flat(got);
  const w = want.data.map(decode);
  // A float64 result computed from float32 values carries float32 rounding: `single` compares it as float32.
  const tol = got.dtype === 'float32' || got.dtype === 'float64' ? TOL[single ? 'float32' : got.dtype][which] : [0, 0];
  const [rtol, atol] = tol as readonly [number, number];
  const scale = Math.max(1, ...w.filter(Number.isFinite).map(Math.abs));
  for (let i = 0; i < w.length; i++) {
    const a = g[i]!;
    const e = w[i]!;
    if (a === e || (Number.isNaN(a) && Number.isNaN(e))) continue;
    const at = `element ${i}: got ${a}, PyTorch ${e}`;
    if (Number.isNaN(a) || Number.isNaN(e)) return ['nan', at];
    if (!Number.isFinite(a) || !Number.isFinite(e)) return ['inf', at];
    if (!(Math.abs(a - e) <= rtol * Math.abs(e) + atol * scale)) return ['value', at];
  }
  return null;
}

/** A gradient: PyTorch's None and a tensor of zeros are the same answer. */
function compareGrad(got: Tensor | null, want: TensorJson | null, shapeIfNull: readonly number[], single: boolean): [string, string] | null {
  const isZero = (w: TensorJson): boolean => w.data.every((v) => v === 0);
  if (want === null && got === null) return null;
  if (want === null) return compare(got!, { shape: [...got!.shape], dtype: got!.dtype, data: new Array<Num>(got!.numel()).fill(0) }, 'grad', single);
  if (got === null) return isZero(want) ? null : ['null', `got no gradient, PyTorch [${want.shape.join(', ')}] nonzero (input shape [${shapeIfNull.join(', ')}])`];
  return compare(got, want, 'grad', single);
}

/** Whether float32 arithmetic takes part in the program (its inputs or results): then float32 tolerances apply. */
function usesFloat32(p: Program): boolean {
  return p.inputs.some((i) => i.dtype === 'float32') || p.results.some((r) => r.some((o) => o.dtype === 'float32'));
}

const INTERNAL = /Cannot read prop|is not a function|is not iterable|is not defined|Invalid array length|call stack|undefined/;

/** A message with its numbers, shapes and quoted names blurred, so one cause gives one class key. */
export function blur(message: string): string {
  return message
    .replace(/\(PyTorch returns a result\)$/, '')
    .replace(/\[[^\]]*\]/g, '[]')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/-?\d+(\.\d+)?(e[-+]?\d+)?/g, 'N')
    .trim()
    .slice(0, 90);
}

/** The kind of a throw from torchlet: a proper error, or a JS bug surfacing as one. */
function thrownKind(e: unknown): [string, string] {
  const err = e as Error;
  const message = `${err?.name}: ${String(err?.message).split('\n')[0]!.slice(0, 200)}`;
  if (!(err instanceof Error) && !(typeof err === 'object' && err !== null && 'message' in err)) return ['internal-error', String(e)];
  if (!['TypeError', 'RangeError', 'Error'].includes(err.name) || INTERNAL.test(err.message)) return ['internal-error', message];
  return ['ok', message];
}

const OP_RETURNS_SELF = new Set(['contiguous', 'to']);

/** Whether PyTorch returns the input object itself: OP_RETURNS_SELF, or flatten of one dim (start_dim == end_dim). */
function returnsSelf(rec: OpRecord, vals: Tensor[]): boolean {
  if (OP_RETURNS_SELF.has(rec.op)) return true;
  const x = vals[(rec.in ?? [])[0] as number];
  if (rec.op !== 'flatten' || !x || x.dim() === 0) return false;
  const [s, e] = (rec.a ?? [0, -1]) as number[];
  return (s! + x.dim()) % x.dim() === (e! + x.dim()) % x.dim();
}

/** The value indices an op reads (its tensors, a loss's weights, index tensors). */
function inputsOf(rec: OpRecord): number[] {
  const ins = (rec.in ?? []).flat();
  for (const k of ['weight', 'posWeight']) if (typeof rec.kw?.[k] === 'number') ins.push(rec.kw[k] as number);
  return ins;
}

const hasNonFinite = (t: Tensor): boolean => (t.dtype === 'float32' || t.dtype === 'float64') && flat(t).some((v) => !Number.isFinite(v));

/**
 * Context that tells causes apart: '@empty' when an input or result of the op has no elements, '@nonfinite' when an
 * input (or, for gradients, an incoming gradient) holds NaN or an infinity.
 */
function tags(rec: OpRecord, vals: Tensor[], outs: Tensor[] = [], incoming: (TensorJson | null | undefined)[] = []): string {
  const ins = inputsOf(rec).map((i) => vals[i]!).filter((t) => t !== undefined);
  let tag = '';
  if ([...ins, ...outs].some((t) => t.numel() === 0)) tag += '@empty';
  const incomingBad = incoming.some((g) => g?.data.some((v) => typeof v === 'string'));
  if (ins.some(hasNonFinite) || incomingBad) tag += '@nonfinite';
  return tag;
}

/**
 * Replays one program; returns its disagreements with PyTorch: the first one that stops the replay (last), after
 * any that do not.
 */
export function replay(p: Program, table: ReadonlySet<string>): Disagreement[] {
  const soft: Disagreement[] = [];
  const hard = replayProgram(p, table, soft);
  return hard ? [...soft, hard] : soft;
}

function replayProgram(p: Program, table: ReadonlySet<string>, soft: Disagreement[]): Disagreement | null {
  const vals: Tensor[] = [];
  const leaves: Tensor[] = [];
  // For each value: the leaf it views (its input's base) or null; and the op that produced it (-1: an input).
  const leafOf: (number | null)[] = [];
  const producer: number[] = [];
  let next = 0;
  for (let k = 0; k < p.ops.length; k++) {
    const rec = p.ops[k]!;
    for (let i = 0; i < (rec.n ?? 0); i++) {
      const spec = p.inputs[next++]!;
      try {
        vals.push(build(spec, spec.grad ? (b) => leaves.push(b) : undefined));
      } catch (e) {
        const kinds = (spec.steps ?? []).map((st) => st[0] as string).join('+');
        return { key: `input(${kinds}):throws`, detail: thrownKind(e)[1] };
      }
      leafOf.push(spec.grad ? leaves.length - 1 : null);
      producer.push(-1);
    }
    const expectThrow = p.error?.at === k;
    let outs: Tensor[];
    try {
      outs = runOp(rec, vals, table);
    } catch (e) {
      const [kind, message] = thrownKind(e);
      if (kind === 'internal-error') return { key: `${rec.op}:internal-error[${blur(message)}]`, detail: message };
      if (expectThrow) return null;
      return { key: `${rec.op}:throws${tags(rec, vals)}[${blur(message)}]`, detail: `${message} (PyTorch returns a result)` };
    }
    if (expectThrow) {
      return { key: `${rec.op}:no-throw${tags(rec, vals)}[${blur(`${p.error!.type}: ${p.error!.message}`)}]`, detail: `PyTorch raises ${p.error!.type}: ${p.error!.message}` };
    }
    // PyTorch's out-of-place ops return a new tensor object (contiguous and a same-dtype `to` may return self).
    // Reported, but the replay goes on: it only matters to code that tells tensors apart by identity.
    if (!returnsSelf(rec, vals) && !rec.op.endsWith('_') && outs.some((o) => inputsOf(rec).some((i) => vals[i] === o))) {
      soft.push({ key: `${rec.op}:returns-its-input`, detail: 'the result is the input object itself; PyTorch returns a new tensor' });
    }
    const want = p.results[k]!;
    if (outs.length !== want.length) return { key: `${rec.op}:count`, detail: `${outs.length} results, PyTorch ${want.length}` };
    for (let i = 0; i < outs.length; i++) {
      const bad = compare(outs[i]!, want[i]!, 'value', usesFloat32(p));
      if (bad) return { key: `${rec.op}:${bad[0]}${tags(rec, vals, outs)}`, detail: `result ${i}: ${bad[1]}` };
      if (outs[i]!.requiresGrad !== want[i]!.rg) {
        return { key: `${rec.op}:requiresGrad${tags(rec, vals, outs)}`, detail: `result ${i}: requiresGrad ${outs[i]!.requiresGrad}, PyTorch ${want[i]!.rg}` };
      }
      vals.push(outs[i]!);
      leafOf.push(null);
      producer.push(k);
    }
  }
  if (p.error || (!p.weights && !p.gradError)) return null;
  return replayGrads(p, vals, leaves, leafOf, producer);
}

function replayGrads(p: Program, vals: Tensor[], leaves: Tensor[], leafOf: (number | null)[], producer: number[]): Disagreement | null {
  const lastOp = p.ops[p.ops.length - 1]!.op;
  const lastOuts = vals.slice(vals.length - p.results[p.results.length - 1]!.length).filter((o) => o.requiresGrad);
  // A value that is the same object as an earlier one (a view op that returned its input) has the earlier one's
  // gradient here, not PyTorch's: it is left out.
  const targets = Object.keys(p.valueGrads ?? {})
    .map(Number)
    .filter((v) => vals.indexOf(vals[v]!) === v);
  const double = p.gradWeights !== undefined;
  let gs: (Tensor | null)[];
  let loss: Tensor;
  try {
    if (p.gradError) {
      loss = lastOuts.map((o) => o.sum()).reduce((s, v) => s.add(v));
      torch.autograd.grad(loss, leaves, { allowUnused: true });
      const pyError = `${p.gradError.type}: ${p.gradError.message}`;
      return { key: `${lastOp}:grad-no-throw[${blur(pyError)}]`, detail: `PyTorch raises ${pyError}` };
    }
    loss = lastOuts.map((o, i) => o.mul(build(p.weights![i]!)).sum()).reduce((s, v) => s.add(v));
    gs = torch.autograd.grad(loss, [...leaves, ...targets.map((i) => vals[i]!)], { allowUnused: true, retainGraph: true, createGraph: double });
  } catch (e) {
    const [kind, message] = thrownKind(e);
    if (p.gradError && kind === 'ok') return null;
    const ops = [...new Set(p.ops.map((o) => o.op))].join('+');
    return { key: `backward:${kind === 'ok' ? 'throws' : kind}[${blur(message)}]`, detail: `${message} (ops: ${ops})` };
  }
  const bad = blame(p, 'grad', gs, p.grads!, p.valueGrads ?? {}, targets, vals, leafOf, producer);
  if (bad) return bad;
  if (!double) return null;
  return replayDouble(p, vals, leaves, gs, targets, leafOf, producer);
}

/**
 * Compares gradients (of the leaves, then of the target values) with PyTorch's and blames an op: the latest op whose
 * results' gradients agree while one of its inputs' gradients does not. When other such ops read the same value,
 * the class names them all (the gradients cannot tell them apart). An op none of whose results requires grad in
 * PyTorch (a comparison, say) passes no gradient and is not blamed.
 */
function blame(
  p: Program,
  order: 'grad' | 'grad2',
  got: (Tensor | null)[],
  wantLeaves: (TensorJson | null)[] | null,
  wantValues: Record<string, TensorJson | null>,
  targets: number[],
  vals: Tensor[],
  leafOf: (number | null)[],
  producer: number[],
): Disagreement | null {
  const single = usesFloat32(p);
  const nLeaves = leafOf.filter((l) => l !== null).length;
  // Which gradients disagree: a leaf's gradient stands for its input value.
  const bad = new Map<number, [string, string]>();
  for (let j = 0; j < nLeaves; j++) {
    const d = compareGrad(got[j] ?? null, wantLeaves ? wantLeaves[j]! : null, [], single);
    if (d) bad.set(leafOf.indexOf(j), d);
  }
  targets.forEach((v, j) => {
    const d = compareGrad(got[nLeaves + j] ?? null, wantValues[String(v)] ?? null, vals[v]!.shape, single);
    if (d) bad.set(v, d);
  });
  // A value that is the same object as an earlier one (left out of the targets) shares its verdict.
  vals.forEach((t, v) => {
    const first = vals.indexOf(t);
    if (first !== v && bad.has(first)) bad.set(v, bad.get(first)!);
  });
  if (!bad.size) return null;
  // Second derivatives of intermediate values depend on which tensors each backward saved (PyTorch saves tanh's
  // result, say): they only locate a disagreement that the leaves show.
  if (order === 'grad2' && ![...bad.keys()].some((v) => leafOf[v] !== null && leafOf[v] !== undefined)) return null;
  // Second derivatives cannot be told apart along a chain: the key says when a convolution or pooling takes part.
  const convPool = order === 'grad2' && p.ops.some((o) => /^(conv|maxPool|avgPool|adaptive)/.test(o.op)) ? '~convpool' : '';
  const outsOk = (k: number): boolean => p.results[k]!.some((o) => o.rg) && producer.every((pk, v) => pk !== k || !bad.has(v));
  for (let k = p.ops.length - 1; k >= 0; k--) {
    const badIn = inputsOf(p.ops[k]!).find((v) => bad.has(v));
    if (outsOk(k) && badIn !== undefined) {
      const [kind, detail] = bad.get(badIn)!;
      const blamed = p.ops.map((_, j) => j).filter((j) => outsOk(j) && inputsOf(p.ops[j]!).includes(badIn));
      const names = [...new Set(blamed.map((j) => p.ops[j]!.op))].sort().join('|');
      const outs = producer.flatMap((pk, v) => (blamed.includes(pk) ? [vals[v]!] : []));
      const incoming = producer.flatMap((pk, v) => (blamed.includes(pk) ? [wantValues[String(v)]] : []));
      const tag = blamed.map((j) => tags(p.ops[j]!, vals, outs, incoming)).sort().pop()!;
      return { key: `${names}:${order}-${kind}${tag}${convPool}`, detail: `${order} of value ${badIn}: ${detail}` };
    }
  }
  const [v, [kind, detail]] = [...bad.entries()][0]!;
  return { key: `${p.ops[p.ops.length - 1]!.op}:${order}-${kind}${convPool}`, detail: `${order} of value ${v}: ${detail}` };
}

function replayDouble(
  p: Program,
  vals: Tensor[],
  leaves: Tensor[],
  gs: (Tensor | null)[],
  targets: number[],
  leafOf: (number | null)[],
  producer: number[],
): Disagreement | null {
  const terms: Tensor[] = [];
  leaves.forEach((_, j) => {
    const g = gs[j];
    const u = p.gradWeights![j];
    if (g && g.requiresGrad && u) terms.push(g.mul(build(u)).sum());
  });
  const wrt = [...leaves, ...targets.map((v) => vals[v]!)];
  let gg: (Tensor | null)[] = wrt.map(() => null);
  try {
    if (terms.length) gg = torch.autograd.grad(terms.reduce((s, v) => s.add(v)), wrt, { allowUnused: true });
    if (p.grad2Error) return { key: 'double-backward:no-throw', detail: `PyTorch raises ${p.grad2Error.type}: ${p.grad2Error.message}` };
  } catch (e) {
    const [kind, message] = thrownKind(e);
    if (p.grad2Error && kind === 'ok') return null;
    const ops = [...new Set(p.ops.map((o) => o.op))].join('+');
    return { key: `double-backward:${kind === 'ok' ? 'throws' : kind}[${blur(message)}]`, detail: `${message} (ops: ${ops})` };
  }
  return blame(p, 'grad2', gg, p.grads2 ?? null, p.valueGrads2 ?? {}, targets, vals, leafOf, producer);
}
