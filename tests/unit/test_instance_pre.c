/* test_instance_pre.c: pre-instantiation (wasm_linker_instantiate_pre,
 * wasm_instance_pre_instantiate), copy-on-write memory images and the
 * engine's pool of memory regions, store-independent host functions, and
 * store limits: isolation between instances of one pre-instance, fresh
 * data, globals and tables, link errors at pre time, store-owned externs
 * refused in another store, the spec's order when an element segment traps,
 * regions reused across modules with different images, and concurrent
 * instantiation from two threads. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stratus/wasm.h"
#include "unit.h"


static wasm_engine *engine;
static wasm_functype *type_i32_i32; /* (i32) -> (i32) */

static wasm_module *compile(const char *wat) {
  wasm_error err = {0};
  return unit_compile(engine, wat, &err, 0);
}

static wasm_val i32(int32_t v) {
  wasm_val x = {.kind = WASM_I32};
  x.of.i32 = v;
  return x;
}

/* Calls export name(args...) -> one i32 (or none when nres is 0). */
static int32_t call(wasm_store *s, wasm_instance *inst, const char *name, int nargs, int32_t a,
                    int32_t b, int nres, wasm_status *st_out) {
  wasm_extern f;
  wasm_error err = {0};
  wasm_val args[2] = {i32(a), i32(b)}, res = {0};
  if (!wasm_instance_export(inst, name, &f) || f.kind != WASM_EXTERN_FUNC) {
    if (st_out) *st_out = WASM_BAD_ARG;
    return -12345;
  }
  wasm_status st = wasm_func_call(s, f.of.func, args, (size_t)nargs, &res, (size_t)nres, &err);
  if (st_out) *st_out = st;
  return st == WASM_OK ? res.of.i32 : -12345;
}

static wasm_status host_plus1(void *env, const wasm_val *args, wasm_val *results,
                              wasm_error *err) {
  if (env) (*(int *)env)++;
  results[0] = i32(args[0].of.i32 + 1);
  return WASM_OK;
}

/* 64 KiB of data at 0 (so the image path is taken), a byte at 200000 in
 * the second page group, a mutable global, a table with an element. */
static const char *main_wat =
    "(module"
    "  (import \"env\" \"plus1\" (func $plus1 (param i32) (result i32)))"
    "  (memory (export \"mem\") 4 8)"
    "  (global $g (mut i32) (i32.const 42))"
    "  (table $t 4 8 funcref)"
    "  (elem (i32.const 1) $get)"
    "  (func $get (export \"get\") (param i32) (result i32) (i32.load8_u (local.get 0)))"
    "  (func (export \"put\") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))"
    "  (func (export \"gget\") (result i32) (global.get $g))"
    "  (func (export \"gset\") (param i32) (global.set $g (local.get 0)))"
    "  (func (export \"viatable\") (param i32) (result i32)"
    "    (call_indirect (param i32) (result i32) (local.get 0) (i32.const 1)))"
    "  (func (export \"tclear\") (table.set $t (i32.const 1) (ref.null func)))"
    "  (func (export \"tsize\") (result i32) (table.size $t))"
    "  (func (export \"tgrow\") (param i32) (result i32)"
    "    (table.grow $t (ref.null func) (local.get 0)))"
    "  (func (export \"grow\") (param i32) (result i32) (memory.grow (local.get 0)))"
    "  (func (export \"size\") (result i32) (memory.size))"
    "  (func (export \"p1\") (param i32) (result i32) (call $plus1 (local.get 0)))"
    "  (data (i32.const 0) \"%s\")"
    "  (data (i32.const 200000) \"Z\"))";

/* main_wat with its first data segment: 'A' then 65535 bytes of 'b'. */
static wasm_module *compile_main(void) {
  size_t n = 65536;
  char *data = malloc(n + 1);
  char *text = malloc(strlen(main_wat) + n + 1);
  if (!data || !text) return NULL;
  memset(data, 'b', n);
  data[0] = 'A';
  data[n] = 0;
  sprintf(text, main_wat, data);
  wasm_module *m = compile(text);
  free(data);
  free(text);
  return m;
}

static void check_fresh(wasm_store *s, wasm_instance *inst) {
  CHECK(call(s, inst, "get", 1, 0, 0, 1, NULL) == 'A');
  CHECK(call(s, inst, "get", 1, 65535, 0, 1, NULL) == 'b');
  CHECK(call(s, inst, "get", 1, 65536, 0, 1, NULL) == 0);
  CHECK(call(s, inst, "get", 1, 200000, 0, 1, NULL) == 'Z');
  CHECK(call(s, inst, "get", 1, 4 * 65536 - 1, 0, 1, NULL) == 0);
  CHECK(call(s, inst, "size", 0, 0, 0, 1, NULL) == 4);
  CHECK(call(s, inst, "gget", 0, 0, 0, 1, NULL) == 42);
  CHECK(call(s, inst, "viatable", 1, 0, 0, 1, NULL) == 'A');
  CHECK(call(s, inst, "tsize", 0, 0, 0, 1, NULL) == 4);
}

/* Writes everywhere an instance can: memory (data page, zero page, grown
 * page), global, table. pages: the memory's size before. */
static void scribble(wasm_store *s, wasm_instance *inst, int pages) {
  call(s, inst, "put", 2, 0, 'X', 0, NULL);
  call(s, inst, "put", 2, 70000, 'Y', 0, NULL);
  CHECK(call(s, inst, "grow", 1, 1, 0, 1, NULL) == pages);
  call(s, inst, "put", 2, 4 * 65536 + 5, 'W', 0, NULL);
  call(s, inst, "gset", 1, 7, 0, 0, NULL);
  call(s, inst, "tclear", 0, 0, 0, 0, NULL);
  CHECK(call(s, inst, "tgrow", 1, 2, 0, 1, NULL) == 4);
}

static void test_isolation(void) {
  wasm_error err = {0};
  wasm_module *m = compile_main();
  CHECK(m != NULL);
  if (!m) return;
  int calls = 0;
  wasm_linker *l = wasm_linker_new(engine);
  CHECK(wasm_linker_define_func(l, "env", "plus1", type_i32_i32, host_plus1, &calls) == WASM_OK);
  wasm_instance_pre *pre = NULL;
  CHECK(wasm_linker_instantiate_pre(l, m, &pre, &err) == WASM_OK);
  /* The pre-instance outlives the linker that made it. */
  wasm_linker_delete(l);
  if (!pre) return;
  wasm_store *s1 = wasm_store_new(engine), *s2 = wasm_store_new(engine);
  wasm_instance *a = NULL, *b = NULL, *c = NULL;
  CHECK(wasm_instance_pre_instantiate(pre, s1, &a, &err) == WASM_OK);
  CHECK(wasm_instance_pre_instantiate(pre, s2, &b, &err) == WASM_OK);
  CHECK(wasm_instance_pre_instantiate(pre, s1, &c, &err) == WASM_OK); /* same store */
  if (!a || !b || !c) return;
  check_fresh(s1, a);
  scribble(s1, a, 4);
  CHECK(call(s1, a, "get", 1, 0, 0, 1, NULL) == 'X');
  CHECK(call(s1, a, "get", 1, 70000, 0, 1, NULL) == 'Y');
  CHECK(call(s1, a, "gget", 0, 0, 0, 1, NULL) == 7);
  CHECK(call(s1, a, "tsize", 0, 0, 0, 1, NULL) == 6);
  check_fresh(s2, b);
  check_fresh(s1, c);
  /* The shared host function works in every store. */
  CHECK(call(s1, a, "p1", 1, 9, 0, 1, NULL) == 10);
  CHECK(call(s2, b, "p1", 1, 19, 0, 1, NULL) == 20);
  CHECK(calls == 2);
  wasm_store_delete(s1);
  wasm_store_delete(s2);
  /* Regions come back from the pool: new instances must not see the old
   * writes, the grown page, or the old size. */
  for (int round = 0; round < 4; round++) {
    wasm_store *s = wasm_store_new(engine);
    wasm_instance *inst = NULL;
    CHECK(wasm_instance_pre_instantiate(pre, s, &inst, &err) == WASM_OK);
    if (inst) {
      check_fresh(s, inst);
      CHECK(call(s, inst, "grow", 1, 1, 0, 1, NULL) == 4);
      CHECK(call(s, inst, "get", 1, 4 * 65536 + 5, 0, 1, NULL) == 0);
      scribble(s, inst, 5);
    }
    wasm_store_delete(s);
  }
  /* A one-shot instantiation of the same module agrees. */
  wasm_store *s = wasm_store_new(engine);
  wasm_linker *l2 = wasm_linker_new(engine);
  wasm_linker_define_func(l2, "env", "plus1", type_i32_i32, host_plus1, NULL);
  wasm_instance *inst = NULL;
  CHECK(wasm_linker_instantiate(l2, s, m, &inst, &err) == WASM_OK);
  if (inst) check_fresh(s, inst);
  wasm_linker_delete(l2); /* the store keeps what the instance needs */
  if (inst) CHECK(call(s, inst, "p1", 1, 1, 0, 1, NULL) == 2);
  wasm_store_delete(s);
  wasm_instance_pre_delete(pre);
  wasm_module_delete(m);
}

static void test_link_errors(void) {
  wasm_error err = {0};
  wasm_module *m = compile(
      "(module (import \"env\" \"f\" (func (param i32) (result i32)))"
      "  (import \"env\" \"g\" (global i32)))");
  wasm_linker *l = wasm_linker_new(engine);
  wasm_instance_pre *pre = NULL;
  CHECK(wasm_linker_instantiate_pre(l, m, &pre, &err) == WASM_LINK_ERROR && !pre);
  CHECK(strstr(err.message, "unknown import env.f") != NULL);
  /* Wrong type; the global comes from store s1. */
  wasm_store *s1 = wasm_store_new(engine), *s2 = wasm_store_new(engine);
  wasm_extern g = {.kind = WASM_EXTERN_GLOBAL};
  g.of.global = wasm_global_new(s1, WASM_I32, false, i32(5));
  CHECK(wasm_linker_define(l, "env", "g", g) == WASM_OK);
  wasm_functype *t0 = wasm_functype_new(NULL, 0, NULL, 0);
  wasm_linker_define_func(l, "env", "f", t0, host_plus1, NULL);
  CHECK(wasm_linker_instantiate_pre(l, m, &pre, &err) == WASM_LINK_ERROR && !pre);
  CHECK(strstr(err.message, "incompatible import type env.f") != NULL);
  /* Redefined with the right type. */
  wasm_linker_define_func(l, "env", "f", type_i32_i32, host_plus1, NULL);
  CHECK(wasm_linker_instantiate_pre(l, m, &pre, &err) == WASM_OK && pre);
  wasm_instance *inst = NULL;
  /* Store-owned externs work only in their own store. */
  CHECK(wasm_instance_pre_instantiate(pre, s2, &inst, &err) == WASM_LINK_ERROR && !inst);
  CHECK(strstr(err.message, "another store") != NULL);
  CHECK(wasm_linker_instantiate(l, s2, m, &inst, &err) == WASM_LINK_ERROR && !inst);
  CHECK(wasm_instance_pre_instantiate(pre, s1, &inst, &err) == WASM_OK && inst);
  /* wasm_instantiate checks the same. */
  wasm_extern imports[2] = {{.kind = WASM_EXTERN_FUNC}, g};
  imports[0].of.func = wasm_func_new_host(s1, type_i32_i32, host_plus1, NULL);
  CHECK(wasm_instantiate(s2, m, imports, 2, &inst, &err) == WASM_LINK_ERROR);
  CHECK(wasm_instantiate(s1, m, imports, 2, &inst, &err) == WASM_OK);
  /* Externs from two stores cannot be combined at all. */
  imports[0].of.func = wasm_func_new_host(s2, type_i32_i32, host_plus1, NULL);
  CHECK(wasm_instantiate(s1, m, imports, 2, &inst, &err) == WASM_LINK_ERROR);
  wasm_instance_pre_delete(pre);
  wasm_store_delete(s1);
  wasm_store_delete(s2);
  wasm_linker_delete(l);
  wasm_functype_delete(t0);
  wasm_module_delete(m);
}

/* An element segment that traps after an earlier one put a function of the
 * failing instance into an imported table: the data segments were never
 * applied, so that function must see zeroes, even where an image would
 * have put data. */
static void test_elem_trap_order(void) {
  wasm_error err = {0};
  wasm_module *m = compile(
      "(module (import \"env\" \"t\" (table 2 funcref))"
      "  (memory 1)"
      "  (func $get (result i32) (i32.load8_u (i32.const 0)))"
      "  (elem (i32.const 0) $get)"
      "  (elem (i32.const 5) $get)" /* out of bounds: traps */
      "  (data (i32.const 0) \"Q\"))");
  wasm_store *s = wasm_store_new(engine);
  wasm_linker *l = wasm_linker_new(engine);
  wasm_extern t = {.kind = WASM_EXTERN_TABLE};
  t.of.table = wasm_table_new(s, WASM_FUNCREF, (wasm_limits){2, 0, false}, NULL);
  wasm_linker_define(l, "env", "t", t);
  wasm_instance_pre *pre = NULL;
  CHECK(wasm_linker_instantiate_pre(l, m, &pre, &err) == WASM_OK);
  for (int i = 0; i < 3 && pre; i++) {
    wasm_instance *inst = NULL;
    CHECK(wasm_instance_pre_instantiate(pre, s, &inst, &err) == WASM_TRAP && !inst);
    CHECK(strstr(err.message, "out of bounds table access") != NULL);
    void *ref = NULL;
    CHECK(wasm_table_get(t.of.table, 0, &ref) && ref != NULL);
    wasm_val r = {0};
    if (ref) CHECK(wasm_func_call(s, ref, NULL, 0, &r, 1, &err) == WASM_OK && r.of.i32 == 0);
  }
  wasm_instance_pre_delete(pre);
  wasm_linker_delete(l);
  wasm_store_delete(s);
  wasm_module_delete(m);
}

/* Regions of one shape pass between modules with different images (and
 * none): each instance sees exactly its own module's data. */
static void test_pool_across_modules(void) {
  const char *wats[] = {
      "(module (memory (export \"mem\") 2) (data (i32.const 0) \"one\") (data (i32.const 70000) \"1\"))",
      "(module (memory (export \"mem\") 2) (data (i32.const 4) \"two\"))",
      "(module (memory (export \"mem\") 2))",
      "(module (memory (export \"mem\") 1) (data (i32.const 8) \"four\"))",
  };
  struct { size_t off; const char *s; } want[4][2] = {
      {{0, "one"}, {70000, "1"}}, {{4, "two"}, {0, NULL}}, {{0, NULL}, {0, NULL}},
      {{8, "four"}, {0, NULL}}};
  wasm_module *mods[4];
  wasm_instance_pre *pres[4];
  wasm_linker *l = wasm_linker_new(engine);
  wasm_error err = {0};
  for (int i = 0; i < 4; i++) {
    mods[i] = compile(wats[i]);
    pres[i] = NULL;
    CHECK(mods[i] && wasm_linker_instantiate_pre(l, mods[i], &pres[i], &err) == WASM_OK);
  }
  for (int round = 0; round < 24; round++) {
    int k = (round * 7 + round / 4) % 4;
    if (!pres[k]) continue;
    wasm_store *s = wasm_store_new(engine);
    wasm_instance *inst = NULL;
    wasm_extern mem;
    CHECK(wasm_instance_pre_instantiate(pres[k], s, &inst, &err) == WASM_OK);
    if (inst && wasm_instance_export(inst, "mem", &mem)) {
      uint8_t *p = wasm_memory_data(mem.of.memory);
      size_t size = wasm_memory_size(mem.of.memory);
      /* Expected contents: zero except the module's own segments. */
      uint8_t *expect = calloc(1, size);
      for (int j = 0; j < 2; j++)
        if (want[k][j].s) memcpy(expect + want[k][j].off, want[k][j].s, strlen(want[k][j].s));
      CHECK(size == (k == 3 ? 65536u : 131072u));
      CHECK(memcmp(p, expect, size) == 0);
      free(expect);
      memset(p, 0xEE, size); /* dirty every page for the next user */
    }
    wasm_store_delete(s);
  }
  /* Deleting a module drops pooled regions mapping its image; a later
   * module must not see stale contents. */
  wasm_instance_pre_delete(pres[0]);
  wasm_module_delete(mods[0]);
  mods[0] = compile("(module (memory (export \"mem\") 2) (data (i32.const 1) \"new\"))");
  wasm_instance_pre *pre0 = NULL;
  CHECK(mods[0] && wasm_linker_instantiate_pre(l, mods[0], &pre0, &err) == WASM_OK);
  wasm_store *s = wasm_store_new(engine);
  wasm_instance *inst = NULL;
  wasm_extern mem;
  if (pre0 && wasm_instance_pre_instantiate(pre0, s, &inst, &err) == WASM_OK &&
      wasm_instance_export(inst, "mem", &mem)) {
    uint8_t *p = wasm_memory_data(mem.of.memory);
    CHECK(p[0] == 0 && memcmp(p + 1, "new", 3) == 0 && p[4] == 0 && p[70000] == 0);
  } else {
    CHECK(0);
  }
  wasm_store_delete(s);
  wasm_instance_pre_delete(pre0);
  for (int i = 1; i < 4; i++) wasm_instance_pre_delete(pres[i]);
  for (int i = 0; i < 4; i++) wasm_module_delete(mods[i]);
  wasm_linker_delete(l);
}

static void test_store_limits(void) {
  wasm_error err = {0};
  wasm_module *m = compile_main();
  wasm_linker *l = wasm_linker_new(engine);
  wasm_linker_define_func(l, "env", "plus1", type_i32_i32, host_plus1, NULL);
  wasm_instance_pre *pre = NULL;
  CHECK(m && wasm_linker_instantiate_pre(l, m, &pre, &err) == WASM_OK);
  if (!pre) return;
  /* A minimum above the limit fails to instantiate, with a message. */
  wasm_store *s = wasm_store_new(engine);
  wasm_store_limits lim = {.max_memory_bytes = 3 * 65536};
  wasm_store_set_limits(s, &lim);
  wasm_instance *inst = NULL;
  CHECK(wasm_instance_pre_instantiate(pre, s, &inst, &err) == WASM_EXHAUSTED && !inst);
  CHECK(strstr(err.message, "exceeds the store's limit") != NULL);
  wasm_store_delete(s);
  /* Growth past the limits: memory.grow and table.grow return -1. */
  s = wasm_store_new(engine);
  lim = (wasm_store_limits){.max_memory_bytes = 5 * 65536 + 100, .max_table_elems = 5};
  wasm_store_set_limits(s, &lim);
  CHECK(wasm_instance_pre_instantiate(pre, s, &inst, &err) == WASM_OK && inst);
  if (inst) {
    CHECK(call(s, inst, "grow", 1, 2, 0, 1, NULL) == -1);
    CHECK(call(s, inst, "grow", 1, 1, 0, 1, NULL) == 4);
    CHECK(call(s, inst, "grow", 1, 1, 0, 1, NULL) == -1);
    CHECK(call(s, inst, "tgrow", 1, 2, 0, 1, NULL) == -1);
    CHECK(call(s, inst, "tgrow", 1, 1, 0, 1, NULL) == 4);
    CHECK(call(s, inst, "tgrow", 1, 1, 0, 1, NULL) == -1);
  }
  wasm_store_delete(s);
  /* Table minimum above the limit. */
  s = wasm_store_new(engine);
  lim = (wasm_store_limits){.max_table_elems = 3};
  wasm_store_set_limits(s, &lim);
  CHECK(wasm_instance_pre_instantiate(pre, s, &inst, &err) == WASM_EXHAUSTED);
  CHECK(strstr(err.message, "table minimum") != NULL);
  wasm_store_delete(s);
  /* Counts: instances, memories, tables. */
  s = wasm_store_new(engine);
  lim = (wasm_store_limits){.max_instances = 2};
  wasm_store_set_limits(s, &lim);
  CHECK(wasm_instance_pre_instantiate(pre, s, &inst, &err) == WASM_OK);
  CHECK(wasm_instance_pre_instantiate(pre, s, &inst, &err) == WASM_OK);
  CHECK(wasm_instance_pre_instantiate(pre, s, &inst, &err) == WASM_EXHAUSTED);
  CHECK(strstr(err.message, "too many instances") != NULL);
  wasm_store_delete(s);
  s = wasm_store_new(engine);
  /* (the second instance fails at its memory, after its table) */
  lim = (wasm_store_limits){.max_memories = 1, .max_tables = 3};
  wasm_store_set_limits(s, &lim);
  CHECK(wasm_instance_pre_instantiate(pre, s, &inst, &err) == WASM_OK);
  CHECK(wasm_instance_pre_instantiate(pre, s, &inst, &err) == WASM_EXHAUSTED);
  CHECK(strstr(err.message, "too many memories") != NULL);
  CHECK(wasm_memory_new(s, (wasm_limits){0, 0, false}) == NULL);
  CHECK(wasm_table_new(s, WASM_FUNCREF, (wasm_limits){0, 0, false}, NULL) != NULL);
  CHECK(wasm_table_new(s, WASM_FUNCREF, (wasm_limits){0, 0, false}, NULL) == NULL);
  wasm_store_delete(s);
  wasm_instance_pre_delete(pre);
  wasm_linker_delete(l);
  wasm_module_delete(m);
}

/* Data segments whose offset reads an imported global are copied; an
 * out-of-bounds one traps after writing the earlier ones. */
static void test_dynamic_offsets(void) {
  wasm_error err = {0};
  wasm_module *m = compile(
      "(module (import \"env\" \"off\" (global i32)) (import \"env\" \"mem\" (memory 1))"
      "  (data (global.get 0) \"dyn\") (data (i32.const 65535) \"xx\"))");
  wasm_store *s = wasm_store_new(engine);
  wasm_linker *l = wasm_linker_new(engine);
  wasm_extern g = {.kind = WASM_EXTERN_GLOBAL}, mem = {.kind = WASM_EXTERN_MEMORY};
  g.of.global = wasm_global_new(s, WASM_I32, false, i32(100));
  mem.of.memory = wasm_memory_new(s, (wasm_limits){1, 0, false});
  wasm_linker_define(l, "env", "off", g);
  wasm_linker_define(l, "env", "mem", mem);
  wasm_instance_pre *pre = NULL;
  wasm_instance *inst = NULL;
  CHECK(wasm_linker_instantiate_pre(l, m, &pre, &err) == WASM_OK);
  if (pre) {
    CHECK(wasm_instance_pre_instantiate(pre, s, &inst, &err) == WASM_TRAP);
    CHECK(memcmp(wasm_memory_data(mem.of.memory) + 100, "dyn", 3) == 0);
    CHECK(wasm_memory_data(mem.of.memory)[65535] == 0);
  }
  wasm_instance_pre_delete(pre);
  wasm_linker_delete(l);
  wasm_store_delete(s);
  wasm_module_delete(m);
}

/* Two threads instantiate one pre-instance at once, each in its stores. */
typedef struct thread_arg {
  wasm_instance_pre *pre;
  int ok, bad;
} thread_arg;

static void *thread_main(void *p) {
  thread_arg *a = p;
  for (int i = 0; i < 200; i++) {
    wasm_error err = {0};
    wasm_store *s = wasm_store_new(engine);
    wasm_instance *inst = NULL;
    if (wasm_instance_pre_instantiate(a->pre, s, &inst, &err) == WASM_OK &&
        call(s, inst, "get", 1, 0, 0, 1, NULL) == 'A' &&
        call(s, inst, "get", 1, 70000, 0, 1, NULL) == 0 &&
        call(s, inst, "gget", 0, 0, 0, 1, NULL) == 42) {
      a->ok++;
      call(s, inst, "put", 2, 0, 'X', 0, NULL);
      call(s, inst, "put", 2, 70000, 'Y', 0, NULL);
    } else {
      a->bad++;
    }
    wasm_store_delete(s);
  }
  return NULL;
}

static void test_threads(void) {
  wasm_error err = {0};
  wasm_module *m = compile_main();
  wasm_linker *l = wasm_linker_new(engine);
  wasm_linker_define_func(l, "env", "plus1", type_i32_i32, host_plus1, NULL);
  wasm_instance_pre *pre = NULL;
  CHECK(m && wasm_linker_instantiate_pre(l, m, &pre, &err) == WASM_OK);
  if (!pre) return;
  thread_arg args[2] = {{pre, 0, 0}, {pre, 0, 0}};
  pthread_t th[2];
  for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, thread_main, &args[i]);
  for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
  CHECK(args[0].ok == 200 && args[1].ok == 200 && args[0].bad + args[1].bad == 0);
  wasm_instance_pre_delete(pre);
  wasm_linker_delete(l);
  wasm_module_delete(m);
}

int main(void) {
  engine = wasm_engine_new(NULL);
  static const uint8_t t1[1] = {WASM_I32};
  type_i32_i32 = wasm_functype_new(t1, 1, t1, 1);
  test_isolation();
  test_link_errors();
  test_elem_trap_order();
  test_pool_across_modules();
  test_store_limits();
  test_dynamic_offsets();
  test_threads();
  wasm_functype_delete(type_i32_i32);
  wasm_engine_delete(engine);
  return unit_report();
}
