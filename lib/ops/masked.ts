/**
 * Ops steered by a bool mask: maskedFill, maskedSelect, maskedScatter, nonzero / argwhere and the one-argument
 * where, tril / triu, and the tests for infinities (isinf, isfinite, isposinf, isneginf) with nanToNum.
 */
import * as K from '../backend/kernels';
import type { DType } from '../dtype';
import { isFloating } from '../dtype';
import { Tensor, defineMethods, emptyTensor } from '../tensor';
import { broadcastShapes, normalizeDim } from '../shape';
import { record } from '../autograd/record';
import { noGrad } from '../autograd/grad_mode';
import { cast, scalarTensor, where as where3 } from './elementwise';
import { checkBool, checkInt, checkNumber, checkOperand, checkOptions, checkTensor, describe } from '../validate';
import type { Scalar } from '../validate';
import { intTensor, writeInto } from './along';

/** A bool mask tensor (PyTorch 1.13 also takes uint8, which torchlet does not have). */
function checkMask(op: string, mask: unknown): asserts mask is Tensor {
  checkTensor(op, 'mask', mask);
  if (mask.dtype !== 'bool') throw new TypeError(`${op}: expected BoolTensor for mask but received ${describe(mask)}`);
}

/** The fill value of maskedFill as a 0-d tensor of x's dtype (a tensor value keeps its graph). */
function fillValue(op: string, x: Tensor, value: unknown): Tensor {
  checkOperand(op, 'value', value);
  if (!(value instanceof Tensor)) return scalarTensor(value, x.dtype, op);
  if (value.dim() !== 0) {
    throw new RangeError(`${op}: masked_fill_ only supports a 0-dimensional value tensor, but got tensor with ${value.dim()} dimension(s).`);
  }
  if (x.dtype === 'int32' && isFloating(value.dtype)) return scalarTensor(checkNumber(op, 'value', value.item()), 'int32', op);
  return cast(value, x.dtype);
}

/**
 * x with value where mask is true; mask and x broadcast together (the result has their broadcast shape). value is a
 * number, a boolean or a 0-d tensor (its gradient is the sum of the masked gradient), as torch.masked_fill.
 * @param x the input
 * @param mask a bool tensor broadcastable with x
 * @param value the fill value
 * @throws TypeError for a mask that is not bool; RangeError for shapes that do not broadcast or a value with dims
 * @example x.maskedFill(torch.ones(3, 3).triu(1).bool(), -Infinity)
 */
export function maskedFill(x: Tensor, mask: Tensor, value: Scalar | Tensor): Tensor {
  checkTensor('maskedFill', 'input', x);
  checkMask('maskedFill', mask);
  const v = fillValue('maskedFill', x, value);
  broadcastShapes('maskedFill', mask.shape, x.shape);
  return where3(mask, v, x);
}

/**
 * torch.masked_select: the entries of x where mask (both broadcast) is true, as a 1-D tensor in row-major order.
 * @param x the input
 * @param mask a bool tensor broadcastable with x
 * @throws TypeError for a mask that is not bool; RangeError for shapes that do not broadcast
 * @example x.maskedSelect(x.gt(0))
 */
export function maskedSelect(x: Tensor, mask: Tensor): Tensor {
  checkTensor('maskedSelect', 'input', x);
  checkMask('maskedSelect', mask);
  const shape = broadcastShapes('maskedSelect', mask.shape, x.shape);
  return selectMasked(x.expand(shape), mask.expand(shape));
}

/** The flat positions where a bool tensor is true. */
function truePositions(mask: Tensor): Int32Array {
  const m = K.dense(mask);
  let n = 0;
  for (let i = 0; i < m.length; i++) if (m[i]) n++;
  const pos = new Int32Array(n);
  for (let i = 0, k = 0; i < m.length; i++) if (m[i]) pos[k++] = i;
  return pos;
}

/** maskedSelect of equal shapes: one recorded node whose backward scatters the gradient back by the mask. */
function selectMasked(x: Tensor, mask: Tensor): Tensor {
  const pos = truePositions(mask);
  const values = K.dense(x);
  const out = emptyTensor([pos.length], x.dtype, 'maskedSelect');
  for (let i = 0; i < pos.length; i++) out.data[i] = values[pos[i]!]!;
  return record('MaskedSelectBackward0', out, [x], (g) => [maskedScatter(emptyTensor(x.shape, g.dtype), mask, g)]);
}

/**
 * x with the masked positions (in row-major order) taking source's leading entries, as torch.masked_scatter; the mask
 * broadcasts to x's shape.
 * @param x the input
 * @param mask a bool tensor broadcastable to x
 * @param source the values written, in order (at least as many as the mask has true values)
 * @throws RangeError when source has fewer entries than the mask has true values
 * @example torch.zeros(2, 2).maskedScatter(torch.eye(2).bool(), torch.tensor([1, 2]))
 */
export function maskedScatter(x: Tensor, mask: Tensor, source: Tensor): Tensor {
  checkTensor('maskedScatter', 'input', x);
  checkMask('maskedScatter', mask);
  checkTensor('maskedScatter', 'source', source);
  if (source.dtype !== x.dtype) throw new TypeError(`maskedScatter: masked_scatter: expected self and source to have same dtypes but got ${x.dtype} and ${source.dtype}`);
  const shape = broadcastShapes('maskedScatter', x.shape, mask.shape);
  const xe = x.expand(shape);
  const me = mask.expand(shape);
  const pos = truePositions(me);
  if (pos.length > source.numel()) {
    throw new RangeError(`maskedScatter: Number of elements of source < number of ones in mask (${source.numel()} < ${pos.length})`);
  }
  const out = noGrad(() => xe.clone());
  const src = K.dense(source);
  for (let i = 0; i < pos.length; i++) out.data[pos[i]!] = src[i]!;
  return record('MaskedScatterBackward0', out, [xe, source], (g, needs) => {
    if (!needs[1]) return [where3(me, 0, g), null];
    // The entries of source past the mask's count get no gradient.
    const prefix = emptyTensor([source.numel()], 'bool');
    prefix.data.fill(1, 0, pos.length);
    const flat = maskedScatter(emptyTensor([source.numel()], g.dtype), prefix, selectMasked(g, me));
    return [needs[0] ? where3(me, 0, g) : null, flat.reshape(source.shape)];
  });
}

/** What nonzero returns with asTuple: one index tensor per dim. */
export interface NonzeroOptions {
  asTuple?: boolean;
}

/**
 * The positions of x's nonzero entries, as torch.nonzero: an int32 (int64) [n, x.dim()] tensor, or with asTuple one
 * 1-D tensor per dim (a 0-d x counts as 1-D).
 * @param x the input (nonzero: not 0 / false)
 * @param options asTuple: one index tensor per dim
 * @example torch.nonzero(torch.tensor([0, 1, 2])) // [[1], [2]]
 */
export function nonzero(x: Tensor, options?: NonzeroOptions): Tensor;
export function nonzero(x: Tensor, options: { asTuple: true }): Tensor[];
export function nonzero(x: Tensor, options?: NonzeroOptions): Tensor | Tensor[] {
  checkTensor('nonzero', 'input', x);
  const asTuple = checkBool('nonzero', 'asTuple', checkOptions('nonzero', options).asTuple, false);
  const pos = truePositions(noGrad(() => x.ne(0)));
  const n = pos.length;
  const shape = asTuple && x.dim() === 0 ? [1] : x.shape;
  const r = shape.length;
  const coords = new Int32Array(n * r);
  for (let i = 0; i < n; i++) {
    let p = pos[i]!;
    for (let d = r - 1; d >= 0; d--) {
      const s = shape[d]!;
      coords[i * r + d] = p % s;
      p = Math.floor(p / s);
    }
  }
  const all = intTensor(coords, [n, r]);
  if (!asTuple) return all;
  return Array.from({ length: r }, (_, d) => all.select(1, d).contiguous());
}

/** torch.argwhere: nonzero's [n, x.dim()] form. @param x the input @example torch.argwhere(mask) */
export function argwhere(x: Tensor): Tensor {
  checkTensor('argwhere', 'input', x);
  return nonzero(x);
}

/**
 * torch.where: with one argument, the positions of condition's nonzero entries, one tensor per dim (nonzero with
 * asTuple); with three, condition ? input : other elementwise, broadcasting all three.
 * @example torch.where(mask, x, 0); torch.where(mask) // [rows, cols]
 */
export function where(condition: Tensor): Tensor[];
export function where(condition: Tensor, input: Tensor | Scalar, other: Tensor | Scalar): Tensor;
export function where(condition: Tensor, ...rest: (Tensor | Scalar)[]): Tensor | Tensor[] {
  if (rest.length === 0) {
    checkTensor('where', 'condition', condition);
    return nonzero(condition, { asTuple: true });
  }
  if (rest.length !== 2) throw new TypeError(`where: expected 1 or 3 arguments (condition[, input, other]) but received ${1 + rest.length}`);
  return where3(condition, rest[0]!, rest[1]!);
}

// ---- triangles ---------------------------------------------------------------------------------------------------

/** The bool [rows, cols] mask of the entries kept by tril (lower) or triu (upper) with the given diagonal. */
function triangle(rows: number, cols: number, diagonal: number, lower: boolean): Tensor {
  const m = emptyTensor([rows, cols], 'bool');
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) m.data[i * cols + j] = (lower ? j - i <= diagonal : j - i >= diagonal) ? 1 : 0;
  }
  return m;
}

function triangular(op: string, lower: boolean, x: Tensor, diagonal: number): Tensor {
  checkTensor(op, 'input', x);
  checkInt(op, 'diagonal', diagonal);
  normalizeDim(op, -2, x.dim());
  const [rows, cols] = x.shape.slice(-2) as [number, number];
  return where3(triangle(rows, cols, diagonal, lower), x, scalarTensor(0, x.dtype));
}

/**
 * The lower triangle of the last two dims (entries with col - row <= diagonal), the rest zero, as torch.tril.
 * @param x a tensor of at least 2 dims (batched over the leading ones)
 * @param diagonal which diagonal bounds the triangle: 0 the main one, > 0 above it, < 0 below
 * @throws RangeError for fewer than 2 dims
 * @example torch.ones(3, 3).tril(-1)
 */
export function tril(x: Tensor, diagonal = 0): Tensor {
  return triangular('tril', true, x, diagonal);
}

/**
 * The upper triangle of the last two dims (entries with col - row >= diagonal), the rest zero, as torch.triu.
 * @param x a tensor of at least 2 dims (batched over the leading ones)
 * @param diagonal which diagonal bounds the triangle: 0 the main one, > 0 above it, < 0 below
 * @throws RangeError for fewer than 2 dims
 * @example torch.ones(4, 4).triu(1).bool() // a causal attention mask
 */
export function triu(x: Tensor, diagonal = 0): Tensor {
  return triangular('triu', false, x, diagonal);
}

// ---- infinities and NaN ------------------------------------------------------------------------------------------

/** A bool test of x's values; integer and bool tensors hold no infinity or NaN. */
function valueTest(op: string, x: Tensor, test: (x: Tensor) => Tensor, forIntegers: boolean): Tensor {
  checkTensor(op, 'input', x);
  if (!isFloating(x.dtype)) {
    const t = emptyTensor(x.shape, 'bool');
    if (forIntegers) t.data.fill(1);
    return t;
  }
  return noGrad(() => test(x));
}

/** Where x is +-infinity, as torch.isinf. */
export const isinf = (x: Tensor): Tensor => valueTest('isinf', x, (t) => t.abs().eq(Infinity), false);
/** Where x is neither infinite nor NaN, as torch.isfinite. */
export const isfinite = (x: Tensor): Tensor => valueTest('isfinite', x, (t) => t.sub(t).eq(0), true);
/** Where x is +infinity, as torch.isposinf. */
export const isposinf = (x: Tensor): Tensor => valueTest('isposinf', x, (t) => t.eq(Infinity), false);
/** Where x is -infinity, as torch.isneginf. */
export const isneginf = (x: Tensor): Tensor => valueTest('isneginf', x, (t) => t.eq(-Infinity), false);

/** nanToNum's replacements; null or undefined keeps the default (0, and the dtype's largest and lowest finite values). */
export interface NanToNumOptions {
  nan?: number | null;
  posinf?: number | null;
  neginf?: number | null;
}

const LARGEST: Partial<Record<DType, number>> = { float32: 3.4028234663852886e38, float64: Number.MAX_VALUE };

/**
 * x with NaN, +inf and -inf replaced, as torch.nan_to_num; the gradient flows through the finite entries only.
 * @param x the input (integer and bool tensors come back as copies)
 * @param options nan (default 0), posinf and neginf (default the dtype's largest and lowest finite values)
 * @example torch.nanToNum(x, { nan: 0, posinf: 1e4 })
 */
export function nanToNum(x: Tensor, options?: NanToNumOptions): Tensor {
  checkTensor('nanToNum', 'input', x);
  const o = checkOptions('nanToNum', options);
  const pick = (name: 'nan' | 'posinf' | 'neginf', dflt: number): number => {
    const v = o[name];
    return v === null || v === undefined ? dflt : checkNumber('nanToNum', name, v);
  };
  const nan = pick('nan', 0);
  const big = LARGEST[x.dtype] ?? 0;
  const posinf = pick('posinf', big);
  const neginf = pick('neginf', -big);
  if (!isFloating(x.dtype)) return x.clone();
  const bad = isfinite(x).logicalNot();
  const c = (v: number): Tensor => scalarTensor(v, x.dtype, 'nanToNum');
  const fill = noGrad(() => where3(x.isnan(), c(nan), where3(x.gt(0), c(posinf), c(neginf))));
  return where3(bad, fill, x);
}

// ---- Tensor methods --------------------------------------------------------------------------------------------

declare module '../tensor' {
  interface Tensor {
    /** This tensor with value where mask is true (broadcast), as Tensor.masked_fill. */
    maskedFill(mask: Tensor, value: Scalar | Tensor): Tensor;
    /** maskedFill written into this tensor; the mask broadcasts to its shape. */
    maskedFill_(mask: Tensor, value: Scalar | Tensor): this;
    maskedSelect(mask: Tensor): Tensor;
    maskedScatter(mask: Tensor, source: Tensor): Tensor;
    maskedScatter_(mask: Tensor, source: Tensor): this;
    nonzero(options?: NonzeroOptions): Tensor;
    argwhere(): Tensor;
    tril(diagonal?: number): Tensor;
    triu(diagonal?: number): Tensor;
    tril_(diagonal?: number): this;
    triu_(diagonal?: number): this;
    isinf(): Tensor;
    isfinite(): Tensor;
    isposinf(): Tensor;
    isneginf(): Tensor;
    nanToNum(options?: NanToNumOptions): Tensor;
    nanToNum_(options?: NanToNumOptions): this;
  }
}

defineMethods({
  maskedFill(this: Tensor, mask: Tensor, value: Scalar | Tensor) {
    return maskedFill(this, mask, value);
  },
  maskedFill_(this: Tensor, mask: Tensor, value: Scalar | Tensor) {
    checkMask('maskedFill_', mask);
    broadcastShapes('maskedFill_', mask.shape, this.shape);
    return writeInto('maskedFill_', this, [value], () => where3(mask, fillValue('maskedFill_', this, value), this)) as never;
  },
  maskedSelect(this: Tensor, mask: Tensor) {
    return maskedSelect(this, mask);
  },
  maskedScatter(this: Tensor, mask: Tensor, source: Tensor) {
    return maskedScatter(this, mask, source);
  },
  maskedScatter_(this: Tensor, mask: Tensor, source: Tensor) {
    return writeInto('maskedScatter_', this, [source], () => maskedScatter(this, mask, source)) as never;
  },
  nonzero(this: Tensor, options?: NonzeroOptions) {
    return nonzero(this, options);
  },
  argwhere(this: Tensor) {
    return argwhere(this);
  },
  tril(this: Tensor, diagonal?: number) {
    return tril(this, diagonal);
  },
  triu(this: Tensor, diagonal?: number) {
    return triu(this, diagonal);
  },
  tril_(this: Tensor, diagonal?: number) {
    return writeInto('tril_', this, [], () => triangular('tril_', true, this, diagonal ?? 0)) as never;
  },
  triu_(this: Tensor, diagonal?: number) {
    return writeInto('triu_', this, [], () => triangular('triu_', false, this, diagonal ?? 0)) as never;
  },
  isinf(this: Tensor) {
    return isinf(this);
  },
  isfinite(this: Tensor) {
    return isfinite(this);
  },
  isposinf(this: Tensor) {
    return isposinf(this);
  },
  isneginf(this: Tensor) {
    return isneginf(this);
  },
  nanToNum(this: Tensor, options?: NanToNumOptions) {
    return nanToNum(this, options);
  },
  nanToNum_(this: Tensor, options?: NanToNumOptions) {
    return writeInto('nanToNum_', this, [], () => nanToNum(this, options)) as never;
  },
});
