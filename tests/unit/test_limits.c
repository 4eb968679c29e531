/* test_limits.c: CPU budgets and call depth: fuel stops an infinite loop
 * and is accounted deterministically, an epoch deadline set while another
 * thread advances the epoch interrupts a running guest within
 * milliseconds, deep recursion traps, and a store stays usable after each
 * interruption. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stratus/wasm.h"
#include "unit.h"

static wasm_engine *engine;

static const char *const guest_wat =
    "(module\n"
    "  (func (export \"spin\") (loop (br 0)))\n"
    "  (func (export \"count\") (param i32) (result i32) (local i32)\n"
    "    (loop\n"
    "      (local.set 1 (i32.add (local.get 1) (i32.const 1)))\n"
    "      (br_if 0 (i32.lt_u (local.get 1) (local.get 0))))\n"
    "    (local.get 1))\n"
    "  (func $rec (export \"rec\") (param i32) (result i32)\n"
    "    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))\n"
    "      (else (i32.add (i32.const 1)\n"
    "        (call $rec (i32.sub (local.get 0) (i32.const 1)))))))\n"
    "  (func $inf (export \"inf\") (call $inf)))\n";

static wasm_module *compile(const char *wat) {
  wasm_error err = {0};
  return unit_compile(engine, wat, &err, 0);
}

static wasm_func *export_func(wasm_instance *inst, const char *name) {
  wasm_extern e;
  if (!wasm_instance_export(inst, name, &e) || e.kind != WASM_EXTERN_FUNC) return NULL;
  return e.of.func;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Calls count(n); returns its status and writes the result. */
static wasm_status call_count(wasm_store *s, wasm_func *f, int32_t n, int32_t *out,
                              wasm_error *err) {
  wasm_val arg = {.kind = WASM_I32, .of.i32 = n}, res = {0};
  wasm_status st = wasm_func_call(s, f, &arg, 1, &res, 1, err);
  if (st == WASM_OK) *out = res.of.i32;
  return st;
}

static void test_fuel(wasm_module *m) {
  wasm_store *s = wasm_store_new(engine);
  wasm_instance *inst = NULL;
  wasm_error err = {0};
  CHECK(wasm_instantiate(s, m, NULL, 0, &inst, &err) == WASM_OK);
  if (!inst) return;
  wasm_func *spin = export_func(inst, "spin"), *count = export_func(inst, "count");
  CHECK(wasm_store_get_fuel(s) == UINT64_MAX); /* unlimited by default */

  /* An infinite loop stops when the fuel runs out. */
  wasm_store_set_fuel(s, 1000000);
  CHECK(wasm_func_call(s, spin, NULL, 0, NULL, 0, &err) == WASM_EXHAUSTED);
  CHECK(strstr(err.message, "all fuel consumed") != NULL);
  CHECK(wasm_store_get_fuel(s) == 0);

  /* Deterministic: one unit for the entry, one per back edge (count(n)
   * takes n - 1), so count(n) costs n. */
  int32_t r = 0;
  wasm_store_set_fuel(s, 1000);
  CHECK(call_count(s, count, 100, &r, &err) == WASM_OK && r == 100);
  CHECK(wasm_store_get_fuel(s) == 1000 - 100);
  uint64_t left = wasm_store_get_fuel(s);
  CHECK(call_count(s, count, 100, &r, &err) == WASM_OK);
  CHECK(wasm_store_get_fuel(s) == left - 100);
  /* Exactly enough fuel succeeds; one unit less traps. */
  wasm_store_set_fuel(s, 50);
  CHECK(call_count(s, count, 50, &r, &err) == WASM_OK && r == 50);
  CHECK(wasm_store_get_fuel(s) == 0);
  wasm_store_set_fuel(s, 49);
  CHECK(call_count(s, count, 50, &r, &err) == WASM_EXHAUSTED);
  CHECK(wasm_store_get_fuel(s) == 0);
  /* Larger than one refill chunk: still exact. */
  wasm_store_set_fuel(s, 1000000);
  CHECK(call_count(s, count, 123456, &r, &err) == WASM_OK && r == 123456);
  CHECK(wasm_store_get_fuel(s) == 1000000 - 123456);

  /* The store stays usable: new fuel, call again; unlimited again. */
  wasm_store_set_fuel(s, 10);
  CHECK(call_count(s, count, 5, &r, &err) == WASM_OK && r == 5);
  wasm_store_set_fuel(s, UINT64_MAX);
  CHECK(call_count(s, count, 200000, &r, &err) == WASM_OK && r == 200000);
  CHECK(wasm_store_get_fuel(s) == UINT64_MAX);
  wasm_store_delete(s);
}

typedef struct ticker {
  wasm_engine *e;
  volatile int stop;
} ticker;

/* Advances the epoch every millisecond until told to stop. */
static void *tick(void *arg) {
  ticker *t = arg;
  struct timespec ms = {0, 1000000};
  while (!t->stop) {
    nanosleep(&ms, NULL);
    wasm_engine_increment_epoch(t->e);
  }
  return NULL;
}

static void test_epoch(wasm_module *m) {
  wasm_store *s = wasm_store_new(engine);
  wasm_instance *inst = NULL;
  wasm_error err = {0};
  CHECK(wasm_instantiate(s, m, NULL, 0, &inst, &err) == WASM_OK);
  if (!inst) return;
  wasm_func *spin = export_func(inst, "spin"), *count = export_func(inst, "count");

  /* A deadline 20 ticks (~20 ms) away stops an infinite loop soon after. */
  ticker t = {engine, 0};
  pthread_t th;
  CHECK(pthread_create(&th, NULL, tick, &t) == 0);
  wasm_store_set_epoch_deadline(s, 20);
  double t0 = now_s();
  CHECK(wasm_func_call(s, spin, NULL, 0, NULL, 0, &err) == WASM_EXHAUSTED);
  double took = now_s() - t0;
  CHECK(strstr(err.message, "interrupted: deadline exceeded") != NULL);
  CHECK(took > 0.005 && took < 2.0);

  /* Usable afterwards: a new deadline, a call that finishes in time. */
  wasm_store_set_epoch_deadline(s, 100000);
  int32_t r = 0;
  CHECK(call_count(s, count, 1000, &r, &err) == WASM_OK && r == 1000);
  /* A deadline already passed interrupts at the first check. */
  wasm_store_set_epoch_deadline(s, 0);
  CHECK(call_count(s, count, 1000, &r, &err) == WASM_EXHAUSTED);
  /* No deadline: runs to completion. */
  wasm_store_set_epoch_deadline(s, UINT64_MAX);
  CHECK(call_count(s, count, 1000, &r, &err) == WASM_OK && r == 1000);
  t.stop = 1;
  pthread_join(th, NULL);
  wasm_store_delete(s);
}

static void test_call_depth(wasm_module *m) {
  wasm_store *s = wasm_store_new(engine);
  wasm_instance *inst = NULL;
  wasm_error err = {0};
  CHECK(wasm_instantiate(s, m, NULL, 0, &inst, &err) == WASM_OK);
  if (!inst) return;
  wasm_func *rec = export_func(inst, "rec"), *inf = export_func(inst, "inf");
  CHECK(wasm_func_call(s, inf, NULL, 0, NULL, 0, &err) == WASM_EXHAUSTED);
  CHECK(strstr(err.message, "call stack exhausted") != NULL);
  int32_t r = 0;
  CHECK(call_count(s, rec, 5000, &r, &err) == WASM_OK && r == 5000);
  CHECK(call_count(s, rec, 100000, &r, &err) == WASM_EXHAUSTED);
  CHECK(strstr(err.message, "call stack exhausted") != NULL);
  wasm_store_delete(s);

  /* A smaller configured depth. */
  wasm_config cfg = {.max_call_depth = 100};
  wasm_engine *e2 = wasm_engine_new(&cfg);
  wasm_engine *saved = engine;
  engine = e2;
  wasm_module *m2 = compile(guest_wat);
  s = wasm_store_new(e2);
  inst = NULL;
  CHECK(m2 && wasm_instantiate(s, m2, NULL, 0, &inst, &err) == WASM_OK);
  if (inst) {
    rec = export_func(inst, "rec");
    CHECK(call_count(s, rec, 50, &r, &err) == WASM_OK && r == 50);
    CHECK(call_count(s, rec, 200, &r, &err) == WASM_EXHAUSTED);
    CHECK(call_count(s, rec, 50, &r, &err) == WASM_OK && r == 50);
  }
  wasm_store_delete(s);
  wasm_module_delete(m2);
  engine = saved;
  wasm_engine_delete(e2);
}

int main(void) {
  engine = wasm_engine_new(NULL);
  wasm_module *m = compile(guest_wat);
  CHECK(m != NULL);
  if (m) {
    test_fuel(m);
    test_epoch(m);
    test_call_depth(m);
    wasm_module_delete(m);
  }
  wasm_engine_delete(engine);
  return unit_report();
}
