/*
 * stratus/component.h: the Component Model runtime (layer 2).
 *
 * A component is decoded, validated and compiled once (cm_component_new),
 * instantiated in a wasm_store with a cm_linker that provides its imports,
 * and called through its exported functions with WIT-typed values. Host
 * interfaces are registered on the linker under their full name
 * "namespace:package/interface@version"; an import matches a definition
 * with a semver-compatible version (wasi:io/streams@0.2.10 is served by
 * 0.2.12), as wasmtime does.
 *
 * Types: the WIT value types as a tree of cm_type nodes. Values: cm_val,
 * a tagged tree that owns its strings and children (cm_val_free).
 */
#ifndef STRATUS_COMPONENT_H
#define STRATUS_COMPONENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stratus/wasm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- value types ---- */

typedef enum cm_typekind {
  CM_BOOL, CM_S8, CM_U8, CM_S16, CM_U16, CM_S32, CM_U32, CM_S64, CM_U64,
  CM_F32, CM_F64, CM_CHAR, CM_STRING, CM_ERROR_CONTEXT,
  CM_LIST,    /* list<T>, or list<T, N> when fixed_len > 0 */
  CM_RECORD, CM_TUPLE, CM_VARIANT, CM_ENUM, CM_FLAGS, CM_OPTION, CM_RESULT,
  CM_OWN, CM_BORROW,
  CM_STREAM, CM_FUTURE, /* async (WASI 0.3): decoded, not yet run */
} cm_typekind;

typedef struct cm_type cm_type;
typedef struct cm_resource_type cm_resource_type;

typedef struct cm_field {   /* record field or variant case */
  char *name;
  const cm_type *type;      /* NULL for a variant case without payload */
} cm_field;

struct cm_type {
  cm_typekind kind;
  union {
    struct { const cm_type *elem; uint32_t fixed_len; } list;
    struct { cm_field *fields; uint32_t n; } record;  /* also variant cases */
    struct { const cm_type **types; uint32_t n; } tuple;
    struct { char **names; uint32_t n; } labels;      /* enum cases, flags */
    struct { const cm_type *t; } option;
    struct { const cm_type *ok, *err; } result;       /* either may be NULL */
    struct { const cm_resource_type *res; } handle;   /* own, borrow */
    struct { const cm_type *t; } async;               /* stream, future; t may be NULL */
  } as;
};

/* A function type: named params, zero or one result. */
typedef struct cm_functype {
  cm_field *params;
  uint32_t nparams;
  const cm_type *result; /* NULL: no result */
  bool async_;
} cm_functype;

/* ---- values ---- */

typedef struct cm_val cm_val;
struct cm_val {
  cm_typekind kind;
  union {
    bool b;
    int64_t s;           /* s8..s64 */
    uint64_t u;          /* u8..u64 */
    float f32;
    double f64;
    uint32_t ch;         /* a Unicode scalar value */
    struct { char *ptr; size_t len; } str;  /* UTF-8, owned */
    struct { cm_val *elems; size_t n; } list; /* list, record, tuple */
    struct { uint32_t disc; cm_val *payload; } variant;
                         /* variant, enum (no payload), option (0 none,
                            1 some), result (0 ok, 1 err); payload may be
                            NULL */
    struct { uint32_t *words; uint32_t nlabels; } flags; /* bit i = label i */
    uint32_t handle;     /* own/borrow: a handle in the caller's table */
  } of;
};

void cm_val_free(cm_val *v); /* frees what v owns, not v itself */

/* Building values (a host function's result, a call's arguments). Each
 * returns false when out of memory, leaking nothing. */
bool cm_val_string(cm_val *out, const char *s, size_t n);   /* a copy of s */
bool cm_val_agg(cm_val *out, cm_typekind kind, size_t n);   /* record, tuple or list
                                                               of n zeroed values */
bool cm_val_bytes(cm_val *out, const uint8_t *p, size_t n); /* list<u8> */
/* A variant, option or result with *payload moved into it (NULL: none);
 * on failure the payload is freed. */
bool cm_val_case(cm_val *out, cm_typekind kind, uint32_t disc, const cm_val *payload);
bool cm_val_equal(const cm_val *a, const cm_val *b);

/* ---- components ---- */

typedef struct cm_component cm_component;

/* Decodes, validates and compiles a component binary (the bytes are copied).
 * Also accepts a core module, which is not a component: WASM_MALFORMED. */
wasm_status cm_component_new(wasm_engine *e, const uint8_t *bytes, size_t len,
                             cm_component **out, wasm_error *err);
void cm_component_delete(cm_component *c);

/* Translates the component text format ("(component ...)", or its
 * fields alone) into a component binary (*out: malloc'ed, caller frees).
 * Malformed text fails with WASM_MALFORMED and "line:col: message". */
wasm_status cm_wat_to_binary(const char *text, size_t len, uint8_t **out, size_t *out_len,
                             wasm_error *err);

/* True if the bytes carry the component layer (version 0x0d, layer 1). */
bool cm_is_component(const uint8_t *bytes, size_t len);

/* The component's world, for `stratus inspect`: imports and exports by name
 * with a WIT-like description of each type. */
uint32_t cm_component_import_count(const cm_component *c);
const char *cm_component_import_name(const cm_component *c, uint32_t i);
uint32_t cm_component_export_count(const cm_component *c);
const char *cm_component_export_name(const cm_component *c, uint32_t i);

/* Kinds, function types and the world in WIT, for `stratus inspect`
 * (cm_inspect.c). */
typedef enum cm_extern_kind {
  CM_EXTERN_FUNC, CM_EXTERN_INSTANCE, CM_EXTERN_TYPE, CM_EXTERN_COMPONENT,
  CM_EXTERN_CORE_MODULE, CM_EXTERN_VALUE, CM_EXTERN_OTHER,
} cm_extern_kind;
cm_extern_kind cm_component_import_kind(const cm_component *c, uint32_t i);
cm_extern_kind cm_component_export_kind(const cm_component *c, uint32_t i);
/* The function type of a function import/export, else NULL. */
const cm_functype *cm_component_import_func(const cm_component *c, uint32_t i);
const cm_functype *cm_component_export_func(const cm_component *c, uint32_t i);
/* The component's world in WIT ("package root:component; world NAME {...}"
 * then the interfaces it names, in nested package blocks), with world
 * name `world` (NULL: "root"). Malloc'ed; NULL when out of memory. */
char *cm_component_wit(const cm_component *c, const char *world);

/* The functions of an interface (instance) import or export i, in the
 * order the instance type lists them (cm_members.c): how many (0 when i
 * is not an instance), and the name ("get", "[method]r.m") and type of
 * the k-th (NULL when out of range). */
uint32_t cm_component_import_nfuncs(const cm_component *c, uint32_t i);
const char *cm_component_import_func_name(const cm_component *c, uint32_t i, uint32_t k);
const cm_functype *cm_component_import_func_at(const cm_component *c, uint32_t i, uint32_t k);
uint32_t cm_component_export_nfuncs(const cm_component *c, uint32_t i);
const char *cm_component_export_func_name(const cm_component *c, uint32_t i, uint32_t k);
const cm_functype *cm_component_export_func_at(const cm_component *c, uint32_t i, uint32_t k);
/* Whether a value of type t (of any parameter or the result of f)
 * carries a resource handle (own or borrow), at any depth. */
bool cm_type_has_handles(const cm_type *t);
bool cm_functype_has_handles(const cm_functype *f);
/* The resource types interface import i declares itself (its instance
 * type exports them and no earlier import does: a resource it uses from
 * another interface is that interface's): how many, and the name of the
 * k-th ("writer"; NULL when out of range). */
uint32_t cm_component_import_nresources(const cm_component *c, uint32_t i);
const char *cm_component_import_resource_name(const cm_component *c, uint32_t i, uint32_t k);
/* For a handle type t (own or borrow) inside the function types of
 * import i: the index k of the resource of import i it refers to, or -1
 * (not a handle, or a resource of another interface). */
int32_t cm_component_import_handle_resource(const cm_component *c, uint32_t i,
                                            const cm_type *t);

/* ---- host functions and the linker ---- */

typedef struct cm_instance cm_instance;
typedef struct cm_linker cm_linker;

/* A host function gets lifted argument values and fills its result (if the
 * function type has one). Own handles in args are transferred to the host;
 * the host may return a trap (WASM_TRAP with a message in err). */
typedef wasm_status (*cm_host_fn)(void *env, cm_instance *caller,
                                  const cm_val *args, size_t nargs,
                                  cm_val *result, wasm_error *err);

cm_linker *cm_linker_new(wasm_engine *e);
void cm_linker_delete(cm_linker *l);

/* Defines function `func` of interface `iface` ("wasi:cli/stdout@0.2.6"),
 * or of the root when iface is NULL. The type is given in WIT syntax, e.g.
 * "func(x: u32, s: string) -> result<list<u8>, error-code>" where named
 * types refer to types defined with cm_linker_define_type. */
wasm_status cm_linker_define_func(cm_linker *l, const char *iface,
                                  const char *func, const char *wit_type,
                                  cm_host_fn fn, void *env, wasm_error *err);

/* Host-defined resources. cm_linker_define_resource defines resource type
 * `name` of interface iface (NULL: a root import); a component importing
 * that interface (or root type) gets it. dtor (may be NULL) runs with the
 * representation when an own handle is dropped (by the component's
 * resource.drop or by cm_linker_resource_drop). Handles in cm_val are
 * owned by the host once a host function receives them: the host keeps an
 * own handle, drops it, or returns it. */
typedef void (*cm_resource_dtor)(void *env, uint32_t rep);
typedef struct cm_host_resource cm_host_resource;
wasm_status cm_linker_define_resource(cm_linker *l, const char *iface, const char *name,
                                      cm_resource_dtor dtor, void *env,
                                      cm_host_resource **out, wasm_error *err);
/* A new own handle of r with representation rep, for a host function's
 * result or a call argument (*out has kind CM_OWN). */
wasm_status cm_linker_resource_new(cm_linker *l, cm_host_resource *r, uint32_t rep,
                                   cm_val *out, wasm_error *err);
/* The representation behind an own or borrow handle of r the host holds. */
wasm_status cm_linker_resource_rep(cm_linker *l, cm_host_resource *r, const cm_val *handle,
                                   uint32_t *rep, wasm_error *err);
/* Drops an own handle the host holds (running the destructor) or ends a
 * borrow; the handle value is invalid afterwards. */
wasm_status cm_linker_resource_drop(cm_linker *l, const cm_val *handle, wasm_error *err);

/* The resource `name` of interface iface defined on l, or NULL. */
cm_host_resource *cm_linker_resource(cm_linker *l, const char *iface, const char *name);

/* A whole host interface at once, described in WIT:
 *   interface store {
 *     record point { x: u32, y: u32 }        (types: matched by name)
 *     resource blob { constructor(x: u32); size: func() -> u32;
 *                     open: static func(s: string) -> blob; }
 *     get: func(p: point) -> option<string>;
 *   }
 * registered under iface ("test:demo/store@1.0.0"). Every function needs
 * an entry named as the component imports it: "get", "[constructor]blob",
 * "[method]blob.size", "[static]blob.open"; an entry "[resource-drop]blob"
 * gives the resource's destructor (dtor). Methods take the borrowed
 * resource as their first argument. */
typedef struct cm_host_entry {
  const char *name;
  cm_host_fn fn;
  cm_resource_dtor dtor; /* "[resource-drop]R" entries */
  void *env;
} cm_host_entry;
wasm_status cm_linker_define_interface(cm_linker *l, const char *iface, const char *wit,
                                       const cm_host_entry *entries, size_t nentries,
                                       wasm_error *err);

/* Instantiates c in store s. An import the linker cannot satisfy fails
 * with WASM_LINK_ERROR naming the interface. */
wasm_status cm_linker_instantiate(cm_linker *l, wasm_store *s,
                                  const cm_component *c, cm_instance **out,
                                  wasm_error *err);

/* Pre-instantiation, the hot path of servers: the imports of c are
 * resolved and type-checked against the linker once; each
 * cm_instance_pre_instantiate then stamps out a new instance in a store
 * (core memories from copy-on-write images) without looking anything up.
 * It may outlive l, but must outlive every instance made from it, and the
 * host functions' envs must outlive it. Like l's context, it belongs to
 * one thread at a time. */
typedef struct cm_instance_pre cm_instance_pre;
wasm_status cm_linker_instantiate_pre(cm_linker *l, const cm_component *c,
                                      cm_instance_pre **out, wasm_error *err);
wasm_status cm_instance_pre_instantiate(cm_instance_pre *pre, wasm_store *s,
                                        cm_instance **out, wasm_error *err);
void cm_instance_pre_delete(cm_instance_pre *pre);

/* Which imports of c the linker cannot satisfy, without running c: why[i]
 * (an array of cm_component_import_count(c) entries) becomes NULL for a
 * satisfied import, else a malloc'ed reason the caller frees. Defines
 * stand-ins for the unsatisfied imports on l (to get past them), so use a
 * linker made for the check. Imports after one that cannot be stood in
 * for (a component or value import) are reported satisfied. Returns
 * WASM_LINK_ERROR (message in err) when resolution fails for a reason
 * that is not one import (an alias of a missing instance export). */
wasm_status cm_linker_check_imports(cm_linker *l, const cm_component *c, char **why,
                                    wasm_error *err);

/* Frees an instance returned by cm_linker_instantiate (its core objects
 * stay in the store until wasm_store_delete). */
void cm_instance_delete(cm_instance *inst);

/* ---- calling exports ---- */

typedef struct cm_func cm_func;

/* Looks up an exported function: "name" at the root, or
 * "iface#name" for a function of an exported instance. */
cm_func *cm_instance_func(cm_instance *inst, const char *name);
const cm_functype *cm_func_type(const cm_func *f);

/* Calls f: lowers args, runs the callee, lifts the result into *result
 * (owned by the caller: cm_val_free), then runs post-return. */
wasm_status cm_func_call(cm_func *f, const cm_val *args, size_t nargs,
                         cm_val *result, wasm_error *err);

/* ---- rep tables (cm_reptab.c) ----
 *
 * What a host interface keeps behind its resource handles: items of one
 * fixed size, each under a small integer rep (1, 2, ...; rep 0 is never
 * handed out, so it can mean "none"). Released reps are reused last in,
 * first out. Item pointers stay valid until the next alloc, which may move
 * the items. Not thread-safe: a table shared between threads is locked by
 * its user. The fields are cm_reptab.c's. */
typedef struct cm_reptab {
  unsigned char *items; /* cap items of `size` bytes; item 0 unused */
  uint32_t *link;       /* per rep below n: UINT32_MAX when live, else the next free rep (0: none) */
  size_t size;
  uint32_t n;           /* reps below n were handed out; 0 before the first */
  uint32_t cap, max, live, free_head;
} cm_reptab;

/* An empty table of items of item_size bytes (> 0) holding at most max
 * (> 0) live items. Allocates nothing, so it cannot fail. */
void cm_reptab_init(cm_reptab *t, size_t item_size, uint32_t max);
/* A new zeroed item and its rep in *rep; NULL when max items are live or
 * out of memory. */
void *cm_reptab_alloc(cm_reptab *t, uint32_t *rep);
/* Zeroes the item of a live rep and makes the rep free. */
void cm_reptab_release(cm_reptab *t, uint32_t rep);
/* The item of a live rep; NULL for 0, a rep never handed out or a free one. */
void *cm_reptab_at(const cm_reptab *t, uint32_t rep);
/* How many items are live. */
uint32_t cm_reptab_count(const cm_reptab *t);
/* The first live rep after rep (0: none), to visit every item:
 *   for (uint32_t r = cm_reptab_next(t, 0); r; r = cm_reptab_next(t, r))
 * Releasing r inside the loop is fine. */
uint32_t cm_reptab_next(const cm_reptab *t, uint32_t rep);
/* Starts the reps over at 1, keeping the memory; no item may be live. */
void cm_reptab_reset(cm_reptab *t);
/* Frees the table's memory (not what live items point to); t is empty
 * and needs cm_reptab_init before another use. */
void cm_reptab_destroy(cm_reptab *t);

#ifdef __cplusplus
}
#endif
#endif
