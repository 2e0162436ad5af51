/** nn.Parameter: a leaf tensor that a Module registers and an optimizer updates. */
import { Tensor, emptyTensor } from '../tensor';
import { getDefaultDtype } from '../dtype';
import { formatTensor } from '../print';
import { checkBool, describe } from '../validate';

/**
 * A leaf that requires grad by default. Built from a computed tensor (e.g. matmul(a, b)) it shares that
 * tensor's storage but starts a new graph: a and b are not in it.
 * @example const w = new nn.Parameter(torch.randn(3, 4));
 */
export class Parameter extends Tensor {
  constructor(data?: Tensor, requiresGrad = true) {
    const d = data ?? emptyTensor([0], getDefaultDtype());
    if (!(d instanceof Tensor)) throw new TypeError(`Parameter: expected a Tensor for 'data' but received ${describe(d)}`);
    checkBool('Parameter', 'requires_grad', requiresGrad, true);
    super(d.data, d.shape, d.strides, d.offset, d.dtype);
    if (requiresGrad) this.requiresGrad_(true);
  }

  override toString(): string {
    return 'Parameter containing:\n' + formatTensor(this);
  }
}
