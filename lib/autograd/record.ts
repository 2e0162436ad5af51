/**
 * `record` is the one place that builds the graph: every primitive runs its forward on raw storage, then calls
 * record(name, out, inputs, backward). Nothing is recorded under noGrad, for inputs that need no gradient, or for
 * outputs of a dtype that cannot carry one (integer and bool results).
 */
import type { Tensor } from '../tensor';
import { isFloating } from '../dtype';
import { isGradEnabled } from './grad_mode';
import { Node } from './node';
import type { BackwardFn } from './node';

/** Told of every primitive while torch.onnx.export traces a forward pass (lib/onnx/trace.ts); null otherwise. */
let traceHook: ((name: string) => void) | null = null;

/** Sets or clears the tracing hook: lib/onnx uses it to refuse a primitive that ran outside every traced op. */
export function setTraceHook(hook: ((name: string) => void) | null): void {
  traceHook = hook;
}

/**
 * Attaches a graph node to `out` when grad mode is on, some input requires grad and out is floating; returns out.
 * @param name PyTorch's backward name, e.g. 'MulBackward0'
 * @param inputs the op's tensor inputs, in the order backward returns their gradients (a fresh array: it is
 *   kept as the node's edge list)
 * @param backward gradients of the inputs given the output's gradient g, written with Tensor ops
 */
export function record(name: string, out: Tensor, inputs: (Tensor | null)[], backward: BackwardFn<Tensor>): Tensor {
  if (traceHook !== null) traceHook(name);
  if (!isGradEnabled()) return out;
  let any = false;
  for (let i = 0; i < inputs.length; i++) if (inputs[i]?.requiresGrad) any = true;
  if (!any || !isFloating(out.dtype)) return out;
  // `inputs` is the caller's fresh array literal: it becomes the edge list (inputs without grad set to null).
  for (let i = 0; i < inputs.length; i++) if (!inputs[i]?.requiresGrad) inputs[i] = null;
  out.requiresGrad = true;
  out.gradFn = new Node(name, inputs, backward, out.shape);
  return out;
}
