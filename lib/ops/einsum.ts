/**
 * einsum, lowered to diagonal, sum, permute, reshape and matmul (so its gradient comes from theirs), and baddbmm.
 * Operands are contracted left to right, each pair as one batched matrix product.
 */
import { info } from '../dtype';
import { Tensor, defineMethods } from '../tensor';
import { numelOf, shapeStr } from '../shape';
import { checkFinite, checkOptions, checkTensor } from '../validate';
import { diagonal } from './diagonal';

const ELLIPSIS_BASE = 0x2460; // labels for the dims an ellipsis covers: private characters, never in an equation

/** One operand seen through its labels: the tensor with repeated labels reduced to diagonals, one label per dim. */
interface Term {
  t: Tensor;
  labels: string[];
}

function parseTerm(op: string, s: string, x: Tensor, i: number, ellipsisDims: number): Term {
  const parts = s.split('...');
  if (parts.length > 2) throw new RangeError(`${op}: found more than one ellipsis ("...") in the subscripts of operand ${i}`);
  for (const c of parts.join('')) {
    if (!/[a-zA-Z]/.test(c)) throw new RangeError(`${op}: invalid subscript given at index ${s.indexOf(c)} in the equation string, subscripts must be in [a-zA-Z]`);
  }
  const named = parts.join('').length;
  const hasEllipsis = parts.length === 2;
  if (hasEllipsis ? named > x.dim() : named !== x.dim()) {
    throw new RangeError(
      hasEllipsis
        ? `${op}: the number of subscripts in the equation (${named}) is more than the number of dimensions (${x.dim()}) for operand ${i}`
        : `${op}: the number of subscripts in the equation (${named}) does not match the number of dimensions (${x.dim()}) for operand ${i} and no ellipsis was given`,
    );
  }
  const covered = x.dim() - named;
  const ell = Array.from({ length: covered }, (_, k) => String.fromCharCode(ELLIPSIS_BASE + ellipsisDims - covered + k));
  const labels = hasEllipsis ? [...parts[0]!, ...ell, ...parts[1]!] : [...parts[0]!];
  // A label repeated within one operand reads its diagonal.
  let t = x;
  for (;;) {
    const dup = labels.findIndex((l, k) => labels.indexOf(l) !== k);
    if (dup < 0) break;
    const first = labels.indexOf(labels[dup]!);
    if (t.shape[first] !== t.shape[dup]) {
      throw new RangeError(`${op}: subscript ${labels[dup]} is repeated for operand ${i} but the sizes don't match, ${t.shape[dup]} != ${t.shape[first]}`);
    }
    const l = labels[dup]!;
    t = diagonal(t, { offset: 0, dim1: first, dim2: dup });
    labels.splice(dup, 1);
    labels.splice(first, 1);
    labels.push(l);
  }
  return { t, labels };
}

/** Sums away the labels of a term that nothing later needs. */
function sumAway(term: Term, keep: ReadonlySet<string>): Term {
  const dims = term.labels.flatMap((l, d) => (keep.has(l) ? [] : [d]));
  if (dims.length === 0) return term;
  return { t: term.t.sum(dims), labels: term.labels.filter((l) => keep.has(l)) };
}

/** The size of each label over both terms (a size-1 label broadcasts). */
function labelSize(a: Term, b: Term, l: string): number {
  const sa = a.t.shape[a.labels.indexOf(l)];
  const sb = b.t.shape[b.labels.indexOf(l)];
  if (sa === undefined || sa === 1) return sb ?? sa ?? 1;
  return sa;
}

/** One pairwise contraction as a batched matrix product: [batch, aOnly, sum] @ [batch, sum, bOnly]. */
function contract(a: Term, b: Term, keep: ReadonlySet<string>): Term {
  a = sumAway(a, new Set([...keep, ...b.labels]));
  b = sumAway(b, new Set([...keep, ...a.labels]));
  const inB = new Set(b.labels);
  const batch = a.labels.filter((l) => inB.has(l) && keep.has(l));
  const summed = a.labels.filter((l) => inB.has(l) && !keep.has(l));
  const aOnly = a.labels.filter((l) => !inB.has(l));
  const bOnly = b.labels.filter((l) => !a.labels.includes(l));
  const size = (l: string): number => labelSize(a, b, l);
  const arrange = (term: Term, order: string[], rows: string[], cols: string[]): Tensor => {
    const t = term.t.permute(order.map((l) => term.labels.indexOf(l)));
    const full = t.expand(order.map(size));
    return full.reshape([...batch.map(size), numelOf(rows.map(size)), numelOf(cols.map(size))]);
  };
  const left = arrange(a, [...batch, ...aOnly, ...summed], aOnly, summed);
  const right = arrange(b, [...batch, ...summed, ...bOnly], summed, bOnly);
  const r = left.matmul(right).reshape([...batch, ...aOnly, ...bOnly].map(size));
  return { t: r, labels: [...batch, ...aOnly, ...bOnly] };
}

/**
 * Einstein summation, as torch.einsum: 'bij,bjk->bik' (batched matmul), 'i,j->ij' (outer), 'ij->ji', 'ii->' (trace),
 * 'ii->i' (diagonal), 'ij->i' (sums), an implicit output (the labels used once, sorted), and '...' for broadcast dims.
 * @param equation the subscripts, e.g. 'bij,bjk->bik'
 * @param operands the tensors (or one array of them), all of one dtype
 * @throws RangeError in PyTorch's words for equations that do not fit the operands
 * @example torch.einsum('bhqd,bhkd->bhqk', q, k)
 */
export function einsum(equation: string, ...operands: (Tensor | readonly Tensor[])[]): Tensor {
  const op = 'einsum';
  if (typeof equation !== 'string') throw new TypeError(`${op}: expected a string for 'equation' but received ${typeof equation}`);
  const xs = (operands.length === 1 && Array.isArray(operands[0]) ? operands[0] : operands) as Tensor[];
  xs.forEach((x, i) => checkTensor(op, `operands[${i}]`, x));
  const eq = equation.replace(/\s/g, '');
  const arrow = eq.indexOf('->');
  const lhs = arrow < 0 ? eq : eq.slice(0, arrow);
  const terms = lhs.split(',');
  if (xs.length === 0) throw new RangeError(`${op}: must provide at least one operand`);
  if (terms.length < xs.length) throw new RangeError(`${op}: more operands were provided than specified in the equation`);
  if (terms.length > xs.length) throw new RangeError(`${op}: fewer operands were provided than specified in the equation`);
  xs.forEach((x, i) => {
    if (x.dtype !== xs[0]!.dtype) throw new TypeError(`${op}: expected scalar type ${info(xs[0]!.dtype).scalarType} but found ${info(x.dtype).scalarType} (operand ${i})`);
  });
  const ellipsisDims = Math.max(0, ...terms.map((s, i) => (s.includes('...') ? xs[i]!.dim() - s.replace('...', '').length : 0)));
  const parsed = terms.map((s, i) => parseTerm(op, s, xs[i]!, i, ellipsisDims));
  const ell = Array.from({ length: ellipsisDims }, (_, k) => String.fromCharCode(ELLIPSIS_BASE + k));
  // Sizes must agree label by label (1 broadcasts).
  const sizes = new Map<string, number>();
  parsed.forEach((p, i) => {
    p.labels.forEach((l, d) => {
      const n = p.t.shape[d]!;
      const seen = sizes.get(l);
      if (seen !== undefined && seen !== n && seen !== 1 && n !== 1) {
        const name = l.charCodeAt(0) >= ELLIPSIS_BASE ? '...' : l;
        throw new RangeError(`${op}: subscript ${name} has size ${n} for operand ${i} which does not broadcast with previously seen size ${seen}`);
      }
      if (seen === undefined || seen === 1) sizes.set(l, n);
    });
  });
  let out: string[];
  if (arrow < 0) {
    const counts = new Map<string, number>();
    for (const s of terms) for (const c of s.replace('...', '')) counts.set(c, (counts.get(c) ?? 0) + 1);
    const once = [...counts].filter(([, n]) => n === 1).map(([c]) => c);
    once.sort((p, q) => (p < q ? -1 : p > q ? 1 : 0));
    out = [...ell, ...once];
  } else {
    const rhs = eq.slice(arrow + 2);
    const parts = rhs.split('...');
    if (parts.length > 2) throw new RangeError(`${op}: found more than one ellipsis ("...") in the output`);
    for (const c of parts.join('')) {
      if (!/[a-zA-Z]/.test(c)) throw new RangeError(`${op}: invalid subscript given at index ${rhs.indexOf(c)} in the equation string, subscripts must be in [a-zA-Z]`);
      if (!sizes.has(c)) throw new RangeError(`${op}: output subscript ${c} does not appear in the equation for any input operand`);
      if (parts.join('').split(c).length > 2) throw new RangeError(`${op}: output subscript ${c} appears more than once in the output`);
    }
    out = parts.length === 2 ? [...parts[0]!, ...ell, ...parts[1]!] : [...parts[0]!];
  }
  const keepFrom = (i: number): Set<string> => new Set([...out, ...parsed.slice(i).flatMap((p) => p.labels)]);
  let acc = sumAway(parsed[0]!, keepFrom(1));
  for (let i = 1; i < parsed.length; i++) acc = contract(acc, parsed[i]!, keepFrom(i + 1));
  acc = sumAway(acc, new Set(out));
  // Broadcast labels of size 1 that the output keeps at a larger size come back as an expand.
  const t = acc.t.permute(out.map((l) => acc.labels.indexOf(l)));
  const want = out.map((l) => sizes.get(l)!);
  return want.every((n, d) => n === t.shape[d]) ? t : t.expand(want);
}

export interface AddProductOptions {
  beta?: number;
  alpha?: number;
}

/**
 * beta * input + alpha * (batch1 @ batch2) for 3-D batches, input broadcast to [b, n, p], as torch.baddbmm (beta 0
 * ignores input, NaN included).
 * @param input added, broadcast to the product's shape
 * @param batch1 a [b, n, m] tensor
 * @param batch2 a [b, m, p] tensor
 * @param options beta (default 1), alpha (default 1)
 * @throws RangeError for batches that are not 3-D or do not fit
 * @example torch.baddbmm(scores, q, k.transpose(1, 2), { alpha: 1 / Math.sqrt(d) })
 */
export function baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, options?: AddProductOptions): Tensor {
  const op = 'baddbmm';
  checkTensor(op, 'input', input);
  checkTensor(op, 'batch1', batch1);
  checkTensor(op, 'batch2', batch2);
  const o = checkOptions(op, options);
  const beta = o.beta === undefined ? 1 : checkFinite(op, 'beta', o.beta);
  const alpha = o.alpha === undefined ? 1 : checkFinite(op, 'alpha', o.alpha);
  if (batch1.dim() !== 3) throw new RangeError(`${op}: batch1 must be a 3D tensor (got shape ${shapeStr(batch1.shape)})`);
  if (batch2.dim() !== 3) throw new RangeError(`${op}: batch2 must be a 3D tensor (got shape ${shapeStr(batch2.shape)})`);
  const [b, n, m] = batch1.shape as [number, number, number];
  if (batch2.shape[0] !== b || batch2.shape[1] !== m) {
    throw new RangeError(`${op}: Expected size for first two dimensions of batch2 tensor to be: [${b}, ${m}] but got: [${batch2.shape[0]}, ${batch2.shape[1]}].`);
  }
  const shape = [b, n, batch2.shape[2]!];
  const base = input.expand(shape);
  const prod = batch1.bmm(batch2);
  const scaled = alpha === 1 ? prod : prod.mul(alpha);
  if (beta === 0) return scaled;
  return (beta === 1 ? base : base.mul(beta)).add(scaled);
}

declare module '../tensor' {
  interface Tensor {
    baddbmm(batch1: Tensor, batch2: Tensor, options?: AddProductOptions): Tensor;
  }
}

defineMethods({
  baddbmm(this: Tensor, batch1: Tensor, batch2: Tensor, options?: AddProductOptions) {
    return baddbmm(this, batch1, batch2, options);
  },
});
