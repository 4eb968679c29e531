/* pl_internal.h: shared by the built-in plugins (the files of src/plugins): errors,
 * WIT value builders, a string hash map, the table of host objects behind
 * resource handles, workload scopes and the file helpers of the directory
 * backends. Uses only the public headers. */
#ifndef STRATUS_PL_INTERNAL_H
#define STRATUS_PL_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stratus/component.h"
#include "stratus/plugin.h"
#include "stratus/wasi.h"

#define PL_MAX_NAME 1024       /* bytes of a bucket, container, key or object name */
#define PL_MAX_OBJS (1u << 20) /* live resources per plugin */

/* ---- errors ---- */

/* Failures and traps with a message (stratus/wasm.h). */
#define pl_fail wasm_fail
#define pl_trap(err, ...) wasm_fail(err, WASM_TRAP, __VA_ARGS__)
wasm_status pl_nomem(wasm_error *err);

/* ---- values ---- */

cm_val pl_u64(uint64_t v);
cm_val pl_bool(bool v);
cm_val pl_handle_val(uint32_t h);
/* Strings, lists and cases: cm_val_string, cm_val_agg, cm_val_bytes,
 * cm_val_case (stratus/component.h); a C string: */
bool pl_cstr(cm_val *out, const char *s);
/* result shorthands on *res; trap when out of memory. */
wasm_status pl_ok(cm_val *res, const cm_val *payload, wasm_error *err);
wasm_status pl_err(cm_val *res, const cm_val *payload, wasm_error *err);
/* result<_, string-like error> with a formatted message. */
wasm_status pl_err_str(cm_val *res, wasm_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A string argument as a NUL-terminated malloc'ed copy; NULL when out of
 * memory, too long (> PL_MAX_NAME when limit) or with an embedded NUL
 * (*why says which). */
char *pl_arg_str(const cm_val *v, bool limit, const char **why);
/* The bytes of a list<u8> argument (malloc'ed, at least 1 byte). */
uint8_t *pl_arg_bytes(const cm_val *v, size_t *n);

/* ---- string lists ---- */

void pl_strs_free(char **v, size_t n);
void pl_strs_sort(char **v, size_t n);

/* ---- a string-keyed hash map (not locked: its owner locks) ---- */

typedef struct pl_hent {
  char *key;
  void *val;
  struct pl_hent *next;
} pl_hent;

typedef struct pl_hmap {
  pl_hent **b;
  size_t nb, n;
} pl_hmap;

void *pl_hmap_get(const pl_hmap *m, const char *key);
/* Sets key (copied) to val; *old gets the value replaced (NULL: new).
 * False when out of memory. */
bool pl_hmap_put(pl_hmap *m, const char *key, void *val, void **old);
/* Removes key; returns its value (NULL: missing). */
void *pl_hmap_del(pl_hmap *m, const char *key);
/* Frees the map, calling free_val on each value (may be NULL). */
void pl_hmap_clear(pl_hmap *m, void (*free_val)(void *));
/* The keys, sorted, malloc'ed copies; false when out of memory. */
bool pl_hmap_keys(const pl_hmap *m, char ***keys, size_t *n);

/* ---- host objects behind resource handles ----
 *
 * One table per plugin, shared by its items and linkers (reps are unique
 * in it); owner is the item state, so item_unbind frees what instances
 * left behind. */

typedef struct pl_slot {
  uint8_t kind; /* 0: free */
  void *owner;
  void *p;
} pl_slot;

typedef struct pl_table {
  pthread_mutex_t mu;
  cm_reptab slots; /* of pl_slot: rep 0 is never handed out */
  void (*free_obj)(uint8_t kind, void *p); /* frees an object's p */
} pl_table;

void pl_table_init(pl_table *t, void (*free_obj)(uint8_t kind, void *p));
/* Frees every object left and the table. */
void pl_table_destroy(pl_table *t);
/* A new slot for p; 0 when full or out of memory (p stays the caller's). */
uint32_t pl_table_put(pl_table *t, uint8_t kind, void *owner, void *p);
/* The object at rep of kind, or NULL. */
void *pl_table_get(pl_table *t, uint32_t rep, uint8_t kind);
/* Removes the slot, returning its object (NULL: none of that kind). */
void *pl_table_take(pl_table *t, uint32_t rep, uint8_t kind);
/* Frees every object of owner. */
void pl_table_drain(pl_table *t, void *owner);

/* A resource defined on l: its rep for a handle the host got, checked in
 * the table (NULL with a trap in err). */
void *pl_handle_obj(pl_table *t, cm_linker *l, cm_host_resource *r, uint8_t kind,
                    const cm_val *h, uint32_t *rep, wasm_error *err);
/* An own handle for a new object (freed with free_obj on failure). */
wasm_status pl_handle_new(pl_table *t, cm_linker *l, cm_host_resource *r, uint8_t kind,
                          void *owner, void *p, cm_val *out, wasm_error *err);

/* ---- workloads and grants ---- */

/* "<namespace>/<name>" of the item's workload (malloc'ed; NULL: no memory). */
char *pl_scope(const plugin_workload *w);
/* The full name "ns:pkg/iface@version" of each interface granted to the
 * item by grants of package ns:pkg, with the default version when a grant
 * has none; true when `iface` is granted. */
bool pl_granted(const plugin_item *item, const char *ns, const char *pkg, const char *iface);

/* ---- items and the envs of their linkers ----
 *
 * What a plugin with resources (keyvalue, blobstore) keeps per item: its
 * workload scope and the envs of its linkers' host functions. An env is
 * owned by the item from the start, also when linking fails afterwards,
 * and freed with it. */

typedef struct pl_link {
  struct pl_link *next;
} pl_link;

typedef struct pl_item {
  char *scope;
  pthread_mutex_t mu; /* links */
  pl_link *links;
} pl_item;

/* The scope of item's workload and the lock; nothing to free on failure. */
wasm_status pl_item_init(pl_item *b, const plugin_item *item, wasm_error *err);
/* A zeroed env of size bytes (a struct starting with a pl_link) owned by
 * b; NULL when out of memory. */
void *pl_item_link_new(pl_item *b, size_t size);
/* Frees the envs, the scope and the lock. */
void pl_item_fini(pl_item *b);

/* A plugin with a zeroed self of self_size bytes (NULL: out of memory);
 * pl_plugin_free frees both. */
plugin *pl_plugin_new(size_t self_size);
void pl_plugin_free(plugin *p);

/* ---- files (directory backends) ---- */

/* The file name of a bucket/container/key/object name: [A-Za-z0-9_.-]
 * kept, other bytes %XX, a leading '.' (and the empty name) encoded.
 * False when the result would exceed max bytes. */
bool pl_enc_name(const char *name, char *out, size_t max);
/* The inverse; false for a name not made by pl_enc_name. */
bool pl_dec_name(const char *file, char *out, size_t max);
/* mkdir -p (mode 0755). */
wasm_status pl_mkdirs(const char *path, wasm_error *err);
/* Writes data to path through a temporary file in the same directory and
 * rename(), so readers see the old or the new content. */
wasm_status pl_write_atomic(const char *path, const uint8_t *data, size_t len,
                            wasm_error *err);
/* The whole file (malloc'ed); *found false when it does not exist. */
wasm_status pl_read_file(const char *path, uint8_t **data, size_t *len, bool *found,
                         wasm_error *err);
/* Decoded names of the entries of dir (not the temporaries), sorted;
 * a missing dir gives none when missing_ok. */
wasm_status pl_list_dir(const char *dir, bool missing_ok, char ***names, size_t *n,
                        wasm_error *err);
/* rm -r of a directory tree (missing: not an error). */
wasm_status pl_remove_tree(const char *path, wasm_error *err);
/* <root>/<enc scope parts>/<enc a>[/<enc b>] into out (max bytes). */
wasm_status pl_path(char *out, size_t max, const char *root, const char *scope,
                    const char *a, const char *b, wasm_error *err);

/* ---- counters (keyvalue increment) ---- */

/* A stored counter: decimal text or 8 big-endian bytes; false otherwise. */
bool pl_counter_parse(const uint8_t *p, size_t n, uint64_t *out);

uint64_t pl_now_secs(void);

#endif
