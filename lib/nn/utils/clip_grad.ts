/** Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_ (torch/nn/utils/clip_grad.py). */
import { Tensor } from '../../tensor';
import { noGrad } from '../../autograd/grad_mode';
import { stack } from '../../ops/movement';
import { scalarTensor } from '../../ops/elementwise';

/**
 * Scales all gradients together so their total norm is at most maxNorm; returns the total norm before clipping.
 * @example nn.utils.clipGradNorm_(model.parameters(), 1.0)
 */
export function clipGradNorm_(parameters: Tensor | readonly Tensor[], maxNorm: number, normType = 2): Tensor {
  const grads = (parameters instanceof Tensor ? [parameters] : [...parameters]).flatMap((p) => (p.grad ? [p.grad] : []));
  return noGrad(() => {
    if (grads.length === 0) return scalarTensor(0, 'float32');
    const total =
      normType === Infinity
        ? stack(grads.map((g) => g.abs().max())).max()
        : stack(grads.map((g) => g.abs().pow(normType).sum().pow(1 / normType))).pow(normType).sum().pow(1 / normType);
    const coef = Math.min(maxNorm / ((total.item() as number) + 1e-6), 1);
    for (const g of grads) g.mul_(coef);
    return total;
  });
}

/** Clamps every gradient into [-clipValue, clipValue] in place. */
export function clipGradValue_(parameters: Tensor | readonly Tensor[], clipValue: number): void {
  noGrad(() => {
    for (const p of parameters instanceof Tensor ? [parameters] : parameters) p.grad?.clamp_(-clipValue, clipValue);
  });
}
