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

#include <stdbool.h>
#include <stdint.h>

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

#ifdef __cplusplus
}
#endif
#endif
