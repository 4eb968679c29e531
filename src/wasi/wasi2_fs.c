/* wasi2_fs.c: wasi:filesystem 0.2: types (descriptor, directory-entry-stream)
 * and preopens. The guest reaches only the preopened directories: every
 * path goes through the preview1 layer's resolver (wasi_resolve.c), which
 * refuses absolute paths, ".." above the directory and symlinks leading
 * out of it. A read-only preopen (and everything below it) never gets the
 * write or mutate-directory flags. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi/wasi2_internal.h"
#include "wasi/wasi_resolve.h"

enum { /* descriptor-type */
  DT_UNKNOWN_ = 0, DT_BLOCK = 1, DT_CHAR = 2, DT_DIR_ = 3, DT_FIFO_ = 4, DT_SYMLINK = 5,
  DT_FILE = 6, DT_SOCKET = 7,
};
enum { /* descriptor-flags */
  DF_READ = 1, DF_WRITE = 2, DF_FILE_SYNC = 4, DF_DATA_SYNC = 8, DF_REQ_SYNC = 16,
  DF_MUTATE = 32,
};
enum { OF_CREATE = 1, OF_DIRECTORY = 2, OF_EXCLUSIVE = 4, OF_TRUNCATE = 8 };
enum { PF_FOLLOW = 1 };

/* error-code cases 0..35 in WIT order, as host errnos (cross-device, the
 * last case, is never reported: the resolver's EXDEV means "escapes the
 * directory", which is not-permitted). */
static const int fs_errnos[] = {
    EACCES, EAGAIN, EALREADY, EBADF, EBUSY, EDEADLK, EDQUOT, EEXIST, EFBIG, EILSEQ,
    EINPROGRESS, EINTR, EINVAL, EIO, EISDIR, ELOOP, EMLINK, EMSGSIZE, ENAMETOOLONG, ENODEV,
    ENOENT, ENOLCK, ENOMEM, ENOSPC, ENOTDIR, ENOTEMPTY, ENOTRECOVERABLE, ENOTSUP, ENOTTY,
    ENXIO, EOVERFLOW, EPERM, EPIPE, EROFS, ESPIPE, ETXTBSY,
};
enum { FS_IO = 13, FS_NOT_PERMITTED = 31 };

uint32_t w2_fs_code(int e) {
  if (e == EXDEV) return FS_NOT_PERMITTED;
  for (uint32_t i = 0; i < sizeof fs_errnos / sizeof fs_errnos[0]; i++)
    if (fs_errnos[i] == e) return i;
  return FS_IO;
}

static wasm_status fs_err(cm_val *res, int e, wasm_error *err) {
  return w2_err_enum(res, w2_fs_code(e), err);
}

static uint32_t flags_arg(const cm_val *v) {
  return v->kind == CM_FLAGS && v->of.flags.words ? v->of.flags.words[0] : 0;
}

static uint8_t type_of_mode(mode_t m) {
  if (S_ISREG(m)) return DT_FILE;
  if (S_ISDIR(m)) return DT_DIR_;
  if (S_ISLNK(m)) return DT_SYMLINK;
  if (S_ISCHR(m)) return DT_CHAR;
  if (S_ISBLK(m)) return DT_BLOCK;
  if (S_ISFIFO(m)) return DT_FIFO_;
  if (S_ISSOCK(m)) return DT_SOCKET;
  return DT_UNKNOWN_;
}

/* A new descriptor object owning fd; *out an own handle. */
static wasm_status new_desc(wasi2_ctx *c, int fd, uint32_t flags, cm_val *out, wasm_error *err) {
  struct stat st;
  uint8_t type = fstat(fd, &st) == 0 ? type_of_mode(st.st_mode) : DT_UNKNOWN_;
  uint32_t rep;
  w2_obj *o = w2_obj_alloc(c, W2_DESCRIPTOR, &rep);
  if (!o) {
    close(fd);
    return w2_trap(err, "wasi: too many resources");
  }
  o->fd = fd;
  o->own_fd = true;
  o->u.desc.type = type;
  o->u.desc.flags = flags;
  return w2_handle(c, W2_DESCRIPTOR, rep, out, err);
}

#define DESC(o, i)                                                            \
  w2_obj *o = w2_get(env, W2_DESCRIPTOR, &a[i], NULL, err);                   \
  if (!o) return WASM_TRAP

/* A path argument; NULL with *res filled (error-code) or a trap. */
static char *path_arg(const cm_val *v, cm_val *res, wasm_status *st, wasm_error *err) {
  bool bad;
  *st = WASM_OK;
  if (v->kind == CM_STRING && v->of.str.len >= W2_MAX_PATH) {
    *st = fs_err(res, ENAMETOOLONG, err);
    return NULL;
  }
  char *p = w2_arg_str(v, &bad);
  if (!p) *st = bad ? fs_err(res, EILSEQ, err) : w2_nomem(err);
  return p;
}

/* Resolves path beneath directory o into parent + name (wasi_resolve). */
static int resolve_at(w2_obj *o, const char *path, wasi_at *at) {
  wasi_fd base = {.used = true, .host = o->fd};
  int e = wasi_resolve_parent(NULL, &base, path, at);
  if (e == WASI_ESUCCESS) return 0;
  if (e == WASI_ENOTCAPABLE) return EXDEV;
  if (e == WASI_ENOENT) return ENOENT;
  if (e == WASI_ENOMEM) return ENOMEM;
  if (e == WASI_ENOTDIR) return ENOTDIR;
  if (e == WASI_ELOOP) return ELOOP;
  if (e == WASI_EACCES) return EACCES;
  if (e == WASI_ENAMETOOLONG) return ENAMETOOLONG;
  return EIO;
}

/* ---- descriptor: data ---- */

static wasm_status d_read_via_stream(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                     cm_val *res, wasm_error *err) {
  DESC(o, 0);
  if (!(o->u.desc.flags & DF_READ)) return fs_err(res, EBADF, err);
  if (o->u.desc.type == DT_DIR_) return fs_err(res, EISDIR, err);
  int fd = fcntl(o->fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return fs_err(res, errno, err);
  cm_val s;
  wasm_status st = w2_new_input(env, fd, true, W2_IO_FILE, a[1].of.u, &s, err);
  return st ? st : w2_ok(res, &s, err);
}

static wasm_status write_stream(wasi2_ctx *c, w2_obj *o, uint64_t off, bool append, cm_val *res,
                                wasm_error *err) {
  if (!(o->u.desc.flags & DF_WRITE)) return fs_err(res, EBADF, err);
  if (o->u.desc.type == DT_DIR_) return fs_err(res, EISDIR, err);
  int fd = fcntl(o->fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return fs_err(res, errno, err);
  cm_val s;
  wasm_status st = w2_new_output(c, fd, true, W2_IO_FILE, off, append, &s, err);
  return st ? st : w2_ok(res, &s, err);
}

static wasm_status d_write_via_stream(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                      cm_val *res, wasm_error *err) {
  DESC(o, 0);
  return write_stream(env, o, a[1].of.u, false, res, err);
}

static wasm_status d_append_via_stream(void *env, cm_instance *caller, const cm_val *a,
                                       size_t n, cm_val *res, wasm_error *err) {
  DESC(o, 0);
  return write_stream(env, o, 0, true, res, err);
}

static wasm_status d_advise(void *env, cm_instance *caller, const cm_val *a, size_t n,
                            cm_val *res, wasm_error *err) {
  DESC(o, 0);
  static const int adv[] = {POSIX_FADV_NORMAL, POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
                            POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
  uint32_t k = a[3].of.variant.disc;
  if (k < 6 && o->u.desc.type == DT_FILE)
    posix_fadvise(o->fd, (off_t)a[1].of.u, (off_t)a[2].of.u, adv[k]);
  return w2_ok(res, NULL, err);
}

static wasm_status d_sync_data(void *env, cm_instance *caller, const cm_val *a, size_t n,
                               cm_val *res, wasm_error *err) {
  DESC(o, 0);
  if (fdatasync(o->fd) != 0 && errno != EINVAL) return fs_err(res, errno, err);
  return w2_ok(res, NULL, err);
}

static wasm_status d_sync(void *env, cm_instance *caller, const cm_val *a, size_t n,
                          cm_val *res, wasm_error *err) {
  DESC(o, 0);
  if (fsync(o->fd) != 0 && errno != EINVAL) return fs_err(res, errno, err);
  return w2_ok(res, NULL, err);
}

static wasm_status d_get_flags(void *env, cm_instance *caller, const cm_val *a, size_t n,
                               cm_val *res, wasm_error *err) {
  DESC(o, 0);
  cm_val f;
  if (!w2_flags(&f, o->u.desc.flags)) return w2_nomem(err);
  return w2_ok(res, &f, err);
}

static wasm_status d_get_type(void *env, cm_instance *caller, const cm_val *a, size_t n,
                              cm_val *res, wasm_error *err) {
  DESC(o, 0);
  cm_val t = w2_enum(o->u.desc.type);
  return w2_ok(res, &t, err);
}

static wasm_status d_set_size(void *env, cm_instance *caller, const cm_val *a, size_t n,
                              cm_val *res, wasm_error *err) {
  DESC(o, 0);
  if (!(o->u.desc.flags & DF_WRITE)) return fs_err(res, EBADF, err);
  if (a[1].of.u > INT64_MAX) return fs_err(res, EFBIG, err);
  if (ftruncate(o->fd, (off_t)a[1].of.u) != 0) return fs_err(res, errno, err);
  return w2_ok(res, NULL, err);
}

/* new-timestamp: no-change, now, timestamp(datetime) */
static void timespec_of(const cm_val *v, struct timespec *ts) {
  ts->tv_sec = 0;
  /* named types are matched by kind only: check before looking inside */
  if (v->kind != CM_VARIANT || v->of.variant.disc == 0) ts->tv_nsec = UTIME_OMIT;
  else if (v->of.variant.disc == 1 || !v->of.variant.payload) ts->tv_nsec = UTIME_NOW;
  else {
    const cm_val *dt = v->of.variant.payload;
    bool rec = dt->kind == CM_RECORD;
    ts->tv_sec = rec && dt->of.list.n >= 2 ? (time_t)dt->of.list.elems[0].of.u : 0;
    ts->tv_nsec = rec && dt->of.list.n >= 2 ? (long)(dt->of.list.elems[1].of.u % 1000000000u) : 0;
  }
}

/* May the guest change the metadata of o (a file: write, a dir: mutate)? */
static bool may_modify(const w2_obj *o) {
  return o->u.desc.type == DT_DIR_ ? (o->u.desc.flags & DF_MUTATE) != 0
                                   : (o->u.desc.flags & DF_WRITE) != 0;
}

static wasm_status d_set_times(void *env, cm_instance *caller, const cm_val *a, size_t n,
                               cm_val *res, wasm_error *err) {
  DESC(o, 0);
  if (!may_modify(o)) return fs_err(res, EPERM, err);
  struct timespec ts[2];
  timespec_of(&a[1], &ts[0]);
  timespec_of(&a[2], &ts[1]);
  if (futimens(o->fd, ts) != 0) return fs_err(res, errno, err);
  return w2_ok(res, NULL, err);
}

static wasm_status d_read(void *env, cm_instance *caller, const cm_val *a, size_t n,
                          cm_val *res, wasm_error *err) {
  DESC(o, 0);
  if (!(o->u.desc.flags & DF_READ)) return fs_err(res, EBADF, err);
  uint64_t len = a[1].of.u, off = a[2].of.u;
  if (len > W2_MAX_IO) len = W2_MAX_IO;
  if (off > INT64_MAX) return fs_err(res, EINVAL, err);
  uint8_t *buf = malloc(len ? len : 1);
  if (!buf) return w2_nomem(err);
  ssize_t r = len ? pread(o->fd, buf, (size_t)len, (off_t)off) : 0;
  wasm_status st;
  if (r < 0) {
    st = fs_err(res, errno, err);
  } else {
    cm_val t;
    if (!cm_val_agg(&t, CM_TUPLE, 2) || !cm_val_bytes(&t.of.list.elems[0], buf, (size_t)r)) {
      cm_val_free(&t);
      st = w2_nomem(err);
    } else {
      t.of.list.elems[1] = w2_bool(r == 0 && len > 0);
      st = w2_ok(res, &t, err);
    }
  }
  free(buf);
  return st;
}

static wasm_status d_write(void *env, cm_instance *caller, const cm_val *a, size_t n,
                           cm_val *res, wasm_error *err) {
  DESC(o, 0);
  if (!(o->u.desc.flags & DF_WRITE)) return fs_err(res, EBADF, err);
  if (a[2].of.u > INT64_MAX) return fs_err(res, EINVAL, err);
  size_t len;
  uint8_t *buf = w2_arg_bytes(&a[1], &len);
  if (!buf) return w2_nomem(err);
  ssize_t r = pwrite(o->fd, buf, len, (off_t)a[2].of.u);
  free(buf);
  if (r < 0) return fs_err(res, errno, err);
  cm_val v = w2_u64((uint64_t)r);
  return w2_ok(res, &v, err);
}

/* ---- descriptor: metadata ---- */

static bool some_datetime(cm_val *out, const struct timespec *ts) {
  cm_val d;
  if (!cm_val_agg(&d, CM_RECORD, 2)) return false;
  d.of.list.elems[0] = w2_u64((uint64_t)ts->tv_sec);
  d.of.list.elems[1] = w2_u32((uint32_t)ts->tv_nsec);
  return cm_val_case(out, CM_OPTION, 1, &d);
}

static wasm_status stat_result(const struct stat *st, cm_val *res, wasm_error *err) {
  cm_val r;
  if (!cm_val_agg(&r, CM_RECORD, 6)) return w2_nomem(err);
  r.of.list.elems[0] = w2_enum(type_of_mode(st->st_mode));
  r.of.list.elems[1] = w2_u64((uint64_t)st->st_nlink);
  r.of.list.elems[2] = w2_u64((uint64_t)st->st_size);
  if (!some_datetime(&r.of.list.elems[3], &st->st_atim) ||
      !some_datetime(&r.of.list.elems[4], &st->st_mtim) ||
      !some_datetime(&r.of.list.elems[5], &st->st_ctim)) {
    cm_val_free(&r);
    return w2_nomem(err);
  }
  return w2_ok(res, &r, err);
}

static wasm_status d_stat(void *env, cm_instance *caller, const cm_val *a, size_t n,
                          cm_val *res, wasm_error *err) {
  DESC(o, 0);
  struct stat st;
  if (fstat(o->fd, &st) != 0) return fs_err(res, errno, err);
  return stat_result(&st, res, err);
}

/* stat of path beneath o: following a final symlink (beneath o too) or
 * not. Returns 0 or a host errno. */
static int stat_at(w2_obj *o, uint32_t pflags, const char *path, struct stat *st) {
  if (pflags & PF_FOLLOW) {
    int fd = wasi_open_beneath(o->fd, path, O_PATH, 0);
    if (fd < 0) return errno;
    int r = fstat(fd, st) == 0 ? 0 : errno;
    close(fd);
    return r;
  }
  wasi_at at;
  int e = resolve_at(o, path, &at);
  if (e) return e;
  int r = fstatat(at.dir, at.name, st, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : errno;
  wasi_at_close(&at);
  return r;
}

#define PATH(p, i)                                                            \
  wasm_status pst_;                                                           \
  char *p = path_arg(&a[i], res, &pst_, err);                                 \
  if (!p) return pst_

static wasm_status d_stat_at(void *env, cm_instance *caller, const cm_val *a, size_t n,
                             cm_val *res, wasm_error *err) {
  DESC(o, 0);
  PATH(path, 2);
  struct stat st;
  int e = stat_at(o, flags_arg(&a[1]), path, &st);
  free(path);
  return e ? fs_err(res, e, err) : stat_result(&st, res, err);
}

static wasm_status d_set_times_at(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                  cm_val *res, wasm_error *err) {
  DESC(o, 0);
  if (!(o->u.desc.flags & DF_MUTATE)) return fs_err(res, EPERM, err);
  PATH(path, 2);
  struct timespec ts[2];
  timespec_of(&a[3], &ts[0]);
  timespec_of(&a[4], &ts[1]);
  int e = 0;
  if (flags_arg(&a[1]) & PF_FOLLOW) {
    int fd = wasi_open_beneath(o->fd, path, O_PATH, 0);
    if (fd < 0) e = errno;
    else {
      char proc[64];
      snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
      if (utimensat(AT_FDCWD, proc, ts, 0) != 0) e = errno;
      close(fd);
    }
  } else {
    wasi_at at;
    if (!(e = resolve_at(o, path, &at))) {
      if (utimensat(at.dir, at.name, ts, AT_SYMLINK_NOFOLLOW) != 0) e = errno;
      wasi_at_close(&at);
    }
  }
  free(path);
  return e ? fs_err(res, e, err) : w2_ok(res, NULL, err);
}

static wasm_status d_is_same_object(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                    cm_val *res, wasm_error *err) {
  DESC(o, 0);
  DESC(p, 1);
  struct stat x, y;
  bool same = fstat(o->fd, &x) == 0 && fstat(p->fd, &y) == 0 && x.st_dev == y.st_dev &&
              x.st_ino == y.st_ino;
  *res = w2_bool(same);
  return WASM_OK;
}

static wasm_status hash_result(const struct stat *st, cm_val *res, wasm_error *err) {
  cm_val h;
  if (!cm_val_agg(&h, CM_RECORD, 2)) return w2_nomem(err);
  /* a mix of device and inode: equal for the same object, opaque otherwise */
  uint64_t lo = (uint64_t)st->st_ino * 0x9e3779b97f4a7c15ull ^ (uint64_t)st->st_dev;
  h.of.list.elems[0] = w2_u64(lo);
  h.of.list.elems[1] = w2_u64((uint64_t)st->st_dev * 0xc2b2ae3d27d4eb4full ^ st->st_ino);
  return w2_ok(res, &h, err);
}

static wasm_status d_metadata_hash(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                   cm_val *res, wasm_error *err) {
  DESC(o, 0);
  struct stat st;
  if (fstat(o->fd, &st) != 0) return fs_err(res, errno, err);
  return hash_result(&st, res, err);
}

static wasm_status d_metadata_hash_at(void *env, cm_instance *caller, const cm_val *a,
                                      size_t n, cm_val *res, wasm_error *err) {
  DESC(o, 0);
  PATH(path, 2);
  struct stat st;
  int e = stat_at(o, flags_arg(&a[1]), path, &st);
  free(path);
  return e ? fs_err(res, e, err) : hash_result(&st, res, err);
}

/* ---- descriptor: directories ---- */

static wasm_status d_open_at(void *env, cm_instance *caller, const cm_val *a, size_t n,
                             cm_val *res, wasm_error *err) {
  DESC(o, 0);
  uint32_t pf = flags_arg(&a[1]), of = flags_arg(&a[3]), df = flags_arg(&a[4]);
  if (o->u.desc.type != DT_DIR_) return fs_err(res, ENOTDIR, err);
  bool mutate = (o->u.desc.flags & DF_MUTATE) != 0;
  /* what a read-only directory may not hand out */
  if (!mutate && ((of & (OF_CREATE | OF_TRUNCATE)) || (df & (DF_WRITE | DF_MUTATE))))
    return fs_err(res, EPERM, err);
  if ((of & OF_DIRECTORY) && (df & DF_WRITE)) return fs_err(res, EISDIR, err);
  PATH(path, 2);
  int flags = (df & DF_WRITE) ? ((df & DF_READ) ? O_RDWR : O_WRONLY) : O_RDONLY;
  if (of & OF_CREATE) flags |= O_CREAT;
  if (of & OF_EXCLUSIVE) flags |= O_EXCL;
  if (of & OF_TRUNCATE) flags |= O_TRUNC;
  if (of & OF_DIRECTORY) flags |= O_DIRECTORY;
  if (!(pf & PF_FOLLOW)) flags |= O_NOFOLLOW;
  if (df & (DF_FILE_SYNC | DF_REQ_SYNC)) flags |= O_SYNC;
  else if (df & DF_DATA_SYNC) flags |= O_DSYNC;
  int fd = wasi_open_beneath(o->fd, path, flags | O_CLOEXEC, 0666);
  int e = errno;
  free(path);
  if (fd < 0) return fs_err(res, e, err);
  uint32_t keep = df & (DF_READ | DF_WRITE | DF_MUTATE | DF_FILE_SYNC | DF_DATA_SYNC | DF_REQ_SYNC);
  cm_val d;
  wasm_status st = new_desc(env, fd, keep, &d, err);
  return st ? st : w2_ok(res, &d, err);
}

static wasm_status d_read_directory(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                    cm_val *res, wasm_error *err) {
  DESC(o, 0);
  if (o->u.desc.type != DT_DIR_) return fs_err(res, ENOTDIR, err);
  int fd = openat(o->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fs_err(res, errno, err);
  DIR *d = fdopendir(fd);
  if (!d) {
    int e = errno;
    close(fd);
    return fs_err(res, e, err);
  }
  uint32_t rep;
  w2_obj *s = w2_obj_alloc(env, W2_DIRSTREAM, &rep);
  if (!s) {
    closedir(d);
    return w2_trap(err, "wasi: too many resources");
  }
  s->u.dirs.dir = d;
  s->fd = fd; /* for stat of DT_UNKNOWN entries; closed by closedir */
  cm_val h;
  wasm_status st = w2_handle(env, W2_DIRSTREAM, rep, &h, err);
  return st ? st : w2_ok(res, &h, err);
}

static wasm_status ds_next(void *env, cm_instance *caller, const cm_val *a, size_t n,
                           cm_val *res, wasm_error *err) {
  w2_obj *s = w2_get(env, W2_DIRSTREAM, &a[0], NULL, err);
  if (!s) return WASM_TRAP;
  for (;;) {
    errno = 0;
    struct dirent *de = s->u.dirs.dir ? readdir(s->u.dirs.dir) : NULL;
    if (!de) {
      if (errno) return fs_err(res, errno, err);
      cm_val none;
      cm_val_case(&none, CM_OPTION, 0, NULL);
      return w2_ok(res, &none, err);
    }
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    uint8_t t = DT_UNKNOWN_;
    switch (de->d_type) {
    case DT_REG: t = DT_FILE; break;
    case DT_DIR: t = DT_DIR_; break;
    case DT_LNK: t = DT_SYMLINK; break;
    case DT_CHR: t = DT_CHAR; break;
    case DT_BLK: t = DT_BLOCK; break;
    case DT_FIFO: t = DT_FIFO_; break;
    case DT_SOCK: t = DT_SOCKET; break;
    default: {
      struct stat st;
      if (fstatat(s->fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) t = type_of_mode(st.st_mode);
    }
    }
    cm_val ent, some;
    if (!cm_val_agg(&ent, CM_RECORD, 2) ||
        !cm_val_string(&ent.of.list.elems[1], de->d_name, strlen(de->d_name))) {
      cm_val_free(&ent);
      return w2_nomem(err);
    }
    ent.of.list.elems[0] = w2_enum(t);
    if (!cm_val_case(&some, CM_OPTION, 1, &ent)) return w2_nomem(err);
    return w2_ok(res, &some, err);
  }
}

/* The *at operations that act on a directory entry: resolve the parent
 * beneath o (which must allow mutation when `mutating`), then op. */
typedef int (*at_op)(wasi_at *at, const char *path, void *arg);

static wasm_status entry_op(w2_obj *o, const cm_val *patharg, bool mutating, at_op op,
                            void *arg, cm_val *res, bool *failed, wasm_error *err) {
  *failed = true;
  if (mutating && !(o->u.desc.flags & DF_MUTATE)) return fs_err(res, EPERM, err);
  wasm_status pst;
  char *path = path_arg(patharg, res, &pst, err);
  if (!path) return pst;
  wasi_at at;
  int e = resolve_at(o, path, &at);
  if (!e) {
    e = op(&at, path, arg);
    wasi_at_close(&at);
  }
  free(path);
  if (e) return fs_err(res, e, err);
  *failed = false;
  return WASM_OK;
}

/* entry_op for result<_, error-code> */
static wasm_status entry_unit(w2_obj *o, const cm_val *patharg, at_op op, void *arg,
                              cm_val *res, wasm_error *err) {
  bool failed;
  wasm_status st = entry_op(o, patharg, true, op, arg, res, &failed, err);
  return st || failed ? st : w2_ok(res, NULL, err);
}

static int op_mkdir(wasi_at *at, const char *path, void *arg) {
  return mkdirat(at->dir, at->name, 0777) == 0 ? 0 : errno;
}
static int op_rmdir(wasi_at *at, const char *path, void *arg) {
  return unlinkat(at->dir, at->name, AT_REMOVEDIR) == 0 ? 0 : errno;
}
static int op_unlink(wasi_at *at, const char *path, void *arg) {
  size_t n = strlen(at->name);
  if (n && at->name[n - 1] == '/') return ENOTDIR; /* "file/" names a directory */
  return unlinkat(at->dir, at->name, 0) == 0 ? 0 : errno;
}

static wasm_status d_create_directory_at(void *env, cm_instance *caller, const cm_val *a,
                                         size_t n, cm_val *res, wasm_error *err) {
  DESC(o, 0);
  return entry_unit(o, &a[1], op_mkdir, NULL, res, err);
}
static wasm_status d_remove_directory_at(void *env, cm_instance *caller, const cm_val *a,
                                         size_t n, cm_val *res, wasm_error *err) {
  DESC(o, 0);
  return entry_unit(o, &a[1], op_rmdir, NULL, res, err);
}
static wasm_status d_unlink_file_at(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                    cm_val *res, wasm_error *err) {
  DESC(o, 0);
  return entry_unit(o, &a[1], op_unlink, NULL, res, err);
}

typedef struct link_arg { const char *target; } link_arg;

static int op_symlink(wasi_at *at, const char *path, void *arg) {
  const char *target = ((link_arg *)arg)->target;
  return symlinkat(target, at->dir, at->name) == 0 ? 0 : errno;
}

static wasm_status d_symlink_at(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                cm_val *res, wasm_error *err) {
  DESC(o, 0);
  PATH(target, 1);
  /* an absolute target would point out of the sandbox */
  if (target[0] == '/') {
    free(target);
    return fs_err(res, EPERM, err);
  }
  link_arg la = {target};
  wasm_status st = entry_unit(o, &a[2], op_symlink, &la, res, err);
  free(target);
  return st;
}

static int op_readlink(wasi_at *at, const char *path, void *arg) {
  cm_val *out = arg;
  char buf[W2_MAX_PATH];
  ssize_t r = readlinkat(at->dir, at->name, buf, sizeof buf - 1);
  if (r < 0) return errno;
  return cm_val_string(out, buf, (size_t)r) ? 0 : ENOMEM;
}

static wasm_status d_readlink_at(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                 cm_val *res, wasm_error *err) {
  DESC(o, 0);
  cm_val s = {0};
  bool failed;
  wasm_status st = entry_op(o, &a[1], false, op_readlink, &s, res, &failed, err);
  if (st || failed) {
    cm_val_free(&s);
    return st;
  }
  return w2_ok(res, &s, err);
}

/* rename-at / link-at: two entries, each beneath its own directory. */
typedef struct two_arg { w2_obj *other; const cm_val *other_path; bool link; } two_arg;

static int op_two(wasi_at *from, const char *path, void *arg) {
  two_arg *t = arg;
  bool bad;
  char *to = w2_arg_str(t->other_path, &bad);
  if (!to) return bad ? EILSEQ : ENOMEM;
  wasi_at at;
  int e = resolve_at(t->other, to, &at);
  if (!e) {
    int r = t->link ? linkat(from->dir, from->name, at.dir, at.name, 0)
                    : renameat(from->dir, from->name, at.dir, at.name);
    e = r == 0 ? 0 : errno;
    wasi_at_close(&at);
  }
  free(to);
  return e;
}

static wasm_status d_rename_at(void *env, cm_instance *caller, const cm_val *a, size_t n,
                               cm_val *res, wasm_error *err) {
  DESC(o, 0);
  DESC(p, 2);
  if (!(p->u.desc.flags & DF_MUTATE)) return fs_err(res, EPERM, err);
  two_arg t = {p, &a[3], false};
  return entry_unit(o, &a[1], op_two, &t, res, err);
}

static wasm_status d_link_at(void *env, cm_instance *caller, const cm_val *a, size_t n,
                             cm_val *res, wasm_error *err) {
  DESC(o, 0);
  DESC(p, 3);
  /* following a symlink could link a file outside the sandbox */
  if (flags_arg(&a[1]) & PF_FOLLOW) return fs_err(res, EINVAL, err);
  if (!(p->u.desc.flags & DF_MUTATE)) return fs_err(res, EPERM, err);
  two_arg t = {p, &a[4], true};
  return entry_unit(o, &a[2], op_two, &t, res, err);
}

static wasm_status fs_error_code(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                 cm_val *res, wasm_error *err) {
  w2_obj *e = w2_get(env, W2_ERROR, &a[0], NULL, err);
  if (!e) return WASM_TRAP;
  if (!e->u.error.host_errno) return cm_val_case(res, CM_OPTION, 0, NULL) ? WASM_OK : w2_nomem(err);
  cm_val code = w2_enum(w2_fs_code(e->u.error.host_errno));
  return cm_val_case(res, CM_OPTION, 1, &code) ? WASM_OK : w2_nomem(err);
}

/* ---- preopens ---- */

static wasm_status get_directories(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                   cm_val *res, wasm_error *err) {
  wasi2_ctx *c = env;
  if (!cm_val_agg(res, CM_LIST, c->npreopens)) return w2_nomem(err);
  for (uint32_t i = 0; i < c->npreopens; i++) {
    cm_val *t = &res->of.list.elems[i];
    int fd = fcntl(c->preopens[i].fd, F_DUPFD_CLOEXEC, 0);
    wasm_status st = WASM_OK;
    if (fd < 0) st = w2_trap(err, "wasi: cannot duplicate a preopen: %s", strerror(errno));
    if (!st && !cm_val_agg(t, CM_TUPLE, 2)) {
      close(fd);
      st = w2_nomem(err);
    }
    uint32_t flags = DF_READ | (c->preopens[i].read_only ? 0 : DF_MUTATE);
    if (!st) st = new_desc(c, fd, flags, &t->of.list.elems[0], err);
    const char *nm = c->preopens[i].name;
    if (!st && !cm_val_string(&t->of.list.elems[1], nm, strlen(nm))) st = w2_nomem(err);
    if (st) {
      /* the handles made so far go back to the host's table */
      for (uint32_t k = 0; k <= i; k++)
        if (res->of.list.elems[k].kind == CM_TUPLE && res->of.list.elems[k].of.list.n &&
            res->of.list.elems[k].of.list.elems[0].kind == CM_OWN)
          cm_linker_resource_drop(c->l, &res->of.list.elems[k].of.list.elems[0], NULL);
      cm_val_free(res);
      return st;
    }
  }
  return WASM_OK;
}

static const char WIT_TYPES[] =
    "interface types {\n"
    "  use wasi:io/streams.{input-stream, output-stream, error};\n"
    "  use wasi:clocks/wall-clock.{datetime}; type filesize = u64;\n"
    "  enum descriptor-type { unknown, block-device, character-device, directory, fifo,\n"
    "    symbolic-link, regular-file, socket }\n"
    "  flags descriptor-flags { read, write, file-integrity-sync, data-integrity-sync,\n"
    "    requested-write-sync, mutate-directory }\n"
    "  record descriptor-stat { %type: descriptor-type, link-count: u64, size: u64,\n"
    "    data-access-timestamp: option<datetime>, data-modification-timestamp: option<datetime>,\n"
    "    status-change-timestamp: option<datetime> }\n"
    "  flags path-flags { symlink-follow }\n"
    "  flags open-flags { create, directory, exclusive, truncate }\n"
    "  variant new-timestamp { no-change, now, timestamp(datetime) }\n"
    "  record directory-entry { %type: descriptor-type, name: string }\n"
    "  enum error-code { access, would-block, already, bad-descriptor, busy, deadlock, quota,\n"
    "    exist, file-too-large, illegal-byte-sequence, in-progress, interrupted, invalid, io,\n"
    "    is-directory, loop, too-many-links, message-size, name-too-long, no-device, no-entry,\n"
    "    no-lock, insufficient-memory, insufficient-space, not-directory, not-empty,\n"
    "    not-recoverable, unsupported, no-tty, no-such-device, overflow, not-permitted, pipe,\n"
    "    read-only, invalid-seek, text-file-busy, cross-device }\n"
    "  enum advice { normal, sequential, random, will-need, dont-need, no-reuse }\n"
    "  record metadata-hash-value { lower: u64, upper: u64 }\n"
    "  resource descriptor {\n"
    "    read-via-stream: func(offset: u64) -> result<input-stream, error-code>;\n"
    "    write-via-stream: func(offset: u64) -> result<output-stream, error-code>;\n"
    "    append-via-stream: func() -> result<output-stream, error-code>;\n"
    "    advise: func(offset: u64, length: u64, advice: advice) -> result<_, error-code>;\n"
    "    sync-data: func() -> result<_, error-code>;\n"
    "    get-flags: func() -> result<descriptor-flags, error-code>;\n"
    "    get-type: func() -> result<descriptor-type, error-code>;\n"
    "    set-size: func(size: u64) -> result<_, error-code>;\n"
    "    set-times: func(data-access-timestamp: new-timestamp,\n"
    "      data-modification-timestamp: new-timestamp) -> result<_, error-code>;\n"
    "    read: func(length: u64, offset: u64) -> result<tuple<list<u8>, bool>, error-code>;\n"
    "    write: func(buffer: list<u8>, offset: u64) -> result<u64, error-code>;\n"
    "    read-directory: func() -> result<directory-entry-stream, error-code>;\n"
    "    sync: func() -> result<_, error-code>;\n"
    "    create-directory-at: func(path: string) -> result<_, error-code>;\n"
    "    stat: func() -> result<descriptor-stat, error-code>;\n"
    "    stat-at: func(path-flags: path-flags, path: string) -> result<descriptor-stat, error-code>;\n"
    "    set-times-at: func(path-flags: path-flags, path: string,\n"
    "      data-access-timestamp: new-timestamp,\n"
    "      data-modification-timestamp: new-timestamp) -> result<_, error-code>;\n"
    "    link-at: func(old-path-flags: path-flags, old-path: string,\n"
    "      new-descriptor: borrow<descriptor>, new-path: string) -> result<_, error-code>;\n"
    "    open-at: func(path-flags: path-flags, path: string, open-flags: open-flags,\n"
    "      %flags: descriptor-flags) -> result<descriptor, error-code>;\n"
    "    readlink-at: func(path: string) -> result<string, error-code>;\n"
    "    remove-directory-at: func(path: string) -> result<_, error-code>;\n"
    "    rename-at: func(old-path: string, new-descriptor: borrow<descriptor>,\n"
    "      new-path: string) -> result<_, error-code>;\n"
    "    symlink-at: func(old-path: string, new-path: string) -> result<_, error-code>;\n"
    "    unlink-file-at: func(path: string) -> result<_, error-code>;\n"
    "    is-same-object: func(other: borrow<descriptor>) -> bool;\n"
    "    metadata-hash: func() -> result<metadata-hash-value, error-code>;\n"
    "    metadata-hash-at: func(path-flags: path-flags, path: string)\n"
    "      -> result<metadata-hash-value, error-code>;\n"
    "  }\n"
    "  resource directory-entry-stream {\n"
    "    read-directory-entry: func() -> result<option<directory-entry>, error-code>;\n"
    "  }\n"
    "  filesystem-error-code: func(err: borrow<error>) -> option<error-code>;\n"
    "}\n";

static const char WIT_PREOPENS[] =
    "interface preopens {\n"
    "  use types.{descriptor};\n"
    "  get-directories: func() -> list<tuple<descriptor, string>>;\n"
    "}\n";

wasm_status w2_link_fs(wasi2_ctx *c, wasm_error *err) {
  static const w2_fn types[] = {
      {"[method]descriptor.read-via-stream", d_read_via_stream},
      {"[method]descriptor.write-via-stream", d_write_via_stream},
      {"[method]descriptor.append-via-stream", d_append_via_stream},
      {"[method]descriptor.advise", d_advise},
      {"[method]descriptor.sync-data", d_sync_data},
      {"[method]descriptor.get-flags", d_get_flags},
      {"[method]descriptor.get-type", d_get_type},
      {"[method]descriptor.set-size", d_set_size},
      {"[method]descriptor.set-times", d_set_times},
      {"[method]descriptor.read", d_read},
      {"[method]descriptor.write", d_write},
      {"[method]descriptor.read-directory", d_read_directory},
      {"[method]descriptor.sync", d_sync},
      {"[method]descriptor.create-directory-at", d_create_directory_at},
      {"[method]descriptor.stat", d_stat},
      {"[method]descriptor.stat-at", d_stat_at},
      {"[method]descriptor.set-times-at", d_set_times_at},
      {"[method]descriptor.link-at", d_link_at},
      {"[method]descriptor.open-at", d_open_at},
      {"[method]descriptor.readlink-at", d_readlink_at},
      {"[method]descriptor.remove-directory-at", d_remove_directory_at},
      {"[method]descriptor.rename-at", d_rename_at},
      {"[method]descriptor.symlink-at", d_symlink_at},
      {"[method]descriptor.unlink-file-at", d_unlink_file_at},
      {"[method]descriptor.is-same-object", d_is_same_object},
      {"[method]descriptor.metadata-hash", d_metadata_hash},
      {"[method]descriptor.metadata-hash-at", d_metadata_hash_at},
      {"[method]directory-entry-stream.read-directory-entry", ds_next},
      {"filesystem-error-code", fs_error_code},
  };
  static const w2_fn pre[] = {{"get-directories", get_directories}};
  wasm_status st = w2_define(c, "wasi:filesystem/types", WIT_TYPES, types,
                             sizeof types / sizeof types[0], err);
  return st ? st : w2_define(c, "wasi:filesystem/preopens", WIT_PREOPENS, pre, 1, err);
}
