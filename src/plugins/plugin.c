/* plugin.c: what the plugin contract and the built-in plugins share:
 * string maps, interface-set matching, the linker -> WASI context table,
 * errors and value builders, a string hash map and the table of host
 * objects behind resource handles. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugins/pl_internal.h"

/* ---- the public helpers ---- */

const char *plugin_map_get(const plugin_map *m, const char *key) {
  if (!m || !key) return NULL;
  const char *v = NULL;
  for (size_t i = 0; i < m->n; i++) /* the last one written wins */
    if (m->keys[i] && strcmp(m->keys[i], key) == 0) v = m->values[i] ? m->values[i] : "";
  return v;
}

void plugin_free(plugin *p) {
  if (p && p->destroy) p->destroy(p);
}

/* An interface name split: "ns:pkg/iface@ver" (iface, ver optional). */
typedef struct pl_iname {
  const char *ns, *pkg, *ifc, *ver;
  size_t nns, npkg, nifc, nver;
} pl_iname;

static bool same(const char *a, size_t na, const char *b, size_t nb) {
  return na == nb && memcmp(a, b, na) == 0;
}

/* Splits the package part "ns:pkg" of s[0..n) and what follows. */
static bool split_pkg(const char *s, size_t n, pl_iname *o, const char **rest, size_t *nrest) {
  const char *colon = memchr(s, ':', n);
  if (!colon || colon == s) return false;
  o->ns = s;
  o->nns = (size_t)(colon - s);
  o->pkg = colon + 1;
  size_t i = o->nns + 1;
  while (i < n && s[i] != '/' && s[i] != '@') i++;
  o->npkg = (size_t)(s + i - o->pkg);
  if (!o->npkg) return false;
  *rest = s + i;
  *nrest = n - i;
  return true;
}

bool plugin_set_has(const char *set, const char *iface) {
  if (!set || !iface) return false;
  pl_iname q = {0};
  const char *rest;
  size_t nrest;
  if (!split_pkg(iface, strlen(iface), &q, &rest, &nrest)) return false;
  if (nrest && *rest == '/') {
    q.ifc = rest + 1;
    const char *at = memchr(q.ifc, '@', nrest - 1);
    q.nifc = at ? (size_t)(at - q.ifc) : nrest - 1;
    if (at) q.ver = at + 1, q.nver = nrest - 1 - q.nifc - 1;
  } else if (nrest && *rest == '@') {
    q.ver = rest + 1, q.nver = nrest - 1;
  }
  const char *p = set;
  while (*p) {
    while (*p == ' ' || *p == '\t' || *p == '\n') p++;
    if (!*p) break;
    const char *e = p;
    while (*e && *e != ' ' && *e != '\t' && *e != '\n') e++;
    pl_iname s = {0};
    const char *r;
    size_t nr;
    if (split_pkg(p, (size_t)(e - p), &s, &r, &nr) && same(s.ns, s.nns, q.ns, q.nns) &&
        same(s.pkg, s.npkg, q.pkg, q.npkg)) {
      /* "/a,b,c" then "@ver", both optional */
      const char *names = NULL, *at = memchr(r, '@', nr);
      size_t nnames = 0;
      if (nr && *r == '/') names = r + 1, nnames = (size_t)((at ? at : r + nr) - names);
      const char *ver = at ? at + 1 : NULL;
      size_t nver = at ? (size_t)(r + nr - ver) : 0;
      bool ver_ok = !ver || !q.ver || same(ver, nver, q.ver, q.nver);
      bool name_ok = !names || !q.ifc; /* a whole package, or a package query */
      for (size_t i = 0; names && q.ifc && i < nnames && !name_ok;) {
        size_t j = i;
        while (j < nnames && names[j] != ',') j++;
        if (same(names + i, j - i, q.ifc, q.nifc)) name_ok = true;
        i = j + 1;
      }
      if (ver_ok && name_ok) return true;
    }
    p = e;
  }
  return false;
}

/* ---- linker -> WASI context ---- */

typedef struct pl_wasi_ent {
  cm_linker *l;
  wasi2_ctx *w;
} pl_wasi_ent;

static pthread_mutex_t wasi_mu = PTHREAD_MUTEX_INITIALIZER;
static pl_wasi_ent *wasi_ents;
static size_t wasi_n, wasi_cap;

wasm_status plugin_linker_set_wasi2(cm_linker *l, wasi2_ctx *w, wasm_error *err) {
  if (!l || !w) return pl_fail(err, WASM_BAD_ARG, "plugin_linker_set_wasi2: bad arguments");
  pthread_mutex_lock(&wasi_mu);
  for (size_t i = 0; i < wasi_n; i++)
    if (wasi_ents[i].l == l) {
      wasi_ents[i].w = w;
      pthread_mutex_unlock(&wasi_mu);
      return WASM_OK;
    }
  if (wasi_n == wasi_cap) {
    size_t c = wasi_cap ? wasi_cap * 2 : 16;
    pl_wasi_ent *v = realloc(wasi_ents, c * sizeof *v);
    if (!v) {
      pthread_mutex_unlock(&wasi_mu);
      return pl_fail(err, WASM_NOMEM, "out of memory");
    }
    wasi_ents = v;
    wasi_cap = c;
  }
  wasi_ents[wasi_n++] = (pl_wasi_ent){l, w};
  pthread_mutex_unlock(&wasi_mu);
  return WASM_OK;
}

wasi2_ctx *plugin_linker_wasi2(cm_linker *l) {
  wasi2_ctx *w = NULL;
  pthread_mutex_lock(&wasi_mu);
  for (size_t i = 0; i < wasi_n; i++)
    if (wasi_ents[i].l == l) w = wasi_ents[i].w;
  pthread_mutex_unlock(&wasi_mu);
  return w;
}

void plugin_linker_forget(cm_linker *l) {
  pthread_mutex_lock(&wasi_mu);
  for (size_t i = 0; i < wasi_n; i++)
    if (wasi_ents[i].l == l) {
      wasi_ents[i] = wasi_ents[--wasi_n];
      break;
    }
  if (wasi_n == 0) { /* nothing left: no memory held at exit */
    free(wasi_ents);
    wasi_ents = NULL;
    wasi_cap = 0;
  }
  pthread_mutex_unlock(&wasi_mu);
}

/* ---- errors ---- */

wasm_status pl_nomem(wasm_error *err) { return pl_trap(err, "plugin: out of memory"); }

/* ---- values ---- */

cm_val pl_u64(uint64_t v) {
  cm_val x;
  memset(&x, 0, sizeof x);
  x.kind = CM_U64;
  x.of.u = v;
  return x;
}

cm_val pl_bool(bool v) {
  cm_val x;
  memset(&x, 0, sizeof x);
  x.kind = CM_BOOL;
  x.of.b = v;
  return x;
}

cm_val pl_handle_val(uint32_t h) {
  cm_val x;
  memset(&x, 0, sizeof x);
  x.kind = CM_OWN;
  x.of.handle = h;
  return x;
}

bool pl_cstr(cm_val *out, const char *s) { return cm_val_string(out, s, strlen(s)); }

wasm_status pl_ok(cm_val *res, const cm_val *payload, wasm_error *err) {
  return cm_val_case(res, CM_RESULT, 0, payload) ? WASM_OK : pl_nomem(err);
}

wasm_status pl_err(cm_val *res, const cm_val *payload, wasm_error *err) {
  return cm_val_case(res, CM_RESULT, 1, payload) ? WASM_OK : pl_nomem(err);
}

wasm_status pl_err_str(cm_val *res, wasm_error *err, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  cm_val s;
  if (!pl_cstr(&s, msg)) return pl_nomem(err);
  return pl_err(res, &s, err);
}

char *pl_arg_str(const cm_val *v, bool limit, const char **why) {
  *why = "out of memory";
  if (v->kind != CM_STRING) {
    *why = "not a string";
    return NULL;
  }
  size_t n = v->of.str.len;
  if (memchr(v->of.str.ptr, 0, n)) {
    *why = "name contains a NUL byte";
    return NULL;
  }
  if (limit && n > PL_MAX_NAME) {
    *why = "name too long";
    return NULL;
  }
  char *s = malloc(n + 1);
  if (!s) return NULL;
  memcpy(s, v->of.str.ptr, n);
  s[n] = 0;
  return s;
}

uint8_t *pl_arg_bytes(const cm_val *v, size_t *n) {
  size_t len = v->kind == CM_LIST ? v->of.list.n : 0;
  uint8_t *p = malloc(len ? len : 1);
  *n = 0;
  if (!p) return NULL;
  for (size_t i = 0; i < len; i++) p[i] = (uint8_t)v->of.list.elems[i].of.u;
  *n = len;
  return p;
}

/* ---- string lists ---- */

void pl_strs_free(char **v, size_t n) {
  for (size_t i = 0; v && i < n; i++) free(v[i]);
  free(v);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

void pl_strs_sort(char **v, size_t n) {
  if (n > 1) qsort(v, n, sizeof *v, cmp_str);
}

/* ---- hash map ---- */

static size_t hash(const char *s) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
  return (size_t)h;
}

void *pl_hmap_get(const pl_hmap *m, const char *key) {
  if (!m->nb) return NULL;
  for (pl_hent *e = m->b[hash(key) % m->nb]; e; e = e->next)
    if (strcmp(e->key, key) == 0) return e->val;
  return NULL;
}

static bool grow(pl_hmap *m) {
  size_t nb = m->nb ? m->nb * 2 : 16;
  pl_hent **b = calloc(nb, sizeof *b);
  if (!b) return false;
  for (size_t i = 0; i < m->nb; i++)
    for (pl_hent *e = m->b[i], *next; e; e = next) {
      next = e->next;
      size_t k = hash(e->key) % nb;
      e->next = b[k];
      b[k] = e;
    }
  free(m->b);
  m->b = b;
  m->nb = nb;
  return true;
}

bool pl_hmap_put(pl_hmap *m, const char *key, void *val, void **old) {
  *old = NULL;
  if (m->nb) {
    for (pl_hent *e = m->b[hash(key) % m->nb]; e; e = e->next)
      if (strcmp(e->key, key) == 0) {
        *old = e->val;
        e->val = val;
        return true;
      }
  }
  if (m->n + 1 > m->nb * 2 && !grow(m)) return false;
  pl_hent *e = malloc(sizeof *e);
  char *k = strdup(key);
  if (!e || !k) {
    free(e);
    free(k);
    return false;
  }
  size_t i = hash(key) % m->nb;
  *e = (pl_hent){k, val, m->b[i]};
  m->b[i] = e;
  m->n++;
  return true;
}

void *pl_hmap_del(pl_hmap *m, const char *key) {
  if (!m->nb) return NULL;
  for (pl_hent **pp = &m->b[hash(key) % m->nb]; *pp; pp = &(*pp)->next)
    if (strcmp((*pp)->key, key) == 0) {
      pl_hent *e = *pp;
      void *v = e->val;
      *pp = e->next;
      free(e->key);
      free(e);
      m->n--;
      return v;
    }
  return NULL;
}

void pl_hmap_clear(pl_hmap *m, void (*free_val)(void *)) {
  for (size_t i = 0; i < m->nb; i++)
    for (pl_hent *e = m->b[i], *next; e; e = next) {
      next = e->next;
      if (free_val) free_val(e->val);
      free(e->key);
      free(e);
    }
  free(m->b);
  memset(m, 0, sizeof *m);
}

bool pl_hmap_keys(const pl_hmap *m, char ***keys, size_t *n) {
  *keys = NULL;
  *n = 0;
  char **v = calloc(m->n ? m->n : 1, sizeof *v);
  if (!v) return false;
  size_t k = 0;
  for (size_t i = 0; i < m->nb; i++)
    for (pl_hent *e = m->b[i]; e; e = e->next) {
      if (!(v[k] = strdup(e->key))) {
        pl_strs_free(v, k);
        return false;
      }
      k++;
    }
  pl_strs_sort(v, k);
  *keys = v;
  *n = k;
  return true;
}

/* ---- object table ---- */

void pl_table_init(pl_table *t, void (*free_obj)(uint8_t kind, void *p)) {
  memset(t, 0, sizeof *t);
  pthread_mutex_init(&t->mu, NULL);
  cm_reptab_init(&t->slots, sizeof(pl_slot), PL_MAX_OBJS);
  t->free_obj = free_obj;
}

void pl_table_destroy(pl_table *t) {
  for (uint32_t r = cm_reptab_next(&t->slots, 0); r; r = cm_reptab_next(&t->slots, r)) {
    const pl_slot *s = cm_reptab_at(&t->slots, r);
    if (t->free_obj) t->free_obj(s->kind, s->p);
  }
  cm_reptab_destroy(&t->slots);
  pthread_mutex_destroy(&t->mu);
  memset(t, 0, sizeof *t);
}

uint32_t pl_table_put(pl_table *t, uint8_t kind, void *owner, void *p) {
  uint32_t rep = 0;
  pthread_mutex_lock(&t->mu);
  pl_slot *s = cm_reptab_alloc(&t->slots, &rep);
  if (s) *s = (pl_slot){kind, owner, p};
  pthread_mutex_unlock(&t->mu);
  return s ? rep : 0;
}

/* The live slot at rep of kind, or NULL (with t->mu held). */
static pl_slot *slot_of(pl_table *t, uint32_t rep, uint8_t kind) {
  pl_slot *s = cm_reptab_at(&t->slots, rep);
  return s && s->kind == kind ? s : NULL;
}

void *pl_table_get(pl_table *t, uint32_t rep, uint8_t kind) {
  pthread_mutex_lock(&t->mu);
  pl_slot *s = slot_of(t, rep, kind);
  void *p = s ? s->p : NULL;
  pthread_mutex_unlock(&t->mu);
  return p;
}

void *pl_table_take(pl_table *t, uint32_t rep, uint8_t kind) {
  pthread_mutex_lock(&t->mu);
  pl_slot *s = slot_of(t, rep, kind);
  void *p = s ? s->p : NULL;
  if (s) cm_reptab_release(&t->slots, rep);
  pthread_mutex_unlock(&t->mu);
  return p;
}

void pl_table_drain(pl_table *t, void *owner) {
  pthread_mutex_lock(&t->mu);
  for (uint32_t r = cm_reptab_next(&t->slots, 0); r; r = cm_reptab_next(&t->slots, r)) {
    const pl_slot *s = cm_reptab_at(&t->slots, r);
    if (s->owner != owner) continue;
    if (t->free_obj) t->free_obj(s->kind, s->p);
    cm_reptab_release(&t->slots, r);
  }
  pthread_mutex_unlock(&t->mu);
}

void *pl_handle_obj(pl_table *t, cm_linker *l, cm_host_resource *r, uint8_t kind,
                    const cm_val *h, uint32_t *rep, wasm_error *err) {
  uint32_t k = 0;
  if (!r) {
    pl_trap(err, "plugin: resource type not linked");
    return NULL;
  }
  if (cm_linker_resource_rep(l, r, h, &k, err)) return NULL;
  void *p = pl_table_get(t, k, kind);
  if (!p) {
    pl_trap(err, "plugin: unknown resource handle");
    return NULL;
  }
  if (rep) *rep = k;
  return p;
}

wasm_status pl_handle_new(pl_table *t, cm_linker *l, cm_host_resource *r, uint8_t kind,
                          void *owner, void *p, cm_val *out, wasm_error *err) {
  uint32_t rep = r ? pl_table_put(t, kind, owner, p) : 0;
  if (!rep) {
    if (t->free_obj) t->free_obj(kind, p);
    return r ? pl_trap(err, "plugin: too many resources") : pl_trap(err, "plugin: resource type not linked");
  }
  wasm_status st = cm_linker_resource_new(l, r, rep, out, err);
  if (st) {
    void *q = pl_table_take(t, rep, kind);
    if (q && t->free_obj) t->free_obj(kind, q);
  }
  return st;
}

/* ---- workloads and grants ---- */

char *pl_scope(const plugin_workload *w) {
  const char *ns = w && w->namespace_ && *w->namespace_ ? w->namespace_ : "default";
  const char *name = w && w->name && *w->name ? w->name : (w && w->id ? w->id : "workload");
  size_t n = strlen(ns) + strlen(name) + 2;
  char *s = malloc(n);
  if (s) snprintf(s, n, "%s/%s", ns, name);
  return s;
}

wasm_status pl_item_init(pl_item *b, const plugin_item *item, wasm_error *err) {
  b->scope = pl_scope(item->workload);
  if (!b->scope) return pl_fail(err, WASM_NOMEM, "out of memory");
  b->links = NULL;
  pthread_mutex_init(&b->mu, NULL);
  return WASM_OK;
}

void *pl_item_link_new(pl_item *b, size_t size) {
  pl_link *k = calloc(1, size);
  if (!k) return NULL;
  pthread_mutex_lock(&b->mu);
  k->next = b->links;
  b->links = k;
  pthread_mutex_unlock(&b->mu);
  return k;
}

void pl_item_fini(pl_item *b) {
  for (pl_link *k = b->links, *next; k; k = next) {
    next = k->next;
    free(k);
  }
  b->links = NULL;
  pthread_mutex_destroy(&b->mu);
  free(b->scope);
  b->scope = NULL;
}

plugin *pl_plugin_new(size_t self_size) {
  plugin *p = calloc(1, sizeof *p);
  void *s = calloc(1, self_size);
  if (!p || !s) {
    free(p);
    free(s);
    return NULL;
  }
  p->self = s;
  return p;
}

void pl_plugin_free(plugin *p) {
  if (!p) return;
  free(p->self);
  free(p);
}

bool pl_granted(const plugin_item *item, const char *ns, const char *pkg, const char *iface) {
  for (size_t i = 0; i < item->ngrants; i++) {
    const plugin_grant *g = item->grants[i];
    if (!g || !g->ns || !g->package || strcmp(g->ns, ns) || strcmp(g->package, pkg)) continue;
    if (g->ninterfaces == 0) return true; /* the whole package */
    for (size_t k = 0; k < g->ninterfaces; k++)
      if (g->interfaces[k] && strcmp(g->interfaces[k], iface) == 0) return true;
  }
  return false;
}

/* ---- counters ---- */

bool pl_counter_parse(const uint8_t *p, size_t n, uint64_t *out) {
  bool digits = n > 0 && n <= 20;
  for (size_t i = 0; digits && i < n; i++) digits = p[i] >= '0' && p[i] <= '9';
  if (digits) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
      uint64_t d = (uint64_t)(p[i] - '0');
      if (v > (UINT64_MAX - d) / 10) return false;
      v = v * 10 + d;
    }
    *out = v;
    return true;
  }
  if (n == 8) {
    uint64_t v = 0;
    for (size_t i = 0; i < 8; i++) v = v << 8 | p[i];
    *out = v;
    return true;
  }
  return false;
}

uint64_t pl_now_secs(void) { return (uint64_t)time(NULL); }
