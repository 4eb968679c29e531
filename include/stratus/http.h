/*
 * stratus/http.h: layer 4, HTTP. Two parts:
 *
 *   1. An HTTP/1.1 server (src/http/http_server.c, http_parse.c):
 *      keep-alive, pipelining, chunked and content-length bodies both ways,
 *      request size limits, a pool of worker threads. Idle connections wait
 *      in one epoll loop; a connection with a request is handed to a
 *      worker, which runs the handler for it with blocking, time-limited
 *      I/O, so request and response bodies stream.
 *   2. wasi:http 0.2 for components (src/http/http_wasi*.c): the
 *      wasi:http/types and wasi:http/outgoing-handler host interfaces, and
 *      http_wasi_handle(), which runs one server request through a
 *      component's wasi:http/incoming-handler export.
 *
 * Usage (what `stratus serve` does):
 *   http_server_config cfg = {.addr = "127.0.0.1:8000", .handler = fn};
 *   http_server_new(&cfg, &srv, &err);   // binds; a taken address fails here
 *   http_server_run(srv, &err);          // until http_server_stop()
 * and per worker thread one wasi2_ctx + http_wasi + cm_linker, reused
 * request after request (http_wasi_reset between them).
 */
#ifndef STRATUS_HTTP_H
#define STRATUS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "stratus/component.h"
#include "stratus/wasi.h"
#include "stratus/wasm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the server ---- */

typedef struct http_header {
  const char *name; /* as received (case kept); compare case-insensitively */
  size_t name_len;
  const char *value; /* leading and trailing whitespace removed */
  size_t value_len;
} http_header;

typedef struct http_request {
  const char *method;      /* NUL-terminated: "GET", "POST", ... */
  const char *target;      /* request-target as sent: "/path?query" */
  const char *authority;   /* the Host header's value, or "" */
  int version_minor;       /* HTTP/1.<version_minor>: 0 or 1 */
  const http_header *headers; /* in order received; valid during the handler */
  size_t nheaders;
  const char *remote_addr; /* "127.0.0.1:50312" */
} http_request;

/* One request/response exchange on a connection, valid during the
 * handler call only. */
typedef struct http_exchange http_exchange;

/* The handler runs on worker thread `worker` (0 .. workers-1) for each
 * request. It answers through x. When it returns without having started a
 * response the server sends 500; when it started one but did not finish
 * it, the connection is closed (so the client sees an incomplete body).
 * Whatever request body it did not read is discarded (or the connection
 * closed when that is cheaper). */
typedef void (*http_handler_fn)(void *env, unsigned worker, http_exchange *x,
                                const http_request *req);

typedef struct http_server_config {
  const char *addr;          /* "127.0.0.1:8000", "[::1]:8000"; port 0 picks one */
  unsigned workers;          /* worker threads; 0: one per core */
  size_t max_header_bytes;   /* request line + headers; 0: 64 KiB; over: 431 */
  uint64_t max_body_bytes;   /* request body; 0: 1 GiB; over: 413 (or the read fails) */
  uint32_t idle_timeout_ms;  /* keep-alive connection without a request; 0: 60 s */
  uint32_t io_timeout_ms;    /* a stalled read or write within an exchange; 0: 30 s */
  FILE *access_log;          /* one line per request, or NULL */
  http_handler_fn handler;
  void *env;
} http_server_config;

typedef struct http_server http_server;

/* Creates the server and binds its listening socket (WASM_BAD_ARG with
 * e.g. "address 127.0.0.1:8000 is already in use" on failure). */
wasm_status http_server_new(const http_server_config *cfg, http_server **out,
                            wasm_error *err);
/* The bound address, "127.0.0.1:41873" (the real port when 0 was asked). */
const char *http_server_addr(const http_server *s);
/* Serves until http_server_stop; then stops accepting, lets in-flight
 * exchanges finish, closes idle connections and returns WASM_OK. */
wasm_status http_server_run(http_server *s, wasm_error *err);
/* Asks a running server to stop gracefully. Async-signal-safe. */
void http_server_stop(http_server *s);
void http_server_delete(http_server *s);

/* Request body. Reads up to n bytes into buf. Returns the count (> 0);
 * HTTP_BODY_AGAIN when !block and nothing is buffered; HTTP_BODY_END at
 * the end of the body; HTTP_BODY_ERROR when the body cannot be read (peer
 * gone, bad chunk encoding, over max_body_bytes, timed out). A request
 * without a body is at its end at once. */
enum { HTTP_BODY_AGAIN = 0, HTTP_BODY_END = -1, HTTP_BODY_ERROR = -2 };
ssize_t http_body_read(http_exchange *x, void *buf, size_t n, bool block);
/* True when http_body_read would not block (data buffered, end or error);
 * otherwise http_body_fd is the socket to poll for input. */
bool http_body_ready(http_exchange *x);
int http_body_fd(http_exchange *x);
/* The request trailers (chunked bodies), once HTTP_BODY_END was read. */
const http_header *http_body_trailers(http_exchange *x, size_t *n);

/* Response. Starts it: status line and headers. A valid Content-Length
 * among the headers makes the body length-delimited (writing more fails;
 * finishing with less closes the connection); otherwise the body is
 * chunked (HTTP/1.1) or ends with the connection (HTTP/1.0). Hop-by-hop
 * headers (connection, keep-alive, transfer-encoding, upgrade, te,
 * trailer, proxy-*) are dropped; Date is added when absent. Each returns
 * 0, or -1 when the peer is gone or the call is out of order. */
int http_response_start(http_exchange *x, int status, const http_header *h, size_t n);
int http_response_write(http_exchange *x, const void *buf, size_t n);
/* Ends the body; trailers are sent with a chunked body, else dropped. */
int http_response_finish(http_exchange *x, const http_header *trailers, size_t n);
bool http_response_started(const http_exchange *x);
/* Sends what the server has buffered of the response now (small writes
 * are gathered, up to 16 KiB, until full or finished): for a body that
 * streams slowly. 0, or -1 as above. */
int http_response_flush(http_exchange *x);
/* A whole response with a text body (Content-Type text/plain). */
int http_response_simple(http_exchange *x, int status, const char *body);
/* A note appended to this request's access-log line (e.g. the trap). */
void http_exchange_note(http_exchange *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- wasi:http 0.2 for components ---- */

typedef struct http_wasi_config {
  /* Hosts outgoing requests may reach: "example.com", "*.example.com"
   * (any subdomain), optionally with ":port". Empty: every outgoing
   * request fails with error-code HTTP-request-denied. */
  const char *const *allowed_hosts;
  size_t nallowed;
  /* Defaults when the guest's request-options set none; 0: 10 s, 30 s, 30 s. */
  uint32_t connect_timeout_ms, first_byte_timeout_ms, between_bytes_timeout_ms;
} http_wasi_config;

/* The wasi:http state of one linker, used by one thread: the request,
 * response and body objects of the current exchange, and the outgoing
 * connection pool (kept across requests). Its streams and pollables live
 * in the wasi2_ctx it is made with. */
typedef struct http_wasi http_wasi;

wasm_status http_wasi_new(const http_wasi_config *cfg, wasi2_ctx *w, http_wasi **out,
                          wasm_error *err);
void http_wasi_delete(http_wasi *h);
/* Defines wasi:http/types and wasi:http/outgoing-handler (0.2.x) on l,
 * the linker w was linked into. */
wasm_status http_wasi_link(http_wasi *h, cm_linker *l, wasm_error *err);
/* Calls inst's wasi:http/incoming-handler#handle for req and streams the
 * response the guest sets to x. WASM_OK when the guest returned (even
 * without setting a response: then 500 is sent); a trap (e.g. the epoch
 * deadline) is returned in err, the response left to the caller when it
 * was not started. */
wasm_status http_wasi_handle(http_wasi *h, cm_instance *inst, http_exchange *x,
                             const http_request *req, wasm_error *err);
/* Frees every object of the last exchange (also those in the wasi2_ctx),
 * so the next request starts clean. */
void http_wasi_reset(http_wasi *h);

#ifdef __cplusplus
}
#endif
#endif
