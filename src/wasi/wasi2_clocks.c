/* wasi2_clocks.c: wasi:clocks 0.2: monotonic-clock (with pollables for an
 * instant or a duration) and wall-clock. */
#include <time.h>

#include "wasi/wasi2_internal.h"

static uint64_t res_ns(clockid_t id) {
  struct timespec ts;
  if (clock_getres(id, &ts) != 0) return 1;
  uint64_t ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
  return ns ? ns : 1;
}

static wasm_status mono_now(void *env, cm_instance *caller, const cm_val *a, size_t n,
                            cm_val *res, wasm_error *err) {
  *res = w2_u64(w2_monotonic_ns());
  return WASM_OK;
}

static wasm_status mono_resolution(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                   cm_val *res, wasm_error *err) {
  *res = w2_u64(res_ns(CLOCK_MONOTONIC));
  return WASM_OK;
}

static wasm_status mono_sub_instant(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                    cm_val *res, wasm_error *err) {
  return w2_new_pollable(env, W2_POLL_DEADLINE, -1, 0, a[0].of.u, res, err);
}

static wasm_status mono_sub_duration(void *env, cm_instance *caller, const cm_val *a,
                                     size_t n, cm_val *res, wasm_error *err) {
  uint64_t now = w2_monotonic_ns(), d = a[0].of.u;
  uint64_t when = d > UINT64_MAX - now ? UINT64_MAX : now + d;
  return w2_new_pollable(env, W2_POLL_DEADLINE, -1, 0, when, res, err);
}

/* record datetime { seconds: u64, nanoseconds: u32 } */
static wasm_status datetime(uint64_t sec, uint32_t ns, cm_val *res, wasm_error *err) {
  if (!cm_val_agg(res, CM_RECORD, 2)) return w2_nomem(err);
  res->of.list.elems[0] = w2_u64(sec);
  res->of.list.elems[1] = w2_u32(ns);
  return WASM_OK;
}

static wasm_status wall_now(void *env, cm_instance *caller, const cm_val *a, size_t n,
                            cm_val *res, wasm_error *err) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return datetime((uint64_t)ts.tv_sec, (uint32_t)ts.tv_nsec, res, err);
}

static wasm_status wall_resolution(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                   cm_val *res, wasm_error *err) {
  uint64_t ns = res_ns(CLOCK_REALTIME);
  return datetime(ns / 1000000000u, (uint32_t)(ns % 1000000000u), res, err);
}

static const char WIT_MONOTONIC[] =
    "interface monotonic-clock {\n"
    "  use wasi:io/poll.{pollable}; type instant = u64; type duration = u64;\n"
    "  now: func() -> u64;\n"
    "  resolution: func() -> u64;\n"
    "  subscribe-instant: func(when: u64) -> pollable;\n"
    "  subscribe-duration: func(when: u64) -> pollable;\n"
    "}\n";

static const char WIT_WALL[] =
    "interface wall-clock {\n"
    "  record datetime { seconds: u64, nanoseconds: u32 }\n"
    "  now: func() -> datetime;\n"
    "  resolution: func() -> datetime;\n"
    "}\n";

wasm_status w2_link_clocks(wasi2_ctx *c, wasm_error *err) {
  static const w2_fn mono[] = {
      {"now", mono_now},
      {"resolution", mono_resolution},
      {"subscribe-instant", mono_sub_instant},
      {"subscribe-duration", mono_sub_duration},
  };
  static const w2_fn wall[] = {{"now", wall_now}, {"resolution", wall_resolution}};
  wasm_status st = w2_define(c, "wasi:clocks/monotonic-clock", WIT_MONOTONIC, mono, 4, err);
  return st ? st : w2_define(c, "wasi:clocks/wall-clock", WIT_WALL, wall, 2, err);
}
