/*
 * cm_validate.c: validation of each definition as it is decoded
 * (Explainer.md, Binary.md): names, core and component instantiation,
 * aliases, canonical definitions, start, imports and exports.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cm_validate.h"

/* ---- names (parsing: cm_validate_names.c) ---- */

/* A name without its "[...]" annotation prefixes. */
static const char *strip_annotations(const char *n) {
  while (*n == '[') {
    const char *close = strchr(n, ']');
    if (!close) break;
    n = close + 1;
  }
  return n;
}

static bool is_constructor(const char *n) { return !strncmp(n, "[constructor]", 13); }

/* Explainer.md, "Name uniqueness": `l` and `[constructor]l` are
 * strongly-unique; `l` and `[method]l.l` (or `[static]l.l`) are not;
 * otherwise the names conflict when equal, ignoring case, once their
 * annotations are stripped. */
static bool strongly_unique(const char *a, const char *b) {
  const char *sa = strip_annotations(a), *sb = strip_annotations(b);
  if (is_constructor(a) != is_constructor(b) && !strcasecmp(sa, sb)) return true;
  const char *plain = sa == a ? a : sb == b ? b : NULL;
  const char *dotted = plain == a ? sb : sa;
  if (plain && plain != dotted) {
    size_t l = strlen(plain);
    if (!strncasecmp(dotted, plain, l) && dotted[l] == '.' && !strcasecmp(dotted + l + 1, plain))
      return false;
  }
  return strcasecmp(sa, sb) != 0;
}

static wasm_status unique_name(cm_ctx *c, const cm_component_def *s,
                               const uint32_t *list, uint32_t n, bool imports,
                               const cm_name *nm) {
  for (uint32_t i = 0; i < n; i++) {
    const cm_def *d = &s->defs[list[i]];
    const char *o = imports ? d->u.import.name.name : d->u.export_.name.name;
    if (!strongly_unique(o, nm->name))
      return cm_fail(c->err, WASM_INVALID,
                     "%s name `%s` conflicts with previous name `%s`",
                     imports ? "import" : "export", nm->name, o);
  }
  return WASM_OK;
}

/* ---- core module names ---- */

static int cmp_named(const void *a, const void *b) {
  const cm_core_named *x = *(const cm_core_named *const *)a;
  const cm_core_named *y = *(const cm_core_named *const *)b;
  int r = strcmp(x->module ? x->module : "", y->module ? y->module : "");
  return r ? r : strcmp(x->name, y->name);
}

static wasm_status dup_named(cm_ctx *c, const cm_core_named *v, uint32_t n,
                             bool imports) {
  if (n < 2) return WASM_OK;
  const cm_core_named **p = malloc((size_t)n * sizeof *p);
  if (!p) return cmd_nomem(c);
  for (uint32_t i = 0; i < n; i++) p[i] = &v[i];
  qsort(p, n, sizeof *p, cmp_named);
  wasm_status st = WASM_OK;
  for (uint32_t i = 1; i < n && !st; i++)
    if (!cmp_named(&p[i - 1], &p[i]))
      st = imports ? cm_fail(c->err, WASM_INVALID,
                             "duplicate import name `%s:%s`", p[i]->module,
                             p[i]->name)
                   : cm_fail(c->err, WASM_INVALID,
                             "export name `%s` already defined", p[i]->name);
  free(p);
  return st;
}

wasm_status cmv_core_names_unique(cm_ctx *c, const cm_moduletype *mt) {
  wasm_status st = dup_named(c, mt->imports, mt->nimports, true);
  return st ? st : dup_named(c, mt->exports, mt->nexports, false);
}

/* ---- core instantiation ---- */

wasm_status cmv_core_instantiate(cm_ctx *c, cm_component_def *s,
                                 const cm_core_instance_def *ci,
                                 cm_moduletype *out) {
  const cm_item *mi = NULL;
  wasm_status st = cmd_item(c, s, CM_SORT_CORE_MODULE, ci->module, &mi);
  if (st) return st;
  const cm_moduletype *mt = mi->t.u.module;
  for (uint32_t i = 0; i < ci->nargs; i++) {
    const cm_item *it = NULL;
    if ((st = cmd_item(c, s, CM_SORT_CORE_INSTANCE, ci->args[i].instance, &it)))
      return st;
    for (uint32_t j = 0; j < i; j++)
      if (!strcmp(ci->args[j].name, ci->args[i].name))
        return cm_fail(c->err, WASM_INVALID,
                       "duplicate module instantiation argument named `%s`",
                       ci->args[i].name);
  }
  for (uint32_t i = 0; i < mt->nimports; i++) {
    const cm_core_named *im = &mt->imports[i];
    const cm_core_inst_arg *arg = NULL;
    for (uint32_t j = 0; j < ci->nargs && !arg; j++)
      if (!strcmp(ci->args[j].name, im->module)) arg = &ci->args[j];
    if (!arg)
      return cm_fail(c->err, WASM_INVALID,
                     "missing module instantiation argument named `%s`",
                     im->module);
    const cm_moduletype *inst =
        s->space[CM_SORT_CORE_INSTANCE].items[arg->instance].t.u.core_instance;
    const cm_core_named *ex = NULL;
    for (uint32_t j = 0; j < inst->nexports && !ex; j++)
      if (!strcmp(inst->exports[j].name, im->name)) ex = &inst->exports[j];
    if (!ex)
      return cm_fail(c->err, WASM_INVALID,
                     "module instantiation argument `%s` does not export an "
                     "item named `%s`", im->module, im->name);
    static const char *const kinds[] = {"func", "table", "memory", "global"};
    if (ex->t.kind != im->t.kind)
      return cm_fail(c->err, WASM_INVALID, "expected %s, found %s",
                     kinds[im->t.kind & 3], kinds[ex->t.kind & 3]);
    if (im->t.kind == WASM_EXTERN_GLOBAL && ex->t.global_kind != im->t.global_kind)
      return cm_fail(c->err, WASM_INVALID, "type mismatch: expected global type "
                     "%s, found %s", "", "");
    if (im->t.kind == WASM_EXTERN_TABLE && ex->t.elem != im->t.elem)
      return cm_fail(c->err, WASM_INVALID,
                     "type mismatch: expected table element type %s, found %s",
                     im->t.elem == WASM_FUNCREF ? "funcref" : "externref",
                     ex->t.elem == WASM_FUNCREF ? "funcref" : "externref");
    char why[128] = "type mismatch";
    cm_externtype a = {.sort = CM_SORT_CORE_FUNC}, b = a;
    a.u.core = ex->t;
    b.u.core = im->t;
    if (!cm_externtype_subtype(&a, &b, why, sizeof why))
      return cm_fail(c->err, WASM_INVALID,
                     "%s for export `%s` of module instantiation argument `%s`",
                     why, im->name, im->module);
  }
  out->exports = mt->exports;
  out->nexports = mt->nexports;
  return WASM_OK;
}

/* ---- component instances ---- */

/* Maps the resources bound by an import (inside scope) to the argument's. */
static wasm_status map_import(cm_ctx *c, cmv_subst *m,
                              const cm_externtype *imp,
                              const cm_externtype *arg, unsigned depth) {
  if (depth > CM_MAX_NESTING || imp->sort != arg->sort) return WASM_OK;
  if (imp->sort == CM_SORT_TYPE && imp->u.type->kind == CM_DT_RESOURCE &&
      arg->u.type->kind == CM_DT_RESOURCE &&
      !cmv_map_get(m, imp->u.type->u.resource)) {
    const cm_resource_type *r = imp->u.type->u.resource;
    for (const cm_component_def *o = r->owner; o; o = o->parent)
      if (o == m->bound)
        return cmv_map_put(c, m, r, arg->u.type->u.resource);
    return WASM_OK;
  }
  if (imp->sort == CM_SORT_INSTANCE) {
    const cm_insttype *x = imp->u.instance, *y = arg->u.instance;
    for (uint32_t i = 0; i < x->nexports; i++)
      for (uint32_t j = 0; j < y->nexports; j++)
        if (!strcmp(x->exports[i].name.name, y->exports[j].name.name)) {
          wasm_status st = map_import(c, m, &x->exports[i].t,
                                      &y->exports[j].t, depth + 1);
          if (st) return st;
        }
  }
  return WASM_OK;
}

static wasm_status instantiate(cm_ctx *c, cm_component_def *s,
                               const cm_instance_def *in,
                               const cm_insttype **out) {
  const cm_item *ci = NULL;
  wasm_status st = cmd_item(c, s, CM_SORT_COMPONENT, in->component, &ci);
  if (st) return st;
  const cm_comptype *ct = ci->t.u.component;
  for (uint32_t i = 0; i < in->nargs; i++) {
    const cm_item *it = NULL;
    if ((st = cmd_item(c, s, in->args[i].si.sort, in->args[i].si.idx, &it)))
      return st;
    for (uint32_t j = 0; j < i; j++)
      if (!strcmp(in->args[j].name, in->args[i].name))
        return cm_fail(c->err, WASM_INVALID,
                       "instantiation argument `%s` conflicts with previous "
                       "argument `%s`", in->args[i].name, in->args[j].name);
  }
  cmv_subst m = {.bound = ct->scope, .owner = s};
  for (uint32_t i = 0; i < ct->nimports && !st; i++) {
    const cm_named_extern *im = &ct->imports[i];
    const cm_inst_arg *arg = NULL;
    for (uint32_t j = 0; j < in->nargs && !arg; j++)
      if (!strcmp(in->args[j].name, im->name.name)) arg = &in->args[j];
    if (!arg) {
      st = cm_fail(c->err, WASM_INVALID, "missing import named `%s`",
                   im->name.name);
      break;
    }
    const cm_item *it = cm_item_at(s, arg->si.sort, arg->si.idx);
    if ((st = map_import(c, &m, &im->t, &it->t, 0))) break;
    if ((st = cmv_vis_instantiate_arg(c, &im->t, &it->t, 0))) break;
    cm_externtype want = im->t;
    cmv_subst_extern(c, &m, &want, 0);
    char why[160] = "type mismatch";
    if (!cm_externtype_subtype(&it->t, &want, why, sizeof why))
      st = cm_fail(c->err, WASM_INVALID, "%s (in import `%s`)", why,
                   im->name.name);
  }
  if (!st) {
    cm_insttype *t = cm_arena_alloc(c->arena, sizeof *t);
    cm_named_extern *ex = cm_arena_array(c->arena, ct->nexports, sizeof *ex);
    if (!t || (ct->nexports && !ex)) {
      st = cmd_nomem(c);
    } else {
      m.fresh = true;
      for (uint32_t i = 0; i < ct->nexports; i++) {
        ex[i] = ct->exports[i];
        cmv_subst_extern(c, &m, &ex[i].t, 0);
      }
      t->exports = ex;
      t->nexports = ct->nexports;
      t->scope = NULL;
      *out = t;
      if (m.error) st = cmd_nomem(c);
    }
  }
  cmv_map_free(&m);
  return st;
}

wasm_status cmv_instance(cm_ctx *c, cm_component_def *s,
                         const cm_instance_def *in, const cm_insttype **out) {
  if (in->instantiate) return instantiate(c, s, in, out);
  cm_insttype *t = cm_arena_alloc(c->arena, sizeof *t);
  cm_named_extern *ex = cm_arena_array(c->arena, in->nexports, sizeof *ex);
  if (!t || (in->nexports && !ex)) return cmd_nomem(c);
  for (uint32_t i = 0; i < in->nexports; i++) {
    const cm_item *it = NULL;
    wasm_status st = cmd_item(c, s, in->exports[i].si.sort, in->exports[i].si.idx,
                              &it);
    if (st) return st;
    for (uint32_t j = 0; j < i; j++)
      if (!strcasecmp(in->exports[j].name, in->exports[i].name))
        return cm_fail(c->err, WASM_INVALID,
                       "export name `%s` conflicts with previous name `%s`",
                       in->exports[i].name, in->exports[j].name);
    if (cm_sort_is_core(in->exports[i].si.sort) &&
        in->exports[i].si.sort != CM_SORT_CORE_MODULE)
      return cm_fail(c->err, WASM_INVALID,
                     "%s not valid to be used as export",
                     cm_sort_name(in->exports[i].si.sort));
    ex[i].name.name = in->exports[i].name;
    ex[i].t = it->t;
    if ((st = cmv_vis_bag_export(c, ex[i].name.name, &ex[i].t))) return st;
  }
  t->exports = ex;
  t->nexports = in->nexports;
  *out = t;
  return WASM_OK;
}

/* ---- aliases ---- */

wasm_status cmv_alias(cm_ctx *c, cm_component_def *s, cm_alias_def *a,
                      cm_externtype *out) {
  wasm_status st;
  const cm_item *it = NULL;
  if (s->is_type && a->sort != CM_SORT_TYPE && a->sort != CM_SORT_CORE_TYPE &&
      a->sort != CM_SORT_INSTANCE)
    return cm_fail(c->err, WASM_INVALID, "aliases in a type declaration may "
                   "only refer to types or instances, not a %s",
                   cm_sort_name(a->sort));
  switch (a->kind) {
  case CM_ALIAS_EXPORT: {
    if ((st = cmd_item(c, s, CM_SORT_INSTANCE, a->instance, &it))) return st;
    const cm_insttype *t = it->t.u.instance;
    for (uint32_t i = 0; i < t->nexports; i++)
      if (!strcmp(t->exports[i].name.name, a->name)) {
        if (t->exports[i].t.sort != a->sort)
          return cm_fail(c->err, WASM_INVALID, "export `%s` for instance %u is "
                         "not a %s", a->name, a->instance, cm_sort_name(a->sort));
        *out = t->exports[i].t;
        return WASM_OK;
      }
    return cm_fail(c->err, WASM_INVALID, "instance %u has no export named `%s`",
                   a->instance, a->name);
  }
  case CM_ALIAS_CORE_EXPORT: {
    if ((st = cmd_item(c, s, CM_SORT_CORE_INSTANCE, a->instance, &it))) return st;
    const cm_moduletype *t = it->t.u.core_instance;
    for (uint32_t i = 0; i < t->nexports; i++)
      if (!strcmp(t->exports[i].name, a->name)) {
        if (cmd_sort_of_core_kind(t->exports[i].t.kind) != a->sort)
          return cm_fail(c->err, WASM_INVALID,
                         "export `%s` for core instance %u is not a %s",
                         a->name, a->instance, cm_sort_name(a->sort));
        memset(out, 0, sizeof *out);
        out->sort = a->sort;
        out->u.core = t->exports[i].t;
        return WASM_OK;
      }
    if (a->sort > CM_SORT_CORE_TAG)
      return cm_fail(c->err, WASM_INVALID,
                     "export `%s` for core instance %u is not a %s", a->name,
                     a->instance, cm_sort_name(a->sort));
    return cm_fail(c->err, WASM_INVALID,
                   "core instance %u has no export named `%s`", a->instance,
                   a->name);
  }
  case CM_ALIAS_OUTER: {
    const cm_component_def *o = s;
    for (uint32_t k = 0; k < a->outer_count && o; k++) o = o->parent;
    if (!o)
      return cm_fail(c->err, WASM_INVALID, "invalid outer alias count of %u",
                     a->outer_count);
    if ((st = cmd_item(c, o, a->sort, a->outer_idx, &it))) return st;
    /* a type crossing a component boundary may not mention resources */
    bool crosses = false;
    const cm_component_def *q = s;
    for (uint32_t k = 0; k < a->outer_count && q; k++, q = q->parent)
      if (!q->is_type) crosses = true;
    if (crosses && a->sort == CM_SORT_TYPE &&
        cmv_deftype_has_resource(it->t.u.type, 0))
      return cm_fail(c->err, WASM_INVALID, "canonical type transitively refers "
                     "to resources not defined in the current component");
    a->outer = o->is_type ? NULL : o;
    *out = it->t;
    return WASM_OK;
  }
  }
  return WASM_OK;
}

/* ---- canon ---- */

static wasm_status core_func(cm_ctx *c, const cm_component_def *s, uint32_t i,
                             const cm_core_functype **out) {
  const cm_item *it = NULL;
  wasm_status st = cmd_item(c, s, CM_SORT_CORE_FUNC, i, &it);
  if (st) return st;
  *out = it->t.u.core.func;
  return WASM_OK;
}

static const cm_core_functype *mk_core(cm_ctx *c, const char *params,
                                       const char *results) {
  cm_core_functype *f = cm_arena_alloc(c->arena, sizeof *f);
  size_t np = strlen(params), nr = strlen(results);
  uint8_t *v = cm_arena_alloc(c->arena, np + nr + 1);
  if (!f || !v) return NULL;
  for (size_t i = 0; i < np; i++) v[i] = params[i] == 'l' ? WASM_I64 : WASM_I32;
  for (size_t i = 0; i < nr; i++) v[np + i] = results[i] == 'l' ? WASM_I64 : WASM_I32;
  f->params = v;
  f->nparams = (uint32_t)np;
  f->results = v + np;
  f->nresults = (uint32_t)nr;
  return f;
}

static void print_types(char *buf, size_t len, const uint8_t *v, uint32_t n) {
  size_t k = (size_t)snprintf(buf, len, "[");
  for (uint32_t i = 0; i < n && k < len; i++) {
    const char *nm = v[i] == WASM_I32 ? "I32" : v[i] == WASM_I64 ? "I64" :
                     v[i] == WASM_F32 ? "F32" : v[i] == WASM_F64 ? "F64" : "?";
    k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? ", " : "", nm);
  }
  if (k < len) snprintf(buf + k, len - k, "]");
}

static bool functype_needs_memory(const cm_functype *f) {
  for (uint32_t i = 0; i < f->nparams; i++)
    if (cm_type_needs_memory(f->params[i].type)) return true;
  return f->result && cm_type_needs_memory(f->result);
}

static wasm_status check_opts(cm_ctx *c, const cm_component_def *s,
                              cm_canon_def *cd, const cm_functype *ft,
                              bool lift) {
  const cm_canonopts *o = &cd->opts;
  wasm_status st;
  if (o->has_memory) {
    const cm_item *it = NULL;
    if ((st = cmd_item(c, s, CM_SORT_CORE_MEMORY, o->memory, &it))) return st;
  }
  if (o->has_realloc) {
    if (!o->has_memory)
      return cm_fail(c->err, WASM_INVALID,
                     "canonical option `realloc` requires `memory` to also be "
                     "specified");
    const cm_core_functype *f = NULL;
    if ((st = core_func(c, s, o->realloc, &f))) return st;
    const cm_core_functype *want = mk_core(c, "iiii", "i");
    if (!want) return cmd_nomem(c);
    if (!cm_core_functype_equal(f, want))
      return cm_fail(c->err, WASM_INVALID, "canonical option `realloc` uses a "
                     "core function with an incorrect signature");
  }
  if (o->has_post_return && !lift)
    return cm_fail(c->err, WASM_INVALID,
                   "canonical option `post-return` cannot be specified for "
                   "lowerings");
  if (!ft) return WASM_OK;
  bool needs_mem = false, needs_realloc = false;
  uint8_t flat[CM_MAX_FLAT_PARAMS + 2];
  uint32_t np = 0;
  for (uint32_t i = 0; i < ft->nparams; i++)
    np += cm_flatten_type(ft->params[i].type, NULL, 0);
  uint32_t nr = ft->result ? cm_flatten_type(ft->result, flat, sizeof flat) : 0;
  (void)flat;
  /* async lifts return through task.return; async lowers pass at most
   * CM_MAX_FLAT_ASYNC_PARAMS flat parameters and write results to memory */
  bool async_ = o->async_;
  if (async_ && lift) nr = 0;
  if (async_ && !lift && ft->result) needs_mem = true;
  if (np > (async_ && !lift ? CM_MAX_FLAT_ASYNC_PARAMS : CM_MAX_FLAT_PARAMS))
    needs_mem = true, needs_realloc |= lift;
  if (nr > CM_MAX_FLAT_RESULTS) needs_mem = true;
  if (functype_needs_memory(ft)) {
    needs_mem = true;
    /* lists/strings in params are allocated by the callee on lift; in
     * results by the caller on lower */
    for (uint32_t i = 0; i < ft->nparams; i++)
      if (cm_type_needs_memory(ft->params[i].type)) needs_realloc |= lift;
    if (ft->result && cm_type_needs_memory(ft->result) && !(async_ && lift))
      needs_realloc |= !lift;
  }
  if (needs_mem && !o->has_memory)
    return cm_fail(c->err, WASM_INVALID, "canonical option `memory` is required");
  if (needs_realloc && !o->has_realloc)
    return cm_fail(c->err, WASM_INVALID, "canonical option `realloc` is required");
  return WASM_OK;
}

/* Core signatures of the async and threading built-ins (CanonicalABI.md):
 * "params>results", i = i32, l = i64. */
static const cm_core_functype *builtin_type(cm_ctx *c, cm_canon_kind k) {
  const char *sig = ">";
  switch (k) {
  case CM_CANON_TASK_CANCEL: case CM_CANON_BACKPRESSURE_INC:
  case CM_CANON_BACKPRESSURE_DEC:
    sig = ">"; break;
  case CM_CANON_SUBTASK_CANCEL: case CM_CANON_STREAM_CANCEL_READ:
  case CM_CANON_STREAM_CANCEL_WRITE: case CM_CANON_FUTURE_CANCEL_READ:
  case CM_CANON_FUTURE_CANCEL_WRITE: case CM_CANON_THREAD_SUSPEND_THEN_RESUME:
  case CM_CANON_THREAD_YIELD_THEN_RESUME:
  case CM_CANON_THREAD_SUSPEND_THEN_PROMOTE:
  case CM_CANON_THREAD_YIELD_THEN_PROMOTE:
    sig = "i>i"; break;
  case CM_CANON_BACKPRESSURE_SET: case CM_CANON_CONTEXT_SET:
  case CM_CANON_SUBTASK_DROP: case CM_CANON_STREAM_DROP_READABLE:
  case CM_CANON_STREAM_DROP_WRITABLE: case CM_CANON_FUTURE_DROP_READABLE:
  case CM_CANON_FUTURE_DROP_WRITABLE: case CM_CANON_ERROR_CONTEXT_DROP:
  case CM_CANON_WAITABLE_SET_DROP: case CM_CANON_THREAD_RESUME_LATER:
    sig = "i>"; break;
  case CM_CANON_CONTEXT_GET: case CM_CANON_THREAD_YIELD:
  case CM_CANON_WAITABLE_SET_NEW: case CM_CANON_THREAD_INDEX:
  case CM_CANON_THREAD_SUSPEND: case CM_CANON_THREAD_AVAILABLE_PARALLELISM:
    sig = ">i"; break;
  case CM_CANON_STREAM_NEW: case CM_CANON_FUTURE_NEW:
    sig = ">l"; break;
  case CM_CANON_STREAM_READ: case CM_CANON_STREAM_WRITE:
    sig = "iii>i"; break;
  case CM_CANON_FUTURE_READ: case CM_CANON_FUTURE_WRITE:
  case CM_CANON_ERROR_CONTEXT_NEW: case CM_CANON_WAITABLE_SET_WAIT:
  case CM_CANON_WAITABLE_SET_POLL: case CM_CANON_THREAD_NEW_INDIRECT:
  case CM_CANON_THREAD_SPAWN_INDIRECT: case CM_CANON_THREAD_SPAWN_REF:
    sig = "ii>i"; break;
  case CM_CANON_ERROR_CONTEXT_DEBUG_MESSAGE: case CM_CANON_WAITABLE_JOIN:
    sig = "ii>"; break;
  default:
    break;
  }
  const char *gt = strchr(sig, '>');
  char params[8] = {0};
  memcpy(params, sig, (size_t)(gt - sig));
  return mk_core(c, params, gt + 1);
}

wasm_status cmv_canon(cm_ctx *c, cm_component_def *s, cm_canon_def *cd,
                      cm_externtype *out) {
  wasm_status st;
  memset(out, 0, sizeof *out);
  out->sort = CM_SORT_CORE_FUNC;
  out->u.core.kind = WASM_EXTERN_FUNC;
  const cm_item *it = NULL;
  switch (cd->kind) {
  case CM_CANON_LIFT: {
    const cm_core_functype *f = NULL;
    if ((st = core_func(c, s, cd->func, &f))) return st;
    if ((st = cmd_item(c, s, CM_SORT_TYPE, cd->type, &it))) return st;
    if (it->t.u.type->kind != CM_DT_FUNC)
      return cm_fail(c->err, WASM_INVALID, "type index %u is not a function type",
                     cd->type);
    cd->functype = it->t.u.type->u.func;
    if ((st = check_opts(c, s, cd, cd->functype, true))) return st;
    const cm_core_functype *want =
        cm_functype_flatten(c->arena, cd->functype, false, cd->opts.async_);
    if (!want) return cmd_nomem(c);
    char a[128], b[128];
    if (want->nparams != f->nparams ||
        (want->nparams && memcmp(want->params, f->params, f->nparams))) {
      print_types(a, sizeof a, f->params, f->nparams);
      print_types(b, sizeof b, want->params, want->nparams);
      return cm_fail(c->err, WASM_INVALID, "lowered parameter types `%s` do not "
                     "match parameter types `%s` of core function %u", b, a,
                     cd->func);
    }
    if (!cd->opts.async_ &&
        (want->nresults != f->nresults ||
         (want->nresults && memcmp(want->results, f->results, f->nresults)))) {
      print_types(a, sizeof a, f->results, f->nresults);
      print_types(b, sizeof b, want->results, want->nresults);
      return cm_fail(c->err, WASM_INVALID, "lowered result types `%s` do not "
                     "match result types `%s` of core function %u", b, a,
                     cd->func);
    }
    if (cd->opts.has_post_return) {
      const cm_core_functype *p = NULL;
      if ((st = core_func(c, s, cd->opts.post_return, &p))) return st;
      if (!p || p->nresults || p->nparams != f->nresults ||
          (p->nparams && memcmp(p->params, f->results, p->nparams)))
        return cm_fail(c->err, WASM_INVALID, "canonical option `post-return` "
                       "uses a core function with an incorrect signature");
    }
    out->sort = CM_SORT_FUNC;
    out->u.func = cd->functype;
    return WASM_OK;
  }
  case CM_CANON_LOWER:
    if ((st = cmd_item(c, s, CM_SORT_FUNC, cd->func, &it))) return st;
    cd->functype = it->t.u.func;
    if ((st = check_opts(c, s, cd, cd->functype, false))) return st;
    cd->core_type =
        cm_functype_flatten(c->arena, cd->functype, true, cd->opts.async_);
    break;
  case CM_CANON_RESOURCE_NEW:
  case CM_CANON_RESOURCE_DROP:
  case CM_CANON_RESOURCE_REP: {
    if ((st = cmd_item(c, s, CM_SORT_TYPE, cd->type, &it))) return st;
    if (it->t.u.type->kind != CM_DT_RESOURCE)
      return cm_fail(c->err, WASM_INVALID, "type index %u is not a resource type",
                     cd->type);
    cd->resource = it->t.u.type->u.resource;
    if (cd->kind != CM_CANON_RESOURCE_DROP &&
        (cd->resource->origin != CM_RES_DEFINED || cd->resource->owner != s))
      return cm_fail(c->err, WASM_INVALID, "type index %u is not a local resource",
                     cd->type);
    cd->core_type = mk_core(c, "i", cd->kind == CM_CANON_RESOURCE_DROP ? "" : "i");
    break;
  }
  default:
    /* async and threading built-ins: decoded, typed loosely */
    if ((cd->kind >= CM_CANON_STREAM_NEW && cd->kind <= CM_CANON_FUTURE_DROP_WRITABLE)) {
      if ((st = cmd_item(c, s, CM_SORT_TYPE, cd->type, &it))) return st;
      if (it->t.u.type->kind == CM_DT_VAL) cd->operand = it->t.u.type->u.val;
    }
    if (cd->opts.has_memory &&
        (st = cmd_item(c, s, CM_SORT_CORE_MEMORY, cd->opts.memory, &it)))
      return st;
    if (cd->kind == CM_CANON_TASK_RETURN) {
      /* the result travels as flattened parameters (lift limits) */
      cm_field f = {.name = "r", .type = cd->result};
      cm_functype ft = {.params = &f, .nparams = cd->result ? 1 : 0};
      const cm_core_functype *x = cm_functype_flatten(c->arena, &ft, false,
                                                      false);
      cm_core_functype *y = cm_arena_alloc(c->arena, sizeof *y);
      if (!x || !y) return cmd_nomem(c);
      *y = *x;
      y->nresults = 0;
      cd->core_type = y;
      break;
    }
    cd->core_type = builtin_type(c, cd->kind);
    break;
  }
  if (!cd->core_type) return cmd_nomem(c);
  out->u.core.func = cd->core_type;
  return WASM_OK;
}

/* ---- start ---- */

wasm_status cmv_start(cm_ctx *c, cm_component_def *s, const cm_start_def *sd) {
  const cm_item *it = NULL;
  wasm_status st = cmd_item(c, s, CM_SORT_FUNC, sd->func, &it);
  if (st) return st;
  const cm_functype *f = it->t.u.func;
  if (f->nparams != sd->nargs)
    return cm_fail(c->err, WASM_INVALID, "component start function requires %u "
                   "arguments but was given %u", f->nparams, sd->nargs);
  for (uint32_t i = 0; i < sd->nargs; i++) {
    if ((st = cmd_item(c, s, CM_SORT_VALUE, sd->args[i], &it))) return st;
    if (!cm_type_equal(it->t.u.value, f->params[i].type))
      return cm_fail(c->err, WASM_INVALID, "value type mismatch for component "
                     "start function argument %u", i);
  }
  if (sd->nresults != (f->result ? 1u : 0u))
    return cm_fail(c->err, WASM_INVALID, "component start function has a "
                   "result count of %u but the function type has a result count "
                   "of %u", sd->nresults, f->result ? 1u : 0u);
  uint32_t di = s->ndefs - 1;
  for (uint32_t i = 0; i < sd->nresults; i++) {
    cm_externtype t = {.sort = CM_SORT_VALUE};
    t.u.value = f->result;
    uint32_t idx = 0;
    if ((st = cmd_push_item(c, s, CM_SORT_VALUE, di, &t, &idx))) return st;
    s->space[CM_SORT_VALUE].items[idx].sub = i;
  }
  return WASM_OK;
}

/* ---- imports and exports ---- */

static void name_resource(cm_externtype *t, const cm_name *nm) {
  if (t->sort == CM_SORT_TYPE && t->u.type->kind == CM_DT_RESOURCE) {
    cm_resource_type *r = (cm_resource_type *)t->u.type->u.resource;
    if (!r->name) r->name = nm->name;
  }
}

wasm_status cmv_import(cm_ctx *c, cm_component_def *s, const cm_name *name,
                       cm_externtype *t) {
  wasm_status st = unique_name(c, s, s->imports, s->nimports, true, name);
  if (st) return st;
  if (name->implements && t->sort != CM_SORT_INSTANCE)
    return cm_fail(c->err, WASM_INVALID, "only instances can have an `implements`");
  if ((st = cmv_refresh(c, s, t))) return st;
  if ((st = cmv_vis_extern(c, s, name, t, true))) return st;
  name_resource(t, name);
  return WASM_OK;
}

wasm_status cmv_export(cm_ctx *c, cm_component_def *s, cm_export_def *ex,
                       const cm_externtype *ascribed) {
  wasm_status st = unique_name(c, s, s->exports, s->nexports, false, &ex->name);
  if (st) return st;
  if (ex->name.implements && ex->t.sort != CM_SORT_INSTANCE &&
      (s->is_type ? ex->t.sort : ex->si.sort) != CM_SORT_INSTANCE)
    return cm_fail(c->err, WASM_INVALID, "only instances can have an `implements`");
  if (s->is_type) {
    /* exportdecl: the type was given; refresh bound resources */
    if ((st = cmv_refresh(c, s, &ex->t))) return st;
    if ((st = cmv_vis_extern(c, s, &ex->name, &ex->t, false))) return st;
    name_resource(&ex->t, &ex->name);
    return WASM_OK;
  }
  const cm_item *it = NULL;
  if ((st = cmd_item(c, s, ex->si.sort, ex->si.idx, &it))) return st;
  if (cm_sort_is_core(ex->si.sort) && ex->si.sort != CM_SORT_CORE_MODULE)
    return cm_fail(c->err, WASM_INVALID, "%s not valid to be used as export",
                   cm_sort_name(ex->si.sort));
  ex->t = it->t;
  if (ascribed) {
    char why[160] = "type mismatch";
    if (!cm_externtype_subtype(&it->t, ascribed, why, sizeof why))
      return cm_fail(c->err, WASM_INVALID,
                     "ascribed type of export is not compatible with item "
                     "type: %s", why);
    if (ascribed->sort == CM_SORT_TYPE &&
        ascribed->u.type->kind == CM_DT_RESOURCE &&
        it->t.u.type->kind == CM_DT_RESOURCE)
      ex->t = it->t; /* (sub resource): the export keeps its identity */
    else
      ex->t = *ascribed;
  }
  if ((st = cmv_vis_extern(c, s, &ex->name, &ex->t, false))) return st;
  name_resource(&ex->t, &ex->name);
  return WASM_OK;
}

wasm_status cmv_finish(cm_ctx *c, cm_component_def *s) { return WASM_OK; }

wasm_status cmv_component_type(cm_ctx *c, cm_component_def *s,
                               const cm_comptype **out) {
  cm_comptype *t = cm_arena_alloc(c->arena, sizeof *t);
  cm_named_extern *im = cm_arena_array(c->arena, s->nimports, sizeof *im);
  cm_named_extern *ex = cm_arena_array(c->arena, s->nexports, sizeof *ex);
  if (!t || (s->nimports && !im) || (s->nexports && !ex)) return cmd_nomem(c);
  for (uint32_t i = 0; i < s->nimports; i++) {
    im[i].name = s->defs[s->imports[i]].u.import.name;
    im[i].t = s->defs[s->imports[i]].u.import.t;
  }
  for (uint32_t i = 0; i < s->nexports; i++) {
    ex[i].name = s->defs[s->exports[i]].u.export_.name;
    ex[i].t = s->defs[s->exports[i]].u.export_.t;
  }
  t->imports = im;
  t->nimports = s->nimports;
  t->exports = ex;
  t->nexports = s->nexports;
  t->scope = s;
  *out = t;
  return WASM_OK;
}
