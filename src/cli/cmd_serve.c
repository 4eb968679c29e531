/*
 * cmd_serve.c: `stratus serve [options] app.wasm`: serves a wasi:http
 * component (one exporting wasi:http/incoming-handler) over HTTP/1.1.
 *
 * The component is compiled once. Each worker thread keeps a linker with
 * WASI 0.2 and wasi:http defined and a pre-instance of the component; each
 * request gets a new store and an instance stamped from the pre-instance
 * (core memories start as copy-on-write images), so nothing one request
 * leaves behind reaches the next. With --reuse a worker keeps its
 * instance for the next request as long as requests end well (for
 * components written to be reused).
 *
 *   --addr HOST:PORT      listen address (default 127.0.0.1:8000; port 0
 *                         picks a free one, printed at start)
 *   --workers N           worker threads (default: one per core)
 *   --timeout DURATION    interrupt a request's guest after DURATION
 *                         (default 30s; e.g. 500ms, 2m): 504
 *   --max-memory BYTES    cap each linear memory (K, M, G suffixes)
 *   --max-body BYTES      largest request body (default 1G): 413
 *   --allow-host HOST     outgoing requests may reach HOST: "example.com",
 *                         "*.example.com", with an optional ":port";
 *                         repeatable; none: every outgoing request is denied
 *   --env K=V             add K=V to the guest's environment
 *   --dir HOST[::GUEST]   preopen a host directory for the guest
 *   --reuse               keep an instance across requests
 *   --access-log FILE     where the access log goes (default: stderr; "-": stdout)
 *   --quiet               no access log
 *
 * A guest that traps gets a 500, one interrupted by --timeout a 504; the
 * access-log line carries the trap. SIGINT and SIGTERM stop the server
 * gracefully: in-flight requests finish, then it exits 0.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "stratus/component.h"
#include "stratus/host.h"
#include "stratus/http.h"
#include "stratus/wasi.h"
#include "stratus/wasm.h"

#define SERVE_MAX_WORKERS 1024

typedef struct serve_opts {
  const char *addr, *path, *access_log;
  unsigned workers;
  uint64_t timeout_ns, max_memory, max_body;
  const char **hosts, **env;
  uint32_t nhosts, nenv;
  wasi_preopen *dirs;
  uint32_t ndirs;
  bool reuse, quiet;
} serve_opts;

/* What one worker thread keeps from request to request. */
typedef struct serve_worker {
  wasi2_ctx *wasi;
  cm_linker *linker;
  http_wasi *http;
  cm_instance_pre *pre;
  wasm_store *store; /* --reuse: the kept instance and its store */
  cm_instance *inst;
} serve_worker;

typedef struct serve {
  const serve_opts *o;
  wasm_engine *engine;
  cm_component *component;
  serve_worker *workers;
  unsigned nworkers;
  uint64_t deadline_ticks; /* 0: no timeout */
  host_ticker *ticker; /* advances the engine's epoch for the deadlines */
} serve;

static http_server *serve_running; /* for the signal handler */

static void on_signal(int sig) {
  (void)sig;
  if (serve_running) http_server_stop(serve_running);
}

static int serve_usage(void) {
  fprintf(stderr, "usage: stratus serve [--addr HOST:PORT] [--workers N] [--timeout DURATION] "
                  "[--max-memory BYTES] [--max-body BYTES] [--allow-host HOST]... "
                  "[--env K=V]... [--dir HOST[::GUEST]]... [--reuse] "
                  "[--access-log FILE|-] [--quiet] app.wasm\n");
  return 2;
}

/* Parses the options; the strings stay in argv. */
static int parse_opts(int argc, char **argv, serve_opts *o) {
  *o = (serve_opts){.addr = "127.0.0.1:8000", .timeout_ns = 30000000000ull};
  o->hosts = calloc((size_t)argc, sizeof *o->hosts);
  o->env = calloc((size_t)argc, sizeof *o->env);
  o->dirs = calloc((size_t)argc, sizeof *o->dirs);
  if (!o->hosts || !o->env || !o->dirs) return -1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--reuse") == 0) { o->reuse = true; continue; }
    if (strcmp(a, "--quiet") == 0) { o->quiet = true; continue; }
    if (a[0] != '-') {
      if (o->path || i != argc - 1) return -1;
      o->path = a;
      continue;
    }
    cli_opt op;
    if (!cli_opt_split(argc, argv, &i, &op)) return -1;
    const char *val = op.val;
#define OPT(name) cli_opt_is(&op, name)
    uint64_t n;
    if (OPT("--addr")) o->addr = val;
    else if (OPT("--workers") && cli_parse_count(val, SERVE_MAX_WORKERS, &n)) o->workers = (unsigned)n;
    else if (OPT("--timeout") && cli_parse_duration(val, &o->timeout_ns)) {}
    else if (OPT("--max-memory") && cli_parse_bytes(val, &o->max_memory)) {}
    else if (OPT("--max-body") && cli_parse_bytes(val, &o->max_body)) {}
    else if (OPT("--allow-host")) o->hosts[o->nhosts++] = val;
    else if (OPT("--env") && strchr(val, '=')) o->env[o->nenv++] = val;
    else if (OPT("--access-log")) o->access_log = val;
    else if (OPT("--dir")) {
      wasi_preopen *p = &o->dirs[o->ndirs++];
      const char *sep = strstr(val, "::");
      p->host_path = sep ? strndup(val, (size_t)(sep - val)) : val;
      p->guest_path = sep ? sep + 2 : val;
      if (!p->host_path) return -1;
    } else return -1;
#undef OPT
  }
  return o->path ? 0 : -1;
}

static void free_opts(serve_opts *o) {
  for (uint32_t i = 0; o->dirs && i < o->ndirs; i++)
    if (o->dirs[i].host_path != o->dirs[i].guest_path) free((char *)o->dirs[i].host_path);
  free(o->dirs);
  free(o->env);
  free(o->hosts);
}

/* ---- workers ---- */

static wasm_status worker_init(serve *sv, serve_worker *w, wasm_error *err) {
  const serve_opts *o = sv->o;
  wasi2_config wc = {.env = o->env, .nenv = o->nenv, .stdin_fd = -1, .stdout_fd = 1,
                     .stderr_fd = 2, .preopens = o->dirs, .npreopens = o->ndirs};
  const char *args[] = {o->path};
  wc.args = args;
  wc.nargs = 1;
  http_wasi_config hc = {.allowed_hosts = o->hosts, .nallowed = o->nhosts};
  w->linker = cm_linker_new(sv->engine);
  if (!w->linker) return WASM_NOMEM;
  wasm_status st = wasi2_ctx_new(&wc, &w->wasi, err);
  if (!st) st = wasi2_link(w->wasi, w->linker, err);
  if (!st) st = http_wasi_new(&hc, w->wasi, &w->http, err);
  if (!st) st = http_wasi_link(w->http, w->linker, err);
  if (!st) st = cm_linker_instantiate_pre(w->linker, sv->component, &w->pre, err);
  return st;
}

static void worker_drop_instance(serve_worker *w) {
  if (w->inst) cm_instance_delete(w->inst);
  if (w->store) wasm_store_delete(w->store);
  w->inst = NULL;
  w->store = NULL;
}

static void worker_free(serve_worker *w) {
  worker_drop_instance(w);
  cm_instance_pre_delete(w->pre);
  http_wasi_delete(w->http);
  cm_linker_delete(w->linker);
  wasi2_ctx_delete(w->wasi);
}

static wasm_status new_instance(serve *sv, serve_worker *w, wasm_error *err) {
  w->store = wasm_store_new(sv->engine);
  if (!w->store) return WASM_NOMEM;
  if (sv->o->max_memory) {
    wasm_store_limits lim = {.max_memory_bytes = sv->o->max_memory};
    wasm_store_set_limits(w->store, &lim);
  }
  return cm_instance_pre_instantiate(w->pre, w->store, &w->inst, err);
}

/* The server's handler: one request, one instance. */
static void serve_request(void *env, unsigned worker, http_exchange *x, const http_request *req) {
  serve *sv = env;
  serve_worker *w = &sv->workers[worker];
  wasm_error err = {0};
  wasm_status st = w->inst ? WASM_OK : new_instance(sv, w, &err);
  if (!st) {
    if (sv->deadline_ticks) wasm_store_set_epoch_deadline(w->store, sv->deadline_ticks);
    st = http_wasi_handle(w->http, w->inst, x, req, &err);
  }
  if (st) host_http_failed(x, &err, NULL);
  /* A kept instance may still hold WASI objects (its stdout stream, say):
   * the context is cleared only with the instance. */
  if (st || !sv->o->reuse) {
    worker_drop_instance(w);
    http_wasi_reset(w->http);
  }
}

/* Whether the component exports wasi:http/incoming-handler (any 0.2.x). */
static bool exports_handler(const cm_component *c) {
  for (uint32_t i = 0; i < cm_component_export_count(c); i++)
    if (strncmp(cm_component_export_name(c, i), "wasi:http/incoming-handler@0.2.", 31) == 0)
      return true;
  return false;
}

int cmd_serve(int argc, char **argv) {
  serve_opts o;
  if (parse_opts(argc, argv, &o) != 0) {
    free_opts(&o);
    return serve_usage();
  }
  int rc = 1;
  uint8_t *bytes = NULL;
  size_t len = 0;
  wasm_error err = {0};
  serve sv = {.o = &o};
  http_server *srv = NULL;
  FILE *log = NULL;
  if (!cli_read_file(o.path, &bytes, &len)) {
    fprintf(stderr, "error: cannot read %s: %s\n", o.path, strerror(errno));
    goto done;
  }
  sv.engine = wasm_engine_new(NULL);
  if (!sv.engine) goto oom;
  if (!cm_is_component(bytes, len)) {
    fprintf(stderr, "error: %s is not a component (stratus serve runs wasi:http components)\n",
            o.path);
    goto done;
  }
  if (cm_component_new(sv.engine, bytes, len, &sv.component, &err) != WASM_OK) {
    fprintf(stderr, "error: %s: %s\n", o.path, err.message);
    goto done;
  }
  if (!exports_handler(sv.component)) {
    fprintf(stderr, "error: %s does not export wasi:http/incoming-handler\n", o.path);
    goto done;
  }
  sv.nworkers = o.workers ? o.workers : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
  if (sv.nworkers < 1) sv.nworkers = 1;
  sv.workers = calloc(sv.nworkers, sizeof *sv.workers);
  if (!sv.workers) goto oom;
  /* Link every worker now, so a missing import fails at start. */
  for (unsigned i = 0; i < sv.nworkers; i++) {
    wasm_status st = worker_init(&sv, &sv.workers[i], &err);
    if (st) {
      fprintf(stderr, "error: %s: %s\n", o.path, st == WASM_NOMEM ? "out of memory" : err.message);
      goto done;
    }
  }
  if (o.timeout_ns) {
    sv.deadline_ticks = host_deadline_ticks(o.timeout_ns);
    if (!(sv.ticker = host_ticker_start(sv.engine))) goto oom;
  }
  log = o.quiet ? NULL : !o.access_log ? stderr : strcmp(o.access_log, "-") == 0 ? stdout
                                                : fopen(o.access_log, "a");
  if (!o.quiet && !log) {
    fprintf(stderr, "error: cannot open %s: %s\n", o.access_log, strerror(errno));
    goto done;
  }
  http_server_config hc = {.addr = o.addr, .workers = sv.nworkers, .max_body_bytes = o.max_body,
                           .access_log = log, .handler = serve_request, .env = &sv};
  if (http_server_new(&hc, &srv, &err) != WASM_OK) {
    fprintf(stderr, "error: %s\n", err.message);
    goto done;
  }
  serve_running = srv;
  struct sigaction sa = {.sa_handler = on_signal};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  fprintf(stderr, "stratus serve: %s on http://%s/ (%u workers)\n", o.path,
          http_server_addr(srv), sv.nworkers);
  if (http_server_run(srv, &err) != WASM_OK) {
    fprintf(stderr, "error: %s\n", err.message);
    goto done;
  }
  fprintf(stderr, "stratus serve: stopped\n");
  rc = 0;
  goto done;
oom:
  fprintf(stderr, "error: out of memory\n");
done:
  serve_running = NULL;
  http_server_delete(srv);
  host_ticker_stop(sv.ticker);
  for (unsigned i = 0; sv.workers && i < sv.nworkers; i++) worker_free(&sv.workers[i]);
  free(sv.workers);
  if (log && log != stderr && log != stdout) fclose(log);
  cm_component_delete(sv.component);
  if (sv.engine) wasm_engine_delete(sv.engine);
  free(bytes);
  free_opts(&o);
  return rc;
}
