/* test_api.c: the embedding API of include/stratus/wasm.h, end to end:
 * text -> binary -> module -> linker with host functions -> calls, traps,
 * memory/table/global access, re-entrant host calls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stratus/wasm.h"
#include "unit.h"


static wasm_engine *engine;

/* Compiles WAT text; NULL (and a message) on failure. */
static wasm_module *compile(const char *wat, wasm_error *err) {
  return unit_compile(engine, wat, err, 1);
}

#define i32(v) unit_i32(v)

/* A host function that adds its two arguments and counts its calls. */
static wasm_status host_add(void *env, const wasm_val *args, wasm_val *results,
                            wasm_error *err) {
  (*(int *)env)++;
  results[0] = i32(args[0].of.i32 + args[1].of.i32);
  return WASM_OK;
}

static wasm_status host_trap(void *env, const wasm_val *args, wasm_val *results,
                             wasm_error *err) {
  snprintf(err->message, sizeof err->message, "host says no");
  err->status = WASM_TRAP;
  return WASM_TRAP;
}

/* Calls back into wasm from the host: re-entrancy. */
typedef struct { wasm_store *store; wasm_func *callee; } reenter_env;
static wasm_status host_reenter(void *env, const wasm_val *args, wasm_val *results,
                                wasm_error *err) {
  reenter_env *r = env;
  return wasm_func_call(r->store, r->callee, args, 1, results, 1, err);
}

static const char *wat_main =
  "(module"
  "  (import \"host\" \"add\" (func $add (param i32 i32) (result i32)))"
  "  (import \"host\" \"trap\" (func $trap))"
  "  (import \"host\" \"reenter\" (func $reenter (param i32) (result i32)))"
  "  (memory (export \"mem\") 1 2)"
  "  (global $g (export \"g\") (mut i32) (i32.const 7))"
  "  (table (export \"tab\") 2 funcref)"
  "  (elem (i32.const 0) $double)"
  "  (data (i32.const 16) \"hi\")"
  "  (func $double (export \"double\") (param i32) (result i32)"
  "    (i32.mul (local.get 0) (i32.const 2)))"
  "  (func (export \"add3\") (param i32) (result i32)"
  "    (call $add (call $add (local.get 0) (i32.const 1)) (i32.const 2)))"
  "  (func (export \"div\") (param i32 i32) (result i32)"
  "    (i32.div_s (local.get 0) (local.get 1)))"
  "  (func (export \"calltrap\") (call $trap))"
  "  (func (export \"viahost\") (param i32) (result i32)"
  "    (call $reenter (local.get 0)))"
  "  (func $rec (export \"rec\") (param i32) (result i32)"
  "    (i32.add (call $rec (local.get 0)) (i32.const 1)))"
  "  (func (export \"load\") (param i32) (result i32)"
  "    (i32.load8_u (local.get 0)))"
  "  (func (export \"bump\") (global.set $g (i32.add (global.get $g) (i32.const 1)))))";

int main(void) {
  wasm_error err = {0};
  engine = wasm_engine_new(NULL);
  CHECK(engine != NULL);

  /* Malformed and invalid inputs are errors, not crashes. */
  CHECK(compile("(module (func (i32.add)))", &err) == NULL);
  CHECK(err.status == WASM_INVALID);
  CHECK(compile("(module (func (i32.bogus)))", &err) == NULL);
  CHECK(err.status == WASM_MALFORMED);
  wasm_module *bad = NULL;
  CHECK(wasm_module_new(engine, (const uint8_t *)"\0asm\2\0\0\0", 8, &bad, &err) ==
        WASM_MALFORMED);

  wasm_module *m = compile(wat_main, &err);
  CHECK(m != NULL);
  if (!m) { fprintf(stderr, "%s\n", err.message); return 1; }
  CHECK(wasm_module_import_count(m) == 3);

  wasm_store *s = wasm_store_new(engine);
  wasm_linker *l = wasm_linker_new(engine);
  int calls = 0;
  uint8_t ii[2] = {WASM_I32, WASM_I32}, i[1] = {WASM_I32};
  wasm_functype *t_add = wasm_functype_new(ii, 2, i, 1);
  wasm_functype *t_void = wasm_functype_new(NULL, 0, NULL, 0);
  wasm_functype *t_ii = wasm_functype_new(i, 1, i, 1);
  reenter_env renv = {s, NULL};
  wasm_extern e = {.kind = WASM_EXTERN_FUNC};

  /* A missing import is a link error naming it. */
  wasm_instance *inst = NULL;
  CHECK(wasm_linker_instantiate(l, s, m, &inst, &err) == WASM_LINK_ERROR);
  CHECK(strstr(err.message, "add") != NULL);

  e.of.func = wasm_func_new_host(s, t_add, host_add, &calls);
  wasm_linker_define(l, "host", "add", e);
  e.of.func = wasm_func_new_host(s, t_void, host_trap, NULL);
  wasm_linker_define(l, "host", "trap", e);
  e.of.func = wasm_func_new_host(s, t_ii, host_reenter, &renv);
  wasm_linker_define(l, "host", "reenter", e);
  CHECK(wasm_linker_instantiate(l, s, m, &inst, &err) == WASM_OK);
  if (!inst) { fprintf(stderr, "%s\n", err.message); return 1; }

  wasm_extern x;
  wasm_val args[2], res[1];
  CHECK(wasm_instance_export(inst, "add3", &x) && x.kind == WASM_EXTERN_FUNC);
  args[0] = i32(10);
  CHECK(wasm_func_call(s, x.of.func, args, 1, res, 1, &err) == WASM_OK);
  CHECK(res[0].of.i32 == 13 && calls == 2);

  /* Traps come back as values with the spec's cause first. */
  CHECK(wasm_instance_export(inst, "div", &x));
  args[0] = i32(1); args[1] = i32(0);
  CHECK(wasm_func_call(s, x.of.func, args, 2, res, 1, &err) == WASM_TRAP);
  CHECK(strncmp(err.message, "integer divide by zero", 22) == 0);
  args[0] = i32(INT32_MIN); args[1] = i32(-1);
  CHECK(wasm_func_call(s, x.of.func, args, 2, res, 1, &err) == WASM_TRAP);
  CHECK(strncmp(err.message, "integer overflow", 16) == 0);
  CHECK(wasm_instance_export(inst, "calltrap", &x));
  CHECK(wasm_func_call(s, x.of.func, NULL, 0, NULL, 0, &err) == WASM_TRAP);
  CHECK(strstr(err.message, "host says no") != NULL);

  /* Deep recursion is a trap, never a crash; the store stays usable. */
  CHECK(wasm_instance_export(inst, "rec", &x));
  args[0] = i32(0);
  wasm_status st = wasm_func_call(s, x.of.func, args, 1, res, 1, &err);
  CHECK(st == WASM_EXHAUSTED || st == WASM_TRAP);
  CHECK(strncmp(err.message, "call stack exhausted", 20) == 0);

  /* Re-entrant host call: wasm -> host -> wasm. */
  wasm_extern dbl;
  CHECK(wasm_instance_export(inst, "double", &dbl));
  renv.callee = dbl.of.func;
  CHECK(wasm_instance_export(inst, "viahost", &x));
  args[0] = i32(21);
  CHECK(wasm_func_call(s, x.of.func, args, 1, res, 1, &err) == WASM_OK);
  CHECK(res[0].of.i32 == 42);

  /* Wrong argument count is the embedder's error. */
  CHECK(wasm_func_call(s, x.of.func, args, 2, res, 1, &err) == WASM_BAD_ARG);

  /* Memory: data segment visible, growth within the maximum only. */
  CHECK(wasm_instance_export(inst, "mem", &x) && x.kind == WASM_EXTERN_MEMORY);
  CHECK(wasm_memory_size(x.of.memory) == 65536);
  CHECK(memcmp(wasm_memory_data(x.of.memory) + 16, "hi", 2) == 0);
  wasm_memory_data(x.of.memory)[100] = 77;
  CHECK(wasm_memory_grow(x.of.memory, 1) == 1);
  CHECK(wasm_memory_grow(x.of.memory, 1) == -1);
  CHECK(wasm_memory_size(x.of.memory) == 2 * 65536);
  wasm_extern ld;
  CHECK(wasm_instance_export(inst, "load", &ld));
  args[0] = i32(100);
  CHECK(wasm_func_call(s, ld.of.func, args, 1, res, 1, &err) == WASM_OK);
  CHECK(res[0].of.i32 == 77);
  args[0] = i32(2 * 65536);
  CHECK(wasm_func_call(s, ld.of.func, args, 1, res, 1, &err) == WASM_TRAP);
  CHECK(strncmp(err.message, "out of bounds memory access", 27) == 0);

  /* Globals and tables. */
  CHECK(wasm_instance_export(inst, "g", &x) && x.kind == WASM_EXTERN_GLOBAL);
  CHECK(wasm_global_get(x.of.global).of.i32 == 7);
  wasm_extern bump;
  CHECK(wasm_instance_export(inst, "bump", &bump));
  CHECK(wasm_func_call(s, bump.of.func, NULL, 0, NULL, 0, &err) == WASM_OK);
  CHECK(wasm_global_get(x.of.global).of.i32 == 8);
  CHECK(wasm_instance_export(inst, "tab", &x) && x.kind == WASM_EXTERN_TABLE);
  void *ref = NULL;
  CHECK(wasm_table_size(x.of.table) == 2);
  CHECK(wasm_table_get(x.of.table, 0, &ref) && ref == dbl.of.func);
  CHECK(wasm_table_get(x.of.table, 1, &ref) && ref == NULL);
  CHECK(!wasm_table_get(x.of.table, 2, &ref));

  wasm_linker_delete(l);
  wasm_store_delete(s);
  wasm_functype_delete(t_add);
  wasm_functype_delete(t_void);
  wasm_functype_delete(t_ii);
  wasm_module_delete(m);
  wasm_engine_delete(engine);
  return unit_report();
}
