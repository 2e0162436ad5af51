#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine for torchlet: the system packages the native addon builds against
# (a C++ compiler, make, pkg-config, OpenBLAS, python3 for node-gyp, and Gloo for the optional torchlet.distributed
# addon), then the node modules, the addons and the TypeScript build.
# As root it installs missing system packages with apt-get; otherwise it prints the command to run.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(build-essential pkg-config libopenblas-dev python3 libgloo-dev)
missing=()
command -v c++ >/dev/null 2>&1 || missing+=(build-essential)
command -v make >/dev/null 2>&1 || missing+=(build-essential)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if ! pkg-config --exists openblas 2>/dev/null; then missing+=(libopenblas-dev); fi
command -v python3 >/dev/null 2>&1 || missing+=(python3)  # node-gyp runs on it
# Gloo has no pkg-config file; binding.gyp builds torchlet_gloo only where scripts/find-gloo.js finds it.
if [ ! -f /usr/include/gloo/allreduce.h ] && [ -z "${GLOO_ROOT:-}" ]; then missing+=(libgloo-dev); fi
if [ "${missing[*]}" = "libgloo-dev" ] && { ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" -ne 0 ]; }; then
  # Gloo is optional: everything but torchlet.distributed works without it.
  echo "torchlet setup: Gloo not found, so torchlet.distributed will be unavailable (Debian/Ubuntu: sudo apt-get install -y libgloo-dev; elsewhere build Gloo and set GLOO_ROOT)." >&2
  missing=()
fi
if [ "${#missing[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    # Everything missing at once, with the commands for Debian/Ubuntu, Fedora and macOS.
    if command -v node >/dev/null 2>&1; then node scripts/find-openblas.js check; fi
    echo "torchlet setup: missing ${missing[*]} (Debian names); install a C++ compiler, make, pkg-config, OpenBLAS and python3 (Fedora: dnf install -y gcc-c++ make pkgconf-pkg-config openblas-devel python3; macOS: xcode-select --install && brew install openblas pkg-config python3)." >&2
    exit 1
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "torchlet setup: missing system packages. Run:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${PACKAGES[*]}" >&2
    exit 1
  fi
  echo "torchlet setup: installing ${PACKAGES[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${PACKAGES[@]}" >/dev/null
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "torchlet setup: Node.js 18 or newer with npm is required (https://nodejs.org or your distribution's nodejs package)." >&2
  exit 1
fi

# onnxruntime-node (a dev dependency, used by the ONNX export tests) ships its CPU binaries in the npm tarball; its
# install script would only try to download GPU providers from GitHub.
export ONNXRUNTIME_NODE_INSTALL=skip

# Installs node modules, builds the addon (node-gyp-build) and compiles the TypeScript (prepare).
if [ -n "${CI:-}" ]; then
  npm ci --no-audit --no-fund
else
  npm install --no-audit --no-fund
fi
