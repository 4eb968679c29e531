/*
 * wasm_exec_ops.h: the typed helpers behind the interpreter's generated
 * handlers (wasm_exec.c, its only user): slot access, the numeric, lane
 * and memory helper families and the _Generic tables that pick one from
 * the C type of NUM_<ID> (wasm_numeric.h), so each instruction's
 * signature is written once. Every helper takes (fp, ip, acc, ...) and
 * returns the next instruction or a trap code (xres).
 */
#ifndef WASM_EXEC_OPS_H
#define WASM_EXEC_OPS_H

#include <string.h>

#include "wasm_code.h"
#include "wasm_numeric.h"

/* Sanitizer builds do not force the helpers inline, and when optimising
 * they also leave out the generated variants: instrumented, the interpreter
 * function otherwise takes clang minutes to compile (several of its
 * analyses are superlinear in its size). The compiler then emits the plain
 * instructions, which the spec tests cover the same way. The Makefile
 * compiles wasm_exec.c at -O0 under SAN=1 (about 50 s with the first level
 * of variants, K/BR/BRK/ADDK), so the sanitizer run covers those; the
 * second level (accumulator, memory fusions, chains: EXEC_VARIANTS 2)
 * would take it minutes and is left to the optimised build and the spec
 * tests. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EXEC_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define EXEC_SANITIZED 1
#endif
#ifdef EXEC_SANITIZED
#ifdef __OPTIMIZE__
#define EXEC_VARIANTS 0
#else
#define EXEC_VARIANTS 1
#endif
#define XINLINE static inline __attribute__((unused))
#else
#define EXEC_VARIANTS 2
#define XINLINE static inline __attribute__((always_inline, unused))
#endif

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Nested entries (host -> wasm -> host -> ...) each use C stack; cap them
 * well below what an 8 MiB stack holds. */
#define EXEC_MAX_NESTING 500

static _Thread_local unsigned exec_nesting;

/* ---- typed slot access ---- */

typedef uint32_t xu32;
typedef uint64_t xu64;
typedef float xf32;
typedef double xf64;
typedef wasm_v128 xv128;

static inline xu32 rd_u32(const uint64_t *s) { return (xu32)*s; }
static inline xu64 rd_u64(const uint64_t *s) { return *s; }
static inline xf32 rd_f32(const uint64_t *s) { xf32 v; memcpy(&v, s, 4); return v; }
static inline xf64 rd_f64(const uint64_t *s) { xf64 v; memcpy(&v, s, 8); return v; }
static inline xv128 rd_v128(const uint64_t *s) { xv128 v; memcpy(&v, s, 16); return v; }
static inline void wr_u32(uint64_t *s, xu32 v) { *s = v; }
static inline void wr_u64(uint64_t *s, xu64 v) { *s = v; }
static inline void wr_f32(uint64_t *s, xf32 v) { uint32_t b; memcpy(&b, &v, 4); *s = b; }
static inline void wr_f64(uint64_t *s, xf64 v) { memcpy(s, &v, 8); }
static inline void wr_v128(uint64_t *s, xv128 v) { memcpy(s, &v, 16); }

/* Cross products over the five slot types, for the helper families. */
#define FOR_T(X, A) X(A, u32) X(A, u64) X(A, f32) X(A, f64) X(A, v128)
#define FOR_T2(X) FOR_T(X, u32) FOR_T(X, u64) FOR_T(X, f32) FOR_T(X, f64) FOR_T(X, v128)
/* Operand types of the variants: immediates and the accumulator for
 * scalar ops, fused branches for compares of scalars and unary integer
 * ops (eqz) only, to keep the handler count (and the compilers' time on
 * this function) down. */
#define FOR_I(X, A) X(A, u32) X(A, u64)
#define FOR_S2(X) FOR_T(X, u32) FOR_T(X, u64) FOR_T(X, f32) FOR_T(X, f64)
#define FOR_S(X, A) X(A, u32) X(A, u64) X(A, f32) X(A, f64)

/* A helper's outcome: the next instruction, or a trap code (WASM_NUMTRAP_*
 * or EXEC_INTERNAL_ERROR). Returned by value so ip stays in a register. */
typedef struct xres {
  const wasm_cell *ip;
  int trap;
} xres;
#define EXEC_INTERNAL_ERROR (-1)

/* Reached only from handlers the table leaves out (a variant that does not
 * apply to the instruction's type). */
static xres ex_bad(uint64_t *fp, const wasm_cell *ip, ...) {
  return (xres){ip, EXEC_INTERNAL_ERROR};
}

/* ---- numeric helpers ----
 * plain [h, dst, in1 (, in2 (, in3))]; K variant [h, dst, in1, imm]: the
 * second operand is an immediate, read from the code cell as if it were a
 * slot. Where an operand comes from: OP_S a slot named by cell k, OP_K the
 * cell itself, OP_A the accumulator.
 *
 * The accumulator: every scalar result is also left in `acc` (a local of
 * the interpreter that stays in a register), so the next instruction may
 * take it from there instead of its slot (the XV_A* variants, which have
 * the layout of the instruction they vary and ignore that operand cell). */
#define OP_S(P, k) rd_##P(fp + ip[k].u)
#define OP_K(P, k) rd_##P(&ip[k].u)
#define OP_A(P, k) acc_##P(acc)
/* The accumulator has one register per register class: an integer result
 * goes to `i` (an i32 zero-extended, as in slots), a float result to `d`
 * or `f`, so a float op that reads the last result takes it from an
 * FP register without a move from an integer one. Which field a variant
 * reads is its operand type, which wasm's typing makes the type of the
 * producer's result (the compiler sets the accumulator only for results
 * it tracks, wc_set_acc). */
typedef struct xacc {
  uint64_t i;
  xf64 d;
  xf32 f;
} xacc;
static inline xu32 acc_u32(const xacc *a) { return (xu32)a->i; }
static inline xu64 acc_u64(const xacc *a) { return a->i; }
static inline xf32 acc_f32(const xacc *a) { return a->f; }
static inline xf64 acc_f64(const xacc *a) { return a->d; }
static inline void acc_set_u32(xacc *a, xu32 v) { a->i = v; }
static inline void acc_set_u64(xacc *a, xu64 v) { a->i = v; }
static inline void acc_set_f32(xacc *a, xf32 v) { a->f = v; }
static inline void acc_set_f64(xacc *a, xf64 v) { a->d = v; }
#define ACC_u32(v) acc_set_u32(acc, v)
#define ACC_u64(v) acc_set_u64(acc, v)
#define ACC_f32(v) acc_set_f32(acc, v)
#define ACC_f64(v) acc_set_f64(acc, v)
#define ACC_v128(v) ((void)0)
/* Writes a result of type R to the slot of cell k (and the accumulator). */
#define WR(R, k, v)                                                          \
  do {                                                                       \
    x##R v_ = (v);                                                           \
    wr_##R(fp + ip[k].u, v_);                                                \
    ACC_##R(v_);                                                             \
  } while (0)
#define XARGS uint64_t *fp, const wasm_cell *ip, xacc *acc

/* Families over (P, R): S is the name suffix, S1/S2 the operand sources. */
/* Each with its no-write twin (suffix nw, XV_*_NW: the accumulator only). */
#define WR_ACC(R, k, v) ACC_##R(v)
#define DEF_UNF(S, S1, P, R) DEF_UNW(S, S1, P, R, WR) DEF_UNW(S##nw, S1, P, R, WR_ACC)
#define DEF_UNW(S, S1, P, R, W)                                              \
  XINLINE xres ex_un##S##_##P##_##R(XARGS, x##R (*f)(x##P)) {                \
    W(R, 1, f(S1(P, 2)));                                                    \
    return (xres){ip + 3, 0};                                                \
  }
#define DEF_BINF(S, S1, S2, P, R)                                            \
  DEF_BINW(S, S1, S2, P, R, WR) DEF_BINW(S##nw, S1, S2, P, R, WR_ACC)
#define DEF_BINW(S, S1, S2, P, R, W)                                         \
  XINLINE xres ex_bin##S##_##P##_##R(XARGS, x##R (*f)(x##P, x##P)) {         \
    W(R, 1, f(S1(P, 2), S2(P, 3)));                                          \
    return (xres){ip + 4, 0};                                                \
  }
/* Trapping ops return a WASM_NUMTRAP_* code and write through a pointer. */
#define DEF_TUNF(S, S1, P, R)                                                \
  XINLINE xres ex_tun##S##_##P##_##R(XARGS, int (*f)(x##P, x##R *)) {        \
    x##R r;                                                                  \
    int t = f(S1(P, 2), &r);                                                 \
    if (UNLIKELY(t)) return (xres){ip, t};                                   \
    WR(R, 1, r);                                                             \
    return (xres){ip + 3, 0};                                                \
  }
#define DEF_TBINF(S, S1, S2, P, R)                                           \
  XINLINE xres ex_tbin##S##_##P##_##R(XARGS, int (*f)(x##P, x##P, x##R *)) { \
    x##R r;                                                                  \
    int t = f(S1(P, 2), S2(P, 3), &r);                                       \
    if (UNLIKELY(t)) return (xres){ip, t};                                   \
    WR(R, 1, r);                                                             \
    return (xres){ip + 4, 0};                                                \
  }
#define DEF_PLAIN(P, R)                                                      \
  DEF_UNF(, OP_S, P, R)                                                      \
  DEF_BINF(, OP_S, OP_S, P, R)                                               \
  DEF_BINF(k, OP_S, OP_K, P, R)                                              \
  DEF_TUNF(, OP_S, P, R)                                                     \
  DEF_TBINF(, OP_S, OP_S, P, R)                                              \
  DEF_TBINF(k, OP_S, OP_K, P, R)
#define DEF_ACC(P, R)                                                        \
  DEF_UNF(a1, OP_A, P, R)                                                    \
  DEF_BINF(a1, OP_A, OP_S, P, R)                                             \
  DEF_BINF(a1k, OP_A, OP_K, P, R)                                            \
  DEF_BINF(a2, OP_S, OP_A, P, R)                                             \
  DEF_TUNF(a1, OP_A, P, R)                                                   \
  DEF_TBINF(a1, OP_A, OP_S, P, R)                                            \
  DEF_TBINF(a1k, OP_A, OP_K, P, R)                                           \
  DEF_TBINF(a2, OP_S, OP_A, P, R)
FOR_T2(DEF_PLAIN)
FOR_S2(DEF_ACC)

/* SIMD shifts "vi:v" (count in a slot or immediate), v128.bitselect. */
XINLINE xres ex_shift(XARGS, xv128 (*f)(xv128, xu32)) {
  wr_v128(fp + ip[1].u, f(rd_v128(fp + ip[2].u), rd_u32(fp + ip[3].u)));
  return (xres){ip + 4, 0};
}
XINLINE xres ex_shiftk(XARGS, xv128 (*f)(xv128, xu32)) {
  wr_v128(fp + ip[1].u, f(rd_v128(fp + ip[2].u), rd_u32(&ip[3].u)));
  return (xres){ip + 4, 0};
}
XINLINE xres ex_tern(XARGS, xv128 (*f)(xv128, xv128, xv128)) {
  wr_v128(fp + ip[1].u, f(rd_v128(fp + ip[2].u), rd_v128(fp + ip[3].u),
                          rd_v128(fp + ip[4].u)));
  return (xres){ip + 5, 0};
}

/* Fused "op; br_if" (and "op; if"): an integer op with an i32 result
 * that only feeds a branch jumps on it directly. The `nz` operand is 1 to
 * jump when the result is nonzero, 0 to jump when it is zero; an integer
 * compare always has nz 1 (the compiler inverts the compare instead), so
 * its handler does not read it (wasm_code_compare_inverse).
 * [h, in1, nz, target], [h, in1, in2, nz, target], K: [h, in1, imm, nz, target]
 * The helpers return whether the branch is taken and the length, the
 * target being its last cell. */
typedef struct xbr {
  bool taken;
  unsigned len;
} xbr;
#define BR_TAKEN(op, v, k)                                                   \
  (wasm_code_compare_inverse(op) >= 0 ? (v) != 0 : ((v) != 0) == ip[k].u)
/* Reached only from branch handlers the table leaves out. */
static xbr ex_badbr(uint64_t *fp, const wasm_cell *ip, ...) {
  (void)fp, (void)ip;
  return (xbr){false, 1};
}
#define DEF_BRUNF(S, S1, P)                                                  \
  XINLINE xbr ex_brun##S##_##P(XARGS, int op, xu32 (*f)(x##P)) {             \
    return (xbr){BR_TAKEN(op, f(S1(P, 1)), 2), 4};                           \
  }
#define DEF_BRBINF(S, S1, S2, P)                                             \
  XINLINE xbr ex_brbin##S##_##P(XARGS, int op, xu32 (*f)(x##P, x##P)) {      \
    return (xbr){BR_TAKEN(op, f(S1(P, 1), S2(P, 2)), 3), 5};                 \
  }
/* Unary ops (eqz) of integers; binary ones (compares) of any scalar. */
#define DEF_BRUN(A, P)                                                       \
  DEF_BRUNF(, OP_S, P)                                                       \
  DEF_BRUNF(a1, OP_A, P)
#define DEF_BR(A, P)                                                         \
  DEF_BRBINF(, OP_S, OP_S, P)                                                \
  DEF_BRBINF(k, OP_S, OP_K, P)                                               \
  DEF_BRBINF(a1, OP_A, OP_S, P)                                              \
  DEF_BRBINF(a1k, OP_A, OP_K, P)                                             \
  DEF_BRBINF(a2, OP_S, OP_A, P)
FOR_I(DEF_BRUN, _)
FOR_S(DEF_BR, _)

/* Instructions with no immediate that are not numeric get a stand-in so
 * the generated handlers expand; the table leaves them out. */
static inline void num_standin(void) {}
#define NUM_UNREACHABLE num_standin
#define NUM_NOP num_standin
#define NUM_ELSE num_standin
#define NUM_END num_standin
#define NUM_RETURN num_standin
#define NUM_DROP num_standin
#define NUM_SELECT num_standin
#define NUM_REF_IS_NULL num_standin
#define NUM_THROW_REF num_standin /* compiled to XOP_THROW_REF */

/* Type cross products with a name suffix S: X(S, P, R), X(S, P). */
#define FOR_R(X, S, P) X(S, P, u32) X(S, P, u64) X(S, P, f32) X(S, P, f64) X(S, P, v128)
#define FOR_PR(X, S)                                                         \
  FOR_R(X, S, u32) FOR_R(X, S, u64) FOR_R(X, S, f32) FOR_R(X, S, f64) FOR_R(X, S, v128)
#define FOR_PRS(X, S) FOR_R(X, S, u32) FOR_R(X, S, u64) FOR_R(X, S, f32) FOR_R(X, S, f64)
#define FOR_PI(X, S) X(S, u32) X(S, u64)
#define FOR_PS(X, S) X(S, u32) X(S, u64) X(S, f32) X(S, f64)
#define ASSOC_UN(S, P, R) x##R (*)(x##P): ex_un##S##_##P##_##R,
#define ASSOC_BIN(S, P, R) x##R (*)(x##P, x##P): ex_bin##S##_##P##_##R,
#define ASSOC_TUN(S, P, R) int (*)(x##P, x##R *): ex_tun##S##_##P##_##R,
#define ASSOC_TBIN(S, P, R) int (*)(x##P, x##P, x##R *): ex_tbin##S##_##P##_##R,
#define ASSOC_BRUN(S, P) xu32 (*)(x##P): ex_brun##S##_##P,
#define ASSOC_BRBIN(S, P) xu32 (*)(x##P, x##P): ex_brbin##S##_##P,
#define XCALL(fn) (fp, ip, &acc, fn)
#define EXEC_NUM(fn)                                                         \
  _Generic(&(fn), FOR_PR(ASSOC_UN, ) FOR_PR(ASSOC_BIN, ) FOR_PR(ASSOC_TUN, ) \
           FOR_PR(ASSOC_TBIN, )                                              \
           xv128 (*)(xv128, xu32): ex_shift,                                 \
           xv128 (*)(xv128, xv128, xv128): ex_tern,                          \
           default: ex_bad) XCALL(fn)
#define EXEC_NUMK(fn)                                                        \
  _Generic(&(fn), FOR_PRS(ASSOC_BIN, k) FOR_PRS(ASSOC_TBIN, k)               \
           xv128 (*)(xv128, xu32): ex_shiftk,                                \
           default: ex_bad) XCALL(fn)
/* The accumulator variants take scalar operands only. */
#define EXEC_A1(fn)                                                          \
  _Generic(&(fn), FOR_PRS(ASSOC_UN, a1) FOR_PRS(ASSOC_BIN, a1)               \
           FOR_PRS(ASSOC_TUN, a1) FOR_PRS(ASSOC_TBIN, a1)                    \
           default: ex_bad) XCALL(fn)
#define EXEC_BINV(fn, S)                                                     \
  _Generic(&(fn), FOR_PRS(ASSOC_BIN, S) FOR_PRS(ASSOC_TBIN, S)               \
           default: ex_bad) XCALL(fn)
#define EXEC_BR(op, fn, S)                                                   \
  _Generic(&(fn), FOR_PI(ASSOC_BRUN, S) FOR_PS(ASSOC_BRBIN, S)               \
           default: ex_badbr)(fp, ip, &acc, op, fn)
#define EXEC_BRK(op, fn, S)                                                  \
  _Generic(&(fn), FOR_PS(ASSOC_BRBIN, S) default: ex_badbr)(fp, ip, &acc, op, fn)

/* The no-write twins: ops with a scalar result only (S is a form's suffix
 * followed by nw). */
#define FOR_RS(X, S, P) X(S, P, u32) X(S, P, u64) X(S, P, f32) X(S, P, f64)
#define FOR_PRSS(X, S) FOR_RS(X, S, u32) FOR_RS(X, S, u64) FOR_RS(X, S, f32) FOR_RS(X, S, f64)
#define EXEC_NUMNW(fn, S)                                                    \
  _Generic(&(fn), FOR_PRSS(ASSOC_UN, S) FOR_PRSS(ASSOC_BIN, S) default: ex_bad) XCALL(fn)
#define EXEC_BINNW(fn, S) _Generic(&(fn), FOR_PRSS(ASSOC_BIN, S) default: ex_bad) XCALL(fn)
#define HAS_NUMNW(fn) _Generic(&(fn), FOR_PRSS(AVAIL_UN, _) FOR_PRSS(AVAIL_BIN, _) default: 0)
#define HAS_BINNW(fn) _Generic(&(fn), FOR_PRSS(AVAIL_BIN, _) default: 0)

/* Which variants exist (1) for an instruction, from NUM_<ID>'s type. */
#define AVAIL_UN(S, P, R) x##R (*)(x##P): 1,
#define AVAIL_BIN(S, P, R) x##R (*)(x##P, x##P): 1,
#define AVAIL_TUN(S, P, R) int (*)(x##P, x##R *): 1,
#define AVAIL_TBIN(S, P, R) int (*)(x##P, x##P, x##R *): 1,
#define AVAIL_BRUN(S, P) xu32 (*)(x##P): 1,
#define AVAIL_BRBIN(S, P) xu32 (*)(x##P, x##P): 1,
#define HAS_NUMK(fn)                                                         \
  _Generic(&(fn), FOR_PRS(AVAIL_BIN, _) FOR_PRS(AVAIL_TBIN, _)               \
           xv128 (*)(xv128, xu32): 1, default: 0)
#define HAS_BINS(fn)                                                         \
  _Generic(&(fn), FOR_PRS(AVAIL_BIN, _) FOR_PRS(AVAIL_TBIN, _) default: 0)
#define HAS_A1(fn)                                                           \
  _Generic(&(fn), FOR_PRS(AVAIL_UN, _) FOR_PRS(AVAIL_BIN, _)                 \
           FOR_PRS(AVAIL_TUN, _) FOR_PRS(AVAIL_TBIN, _) default: 0)
#define HAS_BR(fn)                                                           \
  _Generic(&(fn), FOR_PI(AVAIL_BRUN, _) FOR_PS(AVAIL_BRBIN, _) default: 0)
#define HAS_BRK(fn) _Generic(&(fn), FOR_PS(AVAIL_BRBIN, _) default: 0)

/* ---- lane helpers: extract [h, dst, v, lane], replace [h, dst, v, x, lane] ---- */

#define DEF_EXTRACT(A, R)                                                    \
  XINLINE xres ex_extract_##R(uint64_t *fp, const wasm_cell *ip,             \
                              x##R (*f)(xv128, xu32)) {                      \
    wr_##R(fp + ip[1].u, f(rd_v128(fp + ip[2].u), (xu32)ip[3].u));           \
    return (xres){ip + 4, 0};                                                \
  }
#define DEF_REPLACE(A, R)                                                    \
  XINLINE xres ex_replace_##R(uint64_t *fp, const wasm_cell *ip,             \
                              xv128 (*f)(xv128, xu32, x##R)) {               \
    wr_v128(fp + ip[1].u,                                                    \
            f(rd_v128(fp + ip[2].u), (xu32)ip[4].u, rd_##R(fp + ip[3].u)));  \
    return (xres){ip + 5, 0};                                                \
  }
FOR_T(DEF_EXTRACT, _)
FOR_T(DEF_REPLACE, _)
#define ASSOC_EXTRACT(A, R) x##R (*)(xv128, xu32): ex_extract_##R,
#define ASSOC_REPLACE(A, R) xv128 (*)(xv128, xu32, x##R): ex_replace_##R,
#define EXEC_LANE(fn)                                                        \
  _Generic(&(fn), FOR_T(ASSOC_EXTRACT, _) FOR_T(ASSOC_REPLACE, _)            \
           default: ex_bad)(fp, ip, fn)

/* ---- memory helpers: bounds-checked against memory 0 ---- */

/* Scalar loads/stores and v128.load/store, which wasm_numeric.h leaves to
 * the executor, in the NUM_<ID> form the generated handlers expect. */
#define LOAD_FN(ID, RT, MT)                                                  \
  static inline RT NUM_##ID(const uint8_t *p) {                              \
    MT x;                                                                    \
    memcpy(&x, p, sizeof x);                                                 \
    return (RT)x;                                                            \
  }
#define STORE_FN(ID, VT, MT)                                                 \
  static inline void NUM_##ID(uint8_t *p, VT v) {                            \
    MT x = (MT)v;                                                            \
    memcpy(p, &x, sizeof x);                                                 \
  }
LOAD_FN(I32_LOAD, xu32, uint32_t)
LOAD_FN(I64_LOAD, xu64, uint64_t)
LOAD_FN(F32_LOAD, xf32, float)
LOAD_FN(F64_LOAD, xf64, double)
LOAD_FN(I32_LOAD8_S, xu32, int8_t)
LOAD_FN(I32_LOAD8_U, xu32, uint8_t)
LOAD_FN(I32_LOAD16_S, xu32, int16_t)
LOAD_FN(I32_LOAD16_U, xu32, uint16_t)
LOAD_FN(I64_LOAD8_S, xu64, int8_t)
LOAD_FN(I64_LOAD8_U, xu64, uint8_t)
LOAD_FN(I64_LOAD16_S, xu64, int16_t)
LOAD_FN(I64_LOAD16_U, xu64, uint16_t)
LOAD_FN(I64_LOAD32_S, xu64, int32_t)
LOAD_FN(I64_LOAD32_U, xu64, uint32_t)
STORE_FN(I32_STORE, xu32, uint32_t)
STORE_FN(I64_STORE, xu64, uint64_t)
STORE_FN(F32_STORE, xf32, float)
STORE_FN(F64_STORE, xf64, double)
STORE_FN(I32_STORE8, xu32, uint8_t)
STORE_FN(I32_STORE16, xu32, uint16_t)
STORE_FN(I64_STORE8, xu64, uint8_t)
STORE_FN(I64_STORE16, xu64, uint16_t)
STORE_FN(I64_STORE32, xu64, uint32_t)
static inline xv128 NUM_V128_LOAD(const uint8_t *p) { xv128 v; memcpy(&v, p, 16); return v; }
static inline void NUM_V128_STORE(uint8_t *p, xv128 v) { memcpy(p, &v, 16); }

/* Effective addresses (an offset into memory 0) of the addressing forms;
 * the memarg offset is in cell 3 of every memory instruction but the lane
 * ones. a: the cell of the address slot.
 *   plain  fp[a] + off
 *   ADDK   (i32)(fp[a] + K) + off, K in cell 4
 *   ADDX   (i32)(fp[a] + fp[x]) + off, slot x in cell 4 */
#define EA_PLAIN(a) ((uint64_t)rd_u32(fp + ip[a].u) + ip[3].u)
#define EA_ADDK(a) ((uint64_t)(uint32_t)(rd_u32(fp + ip[a].u) + (uint32_t)ip[4].u) + ip[3].u)
#define EA_ADDX(a)                                                           \
  ((uint64_t)(uint32_t)(rd_u32(fp + ip[a].u) + rd_u32(fp + ip[4].u)) + ip[3].u)
/*   XV_A1 loads: acc + off (the address cell is ignored)
 *   XV_AK  K + off, K in the address cell */
#define EA_ACC(a) ((uint64_t)acc_u32(acc) + ip[3].u)
#define EA_IMM(a) (ip[a].u + ip[3].u)
/* Declares p, the host address of an access of `size` bytes at effective
 * address ea, or returns trap 1 when it does not fit in memory. */
#define MEM_AT(p, ea, size)                                                  \
  uint64_t p##_a = (ea);                                                     \
  if (UNLIKELY(p##_a + (size) > ms)) return (xres){ip, 1};                   \
  uint8_t *p = mb + p##_a

/* load [h, dst, addr, off (, K|x)]; store [h, addr, val, off (, K|x)];
 * XV_STI store [h, addr, imm, off]: the value is an immediate; XV_A1
 * store: the value is acc (its cell ignored). Loads leave a scalar result
 * in acc too. An out-of-bounds access returns trap 1. */
#define XMARGS XARGS, uint8_t *mb, uint64_t ms, uint64_t size
#define DEF_LOADF(SUF, EA, N, R) DEF_LOADW(SUF, EA, N, R, WR)
/* W: WR, or WR_ACC for the XV_*_NW twins. */
#define DEF_LOADW(SUF, EA, N, R, W)                                          \
  XINLINE xres ex_load##SUF##_##R(XMARGS, x##R (*f)(const uint8_t *)) {      \
    MEM_AT(p, EA(2), size);                                                  \
    W(R, 1, f(p));                                                           \
    return (xres){ip + N, 0};                                                \
  }
#define DEF_STOREF(SUF, EA, VAL, N, T)                                       \
  XINLINE xres ex_store##SUF##_##T(XMARGS, void (*f)(uint8_t *, x##T)) {     \
    MEM_AT(p, EA(1), size);                                                  \
    f(p, VAL(T, 2));                                                         \
    return (xres){ip + N, 0};                                                \
  }
#define DEF_LOAD(A, R) DEF_LOADF(, EA_PLAIN, 4, R)
#define DEF_LOADK(A, R) DEF_LOADF(k, EA_ADDK, 5, R)
#define DEF_LOADX(A, R) DEF_LOADF(x, EA_ADDX, 5, R)
#define DEF_LOADA(A, R) DEF_LOADF(a, EA_ACC, 4, R)
#define DEF_LOADI(A, R) DEF_LOADF(i, EA_IMM, 4, R)
#define DEF_STORE(A, T) DEF_STOREF(, EA_PLAIN, OP_S, 4, T)
#define DEF_STOREK(A, T) DEF_STOREF(k, EA_ADDK, OP_S, 5, T)
#define DEF_STOREX(A, T) DEF_STOREF(x, EA_ADDX, OP_S, 5, T)
#define DEF_STOREI(A, T) DEF_STOREF(i, EA_PLAIN, OP_K, 4, T)
#define DEF_STOREA(A, T) DEF_STOREF(a, EA_PLAIN, OP_A, 4, T)
#define DEF_STOREAK(A, T) DEF_STOREF(ak, EA_IMM, OP_S, 4, T)
FOR_T(DEF_LOAD, _)
FOR_T(DEF_LOADK, _)
FOR_T(DEF_LOADX, _)
FOR_T(DEF_STORE, _)
FOR_T(DEF_STOREK, _)
FOR_T(DEF_STOREX, _)
FOR_S(DEF_STOREI, _)
FOR_T(DEF_LOADA, _)
FOR_S(DEF_STOREA, _)
FOR_T(DEF_LOADI, _)
FOR_T(DEF_STOREAK, _)
#define DEF_LOADNW(A, R)                                                     \
  DEF_LOADW(nw, EA_PLAIN, 4, R, WR_ACC) DEF_LOADW(knw, EA_ADDK, 5, R, WR_ACC) \
  DEF_LOADW(xnw, EA_ADDX, 5, R, WR_ACC) DEF_LOADW(anw, EA_ACC, 4, R, WR_ACC) \
  DEF_LOADW(inw, EA_IMM, 4, R, WR_ACC)
FOR_S(DEF_LOADNW, _)
XINLINE xres ex_load_lane(XMARGS, xv128 (*f)(const uint8_t *, xv128, xu32)) {
  MEM_AT(p, (uint64_t)rd_u32(fp + ip[2].u) + ip[4].u, size);
  wr_v128(fp + ip[1].u, f(p, rd_v128(fp + ip[3].u), (xu32)ip[5].u));
  return (xres){ip + 6, 0};
}
XINLINE xres ex_store_lane(XMARGS, void (*f)(uint8_t *, xv128, xu32)) {
  MEM_AT(p, (uint64_t)rd_u32(fp + ip[1].u) + ip[3].u, size);
  f(p, rd_v128(fp + ip[2].u), (xu32)ip[4].u);
  return (xres){ip + 5, 0};
}
#define ASSOC_LOADF(SUF, R) x##R (*)(const uint8_t *): ex_load##SUF##_##R,
#define ASSOC_STOREF(SUF, T) void (*)(uint8_t *, x##T): ex_store##SUF##_##T,
#define EXEC_MEM(fn, size)                                                   \
  _Generic(&(fn), FOR_T(ASSOC_LOADF, ) FOR_T(ASSOC_STOREF, )                 \
           xv128 (*)(const uint8_t *, xv128, xu32): ex_load_lane,            \
           void (*)(uint8_t *, xv128, xu32): ex_store_lane)(                 \
      fp, ip, &acc, mbase, msize, size, fn)
#define EXEC_MEMF(fn, size, SUF)                                             \
  _Generic(&(fn), FOR_T(ASSOC_LOADF, SUF) FOR_T(ASSOC_STOREF, SUF)           \
           default: ex_bad)(fp, ip, &acc, mbase, msize, size, fn)
/* Scalar stores only: immediate or accumulator values. */
#define EXEC_MEMS(fn, size, SUF)                                             \
  _Generic(&(fn), FOR_S(ASSOC_STOREF, SUF) default: ex_bad)(                 \
      fp, ip, &acc, mbase, msize, size, fn)
#define EXEC_MEMAK(fn, size)                                                 \
  _Generic(&(fn), FOR_T(ASSOC_LOADF, i) FOR_T(ASSOC_STOREF, ak)              \
           default: ex_bad)(fp, ip, &acc, mbase, msize, size, fn)
#define EXEC_MEMA(fn, size)                                                  \
  _Generic(&(fn), FOR_T(ASSOC_LOADF, a) FOR_S(ASSOC_STOREF, a)               \
           default: ex_bad)(fp, ip, &acc, mbase, msize, size, fn)
/* The no-write twins: scalar loads only. */
#define EXEC_MEMNW(fn, size, SUF)                                            \
  _Generic(&(fn), FOR_S(ASSOC_LOADF, SUF) default: ex_bad)(                  \
      fp, ip, &acc, mbase, msize, size, fn)
#define HAS_LOADNW(fn) _Generic(&(fn), FOR_S(AVAIL_LOAD, _) default: 0)
#define AVAIL_STORE(A, T) void (*)(uint8_t *, x##T): 1,
#define AVAIL_LOAD(A, R) x##R (*)(const uint8_t *): 1,
#define HAS_STOREI(fn) _Generic(&(fn), FOR_S(AVAIL_STORE, _) default: 0)
#define HAS_MEMA(fn)                                                         \
  _Generic(&(fn), FOR_T(AVAIL_LOAD, _) FOR_S(AVAIL_STORE, _) default: 0)

/* A binary op fused with a full-width memory access of its operand type
 * (address forms as above, the memarg offset in cell 4 here):
 *   XV_LD  [h, dst, in1, addr, off, K]  in2 = load from (i32)(addr + K) + off
 *   XV_ST  [h, addr, in1, in2, off]     the result is stored at addr + off
 *   XV_RMW [h, addr, in, off]           m = f(in, m) for m at addr + off */
#define DEF_BINLD(S, P, W)                                                   \
  XINLINE xres ex_bin##S##_##P(XARGS, uint8_t *mb, uint64_t ms,              \
                               x##P (*f)(x##P, x##P)) {                      \
    MEM_AT(p, (uint64_t)(uint32_t)(rd_u32(fp + ip[3].u) + (uint32_t)ip[5].u) \
                  + ip[4].u, sizeof(x##P));                                  \
    x##P b;                                                                  \
    memcpy(&b, p, sizeof b);                                                 \
    W(P, 1, f(rd_##P(fp + ip[2].u), b));                                     \
    return (xres){ip + 6, 0};                                                \
  }
#define DEF_BINMEM(A, P)                                                     \
  DEF_BINLD(ld, P, WR)                                                       \
  DEF_BINLD(ldnw, P, WR_ACC)                                                 \
  XINLINE xres ex_binst_##P(XARGS, uint8_t *mb, uint64_t ms,                 \
                            x##P (*f)(x##P, x##P)) {                         \
    MEM_AT(p, (uint64_t)rd_u32(fp + ip[1].u) + ip[4].u, sizeof(x##P));       \
    x##P r = f(rd_##P(fp + ip[2].u), rd_##P(fp + ip[3].u));                  \
    memcpy(p, &r, sizeof r);                                                 \
    return (xres){ip + 5, 0};                                                \
  }                                                                          \
  XINLINE xres ex_binrmw_##P(XARGS, uint8_t *mb, uint64_t ms,                \
                             x##P (*f)(x##P, x##P)) {                        \
    MEM_AT(p, (uint64_t)rd_u32(fp + ip[1].u) + ip[3].u, sizeof(x##P));       \
    x##P m;                                                                  \
    memcpy(&m, p, sizeof m);                                                 \
    m = f(rd_##P(fp + ip[2].u), m);                                          \
    memcpy(p, &m, sizeof m);                                                 \
    return (xres){ip + 4, 0};                                                \
  }
FOR_S(DEF_BINMEM, _)
/* XOP_MAC_*: [h, B, x, A, o1, K, o2, t] (wasm_code.h), given the values
 * of B, A and x; wt 0 (the XOP_MAC_NT twins) leaves t unwritten. */
#define DEF_MAC(P, W)                                                        \
  XINLINE xres ex_mac_##P(XARGS, uint8_t *mb, uint64_t ms, xu32 vb, xu32 va, x##P x, \
                          int wt) {                                          \
    MEM_AT(p, (uint64_t)(uint32_t)(va + (uint32_t)ip[5].u) + ip[4].u, sizeof(x##P)); \
    x##P b, m;                                                               \
    memcpy(&b, p, sizeof b);                                                 \
    x##P t = NUM_##W##_MUL(x, b);                                            \
    if (wt) wr_##P(fp + ip[7].u, t);                                         \
    MEM_AT(q, (uint64_t)vb + ip[6].u, sizeof(x##P));                         \
    memcpy(&m, q, sizeof m);                                                 \
    m = NUM_##W##_ADD(t, m);                                                 \
    memcpy(q, &m, sizeof m);                                                 \
    return (xres){ip + 8, 0};                                                \
  }
DEF_MAC(u32, I32)
DEF_MAC(u64, I64)
DEF_MAC(f32, F32)
DEF_MAC(f64, F64)
#define ASSOC_BINMEM(SUF, P) x##P (*)(x##P, x##P): ex_bin##SUF##_##P,
#define EXEC_BINMEM(fn, SUF)                                                 \
  _Generic(&(fn), FOR_S(ASSOC_BINMEM, SUF) default: ex_bad)(                 \
      fp, ip, &acc, mbase, msize, fn)
#define AVAIL_BINMEM(A, P) x##P (*)(x##P, x##P): 1,
#define HAS_BINMEM(fn) _Generic(&(fn), FOR_S(AVAIL_BINMEM, _) default: 0)

#endif
