/**
 * The graph: one Node per recorded op result (its gradFn). `record` is the only place that builds it, so
 * every primitive records the same way: forward on raw storage first, then record(name, out, inputs, backward).
 */
import type { Tensor } from '../tensor';
import { isGradEnabled } from './grad_mode';

/** Gradients for each input, in input order; null where an input needs none. */
export type BackwardFn = (g: Tensor, needsGrad: readonly boolean[]) => readonly (Tensor | null)[];

export class Node {
  /** PyTorch's name for the backward of the op, e.g. 'MmBackward0'. */
  readonly name: string;
  /** The inputs that need a gradient (null for the others); emptied when the graph is freed. */
  inputs: readonly (Tensor | null)[];
  /** Computes the input gradients; holds the saved tensors until backward frees it. */
  backwardFn: BackwardFn | null;
  /** The output's shape, to check the gradient that arrives. */
  readonly shape: readonly number[];
  /** Set by retainGrad(): the output tensor whose .grad is kept. */
  retained: Tensor | null = null;
  /** Backward bookkeeping: the gradient gathered so far, and the walk that last visited this node. */
  pending: Tensor | null = null;
  visited = 0;

  constructor(name: string, inputs: readonly (Tensor | null)[], backwardFn: BackwardFn, shape: readonly number[]) {
    this.name = name;
    this.inputs = inputs;
    this.backwardFn = backwardFn;
    this.shape = shape;
  }

  /** Drops the saved tensors and the edges: this part of the graph cannot be run again. */
  free(): void {
    this.backwardFn = null;
    this.inputs = [];
  }

  toString(): string {
    return `<${this.name}>`;
  }
}

/**
 * Attaches a graph node to `out` when grad mode is on and some input requires grad; returns out.
 * @param name PyTorch's backward name, e.g. 'MulBackward0'
 * @param inputs the op's tensor inputs, in the order backward returns their gradients (a fresh array: it is
 *   kept as the node's edge list)
 * @param backward gradients of the inputs given the output's gradient g, written with Tensor ops
 */
export function record(name: string, out: Tensor, inputs: (Tensor | null)[], backward: BackwardFn): Tensor {
  if (!isGradEnabled()) return out;
  let any = false;
  for (let i = 0; i < inputs.length; i++) if (inputs[i]?.requiresGrad) any = true;
  if (!any) return out;
  // `inputs` is the caller's fresh array literal: it becomes the edge list (inputs without grad set to null).
  for (let i = 0; i < inputs.length; i++) if (!inputs[i]?.requiresGrad) inputs[i] = null;
  out.requiresGrad = true;
  out.gradFn = new Node(name, inputs, backward, out.shape);
  return out;
}
