/*
 * stratus/wasm.h: the core WebAssembly engine (layer 1).
 *
 * The shape is that of every mature engine:
 *   engine    settings shared by everything below it;
 *   module    decoded, validated and compiled once; read-only afterwards,
 *             so one module may be instantiated from several threads;
 *   store     one sandbox: owns every instance, function, memory, table and
 *             global created in it, freed together by wasm_store_delete;
 *             used by one thread at a time;
 *   instance  a module instantiated in a store;
 *   linker    resolves a module's imports by (module, name).
 *
 * Errors are values: functions return a wasm_status and, when given a
 * wasm_error, fill it with a message. A trap is WASM_TRAP with a message that
 * starts with the cause as the spec names it ("integer divide by zero",
 * "out of bounds memory access", "call stack exhausted", ...) followed by the
 * function it happened in.
 */
#ifndef STRATUS_WASM_H
#define STRATUS_WASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status and errors ---- */

typedef enum wasm_status {
  WASM_OK = 0,
  WASM_MALFORMED,  /* the bytes (or text) are not a well-formed module */
  WASM_INVALID,    /* well-formed but fails validation */
  WASM_LINK_ERROR, /* an import is missing or has the wrong type */
  WASM_TRAP,       /* execution trapped (also: start function, segment init) */
  WASM_EXHAUSTED,  /* a resource limit: call stack, fuel, deadline */
  WASM_NOMEM,      /* the host ran out of memory */
  WASM_BAD_ARG,    /* the embedder passed something wrong */
} wasm_status;

#define WASM_ERROR_MAX 256
typedef struct wasm_error {
  wasm_status status;
  char message[WASM_ERROR_MAX];
} wasm_error;

/* Fills err (when not NULL) with status and a printf-style message and
 * returns status: what every layer's failures and host functions' traps
 * go through. */
wasm_status wasm_fail(wasm_error *err, wasm_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- values ---- */

typedef enum wasm_valkind {
  WASM_I32 = 0x7F,
  WASM_I64 = 0x7E,
  WASM_F32 = 0x7D,
  WASM_F64 = 0x7C,
  WASM_V128 = 0x7B,
  WASM_FUNCREF = 0x70,
  WASM_EXTERNREF = 0x6F,
  WASM_EXNREF = 0x69, /* WASM_FEATURE_EXCEPTIONS: a caught exception */
} wasm_valkind;

typedef struct wasm_func wasm_func;
typedef struct wasm_table wasm_table;
typedef struct wasm_memory wasm_memory;
typedef struct wasm_global wasm_global;

/* Floats are kept as their bit patterns so NaN payloads survive. A funcref
 * is a wasm_func pointer; an externref is any host pointer; NULL is null. */
typedef struct wasm_val {
  uint8_t kind; /* wasm_valkind */
  union {
    int32_t i32;
    int64_t i64;
    uint32_t f32;
    uint64_t f64;
    uint8_t v128[16]; /* little-endian lanes */
    void *ref;
  } of;
} wasm_val;

/* The text-format name of a value kind ("i32", "funcref", ...; "?" if
 * unknown). */
const char *wasm_valkind_name(uint8_t kind);

/* ---- types ---- */

typedef struct wasm_functype wasm_functype;

/* A function type; its storage is owned by whoever created it (a module or
 * a wasm_functype_new caller). */
wasm_functype *wasm_functype_new(const uint8_t *params, uint32_t nparams,
                                 const uint8_t *results, uint32_t nresults);
void wasm_functype_delete(wasm_functype *t);
uint32_t wasm_functype_nparams(const wasm_functype *t);
uint32_t wasm_functype_nresults(const wasm_functype *t);
uint8_t wasm_functype_param(const wasm_functype *t, uint32_t i);
uint8_t wasm_functype_result(const wasm_functype *t, uint32_t i);
bool wasm_functype_equal(const wasm_functype *a, const wasm_functype *b);

typedef struct wasm_limits {
  uint64_t min;
  uint64_t max;
  bool has_max;
} wasm_limits;

typedef enum wasm_externkind {
  WASM_EXTERN_FUNC = 0,
  WASM_EXTERN_TABLE = 1,
  WASM_EXTERN_MEMORY = 2,
  WASM_EXTERN_GLOBAL = 3,
  WASM_EXTERN_TAG = 4, /* exception tag (WASM_FEATURE_EXCEPTIONS) */
} wasm_externkind;

typedef struct wasm_tag wasm_tag;

typedef struct wasm_extern {
  wasm_externkind kind;
  union {
    wasm_func *func;
    wasm_table *table;
    wasm_memory *memory;
    wasm_global *global;
    wasm_tag *tag;
  } of;
} wasm_extern;

/* ---- engine ---- */

typedef struct wasm_engine wasm_engine;

/* Proposals beyond WebAssembly 2.0 (bits of wasm_config.features). */
#define WASM_FEATURE_MULTI_MEMORY 0x1u /* several memories, memarg index */
#define WASM_FEATURE_EXCEPTIONS 0x2u   /* tags, throw, try_table (wasm 3.0) */

typedef struct wasm_config {
  uint32_t max_call_depth;  /* frames; 0 = default */
  uint32_t max_stack_bytes; /* value stack per store; 0 = default */
  uint32_t features;        /* WASM_FEATURE_* bits; 0 = WebAssembly 2.0 */
} wasm_config;

wasm_engine *wasm_engine_new(const wasm_config *config /* may be NULL */);
void wasm_engine_delete(wasm_engine *e);

/* ---- modules ---- */

typedef struct wasm_module wasm_module;

/* Decodes, validates and compiles a binary module. The bytes are copied. */
wasm_status wasm_module_new(wasm_engine *e, const uint8_t *bytes, size_t len,
                            wasm_module **out, wasm_error *err);
void wasm_module_delete(wasm_module *m);

/* Module introspection, in index order. */
uint32_t wasm_module_import_count(const wasm_module *m);
void wasm_module_import(const wasm_module *m, uint32_t i, const char **module,
                        const char **name, wasm_externkind *kind);
uint32_t wasm_module_export_count(const wasm_module *m);
void wasm_module_export(const wasm_module *m, uint32_t i, const char **name,
                        wasm_externkind *kind);

/* The full type of an import or export (for the component layer, which
 * type-checks core instantiations). func is owned by the module. */
typedef struct wasm_externtype {
  wasm_externkind kind;
  const wasm_functype *func; /* FUNC */
  uint8_t elem;              /* TABLE: WASM_FUNCREF / WASM_EXTERNREF */
  wasm_limits limits;        /* TABLE (elements), MEMORY (pages) */
  uint8_t global_kind;       /* GLOBAL: wasm_valkind */
  bool global_mutable;       /* GLOBAL */
  /* TAG: its function type is in func (no results). */
} wasm_externtype;
void wasm_module_import_type(const wasm_module *m, uint32_t i,
                             wasm_externtype *out);
void wasm_module_export_type(const wasm_module *m, uint32_t i,
                             wasm_externtype *out);

/* ---- stores ---- */

typedef struct wasm_store wasm_store;

wasm_store *wasm_store_new(wasm_engine *e);
void wasm_store_delete(wasm_store *s);

/* Limits for this store (0 = unlimited / default). They apply to objects
 * created after the call: a memory or table whose minimum exceeds them is
 * refused (instantiation fails with WASM_EXHAUSTED), and growth past them
 * fails as the spec says (memory.grow and table.grow return -1). */
typedef struct wasm_store_limits {
  uint64_t max_memory_bytes; /* per linear memory */
  uint64_t max_table_elems;  /* per table */
  uint64_t max_instances;    /* instances in the store */
  uint64_t max_memories;     /* memories in the store, defined or created */
  uint64_t max_tables;       /* tables in the store, defined or created */
} wasm_store_limits;
void wasm_store_set_limits(wasm_store *s, const wasm_store_limits *limits);

/* CPU budgets that interrupt running wasm, checked at every function entry
 * and every backward jump, i.e. each loop iteration after the first (one
 * unit of fuel each). An interrupted call
 * returns WASM_EXHAUSTED ("all fuel consumed", "interrupted: deadline
 * exceeded"); the store stays usable.
 *
 * Fuel: deterministic. wasm_store_set_fuel sets the units left
 * (UINT64_MAX, the default: unlimited); wasm_store_get_fuel reads them.
 *
 * Epochs: the engine keeps a counter that wasm_engine_increment_epoch
 * advances, safe to call from any thread (e.g. a timer). A store with a
 * deadline traps once the counter reaches it, within a few microseconds.
 * wasm_store_set_epoch_deadline sets it `ticks` increments from now
 * (UINT64_MAX: no deadline, the default). */
void wasm_store_set_fuel(wasm_store *s, uint64_t fuel);
uint64_t wasm_store_get_fuel(const wasm_store *s);
void wasm_engine_increment_epoch(wasm_engine *e);
uint64_t wasm_engine_epoch(const wasm_engine *e);
void wasm_store_set_epoch_deadline(wasm_store *s, uint64_t ticks);

/* ---- functions ---- */

/* A host function. Returns WASM_OK, or WASM_TRAP after filling err. */
typedef wasm_status (*wasm_host_fn)(void *env, const wasm_val *args,
                                    wasm_val *results, wasm_error *err);

wasm_func *wasm_func_new_host(wasm_store *s, const wasm_functype *type,
                              wasm_host_fn fn, void *env);
const wasm_functype *wasm_func_type(const wasm_func *f);

/* Calls f. args and results must match its type. A trap comes back as
 * WASM_TRAP (or WASM_EXHAUSTED) with the message in err. */
wasm_status wasm_func_call(wasm_store *s, wasm_func *f, const wasm_val *args,
                           size_t nargs, wasm_val *results, size_t nresults,
                           wasm_error *err);

/* ---- memories, tables, globals ---- */

wasm_memory *wasm_memory_new(wasm_store *s, wasm_limits limits);
uint8_t *wasm_memory_data(wasm_memory *m);
uint64_t wasm_memory_size(const wasm_memory *m); /* bytes */
wasm_limits wasm_memory_limits(const wasm_memory *m);
/* Grows by delta pages; returns the old size in pages, or -1 on failure. */
int64_t wasm_memory_grow(wasm_memory *m, uint64_t delta_pages);

wasm_table *wasm_table_new(wasm_store *s, uint8_t elem_kind, wasm_limits limits,
                           void *init);
uint64_t wasm_table_size(const wasm_table *t);
wasm_limits wasm_table_limits(const wasm_table *t);
uint8_t wasm_table_elem_kind(const wasm_table *t);
bool wasm_table_get(const wasm_table *t, uint64_t i, void **out);
bool wasm_table_set(wasm_table *t, uint64_t i, void *ref);
int64_t wasm_table_grow(wasm_table *t, uint64_t delta, void *init);

wasm_global *wasm_global_new(wasm_store *s, uint8_t kind, bool mutable_,
                             wasm_val init);
wasm_val wasm_global_get(const wasm_global *g);
void wasm_global_set(wasm_global *g, wasm_val v);
uint8_t wasm_global_kind(const wasm_global *g);
bool wasm_global_mutable(const wasm_global *g);

/* ---- instances and linking ---- */

typedef struct wasm_instance wasm_instance;

/* Looks up an export by name; false if there is none. */
bool wasm_instance_export(const wasm_instance *inst, const char *name,
                          wasm_extern *out);
/* The same with an explicit length, for names that hold NUL bytes. */
bool wasm_instance_export_n(const wasm_instance *inst, const char *name,
                            size_t len, wasm_extern *out);

typedef struct wasm_linker wasm_linker;

wasm_linker *wasm_linker_new(wasm_engine *e);
void wasm_linker_delete(wasm_linker *l);
/* Defines (module, name); a later definition of the same pair replaces it. */
wasm_status wasm_linker_define(wasm_linker *l, const char *module,
                               const char *name, wasm_extern ext);
/* Defines every export of inst under the module name. */
wasm_status wasm_linker_define_instance(wasm_linker *l, const char *module,
                                        const wasm_instance *inst);

/* Resolves imports, allocates, initialises segments and runs the start
 * function. On a trap during initialisation the instance is not returned
 * (the spec's partially-initialised state stays visible through any
 * imported memories or tables, as it should). The same as
 * wasm_linker_instantiate_pre then wasm_instance_pre_instantiate, with the
 * store keeping the pre-instance as long as its instances need it. */
wasm_status wasm_linker_instantiate(wasm_linker *l, wasm_store *s,
                                    const wasm_module *m, wasm_instance **out,
                                    wasm_error *err);

/* Defines a host function that belongs to no store: one immutable
 * definition, usable by instances in any store (the linker keeps its own
 * copy of type). env must stay valid while the linker or any pre-instance
 * made from it is alive. */
wasm_status wasm_linker_define_func(wasm_linker *l, const char *module,
                                    const char *name, const wasm_functype *type,
                                    wasm_host_fn fn, void *env);

/* Pre-instantiation: resolve a module's imports once and prepare all that
 * does not depend on a store (constant globals, element items, segment
 * offsets, a copy-on-write image of the initial memory), then stamp out
 * instances cheaply, in any store. Link errors are reported here. Imports
 * defined with wasm_linker_define_func work in every store; store-owned
 * externs tie the pre-instance to their store (instantiating it in another
 * store fails with WASM_LINK_ERROR).
 *
 * The module must outlive the pre-instance, and the pre-instance every
 * store holding an instance made from it. A pre-instance is immutable:
 * several threads may instantiate it at once (each in its own store). */
typedef struct wasm_instance_pre wasm_instance_pre;
wasm_status wasm_linker_instantiate_pre(wasm_linker *l, const wasm_module *m,
                                        wasm_instance_pre **out, wasm_error *err);
/* Creates an instance in s: allocation, globals, segments, start function
 * (see wasm_linker_instantiate for a trap during initialisation). */
wasm_status wasm_instance_pre_instantiate(const wasm_instance_pre *pre,
                                          wasm_store *s, wasm_instance **out,
                                          wasm_error *err);
void wasm_instance_pre_delete(wasm_instance_pre *pre);

/* Instantiates with imports given in the module's import order. */
wasm_status wasm_instantiate(wasm_store *s, const wasm_module *m,
                             const wasm_extern *imports, size_t nimports,
                             wasm_instance **out, wasm_error *err);


/* ---- text format (WAT) and spec scripts (WAST) ---- */

/* Parses a text module, "(module ...)" or bare module fields, into the
 * binary format. A "(module binary ...)" or "(module quote ...)" form is
 * accepted too. On failure returns WASM_MALFORMED with "line:col: message". */
wasm_status wasm_wat_to_binary(const char *text, size_t len, uint8_t **out,
                               size_t *out_len, wasm_error *err);

/* A spec script, parsed into commands. Module sources are kept as text
 * spans (or raw bytes for binary modules) and only compiled when the runner
 * reaches them, because assert_malformed/assert_invalid expect the failure
 * at that point. */
typedef enum wast_module_form {
  WAST_MODULE_TEXT,   /* text: the span "(module ...)" of the script */
  WAST_MODULE_BINARY, /* bytes: the concatenated strings of (module binary) */
  WAST_MODULE_QUOTE,  /* text: the concatenated strings of (module quote) */
} wast_module_form;

typedef struct wast_module_src {
  wast_module_form form;
  char *name;      /* "$id" after "module", or NULL */
  bool definition; /* (module definition ...): compile, do not instantiate */
  uint8_t *bytes;  /* text or binary, owned; len bytes */
  size_t len;
  /* A component: (component ...), (component $c ...), (component
   * definition|binary|quote ...); text is the "(component ...)" span. Also
   * set (without has_module) on WAST_CMD_MODULE_INSTANCE for
   * (component instance $i $c). */
  bool component;
} wast_module_src;

/* An argument value or expected result. */
typedef enum wast_val_pattern {
  WAST_EXACT,          /* compare val exactly (floats bitwise) */
  WAST_NAN_CANONICAL,  /* nan:canonical of val.kind */
  WAST_NAN_ARITHMETIC, /* nan:arithmetic of val.kind */
  WAST_REF_NULL,       /* any null reference (val.kind says funcref/externref) */
  WAST_REF_FUNC,       /* any non-null funcref */
  WAST_REF_EXTERN,     /* (ref.extern N): val.of.ref holds N+1 */
  WAST_V128_LANES,     /* v128 with per-lane patterns (see lane_*) */
  WAST_UNSUPPORTED,    /* a form this engine does not know (e.g. GC refs);
                          also component value forms (see component_form) */
} wast_val_pattern;

typedef struct wast_value {
  wast_val_pattern pattern;
  wasm_val val;
  /* For WAST_V128_LANES: lane_shape is the number of lanes (4 for f32x4,
   * 2 for f64x2) and lane_pattern[i] is WAST_EXACT, WAST_NAN_CANONICAL or
   * WAST_NAN_ARITHMETIC for lane i; exact lanes are in val.of.v128. */
  uint8_t lane_shape;
  uint8_t lane_pattern[4];
  /* Every value keeps its source text "(kind.const ...)" (owned, NUL
   * terminated): component invocations parse it against the function's
   * types (f32.const and friends are also component values). */
  char *text;
  size_t text_len;
  /* A component-only value form (u32.const, str.const, list.const, ...;
   * pattern WAST_UNSUPPORTED for core scripts): parse text. */
  bool component_form;
} wast_value;

typedef enum wast_action_kind { WAST_INVOKE, WAST_GET } wast_action_kind;

typedef struct wast_action {
  wast_action_kind kind;
  char *module;      /* "$id" or NULL for the latest module */
  char *field;       /* export name, decoded from the string literal */
  size_t field_len;  /* may contain NUL bytes */
  wast_value *args;  /* argument values, all WAST_EXACT or ref forms */
  size_t nargs;
} wast_action;

typedef enum wast_command_kind {
  WAST_CMD_MODULE,              /* module */
  WAST_CMD_MODULE_INSTANCE,     /* (module instance $i $def) */
  WAST_CMD_REGISTER,            /* register "name" $id? (uses name, module) */
  WAST_CMD_ACTION,              /* bare invoke/get */
  WAST_CMD_ASSERT_RETURN,       /* action + expected[] (either: see below) */
  WAST_CMD_ASSERT_TRAP,         /* action, or module, + message */
  WAST_CMD_ASSERT_EXHAUSTION,   /* action + message */
  WAST_CMD_ASSERT_MALFORMED,    /* module + message */
  WAST_CMD_ASSERT_INVALID,      /* module + message */
  WAST_CMD_ASSERT_UNLINKABLE,   /* module + message */
  WAST_CMD_ASSERT_UNINSTANTIABLE, /* module + message */
  WAST_CMD_ASSERT_EXCEPTION,    /* action (wasm 3.0) */
  WAST_CMD_UNSUPPORTED,         /* a command this engine does not know */
} wast_command_kind;

typedef struct wast_command {
  wast_command_kind kind;
  int line;
  bool has_module;       /* module is set */
  wast_module_src module;
  bool has_action;       /* action is set */
  wast_action action;
  wast_value *expected;  /* results */
  size_t nexpected;
  /* (either r1 r2 ...) in assert_return: alternatives, each one value;
   * when neither is 0 the result must match one of them. */
  size_t neither;
  char *message;         /* expected failure text, or NULL */
  char *name;            /* register: the name; module instance: $i */
  char *name2;           /* register: optional $id; module instance: $def */
} wast_command;

typedef struct wast_script {
  wast_command *commands;
  size_t ncommands;
} wast_script;

/* Parses a whole script. A syntax error in the script itself (outside a
 * quoted or binary module) fails the parse with "line:col: message". */
wasm_status wast_parse(const char *text, size_t len, wast_script **out,
                       wasm_error *err);
void wast_script_delete(wast_script *s);

#ifdef __cplusplus
}
#endif
#endif
