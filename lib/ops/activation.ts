/**
 * The fused activations: gelu (exact or tanh form), silu and softplus, each one native kernel forward and one
 * backward (PyTorch's gelu_backward, silu_backward, softplus_backward), each gradient itself a node with PyTorch's
 * double-backward formula; and tanh's and sigmoid's fused gradients, which lib/ops/pointwise.ts uses. Not entries of
 * the pointwise table: PyTorch has these activations in torch.nn.functional only (no torch.gelu, no Tensor.gelu).
 * Callers (lib/nn/functional.ts) validate the arguments; inputs here are floating tensors.
 */
import type { Tensor } from '../tensor';
import { outputTensor } from '../tensor';
import * as K from '../backend/kernels';
import { record } from '../autograd/record';

const UNARY = {
  gelu: K.kernelCode('unary', 'gelu'),
  geluTanh: K.kernelCode('unary', 'gelu_tanh'),
  silu: K.kernelCode('unary', 'silu'),
  softplus: K.kernelCode('unary', 'softplus'),
};
const BACKWARD = {
  tanh: K.kernelCode('unaryBackward', 'tanh_backward'),
  sigmoid: K.kernelCode('unaryBackward', 'sigmoid_backward'),
  silu: K.kernelCode('unaryBackward', 'silu_backward'),
  gelu: K.kernelCode('unaryBackward', 'gelu_backward'),
  geluTanh: K.kernelCode('unaryBackward', 'gelu_tanh_backward'),
  softplus: K.kernelCode('unaryBackward', 'softplus_backward'),
};

/** One unary kernel into a fresh contiguous tensor (no graph). */
function forward(code: number, x: Tensor, p0 = 0, p1 = 0): Tensor {
  const out = outputTensor(x.shape, x.dtype);
  K.unary(code, out, x, p0, p1);
  return out;
}

/** One fused gradient kernel, g and a of a's shape, into a fresh tensor of a's dtype (no graph). */
function fusedGrad(code: number, g: Tensor, a: Tensor, p0 = 0, p1 = 0): Tensor {
  const out = outputTensor(a.shape, a.dtype);
  K.unaryBackward(code, out, g.dtype === a.dtype ? g : g.to(a.dtype), a, p0, p1);
  return out;
}

// ---- tanh and sigmoid: the gradient from the output ------------------------------------------------------------

/** g (1 - y^2) as one node (TanhBackwardBackward0: tanh_backward(gg, y) for g, -2 y g gg for y). */
export function tanhBackward(g: Tensor, y: Tensor): Tensor {
  return record('TanhBackwardBackward0', fusedGrad(BACKWARD.tanh, g, y), [g, y], (gg, needs) => [
    needs[0] ? tanhBackward(gg, y) : null,
    needs[1] ? gg.mul(g).mul(y).mul(-2) : null,
  ]);
}

/** g (1 - y) y as one node (SigmoidBackwardBackward0: sigmoid_backward(gg, y) for g, gg g (1 - 2y) for y). */
export function sigmoidBackward(g: Tensor, y: Tensor): Tensor {
  return record('SigmoidBackwardBackward0', fusedGrad(BACKWARD.sigmoid, g, y), [g, y], (gg, needs) => [
    needs[0] ? sigmoidBackward(gg, y) : null,
    needs[1] ? gg.mul(g).mul(y.mul(-2).add(1)) : null,
  ]);
}

// ---- gelu --------------------------------------------------------------------------------------------------------

const GELU_KAPPA = 0.044715;
const GELU_TANH_BETA = Math.SQRT2 * (2 / Math.sqrt(Math.PI)) * 0.5;
const GELU_PDF_BETA = (2 / Math.sqrt(Math.PI)) * Math.SQRT1_2 * 0.5;
/** sqrt(2 / pi) (x + 0.044715 x^3), the tanh approximation's argument. */
const geluInner = (x: Tensor): Tensor => x.add(x.mul(x).mul(x).mul(GELU_KAPPA)).mul(GELU_TANH_BETA);

/**
 * GELU of a floating tensor, exact (erf) or tanh form, as one node (GeluBackward0) whose gradient is PyTorch's
 * gelu_backward kernel.
 */
export function geluActivation(x: Tensor, tanh: boolean): Tensor {
  const out = forward(tanh ? UNARY.geluTanh : UNARY.gelu, x);
  return record('GeluBackward0', out, [x], (g) => [geluBackward(g, x, tanh)]);
}

/** gelu's gradient as one node (GeluBackwardBackward0): linear in g; for x, gg g times gelu's second derivative. */
function geluBackward(g: Tensor, x: Tensor, tanh: boolean): Tensor {
  const out = fusedGrad(tanh ? BACKWARD.geluTanh : BACKWARD.gelu, g, x);
  return record('GeluBackwardBackward0', out, [g, x], (gg, needs) => [
    needs[0] ? geluBackward(gg, x, tanh) : null,
    needs[1] ? gg.mul(g).mul(geluCurvature(x, tanh)) : null,
  ]);
}

/** d^2 gelu / dx^2 as FunctionsManual's gelu_double_backward writes it. */
function geluCurvature(x: Tensor, tanh: boolean): Tensor {
  if (!tanh) {
    const sq = x.mul(x);
    const pdf = sq.mul(-0.5).exp().mul(GELU_PDF_BETA);
    return pdf.mul(2).sub(sq.mul(pdf));
  }
  const inner = geluInner(x);
  const t = inner.tanh();
  const sech = inner.cosh().reciprocal();
  const f = x.mul(0.5);
  const g = t.mul(t).neg().add(1);
  const h = x.mul(x).mul(3 * GELU_KAPPA).add(1).mul(GELU_TANH_BETA);
  const fPrimeGh = g.mul(0.5).mul(h);
  const gPrime = sech.mul(2).mul(sech.neg().mul(t)).mul(h);
  const gPrimeFh = f.mul(h).mul(gPrime);
  const hPrimeFg = f.mul(g).mul(x.mul(6 * GELU_KAPPA).mul(GELU_TANH_BETA));
  return fPrimeGh.mul(2).add(gPrimeFh).add(hPrimeFg);
}

// ---- silu --------------------------------------------------------------------------------------------------------

/** x sigmoid(x) of a floating tensor as one node (SiluBackward0) whose gradient is PyTorch's silu_backward kernel. */
export function siluActivation(x: Tensor): Tensor {
  return record('SiluBackward0', forward(UNARY.silu, x), [x], (g) => [siluBackward(g, x)]);
}

/**
 * g s (1 + x (1 - s)), s = sigmoid(x), as one node: linear in g; for x, gg g s (1 - s) (2 + x (1 - 2s)), silu's
 * second derivative.
 */
function siluBackward(g: Tensor, x: Tensor): Tensor {
  return record('SiluBackwardBackward0', fusedGrad(BACKWARD.silu, g, x), [g, x], (gg, needs) => {
    if (!needs[1]) return [siluBackward(gg, x), null];
    const s = x.sigmoid();
    const curvature = s.mul(s.neg().add(1)).mul(x.mul(s.mul(-2).add(1)).add(2));
    return [needs[0] ? siluBackward(gg, x) : null, gg.mul(g).mul(curvature)];
  });
}

// ---- softplus ----------------------------------------------------------------------------------------------------

/**
 * log(1 + exp(beta x)) / beta, x where x beta > threshold, of a floating tensor as one node (SoftplusBackward0)
 * whose gradient is PyTorch's softplus_backward kernel.
 */
export function softplusActivation(x: Tensor, beta: number, threshold: number): Tensor {
  const out = forward(UNARY.softplus, x, beta, threshold);
  return record('SoftplusBackward0', out, [x], (g) => [softplusBackward(g, x, beta, threshold)]);
}

/**
 * g sigmoid(beta x) (g where x beta > threshold) as one node: linear in g; for x, PyTorch's
 * softplus_double_backward, gg g beta s (1 - s) where x beta < threshold.
 */
function softplusBackward(g: Tensor, x: Tensor, beta: number, threshold: number): Tensor {
  const out = fusedGrad(BACKWARD.softplus, g, x, beta, threshold);
  return record('SoftplusBackwardBackward0', out, [g, x], (gg, needs) => {
    const dg = needs[0] ? softplusBackward(gg, x, beta, threshold) : null;
    if (!needs[1]) return [dg, null];
    const bx = x.mul(beta);
    const s = bx.sigmoid();
    const inside = bx.lt(threshold).to(gg.dtype);
    return [dg, gg.mul(g).mul(s.mul(s.neg().add(1))).mul(inside).mul(beta)];
  });
}
