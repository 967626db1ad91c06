#!/usr/bin/env bash
# Runs a command under a memory limit (a cgroup of its own; needs root) and prints the cgroup's peak
# memory use (resident pages plus the page cache charged to it) and the command's peak resident set.
#   scripts/memory_limit.sh 6g ./shallow analyse bench-cache/llama2-7b-random --memory-budget 5g ...
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: scripts/memory_limit.sh LIMIT COMMAND [ARGS...]   (LIMIT like 6g or 6144m)" >&2; exit 2; }
limit="$1"; shift
case "$limit" in
  *[gG]) bytes=$(( ${limit%[gG]} << 30 )) ;;
  *[mM]) bytes=$(( ${limit%[mM]} << 20 )) ;;
  *) bytes=$limit ;;
esac
name="shallow-limit-$$"
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then          # cgroup v2
  parent=/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/self/cgroup)
  dir="$parent/$name"; mkdir "$dir"
  echo "$bytes" > "$dir/memory.max"; echo 0 > "$dir/memory.swap.max" 2>/dev/null || true
  peak_file="$dir/memory.peak"
else                                                      # cgroup v1
  parent=/sys/fs/cgroup/memory$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)
  dir="$parent/$name"; mkdir "$dir"
  echo "$bytes" > "$dir/memory.limit_in_bytes"
  peak_file="$dir/memory.max_usage_in_bytes"
fi
trap 'rmdir "$dir" 2>/dev/null || true' EXIT
status=0
/usr/bin/time -f "peak resident set of the command: %M KiB" bash -c 'echo $$ > "$1/cgroup.procs"; shift; exec "$@"' _ "$dir" "$@" || status=$?
echo "memory limit $limit ($bytes bytes); peak memory charged to the cgroup: $(( $(cat "$peak_file") >> 20 )) MiB" >&2
exit $status
