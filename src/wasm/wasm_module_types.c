/*
 * wasm_module_types.c: full import/export types of a compiled module, for
 * embedders that type-check instantiation themselves (the component layer).
 */
#include "wasm_module.h"

static void externtype_of(const wasm_module *m, wasm_externkind kind,
                          uint32_t index, wasm_externtype *out) {
  *out = (wasm_externtype){.kind = kind};
  switch (kind) {
  case WASM_EXTERN_FUNC:
    out->func = wasm_module_func_type(m, index);
    break;
  case WASM_EXTERN_TABLE: {
    wasm_tabletype t = wasm_module_table_type(m, index);
    out->elem = t.elem;
    out->limits = t.limits;
    break;
  }
  case WASM_EXTERN_MEMORY:
    out->limits = wasm_module_memory_type(m, index).limits;
    break;
  case WASM_EXTERN_GLOBAL: {
    wasm_globaltype g = wasm_module_global_type(m, index);
    out->global_kind = g.kind;
    out->global_mutable = g.mutable_;
    break;
  }
  case WASM_EXTERN_TAG:
    out->func = &m->types[wasm_module_tag_type(m, index)];
    break;
  }
}

void wasm_module_import_type(const wasm_module *m, uint32_t i,
                             wasm_externtype *out) {
  const wasm_import *im = &m->imports[i];
  *out = (wasm_externtype){.kind = im->kind};
  switch (im->kind) {
  case WASM_EXTERN_FUNC:
    out->func = &m->types[im->as.func_type];
    break;
  case WASM_EXTERN_TABLE:
    out->elem = im->as.table.elem;
    out->limits = im->as.table.limits;
    break;
  case WASM_EXTERN_MEMORY:
    out->limits = im->as.memory.limits;
    break;
  case WASM_EXTERN_GLOBAL:
    out->global_kind = im->as.global.kind;
    out->global_mutable = im->as.global.mutable_;
    break;
  case WASM_EXTERN_TAG:
    out->func = &m->types[im->as.tag_type];
    break;
  }
}

void wasm_module_export_type(const wasm_module *m, uint32_t i,
                             wasm_externtype *out) {
  const wasm_export *ex = &m->exports[i];
  externtype_of(m, ex->kind, ex->index, out);
}
