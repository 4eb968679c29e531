/* fannkuch.c: the pancake-flipping permutation benchmark: over all
 * permutations of 1..n, count prefix reversals until 1 is in front. */
#include "../bench.h"

const char bench_name[] = "fannkuch";

#ifndef FANNKUCH_N
#define FANNKUCH_N 10
#endif

uint64_t bench_run(void) {
  enum { N = FANNKUCH_N };
  int perm[N], perm1[N], count[N];
  int max_flips = 0, checksum = 0, perm_index = 0;
  for (int i = 0; i < N; i++) perm1[i] = i;
  int r = N;
  for (;;) {
    while (r != 1) {
      count[r - 1] = r;
      r--;
    }
    for (int i = 0; i < N; i++) perm[i] = perm1[i];
    int flips = 0;
    for (int k = perm[0]; k != 0; k = perm[0]) {
      for (int i = 0, j = k; i < j; i++, j--) {
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
      }
      flips++;
    }
    if (flips > max_flips) max_flips = flips;
    checksum += (perm_index % 2 == 0) ? flips : -flips;
    /* Next permutation in the counting order. */
    for (;;) {
      if (r == N) return bench_mix(bench_mix(BENCH_HASH_INIT, (uint64_t)(int64_t)checksum),
                                   (uint64_t)max_flips);
      int p0 = perm1[0];
      for (int i = 0; i < r; i++) perm1[i] = perm1[i + 1];
      perm1[r] = p0;
      if (--count[r] > 0) break;
      r++;
    }
    perm_index++;
  }
}
