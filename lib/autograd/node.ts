/**
 * A graph node: one per recorded op result (its gradFn). Generic over the tensor type so that this module imports
 * nothing and the tensor core can name it without an import cycle; lib/autograd/record.ts builds nodes.
 */

/** Gradients for each input, in input order; null where an input needs none. */
export type BackwardFn<T> = (g: T, needsGrad: readonly boolean[]) => readonly (T | null)[];

export class Node<T> {
  /** PyTorch's name for the backward of the op, e.g. 'MmBackward0'. */
  readonly name: string;
  /** The inputs that need a gradient (null for the others); emptied when the graph is freed. */
  inputs: readonly (T | null)[];
  /** Computes the input gradients; holds the saved tensors until backward frees it. */
  backwardFn: BackwardFn<T> | null;
  /** The output's shape, to check the gradient that arrives. */
  readonly shape: readonly number[];
  /**
   * Storage that only this node holds and backward alone reads (a recurrent layer's workspace, max-pool positions
   * nobody asked for): recycled once backward has freed the node (lib/autograd/engine.ts).
   */
  owned: readonly ArrayBufferView[] | null = null;
  /** Set by retainGrad(): the output tensor whose .grad is kept. */
  retained: T | null = null;
  /** Backward bookkeeping: the gradient gathered so far, and the walk that last visited this node. */
  pending: T | null = null;
  visited = 0;

  constructor(name: string, inputs: readonly (T | null)[], backwardFn: BackwardFn<T>, shape: readonly number[]) {
    this.name = name;
    this.inputs = inputs;
    this.backwardFn = backwardFn;
    this.shape = shape;
  }

  /** Drops the saved tensors and the edges: this part of the graph cannot be run again. */
  free(): void {
    this.backwardFn = null;
    this.inputs = [];
    this.owned = null;
  }

  toString(): string {
    return `<${this.name}>`;
  }
}
