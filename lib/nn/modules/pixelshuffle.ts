/** PixelShuffle and PixelUnshuffle (torch/nn/modules/pixelshuffle.py). */
import type { Tensor } from '../../tensor';
import { checkInt } from '../../validate';
import { Module } from './module';
import * as F from '../functional';

/**
 * Rearranges (*, C r^2, H, W) into (*, C, H r, W r), as torch.nn.PixelShuffle.
 * @example new nn.PixelShuffle(2).forward(torch.randn(1, 8, 2, 3)).shape // [1, 2, 4, 6]
 */
export class PixelShuffle extends Module {
  constructor(readonly upscaleFactor: number) {
    super();
    checkInt('PixelShuffle', 'upscaleFactor', upscaleFactor);
  }
  forward(input: Tensor): Tensor {
    return F.pixelShuffle(input, this.upscaleFactor);
  }
  override extraRepr(): string {
    return `upscale_factor=${this.upscaleFactor}`;
  }
}

/**
 * Rearranges (*, C, H r, W r) into (*, C r^2, H, W), as torch.nn.PixelUnshuffle.
 * @example new nn.PixelUnshuffle(2).forward(torch.randn(1, 2, 4, 6)).shape // [1, 8, 2, 3]
 */
export class PixelUnshuffle extends Module {
  constructor(readonly downscaleFactor: number) {
    super();
    checkInt('PixelUnshuffle', 'downscaleFactor', downscaleFactor);
  }
  forward(input: Tensor): Tensor {
    return F.pixelUnshuffle(input, this.downscaleFactor);
  }
  override extraRepr(): string {
    return `downscale_factor=${this.downscaleFactor}`;
  }
}
