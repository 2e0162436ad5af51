/** The addon is context-aware: it loads and computes in several worker threads at once. */
import * as path from 'path';
import { Worker } from 'worker_threads';

const root = path.resolve(__dirname, '..', '..');

function runWorker(seed: number): Promise<number[]> {
  // Workers load the compiled package (dist/), as a user's worker would.
  const code = `
    const { parentPort, workerData } = require('worker_threads');
    const torch = require(${JSON.stringify(path.join(root, 'dist'))});
    torch.manualSeed(workerData.seed);
    const a = torch.rand(64, 64);
    const s = torch.matmul(a, a.t()).sum().item();
    parentPort.postMessage([s, ...torch.rand(3).tolist()]);
  `;
  return new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: { seed } });
    w.once('message', resolve);
    w.once('error', reject);
  });
}

describe('worker_threads', () => {
  test('four workers load the addon at once and agree with the main thread', async () => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const torch = require(path.join(root, 'dist')) as typeof import('../../lib');
    const expected = (seed: number): number[] => {
      torch.manualSeed(seed);
      const a = torch.rand(64, 64);
      const s = torch.matmul(a, a.t()).sum().item() as number;
      return [s, ...(torch.rand(3).tolist() as number[])];
    };
    const results = await Promise.all([1, 2, 3, 1].map(runWorker));
    expect(results[0]).toEqual(expected(1));
    expect(results[1]).toEqual(expected(2));
    expect(results[2]).toEqual(expected(3));
    expect(results[3]).toEqual(results[0]);
  });

  test('a worker can load it again after an earlier worker exited', async () => {
    await runWorker(5);
    await expect(runWorker(5)).resolves.toHaveLength(4);
  });
});
