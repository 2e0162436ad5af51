/**
 * The training job of the example service: the MNIST CNN (examples/mnist_cnn.ts) trained with Adam on a seeded
 * subset of the `mnist` package's digits. The service runs it in a worker (threads.runTraining calls `train`), or
 * on the main thread for comparison (`trainer` one step at a time).
 */
import * as fs from 'fs';
import * as path from 'path';

import * as torch from '../../dist';
import type { Tensor } from '../../dist';
import { CNN } from '../mnist_cnn';
import { loadDigits } from '../mnist_data';

export interface TrainArgs {
  /** Optimizer steps. */
  steps: number;
  batchSize: number;
  /** How many digits to train on (a seeded sample of the 10,000). */
  trainSize: number;
  lr: number;
  seed: number;
  /** Where to write the final checkpoint (atomically), or null. */
  checkpoint: string | null;
  /** The service's shared parameters: the worker trains them in place. */
  shared?: Map<string, Tensor>;
  /** The digits (X [N, 784], y [N]), shared by the service so the worker need not load them again. */
  digits?: { X: Tensor; y: Tensor };
}

export interface Progress {
  step: number;
  steps: number;
  loss: number;
  /** Training images per second so far. */
  imagesPerSecond: number;
}

/** Loads the data and builds the optimizer; step() runs one optimizer step and says how far training is. */
export function trainer(model: CNN, args: TrainArgs): { step(): Progress; finish(): string | null } {
  torch.manualSeed(args.seed);
  const { X, y } = args.digits ?? loadDigits();
  const pick = torch.randperm(X.shape[0]!, { generator: new torch.Generator().manualSeed(args.seed) }).narrow(0, 0, args.trainSize);
  const images = X.indexSelect(0, pick).view(-1, 1, 28, 28);
  const labels = y.indexSelect(0, pick);
  const opt = new torch.optim.Adam(model.parameters(), { lr: args.lr });
  const batches = Math.ceil(args.trainSize / args.batchSize);
  const start = process.hrtime.bigint();
  let step = 0;
  return {
    step(): Progress {
      const b = step % batches;
      const n = Math.min(args.batchSize, args.trainSize - b * args.batchSize);
      const loss = torch.nn.functional.crossEntropy(model.forward(images.narrow(0, b * args.batchSize, n)), labels.narrow(0, b * args.batchSize, n));
      opt.zeroGrad();
      loss.backward();
      opt.step();
      step++;
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      return { step, steps: args.steps, loss: loss.item() as number, imagesPerSecond: (step * args.batchSize) / seconds };
    },
    finish: () => (args.checkpoint === null ? null : saveCheckpoint(model, args.checkpoint)),
  };
}

/**
 * Writes the checkpoint. torch.save is atomic: it writes a temporary file next to `file` and renames it into place,
 * so a reader (or a crash) sees the old checkpoint or the new one, never half a file.
 */
export function saveCheckpoint(model: torch.nn.Module, file: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  torch.save(model.stateDict(), file, { model: 'CNN conv32-conv64-fc128' });
  return file;
}

/** The worker's entry (threads.runTraining): trains the shared parameters in place, reporting every step. */
export function train(args: TrainArgs, ctx: torch.threads.TrainingContext): { steps: number; checkpoint: string | null } {
  const model = new CNN();
  if (args.shared) torch.threads.useSharedStateDict(model, args.shared);
  const t = trainer(model, args);
  let done = 0;
  while (done < args.steps && !ctx.isCancelled()) {
    ctx.reportProgress(t.step());
    done++;
  }
  return { steps: done, checkpoint: ctx.isCancelled() ? null : t.finish() };
}
