/*
 * wasm_validate.c: module-level validation (WebAssembly 2.0, chapter 3):
 * types, limits, constant expressions, segments, start, exports; function
 * bodies are checked by wasm_validate_code.c.
 */
#include <stdlib.h>
#include <string.h>

#include "wasm_opcodes.h"
#include "wasm_read.h"
#include "wasm_validate.h"

#define TRY(x) do { wasm_status s_ = (x); if (s_ != WASM_OK) return s_; } while (0)

static wasm_status invalid(wasm_error *err, const char *msg) {
  return wasm_fail(err, WASM_INVALID, "%s", msg);
}

static wasm_status check_table_limits(const wasm_limits *l, wasm_error *err) {
  if (l->has_max && l->min > l->max)
    return invalid(err, "size minimum must not be greater than maximum");
  return WASM_OK;
}

static wasm_status check_memory_limits(const wasm_limits *l, wasm_error *err) {
  if (l->min > WASM_MAX_PAGES || (l->has_max && l->max > WASM_MAX_PAGES))
    return invalid(err, "memory size must be at most 65536 pages (4GiB)");
  if (l->has_max && l->min > l->max)
    return invalid(err, "size minimum must not be greater than maximum");
  return WASM_OK;
}

/* A constant expression of type `want`. In 2.0 only imported globals are
 * visible to constant expressions, and only immutable ones are constant. */
static wasm_status check_const(const wasm_module *m, const wasm_constexpr *e,
                               uint8_t want, wasm_error *err) {
  wasm_reader r = {m->bytes, e->code, e->code + e->len};
  wasm_instr in;
  uint32_t depth = 0;
  uint8_t top = 0;
  for (;;) {
    TRY(wasm_read_instr(&r, &in, err));
    switch (in.op) {
    case WASM_OP_I32_CONST: top = WASM_I32; break;
    case WASM_OP_I64_CONST: top = WASM_I64; break;
    case WASM_OP_F32_CONST: top = WASM_F32; break;
    case WASM_OP_F64_CONST: top = WASM_F64; break;
    case WASM_OP_V128_CONST: top = WASM_V128; break;
    case WASM_OP_REF_NULL: top = in.imm.reftype; break;
    case WASM_OP_REF_FUNC:
      if (in.imm.index >= wasm_module_total_funcs(m))
        return wasm_fail(err, WASM_INVALID, "unknown function %u", in.imm.index);
      top = WASM_FUNCREF;
      break;
    case WASM_OP_GLOBAL_GET: {
      if (in.imm.index >= m->nglobal_imports)
        return wasm_fail(err, WASM_INVALID, "unknown global %u", in.imm.index);
      wasm_globaltype g = wasm_module_global_type(m, in.imm.index);
      if (g.mutable_) return invalid(err, "constant expression required");
      top = g.kind;
      break;
    }
    case WASM_OP_END:
      if (depth != 1 || top != want) return invalid(err, "type mismatch");
      return WASM_OK;
    default:
      return invalid(err, "constant expression required");
    }
    depth++;
  }
}

/* A tag's type: a function type without results. */
static wasm_status check_tag_type(const wasm_module *m, uint32_t type, wasm_error *err) {
  if (type >= m->ntypes) return wasm_fail(err, WASM_INVALID, "unknown type %u", type);
  if (m->types[type].nresults) return invalid(err, "non-empty tag result type");
  return WASM_OK;
}

static wasm_status check_imports(const wasm_module *m, wasm_error *err) {
  for (uint32_t i = 0; i < m->nimports; i++) {
    const wasm_import *im = &m->imports[i];
    switch (im->kind) {
    case WASM_EXTERN_FUNC:
      if (im->as.func_type >= m->ntypes)
        return wasm_fail(err, WASM_INVALID, "unknown type %u", im->as.func_type);
      break;
    case WASM_EXTERN_TABLE:
      TRY(check_table_limits(&im->as.table.limits, err));
      break;
    case WASM_EXTERN_MEMORY:
      TRY(check_memory_limits(&im->as.memory.limits, err));
      break;
    case WASM_EXTERN_GLOBAL:
      break;
    case WASM_EXTERN_TAG:
      TRY(check_tag_type(m, im->as.tag_type, err));
      break;
    }
  }
  for (uint32_t i = 0; i < m->ntags; i++) TRY(check_tag_type(m, m->tags[i], err));
  return WASM_OK;
}

static wasm_status check_elems(const wasm_module *m, wasm_error *err) {
  uint32_t nfuncs = wasm_module_total_funcs(m);
  for (uint32_t i = 0; i < m->nelems; i++) {
    const wasm_elem *e = &m->elems[i];
    if (e->mode == WASM_SEG_ACTIVE) {
      if (e->table >= wasm_module_total_tables(m))
        return wasm_fail(err, WASM_INVALID, "unknown table %u", e->table);
      TRY(check_const(m, &e->offset, WASM_I32, err));
      if (wasm_module_table_type(m, e->table).elem != e->elem_kind)
        return invalid(err, "type mismatch");
    }
    for (uint32_t k = 0; k < e->count; k++) {
      if (e->exprs) {
        TRY(check_const(m, &e->exprs[k], e->elem_kind, err));
      } else if (e->func_indices[k] >= nfuncs) {
        return wasm_fail(err, WASM_INVALID, "unknown function %u",
                         e->func_indices[k]);
      }
    }
  }
  return WASM_OK;
}

static wasm_status check_datas(const wasm_module *m, wasm_error *err) {
  for (uint32_t i = 0; i < m->ndatas; i++) {
    const wasm_data *d = &m->datas[i];
    if (d->mode != WASM_SEG_ACTIVE) continue;
    if (d->memory >= wasm_module_total_memories(m))
      return wasm_fail(err, WASM_INVALID, "unknown memory %u", d->memory);
    TRY(check_const(m, &d->offset, WASM_I32, err));
  }
  return WASM_OK;
}

static int cmp_export(const void *a, const void *b) {
  const wasm_export *x = *(const wasm_export *const *)a;
  const wasm_export *y = *(const wasm_export *const *)b;
  if (x->name_len != y->name_len) return x->name_len < y->name_len ? -1 : 1;
  return memcmp(x->name, y->name, x->name_len);
}

static wasm_status check_exports(const wasm_module *m, wasm_error *err) {
  for (uint32_t i = 0; i < m->nexports; i++) {
    const wasm_export *ex = &m->exports[i];
    uint32_t limit = 0;
    const char *what = "";
    switch (ex->kind) {
    case WASM_EXTERN_FUNC: limit = wasm_module_total_funcs(m); what = "function"; break;
    case WASM_EXTERN_TABLE: limit = wasm_module_total_tables(m); what = "table"; break;
    case WASM_EXTERN_MEMORY: limit = wasm_module_total_memories(m); what = "memory"; break;
    case WASM_EXTERN_GLOBAL: limit = wasm_module_total_globals(m); what = "global"; break;
    case WASM_EXTERN_TAG: limit = wasm_module_total_tags(m); what = "tag"; break;
    }
    if (ex->index >= limit)
      return wasm_fail(err, WASM_INVALID, "unknown %s %u", what, ex->index);
  }
  if (m->nexports < 2) return WASM_OK;
  /* Duplicate names: sort indices by name, compare neighbours. */
  const wasm_export **idx = malloc(m->nexports * sizeof *idx);
  if (!idx) return wasm_fail(err, WASM_NOMEM, "out of memory");
  for (uint32_t i = 0; i < m->nexports; i++) idx[i] = &m->exports[i];
  qsort(idx, m->nexports, sizeof *idx, cmp_export);
  wasm_status s = WASM_OK;
  for (uint32_t i = 1; i < m->nexports && s == WASM_OK; i++)
    if (cmp_export(&idx[i - 1], &idx[i]) == 0)
      s = invalid(err, "duplicate export name");
  free(idx);
  return s;
}

wasm_status wasm_validate(const wasm_module *m, wasm_error *err) {
  TRY(check_imports(m, err));
  for (uint32_t i = 0; i < m->nfuncs; i++)
    if (m->funcs[i].type >= m->ntypes)
      return wasm_fail(err, WASM_INVALID, "unknown type %u", m->funcs[i].type);
  for (uint32_t i = 0; i < m->ntables; i++)
    TRY(check_table_limits(&m->tables[i].limits, err));
  for (uint32_t i = 0; i < m->nmemories; i++)
    TRY(check_memory_limits(&m->memories[i].limits, err));
  if (wasm_module_total_memories(m) > 1 && !wasm_module_multi_memory(m))
    return invalid(err, "multiple memories");
  for (uint32_t i = 0; i < m->nglobals; i++)
    TRY(check_const(m, &m->globals[i].init, m->globals[i].type.kind, err));
  TRY(check_elems(m, err));
  TRY(check_datas(m, err));
  if (m->has_start) {
    const wasm_functype *t = wasm_module_func_type(m, m->start);
    if (m->start >= wasm_module_total_funcs(m))
      return wasm_fail(err, WASM_INVALID, "unknown function %u", m->start);
    if (!t || t->nparams || t->nresults) return invalid(err, "start function");
  }
  TRY(check_exports(m, err));
  for (uint32_t i = 0; i < m->nfuncs; i++) TRY(wasm_validate_func(m, i, err));
  return WASM_OK;
}
