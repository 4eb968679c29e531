/* wasi_misc.c: args, environment, clocks, randomness, poll_oneoff, process
 * control, scheduling and the socket calls of wasi_snapshot_preview1. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "wasi/wasi_internal.h"

/* ---- args and environment: both are lists of NUL-terminated strings ---- */

static int strings_sizes(wasi_ctx *c, char **s, uint32_t n, uint32_t count_ptr,
                         uint32_t size_ptr) {
  uint64_t total = 0;
  for (uint32_t i = 0; i < n; i++) total += strlen(s[i]) + 1;
  if (total > UINT32_MAX) return WASI_EOVERFLOW;
  if (!wasi_mem(c, count_ptr, 4) || !wasi_mem(c, size_ptr, 4)) return WASI_EFAULT;
  wasi_put_u32(c, count_ptr, n);
  wasi_put_u32(c, size_ptr, (uint32_t)total);
  return WASI_ESUCCESS;
}

static int strings_get(wasi_ctx *c, char **s, uint32_t n, uint32_t ptrs,
                       uint32_t buf) {
  uint64_t total = 0;
  for (uint32_t i = 0; i < n; i++) total += strlen(s[i]) + 1;
  if (total > UINT32_MAX) return WASI_EOVERFLOW;
  uint8_t *pv = wasi_mem(c, ptrs, (uint64_t)n * 4);
  uint8_t *bv = wasi_mem(c, buf, total);
  if (!pv || !bv) return WASI_EFAULT;
  uint32_t off = 0;
  for (uint32_t i = 0; i < n; i++) {
    size_t len = strlen(s[i]) + 1;
    uint32_t p = buf + off;
    memcpy(pv + 4 * (size_t)i, &p, 4);
    memcpy(bv + off, s[i], len);
    off += (uint32_t)len;
  }
  return WASI_ESUCCESS;
}

int wasi_fn_args_get(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  return strings_get(c, c->args, c->nargs, ARG32(0), ARG32(1));
}
int wasi_fn_args_sizes_get(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  return strings_sizes(c, c->args, c->nargs, ARG32(0), ARG32(1));
}
int wasi_fn_environ_get(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  return strings_get(c, c->env, c->nenv, ARG32(0), ARG32(1));
}
int wasi_fn_environ_sizes_get(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  return strings_sizes(c, c->env, c->nenv, ARG32(0), ARG32(1));
}

/* ---- clocks ---- */

static bool host_clock(uint32_t id, clockid_t *out) {
  switch (id) {
  case WASI_CLOCK_REALTIME: *out = CLOCK_REALTIME; return true;
  case WASI_CLOCK_MONOTONIC: *out = CLOCK_MONOTONIC; return true;
  case WASI_CLOCK_PROCESS_CPUTIME: *out = CLOCK_PROCESS_CPUTIME_ID; return true;
  case WASI_CLOCK_THREAD_CPUTIME: *out = CLOCK_THREAD_CPUTIME_ID; return true;
  default: return false;
  }
}

static uint64_t ts_ns(const struct timespec *t) {
  return (uint64_t)t->tv_sec * 1000000000u + (uint64_t)t->tv_nsec;
}

int wasi_fn_clock_res_get(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  clockid_t id;
  struct timespec t;
  if (!host_clock(ARG32(0), &id)) return WASI_EINVAL;
  if (clock_getres(id, &t) != 0) return wasi_errno_from_host(errno);
  return wasi_put_u64(c, ARG32(1), ts_ns(&t)) ? WASI_ESUCCESS : WASI_EFAULT;
}

int wasi_fn_clock_time_get(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  clockid_t id;
  struct timespec t;
  if (!host_clock(ARG32(0), &id)) return WASI_EINVAL;
  if (clock_gettime(id, &t) != 0) return wasi_errno_from_host(errno);
  return wasi_put_u64(c, ARG32(2), ts_ns(&t)) ? WASI_ESUCCESS : WASI_EFAULT;
}

/* ---- randomness ---- */

int wasi_fn_random_get(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  uint32_t len = ARG32(1);
  uint8_t *p = wasi_mem(c, ARG32(0), len);
  if (!p) return WASI_EFAULT;
  while (len > 0) {
    ssize_t n = getrandom(p, len, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return wasi_errno_from_host(errno);
    }
    p += n;
    len -= (uint32_t)n;
  }
  return WASI_ESUCCESS;
}

/* ---- poll_oneoff ---- */

#define SUB_SIZE 48
#define EVENT_SIZE 32
#define WASI_MAX_SUBS 4096

typedef struct poll_sub {
  uint64_t userdata;
  uint8_t tag;
  uint64_t deadline; /* clock: absolute, on CLOCK_MONOTONIC (ns) */
  int pfd;           /* fd subscription: index into the pollfd array, or -1 */
  uint16_t error;    /* fd subscription on a bad fd */
  uint64_t nbytes;
  bool ready;
} poll_sub;

static uint64_t now_ns(clockid_t id) {
  struct timespec t;
  clock_gettime(id, &t);
  return ts_ns(&t);
}

static void put_event(uint8_t *ev, const poll_sub *s, uint16_t error) {
  memset(ev, 0, EVENT_SIZE);
  memcpy(ev, &s->userdata, 8);
  memcpy(ev + 8, &error, 2);
  ev[10] = s->tag;
  if (s->tag != WASI_EVENT_CLOCK) memcpy(ev + 16, &s->nbytes, 8);
}

int wasi_fn_poll_oneoff(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  uint32_t n = ARG32(2);
  if (n == 0) return WASI_EINVAL;
  if (n > WASI_MAX_SUBS) return WASI_ENOTSUP;
  const uint8_t *in = wasi_mem(c, ARG32(0), (uint64_t)n * SUB_SIZE);
  uint8_t *out = wasi_mem(c, ARG32(1), (uint64_t)n * EVENT_SIZE);
  if (!in || !out || !wasi_mem(c, ARG32(3), 4)) return WASI_EFAULT;

  poll_sub *subs = calloc(n, sizeof *subs);
  struct pollfd *pfds = calloc(n, sizeof *pfds);
  if (!subs || !pfds) {
    free(subs);
    free(pfds);
    return WASI_ENOMEM;
  }
  uint64_t mono = now_ns(CLOCK_MONOTONIC);
  uint64_t earliest = UINT64_MAX;
  uint32_t npfd = 0;
  bool immediate = false;
  int rc = WASI_ESUCCESS;
  for (uint32_t i = 0; i < n && rc == WASI_ESUCCESS; i++) {
    const uint8_t *s = in + (size_t)i * SUB_SIZE;
    poll_sub *p = &subs[i];
    memcpy(&p->userdata, s, 8);
    p->tag = s[8];
    p->pfd = -1;
    if (p->tag == WASI_EVENT_CLOCK) {
      uint32_t id;
      uint64_t timeout;
      uint16_t flags;
      memcpy(&id, s + 16, 4);
      memcpy(&timeout, s + 24, 8);
      memcpy(&flags, s + 40, 2);
      clockid_t hid;
      if (!host_clock(id, &hid)) {
        p->error = WASI_EINVAL;
        p->ready = immediate = true;
        continue;
      }
      uint64_t rel = timeout;
      if (flags & 1) { /* abstime: relative to now on that clock */
        uint64_t now = now_ns(hid);
        rel = timeout > now ? timeout - now : 0;
      }
      p->deadline = rel > UINT64_MAX - mono ? UINT64_MAX : mono + rel;
      if (p->deadline < earliest) earliest = p->deadline;
    } else if (p->tag == WASI_EVENT_FD_READ || p->tag == WASI_EVENT_FD_WRITE) {
      uint32_t fd;
      memcpy(&fd, s + 16, 4);
      int e;
      wasi_fd *f = wasi_fd_get(c, fd, 0, &e);
      if (!f) {
        p->error = (uint16_t)e;
        p->ready = immediate = true;
        continue;
      }
      if (f->filetype == WASI_FILETYPE_REGULAR_FILE) {
        /* Regular files are always ready; report the bytes left to read. */
        struct stat st;
        if (p->tag == WASI_EVENT_FD_READ && fstat(f->host, &st) == 0) {
          off_t pos = lseek(f->host, 0, SEEK_CUR);
          if (pos >= 0 && st.st_size > pos) p->nbytes = (uint64_t)(st.st_size - pos);
        }
        p->ready = immediate = true;
        continue;
      }
      p->pfd = (int)npfd;
      pfds[npfd].fd = f->host;
      pfds[npfd].events = p->tag == WASI_EVENT_FD_READ ? POLLIN : POLLOUT;
      npfd++;
    } else {
      rc = WASI_EINVAL;
    }
  }

  while (rc == WASI_ESUCCESS) {
    int timeout_ms = -1;
    if (immediate) timeout_ms = 0;
    else if (earliest != UINT64_MAX) {
      uint64_t now = now_ns(CLOCK_MONOTONIC);
      uint64_t left = earliest > now ? earliest - now : 0;
      uint64_t ms = (left + 999999) / 1000000;
      timeout_ms = ms > 1000000 ? 1000000 : (int)ms; /* loop re-checks */
    }
    int r = poll(pfds, npfd, timeout_ms);
    if (r < 0 && errno != EINTR) {
      rc = wasi_errno_from_host(errno);
      break;
    }
    bool any = immediate;
    for (uint32_t i = 0; i < n; i++) {
      poll_sub *p = &subs[i];
      if (p->pfd >= 0 && r > 0 && pfds[p->pfd].revents) {
        p->ready = any = true;
        if (pfds[p->pfd].revents & (POLLERR | POLLNVAL)) p->error = WASI_EIO;
      }
    }
    if (any) break;
    uint64_t now = now_ns(CLOCK_MONOTONIC);
    for (uint32_t i = 0; i < n; i++)
      if (subs[i].tag == WASI_EVENT_CLOCK && subs[i].deadline <= now)
        subs[i].ready = any = true;
    if (any) break;
  }

  if (rc == WASI_ESUCCESS) {
    uint32_t nev = 0;
    for (uint32_t i = 0; i < n; i++)
      if (subs[i].ready) put_event(out + (size_t)nev++ * EVENT_SIZE, &subs[i], subs[i].error);
    wasi_put_u32(c, ARG32(3), nev);
  }
  free(subs);
  free(pfds);
  return rc;
}

/* ---- process ---- */

int wasi_fn_proc_exit(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  c->exited = true;
  c->exit_code = (int)ARG32(0);
  if (err) {
    err->status = WASM_TRAP;
    snprintf(err->message, sizeof err->message, "%s%d", WASI_EXIT_TRAP_MARKER,
             c->exit_code);
  }
  return -1; /* unwind the guest */
}

int wasi_fn_proc_raise(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  return WASI_ENOSYS;
}

int wasi_fn_sched_yield(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  sched_yield();
  return WASI_ESUCCESS;
}

/* ---- sockets: we never create any, so only the errors are reachable;
 * a socket passed in as stdio still works for shutdown/recv/send ---- */

static int sock_fd(wasi_ctx *c, uint32_t fd, wasi_fd **out) {
  int e;
  wasi_fd *f = wasi_fd_get(c, fd, 0, &e);
  if (!f) return e;
  if (f->filetype != WASI_FILETYPE_SOCKET_STREAM &&
      f->filetype != WASI_FILETYPE_SOCKET_DGRAM)
    return WASI_ENOTSOCK;
  *out = f;
  return WASI_ESUCCESS;
}

int wasi_fn_sock_accept(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  wasi_fd *f = NULL;
  int e = sock_fd(c, ARG32(0), &f);
  return e ? e : WASI_ENOTSUP;
}

int wasi_fn_sock_recv(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  wasi_fd *f = NULL;
  int e = sock_fd(c, ARG32(0), &f);
  return e ? e : WASI_ENOTSUP;
}

int wasi_fn_sock_send(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  wasi_fd *f = NULL;
  int e = sock_fd(c, ARG32(0), &f);
  return e ? e : WASI_ENOTSUP;
}

int wasi_fn_sock_shutdown(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  wasi_fd *f = NULL;
  int e = sock_fd(c, ARG32(0), &f);
  if (e) return e;
  if (!(f->rights_base & WASI_R(SOCK_SHUTDOWN))) return WASI_ENOTCAPABLE;
  int how;
  switch (ARG32(1)) {
  case 1: how = SHUT_RD; break;
  case 2: how = SHUT_WR; break;
  case 3: how = SHUT_RDWR; break;
  default: return WASI_EINVAL;
  }
  return shutdown(f->host, how) == 0 ? WASI_ESUCCESS : wasi_errno_from_host(errno);
}
