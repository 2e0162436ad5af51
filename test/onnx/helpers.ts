/**
 * Export a model, run the file in onnxruntime (the independent computation) and compare its outputs with
 * torchlet's own forward pass.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { onnx } from 'onnx-proto';
import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import type { ExportOptions } from '../../lib/onnx';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torchlet-onnx-'));
let count = 0;

/** A fresh .onnx path in a temporary directory. */
export function tmpPath(stem = 'model'): string {
  return path.join(dir, `${stem}_${count++}.onnx`);
}

/** t's elements in row-major order, as the typed array its dtype uses. */
function elements(t: Tensor): Float32Array | Float64Array | Int32Array | Uint8Array {
  const c = t.contiguous();
  const part = c.data.subarray(c.offset, c.offset + c.numel());
  return part.slice();
}

/** A tensor as onnxruntime takes it, or as it returned one. */
export interface OrtValue {
  type: string;
  dims: number[];
  data: ArrayLike<number | bigint>;
}

interface Wire {
  type: string;
  dims: number[];
  data: string;
}

const WIRE_ARRAYS: Record<string, { new (b: ArrayBuffer): ArrayLike<number | bigint> }> = {
  float32: Float32Array, float64: Float64Array, int32: Int32Array, int64: BigInt64Array, bool: Uint8Array,
};

/**
 * Runs the model in onnxruntime-node once per feed set. In a child process: onnxruntime checks its tensors'
 * typed arrays with instanceof, which fails across jest's per-test realm.
 */
export function runOnnx(file: string, runs: readonly Record<string, Tensor>[]): Record<string, OrtValue>[] {
  const wire = (t: Tensor): Wire => {
    const e = elements(t);
    return { type: t.dtype, dims: [...t.shape], data: Buffer.from(e.buffer, e.byteOffset, e.byteLength).toString('base64') };
  };
  const request = { model: file, runs: runs.map((feeds) => Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, wire(t)]))) };
  const r = spawnSync(process.execPath, [path.join(__dirname, 'ort_runner.js')], { input: JSON.stringify(request), maxBuffer: 1 << 28 });
  const reply = JSON.parse(r.stdout.toString('utf8') || '{"error":"no reply"}') as { runs?: Record<string, Wire>[]; error?: string };
  if (reply.error !== undefined) throw new Error(`onnxruntime: ${reply.error}${r.stderr.length ? `\n${r.stderr.toString()}` : ''}`);
  return reply.runs!.map((out) =>
    Object.fromEntries(Object.entries(out).map(([k, v]) => {
      const bytes = Buffer.from(v.data, 'base64');
      return [k, { type: v.type, dims: v.dims, data: new WIRE_ARRAYS[v.type]!(new Uint8Array(bytes).buffer) }];
    })),
  );
}

export type Forward = torch.nn.Module | ((...xs: Tensor[]) => unknown);

/** The outputs of model on xs (eval mode, no grad), as a flat list of tensors. */
export function forwardOf(model: Forward, xs: readonly Tensor[]): Tensor[] {
  const run = typeof model === 'function' ? model : (...a: Tensor[]): unknown => (model as unknown as { forward: (...b: Tensor[]) => unknown }).forward(...a);
  if (typeof model !== 'function') model.eval();
  const out = torch.noGrad(() => run(...xs));
  const flat = (v: unknown): Tensor[] => (Array.isArray(v) ? v.flatMap(flat) : [v as Tensor]);
  return flat(out);
}

/** Expects an onnxruntime output to equal a torchlet tensor: same dims, values within 1e-5 (relative above 1). */
export function expectSame(got: OrtValue, want: Tensor, what: string): void {
  expect({ what, dims: [...got.dims] }).toEqual({ what, dims: [...want.shape] });
  const a = got.data;
  const b = elements(want);
  expect(a.length).toBe(b.length);
  for (let i = 0; i < b.length; i++) {
    const x = Number(a[i]);
    const y = Number(b[i]);
    if (Number.isNaN(y)) {
      if (!Number.isNaN(x)) throw new Error(`${what}[${i}]: onnxruntime ${x}, torchlet NaN`);
      continue;
    }
    if (!(Math.abs(x - y) <= 1e-5 * Math.max(1, Math.abs(y)))) throw new Error(`${what}[${i}]: onnxruntime ${x}, torchlet ${y}`);
  }
}

/**
 * Exports model traced on xs, then for each input set in runs (default: xs) runs the file in onnxruntime and
 * compares every output with torchlet's. Returns the path written.
 */
export function exportAndCompare(
  model: Forward,
  xs: readonly Tensor[],
  options: ExportOptions = {},
  runs: readonly (readonly Tensor[])[] = [xs],
  extraFeeds: Record<string, Tensor> = {},
): string {
  const file = tmpPath();
  torch.onnx.export(model as torch.nn.Module, xs, file, options);
  const inputNames = options.inputNames ?? xs.map((_, i) => `input_${i}`);
  const results = runOnnx(file, runs.map((inputs) => ({ ...extraFeeds, ...Object.fromEntries(inputs.map((t, i) => [inputNames[i]!, t])) })));
  runs.forEach((inputs, r) => {
    const want = forwardOf(model, inputs);
    const outputNames = options.outputNames ?? want.map((_, i) => `output_${i}`);
    expect(Object.keys(results[r]!).length).toBe(want.length);
    want.forEach((t, i) => expectSame(results[r]![outputNames[i]!]!, t, `${outputNames[i]} (batch ${inputs[0]?.shape[0]})`));
  });
  return file;
}

/** The ModelProto in a file. */
export function readModel(file: string): onnx.ModelProto {
  return onnx.ModelProto.decode(fs.readFileSync(file));
}

/** The op types of a model's nodes, in order. */
export function opTypes(file: string): string[] {
  return readModel(file).graph!.node!.map((n) => n.opType!);
}
