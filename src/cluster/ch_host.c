/*
 * ch_host.c: the cluster host's life: the NATS connections (retrying and
 * reconnecting forever), the plugins, the runtime and the HTTP server;
 * the subscription on runtime.host.<id>.> and its dispatch; the
 * heartbeat loop; the drain at stop.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ch_internal.h"

#define CH_DEFAULT_URL "nats://localhost:4222"
#define CH_DEFAULT_HEARTBEAT_NS 15000000000ull
#define CH_DRAIN_MS 5000 /* waiting for the subscription's callbacks at stop */

static wasm_status ch_fail(wasm_error *err, wasm_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static wasm_status ch_fail(wasm_error *err, wasm_status st, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  return err->status = st;
}

void ch_log(cluster_host *h, const char *fmt, ...) {
  char line[1200];
  va_list ap;
  va_start(ap, fmt);
  int n = snprintf(line, sizeof line, "stratus host: ");
  vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
  va_end(ap);
  strcat(line, "\n");
  fputs(line, h->log); /* one call: lines of several threads do not mix */
  fflush(h->log);
}

void ch_publish(cluster_host *h, natsConnection *nc, const char *subject, const char *data) {
  natsStatus s = natsConnection_PublishString(nc, subject, data);
  if (s != NATS_OK) ch_log(h, "cannot publish on %s: %s", subject, natsStatus_GetText(s));
}

static void wake(cluster_host *h, char c) {
  int saved = errno;
  ssize_t r = write(h->wake[1], &c, 1);
  (void)r; /* a full pipe already wakes the loop */
  errno = saved;
}

/* ---- NATS ---- */

static const char *conn_name(cluster_host *h, natsConnection *nc) {
  return nc == h->data ? "data" : "scheduler";
}

static void on_disconnected(natsConnection *nc, void *closure) {
  cluster_host *h = closure;
  if (!h->conns_closing) ch_log(h, "NATS %s connection lost; reconnecting", conn_name(h, nc));
}

static void on_reconnected(natsConnection *nc, void *closure) {
  cluster_host *h = closure;
  char url[256] = "";
  natsConnection_GetConnectedUrl(nc, url, sizeof url);
  /* also the first connect when it completes in the background (the
   * retry's connected callback) */
  ch_log(h, "NATS %s connection (re)established to %s", conn_name(h, nc), url);
  if (nc != h->data) wake(h, 'h'); /* a heartbeat at once */
}

/* The last callback of a connection: cluster_host_delete waits for it
 * before freeing h (nats.c calls back on its own thread, after Close). */
static void on_closed(natsConnection *nc, void *closure) {
  cluster_host *h = closure;
  if (!h->conns_closing) ch_log(h, "NATS %s connection closed", conn_name(h, nc));
  pthread_mutex_lock(&h->mu);
  h->ncloses++;
  pthread_cond_broadcast(&h->cv);
  pthread_mutex_unlock(&h->mu);
}

static void on_async_error(natsConnection *nc, natsSubscription *sub, natsStatus s,
                           void *closure) {
  (void)sub;
  cluster_host *h = closure;
  ch_log(h, "NATS %s connection: %s", conn_name(h, nc), natsStatus_GetText(s));
}

/* The options of one connection; *opts is set also on failure. */
static wasm_status make_opts(cluster_host *h, const char *what, const char *url,
                             const cluster_nats_tls *tls, natsOptions **opts, wasm_error *err) {
  natsStatus s = natsOptions_Create(opts);
  if (s != NATS_OK) return ch_fail(err, WASM_NOMEM, "NATS options: %s", natsStatus_GetText(s));
  natsOptions *o = *opts;
  char name[96];
  snprintf(name, sizeof name, "stratus-host %s %s", h->id, what);
  if ((s = natsOptions_SetURL(o, url)) != NATS_OK)
    return ch_fail(err, WASM_BAD_ARG, "%s NATS URL %s: %s", what, url, natsStatus_GetText(s));
  if (tls->first)
    return ch_fail(err, WASM_BAD_ARG,
                   "--%s-nats-tls-first: TLS-first handshakes are not supported by this nats.c "
                   "(%s)", what, NATS_VERSION_STRING);
  if (tls->ca || tls->cert || tls->key) s = natsOptions_SetSecure(o, true);
  if (s == NATS_OK && tls->ca) {
    if ((s = natsOptions_LoadCATrustedCertificates(o, tls->ca)) != NATS_OK)
      return ch_fail(err, WASM_BAD_ARG, "--%s-nats-tls-ca %s: %s", what, tls->ca,
                     nats_GetLastError(NULL) ? nats_GetLastError(NULL) : natsStatus_GetText(s));
  }
  if (s == NATS_OK && (tls->cert || tls->key)) {
    if (!tls->cert || !tls->key)
      return ch_fail(err, WASM_BAD_ARG, "--%s-nats-tls-cert and --%s-nats-tls-key go together",
                     what, what);
    if ((s = natsOptions_LoadCertificatesChain(o, tls->cert, tls->key)) != NATS_OK)
      return ch_fail(err, WASM_BAD_ARG, "--%s-nats-tls-cert %s / -key %s: %s", what, tls->cert,
                     tls->key,
                     nats_GetLastError(NULL) ? nats_GetLastError(NULL) : natsStatus_GetText(s));
  }
  if (s == NATS_OK) s = natsOptions_SetName(o, name);
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(o, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(o, 1000);
  if (s == NATS_OK) s = natsOptions_SetTimeout(o, 2000);
  if (s == NATS_OK) s = natsOptions_SetRetryOnFailedConnect(o, true, on_reconnected, h);
  if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(o, on_disconnected, h);
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(o, on_reconnected, h);
  if (s == NATS_OK) s = natsOptions_SetClosedCB(o, on_closed, h);
  if (s == NATS_OK) s = natsOptions_SetErrorHandler(o, on_async_error, h);
  if (s != NATS_OK)
    return ch_fail(err, WASM_BAD_ARG, "%s NATS options: %s", what, natsStatus_GetText(s));
  return WASM_OK;
}

/* Connects, or starts connecting in the background when no server
 * answers (NATS_NOT_YET_CONNECTED). */
static wasm_status ch_connect(cluster_host *h, const char *what, natsOptions *o,
                              natsConnection **nc, wasm_error *err) {
  natsStatus s = natsConnection_Connect(nc, o);
  if (s == NATS_OK) {
    char url[256] = "";
    natsConnection_GetConnectedUrl(*nc, url, sizeof url);
    ch_log(h, "NATS %s connection established to %s", what, url);
    return WASM_OK;
  }
  if (s == NATS_NOT_YET_CONNECTED) {
    ch_log(h, "NATS %s server not reachable yet; retrying every second", what);
    return WASM_OK;
  }
  const char *e = nats_GetLastError(NULL);
  return ch_fail(err, WASM_BAD_ARG, "%s NATS connection: %s", what,
                 e ? e : natsStatus_GetText(s));
}

/* ---- the subscription ---- */

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure) {
  (void)nc, (void)sub;
  cluster_host *h = closure;
  const char *subject = natsMsg_GetSubject(msg), *reply = natsMsg_GetReply(msg);
  const char *data = natsMsg_GetData(msg);
  int len = natsMsg_GetDataLength(msg);
  if (!data) data = "", len = 0;
  size_t np = strlen(h->prefix);
  const char *cmd = strncmp(subject, h->prefix, np) == 0 ? subject + np : subject;
  if (reply && !reply[0]) reply = NULL;
  if (strcmp(cmd, "heartbeat") == 0) {
    /* the request's body ({} from the operator) carries nothing: ignored */
    if (reply) {
      char *hb = ch_heartbeat_json(h);
      if (hb) ch_publish(h, h->sched, reply, hb);
      else ch_reply_status(h, reply, NULL, CH_STATE_ERROR, "cannot build the heartbeat");
      free(hb);
    }
  } else if (strcmp(cmd, "workload.start") == 0) {
    ch_handle_start(h, reply, data, (size_t)len);
  } else if (strcmp(cmd, "workload.status") == 0) {
    ch_handle_status(h, reply, data, (size_t)len);
  } else if (strcmp(cmd, "workload.stop") == 0) {
    ch_handle_stop(h, reply, data, (size_t)len);
  } else {
    char m[300];
    snprintf(m, sizeof m, "unknown command %.200s", cmd);
    ch_log(h, "%s (on %.200s)", m, subject);
    ch_reply_status(h, reply, NULL, CH_STATE_ERROR, m);
  }
  natsMsg_Destroy(msg);
}

static void on_sub_complete(void *closure) {
  cluster_host *h = closure;
  pthread_mutex_lock(&h->mu);
  h->sub_done = true;
  pthread_cond_broadcast(&h->cv);
  pthread_mutex_unlock(&h->mu);
}

/* Stops taking requests: when this returns, no callback of the
 * subscription runs any more (or CH_DRAIN_MS passed). */
static void unsubscribe(cluster_host *h) {
  if (!h->sub) return;
  natsStatus s = natsSubscription_Unsubscribe(h->sub);
  if (s == NATS_OK) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += CH_DRAIN_MS / 1000;
    pthread_mutex_lock(&h->mu);
    while (!h->sub_done)
      if (pthread_cond_timedwait(&h->cv, &h->mu, &until) == ETIMEDOUT) break;
    pthread_mutex_unlock(&h->mu);
  }
  natsSubscription_Destroy(h->sub);
  h->sub = NULL;
}

/* ---- heartbeats ---- */

static void publish_heartbeat(cluster_host *h) {
  if (natsConnection_Status(h->sched) != NATS_CONN_STATUS_CONNECTED) return;
  char *hb = ch_heartbeat_json(h);
  if (!hb) return;
  char subject[128];
  snprintf(subject, sizeof subject, "runtime.operator.heartbeat.%s", h->id);
  ch_publish(h, h->sched, subject, hb);
  free(hb);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- plugins ---- */

static wasm_status make_plugins(cluster_host *h, wasm_error *err) {
  plugin **ps = h->plugins;
  size_t n = 0;
  if (!(ps[n] = plugin_config_new()) || !(ps[++n] = plugin_logging_new(h->log)))
    return ch_fail(err, WASM_NOMEM, "out of memory");
  n++;
  h->nplugins = n;
  plugin_nats_options no = {.no_create_buckets = h->cfg.no_create_buckets};
  plugin_kv_backend *kv = NULL;
  plugin_blob_backend *blob = NULL;
  plugin_bus *bus = NULL;
  if (plugin_kv_nats_new(h->data, &no, &kv, err) != WASM_OK) return err->status;
  if (!(ps[n] = plugin_keyvalue_new(kv))) return ch_fail(err, WASM_NOMEM, "out of memory");
  h->nplugins = ++n;
  if (plugin_blob_nats_new(h->data, &no, &blob, err) != WASM_OK) return err->status;
  if (!(ps[n] = plugin_blobstore_new(blob))) return ch_fail(err, WASM_NOMEM, "out of memory");
  h->nplugins = ++n;
  if (plugin_bus_nats_new(h->data, &no, &bus, err) != WASM_OK) return err->status;
  if (!(ps[n] = plugin_messaging_new(bus, h->log))) return ch_fail(err, WASM_NOMEM, "out of memory");
  h->nplugins = ++n;
  return WASM_OK;
}

/* ---- life ---- */

const char *cluster_host_id(const cluster_host *h) { return h->id; }
const char *cluster_host_friendly_name(const cluster_host *h) { return h->friendly; }
const char *cluster_host_http_addr(const cluster_host *h) {
  return h->srv ? http_server_addr(h->srv) : NULL;
}

wasm_status cluster_host_new(const cluster_host_config *cfg, cluster_host **out,
                             wasm_error *err) {
  *out = NULL;
  cluster_host *h = calloc(1, sizeof *h);
  if (!h) return ch_fail(err, WASM_NOMEM, "out of memory");
  h->cfg = *cfg;
  h->log = cfg->log ? cfg->log : stderr;
  h->wake[0] = h->wake[1] = -1;
  h->queue_tail = &h->queue;
  pthread_mutex_init(&h->mu, NULL);
  pthread_cond_init(&h->cv, NULL);
  h->mu_ready = true;
  *out = h;
  if (!h->cfg.heartbeat_interval_ns) h->cfg.heartbeat_interval_ns = CH_DEFAULT_HEARTBEAT_NS;
  ch_uuid4(h->id);
  ch_friendly_name(h->friendly, sizeof h->friendly);
  snprintf(h->prefix, sizeof h->prefix, "runtime.host.%s.", h->id);
  if (cfg->host_name) snprintf(h->hostname, sizeof h->hostname, "%s", cfg->host_name);
  else if (gethostname(h->hostname, sizeof h->hostname - 1) != 0) strcpy(h->hostname, "localhost");
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  h->started_s = ts.tv_sec;
  h->started_ns = (int32_t)ts.tv_nsec;
  h->m_heartbeat = proto_message_find("HostHeartbeat");
  h->m_start_req = proto_message_find("WorkloadStartRequest");
  h->m_status_req = proto_message_find("WorkloadStatusRequest");
  h->m_stop_req = proto_message_find("WorkloadStopRequest");
  h->m_status_resp = proto_message_find("WorkloadStatusResponse");
  if (!h->m_heartbeat || !h->m_start_req || !h->m_status_req || !h->m_stop_req ||
      !h->m_status_resp)
    return ch_fail(err, WASM_BAD_ARG, "protocol tables lack a message");
  /* labels: the configured ones, then hostgroup */
  if (!(h->labels = json_object()) ||
      !(h->hostgroup = strdup(cfg->host_group ? cfg->host_group : "default")))
    return ch_fail(err, WASM_NOMEM, "out of memory");
  for (size_t i = 0; i < cfg->labels.n; i++)
    json_object_set_new(h->labels, cfg->labels.keys[i], json_string(cfg->labels.values[i]));
  json_object_set_new(h->labels, "hostgroup", json_string(h->hostgroup));
  if (pipe2(h->wake, O_CLOEXEC | O_NONBLOCK) != 0)
    return ch_fail(err, WASM_BAD_ARG, "pipe: %s", strerror(errno));
  /* NATS first: the plugins need the data connection */
  const char *surl = cfg->scheduler_nats_url ? cfg->scheduler_nats_url : CH_DEFAULT_URL;
  const char *durl = cfg->data_nats_url ? cfg->data_nats_url : CH_DEFAULT_URL;
  wasm_status st = make_opts(h, "scheduler", surl, &cfg->scheduler_tls, &h->sched_opts, err);
  if (!st) st = make_opts(h, "data", durl, &cfg->data_tls, &h->data_opts, err);
  if (!st) st = ch_connect(h, "scheduler", h->sched_opts, &h->sched, err);
  if (!st) st = ch_connect(h, "data", h->data_opts, &h->data, err);
  if (st) return st;
  if (!(h->engine = wasm_engine_new(NULL))) return ch_fail(err, WASM_NOMEM, "out of memory");
  if ((st = make_plugins(h, err)) != WASM_OK) return st;
  unsigned workers = cfg->workers ? cfg->workers : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
  if (workers < 1) workers = 1;
  host_runtime_config rc = {.engine = h->engine, .plugins = h->plugins, .nplugins = h->nplugins,
                            .workers = cfg->http_addr ? workers : 1,
                            .timeout_ns = cfg->timeout_ns, .log = h->log};
  if ((st = host_runtime_new(&rc, &h->rt, err)) != WASM_OK) return st;
  if (cfg->http_addr) {
    http_server_config hc = {.addr = cfg->http_addr, .workers = workers,
                             .handler = host_runtime_handle_http, .env = h->rt};
    if ((st = http_server_new(&hc, &h->srv, err)) != WASM_OK) return st;
  }
  return WASM_OK;
}

static void *server_main(void *arg) {
  cluster_host *h = arg;
  h->srv_st = http_server_run(h->srv, &h->srv_err);
  wake(h, 'x');
  return NULL;
}

void cluster_host_stop(cluster_host *h) { wake(h, 's'); }

/* Waits for stop, publishing heartbeats; false when the HTTP server
 * ended by itself. */
static bool serve_loop(cluster_host *h) {
  uint64_t next = now_ns() + h->cfg.heartbeat_interval_ns;
  for (;;) {
    uint64_t now = now_ns();
    int ms = now >= next ? 0 : (int)((next - now + 999999) / 1000000);
    struct pollfd pf = {.fd = h->wake[0], .events = POLLIN};
    int r = poll(&pf, 1, ms);
    if (r < 0 && errno != EINTR) return true;
    bool beat = false;
    if (r > 0) {
      char buf[64];
      ssize_t n = read(h->wake[0], buf, sizeof buf);
      for (ssize_t i = 0; i < n; i++) {
        if (buf[i] == 's') return true;
        if (buf[i] == 'x') return false;
        if (buf[i] == 'h') beat = true;
      }
    }
    if (now_ns() >= next) beat = true;
    if (beat) {
      publish_heartbeat(h);
      next = now_ns() + h->cfg.heartbeat_interval_ns;
    }
  }
}

wasm_status cluster_host_run(cluster_host *h, wasm_error *err) {
  char subject[128];
  snprintf(subject, sizeof subject, "%s>", h->prefix);
  wasm_status st = ch_workloads_start_threads(h, err);
  if (st) return st;
  h->sub_done = false;
  natsStatus s = natsConnection_Subscribe(&h->sub, h->sched, subject, on_msg, h);
  if (s == NATS_OK) s = natsSubscription_SetOnCompleteCB(h->sub, on_sub_complete, h);
  /* the server's queue is the limit, not the library's default 64k messages */
  if (s == NATS_OK) s = natsSubscription_SetPendingLimits(h->sub, -1, -1);
  if (s != NATS_OK) {
    ch_workloads_drain(h);
    return ch_fail(err, WASM_BAD_ARG, "cannot subscribe %s: %s", subject,
                   natsStatus_GetText(s));
  }
  /* the SUB on the server before the banner says we serve (a request
   * right after it must not meet "no responders") */
  if (natsConnection_Status(h->sched) == NATS_CONN_STATUS_CONNECTED)
    natsConnection_FlushTimeout(h->sched, 2000);
  if (h->srv) {
    if (pthread_create(&h->srv_thread, NULL, server_main, h) != 0) {
      unsubscribe(h);
      ch_workloads_drain(h);
      return ch_fail(err, WASM_NOMEM, "cannot start the HTTP server thread");
    }
    h->srv_started = true;
  }
  ch_log(h, "id %s (%s), host group %s, hostname %s", h->id, h->friendly, h->hostgroup,
         h->hostname);
  ch_log(h, "serving %s (heartbeat, workload.start|status|stop), heartbeats on "
            "runtime.operator.heartbeat.%s every %.3gs", subject, h->id,
         (double)h->cfg.heartbeat_interval_ns / 1e9);
  if (h->srv) ch_log(h, "HTTP by Host header on http://%s/", http_server_addr(h->srv));
  publish_heartbeat(h);
  bool clean = serve_loop(h);
  ch_log(h, "stopping: draining requests");
  unsubscribe(h);
  ch_workloads_drain(h); /* the starts in flight finish and reply */
  if (h->srv_started) {
    http_server_stop(h->srv);
    pthread_join(h->srv_thread, NULL);
    h->srv_started = false;
  }
  size_t n = ch_workloads_stop_all(h); /* plugins unbind while NATS is open */
  if (n) ch_log(h, "stopped %zu workload%s", n, n == 1 ? "" : "s");
  if (natsConnection_Status(h->sched) == NATS_CONN_STATUS_CONNECTED)
    natsConnection_FlushTimeout(h->sched, 1000); /* the last replies */
  if (!clean || (h->srv && h->srv_st != WASM_OK)) {
    *err = h->srv_err;
    if (!err->message[0]) ch_fail(err, WASM_BAD_ARG, "the HTTP server stopped");
    return err->status ? err->status : WASM_BAD_ARG;
  }
  ch_log(h, "stopped");
  return WASM_OK;
}

void cluster_host_delete(cluster_host *h) {
  if (!h) return;
  if (h->srv_started) {
    http_server_stop(h->srv);
    pthread_join(h->srv_thread, NULL);
  }
  if (h->sub) unsubscribe(h);
  if (h->mu_ready) ch_workloads_drain(h);
  http_server_delete(h->srv);
  host_runtime_delete(h->rt); /* stops every workload, then the plugins */
  for (size_t i = 0; i < h->nplugins; i++) plugin_free(h->plugins[i]);
  if (h->engine) wasm_engine_delete(h->engine);
  ch_workloads_free(h);
  /* the plugins borrowed the data connection: closed after them */
  h->conns_closing = true;
  int nconns = (h->sched != NULL) + (h->data != NULL);
  if (h->sched) natsConnection_Close(h->sched);
  if (h->data) natsConnection_Close(h->data);
  bool closed = true;
  if (nconns) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += CH_DRAIN_MS / 1000;
    pthread_mutex_lock(&h->mu);
    while (h->ncloses < nconns)
      if (pthread_cond_timedwait(&h->cv, &h->mu, &until) == ETIMEDOUT) break;
    closed = h->ncloses >= nconns;
    pthread_mutex_unlock(&h->mu);
  }
  if (h->sched) natsConnection_Destroy(h->sched);
  if (h->data) natsConnection_Destroy(h->data);
  natsOptions_Destroy(h->sched_opts);
  natsOptions_Destroy(h->data_opts);
  json_decref(h->labels);
  free(h->hostgroup);
  for (int i = 0; i < 2; i++)
    if (h->wake[i] >= 0) close(h->wake[i]);
  if (!closed) {
    /* a late callback would find h freed: keep it (and say so) */
    ch_log(h, "NATS connections did not report closing; not freeing the host state");
    return;
  }
  if (h->mu_ready) {
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
  }
  free(h);
}
