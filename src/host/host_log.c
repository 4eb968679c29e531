/* host_log.c: prefixing guest output lines with the component's name
 * (host_log.h). One thread polls every pipe; a line longer than the
 * buffer is written in pieces, each prefixed. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/host_internal.h"
#include "host/host_log.h"

#define LOG_LINE_MAX 4096

typedef struct log_src {
  int fd;
  char *prefix;
  char buf[LOG_LINE_MAX];
  size_t len;
  struct log_src *next;
} log_src;

struct host_log {
  FILE *out;
  int wake[2]; /* a byte on wake[1]: the source list changed, or stop */
  pthread_mutex_t mu;
  log_src *srcs;
  bool stop;
  pthread_t thread;
};

static void emit(host_log *l, log_src *s, const char *p, size_t n) {
  flockfile(l->out);
  fprintf(l->out, "[%s] %.*s\n", s->prefix, (int)n, p);
  fflush(l->out);
  funlockfile(l->out);
}

/* Writes every whole line of s's buffer; with flush also the rest. */
static void drain_lines(host_log *l, log_src *s, bool flush) {
  size_t start = 0;
  for (size_t i = 0; i < s->len; i++)
    if (s->buf[i] == '\n') {
      emit(l, s, s->buf + start, i - start);
      start = i + 1;
    }
  if ((flush || (start == 0 && s->len == sizeof s->buf)) && start < s->len) {
    emit(l, s, s->buf + start, s->len - start);
    start = s->len;
  }
  memmove(s->buf, s->buf + start, s->len - start);
  s->len -= start;
}

/* Reads what s has; false at its end (or on an error). */
static bool read_src(host_log *l, log_src *s) {
  ssize_t n = read(s->fd, s->buf + s->len, sizeof s->buf - s->len);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
  if (n <= 0) {
    drain_lines(l, s, true);
    return false;
  }
  s->len += (size_t)n;
  drain_lines(l, s, false);
  return true;
}

static void free_src(log_src *s) {
  close(s->fd);
  free(s->prefix);
  free(s);
}

static void *log_main(void *arg) {
  host_log *l = arg;
  for (;;) {
    pthread_mutex_lock(&l->mu);
    bool stop = l->stop;
    size_t n = 0;
    for (log_src *s = l->srcs; s; s = s->next) n++;
    struct pollfd *pf = calloc(n + 1, sizeof *pf);
    log_src **which = calloc(n + 1, sizeof *which);
    size_t k = 1;
    if (pf && which) {
      pf[0] = (struct pollfd){.fd = l->wake[0], .events = POLLIN};
      for (log_src *s = l->srcs; s; s = s->next) {
        pf[k] = (struct pollfd){.fd = s->fd, .events = POLLIN};
        which[k++] = s;
      }
    }
    pthread_mutex_unlock(&l->mu);
    if (!pf || !which) { /* out of memory: try again shortly */
      free(pf);
      free(which);
      if (stop) break;
      usleep(10000);
      continue;
    }
    /* when stopping, only what is buffered already is read */
    int r = poll(pf, k, stop ? 0 : -1);
    if (r > 0 && (pf[0].revents & POLLIN)) {
      char tmp[64];
      while (read(l->wake[0], tmp, sizeof tmp) > 0) {}
    }
    for (size_t i = 1; r > 0 && i < k; i++) {
      if (!pf[i].revents) continue;
      if (read_src(l, which[i])) continue;
      pthread_mutex_lock(&l->mu);
      for (log_src **pp = &l->srcs; *pp; pp = &(*pp)->next)
        if (*pp == which[i]) {
          *pp = which[i]->next;
          break;
        }
      pthread_mutex_unlock(&l->mu);
      free_src(which[i]);
    }
    free(pf);
    free(which);
    if (stop && r <= 0) break;
  }
  return NULL;
}

wasm_status host_log_new(FILE *out, host_log **lp, wasm_error *err) {
  *lp = NULL;
  host_log *l = calloc(1, sizeof *l);
  if (!l) return host_fail(err, WASM_NOMEM, "out of memory");
  l->out = out;
  if (pipe2(l->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    free(l);
    return host_fail(err, WASM_BAD_ARG, "log pipe: %s", strerror(errno));
  }
  pthread_mutex_init(&l->mu, NULL);
  if (pthread_create(&l->thread, NULL, log_main, l) != 0) {
    close(l->wake[0]);
    close(l->wake[1]);
    pthread_mutex_destroy(&l->mu);
    free(l);
    return host_fail(err, WASM_NOMEM, "cannot start the log thread");
  }
  *lp = l;
  return WASM_OK;
}

static void wake(host_log *l) {
  ssize_t r = write(l->wake[1], "x", 1);
  (void)r; /* a full pipe wakes the thread just as well */
}

wasm_status host_log_pipe(host_log *l, const char *prefix, int *fd, wasm_error *err) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return host_fail(err, WASM_BAD_ARG, "log pipe: %s", strerror(errno));
  log_src *s = calloc(1, sizeof *s);
  if (s) s->prefix = strdup(prefix);
  if (!s || !s->prefix) {
    free(s);
    close(p[0]);
    close(p[1]);
    return host_fail(err, WASM_NOMEM, "out of memory");
  }
  fcntl(p[0], F_SETFL, O_NONBLOCK);
  s->fd = p[0];
  pthread_mutex_lock(&l->mu);
  s->next = l->srcs;
  l->srcs = s;
  pthread_mutex_unlock(&l->mu);
  wake(l);
  *fd = p[1];
  return WASM_OK;
}

void host_log_delete(host_log *l) {
  if (!l) return;
  pthread_mutex_lock(&l->mu);
  l->stop = true;
  pthread_mutex_unlock(&l->mu);
  wake(l);
  pthread_join(l->thread, NULL);
  for (log_src *s = l->srcs, *next; s; s = next) {
    next = s->next;
    drain_lines(l, s, true);
    free_src(s);
  }
  close(l->wake[0]);
  close(l->wake[1]);
  pthread_mutex_destroy(&l->mu);
  free(l);
}
