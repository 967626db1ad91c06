#!/usr/bin/env bash
# Shallow against an earlier Shallow on the same machine in one run: builds REV (a commit) in a temporary worktree,
# then runs `shallow bench --no-torch` of REV and of this tree in turn, ROUNDS times (default 2), on the same
# checkpoint, and prints each workload's best tokens/s for both and the ratio this / REV.
#   scripts/bench_compare.sh REV [--rounds N] [shallow bench options, e.g. --workloads prefill128,decode --repeats 3]
set -e
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/env.sh"
rev="${1:?usage: scripts/bench_compare.sh REV [--rounds N] [bench options]}"; shift
rounds=2
if [ "${1:-}" = --rounds ]; then rounds="$2"; shift 2; fi
tmp="$(mktemp -d)"
trap 'git -C "$root" worktree remove --force "$tmp/old" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
git -C "$root" worktree add --detach "$tmp/old" "$rev" >/dev/null
(cd "$tmp/old" && mvn -q -B -o -DskipTests package >/dev/null) || (cd "$tmp/old" && mvn -q -B -DskipTests package >/dev/null)
"$root/shallow" --version >/dev/null 2>&1 || true # builds this tree's jar
mkdir -p "$root/bench-cache"
ln -sfn "$root/bench-cache" "$tmp/old/bench-cache"
for ((r = 1; r <= rounds; r++)); do
  for side in old new; do
    jar="$root/target/shallow.jar"; home="$root"
    [ "$side" = old ] && jar="$tmp/old/target/shallow.jar" && home="$tmp/old"
    echo "bench_compare: round $r, $side" >&2
    (cd "$root" && "$JAVA_HOME/bin/java" $JAVA_FLAGS -Dshallow.home="$home" -XX:+UseParallelGC -jar "$jar" bench --no-torch \
      --out "$tmp/$side-$r.json" "$@" >/dev/null 2>"$tmp/$side-$r.log") || { cat "$tmp/$side-$r.log" >&2; exit 1; }
  done
done
/usr/bin/python3 - "$tmp" "$rounds" "$rev" <<'PY'
import json, sys, glob
tmp, rounds, rev = sys.argv[1], int(sys.argv[2]), sys.argv[3]
best = {"old": {}, "new": {}}
def rows(j):
    out = {}
    def walk(node, path):
        if isinstance(node, dict):
            if "perSecond" in node and isinstance(node["perSecond"], (int, float)):
                out[path] = node["perSecond"]
            for k, v in node.items():
                walk(v, f"{path}.{k}" if path else k)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")
    walk(j.get("shallow", j), "")
    return out
for side in best:
    for r in range(1, rounds + 1):
        for k, v in rows(json.load(open(f"{tmp}/{side}-{r}.json"))).items():
            best[side][k] = max(best[side].get(k, 0), v)
print(f"{'workload':40s} {rev[:10]:>12s} {'this tree':>12s}  ratio")
for k in best["new"]:
    if k in best["old"]:
        print(f"{k:40s} {best['old'][k]:12.2f} {best['new'][k]:12.2f}  {best['new'][k] / best['old'][k]:.3f}x")
PY
