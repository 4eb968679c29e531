/* test_numeric.c: the tricky corners of the NUM_<ID> numeric semantics
 * (wasm_numeric.h), scalar and SIMD. Prints "N passed, N failed". */
#include <stdio.h>
#include <string.h>

#include "wasm/wasm_numeric.h"
#include "unit.h"

/* Trapping op: expect trap code T, and for T == 0 the result R. */
#define TRAP2(RT, OP, A, B, T, R)                                            \
  do {                                                                       \
    RT out_ = 0;                                                             \
    int t_ = OP(A, B, &out_);                                                \
    unit_check(t_ == (T) && (t_ != 0 || out_ == (R)), #OP "(" #A ", " #B ")", \
               __FILE__, __LINE__);                                          \
  } while (0)
#define TRAP1(RT, OP, A, T, R)                                               \
  do {                                                                       \
    RT out_ = 0;                                                             \
    int t_ = OP(A, &out_);                                                   \
    unit_check(t_ == (T) && (t_ != 0 || out_ == (R)), #OP "(" #A ")",        \
               __FILE__, __LINE__);                                          \
  } while (0)

static uint32_t fb(float f) { return wasm_f32_bits(f); }
static uint64_t db(double d) { return wasm_f64_bits(d); }
static float bf(uint32_t u) { return wasm_bits_f32(u); }
static double bd(uint64_t u) { return wasm_bits_f64(u); }
static int is_arith_nan32(float f) { return isnan(f) && (fb(f) & 0x400000); }
static int is_arith_nan64(double d) { return isnan(d) && (db(d) & (1ull << 51)); }

enum { OK = 0, DIV0 = WASM_NUMTRAP_DIV_ZERO, OVF = WASM_NUMTRAP_INT_OVERFLOW,
       INV = WASM_NUMTRAP_INVALID_CONV };

static void test_int(void) {
  TRAP2(uint32_t, NUM_I32_DIV_S, 0x80000000u, 0xFFFFFFFFu, OVF, 0u);
  TRAP2(uint32_t, NUM_I32_DIV_S, 7u, 0u, DIV0, 0u);
  TRAP2(uint32_t, NUM_I32_DIV_S, (uint32_t)-7, 2u, OK, (uint32_t)-3);
  TRAP2(uint32_t, NUM_I32_REM_S, 0x80000000u, 0xFFFFFFFFu, OK, 0u);
  TRAP2(uint32_t, NUM_I32_REM_S, (uint32_t)-7, 2u, OK, (uint32_t)-1);
  TRAP2(uint32_t, NUM_I32_REM_U, 7u, 0u, DIV0, 0u);
  TRAP2(uint32_t, NUM_I32_DIV_U, 0x80000000u, 0xFFFFFFFFu, OK, 0u);
  TRAP2(uint64_t, NUM_I64_DIV_S, 0x8000000000000000ull, ~0ull, OVF, 0ull);
  TRAP2(uint64_t, NUM_I64_REM_S, 0x8000000000000000ull, ~0ull, OK, 0ull);
  TRAP2(uint64_t, NUM_I64_DIV_U, 1ull, 0ull, DIV0, 0ull);
  TRAP2(uint64_t, NUM_I64_REM_U, ~0ull, 10ull, OK, 5ull);

  CHECK(NUM_I32_SHL(1, 33) == 2);
  CHECK(NUM_I32_SHR_S(0x80000000u, 31) == 0xFFFFFFFFu);
  CHECK(NUM_I32_SHR_U(0x80000000u, 63) == 1);
  CHECK(NUM_I64_SHL(1, 64) == 1);
  CHECK(NUM_I64_SHR_S(0x8000000000000000ull, 127) == ~0ull);
  CHECK(NUM_I32_ROTL(0x80000001u, 1) == 3);
  CHECK(NUM_I32_ROTL(0x12345678u, 0) == 0x12345678u);
  CHECK(NUM_I32_ROTR(0x12345678u, 32) == 0x12345678u);
  CHECK(NUM_I32_ROTR(1, 1) == 0x80000000u);
  CHECK(NUM_I64_ROTL(0x8000000000000000ull, 65) == 1);
  CHECK(NUM_I64_ROTR(1, 0xFFFFFFFFFFFFFFFFull) == 2);
  CHECK(NUM_I32_CLZ(0) == 32 && NUM_I32_CTZ(0) == 32);
  CHECK(NUM_I64_CLZ(0) == 64 && NUM_I64_CTZ(0) == 64);
  CHECK(NUM_I64_CLZ(1) == 63 && NUM_I64_CTZ(0x8000000000000000ull) == 63);
  CHECK(NUM_I32_POPCNT(0xFFFFFFFFu) == 32 && NUM_I64_POPCNT(~0ull) == 64);
  CHECK(NUM_I32_MUL(0x80000000u, 0xFFFFFFFFu) == 0x80000000u);
  CHECK(NUM_I32_ADD(0x7FFFFFFFu, 1) == 0x80000000u);
  CHECK(NUM_I32_LT_S(0x80000000u, 0) == 1 && NUM_I32_LT_U(0x80000000u, 0) == 0);
  CHECK(NUM_I64_GE_S(0, 0x8000000000000000ull) == 1);
  CHECK(NUM_I32_EXTEND8_S(0x80) == 0xFFFFFF80u && NUM_I32_EXTEND16_S(0x17FFF) == 0x7FFF);
  CHECK(NUM_I64_EXTEND32_S(0x80000000ull) == 0xFFFFFFFF80000000ull);
  CHECK(NUM_I64_EXTEND_I32_S(0xFFFFFFFFu) == ~0ull && NUM_I64_EXTEND_I32_U(0xFFFFFFFFu) == 0xFFFFFFFFull);
  CHECK(NUM_I32_WRAP_I64(0x123456789ull) == 0x23456789u);
}

static void test_float(void) {
  /* min/max and signed zeros, NaNs */
  CHECK(fb(NUM_F32_MIN(-0.0f, 0.0f)) == 0x80000000u);
  CHECK(fb(NUM_F32_MIN(0.0f, -0.0f)) == 0x80000000u);
  CHECK(fb(NUM_F32_MAX(-0.0f, 0.0f)) == 0);
  CHECK(fb(NUM_F32_MAX(0.0f, -0.0f)) == 0);
  CHECK(db(NUM_F64_MIN(0.0, -0.0)) == 0x8000000000000000ull);
  CHECK(db(NUM_F64_MAX(-0.0, 0.0)) == 0);
  CHECK(is_arith_nan32(NUM_F32_MIN(bf(0x7FA00000u), 1.0f)));  /* signalling in */
  CHECK(is_arith_nan32(NUM_F32_MAX(1.0f, bf(0x7FC00000u))));
  CHECK(is_arith_nan64(NUM_F64_MIN(-INFINITY, bd(0x7FF0000000000001ull))));
  CHECK(NUM_F32_MIN(-INFINITY, 1.0f) == -INFINITY);
  /* bit ops keep NaN payloads, also signalling ones */
  CHECK(fb(NUM_F32_NEG(bf(0x7FA00001u))) == 0xFFA00001u);
  CHECK(fb(NUM_F32_ABS(bf(0xFF800001u))) == 0x7F800001u);
  CHECK(fb(NUM_F32_COPYSIGN(bf(0x7F800001u), -1.0f)) == 0xFF800001u);
  CHECK(db(NUM_F64_NEG(bd(0x7FF0000000000001ull))) == 0xFFF0000000000001ull);
  CHECK(db(NUM_F64_ABS(-0.0)) == 0);
  CHECK(db(NUM_F64_COPYSIGN(1.0, bd(0xFFF8000000000000ull))) == db(-1.0));
  /* rounding */
  CHECK(NUM_F32_NEAREST(2.5f) == 2.0f && NUM_F32_NEAREST(3.5f) == 4.0f);
  CHECK(fb(NUM_F32_NEAREST(-0.5f)) == 0x80000000u);
  CHECK(NUM_F64_NEAREST(4503599627370497.0) == 4503599627370497.0);
  CHECK(NUM_F64_NEAREST(-1.5) == -2.0);
  CHECK(fb(NUM_F32_CEIL(-0.5f)) == 0x80000000u && NUM_F32_FLOOR(-0.5f) == -1.0f);
  CHECK(NUM_F64_TRUNC(-1.9) == -1.0 && NUM_F64_CEIL(1.1) == 2.0);
  /* rounding a signalling NaN gives a quiet one (gcc may inline floor) */
  CHECK(is_arith_nan32(NUM_F32_FLOOR(bf(0x7FA00000u))) && is_arith_nan32(NUM_F32_CEIL(bf(0xFFA00000u))));
  CHECK(is_arith_nan32(NUM_F32_TRUNC(bf(0x7FA00000u))) && is_arith_nan32(NUM_F32_NEAREST(bf(0x7FA00000u))));
  CHECK(is_arith_nan64(NUM_F64_FLOOR(bd(0x7FF4000000000000ull))) && is_arith_nan64(NUM_F64_TRUNC(bd(0xFFF4000000000000ull))));
  CHECK(is_arith_nan64(NUM_F64_CEIL(bd(0x7FF4000000000000ull))) && is_arith_nan64(NUM_F64_NEAREST(bd(0x7FF4000000000000ull))));
  CHECK(NUM_F64_SQRT(4.0) == 2.0 && isnan(NUM_F32_SQRT(-1.0f)));
  CHECK(NUM_F32_EQ(bf(0x7FC00000u), bf(0x7FC00000u)) == 0);
  CHECK(NUM_F32_NE(bf(0x7FC00000u), 1.0f) == 1);
  CHECK(NUM_F64_EQ(0.0, -0.0) == 1 && NUM_F64_LT(-0.0, 0.0) == 0);
  /* conversions */
  CHECK(fb(NUM_F32_CONVERT_I64_U(0xFFFFFFFFFFFFFFFFull)) == fb(18446744073709551616.0f));
  /* 2^63 + 2^40 + 1 rounds up (not down to a tie) */
  CHECK(fb(NUM_F32_CONVERT_I64_U(0x8000010000000001ull)) == 0x5F000001u);
  CHECK(NUM_F32_CONVERT_I64_S(0x20000020000001ull) == 9007200328482816.0f);
  CHECK(NUM_F64_CONVERT_I64_U(0xFFFFFFFFFFFFFBFFull) == 18446744073709549568.0);
  CHECK(NUM_F32_CONVERT_I32_U(0xFFFFFFFFu) == 4294967296.0f);
  CHECK(NUM_F64_CONVERT_I32_S(0x80000000u) == -2147483648.0);
  CHECK(NUM_F32_DEMOTE_F64(0x1.fffffefffffffp+127) == bf(0x7F7FFFFFu));
  CHECK(isinf(NUM_F32_DEMOTE_F64(0x1.ffffffp+127)));
  CHECK(is_arith_nan32(NUM_F32_DEMOTE_F64(bd(0x7FF4000000000000ull))));
  CHECK(is_arith_nan64(NUM_F64_PROMOTE_F32(bf(0x7FA00000u))));
  CHECK(NUM_I32_REINTERPRET_F32(-0.0f) == 0x80000000u);
  CHECK(fb(NUM_F32_REINTERPRET_I32(0x7FA00000u)) == 0x7FA00000u);
  CHECK(db(NUM_F64_REINTERPRET_I64(0x7FF4000000000001ull)) == 0x7FF4000000000001ull);
}

static void test_trunc(void) {
  TRAP1(uint32_t, NUM_I32_TRUNC_F32_S, -2147483648.0f, OK, 0x80000000u);
  TRAP1(uint32_t, NUM_I32_TRUNC_F32_S, 2147483648.0f, OVF, 0u);
  TRAP1(uint32_t, NUM_I32_TRUNC_F32_S, -2147483904.0f, OVF, 0u);
  TRAP1(uint32_t, NUM_I32_TRUNC_F32_S, bf(0x7FC00000u), INV, 0u);
  TRAP1(uint32_t, NUM_I32_TRUNC_F32_S, -1.9f, OK, (uint32_t)-1);
  TRAP1(uint32_t, NUM_I32_TRUNC_F32_U, -0.99999994f, OK, 0u);
  TRAP1(uint32_t, NUM_I32_TRUNC_F32_U, -1.0f, OVF, 0u);
  TRAP1(uint32_t, NUM_I32_TRUNC_F32_U, 4294967040.0f, OK, 4294967040u);
  TRAP1(uint32_t, NUM_I32_TRUNC_F32_U, 4294967296.0f, OVF, 0u);
  TRAP1(uint32_t, NUM_I32_TRUNC_F64_S, -2147483648.9, OK, 0x80000000u);
  TRAP1(uint32_t, NUM_I32_TRUNC_F64_S, -2147483649.0, OVF, 0u);
  TRAP1(uint32_t, NUM_I32_TRUNC_F64_S, 2147483647.9, OK, 0x7FFFFFFFu);
  TRAP1(uint32_t, NUM_I32_TRUNC_F64_U, 4294967295.9, OK, 0xFFFFFFFFu);
  TRAP1(uint32_t, NUM_I32_TRUNC_F64_U, 4294967296.0, OVF, 0u);
  TRAP1(uint32_t, NUM_I32_TRUNC_F64_U, -0.9, OK, 0u);
  TRAP1(uint32_t, NUM_I32_TRUNC_F64_U, INFINITY, OVF, 0u);
  TRAP1(uint64_t, NUM_I64_TRUNC_F32_S, -9223372036854775808.0f, OK, 0x8000000000000000ull);
  TRAP1(uint64_t, NUM_I64_TRUNC_F32_S, 9223372036854775808.0f, OVF, 0ull);
  TRAP1(uint64_t, NUM_I64_TRUNC_F64_S, -9223372036854775808.0, OK, 0x8000000000000000ull);
  TRAP1(uint64_t, NUM_I64_TRUNC_F64_S, -9223372036854777856.0, OVF, 0ull);
  TRAP1(uint64_t, NUM_I64_TRUNC_F64_S, bd(0xFFF8000000000000ull), INV, 0ull);
  TRAP1(uint64_t, NUM_I64_TRUNC_F64_U, 18446744073709549568.0, OK, 18446744073709549568ull);
  TRAP1(uint64_t, NUM_I64_TRUNC_F64_U, 18446744073709551616.0, OVF, 0ull);
  TRAP1(uint64_t, NUM_I64_TRUNC_F32_U, -0.5f, OK, 0ull);
  TRAP1(uint64_t, NUM_I64_TRUNC_F32_U, -INFINITY, OVF, 0ull);

  CHECK(NUM_I32_TRUNC_SAT_F32_S(bf(0x7FC00000u)) == 0);
  CHECK(NUM_I32_TRUNC_SAT_F32_S(3e9f) == 0x7FFFFFFFu);
  CHECK(NUM_I32_TRUNC_SAT_F32_S(-3e9f) == 0x80000000u);
  CHECK(NUM_I32_TRUNC_SAT_F32_U(-1.0f) == 0 && NUM_I32_TRUNC_SAT_F32_U(5e9f) == 0xFFFFFFFFu);
  CHECK(NUM_I32_TRUNC_SAT_F64_S(-2147483649.0) == 0x80000000u);
  CHECK(NUM_I32_TRUNC_SAT_F64_U(INFINITY) == 0xFFFFFFFFu);
  CHECK(NUM_I64_TRUNC_SAT_F64_S(-INFINITY) == 0x8000000000000000ull);
  CHECK(NUM_I64_TRUNC_SAT_F64_S(1e19) == 0x7FFFFFFFFFFFFFFFull);
  CHECK(NUM_I64_TRUNC_SAT_F32_U(2e19f) == ~0ull && NUM_I64_TRUNC_SAT_F64_U(-2.0) == 0);
  CHECK(NUM_I64_TRUNC_SAT_F64_U(bd(0x7FF0000000000001ull)) == 0);
}

/* SIMD helpers: build vectors from lane lists. */
static wasm_v128 v8(const int8_t l[16]) { wasm_v128 v; memcpy(v.i8, l, 16); return v; }
static wasm_v128 v16(int16_t a, int16_t b, int16_t c, int16_t d, int16_t e,
                     int16_t f, int16_t g, int16_t h) {
  wasm_v128 v = {.i16 = {a, b, c, d, e, f, g, h}};
  return v;
}
static wasm_v128 v32(int32_t a, int32_t b, int32_t c, int32_t d) {
  wasm_v128 v = {.i32 = {a, b, c, d}};
  return v;
}
static wasm_v128 vf32(float a, float b, float c, float d) {
  wasm_v128 v = {.f32 = {a, b, c, d}};
  return v;
}
static wasm_v128 vf64(double a, double b) {
  wasm_v128 v = {.f64 = {a, b}};
  return v;
}
static int veq32(wasm_v128 v, uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return v.u32[0] == a && v.u32[1] == b && v.u32[2] == c && v.u32[3] == d;
}
static int veq16(wasm_v128 v, const uint16_t e[8]) { return memcmp(v.u16, e, 16) == 0; }

static void test_simd_int(void) {
  static const int8_t a[16] = {-128, 127, 1, -1, 100, -100, 0, 5,
                               -128, 127, 1, -1, 100, -100, 0, 5};
  static const int8_t b[16] = {-1, 1, -1, 1, 100, -100, 9, -5,
                               1, 2, 3, 4, 5, 6, 7, 8};
  wasm_v128 va = v8(a), vb = v8(b), r;

  r = NUM_I8X16_ADD_SAT_S(va, vb);
  CHECK(r.i8[0] == -128 && r.i8[1] == 127 && r.i8[4] == 127 && r.i8[5] == -128);
  r = NUM_I8X16_SUB_SAT_U(va, vb);  /* 0x80 - 0xFF -> 0 */
  CHECK(r.u8[0] == 0 && r.u8[1] == 126);
  r = NUM_I8X16_ADD_SAT_U(va, vb);
  CHECK(r.u8[0] == 255 && r.u8[4] == 200);
  r = NUM_I8X16_ABS(va);
  CHECK(r.u8[0] == 0x80 && r.u8[3] == 1 && r.u8[5] == 100);
  r = NUM_I8X16_NEG(va);
  CHECK(r.i8[0] == -128 && r.i8[1] == -127);
  r = NUM_I8X16_AVGR_U(va, vb);  /* (128 + 255 + 1) / 2 */
  CHECK(r.u8[0] == 192 && r.u8[1] == 64);
  r = NUM_I8X16_POPCNT(va);
  CHECK(r.u8[0] == 1 && r.u8[1] == 7 && r.u8[3] == 8);
  CHECK(NUM_I8X16_BITMASK(va) == 0x2929);
  CHECK(NUM_I8X16_ALL_TRUE(va) == 0 && NUM_I8X16_ALL_TRUE(vb) == 1);
  CHECK(NUM_V128_ANY_TRUE(va) == 1 && NUM_V128_ANY_TRUE(v32(0, 0, 0, 0)) == 0);
  r = NUM_I8X16_SHL(va, 9);  /* count masked to 1 */
  CHECK(r.u8[1] == 0xFE && r.u8[0] == 0);
  r = NUM_I8X16_SHR_S(va, 15);
  CHECK(r.i8[0] == -1 && r.i8[1] == 0);
  r = NUM_I8X16_SHR_U(va, 7);
  CHECK(r.u8[0] == 1 && r.u8[3] == 1 && r.u8[1] == 0);
  r = NUM_I8X16_LT_S(va, vb);
  CHECK(r.u8[0] == 0xFF && r.u8[1] == 0 && r.u8[4] == 0);
  r = NUM_I8X16_LT_U(va, vb);
  CHECK(r.u8[0] == 0xFF && r.u8[3] == 0);
  r = NUM_I8X16_MIN_U(va, vb);
  CHECK(r.u8[0] == 0x80 && r.u8[2] == 1);

  /* swizzle: index >= 16 gives 0; shuffle picks from both */
  wasm_v128 idx = {.u8 = {15, 16, 0, 255, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}};
  r = NUM_I8X16_SWIZZLE(va, idx);
  CHECK(r.u8[0] == 5 && r.u8[1] == 0 && r.i8[2] == -128 && r.u8[3] == 0);
  static const uint8_t sh[16] = {31, 0, 16, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
  r = NUM_I8X16_SHUFFLE(va, vb, sh);
  CHECK(r.u8[0] == 8 && r.i8[1] == -128 && r.i8[2] == -1);

  /* narrow */
  wasm_v128 w = v16(-32768, 32767, 128, -129, 255, 256, -1, 0);
  r = NUM_I8X16_NARROW_I16X8_S(w, w);
  CHECK(r.i8[0] == -128 && r.i8[1] == 127 && r.i8[2] == 127 && r.i8[3] == -128 &&
        r.i8[4] == 127 && r.i8[8] == -128);
  r = NUM_I8X16_NARROW_I16X8_U(w, w);
  CHECK(r.u8[0] == 0 && r.u8[1] == 255 && r.u8[2] == 128 && r.u8[4] == 255 &&
        r.u8[6] == 0 && r.u8[15] == 0);
  r = NUM_I16X8_NARROW_I32X4_U(v32(-1, 65536, 65535, 70000), v32(1, 2, 3, -70000));
  {
    static const uint16_t e[8] = {0, 65535, 65535, 65535, 1, 2, 3, 0};
    CHECK(veq16(r, e));
  }

  /* extend, extmul, extadd, dot, q15mulr */
  r = NUM_I16X8_EXTEND_HIGH_I8X16_S(va);
  CHECK(r.i16[0] == -128 && r.i16[3] == -1);
  r = NUM_I16X8_EXTEND_LOW_I8X16_U(va);
  CHECK(r.u16[0] == 128 && r.u16[3] == 255);
  r = NUM_I16X8_EXTMUL_LOW_I8X16_S(va, va);
  CHECK(r.i16[0] == 16384 && r.i16[5] == 10000);
  r = NUM_I16X8_EXTMUL_LOW_I8X16_U(va, va);
  CHECK(r.u16[3] == 65025);
  wasm_v128 m = v16(-32768, -32768, 32767, 32767, -1, -1, 1, 2);
  r = NUM_I32X4_EXTMUL_LOW_I16X8_U(m, m);
  CHECK(r.u32[0] == 1073741824u && r.u32[2] == 1073676289u);
  r = NUM_I32X4_EXTMUL_HIGH_I16X8_S(m, m);
  CHECK(r.i32[0] == 1 && r.i32[3] == 4);
  r = NUM_I64X2_EXTMUL_LOW_I32X4_S(v32(INT32_MIN, INT32_MIN, 0, 0), v32(INT32_MIN, INT32_MAX, 0, 0));
  CHECK(r.i64[0] == 4611686018427387904ll && r.i64[1] == -4611686016279904256ll);
  r = NUM_I64X2_EXTMUL_HIGH_I32X4_U(v32(0, 0, -1, 2), v32(0, 0, -1, 3));
  CHECK(r.u64[0] == 0xFFFFFFFE00000001ull && r.u64[1] == 6);
  r = NUM_I32X4_DOT_I16X8_S(m, m);
  CHECK(r.u32[0] == 0x80000000u && r.i32[1] == 2 * 32767 * 32767 && r.i32[2] == 2 && r.i32[3] == 5);
  r = NUM_I32X4_EXTADD_PAIRWISE_I16X8_U(m);
  CHECK(r.u32[0] == 65536 && r.u32[2] == 131070);
  r = NUM_I16X8_EXTADD_PAIRWISE_I8X16_S(va);
  CHECK(r.i16[0] == -1 && r.i16[1] == 0);
  r = NUM_I16X8_Q15MULR_SAT_S(m, v16(-32768, 16384, 32767, -32768, -1, 1, 1, 16384));
  CHECK(r.i16[0] == 32767 && r.i16[1] == -16384 && r.i16[2] == 32766 &&
        r.i16[3] == -32767 && r.i16[4] == 0 && r.i16[5] == 0 && r.i16[7] == 1);
  r = NUM_I16X8_MUL(m, m);
  CHECK(r.u16[0] == 0 && r.u16[2] == 1);
  r = NUM_I16X8_AVGR_U(m, v16(-1, 0, 0, 0, 0, 0, 0, 0));
  CHECK(r.u16[0] == 49152);

  /* 32/64-bit lanes */
  r = NUM_I32X4_ABS(v32(INT32_MIN, -5, 5, 0));
  CHECK(veq32(r, 0x80000000u, 5, 5, 0));
  wasm_v128 l64 = {.i64 = {INT64_MIN, -3}};
  r = NUM_I64X2_ABS(l64);
  CHECK(r.u64[0] == 0x8000000000000000ull && r.u64[1] == 3);
  r = NUM_I64X2_SHR_S(l64, 65);
  CHECK(r.i64[0] == INT64_MIN / 2 && r.i64[1] == -2);
  r = NUM_I64X2_SHL(l64, 64);
  CHECK(r.i64[0] == INT64_MIN);
  CHECK(NUM_I64X2_BITMASK(l64) == 3 && NUM_I32X4_BITMASK(v32(-1, 0, -1, 1)) == 5);
  r = NUM_I64X2_LT_S(l64, (wasm_v128){.i64 = {0, -4}});
  CHECK(r.u64[0] == ~0ull && r.u64[1] == 0);
  r = NUM_I32X4_GE_U(v32(-1, 0, 1, 2), v32(0, -1, 1, 3));
  CHECK(veq32(r, ~0u, 0, ~0u, 0));
  r = NUM_V128_BITSELECT(v32(-1, -1, 0, 0), v32(0, 0, -1, -1), v32(0x0F0F0F0F, 0, -1, 0));
  CHECK(veq32(r, 0x0F0F0F0Fu, 0, 0, ~0u));
  r = NUM_V128_ANDNOT(v32(-1, 3, 0, 0), v32(1, 1, 0, 0));
  CHECK(veq32(r, 0xFFFFFFFEu, 2, 0, 0));
  CHECK(NUM_I64X2_ALL_TRUE((wasm_v128){.u64 = {1ull << 63, 1}}) == 1);
  CHECK(NUM_I16X8_ALL_TRUE(v32(0x10000, -1, -1, -1)) == 0);

  /* lanes and splats */
  r = NUM_I8X16_SPLAT(0x1FF);
  CHECK(r.u8[0] == 0xFF && r.u8[15] == 0xFF);
  CHECK(NUM_I8X16_EXTRACT_LANE_S(r, 3) == 0xFFFFFFFFu && NUM_I8X16_EXTRACT_LANE_U(r, 3) == 0xFF);
  r = NUM_I16X8_REPLACE_LANE(r, 7, 0x12345);
  CHECK(r.u16[7] == 0x2345 && NUM_I16X8_EXTRACT_LANE_S(r, 6) == 0xFFFFFFFFu);
  r = NUM_F32X4_REPLACE_LANE(r, 1, bf(0x7FA00001u));
  CHECK(fb(NUM_F32X4_EXTRACT_LANE(r, 1)) == 0x7FA00001u);
  r = NUM_I64X2_SPLAT(0x123456789ull);
  CHECK(NUM_I64X2_EXTRACT_LANE(r, 1) == 0x123456789ull);
}

static void test_simd_float(void) {
  wasm_v128 r;
  r = NUM_F32X4_MIN(vf32(-0.0f, 0.0f, bf(0x7FC00000u), 1.0f), vf32(0.0f, -0.0f, 1.0f, 2.0f));
  CHECK(r.u32[0] == 0x80000000u && r.u32[1] == 0x80000000u && isnan(r.f32[2]) && r.f32[3] == 1.0f);
  r = NUM_F32X4_MAX(vf32(-0.0f, 0.0f, 1.0f, 1.0f), vf32(0.0f, -0.0f, bf(0x7FA00000u), 2.0f));
  CHECK(r.u32[0] == 0 && r.u32[1] == 0 && is_arith_nan32(r.f32[2]) && r.f32[3] == 2.0f);
  /* pmin(a, b) = b < a ? b : a: NaN or equal -> a */
  r = NUM_F32X4_PMIN(vf32(-0.0f, 0.0f, bf(0x7FC00001u), 1.0f), vf32(0.0f, -0.0f, 1.0f, bf(0x7FC00000u)));
  CHECK(r.u32[0] == 0x80000000u && r.u32[1] == 0 && r.u32[2] == 0x7FC00001u && r.f32[3] == 1.0f);
  r = NUM_F64X2_PMAX(vf64(1.0, -0.0), vf64(2.0, 0.0));
  CHECK(r.f64[0] == 2.0 && db(r.f64[1]) == 0x8000000000000000ull);
  r = NUM_F32X4_NEG(vf32(bf(0x7FA00000u), 0.0f, -1.0f, 1.0f));
  CHECK(veq32(r, 0xFFA00000u, 0x80000000u, fb(1.0f), fb(-1.0f)));
  r = NUM_F64X2_ABS(vf64(bd(0xFFF0000000000001ull), -2.0));
  CHECK(r.u64[0] == 0x7FF0000000000001ull && r.f64[1] == 2.0);
  r = NUM_F32X4_NEAREST(vf32(0.5f, 1.5f, -2.5f, 8388609.0f));
  CHECK(r.f32[0] == 0.0f && r.f32[1] == 2.0f && r.f32[2] == -2.0f && r.f32[3] == 8388609.0f);
  r = NUM_F64X2_CEIL(vf64(-0.5, 0.1));
  CHECK(db(r.f64[0]) == 0x8000000000000000ull && r.f64[1] == 1.0);
  r = NUM_F32X4_EQ(vf32(bf(0x7FC00000u), 0.0f, 1.0f, 1.0f), vf32(bf(0x7FC00000u), -0.0f, 2.0f, 1.0f));
  CHECK(veq32(r, 0, ~0u, 0, ~0u));
  r = NUM_F64X2_NE(vf64(bd(0x7FF8000000000000ull), 1.0), vf64(1.0, 1.0));
  CHECK(r.u64[0] == ~0ull && r.u64[1] == 0);

  /* conversions */
  r = NUM_I32X4_TRUNC_SAT_F32X4_S(vf32(bf(0x7FC00000u), 3e9f, -3e9f, -1.5f));
  CHECK(veq32(r, 0, 0x7FFFFFFFu, 0x80000000u, (uint32_t)-1));
  r = NUM_I32X4_TRUNC_SAT_F32X4_U(vf32(-0.5f, 5e9f, -5.0f, 4294967040.0f));
  CHECK(veq32(r, 0, ~0u, 0, 4294967040u));
  r = NUM_I32X4_TRUNC_SAT_F64X2_S_ZERO(vf64(-2147483649.0, 2147483647.5));
  CHECK(veq32(r, 0x80000000u, 0x7FFFFFFFu, 0, 0));
  r = NUM_I32X4_TRUNC_SAT_F64X2_U_ZERO(vf64(-1.0, 4294967295.5));
  CHECK(veq32(r, 0, ~0u, 0, 0));
  r = NUM_F32X4_CONVERT_I32X4_U(v32(-1, 1, 0x1000001, 0));
  CHECK(r.f32[0] == 4294967296.0f && r.f32[1] == 1.0f && r.f32[2] == 16777216.0f);
  r = NUM_F32X4_CONVERT_I32X4_S(v32(-1, INT32_MIN, 0x1000003, 0));
  CHECK(r.f32[0] == -1.0f && r.f32[1] == -2147483648.0f && r.f32[2] == 16777220.0f);
  r = NUM_F64X2_CONVERT_LOW_I32X4_U(v32(-1, 2, 3, 4));
  CHECK(r.f64[0] == 4294967295.0 && r.f64[1] == 2.0);
  r = NUM_F64X2_CONVERT_LOW_I32X4_S(v32(-1, INT32_MIN, 3, 4));
  CHECK(r.f64[0] == -1.0 && r.f64[1] == -2147483648.0);
  r = NUM_F32X4_DEMOTE_F64X2_ZERO(vf64(1e300, 0.1));
  CHECK(isinf(r.f32[0]) && r.f32[1] == 0.1f && r.u32[2] == 0 && r.u32[3] == 0);
  r = NUM_F64X2_PROMOTE_LOW_F32X4(vf32(0.1f, -0.0f, 9.0f, 9.0f));
  CHECK(r.f64[0] == (double)0.1f && db(r.f64[1]) == 0x8000000000000000ull);
}

static void test_simd_mem(void) {
  uint8_t mem[16];
  for (int i = 0; i < 16; i++) mem[i] = (uint8_t)(0x80 + i);
  wasm_v128 r = NUM_V128_LOAD8X8_S(mem);
  CHECK(r.i16[0] == -128 && r.i16[7] == -121);
  r = NUM_V128_LOAD8X8_U(mem);
  CHECK(r.u16[0] == 0x80 && r.u16[7] == 0x87);
  r = NUM_V128_LOAD16X4_S(mem);
  CHECK(r.i32[0] == (int16_t)0x8180);
  r = NUM_V128_LOAD32X2_U(mem);
  CHECK(r.u64[1] == 0x87868584ull);
  r = NUM_V128_LOAD32X2_S(mem);
  CHECK(r.i64[0] == (int32_t)0x83828180);
  r = NUM_V128_LOAD16_SPLAT(mem + 1);
  CHECK(r.u16[0] == 0x8281 && r.u16[7] == 0x8281);
  r = NUM_V128_LOAD64_ZERO(mem);
  CHECK(r.u64[0] == 0x8786858483828180ull && r.u64[1] == 0);
  r = NUM_V128_LOAD32_ZERO(mem + 4);
  CHECK(veq32(r, 0x87868584u, 0, 0, 0));
  r = NUM_V128_LOAD16_LANE(mem, v32(0, 0, 0, 0), 5);
  CHECK(r.u16[5] == 0x8180 && r.u16[4] == 0);
  NUM_V128_STORE32_LANE(mem, v32(1, 2, 3, 0x11223344), 3);
  CHECK(mem[0] == 0x44 && mem[3] == 0x11 && mem[4] == 0x84);
  NUM_V128_STORE8_LANE(mem + 15, v32(0, 0, 0, 0x7F000000), 15);
  CHECK(mem[15] == 0x7F);
}

int main(void) {
  test_int();
  test_float();
  test_trunc();
  test_simd_int();
  test_simd_float();
  test_simd_mem();
  return unit_report();
}
