/**
 * User-defined differentiable ops, as torch.autograd.Function: a subclass gives static forward(ctx, ...args) and
 * backward(ctx, ...grads) and calls MyFn.apply(...args). Forward runs under noGrad; apply records one node named
 * `<ClassName>Backward`, as PyTorch names it.
 *
 * The graph node (lib/autograd/node.ts) has one output. A Function with several differentiable outputs records its
 * node on a hidden "hub" tensor of shape [total elements + outputs]; each output gets a node of the same name that
 * scatters its gradient into the hub's gradient and sets a flag entry saying it arrived. The engine sums those
 * (every output's node runs before the hub's in the topological walk), and the hub's node splits the sum and calls
 * backward once with every output's gradient, as PyTorch's multi-output node does.
 */
import { Tensor } from '../tensor';
import { isFloating } from '../dtype';
import type { DType } from '../dtype';
import { sameShape, shapeStr } from '../shape';
import { describe } from '../validate';
import { FREED } from './engine';
import { isGradEnabled, noGrad } from './grad_mode';
import type { Node } from './node';
import { record } from './record';

function checkTensors(op: string, what: string, tensors: readonly unknown[], allowNull: boolean): void {
  tensors.forEach((t, i) => {
    if (t instanceof Tensor || (allowNull && (t === null || t === undefined))) return;
    throw new TypeError(`${op} can only ${what} tensors${allowNull ? ' (or null)' : ''}, but argument ${i} is ${describe(t)}`);
  });
}

/**
 * The context object forward and backward share, as PyTorch's FunctionCtx: saved tensors, the input-gradient flags
 * and any attribute the user sets (`ctx.k = 3`).
 * @example class MyExp extends torch.autograd.Function {
 *   static forward(ctx: torch.autograd.FunctionCtx, x: Tensor) { const y = x.exp(); ctx.saveForBackward(y); return y; }
 *   static backward(ctx: torch.autograd.FunctionCtx, g: Tensor) { const [y] = ctx.savedTensors; return g.mul(y!); }
 * }
 */
export class FunctionCtx {
  /** Arbitrary attributes forward stores for backward, as Python's ctx.attr = value. */
  [attribute: string]: unknown;
  /** For each forward argument: whether it is a Tensor that requires grad (false for other arguments). */
  needsInputGrad: readonly boolean[] = [];
  #saved: (Tensor | null)[] = [];
  #node: Node<Tensor> | null = null;
  #dirty: Tensor[] = [];
  #nonDifferentiable: Tensor[] = [];
  #materializeGrads = true;

  /**
   * Keeps tensors (inputs, outputs or intermediates) for backward, where ctx.savedTensors returns them.
   * @throws TypeError when an argument is not a Tensor or null
   * @example ctx.saveForBackward(x, y)
   */
  saveForBackward(...tensors: (Tensor | null | undefined)[]): void {
    checkTensors('saveForBackward', 'save', tensors, true);
    this.#saved = tensors.map((t) => t ?? null);
  }

  /**
   * The tensors given to saveForBackward, in order.
   * @throws Error once backward has freed the graph (without retainGraph), in PyTorch's words
   * @example const [x, y] = ctx.savedTensors;
   */
  get savedTensors(): (Tensor | null)[] {
    if (this.#node !== null && this.#node.backwardFn === null) throw new Error(FREED);
    return [...this.#saved];
  }

  /**
   * Declares inputs forward modified in place (each must also be returned), as ctx.mark_dirty.
   * @example x.mul_(2); ctx.markDirty(x); return x;
   */
  markDirty(...tensors: Tensor[]): void {
    checkTensors('markDirty', 'mark', tensors, false);
    this.#dirty = [...tensors];
  }

  /**
   * Declares outputs that have no gradient (indices, masks), as ctx.mark_non_differentiable; backward still
   * receives a gradient for each: zeros, or null without materialized grads.
   * @example const i = x.argmax(); ctx.markNonDifferentiable(i); return [x.max(), i];
   */
  markNonDifferentiable(...tensors: Tensor[]): void {
    checkTensors('markNonDifferentiable', 'mark', tensors, false);
    this.#nonDifferentiable = [...tensors];
  }

  /**
   * Whether backward receives zeros (true, the default) or null for outputs that got no gradient.
   * @example ctx.setMaterializeGrads(false)
   */
  setMaterializeGrads(value: boolean): void {
    if (typeof value !== 'boolean') throw new TypeError(`setMaterializeGrads: expected a boolean for 'value' but received ${describe(value)}`);
    this.#materializeGrads = value;
  }

  /** @internal apply's view of what forward declared. */
  static declared(ctx: FunctionCtx): { dirty: readonly Tensor[]; nonDifferentiable: readonly Tensor[]; materialize: boolean } {
    return { dirty: ctx.#dirty, nonDifferentiable: ctx.#nonDifferentiable, materialize: ctx.#materializeGrads };
  }

  /** @internal The node whose freeing frees the saved tensors. */
  static attach(ctx: FunctionCtx, node: Node<Tensor> | null): void {
    ctx.#node = node;
  }
}

/** The arguments a Function's forward takes after ctx. */
export type ForwardArgs<F> = F extends { forward(ctx: never, ...args: infer A): unknown } ? A : never;
/** What a Function's forward returns (and so what apply returns). */
export type ForwardResult<F> = F extends { forward(ctx: never, ...args: never[]): infer R } ? R : never;

/** Whether a tensor of shape `from` broadcasts to `to` (PyTorch's is_expandable_to). */
function expandable(from: readonly number[], to: readonly number[]): boolean {
  if (from.length > to.length) return false;
  return from.every((n, i) => n === 1 || n === to[to.length - from.length + i]);
}

/**
 * Base class of user-defined differentiable ops, as torch.autograd.Function. Subclasses define static
 * `forward(ctx, ...args)` (run under noGrad, returning a Tensor, an array of outputs or any value) and static
 * `backward(ctx, ...grads)` (one gradient per output in; one per forward argument out, null where none, as a
 * Tensor or an array), and call `MyFn.apply(...args)`.
 * @example class Clamp01 extends torch.autograd.Function {
 *   static forward(_ctx: torch.autograd.FunctionCtx, x: Tensor) { return x.clamp(0, 1); }
 *   static backward(_ctx: torch.autograd.FunctionCtx, g: Tensor) { return g; } // straight-through
 * }
 * const y = Clamp01.apply(torch.randn([3], { requiresGrad: true }));
 */
export class Function {
  /**
   * The op's forward: override in a subclass.
   * @throws Error unless a subclass defines it
   * @example static forward(ctx, x) { ctx.saveForBackward(x); return x.mul(2); }
   */
  static forward(_ctx: FunctionCtx, ..._args: never[]): unknown {
    throw new Error('You must implement the forward function for custom autograd.Function.');
  }

  /**
   * The op's gradient: override in a subclass; one gradient per forward argument (null where none).
   * @throws Error unless a subclass defines it
   * @example static backward(ctx, g) { return g.mul(2); }
   */
  static backward(_ctx: FunctionCtx, ..._grads: never[]): unknown {
    throw new Error('You must implement either the backward or vjp method for your custom autograd.Function to use it with backward mode AD.');
  }

  /**
   * Runs forward under noGrad and, when grad mode is on and a Tensor argument requires grad, records one node
   * named `<ClassName>Backward` for the floating outputs not marked non-differentiable.
   * @throws Error when an input marked dirty is not returned, or is a leaf that requires grad, in PyTorch's words
   * @example const y = MyExp.apply(x); y.gradFn!.name // 'MyExpBackward'
   */
  static apply<F extends typeof Function>(this: F, ...args: ForwardArgs<F>): ForwardResult<F> {
    const name = `${this.name}Backward`;
    const argList = args as readonly unknown[];
    const ctx = new FunctionCtx();
    ctx.needsInputGrad = argList.map((a) => a instanceof Tensor && a.requiresGrad);
    const raw = noGrad(() => (this.forward as (ctx: FunctionCtx, ...a: readonly unknown[]) => unknown)(ctx, ...argList));
    const { dirty, nonDifferentiable, materialize } = FunctionCtx.declared(ctx);
    const single = !Array.isArray(raw);
    const outputs: unknown[] = single ? [raw] : [...(raw as unknown[])];
    for (const d of dirty) {
      if (!outputs.includes(d)) {
        throw new Error('Some elements marked as dirty during the forward method were not returned as output. The inputs that are modified inplace must all be outputs of the Function.');
      }
    }
    const recording = isGradEnabled() && ctx.needsInputGrad.some(Boolean);
    for (const d of dirty) {
      if (recording && d.requiresGrad && d.gradFn === null) throw new Error('a leaf Variable that requires grad has been used in an in-place operation.');
    }
    // An output that is an input (not modified in place) or already in a graph becomes a fresh view, so that
    // recording never rewrites another tensor's history.
    for (let k = 0; k < outputs.length; k++) {
      const o = outputs[k];
      if (o instanceof Tensor && !dirty.includes(o) && (argList.includes(o) || o.requiresGrad || outputs.indexOf(o) < k)) outputs[k] = o.detach();
    }
    if (recording) {
      // The node's edges: the Tensor arguments (an input modified in place is represented by its old history).
      const inputs = argList.map((a) => {
        if (!(a instanceof Tensor)) return null;
        if (!dirty.includes(a)) return a;
        const before = a.detach();
        before.requiresGrad = a.requiresGrad;
        before.gradFn = a.gradFn;
        return before;
      });
      const diff = outputs.flatMap((o, k) => (o instanceof Tensor && isFloating(o.dtype) && !nonDifferentiable.includes(o) ? [k] : []));
      const run = (grads: (Tensor | null)[]): (Tensor | null)[] => {
        const gs = outputs.map((o, k) => grads[k] ?? (materialize && o instanceof Tensor ? o.newZeros(o.shape) : null));
        return gradientsOf(name, this.backward(ctx, ...(gs as never[])), argList);
      };
      const node = diff.length === 0 ? null : diff.length === 1 ? recordOne(name, outputs, diff[0]!, inputs, run) : recordHub(name, outputs, diff, inputs, run);
      FunctionCtx.attach(ctx, node);
    }
    return (single ? outputs[0] : outputs) as ForwardResult<F>;
  }
}

type Run = (grads: (Tensor | null)[]) => (Tensor | null)[];

/** One differentiable output: its own node calls backward. */
function recordOne(name: string, outputs: unknown[], k: number, inputs: (Tensor | null)[], run: Run): Node<Tensor> | null {
  const o = outputs[k] as Tensor;
  record(name, o, inputs, (g) => {
    const grads = outputs.map((): Tensor | null => null);
    grads[k] = g;
    return run(grads);
  });
  return o.gradFn;
}

/** Several differentiable outputs: one hub node calls backward with all their gradients (see the file comment). */
function recordHub(name: string, outputs: unknown[], diff: readonly number[], inputs: (Tensor | null)[], run: Run): Node<Tensor> | null {
  const outs = diff.map((k) => outputs[k] as Tensor);
  const dtype: DType = outs.some((o) => o.dtype === 'float64') ? 'float64' : 'float32';
  const starts: number[] = [];
  let total = 0;
  for (const o of outs) {
    starts.push(total);
    total += o.numel();
  }
  const size = total + outs.length;
  const hub = new Tensor(dtype === 'float64' ? new Float64Array(1) : new Float32Array(1), [size], [0], 0, dtype);
  record(name, hub, inputs, (gh) =>
    run(
      outputs.map((_, k) => {
        const i = diff.indexOf(k);
        if (i < 0 || gh.narrow(0, total + i, 1).item() === 0) return null;
        const o = outs[i]!;
        return gh.narrow(0, starts[i]!, o.numel()).reshape(o.shape).to(o.dtype);
      }),
    ),
  );
  if (!hub.gradFn) return null;
  outs.forEach((o, i) => {
    const at = new Tensor(Int32Array.from({ length: o.numel() + 1 }, (_, j) => (j < o.numel() ? starts[i]! + j : total + i)), [o.numel() + 1]);
    record(name, o, [hub], (g) => {
      const flat = g.reshape(-1).to(dtype);
      const withFlag = flat.newZeros([size]).indexAdd(0, at.narrow(0, 0, o.numel()), flat);
      return [withFlag.indexAdd(0, at.narrow(0, o.numel(), 1), flat.newOnes([1]))];
    });
  });
  return hub.gradFn;
}

/**
 * backward's result as one gradient per forward argument, checked as PyTorch's engine checks them: the count
 * (extra trailing nulls allowed), null for non-Tensor arguments, and a shape that is the input's or sums to it.
 */
function gradientsOf(name: string, result: unknown, args: readonly unknown[]): (Tensor | null)[] {
  const list: unknown[] = Array.isArray(result) ? [...(result as unknown[])] : [result];
  let n = list.length;
  while (n > args.length && (list[n - 1] === null || list[n - 1] === undefined)) n--;
  if (n !== args.length && list.length !== args.length) {
    throw new RangeError(`function ${name} returned an incorrect number of gradients (expected ${args.length}, got ${list.length})`);
  }
  return args.map((a, i) => {
    const g = list[i] ?? null;
    if (g === null) return null;
    if (!(g instanceof Tensor)) throw new TypeError(`function ${name} returned an invalid gradient at index ${i}: expected a Tensor or null but received ${describe(g)}`);
    if (!(a instanceof Tensor)) {
      throw new TypeError(`function ${name} returned a gradient different than None at position ${i + 1}, but the corresponding forward input was not a Variable`);
    }
    if (sameShape(g.shape, a.shape)) return g;
    if (expandable(a.shape, g.shape)) return g.sumToSize(...a.shape);
    throw new RangeError(`Function ${name} returned an invalid gradient at index ${i} - got ${shapeStr(g.shape)} but expected shape compatible with ${shapeStr(a.shape)}`);
  });
}
