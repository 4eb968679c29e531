/*
 * wasm_numeric.h: the semantics of every pure numeric instruction, scalar
 * and SIMD, as static inline functions named NUM_<ID> after the ids in
 * wasm_opcodes.def. The executor generates its handlers from the opcode
 * table and calls these, so each operation's meaning is written once.
 *
 * C types by signature letter: i -> uint32_t, I -> uint64_t, f -> float,
 * F -> double, v -> wasm_v128.
 *
 * Conventions:
 *  - pure op "ab:r":          r NUM_X(a, b)
 *  - trapping op (integer div/rem, non-saturating float->int truncation):
 *                             int NUM_X(a, b, r *out), returns 0 or a
 *                             WASM_NUMTRAP_* code
 *  - lane ops (IMM LANE):     NUM_X(v, lane) / NUM_X(v, lane, x)
 *  - i8x16.shuffle:           NUM_I8X16_SHUFFLE(a, b, const uint8_t lanes[16])
 *  - SIMD loads (MEMARG):     wasm_v128 NUM_X(const uint8_t *p)   (p = the
 *                             bounds-checked effective address)
 *  - lane loads:              wasm_v128 NUM_X(const uint8_t *p, wasm_v128 v, lane)
 *  - lane stores:             void NUM_X(uint8_t *p, wasm_v128 v, lane)
 * Scalar loads/stores and v128.load/store are done by the executor itself.
 */
#ifndef WASM_NUMERIC_H
#define WASM_NUMERIC_H

#include <math.h>
#include <stdint.h>
#include <string.h>

typedef union wasm_v128 {
  uint8_t u8[16];
  int8_t i8[16];
  uint16_t u16[8];
  int16_t i16[8];
  uint32_t u32[4];
  int32_t i32[4];
  uint64_t u64[2];
  int64_t i64[2];
  float f32[4];
  double f64[2];
} wasm_v128;

enum {
  WASM_NUMTRAP_NONE = 0,
  WASM_NUMTRAP_DIV_ZERO,       /* "integer divide by zero" */
  WASM_NUMTRAP_INT_OVERFLOW,   /* "integer overflow" */
  WASM_NUMTRAP_INVALID_CONV,   /* "invalid conversion to integer" */
};

/* Bit casts: floats travel as bit patterns so NaN payloads survive. */
static inline uint32_t wasm_f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float wasm_bits_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline uint64_t wasm_f64_bits(double f) { uint64_t u; memcpy(&u, &f, 8); return u; }
static inline double wasm_bits_f64(uint64_t u) { double f; memcpy(&f, &u, 8); return f; }

/* ======================================================================
 * Scalar integer operations. Arithmetic is done on unsigned types so that
 * wrap-around is defined; signed views are taken only for comparisons,
 * division and arithmetic right shift.
 * ====================================================================== */

/* Comparisons, generated for both widths: NUM_I32_EQ, NUM_I64_LT_S, ... */
#define WASM_NUM_ICMP(W, UT, ST)                                             \
  static inline uint32_t NUM_I##W##_EQZ(UT a) { return a == 0; }             \
  static inline uint32_t NUM_I##W##_EQ(UT a, UT b) { return a == b; }        \
  static inline uint32_t NUM_I##W##_NE(UT a, UT b) { return a != b; }        \
  static inline uint32_t NUM_I##W##_LT_S(UT a, UT b) { return (ST)a < (ST)b; } \
  static inline uint32_t NUM_I##W##_LT_U(UT a, UT b) { return a < b; }       \
  static inline uint32_t NUM_I##W##_GT_S(UT a, UT b) { return (ST)a > (ST)b; } \
  static inline uint32_t NUM_I##W##_GT_U(UT a, UT b) { return a > b; }       \
  static inline uint32_t NUM_I##W##_LE_S(UT a, UT b) { return (ST)a <= (ST)b; } \
  static inline uint32_t NUM_I##W##_LE_U(UT a, UT b) { return a <= b; }      \
  static inline uint32_t NUM_I##W##_GE_S(UT a, UT b) { return (ST)a >= (ST)b; } \
  static inline uint32_t NUM_I##W##_GE_U(UT a, UT b) { return a >= b; }
WASM_NUM_ICMP(32, uint32_t, int32_t)
WASM_NUM_ICMP(64, uint64_t, int64_t)
#undef WASM_NUM_ICMP

static inline uint32_t NUM_I32_CLZ(uint32_t a) { return a ? (uint32_t)__builtin_clz(a) : 32; }
static inline uint32_t NUM_I32_CTZ(uint32_t a) { return a ? (uint32_t)__builtin_ctz(a) : 32; }
static inline uint32_t NUM_I32_POPCNT(uint32_t a) { return (uint32_t)__builtin_popcount(a); }
static inline uint64_t NUM_I64_CLZ(uint64_t a) { return a ? (uint64_t)__builtin_clzll(a) : 64; }
static inline uint64_t NUM_I64_CTZ(uint64_t a) { return a ? (uint64_t)__builtin_ctzll(a) : 64; }
static inline uint64_t NUM_I64_POPCNT(uint64_t a) { return (uint64_t)__builtin_popcountll(a); }

/* Wrapping arithmetic, bitwise ops, shifts (count taken modulo the width)
 * and rotations, generated for both widths. */
#define WASM_NUM_IARITH(W, UT, ST)                                           \
  static inline UT NUM_I##W##_ADD(UT a, UT b) { return a + b; }              \
  static inline UT NUM_I##W##_SUB(UT a, UT b) { return a - b; }              \
  static inline UT NUM_I##W##_MUL(UT a, UT b) { return a * b; }              \
  static inline UT NUM_I##W##_AND(UT a, UT b) { return a & b; }              \
  static inline UT NUM_I##W##_OR(UT a, UT b) { return a | b; }               \
  static inline UT NUM_I##W##_XOR(UT a, UT b) { return a ^ b; }              \
  static inline UT NUM_I##W##_SHL(UT a, UT b) { return a << (b & (W - 1)); } \
  static inline UT NUM_I##W##_SHR_U(UT a, UT b) { return a >> (b & (W - 1)); } \
  static inline UT NUM_I##W##_SHR_S(UT a, UT b) {                            \
    return (UT)((ST)a >> (b & (W - 1)));                                     \
  }                                                                          \
  static inline UT NUM_I##W##_ROTL(UT a, UT b) {                             \
    return (a << (b & (W - 1))) | (a >> ((W - b) & (W - 1)));                \
  }                                                                          \
  static inline UT NUM_I##W##_ROTR(UT a, UT b) {                             \
    return (a >> (b & (W - 1))) | (a << ((W - b) & (W - 1)));                \
  }                                                                          \
  static inline int NUM_I##W##_DIV_U(UT a, UT b, UT *out) {                  \
    if (b == 0) return WASM_NUMTRAP_DIV_ZERO;                                \
    *out = a / b;                                                            \
    return 0;                                                                \
  }                                                                          \
  static inline int NUM_I##W##_REM_U(UT a, UT b, UT *out) {                  \
    if (b == 0) return WASM_NUMTRAP_DIV_ZERO;                                \
    *out = a % b;                                                            \
    return 0;                                                                \
  }                                                                          \
  /* INT_MIN / -1 overflows (a trap); INT_MIN % -1 is 0 (but UB in C). */    \
  static inline int NUM_I##W##_DIV_S(UT a, UT b, UT *out) {                  \
    if (b == 0) return WASM_NUMTRAP_DIV_ZERO;                                \
    if (a == (UT)1 << (W - 1) && b == (UT)-1) return WASM_NUMTRAP_INT_OVERFLOW; \
    *out = (UT)((ST)a / (ST)b);                                              \
    return 0;                                                                \
  }                                                                          \
  static inline int NUM_I##W##_REM_S(UT a, UT b, UT *out) {                  \
    if (b == 0) return WASM_NUMTRAP_DIV_ZERO;                                \
    *out = b == (UT)-1 ? 0 : (UT)((ST)a % (ST)b);                            \
    return 0;                                                                \
  }
WASM_NUM_IARITH(32, uint32_t, int32_t)
WASM_NUM_IARITH(64, uint64_t, int64_t)
#undef WASM_NUM_IARITH

/* Sign extension and integer width conversions. */
static inline uint32_t NUM_I32_EXTEND8_S(uint32_t a) { return (uint32_t)(int32_t)(int8_t)a; }
static inline uint32_t NUM_I32_EXTEND16_S(uint32_t a) { return (uint32_t)(int32_t)(int16_t)a; }
static inline uint64_t NUM_I64_EXTEND8_S(uint64_t a) { return (uint64_t)(int64_t)(int8_t)a; }
static inline uint64_t NUM_I64_EXTEND16_S(uint64_t a) { return (uint64_t)(int64_t)(int16_t)a; }
static inline uint64_t NUM_I64_EXTEND32_S(uint64_t a) { return (uint64_t)(int64_t)(int32_t)a; }
static inline uint32_t NUM_I32_WRAP_I64(uint64_t a) { return (uint32_t)a; }
static inline uint64_t NUM_I64_EXTEND_I32_S(uint32_t a) { return (uint64_t)(int64_t)(int32_t)a; }
static inline uint64_t NUM_I64_EXTEND_I32_U(uint32_t a) { return a; }

/* ======================================================================
 * Scalar float operations. abs/neg/copysign are bit operations (they must
 * keep NaN payloads); NaN results of the others may be any arithmetic NaN,
 * which is what the hardware gives (x86-64 SSE: quieted input payload, or
 * the default NaN).
 * ====================================================================== */

static inline int wasm_f32_sign(float a) { return (wasm_f32_bits(a) >> 31) != 0; }
static inline int wasm_f64_sign(double a) { return (wasm_f64_bits(a) >> 63) != 0; }

/* min/max: any NaN operand gives a NaN (a + b quiets a signalling one);
 * -0 is smaller than +0. */
static inline float wasm_f32_min(float a, float b) {
  if (isnan(a) || isnan(b)) return a + b;
  if (a == b) return wasm_f32_sign(a) ? a : b;
  return a < b ? a : b;
}
static inline float wasm_f32_max(float a, float b) {
  if (isnan(a) || isnan(b)) return a + b;
  if (a == b) return wasm_f32_sign(a) ? b : a;
  return a > b ? a : b;
}
static inline double wasm_f64_min(double a, double b) {
  if (isnan(a) || isnan(b)) return a + b;
  if (a == b) return wasm_f64_sign(a) ? a : b;
  return a < b ? a : b;
}
static inline double wasm_f64_max(double a, double b) {
  if (isnan(a) || isnan(b)) return a + b;
  if (a == b) return wasm_f64_sign(a) ? b : a;
  return a > b ? a : b;
}

/* Per float type: comparisons and arithmetic. FT is the C type, UT the
 * same-size unsigned type, S the libm suffix ("f" or nothing), SIGN the
 * sign bit, BITS/UNBITS the bit casts. nearest uses nearbyint, which
 * rounds half to even in the default rounding mode without raising
 * inexact. The rounding ops quiet NaNs themselves (a + a): gcc may inline
 * floor/ceil/trunc as an SSE2 sequence that passes a signalling NaN
 * through unchanged, which is not an arithmetic NaN. */
#define WASM_NUM_FARITH(W, FT, UT, SIGN, BITS, UNBITS, CEIL, FLOOR, TRUNC,   \
                        NEAREST, SQRT, MIN, MAX)                             \
  static inline uint32_t NUM_F##W##_EQ(FT a, FT b) { return a == b; }        \
  static inline uint32_t NUM_F##W##_NE(FT a, FT b) { return a != b; }        \
  static inline uint32_t NUM_F##W##_LT(FT a, FT b) { return a < b; }         \
  static inline uint32_t NUM_F##W##_GT(FT a, FT b) { return a > b; }         \
  static inline uint32_t NUM_F##W##_LE(FT a, FT b) { return a <= b; }        \
  static inline uint32_t NUM_F##W##_GE(FT a, FT b) { return a >= b; }        \
  static inline FT NUM_F##W##_ABS(FT a) { return UNBITS(BITS(a) & ~SIGN); }  \
  static inline FT NUM_F##W##_NEG(FT a) { return UNBITS(BITS(a) ^ SIGN); }   \
  static inline FT NUM_F##W##_COPYSIGN(FT a, FT b) {                         \
    return UNBITS((BITS(a) & ~SIGN) | (BITS(b) & SIGN));                     \
  }                                                                          \
  static inline FT NUM_F##W##_CEIL(FT a) {                                   \
    return isnan(a) ? a + a : CEIL(a);                                       \
  }                                                                          \
  static inline FT NUM_F##W##_FLOOR(FT a) {                                  \
    return isnan(a) ? a + a : FLOOR(a);                                      \
  }                                                                          \
  static inline FT NUM_F##W##_TRUNC(FT a) {                                  \
    return isnan(a) ? a + a : TRUNC(a);                                      \
  }                                                                          \
  static inline FT NUM_F##W##_NEAREST(FT a) {                                \
    return isnan(a) ? a + a : NEAREST(a);                                    \
  }                                                                          \
  static inline FT NUM_F##W##_SQRT(FT a) { return SQRT(a); }                 \
  static inline FT NUM_F##W##_ADD(FT a, FT b) { return a + b; }              \
  static inline FT NUM_F##W##_SUB(FT a, FT b) { return a - b; }              \
  static inline FT NUM_F##W##_MUL(FT a, FT b) { return a * b; }              \
  static inline FT NUM_F##W##_DIV(FT a, FT b) { return a / b; }              \
  static inline FT NUM_F##W##_MIN(FT a, FT b) { return MIN(a, b); }          \
  static inline FT NUM_F##W##_MAX(FT a, FT b) { return MAX(a, b); }
WASM_NUM_FARITH(32, float, uint32_t, UINT32_C(0x80000000), wasm_f32_bits,
                wasm_bits_f32, ceilf, floorf, truncf, nearbyintf, sqrtf,
                wasm_f32_min, wasm_f32_max)
WASM_NUM_FARITH(64, double, uint64_t, UINT64_C(0x8000000000000000),
                wasm_f64_bits, wasm_bits_f64, ceil, floor, trunc, nearbyint,
                sqrt, wasm_f64_min, wasm_f64_max)
#undef WASM_NUM_FARITH

/* Float <-> float and int -> float conversions (C rounds to nearest even,
 * also for uint64_t -> float on x86-64 with gcc and clang). */
static inline float NUM_F32_DEMOTE_F64(double a) { return (float)a; }
static inline double NUM_F64_PROMOTE_F32(float a) { return (double)a; }
static inline float NUM_F32_CONVERT_I32_S(uint32_t a) { return (float)(int32_t)a; }
static inline float NUM_F32_CONVERT_I32_U(uint32_t a) { return (float)a; }
static inline float NUM_F32_CONVERT_I64_S(uint64_t a) { return (float)(int64_t)a; }
static inline float NUM_F32_CONVERT_I64_U(uint64_t a) { return (float)a; }
static inline double NUM_F64_CONVERT_I32_S(uint32_t a) { return (double)(int32_t)a; }
static inline double NUM_F64_CONVERT_I32_U(uint32_t a) { return (double)a; }
static inline double NUM_F64_CONVERT_I64_S(uint64_t a) { return (double)(int64_t)a; }
static inline double NUM_F64_CONVERT_I64_U(uint64_t a) { return (double)a; }

static inline uint32_t NUM_I32_REINTERPRET_F32(float a) { return wasm_f32_bits(a); }
static inline uint64_t NUM_I64_REINTERPRET_F64(double a) { return wasm_f64_bits(a); }
static inline float NUM_F32_REINTERPRET_I32(uint32_t a) { return wasm_bits_f32(a); }
static inline double NUM_F64_REINTERPRET_I64(uint64_t a) { return wasm_bits_f64(a); }

/* Float -> int truncation. A value converts iff (a LOOP LO) && a < HI,
 * with exactly representable bounds: signed targets accept [-2^(N-1),
 * 2^(N-1)) (f64 -> i32: (-2^31 - 1, 2^31), as -2147483648.5 truncates to
 * INT32_MIN); unsigned ones (-1, 2^N), so (-1, 0] truncates to 0.
 * Trapping versions: NaN -> invalid conversion, out of range -> integer
 * overflow. Saturating versions clamp, NaN -> 0. */
#define WASM_NUM_TRUNC(ID, FT, RT, CT, LOOP, LO, HI, MINV, MAXV)             \
  static inline int NUM_##ID(FT a, RT *out) {                                \
    if (isnan(a)) return WASM_NUMTRAP_INVALID_CONV;                          \
    if (!((a LOOP LO) && a < HI)) return WASM_NUMTRAP_INT_OVERFLOW;          \
    *out = (RT)(CT)a;                                                        \
    return 0;                                                                \
  }
#define WASM_NUM_TRUNC_SAT(ID, FT, RT, CT, LOOP, LO, HI, MINV, MAXV)         \
  static inline RT NUM_##ID(FT a) {                                          \
    if (isnan(a)) return 0;                                                  \
    if (!(a LOOP LO)) return (RT)(MINV);                                     \
    if (!(a < HI)) return (RT)(MAXV);                                        \
    return (RT)(CT)a;                                                        \
  }
#define WASM_NUM_TRUNC_ALL(M, SAT)                                             \
  M(I32_TRUNC##SAT##F32_S, float, uint32_t, int32_t, >=, -2147483648.0f,       \
    2147483648.0f, INT32_MIN, INT32_MAX)                                       \
  M(I32_TRUNC##SAT##F32_U, float, uint32_t, uint32_t, >, -1.0f,                \
    4294967296.0f, 0, UINT32_MAX)                                              \
  M(I32_TRUNC##SAT##F64_S, double, uint32_t, int32_t, >, -2147483649.0,        \
    2147483648.0, INT32_MIN, INT32_MAX)                                        \
  M(I32_TRUNC##SAT##F64_U, double, uint32_t, uint32_t, >, -1.0,                \
    4294967296.0, 0, UINT32_MAX)                                               \
  M(I64_TRUNC##SAT##F32_S, float, uint64_t, int64_t, >=,                       \
    -9223372036854775808.0f, 9223372036854775808.0f, INT64_MIN, INT64_MAX)     \
  M(I64_TRUNC##SAT##F32_U, float, uint64_t, uint64_t, >, -1.0f,                \
    18446744073709551616.0f, 0, UINT64_MAX)                                    \
  M(I64_TRUNC##SAT##F64_S, double, uint64_t, int64_t, >=,                      \
    -9223372036854775808.0, 9223372036854775808.0, INT64_MIN, INT64_MAX)       \
  M(I64_TRUNC##SAT##F64_U, double, uint64_t, uint64_t, >, -1.0,                \
    18446744073709551616.0, 0, UINT64_MAX)
WASM_NUM_TRUNC_ALL(WASM_NUM_TRUNC, _)
WASM_NUM_TRUNC_ALL(WASM_NUM_TRUNC_SAT, _SAT_)
#undef WASM_NUM_TRUNC_ALL
#undef WASM_NUM_TRUNC_SAT
#undef WASM_NUM_TRUNC

/* The ops that follow the trapping convention (int NUM_X(..., r *out)),
 * as an X-macro list X(ID) for code that wants to tell them apart. */
#define WASM_NUM_TRAPPING_OPS(X)                                             \
  X(I32_DIV_S) X(I32_DIV_U) X(I32_REM_S) X(I32_REM_U)                        \
  X(I64_DIV_S) X(I64_DIV_U) X(I64_REM_S) X(I64_REM_U)                        \
  X(I32_TRUNC_F32_S) X(I32_TRUNC_F32_U) X(I32_TRUNC_F64_S)                   \
  X(I32_TRUNC_F64_U) X(I64_TRUNC_F32_S) X(I64_TRUNC_F32_U)                   \
  X(I64_TRUNC_F64_S) X(I64_TRUNC_F64_U)

/* ======================================================================
 * SIMD. The host is little-endian, so lane i of the union views is lane i
 * of the wasm value. Lane-wise ops are generated by the WASM_V_* macros
 * below: inside EXPR, x (and y) are lane i of a (and b), of C type T read
 * from view F; the result goes to view R of r.
 * ====================================================================== */

#define WASM_V_MAP1(ID, T, F, N, R, EXPR)                                    \
  static inline wasm_v128 NUM_##ID(wasm_v128 a) {                            \
    wasm_v128 r;                                                             \
    for (int i = 0; i < (N); i++) {                                          \
      T x = a.F[i];                                                          \
      r.R[i] = (EXPR);                                                       \
    }                                                                        \
    return r;                                                                \
  }
#define WASM_V_MAP2(ID, T, F, N, R, EXPR)                                    \
  static inline wasm_v128 NUM_##ID(wasm_v128 a, wasm_v128 b) {               \
    wasm_v128 r;                                                             \
    for (int i = 0; i < (N); i++) {                                          \
      T x = a.F[i], y = b.F[i];                                              \
      r.R[i] = (EXPR);                                                       \
    }                                                                        \
    return r;                                                                \
  }
/* Comparisons: all ones (-1 in the signed view S) when EXPR holds. */
#define WASM_V_CMP(ID, T, F, N, S, EXPR)                                     \
  WASM_V_MAP2(ID, T, F, N, S, (EXPR) ? -1 : 0)
/* Shifts by a scalar count, taken modulo the lane width: s in EXPR. */
#define WASM_V_SHIFT(ID, T, F, N, R, EXPR)                                   \
  static inline wasm_v128 NUM_##ID(wasm_v128 a, uint32_t n) {                \
    wasm_v128 r;                                                             \
    uint32_t s = n & (128 / (N) - 1);                                        \
    for (int i = 0; i < (N); i++) {                                          \
      T x = a.F[i];                                                          \
      r.R[i] = (EXPR);                                                       \
    }                                                                        \
    return r;                                                                \
  }

/* ---- splat, lanes, shuffle, swizzle ---- */

#define WASM_V_SPLAT(ID, AT, F, N, CT)                                       \
  static inline wasm_v128 NUM_##ID(AT x) {                                   \
    wasm_v128 r;                                                             \
    for (int i = 0; i < (N); i++) r.F[i] = (CT)x;                            \
    return r;                                                                \
  }
WASM_V_SPLAT(I8X16_SPLAT, uint32_t, u8, 16, uint8_t)
WASM_V_SPLAT(I16X8_SPLAT, uint32_t, u16, 8, uint16_t)
WASM_V_SPLAT(I32X4_SPLAT, uint32_t, u32, 4, uint32_t)
WASM_V_SPLAT(I64X2_SPLAT, uint64_t, u64, 2, uint64_t)
WASM_V_SPLAT(F32X4_SPLAT, float, f32, 4, float)
WASM_V_SPLAT(F64X2_SPLAT, double, f64, 2, double)
#undef WASM_V_SPLAT

/* The validator bounds the lane index; masking it keeps a bad one in the
 * value anyway. ET is the scalar type, CT the conversion (sign or zero
 * extension for the narrow lanes). */
#define WASM_V_EXTRACT(ID, ET, F, N, CT)                                     \
  static inline ET NUM_##ID(wasm_v128 v, uint32_t lane) {                    \
    return (ET)(CT)v.F[lane & ((N) - 1)];                                    \
  }
#define WASM_V_REPLACE(ID, ET, F, N, LT)                                     \
  static inline wasm_v128 NUM_##ID(wasm_v128 v, uint32_t lane, ET x) {       \
    v.F[lane & ((N) - 1)] = (LT)x;                                           \
    return v;                                                                \
  }
WASM_V_EXTRACT(I8X16_EXTRACT_LANE_S, uint32_t, i8, 16, int32_t)
WASM_V_EXTRACT(I8X16_EXTRACT_LANE_U, uint32_t, u8, 16, uint32_t)
WASM_V_REPLACE(I8X16_REPLACE_LANE, uint32_t, u8, 16, uint8_t)
WASM_V_EXTRACT(I16X8_EXTRACT_LANE_S, uint32_t, i16, 8, int32_t)
WASM_V_EXTRACT(I16X8_EXTRACT_LANE_U, uint32_t, u16, 8, uint32_t)
WASM_V_REPLACE(I16X8_REPLACE_LANE, uint32_t, u16, 8, uint16_t)
WASM_V_EXTRACT(I32X4_EXTRACT_LANE, uint32_t, u32, 4, uint32_t)
WASM_V_REPLACE(I32X4_REPLACE_LANE, uint32_t, u32, 4, uint32_t)
WASM_V_EXTRACT(I64X2_EXTRACT_LANE, uint64_t, u64, 2, uint64_t)
WASM_V_REPLACE(I64X2_REPLACE_LANE, uint64_t, u64, 2, uint64_t)
WASM_V_EXTRACT(F32X4_EXTRACT_LANE, float, f32, 4, float)
WASM_V_REPLACE(F32X4_REPLACE_LANE, float, f32, 4, float)
WASM_V_EXTRACT(F64X2_EXTRACT_LANE, double, f64, 2, double)
WASM_V_REPLACE(F64X2_REPLACE_LANE, double, f64, 2, double)
#undef WASM_V_EXTRACT
#undef WASM_V_REPLACE

/* Lane indices 0-15 pick from a, 16-31 from b (validated; masked here). */
static inline wasm_v128 NUM_I8X16_SHUFFLE(wasm_v128 a, wasm_v128 b,
                                          const uint8_t lanes[16]) {
  wasm_v128 r;
  for (int i = 0; i < 16; i++) {
    uint8_t l = lanes[i] & 31;
    r.u8[i] = l < 16 ? a.u8[l] : b.u8[l - 16];
  }
  return r;
}
/* Indices of 16 and above select 0. */
static inline wasm_v128 NUM_I8X16_SWIZZLE(wasm_v128 a, wasm_v128 b) {
  wasm_v128 r;
  for (int i = 0; i < 16; i++) r.u8[i] = b.u8[i] < 16 ? a.u8[b.u8[i]] : 0;
  return r;
}

/* ---- comparisons ---- */

#define WASM_V_ICMPS(P, W, N)                                                \
  WASM_V_CMP(P##_EQ, uint##W##_t, u##W, N, i##W, x == y)                     \
  WASM_V_CMP(P##_NE, uint##W##_t, u##W, N, i##W, x != y)                     \
  WASM_V_CMP(P##_LT_S, int##W##_t, i##W, N, i##W, x < y)                     \
  WASM_V_CMP(P##_GT_S, int##W##_t, i##W, N, i##W, x > y)                     \
  WASM_V_CMP(P##_LE_S, int##W##_t, i##W, N, i##W, x <= y)                    \
  WASM_V_CMP(P##_GE_S, int##W##_t, i##W, N, i##W, x >= y)
#define WASM_V_ICMPU(P, W, N)                                                \
  WASM_V_CMP(P##_LT_U, uint##W##_t, u##W, N, i##W, x < y)                    \
  WASM_V_CMP(P##_GT_U, uint##W##_t, u##W, N, i##W, x > y)                    \
  WASM_V_CMP(P##_LE_U, uint##W##_t, u##W, N, i##W, x <= y)                   \
  WASM_V_CMP(P##_GE_U, uint##W##_t, u##W, N, i##W, x >= y)
WASM_V_ICMPS(I8X16, 8, 16)
WASM_V_ICMPU(I8X16, 8, 16)
WASM_V_ICMPS(I16X8, 16, 8)
WASM_V_ICMPU(I16X8, 16, 8)
WASM_V_ICMPS(I32X4, 32, 4)
WASM_V_ICMPU(I32X4, 32, 4)
WASM_V_ICMPS(I64X2, 64, 2) /* i64x2 has no unsigned comparisons */
#undef WASM_V_ICMPS
#undef WASM_V_ICMPU

#define WASM_V_FCMP(P, FT, F, N, S)                                          \
  WASM_V_CMP(P##_EQ, FT, F, N, S, x == y)                                    \
  WASM_V_CMP(P##_NE, FT, F, N, S, x != y)                                    \
  WASM_V_CMP(P##_LT, FT, F, N, S, x < y)                                     \
  WASM_V_CMP(P##_GT, FT, F, N, S, x > y)                                     \
  WASM_V_CMP(P##_LE, FT, F, N, S, x <= y)                                    \
  WASM_V_CMP(P##_GE, FT, F, N, S, x >= y)
WASM_V_FCMP(F32X4, float, f32, 4, i32)
WASM_V_FCMP(F64X2, double, f64, 2, i64)
#undef WASM_V_FCMP

/* ---- v128 bitwise ---- */

WASM_V_MAP1(V128_NOT, uint64_t, u64, 2, u64, ~x)
WASM_V_MAP2(V128_AND, uint64_t, u64, 2, u64, x & y)
WASM_V_MAP2(V128_ANDNOT, uint64_t, u64, 2, u64, x & ~y)
WASM_V_MAP2(V128_OR, uint64_t, u64, 2, u64, x | y)
WASM_V_MAP2(V128_XOR, uint64_t, u64, 2, u64, x ^ y)
static inline wasm_v128 NUM_V128_BITSELECT(wasm_v128 a, wasm_v128 b, wasm_v128 c) {
  wasm_v128 r;
  for (int i = 0; i < 2; i++) r.u64[i] = (a.u64[i] & c.u64[i]) | (b.u64[i] & ~c.u64[i]);
  return r;
}
static inline uint32_t NUM_V128_ANY_TRUE(wasm_v128 a) { return (a.u64[0] | a.u64[1]) != 0; }

/* ---- integer lane arithmetic ----
 * Per lane width W (lanes N): wrapping ops are computed in uint32_t or
 * uint64_t (never in int, where u16 * u16 could overflow) and truncated;
 * saturating ones in int, then clamped. */

static inline int32_t wasm_v_clamp(int32_t x, int32_t lo, int32_t hi) {
  return x < lo ? lo : x > hi ? hi : x;
}

#define WASM_V_IARITH(P, W, N, UT, ST, WT)                                   \
  WASM_V_MAP1(P##_NEG, UT, u##W, N, u##W, (UT)((WT)0 - x))                   \
  WASM_V_MAP1(P##_ABS, ST, i##W, N, u##W,                                    \
              (UT)(x < 0 ? (WT)0 - (WT)(UT)x : (WT)(UT)x))                   \
  WASM_V_MAP2(P##_ADD, UT, u##W, N, u##W, (UT)((WT)x + y))                   \
  WASM_V_MAP2(P##_SUB, UT, u##W, N, u##W, (UT)((WT)x - y))                   \
  WASM_V_SHIFT(P##_SHL, UT, u##W, N, u##W, (UT)((WT)x << s))                 \
  WASM_V_SHIFT(P##_SHR_U, UT, u##W, N, u##W, (UT)(x >> s))                   \
  WASM_V_SHIFT(P##_SHR_S, ST, i##W, N, i##W, (ST)(x >> s))                   \
  static inline uint32_t NUM_##P##_ALL_TRUE(wasm_v128 a) {                   \
    for (int i = 0; i < (N); i++)                                            \
      if (a.u##W[i] == 0) return 0;                                          \
    return 1;                                                                \
  }                                                                          \
  static inline uint32_t NUM_##P##_BITMASK(wasm_v128 a) {                    \
    uint32_t m = 0;                                                          \
    for (int i = 0; i < (N); i++) m |= (uint32_t)(a.u##W[i] >> (W - 1)) << i; \
    return m;                                                                \
  }
WASM_V_IARITH(I8X16, 8, 16, uint8_t, int8_t, uint32_t)
WASM_V_IARITH(I16X8, 16, 8, uint16_t, int16_t, uint32_t)
WASM_V_IARITH(I32X4, 32, 4, uint32_t, int32_t, uint32_t)
WASM_V_IARITH(I64X2, 64, 2, uint64_t, int64_t, uint64_t)
#undef WASM_V_IARITH

WASM_V_MAP2(I16X8_MUL, uint16_t, u16, 8, u16, (uint16_t)((uint32_t)x * y))
WASM_V_MAP2(I32X4_MUL, uint32_t, u32, 4, u32, x * y)
WASM_V_MAP2(I64X2_MUL, uint64_t, u64, 2, u64, x * y)

#define WASM_V_MINMAX(P, W, N)                                               \
  WASM_V_MAP2(P##_MIN_S, int##W##_t, i##W, N, i##W, x < y ? x : y)           \
  WASM_V_MAP2(P##_MIN_U, uint##W##_t, u##W, N, u##W, x < y ? x : y)          \
  WASM_V_MAP2(P##_MAX_S, int##W##_t, i##W, N, i##W, x > y ? x : y)           \
  WASM_V_MAP2(P##_MAX_U, uint##W##_t, u##W, N, u##W, x > y ? x : y)
WASM_V_MINMAX(I8X16, 8, 16)
WASM_V_MINMAX(I16X8, 16, 8)
WASM_V_MINMAX(I32X4, 32, 4)
#undef WASM_V_MINMAX

/* Saturating add/sub and rounding average, 8- and 16-bit lanes only. */
#define WASM_V_SATARITH(P, W, N)                                             \
  WASM_V_MAP2(P##_ADD_SAT_S, int32_t, i##W, N, i##W,                         \
              (int##W##_t)wasm_v_clamp(x + y, INT##W##_MIN, INT##W##_MAX))   \
  WASM_V_MAP2(P##_SUB_SAT_S, int32_t, i##W, N, i##W,                         \
              (int##W##_t)wasm_v_clamp(x - y, INT##W##_MIN, INT##W##_MAX))   \
  WASM_V_MAP2(P##_ADD_SAT_U, int32_t, u##W, N, u##W,                         \
              (uint##W##_t)wasm_v_clamp(x + y, 0, UINT##W##_MAX))            \
  WASM_V_MAP2(P##_SUB_SAT_U, int32_t, u##W, N, u##W,                         \
              (uint##W##_t)wasm_v_clamp(x - y, 0, UINT##W##_MAX))            \
  WASM_V_MAP2(P##_AVGR_U, uint32_t, u##W, N, u##W,                           \
              (uint##W##_t)((x + y + 1) >> 1))
WASM_V_SATARITH(I8X16, 8, 16)
WASM_V_SATARITH(I16X8, 16, 8)
#undef WASM_V_SATARITH

WASM_V_MAP1(I8X16_POPCNT, uint8_t, u8, 16, u8, (uint8_t)__builtin_popcount(x))

/* Rounding Q15 multiply: (x * y + 2^14) >> 15, saturated (only
 * -32768 * -32768 overflows). The product is at most 2^30, so int is
 * enough; >> of a negative int is arithmetic with gcc and clang. */
WASM_V_MAP2(I16X8_Q15MULR_SAT_S, int32_t, i16, 8, i16,
            (int16_t)wasm_v_clamp((x * y + 0x4000) >> 15, INT16_MIN, INT16_MAX))

/* Narrowing: a gives the low half of the lanes, b the high half, each
 * signed source lane saturated to the signed or unsigned target range. */
#define WASM_V_NARROW(ID, SF, RF, RT, N, LO, HI)                             \
  static inline wasm_v128 NUM_##ID(wasm_v128 a, wasm_v128 b) {               \
    wasm_v128 r;                                                             \
    for (int i = 0; i < (N); i++) {                                          \
      r.RF[i] = (RT)wasm_v_clamp(a.SF[i], LO, HI);                           \
      r.RF[i + (N)] = (RT)wasm_v_clamp(b.SF[i], LO, HI);                     \
    }                                                                        \
    return r;                                                                \
  }
WASM_V_NARROW(I8X16_NARROW_I16X8_S, i16, i8, int8_t, 8, INT8_MIN, INT8_MAX)
WASM_V_NARROW(I8X16_NARROW_I16X8_U, i16, u8, uint8_t, 8, 0, UINT8_MAX)
WASM_V_NARROW(I16X8_NARROW_I32X4_S, i32, i16, int16_t, 4, INT16_MIN, INT16_MAX)
WASM_V_NARROW(I16X8_NARROW_I32X4_U, i32, u16, uint16_t, 4, 0, UINT16_MAX)
#undef WASM_V_NARROW

/* Widening ops, from N source lanes of view SF (type ST) to N result lanes
 * of view RF (type RT), starting at source lane OFF (0 low, N high):
 * extend, extmul (products computed in the wider type WT, unsigned for the
 * unsigned variants so u16 * u16 cannot overflow int), extadd_pairwise. */
#define WASM_V_EXTEND(ID, SF, RF, RT, N, OFF)                                \
  static inline wasm_v128 NUM_##ID(wasm_v128 a) {                            \
    wasm_v128 r;                                                             \
    for (int i = 0; i < (N); i++) r.RF[i] = (RT)a.SF[i + (OFF)];             \
    return r;                                                                \
  }
#define WASM_V_EXTMUL(ID, SF, RF, RT, WT, N, OFF)                            \
  static inline wasm_v128 NUM_##ID(wasm_v128 a, wasm_v128 b) {               \
    wasm_v128 r;                                                             \
    for (int i = 0; i < (N); i++)                                            \
      r.RF[i] = (RT)((WT)a.SF[i + (OFF)] * (WT)b.SF[i + (OFF)]);             \
    return r;                                                                \
  }
#define WASM_V_WIDEN(P, FROM, S, SF, RF, RT, WT, N)                          \
  WASM_V_EXTEND(P##_EXTEND_LOW_##FROM##_##S, SF, RF, RT, N, 0)               \
  WASM_V_EXTEND(P##_EXTEND_HIGH_##FROM##_##S, SF, RF, RT, N, N)              \
  WASM_V_EXTMUL(P##_EXTMUL_LOW_##FROM##_##S, SF, RF, RT, WT, N, 0)           \
  WASM_V_EXTMUL(P##_EXTMUL_HIGH_##FROM##_##S, SF, RF, RT, WT, N, N)
WASM_V_WIDEN(I16X8, I8X16, S, i8, i16, int16_t, int32_t, 8)
WASM_V_WIDEN(I16X8, I8X16, U, u8, u16, uint16_t, uint32_t, 8)
WASM_V_WIDEN(I32X4, I16X8, S, i16, i32, int32_t, int32_t, 4)
WASM_V_WIDEN(I32X4, I16X8, U, u16, u32, uint32_t, uint32_t, 4)
WASM_V_WIDEN(I64X2, I32X4, S, i32, i64, int64_t, int64_t, 2)
WASM_V_WIDEN(I64X2, I32X4, U, u32, u64, uint64_t, uint64_t, 2)
#undef WASM_V_WIDEN
#undef WASM_V_EXTMUL
#undef WASM_V_EXTEND

#define WASM_V_EXTADD(ID, SF, RF, RT, N)                                     \
  static inline wasm_v128 NUM_##ID(wasm_v128 a) {                            \
    wasm_v128 r;                                                             \
    for (int i = 0; i < (N); i++)                                            \
      r.RF[i] = (RT)((int32_t)a.SF[2 * i] + (int32_t)a.SF[2 * i + 1]);       \
    return r;                                                                \
  }
WASM_V_EXTADD(I16X8_EXTADD_PAIRWISE_I8X16_S, i8, i16, int16_t, 8)
WASM_V_EXTADD(I16X8_EXTADD_PAIRWISE_I8X16_U, u8, u16, uint16_t, 8)
WASM_V_EXTADD(I32X4_EXTADD_PAIRWISE_I16X8_S, i16, i32, int32_t, 4)
WASM_V_EXTADD(I32X4_EXTADD_PAIRWISE_I16X8_U, u16, u32, uint32_t, 4)
#undef WASM_V_EXTADD

/* Each product fits in int32, but their sum can wrap (2 * -32768^2 = 2^31):
 * add as uint32_t. */
static inline wasm_v128 NUM_I32X4_DOT_I16X8_S(wasm_v128 a, wasm_v128 b) {
  wasm_v128 r;
  for (int i = 0; i < 4; i++) {
    int32_t p0 = (int32_t)a.i16[2 * i] * b.i16[2 * i];
    int32_t p1 = (int32_t)a.i16[2 * i + 1] * b.i16[2 * i + 1];
    r.u32[i] = (uint32_t)p0 + (uint32_t)p1;
  }
  return r;
}

/* ---- float lane arithmetic: the scalar semantics, lane by lane ----
 * abs/neg work on the bits (views u32/u64) so NaN payloads survive. */

#define WASM_V_FARITH(P, SP, FT, F, UT, U, N, SIGN)                          \
  WASM_V_MAP1(P##_ABS, UT, U, N, U, x & ~(SIGN))                             \
  WASM_V_MAP1(P##_NEG, UT, U, N, U, x ^ (SIGN))                              \
  WASM_V_MAP1(P##_SQRT, FT, F, N, F, NUM_##SP##_SQRT(x))                     \
  WASM_V_MAP1(P##_CEIL, FT, F, N, F, NUM_##SP##_CEIL(x))                     \
  WASM_V_MAP1(P##_FLOOR, FT, F, N, F, NUM_##SP##_FLOOR(x))                   \
  WASM_V_MAP1(P##_TRUNC, FT, F, N, F, NUM_##SP##_TRUNC(x))                   \
  WASM_V_MAP1(P##_NEAREST, FT, F, N, F, NUM_##SP##_NEAREST(x))               \
  WASM_V_MAP2(P##_ADD, FT, F, N, F, x + y)                                   \
  WASM_V_MAP2(P##_SUB, FT, F, N, F, x - y)                                   \
  WASM_V_MAP2(P##_MUL, FT, F, N, F, x * y)                                   \
  WASM_V_MAP2(P##_DIV, FT, F, N, F, x / y)                                   \
  WASM_V_MAP2(P##_MIN, FT, F, N, F, NUM_##SP##_MIN(x, y))                    \
  WASM_V_MAP2(P##_MAX, FT, F, N, F, NUM_##SP##_MAX(x, y))                    \
  WASM_V_MAP2(P##_PMIN, FT, F, N, F, y < x ? y : x)                          \
  WASM_V_MAP2(P##_PMAX, FT, F, N, F, x < y ? y : x)
WASM_V_FARITH(F32X4, F32, float, f32, uint32_t, u32, 4, UINT32_C(0x80000000))
WASM_V_FARITH(F64X2, F64, double, f64, uint64_t, u64, 2,
              UINT64_C(0x8000000000000000))
#undef WASM_V_FARITH

/* ---- lane conversions ---- */

WASM_V_MAP1(I32X4_TRUNC_SAT_F32X4_S, float, f32, 4, u32, NUM_I32_TRUNC_SAT_F32_S(x))
WASM_V_MAP1(I32X4_TRUNC_SAT_F32X4_U, float, f32, 4, u32, NUM_I32_TRUNC_SAT_F32_U(x))
WASM_V_MAP1(F32X4_CONVERT_I32X4_S, int32_t, i32, 4, f32, (float)x)
WASM_V_MAP1(F32X4_CONVERT_I32X4_U, uint32_t, u32, 4, f32, (float)x)

/* The f64x2 -> 32-bit-lane ops fill lanes 0-1 and zero lanes 2-3; the
 * 32-bit -> f64x2 ones read lanes 0-1. */
#define WASM_V_HALF(ID, ST, SF, RF, EXPR)                                    \
  static inline wasm_v128 NUM_##ID(wasm_v128 a) {                            \
    wasm_v128 r;                                                             \
    memset(&r, 0, sizeof r);                                                 \
    for (int i = 0; i < 2; i++) {                                            \
      ST x = a.SF[i];                                                        \
      r.RF[i] = (EXPR);                                                      \
    }                                                                        \
    return r;                                                                \
  }
WASM_V_HALF(I32X4_TRUNC_SAT_F64X2_S_ZERO, double, f64, u32, NUM_I32_TRUNC_SAT_F64_S(x))
WASM_V_HALF(I32X4_TRUNC_SAT_F64X2_U_ZERO, double, f64, u32, NUM_I32_TRUNC_SAT_F64_U(x))
WASM_V_HALF(F32X4_DEMOTE_F64X2_ZERO, double, f64, f32, (float)x)
WASM_V_HALF(F64X2_PROMOTE_LOW_F32X4, float, f32, f64, (double)x)
WASM_V_HALF(F64X2_CONVERT_LOW_I32X4_S, int32_t, i32, f64, (double)x)
WASM_V_HALF(F64X2_CONVERT_LOW_I32X4_U, uint32_t, u32, f64, (double)x)
#undef WASM_V_HALF

/* ---- SIMD memory ops (p is the bounds-checked effective address) ---- */

/* load8x8_s ... load32x2_u: N narrow lanes of type ST, extended to RT. */
#define WASM_V_LOAD_EXT(ID, ST, RF, RT, N)                                   \
  static inline wasm_v128 NUM_##ID(const uint8_t *p) {                       \
    ST s[N];                                                                 \
    wasm_v128 r;                                                             \
    memcpy(s, p, sizeof s);                                                  \
    for (int i = 0; i < (N); i++) r.RF[i] = (RT)s[i];                        \
    return r;                                                                \
  }
WASM_V_LOAD_EXT(V128_LOAD8X8_S, int8_t, i16, int16_t, 8)
WASM_V_LOAD_EXT(V128_LOAD8X8_U, uint8_t, u16, uint16_t, 8)
WASM_V_LOAD_EXT(V128_LOAD16X4_S, int16_t, i32, int32_t, 4)
WASM_V_LOAD_EXT(V128_LOAD16X4_U, uint16_t, u32, uint32_t, 4)
WASM_V_LOAD_EXT(V128_LOAD32X2_S, int32_t, i64, int64_t, 2)
WASM_V_LOAD_EXT(V128_LOAD32X2_U, uint32_t, u64, uint64_t, 2)
#undef WASM_V_LOAD_EXT

#define WASM_V_LOAD_SPLAT(ID, T, F, N)                                       \
  static inline wasm_v128 NUM_##ID(const uint8_t *p) {                       \
    T x;                                                                     \
    wasm_v128 r;                                                             \
    memcpy(&x, p, sizeof x);                                                 \
    for (int i = 0; i < (N); i++) r.F[i] = x;                                \
    return r;                                                                \
  }
WASM_V_LOAD_SPLAT(V128_LOAD8_SPLAT, uint8_t, u8, 16)
WASM_V_LOAD_SPLAT(V128_LOAD16_SPLAT, uint16_t, u16, 8)
WASM_V_LOAD_SPLAT(V128_LOAD32_SPLAT, uint32_t, u32, 4)
WASM_V_LOAD_SPLAT(V128_LOAD64_SPLAT, uint64_t, u64, 2)
#undef WASM_V_LOAD_SPLAT

#define WASM_V_LOAD_ZERO(ID, BYTES)                                          \
  static inline wasm_v128 NUM_##ID(const uint8_t *p) {                       \
    wasm_v128 r;                                                             \
    memset(&r, 0, sizeof r);                                                 \
    memcpy(&r, p, BYTES);                                                    \
    return r;                                                                \
  }
WASM_V_LOAD_ZERO(V128_LOAD32_ZERO, 4)
WASM_V_LOAD_ZERO(V128_LOAD64_ZERO, 8)
#undef WASM_V_LOAD_ZERO

/* Lane loads replace lane `lane` (of BYTES-wide lanes) with the bytes at
 * p; lane stores write it to p. */
#define WASM_V_LANE_MEM(BITS, BYTES, F)                                      \
  static inline wasm_v128 NUM_V128_LOAD##BITS##_LANE(const uint8_t *p,       \
                                                     wasm_v128 v,            \
                                                     uint32_t lane) {        \
    memcpy(&v.F[lane & (16 / (BYTES) - 1)], p, BYTES);                       \
    return v;                                                                \
  }                                                                          \
  static inline void NUM_V128_STORE##BITS##_LANE(uint8_t *p, wasm_v128 v,    \
                                                 uint32_t lane) {            \
    memcpy(p, &v.F[lane & (16 / (BYTES) - 1)], BYTES);                       \
  }
WASM_V_LANE_MEM(8, 1, u8)
WASM_V_LANE_MEM(16, 2, u16)
WASM_V_LANE_MEM(32, 4, u32)
WASM_V_LANE_MEM(64, 8, u64)
#undef WASM_V_LANE_MEM

#undef WASM_V_MAP1
#undef WASM_V_MAP2
#undef WASM_V_CMP
#undef WASM_V_SHIFT

#endif
