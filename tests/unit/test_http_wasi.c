/*
 * test_http_wasi.c: wasi:http 0.2 end to end, through the real server
 * (http_server on 127.0.0.1:0) and the C fixture components of
 * tests/fixtures/http/ (built by tests/fixtures/build.sh; a missing
 * fixture fails the test). Per request the server's handler makes a
 * store, instantiates the component through its worker's cm_linker +
 * wasi2_ctx + http_wasi, calls http_wasi_handle, deletes instance and
 * store and resets the http_wasi, as `stratus serve` does. A libcurl
 * client checks:
 *   - hello: 200, content-type, body; no response set: 500; an
 *     error-code set: its status (HTTP-request-denied: 403);
 *   - the fields rules (checked inside http_echo at /fields);
 *   - echo of the method, path, authority, headers, and of a 20 MB POST
 *     body's length and FNV-1a, with content-length and chunked (its
 *     trailers through future-trailers);
 *   - a 100 MB streamed response read whole with the right bytes while
 *     the process's peak RSS grows far less than 100 MB;
 *   - fetch through wasi:http/outgoing-handler from a second local server
 *     (GET, POST with a body, a 5 MB response), a host not allowed
 *     (HTTP-request-denied at once), a closed port (connection-refused),
 *     a first-byte timeout (connection-read-timeout), a body cut short
 *     (its stream error's http-error-code: HTTP-response-incomplete);
 *   - a trap answers 500 and the next request is served, also a trap
 *     holding bodies, streams, a response half sent and an outgoing
 *     request in flight (freed by http_wasi_reset: the sanitizer build
 *     finds no leak); an endless loop is stopped by the epoch deadline.
 */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "stratus/component.h"
#include "stratus/http.h"
#include "stratus/wasi.h"
#include "unit_fixture.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#endif

#define WORKERS 2
#define STREAM_BYTES (100u << 20)
#define ECHO_BYTES (20u << 20)
#define PATTERN_PERIOD 65521u /* http_stream's pattern repeats with this period */

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- fixtures ---- */

enum { C_HELLO, C_ECHO, C_STREAM, C_FETCH, C_TRAP, C_LOOP, NCOMP };
static const char *const comp_names[NCOMP] = {"http_hello", "http_echo", "http_stream",
                                              "http_fetch", "http_trap", "http_loop"};

/* ---- the stratus side: one linker + wasi2_ctx + http_wasi per worker ---- */

typedef struct worker {
  cm_linker *l;
  wasi2_ctx *w;
  http_wasi *h;
} worker;

typedef struct app {
  wasm_engine *e;
  cm_component *comp[NCOMP];
  worker workers[WORKERS];
  pthread_mutex_t lock;
  int traps; /* requests whose guest trapped */
} app;

static int route(const char *target) {
  static const struct { const char *prefix; int comp; } routes[] = {
      {"/hello", C_HELLO}, {"/echo", C_ECHO},  {"/fields", C_ECHO}, {"/stream", C_STREAM},
      {"/fetch", C_FETCH}, {"/trap", C_TRAP}, {"/loop", C_LOOP},
  };
  for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
    if (strncmp(target, routes[i].prefix, strlen(routes[i].prefix)) == 0) return routes[i].comp;
  return -1;
}

static void app_handler(void *env, unsigned wi, http_exchange *x, const http_request *req) {
  app *a = env;
  worker *w = &a->workers[wi % WORKERS];
  int c = route(req->target);
  if (c < 0) {
    http_response_simple(x, 404, "no such fixture\n");
    return;
  }
  wasm_store *s = wasm_store_new(a->e);
  /* epoch ticks are 10 ms: the endless loop gets 0.3 s, the rest 60 s */
  wasm_store_set_epoch_deadline(s, c == C_LOOP ? 30 : 6000);
  cm_instance *inst = NULL;
  wasm_error err = {0};
  wasm_status st = cm_linker_instantiate(w->l, s, a->comp[c], &inst, &err);
  if (st) {
    fprintf(stderr, "instantiate %s: %s\n", comp_names[c], err.message);
    http_response_simple(x, 500, "instantiation failed\n");
  } else if ((st = http_wasi_handle(w->h, inst, x, req, &err)) != WASM_OK) {
    pthread_mutex_lock(&a->lock);
    a->traps++;
    pthread_mutex_unlock(&a->lock);
    if (!http_response_started(x)) http_response_simple(x, 500, "the component trapped\n");
  }
  cm_instance_delete(inst);
  wasm_store_delete(s);
  http_wasi_reset(w->h);
}

/* ---- the upstream server (plain C) for the fetch tests ---- */

static void upstream_handler(void *env, unsigned wi, http_exchange *x, const http_request *req) {
  if (strcmp(req->target, "/x") == 0) {
    http_header h[] = {{"content-type", 12, "text/plain", 10}, {"x-up", 4, "1", 1}};
    http_response_start(x, 200, h, 2);
    http_response_write(x, "upstream says hi\n", 17);
    http_response_finish(x, NULL, 0);
  } else if (strcmp(req->target, "/slow") == 0) {
    usleep(1500 * 1000);
    http_response_simple(x, 200, "late\n");
  } else if (strncmp(req->target, "/big?n=", 7) == 0) {
    size_t n = strtoul(req->target + 7, NULL, 10), done = 0;
    http_response_start(x, 200, NULL, 0);
    char chunk[8192];
    while (done < n) {
      size_t k = n - done < sizeof chunk ? n - done : sizeof chunk;
      for (size_t i = 0; i < k; i++) chunk[i] = (char)('A' + (done + i) % 23);
      if (http_response_write(x, chunk, k)) return;
      done += k;
    }
    http_response_finish(x, NULL, 0);
  } else if (strcmp(req->target, "/cut") == 0) {
    /* promises 100000 bytes, sends 10: the server closes the connection */
    http_header h[] = {{"content-length", 14, "100000", 6}};
    http_response_start(x, 200, h, 1);
    http_response_write(x, "0123456789", 10);
  } else if (strcmp(req->target, "/len") == 0) {
    char buf[65536], out[64];
    size_t total = 0;
    ssize_t r;
    while ((r = http_body_read(x, buf, sizeof buf, true)) > 0) total += (size_t)r;
    snprintf(out, sizeof out, "%s %zu\n", req->method, total);
    http_response_simple(x, 201, out);
  } else {
    http_response_simple(x, 404, "not here\n");
  }
}

typedef struct running {
  http_server *srv;
  pthread_t t;
} running;

static void *run_thread(void *p) {
  wasm_error err;
  http_server_run(p, &err);
  return NULL;
}

static bool start_server(running *r, http_handler_fn fn, void *env) {
  http_server_config cfg = {.addr = "127.0.0.1:0", .workers = WORKERS, .handler = fn, .env = env};
  wasm_error err;
  if (http_server_new(&cfg, &r->srv, &err)) {
    fprintf(stderr, "http_server_new: %s\n", err.message);
    return false;
  }
  return pthread_create(&r->t, NULL, run_thread, r->srv) == 0;
}

static void stop_server(running *r) {
  http_server_stop(r->srv);
  pthread_join(r->t, NULL);
  http_server_delete(r->srv);
}

/* ---- the epoch ticker ---- */

static volatile int ticking = 1;
static void *ticker(void *p) {
  while (ticking) {
    usleep(10 * 1000);
    wasm_engine_increment_epoch(p);
  }
  return NULL;
}

/* ---- the client ---- */

typedef struct reply {
  long status;
  char *body; /* NUL-terminated; kept up to keep_max bytes */
  size_t len, keep_max;
  uint64_t count;   /* every body byte */
  uint64_t fnv;     /* FNV-1a of the body */
  bool check_pattern;
  uint64_t bad_at;  /* first byte off the stream pattern (UINT64_MAX: none) */
  char content_type[128];
  double secs;
} reply;

static uint8_t pattern_byte(uint64_t i) {
  uint32_t j = (uint32_t)(i % PATTERN_PERIOD);
  return (uint8_t)(j * 7 + (j >> 8));
}

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
  reply *r = ud;
  size_t k = size * n;
  for (size_t i = 0; i < k; i++) {
    r->fnv = (r->fnv ^ (uint8_t)p[i]) * 0x100000001b3ull;
    if (r->check_pattern && r->bad_at == UINT64_MAX && (uint8_t)p[i] != pattern_byte(r->count + i))
      r->bad_at = r->count + i;
  }
  if (r->len + k <= r->keep_max) {
    char *b = realloc(r->body, r->len + k + 1);
    if (!b) return 0;
    memcpy(b + r->len, p, k);
    r->body = b;
    r->len += k;
    r->body[r->len] = 0;
  }
  r->count += k;
  return k;
}

static size_t on_header(char *b, size_t size, size_t n, void *ud) {
  reply *r = ud;
  size_t k = size * n;
  if (k > 14 && strncasecmp(b, "content-type:", 13) == 0) {
    size_t v = 13;
    while (v < k && b[v] == ' ') v++;
    size_t e = k;
    while (e > v && (b[e - 1] == '\r' || b[e - 1] == '\n')) e--;
    snprintf(r->content_type, sizeof r->content_type, "%.*s", (int)(e - v), b + v);
  }
  return k;
}

typedef struct upload {
  const uint8_t *p;
  size_t n, off;
} upload;

static int on_trailers(struct curl_slist **list, void *ud) {
  *list = curl_slist_append(*list, "X-Sum: 12");
  return CURL_TRAILERFUNC_OK;
}

static size_t on_read(char *dst, size_t size, size_t n, void *ud) {
  upload *u = ud;
  size_t k = size * n;
  if (k > u->n - u->off) k = u->n - u->off;
  if (k > 100000) k = 100000; /* several chunks */
  memcpy(dst, u->p + u->off, k);
  u->off += k;
  return k;
}

/* Makes one request to base+path; body (len bytes) is POSTed when
 * non-NULL, chunked when chunked. */
static reply request(const char *base, const char *path, const uint8_t *body, size_t len,
                     bool chunked, const char *header, bool check_pattern) {
  reply r = {.keep_max = 8u << 20, .fnv = 0xcbf29ce484222325ull, .bad_at = UINT64_MAX,
             .check_pattern = check_pattern};
  char url[512];
  snprintf(url, sizeof url, "http://%s%s", base, path);
  CURL *c = curl_easy_init();
  struct curl_slist *hs = NULL;
  upload up = {body, len, 0};
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
  if (header) hs = curl_slist_append(hs, header);
  hs = curl_slist_append(hs, "Expect:");
  if (body) {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    if (chunked) {
      hs = curl_slist_append(hs, "Transfer-Encoding: chunked");
      curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt(c, CURLOPT_READDATA, &up);
      curl_easy_setopt(c, CURLOPT_TRAILERFUNCTION, on_trailers);
    } else {
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)body);
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hs);
  uint64_t t0 = now_ms();
  CURLcode rc = curl_easy_perform(c);
  r.secs = (double)(now_ms() - t0) / 1000.0;
  if (rc != CURLE_OK) {
    fprintf(stderr, "GET %s: %s\n", path, curl_easy_strerror(rc));
    r.status = -1;
  } else {
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  }
  if (!r.body) r.body = calloc(1, 1);
  curl_slist_free_all(hs);
  curl_easy_cleanup(c);
  return r;
}

static reply get(const char *base, const char *path) {
  return request(base, path, NULL, 0, false, NULL, false);
}

static bool has(const reply *r, const char *s) { return r->body && strstr(r->body, s); }
#define BODY(r) ((r).body ? (r).body : "")

/* Peak resident set (kB) of this process so far. */
static long peak_rss_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long v = -1;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "VmHWM:", 6) == 0) v = strtol(line + 6, NULL, 10);
  if (f) fclose(f);
  return v;
}

/* A loopback port nothing listens on. */
static int closed_port(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t n = sizeof a;
  int port = -1;
  if (s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) == 0 &&
      getsockname(s, (struct sockaddr *)&a, &n) == 0)
    port = ntohs(a.sin_port);
  if (s >= 0) close(s);
  return port;
}

/* ---- the tests ---- */

static void test_hello(const char *base) {
  reply r = get(base, "/hello");
  CHECKM(r.status == 200, "hello status %ld", r.status);
  CHECKM(strcmp(BODY(r), "hello from stratus\n") == 0, "hello body '%s'", BODY(r));
  CHECKM(strcmp(r.content_type, "text/plain") == 0, "hello content-type '%s'", r.content_type);
  free(r.body);
  r = get(base, "/hello/none");
  CHECKM(r.status == 500, "no response set: %ld", r.status);
  free(r.body);
  r = get(base, "/hello/denied");
  CHECKM(r.status == 403 && has(&r, "HTTP-request-denied"), "error-code set: %ld '%s'", r.status,
         BODY(r));
  free(r.body);
}

static void test_fields(const char *base) {
  reply r = get(base, "/fields");
  CHECKM(r.status == 201, "fields status %ld (its last set-status-code is 201)", r.status);
  int oks = 0;
  for (const char *p = BODY(r); (p = strstr(p, "ok ")); p += 3) oks++;
  CHECKM(!strstr(BODY(r), "FAIL"), "fields rules:\n%s", BODY(r));
  CHECKM(oks >= 28, "fields: %d checks ran:\n%s", oks, BODY(r));
  free(r.body);
}

static void test_echo(const char *base) {
  reply r = request(base, "/echo?x=1&y=%20", NULL, 0, false, "X-Test: hello there", false);
  CHECKM(r.status == 200, "echo status %ld", r.status);
  CHECKM(has(&r, "method: GET\n") && has(&r, "path: /echo?x=1&y=%20\n") &&
             has(&r, "header x-test: hello there\n") && has(&r, "bytes: 0\n") &&
             has(&r, "authority: 127.0.0.1:"),
         "echo body:\n%s", BODY(r));
  free(r.body);

  uint8_t *big = malloc(ECHO_BYTES);
  uint64_t fnv = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < ECHO_BYTES; i++) {
    big[i] = (uint8_t)(i * 131 + (i >> 12));
    fnv = (fnv ^ big[i]) * 0x100000001b3ull;
  }
  char want[64];
  snprintf(want, sizeof want, "fnv1a: %016llx\n", (unsigned long long)fnv);
  for (int chunked = 0; chunked < 2; chunked++) {
    r = request(base, "/echo/upload", big, ECHO_BYTES, chunked, "Content-Type: application/x-test",
                false);
    CHECKM(r.status == 200, "echo POST (%s) status %ld", chunked ? "chunked" : "length", r.status);
    CHECKM(has(&r, "method: POST\n") && has(&r, "bytes: 20971520\n") && has(&r, want) &&
               has(&r, "header content-type: application/x-test\n"),
           "echo POST (%s):\n%s\nwant %s", chunked ? "chunked" : "length", BODY(r), want);
    if (chunked) CHECKM(has(&r, "trailer x-sum: 12\n"), "echo trailers:\n%s", BODY(r));
    fprintf(stderr, "  echo of 20 MB (%s): %.2f s\n", chunked ? "chunked" : "content-length",
            r.secs);
    free(r.body);
  }
  free(big);
}

static void test_stream(const char *base) {
  long before = peak_rss_kb();
  char path[64];
  snprintf(path, sizeof path, "/stream?n=%u", STREAM_BYTES);
  reply r = request(base, path, NULL, 0, false, NULL, true);
  long after = peak_rss_kb();
  CHECKM(r.status == 200, "stream status %ld", r.status);
  CHECKM(r.count == STREAM_BYTES, "stream: %llu bytes, want %u", (unsigned long long)r.count,
         STREAM_BYTES);
  CHECKM(r.bad_at == UINT64_MAX, "stream: byte %llu is off the pattern",
         (unsigned long long)r.bad_at);
  fprintf(stderr, "  100 MB streamed in %.2f s, peak RSS %ld -> %ld kB\n", r.secs, before, after);
#ifndef UNDER_ASAN
  /* (ASan's quarantine keeps freed memory resident: not measured there) */
  CHECKM(after - before < 40 * 1024, "stream: peak RSS grew by %ld kB", after - before);
#endif
  free(r.body);
  /* with a content-length */
  r = request(base, "/stream?n=3000000&cl=1", NULL, 0, false, NULL, true);
  CHECKM(r.status == 200 && r.count == 3000000 && r.bad_at == UINT64_MAX,
         "stream with content-length: status %ld, %llu bytes", r.status,
         (unsigned long long)r.count);
  free(r.body);
}

static void test_fetch(const char *base, const char *up) {
  char path[512];
  snprintf(path, sizeof path, "/fetch?url=http://%s/x", up);
  reply r = get(base, path);
  CHECKM(r.status == 200 && strcmp(BODY(r), "upstream says hi\n") == 0, "fetch: %ld '%s'",
         r.status, BODY(r));
  free(r.body);

  snprintf(path, sizeof path, "/fetch?url=http://%s/len&post=300000", up);
  r = get(base, path);
  CHECKM(r.status == 201 && strcmp(BODY(r), "POST 300000\n") == 0, "fetch POST: %ld '%s'",
         r.status, BODY(r));
  free(r.body);

  snprintf(path, sizeof path, "/fetch?url=http://%s/big?n=5000000", up);
  r = get(base, path);
  bool same = r.len == 5000000;
  for (size_t i = 0; same && i < r.len; i++) same = r.body[i] == (char)('A' + i % 23);
  CHECKM(r.status == 200 && same, "fetch of 5 MB: %ld, %zu bytes", r.status, r.len);
  free(r.body);

  /* localhost is not on the allow-list (127.0.0.1 is) */
  const char *port = strrchr(up, ':') + 1;
  snprintf(path, sizeof path, "/fetch?url=http://localhost:%s/x", port);
  r = get(base, path);
  CHECKM(r.status == 502 && strcmp(BODY(r), "handle: HTTP-request-denied\n") == 0,
         "fetch denied: %ld '%s'", r.status, BODY(r));
  CHECKM(r.secs < 2.0, "fetch denied took %.2f s", r.secs);
  free(r.body);

  snprintf(path, sizeof path, "/fetch?url=http://127.0.0.1:%d/x", closed_port());
  r = get(base, path);
  CHECKM(r.status == 502 && strcmp(BODY(r), "response: connection-refused\n") == 0,
         "fetch refused: %ld '%s'", r.status, BODY(r));
  free(r.body);

  snprintf(path, sizeof path, "/fetch?url=http://%s/slow&timeout_ms=300", up);
  r = get(base, path);
  CHECKM(r.status == 502 && strcmp(BODY(r), "response: connection-read-timeout\n") == 0,
         "fetch timeout: %ld '%s'", r.status, BODY(r));
  CHECKM(r.secs < 1.4, "fetch timeout took %.2f s", r.secs);
  free(r.body);

  /* a body cut short: the stream's error carries the error-code */
  snprintf(path, sizeof path, "/fetch?url=http://%s/cut", up);
  r = get(base, path);
  CHECKM(r.status == 502 && strcmp(BODY(r), "body: HTTP-response-incomplete\n") == 0,
         "fetch cut: %ld '%s'", r.status, BODY(r));
  free(r.body);

  snprintf(path, sizeof path, "/fetch?url=ftp://%s/x", up);
  r = get(base, path);
  CHECKM(r.status == 502 || r.status == 400, "fetch ftp: %ld '%s'", r.status, BODY(r));
  free(r.body);
}

static void test_trap(const char *base, const char *up, app *a) {
  int before = a->traps;
  reply r = get(base, "/trap");
  CHECKM(r.status == 500, "trap status %ld", r.status);
  free(r.body);
  CHECKM(a->traps == before + 1, "trap counted: %d", a->traps - before);
  r = get(base, "/hello");
  CHECKM(r.status == 200, "hello after a trap: %ld", r.status);
  free(r.body);
  /* a trap holding every kind of object (the sanitizer build checks
   * they are all freed): the response had started, so the connection
   * closes mid-body */
  char path[300];
  snprintf(path, sizeof path, "/trap/deep?url=http://%s/slow", up);
  static uint8_t some[100000];
  r = request(base, path, some, sizeof some, false, NULL, false);
  CHECKM(r.status == -1 && has(&r, "partial body"), "deep trap: %ld '%s'", r.status, BODY(r));
  free(r.body);
  CHECKM(a->traps == before + 2, "deep trap counted: %d", a->traps - before);
  r = get(base, "/hello");
  CHECKM(r.status == 200, "hello after the deep trap: %ld", r.status);
  free(r.body);
  r = get(base, "/loop");
  CHECKM(r.status == 500, "loop status %ld", r.status);
  CHECKM(r.secs < 5.0, "loop stopped after %.2f s", r.secs);
  free(r.body);
  r = get(base, "/hello");
  CHECKM(r.status == 200, "hello after a loop: %ld", r.status);
  free(r.body);
}

int main(void) {
  char root[PATH_MAX], cmd[2 * PATH_MAX + 128];
  unit_find_root(root, sizeof root);
  snprintf(cmd, sizeof cmd, "FIXTURES_OUT='%s/build/fixtures' '%s/tests/fixtures/build.sh' >/dev/null",
           root, root);
  CHECKM(system(cmd) == 0, "tests/fixtures/build.sh failed");
  curl_global_init(CURL_GLOBAL_DEFAULT);

  app a = {.e = wasm_engine_new(NULL)};
  pthread_mutex_init(&a.lock, NULL);
  bool ok = true;
  for (int i = 0; i < NCOMP; i++) {
    if (!(a.comp[i] = unit_fixture_component(a.e, root, "", comp_names[i]))) ok = false;
  }

  running upstream;
  ok = ok && start_server(&upstream, upstream_handler, NULL);
  const char *up = ok ? http_server_addr(upstream.srv) : "";
  const char *allow[] = {"127.0.0.1", "*.example.com:443"};
  http_wasi_config hcfg = {.allowed_hosts = allow, .nallowed = 2};
  for (int i = 0; ok && i < WORKERS; i++) {
    worker *w = &a.workers[i];
    wasi2_config wcfg = {.stdin_fd = -1, .stdout_fd = -1, .stderr_fd = 2};
    wasm_error err = {0};
    w->l = cm_linker_new(a.e);
    if (!w->l || wasi2_ctx_new(&wcfg, &w->w, &err) || wasi2_link(w->w, w->l, &err) ||
        http_wasi_new(&hcfg, w->w, &w->h, &err) || http_wasi_link(w->h, w->l, &err)) {
      CHECKM(0, "worker setup: %s", err.message);
      ok = false;
    }
  }
  pthread_t tick;
  pthread_create(&tick, NULL, ticker, a.e);
  running srv;
  if (ok && start_server(&srv, app_handler, &a)) {
    const char *base = http_server_addr(srv.srv);
    test_hello(base);
    test_stream(base);
    test_fields(base);
    test_echo(base);
    test_fetch(base, up);
    test_trap(base, up, &a);
    stop_server(&srv);
  } else {
    CHECKM(0, "setup failed");
  }
  if (upstream.srv && ok) stop_server(&upstream);
  ticking = 0;
  pthread_join(tick, NULL);
  for (int i = 0; i < WORKERS; i++) {
    http_wasi_delete(a.workers[i].h);
    wasi2_ctx_delete(a.workers[i].w);
    cm_linker_delete(a.workers[i].l);
  }
  for (int i = 0; i < NCOMP; i++) cm_component_delete(a.comp[i]);
  wasm_engine_delete(a.e);
  pthread_mutex_destroy(&a.lock);
  curl_global_cleanup();
  return unit_report();
}
