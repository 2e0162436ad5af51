/** torch.load of files PyTorch 1.13's torch.save wrote (scripts/gen_pt_fixtures.py): values, dtypes, sharing, refusals. */
import * as fs from 'fs';
import * as path from 'path';

import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import { expectClose } from '../helpers/fixtures';
import type { TensorJson } from '../helpers/fixtures';

const { nn, optim } = torch;
const F = nn.functional;
const DIR = path.join(__dirname, '..', 'fixtures', 'pt');
const file = (name: string): string => path.join(DIR, name);

interface StoredJson extends TensorJson {
  stride: number[];
  offset: number;
  requiresGrad: boolean;
  parameter: boolean;
}
interface TensorsFixture {
  keys: string[];
  tensors: Record<string, StoredJson>;
  groups?: string[][];
}
const fixture = <T>(name: string): T => JSON.parse(fs.readFileSync(file(name), 'utf8')) as T;

function expectStored(t: Tensor, want: StoredJson, key: string, layout = true): void {
  expect(t).toBeInstanceOf(torch.Tensor);
  expectClose(t, want, 0, 0, key);
  if (layout) {
    expect([key, [...t.strides], t.offset]).toEqual([key, want.stride, want.offset]);
    expect([key, t.requiresGrad, t instanceof nn.Parameter]).toEqual([key, want.requiresGrad, want.parameter]);
  }
}

describe('torch.load reads what PyTorch 1.13 writes', () => {
  test("a model's state dict (Linear, BatchNorm1d with its int64 num_batches_tracked) loads and fills a torchlet model", () => {
    const want = fixture<TensorsFixture>('model.json');
    const sd = torch.load(file('model.pt')) as Record<string, Tensor>;
    expect(Object.keys(sd)).toEqual(want.keys);
    for (const k of want.keys) expectStored(sd[k]!, want.tensors[k]!, k);
    const m = new nn.Sequential(new nn.Linear(3, 4), new nn.BatchNorm1d(4), new nn.ReLU(), new nn.Linear(4, 2));
    m.loadStateDict(sd);
    for (const [k, v] of m.stateDict()) expectClose(v, want.tensors[k]!, 0, 0, k);
  });

  test('every storage dtype converts to the nearest torchlet dtype; requires_grad and Parameters survive', () => {
    const want = fixture<TensorsFixture>('mixed.json');
    const sd = torch.load(file('mixed.pt')) as Record<string, Tensor>;
    expect(Object.keys(sd)).toEqual(want.keys);
    for (const k of want.keys) expectStored(sd[k]!, want.tensors[k]!, k);
  });

  test('safetensors files with F16, BF16, I64, I16, I8, U8 (and the others) load as the same values', () => {
    const want = fixture<TensorsFixture>('mixed.json');
    const sd = torch.load(file('mixed.safetensors'), { format: 'safetensors' });
    expect([...sd.keys()]).toEqual(want.keys);
    for (const k of want.keys) expectStored(sd.get(k)!, want.tensors[k]!, k, false);
  });

  test('views of one storage share one storage after loading, with their strides and offsets', () => {
    const want = fixture<TensorsFixture>('shared.json');
    const sd = torch.load(file('shared.pt')) as Record<string, Tensor>;
    for (const k of want.keys) expectStored(sd[k]!, want.tensors[k]!, k);
    const [a, b] = want.groups!.map((g) => g.map((k) => sd[k]!.data));
    for (const d of a!) expect(d).toBe(a![0]);
    for (const d of b!) expect(d).toBe(b![0]);
    expect(a![0]).not.toBe(b![0]);
    // Sharing is real: a write through one view shows in the others.
    sd.base!.data[sd.base!.offset + 2 * 6 + 3] = 123;
    expect(sd.t!.index(3, 2).item()).toBe(123);
    expect(sd.row!.index(3).item()).toBe(123);
  });

  test('nested dicts, lists, tuples and Python scalars (scripts/gen_pt_fixtures.py nested_fixture)', () => {
    const obj = torch.load(file('nested.pt')) as Record<string, torch.Loaded>;
    const lists = (v: torch.Loaded): unknown =>
      v instanceof torch.Tensor ? v.tolist() : Array.isArray(v) ? v.map(lists) : v instanceof Map ? new Map([...v].map(([k, x]) => [k, lists(x)])) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, lists(x)])) : v;
    expect(lists(obj.list!)).toEqual([[1, 2], 3, [4, [5.5]]]);
    expect(lists(obj.tuple!)).toEqual([[7], 'eight', null]);
    expect(obj.scalars).toEqual({ int: 42, neg: -70000, big: 2 ** 40, huge: 2n ** 70n, float: 0.1, true: true, false: false, none: null, str: 'héllo', empty: '' });
    expect(obj.int_keys).toEqual({ 0: 'zero', 10: 'ten' });
    // Keys that are neither strings nor ints: a Map (a tuple key becomes an array).
    const tk = obj.tuple_keys as Map<torch.Loaded, torch.Loaded>;
    expect(tk).toBeInstanceOf(Map);
    expect([...tk.entries()]).toEqual([[[1, 2], 'pair'], [3.5, 'float']]);
    expect(Object.keys(obj.ordered as object)).toEqual(['b', 'a']);
    expect(obj.empty).toEqual({ list: [], tuple: [], dict: {} });
    const same = obj.same as Tensor[];
    expect(same[0]).toBe(same[1]);
  });

  test('a global outside weights_only is refused by name, and nothing runs', () => {
    expect(() => torch.load(file('forbidden.pt'))).toThrow(/^torch\.load: unsupported global 'os\.system' in .*forbidden\.pt: torchlet loads only what PyTorch's weights_only=True unpickler allows/);
    expect(() => torch.load(file('forbidden_stack_global.pt'))).toThrow(/unsupported global 'builtins\.eval'/);
  });

  test('a legacy (pre-1.6) file is refused with how to convert it', () => {
    expect(() => torch.load(file('legacy.pt'))).toThrow(/legacy format .* torch\.save\(torch\.load\(path\), new_path\) writes the zip format \(_use_new_zipfile_serialization=True, the default/);
  });

  test('an int64 value past int32 is a RangeError naming the tensor (pt and safetensors)', () => {
    const want = fixture<{ key: string; value: number; index: number }>('int64_overflow.json');
    const re = new RegExp(`'${want.key}'.* holds the int64 value ${want.value} \\(element ${want.index}\\), which does not fit in torchlet's int64`);
    expect(() => torch.load(file('int64_overflow.pt'))).toThrow(RangeError);
    expect(() => torch.load(file('int64_overflow.pt'))).toThrow(re);
    expect(() => torch.load(file('int64_overflow.safetensors'))).toThrow(re);
  });
});

interface OptimFixture {
  state: Record<string, Record<string, StoredJson | number | null>>;
  param_groups: Record<string, unknown>[];
  sched: Record<string, unknown>;
  after: Record<string, StoredJson>;
  lrAfter: number;
}
interface Checkpoint {
  model: Record<string, Tensor>;
  opt: torch.optim.OptimizerStateDict;
  sched: Record<string, unknown>;
  epoch: number;
  x: Tensor;
  y: Tensor;
}

describe("a PyTorch checkpoint (model, optimizer, scheduler) resumes in torchlet as PyTorch's next step", () => {
  const cases: [string, (p: Tensor[]) => torch.optim.Optimizer<{ lr: number }>][] = [
    ['optim_sgd', (p) => new optim.SGD(p, { lr: 0.1, momentum: 0.9, weightDecay: 0.01 })],
    ['optim_adam', (p) => new optim.Adam(p, { lr: 0.01, betas: [0.8, 0.9] })],
  ];
  test.each(cases)('%s', (name, make) => {
    const want = fixture<OptimFixture>(`${name}.json`);
    const ck = torch.load(file(`${name}.pt`)) as unknown as Checkpoint;
    expect(ck.epoch).toBe(3);
    expect(ck.opt.param_groups).toEqual(want.param_groups);
    for (const [id, st] of Object.entries(want.state)) {
      for (const [k, v] of Object.entries(st)) {
        const got = ck.opt.state[Number(id)]![k];
        if (v !== null && typeof v === 'object') expectClose(got as Tensor, v, 0, 0, `${id}.${k}`);
        else expect(got).toBe(v);
      }
    }
    const m = new nn.Linear(3, 2);
    m.loadStateDict(ck.model);
    const opt = make(m.parameters());
    opt.loadStateDict(ck.opt);
    const sched = new optim.lrScheduler.StepLR(opt, 2, 0.5);
    sched.loadStateDict(ck.sched);
    expect(sched.lastEpoch).toBe(want.sched.last_epoch);
    opt.zeroGrad();
    F.mseLoss(m.forward(ck.x), ck.y).backward();
    opt.step();
    sched.step();
    for (const [k, v] of m.stateDict()) expectClose(v, want.after[k]!, 1e-6, 1e-7, k);
    expect(opt.paramGroups[0]!.lr).toBe(want.lrAfter);
  });
});
