/* wat_instr.c: instructions of the text format, plain and folded, encoded
 * straight into the binary format. Mnemonics and immediate kinds come from
 * wasm_opcodes.def, so no instruction is listed here by hand except the few
 * with special syntax (blocks, select). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "wasm_opcodes.h"
#include "wat_internal.h"

/* ---- mnemonic lookup: a small open-addressing hash over the table ---- */

#define OPHASH_SIZE 2048
static int16_t ophash[OPHASH_SIZE];
static pthread_once_t ophash_once = PTHREAD_ONCE_INIT;

static uint32_t hash_name(const char *p, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)p[i]) * 16777619u;
  return h;
}

static void ophash_build(void) {
  memset(ophash, 0xff, sizeof ophash);
  for (int i = 0; i < WASM_OP_COUNT; i++) {
    const char *n = wasm_opinfo_table[i].name;
    uint32_t h = hash_name(n, strlen(n)) & (OPHASH_SIZE - 1);
    bool dup = false;
    while (ophash[h] >= 0) {
      if (strcmp(wasm_opinfo_table[ophash[h]].name, n) == 0) { dup = true; break; }
      h = (h + 1) & (OPHASH_SIZE - 1);
    }
    if (!dup) ophash[h] = (int16_t)i; /* first entry wins: select */
  }
}

static int op_by_name(const char *p, size_t n) {
  pthread_once(&ophash_once, ophash_build);
  uint32_t h = hash_name(p, n) & (OPHASH_SIZE - 1);
  while (ophash[h] >= 0) {
    const char *name = wasm_opinfo_table[ophash[h]].name;
    if (strlen(name) == n && memcmp(name, p, n) == 0) return ophash[h];
    h = (h + 1) & (OPHASH_SIZE - 1);
  }
  return -1;
}

/* ---- small helpers ---- */

static wasm_status nomem(wat_ctx *c) { return wasm_fail(c->err, WASM_NOMEM, "out of memory"); }

static void emit_op(wat_buf *out, int op) {
  const wasm_opinfo *o = &wasm_opinfo_table[op];
  if (o->prefix) {
    wb_byte(out, o->prefix);
    wb_u32(out, o->code);
  } else {
    wb_byte(out, (uint8_t)o->code);
  }
}

static wasm_status index_imm(wat_ctx *c, int space, wat_buf *out) {
  if (!wat_at_index(c)) return wat_unexpected(c);
  uint32_t idx;
  wasm_status st = wat_resolve(c, space, wat_peek(c), &idx);
  if (st) return st;
  c->pos++;
  wb_u32(out, idx);
  return WASM_OK;
}

static wasm_status opt_index_imm(wat_ctx *c, int space, wat_buf *out) {
  if (!wat_at_index(c)) {
    wb_u32(out, 0);
    return WASM_OK;
  }
  return index_imm(c, space, out);
}

static bool tok_eq(const wat_name *n, const wat_token *t) {
  return n->p && n->len == t->len && memcmp(n->p, t->p, t->len) == 0;
}

static wasm_status label_imm(wat_ctx *c, wat_buf *out) {
  const wat_token *t = wat_peek(c);
  if (t->kind == WT_ID) {
    for (uint32_t i = c->nlabels; i-- > 0;) {
      if (tok_eq(&c->labels[i], t)) {
        wb_u32(out, c->nlabels - 1 - i);
        c->pos++;
        return WASM_OK;
      }
    }
    return wat_err(c, t, "unknown label %.*s", (int)t->len, t->p);
  }
  uint32_t d;
  wasm_status st = wat_u32(c, &d);
  if (st) return st;
  wb_u32(out, d);
  return WASM_OK;
}

static wasm_status local_imm(wat_ctx *c, wat_buf *out) {
  const wat_token *t = wat_peek(c);
  if (t->kind == WT_ID) {
    for (uint32_t i = 0; i < c->nlocals; i++) {
      if (tok_eq(&c->locals[i], t)) {
        wb_u32(out, i);
        c->pos++;
        return WASM_OK;
      }
    }
    return wat_err(c, t, "unknown local %.*s", (int)t->len, t->p);
  }
  uint32_t idx;
  wasm_status st = wat_u32(c, &idx);
  if (st) return st;
  wb_u32(out, idx);
  return WASM_OK;
}

static wasm_status push_label(wat_ctx *c, const wat_token *id) {
  if (c->nlabels == c->labels_cap) {
    uint32_t cap = c->labels_cap ? c->labels_cap * 2 : 16;
    wat_name *l = realloc(c->labels, cap * sizeof *l);
    if (!l) return nomem(c);
    c->labels = l;
    c->labels_cap = cap;
  }
  c->labels[c->nlabels++] = id ? (wat_name){id->p, id->len} : (wat_name){NULL, 0};
  return WASM_OK;
}

/* `end $l` / `else $l`: the id, if any, must repeat the block's label. */
static wasm_status check_label(wat_ctx *c, const wat_token *label) {
  const wat_token *t = wat_peek(c);
  if (t->kind != WT_ID) return WASM_OK;
  if (!label || label->len != t->len || memcmp(label->p, t->p, t->len) != 0)
    return wat_err(c, t, "mismatching label");
  c->pos++;
  return WASM_OK;
}

/* Numeric literal token (numbers and the inf/nan keywords). */
static const wat_token *num_tok(wat_ctx *c) {
  const wat_token *t = wat_peek(c);
  return t->kind == WT_NUM || t->kind == WT_KEYWORD ? t : NULL;
}

static wasm_status lit_err(wat_ctx *c, const wat_token *t, int r) {
  if (r == -2) return wat_err(c, t, "constant out of range");
  return wat_err(c, t, "unexpected token \"%.*s\", expected a number", (int)t->len, t->p);
}

static wasm_status int_lit(wat_ctx *c, int bits, uint64_t *v) {
  const wat_token *t = wat_peek(c);
  if (t->kind != WT_NUM) return lit_err(c, t, -1);
  int r = wat_num_int(t->p, t->len, bits, v);
  if (r) return lit_err(c, t, r);
  c->pos++;
  return WASM_OK;
}

static wasm_status f32_lit(wat_ctx *c, uint32_t *v) {
  const wat_token *t = num_tok(c);
  if (!t) return lit_err(c, wat_peek(c), -1);
  int r = wat_num_f32(t->p, t->len, v);
  if (r) return lit_err(c, t, r);
  c->pos++;
  return WASM_OK;
}

static wasm_status f64_lit(wat_ctx *c, uint64_t *v) {
  const wat_token *t = num_tok(c);
  if (!t) return lit_err(c, wat_peek(c), -1);
  int r = wat_num_f64(t->p, t->len, v);
  if (r) return lit_err(c, t, r);
  c->pos++;
  return WASM_OK;
}

static void put_le(wat_buf *out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; i++) wb_byte(out, (uint8_t)(v >> (8 * i)));
}

/* v128.const shape lanes... */
static wasm_status v128_lit(wat_ctx *c, wat_buf *out) {
  static const struct { const char *name; int lanes, bits; bool fl; } shapes[] = {
    {"i8x16", 16, 8, false}, {"i16x8", 8, 16, false}, {"i32x4", 4, 32, false},
    {"i64x2", 2, 64, false}, {"f32x4", 4, 32, true}, {"f64x2", 2, 64, true},
  };
  const wat_token *t = wat_peek(c);
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    if (!wat_tok_is(t, shapes[s].name)) continue;
    c->pos++;
    for (int i = 0; i < shapes[s].lanes; i++) {
      wasm_status st;
      uint64_t v = 0;
      if (!shapes[s].fl) {
        st = int_lit(c, shapes[s].bits, &v);
      } else if (shapes[s].bits == 32) {
        uint32_t f;
        st = f32_lit(c, &f);
        v = f;
      } else {
        st = f64_lit(c, &v);
      }
      if (st) return st;
      put_le(out, v, shapes[s].bits / 8);
    }
    return WASM_OK;
  }
  return wat_err(c, t, "unexpected token, expected a v128 shape");
}

static wasm_status lane_imm(wat_ctx *c, wat_buf *out) {
  const wat_token *t = wat_peek(c);
  uint32_t v;
  if (t->kind != WT_NUM) return wat_unexpected(c);
  int r = wat_num_u32(t->p, t->len, &v);
  if (r == -1) return wat_unexpected(c);
  if (r || v > 255) return wat_err(c, t, "malformed lane index");
  c->pos++;
  wb_byte(out, (uint8_t)v);
  return WASM_OK;
}

/* memarg: memidx? offset=N? align=N? */
static wasm_status memarg_imm(wat_ctx *c, int op, bool lane_follows, wat_buf *out) {
  wasm_status st;
  uint32_t mem = 0;
  /* An index here is a memory index unless it is the lane index itself:
   * with a lane to follow, a lone number is the lane. */
  const wat_token *a = wat_peek(c), *b = wat_peek2(c);
  bool b_memarg = b->kind == WT_KEYWORD && b->len > 6 &&
                  (memcmp(b->p, "offset=", 7) == 0 || memcmp(b->p, "align=", 6) == 0);
  if (wat_at_index(c) &&
      (!lane_follows || a->kind == WT_ID || b->kind == WT_NUM || b_memarg)) {
    if ((st = wat_resolve(c, WS_MEM, a, &mem))) return st;
    c->pos++;
  }
  uint64_t offset = 0;
  uint32_t align = 0;
  bool has_align = false;
  const wat_token *t = wat_peek(c);
  if (t->kind == WT_KEYWORD && t->len > 7 && memcmp(t->p, "offset=", 7) == 0) {
    int r = wat_num_u64(t->p + 7, t->len - 7, &offset);
    if (r == 0 && offset > UINT32_MAX) r = -2;
    if (r) return lit_err(c, t, r);
    c->pos++;
    t = wat_peek(c);
  }
  if (t->kind == WT_KEYWORD && t->len > 6 && memcmp(t->p, "align=", 6) == 0) {
    uint64_t a;
    int r = wat_num_u64(t->p + 6, t->len - 6, &a);
    if (r) return lit_err(c, t, r);
    if (a == 0 || (a & (a - 1))) return wat_err(c, t, "alignment must be a power of two");
    while ((UINT64_C(1) << align) < a) align++;
    has_align = true;
    c->pos++;
  }
  if (!has_align) {
    uint32_t ms = wasm_opinfo_table[op].msize;
    while ((1u << align) < ms) align++;
  }
  if (mem) {
    wb_u32(out, align | 0x40);
    wb_u32(out, mem);
  } else {
    wb_u32(out, align);
  }
  wb_u64(out, offset);
  return WASM_OK;
}

/* Two optional indices (table.copy, memory.copy): none means 0 0. */
static wasm_status pair_imm(wat_ctx *c, int space, wat_buf *out) {
  if (!wat_at_index(c)) {
    wb_u32(out, 0);
    wb_u32(out, 0);
    return WASM_OK;
  }
  wasm_status st = index_imm(c, space, out);
  if (st) return st;
  return index_imm(c, space, out);
}

/* table.init / memory.init: "x? y" in text, "y x" in binary. */
static wasm_status seg_imm(wat_ctx *c, int seg_space, int space, wat_buf *out) {
  if (!wat_at_index(c)) return wat_unexpected(c);
  const wat_token *a = wat_peek(c);
  c->pos++;
  uint32_t seg, idx = 0;
  wasm_status st;
  if (wat_at_index(c)) {
    if ((st = wat_resolve(c, space, a, &idx))) return st;
    if ((st = wat_resolve(c, seg_space, wat_peek(c), &seg))) return st;
    c->pos++;
  } else if ((st = wat_resolve(c, seg_space, a, &seg))) {
    return st;
  }
  wb_u32(out, seg);
  wb_u32(out, idx);
  return WASM_OK;
}

/* The immediates of op (not a block instruction). */
static wasm_status immediates(wat_ctx *c, int op, wat_buf *out) {
  wasm_status st = WASM_OK;
  switch ((wasm_imm_kind)wasm_opinfo_table[op].imm) {
  case WASM_IMM_NONE: break;
  case WASM_IMM_BLOCK: return wat_unexpected(c); /* handled by the callers */
  case WASM_IMM_LABEL: return label_imm(c, out);
  case WASM_IMM_BR_TABLE: {
    wat_buf labels = {0};
    uint32_t n = 0;
    while (wat_at_index(c)) {
      if ((st = label_imm(c, &labels))) break;
      n++;
    }
    if (!st && n == 0) st = wat_unexpected(c);
    if (!st) {
      wb_u32(out, n - 1);
      wb_bytes(out, labels.p, labels.len);
    }
    wb_free(&labels);
    return st;
  }
  case WASM_IMM_FUNC: return index_imm(c, WS_FUNC, out);
  case WASM_IMM_CALL_INDIRECT: {
    uint32_t table = 0, type;
    if (wat_at_index(c)) {
      if ((st = wat_resolve(c, WS_TABLE, wat_peek(c), &table))) return st;
      c->pos++;
    }
    if ((st = wat_typeuse(c, false, &type))) return st;
    wb_u32(out, type);
    wb_u32(out, table);
    return WASM_OK;
  }
  case WASM_IMM_LOCAL: return local_imm(c, out);
  case WASM_IMM_GLOBAL: return index_imm(c, WS_GLOBAL, out);
  case WASM_IMM_TABLE: return opt_index_imm(c, WS_TABLE, out);
  case WASM_IMM_MEMARG: return memarg_imm(c, op, false, out);
  case WASM_IMM_MEMARG_LANE:
    if ((st = memarg_imm(c, op, true, out))) return st;
    return lane_imm(c, out);
  case WASM_IMM_I32: {
    uint64_t v;
    if ((st = int_lit(c, 32, &v))) return st;
    wb_s32(out, (int32_t)(uint32_t)v);
    return WASM_OK;
  }
  case WASM_IMM_I64: {
    uint64_t v;
    if ((st = int_lit(c, 64, &v))) return st;
    wb_s64(out, (int64_t)v);
    return WASM_OK;
  }
  case WASM_IMM_F32: {
    uint32_t v;
    if ((st = f32_lit(c, &v))) return st;
    put_le(out, v, 4);
    return WASM_OK;
  }
  case WASM_IMM_F64: {
    uint64_t v;
    if ((st = f64_lit(c, &v))) return st;
    put_le(out, v, 8);
    return WASM_OK;
  }
  case WASM_IMM_V128: return v128_lit(c, out);
  case WASM_IMM_LANE: return lane_imm(c, out);
  case WASM_IMM_SHUFFLE:
    for (int i = 0; i < 16 && !st; i++) st = lane_imm(c, out);
    return st;
  case WASM_IMM_SELECT_T: {
    wat_buf types = {0};
    uint32_t n = 0;
    while (!st && wat_at_paren_kw(c, "result")) {
      c->pos += 2;
      while (!st && wat_peek(c)->kind != WT_RPAR) {
        uint8_t v;
        if (!(st = wat_valtype(c, &v))) {
          wb_byte(&types, v);
          n++;
        }
      }
      if (!st) st = wat_expect_rpar(c);
    }
    if (!st) {
      wb_u32(out, n);
      wb_bytes(out, types.p, types.len);
    }
    wb_free(&types);
    return st;
  }
  case WASM_IMM_HEAPTYPE: {
    const wat_token *t = wat_peek(c);
    if (wat_tok_is(t, "func")) wb_byte(out, WASM_FUNCREF);
    else if (wat_tok_is(t, "extern")) wb_byte(out, WASM_EXTERNREF);
    else if (wat_tok_is(t, "exn")) wb_byte(out, WASM_EXNREF);
    else return wat_unexpected(c);
    c->pos++;
    return WASM_OK;
  }
  case WASM_IMM_ELEM: return index_imm(c, WS_ELEM, out);
  case WASM_IMM_DATA:
    c->uses_data_index = true;
    return index_imm(c, WS_DATA, out);
  case WASM_IMM_TABLE_TABLE: return pair_imm(c, WS_TABLE, out);
  case WASM_IMM_ELEM_TABLE: return seg_imm(c, WS_ELEM, WS_TABLE, out);
  case WASM_IMM_DATA_MEM:
    c->uses_data_index = true;
    return seg_imm(c, WS_DATA, WS_MEM, out);
  case WASM_IMM_MEM: return opt_index_imm(c, WS_MEM, out);
  case WASM_IMM_MEM_MEM: return pair_imm(c, WS_MEM, out);
  case WASM_IMM_TAG: return index_imm(c, WS_TAG, out);
  case WASM_IMM_TRY_TABLE: return wat_unexpected(c); /* handled by the callers */
  }
  return st;
}

/* The mnemonic at the current token, or a failure. */
static wasm_status mnemonic(wat_ctx *c, int *op) {
  const wat_token *t = wat_peek(c);
  if (t->kind != WT_KEYWORD) return wat_unexpected(c);
  *op = op_by_name(t->p, t->len);
  if (*op < 0 || *op == WASM_OP_END || *op == WASM_OP_ELSE)
    return wat_err(c, t, "unknown operator \"%.*s\"", (int)(t->len > 40 ? 40 : t->len), t->p);
  c->pos++;
  if (*op == WASM_OP_SELECT && wat_at_paren_kw(c, "result")) *op = WASM_OP_SELECT_T;
  return WASM_OK;
}

static wasm_status instr(wat_ctx *c, wat_buf *out);

/* Instructions until ")" or, inside a plain block, "end"/"else". */
static wasm_status instr_seq(wat_ctx *c, bool in_block, wat_buf *out) {
  for (;;) {
    const wat_token *t = wat_peek(c);
    if (t->kind == WT_RPAR || t->kind == WT_EOF) return WASM_OK;
    if (in_block && (wat_tok_is(t, "end") || wat_tok_is(t, "else"))) return WASM_OK;
    wasm_status st = instr(c, out);
    if (st) return st;
    if (out->oom) return nomem(c);
  }
}

/* try_table's catch clauses, after its block type: labels are resolved
 * outside the try_table's own label. */
static wasm_status catch_clauses(wat_ctx *c, wat_buf *out) {
  static const char *const kw[4] = {"catch", "catch_ref", "catch_all", "catch_all_ref"};
  wat_buf b = {0};
  uint32_t n = 0;
  wasm_status st = WASM_OK;
  for (;;) {
    int k = 0;
    while (k < 4 && !wat_at_paren_kw(c, kw[k])) k++;
    if (k == 4) break;
    c->pos += 2;
    wb_byte(&b, (uint8_t)k);
    if (k < 2 && (st = index_imm(c, WS_TAG, &b))) break;
    if ((st = label_imm(c, &b)) || (st = wat_expect_rpar(c))) break;
    n++;
  }
  if (!st) {
    wb_u32(out, n);
    wb_bytes(out, b.p, b.len);
    if (b.oom) st = nomem(c);
  }
  wb_free(&b);
  return st;
}

static wasm_status plain_block(wat_ctx *c, int op, wat_buf *out) {
  const wat_token *label = wat_opt_id(c);
  emit_op(out, op);
  wasm_status st = wat_blocktype(c, out);
  if (!st && op == WASM_OP_TRY_TABLE) st = catch_clauses(c, out);
  if (st || (st = push_label(c, label))) return st;
  if ((st = instr_seq(c, true, out))) return st;
  if (op == WASM_OP_IF && wat_tok_is(wat_peek(c), "else")) {
    c->pos++;
    if ((st = check_label(c, label))) return st;
    wb_byte(out, 0x05);
    if ((st = instr_seq(c, true, out))) return st;
  }
  if (!wat_tok_is(wat_peek(c), "end")) return wat_unexpected(c);
  c->pos++;
  if ((st = check_label(c, label))) return st;
  wb_byte(out, 0x0B);
  c->nlabels--;
  return WASM_OK;
}

static wasm_status folded(wat_ctx *c, wat_buf *out) {
  c->pos++; /* ( */
  int op;
  wasm_status st = mnemonic(c, &op);
  if (st) return st;
  if (op == WASM_OP_BLOCK || op == WASM_OP_LOOP || op == WASM_OP_TRY_TABLE) {
    const wat_token *label = wat_opt_id(c);
    emit_op(out, op);
    if ((st = wat_blocktype(c, out))) return st;
    if (op == WASM_OP_TRY_TABLE && (st = catch_clauses(c, out))) return st;
    if ((st = push_label(c, label))) return st;
    if ((st = instr_seq(c, false, out))) return st;
    wb_byte(out, 0x0B);
    c->nlabels--;
    return wat_expect_rpar(c);
  }
  if (op == WASM_OP_IF) {
    const wat_token *label = wat_opt_id(c);
    wat_buf bt = {0};
    if ((st = wat_blocktype(c, &bt))) goto if_done;
    while (wat_peek(c)->kind == WT_LPAR && !wat_tok_is(wat_peek2(c), "then")) {
      if ((st = instr(c, out))) goto if_done;
    }
    if (!wat_at_paren_kw(c, "then")) {
      st = wat_unexpected(c);
      goto if_done;
    }
    c->pos += 2;
    emit_op(out, op);
    wb_bytes(out, bt.p, bt.len);
    if ((st = push_label(c, label)) || (st = instr_seq(c, false, out)) ||
        (st = wat_expect_rpar(c)))
      goto if_done;
    if (wat_at_paren_kw(c, "else")) {
      c->pos += 2;
      wb_byte(out, 0x05);
      if ((st = instr_seq(c, false, out)) || (st = wat_expect_rpar(c))) goto if_done;
    }
    wb_byte(out, 0x0B);
    c->nlabels--;
    st = wat_expect_rpar(c);
  if_done:
    wb_free(&bt);
    return st;
  }
  /* Operator and immediates go after the operands. */
  wat_buf self = {0};
  emit_op(&self, op);
  st = immediates(c, op, &self);
  while (!st && wat_peek(c)->kind == WT_LPAR) st = instr(c, out);
  if (!st) st = wat_expect_rpar(c);
  if (!st) wb_bytes(out, self.p, self.len);
  if (self.oom) st = nomem(c);
  wb_free(&self);
  return st;
}

/* Deeper nesting than any real module; keeps recursion off the guard page. */
#define WAT_MAX_DEPTH 2000

static wasm_status instr_inner(wat_ctx *c, wat_buf *out);

static wasm_status instr(wat_ctx *c, wat_buf *out) {
  if (c->depth >= WAT_MAX_DEPTH) return wat_err(c, wat_peek(c), "instructions nest too deep");
  c->depth++;
  wasm_status st = instr_inner(c, out);
  c->depth--;
  return st;
}

static wasm_status instr_inner(wat_ctx *c, wat_buf *out) {
  if (wat_peek(c)->kind == WT_LPAR) return folded(c, out);
  int op;
  wasm_status st = mnemonic(c, &op);
  if (st) return st;
  if (op == WASM_OP_BLOCK || op == WASM_OP_LOOP || op == WASM_OP_IF || op == WASM_OP_TRY_TABLE)
    return plain_block(c, op, out);
  emit_op(out, op);
  return immediates(c, op, out);
}

wasm_status wat_instr1(wat_ctx *c, wat_buf *out) {
  wasm_status st = instr(c, out);
  if (st == WASM_OK && out->oom) st = nomem(c);
  return st;
}

wasm_status wat_instrs(wat_ctx *c, wat_buf *out) {
  wasm_status st = instr_seq(c, false, out);
  if (st) return st;
  if (wat_peek(c)->kind != WT_RPAR) return wat_unexpected(c);
  return out->oom ? nomem(c) : WASM_OK;
}

wasm_status wat_func_body(wat_ctx *c, wat_buf *out) {
  wasm_status st = WASM_OK;
  wat_buf types = {0};
  while (!st && wat_at_paren_kw(c, "local")) {
    c->pos += 2;
    const wat_token *id = wat_opt_id(c);
    uint32_t before = c->nlocals;
    while (!st && wat_peek(c)->kind != WT_RPAR) {
      uint8_t v;
      if ((st = wat_valtype(c, &v))) break;
      if (id && c->nlocals > before) {
        st = wat_unexpected(c);
        break;
      }
      if (id) {
        for (uint32_t i = 0; i < c->nlocals; i++)
          if (tok_eq(&c->locals[i], id)) {
            st = wat_err(c, id, "duplicate local %.*s", (int)id->len, id->p);
            break;
          }
        if (st) break;
      }
      if (c->nlocals == c->locals_cap) {
        uint32_t cap = c->locals_cap ? c->locals_cap * 2 : 16;
        wat_name *l = realloc(c->locals, cap * sizeof *l);
        if (!l) {
          st = nomem(c);
          break;
        }
        c->locals = l;
        c->locals_cap = cap;
      }
      c->locals[c->nlocals++] = id ? (wat_name){id->p, id->len} : (wat_name){NULL, 0};
      wb_byte(&types, v);
    }
    if (!st && id && c->nlocals == before) st = wat_unexpected(c);
    if (!st) st = wat_expect_rpar(c);
  }
  if (!st) {
    /* Runs of equal types share one entry. */
    uint32_t groups = 0;
    for (size_t i = 0; i < types.len; i++)
      if (i == 0 || types.p[i] != types.p[i - 1]) groups++;
    wb_u32(out, groups);
    for (size_t i = 0; i < types.len;) {
      size_t j = i;
      while (j < types.len && types.p[j] == types.p[i]) j++;
      wb_u32(out, (uint32_t)(j - i));
      wb_byte(out, types.p[i]);
      i = j;
    }
    c->nlabels = 0;
    st = wat_instrs(c, out);
    wb_byte(out, 0x0B);
  }
  if (!st && (out->oom || types.oom)) st = nomem(c);
  wb_free(&types);
  return st;
}
