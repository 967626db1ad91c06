#!/usr/bin/env bash
# `shallow bench` with what it needs: PyTorch from Debian's packages (when root and missing), a build,
# a check that the PyTorch baseline reproduces the golden logits (when ../shared is there), then the run.
#   scripts/bench.sh [shallow bench options, e.g. --peak-gflops 120 --bandwidth-gbs 30]
set -e
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "bench: installing python3-torch libopenblas0-pthread..." >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch libopenblas0-pthread) >/dev/null
fi
source "$root/scripts/env.sh"
(cd "$root" && mvn -q -B -Dstyle.color=never -DskipTests package 2>&1 | grep -v -E 'sun.misc.Unsafe|WARNING: (A terminally|Please consider|sun.misc)' >&2) || true
shared="$root/../shared"
if [ -d "$shared/golden/stories260K" ] && /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  /usr/bin/python3 "$root/scripts/bench_torch.py" --check "$shared/models/stories260K" "$shared/golden/stories260K" >&2
fi
exec "$root/shallow" bench "$@"
