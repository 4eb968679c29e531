/*
 * test_cm_host.c: the component host API: components written in component
 * WAT, instantiated with a cm_linker, called with cm_val arguments; host
 * functions called by components; imports the host lacks; malformed input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stratus/component.h"

static int failures, checks;

#define CHECK(cond, ...)                                                   \
  do {                                                                     \
    checks++;                                                              \
    if (!(cond)) {                                                         \
      failures++;                                                          \
      printf("FAIL %s:%d: ", __FILE__, __LINE__);                          \
      printf(__VA_ARGS__);                                                 \
      printf("\n");                                                        \
    }                                                                      \
  } while (0)

static cm_component *compile(wasm_engine *e, const char *wat, wasm_error *err) {
  uint8_t *bin = NULL;
  size_t n = 0;
  if (cm_wat_to_binary(wat, strlen(wat), &bin, &n, err) != WASM_OK) return NULL;
  cm_component *c = NULL;
  wasm_status st = cm_component_new(e, bin, n, &c, err);
  free(bin);
  return st == WASM_OK ? c : NULL;
}

static const char *LIBC =
    "(core module $M\n"
    "  (memory (export \"mem\") 1)\n"
    "  (global $next (mut i32) (i32.const 1024))\n"
    "  (func (export \"realloc\") (param i32 i32 i32 i32) (result i32)\n"
    "    (local $r i32)\n"
    "    (global.set $next (i32.and (i32.add (global.get $next) (i32.const 7)) (i32.const -8)))\n"
    "    (local.set $r (global.get $next))\n"
    "    (global.set $next (i32.add (global.get $next) (local.get 3)))\n"
    "    (if (local.get 0) (then (memory.copy (local.get $r) (local.get 0) (local.get 1))))\n"
    "    (local.get $r))\n"
    "  (func (export \"add\") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))\n"
    "  (func (export \"echo\") (param i32 i32) (result i32)\n"
    "    (i32.store (i32.const 0) (local.get 0))\n"
    "    (i32.store (i32.const 4) (local.get 1))\n"
    "    (i32.const 0))\n"
    ")\n";

static cm_val str_val(const char *s) {
  cm_val v;
  memset(&v, 0, sizeof v);
  v.kind = CM_STRING;
  v.of.str.len = strlen(s);
  v.of.str.ptr = malloc(v.of.str.len + 1);
  memcpy(v.of.str.ptr, s, v.of.str.len + 1);
  return v;
}

/* Exports: numbers and strings in each encoding round-trip. */
static void test_exports(wasm_engine *e) {
  static const char *encs[] = {"utf8", "utf16", "latin1+utf16"};
  for (int k = 0; k < 3; k++) {
    char wat[4096];
    snprintf(wat, sizeof wat,
             "(component\n%s"
             "  (core instance $m (instantiate $M))\n"
             "  (func (export \"add\") (param \"a\" u32) (param \"b\" u32) (result u32)\n"
             "    (canon lift (core func $m \"add\")))\n"
             "  (func (export \"echo\") (param \"s\" string) (result string)\n"
             "    (canon lift (core func $m \"echo\") string-encoding=%s\n"
             "      (memory (core memory $m \"mem\")) (realloc (core func $m \"realloc\"))))\n"
             ")\n",
             LIBC, encs[k]);
    wasm_error err = {0};
    cm_component *c = compile(e, wat, &err);
    CHECK(c != NULL, "compile (%s): %s", encs[k], err.message);
    if (!c) continue;
    wasm_store *s = wasm_store_new(e);
    cm_linker *l = cm_linker_new(e);
    cm_instance *inst = NULL;
    wasm_status st = cm_linker_instantiate(l, s, c, &inst, &err);
    CHECK(st == WASM_OK, "instantiate: %s", err.message);
    if (st == WASM_OK) {
      cm_func *add = cm_instance_func(inst, "add");
      CHECK(add != NULL, "no export add");
      cm_val args[2] = {{.kind = CM_U32, .of.u = 40}, {.kind = CM_U32, .of.u = 2}}, res;
      if (add) {
        st = cm_func_call(add, args, 2, &res, &err);
        CHECK(st == WASM_OK && res.kind == CM_U32 && res.of.u == 42, "add: %s", err.message);
      }
      cm_func *echo = cm_instance_func(inst, "echo");
      const char *samples[] = {"", "hello", "h\xc3\xb6", "\xe2\x98\x83\xf0\x9f\x8d\xb0 ok"};
      for (int i = 0; echo && i < 4; i++) {
        cm_val a = str_val(samples[i]);
        st = cm_func_call(echo, &a, 1, &res, &err);
        CHECK(st == WASM_OK && cm_val_equal(&a, &res), "echo %s \"%s\": %s", encs[k],
              samples[i], err.message);
        if (st == WASM_OK) cm_val_free(&res);
        cm_val_free(&a);
      }
      cm_instance_delete(inst);
    }
    cm_linker_delete(l);
    wasm_store_delete(s);
    cm_component_delete(c);
  }
}

/* Imports: a host function called by the component, and a missing one. */
static wasm_status host_double(void *env, cm_instance *caller, const cm_val *args,
                               size_t nargs, cm_val *result, wasm_error *err) {
  (*(int *)env)++;
  result->kind = CM_U32;
  result->of.u = args[0].of.u * 2;
  return WASM_OK;
}

static void test_imports(wasm_engine *e) {
  const char *wat =
      "(component\n"
      "  (import \"test:demo/math@0.2.1\" (instance $math\n"
      "    (export \"double\" (func (param \"x\" u32) (result u32)))))\n"
      "  (alias export $math \"double\" (func $double))\n"
      "  (core func $d (canon lower (func $double)))\n"
      "  (core module $M (import \"\" \"d\" (func $d (param i32) (result i32)))\n"
      "    (func (export \"run\") (param i32) (result i32) (i32.add (call $d (local.get 0)) (i32.const 1))))\n"
      "  (core instance $m (instantiate $M (with \"\" (instance (export \"d\" (func $d))))))\n"
      "  (func (export \"run\") (param \"x\" u32) (result u32) (canon lift (core func $m \"run\")))\n"
      ")\n";
  wasm_error err = {0};
  cm_component *c = compile(e, wat, &err);
  CHECK(c != NULL, "compile: %s", err.message);
  if (!c) return;
  wasm_store *s = wasm_store_new(e);
  /* missing interface */
  cm_linker *l = cm_linker_new(e);
  cm_instance *inst = NULL;
  wasm_status st = cm_linker_instantiate(l, s, c, &inst, &err);
  CHECK(st == WASM_LINK_ERROR && strstr(err.message, "test:demo/math@0.2.1"),
        "missing import: %d %s", st, err.message);
  /* provided with a semver-compatible version */
  int calls = 0;
  st = cm_linker_define_func(l, "test:demo/math@0.2.5", "double", "func(x: u32) -> u32",
                             host_double, &calls, &err);
  CHECK(st == WASM_OK, "define: %s", err.message);
  st = cm_linker_instantiate(l, s, c, &inst, &err);
  CHECK(st == WASM_OK, "instantiate: %s", err.message);
  if (st == WASM_OK) {
    cm_func *run = cm_instance_func(inst, "run");
    cm_val a = {.kind = CM_U32, .of.u = 20}, res;
    st = run ? cm_func_call(run, &a, 1, &res, &err) : WASM_BAD_ARG;
    CHECK(st == WASM_OK && res.of.u == 41 && calls == 1, "run: %s", err.message);
    cm_instance_delete(inst);
  }
  cm_linker_delete(l);
  wasm_store_delete(s);
  cm_component_delete(c);
}

static void test_malformed(wasm_engine *e) {
  static const uint8_t bad[][12] = {
      {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0x07, 0xff},
      {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00},
      {0x00, 0x61, 0x73},
  };
  static const size_t lens[] = {10, 8, 3};
  for (int i = 0; i < 3; i++) {
    cm_component *c = NULL;
    wasm_error err = {0};
    wasm_status st = cm_component_new(e, bad[i], lens[i], &c, &err);
    CHECK(st != WASM_OK && c == NULL, "malformed %d accepted", i);
  }
}

int main(void) {
  wasm_engine *e = wasm_engine_new(NULL);
  test_exports(e);
  test_imports(e);
  test_malformed(e);
  wasm_engine_delete(e);
  printf("test_cm_host: %d/%d checks passed\n", checks - failures, checks);
  return failures ? 1 : 0;
}
