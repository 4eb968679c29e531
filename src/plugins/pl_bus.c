/* pl_bus.c: NATS-style subjects (validation, wildcard matching) and the
 * in-process bus behind wasmcloud-messaging: a locked list of
 * subscriptions; publish calls each matching subscriber's callback on the
 * publisher's thread, under the lock, so that unsubscribe returning means
 * the callback is done with its context. */
#include <stdlib.h>
#include <string.h>

#include "plugins/pl_internal.h"

/* ---- subjects ---- */

/* The length of the token at s (up to '.' or the end). */
static size_t tok_len(const char *s) {
  size_t n = 0;
  while (s[n] && s[n] != '.') n++;
  return n;
}

bool plugin_subject_valid(const char *s, bool pattern) {
  if (!s || !*s || strlen(s) > PL_MAX_NAME) return false;
  for (const char *p = s;;) {
    size_t n = tok_len(p);
    if (n == 0) return false; /* "a..b", ".a", "a." */
    for (size_t i = 0; i < n; i++) {
      unsigned char c = (unsigned char)p[i];
      if (c <= ' ' || c == 0x7f) return false;
    }
    bool star = n == 1 && p[0] == '*', gt = n == 1 && p[0] == '>';
    if ((star || gt) && !pattern) return false;
    if (!p[n]) return true;
    if (gt) return false; /* `>` only as the last token */
    p += n + 1;
  }
}

bool plugin_subject_match(const char *pattern, const char *subject) {
  const char *p = pattern, *s = subject;
  for (;;) {
    size_t pn = tok_len(p), sn = tok_len(s);
    if (pn == 1 && p[0] == '>') return sn > 0; /* one or more tokens left */
    if (sn == 0 || pn == 0) return sn == 0 && pn == 0;
    if (!(pn == 1 && p[0] == '*') && (pn != sn || memcmp(p, s, sn) != 0)) return false;
    p += pn;
    s += sn;
    if (!*p || !*s) return !*p && !*s;
    p++, s++;
  }
}

/* ---- the in-process bus ---- */

typedef struct bus_sub {
  uint64_t id;
  char *scope, *pattern;
  plugin_msg_fn fn;
  void *ctx;
  struct bus_sub *next;
} bus_sub;

typedef struct mem_bus {
  pthread_mutex_t mu;
  bus_sub *subs;
  uint64_t next_id;
} mem_bus;

static wasm_status mb_subscribe(plugin_bus *b, const char *scope, const char *pattern,
                                plugin_msg_fn fn, void *ctx, uint64_t *id, wasm_error *err) {
  if (!plugin_subject_valid(pattern, true))
    return pl_fail(err, WASM_BAD_ARG, "invalid subject \"%s\"", pattern ? pattern : "");
  mem_bus *m = b->self;
  bus_sub *s = calloc(1, sizeof *s);
  if (s) {
    s->scope = strdup(scope ? scope : "");
    s->pattern = strdup(pattern);
  }
  if (!s || !s->scope || !s->pattern) {
    if (s) free(s->scope), free(s->pattern);
    free(s);
    return pl_fail(err, WASM_NOMEM, "out of memory");
  }
  s->fn = fn;
  s->ctx = ctx;
  pthread_mutex_lock(&m->mu);
  s->id = ++m->next_id;
  s->next = m->subs;
  m->subs = s;
  pthread_mutex_unlock(&m->mu);
  *id = s->id;
  return WASM_OK;
}

static void mb_unsubscribe(plugin_bus *b, uint64_t id) {
  mem_bus *m = b->self;
  bus_sub *gone = NULL;
  pthread_mutex_lock(&m->mu);
  for (bus_sub **pp = &m->subs; *pp; pp = &(*pp)->next)
    if ((*pp)->id == id) {
      gone = *pp;
      *pp = gone->next;
      break;
    }
  pthread_mutex_unlock(&m->mu);
  if (gone) {
    free(gone->scope);
    free(gone->pattern);
    free(gone);
  }
}

static wasm_status mb_publish(plugin_bus *b, const char *scope, const plugin_msg *msg,
                              size_t *delivered, wasm_error *err) {
  if (delivered) *delivered = 0;
  if (!plugin_subject_valid(msg->subject, false))
    return pl_fail(err, WASM_BAD_ARG, "invalid subject \"%s\"", msg->subject ? msg->subject : "");
  if (msg->reply_to && !plugin_subject_valid(msg->reply_to, false))
    return pl_fail(err, WASM_BAD_ARG, "invalid reply-to subject \"%s\"", msg->reply_to);
  mem_bus *m = b->self;
  size_t took = 0, refused = 0;
  pthread_mutex_lock(&m->mu);
  for (bus_sub *s = m->subs; s; s = s->next) {
    if (strcmp(s->scope, scope ? scope : "") != 0 || !plugin_subject_match(s->pattern, msg->subject))
      continue;
    if (s->fn(s->ctx, msg)) took++;
    else refused++;
  }
  pthread_mutex_unlock(&m->mu);
  if (delivered) *delivered = took;
  if (refused)
    return pl_fail(err, WASM_EXHAUSTED, "%zu subscriber(s) of \"%s\" could not take the message "
                   "(delivery queue full)", refused, msg->subject);
  return WASM_OK;
}

static void mb_destroy(plugin_bus *b) {
  if (!b) return;
  mem_bus *m = b->self;
  if (m) {
    for (bus_sub *s = m->subs, *next; s; s = next) {
      next = s->next;
      free(s->scope);
      free(s->pattern);
      free(s);
    }
    pthread_mutex_destroy(&m->mu);
    free(m);
  }
  free(b);
}

plugin_bus *plugin_bus_memory_new(void) {
  plugin_bus *b = calloc(1, sizeof *b);
  mem_bus *m = calloc(1, sizeof *m);
  if (!b || !m) {
    free(b);
    free(m);
    return NULL;
  }
  pthread_mutex_init(&m->mu, NULL);
  b->name = "memory";
  b->self = m;
  b->subscribe = mb_subscribe;
  b->unsubscribe = mb_unsubscribe;
  b->publish = mb_publish;
  b->destroy = mb_destroy;
  return b;
}
