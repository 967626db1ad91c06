#!/usr/bin/env bash
# Installs llama.cpp for the tests that use it as an oracle and for `shallow bench --gguf`: the npm package
# node-llama-cpp and its prebuilt CPU binaries (@node-llama-cpp/linux-x64), at the versions pinned in
# tools/llamacpp/package-lock.json, into tools/llamacpp/node_modules. Only those npm packages are fetched:
# --omit=optional leaves out node-llama-cpp's other prebuilt binaries (CUDA and Vulkan ones also match linux-x64),
# --ignore-scripts skips its postinstall (which would look for a GPU build) and NODE_LLAMA_CPP_SKIP_DOWNLOAD stops it
# from ever downloading or building llama.cpp. Does nothing when the pinned versions are already installed.
set -e
dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../tools/llamacpp" && pwd)"
stamp="$dir/node_modules/.shallow-installed-lock.json"
addon="$dir/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/llama-addon.node"
if [ -f "$addon" ] && cmp -s "$dir/package-lock.json" "$stamp"; then exit 0; fi
command -v node >/dev/null && command -v npm >/dev/null || { echo "shallow: llama.cpp needs Node.js >= 20 and npm (node or npm not found)" >&2; exit 1; }
node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' \
  || { echo "shallow: llama.cpp needs Node.js >= 20 (found $(node --version))" >&2; exit 1; }
[ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] || { echo "shallow: the pinned llama.cpp binaries are for Linux x86-64 only" >&2; exit 1; }
echo "shallow: installing llama.cpp (node-llama-cpp, prebuilt CPU binaries; npm ci in tools/llamacpp)..." >&2
(cd "$dir" && NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm ci --omit=optional --ignore-scripts --no-audit --no-fund --loglevel=error >&2) \
  || { echo "shallow: npm ci in $dir failed" >&2; exit 1; }
[ -f "$addon" ] || { echo "shallow: npm ci did not install $addon" >&2; exit 1; }
cp "$dir/package-lock.json" "$stamp"
