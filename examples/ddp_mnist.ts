/**
 * Data-parallel training of the MNIST MLP (784-256-10) across processes, as PyTorch's DistributedDataParallel:
 *
 *   npx torchlet-run --nproc-per-node 2 examples/ddp_mnist.ts [--epochs N] [--out checkpoint.safetensors]
 *
 * (the launcher runs .ts files through ts-node; build torchlet first, `npm run build:ts`, since this imports dist/).
 * Every rank loads the same digits; a DistributedSampler gives each rank its share of every epoch's shuffle, DDP
 * averages the gradients over the ranks during backward, so every rank takes the same optimizer step. Rank 0 prints
 * the progress bar and the held-out accuracy and writes the checkpoint.
 */
import * as fs from 'fs';
import * as path from 'path';

import * as torch from '../dist';
import { MLP } from './mnist_mlp';
import { bar, evaluate, splitDigits } from './mnist_data';

const { nn, optim, distributed: dist } = torch;
const F = nn.functional;

export async function main(options: { epochs?: number; batchSize?: number; out?: string; log?: (s: string) => void } = {}): Promise<{ accuracy: number[] }> {
  const { epochs = 3, batchSize = 64, out = path.join('checkpoints', 'ddp_mnist.safetensors') } = options;
  await dist.initProcessGroup({ backend: 'gloo' });
  const rank = dist.getRank();
  const world = dist.getWorldSize();
  const log = options.log ?? ((s: string) => rank === 0 && process.stdout.write(s));
  torch.manualSeed(0);
  const { trainX, trainY, testX, testY } = splitDigits(2000, 0);
  const n = trainX.shape[0]!;
  log(`mnist: ${n} training and ${testX.shape[0]} held-out digits, MLP 784-256-10, Adam, ${world} ranks x ${batchSize} per step\n`);

  const ddp = new nn.parallel.DistributedDataParallel(new MLP());
  const opt = new optim.Adam(ddp.parameters(), { lr: 1e-3 });
  const sampler = new torch.data.DistributedSampler({ length: n }, { seed: 0 });
  const tty = process.stdout.isTTY;
  const accuracy: number[] = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    sampler.setEpoch(epoch);
    const order = sampler.indices();
    const t0 = process.hrtime.bigint();
    let lossSum = 0;
    let batches = 0;
    for (let start = 0; start < order.length; start += batchSize) {
      const idx = torch.tensor(order.slice(start, start + batchSize), { dtype: 'int32' });
      const loss = F.crossEntropy(ddp.forward(trainX.indexSelect(0, idx)), trainY.indexSelect(0, idx));
      opt.zeroGrad();
      loss.backward(); // the gradients arrive averaged over every rank
      opt.step();
      lossSum += loss.item() as number;
      batches++;
      if (tty && batches % 5 === 0) {
        const secs = Number(process.hrtime.bigint() - t0) / 1e9;
        const seen = Math.min(start + batchSize, order.length) * world;
        log(`\repoch ${epoch}/${epochs} ${bar(seen, order.length * world)} loss ${(lossSum / batches).toFixed(4)} ${Math.round(seen / secs)} img/s (all ranks)`);
      }
    }
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    // Every rank holds the same weights; rank 0 alone evaluates (the others would print the same number).
    const acc = rank === 0 ? evaluate(ddp.module, testX, testY) : NaN;
    accuracy.push(acc);
    const line = `epoch ${epoch}/${epochs} ${bar(1, 1)} loss ${(lossSum / batches).toFixed(4)} (rank 0) ${Math.round((order.length * world) / secs)} img/s, held-out accuracy ${(acc * 100).toFixed(2)}%`;
    log(tty ? `\r${line}\n` : `${line}\n`);
  }
  if (rank === 0) {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    torch.save(ddp.module.stateDict(), out, { model: 'MLP 784-256-10', ranks: String(world), heldOutAccuracy: String(accuracy.at(-1)) });
    log(`checkpoint: ${out}\n`);
  }
  dist.destroyProcessGroup();
  return { accuracy };
}

if (require.main === module) {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const epochs = arg('--epochs');
  main({ epochs: epochs === undefined ? undefined : Number(epochs), out: arg('--out') }).catch((e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
