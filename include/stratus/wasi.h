/*
 * stratus/wasi.h: WASI preview1 ("wasi_snapshot_preview1") for core modules
 * (layer 2, built on the public engine API of stratus/wasm.h only).
 *
 * Usage:
 *   wasi_config cfg = {...};
 *   wasi_ctx *ctx;  wasi_ctx_new(&cfg, &ctx, &err);
 *   wasi_ctx_link(ctx, linker, store, &err);      // defines every import
 *   wasm_linker_instantiate(...)                  // -> instance
 *   wasi_ctx_set_memory(ctx, exported "memory");
 *   call "_start"; if it traps, wasi_ctx_exit_code() tells whether the trap
 *   was proc_exit (and with which code) or a real trap.
 *
 * The guest sees only the preopened directories: every path is resolved
 * beneath one of them and can never name a host file outside it.
 */
#ifndef STRATUS_WASI_H
#define STRATUS_WASI_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "stratus/wasm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The message of the trap proc_exit unwinds the guest with starts with
 * this marker, followed by the code. */
#define WASI_EXIT_TRAP_MARKER "wasi proc_exit "

typedef struct wasi_preopen {
  const char *host_path;  /* directory on the host */
  const char *guest_path; /* name the guest sees, e.g. "/" or "." */
  bool read_only;         /* no write/create/remove rights below it */
} wasi_preopen;

typedef struct wasi_config {
  const char *const *args; /* argv; args[0] is the program name */
  uint32_t nargs;
  const char *const *env; /* "KEY=VALUE" strings */
  uint32_t nenv;
  int stdin_fd, stdout_fd, stderr_fd; /* host fds for guest fds 0..2 */
  const wasi_preopen *preopens;       /* guest fds 3.. in this order */
  uint32_t npreopens;
} wasi_config;

typedef struct wasi_ctx wasi_ctx;

/* Creates a context; opens the preopened directories (fails with
 * WASM_BAD_ARG if one cannot be opened). The config's strings are copied;
 * the stdio fds are borrowed, never closed. */
wasm_status wasi_ctx_new(const wasi_config *cfg, wasi_ctx **out,
                         wasm_error *err);
void wasi_ctx_delete(wasi_ctx *ctx);

/* Defines every wasi_snapshot_preview1 function on the linker, as host
 * functions created in store. A context is linked once, into one store. */
wasm_status wasi_ctx_link(wasi_ctx *ctx, wasm_linker *linker, wasm_store *store,
                          wasm_error *err);

/* The guest's linear memory (its "memory" export); set right after
 * instantiation, before calling _start. Without it every call that
 * touches memory returns errno fault. */
void wasi_ctx_set_memory(wasi_ctx *ctx, wasm_memory *memory);

/* True when the guest called proc_exit; *code gets its exit code. */
bool wasi_ctx_exit_code(const wasi_ctx *ctx, int *code);


/* ---- WASI 0.2 for components (wasi:io, clocks, random, cli, filesystem,
 * sockets) ---- wasi2 API READY
 *
 * Usage:
 *   wasi2_config cfg = {...};
 *   wasi2_ctx *ctx;  wasi2_ctx_new(&cfg, &ctx, &err);
 *   wasi2_link(ctx, cm_linker, &err);   // every wasi:* 0.2 interface
 *   cm_linker_instantiate(...); call "wasi:cli/run@0.2.x#run";
 *   if the call traps, wasi2_exit_code() tells whether it was
 *   wasi:cli/exit (and with which code) or a real trap.
 * Interfaces are registered at one 0.2.x version; imports of any 0.2.y
 * match (semver-compatible). Nothing is ambient: only the preopened
 * directories are reachable, sockets are denied (access-denied) unless
 * granted. A context is linked into one linker and used by one thread. */

/* The trap message of wasi:cli/exit starts with this marker. */
#define WASI2_EXIT_TRAP_MARKER "wasi exit "

enum { /* wasi2_config.network grants */
  WASI2_NET_TCP = 1,    /* tcp-create-socket, tcp */
  WASI2_NET_UDP = 2,    /* udp-create-socket, udp */
  WASI2_NET_LOOKUP = 4, /* ip-name-lookup */
};

typedef struct wasi2_config {
  const char *const *args; /* get-arguments; args[0] is the program name */
  uint32_t nargs;
  const char *const *env; /* "KEY=VALUE" strings */
  uint32_t nenv;
  const char *cwd;        /* initial-cwd, or NULL (none) */
  int stdin_fd, stdout_fd, stderr_fd; /* host fds, borrowed; -1: empty
                                         input / discarded output */
  const wasi_preopen *preopens; /* get-directories, in this order */
  uint32_t npreopens;
  uint32_t network;       /* WASI2_NET_* bits; 0 denies every socket call */
} wasi2_config;

typedef struct wasi2_ctx wasi2_ctx;
struct cm_linker;

/* Creates a context; opens the preopened directories (WASM_BAD_ARG if one
 * cannot be opened). Strings are copied; stdio fds are never closed. */
wasm_status wasi2_ctx_new(const wasi2_config *cfg, wasi2_ctx **out, wasm_error *err);
/* Frees the context; call after the instances using it are gone. */
void wasi2_ctx_delete(wasi2_ctx *ctx);

/* Defines every WASI 0.2 interface on the linker. */
wasm_status wasi2_link(wasi2_ctx *ctx, struct cm_linker *l, wasm_error *err);

/* True when the guest called wasi:cli/exit; *code gets its exit code
 * (exit(ok) is 0, exit(err) is 1, exit-with-code(n) is n). */
bool wasi2_exit_code(const wasi2_ctx *ctx, int *code);

/* ---- extending a wasi2_ctx: host-made streams and pollables ----
 *
 * A higher layer (wasi:http) puts its own wasi:io resources into a
 * context: input and output streams and pollables backed by callbacks.
 * wasi:io/streams (read, blocking-read, skip, subscribe, check-write,
 * write, blocking-write-and-flush, flush, write-zeroes, splice) and
 * wasi:io/poll (mixed with fd and deadline pollables) work on them.
 * The drop hook runs once when the guest drops the resource, or when the
 * context frees it (wasi2_ctx_reset, wasi2_ctx_delete); it must not call
 * back into the context. A pollable a stream's subscribe made follows
 * that stream, and is ready once the stream is gone. */

enum { WASI2_IO_END = -1, WASI2_IO_FAIL = -2 }; /* stream callback results */

/* The error a callback reports with WASI2_IO_FAIL: it becomes the
 * wasi:io/error of stream-error.last-operation-failed. */
typedef struct wasi2_io_error {
  const char *message; /* to-debug-string (copied); NULL: strerror(host_errno) */
  int host_errno;
  const void *owner;   /* non-NULL: code is meaningful to owner (wasi2_error_code) */
  uint64_t code;
} wasi2_io_error;

/* Readiness: ready() says whether the operation would not block now (it
 * may do work, e.g. drive a transfer). When not ready, wait_fds fills up
 * to max entries (fd, events) to wait on and sets *timeout_ms to when
 * ready() should be asked again (-1: only when an fd fires); returns the
 * count. wait_fds may be NULL (then ready() is asked every few ms). */
typedef struct wasi2_pollable_ops {
  bool (*ready)(void *env);
  int (*wait_fds)(void *env, struct pollfd *pfd, int max, int *timeout_ms);
  void (*drop)(void *env); /* may be NULL */
} wasi2_pollable_ops;

typedef struct wasi2_stream_ops {
  /* Input streams. Up to n bytes into buf: the count (> 0); 0 when
   * nothing is there yet (only when !block); WASI2_IO_END at the end;
   * WASI2_IO_FAIL with *e filled. */
  ssize_t (*read)(void *env, void *buf, size_t n, bool block, wasi2_io_error *e);
  /* Output streams. How many bytes write accepts now (0: none, subscribe
   * and wait), or WASI2_IO_END (closed) / WASI2_IO_FAIL. */
  int64_t (*check_write)(void *env, wasi2_io_error *e);
  /* Writes all n bytes: 0, WASI2_IO_END or WASI2_IO_FAIL. */
  int (*write)(void *env, const void *buf, size_t n, wasi2_io_error *e);
  /* Flushes (waits when block): 0, WASI2_IO_END or WASI2_IO_FAIL; NULL:
   * writes are not buffered. */
  int (*flush)(void *env, bool block, wasi2_io_error *e);
  /* Readiness for subscribe, as wasi2_pollable_ops (ready NULL: always). */
  bool (*ready)(void *env);
  int (*wait_fds)(void *env, struct pollfd *pfd, int max, int *timeout_ms);
  void (*drop)(void *env); /* may be NULL */
} wasi2_stream_ops;

struct cm_val;

/* New input-stream / output-stream / pollable resources backed by ops
 * (which must outlive them) and env: *out gets an own handle, for a host
 * function's result. On failure the drop hook has run. */
wasm_status wasi2_input_stream_new(wasi2_ctx *ctx, const wasi2_stream_ops *ops, void *env,
                                   struct cm_val *out, wasm_error *err);
wasm_status wasi2_output_stream_new(wasi2_ctx *ctx, const wasi2_stream_ops *ops, void *env,
                                    struct cm_val *out, wasm_error *err);
wasm_status wasi2_pollable_new(wasi2_ctx *ctx, const wasi2_pollable_ops *ops, void *env,
                               struct cm_val *out, wasm_error *err);
/* A wasi:io/error resource carrying e (message copied). */
wasm_status wasi2_error_new(wasi2_ctx *ctx, const wasi2_io_error *e, struct cm_val *out,
                            wasm_error *err);
/* For a (borrowed) wasi:io/error handle a host function received: true
 * when it was made with owner, *code then gets its code. */
bool wasi2_error_code(wasi2_ctx *ctx, const struct cm_val *handle, const void *owner,
                      uint64_t *code);

/* Frees every resource of the context (streams, pollables, descriptors,
 * sockets, errors; the preopened directories themselves stay) and clears
 * the exit state, so one context and one linker serve request after
 * request. Call once the instances using the resources are gone. */
void wasi2_ctx_reset(wasi2_ctx *ctx);

/* ---- a virtual network and interrupting blocking waits ----
 *
 * A host running several guests that share a private network (a
 * workload's service and its components: host.h) sets a hook on each
 * context. Every address the guest gives to a socket bind or connect
 * (tcp start-bind/start-connect, udp start-bind/stream/send) goes through
 * map first, in place: it may rewrite the address (same family) or
 * refuse with an errno (EACCES -> access-denied, ECONNREFUSED, EADDRINUSE
 * ...). After a bind succeeded, bound (may be NULL) gets the address the
 * guest asked for and the one the socket really got. op is
 * WASI2_NET_OP_*, socktype SOCK_STREAM or SOCK_DGRAM. The hook still
 * needs the grant (wasi2_config.network) to create sockets at all. */
enum { WASI2_NET_OP_BIND = 1, WASI2_NET_OP_CONNECT = 2 };
struct sockaddr_storage;
typedef struct wasi2_net_hook {
  int (*map)(void *env, int op, int socktype, struct sockaddr_storage *addr);
  void (*bound)(void *env, int socktype, const struct sockaddr_storage *asked,
                const struct sockaddr_storage *real);
  void *env;
} wasi2_net_hook;
/* Sets (NULL: clears) ctx's hook; hook must outlive the context's use. */
void wasi2_ctx_set_net_hook(wasi2_ctx *ctx, const wasi2_net_hook *hook);

/* Makes blocking waits of ctx (wasi:io/poll block and poll) also wait on
 * fd (borrowed; -1: none): once fd is readable they return at once, as if
 * ready, so that the guest runs on and an epoch deadline can stop it (a
 * host stopping a long-running guest). */
void wasi2_ctx_set_interrupt(wasi2_ctx *ctx, int fd);

#ifdef __cplusplus
}
#endif
#endif
