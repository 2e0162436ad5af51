/**
 * A digit classifier service that trains itself without stalling its requests (plain node:http):
 *   POST /train    {"steps":200,"batchSize":64,"trainSize":2000}  starts training the MNIST CNN in a worker (202)
 *   GET  /status   the state (idle, training, done, failed, cancelled), progress, the checkpoint
 *   POST /predict  {"images":[[784 values in [0, 1]], ...]}  digits from the latest weights (with the step they
 *                  come from and the training state)
 *   POST /cancel   stops training after its current step
 * The model's parameters live in shared memory (Module.shareMemory): the worker's optimizer updates them in place,
 * and /predict reads them as they are. The checkpoint is written at the end with torch.save (temp file + rename).
 * `{"mode":"main"}` trains on the main thread instead (yielding between steps), for comparison: every request
 * then waits for the step in progress.
 *   npx ts-node -T examples/server/server.ts   (PORT, default 3000)
 */
import * as http from 'http';
import * as path from 'path';
import type { AddressInfo } from 'net';

import * as torch from '../../dist';
import { CNN } from '../mnist_cnn';
import { loadDigits } from '../mnist_data';
import { trainer } from './train';
import type { Progress, TrainArgs } from './train';

export interface ServerOptions {
  port?: number;
  host?: string;
  /** Where the checkpoint goes at the end of training (null: none). */
  checkpoint?: string | null;
  /** Threads for the training worker (process-wide pools: see torch.threads). */
  numThreads?: number;
  /**
   * The digits to train on (X [N, 784], y [N], e.g. loadDigits()); moved to shared memory and handed to the worker
   * without a copy. Without them the worker loads the `mnist` package itself (seconds of JSON parsing) on each run.
   */
  digits?: { X: torch.Tensor; y: torch.Tensor };
}

type State = 'idle' | 'training' | 'done' | 'failed' | 'cancelled';

export interface Service {
  readonly url: string;
  readonly server: http.Server;
  /** Cancels training (and waits for it), then closes the server. */
  close(): Promise<void>;
  /** Resolves when the current training run has ended (at once when none runs). */
  idle(): Promise<void>;
  /** What GET /status answers, without a request (for benchmarks). */
  status(): { state: State; mode: 'worker' | 'main'; progress: Progress | null };
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const LIMIT = 4 << 20;

// The training module next to this one: train.ts under ts-node, train.js once compiled (the worker then loads no
// TypeScript compiler, whose objects every garbage collection of the worker would otherwise mark).
const TRAIN_MODULE = path.join(__dirname, `train${path.extname(__filename)}`);

function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > LIMIT) reject(new HttpError(413, `request body over ${LIMIT} bytes`));
      else chunks.push(c);
    });
    req.on('end', () => {
      if (size === 0) return resolve({});
      try {
        const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
        resolve(v as Record<string, unknown>);
      } catch (e) {
        reject(new HttpError(400, `the body is not a JSON object (${(e as Error).message})`));
      }
    });
    req.on('error', reject);
  });
}

function intField(body: Record<string, unknown>, name: string, dflt: number, min: number, max: number): number {
  const v = body[name] ?? dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new HttpError(400, `${name} must be an integer in [${min}, ${max}]`);
  return v;
}

/** Starts the service; resolves once it listens. */
export function startServer(options: ServerOptions = {}): Promise<Service> {
  const { port = 0, host = '127.0.0.1', checkpoint = path.join('checkpoints', 'server_cnn.safetensors'), numThreads = 1 } = options;
  const digits = options.digits && { X: options.digits.X.contiguous().shareMemory_(), y: options.digits.y.contiguous().shareMemory_() };
  // Per-image GEMMs are small: one thread each for the worker and for /predict (the pools are process-wide).
  torch.setNumThreads(numThreads);
  torch.manualSeed(0);
  const model = new CNN().shareMemory();
  model.eval();
  let state: State = 'idle';
  let mode: 'worker' | 'main' = 'worker';
  let progress: Progress | null = null;
  let error: string | null = null;
  let saved: string | null = null;
  let run: torch.threads.TrainingHandle | null = null;
  let mainCancelled = false;
  let finished: Promise<void> = Promise.resolve();

  const startTraining = (body: Record<string, unknown>): void => {
    if (state === 'training') throw new HttpError(409, 'training is already running');
    const m = body.mode ?? 'worker';
    if (m !== 'worker' && m !== 'main') throw new HttpError(400, 'mode must be "worker" or "main"');
    const args: TrainArgs = {
      steps: intField(body, 'steps', 200, 1, 1e6),
      batchSize: intField(body, 'batchSize', 64, 1, 1024),
      trainSize: intField(body, 'trainSize', 2000, 1, 10000),
      lr: 1e-3,
      seed: intField(body, 'seed', 0, 0, 2 ** 31 - 1),
      checkpoint,
      digits,
    };
    state = 'training';
    mode = m;
    progress = null;
    error = null;
    saved = null;
    const end = (s: State, e?: unknown): void => {
      state = s;
      if (e !== undefined) error = (e as Error).stack ?? String(e);
    };
    if (m === 'worker') {
      let handle: torch.threads.TrainingHandle;
      try {
        handle = torch.threads.runTraining(TRAIN_MODULE, { args: { ...args, shared: model.stateDict() }, numThreads, niceness: 10 });
      } catch (e) {
        // The worker did not start (bad options): the service is not left 'training' forever.
        end('failed', e);
        throw e;
      }
      run = handle;
      handle.on('progress', (p: Progress) => (progress = p));
      finished = handle.result.then(
        (r) => {
          saved = (r.value as { checkpoint: string | null }).checkpoint;
          end(r.cancelled ? 'cancelled' : 'done');
        },
        (e: unknown) => end('failed', e),
      );
    } else {
      mainCancelled = false;
      finished = (async () => {
        try {
          model.train();
          const t = trainer(model, args);
          for (let i = 0; i < args.steps && !mainCancelled; i++) {
            progress = t.step();
            // Lets requests in between steps: each one still waits for the step that is running.
            await new Promise<void>((r) => setImmediate(r));
          }
          model.eval();
          saved = mainCancelled ? null : t.finish();
          end(mainCancelled ? 'cancelled' : 'done');
        } catch (e) {
          model.eval();
          end('failed', e);
        }
      })();
    }
  };

  const cancel = async (): Promise<void> => {
    mainCancelled = true;
    run?.cancel();
    await finished;
  };

  const predict = (body: Record<string, unknown>): { digits: number[]; step: number; state: State } => {
    const images = body.images;
    if (!Array.isArray(images) || images.length === 0 || images.length > 256) throw new HttpError(400, 'images must be an array of 1 to 256 images');
    const flat = new Float32Array(images.length * 784);
    images.forEach((img: unknown, i) => {
      if (!Array.isArray(img) || img.length !== 784 || !img.every((v) => typeof v === 'number' && Number.isFinite(v))) {
        throw new HttpError(400, `images[${i}] must be 784 finite numbers (28x28, row by row)`);
      }
      flat.set(img as number[], i * 784);
    });
    const x = torch.tensor(flat).view(images.length, 1, 28, 28);
    const digits = torch.noGrad(() => model.forward(x).argmax(1).tolist()) as number[];
    return { digits, step: progress?.step ?? 0, state };
  };

  const route = async (req: http.IncomingMessage): Promise<[number, unknown]> => {
    const url = (req.url ?? '/').split('?')[0];
    const key = `${req.method} ${url}`;
    if (key === 'GET /status') return [200, { state, mode, progress, checkpoint: saved, error }];
    if (key === 'POST /train') {
      startTraining(await readJson(req));
      return [202, { state, mode }];
    }
    if (key === 'POST /predict') return [200, predict(await readJson(req))];
    if (key === 'POST /cancel') {
      await cancel();
      return [200, { state }];
    }
    throw new HttpError(404, `no route ${key}`);
  };

  const server = http.createServer((req, res) => {
    route(req).then(
      ([status, body]) => send(res, status, body),
      (e: unknown) => send(res, e instanceof HttpError ? e.status : 500, { error: (e as Error).message }),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: p } = server.address() as AddressInfo;
      resolve({
        url: `http://${host}:${p}`,
        server,
        idle: () => finished,
        status: () => ({ state, mode, progress }),
        close: async () => {
          await cancel();
          server.closeAllConnections();
          await new Promise<void>((r) => server.close(() => r()));
        },
      });
    });
  });
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

if (require.main === module) {
  // The digits are loaded once, before listening, and shared with every training run.
  startServer({ port: Number(process.env.PORT ?? 3000), digits: loadDigits() }).then((s) => console.log(`listening on ${s.url}`));
}
