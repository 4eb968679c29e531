/*
 * wasm_pre.h: internals shared by the runtime's own files (wasm_runtime.c,
 * wasm_memory.c, wasm_instance.c, wasm_pre.c): objects that live inside an
 * instance's single allocation, memory images, pre-instances.
 */
#ifndef WASM_PRE_H
#define WASM_PRE_H

#include "wasm_runtime.h"

/* ---- memories (wasm_memory.c) ---- */

/* The initial contents of one defined memory, in a sealed memfd mapped
 * copy-on-write at instantiation. */
typedef struct wasm_mem_image {
  int fd;      /* -1: none */
  size_t len;  /* bytes, a multiple of the host page size */
  uint64_t id; /* unique for the process's lifetime; 0 for none */
} wasm_mem_image;

/* Initialises *m (zeroed) as a memory of s with the given type: checks the
 * store's limits, reserves the address range (or takes a region from the
 * engine's pool), makes the minimum accessible and, when img is given and
 * fits, maps it over the start (m->image says whether that happened; if
 * not, the memory is zeroed). On failure *m stays releasable. Does not
 * track m. */
wasm_status wasm_memory_init(wasm_memory *m, wasm_store *s, wasm_limits limits,
                             const wasm_mem_image *img, wasm_error *err);
/* Replaces a mapped image by zeroes (instantiation failed before the data
 * segments). False when the memory is unusable. */
bool wasm_memory_drop_image(wasm_memory *m);
/* Returns the region to the engine's pool, or unmaps it. */
void wasm_memory_release(wasm_memory *m);

/* Builds the image of defined memory `mem` (an index among all memories)
 * of m from its active data segments, whose offsets are given (all static
 * and in bounds: the caller checked). False when the host refuses (no
 * memfd): the caller then copies at instantiation. An image with fd -1 is
 * an all-zero memory. */
bool wasm_mem_image_build(const wasm_module *m, uint32_t mem, const uint64_t *offsets,
                          wasm_mem_image *out);
/* Closes img and drops the pooled regions of engine e that map it. */
void wasm_mem_image_free(wasm_engine *e, wasm_mem_image *img);

/* The engine's pool of reserved regions. */
void wasm_mem_pool_forget_image(wasm_engine *e, uint64_t image_id);
void wasm_mem_pool_delete(struct wasm_mem_pool *pool);

/* ---- tables (wasm_runtime.c) ---- */

wasm_status wasm_table_init(wasm_table *t, wasm_store *s, uint8_t elem_kind,
                            wasm_limits limits, void *init, wasm_error *err);
void wasm_table_release(wasm_table *t);

/* ---- constant expressions (wasm_instance.c) ---- */

/* What a constant expression evaluates to without an instance. */
typedef enum wasm_const_how {
  WASM_CONST_VALUE,   /* val */
  WASM_CONST_FUNC,    /* a funcref to function `func` of the instance */
  WASM_CONST_DYNAMIC, /* reads an imported global: evaluate per instance */
} wasm_const_how;

/* Evaluates e statically. WASM_CONST_DYNAMIC is not an error; a malformed
 * or ill-typed expression is. */
wasm_status wasm_eval_const_static(const wasm_module *m, wasm_constexpr e, uint8_t kind,
                                   wasm_const_how *how, wasm_val *val, uint32_t *func,
                                   wasm_error *err);

/* Import matching (limits subtyping against current sizes). */
bool wasm_import_matches(const wasm_module *m, const wasm_import *imp, const wasm_extern *ext);

/* The store that owns ext, or NULL for a store-independent definition. */
wasm_store *wasm_extern_store(const wasm_extern *ext);

/* ---- functions (wasm_runtime.c) ---- */

/* A store-independent host function, reference-counted (the linker and each
 * pre-instance using it hold a reference). */
wasm_func *wasm_shared_func_new(const wasm_functype *type, wasm_host_fn fn, void *env);
void wasm_shared_func_ref(wasm_func *f);
void wasm_shared_func_unref(wasm_func *f);
static inline bool wasm_func_is_shared(const wasm_func *f) { return f && !f->store && f->host; }

/* ---- instances and pre-instances (wasm_pre.c) ---- */

/* Builds a pre-instance from imports in the module's import order (this
 * checks them against the module's import types). With reuse (an explicit
 * pre-instance), the module's memory images are built if possible. */
wasm_status wasm_pre_new(const wasm_module *m, const wasm_extern *imports, size_t nimports,
                         bool reuse, wasm_instance_pre **out, wasm_error *err);
/* Instantiates through a temporary pre-instance, whose ownership passes to
 * the store when instances need it to live on. */
wasm_status wasm_pre_instantiate_once(wasm_instance_pre *pre, wasm_store *s,
                                      wasm_instance **out, wasm_error *err);
void wasm_instance_free(wasm_instance *inst);
void wasm_pre_free(wasm_instance_pre *pre);
/* Frees the module's preparation (wasm_module.prep). */
void wasm_module_prep_free(void *prep);

#endif
