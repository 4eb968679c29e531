/*
 * cm_validate_types.c: resource substitution (fresh resources per use of a
 * type, import resources replaced by instantiation arguments) and the
 * subtyping of externs used to check instantiation arguments and export
 * ascriptions.
 */
#include <stdlib.h>
#include <string.h>

#include "cm_validate.h"

static bool within(const cm_component_def *s, const cm_component_def *scope) {
  for (; s; s = s->parent)
    if (s == scope) return true;
  return false;
}

const cm_resource_type *cmv_map_get(cmv_subst *m, const cm_resource_type *r) {
  for (uint32_t i = 0; i < m->n; i++)
    if (m->from[i] == r) return m->to[i];
  return NULL;
}

wasm_status cmv_map_put(cm_ctx *c, cmv_subst *m, const cm_resource_type *from,
                        const cm_resource_type *to) {
  if (m->n == m->cap) {
    uint32_t nc = m->cap ? m->cap * 2 : 8;
    const cm_resource_type **f = realloc(m->from, nc * sizeof *f);
    if (!f) return cmd_nomem(c);
    m->from = f;
    const cm_resource_type **t = realloc(m->to, nc * sizeof *t);
    if (!t) return cmd_nomem(c);
    m->to = t;
    m->cap = nc;
  }
  m->from[m->n] = from;
  m->to[m->n] = to;
  m->n++;
  return WASM_OK;
}

void cmv_map_free(cmv_subst *m) {
  free(m->from);
  free(m->to);
  memset(m, 0, sizeof *m);
}

static const cm_resource_type *subst_res(cm_ctx *c, cmv_subst *m,
                                         const cm_resource_type *r) {
  const cm_resource_type *to = cmv_map_get(m, r);
  if (to) return to;
  if (m->fresh && m->bound && within(r->owner, m->bound)) {
    cm_resource_type *n = cmd_new_resource(c, CM_RES_FRESH, m->owner);
    if (!n) return NULL;
    n->name = r->name;
    if (cmv_map_put(c, m, r, n)) return NULL;
    return n;
  }
  return r;
}

const cm_type *cmv_subst_type(cm_ctx *c, cmv_subst *m, const cm_type *t,
                              unsigned depth) {
  if (!t || (unsigned)t->kind <= CM_ERROR_CONTEXT || m->error) return t;
  if (depth > CM_MAX_TYPE_DEPTH) return t;
  cm_type tmp = *t;
  bool changed = false;
  switch (t->kind) {
  case CM_OWN:
  case CM_BORROW:
    tmp.as.handle.res = subst_res(c, m, t->as.handle.res);
    if (!tmp.as.handle.res) {
      m->error = true;
      return t;
    }
    changed = tmp.as.handle.res != t->as.handle.res;
    break;
  case CM_LIST:
    tmp.as.list.elem = cmv_subst_type(c, m, t->as.list.elem, depth + 1);
    changed = tmp.as.list.elem != t->as.list.elem;
    break;
  case CM_OPTION:
    tmp.as.option.t = cmv_subst_type(c, m, t->as.option.t, depth + 1);
    changed = tmp.as.option.t != t->as.option.t;
    break;
  case CM_STREAM:
  case CM_FUTURE:
    tmp.as.async.t = cmv_subst_type(c, m, t->as.async.t, depth + 1);
    changed = tmp.as.async.t != t->as.async.t;
    break;
  case CM_RESULT:
    tmp.as.result.ok = cmv_subst_type(c, m, t->as.result.ok, depth + 1);
    tmp.as.result.err = cmv_subst_type(c, m, t->as.result.err, depth + 1);
    changed = tmp.as.result.ok != t->as.result.ok ||
              tmp.as.result.err != t->as.result.err;
    break;
  case CM_RECORD:
  case CM_VARIANT: {
    uint32_t n = t->as.record.n;
    cm_field *f = NULL;
    for (uint32_t i = 0; i < n; i++) {
      const cm_type *x = cmv_subst_type(c, m, t->as.record.fields[i].type,
                                        depth + 1);
      if (x != t->as.record.fields[i].type && !f) {
        f = cm_arena_array(c->arena, n, sizeof *f);
        if (!f) {
          m->error = true;
          return t;
        }
        memcpy(f, t->as.record.fields, n * sizeof *f);
      }
      if (f) f[i].type = x;
    }
    if (f) {
      tmp.as.record.fields = f;
      changed = true;
    }
    break;
  }
  case CM_TUPLE: {
    uint32_t n = t->as.tuple.n;
    const cm_type **v = NULL;
    for (uint32_t i = 0; i < n; i++) {
      const cm_type *x = cmv_subst_type(c, m, t->as.tuple.types[i], depth + 1);
      if (x != t->as.tuple.types[i] && !v) {
        v = cm_arena_array(c->arena, n, sizeof *v);
        if (!v) {
          m->error = true;
          return t;
        }
        memcpy(v, t->as.tuple.types, n * sizeof *v);
      }
      if (v) v[i] = x;
    }
    if (v) {
      tmp.as.tuple.types = v;
      changed = true;
    }
    break;
  }
  default:
    break;
  }
  if (!changed) return t;
  cm_type *n = cm_arena_alloc(c->arena, sizeof *n);
  if (!n) {
    m->error = true;
    return t;
  }
  *n = tmp;
  return n;
}

static const cm_functype *subst_func(cm_ctx *c, cmv_subst *m,
                                     const cm_functype *f) {
  cm_functype tmp = *f;
  bool changed = false;
  cm_field *p = NULL;
  for (uint32_t i = 0; i < f->nparams; i++) {
    const cm_type *x = cmv_subst_type(c, m, f->params[i].type, 0);
    if (x != f->params[i].type && !p) {
      p = cm_arena_array(c->arena, f->nparams, sizeof *p);
      if (!p) {
        m->error = true;
        return f;
      }
      memcpy(p, f->params, f->nparams * sizeof *p);
    }
    if (p) p[i].type = x;
  }
  if (p) {
    tmp.params = p;
    changed = true;
  }
  tmp.result = cmv_subst_type(c, m, f->result, 0);
  if (tmp.result != f->result) changed = true;
  if (!changed) return f;
  cm_functype *n = cm_arena_alloc(c->arena, sizeof *n);
  if (!n) {
    m->error = true;
    return f;
  }
  *n = tmp;
  return n;
}

static cm_named_extern *subst_list(cm_ctx *c, cmv_subst *m,
                                   const cm_named_extern *v, uint32_t n,
                                   unsigned depth) {
  cm_named_extern *out = cm_arena_array(c->arena, n, sizeof *out);
  if (n && !out) {
    m->error = true;
    return NULL;
  }
  for (uint32_t i = 0; i < n; i++) {
    out[i] = v[i];
    cmv_subst_extern(c, m, &out[i].t, depth + 1);
  }
  return out;
}

void cmv_subst_extern(cm_ctx *c, cmv_subst *m, cm_externtype *t,
                      unsigned depth) {
  if (depth > CM_MAX_NESTING || m->error) return;
  switch (t->sort) {
  case CM_SORT_FUNC:
    t->u.func = subst_func(c, m, t->u.func);
    break;
  case CM_SORT_VALUE:
    t->u.value = cmv_subst_type(c, m, t->u.value, 0);
    break;
  case CM_SORT_TYPE: {
    const cm_deftype *d = t->u.type;
    cm_deftype *n = NULL;
    if (d->kind == CM_DT_RESOURCE) {
      const cm_resource_type *r = subst_res(c, m, d->u.resource);
      if (!r) {
        m->error = true;
        return;
      }
      if (r != d->u.resource) {
        n = cm_arena_alloc(c->arena, sizeof *n);
        if (n) n->kind = CM_DT_RESOURCE, n->u.resource = r;
      }
    } else if (d->kind == CM_DT_VAL) {
      const cm_type *x = cmv_subst_type(c, m, d->u.val, 0);
      if (x != d->u.val) {
        n = cm_arena_alloc(c->arena, sizeof *n);
        if (n) n->kind = CM_DT_VAL, n->u.val = x;
      }
    } else if (d->kind == CM_DT_FUNC) {
      const cm_functype *x = subst_func(c, m, d->u.func);
      if (x != d->u.func) {
        n = cm_arena_alloc(c->arena, sizeof *n);
        if (n) n->kind = CM_DT_FUNC, n->u.func = x;
      }
    }
    if (n) t->u.type = n;
    break;
  }
  case CM_SORT_INSTANCE: {
    cm_insttype *it = cm_arena_alloc(c->arena, sizeof *it);
    if (!it) {
      m->error = true;
      return;
    }
    *it = *t->u.instance;
    it->exports = subst_list(c, m, it->exports, it->nexports, depth);
    t->u.instance = it;
    break;
  }
  case CM_SORT_COMPONENT: {
    cm_comptype *ct = cm_arena_alloc(c->arena, sizeof *ct);
    if (!ct) {
      m->error = true;
      return;
    }
    *ct = *t->u.component;
    ct->imports = subst_list(c, m, ct->imports, ct->nimports, depth);
    ct->exports = subst_list(c, m, ct->exports, ct->nexports, depth);
    t->u.component = ct;
    break;
  }
  default:
    break;
  }
}

wasm_status cmv_refresh(cm_ctx *c, const cm_component_def *owner,
                        cm_externtype *t) {
  const cm_component_def *bound = NULL;
  if (t->sort == CM_SORT_INSTANCE) bound = t->u.instance->scope;
  else if (t->sort == CM_SORT_COMPONENT) return WASM_OK;
  if (!bound) return WASM_OK;
  cmv_subst m = {.fresh = true, .bound = bound, .owner = owner};
  cmv_subst_extern(c, &m, t, 0);
  bool e = m.error;
  cmv_map_free(&m);
  return e ? cmd_nomem(c) : WASM_OK;
}

/* ---- subtyping ---- */

static bool fail_why(char *why, size_t len, const char *msg, const char *name) {
  if (why && len) {
    if (name) snprintf(why, len, "%s `%s`", msg, name);
    else snprintf(why, len, "%s", msg);
  }
  return false;
}

static const cm_named_extern *find_named(const cm_named_extern *v, uint32_t n,
                                         const char *name) {
  for (uint32_t i = 0; i < n; i++)
    if (!strcmp(v[i].name.name, name)) return &v[i];
  return NULL;
}

static bool core_extern_sub(const cm_core_externtype *a,
                            const cm_core_externtype *b, char *why,
                            size_t len) {
  if (a->kind != b->kind) return fail_why(why, len, "type mismatch", NULL);
  switch (a->kind) {
  case WASM_EXTERN_FUNC:
    if (!cm_core_functype_equal(a->func, b->func))
      return fail_why(why, len, "type mismatch", NULL);
    return true;
  case WASM_EXTERN_TABLE:
  case WASM_EXTERN_MEMORY:
    if (a->kind == WASM_EXTERN_TABLE && a->elem != b->elem)
      return fail_why(why, len, "type mismatch", NULL);
    if (a->limits.min < b->limits.min ||
        (b->limits.has_max &&
         (!a->limits.has_max || a->limits.max > b->limits.max)))
      return fail_why(why, len,
                      a->kind == WASM_EXTERN_TABLE ? "mismatch in table limits"
                                                   : "mismatch in memory limits",
                      NULL);
    if (a->shared != b->shared)
      return fail_why(why, len, "mismatch in the shared flag for memories",
                      NULL);
    return true;
  case WASM_EXTERN_GLOBAL:
    if (a->global_kind != b->global_kind || a->global_mutable != b->global_mutable)
      return fail_why(why, len, "type mismatch", NULL);
    return true;
  case WASM_EXTERN_TAG: /* tag types are function types */
    if (!cm_core_functype_equal(a->func, b->func))
      return fail_why(why, len, "type mismatch", NULL);
    return true;
  }
  return true;
}

static bool module_sub(const cm_moduletype *a, const cm_moduletype *b,
                       char *why, size_t len) {
  /* a may import less and must export at least what b exports */
  for (uint32_t i = 0; i < a->nimports; i++) {
    const cm_core_named *x = &a->imports[i], *y = NULL;
    for (uint32_t j = 0; j < b->nimports && !y; j++)
      if (!strcmp(b->imports[j].module, x->module) &&
          !strcmp(b->imports[j].name, x->name))
        y = &b->imports[j];
    if (!y) return fail_why(why, len, "missing expected import", x->name);
    if (!core_extern_sub(&y->t, &x->t, why, len)) return false;
  }
  for (uint32_t i = 0; i < b->nexports; i++) {
    const cm_core_named *y = &b->exports[i], *x = NULL;
    for (uint32_t j = 0; j < a->nexports && !x; j++)
      if (!strcmp(a->exports[j].name, y->name)) x = &a->exports[j];
    if (!x) return fail_why(why, len, "missing expected export", y->name);
    if (!core_extern_sub(&x->t, &y->t, why, len)) return false;
  }
  return true;
}

static bool deftype_sub(const cm_deftype *a, const cm_deftype *b, char *why,
                        size_t len) {
  if (a == b) return true;
  if (a->kind != b->kind) {
    if (b->kind == CM_DT_RESOURCE)
      return fail_why(why, len, "expected resource, found defined type", NULL);
    if (a->kind == CM_DT_RESOURCE)
      return fail_why(why, len, "expected defined type, found resource", NULL);
    return fail_why(why, len, "type mismatch", NULL);
  }
  switch (a->kind) {
  case CM_DT_RESOURCE:
    if (a->u.resource != b->u.resource)
      return fail_why(why, len, "resource types are not the same", NULL);
    return true;
  case CM_DT_VAL:
    if (!cm_type_equal(a->u.val, b->u.val))
      return fail_why(why, len, "type mismatch", NULL);
    return true;
  case CM_DT_FUNC:
    if (!cm_functype_equal(a->u.func, b->u.func))
      return fail_why(why, len, "type mismatch", NULL);
    return true;
  default:
    return true;
  }
}

bool cm_externtype_subtype(const cm_externtype *a, const cm_externtype *b,
                           char *why, size_t len) {
  if (a->sort != b->sort) {
    if (why && len)
      snprintf(why, len, "expected %s, found %s", cm_sort_name(b->sort),
               cm_sort_name(a->sort));
    return false;
  }
  switch (a->sort) {
  case CM_SORT_FUNC:
    if (!cm_functype_subtype(a->u.func, b->u.func))
      return fail_why(why, len, "type mismatch in function", NULL);
    return true;
  case CM_SORT_VALUE:
    if (!cm_type_subtype(a->u.value, b->u.value))
      return fail_why(why, len, "type mismatch", NULL);
    return true;
  case CM_SORT_TYPE:
    return deftype_sub(a->u.type, b->u.type, why, len);
  case CM_SORT_INSTANCE: {
    const cm_insttype *x = a->u.instance, *y = b->u.instance;
    for (uint32_t i = 0; i < y->nexports; i++) {
      const cm_named_extern *e = find_named(x->exports, x->nexports,
                                            y->exports[i].name.name);
      if (!e)
        return fail_why(why, len, "missing expected export",
                        y->exports[i].name.name);
      if (!cm_externtype_subtype(&e->t, &y->exports[i].t, why, len))
        return false;
    }
    return true;
  }
  case CM_SORT_COMPONENT: {
    const cm_comptype *x = a->u.component, *y = b->u.component;
    for (uint32_t i = 0; i < x->nimports; i++) {
      const cm_named_extern *e = find_named(y->imports, y->nimports,
                                            x->imports[i].name.name);
      if (!e)
        return fail_why(why, len, "missing expected import",
                        x->imports[i].name.name);
    }
    for (uint32_t i = 0; i < y->nexports; i++) {
      const cm_named_extern *e = find_named(x->exports, x->nexports,
                                            y->exports[i].name.name);
      if (!e)
        return fail_why(why, len, "missing expected export",
                        y->exports[i].name.name);
    }
    return true;
  }
  case CM_SORT_CORE_MODULE:
    return module_sub(a->u.module, b->u.module, why, len);
  case CM_SORT_CORE_FUNC:
  case CM_SORT_CORE_TABLE:
  case CM_SORT_CORE_MEMORY:
  case CM_SORT_CORE_GLOBAL:
  case CM_SORT_CORE_TAG:
    return core_extern_sub(&a->u.core, &b->u.core, why, len);
  default:
    return true;
  }
}
