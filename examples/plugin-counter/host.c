/*
 * host.c: counter-host, a small Stratus host built outside the tree: the
 * built-in wasi-config and wasi-logging plugins plus the example-counter
 * plugin (counter_plugin.c), one workload, HTTP until SIGINT/SIGTERM.
 *
 *   counter-host workload.yaml [--address HOST:PORT]
 *
 * The default address is 127.0.0.1:8000; port 0 picks a free one. The
 * address is printed as `stratus dev` prints it ("... on http://ADDR/").
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "counter_plugin.h"
#include "stratus/host.h"
#include "stratus/http.h"
#include "stratus/plugin.h"

#define HOST_MAX_WORKERS 8
#define HOST_TIMEOUT_NS 30000000000ull /* a request's guest: 30 s, then 504 */

static http_server *running; /* what the signal handler stops */

static void on_signal(int sig) {
  (void)sig;
  if (running) http_server_stop(running); /* async-signal-safe */
}

static int usage(void) {
  fprintf(stderr, "usage: counter-host workload.yaml [--address HOST:PORT]\n");
  return 2;
}

int main(int argc, char **argv) {
  const char *manifest = NULL, *addr = "127.0.0.1:8000";
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--address") == 0 && i + 1 < argc) addr = argv[++i];
    else if (strncmp(argv[i], "--address=", 10) == 0) addr = argv[i] + 10;
    else if (argv[i][0] != '-' && !manifest) manifest = argv[i];
    else return usage();
  }
  if (!manifest) return usage();

  int rc = 1;
  wasm_error err = {0};
  wasm_engine *engine = NULL;
  host_runtime *rt = NULL;
  http_server *srv = NULL;
  workload *w = NULL;
  plugin *plugins[3] = {plugin_config_new(), plugin_logging_new(stderr), counter_plugin_new()};
  size_t nplugins = sizeof plugins / sizeof plugins[0];
  for (size_t i = 0; i < nplugins; i++)
    if (!plugins[i]) goto oom;
  if (!(engine = wasm_engine_new(NULL))) goto oom;

  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  unsigned workers = cores < 1 ? 1 : cores > HOST_MAX_WORKERS ? HOST_MAX_WORKERS : (unsigned)cores;
  host_runtime_config cfg = {.engine = engine, .plugins = plugins, .nplugins = nplugins,
                             .workers = workers, .timeout_ns = HOST_TIMEOUT_NS,
                             .dev = true, .log = stderr};
  char id[HOST_RUNTIME_ID_MAX];
  if (host_runtime_new(&cfg, &rt, &err) != WASM_OK ||
      workload_load(manifest, &w, &err) != WASM_OK)
    goto fail;
  wasm_status st = host_runtime_start_workload(rt, w, id, &err);
  w = NULL; /* the runtime's now, also on failure */
  if (st != WASM_OK) goto fail;

  http_server_config hc = {.addr = addr, .workers = workers, .access_log = stderr,
                           .handler = host_runtime_handle_http, .env = rt};
  if (http_server_new(&hc, &srv, &err) != WASM_OK) goto fail;
  running = srv;
  struct sigaction sa = {.sa_handler = on_signal};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  fprintf(stderr, "counter-host: %s (%s) on http://%s/ (%u workers, plugins:", manifest, id,
          http_server_addr(srv), workers);
  for (size_t i = 0; i < nplugins; i++) fprintf(stderr, " %s", plugins[i]->id);
  fprintf(stderr, ")\n");
  /* serves here until the signal handler stops it; in-flight requests finish */
  if (http_server_run(srv, &err) != WASM_OK) goto fail;
  fprintf(stderr, "counter-host: stopped\n");
  rc = 0;
  goto done;
oom:
  snprintf(err.message, sizeof err.message, "out of memory");
fail:
  fprintf(stderr, "counter-host: error: %s\n", err.message);
done:
  running = NULL;
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  http_server_delete(srv);
  host_runtime_delete(rt); /* unbinds the workload, stops the plugins */
  for (size_t i = 0; i < nplugins; i++) plugin_free(plugins[i]);
  if (engine) wasm_engine_delete(engine);
  return rc;
}
