#!/usr/bin/env bash
# Prefix sharing, measured in this one run: `shallow eval` of the same tasks three ways, each in its own JVM,
#  1. sharing on (the default): the few-shot prefix every question repeats is computed once, the choices of a
#     question share its context;
#  2. --prefix-cache-mb 0: only the choices of a question share its context (Shallow before cross-request sharing);
#  3. --no-prefix-sharing: every request computed alone;
# then requests/s of each, the ratios, and whether the three wrote byte-identical --log-samples files (every
# request's log-likelihood and is_greedy, to the last digit).
#   scripts/bench_prefix.sh [MODEL (default ../shared/models/tiny-smollm3-random)] [TASKS (default
#   mmlu_abstract_algebra,mmlu_world_religions: 5-shot prompts that fit its 1024 positions untruncated)] [extra eval flags]
set -e
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model="${1:-$root/../shared/models/tiny-smollm3-random}"
tasks="${2:-mmlu_abstract_algebra,mmlu_world_religions}"
shift $(( $# < 2 ? $# : 2 ))
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cd "$root"
./shallow info "$model" >/dev/null   # builds the jar first, so no run below pays for it

rate() { sed -n 's/.* (\([0-9.]*\) requests\/s)$/\1/p' "$1"; }
declare -A flags=([shared]="" [choices]="--prefix-cache-mb 0" [alone]="--no-prefix-sharing")
for way in shared choices alone; do
  mkdir -p "$out/$way"
  # shellcheck disable=SC2086
  ./shallow eval "$model" --tasks "$tasks" --threads 2 ${flags[$way]} "$@" --out "$out/$way/results.json" --log-samples \
    >"$out/$way.txt" 2>"$out/$way.err" < /dev/null || { tail -c 2000 "$out/$way.err" >&2; exit 1; }
  echo "$way (${flags[$way]:-default}): $(tail -2 "$out/$way.txt" | head -1)"
done
awk -v s="$(rate "$out/shared.txt")" -v c="$(rate "$out/choices.txt")" -v a="$(rate "$out/alone.txt")" \
  'BEGIN { printf "requests/s: shared %s, choices only %s, alone %s; shared / alone %.1fx, shared / choices only %.1fx, choices only / alone %.1fx\n", s, c, a, s / a, s / c, c / a }'
same=yes
for f in "$out"/alone/*_samples_*.jsonl; do
  for way in shared choices; do cmp -s "$f" "$out/$way/$(basename "$f")" || same=no; done
done
echo "every response identical in the three runs: $same"
grep '^| mmlu\|^| hellaswag' "$out/shared.txt" || true
