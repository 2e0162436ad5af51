/**
 * Dropout's product: x times PyTorch's CPU noise (bernoulli_(1 - p) of the generator, divided by 1 - p), so a seed
 * gives PyTorch's mask. One definition for F.dropout (lib/nn/functional.ts) and the dropout inside attention
 * (lib/nn/functional_attention.ts).
 */
import type { Tensor } from '../tensor';
import { outputTensor } from '../tensor';
import type { Generator } from '../random';
import { noGrad } from '../autograd/grad_mode';
import { record, releaseUnrecorded } from '../autograd/record';

/**
 * x * noise for 0 < p < 1, recorded as PyTorch's MulBackward0 (the gradient is g * noise). The noise is the node's
 * alone, so it is recycled once backward has run, or at once when nothing is recorded.
 * @example dropoutProduct(torch.ones(4), 0.5) // each element 0 or 2
 */
export function dropoutProduct(x: Tensor, p: number, options: { generator?: Generator } = {}): Tensor {
  const noise = outputTensor(x.shape, x.dtype).bernoulli_(1 - p, options);
  const out = noGrad(() => {
    noise.div_(1 - p);
    return x.mul(noise);
  });
  const owned = [noise.data];
  record('MulBackward0', out, [x], (g) => [g.mul(noise)], owned);
  releaseUnrecorded(out, owned);
  return out;
}
