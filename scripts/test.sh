#!/usr/bin/env bash
# Builds Shallow and runs every test (unit, golden checks against ../shared, bad-input checks), then builds the Spark
# module on the jar (Spark from Maven Central on the first run) and runs its tests (local[2], a standalone cluster).
set -e
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/env.sh"
cd "$root"
ensure_torch
ensure_llamacpp || echo "shallow: llama.cpp could not be installed; the tests that compare with it will fail" >&2
mvn -B package "$@"
cd spark
exec mvn -B package -Dsurefire.failIfNoSpecifiedTests=false "$@"
