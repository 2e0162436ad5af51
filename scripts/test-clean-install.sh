#!/usr/bin/env bash
# The end-to-end proof before a release: the packed tarball installs and trains on a machine that has nothing but
# Node.js and npm. Builds a minimal Debian root (debootstrap --variant=minbase, then only nodejs and npm from the
# Debian mirror this machine's apt uses), installs the tarball there with npm (its dependencies come from the npm
# registry; there is no compiler, make, pkg-config or OpenBLAS in the root, so only the prebuild can work), then
# trains a small model through require() and checks the ESM entry and its default export.
#
# Usage (as root, on Debian/Ubuntu with debootstrap):
#   bash scripts/test-clean-install.sh [torchlet-X.Y.Z.tgz]
# Without an argument it runs `npm run release` (prebuild + npm pack) first. TORCHLET_KEEP_ROOT=1 keeps the work
# directory; TORCHLET_ROOTFS=<its root> reuses such a root (Debian, nodejs and npm already there) to retry the rest.
# Node in the root trusts what Node here trusts: a NODE_EXTRA_CA_CERTS file (a TLS-inspecting proxy's CA) is copied in.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
started=$SECONDS
step() { echo "== [$((SECONDS - started)) s] $*"; }

[ "$(id -u)" -eq 0 ] || { echo "test-clean-install: run as root (debootstrap and chroot need it)" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "test-clean-install: apt-get install -y debootstrap" >&2; exit 1; }

work="$(mktemp -d /var/tmp/torchlet-clean-install.XXXXXX)"
rootfs="${TORCHLET_ROOTFS:-$work/root}"
cleanup() {
  for m in dev/pts dev proc; do umount "$rootfs/$m" 2>/dev/null || true; done
  # Never delete through a mount that is still there (the bind of /dev above all).
  for m in dev/pts dev proc; do
    if mountpoint -q "$rootfs/$m" 2>/dev/null; then echo "test-clean-install: $rootfs/$m still mounted; kept $work" >&2; return; fi
  done
  if [ "${TORCHLET_KEEP_ROOT:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

if [ $# -ge 1 ]; then
  tarball="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
else
  step "npm run release (prebuild, then npm pack)"
  (cd "$repo" && npm run release -- --pack-destination "$work" >"$work/release.log" 2>&1) || { tail -30 "$work/release.log"; exit 1; }
  tarball="$(ls "$work"/torchlet-*.tgz)"
fi
listing="$(tar -tzf "$tarball")"
grep -q '^package/prebuilds/linux-x64/' <<<"$listing" || { echo "test-clean-install: $tarball has no linux-x64 prebuild" >&2; exit 1; }
step "tarball $(basename "$tarball"): $(stat -c %s "$tarball") bytes, $(wc -l <<<"$listing") files"

# The Debian mirror and release apt uses here (deb822 sources or a classic sources.list).
mirror="$(sed -n 's/^URIs:[[:space:]]*\(http[^ ]*\/debian\)\/\?[[:space:]]*$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)"
[ -n "$mirror" ] || mirror="$(sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\(http[^ ]*\/debian\)\/\?[[:space:]].*/\2/p' /etc/apt/sources.list 2>/dev/null | head -1)"
mirror="${mirror:-http://deb.debian.org/debian}"
suite="$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")"

fresh=1
[ -n "${TORCHLET_ROOTFS:-}" ] && [ -x "$rootfs/usr/bin/npm" ] && fresh=0
if [ "$fresh" = 1 ]; then
  step "debootstrap --variant=minbase $suite from $mirror"
  debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || { tail -30 "$work/debootstrap.log"; exit 1; }
fi
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
mount -t proc proc "$rootfs/proc"
mount --bind /dev "$rootfs/dev"
mount --bind /dev/pts "$rootfs/dev/pts"
ca_env=()
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
  cp "$NODE_EXTRA_CA_CERTS" "$rootfs/etc/torchlet-host-ca.crt"
  ca_env=(NODE_EXTRA_CA_CERTS=/etc/torchlet-host-ca.crt)
fi

if [ "$fresh" = 1 ]; then
  step "apt-get install nodejs npm (in the root)"
  chroot "$rootfs" /usr/bin/env DEBIAN_FRONTEND=noninteractive bash -c \
    'apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null' \
    >"$work/apt.log" 2>&1 || { tail -30 "$work/apt.log"; exit 1; }
fi
# Debian's npm depends on its node-gyp, and so on python3, but not on a compiler (build-essential is only recommended).
for tool in cc c++ gcc g++ clang make pkg-config; do
  if chroot "$rootfs" /bin/sh -c "command -v $tool" >/dev/null; then echo "test-clean-install: the root has $tool; it must not" >&2; exit 1; fi
done
if compgen -G "$rootfs/usr/lib/*/libopenblas*" >/dev/null || compgen -G "$rootfs/usr/lib/*/openblas*" >/dev/null; then
  echo "test-clean-install: the root has OpenBLAS; it must not" >&2; exit 1
fi
echo "node $(chroot "$rootfs" node --version), npm $(chroot "$rootfs" npm --version); no compiler, make, pkg-config or OpenBLAS"

rm -rf "$rootfs/app" && mkdir -p "$rootfs/app"
cp "$tarball" "$rootfs/app/torchlet.tgz"
cat >"$rootfs/app/train.js" <<'EOF'
// Fits y = x1 - 2 x2 + 0.5 with a two-layer MLP: the mean squared error must fall below 1% of y's variance.
const torch = require('torchlet');
const { nn, optim } = torch;
const F = nn.functional;
const info = torch.backendInfo();
console.log(`backend: ${JSON.stringify(info)}`);
torch.manualSeed(0);
const x = torch.randn(256, 2);
const y = x.matmul(torch.tensor([[1], [-2]])).add(0.5);
const model = new nn.Sequential(new nn.Linear(2, 16), new nn.Tanh(), new nn.Linear(16, 1));
const opt = new optim.Adam(model.parameters(), { lr: 0.02 });
let loss;
for (let step = 1; step <= 300; step++) {
  opt.zeroGrad();
  loss = F.mseLoss(model.forward(x), y);
  loss.backward();
  opt.step();
  if (step % 100 === 0) console.log(`step ${step}: loss ${loss.item().toExponential(3)}`);
}
const bound = 0.01 * y.var().item();
if (!(loss.item() < bound)) throw new Error(`training did not converge: loss ${loss.item()}, want < ${bound}`);
console.log(`trained: loss ${loss.item().toExponential(3)} < ${bound.toExponential(3)} (1% of the variance of y)`);
EOF
cat >"$rootfs/app/esm.mjs" <<'EOF'
import torch, { tensor, nn } from 'torchlet';
const t = tensor([1, 2, 3]);
if (!(t instanceof torch.Tensor) || !(new nn.Linear(2, 2) instanceof torch.nn.Module)) throw new Error('ESM and CommonJS classes differ');
console.log(`esm: default export and named exports agree; sum ${torch.sum(t).item()}`);
EOF

step "npm install torchlet.tgz (in the root)"
chroot "$rootfs" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root "${ca_env[@]}" bash -c \
  "cd /app && npm init -y >/dev/null && npm install --no-audit --no-fund --registry '$(npm config get registry 2>/dev/null || echo https://registry.npmjs.org/)' ./torchlet.tgz" \
  2>&1 | tail -5
[ -d "$rootfs/app/node_modules/torchlet" ] || { echo "test-clean-install: npm install failed" >&2; exit 1; }
ls "$rootfs/app/node_modules/torchlet/prebuilds/linux-x64/"
[ ! -d "$rootfs/app/node_modules/torchlet/build" ] || { echo "test-clean-install: npm built the addon from source instead of using the prebuild" >&2; exit 1; }

step "train (in the root)"
# OpenBLAS reads OPENBLAS_* from the environment; pass on what this machine sets (see the README).
blas_env=()
for v in OPENBLAS_CORETYPE OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS; do [ -z "${!v:-}" ] || blas_env+=("$v=${!v}"); done
chroot "$rootfs" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root "${blas_env[@]}" bash -c 'cd /app && node train.js && node esm.mjs'
step "clean install passed"
