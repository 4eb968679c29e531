/*
 * test_cm_members.c: the functions of interface imports and exports
 * (cm_component_import_nfuncs and friends, cm_members.c) and
 * cm_functype_has_handles.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit_cm.h"

static const char *WAT =
    "(component\n"
    "  (import \"test:demo/shapes@1.0.0\" (instance $shapes\n"
    "    (export \"blob\" (type $blob (sub resource)))\n"
    "    (type $pt (record (field \"x\" u32) (field \"y\" (list (own $blob)))))\n"
    "    (export \"point\" (type $point (eq $pt)))\n"
    "    (export \"[constructor]blob\" (func (param \"size\" u32) (result (own $blob))))\n"
    "    (export \"area\" (func (param \"s\" string) (result (option (list u8)))))\n"
    "    (export \"hidden\" (func (param \"p\" $point)))\n"
    "  ))\n"
    "  (import \"log\" (func $log (param \"msg\" string)))\n"
    "  (core module $m (func (export \"f\") (result i32) i32.const 7))\n"
    "  (core instance $i (instantiate $m))\n"
    "  (func $seven (result u32) (canon lift (core func $i \"f\")))\n"
    "  (instance $out (export \"seven\" (func $seven)))\n"
    "  (export \"test:demo/numbers@1.0.0\" (instance $out))\n"
    ")\n";

int main(void) {
  wasm_engine *e = wasm_engine_new(NULL);
  wasm_error err = {0};
  cm_component *c = unit_cm_compile(e, WAT, &err);
  CHECKM(c != NULL, "compile: %s", err.message);
  if (!c) return unit_report();

  CHECK(cm_component_import_nfuncs(c, 0) == 3);
  CHECK(cm_component_import_nfuncs(c, 1) == 0); /* a function, not an instance */
  CHECK(cm_component_import_nfuncs(c, 9) == 0);
  const char *n0 = cm_component_import_func_name(c, 0, 0);
  CHECK(n0 && strcmp(n0, "[constructor]blob") == 0);
  const char *n1 = cm_component_import_func_name(c, 0, 1);
  CHECK(n1 && strcmp(n1, "area") == 0);
  CHECK(cm_component_import_func_name(c, 0, 3) == NULL);
  const cm_functype *ctor = cm_component_import_func_at(c, 0, 0);
  const cm_functype *area = cm_component_import_func_at(c, 0, 1);
  const cm_functype *hidden = cm_component_import_func_at(c, 0, 2);
  CHECK(ctor && cm_functype_has_handles(ctor));
  CHECK(area && area->nparams == 1 && !cm_functype_has_handles(area));
  CHECK(hidden && cm_functype_has_handles(hidden)); /* own inside list inside record */
  CHECK(cm_component_import_func_at(c, 0, 7) == NULL);

  CHECK(cm_component_export_nfuncs(c, 0) == 1);
  const char *x = cm_component_export_func_name(c, 0, 0);
  CHECK(x && strcmp(x, "seven") == 0);
  const cm_functype *seven = cm_component_export_func_at(c, 0, 0);
  CHECK(seven && seven->nparams == 0 && seven->result && seven->result->kind == CM_U32);
  CHECK(!cm_functype_has_handles(seven));
  CHECK(!cm_functype_has_handles(NULL));

  cm_component_delete(c);
  wasm_engine_delete(e);
  return unit_report();
}
