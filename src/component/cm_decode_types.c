/*
 * cm_decode_types.c: the type section's constructors (Binary.md, "Type
 * Definitions"): value types as cm_type trees, function types, component
 * and instance type declarators (each a scope of its own), resource types,
 * core function and module types, and externdescs.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cm_decode.h"

cm_resource_type *cmd_new_resource(cm_ctx *c, cm_res_origin origin,
                                   const cm_component_def *owner) {
  cm_resource_type *r = cm_arena_alloc(c->arena, sizeof *r);
  if (!r) {
    cmd_nomem(c);
    return NULL;
  }
  r->id = ++c->comp->next_resource_id;
  r->origin = origin;
  r->owner = owner;
  r->rep = WASM_I32;
  return r;
}

static bool prim_of(uint8_t b, cm_typekind *k) {
  if (b >= 0x73 && b <= 0x7f) {
    *k = (cm_typekind)(0x7f - b);
    return true;
  }
  if (b == 0x64) {
    *k = CM_ERROR_CONTEXT;
    return true;
  }
  return false;
}

static wasm_status type_at(cm_ctx *c, cm_component_def *s, uint32_t idx,
                           const cm_deftype **out) {
  const cm_item *it = NULL;
  wasm_status st = cmd_item(c, s, CM_SORT_TYPE, idx, &it);
  if (st) return cm_fail(c->err, WASM_INVALID, "type index out of bounds");
  *out = it->t.u.type;
  return WASM_OK;
}

wasm_status cmd_valtype(cm_ctx *c, cm_component_def *s, cm_rd *r,
                        const cm_type **out) {
  if (r->p >= r->end) return cmd_eof(c);
  cm_typekind k;
  if (prim_of(*r->p, &k)) {
    r->p++;
    *out = cm_type_prim(k);
    return WASM_OK;
  }
  int64_t v;
  wasm_status st = cmd_s33(c, r, &v);
  if (st) return st;
  if (v < 0) return cmd_bad_byte(c, (uint8_t)(v & 0x7f), "component value type");
  const cm_deftype *dt = NULL;
  if ((st = type_at(c, s, (uint32_t)v, &dt))) return st;
  if (dt->kind != CM_DT_VAL)
    return cm_fail(c->err, WASM_INVALID, "type index %u is not a defined type",
                   (uint32_t)v);
  *out = dt->u.val;
  return WASM_OK;
}

static wasm_status opt_valtype(cm_ctx *c, cm_component_def *s, cm_rd *r,
                               const cm_type **out) {
  uint8_t b = 0;
  wasm_status st = cmd_byte(c, r, &b);
  if (st) return st;
  *out = NULL;
  if (b == 0x00) return WASM_OK;
  if (b != 0x01) return cmd_bad_byte(c, b, "optional component value type");
  return cmd_valtype(c, s, r, out);
}

/* Labels are kebab-case and unique ignoring case. */
static wasm_status labels_unique(cm_ctx *c, const char *what, const char *what2,
                                 char **names, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    wasm_status st = cmv_label(c, what, names[i]);
    if (st) return st;
    for (uint32_t j = 0; j < i; j++)
      if (!strcasecmp(names[i], names[j]))
        return cm_fail(c->err, WASM_INVALID,
                       "%s `%s` conflicts with previous %s `%s`", what,
                       names[i], what2, names[j]);
  }
  return WASM_OK;
}

static wasm_status read_fields(cm_ctx *c, cm_component_def *s, cm_rd *r,
                               bool variant, cm_field **out, uint32_t *nout) {
  uint32_t n = 0;
  wasm_status st = cmd_count(c, r, &n);
  if (st) return st;
  cm_field *f = cm_arena_array(c->arena, n, sizeof *f);
  char **names = cm_arena_array(c->arena, n, sizeof *names);
  if (n && (!f || !names)) return cmd_nomem(c);
  for (uint32_t i = 0; i < n; i++) {
    const char *nm;
    if ((st = cmd_name(c, r, &nm, NULL))) return st;
    f[i].name = names[i] = (char *)nm;
    if (variant) {
      if ((st = opt_valtype(c, s, r, &f[i].type))) return st;
      uint8_t z = 0;
      if ((st = cmd_byte(c, r, &z))) return st;
      if (z != 0) return cmd_bad_byte(c, z, "zero byte required");
    } else if ((st = cmd_valtype(c, s, r, &f[i].type))) {
      return st;
    }
  }
  st = variant ? labels_unique(c, "variant case name", "case name", names, n)
               : labels_unique(c, "record field name", "field name", names, n);
  if (st) return st;
  *out = f;
  *nout = n;
  return WASM_OK;
}

static wasm_status read_labels(cm_ctx *c, cm_rd *r, bool flags, char ***out,
                               uint32_t *nout) {
  uint32_t n = 0;
  wasm_status st = cmd_count(c, r, &n);
  if (st) return st;
  char **names = cm_arena_array(c->arena, n, sizeof *names);
  if (n && !names) return cmd_nomem(c);
  for (uint32_t i = 0; i < n; i++) {
    const char *nm;
    if ((st = cmd_name(c, r, &nm, NULL))) return st;
    names[i] = (char *)nm;
  }
  st = flags ? labels_unique(c, "flag name", "flag name", names, n)
             : labels_unique(c, "enum tag name", "tag name", names, n);
  if (st) return st;
  *out = names;
  *nout = n;
  return WASM_OK;
}

static wasm_status resource_of(cm_ctx *c, cm_component_def *s, uint32_t idx,
                               const cm_resource_type **out,
                               const cm_deftype **via) {
  const cm_deftype *dt = NULL;
  wasm_status st = type_at(c, s, idx, &dt);
  if (st) return st;
  if (dt->kind != CM_DT_RESOURCE)
    return cm_fail(c->err, WASM_INVALID, "type index %u is not a resource type",
                   idx);
  *out = dt->u.resource;
  if (via) *via = dt;
  return WASM_OK;
}

static wasm_status defvaltype(cm_ctx *c, cm_component_def *s, cm_rd *r,
                              uint8_t b, const cm_type **out) {
  cm_typekind pk;
  if (prim_of(b, &pk)) {
    *out = cm_type_prim(pk);
    return WASM_OK;
  }
  cm_type *t = cm_arena_alloc(c->arena, sizeof *t);
  if (!t) return cmd_nomem(c);
  wasm_status st = WASM_OK;
  uint32_t idx = 0;
  const cm_deftype *via = NULL;
  switch (b) {
  case 0x72:
    t->kind = CM_RECORD;
    st = read_fields(c, s, r, false, &t->as.record.fields, &t->as.record.n);
    if (!st && !t->as.record.n)
      st = cm_fail(c->err, WASM_INVALID,
                   "record type must have at least one field");
    break;
  case 0x71:
    t->kind = CM_VARIANT;
    st = read_fields(c, s, r, true, &t->as.record.fields, &t->as.record.n);
    if (!st && !t->as.record.n)
      st = cm_fail(c->err, WASM_INVALID,
                   "variant type must have at least one case");
    break;
  case 0x70:
    t->kind = CM_LIST;
    st = cmd_valtype(c, s, r, &t->as.list.elem);
    break;
  case 0x67:
    t->kind = CM_LIST;
    if ((st = cmd_valtype(c, s, r, &t->as.list.elem))) break;
    if ((st = cmd_u32(c, r, &t->as.list.fixed_len))) break;
    if (!t->as.list.fixed_len)
      st = cm_fail(c->err, WASM_INVALID,
                   "Fixed size lists must have more than zero elements");
    break;
  case 0x63: {
    /* map<k, v>: represented as list<tuple<k, v>>, its canonical ABI form */
    cm_type *tup = cm_arena_alloc(c->arena, sizeof *tup);
    const cm_type **kv = cm_arena_array(c->arena, 2, sizeof *kv);
    if (!tup || !kv) return cmd_nomem(c);
    if ((st = cmd_valtype(c, s, r, &kv[0]))) break;
    if ((st = cmd_valtype(c, s, r, &kv[1]))) break;
    tup->kind = CM_TUPLE;
    tup->as.tuple.types = kv;
    tup->as.tuple.n = 2;
    t->kind = CM_LIST;
    t->as.list.elem = tup;
    break;
  }
  case 0x6f: {
    uint32_t n = 0;
    t->kind = CM_TUPLE;
    if ((st = cmd_count(c, r, &n))) break;
    const cm_type **v = cm_arena_array(c->arena, n, sizeof *v);
    if (n && !v) return cmd_nomem(c);
    for (uint32_t i = 0; i < n && !st; i++) st = cmd_valtype(c, s, r, &v[i]);
    t->as.tuple.types = v;
    t->as.tuple.n = n;
    if (!st && !n)
      st = cm_fail(c->err, WASM_INVALID,
                   "tuple type must have at least one type");
    break;
  }
  case 0x6e:
    t->kind = CM_FLAGS;
    st = read_labels(c, r, true, &t->as.labels.names, &t->as.labels.n);
    if (!st && !t->as.labels.n)
      st = cm_fail(c->err, WASM_INVALID, "flags must have at least one entry");
    if (!st && t->as.labels.n > 32)
      st = cm_fail(c->err, WASM_INVALID, "cannot have more than 32 flags");
    break;
  case 0x6d:
    t->kind = CM_ENUM;
    st = read_labels(c, r, false, &t->as.labels.names, &t->as.labels.n);
    if (!st && !t->as.labels.n)
      st = cm_fail(c->err, WASM_INVALID,
                   "enum type must have at least one variant");
    break;
  case 0x6b:
    t->kind = CM_OPTION;
    st = cmd_valtype(c, s, r, &t->as.option.t);
    break;
  case 0x6a:
    t->kind = CM_RESULT;
    if ((st = opt_valtype(c, s, r, &t->as.result.ok))) break;
    st = opt_valtype(c, s, r, &t->as.result.err);
    break;
  case 0x69:
  case 0x68:
    t->kind = b == 0x69 ? CM_OWN : CM_BORROW;
    if ((st = cmd_u32(c, r, &idx))) break;
    if ((st = resource_of(c, s, idx, &t->as.handle.res, &via))) break;
    st = cmv_vis_note_type(c, t, via);
    break;
  case 0x66:
  case 0x65:
    t->kind = b == 0x66 ? CM_STREAM : CM_FUTURE;
    if ((st = opt_valtype(c, s, r, &t->as.async.t))) break;
    if (b == 0x66 && t->as.async.t && t->as.async.t->kind == CM_CHAR)
      st = cm_fail(c->err, WASM_INVALID,
                   "stream<char> is not valid at this time");
    break;
  default:
    return cmd_bad_byte(c, b, "component defined type");
  }
  if (st) return st;
  if (t->kind == CM_RECORD || t->kind == CM_VARIANT || t->kind == CM_ENUM ||
      t->kind == CM_FLAGS) {
    if ((st = cmv_vis_note_type(c, t, NULL))) return st;
  }
  *out = t;
  return WASM_OK;
}

static wasm_status functype(cm_ctx *c, cm_component_def *s, cm_rd *r,
                            bool async_, const cm_functype **out) {
  cm_functype *f = cm_arena_alloc(c->arena, sizeof *f);
  if (!f) return cmd_nomem(c);
  f->async_ = async_;
  uint32_t n = 0;
  wasm_status st = cmd_count(c, r, &n);
  if (st) return st;
  f->params = cm_arena_array(c->arena, n, sizeof *f->params);
  char **names = cm_arena_array(c->arena, n, sizeof *names);
  if (n && (!f->params || !names)) return cmd_nomem(c);
  f->nparams = n;
  for (uint32_t i = 0; i < n; i++) {
    const char *nm;
    if ((st = cmd_name(c, r, &nm, NULL))) return st;
    f->params[i].name = names[i] = (char *)nm;
    if ((st = cmd_valtype(c, s, r, &f->params[i].type))) return st;
  }
  if ((st = labels_unique(c, "function parameter name", "parameter name",
                          names, n)))
    return st;
  if ((st = cmd_resultlist(c, s, r, &f->result))) return st;
  if (f->result && cm_type_has_borrow(f->result))
    return cm_fail(c->err, WASM_INVALID,
                   "function result cannot contain a `borrow` type");
  *out = f;
  return WASM_OK;
}

/* component and instance type declarators */
static wasm_status declarators(cm_ctx *c, cm_component_def *s, cm_rd *r,
                               bool component, const cm_deftype **out);

static wasm_status new_deftype(cm_ctx *c, cm_deftype_kind k, cm_deftype **out) {
  *out = cm_arena_alloc(c->arena, sizeof **out);
  if (!*out) return cmd_nomem(c);
  (*out)->kind = k;
  return WASM_OK;
}

wasm_status cmd_deftype(cm_ctx *c, cm_component_def *s, cm_rd *r,
                        const cm_deftype **out) {
  uint8_t b = 0;
  wasm_status st = cmd_byte(c, r, &b);
  if (st) return st;
  cm_deftype *dt = NULL;
  switch (b) {
  case 0x40:
  case 0x43:
    if ((st = new_deftype(c, CM_DT_FUNC, &dt))) return st;
    if ((st = functype(c, s, r, b == 0x43, &dt->u.func))) return st;
    break;
  case 0x41:
  case 0x42:
    return declarators(c, s, r, b == 0x41, out);
  case 0x3f: {
    uint8_t rep = 0;
    if ((st = cmd_byte(c, r, &rep))) return st;
    if (rep != 0x7f)
      return cm_fail(c->err, WASM_INVALID,
                     "resources can only be represented by `i32`");
    cm_resource_type *res = cmd_new_resource(c, CM_RES_DEFINED, s);
    if (!res) return WASM_NOMEM;
    res->def = s->ndefs - 1;
    uint8_t has = 0;
    if ((st = cmd_byte(c, r, &has))) return st;
    if (has == 0x01) {
      res->has_dtor = true;
      if ((st = cmd_u32(c, r, &res->dtor))) return st;
    } else if (has != 0x00) {
      return cmd_bad_byte(c, has, "resource destructor");
    }
    if (s->is_type)
      return cm_fail(c->err, WASM_INVALID,
                     "resources can only be defined within a concrete component");
    if (res->has_dtor) {
      const cm_item *it = NULL;
      if ((st = cmd_item(c, s, CM_SORT_CORE_FUNC, res->dtor, &it))) return st;
      const cm_core_functype *f = it->t.u.core.func;
      if (!f || f->nparams != 1 || f->params[0] != WASM_I32 || f->nresults)
        return cm_fail(c->err, WASM_INVALID, "wrong signature for a destructor");
    }
    if ((st = new_deftype(c, CM_DT_RESOURCE, &dt))) return st;
    dt->u.resource = res;
    break;
  }
  default:
    if ((st = new_deftype(c, CM_DT_VAL, &dt))) return st;
    if ((st = defvaltype(c, s, r, b, &dt->u.val))) return st;
    break;
  }
  *out = dt;
  return WASM_OK;
}

/* ---- core types ---- */

static wasm_status core_valtype(cm_ctx *c, cm_rd *r, uint8_t *out) {
  wasm_status st = cmd_byte(c, r, out);
  if (st) return st;
  switch (*out) {
  case WASM_I32: case WASM_I64: case WASM_F32: case WASM_F64: case WASM_V128:
  case WASM_FUNCREF: case WASM_EXTERNREF:
    return WASM_OK;
  default:
    return cmd_bad_byte(c, *out, "value type");
  }
}

static wasm_status core_functype(cm_ctx *c, cm_rd *r,
                                 const cm_core_functype **out) {
  cm_core_functype *f = cm_arena_alloc(c->arena, sizeof *f);
  uint32_t np, nr;
  wasm_status st;
  if (!f) return cmd_nomem(c);
  if ((st = cmd_count(c, r, &np))) return st;
  uint8_t *p = cm_arena_alloc(c->arena, np + 1);
  if (!p) return cmd_nomem(c);
  for (uint32_t i = 0; i < np; i++)
    if ((st = core_valtype(c, r, &p[i]))) return st;
  if ((st = cmd_count(c, r, &nr))) return st;
  uint8_t *q = cm_arena_alloc(c->arena, nr + 1);
  if (!q) return cmd_nomem(c);
  for (uint32_t i = 0; i < nr; i++)
    if ((st = core_valtype(c, r, &q[i]))) return st;
  f->params = p;
  f->nparams = np;
  f->results = q;
  f->nresults = nr;
  *out = f;
  return WASM_OK;
}

static wasm_status core_limits(cm_ctx *c, cm_rd *r, cm_core_externtype *t) {
  uint8_t flags = 0;
  uint32_t v = 0;
  wasm_status st = cmd_byte(c, r, &flags);
  if (st) return st;
  if (flags & ~0x07u) return cmd_bad_byte(c, flags, "limits");
  t->shared = flags & 2;
  t->memory64 = flags & 4;
  if ((st = cmd_u32(c, r, &v))) return st;
  t->limits.min = v;
  if (flags & 1) {
    if ((st = cmd_u32(c, r, &v))) return st;
    t->limits.max = v;
    t->limits.has_max = true;
  }
  return WASM_OK;
}

static wasm_status core_importdesc(cm_ctx *c, cm_component_def *s, cm_rd *r,
                                   cm_core_externtype *t) {
  uint8_t b = 0;
  wasm_status st = cmd_byte(c, r, &b);
  if (st) return st;
  memset(t, 0, sizeof *t);
  switch (b) {
  case 0x00: {
    uint32_t idx = 0;
    t->kind = WASM_EXTERN_FUNC;
    if ((st = cmd_u32(c, r, &idx))) return st;
    const cm_item *it = NULL;
    if ((st = cmd_item(c, s, CM_SORT_CORE_TYPE, idx, &it))) return st;
    if (it->t.u.core_type->kind != CM_DT_CORE_FUNC)
      return cm_fail(c->err, WASM_INVALID, "type index %u is not a function type",
                     idx);
    t->func = it->t.u.core_type->u.core_func;
    return WASM_OK;
  }
  case 0x01:
    t->kind = WASM_EXTERN_TABLE;
    if ((st = core_valtype(c, r, &t->elem))) return st;
    return core_limits(c, r, t);
  case 0x02:
    t->kind = WASM_EXTERN_MEMORY;
    if ((st = core_limits(c, r, t))) return st;
    if (!t->memory64 && (t->limits.min > 65536u ||
                         (t->limits.has_max && t->limits.max > 65536u)))
      return cm_fail(c->err, WASM_INVALID,
                     "memory size must be at most 65536 pages (4GiB)");
    return WASM_OK;
  case 0x03: {
    uint8_t m = 0;
    t->kind = WASM_EXTERN_GLOBAL;
    if ((st = core_valtype(c, r, &t->global_kind))) return st;
    if ((st = cmd_byte(c, r, &m))) return st;
    if (m > 1) return cmd_bad_byte(c, m, "global mutability");
    t->global_mutable = m;
    return WASM_OK;
  }
  default:
    return cmd_bad_byte(c, b, "import description");
  }
}

static wasm_status module_type(cm_ctx *c, cm_component_def *s, cm_rd *r,
                               const cm_deftype **out) {
  cm_component_def *ms = cmd_new_scope(c, s, true);
  if (!ms) return c->err->status ? c->err->status : WASM_NOMEM;
  uint32_t n = 0;
  wasm_status st = cmd_count(c, r, &n);
  if (st) return st;
  cm_moduletype *mt = cm_arena_alloc(c->arena, sizeof *mt);
  cm_core_named *im = cm_arena_array(c->arena, n, sizeof *im);
  cm_core_named *ex = cm_arena_array(c->arena, n, sizeof *ex);
  if (!mt || (n && (!im || !ex))) return cmd_nomem(c);
  for (uint32_t i = 0; i < n; i++) {
    uint8_t b = 0;
    if ((st = cmd_byte(c, r, &b))) return st;
    switch (b) {
    case 0x00: {
      cm_core_named *x = &im[mt->nimports++];
      if ((st = cmd_name(c, r, &x->module, NULL))) return st;
      if ((st = cmd_name(c, r, &x->name, NULL))) return st;
      if ((st = core_importdesc(c, ms, r, &x->t))) return st;
      break;
    }
    case 0x01: {
      const cm_deftype *dt = NULL;
      if (!cmd_push_def(c, ms, CM_DEF_CORE_TYPE)) return WASM_NOMEM;
      if (r->p < r->end && *r->p == 0x50)
        return cm_fail(c->err, WASM_INVALID,
                       "core type declaration cannot be a module type");
      if ((st = cmd_core_type(c, ms, r, &dt))) return st;
      cm_externtype t = {.sort = CM_SORT_CORE_TYPE};
      t.u.core_type = dt;
      if ((st = cmd_def_item(c, ms, CM_SORT_CORE_TYPE, &t))) return st;
      break;
    }
    case 0x02: {
      uint8_t k, tgt;
      uint32_t ct, idx;
      if ((st = cmd_byte(c, r, &k))) return st;
      if (k != 0x10) return cmd_bad_byte(c, k, "outer alias kind");
      if ((st = cmd_byte(c, r, &tgt))) return st;
      if (tgt != 0x01) return cmd_bad_byte(c, tgt, "outer alias target");
      if ((st = cmd_u32(c, r, &ct)) || (st = cmd_u32(c, r, &idx))) return st;
      const cm_component_def *o = ms;
      for (uint32_t k2 = 0; k2 < ct && o; k2++) o = o->parent;
      if (!o || ct > 1)
        return cm_fail(c->err, WASM_INVALID, "invalid outer alias count of %u",
                       ct);
      const cm_item *it = NULL;
      if ((st = cmd_item(c, o, CM_SORT_CORE_TYPE, idx, &it))) return st;
      if (it->t.u.core_type->kind == CM_DT_CORE_MODULE)
        return cm_fail(c->err, WASM_INVALID,
                       "cannot alias a module type into a module type");
      if (!cmd_push_def(c, ms, CM_DEF_CORE_TYPE)) return WASM_NOMEM;
      if ((st = cmd_def_item(c, ms, CM_SORT_CORE_TYPE, &it->t))) return st;
      break;
    }
    case 0x03: {
      cm_core_named *x = &ex[mt->nexports++];
      if ((st = cmd_name(c, r, &x->name, NULL))) return st;
      if ((st = core_importdesc(c, ms, r, &x->t))) return st;
      break;
    }
    default:
      return cmd_bad_byte(c, b, "type definition");
    }
  }
  mt->imports = im;
  mt->exports = ex;
  if ((st = cmv_core_names_unique(c, mt))) return st;
  cm_deftype *dt = NULL;
  if ((st = new_deftype(c, CM_DT_CORE_MODULE, &dt))) return st;
  dt->u.module = mt;
  *out = dt;
  return WASM_OK;
}

wasm_status cmd_core_type(cm_ctx *c, cm_component_def *s, cm_rd *r,
                          const cm_deftype **out) {
  uint8_t b = 0;
  wasm_status st = cmd_byte(c, r, &b);
  if (st) return st;
  if (b == 0x50) return module_type(c, s, r, out);
  if (b == 0x00) {
    /* a non-final sub type: 0x00 0x50 vec(supertypes) comptype */
    if ((st = cmd_byte(c, r, &b))) return st;
    if (b != 0x50) return cmd_bad_byte(c, b, "non-final sub type");
    uint32_t n, sup;
    if ((st = cmd_count(c, r, &n))) return st;
    for (uint32_t i = 0; i < n; i++)
      if ((st = cmd_u32(c, r, &sup))) return st;
    if ((st = cmd_byte(c, r, &b))) return st;
  }
  if (b != 0x60) return cmd_bad_byte(c, b, "core type");
  cm_deftype *dt = NULL;
  if ((st = new_deftype(c, CM_DT_CORE_FUNC, &dt))) return st;
  if ((st = core_functype(c, r, &dt->u.core_func))) return st;
  *out = dt;
  return WASM_OK;
}

/* ---- externdesc ---- */

static wasm_status type_of_kind(cm_ctx *c, cm_component_def *s, uint32_t idx,
                                cm_deftype_kind want, const char *what,
                                const cm_deftype **out) {
  wasm_status st = type_at(c, s, idx, out);
  if (st) return st;
  if ((*out)->kind != want)
    return cm_fail(c->err, WASM_INVALID, "type index %u is not %s", idx, what);
  return WASM_OK;
}

wasm_status cmd_externdesc(cm_ctx *c, cm_component_def *s, cm_rd *r,
                           cm_externtype *out) {
  uint8_t b = 0;
  uint32_t idx = 0;
  const cm_deftype *dt = NULL;
  wasm_status st = cmd_byte(c, r, &b);
  if (st) return st;
  memset(out, 0, sizeof *out);
  switch (b) {
  case 0x00: {
    uint8_t k = 0;
    if ((st = cmd_byte(c, r, &k))) return st;
    if (k != 0x11) return cmd_bad_byte(c, k, "component external kind");
    if ((st = cmd_u32(c, r, &idx))) return st;
    const cm_item *it = NULL;
    if ((st = cmd_item(c, s, CM_SORT_CORE_TYPE, idx, &it))) return st;
    if (it->t.u.core_type->kind != CM_DT_CORE_MODULE)
      return cm_fail(c->err, WASM_INVALID,
                     "core type index %u is not a module type", idx);
    out->sort = CM_SORT_CORE_MODULE;
    out->u.module = it->t.u.core_type->u.module;
    return WASM_OK;
  }
  case 0x01:
    if ((st = cmd_u32(c, r, &idx))) return st;
    if ((st = type_of_kind(c, s, idx, CM_DT_FUNC, "a function type", &dt)))
      return st;
    out->sort = CM_SORT_FUNC;
    out->u.func = dt->u.func;
    return WASM_OK;
  case 0x02: {
    uint8_t vb = 0;
    if ((st = cmd_byte(c, r, &vb))) return st;
    out->sort = CM_SORT_VALUE;
    if (vb == 0x00) {
      if ((st = cmd_u32(c, r, &idx))) return st;
      const cm_item *it = NULL;
      if ((st = cmd_item(c, s, CM_SORT_VALUE, idx, &it))) return st;
      out->u.value = it->t.u.value;
      return WASM_OK;
    }
    if (vb != 0x01) return cmd_bad_byte(c, vb, "value bound");
    return cmd_valtype(c, s, r, &out->u.value);
  }
  case 0x03: {
    uint8_t tb = 0;
    if ((st = cmd_byte(c, r, &tb))) return st;
    out->sort = CM_SORT_TYPE;
    if (tb == 0x00) {
      if ((st = cmd_u32(c, r, &idx))) return st;
      if ((st = type_at(c, s, idx, &dt))) return st;
      out->u.type = dt;
      return WASM_OK;
    }
    if (tb != 0x01) return cmd_bad_byte(c, tb, "type bound");
    cm_resource_type *res = cmd_new_resource(c, CM_RES_ABSTRACT, s);
    cm_deftype *nd;
    if (!res) return WASM_NOMEM;
    if ((st = new_deftype(c, CM_DT_RESOURCE, &nd))) return st;
    nd->u.resource = res;
    out->u.type = nd;
    return WASM_OK;
  }
  case 0x04:
    if ((st = cmd_u32(c, r, &idx))) return st;
    if ((st = type_of_kind(c, s, idx, CM_DT_COMPONENT, "a component type", &dt)))
      return st;
    out->sort = CM_SORT_COMPONENT;
    out->u.component = dt->u.component;
    return WASM_OK;
  case 0x05:
    if ((st = cmd_u32(c, r, &idx))) return st;
    if ((st = type_of_kind(c, s, idx, CM_DT_INSTANCE, "an instance type", &dt)))
      return st;
    out->sort = CM_SORT_INSTANCE;
    out->u.instance = dt->u.instance;
    return WASM_OK;
  default:
    return cmd_bad_byte(c, b, "component external kind");
  }
}

/* ---- component and instance types ---- */

static wasm_status declarators(cm_ctx *c, cm_component_def *s, cm_rd *r,
                               bool component, const cm_deftype **out) {
  cm_component_def *ts = cmd_new_scope(c, s, true);
  if (!ts) return c->err->status ? c->err->status : WASM_NOMEM;
  wasm_status vst = cmv_vis_scope_kind(c, ts, !component);
  if (vst) return vst;
  uint32_t n = 0;
  wasm_status st = cmd_count(c, r, &n);
  if (st) return st;
  for (uint32_t i = 0; i < n; i++) {
    uint8_t b = 0;
    if ((st = cmd_byte(c, r, &b))) return st;
    switch (b) {
    case 0x00: {
      if (!cmd_push_def(c, ts, CM_DEF_CORE_TYPE)) return WASM_NOMEM;
      const cm_deftype *dt = NULL;
      if ((st = cmd_core_type(c, ts, r, &dt))) return st;
      cm_externtype t = {.sort = CM_SORT_CORE_TYPE};
      t.u.core_type = dt;
      st = cmd_def_item(c, ts, CM_SORT_CORE_TYPE, &t);
      break;
    }
    case 0x01: {
      if (!cmd_push_def(c, ts, CM_DEF_TYPE)) return WASM_NOMEM;
      const cm_deftype *dt = NULL;
      if ((st = cmd_deftype(c, ts, r, &dt))) return st;
      ts->defs[ts->ndefs - 1].u.type = dt;
      cm_externtype t = {.sort = CM_SORT_TYPE};
      t.u.type = dt;
      st = cmd_def_item(c, ts, CM_SORT_TYPE, &t);
      break;
    }
    case 0x02:
      st = cmd_alias(c, ts, r);
      break;
    case 0x03:
    case 0x04: {
      if (b == 0x03 && !component)
        return cmd_bad_byte(c, b, "component or instance type declaration");
      cm_def *d = cmd_push_def(c, ts, b == 0x03 ? CM_DEF_IMPORT : CM_DEF_EXPORT);
      if (!d) return WASM_NOMEM;
      uint32_t di = ts->ndefs - 1;
      cm_name nm;
      cm_externtype t;
      if ((st = cmv_read_extern_name(c, r, &nm))) return st;
      if ((st = cmd_externdesc(c, ts, r, &t))) return st;
      if (b == 0x03) {
        if ((st = cmv_import(c, ts, &nm, &t))) return st;
        ts->defs[di].u.import.name = nm;
        ts->defs[di].u.import.t = t;
      } else {
        cm_export_def ex = {.name = nm, .has_type = true, .t = t};
        if ((st = cmv_export(c, ts, &ex, NULL))) return st;
        t = ex.t;
        ts->defs[di].u.export_ = ex;
      }
      uint32_t **list = b == 0x03 ? &ts->imports : &ts->exports;
      uint32_t *cnt = b == 0x03 ? &ts->nimports : &ts->nexports;
      uint32_t *cap = b == 0x03 ? &ts->impcap : &ts->expcap;
      if (*cnt >= *cap) {
        uint32_t nc = *cap ? *cap * 2 : 8;
        uint32_t *p = realloc(*list, nc * sizeof *p);
        if (!p) return cmd_nomem(c);
        *list = p;
        *cap = nc;
      }
      (*list)[(*cnt)++] = di;
      st = cmd_def_item(c, ts, t.sort, &t);
      break;
    }
    default:
      return cmd_bad_byte(c, b, "component or instance type declaration");
    }
    if (st) return st;
  }
  const cm_comptype *ct;
  if ((st = cmv_component_type(c, ts, &ct))) return st;
  cm_deftype *dt = NULL;
  if (component) {
    if ((st = new_deftype(c, CM_DT_COMPONENT, &dt))) return st;
    dt->u.component = ct;
  } else {
    cm_insttype *it = cm_arena_alloc(c->arena, sizeof *it);
    if (!it) return cmd_nomem(c);
    it->exports = ct->exports;
    it->nexports = ct->nexports;
    it->scope = ts;
    if ((st = new_deftype(c, CM_DT_INSTANCE, &dt))) return st;
    dt->u.instance = it;
  }
  *out = dt;
  return WASM_OK;
}
