/*
 * cm_inst.h: run-time component instances (cm-runtime), shared by
 * cm_instance.c (instantiation and calls) and cm_linker.c (host API).
 *
 * Every (nested) component instance is a cm_instance with its own handle
 * table and enter/leave flags; all of one instantiation tree share a pool
 * of allocations owned by the root. Items of every index space are
 * cm_ritem values.
 */
#ifndef STRATUS_CM_INST_H
#define STRATUS_CM_INST_H

#include "component/cm_rt.h"

typedef struct cm_coreinst {
  wasm_instance *inst;   /* instantiated module, or NULL for inline exports */
  uint32_t n;
  const char **names;
  wasm_extern *ext;
} cm_coreinst;

typedef struct cm_ritem cm_ritem;
typedef struct cm_iexports {
  uint32_t n;
  const char **names;
  cm_ritem *items;
} cm_iexports;

typedef struct cm_closure {
  const cm_component_def *def;
  cm_instance *parent;   /* for outer aliases */
} cm_closure;

struct cm_ritem {
  cm_sort sort;
  bool set;
  union {
    wasm_extern core;    /* CORE_FUNC/TABLE/MEMORY/GLOBAL */
    const wasm_module *module;
    cm_coreinst *cinst;
    cm_func *func;
    cm_val *value;
    const cm_rtres *res; /* TYPE: the resource, NULL for other types */
    cm_closure *comp;
    cm_iexports *inst;
  } u;
};

/* Shared by the instances of one linker (and everything they call). */
typedef struct cm_ctx {
  uint32_t refs;
  cm_htable transit;
  uint32_t next_res_id;
  /* host-defined resource types (cm_linker_define_resource): they live as
   * long as any instance that may hold their handles */
  cm_rtres **host_res;
  uint32_t nhost_res, caphost_res;
} cm_ctx;

typedef struct cm_resmap { const cm_resource_type *st; const cm_rtres *rt; } cm_resmap;

typedef struct cm_pool_node cm_pool_node;

struct cm_instance {
  const cm_component_def *def;
  cm_instance *parent;   /* lexical parent (outer aliases), NULL at root */
  cm_instance *root;
  cm_ctx *ctx;
  wasm_store *store;
  cm_ritem *items[CM_SORT_COUNT];
  cm_resmap *map;
  uint32_t nmap, capmap;
  cm_htable handles;
  bool may_enter, may_leave;
  int32_t context[2];    /* context.get/set slots (no tasks yet: per instance) */
  /* The running async-lifted call (tasks complete synchronously): where
   * task.return puts the result, and whether it has. */
  cm_val *task_result;
  bool task_active, task_returned;
  cm_iexports exports;
  uint32_t capexports;
  /* root only: every allocation and nested instance of the tree */
  cm_pool_node *pool;
  cm_instance **all;
  uint32_t nall, capall;
};

typedef enum cm_func_kind { CMF_LIFTED, CMF_HOST } cm_func_kind;

struct cm_func {
  cm_func_kind kind;
  const cm_functype *type;
  cm_ctx *ctx;
  wasm_store *store;
  /* lifted */
  cm_instance *inst;
  wasm_func *core;
  wasm_memory *mem;
  wasm_func *realloc, *post_return;
  cm_strenc enc;
  bool async_, callback; /* lifted with the async option (and a callback) */
  /* host */
  cm_host_fn fn;
  void *env;
};

void *cm_pool_alloc(cm_instance *root, size_t n);
/* Hands obj to the root's pool: dtor(obj) runs at cm_instance_delete. */
bool cm_pool_own(cm_instance *root, void *obj, void (*dtor)(void *));

/* cm_linker.c: registers an instance under a name (the runner's
 * `register`), and the linker's shared context. */
wasm_status cm_linker_define_instance(cm_linker *l, const char *name,
                                      cm_instance *inst, wasm_error *err);
cm_ctx *cm_linker_ctx(cm_linker *l);

cm_ctx *cm_ctx_new(void);
void cm_ctx_ref(cm_ctx *c);
void cm_ctx_unref(cm_ctx *c);

/* Instantiates c with the given root imports (name -> item). */
wasm_status cm_instantiate(wasm_store *s, cm_ctx *ctx, const cm_component *c,
                           const char *const *names, const cm_ritem *items,
                           uint32_t n, cm_instance **out, wasm_error *err);

/* Calls f with lifted values; caller is the calling component instance
 * (NULL for the host). */
wasm_status cm_func_invoke(cm_func *f, cm_instance *caller, const cm_val *args,
                           size_t nargs, cm_val *result, wasm_error *err);

#endif
