/* host_service.c: a workload's service (host.h, "the service"): the
 * long-running wasi:cli/run component on its own thread with its restart
 * policy, the workload's virtual loopback network (a wasi2_net_hook on
 * every context of the workload), and forwarding the service's imports
 * to the components exporting them.
 *
 * Stopping: the service has an engine of its own whose epoch nobody but
 * host_service_stop advances, so its store's deadline (one tick) fires
 * only then; an eventfd set as the context's interrupt wakes its blocking
 * waits so that the wasm runs on into that deadline. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "host/host_internal.h"
#include "host/host_link.h"
#include "host/host_service.h"

#define HS_BACKOFF_FIRST_MS 100
#define HS_BACKOFF_MAX_MS 10000
#define HS_MAX_PORTS 1024

/* ---- the virtual loopback network ---- */

typedef struct hs_port {
  int type, family;
  uint16_t guest, real;
} hs_port;

typedef struct hs_side { /* a hook's env: which side of the network */
  host_service *s;
  bool service;
} hs_side;

struct host_service {
  char *id;
  host_service_config cfg;
  wasm_engine *engine;
  /* the network */
  pthread_mutex_t nmu;
  hs_port ports[HS_MAX_PORTS];
  size_t nports;
  hs_side sides[2];
  wasi2_net_hook hooks[2];
  /* forwarded imports (host_link.c) */
  host_fwds fwds;
  /* the thread */
  const cm_component *comp;
  cm_instance_pre *pre;
  wasi2_ctx *wasi;
  http_wasi *http;
  char run_name[128];
  int intr_fd;
  pthread_t thread;
  bool started, joined;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool stopping;
  host_service_status st;
};

static bool is_any(const struct sockaddr_storage *a) {
  if (a->ss_family == AF_INET)
    return ((const struct sockaddr_in *)a)->sin_addr.s_addr == htonl(INADDR_ANY);
  return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)a)->sin6_addr);
}

static bool is_loopback(const struct sockaddr_storage *a) {
  if (a->ss_family == AF_INET)
    return (ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr) >> 24) == 127;
  return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)a)->sin6_addr);
}

/* The loopback address (127.0.0.1 or ::1) with port, in place. */
static void set_loopback(struct sockaddr_storage *a, uint16_t port) {
  if (a->ss_family == AF_INET) {
    struct sockaddr_in *in = (struct sockaddr_in *)a;
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    in->sin_port = htons(port);
  } else {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)a;
    in6->sin6_addr = in6addr_loopback;
    in6->sin6_port = htons(port);
  }
}

static uint16_t port_of(const struct sockaddr_storage *a) {
  return ntohs(a->ss_family == AF_INET ? ((const struct sockaddr_in *)a)->sin_port
                                       : ((const struct sockaddr_in6 *)a)->sin6_port);
}

static hs_port *find_port_locked(host_service *s, int type, int family, uint16_t guest) {
  for (size_t i = 0; i < s->nports; i++)
    if (s->ports[i].type == type && s->ports[i].family == family && s->ports[i].guest == guest)
      return &s->ports[i];
  return NULL;
}

static int net_map(void *env, int op, int type, struct sockaddr_storage *a) {
  hs_side *side = env;
  host_service *s = side->s;
  if (a->ss_family != AF_INET && a->ss_family != AF_INET6) return EAFNOSUPPORT;
  uint16_t port = port_of(a);
  if (op == WASI2_NET_OP_BIND) {
    /* only the service listens, only on the workload's loopback */
    if (!side->service || !(is_any(a) || is_loopback(a))) return EACCES;
    pthread_mutex_lock(&s->nmu);
    bool taken = port && find_port_locked(s, type, a->ss_family, port);
    pthread_mutex_unlock(&s->nmu);
    if (taken) return EADDRINUSE;
    set_loopback(a, 0); /* a free real port; bound() records the pair */
    return 0;
  }
  if (!is_loopback(a)) return EACCES; /* no way out of the workload */
  pthread_mutex_lock(&s->nmu);
  hs_port *p = find_port_locked(s, type, a->ss_family, port);
  uint16_t real = p ? p->real : 0;
  pthread_mutex_unlock(&s->nmu);
  if (!real) return ECONNREFUSED;
  set_loopback(a, real);
  return 0;
}

static void net_bound(void *env, int type, const struct sockaddr_storage *asked,
                      const struct sockaddr_storage *real) {
  hs_side *side = env;
  host_service *s = side->s;
  uint16_t g = port_of(asked), r = port_of(real);
  pthread_mutex_lock(&s->nmu);
  hs_port *p = find_port_locked(s, type, asked->ss_family, g ? g : r);
  if (!p && s->nports < HS_MAX_PORTS) p = &s->ports[s->nports++];
  if (p) *p = (hs_port){.type = type, .family = asked->ss_family, .guest = g ? g : r, .real = r};
  pthread_mutex_unlock(&s->nmu);
}

/* The service instance ended: its sockets are closed, its ports free. */
static void net_clear(host_service *s) {
  pthread_mutex_lock(&s->nmu);
  s->nports = 0;
  pthread_mutex_unlock(&s->nmu);
}

/* ---- lifetime ---- */

wasm_status host_service_new(const host_service_config *cfg, host_service **out,
                             wasm_error *err) {
  *out = NULL;
  host_service *s = calloc(1, sizeof *s);
  if (!s) return host_fail(err, WASM_NOMEM, "out of memory");
  s->cfg = *cfg;
  s->id = strdup(cfg->workload_id ? cfg->workload_id : "workload");
  s->engine = wasm_engine_new(NULL);
  s->intr_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  pthread_mutex_init(&s->nmu, NULL);
  pthread_mutex_init(&s->mu, NULL);
  pthread_condattr_t ca; /* the backoff waits on the monotonic clock */
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&s->cv, &ca);
  pthread_condattr_destroy(&ca);
  s->st.state = HOST_SERVICE_STARTING;
  for (int i = 0; i < 2; i++) {
    s->sides[i] = (hs_side){.s = s, .service = i == 1};
    s->hooks[i] = (wasi2_net_hook){.map = net_map, .bound = net_bound, .env = &s->sides[i]};
  }
  if (!s->id || !s->engine || s->intr_fd < 0) {
    host_service_delete(s);
    return host_fail(err, WASM_NOMEM, "cannot set up the service: %s", strerror(errno));
  }
  *out = s;
  return WASM_OK;
}

wasm_engine *host_service_engine(host_service *s) { return s->engine; }

const wasi2_net_hook *host_service_net_hook(host_service *s, bool for_service) {
  return &s->hooks[for_service ? 1 : 0];
}

void host_service_delete(host_service *s) {
  if (!s) return;
  host_service_stop(s);
  host_fwds_free(&s->fwds);
  if (s->intr_fd >= 0) close(s->intr_fd);
  if (s->engine) wasm_engine_delete(s->engine);
  pthread_cond_destroy(&s->cv);
  pthread_mutex_destroy(&s->mu);
  pthread_mutex_destroy(&s->nmu);
  free(s->id);
  free(s);
}

/* ---- state ---- */

const char *host_service_state_name(host_service_state st) {
  switch (st) {
  case HOST_SERVICE_NONE: return "NONE";
  case HOST_SERVICE_STARTING: return "STARTING";
  case HOST_SERVICE_RUNNING: return "RUNNING";
  case HOST_SERVICE_RESTARTING: return "RESTARTING";
  case HOST_SERVICE_COMPLETED: return "COMPLETED";
  case HOST_SERVICE_FAILED: return "FAILED";
  case HOST_SERVICE_STOPPED: return "STOPPED";
  }
  return "?";
}

/* Sets the state and logs it with a detail. */
static void set_state(host_service *s, host_service_state st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_state(host_service *s, host_service_state st, const char *fmt, ...) {
  char detail[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  pthread_mutex_lock(&s->mu);
  s->st.state = st;
  pthread_mutex_unlock(&s->mu);
  FILE *f = s->cfg.log ? s->cfg.log : stderr;
  fprintf(f, "stratus: workload %s: service %s%s%s\n", s->id, host_service_state_name(st),
          detail[0] ? " " : "", detail);
  fflush(f);
}

void host_service_get_status(host_service *s, host_service_status *out) {
  pthread_mutex_lock(&s->mu);
  *out = s->st;
  pthread_mutex_unlock(&s->mu);
}

/* ---- forwarding imports to components ---- */

static wasm_status hs_forward(void *env, cm_instance *caller, const cm_val *args, size_t nargs,
                              cm_val *result, wasm_error *err) {
  host_fwd *f = env;
  host_service *s = f->ctx;
  pthread_mutex_lock(&s->mu);
  bool stopping = s->stopping;
  pthread_mutex_unlock(&s->mu);
  if (stopping) return host_fail(err, WASM_TRAP, "the workload is stopping");
  wasm_status st = s->cfg.host->call(s->cfg.host, s->id, f->component, f->func, args, nargs,
                                     result, err);
  if (st) {
    char msg[sizeof err->message];
    snprintf(msg, sizeof msg, "%s", err->message);
    return host_fail(err, WASM_TRAP, "service call to %s of component `%s`: %s", f->func,
                     f->component, msg);
  }
  return WASM_OK;
}

wasm_status host_service_link(host_service *s, cm_linker *l, const cm_component *svc,
                              const host_item_plan *ip, const char *const *names,
                              wasm_error *err) {
  /* each call: a fresh instance of the component (plugin_host.call) */
  return host_link_define(&s->fwds, l, svc, ip, names, "the service", hs_forward, s, 0, err);
}

/* ---- the thread ---- */

static bool stopping(host_service *s) {
  pthread_mutex_lock(&s->mu);
  bool r = s->stopping;
  pthread_mutex_unlock(&s->mu);
  return r;
}

/* One run in a fresh instance: 0 ok, 1 failed (why in err). */
static int run_once(host_service *s, wasm_error *err) {
  wasm_store *store = wasm_store_new(s->engine);
  if (!store) {
    host_fail(err, WASM_NOMEM, "out of memory");
    return 1;
  }
  if (s->cfg.max_memory) {
    wasm_store_limits lim = {.max_memory_bytes = s->cfg.max_memory};
    wasm_store_set_limits(store, &lim);
  }
  /* the engine's epoch is 0 until host_service_stop: one tick from 0,
   * or at once when the stop already happened */
  wasm_store_set_epoch_deadline(store, wasm_engine_epoch(s->engine) == 0 ? 1 : 0);
  cm_instance *inst = NULL;
  int rc = 1;
  wasm_status st = cm_instance_pre_instantiate(s->pre, store, &inst, err);
  if (!st) {
    cm_func *f = cm_instance_func(inst, s->run_name);
    cm_val result = {0};
    if (!f) st = host_fail(err, WASM_BAD_ARG, "the service has no export %s", s->run_name);
    else st = cm_func_call(f, NULL, 0, &result, err);
    int code;
    if (st && wasi2_exit_code(s->wasi, &code)) {
      rc = code != 0;
      if (rc) host_fail(err, WASM_TRAP, "exit with code %d", code);
    } else if (!st) {
      rc = result.kind == CM_RESULT && result.of.variant.disc != 0;
      if (rc) host_fail(err, WASM_TRAP, "run returned err");
    }
    cm_val_free(&result);
  }
  if (inst) cm_instance_delete(inst);
  wasm_store_delete(store);
  if (s->http) http_wasi_reset(s->http);
  else wasi2_ctx_reset(s->wasi);
  net_clear(s);
  return rc;
}

static void *service_main(void *arg) {
  host_service *s = arg;
  uint32_t backoff = HS_BACKOFF_FIRST_MS;
  int32_t max = s->cfg.max_restarts < 0 ? 0 : s->cfg.max_restarts;
  for (;;) {
    pthread_mutex_lock(&s->mu);
    s->st.runs++;
    uint32_t runs = s->st.runs;
    pthread_mutex_unlock(&s->mu);
    set_state(s, HOST_SERVICE_RUNNING, "(run %u)", runs);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    wasm_error err = {0};
    int rc = run_once(s, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (stopping(s)) break;
    if (rc == 0) {
      set_state(s, HOST_SERVICE_COMPLETED, "(run returned ok)");
      return NULL;
    }
    pthread_mutex_lock(&s->mu);
    snprintf(s->st.last_error, sizeof s->st.last_error, "%s", err.message);
    bool retry = s->st.restarts < (uint32_t)max;
    if (retry) s->st.restarts++;
    uint32_t restarts = s->st.restarts;
    pthread_mutex_unlock(&s->mu);
    if (!retry) {
      set_state(s, HOST_SERVICE_FAILED, "after %u restart%s: %s", restarts,
                restarts == 1 ? "" : "s", err.message);
      return NULL;
    }
    /* a run that lasted past the longest backoff starts the ladder again */
    if (t1.tv_sec - t0.tv_sec > HS_BACKOFF_MAX_MS / 1000) backoff = HS_BACKOFF_FIRST_MS;
    set_state(s, HOST_SERVICE_RESTARTING, "in %u ms (restart %u of %d): %s", backoff, restarts,
              max, err.message);
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += backoff / 1000;
    until.tv_nsec += (long)(backoff % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) until.tv_sec++, until.tv_nsec -= 1000000000;
    pthread_mutex_lock(&s->mu);
    while (!s->stopping && pthread_cond_timedwait(&s->cv, &s->mu, &until) != ETIMEDOUT) {}
    bool stop = s->stopping;
    pthread_mutex_unlock(&s->mu);
    if (stop) break;
    backoff = backoff * 2 > HS_BACKOFF_MAX_MS ? HS_BACKOFF_MAX_MS : backoff * 2;
  }
  set_state(s, HOST_SERVICE_STOPPED, "%s", "");
  return NULL;
}

wasm_status host_service_start(host_service *s, const cm_component *svc, cm_instance_pre *pre,
                               wasi2_ctx *wasi, http_wasi *http, wasm_error *err) {
  s->comp = svc;
  s->pre = pre;
  s->wasi = wasi;
  s->http = http;
  for (uint32_t i = 0; i < cm_component_export_count(svc); i++) {
    const char *n = cm_component_export_name(svc, i);
    if (strncmp(n, "wasi:cli/run@0.2.", 17) == 0) snprintf(s->run_name, sizeof s->run_name, "%s#run", n);
  }
  if (!s->run_name[0])
    return host_fail(err, WASM_BAD_ARG, "the service does not export wasi:cli/run@0.2.x");
  wasi2_ctx_set_interrupt(wasi, s->intr_fd);
  if (pthread_create(&s->thread, NULL, service_main, s) != 0)
    return host_fail(err, WASM_NOMEM, "cannot start the service thread");
  s->started = true;
  return WASM_OK;
}

void host_service_stop(host_service *s) {
  if (!s) return;
  pthread_mutex_lock(&s->mu);
  s->stopping = true;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  if (!s->started || s->joined) return;
  uint64_t one = 1;
  ssize_t r = write(s->intr_fd, &one, sizeof one);
  (void)r;
  wasm_engine_increment_epoch(s->engine);
  pthread_join(s->thread, NULL);
  s->joined = true;
}
