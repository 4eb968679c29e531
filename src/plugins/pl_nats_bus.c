/* pl_nats_bus.c: the messaging bus on core NATS (wasmcloud-messaging on
 * `stratus host`). A subscription is a nats.c asynchronous subscription
 * (a queue subscription in the group of the workload's name, so replicas
 * share the load); its callback runs on nats.c's delivery thread.
 *
 * The unsubscribe guarantee (the callback not running and never running
 * again once unsubscribe returns) comes from a lock and a flag per
 * subscription: the callback calls fn only under the lock with the flag
 * clear, and unsubscribe sets the flag under the lock. The subscription's
 * memory is freed only once nats.c reports (its on-complete callback)
 * that it will not call us again. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugins/pl_nats_internal.h"

#define NB_UNSUB_WAIT_S 5 /* unsubscribe waits this long for nats.c at most */
#define NB_INBOX "_INBOX."

typedef struct nsub {
  pthread_mutex_t mu;
  pthread_cond_t cv;     /* completed */
  bool closed;           /* fn is not to be called any more */
  bool completed;        /* nats.c will not call on_msg again */
  bool abandoned;        /* unsubscribe gave up waiting: on_complete frees */
  plugin_msg_fn fn;
  void *ctx;
  natsSubscription *ns;
  uint64_t id;
  struct nsub *next;
} nsub;

typedef struct nbus {
  natsConnection *nc;
  pthread_mutex_t mu; /* subs, next_id */
  nsub *subs;
  uint64_t next_id;
} nbus;

static void nsub_free(nsub *s) {
  pthread_cond_destroy(&s->cv);
  pthread_mutex_destroy(&s->mu);
  free(s);
}

static void on_msg(natsConnection *nc, natsSubscription *ns, natsMsg *msg, void *closure) {
  nsub *s = closure;
  const char *reply = natsMsg_GetReply(msg);
  int len = natsMsg_GetDataLength(msg);
  plugin_msg m = {.subject = natsMsg_GetSubject(msg),
                  .body = (const uint8_t *)natsMsg_GetData(msg),
                  .len = len > 0 ? (size_t)len : 0,
                  .reply_to = reply && *reply ? reply : NULL,
                  .no_responders = natsMsg_IsNoResponders(msg)};
  pthread_mutex_lock(&s->mu);
  /* a full queue drops the message: core NATS has no redelivery */
  if (!s->closed) (void)s->fn(s->ctx, &m);
  pthread_mutex_unlock(&s->mu);
  natsMsg_Destroy(msg);
}

static void on_complete(void *closure) {
  nsub *s = closure;
  pthread_mutex_lock(&s->mu);
  s->completed = true;
  bool gone = s->abandoned;
  pthread_cond_signal(&s->cv);
  pthread_mutex_unlock(&s->mu);
  if (gone) nsub_free(s);
}

/* The queue group of scope: up to the first '#', other characters than
 * [A-Za-z0-9_./:=-] replaced by '_'; NULL for no group. */
static char *queue_name(const char *scope) {
  if (!scope || !*scope || *scope == '#') return NULL;
  size_t n = strcspn(scope, "#");
  char *q = malloc(n + 1);
  if (!q) return NULL;
  for (size_t i = 0; i < n; i++) {
    char c = scope[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("_./:=-", c);
    q[i] = ok ? c : '_';
  }
  q[n] = 0;
  return q;
}

static wasm_status nb_subscribe(plugin_bus *b, const char *scope, const char *pattern,
                                plugin_msg_fn fn, void *ctx, uint64_t *id, wasm_error *err) {
  nbus *nb = b->self;
  if (!plugin_subject_valid(pattern, true))
    return pl_fail(err, WASM_BAD_ARG, "invalid subject \"%s\"", pattern ? pattern : "");
  bool plain = !strncmp(pattern, NB_INBOX, strlen(NB_INBOX));
  char *queue = plain ? NULL : queue_name(scope);
  if (!plain && scope && *scope && *scope != '#' && !queue)
    return pl_fail(err, WASM_NOMEM, "out of memory");
  nsub *s = calloc(1, sizeof *s);
  if (!s) {
    free(queue);
    return pl_fail(err, WASM_NOMEM, "out of memory");
  }
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  s->fn = fn;
  s->ctx = ctx;
  /* subscribing while nats.c reconnects is fine: it resends the
   * subscriptions once connected */
  natsStatus st = queue ? natsConnection_QueueSubscribe(&s->ns, nb->nc, pattern, queue, on_msg, s)
                        : natsConnection_Subscribe(&s->ns, nb->nc, pattern, on_msg, s);
  free(queue);
  if (st != NATS_OK) {
    nsub_free(s);
    return pln_fail(err, st, "subscribe to %s", pattern);
  }
  st = natsSubscription_SetOnCompleteCB(s->ns, on_complete, s);
  if (st != NATS_OK) {
    /* closed already (the connection went away): nats.c may still be in
     * on_msg, so s is left to leak rather than freed under it */
    wasm_status ws = pln_fail(err, st, "subscribe to %s", pattern);
    pthread_mutex_lock(&s->mu);
    s->closed = true;
    pthread_mutex_unlock(&s->mu);
    natsSubscription_Unsubscribe(s->ns);
    natsSubscription_Destroy(s->ns);
    return ws;
  }
  pthread_mutex_lock(&nb->mu);
  s->id = ++nb->next_id;
  s->next = nb->subs;
  nb->subs = s;
  pthread_mutex_unlock(&nb->mu);
  *id = s->id;
  return WASM_OK;
}

/* Closes s (out of the list already) and frees it once nats.c is done. */
static void nsub_close(nsub *s) {
  pthread_mutex_lock(&s->mu);
  s->closed = true; /* from here on fn is not called; it is not running now */
  pthread_mutex_unlock(&s->mu);
  natsSubscription *ns = s->ns;
  natsSubscription_Unsubscribe(ns); /* closed already: fine */
  struct timespec dl;
  clock_gettime(CLOCK_REALTIME, &dl);
  dl.tv_sec += NB_UNSUB_WAIT_S;
  pthread_mutex_lock(&s->mu);
  while (!s->completed && pthread_cond_timedwait(&s->cv, &s->mu, &dl) != ETIMEDOUT) {}
  bool done = s->completed;
  if (!done) s->abandoned = true; /* on_complete frees it, whenever it comes */
  pthread_mutex_unlock(&s->mu);
  natsSubscription_Destroy(ns);
  if (done) nsub_free(s);
}

static void nb_unsubscribe(plugin_bus *b, uint64_t id) {
  nbus *nb = b->self;
  nsub *gone = NULL;
  pthread_mutex_lock(&nb->mu);
  for (nsub **pp = &nb->subs; *pp; pp = &(*pp)->next)
    if ((*pp)->id == id) {
      gone = *pp;
      *pp = gone->next;
      break;
    }
  pthread_mutex_unlock(&nb->mu);
  if (gone) nsub_close(gone);
}

static wasm_status nb_publish(plugin_bus *b, const char *scope, const plugin_msg *m,
                              size_t *delivered, wasm_error *err) {
  nbus *nb = b->self;
  if (delivered) *delivered = 0;
  if (!plugin_subject_valid(m->subject, false))
    return pl_fail(err, WASM_BAD_ARG, "invalid subject \"%s\"", m->subject ? m->subject : "");
  if (m->reply_to && !plugin_subject_valid(m->reply_to, false))
    return pl_fail(err, WASM_BAD_ARG, "invalid reply-to subject \"%s\"", m->reply_to);
  if (m->len > INT32_MAX) return pl_fail(err, WASM_BAD_ARG, "message too large");
  /* nats.c would buffer it while reconnecting; the caller learns now */
  wasm_status ws = pln_connected(nb->nc, "publish", err);
  if (ws) return ws;
  natsMsg *msg = NULL;
  natsStatus st = natsMsg_Create(&msg, m->subject, m->reply_to, (const char *)m->body, (int)m->len);
  if (st == NATS_OK) st = natsConnection_PublishMsg(nb->nc, msg);
  natsMsg_Destroy(msg);
  if (st != NATS_OK) return pln_fail(err, st, "publish to %s", m->subject);
  if (delivered) *delivered = 1; /* sent: NATS does not say to how many */
  return WASM_OK;
}

static char *nb_new_inbox(plugin_bus *b) {
  natsInbox *ib = NULL;
  if (natsInbox_Create(&ib) != NATS_OK) return NULL;
  char *s = strdup(ib);
  natsInbox_Destroy(ib);
  return s;
}

static void nb_destroy(plugin_bus *b) {
  if (!b) return;
  nbus *nb = b->self;
  if (nb) {
    nsub *s = nb->subs;
    nb->subs = NULL;
    while (s) {
      nsub *next = s->next;
      nsub_close(s);
      s = next;
    }
    pthread_mutex_destroy(&nb->mu);
    free(nb);
  }
  free(b);
}

wasm_status plugin_bus_nats_new(natsConnection *nc, const plugin_nats_options *o,
                                plugin_bus **out, wasm_error *err) {
  *out = NULL;
  if (!nc) return pl_fail(err, WASM_BAD_ARG, "messaging: no NATS connection");
  plugin_bus *b = calloc(1, sizeof *b);
  nbus *nb = calloc(1, sizeof *nb);
  if (!b || !nb) {
    free(b);
    free(nb);
    return pl_fail(err, WASM_NOMEM, "out of memory");
  }
  nb->nc = nc;
  pthread_mutex_init(&nb->mu, NULL);
  b->name = "nats";
  b->self = nb;
  b->subscribe = nb_subscribe;
  b->unsubscribe = nb_unsubscribe;
  b->publish = nb_publish;
  b->destroy = nb_destroy;
  b->new_inbox = nb_new_inbox;
  *out = b;
  return WASM_OK;
}
