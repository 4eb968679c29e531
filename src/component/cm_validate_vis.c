/*
 * cm_validate_vis.c: external visibility of types (Explainer.md, "External
 * visibility of types") and the resource-name rules of annotated
 * [constructor]/[method]/[static] names (Binary.md, import/export
 * validation).
 *
 * Type identity: a record/variant/enum/flags node is identified by its
 * pointer; a resource type as seen through one type index by the deftype
 * of that index. Importing or exporting a type creates a fresh identity
 * (a copied node / deftype), so a type is "named" in a component only
 * when it is referenced through an import or export. Nodes made by
 * resource substitution (instantiation) are not tracked and are treated
 * leniently: a handle is then named when its resource is.
 */
#include <stdint.h>
#include <string.h>

#include "cm_validate.h"

/* ---- pointer hash map (arena-allocated) ---- */

typedef struct cmv_pmap {
  const void **k, **v;
  uint32_t n, cap;
} cmv_pmap;

static uint32_t ph(const void *p) {
  uint64_t x = (uint64_t)(uintptr_t)p;
  x ^= x >> 29;
  x *= 0x9e3779b97f4a7c15ull;
  return (uint32_t)(x >> 32);
}

static const void *pm_get(const cmv_pmap *m, const void *k) {
  if (!m->cap) return NULL;
  for (uint32_t i = ph(k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
    if (!m->k[i]) return NULL;
    if (m->k[i] == k) return m->v[i];
  }
}

static bool pm_put(cm_ctx *c, cmv_pmap *m, const void *k, const void *v) {
  if ((m->n + 1) * 2 > m->cap) {
    uint32_t nc = m->cap ? m->cap * 2 : 16;
    const void **nk = cm_arena_array(c->arena, nc, sizeof *nk);
    const void **nv = cm_arena_array(c->arena, nc, sizeof *nv);
    if (!nk || !nv) return false;
    for (uint32_t i = 0; i < m->cap; i++) {
      if (!m->k[i]) continue;
      uint32_t j = ph(m->k[i]) & (nc - 1);
      while (nk[j]) j = (j + 1) & (nc - 1);
      nk[j] = m->k[i];
      nv[j] = m->v[i];
    }
    m->k = nk;
    m->v = nv;
    m->cap = nc;
  }
  uint32_t i = ph(k) & (m->cap - 1);
  while (m->k[i] && m->k[i] != k) i = (i + 1) & (m->cap - 1);
  if (m->k[i]) return true; /* keep the first value */
  m->k[i] = k;
  m->v[i] = v;
  m->n++;
  return true;
}

/* ---- state ---- */

enum { VIS_COMPONENT, VIS_COMPONENT_TYPE, VIS_INSTANCE_TYPE };

typedef struct cmv_set {
  cmv_pmap tokens; /* named type identities */
  cmv_pmap res;    /* resources with a named identity (lenient fallback) */
  cmv_pmap names;  /* resource -> top-level name */
} cmv_set;

typedef struct cmv_scope {
  int kind;
  cmv_set imp, exp;
} cmv_scope;

struct cmv_vis {
  cmv_pmap scopes;  /* scope -> cmv_scope */
  cmv_pmap handles; /* own/borrow node -> deftype token */
  cmv_pmap tracked; /* record/variant/enum/flags nodes made by the decoder */
  cmv_pmap subst;   /* a component's imported type node -> the node it was
                       instantiated with (wasmparser substitutes these) */
};

static struct cmv_vis *vis_of(cm_ctx *c) {
  if (!c->vis) c->vis = cm_arena_alloc(c->arena, sizeof *c->vis);
  return c->vis;
}

static cmv_scope *scope_of(cm_ctx *c, const cm_component_def *s) {
  struct cmv_vis *v = vis_of(c);
  if (!v) return NULL;
  cmv_scope *sc = (cmv_scope *)pm_get(&v->scopes, s);
  if (sc) return sc;
  sc = cm_arena_alloc(c->arena, sizeof *sc);
  if (!sc || !pm_put(c, &v->scopes, s, sc)) return NULL;
  sc->kind = s->is_type ? VIS_COMPONENT_TYPE : VIS_COMPONENT;
  return sc;
}

wasm_status cmv_vis_scope_kind(cm_ctx *c, const cm_component_def *s,
                               bool instance_type) {
  cmv_scope *sc = scope_of(c, s);
  if (!sc) return cmd_nomem(c);
  sc->kind = instance_type ? VIS_INSTANCE_TYPE : VIS_COMPONENT_TYPE;
  return WASM_OK;
}

wasm_status cmv_vis_note_type(cm_ctx *c, const cm_type *node,
                              const cm_deftype *handle_of) {
  struct cmv_vis *v = vis_of(c);
  if (!v) return cmd_nomem(c);
  bool ok = handle_of ? pm_put(c, &v->handles, node, handle_of)
                      : pm_put(c, &v->tracked, node, node);
  return ok ? WASM_OK : cmd_nomem(c);
}

/* ---- "all types named" (wasmparser's type_named_valtype and friends) ---- */

typedef struct named_cx {
  struct cmv_vis *v;
  const cmv_set *set;
} named_cx;

static bool handle_named(const named_cx *x, const cm_type *t) {
  const void *tok = pm_get(&x->v->handles, t);
  if (tok) return pm_get(&x->set->tokens, tok) != NULL;
  return pm_get(&x->set->res, t->as.handle.res) != NULL;
}

static bool valtype_named(const named_cx *x, const cm_type *t, unsigned d);

/* The parts of t that must be named (t itself need not be). */
static bool parts_named(const named_cx *x, const cm_type *t, unsigned d) {
  if (!t || d > CM_MAX_TYPE_DEPTH) return true;
  switch (t->kind) {
  case CM_RECORD:
  case CM_VARIANT:
    for (uint32_t i = 0; i < t->as.record.n; i++)
      if (!valtype_named(x, t->as.record.fields[i].type, d + 1)) return false;
    return true;
  case CM_TUPLE:
    for (uint32_t i = 0; i < t->as.tuple.n; i++)
      if (!valtype_named(x, t->as.tuple.types[i], d + 1)) return false;
    return true;
  case CM_LIST: return valtype_named(x, t->as.list.elem, d + 1);
  case CM_OPTION: return valtype_named(x, t->as.option.t, d + 1);
  case CM_RESULT:
    return valtype_named(x, t->as.result.ok, d + 1) &&
           valtype_named(x, t->as.result.err, d + 1);
  case CM_STREAM:
  case CM_FUTURE: return valtype_named(x, t->as.async.t, d + 1);
  case CM_OWN:
  case CM_BORROW: return handle_named(x, t);
  default: return true;
  }
}

static bool valtype_named(const named_cx *x, const cm_type *t, unsigned d) {
  if (!t) return true;
  switch (t->kind) {
  case CM_RECORD:
  case CM_VARIANT:
  case CM_ENUM:
  case CM_FLAGS:
    for (unsigned k = 0; k < CM_MAX_NESTING; k++) {
      if (!pm_get(&x->v->tracked, t)) return true; /* untracked: lenient */
      if (pm_get(&x->set->tokens, t)) return true;
      const cm_type *n = pm_get(&x->v->subst, t);
      if (!n || n == t) return false;
      t = n;
    }
    return false;
  default:
    return parts_named(x, t, d);
  }
}

static bool func_named(const named_cx *x, const cm_functype *f) {
  for (uint32_t i = 0; i < f->nparams; i++)
    if (!valtype_named(x, f->params[i].type, 0)) return false;
  return valtype_named(x, f->result, 0);
}

static bool deftype_named(const named_cx *x, const cm_deftype *d, unsigned dp);

static bool inst_named(const named_cx *x, const cm_insttype *it, unsigned dp) {
  if (dp > CM_MAX_NESTING) return true;
  for (uint32_t i = 0; i < it->nexports; i++) {
    const cm_externtype *t = &it->exports[i].t;
    bool ok = true;
    switch (t->sort) {
    case CM_SORT_FUNC: ok = func_named(x, t->u.func); break;
    case CM_SORT_TYPE: ok = deftype_named(x, t->u.type, dp + 1); break;
    case CM_SORT_VALUE: ok = parts_named(x, t->u.value, 0); break;
    case CM_SORT_INSTANCE: ok = inst_named(x, t->u.instance, dp + 1); break;
    default: break;
    }
    if (!ok) return false;
  }
  return true;
}

static bool deftype_named(const named_cx *x, const cm_deftype *d, unsigned dp) {
  switch (d->kind) {
  case CM_DT_VAL: return parts_named(x, d->u.val, 0);
  case CM_DT_FUNC: return func_named(x, d->u.func);
  case CM_DT_INSTANCE: return inst_named(x, d->u.instance, dp);
  default: return true;
  }
}

/* ---- registration ---- */

static bool set_add_type(cm_ctx *c, cmv_set *set, const cm_deftype *d) {
  if (d->kind == CM_DT_VAL) return pm_put(c, &set->tokens, d->u.val, d);
  if (d->kind == CM_DT_RESOURCE)
    return pm_put(c, &set->tokens, d, d) &&
           pm_put(c, &set->res, d->u.resource, d);
  return true;
}

/* validate_and_register_named_types: false when t is not valid to be used
 * as an import/export here. */
static bool check_register(cm_ctx *c, struct cmv_vis *v, cmv_scope *sc,
                           bool import, const cm_externtype *t, unsigned dp,
                           bool *nomem) {
  if (sc->kind == VIS_INSTANCE_TYPE || dp > CM_MAX_NESTING) return true;
  cmv_set *set = import ? &sc->imp : &sc->exp;
  named_cx x = {v, set};
  switch (t->sort) {
  case CM_SORT_TYPE:
    if (!deftype_named(&x, t->u.type, 0)) return false;
    if (!set_add_type(c, &sc->exp, t->u.type) ||
        (import && !set_add_type(c, &sc->imp, t->u.type)))
      *nomem = true;
    return true;
  case CM_SORT_INSTANCE: {
    const cm_insttype *it = t->u.instance;
    for (uint32_t i = 0; i < it->nexports; i++)
      if (!check_register(c, v, sc, import, &it->exports[i].t, dp + 1, nomem))
        return false;
    return true;
  }
  case CM_SORT_FUNC: return func_named(&x, t->u.func);
  case CM_SORT_VALUE: return valtype_named(&x, t->u.value, 0);
  default: return true;
  }
}

/* A fresh identity for an imported/exported type. */
static wasm_status fresh_type(cm_ctx *c, cm_externtype *t) {
  if (t->sort != CM_SORT_TYPE) return WASM_OK;
  const cm_deftype *d = t->u.type;
  if (d->kind != CM_DT_VAL && d->kind != CM_DT_RESOURCE) return WASM_OK;
  cm_deftype *nd = cm_arena_alloc(c->arena, sizeof *nd);
  if (!nd) return cmd_nomem(c);
  *nd = *d;
  if (d->kind == CM_DT_VAL && (unsigned)d->u.val->kind > CM_ERROR_CONTEXT) {
    cm_type *n = cm_arena_alloc(c->arena, sizeof *n);
    if (!n) return cmd_nomem(c);
    *n = *d->u.val;
    nd->u.val = n;
    struct cmv_vis *v = vis_of(c);
    if (!v) return cmd_nomem(c);
    const void *h = pm_get(&v->handles, d->u.val);
    if (h && !pm_put(c, &v->handles, n, h)) return cmd_nomem(c);
    if (pm_get(&v->tracked, d->u.val) && !pm_put(c, &v->tracked, n, n))
      return cmd_nomem(c);
  }
  t->u.type = nd;
  return WASM_OK;
}

/* ---- annotated names ---- */

static const char *res_name(const cmv_set *set, const cm_resource_type *r) {
  return set ? (const char *)pm_get(&set->names, r) : NULL;
}

static wasm_status resource_name(cm_ctx *c, const cmv_set *set,
                                 const cm_resource_type *r, const char *want,
                                 size_t wantlen) {
  const char *have = res_name(set, r);
  if (!have)
    return cm_fail(c->err, WASM_INVALID, "resource used in function does not "
                   "have a name in this context");
  if (strlen(have) != wantlen || strncmp(have, want, wantlen))
    return cm_fail(c->err, WASM_INVALID,
                   "function does not match expected resource name `%s`", have);
  return WASM_OK;
}

static bool static_known(const cmv_set *set, const char *r, size_t n) {
  if (!set) return false;
  for (uint32_t i = 0; i < set->names.cap; i++) {
    const char *nm = set->names.k[i] ? set->names.v[i] : NULL;
    if (nm && strlen(nm) == n && !strncmp(nm, r, n)) return true;
  }
  return false;
}

/* wasmparser's validate_extern on the annotation of `name`; set is NULL in
 * a bag of exports (no names are in context there). */
static wasm_status annotated(cm_ctx *c, const cmv_set *set, const char *name,
                             const cm_externtype *t) {
  const char *close = name[0] == '[' ? strchr(name, ']') : NULL;
  if (!close) return WASM_OK;
  const char *rest = close + 1;
  size_t al = (size_t)(close - name) + 1;
  bool ctor = al == 13 && !strncmp(name, "[constructor]", al);
  bool method = strstr(name, "method]") && strstr(name, "method]") < close;
  bool stat = strstr(name, "static]") && strstr(name, "static]") < close;
  if (!ctor && !method && !stat) return WASM_OK;
  if (t->sort != CM_SORT_FUNC)
    return cm_fail(c->err, WASM_INVALID, "item is not a func");
  const cm_functype *f = t->u.func;
  const char *dot = strchr(rest, '.');
  size_t rlen = ctor || !dot ? strlen(rest) : (size_t)(dot - rest);
  if (ctor) {
    const cm_type *r = f->result;
    if (!r)
      return cm_fail(c->err, WASM_INVALID, "function should return one value");
    if (r->kind == CM_RESULT && r->as.result.ok) r = r->as.result.ok;
    if (r->kind != CM_OWN)
      return cm_fail(c->err, WASM_INVALID, "function should return `(own $T)` "
                     "or `(result (own $T))`");
    return resource_name(c, set, r->as.handle.res, rest, rlen);
  }
  if (method) {
    if (!f->nparams)
      return cm_fail(c->err, WASM_INVALID,
                     "function should have at least one argument");
    if (strcmp(f->params[0].name, "self"))
      return cm_fail(c->err, WASM_INVALID,
                     "function should have a first argument called `self`");
    const cm_type *p = f->params[0].type;
    if (p->kind != CM_BORROW)
      return cm_fail(c->err, WASM_INVALID,
                     "function should take a first argument of `(borrow $T)`");
    return resource_name(c, set, p->as.handle.res, rest, rlen);
  }
  if (!static_known(set, rest, rlen))
    return cm_fail(c->err, WASM_INVALID,
                   "static resource name is not known in this context");
  return WASM_OK;
}

/* ---- entry points ---- */

wasm_status cmv_vis_extern(cm_ctx *c, cm_component_def *s, const cm_name *nm,
                           cm_externtype *t, bool import) {
  wasm_status st = fresh_type(c, t);
  if (st) return st;
  cmv_scope *sc = scope_of(c, s);
  struct cmv_vis *v = vis_of(c);
  if (!sc || !v) return cmd_nomem(c);
  cmv_set *set = import ? &sc->imp : &sc->exp;
  if (t->sort == CM_SORT_TYPE && t->u.type->kind == CM_DT_RESOURCE &&
      !pm_put(c, &set->names, t->u.type->u.resource, nm->name))
    return cmd_nomem(c);
  bool nomem = false;
  if (!check_register(c, v, sc, import, t, 0, &nomem))
    return cm_fail(c->err, WASM_INVALID, "%s not valid to be used as %s",
                   cm_sort_name(t->sort), import ? "import" : "export");
  if (nomem) return cmd_nomem(c);
  return annotated(c, set, nm->name, t);
}

wasm_status cmv_vis_bag_export(cm_ctx *c, const char *name,
                               const cm_externtype *t) {
  return annotated(c, NULL, name, t);
}

wasm_status cmv_vis_instantiate_arg(cm_ctx *c, const cm_externtype *imp,
                                    const cm_externtype *arg, unsigned depth) {
  if (depth > CM_MAX_NESTING || imp->sort != arg->sort) return WASM_OK;
  struct cmv_vis *v = vis_of(c);
  if (!v) return cmd_nomem(c);
  if (imp->sort == CM_SORT_TYPE && imp->u.type->kind == CM_DT_VAL &&
      arg->u.type->kind == CM_DT_VAL && imp->u.type->u.val != arg->u.type->u.val)
    return pm_put(c, &v->subst, imp->u.type->u.val, arg->u.type->u.val)
               ? WASM_OK : cmd_nomem(c);
  if (imp->sort == CM_SORT_INSTANCE) {
    const cm_insttype *x = imp->u.instance, *y = arg->u.instance;
    for (uint32_t i = 0; i < x->nexports; i++)
      for (uint32_t j = 0; j < y->nexports; j++)
        if (!strcmp(x->exports[i].name.name, y->exports[j].name.name)) {
          wasm_status st = cmv_vis_instantiate_arg(c, &x->exports[i].t,
                                                   &y->exports[j].t, depth + 1);
          if (st) return st;
        }
  }
  return WASM_OK;
}

/* ---- resources behind a type (outer aliases) ---- */

static bool type_has_res(const cm_type *t, unsigned d) {
  if (!t || d > CM_MAX_TYPE_DEPTH) return false;
  switch (t->kind) {
  case CM_OWN:
  case CM_BORROW: return true;
  case CM_RECORD:
  case CM_VARIANT:
    for (uint32_t i = 0; i < t->as.record.n; i++)
      if (type_has_res(t->as.record.fields[i].type, d + 1)) return true;
    return false;
  case CM_TUPLE:
    for (uint32_t i = 0; i < t->as.tuple.n; i++)
      if (type_has_res(t->as.tuple.types[i], d + 1)) return true;
    return false;
  case CM_LIST: return type_has_res(t->as.list.elem, d + 1);
  case CM_OPTION: return type_has_res(t->as.option.t, d + 1);
  case CM_RESULT:
    return type_has_res(t->as.result.ok, d + 1) ||
           type_has_res(t->as.result.err, d + 1);
  case CM_STREAM:
  case CM_FUTURE: return type_has_res(t->as.async.t, d + 1);
  default: return false;
  }
}

static bool func_has_res(const cm_functype *f) {
  for (uint32_t i = 0; i < f->nparams; i++)
    if (type_has_res(f->params[i].type, 0)) return true;
  return type_has_res(f->result, 0);
}

static bool extern_has_res(const cm_externtype *t, unsigned d);

static bool list_has_res(const cm_named_extern *v, uint32_t n, unsigned d) {
  for (uint32_t i = 0; i < n; i++)
    if (extern_has_res(&v[i].t, d + 1)) return true;
  return false;
}

static bool extern_has_res(const cm_externtype *t, unsigned d) {
  if (d > CM_MAX_NESTING) return false;
  switch (t->sort) {
  case CM_SORT_FUNC: return func_has_res(t->u.func);
  case CM_SORT_VALUE: return type_has_res(t->u.value, 0);
  case CM_SORT_TYPE: return cmv_deftype_has_resource(t->u.type, d + 1);
  case CM_SORT_INSTANCE:
    return list_has_res(t->u.instance->exports, t->u.instance->nexports, d);
  case CM_SORT_COMPONENT:
    return list_has_res(t->u.component->imports, t->u.component->nimports, d) ||
           list_has_res(t->u.component->exports, t->u.component->nexports, d);
  default: return false;
  }
}

bool cmv_deftype_has_resource(const cm_deftype *dt, unsigned depth) {
  if (!dt || depth > CM_MAX_NESTING) return false;
  switch (dt->kind) {
  case CM_DT_RESOURCE: return true;
  case CM_DT_VAL: return type_has_res(dt->u.val, 0);
  case CM_DT_FUNC: return func_has_res(dt->u.func);
  case CM_DT_INSTANCE:
    return list_has_res(dt->u.instance->exports, dt->u.instance->nexports, depth);
  case CM_DT_COMPONENT:
    return list_has_res(dt->u.component->imports, dt->u.component->nimports,
                        depth) ||
           list_has_res(dt->u.component->exports, dt->u.component->nexports,
                        depth);
  default: return false;
  }
}
