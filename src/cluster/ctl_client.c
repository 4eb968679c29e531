/* ctl_client.c: the control client behind `stratus ctl`: heartbeats in,
 * workload requests out (nats.c, synchronous: a command-line tool waits
 * for each answer), and the state file remembering placements. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <nats/nats.h>

#include "stratus/cluster.h"

#define CTL_DEFAULT_URL "nats://localhost:4222"
#define CTL_HEARTBEAT_SUBJECT "runtime.operator.heartbeat.*"

struct cluster_ctl {
  natsConnection *nc;
  char url[256];
};

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int64_t ms_of(uint64_t ns) { return (int64_t)((ns + 999999u) / 1000000u); }

/* nats.c's last error text when it has one, else the status's. */
static const char *nats_why(natsStatus s) {
  const char *e = nats_GetLastError(NULL);
  if (!e || !*e) return natsStatus_GetText(s);
  /* nats.c starts it with "(conn.c:2088): ", which tells a user nothing */
  if (*e == '(') {
    const char *close = strstr(e, "): ");
    if (close) e = close + 3;
  }
  return e;
}

wasm_status cluster_ctl_connect(const char *url, uint64_t timeout_ns, cluster_ctl **out,
                                wasm_error *err) {
  *out = NULL;
  cluster_ctl *c = calloc(1, sizeof *c);
  if (!c) return wasm_fail(err, WASM_NOMEM, "out of memory");
  snprintf(c->url, sizeof c->url, "%s", url ? url : CTL_DEFAULT_URL);
  natsOptions *o = NULL;
  natsStatus s = natsOptions_Create(&o);
  if (s == NATS_OK) s = natsOptions_SetURL(o, c->url);
  if (s == NATS_OK) s = natsOptions_SetName(o, "stratus-ctl");
  if (s == NATS_OK) s = natsOptions_SetTimeout(o, timeout_ns ? ms_of(timeout_ns) : 5000);
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(o, 0);
  if (s == NATS_OK) s = natsConnection_Connect(&c->nc, o);
  natsOptions_Destroy(o);
  if (s != NATS_OK) {
    wasm_fail(err, WASM_BAD_ARG, "cannot connect to NATS at %s: %s", c->url, nats_why(s));
    free(c);
    return WASM_BAD_ARG;
  }
  *out = c;
  return WASM_OK;
}

void cluster_ctl_close(cluster_ctl *c) {
  if (!c) return;
  natsConnection_Destroy(c->nc);
  free(c);
}

/* ---- heartbeats ---- */

void cluster_ctl_hosts_free(cluster_ctl_host *hosts, size_t n) {
  for (size_t i = 0; hosts && i < n; i++) {
    free(hosts[i].id);
    json_decref(hosts[i].heartbeat);
  }
  free(hosts);
}

/* Keeps hb as host id's last heartbeat; 1 a new host, 0 known, -1 no memory. */
static int keep(cluster_ctl_host **hosts, size_t *n, const char *id, json_t *hb) {
  for (size_t i = 0; i < *n; i++)
    if (!strcmp((*hosts)[i].id, id)) {
      json_decref((*hosts)[i].heartbeat);
      (*hosts)[i].heartbeat = hb;
      (*hosts)[i].seen_ns = now_ns();
      return 0;
    }
  cluster_ctl_host *nh = realloc(*hosts, (*n + 1) * sizeof *nh);
  char *copy = strdup(id);
  if (!nh || !copy) {
    if (nh) *hosts = nh;
    free(copy);
    json_decref(hb);
    return -1;
  }
  *hosts = nh;
  nh[*n] = (cluster_ctl_host){.id = copy, .heartbeat = hb, .seen_ns = now_ns()};
  (*n)++;
  return 1;
}

wasm_status cluster_ctl_hosts(cluster_ctl *c, uint64_t wait_ns, cluster_ctl_enough_fn enough,
                              void *ctx, cluster_ctl_host **hosts, size_t *n, wasm_error *err) {
  *hosts = NULL;
  *n = 0;
  natsSubscription *sub = NULL;
  natsStatus s = natsConnection_SubscribeSync(&sub, c->nc, CTL_HEARTBEAT_SUBJECT);
  if (s != NATS_OK)
    return wasm_fail(err, WASM_BAD_ARG, "cannot subscribe to %s: %s", CTL_HEARTBEAT_SUBJECT,
                     nats_why(s));
  const proto_message *hbm = proto_message_find("HostHeartbeat");
  uint64_t deadline = now_ns() + wait_ns;
  wasm_status st = WASM_OK;
  while (st == WASM_OK) {
    uint64_t now = now_ns();
    if (now >= deadline) break;
    natsMsg *msg = NULL;
    s = natsSubscription_NextMsg(&msg, sub, ms_of(deadline - now));
    if (s == NATS_TIMEOUT) break;
    if (s != NATS_OK) {
      st = wasm_fail(err, WASM_BAD_ARG, "listening to heartbeats: %s", nats_why(s));
      break;
    }
    json_t *hb = NULL;
    wasm_error e = {0};
    /* a malformed heartbeat is someone else's problem: skipped */
    if (proto_decode(hbm, natsMsg_GetData(msg), (size_t)natsMsg_GetDataLength(msg), &hb, &e) ==
            WASM_OK &&
        json_string_value(json_object_get(hb, "id")) &&
        *json_string_value(json_object_get(hb, "id"))) {
      char id[128];
      snprintf(id, sizeof id, "%s", json_string_value(json_object_get(hb, "id")));
      int r = keep(hosts, n, id, hb);
      if (r < 0) st = wasm_fail(err, WASM_NOMEM, "out of memory");
      else if (r > 0 && enough && enough(ctx, *hosts, *n)) {
        natsMsg_Destroy(msg);
        break;
      }
    } else {
      json_decref(hb);
    }
    natsMsg_Destroy(msg);
  }
  natsSubscription_Unsubscribe(sub);
  natsSubscription_Destroy(sub);
  if (st != WASM_OK) {
    cluster_ctl_hosts_free(*hosts, *n);
    *hosts = NULL;
    *n = 0;
  }
  return st;
}

bool cluster_ctl_host_matches(const cluster_ctl_host *h, const plugin_map *selector) {
  const json_t *labels = json_object_get(h->heartbeat, "labels");
  for (size_t i = 0; selector && i < selector->n; i++) {
    const char *v = json_string_value(json_object_get(labels, selector->keys[i]));
    if (!v || strcmp(v, selector->values[i]) != 0) return false;
  }
  return true;
}

/* ---- workload requests ---- */

wasm_status cluster_ctl_workload(cluster_ctl *c, const char *host, const char *op,
                                 const json_t *req, uint64_t timeout_ns, json_t **status,
                                 wasm_error *err) {
  *status = NULL;
  static const char *const OPS[][3] = {
      {"start", "WorkloadStartRequest", "WorkloadStartResponse"},
      {"status", "WorkloadStatusRequest", "WorkloadStatusResponse"},
      {"stop", "WorkloadStopRequest", "WorkloadStopResponse"},
  };
  size_t k = 0;
  while (k < 3 && strcmp(OPS[k][0], op) != 0) k++;
  if (k == 3) return wasm_fail(err, WASM_BAD_ARG, "unknown workload operation %s", op);
  char *body = NULL;
  wasm_status st = proto_encode(proto_message_find(OPS[k][1]), req, &body, err);
  if (st != WASM_OK) return st;
  char subject[256];
  snprintf(subject, sizeof subject, "runtime.host.%s.workload.%s", host, op);
  natsMsg *reply = NULL;
  int64_t ms = timeout_ns ? ms_of(timeout_ns) : 60000;
  natsStatus s = natsConnection_Request(&reply, c->nc, subject, body, (int)strlen(body), ms);
  free(body);
  if (s == NATS_TIMEOUT)
    return wasm_fail(err, WASM_EXHAUSTED, "host %s: no reply to workload.%s within %lld ms", host,
                     op, (long long)ms);
  if (s == NATS_NO_RESPONDERS)
    return wasm_fail(err, WASM_BAD_ARG, "host %s: no such host (nobody listens on %s)", host,
                     subject);
  if (s != NATS_OK)
    return wasm_fail(err, WASM_BAD_ARG, "host %s: workload.%s: %s", host, op, nats_why(s));
  json_t *resp = NULL;
  wasm_error e = {0};
  st = proto_decode(proto_message_find(OPS[k][2]), natsMsg_GetData(reply),
                    (size_t)natsMsg_GetDataLength(reply), &resp, &e);
  natsMsg_Destroy(reply);
  if (st != WASM_OK) return wasm_fail(err, st, "host %s: malformed %s: %s", host, OPS[k][2], e.message);
  json_t *ws = json_object_get(resp, "workloadStatus");
  if (!json_is_object(ws)) {
    json_decref(resp);
    return wasm_fail(err, WASM_MALFORMED, "host %s: %s without workloadStatus", host, OPS[k][2]);
  }
  *status = json_incref(ws);
  json_decref(resp);
  return WASM_OK;
}

void cluster_uuid4(char out[37]) {
  unsigned char b[16];
  size_t got = 0;
  while (got < sizeof b) {
    ssize_t r = getrandom(b + got, sizeof b - got, 0);
    if (r > 0) got += (size_t)r;
    else if (errno != EINTR) break;
  }
  if (got < sizeof b) { /* no entropy source: time and pid, still unique enough per process */
    uint64_t t = now_ns() ^ ((uint64_t)getpid() << 32);
    for (size_t i = got; i < sizeof b; i++) b[i] = (unsigned char)(t >> (8 * (i % 8))) ^ (unsigned char)(i * 37);
  }
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
  snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
           b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
           b[15]);
}

/* ---- the state file ---- */

char *cluster_ctl_state_default(void) {
  const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
  char buf[4096];
  if (xdg && *xdg) snprintf(buf, sizeof buf, "%s/stratus/ctl.json", xdg);
  else if (home && *home) snprintf(buf, sizeof buf, "%s/.local/state/stratus/ctl.json", home);
  else return NULL;
  return strdup(buf);
}

/* mkdir -p of path's directory. */
static bool make_parent(const char *path) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (!slash || slash == dir) return true;
  *slash = 0;
  for (char *p = dir + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) return false;
    *p = '/';
  }
  return mkdir(dir, 0755) == 0 || errno == EEXIST;
}

/* The state file's tree; a missing file is an empty state. */
static json_t *state_load(const char *path) {
  json_t *j = json_load_file(path, 0, NULL);
  if (!json_is_object(j) || !json_is_object(json_object_get(j, "workloads"))) {
    json_decref(j);
    j = json_pack("{s:{}}", "workloads");
  }
  return j;
}

wasm_status cluster_ctl_state_set(const char *path, const char *id, const char *host,
                                  const char *ns, const char *name, wasm_error *err) {
  json_t *j = state_load(path);
  if (!j) return wasm_fail(err, WASM_NOMEM, "out of memory");
  json_t *ws = json_object_get(j, "workloads");
  if (host) {
    json_t *e = json_pack("{s:s,s:s,s:s}", "host", host, "namespace", ns ? ns : "", "name",
                          name ? name : "");
    if (!e || json_object_set_new(ws, id, e)) {
      json_decref(j);
      return wasm_fail(err, WASM_NOMEM, "out of memory");
    }
  } else {
    json_object_del(ws, id);
  }
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
  wasm_status st = WASM_OK;
  if (!make_parent(path))
    st = wasm_fail(err, WASM_BAD_ARG, "%s: cannot make its directory: %s", path, strerror(errno));
  else if (json_dump_file(j, tmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0)
    st = wasm_fail(err, WASM_BAD_ARG, "%s: cannot write", tmp);
  else if (rename(tmp, path) != 0)
    st = wasm_fail(err, WASM_BAD_ARG, "%s: %s", path, strerror(errno));
  if (st != WASM_OK) unlink(tmp);
  json_decref(j);
  return st;
}

char *cluster_ctl_state_host(const char *path, const char *id) {
  json_t *j = state_load(path);
  const char *h = json_string_value(
      json_object_get(json_object_get(json_object_get(j, "workloads"), id), "host"));
  char *out = h ? strdup(h) : NULL;
  json_decref(j);
  return out;
}
