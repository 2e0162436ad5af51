/** Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_ (torch/nn/utils/clip_grad.py). */
import { Tensor } from '../../tensor';
import { noGrad } from '../../autograd/grad_mode';
import { stack } from '../../ops/movement';
import { scalarTensor } from '../../ops/elementwise';
import { checkNumber, checkTensorList } from '../../validate';

/**
 * Scales all gradients together so their total norm is at most maxNorm; returns the total norm before clipping.
 * @example nn.utils.clipGradNorm_(model.parameters(), 1.0)
 */
export function clipGradNorm_(parameters: Tensor | Iterable<Tensor>, maxNorm: number, normType = 2): Tensor {
  const params = checkTensorList('clipGradNorm_', 'parameters', parameters);
  checkNumber('clipGradNorm_', 'max_norm', maxNorm, false);
  checkNumber('clipGradNorm_', 'norm_type', normType, false);
  const grads = params.flatMap((p) => (p.grad ? [p.grad] : []));
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

/**
 * Clamps every gradient into [-clipValue, clipValue] in place.
 * @example const m = new nn.Linear(2, 1); m.forward(torch.ones(1, 2)).sum().backward();
 *   nn.utils.clipGradValue_(m.parameters(), 0.5)
 */
export function clipGradValue_(parameters: Tensor | Iterable<Tensor>, clipValue: number): void {
  const params = checkTensorList('clipGradValue_', 'parameters', parameters);
  checkNumber('clipGradValue_', 'clip_value', clipValue, false);
  noGrad(() => {
    for (const p of params) p.grad?.clamp_(-clipValue, clipValue);
  });
}
