/* wasi_resolve.c: sandboxed path resolution. Every guest path is resolved
 * beneath a directory descriptor: with openat2(RESOLVE_BENEATH) when the
 * kernel has it (Linux >= 5.6), otherwise by walking the components one by
 * one with O_NOFOLLOW, following relative symlinks by hand, and refusing
 * absolute paths, absolute symlinks and ".." above the starting directory. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "wasi/wasi_internal.h"
#include "wasi/wasi_resolve.h"

#define MAX_SYMLINKS 40

static int have_openat2 = -1; /* unknown until first try */

#define WALK_MAX_DEPTH 1024

/* Manual walk: opens path beneath dirfd. Returns an fd or -1 with errno
 * (EXDEV for an escape, like openat2). The directories walked through are
 * kept open on a stack, so ".." pops it instead of asking the host, and a
 * relative symlink is spliced into the rest of the path. */
static int walk_open(int dirfd, const char *path, int flags, mode_t mode) {
  if (path[0] == '/') {
    errno = EXDEV;
    return -1;
  }
  bool follow = !(flags & O_NOFOLLOW);
  char *buf = strdup(path);
  int *stack = malloc(WALK_MAX_DEPTH * sizeof *stack);
  if (!buf || !stack) {
    free(buf);
    free(stack);
    errno = ENOMEM;
    return -1;
  }
  int depth = 0, links = 0, result = -1, saved = 0;
  stack[0] = dirfd;
  char *p = buf;
  for (;;) {
    while (*p == '/') p++;
    int cur = stack[depth];
    if (*p == '\0') { /* empty, or only slashes left: the directory itself */
      result = openat(cur, ".", flags | O_DIRECTORY, mode);
      if (result < 0) saved = errno;
      break;
    }
    char *rest = p;
    while (*rest && *rest != '/') rest++;
    size_t clen = (size_t)(rest - p);
    const char *q = rest;
    while (*q == '/') q++;
    bool last = *q == '\0', trailing = *rest == '/';
    char comp[NAME_MAX + 1];
    if (clen > NAME_MAX) {
      saved = ENAMETOOLONG;
      break;
    }
    memcpy(comp, p, clen);
    comp[clen] = '\0';
    p = rest;
    if (strcmp(comp, ".") == 0) {
      if (!last) continue;
      result = openat(cur, ".", flags | (trailing ? O_DIRECTORY : 0), mode);
      if (result < 0) saved = errno;
      break;
    }
    if (strcmp(comp, "..") == 0) {
      if (depth == 0) {
        saved = EXDEV;
        break;
      }
      close(stack[depth--]);
      if (!last) continue;
      result = openat(stack[depth], ".", flags | (trailing ? O_DIRECTORY : 0), mode);
      if (result < 0) saved = errno;
      break;
    }
    struct stat st;
    if ((!last || trailing || follow) &&
        fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
      /* Follow by hand: replace the component with the link's target. */
      char target[WASI_MAX_PATH];
      ssize_t n = readlinkat(cur, comp, target, sizeof target - 1);
      if (n < 0) {
        saved = errno;
        break;
      }
      target[n] = '\0';
      if (target[0] == '/') {
        saved = EXDEV;
        break;
      }
      if (++links > MAX_SYMLINKS) {
        saved = ELOOP;
        break;
      }
      size_t rlen = strlen(rest);
      char *nb = malloc((size_t)n + rlen + 2);
      if (!nb) {
        saved = ENOMEM;
        break;
      }
      memcpy(nb, target, (size_t)n);
      nb[n] = '/';
      memcpy(nb + n + 1, rest, rlen + 1);
      if (rlen == 0) nb[n] = '\0'; /* keep "no trailing slash" as it was */
      free(buf);
      buf = p = nb;
      continue;
    }
    if (last) {
      result = openat(cur, comp, flags | O_NOFOLLOW | (trailing ? O_DIRECTORY : 0), mode);
      if (result < 0) saved = errno;
      break;
    }
    int fd = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      saved = errno;
      break;
    }
    if (depth + 1 >= WALK_MAX_DEPTH) {
      close(fd);
      saved = ENAMETOOLONG;
      break;
    }
    stack[++depth] = fd;
  }
  while (depth > 0) close(stack[depth--]);
  free(stack);
  free(buf);
  if (result < 0) errno = saved ? saved : EIO;
  return result;
}

int wasi_open_beneath(int dirfd, const char *path, int flags, mode_t mode) {
  /* STRATUS_WASI_NO_OPENAT2=1 forces the portable walk (for its tests). */
  if (have_openat2 < 0 && getenv("STRATUS_WASI_NO_OPENAT2")) have_openat2 = 0;
  if (have_openat2 != 0) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)(flags | O_CLOEXEC);
    how.mode = ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) ? mode : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    long r = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    if (r >= 0 || (errno != ENOSYS && errno != EPERM)) {
      if (r >= 0) have_openat2 = 1;
      if (r < 0 && errno == EAGAIN) { /* raced a rename: retry once */
        r = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
      }
      return (int)r;
    }
    if (have_openat2 == 1) return -1; /* a genuine EPERM */
    have_openat2 = 0;
  }
  return walk_open(dirfd, path, flags | O_CLOEXEC, mode);
}

int wasi_resolve_parent(wasi_ctx *c, wasi_fd *base, const char *path,
                        wasi_at *at) {
  at->dir = -1;
  at->name = NULL;
  at->own = false;
  if (path[0] == '\0') return WASI_ENOENT;
  if (path[0] == '/') return WASI_ENOTCAPABLE;
  size_t len = strlen(path);
  /* The last component, with any trailing slashes kept on it. */
  size_t end = len;
  while (end > 0 && path[end - 1] == '/') end--;
  size_t start = end;
  while (start > 0 && path[start - 1] != '/') start--;
  at->name = path + start;
  size_t nlen = end - start;
  if (start == 0) {
    at->dir = base->host;
  } else {
    char *dir = strndup(path, start);
    if (!dir) return WASI_ENOMEM;
    int fd = wasi_open_beneath(base->host, dir, O_PATH | O_DIRECTORY, 0);
    int e = errno;
    free(dir);
    if (fd < 0) return e == EXDEV ? WASI_ENOTCAPABLE : wasi_errno_from_host(e);
    at->dir = fd;
    at->own = true;
  }
  /* ".." as the last component must not name the directory above the
   * preopen: check the whole path resolves beneath it. */
  if (nlen == 2 && at->name[0] == '.' && at->name[1] == '.') {
    int fd = wasi_open_beneath(base->host, path, O_PATH, 0);
    if (fd < 0 && errno == EXDEV) {
      wasi_at_close(at);
      return WASI_ENOTCAPABLE;
    }
    if (fd >= 0) close(fd);
  }
  return WASI_ESUCCESS;
}

void wasi_at_close(wasi_at *at) {
  if (at->own && at->dir >= 0) close(at->dir);
  at->dir = -1;
  at->own = false;
}
