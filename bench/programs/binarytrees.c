/* binarytrees.c: allocate and walk many complete binary trees (allocator
 * and pointer-chasing heavy), with one long-lived tree kept throughout. */
#include "../bench.h"

const char bench_name[] = "binarytrees";

#ifndef TREE_DEPTH
#define TREE_DEPTH 18
#endif

typedef struct node { struct node *left, *right; } node;

static node *make(int depth) {
  node *n = bench_alloc(sizeof *n);
  if (depth > 0) {
    n->left = make(depth - 1);
    n->right = make(depth - 1);
  } else {
    n->left = n->right = NULL;
  }
  return n;
}

static uint32_t check(const node *n) {
  return n->left ? 1 + check(n->left) + check(n->right) : 1;
}

static void release(node *n) {
  if (n->left) {
    release(n->left);
    release(n->right);
  }
  bench_free(n);
}

uint64_t bench_run(void) {
  const int min_depth = 4, max_depth = TREE_DEPTH;
  uint64_t h = BENCH_HASH_INIT;
  node *stretch = make(max_depth + 1);
  h = bench_mix(h, check(stretch));
  release(stretch);
  node *long_lived = make(max_depth);
  for (int d = min_depth; d <= max_depth; d += 2) {
    uint32_t iterations = 1u << (max_depth - d + min_depth);
    uint64_t total = 0;
    for (uint32_t i = 0; i < iterations; i++) {
      node *t = make(d);
      total += check(t);
      release(t);
    }
    h = bench_mix(bench_mix(h, iterations), total);
  }
  h = bench_mix(h, check(long_lived));
  release(long_lived);
  return h;
}
