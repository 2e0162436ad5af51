/**
 * Gradients recorded the way PyTorch records an op's backward function under createGraph. PyTorch's backward
 * functions (threshold_backward, hardtanh_backward, max_pool2d_with_indices_backward, nll_loss_backward, ...) take
 * the op's input as an argument of their own, with a zero derivative (derivatives.yaml: `self: zeros_like(grad)`),
 * so the gradient they return requires grad whenever the input does, and zeros flow back to the input's producers.
 * An op whose gradient depends on its input only through comparisons records its gradient here, so that
 * `autograd.grad(..., { createGraph: true })` gives a gradient that requires grad where PyTorch's does.
 */
import { emptyTensor, viewOf } from '../tensor';
import type { Tensor } from '../tensor';
import { record } from './record';

/**
 * The gradient of an op whose derivative is zero: zeros of g's shape, as PyTorch's zeros_like(grad), not g * 0
 * (which would turn an infinite or NaN incoming gradient into NaN).
 */
export const zeroGrad = (g: Tensor): Tensor => emptyTensor(g.shape, g.dtype);

/** PyTorch's name for the backward of a backward: AvgPool2DBackward0 -> AvgPool2DBackwardBackward0. */
export const backwardOfBackward = (name: string): string => name.replace(/0$/, 'Backward0');

/** PyTorch's error for a function it has no derivative for, raised when a gradient reaches it. */
export const derivativeNotImplemented = (torchName: string): Error => new Error(`derivative for aten::${torchName} is not implemented`);

/**
 * Records gx, the gradient the backward of the op `name` computed from g, as PyTorch records that backward: a node
 * `<name>Backward0` on g and on the op's input x. The backward is linear in g, so the node's gradient for g is
 * `again(gg)` (the same backward applied to gg); for x it is zeros of x's shape.
 */
export function recordLinearBackward(name: string, gx: Tensor, g: Tensor, x: Tensor, again: (gg: Tensor) => Tensor): Tensor {
  return record(backwardOfBackward(name), gx, [g, x], (gg, needs) => [
    needs[0] ? again(gg) : null,
    needs[1] ? emptyTensor(x.shape, x.dtype) : null,
  ]);
}

/**
 * Adds the op's input x to the graph of gx, a gradient already recorded on g with Tensor ops, as PyTorch's backward
 * function takes x too: a node `<name>Backward0` over a view of gx, on gx and x, that passes gg on to gx and zeros to x.
 */
export function recordOnInput(name: string, gx: Tensor, x: Tensor): Tensor {
  return record(backwardOfBackward(name), viewOf(gx, gx.shape, gx.strides), [gx, x], (gg, needs) => [
    needs[0] ? gg : null,
    needs[1] ? emptyTensor(x.shape, x.dtype) : null,
  ]);
}
