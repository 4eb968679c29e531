/*
 * cm_linker.c: the host side of the component API: a linker holding host
 * functions (by interface and name) and component instances (by name),
 * satisfying a component's imports at instantiation.
 *
 * Interface names match semver-compatibly, as wasmtime does: an import of
 * "ns:pkg/iface@0.2.10" is served by a definition "ns:pkg/iface@0.2.12"
 * (same major, and for 0.x the same minor).
 *
 * A host function takes the function type the importing component declares
 * (the values it receives are lifted with that type); the WIT type given
 * at definition is checked for syntax then, and against the component's
 * type at instantiation (cm_wit.c). Host-defined resource types live in
 * the linker's context, which instances keep alive.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/cm_inst.h"

typedef struct host_def {
  char *iface; /* NULL: root */
  char *func;
  char *wit;
  char *defs; /* the interface's WIT text (named types), or NULL */
  cm_host_fn fn;
  void *env;
} host_def;

static bool name_matches(const char *want, const char *have);

typedef struct inst_def {
  char *name;
  cm_instance *inst;
} inst_def;

struct cm_linker {
  wasm_engine *engine;
  cm_ctx *ctx;
  host_def *funcs;
  uint32_t nfuncs, capfuncs;
  inst_def *insts;
  uint32_t ninsts, capinsts;
  char **ifaces; /* interfaces defined whole (cm_linker_define_interface) */
  uint32_t nifaces;
};

cm_linker *cm_linker_new(wasm_engine *e) {
  cm_linker *l = calloc(1, sizeof *l);
  if (!l) return NULL;
  l->engine = e;
  l->ctx = cm_ctx_new();
  if (!l->ctx) {
    free(l);
    return NULL;
  }
  return l;
}

void cm_linker_delete(cm_linker *l) {
  if (!l) return;
  for (uint32_t i = 0; i < l->nfuncs; i++) {
    free(l->funcs[i].iface);
    free(l->funcs[i].func);
    free(l->funcs[i].wit);
    free(l->funcs[i].defs);
  }
  free(l->funcs);
  for (uint32_t i = 0; i < l->nifaces; i++) free(l->ifaces[i]);
  free(l->ifaces);
  for (uint32_t i = 0; i < l->ninsts; i++) free(l->insts[i].name);
  free(l->insts);
  cm_ctx_unref(l->ctx);
  free(l);
}

static char *dup(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s);
  char *p = malloc(n + 1);
  if (p) memcpy(p, s, n + 1);
  return p;
}

wasm_status cm_linker_define_func(cm_linker *l, const char *iface, const char *func,
                                  const char *wit_type, cm_host_fn fn, void *env,
                                  wasm_error *err) {
  return cm_linker_define_func_in(l, iface, func, wit_type, NULL, fn, env, err);
}

wasm_status cm_linker_define_func_in(cm_linker *l, const char *iface, const char *func,
                                     const char *wit_type, const char *defs, cm_host_fn fn,
                                     void *env, wasm_error *err) {
  if (!l || !func || !fn) return cm_rt_fail(err, WASM_BAD_ARG, "cm_linker_define_func: bad arguments");
  char why[160];
  if (wit_type && *wit_type && cm_wit_check_func(wit_type, NULL, why, sizeof why) != WASM_OK)
    return cm_rt_fail(err, WASM_MALFORMED, "WIT type of `%s`: %s", func, why);
  if (l->nfuncs >= l->capfuncs) {
    uint32_t c = l->capfuncs ? l->capfuncs * 2 : 16;
    host_def *f = realloc(l->funcs, (size_t)c * sizeof *f);
    if (!f) return cm_rt_fail(err, WASM_NOMEM, "out of memory");
    l->funcs = f;
    l->capfuncs = c;
  }
  host_def *d = &l->funcs[l->nfuncs];
  d->iface = dup(iface);
  d->func = dup(func);
  d->wit = dup(wit_type ? wit_type : "");
  d->defs = defs ? dup(defs) : NULL;
  d->fn = fn;
  d->env = env;
  if ((iface && !d->iface) || !d->func || !d->wit || (defs && !d->defs)) {
    free(d->iface); free(d->func); free(d->wit); free(d->defs);
    return cm_rt_fail(err, WASM_NOMEM, "out of memory");
  }
  l->nfuncs++;
  return WASM_OK;
}

/* ---- host-defined resources ---- */

/* One allocation: the run-time resource type first (the context frees it
 * as a cm_rtres), then its names. */
struct cm_host_resource {
  cm_rtres rt;
  const char *iface; /* NULL: root */
  const char *name;
};

wasm_status cm_linker_define_resource(cm_linker *l, const char *iface, const char *name,
                                      cm_resource_dtor dtor, void *env,
                                      cm_host_resource **out, wasm_error *err) {
  if (out) *out = NULL;
  if (!l || !name) return cm_rt_fail(err, WASM_BAD_ARG, "cm_linker_define_resource: bad arguments");
  cm_ctx *c = l->ctx;
  if (c->nhost_res >= c->caphost_res) {
    uint32_t cap = c->caphost_res ? c->caphost_res * 2 : 8;
    cm_rtres **v = realloc(c->host_res, (size_t)cap * sizeof *v);
    if (!v) return cm_rt_fail(err, WASM_NOMEM, "out of memory");
    c->host_res = v;
    c->caphost_res = cap;
  }
  size_t ni = iface ? strlen(iface) + 1 : 0, nn = strlen(name) + 1;
  cm_host_resource *r = calloc(1, sizeof *r + ni + nn);
  if (!r) return cm_rt_fail(err, WASM_NOMEM, "out of memory");
  char *p = (char *)(r + 1);
  if (iface) {
    memcpy(p, iface, ni);
    r->iface = p;
    p += ni;
  }
  memcpy(p, name, nn);
  r->name = p;
  r->rt.id = c->next_res_id++;
  r->rt.name = r->name;
  r->rt.host_dtor = dtor;
  r->rt.host_env = env;
  c->host_res[c->nhost_res++] = &r->rt;
  if (out) *out = r;
  return WASM_OK;
}

static cm_host_resource *find_host_res(cm_linker *l, const char *iface, const char *name) {
  for (uint32_t i = l->ctx->nhost_res; i-- > 0;) {
    cm_host_resource *r = (cm_host_resource *)l->ctx->host_res[i];
    if (strcmp(r->name, name) == 0 &&
        (iface ? r->iface && name_matches(iface, r->iface) : !r->iface))
      return r;
  }
  return NULL;
}

cm_host_resource *cm_linker_resource(cm_linker *l, const char *iface, const char *name) {
  return l && name ? find_host_res(l, iface, name) : NULL;
}

wasm_status cm_linker_resource_new(cm_linker *l, cm_host_resource *r, uint32_t rep,
                                   cm_val *out, wasm_error *err) {
  if (!l || !r || !out) return cm_rt_fail(err, WASM_BAD_ARG, "cm_linker_resource_new: bad arguments");
  memset(out, 0, sizeof *out);
  cm_handle h = {.rt = &r->rt, .rep = rep, .state = CM_H_OWN};
  uint32_t i = cm_htable_insert(&l->ctx->transit, h, err);
  if (!i) return WASM_TRAP;
  out->kind = CM_OWN;
  out->of.handle = i;
  return WASM_OK;
}

wasm_status cm_linker_resource_rep(cm_linker *l, cm_host_resource *r, const cm_val *handle,
                                   uint32_t *rep, wasm_error *err) {
  if (!l || !handle || !rep || (handle->kind != CM_OWN && handle->kind != CM_BORROW))
    return cm_rt_fail(err, WASM_BAD_ARG, "cm_linker_resource_rep: not a handle");
  cm_handle *h = cm_htable_get_typed(&l->ctx->transit, handle->of.handle, r ? &r->rt : NULL, err);
  if (!h) return WASM_TRAP;
  *rep = h->rep;
  return WASM_OK;
}

wasm_status cm_linker_resource_drop(cm_linker *l, const cm_val *handle, wasm_error *err) {
  if (!l || !handle || (handle->kind != CM_OWN && handle->kind != CM_BORROW))
    return cm_rt_fail(err, WASM_BAD_ARG, "cm_linker_resource_drop: not a handle");
  return cm_resource_drop(&l->ctx->transit, NULL, handle->of.handle, err);
}

/* Registers a component instance's exports under name (the script runner's
 * `register`); an import of that name receives the whole instance. */
wasm_status cm_linker_define_instance(cm_linker *l, const char *name, cm_instance *inst,
                                      wasm_error *err) {
  if (l->ninsts >= l->capinsts) {
    uint32_t c = l->capinsts ? l->capinsts * 2 : 8;
    inst_def *d = realloc(l->insts, (size_t)c * sizeof *d);
    if (!d) return cm_rt_fail(err, WASM_NOMEM, "out of memory");
    l->insts = d;
    l->capinsts = c;
  }
  l->insts[l->ninsts].name = dup(name);
  if (!l->insts[l->ninsts].name) return cm_rt_fail(err, WASM_NOMEM, "out of memory");
  l->insts[l->ninsts].inst = inst;
  l->ninsts++;
  return WASM_OK;
}

cm_ctx *cm_linker_ctx(cm_linker *l) { return l->ctx; }

/* ---- semver-compatible names ---- */

/* Splits "ns:pkg/iface@1.2.3" at '@'; compatible when the bases are equal
 * and the versions agree on the first nonzero component and all before. */
static bool version_compatible(const char *a, const char *b) {
  unsigned a1 = 0, a2 = 0, a3 = 0, b1 = 0, b2 = 0, b3 = 0;
  if (sscanf(a, "%u.%u.%u", &a1, &a2, &a3) < 1) return strcmp(a, b) == 0;
  if (sscanf(b, "%u.%u.%u", &b1, &b2, &b3) < 1) return false;
  if (strchr(a, '-') || strchr(b, '-')) return strcmp(a, b) == 0; /* prereleases */
  if (a1 != b1) return false;
  if (a1 != 0) return true;
  if (a2 != b2) return false;
  if (a2 != 0) return true;
  return a3 == b3;
}

static bool name_matches(const char *want, const char *have) {
  if (!want || !have) return want == have;
  if (strcmp(want, have) == 0) return true;
  const char *wa = strchr(want, '@'), *ha = strchr(have, '@');
  if (!wa || !ha || (wa - want) != (ha - have) || strncmp(want, have, (size_t)(wa - want)))
    return false;
  return version_compatible(wa + 1, ha + 1);
}

/* ---- instantiation ---- */

static cm_func *host_func(void *unused, cm_linker *l, const host_def *d,
                          const cm_functype *ft, void **allocs, uint32_t *nallocs) {
  cm_func *f = calloc(1, sizeof *f);
  if (!f) return NULL;
  f->kind = CMF_HOST;
  f->type = ft;
  f->ctx = l->ctx;
  f->fn = d->fn;
  f->env = d->env;
  allocs[(*nallocs)++] = f;
  return f;
}

static bool defines_iface(const cm_linker *l, const char *iface) {
  for (uint32_t k = 0; k < l->nfuncs; k++)
    if (l->funcs[k].iface && name_matches(iface, l->funcs[k].iface)) return true;
  for (uint32_t k = 0; k < l->nifaces; k++)
    if (name_matches(iface, l->ifaces[k])) return true;
  return false;
}

/* Records that the host defines interface iface, even one without
 * functions (an interface of types only). */
wasm_status cm_linker_note_iface(cm_linker *l, const char *iface, wasm_error *err) {
  if (defines_iface(l, iface)) return WASM_OK;
  char **v = realloc(l->ifaces, (l->nifaces + 1) * sizeof *v);
  if (!v) return cm_rt_fail(err, WASM_NOMEM, "out of memory");
  l->ifaces = v;
  if (!(v[l->nifaces] = dup(iface))) return cm_rt_fail(err, WASM_NOMEM, "out of memory");
  l->nifaces++;
  return WASM_OK;
}

/* The host's declared WIT type must fit the type the component imports. */
static wasm_status check_host_type(const host_def *d, const cm_functype *ft, const char *where,
                                   wasm_error *err) {
  char why[320];
  if (!d->wit[0] || cm_wit_check_func_in(d->wit, d->defs, ft, why, sizeof why) == WASM_OK)
    return WASM_OK;
  return cm_rt_fail(err, WASM_LINK_ERROR, "function `%s`%s%s has the wrong type: %s", d->func,
                    where ? " of " : "", where ? where : "", why);
}

/* Whether resource r is a type export (or type import) of one of the
 * first n imports of def; *imp and *name (NULL for a type import) say
 * which. */
static bool bound_earlier(const cm_component_def *def, uint32_t n, const cm_resource_type *r,
                          const char **imp, const char **name) {
  for (uint32_t i = 0; i < n && r; i++) {
    const cm_def *d = &def->defs[def->imports[i]];
    const cm_externtype *t = &d->u.import.t;
    *imp = d->u.import.name.name;
    *name = NULL;
    if (t->sort == CM_SORT_TYPE && t->u.type && t->u.type->kind == CM_DT_RESOURCE &&
        t->u.type->u.resource == r)
      return true;
    if (t->sort != CM_SORT_INSTANCE || !t->u.instance) continue;
    for (uint32_t e = 0; e < t->u.instance->nexports; e++) {
      const cm_externtype *x = &t->u.instance->exports[e].t;
      *name = t->u.instance->exports[e].name.name;
      if (x->sort == CM_SORT_TYPE && x->u.type && x->u.type->kind == CM_DT_RESOURCE &&
          x->u.type->u.resource == r)
        return true;
    }
  }
  return false;
}

/* Imports resolved once: the root items (host functions, instance export
 * lists) and the objects behind them, store-independent, shared by every
 * instance made from it. */
struct cm_instance_pre {
  cm_ctx *ctx;
  const cm_component *c;
  const char **names;
  cm_ritem *items;
  uint32_t nitems;
  void **allocs;
  uint32_t nallocs;
};

void cm_instance_pre_delete(cm_instance_pre *pre) {
  if (!pre) return;
  for (uint32_t i = 0; i < pre->nallocs; i++) free(pre->allocs[i]);
  free(pre->allocs);
  free(pre->names);
  free(pre->items);
  cm_ctx_unref(pre->ctx);
  free(pre);
}

wasm_status cm_linker_instantiate_pre(cm_linker *l, const cm_component *c,
                                      cm_instance_pre **pre_out, wasm_error *err) {
  if (!l || !c || !c->root || !pre_out)
    return cm_rt_fail(err, WASM_BAD_ARG, "cm_linker_instantiate_pre: bad arguments");
  *pre_out = NULL;
  const cm_component_def *def = c->root;
  uint32_t n = def->nimports;
  const char **names = calloc(n + 1, sizeof *names);
  cm_ritem *items = calloc(n + 1, sizeof *items);
  /* host function objects: at most one per import function, plus those of
   * interface imports */
  uint32_t maxallocs = 1;
  for (uint32_t i = 0; i < n; i++) {
    const cm_def *d = &def->defs[def->imports[i]];
    maxallocs += 2;
    if (d->u.import.t.sort == CM_SORT_INSTANCE && d->u.import.t.u.instance)
      maxallocs += 2 * d->u.import.t.u.instance->nexports;
  }
  void **allocs = calloc(maxallocs, sizeof *allocs);
  uint32_t nallocs = 0, nitems = 0;
  wasm_status st = WASM_OK;
  if (!names || !items || !allocs) { st = cm_rt_fail(err, WASM_NOMEM, "out of memory"); goto out; }
  for (uint32_t i = 0; i < n && !st; i++) {
    const cm_def *d = &def->defs[def->imports[i]];
    const char *nm = d->u.import.name.name;
    const cm_externtype *t = &d->u.import.t;
    cm_ritem it = {0};
    bool found = false;
    for (uint32_t k = l->ninsts; k-- > 0 && !found;)
      if (name_matches(nm, l->insts[k].name)) {
        it.sort = CM_SORT_INSTANCE;
        it.set = true;
        it.u.inst = &l->insts[k].inst->exports;
        found = true;
      }
    if (!found && t->sort == CM_SORT_FUNC) {
      for (uint32_t k = l->nfuncs; k-- > 0 && !found;)
        if (!l->funcs[k].iface && strcmp(l->funcs[k].func, nm) == 0) {
          if ((st = check_host_type(&l->funcs[k], t->u.func, NULL, err))) break;
          it.sort = CM_SORT_FUNC;
          it.set = true;
          it.u.func = host_func(NULL, l, &l->funcs[k], t->u.func, allocs, &nallocs);
          if (!it.u.func) { st = cm_rt_fail(err, WASM_NOMEM, "out of memory"); break; }
          found = true;
        }
    } else if (!found && t->sort == CM_SORT_INSTANCE && t->u.instance) {
      const cm_insttype *itp = t->u.instance;
      cm_iexports *ie = calloc(1, sizeof *ie);
      if (ie) allocs[nallocs++] = ie;
      if (ie) ie->names = calloc(itp->nexports + 1, sizeof *ie->names);
      if (ie && ie->names) allocs[nallocs++] = ie->names;
      if (ie) ie->items = calloc(itp->nexports + 1, sizeof *ie->items);
      if (ie && ie->items) allocs[nallocs++] = ie->items;
      if (!ie || !ie->names || !ie->items) { st = cm_rt_fail(err, WASM_NOMEM, "out of memory"); break; }
      bool any = false;
      for (uint32_t e = 0; e < itp->nexports && !st; e++) {
        const cm_named_extern *ne = &itp->exports[e];
        if (ne->t.sort == CM_SORT_TYPE) {
          /* a resource the interface exports: a host-defined one */
          const cm_deftype *dt = ne->t.u.type;
          if (!dt || dt->kind != CM_DT_RESOURCE) {
            /* a value type (record, enum, ...): aliasable, nothing to bind */
            ie->names[ie->n] = ne->name.name;
            ie->items[ie->n].sort = CM_SORT_TYPE;
            ie->items[ie->n++].set = true;
            continue;
          }
          /* (eq R) of a resource an earlier import binds (wasi:cli/stdout
           * re-exporting wasi:io/streams' output-stream): the same host
           * resource as there */
          /* (eq R) of a resource this same interface exported before
           * (wasi:http/types' `type headers = fields`): bound the same */
          const cm_rtres *same = NULL;
          for (uint32_t e2 = 0; e2 < e && !same; e2++) {
            const cm_externtype *x = &itp->exports[e2].t;
            if (x->sort != CM_SORT_TYPE || !x->u.type || x->u.type->kind != CM_DT_RESOURCE ||
                x->u.type->u.resource != dt->u.resource)
              continue;
            for (uint32_t k = 0; k < ie->n && !same; k++)
              if (ie->names[k] == itp->exports[e2].name.name) same = ie->items[k].u.res;
          }
          if (same) {
            ie->names[ie->n] = ne->name.name;
            ie->items[ie->n].sort = CM_SORT_TYPE;
            ie->items[ie->n].set = true;
            ie->items[ie->n++].u.res = same;
            continue;
          }
          const char *bimp = NULL, *bname = NULL;
          bool earlier = bound_earlier(def, i, dt->u.resource, &bimp, &bname);
          cm_host_resource *hr = earlier ? find_host_res(l, bname ? bimp : NULL,
                                                         bname ? bname : bimp)
                                         : find_host_res(l, nm, ne->name.name);
          if (earlier && !hr) continue; /* bound by a registered instance */
          if (!hr) {
            st = cm_rt_fail(err, WASM_LINK_ERROR,
                            "component imports instance `%s`, but a matching implementation "
                            "was not found in the linker: resource `%s` is missing",
                            nm, ne->name.name);
            break;
          }
          ie->names[ie->n] = ne->name.name;
          ie->items[ie->n].sort = CM_SORT_TYPE;
          ie->items[ie->n].set = true;
          ie->items[ie->n++].u.res = &hr->rt;
          any = true;
          continue;
        }
        if (ne->t.sort != CM_SORT_FUNC) continue;
        const host_def *hd = NULL;
        for (uint32_t k = l->nfuncs; k-- > 0 && !hd;)
          if (l->funcs[k].iface && name_matches(nm, l->funcs[k].iface) &&
              strcmp(l->funcs[k].func, ne->name.name) == 0)
            hd = &l->funcs[k];
        if (!hd) {
          st = cm_rt_fail(err, WASM_LINK_ERROR,
                          "component imports instance `%s`, but a matching implementation "
                          "was not found in the linker: function `%s` is missing",
                          nm, ne->name.name);
          break;
        }
        if ((st = check_host_type(hd, ne->t.u.func, nm, err))) break;
        cm_ritem fi = {.sort = CM_SORT_FUNC, .set = true};
        fi.u.func = host_func(NULL, l, hd, ne->t.u.func, allocs, &nallocs);
        if (!fi.u.func) { st = cm_rt_fail(err, WASM_NOMEM, "out of memory"); break; }
        ie->names[ie->n] = ne->name.name;
        ie->items[ie->n++] = fi;
        any = true;
      }
      if (st) break;
      /* an interface imported only for its value types (wasi:http's use
       * of wasi:clocks/monotonic-clock.{duration}): defined if the
       * linker defines any function of it */
      for (uint32_t k = 0; k < l->nfuncs && !any; k++)
        any = l->funcs[k].iface && name_matches(nm, l->funcs[k].iface);
      /* an import of types only (`use wasi:clocks/monotonic-clock.{duration}`)
       * binds nothing, but the interface must be one the host defines */
      if (any || itp->nexports == 0 || defines_iface(l, nm)) {
        it.sort = CM_SORT_INSTANCE;
        it.set = true;
        it.u.inst = ie;
        found = true;
      }
    }
    if (st) break;
    if (!found && t->sort == CM_SORT_TYPE && t->u.type && t->u.type->kind == CM_DT_RESOURCE) {
      cm_host_resource *hr = find_host_res(l, NULL, nm);
      if (hr) {
        it.sort = CM_SORT_TYPE;
        it.set = true;
        it.u.res = &hr->rt;
        found = true;
      }
    }
    if (!found && t->sort == CM_SORT_TYPE && !(t->u.type && t->u.type->kind == CM_DT_RESOURCE)) {
      /* a value type (record, enum, ...) imported at the root with an eq
       * bound: the bound determines it, there is nothing to bind */
      it.sort = CM_SORT_TYPE;
      it.set = true;
      found = true;
    }
    if (!found) {
      if (t->sort == CM_SORT_TYPE) continue;
      st = cm_rt_fail(err, WASM_LINK_ERROR,
                      "component imports %s `%s`, but a matching implementation was not "
                      "found in the linker",
                      t->sort == CM_SORT_INSTANCE ? "instance" : cm_sort_name(t->sort), nm);
      break;
    }
    names[nitems] = nm;
    items[nitems++] = it;
  }
  if (!st) {
    cm_instance_pre *pre = calloc(1, sizeof *pre);
    if (!pre) {
      st = cm_rt_fail(err, WASM_NOMEM, "out of memory");
      goto out;
    }
    *pre = (cm_instance_pre){.ctx = l->ctx, .c = c, .names = names, .items = items,
                             .nitems = nitems, .allocs = allocs, .nallocs = nallocs};
    cm_ctx_ref(l->ctx);
    *pre_out = pre;
    return WASM_OK;
  }
out:
  for (uint32_t i = 0; i < nallocs; i++) free(allocs[i]);
  free(allocs);
  free(names);
  free(items);
  return st;
}

wasm_status cm_instance_pre_instantiate(cm_instance_pre *pre, wasm_store *s, cm_instance **out,
                                        wasm_error *err) {
  if (!pre || !s || !out)
    return cm_rt_fail(err, WASM_BAD_ARG, "cm_instance_pre_instantiate: bad arguments");
  return cm_instantiate(s, pre->ctx, pre->c, pre->names, pre->items, pre->nitems, out, err);
}

static void pre_dtor(void *pre) { cm_instance_pre_delete(pre); }

wasm_status cm_linker_instantiate(cm_linker *l, wasm_store *s, const cm_component *c,
                                  cm_instance **out, wasm_error *err) {
  if (!l || !s || !c || !c->root || !out)
    return cm_rt_fail(err, WASM_BAD_ARG, "cm_linker_instantiate: bad arguments");
  cm_instance_pre *pre = NULL;
  wasm_status st = cm_linker_instantiate_pre(l, c, &pre, err);
  if (!st) st = cm_instance_pre_instantiate(pre, s, out, err);
  if (st) {
    cm_instance_pre_delete(pre);
    return st;
  }
  /* the instance keeps the resolved imports (its host function objects) */
  if (!cm_pool_own((*out)->root, pre, pre_dtor)) {
    cm_instance_delete(*out);
    cm_instance_pre_delete(pre);
    return cm_rt_fail(err, WASM_NOMEM, "out of memory");
  }
  return WASM_OK;
}
