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

#endif
