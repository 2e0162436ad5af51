/**
 * nn.MultiheadAttention, the Transformer layers and F.scaledDotProductAttention against PyTorch 1.13
 * (scripts/gen_attn_fixtures.py): initial bits under a seed, outputs and gradients of inputs and parameters in train,
 * eval and eval-without-grad modes (PyTorch's fast paths), seeded dropout, state dicts saved by PyTorch, and
 * PyTorch's error messages. PyTorch 1.13 has no public scaled_dot_product_attention: its fixtures come from the explicit
 * reference softmax(Q K^T * scale + mask) V (PyTorch 2.x's documented semantics), computed with 1.13's ops.
 */
import * as path from 'path';

import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import { build, expectClose, loadFixture } from '../helpers/fixtures';
import type { TensorJson } from '../helpers/fixtures';

const { nn } = torch;
const F = nn.functional;

type Value = TensorJson | boolean | number | string;
interface ModuleCase {
  name: string;
  kind: 'mha' | 'encoderLayer' | 'decoderLayer' | 'encoder' | 'decoder' | 'transformer';
  args: number[];
  opts: Record<string, unknown>;
  seed: number;
  default?: 'float64';
  mode: 'train' | 'eval' | 'evalNoGrad';
  call: number[];
  inputs: TensorJson[];
  kwargs: Record<string, Value>;
  init: Record<string, TensorJson>;
  outs: (TensorJson | null)[];
  fwdSeed?: number;
  upstreams?: (TensorJson | null)[];
  inputGrads?: (TensorJson | null)[];
  paramGrads?: Record<string, TensorJson>;
}
interface SdpaCase {
  name: string;
  inputs: TensorJson[];
  opts: Record<string, Value>;
  out: TensorJson;
  seed?: number;
  upstream?: TensorJson;
  grads?: TensorJson[];
  maskGrad?: TensorJson;
}
interface AttnFixture {
  torch: string;
  cases: ModuleCase[];
  errors: { name: string; type: 'TypeError' | 'RangeError'; message: string }[];
  sdpa: SdpaCase[];
  stateDict: { opts: Record<string, unknown>; keys: string[]; src: TensorJson; tgt: TensorJson; out: TensorJson };
  reprs: Record<'encoder' | 'decoderLayer' | 'mha', string>;
}

const fx = loadFixture<never>('attn.json') as unknown as AttnFixture;
const isTensorJson = (v: unknown): v is TensorJson => typeof v === 'object' && v !== null && 'shape' in v;

const ACTIVATIONS: Record<string, torch.nn.TransformerActivation> = {
  relu: 'relu',
  gelu: 'gelu',
  tanhFn: (x: Tensor) => x.tanh(),
};
const LAYER_KEYS = ['dimFeedforward', 'dropout', 'activation', 'layerNormEps', 'batchFirst', 'normFirst'];

function layerOptions(opts: Record<string, unknown>): torch.nn.TransformerLayerOptions {
  const o: Record<string, unknown> = {};
  for (const k of LAYER_KEYS) if (k in opts) o[k] = opts[k];
  if (typeof opts.activation === 'string') o.activation = opts.activation === 'GELUModule' ? new nn.GELU() : ACTIVATIONS[opts.activation];
  return o as torch.nn.TransformerLayerOptions;
}

function buildModule(c: Pick<ModuleCase, 'kind' | 'args' | 'opts'>): torch.nn.Module {
  const [a, b, n] = c.args as [number, number, number];
  const norm = c.opts.finalNorm ? new nn.LayerNorm(a) : null;
  switch (c.kind) {
    case 'mha':
      return new nn.MultiheadAttention(a, b, c.opts as torch.nn.MultiheadAttentionOptions);
    case 'encoderLayer':
      return new nn.TransformerEncoderLayer(a, b, layerOptions(c.opts));
    case 'decoderLayer':
      return new nn.TransformerDecoderLayer(a, b, layerOptions(c.opts));
    case 'encoder':
      return new nn.TransformerEncoder(new nn.TransformerEncoderLayer(a, b, layerOptions(c.opts)), n, { norm });
    case 'decoder':
      return new nn.TransformerDecoder(new nn.TransformerDecoderLayer(a, b, layerOptions(c.opts)), n, { norm });
    case 'transformer':
      return new nn.Transformer({ ...layerOptions(c.opts), ...(c.opts as torch.nn.TransformerOptions), activation: layerOptions(c.opts).activation });
  }
}

/** Runs the module's forward as the case calls it: its positional tensors, then its keyword arguments as options. */
function run(m: torch.nn.Module, c: ModuleCase, xs: Tensor[]): (Tensor | null)[] {
  const kwargs = Object.fromEntries(Object.entries(c.kwargs).map(([k, v]) => [k, isTensorJson(v) ? build(v) : v]));
  const args = c.call.map((i) => xs[i]!);
  const res = m.forward(...args, kwargs) as Tensor | [Tensor, Tensor | null];
  return Array.isArray(res) ? res : [res];
}

/** float32 results of a few ops on a handful of values: a few ulp of the largest value; float64 tighter. */
const tolerance = (dtype: string): [number, number] => (dtype === 'float64' ? [1e-10, 1e-12] : [2e-4, 2e-5]);

describe(`MultiheadAttention and the Transformer layers match PyTorch ${fx.torch}`, () => {
  afterEach(() => torch.setDefaultDtype('float32'));
  test('the fixtures come from PyTorch 1.13', () => expect(fx.torch).toMatch(/^1\.13/));

  test.each(fx.cases.map((c) => [`${c.kind}: ${c.name}`, c] as const))('%s', (_n, c) => {
    if (c.default) torch.setDefaultDtype(c.default);
    torch.manualSeed(c.seed);
    const m = buildModule(c);
    torch.setDefaultDtype('float32');
    // Initial parameters: PyTorch's bits (bias_k / bias_v come from its vectorised normal kernel: a few ulp).
    const state = Object.fromEntries(m.stateDict());
    expect(Object.keys(state)).toEqual(Object.keys(c.init));
    for (const [k, want] of Object.entries(c.init)) {
      // The fixture holds each float32 as its shortest decimal: read back as float32 it is PyTorch's value exactly.
      if (/bias_[kv]$/.test(k)) expectClose(state[k]!, want, 1e-6, 1e-6, `init ${k}`);
      else expect([k, state[k]!.tolist()]).toEqual([k, build(want).tolist()]);
    }
    m.train(c.mode === 'train');
    const grad = c.mode !== 'evalNoGrad';
    const xs = c.inputs.map((spec) => (grad && spec.dtype.startsWith('float') ? build(spec).requiresGrad_() : build(spec)));
    if (c.fwdSeed !== undefined) torch.manualSeed(c.fwdSeed);
    const outs = grad ? run(m, c, xs) : torch.noGrad(() => run(m, c, xs));
    const [rtol, atol] = tolerance(c.inputs[0]!.dtype);
    expect(outs.length).toBe(c.outs.length);
    c.outs.forEach((want, i) => {
      if (want === null) expect(outs[i]).toBeNull();
      else expectClose(outs[i]!, want, rtol, atol, `output ${i}`);
    });
    if (!c.upstreams) return;
    let loss: Tensor | null = null;
    c.upstreams.forEach((up, i) => {
      if (!up) return;
      const term = outs[i]!.mul(build(up)).sum();
      loss = loss ? loss.add(term) : term;
    });
    loss!.backward();
    c.inputGrads!.forEach((want, i) => {
      if (want) expectClose(xs[i]!.grad!, want, rtol, atol, `grad of input ${i}`);
    });
    const params = Object.fromEntries(m.namedParameters());
    expect(Object.keys(params).filter((k) => params[k]!.grad).sort()).toEqual(Object.keys(c.paramGrads!).sort());
    for (const [k, want] of Object.entries(c.paramGrads!)) expectClose(params[k]!.grad!, want, rtol, atol, `grad of ${k}`);
  });
});

describe('without a graph, a forward reuses the storage of its dead intermediates, never that of a result', () => {
  // The cases PyTorch ran in eval under no_grad, and the MultiheadAttention ones without dropout (whose eval output
  // is their train output), again in eval under noGrad: the results of a first forward still hold PyTorch's values
  // after two more forwards (whose projections, scores and heads' outputs reuse freed storage).
  const cases = fx.cases.filter((c) => c.mode === 'evalNoGrad' || (c.kind === 'mha' && !c.opts.dropout));
  test('the cases cover attention with averaged, per-head and no weights', () => {
    expect(cases.some((c) => c.kind === 'mha' && c.kwargs.averageAttnWeights === false)).toBe(true);
    expect(cases.some((c) => c.kind === 'mha' && c.kwargs.needWeights === false)).toBe(true);
    expect(cases.filter((c) => c.kind !== 'mha').length).toBeGreaterThan(3);
  });
  test.each(cases.map((c) => [`${c.kind}: ${c.name}`, c] as const))('%s', (_n, c) => {
    if (c.default) torch.setDefaultDtype(c.default);
    torch.manualSeed(c.seed);
    const m = buildModule(c);
    torch.setDefaultDtype('float32');
    m.eval();
    const xs = c.inputs.map((spec) => build(spec));
    const first = torch.noGrad(() => run(m, c, xs));
    // Other inputs in between, so that storage wrongly reused would hold other values.
    const others = xs.map((x) => (x.dtype.startsWith('float') ? x.mul(0.5) : x));
    torch.noGrad(() => [run(m, c, others), run(m, c, others)]);
    const [rtol, atol] = tolerance(c.inputs[0]!.dtype);
    const check = (outs: (Tensor | null)[], which: string): void =>
      c.outs.forEach((want, i) => {
        if (want === null) expect(outs[i]).toBeNull();
        else expectClose(outs[i]!, want, rtol, atol, `${which} output ${i}`);
      });
    check(first, 'first');
    check(torch.noGrad(() => run(m, c, xs)), 'last');
  });
});

describe('a state dict PyTorch saved (torch.save) loads and gives its outputs', () => {
  test('nn.Transformer, batchFirst, eval', () => {
    const sd = fx.stateDict;
    const m = new nn.Transformer(sd.opts as torch.nn.TransformerOptions);
    const loaded = torch.load(path.join(__dirname, '..', 'fixtures', 'pt', 'attn_transformer.pt')) as Record<string, Tensor>;
    expect(Object.keys(loaded)).toEqual(sd.keys);
    expect([...m.stateDict().keys()]).toEqual(sd.keys);
    m.loadStateDict(loaded);
    m.eval();
    const out = m.forward(build(sd.src), build(sd.tgt), { tgtMask: nn.Transformer.generateSquareSubsequentMask(sd.tgt.shape[1]!) });
    expectClose(out, sd.out, 2e-4, 2e-5);
  });
});

/** PyTorch's message with its shapes written as torchlet writes them: torch.Size([2, 3]) and (2, 3) as [2, 3]. */
const normalize = (s: string): string => s.replace(/torch\.Size\(\[([^\]]*)\]\)/g, '[$1]').replace(/\((\d+(?:, \d+)*),?\)/g, '[$1]');

describe("bad input gets PyTorch's message", () => {
  const E = 8;
  const H = 2;
  const q = torch.randn(3, 2, E);
  const kv = torch.randn(5, 2, E);
  const mha = new nn.MultiheadAttention(E, H);
  const tr = new nn.Transformer({ dModel: E, nhead: H, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 16 });
  const layer = new nn.TransformerEncoderLayer(E, H, { dimFeedforward: 16 });
  const bool = (...s: number[]): Tensor => torch.zeros(s).bool();
  const CALLS: Record<string, () => unknown> = {
    'query of 4 dims': () => mha.forward(torch.randn(1, 3, 2, E), kv, kv),
    'batched query, 2-D key': () => mha.forward(q, torch.randn(5, E), torch.randn(5, E)),
    'batched query, 1-D key padding mask': () => mha.forward(q, kv, kv, { keyPaddingMask: bool(5) }),
    'batched query, 4-D attn_mask': () => mha.forward(q, kv, kv, { attnMask: torch.zeros(1, 1, 3, 5) }),
    'unbatched query, 2-D key padding mask': () => mha.forward(torch.randn(3, E), torch.randn(5, E), torch.randn(5, E), { keyPaddingMask: bool(1, 5) }),
    'unbatched query, 3-D attn_mask of the wrong shape': () =>
      mha.forward(torch.randn(3, E), torch.randn(5, E), torch.randn(5, E), { attnMask: torch.zeros(1, 3, 5) }),
    '2-D attn_mask of the wrong shape': () => mha.forward(q, kv, kv, { attnMask: torch.zeros(3, 6) }),
    '3-D attn_mask of the wrong shape': () => mha.forward(q, kv, kv, { attnMask: torch.zeros(2, 3, 5) }),
    'key padding mask of the wrong shape': () => mha.forward(q, kv, kv, { keyPaddingMask: bool(2, 4) }),
    'integer key padding mask': () => mha.forward(q, kv, kv, { keyPaddingMask: torch.zeros([2, 5], { dtype: 'int64' }) }),
    'embedding dim of the query': () => mha.forward(torch.randn(3, 2, E + 2), torch.randn(5, 2, E + 2), torch.randn(5, 2, E + 2)),
    'key and value shapes differ': () => mha.forward(q, kv, torch.randn(6, 2, E)),
    'embed_dim not divisible by num_heads': () => new nn.MultiheadAttention(E, 3),
    'activation tanh by name': () => new nn.TransformerEncoderLayer(E, H, { activation: 'tanh' as 'relu' }),
    'transformer batch sizes differ': () => tr.forward(torch.randn(5, 2, E), torch.randn(3, 3, E)),
    'transformer feature size': () => tr.forward(torch.randn(5, 2, E), torch.randn(3, 2, E + 1)),
    'encoder layer integer key padding mask': () => layer.forward(torch.randn(5, 2, E), { srcKeyPaddingMask: torch.zeros([2, 5], { dtype: 'int64' }) }),
  };
  test('every PyTorch error case has its call', () => expect(Object.keys(CALLS).sort()).toEqual(fx.errors.map((e) => e.name).sort()));
  test.each(fx.errors.map((e) => [e.name, e] as const))('%s', (_n, e) => {
    let err: unknown = null;
    try {
      CALLS[e.name]!();
    } catch (caught) {
      err = caught;
    }
    expect(err).toBeInstanceOf(e.type === 'TypeError' ? TypeError : RangeError);
    expect(normalize((err as Error).message)).toContain(normalize(e.message));
  });
});

describe('F.scaledDotProductAttention (PyTorch 2.x semantics) matches the reference computation', () => {
  test.each(fx.sdpa.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const [q, k, v] = c.inputs.map((s) => build(s).requiresGrad_());
    const opts = Object.fromEntries(Object.entries(c.opts).map(([key, val]) => [key, isTensorJson(val) ? build(val) : val]));
    const mask = opts.attnMask as Tensor | undefined;
    if (mask && mask.isFloatingPoint()) mask.requiresGrad_();
    if (c.seed !== undefined) torch.manualSeed(c.seed);
    const out = F.scaledDotProductAttention(q!, k!, v!, opts);
    const [rtol, atol] = tolerance(c.out.dtype);
    expectClose(out, c.out, rtol, atol, 'output');
    if (!c.upstream) return;
    out.backward(build(c.upstream));
    [q, k, v].forEach((t, i) => expectClose(t!.grad!, c.grads![i]!, rtol, atol, `grad ${i}`));
    if (c.maskGrad) expectClose(mask!.grad!, c.maskGrad, rtol, atol, 'grad of the mask');
  });

  test('the [.., L, S] weights are one node (SoftmaxBackward0) straight over query and key', () => {
    const q = torch.randn(2, 3, 4).requiresGrad_();
    const k = torch.randn(2, 5, 4).requiresGrad_();
    const out = F.scaledDotProductAttention(q, k, torch.randn(2, 5, 4), { attnMask: torch.randn(3, 5) });
    // matmul views its operands through an expand (a node of its own) before the batched product.
    let probs = out.gradFn!.inputs[0]!;
    if (probs.gradFn!.name === 'ExpandBackward0') probs = probs.gradFn!.inputs[0]!;
    expect(probs.gradFn!.name).toBe('SoftmaxBackward0');
    const [gq, gk, gmask] = probs.gradFn!.inputs;
    expect([gq === q, gk === k, gmask]).toEqual([true, true, null]);
  });

  test('bad arguments', () => {
    const q = torch.randn(2, 3, 4);
    const k = torch.randn(2, 5, 4);
    expect(() => F.scaledDotProductAttention(q, k, k, { isCausal: true, attnMask: torch.ones(3, 5).bool() })).toThrow(
      /Explicit attn_mask should not be set when is_causal=True/,
    );
    expect(() => F.scaledDotProductAttention(q, torch.randn(2, 5, 3), k)).toThrow(RangeError);
    expect(() => F.scaledDotProductAttention(q, k, torch.randn(2, 6, 4))).toThrow(RangeError);
    expect(() => F.scaledDotProductAttention(q, k, k.double())).toThrow(TypeError);
    expect(() => F.scaledDotProductAttention(q, k, k, { attnMask: torch.zeros(2, 2, 3, 5) })).toThrow(RangeError);
    expect(() => F.scaledDotProductAttention(q, k, k, { attnMask: torch.zeros([3, 5], { dtype: 'int64' }) })).toThrow(TypeError);
    expect(() => F.scaledDotProductAttention(q, k, k, { dropoutP: 1.5 })).toThrow(RangeError);
  });
});

describe('Transformer helpers', () => {
  test("printouts are PyTorch's", () => {
    expect(String(new nn.TransformerEncoder(new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16 }), 2, { norm: new nn.LayerNorm(8) }))).toBe(fx.reprs.encoder);
    expect(String(new nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 16, activation: 'gelu' }))).toBe(fx.reprs.decoderLayer);
    expect(String(new nn.MultiheadAttention(8, 2, { addBiasKv: true, kdim: 4 }))).toBe(fx.reprs.mha);
  });

  test('generateSquareSubsequentMask: -inf above the diagonal, 0 elsewhere (static and on an instance)', () => {
    const m = nn.Transformer.generateSquareSubsequentMask(3);
    expect(m.tolist()).toEqual([[0, -Infinity, -Infinity], [0, 0, -Infinity], [0, 0, 0]]);
    const model = new nn.Transformer({ dModel: 4, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 4 });
    expect(model.generateSquareSubsequentMask(2).tolist()).toEqual([[0, -Infinity], [0, 0]]);
    expect(() => nn.Transformer.generateSquareSubsequentMask(-1)).toThrow(RangeError);
  });

  test('the stacks hold deep copies: equal values, separate parameters, no random draws', () => {
    torch.manualSeed(3);
    const layer = new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16 });
    const before = torch.rand(1).item();
    torch.manualSeed(3);
    new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16 });
    const enc = new nn.TransformerEncoder(layer, 3);
    expect(torch.rand(1).item()).toBe(before);
    const w = enc.stateDict();
    for (const i of [0, 1, 2]) {
      expect(w.get(`layers.${i}.linear1.weight`)!.tolist()).toEqual(layer.linear1.weight.tolist());
    }
    const params = enc.parameters();
    expect(new Set(params).size).toBe(params.length);
    expect(params.some((p) => p === layer.linear1.weight)).toBe(false);
    expect(enc.layers.at(1)).toBeInstanceOf(nn.TransformerEncoderLayer);
    expect(params.every((p) => p instanceof nn.Parameter && p.requiresGrad)).toBe(true);
  });
});
