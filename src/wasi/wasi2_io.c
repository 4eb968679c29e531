/* wasi2_io.c: wasi:io 0.2: error, poll (pollables over deadlines and host
 * fds) and streams (input-stream/output-stream over stdio, files at an
 * offset, sockets). Reads and writes move at most W2_MAX_IO bytes a call;
 * stdio and files block (as wasmtime's do), sockets do not unless asked. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi/wasi2_internal.h"

#define W2_MAX_POLL 4096

/* ---- constructors for the other packages ---- */

static wasm_status new_stream(wasi2_ctx *c, w2_kind k, int fd, bool own_fd, w2_io io,
                              uint64_t off, bool append, cm_val *out, wasm_error *err) {
  uint32_t rep;
  w2_obj *o = w2_obj_alloc(c, k, &rep);
  if (!o) {
    if (own_fd && fd >= 0) close(fd);
    return w2_trap(err, "wasi: too many resources");
  }
  o->fd = fd;
  o->own_fd = own_fd;
  o->u.stream.io = (uint8_t)io;
  o->u.stream.off = off;
  o->u.stream.append = append;
  return w2_handle(c, k, rep, out, err);
}

wasm_status w2_new_input(wasi2_ctx *c, int fd, bool own_fd, w2_io io, uint64_t off,
                         cm_val *out, wasm_error *err) {
  return new_stream(c, W2_INPUT, fd, own_fd, io, off, false, out, err);
}

wasm_status w2_new_output(wasi2_ctx *c, int fd, bool own_fd, w2_io io, uint64_t off,
                          bool append, cm_val *out, wasm_error *err) {
  return new_stream(c, W2_OUTPUT, fd, own_fd, io, off, append, out, err);
}

/* fd is duplicated: a pollable may outlive the stream it came from. */
wasm_status w2_new_pollable(wasi2_ctx *c, w2_poll what, int fd, short events,
                            uint64_t deadline, cm_val *out, wasm_error *err) {
  uint32_t rep;
  w2_obj *o = w2_obj_alloc(c, W2_POLLABLE, &rep);
  if (!o) return w2_trap(err, "wasi: too many resources");
  o->u.poll.what = (uint8_t)what;
  o->u.poll.deadline = deadline;
  o->u.poll.events = events;
  if (what == W2_POLL_FD) {
    o->fd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
    o->own_fd = o->fd >= 0;
    if (o->fd < 0) o->u.poll.what = W2_POLL_READY;
  }
  return w2_handle(c, W2_POLLABLE, rep, out, err);
}

wasm_status w2_new_error(wasi2_ctx *c, int host_errno, cm_val *out, wasm_error *err) {
  uint32_t rep;
  w2_obj *o = w2_obj_alloc(c, W2_ERROR, &rep);
  if (!o) return w2_trap(err, "wasi: too many resources");
  o->u.error.host_errno = host_errno;
  return w2_handle(c, W2_ERROR, rep, out, err);
}

/* ---- error ---- */

static wasm_status error_debug(void *env, cm_instance *caller, const cm_val *a, size_t n,
                               cm_val *res, wasm_error *err) {
  w2_obj *o = w2_get(env, W2_ERROR, &a[0], NULL, err);
  if (!o) return WASM_TRAP;
  const char *m = o->u.error.msg ? o->u.error.msg : strerror(o->u.error.host_errno);
  return cm_val_string(res, m, strlen(m)) ? WASM_OK : w2_nomem(err);
}

static const char WIT_ERROR[] =
    "interface error {\n"
    "  resource error {\n"
    "    to-debug-string: func() -> string;\n"
    "  }\n"
    "}\n";

/* ---- poll ---- */

/* Whether p is ready now (without waiting). */
static bool poll_ready_now(wasi2_ctx *c, w2_obj *p, uint64_t now) {
  switch (p->u.poll.what) {
  case W2_POLL_DEADLINE: return now >= p->u.poll.deadline;
  case W2_POLL_FD: {
    struct pollfd pf = {.fd = p->fd, .events = p->u.poll.events};
    return poll(&pf, 1, 0) != 0;
  }
  case W2_POLL_CUSTOM:
  case W2_POLL_STREAM: return w2_custom_ready(c, p);
  default: return true;
  }
}

#define W2_CUSTOM_FDS 16 /* fds one custom pollable may wait on */

/* Waits until at least one of ps is ready; marks the ready ones. Custom
 * pollables are asked ready() each round and contribute their fds and
 * re-check timeouts to the one poll(). */
static void poll_wait(wasi2_ctx *c, w2_obj **ps, size_t n, bool *ready) {
  size_t cap = 0;
  for (size_t i = 0; i < n; i++)
    cap += ps[i]->u.poll.what == W2_POLL_CUSTOM || ps[i]->u.poll.what == W2_POLL_STREAM
               ? W2_CUSTOM_FDS
               : 1;
  struct pollfd *pf = calloc(cap ? cap : 1, sizeof *pf);
  size_t *owner = calloc(cap ? cap : 1, sizeof *owner);
  if (!pf || !owner) {
    free(pf);
    free(owner);
    for (size_t i = 0; i < n; i++) ready[i] = true; /* no memory to wait: report ready */
    return;
  }
  for (;;) {
    uint64_t now = w2_monotonic_ns(), soonest = UINT64_MAX;
    size_t nfd = 0;
    bool any = false;
    /* the host's interrupt (wasi2_ctx_set_interrupt): report all ready */
    if (c->intr_fd1) {
      struct pollfd ipf = {.fd = c->intr_fd1 - 1, .events = POLLIN};
      if (poll(&ipf, 1, 0) > 0) {
        for (size_t i = 0; i < n; i++) ready[i] = true;
        break;
      }
    }
    int custom_timeout = -1;
    for (size_t i = 0; i < n; i++) {
      ready[i] = false;
      w2_obj *p = ps[i];
      if (p->u.poll.what == W2_POLL_READY) ready[i] = any = true;
      else if (p->u.poll.what == W2_POLL_DEADLINE) {
        if (now >= p->u.poll.deadline) ready[i] = any = true;
        else if (p->u.poll.deadline < soonest) soonest = p->u.poll.deadline;
      } else if (p->u.poll.what == W2_POLL_FD) {
        pf[nfd].fd = p->fd;
        pf[nfd].events = p->u.poll.events;
        pf[nfd].revents = 0;
        owner[nfd++] = i;
      } else if (w2_custom_ready(c, p)) {
        ready[i] = any = true;
      } else if (!any) {
        int t = -1;
        int k = w2_custom_wait_fds(c, p, pf + nfd, W2_CUSTOM_FDS, &t);
        for (int j = 0; j < k; j++) owner[nfd + (size_t)j] = i;
        nfd += (size_t)(k > 0 ? k : 0);
        if (t >= 0 && (custom_timeout < 0 || t < custom_timeout)) custom_timeout = t;
      }
    }
    int timeout = -1;
    if (any) timeout = 0;
    else if (soonest != UINT64_MAX) {
      uint64_t ms = (soonest - now + 999999) / 1000000;
      timeout = ms > 60000 ? 60000 : (int)ms;
    }
    if (!any && custom_timeout >= 0 && (timeout < 0 || custom_timeout < timeout))
      timeout = custom_timeout;
    if (nfd || timeout != 0) {
      /* a finite wait lets the interrupt fd (checked above) be seen */
      if (c->intr_fd1 && (timeout < 0 || timeout > 50)) timeout = 50;
      int r = poll(pf, nfd, timeout);
      if (r < 0 && errno != EINTR) any = true; /* report fd pollables ready */
      for (size_t k = 0; k < nfd; k++) {
        w2_obj *p = ps[owner[k]];
        if (p->u.poll.what == W2_POLL_FD) {
          if (pf[k].revents || r < 0) ready[owner[k]] = any = true;
        } else if ((pf[k].revents || r < 0) && !ready[owner[k]] && w2_custom_ready(c, p)) {
          ready[owner[k]] = any = true;
        }
      }
      now = w2_monotonic_ns();
      for (size_t i = 0; i < n; i++)
        if (ps[i]->u.poll.what == W2_POLL_DEADLINE && now >= ps[i]->u.poll.deadline)
          ready[i] = any = true;
    }
    if (any) break;
  }
  free(pf);
  free(owner);
}

void wasi2_ctx_set_interrupt(wasi2_ctx *ctx, int fd) {
  if (ctx) ctx->intr_fd1 = fd >= 0 ? fd + 1 : 0;
}

static wasm_status pollable_ready(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                  cm_val *res, wasm_error *err) {
  w2_obj *p = w2_get(env, W2_POLLABLE, &a[0], NULL, err);
  if (!p) return WASM_TRAP;
  *res = w2_bool(poll_ready_now(env, p, w2_monotonic_ns()));
  return WASM_OK;
}

static wasm_status pollable_block(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                  cm_val *res, wasm_error *err) {
  w2_obj *p = w2_get(env, W2_POLLABLE, &a[0], NULL, err);
  if (!p) return WASM_TRAP;
  bool ready;
  poll_wait(env, &p, 1, &ready);
  return WASM_OK;
}

static wasm_status poll_poll(void *env, cm_instance *caller, const cm_val *a, size_t n,
                             cm_val *res, wasm_error *err) {
  size_t k = a[0].of.list.n;
  if (k == 0) return w2_trap(err, "wasi:io/poll.poll: empty list");
  if (k > W2_MAX_POLL) return w2_trap(err, "wasi:io/poll.poll: too many pollables");
  w2_obj **ps = calloc(k, sizeof *ps);
  bool *ready = calloc(k, sizeof *ready);
  if (!ps || !ready) {
    free(ps);
    free(ready);
    return w2_nomem(err);
  }
  wasm_status st = WASM_OK;
  for (size_t i = 0; i < k && !st; i++)
    if (!(ps[i] = w2_get(env, W2_POLLABLE, &a[0].of.list.elems[i], NULL, err))) st = WASM_TRAP;
  if (!st) {
    poll_wait(env, ps, k, ready);
    size_t m = 0;
    for (size_t i = 0; i < k; i++) m += ready[i];
    if (!cm_val_agg(res, CM_LIST, m)) st = w2_nomem(err);
    for (size_t i = 0, j = 0; !st && i < k; i++)
      if (ready[i]) res->of.list.elems[j++] = w2_u32((uint32_t)i);
  }
  free(ps);
  free(ready);
  return st;
}

static const char WIT_POLL[] =
    "interface poll {\n"
    "  resource pollable {\n"
    "    ready: func() -> bool;\n"
    "    block: func();\n"
    "  }\n"
    "  poll: func(in: list<borrow<pollable>>) -> list<u32>;\n"
    "}\n";

/* ---- streams ---- */

/* result<_, stream-error> failures: closed, or last-operation-failed. */
static wasm_status stream_closed(cm_val *res, wasm_error *err) {
  cm_val se;
  if (!cm_val_case(&se, CM_VARIANT, 1, NULL)) return w2_nomem(err);
  return w2_err(res, &se, err);
}

static wasm_status stream_failed(wasi2_ctx *c, int host_errno, cm_val *res, wasm_error *err) {
  cm_val e, se;
  wasm_status st = w2_new_error(c, host_errno, &e, err);
  if (st) return st;
  if (!cm_val_case(&se, CM_VARIANT, 0, &e)) return w2_nomem(err);
  return w2_err(res, &se, err);
}

/* A failure of stream_read/stream_write: host errno e, or (e < 0) the
 * error a custom stream reported in *ce. */
static wasm_status stream_failed_any(wasi2_ctx *c, int e, const wasi2_io_error *ce,
                                     cm_val *res, wasm_error *err) {
  return e < 0 ? w2_custom_failed(c, ce, res, err) : stream_failed(c, e, res, err);
}

/* Reads up to len bytes of input stream o into buf; returns the count,
 * 0 for "nothing yet" (nonblocking socket), -1 at end of stream, -2 with
 * *e set on failure (-1 for a custom stream's error, in *ce). */
static ssize_t stream_read(w2_obj *o, uint8_t *buf, size_t len, bool blocking, int *e,
                           wasi2_io_error *ce) {
  if (o->u.stream.closed || o->u.stream.io == W2_IO_NONE) return -1;
  if (len == 0) return 0;
  if (o->u.stream.io == W2_IO_CUSTOM) {
    ssize_t r = w2_custom_read(o, buf, len, blocking, ce);
    if (r == WASI2_IO_FAIL) *e = -1;
    return r < 0 ? (r == WASI2_IO_END ? -1 : -2) : r;
  }
  ssize_t r;
  for (;;) {
    switch (o->u.stream.io) {
    case W2_IO_FILE: r = pread(o->fd, buf, len, (off_t)o->u.stream.off); break;
    case W2_IO_SOCKET:
      if (blocking) {
        struct pollfd pf = {.fd = o->fd, .events = POLLIN};
        poll(&pf, 1, -1);
      }
      r = recv(o->fd, buf, len, MSG_DONTWAIT);
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
      break;
    default: {
      /* stdin and pipes: read() on a blocking fd would block, so the
       * nonblocking read asks poll() first and returns 0 bytes when
       * nothing is there; blocking reads wait for readiness (the fd may
       * itself be O_NONBLOCK). */
      struct pollfd pf = {.fd = o->fd, .events = POLLIN};
      int pr = poll(&pf, 1, blocking ? -1 : 0);
      if (pr < 0 && errno == EINTR) continue;
      if (pr == 0) return 0;
      r = read(o->fd, buf, len);
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (!blocking) return 0;
        continue;
      }
      break;
    }
    }
    if (r < 0 && errno == EINTR) continue;
    break;
  }
  if (r < 0) {
    *e = errno;
    o->u.stream.closed = true;
    return -2;
  }
  if (r == 0) {
    o->u.stream.closed = true;
    return -1;
  }
  o->u.stream.off += (uint64_t)r;
  return r;
}

static wasm_status input_read_common(void *env, const cm_val *a, cm_val *res, bool blocking,
                                     bool skip, wasm_error *err) {
  wasi2_ctx *c = env;
  w2_obj *o = w2_get(c, W2_INPUT, &a[0], NULL, err);
  if (!o) return WASM_TRAP;
  uint64_t len = a[1].of.u;
  if (len > W2_MAX_IO) len = W2_MAX_IO;
  uint8_t *buf = malloc(len ? len : 1);
  if (!buf) return w2_nomem(err);
  int e = 0;
  wasi2_io_error ce = {0};
  ssize_t r = stream_read(o, buf, (size_t)len, blocking, &e, &ce);
  wasm_status st;
  if (r == -1) st = stream_closed(res, err);
  else if (r == -2) st = stream_failed_any(c, e, &ce, res, err);
  else if (skip) {
    cm_val v = w2_u64((uint64_t)r);
    st = w2_ok(res, &v, err);
  } else {
    cm_val v;
    st = cm_val_bytes(&v, buf, (size_t)r) ? w2_ok(res, &v, err) : w2_nomem(err);
  }
  free(buf);
  return st;
}

static wasm_status input_read(void *env, cm_instance *caller, const cm_val *a, size_t n,
                              cm_val *res, wasm_error *err) {
  return input_read_common(env, a, res, false, false, err);
}
static wasm_status input_blocking_read(void *env, cm_instance *caller, const cm_val *a,
                                       size_t n, cm_val *res, wasm_error *err) {
  return input_read_common(env, a, res, true, false, err);
}
static wasm_status input_skip(void *env, cm_instance *caller, const cm_val *a, size_t n,
                              cm_val *res, wasm_error *err) {
  return input_read_common(env, a, res, false, true, err);
}
static wasm_status input_blocking_skip(void *env, cm_instance *caller, const cm_val *a,
                                       size_t n, cm_val *res, wasm_error *err) {
  return input_read_common(env, a, res, true, true, err);
}

/* A pollable for stream o (at rep): fd readiness for pipes and sockets,
 * always ready for files and empty streams, the callbacks' readiness for
 * custom streams. */
static wasm_status stream_subscribe(wasi2_ctx *c, w2_obj *o, uint32_t rep, short events,
                                    cm_val *res, wasm_error *err) {
  if (o->u.stream.io == W2_IO_CUSTOM) return w2_custom_subscribe(c, rep, res, err);
  bool fdlike = (o->u.stream.io == W2_IO_FD || o->u.stream.io == W2_IO_SOCKET) &&
                !o->u.stream.closed && o->fd >= 0;
  return w2_new_pollable(c, fdlike ? W2_POLL_FD : W2_POLL_READY, o->fd, events, 0, res, err);
}

static wasm_status input_subscribe(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                   cm_val *res, wasm_error *err) {
  uint32_t rep;
  w2_obj *o = w2_get(env, W2_INPUT, &a[0], &rep, err);
  if (!o) return WASM_TRAP;
  return stream_subscribe(env, o, rep, POLLIN, res, err);
}

/* Writes all of buf to output stream o; 0 or a host errno (EPIPE: closed;
 * -1: a custom stream's error in *ce). Custom streams wait for room only
 * when blocking. */
static int stream_write(w2_obj *o, const uint8_t *buf, size_t len, bool blocking,
                        wasi2_io_error *ce) {
  if (o->u.stream.io == W2_IO_NONE) return 0;
  if (o->u.stream.io == W2_IO_CUSTOM) {
    int r = w2_custom_write(o, buf, len, blocking, ce);
    return r == 0 ? 0 : r == WASI2_IO_END ? EPIPE : -1;
  }
  if (o->u.stream.io == W2_IO_FILE && o->u.stream.append) {
    struct stat st;
    if (fstat(o->fd, &st) == 0) o->u.stream.off = (uint64_t)st.st_size;
  }
  size_t done = 0;
  while (done < len) {
    ssize_t r;
    if (o->u.stream.io == W2_IO_FILE)
      r = pwrite(o->fd, buf + done, len - done, (off_t)o->u.stream.off);
    else if (o->u.stream.io == W2_IO_SOCKET)
      r = send(o->fd, buf + done, len - done, MSG_NOSIGNAL);
    else
      r = write(o->fd, buf + done, len - done);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      struct pollfd pf = {.fd = o->fd, .events = POLLOUT};
      poll(&pf, 1, -1);
      continue;
    }
    if (r <= 0) return r < 0 ? errno : EIO;
    done += (size_t)r;
    if (o->u.stream.io == W2_IO_FILE) o->u.stream.off += (uint64_t)r;
  }
  return 0;
}

/* Writes buf to o; blocking (blocking-write-and-flush and friends) also
 * flushes a custom stream. */
static wasm_status output_write_bytes(wasi2_ctx *c, w2_obj *o, const uint8_t *buf, size_t len,
                                      bool blocking, cm_val *res, wasm_error *err) {
  if (o->u.stream.closed) return stream_closed(res, err);
  wasi2_io_error ce = {0};
  int e = stream_write(o, buf, len, blocking, &ce);
  if (!e && blocking && o->u.stream.io == W2_IO_CUSTOM) {
    int r = w2_custom_flush(o, true, &ce);
    e = r == 0 ? 0 : r == WASI2_IO_END ? EPIPE : -1;
  }
  if (e) {
    o->u.stream.closed = true;
    return e == EPIPE ? stream_closed(res, err) : stream_failed_any(c, e, &ce, res, err);
  }
  return w2_ok(res, NULL, err);
}

static wasm_status output_write_common(void *env, const cm_val *a, cm_val *res, bool blocking,
                                       wasm_error *err) {
  w2_obj *o = w2_get(env, W2_OUTPUT, &a[0], NULL, err);
  if (!o) return WASM_TRAP;
  size_t len;
  uint8_t *buf = w2_arg_bytes(&a[1], &len);
  if (!buf) return w2_nomem(err);
  wasm_status st = output_write_bytes(env, o, buf, len, blocking, res, err);
  free(buf);
  return st;
}

static wasm_status output_write(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                cm_val *res, wasm_error *err) {
  return output_write_common(env, a, res, false, err);
}
static wasm_status output_blocking_write(void *env, cm_instance *caller, const cm_val *a,
                                         size_t n, cm_val *res, wasm_error *err) {
  return output_write_common(env, a, res, true, err);
}

static wasm_status output_write_zeroes_common(void *env, const cm_val *a, cm_val *res,
                                              bool blocking, wasm_error *err) {
  w2_obj *o = w2_get(env, W2_OUTPUT, &a[0], NULL, err);
  if (!o) return WASM_TRAP;
  uint64_t len = a[1].of.u;
  if (len > W2_MAX_IO) return w2_trap(err, "wasi: write-zeroes beyond the write permit");
  uint8_t *buf = calloc(1, len ? len : 1);
  if (!buf) return w2_nomem(err);
  wasm_status st = output_write_bytes(env, o, buf, (size_t)len, blocking, res, err);
  free(buf);
  return st;
}

static wasm_status output_write_zeroes(void *env, cm_instance *caller, const cm_val *a,
                                       size_t n, cm_val *res, wasm_error *err) {
  return output_write_zeroes_common(env, a, res, false, err);
}
static wasm_status output_blocking_write_zeroes(void *env, cm_instance *caller, const cm_val *a,
                                                size_t n, cm_val *res, wasm_error *err) {
  return output_write_zeroes_common(env, a, res, true, err);
}

/* For a pipe, the free space in its buffer (so that a write within the
 * permit does not block); otherwise permit unchanged. */
static uint64_t pipe_room(int fd, uint64_t permit) {
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode)) return permit;
  int size = fcntl(fd, F_GETPIPE_SZ), used = 0;
  if (size <= 0 || ioctl(fd, FIONREAD, &used) != 0 || used < 0 || used >= size) return permit;
  return (uint64_t)(size - used) < permit ? (uint64_t)(size - used) : permit;
}

static wasm_status output_check_write(void *env, cm_instance *caller, const cm_val *a,
                                      size_t n, cm_val *res, wasm_error *err) {
  w2_obj *o = w2_get(env, W2_OUTPUT, &a[0], NULL, err);
  if (!o) return WASM_TRAP;
  if (o->u.stream.closed) return stream_closed(res, err);
  uint64_t permit = W2_MAX_IO;
  if (o->u.stream.io == W2_IO_CUSTOM) {
    wasi2_io_error ce = {0};
    int64_t r = w2_custom_check_write(o, &ce);
    if (r < 0) {
      o->u.stream.closed = true;
      return r == WASI2_IO_END ? stream_closed(res, err) : w2_custom_failed(env, &ce, res, err);
    }
    permit = (uint64_t)r;
  } else if (o->u.stream.io == W2_IO_SOCKET || o->u.stream.io == W2_IO_FD) {
    /* a full pipe or socket buffer: no permit until subscribe says so */
    struct pollfd pf = {.fd = o->fd, .events = POLLOUT};
    if (poll(&pf, 1, 0) == 0) permit = 0;
    else if (o->u.stream.io == W2_IO_FD) permit = pipe_room(o->fd, permit);
  }
  cm_val v = w2_u64(permit);
  return w2_ok(res, &v, err);
}

static wasm_status output_flush_common(void *env, const cm_val *a, cm_val *res, bool blocking,
                                       wasm_error *err) {
  w2_obj *o = w2_get(env, W2_OUTPUT, &a[0], NULL, err);
  if (!o) return WASM_TRAP;
  if (o->u.stream.closed) return stream_closed(res, err);
  if (o->u.stream.io == W2_IO_CUSTOM) {
    wasi2_io_error ce = {0};
    int r = w2_custom_flush(o, blocking, &ce);
    if (r < 0) {
      o->u.stream.closed = true;
      return r == WASI2_IO_END ? stream_closed(res, err) : w2_custom_failed(env, &ce, res, err);
    }
  }
  return w2_ok(res, NULL, err); /* host fd writes are never buffered */
}

static wasm_status output_flush(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                cm_val *res, wasm_error *err) {
  return output_flush_common(env, a, res, false, err);
}
static wasm_status output_blocking_flush(void *env, cm_instance *caller, const cm_val *a,
                                         size_t n, cm_val *res, wasm_error *err) {
  return output_flush_common(env, a, res, true, err);
}

static wasm_status output_subscribe(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                    cm_val *res, wasm_error *err) {
  uint32_t rep;
  w2_obj *o = w2_get(env, W2_OUTPUT, &a[0], &rep, err);
  if (!o) return WASM_TRAP;
  return stream_subscribe(env, o, rep, POLLOUT, res, err);
}

static wasm_status splice_common(void *env, const cm_val *a, cm_val *res, bool blocking,
                                 wasm_error *err) {
  wasi2_ctx *c = env;
  w2_obj *o = w2_get(c, W2_OUTPUT, &a[0], NULL, err);
  w2_obj *in = o ? w2_get(c, W2_INPUT, &a[1], NULL, err) : NULL;
  if (!in) return WASM_TRAP;
  if (o->u.stream.closed) return stream_closed(res, err);
  uint64_t len = a[2].of.u;
  if (len > W2_MAX_IO) len = W2_MAX_IO;
  if (o->u.stream.io == W2_IO_CUSTOM && !blocking) {
    /* within the write permit, as a nonblocking write must be */
    wasi2_io_error ce = {0};
    int64_t permit = w2_custom_check_write(o, &ce);
    if (permit < 0) {
      o->u.stream.closed = true;
      return permit == WASI2_IO_END ? stream_closed(res, err) : w2_custom_failed(c, &ce, res, err);
    }
    if ((uint64_t)permit < len) len = (uint64_t)permit;
    if (len == 0) {
      cm_val v = w2_u64(0);
      return w2_ok(res, &v, err);
    }
  }
  uint8_t *buf = malloc(len ? len : 1);
  if (!buf) return w2_nomem(err);
  int e = 0;
  wasi2_io_error ce = {0};
  ssize_t r = stream_read(in, buf, (size_t)len, blocking, &e, &ce);
  wasm_status st;
  if (r == -1) st = stream_closed(res, err);
  else if (r == -2) st = stream_failed_any(c, e, &ce, res, err);
  else if ((e = stream_write(o, buf, (size_t)r, blocking, &ce))) {
    o->u.stream.closed = true;
    st = e == EPIPE && o->u.stream.io == W2_IO_CUSTOM ? stream_closed(res, err)
                                                       : stream_failed_any(c, e, &ce, res, err);
  } else {
    cm_val v = w2_u64((uint64_t)r);
    st = w2_ok(res, &v, err);
  }
  free(buf);
  return st;
}

static wasm_status output_splice(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                 cm_val *res, wasm_error *err) {
  return splice_common(env, a, res, false, err);
}
static wasm_status output_blocking_splice(void *env, cm_instance *caller, const cm_val *a,
                                          size_t n, cm_val *res, wasm_error *err) {
  return splice_common(env, a, res, true, err);
}

static const char WIT_STREAMS[] =
    "interface streams {\n"
    "  use error.{error}; use poll.{pollable};\n"
    "  variant stream-error { last-operation-failed(error), closed }\n"
    "  resource input-stream {\n"
    "    read: func(len: u64) -> result<list<u8>, stream-error>;\n"
    "    blocking-read: func(len: u64) -> result<list<u8>, stream-error>;\n"
    "    skip: func(len: u64) -> result<u64, stream-error>;\n"
    "    blocking-skip: func(len: u64) -> result<u64, stream-error>;\n"
    "    subscribe: func() -> pollable;\n"
    "  }\n"
    "  resource output-stream {\n"
    "    check-write: func() -> result<u64, stream-error>;\n"
    "    write: func(contents: list<u8>) -> result<_, stream-error>;\n"
    "    blocking-write-and-flush: func(contents: list<u8>) -> result<_, stream-error>;\n"
    "    flush: func() -> result<_, stream-error>;\n"
    "    blocking-flush: func() -> result<_, stream-error>;\n"
    "    subscribe: func() -> pollable;\n"
    "    write-zeroes: func(len: u64) -> result<_, stream-error>;\n"
    "    blocking-write-zeroes-and-flush: func(len: u64) -> result<_, stream-error>;\n"
    "    splice: func(src: borrow<input-stream>, len: u64) -> result<u64, stream-error>;\n"
    "    blocking-splice: func(src: borrow<input-stream>, len: u64) -> result<u64, stream-error>;\n"
    "  }\n"
    "}\n";

wasm_status w2_link_io(wasi2_ctx *c, wasm_error *err) {
  static const w2_fn error_fns[] = {{"[method]error.to-debug-string", error_debug}};
  static const w2_fn poll_fns[] = {
      {"[method]pollable.ready", pollable_ready},
      {"[method]pollable.block", pollable_block},
      {"poll", poll_poll},
  };
  static const w2_fn stream_fns[] = {
      {"[method]input-stream.read", input_read},
      {"[method]input-stream.blocking-read", input_blocking_read},
      {"[method]input-stream.skip", input_skip},
      {"[method]input-stream.blocking-skip", input_blocking_skip},
      {"[method]input-stream.subscribe", input_subscribe},
      {"[method]output-stream.check-write", output_check_write},
      {"[method]output-stream.write", output_write},
      {"[method]output-stream.blocking-write-and-flush", output_blocking_write},
      {"[method]output-stream.flush", output_flush},
      {"[method]output-stream.blocking-flush", output_blocking_flush},
      {"[method]output-stream.subscribe", output_subscribe},
      {"[method]output-stream.write-zeroes", output_write_zeroes},
      {"[method]output-stream.blocking-write-zeroes-and-flush", output_blocking_write_zeroes},
      {"[method]output-stream.splice", output_splice},
      {"[method]output-stream.blocking-splice", output_blocking_splice},
  };
  wasm_status st;
  if ((st = w2_define(c, "wasi:io/error", WIT_ERROR, error_fns, 1, err))) return st;
  if ((st = w2_define(c, "wasi:io/poll", WIT_POLL, poll_fns, 3, err))) return st;
  return w2_define(c, "wasi:io/streams", WIT_STREAMS, stream_fns,
                   sizeof stream_fns / sizeof stream_fns[0], err);
}
