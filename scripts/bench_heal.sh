#!/usr/bin/env bash
# Training speed and peak memory of `shallow heal` against PyTorch autograd doing the same LoRA step
# (scripts/bench_heal_torch.py): same model, batch, sequence length, rank, targets and dropout, float32,
# the same number of threads, on this CPU. Shallow is timed over its whole run's training steps (JIT
# warm-up included; it prints tokens/s for its steps), PyTorch over --steps steps after 2 warm-up steps,
# plain autograd and with per-layer checkpointing as Shallow does. Peak memory: max RSS of each process
# (/usr/bin/time -v); the JVM's default heap grows to a quarter of RAM before it collects much, so Shallow
# also runs once with -Xmx512m to show what it needs. Prints one line per run and the ratios.
#   scripts/bench_heal.sh [MODEL] [--steps 16] [--batch 4] [--seq-len 256] [--rank 8] [--threads 2]
# MODEL defaults to ../shared/models/stories-16L with layers 6-9 removed (written to a temporary directory).
set -e
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/env.sh"
ensure_torch
model="" steps=16 batch=4 seqlen=256 rank=8 threads=2
while [ $# -gt 0 ]; do
  case "$1" in
    --steps) steps="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    --seq-len) seqlen="$2"; shift 2 ;;
    --rank) rank="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    *) model="$1"; shift ;;
  esac
done
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if [ -z "$model" ]; then
  model="$tmp/stories-16L-without-6-9"
  "$root/shallow" prune "$root/../shared/models/stories-16L" --remove 6-9 --out "$model" >/dev/null
fi
data="$root/../shared/data/stories260K-samples"
tokens=$((steps * batch * seqlen))
lora=(--rank "$rank" --alpha 16 --dropout 0.05 --targets q,k,v,o,gate,up,down)

rss() { sed -n 's/^\s*Maximum resident set size (kbytes): \([0-9]*\)/\1/p' "$1"; }
shallow_run() { # label, extra heal options
  local label="$1"; shift
  /usr/bin/time -v -o "$tmp/time-$label" "$root/shallow" heal "$model" --data "$data/train.jsonl" --heldout "$data/heldout.jsonl" \
    --heldout-samples 1 --tokens "$tokens" --batch "$batch" --seq-len "$seqlen" "${lora[@]}" --threads "$threads" \
    --out "$tmp/out-$label" "$@" 2>/dev/null >"$tmp/heal-$label"
  local rate; rate=$(sed -n 's/.* this run, \([0-9,]*\) tokens\/s.*/\1/p' "$tmp/heal-$label" | tr -d ,)
  echo "$label $rate $(rss "$tmp/time-$label")"
}
torch_run() { # label, extra torch options
  local label="$1"; shift
  /usr/bin/time -v -o "$tmp/time-$label" /usr/bin/python3 "$root/scripts/bench_heal_torch.py" "$model" --batch "$batch" --seq-len "$seqlen" \
    --rank "$rank" --alpha 16 --dropout 0.05 --steps "$steps" --threads "$threads" "$@" >"$tmp/torch-$label"
  local rate; rate=$(sed -n 's/.*"tokens_per_s": \([0-9.]*\).*/\1/p' "$tmp/torch-$label")
  echo "$label $(printf '%.0f' "$rate") $(rss "$tmp/time-$label")"
}

echo "LoRA training step: $(basename "$model"), batch $batch x $seqlen tokens, rank $rank on q,k,v,o,gate,up,down, dropout 0.05, $threads threads, $steps steps"
results=("$(shallow_run shallow-f32)" "$(shallow_run shallow-nf4 --nf4)" "$(torch_run pytorch-f32)" "$(torch_run pytorch-f32-checkpointed --checkpoint)"
  "$(SHALLOW_JVM_OPTS=-Xmx512m shallow_run shallow-f32-heap-512m)")
printf '%-26s %12s %14s\n' run tokens/s "peak RSS MiB"
for r in "${results[@]}"; do
  read -r label rate kb <<<"$r"
  printf '%-26s %12s %14s\n' "$label" "$rate" "$((kb / 1024))"
done
read -r _ s32 _ <<<"${results[0]}"; read -r _ t32 _ <<<"${results[2]}"; read -r _ tck _ <<<"${results[3]}"
awk -v s="$s32" -v t="$t32" -v c="$tck" 'BEGIN { printf "Shallow / PyTorch tokens/s: %.2f (plain autograd), %.2f (checkpointed)\n", s / t, s / c }'
