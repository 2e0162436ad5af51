/**
 * torch.save in PyTorch's format: torchlet reads back what it wrote, and PyTorch 1.13 (Debian's python3-torch, when
 * present) loads it with weights_only=True: values, dtypes, strides, storage sharing, Parameters.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import * as torch from '../../lib';
import type { Tensor } from '../../lib';

const { nn, optim } = torch;
const F = nn.functional;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torchlet-pt-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const PYTHON = '/usr/bin/python3';
const hasTorch = fs.existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
if (!hasTorch) console.warn('pt_roundtrip.test.ts: /usr/bin/python3 with torch (Debian python3-torch) not found: the PyTorch-side checks are SKIPPED');
const withTorch = hasTorch ? test : test.skip;

/** Runs Python with torch on `code`, which prints one JSON document. */
function python(code: string, ...args: string[]): unknown {
  const r = spawnSync(PYTHON, ['-c', code, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Describes every tensor of a loaded object, as PyTorch sees it: path, dtype, shape, stride, offset, values, storage. */
const DESCRIBE = `
import json, sys, torch
obj = torch.load(sys.argv[1], weights_only=sys.argv[2] == 'weights_only')
ptrs = {}
def walk(v, where, out):
    if torch.is_tensor(v):
        p = v.storage().data_ptr()
        ptrs.setdefault(p, len(ptrs))
        vals = v.detach().to(torch.float64 if v.is_floating_point() else v.dtype).reshape(-1).tolist()
        out[where] = {'dtype': str(v.dtype), 'shape': list(v.shape), 'stride': list(v.stride()), 'offset': v.storage_offset(),
                      'values': vals, 'requiresGrad': v.requires_grad, 'parameter': isinstance(v, torch.nn.Parameter), 'storage': ptrs[p]}
    elif isinstance(v, dict):
        for k, x in v.items(): walk(x, f'{where}.{k}' if where else str(k), out)
    elif isinstance(v, (list, tuple)):
        for i, x in enumerate(v): walk(x, f'{where}[{i}]', out)
    else:
        out[where] = {'python': type(v).__name__, 'value': v if not isinstance(v, int) or abs(v) < 2**53 else str(v)}
    return out
print(json.dumps(walk(obj, '', {})))
`;

interface Described {
  dtype?: string;
  shape?: number[];
  stride?: number[];
  offset?: number;
  values?: (number | boolean)[];
  requiresGrad?: boolean;
  parameter?: boolean;
  storage?: number;
  python?: string;
  value?: unknown;
}

function objectToSave(): { obj: Record<string, unknown>; tensors: Record<string, Tensor> } {
  torch.manualSeed(5);
  const base = torch.randn(3, 4);
  const ints = torch.tensor([-(2 ** 31), 2 ** 31 - 1, 5], { dtype: 'int64' });
  const tensors: Record<string, Tensor> = {
    base, t: base.t(), row: base.index(1), strided: base.index(':', '1::2'), expanded: base.index(0, ':1').expand(2, 3),
    f64: torch.tensor([0.1, -1e-310, 1e300], { dtype: 'float64' }), ints, intsView: ints.index('1:'), mask: torch.tensor([true, false]),
    scalar: torch.tensor(2.5), empty: torch.zeros(0, 2), param: new nn.Parameter(torch.ones(2)),
    frozen: new nn.Parameter(torch.ones(1), false), leaf: torch.ones(3).requiresGrad_(),
  };
  const obj = { ...tensors, list: [1, -70000, 2 ** 40, 'str', null, true], nested: { 0: { deep: [tensors.row] } }, big: 2n ** 70n };
  return { obj, tensors };
}

describe('torch.save writes PyTorch zip files', () => {
  test('torchlet reads back what it wrote: values, layouts, sharing, Parameters, scalars', () => {
    const { obj, tensors } = objectToSave();
    const file = path.join(dir, 'mixed.pt');
    torch.save(obj, file);
    const back = torch.load(file) as Record<string, torch.Loaded>;
    for (const [k, t] of Object.entries(tensors)) {
      const b = back[k] as Tensor;
      expect([k, b.dtype, b.shape, b.strides, b.offset, b.requiresGrad, b instanceof nn.Parameter]).toEqual([k, t.dtype, t.shape, t.strides, t.offset, t.requiresGrad, t instanceof nn.Parameter]);
      expect(b.tolist()).toEqual(t.tolist());
    }
    for (const k of ['t', 'row', 'strided', 'expanded']) expect((back[k] as Tensor).data).toBe((back.base as Tensor).data);
    expect((back.intsView as Tensor).data).toBe((back.ints as Tensor).data);
    expect((back.f64 as Tensor).data).not.toBe((back.base as Tensor).data);
    expect(back.list).toEqual([1, -70000, 2 ** 40, 'str', null, true]);
    expect(back.big).toBe(2n ** 70n);
    expect(((back.nested as Record<string, { deep: Tensor[] }>)['0']!.deep[0]!).data).toBe((back.base as Tensor).data);
  });

  test('the archive is laid out as torch.save lays it out: records 64-byte aligned, stored, the same bytes every time', () => {
    const { obj } = objectToSave();
    const a = path.join(dir, 'a.pt');
    const b = path.join(dir, 'b.pt');
    torch.save(obj, a);
    torch.save(objectToSave().obj, b);
    const buf = fs.readFileSync(a);
    expect(buf.equals(fs.readFileSync(b))).toBe(true);
    // Walk the local file headers (signature PK\x03\x04): method 0 (stored), data offset a multiple of 64.
    const names: string[] = [];
    for (let at = 0; buf.readUInt32LE(at) === 0x04034b50; ) {
      const n = buf.readUInt16LE(at + 26);
      const e = buf.readUInt16LE(at + 28);
      names.push(buf.subarray(at + 30, at + 30 + n).toString());
      expect(buf.readUInt16LE(at + 8)).toBe(0);
      expect((at + 30 + n + e) % 64).toBe(0);
      at += 30 + n + e + buf.readUInt32LE(at + 18);
    }
    expect(names[0]).toBe('archive/data.pkl');
    expect(names[names.length - 1]).toBe('archive/version');
  });

  test('format by extension or option; errors name the value that cannot be saved', () => {
    const x = { w: torch.ones(2) };
    torch.save(x, path.join(dir, 'x.pth'));
    torch.save(x, path.join(dir, 'x.bin'));
    torch.save(x, path.join(dir, 'x.weights'), { format: 'pt' });
    torch.save(x, path.join(dir, 'x.safetensors'));
    expect(fs.readFileSync(path.join(dir, 'x.pth')).subarray(0, 2).toString()).toBe('PK');
    expect(fs.readFileSync(path.join(dir, 'x.bin')).subarray(0, 2).toString()).toBe('PK');
    expect(fs.readFileSync(path.join(dir, 'x.safetensors')).subarray(0, 2).toString()).not.toBe('PK');
    // Other names: the format is read from the first bytes.
    expect(torch.load<Record<string, Tensor>>(path.join(dir, 'x.weights')).w!.tolist()).toEqual([1, 1]);
    expect(() => torch.save({ a: { b: [1, () => 2] } }, path.join(dir, 'bad.pt'))).toThrow(/^torch\.save: cannot save a function at 'a\.b\[1\]'/);
    expect(() => torch.save({ a: new Date() }, path.join(dir, 'bad.pt'))).toThrow(/cannot save a Date at 'a'/);
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    expect(() => torch.save(cyclic, path.join(dir, 'bad.pt'))).toThrow(/refers to itself/);
    const y = torch.ones(2).requiresGrad_().mul(2);
    expect(() => torch.save({ y }, path.join(dir, 'bad.pt'))).toThrow(/Cowardly refusing to serialize non-leaf tensor which requires_grad \('y'\)/);
    expect(() => torch.save(x, path.join(dir, 'x.pt'), { format: 'onnx' as never })).toThrow(/^save: expected 'pt' or 'safetensors' for 'format'/);
    expect(() => torch.save(x, path.join(dir, 'x.pt'), { metadata: { a: 'b' } })).toThrow(/'metadata' is a safetensors feature/);
    expect(() => torch.load(path.join(dir, 'x.pth'), { format: 'safetensors' })).toThrow(/is a PyTorch zip file, not safetensors/);
    expect(() => torch.load(path.join(dir, 'x.safetensors'), { format: 'pt' })).toThrow(/is not a PyTorch file/);
  });

  withTorch('PyTorch 1.13 loads it with weights_only=True: values, dtypes, strides, offsets, sharing, Parameters', () => {
    const { obj, tensors } = objectToSave();
    const file = path.join(dir, 'for_torch.pt');
    torch.save(obj, file);
    const seen = python(DESCRIBE, file, 'weights_only') as Record<string, Described>;
    const torchDtype = { float32: 'torch.float32', float64: 'torch.float64', int32: 'torch.int64', bool: 'torch.bool' };
    for (const [k, t] of Object.entries(tensors)) {
      const s = seen[k]!;
      expect([k, s.dtype, s.shape, s.stride, s.offset, s.requiresGrad, s.parameter]).toEqual([k, torchDtype[t.dtype], t.shape, t.strides, t.offset, t.requiresGrad, t instanceof nn.Parameter]);
      expect(s.values).toEqual((t.flatten().tolist() as (number | boolean)[]));
    }
    const storage = (k: string): number => seen[k]!.storage!;
    for (const k of ['t', 'row', 'strided', 'expanded', 'nested.0.deep[0]']) expect(storage(k)).toBe(storage('base'));
    expect(storage('intsView')).toBe(storage('ints'));
    expect(new Set(['base', 'f64', 'ints', 'mask', 'scalar', 'param'].map(storage)).size).toBe(6);
    expect(seen['list[2]']).toEqual({ python: 'int', value: 2 ** 40 });
    expect(seen['list[4]']).toEqual({ python: 'NoneType', value: null });
    expect(seen.big).toEqual({ python: 'int', value: String(2n ** 70n) });
  });

  withTorch("PyTorch 1.13's weights_only=True refuses Python floats in its own files as in torchlet's (the README's limit)", () => {
    const file = path.join(dir, 'floats.pt');
    torch.save({ lr: 0.5, w: torch.ones(1) }, file);
    const code = `
import json, sys, torch
out = []
for f in sys.argv[1:]:
    try:
        torch.load(f, weights_only=True)
        out.append('loaded')
    except Exception as e:
        out.append(str(e))
out.append(torch.load(sys.argv[1])['lr'])
print(json.dumps(out))
`;
    const [ours, theirs, lr] = python(code, file, path.join(__dirname, '..', 'fixtures', 'pt', 'optim_sgd.pt')) as [string, string, number];
    expect(ours).toMatch(/Unsupported operand 71/);
    expect(theirs).toMatch(/Unsupported operand 71/);
    expect(lr).toBe(0.5);
  });

  const continuations: [string, (p: Tensor[]) => torch.optim.Optimizer<{ lr: number }>, string][] = [
    ['Adam', (p) => new optim.Adam(p, { lr: 0.01, betas: [0.8, 0.9] }), 'torch.optim.Adam(m.parameters(), lr=0.01, betas=(0.8, 0.9))'],
    ['SGD with momentum', (p) => new optim.SGD(p, { lr: 0.1, momentum: 0.9, weightDecay: 0.01 }), 'torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9, weight_decay=0.01)'],
  ];
  (hasTorch ? test.each(continuations) : test.skip.each(continuations))(
    'a torchlet checkpoint (model, %s, StepLR, epoch) continues in PyTorch as it continues in torchlet',
    (_name, make, pyOpt) => {
      torch.manualSeed(6);
      const m = new nn.Linear(3, 2);
      const x = torch.randn(4, 3);
      const y = torch.randn(4, 2);
      const opt = make(m.parameters());
      const sched = new optim.lrScheduler.StepLR(opt, 2, 0.5);
      const step = (): void => {
        opt.zeroGrad();
        F.mseLoss(m.forward(x), y).backward();
        opt.step();
        sched.step();
      };
      for (let i = 0; i < 3; i++) step();
      const file = path.join(dir, 'ckpt.pt');
      torch.save({ model: m.stateDict(), opt: opt.stateDict(), sched: sched.stateDict(), epoch: 3, x, y }, file);
      // PyTorch 1.13's weights_only unpickler has no opcode for Python floats (its own optimizer checkpoints fail the
      // same way), so this file, with lr and betas, loads with weights_only=False; it names only allowed globals.
      const code = `
import json, sys, torch
ck = torch.load(sys.argv[1])
m = torch.nn.Linear(3, 2)
m.load_state_dict(ck['model'])
opt = ${pyOpt}
opt.load_state_dict(ck['opt'])
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
sched.load_state_dict(ck['sched'])
opt.zero_grad()
torch.nn.functional.mse_loss(m(ck['x']), ck['y']).backward()
opt.step()
sched.step()
print(json.dumps({'epoch': ck['epoch'], 'lr': opt.param_groups[0]['lr'], **{k: v.reshape(-1).tolist() for k, v in m.state_dict().items()}}))
`;
      const pt = python(code, file) as Record<string, number[] | number>;
      step();
      expect(pt.epoch).toBe(3);
      expect(pt.lr).toBe(opt.paramGroups[0]!.lr);
      for (const [k, v] of m.stateDict()) {
        const want = pt[k] as number[];
        (v.flatten().tolist() as number[]).forEach((got, i) => expect(Math.abs(got - want[i]!)).toBeLessThanOrEqual(1e-7 + 1e-6 * Math.abs(want[i]!)));
      }
    },
  );
});
