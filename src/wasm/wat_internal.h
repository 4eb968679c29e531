/* wat_internal.h: state shared by the text-format module parser
 * (wat_parse.c: module fields), the instruction parser (wat_instr.c) and the
 * byte encoder (wat_encode.c). */
#ifndef WAT_INTERNAL_H
#define WAT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wat_lex.h"
#include "wasm_module.h"

/* ---- a growable byte buffer with LEB128 writers (wat_encode.c) ---- */

typedef struct wat_buf {
  uint8_t *p;
  size_t len, cap;
  bool oom;
} wat_buf;

void wb_free(wat_buf *b);
/* Hands the bytes of a finished text-to-binary conversion to the caller
 * (an empty result is still a buffer); frees them when st failed or the
 * buffer ran out of memory. */
wasm_status wb_finish(wat_buf *b, wasm_status st, uint8_t **out, size_t *out_len,
                      wasm_error *err);
void wb_bytes(wat_buf *b, const void *data, size_t n);
void wb_byte(wat_buf *b, uint8_t c);
void wb_u32(wat_buf *b, uint32_t v);
void wb_u64(wat_buf *b, uint64_t v);
void wb_s32(wat_buf *b, int32_t v);
void wb_s64(wat_buf *b, int64_t v);
/* A name/string: u32 length then the bytes. */
void wb_name(wat_buf *b, const uint8_t *s, size_t n);
/* Appends src as a section: id, size, contents (skipped when src is empty
 * unless always is set). */
void wb_section(wat_buf *b, uint8_t id, const wat_buf *src, bool always);

/* ---- parser state ---- */

typedef struct wat_name {
  const char *p; /* "$..." in the source, NULL when unnamed */
  uint32_t len;
} wat_name;

/* Index spaces that symbolic identifiers can name. */
enum { WS_TYPE, WS_FUNC, WS_TABLE, WS_MEM, WS_GLOBAL, WS_ELEM, WS_DATA, WS_TAG, WS_COUNT };

typedef struct wat_space {
  wat_name *names;
  uint32_t n, cap;
} wat_space;

typedef struct wat_functype {
  uint8_t *vt; /* np params then nr results */
  uint32_t np, nr;
} wat_functype;

typedef struct wat_ctx {
  const wat_token *t;
  size_t ntok;
  size_t pos;
  wasm_error *err;

  wat_space space[WS_COUNT];
  wat_functype *types;
  uint32_t ntypes, types_cap;

  /* Function body state. */
  wat_name *locals;
  uint32_t nlocals, locals_cap; /* params included */
  wat_name *labels;
  uint32_t nlabels, labels_cap;

  uint32_t depth;       /* instruction nesting, bounded against hostile input */
  bool uses_data_index; /* memory.init / data.drop seen */
} wat_ctx;

static inline const wat_token *wat_peek(const wat_ctx *c) { return &c->t[c->pos]; }
static inline const wat_token *wat_peek2(const wat_ctx *c) {
  return c->pos + 1 < c->ntok ? &c->t[c->pos + 1] : &c->t[c->ntok - 1];
}
/* True when the next tokens are "(" kw. */
static inline bool wat_at_paren_kw(const wat_ctx *c, const char *kw) {
  return wat_peek(c)->kind == WT_LPAR && wat_tok_is(wat_peek2(c), kw);
}

/* Fails with "line:col: msg" at token t (WASM_MALFORMED). */
wasm_status wat_err(wat_ctx *c, const wat_token *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "unexpected token" at the current token. */
wasm_status wat_unexpected(wat_ctx *c);
/* Consumes "(" / ")" or fails. */
wasm_status wat_expect_lpar(wat_ctx *c);
wasm_status wat_expect_rpar(wat_ctx *c);

/* Adds a name (may be NULL) at the end of a space; fails on a duplicate. */
wasm_status wat_space_add(wat_ctx *c, int space, const wat_token *id);
/* Resolves an index token (number or $id) in a space. */
wasm_status wat_resolve(wat_ctx *c, int space, const wat_token *t, uint32_t *out);
/* Parses an optional $id (returns NULL if the next token is not one). */
const wat_token *wat_opt_id(wat_ctx *c);
/* True if the next token is an index (number or $id). */
static inline bool wat_at_index(const wat_ctx *c) {
  uint8_t k = wat_peek(c)->kind;
  return k == WT_NUM || k == WT_ID;
}
/* Parses a u32 literal token. */
wasm_status wat_u32(wat_ctx *c, uint32_t *out);

/* Value types: i32 i64 f32 f64 v128 funcref externref (ref null func|extern). */
wasm_status wat_valtype(wat_ctx *c, uint8_t *out);
wasm_status wat_reftype(wat_ctx *c, uint8_t *out);
/* Finds a type equal to (vt, np, nr) or appends one; returns its index. */
wasm_status wat_type_intern(wat_ctx *c, const uint8_t *vt, uint32_t np, uint32_t nr,
                            uint32_t *out);

/* A type use: (type x)? (param ...)* (result ...)*. With bind_params the
 * parameters become the function's first locals (names allowed). */
wasm_status wat_typeuse(wat_ctx *c, bool bind_params, uint32_t *type_idx);
/* The (param ...)* (result ...)* of a type definition, appended to the
 * types as a new (explicit) type. */
wasm_status wat_functype_def(wat_ctx *c);
/* A block type, encoded into out (0x40, a value type, or a type index). */
wasm_status wat_blocktype(wat_ctx *c, wat_buf *out);

/* Instructions up to (not including) the closing ")" of the enclosing
 * form, appended to out. */
wasm_status wat_instrs(wat_ctx *c, wat_buf *out);
/* One instruction (plain or folded). */
wasm_status wat_instr1(wat_ctx *c, wat_buf *out);
/* A function body: locals then instructions, encoded as a code entry body
 * (locals vector, instructions, end) into out. The params are already in
 * c->locals. */
wasm_status wat_func_body(wat_ctx *c, wat_buf *out);

/* Module-field pieces reused by the component text parser: limits
 * ("min max?"), a table type (limits reftype) and a global type. */
wasm_status wat_limits(wat_ctx *c, wat_buf *b);
wasm_status wat_tabletype(wat_ctx *c, wat_buf *b);
wasm_status wat_globaltype(wat_ctx *c, wat_buf *b);
/* The fields of a core module in tokens [first, stop) (stop: the ")" that
 * closes the module form), encoded as a whole binary module into out. */
/* Appends the decoded string literals at the cursor (the binary and quote
 * forms of a module or component). */
wasm_status wat_strings(wat_ctx *c, wat_buf *b);

wasm_status wat_module_tokens(const wat_token *toks, size_t ntok, size_t first, size_t stop,
                              wat_buf *out, wasm_error *err);

#endif
