/** The CNN demo reaches above 97% held-out accuracy on the real digits. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { main } from '../../examples/mnist_cnn';

test('CNN on mnist digits: above 97% held out', () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'torchlet-cnn-')), 'cnn.safetensors');
  const { accuracy } = main({ out, log: () => undefined });
  expect(accuracy[accuracy.length - 1]).toBeGreaterThan(0.97);
  expect(fs.existsSync(out)).toBe(true);
}, 300_000);
