/**
 * runTraining: a worker trains a Linear(1, 1) on y = 2x + 1 (test/threads/fixtures/train_linear.js). The trained
 * weights are checked against the same SGD computed here in plain JS from the initial weights.
 */
import { execFileSync } from 'child_process';
import * as os from 'os';
import * as path from 'path';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const torch = require(path.resolve(__dirname, '..', '..', 'dist')) as typeof import('../../lib');
type Tensor = import('../../lib').Tensor;
const { threads, nn } = torch;

const FIXTURE = path.join(__dirname, 'fixtures', 'train_linear.js');
const ROOT = path.resolve(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { nodeOptions } = require(path.join(ROOT, 'dist', 'threads', 'training')) as { nodeOptions(execArgv: string[]): string[] };

/** SGD (lr 0.1) on mean((w x + b - (2x + 1))^2) over x = 0..3, in float64. */
function sgd(w: number, b: number, steps: number): [number, number] {
  const xs = [0, 1, 2, 3];
  for (let s = 0; s < steps; s++) {
    let gw = 0;
    let gb = 0;
    for (const x of xs) {
      const r = w * x + b - (2 * x + 1);
      gw += (2 * r * x) / xs.length;
      gb += (2 * r) / xs.length;
    }
    w -= 0.1 * gw;
    b -= 0.1 * gb;
  }
  return [w, b];
}

describe('runTraining', () => {
  test('a worker trains shared parameters in place; this thread reads the new values', async () => {
    const model = new nn.Linear(1, 1).shareMemory();
    const [w0, b0] = [model.weight.item() as number, model.bias!.item() as number];
    const run = threads.runTraining(FIXTURE, { args: { steps: 20, shared: model.stateDict() }, numThreads: 1 });
    const steps: number[] = [];
    for await (const p of run) steps.push((p as { step: number }).step);
    const result = await run.result;
    expect(steps).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const [w, b] = sgd(w0, b0, 20);
    expect(model.weight.item()).toBeCloseTo(w, 4);
    expect(model.bias!.item()).toBeCloseTo(b, 4);
    // What the worker returned (a clone, moved back) holds the same values.
    expect(((result.value as { weight: Tensor }).weight.item())).toBe(model.weight.item());
    expect(result.cancelled).toBe(false);
    // Its final state dict is the shared memory itself.
    expect(result.stateDict!.get('weight')!.isShared()).toBe(true);
  });

  test('state dicts come back every stateDictEvery reports, copied from the worker', async () => {
    const run = threads.runTraining(FIXTURE, { args: { steps: 12 }, stateDictEvery: 4 });
    const posted: Map<string, Tensor>[] = [];
    run.on('stateDict', (sd: Map<string, Tensor>) => posted.push(sd));
    const result = await run.result;
    expect(posted.length).toBe(3);
    expect([...posted[2]!.keys()]).toEqual(['weight', 'bias']);
    expect(posted[2]!.get('weight')!.isShared()).toBe(false);
    expect(run.latestStateDict).toBe(posted[2]);
    // The last one was posted after the last step: it matches the final weights.
    expect(posted[2]!.get('weight')!.tolist()).toEqual(result.stateDict!.get('weight')!.tolist());
  });

  test('cancel(): isCancelled() turns true and the signal aborts; the function returns, result.cancelled', async () => {
    const run = threads.runTraining(FIXTURE, { args: { steps: 2, waitForCancel: true } });
    run.once('progress', () => run.cancel());
    const result = await run.result;
    expect(result.cancelled).toBe(true);
    expect((result.value as { steps: unknown }).steps).toBe('cancelled');
  });

  test('terminate() stops the worker at once and rejects the result', async () => {
    const run = threads.runTraining(FIXTURE, { args: { steps: 1, waitForCancel: true } });
    await run.terminate();
    await expect(run.result).rejects.toThrow(/^runTraining: the worker stopped before it finished \(exit code \d+: terminated/);
  });

  test("a failing training function rejects the result with the worker's error and stack", async () => {
    const run = threads.runTraining(FIXTURE, { args: { steps: 5, failAt: 3 } });
    const err = (await run.result.catch((e: unknown) => e)) as Error;
    expect(err.name).toBe('RangeError');
    expect(err.message).toBe('failing on purpose at step 3');
    expect(err.stack).toMatch(/at train \(.*train_linear\.js:\d+:\d+\)/);
  });

  test('a module without the function rejects, naming what it exports', async () => {
    const run = threads.runTraining(FIXTURE, { exportName: 'fit' });
    await expect(run.result).rejects.toThrow("runTraining: train_linear.js exports no function 'fit' (it exports 'train')");
  });

  test('bad arguments are errors in the caller', () => {
    expect(() => threads.runTraining(42 as unknown as string)).toThrow(new TypeError("runTraining: expected a module path (string) for 'modulePath' but received the number 42"));
    expect(() => threads.runTraining(FIXTURE, { numThreads: 0 })).toThrow(RangeError);
    expect(() => threads.runTraining(FIXTURE, { args: { f: () => 0 } })).toThrow(/pack: value\.f is a function/);
  });

  test('niceness lowers the worker thread only, so a serving thread runs first', async () => {
    const run = threads.runTraining(FIXTURE, { args: { steps: 2 }, niceness: 10 });
    const { value } = await run.result;
    expect((value as { niceness: number }).niceness).toBe(10);
    expect(os.getPriority(0)).toBe(0);
    const plain = await threads.runTraining(FIXTURE, { args: { steps: 1 } }).result;
    expect((plain.value as { niceness: number }).niceness).toBe(0);
    expect(() => threads.runTraining(FIXTURE, { niceness: 20 })).toThrow(new RangeError("runTraining: expected an integer in [-20, 19] for 'niceness' but received the number 20"));
    expect(() => threads.runTraining(FIXTURE, { niceness: '10' as unknown as number })).toThrow(TypeError);
  });

  test("a .ts module's worker gets the parent's Node options, without those Node refuses in a worker", () => {
    // node -e / -p code and what follows a launcher's script are not options; a value after -r belongs to it.
    expect(nodeOptions(['--max-old-space-size=300', '-e', 'run()'])).toEqual(['--max-old-space-size=300']);
    expect(nodeOptions(['--enable-source-maps', '-p', '1'])).toEqual(['--enable-source-maps']);
    expect(nodeOptions(['--eval=run()'])).toEqual([]);
    expect(nodeOptions(['-r', 'ts-node/register', '/x/ts-node/dist/bin.js', '--files'])).toEqual(['-r', 'ts-node/register']);
    expect(nodeOptions(['--no-warnings', '--require', 'a', '--conditions', 'b'])).toEqual(['--no-warnings', '--require', 'a', '--conditions', 'b']);
    // V8 flags (process-wide, so the worker has them anyway) made runTraining throw ERR_WORKER_INVALID_EXEC_ARGV.
    const script = `require(${JSON.stringify(path.join(ROOT, 'dist'))}).threads
      .runTraining(${JSON.stringify(path.join(__dirname, 'fixtures', 'train_typed.ts'))}, { args: { steps: 3 } })
      .result.then((r) => console.log(JSON.stringify(r.value)), (e) => { console.error(e); process.exit(1); });`;
    const out = execFileSync(process.execPath, ['--max-old-space-size=300', '--v8-pool-size=2', '--no-warnings', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ steps: 3, execArgv: ['--no-warnings', '-r', 'ts-node/register/transpile-only'] });
  });

  test('the worker-side functions refuse to run outside a training worker', () => {
    expect(() => threads.reportProgress({})).toThrow('threads.reportProgress: only available inside a training worker started by threads.runTraining');
    expect(() => threads.isCancelled()).toThrow(/threads\.isCancelled: only available inside a training worker/);
  });

  test('useSharedStateDict points a module at the given storage, or lists what does not fit', () => {
    const a = new nn.Linear(2, 1).shareMemory();
    const b = new nn.Linear(2, 1);
    const weight = b.weight;
    threads.useSharedStateDict(b, a.stateDict());
    expect(b.weight).toBe(weight); // same Parameter object, new storage
    expect(b.weight.data).toBe(a.weight.data);
    expect(() => threads.useSharedStateDict(new nn.Linear(3, 1), a.stateDict())).toThrow(
      /useSharedStateDict: cannot use this state dict for Linear: "weight" is a float32 Tensor of shape \[1, 2\], the module's is a float32 Tensor of shape \[1, 3\]/,
    );
    expect(() => threads.useSharedStateDict(new nn.Linear(2, 1, false), a.stateDict())).toThrow(/unexpected key "bias"/);
    expect(() => threads.useSharedStateDict(null as unknown as import('../../lib').nn.Module, a.stateDict())).toThrow(new TypeError("useSharedStateDict: expected an nn.Module for 'module' but received null"));
    expect(() => threads.useSharedStateDict(b, [] as unknown as Map<string, Tensor>)).toThrow(/expected a state dict \(a Map or a plain object\) for 'stateDict' but received an array of length 0/);
  });
});
