// FMA peak with AVX2: each thread runs 12 independent chains of 256-bit fused multiply-adds
// (latency 4 x 2 FMA pipes needs >= 8 chains in flight). Prints GFLOP/s (1 FMA = 2 flops).
// build: gcc -O3 -march=native -pthread fma.c -o fma; run: ./fma THREADS
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHAINS 12
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static volatile float sink;

static void *run(void *p) {
    long iters = *(long *)p;
    __m256 a[CHAINS], b = _mm256_set1_ps(1.0000001f), c = _mm256_set1_ps(1e-9f);
    for (int i = 0; i < CHAINS; i++) a[i] = _mm256_set1_ps((float)i);
    for (long k = 0; k < iters; k++)
        for (int i = 0; i < CHAINS; i++) a[i] = _mm256_fmadd_ps(a[i], b, c);  // a = a * b + c
    __m256 s = a[0];
    for (int i = 1; i < CHAINS; i++) s = _mm256_add_ps(s, a[i]);
    float out[8]; _mm256_storeu_ps(out, s);
    sink = out[0] + out[7];
    return 0;
}

int main(int argc, char **argv) {
    int th = argc > 1 ? atoi(argv[1]) : 1;
    long iters = 200000000L;
    pthread_t t[64];
    double best = 0;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now();
        for (int i = 0; i < th; i++) pthread_create(&t[i], 0, run, &iters);
        for (int i = 0; i < th; i++) pthread_join(t[i], 0);
        double g = th * (double)iters * CHAINS * 8 * 2 / (now() - t0) / 1e9;
        if (g > best) best = g;
    }
    printf("%d threads: %.1f GFLOP/s (AVX2 FMA, best of 3)\n", th, best);
    return 0;
}
