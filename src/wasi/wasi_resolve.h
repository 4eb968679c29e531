/* wasi_resolve.h: sandboxed path resolution beneath a directory fd. */
#ifndef STRATUS_WASI_RESOLVE_H
#define STRATUS_WASI_RESOLVE_H

#include <stdbool.h>
#include <sys/types.h>

#include "wasi/wasi_internal.h"

/* openat(dirfd, path, flags, mode) that can never leave dirfd: absolute
 * paths, ".." above dirfd and symlinks escaping it fail with EXDEV.
 * O_NOFOLLOW applies to the last component only. Returns fd or -1/errno. */
int wasi_open_beneath(int dirfd, const char *path, int flags, mode_t mode);

/* A path split into an open parent directory and a last component, for the
 * *at() calls that act on a directory entry itself. */
typedef struct wasi_at {
  int dir;          /* parent directory (host fd) */
  const char *name; /* last component, trailing slashes kept; points into
                       the path given to wasi_resolve_parent */
  bool own;         /* dir was opened by us */
} wasi_at;

/* Resolves everything but the last component of path beneath base; a
 * WASI errno (notcapable for an escape). On success close with
 * wasi_at_close. */
int wasi_resolve_parent(wasi_ctx *c, wasi_fd *base, const char *path,
                        wasi_at *at);
void wasi_at_close(wasi_at *at);

#endif
