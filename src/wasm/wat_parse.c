/* wat_parse.c: text-format modules to the binary format.
 *
 * Two passes over the module fields: the first gives every definition its
 * index and records its $id (so uses may come before definitions) and
 * collects the explicit types; the second encodes each field into its
 * section, creating implicit types in order of first use as the spec and
 * wat2wasm do. Encoding choices (element segment forms, inline limits,
 * when a datacount section appears) follow wat2wasm so outputs compare
 * byte for byte. */
#include <stdlib.h>
#include <string.h>

#include "wat_internal.h"

typedef struct section {
  wat_buf b;
  uint32_t n;
} section;

typedef struct wat_mod {
  wat_ctx c;
  section imports, funcs, tables, mems, tags, globals, exports, elems, datas, code;
  bool has_start;
  uint32_t start;
  uint32_t next[WS_COUNT]; /* pass 2: next index in each space */
} wat_mod;

static wasm_status nomem(wat_ctx *c) { return wasm_fail(c->err, WASM_NOMEM, "out of memory"); }

static int kind_space(const wat_token *t, uint8_t *kind) {
  static const struct { const char *kw; int space; uint8_t kind; } k[] = {
    {"func", WS_FUNC, 0}, {"table", WS_TABLE, 1}, {"memory", WS_MEM, 2}, {"global", WS_GLOBAL, 3},
    {"tag", WS_TAG, 4},
  };
  for (size_t i = 0; i < 5; i++) {
    if (wat_tok_is(t, k[i].kw)) {
      if (kind) *kind = k[i].kind;
      return k[i].space;
    }
  }
  return -1;
}

/* A string literal, decoded into a new buffer; with name set it must be
 * valid UTF-8. */
static wasm_status string_lit(wat_ctx *c, bool name, uint8_t **out, size_t *len) {
  const wat_token *t = wat_peek(c);
  if (t->kind != WT_STRING) return wat_unexpected(c);
  uint8_t *b = malloc(t->len + 1);
  if (!b) return nomem(c);
  *len = wat_string_decode(t, b);
  if (name && !wat_utf8_valid(b, *len)) {
    free(b);
    return wat_err(c, t, "malformed UTF-8 encoding");
  }
  c->pos++;
  *out = b;
  return WASM_OK;
}

/* A name string written straight into a section buffer. */
static wasm_status name_into(wat_ctx *c, wat_buf *b) {
  uint8_t *s;
  size_t n;
  wasm_status st = string_lit(c, true, &s, &n);
  if (st) return st;
  wb_name(b, s, n);
  free(s);
  return WASM_OK;
}

/* Strings* concatenated. */
wasm_status wat_strings(wat_ctx *c, wat_buf *b) {
  while (wat_peek(c)->kind == WT_STRING) {
    uint8_t *s;
    size_t n;
    wasm_status st = string_lit(c, false, &s, &n);
    if (st) return st;
    wb_bytes(b, s, n);
    free(s);
  }
  return b->oom ? nomem(c) : WASM_OK;
}

/* ---- pass 1: indices and names ---- */

static wasm_status collect_field(wat_mod *m, bool *seen_def) {
  wat_ctx *c = &m->c;
  wasm_status st;
  const wat_token *kw = wat_peek2(c);
  size_t end = wat_peek(c)->match;
  if (kw->kind != WT_KEYWORD) {
    c->pos++;
    return wat_unexpected(c);
  }
  c->pos += 2;
  if (wat_tok_is(kw, "type")) {
    const wat_token *id = wat_opt_id(c);
    if ((st = wat_space_add(c, WS_TYPE, id))) return st;
    if (!wat_at_paren_kw(c, "func")) return wat_unexpected(c);
    c->pos += 2;
    if ((st = wat_functype_def(c)) || (st = wat_expect_rpar(c)) || (st = wat_expect_rpar(c)))
      return st;
  } else if (wat_tok_is(kw, "import")) {
    for (int i = 0; i < 2; i++) {
      if (wat_peek(c)->kind != WT_STRING) return wat_unexpected(c);
      c->pos++;
    }
    if ((st = wat_expect_lpar(c))) return st;
    int space = kind_space(wat_peek(c), NULL);
    if (space < 0) return wat_unexpected(c);
    if (*seen_def) return wat_err(c, kw, "import after definition");
    c->pos++;
    if ((st = wat_space_add(c, space, wat_opt_id(c)))) return st;
  } else if (kind_space(kw, NULL) >= 0) {
    int space = kind_space(kw, NULL);
    const wat_token *id = wat_opt_id(c);
    while (wat_at_paren_kw(c, "export")) c->pos = wat_peek(c)->match + 1;
    if (wat_at_paren_kw(c, "import")) {
      if (*seen_def) return wat_err(c, kw, "import after definition");
    } else {
      *seen_def = true;
    }
    if ((st = wat_space_add(c, space, id))) return st;
    /* Inline (elem ...) / (data ...) define a segment too. */
    while (c->pos < end) {
      if (space == WS_TABLE && wat_at_paren_kw(c, "elem")) {
        if ((st = wat_space_add(c, WS_ELEM, NULL))) return st;
      } else if (space == WS_MEM && wat_at_paren_kw(c, "data")) {
        if ((st = wat_space_add(c, WS_DATA, NULL))) return st;
      }
      c->pos = wat_peek(c)->kind == WT_LPAR ? wat_peek(c)->match + 1 : c->pos + 1;
    }
  } else if (wat_tok_is(kw, "elem")) {
    if ((st = wat_space_add(c, WS_ELEM, wat_opt_id(c)))) return st;
  } else if (wat_tok_is(kw, "data")) {
    if ((st = wat_space_add(c, WS_DATA, wat_opt_id(c)))) return st;
  } else if (!wat_tok_is(kw, "export") && !wat_tok_is(kw, "start")) {
    c->pos--;
    return wat_err(c, kw, "unexpected token \"%.*s\"", (int)kw->len, kw->p);
  }
  c->pos = end + 1;
  return WASM_OK;
}

/* ---- pass 2: encoding ---- */

wasm_status wat_limits(wat_ctx *c, wat_buf *b) {
  uint32_t min, max;
  wasm_status st = wat_u32(c, &min);
  if (st) return st;
  if (wat_peek(c)->kind == WT_NUM) {
    if ((st = wat_u32(c, &max))) return st;
    wb_byte(b, 1);
    wb_u32(b, min);
    wb_u32(b, max);
  } else {
    wb_byte(b, 0);
    wb_u32(b, min);
  }
  return WASM_OK;
}

wasm_status wat_tabletype(wat_ctx *c, wat_buf *b) {
  wat_buf lim = {0};
  uint8_t rt;
  wasm_status st = wat_limits(c, &lim);
  if (!st) st = wat_reftype(c, &rt);
  if (!st) {
    wb_byte(b, rt);
    wb_bytes(b, lim.p, lim.len);
  }
  wb_free(&lim);
  return st;
}

wasm_status wat_globaltype(wat_ctx *c, wat_buf *b) {
  uint8_t vt;
  wasm_status st;
  if (wat_at_paren_kw(c, "mut")) {
    c->pos += 2;
    if ((st = wat_valtype(c, &vt)) || (st = wat_expect_rpar(c))) return st;
    wb_byte(b, vt);
    wb_byte(b, 1);
  } else {
    if ((st = wat_valtype(c, &vt))) return st;
    wb_byte(b, vt);
    wb_byte(b, 0);
  }
  return WASM_OK;
}

/* The description after "(func|table|memory|global id?" in an import. */
static wasm_status import_desc(wat_mod *m, uint8_t kind) {
  wat_ctx *c = &m->c;
  wat_buf *b = &m->imports.b;
  wb_byte(b, kind);
  wasm_status st;
  switch (kind) {
  case 0: {
    uint32_t t;
    c->nlocals = 0;
    if ((st = wat_typeuse(c, true, &t))) return st;
    c->nlocals = 0;
    wb_u32(b, t);
    return WASM_OK;
  }
  case 1: return wat_tabletype(c, b);
  case 2: return wat_limits(c, b);
  case 4: { /* tag: attribute 0, type index */
    uint32_t t;
    c->nlocals = 0;
    if ((st = wat_typeuse(c, false, &t))) return st;
    wb_byte(b, 0);
    wb_u32(b, t);
    return WASM_OK;
  }
  default: return wat_globaltype(c, b);
  }
}

static const int kind_to_space[5] = {WS_FUNC, WS_TABLE, WS_MEM, WS_GLOBAL, WS_TAG};

static wasm_status field_import(wat_mod *m) {
  wat_ctx *c = &m->c;
  wasm_status st;
  c->pos += 2;
  if ((st = name_into(c, &m->imports.b)) || (st = name_into(c, &m->imports.b))) return st;
  if ((st = wat_expect_lpar(c))) return st;
  uint8_t kind;
  if (kind_space(wat_peek(c), &kind) < 0) return wat_unexpected(c);
  c->pos++;
  wat_opt_id(c);
  m->next[kind_to_space[kind]]++;
  m->imports.n++;
  if ((st = import_desc(m, kind))) return st;
  if ((st = wat_expect_rpar(c))) return st;
  return wat_expect_rpar(c);
}

/* (export "name")* inside a definition of kind with index idx. */
static wasm_status inline_exports(wat_mod *m, uint8_t kind, uint32_t idx) {
  wat_ctx *c = &m->c;
  while (wat_at_paren_kw(c, "export")) {
    c->pos += 2;
    wasm_status st = name_into(c, &m->exports.b);
    if (st || (st = wat_expect_rpar(c))) return st;
    wb_byte(&m->exports.b, kind);
    wb_u32(&m->exports.b, idx);
    m->exports.n++;
  }
  return WASM_OK;
}

/* The id, inline exports and inline import common to func, table, memory
 * and global. Returns true in *imported when it was an import (the
 * description is then encoded too). */
static wasm_status def_head(wat_mod *m, uint8_t kind, bool *imported) {
  wat_ctx *c = &m->c;
  wasm_status st;
  c->pos += 2;
  wat_opt_id(c);
  uint32_t idx = m->next[kind_to_space[kind]]++;
  if ((st = inline_exports(m, kind, idx))) return st;
  *imported = wat_at_paren_kw(c, "import");
  if (!*imported) return WASM_OK;
  c->pos += 2;
  if ((st = name_into(c, &m->imports.b)) || (st = name_into(c, &m->imports.b)) ||
      (st = wat_expect_rpar(c)))
    return st;
  m->imports.n++;
  return import_desc(m, kind);
}

static wasm_status field_func(wat_mod *m) {
  wat_ctx *c = &m->c;
  bool imported;
  wasm_status st = def_head(m, 0, &imported);
  if (st) return st;
  if (!imported) {
    uint32_t t;
    c->nlocals = 0;
    if ((st = wat_typeuse(c, true, &t))) return st;
    wb_u32(&m->funcs.b, t);
    m->funcs.n++;
    wat_buf body = {0};
    st = wat_func_body(c, &body);
    if (!st) {
      wb_u32(&m->code.b, (uint32_t)body.len);
      wb_bytes(&m->code.b, body.p, body.len);
      m->code.n++;
    }
    wb_free(&body);
    c->nlocals = 0;
    if (st) return st;
  }
  return wat_expect_rpar(c);
}

/* A constant expression: instructions then end. */
static wasm_status const_expr_into(wat_ctx *c, wat_buf *b) {
  c->nlocals = 0;
  c->nlabels = 0;
  wasm_status st = wat_instrs(c, b);
  wb_byte(b, 0x0B);
  return st;
}

/* (offset instr*) or one folded instruction. */
static wasm_status offset_expr(wat_ctx *c, wat_buf *b) {
  wasm_status st;
  c->nlocals = 0;
  c->nlabels = 0;
  if (wat_at_paren_kw(c, "offset")) {
    c->pos += 2;
    if ((st = const_expr_into(c, b))) return st;
    return wat_expect_rpar(c);
  }
  if (wat_peek(c)->kind != WT_LPAR) return wat_unexpected(c);
  if ((st = wat_instr1(c, b))) return st;
  wb_byte(b, 0x0B);
  return WASM_OK;
}

/* Element list items: each an expression ending in end; all_func stays set
 * while every item is exactly ref.func x (then funcs lists them). */
typedef struct elem_items {
  wat_buf exprs;
  wat_buf funcs; /* LEB128 function indices */
  uint32_t n;
  bool all_func;
} elem_items;

static void item_done(elem_items *it, const uint8_t *e, size_t len) {
  it->n++;
  wb_bytes(&it->exprs, e, len);
  if (!it->all_func) return;
  /* ref.func x end? */
  if (len >= 3 && e[0] == 0xD2 && e[len - 1] == 0x0B) {
    size_t i = 1;
    while (i < len - 1 && (e[i] & 0x80)) i++;
    if (i == len - 2) {
      wb_bytes(&it->funcs, e + 1, len - 2);
      return;
    }
  }
  it->all_func = false;
}

static wasm_status func_index_items(wat_ctx *c, elem_items *it) {
  while (wat_at_index(c)) {
    uint32_t f;
    wasm_status st = wat_resolve(c, WS_FUNC, wat_peek(c), &f);
    if (st) return st;
    c->pos++;
    wat_buf e = {0};
    wb_byte(&e, 0xD2);
    wb_u32(&e, f);
    wb_byte(&e, 0x0B);
    item_done(it, e.p, e.len);
    wb_free(&e);
  }
  return WASM_OK;
}

static wasm_status expr_items(wat_ctx *c, elem_items *it) {
  wasm_status st = WASM_OK;
  while (!st && wat_peek(c)->kind == WT_LPAR) {
    wat_buf e = {0};
    if (wat_at_paren_kw(c, "item")) {
      c->pos += 2;
      if (!(st = const_expr_into(c, &e))) st = wat_expect_rpar(c);
    } else {
      c->nlocals = 0;
      c->nlabels = 0;
      if (!(st = wat_instr1(c, &e))) wb_byte(&e, 0x0B);
    }
    if (!st) item_done(it, e.p, e.len);
    wb_free(&e);
  }
  return st;
}

static void emit_elem(wat_mod *m, wasm_segment_mode mode, uint32_t table, const wat_buf *offset,
                      uint8_t reftype, elem_items *it) {
  wat_buf *b = &m->elems.b;
  bool func_form = reftype == WASM_FUNCREF && it->all_func;
  bool explicit_table = mode == WASM_SEG_ACTIVE && (table != 0 || reftype != WASM_FUNCREF);
  uint8_t flags = (uint8_t)(func_form ? 0 : 4);
  if (mode == WASM_SEG_PASSIVE) flags |= 1;
  else if (mode == WASM_SEG_DECLARATIVE) flags |= 3;
  else if (explicit_table) flags |= 2;
  wb_byte(b, flags);
  if (explicit_table) wb_u32(b, table);
  if (mode == WASM_SEG_ACTIVE) wb_bytes(b, offset->p, offset->len);
  if (flags & 3) wb_byte(b, func_form ? 0x00 : reftype);
  wb_u32(b, it->n);
  if (func_form) wb_bytes(b, it->funcs.p, it->funcs.len);
  else wb_bytes(b, it->exprs.p, it->exprs.len);
  m->elems.n++;
}

static bool at_reftype(const wat_ctx *c) {
  const wat_token *t = wat_peek(c);
  return wat_tok_is(t, "funcref") || wat_tok_is(t, "externref") || wat_tok_is(t, "exnref") ||
         wat_at_paren_kw(c, "ref");
}

static wasm_status field_table(wat_mod *m) {
  wat_ctx *c = &m->c;
  bool imported;
  uint32_t idx = m->next[WS_TABLE];
  wasm_status st = def_head(m, 1, &imported);
  if (st) return st;
  if (imported) return wat_expect_rpar(c);
  if (!at_reftype(c)) {
    if ((st = wat_tabletype(c, &m->tables.b))) return st;
    m->tables.n++;
    return wat_expect_rpar(c);
  }
  /* reftype (elem ...): a table exactly as large as its segment. */
  uint8_t rt;
  if ((st = wat_reftype(c, &rt))) return st;
  if (!wat_at_paren_kw(c, "elem")) return wat_unexpected(c);
  c->pos += 2;
  elem_items it = {.all_func = true};
  st = wat_at_index(c) ? func_index_items(c, &it) : expr_items(c, &it);
  if (!st) st = wat_expect_rpar(c);
  if (!st) {
    wb_byte(&m->tables.b, rt);
    wb_byte(&m->tables.b, 1);
    wb_u32(&m->tables.b, it.n);
    wb_u32(&m->tables.b, it.n);
    m->tables.n++;
    static const uint8_t zero[] = {0x41, 0x00, 0x0B};
    wat_buf off = {(uint8_t *)zero, 3, 3, false};
    emit_elem(m, WASM_SEG_ACTIVE, idx, &off, rt, &it);
    st = wat_expect_rpar(c);
  }
  wb_free(&it.exprs);
  wb_free(&it.funcs);
  return st;
}

static void emit_data(wat_mod *m, wasm_segment_mode mode, uint32_t mem, const wat_buf *offset,
                      const wat_buf *bytes) {
  wat_buf *b = &m->datas.b;
  if (mode == WASM_SEG_PASSIVE) {
    wb_byte(b, 1);
  } else if (mem == 0) {
    wb_byte(b, 0);
    wb_bytes(b, offset->p, offset->len);
  } else {
    wb_byte(b, 2);
    wb_u32(b, mem);
    wb_bytes(b, offset->p, offset->len);
  }
  wb_name(b, bytes->p, bytes->len);
  m->datas.n++;
}

static wasm_status field_memory(wat_mod *m) {
  wat_ctx *c = &m->c;
  bool imported;
  uint32_t idx = m->next[WS_MEM];
  wasm_status st = def_head(m, 2, &imported);
  if (st) return st;
  if (imported) return wat_expect_rpar(c);
  if (!wat_at_paren_kw(c, "data")) {
    if ((st = wat_limits(c, &m->mems.b))) return st;
    m->mems.n++;
    return wat_expect_rpar(c);
  }
  c->pos += 2;
  wat_buf bytes = {0};
  st = wat_strings(c, &bytes);
  if (!st) st = wat_expect_rpar(c);
  if (!st) {
    uint32_t pages = (uint32_t)((bytes.len + 65535) / 65536);
    wb_byte(&m->mems.b, 1);
    wb_u32(&m->mems.b, pages);
    wb_u32(&m->mems.b, pages);
    m->mems.n++;
    static const uint8_t zero[] = {0x41, 0x00, 0x0B};
    wat_buf off = {(uint8_t *)zero, 3, 3, false};
    emit_data(m, WASM_SEG_ACTIVE, idx, &off, &bytes);
    st = wat_expect_rpar(c);
  }
  wb_free(&bytes);
  return st;
}

static wasm_status field_global(wat_mod *m) {
  wat_ctx *c = &m->c;
  bool imported;
  wasm_status st = def_head(m, 3, &imported);
  if (st) return st;
  if (!imported) {
    if ((st = wat_globaltype(c, &m->globals.b)) || (st = const_expr_into(c, &m->globals.b))) return st;
    m->globals.n++;
  }
  return wat_expect_rpar(c);
}

static wasm_status field_tag(wat_mod *m) {
  wat_ctx *c = &m->c;
  bool imported;
  wasm_status st = def_head(m, 4, &imported);
  if (st) return st;
  if (!imported) {
    uint32_t t;
    c->nlocals = 0;
    if ((st = wat_typeuse(c, false, &t))) return st;
    wb_byte(&m->tags.b, 0);
    wb_u32(&m->tags.b, t);
    m->tags.n++;
  }
  return wat_expect_rpar(c);
}

static wasm_status field_export(wat_mod *m) {
  wat_ctx *c = &m->c;
  wasm_status st;
  c->pos += 2;
  if ((st = name_into(c, &m->exports.b)) || (st = wat_expect_lpar(c))) return st;
  uint8_t kind;
  int space = kind_space(wat_peek(c), &kind);
  if (space < 0) return wat_unexpected(c);
  c->pos++;
  uint32_t idx;
  if (!wat_at_index(c)) return wat_unexpected(c);
  if ((st = wat_resolve(c, space, wat_peek(c), &idx))) return st;
  c->pos++;
  wb_byte(&m->exports.b, kind);
  wb_u32(&m->exports.b, idx);
  m->exports.n++;
  if ((st = wat_expect_rpar(c))) return st;
  return wat_expect_rpar(c);
}

static wasm_status field_start(wat_mod *m) {
  wat_ctx *c = &m->c;
  const wat_token *kw = wat_peek2(c);
  c->pos += 2;
  if (m->has_start) return wat_err(c, kw, "multiple start sections");
  if (!wat_at_index(c)) return wat_unexpected(c);
  wasm_status st = wat_resolve(c, WS_FUNC, wat_peek(c), &m->start);
  if (st) return st;
  c->pos++;
  m->has_start = true;
  return wat_expect_rpar(c);
}

static wasm_status field_elem(wat_mod *m) {
  wat_ctx *c = &m->c;
  wasm_status st = WASM_OK;
  c->pos += 2;
  wat_opt_id(c);
  wasm_segment_mode mode = WASM_SEG_PASSIVE;
  uint32_t table = 0;
  wat_buf off = {0};
  elem_items it = {.all_func = true};
  uint8_t rt = WASM_FUNCREF;
  if (wat_tok_is(wat_peek(c), "declare")) {
    c->pos++;
    mode = WASM_SEG_DECLARATIVE;
  } else if (wat_at_paren_kw(c, "table")) {
    c->pos += 2;
    mode = WASM_SEG_ACTIVE;
    if (!wat_at_index(c)) st = wat_unexpected(c);
    if (!st) st = wat_resolve(c, WS_TABLE, wat_peek(c), &table);
    if (!st) c->pos++, st = wat_expect_rpar(c);
  } else if (wat_at_index(c)) { /* the MVP form: a bare table index */
    mode = WASM_SEG_ACTIVE;
    st = wat_resolve(c, WS_TABLE, wat_peek(c), &table);
    c->pos++;
  } else if (wat_peek(c)->kind == WT_LPAR && !wat_at_paren_kw(c, "ref")) {
    mode = WASM_SEG_ACTIVE;
  }
  if (!st && mode == WASM_SEG_ACTIVE) st = offset_expr(c, &off);
  if (!st) {
    if (wat_tok_is(wat_peek(c), "func")) {
      c->pos++;
      st = func_index_items(c, &it);
    } else if (at_reftype(c)) {
      if (!(st = wat_reftype(c, &rt))) st = expr_items(c, &it);
    } else {
      st = func_index_items(c, &it);
    }
  }
  if (!st) st = wat_expect_rpar(c);
  if (!st) emit_elem(m, mode, table, &off, rt, &it);
  wb_free(&off);
  wb_free(&it.exprs);
  wb_free(&it.funcs);
  return st;
}

static wasm_status field_data(wat_mod *m) {
  wat_ctx *c = &m->c;
  wasm_status st = WASM_OK;
  c->pos += 2;
  wat_opt_id(c);
  wasm_segment_mode mode = WASM_SEG_PASSIVE;
  uint32_t mem = 0;
  wat_buf off = {0}, bytes = {0};
  if (wat_at_paren_kw(c, "memory")) {
    c->pos += 2;
    mode = WASM_SEG_ACTIVE;
    if (!wat_at_index(c)) st = wat_unexpected(c);
    if (!st) st = wat_resolve(c, WS_MEM, wat_peek(c), &mem);
    if (!st) c->pos++, st = wat_expect_rpar(c);
  } else if (wat_at_index(c)) {
    mode = WASM_SEG_ACTIVE;
    st = wat_resolve(c, WS_MEM, wat_peek(c), &mem);
    c->pos++;
  } else if (wat_peek(c)->kind == WT_LPAR) {
    mode = WASM_SEG_ACTIVE;
  }
  if (!st && mode == WASM_SEG_ACTIVE) st = offset_expr(c, &off);
  if (!st) st = wat_strings(c, &bytes);
  if (!st) st = wat_expect_rpar(c);
  if (!st) emit_data(m, mode, mem, &off, &bytes);
  wb_free(&off);
  wb_free(&bytes);
  return st;
}

static wasm_status encode_field(wat_mod *m) {
  wat_ctx *c = &m->c;
  const wat_token *kw = wat_peek2(c);
  if (wat_tok_is(kw, "type")) {
    c->pos = wat_peek(c)->match + 1;
    return WASM_OK;
  }
  if (wat_tok_is(kw, "import")) return field_import(m);
  if (wat_tok_is(kw, "func")) return field_func(m);
  if (wat_tok_is(kw, "table")) return field_table(m);
  if (wat_tok_is(kw, "memory")) return field_memory(m);
  if (wat_tok_is(kw, "global")) return field_global(m);
  if (wat_tok_is(kw, "tag")) return field_tag(m);
  if (wat_tok_is(kw, "export")) return field_export(m);
  if (wat_tok_is(kw, "start")) return field_start(m);
  if (wat_tok_is(kw, "elem")) return field_elem(m);
  if (wat_tok_is(kw, "data")) return field_data(m);
  return wat_err(c, kw, "unexpected token");
}

/* ---- assembly ---- */

static void put_section(wat_buf *out, uint8_t id, section *s) {
  if (s->n == 0) return;
  wat_buf body = {0};
  wb_u32(&body, s->n);
  wb_bytes(&body, s->b.p, s->b.len);
  if (s->b.oom) body.oom = true;
  wb_section(out, id, &body, true);
  wb_free(&body);
}

static wasm_status assemble(wat_mod *m, wat_buf *out) {
  static const uint8_t header[] = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00};
  wat_ctx *c = &m->c;
  wb_bytes(out, header, sizeof header);
  section types = {0};
  for (uint32_t i = 0; i < c->ntypes; i++) {
    const wat_functype *f = &c->types[i];
    wb_byte(&types.b, 0x60);
    wb_u32(&types.b, f->np);
    wb_bytes(&types.b, f->vt, f->np);
    wb_u32(&types.b, f->nr);
    wb_bytes(&types.b, f->vt + f->np, f->nr);
    types.n++;
  }
  put_section(out, 1, &types);
  wb_free(&types.b);
  put_section(out, 2, &m->imports);
  put_section(out, 3, &m->funcs);
  put_section(out, 4, &m->tables);
  put_section(out, 5, &m->mems);
  put_section(out, 13, &m->tags);
  put_section(out, 6, &m->globals);
  put_section(out, 7, &m->exports);
  if (m->has_start) {
    wat_buf s = {0};
    wb_u32(&s, m->start);
    wb_section(out, 8, &s, true);
    wb_free(&s);
  }
  put_section(out, 9, &m->elems);
  if (c->uses_data_index && m->datas.n > 0) { /* as wat2wasm */
    wat_buf s = {0};
    wb_u32(&s, m->datas.n);
    wb_section(out, 12, &s, true);
    wb_free(&s);
  }
  put_section(out, 10, &m->code);
  put_section(out, 11, &m->datas);
  return out->oom ? nomem(c) : WASM_OK;
}

static void mod_free(wat_mod *m) {
  wat_ctx *c = &m->c;
  for (int i = 0; i < WS_COUNT; i++) free(c->space[i].names);
  for (uint32_t i = 0; i < c->ntypes; i++) free(c->types[i].vt);
  free(c->types);
  free(c->locals);
  free(c->labels);
  section *s[] = {&m->imports, &m->funcs, &m->tables, &m->mems, &m->tags, &m->globals,
                  &m->exports, &m->elems, &m->datas, &m->code};
  for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) wb_free(&s[i]->b);
}

/* Fields from c->pos up to the token at index stop. */
static wasm_status module_fields(wat_mod *m, size_t stop, wat_buf *out) {
  wat_ctx *c = &m->c;
  size_t first = c->pos;
  bool seen_def = false;
  wasm_status st;
  while (c->pos < stop) {
    if (wat_peek(c)->kind != WT_LPAR) return wat_unexpected(c);
    if ((st = collect_field(m, &seen_def))) return st;
  }
  c->pos = first;
  while (c->pos < stop) {
    size_t end = wat_peek(c)->match;
    if ((st = encode_field(m))) return st;
    if (c->pos != end + 1) return wat_unexpected(c);
  }
  return assemble(m, out);
}

/* (module $id? binary|quote "..."*): the strings concatenated. */
static wasm_status module_strings(wat_ctx *c, wat_buf *b) {
  wasm_status st = wat_strings(c, b);
  if (st) return st;
  return wat_expect_rpar(c);
}

wasm_status wat_module_tokens(const wat_token *toks, size_t ntok, size_t first, size_t stop,
                              wat_buf *out, wasm_error *err) {
  wat_mod m;
  memset(&m, 0, sizeof m);
  m.c.t = toks;
  m.c.ntok = ntok;
  m.c.pos = first;
  m.c.err = err;
  wasm_status st = module_fields(&m, stop, out);
  mod_free(&m);
  return st;
}

static wasm_status to_binary(const char *text, size_t len, wat_buf *out, wasm_error *err, int depth) {
  wat_token *toks;
  size_t ntok;
  wasm_status st = wat_lex(text, len, &toks, &ntok, err);
  if (st) return st;
  wat_mod m;
  memset(&m, 0, sizeof m);
  wat_ctx *c = &m.c;
  c->t = toks;
  c->ntok = ntok;
  c->err = err;
  if (wat_at_paren_kw(c, "module")) {
    size_t close = wat_peek(c)->match;
    c->pos += 2;
    if (wat_tok_is(wat_peek(c), "definition")) c->pos++;
    wat_opt_id(c);
    if (wat_tok_is(wat_peek(c), "binary")) {
      c->pos++;
      st = module_strings(c, out);
    } else if (wat_tok_is(wat_peek(c), "quote")) {
      c->pos++;
      wat_buf src = {0};
      st = module_strings(c, &src);
      if (!st && depth > 8) st = wat_err(c, wat_peek(c), "quoted modules nest too deep");
      if (!st) st = to_binary(src.p ? (const char *)src.p : "", src.len, out, err, depth + 1);
      wb_free(&src);
    } else {
      st = module_fields(&m, close, out);
      if (!st) st = wat_expect_rpar(c);
    }
    if (!st && wat_peek(c)->kind != WT_EOF) st = wat_unexpected(c);
  } else {
    st = module_fields(&m, ntok - 1, out);
  }
  mod_free(&m);
  free(toks);
  return st;
}

wasm_status wasm_wat_to_binary(const char *text, size_t len, uint8_t **out, size_t *out_len,
                               wasm_error *err) {
  wat_buf b = {0};
  wasm_status st = to_binary(text, len, &b, err, 0);
  return wb_finish(&b, st, out, out_len, err);
}
