/** Padding layers: ConstantPad1d/2d/3d, ZeroPad2d, ReflectionPad1d/2d, ReplicationPad1d/2d (torch/nn/modules/padding.py). */
import type { Tensor } from '../../tensor';
import { pad } from '../../ops/conv';
import type { PadMode } from '../../ops/conv';
import { checkInt, checkNumber, describe } from '../../validate';
import { Module } from './module';
import { pyFloat, pyTuple } from '../repr';

/** One padding for every side, or 2 * dims of them (left, right, top, bottom, front, back), as PyTorch's _ntuple. */
function padding(op: string, p: number | readonly number[], dims: number): number[] {
  if (typeof p === 'number') return new Array<number>(2 * dims).fill(checkInt(op, 'padding', p));
  if (!Array.isArray(p) || p.length !== 2 * dims) {
    throw new TypeError(`${op}: expected an integer or an array of ${2 * dims} integers for 'padding' but received ${describe(p)}`);
  }
  return p.map((v, i) => checkInt(op, `padding[${i}]`, v));
}

/** A padding layer over the last `dims` dims in one of F.pad's modes. */
abstract class PadNd extends Module {
  readonly padding: readonly number[];
  protected constructor(p: number | readonly number[], dims: number, readonly mode: PadMode, readonly value = 0) {
    super();
    this.padding = padding(new.target.name, p, dims);
    checkNumber(new.target.name, 'value', value, false);
  }
  forward(input: Tensor): Tensor {
    return pad(input, this.padding, this.mode, this.value);
  }
  override extraRepr(): string {
    return this.mode === 'constant' ? `padding=${pyTuple(this.padding)}, value=${pyFloat(this.value)}` : pyTuple(this.padding);
  }
}

/**
 * Pads the last dim with a constant, as torch.nn.ConstantPad1d: (left, right) or one number for both.
 * @example new nn.ConstantPad1d(1, 9).forward(torch.ones(1, 2)) // [[9, 1, 1, 9]]
 */
export class ConstantPad1d extends PadNd {
  constructor(p: number | readonly [number, number], value: number) {
    super(p, 1, 'constant', value);
  }
}
/**
 * Pads the last 2 dims with a constant, as torch.nn.ConstantPad2d: (left, right, top, bottom) or one number.
 * @example new nn.ConstantPad2d(1, 0.5).forward(torch.ones(1, 2, 2)).shape // [1, 4, 4]
 */
export class ConstantPad2d extends PadNd {
  constructor(p: number | readonly number[], value: number) {
    super(p, 2, 'constant', value);
  }
}
/**
 * Pads the last 3 dims with a constant, as torch.nn.ConstantPad3d: 6 numbers (last dim first) or one.
 * @example new nn.ConstantPad3d(1, 0).forward(torch.ones(1, 1, 1, 1)).shape // [1, 3, 3, 3]
 */
export class ConstantPad3d extends PadNd {
  constructor(p: number | readonly number[], value: number) {
    super(p, 3, 'constant', value);
  }
}
/**
 * Pads the last 2 dims with zeros, as torch.nn.ZeroPad2d.
 * @example new nn.ZeroPad2d([1, 0, 0, 1]).forward(torch.ones(1, 2, 2)).shape // [1, 3, 3]
 */
export class ZeroPad2d extends PadNd {
  constructor(p: number | readonly number[]) {
    super(p, 2, 'constant', 0);
  }
  override extraRepr(): string {
    return pyTuple(this.padding);
  }
}
/**
 * Pads the last dim with its reflection (the edge not repeated), as torch.nn.ReflectionPad1d.
 * @throws RangeError (when called) for a padding not below the dim's size
 * @example new nn.ReflectionPad1d(2).forward(torch.tensor([[0, 1, 2, 3]])) // [[2, 1, 0, 1, 2, 3, 2, 1]]
 */
export class ReflectionPad1d extends PadNd {
  constructor(p: number | readonly [number, number]) {
    super(p, 1, 'reflect');
  }
}
/**
 * Pads the last 2 dims with their reflection, as torch.nn.ReflectionPad2d.
 * @example new nn.ReflectionPad2d(1).forward(torch.ones(1, 1, 3, 3)).shape // [1, 1, 5, 5]
 */
export class ReflectionPad2d extends PadNd {
  constructor(p: number | readonly number[]) {
    super(p, 2, 'reflect');
  }
}
/**
 * Pads the last dim by repeating its edge values, as torch.nn.ReplicationPad1d.
 * @example new nn.ReplicationPad1d([1, 2]).forward(torch.tensor([[1, 2]])) // [[1, 1, 2, 2, 2]]
 */
export class ReplicationPad1d extends PadNd {
  constructor(p: number | readonly [number, number]) {
    super(p, 1, 'replicate');
  }
}
/**
 * Pads the last 2 dims by repeating their edge values, as torch.nn.ReplicationPad2d.
 * @example new nn.ReplicationPad2d(1).forward(torch.ones(1, 1, 2, 2)).shape // [1, 1, 4, 4]
 */
export class ReplicationPad2d extends PadNd {
  constructor(p: number | readonly number[]) {
    super(p, 2, 'replicate');
  }
}
