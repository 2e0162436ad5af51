/**
 * torch.onnx.export: models and ops exported, run in onnxruntime (the independent computation) and compared with
 * torchlet's own forward pass within 1e-5, at opsets 13 and 17 (where the exports differ: LayerNormalization).
 */
import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import { exportAndCompare, opTypes, readModel, tmpPath } from './helpers';

const { nn } = torch;
const F = nn.functional;

const OPSETS = [13, 17];

/** A linear classifier with a hidden layer and dropout. */
class MLP extends nn.Module {
  fc1 = new nn.Linear(6, 16);
  drop = new nn.Dropout(0.5);
  fc2 = new nn.Linear(16, 4);
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.drop.forward(F.relu(this.fc1.forward(x))));
  }
}

/** The CNN of examples/mnist_cnn.ts (examples/ imports the built dist/, so the layers are repeated here). */
class CNN extends nn.Module {
  conv1 = new nn.Conv2d(1, 32, 3);
  conv2 = new nn.Conv2d(32, 64, 3);
  fc1 = new nn.Linear(1600, 128);
  fc2 = new nn.Linear(128, 10);
  forward(x: Tensor): Tensor {
    let h = F.maxPool2d(F.relu(this.conv1.forward(x)), 2);
    h = F.maxPool2d(F.relu(this.conv2.forward(h)), 2);
    return this.fc2.forward(F.relu(this.fc1.forward(h.flatten(1))));
  }
}

/** A module from a forward function (the layers given are registered as children). */
function moduleOf(forward: (x: Tensor) => Tensor | Tensor[], layers: Record<string, torch.nn.Module> = {}): torch.nn.Module {
  class M extends nn.Module {
    constructor() {
      super();
      for (const [k, v] of Object.entries(layers)) this.registerModule(k, v);
    }
    forward(x: Tensor): Tensor | Tensor[] {
      return forward(x);
    }
  }
  return new M();
}

const batchAxes = { input: { 0: 'batch' }, output: { 0: 'batch' } };
const named = { inputNames: ['input'], outputNames: ['output'] };

beforeEach(() => torch.manualSeed(0));

describe.each(OPSETS)('opset %i', (opsetVersion) => {
  test('MLP with a dynamic batch axis runs at two other batch sizes', () => {
    const model = new MLP();
    const file = exportAndCompare(model, [torch.randn(2, 6)], { ...named, dynamicAxes: batchAxes, opsetVersion }, [
      [torch.randn(2, 6)], [torch.randn(5, 6)], [torch.randn(1, 6)],
    ]);
    const m = readModel(file);
    expect(Number(m.opsetImport![0]!.version)).toBe(opsetVersion);
    expect(m.graph!.input![0]!.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue))).toEqual(['batch', 6]);
    expect(m.graph!.initializer!.map((t) => t.name).sort()).toEqual(['fc1.bias', 'fc1.weight', 'fc2.bias', 'fc2.weight']);
    expect(opTypes(file)).toEqual(['Gemm', 'Relu', 'Identity', 'Gemm', 'Identity']);
  });

  test('the MNIST CNN of examples/ with a dynamic batch axis', () => {
    exportAndCompare(new CNN(), [torch.randn(2, 1, 28, 28)], { ...named, dynamicAxes: batchAxes, opsetVersion }, [
      [torch.randn(3, 1, 28, 28)], [torch.randn(1, 1, 28, 28)],
    ]);
  });

  test('Conv2d with every option, Conv1d, ConvTranspose2d, padding modes', () => {
    const layers = {
      a: new nn.Conv2d(4, 6, [3, 2], { stride: [2, 1], padding: [1, 2], dilation: [2, 1], groups: 2 }),
      b: new nn.Conv2d(6, 4, 4, { padding: 'same', dilation: 2, bias: false }),
      c: new nn.Conv2d(4, 4, 3, { padding: 'valid', groups: 4 }),
      d: new nn.Conv2d(4, 2, 3, { padding: 1, paddingMode: 'reflect' }),
      e: new nn.Conv2d(2, 2, 2, { padding: 'same', paddingMode: 'replicate' }),
      t: new nn.ConvTranspose2d(2, 4, 3, { stride: 2, padding: 1, outputPadding: 1, groups: 2, dilation: 2 }),
      u: new nn.ConvTranspose2d(4, 3, [2, 3], { stride: [2, 1], bias: false }),
      c1: new nn.Conv1d(3, 4, 3, { stride: 2, padding: 2, dilation: 2 }),
      c2: new nn.Conv1d(4, 4, 4, { padding: 'same', groups: 2 }),
      c3: new nn.Conv1d(4, 2, 3, { padding: 1, paddingMode: 'reflect', bias: false }),
    };
    const model = moduleOf((x) => {
      let h = layers.a.forward(x);
      h = layers.b.forward(h);
      h = layers.c.forward(h);
      h = layers.d.forward(h);
      h = layers.e.forward(h);
      h = layers.u.forward(layers.t.forward(h));
      const s = h.flatten(2).narrow(2, 0, 9).narrow(1, 0, 3);
      return [h, layers.c3.forward(layers.c2.forward(layers.c1.forward(s)))];
    }, layers);
    exportAndCompare(model, [torch.randn(2, 4, 9, 10)], { dynamicAxes: { input_0: [0] }, opsetVersion }, [[torch.randn(3, 4, 9, 10)]]);
  });

  test('F.conv2d, F.convTranspose2d and F.pad directly (unbatched input, constant and reflect padding)', () => {
    const w = torch.randn(3, 2, 3, 3);
    const wt = torch.randn(3, 2, 2, 2);
    const b = torch.randn(3);
    const fn = (x: Tensor): Tensor[] => [
      F.conv2d(x, w, b, { stride: 2, padding: 1 }),
      F.convTranspose2d(F.conv2d(x, w), wt, null, { stride: 2 }),
      F.pad(x, [1, 2, 0, 1], 'constant', 0.5),
      F.pad(x, [2, 1, 1, 2], 'reflect'),
    ];
    exportAndCompare(fn, [torch.randn(2, 7, 6)], { opsetVersion });
  });

  test('pooling: max and average (ceilMode, padding, countIncludePad, dilation), 1-D, adaptive', () => {
    const model = moduleOf((x) => [
      F.maxPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }),
      F.maxPool2d(x, [2, 3], { stride: [1, 2], dilation: [2, 1] }),
      new nn.MaxPool2d(2).forward(x),
      F.avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
      F.avgPool2d(x, [3, 2], { stride: 2, padding: [1, 0] }),
      F.avgPool2d(x, 2, { ceilMode: true }),
      new nn.AvgPool2d(3, { stride: 1 }).forward(x),
      F.maxPool1d(x.flatten(2), 4, { stride: 3, padding: 2 }) as Tensor,
      F.avgPool1d(x.flatten(2), 5, { stride: 2, padding: 2, countIncludePad: false, ceilMode: true }),
      new nn.AdaptiveAvgPool2d(1).forward(x),
      F.adaptiveAvgPool2d(x, [4, 3]),
      F.adaptiveAvgPool2d(x, [null, 1]),
      F.adaptiveMaxPool2d(x, 1) as Tensor,
      F.adaptiveMaxPool2d(x, [2, 3]) as Tensor,
    ]);
    exportAndCompare(model, [torch.randn(2, 3, 8, 9)], { dynamicAxes: { input_0: [0] }, opsetVersion }, [[torch.randn(4, 3, 8, 9)]]);
  });

  test('norms in eval: BatchNorm1d/2d with running statistics, GroupNorm, LayerNorm', () => {
    const layers = {
      bn: new nn.BatchNorm2d(4),
      bn1: new nn.BatchNorm1d(4, 1e-3, 0.1, false),
      gn: new nn.GroupNorm(2, 4),
      gn2: new nn.GroupNorm(4, 4, 1e-3, false),
      ln: new nn.LayerNorm([5, 6]),
      ln2: new nn.LayerNorm(6, 1e-6, false),
    };
    // Running statistics away from 0 and 1, learned by a few training steps.
    for (let i = 0; i < 3; i++) {
      layers.bn.forward(torch.randn(4, 4, 5, 6).mul(2).add(1));
      layers.bn1.forward(torch.randn(8, 4).mul(3).sub(2));
    }
    for (const p of [layers.bn.weight!, layers.bn.bias!, layers.gn.weight!, layers.gn.bias!, layers.ln.weight!, layers.ln.bias!]) {
      torch.noGrad(() => p.copy_(torch.randn(...p.shape)));
    }
    const model = moduleOf((x) => [
      layers.bn.forward(x),
      layers.bn1.forward(x.mean([2, 3])),
      layers.gn.forward(x),
      layers.gn2.forward(x.flatten(2)),
      layers.ln.forward(x),
      layers.ln2.forward(x),
      F.layerNorm(x, [6], null, null, 1e-5),
    ], layers);
    const file = exportAndCompare(model, [torch.randn(2, 4, 5, 6)], { dynamicAxes: { input_0: [0] }, opsetVersion }, [[torch.randn(3, 4, 5, 6)]]);
    expect(opTypes(file).includes('LayerNormalization')).toBe(opsetVersion >= 17);
    expect(opTypes(file).filter((t) => t === 'BatchNormalization').length).toBe(2);
  });

  test('Embedding (Gather on int32 ids) with a dynamic batch', () => {
    const emb = new nn.Embedding(10, 4, { paddingIdx: 0 });
    const fc = new nn.Linear(4, 3);
    const model = moduleOf((ids) => fc.forward(emb.forward(ids).mean(1)), { emb, fc });
    const ids = (n: number): Tensor => torch.randint(0, 10, [n, 5]);
    exportAndCompare(model, [ids(2)], { ...named, dynamicAxes: batchAxes, opsetVersion }, [[ids(2)], [ids(6)]]);
  });

  test('every nn layer in containers: Sequential, ModuleList, ModuleDict, Bilinear with two inputs', () => {
    const seq = new nn.Sequential(
      new nn.Conv2d(3, 8, 3, { padding: 1 }), new nn.BatchNorm2d(8), new nn.ReLU(), new nn.Dropout2d(0.3), new nn.MaxPool2d(2),
      new nn.Conv2d(8, 8, 3, { padding: 'same', groups: 2 }), new nn.GroupNorm(4, 8), new nn.SiLU(), new nn.AvgPool2d(2),
      new nn.AdaptiveAvgPool2d(1), new nn.Flatten(), new nn.Unflatten(1, [2, 4]), new nn.LayerNorm(4), new nn.Flatten(), new nn.Identity(),
      new nn.Linear(8, 6), new nn.Tanh(), new nn.Dropout(0.2), new nn.Linear(6, 6), new nn.Sigmoid(),
    );
    const list = new nn.ModuleList([new nn.Linear(6, 6), new nn.GELU(), new nn.ELU(0.5), new nn.LeakyReLU(0.1), new nn.Softplus(2)]);
    const dict = new nn.ModuleDict({ head: new nn.Linear(6, 3), out: new nn.LogSoftmax(1), prob: new nn.Softmax(-1) });
    const bil = new nn.Bilinear(6, 4, 5);
    class Net extends nn.Module {
      seq = seq;
      list = list;
      dict = dict;
      bil = bil;
      forward(x: Tensor, z: Tensor): Tensor[] {
        let h = this.seq.forward(x);
        for (const m of this.list) h = (m as torch.nn.Module & { forward(t: Tensor): Tensor }).forward(h);
        const head = (this.dict.get('head') as torch.nn.Linear).forward(h);
        return [(this.dict.get('out') as torch.nn.LogSoftmax).forward(head), (this.dict.get('prob') as torch.nn.Softmax).forward(head), this.bil.forward(h, z)];
      }
    }
    const x = (n: number): Tensor[] => [torch.randn(n, 3, 8, 8), torch.randn(n, 4)];
    exportAndCompare(new Net(), x(2), { inputNames: ['x', 'z'], dynamicAxes: { x: [0], z: [0] }, opsetVersion }, [x(2), x(5)]);
  });

  test('float64 models, constants captured and created in the forward pass, sizes read from the input', () => {
    const model = new MLP().double().eval();
    const shift = torch.randn(4, { dtype: 'float64' });
    const fn = (x: Tensor): Tensor[] => {
      const y = model.forward(x.reshape([x.size(0), -1]));
      return [y.add(shift), y.mul(torch.ones(4, { dtype: 'float64' }).mul(2)), y.add(torch.tensor([1, 2, 3, 4], { dtype: 'float64' })), x.sum(1).int()];
    };
    const x = (n: number): Tensor => torch.randn(n, 2, 3, { dtype: 'float64' });
    exportAndCompare(fn, [x(3)], { dynamicAxes: { input_0: [0] }, opsetVersion }, [[x(3)], [x(4)]]);
  });

  test('activations and softmax', () => {
    const fn = (x: Tensor): Tensor[] => [
      F.relu(x), F.leakyRelu(x, 0.2), x.leakyRelu(), F.elu(x, 0.7), F.gelu(x), F.gelu(x, 'tanh'), F.sigmoid(x), F.tanh(x),
      F.silu(x), F.softplus(x), F.softplus(x.mul(10), 2, 5), F.softmax(x, 1), F.logSoftmax(x, -1), x.softmax(0),
      new nn.ReLU().forward(x), new nn.GELU('tanh').forward(x), new nn.Softplus(0.5, 3).forward(x), new nn.ELU().forward(x),
      new nn.LeakyReLU(0.3).forward(x), new nn.SiLU().forward(x), new nn.Softmax(1).forward(x), new nn.LogSoftmax(1).forward(x),
      x.relu(), x.sigmoid(), x.tanh(), x.clamp(-0.5, 0.5), torch.clamp(x, null, 0.2), x.clip(-0.1),
    ];
    exportAndCompare(fn, [torch.randn(3, 7).mul(3)], { opsetVersion });
  });

  test('elementwise arithmetic, math functions, comparisons and casts', () => {
    const y = torch.randn(4, 5);
    const row = torch.randn(5);
    const fn = (x: Tensor): Tensor[] => [
      x.add(y), x.add(y, 2), torch.add(x, 3), x.sub(row), torch.sub(1, x), x.sub(y, { alpha: 0.5 }), x.mul(y), x.mul(2.5),
      x.div(y.abs().add(1)), x.div(4), x.abs().pow(1.5), x.abs().add(0.5).pow(y), x.pow(2), x.exp(), x.abs().add(1).log(),
      x.abs().sqrt(), x.abs().add(1).rsqrt(), x.abs(), x.neg(), x.sign(), x.square(), x.add(10).reciprocal(), x.sin(), x.cos(),
      x.erf(), x.expm1(), x.abs().log1p(), x.sinh(), x.cosh(), x.tan(), x.atan(), x.tanh().asin(), x.tanh().acos(), x.asinh(),
      x.abs().add(1).acosh(), x.tanh().mul(0.9).atanh(), x.abs().add(0.5).log2(), x.abs().add(0.5).log10(), x.exp2(), x.mul(3).floor(), x.mul(3).ceil(), x.mul(3).round(),
      x.mul(3).trunc(), torch.maximum(x, y), torch.minimum(x, row), x.remainder(0.7), x.mul(5).remainder(y.add(3)),
      x.mul(5).floorDivide(2), torch.where(x.gt(0), x, y), torch.where(x.lt(y), 1, x), x.where(x.ge(0), 0),
      x.gt(0), x.ge(y), x.lt(0.1), x.le(row), x.eq(x.round()), x.ne(0), x.gt(0).logicalAnd(y.gt(0)), x.gt(0).logicalOr(y.gt(0)),
      x.gt(0).logicalXor(y.gt(0)), x.gt(0).logicalNot(), x.isnan(), x.to('float64').mul(2), x.mul(4).int(), x.mul(4).int().add(1),
      x.mul(4).int().mul(3).remainder(5), x.mul(4).int().floorDivide(3), x.gt(0).float().add(x.lt(0).to('int32')), x.gt(0).add(y.gt(0)),
      x.mul(4).int().relu(), x.mul(4).int().floor(), x.double(), x.bool(), x.long().float(), x.detach(), x.clone(), x.contiguous(),
    ];
    exportAndCompare(fn, [torch.randn(4, 5)], { opsetVersion });
  });

  test('shape ops', () => {
    const fn = (x: Tensor): Tensor[] => {
      const [a, b] = x.split(2, 1);
      const chunks = x.chunk(3, 2);
      return [
        x.reshape([x.size(0), -1]), x.view(2, 12).t(), x.flatten(), x.flatten(1, 2), x.unflatten(2, [2, 2]), x.viewAs(torch.zeros(4, 6)),
        x.reshapeAs(torch.zeros(2, 12)), x.transpose(0, 2), x.permute(2, 0, 1), x.permute([1, 2, 0]), x.T, x.unsqueeze(1), x.unsqueeze(-1),
        x.unsqueeze(0).squeeze(0), x.narrow(1, 1, 2).squeeze(), x.narrow(-1, -3, 2), x.index(0), x.index(null, '...', 1), x.index(':', '1:', '::2'),
        x.index('...', torch.tensor([3, 0, -1], { dtype: 'int32' })), x.select(1, -1), x.select(2, 1), torch.cat([x, x.mul(2)], 1),
        torch.cat([x, x], -1), torch.stack([x, x.neg()], 1), a!, b!, ...chunks, ...x.unbind(1), ...x.tensorSplit([1, 3], 2),
        ...torch.split(x, [1, 2], 1), x.narrow(2, 0, 1).expand(2, 3, 5), x.narrow(1, 0, 1).expand(-1, 4, -1),
        x.index(0, 0).expandAs(x), torch.broadcastTo(x.index(0, 0), [2, 3, 4]), x.unsqueeze(0).expand(2, -1, -1, -1),
      ];
    };
    exportAndCompare(fn, [torch.randn(2, 3, 4)], { opsetVersion });
  });

  test('reductions, matrix products and indexing', () => {
    const w = torch.randn(4, 3);
    const idx = torch.tensor([[0, 1, 1], [2, 0, 1]], { dtype: 'int32' });
    const [w1, w2, b2] = [torch.randn(5, 4), torch.randn(5, 4), torch.randn(5)];
    const fn = (x: Tensor): Tensor[] => {
      const m = x.max(1);
      const n = torch.min(x, 2, true);
      return [
        x.sum(), x.sum(1), x.sum([0, 2], true), torch.sum(x, -1, true), x.mean(), x.mean([1, 2]), x.mean(0, true), x.prod(2), x.prod(),
        m.values, m.indices, n.values, n.indices, x.max(), x.min(), torch.max(x, x.neg()), x.amax([0, 1]), x.amin(2, true),
        x.argmax(), x.argmax(1), x.argmin(2, true), x.var(1), x.var([0, 2], false, true), x.std(), x.std(2, true, true), x.logsumexp(1),
        x.gt(0).all(), x.gt(0).any(), x.gt(5).any(), x.matmul(w), torch.matmul(x.index(0), w), x.bmm(x.transpose(1, 2)), x.index(0).mm(w),
        torch.dot(x.index(0, 0), w.index(':', 0)), torch.addmm(w.index(0), x.index(1), w, { beta: 0.5, alpha: 2 }),
        x.index(':', ':', ':3').gather(1, idx.unsqueeze(0).expand(2, -1, -1)), x.indexSelect(2, torch.tensor([3, 1], { dtype: 'int32' })),
        F.linear(x, w1), F.linear(x.index(0), w2, b2),
      ];
    };
    exportAndCompare(fn, [torch.randn(2, 3, 4)], { opsetVersion });
  });
});

test('exportParams: false makes the parameters graph inputs', () => {
  const model = new MLP();
  const file = exportAndCompare(model, [torch.randn(2, 6)], { exportParams: false }, undefined, Object.fromEntries(model.namedParameters()));
  const m = readModel(file);
  expect(m.graph!.initializer!.map((t) => t.name).filter((n) => n!.startsWith('fc'))).toEqual([]);
  expect(m.graph!.input!.map((v) => v.name)).toEqual(['input_0', 'fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
}, 60_000);

test('the default opset is 14 (PyTorch 1.13) and the model keeps its mode', () => {
  const model = new MLP();
  const file = tmpPath();
  torch.onnx.export(model, torch.randn(1, 6), file);
  expect(Number(readModel(file).opsetImport![0]!.version)).toBe(14);
  expect(model.training).toBe(true);
  expect(model.drop.training).toBe(true);
});
