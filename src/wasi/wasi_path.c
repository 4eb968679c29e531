/* wasi_path.c: the path_* calls of wasi_snapshot_preview1. Each resolves
 * its path beneath the directory fd it is given (wasi_resolve.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi/wasi_internal.h"
#include "wasi/wasi_resolve.h"

#define HOST_ERR() wasi_errno_from_host(errno)

/* Host errno after a resolution: an escape is "not capable". */
static int resolve_err(int e) {
  return e == EXDEV ? WASI_ENOTCAPABLE : wasi_errno_from_host(e);
}

int wasi_path_copy(wasi_ctx *c, uint32_t ptr, uint32_t len, char *buf,
                   size_t cap) {
  if (len >= cap) return WASI_ENAMETOOLONG;
  const uint8_t *p = wasi_mem(c, ptr, len);
  if (!p) return WASI_EFAULT;
  if (memchr(p, 0, len)) return WASI_EILSEQ;
  memcpy(buf, p, len);
  buf[len] = '\0';
  return WASI_ESUCCESS;
}

/* Declares `char name[]` holding the guest path at (ptr, len), or returns
 * its errno. */
#define GET_PATH(name, ptr, len)                                              \
  char name[WASI_MAX_PATH];                                                   \
  {                                                                           \
    int pe_ = wasi_path_copy(c, (ptr), (len), name, sizeof name);             \
    if (pe_) return pe_;                                                      \
  }

/* A directory fd with the rights in need, or returns the errno. */
#define GET_DIR(f, fd, need)                                                  \
  int ge_;                                                                    \
  wasi_fd *f = wasi_fd_get(c, (fd), (need), &ge_);                            \
  if (!f) return ge_;                                                         \
  if (f->filetype != WASI_FILETYPE_DIRECTORY) return WASI_ENOTDIR

/* Opens the whole path beneath f for stat-like uses (following symlinks
 * when asked); a host fd or -(WASI errno). */
static int open_path(wasi_fd *f, const char *path, bool follow) {
  if (path[0] == '\0') return -WASI_ENOENT;
  int fd = wasi_open_beneath(f->host, path, O_PATH | (follow ? 0 : O_NOFOLLOW), 0);
  if (fd < 0) return -resolve_err(errno);
  return fd;
}

int wasi_fn_path_create_directory(wasi_ctx *c, const wasm_val *a,
                                  wasm_error *err) {
  GET_DIR(f, ARG32(0), WASI_R(PATH_CREATE_DIRECTORY));
  GET_PATH(path, ARG32(1), ARG32(2));
  wasi_at at;
  int e = wasi_resolve_parent(c, f, path, &at);
  if (e) return e;
  if (mkdirat(at.dir, at.name, 0777) != 0) e = HOST_ERR();
  wasi_at_close(&at);
  return e;
}

int wasi_fn_path_filestat_get(wasi_ctx *c, const wasm_val *a,
                              wasm_error *err) {
  GET_DIR(f, ARG32(0), WASI_R(PATH_FILESTAT_GET));
  GET_PATH(path, ARG32(2), ARG32(3));
  bool follow = ARG32(1) & WASI_LOOKUP_SYMLINK_FOLLOW;
  int fd = open_path(f, path, follow);
  if (fd < 0) return -fd;
  struct stat st;
  int e = fstat(fd, &st) == 0 ? WASI_ESUCCESS : HOST_ERR();
  close(fd);
  return e ? e : wasi_put_filestat(c, ARG32(4), &st);
}

int wasi_fn_path_filestat_set_times(wasi_ctx *c, const wasm_val *a,
                                    wasm_error *err) {
  GET_DIR(f, ARG32(0), WASI_R(PATH_FILESTAT_SET_TIMES));
  GET_PATH(path, ARG32(2), ARG32(3));
  struct timespec t[2];
  int e = wasi_times(ARG64(4), ARG64(5), ARG32(6), t);
  if (e) return e;
  bool follow = ARG32(1) & WASI_LOOKUP_SYMLINK_FOLLOW;
  if (follow) {
    int fd = open_path(f, path, true);
    if (fd < 0) return -fd;
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    e = utimensat(AT_FDCWD, proc, t, 0) == 0 ? WASI_ESUCCESS : HOST_ERR();
    close(fd);
    return e;
  }
  wasi_at at;
  e = wasi_resolve_parent(c, f, path, &at);
  if (e) return e;
  if (utimensat(at.dir, at.name, t, AT_SYMLINK_NOFOLLOW) != 0) e = HOST_ERR();
  wasi_at_close(&at);
  return e;
}

int wasi_fn_path_link(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  GET_DIR(from, ARG32(0), WASI_R(PATH_LINK_SOURCE));
  GET_PATH(old_path, ARG32(2), ARG32(3));
  int e2;
  wasi_fd *to = wasi_fd_get(c, ARG32(4), WASI_R(PATH_LINK_TARGET), &e2);
  if (!to) return e2;
  if (to->filetype != WASI_FILETYPE_DIRECTORY) return WASI_ENOTDIR;
  GET_PATH(new_path, ARG32(5), ARG32(6));
  wasi_at dst;
  int e = wasi_resolve_parent(c, to, new_path, &dst);
  if (e) return e;
  if (ARG32(1) & WASI_LOOKUP_SYMLINK_FOLLOW) {
    int fd = open_path(from, old_path, true);
    if (fd < 0) {
      wasi_at_close(&dst);
      return -fd;
    }
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    if (linkat(AT_FDCWD, proc, dst.dir, dst.name, AT_SYMLINK_FOLLOW) != 0)
      e = HOST_ERR();
    close(fd);
  } else {
    wasi_at src;
    e = wasi_resolve_parent(c, from, old_path, &src);
    if (!e) {
      if (linkat(src.dir, src.name, dst.dir, dst.name, 0) != 0) e = HOST_ERR();
      wasi_at_close(&src);
    }
  }
  wasi_at_close(&dst);
  return e;
}

/* Host open(2) flags for a path_open: the access mode follows the rights
 * asked for. */
static int open_flags(uint32_t oflags, uint32_t fdflags, uint64_t base) {
  int fl = O_NOCTTY;
  if (oflags & WASI_O_CREAT) fl |= O_CREAT;
  if (oflags & WASI_O_EXCL) fl |= O_EXCL;
  if (oflags & WASI_O_TRUNC) fl |= O_TRUNC;
  if (oflags & WASI_O_DIRECTORY) fl |= O_DIRECTORY;
  if (fdflags & WASI_FDFLAG_APPEND) fl |= O_APPEND;
  if (fdflags & WASI_FDFLAG_NONBLOCK) fl |= O_NONBLOCK;
  if (fdflags & WASI_FDFLAG_DSYNC) fl |= O_DSYNC;
  if (fdflags & WASI_FDFLAG_RSYNC) fl |= O_RSYNC;
  if (fdflags & WASI_FDFLAG_SYNC) fl |= O_SYNC;
  bool rd = base & (WASI_R(FD_READ) | WASI_R(FD_READDIR));
  bool wr = base & (WASI_R(FD_WRITE) | WASI_R(FD_DATASYNC) |
                    WASI_R(FD_ALLOCATE) | WASI_R(FD_FILESTAT_SET_SIZE));
  if (wr) fl |= rd ? O_RDWR : O_WRONLY;
  else fl |= O_RDONLY;
  return fl;
}

int wasi_fn_path_open(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  GET_DIR(f, ARG32(0), WASI_R(PATH_OPEN));
  GET_PATH(path, ARG32(2), ARG32(3));
  uint32_t dirflags = ARG32(1), oflags = ARG32(4), fdflags = ARG32(7);
  uint64_t base = ARG64(5), inh = ARG64(6);
  uint32_t out_ptr = ARG32(8);
  if (!wasi_mem(c, out_ptr, 4)) return WASI_EFAULT;
  if (oflags & ~(uint32_t)0xf) return WASI_EINVAL;
  if (fdflags & ~(uint32_t)0x1f) return WASI_EINVAL;
  if ((oflags & WASI_O_CREAT) && !(f->rights_base & WASI_R(PATH_CREATE_FILE)))
    return WASI_ENOTCAPABLE;
  if ((oflags & WASI_O_TRUNC) &&
      !(f->rights_base & WASI_R(PATH_FILESTAT_SET_SIZE)))
    return WASI_ENOTCAPABLE;
  /* A new descriptor gets at most what its directory may hand down
   * (libc asks for everything and expects the intersection). */
  base &= f->rights_inheriting;
  inh &= f->rights_inheriting;
  if (path[0] == '\0') return WASI_ENOENT;
  if (path[0] == '/') return WASI_ENOTCAPABLE;
  /* A directory cannot be opened for writing (POSIX: EISDIR). */
  if ((oflags & WASI_O_DIRECTORY) &&
      (base & (WASI_R(FD_WRITE) | WASI_R(FD_DATASYNC) | WASI_R(FD_ALLOCATE) |
               WASI_R(FD_FILESTAT_SET_SIZE))))
    return WASI_EISDIR;
  int fl = open_flags(oflags, fdflags, base);
  if (!(dirflags & WASI_LOOKUP_SYMLINK_FOLLOW)) fl |= O_NOFOLLOW;
  int fd = wasi_open_beneath(f->host, path, fl, 0666);
  if (fd < 0) return resolve_err(errno);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = HOST_ERR();
    close(fd);
    return e;
  }
  uint8_t type = wasi_filetype_of_mode(st.st_mode);
  if (type == WASI_FILETYPE_DIRECTORY) {
    base &= WASI_RIGHTS_DIR;
  } else {
    base &= WASI_RIGHTS_FILE;
    inh = 0;
    if ((fl & O_ACCMODE) == O_RDONLY)
      base &= ~(WASI_R(FD_WRITE) | WASI_R(FD_DATASYNC) | WASI_R(FD_ALLOCATE) |
                WASI_R(FD_FILESTAT_SET_SIZE));
  }
  if (type == WASI_FILETYPE_CHARACTER_DEVICE)
    base &= ~(WASI_R(FD_SEEK) | WASI_R(FD_TELL));
  int64_t nfd = wasi_fd_insert(c, fd, type, base, inh, (uint16_t)fdflags);
  if (nfd < 0) {
    close(fd);
    return WASI_EMFILE;
  }
  wasi_put_u32(c, out_ptr, (uint32_t)nfd);
  return WASI_ESUCCESS;
}

int wasi_fn_path_readlink(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  GET_DIR(f, ARG32(0), WASI_R(PATH_READLINK));
  GET_PATH(path, ARG32(1), ARG32(2));
  uint32_t buf_len = ARG32(4);
  uint8_t *buf = wasi_mem(c, ARG32(3), buf_len);
  if (!buf || !wasi_mem(c, ARG32(5), 4)) return WASI_EFAULT;
  wasi_at at;
  int e = wasi_resolve_parent(c, f, path, &at);
  if (e) return e;
  char target[WASI_MAX_PATH];
  ssize_t n = readlinkat(at.dir, at.name, target, sizeof target);
  if (n < 0) e = HOST_ERR();
  wasi_at_close(&at);
  if (e) return e;
  /* A target longer than the buffer is truncated, as readlink(2) does. */
  uint32_t len = (size_t)n < buf_len ? (uint32_t)n : buf_len;
  memcpy(buf, target, len);
  wasi_put_u32(c, ARG32(5), len);
  return WASI_ESUCCESS;
}

int wasi_fn_path_remove_directory(wasi_ctx *c, const wasm_val *a,
                                  wasm_error *err) {
  GET_DIR(f, ARG32(0), WASI_R(PATH_REMOVE_DIRECTORY));
  GET_PATH(path, ARG32(1), ARG32(2));
  wasi_at at;
  int e = wasi_resolve_parent(c, f, path, &at);
  if (e) return e;
  if (unlinkat(at.dir, at.name, AT_REMOVEDIR) != 0) {
    e = HOST_ERR();
    if (errno == EEXIST) e = WASI_ENOTEMPTY;
  }
  wasi_at_close(&at);
  return e;
}

int wasi_fn_path_rename(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  GET_DIR(from, ARG32(0), WASI_R(PATH_RENAME_SOURCE));
  GET_PATH(old_path, ARG32(1), ARG32(2));
  int e2;
  wasi_fd *to = wasi_fd_get(c, ARG32(3), WASI_R(PATH_RENAME_TARGET), &e2);
  if (!to) return e2;
  if (to->filetype != WASI_FILETYPE_DIRECTORY) return WASI_ENOTDIR;
  GET_PATH(new_path, ARG32(4), ARG32(5));
  wasi_at src, dst;
  int e = wasi_resolve_parent(c, from, old_path, &src);
  if (e) return e;
  e = wasi_resolve_parent(c, to, new_path, &dst);
  if (!e) {
    if (renameat(src.dir, src.name, dst.dir, dst.name) != 0) e = HOST_ERR();
    wasi_at_close(&dst);
  }
  wasi_at_close(&src);
  return e;
}

int wasi_fn_path_symlink(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  GET_PATH(target, ARG32(0), ARG32(1));
  GET_DIR(f, ARG32(2), WASI_R(PATH_SYMLINK));
  GET_PATH(path, ARG32(3), ARG32(4));
  /* An absolute target could never be followed inside the sandbox. */
  if (target[0] == '/') return WASI_EPERM;
  wasi_at at;
  int e = wasi_resolve_parent(c, f, path, &at);
  if (e) return e;
  if (symlinkat(target, at.dir, at.name) != 0) e = HOST_ERR();
  wasi_at_close(&at);
  return e;
}

int wasi_fn_path_unlink_file(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  GET_DIR(f, ARG32(0), WASI_R(PATH_UNLINK_FILE));
  GET_PATH(path, ARG32(1), ARG32(2));
  wasi_at at;
  int e = wasi_resolve_parent(c, f, path, &at);
  if (e) return e;
  if (unlinkat(at.dir, at.name, 0) != 0) e = HOST_ERR();
  wasi_at_close(&at);
  return e;
}
