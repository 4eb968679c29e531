/*
 * wasm_compile_mem.c: compiling memory instructions into the slot code
 * (wasm_code.h): loads and stores of memory 0 with their addressing forms
 * (an i32.add folded into the access, constant addresses, immediate or
 * accumulator values), the fusions of a binary op with a load or store
 * (XV_LD, XV_ST, XV_RMW), and the out-of-line form for other memories.
 * Part of the pass in wasm_compile.c.
 */
#include <stdlib.h>
#include <string.h>

#include "wasm_compile.h"

/* The full-width load of a scalar kind (its opcode), or -1. */
int wc_full_load(uint8_t kind) {
  switch (kind) {
  case WASM_I32: return WASM_OP_I32_LOAD;
  case WASM_I64: return WASM_OP_I64_LOAD;
  case WASM_F32: return WASM_OP_F32_LOAD;
  case WASM_F64: return WASM_OP_F64_LOAD;
  default: return -1;
  }
}

bool wc_commutative(int op) {
  switch (op) {
  case WASM_OP_I32_ADD: case WASM_OP_I32_MUL: case WASM_OP_I32_AND:
  case WASM_OP_I32_OR: case WASM_OP_I32_XOR: case WASM_OP_I32_EQ: case WASM_OP_I32_NE:
  case WASM_OP_I64_ADD: case WASM_OP_I64_MUL: case WASM_OP_I64_AND:
  case WASM_OP_I64_OR: case WASM_OP_I64_XOR:
  /* Floats too: the operands' order only picks which NaN payload
   * propagates, which wasm leaves open. */
  case WASM_OP_F32_ADD: case WASM_OP_F32_MUL: case WASM_OP_F64_ADD: case WASM_OP_F64_MUL:
    return true;
  default:
    return false;
  }
}

/* The XOP_MAC_* of a mul (mul true) or an add, or -1. */
static int mac_op(int op, bool mul) {
  static const int ops[][3] = {{WASM_OP_I32_MUL, WASM_OP_I32_ADD, XOP_MAC_I32},
                               {WASM_OP_I64_MUL, WASM_OP_I64_ADD, XOP_MAC_I64},
                               {WASM_OP_F32_MUL, WASM_OP_F32_ADD, XOP_MAC_F32},
                               {WASM_OP_F64_MUL, WASM_OP_F64_ADD, XOP_MAC_F64}};
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
    if (ops[i][!mul] == op) return ops[i][2];
  return -1;
}

/* A binary op one of whose operands was just loaded (a full-width load of
 * its type, whose result feeds only this op): XV_LD, replacing the load. */
bool wc_compile_binld(comp *c, int op, cval *in) {
  int xop = XOPV(XV_LD, op);
  if (!c->h[xop] || c->last.kind != LAST_LOAD || !wc_last_is(c, c->last.start, c->last.end) ||
      c->last.op != wc_full_load(in[0].kind))
    return false;
  int fresh = -1; /* which operand the load computed */
  for (int i = 0; i < 2; i++)
    if (!in[i].konst && in[i].src == in[i].slot && in[i].slot == c->last.dst) fresh = i;
  if (fresh < 0 || (fresh == 0 && !wc_commutative(op))) return false;
  cval other = in[1 - fresh];
  if (other.konst) return false; /* the K variant instead */
  size_t start = c->last.start;
  uint64_t addr = c->last.addr, off = c->last.off, k = c->last.k;
  wc_rewind(c, start); /* drop the load */
  uint32_t dst = in[0].slot;
  wc_emit_op(c, xop);
  size_t dcell = wc_emit_u(c, dst);
  wc_emit_u(c, other.src);
  wc_emit_u(c, addr);
  wc_emit_u(c, off);
  wc_emit_u(c, k);
  wc_push(c, in[0].kind);
  wc_set_dst_candidate(c, dcell);
  wc_set_acc(c, dst);
  c->last = (last_instr){LAST_BINLD, start, c->n, op, dst, other.src, 0, addr, off, k};
  if (mac_op(op, true) >= 0) c->mac = c->last;
  return true;
}
/* Whether the address operand was just computed by i32.add (or sub) with
 * a constant that can be folded into the access (XV_ADDK). */
static bool addk_fusable(comp *c, int op, const cval *addr) {
  return !addr->konst && addr->src == addr->slot && c->fuse_start != SIZE_MAX &&
         c->fuse_end == c->n && c->barrier != c->n &&
         (c->fuse_op == WASM_OP_I32_ADD || c->fuse_op == WASM_OP_I32_SUB) && c->fuse_k &&
         !c->fuse_neg && c->fuse_dst == addr->slot && c->h[XOPV(XV_ADDK, op)];
}

/* The second operand of the fused add (ADDK: the constant; x - K is
 * x + -K in i32). */
static uint64_t fused_k(const comp *c) {
  return c->fuse_op == WASM_OP_I32_SUB ? (uint32_t)-(uint32_t)c->fuse_b : c->fuse_b;
}

/* Whether the address operand was just computed by a plain i32.add whose
 * operands can be read by the access instead (XV_ADDX). */
static bool addx_fusable(comp *c, int op, const cval *addr) {
  return !addr->konst && addr->src == addr->slot && c->fuse_start != SIZE_MAX &&
         c->fuse_end == c->n && c->barrier != c->n && c->fuse_op == WASM_OP_I32_ADD &&
         !c->fuse_k && !c->fuse_neg && c->fuse_dst == addr->slot && c->h[XOPV(XV_ADDX, op)];
}

/* A store of the value the last instruction computed, when that was a
 * binary op of the stored type: XV_ST, or XV_RMW when the op loaded its
 * operand from the same address. Replaces both. */
static bool compile_binst(comp *c, int op, const cval *addr, const cval *val,
                          uint64_t off) {
  last_instr l = c->last;
  if (val->konst || val->src != val->slot || l.kind == LAST_NONE || l.kind == LAST_LOAD ||
      !wc_last_is(c, l.start, l.end) || l.dst != val->slot)
    return false;
  /* Full-width stores only: the load of the same type is 0x28.. as the
   * store is 0x36.. */
  if (wc_full_load(val->kind) < 0 || op != wc_full_load(val->kind) + (WASM_OP_I32_STORE - WASM_OP_I32_LOAD))
    return false;
  if (l.kind == LAST_BINLD) {
    if (addr->konst || addr->src != l.addr || l.off != off || l.k != 0 ||
        !c->h[XOPV(XV_RMW, l.op)])
      return false;
    /* The add's operand is the result of a mul.ld just before it. */
    last_instr m = c->mac;
    int xop = mac_op(l.op, false);
    if (xop >= 0 && m.kind == LAST_BINLD && m.end == l.start && c->barrier != l.start &&
        mac_op(m.op, true) == xop && l.a == c->code[m.start + 1].u && c->h[xop]) {
      uint64_t t = c->code[m.start + 1].u, add2[6];
      /* Two i32 adds just before that compute B and A join: of constants
       * (XOP_MAC2_*, to the next elements) or of slots (XOP_MAC2S_*). */
      const wasm_cell *p = wc_add2_before(c, m.start, 4 * ADD_FORM_I32K + ADD_FORM_I32K);
      bool kk = p != NULL;
      if (!kk) p = wc_add2_before(c, m.start, 4 * ADD_FORM_I32 + ADD_FORM_I32);
      bool join = p && PAIR_DST(p[0].u) == addr->src && PAIR_DST(p[2].u) == m.addr &&
                  addr->src != m.addr;
      if (join) {
        uint64_t unpacked[6] = {PAIR_DST(p[0].u), PAIR_SRC(p[0].u), p[1].u,
                                PAIR_DST(p[2].u), PAIR_SRC(p[2].u), p[3].u};
        for (int i = 0; i < 6; i++) add2[i] = unpacked[i];
        m.start = c->add2_start;
        xop += (kk ? XOP_MAC2_I32 : XOP_MAC2S_I32) - XOP_MAC_I32;
      }
      wc_rewind(c, m.start);
      wc_emit_op(c, xop);
      wc_emit_u(c, addr->src);
      wc_emit_u(c, m.a);
      wc_emit_u(c, m.addr);
      wc_emit_u(c, m.off);
      wc_emit_u(c, m.k);
      wc_emit_u(c, off);
      wc_emit_u(c, t);
      for (int i = 0; join && i < 6; i++) wc_emit_u(c, add2[i]);
      return true;
    }
    wc_rewind(c, l.start);
    wc_emit_op(c, XOPV(XV_RMW, l.op));
    wc_emit_u(c, addr->src);
    wc_emit_u(c, l.a);
    wc_emit_u(c, off);
    return true;
  }
  wc_rewind(c, l.start);
  cval a = *addr;
  wc_use(c, &a); /* a constant address goes to its home slot, no input of the op */
  wc_emit_op(c, XOPV(XV_ST, l.op));
  wc_emit_u(c, a.src);
  wc_emit_u(c, l.a);
  wc_emit_u(c, l.b);
  wc_emit_u(c, off);
  return true;
}

/* The XOP_MOVE* for a load then a store of the same width. */
static int move_op(int load, int store) {
  switch (store) {
  case WASM_OP_I32_STORE: return load == WASM_OP_I32_LOAD ? XOP_MOVE32 : -1;
  case WASM_OP_F32_STORE: return load == WASM_OP_F32_LOAD ? XOP_MOVE32 : -1;
  case WASM_OP_I64_STORE: return load == WASM_OP_I64_LOAD ? XOP_MOVE64 : -1;
  case WASM_OP_F64_STORE: return load == WASM_OP_F64_LOAD ? XOP_MOVE64 : -1;
  case WASM_OP_I32_STORE8: return load == WASM_OP_I32_LOAD8_U ? XOP_MOVE8 : -1;
  default: return -1;
  }
}

/* A store (operands ready) of the value the load just before loaded: one
 * XOP_MOVE*, the load's result still written to its slot. */
static bool compile_move(comp *c, int op, const cval *addr, const cval *val, uint64_t off) {
  last_instr l = c->last;
  if (l.kind != LAST_LOAD || !wc_last_is(c, l.start, l.end) || addr->konst || val->konst)
    return false;
  uint64_t dst = c->code[l.start + 1].u; /* local.tee may have retargeted it */
  int xop = move_op(l.op, op);
  if (xop < 0 || !c->h[xop] || val->src != dst) return false;
  /* An XOP_ADD2 of constants just before computed the store's address
   * (its first add) and the load's (its second), into stack slots only
   * the move reads: XOP_MOVE*K does those adds itself. The first add's
   * write must not change the second's operand. */
  size_t start = l.start;
  const wasm_cell *p =
      l.k == 0 ? wc_add2_before(c, l.start, 4 * ADD_FORM_I32K + ADD_FORM_I32K) : NULL;
  uint64_t a = l.addr, k = l.k, b = addr->src, k2 = 0;
  int kxop = xop + XOP_MOVE32K - XOP_MOVE32;
  if (p && PAIR_DST(p[0].u) == b && PAIR_DST(p[2].u) == a && b >= c->first_temp &&
      a >= c->first_temp && a != b && PAIR_DST(p[0].u) != PAIR_SRC(p[2].u) && c->h[kxop]) {
    b = PAIR_SRC(p[0].u);
    k2 = p[1].u;
    a = PAIR_SRC(p[2].u);
    k = p[3].u;
    start = c->add2_start;
    xop = kxop;
  }
  wc_rewind(c, start);
  wc_emit_op(c, xop);
  wc_emit_u(c, dst);
  wc_emit_u(c, a);
  wc_emit_u(c, l.off);
  wc_emit_u(c, k);
  wc_emit_u(c, b);
  wc_emit_u(c, off);
  if (xop == kxop) wc_emit_u(c, k2);
  return true;
}

/* Loads, stores, SIMD loads and lane loads/stores: typed by the sig. */
void wc_compile_mem(comp *c, const wasm_opinfo *oi, int op, const wasm_instr *in) {
  const char *colon = strchr(oi->sig, ':');
  bool lane = oi->imm == WASM_IMM_MEMARG_LANE;
  uint64_t off = in->imm.mem.offset;
  if (colon[1]) { /* a load: "i:x" or lane load "iv:v" */
    cval vec;
    memset(&vec, 0, sizeof vec);
    if (lane) vec = wc_pop(c);
    cval addr = wc_pop(c);
    int form = lane                          ? 0
               : addk_fusable(c, op, &addr) ? XV_ADDK
               : addx_fusable(c, op, &addr) ? XV_ADDX
                                             : 0;
    uint64_t x = addr.src, k = 0;
    if (form) {
      x = c->fuse_a;
      k = fused_k(c);
      wc_rewind(c, c->fuse_start); /* drop the add: its result only fed this load */
    }
    /* A constant address is an immediate (XV_AK). */
    if (!form && !lane && addr.konst && wc_variant(c, op, XV_AK) >= 0) form = XV_AK;
    wc_use(c, &vec);
    if (form != XV_AK) wc_use(c, &addr);
    uint32_t dst = c->slots;
    size_t start = c->n;
    int xop = form ? XOPV(form, op) : op;
    if (!form && !lane && wc_in_acc(c, &addr) && wc_variant(c, op, XV_A1) >= 0) xop = XOPV(XV_A1, op);
    wc_emit_op(c, xop);
    size_t dcell = wc_emit_u(c, dst);
    wc_emit_u(c, form == XV_AK ? addr.k : form ? x : addr.src);
    if (lane) wc_emit_u(c, vec.src);
    wc_emit_u(c, off);
    if (lane) wc_emit_u(c, in->imm.mem.lane);
    if (form && form != XV_AK) wc_emit_u(c, k);
    wc_push(c, wc_sig_kind(colon[1]));
    wc_set_dst_candidate(c, dcell);
    if (strchr("iIfF", colon[1])) wc_set_acc(c, dst);
    if (!form && !lane && !addr.konst)
      c->last = (last_instr){LAST_LOAD, start, c->n, op, dst, 0, 0, addr.src, off, 0};
    else if (form == XV_ADDK)
      c->last = (last_instr){LAST_LOAD, start, c->n, op, dst, 0, 0, x, off, k};
    if ((op == WASM_OP_I32_LOAD || op == WASM_OP_I32_LOAD8_U) && !addr.konst &&
        (!form || form == XV_ADDK))
      c->ldbr = (last_instr){LAST_LOAD, start, c->n, op, dst, 0, 0, form ? x : addr.src, off, k};
  } else {
    cval val = wc_pop(c);
    cval addr = wc_pop(c);
    if (!lane && compile_binst(c, op, &addr, &val, off)) return;
    /* The value, if computed, came after the address: then no fusion. A
     * constant value is written after the add is dropped, to its home slot,
     * which may be the add's second operand: no XV_ADDX then. */
    int form = lane                          ? 0
               : addk_fusable(c, op, &addr) ? XV_ADDK
               : !val.konst && addx_fusable(c, op, &addr) ? XV_ADDX
                                                           : 0;
    if (!form && val.konst && !lane && c->h[XOPV(XV_STI, op)]) {
      wc_use(c, &addr);
      wc_emit_op(c, XOPV(XV_STI, op));
      wc_emit_u(c, addr.src);
      wc_emit_u(c, val.k);
      wc_emit_u(c, off);
      return;
    }
    uint64_t x = 0, k = 0;
    if (form) {
      x = c->fuse_a;
      k = fused_k(c);
      wc_rewind(c, c->fuse_start);
    } else if (addr.konst && !lane && wc_variant(c, op, XV_AK) >= 0) {
      wc_use(c, &val); /* to its home slot, above the address's */
      wc_emit_op(c, XOPV(XV_AK, op));
      wc_emit_u(c, addr.k);
      wc_emit_u(c, val.src);
      wc_emit_u(c, off);
      return;
    }
    if (!form) wc_use(c, &addr);
    wc_use(c, &val);
    if (!form && !lane && compile_move(c, op, &addr, &val, off)) return;
    int xop = form ? XOPV(form, op) : op;
    if (!form && !lane && wc_in_acc(c, &val) && wc_variant(c, op, XV_A1) >= 0) xop = XOPV(XV_A1, op);
    wc_emit_op(c, xop);
    wc_emit_u(c, form ? x : addr.src);
    wc_emit_u(c, val.src);
    wc_emit_u(c, off);
    if (lane) wc_emit_u(c, in->imm.mem.lane);
    if (form) wc_emit_u(c, k);
  }
}

/* The memory index a memory instruction uses other than 0 (memory.copy:
 * either), or 0: those take the out-of-line XOP_MEMOP_MULTI. */
bool wc_memop_multi(const wasm_opinfo *oi, const wasm_instr *in) {
  switch ((wasm_imm_kind)oi->imm) {
  case WASM_IMM_MEMARG: case WASM_IMM_MEMARG_LANE: return in->imm.mem.memory != 0;
  case WASM_IMM_MEM: return in->imm.index != 0;
  case WASM_IMM_MEM_MEM: return in->imm.pair.a != 0 || in->imm.pair.b != 0;
  case WASM_IMM_DATA_MEM: return in->imm.pair.b != 0;
  default: return false;
  }
}

/* XOP_MEMOP_MULTI [h, op, mem, mem2/seg, dst?, inputs.., offset?, lane?],
 * shaped by the op's signature (see wasm_exec_mem.c). */
void wc_compile_memop_multi(comp *c, const wasm_opinfo *oi, int op,
                                const wasm_instr *in) {
  const char *colon = strchr(oi->sig, ':');
  uint32_t np = (uint32_t)(colon - oi->sig);
  cval v[3];
  memset(v, 0, sizeof v);
  if (np > 3) {
    wc_fail(c, WASM_INVALID, "bad signature");
    return;
  }
  wc_pop_use(c, v, np);
  bool memarg = oi->imm == WASM_IMM_MEMARG || oi->imm == WASM_IMM_MEMARG_LANE;
  uint64_t a = memarg ? in->imm.mem.memory : in->imm.index, b = 0;
  if (oi->imm == WASM_IMM_MEM_MEM) a = in->imm.pair.a, b = in->imm.pair.b;
  if (oi->imm == WASM_IMM_DATA_MEM) a = in->imm.pair.b, b = in->imm.pair.a;
  wc_emit_op(c, XOP_MEMOP_MULTI);
  wc_emit_u(c, (uint64_t)op);
  wc_emit_u(c, a);
  wc_emit_u(c, b);
  if (colon[1]) wc_emit_u(c, c->slots);
  wc_emit_srcs(c, v, np);
  if (memarg) wc_emit_u(c, in->imm.mem.offset);
  if (oi->imm == WASM_IMM_MEMARG_LANE) wc_emit_u(c, in->imm.mem.lane);
  if (colon[1]) wc_push(c, wc_sig_kind(colon[1]));
}
