/*
 * ch_workloads.c: the cluster host's workloads (reference, section 2.5,
 * with its gaps filled): the table by workloadId, the start threads, and
 * the workload.start, workload.status and workload.stop handlers.
 *
 * Every request with a reply subject gets a reply: a request that does
 * not decode, lacks its workloadId (or workload) or cannot be served is
 * answered with WORKLOAD_STATE_ERROR and a message; unknown ids with
 * NOT_FOUND. Starts run on CH_START_THREADS threads (pulls and compiles
 * never block the NATS delivery thread); status and stop answer on it.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ch_internal.h"

/* ---- replies ---- */

void ch_reply_status(cluster_host *h, const char *reply, const char *wid, int state,
                     const char *message) {
  if (!reply) return;
  json_t *st = json_object(), *v = json_object();
  char *out = NULL;
  wasm_error err = {0};
  if (st && v) {
    if (wid) json_object_set_new(st, "workloadId", json_string(wid));
    json_object_set_new(st, "workloadState", json_integer(state));
    if (message) json_object_set_new(st, "message", json_string(message));
    json_object_set(v, "workloadStatus", st);
    /* WorkloadStartResponse, WorkloadStatusResponse and WorkloadStopResponse
     * have this one shape */
    if (proto_encode(h->m_status_resp, v, &out, &err) != WASM_OK) {
      ch_log(h, "cannot encode a reply: %s", err.message);
      out = NULL;
    }
  }
  json_decref(st);
  json_decref(v);
  /* a reply that cannot be built still answers: the requester must not
   * wait for a timeout */
  ch_publish(h, h->sched, reply, out ? out : "{\"workloadStatus\":{\"workloadState\":"
                                             "\"WORKLOAD_STATE_ERROR\"}}");
  free(out);
}

/* Decodes a request as message m; replies ERROR (and returns NULL) when
 * it does not decode or has no workloadId. */
static json_t *decode_request(cluster_host *h, const proto_message *m, const char *reply,
                              const char *data, size_t len, const char **wid) {
  json_t *v = NULL;
  wasm_error err = {0};
  char msg[sizeof err.message + 64];
  if (proto_decode(m, data, len, &v, &err) != WASM_OK) {
    snprintf(msg, sizeof msg, "malformed %s: %s", m->name, err.message);
    ch_log(h, "%s", msg);
    ch_reply_status(h, reply, NULL, CH_STATE_ERROR, msg);
    return NULL;
  }
  *wid = json_string_value(json_object_get(v, "workloadId"));
  if (!*wid || !**wid) {
    snprintf(msg, sizeof msg, "malformed %s: missing workloadId", m->name);
    ch_log(h, "%s", msg);
    ch_reply_status(h, reply, NULL, CH_STATE_ERROR, msg);
    json_decref(v);
    return NULL;
  }
  return v;
}

/* ---- the table (h->mu held) ---- */

static ch_workload *find_locked(cluster_host *h, const char *wid) {
  for (ch_workload *e = h->table; e; e = e->next)
    if (strcmp(e->wid, wid) == 0) return e;
  return NULL;
}

static void unlink_locked(cluster_host *h, ch_workload *e) {
  for (ch_workload **p = &h->table; *p; p = &(*p)->next)
    if (*p == e) {
      *p = e->next;
      return;
    }
}

static void entry_free(ch_workload *e) {
  if (!e) return;
  free(e->wid);
  free(e->message);
  free(e);
}

/* The state to report for e, with its message in msg. */
static int status_locked(cluster_host *h, const ch_workload *e, char *msg, size_t n) {
  switch (e->state) {
  case CH_STATE_STARTING: snprintf(msg, n, "Workload is starting"); return e->state;
  case CH_STATE_STOPPING: snprintf(msg, n, "Workload is stopping"); return e->state;
  case CH_STATE_ERROR: snprintf(msg, n, "%s", e->message ? e->message : "Workload failed"); return e->state;
  default: break;
  }
  host_service_status ss;
  if (e->has_service && host_runtime_service_status(h->rt, e->rt_id, &ss)) {
    if (ss.state == HOST_SERVICE_FAILED) {
      snprintf(msg, n, "Workload is in error: its service failed%s%s", ss.last_error[0] ? ": " : "",
               ss.last_error);
      return CH_STATE_ERROR;
    }
    if (ss.state == HOST_SERVICE_COMPLETED && e->ncomponents == 0) {
      snprintf(msg, n, "Workload is completed");
      return CH_STATE_COMPLETED;
    }
  }
  snprintf(msg, n, "Workload is running");
  return CH_STATE_RUNNING;
}

void ch_workloads_count(cluster_host *h, uint64_t *workloads, uint64_t *components) {
  *workloads = *components = 0;
  pthread_mutex_lock(&h->mu);
  for (ch_workload *e = h->table; e; e = e->next) {
    ++*workloads;
    if (e->state == CH_STATE_RUNNING) *components += e->ncomponents;
  }
  pthread_mutex_unlock(&h->mu);
}

/* ---- images ---- */

/* cluster_image_fn: "file://PATH" and absolute paths of existing files are
 * local (only when the host allows local images); anything else is an OCI
 * reference, pulled. */
static wasm_status resolve_image(void *ctx, const char *ref, int32_t pull_policy,
                                 const char *username, const char *password, char **path,
                                 wasm_error *err) {
  cluster_host *h = ctx;
  const char *local = strncmp(ref, "file://", 7) == 0 ? ref + 7 : ref[0] == '/' ? ref : NULL;
  if (local && !h->cfg.allow_local_images) {
    snprintf(err->message, sizeof err->message,
             "image %s: a local file, and this host does not take local images "
             "(start it with --allow-local-images)", ref);
    return err->status = WASM_BAD_ARG;
  }
  if (local) {
    struct stat sb;
    if (stat(local, &sb) != 0 || !S_ISREG(sb.st_mode)) {
      snprintf(err->message, sizeof err->message, "image %s: no such file", ref);
      return err->status = WASM_BAD_ARG;
    }
    if (!(*path = strdup(local))) {
      snprintf(err->message, sizeof err->message, "out of memory");
      return err->status = WASM_NOMEM;
    }
    return WASM_OK;
  }
  /* ImagePullPolicy: 1 ALWAYS, 3 NEVER, else (UNSPECIFIED, IF_NOT_PRESENT)
   * the cache when it has the image */
  oci_options o = {.cache_dir = h->cfg.oci_cache_dir,
                   .allow_insecure = h->cfg.allow_insecure_registries,
                   .timeout_ns = h->cfg.registry_pull_timeout_ns,
                   .username = username, .password = password,
                   .policy = pull_policy == 1   ? OCI_PULL_ALWAYS
                             : pull_policy == 3 ? OCI_PULL_NEVER
                                                : OCI_PULL_IF_NOT_PRESENT};
  return oci_pull(ref, &o, path, NULL, err);
}

/* ---- starts ---- */

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void job_free(ch_job *j) {
  free(j->wid);
  free(j->reply);
  json_decref(j->workload);
  free(j);
}

static void run_start(cluster_host *h, ch_job *j) {
  uint64_t t0 = now_ms();
  workload *w = NULL;
  wasm_error err = {0};
  char rt_id[HOST_RUNTIME_ID_MAX] = "";
  size_t ncomponents = 0;
  bool has_service = false;
  wasm_status st = cluster_workload_from_proto(j->workload, resolve_image, h, &w, &err);
  if (st == WASM_OK) {
    ncomponents = w->ncomponents;
    has_service = w->service != NULL;
    st = host_runtime_start_workload(h->rt, w, rt_id, &err); /* takes w */
  }
  uint64_t ms = now_ms() - t0;
  pthread_mutex_lock(&h->mu);
  ch_workload *e = find_locked(h, j->wid); /* the entry stays while starting */
  if (e && e->stop_requested) {
    unlink_locked(h, e);
    pthread_mutex_unlock(&h->mu);
    entry_free(e);
    if (st == WASM_OK) {
      host_runtime_stop_workload(h->rt, rt_id);
      malloc_trim(0); /* as in ch_handle_stop */
      ch_log(h, "workload %s (%s) started in %llu ms and was stopped at once: a stop came "
                "while it was starting", j->wid, rt_id, (unsigned long long)ms);
      ch_reply_status(h, j->reply, j->wid, CH_STATE_STOPPING,
                      "Workload was stopped while it was starting");
    } else {
      ch_log(h, "workload %s failed to start (and a stop was asked): %s", j->wid, err.message);
      ch_reply_status(h, j->reply, j->wid, CH_STATE_ERROR, err.message);
    }
    return;
  }
  if (e && st == WASM_OK) {
    e->state = CH_STATE_RUNNING;
    snprintf(e->rt_id, sizeof e->rt_id, "%s", rt_id);
    e->ncomponents = ncomponents;
    e->has_service = has_service;
  } else if (e) {
    e->state = CH_STATE_ERROR;
    free(e->message);
    e->message = strdup(err.message);
  }
  pthread_mutex_unlock(&h->mu);
  if (st == WASM_OK) {
    ch_log(h, "workload %s (%s) started in %llu ms", j->wid, rt_id, (unsigned long long)ms);
    ch_reply_status(h, j->reply, j->wid, CH_STATE_RUNNING, "Workload started successfully");
  } else {
    ch_log(h, "workload %s failed to start: %s", j->wid, err.message);
    ch_reply_status(h, j->reply, j->wid, CH_STATE_ERROR, err.message);
  }
}

static void *start_main(void *arg) {
  cluster_host *h = arg;
  for (;;) {
    pthread_mutex_lock(&h->mu);
    while (!h->queue && !h->closing) pthread_cond_wait(&h->cv, &h->mu);
    ch_job *j = h->queue;
    if (j) {
      h->queue = j->next;
      if (!h->queue) h->queue_tail = &h->queue;
      h->nqueued--;
    }
    pthread_mutex_unlock(&h->mu);
    if (!j) return NULL; /* closing and nothing left */
    run_start(h, j);
    job_free(j);
  }
}

wasm_status ch_workloads_start_threads(cluster_host *h, wasm_error *err) {
  h->closing = false;
  for (; h->nthreads < CH_START_THREADS; h->nthreads++)
    if (pthread_create(&h->threads[h->nthreads], NULL, start_main, h) != 0) {
      ch_workloads_drain(h);
      snprintf(err->message, sizeof err->message, "cannot start the workload threads");
      return err->status = WASM_NOMEM;
    }
  return WASM_OK;
}

void ch_workloads_drain(cluster_host *h) {
  pthread_mutex_lock(&h->mu);
  h->closing = true;
  pthread_cond_broadcast(&h->cv);
  pthread_mutex_unlock(&h->mu);
  for (size_t i = 0; i < h->nthreads; i++) pthread_join(h->threads[i], NULL);
  h->nthreads = 0;
}

size_t ch_workloads_stop_all(cluster_host *h) {
  size_t n = 0;
  pthread_mutex_lock(&h->mu);
  ch_workload *t = h->table;
  h->table = NULL;
  pthread_mutex_unlock(&h->mu);
  while (t) {
    ch_workload *e = t;
    t = e->next;
    if (e->rt_id[0] && host_runtime_stop_workload(h->rt, e->rt_id)) n++;
    entry_free(e);
  }
  return n;
}

void ch_workloads_free(cluster_host *h) {
  while (h->queue) { /* only when the threads never ran */
    ch_job *j = h->queue;
    h->queue = j->next;
    job_free(j);
  }
  h->queue_tail = &h->queue;
  while (h->table) {
    ch_workload *e = h->table;
    h->table = e->next;
    entry_free(e);
  }
}

void ch_handle_start(cluster_host *h, const char *reply, const char *data, size_t len) {
  const char *wid = NULL;
  json_t *v = decode_request(h, h->m_start_req, reply, data, len, &wid);
  if (!v) return;
  json_t *wl = json_object_get(v, "workload");
  char msg[1024];
  ch_job *j = NULL;
  ch_workload *e = NULL;
  if (!wl) {
    ch_reply_status(h, reply, wid, CH_STATE_ERROR, "malformed WorkloadStartRequest: missing workload");
    goto done;
  }
  pthread_mutex_lock(&h->mu);
  ch_workload *old = find_locked(h, wid);
  if (h->closing) {
    pthread_mutex_unlock(&h->mu);
    ch_reply_status(h, reply, wid, CH_STATE_ERROR, "the host is shutting down");
    goto done;
  }
  if (old && old->state != CH_STATE_ERROR) { /* idempotent: its state */
    int state = status_locked(h, old, msg, sizeof msg);
    pthread_mutex_unlock(&h->mu);
    ch_reply_status(h, reply, wid, state, msg);
    goto done;
  }
  if (h->nqueued >= CH_MAX_QUEUE) {
    pthread_mutex_unlock(&h->mu);
    ch_reply_status(h, reply, wid, CH_STATE_ERROR, "too many workload starts waiting; try again");
    goto done;
  }
  if (old) { /* a failed start is tried again */
    unlink_locked(h, old);
    entry_free(old);
  }
  e = calloc(1, sizeof *e);
  j = calloc(1, sizeof *j);
  if (!e || !j || !(e->wid = strdup(wid)) || !(j->wid = strdup(wid)) ||
      (reply && !(j->reply = strdup(reply)))) {
    pthread_mutex_unlock(&h->mu);
    ch_reply_status(h, reply, wid, CH_STATE_ERROR, "out of memory");
    goto done;
  }
  ch_log(h, "workload %s: start requested (%s/%s)", wid,
         json_string_value(json_object_get(wl, "namespace")) ? json_string_value(json_object_get(wl, "namespace")) : "default",
         json_string_value(json_object_get(wl, "name")) ? json_string_value(json_object_get(wl, "name")) : "");
  e->state = CH_STATE_STARTING;
  e->next = h->table;
  h->table = e;
  j->workload = json_incref(wl);
  *h->queue_tail = j;
  h->queue_tail = &j->next;
  h->nqueued++;
  e = NULL, j = NULL;
  pthread_cond_signal(&h->cv);
  pthread_mutex_unlock(&h->mu);
done:
  entry_free(e);
  if (j) job_free(j);
  json_decref(v);
}

void ch_handle_status(cluster_host *h, const char *reply, const char *data, size_t len) {
  const char *wid = NULL;
  json_t *v = decode_request(h, h->m_status_req, reply, data, len, &wid);
  if (!v) return;
  char msg[1024] = "Workload not found";
  int state = CH_STATE_NOT_FOUND;
  pthread_mutex_lock(&h->mu);
  ch_workload *e = find_locked(h, wid);
  if (e) state = status_locked(h, e, msg, sizeof msg);
  pthread_mutex_unlock(&h->mu);
  ch_reply_status(h, reply, wid, state, msg);
  json_decref(v);
}

void ch_handle_stop(cluster_host *h, const char *reply, const char *data, size_t len) {
  const char *wid = NULL;
  json_t *v = decode_request(h, h->m_stop_req, reply, data, len, &wid);
  if (!v) return;
  pthread_mutex_lock(&h->mu);
  ch_workload *e = find_locked(h, wid);
  if (!e) {
    pthread_mutex_unlock(&h->mu);
    ch_reply_status(h, reply, wid, CH_STATE_NOT_FOUND, "Workload not found");
  } else if (e->state == CH_STATE_STARTING || e->state == CH_STATE_STOPPING) {
    /* the start thread stops it when the start finishes */
    e->stop_requested = true;
    e->state = CH_STATE_STOPPING;
    pthread_mutex_unlock(&h->mu);
    ch_log(h, "workload %s: stop asked while it is starting; it stops when the start ends", wid);
    ch_reply_status(h, reply, wid, CH_STATE_STOPPING,
                    "Workload is stopping: it was starting and stops once the start ends");
  } else {
    unlink_locked(h, e);
    pthread_mutex_unlock(&h->mu);
    /* ERROR entries never started: nothing runs */
    if (e->rt_id[0]) host_runtime_stop_workload(h->rt, e->rt_id);
    /* a long-lived host gives a stopped workload's compiled code and
     * memories back to the system (glibc keeps freed heap otherwise) */
    malloc_trim(0);
    ch_log(h, "workload %s (%s) stopped", wid, e->rt_id[0] ? e->rt_id : "not running");
    entry_free(e);
    ch_reply_status(h, reply, wid, CH_STATE_STOPPING, "Workload stopped successfully");
  }
  json_decref(v);
}
