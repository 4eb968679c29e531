/*
 * cmd_ctl.c: `stratus ctl [options] COMMAND`: drives `stratus host`s (or
 * any wasmCloud v2 host) over NATS by hand, the way the scheduler does.
 *
 *   hosts                  listens to heartbeats and lists the hosts
 *   start MANIFEST         places a Workload (or the replicas of a
 *                          WorkloadReplicaSet / WorkloadDeployment) on hosts
 *   status ID, stop ID     asks the workload's host
 *
 * Options (anywhere on the line):
 *   --nats-url URL         default $STRATUS_NATS_URL or nats://localhost:4222
 *   --timeout DURATION     for each request (default 60s)
 *   --wait DURATION        how long to listen to heartbeats (default 16s:
 *                          a host beats every 15 s by default)
 *   --expect N             stop listening once N hosts are heard
 *   --host ID              (start: repeatable) the hosts to use, no listening
 *   --selector K=V         (start, repeatable) hosts whose labels match,
 *                          with the manifest's spec.hostSelector
 *   --id ID                (start) the workload id (default: a UUIDv4)
 *   --replicas N           (start) default the manifest's, else 1; spread
 *                          round-robin over the matching hosts
 *   --state FILE           placements remembered for status/stop
 *   -o json                JSON output
 *
 * The NATS client logic is the cluster layer's (cluster_ctl_*); this file
 * parses options and prints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "stratus/cluster.h"
#include "stratus/host.h"

#define CTL_MAX 64
#define CTL_DEFAULT_WAIT_NS (16ull * 1000000000ull)
#define CTL_DEFAULT_TIMEOUT_NS (60ull * 1000000000ull)

typedef struct ctl_opts {
  const char *cmd;
  const char *pos[4];
  size_t npos;
  const char *url;
  uint64_t timeout_ns, wait_ns, expect, replicas;
  const char *hosts[CTL_MAX];
  size_t nhosts;
  const char *sel_keys[CTL_MAX], *sel_vals[CTL_MAX];
  char *sel_buf[CTL_MAX];
  size_t nsel;
  const char *id;
  const char *state;
  char *state_default;
  bool json;
} ctl_opts;

static int ctl_usage(void) {
  fprintf(stderr,
          "usage: stratus ctl [--nats-url URL] [--timeout DURATION] COMMAND\n"
          "  hosts [--wait DURATION] [--expect N] [-o json]\n"
          "  start [--host ID]... [--selector K=V]... [--id ID] [--replicas N] [--wait D] "
          "[--expect N] [--state FILE] workload.yaml\n"
          "  status [--host ID] [--wait D] [--state FILE] [-o json] WORKLOAD_ID\n"
          "  stop [--host ID] [--wait D] [--state FILE] WORKLOAD_ID\n");
  return 2;
}

static void free_opts(ctl_opts *o) {
  for (size_t i = 0; i < o->nsel; i++) free(o->sel_buf[i]);
  free(o->state_default);
}

static int parse_opts(int argc, char **argv, ctl_opts *o) {
  memset(o, 0, sizeof *o);
  o->url = getenv("STRATUS_NATS_URL");
  o->timeout_ns = CTL_DEFAULT_TIMEOUT_NS;
  o->wait_ns = CTL_DEFAULT_WAIT_NS;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-o")) {
      if (i + 1 >= argc) return -1;
      const char *f = argv[++i];
      if (strcmp(f, "json") != 0 && strcmp(f, "text") != 0) {
        fprintf(stderr, "error: -o %s: expected json or text\n", f);
        return -1;
      }
      o->json = !strcmp(f, "json");
      continue;
    }
    if (a[0] != '-' || !a[1]) {
      if (!o->cmd) o->cmd = a;
      else if (o->npos < 4) o->pos[o->npos++] = a;
      else return -1;
      continue;
    }
    cli_opt op;
    if (!cli_opt_split(argc, argv, &i, &op)) {
      fprintf(stderr, "error: %s needs a value\n", a);
      return -1;
    }
#define OPT(name) cli_opt_is(&op, name)
    bool ok = true;
    if (OPT("--nats-url")) o->url = op.val;
    else if (OPT("--timeout")) ok = cli_parse_duration(op.val, &o->timeout_ns);
    else if (OPT("--wait")) ok = cli_parse_duration(op.val, &o->wait_ns);
    else if (OPT("--expect")) ok = cli_parse_count(op.val, 100000, &o->expect);
    else if (OPT("--replicas")) ok = cli_parse_count(op.val, CTL_MAX * 16, &o->replicas);
    else if (OPT("--id")) o->id = op.val;
    else if (OPT("--state")) o->state = op.val;
    else if (OPT("--host")) {
      if (o->nhosts == CTL_MAX) ok = false;
      else o->hosts[o->nhosts++] = op.val;
    } else if (OPT("--selector")) {
      const char *eq = strchr(op.val, '=');
      if (!eq || eq == op.val || o->nsel == CTL_MAX) {
        fprintf(stderr, "error: --selector %s: expected KEY=VALUE\n", op.val);
        return -1;
      }
      char *k = strdup(op.val);
      if (!k) return -1;
      k[eq - op.val] = 0;
      o->sel_buf[o->nsel] = k;
      o->sel_keys[o->nsel] = k;
      o->sel_vals[o->nsel++] = k + (eq - op.val) + 1;
    } else {
      fprintf(stderr, "error: unknown option %.*s\n", (int)op.nlen, op.arg);
      return -1;
    }
#undef OPT
    if (!ok) {
      fprintf(stderr, "error: %.*s %s: bad value\n", (int)op.nlen, op.arg, op.val);
      return -1;
    }
  }
  if (!o->cmd) return -1;
  if (!o->state) {
    o->state = o->state_default = cluster_ctl_state_default();
  }
  return 0;
}

static uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* "RUNNING" from a WorkloadStatus value. */
static const char *state_name(const json_t *status) {
  static const proto_enum *e;
  if (!e)
    for (size_t i = 0; i < proto_enum_count; i++)
      if (!strcmp(proto_enums[i]->name, "WorkloadState")) e = proto_enums[i];
  json_int_t n = json_integer_value(json_object_get(status, "workloadState"));
  const char *s = e ? proto_enum_name(e, (int32_t)n) : NULL;
  if (!s) return "UNKNOWN";
  return !strncmp(s, "WORKLOAD_STATE_", 15) ? s + 15 : s;
}

static bool state_is(const json_t *status, const char *name) {
  return !strcmp(state_name(status), name);
}

static const char *str(const json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s && *s ? s : "-";
}

/* ---- hosts ---- */

typedef struct enough_ctx {
  uint64_t expect;      /* stop at this many hosts (0: not this way) */
  size_t need_matching; /* stop at this many hosts matching (0: not this way) */
  const plugin_map *selector;
} enough_ctx;

static bool enough(void *ctx, const cluster_ctl_host *hosts, size_t n) {
  enough_ctx *e = ctx;
  if (e->expect && n >= e->expect) return true;
  if (!e->need_matching) return false;
  size_t m = 0;
  for (size_t i = 0; i < n; i++) m += cluster_ctl_host_matches(&hosts[i], e->selector);
  return m >= e->need_matching;
}

static int do_hosts(ctl_opts *o, cluster_ctl *c) {
  cluster_ctl_host *hs = NULL;
  size_t n = 0;
  wasm_error err = {0};
  enough_ctx ec = {.expect = o->expect};
  if (cluster_ctl_hosts(c, o->wait_ns, enough, &ec, &hs, &n, &err) != WASM_OK) {
    fprintf(stderr, "error: %s\n", err.message);
    return 1;
  }
  const proto_message *hbm = proto_message_find("HostHeartbeat");
  uint64_t now = mono_ns();
  if (o->json) {
    printf("[");
    for (size_t i = 0; i < n; i++) {
      char *s = NULL;
      if (proto_encode(hbm, hs[i].heartbeat, &s, &err) == WASM_OK) printf("%s\n  %s", i ? "," : "", s);
      free(s);
    }
    printf("%s]\n", n ? "\n" : "");
  } else {
    printf("%-36s  %-22s  %-16s  %-30s  %9s  %10s  %5s  %9s  %5s  %s\n", "ID", "NAME", "HOSTNAME",
           "LABELS", "WORKLOADS", "COMPONENTS", "CPU%", "FREE MEM", "HTTP", "AGE");
    for (size_t i = 0; i < n; i++) {
      const json_t *hb = hs[i].heartbeat;
      char labels[512] = "", *p = labels;
      const char *k;
      json_t *v;
      json_object_foreach(json_object_get(hb, "labels"), k, v) {
        size_t left = sizeof labels - (size_t)(p - labels);
        int w = snprintf(p, left, "%s%s=%s", p == labels ? "" : ",", k, json_string_value(v));
        if (w < 0 || (size_t)w >= left) break;
        p += w;
      }
      double free_mib = (double)(uint64_t)json_integer_value(json_object_get(hb, "systemMemoryFree")) /
                        (1024.0 * 1024.0);
      printf("%-36s  %-22s  %-16s  %-30s  %9lld  %10lld  %5.1f  %7.0fMi  %5lld  %.1fs\n", hs[i].id,
             str(hb, "friendlyName"), str(hb, "hostname"), *labels ? labels : "-",
             (long long)json_integer_value(json_object_get(hb, "workloadCount")),
             (long long)json_integer_value(json_object_get(hb, "componentCount")),
             json_number_value(json_object_get(hb, "systemCpuUsage")), free_mib,
             (long long)json_integer_value(json_object_get(hb, "httpPort")),
             (double)(now - hs[i].seen_ns) / 1e9);
    }
    if (!n) fprintf(stderr, "no heartbeat within the wait\n");
  }
  cluster_ctl_hosts_free(hs, n);
  return 0;
}

/* ---- start ---- */

static int do_start(ctl_opts *o, cluster_ctl *c) {
  if (o->npos != 1) return ctl_usage();
  workload *w = NULL;
  json_t *wl = NULL;
  cluster_ctl_host *hs = NULL;
  size_t nhs = 0;
  wasm_error err = {0};
  int rc = 1;
  const char *keys[2 * CTL_MAX], *vals[2 * CTL_MAX];
  const char *targets[CTL_MAX * 16];
  size_t ntargets = 0;
  if (workload_load(o->pos[0], &w, &err) != WASM_OK ||
      cluster_workload_to_proto(w, &wl, &err) != WASM_OK) {
    fprintf(stderr, "error: %s\n", err.message);
    goto done;
  }
  uint64_t replicas = o->replicas ? o->replicas : w->has_replicas ? (uint64_t)w->replicas : 1;
  if (replicas == 0) {
    fprintf(stderr, "%s: 0 replicas: nothing to start\n", o->pos[0]);
    rc = 0;
    goto done;
  }
  if (replicas > CTL_MAX * 16) {
    fprintf(stderr, "error: %llu replicas: at most %d\n", (unsigned long long)replicas, CTL_MAX * 16);
    goto done;
  }
  if (o->id && replicas > 1) {
    fprintf(stderr, "error: --id names one workload; %llu replicas each get their own\n",
            (unsigned long long)replicas);
    goto done;
  }
  if (o->nhosts) {
    for (size_t i = 0; i < o->nhosts; i++) targets[ntargets++] = o->hosts[i];
  } else if (w->host_id) {
    targets[ntargets++] = w->host_id;
  } else {
    /* the manifest's hostSelector and --selector, both */
    size_t ns = 0;
    if (w->host_selector.n > CTL_MAX) {
      fprintf(stderr, "error: %s: more than %d hostSelector labels\n", o->pos[0], CTL_MAX);
      goto done;
    }
    for (size_t i = 0; i < w->host_selector.n; i++, ns++)
      keys[ns] = w->host_selector.keys[i], vals[ns] = w->host_selector.values[i];
    for (size_t i = 0; i < o->nsel; i++, ns++) keys[ns] = o->sel_keys[i], vals[ns] = o->sel_vals[i];
    plugin_map sel = {keys, vals, ns};
    enough_ctx ec = {.expect = o->expect, .need_matching = o->expect ? 0 : replicas, .selector = &sel};
    if (cluster_ctl_hosts(c, o->wait_ns, enough, &ec, &hs, &nhs, &err) != WASM_OK) {
      fprintf(stderr, "error: %s\n", err.message);
      goto done;
    }
    for (size_t i = 0; i < nhs && ntargets < CTL_MAX * 16; i++)
      if (cluster_ctl_host_matches(&hs[i], &sel)) targets[ntargets++] = hs[i].id;
    if (!ntargets) {
      fprintf(stderr, "error: no host matches the selector (heard %zu host%s within %.1fs)\n", nhs,
              nhs == 1 ? "" : "s", (double)o->wait_ns / 1e9);
      goto done;
    }
  }
  rc = 0;
  for (uint64_t r = 0; r < replicas; r++) {
    const char *host = targets[r % ntargets];
    char uuid[37];
    cluster_uuid4(uuid);
    const char *id = o->id ? o->id : uuid;
    json_t *req = json_pack("{s:O,s:s}", "workload", wl, "workloadId", id), *status = NULL;
    if (!req) {
      fprintf(stderr, "error: out of memory\n");
      rc = 1;
      break;
    }
    wasm_status st = cluster_ctl_workload(c, host, "start", req, o->timeout_ns, &status, &err);
    json_decref(req);
    if (st != WASM_OK) {
      printf("%s %s ERROR %s\n", id, host, err.message);
      rc = 1;
      continue;
    }
    printf("%s %s %s %s\n", id, host, state_name(status), str(status, "message"));
    fflush(stdout);
    if (state_is(status, "ERROR") || state_is(status, "NOT_FOUND") || state_is(status, "UNKNOWN")) {
      rc = 1;
    } else if (o->state &&
               cluster_ctl_state_set(o->state, id, host, w->namespace_, w->name, &err) != WASM_OK) {
      fprintf(stderr, "warning: %s\n", err.message);
    }
    json_decref(status);
  }
done:
  cluster_ctl_hosts_free(hs, nhs);
  json_decref(wl);
  workload_free(w);
  return rc;
}

/* ---- status and stop ---- */

static int do_status_stop(ctl_opts *o, cluster_ctl *c, const char *op) {
  if (o->npos != 1) return ctl_usage();
  const char *id = o->pos[0];
  wasm_error err = {0};
  char *known = o->nhosts || !o->state ? NULL : cluster_ctl_state_host(o->state, id);
  cluster_ctl_host *hs = NULL;
  size_t nhs = 0;
  const char *asks[CTL_MAX];
  size_t nasks = 0;
  int rc = 1;
  if (o->nhosts) {
    for (size_t i = 0; i < o->nhosts; i++) asks[nasks++] = o->hosts[i];
  } else if (known) {
    asks[nasks++] = known;
  } else {
    enough_ctx ec = {.expect = o->expect};
    if (cluster_ctl_hosts(c, o->wait_ns, enough, &ec, &hs, &nhs, &err) != WASM_OK) {
      fprintf(stderr, "error: %s\n", err.message);
      goto done;
    }
    for (size_t i = 0; i < nhs && nasks < CTL_MAX; i++) asks[nasks++] = hs[i].id;
    if (!nasks) {
      fprintf(stderr, "error: %s: not in the state file, and no host heard within %.1fs\n", id,
                  (double)o->wait_ns / 1e9);
      goto done;
    }
  }
  json_t *req = json_pack("{s:s}", "workloadId", id), *found = NULL;
  const char *found_host = NULL;
  for (size_t i = 0; req && i < nasks && !found; i++) {
    json_t *status = NULL;
    if (cluster_ctl_workload(c, asks[i], op, req, o->timeout_ns, &status, &err) != WASM_OK) {
      fprintf(stderr, "%s\n", err.message);
      continue;
    }
    /* asking around: the host that knows the workload answers */
    if (state_is(status, "NOT_FOUND") && i + 1 < nasks) {
      json_decref(status);
      continue;
    }
    found = status;
    found_host = asks[i];
  }
  json_decref(req);
  if (!found) {
    fprintf(stderr, "error: %s: no host answered\n", id);
    goto done;
  }
  if (o->json) {
    char *s = NULL;
    if (proto_encode(proto_message_find("WorkloadStatus"), found, &s, &err) == WASM_OK)
      printf("%s\n", s);
    free(s);
  } else {
    printf("%s %s %s %s\n", id, found_host, state_name(found), str(found, "message"));
  }
  bool bad = state_is(found, "ERROR") || state_is(found, "NOT_FOUND");
  rc = bad ? 1 : 0;
  /* a stopped (or unknown) workload is forgotten */
  char *remembered = !strcmp(op, "stop") && o->state && (!bad || state_is(found, "NOT_FOUND"))
                         ? cluster_ctl_state_host(o->state, id)
                         : NULL;
  if (remembered && cluster_ctl_state_set(o->state, id, NULL, NULL, NULL, &err) != WASM_OK)
    fprintf(stderr, "warning: %s\n", err.message);
  free(remembered);
  json_decref(found);
done:
  cluster_ctl_hosts_free(hs, nhs);
  free(known);
  return rc;
}

int cmd_ctl(int argc, char **argv) {
  ctl_opts o;
  if (parse_opts(argc, argv, &o) != 0) {
    free_opts(&o);
    return ctl_usage();
  }
  bool known = !strcmp(o.cmd, "hosts") || !strcmp(o.cmd, "start") || !strcmp(o.cmd, "status") ||
               !strcmp(o.cmd, "stop");
  if (!known) fprintf(stderr, "error: unknown ctl command %s\n", o.cmd);
  if (!known || (strcmp(o.cmd, "hosts") != 0) != (o.npos == 1)) {
    free_opts(&o);
    return ctl_usage();
  }
  cluster_ctl *c = NULL;
  wasm_error err = {0};
  if (cluster_ctl_connect(o.url, 0, &c, &err) != WASM_OK) {
    fprintf(stderr, "error: %s\n", err.message);
    free_opts(&o);
    return 1;
  }
  int rc;
  if (!strcmp(o.cmd, "hosts")) rc = do_hosts(&o, c);
  else if (!strcmp(o.cmd, "start")) rc = do_start(&o, c);
  else rc = do_status_stop(&o, c, o.cmd);
  cluster_ctl_close(c);
  free_opts(&o);
  return rc;
}
