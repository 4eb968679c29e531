/*
 * test_plugins_nats.c: the NATS backends of the plugins (src/plugins/
 * pl_nats_kv.c, pl_nats_blob.c, pl_nats_bus.c) against a real
 * nats-server -js started on a free loopback port with a temporary store
 * (skipped, with a message, when nats-server is not installed), and the
 * wasmcloud-messaging plugin over the NATS bus with the fixture components
 * of tests/fixtures/plugins/ (request/reply, no responders, two replicas
 * sharing a queue group).
 *
 * Also a small object store client for tests/cluster/objstore_interop.mjs:
 *   test_plugins_nats --put URL BUCKET NAME FILE   (creates the bucket if needed)
 *   test_plugins_nats --get URL BUCKET NAME FILE   (writes the object to FILE)
 *   test_plugins_nats --del URL BUCKET NAME
 *   test_plugins_nats --list URL BUCKET            (one name a line)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stratus/component.h"
#include "stratus/plugin.h"
#include "stratus/wasi.h"
#include "unit_cm.h"
#include "unit_fixture.h"
#include "unit_msg.h"

#define HANDLER_FUNC "wasmcloud:messaging/handler@0.2.0#handle-message"

static char root[PATH_MAX];

static uint64_t now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* ---- the server ---- */

static pid_t srv_pid = -1;
static int srv_port;
static char srv_dir[PATH_MAX], srv_url[64];

static bool have_nats_server(void) {
  const char *path = getenv("PATH");
  if (!path) return false;
  char *dup = strdup(path), *save = NULL;
  bool found = false;
  for (char *d = strtok_r(dup, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/nats-server", d);
    found = access(p, X_OK) == 0;
  }
  free(dup);
  return found;
}

/* A free loopback port: bound to 0, then closed. */
static int free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t n = sizeof a;
  int port = -1;
  if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
      getsockname(fd, (struct sockaddr *)&a, &n) == 0)
    port = ntohs(a.sin_port);
  if (fd >= 0) close(fd);
  return port;
}

static bool port_open(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
  if (fd >= 0) close(fd);
  return ok;
}

/* Starts nats-server -js on srv_port with its store in srv_dir/js; waits
 * (10 s at most) until it accepts connections. */
static bool srv_start(void) {
  char port[16], store[PATH_MAX + 8], log[PATH_MAX + 16];
  snprintf(port, sizeof port, "%d", srv_port);
  snprintf(store, sizeof store, "%s/js", srv_dir);
  snprintf(log, sizeof log, "%s/server.log", srv_dir);
  pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) dup2(fd, 1), dup2(fd, 2);
    execlp("nats-server", "nats-server", "-js", "-a", "127.0.0.1", "-p", port, "-sd", store,
           (char *)NULL);
    _exit(127);
  }
  srv_pid = pid;
  for (int i = 0; i < 200; i++) {
    if (port_open(srv_port)) return true;
    if (waitpid(pid, NULL, WNOHANG) == pid) {
      srv_pid = -1;
      return false;
    }
    sleep_ms(50);
  }
  return false;
}

static void srv_kill(void) {
  if (srv_pid <= 0) return;
  kill(srv_pid, SIGKILL);
  waitpid(srv_pid, NULL, 0);
  srv_pid = -1;
}

static natsConnection *connect_url(const char *url) {
  natsOptions *o = NULL;
  natsConnection *nc = NULL;
  if (natsOptions_Create(&o) != NATS_OK) return NULL;
  natsOptions_SetURL(o, url);
  natsOptions_SetMaxReconnect(o, -1);
  natsOptions_SetReconnectWait(o, 100);
  natsOptions_SetTimeout(o, 2000);
  if (natsConnection_Connect(&nc, o) != NATS_OK) nc = NULL;
  natsOptions_Destroy(o);
  return nc;
}

/* ---- keyvalue ---- */

typedef struct inc_arg {
  plugin_kv_backend *kv;
  int ok;
  char err[WASM_ERROR_MAX];
} inc_arg;

static void *inc_thread(void *p) {
  inc_arg *a = p;
  for (int i = 0; i < 500; i++) {
    wasm_error err = {0};
    uint64_t v;
    if (a->kv->increment(a->kv, "s", "race", "n", 1, &v, &err) == WASM_OK) a->ok++;
    else snprintf(a->err, sizeof a->err, "%s", err.message);
  }
  return NULL;
}

/* The raw value under stored key k of bucket b (another client's view). */
static bool raw_get(natsConnection *nc, const char *b, const char *k, uint8_t *out, int *len) {
  jsCtx *js = NULL;
  kvStore *kv = NULL;
  kvEntry *e = NULL;
  bool ok = natsConnection_JetStream(&js, nc, NULL) == NATS_OK && js_KeyValue(&kv, js, b) == NATS_OK &&
            kvStore_Get(&e, kv, k) == NATS_OK;
  if (ok) {
    *len = kvEntry_ValueLen(e);
    memcpy(out, kvEntry_Value(e), (size_t)*len < 64 ? (size_t)*len : 64);
  }
  kvEntry_Destroy(e);
  kvStore_Destroy(kv);
  jsCtx_Destroy(js);
  return ok;
}

static bool get_str(plugin_kv_backend *kv, const char *bucket, const char *key, char *out,
                    size_t max, bool *found) {
  uint8_t *v = NULL;
  size_t n = 0;
  wasm_error err = {0};
  if (kv->get(kv, "s", bucket, key, &v, &n, found, &err) != WASM_OK) {
    fprintf(stderr, "get %s: %s\n", key, err.message);
    return false;
  }
  snprintf(out, max, "%.*s", *found ? (int)n : 0, *found ? (const char *)v : "");
  free(v);
  return true;
}

static void test_kv(natsConnection *nc) {
  plugin_kv_backend *kv = NULL, *strict = NULL;
  wasm_error err = {0};
  CHECK(plugin_kv_nats_new(NULL, NULL, &kv, &err) != WASM_OK);
  CHECK(plugin_kv_nats_new(nc, NULL, &kv, &err) == WASM_OK);
  plugin_nats_options no = {.no_create_buckets = true};
  CHECK(plugin_kv_nats_new(nc, &no, &strict, &err) == WASM_OK);
  if (!kv || !strict) {
    if (kv) kv->destroy(kv);
    if (strict) strict->destroy(strict);
    return;
  }
  CHECK(strcmp(kv->name, "nats") == 0);

  /* buckets: created by open, or refused naming them */
  err = (wasm_error){0};
  CHECK(strict->open(strict, "s", "b1", &err) != WASM_OK);
  CHECKM(strstr(err.message, "`b1`") && strstr(err.message, "disabled"), "%s", err.message);
  CHECKM(kv->open(kv, "s", "b1", &err) == WASM_OK, "%s", err.message);
  CHECK(kv->open(kv, "other/scope", "b1", &err) == WASM_OK); /* scope ignored */
  CHECKM(strict->open(strict, "s", "b1", &err) == WASM_OK, "%s", err.message);
  err = (wasm_error){0};
  CHECK(kv->open(kv, "s", "bad.name", &err) != WASM_OK);
  CHECKM(strstr(err.message, "invalid bucket name") != NULL, "%s", err.message);
  uint8_t *v = NULL;
  size_t n = 0;
  bool found = true;
  err = (wasm_error){0};
  CHECK(kv->get(kv, "s", "never-opened", "k", &v, &n, &found, &err) != WASM_OK);
  CHECKM(strstr(err.message, "never-opened") != NULL, "%s", err.message);

  /* set / get / delete */
  char buf[256];
  CHECK(kv->set(kv, "s", "b1", "hello", (const uint8_t *)"world", 5, &err) == WASM_OK);
  CHECK(get_str(kv, "b1", "hello", buf, sizeof buf, &found) && found && !strcmp(buf, "world"));
  CHECK(get_str(strict, "b1", "hello", buf, sizeof buf, &found) && found && !strcmp(buf, "world"));
  CHECK(kv->set(kv, "s", "b1", "hello", (const uint8_t *)"again", 5, &err) == WASM_OK);
  CHECK(get_str(kv, "b1", "hello", buf, sizeof buf, &found) && found && !strcmp(buf, "again"));
  CHECK(kv->set(kv, "s", "b1", "empty", NULL, 0, &err) == WASM_OK);
  CHECK(get_str(kv, "b1", "empty", buf, sizeof buf, &found) && found && !strcmp(buf, ""));
  CHECK(get_str(kv, "b1", "missing", buf, sizeof buf, &found) && !found);
  CHECK(kv->del(kv, "s", "b1", "hello", &err) == WASM_OK);
  CHECK(get_str(kv, "b1", "hello", buf, sizeof buf, &found) && !found);
  CHECK(kv->del(kv, "s", "b1", "never-there", &err) == WASM_OK);

  /* keys outside NATS's syntax round-trip, encoded; plain ones are not */
  const char *keys[] = {"a b", "x*y", "=eq", ".dot", "end.", "a..b", "", "\xc3\xbc", "ok/key_1.v=2",
                        "plain"};
  size_t nk = sizeof keys / sizeof *keys;
  for (size_t i = 0; i < nk; i++) {
    char val[32];
    snprintf(val, sizeof val, "v%zu", i);
    err = (wasm_error){0};
    CHECKM(kv->set(kv, "s", "b1", keys[i], (const uint8_t *)val, strlen(val), &err) == WASM_OK,
           "set \"%s\": %s", keys[i], err.message);
    CHECKM(get_str(kv, "b1", keys[i], buf, sizeof buf, &found) && found && !strcmp(buf, val),
           "get \"%s\" = %s", keys[i], buf);
  }
  uint8_t raw[64];
  int rl = 0;
  CHECK(raw_get(nc, "b1", "ok/key_1.v=2", raw, &rl) && rl == 2 && !memcmp(raw, "v8", 2));
  CHECK(raw_get(nc, "b1", "=YSBi", raw, &rl) && rl == 2 && !memcmp(raw, "v0", 2)); /* "a b" */
  CHECK(raw_get(nc, "b1", "=", raw, &rl) && rl == 2 && !memcmp(raw, "v6", 2));     /* "" */
  char **names = NULL;
  size_t nn = 0;
  CHECKM(kv->keys(kv, "s", "b1", &names, &nn, &err) == WASM_OK, "%s", err.message);
  /* every key of the list, plus "empty"; sorted bytewise */
  CHECKM(nn == nk + 1, "%zu keys", nn);
  for (size_t i = 1; i < nn; i++) CHECK(strcmp(names[i - 1], names[i]) < 0);
  for (size_t i = 0; i < nk; i++) {
    bool in = false;
    for (size_t j = 0; j < nn; j++) in = in || !strcmp(names[j], keys[i]);
    CHECKM(in, "key \"%s\" listed", keys[i]);
  }
  for (size_t j = 0; j < nn; j++) free(names[j]);
  free(names);
  CHECK(kv->open(kv, "s", "fresh", &err) == WASM_OK);
  CHECK(kv->keys(kv, "s", "fresh", &names, &nn, &err) == WASM_OK && nn == 0);
  free(names);

  /* counters: 8 big-endian bytes; decimal text accepted */
  uint64_t out = 0;
  CHECK(kv->increment(kv, "s", "b1", "c1", 5, &out, &err) == WASM_OK && out == 5);
  CHECK(kv->increment(kv, "s", "b1", "c1", 2, &out, &err) == WASM_OK && out == 7);
  CHECK(raw_get(nc, "b1", "c1", raw, &rl) && rl == 8 && raw[7] == 7 && raw[0] == 0);
  CHECK(kv->set(kv, "s", "b1", "c2", (const uint8_t *)"41", 2, &err) == WASM_OK);
  CHECK(kv->increment(kv, "s", "b1", "c2", 1, &out, &err) == WASM_OK && out == 42);
  CHECK(kv->set(kv, "s", "b1", "c3", (const uint8_t *)"abc", 3, &err) == WASM_OK);
  err = (wasm_error){0};
  CHECK(kv->increment(kv, "s", "b1", "c3", 1, &out, &err) != WASM_OK);
  CHECKM(strstr(err.message, "not a counter") != NULL, "%s", err.message);
  CHECK(kv->del(kv, "s", "b1", "c1", &err) == WASM_OK); /* over a delete marker */
  CHECK(kv->increment(kv, "s", "b1", "c1", 3, &out, &err) == WASM_OK && out == 3);
  CHECK(kv->increment(kv, "s", "b1", "a b", 0, &out, &err) != WASM_OK); /* "v0" */

  /* two threads x 500 increments, compare-and-set */
  CHECK(kv->open(kv, "s", "race", &err) == WASM_OK);
  inc_arg a[2] = {{.kv = kv}, {.kv = kv}};
  pthread_t th[2];
  uint64_t t0 = now_ms();
  for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, inc_thread, &a[i]);
  for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
  CHECKM(a[0].ok == 500 && a[1].ok == 500, "%d + %d ok: %s %s", a[0].ok, a[1].ok, a[0].err, a[1].err);
  CHECK(kv->increment(kv, "s", "race", "n", 0, &out, &err) == WASM_OK);
  CHECKM(out == 1000, "counter %llu after 2 x 500 increments", (unsigned long long)out);
  printf("kv: 1000 concurrent increments in %llu ms\n", (unsigned long long)(now_ms() - t0));

  kv->destroy(kv);
  strict->destroy(strict);
}

/* Two hosts (connections) x 8 threads opening a new bucket at once, then
 * incrementing one counter, as replicas' handlers do on first use. */
typedef struct multi_arg {
  plugin_kv_backend *kv;
  pthread_barrier_t *bar;
  int ok;
  char err[WASM_ERROR_MAX];
} multi_arg;

static void *multi_thread(void *p) {
  multi_arg *a = p;
  pthread_barrier_wait(a->bar);
  wasm_error err = {0};
  uint64_t v;
  if (a->kv->open(a->kv, "s", "multi", &err)) {
    snprintf(a->err, sizeof a->err, "%s", err.message);
    return NULL;
  }
  for (int i = 0; i < 10; i++) {
    if (a->kv->increment(a->kv, "s", "multi", "handled", 1, &v, &err) == WASM_OK) a->ok++;
    else snprintf(a->err, sizeof a->err, "%s", err.message);
  }
  return NULL;
}

static void test_kv_hosts(natsConnection *nc) {
  natsConnection *nc2 = connect_url(srv_url);
  plugin_kv_backend *kv[2] = {NULL, NULL};
  wasm_error err = {0};
  CHECK(nc2 != NULL);
  if (!nc2 || plugin_kv_nats_new(nc, NULL, &kv[0], &err) || plugin_kv_nats_new(nc2, NULL, &kv[1], &err)) {
    CHECKM(0, "%s", err.message);
  } else {
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, 16);
    multi_arg a[16];
    pthread_t th[16];
    for (int i = 0; i < 16; i++) {
      a[i] = (multi_arg){.kv = kv[i % 2], .bar = &bar};
      pthread_create(&th[i], NULL, multi_thread, &a[i]);
    }
    int ok = 0;
    for (int i = 0; i < 16; i++) {
      pthread_join(th[i], NULL);
      ok += a[i].ok;
      if (a[i].ok != 10) fprintf(stderr, "thread %d: %s\n", i, a[i].err);
    }
    pthread_barrier_destroy(&bar);
    uint64_t out = 0;
    CHECK(kv[1]->increment(kv[1], "s", "multi", "handled", 0, &out, &err) == WASM_OK);
    CHECKM(ok == 160 && out == 160, "2 hosts x 8 threads x 10: %d ok, counter %llu", ok,
           (unsigned long long)out);
  }
  for (int i = 0; i < 2; i++)
    if (kv[i]) kv[i]->destroy(kv[i]);
  if (nc2) natsConnection_Destroy(nc2);
}

/* ---- blobstore ---- */

static uint8_t *pattern(size_t n, unsigned seed) {
  uint8_t *p = malloc(n ? n : 1);
  for (size_t i = 0; i < n; i++) {
    seed = seed * 1103515245u + 12345u;
    p[i] = (uint8_t)(seed >> 16);
  }
  return p;
}

static bool blob_roundtrip(plugin_blob_backend *b, const char *c, const char *name, size_t n,
                           unsigned seed) {
  uint8_t *d = pattern(n, seed), *got = NULL;
  wasm_error err = {0};
  uint64_t size = 0, created = 0;
  bool found = false;
  bool ok = b->put(b, "s", c, name, d, n, &err) == WASM_OK;
  if (!ok) fprintf(stderr, "put %s: %s\n", name, err.message);
  ok = ok && b->get(b, "s", c, name, &got, &size, &created, &found, &err) == WASM_OK;
  if (!ok) fprintf(stderr, "get %s: %s\n", name, err.message);
  ok = ok && found && size == n && (n == 0 || memcmp(got, d, n) == 0);
  ok = ok && created + 60 >= (uint64_t)time(NULL) && created <= (uint64_t)time(NULL) + 1;
  free(d);
  free(got);
  return ok;
}

static uint64_t stream_msgs(natsConnection *nc, const char *stream) {
  jsCtx *js = NULL;
  jsStreamInfo *si = NULL;
  uint64_t n = UINT64_MAX;
  if (natsConnection_JetStream(&js, nc, NULL) == NATS_OK &&
      js_GetStreamInfo(&si, js, stream, NULL, NULL) == NATS_OK)
    n = si->State.Msgs;
  jsStreamInfo_Destroy(si);
  jsCtx_Destroy(js);
  return n;
}

static void test_blob(natsConnection *nc) {
  plugin_blob_backend *b = NULL, *strict = NULL;
  wasm_error err = {0};
  CHECK(plugin_blob_nats_new(nc, NULL, &b, &err) == WASM_OK);
  plugin_nats_options no = {.no_create_buckets = true};
  CHECK(plugin_blob_nats_new(nc, &no, &strict, &err) == WASM_OK);
  if (!b || !strict) {
    if (b) b->destroy(b);
    if (strict) strict->destroy(strict);
    return;
  }
  bool found = true;
  uint64_t created = 0, size = 0;
  CHECK(b->stat(b, "s", "c1", &found, &created, &err) == WASM_OK && !found);
  err = (wasm_error){0};
  CHECK(strict->create(strict, "s", "c1", &err) != WASM_OK);
  CHECKM(strstr(err.message, "disabled") != NULL, "%s", err.message);
  CHECKM(b->create(b, "s", "c1", &err) == WASM_OK, "%s", err.message);
  err = (wasm_error){0};
  CHECK(b->create(b, "s", "c1", &err) != WASM_OK);
  CHECKM(strstr(err.message, "already exists") != NULL, "%s", err.message);
  CHECK(b->stat(b, "s", "c1", &found, &created, &err) == WASM_OK && found);
  CHECKM(created + 60 >= (uint64_t)time(NULL), "created %llu", (unsigned long long)created);
  CHECK(strict->stat(strict, "other", "c1", &found, NULL, &err) == WASM_OK && found);
  err = (wasm_error){0};
  CHECK(b->create(b, "s", "no/slash", &err) != WASM_OK);
  CHECKM(strstr(err.message, "invalid container name") != NULL, "%s", err.message);

  /* objects: small, empty, odd names, one chunk exactly, 1 MiB, 5 MiB */
  CHECK(blob_roundtrip(b, "c1", "small.txt", 11, 1));
  CHECK(blob_roundtrip(b, "c1", "empty", 0, 2));
  CHECK(blob_roundtrip(b, "c1", "dir/\xc3\xa4 b.txt", 300, 3));
  CHECK(blob_roundtrip(b, "c1", "chunk", 128 * 1024, 4));
  CHECK(blob_roundtrip(b, "c1", "one-mib", 1 << 20, 5));
  uint64_t t0 = now_ms();
  CHECK(blob_roundtrip(b, "c1", "five-mib", 5 << 20, 6));
  printf("blob: 5 MiB put and get in %llu ms\n", (unsigned long long)(now_ms() - t0));
  /* the size alone */
  CHECK(b->get(b, "s", "c1", "five-mib", NULL, &size, &created, &found, &err) == WASM_OK &&
        found && size == 5u << 20);
  CHECK(b->get(b, "s", "c1", "nothing", NULL, &size, &created, &found, &err) == WASM_OK && !found);
  /* replacing: the old chunks are purged (40 chunks + 1 info -> 1 + 1) */
  uint64_t before = stream_msgs(nc, "OBJ_c1");
  CHECK(blob_roundtrip(b, "c1", "five-mib", 10, 7));
  uint64_t after = stream_msgs(nc, "OBJ_c1");
  CHECKM(before - after == 39, "stream messages %llu -> %llu", (unsigned long long)before,
         (unsigned long long)after);

  char **names = NULL;
  size_t nn = 0;
  CHECKM(b->list(b, "s", "c1", &names, &nn, &err) == WASM_OK, "%s", err.message);
  const char *want[] = {"chunk", "dir/\xc3\xa4 b.txt", "empty", "five-mib", "one-mib", "small.txt"};
  CHECKM(nn == 6, "%zu names", nn);
  for (size_t i = 0; i < nn && i < 6; i++) CHECKM(!strcmp(names[i], want[i]), "name %s", names[i]);
  for (size_t i = 0; i < nn; i++) free(names[i]);
  free(names);

  /* delete: gone from get and list, its chunks purged; missing: fine */
  CHECK(b->del(b, "s", "c1", "one-mib", &err) == WASM_OK);
  uint8_t *d = NULL;
  CHECK(b->get(b, "s", "c1", "one-mib", &d, &size, &created, &found, &err) == WASM_OK && !found);
  CHECK(b->del(b, "s", "c1", "one-mib", &err) == WASM_OK);
  CHECK(b->del(b, "s", "c1", "never", &err) == WASM_OK);
  CHECK(b->list(b, "s", "c1", &names, &nn, &err) == WASM_OK && nn == 5);
  for (size_t i = 0; i < nn; i++) free(names[i]);
  free(names);
  CHECK(blob_roundtrip(b, "c1", "one-mib", 1000, 8)); /* again after delete */

  /* a missing container */
  err = (wasm_error){0};
  CHECK(b->put(b, "s", "nope", "x", (const uint8_t *)"x", 1, &err) != WASM_OK);
  CHECKM(strstr(err.message, "`nope` does not exist") != NULL, "%s", err.message);
  CHECK(b->get(b, "s", "nope", "x", &d, &size, &created, &found, &err) != WASM_OK);
  CHECK(b->list(b, "s", "nope", &names, &nn, &err) != WASM_OK);
  CHECK(b->destroy_container(b, "s", "nope", &err) != WASM_OK);

  /* empty container lists nothing; destroy */
  CHECK(b->create(b, "s", "c2", &err) == WASM_OK);
  CHECK(b->list(b, "s", "c2", &names, &nn, &err) == WASM_OK && nn == 0);
  free(names);
  CHECK(b->destroy_container(b, "s", "c2", &err) == WASM_OK);
  CHECK(b->stat(b, "s", "c2", &found, NULL, &err) == WASM_OK && !found);

  b->destroy(b);
  strict->destroy(strict);
}

/* ---- the bus ---- */

typedef struct seen {
  pthread_mutex_t mu;
  int n, noresp;
  char reply[128];
  char last[256];
  atomic_int in_cb;
  int delay_ms;
} seen;

static bool on_seen(void *ctx, const plugin_msg *m) {
  seen *s = ctx;
  atomic_store(&s->in_cb, 1);
  if (s->delay_ms) sleep_ms(s->delay_ms);
  pthread_mutex_lock(&s->mu);
  s->n++;
  if (m->no_responders) s->noresp++;
  snprintf(s->reply, sizeof s->reply, "%s", m->reply_to ? m->reply_to : "");
  snprintf(s->last, sizeof s->last, "%s=%.*s", m->subject, (int)m->len, (const char *)m->body);
  pthread_mutex_unlock(&s->mu);
  atomic_store(&s->in_cb, 0);
  return true;
}

static int seen_n(seen *s) {
  pthread_mutex_lock(&s->mu);
  int n = s->n;
  pthread_mutex_unlock(&s->mu);
  return n;
}

/* Waits (5 s at most) until the sum of the counts reaches n. */
static void wait_total(seen **v, int nv, int n) {
  uint64_t end = now_ms() + 5000;
  for (;;) {
    int t = 0;
    for (int i = 0; i < nv; i++) t += seen_n(v[i]);
    if (t >= n || now_ms() > end) return;
    sleep_ms(5);
  }
}

static wasm_status pub(plugin_bus *b, const char *subj, const char *body, const char *reply,
                       wasm_error *err) {
  plugin_msg m = {.subject = subj, .body = (const uint8_t *)body, .len = strlen(body),
                  .reply_to = reply};
  size_t n = 0;
  wasm_status st = b->publish(b, "test/pub#1", &m, &n, err);
  if (!st && n != 1) return WASM_BAD_ARG;
  return st;
}

static void test_bus(natsConnection *nc) {
  plugin_bus *b = NULL;
  wasm_error err = {0};
  CHECK(plugin_bus_nats_new(nc, NULL, &b, &err) == WASM_OK);
  if (!b) return;
  CHECK(strcmp(b->name, "nats") == 0 && b->new_inbox != NULL);
  seen a1 = {.mu = PTHREAD_MUTEX_INITIALIZER}, a2 = {.mu = PTHREAD_MUTEX_INITIALIZER},
       o = {.mu = PTHREAD_MUTEX_INITIALIZER};
  uint64_t ia1, ia2, io;
  /* replicas of one workload share a queue group; another workload not */
  CHECK(b->subscribe(b, "test/app#1", "q.*", on_seen, &a1, &ia1, &err) == WASM_OK);
  CHECK(b->subscribe(b, "test/app#2", "q.*", on_seen, &a2, &ia2, &err) == WASM_OK);
  CHECK(b->subscribe(b, "test/other app#1", "q.>", on_seen, &o, &io, &err) == WASM_OK);
  CHECK(b->subscribe(b, "x", "bad..subject", on_seen, &o, &io, &err) != WASM_OK);
  natsConnection_Flush(nc);
  for (int i = 0; i < 40; i++) {
    char body[16];
    snprintf(body, sizeof body, "m%d", i);
    CHECK(pub(b, "q.x", body, NULL, &err) == WASM_OK);
  }
  seen *all[3] = {&a1, &a2, &o};
  wait_total(all, 3, 80);
  sleep_ms(100);
  CHECKM(seen_n(&a1) + seen_n(&a2) == 40 && seen_n(&o) == 40, "app: %d + %d, other: %d",
         seen_n(&a1), seen_n(&a2), seen_n(&o));
  CHECKM(seen_n(&a1) > 0 && seen_n(&a2) > 0, "queue group spread: %d / %d", seen_n(&a1),
         seen_n(&a2));
  CHECK(pub(b, "q", "x", NULL, &err) == WASM_OK);
  CHECK(b->publish(b, "s", &(plugin_msg){.subject = "a.*", .body = (const uint8_t *)"", .len = 0},
                   NULL, &err) != WASM_OK);
  b->unsubscribe(b, ia1);
  b->unsubscribe(b, ia2);
  b->unsubscribe(b, io);

  /* request via an inbox: the responder answers on reply-to (from this
   * thread: a callback must not call the bus) */
  seen r = {.mu = PTHREAD_MUTEX_INITIALIZER}, in = {.mu = PTHREAD_MUTEX_INITIALIZER};
  uint64_t ir, ii;
  char *inbox = b->new_inbox(b), *inbox2 = b->new_inbox(b);
  CHECKM(inbox && !strncmp(inbox, "_INBOX.", 7) && strlen(inbox) > 20 && strcmp(inbox, inbox2),
         "%s", inbox ? inbox : "(null)");
  CHECK(b->subscribe(b, "test/svc#1", "svc.echo", on_seen, &r, &ir, &err) == WASM_OK);
  CHECK(b->subscribe(b, "test/cli#1", inbox, on_seen, &in, &ii, &err) == WASM_OK);
  natsConnection_Flush(nc);
  CHECK(pub(b, "svc.echo", "ping", inbox, &err) == WASM_OK);
  seen *rv[1] = {&r};
  wait_total(rv, 1, 1);
  CHECKM(seen_n(&r) == 1 && !strcmp(r.reply, inbox), "request: %d, reply-to %s", seen_n(&r), r.reply);
  CHECK(pub(b, r.reply, "pong", NULL, &err) == WASM_OK);
  seen *iv[1] = {&in};
  wait_total(iv, 1, 1);
  CHECKM(seen_n(&in) == 1 && in.noresp == 0 && !strcmp(in.last + strlen(inbox), "=pong"), "reply: %s",
         in.last);
  /* nobody listening: NATS answers "no responders" on the inbox */
  in.n = 0;
  CHECK(pub(b, "nobody.here", "x", inbox, &err) == WASM_OK);
  wait_total(iv, 1, 1);
  CHECKM(seen_n(&in) == 1 && in.noresp == 1, "no responders: %d messages, %d flagged", seen_n(&in),
         in.noresp);
  b->unsubscribe(b, ir);
  b->unsubscribe(b, ii);
  free(inbox);
  free(inbox2);

  /* unsubscribe: the callback is not running when it returns, and never
   * runs again */
  seen slow = {.mu = PTHREAD_MUTEX_INITIALIZER, .delay_ms = 30};
  uint64_t is;
  CHECK(b->subscribe(b, "test/slow#1", "slow.x", on_seen, &slow, &is, &err) == WASM_OK);
  natsConnection_Flush(nc);
  for (int i = 0; i < 20; i++) pub(b, "slow.x", "s", NULL, &err);
  natsConnection_Flush(nc);
  uint64_t end = now_ms() + 5000;
  while (!atomic_load(&slow.in_cb) && now_ms() < end) sleep_ms(1);
  CHECK(atomic_load(&slow.in_cb) == 1);
  b->unsubscribe(b, is);
  CHECK(atomic_load(&slow.in_cb) == 0);
  int got = seen_n(&slow);
  for (int i = 0; i < 5; i++) pub(b, "slow.x", "s", NULL, &err);
  sleep_ms(200);
  CHECKM(seen_n(&slow) == got && got < 20, "after unsubscribe: %d -> %d", got, seen_n(&slow));
  b->unsubscribe(b, is); /* twice: nothing */

  /* subscriptions left at destroy are closed by it */
  CHECK(b->subscribe(b, "test/left#1", "left.>", on_seen, &slow, &is, &err) == WASM_OK);
  b->destroy(b);
}

/* ---- the messaging plugin over NATS (fixture components) ---- */

static void test_plugin(natsConnection *nc) {
  plugin_bus *b = NULL;
  wasm_error err = {0};
  if (plugin_bus_nats_new(nc, NULL, &b, &err)) return;
  FILE *log = tmpfile();
  plugin *p = plugin_messaging_new(b, log);
  CHECK(p != NULL);
  if (!p) {
    if (log) fclose(log);
    return;
  }
  CHECK(p->start(p, &err) == WASM_OK);
  wl x1, x2;
  bool up = wl_start(&x1, p, "test/app#1", "echo.*", true, &err) &&
            wl_start(&x2, p, "test/app#2", "echo.*", true, &err);
  CHECKM(up, "start: %s", err.message);
  natsConnection_Flush(nc);
  if (up) {
    /* request/reply over NATS, with a NATS inbox */
    char *got = run(&x1, "req echo.hi 5000 ping");
    size_t g = strlen(got);
    const char *tail = " echo(echo.hi): PING";
    CHECKM(!strncmp(got, "reply _INBOX.", 13) && g > strlen(tail) &&
               !strcmp(got + g - strlen(tail), tail),
           "request: %s", got);
    free(got);
    /* nobody subscribed: NATS's no-responders, at once */
    uint64_t t0 = now_ms();
    got = run(&x1, "req nobody.here 5000 x");
    CHECKM(!strcmp(got, "err request to nobody.here: no responders"), "no responders: %s", got);
    CHECKM(now_ms() - t0 < 2000, "no responders after %llu ms", (unsigned long long)(now_ms() - t0));
    free(got);
    /* two replicas: each message handled once */
    int before = atomic_load(&x1.calls[1]) + atomic_load(&x2.calls[1]);
    for (int i = 0; i < 20; i++) {
      got = run(&x1, "req echo.n 5000 n");
      CHECKM(!strncmp(got, "reply _INBOX.", 13), "%s", got);
      free(got);
    }
    sleep_ms(200);
    int c1 = atomic_load(&x1.calls[1]), c2 = atomic_load(&x2.calls[1]);
    CHECKM(c1 + c2 - before == 20 && c1 > 0 && c2 > 0, "handled: %d + %d (before %d)", c1, c2,
           before);
  }
  wl_stop(&x1);
  wl_stop(&x2);
  p->stop(p);
  plugin_free(p);
  if (log) fclose(log);
}

/* ---- the connection lost and back ---- */

static void test_reconnect(natsConnection *nc) {
  plugin_kv_backend *kv = NULL;
  plugin_bus *b = NULL;
  plugin_blob_backend *bl = NULL;
  wasm_error err = {0};
  if (plugin_kv_nats_new(nc, NULL, &kv, &err) || plugin_bus_nats_new(nc, NULL, &b, &err) ||
      plugin_blob_nats_new(nc, NULL, &bl, &err)) {
    CHECKM(0, "%s", err.message);
    goto out;
  }
  CHECK(kv->open(kv, "s", "persist", &err) == WASM_OK);
  CHECK(kv->set(kv, "s", "persist", "k", (const uint8_t *)"kept", 4, &err) == WASM_OK);
  srv_kill();
  uint64_t end = now_ms() + 5000;
  while (natsConnection_Status(nc) == NATS_CONN_STATUS_CONNECTED && now_ms() < end) sleep_ms(10);
  /* every call fails at once, saying why */
  uint64_t t0 = now_ms();
  char buf[64];
  bool found;
  err = (wasm_error){0};
  uint8_t *v = NULL;
  size_t n;
  CHECK(kv->get(kv, "s", "persist", "k", &v, &n, &found, &err) != WASM_OK);
  CHECKM(strstr(err.message, "not connected") != NULL, "%s", err.message);
  err = (wasm_error){0};
  CHECK(pub(b, "a.b", "x", NULL, &err) != WASM_OK);
  CHECKM(strstr(err.message, "not connected") != NULL, "%s", err.message);
  err = (wasm_error){0};
  CHECK(bl->stat(bl, "s", "c1", &found, NULL, &err) != WASM_OK);
  CHECKM(strstr(err.message, "not connected") != NULL, "%s", err.message);
  CHECKM(now_ms() - t0 < 500, "failing took %llu ms", (unsigned long long)(now_ms() - t0));
  /* the server back (same port and store): the data is there */
  CHECK(srv_start());
  end = now_ms() + 10000;
  while (natsConnection_Status(nc) != NATS_CONN_STATUS_CONNECTED && now_ms() < end) sleep_ms(20);
  CHECK(natsConnection_Status(nc) == NATS_CONN_STATUS_CONNECTED);
  /* JetStream may need a moment to recover its streams */
  bool ok = false;
  for (int i = 0; i < 50 && !ok; i++) {
    ok = get_str(kv, "persist", "k", buf, sizeof buf, &found) && found && !strcmp(buf, "kept");
    if (!ok) sleep_ms(100);
  }
  CHECK(ok);
out:
  if (kv) kv->destroy(kv);
  if (b) b->destroy(b);
  if (bl) bl->destroy(bl);
}

/* ---- the interop client ---- */

static int interop(int argc, char **argv) {
  natsConnection *nc = connect_url(argv[2]);
  if (!nc) {
    fprintf(stderr, "cannot connect to %s\n", argv[2]);
    return 2;
  }
  plugin_blob_backend *b = NULL;
  wasm_error err = {0};
  int rc = 1;
  if (plugin_blob_nats_new(nc, NULL, &b, &err)) goto out;
  const char *mode = argv[1], *bucket = argv[3];
  if (!strcmp(mode, "--put") && argc == 6) {
    size_t n;
    uint8_t *d = unit_read_file(argv[5], &n);
    bool found;
    if (b->stat(b, "", bucket, &found, NULL, &err)) goto out;
    if (!found && b->create(b, "", bucket, &err)) goto out;
    if (!b->put(b, "", bucket, argv[4], d ? d : (const uint8_t *)"", d ? n : 0, &err)) rc = 0;
    free(d);
  } else if (!strcmp(mode, "--get") && argc == 6) {
    uint8_t *d = NULL;
    uint64_t size = 0, created = 0;
    bool found = false;
    if (b->get(b, "", bucket, argv[4], &d, &size, &created, &found, &err)) goto out;
    if (!found) {
      snprintf(err.message, sizeof err.message, "no object %s", argv[4]);
      goto out;
    }
    FILE *f = fopen(argv[5], "wb");
    if (f && fwrite(d, 1, size, f) == size) rc = 0;
    else snprintf(err.message, sizeof err.message, "cannot write %s", argv[5]);
    if (f) fclose(f);
    free(d);
  } else if (!strcmp(mode, "--del") && argc == 5) {
    if (!b->del(b, "", bucket, argv[4], &err)) rc = 0;
  } else if (!strcmp(mode, "--list") && argc == 4) {
    char **names = NULL;
    size_t n = 0;
    if (b->list(b, "", bucket, &names, &n, &err)) goto out;
    for (size_t i = 0; i < n; i++) printf("%s\n", names[i]), free(names[i]);
    free(names);
    rc = 0;
  } else {
    snprintf(err.message, sizeof err.message, "usage: --put|--get URL BUCKET NAME FILE, --del URL BUCKET NAME, --list URL BUCKET");
  }
out:
  if (rc) fprintf(stderr, "%s\n", err.message);
  if (b) b->destroy(b);
  natsConnection_Destroy(nc);
  nats_CloseAndWait(5000);
  return rc;
}

int main(int argc, char **argv) {
  if (argc > 1) return argc >= 4 ? interop(argc, argv) : 2;
  if (!have_nats_server()) {
    printf("skip: nats-server is not installed\n");
    return unit_report();
  }
  unit_find_root(root, sizeof root);
  snprintf(srv_dir, sizeof srv_dir, "/tmp/stratus-nats-XXXXXX");
  CHECK(mkdtemp(srv_dir) != NULL);
  srv_port = free_port();
  snprintf(srv_url, sizeof srv_url, "nats://127.0.0.1:%d", srv_port);
  bool up = srv_port > 0 && srv_start();
  CHECKM(up, "nats-server did not start on port %d (log in %s)", srv_port, srv_dir);
  natsConnection *nc = up ? connect_url(srv_url) : NULL;
  CHECK(!up || nc != NULL);
  if (nc) {
    test_kv(nc);
    test_kv_hosts(nc);
    test_blob(nc);
    test_bus(nc);
    char cmd[2 * PATH_MAX + 128];
    snprintf(cmd, sizeof cmd,
             "FIXTURES_OUT='%s/build/fixtures' '%s/tests/fixtures/build.sh' >/dev/null", root, root);
    CHECKM(system(cmd) == 0, "tests/fixtures/build.sh failed");
    eng = wasm_engine_new(NULL);
    requester_c = unit_fixture_component(eng, root, "pl_", "msg_requester");
    echo_c = unit_fixture_component(eng, root, "pl_", "msg_echo");
    if (requester_c && echo_c) test_plugin(nc);
    if (requester_c) cm_component_delete(requester_c);
    if (echo_c) cm_component_delete(echo_c);
    wasm_engine_delete(eng);
    test_reconnect(nc);
    natsConnection_Destroy(nc);
  }
  srv_kill();
  nats_CloseAndWait(5000);
  char rm[PATH_MAX + 16];
  snprintf(rm, sizeof rm, "rm -rf '%s'", srv_dir);
  if (unit_failed == 0 && system(rm) != 0) fprintf(stderr, "cannot remove %s\n", srv_dir);
  return unit_report();
}
