/* wasi2_random.c: wasi:random 0.2: random (the host's CSPRNG), insecure
 * and insecure-seed (the same source: cheap enough, never predictable). */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include "wasi/wasi2_internal.h"

static void fill(uint8_t *p, size_t n) {
  while (n) {
    ssize_t r = getrandom(p, n, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      for (size_t i = 0; i < n; i++) p[i] = (uint8_t)rand(); /* never reached on Linux */
      return;
    }
    p += r;
    n -= (size_t)r;
  }
}

static uint64_t rand_u64(void) {
  uint64_t v;
  fill((uint8_t *)&v, sizeof v);
  return v;
}

static wasm_status get_bytes(void *env, cm_instance *caller, const cm_val *a, size_t n,
                             cm_val *res, wasm_error *err) {
  uint64_t len = a[0].of.u;
  if (len > W2_MAX_IO) return w2_trap(err, "wasi:random: %llu bytes requested (max %u)",
                                      (unsigned long long)len, W2_MAX_IO);
  uint8_t *buf = malloc(len ? len : 1);
  if (!buf) return w2_nomem(err);
  fill(buf, (size_t)len);
  bool ok = cm_val_bytes(res, buf, (size_t)len);
  free(buf);
  return ok ? WASM_OK : w2_nomem(err);
}

static wasm_status get_u64(void *env, cm_instance *caller, const cm_val *a, size_t n,
                           cm_val *res, wasm_error *err) {
  *res = w2_u64(rand_u64());
  return WASM_OK;
}

static wasm_status seed(void *env, cm_instance *caller, const cm_val *a, size_t n, cm_val *res,
                        wasm_error *err) {
  if (!cm_val_agg(res, CM_TUPLE, 2)) return w2_nomem(err);
  res->of.list.elems[0] = w2_u64(rand_u64());
  res->of.list.elems[1] = w2_u64(rand_u64());
  return WASM_OK;
}

static const char WIT_RANDOM[] =
    "interface random {\n"
    "  get-random-bytes: func(len: u64) -> list<u8>;\n"
    "  get-random-u64: func() -> u64;\n"
    "}\n";
static const char WIT_INSECURE[] =
    "interface insecure {\n"
    "  get-insecure-random-bytes: func(len: u64) -> list<u8>;\n"
    "  get-insecure-random-u64: func() -> u64;\n"
    "}\n";
static const char WIT_SEED[] =
    "interface insecure-seed {\n"
    "  insecure-seed: func() -> tuple<u64, u64>;\n"
    "}\n";

wasm_status w2_link_random(wasi2_ctx *c, wasm_error *err) {
  static const w2_fn r[] = {{"get-random-bytes", get_bytes}, {"get-random-u64", get_u64}};
  static const w2_fn i[] = {{"get-insecure-random-bytes", get_bytes},
                            {"get-insecure-random-u64", get_u64}};
  static const w2_fn s[] = {{"insecure-seed", seed}};
  wasm_status st = w2_define(c, "wasi:random/random", WIT_RANDOM, r, 2, err);
  if (!st) st = w2_define(c, "wasi:random/insecure", WIT_INSECURE, i, 2, err);
  if (!st) st = w2_define(c, "wasi:random/insecure-seed", WIT_SEED, s, 1, err);
  return st;
}
