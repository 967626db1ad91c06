#!/usr/bin/env bash
# The README's ReplaceMe table: stories-16L without its angular-distance blocks of 4 and 8 layers (6-9, 3-10), held-out loss
# (the 16 bundled held-out stories) of plain removal and of ReplaceMe at several ridges and calibration sizes, with wall times.
# Usage: bash scripts/replaceme_table.sh [WORKDIR]   (about 15 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
model=../shared/models/stories-16L heldout=data/stories260K-heldout-16.jsonl work=${1:-/tmp/replaceme-table}
mkdir -p "$work"
loss() { ./shallow eval "$@" --tasks loss --loss-data "$heldout" 2>/dev/null | awk -F'|' '$5 ~ /^ *loss *$/ {gsub(/ /, "", $7); print $7}'; }
echo "removed | variant | held-out loss | seconds"
echo "none | - | $(loss "$model") | -"
for block in 6-9 3-10; do
  echo "$block | plain removal | $(loss "$model" --remove "$block") | -"
  for variant in "0 64" "1e-3 64" "1e-2 64" "1e-1 64" "0 8" "0 16" "0 256"; do
    set -- $variant
    out="$work/s16-$block-r$1-n$2"
    start=$(date +%s.%N)
    ./shallow prune "$model" --remove "$block" --replace linear --ridge "$1" --data stories --samples "$2" --out "$out" --force > "$out.log"
    secs=$(echo "$(date +%s.%N) - $start" | bc)
    echo "$block | ridge $1, $2 x 256 tokens | $(loss "$out") | $secs ($(grep -o 'estimated in [0-9.]* s' "$out.log"))"
  done
done
