/*
 * wasm_read.h: low-level readers of the binary format, shared by the
 * decoder and the validator (private to wasm_read.c, wasm_decode.c and
 * wasm_validate*.c). Every reader fails with WASM_MALFORMED and the spec's
 * message; none reads past r->end.
 */
#ifndef WASM_READ_H
#define WASM_READ_H

#include "wasm_module.h"

/* The spec's message for running off the end of the input. */
#define WASM_MSG_EOF "unexpected end of section or function"

/* A LEB128 number of `bits` bits (1..64), unsigned or signed. */
wasm_status wasm_rd_leb(wasm_reader *r, unsigned bits, bool is_signed,
                        uint64_t *out, wasm_error *err);
wasm_status wasm_rd_byte(wasm_reader *r, uint8_t *out, wasm_error *err);
wasm_status wasm_rd_u32(wasm_reader *r, uint32_t *out, wasm_error *err);
wasm_status wasm_rd_s32(wasm_reader *r, int32_t *out, wasm_error *err);
wasm_status wasm_rd_s33(wasm_reader *r, int64_t *out, wasm_error *err);
wasm_status wasm_rd_s64(wasm_reader *r, int64_t *out, wasm_error *err);
/* n raw bytes; fails with WASM_MSG_EOF if fewer remain. */
wasm_status wasm_rd_bytes(wasm_reader *r, uint32_t n, const uint8_t **out,
                          wasm_error *err);
/* A length or vector count that the spec bounds by the bytes left
 * ("length out of bounds" when larger). */
wasm_status wasm_rd_len(wasm_reader *r, uint32_t *out, wasm_error *err);

/* A vector count. Each item takes at least one byte, so a count above
 * the bytes left must run off the end: fail early, before allocating. */
wasm_status wasm_rd_count(wasm_reader *r, uint32_t *out, wasm_error *err);

/* WebAssembly 2.0's encoding of the memory immediates of an instruction
 * just read with wasm_read_instr from r->base + in->offset: each memory
 * index is a single 0x00 byte ("zero byte expected") and a memarg's flags
 * have no memory-index bit ("malformed memop flags"). OK for other
 * instructions. */
wasm_status wasm_check_memimm_v2(const wasm_reader *r, const wasm_instr *in,
                                 wasm_error *err);

/* Value-type bytes. */
bool wasm_is_valtype(uint8_t b);
static inline bool wasm_is_reftype(uint8_t b) {
  return b == WASM_FUNCREF || b == WASM_EXTERNREF || b == WASM_EXNREF;
}

/* Whether bytes are well-formed UTF-8 (no overlongs, surrogates, or code
 * points above U+10FFFF). */
bool wasm_utf8_valid(const uint8_t *s, size_t n);

/* For a blocktype read by wasm_read_instr (instr.imm.block.type < 0): the
 * value-type byte, or 0x40 for the empty type. */
static inline uint8_t wasm_blocktype_byte(int64_t t) {
  return (uint8_t)(t & 0x7f);
}

#endif
