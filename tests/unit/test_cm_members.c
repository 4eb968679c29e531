/*
 * test_cm_members.c: the functions of interface imports and exports
 * (cm_component_import_nfuncs and friends, cm_members.c) and
 * cm_functype_has_handles; the resources an interface import declares
 * itself (cm_component_import_nresources and friends).
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

/* An interface using a resource of another (a WIT `use`): the stream is
 * io's, not sink's. */
static const char *USES =
    "(component\n"
    "  (import \"test:io/streams\" (instance $io\n"
    "    (export \"stream\" (type (sub resource)))))\n"
    "  (alias export $io \"stream\" (type $stream))\n"
    "  (import \"test:demo/sink\" (instance\n"
    "    (alias outer 1 $stream (type $s))\n"
    "    (export \"stream\" (type $st (eq $s)))\n"
    "    (export \"writer\" (type $w (sub resource)))\n"
    "    (export \"[method]writer.to\" (func (param \"self\" (borrow $w))\n"
    "      (param \"out\" (borrow $st)) (result (option (own $w)))))\n"
    "  ))\n"
    ")\n";

static void uses(wasm_engine *e) {
  wasm_error err = {0};
  cm_component *c = unit_cm_compile(e, USES, &err);
  CHECKM(c != NULL, "compile: %s", err.message);
  if (!c) return;
  CHECK(cm_component_import_nresources(c, 0) == 1);
  CHECK(cm_component_import_nresources(c, 1) == 1); /* writer; stream is io's */
  const char *r = cm_component_import_resource_name(c, 1, 0);
  CHECK(r && strcmp(r, "writer") == 0);
  CHECK(cm_component_import_resource_name(c, 1, 1) == NULL);
  const cm_functype *to = cm_component_import_func_at(c, 1, 0);
  CHECK(to && to->nparams == 2 && to->result && to->result->kind == CM_OPTION);
  if (to && to->nparams == 2 && to->result && to->result->kind == CM_OPTION) {
    CHECK(cm_component_import_handle_resource(c, 1, to->params[0].type) == 0);
    CHECK(cm_component_import_handle_resource(c, 1, to->params[1].type) == -1);
    CHECK(cm_component_import_handle_resource(c, 1, to->result->as.option.t) == 0);
    CHECK(cm_component_import_handle_resource(c, 1, to->result) == -1); /* not a handle */
  }
  cm_component_delete(c);
}

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

  CHECK(cm_component_import_nresources(c, 0) == 1);
  const char *b = cm_component_import_resource_name(c, 0, 0);
  CHECK(b && strcmp(b, "blob") == 0);
  CHECK(cm_component_import_nresources(c, 1) == 0); /* a function import */
  if (ctor && ctor->result)
    CHECK(cm_component_import_handle_resource(c, 0, ctor->result) == 0);
  uses(e);

  cm_component_delete(c);
  wasm_engine_delete(e);
  return unit_report();
}
