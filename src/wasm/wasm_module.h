/*
 * wasm_module.h: the decoded form of a module, shared inside the engine.
 *
 * wasm_decode.c fills it from the binary format; wasm_validate.c checks it;
 * wasm_compile.c turns each function body into internal code; the runtime
 * instantiates it. After wasm_module_new returns, nothing writes to it.
 */
#ifndef WASM_MODULE_H
#define WASM_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stratus/wasm.h"

/* Sizes the spec and common engines allow; inputs beyond them are rejected
 * so hostile modules cannot make us allocate without end. */
#define WASM_MAX_PAGES 65536u          /* 4 GiB of 64 KiB pages */
#define WASM_PAGE_SIZE 65536u
#define WASM_MAX_TABLE 10000000u       /* elements */
#define WASM_MAX_LOCALS 50000u         /* per function, params included */
#define WASM_MAX_PARAMS 1000u
#define WASM_MAX_RESULTS 1000u

struct wasm_functype {
  uint32_t nparams;
  uint32_t nresults;
  uint8_t *types; /* nparams params followed by nresults results */
};

typedef struct wasm_tabletype {
  uint8_t elem; /* WASM_FUNCREF or WASM_EXTERNREF */
  wasm_limits limits;
} wasm_tabletype;

typedef struct wasm_memtype {
  wasm_limits limits; /* in pages */
} wasm_memtype;

typedef struct wasm_globaltype {
  uint8_t kind; /* wasm_valkind */
  bool mutable_;
} wasm_globaltype;

/* A constant expression (global initialisers, segment offsets, element
 * items): the raw instruction bytes up to and including the final `end`,
 * pointing into wasm_module.bytes. Evaluated at instantiation. */
typedef struct wasm_constexpr {
  const uint8_t *code;
  uint32_t len;
} wasm_constexpr;

typedef struct wasm_import {
  char *module;
  char *name;
  uint32_t module_len, name_len; /* names may hold any UTF-8 */
  wasm_externkind kind;
  union {
    uint32_t func_type; /* index into types */
    wasm_tabletype table;
    wasm_memtype memory;
    wasm_globaltype global;
    uint32_t tag_type; /* TAG: index into types */
  } as;
} wasm_import;

typedef struct wasm_export {
  char *name;
  uint32_t name_len;
  wasm_externkind kind;
  uint32_t index; /* in the index space of kind (imports first) */
} wasm_export;

/* A function defined in the module (imports are not in this array). */
typedef struct wasm_funcdef {
  uint32_t type;          /* index into types */
  uint32_t nlocals;       /* declared locals, params excluded */
  uint8_t *local_types;   /* nlocals kinds */
  const uint8_t *body;    /* the expression: after the locals, to the final
                             `end` inclusive; points into module bytes */
  uint32_t body_len;
  uint32_t body_offset;   /* offset of body in the module bytes */
  char *name;             /* from the name section or an export, or NULL */
  void *code;             /* internal code from wasm_compile.c */
} wasm_funcdef;

typedef struct wasm_global_def {
  wasm_globaltype type;
  wasm_constexpr init;
} wasm_global_def;

typedef enum wasm_segment_mode {
  WASM_SEG_ACTIVE,
  WASM_SEG_PASSIVE,
  WASM_SEG_DECLARATIVE,
} wasm_segment_mode;

typedef struct wasm_elem {
  wasm_segment_mode mode;
  uint8_t elem_kind;       /* WASM_FUNCREF or WASM_EXTERNREF */
  uint32_t table;          /* active only */
  wasm_constexpr offset;   /* active only */
  uint32_t count;
  /* Either func indices (the compact encodings) or one constexpr per item. */
  uint32_t *func_indices;  /* count entries, or NULL */
  wasm_constexpr *exprs;   /* count entries, or NULL */
} wasm_elem;

typedef struct wasm_data {
  wasm_segment_mode mode;  /* ACTIVE or PASSIVE */
  uint32_t memory;
  wasm_constexpr offset;   /* active only */
  const uint8_t *bytes;    /* points into module bytes */
  uint32_t len;
} wasm_data;

struct wasm_module {
  wasm_engine *engine;
  uint8_t *bytes; /* our copy of the binary; spans below point into it */
  size_t len;

  wasm_functype *types;
  uint32_t ntypes;

  wasm_import *imports;
  uint32_t nimports;
  /* Index spaces: imported items come first. */
  uint32_t nfunc_imports, ntable_imports, nmemory_imports, nglobal_imports;
  uint32_t ntag_imports;

  wasm_funcdef *funcs; /* defined functions only */
  uint32_t nfuncs;

  wasm_tabletype *tables; /* defined tables only */
  uint32_t ntables;

  wasm_memtype *memories; /* defined memories only */
  uint32_t nmemories;

  wasm_global_def *globals; /* defined globals only */
  uint32_t nglobals;

  uint32_t *tags; /* defined tags only: their type indices */
  uint32_t ntags;

  wasm_export *exports;
  uint32_t nexports;

  bool has_start;
  uint32_t start;

  wasm_elem *elems;
  uint32_t nelems;

  wasm_data *datas;
  uint32_t ndatas;
  bool has_datacount;
  uint32_t datacount;

  /* Functions referenced outside function bodies (exports, element
   * segments, global initialisers): the only ones ref.func may name. */
  uint8_t *func_declared; /* one flag per function index */

  /* import_pos[k][i]: position in imports[] of the i-th import of extern
   * kind k (wasm_externkind), so the type helpers are O(1). */
  uint32_t *import_pos[5];

  /* The runtime's store-independent preparation (wasm_pre.c), built on
   * first use and freed with the module: the one field written after
   * wasm_module_new, atomically. */
  void *prep;
};

/* Type helpers over the index spaces (imports first). */
const wasm_functype *wasm_module_func_type(const wasm_module *m, uint32_t func);
wasm_tabletype wasm_module_table_type(const wasm_module *m, uint32_t table);
wasm_memtype wasm_module_memory_type(const wasm_module *m, uint32_t mem);
wasm_globaltype wasm_module_global_type(const wasm_module *m, uint32_t global);
static inline uint32_t wasm_module_total_funcs(const wasm_module *m) {
  return m->nfunc_imports + m->nfuncs;
}
static inline uint32_t wasm_module_total_tables(const wasm_module *m) {
  return m->ntable_imports + m->ntables;
}
static inline uint32_t wasm_module_total_memories(const wasm_module *m) {
  return m->nmemory_imports + m->nmemories;
}
static inline uint32_t wasm_module_total_globals(const wasm_module *m) {
  return m->nglobal_imports + m->nglobals;
}
static inline uint32_t wasm_module_total_tags(const wasm_module *m) {
  return m->ntag_imports + m->ntags;
}
/* A tag's type index (tag < wasm_module_total_tags). */
uint32_t wasm_module_tag_type(const wasm_module *m, uint32_t tag);
/* Whether the engine enables exception handling (WASM_FEATURE_EXCEPTIONS). */
bool wasm_module_exceptions(const wasm_module *m);

/* Stage entry points, called in order by wasm_module_new. Each returns
 * WASM_OK or fills err (WASM_MALFORMED / WASM_INVALID). */
wasm_status wasm_decode(wasm_module *m, wasm_error *err);
wasm_status wasm_validate(const wasm_module *m, wasm_error *err);
wasm_status wasm_compile(wasm_module *m, wasm_error *err);
/* Frees what wasm_decode and wasm_compile allocated (not m itself). */
void wasm_module_free_contents(wasm_module *m);
/* Whether the module's engine enables multi-memory (WASM_FEATURE_MULTI_MEMORY);
 * without it, decoding and validation follow WebAssembly 2.0. */
bool wasm_module_multi_memory(const wasm_module *m);
void wasm_compile_free(void *code);

/* Fills err with a printf-style message and returns status. */

/* ---- reading instructions ---- */

/* A decoded instruction. The validator and the compiler both walk bodies
 * with wasm_read_instr, so the binary encoding is read in one place. */
typedef struct wasm_instr {
  uint16_t op;     /* wasm_op */
  uint32_t offset; /* of the opcode, relative to the module bytes */
  union {
    struct { int64_t type; } block;   /* -64 (0x40) empty, negative valtype
                                         byte as (int8_t), or type index >= 0 */
    uint32_t index;                    /* label, func, local, global, table,
                                          elem, data, memory */
    struct { uint32_t type, table; } call_indirect;
    struct { uint32_t count; const uint8_t *labels; } br_table;
                                       /* count LEB128 labels then the default;
                                          read them with wasm_read_u32 */
    struct { uint32_t align, offset, memory; uint8_t lane; } mem;
    struct { uint32_t a, b; } pair;    /* table.copy dst,src; table.init
                                          elem,table; memory.init data,mem;
                                          memory.copy dst,src */
    int32_t i32;
    int64_t i64;
    uint32_t f32;                      /* bits */
    uint64_t f64;                      /* bits */
    uint8_t v128[16];                  /* v128.const bytes, shuffle lanes */
    uint8_t lane;
    uint8_t reftype;                   /* ref.null */
    struct { uint32_t count; const uint8_t *types; } select_t;
    struct { int64_t type; uint32_t count; const uint8_t *catches; } try_table;
                                       /* try_table: block type first (so
                                          imm.block.type reads it), then count
                                          catch clauses: a kind byte (0 catch,
                                          1 catch_ref, 2 catch_all,
                                          3 catch_all_ref), a tag index for
                                          0/1, a label */
  } imm;
} wasm_instr;

typedef struct wasm_reader {
  const uint8_t *base; /* module bytes, for offsets in messages */
  const uint8_t *p;
  const uint8_t *end;
} wasm_reader;

/* Reads one instruction; returns WASM_MALFORMED on a bad encoding. */
wasm_status wasm_read_instr(wasm_reader *r, wasm_instr *in, wasm_error *err);
bool wasm_read_u32(wasm_reader *r, uint32_t *out);

#endif
