/**
 * torchlet: PyTorch's programming model for Node.js. `import * as torch from 'torchlet'`.
 *
 * Importing this module loads every op family, and with it every Tensor method (each family attaches its own).
 */
import * as K from './backend/kernels';
import type { BackendInfo } from './backend/kernels';
import { Tensor } from './tensor';
import { canCast as castable, checkDType, resultType as promote } from './dtype';
import type { DType, DTypeLike } from './dtype';
import { checkInt, checkOperand } from './validate';
import type { Scalar } from './validate';
import './print';
import './ops/pointwise_methods';

export { Tensor };
export type { DType, DTypeLike, Storage } from './dtype';
export { float32, float, float64, double, int32, int64, long, bool, getDefaultDtype, setDefaultDtype, promoteTypes } from './dtype';
export type { Shape } from './shape';
export type { Scalar, Pair } from './validate';
export type { IndexSpec, SizeArg } from './ops/movement';
export type { MaxMin, DimArg } from './ops/reduce';
export type { TensorOptions } from './ops/creation';
export type { BackendInfo } from './backend/kernels';
export type { OpEntry } from './ops/elementwise';

// The pointwise op table: every export of lib/ops/pointwise.ts is a torch.* function.
export * from './ops/pointwise';
export { where, maskedFill, maskedSelect, maskedScatter, nonzero, argwhere, tril, triu, isinf, isfinite, isposinf, isneginf, nanToNum } from './ops/masked';
export type { NonzeroOptions, NanToNumOptions } from './ops/masked';
export { sort, argsort, topk, unique, searchsorted, bucketize } from './ops/sort';
export type { ValuesIndices, SortOptions, TopkOptions, UniqueOptions, SearchOptions } from './ops/sort';
export { cumsum, cumprod } from './ops/scan';
export type { ScanOptions } from './ops/scan';
export { repeatInterleave, flip, roll, tile, meshgrid } from './ops/repeat';
export type { RepeatInterleaveOptions, MeshgridOptions } from './ops/repeat';
export { scatter, scatterReduce } from './ops/scatter';
export type { ScatterOptions, ScatterReduce, ScatterReduceOptions } from './ops/scatter';
export { diagonal, diag } from './ops/diagonal';
export type { DiagonalOptions } from './ops/diagonal';
export { einsum, baddbmm } from './ops/einsum';
export type { AddProductOptions } from './ops/einsum';
export { lerp, addcmul, addcdiv, outer } from './ops/blend';
export type { ValueOptions } from './ops/blend';
export type { VarOptions, NormOrder, IscloseOptions } from './ops/reduce';
export { tensor, zeros, ones, empty, full, zerosLike, onesLike, emptyLike, fullLike, arange, linspace, eye } from './ops/creation';
export {
  Generator, defaultGenerator, manualSeed, initialSeed, seed, getRngState, setRngState,
  rand, randn, randLike, randnLike, randint, randperm, randomInt64, multinomial,
} from './random';
export type { RandomOptions } from './random';
export { noGrad, enableGrad, isGradEnabled } from './autograd/grad_mode';
export * as autograd from './autograd';
export * as nn from './nn';
export * as optim from './optim';
export * as data from './data';
export * as onnx from './onnx';
export * as distributed from './distributed';
export * as threads from './threads';
export * as multiprocessing from './threads';
export { save, load } from './serialization';
export type { Loaded, SaveOptions, LoadOptions, SaveFormat } from './serialization';
export { gather, indexSelect, scatterAdd, indexAdd } from './ops/indexing';
export { matmul, mm, bmm, dot, addmm } from './ops/linalg';
export {
  cat, stack, split, chunk, unbind, tensorSplit, reshape, flatten, transpose, t, permute, unsqueeze, squeeze, narrow, select,
  clone, broadcastTo,
} from './ops/movement';
export {
  sum, mean, prod, max, min, amax, amin, argmax, argmin, variance as var, variance as var_, std, logsumexp, softmax,
  logSoftmax, all, any, norm, isclose, allclose, equal,
} from './ops/reduce';
export * as linalg from './ops/linalg';
export * as indexing from './ops/indexing';

/** The BLAS in use, its thread count and the addon's versions. @example torch.backendInfo().maxThreads */
export function backendInfo(): BackendInfo & { nodeVersion: string } {
  return { ...K.backendInfo(), nodeVersion: process.version };
}

/**
 * Sets the number of threads OpenBLAS and torchlet's own kernels use, as torch.set_num_threads: process-wide, so it
 * applies to every model, every call and every worker thread of the process alike.
 * @param n an integer from 1 to the CPUs this process may use (`backendInfo().maxThreads`).
 * @throws RangeError for any other n.
 * @example torch.setNumThreads(1)
 */
export function setNumThreads(n: number): void {
  K.setNumThreads(checkInt('setNumThreads', 'n', n, 1, K.maxThreads()));
}

/** The thread count setNumThreads last set (process-wide), as torch.get_num_threads. @example torch.getNumThreads() */
export function getNumThreads(): number {
  return K.getNumThreads();
}

/**
 * The dtype an op on these operands computes in, as torch.result_type: tensors with dims decide unless a 0-dim
 * tensor or a number is of a higher category (bool < integer < floating).
 * @example torch.resultType(torch.ones(2), torch.tensor(1, { dtype: 'float64' })) // 'float32'
 */
export function resultType(tensor: Tensor | Scalar, other: Tensor | Scalar): DType {
  checkOperand('resultType', 'tensor', tensor);
  checkOperand('resultType', 'other', other);
  return promote([tensor, other]);
}

/**
 * Whether a value of one dtype may be written into a tensor of another, as torch.can_cast.
 * @example torch.canCast('float32', 'int32') // false
 */
export function canCast(from: DTypeLike, to: DTypeLike): boolean {
  return castable(checkDType('canCast', from), checkDType('canCast', to));
}

/** Whether x is a torchlet Tensor. @example torch.isTensor(torch.zeros(1)) // true */
export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}
