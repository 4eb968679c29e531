/* wasi2_internal.h: shared by the WASI 0.2 files (wasi2_*.c): the context,
 * the table of host objects behind resource handles, value builders and
 * the registration of one interface. Uses only the public component API. */
#ifndef STRATUS_WASI2_INTERNAL_H
#define STRATUS_WASI2_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stratus/component.h"
#include "stratus/wasi.h"

/* Every interface is registered at this version; imports of any 0.2.y
 * match it (semver-compatible). */
#define W2_VERSION "0.2.12"

#define W2_MAX_OBJS 65536       /* live resources per context */
#define W2_MAX_IO (1u << 20)    /* bytes per read / write call */
#define W2_MAX_PATH 4096

/* The resource types, each defined by one interface. */
#define W2_RESOURCE_LIST(X)                                                   \
  X(ERROR, "wasi:io/error", "error")                                          \
  X(POLLABLE, "wasi:io/poll", "pollable")                                     \
  X(INPUT, "wasi:io/streams", "input-stream")                                 \
  X(OUTPUT, "wasi:io/streams", "output-stream")                               \
  X(TERM_IN, "wasi:cli/terminal-input", "terminal-input")                     \
  X(TERM_OUT, "wasi:cli/terminal-output", "terminal-output")                  \
  X(DESCRIPTOR, "wasi:filesystem/types", "descriptor")                        \
  X(DIRSTREAM, "wasi:filesystem/types", "directory-entry-stream")             \
  X(NETWORK, "wasi:sockets/network", "network")                               \
  X(TCP, "wasi:sockets/tcp", "tcp-socket")                                    \
  X(UDP, "wasi:sockets/udp", "udp-socket")                                    \
  X(IN_DGRAM, "wasi:sockets/udp", "incoming-datagram-stream")                 \
  X(OUT_DGRAM, "wasi:sockets/udp", "outgoing-datagram-stream")                \
  X(RESOLVE, "wasi:sockets/ip-name-lookup", "resolve-address-stream")

typedef enum w2_kind {
  W2_FREE = 0,
#define W2_KIND_ENUM(id, iface, name) W2_##id,
  W2_RESOURCE_LIST(W2_KIND_ENUM)
#undef W2_KIND_ENUM
  W2_KIND_COUNT
} w2_kind;

/* How a stream or pollable reaches the host. */
typedef enum w2_io {
  W2_IO_NONE,   /* empty input / discarded output */
  W2_IO_FD,     /* read()/write() on fd (stdio, pipes) */
  W2_IO_FILE,   /* pread()/pwrite() at off on fd (or append) */
  W2_IO_SOCKET, /* nonblocking socket */
  W2_IO_CUSTOM, /* wasi2_stream_ops callbacks (wasi2_ext.c) */
} w2_io;

typedef enum w2_poll {
  W2_POLL_READY,    /* always ready */
  W2_POLL_DEADLINE, /* monotonic clock reaches deadline */
  W2_POLL_FD,       /* fd becomes readable / writable (events) */
  W2_POLL_CUSTOM,   /* wasi2_pollable_ops callbacks */
  W2_POLL_STREAM,   /* follows custom stream `parent` (of generation gen) */
} w2_poll;

typedef struct w2_obj {
  uint8_t kind;       /* w2_kind; W2_FREE on the free list */
  int fd;             /* host fd or -1 */
  bool own_fd;        /* closed with the object */
  union {
    struct { int host_errno; char *msg; const void *owner; uint64_t code; } error;
    struct {
      uint8_t what; uint64_t deadline; short events;
      const wasi2_pollable_ops *ops; void *env; /* W2_POLL_CUSTOM */
      uint32_t parent, gen;                     /* W2_POLL_STREAM */
    } poll;
    struct {
      uint8_t io; bool append, closed; uint64_t off;
      const wasi2_stream_ops *ops; void *env; uint32_t gen; /* W2_IO_CUSTOM */
    } stream;
    struct { uint8_t type; uint32_t flags; } desc; /* descriptor-type, -flags */
    struct { void *dir; } dirs;                   /* DIR * */
    struct {
      int family;        /* AF_INET / AF_INET6 */
      uint8_t state;     /* w2_sock_state */
      bool connect_failed;
      int pending_errno;
      uint64_t backlog;
      void *addrs;       /* resolve: struct addrinfo list / cursor */
      void *cur;
      int lookup_errno;  /* resolve: EAI_* mapped later */
    } sock;
  } u;
} w2_obj;

struct wasi2_ctx {
  char **args;
  uint32_t nargs;
  char **env;
  uint32_t nenv;
  char *cwd;
  int stdio[3];
  struct w2_preopen { int fd; char *name; bool read_only; } *preopens;
  uint32_t npreopens;
  uint32_t network;
  bool exited;
  int exit_code;
  cm_linker *l;
  cm_host_resource *res[W2_KIND_COUNT];
  cm_reptab objs; /* of w2_obj: rep 0 is never handed out */
  uint32_t gen; /* generations of custom streams (wasi2_ext.c) */
  const wasi2_net_hook *net_hook; /* wasi2_ctx_set_net_hook, or NULL */
  int intr_fd1; /* wasi2_ctx_set_interrupt's fd + 1; 0: none (calloc) */
};

/* ---- objects (wasi2_ctx.c) ---- */

/* A new object of kind k (fd -1, zeroed); NULL when the table is full. */
w2_obj *w2_obj_alloc(wasi2_ctx *c, w2_kind k, uint32_t *rep);
/* Frees an object (closes its fd when owned). */
void w2_obj_free(wasi2_ctx *c, uint32_t rep);
/* An own handle for the object at rep, in *out; on failure the object is
 * freed. */
wasm_status w2_handle(wasi2_ctx *c, w2_kind k, uint32_t rep, cm_val *out, wasm_error *err);
/* The object behind a handle of kind k (NULL: trap in err). */
w2_obj *w2_get(wasi2_ctx *c, w2_kind k, const cm_val *h, uint32_t *rep, wasm_error *err);
/* The destructor of every resource type (env: the context). */
void w2_dtor(void *env, uint32_t rep);

/* Fills err with status and a message; returns status (stratus/wasm.h). */
#define w2_fail wasm_fail
/* A trap with a message. */
#define w2_trap(err, ...) wasm_fail(err, WASM_TRAP, __VA_ARGS__)

/* ---- values (wasi2_ctx.c) ---- */

cm_val w2_u64(uint64_t v);
cm_val w2_u32(uint32_t v);
cm_val w2_u16(uint16_t v);
cm_val w2_u8(uint8_t v);
cm_val w2_s32(int32_t v);
cm_val w2_bool(bool v);
cm_val w2_enum(uint32_t disc);
/* Strings, lists and cases: cm_val_string, cm_val_agg, cm_val_bytes,
 * cm_val_case (stratus/component.h). Returns false when out of memory. */
bool w2_flags(cm_val *out, uint32_t bits);
/* result<_, E>/result<T, E> shorthands on *res; trap on out of memory. */
wasm_status w2_ok(cm_val *res, const cm_val *payload, wasm_error *err);
wasm_status w2_err(cm_val *res, const cm_val *payload, wasm_error *err);
wasm_status w2_err_enum(cm_val *res, uint32_t code, wasm_error *err);
wasm_status w2_nomem(wasm_error *err);

/* The bytes of a list<u8> argument, into a malloc'd buffer (*n bytes). */
uint8_t *w2_arg_bytes(const cm_val *v, size_t *n);
/* A string argument as a NUL-terminated copy (NULL: out of memory or an
 * embedded NUL, *bad set for the latter). */
char *w2_arg_str(const cm_val *v, bool *bad);

uint64_t w2_monotonic_ns(void);

/* ---- interfaces ---- */

typedef struct w2_fn {
  const char *name;
  cm_host_fn fn;
} w2_fn;

/* Defines interface iface ("wasi:io/streams", version added) from WIT text
 * with its functions; resource destructors are wired to w2_dtor. */
wasm_status w2_define(wasi2_ctx *c, const char *iface, const char *wit, const w2_fn *fns,
                      size_t n, wasm_error *err);

/* Per package (wasi2_<pkg>.c). */
wasm_status w2_link_io(wasi2_ctx *c, wasm_error *err);
wasm_status w2_link_clocks(wasi2_ctx *c, wasm_error *err);
wasm_status w2_link_random(wasi2_ctx *c, wasm_error *err);
wasm_status w2_link_cli(wasi2_ctx *c, wasm_error *err);
wasm_status w2_link_fs(wasi2_ctx *c, wasm_error *err);
wasm_status w2_link_sockets(wasi2_ctx *c, wasm_error *err);

/* Streams and pollables over host fds (wasi2_io.c), for the other
 * packages: *out gets an own handle. */
wasm_status w2_new_input(wasi2_ctx *c, int fd, bool own_fd, w2_io io, uint64_t off,
                         cm_val *out, wasm_error *err);
wasm_status w2_new_output(wasi2_ctx *c, int fd, bool own_fd, w2_io io, uint64_t off,
                          bool append, cm_val *out, wasm_error *err);
wasm_status w2_new_pollable(wasi2_ctx *c, w2_poll what, int fd, short events,
                            uint64_t deadline, cm_val *out, wasm_error *err);
/* An error resource carrying a host errno (for stream-error). */
wasm_status w2_new_error(wasi2_ctx *c, int host_errno, cm_val *out, wasm_error *err);

/* Custom streams and pollables (wasi2_ext.c), for wasi2_io.c. */
ssize_t w2_custom_read(w2_obj *o, uint8_t *buf, size_t len, bool blocking,
                       wasi2_io_error *ce);
/* 0, or WASI2_IO_END / WASI2_IO_FAIL (*ce) */
int w2_custom_write(w2_obj *o, const uint8_t *buf, size_t len, bool blocking,
                    wasi2_io_error *ce);
int64_t w2_custom_check_write(w2_obj *o, wasi2_io_error *ce);
int w2_custom_flush(w2_obj *o, bool blocking, wasi2_io_error *ce);
wasm_status w2_custom_subscribe(wasi2_ctx *c, uint32_t stream_rep, cm_val *out,
                                wasm_error *err);
/* A custom or stream-following pollable: ready now? Else its fds (up to
 * max) and re-check timeout. */
bool w2_custom_ready(wasi2_ctx *c, w2_obj *p);
int w2_custom_wait_fds(wasi2_ctx *c, w2_obj *p, struct pollfd *pfd, int max, int *timeout_ms);
/* Runs the drop hook of a custom stream or pollable (from w2_obj_free). */
void w2_custom_drop(w2_obj *o);
/* result<_, stream-error> last-operation-failed with a custom error. */
wasm_status w2_custom_failed(wasi2_ctx *c, const wasi2_io_error *ce, cm_val *res,
                             wasm_error *err);

/* filesystem error-code of a host errno (wasi2_fs.c) */
uint32_t w2_fs_code(int host_errno);

#endif
