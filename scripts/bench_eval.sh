#!/usr/bin/env bash
# Evaluation benchmark, two parts, each measured in this one run:
#  1. MMLU requests/s with and without shared-prefix KV reuse (the 4 choices of a question share one
#     forward pass over the context, or each recomputes it), and their ratio. Zero-shot: the story models'
#     context is 512 tokens, and a 5-shot prompt cut to fit is cut differently for a 1-token and a 2-token
#     answer (" B" is one token of their vocabulary, " A" two), so those contexts are not the same tokens;
#  2. a full `shallow eval` over every task on the bundled stories260K: wall time and peak memory (max RSS).
#   scripts/bench_eval.sh [MODEL for part 1 (default ../shared/models/stories-16L)] [questions per subject (default 4)]
set -e
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model="${1:-$root/../shared/models/stories-16L}"
per_subject="${2:-4}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cd "$root"
./shallow info "$model" >/dev/null   # builds the jar first, so no run below pays for it

rate() { sed -n 's/.* (\([0-9.]*\) requests\/s)$/\1/p' "$1"; }
echo "== MMLU on $model, first $per_subject questions of each subject, 0-shot"
./shallow eval "$model" --tasks mmlu --shots 0 --limit "$per_subject" --threads 2 >"$out/shared.txt" 2>/dev/null
./shallow eval "$model" --tasks mmlu --shots 0 --limit "$per_subject" --threads 2 --no-prefix-sharing >"$out/apart.txt" 2>/dev/null
shared=$(rate "$out/shared.txt") apart=$(rate "$out/apart.txt")
grep '^| mmlu |' "$out/shared.txt" | head -1
grep '^| mmlu |' "$out/apart.txt" | head -1
awk -v s="$shared" -v a="$apart" 'BEGIN { printf "requests/s: shared prefix %s, recomputed %s, ratio %.2f\n", s, a, s / a }'

echo "== every task on the bundled stories260K (full data)"
tasks=mmlu,arc_easy,arc_challenge,boolq,piqa,winogrande,hellaswag,openbookqa,copa,lambada_openai,wikitext,gsm8k,loss
/usr/bin/time -v ./shallow eval --tasks "$tasks" --loss-data data/stories260K-heldout-16.jsonl --threads 2 \
  --out "$out/all.json" >"$out/all.txt" 2>"$out/all.err" || { tail -c 2000 "$out/all.err" >&2; exit 1; }
grep -v '^| mmlu_' "$out/all.txt"
sed -n 's/^\s*Elapsed (wall clock) time.*: \(.*\)$/wall time \1/p; s/^\s*Maximum resident set size (kbytes): \(.*\)$/peak memory (max RSS) \1 kB/p' "$out/all.err"
