/**
 * backward over several roots, grad() that returns gradients without touching .grad, and Tensor.backward. Each takes
 * PyTorch's positional arguments (grad(outputs, inputs, gradOutputs, retainGraph, createGraph, onlyInputs,
 * allowUnused)) or an options object in place of the arguments after the gradients.
 */
import { Tensor, defineMethods, emptyTensor } from '../tensor';
import { sameShape, shapeStr } from '../shape';
import { describe } from '../validate';
import { addPostAccumulateGradHook, runBackward } from './engine';
import type { BackwardOptions, PostAccumulateGradHook } from './engine';
import { noGrad } from './grad_mode';

export type { BackwardOptions } from './engine';

/** Gradients given for the outputs: one tensor (for one output) or one per output, null for an implicit one. */
export type GradTensors = Tensor | readonly (Tensor | null)[] | null;

function isOptions(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Tensor);
}

function asList(op: string, name: string, v: unknown): unknown[] {
  if (v instanceof Tensor) return [v];
  if (Array.isArray(v)) return [...(v as unknown[])];
  throw new TypeError(`${op}: expected a Tensor or an array of Tensors for '${name}' but received ${describe(v)}`);
}

/**
 * The seed gradient of each output, all validated before any graph is walked (a bad one must not free the graph
 * or be blamed on an inner node): a Tensor of the output's shape, converted to its dtype as PyTorch's engine does
 * (an int64 gradient for a float output is accepted), or, for a one-element output, ones.
 */
function seedsFor(op: string, outputs: readonly unknown[], grads: unknown): Tensor[] {
  const given = grads === null || grads === undefined ? [] : asList(op, 'grad_tensors', grads);
  if (given.length > 0 && given.length !== outputs.length) {
    throw new RangeError(`${op}: got ${given.length} gradients for ${outputs.length} outputs`);
  }
  return outputs.map((o, i) => {
    if (!(o instanceof Tensor)) throw new TypeError(`${op}: expected Tensors as outputs but element ${i} is ${describe(o)}`);
    if (!o.requiresGrad) throw new Error(`${op}: element ${i} of tensors does not require grad and does not have a grad_fn`);
    const g = given[i] ?? null;
    if (g === null) {
      if (o.numel() !== 1) throw new Error(`${op}: grad can be implicitly created only for scalar outputs`);
      const one = emptyTensor(o.shape, o.dtype);
      one.data.fill(1);
      return one;
    }
    if (!(g instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor or null for gradient ${i} but received ${describe(g)}`);
    if (!sameShape(g.shape, o.shape)) {
      throw new RangeError(
        `${op}: Mismatch in shape: grad_output[${i}] has a shape of ${shapeStr(g.shape)} and output[${i}] has a shape of ${shapeStr(o.shape)}.`,
      );
    }
    return g.dtype === o.dtype ? g : noGrad(() => g.to(o.dtype));
  });
}

const BACKWARD_KEYS = ['retainGraph', 'createGraph'];

/** Options from an options object or from PyTorch's positional booleans; unknown keys are refused. */
function optionsFrom<O extends object>(op: string, keys: readonly string[], args: readonly unknown[]): O {
  if (args.length === 1 && isOptions(args[0])) {
    const o = args[0];
    const unknown = Object.keys(o).find((k) => !keys.includes(k));
    if (unknown !== undefined) throw new TypeError(`${op}: unexpected option '${unknown}' (expected ${keys.join(', ')})`);
    return o as O;
  }
  if (args.length > keys.length) throw new TypeError(`${op}: expected at most ${keys.length} arguments after the gradients but received ${args.length}`);
  const o: Record<string, unknown> = {};
  args.forEach((v, i) => {
    if (v === undefined || v === null) return;
    if (typeof v !== 'boolean') throw new TypeError(`${op}: expected a boolean for '${keys[i]}' but received ${describe(v)}`);
    o[keys[i]!] = v;
  });
  return o as O;
}

/**
 * Accumulates gradients of several outputs at once, as torch.autograd.backward(tensors, grad_tensors,
 * retain_graph, create_graph). Every gradient is checked before the walk starts.
 * @param grads one gradient per output (null for a one-element output), or an options object
 * @throws RangeError when a gradient's shape differs from its output's
 * @example torch.autograd.backward([y1, y2], [g1, g2]); torch.autograd.backward([y], [g], { retainGraph: true })
 */
export function backward(tensors: Tensor | readonly Tensor[], grads?: GradTensors | BackwardOptions, ...rest: (boolean | BackwardOptions | null | undefined)[]): void {
  const outs = asList('backward', 'tensors', tensors);
  if (isOptions(grads)) {
    if (rest.length) throw new TypeError('backward: nothing may follow the options object');
    return backward(outs as Tensor[], null, grads);
  }
  const options = optionsFrom<BackwardOptions>('backward', BACKWARD_KEYS, rest);
  runBackward(outs as Tensor[], seedsFor('backward', outs, grads), options);
}

/** The options of autograd.grad: backward's, plus the output gradients, onlyInputs and allowUnused. | */
export interface GradOptions extends BackwardOptions {
  /** d loss / d output for each output (default: 1 for scalar outputs). */
  gradOutputs?: GradTensors;
  /** Accepted for PyTorch's signature; only true is supported (the gradients of the inputs alone). */
  onlyInputs?: boolean;
  /** Return null for inputs the outputs do not depend on, instead of throwing. */
  allowUnused?: boolean;
}

const GRAD_KEYS = ['retainGraph', 'createGraph', 'onlyInputs', 'allowUnused'];

/**
 * The gradients of outputs with respect to inputs, without touching any .grad, as torch.autograd.grad(outputs,
 * inputs, grad_outputs, retain_graph, create_graph, only_inputs, allow_unused); an options object may replace the
 * arguments from the third on. With createGraph the result is itself differentiable (second derivatives).
 * @throws Error when an input is not used by the outputs (unless allowUnused)
 * @example const [dx] = torch.autograd.grad(y, [x], { createGraph: true }); torch.autograd.grad([y], [x], [g])
 */
export function grad(
  outputs: Tensor | readonly Tensor[],
  inputs: Tensor | readonly Tensor[],
  gradOutputs?: GradTensors | GradOptions,
  ...rest: (boolean | null | undefined)[]
): (Tensor | null)[] {
  let options: GradOptions;
  if (isOptions(gradOutputs)) {
    if (rest.length) throw new TypeError('grad: nothing may follow the options object');
    options = optionsFrom<GradOptions>('grad', ['gradOutputs', ...GRAD_KEYS], [gradOutputs]);
  } else {
    options = { ...optionsFrom<GradOptions>('grad', GRAD_KEYS, rest), gradOutputs: gradOutputs as GradTensors | undefined };
  }
  if (options.onlyInputs === false) throw new TypeError('grad: onlyInputs: false is not supported (PyTorch deprecates it)');
  const outs = asList('grad', 'outputs', outputs);
  const ins = asList('grad', 'inputs', inputs);
  ins.forEach((t, i) => {
    if (!(t instanceof Tensor) || !t.requiresGrad) throw new Error(`grad: One of the differentiated Tensors (index ${i}) does not require grad`);
  });
  const result = runBackward(outs as Tensor[], seedsFor('grad', outs, options.gradOutputs), options, ins as Tensor[])!;
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
     * Accumulates d(this)/d(leaf) into every leaf's .grad, as Tensor.backward(gradient, retain_graph, create_graph).
     * A non-scalar tensor needs `gradient` (d loss/d this). Options may replace the arguments after the gradient,
     * or come first: loss.backward({ retainGraph: true }).
     * @throws Error when the graph was already freed by an earlier backward (pass retainGraph to keep it)
     * @example loss.backward(); w.grad
     */
    backward(gradient?: Tensor | BackwardOptions | null, ...rest: (boolean | BackwardOptions | null | undefined)[]): void;
    /**
     * Registers hook(leaf), run once per backward after the leaf's gradient has been accumulated into .grad, as
     * PyTorch 2.x's Tensor.register_post_accumulate_grad_hook (DDP starts its bucket reductions from it). Not run
     * by autograd.grad, which accumulates nothing.
     * @returns a handle whose remove() unregisters the hook
     * @throws Error on a tensor that does not require grad or is not a leaf
     * @example const h = w.registerPostAccumulateGradHook((p) => console.log(p.grad)); h.remove();
     */
    registerPostAccumulateGradHook(hook: PostAccumulateGradHook): { remove(): void };
  }
}

defineMethods({
  backward(this: Tensor, gradient?: Tensor | BackwardOptions | null, ...rest: (boolean | BackwardOptions | null | undefined)[]) {
    if (isOptions(gradient)) {
      if (rest.length) throw new TypeError('backward: nothing may follow the options object');
      return backward([this], null, gradient);
    }
    if (gradient !== undefined && gradient !== null && !(gradient instanceof Tensor)) {
      throw new TypeError(`backward: expected a Tensor, null or an options object for 'gradient' but received ${describe(gradient)}`);
    }
    backward([this], [gradient ?? null], ...rest);
  },
  registerPostAccumulateGradHook(this: Tensor, hook: PostAccumulateGradHook) {
    if (typeof hook !== 'function') throw new TypeError(`registerPostAccumulateGradHook: expected a function for 'hook' but received ${describe(hook)}`);
    if (!this.requiresGrad) throw new Error("registerPostAccumulateGradHook: cannot register a hook on a tensor that doesn't require gradient");
    if (this.gradFn) throw new Error('registerPostAccumulateGradHook: post accumulate grad hooks cannot be registered on non-leaf tensors');
    return addPostAccumulateGradHook(this, hook);
  },
});
