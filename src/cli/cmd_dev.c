/*
 * cmd_dev.c: `stratus dev [workload.yaml] [options]`: runs a workload
 * (wasmCloud v2 Workload or WorkloadDeployment manifest) on this machine
 * with the built-in plugins on memory backends, serves its HTTP handler,
 * and reloads it when the manifest or a component image changes.
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

typedef struct dev_opts {
  const char *manifest, *build, *addr, *data_dir;
  unsigned workers;
  uint64_t timeout_ns;
  bool quiet;
} dev_opts;

/* A watched file: the directory's watch and the file's name in it. */
typedef struct dev_watch {
  int wd;
  char *name;
} dev_watch;

typedef struct dev {
  dev_opts o;
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
                  "[--timeout DURATION] [--quiet] [workload.yaml]\n");
  return 2;
}

static int parse_opts(int argc, char **argv, dev_opts *o) {
  *o = (dev_opts){.addr = "127.0.0.1:8000", .timeout_ns = 30000000000ull};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--quiet") == 0) { o->quiet = true; continue; }
    if (a[0] != '-') {
      if (o->manifest) return -1;
      o->manifest = a;
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
  if (!o->manifest) o->manifest = "workload.yaml";
  return 0;
}

/* ---- watching files ---- */

/* Watches path's directory for changes to path. */
static void watch_file(dev *d, const char *path) {
  char *c1 = strdup(path), *c2 = strdup(path);
  if (c1 && c2 && d->nwatches < DEV_MAX_WATCH) {
    const char *dir = dirname(c1), *base = basename(c2);
    int wd = inotify_add_watch(d->ino, dir,
                               IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_ATTRIB | IN_DELETE);
    bool dup = false;
    for (size_t i = 0; i < d->nwatches; i++)
      dup |= d->watches[i].wd == wd && strcmp(d->watches[i].name, base) == 0;
    if (wd < 0) fprintf(stderr, "stratus dev: cannot watch %s: %s\n", dir, strerror(errno));
    else if (!dup) {
      char *name = strdup(base);
      if (name) d->watches[d->nwatches++] = (dev_watch){.wd = wd, .name = name};
    }
  }
  free(c1);
  free(c2);
}

/* The manifest and every local image of w. Watches of earlier versions
 * stay (a file dropped from the manifest is watched until exit). */
static void watch_workload(dev *d, const workload *w) {
  watch_file(d, d->o.manifest);
  for (size_t i = 0; w && i < workload_item_count(w); i++) {
    const workload_image *img = workload_item_image(w, i);
    if (img->path) watch_file(d, img->path);
  }
}

/* Reads the pending inotify events; true when one is about a watched file. */
static bool read_events(dev *d) {
  bool hit = false;
  char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
  for (;;) {
    ssize_t n = read(d->ino, buf, sizeof buf);
    if (n <= 0) break;
    for (char *p = buf; p < buf + n;) {
      struct inotify_event *ev = (struct inotify_event *)p;
      for (size_t i = 0; ev->len && i < d->nwatches; i++)
        hit |= d->watches[i].wd == ev->wd && strcmp(d->watches[i].name, ev->name) == 0;
      p += sizeof *ev + ev->len;
    }
  }
  return hit;
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

/* Loads the manifest and starts it in place of *id (NULL: first start). */
static wasm_status load(dev *d, host_runtime *rt, char *id, wasm_error *err) {
  workload *w = NULL;
  wasm_status st = workload_load(d->o.manifest, &w, err);
  if (st) return st;
  watch_workload(d, w);
  char name[HOST_RUNTIME_ID_MAX];
  st = host_runtime_replace_workload(rt, id[0] ? id : NULL, w, name, err);
  if (!st) snprintf(id, HOST_RUNTIME_ID_MAX, "%s", name);
  return st;
}

static void *server_main(void *arg) {
  dev *d = arg;
  d->srv_st = http_server_run(d->srv, &d->srv_err);
  ssize_t r = write(wake_pipe[1], "x", 1);
  (void)r;
  return NULL;
}

/* Waits for file changes and reloads until a signal (or the server
 * ending) writes to wake_pipe. */
static void watch_loop(dev *d, host_runtime *rt, char *id) {
  for (;;) {
    struct pollfd pf[2] = {{.fd = wake_pipe[0], .events = POLLIN}, {.fd = d->ino, .events = POLLIN}};
    if (poll(pf, 2, -1) < 0 && errno != EINTR) return;
    if (pf[0].revents) return;
    if (!(pf[1].revents && read_events(d))) continue;
    /* wait until the files are quiet */
    for (;;) {
      int r = poll(pf, 2, DEV_QUIET_MS);
      if (r > 0 && pf[0].revents) return;
      if (r <= 0) break;
      read_events(d);
    }
    if (d->o.build) {
      bool ok = run_build(d->o.build);
      read_events(d); /* what the build wrote is this reload's */
      if (!ok) continue;
    }
    wasm_error err = {0};
    if (load(d, rt, id, &err) != WASM_OK)
      fprintf(stderr, "stratus dev: reload failed, still serving the previous version: %s\n",
              err.message);
    else fprintf(stderr, "stratus dev: reloaded %s (%s)\n", d->o.manifest, id);
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
  char id[HOST_RUNTIME_ID_MAX] = "";
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
  watch_file(d, d->o.manifest);
  if (load(d, rt, id, &err) != WASM_OK) {
    fprintf(stderr, "error: %s\n", err.message);
    goto done;
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
  fprintf(stderr, "stratus dev: %s (%s) on http://%s/ (%u workers, plugins:", d->o.manifest, id,
          http_server_addr(d->srv), workers);
  for (size_t i = 0; i < nplugins; i++) fprintf(stderr, " %s", plugins[i]->id);
  fprintf(stderr, "%s)\n", nplugins ? "" : " none");
  watch_loop(d, rt, id);
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
  if (d->ino >= 0) close(d->ino);
  for (int i = 0; i < 2; i++)
    if (wake_pipe[i] >= 0) close(wake_pipe[i]), wake_pipe[i] = -1;
  free(d);
  return rc;
}
