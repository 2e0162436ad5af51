/** PyTorch's `inplace=True` for activations, in torchlet's immutable-graph terms (used by nn.functional). */
import type { Tensor } from '../tensor';
import { isGradEnabled, noGrad } from '../autograd/grad_mode';
import { checkBool, checkWritable } from '../validate';

/**
 * The result of an activation called with `inplace`: written into x and x returned, as PyTorch does. torchlet's graph
 * keeps tensors immutable, so an x tracked by autograd is left unchanged and the result returned instead (the values
 * are the same; only the aliasing differs).
 * @throws TypeError for an inplace that is not a boolean; Error for an x that cannot be written (a leaf that requires
 *   grad, an expanded view), in PyTorch's words
 */
export function inplaceResult(op: string, x: Tensor, out: Tensor, inplace: unknown): Tensor {
  if (!checkBool(op, 'inplace', inplace, false)) return out;
  // A leaf that requires grad is refused (PyTorch's error); another tracked input keeps its value.
  if (x.requiresGrad && isGradEnabled() && !x.isLeaf) return out;
  checkWritable(x, `${op}_`);
  noGrad(() => x.copy_(out));
  return x;
}
