/*
 * bench_rt.c: main(), the allocator and memory routines for the benchmark
 * programs. Compiled into every build of every program (see bench.h).
 */
#include "bench.h"

#ifndef BENCH_BARE
#include <stdio.h>
#include <stdlib.h>
#endif

/* ---- chunks from the host ---- */

#define CHUNK_BYTES (1u << 20)

#ifdef BENCH_BARE
/* Grows linear memory; the module imports nothing. */
static void *sys_chunk(size_t n) {
  size_t pages = (n + 65535) / 65536;
  size_t old = __builtin_wasm_memory_grow(0, pages);
  if (old == (size_t)-1) __builtin_trap();
  return (void *)(old * 65536);
}
#else
static void *sys_chunk(size_t n) {
  void *p = malloc(n);
  if (!p) {
    fprintf(stderr, "%s: out of memory\n", bench_name);
    exit(2);
  }
  return p;
}
#endif

/* ---- allocator: 16-byte header; size classes of 16 bytes up to 1 KiB,
 * larger blocks rounded up to a power of two with one free list each ---- */

typedef struct block {
  size_t size;        /* usable bytes */
  struct block *next; /* free-list link while free */
} block;

#define HDR 16
#define SMALL_MAX 1024
#define NCLASSES (SMALL_MAX / 16 + 1)

static block *small_free[NCLASSES];
static block *large_free[64];

static unsigned log2_ceil(size_t n) {
  unsigned k = 0;
  while (((size_t)1 << k) < n) k++;
  return k;
}
static uint8_t *bump, *bump_end;

static void *carve(size_t total) {
  if (total > CHUNK_BYTES / 4) return sys_chunk(total);
  if ((size_t)(bump_end - bump) < total) {
    bump = sys_chunk(CHUNK_BYTES);
    bump_end = bump + CHUNK_BYTES;
  }
  void *p = bump;
  bump += total;
  return p;
}

void *bench_alloc(size_t n) {
  size_t size = (n + 15) & ~(size_t)15;
  if (size == 0) size = 16;
  block *b;
  if (size <= SMALL_MAX) {
    size_t c = size / 16;
    if ((b = small_free[c]) != NULL) {
      small_free[c] = b->next;
      return (uint8_t *)b + HDR;
    }
  } else {
    unsigned k = log2_ceil(size);
    size = (size_t)1 << k;
    if ((b = large_free[k]) != NULL) {
      large_free[k] = b->next;
      return (uint8_t *)b + HDR;
    }
  }
  b = carve(size + HDR);
  b->size = size;
  return (uint8_t *)b + HDR;
}

void *bench_calloc(size_t n) {
  void *p = bench_alloc(n);
  bench_memset(p, 0, n);
  return p;
}

void bench_free(void *p) {
  if (!p) return;
  block *b = (block *)((uint8_t *)p - HDR);
  if (b->size <= SMALL_MAX) {
    b->next = small_free[b->size / 16];
    small_free[b->size / 16] = b;
  } else {
    unsigned k = log2_ceil(b->size);
    b->next = large_free[k];
    large_free[k] = b;
  }
}

/* ---- memory routines: plain loops, the same code in every build ---- */

/* The bare build compiles this file with -fno-builtin (bench/run.sh): these
 * loops back memcpy/memset there and must not become calls to them. */
void bench_memcpy(void *dst, const void *src, size_t n) {
  uint8_t *d = dst;
  const uint8_t *s = src;
  while (n--) *d++ = *s++;
}

void bench_memset(void *dst, int c, size_t n) {
  uint8_t *d = dst;
  while (n--) *d++ = (uint8_t)c;
}

int bench_memcmp(const void *a, const void *b, size_t n) {
  const uint8_t *x = a, *y = b;
  for (; n; n--, x++, y++)
    if (*x != *y) return *x < *y ? -1 : 1;
  return 0;
}

#ifdef BENCH_BARE
/* The compiler may emit calls to these for struct copies and loops. */
void *memcpy(void *dst, const void *src, size_t n) {
  bench_memcpy(dst, src, n);
  return dst;
}
void *memset(void *dst, int c, size_t n) {
  bench_memset(dst, c, n);
  return dst;
}
void *memmove(void *dst, const void *src, size_t n) {
  uint8_t *d = dst;
  const uint8_t *s = src;
  if (d < s) {
    while (n--) *d++ = *s++;
  } else {
    while (n--) d[n] = s[n];
  }
  return dst;
}
int memcmp(const void *a, const void *b, size_t n) { return bench_memcmp(a, b, n); }
#else
int main(void) {
  printf("%s %016llx\n", bench_name, (unsigned long long)bench_run());
  return 0;
}
#endif
