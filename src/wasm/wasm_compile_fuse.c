/*
 * wasm_compile_fuse.c: the superinstructions the compiler forms from two
 * (or three) instructions in a row that are not memory accesses: chains
 * of two binary ops through the accumulator (XOP_CHAIN_I32/F64), a chain
 * whose second op is a compare with the branch on it (XOP_CHAIN_BR), two
 * or three adds (XOP_ADD2, XOP_ADD3), an add with a compare and a branch
 * (XOP_ADDBR, XOP_CMPADDBR) and the stack pointer's global.get/add/
 * global.set (XOP_GADD, XOP_GSETK); layouts in wasm_code.h. Part of the
 * pass in wasm_compile.c, which calls these as it emits. Then two passes
 * over a finished function: dead writes left out (the *_NT/_NW twins),
 * and overlays laid over hot sequences (XOP_ROTX3, XOP_MAC2X3,
 * XOP_SWAP32, XOP_LOAD2).
 */
#include <assert.h>
#include <stdio.h>

#include "wasm_compile.h"

/* ---- chains ---- */

#define CHAIN_CASE(A, OP, NC) case WASM_OP_##OP: return CHP_##A##_##OP;
#define CHAIN_POS_FN(NAME, LIST, A)                                          \
  static int NAME(int op) {                                                  \
    switch (op) {                                                            \
      LIST(CHAIN_CASE, A)                                                    \
    default: return -1;                                                      \
    }                                                                        \
  }
CHAIN_POS_FN(chain_i32_1, CHAIN_I32_1, I32_1)
CHAIN_POS_FN(chain_i32_2, CHAIN_I32_2, I32_2)
CHAIN_POS_FN(chain_f64_1, CHAIN_F64_1, F64_1)
CHAIN_POS_FN(chain_f64_2, CHAIN_F64_2, F64_2)
CHAIN_POS_FN(chain_br_1, CHAIN_BR_1, BR_1)
CHAIN_POS_FN(chain_br_2, CHAIN_BR_2, BR_2)

/* The position of an i32 compare in CHAIN_BR_2 (its XOP_CHAIN_BR and
 * XOP_CMPADDBR forms), or -1 for any other op. */
int wc_compare_pos(int op) { return chain_br_2(op); }

/* The chain of op1 (form f1) and op2 (form f2), or -1. */
static int chain_op(const comp *c, int op1, int f1, int op2, int f2) {
  int p1, p2, xop;
  if ((p1 = chain_i32_1(op1)) >= 0 && (p2 = chain_i32_2(op2)) >= 0)
    xop = XOP_CHAIN(XOP_CHAIN_I32, CHP_I32_2_N, p1, f1, p2, f2);
  else if ((p1 = chain_f64_1(op1)) >= 0 && (p2 = chain_f64_2(op2)) >= 0)
    xop = XOP_CHAIN(XOP_CHAIN_F64, CHP_F64_2_N, p1, f1, p2, f2);
  else
    return -1;
  return c->h[xop] ? xop : -1;
}

/* Names of chains for dumps and profiles: "i32.rotl.k+i32.xor.a2". */
#define CHAIN_OPNUM(A, OP, NC) WASM_OP_##OP,
static const int chain_ops[6][10] = {
    {CHAIN_I32_1(CHAIN_OPNUM, _)}, {CHAIN_I32_2(CHAIN_OPNUM, _)}, {CHAIN_F64_1(CHAIN_OPNUM, _)},
    {CHAIN_F64_2(CHAIN_OPNUM, _)}, {CHAIN_BR_1(CHAIN_OPNUM, _)},  {CHAIN_BR_2(CHAIN_OPNUM, _)}};

/* A chain's family (0 I32, 1 F64, 2 BR) and its offset from the family's
 * base: ((p1 * n2 + p2) * 3 + f1) * 3 + f2 (XOP_CHAIN). */
static int chain_family(int op, int *rel) {
  static const int bases[] = {XOP_CHAIN_I32, XOP_CHAIN_F64, XOP_CHAIN_BR};
  int fam = op >= XOP_CHAIN_BR ? 2 : op >= XOP_CHAIN_F64;
  *rel = op - bases[fam];
  return fam;
}

const char *wc_chain_name(int op, char *buf, size_t n) {
  int writes, rel;
  int fam = chain_family(wasm_code_chain_of(op, &writes), &rel);
  static const int n2s[] = {CHP_I32_2_N, CHP_F64_2_N, CHP_BR_2_N};
  int n2 = n2s[fam];
  static const char *const f2s[] = {"a1", "a1k", "a2"};
  static const char *const f1s[] = {"", ".k", ".a1"};
  static const char *const ws[] = {".nw", ".nt", ""};
  snprintf(buf, n, "%s%s+%s.%s%s%s", wasm_opinfo_table[chain_ops[fam * 2][rel / 9 / n2]].name,
           f1s[rel / 3 % 3], wasm_opinfo_table[chain_ops[fam * 2 + 1][rel / 9 % n2]].name,
           f2s[rel % 3], fam == 2 ? ".br" : "", ws[writes]);
  return buf;
}

/* A binary op taking the result of the op just before (from the
 * accumulator, operand acc) into a chain with it, replacing both: the
 * accumulator holds op1's result when op1 is the last instruction. */
bool wc_compile_chain(comp *c, int op, const cval *in, int acc, bool k) {
  if (!wc_last_is(c, c->ch_start, c->ch_end)) return false;
  int f2 = acc == 2 ? CH_A2 : k ? CH_A1K : CH_A1;
  uint64_t other = acc == 2 ? in[0].src : k ? in[1].k : in[1].src;
  int xop = chain_op(c, c->ch_op, c->ch_form, op, f2);
  if (xop < 0 && f2 == CH_A2) /* no CH_A2 form: op2 commutes */
    xop = chain_op(c, c->ch_op, c->ch_form, op, CH_A1);
  if (xop < 0) return false;
  /* op1's destination, a local if local.set retargeted it. */
  uint64_t a = c->ch_a, b = c->ch_b, tdst = c->code[c->ch_start + 1].u;
  uint32_t dst = in[0].slot;
  wc_rewind(c, c->ch_start); /* drop op1: only this op reads its result */
  wc_emit_op(c, xop);
  size_t dcell = wc_emit_u(c, dst);
  wc_emit_u(c, a);
  wc_emit_u(c, b);
  wc_emit_u(c, other);
  wc_emit_u(c, tdst);
  wc_push(c, in[0].kind);
  wc_set_dst_candidate(c, dcell);
  wc_set_acc(c, dst);
  return true;
}

/* ---- two adds ---- */

/* The ADD_FORM_* of op (with an immediate second operand: k), or -1. */
int wc_add_form(int op, bool k) {
  switch (op) {
  case WASM_OP_I32_ADD: return k ? ADD_FORM_I32K : ADD_FORM_I32;
  case WASM_OP_I64_ADD: return k ? ADD_FORM_I64K : ADD_FORM_I64;
  case WASM_OP_I32_SUB: return k ? ADD_FORM_I32K : -1;
  case WASM_OP_I64_SUB: return k ? ADD_FORM_I64K : -1;
  default: return -1;
  }
}

/* The b operand cell of an add form: a sub's constant negated. */
uint64_t wc_add_b(int op, bool k, const cval *b) {
  if (!k) return b->src;
  if (op == WASM_OP_I32_SUB) return (uint32_t)-(uint32_t)b->k;
  if (op == WASM_OP_I64_SUB) return -b->k;
  return b->k;
}

/* Drops the last add (or copy, an add of 0: add_copy) and starts an
 * instruction op with its d|a pair and b, the first cells of XOP_ADD2 and
 * XOP_ADDBR. Its destination is read from the code: local.set may have
 * retargeted it. */
static void replace_last_add(comp *c, int op) {
  uint64_t cell = c->code[c->add_start + 1].u;
  uint64_t d1 = c->add_copy ? PAIR_DST(cell) : cell;
  uint64_t a1 = c->add_copy ? PAIR_SRC(cell) : c->add_a;
  uint64_t b1 = c->add_b;
  wc_rewind(c, c->add_start);
  wc_emit_op(c, op);
  wc_emit_u(c, SLOT_PAIR(d1, a1));
  wc_emit_u(c, b1);
}

/* Replaces the last add (or copy) with an XOP_ADD2 whose second half is
 * d2 = a2 + b2 (form2); the cell of d2|a2. */
static size_t emit_add2(comp *c, int form2, uint32_t d2, uint64_t a2, uint64_t b2) {
  size_t start = c->add_start;
  replace_last_add(c, XOP_ADD2 + 4 * c->add_form + form2);
  size_t dcell = wc_emit_u(c, SLOT_PAIR(d2, a2));
  wc_emit_u(c, b2);
  c->add2_start = start;
  c->add2_end = c->n;
  return dcell;
}

/* The cells [d1|a1, b1, d2|a2, b2] of an XOP_ADD2 of form (4 * its first
 * add's + its second's) that ends at cell `at` with no label there, or
 * NULL: the adds a fusion of the instruction at `at` may take in. */
const wasm_cell *wc_add2_before(const comp *c, size_t at, int form) {
  size_t a2 = c->add2_start;
  if (a2 == SIZE_MAX || c->add2_end != at || c->barrier == at ||
      c->code[a2].h != c->h[XOP_ADD2 + form])
    return NULL;
  return c->code + a2 + 1;
}

/* An add of form f3 (d3 = a3 + b3) or a copy (f3 ADD_FORM_I64K, b3 0)
 * right after an XOP_ADD2: one XOP_ADD3. Returns the cell of d3|a3, or
 * SIZE_MAX when it cannot join. */
static size_t join_add3(comp *c, int f3, uint32_t d3, uint64_t a3, uint64_t b3) {
  size_t start = c->add2_start;
  if (!wc_last_is(c, start, c->add2_end)) return SIZE_MAX;
  assert(c->nstarts && c->starts[c->nstarts - 1] == start);
  int form = c->ops[c->nstarts - 1] - XOP_ADD2; /* 4 * its first's form + its second's */
  assert(form >= 0 && form < 16);
  int xop = XOP_ADD3 + 4 * form + f3;
  if (!c->h[xop]) return SIZE_MAX;
  c->code[start].h = c->h[xop];
  c->ops[c->nstarts - 1] = xop;
  wc_eq_retyped(c, start, xop);
  size_t dcell = wc_emit_u(c, SLOT_PAIR(d3, a3));
  wc_emit_u(c, b3);
  wc_eq_wrote(c, d3, 1); /* the ADD2's writes may be counted already */
  c->add2_start = c->add2_end = SIZE_MAX; /* no fourth */
  return dcell;
}

/* An add (form af, to dst) right after another: one XOP_ADD2 (or after
 * an XOP_ADD2, XOP_ADD3). */
bool wc_compile_add2(comp *c, int op, int af, uint32_t dst, const cval *in, bool k) {
  uint64_t b = wc_add_b(op, k, &in[1]);
  size_t dcell = join_add3(c, af, dst, in[0].src, b);
  if (dcell == SIZE_MAX) {
    if (!wc_last_is(c, c->add_start, c->add_end) || !c->h[XOP_ADD2]) return false;
    dcell = emit_add2(c, af, dst, in[0].src, b);
  }
  wc_push(c, af < ADD_FORM_I64 ? WASM_I32 : WASM_I64);
  wc_set_dst_candidate(c, dcell | WC_DST_PAIR);
  wc_set_acc(c, dst);
  return true;
}

/* A copy dst <- src right after an add: one XOP_ADD2 whose second half
 * adds 0 (64 bits wide, so any scalar is copied whole). The copy is not
 * a value the next instruction may retarget or read from the accumulator. */
bool wc_fuse_copy_add2(comp *c, uint32_t dst, uint32_t src) {
  if (join_add3(c, ADD_FORM_I64K, dst, src, 0) != SIZE_MAX) return true;
  if (!wc_last_is(c, c->add_start, c->add_end) || !c->h[XOP_ADD2]) return false;
  emit_add2(c, ADD_FORM_I64K, dst, src, 0);
  return true;
}

/* Replaces the code from cell start on (the add of the record and an i32
 * compare at CHAIN_BR_2 position pos, t = cmp(a, b), b an immediate when
 * k) with one XOP_CMPADDBR: the compare, the add to d, then the jump when
 * t holds (the caller appends the target). */
static void emit_cmpaddbr(comp *c, size_t start, int pos, bool k, uint64_t t, uint64_t a,
                          uint64_t b, uint64_t d) {
  uint64_t x = c->add_a, y = c->add_b;
  int xop = XOP_CMPADDBR + 4 * pos + 2 * (int)k + (c->add_form == ADD_FORM_I32K);
  wc_rewind(c, start);
  wc_emit_op(c, xop);
  wc_emit_u(c, t);
  wc_emit_u(c, a);
  wc_emit_u(c, b);
  wc_emit_u(c, SLOT_PAIR(d, x));
  wc_emit_u(c, y);
  wc_emit_u(c, 1);
}

/* A jump when an i32 compare (cmp, the one emit_cond_jump fuses, its
 * result t in a stack slot only the jump reads) holds, the compare right
 * after an add (i++; if (i > n) ...): XOP_CMPADDBR, which runs the compare
 * first. That order is the same when the add writes no operand of the
 * compare and the compare's t is not an operand of the add. */
bool wc_emit_add_cmp_jump(comp *c, int cmp, uint64_t t) {
  size_t start = c->add_start;
  int pos = chain_br_2(cmp);
  if (pos < 0 || start == SIZE_MAX || c->add_end != c->fuse_start || c->add_copy ||
      c->add_form > ADD_FORM_I32K || c->fuse_acc || c->fuse_np != 2 ||
      c->barrier == c->fuse_start || !c->h[XOP_CMPADDBR])
    return false;
  uint64_t d = c->code[start + 1].u, a = c->fuse_a, b = c->fuse_b;
  bool yk = c->add_form == ADD_FORM_I32K;
  if (d == a || (!c->fuse_k && d == b) || d == t || t == c->add_a || (!yk && t == c->add_b))
    return false;
  emit_cmpaddbr(c, start, pos, c->fuse_k, t, a, b, d);
  return true;
}

/* A conditional jump on cond right after an add: one XOP_ADDBR (the
 * caller appends the target). The add's result is written before cond is
 * read, as in the code it replaces. */
bool wc_emit_add_jump(comp *c, uint64_t cond, bool nz) {
  if (!wc_last_is(c, c->add_start, c->add_end) || !c->h[XOP_ADDBR]) return false;
  /* The jump is on the compare just before the add: all three in one. */
  const last_instr *t = &c->cmp;
  int pos = t->start != SIZE_MAX && t->end == c->add_start && !c->add_copy &&
                    c->add_form <= ADD_FORM_I32K
                ? chain_br_2(t->op)
                : -1;
  uint64_t d = c->code[c->add_start + 1].u; /* local.set may have retargeted it */
  uint64_t tdst = pos >= 0 ? c->code[t->start + 1].u : 0; /* the compare's, likewise */
  /* The handler jumps when the compare holds: one that would jump on zero
   * is inverted, when no local keeps its result (a stack slot's only
   * reader is this jump). */
  if (pos >= 0 && !nz)
    pos = tdst >= c->first_temp ? chain_br_2(wasm_code_compare_inverse(t->op)) : -1;
  if (pos >= 0 && cond == tdst && d != tdst && c->barrier != c->add_start &&
      c->h[XOP_CMPADDBR]) {
    emit_cmpaddbr(c, t->start, pos, t->k, tdst, t->a, t->b, d);
    return true;
  }
  replace_last_add(c, XOP_ADDBR + c->add_form);
  wc_emit_u(c, cond);
  wc_emit_u(c, nz);
  return true;
}

/* The fused op of emit_cond_jump is a compare of a chain's op1 result:
 * a branch chain replaces both (wasm_code.h). */
bool wc_emit_chain_jump(comp *c, bool nz) {
  const chain_rec *ch = &c->fuse_ch;
  if (ch->start == SIZE_MAX || !c->fuse_acc || c->fuse_np != 2) return false;
  int cmp = c->fuse_op, f2 = c->fuse_k ? CH_A1K : CH_A1;
  uint64_t other = c->fuse_b;
  if (c->fuse_acc == 2) { /* cmp(x, t) is swapped(cmp)(t, x) */
    static const int sw[][2] = {
        {WASM_OP_I32_LT_S, WASM_OP_I32_GT_S}, {WASM_OP_I32_LT_U, WASM_OP_I32_GT_U},
        {WASM_OP_I32_LE_S, WASM_OP_I32_GE_S}, {WASM_OP_I32_LE_U, WASM_OP_I32_GE_U}};
    for (size_t i = 0; i < sizeof sw / sizeof sw[0]; i++)
      for (int j = 0; j < 2; j++)
        if (cmp == sw[i][j]) {
          cmp = sw[i][!j];
          goto swapped;
        }
    if (cmp != WASM_OP_I32_EQ && cmp != WASM_OP_I32_NE) return false;
  swapped:
    other = c->fuse_a;
  }
  if (c->fuse_neg ? nz : !nz) cmp = wasm_code_compare_inverse(cmp); /* jump when it holds */
  int p1 = chain_br_1(ch->op), p2 = chain_br_2(cmp);
  if (p1 < 0 || p2 < 0) return false;
  int xop = XOP_CHAIN(XOP_CHAIN_BR, CHP_BR_2_N, p1, ch->form, p2, f2);
  if (!c->h[xop]) return false;
  chain_rec r = *ch;
  wc_rewind(c, r.start); /* drop op1 and the compare */
  wc_emit_op(c, xop);
  wc_emit_u(c, r.a);
  wc_emit_u(c, r.b);
  wc_emit_u(c, other);
  wc_emit_u(c, r.t);
  wc_emit_u(c, 1);
  return true;
}

/* global.set g of an i32.add/sub of a constant just before: XOP_GSETK;
 * when the add's operand is a global.get g just before that, XOP_GADD
 * (C's stack pointer moving in a function's prologue). */
bool wc_compile_global_addk(comp *c, const cval *v, uint32_t g) {
  if (v->konst || !wc_last_is(c, c->ch_start, c->ch_end) || c->ch_form != CH_K ||
      (c->ch_op != WASM_OP_I32_ADD && c->ch_op != WASM_OP_I32_SUB) ||
      c->code[c->ch_start + 1].u != v->src || !c->h[XOP_GADD])
    return false;
  uint64_t dst = v->src, k = (uint32_t)c->ch_b, a = c->ch_a;
  if (c->ch_op == WASM_OP_I32_SUB) k = (uint32_t)-(uint32_t)k;
  if (v->src == v->slot) {
    /* The sum is dead but for the global: written above the stack, it
     * leaves the popped slot holding what it held (often a copy of a
     * value about to be pushed there, which wasm_compile_eq.c then skips). */
    dst = c->slots + 1;
    if (c->slots + 2 > c->max_slots) c->max_slots = c->slots + 2;
  }
  if (c->gg_end == c->ch_start && c->gg_index == g && c->barrier != c->ch_start &&
      c->code[c->gg_start + 1].u == a) {
    wc_rewind(c, c->gg_start);
    wc_emit_op(c, XOP_GADD);
    wc_emit_u(c, dst);
    wc_emit_u(c, k);
    wc_emit_u(c, g);
    wc_emit_u(c, a);
    return true;
  }
  wc_rewind(c, c->ch_start);
  wc_emit_op(c, XOP_GSETK);
  wc_emit_u(c, dst);
  wc_emit_u(c, a);
  wc_emit_u(c, k);
  wc_emit_u(c, g);
  return true;
}

/* ---- dead writes ----
 * A stack slot (first_temp and up) holds one value that one instruction
 * reads. When that reader is the next instruction and it takes the value
 * from the accumulator, the slot write is dead; a chain's t, which only
 * its op2 reads, and a mac's product t, which only its add reads, are
 * dead whenever they are stack slots. Run on a complete
 * function: the twins that leave these writes out replace the handlers
 * (wasm_code.h: XOP_CHAIN_NT/NW, XOP_MAC_NT; XV_*_NW for loads and
 * numeric ops). */

/* Whether op takes an operand from the accumulator (instead of its slot). */
static bool reads_acc(int op) {
  int rel, base;
  if (op >= XOP_CHAIN_I32 && op < XOP_CHAIN_END) {
    chain_family(op, &rel);
    return rel / 3 % 3 == CH_ACC; /* op1's form */
  }
  if (op < XOP_COUNT || op >= XOP_CHAIN_I32) return false;
  switch (wasm_code_variant(op, &base)) {
  case XV_A1: case XV_A1K: case XV_A2: case XV_BRA1: case XV_BRA1K: case XV_BRA2: return true;
  default: return false;
  }
}

/* The twin of op (at cells) that leaves out its dead writes, or -1 (the
 * twin may still be missing from the handler table). */
static int without_dead_writes(int op, const wasm_cell *cells, uint32_t first_temp,
                               bool next_reads_acc) {
  if (op >= XOP_CHAIN_I32 && op < XOP_CHAIN_BR) { /* [dst, a, b, c, t] */
    if (cells[5].u < first_temp) return -1;
    bool dst_dead = next_reads_acc && cells[1].u >= first_temp;
    return (dst_dead ? XOP_CHAIN_NW : XOP_CHAIN_NT) + op - XOP_CHAIN_I32;
  }
  if (op >= XOP_CHAIN_BR && op < XOP_CHAIN_END) /* [a, b, c, t, nz, target] */
    return cells[4].u >= first_temp ? XOP_CHAIN_NT + op - XOP_CHAIN_I32 : -1;
  if (op >= XOP_MAC_I32 && op <= XOP_MAC2S_F64) /* [B, x, A, o1, K, o2, t, ...] */
    return cells[7].u >= first_temp ? XOP_MAC_NT + op - XOP_MAC_I32 : -1;
  if (!next_reads_acc || cells[1].u < first_temp) return -1;
  static const int nw[][2] = {{0, XV_NW},           {XV_ADDK, XV_ADDK_NW}, {XV_ADDX, XV_ADDX_NW},
                              {XV_A1, XV_A1_NW},   {XV_AK, XV_AK_NW},     {XV_K, XV_K_NW},
                              {XV_A1K, XV_A1K_NW}, {XV_A2, XV_A2_NW},     {XV_LD, XV_LD_NW}};
  int v = 0, base = op;
  if (op >= WASM_OP_COUNT) {
    if (op < XOP_COUNT || op >= XOP_CHAIN_I32) return -1;
    v = wasm_code_variant(op, &base);
  }
  for (size_t i = 0; i < sizeof nw / sizeof nw[0]; i++)
    if (nw[i][0] == v) return XOPV(nw[i][1], base);
  return -1;
}

/* Whether a branch on an integer compare at cells jumps when it holds, as
 * its handler assumes (nz 1: emit_cond_jump inverts the compare). */
static bool compare_jumps_when_true(int op, const wasm_cell *cells) {
  int base;
  if (op >= XOP_CHAIN_BR && op < XOP_CHAIN_END) return cells[5].u == 1;
  if (op >= XOP_CMPADDBR && op <= XOP_CMPADDBR_LAST) return cells[6].u == 1;
  if (op < XOP_COUNT || op >= XOP_CHAIN_I32) return true;
  int v = wasm_code_variant(op, &base);
  bool br = v == XV_BR || v == XV_BRK || v == XV_BRA1 || v == XV_BRA1K || v == XV_BRA2;
  return !br || wasm_code_compare_inverse(base) < 0 || cells[3].u == 1;
}

void wc_drop_dead_writes(comp *c, uint32_t first_temp) {
  while (c->nstarts && c->starts[c->nstarts - 1] >= c->n) c->nstarts--; /* rewound */
  for (size_t i = 0; i < c->nstarts; i++) {
    assert(compare_jumps_when_true(c->ops[i], &c->code[c->starts[i]]));
    bool next_acc = i + 1 < c->nstarts && reads_acc(c->ops[i + 1]);
    int xop = without_dead_writes(c->ops[i], &c->code[c->starts[i]], first_temp, next_acc);
    if (xop < 0 || !c->h[xop]) continue;
    c->code[c->starts[i]].h = c->h[xop];
    c->ops[i] = xop;
  }
}

/* ---- overlays: XOP_ROTX3 (three shifts xor'ed), XOP_MAC2X3, XOP_SWAP32,
 * XOP_LOAD2 ----
 * One handler laid over the first of the instructions it stands for,
 * which keep their cells (wasm_code.h). Run after the dead writes: it
 * needs the twins without t and reads whether the last one writes dst. */

/* The chain "op1(a, K), then xor with the slot c" that op stands for,
 * when its t is not written; whether it writes dst in *dst_written. */
static bool is_shift_xor(int op, int op1, bool *dst_written) {
  int writes, chain = wasm_code_chain_of(op, &writes);
  int p1 = chain_i32_1(op1), p2 = chain_i32_2(WASM_OP_I32_XOR);
  if (op < XOP_CHAIN_I32 || chain >= XOP_CHAIN_F64 || writes == 2 || p1 < 0 || p2 < 0)
    return false;
  *dst_written = writes == 1;
  return chain == XOP_CHAIN(XOP_CHAIN_I32, CHP_I32_2_N, p1, CH_K, p2, CH_A1);
}

/* Three XOP_MAC2*_F64 (their XOP_MAC_NT twins, [h, B, x, A, o1, K, o2, t,
 * b-add d|a b, a-add d|a b]) on one x: XOP_MAC2X3 over the first. */
static int mac2x3(const comp *c, size_t i, uint32_t first_temp) {
  const int mac2 = XOP_MAC_NT + XOP_MAC2_F64 - XOP_MAC_I32;
  const int mac2s = XOP_MAC_NT + XOP_MAC2S_F64 - XOP_MAC_I32;
  if ((c->ops[i] != mac2 && c->ops[i] != mac2s) || c->ops[i + 1] != mac2 ||
      c->ops[i + 2] != mac2 || c->starts[i + 1] != c->starts[i] + 14 ||
      c->starts[i + 2] != c->starts[i] + 28)
    return -1;
  const wasm_cell *w = &c->code[c->starts[i]];
  uint64_t x = w[2].u;
  for (int k = 0; k < 42; k += 14)
    if (w[k + 2].u != x || w[k + 8].u == x || w[k + 11].u == x) return -1;
  /* Chained: the later two add to the first's b and a (d1, d2), which
   * they do not overwrite; their a-addresses are stack slots. */
  uint64_t d1 = w[8].u, d2 = w[11].u;
  bool chained = d1 != d2 && w[23].u == d1 && w[37].u == d1 && w[26].u == d2 &&
                 w[40].u == d2 && w[25].u >= first_temp && w[39].u >= first_temp &&
                 w[22].u != d1 && w[22].u != d2 && w[25].u != d1 && w[25].u != d2;
  return XOP_MAC2X3 + (c->ops[i] == mac2s) + (chained ? MAC2X3_CHAINED : 0);
}

/* An i32.load of t, an XOP_MOVE32, an i32.store of t: XOP_SWAP32 over
 * the first (it runs all three as they are, so no slot need be dead). */
static int swap32(const comp *c, size_t i) {
  bool ok = c->ops[i] == WASM_OP_I32_LOAD && c->ops[i + 1] == XOP_MOVE32 &&
            c->ops[i + 2] == WASM_OP_I32_STORE && c->starts[i + 1] == c->starts[i] + 4 &&
            c->starts[i + 2] == c->starts[i] + 11 &&
            c->code[c->starts[i] + 13].u == c->code[c->starts[i] + 1].u;
  return ok ? XOP_SWAP32 : -1;
}

/* An i32.rotl.k (or .a1k) and two shift-xor chains on one a: XOP_ROTX3
 * over the first. */
static int rotx3(const comp *c, size_t i, uint32_t first_temp) {
  int base, op = c->ops[i];
  if (op < XOP_COUNT || op >= XOP_CHAIN_I32) return -1;
  int v = wasm_code_variant(op, &base);
  if (base != WASM_OP_I32_ROTL || (v != XV_K && v != XV_A1K)) return -1;
  const wasm_cell *w = &c->code[c->starts[i]];
  bool w2, w3, shr = false;
  if (c->starts[i + 1] != c->starts[i] + 4 || c->starts[i + 2] != c->starts[i] + 10 ||
      !is_shift_xor(c->ops[i + 1], WASM_OP_I32_ROTL, &w2) ||
      !(is_shift_xor(c->ops[i + 2], WASM_OP_I32_ROTL, &w3) ||
        (shr = is_shift_xor(c->ops[i + 2], WASM_OP_I32_SHR_U, &w3))))
    return -1;
  uint64_t a = w[2].u, d1 = w[1].u, d2 = w[5].u;
  /* One a throughout, not overwritten on the way; each xor takes the
   * value just written, which nothing else reads (stack slots). */
  if (w[6].u != a || w[12].u != a || w[8].u != d1 || w[14].u != d2 || d1 < first_temp ||
      d2 < first_temp || d1 == a || d2 == a)
    return -1;
  return XOP_ROTX3 + (shr ? ROTX3_SHR : 0) + (v == XV_A1K ? ROTX3_A1 : 0) + (w3 ? 0 : ROTX3_NW);
}

/* Two plain loads of one type: XOP_LOAD2 over the first. */
static int load2(const comp *c, size_t i) {
#define LOAD2_OP(ID, MS) WASM_OP_##ID,
  static const int ops[] = {LOAD2_TYPES(LOAD2_OP)};
#undef LOAD2_OP
  if (c->ops[i + 1] != c->ops[i] || c->starts[i + 1] != c->starts[i] + 4) return -1;
  for (int k = 0; k < LOAD2_N; k++)
    if (c->ops[i] == ops[k]) return XOP_LOAD2 + k;
  return -1;
}

void wc_fuse_overlays(comp *c, uint32_t first_temp) {
  for (size_t i = 0; i + 1 < c->nstarts; i++) {
    int m = -1, n = 3; /* the instructions it stands for */
    if (i + 2 < c->nstarts) {
      m = mac2x3(c, i, first_temp);
      if (m < 0) m = swap32(c, i);
      if (m < 0) m = rotx3(c, i, first_temp);
    }
    if (m < 0) {
      m = load2(c, i);
      n = 2;
    }
    if (m < 0 || !c->h[m]) continue;
    c->code[c->starts[i]].h = c->h[m];
    c->ops[i] = m;
    i += n - 1; /* the others keep their cells, for jumps into them */
  }
}
