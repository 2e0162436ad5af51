/**
 * Trains a small CNN on the real handwritten digits of the `mnist` package:
 * conv 1->32 3x3, relu, maxpool, conv 32->64 3x3, relu, maxpool, linear 1600->128, relu, linear 128->10.
 *   npx ts-node -T examples/mnist_cnn.ts
 */
import * as fs from 'fs';
import * as path from 'path';

import * as torch from '../dist';
import type { Tensor } from '../dist';
import { splitDigits } from './mnist_data';

const { nn, optim } = torch;
const F = nn.functional;

export class CNN extends nn.Module {
  conv1 = new nn.Conv2d(1, 32, 3);
  conv2 = new nn.Conv2d(32, 64, 3);
  fc1 = new nn.Linear(1600, 128);
  fc2 = new nn.Linear(128, 10);
  forward(x: Tensor): Tensor {
    let h = F.maxPool2d(F.relu(this.conv1.forward(x)), 2);
    h = F.maxPool2d(F.relu(this.conv2.forward(h)), 2);
    return this.fc2.forward(F.relu(this.fc1.forward(h.flatten(1))));
  }
}

function bar(done: number, total: number, width = 24): string {
  const filled = Math.round((done / total) * width);
  return '[' + '#'.repeat(filled) + '.'.repeat(width - filled) + ']';
}

/** Accuracy on a held-out set, in batches, in eval mode, without recording gradients. */
export function evaluate(model: CNN, X: Tensor, y: Tensor): number {
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

export function main(options: { epochs?: number; out?: string; log?: (s: string) => void } = {}): { accuracy: number[]; seconds: number } {
  const { epochs = 7, out = path.join('checkpoints', 'mnist_cnn.safetensors'), log = (s: string) => process.stdout.write(s) } = options;
  torch.manualSeed(0);
  const { trainX, trainY, testX, testY } = splitDigits(2000, 0);
  const images = (X: Tensor): Tensor => X.view(-1, 1, 28, 28);
  log(`mnist: ${trainX.shape[0]} training and ${testX.shape[0]} held-out digits, CNN (conv 32, conv 64, fc 128), Adam\n`);
  const model = new CNN();
  const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
  const loader = new torch.data.DataLoader(new torch.data.TensorDataset(images(trainX), trainY), {
    batchSize: 64,
    shuffle: true,
    generator: new torch.Generator().manualSeed(0),
  });
  const tty = process.stdout.isTTY;
  const accuracy: number[] = [];
  const start = process.hrtime.bigint();
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const t0 = process.hrtime.bigint();
    let seen = 0;
    let lossSum = 0;
    let batches = 0;
    for (const [x, y] of loader) {
      const loss = F.crossEntropy(model.forward(x!), y!);
      opt.zeroGrad();
      loss.backward();
      opt.step();
      seen += x!.shape[0]!;
      lossSum += loss.item() as number;
      batches++;
      if (tty && batches % 5 === 0) {
        const secs = Number(process.hrtime.bigint() - t0) / 1e9;
        log(`\repoch ${epoch}/${epochs} ${bar(seen, trainX.shape[0]!)} loss ${(lossSum / batches).toFixed(4)} ${Math.round(seen / secs)} img/s`);
      }
    }
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const acc = evaluate(model, images(testX), testY);
    accuracy.push(acc);
    const line = `epoch ${epoch}/${epochs} ${bar(1, 1)} loss ${(lossSum / batches).toFixed(4)} ${Math.round(seen / secs)} img/s, held-out accuracy ${(acc * 100).toFixed(2)}%`;
    log(tty ? `\r${line}\n` : `${line}\n`);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  fs.mkdirSync(path.dirname(out), { recursive: true });
  torch.save(model.stateDict(), out, { model: 'CNN', heldOutAccuracy: String(accuracy[accuracy.length - 1]) });
  log(`trained in ${seconds.toFixed(1)} s; checkpoint: ${out}\n`);
  return { accuracy, seconds };
}

if (require.main === module) main();
