/** Upsampling layers: Upsample, UpsamplingNearest2d, UpsamplingBilinear2d (torch/nn/modules/upsampling.py). */
import type { Tensor } from '../../tensor';
import { checkOptions } from '../../validate';
import { Module } from './module';
import * as F from '../functional';
import type { InterpolateMode, InterpolateOptions } from '../functional_layers';
import { pyFloat, pyTuple } from '../repr';

/** How Upsample prints a size (an int or a tuple) or a scale factor (a float or a tuple of floats). */
function sizeRepr(v: number | readonly number[], float: boolean): string {
  if (typeof v === 'number') return float ? pyFloat(v) : String(v);
  return float ? `(${v.map(pyFloat).join(', ')}${v.length === 1 ? ',' : ''})` : pyTuple(v);
}

/**
 * Resamples (N, C, L) or (N, C, H, W) input to `size` or by `scaleFactor` with F.interpolate's modes, as
 * torch.nn.Upsample (arguments are checked when it is called).
 * @example new nn.Upsample({ scaleFactor: 2, mode: 'bilinear' }).forward(torch.randn(1, 1, 2, 2)).shape // [1, 1, 4, 4]
 */
export class Upsample extends Module {
  readonly size: number | readonly number[] | null;
  readonly scaleFactor: number | readonly number[] | null;
  readonly mode: InterpolateMode;
  readonly alignCorners: boolean | null;
  readonly recomputeScaleFactor: boolean | null;

  constructor(options: InterpolateOptions = {}) {
    super();
    const o = checkOptions(new.target.name, options);
    this.size = o.size ?? null;
    this.scaleFactor = o.scaleFactor ?? null;
    this.mode = o.mode ?? 'nearest';
    this.alignCorners = o.alignCorners ?? null;
    this.recomputeScaleFactor = o.recomputeScaleFactor ?? null;
  }

  forward(input: Tensor): Tensor {
    return F.interpolate(input, {
      size: this.size, scaleFactor: this.scaleFactor, mode: this.mode, alignCorners: this.alignCorners, recomputeScaleFactor: this.recomputeScaleFactor,
    });
  }

  override extraRepr(): string {
    const info = this.scaleFactor !== null ? `scale_factor=${sizeRepr(this.scaleFactor, true)}` : `size=${this.size === null ? 'None' : sizeRepr(this.size, false)}`;
    return `${info}, mode=${this.mode}`;
  }
}

/**
 * Nearest-neighbour upsampling of (N, C, H, W) input, as torch.nn.UpsamplingNearest2d.
 * @example new nn.UpsamplingNearest2d({ scaleFactor: 2 }).forward(torch.randn(1, 1, 2, 2)).shape // [1, 1, 4, 4]
 */
export class UpsamplingNearest2d extends Upsample {
  constructor(options: { size?: number | readonly [number, number] | null; scaleFactor?: number | readonly [number, number] | null } = {}) {
    super({ ...checkOptions('UpsamplingNearest2d', options), mode: 'nearest' });
  }
}

/**
 * Bilinear upsampling of (N, C, H, W) input with alignCorners true, as torch.nn.UpsamplingBilinear2d.
 * @example new nn.UpsamplingBilinear2d({ size: 3 }).forward(torch.randn(1, 1, 2, 2)).shape // [1, 1, 3, 3]
 */
export class UpsamplingBilinear2d extends Upsample {
  constructor(options: { size?: number | readonly [number, number] | null; scaleFactor?: number | readonly [number, number] | null } = {}) {
    super({ ...checkOptions('UpsamplingBilinear2d', options), mode: 'bilinear', alignCorners: true });
  }
}
