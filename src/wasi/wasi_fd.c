/* wasi_fd.c: the fd_* calls of wasi_snapshot_preview1 (reads, writes,
 * seeking, stat, flags, rights, preopen names, readdir, renumber). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wasi/wasi_internal.h"

#define HOST_ERR() wasi_errno_from_host(errno)

/* Looks fd up with the rights in need, or returns its errno. */
#define GET_FD(f, fd, need)                                                   \
  int get_err_;                                                               \
  wasi_fd *f = wasi_fd_get(c, (fd), (need), &get_err_);                       \
  if (!f) return get_err_

/* Gathers the guest's iovec array [ptr, ptr + 8n) into host iovecs, each
 * buffer checked to lie in linear memory. */
static int gather_iovs(wasi_ctx *c, uint32_t ptr, uint32_t n,
                       struct iovec *out) {
  if (n > WASI_MAX_IOVS) return WASI_EINVAL;
  const uint8_t *v = wasi_mem(c, ptr, (uint64_t)n * 8);
  if (!v) return WASI_EFAULT;
  uint64_t total = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t buf, len;
    memcpy(&buf, v + 8 * (size_t)i, 4);
    memcpy(&len, v + 8 * (size_t)i + 4, 4);
    uint8_t *p = wasi_mem(c, buf, len);
    if (!p) return WASI_EFAULT;
    total += len;
    if (total > SSIZE_MAX) return WASI_EINVAL;
    out[i].iov_base = p;
    out[i].iov_len = len;
  }
  return WASI_ESUCCESS;
}

/* Reads or writes (with an offset when positioned) and stores the count. */
static int do_io(wasi_ctx *c, const wasm_val *a, bool write, bool positioned) {
  uint64_t need = write ? WASI_R(FD_WRITE) : WASI_R(FD_READ);
  if (positioned) need |= WASI_R(FD_SEEK);
  GET_FD(f, ARG32(0), need);
  if (f->filetype == WASI_FILETYPE_DIRECTORY) return WASI_EISDIR;
  uint32_t n = ARG32(2);
  uint32_t count_ptr = positioned ? ARG32(4) : ARG32(3);
  if (!wasi_mem(c, count_ptr, 4)) return WASI_EFAULT;
  struct iovec iov[64], *iovs = iov;
  if (n > 64) {
    if (n > WASI_MAX_IOVS) return WASI_EINVAL;
    iovs = malloc(n * sizeof *iovs);
    if (!iovs) return WASI_ENOMEM;
  }
  int e = gather_iovs(c, ARG32(1), n, iovs);
  ssize_t r = 0;
  if (e == WASI_ESUCCESS) {
    if (positioned) {
      int64_t off = (int64_t)ARG64(3);
      if (off < 0) e = WASI_EINVAL;
      else r = write ? pwritev(f->host, iovs, (int)n, off)
                     : preadv(f->host, iovs, (int)n, off);
    } else {
      r = write ? writev(f->host, iovs, (int)n) : readv(f->host, iovs, (int)n);
    }
    if (e == WASI_ESUCCESS && r < 0) e = HOST_ERR();
  }
  if (iovs != iov) free(iovs);
  if (e != WASI_ESUCCESS) return e;
  wasi_put_u32(c, count_ptr, (uint32_t)r);
  return WASI_ESUCCESS;
}

int wasi_fn_fd_read(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  return do_io(c, a, false, false);
}
int wasi_fn_fd_write(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  return do_io(c, a, true, false);
}
int wasi_fn_fd_pread(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  return do_io(c, a, false, true);
}
int wasi_fn_fd_pwrite(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  return do_io(c, a, true, true);
}

int wasi_fn_fd_close(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  GET_FD(f, ARG32(0), 0);
  (void)f;
  wasi_fd_release(c, ARG32(0));
  return WASI_ESUCCESS;
}

int wasi_fn_fd_advise(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  GET_FD(f, ARG32(0), WASI_R(FD_ADVISE));
  static const int advice[] = {POSIX_FADV_NORMAL, POSIX_FADV_SEQUENTIAL,
                               POSIX_FADV_RANDOM, POSIX_FADV_WILLNEED,
                               POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
  uint32_t adv = ARG32(3);
  if (adv >= sizeof advice / sizeof advice[0]) return WASI_EINVAL;
  if (f->filetype == WASI_FILETYPE_DIRECTORY) return WASI_EBADF;
  int64_t off = (int64_t)ARG64(1), len = (int64_t)ARG64(2);
  if (off < 0 || len < 0) return WASI_EINVAL;
  int r = posix_fadvise(f->host, off, len, advice[adv]);
  return r == 0 ? WASI_ESUCCESS : wasi_errno_from_host(r);
}

int wasi_fn_fd_allocate(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  GET_FD(f, ARG32(0), WASI_R(FD_ALLOCATE));
  if (f->filetype == WASI_FILETYPE_DIRECTORY) return WASI_EBADF;
  int64_t off = (int64_t)ARG64(1), len = (int64_t)ARG64(2);
  if (off < 0 || len <= 0) return WASI_EINVAL;
  int r = posix_fallocate(f->host, off, len);
  return r == 0 ? WASI_ESUCCESS : wasi_errno_from_host(r);
}

int wasi_fn_fd_datasync(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  GET_FD(f, ARG32(0), WASI_R(FD_DATASYNC));
  return fdatasync(f->host) == 0 ? WASI_ESUCCESS : HOST_ERR();
}

int wasi_fn_fd_sync(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  GET_FD(f, ARG32(0), WASI_R(FD_SYNC));
  return fsync(f->host) == 0 ? WASI_ESUCCESS : HOST_ERR();
}

int wasi_fn_fd_fdstat_get(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  GET_FD(f, ARG32(0), 0);
  uint8_t *p = wasi_mem(c, ARG32(1), 24);
  if (!p) return WASI_EFAULT;
  memset(p, 0, 24);
  p[0] = f->filetype;
  uint16_t flags = f->fdflags;
  int hf = fcntl(f->host, F_GETFL);
  if (hf >= 0) { /* the host's view wins for what it tracks */
    flags &= (uint16_t)~(WASI_FDFLAG_APPEND | WASI_FDFLAG_NONBLOCK);
    if (hf & O_APPEND) flags |= WASI_FDFLAG_APPEND;
    if (hf & O_NONBLOCK) flags |= WASI_FDFLAG_NONBLOCK;
  }
  memcpy(p + 2, &flags, 2);
  memcpy(p + 8, &f->rights_base, 8);
  memcpy(p + 16, &f->rights_inheriting, 8);
  return WASI_ESUCCESS;
}

int wasi_fn_fd_fdstat_set_flags(wasi_ctx *c, const wasm_val *a,
                                wasm_error *err) {
  GET_FD(f, ARG32(0), WASI_R(FD_FDSTAT_SET_FLAGS));
  uint32_t flags = ARG32(1);
  if (flags & ~(uint32_t)0x1f) return WASI_EINVAL;
  /* Linux cannot change the sync modes of an open file. */
  if (flags & (WASI_FDFLAG_DSYNC | WASI_FDFLAG_RSYNC | WASI_FDFLAG_SYNC))
    return WASI_ENOTSUP;
  int hf = fcntl(f->host, F_GETFL);
  if (hf < 0) return HOST_ERR();
  hf &= ~(O_APPEND | O_NONBLOCK);
  if (flags & WASI_FDFLAG_APPEND) hf |= O_APPEND;
  if (flags & WASI_FDFLAG_NONBLOCK) hf |= O_NONBLOCK;
  if (fcntl(f->host, F_SETFL, hf) < 0) return HOST_ERR();
  f->fdflags = (uint16_t)flags;
  return WASI_ESUCCESS;
}

int wasi_fn_fd_fdstat_set_rights(wasi_ctx *c, const wasm_val *a,
                                 wasm_error *err) {
  GET_FD(f, ARG32(0), 0);
  uint64_t base = ARG64(1), inh = ARG64(2);
  /* Rights can only be dropped, never regained. */
  if ((base & ~f->rights_base) || (inh & ~f->rights_inheriting))
    return WASI_ENOTCAPABLE;
  f->rights_base = base;
  f->rights_inheriting = inh;
  return WASI_ESUCCESS;
}

int wasi_fn_fd_filestat_get(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  GET_FD(f, ARG32(0), WASI_R(FD_FILESTAT_GET));
  struct stat st;
  if (fstat(f->host, &st) != 0) return HOST_ERR();
  int e = wasi_put_filestat(c, ARG32(1), &st);
  if (e == WASI_ESUCCESS && f->filetype != wasi_filetype_of_mode(st.st_mode))
    wasi_put_u8(c, ARG32(1) + 16, f->filetype); /* stdio as we report it */
  return e;
}

int wasi_fn_fd_filestat_set_size(wasi_ctx *c, const wasm_val *a,
                                 wasm_error *err) {
  GET_FD(f, ARG32(0), WASI_R(FD_FILESTAT_SET_SIZE));
  if (f->filetype == WASI_FILETYPE_DIRECTORY) return WASI_EISDIR;
  int64_t size = (int64_t)ARG64(1);
  if (size < 0) return WASI_EINVAL;
  return ftruncate(f->host, size) == 0 ? WASI_ESUCCESS : HOST_ERR();
}

int wasi_times(uint64_t atim, uint64_t mtim, uint32_t fst, struct timespec t[2]) {
  if (fst & ~(uint32_t)0xf) return WASI_EINVAL;
  if ((fst & WASI_FST_ATIM) && (fst & WASI_FST_ATIM_NOW)) return WASI_EINVAL;
  if ((fst & WASI_FST_MTIM) && (fst & WASI_FST_MTIM_NOW)) return WASI_EINVAL;
  uint64_t v[2] = {atim, mtim};
  uint32_t set[2] = {WASI_FST_ATIM, WASI_FST_MTIM};
  uint32_t now[2] = {WASI_FST_ATIM_NOW, WASI_FST_MTIM_NOW};
  for (int i = 0; i < 2; i++) {
    t[i].tv_sec = 0;
    if (fst & now[i]) t[i].tv_nsec = UTIME_NOW;
    else if (fst & set[i]) {
      t[i].tv_sec = (time_t)(v[i] / 1000000000u);
      t[i].tv_nsec = (long)(v[i] % 1000000000u);
    } else t[i].tv_nsec = UTIME_OMIT;
  }
  return WASI_ESUCCESS;
}

int wasi_fn_fd_filestat_set_times(wasi_ctx *c, const wasm_val *a,
                                  wasm_error *err) {
  GET_FD(f, ARG32(0), WASI_R(FD_FILESTAT_SET_TIMES));
  struct timespec t[2];
  int e = wasi_times(ARG64(1), ARG64(2), ARG32(3), t);
  if (e) return e;
  return futimens(f->host, t) == 0 ? WASI_ESUCCESS : HOST_ERR();
}

int wasi_fn_fd_prestat_get(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  GET_FD(f, ARG32(0), 0);
  if (!f->preopen) return WASI_EBADF;
  uint8_t *p = wasi_mem(c, ARG32(1), 8);
  if (!p) return WASI_EFAULT;
  uint32_t len = (uint32_t)strlen(f->preopen);
  memset(p, 0, 8); /* tag 0: dir */
  memcpy(p + 4, &len, 4);
  return WASI_ESUCCESS;
}

int wasi_fn_fd_prestat_dir_name(wasi_ctx *c, const wasm_val *a,
                                wasm_error *err) {
  GET_FD(f, ARG32(0), 0);
  if (!f->preopen) return WASI_EBADF;
  size_t len = strlen(f->preopen);
  if (ARG32(2) < len) return WASI_ENAMETOOLONG;
  uint8_t *p = wasi_mem(c, ARG32(1), len);
  if (!p) return WASI_EFAULT;
  memcpy(p, f->preopen, len);
  return WASI_ESUCCESS;
}

int wasi_fn_fd_seek(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  int64_t off = (int64_t)ARG64(1);
  uint32_t whence = ARG32(2);
  /* A pure "where am I" only needs the tell right. */
  uint64_t need = (whence == WASI_WHENCE_CUR && off == 0)
                      ? WASI_R(FD_TELL) : WASI_R(FD_SEEK) | WASI_R(FD_TELL);
  GET_FD(f, ARG32(0), need);
  if (f->filetype == WASI_FILETYPE_DIRECTORY) return WASI_EBADF;
  int hw;
  switch (whence) {
  case WASI_WHENCE_SET: hw = SEEK_SET; break;
  case WASI_WHENCE_CUR: hw = SEEK_CUR; break;
  case WASI_WHENCE_END: hw = SEEK_END; break;
  default: return WASI_EINVAL;
  }
  if (!wasi_mem(c, ARG32(3), 8)) return WASI_EFAULT;
  off_t r = lseek(f->host, off, hw);
  if (r < 0) return HOST_ERR();
  wasi_put_u64(c, ARG32(3), (uint64_t)r);
  return WASI_ESUCCESS;
}

int wasi_fn_fd_tell(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  GET_FD(f, ARG32(0), WASI_R(FD_TELL));
  if (f->filetype == WASI_FILETYPE_DIRECTORY) return WASI_EBADF;
  if (!wasi_mem(c, ARG32(1), 8)) return WASI_EFAULT;
  off_t r = lseek(f->host, 0, SEEK_CUR);
  if (r < 0) return HOST_ERR();
  wasi_put_u64(c, ARG32(1), (uint64_t)r);
  return WASI_ESUCCESS;
}

int wasi_fn_fd_renumber(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  uint32_t from = ARG32(0), to = ARG32(1);
  GET_FD(f, from, 0);
  int e2;
  if (!wasi_fd_get(c, to, 0, &e2)) return e2;
  if (from == to) return WASI_ESUCCESS;
  wasi_fd moved = *f;
  memset(f, 0, sizeof *f); /* ownership moves to `to` */
  f->host = -1;
  wasi_fd_release(c, to);
  c->fds[to] = moved;
  return WASI_ESUCCESS;
}

/* d_type to WASI filetype. */
static uint8_t dirent_type(unsigned char t) {
  switch (t) {
  case DT_REG: return WASI_FILETYPE_REGULAR_FILE;
  case DT_DIR: return WASI_FILETYPE_DIRECTORY;
  case DT_CHR: return WASI_FILETYPE_CHARACTER_DEVICE;
  case DT_BLK: return WASI_FILETYPE_BLOCK_DEVICE;
  case DT_LNK: return WASI_FILETYPE_SYMBOLIC_LINK;
  case DT_SOCK: return WASI_FILETYPE_SOCKET_STREAM;
  default: return WASI_FILETYPE_UNKNOWN;
  }
}

/* Entries are numbered from 0 in the order the host lists them; the cookie
 * of an entry is its number + 1. Each call re-reads the directory from the
 * start and skips `cookie` entries, so cookies stay valid between calls. */
int wasi_fn_fd_readdir(wasi_ctx *c, const wasm_val *a, wasm_error *err) {
  GET_FD(f, ARG32(0), WASI_R(FD_READDIR));
  if (f->filetype != WASI_FILETYPE_DIRECTORY) return WASI_ENOTDIR;
  uint32_t buf_len = ARG32(2);
  uint8_t *buf = wasi_mem(c, ARG32(1), buf_len);
  if (!buf || !wasi_mem(c, ARG32(4), 4)) return WASI_EFAULT;
  uint64_t cookie = ARG64(3);
  int d = openat(f->host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d < 0) return HOST_ERR();
  DIR *dir = fdopendir(d);
  if (!dir) {
    int e = HOST_ERR();
    close(d);
    return e;
  }
  uint32_t used = 0;
  uint64_t index = 0;
  int e = WASI_ESUCCESS;
  for (;;) {
    errno = 0;
    struct dirent *de = readdir(dir);
    if (!de) {
      if (errno) e = HOST_ERR();
      break;
    }
    if (index++ < cookie) continue;
    uint8_t head[24];
    uint64_t next = index, ino = de->d_ino;
    uint32_t namlen = (uint32_t)strlen(de->d_name);
    memset(head, 0, sizeof head);
    memcpy(head, &next, 8);
    memcpy(head + 8, &ino, 8);
    memcpy(head + 16, &namlen, 4);
    head[20] = dirent_type(de->d_type);
    if (de->d_type == DT_UNKNOWN) {
      struct stat st;
      if (fstatat(f->host, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        head[20] = wasi_filetype_of_mode(st.st_mode);
    }
    /* Truncate the last entry to fill the buffer: the guest sees
     * bufused == buf_len and asks again with a larger buffer. */
    uint32_t n = buf_len - used < 24 ? buf_len - used : 24;
    memcpy(buf + used, head, n);
    used += n;
    n = buf_len - used < namlen ? buf_len - used : namlen;
    memcpy(buf + used, de->d_name, n);
    used += n;
    if (used == buf_len) break;
  }
  closedir(dir);
  if (e) return e;
  wasi_put_u32(c, ARG32(4), used);
  return WASI_ESUCCESS;
}
