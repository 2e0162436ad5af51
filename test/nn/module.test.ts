/** Module registration, traversal and state, against PyTorch's rules and outputs (test/fixtures/module.json). */
import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import { loadFixture } from '../helpers/fixtures';
import { expectError } from '../helpers/errors';

const { nn } = torch;
const fx = loadFixture<never>('module.json') as unknown as {
  repr: string;
  stateDictKeys: string[];
  namedParameters: string[];
  namedModules: string[];
  buffers: string[];
  messages: Record<string, string>;
  nonStrict: { missing: string[]; unexpected: string[] };
};

class Net extends nn.Module {
  fc = new nn.Linear(2, 3);
  seq = new nn.Sequential(new nn.Linear(3, 3), new nn.ReLU(), new nn.Dropout(0.2));
  declare running: Tensor;
  emb: torch.nn.Embedding;
  norm = new nn.LayerNorm(3);
  act = new nn.GELU('tanh');
  md = new nn.ModuleDict({ a: new nn.Tanh(), b: new nn.Softplus() });
  ml = new nn.ModuleList([new nn.ELU(), new nn.LeakyReLU(0.2)]);
  fl = new nn.Flatten();
  uf = new nn.Unflatten(1, [2, 2]);
  bi = new nn.Bilinear(2, 3, 4);
  sm = new nn.Softmax(1);
  constructor() {
    super();
    this.registerBuffer('running', torch.zeros(3));
    this.registerBuffer('scratch', torch.zeros(1), false);
    this.emb = new nn.Embedding(4, 2, { paddingIdx: 0 });
  }
  forward(x: Tensor): Tensor {
    return this.fc.forward(x);
  }
}

/** The same module with every member assigned in the constructor, in PyTorch's order. */
class NetInOrder extends nn.Module {
  constructor() {
    super();
    const self = this as unknown as Record<string, unknown>;
    self.fc = new nn.Linear(2, 3);
    self.seq = new nn.Sequential(new nn.Linear(3, 3), new nn.ReLU(), new nn.Dropout(0.2));
    this.registerBuffer('running', torch.zeros(3));
    this.registerBuffer('scratch', torch.zeros(1), false);
    self.emb = new nn.Embedding(4, 2, { paddingIdx: 0 });
    self.norm = new nn.LayerNorm(3);
    self.act = new nn.GELU('tanh');
    self.md = new nn.ModuleDict({ a: new nn.Tanh(), b: new nn.Softplus() });
    self.ml = new nn.ModuleList([new nn.ELU(), new nn.LeakyReLU(0.2)]);
    self.fl = new nn.Flatten();
    self.uf = new nn.Unflatten(1, [2, 2]);
    self.bi = new nn.Bilinear(2, 3, 4);
    self.sm = new nn.Softmax(1);
  }
  forward(x: Tensor): Tensor {
    return x;
  }
}

describe('Module against PyTorch', () => {
  const net = new NetInOrder();

  test('prints the module tree like PyTorch', () => {
    expect(net.toString()).toBe(fx.repr.replace(/^Net\(/, 'NetInOrder('));
  });

  test('stateDict keys (params, persistent buffers, then children), namedParameters, namedModules, buffers', () => {
    expect([...net.stateDict().keys()]).toEqual(fx.stateDictKeys);
    expect(net.namedParameters().map(([n]) => n)).toEqual(fx.namedParameters);
    expect([...net.namedModules()].map(([n]) => n)).toEqual(fx.namedModules);
    expect(net.namedBuffers().map(([n]) => n)).toEqual(fx.buffers);
  });

  test('class fields register too (in field order)', () => {
    const n = new Net();
    expect(n.namedParameters().map(([k]) => k)).toContain('fc.weight');
    expect(n.buffers().length).toBe(2);
    expect([...n.stateDict().keys()]).toContain('emb.weight');
  });

  test("loadStateDict's messages: missing, unexpected, size mismatch; strict false returns the keys", () => {
    const lin = new nn.Linear(2, 2);
    expectError(
      () => lin.loadStateDict({ weight: torch.zeros(3, 2), extra: torch.zeros(1) }),
      'Error',
      new RegExp(fx.messages.sizeMissingUnexpected!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
    );
    expect(() => lin.loadStateDict({ weight: torch.zeros(2, 2) })).toThrow(fx.messages.missing!);
    const r = lin.loadStateDict({ weight: torch.zeros(2, 2), x: torch.zeros(1) }, false);
    expect(r).toEqual({ missingKeys: fx.nonStrict.missing, unexpectedKeys: fx.nonStrict.unexpected });
    expect(lin.weight.tolist()).toEqual([[0, 0], [0, 0]]);
  });

  test('assigning a plain Tensor to a parameter slot: PyTorch\'s TypeError with torchlet\'s names', () => {
    const lin = new nn.Linear(2, 2);
    const want = fx.messages.assignTensor!.replace('torch.FloatTensor', 'torchlet.FloatTensor').replace('torch.nn.Parameter or None', 'torchlet.nn.Parameter or null');
    expectError(() => {
      lin.weight = torch.zeros(2, 2) as torch.nn.Parameter;
    }, 'TypeError', new RegExp(want.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  });
});

describe("Module rules (PyTorch's Module.__setattr__, named_parameters and state_dict)", () => {
  test('a shared parameter appears once in parameters(), under its first name, but twice in stateDict', () => {
    class Tied extends nn.Module {
      declare w: torch.nn.Parameter;
      declare inner: torch.nn.Linear;
      constructor() {
        super();
        this.inner = new nn.Linear(2, 2);
        this.w = this.inner.weight;
      }
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    const t = new Tied();
    expect(t.namedParameters().map(([n]) => n)).toEqual(['w', 'inner.bias']);
    expect([...t.stateDict().keys()]).toEqual(['w', 'inner.weight', 'inner.bias']);
  });

  test('null unsets a parameter but keeps the name registered; a plain tensor under a new name is not registered', () => {
    const lin = new nn.Linear(2, 2);
    (lin as unknown as { bias: null }).bias = null;
    expect(lin.namedParameters().map(([n]) => n)).toEqual(['weight']);
    expectError(() => {
      (lin as unknown as { bias: Tensor }).bias = torch.zeros(2);
    }, 'TypeError', /cannot assign 'torchlet.FloatTensor' as parameter 'bias'/);
    (lin as unknown as { extra: Tensor }).extra = torch.zeros(2);
    expect(lin.parameters().length).toBe(1);
    expect(lin.buffers().length).toBe(0);
  });

  test('a child module slot takes only modules; a buffer slot only tensors', () => {
    const s = new nn.Sequential(new nn.ReLU());
    expectError(() => {
      (s as unknown as Record<string, unknown>)['0'] = 5;
    }, 'TypeError', /cannot assign 'number' as child module '0'/);
    const m = new nn.Linear(1, 1);
    m.registerBuffer('stat', torch.zeros(1));
    expectError(() => {
      (m as unknown as Record<string, unknown>).stat = 'x';
    }, 'TypeError', /cannot assign 'string' as buffer 'stat'/);
  });

  test('Parameter of a computed tensor is a new leaf sharing its storage; a and b stay out of its graph', () => {
    const a = new nn.Parameter(torch.rand(2, 2));
    const b = new nn.Parameter(torch.rand(2, 2));
    const prod = torch.matmul(a, b);
    const p = new nn.Parameter(prod);
    expect(p.isLeaf).toBe(true);
    expect(p.data).toBe(prod.data);
    p.sum().backward();
    expect(a.grad).toBeNull();
    expect(b.grad).toBeNull();
    expect(p.grad!.tolist()).toEqual([[1, 1], [1, 1]]);
    expect(new nn.Parameter(torch.ones(1), false).requiresGrad).toBe(false);
    expect(String(new nn.Parameter(torch.ones(1)))).toBe('Parameter containing:\ntensor([1.], requires_grad=True)');
  });

  test('train/eval reach every descendant; zeroGrad sets grads to null; requiresGrad_ freezes; apply visits all', () => {
    const m = new nn.Sequential(new nn.Linear(2, 2), new nn.Dropout(0.5));
    m.eval();
    expect(m.modules().every((x) => !x.training)).toBe(true);
    m.train();
    expect(m.at(1).training).toBe(true);
    m.forward(torch.ones(1, 2)).sum().backward();
    m.zeroGrad();
    expect(m.parameters().every((p) => p.grad === null)).toBe(true);
    m.requiresGrad_(false);
    expect(m.parameters().every((p) => !p.requiresGrad)).toBe(true);
    const seen: string[] = [];
    m.apply((x) => seen.push(x.constructor.name));
    expect(seen).toEqual(['Linear', 'Dropout', 'Sequential']);
  });

  test('Dropout is the identity in eval mode, and draws from the seeded generator in training', () => {
    const d = new nn.Dropout(0.5);
    const x = torch.ones(100);
    torch.manualSeed(1);
    const a = d.forward(x).tolist();
    torch.manualSeed(1);
    expect(d.forward(x).tolist()).toEqual(a);
    d.eval();
    expect(d.forward(x)).toBe(x);
  });

  test('containers', () => {
    const list = new nn.ModuleList([new nn.ReLU(), new nn.Tanh()]);
    expect([...list].map((m) => m.constructor.name)).toEqual(['ReLU', 'Tanh']);
    expect(list.at(-1).constructor.name).toBe('Tanh');
    const dict = new nn.ModuleDict({ act: new nn.ReLU() });
    expect(dict.keys()).toEqual(['act']);
    expect(dict.get('act')!.constructor.name).toBe('ReLU');
    const seq = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU());
    expect(seq.forward(torch.ones(4, 2)).shape).toEqual([4, 3]);
    expect(seq.length).toBe(2);
  });
});
