/*
 * wasm_instance.c: constant expressions, import matching, exports and the
 * linker. Instantiation itself (one path, through a pre-instance) lives in
 * wasm_pre.c.
 */
#include "wasm_pre.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm_opcodes.h"

/* ---- constant expressions ---- */

/* Deep enough for any extended-const expression a sane module holds. */
#define CONST_STACK_MAX 64

/* Evaluates e against inst or, when inst is NULL, statically: then a
 * global.get makes it WASM_CONST_DYNAMIC and a ref.func result is given as
 * a function index. */
static wasm_status eval_const(const wasm_module *m, const wasm_instance *inst,
                              wasm_constexpr e, uint8_t kind, wasm_const_how *how,
                              wasm_val *out, uint32_t *func, wasm_error *err) {
  wasm_val stack[CONST_STACK_MAX];
  uint32_t funcs[CONST_STACK_MAX]; /* ref.func index of each entry, or -1 */
  size_t sp = 0;
  *how = WASM_CONST_VALUE;
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
    uint32_t fi = UINT32_MAX;
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
      if (in.imm.index >= wasm_module_total_funcs(m) || (inst && !inst->funcs[in.imm.index]))
        return wasm_fail(err, WASM_INVALID, "unknown function %u", in.imm.index);
      v.kind = WASM_FUNCREF;
      if (inst) v.of.ref = inst->funcs[in.imm.index];
      fi = in.imm.index;
      break;
    case WASM_OP_GLOBAL_GET:
      if (!inst) {
        *how = WASM_CONST_DYNAMIC;
        return WASM_OK;
      }
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
    funcs[sp] = fi;
    stack[sp++] = v;
  }
  if (sp != 1) return wasm_fail(err, WASM_INVALID, "type mismatch in constant expression");
  if (stack[0].kind != kind) return wasm_fail(err, WASM_INVALID, "type mismatch in constant expression");
  *out = stack[0];
  if (!inst && funcs[0] != UINT32_MAX) {
    *how = WASM_CONST_FUNC;
    *func = funcs[0];
  }
  return WASM_OK;
}

wasm_status wasm_eval_const(const wasm_instance *inst, wasm_constexpr e,
                            uint8_t kind, wasm_val *out, wasm_error *err) {
  wasm_const_how how;
  uint32_t func;
  return eval_const(inst->module, inst, e, kind, &how, out, &func, err);
}

wasm_status wasm_eval_const_static(const wasm_module *m, wasm_constexpr e, uint8_t kind,
                                   wasm_const_how *how, wasm_val *val, uint32_t *func,
                                   wasm_error *err) {
  return eval_const(m, NULL, e, kind, how, val, func, err);
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

bool wasm_import_matches(const wasm_module *m, const wasm_import *imp,
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
  case WASM_EXTERN_TAG:
    if (!ext->of.tag || imp->as.tag_type >= m->ntypes) return false;
    return wasm_functype_equal(ext->of.tag->type, &m->types[imp->as.tag_type]);
  }
  return false;
}

wasm_store *wasm_extern_store(const wasm_extern *ext) {
  switch (ext->kind) {
  case WASM_EXTERN_FUNC: return ext->of.func ? ext->of.func->store : NULL;
  case WASM_EXTERN_TABLE: return ext->of.table ? ext->of.table->store : NULL;
  case WASM_EXTERN_MEMORY: return ext->of.memory ? ext->of.memory->store : NULL;
  case WASM_EXTERN_GLOBAL: return ext->of.global ? ext->of.global->store : NULL;
  case WASM_EXTERN_TAG: return ext->of.tag ? ext->of.tag->store : NULL;
  }
  return NULL;
}

/* ---- instantiation ---- */

static wasm_status oom(wasm_error *err) { return wasm_fail(err, WASM_NOMEM, "out of memory"); }

wasm_status wasm_instantiate(wasm_store *s, const wasm_module *m, const wasm_extern *imports,
                             size_t nimports, wasm_instance **out, wasm_error *err) {
  if (!out) return wasm_fail(err, WASM_BAD_ARG, "no output instance");
  *out = NULL;
  if (!s || !m || (nimports && !imports)) return wasm_fail(err, WASM_BAD_ARG, "no store or module");
  wasm_instance_pre *pre = NULL;
  wasm_status st = wasm_pre_new(m, imports, nimports, false, &pre, err);
  if (st != WASM_OK) return st;
  return wasm_pre_instantiate_once(pre, s, out, err);
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
  case WASM_EXTERN_TAG:
    if (ex->index >= wasm_module_total_tags(m)) return false;
    e.of.tag = inst->tags[ex->index];
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
  size_t module_len, name_len;
  wasm_extern ext; /* holds a reference when it is a shared function */
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

static void extern_unref(const wasm_extern *ext) {
  if (ext->kind == WASM_EXTERN_FUNC) wasm_shared_func_unref(ext->of.func);
}

void wasm_linker_delete(wasm_linker *l) {
  if (!l) return;
  for (size_t i = 0; i < l->n; i++) {
    extern_unref(&l->entries[i].ext);
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
    if (en->module_len == module_len && en->name_len == name_len &&
        memcmp(en->module, module, module_len) == 0 && memcmp(en->name, name, name_len) == 0)
      return en;
  }
  return NULL;
}

/* Defines (module, name) as ext, taking over one reference to ext when it
 * is a shared function (released here on failure). */
static wasm_status linker_put(wasm_linker *l, const char *module, const char *name,
                              wasm_extern ext) {
  size_t module_len = strlen(module), name_len = strlen(name);
  linker_entry *en = linker_find(l, module, module_len, name, name_len);
  if (en) {
    extern_unref(&en->ext);
    en->ext = ext;
    return WASM_OK;
  }
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16;
    linker_entry *grown = realloc(l->entries, cap * sizeof *grown);
    if (!grown) {
      extern_unref(&ext);
      return WASM_NOMEM;
    }
    l->entries = grown;
    l->cap = cap;
  }
  char *mod = strdup(module), *nm = strdup(name);
  if (!mod || !nm) {
    free(mod);
    free(nm);
    extern_unref(&ext);
    return WASM_NOMEM;
  }
  l->entries[l->n] = (linker_entry){mod, nm, module_len, name_len, ext};
  l->n++;
  return WASM_OK;
}

wasm_status wasm_linker_define(wasm_linker *l, const char *module, const char *name,
                               wasm_extern ext) {
  if (!l || !module || !name) return WASM_BAD_ARG;
  if (ext.kind == WASM_EXTERN_FUNC) wasm_shared_func_ref(ext.of.func);
  return linker_put(l, module, name, ext);
}

wasm_status wasm_linker_define_func(wasm_linker *l, const char *module, const char *name,
                                    const wasm_functype *type, wasm_host_fn fn, void *env) {
  if (!l || !module || !name || !type || !fn) return WASM_BAD_ARG;
  wasm_extern ext;
  ext.kind = WASM_EXTERN_FUNC;
  ext.of.func = wasm_shared_func_new(type, fn, env);
  if (!ext.of.func) return WASM_NOMEM;
  return linker_put(l, module, name, ext);
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

/* Resolves m's imports on l into a pre-instance. */
static wasm_status linker_pre(wasm_linker *l, const wasm_module *m, bool reuse,
                              wasm_instance_pre **out, wasm_error *err) {
  if (!l || !m || !out) return wasm_fail(err, WASM_BAD_ARG, "no linker or module");
  wasm_extern *imports = calloc(m->nimports ? m->nimports : 1, sizeof *imports);
  if (!imports) return oom(err);
  for (uint32_t i = 0; i < m->nimports; i++) {
    const wasm_import *imp = &m->imports[i];
    linker_entry *en = linker_find(l, imp->module, imp->module_len, imp->name, imp->name_len);
    if (!en) {
      free(imports);
      return wasm_fail(err, WASM_LINK_ERROR, "unknown import %s.%s", imp->module, imp->name);
    }
    imports[i] = en->ext;
  }
  wasm_status st = wasm_pre_new(m, imports, m->nimports, reuse, out, err);
  free(imports);
  return st;
}

wasm_status wasm_linker_instantiate_pre(wasm_linker *l, const wasm_module *m,
                                        wasm_instance_pre **out, wasm_error *err) {
  if (out) *out = NULL;
  if (!l || !m || !out) return wasm_fail(err, WASM_BAD_ARG, "no linker or module");
  return linker_pre(l, m, true, out, err);
}

wasm_status wasm_linker_instantiate(wasm_linker *l, wasm_store *s, const wasm_module *m,
                                    wasm_instance **out, wasm_error *err) {
  if (out) *out = NULL;
  if (!l || !s || !m || !out) return wasm_fail(err, WASM_BAD_ARG, "no linker, store or module");
  wasm_instance_pre *pre = NULL;
  wasm_status st = linker_pre(l, m, false, &pre, err);
  if (st != WASM_OK) return st;
  return wasm_pre_instantiate_once(pre, s, out, err);
}
