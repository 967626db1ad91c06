#!/usr/bin/env bash
# Builds Shallow and runs every test (unit, golden checks against ../shared, bad-input checks).
set -e
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/env.sh"
cd "$root"
ensure_torch
ensure_llamacpp || echo "shallow: llama.cpp could not be installed; the tests that compare with it will fail" >&2
exec mvn -B test "$@"
