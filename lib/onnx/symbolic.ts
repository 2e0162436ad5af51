/**
 * One converter per torchlet op: given the op's arguments (a method's tensor first) and its traced result, it
 * appends the ONNX nodes that compute the same result and binds the result to their output, as PyTorch's
 * torch/onnx/symbolic_opset*.py do. Attributes come from the arguments; sizes that depend on the batch are written
 * so that another batch size runs (Reshape with 0 and -1, Expand with 1, Shape of a tensor).
 */
import { Tensor } from '../tensor';
import type { DType } from '../dtype';
import { resultType } from '../dtype';
import { normalizeDim } from '../shape';
import type { MaxMin } from '../ops/reduce';
import { GraphBuilder, INT64_MAX, elemType, float, int, ints } from './graph';
import type { Attr } from './graph';

export type Converter = (g: GraphBuilder, args: readonly unknown[], out: unknown) => void;

/** An op the exporter cannot write: the error names it. */
export function unsupported(op: string, why = 'has no ONNX export yet'): TypeError {
  return new TypeError(`torch.onnx.export: the op '${op}' ${why}`);
}

// ---- helpers --------------------------------------------------------------------------------------------------

/** A dim counted from the end made positive (the op itself has already checked it). */
const nd = (d: number, rank: number): number => normalizeDim('torch.onnx.export', d, rank);
const tensorAt = (args: readonly unknown[], i: number): Tensor => args[i] as Tensor;
const num = (v: unknown, dflt: number): number => (typeof v === 'number' ? v : dflt);

/** x converted to dtype by a Cast node (x itself when it already is). */
function castTo(g: GraphBuilder, x: string, from: DType, to: DType): string {
  return from === to ? x : g.op('Cast', [x], { to: int(elemType(to)) });
}

/** A tensor operand converted to dtype, or a number as a scalar constant of dtype. */
function operand(g: GraphBuilder, v: unknown, dtype: DType): string {
  if (v instanceof Tensor) return castTo(g, g.value(v), v.dtype, dtype);
  return g.constant([Number(v)], dtype, []);
}

/** The dims an op reduces: all of them for undefined, null or [], else each normalized. */
function reducedDims(dim: unknown, rank: number): number[] {
  if (dim === undefined || dim === null || (Array.isArray(dim) && dim.length === 0)) return Array.from({ length: rank }, (_, i) => i);
  return (Array.isArray(dim) ? (dim as number[]) : [dim as number]).map((d) => nd(d, rank));
}

/** Numbers given as separate arguments or as one array (view(2, 3) and view([2, 3])). */
function sizes(args: readonly unknown[]): number[] {
  return args.flatMap((a) => (Array.isArray(a) ? (a as number[]) : [a as number]));
}

/**
 * Reshape's target for a traced reshape from `from` to `to`: the leading dims that keep their size are copied from
 * the input at run time (0), the next one is inferred (-1), the rest are literal; so a batch dim that is kept, or
 * merged into the first changed dim, follows the input's size.
 */
export function reshapeTarget(from: readonly number[], to: readonly number[]): number[] {
  if (to.includes(0)) return [...to];
  let k = 0;
  while (k < from.length && k < to.length && from[k] === to[k]) k++;
  return to.map((s, i) => (i < k ? 0 : i === k ? -1 : s));
}

function reshape(g: GraphBuilder, x: Tensor, out: Tensor): void {
  g.bind(out, g.op('Reshape', [g.value(x), g.int64s(reshapeTarget(x.shape, out.shape))]));
}

/** Expand's target: 1 where the input already has the size (so it follows the input's own size at run time). */
function expandTarget(from: readonly number[], to: readonly number[]): number[] {
  const lead = to.length - from.length;
  return to.map((s, i) => (i >= lead && from[i - lead] === s ? 1 : s));
}

function bindAll(g: GraphBuilder, outs: readonly Tensor[], names: readonly string[]): void {
  outs.forEach((t, i) => g.bind(t, names[i]!));
}

/** Runs emit on a batched view of x: a missing batch dim (an unbatched conv or pool input) is added and removed. */
function batched(g: GraphBuilder, x: Tensor, unbatchedRank: number, emit: (x: string) => string): string {
  if (x.dim() !== unbatchedRank) return emit(g.value(x));
  const zero = g.int64s([0]);
  return g.op('Squeeze', [emit(g.op('Unsqueeze', [g.value(x), zero])), zero]);
}

/** A size argument as n numbers (one number repeated). */
function nTuple(v: unknown, n: number, dflt: number): number[] {
  if (v === undefined || v === null) return new Array<number>(n).fill(dflt);
  return Array.isArray(v) ? (v as number[]).slice() : new Array<number>(n).fill(v as number);
}

// ---- pointwise ------------------------------------------------------------------------------------------------

/** A unary op computed in the result's dtype by one ONNX op. */
const unary = (type: string): Converter => (g, args, out) => {
  const x = tensorAt(args, 0);
  const o = out as Tensor;
  g.bind(o, g.op(type, [operand(g, x, o.dtype)]));
};

/** A unary op written with several ONNX ops on the input converted to the result's dtype. */
const unaryWith = (emit: (g: GraphBuilder, x: string, dtype: DType) => string): Converter => (g, args, out) => {
  const o = out as Tensor;
  g.bind(o, emit(g, operand(g, args[0], o.dtype), o.dtype));
};

/** Rounding ops return integer inputs as they are. */
const rounding = (type: string): Converter => (g, args, out) => {
  const x = tensorAt(args, 0);
  g.bind(out as Tensor, x.dtype === 'int32' ? g.op('Identity', [g.value(x)]) : g.op(type, [g.value(x)]));
};

/** A binary op in the result's dtype; bool results of arithmetic ops are logical (add: or, mul: and). */
const binary = (type: string, logical?: string): Converter => (g, args, out) => {
  const o = out as Tensor;
  const t = logical !== undefined && o.dtype === 'bool' ? logical : type;
  g.bind(o, g.op(t, [operand(g, args[0], o.dtype), operand(g, args[1], o.dtype)]));
};

/** The alpha of add/sub: a number or { alpha }. */
function alphaOf(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v !== null && typeof v === 'object' && typeof (v as { alpha?: unknown }).alpha === 'number') return (v as { alpha: number }).alpha;
  return 1;
}

const addSub = (type: 'Add' | 'Sub'): Converter => (g, args, out) => {
  const o = out as Tensor;
  const a = operand(g, args[0], o.dtype);
  if (o.dtype === 'bool') return g.bind(o, g.op('Or', [a, operand(g, args[1], 'bool')]));
  let b = operand(g, args[1], o.dtype);
  const alpha = alphaOf(args[2]);
  if (alpha !== 1) b = g.op('Mul', [b, g.constant([alpha], o.dtype, [])]);
  g.bind(o, g.op(type, [a, b]));
};

/** A comparison: both operands in their common dtype. */
const compare = (type: string, negate = false): Converter => (g, args, out) => {
  const common = resultType(args.slice(0, 2) as (Tensor | number)[]);
  const r = g.op(type, [operand(g, args[0], common), operand(g, args[1], common)]);
  g.bind(out as Tensor, negate ? g.op('Not', [r]) : r);
};

const logical = (type: string): Converter => (g, args, out) => {
  g.bind(out as Tensor, g.op(type, [operand(g, args[0], 'bool'), operand(g, args[1], 'bool')]));
};

/** The result's dtype from a Cast (to, float, double, int, long, bool). */
const cast: Converter = (g, args, out) => {
  const x = tensorAt(args, 0);
  const o = out as Tensor;
  g.bind(o, x.dtype === o.dtype ? g.op('Identity', [g.value(x)]) : castTo(g, g.value(x), x.dtype, o.dtype));
};

const identity: Converter = (g, args, out) => {
  g.bind(out as Tensor, g.op('Identity', [g.value(tensorAt(args, 0))]));
};

const half = (g: GraphBuilder, dtype: DType, v: number): string => g.constant([v], dtype, []);

/** 0.5 x (1 + erf(x / sqrt 2)), or the tanh form, as PyTorch's gelu (ONNX's Gelu op is opset 20). */
function gelu(g: GraphBuilder, x: string, dtype: DType, approximate: unknown): string {
  let inner: string;
  if (approximate === 'tanh') {
    const cube = g.op('Mul', [g.op('Mul', [x, x]), x]);
    const arg = g.op('Mul', [g.op('Add', [x, g.op('Mul', [cube, half(g, dtype, 0.044715)])]), half(g, dtype, Math.sqrt(2 / Math.PI))]);
    inner = g.op('Tanh', [arg]);
  } else {
    inner = g.op('Erf', [g.op('Div', [x, half(g, dtype, Math.SQRT2)])]);
  }
  return g.op('Mul', [g.op('Mul', [x, half(g, dtype, 0.5)]), g.op('Add', [inner, half(g, dtype, 1)])]);
}

// ---- reductions -----------------------------------------------------------------------------------------------

/** A reduction whose axes are an input (ReduceSum from opset 13) or an attribute (the others, until opset 18). */
function reduceOp(g: GraphBuilder, type: string, x: string, axes: readonly number[], keepDim: boolean): string {
  if (type === 'ReduceSum') return g.op(type, [x, g.int64s(axes)], { keepdims: int(keepDim ? 1 : 0) });
  return g.op(type, [x], { axes: ints(axes), keepdims: int(keepDim ? 1 : 0) });
}

const reduction = (type: string): Converter => (g, args, out) => {
  const x = tensorAt(args, 0);
  const o = out as Tensor;
  const axes = reducedDims(args[1], x.dim());
  const keep = args[2] === true;
  if (x.dim() === 0) return g.bind(o, castTo(g, g.value(x), x.dtype, o.dtype));
  g.bind(o, reduceOp(g, type, operand(g, x, o.dtype), axes, keep));
};

/** The (biased or unbiased) variance over dims; the count is the traced one. */
function variance(g: GraphBuilder, args: readonly unknown[], o: Tensor): string {
  const x = tensorAt(args, 0);
  const axes = reducedDims(args[1], x.dim());
  const unbiased = args[2] !== false;
  const keep = args[3] === true;
  const v = g.value(x);
  const centered = g.op('Sub', [v, reduceOp(g, 'ReduceMean', v, axes, true)]);
  const ss = reduceOp(g, 'ReduceSum', g.op('Mul', [centered, centered]), axes, keep);
  const n = axes.reduce((p, d) => p * x.shape[d]!, 1);
  return g.op('Div', [ss, g.constant([n - (unbiased ? 1 : 0)], o.dtype, [])]);
}

/** max/min: over everything, against another tensor, or along a dim with the indices. */
const extreme = (which: 'Max' | 'Min'): Converter => (g, args, out) => {
  const x = tensorAt(args, 0);
  if (args[1] instanceof Tensor) return binary(which)(g, args, out);
  if (typeof args[1] !== 'number') return reduction(`Reduce${which}`)(g, [x], out);
  const { values, indices } = out as MaxMin;
  const d = nd(args[1], Math.max(x.dim(), 1));
  const keep = args[2] === true;
  const v = g.value(x);
  if (x.dim() === 0) {
    g.bind(values, g.op('Identity', [v]));
    g.bind(indices, g.constant([0], 'int32', []));
    return;
  }
  g.bind(values, reduceOp(g, `Reduce${which}`, v, [d], keep));
  g.bind(indices, g.op('Cast', [g.op(`Arg${which}`, [v], { axis: int(d), keepdims: int(keep ? 1 : 0) })], { to: int(elemType('int32')) }));
};

const argExtreme = (which: 'Max' | 'Min'): Converter => (g, args, out) => {
  const x = tensorAt(args, 0);
  const o = out as Tensor;
  const dim = args[1];
  let v = g.value(x);
  let r: string;
  if (dim === undefined || dim === null || x.dim() === 0) {
    v = g.op('Reshape', [v, g.int64s([-1])]);
    r = g.op(`Arg${which}`, [v], { axis: int(0), keepdims: int(0) });
    if (o.dim() > 0) r = g.op('Reshape', [r, g.int64s(o.shape)]);
  } else {
    r = g.op(`Arg${which}`, [v], { axis: int(nd(dim as number, x.dim())), keepdims: int(args[2] === true ? 1 : 0) });
  }
  g.bind(o, g.op('Cast', [r], { to: int(elemType('int32')) }));
};

/** all/any: the elements as 0/1, their min/max, as bool. */
const allAny = (type: 'ReduceMin' | 'ReduceMax'): Converter => (g, args, out) => {
  const x = tensorAt(args, 0);
  const as01 = castTo(g, castTo(g, g.value(x), x.dtype, 'bool'), 'bool', 'int32');
  const flat = g.op('Reshape', [as01, g.int64s([-1])]);
  const r = x.numel() === 0 ? g.constant([type === 'ReduceMin' ? 1 : 0], 'int32', []) : reduceOp(g, type, flat, [0], false);
  g.bind(out as Tensor, castTo(g, r, 'int32', 'bool'));
};

// ---- movement -------------------------------------------------------------------------------------------------

const reshapeOp: Converter = (g, args, out) => reshape(g, tensorAt(args, 0), out as Tensor);

const reshapeLike: Converter = (g, args, out) => {
  g.bind(out as Tensor, g.op('Reshape', [g.value(tensorAt(args, 0)), g.op('Shape', [g.value(tensorAt(args, 1))])]));
};

function transposeBy(g: GraphBuilder, x: Tensor, perm: readonly number[], out: Tensor): void {
  g.bind(out, perm.every((p, i) => p === i) ? g.op('Identity', [g.value(x)]) : g.op('Transpose', [g.value(x)], { perm: ints(perm) }));
}

const permute: Converter = (g, args, out) => {
  const x = tensorAt(args, 0);
  transposeBy(g, x, sizes(args.slice(1)).map((d) => nd(d, x.dim())), out as Tensor);
};

const transpose: Converter = (g, args, out) => {
  const x = tensorAt(args, 0);
  const perm = Array.from({ length: x.dim() }, (_, i) => i);
  if (x.dim() > 0) {
    const a = nd(args[1] as number, x.dim());
    const b = nd(args[2] as number, x.dim());
    [perm[a], perm[b]] = [perm[b]!, perm[a]!];
  }
  transposeBy(g, x, perm, out as Tensor);
};

const reversed: Converter = (g, args, out) => {
  const x = tensorAt(args, 0);
  transposeBy(g, x, Array.from({ length: x.dim() }, (_, i) => x.dim() - 1 - i), out as Tensor);
};

const unsqueeze: Converter = (g, args, out) => {
  const o = out as Tensor;
  g.bind(o, g.op('Unsqueeze', [g.value(tensorAt(args, 0)), g.int64s([nd(args[1] as number, o.dim())])]));
};

const squeeze: Converter = (g, args, out) => {
  const x = tensorAt(args, 0);
  const axes = args[1] === undefined || args[1] === null
    ? x.shape.flatMap((s, i) => (s === 1 ? [i] : []))
    : [nd(args[1] as number, Math.max(x.dim(), 1))].filter((d) => x.shape[d] === 1);
  g.bind(out as Tensor, axes.length === 0 ? g.op('Identity', [g.value(x)]) : g.op('Squeeze', [g.value(x), g.int64s(axes)]));
};

const expand: Converter = (g, args, out) => {
  const x = tensorAt(args, 0);
  const o = out as Tensor;
  g.bind(o, g.op('Expand', [g.value(x), g.int64s(expandTarget(x.shape, o.shape))]));
};

const expandAs: Converter = (g, args, out) => {
  g.bind(out as Tensor, g.op('Expand', [g.value(tensorAt(args, 0)), g.op('Shape', [g.value(tensorAt(args, 1))])]));
};

function sliceOp(g: GraphBuilder, x: string, dim: number, start: number | bigint, end: number | bigint, step = 1): string {
  return g.op('Slice', [x, g.int64s([start]), g.int64s([end]), g.int64s([dim]), g.int64s([step])]);
}

const narrow: Converter = (g, args, out) => {
  const x = tensorAt(args, 0);
  const d = nd(args[1] as number, x.dim());
  const start = (args[2] as number) < 0 ? (args[2] as number) + x.shape[d]! : (args[2] as number);
  g.bind(out as Tensor, sliceOp(g, g.value(x), d, start, start + (args[3] as number)));
};

/** A Python slice: an open end runs to the end of the dim whatever its size. */
function pySlice(g: GraphBuilder, x: string, d: number, start: number | null, stop: number | null, step: number): string {
  return sliceOp(g, x, d, start ?? 0, stop ?? INT64_MAX, step);
}

const slice: Converter = (g, args, out) => {
  const x = tensorAt(args, 0);
  const d = nd(args[1] as number, x.dim());
  g.bind(out as Tensor, pySlice(g, g.value(x), d, args[2] as number | null, args[3] as number | null, num(args[4], 1)));
};

/** x.select(d, i): Gather with a 0-d index drops the dim; a negative i counts from the end at run time. */
function select(g: GraphBuilder, x: string, d: number, i: number): string {
  return g.op('Gather', [x, g.constant([i], 'int32', [])], { axis: int(d) });
}

const selectOp: Converter = (g, args, out) => {
  const x = tensorAt(args, 0);
  g.bind(out as Tensor, select(g, g.value(x), nd(args[1] as number, x.dim()), args[2] as number));
};

/** x.index(...specs): the same walk as lib/ops/movement.ts's index, one ONNX op per entry. */
const index: Converter = (g, args, out) => {
  const x = tensorAt(args, 0);
  const specs = args.slice(1);
  const used = specs.filter((s) => s !== null && s !== '...').length;
  let v = g.value(x);
  let d = 0;
  for (const spec of specs) {
    if (spec === null) {
      v = g.op('Unsqueeze', [v, g.int64s([d])]);
      d++;
    } else if (spec === '...') {
      d += x.dim() - used;
    } else if (typeof spec === 'number') {
      v = select(g, v, d, spec);
    } else if (typeof spec === 'string') {
      const parts = spec.split(':').map((p) => (p.trim() === '' ? null : Number(p)));
      v = pySlice(g, v, d, parts[0] ?? null, parts[1] ?? null, parts[2] ?? 1);
      d++;
    } else if (spec instanceof Tensor) {
      v = g.op('Gather', [v, g.value(spec)], { axis: int(d) });
      d++;
    }
  }
  g.bind(out as Tensor, v === g.value(x) ? g.op('Identity', [v]) : v);
};

const cat: Converter = (g, args, out) => {
  const o = out as Tensor;
  // PyTorch skips 1-D empty tensors.
  const parts = (args[0] as Tensor[]).filter((t) => !(t.dim() === 1 && t.numel() === 0));
  g.bind(o, g.op('Concat', parts.map((t) => operand(g, t, o.dtype)), { axis: int(nd(num(args[1], 0), o.dim())) }));
};

const stack: Converter = (g, args, out) => {
  const o = out as Tensor;
  const d = nd(num(args[1], 0), o.dim());
  const parts = (args[0] as Tensor[]).map((t) => g.op('Unsqueeze', [operand(g, t, o.dtype), g.int64s([d])]));
  g.bind(o, g.op('Concat', parts, { axis: int(d) }));
};

/** split, chunk, tensorSplit, unbind: one Split with the traced piece sizes (unbind squeezes each piece). */
const splitAlong = (dimArg: number, squeezeEach = false): Converter => (g, args, out) => {
  const x = tensorAt(args, 0);
  const outs = out as Tensor[];
  const d = nd(num(args[dimArg], 0), x.dim());
  if (outs.length === 0) return;
  const lens = squeezeEach ? outs.map(() => 1) : outs.map((t) => t.shape[d]!);
  let names = g.node('Split', [g.value(x), g.int64s(lens)], { axis: int(d) }, outs.length);
  if (squeezeEach) names = names.map((n) => g.op('Squeeze', [n, g.int64s([d])]));
  bindAll(g, outs, names);
};

// ---- linear algebra -------------------------------------------------------------------------------------------

const matmul = binary('MatMul');

const addmm: Converter = (g, args, out) => {
  const o = out as Tensor;
  const opts = (args[3] ?? {}) as { alpha?: number; beta?: number };
  const [c, a, b] = [0, 1, 2].map((i) => operand(g, args[i], o.dtype)) as [string, string, string];
  g.bind(o, g.op('Gemm', [a, b, c], { alpha: float(opts.alpha ?? 1), beta: float(opts.beta ?? 1) }));
};

/** x W^T + b: Gemm for a 2-D input with a bias (as PyTorch exports it), else MatMul (and Add). */
const linear: Converter = (g, args, out) => {
  const x = tensorAt(args, 0);
  const w = tensorAt(args, 1);
  const b = args[2] instanceof Tensor ? args[2] : null;
  if (x.dim() === 2 && b && w.dim() === 2) {
    return g.bind(out as Tensor, g.op('Gemm', [g.value(x), g.value(w), g.value(b)], { transB: int(1) }));
  }
  const wt = w.dim() === 2 ? g.op('Transpose', [g.value(w)], { perm: ints([1, 0]) }) : g.value(w);
  const y = g.op('MatMul', [g.value(x), wt]);
  g.bind(out as Tensor, b ? g.op('Add', [y, g.value(b)]) : y);
};

// ---- convolution and pooling ----------------------------------------------------------------------------------

/** conv1d / conv2d: ONNX Conv with PyTorch's 'same' split (the odd pixel at the end). */
const conv = (n: 1 | 2): Converter => (g, args, out) => {
  const x = tensorAt(args, 0);
  const w = tensorAt(args, 1);
  const b = args[2] instanceof Tensor ? args[2] : null;
  const o = (args[3] ?? {}) as { stride?: unknown; padding?: unknown; dilation?: unknown; groups?: number };
  const strides = nTuple(o.stride, n, 1);
  const dilations = nTuple(o.dilation, n, 1);
  const kernel = w.shape.slice(2);
  let pads: number[];
  if (o.padding === 'same') {
    const total = kernel.map((k, i) => dilations[i]! * (k - 1));
    pads = [...total.map((t) => Math.floor(t / 2)), ...total.map((t) => t - Math.floor(t / 2))];
  } else {
    const p = o.padding === 'valid' ? nTuple(0, n, 0) : nTuple(o.padding, n, 0);
    pads = [...p, ...p];
  }
  const attrs = { kernel_shape: ints(kernel), strides: ints(strides), pads: ints(pads), dilations: ints(dilations), group: int(o.groups ?? 1) };
  const inputs = (v: string): string[] => (b ? [v, g.value(w), g.value(b)] : [v, g.value(w)]);
  g.bind(out as Tensor, batched(g, x, n + 1, (v) => g.op('Conv', inputs(v), attrs)));
};

const convTranspose2d: Converter = (g, args, out) => {
  const x = tensorAt(args, 0);
  const w = tensorAt(args, 1);
  const b = args[2] instanceof Tensor ? args[2] : null;
  const o = (args[3] ?? {}) as { stride?: unknown; padding?: unknown; outputPadding?: unknown; dilation?: unknown; groups?: number };
  const p = nTuple(o.padding, 2, 0);
  const attrs = {
    kernel_shape: ints(w.shape.slice(2)), strides: ints(nTuple(o.stride, 2, 1)), pads: ints([...p, ...p]),
    output_padding: ints(nTuple(o.outputPadding, 2, 0)), dilations: ints(nTuple(o.dilation, 2, 1)), group: int(o.groups ?? 1),
  };
  const inputs = (v: string): string[] => (b ? [v, g.value(w), g.value(b)] : [v, g.value(w)]);
  g.bind(out as Tensor, batched(g, x, 3, (v) => g.op('ConvTranspose', inputs(v), attrs)));
};

interface PoolOptions {
  stride?: unknown;
  padding?: unknown;
  dilation?: unknown;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  returnIndices?: boolean;
  divisorOverride?: number | null;
}

/** max and average pooling, 1-D and 2-D. */
const pool = (type: 'MaxPool' | 'AveragePool', n: 1 | 2, name: string): Converter => (g, args, out) => {
  const x = tensorAt(args, 0);
  const o = (args[2] ?? {}) as PoolOptions;
  if (o.returnIndices === true) throw unsupported(name, 'with returnIndices has no ONNX export yet');
  if (o.divisorOverride !== undefined && o.divisorOverride !== null) throw unsupported(name, 'with divisorOverride has no ONNX export yet');
  const kernel = nTuple(args[1], n, 1);
  const p = nTuple(o.padding, n, 0);
  const attrs: Record<string, Attr> = {
    kernel_shape: ints(kernel), strides: ints(o.stride === undefined || o.stride === null ? kernel : nTuple(o.stride, n, 1)),
    pads: ints([...p, ...p]), ceil_mode: int(o.ceilMode === true ? 1 : 0),
  };
  if (type === 'MaxPool') attrs.dilations = ints(nTuple(o.dilation, n, 1));
  else attrs.count_include_pad = int(o.countIncludePad === false ? 0 : 1);
  g.bind(out as Tensor, batched(g, x, n + 1, (v) => g.op(type, [v], attrs)));
};

/** Adaptive pooling: global pooling to 1x1, a plain pooling when the output size divides the input's. */
const adaptive = (type: 'MaxPool' | 'AveragePool', name: string): Converter => (g, args, out) => {
  const x = tensorAt(args, 0);
  const o = out as Tensor;
  if (Array.isArray(o)) throw unsupported(name, 'with returnIndices has no ONNX export yet');
  const [h, w] = x.shape.slice(-2) as [number, number];
  const [oh, ow] = o.shape.slice(-2) as [number, number];
  const emit = (v: string): string => {
    if (oh === 1 && ow === 1) return g.op(type === 'MaxPool' ? 'GlobalMaxPool' : 'GlobalAveragePool', [v]);
    if (h % oh !== 0 || w % ow !== 0) {
      throw unsupported(name, `from ${h}x${w} to ${oh}x${ow} (not a divisor of the input size) has no ONNX export`);
    }
    const k = [h / oh, w / ow];
    return g.op(type, [v], { kernel_shape: ints(k), strides: ints(k) });
  };
  g.bind(o, batched(g, x, 3, emit));
};

const PAD_MODES: Record<string, string> = { constant: 'constant', reflect: 'reflect', replicate: 'edge' };

const pad: Converter = (g, args, out) => {
  const x = tensorAt(args, 0);
  const padding = args[1] as number[];
  const mode = (args[2] as string | undefined) ?? 'constant';
  const onnxMode = PAD_MODES[mode];
  if (onnxMode === undefined) throw unsupported('pad', `in mode '${mode}' has no ONNX export yet`);
  const begins = new Array<number>(x.dim()).fill(0);
  const ends = new Array<number>(x.dim()).fill(0);
  for (let i = 0; i < padding.length / 2; i++) {
    begins[x.dim() - 1 - i] = padding[2 * i]!;
    ends[x.dim() - 1 - i] = padding[2 * i + 1]!;
  }
  const inputs = [g.value(x), g.int64s([...begins, ...ends])];
  if (onnxMode === 'constant') inputs.push(g.constant([num(args[3], 0)], x.dtype, []));
  g.bind(out as Tensor, g.op('Pad', inputs, { mode: { s: onnxMode } }));
};

// ---- layers as functions --------------------------------------------------------------------------------------

const dropout = (name: string): Converter => (g, args, out) => {
  const training = args[2] === undefined ? true : args[2] === true;
  if (training && num(args[1], 0.5) !== 0) throw unsupported(name, 'in training mode has no ONNX export (export runs the model in eval mode)');
  identity(g, args, out);
};

/** (x - mean) / sqrt(var + eps) over axes, the mean and biased variance taken at run time. */
function standardize(g: GraphBuilder, x: string, axes: readonly number[], eps: number, dtype: DType): string {
  const centered = g.op('Sub', [x, reduceOp(g, 'ReduceMean', x, axes, true)]);
  const variance = reduceOp(g, 'ReduceMean', g.op('Mul', [centered, centered]), axes, true);
  return g.op('Div', [centered, g.op('Sqrt', [g.op('Add', [variance, g.constant([eps], dtype, [])])])]);
}

/** out * weight + bias, each optional, with weight and bias unsqueezed to [C, 1, ...] for `trailing` dims. */
function affine(g: GraphBuilder, out: string, weight: unknown, bias: unknown, trailing = 0): string {
  const shaped = (t: Tensor): string => (trailing === 0 ? g.value(t) : g.op('Unsqueeze', [g.value(t), g.int64s(Array.from({ length: trailing }, (_, i) => i + 1))]));
  if (weight instanceof Tensor) out = g.op('Mul', [out, shaped(weight)]);
  if (bias instanceof Tensor) out = g.op('Add', [out, shaped(bias)]);
  return out;
}

const layerNorm: Converter = (g, args, out) => {
  const x = tensorAt(args, 0);
  const shape = typeof args[1] === 'number' ? [args[1]] : (args[1] as number[]);
  const eps = num(args[4], 1e-5);
  const axes = shape.map((_, i) => x.dim() - shape.length + i);
  if (g.opset >= 17) {
    const scale = args[2] instanceof Tensor ? g.value(args[2]) : g.constant(new Array<number>(shape.reduce((p, s) => p * s, 1)).fill(1), x.dtype, shape);
    const inputs = args[3] instanceof Tensor ? [g.value(x), scale, g.value(args[3])] : [g.value(x), scale];
    return g.bind(out as Tensor, g.op('LayerNormalization', inputs, { axis: int(axes[0]!), epsilon: float(eps) }));
  }
  g.bind(out as Tensor, affine(g, standardize(g, g.value(x), axes, eps, x.dtype), args[2], args[3]));
};

const groupNorm: Converter = (g, args, out) => {
  const x = tensorAt(args, 0);
  const groups = args[1] as number;
  const v = g.value(x);
  const grouped = g.op('Reshape', [v, g.int64s([0, groups, -1])]);
  const normed = g.op('Reshape', [standardize(g, grouped, [2], num(args[4], 1e-5), x.dtype), g.op('Shape', [v])]);
  g.bind(out as Tensor, affine(g, normed, args[2], args[3], x.dim() - 2));
};

const batchNorm: Converter = (g, args, out) => {
  const x = tensorAt(args, 0);
  const o = (args[3] ?? {}) as { weight?: Tensor | null; bias?: Tensor | null; training?: boolean; eps?: number };
  const mean = args[1];
  const varr = args[2];
  if (o.training === true || !(mean instanceof Tensor) || !(varr instanceof Tensor)) {
    throw unsupported('batchNorm', 'with batch statistics (training, or no running statistics) has no ONNX export yet');
  }
  const c = x.shape[1]!;
  const scale = o.weight instanceof Tensor ? g.value(o.weight) : g.constant(new Array<number>(c).fill(1), x.dtype);
  const bias = o.bias instanceof Tensor ? g.value(o.bias) : g.constant(new Array<number>(c).fill(0), x.dtype);
  g.bind(out as Tensor, g.op('BatchNormalization', [g.value(x), scale, bias, g.value(mean), g.value(varr)], { epsilon: float(o.eps ?? 1e-5) }));
};

const embedding: Converter = (g, args, out) => {
  g.bind(out as Tensor, g.op('Gather', [g.value(tensorAt(args, 1)), g.value(tensorAt(args, 0))], { axis: int(0) }));
};

const softplus: Converter = (g, args, out) => {
  const x = tensorAt(args, 0);
  const beta = num(args[1], 1);
  const threshold = num(args[2], 20);
  const v = g.value(x);
  const bx = beta === 1 ? v : g.op('Mul', [v, g.constant([beta], x.dtype, [])]);
  let soft = g.op('Softplus', [bx]);
  if (beta !== 1) soft = g.op('Div', [soft, g.constant([beta], x.dtype, [])]);
  // PyTorch returns x itself where beta * x > threshold.
  g.bind(out as Tensor, g.op('Where', [g.op('Greater', [bx, g.constant([threshold], x.dtype, [])]), v, soft]));
};

// ---- the table ------------------------------------------------------------------------------------------------

/**
 * Converters by op name: torch.* functions, nn.functional functions and Tensor methods share a name when they
 * share a signature (the method's tensor is the first argument).
 */
export const CONVERTERS: Readonly<Record<string, Converter>> = {
  // unary
  exp: unary('Exp'), log: unary('Log'), sqrt: unary('Sqrt'), sin: unary('Sin'), cos: unary('Cos'), tanh: unary('Tanh'),
  sigmoid: unary('Sigmoid'), reciprocal: unary('Reciprocal'), erf: unary('Erf'), sinh: unary('Sinh'), cosh: unary('Cosh'),
  neg: unary('Neg'), abs: unary('Abs'), sign: unary('Sign'),
  tan: unary('Tan'), atan: unary('Atan'), asin: unary('Asin'), acos: unary('Acos'), asinh: unary('Asinh'), acosh: unary('Acosh'),
  atanh: unary('Atanh'),
  // PyTorch's exporter: log(x) / ln 2, log(x) / ln 10, 2 ** x
  log2: unaryWith((g, x, t) => g.op('Div', [g.op('Log', [x]), g.constant([Math.LN2], t, [])])),
  log10: unaryWith((g, x, t) => g.op('Div', [g.op('Log', [x]), g.constant([Math.LN10], t, [])])),
  exp2: unaryWith((g, x, t) => g.op('Pow', [g.constant([2], t, []), x])),
  log1p: unaryWith((g, x, t) => g.op('Log', [g.op('Add', [x, g.constant([1], t, [])])])),
  expm1: unaryWith((g, x, t) => g.op('Sub', [g.op('Exp', [x]), g.constant([1], t, [])])),
  rsqrt: unaryWith((g, x) => g.op('Reciprocal', [g.op('Sqrt', [x])])),
  square: unaryWith((g, x) => g.op('Mul', [x, x])),
  relu: unaryWith((g, x, t) => (t === 'int32' ? g.op('Max', [x, g.constant([0], t, [])]) : g.op('Relu', [x]))),
  floor: rounding('Floor'), ceil: rounding('Ceil'), round: rounding('Round'),
  trunc: (g, args, out) => {
    const x = tensorAt(args, 0);
    const v = g.value(x);
    g.bind(out as Tensor, x.dtype === 'int32' ? g.op('Identity', [v]) : g.op('Mul', [g.op('Sign', [v]), g.op('Floor', [g.op('Abs', [v])])]));
  },
  clamp: (g, args, out) => {
    const o = out as Tensor;
    const bound = (v: unknown): string => (v === null || v === undefined ? '' : g.constant([v as number], o.dtype, []));
    g.bind(o, g.op('Clip', [operand(g, args[0], o.dtype), bound(args[1]), bound(args[2])]));
  },
  leakyRelu: (g, args, out) => g.bind(out as Tensor, g.op('LeakyRelu', [g.value(tensorAt(args, 0))], { alpha: float(num(args[1], 0.01)) })),
  logicalNot: (g, args, out) => g.bind(out as Tensor, g.op('Not', [operand(g, args[0], 'bool')])),
  isnan: (g, args, out) => g.bind(out as Tensor, g.op('IsNaN', [g.value(tensorAt(args, 0))])),
  // binary
  add: addSub('Add'), sub: addSub('Sub'), mul: binary('Mul', 'And'), div: binary('Div'), pow: binary('Pow'),
  maximum: binary('Max', 'Or'), minimum: binary('Min', 'And'),
  remainder: (g, args, out) => {
    const o = out as Tensor;
    const [a, b] = [operand(g, args[0], o.dtype), operand(g, args[1], o.dtype)];
    // ONNX's Mod on floats is C's fmod; Python's remainder is a - floor(a / b) * b.
    g.bind(o, o.dtype === 'int32' ? g.op('Mod', [a, b], { fmod: int(0) }) : g.op('Sub', [a, g.op('Mul', [g.op('Floor', [g.op('Div', [a, b])]), b])]));
  },
  floorDivide: (g, args, out) => {
    const o = out as Tensor;
    const t = o.dtype === 'int32' ? 'float64' : o.dtype;
    const q = g.op('Floor', [g.op('Div', [operand(g, args[0], t), operand(g, args[1], t)])]);
    g.bind(o, castTo(g, q, t, o.dtype));
  },
  eq: compare('Equal'), ne: compare('Equal', true), lt: compare('Less'), le: compare('LessOrEqual'), gt: compare('Greater'),
  ge: compare('GreaterOrEqual'),
  logicalAnd: logical('And'), logicalOr: logical('Or'), logicalXor: logical('Xor'),
  where: (g, args, out) => {
    const o = out as Tensor;
    g.bind(o, g.op('Where', [operand(g, args[0], 'bool'), operand(g, args[1], o.dtype), operand(g, args[2], o.dtype)]));
  },
  clip: (g, args, out) => CONVERTERS.clamp!(g, args, out),
  to: cast, cast, float: cast, double: cast, int: cast, long: cast, bool: cast,
  detach: identity, contiguous: identity, clone: identity,
  // linear algebra
  matmul, mm: matmul, bmm: matmul, dot: matmul, addmm, linear,
  // movement
  view: reshapeOp, reshape: reshapeOp, flatten: reshapeOp, unflatten: reshapeOp, viewAs: reshapeLike, reshapeAs: reshapeLike,
  permute, transpose, t: reversed, T: reversed, unsqueeze, squeeze, expand, broadcastTo: expand, expandAs,
  narrow, slice, select: selectOp, index, cat, stack,
  split: splitAlong(2), chunk: splitAlong(2), tensorSplit: splitAlong(2), unbind: splitAlong(1, true),
  // reductions
  sum: reduction('ReduceSum'), mean: reduction('ReduceMean'), prod: reduction('ReduceProd'),
  amax: reduction('ReduceMax'), amin: reduction('ReduceMin'), max: extreme('Max'), min: extreme('Min'),
  argmax: argExtreme('Max'), argmin: argExtreme('Min'),
  var: (g, args, out) => g.bind(out as Tensor, variance(g, args, out as Tensor)),
  variance: (g, args, out) => g.bind(out as Tensor, variance(g, args, out as Tensor)),
  std: (g, args, out) => g.bind(out as Tensor, g.op('Sqrt', [variance(g, args, out as Tensor)])),
  logsumexp: (g, args, out) => {
    const x = tensorAt(args, 0);
    g.bind(out as Tensor, reduceOp(g, 'ReduceLogSumExp', g.value(x), reducedDims(args[1], x.dim()), args[2] === true));
  },
  softmax: (g, args, out) => g.bind(out as Tensor, g.op('Softmax', [g.value(tensorAt(args, 0))], { axis: int(args[1] as number) })),
  logSoftmax: (g, args, out) => g.bind(out as Tensor, g.op('LogSoftmax', [g.value(tensorAt(args, 0))], { axis: int(args[1] as number) })),
  all: allAny('ReduceMin'), any: allAny('ReduceMax'),
  // indexing
  gather: (g, args, out) => {
    const x = tensorAt(args, 0);
    g.bind(out as Tensor, g.op('GatherElements', [g.value(x), g.value(tensorAt(args, 2))], { axis: int(nd(args[1] as number, x.dim())) }));
  },
  indexSelect: (g, args, out) => {
    const x = tensorAt(args, 0);
    g.bind(out as Tensor, g.op('Gather', [g.value(x), g.value(tensorAt(args, 2))], { axis: int(nd(args[1] as number, Math.max(x.dim(), 1))) }));
  },
  // convolution, pooling, padding
  conv1d: conv(1), conv2d: conv(2), convTranspose2d,
  maxPool1d: pool('MaxPool', 1, 'maxPool1d'), maxPool2d: pool('MaxPool', 2, 'maxPool2d'),
  avgPool1d: pool('AveragePool', 1, 'avgPool1d'), avgPool2d: pool('AveragePool', 2, 'avgPool2d'),
  adaptiveAvgPool2d: adaptive('AveragePool', 'adaptiveAvgPool2d'), adaptiveMaxPool2d: adaptive('MaxPool', 'adaptiveMaxPool2d'),
  pad,
  // activations and layers (nn.functional)
  elu: (g, args, out) => g.bind(out as Tensor, g.op('Elu', [g.value(tensorAt(args, 0))], { alpha: float(num(args[1], 1)) })),
  silu: unaryWith((g, x) => g.op('Mul', [x, g.op('Sigmoid', [x])])),
  gelu: (g, args, out) => {
    const x = tensorAt(args, 0);
    g.bind(out as Tensor, gelu(g, g.value(x), x.dtype, args[1]));
  },
  softplus,
  dropout: dropout('dropout'), dropout2d: dropout('dropout2d'),
  embedding, layerNorm, groupNorm, batchNorm,
};

/** Methods whose arguments differ from the function of the same name: x.where(condition, y) is where(condition, x, y). */
export const METHOD_CONVERTERS: Readonly<Record<string, Converter>> = {
  where: (g, args, out) => CONVERTERS.where!(g, [args[1], args[0], args[2]], out),
};

/** torch.* functions that make new tensors from numbers: their results are constants of the graph. */
export const CONSTANT_MAKERS: ReadonlySet<string> = new Set([
  'tensor', 'zeros', 'ones', 'empty', 'full', 'zerosLike', 'onesLike', 'emptyLike', 'fullLike', 'arange', 'linspace', 'eye', 'scalarTensor',
]);

/** Tensor methods that return no tensor (sizes, values, printing): they run as they are. */
export const PLAIN_METHODS: ReadonlySet<string> = new Set([
  'dim', 'numel', 'size', 'stride', 'isContiguous', 'isFloatingPoint', 'item', 'tolist', 'toString', 'requiresGrad_', 'retainGrad',
]);
