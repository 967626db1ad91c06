#!/usr/bin/env bash
# Prints this machine's limits for kernels using 256-bit vectors (AVX2 + FMA): the FMA peak (GFLOP/s)
# and the read bandwidth over a 2 GiB array (GB/s), each with 1 and 2 threads. Needs gcc.
set -e
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
here="$(cd "$(dirname "$0")" && pwd)"
gcc -O3 -march=native -pthread "$here/fma.c" -o "$d/fma"
gcc -O3 -march=native -pthread "$here/bw.c" -o "$d/bw"
"$d/fma" 1; "$d/fma" 2; "$d/bw" 1; "$d/bw" 2
