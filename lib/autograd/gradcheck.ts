/**
 * torch.autograd.gradcheck (PyTorch 1.13's slow mode): the Jacobian of fn from central finite differences against
 * the one backward computes, row by row, with PyTorch's defaults, checks and messages.
 */
import { Tensor, emptyTensor } from '../tensor';
import { isFloating } from '../dtype';
import { grad } from './grad';
import { noGrad } from './grad_mode';
import { checkBool, checkNumber, checkOptions, describe } from '../validate';

/** The options of gradcheck and gradgradcheck: the perturbation, tolerances and whether to raise. | */
export interface GradcheckOptions {
  /** Perturbation for the finite differences. */
  eps?: number;
  /** Absolute tolerance. */
  atol?: number;
  /** Relative tolerance. */
  rtol?: number;
  /** Throw a GradcheckError on failure (default), or return false. */
  raiseException?: boolean;
  /** How far two backward runs with the same inputs may differ (nondeterminism). */
  nondetTol?: number;
}

/**
 * A failed gradient check, as PyTorch's GradcheckError (a RuntimeError there).
 * @example try { torch.autograd.gradcheck(f, [x]);
 *   } catch (e) { if (e instanceof torch.autograd.GradcheckError) console.error(e.message); }
 */
export class GradcheckError extends Error {
  override name = 'GradcheckError';
  /** Any message is shown as text, as Python's RuntimeError(obj) shows str(obj) (a Symbol too). */
  constructor(message?: unknown) {
    super(message === undefined ? undefined : messageText(message));
  }
}

function messageText(v: unknown): string {
  try {
    return String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

const FAILED_NONDET_MSG = `\n
NOTE: If your op relies on non-deterministic operations i.e., it is listed here:
https://pytorch.org/docs/stable/generated/torch.use_deterministic_algorithms.html
this failure might be expected.

If you are adding a new operator, please file an issue and then use one of the
workarounds. The workaround depends on how your test invokes gradcheck/gradgradcheck.
If the test
- manually invokes gradcheck/gradgradcheck, then call gradcheck/gradgradcheck
  with \`nondet_tol=<tol>\` as a keyword argument.
- is OpInfo-based (e.g., in test_ops_gradients.py), then modify the OpInfo for the test
  to have \`gradcheck_nondet_tol=<tol>\`.
- is a Module test (e.g., in common_nn.py), then modify the corresponding
  module_test entry to have \`gradcheck_nondet_tol=<tol>\`
`;

type Fn = (...inputs: never[]) => Tensor | readonly Tensor[];

const asList = (out: Tensor | readonly Tensor[]): Tensor[] => (out instanceof Tensor ? [out] : [...out]);

/** Storage positions of every element of t, in row-major order of its indices (PyTorch's _iter_tensor). */
function positions(t: Tensor): number[] {
  const out: number[] = [];
  const rec = (d: number, at: number): void => {
    if (d === t.dim()) {
      out.push(at);
      return;
    }
    for (let i = 0; i < t.shape[d]!; i++) rec(d + 1, at + i * t.strides[d]!);
  };
  rec(0, t.offset);
  return out;
}

/** A [rows, cols] matrix of t's dtype, filled column by column from flattened tensors. */
function matrix(t: Tensor, cols: number): Tensor {
  return emptyTensor([t.numel(), cols], t.dtype);
}

function setColumn(m: Tensor, j: number, values: readonly number[]): void {
  const cols = m.shape[1]!;
  for (let i = 0; i < values.length; i++) m.data[i * cols + j] = values[i]!;
}

const flatValues = (t: Tensor): number[] => (t.reshape(-1).tolist() as number[]).map(Number);

/** torch.allclose: |a - b| <= atol + rtol * |b| everywhere, NaN never close. */
function allclose(a: Tensor, b: Tensor, rtol: number, atol: number): boolean {
  const x = flatValues(a);
  const y = flatValues(b);
  return x.every((v, i) => Math.abs(v - y[i]!) <= atol + rtol * Math.abs(y[i]!));
}

/** numerical[input][output]: d output / d input as [input.numel(), output.numel()], by central differences. */
function numericalJacobian(fn: () => Tensor[], inputs: readonly Tensor[], outputs: readonly Tensor[], eps: number): Tensor[][] {
  return inputs.map((x) => {
    const jac = outputs.map((o) => emptyTensor([x.numel(), o.numel()], o.dtype));
    positions(x).forEach((at, row) => {
      const orig = x.data[at]!;
      x.data[at] = orig - eps;
      const outa = fn();
      x.data[at] = orig + eps;
      const outb = fn();
      x.data[at] = orig;
      outputs.forEach((o, k) => {
        const a = outa[k]!;
        const b = outb[k]!;
        if (a.dtype !== o.dtype || a.shape.join() !== o.shape.join() || b.shape.join() !== o.shape.join()) {
          throw new Error(
            `Expected \`func\` to return outputs with the same shape and dtype when inputs are perturbed by ${eps}, but got: shapes [${a.shape}] and [${b.shape}], dtypes ${a.dtype} and ${b.dtype}.`,
          );
        }
        const d = flatValues(b.sub(a).div(2 * eps));
        const cols = o.numel();
        for (let c = 0; c < cols; c++) jac[k]!.data[row * cols + c] = d[c]!;
      });
    });
    return jac;
  });
}

/** analytical[input] for one output: backward of each one-hot output gradient, as [input.numel(), output.numel()]. */
function analyticalJacobian(output: Tensor, inputs: readonly Tensor[]): { jacobians: Tensor[]; sizesOk: boolean } {
  const jacobians = inputs.map((x) => matrix(x, output.numel()));
  let sizesOk = true;
  const seed = emptyTensor(output.shape, output.dtype);
  for (let j = 0; j < output.numel(); j++) {
    seed.data.fill(0);
    seed.data[j] = 1;
    const grads = grad([output], [...inputs], { gradOutputs: [seed], retainGraph: true, allowUnused: true });
    grads.forEach((g, i) => {
      const x = inputs[i]!;
      if (!g) return;
      if (g.shape.join() !== x.shape.join()) {
        sizesOk = false;
        return;
      }
      setColumn(jacobians[i]!, j, flatValues(g));
    });
  }
  return { jacobians, sizesOk };
}

function notAllCloseMessage(analytical: Tensor, numerical: Tensor, outputIdx: number, inputIdx: number): string {
  return `Jacobian mismatch for output ${outputIdx} with respect to input ${inputIdx},\nnumerical:${numerical}\nanalytical:${analytical}\n`;
}

function check(fn: Fn, inputs: readonly unknown[], o: Required<GradcheckOptions>): boolean {
  let anyGrad = false;
  inputs.forEach((x, idx) => {
    if (!(x instanceof Tensor) || !x.requiresGrad) return;
    if (x.dtype !== 'float64') {
      process.emitWarning(
        `Input #${idx} requires gradient and is not a double precision floating point or complex. This check will ` +
          'likely fail if all the inputs are not of double precision floating point or complex. ',
        'UserWarning',
      );
    }
    if (!x.strides.every((st, d) => st > 0 || x.shape[d]! <= 1)) {
      throw new Error(
        `The ${idx}th input has a dimension with stride 0. gradcheck only supports inputs that are non-overlapping to ` +
          'be able to compute the numerical gradients correctly. You should call .contiguous on the input before ' +
          'passing it to gradcheck.',
      );
    }
    anyGrad = true;
  });
  if (!anyGrad) {
    throw new Error('gradcheck expects at least one input tensor to require gradient, but none of the them have requires_grad=True.');
  }
  const diffInputs = inputs.filter((x): x is Tensor => x instanceof Tensor && x.requiresGrad);
  const call = (): Tensor[] => asList((fn as (...a: unknown[]) => Tensor | readonly Tensor[])(...inputs));
  const funcOut = call();
  const outputs = funcOut.filter((t) => t.requiresGrad);
  const floatOut = funcOut.filter((t) => isFloating(t.dtype));
  const numerical = noGrad(() => numericalJacobian(() => call().filter((t) => isFloating(t.dtype)), diffInputs, floatOut, o.eps));
  if (outputs.length === 0) {
    // Without differentiable outputs the numerical gradient must be zero.
    if (numerical.some((perInput) => perInput.some((j) => flatValues(j).some((v) => v !== 0)))) {
      throw new GradcheckError('Numerical gradient for function expected to be zero');
    }
    return true;
  }
  outputs.forEach((out, i) => {
    const k = floatOut.indexOf(out);
    const first = analyticalJacobian(out, diffInputs);
    const second = analyticalJacobian(out, diffInputs);
    if (!first.sizesOk) throw new GradcheckError('Analytical gradient has incorrect size');
    const reentrant = first.jacobians.every((a, n) => {
      const x = flatValues(a);
      const y = flatValues(second.jacobians[n]!);
      return x.length === 0 || Math.max(...x.map((v, m) => Math.abs(v - y[m]!))) <= o.nondetTol;
    });
    if (!reentrant) {
      throw new GradcheckError(
        'Backward is not reentrant, i.e., running backward with same input and grad_output multiple times gives ' +
          'different values, although analytical gradient matches numerical gradient.' +
          `The tolerance for nondeterminism was ${o.nondetTol}.` +
          FAILED_NONDET_MSG,
      );
    }
    first.jacobians.forEach((a, j) => {
      const n = numerical[j]![k]!;
      if (!allclose(a, n, o.rtol, o.atol)) throw new GradcheckError(notAllCloseMessage(a, n, i, j));
    });
  });
  // The backward must scale by the output gradient: zero output gradients give zero input gradients.
  const zeros = outputs.map((out) => emptyTensor(out.shape, out.dtype));
  const grads = grad(outputs, diffInputs, { gradOutputs: zeros, retainGraph: true, allowUnused: true });
  grads.forEach((g, i) => {
    if (!g) return;
    if (flatValues(g).some((v) => v !== 0)) throw new GradcheckError('backward not multiplied by grad_output');
    if (g.dtype !== diffInputs[i]!.dtype) throw new GradcheckError('grad is incorrect type');
    if (g.shape.join() !== diffInputs[i]!.shape.join()) throw new GradcheckError('grad is incorrect size');
  });
  return true;
}

/** gradcheck's inputs: one Tensor or an array (or other iterable) of arguments, Tensors or not. */
function checkInputs(inputs: unknown): unknown[] {
  if (inputs instanceof Tensor) return [inputs];
  const iterable = inputs !== null && typeof inputs === 'object' && typeof (inputs as Iterable<unknown>)[Symbol.iterator] === 'function';
  if (!iterable) throw new TypeError(`gradcheck: expected a Tensor or an array of inputs for 'inputs' but received ${describe(inputs)}`);
  return [...(inputs as Iterable<unknown>)];
}

/**
 * Checks the gradients backward computes against central finite differences, for every input that requires
 * grad (they should be float64), as torch.autograd.gradcheck. fn may return one tensor or several.
 * @throws GradcheckError with PyTorch's message ("Jacobian mismatch for output 0 with respect to input 0, ...")
 *   on a mismatch, unless raiseException is false (then it returns false)
 * @example torch.autograd.gradcheck((x) => x.sin(), [torch.rand([3], { dtype: 'float64', requiresGrad: true })])
 */
export function gradcheck(fn: Fn, inputs: Tensor | readonly unknown[], options: GradcheckOptions = {}): boolean {
  if (typeof fn !== 'function') throw new TypeError(`gradcheck: expected a function for 'func' but received ${describe(fn)}`);
  const list = checkInputs(inputs);
  const given = checkOptions('gradcheck', options);
  const o: Required<GradcheckOptions> = { eps: 1e-6, atol: 1e-5, rtol: 1e-3, raiseException: true, nondetTol: 0 };
  for (const k of ['eps', 'atol', 'rtol', 'nondetTol'] as const) {
    if (given[k] !== undefined) o[k] = checkNumber('gradcheck', k, given[k], false);
  }
  o.raiseException = checkBool('gradcheck', 'raiseException', given.raiseException, true);
  if (o.raiseException) return check(fn, list, o);
  try {
    return check(fn, list, o);
  } catch (e) {
    if (e instanceof GradcheckError) return false;
    throw e;
  }
}
