/* pl_messaging.c: the wasmcloud-messaging plugin, wasmcloud:messaging
 * @0.2.0 over a plugin_bus (pl_bus.c for the in-process one).
 *
 * Components import consumer (request, publish); components exporting
 * handler are subscribed, in workload_resolved, to the subjects of their
 * grant's `subscriptions`. A bus callback never runs a component: it
 * queues a job (a copy of the message) for the plugin's delivery threads,
 * which call the handler in a fresh instance through plugin_host.call. So
 * a publisher is never blocked by a handler, and a handler may itself
 * publish or request (the pool grows, up to MSG_THREADS, while every
 * thread is busy).
 *
 * Lifetimes: a bound workload (msg_wl) is referenced by its binding, its
 * items and each queued or running job, so a job outlives the unbind
 * that happens during it (the host may free the workload from inside
 * plugin_host.call, on a delivery thread). Lock order: the bus's lock,
 * then self->mu (callbacks enqueue under the bus lock), so nothing calls
 * the bus while holding self->mu. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugins/pl_internal.h"

#define MSG_VER "0.2.0"
#define MSG_TYPES "wasmcloud:messaging/types@" MSG_VER
#define MSG_CONSUMER "wasmcloud:messaging/consumer@" MSG_VER
#define MSG_HANDLER_FUNC "wasmcloud:messaging/handler@" MSG_VER "#handle-message"
#define MSG_THREADS 16     /* delivery threads at most */
#define MSG_QUEUE 4096     /* queued deliveries at most; more are refused */

typedef struct msg_self msg_self;
typedef struct msg_wl msg_wl;
typedef struct msg_item msg_item;

/* A handler subscription: the bus callback's context. */
typedef struct msg_sub {
  msg_wl *wl;
  msg_item *it;
  uint64_t id;
  struct msg_sub *next;
} msg_sub;

struct msg_item {
  msg_self *s;
  msg_wl *wl;
  char *name;
  char **subjects; /* from the grants' `subscriptions` */
  size_t nsubjects;
  msg_sub *subs;   /* under s->mu */
  msg_item *next;  /* in wl->items, under s->mu */
};

struct msg_wl {
  msg_self *s;
  const plugin_workload *w; /* the host's, valid while bound */
  char *id;                  /* the bus scope and plugin_host.call's target */
  plugin_host *host;         /* set by workload_resolved */
  atomic_int refs;
  bool dead;                 /* unbound: queued jobs are dropped */
  msg_item *items;
  msg_wl *next;
};

/* One message for one handler. */
typedef struct msg_job {
  msg_wl *wl;
  char *component, *subject, *reply_to;
  uint8_t *body;
  size_t len;
  struct msg_job *next;
} msg_job;

struct msg_self {
  plugin_bus *bus;
  FILE *log;
  pthread_mutex_t mu;
  pthread_cond_t cv;  /* a job queued, or stopping */
  msg_job *head, *tail;
  size_t nqueued;
  pthread_t threads[MSG_THREADS];
  unsigned nthreads, nidle;
  bool stopping;
  msg_wl *wls;
  atomic_uint_fast64_t next_inbox;
  pthread_mutex_t log_mu;
};

/* ---- reporting ---- */

static void msg_log(msg_self *s, const char *workload, const char *component,
                    const char *subject, const char *what) {
  FILE *f = s->log ? s->log : stderr;
  pthread_mutex_lock(&s->log_mu);
  fprintf(f, "level=warn plugin=wasmcloud-messaging workload=%s component=%s subject=%s msg=\"",
          workload, component, subject);
  for (const char *p = what; *p; p++) {
    unsigned char c = (unsigned char)*p;
    if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
    else if (c < 0x20 || c == 0x7f) fprintf(f, "\\x%02x", c);
    else fputc(c, f);
  }
  fputs("\"\n", f);
  fflush(f);
  pthread_mutex_unlock(&s->log_mu);
}

/* ---- workloads ---- */

static void wl_release(msg_wl *wl) {
  if (atomic_fetch_sub(&wl->refs, 1) != 1) return;
  free(wl->id);
  free(wl);
}

/* ---- delivery ---- */

static void job_free(msg_job *j) {
  free(j->component);
  free(j->subject);
  free(j->reply_to);
  free(j->body);
  free(j);
}

/* The broker-message record of a message (false: out of memory). */
static bool msg_record(cm_val *rec, const char *subject, const uint8_t *body, size_t len,
                       const char *reply_to) {
  cm_val opt, r;
  memset(&opt, 0, sizeof opt);
  if (reply_to) {
    if (!pl_cstr(&r, reply_to) || !cm_val_case(&opt, CM_OPTION, 1, &r)) return false;
  } else {
    cm_val_case(&opt, CM_OPTION, 0, NULL);
  }
  if (!cm_val_agg(rec, CM_RECORD, 3)) {
    cm_val_free(&opt);
    return false;
  }
  rec->of.list.elems[2] = opt;
  if (!pl_cstr(&rec->of.list.elems[0], subject) || !cm_val_bytes(&rec->of.list.elems[1], body, len)) {
    cm_val_free(rec);
    return false;
  }
  return true;
}

static void deliver(msg_self *s, msg_job *j) {
  msg_wl *wl = j->wl;
  cm_val rec, res;
  memset(&res, 0, sizeof res);
  wasm_error err = {0};
  if (!msg_record(&rec, j->subject, j->body, j->len, j->reply_to)) {
    msg_log(s, wl->id, j->component, j->subject, "out of memory: message dropped");
    return;
  }
  wasm_status st = wl->host->call(wl->host, wl->id, j->component, MSG_HANDLER_FUNC, &rec, 1,
                                  &res, &err);
  cm_val_free(&rec);
  if (st) {
    msg_log(s, wl->id, j->component, j->subject, err.message[0] ? err.message : "the call failed");
  } else if (res.kind == CM_RESULT && res.of.variant.disc == 1) {
    const cm_val *e = res.of.variant.payload;
    char msg[WASM_ERROR_MAX];
    snprintf(msg, sizeof msg, "handle-message returned an error: %.*s",
             e && e->kind == CM_STRING ? (int)(e->of.str.len > 200 ? 200 : e->of.str.len) : 0,
             e && e->kind == CM_STRING ? e->of.str.ptr : "");
    msg_log(s, wl->id, j->component, j->subject, msg);
  }
  cm_val_free(&res);
}

static void *delivery_main(void *arg) {
  msg_self *s = arg;
  pthread_mutex_lock(&s->mu);
  while (!s->stopping) {
    msg_job *j = s->head;
    if (!j) {
      s->nidle++;
      pthread_cond_wait(&s->cv, &s->mu);
      s->nidle--;
      continue;
    }
    s->head = j->next;
    if (!s->head) s->tail = NULL;
    s->nqueued--;
    bool dead = j->wl->dead;
    pthread_mutex_unlock(&s->mu);
    if (!dead) deliver(s, j);
    msg_wl *wl = j->wl;
    job_free(j);
    wl_release(wl); /* may be the last reference */
    pthread_mutex_lock(&s->mu);
  }
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

/* The bus callback of a handler subscription: queue a job. */
static bool on_message(void *ctx, const plugin_msg *m) {
  msg_sub *sub = ctx;
  msg_wl *wl = sub->wl;
  msg_self *s = wl->s;
  msg_job *j = calloc(1, sizeof *j);
  if (!j) return false;
  j->component = strdup(sub->it->name);
  j->subject = strdup(m->subject);
  j->reply_to = m->reply_to ? strdup(m->reply_to) : NULL;
  j->body = malloc(m->len ? m->len : 1);
  if (!j->component || !j->subject || (m->reply_to && !j->reply_to) || !j->body) {
    job_free(j);
    return false;
  }
  if (m->len) memcpy(j->body, m->body, m->len);
  j->len = m->len;
  j->wl = wl;
  pthread_mutex_lock(&s->mu);
  bool ok = !s->stopping && !wl->dead && s->nqueued < MSG_QUEUE;
  if (ok) {
    atomic_fetch_add(&wl->refs, 1);
    if (s->tail) s->tail->next = j;
    else s->head = j;
    s->tail = j;
    s->nqueued++;
    /* more work than idle threads: one more thread, if allowed */
    if (s->nqueued > s->nidle && s->nthreads < MSG_THREADS &&
        pthread_create(&s->threads[s->nthreads], NULL, delivery_main, s) == 0)
      s->nthreads++;
    ok = s->nthreads > 0; /* else nothing would ever run it */
    if (ok) pthread_cond_signal(&s->cv);
    else {
      s->head = s->tail = NULL;
      s->nqueued = 0;
      atomic_fetch_sub(&wl->refs, 1);
    }
  }
  pthread_mutex_unlock(&s->mu);
  if (!ok) job_free(j);
  return ok;
}

/* ---- consumer ---- */

/* A request's wait for its reply: the inbox subscription's context. */
typedef struct waiter {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool got, nomem, no_responders;
  char *subject, *reply_to;
  uint8_t *body;
  size_t len;
} waiter;

static bool on_reply(void *ctx, const plugin_msg *m) {
  waiter *w = ctx;
  pthread_mutex_lock(&w->mu);
  if (!w->got && m->no_responders) { /* the bus says nobody got the request */
    w->got = w->no_responders = true;
    pthread_cond_signal(&w->cv);
  } else if (!w->got) { /* the first reply wins */
    w->got = true;
    w->subject = strdup(m->subject);
    w->reply_to = m->reply_to ? strdup(m->reply_to) : NULL;
    w->body = malloc(m->len ? m->len : 1);
    if (w->body && m->len) memcpy(w->body, m->body, m->len);
    w->len = m->len;
    w->nomem = !w->subject || (m->reply_to && !w->reply_to) || !w->body;
    pthread_cond_signal(&w->cv);
  }
  pthread_mutex_unlock(&w->mu);
  return true;
}

/* A subject argument (NUL-terminated copy), or NULL with *why. */
static char *subject_arg(const cm_val *v, const char **why) {
  char *s = pl_arg_str(v, true, why);
  if (s && !plugin_subject_valid(s, false)) {
    free(s);
    *why = "invalid subject";
    return NULL;
  }
  return s;
}

static wasm_status arg_fail(cm_val *res, const char *why, const char *what, wasm_error *err) {
  if (!strcmp(why, "out of memory")) return pl_nomem(err);
  return pl_err_str(res, err, "%s: %s", what, why);
}

static wasm_status msg_request(void *env, cm_instance *caller, const cm_val *a, size_t na,
                               cm_val *res, wasm_error *err) {
  msg_item *it = env;
  msg_self *s = it->s;
  const char *why;
  char *subject = subject_arg(&a[0], &why);
  if (!subject) return arg_fail(res, why, "request", err);
  if (a[1].of.list.n > PLUGIN_MSG_MAX) {
    free(subject);
    return pl_err_str(res, err, "request: the body is larger than %u bytes", PLUGIN_MSG_MAX);
  }
  size_t len;
  uint8_t *body = pl_arg_bytes(&a[1], &len);
  uint64_t timeout = a[2].of.u < PLUGIN_MSG_MAX_TIMEOUT_MS ? a[2].of.u : PLUGIN_MSG_MAX_TIMEOUT_MS;
  char inbox_buf[64], *inbox_own = NULL;
  const char *inbox = inbox_buf;
  if (s->bus->new_inbox) { /* unique across hosts (NATS) */
    if (!(inbox = inbox_own = s->bus->new_inbox(s->bus))) {
      free(subject);
      free(body);
      return pl_nomem(err);
    }
  } else {
    snprintf(inbox_buf, sizeof inbox_buf, "_INBOX.%llu",
             (unsigned long long)atomic_fetch_add(&s->next_inbox, 1) + 1);
  }
  waiter w = {0};
  pthread_condattr_t ca;
  bool init = pthread_condattr_init(&ca) == 0;
  if (init) {
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    init = pthread_cond_init(&w.cv, &ca) == 0;
    pthread_condattr_destroy(&ca);
  }
  if (!body || !init) {
    free(subject);
    free(body);
    free(inbox_own);
    if (init) pthread_cond_destroy(&w.cv);
    return pl_nomem(err);
  }
  pthread_mutex_init(&w.mu, NULL);
  wasm_status st;
  uint64_t sid = 0;
  wasm_error be = {0};
  size_t took = 0;
  bool subscribed = false;
  if ((st = s->bus->subscribe(s->bus, it->wl->id, inbox, on_reply, &w, &sid, &be)) == WASM_OK) {
    subscribed = true;
    plugin_msg m = {.subject = subject, .body = body, .len = len, .reply_to = inbox};
    st = s->bus->publish(s->bus, it->wl->id, &m, &took, &be);
  }
  if (!st && took > 0) {
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += (time_t)(timeout / 1000);
    dl.tv_nsec += (long)(timeout % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) dl.tv_sec++, dl.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&w.mu);
    while (!w.got && pthread_cond_timedwait(&w.cv, &w.mu, &dl) != ETIMEDOUT) {}
    pthread_mutex_unlock(&w.mu);
  }
  if (subscribed) s->bus->unsubscribe(s->bus, sid); /* on_reply is done with w */
  if (st) st = pl_err_str(res, err, "request to %s: %s", subject, be.message);
  else if (!took || w.no_responders)
    st = pl_err_str(res, err, "request to %s: no responders", subject);
  else if (!w.got) st = pl_err_str(res, err, "request to %s: timed out after %llu ms", subject,
                                   (unsigned long long)timeout);
  else if (w.nomem) st = pl_nomem(err);
  else {
    cm_val rec;
    st = msg_record(&rec, w.subject, w.body, w.len, w.reply_to) ? pl_ok(res, &rec, err)
                                                                  : pl_nomem(err);
  }
  free(w.subject);
  free(w.reply_to);
  free(w.body);
  pthread_cond_destroy(&w.cv);
  pthread_mutex_destroy(&w.mu);
  free(inbox_own);
  free(subject);
  free(body);
  return st;
}

static wasm_status msg_publish(void *env, cm_instance *caller, const cm_val *a, size_t na,
                               cm_val *res, wasm_error *err) {
  msg_item *it = env;
  msg_self *s = it->s;
  const cm_val *rec = &a[0];
  const char *why;
  char *subject = subject_arg(&rec->of.list.elems[0], &why);
  if (!subject) return arg_fail(res, why, "publish", err);
  char *reply = NULL;
  const cm_val *opt = &rec->of.list.elems[2];
  if (opt->of.variant.disc == 1 && opt->of.variant.payload &&
      !(reply = subject_arg(opt->of.variant.payload, &why))) {
    free(subject);
    return arg_fail(res, why, "publish: reply-to", err);
  }
  if (rec->of.list.elems[1].of.list.n > PLUGIN_MSG_MAX) {
    free(subject);
    free(reply);
    return pl_err_str(res, err, "publish: the body is larger than %u bytes", PLUGIN_MSG_MAX);
  }
  size_t len;
  uint8_t *body = pl_arg_bytes(&rec->of.list.elems[1], &len);
  if (!body) {
    free(subject);
    free(reply);
    return pl_nomem(err);
  }
  plugin_msg m = {.subject = subject, .body = body, .len = len, .reply_to = reply};
  wasm_error be = {0};
  wasm_status st = s->bus->publish(s->bus, it->wl->id, &m, NULL, &be);
  st = st ? pl_err_str(res, err, "publish to %s: %s", subject, be.message) : pl_ok(res, NULL, err);
  free(subject);
  free(reply);
  free(body);
  return st;
}

/* ---- the interfaces ---- */

static const char WIT_TYPES[] =
    "interface types {\n"
    "  record broker-message { subject: string, body: list<u8>, reply-to: option<string> }\n"
    "}\n";

static const char WIT_CONSUMER[] =
    "interface consumer {\n"
    "  use types.{broker-message};\n"
    "  request: func(subject: string, body: list<u8>, timeout-ms: u32)\n"
    "    -> result<broker-message, string>;\n"
    "  publish: func(msg: broker-message) -> result<_, string>;\n"
    "}\n";

static wasm_status msg_item_link(plugin *p, plugin_item *item, cm_linker *l, wasm_error *err) {
  msg_item *it = item->state;
  if (!it) return pl_fail(err, WASM_BAD_ARG, "wasmcloud-messaging: item not bound");
  /* types: whatever the item was granted of the package uses it */
  wasm_status st = cm_linker_define_interface(l, MSG_TYPES, WIT_TYPES, NULL, 0, err);
  if (!st && pl_granted(item, "wasmcloud", "messaging", "consumer")) {
    cm_host_entry e[] = {{"request", msg_request, NULL, it}, {"publish", msg_publish, NULL, it}};
    st = cm_linker_define_interface(l, MSG_CONSUMER, WIT_CONSUMER, e, 2, err);
  }
  return st;
}

/* ---- binding ---- */

/* Appends the subjects of a comma list to it->subjects. */
static wasm_status add_subjects(msg_item *it, const char *list, wasm_error *err) {
  for (const char *p = list; *p;) {
    const char *e = strchr(p, ',');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    const char *a = p, *b = p + n;
    while (a < b && (*a == ' ' || *a == '\t')) a++;
    while (b > a && (b[-1] == ' ' || b[-1] == '\t')) b--;
    p = e ? e + 1 : p + n;
    if (a == b) continue;
    char *sub = strndup(a, (size_t)(b - a));
    char **v = sub ? realloc(it->subjects, (it->nsubjects + 1) * sizeof *v) : NULL;
    if (!v) {
      free(sub);
      return pl_fail(err, WASM_NOMEM, "out of memory");
    }
    it->subjects = v;
    if (!plugin_subject_valid(sub, true)) {
      wasm_status st = pl_fail(err, WASM_BAD_ARG,
                               "wasmcloud-messaging: subscriptions: \"%s\" is not a valid subject",
                               sub);
      free(sub);
      return st;
    }
    it->subjects[it->nsubjects++] = sub;
  }
  return WASM_OK;
}

static msg_wl *find_wl_locked(msg_self *s, const plugin_workload *w) {
  for (msg_wl *wl = s->wls; wl; wl = wl->next)
    if (wl->w == w) return wl;
  return NULL;
}

static wasm_status msg_workload_bind(plugin *p, const plugin_workload *w, wasm_error *err) {
  msg_self *s = p->self;
  msg_wl *wl = calloc(1, sizeof *wl);
  if (wl) wl->id = strdup(w->id ? w->id : "");
  if (!wl || !wl->id) {
    free(wl);
    return pl_fail(err, WASM_NOMEM, "out of memory");
  }
  wl->s = s;
  wl->w = w;
  atomic_init(&wl->refs, 1);
  pthread_mutex_lock(&s->mu);
  wl->next = s->wls;
  s->wls = wl;
  pthread_mutex_unlock(&s->mu);
  return WASM_OK;
}

static void item_free(msg_item *it) {
  pl_strs_free(it->subjects, it->nsubjects);
  free(it->name);
  free(it);
}

static wasm_status msg_item_bind(plugin *p, plugin_item *item, wasm_error *err) {
  msg_self *s = p->self;
  msg_item *it = calloc(1, sizeof *it);
  if (it) it->name = strdup(item->name ? item->name : "");
  if (!it || !it->name) {
    free(it);
    return pl_fail(err, WASM_NOMEM, "out of memory");
  }
  it->s = s;
  wasm_status st = WASM_OK;
  for (size_t g = 0; !st && g < item->ngrants; g++) {
    const char *list = plugin_map_get(&item->grants[g]->config, "subscriptions");
    if (list) st = add_subjects(it, list, err);
  }
  if (st) {
    item_free(it);
    return st;
  }
  pthread_mutex_lock(&s->mu);
  it->wl = find_wl_locked(s, item->workload);
  if (it->wl) {
    atomic_fetch_add(&it->wl->refs, 1);
    it->next = it->wl->items;
    it->wl->items = it;
  }
  pthread_mutex_unlock(&s->mu);
  if (!it->wl) {
    item_free(it);
    return pl_fail(err, WASM_BAD_ARG, "wasmcloud-messaging: item bound before its workload");
  }
  item->state = it;
  return WASM_OK;
}

/* Whether the component exports the handler: asked of the host, or (a
 * host without has_export) learnt from a call with no arguments, which
 * fails before running anything either way. */
static bool is_handler(plugin_host *h, const char *wid, const char *comp) {
  if (h->has_export) return h->has_export(h, wid, comp, MSG_HANDLER_FUNC);
  cm_val res;
  memset(&res, 0, sizeof res);
  wasm_error err = {0};
  wasm_status st = h->call(h, wid, comp, MSG_HANDLER_FUNC, NULL, 0, &res, &err);
  if (!st) cm_val_free(&res);
  return !(st && strstr(err.message, "has no export"));
}

/* Removes and unsubscribes the item's subscriptions. */
static void item_unsubscribe(msg_self *s, msg_item *it) {
  pthread_mutex_lock(&s->mu);
  msg_sub *subs = it->subs;
  it->subs = NULL;
  pthread_mutex_unlock(&s->mu);
  for (msg_sub *u = subs, *next; u; u = next) {
    next = u->next;
    s->bus->unsubscribe(s->bus, u->id);
    free(u);
  }
}

static wasm_status msg_workload_resolved(plugin *p, const plugin_workload *w, plugin_host *host,
                                         wasm_error *err) {
  msg_self *s = p->self;
  pthread_mutex_lock(&s->mu);
  msg_wl *wl = find_wl_locked(s, w);
  if (wl) wl->host = host;
  /* the items (their list does not change until unbind) */
  size_t n = 0;
  for (msg_item *it = wl ? wl->items : NULL; it; it = it->next) n++;
  msg_item **items = calloc(n + 1, sizeof *items);
  n = 0;
  for (msg_item *it = wl && items ? wl->items : NULL; it; it = it->next) items[n++] = it;
  pthread_mutex_unlock(&s->mu);
  if (!wl) {
    free(items);
    return pl_fail(err, WASM_BAD_ARG, "wasmcloud-messaging: workload not bound");
  }
  if (!items) return pl_fail(err, WASM_NOMEM, "out of memory");
  wasm_status st = WASM_OK;
  for (size_t i = n; !st && i-- > 0;) { /* the manifest's order */
    msg_item *it = items[i];
    if (!it->nsubjects || !is_handler(host, wl->id, it->name)) continue;
    for (size_t k = 0; !st && k < it->nsubjects; k++) {
      msg_sub *u = calloc(1, sizeof *u);
      if (!u) {
        st = pl_fail(err, WASM_NOMEM, "out of memory");
        break;
      }
      u->wl = wl;
      u->it = it;
      pthread_mutex_lock(&s->mu);
      u->next = it->subs; /* listed first: unbind finds it whatever happens next */
      it->subs = u;
      pthread_mutex_unlock(&s->mu);
      /* until it returns, u->id is 0 for a callback; none needs it */
      if ((st = s->bus->subscribe(s->bus, wl->id, it->subjects[k], on_message, u, &u->id, err)))
        u->id = 0;
    }
  }
  free(items);
  return st;
}

static void msg_item_unbind(plugin *p, plugin_item *item) {
  msg_self *s = p->self;
  msg_item *it = item->state;
  if (!it) return;
  item_unsubscribe(s, it);
  msg_wl *wl = it->wl;
  pthread_mutex_lock(&s->mu);
  for (msg_item **pp = &wl->items; *pp; pp = &(*pp)->next)
    if (*pp == it) {
      *pp = it->next;
      break;
    }
  pthread_mutex_unlock(&s->mu);
  item_free(it);
  wl_release(wl);
  item->state = NULL;
}

static void msg_workload_unbind(plugin *p, const plugin_workload *w) {
  msg_self *s = p->self;
  pthread_mutex_lock(&s->mu);
  msg_wl *wl = NULL;
  for (msg_wl **pp = &s->wls; *pp; pp = &(*pp)->next)
    if ((*pp)->w == w) {
      wl = *pp;
      *pp = wl->next;
      break;
    }
  if (wl) wl->dead = true;
  /* items the host did not unbind (it should have) */
  msg_item *left = wl ? wl->items : NULL;
  pthread_mutex_unlock(&s->mu);
  for (msg_item *it = left; it; it = it->next) item_unsubscribe(s, it);
  if (wl) wl_release(wl);
}

/* ---- the plugin ---- */

static wasm_status msg_start(plugin *p, wasm_error *err) {
  msg_self *s = p->self;
  pthread_mutex_lock(&s->mu);
  s->stopping = false;
  pthread_mutex_unlock(&s->mu);
  return WASM_OK;
}

/* Joins the delivery threads; jobs still queued are dropped. */
static void msg_stop(plugin *p) {
  msg_self *s = p->self;
  pthread_mutex_lock(&s->mu);
  s->stopping = true;
  pthread_cond_broadcast(&s->cv);
  unsigned n = s->nthreads;
  pthread_mutex_unlock(&s->mu);
  for (unsigned i = 0; i < n; i++) pthread_join(s->threads[i], NULL);
  pthread_mutex_lock(&s->mu);
  s->nthreads = 0;
  msg_job *j = s->head;
  s->head = s->tail = NULL;
  s->nqueued = 0;
  pthread_mutex_unlock(&s->mu);
  while (j) {
    msg_job *next = j->next;
    msg_wl *wl = j->wl;
    job_free(j);
    wl_release(wl);
    j = next;
  }
}

static void msg_destroy(plugin *p) {
  msg_self *s = p->self;
  if (s) {
    msg_stop(p);
    /* workloads the host did not unbind */
    while (s->wls) {
      msg_wl *wl = s->wls;
      s->wls = wl->next;
      for (msg_item *it = wl->items, *next; it; it = next) {
        next = it->next;
        item_unsubscribe(s, it);
        item_free(it);
      }
      free(wl->id);
      free(wl);
    }
    if (s->bus && s->bus->destroy) s->bus->destroy(s->bus);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->log_mu);
  }
  pl_plugin_free(p);
}

plugin *plugin_messaging_new(plugin_bus *b, FILE *log) {
  plugin *p = b ? pl_plugin_new(sizeof(msg_self)) : NULL;
  if (!p) {
    if (b && b->destroy) b->destroy(b);
    return NULL;
  }
  msg_self *s = p->self;
  s->bus = b;
  s->log = log;
  pthread_mutex_init(&s->mu, NULL);
  pthread_mutex_init(&s->log_mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  atomic_init(&s->next_inbox, 0);
  p->id = "wasmcloud-messaging";
  p->imports = "wasmcloud:messaging/consumer,types@" MSG_VER;
  p->exports = "wasmcloud:messaging/handler@" MSG_VER;
  p->start = msg_start;
  p->stop = msg_stop;
  p->workload_bind = msg_workload_bind;
  p->item_bind = msg_item_bind;
  p->item_link = msg_item_link;
  p->workload_resolved = msg_workload_resolved;
  p->item_unbind = msg_item_unbind;
  p->workload_unbind = msg_workload_unbind;
  p->destroy = msg_destroy;
  return p;
}
