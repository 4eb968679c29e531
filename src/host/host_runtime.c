/* host_runtime.c: running workloads (host.h, "the runtime").
 *
 * A started workload is a reference-counted version: the routing list
 * holds one reference, each request or plugin call in progress another;
 * the last release frees it (pre-instances, linkers, WASI contexts, then
 * the plugins' item_unbind and workload_unbind). Every item has one slot
 * (linker + WASI context + wasi:http state + pre-instance) per HTTP
 * worker, used only by that worker's thread, plus one more for plugin
 * calls (plugin_host.call), guarded by a mutex.
 *
 * Composition: a component's imports that another component of the
 * workload exports (the plan's links) are host functions (host_link.c)
 * calling, on the caller's slot index, the exporter's instance for the
 * current request: made at the first call, dropped when the request (or
 * plugin call) ends. Slot k of every item belongs to the same thread at
 * a time, so that needs no lock; the plan has no cycles, so an
 * exporter's instance is never re-entered.
 *
 * Limits (host.h, "limits"; host_pool.c): every slot of a component has
 * its instance pool (poolSize, maxInvocations, memoryLimitMb), every
 * component a gate (cpuLimit) that HTTP requests, plugin calls and
 * calls from other components pass, after taking their slot. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "host/host_internal.h"
#include "host/host_link.h"
#include "host/host_log.h"
#include "host/host_pool.h"
#include "host/host_service.h"
#include "stratus/http.h"

#define HR_MAX_IMAGE (1u << 30)

/* One item on one worker. */
/* Plugin calls in flight at once per workload (each slot keeps a linker
 * and pre-instances of every component, as a worker does). */
#define HR_CALL_SLOTS 4

typedef struct hr_slot {
  wasi2_ctx *wasi;
  http_wasi *http;
  cm_linker *linker;
  cm_instance_pre *pre;
  host_pool pool;    /* instances of pre (limits) */
  bool pool_ready;   /* pool initialised */
  /* composition: this item's instance serving calls from other
   * components during the current request on this slot (.inst NULL:
   * none yet) */
  host_inst linst;
} hr_slot;

typedef struct hr_item {
  const char *name;
  cm_component *comp;
  char **env; /* "K=V" */
  size_t nenv;
  hr_slot *slots;       /* one per worker, then HR_CALL_SLOTS */
  plugin_item *pitems;  /* per use of the plan's item */
  size_t nbound;        /* pitems item_bind'ed so far */
  int log_fd;           /* the prefixing pipe, or -1 */
  /* limits */
  host_gate gate;       /* cpuLimit */
  bool gate_ready;
  host_counters ctr;    /* shared by its slots' pools */
} hr_item;

typedef struct hr_workload {
  host_runtime *rt;
  char id[HOST_RUNTIME_ID_MAX];
  workload *w;
  host_plan *plan;
  host_volumes *vols;
  hr_item *items;
  size_t nitems;
  plugin_workload *pws; /* per plan plugin */
  size_t nbound;        /* plugins workload_bind'ed so far */
  long handler;         /* item exporting wasi:http/incoming-handler, or -1 */
  atomic_int refs;
  /* plugin calls (messaging handlers, the service's calls) take one of
   * HR_CALL_SLOTS slots after the workers': a handler may call another
   * component of the workload while one call waits */
  pthread_mutex_t call_mu;
  pthread_cond_t call_cv;
  bool call_busy[HR_CALL_SLOTS];
  bool routable;
  host_service *svc; /* service: the service's thread, network, links; or NULL */
  host_fwds fwds;    /* composition: the forwarded imports' envs */
  uint64_t seq;
  struct hr_workload *next;
} hr_workload;

struct host_runtime {
  host_runtime_config cfg;
  plugin **plugins;
  size_t nstarted; /* plugins started */
  pthread_mutex_t mu;
  hr_workload *list; /* starting and running workloads */
  uint64_t next_seq;
  plugin_host host;
  host_log *log;
  uint64_t deadline_ticks;
  host_ticker *ticker;
};

/* Prefixes err's message: "PREFIX: message". */
static wasm_status hr_wrap(wasm_error *err, wasm_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static wasm_status hr_wrap(wasm_error *err, wasm_status st, const char *fmt, ...) {
  char prefix[256], msg[sizeof err->message];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  snprintf(msg, sizeof msg, "%s", err->message);
  return host_fail(err, st, "%s: %s", prefix, msg);
}

/* ---- freeing a workload version ---- */

static void slot_free(hr_slot *s) {
  if (s->pool_ready) {
    host_pool_give(&s->pool, &s->linst, false);
    host_pool_clear(&s->pool);
  }
  cm_instance_pre_delete(s->pre);
  if (s->linker) {
    plugin_linker_forget(s->linker);
    cm_linker_delete(s->linker);
  }
  http_wasi_delete(s->http);
  wasi2_ctx_delete(s->wasi);
}

/* Undoes whatever of the start got done, in reverse. */
static void hr_free(hr_workload *wl) {
  host_runtime *rt = wl->rt;
  unsigned nslots = rt->cfg.workers + HR_CALL_SLOTS;
  host_service_stop(wl->svc); /* service: before what its thread uses */
  for (size_t i = 0; wl->items && i < wl->nitems; i++) {
    hr_item *it = &wl->items[i];
    for (unsigned k = 0; it->slots && k < nslots; k++) slot_free(&it->slots[k]);
  }
  host_fwds_free(&wl->fwds); /* composition: no linker refers to them now */
  /* host functions' state lives until no linker or instance can reach it */
  for (size_t i = wl->nitems; wl->items && wl->plan && i-- > 0;) {
    hr_item *it = &wl->items[i];
    const host_item_plan *ip = &wl->plan->items[i];
    for (size_t u = it->nbound; u-- > 0;) {
      plugin *p = wl->plan->plugins[ip->uses[u].plugin].plugin;
      if (p->item_unbind) p->item_unbind(p, &it->pitems[u]);
    }
  }
  for (size_t k = wl->nbound; k-- > 0;) {
    plugin *p = wl->plan->plugins[k].plugin;
    if (p->workload_unbind) p->workload_unbind(p, &wl->pws[k]);
  }
  for (size_t i = 0; wl->items && i < wl->nitems; i++) {
    hr_item *it = &wl->items[i];
    cm_component_delete(it->comp);
    for (size_t e = 0; e < it->nenv; e++) free(it->env[e]);
    free(it->env);
    free(it->slots);
    free(it->pitems);
    if (it->log_fd >= 0) close(it->log_fd);
    if (it->gate_ready) host_gate_destroy(&it->gate);
  }
  free(wl->items);
  host_service_delete(wl->svc); /* service: its engine outlived the service's component */
  free(wl->pws);
  host_volumes_close(wl->vols);
  host_plan_free(wl->plan);
  workload_free(wl->w);
  pthread_mutex_destroy(&wl->call_mu);
  pthread_cond_destroy(&wl->call_cv);
  free(wl);
}

static void hr_release(hr_workload *wl) {
  if (atomic_fetch_sub(&wl->refs, 1) == 1) hr_free(wl);
}

/* ---- starting a workload ---- */

static wasm_status read_image(const char *path, uint8_t **out, size_t *len, wasm_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return host_fail(err, WASM_BAD_ARG, "cannot read %s: %s", path, strerror(errno));
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  while (buf) {
    size_t r = fread(buf + n, 1, cap - n, f);
    n += r;
    if (n < cap) break;
    if (cap >= HR_MAX_IMAGE) {
      free(buf);
      fclose(f);
      return host_fail(err, WASM_BAD_ARG, "%s: larger than 1 GiB", path);
    }
    uint8_t *nb = realloc(buf, cap * 2);
    if (!nb) free(buf);
    buf = nb;
    cap *= 2;
  }
  bool bad = buf && ferror(f);
  fclose(f);
  if (!buf) return host_fail(err, WASM_NOMEM, "out of memory");
  if (bad) {
    free(buf);
    return host_fail(err, WASM_BAD_ARG, "cannot read %s", path);
  }
  *out = buf;
  *len = n;
  return WASM_OK;
}

/* Reads and compiles item i's image. */
static wasm_status load_item(hr_workload *wl, size_t i, wasm_error *err) {
  const workload *w = wl->w;
  const workload_image *img = workload_item_image(w, i);
  const char *name = workload_item_name(w, i);
  if (!img->path)
    return host_fail(err, WASM_BAD_ARG,
                     "%s: component `%s`: image %s: OCI images are not supported by stratus "
                     "dev yet (use a local path)",
                     w->source, name, img->ref);
  uint8_t *bytes = NULL;
  size_t len = 0;
  wasm_status st = read_image(img->path, &bytes, &len, err);
  if (st) return st;
  if (!cm_is_component(bytes, len)) st = host_fail(err, WASM_BAD_ARG, "%s is not a component", img->path);
  else if ((st = cm_component_new(i == w->ncomponents && wl->svc ? host_service_engine(wl->svc)
                                                                   : wl->rt->cfg.engine,
                                  bytes, len, &wl->items[i].comp, err)))
    hr_wrap(err, st, "%s", img->path);
  free(bytes);
  if (st) return hr_wrap(err, st, "%s: component `%s`", w->source, name);
  return WASM_OK;
}

static bool exports_http_handler(const cm_component *c) {
  for (uint32_t i = 0; i < cm_component_export_count(c); i++)
    if (strncmp(cm_component_export_name(c, i), "wasi:http/incoming-handler@0.2.", 31) == 0)
      return true;
  return false;
}

/* "K=V" strings of the item's environment. */
static wasm_status item_env(hr_item *it, const workload_local_resources *lr, wasm_error *err) {
  const plugin_map *m = &lr->environment.config;
  it->env = calloc(m->n + 1, sizeof *it->env);
  if (!it->env) return host_fail(err, WASM_NOMEM, "out of memory");
  for (size_t k = 0; k < m->n; k++) {
    size_t n = strlen(m->keys[k]) + strlen(m->values[k]) + 2;
    if (!(it->env[k] = malloc(n))) return host_fail(err, WASM_NOMEM, "out of memory");
    snprintf(it->env[k], n, "%s=%s", m->keys[k], m->values[k]);
    it->nenv = k + 1;
  }
  return WASM_OK;
}

static wasm_status hr_forward(void *env, cm_instance *caller, const cm_val *args, size_t nargs,
                              cm_val *result, wasm_error *err);

/* composition: the linker of exporter's slot (host_link_define_proxied) */
static cm_linker *hr_exporter_linker(void *ctx, size_t exporter, unsigned slot) {
  hr_workload *wl = ctx;
  return wl->items[exporter].slots[slot].linker;
}

/* The cap per linear memory of an item: memoryLimitMb, or the runtime's
 * max_memory when lower; *named gets memoryLimitMb when it is the cap. */
static uint64_t item_max_memory(const host_runtime *rt, const workload_local_resources *lr,
                                int32_t *named) {
  uint64_t m = rt->cfg.max_memory;
  *named = 0;
  if (lr->memory_limit_mb > 0) {
    uint64_t l = (uint64_t)lr->memory_limit_mb << 20;
    if (!m || l <= m) {
      m = l;
      *named = lr->memory_limit_mb;
    }
  }
  return m;
}

/* One slot: WASI, wasi:http, the plugins' interfaces, the pre-instance
 * and its pool (limits). */
static wasm_status slot_init(hr_workload *wl, size_t i, hr_slot *s, wasm_error *err) {
  host_runtime *rt = wl->rt;
  hr_item *it = &wl->items[i];
  const workload_local_resources *lr = workload_item_local(wl->w, i);
  size_t npre = 0;
  const wasi_preopen *pre = host_volumes_preopens(wl->vols, i, &npre);
  const char *args[] = {it->name};
  wasi2_config wc = {.args = args, .nargs = 1, .env = (const char *const *)it->env,
                     .nenv = (uint32_t)it->nenv, .stdin_fd = -1,
                     .stdout_fd = it->log_fd >= 0 ? it->log_fd : 1,
                     .stderr_fd = it->log_fd >= 0 ? it->log_fd : 2, .preopens = pre,
                     .npreopens = (uint32_t)npre};
  http_wasi_config hc = {.allowed_hosts = lr->allowed_hosts.items,
                         .nallowed = lr->allowed_hosts.n};
  const host_item_plan *ip = &wl->plan->items[i];
  /* service: its linker on its engine; TCP on the workload's virtual loopback */
  wasm_engine *eng = ip->is_service ? host_service_engine(wl->svc) : rt->cfg.engine;
  if (wl->svc) wc.network = WASI2_NET_TCP;
  if (!(s->linker = cm_linker_new(eng))) return host_fail(err, WASM_NOMEM, "out of memory");
  wasm_status st = wasi2_ctx_new(&wc, &s->wasi, err);
  if (!st && wl->svc) wasi2_ctx_set_net_hook(s->wasi, host_service_net_hook(wl->svc, ip->is_service));
  if (!st) st = wasi2_link(s->wasi, s->linker, err);
  if (!st) st = http_wasi_new(&hc, s->wasi, &s->http, err);
  if (!st) st = http_wasi_link(s->http, s->linker, err);
  if (!st) st = plugin_linker_set_wasi2(s->linker, s->wasi, err);
  for (size_t u = 0; !st && u < ip->nuses; u++) {
    plugin *p = wl->plan->plugins[ip->uses[u].plugin].plugin;
    if (p->item_link && (st = p->item_link(p, &it->pitems[u], s->linker, err)))
      hr_wrap(err, st, "plugin %s: component `%s`", p->id, it->name);
  }
  if (!st && ip->is_service) { /* service: component exports it imports */
    const char *names[wl->nitems];
    for (size_t k = 0; k < wl->nitems; k++) names[k] = wl->items[k].name;
    if ((st = host_service_link(wl->svc, s->linker, it->comp, ip, names, err)))
      hr_wrap(err, st, "%s", wl->w->source);
  } else if (!st && ip->nlinks) { /* composition: sibling exports, on this slot's index */
    const char *names[wl->nitems];
    for (size_t k = 0; k < wl->nitems; k++) names[k] = wl->items[k].name;
    char who[160];
    snprintf(who, sizeof who, "component `%s`", it->name);
    if ((st = host_link_define_proxied(&wl->fwds, s->linker, it->comp, ip, names, who,
                                       hr_forward, wl, (unsigned)(s - it->slots),
                                       hr_exporter_linker, err)))
      hr_wrap(err, st, "%s", wl->w->source);
  }
  if (!st && (st = cm_linker_instantiate_pre(s->linker, it->comp, &s->pre, err)))
    hr_wrap(err, st, "%s: component `%s`", wl->w->source, it->name);
  if (!st && !ip->is_service) { /* limits: the service's store is host_service.c's */
    const workload_component *wc = &wl->w->components[i];
    host_pool_config pc = {.engine = eng, .pre = s->pre, .target = (uint32_t)wc->pool_size,
                           .max_uses = (uint32_t)wc->max_invocations, .ctr = &it->ctr};
    pc.max_memory = item_max_memory(rt, lr, &pc.memory_limit_mb);
    host_pool_init(&s->pool, &pc);
    s->pool_ready = true;
  }
  return st;
}

/* limits: the pools the workload starts with (host.h): the HTTP
 * handler's on every worker, every other component's on the first call
 * slot; a component with memoryLimitMb and no pool is instantiated once,
 * so that an initial memory above the limit fails the start. */
static wasm_status hr_prefill(hr_workload *wl, wasm_error *err) {
  host_runtime *rt = wl->rt;
  for (size_t i = 0; i < wl->w->ncomponents; i++) {
    hr_item *it = &wl->items[i];
    const workload_component *wc = &wl->w->components[i];
    unsigned from = (long)i == wl->handler ? 0 : rt->cfg.workers;
    unsigned to = (long)i == wl->handler ? rt->cfg.workers : rt->cfg.workers + 1;
    wasm_status st = WASM_OK;
    for (unsigned k = from; !st && k < to; k++) st = host_pool_fill(&it->slots[k].pool, err);
    if (!st && !wc->pool_size && wc->local.memory_limit_mb > 0) {
      host_inst probe;
      if (!(st = host_pool_take(&it->slots[from].pool, 0, &probe, err))) {
        host_pool_give(&it->slots[from].pool, &probe, false);
        atomic_fetch_sub(&it->ctr.invocations, 1); /* not an invocation */
      }
    }
    if (st) return hr_wrap(err, st, "%s: component `%s`", wl->w->source, it->name);
    if (wc->pool_size) {
      FILE *f = rt->cfg.log ? rt->cfg.log : stderr;
      unsigned n = (unsigned)wc->pool_size * (to - from);
      fprintf(f, "stratus: workload %s: component `%s`: %u instance%s made ahead (poolSize %d on %u %s)\n",
              wl->id, it->name, n, n == 1 ? "" : "s", (int)wc->pool_size, to - from,
              (long)i == wl->handler ? "HTTP workers" : "call slot");
      fflush(f);
    }
  }
  return WASM_OK;
}

/* Everything of the start up to the plugins' workload_resolved. */
static wasm_status hr_build(hr_workload *wl, wasm_error *err) {
  host_runtime *rt = wl->rt;
  workload *w = wl->w;
  wasm_status st = workload_check_local(w, err);
  if (st) return st;
  if (w->service) { /* service: host_service.c */
    int32_t named;
    host_service_config sc = {.workload_id = wl->id, .max_restarts = w->service->max_restarts,
                              .max_memory = item_max_memory(rt, &w->service->local, &named),
                              .host = &rt->host, .log = rt->cfg.log};
    if ((st = host_service_new(&sc, &wl->svc, err))) return st;
  }
  wl->nitems = workload_item_count(w);
  wl->items = calloc(wl->nitems + 1, sizeof *wl->items);
  if (!wl->items) return host_fail(err, WASM_NOMEM, "out of memory");
  for (size_t i = 0; i < wl->nitems; i++) {
    hr_item *it = &wl->items[i];
    it->name = workload_item_name(w, i);
    it->log_fd = -1;
    const workload_local_resources *lr = workload_item_local(w, i);
    host_gate_init(&it->gate, lr->cpu_limit > 0 ? (uint32_t)lr->cpu_limit : 0);
    it->gate_ready = true;
    if (i < w->ncomponents && w->components[i].pool_size > HOST_MAX_POOL)
      return host_fail(err, WASM_BAD_ARG, "%s: component `%s`: poolSize %d is more than %d",
                       w->source, it->name, (int)w->components[i].pool_size, HOST_MAX_POOL);
  }
  /* compile, then the grant plan from what each item imports/exports */
  host_item_world *worlds = calloc(wl->nitems + 1, sizeof *worlds);
  if (!worlds) return host_fail(err, WASM_NOMEM, "out of memory");
  for (size_t i = 0; !st && i < wl->nitems; i++) {
    st = load_item(wl, i, err);
    if (!st) st = host_item_world_of(wl->items[i].comp, &worlds[i], err);
  }
  if (!st)
    st = host_plan_new(w, worlds, (plugin *const *)rt->plugins, rt->cfg.nplugins, &wl->plan, err);
  for (size_t i = 0; i < wl->nitems; i++) host_item_world_release(&worlds[i]);
  free(worlds);
  if (st) return st;
  wl->handler = -1;
  for (size_t i = 0; i < w->ncomponents; i++) { /* the service is no handler */
    if (!exports_http_handler(wl->items[i].comp)) continue;
    if (wl->handler >= 0)
      return host_fail(err, WASM_BAD_ARG,
                       "%s: components `%s` and `%s` both export wasi:http/incoming-handler "
                       "(a workload has one HTTP handler)",
                       w->source, wl->items[wl->handler].name, wl->items[i].name);
    wl->handler = (long)i;
  }
  if ((st = host_volumes_open(w, &wl->vols, err))) return st;
  /* the plugins: workload_bind, then item_bind per item */
  wl->pws = calloc(wl->plan->nplugins + 1, sizeof *wl->pws);
  if (!wl->pws) return host_fail(err, WASM_NOMEM, "out of memory");
  for (size_t k = 0; k < wl->plan->nplugins; k++) {
    const host_plugin_plan *pp = &wl->plan->plugins[k];
    wl->pws[k] = (plugin_workload){.id = wl->id, .name = w->name, .namespace_ = w->namespace_,
                                   .grants = pp->grants, .ngrants = pp->ngrants};
    if (pp->plugin->workload_bind && (st = pp->plugin->workload_bind(pp->plugin, &wl->pws[k], err)))
      return hr_wrap(err, st, "plugin %s", pp->plugin->id);
    wl->nbound = k + 1;
  }
  unsigned nslots = rt->cfg.workers + HR_CALL_SLOTS;
  for (size_t i = 0; i < wl->nitems; i++) {
    hr_item *it = &wl->items[i];
    const host_item_plan *ip = &wl->plan->items[i];
    const workload_local_resources *lr = workload_item_local(w, i);
    if ((st = item_env(it, lr, err))) return st;
    it->pitems = calloc(ip->nuses + 1, sizeof *it->pitems);
    it->slots = calloc(nslots, sizeof *it->slots);
    if (!it->pitems || !it->slots) return host_fail(err, WASM_NOMEM, "out of memory");
    for (size_t u = 0; u < ip->nuses; u++) {
      const host_item_use *use = &ip->uses[u];
      plugin *p = wl->plan->plugins[use->plugin].plugin;
      it->pitems[u] = (plugin_item){.workload = &wl->pws[use->plugin], .name = it->name,
                                    .is_service = ip->is_service, .env = lr->environment.config,
                                    .config = lr->config, .grants = use->grants,
                                    .ngrants = use->ngrants};
      if (p->item_bind && (st = p->item_bind(p, &it->pitems[u], err)))
        return hr_wrap(err, st, "plugin %s: component `%s`", p->id, it->name);
      it->nbound = u + 1;
    }
  }
  /* link every item on every slot, in the plan's order */
  for (size_t o = 0; o < wl->plan->nitems; o++) {
    size_t i = wl->plan->order[o];
    hr_item *it = &wl->items[i];
    if (rt->log && (st = host_log_pipe(rt->log, it->name, &it->log_fd, err))) return st;
    /* service: one slot, its thread's */
    unsigned n = wl->plan->items[i].is_service ? 1 : nslots;
    for (unsigned k = 0; k < n; k++)
      if ((st = slot_init(wl, i, &it->slots[k], err))) return st;
  }
  return hr_prefill(wl, err);
}

static void list_remove_locked(host_runtime *rt, hr_workload *wl) {
  for (hr_workload **pp = &rt->list; *pp; pp = &(*pp)->next)
    if (*pp == wl) {
      *pp = wl->next;
      wl->next = NULL;
      return;
    }
}

static hr_workload *find_locked(host_runtime *rt, const char *id) {
  for (hr_workload *wl = rt->list; wl; wl = wl->next)
    if (strcmp(wl->id, id) == 0) return wl;
  return NULL;
}

wasm_status host_runtime_replace_workload(host_runtime *rt, const char *old_id, workload *w,
                                          char *id, wasm_error *err) {
  if (id) id[0] = 0;
  if (!w) return host_fail(err, WASM_BAD_ARG, "no workload");
  hr_workload *wl = calloc(1, sizeof *wl);
  if (!wl) {
    workload_free(w);
    return host_fail(err, WASM_NOMEM, "out of memory");
  }
  wl->rt = rt;
  wl->w = w;
  wl->handler = -1;
  atomic_init(&wl->refs, 1);
  pthread_mutex_init(&wl->call_mu, NULL);
  pthread_cond_init(&wl->call_cv, NULL);
  pthread_mutex_lock(&rt->mu);
  wl->seq = ++rt->next_seq;
  pthread_mutex_unlock(&rt->mu);
  snprintf(wl->id, sizeof wl->id, "%.40s/%.40s#%llu", w->namespace_ ? w->namespace_ : "default",
           w->name ? w->name : "workload", (unsigned long long)wl->seq);
  wasm_status st = hr_build(wl, err);
  if (!st) {
    /* listed (not routed yet) so that plugin calls find it */
    pthread_mutex_lock(&rt->mu);
    wl->next = rt->list;
    rt->list = wl;
    pthread_mutex_unlock(&rt->mu);
    for (size_t k = 0; !st && k < wl->plan->nplugins; k++) {
      plugin *p = wl->plan->plugins[k].plugin;
      if (p->workload_resolved && (st = p->workload_resolved(p, &wl->pws[k], &rt->host, err)))
        hr_wrap(err, st, "plugin %s", p->id);
    }
  }
  if (!st && wl->svc) { /* service: runs from now on; the old one stops below */
    size_t si = wl->w->ncomponents;
    hr_slot *ss = &wl->items[si].slots[0];
    st = host_service_start(wl->svc, wl->items[si].comp, ss->pre, ss->wasi, ss->http, err);
    if (st) hr_wrap(err, st, "%s: service", wl->w->source);
  }
  hr_workload *old = NULL;
  pthread_mutex_lock(&rt->mu);
  if (st) list_remove_locked(rt, wl);
  else {
    wl->routable = true;
    if (old_id && (old = find_locked(rt, old_id))) list_remove_locked(rt, old);
  }
  pthread_mutex_unlock(&rt->mu);
  if (st) {
    host_service_stop(wl->svc);
    hr_release(wl);
    return st;
  }
  if (old) host_service_stop(old->svc); /* service: joined before the last release */
  if (old) hr_release(old);
  if (id) snprintf(id, HOST_RUNTIME_ID_MAX, "%s", wl->id);
  return WASM_OK;
}

wasm_status host_runtime_start_workload(host_runtime *rt, workload *w, char *id, wasm_error *err) {
  return host_runtime_replace_workload(rt, NULL, w, id, err);
}

bool host_runtime_stop_workload(host_runtime *rt, const char *id) {
  pthread_mutex_lock(&rt->mu);
  hr_workload *wl = find_locked(rt, id);
  if (wl) list_remove_locked(rt, wl);
  pthread_mutex_unlock(&rt->mu);
  if (wl) host_service_stop(wl->svc); /* service */
  if (wl) hr_release(wl);
  return wl != NULL;
}

/* ---- running components ---- */

/* limits: enters item it's gate (cpuLimit), waiting up to the timeout;
 * *ticks gets the epoch deadline of what is left of it (0: none). */
static wasm_status hr_enter(host_runtime *rt, hr_item *it, uint64_t *ticks, wasm_error *err) {
  uint64_t waited = 0;
  *ticks = rt->deadline_ticks;
  if (!host_gate_enter(&it->gate, rt->cfg.timeout_ns, &waited)) {
    atomic_fetch_add(&it->ctr.busy, 1);
    return host_fail(err, WASM_EXHAUSTED,
                     "component `%s` is busy: cpuLimit %u (invocations at once) reached, no "
                     "place within the timeout of %llu ms",
                     it->name, it->gate.limit,
                     (unsigned long long)(rt->cfg.timeout_ns / 1000000u));
  }
  if (rt->cfg.timeout_ns && waited) {
    uint64_t left = waited < rt->cfg.timeout_ns ? rt->cfg.timeout_ns - waited : 1;
    *ticks = host_deadline_ticks(left);
  }
  return WASM_OK;
}

/* limits: gives an instance back to slot s's pool (kept while
 * maxInvocations allows and ok), clearing the slot's WASI and wasi:http
 * state when no used instance is left on it. */
static void hr_give(hr_slot *s, host_inst *in, bool ok) {
  if (host_pool_give(&s->pool, in, ok)) http_wasi_reset(s->http);
}

/* composition: ends the request on slot index k: gives back the
 * exporters' instances it used, and refills their pools. */
static void hr_drop_linked(hr_workload *wl, unsigned k) {
  host_link_end(&wl->fwds, k); /* the proxies, while their exporters live */
  for (size_t i = 0; i < wl->nitems; i++) {
    hr_slot *s = &wl->items[i].slots[k];
    if (wl->plan->items[i].is_service || !s->linst.inst) continue; /* the service has one slot */
    hr_give(s, &s->linst, true);
    wasm_error err = {0};
    host_pool_fill(&s->pool, &err); /* a failure shows at the next take */
  }
}

/* composition: an import of a component that another component exports
 * (env: host_link.c's host_fwd, slot = the caller's slot index); the
 * exporter's instance for this request, taken at its first call; each
 * call passes the exporter's gate. */
static wasm_status hr_forward(void *env, cm_instance *caller, const cm_val *args, size_t nargs,
                              cm_val *result, wasm_error *err) {
  host_fwd *f = env;
  hr_workload *wl = f->ctx;
  hr_item *it = &wl->items[f->exporter];
  hr_slot *s = &it->slots[f->slot];
  uint64_t ticks;
  wasm_status st = hr_enter(wl->rt, it, &ticks, err);
  if (st) return st;
  if (!s->linst.inst) st = host_pool_take(&s->pool, ticks, &s->linst, err);
  if (!st) {
    cm_func *fn = cm_instance_func(s->linst.inst, f->func);
    if (!fn) st = host_fail(err, WASM_BAD_ARG, "component `%s` has no export %s", f->component, f->func);
    else st = cm_func_call(fn, args, nargs, result, err);
  }
  host_gate_leave(&it->gate);
  if (st) {
    /* a trapped instance is not called again; the caller traps too */
    hr_give(s, &s->linst, false);
    char msg[sizeof err->message];
    snprintf(msg, sizeof msg, "%s", err->message);
    return host_fail(err, WASM_TRAP, "call to %s of component `%s`: %s", f->func, f->component,
                     msg);
  }
  return WASM_OK;
}

/* plugin_host.call: one export call in an instance of the component's
 * pool on a call slot, within its limits. */
static wasm_status hr_call(plugin_host *h, const char *workload_id, const char *component,
                           const char *func, const cm_val *args, size_t nargs, cm_val *result,
                           wasm_error *err) {
  host_runtime *rt = h->env;
  pthread_mutex_lock(&rt->mu);
  hr_workload *wl = find_locked(rt, workload_id);
  if (wl) atomic_fetch_add(&wl->refs, 1);
  pthread_mutex_unlock(&rt->mu);
  if (!wl) return host_fail(err, WASM_BAD_ARG, "no workload %s", workload_id);
  hr_item *it = NULL;
  for (size_t i = 0; i < wl->w->ncomponents; i++) /* not the service */
    if (strcmp(wl->items[i].name, component) == 0) it = &wl->items[i];
  wasm_status st;
  if (!it) st = host_fail(err, WASM_BAD_ARG, "workload %s has no component `%s`", workload_id, component);
  else {
    /* the call slot first, then the gate: a call holding a place never
     * waits for a slot (the plan has no cycles) */
    pthread_mutex_lock(&wl->call_mu);
    unsigned j = 0;
    for (;;) {
      for (j = 0; j < HR_CALL_SLOTS && wl->call_busy[j]; j++) {}
      if (j < HR_CALL_SLOTS) break;
      pthread_cond_wait(&wl->call_cv, &wl->call_mu);
    }
    wl->call_busy[j] = true;
    pthread_mutex_unlock(&wl->call_mu);
    unsigned k = rt->cfg.workers + j;
    hr_slot *s = &it->slots[k];
    uint64_t ticks;
    st = hr_enter(rt, it, &ticks, err);
    if (!st) {
      host_inst in = {0};
      st = host_pool_take(&s->pool, ticks, &in, err);
      if (!st) {
        cm_func *f = cm_instance_func(in.inst, func);
        if (!f) st = host_fail(err, WASM_BAD_ARG, "component `%s` has no export %s", component, func);
        else st = cm_func_call(f, args, nargs, result, err);
      }
      hr_give(s, &in, !st);
      host_gate_leave(&it->gate);
      hr_drop_linked(wl, k); /* composition */
      wasm_error ferr = {0};
      host_pool_fill(&s->pool, &ferr); /* a failure shows at the next take */
    }
    pthread_mutex_lock(&wl->call_mu);
    wl->call_busy[j] = false;
    pthread_cond_signal(&wl->call_cv);
    pthread_mutex_unlock(&wl->call_mu);
  }
  hr_release(wl);
  return st;
}

/* plugin_host.has_export: whether a component of the workload exports
 * func ("iface#name" or a root name). */
static bool hr_has_export(plugin_host *h, const char *workload_id, const char *component,
                          const char *func) {
  host_runtime *rt = h->env;
  pthread_mutex_lock(&rt->mu);
  hr_workload *wl = find_locked(rt, workload_id);
  if (wl) atomic_fetch_add(&wl->refs, 1);
  pthread_mutex_unlock(&rt->mu);
  if (!wl) return false;
  const char *hash = strchr(func, '#');
  size_t n = hash ? (size_t)(hash - func) : strlen(func);
  bool found = false;
  for (size_t i = 0; i < wl->w->ncomponents && !found; i++) {
    if (strcmp(wl->items[i].name, component) != 0) continue;
    const cm_component *c = wl->items[i].comp;
    for (uint32_t k = 0; k < cm_component_export_count(c) && !found; k++) {
      const char *e = cm_component_export_name(c, k);
      found = strlen(e) == n && strncmp(e, func, n) == 0;
    }
  }
  hr_release(wl);
  return found;
}

/* service: its state (host.h) */
bool host_runtime_service_status(host_runtime *rt, const char *id, host_service_status *out) {
  memset(out, 0, sizeof *out);
  pthread_mutex_lock(&rt->mu);
  hr_workload *wl = find_locked(rt, id);
  if (wl && wl->svc) host_service_get_status(wl->svc, out);
  pthread_mutex_unlock(&rt->mu);
  return wl != NULL;
}

/* The host part of a Host header value: without the port, or the
 * brackets of an IPv6 literal. */
static void host_part(const char *a, const char **h, size_t *n) {
  if (a[0] == '[') {
    const char *e = strchr(a, ']');
    *h = a + 1;
    *n = e ? (size_t)(e - a - 1) : strlen(a + 1);
    return;
  }
  const char *c = strrchr(a, ':');
  *h = a;
  *n = c ? (size_t)(c - a) : strlen(a);
}

static bool host_matches(const char *configured, const char *h, size_t n) {
  const char *ch;
  size_t cn;
  host_part(configured, &ch, &cn);
  return cn == n && strncasecmp(ch, h, n) == 0;
}

/* The workload for a request (a reference taken), or NULL. */
static hr_workload *hr_route(host_runtime *rt, const char *authority) {
  const char *h;
  size_t n;
  host_part(authority ? authority : "", &h, &n);
  pthread_mutex_lock(&rt->mu);
  hr_workload *best = NULL, *only = NULL;
  size_t nroutable = 0;
  for (hr_workload *wl = rt->list; wl; wl = wl->next) {
    if (!wl->routable) continue;
    nroutable++;
    only = wl;
    if (wl->w->http_host && host_matches(wl->w->http_host, h, n) && (!best || wl->seq > best->seq))
      best = wl;
  }
  if (!best && rt->cfg.dev && nroutable == 1 && !only->w->http_host) best = only;
  if (best) atomic_fetch_add(&best->refs, 1);
  pthread_mutex_unlock(&rt->mu);
  return best;
}

void host_http_failed(struct http_exchange *x, const wasm_error *err, const char *who) {
  bool timed_out = strstr(err->message, "deadline exceeded") != NULL;
  if (!http_response_started(x))
    http_response_simple(x, timed_out ? 504 : 500,
                         timed_out ? "the component ran past the request timeout\n"
                                   : "the component failed\n");
  const char *why = err->message[0] ? err->message : "error";
  if (who) http_exchange_note(x, "%s: %s", who, why);
  else http_exchange_note(x, "%s", why);
}

void host_runtime_handle_http(void *env, unsigned worker, http_exchange *x,
                              const http_request *req) {
  host_runtime *rt = env;
  if (worker >= rt->cfg.workers) {
    http_response_simple(x, 500, "no such worker\n");
    return;
  }
  hr_workload *wl = hr_route(rt, req->authority);
  if (!wl) {
    http_response_simple(x, 400, "no workload serves this host\n");
    http_exchange_note(x, "no route for host \"%s\"", req->authority ? req->authority : "");
    return;
  }
  if (wl->handler < 0) {
    http_response_simple(x, 404, "the workload has no HTTP handler\n");
    http_exchange_note(x, "%s: no component exports wasi:http/incoming-handler", wl->id);
    hr_release(wl);
    return;
  }
  hr_item *it = &wl->items[wl->handler];
  hr_slot *s = &it->slots[worker];
  wasm_error err = {0};
  uint64_t ticks;
  if (hr_enter(rt, it, &ticks, &err)) {
    http_response_simple(x, 503, "the component is at its cpuLimit; try again later\n");
    http_exchange_note(x, "%s", err.message);
    hr_release(wl);
    return;
  }
  host_inst in = {0};
  wasm_status st = host_pool_take(&s->pool, ticks, &in, &err);
  if (!st) st = http_wasi_handle(s->http, in.inst, x, req, &err);
  if (st) host_http_failed(x, &err, it->name);
  hr_give(s, &in, !st);
  host_gate_leave(&it->gate);
  hr_drop_linked(wl, worker); /* composition */
  /* limits: the response is out; make the next request's instances now */
  host_pool_fill(&s->pool, &err);
  hr_release(wl);
}

/* limits: host.h */
bool host_runtime_component_stats(host_runtime *rt, const char *id, const char *component,
                                  host_component_stats *out) {
  memset(out, 0, sizeof *out);
  pthread_mutex_lock(&rt->mu);
  hr_workload *wl = find_locked(rt, id);
  bool found = false;
  for (size_t i = 0; wl && i < wl->w->ncomponents && !found; i++) {
    hr_item *it = &wl->items[i];
    if (strcmp(it->name, component) != 0) continue;
    found = true;
    *out = (host_component_stats){
        .instances = atomic_load(&it->ctr.made), .made_ahead = atomic_load(&it->ctr.made_ahead),
        .invocations = atomic_load(&it->ctr.invocations),
        .from_pool = atomic_load(&it->ctr.from_pool), .reused = atomic_load(&it->ctr.reused),
        .busy = atomic_load(&it->ctr.busy), .running = atomic_load(&it->gate.running),
        .max_running = atomic_load(&it->gate.max_running),
        .ready = (uint32_t)atomic_load(&it->ctr.ready)};
  }
  pthread_mutex_unlock(&rt->mu);
  return found;
}

/* ---- the runtime ---- */

wasm_status host_runtime_new(const host_runtime_config *cfg, host_runtime **out,
                             wasm_error *err) {
  *out = NULL;
  if (!cfg->engine || cfg->workers < 1)
    return host_fail(err, WASM_BAD_ARG, "host_runtime_new: an engine and a worker are needed");
  host_runtime *rt = calloc(1, sizeof *rt);
  if (!rt) return host_fail(err, WASM_NOMEM, "out of memory");
  rt->cfg = *cfg;
  rt->plugins = calloc(cfg->nplugins + 1, sizeof *rt->plugins);
  if (!rt->plugins) {
    free(rt);
    return host_fail(err, WASM_NOMEM, "out of memory");
  }
  for (size_t k = 0; k < cfg->nplugins; k++) rt->plugins[k] = cfg->plugins[k];
  rt->cfg.plugins = rt->plugins;
  pthread_mutex_init(&rt->mu, NULL);
  rt->host = (plugin_host){.call = hr_call, .has_export = hr_has_export, .env = rt};
  wasm_status st = WASM_OK;
  for (size_t k = 0; k < cfg->nplugins && !st; k++) {
    for (size_t j = 0; j < k; j++)
      if (strcmp(rt->plugins[j]->id, rt->plugins[k]->id) == 0)
        st = host_fail(err, WASM_BAD_ARG, "two plugins with id %s", rt->plugins[k]->id);
    plugin *p = rt->plugins[k];
    if (!st && p->start && (st = p->start(p, err)))
      hr_wrap(err, st, "plugin %s", p->id);
    if (!st) rt->nstarted = k + 1;
  }
  if (!st && cfg->log) st = host_log_new(cfg->log, &rt->log, err);
  if (!st && cfg->timeout_ns) {
    rt->deadline_ticks = host_deadline_ticks(cfg->timeout_ns);
    if (!(rt->ticker = host_ticker_start(rt->cfg.engine)))
      st = host_fail(err, WASM_NOMEM, "cannot start the epoch ticker");
  }
  if (st) {
    host_runtime_delete(rt);
    return st;
  }
  *out = rt;
  return WASM_OK;
}

void host_runtime_delete(host_runtime *rt) {
  if (!rt) return;
  for (;;) {
    pthread_mutex_lock(&rt->mu);
    hr_workload *wl = rt->list;
    if (wl) list_remove_locked(rt, wl);
    pthread_mutex_unlock(&rt->mu);
    if (!wl) break;
    host_service_stop(wl->svc); /* service */
    hr_release(wl);
  }
  host_ticker_stop(rt->ticker);
  host_log_delete(rt->log);
  for (size_t k = rt->nstarted; k-- > 0;)
    if (rt->plugins[k]->stop) rt->plugins[k]->stop(rt->plugins[k]);
  pthread_mutex_destroy(&rt->mu);
  free(rt->plugins);
  free(rt);
}
