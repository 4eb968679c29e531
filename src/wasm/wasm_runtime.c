/*
 * wasm_runtime.c: engine, modules, function types, stores and the runtime
 * objects they own (host functions, tables, globals), and wasm_func_call.
 * Memories live in wasm_memory.c; instantiation in wasm_pre.c; constant
 * expressions, exports and linking in wasm_instance.c.
 */
#include "wasm_pre.h"

#include <stdlib.h>
#include <string.h>

#include "wasm_opcodes.h"

/* ---- engine ---- */

wasm_engine *wasm_engine_new(const wasm_config *config) {
  wasm_opcodes_init();
  wasm_engine *e = calloc(1, sizeof *e);
  if (!e) return NULL;
  if (config) e->config = *config;
  if (!e->config.max_call_depth) e->config.max_call_depth = WASM_DEFAULT_CALL_DEPTH;
  if (!e->config.max_stack_bytes) e->config.max_stack_bytes = WASM_DEFAULT_STACK_BYTES;
  return e;
}

void wasm_engine_delete(wasm_engine *e) {
  if (!e) return;
  wasm_mem_pool_delete(e->mem_pool);
  free(e);
}

/* ---- modules ---- */

static void module_destroy(wasm_module *m) {
  wasm_module_prep_free(m->prep);
  wasm_module_free_contents(m);
  free(m->bytes);
  free(m);
}

wasm_status wasm_module_new(wasm_engine *e, const uint8_t *bytes, size_t len,
                            wasm_module **out, wasm_error *err) {
  if (!out) return wasm_fail(err, WASM_BAD_ARG, "no output module");
  *out = NULL;
  if (!e || (!bytes && len)) return wasm_fail(err, WASM_BAD_ARG, "no engine or bytes");
  if (len > UINT32_MAX) return wasm_fail(err, WASM_MALFORMED, "module too large");
  wasm_module *m = calloc(1, sizeof *m);
  if (!m) return wasm_fail(err, WASM_NOMEM, "out of memory");
  m->engine = e;
  /* One spare byte so an empty module still has a non-NULL buffer. */
  m->bytes = malloc(len + 1);
  if (!m->bytes) {
    free(m);
    return wasm_fail(err, WASM_NOMEM, "out of memory");
  }
  if (len) memcpy(m->bytes, bytes, len);
  m->len = len;
  wasm_status st = wasm_decode(m, err);
  if (st == WASM_OK) st = wasm_validate(m, err);
  if (st == WASM_OK) st = wasm_compile(m, err);
  if (st != WASM_OK) {
    module_destroy(m);
    return st;
  }
  *out = m;
  return WASM_OK;
}

void wasm_module_delete(wasm_module *m) {
  if (m) module_destroy(m);
}

uint32_t wasm_module_import_count(const wasm_module *m) { return m ? m->nimports : 0; }

void wasm_module_import(const wasm_module *m, uint32_t i, const char **module,
                        const char **name, wasm_externkind *kind) {
  if (!m || i >= m->nimports) return;
  const wasm_import *imp = &m->imports[i];
  if (module) *module = imp->module;
  if (name) *name = imp->name;
  if (kind) *kind = imp->kind;
}

uint32_t wasm_module_export_count(const wasm_module *m) { return m ? m->nexports : 0; }

void wasm_module_export(const wasm_module *m, uint32_t i, const char **name,
                        wasm_externkind *kind) {
  if (!m || i >= m->nexports) return;
  if (name) *name = m->exports[i].name;
  if (kind) *kind = m->exports[i].kind;
}

/* ---- function types ---- */

wasm_functype *wasm_functype_new(const uint8_t *params, uint32_t nparams,
                                 const uint8_t *results, uint32_t nresults) {
  if (nparams > WASM_MAX_PARAMS || nresults > WASM_MAX_RESULTS) return NULL;
  if ((nparams && !params) || (nresults && !results)) return NULL;
  wasm_functype *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->types = malloc((size_t)nparams + nresults + 1);
  if (!t->types) {
    free(t);
    return NULL;
  }
  if (nparams) memcpy(t->types, params, nparams);
  if (nresults) memcpy(t->types + nparams, results, nresults);
  t->nparams = nparams;
  t->nresults = nresults;
  return t;
}

void wasm_functype_delete(wasm_functype *t) {
  if (!t) return;
  free(t->types);
  free(t);
}

uint32_t wasm_functype_nparams(const wasm_functype *t) { return t ? t->nparams : 0; }
uint32_t wasm_functype_nresults(const wasm_functype *t) { return t ? t->nresults : 0; }

uint8_t wasm_functype_param(const wasm_functype *t, uint32_t i) {
  return t && i < t->nparams ? t->types[i] : 0;
}

uint8_t wasm_functype_result(const wasm_functype *t, uint32_t i) {
  return t && i < t->nresults ? t->types[t->nparams + i] : 0;
}

bool wasm_functype_equal(const wasm_functype *a, const wasm_functype *b) {
  if (a == b) return true;
  if (!a || !b) return false;
  if (a->nparams != b->nparams || a->nresults != b->nresults) return false;
  size_t n = (size_t)a->nparams + a->nresults;
  return n == 0 || memcmp(a->types, b->types, n) == 0;
}

/* ---- stores ---- */

wasm_store *wasm_store_new(wasm_engine *e) {
  if (!e) return NULL;
  wasm_store *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->engine = e;
  return s;
}

void wasm_store_set_limits(wasm_store *s, const wasm_store_limits *limits) {
  if (!s) return;
  if (limits) s->limits = *limits;
  else memset(&s->limits, 0, sizeof s->limits);
}

wasm_status wasm_store_track(wasm_store *s, wasm_object_kind kind, void *p) {
  if (s->nobjects == s->cap_objects) {
    size_t cap = s->cap_objects ? s->cap_objects * 2 : 32;
    void *grown = realloc(s->objects, cap * sizeof *s->objects);
    if (!grown) return WASM_NOMEM;
    s->objects = grown;
    s->cap_objects = cap;
  }
  s->objects[s->nobjects].kind = kind;
  s->objects[s->nobjects].ptr = p;
  s->nobjects++;
  return WASM_OK;
}

static void func_free(wasm_func *f) {
  wasm_functype_delete(f->owned_type); /* NULL for those made here */
  free(f);
}

static void table_free(wasm_table *t) {
  wasm_table_release(t);
  free(t);
}

static void memory_free(wasm_memory *m) {
  wasm_memory_release(m);
  free(m);
}

static void object_free(wasm_object_kind kind, void *p) {
  switch (kind) {
  case WASM_OBJ_FUNC: func_free(p); break;
  case WASM_OBJ_TABLE: table_free(p); break;
  case WASM_OBJ_MEMORY: memory_free(p); break;
  case WASM_OBJ_GLOBAL: free(p); break;
  case WASM_OBJ_INSTANCE: wasm_instance_free(p); break;
  case WASM_OBJ_PRE: wasm_pre_free(p); break;
  case WASM_OBJ_EXN: free(p); break;
  }
}

/* Tracks p or, if the store cannot grow its list, frees it: either way the
 * caller no longer owns p. Returns p, or NULL on failure. */
static void *track_or_free(wasm_store *s, wasm_object_kind kind, void *p) {
  if (wasm_store_track(s, kind, p) != WASM_OK) {
    object_free(kind, p);
    return NULL;
  }
  return p;
}

void wasm_store_delete(wasm_store *s) {
  if (!s) return;
  for (size_t i = s->nobjects; i-- > 0;) object_free(s->objects[i].kind, s->objects[i].ptr);
  free(s->objects);
  free(s->stack);
  free(s->exn_payload);
  free(s);
}

/* ---- functions ---- */

/* A host function in one allocation with a copy of its type, and the
 * reference count a shared one (store NULL) uses. */
typedef struct host_func {
  wasm_func f; /* first: a wasm_func* is a host_func* */
  uint32_t refs;
  wasm_functype type;
  uint8_t types[];
} host_func;

static wasm_func *host_func_new(const wasm_functype *type, wasm_host_fn fn, void *env) {
  if (!type || !fn) return NULL;
  size_t n = (size_t)type->nparams + type->nresults;
  if (n && !type->types) return NULL;
  host_func *hf = calloc(1, sizeof *hf + n);
  if (!hf) return NULL;
  if (n) memcpy(hf->types, type->types, n);
  hf->type.nparams = type->nparams;
  hf->type.nresults = type->nresults;
  hf->type.types = hf->types;
  hf->f.type = &hf->type;
  hf->f.host = fn;
  hf->f.env = env;
  hf->refs = 1;
  return &hf->f;
}

wasm_func *wasm_func_new_host(wasm_store *s, const wasm_functype *type,
                              wasm_host_fn fn, void *env) {
  if (!s) return NULL;
  wasm_func *f = host_func_new(type, fn, env);
  if (!f) return NULL;
  f->store = s;
  return track_or_free(s, WASM_OBJ_FUNC, f);
}

wasm_func *wasm_shared_func_new(const wasm_functype *type, wasm_host_fn fn, void *env) {
  return host_func_new(type, fn, env);
}

void wasm_shared_func_ref(wasm_func *f) {
  if (wasm_func_is_shared(f)) __atomic_add_fetch(&((host_func *)f)->refs, 1, __ATOMIC_RELAXED);
}

void wasm_shared_func_unref(wasm_func *f) {
  if (!wasm_func_is_shared(f)) return;
  if (__atomic_sub_fetch(&((host_func *)f)->refs, 1, __ATOMIC_ACQ_REL) == 0) free(f);
}

const wasm_functype *wasm_func_type(const wasm_func *f) { return f ? f->type : NULL; }

const char *wasm_valkind_name(uint8_t k) {
  switch (k) {
  case WASM_I32: return "i32";
  case WASM_I64: return "i64";
  case WASM_F32: return "f32";
  case WASM_F64: return "f64";
  case WASM_V128: return "v128";
  case WASM_FUNCREF: return "funcref";
  case WASM_EXTERNREF: return "externref";
  case WASM_EXNREF: return "exnref";
  default: return "?";
  }
}

wasm_status wasm_func_call(wasm_store *s, wasm_func *f, const wasm_val *args,
                           size_t nargs, wasm_val *results, size_t nresults,
                           wasm_error *err) {
  if (!s || !f || !f->type) return wasm_fail(err, WASM_BAD_ARG, "no store or function");
  const wasm_functype *t = f->type;
  if (nargs != t->nparams)
    return wasm_fail(err, WASM_BAD_ARG, "expected %u arguments, got %zu", t->nparams, nargs);
  if (nresults != t->nresults)
    return wasm_fail(err, WASM_BAD_ARG, "expected %u results, got %zu", t->nresults, nresults);
  if ((nargs && !args) || (nresults && !results))
    return wasm_fail(err, WASM_BAD_ARG, "missing argument or result array");
  for (size_t i = 0; i < nargs; i++) {
    if (args[i].kind != t->types[i])
      return wasm_fail(err, WASM_BAD_ARG, "argument %zu: expected %s, got %s", i,
                       wasm_valkind_name(t->types[i]), wasm_valkind_name(args[i].kind));
  }
  /* A funcref argument from another store would break isolation; we cannot
   * check every pointer cheaply, so trust the embedder there. */
  wasm_status st = wasm_exec_call(s, f, args, results, err);
  if (st == WASM_OK) {
    for (size_t i = 0; i < nresults; i++) results[i].kind = t->types[t->nparams + i];
  }
  return st;
}

/* ---- tables ---- */

wasm_status wasm_table_init(wasm_table *t, wasm_store *s, uint8_t elem_kind,
                            wasm_limits limits, void *init, wasm_error *err) {
  if (elem_kind != WASM_FUNCREF && elem_kind != WASM_EXTERNREF)
    return wasm_fail(err, WASM_BAD_ARG, "bad table element type");
  uint64_t max_size = WASM_MAX_TABLE;
  if (limits.has_max && limits.max < max_size) max_size = limits.max;
  if (limits.min > max_size)
    return wasm_fail(err, WASM_BAD_ARG, "table minimum of %llu elements exceeds its maximum",
                     (unsigned long long)limits.min);
  if (s->limits.max_table_elems && s->limits.max_table_elems < max_size)
    max_size = s->limits.max_table_elems;
  if (limits.min > max_size)
    return wasm_fail(err, WASM_EXHAUSTED,
                     "table minimum of %llu elements exceeds the store's limit of %llu",
                     (unsigned long long)limits.min,
                     (unsigned long long)s->limits.max_table_elems);
  if (s->limits.max_tables && s->ntables >= s->limits.max_tables)
    return wasm_fail(err, WASM_EXHAUSTED, "too many tables in the store (limit %llu)",
                     (unsigned long long)s->limits.max_tables);
  /* At least one element so elems is never NULL. */
  t->elems = calloc(limits.min ? limits.min : 1, sizeof *t->elems);
  if (!t->elems)
    return wasm_fail(err, WASM_NOMEM, "cannot allocate table of %llu elements",
                     (unsigned long long)limits.min);
  if (init)
    for (uint64_t i = 0; i < limits.min; i++) t->elems[i] = init;
  t->size = limits.min;
  t->elem_kind = elem_kind;
  t->limits = limits;
  t->max_size = max_size;
  t->store = s;
  s->ntables++;
  return WASM_OK;
}

void wasm_table_release(wasm_table *t) {
  free(t->elems);
  t->elems = NULL;
}

wasm_table *wasm_table_new(wasm_store *s, uint8_t elem_kind, wasm_limits limits,
                           void *init) {
  if (!s) return NULL;
  wasm_table *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  if (wasm_table_init(t, s, elem_kind, limits, init, NULL) != WASM_OK) {
    free(t);
    return NULL;
  }
  return track_or_free(s, WASM_OBJ_TABLE, t);
}

uint64_t wasm_table_size(const wasm_table *t) { return t ? t->size : 0; }

wasm_limits wasm_table_limits(const wasm_table *t) {
  wasm_limits l = {0, 0, false};
  return t ? t->limits : l;
}

uint8_t wasm_table_elem_kind(const wasm_table *t) { return t ? t->elem_kind : 0; }

bool wasm_table_get(const wasm_table *t, uint64_t i, void **out) {
  if (!t || i >= t->size) return false;
  if (out) *out = t->elems[i];
  return true;
}

bool wasm_table_set(wasm_table *t, uint64_t i, void *ref) {
  if (!t || i >= t->size) return false;
  t->elems[i] = ref;
  return true;
}

int64_t wasm_table_grow(wasm_table *t, uint64_t delta, void *init) {
  if (!t) return -1;
  uint64_t old = t->size;
  if (delta > t->max_size - old) return -1;
  if (delta) {
    void **grown = realloc(t->elems, (size_t)(old + delta) * sizeof *grown);
    if (!grown) return -1;
    for (uint64_t i = old; i < old + delta; i++) grown[i] = init;
    t->elems = grown;
    t->size = old + delta;
    t->limits.min = t->size;
  }
  return (int64_t)old;
}

/* ---- globals ---- */

wasm_global *wasm_global_new(wasm_store *s, uint8_t kind, bool mutable_,
                             wasm_val init) {
  if (!s) return NULL;
  wasm_global *g = calloc(1, sizeof *g);
  if (!g) return NULL;
  g->kind = kind;
  g->mutable_ = mutable_;
  wasm_global_set(g, init);
  g->store = s;
  return track_or_free(s, WASM_OBJ_GLOBAL, g);
}

wasm_val wasm_global_get(const wasm_global *g) {
  wasm_val v;
  memset(&v, 0, sizeof v);
  return g ? g->value : v;
}

void wasm_global_set(wasm_global *g, wasm_val v) {
  if (!g) return;
  g->value = v;
  g->value.kind = g->kind;
  if (g->kind == WASM_I32 || g->kind == WASM_F32) {
    uint32_t lo;
    memcpy(&lo, &g->value.of, 4);
    uint64_t wide = lo;
    memcpy(&g->value.of, &wide, 8);
  }
}

uint8_t wasm_global_kind(const wasm_global *g) { return g ? g->kind : 0; }
bool wasm_global_mutable(const wasm_global *g) { return g && g->mutable_; }
