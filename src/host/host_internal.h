/* host_internal.h: what the files of the host layer share: an arena that
 * owns a workload's (or a plan's) allocations, freed at once, and error
 * formatting. */
#ifndef STRATUS_HOST_INTERNAL_H
#define STRATUS_HOST_INTERNAL_H

#include <stddef.h>

#include "stratus/host.h"

typedef struct host_arena host_arena;

host_arena *host_arena_new(void);
void host_arena_free(host_arena *a);
/* Zeroed memory owned by a; NULL when out of memory. */
void *host_arena_alloc(host_arena *a, size_t size);
/* Copies of strings owned by a; NULL when out of memory. */
char *host_arena_strndup(host_arena *a, const char *s, size_t n);
char *host_arena_strdup(host_arena *a, const char *s);
char *host_arena_printf(host_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define host_fail wasm_fail /* stratus/wasm.h */

/* An interface name split: "ns:pkg/iface@ver". Each part points into the
 * name with its length; ver_len 0: no version. */
typedef struct host_iface {
  const char *ns, *pkg, *iface, *ver;
  size_t ns_len, pkg_len, iface_len, ver_len;
} host_iface;

/* False when name is not of the form ns:pkg/iface[@ver]. */
bool host_iface_parse(const char *name, size_t len, host_iface *out);
/* Equal, or semver-compatible, or either empty. */
bool host_version_compatible(const char *a, size_t alen, const char *b, size_t blen);

#endif
