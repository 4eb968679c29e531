/*
 * bench.h: the small interface every benchmark program is written against.
 *
 * A program defines bench_name and bench_run(); bench_rt.c supplies main()
 * (hosted builds: native and wasm32-wasi print "<name> <checksum>") or, with
 * BENCH_BARE, exports bench_run from a module that imports nothing, so
 * runners without WASI (wasm-interp) can execute the same computation.
 * Programs therefore use no libc beyond the helpers below; the allocator is
 * our own in every build so all builds do the same work.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>

extern const char bench_name[];
/* The whole benchmark; returns a deterministic 64-bit checksum. */
uint64_t bench_run(void);

/* Allocation: segregated free lists over chunks taken from the host. */
void *bench_alloc(size_t n);
void *bench_calloc(size_t n);
void bench_free(void *p);

/* The few memory/string routines the programs need. */
void bench_memcpy(void *dst, const void *src, size_t n);
void bench_memset(void *dst, int c, size_t n);
int bench_memcmp(const void *a, const void *b, size_t n);

/* A small deterministic PRNG (xorshift64*), for generated inputs. */
typedef struct bench_rng { uint64_t s; } bench_rng;
static inline uint64_t bench_rand(bench_rng *r) {
  uint64_t x = r->s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  r->s = x;
  return x * 0x2545F4914F6CDD1DULL;
}

/* Mixes v into h (FNV-1a over the 8 bytes); programs fold results into it. */
static inline uint64_t bench_mix(uint64_t h, uint64_t v) {
  for (int i = 0; i < 8; i++) {
    h ^= (v >> (8 * i)) & 0xff;
    h *= 0x100000001b3ULL;
  }
  return h;
}
#define BENCH_HASH_INIT 0xcbf29ce484222325ULL

static inline uint64_t bench_f64_bits(double d) {
  union { double d; uint64_t u; } x;
  x.d = d;
  return x.u;
}

#endif
