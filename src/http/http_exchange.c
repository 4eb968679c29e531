/*
 * http_exchange.c: one request/response exchange of the server: the
 * request body (content-length or chunked, read from the worker's input
 * buffer or straight from the socket), the response (status line and
 * headers, then a length-delimited, chunked or close-delimited body
 * gathered in the worker's output buffer), and the access-log line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "http/http_conn.h"

/* ---- output ---- */

static int io_timeout(const http_exchange *x) { return (int)x->w->s->cfg.io_timeout_ms; }

/* Sends the output buffer and then iov[0..n) (may be none). */
static int out_sendv(http_exchange *x, const struct iovec *more, int n) {
  if (x->broken) return -1;
  struct iovec iov[5];
  int k = 0;
  if (x->w->out_len) iov[k++] = (struct iovec){x->w->out, x->w->out_len};
  for (int i = 0; i < n; i++) iov[k++] = more[i];
  x->w->out_len = 0;
  if (http_io_sendv(x->c->fd, iov, k, io_timeout(x)) < 0) {
    x->broken = true;
    return -1;
  }
  return 0;
}

static int out_flush(http_exchange *x) { return x->w->out_len ? out_sendv(x, NULL, 0) : 0; }

/* Appends bytes to the output, sending when the buffer is full. */
static int out_put(http_exchange *x, const void *p, size_t n) {
  http_worker *w = x->w;
  if (w->out_len + n <= HTTP_OUT_CAP) {
    memcpy(w->out + w->out_len, p, n);
    w->out_len += n;
    return 0;
  }
  struct iovec v = {(void *)p, n};
  return out_sendv(x, &v, 1);
}

static int out_str(http_exchange *x, const char *s) { return out_put(x, s, strlen(s)); }

/* ---- notes ---- */

static void note_add(http_exchange *x, const char *fmt, va_list ap) {
  size_t at = x->note_len;
  if (at && at + 2 < HTTP_NOTE_CAP) {
    memcpy(x->note + at, "; ", 2);
    at += 2;
  }
  if (at + 1 >= HTTP_NOTE_CAP) return;
  int n = vsnprintf(x->note + at, HTTP_NOTE_CAP - at, fmt, ap);
  if (n < 0) return;
  size_t end = at + (size_t)n;
  if (end >= HTTP_NOTE_CAP) end = HTTP_NOTE_CAP - 1;
  /* one log line per request, whatever the note says */
  for (size_t i = at; i < end; i++)
    if ((unsigned char)x->note[i] < 0x20 || x->note[i] == 0x7f) x->note[i] = ' ';
  x->note_len = end;
}

void http_exchange_note(http_exchange *x, const char *fmt, ...) {
  if (!x || !fmt) return;
  va_list ap;
  va_start(ap, fmt);
  note_add(x, fmt, ap);
  va_end(ap);
}

/* ---- request body ---- */

void http_exchange_begin(http_exchange *x, size_t head_len) {
  http_worker *w = x->w;
  hp_head *h = &x->head;
  w->in_start = head_len;
  x->body_base = head_len;
  x->parsed = true;
  x->is_head = strcmp(h->method, "HEAD") == 0;
  x->req = (http_request){
      .method = h->method,
      .target = h->target,
      .authority = h->host ? h->host : "",
      .version_minor = h->version_minor,
      .headers = h->headers,
      .nheaders = h->nheaders,
      .remote_addr = x->c->remote,
  };
  x->body_state = h->body == HP_BODY_NONE ? HTTP_BODY_DONE : HTTP_BODY_OPEN;
  x->body_left = h->content_length;
  if (h->body == HP_BODY_CHUNKED) hp_chunked_init(&x->ck, w->tbuf, sizeof w->tbuf);
  x->continue_pending = h->expect_continue;
  x->close = !h->keep_alive;
}

bool http_exchange_input_pending(const http_exchange *x) {
  return x->parsed && x->body_state != HTTP_BODY_DONE;
}

static ssize_t body_fail(http_exchange *x, const char *why) {
  if (x->body_state != HTTP_BODY_FAILED) http_exchange_note(x, "request body: %s", why);
  x->body_state = HTTP_BODY_FAILED;
  x->close = true;
  return HTTP_BODY_ERROR;
}

static ssize_t io_fail(http_exchange *x, ssize_t r) {
  return body_fail(x, r == HTTP_IO_EOF       ? "connection closed early"
                      : r == HTTP_IO_TIMEOUT ? "timed out"
                                             : "read error");
}

/* The 100 Continue owed to a client that waits for it before sending the
 * body; skipped once a final response has started. */
static bool send_continue(http_exchange *x) {
  if (!x->continue_pending) return true;
  x->continue_pending = false;
  if (x->started) return true;
  static const char msg[] = "HTTP/1.1 100 Continue\r\n\r\n";
  struct iovec v = {(void *)msg, sizeof msg - 1};
  if (http_io_sendv(x->c->fd, &v, 1, io_timeout(x)) < 0) {
    x->broken = true;
    return false;
  }
  return true;
}

/* Reads more input after the head into the worker's buffer: > 0, or an
 * HTTP_IO_* code. Only called when every buffered byte was consumed. */
static ssize_t fill(http_exchange *x, bool block) {
  http_worker *w = x->w;
  if (w->in_start == w->in_len) w->in_start = w->in_len = x->body_base;
  if (w->in_len == w->in_cap) return HTTP_IO_ERR; /* callers consume first; defensive */
  ssize_t r = http_io_recv(x->c->fd, w->in + w->in_len, w->in_cap - w->in_len,
                           block ? io_timeout(x) : -1, -1);
  if (r > 0) w->in_len += (size_t)r;
  return r;
}

static ssize_t read_length(http_exchange *x, void *buf, size_t n, bool block) {
  http_worker *w = x->w;
  if (x->body_left == 0) {
    x->body_state = HTTP_BODY_DONE;
    return HTTP_BODY_END;
  }
  size_t want = n < x->body_left ? n : (size_t)x->body_left;
  size_t avail = w->in_len - w->in_start;
  if (!avail) {
    ssize_t r;
    if (want >= 4096) { /* large reads go straight to the caller */
      r = http_io_recv(x->c->fd, buf, want, block ? io_timeout(x) : -1, -1);
      if (r > 0) {
        x->body_left -= (uint64_t)r;
        x->body_total += (uint64_t)r;
        return r;
      }
    } else {
      r = fill(x, block);
    }
    if (r == HTTP_IO_AGAIN) return HTTP_BODY_AGAIN;
    if (r <= 0) return io_fail(x, r);
    avail = w->in_len - w->in_start;
  }
  size_t k = want < avail ? want : avail;
  memcpy(buf, w->in + w->in_start, k);
  w->in_start += k;
  x->body_left -= k;
  x->body_total += k;
  return (ssize_t)k;
}

/* Runs the chunked decoder over the buffered input: > 0 data bytes
 * copied, HTTP_BODY_END, HTTP_BODY_ERROR, or HTTP_BODY_AGAIN when it
 * needs more input. With buf NULL nothing is copied (readiness check):
 * 1 when data is buffered. */
static ssize_t chunked_step(http_exchange *x, void *buf, size_t n) {
  http_worker *w = x->w;
  w->in_start += hp_chunked_scan(&x->ck, w->in + w->in_start, w->in_len - w->in_start);
  switch (x->ck.state) {
  case HP_CK_DATA: {
    size_t avail = w->in_len - w->in_start;
    if (!avail) return HTTP_BODY_AGAIN;
    if (!buf) return 1;
    size_t k = n < avail ? n : avail;
    if (k > x->ck.remaining) k = (size_t)x->ck.remaining;
    if (x->body_total + k > x->w->s->cfg.max_body_bytes)
      return body_fail(x, "over the size limit");
    memcpy(buf, w->in + w->in_start, k);
    w->in_start += k;
    hp_chunked_took(&x->ck, k);
    x->body_total += k;
    return (ssize_t)k;
  }
  case HP_CK_DONE: {
    const char *why = NULL;
    if (hp_fields_parse(w->tbuf, x->ck.tlen, w->trailers, HTTP_MAX_HEADERS, &x->ntrailers,
                        &why) != 0)
      return body_fail(x, why);
    x->body_state = HTTP_BODY_DONE;
    return HTTP_BODY_END;
  }
  case HP_CK_ERROR:
    return body_fail(x, x->ck.error);
  default:
    return HTTP_BODY_AGAIN;
  }
}

static ssize_t read_chunked(http_exchange *x, void *buf, size_t n, bool block) {
  for (;;) {
    ssize_t r = chunked_step(x, buf, n);
    if (r != HTTP_BODY_AGAIN) return r;
    r = fill(x, block);
    if (r == HTTP_IO_AGAIN) return HTTP_BODY_AGAIN;
    if (r <= 0) return io_fail(x, r);
  }
}

ssize_t http_body_read(http_exchange *x, void *buf, size_t n, bool block) {
  if (x->body_state == HTTP_BODY_DONE) return HTTP_BODY_END;
  if (x->body_state == HTTP_BODY_FAILED || x->broken) return HTTP_BODY_ERROR;
  if (n == 0) return HTTP_BODY_AGAIN;
  if (!send_continue(x)) return body_fail(x, "connection lost");
  if (x->head.body == HP_BODY_LENGTH) return read_length(x, buf, n, block);
  return read_chunked(x, buf, n, block);
}

bool http_body_ready(http_exchange *x) {
  if (x->body_state != HTTP_BODY_OPEN || x->broken) return true;
  if (!send_continue(x)) {
    body_fail(x, "connection lost");
    return true;
  }
  for (int round = 0; round < 2; round++) {
    if (x->head.body == HP_BODY_LENGTH) {
      if (x->body_left == 0 || x->w->in_len > x->w->in_start) return true;
    } else if (chunked_step(x, NULL, 0) != HTTP_BODY_AGAIN) {
      return true;
    }
    if (round) break;
    /* Nothing buffered: one non-blocking read, so a caller that polls
     * the socket and asks again makes progress. */
    ssize_t r = fill(x, false);
    if (r == HTTP_IO_AGAIN) return false;
    if (r <= 0) {
      io_fail(x, r);
      return true;
    }
  }
  return false;
}

int http_body_fd(http_exchange *x) {
  if (x->body_state == HTTP_BODY_OPEN && !send_continue(x)) body_fail(x, "connection lost");
  return x->c->fd;
}

const http_header *http_body_trailers(http_exchange *x, size_t *n) {
  *n = x->body_state == HTTP_BODY_DONE ? x->ntrailers : 0;
  return *n ? x->w->trailers : NULL;
}

/* ---- response ---- */

static const char *reason(int status) {
  switch (status) {
  case 100: return "Continue";
  case 101: return "Switching Protocols";
  case 200: return "OK";
  case 201: return "Created";
  case 202: return "Accepted";
  case 203: return "Non-Authoritative Information";
  case 204: return "No Content";
  case 205: return "Reset Content";
  case 206: return "Partial Content";
  case 300: return "Multiple Choices";
  case 301: return "Moved Permanently";
  case 302: return "Found";
  case 303: return "See Other";
  case 304: return "Not Modified";
  case 307: return "Temporary Redirect";
  case 308: return "Permanent Redirect";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 402: return "Payment Required";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 406: return "Not Acceptable";
  case 407: return "Proxy Authentication Required";
  case 408: return "Request Timeout";
  case 409: return "Conflict";
  case 410: return "Gone";
  case 411: return "Length Required";
  case 412: return "Precondition Failed";
  case 413: return "Content Too Large";
  case 414: return "URI Too Long";
  case 415: return "Unsupported Media Type";
  case 416: return "Range Not Satisfiable";
  case 417: return "Expectation Failed";
  case 418: return "I'm a teapot";
  case 421: return "Misdirected Request";
  case 422: return "Unprocessable Content";
  case 425: return "Too Early";
  case 426: return "Upgrade Required";
  case 428: return "Precondition Required";
  case 429: return "Too Many Requests";
  case 431: return "Request Header Fields Too Large";
  case 451: return "Unavailable For Legal Reasons";
  case 500: return "Internal Server Error";
  case 501: return "Not Implemented";
  case 502: return "Bad Gateway";
  case 503: return "Service Unavailable";
  case 504: return "Gateway Timeout";
  case 505: return "HTTP Version Not Supported";
  case 511: return "Network Authentication Required";
  default: break;
  }
  static const char *const cls[] = {"Unknown", "Informational", "Success", "Redirection",
                                    "Client Error", "Server Error"};
  int c = status / 100;
  return c >= 1 && c <= 5 ? cls[c] : cls[0];
}

/* The Date header line, formatted once a second per worker. */
static void put_date(http_exchange *x) {
  http_worker *w = x->w;
  time_t now = time(NULL);
  if (now != w->date_sec || !w->date_len) {
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    gmtime_r(&now, &tm);
    int n = snprintf(w->date, sizeof w->date, "Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n",
                     days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
                     tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    w->date_len = n > 0 && (size_t)n < sizeof w->date ? (size_t)n : 0;
    w->date_sec = now;
  }
  out_put(x, w->date, w->date_len);
}

/* Connection-specific headers the server manages itself. */
static bool hop_by_hop(const http_header *h) {
  if (h->name_len >= 6 && strncasecmp(h->name, "proxy-", 6) == 0) return true;
  return hp_name_is(h, "connection") || hp_name_is(h, "keep-alive") ||
         hp_name_is(h, "transfer-encoding") || hp_name_is(h, "upgrade") ||
         hp_name_is(h, "te") || hp_name_is(h, "trailer");
}

/* A header that can be sent as is: a token name, a value without CR, LF
 * or NUL (no response splitting). */
static bool header_ok(const http_header *h) {
  if (!h->name || !hp_is_token(h->name, h->name_len)) return false;
  if (h->value_len && !h->value) return false;
  for (size_t i = 0; i < h->value_len; i++) {
    unsigned char c = (unsigned char)h->value[i];
    if (c == '\r' || c == '\n' || c == 0) return false;
  }
  return true;
}

static void put_header(http_exchange *x, const http_header *h) {
  out_put(x, h->name, h->name_len);
  out_put(x, ": ", 2);
  out_put(x, h->value, h->value_len);
  out_put(x, "\r\n", 2);
}

int http_response_start(http_exchange *x, int status, const http_header *h, size_t n) {
  if (!x || x->started || x->broken || status < 200 || status > 999) return -1;
  x->started = true;
  x->status = status;
  bool no_body = status == 204 || status == 304 || x->is_head;
  bool has_length = false, has_date = false;
  char line[64];
  int ll = snprintf(line, sizeof line, "HTTP/1.1 %d %s\r\n", status, reason(status));
  out_put(x, line, (size_t)ll);
  for (size_t i = 0; i < n; i++) {
    const http_header *f = &h[i];
    if (!header_ok(f)) {
      http_exchange_note(x, "invalid response header dropped");
      continue;
    }
    if (hop_by_hop(f)) continue;
    if (hp_name_is(f, "content-length")) {
      uint64_t v;
      if (status == 204 || !hp_parse_length(f->value, f->value_len, &v) ||
          (has_length && v != x->resp_length)) {
        if (status != 204) http_exchange_note(x, "invalid Content-Length dropped");
        continue;
      }
      if (has_length) continue;
      has_length = true;
      x->resp_length = v;
      char cl[48];
      int k = snprintf(cl, sizeof cl, "Content-Length: %llu\r\n", (unsigned long long)v);
      out_put(x, cl, (size_t)k);
      continue;
    }
    if (hp_name_is(f, "date")) has_date = true;
    put_header(x, f);
  }
  if (!has_date) put_date(x);
  if (no_body) {
    x->resp_mode = HTTP_RESP_NONE;
  } else if (has_length) {
    x->resp_mode = HTTP_RESP_LENGTH;
  } else if (x->head.version_minor >= 1) {
    x->resp_mode = HTTP_RESP_CHUNKED;
    out_str(x, "Transfer-Encoding: chunked\r\n");
  } else {
    x->resp_mode = HTTP_RESP_CLOSE;
    x->close = true;
  }
  /* Decide now whether the connection survives, so the client is told:
   * not when stopping, nor when too much of the body is left unread. */
  if (atomic_load(&x->w->s->stopping)) x->close = true;
  if (x->body_state == HTTP_BODY_OPEN &&
      (x->continue_pending ||
       (x->head.body == HP_BODY_LENGTH && x->body_left > HTTP_DRAIN_MAX)))
    x->close = true;
  if (x->close)
    out_str(x, "Connection: close\r\n");
  else if (x->head.version_minor == 0)
    out_str(x, "Connection: keep-alive\r\n");
  out_put(x, "\r\n", 2);
  return x->broken ? -1 : 0;
}

int http_response_write(http_exchange *x, const void *buf, size_t n) {
  if (!x || !x->started || x->finished || x->broken) return -1;
  if (n == 0) return 0;
  switch (x->resp_mode) {
  case HTTP_RESP_NONE:
    return 0; /* HEAD, 204, 304: the body is not sent */
  case HTTP_RESP_LENGTH:
    if (n > x->resp_length - x->resp_sent) {
      /* nothing is written: the response can still end well */
      http_exchange_note(x, "response body longer than its Content-Length");
      return -1;
    }
    break;
  case HTTP_RESP_CHUNKED: {
    char size[24];
    int k = snprintf(size, sizeof size, "%zx\r\n", n);
    http_worker *w = x->w;
    if (w->out_len + (size_t)k + n + 2 <= HTTP_OUT_CAP) {
      memcpy(w->out + w->out_len, size, (size_t)k);
      memcpy(w->out + w->out_len + k, buf, n);
      memcpy(w->out + w->out_len + k + n, "\r\n", 2);
      w->out_len += (size_t)k + n + 2;
    } else {
      struct iovec v[3] = {{size, (size_t)k}, {(void *)buf, n}, {"\r\n", 2}};
      if (out_sendv(x, v, 3) < 0) return -1;
    }
    x->resp_sent += n;
    return 0;
  }
  default:
    break;
  }
  if (out_put(x, buf, n) < 0) return -1;
  x->resp_sent += n;
  return 0;
}

int http_response_flush(http_exchange *x) {
  if (!x || !x->started || x->broken) return -1;
  return out_flush(x);
}

int http_response_finish(http_exchange *x, const http_header *trailers, size_t n) {
  if (!x || !x->started || x->finished || x->broken) return -1;
  x->finished = true;
  if (x->resp_mode == HTTP_RESP_CHUNKED) {
    out_put(x, "0\r\n", 3);
    for (size_t i = 0; i < n; i++) {
      const http_header *f = &trailers[i];
      if (!header_ok(f)) {
        http_exchange_note(x, "invalid response trailer dropped");
        continue;
      }
      /* framing and routing do not belong in trailers (RFC 9110 6.5.1) */
      if (hop_by_hop(f) || hp_name_is(f, "content-length") || hp_name_is(f, "host"))
        continue;
      put_header(x, f);
    }
    out_put(x, "\r\n", 2);
  } else if (x->resp_mode == HTTP_RESP_LENGTH && x->resp_sent < x->resp_length) {
    http_exchange_note(x, "response body shorter than its Content-Length");
    x->close = true;
  }
  return out_flush(x);
}

bool http_response_started(const http_exchange *x) { return x && x->started; }

int http_response_simple(http_exchange *x, int status, const char *body) {
  if (!body) body = "";
  size_t len = strlen(body);
  char cl[24];
  snprintf(cl, sizeof cl, "%zu", len);
  http_header h[2] = {
      {"Content-Type", 12, "text/plain; charset=utf-8", 25},
      {"Content-Length", 14, cl, strlen(cl)},
  };
  if (http_response_start(x, status, h, 2) < 0) return -1;
  if (http_response_write(x, body, len) < 0) return -1;
  return http_response_finish(x, NULL, 0);
}

/* ---- the end of an exchange ---- */

void http_exchange_fail(http_exchange *x, int status, const char *why) {
  x->close = true;
  x->continue_pending = false;
  char body[160];
  snprintf(body, sizeof body, "%s: %s\n", reason(status), why ? why : "");
  http_exchange_note(x, "%s", why ? why : reason(status));
  http_response_simple(x, status, body);
}

void http_exchange_end(http_exchange *x) {
  if (!x->started) {
    if (!x->broken) {
      http_exchange_note(x, "no response from the handler");
      http_response_simple(x, 500, "Internal Server Error\n");
    }
  } else if (!x->finished) {
    /* The client must see the body end early: send what there is and
     * close. */
    http_exchange_note(x, "response not finished");
    out_flush(x);
    x->close = true;
  }
  if (x->body_state == HTTP_BODY_OPEN && !x->close && !x->broken) {
    /* A small rest of the body is cheaper to read than a new
     * connection. */
    char scratch[4096];
    uint64_t drained = 0;
    for (;;) {
      ssize_t r = http_body_read(x, scratch, sizeof scratch, true);
      if (r <= 0) break;
      drained += (uint64_t)r;
      if (drained > HTTP_DRAIN_MAX) {
        x->close = true;
        break;
      }
    }
  }
  if (x->body_state != HTTP_BODY_DONE) x->close = true;
}

void http_exchange_log(http_exchange *x) {
  FILE *f = x->w->s->cfg.access_log;
  if (!f) return;
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double ms = (double)(t1.tv_sec - x->t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - x->t0.tv_nsec) / 1e6;
  flockfile(f);
  if (x->parsed)
    fprintf(f, "%s \"%s %s HTTP/1.%d\" %d %llu %.3fms%s%s\n", x->c->remote, x->req.method,
            x->req.target, x->req.version_minor, x->status,
            (unsigned long long)x->resp_sent, ms, x->note_len ? " " : "", x->note);
  else
    fprintf(f, "%s \"-\" %d %llu %.3fms%s%s\n", x->c->remote, x->status,
            (unsigned long long)x->resp_sent, ms, x->note_len ? " " : "", x->note);
  fflush(f);
  funlockfile(f);
}
