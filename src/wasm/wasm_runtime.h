/*
 * wasm_runtime.h: runtime objects shared by the runtime (wasm_runtime.c,
 * wasm_instance.c) and the executor (wasm_exec.c).
 */
#ifndef WASM_RUNTIME_H
#define WASM_RUNTIME_H

#include <stdatomic.h>

#include "wasm_module.h"

#define WASM_DEFAULT_CALL_DEPTH 10000u
#define WASM_DEFAULT_STACK_BYTES (16u << 20) /* value stack per store */

struct wasm_engine {
  wasm_config config; /* defaults filled in */
  struct wasm_mem_pool *mem_pool; /* reserved memory regions for reuse */
  _Atomic uint64_t epoch; /* wasm_engine_increment_epoch, any thread */
};

/* A linear memory. The whole addressable range (up to the maximum, at most
 * 4 GiB) plus a guard region is reserved once with mmap, so `data` never
 * moves when the memory grows; only [0, size) is readable and writable. */
struct wasm_memory {
  uint8_t *data;
  uint64_t size;      /* bytes currently accessible = pages * 64 KiB */
  wasm_limits limits; /* in pages; limits.min follows the current size */
  uint64_t max_pages; /* effective maximum: type maximum, store limit, 4 GiB */
  size_t reserved;    /* bytes reserved by mmap */
  wasm_store *store;  /* the store that owns it */
  /* The copy-on-write image of initial contents mapped over its start, or
   * NULL (wasm_memory.c). */
  const struct wasm_mem_image *image;
};

struct wasm_table {
  void **elems;       /* funcref: wasm_func*, externref: host pointer */
  uint64_t size;
  uint8_t elem_kind;
  wasm_limits limits;
  uint64_t max_size;  /* effective maximum */
  wasm_store *store;  /* the store that owns it */
};

struct wasm_global {
  uint8_t kind;
  bool mutable_;
  /* value.kind == kind. Set with wasm_global_set: an i32 or f32 is stored
   * zero-extended in the first 8 bytes, as in a slot, since global.get
   * copies those 8 bytes and the interpreter relies on every 32-bit slot
   * value being zero-extended (i64.extend_i32_u is free). */
  wasm_val value;
  wasm_store *store; /* the store that owns it */
};

struct wasm_func {
  const wasm_functype *type;
  /* A wasm function: its instance and definition. */
  wasm_instance *instance;
  const wasm_funcdef *def;
  uint32_t index; /* function index in the module's index space */
  /* A host function. */
  wasm_host_fn host;
  void *env;
  wasm_functype *owned_type; /* a copy owned by this func, or NULL (host
                              * funcs keep their type copy inline) */
  /* The store that owns it; NULL for a host function defined on a linker
   * (wasm_linker_define_func): immutable, usable from any store. */
  wasm_store *store;
};

/* An exception tag: identity is the object's address (an imported tag is
 * the exporter's object). */
struct wasm_tag {
  const wasm_functype *type; /* owned by the defining module */
  wasm_store *store;
};

/* A caught exception as an exnref value (catch_ref, throw_ref): owned by
 * the store, freed with it. */
typedef struct wasm_exn {
  wasm_tag *tag;
  uint32_t nslots;
  uint64_t payload[]; /* nslots slots */
} wasm_exn;

struct wasm_instance {
  const wasm_module *module;
  wasm_store *store;
  wasm_func **funcs;       /* whole index space, imports first */
  wasm_table **tables;
  wasm_memory **memories;
  wasm_global **globals;
  wasm_tag **tags;         /* whole index space, imports first */
  uint8_t *elem_dropped;   /* one flag per element segment */
  uint8_t *data_dropped;   /* one flag per data segment */
  /* All of the above (and the defined functions, globals, tables and
   * memories themselves) live in one allocation: this struct's. */
};

/* Every object a store creates is freed with it. */
typedef enum wasm_object_kind {
  WASM_OBJ_FUNC, WASM_OBJ_TABLE, WASM_OBJ_MEMORY, WASM_OBJ_GLOBAL,
  WASM_OBJ_INSTANCE, WASM_OBJ_PRE, WASM_OBJ_EXN,
} wasm_object_kind;

struct wasm_store {
  wasm_engine *engine;
  wasm_store_limits limits;
  /* Objects, freed in reverse order by wasm_store_delete. */
  struct { wasm_object_kind kind; void *ptr; } *objects;
  size_t nobjects, cap_objects;
  /* Executor state: value stack (allocated on first call) and depth. */
  uint64_t *stack;      /* 8-byte slots; a v128 takes two */
  size_t stack_slots;
  size_t stack_top;     /* first free slot for a nested call */
  uint32_t call_depth;
  /* CPU budgets (wasm_exec.c); zero-initialised means unlimited. */
  bool fuel_limited;
  uint64_t fuel;           /* units left when fuel_limited */
  bool deadline_set;
  uint64_t epoch_deadline; /* engine epoch at which to interrupt */
  /* Objects created so far, checked against limits. */
  uint64_t ninstances, nmemories, ntables;
  /* The exception in flight (wasm_exec.c): set when a throw leaves a call
   * uncaught, so a wasm caller across a host function rethrows it. */
  wasm_tag *exn_tag;
  uint64_t *exn_payload;   /* malloc'd slots */
  uint32_t exn_slots;
  wasm_exn *exn_obj;       /* its exnref when it has one (throw_ref) */
};

/* Registers p with the store so wasm_store_delete frees it. */
wasm_status wasm_store_track(wasm_store *s, wasm_object_kind kind, void *p);

/* The executor's entry point (wasm_exec.c): calls f with args (already
 * checked against its type) and writes its results. Re-entrant: a host
 * function may call back into wasm through wasm_func_call. */
wasm_status wasm_exec_call(wasm_store *s, wasm_func *f, const wasm_val *args,
                           wasm_val *results, wasm_error *err);

/* Evaluates a constant expression against an instance being built; it may
 * read the globals initialised so far. */
wasm_status wasm_eval_const(const wasm_instance *inst, wasm_constexpr e,
                            uint8_t kind, wasm_val *out, wasm_error *err);

/* Memory and table growth used by both the API and the executor; return the
 * old size, or -1 when the growth is refused. */
int64_t wasm_memory_grow(wasm_memory *m, uint64_t delta_pages);
int64_t wasm_table_grow(wasm_table *t, uint64_t delta, void *init);

#endif
