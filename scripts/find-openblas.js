#!/usr/bin/env node
// Prints OpenBLAS compiler or linker flags for binding.gyp / CMakeLists.txt, found with pkg-config.
// Usage: node scripts/find-openblas.js cflags|include|libs|static-libs
// Without OpenBLAS it stops the build with one line saying what to install.
'use strict';
const { execFileSync } = require('child_process');
const path = require('path');
const fs = require('fs');

const HINT =
  'torchlet: OpenBLAS not found by pkg-config. Install it: Debian/Ubuntu `apt-get install -y libopenblas-dev pkg-config`, ' +
  'Fedora `dnf install -y openblas-devel pkgconf-pkg-config`, macOS `brew install openblas pkg-config` ' +
  '(then export PKG_CONFIG_PATH="$(brew --prefix openblas)/lib/pkgconfig").';

function pkgConfig(args) {
  try {
    return execFileSync('pkg-config', [...args, 'openblas'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    process.stderr.write(HINT + '\n');
    process.exit(1);
  }
}

const what = process.argv[2];
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
} else {
  process.stderr.write('usage: find-openblas.js include|libs|static-libs\n');
  process.exit(2);
}
