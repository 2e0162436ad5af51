/** Reverse-mode differentiation: an iterative topological walk from the roots, freeing the graph as it goes. */
import type { Tensor } from '../tensor';
import { shapeStr, sameShape } from '../shape';
import { enableGrad, noGrad } from './grad_mode';
import type { Node } from './node';

export interface BackwardOptions {
  /** Keep the graph (and its saved tensors) for another backward. */
  retainGraph?: boolean;
  /** Record the backward computation itself, for higher derivatives. */
  createGraph?: boolean;
}

const FREED =
  'Trying to backward through the graph a second time (or directly access saved tensors after they have already ' +
  'been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). ' +
  'Specify retainGraph: true if you need to backward through the graph a second time or if you need to access ' +
  'saved tensors after calling backward.';

/** Nodes reachable from the roots, each after every node that feeds it a gradient (iterative DFS). */
function topoOrder(roots: readonly Node[]): Node[] {
  const order: Node[] = [];
  const seen = new Set<Node>();
  const stack: [Node, number][] = [];
  for (const r of roots) {
    if (seen.has(r)) continue;
    seen.add(r);
    stack.push([r, 0]);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const [node, i] = top;
      if (i < node.inputs.length) {
        top[1] = i + 1;
        const child = node.inputs[i]?.gradFn;
        if (child && !seen.has(child)) {
          seen.add(child);
          stack.push([child, 0]);
        }
      } else {
        stack.pop();
        order.push(node);
      }
    }
  }
  return order.reverse();
}

function accumulate(into: Map<Node, Tensor>, node: Node, g: Tensor): void {
  const prev = into.get(node);
  into.set(node, prev ? prev.add(g) : g);
}

/**
 * Runs backward from `roots` seeded with `seeds`. Leaf gradients go to .grad, unless `capture` is given
 * (autograd.grad): then the gradients of exactly those tensors are returned and no .grad is touched.
 */
export function runBackward(
  roots: readonly Tensor[],
  seeds: readonly Tensor[],
  options: BackwardOptions,
  capture?: readonly Tensor[],
): (Tensor | null)[] | undefined {
  const retain = options.retainGraph ?? options.createGraph ?? false;
  const create = options.createGraph ?? false;
  const captured = capture ? new Map<Tensor, Tensor | null>(capture.map((t) => [t, null])) : undefined;
  const grads = new Map<Node, Tensor>();
  const leafGrad = (t: Tensor, g: Tensor): void => {
    if (captured) {
      if (captured.has(t)) {
        const prev = captured.get(t);
        captured.set(t, prev ? prev.add(g) : g);
      }
      return;
    }
    if (!t.requiresGrad) return;
    const gg = create ? g : g.detach();
    t.grad = t.grad ? (create ? t.grad.add(gg) : noGrad(() => t.grad!.add(gg))) : gg;
  };

  const rootNodes: Node[] = [];
  roots.forEach((r, i) => {
    const seed = seeds[i]!;
    if (r.gradFn) {
      accumulate(grads, r.gradFn, seed);
      rootNodes.push(r.gradFn);
    } else {
      leafGrad(r, seed);
    }
  });

  const run = (): void => {
    for (const node of topoOrder(rootNodes)) {
      const g = grads.get(node);
      if (!g) continue;
      grads.delete(node);
      if (node.retained && !captured) node.retained.grad = create ? g : g.detach();
      if (captured) {
        for (const t of captured.keys()) if (t.gradFn === node) captured.set(t, g);
      }
      const fn = node.backwardFn;
      if (!fn) throw new Error(FREED);
      const inputs = node.inputs;
      const needs = inputs.map((t) => t !== null);
      const out = fn(g, needs);
      if (!retain) node.free();
      for (let i = 0; i < inputs.length; i++) {
        const t = inputs[i];
        const gi = out[i];
        if (!t || !gi) continue;
        if (!sameShape(gi.shape, t.shape)) {
          throw new Error(
            `Function ${node.name} returned an invalid gradient at index ${i} - got ${shapeStr(gi.shape)} but expected shape compatible with ${shapeStr(t.shape)}`,
          );
        }
        if (t.gradFn) accumulate(grads, t.gradFn, gi);
        else leafGrad(t, gi);
      }
    }
  };
  if (create) enableGrad(run);
  else noGrad(run);
  return captured ? capture!.map((t) => captured.get(t) ?? null) : undefined;
}
