/*
 * cm_rt.h: the component runtime's internal interfaces (cm-runtime):
 * resource handle tables (cm_resource.c), the canonical ABI (cm_abi.c) and
 * what instantiation (cm_instance.c) and the linker (cm_linker.c) share.
 *
 * Values cross between components as cm_val trees: the caller's side lifts
 * from its memory into cm_val, the callee's side lowers from cm_val into
 * its memory. Handles in a cm_val are indices in a "transit" table shared
 * by every instance of one runtime context (it is also the host's table).
 */
#ifndef STRATUS_CM_RT_H
#define STRATUS_CM_RT_H

#include <stdarg.h>

#include "component/cm_internal.h"
#include "stratus/component.h"

#define cm_rt_fail wasm_fail /* stratus/wasm.h */

/* ---- resources and handle tables ---- */

typedef struct cm_rtres cm_rtres;
struct cm_rtres {          /* a resource type at run time (generative) */
  uint32_t id;
  void *impl;              /* identity of the defining instance; NULL: host */
  wasm_func *dtor;         /* core destructor (param i32), or NULL */
  cm_resource_dtor host_dtor; /* host-defined resource: C destructor, or NULL */
  void *host_env;
  wasm_store *store;
  const char *name;        /* for messages; may be NULL */
};

enum { CM_H_FREE = 0, CM_H_OWN = 1, CM_H_BORROW = 2 };

typedef struct cm_callscope cm_callscope;

typedef struct cm_handle {
  const cm_rtres *rt;
  uint32_t rep;
  uint8_t state;           /* CM_H_* */
  uint32_t lends;          /* own: outstanding borrows */
  cm_callscope *scope;     /* borrow: the call it belongs to */
} cm_handle;

typedef struct cm_htable {
  cm_reptab handles;       /* of cm_handle; index 0 is invalid */
} cm_htable;

typedef struct cm_lender { cm_htable *t; uint32_t i; } cm_lender;

struct cm_callscope {      /* one lifted call's borrow bookkeeping */
  uint32_t borrow_count;
  cm_lender *lenders;
  uint32_t nlenders, cap;
};

void cm_htable_init(cm_htable *t);
void cm_htable_free(cm_htable *t);
/* Returns the new index (>= 1), or 0 with err filled. */
uint32_t cm_htable_insert(cm_htable *t, cm_handle h, wasm_error *err);
/* NULL with a trap in err for an unknown index. */
cm_handle *cm_htable_get(cm_htable *t, uint32_t i, wasm_error *err);
/* Checks the type: "handle index N used with the wrong type". */
cm_handle *cm_htable_get_typed(cm_htable *t, uint32_t i, const cm_rtres *rt,
                               wasm_error *err);
void cm_htable_remove(cm_htable *t, uint32_t i);

void cm_scope_init(cm_callscope *s);
/* Ends a callee scope: traps if borrows remain, then releases lenders. */
wasm_status cm_scope_finish(cm_callscope *s, bool check_borrows,
                            wasm_error *err);
wasm_status cm_scope_add_lender(cm_callscope *s, cm_htable *t, uint32_t i,
                                wasm_error *err);
void cm_scope_free(cm_callscope *s);

/* The builtins, shared by the core host functions of instantiation. */
wasm_status cm_resource_new(cm_htable *t, const cm_rtres *rt, uint32_t rep,
                            uint32_t *out, wasm_error *err);
wasm_status cm_resource_rep(cm_htable *t, const cm_rtres *rt, uint32_t i,
                            uint32_t *out, wasm_error *err);
/* Drops handle i; an own handle's destructor runs (when the resource has
 * one). */
wasm_status cm_resource_drop(cm_htable *t, const cm_rtres *rt, uint32_t i,
                             wasm_error *err);

/* ---- canonical ABI ---- */

typedef cm_string_encoding cm_strenc; /* from cm_internal.h */

#define CM_MAX_STRING_BYTE_LENGTH 0x7fffffffu

/* Maps a type's static resource to the run-time resource type. */
typedef const cm_rtres *(*cm_resolve_fn)(void *env, const cm_resource_type *r);

typedef struct cm_abi_cx {
  wasm_store *store;
  wasm_memory *mem;        /* NULL when the options have none */
  wasm_func *realloc;      /* NULL when the options have none */
  cm_strenc enc;
  bool adapter;            /* component-to-component (message wording) */
  cm_htable *handles;      /* this component instance's table */
  void *self;              /* this instance's identity (cm_rtres.impl) */
  cm_callscope *scope;     /* the current call's borrow scope */
  cm_htable *transit;      /* handles inside cm_val */
  cm_resolve_fn resolve;
  void *resolve_env;
  wasm_error *err;
} cm_abi_cx;

uint32_t cm_abi_align(const cm_type *t);
uint32_t cm_abi_size(const cm_type *t);
/* Writes up to cap core types of t's flattening into out (if non-NULL);
 * returns the full count (saturating at 0xffff). */
uint32_t cm_abi_flatten(const cm_type *t, uint8_t *out, uint32_t cap);
/* The flat signature of a function type in the 'lift' or 'lower' context;
 * params/results need room for MAX_FLAT_PARAMS + 1 entries. */
void cm_abi_flatten_functype(const cm_functype *ft, bool lower,
                             uint8_t *params, uint32_t *nparams,
                             uint8_t *results, uint32_t *nresults);

/* Lifts one value of type t from flat values vals[*pos...]. */
wasm_status cm_abi_lift_flat(cm_abi_cx *cx, const cm_type *t,
                             const wasm_val *vals, uint32_t nvals,
                             uint32_t *pos, cm_val *out);
/* Lowers v into flat values appended at out[*n] (cap entries). */
wasm_status cm_abi_lower_flat(cm_abi_cx *cx, const cm_type *t, const cm_val *v,
                              wasm_val *out, uint32_t cap, uint32_t *n);
wasm_status cm_abi_load(cm_abi_cx *cx, const cm_type *t, uint64_t ptr,
                        cm_val *out);
wasm_status cm_abi_store(cm_abi_cx *cx, const cm_type *t, const cm_val *v,
                         uint64_t ptr);
/* Calls realloc(0, 0, align, size) and checks the result. */
wasm_status cm_abi_alloc(cm_abi_cx *cx, uint32_t align, uint32_t size,
                         uint32_t *out);

/* Lifts a list of values (params or results) from core values with the
 * flattening limit max_flat (spilled through memory above it). */
wasm_status cm_abi_lift_values(cm_abi_cx *cx, const cm_type *const *ts,
                               uint32_t n, uint32_t max_flat,
                               const wasm_val *vals, uint32_t nvals,
                               cm_val *out);
/* Lowers values. Above max_flat: if out_ptr_given, stores at *out_ptr (the
 * caller-supplied pointer); else allocates with realloc and returns the
 * pointer as the single flat value. */
wasm_status cm_abi_lower_values(cm_abi_cx *cx, const cm_type *const *ts,
                                uint32_t n, uint32_t max_flat,
                                const cm_val *vs, wasm_val *out, uint32_t cap,
                                uint32_t *nout, bool out_ptr_given,
                                uint32_t out_ptr);

/* Checks a host definition's WIT function type ("func(x: u32) -> string")
 * against the component's type ft (NULL: syntax only). Returns WASM_OK,
 * WASM_MALFORMED (bad syntax) or WASM_LINK_ERROR (types differ), with the
 * reason in why. */
wasm_status cm_wit_check_func(const char *wit, const cm_functype *ft, char *why,
                              size_t whylen);
/* The same, resolving named types against defs, the WIT text of the
 * interface the function was defined in (NULL: all matched by name). */
wasm_status cm_wit_check_func_in(const char *wit, const char *defs, const cm_functype *ft,
                                 char *why, size_t whylen);
/* cm_linker_define_func, also keeping the interface's WIT text (copied). */
/* Records that the host defines interface iface (also one of types only). */
wasm_status cm_linker_note_iface(cm_linker *l, const char *iface, wasm_error *err);
wasm_status cm_linker_define_func_in(cm_linker *l, const char *iface, const char *func,
                                     const char *wit_type, const char *defs, cm_host_fn fn,
                                     void *env, wasm_error *err);

#endif
