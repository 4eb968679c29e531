/*
 * cmd_wast_component.c: the component half of `stratus wast` (see
 * cmd_wast_component.h). Components are compiled with cm_wat_to_binary
 * (text, quote) or taken as bytes, instantiated with a cm_linker holding
 * the registered instances, and invoked with values parsed against the
 * function's parameter types.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_wast_component.h"
#include "component/cm_inst.h"

typedef struct cmw_named {
  char *name;
  cm_component *comp; /* definitions */
  cm_instance *inst;  /* instances */
} cmw_named;

struct cmw_state {
  wasm_engine *engine;
  wasm_store *store;
  cm_linker *linker;
  cmw_named *defs;
  size_t ndefs, capdefs;
  cmw_named *insts;
  size_t ninsts, capinsts;
  cm_instance *current;
  cm_component **comps; /* every compiled component, deleted at the end */
  size_t ncomps, capcomps;
};

static bool grow(void **arr, size_t *cap, size_t n, size_t size) {
  if (n < *cap) return true;
  size_t c = *cap ? *cap * 2 : 16;
  void *p = realloc(*arr, c * size);
  if (!p) return false;
  *arr = p;
  *cap = c;
  return true;
}

static char *dupstr(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s);
  char *p = malloc(n + 1);
  if (p) memcpy(p, s, n + 1);
  return p;
}

static wasm_status fail(wasm_error *err, wasm_status st, const char *msg) {
  if (err) {
    err->status = st;
    snprintf(err->message, sizeof err->message, "%s", msg);
  }
  return st;
}

cmw_state *cmw_new(wasm_engine *e, wasm_store *s) {
  cmw_state *w = calloc(1, sizeof *w);
  if (!w) return NULL;
  w->engine = e;
  w->store = s;
  w->linker = cm_linker_new(e);
  if (!w->linker) {
    free(w);
    return NULL;
  }
  return w;
}

void cmw_delete(cmw_state *w) {
  if (!w) return;
  for (size_t i = 0; i < w->ninsts; i++) {
    free(w->insts[i].name);
    cm_instance_delete(w->insts[i].inst);
  }
  free(w->insts);
  for (size_t i = 0; i < w->ndefs; i++) free(w->defs[i].name);
  free(w->defs);
  cm_linker_delete(w->linker);
  for (size_t i = 0; i < w->ncomps; i++) cm_component_delete(w->comps[i]);
  free(w->comps);
  free(w);
}

wasm_status cmw_compile(cmw_state *w, const wast_module_src *src, cm_component **out,
                        bool *text_failed, wasm_error *err) {
  *text_failed = false;
  *out = NULL;
  uint8_t *bin = NULL;
  size_t n = 0;
  wasm_status st;
  if (src->form == WAST_MODULE_BINARY) {
    bin = src->bytes;
    n = src->len;
  } else {
    st = cm_wat_to_binary((const char *)src->bytes, src->len, &bin, &n, err);
    if (st != WASM_OK) {
      *text_failed = true;
      return st;
    }
  }
  st = cm_component_new(w->engine, bin, n, out, err);
  if (bin != src->bytes) free(bin);
  if (st != WASM_OK) return st;
  if (!grow((void **)&w->comps, &w->capcomps, w->ncomps, sizeof *w->comps)) {
    cm_component_delete(*out);
    *out = NULL;
    return fail(err, WASM_NOMEM, "out of memory");
  }
  w->comps[w->ncomps++] = *out;
  return WASM_OK;
}

/* Keeps an instance (named or not) alive until the end of the script. */
static wasm_status keep_instance(cmw_state *w, const char *name, cm_instance *inst,
                                 wasm_error *err) {
  if (!grow((void **)&w->insts, &w->capinsts, w->ninsts, sizeof *w->insts)) {
    cm_instance_delete(inst);
    return fail(err, WASM_NOMEM, "out of memory");
  }
  w->insts[w->ninsts].name = dupstr(name);
  w->insts[w->ninsts].inst = inst;
  w->insts[w->ninsts].comp = NULL;
  w->ninsts++;
  w->current = inst;
  return WASM_OK;
}

static cm_instance *find_instance(cmw_state *w, const char *name) {
  if (!name) return w->current;
  for (size_t i = w->ninsts; i-- > 0;)
    if (w->insts[i].name && strcmp(w->insts[i].name, name) == 0) return w->insts[i].inst;
  return NULL;
}

bool cmw_has_instance(const cmw_state *w, const char *name) {
  for (size_t i = 0; name && i < w->ninsts; i++)
    if (w->insts[i].name && strcmp(w->insts[i].name, name) == 0) return true;
  return false;
}

wasm_status cmw_component(cmw_state *w, const wast_module_src *src, bool *instantiated,
                          wasm_error *err) {
  cm_component *c;
  *instantiated = false;
  if (!src->definition) w->current = NULL;
  bool text_failed;
  wasm_status st = cmw_compile(w, src, &c, &text_failed, err);
  if (st != WASM_OK) return st;
  if (src->definition) {
    if (!grow((void **)&w->defs, &w->capdefs, w->ndefs, sizeof *w->defs))
      return fail(err, WASM_NOMEM, "out of memory");
    w->defs[w->ndefs].name = dupstr(src->name);
    w->defs[w->ndefs].comp = c;
    w->defs[w->ndefs].inst = NULL;
    w->ndefs++;
    return WASM_OK;
  }
  cm_instance *inst;
  st = cm_linker_instantiate(w->linker, w->store, c, &inst, err);
  if (st != WASM_OK) return st;
  st = keep_instance(w, src->name, inst, err);
  *instantiated = st == WASM_OK;
  return st;
}

wasm_status cmw_instance(cmw_state *w, const char *name, const char *def, wasm_error *err) {
  cm_component *c = NULL;
  for (size_t i = w->ndefs; i-- > 0 && !c;)
    if (def && w->defs[i].name && strcmp(w->defs[i].name, def) == 0) c = w->defs[i].comp;
  w->current = NULL;
  if (!c) return fail(err, WASM_BAD_ARG, "unknown component definition");
  cm_instance *inst;
  wasm_status st = cm_linker_instantiate(w->linker, w->store, c, &inst, err);
  if (st != WASM_OK) return st;
  return keep_instance(w, name, inst, err);
}

wasm_status cmw_register(cmw_state *w, const char *as, const char *inst, wasm_error *err) {
  cm_instance *in = find_instance(w, inst);
  if (!in) return fail(err, WASM_BAD_ARG, "unknown component instance");
  return cm_linker_define_instance(w->linker, as, in, err);
}

wasm_status cmw_instantiate_only(cmw_state *w, const wast_module_src *src, bool *compiled,
                                 wasm_error *err) {
  cm_component *c;
  bool text_failed;
  *compiled = false;
  wasm_status st = cmw_compile(w, src, &c, &text_failed, err);
  if (st != WASM_OK) return st;
  *compiled = true;
  cm_instance *inst;
  st = cm_linker_instantiate(w->linker, w->store, c, &inst, err);
  if (st == WASM_OK) cm_instance_delete(inst);
  return st;
}

void cmw_result_free(cmw_result *res) {
  if (res->has_result) cm_val_free(&res->val);
  res->has_result = false;
}

wasm_status cmw_invoke(cmw_state *w, const char *inst, const char *field,
                       const char *const *args, const size_t *arg_lens, size_t nargs,
                       cmw_result *res, wasm_error *err) {
  memset(res, 0, sizeof *res);
  cm_instance *in = find_instance(w, inst);
  if (!in) return fail(err, WASM_BAD_ARG, "no component instance");
  cm_func *f = cm_instance_func(in, field);
  if (!f) return fail(err, WASM_BAD_ARG, "unknown export");
  const cm_functype *ft = cm_func_type(f);
  res->type = ft;
  if (nargs != ft->nparams) return fail(err, WASM_BAD_ARG, "wrong number of arguments");
  cm_val *vals = calloc(nargs ? nargs : 1, sizeof *vals);
  if (!vals) return fail(err, WASM_NOMEM, "out of memory");
  wasm_status st = WASM_OK;
  size_t parsed = 0;
  for (; parsed < nargs; parsed++) {
    size_t used;
    st = cm_value_parse(args[parsed], arg_lens[parsed], ft->params[parsed].type,
                        &vals[parsed], &used, err);
    if (st != WASM_OK) break;
  }
  if (st == WASM_OK) {
    st = cm_func_call(f, vals, nargs, &res->val, err);
    res->has_result = st == WASM_OK && ft->result != NULL;
    if (st == WASM_OK && !ft->result) cm_val_free(&res->val);
  }
  for (size_t i = 0; i < parsed; i++) cm_val_free(&vals[i]);
  free(vals);
  return st;
}

/* Structural equality where NaN matches NaN. */
static bool vals_match(const cm_val *a, const cm_val *b) {
  if (a->kind != b->kind) return false;
  switch (a->kind) {
  case CM_BOOL: return a->of.b == b->of.b;
  case CM_S8: case CM_S16: case CM_S32: case CM_S64: return a->of.s == b->of.s;
  case CM_U8: case CM_U16: case CM_U32: case CM_U64: return a->of.u == b->of.u;
  case CM_F32:
    if (isnan(a->of.f32) || isnan(b->of.f32)) return isnan(a->of.f32) && isnan(b->of.f32);
    return memcmp(&a->of.f32, &b->of.f32, 4) == 0;
  case CM_F64:
    if (isnan(a->of.f64) || isnan(b->of.f64)) return isnan(a->of.f64) && isnan(b->of.f64);
    return memcmp(&a->of.f64, &b->of.f64, 8) == 0;
  case CM_CHAR: return a->of.ch == b->of.ch;
  case CM_STRING:
    return a->of.str.len == b->of.str.len &&
           (a->of.str.len == 0 || memcmp(a->of.str.ptr, b->of.str.ptr, a->of.str.len) == 0);
  case CM_LIST: case CM_RECORD: case CM_TUPLE:
    if (a->of.list.n != b->of.list.n) return false;
    for (size_t i = 0; i < a->of.list.n; i++)
      if (!vals_match(&a->of.list.elems[i], &b->of.list.elems[i])) return false;
    return true;
  case CM_VARIANT: case CM_ENUM: case CM_OPTION: case CM_RESULT:
    if (a->of.variant.disc != b->of.variant.disc) return false;
    if (!a->of.variant.payload || !b->of.variant.payload)
      return !a->of.variant.payload && !b->of.variant.payload;
    return vals_match(a->of.variant.payload, b->of.variant.payload);
  case CM_FLAGS: {
    uint32_t n = a->of.flags.nlabels > b->of.flags.nlabels ? a->of.flags.nlabels
                                                           : b->of.flags.nlabels;
    for (uint32_t w = 0; w < (n + 31) / 32; w++) {
      uint32_t x = w < (a->of.flags.nlabels + 31) / 32 ? a->of.flags.words[w] : 0;
      uint32_t y = w < (b->of.flags.nlabels + 31) / 32 ? b->of.flags.words[w] : 0;
      if (x != y) return false;
    }
    return true;
  }
  case CM_OWN: case CM_BORROW: return a->of.handle == b->of.handle;
  default: return cm_val_equal(a, b);
  }
}

bool cmw_result_matches(const cmw_result *res, const char *const *expected,
                        const size_t *lens, size_t n, char *why, size_t whylen) {
  if (n == 0) {
    if (res->has_result) snprintf(why, whylen, "got a result, expected none");
    return !res->has_result;
  }
  if (!res->has_result || !res->type || !res->type->result) {
    snprintf(why, whylen, "got no result, expected one");
    return false;
  }
  if (n > 1) {
    snprintf(why, whylen, "expected %zu results, functions have at most one", n);
    return false;
  }
  cm_val want;
  size_t used;
  wasm_error err = {0};
  if (cm_value_parse(expected[0], lens[0], res->type->result, &want, &used, &err) != WASM_OK) {
    snprintf(why, whylen, "expected value: %s", err.message);
    return false;
  }
  bool ok = vals_match(&res->val, &want);
  if (!ok) {
    char buf[128];
    size_t k = cm_type_print(res->type->result, buf, sizeof buf);
    (void)k;
    snprintf(why, whylen, "result of type %s differs from %.*s", buf,
             (int)(lens[0] > 200 ? 200 : lens[0]), expected[0]);
  }
  cm_val_free(&want);
  return ok;
}

bool cmw_message_matches(const char *expected, const char *ours) {
  if (!expected) return true;
  static const char prefix[] = "wasm trap: ";
  if (strncmp(expected, prefix, sizeof prefix - 1) == 0) expected += sizeof prefix - 1;
  return strstr(ours, expected) != NULL;
}
