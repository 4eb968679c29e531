/* Unit tests of the HTTP/1.1 server (src/http/http_server.c,
 * http_exchange.c): a server on 127.0.0.1:0 with a C handler, driven by
 * plain sockets and libcurl. Every client socket has a receive timeout,
 * so a failure never hangs the test. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "stratus/http.h"
#include "unit.h"

#define STREAM_BYTES (5 * 1000 * 1000)

/* ---- the handler ---- */

static atomic_int slow_started;   /* /slow has begun */
static atomic_int handler_worker; /* highest worker index seen + 1 */

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static bool path_is(const http_request *req, const char *p) {
  size_t n = strlen(p);
  return strncmp(req->target, p, n) == 0 && (req->target[n] == '\0' || req->target[n] == '?');
}

/* Reads the whole body (blocking); NULL on a body error. */
static char *read_body(http_exchange *x, size_t *len) {
  size_t cap = 4096, n = 0;
  char *b = malloc(cap);
  for (;;) {
    if (n == cap) b = realloc(b, cap *= 2);
    ssize_t r = http_body_read(x, b + n, cap - n, true);
    if (r == HTTP_BODY_END) break;
    if (r < 0) {
      free(b);
      return NULL;
    }
    n += (size_t)r;
  }
  *len = n;
  return b;
}

/* The same with non-blocking reads and poll on http_body_fd. */
static char *read_body_polling(http_exchange *x, size_t *len) {
  size_t cap = 4096, n = 0;
  char *b = malloc(cap);
  for (int rounds = 0; rounds < 10000; rounds++) {
    if (n == cap) b = realloc(b, cap *= 2);
    if (!http_body_ready(x)) {
      struct pollfd p = {.fd = http_body_fd(x), .events = POLLIN};
      poll(&p, 1, 2000);
      continue;
    }
    ssize_t r = http_body_read(x, b + n, cap - n, false);
    if (r == HTTP_BODY_END) {
      *len = n;
      return b;
    }
    if (r == HTTP_BODY_AGAIN) continue;
    if (r < 0) break;
    n += (size_t)r;
  }
  free(b);
  return NULL;
}

static void handler(void *env, unsigned worker, http_exchange *x, const http_request *req) {
  (void)env;
  int seen = atomic_load(&handler_worker);
  while ((int)worker + 1 > seen && !atomic_compare_exchange_weak(&handler_worker, &seen, (int)worker + 1)) {
  }
  if (path_is(req, "/hello")) {
    http_response_simple(x, 200, "hello");
  } else if (path_is(req, "/echo") || path_is(req, "/echo-poll")) {
    size_t n = 0;
    char *b = path_is(req, "/echo") ? read_body(x, &n) : read_body_polling(x, &n);
    if (!b) {
      http_response_simple(x, 400, "body error");
      return;
    }
    size_t nt = 0;
    const http_header *t = http_body_trailers(x, &nt);
    http_header h[4];
    size_t nh = 0;
    char cl[32], count[16];
    snprintf(cl, sizeof cl, "%zu", n);
    snprintf(count, sizeof count, "%zu", nt);
    h[nh++] = (http_header){"Content-Length", 14, cl, strlen(cl)};
    h[nh++] = (http_header){"X-Trailers", 10, count, strlen(count)};
    for (size_t i = 0; i < nt && nh < 4; i++)
      h[nh++] = (http_header){"X-Trailer", 9, t[i].value, t[i].value_len};
    /* also the request's method, authority and a header */
    http_response_start(x, 200, h, nh);
    http_response_write(x, b, n);
    http_response_finish(x, NULL, 0);
    free(b);
  } else if (path_is(req, "/info")) {
    char body[512];
    const char *ua = "";
    for (size_t i = 0; i < req->nheaders; i++)
      if (req->headers[i].name_len == 10 && strncasecmp(req->headers[i].name, "user-agent", 10) == 0)
        ua = req->headers[i].value;
    snprintf(body, sizeof body, "%s|%s|%s|1.%d|%s", req->method, req->target, req->authority,
             req->version_minor, ua);
    http_response_simple(x, 200, body);
  } else if (path_is(req, "/stream")) {
    /* chunked (no Content-Length), 64 KiB writes of a pattern */
    http_header h[] = {{"Content-Type", 12, "application/octet-stream", 24},
                       {"Connection", 10, "keep-alive", 10}, /* hop-by-hop: dropped */
                       {"Bad\r\nName", 9, "x", 1}};          /* invalid: dropped */
    if (http_response_start(x, 200, h, 3) < 0) return;
    static char chunk[65536];
    for (size_t i = 0; i < sizeof chunk; i++) chunk[i] = (char)('a' + i % 26);
    size_t sent = 0;
    while (sent < STREAM_BYTES) {
      size_t k = STREAM_BYTES - sent < sizeof chunk ? STREAM_BYTES - sent : sizeof chunk;
      if (http_response_write(x, chunk, k) < 0) return;
      sent += k;
    }
    http_header tr = {"X-Done", 6, "yes", 3};
    http_response_finish(x, &tr, 1);
  } else if (path_is(req, "/small-writes")) {
    if (http_response_start(x, 200, NULL, 0) < 0) return;
    for (int i = 0; i < 1000; i++) http_response_write(x, "0123456789", 10);
    http_response_finish(x, NULL, 0);
  } else if (path_is(req, "/noresp")) {
    /* nothing: the server sends 500 */
  } else if (path_is(req, "/partial")) {
    http_header h = {"Content-Length", 14, "100", 3};
    http_response_start(x, 200, &h, 1);
    http_response_write(x, "0123456789", 10);
  } else if (path_is(req, "/toolong")) {
    http_header h = {"Content-Length", 14, "3", 1};
    http_response_start(x, 200, &h, 1);
    int r1 = http_response_write(x, "abcdef", 6);
    int r2 = http_response_write(x, "abc", 3);
    http_response_finish(x, NULL, 0);
    http_exchange_note(x, "writes %d %d", r1, r2);
  } else if (path_is(req, "/slow")) {
    atomic_store(&slow_started, 1);
    sleep_ms(300);
    http_response_simple(x, 200, "slow done");
  } else if (path_is(req, "/note")) {
    http_exchange_note(x, "a note\nwith a newline");
    http_response_simple(x, 201, "noted");
  } else if (path_is(req, "/nocontent")) {
    http_response_start(x, 204, NULL, 0);
    http_response_write(x, "ignored", 7);
    http_response_finish(x, NULL, 0);
  } else {
    http_response_simple(x, 404, "not found");
  }
}

/* ---- the server in a thread ---- */

typedef struct running {
  http_server *srv;
  pthread_t thread;
  wasm_status st;
  wasm_error err;
  char host[64];
  int port;
} running;

static void *run_thread(void *arg) {
  running *r = arg;
  r->st = http_server_run(r->srv, &r->err);
  return NULL;
}

static bool start(running *r, http_server_config *cfg) {
  memset(r, 0, sizeof *r);
  wasm_error err;
  if (http_server_new(cfg, &r->srv, &err) != WASM_OK) {
    fprintf(stderr, "http_server_new: %s\n", err.message);
    return false;
  }
  const char *a = http_server_addr(r->srv);
  const char *colon = strrchr(a, ':');
  snprintf(r->host, sizeof r->host, "%.*s", (int)(colon - a), a);
  r->port = atoi(colon + 1);
  pthread_create(&r->thread, NULL, run_thread, r);
  return true;
}

static void stop(running *r) {
  http_server_stop(r->srv);
  pthread_join(r->thread, NULL);
  CHECKM(r->st == WASM_OK, "run: %s", r->err.message);
  http_server_delete(r->srv);
}

/* ---- a small client ---- */

typedef struct client {
  int fd;
  char buf[1 << 16];
  size_t pos, len;
} client;

typedef struct response {
  int status;
  char head[8192];
  char *body;
  size_t body_len;
  bool eof; /* the server closed after this response */
} response;

static client *connect_to(const running *r) {
  client *c = calloc(1, sizeof *c);
  c->fd = socket(AF_INET, SOCK_STREAM, 0);
  struct timeval tv = {5, 0};
  setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)r->port)};
  inet_pton(AF_INET, r->host, &sa.sin_addr);
  if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    close(c->fd);
    free(c);
    return NULL;
  }
  return c;
}

static void client_close(client *c) {
  if (!c) return;
  close(c->fd);
  free(c);
}

static bool send_all(client *c, const void *p, size_t n) {
  const char *s = p;
  while (n) {
    ssize_t w = send(c->fd, s, n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    s += w;
    n -= (size_t)w;
  }
  return true;
}

static bool send_str(client *c, const char *s) { return send_all(c, s, strlen(s)); }

/* More bytes into the buffer: > 0, 0 at EOF, -1 on error or timeout. */
static ssize_t fill(client *c) {
  if (c->pos == c->len) c->pos = c->len = 0;
  if (c->len == sizeof c->buf) {
    memmove(c->buf, c->buf + c->pos, c->len - c->pos);
    c->len -= c->pos;
    c->pos = 0;
  }
  ssize_t r = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
  if (r > 0) c->len += (size_t)r;
  return r;
}

/* A line (without its CRLF) into out; false at EOF or timeout. */
static bool read_line(client *c, char *out, size_t cap) {
  for (;;) {
    char *lf = memchr(c->buf + c->pos, '\n', c->len - c->pos);
    if (lf) {
      size_t n = (size_t)(lf - (c->buf + c->pos));
      size_t k = n > 0 && c->buf[c->pos + n - 1] == '\r' ? n - 1 : n;
      if (k >= cap) k = cap - 1;
      memcpy(out, c->buf + c->pos, k);
      out[k] = '\0';
      c->pos += n + 1;
      return true;
    }
    if (fill(c) <= 0) return false;
  }
}

static bool read_exact(client *c, char *out, size_t n) {
  while (n) {
    if (c->pos == c->len && fill(c) <= 0) return false;
    size_t k = c->len - c->pos < n ? c->len - c->pos : n;
    memcpy(out, c->buf + c->pos, k);
    c->pos += k;
    out += k;
    n -= k;
  }
  return true;
}

/* The value of header name in a response head, or NULL (static buffer). */
static const char *header(const response *r, const char *name) {
  static _Thread_local char val[1024];
  size_t n = strlen(name);
  for (const char *p = r->head; *p;) {
    const char *e = strchr(p, '\n');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
      const char *v = p + n + 1;
      while (*v == ' ') v++;
      size_t vl = (size_t)(p + len - v);
      if (vl >= sizeof val) vl = sizeof val - 1;
      memcpy(val, v, vl);
      val[vl] = '\0';
      return val;
    }
    p += len + (e ? 1 : 0);
  }
  return NULL;
}

static void response_free(response *r) {
  free(r->body);
  r->body = NULL;
}

/* Reads one response; no_body for HEAD (and 1xx/204/304). The head's
 * header lines are kept in r->head ("Name: value\n" each). */
static bool read_response(client *c, response *r, bool no_body) {
  memset(r, 0, sizeof *r);
  char line[8192];
  if (!read_line(c, line, sizeof line)) return false;
  if (sscanf(line, "HTTP/1.1 %d", &r->status) != 1) return false;
  size_t hl = 0;
  for (;;) {
    if (!read_line(c, line, sizeof line)) return false;
    if (!line[0]) break;
    hl += (size_t)snprintf(r->head + hl, sizeof r->head - hl, "%s\n", line);
    if (hl >= sizeof r->head) return false;
  }
  if (no_body || r->status == 204 || r->status == 304 || r->status < 200) return true;
  const char *te = header(r, "transfer-encoding");
  const char *cl = header(r, "content-length");
  if (te && strcmp(te, "chunked") == 0) {
    size_t cap = 1024;
    r->body = malloc(cap);
    for (;;) {
      if (!read_line(c, line, sizeof line)) return false;
      size_t n = strtoul(line, NULL, 16);
      if (n == 0) break;
      while (r->body_len + n > cap) r->body = realloc(r->body, cap *= 2);
      if (!read_exact(c, r->body + r->body_len, n)) return false;
      r->body_len += n;
      if (!read_line(c, line, sizeof line) || line[0]) return false;
    }
    for (;;) { /* trailers, appended to the head */
      if (!read_line(c, line, sizeof line)) return false;
      if (!line[0]) break;
      hl += (size_t)snprintf(r->head + hl, sizeof r->head - hl, "%s\n", line);
    }
  } else if (cl) {
    size_t n = strtoul(cl, NULL, 10);
    r->body = malloc(n + 1);
    if (!read_exact(c, r->body, n)) return false;
    r->body_len = n;
  } else { /* until the connection closes */
    size_t cap = 1024;
    r->body = malloc(cap);
    for (;;) {
      if (c->pos == c->len) {
        ssize_t k = fill(c);
        if (k == 0) break;
        if (k < 0) return false;
      }
      size_t k = c->len - c->pos;
      while (r->body_len + k > cap) r->body = realloc(r->body, cap *= 2);
      memcpy(r->body + r->body_len, c->buf + c->pos, k);
      r->body_len += k;
      c->pos += k;
    }
    r->eof = true;
  }
  return true;
}

/* True when the server closed the connection (EOF within the timeout,
 * nothing else received). */
static bool at_eof(client *c) {
  if (c->pos < c->len) return false;
  char b;
  return recv(c->fd, &b, 1, 0) == 0;
}

static bool body_is(const response *r, const char *s) {
  return r->body && r->body_len == strlen(s) && memcmp(r->body, s, r->body_len) == 0;
}

/* ---- tests ---- */

static void test_keepalive_and_pipelining(running *srv) {
  client *c = connect_to(srv);
  CHECK(c != NULL);
  if (!c) return;
  response r;
  send_str(c, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(read_response(c, &r, false) && r.status == 200 && body_is(&r, "hello"));
  CHECK(header(&r, "date") != NULL);
  CHECK(header(&r, "content-type") && strstr(header(&r, "content-type"), "text/plain"));
  CHECK(header(&r, "connection") == NULL);
  response_free(&r);
  /* second request, same connection */
  send_str(c, "GET /info?x=1 HTTP/1.1\r\nHost: example.test:1234\r\nUser-Agent: unit\r\n\r\n");
  CHECK(read_response(c, &r, false) && r.status == 200 &&
        body_is(&r, "GET|/info?x=1|example.test:1234|1.1|unit"));
  response_free(&r);
  /* pipelining: three requests in one write (one with a body) */
  send_str(c, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"
              "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nabcde"
              "GET /info HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(read_response(c, &r, false) && r.status == 200 && body_is(&r, "hello"));
  response_free(&r);
  CHECK(read_response(c, &r, false) && r.status == 200 && body_is(&r, "abcde"));
  response_free(&r);
  CHECK(read_response(c, &r, false) && r.status == 200 && body_is(&r, "GET|/info|t|1.1|"));
  response_free(&r);
  /* Connection: close ends it */
  send_str(c, "GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  CHECK(read_response(c, &r, false) && r.status == 200 && body_is(&r, "hello"));
  CHECK(header(&r, "connection") && strcmp(header(&r, "connection"), "close") == 0);
  response_free(&r);
  CHECK(at_eof(c));
  client_close(c);
}

static void test_bodies(running *srv) {
  client *c = connect_to(srv);
  CHECK(c != NULL);
  if (!c) return;
  response r;
  /* content-length body */
  const char *msg = "the quick brown fox";
  char req[512];
  snprintf(req, sizeof req, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: %zu\r\n\r\n%s",
           strlen(msg), msg);
  send_str(c, req);
  CHECK(read_response(c, &r, false) && r.status == 200 && body_is(&r, msg));
  response_free(&r);
  /* a larger body, in pieces */
  size_t big = 90000;
  char *data = malloc(big);
  for (size_t i = 0; i < big; i++) data[i] = (char)(i * 7);
  snprintf(req, sizeof req, "PUT /echo HTTP/1.1\r\nHost: t\r\nContent-Length: %zu\r\n\r\n", big);
  send_str(c, req);
  send_all(c, data, 1000);
  sleep_ms(20);
  send_all(c, data + 1000, big - 1000);
  CHECK(read_response(c, &r, false) && r.status == 200 && r.body_len == big &&
        memcmp(r.body, data, big) == 0);
  response_free(&r);
  /* chunked with extensions and trailers */
  send_str(c, "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
              "4;ext=1\r\nwiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n"
              "0\r\nX-Checksum: 1234\r\nX-Other: two\r\n\r\n");
  CHECK(read_response(c, &r, false) && r.status == 200 &&
        body_is(&r, "wikipedia in\r\n\r\nchunks."));
  CHECK(header(&r, "x-trailers") && strcmp(header(&r, "x-trailers"), "2") == 0);
  CHECK(header(&r, "x-trailer") && strcmp(header(&r, "x-trailer"), "1234") == 0);
  response_free(&r);
  /* chunked, byte by byte, read with non-blocking reads */
  send_str(c, "POST /echo-poll HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
  const char *body = "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  for (const char *p = body; *p; p++) {
    send_all(c, p, 1);
    if (p - body < 6) sleep_ms(5);
  }
  CHECK(read_response(c, &r, false) && r.status == 200 && body_is(&r, "abcde"));
  response_free(&r);
  /* content-length, non-blocking, in two parts */
  send_str(c, "POST /echo-poll HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n01234");
  sleep_ms(50);
  send_str(c, "56789");
  CHECK(read_response(c, &r, false) && r.status == 200 && body_is(&r, "0123456789"));
  response_free(&r);
  /* an unread small body is drained: the connection stays usable */
  send_str(c, "POST /hello HTTP/1.1\r\nHost: t\r\nContent-Length: 3000\r\n\r\n");
  memset(data, 'z', 3000);
  send_all(c, data, 3000);
  CHECK(read_response(c, &r, false) && r.status == 200 && body_is(&r, "hello"));
  CHECK(header(&r, "connection") == NULL);
  response_free(&r);
  send_str(c, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(read_response(c, &r, false) && r.status == 200 && body_is(&r, "hello"));
  response_free(&r);
  /* the same with a chunked body */
  send_str(c, "POST /hello HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
              "5\r\n12345\r\n0\r\n\r\n");
  CHECK(read_response(c, &r, false) && r.status == 200 && body_is(&r, "hello"));
  response_free(&r);
  send_str(c, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(read_response(c, &r, false) && r.status == 200 && body_is(&r, "hello"));
  response_free(&r);
  free(data);
  client_close(c);

  /* a large unread body closes the connection (Connection: close) */
  c = connect_to(srv);
  send_str(c, "POST /hello HTTP/1.1\r\nHost: t\r\nContent-Length: 90000\r\n\r\n");
  CHECK(read_response(c, &r, false) && r.status == 200 && body_is(&r, "hello"));
  CHECK(header(&r, "connection") && strcmp(header(&r, "connection"), "close") == 0);
  response_free(&r);
  client_close(c);

  /* bad chunked framing: the handler sees a body error */
  c = connect_to(srv);
  send_str(c, "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n");
  CHECK(read_response(c, &r, false) && r.status == 400 && body_is(&r, "body error"));
  response_free(&r);
  CHECK(at_eof(c));
  client_close(c);

  /* a chunked body over max_body_bytes (100000) */
  c = connect_to(srv);
  send_str(c, "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
  char *chunk = malloc(60000 + 32);
  int hl = sprintf(chunk, "EA60\r\n");
  memset(chunk + hl, 'q', 60000);
  memcpy(chunk + hl + 60000, "\r\n", 2);
  send_all(c, chunk, (size_t)hl + 60002);
  send_all(c, chunk, (size_t)hl + 60002);
  free(chunk);
  CHECK(read_response(c, &r, false) && r.status == 400);
  response_free(&r);
  client_close(c);
}

static void test_responses(running *srv) {
  client *c = connect_to(srv);
  CHECK(c != NULL);
  if (!c) return;
  response r;
  /* 5 MB streamed with chunked framing */
  send_str(c, "GET /stream HTTP/1.1\r\nHost: t\r\n\r\n");
  bool ok = read_response(c, &r, false);
  CHECK(ok && r.status == 200 && r.body_len == STREAM_BYTES);
  CHECK(header(&r, "transfer-encoding") && strcmp(header(&r, "transfer-encoding"), "chunked") == 0);
  CHECK(header(&r, "connection") == NULL); /* the handler's was dropped */
  CHECK(header(&r, "bad") == NULL);
  CHECK(header(&r, "x-done") && strcmp(header(&r, "x-done"), "yes") == 0);
  bool pattern = r.body != NULL;
  for (size_t i = 0; pattern && i < r.body_len; i++)
    if (r.body[i] != (char)('a' + (i % 65536) % 26)) pattern = false;
  CHECK(pattern);
  response_free(&r);
  /* many small writes gathered */
  send_str(c, "GET /small-writes HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(read_response(c, &r, false) && r.status == 200 && r.body_len == 10000);
  response_free(&r);
  /* HEAD: headers only, then the connection is still in step */
  send_str(c, "HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(read_response(c, &r, true) && r.status == 200);
  CHECK(header(&r, "content-length") && strcmp(header(&r, "content-length"), "5") == 0);
  response_free(&r);
  send_str(c, "HEAD /stream HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(read_response(c, &r, true) && r.status == 200 && !header(&r, "transfer-encoding"));
  response_free(&r);
  send_str(c, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(read_response(c, &r, false) && r.status == 200 && body_is(&r, "hello"));
  response_free(&r);
  /* 204: no body even when written */
  send_str(c, "GET /nocontent HTTP/1.1\r\nHost: t\r\n\r\nGET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(read_response(c, &r, false) && r.status == 204 && !header(&r, "transfer-encoding"));
  response_free(&r);
  CHECK(read_response(c, &r, false) && r.status == 200 && body_is(&r, "hello"));
  response_free(&r);
  /* writes past Content-Length fail; the response stays well-formed */
  send_str(c, "GET /toolong HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(read_response(c, &r, false) && r.status == 200 && body_is(&r, "abc"));
  response_free(&r);
  /* Expect: 100-continue */
  send_str(c, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  char line[256];
  CHECK(read_line(c, line, sizeof line) && strcmp(line, "HTTP/1.1 100 Continue") == 0);
  CHECK(read_line(c, line, sizeof line) && line[0] == '\0');
  send_str(c, "ping");
  CHECK(read_response(c, &r, false) && r.status == 200 && body_is(&r, "ping"));
  response_free(&r);
  /* without reading the body, no 100 is sent and the connection closes */
  send_str(c, "POST /hello HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  CHECK(read_response(c, &r, false) && r.status == 200 && body_is(&r, "hello"));
  CHECK(header(&r, "connection") && strcmp(header(&r, "connection"), "close") == 0);
  response_free(&r);
  CHECK(at_eof(c));
  client_close(c);

  /* handler without a response: 500, connection kept */
  c = connect_to(srv);
  send_str(c, "GET /noresp HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(read_response(c, &r, false) && r.status == 500);
  response_free(&r);
  send_str(c, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(read_response(c, &r, false) && r.status == 200);
  response_free(&r);
  /* handler that starts but does not finish: incomplete body, closed */
  send_str(c, "GET /partial HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(!read_response(c, &r, false) && r.status == 200);
  response_free(&r);
  client_close(c);

  /* HTTP/1.0: Content-Length and close; keep-alive when asked */
  c = connect_to(srv);
  send_str(c, "GET /hello HTTP/1.0\r\n\r\n");
  CHECK(read_response(c, &r, false) && r.status == 200 && body_is(&r, "hello"));
  CHECK(header(&r, "connection") && strcmp(header(&r, "connection"), "close") == 0);
  response_free(&r);
  CHECK(at_eof(c));
  client_close(c);
  c = connect_to(srv);
  send_str(c, "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  CHECK(read_response(c, &r, false) && r.status == 200 && body_is(&r, "hello"));
  CHECK(header(&r, "connection") && strcmp(header(&r, "connection"), "keep-alive") == 0);
  response_free(&r);
  /* a 1.0 stream without a length ends with the connection */
  send_str(c, "GET /small-writes HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  CHECK(read_response(c, &r, false) && r.status == 200 && r.body_len == 10000 && r.eof);
  response_free(&r);
  client_close(c);
}

/* Sends raw text on a new connection; the response must have status
 * and be followed by EOF. */
static void expect_error(running *srv, const char *text, size_t len, int status) {
  client *c = connect_to(srv);
  if (!c) {
    CHECK(c != NULL);
    return;
  }
  send_all(c, text, len);
  response r;
  bool ok = read_response(c, &r, false);
  CHECKM(ok && r.status == status, "want %d, got %d (%.40s)", status, r.status, text);
  CHECK(!ok || (header(&r, "connection") && strcmp(header(&r, "connection"), "close") == 0));
  response_free(&r);
  CHECK(at_eof(c));
  client_close(c);
}

static void test_errors(running *srv) {
  const char *bad = "GARBAGE\r\n\r\n";
  expect_error(srv, bad, strlen(bad), 400);
  bad = "GET / HTTP/1.1\r\n\r\n"; /* no Host */
  expect_error(srv, bad, strlen(bad), 400);
  bad = "GET / HTTP/2.0\r\nHost: t\r\n\r\n";
  expect_error(srv, bad, strlen(bad), 505);
  bad = "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n";
  expect_error(srv, bad, strlen(bad), 501);
  bad = "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc";
  expect_error(srv, bad, strlen(bad), 400);
  bad = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 200000\r\n\r\nsome of it";
  expect_error(srv, bad, strlen(bad), 413);
  /* headers over max_header_bytes (8 KiB here): 431 */
  size_t n = 20000;
  char *big = malloc(n);
  int k = sprintf(big, "GET / HTTP/1.1\r\nHost: t\r\nX-Big: ");
  memset(big + k, 'x', n - (size_t)k - 4);
  memcpy(big + n - 4, "\r\n\r\n", 4);
  expect_error(srv, big, n, 431);
  free(big);
  /* too many header fields */
  char many[4096];
  strcpy(many, "GET / HTTP/1.1\r\nHost: t\r\n");
  for (int i = 0; i < 120; i++) sprintf(many + strlen(many), "X-%d: 1\r\n", i);
  strcat(many, "\r\n");
  expect_error(srv, many, strlen(many), 431);
}

static void test_idle_timeout(running *srv) {
  /* the server here closes idle connections after 300 ms */
  client *c = connect_to(srv);
  CHECK(c != NULL);
  if (!c) return;
  response r;
  send_str(c, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(read_response(c, &r, false) && r.status == 200);
  response_free(&r);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  CHECK(at_eof(c));
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
  CHECKM(ms > 150 && ms < 3000, "idle close after %.0f ms", ms);
  client_close(c);
  /* a connection that never sends anything */
  c = connect_to(srv);
  CHECK(at_eof(c));
  client_close(c);
}

typedef struct slow_client {
  running *srv;
  response r;
  bool ok;
} slow_client;

static void *slow_request(void *arg) {
  slow_client *s = arg;
  client *c = connect_to(s->srv);
  if (!c) return NULL;
  send_str(c, "GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
  s->ok = read_response(c, &s->r, false);
  if (s->ok) s->ok = at_eof(c);
  client_close(c);
  return NULL;
}

static void test_stop_in_flight(void) {
  http_server_config cfg = {.addr = "127.0.0.1:0", .workers = 2, .handler = handler};
  running srv;
  if (!start(&srv, &cfg)) {
    CHECK(0);
    return;
  }
  /* an idle keep-alive connection too: closed by the stop */
  client *idle = connect_to(&srv);
  response r;
  send_str(idle, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(read_response(idle, &r, false) && r.status == 200);
  response_free(&r);

  atomic_store(&slow_started, 0);
  slow_client sc = {.srv = &srv};
  pthread_t t;
  pthread_create(&t, NULL, slow_request, &sc);
  for (int i = 0; i < 500 && !atomic_load(&slow_started); i++) sleep_ms(5);
  CHECK(atomic_load(&slow_started));
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  http_server_stop(srv.srv);
  pthread_join(srv.thread, NULL);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  CHECKM(srv.st == WASM_OK, "run: %s", srv.err.message);
  pthread_join(t, NULL);
  CHECK(sc.ok && sc.r.status == 200 && body_is(&sc.r, "slow done"));
  CHECK(sc.ok && header(&sc.r, "connection") && strcmp(header(&sc.r, "connection"), "close") == 0);
  response_free(&sc.r);
  double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
  CHECKM(ms < 2000, "stop took %.0f ms", ms);
  CHECK(at_eof(idle));
  client_close(idle);
  /* nothing listens any more */
  CHECK(connect_to(&srv) == NULL);
  http_server_delete(srv.srv);
}

/* Stalled clients: a head that never completes gets 408, a body that
 * stops coming fails the handler's read. */
static void test_io_timeouts(void) {
  http_server_config cfg = {.addr = "127.0.0.1:0", .workers = 1, .io_timeout_ms = 200,
                            .handler = handler};
  running srv;
  if (!start(&srv, &cfg)) {
    CHECK(0);
    return;
  }
  client *c = connect_to(&srv);
  response r;
  send_str(c, "GET /hello HTTP/1.1\r\nHo");
  CHECK(read_response(c, &r, false) && r.status == 408);
  response_free(&r);
  CHECK(at_eof(c));
  client_close(c);
  c = connect_to(&srv);
  send_str(c, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n01234");
  CHECK(read_response(c, &r, false) && r.status == 400 && body_is(&r, "body error"));
  response_free(&r);
  client_close(c);
  stop(&srv);
}

static void test_bind_errors(void) {
  http_server_config cfg = {.addr = "127.0.0.1:0", .workers = 1, .handler = handler};
  http_server *a = NULL, *b = NULL;
  wasm_error err;
  CHECK(http_server_new(&cfg, &a, &err) == WASM_OK);
  if (!a) return;
  char addr[80];
  snprintf(addr, sizeof addr, "%s", http_server_addr(a));
  CHECK(strncmp(addr, "127.0.0.1:", 10) == 0 && atoi(addr + 10) > 0);
  cfg.addr = addr;
  CHECK(http_server_new(&cfg, &b, &err) == WASM_BAD_ARG && b == NULL);
  char want[128];
  snprintf(want, sizeof want, "address %s is already in use", addr);
  CHECKM(strcmp(err.message, want) == 0, "message: %s", err.message);
  http_server_delete(a);
  cfg.addr = "127.0.0.1";
  CHECK(http_server_new(&cfg, &b, &err) == WASM_BAD_ARG && strstr(err.message, "invalid address"));
  cfg.addr = "127.0.0.1:99999";
  CHECK(http_server_new(&cfg, &b, &err) == WASM_BAD_ARG);
  /* other forms */
  cfg.addr = "localhost:0";
  CHECK(http_server_new(&cfg, &b, &err) == WASM_OK);
  http_server_delete(b);
  b = NULL;
  cfg.addr = "[::1]:0";
  if (http_server_new(&cfg, &b, &err) == WASM_OK) { /* when the host has IPv6 */
    CHECK(strncmp(http_server_addr(b), "[::1]:", 6) == 0);
    http_server_delete(b);
  }
}

/* ---- libcurl as the client ---- */

typedef struct sink {
  size_t n;
  bool pattern_ok;
} sink;

static size_t curl_sink(char *p, size_t size, size_t nmemb, void *env) {
  sink *s = env;
  size_t n = size * nmemb;
  for (size_t i = 0; i < n; i++)
    if (p[i] != (char)('a' + ((s->n + i) % 65536) % 26)) s->pattern_ok = false;
  s->n += n;
  return n;
}

static size_t curl_collect(char *p, size_t size, size_t nmemb, void *env) {
  char *out = env;
  size_t have = strlen(out), n = size * nmemb;
  if (have + n < 256) {
    memcpy(out + have, p, n);
    out[have + n] = '\0';
  }
  return n;
}

static void test_curl(running *srv) {
  CURL *h = curl_easy_init();
  CHECK(h != NULL);
  if (!h) return;
  char url[128];
  snprintf(url, sizeof url, "http://%s:%d/stream", srv->host, srv->port);
  sink s = {0, true};
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, curl_sink);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
  CURLcode rc = curl_easy_perform(h);
  long code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  CHECKM(rc == CURLE_OK && code == 200, "curl: %s (%ld)", curl_easy_strerror(rc), code);
  CHECK(s.n == STREAM_BYTES && s.pattern_ok);
  /* a POST with curl's own Expect: 100-continue, on the reused connection */
  char out[256] = "";
  static char body[2 * 1024 * 1024];
  memset(body, 'b', sizeof body);
  snprintf(url, sizeof url, "http://%s:%d/echo", srv->host, srv->port);
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 60000L);
  struct curl_slist *hl = curl_slist_append(NULL, "Expect: 100-continue");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, curl_collect);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, (void *)out);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  rc = curl_easy_perform(h);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  CHECKM(rc == CURLE_OK && code == 200, "curl post: %s (%ld)", curl_easy_strerror(rc), code);
  long conns = -1;
  curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &conns);
  CHECKM(conns == 0, "curl opened %ld new connections", conns); /* reused */
  double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
  CHECKM(ms < 900, "100-continue took %.0f ms (curl waited?)", ms);
  curl_slist_free_all(hl);
  curl_easy_cleanup(h);
}

/* ---- the access log ---- */

static void test_access_log(FILE *log) {
  rewind(log);
  char line[4096];
  int lines = 0, hello = 0, noted = 0, bad = 0, stream = 0, partial = 0;
  while (fgets(line, sizeof line, log)) {
    lines++;
    size_t n = strlen(line);
    CHECKM(n > 0 && line[n - 1] == '\n', "unterminated log line: %s", line);
    char remote[64], method[16], target[256], status[8];
    int minor;
    unsigned long long bytes;
    double ms;
    if (strncmp(line, "127.0.0.1:", 10) != 0) {
      CHECKM(0, "log line: %s", line);
      continue;
    }
    if (sscanf(line, "%63s \"%15s %255s HTTP/1.%d\" %7s %llu %lfms", remote, method, target, &minor,
               status, &bytes, &ms) == 7) {
      if (strcmp(target, "/hello") == 0 && strcmp(method, "GET") == 0 && strcmp(status, "200") == 0)
        hello += bytes == 5;
      if (strcmp(target, "/note") == 0)
        noted += strstr(line, "201 5 ") && strstr(line, "ms a note with a newline\n") != NULL;
      if (strcmp(target, "/stream") == 0 && strcmp(method, "GET") == 0)
        stream += bytes == STREAM_BYTES;
      if (strcmp(target, "/partial") == 0) partial += strstr(line, "response not finished") != NULL;
      const char *dot = strstr(line, "ms");
      CHECK(dot && dot[-4] == '.');
    } else if (strstr(line, "\"-\" 4") || strstr(line, "\"-\" 5")) {
      bad++;
    } else {
      CHECKM(0, "log line: %s", line);
    }
  }
  CHECK(lines > 20);
  CHECKM(hello > 5, "hello lines %d", hello);
  CHECK(noted == 1);
  CHECK(stream >= 2);
  CHECK(partial == 1);
  CHECKM(bad >= 6, "%d error lines", bad);
}

static void *hammer(void *arg) {
  running *srv = arg;
  client *c = connect_to(srv);
  if (!c) return (void *)1;
  response r;
  intptr_t fails = 0;
  for (int i = 0; i < 200; i++) {
    send_str(c, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    if (!read_response(c, &r, false) || r.status != 200) fails++;
    response_free(&r);
  }
  client_close(c);
  return (void *)fails;
}

int main(void) {
  curl_global_init(CURL_GLOBAL_ALL);
  FILE *log = tmpfile();
  http_server_config cfg = {
      .addr = "127.0.0.1:0",
      .workers = 3,
      .max_header_bytes = 8192,
      .max_body_bytes = 100000,
      .idle_timeout_ms = 300,
      .io_timeout_ms = 2000,
      .access_log = log,
      .handler = handler,
  };
  running srv;
  if (!start(&srv, &cfg)) return 1;
  test_keepalive_and_pipelining(&srv);
  test_bodies(&srv);
  test_responses(&srv);
  test_errors(&srv);
  test_curl(&srv);
  /* concurrent clients */
  pthread_t th[6];
  for (int i = 0; i < 6; i++) pthread_create(&th[i], NULL, hammer, &srv);
  intptr_t fails = 0;
  for (int i = 0; i < 6; i++) {
    void *f;
    pthread_join(th[i], &f);
    fails += (intptr_t)f;
  }
  CHECKM(fails == 0, "%ld failed requests", (long)fails);
  CHECK(atomic_load(&handler_worker) >= 1 && atomic_load(&handler_worker) <= 3);
  {
    client *c = connect_to(&srv);
    send_str(c, "GET /note HTTP/1.1\r\nHost: t\r\n\r\n");
    response r;
    CHECK(read_response(c, &r, false) && r.status == 201);
    response_free(&r);
    client_close(c);
  }
  test_idle_timeout(&srv);
  stop(&srv);
  test_access_log(log);
  fclose(log);
  test_stop_in_flight();
  test_io_timeouts();
  test_bind_errors();
  curl_global_cleanup();
  return unit_report();
}
