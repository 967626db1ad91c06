#!/usr/bin/env bash
# `shallow bench` with what it needs: PyTorch from Debian's packages (when root and missing), llama.cpp from npm
# (scripts/install_llamacpp.sh, when missing),
# a check that the PyTorch baseline reproduces the golden logits (when ../shared is there), this machine's
# FMA peak and read bandwidth from scripts/peak/run.sh (unless --peak-gflops is given; needs gcc), then the run
# (by default every workload: prefill, decode, eval, train, pruned, analyse; about 15 minutes on TinyLlama with PyTorch).
#   scripts/bench.sh [shallow bench options, e.g. --threads 2 --repeats 3 --no-torch]
set -e
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/env.sh"
ensure_torch || true
ensure_llamacpp || true
shared="$root/../shared"
if [ -d "$shared/golden/stories260K" ] && /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  /usr/bin/python3 "$root/scripts/bench_torch.py" --check "$shared/models/stories260K" "$shared/golden/stories260K" >&2
fi
threads=2 limits=()
for ((i = 1; i <= $#; i++)); do
  case "${!i}" in
    --threads) j=$((i + 1)); threads="${!j}" ;;
    --threads=*) threads="${!i#--threads=}" ;;
    --peak-gflops*|--bandwidth-gbs*) limits=(given) ;;
  esac
done
if [ ${#limits[@]} = 0 ] && [ -x "$root/scripts/peak/run.sh" ] && command -v gcc >/dev/null; then
  echo "bench: measuring FMA peak and read bandwidth (scripts/peak/run.sh)..." >&2
  peak="$("$root/scripts/peak/run.sh")"
  echo "$peak" >&2
  gflops=$(echo "$peak" | sed -n "s/^$threads threads: \([0-9.]*\) GFLOP\/s.*/\1/p")
  gbs=$(echo "$peak" | sed -n "s/^$threads threads: \([0-9.]*\) GB\/s.*/\1/p")
  [ -n "$gflops" ] && limits+=(--peak-gflops "$gflops")
  [ -n "$gbs" ] && limits+=(--bandwidth-gbs "$gbs")
fi
[ "${limits[0]:-}" = given ] && limits=()
exec "$root/shallow" bench "${limits[@]}" "$@"
