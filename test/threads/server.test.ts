/**
 * The example service (examples/server) answers real HTTP requests on 127.0.0.1 while its worker trains, and
 * writes a checkpoint whose weights give the same digits as the service.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import * as torch from '../../dist';
import { startServer } from '../../examples/server/server';
import type { Service } from '../../examples/server/server';
import { CNN } from '../../examples/mnist_cnn';
import { loadDigits } from '../../examples/mnist_data';

async function call(s: Service, method: string, route: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(s.url + route, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

let service: Service;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torchlet-server-'));
const checkpoint = path.join(dir, 'cnn.safetensors');
// Ten real digits, one of each class, as the service takes them.
const { X, y } = loadDigits();
const labels = y.tolist() as number[];
const pick = Array.from({ length: 10 }, (_, d) => labels.indexOf(d));
const images = pick.map((i) => X.select(0, i).tolist() as number[]);

beforeAll(async () => {
  service = await startServer({ checkpoint, digits: { X, y } });
});
afterAll(async () => {
  await service.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('POST /predict answers during training, GET /status follows it, the checkpoint matches the served weights', async () => {
  expect((await call(service, 'GET', '/status')).json).toMatchObject({ state: 'idle', progress: null });
  const started = await call(service, 'POST', '/train', { steps: 6, trainSize: 96, batchSize: 16 });
  expect(started).toEqual({ status: 202, json: { state: 'training', mode: 'worker' } });
  expect((await call(service, 'POST', '/train', {})).status).toBe(409);
  // The worker is still loading or training: this request is answered in the meantime.
  const during = await call(service, 'POST', '/predict', { images });
  expect(during.status).toBe(200);
  expect(during.json.state).toBe('training');
  expect(during.json.digits).toHaveLength(10);
  await service.idle();
  const status = (await call(service, 'GET', '/status')).json;
  expect(status).toMatchObject({ state: 'done', mode: 'worker', checkpoint, error: null });
  expect((status.progress as { step: number }).step).toBe(6);
  // The checkpoint's weights, loaded here, classify the ten digits as the service does now.
  const model = new CNN();
  model.loadStateDict(torch.load(checkpoint));
  const local = torch.noGrad(() => model.forward(torch.tensor(images).view(10, 1, 28, 28)).argmax(1).tolist());
  const after = await call(service, 'POST', '/predict', { images });
  expect(after.json).toMatchObject({ digits: local, step: 6, state: 'done' });
  expect(fs.readdirSync(dir)).toEqual(['cnn.safetensors']); // no temporary file left
}, 180_000);

test('POST /cancel stops a long run after its current step', async () => {
  expect((await call(service, 'POST', '/train', { steps: 100000, trainSize: 64, batchSize: 16 })).status).toBe(202);
  expect((await call(service, 'POST', '/cancel')).json).toEqual({ state: 'cancelled' });
}, 180_000);

test('bad requests are 4xx with a reason', async () => {
  expect(await call(service, 'POST', '/predict', { images: [[1, 2]] })).toEqual({ status: 400, json: { error: 'images[0] must be 784 finite numbers (28x28, row by row)' } });
  expect((await call(service, 'POST', '/train', { steps: -1 })).json).toEqual({ error: 'steps must be an integer in [1, 1000000]' });
  expect((await call(service, 'GET', '/nowhere')).status).toBe(404);
});

test('compiled to JavaScript (as the benchmark runs it), the service trains from its train.js', async () => {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { loadExample } = require('../../bench/server') as { loadExample(): { startServer: typeof startServer; cleanup(): void } };
  const example = loadExample();
  const compiled = await example.startServer({ checkpoint: null, digits: { X, y } });
  try {
    expect((await call(compiled, 'POST', '/train', { steps: 2, trainSize: 32, batchSize: 16 })).status).toBe(202);
    await compiled.idle();
    expect((await call(compiled, 'GET', '/status')).json).toMatchObject({ state: 'done', mode: 'worker', error: null, progress: { step: 2, steps: 2 } });
    expect((await call(compiled, 'POST', '/predict', { images })).json).toMatchObject({ step: 2, state: 'done' });
  } finally {
    await compiled.close();
    example.cleanup();
  }
}, 180_000);
