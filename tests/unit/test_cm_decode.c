/* test_cm_decode.c: component validation rules (cm_decode.c,
 * cm_validate*.c): extern names, external visibility of types, annotated
 * resource names, outer aliases, core module names, built-in core
 * signatures. Components are written in text (cm_wat_to_binary); each is
 * expected to validate, or to fail with a message containing a fragment.
 * Prints "N passed, N failed". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit_cm.h"

static wasm_engine *engine;

/* want == NULL: must validate; else must fail with want in the message. */
static void expect(const char *wat, const char *want, int line) {
  uint8_t *bin = NULL;
  size_t n = 0;
  wasm_error err;
  if (cm_wat_to_binary(wat, strlen(wat), &bin, &n, &err) != WASM_OK) {
    unit_checkm(0, __FILE__, line, "text: %s", err.message);
    return;
  }
  cm_component *c = NULL;
  wasm_status st = cm_component_new(engine, bin, n, &c, &err);
  free(bin);
  int ok = want ? st != WASM_OK && strstr(err.message, want) != NULL
                : st == WASM_OK;
  unit_checkm(ok, __FILE__, line, "%s", st ? err.message : "validated");
  if (!st) cm_component_delete(c);
}
#define VALID(w) expect(w, NULL, __LINE__)
#define INVALID(w, m) expect(w, m, __LINE__)

static void test_names(void) {
  VALID("(component (import \"go-1\" (func)) (import \"B-1-C\" (func)))");
  VALID("(component (import \"a11-B11-123-ABC-abc\" (func)))");
  VALID("(component (import \"ns-1:b-1/D-2@1.0.0-rc.1+b.2\" (func)))");
  INVALID("(component (import \"1-a\" (func)))", "not in kebab case");
  INVALID("(component (import \"a-\" (func)))", "not in kebab case");
  INVALID("(component (import \"aBc\" (func)))", "not in kebab case");
  INVALID("(component (import \"A:b/c\" (func)))", "not a valid extern name");
  INVALID("(component (import \"a:b/c@1.\" (func)))", "unexpected end of input");
  INVALID("(component (import \"a:b/c@2.0.0+\" (func)))",
          "empty identifier segment");
  INVALID("(component (import \"a:b/c/d\" (func)))", "trailing characters");
  INVALID("(component (import \"a:b:c/d\" (func)))",
          "expected `/` after package name");
  INVALID("(component (import \"a\" (implements \"x\") (instance)))",
          "must be an interface");
  INVALID("(component (import \"a:b/c\" (implements \"a:b/d\") (instance)))",
          "is not valid with `implements`");
  INVALID("(component (import \"a\" (func)) (import \"A\" (func)))",
          "conflicts with previous name");
}

static void test_visibility(void) {
  INVALID("(component (type $r (record (field \"x\" u32)))"
          " (type $l (list $r)) (export \"t\" (type $l)))",
          "type not valid to be used as export");
  VALID("(component (type $r (record (field \"x\" u32)))"
        " (export $r2 \"r\" (type $r))"
        " (type $l (list $r2)) (export \"t\" (type $l)))");
  INVALID("(component (type $R (resource (rep i32)))"
          " (import \"f\" (func (result (own $R)))))",
          "func not valid to be used as import");
  VALID("(component (type (instance (type $r (record (field \"x\" u32)))"
        " (export \"f\" (func (param \"x\" $r))))))");
}

static void test_annotated(void) {
  VALID("(component (import \"a\" (type $a (sub resource)))"
        " (import \"[constructor]a\" (func (result (own $a))))"
        " (import \"[method]a.b\" (func (param \"self\" (borrow $a))))"
        " (import \"[static]a.c\" (func)))");
  INVALID("(component (import \"b\" (type $a (sub resource)))"
          " (import \"[constructor]a\" (func (result (own $a)))))",
          "does not match expected resource name `b`");
  INVALID("(component (import \"a\" (type $a (sub resource)))"
          " (import \"[method]a.b\" (func (param \"x\" (borrow $a)))))",
          "first argument called `self`");
  INVALID("(component (import \"[static]a.b\" (func)))",
          "static resource name is not known");
}

static void test_misc(void) {
  INVALID("(component $C (type $R (resource (rep i32)))"
          " (component (alias outer $C $R (type $a))))",
          "transitively refers to resources");
  INVALID("(component $C (component $D)"
          " (type (component (alias outer $C $D (component $a)))))",
          "may only refer to types or instances");
  INVALID("(component (core module (import \"\" \"a\" (func))"
          " (import \"\" \"a\" (func))))", "duplicate import name `:a`");
  VALID("(component (core func $g (canon context.get i32 0))"
        " (core module $m (import \"\" \"g\" (func (result i32))))"
        " (core instance (instantiate $m (with \"\" (instance"
        " (export \"g\" (func $g)))))))");
}

int main(void) {
  engine = wasm_engine_new(NULL);
  test_names();
  test_visibility();
  test_annotated();
  test_misc();
  wasm_engine_delete(engine);
  return unit_report();
}
