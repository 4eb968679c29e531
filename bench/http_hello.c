/*
 * http_hello.c: the raw throughput of the HTTP server (include/stratus/
 * http.h) with a trivial C handler answering "hello" to every request.
 * Prints the bound address, then serves until SIGINT or SIGTERM.
 *
 *   gcc -std=c11 -D_GNU_SOURCE -O2 -Iinclude -Isrc -o build/bench/http_hello \
 *       bench/http_hello.c build/libstratus_http.a build/libstratus_wasi.a \
 *       build/libstratus_component.a build/libstratus_wasm.a -lcurl -lm -lpthread
 *   build/bench/http_hello [-w WORKERS] [-a ADDR] [-l]   # -l: access log to stderr
 *   wrk -t2 -c50 -d5s http://ADDR/
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stratus/http.h"

static http_server *server;

static void on_signal(int sig) {
  (void)sig;
  http_server_stop(server); /* async-signal-safe */
}

static void hello(void *env, unsigned worker, http_exchange *x, const http_request *req) {
  (void)env, (void)worker, (void)req;
  http_response_simple(x, 200, "hello");
}

int main(int argc, char **argv) {
  http_server_config cfg = {.addr = "127.0.0.1:0", .handler = hello};
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-w") == 0 && i + 1 < argc)
      cfg.workers = (unsigned)atoi(argv[++i]);
    else if (strcmp(argv[i], "-a") == 0 && i + 1 < argc)
      cfg.addr = argv[++i];
    else if (strcmp(argv[i], "-l") == 0)
      cfg.access_log = stderr;
    else {
      fprintf(stderr, "usage: %s [-w WORKERS] [-a ADDR] [-l]\n", argv[0]);
      return 2;
    }
  }
  wasm_error err;
  if (http_server_new(&cfg, &server, &err) != WASM_OK) {
    fprintf(stderr, "http_hello: %s\n", err.message);
    return 1;
  }
  struct sigaction sa = {.sa_handler = on_signal};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  printf("%s\n", http_server_addr(server));
  fflush(stdout);
  wasm_status st = http_server_run(server, &err);
  if (st != WASM_OK) fprintf(stderr, "http_hello: %s\n", err.message);
  http_server_delete(server);
  return st == WASM_OK ? 0 : 1;
}
