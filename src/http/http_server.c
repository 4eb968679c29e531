/*
 * http_server.c: the HTTP/1.1 server's sockets and threads.
 *
 * One event thread (the caller of http_server_run) owns the listener and
 * every idle keep-alive connection in one epoll set (one-shot, so a
 * connection is never reported twice). A readable connection goes to the
 * work queue; a worker takes it, reads the request head, runs the handler,
 * and then serves the next pipelined request at once, hands the connection
 * back to epoll, or closes it. Workers own the buffers, so an idle
 * connection costs a socket and a small struct.
 *
 * Stopping: http_server_stop writes to an eventfd that is never drained,
 * so it stays readable: the event thread sees it and so does a worker
 * waiting for a request head.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/http_conn.h"

#define HTTP_LINGER_MS 1000 /* discarding input before closing after an error */
#define HTTP_LINGER_BYTES (1024 * 1024)

static wasm_status fail(wasm_error *err, wasm_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static wasm_status fail(wasm_error *err, wasm_status st, const char *fmt, ...) {
  if (err) {
    err->status = st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
  }
  return st;
}

uint64_t http_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- socket I/O ---- */

/* Waits for events on fd (and input on stop_fd): 1, or HTTP_IO_*. */
static int wait_fd(int fd, short events, int timeout_ms, int stop_fd) {
  struct pollfd p[2] = {{.fd = fd, .events = events}, {.fd = stop_fd, .events = POLLIN}};
  uint64_t deadline = http_now_ms() + (uint64_t)timeout_ms;
  for (;;) {
    int r = poll(p, stop_fd >= 0 ? 2 : 1, timeout_ms);
    if (r > 0) {
      if (stop_fd >= 0 && p[1].revents) return HTTP_IO_STOP;
      return 1;
    }
    if (r == 0) return HTTP_IO_TIMEOUT;
    if (errno != EINTR) return HTTP_IO_ERR;
    uint64_t now = http_now_ms();
    if (now >= deadline) return HTTP_IO_TIMEOUT;
    timeout_ms = (int)(deadline - now);
  }
}

ssize_t http_io_recv(int fd, void *buf, size_t n, int timeout_ms, int stop_fd) {
  for (;;) {
    ssize_t r = recv(fd, buf, n, 0);
    if (r > 0) return r;
    if (r == 0) return HTTP_IO_EOF;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return HTTP_IO_ERR;
    if (timeout_ms < 0) return HTTP_IO_AGAIN;
    int w = wait_fd(fd, POLLIN, timeout_ms, stop_fd);
    if (w < 0) return w;
  }
}

int http_io_sendv(int fd, struct iovec *iov, int iovcnt, int timeout_ms) {
  while (iovcnt > 0 && iov[0].iov_len == 0) iov++, iovcnt--;
  while (iovcnt > 0) {
    struct msghdr m = {.msg_iov = iov, .msg_iovlen = (size_t)iovcnt};
    ssize_t r = sendmsg(fd, &m, MSG_NOSIGNAL);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
      if (wait_fd(fd, POLLOUT, timeout_ms, -1) < 0) return -1;
      continue;
    }
    size_t done = (size_t)r;
    while (iovcnt > 0 && done >= iov[0].iov_len) {
      done -= iov[0].iov_len;
      iov++, iovcnt--;
    }
    if (iovcnt > 0) {
      iov[0].iov_base = (char *)iov[0].iov_base + done;
      iov[0].iov_len -= done;
    }
  }
  return 0;
}

/* ---- the idle list and the work queue (under s->lock) ---- */

static void idle_append(http_server *s, http_conn *c) {
  c->expires_ms = http_now_ms() + s->cfg.idle_timeout_ms;
  c->next = NULL;
  c->prev = s->idle_tail;
  if (s->idle_tail)
    s->idle_tail->next = c;
  else
    s->idle_head = c;
  s->idle_tail = c;
}

static void idle_remove(http_server *s, http_conn *c) {
  if (c->prev)
    c->prev->next = c->next;
  else
    s->idle_head = c->next;
  if (c->next)
    c->next->prev = c->prev;
  else
    s->idle_tail = c->prev;
  c->prev = c->next = NULL;
}

static void queue_push(http_server *s, http_conn *c) {
  c->next = NULL;
  if (s->q_tail)
    s->q_tail->next = c;
  else
    s->q_head = c;
  s->q_tail = c;
}

static http_conn *queue_pop(http_server *s) {
  http_conn *c = s->q_head;
  if (c) {
    s->q_head = c->next;
    if (!s->q_head) s->q_tail = NULL;
    c->next = NULL;
  }
  return c;
}

/* Closes c. With linger, first ends our side and discards what the peer
 * still sends for a moment, so the response is not lost to a reset
 * caused by unread input. */
static void conn_close(http_conn *c, bool linger) {
  if (linger && shutdown(c->fd, SHUT_WR) == 0) {
    char scratch[4096];
    size_t total = 0;
    uint64_t deadline = http_now_ms() + HTTP_LINGER_MS;
    while (total < HTTP_LINGER_BYTES) {
      uint64_t now = http_now_ms();
      if (now >= deadline) break;
      ssize_t r = http_io_recv(c->fd, scratch, sizeof scratch, (int)(deadline - now), -1);
      if (r <= 0) break;
      total += (size_t)r;
    }
  }
  close(c->fd);
  free(c);
}

/* ---- workers ---- */

/* Back to the epoll set to wait for the next request, or closed when
 * the server is stopping. */
static void conn_park(http_server *s, http_conn *c) {
  pthread_mutex_lock(&s->lock);
  if (atomic_load(&s->stopping)) {
    pthread_mutex_unlock(&s->lock);
    conn_close(c, false);
    return;
  }
  /* In the list before it is armed: its event finds it there. */
  idle_append(s, c);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.ptr = c};
  if (epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev) < 0) {
    idle_remove(s, c);
    pthread_mutex_unlock(&s->lock);
    conn_close(c, false);
    return;
  }
  pthread_mutex_unlock(&s->lock);
}

enum { HEAD_OK, HEAD_CLOSE, HEAD_ERROR };

/* Reads and parses the next request head into w->x. */
static int read_head(http_worker *w, http_conn *c) {
  http_exchange *x = &w->x;
  http_server *s = w->s;
  /* The previous request's head is no longer needed: keep only what
   * follows it (a pipelined request). */
  if (w->in_start == w->in_len) {
    w->in_start = w->in_len = 0;
  } else if (w->in_start > 0) {
    memmove(w->in, w->in + w->in_start, w->in_len - w->in_start);
    w->in_len -= w->in_start;
    w->in_start = 0;
  }
  hp_head_init(&x->head, w->headers, HTTP_MAX_HEADERS);
  for (;;) {
    if (w->in_len > 0) {
      ssize_t r = hp_head_parse(&x->head, w->in, w->in_len, s->cfg.max_header_bytes);
      if (r > 0) {
        http_exchange_begin(x, (size_t)r);
        return HEAD_OK;
      }
      if (r < 0) return HEAD_ERROR;
    }
    if (w->in_len == w->in_cap) { /* cannot happen: the cap exceeds the limit */
      x->head.status = 431;
      x->head.error = "request header too large";
      return HEAD_ERROR;
    }
    ssize_t n = http_io_recv(c->fd, w->in + w->in_len, w->in_cap - w->in_len,
                             (int)s->cfg.io_timeout_ms, s->efd);
    if (n > 0) {
      w->in_len += (size_t)n;
      continue;
    }
    if (n == HTTP_IO_TIMEOUT && w->in_len > 0) {
      x->head.status = 408;
      x->head.error = "request header timed out";
      return HEAD_ERROR;
    }
    return HEAD_CLOSE; /* EOF, error, timeout between requests, stopping */
  }
}

static void serve_conn(http_worker *w, http_conn *c) {
  http_server *s = w->s;
  http_exchange *x = &w->x;
  /* whatever the previous connection left unread is not ours */
  w->in_start = w->in_len = 0;
  for (;;) {
    memset(x, 0, offsetof(http_exchange, note));
    x->note[0] = '\0';
    x->note_len = 0;
    x->w = w;
    x->c = c;
    clock_gettime(CLOCK_MONOTONIC, &x->t0);
    int r = read_head(w, c);
    if (r == HEAD_CLOSE) {
      conn_close(c, false);
      return;
    }
    if (r == HEAD_ERROR) {
      http_exchange_fail(x, x->head.status, x->head.error);
      http_exchange_log(x);
      /* a client too slow to send its head is not waited for again */
      conn_close(c, !x->broken && x->head.status != 408);
      return;
    }
    if (x->head.body == HP_BODY_LENGTH && x->head.content_length > s->cfg.max_body_bytes) {
      http_exchange_fail(x, 413, "request body too large");
      http_exchange_log(x);
      conn_close(c, !x->broken);
      return;
    }
    s->cfg.handler(s->cfg.env, w->index, x, &x->req);
    http_exchange_end(x);
    http_exchange_log(x);
    if (x->close || x->broken) {
      conn_close(c, !x->broken && http_exchange_input_pending(x));
      return;
    }
    if (w->in_start < w->in_len) continue; /* pipelined: serve it now */
    conn_park(s, c);
    return;
  }
}

static void *worker_main(void *arg) {
  http_worker *w = arg;
  http_server *s = w->s;
  pthread_mutex_lock(&s->lock);
  for (;;) {
    while (!s->q_head && !atomic_load(&s->stopping)) pthread_cond_wait(&s->cond, &s->lock);
    http_conn *c = queue_pop(s);
    if (!c) break; /* stopping and nothing queued */
    pthread_mutex_unlock(&s->lock);
    serve_conn(w, c);
    pthread_mutex_lock(&s->lock);
  }
  pthread_mutex_unlock(&s->lock);
  return NULL;
}

/* ---- the event thread ---- */

static void format_addr(const struct sockaddr *sa, char *out, size_t cap) {
  char host[INET6_ADDRSTRLEN] = "?";
  unsigned port = 0;
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    port = ntohs(a->sin_port);
    snprintf(out, cap, "%s:%u", host, port);
  } else if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    port = ntohs(a->sin6_port);
    snprintf(out, cap, "[%s]:%u", host, port);
  } else {
    snprintf(out, cap, "unix");
  }
}

/* Accepts every pending connection into the idle set. Returns false
 * when accepting must pause (out of descriptors or memory). */
static bool accept_all(http_server *s) {
  for (;;) {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int fd = accept4(s->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      return false; /* EMFILE, ENFILE, ENOBUFS, ENOMEM, ...: retry later */
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    http_conn *c = calloc(1, sizeof *c);
    if (!c) {
      close(fd);
      return false;
    }
    c->fd = fd;
    format_addr((struct sockaddr *)&ss, c->remote, sizeof c->remote);
    pthread_mutex_lock(&s->lock);
    idle_append(s, c);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.ptr = c};
    if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
      idle_remove(s, c);
      pthread_mutex_unlock(&s->lock);
      conn_close(c, false);
      continue;
    }
    pthread_mutex_unlock(&s->lock);
  }
}

static void event_loop(http_server *s) {
  enum { MAXEV = 256, ACCEPT_PAUSE_MS = 100 };
  struct epoll_event evs[MAXEV];
  uint64_t accept_paused_until = 0;
  for (;;) {
    uint64_t now = http_now_ms();
    int timeout = (int)s->cfg.idle_timeout_ms;
    pthread_mutex_lock(&s->lock);
    if (s->idle_head)
      timeout = s->idle_head->expires_ms <= now ? 0 : (int)(s->idle_head->expires_ms - now);
    pthread_mutex_unlock(&s->lock);
    if (accept_paused_until) {
      if (now >= accept_paused_until) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &s->lfd};
        if (epoll_ctl(s->ep, EPOLL_CTL_ADD, s->lfd, &ev) == 0) accept_paused_until = 0;
        else accept_paused_until = now + ACCEPT_PAUSE_MS;
      }
      if (accept_paused_until && (int)(accept_paused_until - now) < timeout)
        timeout = (int)(accept_paused_until - now);
    }
    int n = epoll_wait(s->ep, evs, MAXEV, timeout);
    if (n < 0 && errno != EINTR) n = 0; /* not expected; the loop goes on */
    bool stop = false, accept = false;
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < n; i++) {
      void *p = evs[i].data.ptr;
      if (p == &s->efd) {
        stop = true;
      } else if (p == &s->lfd) {
        accept = true;
      } else {
        http_conn *c = p;
        idle_remove(s, c);
        queue_push(s, c);
        pthread_cond_signal(&s->cond);
      }
    }
    pthread_mutex_unlock(&s->lock);
    if (accept && !stop && !accept_all(s) && !accept_paused_until) {
      epoll_ctl(s->ep, EPOLL_CTL_DEL, s->lfd, NULL);
      accept_paused_until = http_now_ms() + ACCEPT_PAUSE_MS;
    }
    /* Idle connections past their time (after this batch's events, so no
     * event of the batch refers to a closed one). */
    now = http_now_ms();
    pthread_mutex_lock(&s->lock);
    while (s->idle_head && s->idle_head->expires_ms <= now) {
      http_conn *c = s->idle_head;
      idle_remove(s, c);
      close(c->fd); /* also leaves the epoll set */
      free(c);
    }
    if (stop) {
      atomic_store(&s->stopping, 1);
      while (s->idle_head) {
        http_conn *c = s->idle_head;
        idle_remove(s, c);
        close(c->fd);
        free(c);
      }
      pthread_cond_broadcast(&s->cond);
    }
    pthread_mutex_unlock(&s->lock);
    if (stop) return;
  }
}

/* ---- the server ---- */

/* Splits "host:port", "[v6]:port" or ":port" into host (empty: any) and
 * port. */
static bool split_addr(const char *addr, char *host, size_t hcap, char *port, size_t pcap) {
  const char *colon;
  const char *h = addr;
  size_t hlen;
  if (addr[0] == '[') {
    const char *rb = strchr(addr, ']');
    if (!rb || rb[1] != ':') return false;
    h = addr + 1;
    hlen = (size_t)(rb - h);
    colon = rb + 1;
  } else {
    colon = strrchr(addr, ':');
    if (!colon) return false;
    hlen = (size_t)(colon - addr);
    if (memchr(addr, ':', hlen)) return false; /* a bare IPv6 address needs [] */
  }
  const char *p = colon + 1;
  size_t plen = strlen(p);
  if (plen == 0 || plen > 5 || hlen >= hcap || plen >= pcap) return false;
  unsigned v = 0;
  for (size_t i = 0; i < plen; i++) {
    if (p[i] < '0' || p[i] > '9') return false;
    v = v * 10 + (unsigned)(p[i] - '0');
  }
  if (v > 65535) return false;
  memcpy(host, h, hlen);
  host[hlen] = '\0';
  memcpy(port, p, plen + 1);
  return true;
}

static wasm_status bind_listener(http_server *s, const char *addr, wasm_error *err) {
  char host[256], port[8];
  if (!split_addr(addr, host, sizeof host, port, sizeof port))
    return fail(err, WASM_BAD_ARG, "invalid address %s (expected host:port or [v6]:port)", addr);
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                           .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
  struct addrinfo *list = NULL;
  int g = getaddrinfo(host[0] ? host : NULL, port, &hints, &list);
  if (g != 0) return fail(err, WASM_BAD_ARG, "cannot resolve address %s: %s", addr, gai_strerror(g));
  int last = 0;
  for (struct addrinfo *ai = list; ai; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last = errno;
      continue;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0) {
      struct sockaddr_storage ss;
      socklen_t sl = sizeof ss;
      getsockname(fd, (struct sockaddr *)&ss, &sl);
      format_addr((struct sockaddr *)&ss, s->addr, sizeof s->addr);
      s->lfd = fd;
      freeaddrinfo(list);
      return WASM_OK;
    }
    last = errno;
    close(fd);
  }
  freeaddrinfo(list);
  if (last == EADDRINUSE) return fail(err, WASM_BAD_ARG, "address %s is already in use", addr);
  if (last == EACCES) return fail(err, WASM_BAD_ARG, "address %s: permission denied", addr);
  if (last == EADDRNOTAVAIL)
    return fail(err, WASM_BAD_ARG, "address %s is not an address of this host", addr);
  return fail(err, WASM_BAD_ARG, "cannot listen on %s: %s", addr, strerror(last));
}

wasm_status http_server_new(const http_server_config *cfg, http_server **out, wasm_error *err) {
  *out = NULL;
  if (!cfg || !cfg->addr || !cfg->handler)
    return fail(err, WASM_BAD_ARG, "http_server_new: an address and a handler are needed");
  http_server *s = calloc(1, sizeof *s);
  if (!s) return fail(err, WASM_NOMEM, "out of memory");
  s->cfg = *cfg;
  s->lfd = s->efd = s->ep = -1;
  if (!s->cfg.workers) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    s->cfg.workers = n > 0 ? (unsigned)n : 1;
  }
  if (!s->cfg.max_header_bytes) s->cfg.max_header_bytes = 64 * 1024;
  if (!s->cfg.max_body_bytes) s->cfg.max_body_bytes = (uint64_t)1 << 30;
  if (!s->cfg.idle_timeout_ms) s->cfg.idle_timeout_ms = 60000;
  if (!s->cfg.io_timeout_ms) s->cfg.io_timeout_ms = 30000;
  /* poll() takes an int of milliseconds */
  if (s->cfg.idle_timeout_ms > INT32_MAX) s->cfg.idle_timeout_ms = INT32_MAX;
  if (s->cfg.io_timeout_ms > INT32_MAX) s->cfg.io_timeout_ms = INT32_MAX;
  pthread_mutex_init(&s->lock, NULL);
  pthread_cond_init(&s->cond, NULL);
  atomic_init(&s->stopping, 0);

  wasm_status st = bind_listener(s, cfg->addr, err);
  if (st != WASM_OK) {
    http_server_delete(s);
    return st;
  }
  s->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  s->ep = epoll_create1(EPOLL_CLOEXEC);
  if (s->efd < 0 || s->ep < 0) {
    st = fail(err, WASM_BAD_ARG, "http server: %s", strerror(errno));
    http_server_delete(s);
    return st;
  }
  struct epoll_event le = {.events = EPOLLIN, .data.ptr = &s->lfd};
  struct epoll_event ee = {.events = EPOLLIN, .data.ptr = &s->efd};
  if (epoll_ctl(s->ep, EPOLL_CTL_ADD, s->lfd, &le) < 0 ||
      epoll_ctl(s->ep, EPOLL_CTL_ADD, s->efd, &ee) < 0) {
    st = fail(err, WASM_BAD_ARG, "http server: epoll: %s", strerror(errno));
    http_server_delete(s);
    return st;
  }
  s->nworkers = s->cfg.workers;
  s->workers = calloc(s->nworkers, sizeof *s->workers);
  if (!s->workers) {
    http_server_delete(s);
    return fail(err, WASM_NOMEM, "out of memory");
  }
  for (unsigned i = 0; i < s->nworkers; i++) {
    http_worker *w = &s->workers[i];
    w->s = s;
    w->index = i;
    w->in_cap = s->cfg.max_header_bytes + HTTP_BODY_SLACK;
    w->in = malloc(w->in_cap);
    w->out = malloc(HTTP_OUT_CAP);
    if (!w->in || !w->out) {
      http_server_delete(s);
      return fail(err, WASM_NOMEM, "out of memory");
    }
  }
  *out = s;
  return WASM_OK;
}

const char *http_server_addr(const http_server *s) { return s->addr; }

wasm_status http_server_run(http_server *s, wasm_error *err) {
  if (s->ran) return fail(err, WASM_BAD_ARG, "http_server_run: the server already ran");
  s->ran = true;
  unsigned started = 0;
  for (; started < s->nworkers; started++) {
    http_worker *w = &s->workers[started];
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) break;
    w->running = true;
  }
  wasm_status st = WASM_OK;
  if (started < s->nworkers) {
    st = fail(err, WASM_NOMEM, "http server: cannot start worker thread %u", started);
    http_server_stop(s);
  }
  event_loop(s);
  close(s->lfd);
  s->lfd = -1;
  for (unsigned i = 0; i < s->nworkers; i++) {
    if (s->workers[i].running) pthread_join(s->workers[i].thread, NULL);
    s->workers[i].running = false;
  }
  return st;
}

void http_server_stop(http_server *s) {
  int saved = errno; /* may run in a signal handler */
  uint64_t one = 1;
  ssize_t r = write(s->efd, &one, sizeof one);
  (void)r; /* only fails when the counter is saturated: already stopping */
  errno = saved;
}

void http_server_delete(http_server *s) {
  if (!s) return;
  /* Connections can only remain when run was never called. */
  while (s->idle_head) {
    http_conn *c = s->idle_head;
    idle_remove(s, c);
    close(c->fd);
    free(c);
  }
  while (s->q_head) {
    http_conn *c = queue_pop(s);
    close(c->fd);
    free(c);
  }
  if (s->lfd >= 0) close(s->lfd);
  if (s->efd >= 0) close(s->efd);
  if (s->ep >= 0) close(s->ep);
  if (s->workers) {
    for (unsigned i = 0; i < s->nworkers; i++) {
      free(s->workers[i].in);
      free(s->workers[i].out);
    }
    free(s->workers);
  }
  pthread_mutex_destroy(&s->lock);
  pthread_cond_destroy(&s->cond);
  free(s);
}
