/*
 * wasm_read.c: LEB128 and byte readers, the instruction reader, and
 * wasm_fail. The one place that knows how instructions are encoded.
 */
#include "wasm_read.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "wasm_opcodes.h"

wasm_status wasm_fail(wasm_error *err, wasm_status status, const char *fmt,
                      ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    err->status = status;
  }
  return status;
}

static wasm_status eof(wasm_error *err) {
  return wasm_fail(err, WASM_MALFORMED, WASM_MSG_EOF);
}

wasm_status wasm_rd_byte(wasm_reader *r, uint8_t *out, wasm_error *err) {
  if (r->p >= r->end) return eof(err);
  *out = *r->p++;
  return WASM_OK;
}

wasm_status wasm_rd_bytes(wasm_reader *r, uint32_t n, const uint8_t **out,
                          wasm_error *err) {
  if ((size_t)(r->end - r->p) < n) return eof(err);
  *out = r->p;
  r->p += n;
  return WASM_OK;
}

/* Reads a LEB128 number of `bits` bits. The last permitted byte may not
 * continue ("integer representation too long") and its bits beyond the
 * value's width must be zero, or copies of the sign bit for signed numbers
 * ("integer too large"). */
wasm_status wasm_rd_leb(wasm_reader *r, unsigned bits, bool is_signed,
                        uint64_t *out, wasm_error *err) {
  unsigned maxbytes = (bits + 6) / 7;
  uint64_t v = 0;
  for (unsigned i = 0;; i++) {
    if (r->p >= r->end) return eof(err);
    uint8_t b = *r->p++;
    if (i == maxbytes - 1) {
      if (b & 0x80)
        return wasm_fail(err, WASM_MALFORMED,
                         "integer representation too long");
      unsigned used = bits - 7 * i; /* value bits in this byte, 1..7 */
      if (is_signed) {
        uint8_t mask = (uint8_t)((0x7f << (used - 1)) & 0x7f);
        if ((b & mask) != 0 && (b & mask) != mask)
          return wasm_fail(err, WASM_MALFORMED, "integer too large");
      } else if (used < 7 && (b >> used) != 0) {
        return wasm_fail(err, WASM_MALFORMED, "integer too large");
      }
    }
    v |= (uint64_t)(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) {
      unsigned shift = 7 * (i + 1);
      if (is_signed && shift < 64 && (b & 0x40)) v |= ~0ull << shift;
      break;
    }
  }
  *out = v;
  return WASM_OK;
}

wasm_status wasm_rd_u32(wasm_reader *r, uint32_t *out, wasm_error *err) {
  uint64_t v = 0;
  wasm_status s = wasm_rd_leb(r, 32, false, &v, err);
  if (s == WASM_OK) *out = (uint32_t)v;
  return s;
}

wasm_status wasm_rd_s32(wasm_reader *r, int32_t *out, wasm_error *err) {
  uint64_t v = 0;
  wasm_status s = wasm_rd_leb(r, 32, true, &v, err);
  if (s == WASM_OK) *out = (int32_t)(uint32_t)v;
  return s;
}

wasm_status wasm_rd_s33(wasm_reader *r, int64_t *out, wasm_error *err) {
  uint64_t v = 0;
  wasm_status s = wasm_rd_leb(r, 33, true, &v, err);
  if (s == WASM_OK) *out = (int64_t)v;
  return s;
}

wasm_status wasm_rd_s64(wasm_reader *r, int64_t *out, wasm_error *err) {
  uint64_t v = 0;
  wasm_status s = wasm_rd_leb(r, 64, true, &v, err);
  if (s == WASM_OK) *out = (int64_t)v;
  return s;
}

wasm_status wasm_rd_len(wasm_reader *r, uint32_t *out, wasm_error *err) {
  wasm_status s = wasm_rd_u32(r, out, err);
  if (s != WASM_OK) return s;
  if (*out > (size_t)(r->end - r->p))
    return wasm_fail(err, WASM_MALFORMED, "length out of bounds");
  return WASM_OK;
}

wasm_status wasm_rd_count(wasm_reader *r, uint32_t *out, wasm_error *err) {
  wasm_status s = wasm_rd_u32(r, out, err);
  if (s != WASM_OK) return s;
  if (*out > (size_t)(r->end - r->p)) return eof(err);
  return WASM_OK;
}

bool wasm_read_u32(wasm_reader *r, uint32_t *out) {
  return wasm_rd_u32(r, out, NULL) == WASM_OK;
}

bool wasm_is_valtype(uint8_t b) {
  switch (b) {
  case WASM_I32: case WASM_I64: case WASM_F32: case WASM_F64: case WASM_V128:
  case WASM_FUNCREF: case WASM_EXTERNREF:
  case WASM_EXNREF: /* only with WASM_FEATURE_EXCEPTIONS: see wasm_decode.c */
    return true;
  default:
    return false;
  }
}

bool wasm_utf8_valid(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = s[i];
    if (c < 0x80) { i++; continue; }
    size_t len;
    uint32_t cp = 0, min = 0;
    if ((c & 0xe0) == 0xc0) { len = 2; cp = c & 0x1f; min = 0x80; }
    else if ((c & 0xf0) == 0xe0) { len = 3; cp = c & 0x0f; min = 0x800; }
    else if ((c & 0xf8) == 0xf0) { len = 4; cp = c & 0x07; min = 0x10000; }
    else return false;
    if (n - i < len) return false;
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += len;
  }
  return true;
}

/* ---- instructions ---- */

/* memarg: flags (the alignment exponent, plus bit 6 when a memory index
 * follows: multi-memory), then the offset. Flags of 128 or more are
 * malformed; a large exponent is left to the validator. Whether bit 6 may
 * be used at all (WebAssembly 2.0 has no memory index) is the decoder's
 * check, see wasm_memarg_flags. */
static wasm_status rd_memarg(wasm_reader *r, wasm_instr *in, wasm_error *err) {
  uint32_t flags = 0;
  wasm_status s = wasm_rd_u32(r, &flags, err);
  if (s != WASM_OK) return s;
  if (flags >= 128) return wasm_fail(err, WASM_MALFORMED, "malformed memop flags");
  in->imm.mem.align = flags & 0x3f;
  in->imm.mem.memory = 0;
  in->imm.mem.lane = 0;
  if (flags & 0x40) {
    s = wasm_rd_u32(r, &in->imm.mem.memory, err);
    if (s != WASM_OK) return s;
  }
  return wasm_rd_u32(r, &in->imm.mem.offset, err);
}

/* blocktype: 0x40, a value type (one byte), or a non-negative s33 type
 * index. Stored as the s33 value: -64 for empty, the value type's byte
 * sign-extended from 7 bits (see wasm_blocktype_byte), or the index. */
static wasm_status rd_blocktype(wasm_reader *r, wasm_instr *in,
                                wasm_error *err) {
  if (r->p >= r->end) return eof(err);
  uint8_t b = *r->p;
  if (b == 0x40 || wasm_is_valtype(b)) {
    r->p++;
    in->imm.block.type = (int64_t)b - 0x80;
    return WASM_OK;
  }
  wasm_status s = wasm_rd_s33(r, &in->imm.block.type, err);
  if (s != WASM_OK) return s;
  if (in->imm.block.type < 0)
    return wasm_fail(err, WASM_MALFORMED, "malformed value type");
  return WASM_OK;
}

static wasm_status rd_imm(wasm_reader *r, wasm_instr *in, uint8_t kind,
                          wasm_error *err) {
  wasm_status s = WASM_OK;
  const uint8_t *raw = NULL;
  switch ((wasm_imm_kind)kind) {
  case WASM_IMM_NONE:
    break;
  case WASM_IMM_BLOCK:
    s = rd_blocktype(r, in, err);
    break;
  case WASM_IMM_LABEL: case WASM_IMM_FUNC: case WASM_IMM_LOCAL:
  case WASM_IMM_GLOBAL: case WASM_IMM_TABLE: case WASM_IMM_ELEM:
  case WASM_IMM_DATA: case WASM_IMM_TAG:
    s = wasm_rd_u32(r, &in->imm.index, err);
    break;
  case WASM_IMM_TRY_TABLE: {
    uint32_t n = 0, idx = 0;
    uint8_t kind = 0;
    s = rd_blocktype(r, in, err);
    if (s == WASM_OK) s = wasm_rd_count(r, &n, err);
    if (s != WASM_OK) break;
    in->imm.try_table.count = n;
    in->imm.try_table.catches = r->p;
    for (uint32_t i = 0; i < n && s == WASM_OK; i++) {
      s = wasm_rd_byte(r, &kind, err);
      if (s == WASM_OK && kind > 3) s = wasm_fail(err, WASM_MALFORMED, "malformed catch clause");
      if (s == WASM_OK && kind < 2) s = wasm_rd_u32(r, &idx, err);
      if (s == WASM_OK) s = wasm_rd_u32(r, &idx, err);
    }
    break;
  }
  case WASM_IMM_BR_TABLE: {
    uint32_t n = 0, label = 0;
    s = wasm_rd_count(r, &n, err);
    if (s != WASM_OK) break;
    in->imm.br_table.count = n;
    in->imm.br_table.labels = r->p;
    for (uint64_t i = 0; i <= n && s == WASM_OK; i++)
      s = wasm_rd_u32(r, &label, err);
    break;
  }
  case WASM_IMM_CALL_INDIRECT:
    s = wasm_rd_u32(r, &in->imm.call_indirect.type, err);
    if (s == WASM_OK) s = wasm_rd_u32(r, &in->imm.call_indirect.table, err);
    break;
  case WASM_IMM_MEMARG:
    s = rd_memarg(r, in, err);
    break;
  case WASM_IMM_MEMARG_LANE:
    s = rd_memarg(r, in, err);
    if (s == WASM_OK) s = wasm_rd_byte(r, &in->imm.mem.lane, err);
    break;
  case WASM_IMM_I32:
    s = wasm_rd_s32(r, &in->imm.i32, err);
    break;
  case WASM_IMM_I64:
    s = wasm_rd_s64(r, &in->imm.i64, err);
    break;
  case WASM_IMM_F32:
    s = wasm_rd_bytes(r, 4, &raw, err);
    if (s == WASM_OK) {
      in->imm.f32 = 0;
      for (int i = 3; i >= 0; i--) in->imm.f32 = (in->imm.f32 << 8) | raw[i];
    }
    break;
  case WASM_IMM_F64:
    s = wasm_rd_bytes(r, 8, &raw, err);
    if (s == WASM_OK) {
      in->imm.f64 = 0;
      for (int i = 7; i >= 0; i--) in->imm.f64 = (in->imm.f64 << 8) | raw[i];
    }
    break;
  case WASM_IMM_V128: case WASM_IMM_SHUFFLE:
    s = wasm_rd_bytes(r, 16, &raw, err);
    if (s == WASM_OK) memcpy(in->imm.v128, raw, 16);
    break;
  case WASM_IMM_LANE:
    s = wasm_rd_byte(r, &in->imm.lane, err);
    break;
  case WASM_IMM_SELECT_T: {
    uint32_t n = 0;
    s = wasm_rd_count(r, &n, err);
    if (s != WASM_OK) break;
    in->imm.select_t.count = n;
    s = wasm_rd_bytes(r, n, &in->imm.select_t.types, err);
    for (uint32_t i = 0; s == WASM_OK && i < n; i++)
      if (!wasm_is_valtype(in->imm.select_t.types[i]))
        s = wasm_fail(err, WASM_MALFORMED, "malformed value type");
    break;
  }
  case WASM_IMM_HEAPTYPE:
    s = wasm_rd_byte(r, &in->imm.reftype, err);
    if (s == WASM_OK && !wasm_is_reftype(in->imm.reftype))
      s = wasm_fail(err, WASM_MALFORMED, "malformed reference type");
    break;
  case WASM_IMM_TABLE_TABLE: case WASM_IMM_ELEM_TABLE:
    s = wasm_rd_u32(r, &in->imm.pair.a, err);
    if (s == WASM_OK) s = wasm_rd_u32(r, &in->imm.pair.b, err);
    break;
  case WASM_IMM_DATA_MEM:
    s = wasm_rd_u32(r, &in->imm.pair.a, err);
    in->imm.pair.b = 0;
    if (s == WASM_OK) s = wasm_rd_u32(r, &in->imm.pair.b, err);
    break;
  case WASM_IMM_MEM:
    in->imm.index = 0;
    s = wasm_rd_u32(r, &in->imm.index, err);
    break;
  case WASM_IMM_MEM_MEM:
    in->imm.pair.a = in->imm.pair.b = 0;
    s = wasm_rd_u32(r, &in->imm.pair.a, err);
    if (s == WASM_OK) s = wasm_rd_u32(r, &in->imm.pair.b, err);
    break;
  }
  return s;
}

static wasm_status rd_zero(wasm_reader *r, wasm_error *err) {
  uint8_t b = 0;
  wasm_status s = wasm_rd_byte(r, &b, err);
  if (s != WASM_OK) return s;
  if (b != 0) return wasm_fail(err, WASM_MALFORMED, "zero byte expected");
  return WASM_OK;
}

wasm_status wasm_check_memimm_v2(const wasm_reader *r, const wasm_instr *in,
                                 wasm_error *err) {
  const wasm_opinfo *oi = &wasm_opinfo_table[in->op];
  wasm_reader q = {r->base, r->base + in->offset, r->end};
  uint8_t b = 0;
  uint32_t code = 0, flags = 0;
  wasm_status s = wasm_rd_byte(&q, &b, err);
  if (s == WASM_OK && oi->prefix) s = wasm_rd_u32(&q, &code, err);
  if (s != WASM_OK) return s;
  switch ((wasm_imm_kind)oi->imm) {
  case WASM_IMM_MEMARG: case WASM_IMM_MEMARG_LANE:
    s = wasm_rd_u32(&q, &flags, err);
    if (s == WASM_OK && flags >= 32)
      s = wasm_fail(err, WASM_MALFORMED, "malformed memop flags");
    return s;
  case WASM_IMM_DATA_MEM:
    s = wasm_rd_u32(&q, &code, err);
    return s == WASM_OK ? rd_zero(&q, err) : s;
  case WASM_IMM_MEM_MEM:
    s = rd_zero(&q, err);
    return s == WASM_OK ? rd_zero(&q, err) : s;
  case WASM_IMM_MEM:
    return rd_zero(&q, err);
  default:
    return WASM_OK;
  }
}

wasm_status wasm_read_instr(wasm_reader *r, wasm_instr *in, wasm_error *err) {
  in->offset = (uint32_t)(r->p - r->base);
  uint8_t b = 0;
  wasm_status s = wasm_rd_byte(r, &b, err);
  if (s != WASM_OK) return s;
  uint8_t prefix = 0;
  uint32_t code = b;
  if (b == 0xFC || b == 0xFD) {
    prefix = b;
    s = wasm_rd_u32(r, &code, err);
    if (s != WASM_OK) return s;
  }
  int op = wasm_op_lookup(prefix, code);
  if (op < 0) return wasm_fail(err, WASM_MALFORMED, "illegal opcode");
  in->op = (uint16_t)op;
  return rd_imm(r, in, wasm_opinfo_table[op].imm, err);
}
