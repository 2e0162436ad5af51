/**
 * The ONNX graph being built while one forward pass is traced: nodes, initializers and the map from each traced
 * Tensor to the name of the ONNX value that holds it. Encoding goes through onnx-proto (the ONNX schema compiled
 * for protobufjs), never a hand-written protobuf writer.
 */
import { onnx } from 'onnx-proto';
import type { Tensor } from '../tensor';
import type { DType } from '../dtype';
import { DTYPES } from '../dtype';
import * as K from '../backend/kernels';

const DataType = onnx.TensorProto.DataType;
const AttrType = onnx.AttributeProto.AttributeType;

/** ONNX's element type for each torchlet dtype (torchlet's int32 stands for PyTorch's int64; it stays int32). */
const ELEM: Record<DType, onnx.TensorProto.DataType> = {
  float32: DataType.FLOAT,
  float64: DataType.DOUBLE,
  int32: DataType.INT32,
  bool: DataType.BOOL,
};

/** The ONNX element type of a torchlet dtype. */
export function elemType(dtype: DType): onnx.TensorProto.DataType {
  return ELEM[dtype];
}

/** A node attribute value, tagged by its ONNX type (a JS number alone cannot say int or float). */
export type Attr = { i: number } | { f: number } | { ints: readonly number[] } | { floats: readonly number[] } | { s: string };

/** An INT attribute. @example g.op('Softmax', [x], { axis: int(1) }) */
export const int = (i: number): Attr => ({ i });
/** A FLOAT attribute. @example g.op('LeakyRelu', [x], { alpha: float(0.1) }) */
export const float = (f: number): Attr => ({ f });
/** An INTS attribute. @example g.op('Transpose', [x], { perm: ints([1, 0]) }) */
export const ints = (v: readonly number[]): Attr => ({ ints: v });

function attribute(name: string, a: Attr): onnx.IAttributeProto {
  if ('i' in a) return { name, type: AttrType.INT, i: a.i };
  if ('f' in a) return { name, type: AttrType.FLOAT, f: a.f };
  if ('ints' in a) return { name, type: AttrType.INTS, ints: [...a.ints] };
  if ('floats' in a) return { name, type: AttrType.FLOATS, floats: [...a.floats] };
  return { name, type: AttrType.STRING, s: new TextEncoder().encode(a.s) };
}

/** Little-endian bytes of a typed array (a copy, so later writes to a tensor do not change the file). */
function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

/** The largest int64, as ONNX's Slice takes it for "to the end". */
export const INT64_MAX = 9223372036854775807n;

/** A dim of a graph input or output: a size, a symbolic (dynamic) name, or null for a size not known in advance. */
export type Dim = number | string | null;

/**
 * The graph of one export: converters append nodes with `op`/`node` and name their inputs with `value` (a traced
 * tensor, a parameter, a constant), `constant` and `int64s`; `bind` records which value holds a traced result.
 * @example const y = g.op('Relu', [g.value(x)]); g.bind(out, y);
 */
export class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  /** Graph inputs beyond the traced arguments (the parameters when exportParams is false). */
  readonly extraInputs: onnx.IValueInfoProto[] = [];
  private readonly names = new Map<Tensor, string>();
  private readonly constants = new Map<string, string>();
  private readonly used = new Set<string>();
  private count = 0;

  /**
   * @param params the model's parameters and buffers by state-dict name: initializers (or inputs) under that name
   * @param exportParams whether parameters are stored in the file (as initializers) or become graph inputs
   */
  constructor(
    readonly opset: number,
    private readonly params: ReadonlyMap<Tensor, string>,
    private readonly exportParams: boolean,
  ) {
    for (const name of params.values()) this.used.add(name);
  }

  /** A name no other value has, from a readable stem. */
  fresh(stem: string): string {
    let name: string;
    do name = `/${stem}_${this.count++}`;
    while (this.used.has(name));
    this.used.add(name);
    return name;
  }

  /** Reserves a name given by the user (an input or output name). */
  reserve(name: string): void {
    this.used.add(name);
  }

  /** Records that t is held by the ONNX value `name`. */
  bind(t: Tensor, name: string): void {
    this.names.set(t, name);
  }

  has(t: Tensor): boolean {
    return this.names.has(t);
  }

  /**
   * The ONNX value holding t: a traced result or input, a parameter or buffer (by its state-dict name), or else a
   * constant made from t's current values (a tensor the forward pass captured, or one it created).
   */
  value(t: Tensor): string {
    const known = this.names.get(t);
    if (known !== undefined) return known;
    const param = this.params.get(t);
    let name: string;
    if (param !== undefined) {
      name = param;
      if (this.exportParams) this.initializers.push(this.tensorProto(name, t));
      else this.extraInputs.push(valueInfo(name, t.dtype, t.shape));
    } else {
      name = this.fresh('Constant');
      this.initializers.push(this.tensorProto(name, t));
    }
    this.names.set(t, name);
    return name;
  }

  private tensorProto(name: string, t: Tensor): onnx.ITensorProto {
    return { name, dims: [...t.shape], dataType: ELEM[t.dtype], rawData: bytesOf(K.dense(t)) };
  }

  /** A constant holding numbers of a dtype (shape [] for one scalar), shared between nodes that use the same one. */
  constant(values: readonly number[], dtype: DType, shape: readonly number[] = [values.length]): string {
    const key = `${dtype}:${shape.join(',')}:${values.join(',')}`;
    let name = this.constants.get(key);
    if (name === undefined) {
      name = this.fresh('Constant');
      const data = new DTYPES[dtype].array(values.length);
      values.forEach((v, i) => (data[i] = v));
      this.initializers.push({ name, dims: [...shape], dataType: ELEM[dtype], rawData: bytesOf(data) });
      this.constants.set(key, name);
    }
    return name;
  }

  /** A 1-D int64 constant (shapes, axes, pads, slice bounds); bigint entries for values beyond 2**53. */
  int64s(values: readonly (number | bigint)[]): string {
    const key = `int64:${values.join(',')}`;
    let name = this.constants.get(key);
    if (name === undefined) {
      name = this.fresh('Constant');
      this.initializers.push({ name, dims: [values.length], dataType: DataType.INT64, rawData: bytesOf(BigInt64Array.from(values.map((v) => BigInt(v)))) });
      this.constants.set(key, name);
    }
    return name;
  }

  /**
   * Appends a node; returns its output names (fresh ones unless given). An empty string in `inputs` is an
   * omitted optional input, as ONNX spells it.
   */
  node(type: string, inputs: readonly string[], attrs: Record<string, Attr> = {}, outputs: number | readonly string[] = 1): string[] {
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(type)) : [...outputs];
    this.nodes.push({
      opType: type,
      name: `${type}_${this.nodes.length}`,
      input: [...inputs],
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outs;
  }

  /** One-output node. */
  op(type: string, inputs: readonly string[], attrs: Record<string, Attr> = {}): string {
    return this.node(type, inputs, attrs)[0]!;
  }
}

/**
 * A graph input or output: its element type and dims (symbolic names for dynamic axes).
 * @example valueInfo('input', 'float32', ['batch', 784])
 */
export function valueInfo(name: string, dtype: DType, dims: readonly Dim[]): onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: ELEM[dtype], shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : d === null ? {} : { dimValue: d })) } } },
  };
}

/**
 * The serialized ModelProto of a built graph with its inputs and outputs.
 * @example fs.writeFileSync(path, encodeModel(g, inputs, outputs))
 */
export function encodeModel(g: GraphBuilder, inputs: onnx.IValueInfoProto[], outputs: onnx.IValueInfoProto[]): Uint8Array {
  const model: onnx.IModelProto = {
    // IR version 8 (ONNX 1.10-1.12) is what opsets 13 to 17 need; onnxruntime reads it.
    irVersion: 8,
    producerName: 'torchlet',
    opsetImport: [{ domain: '', version: g.opset }],
    graph: {
      name: 'main_graph',
      node: g.nodes,
      initializer: g.initializers,
      input: [...inputs, ...g.extraInputs],
      output: outputs,
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
