/**
 * matmul with torch.matmul's rules, on torchlet's own sgemm (float32, native/src/kernels/sgemm.cpp: any strides, no
 * copies) and OpenBLAS dgemm (float64, transposed views reach it as flags, not copies).
 */
import * as K from '../backend/kernels';
import type { FloatStorage } from '../backend/kernels';
import { isFloating } from '../dtype';
import { Tensor, defineMethods, emptyTensor, outputTensor } from '../tensor';
import { broadcastShapes, contiguousStrides, numelOf, shapeStr } from '../shape';
import { record } from '../autograd/record';
import { noGrad } from '../autograd/grad_mode';
import { checkFloatingOperands, checkOptions, checkTensor } from '../validate';

/**
 * Both operands of one dtype, floating or int (PyTorch multiplies integers too, but not booleans): BLAS multiplies
 * within one type, as PyTorch's mm does.
 */
function checkFloat(op: string, a: Tensor, b: Tensor, allowBool = false): void {
  checkTensor(op, 'input', a);
  checkTensor(op, 'other', b);
  // The common case first, without building the operand lists below (this is on every product's path).
  if (a.dtype === b.dtype && isFloating(a.dtype)) return;
  if (allowBool && a.dtype === 'bool' && b.dtype === 'bool') return;
  for (const t of [a, b]) if (t.dtype === 'bool') throw notForBool(op, op, a, b);
  if (a.dtype === 'int32' && b.dtype === 'int32') return;
  checkFloatingOperands(op, [['input', a], ['other', b]]);
}

const notForBool = (op: string, kernel: string, a: Tensor, b: Tensor): TypeError =>
  new TypeError(`${op}: "${kernel}" not implemented for 'Bool' (shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)})`);

/** Integer operands are multiplied through float64, whose sums are exact while below 2**53. */
const EXACT = 2 ** 53;

const largest = (t: Tensor): number => {
  let m = 0;
  for (const v of K.dense(t)) m = Math.max(m, Math.abs(v));
  return m;
};

/**
 * The exact product of int32 (torchlet's int64) operands as float64: `f` on float64 copies when every partial sum
 * is exact there, else a plain loop in BigInt.
 */
function integerProduct(a: Tensor, b: Tensor, f: (x: Tensor, y: Tensor) => Tensor): Tensor {
  const bound = largest(a) * largest(b) * Math.max(a.shape[a.dim() - 1]!, 1);
  return noGrad(() => (bound < EXACT ? f(a.to('float64'), b.to('float64')) : exactProduct(a, b)));
}

/** Integer results (exact in float64) back to int32, or a RangeError when one does not fit. */
function toInt32(op: string, r: Tensor): Tensor {
  const values = K.dense(r);
  for (let i = 0; i < values.length; i++) {
    if (values[i]! < -(2 ** 31) || values[i]! >= 2 ** 31) {
      throw new RangeError(`${op}: the result ${values[i]} at position ${i} does not fit torchlet's int32, which stands for int64`);
    }
  }
  return noGrad(() => r.to('int32'));
}

/**
 * The product in BigInt, one output entry at a time, for operands too large for float64's exact range: a [..., m, k]
 * and b [..., k, n] (at least 2-D, batch dims already matching).
 */
function exactProduct(a: Tensor, b: Tensor): Tensor {
  const A = K.dense(a);
  const B = K.dense(b);
  const [m, k] = a.shape.slice(-2) as [number, number];
  const n = b.shape[b.dim() - 1]!;
  const shape = [...a.shape.slice(0, -1), n];
  const out = new Float64Array(numelOf(shape));
  for (let p = 0; p < out.length / (m * n); p++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0n;
        for (let q = 0; q < k; q++) acc += BigInt(A[(p * m + i) * k + q]!) * BigInt(B[(p * k + q) * n + j]!);
        out[(p * m + i) * n + j] = Number(acc);
      }
    }
  }
  return new Tensor(out, shape, contiguousStrides(shape), 0, 'float64');
}

function cannotMultiply(op: string, a: Tensor, b: Tensor, k1: number, k2: number): RangeError {
  return new RangeError(`${op}: shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)} cannot be multiplied (${k1} != ${k2})`);
}

/**
 * out = alpha * a @ b + beta * out over broadcast batch dims; a [..., m, k], b [..., k, n] already expanded to
 * one batch shape. out is a fresh contiguous [..., m, n] tensor (pre-filled when beta != 0).
 */
function gemm(out: Tensor, a: Tensor, b: Tensor, alpha = 1, beta = 0): Tensor {
  // Nothing to compute (an empty batch, say): BLAS would be handed layouts of no elements.
  if (out.numel() === 0) return out;
  let bad = K.matmul(out.data as FloatStorage, 0, a, b, alpha, beta);
  if (bad) {
    // Strides dgemm cannot take (e.g. broadcast inside a matrix; sgemm takes any): copy those operands once and retry.
    const a2 = bad & 1 ? noGrad(() => a.contiguous()) : a;
    const b2 = bad & 2 ? noGrad(() => b.contiguous()) : b;
    bad = K.matmul(out.data as FloatStorage, 0, a2, b2, alpha, beta);
    if (bad) throw new Error('matmul: internal error, contiguous operands were rejected by the BLAS layout check');
  }
  return out;
}

/** Whether a matrix is stored column-major (a transposed contiguous one): strides [1, rows]. */
function columnMajor(t: Tensor): boolean {
  return t.dim() === 2 && t.strides[0] === 1 && t.strides[1] === t.shape[0] && t.shape[0]! > 1;
}

/**
 * d(a @ b)/da = g @ b^T and d/db = a^T @ g; for a column-major 2-D operand the gradient is computed transposed,
 * (b @ g^T)^T or (g^T @ a)^T, as PyTorch's mm_mat1_backward / mm_mat2_backward do: the products PyTorch computes,
 * in the same shapes and layouts.
 */
function productGrads(g: Tensor, a: Tensor, b: Tensor, needs: readonly boolean[]): (Tensor | null)[] {
  const ga = !needs[0] ? null : columnMajor(a) ? matmul(b, g.t()).t() : matmul(g, b.transpose(-1, -2));
  const gb = !needs[1] ? null : columnMajor(b) ? matmul(g.t(), a).t() : matmul(a.transpose(-1, -2), g);
  return [ga, gb];
}

/** The recorded product a @ b over matching batch dims. */
function product(name: string, a: Tensor, b: Tensor, shape: number[]): Tensor {
  const op = name === 'MmBackward0' ? 'mm' : 'bmm';
  if (a.dtype === 'int32') return toInt32(op, integerProduct(a, b, (x, y) => product(name, x, y, shape)));
  if (a.dtype === 'bool') {
    // PyTorch's kernels refuse booleans, but a product with nothing to multiply never reaches them: all false.
    if (numelOf(shape) > 0 && a.shape[a.dim() - 1]! > 0) throw notForBool(op, op === 'mm' ? 'addmm_impl_cpu_' : 'bmm', a, b);
    return emptyTensor(shape, 'bool');
  }
  const out = gemm(outputTensor(shape, a.dtype, undefined, op), a, b);
  return record(name, out, [a, b], (g, needs) => productGrads(g, a, b, needs));
}

/**
 * Matrix product of two 2-D tensors, as torch.mm.
 * @example torch.mm(torch.tensor([[1, 2]]), torch.tensor([[3], [4]])) // [[11]]
 */
export function mm(a: Tensor, b: Tensor): Tensor {
  checkFloat('mm', a, b, true);
  if (a.dim() !== 2 || b.dim() !== 2) {
    throw new RangeError(`mm: expected 2-D tensors but received shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
  }
  if (a.shape[1] !== b.shape[0]) throw cannotMultiply('mm', a, b, a.shape[1]!, b.shape[0]!);
  return product('MmBackward0', a, b, [a.shape[0]!, b.shape[1]!]);
}

/**
 * Batched product of two 3-D tensors with equal batch sizes.
 * @example torch.bmm(torch.ones(5, 2, 3), torch.ones(5, 3, 4)).shape // [5, 2, 4]
 */
export function bmm(a: Tensor, b: Tensor): Tensor {
  checkFloat('bmm', a, b, true);
  if (a.dim() !== 3 || b.dim() !== 3) {
    throw new RangeError(`bmm: expected 3-D tensors but received shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
  }
  if (a.shape[0] !== b.shape[0] || a.shape[2] !== b.shape[1]) {
    // PyTorch's words, after torchlet's (bmm does not broadcast: matmul does).
    const what = a.shape[0] !== b.shape[0] ? 'batch sizes differ' : `shapes cannot be multiplied (${a.shape[2]} != ${b.shape[1]})`;
    throw new RangeError(
      `bmm: ${what}: Expected size for first two dimensions of batch2 tensor to be: [${a.shape[0]}, ${a.shape[2]}] but got: [${b.shape[0]}, ${b.shape[1]}]. ` +
        `(shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)})`,
    );
  }
  return product('BmmBackward0', a, b, [a.shape[0]!, a.shape[1]!, b.shape[2]!]);
}

/**
 * Inner product of two 1-D tensors of equal length.
 * @example torch.dot(torch.tensor([1, 2]), torch.tensor([3, 4])) // 11
 */
export function dot(a: Tensor, b: Tensor): Tensor {
  checkFloat('dot', a, b);
  if (a.dim() !== 1 || b.dim() !== 1) {
    throw new RangeError(`dot: 1D tensors expected, but got ${a.dim()}D and ${b.dim()}D tensors`);
  }
  if (a.shape[0] !== b.shape[0]) {
    throw new RangeError(
      `dot: inconsistent tensor size, expected tensor [${a.shape[0]}] and src [${b.shape[0]}] to have the same number of elements, but got ${a.shape[0]} and ${b.shape[0]} elements respectively`,
    );
  }
  return mm(a.unsqueeze(0), b.unsqueeze(1)).view([]);
}

/**
 * torch.matmul: dot for 1-D x 1-D, mm for 2-D, matrix-vector, and batched products with broadcast batch dims.
 * @throws RangeError naming both shapes when the inner sizes differ.
 * @example torch.matmul(torch.ones(2, 3), torch.ones(3, 4)).shape // [2, 4]
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkFloat('matmul', a, b, true);
  const ra = a.dim();
  const rb = b.dim();
  if (ra === 0 || rb === 0) {
    throw new RangeError(`matmul: both arguments need at least 1 dimension, but they have ${ra} and ${rb}`);
  }
  if (ra === 1 && rb === 1) {
    if (a.shape[0] !== b.shape[0]) throw cannotMultiply('matmul', a, b, a.shape[0]!, b.shape[0]!);
    return dot(a, b);
  }
  const k1 = a.shape[ra - 1]!;
  const k2 = rb === 1 ? b.shape[0]! : b.shape[rb - 2]!;
  if (k1 !== k2) throw cannotMultiply('matmul', a, b, k1, k2);
  if (ra === 2 && rb === 2) return mm(a, b);
  if (rb === 1) {
    // Matrix (or batch of matrices) times vector.
    const out = matmul(a, b.unsqueeze(1));
    return out.squeeze(-1);
  }
  if (ra === 1) return matmul(a.unsqueeze(0), b).squeeze(-2);
  if (rb === 2 && ra > 2 && a.isContiguous()) {
    // A batch times one matrix is one large GEMM over the folded rows.
    const rows = numelOf(a.shape.slice(0, -1));
    return mm(a.reshape([rows, k1]), b).view([...a.shape.slice(0, -1), b.shape[1]!]);
  }
  const batch = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  const m = a.shape[ra - 2]!;
  const n = b.shape[rb - 1]!;
  const ae = a.expand([...batch, m, k1]);
  const be = b.expand([...batch, k2, n]);
  return product('BmmBackward0', ae, be, [...batch, m, n]);
}

/**
 * beta * input + alpha * (m1 @ m2), input broadcast to the product's shape, as torch.addmm.
 * @example torch.addmm(torch.zeros(2, 2), torch.eye(2), torch.ones(2, 2), { beta: 0.5, alpha: 2 }) // 2 everywhere
 */
export function addmm(input: Tensor, m1: Tensor, m2: Tensor, options: { beta?: number; alpha?: number } = {}): Tensor {
  const { beta = 1, alpha = 1 } = checkOptions('addmm', options);
  checkFloat('addmm', m1, m2);
  checkTensor('addmm', 'input', input);
  if (m1.dim() === 2 && m2.dim() === 2) {
    const shape = [m1.shape[0]!, m2.shape[1]!];
    // The input broadcasts to the product's shape (an error when it cannot, even where beta = 0 ignores it).
    const fits = input.dim() <= 2 && input.shape.every((s, i) => s === 1 || s === shape[i + 2 - input.dim()]);
    if (!fits) throw new RangeError(`addmm: input of shape ${shapeStr(input.shape)} cannot be broadcast to the product's shape ${shapeStr(shape)}`);
  }
  if (m1.dtype === 'int32') {
    if (input.dtype !== 'int32') throw new TypeError(`addmm: self and mat2 must have the same dtype (${input.dtype} and ${m2.dtype})`);
    // PyTorch casts alpha and beta to the integer type.
    // With nothing to multiply into a nonempty result PyTorch scales the input by beta in the result's type: a
    // fractional beta cannot be cast.
    if (m1.shape[1] === 0 && m1.shape[0]! * m2.shape[1]! > 0 && !Number.isInteger(beta)) throw new RangeError("addmm: result type Float can't be cast to the desired output type Long");
    const p = integerProduct(m1, m2, mm);
    const spread = noGrad(() => input.to('float64').expand(p.shape));
    const [b, a] = [Math.trunc(beta), Math.trunc(alpha)];
    return toInt32('addmm', noGrad(() => (b === 0 ? p.mul(a) : spread.mul(b).add(p.mul(a)))));
  }
  if (m1.dim() !== 2 || m2.dim() !== 2) {
    throw new RangeError(`addmm: expected 2-D matrices but received shapes ${shapeStr(m1.shape)} and ${shapeStr(m2.shape)}`);
  }
  if (m1.shape[1] !== m2.shape[0]) throw cannotMultiply('addmm', m1, m2, m1.shape[1]!, m2.shape[0]!);
  const shape = [m1.shape[0]!, m2.shape[1]!];
  // Every element is written by the copy of the input (beta != 0) or by the GEMM (an inner dim of 0 writes nothing).
  const out = beta === 0 && m1.shape[1] === 0 ? emptyTensor(shape, m1.dtype) : outputTensor(shape, m1.dtype);
  const inp = input.to(m1.dtype);
  if (beta !== 0) K.copy(out, inp.detach().expand(shape));
  gemm(out, m1, m2, alpha, beta);
  const scale = (t: Tensor, s: number): Tensor => (s === 1 ? t : t.mul(s));
  return record('AddmmBackward0', out, [inp, m1, m2], (g, needs) => {
    const [g1 = null, g2 = null] = productGrads(g, m1, m2, [needs[1]!, needs[2]!]);
    return [needs[0] ? scale(g, beta).sumToSize(inp.shape) : null, g1 && scale(g1, alpha), g2 && scale(g2, alpha)];
  });
}

declare module '../tensor' {
  interface Tensor {
    /**
     * The matrix product with broadcasting batch dims (dot, matrix-vector, batched), as Tensor.matmul.
     * @example torch.ones(2, 3).matmul(torch.ones(3)) // [3, 3]
     */
    matmul(other: Tensor): Tensor;
    /**
     * The product of two matrices, as Tensor.mm.
     * @example torch.eye(2).mm(torch.tensor([[1, 2], [3, 4]])) // [[1, 2], [3, 4]]
     */
    mm(other: Tensor): Tensor;
    /**
     * The product of two batches of matrices, as Tensor.bmm.
     * @example torch.ones(4, 2, 3).bmm(torch.ones(4, 3, 1)).shape // [4, 2, 1]
     */
    bmm(other: Tensor): Tensor;
    /**
     * The dot product of two 1-d tensors, as Tensor.dot.
     * @example torch.tensor([1, 2]).dot(torch.tensor([3, 4])) // 11
     */
    dot(other: Tensor): Tensor;
  }
}

defineMethods({
  matmul(this: Tensor, other: Tensor) {
    return matmul(this, other);
  },
  mm(this: Tensor, other: Tensor) {
    return mm(this, other);
  },
  bmm(this: Tensor, other: Tensor) {
    return bmm(this, other);
  },
  dot(this: Tensor, other: Tensor) {
    return dot(this, other);
  },
});
