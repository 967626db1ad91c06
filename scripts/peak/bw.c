// Read bandwidth with AVX2: THREADS threads sum disjoint halves of a 2 GiB float array with
// 256-bit loads into 8 independent accumulators. Prints GB/s (best of 5 passes).
// build: gcc -O3 -march=native -pthread bw.c -o bw; run: ./bw THREADS
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static float *buf;
static size_t n;
static int th;
static volatile float sink;

static void *run(void *p) {
    long id = (long)p;
    size_t lo = n / th * id, hi = n / th * (id + 1);
    __m256 s[8];
    for (int j = 0; j < 8; j++) s[j] = _mm256_setzero_ps();
    for (size_t i = lo; i < hi; i += 64)
        for (int j = 0; j < 8; j++) s[j] = _mm256_add_ps(s[j], _mm256_load_ps(buf + i + 8 * j));  // s_j += buf[i + 8j ..]
    for (int j = 1; j < 8; j++) s[0] = _mm256_add_ps(s[0], s[j]);
    float out[8]; _mm256_storeu_ps(out, s[0]);
    sink = out[0];
    return 0;
}

int main(int argc, char **argv) {
    th = argc > 1 ? atoi(argv[1]) : 1;
    n = (size_t)1 << 29;  // 2 GiB of floats
    buf = aligned_alloc(64, n * 4);
    for (size_t i = 0; i < n; i++) buf[i] = 1;
    pthread_t t[64];
    double best = 0;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = now();
        for (long i = 0; i < th; i++) pthread_create(&t[i], 0, run, (void *)i);
        for (int i = 0; i < th; i++) pthread_join(t[i], 0);
        double g = n * 4 / (now() - t0) / 1e9;
        if (g > best) best = g;
    }
    printf("%d threads: %.1f GB/s (AVX2 loads, 2 GiB, best of 5)\n", th, best);
    free(buf);
    return 0;
}
