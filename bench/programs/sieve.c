/* sieve.c: sieve of Eratosthenes over a byte array, several rounds. */
#include "../bench.h"

const char bench_name[] = "sieve";

#ifndef SIEVE_N
#define SIEVE_N 20000000u
#endif
#ifndef SIEVE_ROUNDS
#define SIEVE_ROUNDS 6
#endif

uint64_t bench_run(void) {
  uint8_t *composite = bench_alloc(SIEVE_N + 1);
  uint64_t h = BENCH_HASH_INIT;
  for (int round = 0; round < SIEVE_ROUNDS; round++) {
    uint32_t n = SIEVE_N - (uint32_t)round * 1000u;
    bench_memset(composite, 0, n + 1);
    for (uint32_t i = 2; (uint64_t)i * i <= n; i++)
      if (!composite[i])
        for (uint32_t j = i * i; j <= n; j += i) composite[j] = 1;
    uint64_t count = 0, sum = 0;
    for (uint32_t i = 2; i <= n; i++)
      if (!composite[i]) {
        count++;
        sum += i;
      }
    h = bench_mix(bench_mix(h, count), sum);
  }
  bench_free(composite);
  return h;
}
