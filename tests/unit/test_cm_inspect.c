/*
 * test_cm_inspect.c: the inspection API (cm_inspect.c): import/export
 * kinds and function types, the world rendered in WIT (named records,
 * variants, enums, flags, resources with methods, `use` of a type another
 * interface exports), and cm_linker_check_imports against a linker that
 * holds only part of what a component imports.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit_cm.h"

/* Imports two interfaces (the second uses the first's resource), a root
 * function; exports a function. */
static const char *WAT =
    "(component\n"
    "  (import \"test:demo/shapes@1.0.0\" (instance $shapes\n"
    "    (export \"blob\" (type $blob (sub resource)))\n"
    "    (type $pt (record (field \"x\" u32) (field \"y\" u32)))\n"
    "    (export \"point\" (type $point (eq $pt)))\n"
    "    (type $col (enum \"red\" \"green\"))\n"
    "    (export \"color\" (type $color (eq $col)))\n"
    "    (type $perm (flags \"read\" \"write\"))\n"
    "    (export \"perm\" (type $p2 (eq $perm)))\n"
    "    (type $sh (variant (case \"dot\" $point) (case \"none\")))\n"
    "    (export \"shape\" (type $shape (eq $sh)))\n"
    "    (export \"[constructor]blob\" (func (param \"size\" u32) (result (own $blob))))\n"
    "    (export \"[method]blob.size\" (func (param \"self\" (borrow $blob)) (result u32)))\n"
    "    (export \"area\" (func (param \"s\" $shape) (param \"c\" $color) (result (option (list u8)))))\n"
    "  ))\n"
    "  (alias export $shapes \"blob\" (type $b))\n"
    "  (import \"test:demo/store@1.0.0\" (instance\n"
    "    (alias outer 1 $b (type $ob))\n"
    "    (export \"blob\" (type $blob2 (eq $ob)))\n"
    "    (export \"put\" (func (param \"b\" (own $blob2)) (result (result string (error u8)))))\n"
    "  ))\n"
    "  (import \"log\" (func $log (param \"msg\" string)))\n"
    "  (core module $m (func (export \"f\") (result i32) i32.const 7))\n"
    "  (core instance $i (instantiate $m))\n"
    "  (func (export \"seven\") (result u32) (canon lift (core func $i \"f\")))\n"
    ")\n";

static wasm_status nop_fn(void *env, cm_instance *caller, const cm_val *args, size_t nargs,
                          cm_val *result, wasm_error *err) {
  return WASM_OK;
}

int main(void) {
  wasm_engine *e = wasm_engine_new(NULL);
  wasm_error err = {0};
  cm_component *c = unit_cm_compile(e, WAT, &err);
  CHECKM(c != NULL, "compile: %s", err.message);
  if (!c) return unit_report();

  CHECK(cm_component_import_count(c) == 3);
  CHECK(cm_component_import_kind(c, 0) == CM_EXTERN_INSTANCE);
  CHECK(cm_component_import_kind(c, 2) == CM_EXTERN_FUNC);
  CHECK(cm_component_import_kind(c, 99) == CM_EXTERN_OTHER);
  const cm_functype *log = cm_component_import_func(c, 2);
  CHECK(log && log->nparams == 1 && log->params[0].type->kind == CM_STRING && !log->result);
  CHECK(cm_component_import_func(c, 0) == NULL);
  CHECK(cm_component_export_count(c) == 1);
  CHECK(cm_component_export_kind(c, 0) == CM_EXTERN_FUNC);
  const cm_functype *seven = cm_component_export_func(c, 0);
  CHECK(seven && seven->nparams == 0 && seven->result && seven->result->kind == CM_U32);

  char *wit = cm_component_wit(c, "demo");
  CHECK(wit != NULL);
  static const char *const parts[] = {
      "package root:component;\n\nworld demo {\n",
      "  import test:demo/shapes@1.0.0;\n",
      "  import test:demo/store@1.0.0;\n",
      "  import log: func(msg: string);\n",
      "  export seven: func() -> u32;\n",
      "package test:demo@1.0.0 {\n",
      "  interface shapes {\n",
      "    resource blob {\n      constructor(size: u32);\n      size: func() -> u32;\n    }\n",
      "    record point {\n      x: u32,\n      y: u32,\n    }\n",
      "    enum color {\n      red,\n      green,\n    }\n",
      "    flags perm {\n      read,\n      write,\n    }\n",
      "    variant shape {\n      dot(point),\n      none,\n    }\n",
      "    area: func(s: shape, c: color) -> option<list<u8>>;\n",
      "  interface store {\n    use test:demo/shapes@1.0.0.{blob};\n",
      "    put: func(b: blob) -> result<string, u8>;\n",
  };
  for (size_t i = 0; wit && i < sizeof parts / sizeof parts[0]; i++) {
    bool found = strstr(wit, parts[i]) != NULL;
    CHECK(found);
    if (!found) fprintf(stderr, "missing in WIT:\n%s\n--- WIT:\n%s\n", parts[i], wit);
  }
  free(wit);
  wit = cm_component_wit(c, NULL);
  CHECK(wit && strstr(wit, "world root {"));
  free(wit);

  /* A linker with only `log` and the store interface: shapes is missing. */
  cm_linker *l = cm_linker_new(e);
  CHECK(cm_linker_define_func(l, NULL, "log", "func(msg: string)", nop_fn, NULL, &err) == WASM_OK);
  CHECK(cm_linker_define_func(l, "test:demo/store@1.0.0", "put", "", nop_fn, NULL, &err) ==
        WASM_OK);
  char *why[3] = {0};
  CHECK(cm_linker_check_imports(l, c, why, &err) == WASM_OK);
  CHECK(why[0] && strstr(why[0], "test:demo/shapes@1.0.0"));
  CHECK(why[1] == NULL);
  CHECK(why[2] == NULL);
  for (int i = 0; i < 3; i++) free(why[i]);
  cm_linker_delete(l);

  /* An empty linker: every import is missing. */
  l = cm_linker_new(e);
  CHECK(cm_linker_check_imports(l, c, why, &err) == WASM_OK);
  CHECK(why[0] && why[1] && why[2] && strstr(why[2], "log"));
  for (int i = 0; i < 3; i++) free(why[i]);
  CHECK(cm_linker_check_imports(NULL, c, why, &err) == WASM_BAD_ARG);
  cm_linker_delete(l);

  cm_component_delete(c);
  wasm_engine_delete(e);
  return unit_report();
}
