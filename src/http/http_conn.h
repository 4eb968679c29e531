/*
 * http_conn.h: what the server's two halves share (internal to
 * src/http/): http_server.c has the listener, the epoll thread, the
 * workers and the socket I/O; http_exchange.c has one request/response
 * exchange: the request body, the response and the access log.
 */
#ifndef STRATUS_HTTP_CONN_H
#define STRATUS_HTTP_CONN_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/uio.h>
#include <time.h>

#include "http/http_parse.h"
#include "stratus/http.h"

#define HTTP_MAX_HEADERS 100          /* request headers or trailers; more: 431 */
#define HTTP_BODY_SLACK (16 * 1024)   /* input space after the head for the body */
#define HTTP_OUT_CAP (16 * 1024)      /* the output buffer */
#define HTTP_TRAILER_CAP (16 * 1024)  /* the raw trailer section of a chunked body */
#define HTTP_DRAIN_MAX (64 * 1024)    /* unread body discarded to keep a connection */
#define HTTP_NOTE_CAP 512

/* One accepted connection. Between requests it owns no buffers: those
 * belong to the worker serving it. */
typedef struct http_conn {
  int fd;
  struct http_conn *prev, *next; /* idle list, or next in the work queue */
  uint64_t expires_ms;           /* when idle: closed at this time */
  char remote[64];               /* "127.0.0.1:50312" */
} http_conn;

typedef struct http_worker http_worker;

enum { HTTP_BODY_OPEN = 0, HTTP_BODY_DONE, HTTP_BODY_FAILED };
enum { HTTP_RESP_NONE = 0, HTTP_RESP_LENGTH, HTTP_RESP_CHUNKED, HTTP_RESP_CLOSE };

struct http_exchange {
  http_worker *w;
  http_conn *c;
  hp_head head;
  http_request req;
  bool parsed;     /* head parsed: method and target are known */
  bool is_head;    /* a HEAD request */
  size_t body_base; /* input offset where body bytes may be kept */
  /* request body */
  int body_state;      /* HTTP_BODY_* */
  uint64_t body_left;  /* content-length body: bytes not read yet */
  uint64_t body_total; /* bytes of body delivered */
  hp_chunked ck;
  size_t ntrailers;
  bool continue_pending; /* 100 Continue owed before the first body read */
  /* response */
  int status;
  bool started, finished;
  int resp_mode; /* HTTP_RESP_* */
  uint64_t resp_length, resp_sent;
  bool close;  /* close the connection after this exchange */
  bool broken; /* an I/O error: the connection is unusable */
  struct timespec t0;
  char note[HTTP_NOTE_CAP];
  size_t note_len;
};

struct http_worker {
  http_server *s;
  unsigned index;
  pthread_t thread;
  bool running;
  char *in; /* request heads and buffered body bytes */
  size_t in_cap, in_start, in_len;
  char *out; /* buffered response bytes */
  size_t out_len;
  http_header headers[HTTP_MAX_HEADERS];
  http_header trailers[HTTP_MAX_HEADERS];
  char tbuf[HTTP_TRAILER_CAP];
  time_t date_sec; /* the cached Date header line */
  char date[64];
  size_t date_len;
  http_exchange x; /* reused request after request */
};

struct http_server {
  http_server_config cfg; /* with the defaults filled in */
  char addr[80];
  int lfd, efd, ep; /* listener, stop eventfd, epoll */
  pthread_mutex_t lock; /* the idle list and the work queue */
  pthread_cond_t cond;
  http_conn *idle_head, *idle_tail; /* oldest first: expiry order */
  http_conn *q_head, *q_tail;
  atomic_int stopping;
  bool ran;
  http_worker *workers;
  unsigned nworkers;
};

/* ---- I/O (http_server.c) ---- */

enum { HTTP_IO_EOF = 0, HTTP_IO_ERR = -1, HTTP_IO_TIMEOUT = -2, HTTP_IO_STOP = -3,
       HTTP_IO_AGAIN = -4 };
/* recv, then (timeout_ms >= 0) poll for input and retry: > 0 bytes, or
 * an HTTP_IO_* code. stop_fd >= 0 is watched too (HTTP_IO_STOP). */
ssize_t http_io_recv(int fd, void *buf, size_t n, int timeout_ms, int stop_fd);
/* Sends all of iov (modified), waiting at most timeout_ms per stall;
 * 0 or -1. */
int http_io_sendv(int fd, struct iovec *iov, int iovcnt, int timeout_ms);
uint64_t http_now_ms(void);

/* ---- one exchange (http_exchange.c) ---- */

/* Prepares w->x for the head just parsed (head_len bytes of input). */
void http_exchange_begin(http_exchange *x, size_t head_len);
/* After the handler: sends 500 if it did not respond, flushes, drains or
 * gives up the rest of the body, decides x->close. */
void http_exchange_end(http_exchange *x);
/* A whole error response (status, reason) to a request that did not get
 * to the handler; the connection will be closed. */
void http_exchange_fail(http_exchange *x, int status, const char *reason);
/* The access-log line of the exchange, when there is a log. */
void http_exchange_log(http_exchange *x);
/* True when request input may still be unread on the socket. */
bool http_exchange_input_pending(const http_exchange *x);

#endif
