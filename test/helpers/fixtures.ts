/** Loads the PyTorch fixtures written by scripts/gen_fixtures.py and rebuilds their strided inputs. */
import * as fs from 'fs';
import * as path from 'path';

import * as torch from '../../lib';
import type { Tensor } from '../../lib';

export type Num = number | boolean | string;
export interface TensorJson {
  shape: readonly number[];
  dtype: 'float32' | 'float64' | 'int32' | 'bool';
  data: Num[];
  steps?: unknown[][];
}

/**
 * One case of an op-table fixture (edge_tensor.json, seqops.json): an op, its inputs (base tensors seen through view
 * steps) and arguments, and either PyTorch's error or the outputs, their requiresGrad flags and the gradients.
 */
export interface OpCase {
  group: string;
  op: string;
  inputs: TensorJson[];
  grad: boolean;
  args: unknown[];
  rtol: number;
  atol: number;
  error?: { type: 'TypeError' | 'RangeError'; message: string; key: string };
  outs?: TensorJson[];
  requiresGrad?: boolean[];
  upstream?: TensorJson[];
  grads?: (TensorJson | null)[];
}

export function loadFixture<T>(name: string): { torch: string; cases: T[] } {
  const file = path.join(__dirname, '..', 'fixtures', name);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as { torch: string; cases: T[] };
}

export function decode(v: Num): number {
  if (v === 'nan') return NaN;
  if (v === 'inf') return Infinity;
  if (v === '-inf') return -Infinity;
  return Number(v);
}

/** The base tensor with the fixture's view steps applied (the same steps PyTorch applied). */
export function build(spec: TensorJson, leaf?: (base: Tensor) => void): Tensor {
  const values = spec.data.map(decode);
  let t = torch.tensor(values, { dtype: spec.dtype }).reshape(spec.shape);
  if (leaf && (spec.dtype === 'float32' || spec.dtype === 'float64')) {
    t = t.detach().requiresGrad_();
    leaf(t);
  }
  for (const step of spec.steps ?? []) {
    const [kind, ...a] = step as [string, ...unknown[]];
    if (kind === 't') t = t.t();
    else if (kind === 'transpose') t = t.transpose(a[0] as number, a[1] as number);
    else if (kind === 'permute') t = t.permute(a[0] as number[]);
    else if (kind === 'expand') t = t.expand(a[0] as number[]);
    else if (kind === 'slice') {
      const [dim, start, stop, stepSize] = a as [number, number | null, number | null, number];
      const specs: (string | null)[] = t.shape.map(() => ':');
      specs[dim] = `${start ?? ''}:${stop ?? ''}:${stepSize}`;
      t = t.index(...specs);
    } else if (kind === 'reshape') t = t.reshape(a[0] as number[]);
    else if (kind === 'unsqueeze') t = t.unsqueeze(a[0] as number);
    else throw new Error(`unknown step ${kind}`);
  }
  return t;
}

/** Element-wise |actual - expected| <= atol + rtol * |expected|, NaN matching NaN; shapes and dtypes equal. */
export function expectClose(actual: Tensor, expected: TensorJson, rtol: number, atol: number, label = ''): void {
  const where = label ? ` (${label})` : '';
  if (actual.dtype !== expected.dtype) throw new Error(`dtype ${actual.dtype} != ${expected.dtype}${where}`);
  if (JSON.stringify(actual.shape) !== JSON.stringify(expected.shape)) {
    throw new Error(`shape [${actual.shape.join(', ')}] != [${expected.shape.join(', ')}]${where}`);
  }
  const got = (actual.reshape([-1]).tolist() as (number | boolean)[]).map(Number);
  const want = expected.data.map(decode);
  for (let i = 0; i < want.length; i++) {
    const a = got[i]!;
    const e = want[i]!;
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    // ZERO_SIGN=1 also compares the sign of zeros, which PyTorch prints (-0.): not yet part of the suite, since
    // torchlet differs from PyTorch there in a few dozen cases (gelu, silu and relu at -0, prod, binaryCrossEntropy).
    if (a === 0 && e === 0 && process.env.ZERO_SIGN && !Object.is(a, e)) throw new Error(`element ${i}: got ${Object.is(a, -0) ? '-0' : '0'}, PyTorch ${Object.is(e, -0) ? '-0' : '0'}${where}`);
    if (a === e) continue;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      throw new Error(`element ${i}: got ${a}, PyTorch ${e} (rtol ${rtol}, atol ${atol})${where}`);
    }
  }
}

/** One jest describe per group of a fixture's cases (from PyTorch 1.13), one test per case. */
export function describeGroups<C extends { group: string }>(fixture: { torch: string; cases: C[] }, label: (c: C) => string, check: (c: C) => void): void {
  expect(fixture.torch).toMatch(/^1\.13/);
  for (const group of [...new Set(fixture.cases.map((c) => c.group))]) {
    describe(group, () => {
      for (const c of fixture.cases.filter((k) => k.group === group)) test(label(c), () => check(c));
    });
  }
}
