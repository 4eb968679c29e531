/* host_link.c: forwarding an item's imports to the components of the
 * workload that export them (host_link.h). What a call does is the
 * caller's host function; this file checks the types and defines one
 * function per linked import function, and for composition proxies the
 * resources the linked interfaces declare (host_link_define_proxied). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/host_internal.h"
#include "host/host_link.h"

static long import_index(const cm_component *c, const char *name) {
  for (uint32_t i = 0; i < cm_component_import_count(c); i++)
    if (strcmp(cm_component_import_name(c, i), name) == 0) return (long)i;
  return -1;
}

static wasm_status fwd_add(host_fwds *fw, const host_link *lk, const char *component,
                           const char *fname, void *ctx, unsigned slot, host_fwd **out,
                           wasm_error *err) {
  host_fwd **nv = realloc(fw->v, (fw->n + 1) * sizeof *nv);
  if (!nv) return host_fail(err, WASM_NOMEM, "out of memory");
  fw->v = nv;
  host_fwd *f = calloc(1, sizeof *f);
  size_t len = strlen(lk->export_name) + strlen(fname) + 2;
  char *func = malloc(len);
  if (!f || !func) {
    free(f);
    free(func);
    return host_fail(err, WASM_NOMEM, "out of memory");
  }
  snprintf(func, len, "%s#%s", lk->export_name, fname);
  *f = (host_fwd){.exporter = lk->exporter, .component = component, .func = func, .ctx = ctx,
                  .slot = slot};
  fw->v[fw->n++] = f;
  *out = f;
  return WASM_OK;
}

/* ---- proxies ---- */

/* One proxy: the exporter's own handle (in the exporter linker's
 * context) that the importer's proxy handle with rep = index + 1
 * stands for. */
typedef struct px_entry {
  size_t exporter;
  const char *component;
  cm_linker *el;
  cm_val h;
  bool live;
} px_entry;

struct host_pxslot {
  px_entry *v;
  size_t n, cap;
};

/* The env of a host resource R on one importer linker and slot. */
typedef struct host_pxres {
  host_fwds *fw;
  unsigned slot;
  cm_linker *l;
  cm_host_resource *r;
} host_pxres;

/* The env of a proxied function. */
typedef struct host_pxfn {
  host_fwd *f;
  cm_host_fn fn;
  host_link_linker_fn lfn;
  const cm_component *importer;
  uint32_t import;
  const cm_functype *ft;
  host_pxres **res; /* the import's resources, by index (not owned) */
  cm_linker *l;
  host_fwds *fw;
} host_pxfn;

static void px_log(const char *component, const char *msg) {
  /* a destructor has no caller to answer: the failure goes to the log */
  fprintf(stderr, "stratus: dropping a resource of component `%s`: %s\n", component, msg);
}

static void px_dtor(void *env, uint32_t rep) {
  host_pxres *pr = env;
  host_pxslot *ps = &pr->fw->slots[pr->slot];
  if (rep == 0 || rep > ps->n || !ps->v[rep - 1].live) return; /* moved or retired */
  px_entry *e = &ps->v[rep - 1];
  e->live = false;
  wasm_error err = {0};
  if (cm_linker_resource_drop(e->el, &e->h, &err)) px_log(e->component, err.message);
}

void host_link_end(host_fwds *fw, unsigned slot) {
  if (slot >= fw->nslots) return;
  host_pxslot *ps = &fw->slots[slot];
  for (size_t i = 0; i < ps->n; i++) {
    px_entry *e = &ps->v[i];
    if (!e->live) continue;
    e->live = false;
    wasm_error err = {0};
    if (cm_linker_resource_drop(e->el, &e->h, &err)) px_log(e->component, err.message);
  }
  ps->n = 0;
}

/* The exporter's instance is gone (its call failed): its handles mean
 * nothing now. */
static void px_retire(host_fwds *fw, unsigned slot, size_t exporter) {
  host_pxslot *ps = &fw->slots[slot];
  for (size_t i = 0; i < ps->n; i++)
    if (ps->v[i].exporter == exporter) ps->v[i].live = false;
}

typedef struct px_call {
  host_pxfn *pf;
  bool to_exporter; /* arguments; else the result */
} px_call;

static wasm_status px_handle(px_call *pc, const cm_type *t, const cm_val *v, cm_val *out,
                             wasm_error *err) {
  host_pxfn *pf = pc->pf;
  int32_t k = cm_component_import_handle_resource(pf->importer, pf->import, t);
  if (k < 0) return host_fail(err, WASM_TRAP, "a handle of a resource that cannot cross");
  host_pxres *pr = pf->res[k];
  host_pxslot *ps = &pf->fw->slots[pf->f->slot];
  if (pc->to_exporter) {
    uint32_t rep = 0;
    wasm_status st = cm_linker_resource_rep(pf->l, pr->r, v, &rep, err);
    if (st) return st;
    if (rep == 0 || rep > ps->n || !ps->v[rep - 1].live || ps->v[rep - 1].exporter != pf->f->exporter)
      return host_fail(err, WASM_TRAP, "a resource of component `%s` that no longer exists",
                       pf->f->component);
    px_entry *e = &ps->v[rep - 1];
    out->kind = t->kind;
    out->of.handle = e->h.of.handle;
    if (t->kind == CM_OWN) { /* moved: retire the proxy (its destructor then does nothing) */
      e->live = false;
      return cm_linker_resource_drop(pf->l, v, err);
    }
    return WASM_OK;
  }
  if (t->kind != CM_OWN || v->kind != CM_OWN)
    return host_fail(err, WASM_TRAP, "expected an own handle in a result");
  cm_linker *el = pf->lfn(pf->f->ctx, pf->f->exporter, pf->f->slot);
  if (!el) return host_fail(err, WASM_TRAP, "component `%s` has no linker", pf->f->component);
  if (ps->n == ps->cap) {
    size_t cap = ps->cap ? ps->cap * 2 : 8;
    px_entry *nv = realloc(ps->v, cap * sizeof *nv);
    if (!nv) return host_fail(err, WASM_NOMEM, "out of memory");
    ps->v = nv;
    ps->cap = cap;
  }
  ps->v[ps->n] = (px_entry){.exporter = pf->f->exporter, .component = pf->f->component, .el = el,
                            .h = *v, .live = true};
  wasm_status st = cm_linker_resource_new(pf->l, pr->r, (uint32_t)(ps->n + 1), out, err);
  if (st) return st;
  ps->n++;
  return WASM_OK;
}

/* A copy of v (of type t) with its handles translated (px_handle);
 * *out frees with cm_val_free whatever happens. */
static wasm_status px_conv(px_call *pc, const cm_type *t, const cm_val *v, cm_val *out,
                           unsigned depth, wasm_error *err) {
  memset(out, 0, sizeof *out);
  if (depth > 100) return host_fail(err, WASM_TRAP, "a value nested too deep");
  out->kind = v->kind;
  switch (v->kind) {
  case CM_OWN: case CM_BORROW:
    out->kind = CM_BOOL; /* nothing to free until translated */
    return px_handle(pc, t, v, out, err);
  case CM_STRING:
    out->of.str.ptr = malloc(v->of.str.len + 1);
    if (!out->of.str.ptr) return host_fail(err, WASM_NOMEM, "out of memory");
    memcpy(out->of.str.ptr, v->of.str.ptr, v->of.str.len);
    out->of.str.ptr[v->of.str.len] = 0;
    out->of.str.len = v->of.str.len;
    return WASM_OK;
  case CM_LIST: case CM_RECORD: case CM_TUPLE: {
    size_t n = v->of.list.n;
    out->of.list.elems = calloc(n ? n : 1, sizeof(cm_val));
    if (!out->of.list.elems) return host_fail(err, WASM_NOMEM, "out of memory");
    out->of.list.n = n; /* zeroed elements free cleanly */
    for (size_t i = 0; i < n; i++) {
      const cm_type *et = NULL;
      if (t && t->kind == CM_LIST) et = t->as.list.elem;
      else if (t && t->kind == CM_RECORD && i < t->as.record.n) et = t->as.record.fields[i].type;
      else if (t && t->kind == CM_TUPLE && i < t->as.tuple.n) et = t->as.tuple.types[i];
      wasm_status st = px_conv(pc, et, &v->of.list.elems[i], &out->of.list.elems[i], depth + 1, err);
      if (st) return st;
    }
    return WASM_OK;
  }
  case CM_VARIANT: case CM_ENUM: case CM_OPTION: case CM_RESULT: {
    uint32_t d = v->of.variant.disc;
    out->of.variant.disc = d;
    if (!v->of.variant.payload) return WASM_OK;
    const cm_type *pt = NULL;
    if (t && t->kind == CM_VARIANT && d < t->as.record.n) pt = t->as.record.fields[d].type;
    else if (t && t->kind == CM_OPTION) pt = t->as.option.t;
    else if (t && t->kind == CM_RESULT) pt = d == 0 ? t->as.result.ok : t->as.result.err;
    cm_val *p = calloc(1, sizeof *p);
    if (!p) return host_fail(err, WASM_NOMEM, "out of memory");
    out->of.variant.payload = p;
    return px_conv(pc, pt, v->of.variant.payload, p, depth + 1, err);
  }
  case CM_FLAGS: {
    size_t nw = (v->of.flags.nlabels + 31) / 32;
    out->of.flags.nlabels = v->of.flags.nlabels;
    if (!nw || !v->of.flags.words) return WASM_OK;
    out->of.flags.words = malloc(nw * sizeof(uint32_t));
    if (!out->of.flags.words) return host_fail(err, WASM_NOMEM, "out of memory");
    memcpy(out->of.flags.words, v->of.flags.words, nw * sizeof(uint32_t));
    return WASM_OK;
  }
  default:
    *out = *v; /* a scalar */
    return WASM_OK;
  }
}

/* A proxied function: the arguments' proxies become the exporter's
 * handles, the call goes through the definer's function, the result's
 * handles become proxies. */
static wasm_status px_forward(void *env, cm_instance *caller, const cm_val *args, size_t nargs,
                              cm_val *result, wasm_error *err) {
  host_pxfn *pf = env;
  px_call pc = {.pf = pf, .to_exporter = true};
  cm_val *targs = calloc(nargs ? nargs : 1, sizeof *targs);
  if (!targs) return host_fail(err, WASM_NOMEM, "out of memory");
  wasm_status st = WASM_OK;
  for (size_t i = 0; i < nargs && !st; i++)
    st = px_conv(&pc, i < pf->ft->nparams ? pf->ft->params[i].type : NULL, &args[i], &targs[i], 0,
                 err);
  cm_val eres;
  memset(&eres, 0, sizeof eres);
  if (!st) {
    st = pf->fn(pf->f, caller, targs, nargs, &eres, err);
    if (st) px_retire(pf->fw, pf->f->slot, pf->f->exporter); /* fn dropped the instance */
  }
  for (size_t i = 0; i < nargs; i++) cm_val_free(&targs[i]);
  free(targs);
  if (st) return st;
  if (pf->ft->result) {
    pc.to_exporter = false;
    st = px_conv(&pc, pf->ft->result, &eres, result, 0, err);
    if (st) { /* the proxies made so far drop their handles at the request's end */
      cm_val_free(result);
      memset(result, 0, sizeof *result);
    }
  }
  cm_val_free(&eres);
  return st;
}

/* Whether a value of type t carries a handle that cannot cross: of a
 * resource import i does not declare, or a stream or future. */
static bool foreign_handles(const cm_component *c, uint32_t i, const cm_type *t, unsigned depth) {
  if (!t || depth > 100) return false;
  switch (t->kind) {
  case CM_OWN: case CM_BORROW: return cm_component_import_handle_resource(c, i, t) < 0;
  case CM_LIST: return foreign_handles(c, i, t->as.list.elem, depth + 1);
  case CM_RECORD: case CM_VARIANT:
    for (uint32_t k = 0; k < t->as.record.n; k++)
      if (foreign_handles(c, i, t->as.record.fields[k].type, depth + 1)) return true;
    return false;
  case CM_TUPLE:
    for (uint32_t k = 0; k < t->as.tuple.n; k++)
      if (foreign_handles(c, i, t->as.tuple.types[k], depth + 1)) return true;
    return false;
  case CM_OPTION: return foreign_handles(c, i, t->as.option.t, depth + 1);
  case CM_RESULT:
    return foreign_handles(c, i, t->as.result.ok, depth + 1) ||
           foreign_handles(c, i, t->as.result.err, depth + 1);
  case CM_STREAM: case CM_FUTURE: return true;
  default: return false;
  }
}

static bool foreign_functype(const cm_component *c, uint32_t i, const cm_functype *f) {
  for (uint32_t k = 0; k < f->nparams; k++)
    if (foreign_handles(c, i, f->params[k].type, 0)) return true;
  return foreign_handles(c, i, f->result, 0);
}

/* fw keeps x (freed with it); x is freed at once if that fails. */
static wasm_status own(host_fwds *fw, void *x, wasm_error *err) {
  void **nv = realloc(fw->owned, (fw->nowned + 1) * sizeof *nv);
  if (!nv) {
    free(x);
    return host_fail(err, WASM_NOMEM, "out of memory");
  }
  fw->owned = nv;
  nv[fw->nowned++] = x;
  return WASM_OK;
}

/* Defines import i's own resources on l for slot; res[k] the k-th. */
static wasm_status px_define_res(host_fwds *fw, cm_linker *l, const cm_component *importer,
                                 uint32_t i, const char *iface, unsigned slot, host_pxres **res,
                                 wasm_error *err) {
  if (slot >= fw->nslots) { /* at start, before any request: no proxy table moves under one */
    host_pxslot *ns = realloc(fw->slots, (slot + 1) * sizeof *ns);
    if (!ns) return host_fail(err, WASM_NOMEM, "out of memory");
    memset(ns + fw->nslots, 0, (slot + 1 - fw->nslots) * sizeof *ns);
    fw->slots = ns;
    fw->nslots = slot + 1;
  }
  uint32_t n = cm_component_import_nresources(importer, i);
  for (uint32_t k = 0; k < n; k++) {
    host_pxres *pr = calloc(1, sizeof *pr);
    if (!pr) return host_fail(err, WASM_NOMEM, "out of memory");
    *pr = (host_pxres){.fw = fw, .slot = slot, .l = l};
    wasm_status st = own(fw, pr, err);
    if (!st)
      st = cm_linker_define_resource(l, iface, cm_component_import_resource_name(importer, i, k),
                                     px_dtor, pr, &pr->r, err);
    if (st) return st;
    res[k] = pr;
  }
  return WASM_OK;
}

static wasm_status link_define(host_fwds *fw, cm_linker *l, const cm_component *importer,
                               const host_item_plan *ip, const char *const *names,
                               const char *who, cm_host_fn fn, void *ctx, unsigned slot,
                               host_link_linker_fn lfn, wasm_error *err) {
  for (size_t k = 0; k < ip->nlinks; k++) {
    const host_link *lk = &ip->links[k];
    long i = import_index(importer, lk->import_name);
    if (i < 0) continue;
    uint32_t n = cm_component_import_nfuncs(importer, (uint32_t)i);
    /* each side has its own handle tables: a handle would mean nothing in
     * the other instance; proxies stand for the interface's own resources,
     * a resource it uses from another interface has no proxy */
    for (uint32_t j = 0; j < n; j++) {
      const cm_functype *ft = cm_component_import_func_at(importer, (uint32_t)i, j);
      if (lfn ? foreign_functype(importer, (uint32_t)i, ft) : cm_functype_has_handles(ft))
        return host_fail(err, WASM_BAD_ARG,
                         "%s imports %s from component `%s`: function `%s` passes a resource%s",
                         who, lk->import_name, names[lk->exporter],
                         cm_component_import_func_name(importer, (uint32_t)i, j),
                         lfn ? " of another interface, which cannot cross between components "
                               "of a workload"
                             : ", and resources cannot cross between components of a workload "
                               "yet");
    }
    host_pxres **res = NULL;
    uint32_t nres = lfn ? cm_component_import_nresources(importer, (uint32_t)i) : 0;
    if (nres) {
      res = calloc(nres, sizeof *res);
      wasm_status st = res ? own(fw, res, err)
                           : host_fail(err, WASM_NOMEM, "out of memory");
      if (!st) st = px_define_res(fw, l, importer, (uint32_t)i, lk->import_name, slot, res, err);
      if (st) return st;
    }
    for (uint32_t j = 0; j < n; j++) {
      const char *fname = cm_component_import_func_name(importer, (uint32_t)i, j);
      const cm_functype *ft = cm_component_import_func_at(importer, (uint32_t)i, j);
      host_fwd *f = NULL;
      wasm_status st = fwd_add(fw, lk, names[lk->exporter], fname, ctx, slot, &f, err);
      if (st) return st;
      if (lfn && cm_functype_has_handles(ft)) {
        host_pxfn *pf = calloc(1, sizeof *pf);
        if (!pf) return host_fail(err, WASM_NOMEM, "out of memory");
        *pf = (host_pxfn){.f = f, .fn = fn, .lfn = lfn, .importer = importer,
                          .import = (uint32_t)i, .ft = ft, .res = res, .l = l, .fw = fw};
        st = own(fw, pf, err);
        if (!st) st = cm_linker_define_func(l, lk->import_name, fname, "", px_forward, pf, err);
      } else {
        st = cm_linker_define_func(l, lk->import_name, fname, "", fn, f, err);
      }
      if (st) return st;
    }
  }
  return WASM_OK;
}

wasm_status host_link_define(host_fwds *fw, cm_linker *l, const cm_component *importer,
                             const host_item_plan *ip, const char *const *names,
                             const char *who, cm_host_fn fn, void *ctx, unsigned slot,
                             wasm_error *err) {
  return link_define(fw, l, importer, ip, names, who, fn, ctx, slot, NULL, err);
}

wasm_status host_link_define_proxied(host_fwds *fw, cm_linker *l, const cm_component *importer,
                                     const host_item_plan *ip, const char *const *names,
                                     const char *who, cm_host_fn fn, void *ctx, unsigned slot,
                                     host_link_linker_fn exporter_linker, wasm_error *err) {
  if (!exporter_linker) return host_fail(err, WASM_BAD_ARG, "host_link_define_proxied: no linker");
  return link_define(fw, l, importer, ip, names, who, fn, ctx, slot, exporter_linker, err);
}

void host_fwds_free(host_fwds *fw) {
  for (size_t i = 0; i < fw->n; i++) {
    free(fw->v[i]->func);
    free(fw->v[i]);
  }
  free(fw->v);
  fw->v = NULL;
  fw->n = 0;
  for (size_t i = 0; i < fw->nowned; i++) free(fw->owned[i]);
  free(fw->owned);
  fw->owned = NULL;
  fw->nowned = 0;
  for (size_t i = 0; i < fw->nslots; i++) free(fw->slots[i].v);
  free(fw->slots);
  fw->slots = NULL;
  fw->nslots = 0;
}
