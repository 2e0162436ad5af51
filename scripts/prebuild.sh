#!/usr/bin/env bash
# Builds the prebuild the npm package ships: prebuilds/<platform>-<arch>/torchlet.glibc.node (prebuildify, Node-API,
# so one file serves every Node version). OpenBLAS, libstdc++ and libgcc are linked statically and only the
# Node-API entry points are exported (binding.gyp with TORCHLET_STATIC_OPENBLAS=1, native/exports.map); the libc
# tag makes node-gyp-build skip the file on musl (Alpine), which then builds from source.
# The build runs in a scratch copy of the sources, so the developer addon in build/Release is left alone.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

cp -r "$root/binding.gyp" "$root/package.json" "$root/native" "$scratch/"
mkdir "$scratch/scripts"
cp "$root/scripts/find-openblas.js" "$root/scripts/find-gloo.js" "$scratch/scripts/"
ln -s "$root/node_modules" "$scratch/node_modules"

target="$root/prebuilds/$(node -p 'process.platform + "-" + process.arch')"
rm -rf "$target"
TORCHLET_STATIC_OPENBLAS=1 "$root/node_modules/.bin/prebuildify" --napi --strip --tag-libc --cwd "$scratch" --out "$root"

# Check what the file asks of the system it lands on: exported symbols, shared libraries, newest glibc symbol.
for node in "$target"/*.node; do
  if [ "$(uname -s)" = Linux ]; then
    exported="$(nm -D --defined-only "$node" | awk '{print $3}')"
    if [ "$exported" != "$(printf 'napi_register_module_v1\nnode_api_module_get_api_version_v1')" ]; then
      echo "prebuild: $node exports more than the Node-API entry points:" >&2
      echo "$exported" | head -20 >&2
      exit 1
    fi
    needed="$(readelf -d "$node" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')"
    glibc="$(objdump -T "$node" | grep -o 'GLIBC_[0-9.]*' | sort -Vu | tail -1)"
    echo "prebuild: $node: $(stat -c %s "$node") bytes; exports $(echo $exported); needs ${needed}(newest symbol $glibc)"
  else
    ls -l "$node"
  fi
done
