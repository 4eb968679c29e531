/* mandelbrot.c: escape-time iteration over a grid of the complex plane. */
#include "../bench.h"

const char bench_name[] = "mandelbrot";

#ifndef MANDEL_SIZE
#define MANDEL_SIZE 1400
#endif
#ifndef MANDEL_ITER
#define MANDEL_ITER 200
#endif

uint64_t bench_run(void) {
  const int w = MANDEL_SIZE, hgt = MANDEL_SIZE;
  uint64_t h = BENCH_HASH_INIT, total = 0, inside = 0;
  for (int y = 0; y < hgt; y++) {
    double ci = 2.0 * y / hgt - 1.0;
    uint64_t row = 0;
    for (int x = 0; x < w; x++) {
      double cr = 2.5 * x / w - 2.0;
      double zr = 0, zi = 0, zr2 = 0, zi2 = 0;
      int i = 0;
      while (i < MANDEL_ITER && zr2 + zi2 <= 4.0) {
        zi = 2.0 * zr * zi + ci;
        zr = zr2 - zi2 + cr;
        zr2 = zr * zr;
        zi2 = zi * zi;
        i++;
      }
      total += (uint64_t)i;
      if (i == MANDEL_ITER) inside++;
      row = row * 31 + (uint64_t)i;
    }
    h = bench_mix(h, row);
  }
  return bench_mix(bench_mix(h, total), inside);
}
