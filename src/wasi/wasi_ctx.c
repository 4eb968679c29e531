/* wasi_ctx.c: the WASI context (args, env, fd table with preopens), guest
 * memory access, errno mapping and linking the imports as host functions. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi/wasi_internal.h"

/* ---- errors ---- */

static wasm_status fail(wasm_error *err, wasm_status st, const char *msg,
                        const char *arg) {
  if (err) {
    err->status = st;
    snprintf(err->message, sizeof err->message, "%s%s", msg, arg ? arg : "");
  }
  return st;
}

int wasi_errno_from_host(int e) {
  switch (e) {
  case 0: return WASI_ESUCCESS;
  case E2BIG: return WASI_E2BIG;
  case EACCES: return WASI_EACCES;
  case EADDRINUSE: return WASI_EADDRINUSE;
  case EADDRNOTAVAIL: return WASI_EADDRNOTAVAIL;
  case EAFNOSUPPORT: return WASI_EAFNOSUPPORT;
  case EAGAIN: return WASI_EAGAIN;
  case EALREADY: return WASI_EALREADY;
  case EBADF: return WASI_EBADF;
  case EBADMSG: return WASI_EBADMSG;
  case EBUSY: return WASI_EBUSY;
  case ECANCELED: return WASI_ECANCELED;
  case ECHILD: return WASI_ECHILD;
  case ECONNABORTED: return WASI_ECONNABORTED;
  case ECONNREFUSED: return WASI_ECONNREFUSED;
  case ECONNRESET: return WASI_ECONNRESET;
  case EDEADLK: return WASI_EDEADLK;
  case EDESTADDRREQ: return WASI_EDESTADDRREQ;
  case EDOM: return WASI_EDOM;
  case EDQUOT: return WASI_EDQUOT;
  case EEXIST: return WASI_EEXIST;
  case EFAULT: return WASI_EFAULT;
  case EFBIG: return WASI_EFBIG;
  case EHOSTUNREACH: return WASI_EHOSTUNREACH;
  case EIDRM: return WASI_EIDRM;
  case EILSEQ: return WASI_EILSEQ;
  case EINPROGRESS: return WASI_EINPROGRESS;
  case EINTR: return WASI_EINTR;
  case EINVAL: return WASI_EINVAL;
  case EIO: return WASI_EIO;
  case EISCONN: return WASI_EISCONN;
  case EISDIR: return WASI_EISDIR;
  case ELOOP: return WASI_ELOOP;
  case EMFILE: return WASI_EMFILE;
  case EMLINK: return WASI_EMLINK;
  case EMSGSIZE: return WASI_EMSGSIZE;
  case EMULTIHOP: return WASI_EMULTIHOP;
  case ENAMETOOLONG: return WASI_ENAMETOOLONG;
  case ENETDOWN: return WASI_ENETDOWN;
  case ENETRESET: return WASI_ENETRESET;
  case ENETUNREACH: return WASI_ENETUNREACH;
  case ENFILE: return WASI_ENFILE;
  case ENOBUFS: return WASI_ENOBUFS;
  case ENODEV: return WASI_ENODEV;
  case ENOENT: return WASI_ENOENT;
  case ENOEXEC: return WASI_ENOEXEC;
  case ENOLCK: return WASI_ENOLCK;
  case ENOLINK: return WASI_ENOLINK;
  case ENOMEM: return WASI_ENOMEM;
  case ENOMSG: return WASI_ENOMSG;
  case ENOPROTOOPT: return WASI_ENOPROTOOPT;
  case ENOSPC: return WASI_ENOSPC;
  case ENOSYS: return WASI_ENOSYS;
  case ENOTCONN: return WASI_ENOTCONN;
  case ENOTDIR: return WASI_ENOTDIR;
  case ENOTEMPTY: return WASI_ENOTEMPTY;
  case ENOTRECOVERABLE: return WASI_ENOTRECOVERABLE;
  case ENOTSOCK: return WASI_ENOTSOCK;
  case EOPNOTSUPP: return WASI_ENOTSUP;
  case ENOTTY: return WASI_ENOTTY;
  case ENXIO: return WASI_ENXIO;
  case EOVERFLOW: return WASI_EOVERFLOW;
  case EOWNERDEAD: return WASI_EOWNERDEAD;
  case EPERM: return WASI_EPERM;
  case EPIPE: return WASI_EPIPE;
  case EPROTO: return WASI_EPROTO;
  case EPROTONOSUPPORT: return WASI_EPROTONOSUPPORT;
  case EPROTOTYPE: return WASI_EPROTOTYPE;
  case ERANGE: return WASI_ERANGE;
  case EROFS: return WASI_EROFS;
  case ESPIPE: return WASI_ESPIPE;
  case ESRCH: return WASI_ESRCH;
  case ESTALE: return WASI_ESTALE;
  case ETIMEDOUT: return WASI_ETIMEDOUT;
  case ETXTBSY: return WASI_ETXTBSY;
  case EXDEV: return WASI_EXDEV;
  default: return WASI_EIO;
  }
}

/* ---- guest memory ---- */

uint8_t *wasi_mem(wasi_ctx *c, uint32_t ptr, uint64_t len) {
  if (!c->memory) return NULL;
  uint64_t size = wasm_memory_size(c->memory);
  if ((uint64_t)ptr > size || len > size - ptr) return NULL;
  uint8_t *base = wasm_memory_data(c->memory);
  return base ? base + ptr : NULL;
}

#define PUT(bits)                                                             \
  bool wasi_put_u##bits(wasi_ctx *c, uint32_t ptr, uint##bits##_t v) {        \
    uint8_t *p = wasi_mem(c, ptr, sizeof v);                                  \
    if (!p) return false;                                                     \
    memcpy(p, &v, sizeof v); /* x86-64: little-endian like wasm */            \
    return true;                                                              \
  }
PUT(8)
PUT(16)
PUT(32)
PUT(64)
#undef PUT

bool wasi_get_u32(wasi_ctx *c, uint32_t ptr, uint32_t *v) {
  uint8_t *p = wasi_mem(c, ptr, 4);
  if (!p) return false;
  memcpy(v, p, 4);
  return true;
}

/* ---- fd table ---- */

uint8_t wasi_filetype_of_mode(unsigned mode) {
  switch (mode & S_IFMT) {
  case S_IFREG: return WASI_FILETYPE_REGULAR_FILE;
  case S_IFDIR: return WASI_FILETYPE_DIRECTORY;
  case S_IFCHR: return WASI_FILETYPE_CHARACTER_DEVICE;
  case S_IFBLK: return WASI_FILETYPE_BLOCK_DEVICE;
  case S_IFLNK: return WASI_FILETYPE_SYMBOLIC_LINK;
  case S_IFSOCK: return WASI_FILETYPE_SOCKET_STREAM;
  default: return WASI_FILETYPE_UNKNOWN;
  }
}

int wasi_put_filestat(wasi_ctx *c, uint32_t ptr, const struct stat *st) {
  uint8_t *p = wasi_mem(c, ptr, 64);
  if (!p) return WASI_EFAULT;
  uint64_t f[8] = {
      (uint64_t)st->st_dev,
      (uint64_t)st->st_ino,
      wasi_filetype_of_mode(st->st_mode),
      (uint64_t)st->st_nlink,
      (uint64_t)st->st_size,
      (uint64_t)st->st_atim.tv_sec * 1000000000u + (uint64_t)st->st_atim.tv_nsec,
      (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec,
      (uint64_t)st->st_ctim.tv_sec * 1000000000u + (uint64_t)st->st_ctim.tv_nsec,
  };
  memcpy(p, f, sizeof f); /* filetype is a u8 at offset 16, padding zero */
  return WASI_ESUCCESS;
}

wasi_fd *wasi_fd_get(wasi_ctx *c, uint32_t fd, uint64_t need, int *errno_out) {
  if (fd >= c->nfds || !c->fds[fd].used) {
    *errno_out = WASI_EBADF;
    return NULL;
  }
  wasi_fd *f = &c->fds[fd];
  if ((f->rights_base & need) != need) {
    *errno_out = WASI_ENOTCAPABLE;
    return NULL;
  }
  return f;
}

static bool fd_grow(wasi_ctx *c, uint32_t want) {
  if (want <= c->nfds) return true;
  if (want > WASI_MAX_FDS) return false;
  uint32_t n = c->nfds ? c->nfds : 8;
  while (n < want) n *= 2;
  if (n > WASI_MAX_FDS) n = WASI_MAX_FDS;
  wasi_fd *fds = realloc(c->fds, n * sizeof *fds);
  if (!fds) return false;
  memset(fds + c->nfds, 0, (n - c->nfds) * sizeof *fds);
  for (uint32_t i = c->nfds; i < n; i++) fds[i].host = -1;
  c->fds = fds;
  c->nfds = n;
  return true;
}

int64_t wasi_fd_insert(wasi_ctx *c, int host, uint8_t filetype, uint64_t base,
                       uint64_t inheriting, uint16_t fdflags) {
  uint32_t i = 0;
  while (i < c->nfds && c->fds[i].used) i++;
  if (!fd_grow(c, i + 1)) return -1;
  wasi_fd *f = &c->fds[i];
  memset(f, 0, sizeof *f);
  f->used = true;
  f->host = host;
  f->filetype = filetype;
  f->rights_base = base;
  f->rights_inheriting = inheriting;
  f->fdflags = fdflags;
  return i;
}

void wasi_fd_release(wasi_ctx *c, uint32_t fd) {
  if (fd >= c->nfds || !c->fds[fd].used) return;
  wasi_fd *f = &c->fds[fd];
  if (!f->borrowed && f->host >= 0) close(f->host);
  free(f->preopen);
  memset(f, 0, sizeof *f);
  f->host = -1;
}

/* Rights for a host descriptor of the given type. */
static uint64_t rights_for(uint8_t filetype, uint64_t *inheriting) {
  switch (filetype) {
  case WASI_FILETYPE_DIRECTORY:
    *inheriting = WASI_RIGHTS_DIR | WASI_RIGHTS_FILE;
    return WASI_RIGHTS_DIR;
  case WASI_FILETYPE_REGULAR_FILE:
    *inheriting = 0;
    return WASI_RIGHTS_FILE;
  default:
    *inheriting = 0;
    return WASI_RIGHTS_TTY;
  }
}

static wasm_status add_stdio(wasi_ctx *c, int host, wasm_error *err) {
  struct stat st;
  uint8_t type = WASI_FILETYPE_UNKNOWN;
  if (host >= 0 && fstat(host, &st) == 0) type = wasi_filetype_of_mode(st.st_mode);
  uint64_t inh, base = rights_for(type, &inh);
  int64_t fd = wasi_fd_insert(c, host, type, base, inh, 0);
  if (fd < 0) return fail(err, WASM_NOMEM, "wasi: out of memory", NULL);
  c->fds[fd].borrowed = true;
  return WASM_OK;
}

/* ---- context ---- */

static char **copy_strings(const char *const *src, uint32_t n) {
  char **out = calloc(n ? n : 1, sizeof *out);
  if (!out) return NULL;
  for (uint32_t i = 0; i < n; i++) {
    out[i] = strdup(src[i] ? src[i] : "");
    if (!out[i]) {
      for (uint32_t j = 0; j < i; j++) free(out[j]);
      free(out);
      return NULL;
    }
  }
  return out;
}

static void free_strings(char **s, uint32_t n) {
  if (!s) return;
  for (uint32_t i = 0; i < n; i++) free(s[i]);
  free(s);
}

wasm_status wasi_ctx_new(const wasi_config *cfg, wasi_ctx **out,
                         wasm_error *err) {
  *out = NULL;
  if (!cfg) return fail(err, WASM_BAD_ARG, "wasi: no config", NULL);
  wasi_ctx *c = calloc(1, sizeof *c);
  if (!c) return fail(err, WASM_NOMEM, "wasi: out of memory", NULL);
  c->args = copy_strings(cfg->args, cfg->nargs);
  c->nargs = cfg->nargs;
  c->env = copy_strings(cfg->env, cfg->nenv);
  c->nenv = cfg->nenv;
  wasm_status st = WASM_OK;
  if (!c->args || !c->env) st = fail(err, WASM_NOMEM, "wasi: out of memory", NULL);
  int stdio[3] = {cfg->stdin_fd, cfg->stdout_fd, cfg->stderr_fd};
  for (int i = 0; i < 3 && st == WASM_OK; i++) st = add_stdio(c, stdio[i], err);
  for (uint32_t i = 0; i < cfg->npreopens && st == WASM_OK; i++) {
    const wasi_preopen *p = &cfg->preopens[i];
    int h = open(p->host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (h < 0) {
      st = fail(err, WASM_BAD_ARG, "wasi: cannot open directory ", p->host_path);
      break;
    }
    uint64_t base = WASI_RIGHTS_DIR, inh = WASI_RIGHTS_DIR | WASI_RIGHTS_FILE;
    if (p->read_only) {
      base &= ~WASI_RIGHTS_DIR_WRITE;
      inh &= ~(WASI_RIGHTS_DIR_WRITE | WASI_RIGHTS_FILE_WRITE);
    }
    int64_t fd = wasi_fd_insert(c, h, WASI_FILETYPE_DIRECTORY, base, inh, 0);
    char *name = strdup(p->guest_path ? p->guest_path : p->host_path);
    if (fd < 0 || !name) {
      close(h);
      free(name);
      st = fail(err, WASM_NOMEM, "wasi: out of memory", NULL);
      break;
    }
    c->fds[fd].preopen = name;
  }
  if (st != WASM_OK) {
    wasi_ctx_delete(c);
    return st;
  }
  *out = c;
  return WASM_OK;
}

void wasi_ctx_delete(wasi_ctx *c) {
  if (!c) return;
  for (uint32_t i = 0; i < c->nfds; i++) wasi_fd_release(c, i);
  free(c->fds);
  free_strings(c->args, c->nargs);
  free_strings(c->env, c->nenv);
  free(c->bindings);
  free(c);
}

void wasi_ctx_set_memory(wasi_ctx *c, wasm_memory *memory) { c->memory = memory; }

bool wasi_ctx_exit_code(const wasi_ctx *c, int *code) {
  if (!c->exited) return false;
  if (code) *code = c->exit_code;
  return true;
}

/* ---- linking ---- */

typedef int (*wasi_impl)(wasi_ctx *c, const wasm_val *a, wasm_error *err);

struct wasi_binding {
  wasi_ctx *ctx;
  wasi_impl fn;
  uint32_t nresults;
};

static const struct wasi_import {
  const char *name;
  const char *params;
  uint32_t nresults;
  wasi_impl fn;
} wasi_imports[] = {
#define WASI_IMPORT(name, params, nres) {#name, params, nres, wasi_fn_##name},
    WASI_FUNC_LIST(WASI_IMPORT)
#undef WASI_IMPORT
};
#define WASI_NIMPORTS (sizeof wasi_imports / sizeof wasi_imports[0])

/* Every import goes through here: run the implementation, return its errno
 * as the i32 result, or unwind the guest with a trap. */
static wasm_status trampoline(void *env, const wasm_val *args,
                              wasm_val *results, wasm_error *err) {
  struct wasi_binding *b = env;
  int e = b->fn(b->ctx, args, err);
  if (e < 0) {
    if (err) err->status = WASM_TRAP;
    return WASM_TRAP;
  }
  if (b->nresults) {
    results[0].kind = WASM_I32;
    results[0].of.i32 = e;
  }
  return WASM_OK;
}

wasm_status wasi_ctx_link(wasi_ctx *c, wasm_linker *linker, wasm_store *store,
                          wasm_error *err) {
  /* The host functions keep pointers into bindings: link only once. */
  if (c->bindings) return fail(err, WASM_BAD_ARG, "wasi: context already linked", NULL);
  c->bindings = calloc(WASI_NIMPORTS, sizeof *c->bindings);
  if (!c->bindings) return fail(err, WASM_NOMEM, "wasi: out of memory", NULL);
  for (size_t i = 0; i < WASI_NIMPORTS; i++) {
    const struct wasi_import *imp = &wasi_imports[i];
    uint8_t params[16], result = WASM_I32;
    uint32_t np = (uint32_t)strlen(imp->params);
    for (uint32_t j = 0; j < np; j++)
      params[j] = imp->params[j] == 'I' ? WASM_I64 : WASM_I32;
    wasm_functype *t = wasm_functype_new(params, np, &result, imp->nresults);
    if (!t) return fail(err, WASM_NOMEM, "wasi: out of memory", NULL);
    c->bindings[i] = (struct wasi_binding){c, imp->fn, imp->nresults};
    wasm_func *f = wasm_func_new_host(store, t, trampoline, &c->bindings[i]);
    wasm_functype_delete(t);
    if (!f) return fail(err, WASM_NOMEM, "wasi: cannot create ", imp->name);
    wasm_extern ext = {.kind = WASM_EXTERN_FUNC, .of.func = f};
    wasm_status st = wasm_linker_define(linker, "wasi_snapshot_preview1",
                                        imp->name, ext);
    if (st != WASM_OK) return fail(err, st, "wasi: cannot define ", imp->name);
  }
  return WASM_OK;
}
