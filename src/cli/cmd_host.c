/*
 * cmd_host.c: `stratus host [options]`: a cluster host (the wasmCloud v2
 * washlet's job): takes workloads from a scheduler over NATS and runs
 * them; see cluster_host_* in stratus/cluster.h. Flags as `wash host`:
 *
 *   --host-group NAME                 label hostgroup (default "default")
 *   --scheduler-nats-url URL          control plane (default nats://localhost:4222)
 *   --data-nats-url URL               plugins' NATS (default nats://localhost:4222)
 *   --scheduler-nats-tls-ca/-cert/-key FILE, --scheduler-nats-tls-first
 *   --data-nats-tls-ca/-cert/-key FILE, --data-nats-tls-first
 *   --host-name NAME                  heartbeat hostname (default: the OS's)
 *   --http-addr HOST:PORT             serve HTTP by Host header (default: none)
 *   --oci-cache-dir DIR               pulled images (default: ~/.cache/stratus/oci)
 *   --allow-insecure-registries       plain-HTTP registries
 *   --registry-pull-timeout DURATION  default 30s
 *   --label KEY=VALUE                 repeatable
 * and Stratus's own:
 *   --allow-local-images              images may be local files (file://PATH
 *                                     or /abs/path): single-machine setups
 *   --no-create-buckets               keyvalue/blobstore buckets must exist
 *                                     (default: made on first use)
 *   --heartbeat-interval DURATION     default 15s
 *   --workers N                       HTTP worker threads (default: one per core)
 *   --timeout DURATION                per request (default 30s): 504
 *
 * SIGINT and SIGTERM drain: no new work, starts in flight finish, HTTP
 * requests in flight finish, workloads stop; exit 0.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "stratus/cluster.h"

#define HOST_MAX_LABELS 64
#define HOST_MAX_WORKERS 1024

static cluster_host *host_running;

static void on_signal(int sig) {
  (void)sig;
  if (host_running) cluster_host_stop(host_running);
}

static int host_usage(void) {
  fprintf(stderr,
          "usage: stratus host [--host-group NAME] [--scheduler-nats-url URL] [--data-nats-url URL]\n"
          "         [--scheduler-nats-tls-ca|-cert|-key FILE] [--scheduler-nats-tls-first]\n"
          "         [--data-nats-tls-ca|-cert|-key FILE] [--data-nats-tls-first]\n"
          "         [--host-name NAME] [--http-addr HOST:PORT] [--oci-cache-dir DIR]\n"
          "         [--allow-insecure-registries] [--registry-pull-timeout DURATION]\n"
          "         [--label KEY=VALUE]... [--allow-local-images] [--no-create-buckets]\n"
          "         [--heartbeat-interval DURATION] [--workers N]\n"
          "         [--timeout DURATION]\n");
  return 2;
}

typedef struct host_labels {
  const char *keys[HOST_MAX_LABELS], *values[HOST_MAX_LABELS];
  char *owned[HOST_MAX_LABELS];
  size_t n;
} host_labels;

static bool add_label(host_labels *l, const char *kv) {
  const char *eq = strchr(kv, '=');
  if (!eq || eq == kv || l->n == HOST_MAX_LABELS) {
    fprintf(stderr, "stratus host: --label %s: expected KEY=VALUE (at most %d labels)\n", kv,
            HOST_MAX_LABELS);
    return false;
  }
  char *key = strndup(kv, (size_t)(eq - kv));
  if (!key) return false;
  l->owned[l->n] = key;
  l->keys[l->n] = key;
  l->values[l->n++] = eq + 1;
  return true;
}

static bool tls_opt(const cli_opt *op, const char *prefix, cluster_nats_tls *t) {
  char name[64];
  snprintf(name, sizeof name, "--%s-nats-tls-ca", prefix);
  if (cli_opt_is(op, name)) return t->ca = op->val, true;
  snprintf(name, sizeof name, "--%s-nats-tls-cert", prefix);
  if (cli_opt_is(op, name)) return t->cert = op->val, true;
  snprintf(name, sizeof name, "--%s-nats-tls-key", prefix);
  if (cli_opt_is(op, name)) return t->key = op->val, true;
  return false;
}

static int parse_opts(int argc, char **argv, cluster_host_config *c, host_labels *l) {
  *c = (cluster_host_config){.timeout_ns = 30000000000ull, .version = STRATUS_VERSION};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--scheduler-nats-tls-first")) { c->scheduler_tls.first = true; continue; }
    if (!strcmp(a, "--data-nats-tls-first")) { c->data_tls.first = true; continue; }
    if (!strcmp(a, "--allow-insecure-registries")) { c->allow_insecure_registries = true; continue; }
    if (!strcmp(a, "--allow-local-images")) { c->allow_local_images = true; continue; }
    if (!strcmp(a, "--no-create-buckets")) { c->no_create_buckets = true; continue; }
    if (a[0] != '-') return -1;
    cli_opt op;
    if (!cli_opt_split(argc, argv, &i, &op)) return -1;
    const char *val = op.val;
#define OPT(name) cli_opt_is(&op, name)
    uint64_t n;
    if (OPT("--host-group")) c->host_group = val;
    else if (OPT("--scheduler-nats-url")) c->scheduler_nats_url = val;
    else if (OPT("--data-nats-url")) c->data_nats_url = val;
    else if (tls_opt(&op, "scheduler", &c->scheduler_tls)) {}
    else if (tls_opt(&op, "data", &c->data_tls)) {}
    else if (OPT("--host-name")) c->host_name = val;
    else if (OPT("--http-addr")) c->http_addr = val;
    else if (OPT("--oci-cache-dir")) c->oci_cache_dir = val;
    else if (OPT("--registry-pull-timeout") && cli_parse_duration(val, &c->registry_pull_timeout_ns)) {}
    else if (OPT("--label")) { if (!add_label(l, val)) return -1; }
    else if (OPT("--heartbeat-interval") && cli_parse_duration(val, &c->heartbeat_interval_ns)) {}
    else if (OPT("--workers") && cli_parse_count(val, HOST_MAX_WORKERS, &n)) c->workers = (unsigned)n;
    else if (OPT("--timeout") && cli_parse_duration(val, &c->timeout_ns)) {}
    else return -1;
#undef OPT
  }
  c->labels = (plugin_map){.keys = l->keys, .values = l->values, .n = l->n};
  return 0;
}

int cmd_host(int argc, char **argv) {
  cluster_host_config cfg;
  host_labels labels = {0};
  int rc = 1;
  if (parse_opts(argc, argv, &cfg, &labels) != 0) {
    rc = host_usage();
    goto done;
  }
  cfg.log = stderr;
  cluster_host *h = NULL;
  wasm_error err = {0};
  if (cluster_host_new(&cfg, &h, &err) != WASM_OK) {
    fprintf(stderr, "error: %s\n", err.message);
    cluster_host_delete(h);
    goto done;
  }
  host_running = h;
  struct sigaction sa = {.sa_handler = on_signal};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  if (cluster_host_run(h, &err) != WASM_OK) fprintf(stderr, "error: %s\n", err.message);
  else rc = 0;
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  host_running = NULL;
  cluster_host_delete(h);
done:
  for (size_t i = 0; i < labels.n; i++) free(labels.owned[i]);
  return rc;
}
