/**
 * `record` is the one place that builds the graph: every primitive runs its forward on raw storage, then calls
 * record(name, out, inputs, backward). Nothing is recorded under noGrad, for inputs that need no gradient, or for
 * outputs of a dtype that cannot carry one (integer and bool results).
 */
import type { Tensor } from '../tensor';
import type { Storage } from '../dtype';
import { isFloating, recycle } from '../dtype';
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
 * @param owned storage that only `backward` reads and no user can reach, recycled once backward has run and freed
 *   the node (see ownedStorage for the case where no node is recorded)
 */
export function record(
  name: string,
  out: Tensor,
  inputs: (Tensor | null)[],
  backward: BackwardFn<Tensor>,
  owned: readonly Storage[] | null = null,
): Tensor {
  if (traceHook !== null) traceHook(name);
  if (!isGradEnabled()) return out;
  let any = false;
  for (let i = 0; i < inputs.length; i++) if (inputs[i]?.requiresGrad) any = true;
  if (!any || !isFloating(out.dtype)) return out;
  // `inputs` is the caller's fresh array literal: it becomes the edge list (inputs without grad set to null).
  for (let i = 0; i < inputs.length; i++) if (!inputs[i]?.requiresGrad) inputs[i] = null;
  out.requiresGrad = true;
  out.gradFn = new Node(name, inputs, backward, out.shape);
  out.gradFn.owned = owned;
  return out;
}

/**
 * After record(..., owned): when no node was recorded (no grad needed), nothing will read the owned storage again,
 * and it is recycled at once.
 */
export function releaseUnrecorded(out: Tensor, owned: readonly Storage[]): void {
  if (out.gradFn === null || out.gradFn.owned !== owned) for (const s of owned) recycle(s);
}
