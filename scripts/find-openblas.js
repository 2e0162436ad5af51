#!/usr/bin/env node
// Prints OpenBLAS compiler or linker flags for binding.gyp / CMakeLists.txt, found with pkg-config, and checks
// what a build from source needs.
// Usage: node scripts/find-openblas.js include|libs|static-libs|check|install-failed
//   check: exits 0 when the source build has everything, else prints everything missing at once, with the
//   install commands for Debian/Ubuntu, Fedora and macOS, and exits 1. install-failed: the same after
//   node-gyp-build found no prebuild for the machine and the build from source failed (the package's install
//   script, `node-gyp-build || node scripts/find-openblas.js install-failed`); it always exits 1.
// When pkg-config cannot find OpenBLAS during a build, the same full list stops the build.
'use strict';
const { execFileSync } = require('child_process');
const path = require('path');
const fs = require('fs');

/**
 * What a build from source needs, each with the package that provides it per platform (null: already part of
 * another entry's package there).
 */
const REQUIREMENTS = [
  { what: 'a C++17 compiler (c++, g++ or clang++)', debian: 'g++', fedora: 'gcc-c++', macos: 'xcode-select --install' },
  { what: 'make', debian: 'make', fedora: 'make', macos: null },
  { what: 'pkg-config', debian: 'pkg-config', fedora: 'pkgconf-pkg-config', macos: 'pkg-config' },
  { what: 'OpenBLAS (found by pkg-config as "openblas")', debian: 'libopenblas-dev', fedora: 'openblas-devel', macos: 'openblas' },
  { what: 'Python 3 (node-gyp runs on it)', debian: 'python3', fedora: 'python3', macos: 'python3' },
];

/** Whether an executable named `name` is on PATH (as the shell would find it). */
function onPath(name, env = process.env) {
  const dirs = (env.PATH || '').split(path.delimiter).filter(Boolean);
  const exts = process.platform === 'win32' ? (env.PATHEXT || '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of dirs) {
    for (const ext of exts) {
      try {
        fs.accessSync(path.join(dir, name + ext), fs.constants.X_OK);
        return true;
      } catch {
        // not here
      }
    }
  }
  return false;
}

/** Whether pkg-config (if present) finds OpenBLAS. */
function pkgConfigFindsOpenblas(env = process.env) {
  try {
    execFileSync('pkg-config', ['--exists', 'openblas'], { stdio: 'ignore', env });
    return true;
  } catch {
    return false;
  }
}

/**
 * The requirements of a build from source that this machine lacks, all of them.
 * @param probe how to look: `onPath(name)` and `openblas()` (only asked when pkg-config is there).
 */
function missingRequirements(probe) {
  const [compiler, make, pkgConfig, openblas, python3] = REQUIREMENTS;
  const missing = [];
  const cxx = process.env.CXX ? [process.env.CXX.split(/\s+/)[0]] : ['c++', 'g++', 'clang++'];
  if (!cxx.some((c) => probe.onPath(c))) missing.push(compiler);
  if (!probe.onPath('make')) missing.push(make);
  const hasPkgConfig = probe.onPath('pkg-config');
  if (!hasPkgConfig) missing.push(pkgConfig);
  // Without pkg-config the build cannot find OpenBLAS either, wherever it is installed.
  if (!hasPkgConfig || !probe.openblas()) missing.push(openblas);
  // node-gyp takes $PYTHON or npm's python setting (a name or a path) before looking for python3.
  const python = process.env.PYTHON || process.env.npm_config_python;
  if (!(python ? probe.onPath(python) || fs.existsSync(python) : probe.onPath('python3'))) missing.push(python3);
  return missing;
}

/**
 * The message naming every missing requirement with the commands that install them.
 * @param afterInstall whether npm's install of the package failed (no prebuild matched, the source build failed).
 */
function explain(missing, afterInstall = false) {
  const pkgs = (key) => missing.map((r) => r[key]).filter(Boolean);
  const lines = [
    afterInstall
      ? 'torchlet: no prebuilt addon matches this machine (prebuilds cover Linux x64 with glibc), and building it from source needs what this machine lacks:'
      : 'torchlet: building the native addon from source needs what this machine lacks:',
    ...missing.map((r) => `  - ${r.what}`),
    'Install them, then run `npm rebuild torchlet`:',
    `  Debian/Ubuntu: sudo apt-get install -y ${pkgs('debian').join(' ')}`,
    `  Fedora:        sudo dnf install -y ${pkgs('fedora').join(' ')}`,
  ];
  const brew = pkgs('macos').filter((p) => !p.startsWith('xcode-select'));
  const mac = [];
  if (missing.some((r) => r.macos && r.macos.startsWith('xcode-select'))) mac.push('xcode-select --install');
  if (brew.length) mac.push(`brew install ${brew.join(' ')}`);
  if (missing.some((r) => r.macos === 'openblas')) mac.push('export PKG_CONFIG_PATH="$(brew --prefix openblas)/lib/pkgconfig"');
  if (mac.length) lines.push(`  macOS:         ${mac.join(' && ')}`);
  return lines.join('\n');
}

function systemProbe() {
  return { onPath: (name) => onPath(name), openblas: () => pkgConfigFindsOpenblas() };
}

/** Stops a build that cannot find OpenBLAS, naming everything else that is missing too. */
function fail() {
  const missing = missingRequirements(systemProbe());
  process.stderr.write(
    (missing.length ? explain(missing) : 'torchlet: pkg-config did not give the OpenBLAS flags; check `pkg-config --libs openblas`.') + '\n',
  );
  process.exit(1);
}

function pkgConfig(args) {
  try {
    return execFileSync('pkg-config', [...args, 'openblas'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return fail();
  }
}

function main(what) {
  if (what === 'include') {
    // gyp wants bare directories.
    const dirs = pkgConfig(['--cflags-only-I']).split(/\s+/).filter(Boolean).map((f) => f.replace(/^-I/, ''));
    process.stdout.write(dirs.join(' '));
  } else if (what === 'libs') {
    process.stdout.write(pkgConfig(['--libs']));
  } else if (what === 'static-libs') {
    // For prebuilds: link libopenblas.a so users need no OpenBLAS (the linker takes only the BLAS objects used,
    // none of which need the Fortran runtime).
    const libdir = pkgConfig(['--variable=libdir']);
    const archive = path.join(libdir, 'libopenblas.a');
    if (!fs.existsSync(archive)) {
      process.stderr.write(`torchlet: ${archive} not found; static prebuilds need OpenBLAS's static library.\n`);
      process.exit(1);
    }
    process.stdout.write(`${archive} -lpthread -lm`);
  } else if (what === 'check' || what === 'install-failed') {
    const missing = missingRequirements(systemProbe());
    if (missing.length) {
      process.stderr.write(explain(missing, what === 'install-failed') + '\n');
      process.exit(1);
    }
    if (what === 'install-failed') {
      process.stderr.write(
        'torchlet: no prebuilt addon matches this machine (prebuilds cover Linux x64 with glibc) and the build from source ' +
          'failed although its compiler, make, pkg-config, OpenBLAS and Python 3 are present; see the node-gyp output above.\n',
      );
      process.exit(1);
    }
  } else {
    process.stderr.write('usage: find-openblas.js include|libs|static-libs|check|install-failed\n');
    process.exit(2);
  }
}

if (require.main === module) main(process.argv[2]);
module.exports = { REQUIREMENTS, missingRequirements, explain };
