/* test_runtime.c: runtime objects and instantiation: memory and table
 * limits (type maximum, store limits), import matching against the current
 * size of imported objects, function identity across modules, partial
 * initialisation on a trap, and exports whose names hold NUL bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stratus/wasm.h"
#include "unit.h"


static wasm_engine *engine;

static wasm_module *compile(const char *wat) {
  wasm_error err = {0};
  return unit_compile(engine, wat, &err, 0);
}

static void test_memory_and_table_limits(void) {
  wasm_store *s = wasm_store_new(engine);
  /* A memory of at most 0 pages still has a data pointer. */
  wasm_memory *m0 = wasm_memory_new(s, (wasm_limits){0, 0, true});
  CHECK(m0 && wasm_memory_data(m0) != NULL && wasm_memory_size(m0) == 0);
  CHECK(wasm_memory_grow(m0, 0) == 0);
  CHECK(wasm_memory_grow(m0, 1) == -1);
  /* Without a maximum: up to 65536 pages; data never moves. */
  wasm_memory *m1 = wasm_memory_new(s, (wasm_limits){1, 0, false});
  uint8_t *base = wasm_memory_data(m1);
  CHECK(wasm_memory_grow(m1, 65536) == -1);
  CHECK(wasm_memory_grow(m1, 2) == 1);
  CHECK(wasm_memory_data(m1) == base && wasm_memory_limits(m1).min == 3);
  base[3 * 65536 - 1] = 1;
  /* Store limits cap memories and tables. */
  wasm_store_limits lim = {.max_memory_bytes = 4 * 65536, .max_table_elems = 100};
  wasm_store_set_limits(s, &lim);
  CHECK(wasm_memory_new(s, (wasm_limits){5, 0, false}) == NULL);
  wasm_memory *m2 = wasm_memory_new(s, (wasm_limits){1, 10, true});
  CHECK(m2 && wasm_memory_grow(m2, 3) == 1 && wasm_memory_grow(m2, 1) == -1);
  CHECK(wasm_table_new(s, WASM_FUNCREF, (wasm_limits){101, 0, false}, NULL) == NULL);
  wasm_table *t = wasm_table_new(s, WASM_EXTERNREF, (wasm_limits){2, 50, true}, (void *)8);
  void *ref = NULL;
  CHECK(t && wasm_table_get(t, 1, &ref) && ref == (void *)8);
  CHECK(wasm_table_grow(t, 48, (void *)9) == 2 && wasm_table_size(t) == 50);
  CHECK(wasm_table_get(t, 49, &ref) && ref == (void *)9);
  CHECK(wasm_table_grow(t, 1, NULL) == -1 && wasm_table_grow(t, 0, NULL) == 50);
  CHECK(!wasm_table_set(t, 50, NULL) && wasm_table_set(t, 49, NULL));
  wasm_store_delete(s);
}

static void test_linking(void) {
  wasm_error err = {0};
  wasm_store *s = wasm_store_new(engine);
  wasm_linker *l = wasm_linker_new(engine);
  wasm_module *a = compile(
      "(module (memory (export \"mem\") 1 4) (table (export \"tab\") 2 funcref)"
      "  (func $f (export \"f\") (result i32) (i32.const 1))"
      "  (func (export \"\\00nul\") (result i32) (i32.const 2)))");
  wasm_module *b = compile(
      "(module (import \"a\" \"f\" (func $f (result i32)))"
      "  (import \"a\" \"tab\" (table 2 funcref))"
      "  (import \"a\" \"mem\" (memory 3))"
      "  (elem (i32.const 1) $f)"
      "  (data (i32.const 0) \"ok\") (data (i32.const 196607) \"xy\"))");
  wasm_module *c = compile("(module (import \"a\" \"mem\" (memory 1 2)))");
  wasm_module *d = compile("(module (import \"a\" \"f\" (func (result i64))))");
  CHECK(a && b && c && d);
  if (!a || !b || !c || !d) return;
  wasm_instance *ia = NULL, *ib = NULL;
  CHECK(wasm_linker_instantiate(l, s, a, &ia, &err) == WASM_OK);
  CHECK(wasm_linker_define_instance(l, "a", ia) == WASM_OK);
  wasm_extern mem, f, tab, nul;
  CHECK(wasm_instance_export(ia, "mem", &mem) && wasm_instance_export(ia, "f", &f));
  CHECK(wasm_instance_export(ia, "tab", &tab));
  CHECK(wasm_instance_export_n(ia, "\0nul", 4, &nul) && nul.kind == WASM_EXTERN_FUNC);
  CHECK(!wasm_instance_export(ia, "nope", &nul));

  /* The memory has 1 page but b wants 3: unlinkable until it grows. */
  CHECK(wasm_linker_instantiate(l, s, b, &ib, &err) == WASM_LINK_ERROR);
  CHECK(strcmp(err.message, "incompatible import type a.mem") == 0);
  CHECK(wasm_memory_grow(mem.of.memory, 2) == 1);
  /* Instantiation traps on the second data segment; the first one and the
   * element segment stay written, with a's own function object. */
  CHECK(wasm_linker_instantiate(l, s, b, &ib, &err) == WASM_TRAP && ib == NULL);
  CHECK(strncmp(err.message, "out of bounds memory access", 27) == 0);
  CHECK(memcmp(wasm_memory_data(mem.of.memory), "ok", 2) == 0);
  void *ref = NULL;
  CHECK(wasm_table_get(tab.of.table, 1, &ref) && ref == f.of.func);

  /* Limits subtyping uses the maximum: 4 > 2. Types must match exactly. */
  wasm_instance *ic = NULL;
  CHECK(wasm_linker_instantiate(l, s, c, &ic, &err) == WASM_LINK_ERROR);
  CHECK(wasm_linker_instantiate(l, s, d, &ic, &err) == WASM_LINK_ERROR);
  CHECK(strcmp(err.message, "incompatible import type a.f") == 0);
  wasm_linker *empty = wasm_linker_new(engine);
  CHECK(wasm_linker_instantiate(empty, s, d, &ic, &err) == WASM_LINK_ERROR);
  CHECK(strcmp(err.message, "unknown import a.f") == 0);
  /* Imports given by position. */
  CHECK(wasm_instantiate(s, c, &mem, 0, &ic, &err) == WASM_LINK_ERROR);
  wasm_linker_delete(empty);
  wasm_linker_delete(l);
  wasm_store_delete(s);
  wasm_module_delete(a);
  wasm_module_delete(b);
  wasm_module_delete(c);
  wasm_module_delete(d);
}

int main(void) {
  engine = wasm_engine_new(NULL);
  test_memory_and_table_limits();
  test_linking();
  wasm_engine_delete(engine);
  return unit_report();
}
