/*
 * cmd_dev.c: `stratus dev [workload.yaml...] [options]`: runs workloads
 * (wasmCloud v2 Workload or WorkloadDeployment manifests; default
 * workload.yaml) on this machine with the built-in plugins on memory
 * backends, serves their HTTP handlers, and reloads each one when its
 * manifest or one of its component images changes (only that one).
 *
 * One workload without a wasi:http config.host gets every request (dev
 * mode). With several, requests are routed by Host, so each that
 * declares wasi:http needs its config.host, and no two the same one;
 * a workload declaring no wasi:http (a service, a messaging handler)
 * needs none.
 *
 *   --build CMD           run `sh -c CMD` before each reload; a failure
 *                         keeps the running version
 *   --address HOST:PORT   listen address (default 127.0.0.1:8000; port 0
 *                         picks a free one, printed at start)
 *   --workers N           HTTP worker threads (default: one per core)
 *   --timeout DURATION    interrupt a request's guest after DURATION
 *                         (default 30s): 504
 *   --data-dir DIR        keyvalue and blobstore data in DIR/keyvalue and
 *                         DIR/blobstore (directory backends: the data
 *                         survives a restart); default: in memory
 *   --quiet               no access log
 *
 * Reloading is atomic (host_runtime_replace_workload): the new version is
 * started fully, then new requests go to it while requests in flight
 * finish on the old one; a version that fails to load (or a failed build)
 * leaves the old one serving, and the error is printed. Files are watched
 * with inotify on their directories (an editor replacing a file by rename
 * is seen too); changes within 200 ms are taken as one. Guest output
 * lines are prefixed with "[component] ". SIGINT and SIGTERM stop
 * gracefully.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "stratus/host.h"
#include "stratus/http.h"
#include "stratus/plugin.h"

#define DEV_MAX_WORKERS 1024
#define DEV_QUIET_MS 200 /* changes closer than this are one reload */
#define DEV_MAX_WATCH 256
#define DEV_MAX_WORKLOADS 64

typedef struct dev_opts {
  const char *manifests[DEV_MAX_WORKLOADS];
  size_t nmanifests;
  const char *build, *addr, *data_dir;
  unsigned workers;
  uint64_t timeout_ns;
  bool quiet;
} dev_opts;

/* A watched file of workload wl: the directory's watch and the file's
 * name in it (a file two workloads use has one entry per workload). */
typedef struct dev_watch {
  int wd;
  char *name;
  size_t wl;
} dev_watch;

/* One manifest's workload: its running id ("" before the first start)
 * and its host (a copy: the runtime may free the version it came from). */
typedef struct dev_wl {
  char id[HOST_RUNTIME_ID_MAX];
  char *host;
} dev_wl;

typedef struct dev {
  dev_opts o;
  dev_wl wls[DEV_MAX_WORKLOADS];
  int ino;
  dev_watch watches[DEV_MAX_WATCH];
  size_t nwatches;
  http_server *srv;
  wasm_error srv_err;
  wasm_status srv_st;
} dev;

static int wake_pipe[2] = {-1, -1}; /* the signal handler and the server thread wake main */
static http_server *dev_running;

static void on_signal(int sig) {
  (void)sig;
  if (dev_running) http_server_stop(dev_running);
  int saved = errno;
  ssize_t r = write(wake_pipe[1], "s", 1);
  (void)r;
  errno = saved;
}

static int dev_usage(void) {
  fprintf(stderr, "usage: stratus dev [--build CMD] [--address HOST:PORT] [--data-dir DIR] [--workers N] "
                  "[--timeout DURATION] [--quiet] [workload.yaml...]\n");
  return 2;
}

static int parse_opts(int argc, char **argv, dev_opts *o) {
  *o = (dev_opts){.addr = "127.0.0.1:8000", .timeout_ns = 30000000000ull};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--quiet") == 0) { o->quiet = true; continue; }
    if (a[0] != '-') {
      if (o->nmanifests == DEV_MAX_WORKLOADS) {
        fprintf(stderr, "stratus dev: at most %d manifests\n", DEV_MAX_WORKLOADS);
        return -1;
      }
      o->manifests[o->nmanifests++] = a;
      continue;
    }
    cli_opt op;
    if (!cli_opt_split(argc, argv, &i, &op)) return -1;
    const char *val = op.val;
#define OPT(name) cli_opt_is(&op, name)
    uint64_t n;
    if (OPT("--build")) o->build = val;
    else if (OPT("--address") || OPT("--addr")) o->addr = val;
    else if (OPT("--data-dir")) o->data_dir = val;
    else if (OPT("--workers") && cli_parse_count(val, DEV_MAX_WORKERS, &n)) o->workers = (unsigned)n;
    else if (OPT("--timeout") && cli_parse_duration(val, &o->timeout_ns)) {}
    else return -1;
#undef OPT
  }
  if (!o->nmanifests) o->manifests[o->nmanifests++] = "workload.yaml";
  return 0;
}

/* ---- watching files ---- */

/* Watches path's directory for changes to path, a file of workload wl. */
static void watch_file(dev *d, size_t wl, const char *path) {
  char *c1 = strdup(path), *c2 = strdup(path);
  if (c1 && c2 && d->nwatches < DEV_MAX_WATCH) {
    const char *dir = dirname(c1), *base = basename(c2);
    int wd = inotify_add_watch(d->ino, dir,
                               IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_ATTRIB | IN_DELETE);
    bool dup = false;
    for (size_t i = 0; i < d->nwatches; i++)
      dup |= d->watches[i].wd == wd && d->watches[i].wl == wl && strcmp(d->watches[i].name, base) == 0;
    if (wd < 0) fprintf(stderr, "stratus dev: cannot watch %s: %s\n", dir, strerror(errno));
    else if (!dup) {
      char *name = strdup(base);
      if (name) d->watches[d->nwatches++] = (dev_watch){.wd = wd, .name = name, .wl = wl};
    }
  }
  free(c1);
  free(c2);
}

/* The manifest and every local image of w, workload wl. Watches of
 * earlier versions stay (a file dropped from the manifest is watched
 * until exit). */
static void watch_workload(dev *d, size_t wl, const workload *w) {
  watch_file(d, wl, d->o.manifests[wl]);
  for (size_t i = 0; w && i < workload_item_count(w); i++) {
    const workload_image *img = workload_item_image(w, i);
    if (img->path) watch_file(d, wl, img->path);
  }
}

/* Reads the pending inotify events, marking in hit[] the workloads whose
 * files they are about; true when there is one. */
static bool read_events(dev *d, bool *hit) {
  bool any = false;
  char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
  for (;;) {
    ssize_t n = read(d->ino, buf, sizeof buf);
    if (n <= 0) break;
    for (char *p = buf; p < buf + n;) {
      struct inotify_event *ev = (struct inotify_event *)p;
      for (size_t i = 0; ev->len && i < d->nwatches; i++) {
        if (d->watches[i].wd != ev->wd || strcmp(d->watches[i].name, ev->name) != 0) continue;
        hit[d->watches[i].wl] = any = true;
      }
      p += sizeof *ev + ev->len;
    }
  }
  return any;
}

/* ---- reloading ---- */

static bool run_build(const char *cmd) {
  fprintf(stderr, "stratus dev: building: %s\n", cmd);
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "stratus dev: cannot start the build: %s\n", strerror(errno));
    return false;
  }
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
    _exit(127);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  fprintf(stderr, "stratus dev: the build failed (%s %d); still serving the previous version\n",
          WIFEXITED(status) ? "exit status" : "signal",
          WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
  return false;
}

static bool declares_http(const workload *w) {
  for (size_t i = 0; i < w->nhost_interfaces; i++) {
    const plugin_grant *g = &w->host_interfaces[i].grant;
    if (!strcmp(g->ns, "wasi") && !strcmp(g->package, "http")) return true;
  }
  return false;
}

/* Hosts compare as routing does: case-insensitive, the port ignored. */
static bool same_host(const char *a, const char *b) {
  size_t na = strcspn(a, ":"), nb = strcspn(b, ":");
  return na == nb && strncasecmp(a, b, na) == 0;
}

/* With several workloads, requests are routed by Host: w (of manifest
 * k) needs its own host when it serves HTTP. */
static wasm_status check_host(dev *d, size_t k, const workload *w, wasm_error *err) {
  if (d->o.nmanifests < 2) return WASM_OK;
  const char *m = d->o.manifests[k];
  if (!w->http_host) {
    if (!declares_http(w)) return WASM_OK;
    snprintf(err->message, sizeof err->message,
             "%s: with several workloads each needs its wasi:http hostInterface's config.host "
             "(requests are routed by Host), and this one has none", m);
    return err->status = WASM_BAD_ARG;
  }
  for (size_t j = 0; j < d->o.nmanifests; j++) {
    if (j == k || !d->wls[j].host || !same_host(d->wls[j].host, w->http_host)) continue;
    snprintf(err->message, sizeof err->message, "%s: host %s is already served by %s", m,
             w->http_host, d->o.manifests[j]);
    return err->status = WASM_BAD_ARG;
  }
  return WASM_OK;
}

/* Loads manifest k and starts it in place of its running version (if
 * any). */
static wasm_status load(dev *d, host_runtime *rt, size_t k, wasm_error *err) {
  workload *w = NULL;
  dev_wl *dw = &d->wls[k];
  wasm_status st = workload_load(d->o.manifests[k], &w, err);
  if (st) return st;
  watch_workload(d, k, w);
  if ((st = check_host(d, k, w, err)) != WASM_OK) {
    workload_free(w);
    return st;
  }
  char *host = NULL;
  if (w->http_host && !(host = strdup(w->http_host))) {
    workload_free(w);
    snprintf(err->message, sizeof err->message, "out of memory");
    return err->status = WASM_NOMEM;
  }
  char name[HOST_RUNTIME_ID_MAX];
  st = host_runtime_replace_workload(rt, dw->id[0] ? dw->id : NULL, w, name, err);
  if (st) {
    free(host);
    return st;
  }
  snprintf(dw->id, sizeof dw->id, "%s", name);
  free(dw->host);
  dw->host = host;
  return WASM_OK;
}

static void *server_main(void *arg) {
  dev *d = arg;
  d->srv_st = http_server_run(d->srv, &d->srv_err);
  ssize_t r = write(wake_pipe[1], "x", 1);
  (void)r;
  return NULL;
}

/* Waits for file changes and reloads the workloads they belong to until
 * a signal (or the server ending) writes to wake_pipe. */
static void watch_loop(dev *d, host_runtime *rt) {
  for (;;) {
    bool hit[DEV_MAX_WORKLOADS] = {0};
    struct pollfd pf[2] = {{.fd = wake_pipe[0], .events = POLLIN}, {.fd = d->ino, .events = POLLIN}};
    if (poll(pf, 2, -1) < 0 && errno != EINTR) return;
    if (pf[0].revents) return;
    if (!(pf[1].revents && read_events(d, hit))) continue;
    /* wait until the files are quiet */
    for (;;) {
      int r = poll(pf, 2, DEV_QUIET_MS);
      if (r > 0 && pf[0].revents) return;
      if (r <= 0) break;
      read_events(d, hit);
    }
    if (d->o.build) {
      bool ok = run_build(d->o.build);
      read_events(d, hit); /* what the build wrote is this reload's */
      if (!ok) continue;
    }
    for (size_t k = 0; k < d->o.nmanifests; k++) {
      if (!hit[k]) continue;
      wasm_error err = {0};
      if (load(d, rt, k, &err) != WASM_OK)
        fprintf(stderr, "stratus dev: reload failed, still serving the previous version: %s\n",
                err.message);
      else fprintf(stderr, "stratus dev: reloaded %s (%s)\n", d->o.manifests[k], d->wls[k].id);
    }
  }
}

/* The built-in plugins, on memory backends or on directories under
 * data_dir; *np counts those made, also on failure. */
static wasm_status make_plugins(plugin **ps, size_t *np, const char *data_dir, wasm_error *err) {
  size_t n = 0;
  if ((ps[n] = plugin_config_new())) n++;
  if ((ps[n] = plugin_logging_new(stderr))) n++;
  *np = n;
  plugin_kv_backend *kv = NULL;
  plugin_blob_backend *blob = NULL;
  char path[4096];
  if (data_dir && mkdir(data_dir, 0755) != 0 && errno != EEXIST) {
    snprintf(err->message, sizeof err->message, "cannot create %s: %s", data_dir, strerror(errno));
    return err->status = WASM_BAD_ARG;
  }
  snprintf(path, sizeof path, "%s/keyvalue", data_dir ? data_dir : "");
  if (!data_dir) kv = plugin_kv_memory_new();
  else if (plugin_kv_dir_new(path, &kv, err) != WASM_OK) return err->status;
  if (kv && (ps[n] = plugin_keyvalue_new(kv))) *np = ++n;
  snprintf(path, sizeof path, "%s/blobstore", data_dir ? data_dir : "");
  if (!data_dir) blob = plugin_blob_memory_new();
  else if (plugin_blob_dir_new(path, &blob, err) != WASM_OK) return err->status;
  if (blob && (ps[n] = plugin_blobstore_new(blob))) *np = ++n;
  /* messaging on the in-process bus (per workload, as wasmCloud's memory one) */
  plugin_bus *bus = plugin_bus_memory_new();
  if (bus && (ps[n] = plugin_messaging_new(bus, stderr))) *np = ++n;
  return WASM_OK;
}

int cmd_dev(int argc, char **argv) {
  dev *d = calloc(1, sizeof *d);
  if (!d) return 1;
  d->ino = -1;
  if (parse_opts(argc, argv, &d->o) != 0) {
    free(d);
    return dev_usage();
  }
  int rc = 1;
  wasm_error err = {0};
  wasm_engine *engine = NULL;
  host_runtime *rt = NULL;
  plugin *plugins[8] = {0};
  size_t nplugins = 0;
  bool server_started = false;
  pthread_t server;
  if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0 ||
      (d->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
    fprintf(stderr, "error: %s\n", strerror(errno));
    goto done;
  }
  if (!(engine = wasm_engine_new(NULL))) goto oom;
  if (make_plugins(plugins, &nplugins, d->o.data_dir, &err) != WASM_OK) {
    fprintf(stderr, "error: %s\n", err.message);
    goto done;
  }
  unsigned workers = d->o.workers ? d->o.workers : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
  if (workers < 1) workers = 1;
  host_runtime_config rc_cfg = {.engine = engine, .plugins = plugins, .nplugins = nplugins,
                                .workers = workers, .timeout_ns = d->o.timeout_ns,
                                .dev = true, .log = stderr};
  if (host_runtime_new(&rc_cfg, &rt, &err) != WASM_OK) {
    fprintf(stderr, "error: %s\n", err.message);
    goto done;
  }
  for (size_t k = 0; k < d->o.nmanifests; k++) {
    watch_file(d, k, d->o.manifests[k]);
    if (load(d, rt, k, &err) != WASM_OK) {
      fprintf(stderr, "error: %s\n", err.message);
      goto done;
    }
  }
  http_server_config hc = {.addr = d->o.addr, .workers = workers,
                           .access_log = d->o.quiet ? NULL : stderr,
                           .handler = host_runtime_handle_http, .env = rt};
  if (http_server_new(&hc, &d->srv, &err) != WASM_OK) {
    fprintf(stderr, "error: %s\n", err.message);
    goto done;
  }
  dev_running = d->srv;
  struct sigaction sa = {.sa_handler = on_signal};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  if (pthread_create(&server, NULL, server_main, d) != 0) goto oom;
  server_started = true;
  /* The banner is written in one piece: services already run, and their
   * output must not land inside it. */
  char *banner = NULL;
  size_t banner_len = 0;
  FILE *b = open_memstream(&banner, &banner_len);
  if (!b) goto oom;
  fprintf(b, "stratus dev: ");
  for (size_t k = 0; k < d->o.nmanifests; k++)
    fprintf(b, "%s%s (%s%s%s)", k ? ", " : "", d->o.manifests[k], d->wls[k].id,
            d->o.nmanifests > 1 && d->wls[k].host ? ", host " : "",
            d->o.nmanifests > 1 && d->wls[k].host ? d->wls[k].host : "");
  fprintf(b, " on http://%s/ (%u workers, plugins:", http_server_addr(d->srv), workers);
  for (size_t i = 0; i < nplugins; i++) fprintf(b, " %s", plugins[i]->id);
  fprintf(b, "%s)\n", nplugins ? "" : " none");
  if (fclose(b) == 0) (void)!write(STDERR_FILENO, banner, banner_len);
  free(banner);
  watch_loop(d, rt);
  http_server_stop(d->srv);
  pthread_join(server, NULL);
  server_started = false;
  if (d->srv_st != WASM_OK) fprintf(stderr, "error: %s\n", d->srv_err.message);
  else {
    fprintf(stderr, "stratus dev: stopped\n");
    rc = 0;
  }
  goto done;
oom:
  fprintf(stderr, "error: out of memory\n");
done:
  if (server_started) {
    http_server_stop(d->srv);
    pthread_join(server, NULL);
  }
  dev_running = NULL;
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  http_server_delete(d->srv);
  host_runtime_delete(rt);
  for (size_t i = 0; i < nplugins; i++) plugin_free(plugins[i]);
  if (engine) wasm_engine_delete(engine);
  for (size_t i = 0; i < d->nwatches; i++) free(d->watches[i].name);
  for (size_t k = 0; k < d->o.nmanifests; k++) free(d->wls[k].host);
  if (d->ino >= 0) close(d->ino);
  for (int i = 0; i < 2; i++)
    if (wake_pipe[i] >= 0) close(wake_pipe[i]), wake_pipe[i] = -1;
  free(d);
  return rc;
}
