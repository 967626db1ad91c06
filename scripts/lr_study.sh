#!/usr/bin/env bash
# Learning rate against recovery for `shallow heal` (the table in README's Healing section): prunes each case's model,
# heals it at each learning rate (LoRA rank 8 on all seven projections and heal's other defaults, unless given after
# --), and prints the held-out loss before and after and the share of the pruning's loss gap recovered,
# (pruned - healed) / (pruned - original). The original's loss is heal's own held-out measurement on the unpruned
# model (the same 40 documents of heldout.jsonl, BOS + document). Runs one after another; each finished run is kept
# in DIR and read again on a rerun, so the table can be extended without retraining.
#   scripts/lr_study.sh [--out DIR] [--cases s260k-no2,s16-no6-9,s16-half] [--lrs "1e-4 3e-4 1e-3 ..."] [--tokens 60000] [-- HEAL_OPTIONS]
# Cases: s260k-no2 = stories260K without layer 2; s16-no6-9 = stories-16L without layers 6-9; s16-half = stories-16L
# without the 8 layers angular distance picks (calibration: 48 x 256 tokens of data/stories260K-train-64.jsonl). A run that fails (heal
# stops a diverging run) is a row saying so, its log beside its folder.
set -e
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="$root/../shared"
out=/tmp/shallow-lr-study cases=s260k-no2,s16-no6-9,s16-half lrs="1e-4 2e-4 3e-4 1e-3 2e-3 3e-3 5e-3 1e-2" tokens=60000
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --cases) cases="$2"; shift 2 ;;
    --lrs) lrs="$2"; shift 2 ;;
    --tokens) tokens="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "lr_study.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
extra=("$@")
tag="tokens-$tokens"
[ ${#extra[@]} -gt 0 ] && tag="$tag$(printf '_%s' "${extra[@]}" | tr -c 'A-Za-z0-9.-' '_')"
data="$shared/data/stories260K-samples"
mkdir -p "$out"

source_model() { case "$1" in s260k-*) echo "$shared/models/stories260K" ;; s16-*) echo "$shared/models/stories-16L" ;; esac; }
prune_args() {
  case "$1" in
    s260k-no2) echo "--remove 2" ;;
    s16-no6-9) echo "--remove 6-9" ;;
    s16-half) echo "--strategy angular --fraction 0.5 --data $root/data/stories260K-train-64.jsonl --samples 48" ;;
    *) echo "lr_study.sh: unknown case $1" >&2; exit 2 ;;
  esac
}
json_number() { sed -n "s/.*\"$2\" *: *\([-0-9.eE]*\).*/\1/p" "$1" | head -1; }
heal() { # model, out, heal options...
  local model="$1" dir="$2"; shift 2
  [ -f "$dir/heal.json" ] && return 0
  rm -rf "$dir"
  "$root/shallow" heal "$model" --data "$data/train.jsonl" --heldout "$data/heldout.jsonl" --out "$dir" "$@" >"$dir.log" 2>&1 \
    || { echo "lr_study.sh: heal failed, see $dir.log" >&2; return 1; }
}

printf '%-10s %-26s %-8s %6s %9s %9s %9s %10s %8s\n' case run lr steps original pruned healed recovered seconds
IFS=, read -r -a case_list <<<"$cases"
for c in "${case_list[@]}"; do
  src="$(source_model "$c")" args="$(prune_args "$c")"
  name="$(basename "$src")"
  # the original's held-out loss: heal's measurement before its one training step on the unpruned model
  heal "$src" "$out/$name-original" --tokens 2048 --lr 1e-4
  original="$(json_number "$out/$name-original/heal.json" loss_before)"
  [ -f "$out/$c/config.json" ] || "$root/shallow" prune "$src" $args --out "$out/$c" >"$out/$c.prune.log" 2>&1
  for lr in $lrs; do
    run="$out/$c-runs/$tag/lr-$lr"
    mkdir -p "$(dirname "$run")"
    if ! heal "$out/$c" "$run" --tokens "$tokens" --lr "$lr" "${extra[@]}"; then
      printf '%-10s %-26s %-8s %s\n' "$c" "$tag" "$lr" "failed: $(tail -1 "$run.log" | tr -d '\r' | tail -c 120)"
      continue
    fi
    before="$(json_number "$run/heal.json" loss_before)" after="$(json_number "$run/heal.json" loss_after)"
    steps="$(json_number "$run/heal.json" steps)" seconds="$(json_number "$run/heal.json" seconds_this_run)"
    # gap recovered = (pruned - healed) / (pruned - original)
    awk -v c="$c" -v t="$tag" -v lr="$lr" -v s="$steps" -v o="$original" -v b="$before" -v a="$after" -v sec="$seconds" \
      'BEGIN { printf "%-10s %-26s %-8s %6d %9.4f %9.4f %9.4f %9.1f%% %8.0f\n", c, t, lr, s, o, b, a, 100 * (b - a) / (b - o), sec }'
  done
done
