#!/usr/bin/env bash
# The README's Spark scaling table: one sweep (stories-16L, angular/bi/random at 0-50% removed, HellaSwag on LIMIT
# items and the held-out loss) run without Spark, on local[1], on local[2] and on a two-worker standalone cluster on
# 127.0.0.1 (scripts/spark_standalone.sh, one core per worker). Each run starts from the same analysis (copied from a
# first local run), so it times the points; a rerun with nothing left times the fixed start (JVM, model, Spark). Prints
# a Markdown table and checks every run's results.jsonl against the local one (wall times aside).
#   bash scripts/spark_scaling.sh [OUT=/tmp/shallow-spark-scaling] [LIMIT=100]
set -e
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out=${1:-/tmp/shallow-spark-scaling} limit=${2:-100}
cd "$root"
bash scripts/build_spark.sh # up to date before anything is timed
rm -rf "$out" && mkdir -p "$out"
sweep() { # dir, extra options...
  local dir=$1; shift
  ./shallow sweep ../shared/models/stories-16L --strategies angular,bi,random --fractions 0:0.5:0.125 --tasks hellaswag --limit "$limit" \
    --loss-data data/stories260K-heldout-16.jsonl --data data/stories260K-train-64.jsonl --samples 16 --seq-len 128 --out "$dir" "$@" \
    >/dev/null 2>"$dir.log"
}
seconds() { local t0; t0=$(date +%s.%N); "$@"; echo "$(date +%s.%N) - $t0" | bc; }
sweep "$out/seed"
row() { # name, options...
  local name=$1; shift
  mkdir -p "$out/$name" && cp "$out"/seed/{run.json,analysis.json,generations.json} "$out/$name/"
  local run start
  run=$(seconds sweep "$out/$name" "$@")
  start=$(seconds sweep "$out/$name" "$@")
  python3 - "$out/seed/results.jsonl" "$out/$name/results.jsonl" <<'PY' || { echo "shallow: $name's results differ from the local run's" >&2; exit 1; }
import json, sys
def lines(f):
    out = []
    for l in open(f):
        o = json.loads(l); o.pop("seconds")
        out.append(o)
    return out
sys.exit(0 if lines(sys.argv[1]) == lines(sys.argv[2]) else 1)
PY
  printf '%s %s %s\n' "$name" "$run" "$start" >>"$out/times"
}
row local
row local1 --spark 'local[1]'
row local2 --spark 'local[2]'
master=$(bash scripts/spark_standalone.sh start 2 1 7177)
trap 'bash scripts/spark_standalone.sh stop' EXIT
row standalone --spark "$master"
tasks=$(python3 -c "import json,sys; print(sum(1 for l in open(sys.argv[1]) if 'reused_from' not in json.loads(l)))" "$out/seed/results.jsonl")
echo "| run | wall time of the run (s) | fixed start (s) | the points (s) |"
echo "|---|---|---|---|"
while read -r name run start; do
  printf '| %s | %.1f | %.1f | %.1f |\n' "$name" "$run" "$start" "$(echo "$run - $start" | bc)"
done <"$out/times"
echo "$tasks evaluations (tasks)"
