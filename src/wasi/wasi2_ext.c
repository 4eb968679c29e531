/* wasi2_ext.c: extending a WASI 0.2 context from a higher layer: input
 * and output streams and pollables backed by callbacks (wasi2_stream_ops,
 * wasi2_pollable_ops), errors carrying a code their owner can read back,
 * and wasi2_ctx_reset. wasi2_io.c calls the w2_custom_* functions for
 * streams of kind W2_IO_CUSTOM and pollables W2_POLL_CUSTOM/STREAM. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "wasi/wasi2_internal.h"

#define W2_CUSTOM_WAIT_FDS 16
#define W2_CUSTOM_RECHECK_MS 10 /* a custom pollable without fds to wait on */

/* ---- constructors ---- */

static wasm_status new_custom_stream(wasi2_ctx *c, w2_kind k, const wasi2_stream_ops *ops,
                                     void *env, cm_val *out, wasm_error *err) {
  if (!c || !ops || !out) {
    if (ops && ops->drop) ops->drop(env);
    return w2_fail(err, WASM_BAD_ARG, "wasi2 stream: bad arguments");
  }
  if (!c->l) {
    if (ops->drop) ops->drop(env);
    return w2_fail(err, WASM_BAD_ARG, "wasi2 stream: the context is not linked");
  }
  uint32_t rep;
  w2_obj *o = w2_obj_alloc(c, k, &rep);
  if (!o) {
    if (ops->drop) ops->drop(env);
    return w2_trap(err, "wasi: too many resources");
  }
  o->u.stream.io = W2_IO_CUSTOM;
  o->u.stream.ops = ops;
  o->u.stream.env = env;
  if (++c->gen == 0) c->gen = 1; /* 0 never names a stream */
  o->u.stream.gen = c->gen;
  return w2_handle(c, k, rep, out, err); /* frees (and drops) on failure */
}

wasm_status wasi2_input_stream_new(wasi2_ctx *c, const wasi2_stream_ops *ops, void *env,
                                   cm_val *out, wasm_error *err) {
  return new_custom_stream(c, W2_INPUT, ops, env, out, err);
}

wasm_status wasi2_output_stream_new(wasi2_ctx *c, const wasi2_stream_ops *ops, void *env,
                                    cm_val *out, wasm_error *err) {
  return new_custom_stream(c, W2_OUTPUT, ops, env, out, err);
}

wasm_status wasi2_pollable_new(wasi2_ctx *c, const wasi2_pollable_ops *ops, void *env,
                               cm_val *out, wasm_error *err) {
  if (!c || !ops || !out || !c->l) {
    if (ops && ops->drop) ops->drop(env);
    return w2_fail(err, WASM_BAD_ARG, "wasi2_pollable_new: bad arguments or unlinked context");
  }
  uint32_t rep;
  w2_obj *o = w2_obj_alloc(c, W2_POLLABLE, &rep);
  if (!o) {
    if (ops->drop) ops->drop(env);
    return w2_trap(err, "wasi: too many resources");
  }
  o->u.poll.what = W2_POLL_CUSTOM;
  o->u.poll.ops = ops;
  o->u.poll.env = env;
  return w2_handle(c, W2_POLLABLE, rep, out, err);
}

static wasm_status error_of(wasi2_ctx *c, const wasi2_io_error *e, cm_val *out,
                            wasm_error *err) {
  char *msg = NULL;
  if (e->message && !(msg = strdup(e->message))) return w2_nomem(err);
  uint32_t rep;
  w2_obj *o = w2_obj_alloc(c, W2_ERROR, &rep);
  if (!o) {
    free(msg);
    return w2_trap(err, "wasi: too many resources");
  }
  o->u.error.host_errno = e->host_errno ? e->host_errno : (msg ? 0 : EIO);
  o->u.error.msg = msg;
  o->u.error.owner = e->owner;
  o->u.error.code = e->code;
  return w2_handle(c, W2_ERROR, rep, out, err);
}

wasm_status wasi2_error_new(wasi2_ctx *c, const wasi2_io_error *e, cm_val *out,
                            wasm_error *err) {
  if (!c || !e || !out || !c->l) return w2_fail(err, WASM_BAD_ARG, "wasi2_error_new: bad arguments");
  return error_of(c, e, out, err);
}

bool wasi2_error_code(wasi2_ctx *c, const cm_val *handle, const void *owner, uint64_t *code) {
  if (!c || !handle || !owner || !c->l) return false;
  wasm_error ignored;
  w2_obj *o = w2_get(c, W2_ERROR, handle, NULL, &ignored);
  if (!o || o->u.error.owner != owner) return false;
  if (code) *code = o->u.error.code;
  return true;
}

void wasi2_ctx_reset(wasi2_ctx *c) {
  if (!c) return;
  for (uint32_t r = cm_reptab_next(&c->objs, 0); r; r = cm_reptab_next(&c->objs, r))
    w2_obj_free(c, r);
  /* every rep is free again: start the table over, keeping its memory */
  cm_reptab_reset(&c->objs);
  c->exited = false;
  c->exit_code = 0;
}

/* ---- for wasi2_io.c ---- */

wasm_status w2_custom_failed(wasi2_ctx *c, const wasi2_io_error *ce, cm_val *res,
                             wasm_error *err) {
  cm_val e, se;
  wasm_status st = error_of(c, ce, &e, err);
  if (st) return st;
  if (!cm_val_case(&se, CM_VARIANT, 0, &e)) return w2_nomem(err);
  return w2_err(res, &se, err);
}

/* The live custom stream a W2_POLL_STREAM pollable follows, or NULL. */
static w2_obj *followed(wasi2_ctx *c, w2_obj *p) {
  w2_obj *s = cm_reptab_at(&c->objs, p->u.poll.parent);
  if (!s || (s->kind != W2_INPUT && s->kind != W2_OUTPUT) || s->u.stream.io != W2_IO_CUSTOM ||
      s->u.stream.gen != p->u.poll.gen)
    return NULL;
  return s;
}

bool w2_custom_ready(wasi2_ctx *c, w2_obj *p) {
  if (p->u.poll.what == W2_POLL_CUSTOM)
    return !p->u.poll.ops->ready || p->u.poll.ops->ready(p->u.poll.env);
  w2_obj *s = followed(c, p);
  if (!s || s->u.stream.closed || !s->u.stream.ops->ready) return true;
  return s->u.stream.ops->ready(s->u.stream.env);
}

/* wait_fds of a callback pair; bounds the re-check when there is no fd. */
static int wait_fds_of(int (*fn)(void *, struct pollfd *, int, int *), void *env,
                       struct pollfd *pfd, int max, int *timeout_ms) {
  int k = 0, t = -1;
  if (fn) k = fn(env, pfd, max, &t);
  if (k < 0) k = 0;
  if (k > max) k = max;
  if (!fn || (k == 0 && t < 0)) t = W2_CUSTOM_RECHECK_MS; /* nothing to wait on: re-check */
  *timeout_ms = t;
  return k;
}

int w2_custom_wait_fds(wasi2_ctx *c, w2_obj *p, struct pollfd *pfd, int max, int *timeout_ms) {
  if (p->u.poll.what == W2_POLL_CUSTOM)
    return wait_fds_of(p->u.poll.ops->wait_fds, p->u.poll.env, pfd, max, timeout_ms);
  w2_obj *s = followed(c, p);
  if (!s) {
    *timeout_ms = 0;
    return 0;
  }
  return wait_fds_of(s->u.stream.ops->wait_fds, s->u.stream.env, pfd, max, timeout_ms);
}

/* Blocks until custom stream s is ready. */
static void stream_wait(w2_obj *s) {
  const wasi2_stream_ops *ops = s->u.stream.ops;
  struct pollfd pfd[W2_CUSTOM_WAIT_FDS];
  while (ops->ready && !ops->ready(s->u.stream.env)) {
    int t;
    int k = wait_fds_of(ops->wait_fds, s->u.stream.env, pfd, W2_CUSTOM_WAIT_FDS, &t);
    for (int i = 0; i < k; i++) pfd[i].revents = 0;
    if (poll(pfd, (nfds_t)k, t) < 0 && errno != EINTR) break;
  }
}

ssize_t w2_custom_read(w2_obj *o, uint8_t *buf, size_t len, bool blocking,
                       wasi2_io_error *ce) {
  const wasi2_stream_ops *ops = o->u.stream.ops;
  if (!ops->read) return WASI2_IO_END; /* an output-only table */
  for (;;) {
    ssize_t r = ops->read(o->u.stream.env, buf, len, blocking, ce);
    if (r < 0) {
      o->u.stream.closed = true;
      return r == WASI2_IO_END ? WASI2_IO_END : WASI2_IO_FAIL;
    }
    if (r > 0 || !blocking) return r;
    stream_wait(o); /* a blocking read that found nothing: wait, retry */
  }
}

int64_t w2_custom_check_write(w2_obj *o, wasi2_io_error *ce) {
  const wasi2_stream_ops *ops = o->u.stream.ops;
  if (!ops->write) return WASI2_IO_END;
  if (!ops->check_write) return W2_MAX_IO;
  int64_t r = ops->check_write(o->u.stream.env, ce);
  if (r < 0) return r == WASI2_IO_END ? WASI2_IO_END : WASI2_IO_FAIL;
  return r > W2_MAX_IO ? W2_MAX_IO : r;
}

int w2_custom_write(w2_obj *o, const uint8_t *buf, size_t len, bool blocking,
                    wasi2_io_error *ce) {
  const wasi2_stream_ops *ops = o->u.stream.ops;
  if (!ops->write) return WASI2_IO_END;
  if (!blocking || !ops->check_write) {
    int r = ops->write(o->u.stream.env, buf, len, ce);
    return r < 0 ? (r == WASI2_IO_END ? WASI2_IO_END : WASI2_IO_FAIL) : 0;
  }
  size_t done = 0;
  while (done < len) {
    int64_t permit = w2_custom_check_write(o, ce);
    if (permit < 0) return (int)permit;
    if (permit == 0) {
      stream_wait(o);
      continue;
    }
    size_t k = len - done < (uint64_t)permit ? len - done : (size_t)permit;
    int r = ops->write(o->u.stream.env, buf + done, k, ce);
    if (r < 0) return r == WASI2_IO_END ? WASI2_IO_END : WASI2_IO_FAIL;
    done += k;
  }
  return 0;
}

int w2_custom_flush(w2_obj *o, bool blocking, wasi2_io_error *ce) {
  const wasi2_stream_ops *ops = o->u.stream.ops;
  if (!ops->flush) return 0;
  int r = ops->flush(o->u.stream.env, blocking, ce);
  return r < 0 ? (r == WASI2_IO_END ? WASI2_IO_END : WASI2_IO_FAIL) : 0;
}

wasm_status w2_custom_subscribe(wasi2_ctx *c, uint32_t stream_rep, cm_val *out,
                                wasm_error *err) {
  const w2_obj *s = cm_reptab_at(&c->objs, stream_rep);
  uint32_t gen = s ? s->u.stream.gen : 0, rep;
  w2_obj *o = w2_obj_alloc(c, W2_POLLABLE, &rep);
  if (!o) return w2_trap(err, "wasi: too many resources");
  o->u.poll.what = W2_POLL_STREAM;
  o->u.poll.parent = stream_rep;
  o->u.poll.gen = gen;
  return w2_handle(c, W2_POLLABLE, rep, out, err);
}

void w2_custom_drop(w2_obj *o) {
  if ((o->kind == W2_INPUT || o->kind == W2_OUTPUT) && o->u.stream.io == W2_IO_CUSTOM) {
    const wasi2_stream_ops *ops = o->u.stream.ops;
    o->u.stream.io = W2_IO_NONE;
    if (ops && ops->drop) ops->drop(o->u.stream.env);
  } else if (o->kind == W2_POLLABLE && o->u.poll.what == W2_POLL_CUSTOM) {
    const wasi2_pollable_ops *ops = o->u.poll.ops;
    o->u.poll.what = W2_POLL_READY;
    if (ops && ops->drop) ops->drop(o->u.poll.env);
  }
}
