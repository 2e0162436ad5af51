/** nn.init: in-place initialisers, computed exactly as torch/nn/init.py does (double precision, same order). */
import type { Tensor } from '../tensor';
import { noGrad } from '../autograd/grad_mode';
import type { Generator } from '../random';
import { checkFinite, checkOptions, checkTensor } from '../validate';

/** The nonlinearities calculateGain knows, as torch.nn.init.calculate_gain's names. | */
export type Nonlinearity =
  | 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'conv_transpose1d' | 'conv_transpose2d' | 'conv_transpose3d'
  | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

/**
 * The recommended gain for a nonlinearity, as torch.nn.init.calculate_gain.
 * @example nn.init.calculateGain('relu') // 1.4142
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear': case 'conv1d': case 'conv2d': case 'conv3d':
    case 'conv_transpose1d': case 'conv_transpose2d': case 'conv_transpose3d': case 'sigmoid':
      return 1;
    case 'tanh':
      return 5.0 / 3;
    case 'relu':
      return Math.sqrt(2.0);
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      if (typeof slope !== 'number' || Number.isNaN(slope)) throw new TypeError(`calculateGain: negative_slope ${describe(slope)} not a valid number`);
      return Math.sqrt(2.0 / (1 + slope ** 2));
    }
    case 'selu':
      return 3.0 / 4;
    default:
      throw new RangeError(`calculateGain: Unsupported nonlinearity ${describe(nonlinearity)}`);
  }
}

/**
 * (fan_in, fan_out) of a weight: dims 1 and 0 times the receptive field (the product of the other dims).
 * @example nn.init.calculateFanInAndFanOut(torch.empty(4, 3, 5, 5)) // [75, 100]
 */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  checkTensor('calculateFanInAndFanOut', 'tensor', t);
  if (t.dim() < 2) throw new RangeError('calculateFanInAndFanOut: Fan in and fan out can not be computed for tensor with fewer than 2 dimensions');
  let receptive = 1;
  for (let d = 2; d < t.dim(); d++) receptive *= t.shape[d]!;
  return [t.shape[1]! * receptive, t.shape[0]! * receptive];
}

function correctFan(op: string, t: Tensor, mode: 'fan_in' | 'fan_out'): number {
  if (mode !== 'fan_in' && mode !== 'fan_out') throw new RangeError(`${op}: Mode ${describe(mode)} not supported, please use one of ['fan_in', 'fan_out']`);
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  return mode === 'fan_in' ? fanIn : fanOut;
}

interface GenOpt {
  generator?: Generator;
}

/** A value as PyTorch's init messages show it; symbols and objects by kind (String() throws on some of them). */
function describe(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v == null ? String(v) : typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** Fills t with U(a, b), as torch.nn.init.uniform_. @example nn.init.uniform_(torch.empty(2, 3), -0.1, 0.1) */
export function uniform_(t: Tensor, a = 0, b = 1, options: GenOpt = {}): Tensor {
  checkTensor('uniform_', 'tensor', t);
  return noGrad(() => t.uniform_(checkFinite('uniform_', 'a', a), checkFinite('uniform_', 'b', b), checkOptions('uniform_', options)));
}
/** Fills t with N(mean, std^2), as torch.nn.init.normal_. @example nn.init.normal_(torch.empty(2, 3), 0, 0.02) */
export function normal_(t: Tensor, mean = 0, std = 1, options: GenOpt = {}): Tensor {
  checkTensor('normal_', 'tensor', t);
  return noGrad(() => t.normal_(mean, std, checkOptions('normal_', options)));
}
/** Fills t with value, as torch.nn.init.constant_. @example nn.init.constant_(torch.empty(2), 0.5) // [0.5, 0.5] */
export function constant_(t: Tensor, value: number): Tensor {
  checkTensor('constant_', 'tensor', t);
  return noGrad(() => t.fill_(value));
}
/**
 * Fills t with zeros (no gradient recorded), as torch.nn.init.zeros_.
 * @example nn.init.zeros_(new nn.Linear(2, 2).bias!)
 */
export function zeros_(t: Tensor): Tensor {
  checkTensor('zeros_', 'tensor', t);
  return constant_(t, 0);
}
/**
 * Fills t with ones (no gradient recorded), as torch.nn.init.ones_.
 * @example nn.init.ones_(torch.empty(3)) // [1, 1, 1]
 */
export function ones_(t: Tensor): Tensor {
  checkTensor('ones_', 'tensor', t);
  return constant_(t, 1);
}

/**
 * Fills t from U(-a, a), a = gain * sqrt(6 / (fanIn + fanOut)), as torch.nn.init.xavier_uniform_.
 * @example nn.init.xavierUniform_(torch.empty(4, 3))
 */
export function xavierUniform_(t: Tensor, gain = 1, options: GenOpt = {}): Tensor {
  checkTensor('xavierUniform_', 'tensor', t);
  checkFinite('xavierUniform_', 'gain', gain);
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const std = gain * Math.sqrt(2.0 / (fanIn + fanOut));
  const a = Math.sqrt(3.0) * std;
  return uniform_(t, -a, a, options);
}
/**
 * Fills t from N(0, std²), std = gain * sqrt(2 / (fanIn + fanOut)), as torch.nn.init.xavier_normal_.
 * @example nn.init.xavierNormal_(torch.empty(4, 3), 1)
 */
export function xavierNormal_(t: Tensor, gain = 1, options: GenOpt = {}): Tensor {
  checkTensor('xavierNormal_', 'tensor', t);
  checkFinite('xavierNormal_', 'gain', gain);
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  return normal_(t, 0, gain * Math.sqrt(2.0 / (fanIn + fanOut)), options);
}

/**
 * The options of kaimingUniform_ and kaimingNormal_: a (the negative slope), mode ('fan_in' or 'fan_out'),
 * nonlinearity and generator. |
 */
export interface KaimingOptions extends GenOpt {
  a?: number;
  mode?: 'fan_in' | 'fan_out';
  nonlinearity?: Nonlinearity;
}

/**
 * He initialisation, uniform: bound = gain * sqrt(3 / fan), as torch.nn.init.kaiming_uniform_.
 * @example nn.init.kaimingUniform_(torch.empty(4, 3), { nonlinearity: 'relu' })
 */
export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  checkTensor('kaimingUniform_', 'tensor', t);
  const { a = 0, mode = 'fan_in', nonlinearity = 'leaky_relu' } = checkOptions('kaimingUniform_', options);
  if (t.numel() === 0) return t;
  const fan = correctFan('kaimingUniform_', t, mode);
  const gain = calculateGain(nonlinearity, a);
  const std = gain / Math.sqrt(fan);
  const bound = Math.sqrt(3.0) * std;
  return uniform_(t, -bound, bound, options);
}
/**
 * Fills t from N(0, std²), std = gain / sqrt(fan) (He initialization), as torch.nn.init.kaiming_normal_.
 * @example nn.init.kaimingNormal_(torch.empty(8, 4), { mode: 'fan_out', nonlinearity: 'relu' })
 */
export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  checkTensor('kaimingNormal_', 'tensor', t);
  const { a = 0, mode = 'fan_in', nonlinearity = 'leaky_relu' } = checkOptions('kaimingNormal_', options);
  if (t.numel() === 0) return t;
  const fan = correctFan('kaimingNormal_', t, mode);
  return normal_(t, 0, calculateGain(nonlinearity, a) / Math.sqrt(fan), options);
}

/**
 * PyTorch's default initialisation of Linear and convolution layers: kaiming_uniform_(a=sqrt(5)) for the
 * weight, then U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the bias (drawn after the weight). With fan_in 0,
 * Linear still draws the bias from U(0, 0) while convolutions skip it (so the random stream differs), as in
 * PyTorch: `skipBiasWithoutFanIn` selects the convolution behaviour.
 * @example const w = torch.empty(3, 2), b = torch.empty(3); nn.init.defaultLayerInit_(w, b)
 */
export function defaultLayerInit_(weight: Tensor, bias: Tensor | null, skipBiasWithoutFanIn = false): void {
  checkTensor('defaultLayerInit_', 'weight', weight);
  if (bias !== null && bias !== undefined) checkTensor('defaultLayerInit_', 'bias', bias);
  kaimingUniform_(weight, { a: Math.sqrt(5) });
  if (!bias) return;
  const [fanIn] = calculateFanInAndFanOut(weight);
  if (fanIn === 0 && skipBiasWithoutFanIn) return;
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  uniform_(bias, -bound, bound);
}
