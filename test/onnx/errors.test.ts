/** torch.onnx.export: ops it cannot write and bad arguments are clear errors; the trace leaves nothing behind. */
import * as fs from 'fs';
import * as os from 'os';
import * as torch from '../../lib';
import type { Tensor } from '../../lib';
import { record } from '../../lib/autograd/record';
import * as movement from '../../lib/ops/movement';
import { onnx } from 'onnx-proto';
import { readModel, tmpPath } from './helpers';

const { nn } = torch;
const F = nn.functional;

class Net extends nn.Module {
  fc = new nn.Linear(3, 2);
  forward(x: Tensor): Tensor {
    return this.fc.forward(x);
  }
}

const x = torch.randn(4, 3);

/** Expects exporting fn to throw `kind` matching `message`, and no file to be written. */
function refuses(fn: torch.nn.Module | ((...xs: Tensor[]) => unknown), message: RegExp, kind: ErrorConstructor = TypeError, input: Tensor = x): void {
  const file = tmpPath('refused');
  let caught: unknown;
  try {
    torch.onnx.export(fn as torch.nn.Module, input, file);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(kind);
  expect((caught as Error).message).toMatch(message);
  expect(fs.existsSync(file)).toBe(false);
}

describe('ops with no ONNX export are refused by name', () => {
  test('a function (a loss), an in-place method, a random op', () => {
    refuses((a: Tensor) => F.mseLoss(a, a.mul(2)), /^torch\.onnx\.export: the op 'mseLoss' has no ONNX export yet$/);
    refuses((a: Tensor) => a.mul(2).relu_(), /the op 'relu_' has no ONNX export yet/);
    refuses((a: Tensor) => a.add(torch.randn(4, 3)), /the op 'randn' has no ONNX export yet/);
    refuses((a: Tensor) => a.scatterAdd(0, torch.zeros([1, 3], { dtype: 'int32' }), a), /the op 'scatterAdd'/);
  });

  test('a primitive that ran outside every traced op (a custom op recording its own node)', () => {
    const cumsum = (a: Tensor): Tensor => record('CumsumBackward0', a.clone(), [a], (g) => [g]);
    refuses(cumsum, /the op 'Cumsum' \(recorded as CumsumBackward0\) ran outside every op the exporter traces/);
  });

  test('options of supported ops that ONNX cannot express', () => {
    refuses((a: Tensor) => F.maxPool2d(a, 2, { returnIndices: true }), /the op 'maxPool2d' with returnIndices has no ONNX export yet/, TypeError, torch.randn(1, 2, 4, 4));
    refuses((a: Tensor) => F.adaptiveAvgPool2d(a, [3, 3]), /adaptiveAvgPool2d' from 4x4 to 3x3 \(not a divisor/, TypeError, torch.randn(1, 2, 4, 4));
    refuses((a: Tensor) => F.dropout(a, 0.5, true), /the op 'dropout' in training mode/);
    refuses((a: Tensor) => F.pad(a, [1, 1], 'circular'), /the op 'pad' in mode 'circular'/, TypeError, torch.randn(1, 2, 4));
    refuses((a: Tensor) => F.batchNorm(a, null, null, { training: true }), /the op 'batchNorm' with batch statistics/);
    // A model kept in training mode updates its running statistics in place: refused before anything is written.
    const bn = new nn.BatchNorm1d(3);
    const file = tmpPath();
    expect(() => torch.onnx.export(bn, x, file, { training: 'preserve' })).toThrow(/the op 'add_' has no ONNX export yet/);
    expect(bn.num_batches_tracked!.item()).toBe(0);
  });

  test('a failed export puts every op back', () => {
    const add = torch.Tensor.prototype.add;
    const T = Object.getOwnPropertyDescriptor(torch.Tensor.prototype, 'T')!.get;
    const { reshape } = movement;
    refuses((a: Tensor) => F.mseLoss(a.T.reshape([4, 3]).add(1), a), /mseLoss/);
    expect(torch.Tensor.prototype.add).toBe(add);
    expect(Object.getOwnPropertyDescriptor(torch.Tensor.prototype, 'T')!.get).toBe(T);
    expect(movement.reshape).toBe(reshape);
    // Outside an export, recording a node of one's own is fine again.
    const y = record('CumsumBackward0', x.clone(), [x], (g) => [g]);
    expect(y.shape).toEqual([4, 3]);
  });
});

describe('bad arguments', () => {
  const file = tmpPath('bad');
  const exp = (model: unknown, args: unknown, path: unknown, options?: unknown): void =>
    torch.onnx.export(model as torch.nn.Module, args as Tensor, path as string, options as torch.onnx.ExportOptions);

  test('opsetVersion outside 13-17', () => {
    expect(() => exp(new Net(), x, file, { opsetVersion: 12 })).toThrow(RangeError);
    expect(() => exp(new Net(), x, file, { opsetVersion: 18 })).toThrow("torch.onnx.export: expected an integer in [13, 17] for 'opsetVersion' but received the number 18");
    expect(() => exp(new Net(), x, file, { opsetVersion: 14.5 })).toThrow(RangeError);
    expect(() => exp(new Net(), x, file, { opsetVersion: '17' })).toThrow(TypeError);
  });

  test('input and output names', () => {
    expect(() => exp(new Net(), x, file, { inputNames: ['a', 'b'] })).toThrow(new RangeError("torch.onnx.export: 2 input names for 1 inputs ('inputNames' needs one name per argument)"));
    expect(() => exp(new Net(), x, file, { inputNames: 'a' })).toThrow(TypeError);
    expect(() => exp(new Net(), x, file, { inputNames: [''] })).toThrow(TypeError);
    expect(() => exp(new Net(), [x, x], file, { inputNames: ['a', 'a'] })).toThrow(/the name 'a' appears twice in 'inputNames'/);
    expect(() => exp(new Net(), x, file, { outputNames: ['y', 'z'] })).toThrow(new RangeError("torch.onnx.export: 2 output names for 1 outputs ('outputNames' needs one name per output tensor)"));
    expect(() => exp(new Net(), x, file, { inputNames: ['x'], outputNames: ['x'] })).toThrow(/'x' names both an input and an output/);
  });

  test('dynamic axes', () => {
    expect(() => exp(new Net(), x, file, { inputNames: ['x'], outputNames: ['y'], dynamicAxes: { nope: [0] } })).toThrow(
      new RangeError("torch.onnx.export: dynamicAxes names 'nope', which is neither an input name (x) nor an output name (y)"),
    );
    expect(() => exp(new Net(), x, file, { dynamicAxes: { output_1: [0] } })).toThrow(/'output_1', which is neither/);
    expect(() => exp(new Net(), x, file, { inputNames: ['x'], dynamicAxes: { x: [2] } })).toThrow(/dynamicAxes\['x'\] names axis 2, but 'x' has 2 dims/);
    expect(() => exp(new Net(), x, file, { outputNames: ['y'], dynamicAxes: { y: { 3: 'b' } } })).toThrow(RangeError);
    expect(() => exp(new Net(), x, file, { inputNames: ['x'], dynamicAxes: { x: [-1] } })).toThrow(RangeError);
    expect(() => exp(new Net(), x, file, { inputNames: ['x'], dynamicAxes: { x: { 0: 7 } } })).toThrow(TypeError);
    expect(() => exp(new Net(), x, file, { inputNames: ['x'], dynamicAxes: { x: 0 } })).toThrow(TypeError);
    expect(() => exp(new Net(), x, file, { dynamicAxes: [0] })).toThrow(TypeError);
  });

  test('the path', () => {
    expect(() => exp(new Net(), x, 42)).toThrow(TypeError);
    expect(() => exp(new Net(), x, '')).toThrow(RangeError);
    expect(() => exp(new Net(), x, `${os.tmpdir()}/no-such-dir-torchlet/m.onnx`)).toThrow(/cannot write .*the directory .* does not exist/);
    expect(() => exp(new Net(), x, os.tmpdir())).toThrow(/it is a directory/);
  });

  test('model, args, options, the forward result', () => {
    expect(() => exp({}, x, file)).toThrow(/expected an nn.Module with a forward method, or a function, for 'model'/);
    expect(() => exp(new Net(), [x, 3], file)).toThrow(/expected a Tensor for args\[1\] but received/);
    expect(() => exp(new Net(), x, file, 5)).toThrow(TypeError);
    expect(() => exp(new Net(), x, file, { exportParams: 'yes' })).toThrow(TypeError);
    expect(() => exp(new Net(), x, file, { doConstantFolding: 1 })).toThrow(TypeError);
    expect(() => exp(new Net(), x, file, { training: 'train' })).toThrow(RangeError);
    expect(() => exp((a: Tensor) => a.sum().item(), x, file)).toThrow(/the model returned .*; export takes a Tensor or an array of Tensors/);
    expect(fs.existsSync(file)).toBe(false);
  });
});

/** A value's dims as written: a number, a symbolic name, or null for an unknown size. */
function dims(v: onnx.IValueInfoProto): unknown[] {
  return v.type!.tensorType!.shape!.dim!.map((d) => {
    const which = (d as onnx.TensorShapeProto.Dimension).value;
    return which === 'dimParam' ? d.dimParam : which === 'dimValue' ? Number(d.dimValue) : null;
  });
}

test('dynamic axes in the array form get PyTorch-style names', () => {
  const file = tmpPath();
  torch.onnx.export(new Net(), x, file, { inputNames: ['x'], outputNames: ['y'], dynamicAxes: { x: [0], y: { 0: 'n' } } });
  const g = readModel(file).graph!;
  expect(dims(g.input![0]!)).toEqual(['x_dynamic_axes_1', 3]);
  expect(dims(g.output![0]!)).toEqual(['n', 2]);
});

test('an output dim of the size of a dynamic input axis is left unknown when not named', () => {
  const file = tmpPath();
  torch.onnx.export(new Net(), x, file, { inputNames: ['x'], dynamicAxes: { x: { 0: 'batch' } } });
  expect(dims(readModel(file).graph!.output![0]!)).toEqual([null, 2]);
});
