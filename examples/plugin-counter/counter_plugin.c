/*
 * counter_plugin.c: an example host plugin written outside the Stratus
 * tree, against the public headers only (stratus/plugin.h and
 * stratus/component.h). It provides
 *
 *   package example:counter@0.1.0;
 *   interface counter { next: func(name: string) -> u64; }
 *
 * with one set of named counters per workload: workload_bind makes the
 * set, item_bind points each component at its workload's set, item_link
 * defines the interface on the host's linkers (one per worker thread),
 * and workload_unbind frees the set. Host functions run on any worker
 * thread at once, so each set has its own mutex.
 */
#include "counter_plugin.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define CTR_MAX_NAME 256    /* bytes of a counter name */
#define CTR_MAX_NAMES 4096  /* counters per workload: a guest cannot grow
                               the host's memory without bound */

static const char CTR_WIT[] =
    "interface counter {\n"
    "  next: func(name: string) -> u64;\n"
    "}\n";

typedef struct ctr_entry {
  char *name;
  size_t len;
  uint64_t value;
  struct ctr_entry *next;
} ctr_entry;

/* The counters of one workload (item->state of its components). */
typedef struct ctr_set {
  char *workload_id;
  pthread_mutex_t mu;
  ctr_entry *entries;
  size_t n;
  struct ctr_set *next;
} ctr_set;

/* p->self: the sets of the bound workloads. */
typedef struct ctr_plugin {
  pthread_mutex_t mu;
  ctr_set *sets;
} ctr_plugin;

static wasm_status ctr_fail(wasm_error *err, wasm_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static wasm_status ctr_fail(wasm_error *err, wasm_status st, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  return err->status = st;
}

static void ctr_set_free(ctr_set *s) {
  for (ctr_entry *e = s->entries, *next; e; e = next) {
    next = e->next;
    free(e->name);
    free(e);
  }
  pthread_mutex_destroy(&s->mu);
  free(s->workload_id);
  free(s);
}

/* ---- the interface ---- */

/* next(name) -> u64: the counter `name` of the caller's workload, plus one. */
static wasm_status ctr_next(void *env, cm_instance *caller, const cm_val *args, size_t nargs,
                            cm_val *result, wasm_error *err) {
  ctr_set *s = env;
  if (nargs != 1 || args[0].kind != CM_STRING)
    return ctr_fail(err, WASM_TRAP, "example-counter: next takes one string");
  const char *name = args[0].of.str.ptr;
  size_t len = args[0].of.str.len;
  if (len > CTR_MAX_NAME)
    return ctr_fail(err, WASM_TRAP, "example-counter: counter name longer than %d bytes",
                    CTR_MAX_NAME);
  pthread_mutex_lock(&s->mu);
  ctr_entry *e = s->entries;
  while (e && (e->len != len || memcmp(e->name, name, len) != 0)) e = e->next;
  if (!e) {
    if (s->n >= CTR_MAX_NAMES) {
      pthread_mutex_unlock(&s->mu);
      return ctr_fail(err, WASM_TRAP, "example-counter: more than %d counters", CTR_MAX_NAMES);
    }
    e = calloc(1, sizeof *e);
    char *copy = malloc(len + 1);
    if (!e || !copy) {
      pthread_mutex_unlock(&s->mu);
      free(e);
      free(copy);
      return ctr_fail(err, WASM_TRAP, "example-counter: out of memory");
    }
    if (len) memcpy(copy, name, len);
    copy[len] = 0;
    *e = (ctr_entry){.name = copy, .len = len, .next = s->entries};
    s->entries = e;
    s->n++;
  }
  uint64_t v = ++e->value;
  pthread_mutex_unlock(&s->mu);
  memset(result, 0, sizeof *result);
  result->kind = CM_U64;
  result->of.u = v;
  return WASM_OK;
}

/* ---- the hooks ---- */

static wasm_status ctr_workload_bind(plugin *p, const plugin_workload *w, wasm_error *err) {
  ctr_plugin *cp = p->self;
  ctr_set *s = calloc(1, sizeof *s);
  if (!s || !(s->workload_id = strdup(w->id))) {
    free(s);
    return ctr_fail(err, WASM_NOMEM, "example-counter: out of memory");
  }
  pthread_mutex_init(&s->mu, NULL);
  pthread_mutex_lock(&cp->mu);
  s->next = cp->sets;
  cp->sets = s;
  pthread_mutex_unlock(&cp->mu);
  return WASM_OK;
}

static wasm_status ctr_item_bind(plugin *p, plugin_item *item, wasm_error *err) {
  ctr_plugin *cp = p->self;
  pthread_mutex_lock(&cp->mu);
  ctr_set *s = cp->sets;
  while (s && strcmp(s->workload_id, item->workload->id) != 0) s = s->next;
  pthread_mutex_unlock(&cp->mu);
  if (!s)
    return ctr_fail(err, WASM_BAD_ARG, "example-counter: workload %s is not bound",
                    item->workload->id);
  item->state = s; /* the set outlives the item: freed at workload_unbind */
  return WASM_OK;
}

static wasm_status ctr_item_link(plugin *p, plugin_item *item, cm_linker *l, wasm_error *err) {
  if (!item->state) return ctr_fail(err, WASM_BAD_ARG, "example-counter: item not bound");
  cm_host_entry e[] = {{.name = "next", .fn = ctr_next, .env = item->state}};
  return cm_linker_define_interface(l, COUNTER_IFACE, CTR_WIT, e, 1, err);
}

static void ctr_item_unbind(plugin *p, plugin_item *item) { item->state = NULL; }

static void ctr_workload_unbind(plugin *p, const plugin_workload *w) {
  ctr_plugin *cp = p->self;
  pthread_mutex_lock(&cp->mu);
  ctr_set **at = &cp->sets;
  while (*at && strcmp((*at)->workload_id, w->id) != 0) at = &(*at)->next;
  ctr_set *s = *at;
  if (s) *at = s->next;
  pthread_mutex_unlock(&cp->mu);
  if (s) ctr_set_free(s);
}

static void ctr_destroy(plugin *p) {
  ctr_plugin *cp = p->self;
  /* workloads still bound (a host stopping without unbinding) */
  for (ctr_set *s = cp->sets, *next; s; s = next) {
    next = s->next;
    ctr_set_free(s);
  }
  pthread_mutex_destroy(&cp->mu);
  free(cp);
  free(p);
}

plugin *counter_plugin_new(void) {
  plugin *p = calloc(1, sizeof *p);
  ctr_plugin *cp = calloc(1, sizeof *cp);
  if (!p || !cp) {
    free(p);
    free(cp);
    return NULL;
  }
  pthread_mutex_init(&cp->mu, NULL);
  p->id = "example-counter";
  p->imports = COUNTER_IFACE;
  p->self = cp;
  p->workload_bind = ctr_workload_bind;
  p->item_bind = ctr_item_bind;
  p->item_link = ctr_item_link;
  p->item_unbind = ctr_item_unbind;
  p->workload_unbind = ctr_workload_unbind;
  p->destroy = ctr_destroy;
  return p;
}
