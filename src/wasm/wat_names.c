/* wat_names.c: the text parser's common ground: error reporting, token
 * expectations, identifier spaces, value types and type uses. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wat_internal.h"

wasm_status wat_err(wat_ctx *c, const wat_token *t, const char *fmt, ...) {
  char msg[WASM_ERROR_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return wasm_fail(c->err, WASM_MALFORMED, "%u:%u: %s", t->line, t->col, msg);
}

wasm_status wat_unexpected(wat_ctx *c) {
  const wat_token *t = wat_peek(c);
  if (t->kind == WT_EOF) return wat_err(c, t, "unexpected end of input");
  if (t->kind == WT_RESERVED) return wat_err(c, t, "unknown operator \"%.*s\"", (int)(t->len > 40 ? 40 : t->len), t->p);
  return wat_err(c, t, "unexpected token \"%.*s\"", (int)(t->len > 40 ? 40 : t->len), t->p);
}

wasm_status wat_expect_lpar(wat_ctx *c) {
  if (wat_peek(c)->kind != WT_LPAR) return wat_unexpected(c);
  c->pos++;
  return WASM_OK;
}

wasm_status wat_expect_rpar(wat_ctx *c) {
  if (wat_peek(c)->kind != WT_RPAR) return wat_unexpected(c);
  c->pos++;
  return WASM_OK;
}

static const char *const space_what[WS_COUNT] = {
  "type", "function", "table", "memory", "global", "elem segment", "data segment", "tag",
};

static bool name_eq(const wat_name *n, const wat_token *t) {
  return n->p && n->len == t->len && memcmp(n->p, t->p, t->len) == 0;
}

static bool grow(void **p, uint32_t *cap, uint32_t need, size_t elem) {
  if (need <= *cap) return true;
  uint32_t ncap = *cap ? *cap * 2 : 16;
  while (ncap < need) ncap *= 2;
  void *q = realloc(*p, (size_t)ncap * elem);
  if (!q) return false;
  *p = q;
  *cap = ncap;
  return true;
}

wasm_status wat_space_add(wat_ctx *c, int space, const wat_token *id) {
  wat_space *s = &c->space[space];
  if (id) {
    for (uint32_t i = 0; i < s->n; i++)
      if (name_eq(&s->names[i], id))
        return wat_err(c, id, "duplicate %s %.*s", space_what[space], (int)id->len, id->p);
  }
  if (!grow((void **)&s->names, &s->cap, s->n + 1, sizeof *s->names))
    return wasm_fail(c->err, WASM_NOMEM, "out of memory");
  s->names[s->n].p = id ? id->p : NULL;
  s->names[s->n].len = id ? id->len : 0;
  s->n++;
  return WASM_OK;
}

wasm_status wat_u32(wat_ctx *c, uint32_t *out) {
  const wat_token *t = wat_peek(c);
  if (t->kind != WT_NUM) return wat_unexpected(c);
  int r = wat_num_u32(t->p, t->len, out);
  if (r == -2) return wat_err(c, t, "constant out of range");
  if (r) return wat_unexpected(c);
  c->pos++;
  return WASM_OK;
}

wasm_status wat_resolve(wat_ctx *c, int space, const wat_token *t, uint32_t *out) {
  if (t->kind == WT_NUM) {
    int r = wat_num_u32(t->p, t->len, out);
    if (r == -2) return wat_err(c, t, "constant out of range");
    if (r) return wat_err(c, t, "unexpected token \"%.*s\"", (int)t->len, t->p);
    return WASM_OK;
  }
  if (t->kind != WT_ID) return wat_err(c, t, "unexpected token \"%.*s\"", (int)t->len, t->p);
  const wat_space *s = &c->space[space];
  for (uint32_t i = 0; i < s->n; i++) {
    if (name_eq(&s->names[i], t)) {
      *out = i;
      return WASM_OK;
    }
  }
  return wat_err(c, t, "unknown %s %.*s", space_what[space], (int)t->len, t->p);
}

const wat_token *wat_opt_id(wat_ctx *c) {
  const wat_token *t = wat_peek(c);
  if (t->kind != WT_ID) return NULL;
  c->pos++;
  return t;
}

/* ---- value types ---- */

wasm_status wat_reftype(wat_ctx *c, uint8_t *out) {
  const wat_token *t = wat_peek(c);
  if (wat_tok_is(t, "funcref")) *out = WASM_FUNCREF;
  else if (wat_tok_is(t, "externref")) *out = WASM_EXTERNREF;
  else if (wat_tok_is(t, "exnref")) *out = WASM_EXNREF;
  else if (t->kind == WT_LPAR && wat_tok_is(wat_peek2(c), "ref")) {
    /* (ref null func) / (ref null extern): the 3.0 spelling of the same */
    c->pos += 2;
    if (!wat_tok_is(wat_peek(c), "null")) return wat_unexpected(c);
    c->pos++;
    t = wat_peek(c);
    if (wat_tok_is(t, "func")) *out = WASM_FUNCREF;
    else if (wat_tok_is(t, "extern")) *out = WASM_EXTERNREF;
    else if (wat_tok_is(t, "exn")) *out = WASM_EXNREF;
    else return wat_unexpected(c);
    c->pos++;
    return wat_expect_rpar(c);
  } else {
    return wat_unexpected(c);
  }
  c->pos++;
  return WASM_OK;
}

wasm_status wat_valtype(wat_ctx *c, uint8_t *out) {
  static const struct { const char *name; uint8_t kind; } num[] = {
    {"i32", WASM_I32}, {"i64", WASM_I64}, {"f32", WASM_F32},
    {"f64", WASM_F64}, {"v128", WASM_V128},
  };
  const wat_token *t = wat_peek(c);
  for (size_t i = 0; i < sizeof num / sizeof num[0]; i++) {
    if (wat_tok_is(t, num[i].name)) {
      *out = num[i].kind;
      c->pos++;
      return WASM_OK;
    }
  }
  return wat_reftype(c, out);
}

/* ---- function types ---- */

wasm_status wat_type_intern(wat_ctx *c, const uint8_t *vt, uint32_t np, uint32_t nr,
                            uint32_t *out) {
  for (uint32_t i = 0; i < c->ntypes; i++) {
    const wat_functype *f = &c->types[i];
    if (f->np == np && f->nr == nr && (np + nr == 0 || memcmp(f->vt, vt, np + nr) == 0)) {
      *out = i;
      return WASM_OK;
    }
  }
  if (!grow((void **)&c->types, &c->types_cap, c->ntypes + 1, sizeof *c->types))
    return wasm_fail(c->err, WASM_NOMEM, "out of memory");
  uint8_t *copy = malloc(np + nr + 1);
  if (!copy) return wasm_fail(c->err, WASM_NOMEM, "out of memory");
  if (np + nr) memcpy(copy, vt, np + nr);
  c->types[c->ntypes] = (wat_functype){copy, np, nr};
  *out = c->ntypes++;
  return WASM_OK;
}

typedef struct sig {
  uint8_t *vt;
  uint32_t np, nr, cap;
} sig;

static bool sig_push(sig *s, uint8_t v) {
  if (!grow((void **)&s->vt, &s->cap, s->np + s->nr + 1, 1)) return false;
  s->vt[s->np + s->nr] = v;
  return true;
}

/* (param ...)* (result ...)*; param names go to c->locals when bind is set
 * and are rejected when names_ok is false. */
static wasm_status parse_sig(wat_ctx *c, sig *s, bool bind, bool names_ok) {
  wasm_status st;
  while (wat_at_paren_kw(c, "param")) {
    c->pos += 2;
    const wat_token *id = wat_peek(c);
    if (id->kind == WT_ID) {
      if (!names_ok) return wat_unexpected(c);
      c->pos++;
      uint8_t v;
      if ((st = wat_valtype(c, &v))) return st;
      if (!sig_push(s, v)) return wasm_fail(c->err, WASM_NOMEM, "out of memory");
      s->np++;
      if (bind) {
        for (uint32_t i = 0; i < c->nlocals; i++)
          if (name_eq(&c->locals[i], id))
            return wat_err(c, id, "duplicate local %.*s", (int)id->len, id->p);
        if (!grow((void **)&c->locals, &c->locals_cap, c->nlocals + 1, sizeof *c->locals))
          return wasm_fail(c->err, WASM_NOMEM, "out of memory");
        c->locals[c->nlocals++] = (wat_name){id->p, id->len};
      }
    } else {
      while (wat_peek(c)->kind != WT_RPAR) {
        uint8_t v;
        if ((st = wat_valtype(c, &v))) return st;
        if (!sig_push(s, v)) return wasm_fail(c->err, WASM_NOMEM, "out of memory");
        s->np++;
        if (bind) {
          if (!grow((void **)&c->locals, &c->locals_cap, c->nlocals + 1, sizeof *c->locals))
            return wasm_fail(c->err, WASM_NOMEM, "out of memory");
          c->locals[c->nlocals++] = (wat_name){NULL, 0};
        }
      }
    }
    if ((st = wat_expect_rpar(c))) return st;
  }
  while (wat_at_paren_kw(c, "result")) {
    c->pos += 2;
    while (wat_peek(c)->kind != WT_RPAR) {
      uint8_t v;
      if ((st = wat_valtype(c, &v))) return st;
      if (!sig_push(s, v)) return wasm_fail(c->err, WASM_NOMEM, "out of memory");
      s->nr++;
    }
    if ((st = wat_expect_rpar(c))) return st;
  }
  return WASM_OK;
}

/* Shared by function type uses and block types. *inline_ok reports (for
 * blocks) a signature that needs no type index; then *type_idx is -1 for
 * [] -> [] or the value type of the one result. */
static wasm_status typeuse(wat_ctx *c, bool bind, bool names_ok, bool is_block,
                           int64_t *type_idx) {
  wasm_status st;
  bool has_type = false;
  uint32_t tidx = 0;
  const wat_token *type_tok = NULL;
  if (wat_at_paren_kw(c, "type")) {
    c->pos += 2;
    type_tok = wat_peek(c);
    if (!wat_at_index(c)) return wat_unexpected(c);
    if ((st = wat_resolve(c, WS_TYPE, type_tok, &tidx))) return st;
    c->pos++;
    if ((st = wat_expect_rpar(c))) return st;
    has_type = true;
  }
  sig s = {0};
  st = parse_sig(c, &s, bind, names_ok);
  if (st) {
    free(s.vt);
    return st;
  }
  if (has_type && tidx >= c->ntypes && s.np + s.nr > 0) {
    free(s.vt);
    return wat_err(c, type_tok, "unknown type");
  }
  if (has_type) {
    if (tidx < c->ntypes) {
      const wat_functype *f = &c->types[tidx];
      if (s.np + s.nr > 0 &&
          (f->np != s.np || f->nr != s.nr || memcmp(f->vt, s.vt, s.np + s.nr) != 0)) {
        free(s.vt);
        return wat_err(c, type_tok, "inline function type");
      }
      if (bind && s.np == 0) {
        /* Parameters come from the named type, unnamed. */
        for (uint32_t i = 0; i < f->np; i++) {
          if (!grow((void **)&c->locals, &c->locals_cap, c->nlocals + 1, sizeof *c->locals)) {
            free(s.vt);
            return wasm_fail(c->err, WASM_NOMEM, "out of memory");
          }
          c->locals[c->nlocals++] = (wat_name){NULL, 0};
        }
      }
    }
    *type_idx = tidx;
    /* Like wat2wasm: a named block type that fits the short form uses it. */
    if (is_block && tidx < c->ntypes && c->types[tidx].np == 0 && c->types[tidx].nr <= 1)
      *type_idx = c->types[tidx].nr ? -(int64_t)(0x100 + c->types[tidx].vt[0]) : -1;
  } else if (is_block && s.np == 0 && s.nr <= 1) {
    *type_idx = s.nr ? -(int64_t)(0x100 + s.vt[0]) : -1;
  } else {
    uint32_t idx;
    st = wat_type_intern(c, s.vt, s.np, s.nr, &idx);
    if (st) {
      free(s.vt);
      return st;
    }
    *type_idx = idx;
  }
  free(s.vt);
  return WASM_OK;
}

wasm_status wat_typeuse(wat_ctx *c, bool bind_params, uint32_t *type_idx) {
  int64_t idx;
  wasm_status st = typeuse(c, bind_params, bind_params, false, &idx);
  if (st == WASM_OK) *type_idx = (uint32_t)idx;
  return st;
}

/* Block type: writes its encoding (0x40, a value type byte, or an s33 type
 * index) to out. */
wasm_status wat_blocktype(wat_ctx *c, wat_buf *out) {
  int64_t idx;
  wasm_status st = typeuse(c, false, false, true, &idx);
  if (st) return st;
  if (idx == -1) wb_byte(out, 0x40);
  else if (idx < -1) wb_byte(out, (uint8_t)(-idx - 0x100));
  else wb_s64(out, idx);
  return WASM_OK;
}

wasm_status wat_functype_def(wat_ctx *c) {
  sig s = {0};
  wasm_status st = parse_sig(c, &s, false, true);
  if (st == WASM_OK) {
    if (!grow((void **)&c->types, &c->types_cap, c->ntypes + 1, sizeof *c->types)) {
      st = wasm_fail(c->err, WASM_NOMEM, "out of memory");
    } else {
      uint8_t *copy = malloc(s.np + s.nr + 1);
      if (!copy) {
        st = wasm_fail(c->err, WASM_NOMEM, "out of memory");
      } else {
        if (s.np + s.nr) memcpy(copy, s.vt, s.np + s.nr);
        c->types[c->ntypes++] = (wat_functype){copy, s.np, s.nr};
      }
    }
  }
  free(s.vt);
  return st;
}
