/* http_wasi_out.c: wasi:http/outgoing-handler over libcurl, and
 * future-incoming-response.
 *
 * One CURLM multi handle per http_wasi, kept across requests (its
 * connection cache is the pool), driven with the socket API: curl tells
 * which sockets to watch (socket callback) and when to act on a timeout
 * (timer callback); hw_drive dispatches what is ready without waiting,
 * and the pollables and blocking reads wait on those sockets. Requests
 * go only to hosts of the allow-list (else HTTP-request-denied at once);
 * a request body is buffered until outgoing-body.finish, then the
 * transfer starts; the response body streams: curl's write callback
 * pauses the transfer while the guest has a buffer's worth unread. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http/http_wasi_internal.h"

#define HW_MAX_RESP_HEADER_BYTES (256u << 10)
#define HW_WAIT_FDS 64

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- curl's sockets and timer ---- */

static int sock_cb(CURL *e, curl_socket_t s, int what, void *userp, void *socketp) {
  http_wasi *h = userp;
  size_t i = 0;
  while (i < h->nsocks && h->socks[i].fd != s) i++;
  if (what == CURL_POLL_REMOVE) {
    if (i < h->nsocks) h->socks[i] = h->socks[--h->nsocks];
    return 0;
  }
  if (i == h->nsocks) {
    if (h->nsocks >= h->capsocks) {
      size_t cap = h->capsocks ? h->capsocks * 2 : 8;
      struct pollfd *v = realloc(h->socks, cap * sizeof *v);
      if (!v) return -1;
      h->socks = v;
      h->capsocks = cap;
    }
    h->nsocks++;
  }
  h->socks[i] = (struct pollfd){
      .fd = s,
      .events = (short)((what & CURL_POLL_IN ? POLLIN : 0) | (what & CURL_POLL_OUT ? POLLOUT : 0)),
  };
  return 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp) {
  http_wasi *h = userp;
  if (timeout_ms < 0) h->timer_ns = 0;
  else h->timer_ns = now_ns() + (uint64_t)timeout_ms * 1000000u + 1; /* never 0 */
  return 0;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void curl_init(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

wasm_status hw_out_init(http_wasi *h, wasm_error *err) {
  pthread_once(&curl_once, curl_init);
  if (curl_init_rc != CURLE_OK)
    return hw_fail(err, WASM_BAD_ARG, "libcurl: %s", curl_easy_strerror(curl_init_rc));
  h->multi = curl_multi_init();
  if (!h->multi) return hw_fail(err, WASM_NOMEM, "libcurl: cannot make a multi handle");
  curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
  curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
  curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
  curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
  return WASM_OK;
}

/* ---- transfers ---- */

void hw_xfer_ref(hw_xfer *x) { x->refs++; }

static void xfer_destroy(hw_xfer *x) {
  http_wasi *h = x->h;
  if (x->easy) {
    if (x->in_multi) curl_multi_remove_handle(h->multi, x->easy);
    curl_easy_cleanup(x->easy);
  }
  curl_slist_free_all(x->hdrs);
  hw_map_unref(x->building);
  hw_map_unref(x->trailers);
  hw_err_clear(&x->err);
  free(x->rbuf);
  free(x->body);
  if (x->prev) x->prev->next = x->next;
  else h->xfers = x->next;
  if (x->next) x->next->prev = x->prev;
  free(x);
}

void hw_xfer_unref(hw_xfer *x) {
  if (x && --x->refs <= 0) xfer_destroy(x);
}

void hw_xfer_fail(hw_xfer *x, uint8_t code, const char *msg) {
  if (x->done) return;
  if (x->in_multi) {
    curl_multi_remove_handle(x->h->multi, x->easy);
    x->in_multi = false;
  }
  x->done = x->failed = true;
  hw_err_clear(&x->err);
  x->err = hw_err_make(code, msg);
}

void hw_out_reset(http_wasi *h) {
  for (hw_msg *m = h->msgs; m; m = m->next) m->xfer = NULL;
  while (h->xfers) xfer_destroy(h->xfers);
  h->timer_ns = 0;
}

void hw_out_delete(http_wasi *h) {
  hw_out_reset(h);
  if (h->multi) curl_multi_cleanup(h->multi);
  h->multi = NULL;
  free(h->socks);
  h->socks = NULL;
  h->nsocks = h->capsocks = 0;
}

/* The error-code of a failed transfer. */
static hw_err map_error(hw_xfer *x, CURLcode rc) {
  const char *msg = x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);
  long oserr = 0;
  curl_off_t connected = 0;
  switch (rc) {
  case CURLE_COULDNT_RESOLVE_HOST:
    return hw_err_make(HE_DNS_ERROR, msg);
  case CURLE_COULDNT_CONNECT:
    curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &oserr);
    if (oserr == ETIMEDOUT) return hw_err_make(HE_CONN_TIMEOUT, NULL);
    if (oserr == EHOSTUNREACH) return hw_err_make(HE_DEST_UNAVAILABLE, NULL);
    if (oserr == ENETUNREACH) return hw_err_make(HE_DEST_IP_UNROUTABLE, NULL);
    return hw_err_make(HE_CONN_REFUSED, NULL);
  case CURLE_OPERATION_TIMEDOUT:
    curl_easy_getinfo(x->easy, CURLINFO_CONNECT_TIME_T, &connected);
    return hw_err_make(connected > 0 ? HE_CONN_READ_TIMEOUT : HE_CONN_TIMEOUT, NULL);
  case CURLE_SSL_CONNECT_ERROR: case CURLE_SSL_ENGINE_NOTFOUND: case CURLE_SSL_ENGINE_SETFAILED:
  case CURLE_SSL_CIPHER: case CURLE_USE_SSL_FAILED: case CURLE_SSL_SHUTDOWN_FAILED:
    return hw_err_make(HE_TLS_PROTOCOL, NULL);
  case CURLE_PEER_FAILED_VERIFICATION: case CURLE_SSL_CACERT_BADFILE: case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_ISSUER_ERROR: case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_INVALIDCERTSTATUS: case CURLE_SSL_CRL_BADFILE:
    return hw_err_make(HE_TLS_CERT, NULL);
  case CURLE_PARTIAL_FILE: case CURLE_GOT_NOTHING:
    return hw_err_make(HE_RESP_INCOMPLETE, NULL);
  case CURLE_RECV_ERROR:
    return hw_err_make(x->head_done ? HE_RESP_INCOMPLETE : HE_CONN_TERMINATED, NULL);
  case CURLE_SEND_ERROR:
    return hw_err_make(HE_CONN_TERMINATED, NULL);
  case CURLE_WEIRD_SERVER_REPLY: case CURLE_HTTP2: case CURLE_HTTP2_STREAM:
  case CURLE_UNSUPPORTED_PROTOCOL: case CURLE_HTTP3:
    return hw_err_make(HE_PROTOCOL_ERROR, NULL);
  case CURLE_URL_MALFORMAT:
    return hw_err_make(HE_REQ_URI_INVALID, NULL);
  case CURLE_TOO_MANY_REDIRECTS:
    return hw_err_make(HE_LOOP_DETECTED, NULL);
  case CURLE_BAD_CONTENT_ENCODING:
    return hw_err_make(HE_RESP_CONTENT_CODING, NULL);
  case CURLE_FILESIZE_EXCEEDED:
    return hw_err_make(HE_RESP_BODY_SIZE, NULL);
  default:
    return hw_err_make(HE_INTERNAL, msg);
  }
}

/* Transfers curl finished. */
static void collect_done(http_wasi *h) {
  CURLMsg *msg;
  int left;
  while ((msg = curl_multi_info_read(h->multi, &left))) {
    if (msg->msg != CURLMSG_DONE) continue;
    hw_xfer *x = NULL;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
    CURLcode rc = msg->data.result;
    if (!x) continue;
    curl_multi_remove_handle(h->multi, x->easy);
    x->in_multi = false;
    if (x->done) continue;
    x->done = true;
    if (rc != CURLE_OK) {
      x->failed = true;
      if (!x->err_set) x->err = map_error(x, rc); /* (a callback may have set it) */
    } else if (!x->head_done) {
      x->failed = true;
      x->err = hw_err_make(HE_RESP_INCOMPLETE, NULL);
    }
  }
}

/* When x's first-byte or between-bytes timeout expires (0: none now). */
static uint64_t xfer_deadline(hw_xfer *x) {
  if (!x->in_multi || x->done) return 0;
  if (!x->head_done) {
    curl_off_t pre = 0; /* microseconds until the request could go out */
    curl_easy_getinfo(x->easy, CURLINFO_PRETRANSFER_TIME_T, &pre);
    return pre > 0 ? x->start_ns + (uint64_t)pre * 1000u + x->timeout_ns[1] : 0;
  }
  if (x->paused || x->discard) return 0;
  return x->last_ns + x->timeout_ns[2];
}

static void check_timeouts(http_wasi *h) {
  uint64_t now = now_ns();
  for (hw_xfer *x = h->xfers; x; x = x->next) {
    uint64_t d = xfer_deadline(x);
    if (d && now >= d)
      hw_xfer_fail(x, HE_CONN_READ_TIMEOUT, NULL);
  }
}

/* Milliseconds until curl's timer or a transfer deadline (-1: none). */
static int next_timeout(http_wasi *h) {
  uint64_t now = now_ns(), soonest = h->timer_ns;
  for (hw_xfer *x = h->xfers; x; x = x->next) {
    uint64_t d = xfer_deadline(x);
    if (d && (!soonest || d < soonest)) soonest = d;
  }
  if (!soonest) return -1;
  if (soonest <= now) return 0;
  uint64_t ms = (soonest - now + 999999) / 1000000;
  return ms > 60000 ? 60000 : (int)ms;
}

void hw_drive(http_wasi *h) {
  int running;
  struct pollfd local[HW_WAIT_FDS];
  /* a copy: the socket callback edits h->socks during socket_action */
  size_t n = h->nsocks;
  struct pollfd *pf = n <= HW_WAIT_FDS ? local : malloc(n * sizeof *pf);
  if (!pf) {
    pf = local;
    n = HW_WAIT_FDS;
  }
  if (n) {
    memcpy(pf, h->socks, n * sizeof *pf);
    for (size_t i = 0; i < n; i++) pf[i].revents = 0;
    if (poll(pf, n, 0) > 0)
      for (size_t i = 0; i < n; i++) {
        if (!pf[i].revents) continue;
        int ev = (pf[i].revents & (POLLIN | POLLHUP) ? CURL_CSELECT_IN : 0) |
                 (pf[i].revents & POLLOUT ? CURL_CSELECT_OUT : 0) |
                 (pf[i].revents & (POLLERR | POLLNVAL) ? CURL_CSELECT_ERR : 0);
        curl_multi_socket_action(h->multi, pf[i].fd, ev, &running);
      }
  }
  if (pf != local) free(pf);
  if (h->timer_ns && now_ns() >= h->timer_ns) {
    h->timer_ns = 0;
    curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  }
  collect_done(h);
  check_timeouts(h);
}

void hw_wait(http_wasi *h, int timeout_ms) {
  struct pollfd pf[HW_WAIT_FDS];
  size_t n = h->nsocks < HW_WAIT_FDS ? h->nsocks : HW_WAIT_FDS;
  memcpy(pf, h->socks, n * sizeof *pf);
  for (size_t i = 0; i < n; i++) pf[i].revents = 0;
  int t = next_timeout(h);
  if (timeout_ms >= 0 && (t < 0 || timeout_ms < t)) t = timeout_ms;
  if (t < 0 || t > 1000) t = 1000; /* re-check: nothing may be in flight yet */
  poll(pf, n, t);
  hw_drive(h);
}

int hw_wait_fds(http_wasi *h, struct pollfd *pfd, int max, int *timeout_ms) {
  size_t n = h->nsocks < (size_t)max ? h->nsocks : (size_t)max;
  memcpy(pfd, h->socks, n * sizeof *pfd);
  int t = next_timeout(h);
  if (n < h->nsocks && (t < 0 || t > 10)) t = 10;
  *timeout_ms = t;
  return (int)n;
}

/* ---- curl's callbacks ---- */

static void unpause(hw_xfer *x) {
  if (x->paused && x->easy && (x->discard || x->rlen - x->roff < HW_RESP_BUFFER / 2)) {
    x->paused = false;
    x->last_ns = now_ns();
    curl_easy_pause(x->easy, CURLPAUSE_CONT);
  }
}

static void add_field(hw_fieldmap **map, const char *line, size_t len) {
  const char *colon = memchr(line, ':', len);
  if (!colon) return;
  size_t nl = (size_t)(colon - line);
  const char *v = colon + 1, *end = line + len;
  while (v < end && (*v == ' ' || *v == '\t')) v++;
  while (end > v && (end[-1] == ' ' || end[-1] == '\t')) end--;
  if (!hw_is_token(line, nl)) return;
  if (!*map && !(*map = hw_map_new())) return;
  hw_map_add(*map, line, nl, (const uint8_t *)v, (size_t)(end - v));
}

static size_t header_cb(char *b, size_t size, size_t nitems, void *ud) {
  hw_xfer *x = ud;
  size_t n = size * nitems, len = n;
  x->header_bytes += n;
  if (x->header_bytes > HW_MAX_RESP_HEADER_BYTES) {
    hw_err_clear(&x->err);
    x->err = hw_err_make(x->head_done ? HE_RESP_TRAILER_SECTION_SIZE : HE_RESP_HEADER_SECTION_SIZE,
                         NULL);
    x->err_set = true;
    return 0; /* curl fails the transfer */
  }
  while (len && (b[len - 1] == '\n' || b[len - 1] == '\r')) len--;
  if (x->head_done) { /* trailers, after the body */
    if (len) add_field(&x->trailers, b, len);
    return n;
  }
  if (len >= 5 && memcmp(b, "HTTP/", 5) == 0) { /* a (new) status line */
    const char *sp = memchr(b, ' ', len);
    x->status = 0;
    for (const char *p = sp ? sp + 1 : b + len; p < b + len && *p >= '0' && *p <= '9'; p++)
      x->status = x->status * 10 + (*p - '0');
    hw_map_unref(x->building);
    x->building = NULL;
    return n;
  }
  if (len == 0) { /* the end of a header block: a final one, or 1xx */
    if (x->status >= 200) {
      x->head_done = true;
      x->last_ns = now_ns();
      if (!x->building) x->building = hw_map_new();
      if (x->building) x->building->frozen = true;
    } else {
      hw_map_unref(x->building);
      x->building = NULL;
    }
    return n;
  }
  add_field(&x->building, b, len);
  return n;
}

static size_t write_cb(char *p, size_t size, size_t nmemb, void *ud) {
  hw_xfer *x = ud;
  size_t n = size * nmemb;
  x->last_ns = now_ns();
  if (x->discard) return n;
  if (x->rlen - x->roff >= HW_RESP_BUFFER) {
    x->paused = true; /* the guest is not reading: curl keeps this data */
    return CURL_WRITEFUNC_PAUSE;
  }
  if (x->roff) {
    memmove(x->rbuf, x->rbuf + x->roff, x->rlen - x->roff);
    x->rlen -= x->roff;
    x->roff = 0;
  }
  if (x->rlen + n > x->rcap) {
    size_t cap = x->rcap ? x->rcap : 65536;
    while (cap < x->rlen + n) cap *= 2;
    uint8_t *b = realloc(x->rbuf, cap);
    if (!b) return 0; /* curl fails with a write error */
    x->rbuf = b;
    x->rcap = cap;
  }
  memcpy(x->rbuf + x->rlen, p, n);
  x->rlen += n;
  return n;
}

/* ---- starting a transfer ---- */

static bool has_header(const hw_fieldmap *m, const char *name) { return hw_map_find(m, name) != NULL; }

void hw_xfer_start(hw_xfer *x) {
  hw_msg *m = x->req;
  if (!m || x->started || x->done) return;
  x->req = NULL;
  x->started = true;
  http_wasi *h = x->h;
  bool tls = !m->has_scheme || m->scheme == 1;
  size_t ulen = 16 + strlen(m->authority) + (m->path ? strlen(m->path) : 1);
  char *url = malloc(ulen);
  CURL *e = curl_easy_init();
  if (!url || !e) {
    free(url);
    if (e) curl_easy_cleanup(e);
    hw_xfer_fail(x, HE_INTERNAL, "out of memory");
    return;
  }
  x->easy = e;
  const char *path = m->has_path && m->path ? m->path : "/";
  snprintf(url, ulen, "%s://%s%s%s", tls ? "https" : "http", m->authority,
           path[0] == '/' ? "" : "/", path[0] == '*' ? "" : path);
  /* the body: moved out of the request message */
  x->body = m->buf;
  x->bodylen = m->blen;
  m->buf = NULL;
  m->blen = m->bcap = 0;
  bool ok = true;
  for (size_t i = 0; ok && m->headers && i < m->headers->n; i++) {
    const hw_field *f = &m->headers->v[i];
    /* curl sends the body's real length (finish checked the guest's) */
    if (f->nlen == 14 && strcmp(f->name, "content-length") == 0) continue;
    char *line = malloc(f->nlen + f->vlen + 3);
    if (!line) {
      ok = false;
      break;
    }
    /* "name;" sends a header with an empty value */
    if (f->vlen) snprintf(line, f->nlen + f->vlen + 3, "%s: %.*s", f->name, (int)f->vlen, (char *)f->val);
    else snprintf(line, f->nlen + 2, "%s;", f->name);
    struct curl_slist *l = curl_slist_append(x->hdrs, line);
    free(line);
    if (!l) ok = false;
    else x->hdrs = l;
  }
  /* only the guest's headers: none of curl's defaults */
  static const char *const defaults[] = {"accept", "expect"};
  static const char *const blanks[] = {"Accept:", "Expect:"};
  for (int i = 0; ok && i < 2; i++)
    if (!has_header(m->headers, defaults[i])) {
      struct curl_slist *l = curl_slist_append(x->hdrs, blanks[i]);
      if (!l) ok = false;
      else x->hdrs = l;
    }
  if (!ok) {
    free(url);
    hw_xfer_fail(x, HE_INTERNAL, "out of memory");
    return;
  }
  curl_easy_setopt(e, CURLOPT_URL, url);
  free(url); /* curl copies it */
  curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)x);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_NOPROXY, "*"); /* never a proxy from the environment */
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
  uint64_t cms = x->timeout_ns[0] / 1000000u;
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(cms ? cms : 1));
  const char *method = m->method < 9 ? hw_method_names[m->method] : m->method_other;
  bool with_body = m->body_taken || x->bodylen;
  if (m->method == 1) {
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  } else if (m->method == 0 && !with_body) {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  } else {
    if (with_body) {
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->bodylen);
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body ? (char *)x->body : "");
    }
    if (m->method != 2 || !with_body) curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
  }
  x->start_ns = x->last_ns = now_ns();
  CURLMcode mc = curl_multi_add_handle(h->multi, e);
  if (mc != CURLM_OK) {
    hw_xfer_fail(x, HE_INTERNAL, curl_multi_strerror(mc));
    return;
  }
  x->in_multi = true;
  hw_drive(h);
}

/* ---- the response body ---- */

ssize_t hw_xfer_read(hw_xfer *x, void *buf, size_t n, bool block, wasi2_io_error *e) {
  for (;;) {
    size_t avail = x->rlen - x->roff;
    if (avail) {
      size_t k = avail < n ? avail : n;
      memcpy(buf, x->rbuf + x->roff, k);
      x->roff += k;
      if (x->roff == x->rlen) x->roff = x->rlen = 0;
      unpause(x);
      return (ssize_t)k;
    }
    if (x->done) {
      if (!x->failed) return WASI2_IO_END;
      *e = hw_io_error(x->h, &x->err, x->err.str ? x->err.str : hw_err_name(x->err.code));
      return WASI2_IO_FAIL;
    }
    hw_drive(x->h);
    if (x->rlen > x->roff || x->done) continue;
    if (!block) return 0;
    hw_wait(x->h, -1);
  }
}

bool hw_xfer_body_ready(hw_xfer *x) {
  if (x->discard) {
    x->roff = x->rlen = 0;
    unpause(x);
  }
  if (x->rlen > x->roff || x->done) return true;
  hw_drive(x->h);
  return x->rlen > x->roff || x->done;
}

/* ---- future-incoming-response ---- */

static bool future_ready(void *env) {
  hw_xfer *x = env;
  if (!x->head_done && !x->done) hw_drive(x->h);
  return x->head_done || x->done;
}

static int future_wait_fds(void *env, struct pollfd *pfd, int max, int *timeout_ms) {
  hw_xfer *x = env;
  return hw_wait_fds(x->h, pfd, max, timeout_ms);
}

static void future_drop(void *env) { hw_xfer_unref(env); }

static const wasi2_pollable_ops future_ops = {
    .ready = future_ready, .wait_fds = future_wait_fds, .drop = future_drop,
};

wasm_status hw_future_subscribe(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                cm_val *res, wasm_error *err) {
  http_wasi *h = env;
  hw_slot *s = hw_get(h, HW_FUT_RESP, &a[0], NULL, err);
  if (!s) return WASM_TRAP;
  hw_xfer *x = s->p;
  hw_xfer_ref(x);
  return wasi2_pollable_new(h->w, &future_ops, x, res, err);
}

/* option<result<result<incoming-response, error-code>>> */
wasm_status hw_future_get(void *env, cm_instance *caller, const cm_val *a, size_t n,
                          cm_val *res, wasm_error *err) {
  http_wasi *h = env;
  hw_slot *s = hw_get(h, HW_FUT_RESP, &a[0], NULL, err);
  if (!s) return WASM_TRAP;
  hw_xfer *x = s->p;
  cm_val outer, inner, v;
  if (x->got) {
    if (!cm_val_case(&outer, CM_RESULT, 1, NULL)) return hw_nomem(err);
    return cm_val_case(res, CM_OPTION, 1, &outer) ? WASM_OK : hw_nomem(err);
  }
  if (!future_ready(x)) return cm_val_case(res, CM_OPTION, 0, NULL) ? WASM_OK : hw_nomem(err);
  x->got = true;
  if (!x->head_done) {
    hw_err fallback = {.code = HE_INTERNAL};
    if (!hw_err_val(x->failed ? &x->err : &fallback, &v) || !cm_val_case(&inner, CM_RESULT, 1, &v))
      return hw_nomem(err);
  } else {
    hw_msg *m = hw_msg_new(h, HW_MSG_IN_RESP);
    if (!m) return hw_nomem(err);
    m->status = (uint16_t)x->status;
    m->headers = x->building;
    if (m->headers) m->headers->refs++;
    m->xfer = x;
    hw_xfer_ref(x);
    wasm_status st = hw_new(h, HW_IN_RESP, m, &v, err);
    if (st) return st;
    if (!cm_val_case(&inner, CM_RESULT, 0, &v)) return hw_nomem(err);
  }
  if (!cm_val_case(&outer, CM_RESULT, 0, &inner)) return hw_nomem(err);
  return cm_val_case(res, CM_OPTION, 1, &outer) ? WASM_OK : hw_nomem(err);
}

/* ---- outgoing-handler.handle ---- */

/* Splits an authority into a lowercase host (no brackets) and a port
 * (0: none given). */
static bool split_authority(const char *a, char *host, size_t hlen, unsigned *port) {
  *port = 0;
  const char *end;
  if (a[0] == '[') {
    const char *rb = strchr(a, ']');
    if (!rb) return false;
    snprintf(host, hlen, "%.*s", (int)(rb - a - 1), a + 1);
    end = rb + 1;
  } else {
    const char *colon = strchr(a, ':');
    /* one colon: host:port; more: a bare IPv6 address, no port */
    size_t n = colon && !strchr(colon + 1, ':') ? (size_t)(colon - a) : strlen(a);
    snprintf(host, hlen, "%.*s", (int)n, a);
    end = a + n;
  }
  if (*end == ':') {
    char *stop;
    unsigned long p = strtoul(end + 1, &stop, 10);
    if (*stop || p == 0 || p > 65535) return false;
    *port = (unsigned)p;
  } else if (*end) {
    return false;
  }
  for (char *p = host; *p; p++)
    if (*p >= 'A' && *p <= 'Z') *p += 32;
  return true;
}

/* The allow-list: "host", "*.suffix" (subdomains only), each with an
 * optional ":port" (none: any port). */
static bool allowed(const http_wasi *h, const char *authority, bool tls) {
  char host[1100], eh[1100];
  unsigned port, ep;
  if (!split_authority(authority, host, sizeof host, &port)) return false;
  if (!port) port = tls ? 443 : 80;
  for (size_t i = 0; i < h->cfg.nallowed; i++) {
    if (!split_authority(h->allowed[i], eh, sizeof eh, &ep)) continue;
    if (ep && ep != port) continue;
    if (eh[0] == '*' && eh[1] == '.') {
      size_t hl = strlen(host), sl = strlen(eh + 1);
      if (hl > sl && strcmp(host + hl - sl, eh + 1) == 0) return true;
    } else if (strcmp(host, eh) == 0) {
      return true;
    }
  }
  return false;
}

static wasm_status handle_fn(void *env, cm_instance *caller, const cm_val *a, size_t n,
                             cm_val *res, wasm_error *err) {
  http_wasi *h = env;
  void *p;
  wasm_status st = hw_take(h, HW_OUT_REQ, &a[0], &p, err);
  if (st) return st;
  hw_msg *m = p;
  hw_options opts = {{false}, {0}};
  if (a[1].of.variant.disc == 1) {
    if ((st = hw_take(h, HW_OPTIONS, a[1].of.variant.payload, &p, err))) {
      hw_msg_unref(m);
      return st;
    }
    opts = *(hw_options *)p;
    free(p);
  }
  m->given_away = true;
  if (m->headers) m->headers->frozen = true;
  bool tls = !m->has_scheme || m->scheme == 1;
  uint8_t code = 0xff;
  if (m->has_scheme && m->scheme > 1) code = HE_PROTOCOL_ERROR;
  else if (!m->has_authority || !m->authority || !m->authority[0]) code = HE_REQ_URI_INVALID;
  else if (!allowed(h, m->authority, tls)) code = HE_REQ_DENIED;
  if (code != 0xff) {
    hw_msg_unref(m);
    hw_err e = {.code = code};
    cm_val v;
    return hw_err_val(&e, &v) ? hw_err_result(res, &v, err) : hw_nomem(err);
  }
  hw_xfer *x = calloc(1, sizeof *x);
  if (!x) {
    hw_msg_unref(m);
    return hw_nomem(err);
  }
  x->refs = 1; /* the future's */
  x->h = h;
  x->next = h->xfers;
  if (h->xfers) h->xfers->prev = x;
  h->xfers = x;
  const uint32_t defaults[3] = {h->cfg.connect_timeout_ms, h->cfg.first_byte_timeout_ms,
                                h->cfg.between_bytes_timeout_ms};
  for (int i = 0; i < 3; i++)
    x->timeout_ns[i] = opts.has[i] ? opts.ns[i] : (uint64_t)defaults[i] * 1000000u;
  x->req = m; /* weak: m holds x */
  m->xfer = x;
  hw_xfer_ref(x);
  /* without a body, or with one already finished, it goes now; else at
   * outgoing-body.finish */
  if (!m->body_taken || m->finished) hw_xfer_start(x);
  hw_msg_unref(m);
  cm_val f;
  st = hw_new(h, HW_FUT_RESP, x, &f, err); /* the first reference moves in */
  return st ? st : hw_ok(res, &f, err);
}

static const char WIT_OUTGOING[] =
    "interface outgoing-handler {\n"
    "  use types.{outgoing-request, request-options, future-incoming-response, error-code};\n"
    "  handle: func(request: outgoing-request, options: option<request-options>)\n"
    "    -> result<future-incoming-response, error-code>;\n"
    "}\n";

wasm_status hw_link_outgoing(http_wasi *h, wasm_error *err) {
  cm_host_entry e[] = {{"handle", handle_fn, NULL, h}};
  return cm_linker_define_interface(h->l, "wasi:http/outgoing-handler@" HW_VERSION,
                                    WIT_OUTGOING, e, 1, err);
}
