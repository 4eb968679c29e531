/*
 * wasm_exec_prof.c: a dynamic instruction profile, for choosing which
 * superinstructions to add. Only in builds with -DEXEC_PROFILE, e.g.
 *
 *   make BUILD=build-prof OPT="-O2 -g -DEXEC_PROFILE" build-prof/stratus
 *
 * The interpreter then reports every dispatched instruction; at exit the
 * most frequent internal opcodes and consecutive pairs go to stderr.
 */
#include "wasm_code.h"

#ifdef EXEC_PROFILE
#include <stdio.h>
#include <stdlib.h>

#define PROF_TOP 60
#define PROF_PAIRS (1u << 16) /* open addressing; pairs seen stay far fewer */

typedef struct prof_pair {
  int a, b; /* opcodes; a == 0 && b == 0: empty */
  uint64_t n;
} prof_pair;

static const void *const *prof_table;
static uint64_t prof_ops[XOP_TABLE_SIZE];
static prof_pair prof_pairs[PROF_PAIRS];
static int prof_prev = -1;
static uint64_t prof_total;

/* The opcode of a handler address: a small cache in front of a scan. */
static int prof_op(const void *h) {
  static const void *cache_h[4096];
  static int cache_op[4096];
  size_t k = ((uintptr_t)h >> 3) & 4095;
  if (cache_h[k] == h) return cache_op[k];
  for (int op = 0; op < XOP_TABLE_SIZE; op++) {
    if (prof_table[op] == h) {
      cache_h[k] = h;
      cache_op[k] = op;
      return op;
    }
  }
  return 0;
}

static int prof_cmp_op(const void *x, const void *y) {
  uint64_t a = prof_ops[*(const int *)x], b = prof_ops[*(const int *)y];
  return a < b ? 1 : a > b ? -1 : 0;
}

static int prof_cmp_pair(const void *x, const void *y) {
  uint64_t a = ((const prof_pair *)x)->n, b = ((const prof_pair *)y)->n;
  return a < b ? 1 : a > b ? -1 : 0;
}

static void prof_report(void) {
  if (!prof_total) return;
  static int order[XOP_TABLE_SIZE];
  for (int i = 0; i < XOP_TABLE_SIZE; i++) order[i] = i;
  qsort(order, XOP_TABLE_SIZE, sizeof order[0], prof_cmp_op);
  char buf[64];
  fprintf(stderr, "profile: %llu instructions\n", (unsigned long long)prof_total);
  for (int i = 0; i < PROF_TOP && prof_ops[order[i]]; i++)
    fprintf(stderr, "  %6.2f%%  %s\n", 100.0 * (double)prof_ops[order[i]] / (double)prof_total,
            wasm_code_op_name(order[i], buf, sizeof buf));
  qsort(prof_pairs, PROF_PAIRS, sizeof prof_pairs[0], prof_cmp_pair);
  fprintf(stderr, "pairs:\n");
  for (int i = 0; i < PROF_TOP && prof_pairs[i].n; i++) {
    char buf2[64];
    fprintf(stderr, "  %6.2f%%  %s ; %s\n", 100.0 * (double)prof_pairs[i].n / (double)prof_total,
            wasm_code_op_name(prof_pairs[i].a, buf, sizeof buf),
            wasm_code_op_name(prof_pairs[i].b, buf2, sizeof buf2));
  }
}

void wasm_exec_prof_hit(const void *h) {
  if (!prof_table) {
    prof_table = wasm_exec_handlers();
    atexit(prof_report);
  }
  int op = prof_op(h);
  prof_ops[op]++;
  prof_total++;
  if (prof_prev >= 0) {
    size_t k = ((size_t)prof_prev * 2654435761u + (size_t)op * 40503u) & (PROF_PAIRS - 1);
    while (prof_pairs[k].n && (prof_pairs[k].a != prof_prev || prof_pairs[k].b != op))
      k = (k + 1) & (PROF_PAIRS - 1);
    prof_pairs[k].a = prof_prev;
    prof_pairs[k].b = op;
    prof_pairs[k].n++;
  }
  prof_prev = op;
}
#else
typedef int wasm_exec_prof_unused; /* ISO C wants a declaration */
#endif
