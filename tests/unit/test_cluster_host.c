/* test_cluster_host.c: the cluster host's life without a NATS server
 * (tests/cluster/run_host.sh covers the protocol with one): it starts
 * while NATS is unreachable, with a UUIDv4 id and a friendly name, runs
 * and stops on request, and refuses bad TLS settings with a message. */
#include <pthread.h>
#include <regex.h>
#include <unistd.h>

#include "stratus/cluster.h"
#include "unit.h"

/* Nothing listens on port 1 of loopback. */
#define NO_NATS "nats://127.0.0.1:1"

static bool matches(const char *s, const char *re) {
  regex_t r;
  if (regcomp(&r, re, REG_EXTENDED | REG_NOSUB) != 0) return false;
  bool ok = regexec(&r, s, 0, NULL, 0) == 0;
  regfree(&r);
  return ok;
}

typedef struct runner {
  cluster_host *h;
  wasm_status st;
  wasm_error err;
} runner;

static void *run_main(void *arg) {
  runner *r = arg;
  r->st = cluster_host_run(r->h, &r->err);
  return NULL;
}

static void test_life(FILE *log) {
  cluster_host_config cfg = {.scheduler_nats_url = NO_NATS, .data_nats_url = NO_NATS,
                             .http_addr = "127.0.0.1:0", .workers = 1,
                             .heartbeat_interval_ns = 50000000, .version = "9.9.9", .log = log};
  cluster_host *h = NULL;
  wasm_error err = {0};
  wasm_status st = cluster_host_new(&cfg, &h, &err);
  CHECKM(st == WASM_OK, "cluster_host_new without NATS: %s", err.message);
  if (st != WASM_OK) {
    cluster_host_delete(h);
    return;
  }
  CHECKM(matches(cluster_host_id(h),
                 "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"),
         "id %s", cluster_host_id(h));
  CHECKM(matches(cluster_host_friendly_name(h), "^[a-z]+-[a-z]+-[0-9]{4}$"), "name %s",
         cluster_host_friendly_name(h));
  CHECK(cluster_host_http_addr(h) && matches(cluster_host_http_addr(h), "^127\\.0\\.0\\.1:[0-9]+$"));
  runner r = {.h = h};
  pthread_t t;
  CHECK(pthread_create(&t, NULL, run_main, &r) == 0);
  usleep(200000); /* a few heartbeat ticks with NATS down */
  cluster_host_stop(h);
  pthread_join(t, NULL);
  CHECKM(r.st == WASM_OK, "run: %s", r.err.message);
  cluster_host_delete(h);

  /* a second host gets another id */
  cluster_host *h2 = NULL;
  char first[64];
  cluster_host *h1 = NULL;
  if (cluster_host_new(&cfg, &h1, &err) == WASM_OK && cluster_host_new(&cfg, &h2, &err) == WASM_OK) {
    snprintf(first, sizeof first, "%s", cluster_host_id(h1));
    CHECK(strcmp(first, cluster_host_id(h2)) != 0);
  } else CHECKM(0, "two hosts: %s", err.message);
  cluster_host_delete(h1);
  cluster_host_delete(h2);
}

/* cfg with one change must fail with a message containing want. */
static void expect_fail(FILE *log, cluster_host_config cfg, const char *want) {
  cfg.log = log;
  cfg.scheduler_nats_url = cfg.scheduler_nats_url ? cfg.scheduler_nats_url : NO_NATS;
  cfg.data_nats_url = NO_NATS;
  cluster_host *h = NULL;
  wasm_error err = {0};
  wasm_status st = cluster_host_new(&cfg, &h, &err);
  CHECKM(st != WASM_OK && strstr(err.message, want), "want an error with \"%s\", got %d: %s",
         want, st, err.message);
  cluster_host_delete(h);
}

int main(void) {
  FILE *log = tmpfile();
  if (!log) return 1;
  test_life(log);
  expect_fail(log, (cluster_host_config){.scheduler_tls = {.first = true}}, "not supported by this nats.c");
  expect_fail(log, (cluster_host_config){.data_tls = {.first = true}}, "--data-nats-tls-first");
  expect_fail(log, (cluster_host_config){.scheduler_tls = {.ca = "/nonexistent/ca.pem"}},
              "--scheduler-nats-tls-ca /nonexistent/ca.pem");
  expect_fail(log, (cluster_host_config){.scheduler_tls = {.cert = "/nonexistent/c.pem"}},
              "go together");
  expect_fail(log, (cluster_host_config){.scheduler_nats_url = "bogus://x:y:z"}, "scheduler NATS");
  fclose(log);
  return unit_report();
}
