/** Reverse-mode differentiation: an iterative topological walk from the roots, freeing the graph as it goes. */
import type { Tensor } from '../tensor';
import type { Storage } from '../dtype';
import { collectAllocations, endCollection, recycle } from '../dtype';
import { shapeStr, sameShape } from '../shape';
import { enableGrad, noGrad } from './grad_mode';
import type { Node as GraphNode } from './node';

type Node = GraphNode<Tensor>;

/** The options of backward: retainGraph and createGraph, as PyTorch's keywords. | */
export interface BackwardOptions {
  /** Keep the graph (and its saved tensors) for another backward. */
  retainGraph?: boolean;
  /** Record the backward computation itself, for higher derivatives. */
  createGraph?: boolean;
}

export const FREED =
  'Trying to backward through the graph a second time (or directly access saved tensors after they have already ' +
  'been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). ' +
  'Specify retainGraph: true if you need to backward through the graph a second time or if you need to access ' +
  'saved tensors after calling backward.';

let walks = 0;

/** A hook run on a leaf after backward has accumulated its gradient into .grad (it reads leaf.grad). */
export type PostAccumulateGradHook = (leaf: Tensor) => void;

// Hooks per leaf, in registration order; a WeakMap so the tensor core carries no hook state.
const postAccumulateHooks = new WeakMap<Tensor, PostAccumulateGradHook[]>();
let hookedLeaves = 0;

/**
 * Registers a post-accumulate-grad hook on a leaf: called once per backward, after all of this walk's contributions
 * to the leaf have been summed into .grad (never by autograd.grad). Returns a handle whose remove() unregisters it.
 */
export function addPostAccumulateGradHook(leaf: Tensor, hook: PostAccumulateGradHook): { remove(): void } {
  let list = postAccumulateHooks.get(leaf);
  if (!list) {
    list = [];
    postAccumulateHooks.set(leaf, list);
  }
  if (list.length === 0) hookedLeaves++;
  list.push(hook);
  return {
    remove(): void {
      const i = list!.indexOf(hook);
      if (i < 0) return;
      list!.splice(i, 1);
      if (list!.length === 0) hookedLeaves--;
    },
  };
}

/** The final-callback queues of the walks in progress (a hook may start a nested backward): the innermost last. */
const callbackQueues: (() => void)[][] = [];

/**
 * Queues fn to run once the current backward has finished walking the graph, after every gradient is accumulated,
 * as PyTorch's Variable._execution_engine.queue_callback (DDP waits for its buckets there). Callbacks run in queue
 * order; one may queue another.
 * @throws Error outside a backward pass, in PyTorch's words
 * @example leaf.registerPostAccumulateGradHook(() => autograd.queueCallback(() => console.log('done')))
 */
export function queueCallback(fn: () => void): void {
  if (typeof fn !== 'function') throw new TypeError(`queueCallback: expected a function for 'callback' but received ${fn === null ? 'null' : typeof fn}`);
  const queue = callbackQueues[callbackQueues.length - 1];
  if (!queue) throw new Error('queueCallback: Final callbacks can only be installed during backward pass.');
  queue.push(fn);
}

/** Nodes reachable from the roots, each after every node that feeds it a gradient (iterative DFS). */
function topoOrder(roots: readonly Node[]): Node[] {
  const walk = ++walks;
  const order: Node[] = [];
  const stack: Node[] = [];
  const next: number[] = [];
  for (const r of roots) {
    if (r.visited === walk) continue;
    r.visited = walk;
    stack.push(r);
    next.push(0);
    while (stack.length) {
      const top = stack.length - 1;
      const node = stack[top]!;
      const i = next[top]!;
      if (i < node.inputs.length) {
        next[top] = i + 1;
        const child = node.inputs[i]?.gradFn;
        if (child && child.visited !== walk) {
          child.visited = walk;
          stack.push(child);
          next.push(0);
        }
      } else {
        stack.pop();
        next.pop();
        order.push(node);
      }
    }
  }
  return order.reverse();
}

/** For each leaf with post-accumulate hooks: the number of edges from the walk's nodes into it. */
function hookedEdges(order: readonly Node[]): Map<Tensor, { edges: number; got: boolean }> {
  const out = new Map<Tensor, { edges: number; got: boolean }>();
  for (const node of order) {
    for (const t of node.inputs) {
      if (!t || t.gradFn || !postAccumulateHooks.get(t)?.length) continue;
      const h = out.get(t);
      if (h) h.edges++;
      else out.set(t, { edges: 1, got: false });
    }
  }
  return out;
}

/**
 * Adds the window of `from` (a gradient of the same shape as `into`, zero outside the window) into `into`, in place.
 */
export type WindowAdder = (into: Tensor, from: Tensor) => void;

// Gradients that are zero outside a window of their shape (slice's and select's backward write g into zeros), with
// how to add that window alone into another gradient. A WeakMap, so the tensor carries nothing.
const windowed = new WeakMap<Tensor, WindowAdder>();

/**
 * Marks g as zero outside the window that `add` adds: the engine then sums g into a gradient it is gathering by
 * adding that window alone (chunk's pieces of an LSTM's gates each add a quarter of the gates, not all of them). For
 * the backward of slice and select; `add` must read its window from `from`, never from a tensor it captured (that
 * tensor's storage may have been recycled by then).
 */
export function markWindowed(g: Tensor, add: WindowAdder): Tensor {
  windowed.set(g, add);
  return g;
}

/**
 * Which gradient storage the engine alone can reach, so that it can be recycled the moment the last gradient on it is
 * consumed (lib/dtype.ts's pool hands it to the next op's result while it is still in cache).
 *
 * A storage qualifies only if it was allocated during this walk (by a backward function or a gradient sum: never a
 * seed, a saved tensor or anything older), and the engine counts the gradient tensors it holds on it (a backward
 * may return g itself, or a view of it, for several inputs). Handing a gradient out (to .grad, retainGrad,
 * autograd.grad's results) makes its storage the user's for good. With createGraph nothing is recycled: the backward
 * is itself recorded, so gradients are saved by the nodes it builds.
 */
class Ownership {
  // Null until the walk begins (the roots' own gradients, given before it, are never fresh).
  #fresh: WeakSet<Storage> | null = null;
  readonly #holds = new Map<Storage, number>();

  begin(): void {
    this.#fresh = collectAllocations();
  }
  end(): void {
    endCollection();
    this.#holds.clear();
  }
  /** The engine takes one more reference to t's storage. */
  hold(t: Tensor): void {
    const d = t.data;
    if (this.#fresh === null || !this.#fresh.has(d)) return;
    this.#holds.set(d, (this.#holds.get(d) ?? 0) + 1);
  }
  /** The engine is done with t: its storage is recycled when no other held gradient uses it. */
  drop(t: Tensor): void {
    const d = t.data;
    const n = this.#holds.get(d);
    if (n === undefined) return;
    if (n > 1) {
      this.#holds.set(d, n - 1);
      return;
    }
    this.#holds.delete(d);
    this.#fresh!.delete(d);
    recycle(d);
  }
  /**
   * Whether t is the only gradient the engine holds on its storage, and that storage was made in this walk: nothing
   * else can read it, so it may become a .grad that later walks add into in place.
   */
  exclusive(t: Tensor): boolean {
    return this.#fresh !== null && this.#fresh.has(t.data) && this.#holds.get(t.data) === 1;
  }
  /** t goes to the user: its storage is never recycled (nor written in place). */
  escape(t: Tensor): void {
    const d = t.data;
    this.#fresh?.delete(d);
    this.#holds.delete(d);
  }
  /**
   * Adds g into the pending gradient p in place when p is the only thing on storage the engine alone owns and p
   * covers it exactly (as PyTorch's engine sums into its input buffer), saving a fresh result per fan-in.
   */
  accumulateInPlace(p: Tensor, g: Tensor): boolean {
    const d = p.data;
    if (this.#holds.get(d) !== 1 || p.dtype !== g.dtype || p.offset !== 0 || d.length !== p.numel() || !p.isContiguous() || !sameShape(p.shape, g.shape)) return false;
    if (g.data === d) return false;
    const add = windowed.get(g);
    if (add) add(p, g);
    else p.add_(g);
    return true;
  }
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
  const owner = create ? null : new Ownership();
  // Storage handed to a .grad in this walk: a second leaf receiving the same storage gets a copy, so in-place
  // updates of one gradient (clipping, zero_) never reach another.
  const given: Storage[] = [];
  // g, or a copy when g cannot become a .grad as it is; either way the result is the user's from now on (the
  // engine still holds g when it gets a copy). g itself only if nothing else can read its storage: later walks add
  // into a leaf's .grad in place, which must change nothing but that .grad (PyTorch steals the new gradient only
  // when no other reference to it exists, and clones it otherwise).
  const own = (g: Tensor): Tensor => {
    if (create) return g;
    if (g.requiresGrad || !g.isContiguous() || given.includes(g.data) || seeds.some((s) => s.data === g.data) || !owner!.exclusive(g)) {
      g = g.clone().detach();
    } else {
      owner!.escape(g);
    }
    given.push(g.data);
    return g;
  };
  // Each gradient that reaches leafGrad and accumulate is held by the engine; they consume or hand it out.
  const leafGrad = (t: Tensor, g: Tensor): void => {
    if (captured) {
      const prev = captured.get(t);
      if (prev) captured.set(t, prev.add(g));
      else if (captured.has(t)) {
        owner?.escape(g);
        captured.set(t, g);
        return;
      }
      owner?.drop(g);
      return;
    }
    if (!t.requiresGrad) owner?.drop(g);
    else if (t.grad) {
      // As PyTorch's AccumulateGrad: in place (whoever holds the .grad sees the sum), unless the sum is itself
      // recorded (createGraph) or g shares the .grad's storage.
      const prev = t.grad;
      if (!create && prev.data !== g.data) noGrad(() => prev.add_(g));
      else t.grad = prev.add(create ? g : g.detach());
      owner?.drop(g);
    } else {
      t.grad = own(g);
      if (t.grad !== g) owner?.drop(g);
    }
  };
  const accumulate = (node: Node, g: Tensor): void => {
    const p = node.pending;
    if (!p) node.pending = g;
    else if (owner?.accumulateInPlace(p, g)) owner.drop(g);
    else {
      node.pending = p.add(g);
      owner?.hold(node.pending);
      owner?.drop(p);
      owner?.drop(g);
    }
  };

  const rootNodes: Node[] = [];
  roots.forEach((r, i) => {
    const seed = seeds[i]!;
    if (r.gradFn) {
      accumulate(r.gradFn, seed);
      rootNodes.push(r.gradFn);
    } else {
      leafGrad(r, seed);
    }
  });

  const order = topoOrder(rootNodes);
  // Hooked leaves: how many graph edges still lead to each, and whether a gradient came along one of them. A
  // leaf's hooks run when its last edge has been walked, as PyTorch runs AccumulateGrad once on the summed inputs.
  const hooked = captured || hookedLeaves === 0 ? null : hookedEdges(order);
  const arrived = (t: Tensor, withGrad: boolean): void => {
    const h = hooked!.get(t)!;
    h.got ||= withGrad;
    if (--h.edges === 0 && h.got) for (const hook of [...postAccumulateHooks.get(t)!]) hook(t);
  };
  const run = (): void => {
    for (const node of order) {
      const g = node.pending;
      if (!g) {
        if (hooked) for (const t of node.inputs) if (t && hooked.has(t)) arrived(t, false);
        continue;
      }
      node.pending = null;
      if (node.retained && !captured) node.retained.grad = own(g);
      if (captured) {
        for (const t of captured.keys()) {
          if (t.gradFn !== node) continue;
          owner?.escape(g);
          captured.set(t, g);
        }
      }
      const fn = node.backwardFn;
      if (!fn) throw new Error(FREED);
      const inputs = node.inputs;
      const needs = inputs.map((t) => t !== null);
      const out = fn(g, needs);
      const owned = node.owned;
      if (!retain) node.free();
      // Storage only this node held serves the next allocations; under createGraph the backward just recorded may
      // still read it.
      if (owned !== null && !retain && !create) for (const s of owned) recycle(s as Storage);
      // The input gradients are held before g is let go: one may be g itself or a view of it.
      if (owner) {
        for (let i = 0; i < inputs.length; i++) if (inputs[i] && out[i]) owner.hold(out[i]!);
        owner.drop(g);
      }
      for (let i = 0; i < inputs.length; i++) {
        const t = inputs[i];
        let gi = out[i];
        if (!t || !gi) continue;
        // A gradient takes its input's dtype, as PyTorch's engine casts it (an op that promoted float32 to float64).
        if (gi.dtype !== t.dtype) {
          const cast = gi.to(t.dtype);
          owner?.hold(cast);
          owner?.drop(gi);
          gi = cast;
        }
        if (!sameShape(gi.shape, t.shape)) {
          throw new Error(
            `Function ${node.name} returned an invalid gradient at index ${i} - got ${shapeStr(gi.shape)} but expected shape compatible with ${shapeStr(t.shape)}`,
          );
        }
        if (t.gradFn) accumulate(t.gradFn, gi);
        else leafGrad(t, gi);
      }
      if (hooked) inputs.forEach((t, i) => t && hooked.has(t) && arrived(t, !!out[i]));
    }
    // Callbacks queued during the walk (and by earlier callbacks) run after it, in order.
    const queue = callbackQueues[callbackQueues.length - 1]!;
    for (let i = 0; i < queue.length; i++) queue[i]!();
  };
  callbackQueues.push([]);
  owner?.begin();
  try {
    if (hooked) {
      // Leaves given as roots got their gradient before any node runs; one that the graph also reaches waits
      // for its edges.
      for (const r of new Set(roots)) {
        if (r.gradFn || !r.requiresGrad || !postAccumulateHooks.get(r)?.length) continue;
        const h = hooked.get(r);
        if (h) h.got = true;
        else for (const hook of [...postAccumulateHooks.get(r)!]) hook(r);
      }
    }
    if (create) enableGrad(run);
    else noGrad(run);
  } finally {
    owner?.end();
    callbackQueues.pop();
    // An error midway must not leave gradients parked on nodes for a later walk.
    for (const node of order) node.pending = null;
  }
  return captured ? capture!.map((t) => captured.get(t) ?? null) : undefined;
}
