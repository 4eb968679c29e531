/* http_wasi_body.c: the wasi:io streams and pollables of wasi:http
 * bodies, made with wasi2's extension API (custom streams):
 *   - an incoming body's input-stream reads the server's request body
 *     (http_body_read, nonblocking or blocking, pollable on the socket)
 *     or a client response's body (the transfer's buffer, http_wasi_out.c);
 *   - an outgoing body's output-stream writes the server's response as
 *     the guest writes (http_response_write; buffered only until the
 *     response is set) or buffers a client request's body until finish;
 *   - future-trailers resolve once the body was read (or drained).
 * Each stream and pollable holds a reference to its message. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_wasi_internal.h"

#define HW_WRITE_PERMIT (1u << 20) /* check-write's answer for a live body */

static bool server_live(const hw_msg *m) {
  return m->h->x && m->seq == m->h->seq && !m->failed;
}

/* A FAIL result with error-code code (and a message). */
static int fail_with(hw_msg *m, uint8_t code, bool has_num, uint64_t num, const char *msg,
                     wasi2_io_error *e) {
  hw_err er = {.code = code, .has_num = has_num, .num = num};
  *e = hw_io_error(m->h, &er, msg);
  return WASI2_IO_FAIL;
}

/* The request's trailers, once the server read the body's end. */
static void collect_trailers(hw_msg *m) {
  if (m->trailers_done) return;
  m->trailers_done = true;
  size_t n = 0;
  const http_header *t = m->h->x ? http_body_trailers(m->h->x, &n) : NULL;
  if (!t || !n) return;
  hw_fieldmap *map = hw_map_new();
  for (size_t i = 0; map && i < n; i++)
    if (!hw_map_add(map, t[i].name, t[i].name_len, (const uint8_t *)t[i].value, t[i].value_len))
      break;
  if (map) map->frozen = true;
  m->trailers = map;
}

/* ---- input streams ---- */

static ssize_t in_read(void *env, void *buf, size_t n, bool block, wasi2_io_error *e) {
  hw_msg *m = env;
  if (m->type == HW_MSG_IN_RESP)
    return m->xfer ? hw_xfer_read(m->xfer, buf, n, block, e) : WASI2_IO_END;
  if (m->trailers_done || !server_live(m)) return WASI2_IO_END;
  ssize_t r = http_body_read(m->h->x, buf, n, block);
  if (r > 0) return r;
  if (r == HTTP_BODY_AGAIN) return 0;
  if (r == HTTP_BODY_END) {
    collect_trailers(m);
    return WASI2_IO_END;
  }
  m->trailers_done = true;
  return fail_with(m, HE_CONN_TERMINATED, false, 0, "the request body could not be read", e);
}

static bool in_ready(void *env) {
  hw_msg *m = env;
  if (m->type == HW_MSG_IN_RESP) return !m->xfer || hw_xfer_body_ready(m->xfer);
  return m->trailers_done || !server_live(m) || http_body_ready(m->h->x);
}

static int in_wait_fds(void *env, struct pollfd *pfd, int max, int *timeout_ms) {
  hw_msg *m = env;
  if (m->type == HW_MSG_IN_RESP) return hw_wait_fds(m->h, pfd, max, timeout_ms);
  *timeout_ms = -1;
  int fd = server_live(m) ? http_body_fd(m->h->x) : -1;
  if (fd < 0 || max < 1) {
    *timeout_ms = 0;
    return 0;
  }
  pfd[0] = (struct pollfd){.fd = fd, .events = POLLIN};
  return 1;
}

static void msg_drop(void *env) { hw_msg_unref(env); }

static const wasi2_stream_ops in_ops = {
    .read = in_read, .ready = in_ready, .wait_fds = in_wait_fds, .drop = msg_drop,
};

wasm_status hw_body_input_stream(http_wasi *h, hw_msg *m, cm_val *out, wasm_error *err) {
  hw_msg_ref(m);
  return wasi2_input_stream_new(h->w, &in_ops, m, out, err); /* drops the ref on failure */
}

/* ---- output streams ---- */

/* The content-length the message's headers declare, or -1. */
static int64_t declared_length(const hw_msg *m) {
  const hw_field *f = hw_map_find(m->headers, "content-length");
  if (!f || !f->vlen || f->vlen > 18) return -1;
  int64_t v = 0;
  for (size_t i = 0; i < f->vlen; i++) {
    if (f->val[i] < '0' || f->val[i] > '9') return -1;
    v = v * 10 + (f->val[i] - '0');
  }
  return v;
}

/* Whether m's bytes go straight to the server connection. */
static bool direct(const hw_msg *m) { return m->type == HW_MSG_OUT_RESP && m->sent; }

static uint8_t size_code(const hw_msg *m) {
  return m->type == HW_MSG_OUT_REQ ? HE_REQ_BODY_SIZE : HE_RESP_BODY_SIZE;
}

static int64_t out_check(void *env, wasi2_io_error *e) {
  hw_msg *m = env;
  if (m->finished || m->aborted) return WASI2_IO_END;
  if (direct(m)) {
    if (m->failed) return fail_with(m, HE_CONN_TERMINATED, false, 0, "the client is gone", e);
    return server_live(m) ? (int64_t)HW_WRITE_PERMIT : (int64_t)WASI2_IO_END;
  }
  size_t room = HW_MAX_BUFFERED - m->blen;
  if (room == 0)
    return fail_with(m, size_code(m), false, 0, "the body is larger than the host buffers", e);
  return room < HW_WRITE_PERMIT ? (int64_t)room : HW_WRITE_PERMIT;
}

static int out_write(void *env, const void *buf, size_t n, wasi2_io_error *e) {
  hw_msg *m = env;
  if (m->finished || m->aborted) return WASI2_IO_END;
  int64_t cl = declared_length(m);
  if (cl >= 0 && m->written + n > (uint64_t)cl)
    return fail_with(m, size_code(m), true, m->written + n, "more bytes than content-length", e);
  if (direct(m)) {
    if (!server_live(m)) return m->failed ? fail_with(m, HE_CONN_TERMINATED, false, 0, "the client is gone", e)
                                          : WASI2_IO_END;
    if (http_response_write(m->h->x, buf, n) != 0) {
      m->failed = true;
      return fail_with(m, HE_CONN_TERMINATED, false, 0, "the client is gone", e);
    }
  } else {
    if (n > HW_MAX_BUFFERED - m->blen)
      return fail_with(m, size_code(m), false, 0, "the body is larger than the host buffers", e);
    if (m->blen + n > m->bcap) {
      size_t cap = m->bcap ? m->bcap : 65536;
      while (cap < m->blen + n) cap *= 2;
      uint8_t *b = realloc(m->buf, cap);
      if (!b) return fail_with(m, HE_INTERNAL, false, 0, "out of memory", e);
      m->buf = b;
      m->bcap = cap;
    }
    memcpy(m->buf + m->blen, buf, n);
    m->blen += n;
  }
  m->written += n;
  return 0;
}

static int out_flush(void *env, bool block, wasi2_io_error *e) {
  hw_msg *m = env;
  if (direct(m) && server_live(m) && http_response_flush(m->h->x) != 0) {
    m->failed = true;
    return fail_with(m, HE_CONN_TERMINATED, false, 0, "the client is gone", e);
  }
  return 0;
}

static const wasi2_stream_ops out_ops = {
    .check_write = out_check, .write = out_write, .flush = out_flush, .drop = msg_drop,
};

wasm_status hw_body_output_stream(http_wasi *h, hw_msg *m, cm_val *out, wasm_error *err) {
  hw_msg_ref(m);
  return wasi2_output_stream_new(h->w, &out_ops, m, out, err);
}

wasm_status hw_body_finish(http_wasi *h, hw_msg *m, hw_fieldmap *trailers, hw_err *fail) {
  int64_t cl = declared_length(m);
  if (cl >= 0 && m->written != (uint64_t)cl) {
    *fail = (hw_err){.code = size_code(m), .has_num = true, .num = m->written};
    hw_map_unref(trailers);
    m->aborted = true;
    if (m->xfer && !m->xfer->started && !m->xfer->done) {
      hw_xfer *x = m->xfer;
      x->done = x->failed = true;
      hw_err_clear(&x->err);
      x->err = (hw_err){.code = size_code(m), .has_num = true, .num = m->written};
    }
    return WASM_OK;
  }
  hw_map_unref(m->trailers);
  m->trailers = trailers;
  m->finished = true;
  if (m->type == HW_MSG_OUT_RESP) hw_response_flush(h, m);
  else if (m->xfer) hw_xfer_start(m->xfer);
  return WASM_OK;
}

/* ---- future-trailers ---- */

bool hw_trailers_ready(hw_msg *m) {
  if (m->trailers_done) return true;
  if (m->type == HW_MSG_IN_RESP) {
    hw_xfer *x = m->xfer;
    if (!x) return m->trailers_done = true;
    x->discard = true; /* the unread rest of the body is not wanted */
    hw_xfer_body_ready(x);
    if (!x->done) return false;
    m->trailers_done = true;
    hw_map_unref(m->trailers);
    m->trailers = x->trailers;
    x->trailers = NULL;
    return true;
  }
  if (!server_live(m)) return m->trailers_done = true;
  /* drain what the guest did not read */
  uint8_t scratch[16384];
  for (;;) {
    ssize_t r = http_body_read(m->h->x, scratch, sizeof scratch, false);
    if (r > 0) continue;
    if (r == HTTP_BODY_AGAIN) return false;
    if (r == HTTP_BODY_END) collect_trailers(m);
    return m->trailers_done = true;
  }
}

static bool trailers_ready(void *env) { return hw_trailers_ready(env); }

static const wasi2_pollable_ops trailers_ops = {
    .ready = trailers_ready, .wait_fds = in_wait_fds, .drop = msg_drop,
};

wasm_status hw_trailers_pollable(http_wasi *h, hw_msg *m, cm_val *out, wasm_error *err) {
  hw_msg_ref(m);
  return wasi2_pollable_new(h->w, &trailers_ops, m, out, err);
}
