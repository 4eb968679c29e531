/*
 * wasm_code.h: the internal code that wasm_compile.c produces and
 * wasm_exec.c runs.
 *
 * A function's code is an array of 8-byte cells. An instruction is one cell
 * holding its handler's address (a computed-goto label inside the
 * interpreter) followed by its operand cells. Operands are decoded
 * immediates or slot numbers: a frame is a window of the store's value stack
 * (8-byte slots, a v128 takes two), laid out as params, locals, then the
 * operand stack. Because the operand stack height is known statically at
 * every instruction, each instruction names its inputs and output as slot
 * numbers relative to the frame pointer, e.g. `i32.add dst a b`.
 *
 * Encodings (operands after the handler cell, in order):
 *   numeric op (IMM NONE, fixed sig)   dst, in1 [, in2 [, in3]]
 *   lane op                            dst, in1 [, in2], lane
 *   i8x16.shuffle                      dst, a, b, lanes[0..7], lanes[8..15]
 *   load / SIMD load                   dst, addr, offset
 *   store                              addr, value, offset
 *   lane load                          dst, addr, vec, offset, lane
 *   lane store                         addr, vec, offset, lane
 *   COPY1                              dst | src << 32     (one cell, SLOT_PAIR)
 *   COPY2                              dst, src            (2 slots)
 *   COPYN                              dst, src, nslots
 *   COPY1X2                            pair1, pair2        (COPY1 twice)
 *   CONST                              dst, value
 *   CONST2                             dst, lo, hi         (v128)
 *   BR                                 target
 *   BR_IF / BR_UNLESS                  cond, target
 *   BR_TABLE                           index, n, target[0..n] (last: default)
 *   RETURN                             -                   (results at slot 0)
 *   CALL                               func index, argbase
 *   CALL_INDIRECT                      type index, table, argbase, index slot
 *   SELECT / SELECT2                   dst, a, b, cond
 *   GLOBAL_GET(2)                      dst, global index
 *   GLOBAL_SET(2)                      global index, src
 *   memory / table / ref ops           see the handlers in wasm_exec.c
 * Branch targets are absolute cell addresses. A call's arguments are the
 * caller's slots from argbase up: they become the callee's params without a
 * copy, and the results land at argbase.
 *
 * Opcode numbers: below WASM_OP_COUNT an internal opcode is the handler of
 * that wasm instruction (the generated numeric handlers, loads, stores,
 * lane ops, bulk ops...); the XOP_* values above it are internal-only
 * instructions, then come the generated variants (XOPV below).
 * Superinstructions get new XOP_* values or variants.
 */
#ifndef WASM_CODE_H
#define WASM_CODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wasm_opcodes.h"

typedef union wasm_cell {
  const void *h;               /* handler address */
  uint64_t u;                  /* operand: slot, index, immediate */
  int64_t i;
  const union wasm_cell *target; /* branch target */
  const void *ptr;             /* XOP_CALL_LOCAL*: the callee's wasm_code */
} wasm_cell;

enum wasm_xop {
  XOP_FIRST = WASM_OP_COUNT - 1,
  XOP_UNREACHABLE,
  XOP_COPY1,
  XOP_COPY2,
  XOP_COPYN,
  XOP_CONST,
  XOP_CONST2,
  XOP_CONSTX2, /* two XOP_CONSTs in one: [h, d1, k1, d2, k2] */
  XOP_BR,
  XOP_BR_IF,
  XOP_BR_UNLESS,
  XOP_BR_TABLE,
  XOP_RETURN,
  XOP_CALL,
  XOP_CALL_INDIRECT,
  XOP_SELECT,
  XOP_SELECT2,
  XOP_GLOBAL_GET,
  XOP_GLOBAL_GET2,
  XOP_GLOBAL_SET,
  XOP_GLOBAL_SET2,
  XOP_REF_IS_NULL,
  XOP_REF_FUNC,
  XOP_MEMOP_MULTI, /* a memory op on memory != 0: wasm_exec_memop_multi */
  XOP_THROW_REF,   /* [h, src]: rethrows an exnref */
  XOP_COPY1X2,     /* [h, pair1, pair2]: two COPY1 in order */
  XOP_CALL_LOCAL,  /* CALL of a function the module defines (not imported):
                    * [h, func, argbase, entry, code], the callee's first
                    * cell (a target) and its wasm_code, so that the next
                    * ip is one load away (not six dependent ones) */
  XOP_COPY1X3,     /* [h, pair1, pair2, pair3]: three COPY1 in order */
  XOP_COPY1X4,     /* four */
  XOP_COPY1X5, XOP_COPY1X6, XOP_COPY1X7, XOP_COPY1X8, /* up to eight */
  /* [h, B, x, A, o1, K, o2, t]: multiply-add to memory, an XV_LD mul
   * then an XV_RMW add of its result: t = x * load((i32)(A + K) + o1),
   * written to slot t; then m = t + m for m at B + o2. Per type: */
  XOP_MAC_I32, XOP_MAC_I64, XOP_MAC_F32, XOP_MAC_F64,
  /* [h, mac cells 1..7, d1, a1, K1, d2, a2, K2]: an XOP_ADD2 of two i32
   * adds of constants that compute the mac's addresses (d1 is B, d2 is
   * A), then the XOP_MAC_* on them (addresses moving on): */
  XOP_MAC2_I32, XOP_MAC2_I64, XOP_MAC2_F32, XOP_MAC2_F64,
  /* the same after two adds of slots (K1, K2 are slots): */
  XOP_MAC2S_I32, XOP_MAC2S_I64, XOP_MAC2S_F32, XOP_MAC2S_F64,
  XOP_CALL_LOCAL1, /* [h, func, argbase, dst, src, entry, code]: COPY1 dst src, CALL_LOCAL */
  /* Moving an i32 global by K (C's stack pointer): */
  XOP_GADD,        /* [h, dst, K, g, old]: old = g; dst = g = old + K */
  XOP_GSETK,       /* [h, dst, src, K, g]: dst = g = src + K */
  XOP_RETURN1,     /* [h, src]: COPY1 0 src, RETURN */
  /* Two adds in a row, [h, d1|a1, b1, d2|a2, b2] (slot pairs), run in
   * order: each d = a + b of type i32 or i64, b a slot or an immediate (ADD_FORM_*;
   * a sub of a constant is an add of its negation). XOP_ADD2 + 4 * form
   * of the first + form of the second: */
  XOP_ADD2,
  XOP_ADD2_LAST = XOP_ADD2 + 15,
  /* i32.load (or load8_u) and a br_if/if on the value loaded: [h, dst, x,
   * off, K, nz, target]: dst = load((i32)(x + K) + off), jump when
   * (dst != 0) == nz. */
  XOP_LDBR_I32, XOP_LDBR_U8,
  /* COPY1 .. COPY1X8 then BR: [h, pair1, .., target] */
  XOP_COPY1BR, XOP_COPY1X2BR, XOP_COPY1X3BR, XOP_COPY1X4BR,
  XOP_COPY1X5BR, XOP_COPY1X6BR, XOP_COPY1X7BR, XOP_COPY1X8BR,
  /* SELECT with immediates: [h, dst, a, b, cond], b (K), a (KA) or both
   * (KK) the value itself: */
  XOP_SELECTK, XOP_SELECTKA, XOP_SELECTKK,
  /* A load and a store of the value loaded (a move in memory), of 4 bytes
   * (i32, f32), 8 (i64, f64) or one (i32.load8_u, i32.store8):
   * [h, dst, a, off1, K, b, off2]: dst = load((i32)(a + K) + off1), then
   * store dst at b + off2. */
  XOP_MOVE32, XOP_MOVE64, XOP_MOVE8,
  /* The same after an XOP_ADD2 of two constants that computed the store's
   * and the load's addresses (a byte-copy loop unrolled: d[i] = s[i]),
   * the adds' results read by the move only (stack slots): [h, dst, a,
   * off1, K, b, off2, K2], the store at (i32)(b + K2) + off2. */
  XOP_MOVE32K, XOP_MOVE64K, XOP_MOVE8K,
  /* An add (or copy) then a br_if/if on another value: [h, d|a, b, cond,
   * nz, target], d = a + b (XOP_ADDBR + ADD_FORM_*), then jump when
   * (cond != 0) == nz. */
  XOP_ADDBR,
  XOP_ADDBR_LAST = XOP_ADDBR + 3,
  /* An i32 compare, an i32 add, then a br_if/if on the compare's result
   * (i < n; i++ before the loop's branch): [h, t, a, b, d|x, y, nz,
   * target]: t = cmp(a, b), d = x + y, jump when t holds (nz is 1: the
   * compiler inverts a compare that would jump on zero).
   * XOP_CMPADDBR + 4 * (the compare's CHAIN_BR_2 position) + 2 when b is
   * an immediate + 1 when y is: */
  XOP_CMPADDBR,
  XOP_CMPADDBR_LAST = XOP_CMPADDBR + 39,
  /* The XOP_MAC_*, XOP_MAC2_* and XOP_MAC2S_* whose t is a stack slot
   * (only their add reads it): t is not written. XOP_MAC_NT + op -
   * XOP_MAC_I32 (wasm_compile_fuse.c: dead writes): */
  XOP_MAC_NT,
  XOP_MAC_NT_LAST = XOP_MAC_NT + 11,
  /* Three shifts of one i32 value xor'ed (SHA-2's sigmas, other hashes):
   * r = rotl(a, k1) ^ rotl(a, k2) ^ op3(a, k3). Laid over the three
   * instructions it stands for, which keep their cells (a jump into the
   * second or third still runs them): an i32.rotl.k (or .a1k, a from the
   * accumulator) [h, d1, a, k1], then two chains "rotl.k, then xor with
   * the slot the instruction before wrote" [h, d2, a, k2, d1, t2] and
   * [h, d3, a, k3, d2, t3] (the last one's op1 rotl or shr_u); d1, d2,
   * t2 and t3 are stack slots, so only r is written, to d3.
   * XOP_ROTX3 + ROTX3_SHR (op3 is shr_u) + ROTX3_A1 (a from the
   * accumulator) + ROTX3_NW (d3 not written either: dead, as in the
   * twins of wasm_compile_fuse.c). */
  XOP_ROTX3,
  XOP_ROTX3_LAST = XOP_ROTX3 + 7,
  /* Three f64 multiply-adds of one x in a row (a loop unrolled three
   * times, matmul's): XOP_MAC2_F64's XOP_MAC_NT twin twice after it or
   * after XOP_MAC2S_F64's (+ 1), laid over them as XOP_ROTX3 is; x is read
   * once (no address the adds write is its slot). + MAC2X3_CHAINED: the
   * second and third add constants to the first's two addresses (the
   * loop's p + 8, p + 16), so all six come from the first's two reads;
   * their a-addresses are stack slots (only their mac reads them), not
   * written. */
  XOP_MAC2X3,
  XOP_MAC2X3_LAST = XOP_MAC2X3 + 3,
  /* Two i32 words swapped (t = m[a]; m[a] = m[b]; m[b] = t): an i32.load
   * [h, t, a, off], an XOP_MOVE32 and an i32.store, laid over them as
   * XOP_ROTX3 is; it does all they do, in their order (one dispatch). */
  XOP_SWAP32,
  /* Two plain loads of one type in a row (struct fields, the operands of
   * the next op), laid over them as XOP_ROTX3 is: both run as they are,
   * in order, with one dispatch. i32, i64, f32, f64 (LOAD2_TYPES). */
  XOP_LOAD2,
  XOP_LOAD2_LAST = XOP_LOAD2 + 3,
  /* An XOP_ADD2 and an add or copy after it (three induction variables
   * moving on): [h, d1|a1, b1, d2|a2, b2, d3|a3, b3], in order.
   * XOP_ADD3 + 16 * form of the first + 4 * the second's + the third's: */
  XOP_ADD3,
  XOP_ADD3_LAST = XOP_ADD3 + 63,
  XOP_RETURNK,     /* [h, K]: CONST 0 K, RETURN (return 1;) */
  XOP_COUNT
};

enum { ROTX3_SHR = 1, ROTX3_A1 = 2, ROTX3_NW = 4, ROTX3_CELLS = 16 };
enum { MAC2X3_CHAINED = 2 };
/* XOP_LOAD2's types, in order: X(load op, its byte size). */
#define LOAD2_TYPES(X) X(I32_LOAD, 4) X(I64_LOAD, 8) X(F32_LOAD, 4) X(F64_LOAD, 8)
#define LOAD2_POS(ID, MS) LOAD2_##ID,
enum { LOAD2_TYPES(LOAD2_POS) LOAD2_N };
#undef LOAD2_POS

/* Slot pairs: two slot numbers (32 bits each) packed in one cell, a
 * destination and a source. An instruction costs about one memory
 * operation per cell and slot it touches (bench/dispatch.sh), so a pair
 * saves a load. Used by the copies (one pair per copy), XOP_ADD2,
 * XOP_ADDBR and XOP_CMPADDBR (their adds' d|a). */
#define SLOT_PAIR(dst, src) ((uint64_t)(uint32_t)(dst) | (uint64_t)(uint32_t)(src) << 32)
#define PAIR_DST(u) ((uint32_t)(u))
#define PAIR_SRC(u) ((uint32_t)((u) >> 32))
/* How many COPY1 op runs (COPY1, COPY1X2..X8 and their BR forms: one
 * slot pair each), or 0. */
#define WASM_CODE_MAX_COPIES 8
static inline int wasm_code_copies(int op) {
  if (op == XOP_COPY1) return 1;
  if (op == XOP_COPY1X2) return 2;
  if (op >= XOP_COPY1X3 && op <= XOP_COPY1X8) return 3 + op - XOP_COPY1X3;
  if (op >= XOP_COPY1BR && op <= XOP_COPY1X8BR) return 1 + op - XOP_COPY1BR;
  return 0;
}
/* The op that runs n (1..8) COPY1, then jumps when br. */
static inline int wasm_code_copy_op(int n, bool br) {
  return br ? XOP_COPY1BR + n - 1 : n == 1 ? XOP_COPY1 : n == 2 ? XOP_COPY1X2 : XOP_COPY1X3 + n - 3;
}
/* Whether operand cell k (1 = the first after the handler) of op is a
 * slot pair. */
static inline bool wasm_code_pair_cell(int op, size_t k) {
  int copies = wasm_code_copies(op);
  if (copies) return k <= (size_t)copies;
  return (op >= XOP_ADD2 && op <= XOP_ADD2_LAST && (k == 1 || k == 3)) ||
         (op >= XOP_ADD3 && op <= XOP_ADD3_LAST && (k == 1 || k == 3 || k == 5)) ||
         (op >= XOP_ADDBR && op <= XOP_ADDBR_LAST && k == 1) ||
         (op >= XOP_CMPADDBR && op <= XOP_CMPADDBR_LAST && k == 4);
}

/* Generated variants of the scalar numeric instructions (XV_K: binary ops
 * of any scalar type; XV_BR, XV_BRK: ops with an i32 result, unary ones
 * of integers, binary ones (compares) of any scalar type):
 *   XV_K    [h, dst, in1, imm]            second operand an immediate
 *   XV_BR   [h, in1 (, in2), nz, target]  fused with a following br_if (or
 *                                         if): jump when (result != 0) == nz;
 *                                         an integer compare has nz 1 (the
 *                                         compiler inverts it instead)
 *   XV_BRK  [h, in1, imm, nz, target]     both
 * Their opcode is XOPV(variant, wasm op); the handler table holds NULL
 * where a variant does not apply to the instruction's type. */
/*   XV_ADDK (memory accesses with a memarg, not the lane ones): the
 *           address is (i32)(x + K), a preceding i32.add of a constant;
 *           load [h, dst, x, off, K], store [h, x, val, off, K]
 *   XV_ADDX likewise (i32)(x + y) for slots x and y, a preceding i32.add:
 *           load [h, dst, x, off, y], store [h, x, val, off, y]
 *   XV_STI  (scalar stores) the value is an immediate: [h, addr, imm, off]
 *   XV_AK   the address is an immediate K (an i32 value, as the address
 *           slot would hold): load [h, dst, K, off], store [h, K, val, off]
 * Binary ops whose operands and result have one scalar type, fused with
 * a full-width load or store of that type (the memarg offset `off`):
 *   XV_LD   [h, dst, in1, addr, off, K]  in2 is loaded from
 *                                        (i32)(addr + K) + off
 *   XV_ST   [h, addr, in1, in2, off]     the result is stored at addr + off
 *   XV_RMW  [h, addr, in, off]           m = op(in, m) for m at addr + off */
/* The accumulator (the scalar result of the instruction just before,
 * which the interpreter also keeps in a register) replaces an operand;
 * the layout stays that of the instruction varied, its cell ignored:
 *   XV_A1   numeric op (plain): in1;  load: the address;  store: the value
 *   XV_A1K  K variant: in1            XV_A2   numeric op (plain): in2
 *   XV_BRA1, XV_BRA1K, XV_BRA2        the same for XV_BR / XV_BRK */
/* A scalar load or numeric op whose result only the next instruction
 * reads, from the accumulator, need not write its slot (a stack slot:
 * nothing else reads it; wasm_compile.c drops such writes when a function
 * is complete). Its twin leaves the result in the accumulator only:
 *   loads         XV_NW (plain), XV_ADDK_NW, XV_ADDX_NW, XV_A1_NW, XV_AK_NW
 *   numeric ops   XV_NW (plain), XV_K_NW, XV_A1_NW, XV_A1K_NW, XV_A2_NW,
 *                 XV_LD_NW (non-trapping ops with a scalar result) */
enum wasm_xvariant {
  XV_K = 1, XV_BR, XV_BRK, XV_ADDK, XV_ADDX, XV_STI, XV_LD, XV_ST, XV_RMW,
  XV_A1, XV_A1K, XV_A2, XV_BRA1, XV_BRA1K, XV_BRA2, XV_AK,
  XV_NW, XV_ADDK_NW, XV_ADDX_NW, XV_A1_NW, XV_AK_NW,
  XV_K_NW, XV_A1K_NW, XV_A2_NW, XV_LD_NW,
  XV_COUNT
};
#define XOPV(v, op) (XOP_COUNT + ((v) - 1) * WASM_OP_COUNT + (op))
/* XOPV's inverse, for XOP_COUNT <= op < XOP_CHAIN_I32: the variant, and
 * the wasm op varied in *base. */
static inline int wasm_code_variant(int op, int *base) {
  *base = (op - XOP_COUNT) % WASM_OP_COUNT;
  return (op - XOP_COUNT) / WASM_OP_COUNT + 1;
}

/* The integer compare that is op's negation (i32.lt_s: i32.ge_s), or -1
 * when op is not an integer compare. A branch on an integer compare always
 * jumps when it holds (nz 1), so those handlers do not read nz. */
static inline int wasm_code_compare_inverse(int op) {
  /* eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u, from each type's eq */
  static const signed char inv[10] = {1, 0, 8, 9, 6, 7, 4, 5, 2, 3};
  int base = op >= WASM_OP_I32_EQ && op <= WASM_OP_I32_GE_U   ? WASM_OP_I32_EQ
             : op >= WASM_OP_I64_EQ && op <= WASM_OP_I64_GE_U ? WASM_OP_I64_EQ
                                                              : -1;
  return base < 0 ? -1 : base + inv[op - base];
}

/* Chains: two binary ops of one type where the second takes the first's
 * result (from the accumulator), as one instruction [h, dst, a, b, c, t]:
 *   t = op1(a, b)          b a slot, or an immediate in form CH_K; in form
 *                          CH_ACC a is the accumulator (its cell ignored)
 *   dst = op2(t, c)        CH_A1;  op2(t, K) with K = c: CH_A1K;
 *         op2(c, t)        CH_A2 (op2 not commutative)
 * and t is also written to its slot (cell 5), as op1 would: it may be a
 * local. The ops chained, per type: X(args.., OP, NC), NC 1 where op2
 * needs CH_A2. When t is a stack slot (only op2 reads it), the chain's
 * twin at XOP_CHAIN_NT leaves that write out; when dst is one too and the
 * next instruction reads it from the accumulator, the twin at
 * XOP_CHAIN_NW writes neither (wasm_code_chain_of maps them back). */
#define CHAIN_I32_1(X, ...)                                                    \
  X(__VA_ARGS__, I32_ADD, 0) X(__VA_ARGS__, I32_SUB, 1) X(__VA_ARGS__, I32_AND, 0) X(__VA_ARGS__, I32_OR, 0)         \
  X(__VA_ARGS__, I32_XOR, 0) X(__VA_ARGS__, I32_SHL, 1) X(__VA_ARGS__, I32_SHR_U, 1) X(__VA_ARGS__, I32_ROTL, 1)
#define CHAIN_I32_2(X, ...)                                                    \
  X(__VA_ARGS__, I32_ADD, 0) X(__VA_ARGS__, I32_SUB, 1) X(__VA_ARGS__, I32_AND, 0) X(__VA_ARGS__, I32_OR, 0)         \
  X(__VA_ARGS__, I32_XOR, 0) X(__VA_ARGS__, I32_SHL, 1) X(__VA_ARGS__, I32_SHR_U, 1)
#define CHAIN_F64_1(X, ...) X(__VA_ARGS__, F64_ADD, 0) X(__VA_ARGS__, F64_SUB, 1) X(__VA_ARGS__, F64_MUL, 0)
#define CHAIN_F64_2(X, ...) X(__VA_ARGS__, F64_ADD, 0) X(__VA_ARGS__, F64_SUB, 1) X(__VA_ARGS__, F64_MUL, 0)
/* Branch chains: a chain whose op2 is a compare, fused with the br_if or
 * if on its result as well: [h, a, b, c, t, nz, target], jump when
 * op2(t, c) holds (nz is 1: the compiler inverts a compare that would
 * jump on zero; forms CH_A1 and CH_A1K only: it turns CH_A2 around by
 * swapping the compare). */
#define CHAIN_BR_1(X, ...) X(__VA_ARGS__, I32_ADD, 0) X(__VA_ARGS__, I32_SUB, 0)
#define CHAIN_BR_2(X, ...)                                                     \
  X(__VA_ARGS__, I32_EQ, 0) X(__VA_ARGS__, I32_NE, 0) X(__VA_ARGS__, I32_LT_S, 0) X(__VA_ARGS__, I32_LT_U, 0)        \
  X(__VA_ARGS__, I32_GT_S, 0) X(__VA_ARGS__, I32_GT_U, 0) X(__VA_ARGS__, I32_LE_S, 0) X(__VA_ARGS__, I32_LE_U, 0)    \
  X(__VA_ARGS__, I32_GE_S, 0) X(__VA_ARGS__, I32_GE_U, 0)
enum { CH_PLAIN, CH_K, CH_ACC };   /* forms of op1 */
enum { CH_A1, CH_A1K, CH_A2 };     /* forms of op2 */
#define CHAIN_POS(A, OP, NC) CHP_##A##_##OP,
enum { CHAIN_I32_1(CHAIN_POS, I32_1) CHP_I32_1_N };
enum { CHAIN_I32_2(CHAIN_POS, I32_2) CHP_I32_2_N };
enum { CHAIN_F64_1(CHAIN_POS, F64_1) CHP_F64_1_N };
enum { CHAIN_F64_2(CHAIN_POS, F64_2) CHP_F64_2_N };
enum { CHAIN_BR_1(CHAIN_POS, BR_1) CHP_BR_1_N };
enum { CHAIN_BR_2(CHAIN_POS, BR_2) CHP_BR_2_N };
#undef CHAIN_POS
#define XOP_CHAIN_I32 XOPV(XV_COUNT, 0)
#define XOP_CHAIN_F64 (XOP_CHAIN_I32 + CHP_I32_1_N * CHP_I32_2_N * 9)
#define XOP_CHAIN_BR (XOP_CHAIN_F64 + CHP_F64_1_N * CHP_F64_2_N * 9)
/* The opcode of a chain: its family's base, positions in the lists. */
#define XOP_CHAIN(base, n2, p1, f1, p2, f2) ((base) + (((p1) * (n2) + (p2)) * 3 + (f1)) * 3 + (f2))
#define XOP_CHAIN_END (XOP_CHAIN_BR + CHP_BR_1_N * CHP_BR_2_N * 9)
/* The twins of chain c (any family): XOP_CHAIN_NT + c - XOP_CHAIN_I32;
 * of an I32 or F64 chain c: XOP_CHAIN_NW + c - XOP_CHAIN_I32. */
#define XOP_CHAIN_NT XOP_CHAIN_END
#define XOP_CHAIN_NW (XOP_CHAIN_NT + (XOP_CHAIN_END - XOP_CHAIN_I32))
#define XOP_TABLE_SIZE (XOP_CHAIN_NW + (XOP_CHAIN_BR - XOP_CHAIN_I32))
/* The chain a twin (or chain) op stands for; how much it writes: 2 t and
 * dst (or t, in a branch chain), 1 dst only, 0 neither. */
static inline int wasm_code_chain_of(int op, int *writes) {
  *writes = op >= XOP_CHAIN_NW ? 0 : op >= XOP_CHAIN_NT ? 1 : 2;
  return op >= XOP_CHAIN_NW ? op - XOP_CHAIN_NW + XOP_CHAIN_I32
         : op >= XOP_CHAIN_NT ? op - XOP_CHAIN_NT + XOP_CHAIN_I32 : op;
}

/* Exception handlers (try_table): a try covers the cells [start, end) of
 * the body; its catch clauses are catches[first .. first+count). Tries are
 * in order of their start, so the innermost covering try is the last one.
 * A catch of a thrown tag (or any, tag UINT32_MAX) copies the payload to
 * slot dst and continues at cell `landing` (a jump to the label). */
typedef struct wasm_catch {
  uint32_t tag;     /* tag index in the instance, or UINT32_MAX: catch_all */
  uint32_t landing; /* cell index */
  uint32_t dst;     /* frame slot of the payload */
  uint32_t ref;     /* catch_ref / catch_all_ref: an exnref follows it */
} wasm_catch;

typedef struct wasm_try {
  uint32_t start, end, first, count;
} wasm_try;

/* A compiled function. */
typedef struct wasm_code {
  wasm_cell *cells;
  size_t ncells;
  uint32_t nparam_slots;  /* params, at slot 0 */
  uint32_t nlocal_slots;  /* declared locals after them, zeroed on entry */
  uint32_t nresult_slots; /* results, at slot 0 on return */
  uint32_t max_slots;     /* frame size: params + locals + max stack */
  wasm_try *tries;        /* exception handlers, or NULL */
  uint32_t ntries;
  wasm_catch *catches;
} wasm_code;

/* The interpreter's handler table, indexed by opcode (wasm_op or
 * wasm_xop); entries are NULL for opcodes that are never emitted. */
const void *const *wasm_exec_handlers(void);

/* A readable name of an internal opcode ("i32.add.k"), in buf if needed. */
const char *wasm_code_op_name(int op, char *buf, size_t n);

/* With -DEXEC_PROFILE the interpreter reports each instruction it
 * dispatches (wasm_exec_prof.c). */
void wasm_exec_prof_hit(const void *h);

/* XOP_MEMOP_MULTI [h, op, mem, mem2/seg, dst?, inputs.., offset?, lane?]
 * (layout in wasm_exec_mem.c): runs it on inst's memories; returns the next
 * instruction, or NULL with *trap set. */
struct wasm_instance;
const wasm_cell *wasm_exec_memop_multi(struct wasm_instance *inst, uint64_t *fp,
                                       const wasm_cell *ip, const char **trap);

static inline uint32_t wasm_kind_slots(uint8_t kind) {
  return kind == 0x7B /* WASM_V128 */ ? 2 : 1;
}

#endif
