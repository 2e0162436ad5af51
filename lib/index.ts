/**
 * torchlet: PyTorch's programming model for Node.js. `import * as torch from 'torchlet'`.
 */
import { native } from './backend/native/binding';
import type { BackendInfo } from './backend/native/binding';
import { Tensor } from './tensor';
import * as elementwise from './ops/elementwise';
import * as movement from './ops/movement';
import * as reduction from './ops/reduce';
import * as linalg from './ops/linalg';
import * as indexing from './ops/indexing';

export { Tensor };
export type { DType, DTypeLike, Storage } from './dtype';
export { float32, int32, int64, long, float, bool } from './dtype';
export type { Shape } from './shape';
export type { Scalar } from './ops/elementwise';
export type { IndexSpec } from './ops/movement';
export type { MaxMin } from './ops/reduce';
export type { TensorOptions } from './ops/creation';
export type { BackendInfo } from './backend/native/binding';
export { tensor, zeros, ones, empty, full, zerosLike, onesLike, emptyLike, fullLike, arange, linspace, eye } from './ops/creation';
export {
  Generator, defaultGenerator, manualSeed, initialSeed, seed, getRngState, setRngState,
  rand, randn, randLike, randnLike, randint, randperm,
} from './random';
export type { RandomOptions } from './random';
export { noGrad, enableGrad, isGradEnabled } from './autograd/grad_mode';
export * as autograd from './autograd';
export * as nn from './nn';
export * as optim from './optim';
export * as data from './data';
export { save, load } from './serialization';
export { scatterAdd, indexAdd } from './ops/indexing';
export { matmul, mm, bmm, dot, addmm } from './ops/linalg';
export { cat, stack, split, chunk, unbind } from './ops/movement';
export { gather, indexSelect } from './ops/indexing';
export {
  add, sub, mul, div, pow, remainder, maximum, minimum, eq, ne, lt, le, gt, ge,
  logicalAnd, logicalOr, logicalXor, logicalNot, neg, abs, exp, log, log1p, expm1, sqrt, rsqrt, sin, cos, tanh,
  sigmoid, relu, sign, floor, ceil, round, trunc, reciprocal, erf, square, isnan, clamp, where,
} from './ops/elementwise';
export const clip = elementwise.clamp;
export const floorDivide = elementwise.floorDivide;

type DimArg = number | readonly number[] | null;
/** torch.sum(x, dim?, keepdim?) */
export const sum = (x: Tensor, dim?: DimArg, keepDim = false): Tensor => reduction.sum(x, dim, keepDim);
export const mean = (x: Tensor, dim?: DimArg, keepDim = false): Tensor => reduction.mean(x, dim, keepDim);
export const prod = (x: Tensor, dim?: number | null, keepDim = false): Tensor => reduction.prod(x, dim, keepDim);
export const amax = (x: Tensor, dim?: DimArg, keepDim = false): Tensor => reduction.amax(x, dim, keepDim, 'max');
export const amin = (x: Tensor, dim?: DimArg, keepDim = false): Tensor => reduction.amax(x, dim, keepDim, 'min');
export const argmax = (x: Tensor, dim?: number | null, keepDim = false): Tensor => reduction.argExtreme(x, 'argmax', dim, keepDim);
export const argmin = (x: Tensor, dim?: number | null, keepDim = false): Tensor => reduction.argExtreme(x, 'argmin', dim, keepDim);
export const logsumexp = (x: Tensor, dim: number | readonly number[], keepDim = false): Tensor => reduction.logsumexp(x, dim, keepDim);
export const softmax = (x: Tensor, dim: number): Tensor => reduction.softmax(x, dim);
export const logSoftmax = (x: Tensor, dim: number): Tensor => reduction.logSoftmax(x, dim);
export const all = (x: Tensor): Tensor => reduction.all(x);
export const any = (x: Tensor): Tensor => reduction.any(x);
/** torch.max(x), torch.max(x, dim, keepdim) -> { values, indices }, or torch.max(x, other). */
export function max(x: Tensor, dim?: number | Tensor, keepDim = false): Tensor | reduction.MaxMin {
  return reduction.extreme(x, 'max', dim, keepDim);
}
export function min(x: Tensor, dim?: number | Tensor, keepDim = false): Tensor | reduction.MaxMin {
  return reduction.extreme(x, 'min', dim, keepDim);
}
export function var_(x: Tensor, dim?: DimArg, unbiased = true, keepDim = false): Tensor {
  return reduction.variance(x, dim, unbiased, keepDim);
}
export { var_ as var };
export function std(x: Tensor, dim?: DimArg, unbiased = true, keepDim = false): Tensor {
  return reduction.std(x, dim, unbiased, keepDim);
}
export const reshape = (x: Tensor, shape: readonly number[]): Tensor => movement.reshape(x, [shape]);
export const flatten = (x: Tensor, startDim = 0, endDim = -1): Tensor => movement.flatten(x, startDim, endDim);
export const transpose = (x: Tensor, d0: number, d1: number): Tensor => movement.transpose(x, d0, d1);
export const t = (x: Tensor): Tensor => movement.t(x);
export const permute = (x: Tensor, dims: readonly number[]): Tensor => movement.permute(x, dims);
export const unsqueeze = (x: Tensor, dim: number): Tensor => movement.unsqueeze(x, dim);
export const squeeze = (x: Tensor, dim?: number): Tensor => movement.squeeze(x, dim);
export const narrow = (x: Tensor, dim: number, start: number, length: number): Tensor => movement.narrow(x, dim, start, length);
export const select = (x: Tensor, dim: number, index: number): Tensor => movement.select(x, dim, index);
export const clone = (x: Tensor): Tensor => movement.clone(x);
export const broadcastTo = (x: Tensor, shape: readonly number[]): Tensor => movement.expand(x, shape);
export const leakyRelu = elementwise.leakyRelu;
export { linalg, indexing };

/** The BLAS in use, its thread count and the addon's versions. */
export function backendInfo(): BackendInfo & { nodeVersion: string } {
  return { ...native.backendInfo(), nodeVersion: process.version };
}

/** Sets the number of threads OpenBLAS uses, as torch.set_num_threads. */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNumThreads: expected a positive integer but received ${n}`);
  native.setNumThreads(n);
}

/** The number of threads OpenBLAS uses, as torch.get_num_threads. */
export function getNumThreads(): number {
  return native.getNumThreads();
}

/** Whether x is a torchlet Tensor. */
export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}
