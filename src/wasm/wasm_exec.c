/*
 * wasm_exec.c: the interpreter for the slot code of wasm_code.h.
 *
 * One function, `interp`, with threaded dispatch: every handler ends with
 * `goto *ip->h`, the handler address the compiler stored in the code (it
 * gets the label table by calling interp in its init mode). Wasm-to-wasm
 * calls push a frame record on a separate call stack and stay in the same
 * loop; only host functions are called through C.
 *
 * The handlers of the pure numeric instructions, the lane ops and the memory
 * accesses are generated from wasm_opcodes.def: each calls NUM_<ID> from
 * wasm_numeric.h through a small typed helper, chosen with _Generic from
 * NUM_<ID>'s C type (so the signature is written once, in that header).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm_code.h"
#include "wasm_numeric.h"
#include "wasm_runtime.h"

/* Sanitizer builds do not force the helpers inline, and when optimising
 * they also leave out the generated variants: instrumented, the interpreter
 * function otherwise takes clang minutes to compile (several of its
 * analyses are superlinear in its size). The compiler then emits the plain
 * instructions, which the spec tests cover the same way. The Makefile
 * compiles this file at -O0 under SAN=1 (about 40 s with the first level
 * of variants, K/BR/BRK/ADDK), so the sanitizer run covers those; the
 * second level (accumulator, memory fusions: EXEC_VARIANTS 2) would take
 * it minutes and is left to the optimised build and the spec tests. */
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
 * scalar ops, fused branches for integer ops only, to keep the handler
 * count (and the compilers' time on this function) down. */
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
#define OP_S(k) (fp + ip[k].u)
#define OP_K(k) (&ip[k].u)
#define OP_A(k) (acc)
#define ACC_u32(v) wr_u32(acc, v)
#define ACC_u64(v) wr_u64(acc, v)
#define ACC_f32(v) wr_f32(acc, v)
#define ACC_f64(v) wr_f64(acc, v)
#define ACC_v128(v) ((void)0)
/* Writes a result of type R to the slot of cell k (and the accumulator). */
#define WR(R, k, v)                                                          \
  do {                                                                       \
    x##R v_ = (v);                                                           \
    wr_##R(fp + ip[k].u, v_);                                                \
    ACC_##R(v_);                                                             \
  } while (0)
#define XARGS uint64_t *fp, const wasm_cell *ip, uint64_t *acc

/* Families over (P, R): S is the name suffix, S1/S2 the operand sources. */
#define DEF_UNF(S, S1, P, R)                                                 \
  XINLINE xres ex_un##S##_##P##_##R(XARGS, x##R (*f)(x##P)) {                \
    WR(R, 1, f(rd_##P(S1(2))));                                              \
    return (xres){ip + 3, 0};                                                \
  }
#define DEF_BINF(S, S1, S2, P, R)                                            \
  XINLINE xres ex_bin##S##_##P##_##R(XARGS, x##R (*f)(x##P, x##P)) {         \
    WR(R, 1, f(rd_##P(S1(2)), rd_##P(S2(3))));                               \
    return (xres){ip + 4, 0};                                                \
  }
/* Trapping ops return a WASM_NUMTRAP_* code and write through a pointer. */
#define DEF_TUNF(S, S1, P, R)                                                \
  XINLINE xres ex_tun##S##_##P##_##R(XARGS, int (*f)(x##P, x##R *)) {        \
    x##R r;                                                                  \
    int t = f(rd_##P(S1(2)), &r);                                            \
    if (UNLIKELY(t)) return (xres){ip, t};                                   \
    WR(R, 1, r);                                                             \
    return (xres){ip + 3, 0};                                                \
  }
#define DEF_TBINF(S, S1, S2, P, R)                                           \
  XINLINE xres ex_tbin##S##_##P##_##R(XARGS, int (*f)(x##P, x##P, x##R *)) { \
    x##R r;                                                                  \
    int t = f(rd_##P(S1(2)), rd_##P(S2(3)), &r);                             \
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
 * jump when the result is nonzero, 0 to jump when it is zero.
 * [h, in1, nz, target], [h, in1, in2, nz, target], K: [h, in1, imm, nz, target] */
#define DEF_BRUNF(S, S1, P)                                                  \
  XINLINE xres ex_brun##S##_##P(XARGS, xu32 (*f)(x##P)) {                    \
    uint64_t c = f(rd_##P(S1(1))) != 0;                                      \
    return (xres){c == ip[2].u ? ip[3].target : ip + 4, 0};                  \
  }
#define DEF_BRBINF(S, S1, S2, P)                                             \
  XINLINE xres ex_brbin##S##_##P(XARGS, xu32 (*f)(x##P, x##P)) {             \
    uint64_t c = f(rd_##P(S1(1)), rd_##P(S2(2))) != 0;                       \
    return (xres){c == ip[3].u ? ip[4].target : ip + 5, 0};                  \
  }
#define DEF_BR(A, P)                                                         \
  DEF_BRUNF(, OP_S, P)                                                       \
  DEF_BRUNF(a1, OP_A, P)                                                     \
  DEF_BRBINF(, OP_S, OP_S, P)                                                \
  DEF_BRBINF(k, OP_S, OP_K, P)                                               \
  DEF_BRBINF(a1, OP_A, OP_S, P)                                              \
  DEF_BRBINF(a1k, OP_A, OP_K, P)                                             \
  DEF_BRBINF(a2, OP_S, OP_A, P)
FOR_I(DEF_BR, _)

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
#define EXEC_BR(fn, S)                                                       \
  _Generic(&(fn), FOR_PI(ASSOC_BRUN, S) FOR_PI(ASSOC_BRBIN, S)               \
           default: ex_bad) XCALL(fn)
#define EXEC_BRK(fn, S)                                                      \
  _Generic(&(fn), FOR_PI(ASSOC_BRBIN, S) default: ex_bad) XCALL(fn)

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
  _Generic(&(fn), FOR_PI(AVAIL_BRUN, _) FOR_PI(AVAIL_BRBIN, _) default: 0)
#define HAS_BRK(fn) _Generic(&(fn), FOR_PI(AVAIL_BRBIN, _) default: 0)

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
#define EA_ACC(a) ((uint64_t)rd_u32(acc) + ip[3].u)
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
#define DEF_LOADF(SUF, EA, N, R)                                             \
  XINLINE xres ex_load##SUF##_##R(XMARGS, x##R (*f)(const uint8_t *)) {      \
    MEM_AT(p, EA(2), size);                                                  \
    WR(R, 1, f(p));                                                          \
    return (xres){ip + N, 0};                                                \
  }
#define DEF_STOREF(SUF, EA, VAL, N, T)                                       \
  XINLINE xres ex_store##SUF##_##T(XMARGS, void (*f)(uint8_t *, x##T)) {     \
    MEM_AT(p, EA(1), size);                                                  \
    f(p, rd_##T(VAL));                                                       \
    return (xres){ip + N, 0};                                                \
  }
#define DEF_LOAD(A, R) DEF_LOADF(, EA_PLAIN, 4, R)
#define DEF_LOADK(A, R) DEF_LOADF(k, EA_ADDK, 5, R)
#define DEF_LOADX(A, R) DEF_LOADF(x, EA_ADDX, 5, R)
#define DEF_LOADA(A, R) DEF_LOADF(a, EA_ACC, 4, R)
#define DEF_LOADI(A, R) DEF_LOADF(i, EA_IMM, 4, R)
#define DEF_STORE(A, T) DEF_STOREF(, EA_PLAIN, fp + ip[2].u, 4, T)
#define DEF_STOREK(A, T) DEF_STOREF(k, EA_ADDK, fp + ip[2].u, 5, T)
#define DEF_STOREX(A, T) DEF_STOREF(x, EA_ADDX, fp + ip[2].u, 5, T)
#define DEF_STOREI(A, T) DEF_STOREF(i, EA_PLAIN, &ip[2].u, 4, T)
#define DEF_STOREA(A, T) DEF_STOREF(a, EA_PLAIN, acc, 4, T)
#define DEF_STOREAK(A, T) DEF_STOREF(ak, EA_IMM, fp + ip[2].u, 4, T)
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
#define DEF_BINMEM(A, P)                                                     \
  XINLINE xres ex_binld_##P(XARGS, uint8_t *mb, uint64_t ms,                 \
                            x##P (*f)(x##P, x##P)) {                         \
    MEM_AT(p, (uint64_t)(uint32_t)(rd_u32(fp + ip[3].u) + (uint32_t)ip[5].u) \
                  + ip[4].u, sizeof(x##P));                                  \
    x##P b;                                                                  \
    memcpy(&b, p, sizeof b);                                                 \
    WR(P, 1, f(rd_##P(fp + ip[2].u), b));                                    \
    return (xres){ip + 6, 0};                                                \
  }                                                                          \
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
#define ASSOC_BINMEM(SUF, P) x##P (*)(x##P, x##P): ex_bin##SUF##_##P,
#define EXEC_BINMEM(fn, SUF)                                                 \
  _Generic(&(fn), FOR_S(ASSOC_BINMEM, SUF) default: ex_bad)(                 \
      fp, ip, &acc, mbase, msize, fn)
#define AVAIL_BINMEM(A, P) x##P (*)(x##P, x##P): 1,
#define HAS_BINMEM(fn) _Generic(&(fn), FOR_S(AVAIL_BINMEM, _) default: 0)

/* ---- calls ---- */

typedef struct frame {
  const wasm_cell *ip; /* where the caller resumes */
  uint64_t *fp;        /* the caller's frame */
  wasm_func *func;     /* the caller */
} frame;

static void vals_from_slots(const uint64_t *s, const uint8_t *kinds, uint32_t n,
                            wasm_val *out) {
  for (uint32_t i = 0; i < n; i++) {
    memset(&out[i], 0, sizeof out[i]);
    out[i].kind = kinds[i];
    if (kinds[i] == WASM_V128) {
      memcpy(out[i].of.v128, s, 16);
      s += 2;
    } else {
      memcpy(&out[i].of, s, 8);
      if (kinds[i] == WASM_I32 || kinds[i] == WASM_F32) out[i].of.i64 &= 0xffffffffu;
      s += 1;
    }
  }
}

static void vals_to_slots(uint64_t *s, const uint8_t *kinds, uint32_t n,
                          const wasm_val *in) {
  for (uint32_t i = 0; i < n; i++) {
    if (kinds[i] == WASM_V128) {
      memcpy(s, in[i].of.v128, 16);
      s += 2;
    } else if (kinds[i] == WASM_I32 || kinds[i] == WASM_F32) {
      *s++ = (uint32_t)in[i].of.i32;
    } else {
      memcpy(s, &in[i].of, 8);
      s += 1;
    }
  }
}

static uint32_t slots_of(const uint8_t *kinds, uint32_t n) {
  uint32_t s = 0;
  for (uint32_t i = 0; i < n; i++) s += wasm_kind_slots(kinds[i]);
  return s;
}

/* Calls a host function with the arguments at `at`; results land there. */
static wasm_status call_host(wasm_store *s, wasm_func *f, uint64_t *at,
                             wasm_error *err) {
  const wasm_functype *t = f->type;
  wasm_val abuf[8], rbuf[8];
  wasm_val *args = abuf, *res = rbuf;
  if (t->nparams > 8) args = malloc(t->nparams * sizeof *args);
  if (t->nresults > 8) res = malloc(t->nresults * sizeof *res);
  if (!args || !res) {
    if (args != abuf) free(args);
    if (res != rbuf) free(res);
    return wasm_fail(err, WASM_NOMEM, "out of memory");
  }
  vals_from_slots(at, t->types, t->nparams, args);
  memset(res, 0, t->nresults * sizeof *res);
  for (uint32_t i = 0; i < t->nresults; i++) res[i].kind = t->types[t->nparams + i];
  /* Nested wasm calls made by the host use the stack above these slots. */
  size_t saved_top = s->stack_top;
  uint32_t ps = slots_of(t->types, t->nparams);
  uint32_t rs = slots_of(t->types + t->nparams, t->nresults);
  s->stack_top = (size_t)(at - s->stack) + (ps > rs ? ps : rs);
  wasm_status st = f->host(f->env, args, res, err);
  s->stack_top = saved_top;
  if (st == WASM_OK) vals_to_slots(at, t->types + t->nparams, t->nresults, res);
  else if (err && err->status != st) err->status = st;
  if (args != abuf) free(args);
  if (res != rbuf) free(res);
  return st;
}

static void func_name(const wasm_func *f, char *buf, size_t n) {
  if (f && f->def && f->def->name) snprintf(buf, n, "%s", f->def->name);
  else if (f) snprintf(buf, n, "func[%u]", f->index);
  else snprintf(buf, n, "?");
}

static const char *numtrap_msg(int t) {
  switch (t) {
  case WASM_NUMTRAP_DIV_ZERO: return "integer divide by zero";
  case WASM_NUMTRAP_INT_OVERFLOW: return "integer overflow";
  case WASM_NUMTRAP_INVALID_CONV: return "invalid conversion to integer";
  default: return "internal error: bad instruction";
  }
}

/* Interpreter state that changes rarely (calls, returns, traps). It lives
 * in memory, not in the dispatch loop's registers: only ip, fp and the
 * memory-0 cache are carried from handler to handler, which keeps both the
 * generated code and the compilers' time on this function small. */
typedef struct xstate {
  wasm_store *s;
  wasm_error *err;
  wasm_instance *inst;  /* of the running function */
  wasm_global **globals;
  wasm_memory *mem0;    /* memory 0, or a static empty one */
  wasm_func *func;      /* the running function */
  frame *frames;
  size_t nframes, cap_frames;
  uint64_t *stack_end;
  uint32_t max_depth, depth0;
  /* Fuel/deadline checks left before the slow path (budget_refill): units
   * of fuel taken from the store (when it is limited) and not yet used. */
  int64_t budget;
  const char *trap_msg;
  int64_t trap_index;   /* named in the message when >= 0 */
  /* A host callee failed with a wasm exception in flight (s->exn_tag):
   * it is rethrown at the call (throw_at, a cell of it, in frame throw_fp). */
  bool rethrow;
  const wasm_cell *throw_at;
  uint64_t *throw_fp;
  wasm_status status;
  frame local_frames[16];
} xstate;

/* Where to continue after a call or return: ip NULL means stop. */
typedef struct xjump {
  const wasm_cell *ip;
  uint64_t *fp;
} xjump;

static wasm_memory no_memory; /* size 0: every access traps */

/* ---- fuel and epoch deadlines ----
 * Every check (function entry, backward jump) costs one decrement of
 * X->budget and a compare. The budget is a chunk of at most
 * EXEC_BUDGET_CHUNK units; when it runs out the slow path accounts the
 * store's fuel exactly and polls the engine's epoch, so a deadline is
 * noticed within one chunk of checks (microseconds). */
#define EXEC_BUDGET_CHUNK 10000

/* Called when a check finds the budget exhausted (it is then -1: the unit
 * for the current check is owed). False on an interruption. */
static __attribute__((noinline)) bool budget_refill(xstate *X) {
  wasm_store *s = X->s;
  X->budget = 0;
  if (s->deadline_set &&
      atomic_load_explicit(&s->engine->epoch, memory_order_relaxed) >= s->epoch_deadline) {
    X->status = WASM_EXHAUSTED;
    X->trap_msg = "interrupted: deadline exceeded";
    return false;
  }
  uint64_t take = EXEC_BUDGET_CHUNK;
  if (s->fuel_limited) {
    if (s->fuel == 0) {
      X->status = WASM_EXHAUSTED;
      X->trap_msg = "all fuel consumed";
      return false;
    }
    if (take > s->fuel) take = s->fuel;
    s->fuel -= take;
  }
  X->budget = (int64_t)take - 1;
  return true;
}

/* Gives the unused part of the budget back to the store (before a host call
 * and when the call ends), so the store's count is exact there. */
static void budget_return(xstate *X) {
  if (X->budget > 0 && X->s->fuel_limited) X->s->fuel += (uint64_t)X->budget;
  X->budget = 0;
}

void wasm_store_set_fuel(wasm_store *s, uint64_t fuel) {
  if (!s) return;
  s->fuel_limited = fuel != UINT64_MAX;
  s->fuel = fuel;
}

uint64_t wasm_store_get_fuel(const wasm_store *s) {
  return s && s->fuel_limited ? s->fuel : UINT64_MAX;
}

void wasm_engine_increment_epoch(wasm_engine *e) {
  if (e) atomic_fetch_add_explicit(&e->epoch, 1, memory_order_relaxed);
}

uint64_t wasm_engine_epoch(const wasm_engine *e) {
  return e ? atomic_load_explicit(&((wasm_engine *)e)->epoch, memory_order_relaxed) : 0;
}

void wasm_store_set_epoch_deadline(wasm_store *s, uint64_t ticks) {
  if (!s) return;
  if (ticks == UINT64_MAX) {
    s->deadline_set = false;
    return;
  }
  uint64_t now = wasm_engine_epoch(s->engine);
  s->deadline_set = true;
  s->epoch_deadline = ticks > UINT64_MAX - now ? UINT64_MAX : now + ticks;
}

static void set_instance(xstate *X, wasm_instance *inst) {
  X->inst = inst;
  X->globals = inst->globals;
  X->mem0 = wasm_module_total_memories(inst->module) ? inst->memories[0] : &no_memory;
}

static xjump fail_jump(xstate *X, wasm_status st, const char *msg) {
  X->status = st;
  X->trap_msg = msg;
  return (xjump){NULL, NULL};
}

/* Calls `callee` with its params at nfp; the caller resumes at ret with
 * frame fp. A wasm callee gets a frame record and starts running; a host
 * callee runs to completion here. On failure ip is NULL and X says why
 * (trap_msg NULL: err is already filled). */
static __attribute__((noinline)) xjump enter(xstate *X, wasm_func *callee,
                                             uint64_t *nfp,
                                             const wasm_cell *ret,
                                             uint64_t *fp) {
  wasm_store *s = X->s;
  if (callee->host) {
    budget_return(X); /* the host may read or set the fuel, or call wasm */
    s->exn_tag = NULL;
    wasm_status st = call_host(s, callee, nfp, X->err);
    if (st == WASM_TRAP && s->exn_tag && ret) {
      X->rethrow = true;
      X->throw_at = ret - 1;
      X->throw_fp = fp;
      return (xjump){NULL, NULL};
    }
    if (st != WASM_OK) return fail_jump(X, st, NULL);
    return (xjump){ret, fp};
  }
  const wasm_code *code = callee->def ? callee->def->code : NULL;
  if (UNLIKELY(!code)) return fail_jump(X, WASM_TRAP, "internal error: function not compiled");
  if (UNLIKELY(s->call_depth >= X->max_depth ||
               (size_t)(X->stack_end - nfp) < code->max_slots))
    return fail_jump(X, WASM_EXHAUSTED, "call stack exhausted");
  if (UNLIKELY(--X->budget < 0) && !budget_refill(X)) return (xjump){NULL, NULL};
  if (UNLIKELY(X->nframes == X->cap_frames)) {
    size_t nc = X->cap_frames * 2;
    frame *nf = X->frames == X->local_frames ? malloc(nc * sizeof *nf)
                                             : realloc(X->frames, nc * sizeof *nf);
    if (!nf) return fail_jump(X, WASM_NOMEM, "out of memory");
    if (X->frames == X->local_frames) memcpy(nf, X->local_frames, sizeof X->local_frames);
    X->frames = nf;
    X->cap_frames = nc;
  }
  X->frames[X->nframes++] = (frame){ret, fp, X->func};
  s->call_depth++;
  memset(nfp + code->nparam_slots, 0, code->nlocal_slots * sizeof(uint64_t));
  X->func = callee;
  if (callee->instance != X->inst) set_instance(X, callee->instance);
  return (xjump){code->cells, nfp};
}

/* Returns from the running function: ip NULL when it was the entry. */
static __attribute__((noinline)) xjump leave(xstate *X) {
  frame *f = &X->frames[--X->nframes];
  X->s->call_depth--;
  if (X->nframes == 0) return (xjump){NULL, NULL};
  X->func = f->func;
  if (f->func->instance != X->inst) set_instance(X, f->func->instance);
  return (xjump){f->ip, f->fp};
}

/* Finds the handler for the exception in flight (s->exn_tag, payload in
 * s->exn_payload) thrown at cell `at` of the running function, unwinding
 * frames as needed; on a catch the payload is in place and the jump says
 * where to go on. Uncaught by the entry function: ip NULL, a trap, and
 * s->exn_tag stays set for a wasm caller across a host function. */
static __attribute__((noinline)) xjump unwind(xstate *X, const wasm_cell *at, uint64_t *fp) {
  wasm_store *s = X->s;
  for (;;) {
    const wasm_code *code = X->func && X->func->def ? X->func->def->code : NULL;
    if (code && at >= code->cells && at < code->cells + code->ncells) {
      uint32_t idx = (uint32_t)(at - code->cells);
      for (uint32_t t = code->ntries; t-- > 0;) {
        const wasm_try *tr = &code->tries[t];
        if (idx < tr->start || idx >= tr->end) continue;
        for (uint32_t k = 0; k < tr->count; k++) {
          const wasm_catch *ct = &code->catches[tr->first + k];
          if (ct->tag != UINT32_MAX && X->inst->tags[ct->tag] != s->exn_tag) continue;
          uint32_t n = ct->tag != UINT32_MAX ? s->exn_slots : 0;
          if (n) memcpy(fp + ct->dst, s->exn_payload, n * sizeof(uint64_t));
          if (ct->ref) {
            wasm_exn *e = s->exn_obj;
            if (!e) {
              e = malloc(sizeof *e + s->exn_slots * sizeof(uint64_t));
              if (!e || wasm_store_track(s, WASM_OBJ_EXN, e) != WASM_OK) {
                free(e);
                return fail_jump(X, WASM_NOMEM, "out of memory");
              }
              e->tag = s->exn_tag;
              e->nslots = s->exn_slots;
              if (s->exn_slots) memcpy(e->payload, s->exn_payload, s->exn_slots * sizeof(uint64_t));
            }
            fp[ct->dst + n] = (uint64_t)(uintptr_t)e;
          }
          s->exn_tag = NULL;
          s->exn_obj = NULL;
          return (xjump){code->cells + ct->landing, fp};
        }
      }
    }
    if (X->nframes <= 1) return fail_jump(X, WASM_TRAP, "uncaught exception");
    frame *f = &X->frames[--X->nframes];
    s->call_depth--;
    X->func = f->func;
    if (f->func->instance != X->inst) set_instance(X, f->func->instance);
    at = f->ip - 1;
    fp = f->fp;
  }
}

/* Starts throwing tag with the payload at args (nslots slots); obj is its
 * exnref when rethrown by throw_ref, else NULL. */
static __attribute__((noinline)) xjump throw_exn(xstate *X, wasm_tag *tag, const uint64_t *args,
                                                 uint32_t nslots, wasm_exn *obj,
                                                 const wasm_cell *at, uint64_t *fp) {
  wasm_store *s = X->s;
  if (nslots > s->exn_slots || !s->exn_payload) {
    uint64_t *p = realloc(s->exn_payload, (nslots ? nslots : 1) * sizeof(uint64_t));
    if (!p) return fail_jump(X, WASM_NOMEM, "out of memory");
    s->exn_payload = p;
  }
  if (nslots) memcpy(s->exn_payload, args, nslots * sizeof(uint64_t));
  s->exn_slots = nslots;
  s->exn_tag = tag;
  s->exn_obj = obj;
  return unwind(X, at, fp);
}

#define LOAD_MEM()                                                           \
  do {                                                                       \
    mbase = X.mem0->data;                                                    \
    msize = X.mem0->size;                                                    \
  } while (0)

#ifdef EXEC_PROFILE
#define NEXT()                                                               \
  do {                                                                       \
    wasm_exec_prof_hit(ip->h);                                               \
    goto *ip->h;                                                             \
  } while (0)
#else
#define NEXT() goto *ip->h
#endif
#define U(k) (ip[k].u)
#define SLOT(k) (fp + ip[k].u)
#define TRAP(msg)                                                            \
  do {                                                                       \
    X.trap_msg = (msg);                                                      \
    goto trap;                                                               \
  } while (0)
/* A trap that names the offending table index, as the reference does. */
#define TRAP_INDEX(msg, i)                                                   \
  do {                                                                       \
    X.trap_index = (int64_t)(i);                                             \
    TRAP(msg);                                                               \
  } while (0)
/* Branches to t. A backward jump (a loop's back edge: every loop that
 * runs forever takes one) costs a unit of the fuel/deadline budget. */
#define JUMP_TO(t)                                                           \
  do {                                                                       \
    const wasm_cell *t_ = (t);                                               \
    if (t_ <= ip && UNLIKELY(--X.budget < 0) && !budget_refill(&X)) goto stop; \
    ip = t_;                                                                 \
    NEXT();                                                                  \
  } while (0)
/* Continues after enter/leave. */
#define JUMP(j)                                                              \
  do {                                                                       \
    xjump j_ = (j);                                                          \
    if (UNLIKELY(!j_.ip)) goto stop;                                         \
    ip = j_.ip;                                                              \
    fp = j_.fp;                                                              \
    LOAD_MEM();                                                              \
    NEXT();                                                                  \
  } while (0)


/* Runs `entry` (a wasm function) with its params already at fp0. With
 * table_out set, only returns the handler table. */
static wasm_status interp(wasm_store *s, wasm_func *entry, uint64_t *fp0,
                          wasm_error *err, const void *const **table_out) {
  static const void *const table[XOP_TABLE_SIZE] = {
#if EXEC_VARIANTS
#define GT_NONE(ID, MS)                                                      \
  [WASM_OP_##ID] = &&G_##ID,                                                 \
  [XOPV(XV_K, WASM_OP_##ID)] = HAS_NUMK(NUM_##ID) ? &&GK_##ID : NULL,        \
  [XOPV(XV_BR, WASM_OP_##ID)] = HAS_BR(NUM_##ID) ? &&GB_##ID : NULL,         \
  [XOPV(XV_BRK, WASM_OP_##ID)] = HAS_BRK(NUM_##ID) ? &&GBK_##ID : NULL,      \
  GT_NONE2(ID)
#else
#define GT_NONE(ID, MS) [WASM_OP_##ID] = &&G_##ID,
#endif
#if EXEC_VARIANTS >= 2
#define GT_NONE2(ID)                                                         \
  [XOPV(XV_A1, WASM_OP_##ID)] = HAS_A1(NUM_##ID) ? &&GA1_##ID : NULL,        \
  [XOPV(XV_A1K, WASM_OP_##ID)] = HAS_BINS(NUM_##ID) ? &&GA1K_##ID : NULL,    \
  [XOPV(XV_A2, WASM_OP_##ID)] = HAS_BINS(NUM_##ID) ? &&GA2_##ID : NULL,      \
  [XOPV(XV_BRA1, WASM_OP_##ID)] = HAS_BR(NUM_##ID) ? &&GBA1_##ID : NULL,     \
  [XOPV(XV_BRA1K, WASM_OP_##ID)] = HAS_BRK(NUM_##ID) ? &&GBA1K_##ID : NULL,  \
  [XOPV(XV_BRA2, WASM_OP_##ID)] = HAS_BRK(NUM_##ID) ? &&GBA2_##ID : NULL,    \
  [XOPV(XV_LD, WASM_OP_##ID)] = HAS_BINMEM(NUM_##ID) ? &&GL_##ID : NULL,     \
  [XOPV(XV_ST, WASM_OP_##ID)] = HAS_BINMEM(NUM_##ID) ? &&GS_##ID : NULL,     \
  [XOPV(XV_RMW, WASM_OP_##ID)] = HAS_BINMEM(NUM_##ID) ? &&GR_##ID : NULL,
#define GT_MEMARG2(ID)                                                       \
  [XOPV(XV_ADDX, WASM_OP_##ID)] = &&GX_##ID,                                 \
  [XOPV(XV_STI, WASM_OP_##ID)] = HAS_STOREI(NUM_##ID) ? &&GI_##ID : NULL,     \
  [XOPV(XV_A1, WASM_OP_##ID)] = HAS_MEMA(NUM_##ID) ? &&GA1_##ID : NULL,      \
  [XOPV(XV_AK, WASM_OP_##ID)] = &&GAK_##ID,
#else
#define GT_NONE2(ID)
#define GT_MEMARG2(ID)
#endif
#define GT_LANE(ID, MS) [WASM_OP_##ID] = &&G_##ID,
#if EXEC_VARIANTS
#define GT_MEMARG(ID, MS)                                                    \
  [WASM_OP_##ID] = &&G_##ID, [XOPV(XV_ADDK, WASM_OP_##ID)] = &&GA_##ID,      \
  GT_MEMARG2(ID)
#else
#define GT_MEMARG(ID, MS) [WASM_OP_##ID] = &&G_##ID,
#endif
#define GT_MEMARG_LANE(ID, MS) [WASM_OP_##ID] = &&G_##ID,
#define GT_(ID, MS)
#define GT_BLOCK GT_
#define GT_LABEL GT_
#define GT_BR_TABLE GT_
#define GT_FUNC GT_
#define GT_CALL_INDIRECT GT_
#define GT_LOCAL GT_
#define GT_GLOBAL GT_
#define GT_TABLE GT_
#define GT_I32 GT_
#define GT_I64 GT_
#define GT_F32 GT_
#define GT_F64 GT_
#define GT_V128 GT_
#define GT_SHUFFLE GT_
#define GT_SELECT_T GT_
#define GT_HEAPTYPE GT_
#define GT_ELEM GT_
#define GT_DATA GT_
#define GT_TABLE_TABLE GT_
#define GT_ELEM_TABLE GT_
#define GT_DATA_MEM GT_
#define GT_MEM GT_
#define GT_MEM_MEM GT_
#define GT_TAG GT_
#define GT_TRY_TABLE GT_
#define OP(ID, NAME, PREFIX, CODE, IMM, SIG, MSIZE) GT_##IMM(ID, MSIZE)
#include "wasm_opcodes.def"
#undef OP
      [WASM_OP_I8X16_SHUFFLE] = &&H_I8X16_SHUFFLE,
      [WASM_OP_MEMORY_SIZE] = &&H_MEMORY_SIZE,
      [WASM_OP_MEMORY_GROW] = &&H_MEMORY_GROW,
      [WASM_OP_MEMORY_INIT] = &&H_MEMORY_INIT,
      [WASM_OP_DATA_DROP] = &&H_DATA_DROP,
      [WASM_OP_MEMORY_COPY] = &&H_MEMORY_COPY,
      [WASM_OP_MEMORY_FILL] = &&H_MEMORY_FILL,
      [WASM_OP_TABLE_GET] = &&H_TABLE_GET,
      [WASM_OP_TABLE_SET] = &&H_TABLE_SET,
      [WASM_OP_TABLE_SIZE] = &&H_TABLE_SIZE,
      [WASM_OP_TABLE_GROW] = &&H_TABLE_GROW,
      [WASM_OP_TABLE_FILL] = &&H_TABLE_FILL,
      [WASM_OP_TABLE_COPY] = &&H_TABLE_COPY,
      [WASM_OP_TABLE_INIT] = &&H_TABLE_INIT,
      [WASM_OP_ELEM_DROP] = &&H_ELEM_DROP,
      [XOP_UNREACHABLE] = &&H_UNREACHABLE,
      [XOP_COPY1] = &&H_COPY1,
      [XOP_COPY1X2] = &&H_COPY1X2,
      [XOP_COPY2] = &&H_COPY2,
      [XOP_COPYN] = &&H_COPYN,
      [XOP_CONST] = &&H_CONST,
      [XOP_CONST2] = &&H_CONST2,
      [XOP_BR] = &&H_BR,
      [XOP_BR_IF] = &&H_BR_IF,
      [XOP_BR_UNLESS] = &&H_BR_UNLESS,
      [XOP_BR_TABLE] = &&H_BR_TABLE,
      [XOP_RETURN] = &&H_RETURN,
      [XOP_CALL] = &&H_CALL,
      [WASM_OP_THROW] = &&H_THROW,
      [XOP_THROW_REF] = &&H_THROW_REF,
      [XOP_CALL_INDIRECT] = &&H_CALL_INDIRECT,
      [XOP_SELECT] = &&H_SELECT,
      [XOP_SELECT2] = &&H_SELECT2,
      [XOP_GLOBAL_GET] = &&H_GLOBAL_GET,
      [XOP_GLOBAL_GET2] = &&H_GLOBAL_GET2,
      [XOP_GLOBAL_SET] = &&H_GLOBAL_SET,
      [XOP_GLOBAL_SET2] = &&H_GLOBAL_SET2,
      [XOP_REF_IS_NULL] = &&H_REF_IS_NULL,
      [XOP_REF_FUNC] = &&H_REF_FUNC,
      [XOP_MEMOP_MULTI] = &&H_MEMOP_MULTI,
  };
  if (table_out) {
    *table_out = table;
    return WASM_OK;
  }

  xstate X;
  memset(&X, 0, sizeof X);
  X.s = s;
  X.err = err;
  X.frames = X.local_frames;
  X.cap_frames = sizeof X.local_frames / sizeof X.local_frames[0];
  X.stack_end = s->stack + s->stack_slots;
  X.max_depth = s->engine->config.max_call_depth;
  if (!X.max_depth) X.max_depth = WASM_DEFAULT_CALL_DEPTH;
  X.depth0 = s->call_depth;
  X.trap_index = -1;
  set_instance(&X, entry->instance);

  const wasm_cell *ip = NULL;
  uint64_t *fp = NULL;
  uint64_t acc = 0; /* the last scalar result, see OP_A */
  uint8_t *mbase;
  uint64_t msize;
  JUMP(enter(&X, entry, fp0, NULL, NULL));

  /* ---- generated numeric, lane and memory handlers ---- */
#define GH_NUM(LABEL, CALL)                                                  \
  LABEL : {                                                                  \
    xres r_ = CALL;                                                          \
    if (UNLIKELY(r_.trap)) TRAP(numtrap_msg(r_.trap));                       \
    ip = r_.ip;                                                              \
    NEXT();                                                                  \
  }
#define GH_PLAIN(ID) GH_NUM(G_##ID, EXEC_NUM(NUM_##ID))
#if EXEC_VARIANTS
#define GH_NONE(ID, MS)                                                      \
  GH_PLAIN(ID)                                                               \
  GH_NUM(GK_##ID, EXEC_NUMK(NUM_##ID))                                       \
  GH_BRANCH(GB_##ID, EXEC_BR(NUM_##ID, ))                                    \
  GH_BRANCH(GBK_##ID, EXEC_BRK(NUM_##ID, k))                                 \
  GH_NONE2(ID)
#else
#define GH_NONE(ID, MS) GH_PLAIN(ID)
#endif
#if EXEC_VARIANTS >= 2
#define GH_NONE2(ID)                                                         \
  GH_NUM(GA1_##ID, EXEC_A1(NUM_##ID))                                        \
  GH_NUM(GA1K_##ID, EXEC_BINV(NUM_##ID, a1k))                                \
  GH_NUM(GA2_##ID, EXEC_BINV(NUM_##ID, a2))                                  \
  GH_BRANCH(GBA1_##ID, EXEC_BR(NUM_##ID, a1))                                \
  GH_BRANCH(GBA1K_##ID, EXEC_BRK(NUM_##ID, a1k))                             \
  GH_BRANCH(GBA2_##ID, EXEC_BRK(NUM_##ID, a2))                               \
  GH_MEMACCESS(GL_##ID, EXEC_BINMEM(NUM_##ID, ld))                           \
  GH_MEMACCESS(GS_##ID, EXEC_BINMEM(NUM_##ID, st))                           \
  GH_MEMACCESS(GR_##ID, EXEC_BINMEM(NUM_##ID, rmw))
#define GH_MEMARG2(ID, MS)                                                   \
  GH_MEMACCESS(GX_##ID, EXEC_MEMF(NUM_##ID, MS, x))                          \
  GH_MEMACCESS(GI_##ID, EXEC_MEMS(NUM_##ID, MS, i))                          \
  GH_MEMACCESS(GA1_##ID, EXEC_MEMA(NUM_##ID, MS))                            \
  GH_MEMACCESS(GAK_##ID, EXEC_MEMAK(NUM_##ID, MS))
#else
#define GH_NONE2(ID)
#define GH_MEMARG2(ID, MS)
#endif
#define GH_BRANCH(LABEL, CALL)                                               \
  LABEL : {                                                                  \
    xres r_ = CALL;                                                          \
    if (UNLIKELY(r_.trap)) TRAP(numtrap_msg(r_.trap));                       \
    JUMP_TO(r_.ip);                                                          \
  }
#define GH_LANE(ID, MS)                                                      \
  G_##ID : {                                                                 \
    xres r_ = EXEC_LANE(NUM_##ID);                                           \
    if (UNLIKELY(r_.trap)) TRAP(numtrap_msg(r_.trap));                       \
    ip = r_.ip;                                                              \
    NEXT();                                                                  \
  }
#define GH_MEMACCESS(LABEL, CALL)                                            \
  LABEL : {                                                                  \
    xres r_ = CALL;                                                          \
    if (UNLIKELY(r_.trap)) TRAP("out of bounds memory access");              \
    ip = r_.ip;                                                              \
    NEXT();                                                                  \
  }
#define GH_MEMARG_LANE(ID, MS) GH_MEMACCESS(G_##ID, EXEC_MEM(NUM_##ID, MS))
#if EXEC_VARIANTS
#define GH_MEMARG(ID, MS)                                                    \
  GH_MEMACCESS(G_##ID, EXEC_MEM(NUM_##ID, MS))                               \
  GH_MEMACCESS(GA_##ID, EXEC_MEMF(NUM_##ID, MS, k))                          \
  GH_MEMARG2(ID, MS)
#else
#define GH_MEMARG GH_MEMARG_LANE
#endif
#define GH_(ID, MS)
#define GH_BLOCK GH_
#define GH_LABEL GH_
#define GH_BR_TABLE GH_
#define GH_FUNC GH_
#define GH_CALL_INDIRECT GH_
#define GH_LOCAL GH_
#define GH_GLOBAL GH_
#define GH_TABLE GH_
#define GH_I32 GH_
#define GH_I64 GH_
#define GH_F32 GH_
#define GH_F64 GH_
#define GH_V128 GH_
#define GH_SHUFFLE GH_
#define GH_SELECT_T GH_
#define GH_HEAPTYPE GH_
#define GH_ELEM GH_
#define GH_DATA GH_
#define GH_TABLE_TABLE GH_
#define GH_ELEM_TABLE GH_
#define GH_DATA_MEM GH_
#define GH_MEM GH_
#define GH_MEM_MEM GH_
#define GH_TAG GH_
#define GH_TRY_TABLE GH_
#define OP(ID, NAME, PREFIX, CODE, IMM, SIG, MSIZE) GH_##IMM(ID, MSIZE)
#include "wasm_opcodes.def"
#undef OP
  /* ---- data movement ---- */
H_COPY1:
  *SLOT(1) = *SLOT(2);
  ip += 3;
  NEXT();
H_COPY1X2:
  *SLOT(1) = *SLOT(2);
  *SLOT(3) = *SLOT(4);
  ip += 5;
  NEXT();
H_COPY2: {
  uint64_t *d = SLOT(1), *a = SLOT(2);
  uint64_t lo = a[0], hi = a[1];
  d[0] = lo;
  d[1] = hi;
  ip += 3;
  NEXT();
}
H_COPYN: {
  uint64_t *d = SLOT(1), *a = SLOT(2);
  for (uint64_t i = 0, n = U(3); i < n; i++) d[i] = a[i]; /* d < a: forward */
  ip += 4;
  NEXT();
}
H_CONST:
  *SLOT(1) = U(2);
  ip += 3;
  NEXT();
H_CONST2: {
  uint64_t *d = SLOT(1);
  d[0] = U(2);
  d[1] = U(3);
  ip += 4;
  NEXT();
}
H_SELECT:
  *SLOT(1) = rd_u32(SLOT(4)) ? *SLOT(2) : *SLOT(3);
  ip += 5;
  NEXT();
H_SELECT2: {
  uint64_t *src = rd_u32(SLOT(4)) ? SLOT(2) : SLOT(3);
  uint64_t *d = SLOT(1);
  uint64_t lo = src[0], hi = src[1];
  d[0] = lo;
  d[1] = hi;
  ip += 5;
  NEXT();
}
H_GLOBAL_GET:
  memcpy(SLOT(1), &X.globals[U(2)]->value.of, 8);
  ip += 3;
  NEXT();
H_GLOBAL_GET2:
  memcpy(SLOT(1), &X.globals[U(2)]->value.of, 16);
  ip += 3;
  NEXT();
H_GLOBAL_SET:
  memcpy(&X.globals[U(1)]->value.of, SLOT(2), 8);
  ip += 3;
  NEXT();
H_GLOBAL_SET2:
  memcpy(&X.globals[U(1)]->value.of, SLOT(2), 16);
  ip += 3;
  NEXT();
H_REF_IS_NULL:
  *SLOT(1) = *SLOT(2) == 0;
  ip += 3;
  NEXT();
H_REF_FUNC:
  *SLOT(1) = (uint64_t)(uintptr_t)X.inst->funcs[U(2)];
  ip += 3;
  NEXT();
H_I8X16_SHUFFLE: {
  uint8_t lanes[16];
  memcpy(lanes, &ip[4].u, 8);
  memcpy(lanes + 8, &ip[5].u, 8);
  wr_v128(SLOT(1), NUM_I8X16_SHUFFLE(rd_v128(SLOT(2)), rd_v128(SLOT(3)), lanes));
  ip += 6;
  NEXT();
}

  /* ---- control ---- */
H_UNREACHABLE:
  TRAP("unreachable");
H_BR:
  JUMP_TO(ip[1].target);
H_BR_IF:
  if (rd_u32(SLOT(1))) JUMP_TO(ip[2].target);
  ip += 3;
  NEXT();
H_BR_UNLESS:
  if (!rd_u32(SLOT(1))) JUMP_TO(ip[2].target);
  ip += 3;
  NEXT();
H_BR_TABLE: {
  uint64_t i = rd_u32(SLOT(1)), n = U(2);
  JUMP_TO(ip[3 + (i < n ? i : n)].target);
}
H_CALL: {
  /* Fast path, inline: a compiled wasm function of the same instance with
   * room for its frame and budget left; everything else goes to enter(). */
  wasm_func *callee = X.inst->funcs[U(1)];
  uint64_t *nfp = fp + U(2);
  const wasm_code *code = callee->def ? callee->def->code : NULL;
  wasm_store *s_ = X.s;
  if (LIKELY(code && !callee->host && callee->instance == X.inst && X.budget > 0 &&
             X.nframes < X.cap_frames && s_->call_depth < X.max_depth &&
             (size_t)(X.stack_end - nfp) >= code->max_slots)) {
    X.budget--;
    X.frames[X.nframes++] = (frame){ip + 3, fp, X.func};
    s_->call_depth++;
    for (uint64_t *l = nfp + code->nparam_slots, *e = l + code->nlocal_slots; l < e; l++)
      *l = 0;
    X.func = callee;
    ip = code->cells;
    fp = nfp;
    NEXT();
  }
  JUMP(enter(&X, callee, nfp, ip + 3, fp));
}
H_CALL_INDIRECT: {
  wasm_table *tab = X.inst->tables[U(2)];
  uint64_t i = rd_u32(SLOT(4));
  if (UNLIKELY(i >= tab->size)) TRAP_INDEX("undefined element", i);
  wasm_func *callee = tab->elems[i];
  if (UNLIKELY(!callee)) TRAP_INDEX("uninitialized element", i);
  const wasm_functype *want = &X.inst->module->types[U(1)];
  if (UNLIKELY(callee->type != want && !wasm_functype_equal(callee->type, want)))
    TRAP("indirect call type mismatch");
  JUMP(enter(&X, callee, fp + U(3), ip + 5, fp));
}
H_RETURN:
  /* Fast path: back to a caller of the same instance (not the entry). */
  if (LIKELY(X.nframes > 1 && X.frames[X.nframes - 1].func->instance == X.inst)) {
    frame *f_ = &X.frames[--X.nframes];
    X.s->call_depth--;
    X.func = f_->func;
    ip = f_->ip;
    fp = f_->fp;
    NEXT();
  }
  JUMP(leave(&X));
H_THROW: /* [h, tag, argbase, nslots] */
  JUMP(throw_exn(&X, X.inst->tags[U(1)], SLOT(2), (uint32_t)U(3), NULL, ip, fp));
H_THROW_REF: { /* [h, src] */
  wasm_exn *e = (wasm_exn *)(uintptr_t)*SLOT(1);
  if (!e) TRAP("null exception reference");
  JUMP(throw_exn(&X, e->tag, e->payload, e->nslots, e, ip, fp));
}
H_MEMOP_MULTI: { /* memory != 0 (wasm_exec_mem.c); it may alias memory 0 */
  const char *msg = NULL;
  const wasm_cell *next = wasm_exec_memop_multi(X.inst, fp, ip, &msg);
  if (UNLIKELY(!next)) TRAP(msg);
  ip = next;
  LOAD_MEM();
  NEXT();
}

  /* ---- memory ---- */
H_MEMORY_SIZE:
  wr_u32(SLOT(1), (uint32_t)(msize / WASM_PAGE_SIZE));
  ip += 2;
  NEXT();
H_MEMORY_GROW: {
  int64_t r = wasm_memory_grow(X.mem0, rd_u32(SLOT(2)));
  wr_u32(SLOT(1), (uint32_t)(int32_t)r);
  LOAD_MEM();
  ip += 3;
  NEXT();
}
H_MEMORY_INIT: { /* [h, seg, mem, d, s, n] */
  uint64_t seg = U(1);
  uint64_t d = rd_u32(SLOT(3)), src = rd_u32(SLOT(4)), n = rd_u32(SLOT(5));
  const wasm_data *ds = &X.inst->module->datas[seg];
  uint64_t len = X.inst->data_dropped[seg] ? 0 : ds->len;
  if (src + n > len || d + n > msize) TRAP("out of bounds memory access");
  if (n) memcpy(mbase + d, ds->bytes + src, n);
  ip += 6;
  NEXT();
}
H_DATA_DROP:
  X.inst->data_dropped[U(1)] = 1;
  ip += 2;
  NEXT();
H_MEMORY_COPY: { /* [h, d, s, n] */
  uint64_t d = rd_u32(SLOT(1)), src = rd_u32(SLOT(2)), n = rd_u32(SLOT(3));
  if (src + n > msize || d + n > msize) TRAP("out of bounds memory access");
  if (n) memmove(mbase + d, mbase + src, n);
  ip += 4;
  NEXT();
}
H_MEMORY_FILL: { /* [h, d, val, n] */
  uint64_t d = rd_u32(SLOT(1)), n = rd_u32(SLOT(3));
  if (d + n > msize) TRAP("out of bounds memory access");
  if (n) memset(mbase + d, (int)(uint8_t)rd_u32(SLOT(2)), n);
  ip += 4;
  NEXT();
}

  /* ---- tables ---- */
H_TABLE_GET: { /* [h, dst, idx, table] */
  wasm_table *t = X.inst->tables[U(3)];
  uint64_t i = rd_u32(SLOT(2));
  if (i >= t->size) TRAP("out of bounds table access");
  *SLOT(1) = (uint64_t)(uintptr_t)t->elems[i];
  ip += 4;
  NEXT();
}
H_TABLE_SET: { /* [h, table, idx, val] */
  wasm_table *t = X.inst->tables[U(1)];
  uint64_t i = rd_u32(SLOT(2));
  if (i >= t->size) TRAP("out of bounds table access");
  t->elems[i] = (void *)(uintptr_t)*SLOT(3);
  ip += 4;
  NEXT();
}
H_TABLE_SIZE:
  wr_u32(SLOT(1), (uint32_t)X.inst->tables[U(2)]->size);
  ip += 3;
  NEXT();
H_TABLE_GROW: { /* [h, dst, init, n, table] */
  int64_t r = wasm_table_grow(X.inst->tables[U(4)], rd_u32(SLOT(3)),
                              (void *)(uintptr_t)*SLOT(2));
  wr_u32(SLOT(1), (uint32_t)(int32_t)r);
  ip += 5;
  NEXT();
}
H_TABLE_FILL: { /* [h, table, i, val, n] */
  wasm_table *t = X.inst->tables[U(1)];
  uint64_t i = rd_u32(SLOT(2)), n = rd_u32(SLOT(4));
  void *v = (void *)(uintptr_t)*SLOT(3);
  if (i + n > t->size) TRAP("out of bounds table access");
  for (uint64_t k = 0; k < n; k++) t->elems[i + k] = v;
  ip += 5;
  NEXT();
}
H_TABLE_COPY: { /* [h, dst table, src table, d, s, n] */
  wasm_table *td = X.inst->tables[U(1)], *ts = X.inst->tables[U(2)];
  uint64_t d = rd_u32(SLOT(3)), src = rd_u32(SLOT(4)), n = rd_u32(SLOT(5));
  if (src + n > ts->size || d + n > td->size) TRAP("out of bounds table access");
  if (n) memmove(td->elems + d, ts->elems + src, n * sizeof(void *));
  ip += 6;
  NEXT();
}
H_TABLE_INIT: { /* [h, elem, table, d, s, n] */
  uint64_t seg = U(1);
  wasm_table *t = X.inst->tables[U(2)];
  uint64_t d = rd_u32(SLOT(3)), src = rd_u32(SLOT(4)), n = rd_u32(SLOT(5));
  const wasm_elem *es = &X.inst->module->elems[seg];
  uint64_t len = X.inst->elem_dropped[seg] ? 0 : es->count;
  if (src + n > len || d + n > t->size) TRAP("out of bounds table access");
  for (uint64_t k = 0; k < n; k++) {
    void *ref = NULL;
    if (es->func_indices) {
      ref = X.inst->funcs[es->func_indices[src + k]];
    } else {
      wasm_val v;
      wasm_status st = wasm_eval_const(X.inst, es->exprs[src + k], es->elem_kind, &v, err);
      if (st != WASM_OK) {
        X.status = st;
        goto stop;
      }
      ref = v.of.ref;
    }
    t->elems[d + k] = ref;
  }
  ip += 6;
  NEXT();
}
H_ELEM_DROP:
  X.inst->elem_dropped[U(1)] = 1;
  ip += 2;
  NEXT();

trap:
  if (X.status == WASM_OK) X.status = WASM_TRAP;
stop:
  if (X.rethrow) { /* an exception crossed a host function: throw it on */
    X.rethrow = false;
    JUMP(unwind(&X, X.throw_at, X.throw_fp));
  }
  if (X.status != WASM_OK && X.trap_msg) {
    char name[96];
    func_name(X.func ? X.func : entry, name, sizeof name);
    if (X.trap_index >= 0)
      wasm_fail(err, X.status, "%s %lld (in function %s)", X.trap_msg,
                (long long)X.trap_index, name);
    else
      wasm_fail(err, X.status, "%s (in function %s)", X.trap_msg, name);
  }
  budget_return(&X);
  s->call_depth = X.depth0;
  if (X.frames != X.local_frames) free(X.frames);
  return X.status;
}

const void *const *wasm_exec_handlers(void) {
  const void *const *t = NULL;
  interp(NULL, NULL, NULL, NULL, &t);
  return t;
}

wasm_status wasm_exec_call(wasm_store *s, wasm_func *f, const wasm_val *args,
                           wasm_val *results, wasm_error *err) {
  const wasm_functype *t = f->type;
  if (f->host) {
    if (exec_nesting >= EXEC_MAX_NESTING)
      return wasm_fail(err, WASM_EXHAUSTED, "call stack exhausted");
    exec_nesting++;
    wasm_status st = f->host(f->env, args, results, err);
    exec_nesting--;
    return st;
  }
  if (!s->stack) {
    size_t bytes = s->engine->config.max_stack_bytes;
    if (!bytes) bytes = WASM_DEFAULT_STACK_BYTES;
    s->stack_slots = bytes / sizeof(uint64_t);
    s->stack = malloc(s->stack_slots * sizeof(uint64_t));
    if (!s->stack) {
      s->stack_slots = 0;
      return wasm_fail(err, WASM_NOMEM, "out of memory for the value stack");
    }
    s->stack_top = 0;
  }
  uint32_t ps = slots_of(t->types, t->nparams);
  uint32_t rs = slots_of(t->types + t->nparams, t->nresults);
  if (exec_nesting >= EXEC_MAX_NESTING || s->stack_top > s->stack_slots ||
      s->stack_slots - s->stack_top < (ps > rs ? ps : rs))
    return wasm_fail(err, WASM_EXHAUSTED, "call stack exhausted");
  uint64_t *base = s->stack + s->stack_top;
  vals_to_slots(base, t->types, t->nparams, args);
  size_t saved_top = s->stack_top;
  exec_nesting++;
  wasm_status st = interp(s, f, base, err, NULL);
  exec_nesting--;
  s->stack_top = saved_top;
  if (st == WASM_OK) vals_from_slots(base, t->types + t->nparams, t->nresults, results);
  return st;
}
