/* matmul.c: dense double-precision matrix multiply, i-k-j loop order. */
#include "../bench.h"

const char bench_name[] = "matmul";

#ifndef MAT_N
#define MAT_N 600
#endif
#ifndef MAT_ROUNDS
#define MAT_ROUNDS 5
#endif

uint64_t bench_run(void) {
  const size_t n = MAT_N;
  double *a = bench_alloc(n * n * sizeof(double));
  double *b = bench_alloc(n * n * sizeof(double));
  double *c = bench_alloc(n * n * sizeof(double));
  bench_rng r = {42};
  for (size_t i = 0; i < n * n; i++) {
    /* Small integers over a power of two: exact sums, identical everywhere. */
    a[i] = (double)(int)(bench_rand(&r) % 17 - 8) / 8.0;
    b[i] = (double)(int)(bench_rand(&r) % 17 - 8) / 8.0;
  }
  uint64_t h = BENCH_HASH_INIT;
  for (int round = 0; round < MAT_ROUNDS; round++) {
    for (size_t i = 0; i < n * n; i++) c[i] = 0;
    for (size_t i = 0; i < n; i++)
      for (size_t k = 0; k < n; k++) {
        double aik = a[i * n + k];
        const double *brow = b + k * n;
        double *crow = c + i * n;
        for (size_t j = 0; j < n; j++) crow[j] += aik * brow[j];
      }
    double trace = 0, sum = 0;
    for (size_t i = 0; i < n; i++) trace += c[i * n + i];
    for (size_t i = 0; i < n * n; i++) sum += c[i];
    h = bench_mix(bench_mix(h, bench_f64_bits(trace)), bench_f64_bits(sum));
    /* Feed the result back so rounds differ: a <- c scaled down. */
    for (size_t i = 0; i < n * n; i++) a[i] = c[i] / 64.0;
  }
  bench_free(a);
  bench_free(b);
  bench_free(c);
  return h;
}
