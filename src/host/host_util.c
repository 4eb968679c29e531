/* host_util.c: the host layer's arena, errors and interface names. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/host_internal.h"

/* Each allocation is one block in a list: workloads and plans are small,
 * what matters is freeing them in one call. */
typedef struct host_block {
  struct host_block *next;
  max_align_t data[];
} host_block;

struct host_arena {
  host_block *blocks;
};

host_arena *host_arena_new(void) { return calloc(1, sizeof(host_arena)); }

void host_arena_free(host_arena *a) {
  if (!a) return;
  host_block *b = a->blocks;
  while (b) {
    host_block *next = b->next;
    free(b);
    b = next;
  }
  free(a);
}

void *host_arena_alloc(host_arena *a, size_t size) {
  host_block *b = calloc(1, sizeof(host_block) + (size ? size : 1));
  if (!b) return NULL;
  b->next = a->blocks;
  a->blocks = b;
  return b->data;
}

char *host_arena_strndup(host_arena *a, const char *s, size_t n) {
  char *d = host_arena_alloc(a, n + 1);
  if (d) memcpy(d, s, n);
  return d;
}

char *host_arena_strdup(host_arena *a, const char *s) { return host_arena_strndup(a, s, strlen(s)); }

char *host_arena_printf(host_arena *a, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return NULL;
  char *d = host_arena_alloc(a, (size_t)n + 1);
  if (!d) return NULL;
  va_start(ap, fmt);
  vsnprintf(d, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return d;
}

bool host_iface_parse(const char *name, size_t len, host_iface *out) {
  const char *end = name + len;
  const char *colon = memchr(name, ':', len);
  if (!colon || colon == name) return false;
  const char *slash = memchr(colon, '/', (size_t)(end - colon));
  if (!slash || slash == colon + 1) return false;
  const char *at = memchr(slash, '@', (size_t)(end - slash));
  const char *iend = at ? at : end;
  if (iend == slash + 1) return false;
  out->ns = name;
  out->ns_len = (size_t)(colon - name);
  out->pkg = colon + 1;
  out->pkg_len = (size_t)(slash - colon - 1);
  out->iface = slash + 1;
  out->iface_len = (size_t)(iend - slash - 1);
  out->ver = at ? at + 1 : end;
  out->ver_len = at ? (size_t)(end - at - 1) : 0;
  return true;
}

/* Reads "a.b.c" with no pre-release or build part. */
static bool parse_semver(const char *v, size_t len, unsigned long n[3]) {
  size_t i = 0;
  for (int k = 0; k < 3; k++) {
    if (i >= len || v[i] < '0' || v[i] > '9') return false;
    unsigned long x = 0;
    while (i < len && v[i] >= '0' && v[i] <= '9') x = x * 10 + (unsigned long)(v[i++] - '0');
    n[k] = x;
    if (k < 2) {
      if (i >= len || v[i] != '.') return false;
      i++;
    }
  }
  return i == len;
}

/* As the Component Model matches imports: 1.2.3 ~ 1.4.0, 0.2.1 ~ 0.2.9,
 * 0.0.1 only itself; a pre-release only itself. */
bool host_version_compatible(const char *a, size_t alen, const char *b, size_t blen) {
  if (alen == 0 || blen == 0) return true;
  if (alen == blen && memcmp(a, b, alen) == 0) return true;
  unsigned long x[3], y[3];
  if (!parse_semver(a, alen, x) || !parse_semver(b, blen, y)) return false;
  if (x[0] != y[0]) return false;
  if (x[0] > 0) return true;
  if (x[1] != y[1]) return false;
  return x[1] > 0;
}

static bool span_eq(const char *a, size_t alen, const char *b, size_t blen) {
  return alen == blen && memcmp(a, b, alen) == 0;
}

/* One entry of a set: "ns:pkg/a,b@ver" or "ns:pkg/{a,b}@ver". */
static bool entry_has(const char *e, size_t len, const host_iface *want) {
  const char *end = e + len;
  const char *colon = memchr(e, ':', len);
  if (!colon) return false;
  const char *slash = memchr(colon, '/', (size_t)(end - colon));
  if (!slash) return false;
  if (!span_eq(e, (size_t)(colon - e), want->ns, want->ns_len)) return false;
  if (!span_eq(colon + 1, (size_t)(slash - colon - 1), want->pkg, want->pkg_len)) return false;
  const char *at = memchr(slash, '@', (size_t)(end - slash));
  const char *lend = at ? at : end;
  if (!host_version_compatible(at ? at + 1 : end, at ? (size_t)(end - at - 1) : 0, want->ver,
                               want->ver_len))
    return false;
  const char *p = slash + 1;
  while (p < lend) {
    while (p < lend && (*p == '{' || *p == ',' || *p == '}')) p++;
    const char *s = p;
    while (p < lend && *p != ',' && *p != '}') p++;
    if (p > s && span_eq(s, (size_t)(p - s), want->iface, want->iface_len)) return true;
  }
  return false;
}

bool host_set_has(const char *set, const char *iface) {
  host_iface want;
  if (!set || !host_iface_parse(iface, strlen(iface), &want)) return false;
  const char *p = set;
  for (;;) {
    while (*p == ' ' || *p == '\t' || *p == '\n') p++;
    if (!*p) return false;
    const char *s = p;
    while (*p && *p != ' ' && *p != '\t' && *p != '\n') p++;
    if (entry_has(s, (size_t)(p - s), &want)) return true;
  }
}

bool host_is_core_interface(const char *name) {
  static const char *const core[] = {"io", "clocks", "random", "cli", "filesystem", "sockets", "http"};
  host_iface f;
  if (!host_iface_parse(name, strlen(name), &f)) return false;
  if (!span_eq(f.ns, f.ns_len, "wasi", 4)) return false;
  for (size_t i = 0; i < sizeof core / sizeof *core; i++)
    if (span_eq(f.pkg, f.pkg_len, core[i], strlen(core[i]))) return true;
  return false;
}

/* ---- the epoch ticker ---- */

struct host_ticker {
  wasm_engine *engine;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv; /* on CLOCK_MONOTONIC */
  bool stop;
};

static void *ticker_main(void *arg) {
  host_ticker *t = arg;
  struct timespec at;
  clock_gettime(CLOCK_MONOTONIC, &at);
  pthread_mutex_lock(&t->mu);
  while (!t->stop) {
    at.tv_nsec += HOST_TICK_NS;
    if (at.tv_nsec >= 1000000000) at.tv_sec++, at.tv_nsec -= 1000000000;
    while (!t->stop && pthread_cond_timedwait(&t->cv, &t->mu, &at) != ETIMEDOUT) {}
    if (!t->stop) wasm_engine_increment_epoch(t->engine);
  }
  pthread_mutex_unlock(&t->mu);
  return NULL;
}

host_ticker *host_ticker_start(wasm_engine *e) {
  host_ticker *t = calloc(1, sizeof *t);
  pthread_condattr_t ca;
  if (!t || pthread_condattr_init(&ca) != 0) {
    free(t);
    return NULL;
  }
  t->engine = e;
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  bool mu = pthread_mutex_init(&t->mu, NULL) == 0;
  bool cv = mu && pthread_cond_init(&t->cv, &ca) == 0;
  pthread_condattr_destroy(&ca);
  if (cv && pthread_create(&t->thread, NULL, ticker_main, t) == 0) return t;
  if (cv) pthread_cond_destroy(&t->cv);
  if (mu) pthread_mutex_destroy(&t->mu);
  free(t);
  return NULL;
}

void host_ticker_stop(host_ticker *t) {
  if (!t) return;
  pthread_mutex_lock(&t->mu);
  t->stop = true;
  pthread_cond_signal(&t->cv);
  pthread_mutex_unlock(&t->mu);
  pthread_join(t->thread, NULL);
  pthread_cond_destroy(&t->cv);
  pthread_mutex_destroy(&t->mu);
  free(t);
}

uint64_t host_deadline_ticks(uint64_t timeout_ns) {
  return (timeout_ns + HOST_TICK_NS - 1) / HOST_TICK_NS + 1;
}
