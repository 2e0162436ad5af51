/**
 * The message a failed build from source prints (scripts/find-openblas.js): every missing requirement at once, with
 * the commands that install them on Debian/Ubuntu, Fedora and macOS.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const script = path.join(__dirname, '..', '..', 'scripts', 'find-openblas.js');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { missingRequirements, explain } = require(script) as {
  missingRequirements(probe: { onPath(name: string): boolean; openblas(): boolean }): { what: string }[];
  explain(missing: { what: string }[], afterInstall?: boolean): string;
};

const ALL = ['C++17 compiler', 'make', 'pkg-config', 'OpenBLAS', 'Python 3'];
const whats = (present: string[], openblas: boolean): string[] =>
  missingRequirements({ onPath: (n) => present.includes(n), openblas: () => openblas }).map((r) => r.what);

describe('missingRequirements', () => {
  const env = { PYTHON: process.env.PYTHON, npm_config_python: process.env.npm_config_python, CXX: process.env.CXX };
  beforeAll(() => {
    delete process.env.PYTHON;
    delete process.env.npm_config_python;
    delete process.env.CXX;
  });
  afterAll(() => Object.assign(process.env, Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined))));

  test('an empty machine lacks all five, in order', () => {
    const got = whats([], true);
    expect(got).toHaveLength(5);
    ALL.forEach((w, i) => expect(got[i]).toContain(w));
  });
  test('without pkg-config OpenBLAS cannot be found either, even if installed', () => {
    const got = whats(['g++', 'make', 'python3'], true);
    expect(got).toHaveLength(2);
    expect(got[0]).toContain('pkg-config');
    expect(got[1]).toContain('OpenBLAS');
  });
  test('clang++ counts as a compiler; pkg-config without openblas.pc lacks only OpenBLAS', () => {
    const got = whats(['clang++', 'make', 'pkg-config', 'python3'], false);
    expect(got).toHaveLength(1);
    expect(got[0]).toContain('OpenBLAS');
  });
  test('a complete machine lacks nothing', () => {
    expect(whats(['c++', 'make', 'pkg-config', 'python3'], true)).toEqual([]);
  });
  test('$CXX names the compiler to look for', () => {
    process.env.CXX = 'my-cxx -std=c++17';
    try {
      expect(whats(['g++', 'make', 'pkg-config', 'python3'], true)[0]).toContain('C++17 compiler');
      expect(whats(['my-cxx', 'make', 'pkg-config', 'python3'], true)).toEqual([]);
    } finally {
      delete process.env.CXX;
    }
  });
});

describe('explain', () => {
  test('lists only the missing packages, for each platform', () => {
    const missing = missingRequirements({ onPath: (n) => n === 'g++' || n === 'make', openblas: () => false });
    const text = explain(missing, true);
    expect(text).toContain('no prebuilt addon matches this machine');
    expect(text).toContain('Debian/Ubuntu: sudo apt-get install -y pkg-config libopenblas-dev python3\n');
    expect(text).toContain('Fedora:        sudo dnf install -y pkgconf-pkg-config openblas-devel python3\n');
    expect(text).toContain('macOS:         brew install pkg-config openblas python3 && export PKG_CONFIG_PATH=');
    expect(text).not.toContain('xcode-select');
  });
});

describe('the script on a PATH that holds only node', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torchlet-path-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.symlinkSync(process.execPath, path.join(dir, 'node'));
  const run = (mode: string, PATH: string) =>
    spawnSync(process.execPath, [script, mode], { env: { PATH, HOME: os.tmpdir() }, encoding: 'utf8' });

  test('check and install-failed name all five and exit 1', () => {
    for (const mode of ['check', 'install-failed']) {
      const r = run(mode, dir);
      expect(r.status).toBe(1);
      for (const w of ALL) expect(r.stderr).toContain(w);
      expect(r.stderr).toContain('sudo apt-get install -y g++ make pkg-config libopenblas-dev python3');
      expect(r.stderr).toContain('sudo dnf install -y gcc-c++ make pkgconf-pkg-config openblas-devel python3');
      expect(r.stderr).toContain('xcode-select --install && brew install pkg-config openblas python3');
    }
  });
  test('the build step (include) stops with the same list', () => {
    const r = run('include', dir);
    expect(r.status).toBe(1);
    for (const w of ALL) expect(r.stderr).toContain(w);
  });
  test('with this machine\'s tools linked in, check passes and include prints the OpenBLAS headers', () => {
    const which = (n: string) => execFileSync('sh', ['-c', `command -v ${n}`], { encoding: 'utf8' }).trim();
    for (const tool of ['c++', 'make', 'pkg-config', 'python3']) fs.symlinkSync(which(tool), path.join(dir, tool));
    expect(run('check', dir).status).toBe(0);
    const inc = run('include', dir);
    expect(inc.status).toBe(0);
    expect(fs.existsSync(path.join(inc.stdout.split(' ')[0]!, 'cblas.h'))).toBe(true);
  });
});
