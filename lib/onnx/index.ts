/**
 * torch.onnx: export a model to ONNX by tracing one forward pass, as torch.onnx.export does (PyTorch's tracer, not
 * its dynamo exporter). The trace runs in eval mode without gradients; every op the pass calls becomes ONNX nodes
 * (lib/onnx/symbolic.ts), parameters and buffers become initializers under their state-dict names.
 */
import * as fs from 'fs';
import * as nodePath from 'path';
import { Tensor } from '../tensor';
import { noGrad } from '../autograd/grad_mode';
import { Module } from '../nn/modules/module';
import { checkBool, checkInt, checkOptions, describe } from '../validate';
import { GraphBuilder, encodeModel, valueInfo } from './graph';
import type { Dim } from './graph';
import { trace } from './trace';

const OP = 'torch.onnx.export';

/**
 * The opsets export writes: 13 (Split, Squeeze and Unsqueeze take their sizes as inputs) to 17 (LayerNormalization).
 * @example torch.onnx.exportModel(new nn.Linear(2, 1), torch.ones(1, 2), 'm.onnx',
 *     { opsetVersion: torch.onnx.MIN_OPSET })
 */
export const MIN_OPSET = 13;
/**
 * The highest opset exportModel writes (17).
 * @example torch.onnx.exportModel(new nn.LayerNorm(4), torch.ones(1, 4), 'ln.onnx',
 *     { opsetVersion: torch.onnx.MAX_OPSET })
 */
export const MAX_OPSET = 17;
/** PyTorch 1.13's default opset. @example torch.onnx.DEFAULT_OPSET // 14 */
export const DEFAULT_OPSET = 14;

/** Dynamic axes of one input or output: axis numbers (named `<name>_dynamic_axes_<k>`) or axis -> dim name. */
export type AxesSpec = readonly number[] | Readonly<Record<number, string>>;

/** The options of exportModel, as torch.onnx.export's keywords (camelCased). | */
export interface ExportOptions {
  /** Names of the graph inputs, one per argument (default input_0, input_1, ...). */
  inputNames?: readonly string[];
  /** Names of the graph outputs, one per output tensor (default output_0, ...). */
  outputNames?: readonly string[];
  /** Axes of inputs and outputs (by name) whose size may change, e.g. { input: { 0: 'batch' } } or { input: [0] }. */
  dynamicAxes?: Readonly<Record<string, AxesSpec>>;
  /** The ONNX opset, 13 to 17 (default 14, as PyTorch 1.13). */
  opsetVersion?: number;
  /** Store parameters and buffers in the file as initializers (default); false makes them graph inputs. */
  exportParams?: boolean;
  /** Accepted for PyTorch's signature; the traced graph has nothing to fold (parameters stay named initializers). */
  doConstantFolding?: boolean;
  /** 'eval' (default) traces in eval mode; 'preserve' keeps the model's mode (training-only ops then refuse). */
  training?: 'eval' | 'preserve';
}

type Forward = (...args: Tensor[]) => unknown;

function checkNames(name: string, v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || s === '')) {
    throw new TypeError(`${OP}: expected an array of non-empty strings for '${name}' but received ${describe(v)}`);
  }
  const dup = v.find((s, i) => v.indexOf(s) !== i);
  if (dup !== undefined) throw new RangeError(`${OP}: the name '${dup}' appears twice in '${name}'`);
  return v as string[];
}

function checkPath(path: unknown): string {
  if (typeof path !== 'string') throw new TypeError(`${OP}: expected a file path (string) for 'f' but received ${describe(path)}`);
  if (path === '') throw new RangeError(`${OP}: the file path 'f' is empty`);
  const dir = nodePath.dirname(nodePath.resolve(path));
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new RangeError(`${OP}: cannot write '${path}': the directory '${dir}' does not exist`);
  if (fs.existsSync(path) && fs.statSync(path).isDirectory()) throw new RangeError(`${OP}: cannot write '${path}': it is a directory`);
  return path;
}

/** The dynamic axes of one value as axis -> name, checked against its rank. */
function axesOf(name: string, spec: AxesSpec, rank: number): Map<number, string> {
  const axes = new Map<number, string>();
  const put = (axis: unknown, dimName: unknown): void => {
    const a = checkInt(OP, `dynamicAxes['${name}'] axis`, typeof axis === 'string' && /^-?\d+$/.test(axis) ? Number(axis) : axis, 0);
    if (a >= rank) throw new RangeError(`${OP}: dynamicAxes['${name}'] names axis ${a}, but '${name}' has ${rank} dims`);
    if (typeof dimName !== 'string' || dimName === '') {
      throw new TypeError(`${OP}: expected a non-empty string naming axis ${a} of '${name}' but received ${describe(dimName)}`);
    }
    axes.set(a, dimName);
  };
  if (Array.isArray(spec)) spec.forEach((a, k) => put(a, `${name}_dynamic_axes_${k + 1}`));
  else if (spec !== null && typeof spec === 'object') for (const [a, n] of Object.entries(spec)) put(a, n);
  else throw new TypeError(`${OP}: expected an array of axes or an { axis: name } object for dynamicAxes['${name}'] but received ${describe(spec)}`);
  return axes;
}

/**
 * The dims written for a graph input or output: the dynamic axes by name; for an output, a size equal to a dynamic
 * input axis's traced size is left unknown (it most likely follows that axis), the others are fixed.
 */
function dimsOf(t: Tensor, axes: Map<number, string> | undefined, dynamicSizes: ReadonlySet<number> = new Set()): Dim[] {
  return t.shape.map((s, i) => axes?.get(i) ?? (dynamicSizes.has(s) ? null : s));
}

function unknownAxesName(name: string, inputs: readonly string[], outputs: readonly string[]): RangeError {
  return new RangeError(`${OP}: dynamicAxes names '${name}', which is neither an input name (${inputs.join(', ')}) nor an output name (${outputs.join(', ')})`);
}

/** The tensors a forward pass returned: a Tensor or an array of them (nested arrays are flattened). */
function outputsOf(out: unknown): Tensor[] {
  if (out instanceof Tensor) return [out];
  if (Array.isArray(out)) return out.flatMap(outputsOf);
  throw new TypeError(`${OP}: the model returned ${describe(out)}; export takes a Tensor or an array of Tensors as output`);
}

/**
 * Traces one forward pass of model on args and writes it to path as an ONNX model, as torch.onnx.export.
 * @param model an nn.Module (its forward is traced) or a function of tensors
 * @param args the input tensor, or an array of them (one per forward argument)
 * @param path the .onnx file to write
 * @throws TypeError/RangeError for bad arguments (names, opset, dynamic axes, path); TypeError naming an op that has
 *   no ONNX export
 * @example
 * torch.onnx.export(model, torch.randn(1, 3, 28, 28), 'model.onnx', {
 *   inputNames: ['input'], outputNames: ['logits'], dynamicAxes: { input: { 0: 'batch' }, logits: { 0: 'batch' } },
 * });
 */
export function exportModel(model: Module | Forward, args: Tensor | readonly Tensor[], path: string, options: ExportOptions = {}): void {
  const forward = model instanceof Module ? (model as unknown as { forward?: unknown }).forward : model;
  if (typeof forward !== 'function') throw new TypeError(`${OP}: expected an nn.Module with a forward method, or a function, for 'model' but received ${describe(model)}`);
  const inputs: readonly unknown[] = args instanceof Tensor ? [args] : Array.isArray(args) ? args : [args];
  inputs.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new TypeError(`${OP}: expected a Tensor for args[${i}] but received ${describe(t)}`);
  });
  const file = checkPath(path);
  const o = checkOptions(OP, options);
  const opset = checkInt(OP, 'opsetVersion', o.opsetVersion ?? DEFAULT_OPSET, MIN_OPSET, MAX_OPSET);
  const exportParams = checkBool(OP, 'exportParams', o.exportParams, true);
  checkBool(OP, 'doConstantFolding', o.doConstantFolding, true);
  const mode = o.training ?? 'eval';
  if (mode !== 'eval' && mode !== 'preserve') {
    throw new RangeError(`${OP}: expected 'eval' or 'preserve' for 'training' but received ${describe(mode)} (training-mode export is not supported)`);
  }
  const inputNames = checkNames('inputNames', o.inputNames) ?? inputs.map((_, i) => `input_${i}`);
  if (inputNames.length !== inputs.length) {
    throw new RangeError(`${OP}: ${inputNames.length} input names for ${inputs.length} inputs ('inputNames' needs one name per argument)`);
  }
  const givenOutputs = checkNames('outputNames', o.outputNames);
  const clash = givenOutputs?.find((n) => inputNames.includes(n));
  if (clash !== undefined) throw new RangeError(`${OP}: '${clash}' names both an input and an output`);
  const dynamic = o.dynamicAxes ?? {};
  if (dynamic === null || typeof dynamic !== 'object' || Array.isArray(dynamic)) {
    throw new TypeError(`${OP}: expected an object of { name: axes } for 'dynamicAxes' but received ${describe(dynamic)}`);
  }
  const inputAxes = new Map<string, Map<number, string>>();
  for (const name of Object.keys(dynamic)) {
    const i = inputNames.indexOf(name);
    if (i >= 0) inputAxes.set(name, axesOf(name, dynamic[name]!, (inputs[i] as Tensor).dim()));
    else if (givenOutputs !== undefined && !givenOutputs.includes(name)) throw unknownAxesName(name, inputNames, givenOutputs);
  }

  const params = new Map<Tensor, string>();
  if (model instanceof Module) {
    for (const [name, p] of model.namedParameters()) params.set(p, name);
    for (const [name, b] of model.namedBuffers()) if (!params.has(b)) params.set(b, name);
  }
  const g = new GraphBuilder(opset, params, exportParams);
  inputNames.forEach((name, i) => {
    g.reserve(name);
    g.bind(inputs[i] as Tensor, name);
  });
  givenOutputs?.forEach((name) => g.reserve(name));

  const modules = model instanceof Module ? model.modules() : [];
  const modes = modules.map((m) => m.training);
  let result: unknown;
  try {
    if (mode === 'eval') for (const m of modules) m.training = false;
    result = noGrad(() => trace(g, () => (forward as Forward).apply(model, inputs as Tensor[])));
  } finally {
    modules.forEach((m, i) => (m.training = modes[i]!));
  }

  const outputs = outputsOf(result);
  const outputNames = givenOutputs ?? outputs.map((_, i) => `output_${i}`);
  if (outputNames.length !== outputs.length) {
    throw new RangeError(`${OP}: ${outputNames.length} output names for ${outputs.length} outputs ('outputNames' needs one name per output tensor)`);
  }
  for (const name of Object.keys(dynamic)) {
    if (!inputNames.includes(name) && !outputNames.includes(name)) throw unknownAxesName(name, inputNames, outputNames);
  }
  const dynamicSizes = new Set([...inputAxes].flatMap(([name, axes]) => [...axes.keys()].map((a) => (inputs[inputNames.indexOf(name)] as Tensor).shape[a]!)));
  const outputInfo = outputs.map((t, i) => {
    const name = outputNames[i]!;
    g.node('Identity', [g.value(t)], {}, [name]);
    const spec = dynamic[name];
    return valueInfo(name, t.dtype, dimsOf(t, spec === undefined ? undefined : axesOf(name, spec, t.dim()), dynamicSizes));
  });
  const inputInfo = inputs.map((t, i) => valueInfo(inputNames[i]!, (t as Tensor).dtype, dimsOf(t as Tensor, inputAxes.get(inputNames[i]!))));
  fs.writeFileSync(file, encodeModel(g, inputInfo, outputInfo));
}

export { exportModel as export };
