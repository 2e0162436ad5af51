/** torchlet.save / load: safetensors files, atomic writes, clear errors for damaged files. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import * as torch from '../../lib';
import { expectClose, loadFixture } from '../helpers/fixtures';
import type { TensorJson } from '../helpers/fixtures';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torchlet-save-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('save and load', () => {
  test('a state dict round-trips: dtypes, shapes, values, order; views are saved as their values', () => {
    torch.manualSeed(3);
    const model = new torch.nn.Sequential(new torch.nn.Linear(4, 3), new torch.nn.ReLU(), new torch.nn.Linear(3, 2));
    const sd = model.stateDict();
    sd.set('counts', torch.tensor([1, 2, 3], { dtype: 'int32' }));
    sd.set('mask', torch.tensor([true, false]));
    sd.set('view', torch.arange(12).float().view(3, 4).t());
    sd.set('double', torch.tensor([0.1, 1 / 3, -1e-310], { dtype: 'float64' }).index('1:'));
    const file = path.join(dir, 'model.safetensors');
    torch.save(sd, file, { note: 'hello' });
    const back = torch.load(file, { format: 'safetensors' });
    expect([...back.keys()]).toEqual([...sd.keys()]);
    for (const [k, v] of sd) {
      expect(back.get(k)!.dtype).toBe(v.dtype);
      expect(back.get(k)!.tolist()).toEqual(v.tolist());
    }
    const fresh = new torch.nn.Sequential(new torch.nn.Linear(4, 3), new torch.nn.ReLU(), new torch.nn.Linear(3, 2));
    back.delete('counts');
    back.delete('mask');
    back.delete('view');
    back.delete('double');
    fresh.loadStateDict(back);
    expect(fresh.stateDict().get('2.bias')!.tolist()).toEqual(model.stateDict().get('2.bias')!.tolist());
  });

  test('the file follows the format: 8-byte little-endian length, JSON header, 8-byte aligned data', () => {
    const file = path.join(dir, 'layout.safetensors');
    torch.save({ x: torch.tensor([1.5, -2]) }, file);
    const buf = fs.readFileSync(file);
    const n = Number(buf.readBigUInt64LE(0));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(buf.subarray(8, 8 + n).toString());
    expect(header.x).toEqual({ dtype: 'F32', shape: [2], data_offsets: [0, 8] });
    const data = buf.subarray(8 + n);
    expect([data.readFloatLE(0), data.readFloatLE(4)]).toEqual([1.5, -2]);
  });

  test('reads a file written by an independent writer from PyTorch tensors', () => {
    const sd = torch.load(path.join(__dirname, '..', 'fixtures', 'linear_3_2.safetensors'), { format: 'safetensors' });
    const want = loadFixture<never>('linear_3_2.json') as unknown as Record<string, TensorJson>;
    expectClose(sd.get('weight')!, want.weight!, 0, 0);
    expectClose(sd.get('bias')!, want.bias!, 0, 0);
    expect(sd.get('steps')!.tolist()).toEqual([1, 2, 3]);
    expect(sd.get('mask')!.tolist()).toEqual([true, false]);
    // F64: the doubles as written, bit for bit.
    expect(sd.get('double')!.dtype).toBe('float64');
    expect(sd.get('double')!.tolist()).toEqual([0.1, -2.5e-300, 1e300]);
  });

  test('a write that fails midway leaves the old file intact', () => {
    const file = path.join(dir, 'keep.safetensors');
    torch.save({ x: torch.ones(3) }, file);
    const before = fs.readFileSync(file);
    // (A string would now be saved, in the structure of a nested object; a function cannot be.)
    const bad = { x: torch.ones(3), y: (() => 'oops') as unknown as torch.Tensor };
    expect(() => torch.save(bad, file)).toThrow(/cannot save a function at 'y'/);
    expect(() => torch.save({ x: torch.ones(3) }, path.join(dir, 'no-such-dir', 'x.safetensors'))).toThrow(/ENOENT/);
    expect(fs.readFileSync(file)).toEqual(before);
  });

  test('a process killed while saving leaves either the old or the new file, never a partial one', async () => {
    const file = path.join(dir, 'crash.safetensors');
    torch.save({ x: torch.zeros(4) }, file);
    const dist = path.join(__dirname, '..', '..', 'dist');
    // The child announces each save, then rewrites a 64 MB file until it is killed.
    const code = `const t = require(${JSON.stringify(dist)}); const big = { x: t.ones(16 * 1024 * 1024) };
      for (;;) { process.stdout.write('saving\\n'); t.save(big, ${JSON.stringify(file)}); }`;
    const { spawn } = await import('child_process');
    const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => setTimeout(resolve, 30)));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const back = torch.load(file, { format: 'safetensors' }).get('x')!;
    expect([4, 16 * 1024 * 1024]).toContain(back.numel());
    expect(back.sum().item()).toBe(back.numel() === 4 ? 0 : 16 * 1024 * 1024);
    // A child process that loads the addon and fills 64 MB can take seconds on a loaded machine.
  }, 30000);

  test('truncated and corrupted files give clear errors', () => {
    const file = path.join(dir, 'ok.safetensors');
    torch.save({ w: torch.rand(10) }, file);
    const good = fs.readFileSync(file);
    const write = (name: string, b: Buffer): string => {
      const p = path.join(dir, name);
      fs.writeFileSync(p, b);
      return p;
    };
    expect(() => torch.load(write('short.safetensors', good.subarray(0, 5)))).toThrow(/fewer than the 8-byte header length/);
    expect(() => torch.load(write('cut.safetensors', good.subarray(0, good.length - 4)))).toThrow(/truncated/);
    const n = Number(good.readBigUInt64LE(0));
    expect(() => torch.load(write('cuthead.safetensors', good.subarray(0, 8 + n - 3)))).toThrow(/truncated/);
    const garbled = Buffer.from(good);
    garbled.write('{{{{', 8);
    expect(() => torch.load(write('garbled.safetensors', garbled))).toThrow(/header is not JSON/);
    expect(() => torch.load(path.join(dir, 'missing.safetensors'))).toThrow(/ENOENT/);
  });
});

describe('save: temporary files and reserved names (11.10)', () => {
  const temps = (d: string, target: string): string[] =>
    fs.readdirSync(d).filter((n) => n.startsWith(`.${target}.`) && n.endsWith('.torchlet-tmp'));

  test('a tensor named __metadata__ and non-string metadata are refused before anything is written', () => {
    const file = path.join(dir, 'meta.safetensors');
    expect(() => torch.save({ __metadata__: torch.ones(1) }, file)).toThrow(/may not be named '__metadata__'/);
    expect(() => torch.save(new Map([['__metadata__', torch.ones(1)]]), file)).toThrow(RangeError);
    expect(() => torch.save(new Map([['__proto__', torch.ones(1)]]), file)).toThrow(/may not be named '__proto__'/);
    expect(() => torch.save({ x: torch.ones(1) }, file, { epoch: 3 } as unknown as Record<string, string>)).toThrow(
      /metadata values must be strings \(the safetensors format\) but 'epoch' is the number 3/,
    );
    expect(fs.existsSync(file)).toBe(false);
    expect(temps(dir, 'meta.safetensors')).toEqual([]);
    torch.save({ x: torch.ones(1) }, file, { epoch: '3' });
    const buf = fs.readFileSync(file);
    const header = JSON.parse(buf.subarray(8, 8 + Number(buf.readBigUInt64LE(0))).toString());
    expect(header.__metadata__).toEqual({ epoch: '3' });
  });

  test('a failed rename removes the temporary file and keeps what was there', () => {
    const sub = fs.mkdtempSync(path.join(dir, 'rename-'));
    const target = path.join(sub, 'taken.safetensors');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'inside'), 'x');
    expect(() => torch.save({ x: torch.ones(3) }, target)).toThrow(/EISDIR|ENOTEMPTY|EEXIST/);
    expect(fs.readdirSync(sub)).toEqual(['taken.safetensors']);
    expect(fs.readFileSync(path.join(target, 'inside'), 'utf8')).toBe('x');
  });

  test('the temporary file of a save killed with SIGKILL is removed by the next save', async () => {
    const sub = fs.mkdtempSync(path.join(dir, 'kill-'));
    const file = path.join(sub, 'big.safetensors');
    const dist = path.join(__dirname, '..', '..', 'dist');
    const code = `const t = require(${JSON.stringify(dist)}); const big = { x: t.ones(16 * 1024 * 1024) };
      for (;;) t.save(big, ${JSON.stringify(file)});`;
    const { spawn } = await import('child_process');
    // Kill the child while a temporary file exists (retried in the rare case a rename wins the race).
    let stale: string[] = [];
    for (let attempt = 0; attempt < 5 && stale.length === 0; attempt++) {
      const child = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
      await new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          if (temps(sub, 'big.safetensors').length > 0) {
            clearInterval(poll);
            child.kill('SIGKILL');
            resolve();
          }
        }, 1);
      });
      await new Promise((resolve) => child.once('exit', resolve));
      stale = temps(sub, 'big.safetensors');
    }
    expect(stale.length).toBeGreaterThan(0);
    // A temporary file of a live process (this test's parent) is another save in progress: it is left alone.
    const live = path.join(sub, `.big.safetensors.${process.ppid}.abc123.torchlet-tmp`);
    fs.writeFileSync(live, 'in progress');
    torch.save({ y: torch.tensor([1, 2]) }, file);
    expect(temps(sub, 'big.safetensors')).toEqual([path.basename(live)]);
    expect(torch.load(file, { format: 'safetensors' }).get('y')!.tolist()).toEqual([1, 2]);
  }, 30000);
});
