/**
 * Trains a small CNN on the real handwritten digits of the `mnist` package:
 * conv 1->32 3x3, relu, maxpool, conv 32->64 3x3, relu, maxpool, linear 1600->128, relu, linear 128->10.
 *   npx ts-node -T examples/mnist_cnn.ts
 */
import * as path from 'path';

import * as torch from '../dist';
import type { Tensor } from '../dist';
import { splitDigits, trainClassifier } from './mnist_data';

const { nn } = torch;
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

export function main(options: { epochs?: number; out?: string; log?: (s: string) => void } = {}): { accuracy: number[]; seconds: number } {
  const { epochs = 7, out = path.join('checkpoints', 'mnist_cnn.safetensors'), log = (s: string) => process.stdout.write(s) } = options;
  torch.manualSeed(0);
  // Per-image GEMMs here are small: one BLAS thread is faster than two on this kind of machine (bench: conv).
  torch.setNumThreads(1);
  const { trainX, trainY, testX, testY } = splitDigits(2000, 0);
  const images = (X: Tensor): Tensor => X.view(-1, 1, 28, 28);
  log(`mnist: ${trainX.shape[0]} training and ${testX.shape[0]} held-out digits, CNN (conv 32, conv 64, fc 128), Adam\n`);
  return trainClassifier(new CNN(), { trainX: images(trainX), trainY, testX: images(testX), testY }, {
    epochs, batchSize: 64, out, log, metadata: { model: 'CNN conv32-conv64-fc128' },
  });
}

if (require.main === module) main();
