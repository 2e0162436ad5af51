/** The demo trains on the real digits past 90% held-out accuracy and writes a checkpoint that reloads. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { main, evaluate, MLP } from '../../examples/mnist_mlp';
import { splitDigits } from '../../examples/mnist_data';
import * as torch from '../../dist';

test('MLP on mnist digits: above 90% held out, checkpoint reloads to the same accuracy', () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'torchlet-mnist-')), 'mlp.safetensors');
  const { accuracy } = main({ epochs: 3, out, log: () => undefined });
  expect(accuracy[accuracy.length - 1]).toBeGreaterThan(0.9);
  const fresh = new MLP();
  fresh.loadStateDict(torch.load(out, { format: 'safetensors' }));
  const { testX, testY } = splitDigits(2000, 0);
  expect(evaluate(fresh, testX, testY)).toBe(accuracy[accuracy.length - 1]);
});
