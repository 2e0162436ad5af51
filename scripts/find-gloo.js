#!/usr/bin/env node
'use strict';
/**
 * Whether Gloo (Debian/Ubuntu: libgloo-dev) is installed, for binding.gyp's optional torchlet_gloo target.
 * Gloo ships no pkg-config file: this looks for its headers and its shared library where Debian puts them, or under
 * GLOO_ROOT (include/ and lib/). `node scripts/find-gloo.js` prints 1 or 0; `... cflags` / `... libs` print flags.
 * Set TORCHLET_GLOO=0 to skip the target even when Gloo is there.
 */
const fs = require('fs');
const path = require('path');

function find() {
  if (process.env.TORCHLET_GLOO === '0') return null;
  const roots = process.env.GLOO_ROOT ? [process.env.GLOO_ROOT] : ['/usr', '/usr/local'];
  for (const root of roots) {
    const include = path.join(root, 'include');
    if (!fs.existsSync(path.join(include, 'gloo', 'allreduce.h'))) continue;
    const libDirs = [path.join(root, 'lib'), path.join(root, 'lib64'), path.join(root, 'lib', `${process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch}-linux-gnu`)];
    const lib = libDirs.find((d) => fs.existsSync(path.join(d, 'libgloo.so')) || fs.existsSync(path.join(d, 'libgloo.dylib')));
    if (lib) return { include, lib };
  }
  return null;
}

const found = find();
const what = process.argv[2];
if (what === 'cflags') console.log(found ? `-I${found.include}` : '');
else if (what === 'include') console.log(found ? found.include : '');
else if (what === 'libs') {
  // The loader searches /usr/lib itself; elsewhere the addon records where libgloo is.
  const rpath = found && !['/usr/lib', '/usr/lib64'].includes(found.lib) ? ` -Wl,-rpath,${found.lib}` : '';
  console.log(found ? `-L${found.lib}${rpath} -lgloo -pthread` : '');
}
else console.log(found ? 1 : 0);
