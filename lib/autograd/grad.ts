/** backward over several roots, grad() that returns gradients without touching .grad, and Tensor.backward. */
import { Tensor, defineMethods, emptyTensor } from '../tensor';
import { runBackward } from './engine';
import type { BackwardOptions } from './engine';

export type { BackwardOptions } from './engine';

function seedsFor(op: string, outputs: readonly Tensor[], grads?: readonly (Tensor | null)[]): Tensor[] {
  return outputs.map((o, i) => {
    if (!(o instanceof Tensor)) throw new TypeError(`${op}: expected Tensors as outputs`);
    if (!o.requiresGrad) throw new Error(`${op}: element ${i} of tensors does not require grad and does not have a grad_fn`);
    const g = grads?.[i] ?? null;
    if (g) return g;
    if (o.numel() !== 1) throw new Error(`${op}: grad can be implicitly created only for scalar outputs`);
    return ones(o);
  });
}

/** A tensor of ones shaped and typed like x (the implicit gradient of a scalar output). */
function ones(x: Tensor): Tensor {
  const t = emptyTensor(x.shape, x.dtype);
  t.data.fill(1);
  return t;
}

/**
 * Accumulates gradients of several outputs at once, as torch.autograd.backward.
 * @example torch.autograd.backward([y1, y2], [g1, g2])
 */
export function backward(tensors: Tensor | readonly Tensor[], grads?: readonly (Tensor | null)[] | Tensor, options: BackwardOptions = {}): void {
  const outs = tensors instanceof Tensor ? [tensors] : [...tensors];
  const gs = grads instanceof Tensor ? [grads] : grads;
  runBackward(outs, seedsFor('backward', outs, gs), options);
}

export interface GradOptions extends BackwardOptions {
  /** d loss / d output for each output (default: 1 for scalar outputs). */
  gradOutputs?: readonly (Tensor | null)[];
  /** Return null for inputs the outputs do not depend on, instead of throwing. */
  allowUnused?: boolean;
}

/**
 * The gradients of outputs with respect to inputs, without touching any .grad, as torch.autograd.grad.
 * With createGraph the result is itself differentiable (second derivatives).
 * @throws Error when an input is not used by the outputs (unless allowUnused)
 * @example const [dx] = torch.autograd.grad(y, [x], { createGraph: true });
 */
export function grad(outputs: Tensor | readonly Tensor[], inputs: Tensor | readonly Tensor[], options: GradOptions = {}): (Tensor | null)[] {
  const outs = outputs instanceof Tensor ? [outputs] : [...outputs];
  const ins = inputs instanceof Tensor ? [inputs] : [...inputs];
  ins.forEach((t, i) => {
    if (!(t instanceof Tensor) || !t.requiresGrad) throw new Error(`grad: One of the differentiated Tensors (index ${i}) does not require grad`);
  });
  const result = runBackward(outs, seedsFor('grad', outs, options.gradOutputs), options, ins)!;
  result.forEach((g, i) => {
    if (!g && !options.allowUnused) {
      throw new Error(`grad: One of the differentiated Tensors (index ${i}) appears to not have been used in the graph. Set allowUnused: true if this is the desired behavior.`);
    }
  });
  return result;
}

declare module '../tensor' {
  interface Tensor {
    /**
     * Accumulates d(this)/d(leaf) into every leaf's .grad. A non-scalar tensor needs `gradient` (d loss/d this).
     * Options may come first: loss.backward({ retainGraph: true }).
     * @throws Error when the graph was already freed by an earlier backward (pass retainGraph to keep it)
     * @example loss.backward(); w.grad
     */
    backward(gradient?: Tensor | BackwardOptions | null, options?: BackwardOptions): void;
  }
}

defineMethods({
  backward(this: Tensor, gradient?: Tensor | BackwardOptions | null, options: BackwardOptions = {}) {
    if (gradient && !(gradient instanceof Tensor)) {
      options = gradient;
      gradient = null;
    }
    if (!this.requiresGrad) {
      throw new Error('element 0 of tensors does not require grad and does not have a grad_fn');
    }
    let seed = gradient ?? null;
    if (!seed) {
      if (this.numel() !== 1) throw new Error('grad can be implicitly created only for scalar outputs');
      seed = ones(this);
    } else if (seed.shape.length !== this.shape.length || seed.shape.some((s, i) => s !== this.shape[i])) {
      throw new RangeError(
        `backward: Mismatch in shape: grad_output[0] has a shape of [${seed.shape.join(', ')}] and output[0] has a shape of [${this.shape.join(', ')}].`,
      );
    }
    runBackward([this], [seed], options);
  },
});
