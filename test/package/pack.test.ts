/**
 * What `npm pack` puts in the package (needs the TypeScript build in dist/, which npm test's pretest makes): the
 * entries package.json names, the licenses, the build files a source build needs, source maps whose sources ship
 * too, and an ESM entry that agrees with the CommonJS one without the addon being needed to write it.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const root = path.join(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  main: string;
  types: string;
  exports: Record<string, Record<string, string>>;
};

const packed: Set<string> = (() => {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
  const [report] = JSON.parse(out) as { files: { path: string }[] }[];
  return new Set(report!.files.map((f) => f.path));
})();

describe('npm pack', () => {
  test('ships the entries package.json names, the licenses and what a build from source needs', () => {
    const entry = pkg.exports['.']!;
    for (const f of [pkg.main, pkg.types, entry.types!, entry.import!, entry.require!].map((p) => p.replace(/^\.\//, ''))) {
      expect(packed).toContain(f);
    }
    for (const f of ['LICENSE', 'THIRD_PARTY_NOTICES.md', 'binding.gyp', 'native/exports.map', 'native/torchlet.cc', 'scripts/find-openblas.js', 'package.json']) {
      expect(packed).toContain(f);
    }
    expect(fs.readFileSync(path.join(root, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    expect(fs.readFileSync(path.join(root, 'THIRD_PARTY_NOTICES.md'), 'utf8')).toContain('License: BSD-3-clause');
    expect([...packed].filter((f) => f.startsWith('test/') || f.startsWith('bench/') || f.startsWith('.ci/'))).toEqual([]);
  });

  test('every source map points at files that ship', () => {
    const maps = [...packed].filter((f) => f.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(10);
    const missing: string[] = [];
    for (const map of maps) {
      const { sources } = JSON.parse(fs.readFileSync(path.join(root, map), 'utf8')) as { sources: string[] };
      for (const s of sources) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(map), s));
        if (!packed.has(target)) missing.push(`${map} -> ${target}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('the ESM entry', () => {
  test('is written from the declarations, without loading the addon', () => {
    const before = fs.readFileSync(path.join(root, 'dist', 'index.mjs'), 'utf8');
    const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'write-esm.js')], {
      env: { ...process.env, TORCHLET_NATIVE: '/nonexistent/torchlet.node' },
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(fs.readFileSync(path.join(root, 'dist', 'index.mjs'), 'utf8')).toBe(before);
  });

  test('exports what the CommonJS entry exports, and the same default', () => {
    const script = `
      import * as esm from ${JSON.stringify(path.join(root, 'dist', 'index.mjs'))};
      import { createRequire } from 'module';
      const cjs = createRequire(import.meta.url)(${JSON.stringify(path.join(root, pkg.main))});
      const names = (o) => Object.keys(o).filter((n) => n !== 'default' && n !== '__esModule').sort();
      const missing = names(cjs).filter((n) => esm[n] !== cjs[n]);
      console.log(JSON.stringify({ missing, extra: names(esm).filter((n) => !(n in cjs)), count: names(esm).length,
        sameDefault: esm.default === cjs.default, defaultHasTensor: esm.default.Tensor === cjs.Tensor }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: process.env, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const got = JSON.parse(r.stdout) as { missing: string[]; extra: string[]; count: number; sameDefault: boolean; defaultHasTensor: boolean };
    expect(got).toEqual({ missing: [], extra: [], count: got.count, sameDefault: true, defaultHasTensor: true });
    expect(got.count).toBeGreaterThan(100);
  });
});
