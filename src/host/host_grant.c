/* host_grant.c: the grant model (reference, section 3.4) as a pure
 * function from a workload, its items' WIT worlds and the registered
 * plugins to a plan: which plugin gets which hostInterfaces entries, which
 * item uses which, and in which order the items link. Deny by default:
 * an import no grant and no sibling component covers is an error naming
 * the interface, before anything is instantiated. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/host_internal.h"

typedef struct gctx {
  const workload *w;
  const host_item_world *worlds;
  plugin *const *plugins;
  size_t nplugins, nitems;
  host_arena *a;
  wasm_error *err;
  size_t *declared; /* indices of the non-core hostInterfaces entries */
  size_t ndeclared;
  /* assign[d * nplugins + p]: position of declared entry d in plugin p's
   * grant list, plus one; 0: not given to p */
  size_t *assign;
} gctx;

static bool eq(const char *a, size_t alen, const char *b) {
  return strlen(b) == alen && memcmp(a, b, alen) == 0;
}

/* "component `api`" or "the service". */
static const char *label(const gctx *g, size_t item, char *buf, size_t size) {
  if (item >= g->w->ncomponents) return "the service";
  snprintf(buf, size, "component `%s`", g->w->components[item].name);
  return buf;
}

/* "ns:pkg/iface@ver" of interface k of a grant. */
static void grant_iface(const plugin_grant *gr, size_t k, char *buf, size_t size) {
  if (gr->version) snprintf(buf, size, "%s:%s/%s@%s", gr->ns, gr->package, gr->interfaces[k], gr->version);
  else snprintf(buf, size, "%s:%s/%s", gr->ns, gr->package, gr->interfaces[k]);
}

/* The first registered plugin providing iface (either direction), or
 * nplugins. */
static size_t provider(const gctx *g, const char *iface, bool imports_only) {
  for (size_t p = 0; p < g->nplugins; p++) {
    if (host_set_has(g->plugins[p]->imports, iface)) return p;
    if (!imports_only && host_set_has(g->plugins[p]->exports, iface)) return p;
  }
  return g->nplugins;
}

/* Index k of the interface of grant gr that name (parsed) is, or -1. */
static long grant_covers(const plugin_grant *gr, const host_iface *x) {
  if (!eq(x->ns, x->ns_len, gr->ns) || !eq(x->pkg, x->pkg_len, gr->package)) return -1;
  const char *v = gr->version ? gr->version : "";
  if (!host_version_compatible(v, strlen(v), x->ver, x->ver_len)) return -1;
  for (size_t k = 0; k < gr->ninterfaces; k++)
    if (eq(x->iface, x->iface_len, gr->interfaces[k])) return (long)k;
  /* A package's `types` interface (only types: wasmcloud:messaging/types)
   * comes with any interface of the package that is granted, so manifests
   * need not list it. */
  if (eq(x->iface, x->iface_len, "types") && gr->ninterfaces) return 0;
  return -1;
}

static bool same_iface(const host_iface *a, const host_iface *b) {
  return a->ns_len == b->ns_len && !memcmp(a->ns, b->ns, a->ns_len) && a->pkg_len == b->pkg_len &&
         !memcmp(a->pkg, b->pkg, a->pkg_len) && a->iface_len == b->iface_len &&
         !memcmp(a->iface, b->iface, a->iface_len) &&
         host_version_compatible(a->ver, a->ver_len, b->ver, b->ver_len);
}

/* Steps 1-3: drop host-core entries, give each entry to the plugins
 * providing its interfaces, check named instances. */
static wasm_status assign_grants(gctx *g, host_plan *plan) {
  const workload *w = g->w;
  g->declared = host_arena_alloc(g->a, (w->nhost_interfaces + 1) * sizeof *g->declared);
  g->assign = host_arena_alloc(g->a, (w->nhost_interfaces * g->nplugins + 1) * sizeof *g->assign);
  size_t *count = host_arena_alloc(g->a, (g->nplugins + 1) * sizeof *count);
  if (!g->declared || !g->assign || !count) return host_fail(g->err, WASM_NOMEM, "out of memory");
  char name[256];
  for (size_t i = 0; i < w->nhost_interfaces; i++) {
    const plugin_grant *gr = &w->host_interfaces[i].grant;
    grant_iface(gr, 0, name, sizeof name);
    if (host_is_core_interface(name)) continue; /* wasi:http, WASI core: the host's own */
    size_t d = g->ndeclared++;
    g->declared[d] = i;
    for (size_t k = 0; k < gr->ninterfaces; k++) {
      grant_iface(gr, k, name, sizeof name);
      size_t p = provider(g, name, false);
      if (p == g->nplugins)
        return host_fail(g->err, WASM_LINK_ERROR,
                         "%s: spec.hostInterfaces[%zu]: %s is declared but no plugin on this "
                         "host provides it",
                         w->source, i, name);
      if (!g->assign[d * g->nplugins + p]) g->assign[d * g->nplugins + p] = ++count[p];
    }
  }
  /* A plugin without named instances serves one entry per package. */
  for (size_t p = 0; p < g->nplugins; p++) {
    for (size_t d1 = 0; d1 < g->ndeclared; d1++) {
      if (!g->assign[d1 * g->nplugins + p]) continue;
      const plugin_grant *a = &w->host_interfaces[g->declared[d1]].grant;
      for (size_t d2 = d1 + 1; d2 < g->ndeclared; d2++) {
        if (!g->assign[d2 * g->nplugins + p]) continue;
        const plugin_grant *b = &w->host_interfaces[g->declared[d2]].grant;
        if (strcmp(a->ns, b->ns) != 0 || strcmp(a->package, b->package) != 0) continue;
        if (!g->plugins[p]->named_instances)
          return host_fail(g->err, WASM_LINK_ERROR,
                           "%s: spec.hostInterfaces[%zu] and [%zu]: two entries of %s:%s for "
                           "plugin `%s`, which does not support named instances",
                           w->source, g->declared[d1], g->declared[d2], a->ns, a->package,
                           g->plugins[p]->id);
        if (!a->name || !b->name || !strcmp(a->name, b->name))
          return host_fail(g->err, WASM_LINK_ERROR,
                           "%s: spec.hostInterfaces[%zu] and [%zu]: two entries of %s:%s need "
                           "distinct names",
                           w->source, g->declared[d1], g->declared[d2], a->ns, a->package);
      }
    }
  }
  plan->plugins = host_arena_alloc(g->a, (g->nplugins + 1) * sizeof *plan->plugins);
  if (!plan->plugins) return host_fail(g->err, WASM_NOMEM, "out of memory");
  for (size_t p = 0; p < g->nplugins; p++) {
    if (!count[p]) continue;
    host_plugin_plan *pp = &plan->plugins[plan->nplugins++];
    pp->plugin = g->plugins[p];
    pp->ngrants = count[p];
    pp->grants = host_arena_alloc(g->a, count[p] * sizeof *pp->grants);
    if (!pp->grants) return host_fail(g->err, WASM_NOMEM, "out of memory");
    for (size_t d = 0; d < g->ndeclared; d++)
      if (g->assign[d * g->nplugins + p])
        pp->grants[g->assign[d * g->nplugins + p] - 1] = w->host_interfaces[g->declared[d]].grant;
  }
  return WASM_OK;
}

/* Index in plan->plugins of registered plugin p. */
static size_t plan_index(const host_plan *plan, const plugin *p) {
  size_t i = 0;
  while (i < plan->nplugins && plan->plugins[i].plugin != p) i++;
  return i;
}

/* Records that item uses the entry (declared index d) that covers
 * interface x, through the plugin providing that interface. */
static void note_use(gctx *g, bool *used, size_t d, const plugin_grant *gr, long k) {
  char name[256];
  grant_iface(gr, (size_t)k, name, sizeof name);
  size_t p = provider(g, name, false);
  if (p < g->nplugins) used[d * g->nplugins + p] = true;
}

/* Step 4-5 for one item: links to sibling exports, the deny check, and
 * the entries it uses. */
static wasm_status plan_item(gctx *g, host_plan *plan, size_t item) {
  const host_item_world *wd = &g->worlds[item];
  host_item_plan *ip = &plan->items[item];
  char lb[96], name[256];
  ip->name = workload_item_name(g->w, item);
  ip->is_service = item >= g->w->ncomponents;
  ip->links = host_arena_alloc(g->a, (wd->nimports + 1) * sizeof *ip->links);
  bool *used = host_arena_alloc(g->a, (g->ndeclared * g->nplugins + 1) * sizeof *used);
  if (!ip->links || !used) return host_fail(g->err, WASM_NOMEM, "out of memory");
  for (size_t i = 0; i < wd->nimports; i++) {
    const char *imp = wd->imports[i];
    host_iface x;
    if (!host_iface_parse(imp, strlen(imp), &x) || host_is_core_interface(imp)) continue;
    /* a sibling component's export first: the workload provides it itself */
    size_t exporter = g->nitems, export_k = 0;
    for (size_t j = 0; j < g->w->ncomponents; j++) {
      if (j == item) continue;
      const host_item_world *ej = &g->worlds[j];
      for (size_t k = 0; k < ej->nexports; k++) {
        host_iface y;
        if (!host_iface_parse(ej->exports[k], strlen(ej->exports[k]), &y) || !same_iface(&x, &y))
          continue;
        if (exporter != g->nitems && exporter != j)
          return host_fail(g->err, WASM_LINK_ERROR,
                           "%s: %s imports %s, which both `%s` and `%s` export", g->w->source,
                           label(g, item, lb, sizeof lb), imp, g->w->components[exporter].name,
                           g->w->components[j].name);
        exporter = j;
        export_k = k;
      }
    }
    if (exporter != g->nitems) {
      host_link *l = &ip->links[ip->nlinks++];
      l->import_name = imp;
      l->exporter = exporter;
      l->export_name = g->worlds[exporter].exports[export_k];
      continue;
    }
    bool granted = false;
    for (size_t d = 0; d < g->ndeclared; d++) {
      const plugin_grant *gr = &g->w->host_interfaces[g->declared[d]].grant;
      long k = grant_covers(gr, &x);
      if (k < 0) continue;
      granted = true;
      note_use(g, used, d, gr, k);
    }
    if (granted) continue;
    snprintf(name, sizeof name, "%s", imp);
    if (provider(g, name, true) < g->nplugins)
      return host_fail(g->err, WASM_LINK_ERROR, "%s: %s imports %s, which the workload does not grant",
                       g->w->source, label(g, item, lb, sizeof lb), imp);
    return host_fail(g->err, WASM_LINK_ERROR,
                     "%s: %s imports %s, which no plugin of this host and no component of the "
                     "workload provides",
                     g->w->source, label(g, item, lb, sizeof lb), imp);
  }
  /* exports a plugin calls (messaging handlers) use the entry granting them */
  for (size_t i = 0; i < wd->nexports; i++) {
    host_iface x;
    if (!host_iface_parse(wd->exports[i], strlen(wd->exports[i]), &x)) continue;
    for (size_t d = 0; d < g->ndeclared; d++) {
      const plugin_grant *gr = &g->w->host_interfaces[g->declared[d]].grant;
      long k = grant_covers(gr, &x);
      if (k >= 0) note_use(g, used, d, gr, k);
    }
  }
  ip->uses = host_arena_alloc(g->a, (plan->nplugins + 1) * sizeof *ip->uses);
  if (!ip->uses) return host_fail(g->err, WASM_NOMEM, "out of memory");
  for (size_t p = 0; p < g->nplugins; p++) {
    size_t n = 0;
    for (size_t d = 0; d < g->ndeclared; d++) n += used[d * g->nplugins + p];
    if (!n) continue;
    host_item_use *u = &ip->uses[ip->nuses++];
    u->plugin = plan_index(plan, g->plugins[p]);
    u->grants = host_arena_alloc(g->a, n * sizeof *u->grants);
    if (!u->grants) return host_fail(g->err, WASM_NOMEM, "out of memory");
    for (size_t d = 0; d < g->ndeclared; d++)
      if (used[d * g->nplugins + p])
        u->grants[u->ngrants++] = &plan->plugins[u->plugin].grants[g->assign[d * g->nplugins + p] - 1];
  }
  return WASM_OK;
}

/* The first exporter item i links to that is not placed yet: the walk
 * that finds a cycle and the one that prints it take the same steps. */
static size_t first_pending_exporter(const host_plan *plan, const bool *done, size_t i) {
  for (size_t l = 0; l < plan->items[i].nlinks; l++)
    if (!done[plan->items[i].links[l].exporter]) return plan->items[i].links[l].exporter;
  return i;
}

/* Kahn's algorithm, lowest index first so the manifest order is kept
 * where the links allow; the service has no dependants and sorts last. */
static wasm_status order_items(gctx *g, host_plan *plan) {
  size_t n = g->nitems;
  size_t *seen = host_arena_alloc(g->a, (n + 1) * sizeof *seen);
  bool *done = host_arena_alloc(g->a, (n + 1) * sizeof *done);
  plan->order = host_arena_alloc(g->a, (n + 1) * sizeof *plan->order);
  if (!seen || !done || !plan->order) return host_fail(g->err, WASM_NOMEM, "out of memory");
  for (size_t placed = 0; placed < n; placed++) {
    size_t pick = n;
    for (size_t i = 0; i < n && pick == n; i++) {
      if (done[i]) continue;
      bool ready = true;
      for (size_t l = 0; l < plan->items[i].nlinks && ready; l++)
        if (!done[plan->items[i].links[l].exporter]) ready = false;
      if (ready) pick = i;
    }
    if (pick == n) {
      /* Every item left waits on another one left: walk back through
       * exporters until an item repeats; that loop is the cycle. */
      size_t start = 0;
      while (done[start]) start++;
      /* seen[i]: the step at which the walk met item i, plus one */
      size_t cur = start, step = 0;
      while (!seen[cur]) {
        seen[cur] = ++step;
        cur = first_pending_exporter(plan, done, cur);
      }
      char msg[WASM_ERROR_MAX] = "";
      size_t len = 0, first = cur;
      do {
        int k = snprintf(msg + len, sizeof msg - len, "`%s` -> ", plan->items[cur].name);
        if (k > 0) len = len + (size_t)k < sizeof msg ? len + (size_t)k : sizeof msg - 1;
        cur = first_pending_exporter(plan, done, cur);
      } while (cur != first);
      return host_fail(g->err, WASM_LINK_ERROR,
                       "%s: components import from each other in a cycle: %s`%s` (each imports "
                       "from the next)",
                       g->w->source, msg, plan->items[first].name);
    }
    done[pick] = true;
    plan->order[placed] = pick;
  }
  return WASM_OK;
}

wasm_status host_plan_new(const workload *w, const host_item_world *worlds,
                          plugin *const *plugins, size_t nplugins, host_plan **out,
                          wasm_error *err) {
  *out = NULL;
  host_arena *a = host_arena_new();
  host_plan *plan = a ? host_arena_alloc(a, sizeof *plan) : NULL;
  if (!plan) {
    host_arena_free(a);
    return host_fail(err, WASM_NOMEM, "out of memory");
  }
  plan->arena_ = a;
  plan->http_host = w->http_host;
  plan->nitems = workload_item_count(w);
  gctx g = {.w = w, .worlds = worlds, .plugins = plugins, .nplugins = nplugins,
            .nitems = plan->nitems, .a = a, .err = err};
  plan->items = host_arena_alloc(a, (plan->nitems + 1) * sizeof *plan->items);
  wasm_status st = plan->items ? assign_grants(&g, plan) : host_fail(err, WASM_NOMEM, "out of memory");
  for (size_t i = 0; st == WASM_OK && i < plan->nitems; i++) st = plan_item(&g, plan, i);
  if (st == WASM_OK) st = order_items(&g, plan);
  if (st != WASM_OK) {
    host_arena_free(a);
    return st;
  }
  *out = plan;
  return WASM_OK;
}

void host_plan_free(host_plan *plan) {
  if (plan) host_arena_free(plan->arena_);
}

wasm_status host_item_world_of(const cm_component *c, host_item_world *world, wasm_error *err) {
  memset(world, 0, sizeof *world);
  uint32_t ni = cm_component_import_count(c), ne = cm_component_export_count(c);
  const char **imps = calloc(ni + 1, sizeof *imps), **exps = calloc(ne + 1, sizeof *exps);
  if (!imps || !exps) {
    free(imps);
    free(exps);
    return host_fail(err, WASM_NOMEM, "out of memory");
  }
  for (uint32_t i = 0; i < ni; i++) imps[i] = cm_component_import_name(c, i);
  for (uint32_t i = 0; i < ne; i++) exps[i] = cm_component_export_name(c, i);
  world->imports = imps;
  world->nimports = ni;
  world->exports = exps;
  world->nexports = ne;
  return WASM_OK;
}

void host_item_world_release(host_item_world *world) {
  free((void *)world->imports);
  free((void *)world->exports);
  memset(world, 0, sizeof *world);
}
