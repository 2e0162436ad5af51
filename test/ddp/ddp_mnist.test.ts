/** examples/ddp_mnist.ts under the launcher: 2 ranks train one epoch; rank 0 reports held-out accuracy and saves. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import * as torch from '../../dist';
import { MLP } from '../../examples/mnist_mlp';
import { evaluate, splitDigits } from '../../examples/mnist_data';
import { GLOO, childEnv } from '../distributed/ranks';

const root = path.resolve(__dirname, '..', '..');
const run = GLOO ? test : test.skip;
if (!GLOO) {
  // eslint-disable-next-line no-console
  console.warn('examples/ddp_mnist.ts: SKIPPED: the Gloo addon (torchlet_gloo.node) is not built; install libgloo-dev and rebuild');
}

run('npx torchlet-run --nproc-per-node 2 examples/ddp_mnist.ts: one printed report (rank 0), above 85% held out, checkpoint reloads to it', () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'torchlet-ddp-mnist-')), 'ddp.safetensors');
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'torchlet-run'), '--nproc-per-node', '2', 'examples/ddp_mnist.ts', '--epochs', '1', '--out', out], {
    cwd: root, env: childEnv(), encoding: 'utf8', timeout: 900000,
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const lines = r.stdout.trim().split('\n');
  expect(lines[0]).toMatch(/^mnist: 8000 training and 2000 held-out digits, MLP 784-256-10, Adam, 2 ranks x 64 per step$/);
  const m = /epoch 1\/1 \[#+\] loss [\d.]+ \(rank 0\) \d+ img\/s, held-out accuracy ([\d.]+)%/.exec(r.stdout);
  expect(m).not.toBeNull();
  const printed = Number(m![1]);
  expect(printed).toBeGreaterThan(85);
  const model = new MLP();
  model.loadStateDict(torch.load(out));
  const { testX, testY } = splitDigits(2000, 0);
  expect((evaluate(model, testX, testY) * 100).toFixed(2)).toBe(printed.toFixed(2));
}, 900000);
