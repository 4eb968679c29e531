/*
 * test_cm_pre.c: component pre-instances (cm_linker_instantiate_pre):
 * imports resolved once, instances stamped out in many stores, each
 * starting from the component's initial state; link errors reported when
 * the pre-instance is made; the pre-instance outliving its linker.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit_cm.h"

/* A component whose `bump` adds the host's `step` to a counter kept in
 * its memory and returns it: a fresh instance always answers step. */
static const char *COUNTER =
    "(component\n"
    "  (import \"step\" (func $step (result u32)))\n"
    "  (core func $stepl (canon lower (func $step)))\n"
    "  (core module $M (import \"\" \"step\" (func $step (result i32)))\n"
    "    (memory 1)\n"
    "    (func (export \"bump\") (result i32)\n"
    "      (i32.store (i32.const 64) (i32.add (i32.load (i32.const 64)) (call $step)))\n"
    "      (i32.load (i32.const 64))))\n"
    "  (core instance $m (instantiate $M (with \"\" (instance (export \"step\" (func $stepl))))))\n"
    "  (func (export \"bump\") (result u32) (canon lift (core func $m \"bump\"))))\n";

static wasm_status host_step(void *env, cm_instance *caller, const cm_val *args, size_t nargs,
                             cm_val *result, wasm_error *err) {
  int *calls = env;
  (*calls)++;
  result->kind = CM_U32;
  result->of.u = 5;
  return WASM_OK;
}

static uint64_t bump(cm_instance *inst) {
  cm_func *f = cm_instance_func(inst, "bump");
  cm_val res = {0};
  wasm_error err = {0};
  if (!f || cm_func_call(f, NULL, 0, &res, &err) != WASM_OK || res.kind != CM_U32) {
    fprintf(stderr, "bump: %s\n", f ? err.message : "no export");
    return 0;
  }
  return res.of.u;
}

static void test_stamp(wasm_engine *e) {
  wasm_error err = {0};
  cm_component *c = unit_cm_compile(e, COUNTER, &err);
  CHECKM(c != NULL, "compile: %s", err.message);
  if (!c) return;
  cm_linker *l = cm_linker_new(e);
  int calls = 0;
  CHECK(cm_linker_define_func(l, NULL, "step", "func() -> u32", host_step, &calls, &err) ==
        WASM_OK);
  cm_instance_pre *pre = NULL;
  wasm_status st = cm_linker_instantiate_pre(l, c, &pre, &err);
  CHECKM(st == WASM_OK, "pre: %s", err.message);
  /* the pre-instance keeps what it needs of the linker */
  cm_linker_delete(l);
  for (int round = 0; pre && round < 3; round++) {
    wasm_store *s = wasm_store_new(e);
    cm_instance *a = NULL, *b = NULL;
    CHECK(cm_instance_pre_instantiate(pre, s, &a, &err) == WASM_OK);
    CHECK(cm_instance_pre_instantiate(pre, s, &b, &err) == WASM_OK);
    if (a && b) {
      CHECKM(bump(a) == 5, "round %d: a fresh instance starts from the initial memory", round);
      CHECK(bump(a) == 10);
      CHECKM(bump(b) == 5, "round %d: instances do not share memory", round);
    }
    cm_instance_delete(a);
    cm_instance_delete(b);
    wasm_store_delete(s);
  }
  CHECKM(calls == 9, "host calls: %d", calls);
  cm_instance_pre_delete(pre);
  cm_component_delete(c);
}

/* A missing import fails when the pre-instance is made, naming it. */
static void test_link_error(wasm_engine *e) {
  wasm_error err = {0};
  cm_component *c = unit_cm_compile(e, COUNTER, &err);
  if (!c) return;
  cm_linker *l = cm_linker_new(e);
  cm_instance_pre *pre = NULL;
  wasm_status st = cm_linker_instantiate_pre(l, c, &pre, &err);
  CHECKM(st == WASM_LINK_ERROR && pre == NULL && strstr(err.message, "step"),
         "missing import: %d %s", st, err.message);
  /* a wrong host type too */
  int calls = 0;
  CHECK(cm_linker_define_func(l, NULL, "step", "func() -> string", host_step, &calls, &err) ==
        WASM_OK);
  st = cm_linker_instantiate_pre(l, c, &pre, &err);
  CHECKM(st == WASM_LINK_ERROR && strstr(err.message, "wrong type"), "wrong type: %d %s", st,
         err.message);
  CHECK(cm_instance_pre_instantiate(NULL, NULL, NULL, &err) == WASM_BAD_ARG);
  cm_instance_pre_delete(NULL);
  cm_linker_delete(l);
  cm_component_delete(c);
}

int main(void) {
  wasm_engine *e = wasm_engine_new(NULL);
  test_stamp(e);
  test_link_error(e);
  wasm_engine_delete(e);
  return unit_report();
}
