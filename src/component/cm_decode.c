/*
 * cm_decode.c: decoding of the component binary format (Binary.md) with
 * validation in the same pass: every definition is checked against the
 * index spaces built so far, as the spec's incremental validation does.
 * Type-level checks (names, canon options, instantiation) live in
 * cm_validate.c; type constructors in cm_decode_types.c.
 */
#include <stdlib.h>
#include <string.h>

#include "cm_decode.h"

/* ---- reader ---- */

wasm_status cmd_eof(cm_ctx *c) {
  return cm_fail(c->err, WASM_MALFORMED, "unexpected end-of-file");
}

wasm_status cmd_byte(cm_ctx *c, cm_rd *r, uint8_t *out) {
  if (r->p >= r->end) return cmd_eof(c);
  *out = *r->p++;
  return WASM_OK;
}

wasm_status cmd_u32(cm_ctx *c, cm_rd *r, uint32_t *out) {
  uint64_t v = 0;
  for (unsigned shift = 0;; shift += 7) {
    if (r->p >= r->end) return cmd_eof(c);
    uint8_t b = *r->p++;
    if (shift == 28 && (b & 0x70))
      return cm_fail(c->err, WASM_MALFORMED, "integer too large");
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
    if (shift == 28)
      return cm_fail(c->err, WASM_MALFORMED, "integer representation too long");
  }
  *out = (uint32_t)v;
  return WASM_OK;
}

/* s33 for value types: a non-negative type index (negatives are opcodes,
 * handled by the caller before). */
wasm_status cmd_s33(cm_ctx *c, cm_rd *r, int64_t *out) {
  int64_t v = 0;
  unsigned shift = 0;
  uint8_t b = 0;
  do {
    if (r->p >= r->end) return cmd_eof(c);
    b = *r->p++;
    if (shift == 28 && (b & 0x80))
      return cm_fail(c->err, WASM_MALFORMED, "integer representation too long");
    if (shift == 28) {
      /* the last byte: 5 data bits, sign-extended */
      int8_t top = (int8_t)(b << 1) >> 1;
      if ((top >> 4) != 0 && (top >> 4) != -1)
        return cm_fail(c->err, WASM_MALFORMED, "integer too large");
    }
    v |= (int64_t)(b & 0x7f) << shift;
    shift += 7;
  } while (b & 0x80);
  if (shift < 64 && (b & 0x40)) v |= -((int64_t)1 << shift);
  *out = v;
  return WASM_OK;
}

static bool utf8_valid(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t b = s[i];
    uint32_t cp;
    size_t k;
    if (b < 0x80) { i++; continue; }
    if ((b & 0xe0) == 0xc0) { cp = b & 0x1f; k = 1; }
    else if ((b & 0xf0) == 0xe0) { cp = b & 0x0f; k = 2; }
    else if ((b & 0xf8) == 0xf0) { cp = b & 0x07; k = 3; }
    else return false;
    if (n - i < k + 1) return false;
    for (size_t j = 1; j <= k; j++) {
      if ((s[i + j] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (s[i + j] & 0x3f);
    }
    if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) ||
        (k == 3 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += k + 1;
  }
  return true;
}

wasm_status cmd_name(cm_ctx *c, cm_rd *r, const char **out, uint32_t *len) {
  uint32_t n = 0;
  wasm_status st = cmd_u32(c, r, &n);
  if (st) return st;
  if ((size_t)(r->end - r->p) < n) return cmd_eof(c);
  if (!utf8_valid(r->p, n))
    return cm_fail(c->err, WASM_MALFORMED, "malformed UTF-8 encoding");
  char *s = cm_arena_strndup(c->arena, (const char *)r->p, n);
  if (!s) return cm_fail(c->err, WASM_NOMEM, "out of memory");
  r->p += n;
  *out = s;
  if (len) *len = n;
  return WASM_OK;
}

wasm_status cmd_count(cm_ctx *c, cm_rd *r, uint32_t *n) {
  wasm_status st = cmd_u32(c, r, n);
  if (st) return st;
  if (*n > (size_t)(r->end - r->p)) return cmd_eof(c);
  return WASM_OK;
}

wasm_status cmd_bad_byte(cm_ctx *c, uint8_t b, const char *what) {
  return cm_fail(c->err, WASM_MALFORMED, "invalid leading byte (0x%x) for %s",
                 b, what);
}

wasm_status cmd_nomem(cm_ctx *c) {
  return cm_fail(c->err, WASM_NOMEM, "out of memory");
}

/* ---- index spaces ---- */

static bool grow(void **v, uint32_t *cap, uint32_t need, size_t size) {
  if (need <= *cap) return true;
  uint32_t nc = *cap ? *cap * 2 : 8;
  while (nc < need) nc *= 2;
  void *p = realloc(*v, (size_t)nc * size);
  if (!p) return false;
  *v = p;
  *cap = nc;
  return true;
}

wasm_status cmd_push_item(cm_ctx *c, cm_component_def *s, cm_sort sort,
                          uint32_t def, const cm_externtype *t,
                          uint32_t *out) {
  cm_space *sp = &s->space[sort];
  if (sp->n >= CM_MAX_ITEMS)
    return cm_fail(c->err, WASM_INVALID, "too many items in the %s index space",
                   cm_sort_name(sort));
  if (!grow((void **)&sp->items, &sp->cap, sp->n + 1, sizeof *sp->items))
    return cmd_nomem(c);
  cm_item *it = &sp->items[sp->n];
  memset(it, 0, sizeof *it);
  it->def = def;
  it->t = *t;
  it->t.sort = sort;
  if (out) *out = sp->n;
  sp->n++;
  return WASM_OK;
}

cm_def *cmd_push_def(cm_ctx *c, cm_component_def *s, cm_def_kind kind) {
  if (!grow((void **)&s->defs, &s->defcap, s->ndefs + 1, sizeof *s->defs)) {
    cmd_nomem(c);
    return NULL;
  }
  cm_def *d = &s->defs[s->ndefs++];
  memset(d, 0, sizeof *d);
  d->kind = kind;
  return d;
}

/* Adds d's item and records it on d (the last def of s). */
wasm_status cmd_def_item(cm_ctx *c, cm_component_def *s, cm_sort sort,
                         const cm_externtype *t) {
  uint32_t di = s->ndefs - 1, idx;
  wasm_status st = cmd_push_item(c, s, sort, di, t, &idx);
  if (st) return st;
  s->defs[di].sort = sort;
  s->defs[di].item = idx;
  s->defs[di].has_item = true;
  return WASM_OK;
}

const cm_item *cm_item_at(const cm_component_def *s, cm_sort sort,
                          uint32_t idx) {
  if ((unsigned)sort >= CM_SORT_COUNT || idx >= s->space[sort].n) return NULL;
  return &s->space[sort].items[idx];
}

wasm_status cmd_item(cm_ctx *c, const cm_component_def *s, cm_sort sort,
                     uint32_t idx, const cm_item **out) {
  *out = cm_item_at(s, sort, idx);
  if (*out) return WASM_OK;
  const char *what = "index";
  switch (sort) {
  case CM_SORT_CORE_FUNC: case CM_SORT_FUNC: what = "function index"; break;
  case CM_SORT_CORE_TABLE: what = "table index"; break;
  case CM_SORT_CORE_MEMORY: what = "memory index"; break;
  case CM_SORT_CORE_GLOBAL: what = "global index"; break;
  case CM_SORT_CORE_TAG: what = "tag index"; break;
  case CM_SORT_CORE_TYPE: what = "core type index"; break;
  case CM_SORT_CORE_MODULE: what = "module index"; break;
  case CM_SORT_CORE_INSTANCE: what = "core instance index"; break;
  case CM_SORT_VALUE: what = "value index"; break;
  case CM_SORT_TYPE: what = "type index"; break;
  case CM_SORT_COMPONENT: what = "component index"; break;
  case CM_SORT_INSTANCE: what = "instance index"; break;
  default: break;
  }
  return cm_fail(c->err, WASM_INVALID, "%s %u out of bounds", what, idx);
}

cm_component_def *cmd_new_scope(cm_ctx *c, const cm_component_def *parent,
                                bool is_type) {
  cm_component_def *s = cm_arena_alloc(c->arena, sizeof *s);
  if (!s) {
    cmd_nomem(c);
    return NULL;
  }
  s->parent = parent;
  s->depth = parent ? parent->depth + 1 : 0;
  s->is_type = is_type;
  if (s->depth > CM_MAX_NESTING) {
    cm_fail(c->err, WASM_MALFORMED, "nesting too deep");
    return NULL;
  }
  /* Type scopes are freed by the component through the scope list. */
  if (!grow((void **)&c->scopes, &c->scopecap, c->nscopes + 1,
            sizeof *c->scopes)) {
    cmd_nomem(c);
    return NULL;
  }
  c->scopes[c->nscopes++] = s;
  return s;
}

/* ---- sort bytes ---- */

wasm_status cmd_core_sort(cm_ctx *c, uint8_t b, cm_sort *out) {
  switch (b) {
  case 0x00: *out = CM_SORT_CORE_FUNC; return WASM_OK;
  case 0x01: *out = CM_SORT_CORE_TABLE; return WASM_OK;
  case 0x02: *out = CM_SORT_CORE_MEMORY; return WASM_OK;
  case 0x03: *out = CM_SORT_CORE_GLOBAL; return WASM_OK;
  case 0x04: *out = CM_SORT_CORE_TAG; return WASM_OK;
  case 0x10: *out = CM_SORT_CORE_TYPE; return WASM_OK;
  case 0x11: *out = CM_SORT_CORE_MODULE; return WASM_OK;
  case 0x12: *out = CM_SORT_CORE_INSTANCE; return WASM_OK;
  default: return cmd_bad_byte(c, b, "core sort");
  }
}

wasm_status cmd_sort(cm_ctx *c, cm_rd *r, cm_sort *out) {
  uint8_t b = 0;
  wasm_status st = cmd_byte(c, r, &b);
  if (st) return st;
  switch (b) {
  case 0x00:
    if ((st = cmd_byte(c, r, &b))) return st;
    return cmd_core_sort(c, b, out);
  case 0x01: *out = CM_SORT_FUNC; return WASM_OK;
  case 0x02: *out = CM_SORT_VALUE; return WASM_OK;
  case 0x03: *out = CM_SORT_TYPE; return WASM_OK;
  case 0x04: *out = CM_SORT_COMPONENT; return WASM_OK;
  case 0x05: *out = CM_SORT_INSTANCE; return WASM_OK;
  default: return cmd_bad_byte(c, b, "component external kind");
  }
}

/* ---- core modules ---- */

static wasm_status core_functype_of(cm_ctx *c, const wasm_functype *f,
                                    const cm_core_functype **out) {
  cm_core_functype *t = cm_arena_alloc(c->arena, sizeof *t);
  uint32_t np = wasm_functype_nparams(f), nr = wasm_functype_nresults(f);
  uint8_t *v = cm_arena_alloc(c->arena, (size_t)np + nr + 1);
  if (!t || !v) return cmd_nomem(c);
  for (uint32_t i = 0; i < np; i++) v[i] = wasm_functype_param(f, i);
  for (uint32_t i = 0; i < nr; i++) v[np + i] = wasm_functype_result(f, i);
  t->nparams = np;
  t->nresults = nr;
  t->params = v;
  t->results = v + np;
  *out = t;
  return WASM_OK;
}

static wasm_status core_extern_of(cm_ctx *c, const wasm_externtype *w,
                                  cm_core_externtype *out) {
  memset(out, 0, sizeof *out);
  out->kind = w->kind;
  out->elem = w->elem;
  out->limits = w->limits;
  out->global_kind = w->global_kind;
  out->global_mutable = w->global_mutable;
  if (w->kind == WASM_EXTERN_FUNC) return core_functype_of(c, w->func, &out->func);
  return WASM_OK;
}

wasm_status cmd_module_type(cm_ctx *c, const wasm_module *m,
                            const cm_moduletype **out) {
  cm_moduletype *t = cm_arena_alloc(c->arena, sizeof *t);
  if (!t) return cmd_nomem(c);
  t->nimports = wasm_module_import_count(m);
  t->nexports = wasm_module_export_count(m);
  t->imports = cm_arena_array(c->arena, t->nimports, sizeof *t->imports);
  t->exports = cm_arena_array(c->arena, t->nexports, sizeof *t->exports);
  if ((t->nimports && !t->imports) || (t->nexports && !t->exports))
    return cmd_nomem(c);
  wasm_status st;
  for (uint32_t i = 0; i < t->nimports; i++) {
    const char *mod, *name;
    wasm_externkind k;
    wasm_externtype w;
    wasm_module_import(m, i, &mod, &name, &k);
    wasm_module_import_type(m, i, &w);
    t->imports[i].module = mod;
    t->imports[i].name = name;
    if ((st = core_extern_of(c, &w, &t->imports[i].t))) return st;
  }
  for (uint32_t i = 0; i < t->nexports; i++) {
    const char *name = NULL;
    wasm_externkind k;
    wasm_externtype w;
    wasm_module_export(m, i, &name, &k);
    wasm_module_export_type(m, i, &w);
    t->exports[i].name = name;
    if ((st = core_extern_of(c, &w, &t->exports[i].t))) return st;
  }
  *out = t;
  return WASM_OK;
}

static wasm_status sec_core_module(cm_ctx *c, cm_component_def *s, cm_rd *r) {
  size_t len = (size_t)(r->end - r->p);
  if (len < 8 || memcmp(r->p, "\0asm", 4) || r->p[4] != 1 || r->p[5] || r->p[6] ||
      r->p[7])
    return cm_fail(c->err, WASM_MALFORMED,
                   "expected a version header for a module");
  wasm_module *m = NULL;
  wasm_status st = wasm_module_new(c->comp->engine, r->p, len, &m, c->err);
  if (st) return st;
  if (!grow((void **)&c->comp->modules, &c->comp->modcap, c->comp->nmodules + 1,
            sizeof *c->comp->modules)) {
    wasm_module_delete(m);
    return cmd_nomem(c);
  }
  c->comp->modules[c->comp->nmodules++] = m;
  r->p = r->end;
  cm_def *d = cmd_push_def(c, s, CM_DEF_CORE_MODULE);
  if (!d) return WASM_NOMEM;
  d->u.module = m;
  cm_externtype t = {.sort = CM_SORT_CORE_MODULE};
  if ((st = cmd_module_type(c, m, &t.u.module))) return st;
  if ((st = cmv_core_names_unique(c, t.u.module))) return st;
  return cmd_def_item(c, s, CM_SORT_CORE_MODULE, &t);
}

/* ---- core instances ---- */

static wasm_externkind core_kind_of_sort(cm_sort s) {
  switch (s) {
  case CM_SORT_CORE_TABLE: return WASM_EXTERN_TABLE;
  case CM_SORT_CORE_MEMORY: return WASM_EXTERN_MEMORY;
  case CM_SORT_CORE_GLOBAL: return WASM_EXTERN_GLOBAL;
  case CM_SORT_CORE_TAG: return WASM_EXTERN_TAG;
  default: return WASM_EXTERN_FUNC;
  }
}

cm_sort cmd_sort_of_core_kind(wasm_externkind k) {
  switch (k) {
  case WASM_EXTERN_TABLE: return CM_SORT_CORE_TABLE;
  case WASM_EXTERN_MEMORY: return CM_SORT_CORE_MEMORY;
  case WASM_EXTERN_GLOBAL: return CM_SORT_CORE_GLOBAL;
  case WASM_EXTERN_TAG: return CM_SORT_CORE_TAG;
  default: return CM_SORT_CORE_FUNC;
  }
}

static wasm_status core_instance(cm_ctx *c, cm_component_def *s, cm_rd *r) {
  uint8_t b = 0;
  wasm_status st = cmd_byte(c, r, &b);
  if (st) return st;
  cm_def *d = cmd_push_def(c, s, CM_DEF_CORE_INSTANCE);
  if (!d) return WASM_NOMEM;
  cm_core_instance_def *ci = &d->u.core_instance;
  cm_moduletype *it = cm_arena_alloc(c->arena, sizeof *it);
  if (!it) return cmd_nomem(c);
  if (b == 0x00) {
    ci->instantiate = true;
    uint32_t n = 0;
    if ((st = cmd_u32(c, r, &ci->module)) || (st = cmd_count(c, r, &n)))
      return st;
    ci->args = cm_arena_array(c->arena, n, sizeof *ci->args);
    if (n && !ci->args) return cmd_nomem(c);
    ci->nargs = n;
    for (uint32_t i = 0; i < n; i++) {
      if ((st = cmd_name(c, r, &ci->args[i].name, NULL))) return st;
      if ((st = cmd_byte(c, r, &b))) return st;
      if (b != 0x12) return cmd_bad_byte(c, b, "instantiation arg kind");
      if ((st = cmd_u32(c, r, &ci->args[i].instance))) return st;
    }
    if ((st = cmv_core_instantiate(c, s, ci, it))) return st;
  } else if (b == 0x01) {
    uint32_t n = 0;
    if ((st = cmd_count(c, r, &n))) return st;
    ci->exports = cm_arena_array(c->arena, n, sizeof *ci->exports);
    it->exports = cm_arena_array(c->arena, n, sizeof *it->exports);
    if (n && (!ci->exports || !it->exports)) return cmd_nomem(c);
    ci->nexports = n;
    it->nexports = n;
    for (uint32_t i = 0; i < n; i++) {
      if ((st = cmd_name(c, r, &ci->exports[i].name, NULL))) return st;
      if ((st = cmd_byte(c, r, &b))) return st;
      if ((st = cmd_core_sort(c, b, &ci->exports[i].si.sort))) return st;
      if ((st = cmd_u32(c, r, &ci->exports[i].si.idx))) return st;
    }
    for (uint32_t i = 0; i < n; i++) {
      cm_sort so = ci->exports[i].si.sort;
      for (uint32_t j = 0; j < i; j++)
        if (!strcmp(ci->exports[j].name, ci->exports[i].name))
          return cm_fail(c->err, WASM_INVALID,
                         "export name `%s` already defined", ci->exports[i].name);
      if (so > CM_SORT_CORE_TAG)
        return cm_fail(c->err, WASM_INVALID,
                       "core instance export of this sort is not valid");
      const cm_item *item = NULL;
      if ((st = cmd_item(c, s, so, ci->exports[i].si.idx, &item))) return st;
      it->exports[i].name = ci->exports[i].name;
      it->exports[i].t = item->t.u.core;
      it->exports[i].t.kind = core_kind_of_sort(so);
    }
  } else {
    return cmd_bad_byte(c, b, "core instance");
  }
  cm_externtype t = {.sort = CM_SORT_CORE_INSTANCE};
  t.u.core_instance = it;
  return cmd_def_item(c, s, CM_SORT_CORE_INSTANCE, &t);
}

/* ---- component instances ---- */

static wasm_status instance(cm_ctx *c, cm_component_def *s, cm_rd *r) {
  uint8_t b = 0;
  wasm_status st = cmd_byte(c, r, &b);
  if (st) return st;
  cm_def *d = cmd_push_def(c, s, CM_DEF_INSTANCE);
  if (!d) return WASM_NOMEM;
  cm_instance_def *in = &d->u.instance;
  uint32_t n = 0;
  cm_inst_arg *v;
  if (b == 0x00) {
    in->instantiate = true;
    if ((st = cmd_u32(c, r, &in->component))) return st;
  } else if (b != 0x01) {
    return cmd_bad_byte(c, b, "instance");
  }
  if ((st = cmd_count(c, r, &n))) return st;
  v = cm_arena_array(c->arena, n, sizeof *v);
  if (n && !v) return cmd_nomem(c);
  for (uint32_t i = 0; i < n; i++) {
    if (b == 0x01) {
      cm_name nm;
      if ((st = cmv_read_extern_name(c, r, &nm))) return st;
      v[i].name = nm.name;
    } else if ((st = cmd_name(c, r, &v[i].name, NULL))) {
      return st;
    }
    if ((st = cmd_sort(c, r, &v[i].si.sort))) return st;
    if ((st = cmd_u32(c, r, &v[i].si.idx))) return st;
  }
  if (b == 0x00) {
    in->args = v;
    in->nargs = n;
  } else {
    in->exports = v;
    in->nexports = n;
  }
  cm_externtype t = {.sort = CM_SORT_INSTANCE};
  if ((st = cmv_instance(c, s, in, &t.u.instance))) return st;
  return cmd_def_item(c, s, CM_SORT_INSTANCE, &t);
}

/* ---- aliases ---- */

wasm_status cmd_alias(cm_ctx *c, cm_component_def *s, cm_rd *r) {
  cm_sort sort = CM_SORT_FUNC;
  uint8_t b = 0;
  wasm_status st = cmd_sort(c, r, &sort);
  if (st) return st;
  if ((st = cmd_byte(c, r, &b))) return st;
  cm_def *d = cmd_push_def(c, s, CM_DEF_ALIAS);
  if (!d) return WASM_NOMEM;
  cm_alias_def *a = &d->u.alias;
  a->sort = sort;
  switch (b) {
  case 0x00:
    a->kind = CM_ALIAS_EXPORT;
    if ((st = cmd_u32(c, r, &a->instance))) return st;
    if ((st = cmd_name(c, r, &a->name, NULL))) return st;
    break;
  case 0x01:
    a->kind = CM_ALIAS_CORE_EXPORT;
    if ((st = cmd_u32(c, r, &a->instance))) return st;
    if ((st = cmd_name(c, r, &a->name, NULL))) return st;
    break;
  case 0x02:
    a->kind = CM_ALIAS_OUTER;
    if (sort != CM_SORT_TYPE && sort != CM_SORT_CORE_TYPE &&
        sort != CM_SORT_CORE_MODULE && sort != CM_SORT_COMPONENT)
      return cmd_bad_byte(c, sort == CM_SORT_FUNC ? 1 :
                          sort == CM_SORT_INSTANCE ? 5 :
                          sort == CM_SORT_VALUE ? 2 : 0,
                          "component outer alias kind");
    if ((st = cmd_u32(c, r, &a->outer_count))) return st;
    if ((st = cmd_u32(c, r, &a->outer_idx))) return st;
    break;
  default:
    return cmd_bad_byte(c, b, "alias");
  }
  cm_externtype t;
  if ((st = cmv_alias(c, s, a, &t))) return st;
  return cmd_def_item(c, s, sort, &t);
}

/* ---- canon ---- */

typedef enum canon_imm {
  IMM_SPECIAL, IMM_NONE, IMM_TYPE, IMM_TYPE_OPTS, IMM_OPTS, IMM_TYPE_ASYNC,
  IMM_FLAG, IMM_FLAG_MEM, IMM_CTX, IMM_RESULT_OPTS, IMM_CORETYPE,
  IMM_CORETYPE_TABLE
} canon_imm;

static const uint8_t canon_imms[CM_CANON_COUNT] = {
#define CM_CANON_IMM(id, name, code, imm) IMM_##imm,
    CM_CANON_LIST(CM_CANON_IMM)
#undef CM_CANON_IMM
};

static wasm_status read_flag(cm_ctx *c, cm_rd *r, bool *out) {
  uint8_t b = 0;
  wasm_status st = cmd_byte(c, r, &b);
  if (st) return st;
  if (b > 1) return cm_fail(c->err, WASM_MALFORMED, "invalid boolean value");
  *out = b;
  return WASM_OK;
}

static wasm_status read_opts(cm_ctx *c, cm_rd *r, cm_canonopts *o) {
  uint32_t n = 0;
  wasm_status st = cmd_count(c, r, &n);
  if (st) return st;
  static const char *const encs[] = {"utf8", "utf16", "latin1-utf16"};
  for (uint32_t i = 0; i < n; i++) {
    uint8_t b = 0;
    if ((st = cmd_byte(c, r, &b))) return st;
    uint32_t *slot = NULL;
    bool *has = NULL;
    const char *what = NULL;
    switch (b) {
    case 0x00: case 0x01: case 0x02:
      if (o->has_encoding)
        return cm_fail(c->err, WASM_INVALID,
                       "canonical encoding option `%s` conflicts with option `%s`",
                       encs[o->encoding < b ? o->encoding : b],
                       encs[o->encoding < b ? b : o->encoding]);
      o->has_encoding = true;
      o->encoding = (cm_string_encoding)b;
      continue;
    case 0x03: slot = &o->memory; has = &o->has_memory; what = "memory"; break;
    case 0x04: slot = &o->realloc; has = &o->has_realloc; what = "realloc"; break;
    case 0x05: slot = &o->post_return; has = &o->has_post_return;
      what = "post-return"; break;
    case 0x06:
      if (o->async_)
        return cm_fail(c->err, WASM_INVALID,
                       "canonical option `async` is specified more than once");
      o->async_ = true;
      continue;
    case 0x07: slot = &o->callback; has = &o->has_callback; what = "callback"; break;
    case 0x08: slot = &o->core_type; has = &o->has_core_type;
      what = "core-type"; break;
    case 0x09: o->gc = true; continue;
    default:
      return cmd_bad_byte(c, b, "canonical option");
    }
    uint32_t v = 0;
    if ((st = cmd_u32(c, r, &v))) return st;
    if (*has)
      return cm_fail(c->err, WASM_INVALID,
                     "canonical option `%s` is specified more than once", what);
    *has = true;
    *slot = v;
  }
  return WASM_OK;
}

wasm_status cmd_resultlist(cm_ctx *c, cm_component_def *s, cm_rd *r,
                           const cm_type **out) {
  uint8_t b = 0;
  wasm_status st = cmd_byte(c, r, &b);
  if (st) return st;
  if (b == 0x00) return cmd_valtype(c, s, r, out);
  if (b != 0x01) return cmd_bad_byte(c, b, "component function results");
  if ((st = cmd_byte(c, r, &b))) return st;
  if (b != 0x00) return cmd_bad_byte(c, b, "number of results");
  *out = NULL;
  return WASM_OK;
}

static wasm_status canon(cm_ctx *c, cm_component_def *s, cm_rd *r) {
  uint8_t b = 0;
  wasm_status st = cmd_byte(c, r, &b);
  if (st) return st;
  int kind = -1;
  for (int k = 0; k < CM_CANON_COUNT; k++)
    if (cm_canon_table[k].code == b) kind = k;
  if (kind < 0) return cmd_bad_byte(c, b, "canonical function");
  cm_def *d = cmd_push_def(c, s, CM_DEF_CANON);
  if (!d) return WASM_NOMEM;
  cm_canon_def *cd = &d->u.canon;
  cd->kind = (cm_canon_kind)kind;
  switch ((canon_imm)canon_imms[kind]) {
  case IMM_SPECIAL: {
    uint8_t z = 0;
    if ((st = cmd_byte(c, r, &z))) return st;
    if (z != 0x00)
      return cmd_bad_byte(c, z, kind == CM_CANON_LIFT ? "canonical function lift"
                                                      : "canonical function lower");
    if ((st = cmd_u32(c, r, &cd->func))) return st;
    if ((st = read_opts(c, r, &cd->opts))) return st;
    if (kind == CM_CANON_LIFT && (st = cmd_u32(c, r, &cd->type))) return st;
    break;
  }
  case IMM_NONE: break;
  case IMM_TYPE: st = cmd_u32(c, r, &cd->type); break;
  case IMM_TYPE_OPTS:
    if ((st = cmd_u32(c, r, &cd->type))) return st;
    st = read_opts(c, r, &cd->opts);
    break;
  case IMM_OPTS: st = read_opts(c, r, &cd->opts); break;
  case IMM_TYPE_ASYNC:
    if ((st = cmd_u32(c, r, &cd->type))) return st;
    st = read_flag(c, r, &cd->flag);
    break;
  case IMM_FLAG: st = read_flag(c, r, &cd->flag); break;
  case IMM_FLAG_MEM:
    if ((st = read_flag(c, r, &cd->flag))) return st;
    st = cmd_u32(c, r, &cd->opts.memory);
    cd->opts.has_memory = true;
    break;
  case IMM_CTX:
    if ((st = cmd_byte(c, r, &b))) return st;
    if (b != 0x7f) return cmd_bad_byte(c, b, "context intrinsic type");
    st = cmd_u32(c, r, &cd->index);
    break;
  case IMM_RESULT_OPTS:
    cd->has_result = true;
    if ((st = cmd_resultlist(c, s, r, &cd->result))) return st;
    st = read_opts(c, r, &cd->opts);
    break;
  case IMM_CORETYPE: st = cmd_u32(c, r, &cd->type); break;
  case IMM_CORETYPE_TABLE:
    if ((st = cmd_u32(c, r, &cd->type))) return st;
    st = cmd_u32(c, r, &cd->index);
    break;
  }
  if (st) return st;
  cm_externtype t;
  if ((st = cmv_canon(c, s, cd, &t))) return st;
  return cmd_def_item(c, s, t.sort, &t);
}

/* ---- start, imports, exports ---- */

static wasm_status start(cm_ctx *c, cm_component_def *s, cm_rd *r) {
  cm_def *d = cmd_push_def(c, s, CM_DEF_START);
  if (!d) return WASM_NOMEM;
  cm_start_def *sd = &d->u.start;
  uint32_t n = 0;
  wasm_status st = cmd_u32(c, r, &sd->func);
  if (st || (st = cmd_count(c, r, &n))) return st;
  sd->args = cm_arena_array(c->arena, n, sizeof *sd->args);
  if (n && !sd->args) return cmd_nomem(c);
  sd->nargs = n;
  for (uint32_t i = 0; i < n; i++)
    if ((st = cmd_u32(c, r, &sd->args[i]))) return st;
  if ((st = cmd_u32(c, r, &sd->nresults))) return st;
  return cmv_start(c, s, sd);
}

static wasm_status import(cm_ctx *c, cm_component_def *s, cm_rd *r) {
  cm_def *d = cmd_push_def(c, s, CM_DEF_IMPORT);
  if (!d) return WASM_NOMEM;
  uint32_t di = s->ndefs - 1;
  cm_import_def im;
  memset(&im, 0, sizeof im);
  wasm_status st = cmv_read_extern_name(c, r, &im.name);
  if (st || (st = cmd_externdesc(c, s, r, &im.t))) return st;
  if ((st = cmv_import(c, s, &im.name, &im.t))) return st;
  s->defs[di].u.import = im;
  if (!grow((void **)&s->imports, &s->impcap, s->nimports + 1,
            sizeof *s->imports))
    return cmd_nomem(c);
  s->imports[s->nimports++] = di;
  return cmd_def_item(c, s, im.t.sort, &im.t);
}

static wasm_status export(cm_ctx *c, cm_component_def *s, cm_rd *r) {
  cm_def *d = cmd_push_def(c, s, CM_DEF_EXPORT);
  if (!d) return WASM_NOMEM;
  uint32_t di = s->ndefs - 1;
  cm_export_def ex;
  memset(&ex, 0, sizeof ex);
  uint8_t b = 0;
  wasm_status st = cmv_read_extern_name(c, r, &ex.name);
  if (st || (st = cmd_sort(c, r, &ex.si.sort))) return st;
  if ((st = cmd_u32(c, r, &ex.si.idx))) return st;
  if ((st = cmd_byte(c, r, &b))) return st;
  cm_externtype asc;
  if (b == 0x01) {
    ex.has_type = true;
    if ((st = cmd_externdesc(c, s, r, &asc))) return st;
  } else if (b != 0x00) {
    return cmd_bad_byte(c, b, "optional component export type");
  }
  if ((st = cmv_export(c, s, &ex, ex.has_type ? &asc : NULL))) return st;
  s->defs[di].u.export_ = ex;
  if (!grow((void **)&s->exports, &s->expcap, s->nexports + 1,
            sizeof *s->exports))
    return cmd_nomem(c);
  s->exports[s->nexports++] = di;
  return cmd_def_item(c, s, ex.t.sort, &ex.t);
}

/* ---- sections ---- */

typedef wasm_status (*item_fn)(cm_ctx *, cm_component_def *, cm_rd *);

static wasm_status vec_of(cm_ctx *c, cm_component_def *s, cm_rd *r, item_fn f) {
  uint32_t n = 0;
  wasm_status st = cmd_count(c, r, &n);
  for (uint32_t i = 0; !st && i < n; i++) st = f(c, s, r);
  return st;
}

static wasm_status core_type_item(cm_ctx *c, cm_component_def *s, cm_rd *r) {
  cm_def *d = cmd_push_def(c, s, CM_DEF_CORE_TYPE);
  if (!d) return WASM_NOMEM;
  const cm_deftype *dt = NULL;
  wasm_status st = cmd_core_type(c, s, r, &dt);
  if (st) return st;
  s->defs[s->ndefs - 1].u.type = dt;
  cm_externtype t = {.sort = CM_SORT_CORE_TYPE};
  t.u.core_type = dt;
  return cmd_def_item(c, s, CM_SORT_CORE_TYPE, &t);
}

static wasm_status type_item(cm_ctx *c, cm_component_def *s, cm_rd *r) {
  cm_def *d = cmd_push_def(c, s, CM_DEF_TYPE);
  if (!d) return WASM_NOMEM;
  const cm_deftype *dt = NULL;
  wasm_status st = cmd_deftype(c, s, r, &dt);
  if (st) return st;
  s->defs[s->ndefs - 1].u.type = dt;
  cm_externtype t = {.sort = CM_SORT_TYPE};
  t.u.type = dt;
  return cmd_def_item(c, s, CM_SORT_TYPE, &t);
}

static wasm_status custom_section(cm_ctx *c, cm_rd *r) {
  const char *name = NULL;
  wasm_status st = cmd_name(c, r, &name, NULL);
  if (st) return st;
  r->p = r->end; /* contents need not be valid (names included) */
  return WASM_OK;
}

static wasm_status nested_component(cm_ctx *c, cm_component_def *s, cm_rd *r) {
  cm_def *d = cmd_push_def(c, s, CM_DEF_COMPONENT);
  if (!d) return WASM_NOMEM;
  uint32_t di = s->ndefs - 1;
  cm_component_def *sub = cmd_new_scope(c, s, false);
  if (!sub) return c->err->status ? c->err->status : WASM_NOMEM;
  s->defs[di].u.component = sub;
  wasm_status st = cmd_component_body(c, sub, r);
  if (st) return st;
  cm_externtype t = {.sort = CM_SORT_COMPONENT};
  if ((st = cmv_component_type(c, sub, &t.u.component))) return st;
  return cmd_def_item(c, s, CM_SORT_COMPONENT, &t);
}

wasm_status cmd_component_body(cm_ctx *c, cm_component_def *s, cm_rd *r) {
  size_t len = (size_t)(r->end - r->p);
  static const uint8_t magic[4] = {0, 'a', 's', 'm'};
  if (len < 4 || memcmp(r->p, magic, 4))
    return cm_fail(c->err, WASM_MALFORMED, "magic header not detected");
  if (len < 8) return cmd_eof(c);
  if (r->p[4] != 0x0d || r->p[5] != 0 || r->p[6] != 1 || r->p[7] != 0) {
    if (r->p[6] == 0 && r->p[7] == 0 && s->parent)
      return cm_fail(c->err, WASM_MALFORMED,
                     "expected a version header for a component");
    return cm_fail(c->err, WASM_MALFORMED, "unknown binary version");
  }
  r->p += 8;
  wasm_status st = WASM_OK;
  while (r->p < r->end) {
    uint8_t id = *r->p++;
    uint32_t size = 0;
    if (id > 11) /* the value section (12) is not implemented by engines */
      return cm_fail(c->err, WASM_MALFORMED, "malformed section id: %u", id);
    if ((st = cmd_u32(c, r, &size))) return st;
    if ((size_t)(r->end - r->p) < size) return cmd_eof(c);
    cm_rd sec = {r->p, r->p + size};
    switch (id) {
    case 0: st = custom_section(c, &sec); break;
    case 1: st = sec_core_module(c, s, &sec); break;
    case 2: st = vec_of(c, s, &sec, core_instance); break;
    case 3: st = vec_of(c, s, &sec, core_type_item); break;
    case 4: st = nested_component(c, s, &sec); break;
    case 5: st = vec_of(c, s, &sec, instance); break;
    case 6: st = vec_of(c, s, &sec, cmd_alias); break;
    case 7: st = vec_of(c, s, &sec, type_item); break;
    case 8: st = vec_of(c, s, &sec, canon); break;
    case 9: st = start(c, s, &sec); break;
    case 10: st = vec_of(c, s, &sec, import); break;
    case 11: st = vec_of(c, s, &sec, export); break;
    }
    if (st) return st;
    if (sec.p != sec.end)
      return cm_fail(c->err, WASM_MALFORMED,
                     "unexpected content after last section item");
    r->p += size;
  }
  return cmv_finish(c, s);
}

/* ---- public entry points ---- */

bool cm_is_component(const uint8_t *bytes, size_t len) {
  return len >= 8 && !memcmp(bytes, "\0asm", 4) && bytes[6] == 1 &&
         bytes[7] == 0;
}

void cm_component_delete(cm_component *comp) {
  if (!comp) return;
  for (uint32_t i = 0; i < comp->nmodules; i++)
    wasm_module_delete(comp->modules[i]);
  free(comp->modules);
  cm_component_def **scopes = comp->scopes;
  for (uint32_t i = 0; i < comp->nscopes; i++) {
    cm_component_def *s = scopes[i];
    for (int k = 0; k < CM_SORT_COUNT; k++) free(s->space[k].items);
    free(s->defs);
    free(s->imports);
    free(s->exports);
  }
  free(scopes);
  cm_arena_free(&comp->arena);
  free(comp);
}

wasm_status cm_component_new(wasm_engine *e, const uint8_t *bytes, size_t len,
                             cm_component **out, wasm_error *err) {
  wasm_error scratch;
  if (!err) err = &scratch;
  err->status = WASM_OK;
  err->message[0] = 0;
  *out = NULL;
  cm_component *comp = calloc(1, sizeof *comp);
  if (!comp) return cm_fail(err, WASM_NOMEM, "out of memory");
  comp->engine = e;
  cm_ctx c = {.comp = comp, .arena = &comp->arena, .err = err};
  cm_rd r = {bytes, bytes + len};
  wasm_status st;
  cm_component_def *root = cmd_new_scope(&c, NULL, false);
  if (!root) {
    st = err->status ? err->status : WASM_NOMEM;
  } else {
    comp->root = root;
    st = cmd_component_body(&c, root, &r);
    if (!st) st = cmv_component_type(&c, root, &root->type);
  }
  comp->scopes = c.scopes;
  comp->nscopes = c.nscopes;
  if (st) {
    cm_component_delete(comp);
    if (err->status == WASM_OK) cm_fail(err, st, "invalid component");
    return st;
  }
  *out = comp;
  return WASM_OK;
}

uint32_t cm_component_import_count(const cm_component *c) {
  return c->root->nimports;
}
const char *cm_component_import_name(const cm_component *c, uint32_t i) {
  if (i >= c->root->nimports) return NULL;
  return c->root->defs[c->root->imports[i]].u.import.name.name;
}
uint32_t cm_component_export_count(const cm_component *c) {
  return c->root->nexports;
}
const char *cm_component_export_name(const cm_component *c, uint32_t i) {
  if (i >= c->root->nexports) return NULL;
  return c->root->defs[c->root->exports[i]].u.export_.name.name;
}
