/* CONTRACT READY */
/*
 * cm_internal.h: the decoded, validated component (cm-decode), shared by the
 * runtime (instantiation, canonical ABI) and the text tools.
 *
 * A binary is decoded and validated in one pass (cm_decode.c,
 * cm_validate*.c): each definition is appended to `defs` in binary order and
 * the items it introduces are appended to the index spaces `space[sort]`,
 * each with its resolved type. Instantiation replays `defs` in order (or
 * walks the index spaces: every item points back at its definition).
 *
 * Memory: every type, name and decoded structure lives in the arena of the
 * top-level cm_component and dies with it; pointers between them are plain
 * `const` pointers. Core modules are compiled wasm_module objects, deleted
 * with the component.
 *
 * Public entry points implemented by cm-decode: cm_component_new/delete,
 * cm_is_component, cm_component_import_count/name/export_count/name
 * (cm_decode.c), cm_val_free, cm_val_equal (cm_types.c).
 */
#ifndef STRATUS_CM_INTERNAL_H
#define STRATUS_CM_INTERNAL_H

#include <stdarg.h>

#include "stratus/component.h"
#include "stratus/wasm.h"

/* ---- limits (hostile input) ---- */

#define CM_MAX_NESTING 100        /* nested components and type declarators */
#define CM_MAX_TYPE_DEPTH 100     /* value type nesting */
#define CM_MAX_ITEMS 1000000u     /* per index space */
#define CM_MAX_FLAT_PARAMS 16
#define CM_MAX_FLAT_RESULTS 1
#define CM_MAX_FLAT_ASYNC_PARAMS 4

/* ---- arena ---- */

typedef struct cm_arena_block cm_arena_block;
typedef struct cm_arena {
  cm_arena_block *head;
  size_t total; /* bytes handed out, bounded by CM_ARENA_MAX */
} cm_arena;
#define CM_ARENA_MAX ((size_t)1 << 31)

/* Zeroed memory aligned for any type; NULL when out of memory or over the
 * arena bound. */
void *cm_arena_alloc(cm_arena *a, size_t n);
/* n*size with an overflow check. */
void *cm_arena_array(cm_arena *a, size_t n, size_t size);
/* A NUL-terminated copy of s[0..n). */
char *cm_arena_strndup(cm_arena *a, const char *s, size_t n);
void cm_arena_free(cm_arena *a);

/* ---- sorts ---- */

typedef enum cm_sort {
  CM_SORT_CORE_FUNC,
  CM_SORT_CORE_TABLE,
  CM_SORT_CORE_MEMORY,
  CM_SORT_CORE_GLOBAL,
  CM_SORT_CORE_TAG, /* WASM_FEATURE_EXCEPTIONS */
  CM_SORT_CORE_TYPE,
  CM_SORT_CORE_MODULE,
  CM_SORT_CORE_INSTANCE,
  CM_SORT_FUNC,
  CM_SORT_VALUE,
  CM_SORT_TYPE,
  CM_SORT_COMPONENT,
  CM_SORT_INSTANCE,
  CM_SORT_COUNT
} cm_sort;

/* "core func", "instance", ... for messages. */
const char *cm_sort_name(cm_sort s);
static inline bool cm_sort_is_core(cm_sort s) {
  return s <= CM_SORT_CORE_INSTANCE;
}

typedef struct cm_sortidx {
  cm_sort sort;
  uint32_t idx;
} cm_sortidx;

/* ---- core types ---- */

typedef struct cm_core_functype {
  uint32_t nparams, nresults;
  const uint8_t *params;  /* wasm_valkind bytes */
  const uint8_t *results;
} cm_core_functype;

typedef struct cm_core_externtype {
  wasm_externkind kind;
  const cm_core_functype *func; /* FUNC */
  uint8_t elem;                 /* TABLE: WASM_FUNCREF / WASM_EXTERNREF */
  wasm_limits limits;           /* TABLE, MEMORY (pages) */
  bool memory64, shared;        /* MEMORY */
  uint8_t global_kind;          /* GLOBAL */
  bool global_mutable;          /* GLOBAL */
} cm_core_externtype;

typedef struct cm_core_named {
  const char *module; /* imports only */
  const char *name;
  cm_core_externtype t;
} cm_core_named;

/* A core module type, also the type of a compiled core module; a core
 * instance type is the exports alone (nimports = 0). */
typedef struct cm_moduletype {
  cm_core_named *imports;
  uint32_t nimports;
  cm_core_named *exports;
  uint32_t nexports;
} cm_moduletype;

/* ---- component types ---- */

typedef struct cm_deftype cm_deftype;
typedef struct cm_component_def cm_component_def;
typedef struct cm_insttype cm_insttype;
typedef struct cm_comptype cm_comptype;

/* The type of one item of any sort (an externdesc, or an inferred type). */
typedef struct cm_externtype {
  cm_sort sort;
  union {
    const cm_functype *func;          /* FUNC */
    const cm_type *value;             /* VALUE */
    const cm_deftype *type;           /* TYPE: the type itself; for
                                         (sub resource) a CM_DT_RESOURCE */
    const cm_insttype *instance;      /* INSTANCE */
    const cm_comptype *component;     /* COMPONENT */
    const cm_moduletype *module;      /* CORE_MODULE */
    const cm_moduletype *core_instance; /* CORE_INSTANCE (exports only) */
    const cm_deftype *core_type;      /* CORE_TYPE */
    cm_core_externtype core;          /* CORE_FUNC/TABLE/MEMORY/GLOBAL */
  } u;
} cm_externtype;

/* How an import/export name is spelled (Explainer.md, importname). */
typedef enum cm_namekind {
  CM_NAME_PLAIN,        /* a kebab-case label */
  CM_NAME_CONSTRUCTOR,  /* [constructor]r */
  CM_NAME_METHOD,       /* [method]r.m */
  CM_NAME_STATIC,       /* [static]r.m */
  CM_NAME_INTERFACE,    /* ns:pkg/iface@version (version optional) */
  CM_NAME_DEPENDENCY,   /* unlocked-dep=<...> / locked-dep=<...> */
  CM_NAME_URL,          /* url=<...> */
  CM_NAME_HASH,         /* integrity=<...> */
  CM_NAME_OTHER,        /* anything else the validator let through */
  /* async annotations ([async]f, [async method]r.m, ...) map onto the
     above with cm_name.async_ set. */
} cm_namekind;

typedef struct cm_name {
  const char *name;     /* the full name as written */
  cm_namekind kind;
  bool async_;          /* [async], [async method], [async static] */
  const char *resource; /* CONSTRUCTOR/METHOD/STATIC: the resource label r */
  const char *func;     /* METHOD/STATIC: the function label m */
  /* Name attributes (externname prefix 0x02): */
  const char *implements;  /* 0x00 implements=<interface>, or NULL */
  const char *version;     /* 0x01, or NULL */
  const char *external_id; /* 0x02, or NULL */
} cm_name;

typedef struct cm_named_extern {
  cm_name name;
  cm_externtype t;
} cm_named_extern;

struct cm_insttype {
  cm_named_extern *exports;
  uint32_t nexports;
  /* The declarator scope: resources whose owner is it (or nested in it)
   * are bound by this type, fresh at each use. */
  const cm_component_def *scope;
};

/* Resources that appear in a component type's imports are quantified over
 * (substituted at instantiation); those in its exports are fresh per
 * instantiation. */
struct cm_comptype {
  cm_named_extern *imports;
  uint32_t nimports;
  cm_named_extern *exports;
  uint32_t nexports;
  const cm_component_def *scope; /* as for cm_insttype */
};

/* Where an item's resource type comes from. */
typedef enum cm_res_origin {
  CM_RES_DEFINED,     /* (type (resource (rep i32) ...)) in owner at def */
  CM_RES_ABSTRACT,    /* bound by an import or export (sub resource) */
  CM_RES_FRESH,       /* exported by an instantiation, fresh per instance */
  CM_RES_HOST,        /* created by the host API */
} cm_res_origin;

struct cm_resource_type {
  uint32_t id;                      /* unique within the root component */
  cm_res_origin origin;
  const cm_component_def *owner;    /* DEFINED: the defining component */
  uint32_t def;                     /* DEFINED: index in owner->defs */
  uint8_t rep;                      /* DEFINED: WASM_I32 */
  bool has_dtor;
  uint32_t dtor;                    /* DEFINED: core func index in owner */
  const char *name;                 /* the import/export name, or NULL */
};

typedef enum cm_deftype_kind {
  CM_DT_VAL,        /* u.val */
  CM_DT_FUNC,       /* u.func */
  CM_DT_COMPONENT,  /* u.component */
  CM_DT_INSTANCE,   /* u.instance */
  CM_DT_RESOURCE,   /* u.resource */
  CM_DT_CORE_FUNC,  /* u.core_func (core type index space) */
  CM_DT_CORE_MODULE,/* u.module (core type index space) */
} cm_deftype_kind;

struct cm_deftype {
  cm_deftype_kind kind;
  union {
    const cm_type *val;
    const cm_functype *func;
    const cm_comptype *component;
    const cm_insttype *instance;
    const cm_resource_type *resource;
    const cm_core_functype *core_func;
    const cm_moduletype *module;
  } u;
};

/* ---- type helpers (cm_types.c) ---- */

/* Shared immutable nodes for the primitive kinds (CM_BOOL..CM_ERROR_CONTEXT). */
const cm_type *cm_type_prim(cm_typekind k);
/* Structural equality; resources by identity. */
bool cm_type_equal(const cm_type *a, const cm_type *b);
bool cm_functype_equal(const cm_functype *a, const cm_functype *b);
/* Subtyping for instantiation arguments: a may be used where b is expected. */
bool cm_type_subtype(const cm_type *a, const cm_type *b);
bool cm_functype_subtype(const cm_functype *a, const cm_functype *b);
bool cm_externtype_subtype(const cm_externtype *a, const cm_externtype *b,
                           char *why, size_t whylen);
bool cm_core_functype_equal(const cm_core_functype *a,
                            const cm_core_functype *b);
/* Whether t (transitively) holds a borrow / a string or list (needs memory)
 * / a list or string that must be allocated (needs realloc when lowered). */
bool cm_type_has_borrow(const cm_type *t);
bool cm_type_needs_memory(const cm_type *t);

/* Canonical ABI layout (CanonicalABI.md): alignment, size, and flattening
 * into core value types (WASM_I32/I64/F32/F64). cm_flatten_type writes at
 * most max types to out (out may be NULL) and returns the full count. */
uint32_t cm_type_align(const cm_type *t);
uint32_t cm_type_size(const cm_type *t);
uint32_t cm_flatten_type(const cm_type *t, uint8_t *out, uint32_t max);
/* The number of bytes the discriminant of a variant with n cases takes. */
uint32_t cm_discriminant_size(uint32_t ncases);
/* The core signature of lifting (lower = false) or lowering (lower = true)
 * ft, after the MAX_FLAT limits (spilling to a pointer). Allocated in a. */
const cm_core_functype *cm_functype_flatten(cm_arena *a, const cm_functype *ft,
                                            bool lower, bool async_);
/* A text rendering of a type, "list<u8>", for messages and inspect. */
size_t cm_type_print(const cm_type *t, char *buf, size_t len);

/* ---- definitions ---- */

typedef struct cm_core_inst_arg {
  const char *name;
  uint32_t instance; /* core instance index */
} cm_core_inst_arg;

typedef struct cm_core_inline_export {
  const char *name;
  cm_sortidx si;     /* a core sort */
} cm_core_inline_export;

typedef struct cm_core_instance_def {
  bool instantiate;             /* 0x00; else 0x01 inline exports */
  uint32_t module;              /* instantiate: core module index */
  cm_core_inst_arg *args;
  uint32_t nargs;
  cm_core_inline_export *exports; /* inline */
  uint32_t nexports;
} cm_core_instance_def;

typedef struct cm_inst_arg {
  const char *name;  /* with-name, or inline export name */
  cm_sortidx si;
} cm_inst_arg;

typedef struct cm_instance_def {
  bool instantiate;             /* 0x00; else 0x01 inline exports */
  uint32_t component;           /* instantiate: component index */
  cm_inst_arg *args;
  uint32_t nargs;
  cm_inst_arg *exports;         /* inline */
  uint32_t nexports;
} cm_instance_def;

typedef enum cm_alias_kind {
  CM_ALIAS_EXPORT,       /* 0x00 instance export */
  CM_ALIAS_CORE_EXPORT,  /* 0x01 core instance export */
  CM_ALIAS_OUTER,        /* 0x02 outer ct idx */
} cm_alias_kind;

typedef struct cm_alias_def {
  cm_sort sort;
  cm_alias_kind kind;
  uint32_t instance;     /* EXPORT, CORE_EXPORT */
  const char *name;      /* EXPORT, CORE_EXPORT */
  uint32_t outer_count;  /* OUTER */
  uint32_t outer_idx;    /* OUTER */
  /* OUTER: the enclosing component it resolved to (NULL inside a type). */
  const cm_component_def *outer;
} cm_alias_def;

/* The canonical built-ins, X(ID, text name, opcode, immediates). Immediate
 * shapes: NONE; TYPE (u32 typeidx); TYPE_OPTS; OPTS; TYPE_ASYNC (typeidx,
 * 0x00/0x01 flag); FLAG (0x00/0x01); FLAG_MEM (flag, core memidx); CTX
 * (0x7f, u32 slot); RESULT_OPTS (resultlist, opts); CORETYPE (u32 core
 * typeidx); CORETYPE_TABLE (core typeidx, core tableidx). lift and lower
 * are decoded by hand. Everything after resource.rep is async or threading
 * (cm_canon_is_async). */
#define CM_CANON_LIST(X)                                                  \
  X(LIFT, "lift", 0x00, SPECIAL)                                          \
  X(LOWER, "lower", 0x01, SPECIAL)                                        \
  X(RESOURCE_NEW, "resource.new", 0x02, TYPE)                             \
  X(RESOURCE_DROP, "resource.drop", 0x03, TYPE)                           \
  X(RESOURCE_REP, "resource.rep", 0x04, TYPE)                             \
  X(TASK_CANCEL, "task.cancel", 0x05, NONE)                               \
  X(SUBTASK_CANCEL, "subtask.cancel", 0x06, FLAG)                         \
  X(BACKPRESSURE_SET, "backpressure.set", 0x08, NONE)                     \
  X(TASK_RETURN, "task.return", 0x09, RESULT_OPTS)                        \
  X(CONTEXT_GET, "context.get", 0x0a, CTX)                                \
  X(CONTEXT_SET, "context.set", 0x0b, CTX)                                \
  X(THREAD_YIELD, "thread.yield", 0x0c, FLAG)                             \
  X(SUBTASK_DROP, "subtask.drop", 0x0d, NONE)                             \
  X(STREAM_NEW, "stream.new", 0x0e, TYPE)                                 \
  X(STREAM_READ, "stream.read", 0x0f, TYPE_OPTS)                          \
  X(STREAM_WRITE, "stream.write", 0x10, TYPE_OPTS)                        \
  X(STREAM_CANCEL_READ, "stream.cancel-read", 0x11, TYPE_ASYNC)           \
  X(STREAM_CANCEL_WRITE, "stream.cancel-write", 0x12, TYPE_ASYNC)         \
  X(STREAM_DROP_READABLE, "stream.drop-readable", 0x13, TYPE)             \
  X(STREAM_DROP_WRITABLE, "stream.drop-writable", 0x14, TYPE)             \
  X(FUTURE_NEW, "future.new", 0x15, TYPE)                                 \
  X(FUTURE_READ, "future.read", 0x16, TYPE_OPTS)                          \
  X(FUTURE_WRITE, "future.write", 0x17, TYPE_OPTS)                        \
  X(FUTURE_CANCEL_READ, "future.cancel-read", 0x18, TYPE_ASYNC)           \
  X(FUTURE_CANCEL_WRITE, "future.cancel-write", 0x19, TYPE_ASYNC)         \
  X(FUTURE_DROP_READABLE, "future.drop-readable", 0x1a, TYPE)             \
  X(FUTURE_DROP_WRITABLE, "future.drop-writable", 0x1b, TYPE)             \
  X(ERROR_CONTEXT_NEW, "error-context.new", 0x1c, OPTS)                   \
  X(ERROR_CONTEXT_DEBUG_MESSAGE, "error-context.debug-message", 0x1d, OPTS) \
  X(ERROR_CONTEXT_DROP, "error-context.drop", 0x1e, NONE)                 \
  X(WAITABLE_SET_NEW, "waitable-set.new", 0x1f, NONE)                     \
  X(WAITABLE_SET_WAIT, "waitable-set.wait", 0x20, FLAG_MEM)               \
  X(WAITABLE_SET_POLL, "waitable-set.poll", 0x21, FLAG_MEM)               \
  X(WAITABLE_SET_DROP, "waitable-set.drop", 0x22, NONE)                   \
  X(WAITABLE_JOIN, "waitable.join", 0x23, NONE)                           \
  X(BACKPRESSURE_INC, "backpressure.inc", 0x24, NONE)                     \
  X(BACKPRESSURE_DEC, "backpressure.dec", 0x25, NONE)                     \
  X(THREAD_INDEX, "thread.index", 0x26, NONE)                             \
  X(THREAD_NEW_INDIRECT, "thread.new-indirect", 0x27, CORETYPE_TABLE)     \
  X(THREAD_RESUME_LATER, "thread.resume-later", 0x28, NONE)               \
  X(THREAD_SUSPEND, "thread.suspend", 0x29, FLAG)                         \
  X(THREAD_SUSPEND_THEN_RESUME, "thread.suspend-then-resume", 0x2a, FLAG) \
  X(THREAD_YIELD_THEN_RESUME, "thread.yield-then-resume", 0x2b, FLAG)     \
  X(THREAD_SUSPEND_THEN_PROMOTE, "thread.suspend-then-promote", 0x2c, FLAG) \
  X(THREAD_YIELD_THEN_PROMOTE, "thread.yield-then-promote", 0x2d, FLAG)   \
  X(THREAD_SPAWN_REF, "thread.spawn-ref", 0x40, CORETYPE)                 \
  X(THREAD_SPAWN_INDIRECT, "thread.spawn-indirect", 0x41, CORETYPE_TABLE) \
  X(THREAD_AVAILABLE_PARALLELISM, "thread.available-parallelism", 0x42, NONE)

typedef enum cm_canon_kind {
#define CM_CANON_ENUM(id, name, code, imm) CM_CANON_##id,
  CM_CANON_LIST(CM_CANON_ENUM)
#undef CM_CANON_ENUM
  CM_CANON_COUNT
} cm_canon_kind;

typedef struct cm_canon_info {
  const char *name;
  uint8_t code;
} cm_canon_info;
extern const cm_canon_info cm_canon_table[CM_CANON_COUNT];
static inline bool cm_canon_is_async(cm_canon_kind k) {
  return k > CM_CANON_RESOURCE_REP;
}

typedef enum cm_string_encoding {
  CM_ENC_UTF8 = 0,
  CM_ENC_UTF16 = 1,
  CM_ENC_LATIN1_UTF16 = 2,
} cm_string_encoding;

typedef struct cm_canonopts {
  cm_string_encoding encoding;
  bool has_encoding;
  bool has_memory, has_realloc, has_post_return, has_callback, has_core_type;
  uint32_t memory;       /* core memory index */
  uint32_t realloc;      /* core func index */
  uint32_t post_return;  /* core func index */
  uint32_t callback;     /* core func index */
  uint32_t core_type;    /* core type index */
  bool async_;
  bool gc;
} cm_canonopts;

typedef struct cm_canon_def {
  cm_canon_kind kind;
  uint32_t func;        /* LIFT: core func index; LOWER: func index */
  uint32_t type;        /* LIFT: type index of the functype; resource.*,
                           stream.*, future.*: type index; thread.*: core
                           type index */
  uint32_t index;       /* context.get/set: slot; thread.*: table index */
  bool flag;            /* async / cancellable immediates */
  bool has_result;      /* TASK_RETURN */
  const cm_type *result;/* TASK_RETURN: the result type, or NULL */
  cm_canonopts opts;
  /* Resolved by validation: */
  const cm_functype *functype;          /* LIFT, LOWER */
  const cm_resource_type *resource;     /* resource.* */
  const cm_type *operand;               /* stream.*, future.*: the type */
  const cm_core_functype *core_type;    /* the core func it defines (all but
                                           LIFT) */
} cm_canon_def;

typedef struct cm_start_def {
  uint32_t func;
  uint32_t *args;       /* value indices */
  uint32_t nargs;
  uint32_t nresults;
} cm_start_def;

typedef struct cm_import_def {
  cm_name name;
  cm_externtype t;      /* resolved externdesc */
} cm_import_def;

typedef struct cm_export_def {
  cm_name name;
  cm_sortidx si;
  bool has_type;        /* the optional externdesc ascription */
  cm_externtype t;      /* the exported item's type (ascribed if given) */
} cm_export_def;

typedef enum cm_def_kind {
  CM_DEF_CORE_MODULE,   /* u.module */
  CM_DEF_CORE_INSTANCE, /* u.core_instance */
  CM_DEF_CORE_TYPE,     /* u.type (a core functype or module type) */
  CM_DEF_COMPONENT,     /* u.component (nested) */
  CM_DEF_INSTANCE,      /* u.instance */
  CM_DEF_ALIAS,         /* u.alias */
  CM_DEF_TYPE,          /* u.type */
  CM_DEF_CANON,         /* u.canon */
  CM_DEF_START,         /* u.start */
  CM_DEF_IMPORT,        /* u.import */
  CM_DEF_EXPORT,        /* u.export */
} cm_def_kind;

typedef struct cm_def {
  cm_def_kind kind;
  union {
    wasm_module *module;
    cm_core_instance_def core_instance;
    const cm_deftype *type;
    cm_component_def *component;
    cm_instance_def instance;
    cm_alias_def alias;
    cm_canon_def canon;
    cm_start_def start;
    cm_import_def import;
    cm_export_def export_;
  } u;
  /* The item it introduced: its sort (for the sort-less kinds) and its
   * index in space[sort]; none for START (its results are values
   * first_item..first_item+nresults-1) and for a CORE_TYPE module type. */
  cm_sort sort;
  uint32_t item;
  bool has_item;
} cm_def;

/* One entry of an index space. */
typedef struct cm_item {
  uint32_t def;         /* the defining entry in defs[] */
  uint32_t sub;         /* START: which result; else 0 */
  cm_externtype t;      /* its type */
  bool consumed;        /* VALUE: used once (validation) */
} cm_item;

typedef struct cm_space {
  cm_item *items;
  uint32_t n, cap;
} cm_space;

struct cm_component_def {
  const cm_component_def *parent;   /* enclosing component, NULL at root */
  uint32_t depth;
  bool is_type;                     /* a component/instance/module type
                                       declarator scope, not a component */
  cm_def *defs;
  uint32_t ndefs, defcap;
  cm_space space[CM_SORT_COUNT];
  /* The component's type: its imports and exports in order, by def index. */
  uint32_t *imports, nimports, impcap;
  uint32_t *exports, nexports, expcap;
  const cm_comptype *type;          /* built after validation */
};

struct cm_component {
  wasm_engine *engine;
  cm_arena arena;
  cm_component_def *root;
  uint32_t next_resource_id;
  /* Every compiled core module (deleted with the component). */
  wasm_module **modules;
  uint32_t nmodules, modcap;
  /* Every scope (components and type declarators), for freeing. */
  cm_component_def **scopes;
  uint32_t nscopes;
};

/* ---- decode + validate (cm_decode.c, cm_validate*.c) ---- */

/* The item's type at (sort, idx) of c, or NULL when out of bounds. */
const cm_item *cm_item_at(const cm_component_def *c, cm_sort sort,
                          uint32_t idx);

/* The value-text parser of cm-text (cm_value_text.c): parses one value in
 * the WAST value syntax ("(u32.const 1)", "(list.const ...)") against t. */
wasm_status cm_value_parse(const char *text, size_t len, const cm_type *t,
                           cm_val *out, size_t *consumed, wasm_error *err);

/* The inverse, for messages (cm-text): v (of type t, which may be NULL)
 * in the same syntax, snprintf-style: returns the full length. */
size_t cm_value_to_text(const cm_val *v, const cm_type *t, char *buf, size_t size);

/* Messages: printf into err, return status (stratus/wasm.h). */
#define cm_fail wasm_fail

#endif
