/* wat_lex.h: tokens and literals of the WebAssembly text format, shared by
 * the module parser (wat_parse.c, wat_instr.c) and the script parser
 * (wast_parse.c). */
#ifndef WAT_LEX_H
#define WAT_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stratus/wasm.h"

typedef enum wat_tok_kind {
  WT_EOF,
  WT_LPAR,
  WT_RPAR,
  WT_KEYWORD,  /* starts with a lowercase letter: i32.add, offset=4, nan */
  WT_ID,       /* $name */
  WT_NUM,      /* starts with a digit or a sign; checked when converted */
  WT_STRING,   /* "..." (p/len include the quotes; escapes checked) */
  WT_RESERVED, /* anything else: always an error where a token is needed */
} wat_tok_kind;

typedef struct wat_token {
  uint8_t kind;
  uint32_t line, col;
  const char *p;
  uint32_t len;
  uint32_t match; /* WT_LPAR: index of the matching WT_RPAR (or of EOF) */
} wat_token;

/* Splits text into tokens, ending with one WT_EOF token. Fails only on
 * input no token can start (unterminated string or comment, bad escape,
 * invalid UTF-8 in a string, unbalanced parentheses). */
wasm_status wat_lex(const char *text, size_t len, wat_token **out, size_t *ntok,
                    wasm_error *err);

/* Decodes a WT_STRING token into bytes; out must hold tok->len bytes. */
size_t wat_string_decode(const wat_token *t, uint8_t *out);

/* True if the bytes are valid UTF-8. */
bool wat_utf8_valid(const uint8_t *s, size_t len);

/* Literal conversion. Each returns 0 on success, -1 if the text is not a
 * literal of that kind, -2 if it is one but out of range. */
int wat_num_u32(const char *p, size_t len, uint32_t *out);
int wat_num_u64(const char *p, size_t len, uint64_t *out);
int wat_num_int(const char *p, size_t len, int bits, uint64_t *out);
int wat_num_f32(const char *p, size_t len, uint32_t *out);
int wat_num_f64(const char *p, size_t len, uint64_t *out);

static inline bool wat_tok_is(const wat_token *t, const char *kw) {
  size_t n = 0;
  while (kw[n]) n++;
  return t->kind == WT_KEYWORD && t->len == n &&
         __builtin_memcmp(t->p, kw, n) == 0;
}

#endif
