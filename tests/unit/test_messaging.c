/*
 * test_messaging.c: the wasmcloud-messaging plugin and the in-process bus
 * (src/plugins/pl_messaging.c, pl_bus.c) with the fixture components of
 * tests/fixtures/plugins/ (msg_requester_app.c: consumer driven through
 * `run`; msg_echo_app.c: a handler answering on reply-to). The test is
 * the host: it binds one workload with both components by hand and
 * provides plugin_host.call (a fresh linker, store and instance per
 * call), so the requester's own call and the handler's deliveries run
 * side by side as they would under the host runtime.
 */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stratus/component.h"
#include "stratus/plugin.h"
#include "stratus/wasi.h"
#include "unit_cm.h"
#include "unit_fixture.h"
#include "unit_msg.h"

static char root[PATH_MAX];

static cm_component *load(const char *name) { return unit_fixture_component(eng, root, "pl_", name); }

static uint64_t now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* Checks run(cmd): want exactly, or a prefix when it ends with '*' (and
 * then, when tail is not NULL, that the result ends with tail). */
#define EXPECT(x, cmd, want, tail) expect(x, cmd, want, tail, __LINE__)
static void expect(wl *x, const char *cmd, const char *want, const char *tail, int line) {
  char *got = run(x, cmd);
  size_t n = strlen(want), g = strlen(got);
  bool ok = n && want[n - 1] == '*' ? strncmp(got, want, n - 1) == 0 : strcmp(got, want) == 0;
  if (ok && tail) ok = g >= strlen(tail) && strcmp(got + g - strlen(tail), tail) == 0;
  unit_checkm(ok, __FILE__, line, "run(\"%s\") = \"%s\", want \"%s\"%s%s", cmd, got, want,
              tail ? " ... " : "", tail ? tail : "");
  free(got);
}

/* ---- a test subscriber on the bus ---- */

typedef struct seen {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  char log[4096]; /* "subject=body;" per message */
  int n;
} seen;

static bool on_seen(void *ctx, const plugin_msg *m) {
  seen *s = ctx;
  pthread_mutex_lock(&s->mu);
  size_t k = strlen(s->log);
  snprintf(s->log + k, sizeof s->log - k, "%s=%.*s;", m->subject, (int)m->len, (const char *)m->body);
  s->n++;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  return true;
}

/* Waits (up to 5 s) until s has n messages, then 100 ms more for any
 * message that should not come; returns the log. */
static const char *seen_wait(seen *s, int n) {
  uint64_t end = now_ms() + 5000;
  pthread_mutex_lock(&s->mu);
  while (s->n < n && now_ms() < end) {
    pthread_mutex_unlock(&s->mu);
    usleep(2000);
    pthread_mutex_lock(&s->mu);
  }
  pthread_mutex_unlock(&s->mu);
  usleep(100000);
  return s->log;
}

static void seen_reset(seen *s) {
  pthread_mutex_lock(&s->mu);
  s->log[0] = 0;
  s->n = 0;
  pthread_mutex_unlock(&s->mu);
}

/* ---- subjects ---- */

static void test_subjects(void) {
  CHECK(plugin_subject_valid("a", false));
  CHECK(plugin_subject_valid("a.b.c", false));
  CHECK(plugin_subject_valid("_INBOX.42", false));
  CHECK(!plugin_subject_valid("", false));
  CHECK(!plugin_subject_valid("a..b", false));
  CHECK(!plugin_subject_valid(".a", false));
  CHECK(!plugin_subject_valid("a.", false));
  CHECK(!plugin_subject_valid("a b", false));
  CHECK(!plugin_subject_valid("a.*", false)); /* wildcards: patterns only */
  CHECK(plugin_subject_valid("a.*", true));
  CHECK(plugin_subject_valid("a.>", true));
  CHECK(plugin_subject_valid(">", true));
  CHECK(plugin_subject_valid("*.b.*", true));
  CHECK(!plugin_subject_valid("a.>.b", true)); /* `>` only last */
  CHECK(plugin_subject_match("a.b", "a.b"));
  CHECK(!plugin_subject_match("a.b", "a.c"));
  CHECK(!plugin_subject_match("a.b", "a.b.c"));
  CHECK(!plugin_subject_match("a.b.c", "a.b"));
  CHECK(plugin_subject_match("a.*", "a.b"));
  CHECK(!plugin_subject_match("a.*", "a.b.c"));
  CHECK(!plugin_subject_match("a.*", "a"));
  CHECK(plugin_subject_match("*.b", "x.b"));
  CHECK(plugin_subject_match("a.>", "a.b"));
  CHECK(plugin_subject_match("a.>", "a.b.c.d"));
  CHECK(!plugin_subject_match("a.>", "a"));
  CHECK(plugin_subject_match(">", "anything.at.all"));
  CHECK(!plugin_subject_match("ab.*", "a.x"));
}

/* ---- the bus alone ---- */

static void test_bus(void) {
  plugin_bus *b = plugin_bus_memory_new();
  CHECK(b != NULL);
  if (!b) return;
  seen s = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
  wasm_error err = {0};
  uint64_t id1 = 0, id2 = 0;
  CHECK(b->subscribe(b, "w1", "x.*", on_seen, &s, &id1, &err) == WASM_OK);
  CHECK(b->subscribe(b, "w2", "x.*", on_seen, &s, &id2, &err) == WASM_OK);
  CHECK(b->subscribe(b, "w1", "bad..subject", on_seen, &s, &id2, &err) != WASM_OK);
  plugin_msg m = {.subject = "x.y", .body = (const uint8_t *)"hi", .len = 2};
  size_t n = 9;
  CHECK(b->publish(b, "w1", &m, &n, &err) == WASM_OK && n == 1); /* scopes are apart */
  CHECK(strcmp(s.log, "x.y=hi;") == 0);
  m.subject = "x.*";
  CHECK(b->publish(b, "w1", &m, &n, &err) != WASM_OK); /* no wildcard when publishing */
  m.subject = "nobody";
  CHECK(b->publish(b, "w1", &m, &n, &err) == WASM_OK && n == 0);
  b->unsubscribe(b, id1);
  m.subject = "x.z";
  CHECK(b->publish(b, "w1", &m, &n, &err) == WASM_OK && n == 0);
  b->unsubscribe(b, 12345); /* unknown: nothing */
  b->destroy(b); /* frees the w2 subscription left */
}

/* ---- the plugin ---- */

typedef struct req_arg {
  wl *x;
  int id, ok;
} req_arg;

static void *requester_thread(void *arg) {
  req_arg *a = arg;
  for (int i = 0; i < 10; i++) {
    char cmd[64], tail[64];
    snprintf(cmd, sizeof cmd, "req echo.t%d 5000 m%d-%d", a->id, a->id, i);
    snprintf(tail, sizeof tail, " echo(echo.t%d): M%d-%d", a->id, a->id, i);
    char *got = run(a->x, cmd);
    size_t g = strlen(got), t = strlen(tail);
    if (strncmp(got, "reply _INBOX.", 13) == 0 && g >= t && strcmp(got + g - t, tail) == 0) a->ok++;
    else fprintf(stderr, "thread %d: %s\n", a->id, got);
    free(got);
  }
  return NULL;
}

static void test_plugin(FILE *log) {
  plugin_bus *b = plugin_bus_memory_new();
  plugin *p = plugin_messaging_new(b, log);
  CHECK(p != NULL);
  if (!p) return;
  CHECK(strcmp(p->id, "wasmcloud-messaging") == 0);
  CHECK(plugin_set_has(p->imports, "wasmcloud:messaging/consumer@0.2.0"));
  CHECK(plugin_set_has(p->imports, "wasmcloud:messaging/types@0.2.0"));
  CHECK(plugin_set_has(p->exports, "wasmcloud:messaging/handler@0.2.0"));
  wasm_error err = {0};
  CHECK(p->start(p, &err) == WASM_OK);

  /* an invalid subscription is refused, naming it */
  wl bad;
  CHECK(!wl_start(&bad, p, "bad", "echo.*, a..b", true, &err));
  CHECKM(strstr(err.message, "\"a..b\" is not a valid subject") != NULL, "%s", err.message);

  wl x;
  err = (wasm_error){0};
  bool up = wl_start(&x, p, "wl1", " echo.* , news.>,, ", true, &err);
  CHECKM(up, "start: %s", err.message);
  if (!up) {
    wl_stop(&x);
    plugin_free(p);
    return;
  }
  /* only the component exporting the handler was subscribed */
  CHECK(atomic_load(&x.handler_calls_to_requester) == 0);

  /* request/reply through the echo handler */
  EXPECT(&x, "req echo.hi 5000 ping", "reply _INBOX.*", " echo(echo.hi): PING");
  EXPECT(&x, "req echo.hi 5000 -", "reply _INBOX.*", " echo(echo.hi): ");
  CHECK(atomic_load(&x.calls[1]) == 2); /* a fresh instance per message */

  /* no subscriber: publish succeeds, request fails at once */
  EXPECT(&x, "pub nobody.here hello", "ok", NULL);
  uint64_t t0 = now_ms();
  EXPECT(&x, "req nobody.here 5000 x", "err request to nobody.here: no responders", NULL);
  CHECK(now_ms() - t0 < 2000);
  EXPECT(&x, "req bad..subject 100 x", "err request: invalid subject", NULL);
  EXPECT(&x, "pub bad..subject x", "err publish: invalid subject", NULL);
  EXPECT(&x, "pub echo.* x", "err publish: invalid subject", NULL);

  /* a subscriber that never answers: the timeout */
  seen s = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
  uint64_t sid = 0, sid2 = 0;
  CHECK(b->subscribe(b, "wl1", "slow.x", on_seen, &s, &sid, &err) == WASM_OK);
  t0 = now_ms();
  EXPECT(&x, "req slow.x 200 hi", "err request to slow.x: timed out after 200 ms", NULL);
  uint64_t dt = now_ms() - t0;
  CHECKM(dt >= 200 && dt < 3000, "timed out after %llu ms", (unsigned long long)dt);
  CHECK(strncmp(s.log, "slow.x=hi;", 10) == 0);
  b->unsubscribe(b, sid);
  /* a handler failing: no reply (timeout), the failure logged */
  EXPECT(&x, "req echo.fail 200 x", "err request to echo.fail: timed out after 200 ms", NULL);

  /* wildcards: the handler republishes what it got to seen.SUBJECT */
  seen_reset(&s);
  CHECK(b->subscribe(b, "wl1", "seen.>", on_seen, &s, &sid, &err) == WASM_OK);
  EXPECT(&x, "pub echo.a hello", "ok", NULL);        /* echo.* */
  EXPECT(&x, "pub echo.a.b deep", "ok", NULL);       /* not echo.*, not news.> */
  EXPECT(&x, "pub news.x.y extra", "ok", NULL);      /* news.> */
  EXPECT(&x, "pub news bare", "ok", NULL);           /* news.> needs one token more */
  EXPECT(&x, "pub other.a nope", "ok", NULL);
  const char *got = seen_wait(&s, 2);
  CHECKM(s.n == 2 && strstr(got, "seen.echo.a=hello;") && strstr(got, "seen.news.x.y=extra;"),
         "seen: %s", got);

  /* reply-to set by a publisher: the handler answers there */
  seen r = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
  CHECK(b->subscribe(b, "wl1", "my.inbox", on_seen, &r, &sid2, &err) == WASM_OK);
  EXPECT(&x, "pubr echo.r my.inbox hi there", "ok", NULL);
  got = seen_wait(&r, 1);
  CHECKM(strcmp(got, "my.inbox=echo(echo.r): HI THERE;") == 0, "reply: %s", got);
  b->unsubscribe(b, sid2);

  /* requests from several threads at once */
  pthread_t th[4];
  req_arg ra[4];
  for (int i = 0; i < 4; i++) {
    ra[i] = (req_arg){.x = &x, .id = i};
    pthread_create(&th[i], NULL, requester_thread, &ra[i]);
  }
  int ok = 0;
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    ok += ra[i].ok;
  }
  CHECKM(ok == 40, "%d of 40 concurrent requests answered", ok);

  /* another workload: its own bus scope (wl1's handler is not reached);
   * no has_export from its host, so the plugin probes */
  wl y;
  err = (wasm_error){0};
  up = wl_start(&y, p, "wl2", "other.*", false, &err);
  CHECKM(up, "start wl2: %s", err.message);
  if (up) {
    EXPECT(&y, "req echo.hi 500 x", "err request to echo.hi: no responders", NULL);
    EXPECT(&y, "req other.q 5000 probe", "reply _INBOX.*", " echo(other.q): PROBE");
    CHECK(atomic_load(&y.handler_calls_to_requester) == 1); /* the probe only, no delivery */
  }
  wl_stop(&y);

  /* unbound: its subscriptions are gone */
  wl_stop(&x);
  plugin_msg m = {.subject = "echo.a", .body = (const uint8_t *)"x", .len = 1};
  size_t n = 9;
  CHECK(b->publish(b, "wl1", &m, &n, &err) == WASM_OK);
  CHECKM(n == 0, "%zu subscribers of echo.a after unbind", n);
  b->unsubscribe(b, sid);
  p->stop(p);
  plugin_free(p);
}

int main(void) {
  unit_find_root(root, sizeof root);
  char cmd[2 * PATH_MAX + 128];
  snprintf(cmd, sizeof cmd, "FIXTURES_OUT='%s/build/fixtures' '%s/tests/fixtures/build.sh' >/dev/null",
           root, root);
  CHECKM(system(cmd) == 0, "tests/fixtures/build.sh failed");
  eng = wasm_engine_new(NULL);
  test_subjects();
  test_bus();
  requester_c = load("msg_requester");
  echo_c = load("msg_echo");
  FILE *log = tmpfile();
  CHECK(log != NULL);
  if (requester_c && echo_c && log) {
    test_plugin(log);
    /* the failing handler was reported, with workload and component */
    char buf[8192] = "";
    rewind(log);
    size_t k = fread(buf, 1, sizeof buf - 1, log);
    buf[k] = 0;
    CHECKM(strstr(buf, "workload=wl1 component=echo subject=echo.fail") &&
               strstr(buf, "failed on purpose"),
           "log: %s", buf);
  }
  if (log) fclose(log);
  if (requester_c) cm_component_delete(requester_c);
  if (echo_c) cm_component_delete(echo_c);
  wasm_engine_delete(eng);
  return unit_report();
}
