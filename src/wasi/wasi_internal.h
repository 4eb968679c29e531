/* wasi_internal.h: shared by the files of the WASI layer: the ABI constants
 * of wasi_snapshot_preview1, the context and fd table, guest memory access
 * helpers and the list of imported functions. Uses only stratus/wasm.h. */
#ifndef STRATUS_WASI_INTERNAL_H
#define STRATUS_WASI_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "stratus/wasi.h"

/* ---- ABI constants (witx of wasi_snapshot_preview1) ---- */

enum {
  WASI_ESUCCESS = 0, WASI_E2BIG = 1, WASI_EACCES = 2, WASI_EADDRINUSE = 3,
  WASI_EADDRNOTAVAIL = 4, WASI_EAFNOSUPPORT = 5, WASI_EAGAIN = 6,
  WASI_EALREADY = 7, WASI_EBADF = 8, WASI_EBADMSG = 9, WASI_EBUSY = 10,
  WASI_ECANCELED = 11, WASI_ECHILD = 12, WASI_ECONNABORTED = 13,
  WASI_ECONNREFUSED = 14, WASI_ECONNRESET = 15, WASI_EDEADLK = 16,
  WASI_EDESTADDRREQ = 17, WASI_EDOM = 18, WASI_EDQUOT = 19, WASI_EEXIST = 20,
  WASI_EFAULT = 21, WASI_EFBIG = 22, WASI_EHOSTUNREACH = 23, WASI_EIDRM = 24,
  WASI_EILSEQ = 25, WASI_EINPROGRESS = 26, WASI_EINTR = 27, WASI_EINVAL = 28,
  WASI_EIO = 29, WASI_EISCONN = 30, WASI_EISDIR = 31, WASI_ELOOP = 32,
  WASI_EMFILE = 33, WASI_EMLINK = 34, WASI_EMSGSIZE = 35, WASI_EMULTIHOP = 36,
  WASI_ENAMETOOLONG = 37, WASI_ENETDOWN = 38, WASI_ENETRESET = 39,
  WASI_ENETUNREACH = 40, WASI_ENFILE = 41, WASI_ENOBUFS = 42, WASI_ENODEV = 43,
  WASI_ENOENT = 44, WASI_ENOEXEC = 45, WASI_ENOLCK = 46, WASI_ENOLINK = 47,
  WASI_ENOMEM = 48, WASI_ENOMSG = 49, WASI_ENOPROTOOPT = 50, WASI_ENOSPC = 51,
  WASI_ENOSYS = 52, WASI_ENOTCONN = 53, WASI_ENOTDIR = 54, WASI_ENOTEMPTY = 55,
  WASI_ENOTRECOVERABLE = 56, WASI_ENOTSOCK = 57, WASI_ENOTSUP = 58,
  WASI_ENOTTY = 59, WASI_ENXIO = 60, WASI_EOVERFLOW = 61, WASI_EOWNERDEAD = 62,
  WASI_EPERM = 63, WASI_EPIPE = 64, WASI_EPROTO = 65,
  WASI_EPROTONOSUPPORT = 66, WASI_EPROTOTYPE = 67, WASI_ERANGE = 68,
  WASI_EROFS = 69, WASI_ESPIPE = 70, WASI_ESRCH = 71, WASI_ESTALE = 72,
  WASI_ETIMEDOUT = 73, WASI_ETXTBSY = 74, WASI_EXDEV = 75,
  WASI_ENOTCAPABLE = 76,
};

enum {
  WASI_FILETYPE_UNKNOWN = 0, WASI_FILETYPE_BLOCK_DEVICE = 1,
  WASI_FILETYPE_CHARACTER_DEVICE = 2, WASI_FILETYPE_DIRECTORY = 3,
  WASI_FILETYPE_REGULAR_FILE = 4, WASI_FILETYPE_SOCKET_DGRAM = 5,
  WASI_FILETYPE_SOCKET_STREAM = 6, WASI_FILETYPE_SYMBOLIC_LINK = 7,
};

enum { /* fdflags */
  WASI_FDFLAG_APPEND = 1, WASI_FDFLAG_DSYNC = 2, WASI_FDFLAG_NONBLOCK = 4,
  WASI_FDFLAG_RSYNC = 8, WASI_FDFLAG_SYNC = 16,
};
enum { /* oflags */
  WASI_O_CREAT = 1, WASI_O_DIRECTORY = 2, WASI_O_EXCL = 4, WASI_O_TRUNC = 8,
};
enum { WASI_LOOKUP_SYMLINK_FOLLOW = 1 };
enum { /* fstflags */
  WASI_FST_ATIM = 1, WASI_FST_ATIM_NOW = 2, WASI_FST_MTIM = 4,
  WASI_FST_MTIM_NOW = 8,
};
enum { WASI_WHENCE_SET = 0, WASI_WHENCE_CUR = 1, WASI_WHENCE_END = 2 };
enum {
  WASI_CLOCK_REALTIME = 0, WASI_CLOCK_MONOTONIC = 1,
  WASI_CLOCK_PROCESS_CPUTIME = 2, WASI_CLOCK_THREAD_CPUTIME = 3,
};
enum { WASI_EVENT_CLOCK = 0, WASI_EVENT_FD_READ = 1, WASI_EVENT_FD_WRITE = 2 };

/* rights, one bit each in witx order */
#define WASI_RIGHT_LIST(X)                                                    \
  X(FD_DATASYNC) X(FD_READ) X(FD_SEEK) X(FD_FDSTAT_SET_FLAGS) X(FD_SYNC)      \
  X(FD_TELL) X(FD_WRITE) X(FD_ADVISE) X(FD_ALLOCATE) X(PATH_CREATE_DIRECTORY) \
  X(PATH_CREATE_FILE) X(PATH_LINK_SOURCE) X(PATH_LINK_TARGET) X(PATH_OPEN)    \
  X(FD_READDIR) X(PATH_READLINK) X(PATH_RENAME_SOURCE) X(PATH_RENAME_TARGET)  \
  X(PATH_FILESTAT_GET) X(PATH_FILESTAT_SET_SIZE) X(PATH_FILESTAT_SET_TIMES)   \
  X(FD_FILESTAT_GET) X(FD_FILESTAT_SET_SIZE) X(FD_FILESTAT_SET_TIMES)         \
  X(PATH_SYMLINK) X(PATH_REMOVE_DIRECTORY) X(PATH_UNLINK_FILE)                \
  X(POLL_FD_READWRITE) X(SOCK_SHUTDOWN) X(SOCK_ACCEPT)

enum {
#define WASI_RIGHT_BIT(n) WASI_RIGHT_BIT_##n,
  WASI_RIGHT_LIST(WASI_RIGHT_BIT)
#undef WASI_RIGHT_BIT
  WASI_RIGHT_COUNT
};
#define WASI_R(n) ((uint64_t)1 << WASI_RIGHT_BIT_##n)
#define WASI_RIGHTS_ALL (((uint64_t)1 << WASI_RIGHT_COUNT) - 1)

/* What makes sense on each kind of descriptor. */
#define WASI_RIGHTS_FILE                                                      \
  (WASI_R(FD_DATASYNC) | WASI_R(FD_READ) | WASI_R(FD_SEEK) |                  \
   WASI_R(FD_FDSTAT_SET_FLAGS) | WASI_R(FD_SYNC) | WASI_R(FD_TELL) |          \
   WASI_R(FD_WRITE) | WASI_R(FD_ADVISE) | WASI_R(FD_ALLOCATE) |               \
   WASI_R(FD_FILESTAT_GET) | WASI_R(FD_FILESTAT_SET_SIZE) |                   \
   WASI_R(FD_FILESTAT_SET_TIMES) | WASI_R(POLL_FD_READWRITE))
#define WASI_RIGHTS_DIR                                                       \
  (WASI_R(FD_FDSTAT_SET_FLAGS) | WASI_R(FD_SYNC) | WASI_R(FD_ADVISE) |        \
   WASI_R(PATH_CREATE_DIRECTORY) | WASI_R(PATH_CREATE_FILE) |                 \
   WASI_R(PATH_LINK_SOURCE) | WASI_R(PATH_LINK_TARGET) | WASI_R(PATH_OPEN) |  \
   WASI_R(FD_READDIR) | WASI_R(PATH_READLINK) | WASI_R(PATH_RENAME_SOURCE) |  \
   WASI_R(PATH_RENAME_TARGET) | WASI_R(PATH_FILESTAT_GET) |                   \
   WASI_R(PATH_FILESTAT_SET_SIZE) | WASI_R(PATH_FILESTAT_SET_TIMES) |         \
   WASI_R(FD_FILESTAT_GET) | WASI_R(FD_FILESTAT_SET_TIMES) |                  \
   WASI_R(PATH_SYMLINK) | WASI_R(PATH_REMOVE_DIRECTORY) |                     \
   WASI_R(PATH_UNLINK_FILE) | WASI_R(POLL_FD_READWRITE))
/* Rights that modify the file system below a directory. */
#define WASI_RIGHTS_DIR_WRITE                                                 \
  (WASI_R(PATH_CREATE_DIRECTORY) | WASI_R(PATH_CREATE_FILE) |                 \
   WASI_R(PATH_LINK_SOURCE) | WASI_R(PATH_LINK_TARGET) |                      \
   WASI_R(PATH_RENAME_SOURCE) | WASI_R(PATH_RENAME_TARGET) |                  \
   WASI_R(PATH_FILESTAT_SET_SIZE) | WASI_R(PATH_FILESTAT_SET_TIMES) |         \
   WASI_R(FD_FILESTAT_SET_TIMES) | WASI_R(PATH_SYMLINK) |                     \
   WASI_R(PATH_REMOVE_DIRECTORY) | WASI_R(PATH_UNLINK_FILE))
#define WASI_RIGHTS_FILE_WRITE                                                \
  (WASI_R(FD_DATASYNC) | WASI_R(FD_WRITE) | WASI_R(FD_ALLOCATE) |             \
   WASI_R(FD_FILESTAT_SET_SIZE) | WASI_R(FD_FILESTAT_SET_TIMES) |             \
   WASI_R(FD_SYNC))
#define WASI_RIGHTS_TTY                                                       \
  (WASI_R(FD_READ) | WASI_R(FD_FDSTAT_SET_FLAGS) | WASI_R(FD_WRITE) |         \
   WASI_R(FD_FILESTAT_GET) | WASI_R(POLL_FD_READWRITE))

/* ---- context ---- */

#define WASI_MAX_FDS 4096 /* guest descriptors per context */
#define WASI_MAX_IOVS 1024
#define WASI_MAX_PATH 4096

typedef struct wasi_fd {
  bool used;
  int host;          /* host descriptor; -1 for an unused slot */
  uint8_t filetype;  /* WASI_FILETYPE_* */
  uint16_t fdflags;  /* as the guest set them (append, nonblock, ...) */
  uint64_t rights_base, rights_inheriting;
  char *preopen;     /* guest name of a preopened directory, else NULL */
  bool borrowed;     /* stdio: never closed by us */
} wasi_fd;

struct wasi_ctx {
  char **args;
  uint32_t nargs;
  char **env;
  uint32_t nenv;
  wasi_fd *fds;
  uint32_t nfds; /* slots allocated */
  wasm_memory *memory;
  bool exited;
  int exit_code;
  struct wasi_binding *bindings; /* env of each host function */
};

/* ---- imported functions: name, parameter kinds (i = i32, I = i64) and
 * number of results (every function returns an errno, except proc_exit) ---- */

#define WASI_FUNC_LIST(X)                                                     \
  X(args_get, "ii", 1)                                                        \
  X(args_sizes_get, "ii", 1)                                                  \
  X(environ_get, "ii", 1)                                                     \
  X(environ_sizes_get, "ii", 1)                                               \
  X(clock_res_get, "ii", 1)                                                   \
  X(clock_time_get, "iIi", 1)                                                 \
  X(fd_advise, "iIIi", 1)                                                     \
  X(fd_allocate, "iII", 1)                                                    \
  X(fd_close, "i", 1)                                                         \
  X(fd_datasync, "i", 1)                                                      \
  X(fd_fdstat_get, "ii", 1)                                                   \
  X(fd_fdstat_set_flags, "ii", 1)                                             \
  X(fd_fdstat_set_rights, "iII", 1)                                           \
  X(fd_filestat_get, "ii", 1)                                                 \
  X(fd_filestat_set_size, "iI", 1)                                            \
  X(fd_filestat_set_times, "iIIi", 1)                                         \
  X(fd_pread, "iiiIi", 1)                                                     \
  X(fd_prestat_get, "ii", 1)                                                  \
  X(fd_prestat_dir_name, "iii", 1)                                            \
  X(fd_pwrite, "iiiIi", 1)                                                    \
  X(fd_read, "iiii", 1)                                                       \
  X(fd_readdir, "iiiIi", 1)                                                   \
  X(fd_renumber, "ii", 1)                                                     \
  X(fd_seek, "iIii", 1)                                                       \
  X(fd_sync, "i", 1)                                                          \
  X(fd_tell, "ii", 1)                                                         \
  X(fd_write, "iiii", 1)                                                      \
  X(path_create_directory, "iii", 1)                                          \
  X(path_filestat_get, "iiiii", 1)                                            \
  X(path_filestat_set_times, "iiiiIIi", 1)                                    \
  X(path_link, "iiiiiii", 1)                                                  \
  X(path_open, "iiiiiIIii", 1)                                                \
  X(path_readlink, "iiiiii", 1)                                               \
  X(path_remove_directory, "iii", 1)                                          \
  X(path_rename, "iiiiii", 1)                                                 \
  X(path_symlink, "iiiii", 1)                                                 \
  X(path_unlink_file, "iii", 1)                                               \
  X(poll_oneoff, "iiii", 1)                                                   \
  X(proc_exit, "i", 0)                                                        \
  X(proc_raise, "i", 1)                                                       \
  X(sched_yield, "", 1)                                                       \
  X(random_get, "ii", 1)                                                      \
  X(sock_accept, "iii", 1)                                                    \
  X(sock_recv, "iiiiii", 1)                                                   \
  X(sock_send, "iiiii", 1)                                                    \
  X(sock_shutdown, "ii", 1)

/* Each returns a WASI errno (>= 0), or -1 to trap with err filled. */
#define WASI_FUNC_DECL(name, params, nres)                                    \
  int wasi_fn_##name(wasi_ctx *c, const wasm_val *a, wasm_error *err);
WASI_FUNC_LIST(WASI_FUNC_DECL)
#undef WASI_FUNC_DECL

/* Argument i as unsigned 32/64 bits. */
#define ARG32(i) ((uint32_t)a[i].of.i32)
#define ARG64(i) ((uint64_t)a[i].of.i64)

/* ---- guest memory (wasi_ctx.c) ---- */

/* A pointer to len bytes at guest address ptr, or NULL when any of them
 * lies outside the linear memory. */
uint8_t *wasi_mem(wasi_ctx *c, uint32_t ptr, uint64_t len);
/* Stores little-endian values; false (nothing written) when out of bounds. */
bool wasi_put_u8(wasi_ctx *c, uint32_t ptr, uint8_t v);
bool wasi_put_u16(wasi_ctx *c, uint32_t ptr, uint16_t v);
bool wasi_put_u32(wasi_ctx *c, uint32_t ptr, uint32_t v);
bool wasi_put_u64(wasi_ctx *c, uint32_t ptr, uint64_t v);
bool wasi_get_u32(wasi_ctx *c, uint32_t ptr, uint32_t *v);

/* Maps a host errno value to WASI's. */
int wasi_errno_from_host(int e);

/* ---- fd table (wasi_ctx.c) ---- */

/* The entry of guest fd, or NULL (and *errno_out = EBADF / ENOTCAPABLE)
 * when it does not exist or lacks any of the rights in need. */
wasi_fd *wasi_fd_get(wasi_ctx *c, uint32_t fd, uint64_t need, int *errno_out);
/* Installs a host descriptor at the lowest free guest fd, as POSIX does;
 * returns the guest fd, or -1 when the table is full. */
int64_t wasi_fd_insert(wasi_ctx *c, int host, uint8_t filetype,
                       uint64_t base, uint64_t inheriting, uint16_t fdflags);
/* Closes and frees the slot. */
void wasi_fd_release(wasi_ctx *c, uint32_t fd);
/* The WASI filetype of a host st_mode. */
uint8_t wasi_filetype_of_mode(unsigned mode);
/* Writes a 64-byte filestat for host stat st at guest ptr. */
struct stat;
int wasi_put_filestat(wasi_ctx *c, uint32_t ptr, const struct stat *st);

/* Host timespecs (for utimensat/futimens) from WASI's atim, mtim and
 * fstflags; returns a WASI errno (inval for contradictory flags). */
struct timespec;
int wasi_times(uint64_t atim, uint64_t mtim, uint32_t fst, struct timespec t[2]);

/* ---- paths (wasi_path.c) ---- */

/* Copies the guest path [ptr, ptr+len) into buf (NUL-terminated); returns a
 * WASI errno (fault, nametoolong, ilseq for an embedded NUL). */
int wasi_path_copy(wasi_ctx *c, uint32_t ptr, uint32_t len, char *buf,
                   size_t cap);

#endif
