/*
 * wasm_instance.c: instantiation in the spec's order (imports, allocation,
 * globals, element and data segments, start function), constant
 * expressions, exports and the linker.
 */
#include "wasm_runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm_opcodes.h"

/* ---- constant expressions ---- */

/* Deep enough for any extended-const expression a sane module holds. */
#define CONST_STACK_MAX 64

wasm_status wasm_eval_const(const wasm_instance *inst, wasm_constexpr e,
                            uint8_t kind, wasm_val *out, wasm_error *err) {
  const wasm_module *m = inst->module;
  wasm_val stack[CONST_STACK_MAX];
  size_t sp = 0;
  wasm_reader r = {m->bytes, e.code, e.code + e.len};
  if (!e.code) return wasm_fail(err, WASM_INVALID, "missing constant expression");
  for (;;) {
    if (r.p >= r.end) return wasm_fail(err, WASM_MALFORMED, "unexpected end of constant expression");
    wasm_instr in;
    wasm_status st = wasm_read_instr(&r, &in, err);
    if (st != WASM_OK) return st;
    if (in.op == WASM_OP_END) break;
    if (sp == CONST_STACK_MAX) return wasm_fail(err, WASM_INVALID, "constant expression too deep");
    wasm_val v;
    memset(&v, 0, sizeof v);
    switch (in.op) {
    case WASM_OP_I32_CONST: v.kind = WASM_I32; v.of.i32 = in.imm.i32; break;
    case WASM_OP_I64_CONST: v.kind = WASM_I64; v.of.i64 = in.imm.i64; break;
    case WASM_OP_F32_CONST: v.kind = WASM_F32; v.of.f32 = in.imm.f32; break;
    case WASM_OP_F64_CONST: v.kind = WASM_F64; v.of.f64 = in.imm.f64; break;
    case WASM_OP_V128_CONST:
      v.kind = WASM_V128;
      memcpy(v.of.v128, in.imm.v128, 16);
      break;
    case WASM_OP_REF_NULL: v.kind = in.imm.reftype; v.of.ref = NULL; break;
    case WASM_OP_REF_FUNC:
      if (in.imm.index >= wasm_module_total_funcs(m) || !inst->funcs[in.imm.index])
        return wasm_fail(err, WASM_INVALID, "unknown function %u", in.imm.index);
      v.kind = WASM_FUNCREF;
      v.of.ref = inst->funcs[in.imm.index];
      break;
    case WASM_OP_GLOBAL_GET:
      if (in.imm.index >= wasm_module_total_globals(m) || !inst->globals[in.imm.index])
        return wasm_fail(err, WASM_INVALID, "unknown global %u", in.imm.index);
      v = inst->globals[in.imm.index]->value;
      break;
    /* Extended constant expressions (wasm 3.0): integer add/sub/mul. */
#define BINOP(OP, FIELD, KIND, UT, EXPR)                                       \
    case WASM_OP_##OP: {                                                      \
      if (sp < 2 || stack[sp - 1].kind != KIND || stack[sp - 2].kind != KIND)  \
        return wasm_fail(err, WASM_INVALID, "type mismatch");                 \
      UT a = (UT)stack[sp - 2].of.FIELD, b = (UT)stack[sp - 1].of.FIELD;       \
      sp -= 2;                                                                \
      v.kind = KIND;                                                          \
      v.of.FIELD = (__typeof__(v.of.FIELD))(EXPR);                            \
      break;                                                                  \
    }
    BINOP(I32_ADD, i32, WASM_I32, uint32_t, a + b)
    BINOP(I32_SUB, i32, WASM_I32, uint32_t, a - b)
    BINOP(I32_MUL, i32, WASM_I32, uint32_t, a * b)
    BINOP(I64_ADD, i64, WASM_I64, uint64_t, a + b)
    BINOP(I64_SUB, i64, WASM_I64, uint64_t, a - b)
    BINOP(I64_MUL, i64, WASM_I64, uint64_t, a * b)
#undef BINOP
    default:
      return wasm_fail(err, WASM_INVALID, "constant expression required");
    }
    stack[sp++] = v;
  }
  if (sp != 1) return wasm_fail(err, WASM_INVALID, "type mismatch in constant expression");
  if (stack[0].kind != kind) return wasm_fail(err, WASM_INVALID, "type mismatch in constant expression");
  *out = stack[0];
  return WASM_OK;
}

/* ---- import matching ---- */

/* Limits subtyping: the provided object (current size, its maximum) must fit
 * the limits the import asks for. */
static bool limits_match(uint64_t cur, wasm_limits have, wasm_limits want) {
  if (cur < want.min) return false;
  if (want.has_max) {
    if (!have.has_max || have.max > want.max) return false;
  }
  return true;
}

static bool import_matches(const wasm_module *m, const wasm_import *imp,
                           const wasm_extern *ext) {
  if (ext->kind != imp->kind) return false;
  switch (imp->kind) {
  case WASM_EXTERN_FUNC:
    if (!ext->of.func || imp->as.func_type >= m->ntypes) return false;
    return wasm_functype_equal(ext->of.func->type, &m->types[imp->as.func_type]);
  case WASM_EXTERN_GLOBAL: {
    const wasm_global *g = ext->of.global;
    return g && g->kind == imp->as.global.kind && g->mutable_ == imp->as.global.mutable_;
  }
  case WASM_EXTERN_TABLE: {
    const wasm_table *t = ext->of.table;
    return t && t->elem_kind == imp->as.table.elem &&
           limits_match(t->size, t->limits, imp->as.table.limits);
  }
  case WASM_EXTERN_MEMORY: {
    const wasm_memory *mem = ext->of.memory;
    return mem && limits_match(mem->size / WASM_PAGE_SIZE, mem->limits, imp->as.memory.limits);
  }
  }
  return false;
}

/* ---- instantiation ---- */

static wasm_status oom(wasm_error *err) { return wasm_fail(err, WASM_NOMEM, "out of memory"); }

/* Allocates a zeroed array of n pointers or flags (at least one element so
 * the result is never NULL for n == 0). */
static void *array_new(size_t n, size_t size) { return calloc(n ? n : 1, size); }

static wasm_status bind_imports(wasm_instance *inst, const wasm_extern *imports,
                                size_t nimports, wasm_error *err) {
  const wasm_module *m = inst->module;
  if (nimports != m->nimports)
    return wasm_fail(err, WASM_LINK_ERROR, "expected %u imports, got %zu", m->nimports, nimports);
  uint32_t nf = 0, nt = 0, nm = 0, ng = 0;
  for (uint32_t i = 0; i < m->nimports; i++) {
    const wasm_import *imp = &m->imports[i];
    if (!import_matches(m, imp, &imports[i]))
      return wasm_fail(err, WASM_LINK_ERROR, "incompatible import type %s.%s", imp->module,
                       imp->name);
    switch (imp->kind) {
    case WASM_EXTERN_FUNC: inst->funcs[nf++] = imports[i].of.func; break;
    case WASM_EXTERN_TABLE: inst->tables[nt++] = imports[i].of.table; break;
    case WASM_EXTERN_MEMORY: inst->memories[nm++] = imports[i].of.memory; break;
    case WASM_EXTERN_GLOBAL: inst->globals[ng++] = imports[i].of.global; break;
    }
  }
  if (nf != m->nfunc_imports || nt != m->ntable_imports || nm != m->nmemory_imports ||
      ng != m->nglobal_imports)
    return wasm_fail(err, WASM_LINK_ERROR, "import counts disagree with the module");
  return WASM_OK;
}

static wasm_status alloc_defined(wasm_store *s, wasm_instance *inst, wasm_error *err) {
  const wasm_module *m = inst->module;
  for (uint32_t i = 0; i < m->nfuncs; i++) {
    const wasm_funcdef *def = &m->funcs[i];
    if (def->type >= m->ntypes) return wasm_fail(err, WASM_INVALID, "unknown type");
    wasm_func *f = calloc(1, sizeof *f);
    if (!f) return oom(err);
    if (wasm_store_track(s, WASM_OBJ_FUNC, f) != WASM_OK) {
      free(f);
      return oom(err);
    }
    f->type = &m->types[def->type];
    f->instance = inst;
    f->def = def;
    f->index = m->nfunc_imports + i;
    inst->funcs[f->index] = f;
  }
  for (uint32_t i = 0; i < m->ntables; i++) {
    wasm_table *t = wasm_table_new(s, m->tables[i].elem, m->tables[i].limits, NULL);
    if (!t) return wasm_fail(err, WASM_NOMEM, "cannot allocate table of %llu elements",
                             (unsigned long long)m->tables[i].limits.min);
    inst->tables[m->ntable_imports + i] = t;
  }
  for (uint32_t i = 0; i < m->nmemories; i++) {
    wasm_memory *mem = wasm_memory_new(s, m->memories[i].limits);
    if (!mem) return wasm_fail(err, WASM_NOMEM, "cannot allocate memory of %llu pages",
                               (unsigned long long)m->memories[i].limits.min);
    inst->memories[m->nmemory_imports + i] = mem;
  }
  for (uint32_t i = 0; i < m->nglobals; i++) {
    const wasm_global_def *gd = &m->globals[i];
    wasm_val v;
    wasm_status st = wasm_eval_const(inst, gd->init, gd->type.kind, &v, err);
    if (st != WASM_OK) return st;
    wasm_global *g = wasm_global_new(s, gd->type.kind, gd->type.mutable_, v);
    if (!g) return oom(err);
    inst->globals[m->nglobal_imports + i] = g;
  }
  return WASM_OK;
}

static wasm_status eval_offset(const wasm_instance *inst, wasm_constexpr e, uint64_t *out,
                               wasm_error *err) {
  wasm_val v;
  wasm_status st = wasm_eval_const(inst, e, WASM_I32, &v, err);
  if (st != WASM_OK) return st;
  *out = (uint32_t)v.of.i32;
  return WASM_OK;
}

/* The value of item j of element segment el. */
static wasm_status elem_item(const wasm_instance *inst, const wasm_elem *el, uint32_t j,
                             void **out, wasm_error *err) {
  const wasm_module *m = inst->module;
  if (el->func_indices) {
    uint32_t fi = el->func_indices[j];
    if (fi >= wasm_module_total_funcs(m)) return wasm_fail(err, WASM_INVALID, "unknown function");
    *out = inst->funcs[fi];
    return WASM_OK;
  }
  if (!el->exprs) return wasm_fail(err, WASM_INVALID, "element segment without items");
  wasm_val v;
  wasm_status st = wasm_eval_const(inst, el->exprs[j], el->elem_kind, &v, err);
  if (st != WASM_OK) return st;
  *out = v.of.ref;
  return WASM_OK;
}

static wasm_status init_elems(wasm_instance *inst, wasm_error *err) {
  const wasm_module *m = inst->module;
  for (uint32_t i = 0; i < m->nelems; i++) {
    const wasm_elem *el = &m->elems[i];
    if (el->mode == WASM_SEG_DECLARATIVE) {
      inst->elem_dropped[i] = 1;
      continue;
    }
    if (el->mode != WASM_SEG_ACTIVE) continue;
    if (el->table >= wasm_module_total_tables(m)) return wasm_fail(err, WASM_INVALID, "unknown table");
    wasm_table *t = inst->tables[el->table];
    uint64_t off;
    wasm_status st = eval_offset(inst, el->offset, &off, err);
    if (st != WASM_OK) return st;
    /* table.init semantics: check the whole range before writing. */
    if (off > t->size || el->count > t->size - off)
      return wasm_fail(err, WASM_TRAP, "out of bounds table access");
    for (uint32_t j = 0; j < el->count; j++) {
      void *ref = NULL;
      st = elem_item(inst, el, j, &ref, err);
      if (st != WASM_OK) return st;
      t->elems[off + j] = ref;
    }
    inst->elem_dropped[i] = 1;
  }
  return WASM_OK;
}

static wasm_status init_datas(wasm_instance *inst, wasm_error *err) {
  const wasm_module *m = inst->module;
  for (uint32_t i = 0; i < m->ndatas; i++) {
    const wasm_data *d = &m->datas[i];
    if (d->mode != WASM_SEG_ACTIVE) continue;
    if (d->memory >= wasm_module_total_memories(m)) return wasm_fail(err, WASM_INVALID, "unknown memory");
    wasm_memory *mem = inst->memories[d->memory];
    uint64_t off;
    wasm_status st = eval_offset(inst, d->offset, &off, err);
    if (st != WASM_OK) return st;
    if (off > mem->size || d->len > mem->size - off)
      return wasm_fail(err, WASM_TRAP, "out of bounds memory access");
    if (d->len) memcpy(mem->data + off, d->bytes, d->len);
    inst->data_dropped[i] = 1;
  }
  return WASM_OK;
}

wasm_status wasm_instantiate(wasm_store *s, const wasm_module *m, const wasm_extern *imports,
                             size_t nimports, wasm_instance **out, wasm_error *err) {
  if (!out) return wasm_fail(err, WASM_BAD_ARG, "no output instance");
  *out = NULL;
  if (!s || !m || (nimports && !imports)) return wasm_fail(err, WASM_BAD_ARG, "no store or module");
  wasm_instance *inst = calloc(1, sizeof *inst);
  if (!inst) return oom(err);
  inst->module = m;
  inst->store = s;
  inst->funcs = array_new(wasm_module_total_funcs(m), sizeof *inst->funcs);
  inst->tables = array_new(wasm_module_total_tables(m), sizeof *inst->tables);
  inst->memories = array_new(wasm_module_total_memories(m), sizeof *inst->memories);
  inst->globals = array_new(wasm_module_total_globals(m), sizeof *inst->globals);
  inst->elem_dropped = array_new(m->nelems, 1);
  inst->data_dropped = array_new(m->ndatas, 1);
  /* Tracked from the start: on a trap during initialisation, tables and
   * memories shared with other instances may already refer to its parts. */
  if (!inst->funcs || !inst->tables || !inst->memories || !inst->globals ||
      !inst->elem_dropped || !inst->data_dropped ||
      wasm_store_track(s, WASM_OBJ_INSTANCE, inst) != WASM_OK) {
    free(inst->funcs);
    free(inst->tables);
    free(inst->memories);
    free(inst->globals);
    free(inst->elem_dropped);
    free(inst->data_dropped);
    free(inst);
    return oom(err);
  }
  wasm_status st = bind_imports(inst, imports, nimports, err);
  if (st == WASM_OK) st = alloc_defined(s, inst, err);
  if (st == WASM_OK) st = init_elems(inst, err);
  if (st == WASM_OK) st = init_datas(inst, err);
  if (st == WASM_OK && m->has_start) {
    if (m->start >= wasm_module_total_funcs(m)) return wasm_fail(err, WASM_INVALID, "unknown function");
    st = wasm_func_call(s, inst->funcs[m->start], NULL, 0, NULL, 0, err);
  }
  if (st != WASM_OK) return st;
  *out = inst;
  return WASM_OK;
}

/* ---- exports ---- */

static bool export_extern(const wasm_instance *inst, const wasm_export *ex, wasm_extern *out) {
  const wasm_module *m = inst->module;
  wasm_extern e;
  e.kind = ex->kind;
  switch (ex->kind) {
  case WASM_EXTERN_FUNC:
    if (ex->index >= wasm_module_total_funcs(m)) return false;
    e.of.func = inst->funcs[ex->index];
    break;
  case WASM_EXTERN_TABLE:
    if (ex->index >= wasm_module_total_tables(m)) return false;
    e.of.table = inst->tables[ex->index];
    break;
  case WASM_EXTERN_MEMORY:
    if (ex->index >= wasm_module_total_memories(m)) return false;
    e.of.memory = inst->memories[ex->index];
    break;
  case WASM_EXTERN_GLOBAL:
    if (ex->index >= wasm_module_total_globals(m)) return false;
    e.of.global = inst->globals[ex->index];
    break;
  default:
    return false;
  }
  if (out) *out = e;
  return true;
}

bool wasm_instance_export_n(const wasm_instance *inst, const char *name, size_t len,
                            wasm_extern *out) {
  if (!inst || (!name && len)) return false;
  const wasm_module *m = inst->module;
  for (uint32_t i = 0; i < m->nexports; i++) {
    const wasm_export *ex = &m->exports[i];
    if (ex->name_len == len && (len == 0 || memcmp(ex->name, name, len) == 0))
      return export_extern(inst, ex, out);
  }
  return false;
}

bool wasm_instance_export(const wasm_instance *inst, const char *name, wasm_extern *out) {
  if (!name) return false;
  return wasm_instance_export_n(inst, name, strlen(name), out);
}

/* ---- linker ---- */

typedef struct linker_entry {
  char *module;
  char *name;
  wasm_extern ext;
} linker_entry;

struct wasm_linker {
  wasm_engine *engine;
  linker_entry *entries;
  size_t n, cap;
};

wasm_linker *wasm_linker_new(wasm_engine *e) {
  wasm_linker *l = calloc(1, sizeof *l);
  if (l) l->engine = e;
  return l;
}

void wasm_linker_delete(wasm_linker *l) {
  if (!l) return;
  for (size_t i = 0; i < l->n; i++) {
    free(l->entries[i].module);
    free(l->entries[i].name);
  }
  free(l->entries);
  free(l);
}

static linker_entry *linker_find(const wasm_linker *l, const char *module, size_t module_len,
                                 const char *name, size_t name_len) {
  for (size_t i = 0; i < l->n; i++) {
    linker_entry *en = &l->entries[i];
    if (strlen(en->module) == module_len && strlen(en->name) == name_len &&
        memcmp(en->module, module, module_len) == 0 && memcmp(en->name, name, name_len) == 0)
      return en;
  }
  return NULL;
}

wasm_status wasm_linker_define(wasm_linker *l, const char *module, const char *name,
                               wasm_extern ext) {
  if (!l || !module || !name) return WASM_BAD_ARG;
  linker_entry *en = linker_find(l, module, strlen(module), name, strlen(name));
  if (en) {
    en->ext = ext;
    return WASM_OK;
  }
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16;
    linker_entry *grown = realloc(l->entries, cap * sizeof *grown);
    if (!grown) return WASM_NOMEM;
    l->entries = grown;
    l->cap = cap;
  }
  char *mod = strdup(module), *nm = strdup(name);
  if (!mod || !nm) {
    free(mod);
    free(nm);
    return WASM_NOMEM;
  }
  l->entries[l->n].module = mod;
  l->entries[l->n].name = nm;
  l->entries[l->n].ext = ext;
  l->n++;
  return WASM_OK;
}

wasm_status wasm_linker_define_instance(wasm_linker *l, const char *module,
                                        const wasm_instance *inst) {
  if (!l || !module || !inst) return WASM_BAD_ARG;
  const wasm_module *m = inst->module;
  for (uint32_t i = 0; i < m->nexports; i++) {
    const wasm_export *ex = &m->exports[i];
    /* A name with a NUL byte cannot be named through this C-string API. */
    if (strlen(ex->name) != ex->name_len) continue;
    wasm_extern e;
    if (!export_extern(inst, ex, &e)) continue;
    wasm_status st = wasm_linker_define(l, module, ex->name, e);
    if (st != WASM_OK) return st;
  }
  return WASM_OK;
}

wasm_status wasm_linker_instantiate(wasm_linker *l, wasm_store *s, const wasm_module *m,
                                    wasm_instance **out, wasm_error *err) {
  if (out) *out = NULL;
  if (!l || !s || !m || !out) return wasm_fail(err, WASM_BAD_ARG, "no linker, store or module");
  wasm_extern *imports = array_new(m->nimports, sizeof *imports);
  if (!imports) return oom(err);
  for (uint32_t i = 0; i < m->nimports; i++) {
    const wasm_import *imp = &m->imports[i];
    linker_entry *en = linker_find(l, imp->module, imp->module_len, imp->name, imp->name_len);
    if (!en) {
      free(imports);
      return wasm_fail(err, WASM_LINK_ERROR, "unknown import %s.%s", imp->module, imp->name);
    }
    if (!import_matches(m, imp, &en->ext)) {
      free(imports);
      return wasm_fail(err, WASM_LINK_ERROR, "incompatible import type %s.%s", imp->module,
                       imp->name);
    }
    imports[i] = en->ext;
  }
  wasm_status st = wasm_instantiate(s, m, imports, m->nimports, out, err);
  free(imports);
  return st;
}
