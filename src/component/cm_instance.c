/*
 * cm_instance.c: component instantiation and calls.
 *
 * Instantiation replays a component's definitions in binary order, giving
 * each index-space item its run-time value: core modules are instantiated
 * through the core API, `canon lower` becomes a core host function that
 * lifts the caller's core values, calls the callee and lowers the result,
 * `canon lift` becomes a cm_func that lowers cm_val arguments into the
 * callee. Resource types are generative: each instance defining one gets a
 * fresh cm_rtres, and a map from the static cm_resource_type of the types
 * to the run-time ones (imports bind to their arguments').
 */
#include <stdlib.h>
#include <string.h>

#include "component/cm_inst.h"

/* ---- pool ---- */

struct cm_pool_node {
  cm_pool_node *next;
  void (*dtor)(void *);
  void *obj;
  max_align_t data[];
};

void *cm_pool_alloc(cm_instance *root, size_t n) {
  cm_pool_node *p = calloc(1, sizeof *p + n);
  if (!p) return NULL;
  p->next = root->pool;
  root->pool = p;
  return p->data;
}

bool cm_pool_own(cm_instance *root, void *obj, void (*dtor)(void *)) {
  cm_pool_node *p = calloc(1, sizeof *p);
  if (!p) return false;
  p->dtor = dtor;
  p->obj = obj;
  p->next = root->pool;
  root->pool = p;
  return true;
}

static void functype_dtor(void *p) { wasm_functype_delete(p); }

/* ---- context ---- */

cm_ctx *cm_ctx_new(void) {
  cm_ctx *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->refs = 1;
  cm_htable_init(&c->transit);
  c->next_res_id = 1;
  return c;
}

void cm_ctx_ref(cm_ctx *c) { c->refs++; }

void cm_ctx_unref(cm_ctx *c) {
  if (!c || --c->refs) return;
  cm_htable_free(&c->transit);
  for (uint32_t i = 0; i < c->nhost_res; i++) free(c->host_res[i]);
  free(c->host_res);
  free(c);
}

void cm_instance_delete(cm_instance *inst) {
  if (!inst || inst->root != inst) return;
  for (uint32_t i = 0; i < inst->nall; i++) {
    cm_instance *x = inst->all[i];
    cm_htable_free(&x->handles);
    free(x->map);
    free(x->exports.names);
    free(x->exports.items);
    for (int s = 0; s < CM_SORT_COUNT; s++) free(x->items[s]);
    if (x != inst) free(x);
  }
  free(inst->all);
  cm_pool_node *p = inst->pool;
  while (p) {
    cm_pool_node *n = p->next;
    if (p->dtor) p->dtor(p->obj);
    free(p);
    p = n;
  }
  cm_ctx_unref(inst->ctx);
  free(inst);
}

/* ---- resource maps ---- */

static wasm_status map_res(cm_instance *in, const cm_resource_type *st,
                           const cm_rtres *rt, wasm_error *err) {
  if (!st || !rt) return WASM_OK;
  if (in->nmap >= in->capmap) {
    uint32_t c = in->capmap ? in->capmap * 2 : 16;
    cm_resmap *m = realloc(in->map, (size_t)c * sizeof *m);
    if (!m) return cm_rt_fail(err, WASM_NOMEM, "out of memory");
    in->map = m;
    in->capmap = c;
  }
  in->map[in->nmap].st = st;
  in->map[in->nmap].rt = rt;
  in->nmap++;
  return WASM_OK;
}

static const cm_rtres *resolve_res(void *env, const cm_resource_type *st) {
  for (cm_instance *in = env; in; in = in->parent)
    for (uint32_t i = in->nmap; i-- > 0;)
      if (in->map[i].st == st) return in->map[i].rt;
  return NULL;
}

static const cm_resource_type *static_res(const cm_externtype *t) {
  if (t->sort == CM_SORT_TYPE && t->u.type && t->u.type->kind == CM_DT_RESOURCE)
    return t->u.type->u.resource;
  return NULL;
}

/* Binds the resources an instance type names to the argument's. */
static wasm_status map_insttype(cm_instance *in, const cm_insttype *it,
                                const cm_iexports *ie, wasm_error *err) {
  if (!it || !ie) return WASM_OK;
  wasm_status st;
  for (uint32_t i = 0; i < it->nexports; i++) {
    const cm_named_extern *ne = &it->exports[i];
    for (uint32_t k = 0; k < ie->n; k++) {
      if (strcmp(ie->names[k], ne->name.name) != 0) continue;
      const cm_ritem *ri = &ie->items[k];
      if (ri->sort == CM_SORT_TYPE) {
        if ((st = map_res(in, static_res(&ne->t), ri->u.res, err))) return st;
      } else if (ri->sort == CM_SORT_INSTANCE && ne->t.sort == CM_SORT_INSTANCE) {
        if ((st = map_insttype(in, ne->t.u.instance, ri->u.inst, err))) return st;
      }
      break;
    }
  }
  return WASM_OK;
}

/* Records item idx of sort s; binds its static resource. */
static wasm_status set_item(cm_instance *in, cm_sort s, uint32_t idx, cm_ritem it,
                            wasm_error *err) {
  const cm_space *sp = &in->def->space[s];
  if (idx >= sp->n) return cm_rt_fail(err, WASM_INVALID, "item index out of range");
  it.sort = s;
  it.set = true;
  in->items[s][idx] = it;
  const cm_externtype *t = &sp->items[idx].t;
  if (s == CM_SORT_TYPE) return map_res(in, static_res(t), it.u.res, err);
  if (s == CM_SORT_INSTANCE && t->sort == CM_SORT_INSTANCE)
    return map_insttype(in, t->u.instance, it.u.inst, err);
  return WASM_OK;
}

static const cm_ritem *get_item(cm_instance *in, cm_sort s, uint32_t idx,
                                wasm_error *err) {
  if (idx >= in->def->space[s].n || !in->items[s][idx].set) {
    cm_rt_fail(err, WASM_LINK_ERROR, "%s %u is not available", cm_sort_name(s), idx);
    return NULL;
  }
  return &in->items[s][idx];
}

static const cm_ritem *iexports_find(const cm_iexports *ie, const char *name) {
  if (!ie) return NULL;
  for (uint32_t i = 0; i < ie->n; i++)
    if (strcmp(ie->names[i], name) == 0) return &ie->items[i];
  return NULL;
}

static wasm_status iexports_add(cm_iexports *ie, uint32_t *cap, const char *name,
                                const cm_ritem *it, wasm_error *err) {
  if (ie->n >= *cap) {
    uint32_t c = *cap ? *cap * 2 : 8;
    const char **nn = realloc(ie->names, (size_t)c * sizeof *nn);
    if (!nn) return cm_rt_fail(err, WASM_NOMEM, "out of memory");
    ie->names = nn;
    cm_ritem *ni = realloc(ie->items, (size_t)c * sizeof *ni);
    if (!ni) return cm_rt_fail(err, WASM_NOMEM, "out of memory");
    ie->items = ni;
    *cap = c;
  }
  ie->names[ie->n] = name;
  ie->items[ie->n] = *it;
  ie->n++;
  return WASM_OK;
}

/* An iexports allocated in the pool (for inline instances). */
static cm_iexports *pool_iexports(cm_instance *root, uint32_t n) {
  cm_iexports *ie = cm_pool_alloc(root, sizeof *ie);
  if (!ie) return NULL;
  ie->names = cm_pool_alloc(root, (n ? n : 1) * sizeof *ie->names);
  ie->items = cm_pool_alloc(root, (n ? n : 1) * sizeof *ie->items);
  if (!ie->names || !ie->items) return NULL;
  return ie;
}

static bool coreinst_find(const cm_coreinst *ci, const char *name, wasm_extern *out) {
  if (ci->inst) return wasm_instance_export(ci->inst, name, out);
  for (uint32_t i = 0; i < ci->n; i++)
    if (strcmp(ci->names[i], name) == 0) {
      *out = ci->ext[i];
      return true;
    }
  return false;
}

/* ---- calls ---- */

static void free_vals(cm_val *v, size_t n) {
  for (size_t i = 0; i < n; i++) cm_val_free(&v[i]);
}

static const cm_type **param_types(const cm_functype *ft, const cm_type **buf) {
  for (uint32_t i = 0; i < ft->nparams; i++) buf[i] = ft->params[i].type;
  return buf;
}

static wasm_status call_lifted(cm_func *f, cm_instance *caller, const cm_val *args,
                               size_t nargs, cm_val *result, wasm_error *err) {
  cm_instance *in = f->inst;
  const cm_functype *ft = f->type;
  wasm_status st;
  if (nargs != ft->nparams)
    return cm_rt_fail(err, WASM_BAD_ARG, "expected %u arguments, got %zu", ft->nparams, nargs);
  if (!in->may_enter) return cm_rt_fail(err, WASM_TRAP, "cannot enter component instance");
  cm_callscope scope;
  cm_scope_init(&scope);
  cm_abi_cx cx = {
      .store = f->store, .mem = f->mem, .realloc = f->realloc, .enc = f->enc,
      .adapter = caller != NULL, .handles = &in->handles, .self = in, .scope = &scope,
      .transit = &f->ctx->transit, .resolve = resolve_res, .resolve_env = in, .err = err,
  };
  const cm_type *pts_buf[64];
  const cm_type **pts = ft->nparams <= 64 ? pts_buf : malloc(ft->nparams * sizeof *pts);
  if (!pts) return cm_rt_fail(err, WASM_NOMEM, "out of memory");
  param_types(ft, pts);
  const wasm_functype *cft = wasm_func_type(f->core);
  uint32_t ncp = wasm_functype_nparams(cft), ncr = wasm_functype_nresults(cft);
  wasm_val cargs[CM_MAX_FLAT_PARAMS + 1], cres[4];
  uint32_t nc = 0;
  in->may_enter = false;
  st = cm_abi_lower_values(&cx, pts, ft->nparams, CM_MAX_FLAT_PARAMS, args, cargs,
                           CM_MAX_FLAT_PARAMS + 1, &nc, false, 0);
  if (pts != pts_buf) free(pts);
  if (st) goto done;
  if (nc != ncp || ncr > 4) {
    st = cm_rt_fail(err, WASM_TRAP, "core function signature mismatch");
    goto done;
  }
  memset(result, 0, sizeof *result);
  if (f->async_) {
    /* An async lift runs as a task that must finish before this
     * synchronous call returns: its result comes through task.return. */
    if (f->callback) {
      st = cm_rt_fail(err, WASM_TRAP, "async lift with a callback is not supported");
      goto done;
    }
    cm_val *saved_res = in->task_result;
    bool saved_active = in->task_active, saved_returned = in->task_returned;
    in->task_result = result;
    in->task_active = true;
    in->task_returned = false;
    st = wasm_func_call(f->store, f->core, cargs, nc, cres, ncr, err);
    bool returned = in->task_returned;
    in->task_result = saved_res;
    in->task_active = saved_active;
    in->task_returned = saved_returned;
    if (!st && !returned)
      st = cm_rt_fail(err, WASM_TRAP, "async task finished without calling task.return");
    if (st) goto done;
    if ((st = cm_scope_finish(&scope, true, err))) goto done;
    in->may_enter = true;
    goto done;
  }
  if ((st = wasm_func_call(f->store, f->core, cargs, nc, cres, ncr, err))) goto done;
  if (ft->result) {
    const cm_type *rt = ft->result;
    if ((st = cm_abi_lift_values(&cx, &rt, 1, CM_MAX_FLAT_RESULTS, cres, ncr, result)))
      goto done;
  }
  if ((st = cm_scope_finish(&scope, true, err))) goto done;
  if (f->post_return) {
    in->may_leave = false;
    st = wasm_func_call(f->store, f->post_return, cres, ncr, NULL, 0, err);
    in->may_leave = true;
    if (st) {
      cm_val_free(result);
      memset(result, 0, sizeof *result);
      goto done;
    }
  }
  in->may_enter = true; /* a trap leaves the instance poisoned */
done:
  if (st) {
    cm_val_free(result);
    memset(result, 0, sizeof *result);
  }
  cm_scope_free(&scope);
  return st;
}

wasm_status cm_func_invoke(cm_func *f, cm_instance *caller, const cm_val *args,
                           size_t nargs, cm_val *result, wasm_error *err) {
  memset(result, 0, sizeof *result);
  if (f->kind == CMF_LIFTED) return call_lifted(f, caller, args, nargs, result, err);
  if (nargs != f->type->nparams)
    return cm_rt_fail(err, WASM_BAD_ARG, "expected %u arguments, got %zu",
                      f->type->nparams, nargs);
  wasm_status st = f->fn(f->env, caller ? caller->root : NULL, args, nargs, result, err);
  if (st && err && err->status == WASM_OK) err->status = st;
  return st;
}

wasm_status cm_func_call(cm_func *f, const cm_val *args, size_t nargs, cm_val *result,
                         wasm_error *err) {
  if (!f || (nargs && !args) || !result)
    return cm_rt_fail(err, WASM_BAD_ARG, "cm_func_call: bad arguments");
  return cm_func_invoke(f, NULL, args, nargs, result, err);
}

const cm_functype *cm_func_type(const cm_func *f) { return f ? f->type : NULL; }

/* Ends the borrows a host function received: they live in the transit
 * table only for the duration of the call. */
static void release_borrows(cm_htable *transit, const cm_type *t, const cm_val *v,
                            unsigned depth) {
  if (!t || !v || depth > 100 || !cm_type_has_borrow(t)) return;
  switch (t->kind) {
  case CM_BORROW:
    if (v->kind == CM_BORROW) cm_htable_remove(transit, v->of.handle);
    return;
  case CM_LIST:
    for (size_t i = 0; v->kind == CM_LIST && i < v->of.list.n; i++)
      release_borrows(transit, t->as.list.elem, &v->of.list.elems[i], depth + 1);
    return;
  case CM_RECORD:
    for (size_t i = 0; i < v->of.list.n && i < t->as.record.n; i++)
      release_borrows(transit, t->as.record.fields[i].type, &v->of.list.elems[i], depth + 1);
    return;
  case CM_TUPLE:
    for (size_t i = 0; i < v->of.list.n && i < t->as.tuple.n; i++)
      release_borrows(transit, t->as.tuple.types[i], &v->of.list.elems[i], depth + 1);
    return;
  case CM_VARIANT:
    if (v->of.variant.disc < t->as.record.n)
      release_borrows(transit, t->as.record.fields[v->of.variant.disc].type,
                      v->of.variant.payload, depth + 1);
    return;
  case CM_OPTION:
    if (v->of.variant.disc == 1)
      release_borrows(transit, t->as.option.t, v->of.variant.payload, depth + 1);
    return;
  case CM_RESULT:
    release_borrows(transit, v->of.variant.disc == 0 ? t->as.result.ok : t->as.result.err,
                    v->of.variant.payload, depth + 1);
    return;
  default: return;
  }
}

/* ---- canon lower: a core host function ---- */

typedef struct lower_env {
  cm_func *callee;
  cm_instance *caller;
  const cm_functype *ft;
  wasm_memory *mem;
  wasm_func *realloc;
  cm_strenc enc;
  uint32_t ncore_params;
  bool async_; /* async lower: params up to MAX_FLAT_ASYNC_PARAMS, result
                  through a pointer, returns the subtask state */
} lower_env;

static wasm_status lower_trampoline(void *envp, const wasm_val *args, wasm_val *results,
                                    wasm_error *err) {
  lower_env *e = envp;
  cm_instance *in = e->caller;
  const cm_functype *ft = e->ft;
  if (!in->may_leave) return cm_rt_fail(err, WASM_TRAP, "cannot leave component instance");
  cm_callscope scope;
  cm_scope_init(&scope);
  cm_abi_cx cx = {
      .store = in->store, .mem = e->mem, .realloc = e->realloc, .enc = e->enc,
      .adapter = true, .handles = &in->handles, .self = in, .scope = &scope,
      .transit = &in->ctx->transit, .resolve = resolve_res, .resolve_env = in, .err = err,
  };
  const cm_type *pts_buf[64];
  const cm_type **pts = ft->nparams <= 64 ? pts_buf : malloc(ft->nparams * sizeof *pts);
  cm_val *vals = calloc(ft->nparams ? ft->nparams : 1, sizeof *vals);
  cm_val res; /* every vals[i] is zeroed: a partial lift frees cleanly */
  memset(&res, 0, sizeof res);
  wasm_status st;
  if (!pts || !vals) {
    st = cm_rt_fail(err, WASM_NOMEM, "out of memory");
    goto out;
  }
  param_types(ft, pts);
  uint32_t nparam_vals = e->ncore_params - (e->async_ && ft->result ? 1 : 0);
  if ((st = cm_abi_lift_values(&cx, pts, ft->nparams,
                               e->async_ ? CM_MAX_FLAT_ASYNC_PARAMS : CM_MAX_FLAT_PARAMS, args,
                               nparam_vals, vals)))
    goto out;
  st = cm_func_invoke(e->callee, in, vals, ft->nparams, &res, err);
  if (e->callee->kind == CMF_HOST)
    for (uint32_t i = 0; i < ft->nparams; i++)
      release_borrows(&in->ctx->transit, pts[i], &vals[i], 0);
  if (st) goto out;
  if (e->async_) {
    /* The callee always completes before returning here: the subtask is
     * RETURNED (2) at once, with no subtask handle. */
    uint32_t nout = 0;
    if (ft->result) {
      const cm_type *rt = ft->result;
      uint32_t ptr = (uint32_t)args[e->ncore_params - 1].of.i32;
      st = cm_abi_lower_values(&cx, &rt, 1, 0, &res, results, 0, &nout, true, ptr);
    }
    results[0].kind = WASM_I32;
    results[0].of.i32 = 2;
  } else if (ft->result) {
    const cm_type *rt = ft->result;
    uint32_t nflat = cm_abi_flatten(rt, NULL, 0), nout = 0;
    if (nflat > CM_MAX_FLAT_RESULTS) {
      uint32_t ptr = (uint32_t)args[e->ncore_params - 1].of.i32;
      st = cm_abi_lower_values(&cx, &rt, 1, CM_MAX_FLAT_RESULTS, &res, results, 0, &nout,
                               true, ptr);
    } else {
      st = cm_abi_lower_values(&cx, &rt, 1, CM_MAX_FLAT_RESULTS, &res, results, 1, &nout,
                               false, 0);
    }
  }
  if (!st) st = cm_scope_finish(&scope, false, err);
out:
  if (vals) free_vals(vals, ft->nparams);
  free(vals);
  cm_val_free(&res);
  if (pts && pts != pts_buf) free(pts);
  cm_scope_free(&scope);
  return st;
}

/* ---- resource built-ins ---- */

typedef struct builtin_env {
  cm_instance *inst;
  const cm_resource_type *res;
  cm_canon_kind kind;
  uint32_t index; /* context.get/set slot */
  /* task.return: the result type and the options it is lifted with */
  const cm_type *result;
  uint32_t nflat;
  wasm_memory *mem;
  wasm_func *realloc;
  cm_strenc enc;
} builtin_env;

static wasm_status builtin_fn(void *envp, const wasm_val *args, wasm_val *results,
                              wasm_error *err) {
  builtin_env *e = envp;
  cm_instance *in = e->inst;
  /* built-ins that never leave the instance are allowed in post-return */
  bool stays = e->kind == CM_CANON_RESOURCE_REP || e->kind == CM_CANON_BACKPRESSURE_SET ||
               e->kind == CM_CANON_BACKPRESSURE_INC || e->kind == CM_CANON_BACKPRESSURE_DEC ||
               e->kind == CM_CANON_CONTEXT_GET || e->kind == CM_CANON_CONTEXT_SET;
  if (!in->may_leave && !stays)
    return cm_rt_fail(err, WASM_TRAP, "cannot leave component instance");
  const cm_rtres *rt = e->res ? resolve_res(in, e->res) : NULL;
  uint32_t out;
  wasm_status st;
  switch (e->kind) {
  case CM_CANON_RESOURCE_NEW:
    if (!rt) return cm_rt_fail(err, WASM_TRAP, "resource.new: unknown resource type");
    if ((st = cm_resource_new(&in->handles, rt, (uint32_t)args[0].of.i32, &out, err))) return st;
    results[0].kind = WASM_I32;
    results[0].of.i32 = (int32_t)out;
    return WASM_OK;
  case CM_CANON_RESOURCE_REP:
    if ((st = cm_resource_rep(&in->handles, rt, (uint32_t)args[0].of.i32, &out, err))) return st;
    results[0].kind = WASM_I32;
    results[0].of.i32 = (int32_t)out;
    return WASM_OK;
  case CM_CANON_RESOURCE_DROP:
    return cm_resource_drop(&in->handles, rt, (uint32_t)args[0].of.i32, err);
  case CM_CANON_BACKPRESSURE_SET:
  case CM_CANON_BACKPRESSURE_INC:
  case CM_CANON_BACKPRESSURE_DEC:
    return WASM_OK; /* no concurrency yet: backpressure has no effect */
  case CM_CANON_CONTEXT_GET:
  case CM_CANON_CONTEXT_SET: {
    uint32_t slot = e->index < 2 ? e->index : 1;
    if (e->kind == CM_CANON_CONTEXT_SET) {
      in->context[slot] = args[0].of.i32;
      return WASM_OK;
    }
    results[0].kind = WASM_I32;
    results[0].of.i32 = in->context[slot];
    return WASM_OK;
  }
  case CM_CANON_TASK_RETURN: {
    if (!in->task_active || !in->task_result)
      return cm_rt_fail(err, WASM_TRAP, "task.return: no async task is running");
    if (in->task_returned) return cm_rt_fail(err, WASM_TRAP, "task.return called twice");
    if (!e->result) {
      in->task_returned = true;
      return WASM_OK;
    }
    cm_callscope scope;
    cm_scope_init(&scope);
    cm_abi_cx cx = {
        .store = in->store, .mem = e->mem, .realloc = e->realloc, .enc = e->enc,
        .adapter = true, .handles = &in->handles, .self = in, .scope = &scope,
        .transit = &in->ctx->transit, .resolve = resolve_res, .resolve_env = in, .err = err,
    };
    const cm_type *rt = e->result;
    st = cm_abi_lift_values(&cx, &rt, 1, CM_MAX_FLAT_PARAMS, args, e->nflat, in->task_result);
    if (!st) st = cm_scope_finish(&scope, false, err);
    cm_scope_free(&scope);
    if (st) {
      cm_val_free(in->task_result);
      memset(in->task_result, 0, sizeof *in->task_result);
      return st;
    }
    in->task_returned = true;
    return WASM_OK;
  }
  default:
    return cm_rt_fail(err, WASM_TRAP, "%s: not supported (async is not implemented)",
                      cm_canon_table[e->kind].name);
  }
}

/* ---- instantiation ---- */

static wasm_functype *core_functype(cm_instance *root, const cm_core_functype *t) {
  wasm_functype *ft = wasm_functype_new(t ? t->params : NULL, t ? t->nparams : 0,
                                        t ? t->results : NULL, t ? t->nresults : 0);
  if (ft && !cm_pool_own(root, ft, functype_dtor)) {
    wasm_functype_delete(ft);
    return NULL;
  }
  return ft;
}

static wasm_status run_defs(cm_instance *in, const char *const *names,
                            const cm_ritem *args, uint32_t nargs, wasm_error *err);

static cm_instance *new_rinst(cm_instance *root, const cm_component_def *def,
                              cm_instance *parent, wasm_store *s, cm_ctx *ctx,
                              wasm_error *err) {
  cm_instance *in = root ? calloc(1, sizeof *in) : calloc(1, sizeof *in);
  if (!in) {
    cm_rt_fail(err, WASM_NOMEM, "out of memory");
    return NULL;
  }
  in->def = def;
  in->parent = parent;
  in->root = root ? root : in;
  in->ctx = ctx;
  in->store = s;
  in->may_enter = in->may_leave = true;
  cm_htable_init(&in->handles);
  cm_instance *r = in->root;
  if (r->nall >= r->capall) {
    uint32_t c = r->capall ? r->capall * 2 : 8;
    cm_instance **a = realloc(r->all, (size_t)c * sizeof *a);
    if (!a) {
      if (in != r) free(in);
      cm_rt_fail(err, WASM_NOMEM, "out of memory");
      return NULL;
    }
    r->all = a;
    r->capall = c;
  }
  r->all[r->nall++] = in;
  for (int k = 0; k < CM_SORT_COUNT; k++) {
    uint32_t n = def->space[k].n;
    in->items[k] = calloc(n ? n : 1, sizeof(cm_ritem));
    if (!in->items[k]) {
      cm_rt_fail(err, WASM_NOMEM, "out of memory");
      return NULL; /* freed with the root */
    }
  }
  return in;
}

static wasm_status def_core_instance(cm_instance *in, const cm_def *d, wasm_error *err) {
  const cm_core_instance_def *ci = &d->u.core_instance;
  cm_coreinst *out = cm_pool_alloc(in->root, sizeof *out);
  if (!out) return cm_rt_fail(err, WASM_NOMEM, "out of memory");
  wasm_status st;
  if (ci->instantiate) {
    const cm_ritem *mi = get_item(in, CM_SORT_CORE_MODULE, ci->module, err);
    if (!mi) return WASM_LINK_ERROR;
    const wasm_module *m = mi->u.module;
    uint32_t ni = wasm_module_import_count(m);
    wasm_extern *imps = calloc(ni ? ni : 1, sizeof *imps);
    if (!imps) return cm_rt_fail(err, WASM_NOMEM, "out of memory");
    for (uint32_t i = 0; i < ni; i++) {
      const char *mod, *name;
      wasm_externkind kind;
      wasm_module_import(m, i, &mod, &name, &kind);
      const cm_coreinst *src = NULL;
      for (uint32_t a = 0; a < ci->nargs; a++)
        if (strcmp(ci->args[a].name, mod) == 0) {
          const cm_ritem *ai = get_item(in, CM_SORT_CORE_INSTANCE, ci->args[a].instance, err);
          if (!ai) { free(imps); return WASM_LINK_ERROR; }
          src = ai->u.cinst;
        }
      if (!src || !coreinst_find(src, name, &imps[i])) {
        free(imps);
        return cm_rt_fail(err, WASM_LINK_ERROR, "core instance: missing import \"%s\" \"%s\"",
                          mod, name);
      }
    }
    st = wasm_instantiate(in->store, m, imps, ni, &out->inst, err);
    free(imps);
    if (st) return st;
  } else {
    out->n = ci->nexports;
    out->names = cm_pool_alloc(in->root, (ci->nexports + 1) * sizeof *out->names);
    out->ext = cm_pool_alloc(in->root, (ci->nexports + 1) * sizeof *out->ext);
    if (!out->names || !out->ext) return cm_rt_fail(err, WASM_NOMEM, "out of memory");
    for (uint32_t i = 0; i < ci->nexports; i++) {
      const cm_ritem *it = get_item(in, ci->exports[i].si.sort, ci->exports[i].si.idx, err);
      if (!it) return WASM_LINK_ERROR;
      out->names[i] = ci->exports[i].name;
      out->ext[i] = it->u.core;
    }
  }
  cm_ritem it = {.u.cinst = out};
  return set_item(in, CM_SORT_CORE_INSTANCE, d->item, it, err);
}

static wasm_status def_instance(cm_instance *in, const cm_def *d, wasm_error *err) {
  const cm_instance_def *id = &d->u.instance;
  uint32_t n = id->instantiate ? id->nargs : id->nexports;
  const cm_inst_arg *av = id->instantiate ? id->args : id->exports;
  const char **names = calloc(n ? n : 1, sizeof *names);
  cm_ritem *items = calloc(n ? n : 1, sizeof *items);
  wasm_status st = WASM_OK;
  if (!names || !items) { st = cm_rt_fail(err, WASM_NOMEM, "out of memory"); goto out; }
  for (uint32_t i = 0; i < n; i++) {
    const cm_ritem *it = get_item(in, av[i].si.sort, av[i].si.idx, err);
    if (!it) { st = WASM_LINK_ERROR; goto out; }
    names[i] = av[i].name;
    items[i] = *it;
  }
  cm_ritem res = {0};
  if (id->instantiate) {
    const cm_ritem *ci = get_item(in, CM_SORT_COMPONENT, id->component, err);
    if (!ci) { st = WASM_LINK_ERROR; goto out; }
    cm_instance *child = new_rinst(in->root, ci->u.comp->def, ci->u.comp->parent, in->store,
                                   in->ctx, err);
    if (!child) { st = err ? err->status : WASM_NOMEM; goto out; }
    if ((st = run_defs(child, names, items, n, err))) goto out;
    res.u.inst = &child->exports;
  } else {
    cm_iexports *ie = pool_iexports(in->root, n);
    if (!ie) { st = cm_rt_fail(err, WASM_NOMEM, "out of memory"); goto out; }
    for (uint32_t i = 0; i < n; i++) {
      ie->names[i] = names[i];
      ie->items[i] = items[i];
    }
    ie->n = n;
    res.u.inst = ie;
  }
  st = set_item(in, CM_SORT_INSTANCE, d->item, res, err);
out:
  free(names);
  free(items);
  return st;
}

static wasm_status def_alias(cm_instance *in, const cm_def *d, wasm_error *err) {
  const cm_alias_def *a = &d->u.alias;
  cm_ritem it = {0};
  switch (a->kind) {
  case CM_ALIAS_EXPORT: {
    const cm_ritem *ii = get_item(in, CM_SORT_INSTANCE, a->instance, err);
    if (!ii) return WASM_LINK_ERROR;
    const cm_ritem *e = iexports_find(ii->u.inst, a->name);
    if (!e) return cm_rt_fail(err, WASM_LINK_ERROR, "instance has no export `%s`", a->name);
    it = *e;
    break;
  }
  case CM_ALIAS_CORE_EXPORT: {
    const cm_ritem *ii = get_item(in, CM_SORT_CORE_INSTANCE, a->instance, err);
    if (!ii) return WASM_LINK_ERROR;
    if (!coreinst_find(ii->u.cinst, a->name, &it.u.core))
      return cm_rt_fail(err, WASM_LINK_ERROR, "core instance has no export `%s`", a->name);
    break;
  }
  case CM_ALIAS_OUTER: {
    cm_instance *o = in;
    for (uint32_t k = 0; k < a->outer_count && o; k++) o = o->parent;
    if (!o) return cm_rt_fail(err, WASM_LINK_ERROR, "outer alias out of range");
    if (a->outer_idx < o->def->space[a->sort].n && o->items[a->sort][a->outer_idx].set)
      it = o->items[a->sort][a->outer_idx];
    break;
  }
  }
  if (!d->has_item) return WASM_OK;
  return set_item(in, d->sort, d->item, it, err);
}

static wasm_status canon_opts(cm_instance *in, const cm_canonopts *o, wasm_memory **mem,
                              wasm_func **realloc_, wasm_func **post, wasm_error *err) {
  *mem = NULL;
  *realloc_ = NULL;
  if (post) *post = NULL;
  const cm_ritem *it;
  if (o->has_memory) {
    if (!(it = get_item(in, CM_SORT_CORE_MEMORY, o->memory, err))) return WASM_LINK_ERROR;
    *mem = it->u.core.of.memory;
  }
  if (o->has_realloc) {
    if (!(it = get_item(in, CM_SORT_CORE_FUNC, o->realloc, err))) return WASM_LINK_ERROR;
    *realloc_ = it->u.core.of.func;
  }
  if (post && o->has_post_return) {
    if (!(it = get_item(in, CM_SORT_CORE_FUNC, o->post_return, err))) return WASM_LINK_ERROR;
    *post = it->u.core.of.func;
  }
  return WASM_OK;
}

static wasm_status def_canon(cm_instance *in, const cm_def *d, wasm_error *err) {
  const cm_canon_def *c = &d->u.canon;
  cm_ritem it = {0};
  wasm_status st;
  if (c->kind == CM_CANON_LIFT) {
    cm_func *f = cm_pool_alloc(in->root, sizeof *f);
    if (!f) return cm_rt_fail(err, WASM_NOMEM, "out of memory");
    const cm_ritem *cf = get_item(in, CM_SORT_CORE_FUNC, c->func, err);
    if (!cf) return WASM_LINK_ERROR;
    f->kind = CMF_LIFTED;
    f->type = c->functype;
    f->ctx = in->ctx;
    f->store = in->store;
    f->inst = in;
    f->core = cf->u.core.of.func;
    f->enc = c->opts.encoding;
    f->async_ = c->opts.async_;
    f->callback = c->opts.has_callback;
    if ((st = canon_opts(in, &c->opts, &f->mem, &f->realloc, &f->post_return, err))) return st;
    if (!f->type) return cm_rt_fail(err, WASM_INVALID, "canon lift: unresolved type");
    it.u.func = f;
    return set_item(in, CM_SORT_FUNC, d->item, it, err);
  }
  wasm_functype *ft;
  void *env;
  wasm_host_fn fn;
  if (c->kind == CM_CANON_LOWER) {
    const cm_ritem *fi = get_item(in, CM_SORT_FUNC, c->func, err);
    if (!fi) return WASM_LINK_ERROR;
    lower_env *e = cm_pool_alloc(in->root, sizeof *e);
    if (!e) return cm_rt_fail(err, WASM_NOMEM, "out of memory");
    e->callee = fi->u.func;
    e->caller = in;
    e->ft = c->functype ? c->functype : fi->u.func->type;
    e->enc = c->opts.encoding;
    if ((st = canon_opts(in, &c->opts, &e->mem, &e->realloc, NULL, err))) return st;
    uint8_t ps[CM_MAX_FLAT_PARAMS + 2], rs[2];
    uint32_t np, nr;
    cm_abi_flatten_functype(e->ft, true, ps, &np, rs, &nr);
    e->async_ = c->opts.async_;
    e->ncore_params = c->core_type ? c->core_type->nparams : np;
    ft = c->core_type ? core_functype(in->root, c->core_type)
                      : wasm_functype_new(ps, np, rs, nr);
    if (ft && !c->core_type && !cm_pool_own(in->root, ft, functype_dtor)) {
      wasm_functype_delete(ft);
      ft = NULL;
    }
    env = e;
    fn = lower_trampoline;
  } else {
    builtin_env *e = cm_pool_alloc(in->root, sizeof *e);
    if (!e) return cm_rt_fail(err, WASM_NOMEM, "out of memory");
    e->inst = in;
    e->res = c->resource;
    e->kind = c->kind;
    e->index = c->index;
    e->result = c->kind == CM_CANON_TASK_RETURN ? c->result : NULL;
    e->nflat = c->core_type ? c->core_type->nparams : 0;
    e->enc = c->opts.encoding;
    if ((st = canon_opts(in, &c->opts, &e->mem, &e->realloc, NULL, err))) return st;
    ft = core_functype(in->root, c->core_type);
    env = e;
    fn = builtin_fn;
  }
  if (!ft) return cm_rt_fail(err, WASM_NOMEM, "out of memory");
  wasm_func *hf = wasm_func_new_host(in->store, ft, fn, env);
  if (!hf) return cm_rt_fail(err, WASM_NOMEM, "out of memory");
  it.u.core.kind = WASM_EXTERN_FUNC;
  it.u.core.of.func = hf;
  if (!d->has_item) return WASM_OK;
  return set_item(in, CM_SORT_CORE_FUNC, d->item, it, err);
}

static wasm_status def_type(cm_instance *in, const cm_def *d, wasm_error *err) {
  if (!d->has_item || d->sort != CM_SORT_TYPE) return WASM_OK;
  cm_ritem it = {0};
  const cm_deftype *t = d->u.type;
  if (t && t->kind == CM_DT_RESOURCE && t->u.resource &&
      t->u.resource->origin == CM_RES_DEFINED) {
    const cm_resource_type *sr = t->u.resource;
    cm_rtres *r = cm_pool_alloc(in->root, sizeof *r);
    if (!r) return cm_rt_fail(err, WASM_NOMEM, "out of memory");
    r->id = in->ctx->next_res_id++;
    r->impl = in;
    r->store = in->store;
    r->name = sr->name;
    if (sr->has_dtor) {
      const cm_ritem *df = get_item(in, CM_SORT_CORE_FUNC, sr->dtor, err);
      if (!df) return WASM_LINK_ERROR;
      r->dtor = df->u.core.of.func;
    }
    it.u.res = r;
    wasm_status st = map_res(in, sr, r, err);
    if (st) return st;
  }
  return set_item(in, CM_SORT_TYPE, d->item, it, err);
}

static wasm_status def_start(cm_instance *in, const cm_def *d, wasm_error *err) {
  const cm_start_def *s = &d->u.start;
  const cm_ritem *fi = get_item(in, CM_SORT_FUNC, s->func, err);
  if (!fi) return WASM_LINK_ERROR;
  cm_val *args = calloc(s->nargs ? s->nargs : 1, sizeof *args);
  if (!args) return cm_rt_fail(err, WASM_NOMEM, "out of memory");
  for (uint32_t i = 0; i < s->nargs; i++) {
    const cm_ritem *vi = get_item(in, CM_SORT_VALUE, s->args[i], err);
    if (!vi) { free(args); return WASM_LINK_ERROR; }
    if (vi->u.value) args[i] = *vi->u.value; /* shallow: not freed here */
  }
  cm_val res;
  wasm_status st = cm_func_invoke(fi->u.func, NULL, args, s->nargs, &res, err);
  free(args);
  if (st) return st;
  if (s->nresults && d->item < in->def->space[CM_SORT_VALUE].n) {
    cm_val *v = cm_pool_alloc(in->root, sizeof *v);
    if (!v) { cm_val_free(&res); return cm_rt_fail(err, WASM_NOMEM, "out of memory"); }
    *v = res; /* leaks its children: values are rare */
    cm_ritem it = {.u.value = v};
    return set_item(in, CM_SORT_VALUE, d->item, it, err);
  }
  cm_val_free(&res);
  return WASM_OK;
}

static wasm_status run_defs(cm_instance *in, const char *const *names,
                            const cm_ritem *args, uint32_t nargs, wasm_error *err) {
  const cm_component_def *def = in->def;
  wasm_status st = WASM_OK;
  for (uint32_t i = 0; i < def->ndefs && !st; i++) {
    const cm_def *d = &def->defs[i];
    cm_ritem it = {0};
    switch (d->kind) {
    case CM_DEF_CORE_MODULE:
      it.u.module = d->u.module;
      if (d->has_item) st = set_item(in, CM_SORT_CORE_MODULE, d->item, it, err);
      break;
    case CM_DEF_CORE_INSTANCE: st = def_core_instance(in, d, err); break;
    case CM_DEF_CORE_TYPE: break;
    case CM_DEF_COMPONENT: {
      cm_closure *c = cm_pool_alloc(in->root, sizeof *c);
      if (!c) return cm_rt_fail(err, WASM_NOMEM, "out of memory");
      c->def = d->u.component;
      c->parent = in;
      it.u.comp = c;
      if (d->has_item) st = set_item(in, CM_SORT_COMPONENT, d->item, it, err);
      break;
    }
    case CM_DEF_INSTANCE: st = def_instance(in, d, err); break;
    case CM_DEF_ALIAS: st = def_alias(in, d, err); break;
    case CM_DEF_TYPE: st = def_type(in, d, err); break;
    case CM_DEF_CANON: st = def_canon(in, d, err); break;
    case CM_DEF_START: st = def_start(in, d, err); break;
    case CM_DEF_IMPORT: {
      const char *nm = d->u.import.name.name;
      const cm_ritem *a = NULL;
      for (uint32_t k = 0; k < nargs; k++)
        if (strcmp(names[k], nm) == 0) a = &args[k];
      if (!a && d->u.import.t.sort == CM_SORT_TYPE) break; /* type imports may be unbound */
      if (!a)
        return cm_rt_fail(err, WASM_LINK_ERROR, "missing import named `%s`", nm);
      if (d->has_item) st = set_item(in, d->sort, d->item, *a, err);
      if (!st && d->u.import.t.sort == CM_SORT_TYPE)
        st = map_res(in, static_res(&d->u.import.t), a->u.res, err);
      if (!st && d->u.import.t.sort == CM_SORT_INSTANCE && a->sort == CM_SORT_INSTANCE)
        st = map_insttype(in, d->u.import.t.u.instance, a->u.inst, err);
      break;
    }
    case CM_DEF_EXPORT: {
      const cm_export_def *e = &d->u.export_;
      const cm_ritem *src = get_item(in, e->si.sort, e->si.idx, err);
      if (!src) return WASM_LINK_ERROR;
      it = *src;
      if (d->has_item) st = set_item(in, d->sort, d->item, it, err);
      if (!st && e->has_type && e->t.sort == CM_SORT_TYPE)
        st = map_res(in, static_res(&e->t), it.u.res, err);
      if (!st) st = iexports_add(&in->exports, &in->capexports, e->name.name, &it, err);
      break;
    }
    }
  }
  return st;
}

wasm_status cm_instantiate(wasm_store *s, cm_ctx *ctx, const cm_component *c,
                           const char *const *names, const cm_ritem *items, uint32_t n,
                           cm_instance **out, wasm_error *err) {
  if (!s || !c || !c->root || !out) return cm_rt_fail(err, WASM_BAD_ARG, "bad arguments");
  cm_instance *in = new_rinst(NULL, c->root, NULL, s, ctx, err);
  if (!in) return err ? err->status : WASM_NOMEM;
  cm_ctx_ref(ctx);
  wasm_status st = run_defs(in, names, items, n, err);
  if (st) {
    cm_instance_delete(in);
    return st;
  }
  *out = in;
  return WASM_OK;
}

cm_func *cm_instance_func(cm_instance *inst, const char *name) {
  if (!inst || !name) return NULL;
  const char *hash = strchr(name, '#');
  if (hash) {
    size_t k = (size_t)(hash - name);
    for (uint32_t i = 0; i < inst->exports.n; i++) {
      const cm_ritem *it = &inst->exports.items[i];
      if (strlen(inst->exports.names[i]) == k && !strncmp(inst->exports.names[i], name, k) &&
          it->sort == CM_SORT_INSTANCE) {
        const cm_ritem *f = iexports_find(it->u.inst, hash + 1);
        return f && f->sort == CM_SORT_FUNC ? f->u.func : NULL;
      }
    }
    return NULL;
  }
  const cm_ritem *f = iexports_find(&inst->exports, name);
  return f && f->sort == CM_SORT_FUNC ? f->u.func : NULL;
}
