/* test_exceptions.c: exception handling (WASM_FEATURE_EXCEPTIONS) through
 * the API: tag identity across instances, an exception crossing a host
 * function (wasm -> host -> wasm), an uncaught exception reaching the
 * embedder as a trap, and the flag's absence rejecting tags. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stratus/wasm.h"
#include "unit.h"

static wasm_engine *engine;

typedef struct call_env {
  wasm_store *store;
  wasm_func *func;
} call_env;

/* The host function: calls the wasm function in env and passes its status
 * (and so its exception) on. */
static wasm_status host_calls_wasm(void *env, const wasm_val *args, wasm_val *results,
                                   wasm_error *err) {
  call_env *e = env;
  return wasm_func_call(e->store, e->func, args, 1, NULL, 0, err);
}

static void test_across_host(void) {
  wasm_error err = {0};
  wasm_store *s = wasm_store_new(engine);
  wasm_module *a = unit_compile(engine,
      "(module (tag $t (export \"t\") (param i32))"
      "  (func (export \"throw\") (param i32) (throw $t (local.get 0))))", &err, 0);
  wasm_module *b = unit_compile(engine,
      "(module (import \"a\" \"t\" (tag $t (param i32)))"
      "  (import \"h\" \"h\" (func $h (param i32)))"
      "  (tag $other (param i32))"
      "  (func (export \"run\") (param i32) (result i32)"
      "    (block $c (result i32)"
      "      (try_table (catch $other 1) (catch $t $c) (call $h (local.get 0)))"
      "      (i32.const -1)))"
      "  (func (export \"miss\") (param i32) (result i32)"
      "    (block $c (result i32)"
      "      (try_table (catch $other $c) (call $h (local.get 0)))"
      "      (i32.const -1))))", &err, 0);
  CHECK(a && b);
  if (!a || !b) return;
  wasm_instance *ia = NULL, *ib = NULL;
  CHECK(wasm_instantiate(s, a, NULL, 0, &ia, &err) == WASM_OK);
  wasm_extern tag, thrower;
  CHECK(wasm_instance_export(ia, "t", &tag) && tag.kind == WASM_EXTERN_TAG);
  CHECK(wasm_instance_export(ia, "throw", &thrower));
  call_env env = {s, thrower.of.func};
  uint8_t p = WASM_I32;
  wasm_functype *ft = wasm_functype_new(&p, 1, NULL, 0);
  wasm_extern imports[2] = {tag, {.kind = WASM_EXTERN_FUNC}};
  imports[1].of.func = wasm_func_new_host(s, ft, host_calls_wasm, &env);
  CHECK(wasm_instantiate(s, b, imports, 2, &ib, &err) == WASM_OK);
  wasm_extern run, miss;
  CHECK(ib && wasm_instance_export(ib, "run", &run) && wasm_instance_export(ib, "miss", &miss));
  wasm_val arg = {.kind = WASM_I32, .of.i32 = 42}, res = {0};
  /* Thrown in a, through the host function, caught in b by a's tag. */
  CHECK(wasm_func_call(s, run.of.func, &arg, 1, &res, 1, &err) == WASM_OK && res.of.i32 == 42);
  /* No matching catch: the embedder sees a trap. */
  CHECK(wasm_func_call(s, miss.of.func, &arg, 1, &res, 1, &err) == WASM_TRAP &&
        strstr(err.message, "uncaught exception") != NULL);
  /* The store works on afterwards. */
  arg.of.i32 = 7;
  CHECK(wasm_func_call(s, run.of.func, &arg, 1, &res, 1, &err) == WASM_OK && res.of.i32 == 7);
  wasm_functype_delete(ft);
  wasm_store_delete(s);
  wasm_module_delete(a);
  wasm_module_delete(b);
}

static void test_flag_off(void) {
  wasm_engine *e2 = wasm_engine_new(NULL);
  wasm_error err = {0};
  CHECK(unit_compile(e2, "(module (tag (param i32)))", &err, 1) == NULL);
  CHECK(err.status == WASM_MALFORMED);
  wasm_engine_delete(e2);
}

int main(void) {
  wasm_config cfg = {.features = WASM_FEATURE_EXCEPTIONS};
  engine = wasm_engine_new(&cfg);
  test_across_host();
  test_flag_off();
  wasm_engine_delete(engine);
  return unit_report();
}
