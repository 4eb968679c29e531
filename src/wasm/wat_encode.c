/* wat_encode.c: the byte buffer the text parser writes the binary into. */
#include <stdlib.h>
#include <string.h>

#include "wat_internal.h"

void wb_free(wat_buf *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}

wasm_status wb_finish(wat_buf *b, wasm_status st, uint8_t **out, size_t *out_len,
                      wasm_error *err) {
  if (st == WASM_OK && b->oom) st = wasm_fail(err, WASM_NOMEM, "out of memory");
  if (st == WASM_OK && !b->p && !(b->p = malloc(1)))
    st = wasm_fail(err, WASM_NOMEM, "out of memory");
  if (st) {
    wb_free(b);
    return st;
  }
  *out = b->p;
  *out_len = b->len;
  return WASM_OK;
}

void wb_bytes(wat_buf *b, const void *data, size_t n) {
  if (b->oom || n == 0) return;
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + n) cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p) {
      b->oom = true;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, data, n);
  b->len += n;
}

void wb_byte(wat_buf *b, uint8_t c) { wb_bytes(b, &c, 1); }

void wb_u64(wat_buf *b, uint64_t v) {
  uint8_t tmp[10];
  size_t n = 0;
  do {
    uint8_t byte = v & 0x7F;
    v >>= 7;
    if (v) byte |= 0x80;
    tmp[n++] = byte;
  } while (v);
  wb_bytes(b, tmp, n);
}

void wb_u32(wat_buf *b, uint32_t v) { wb_u64(b, v); }

void wb_s64(wat_buf *b, int64_t v) {
  uint8_t tmp[10];
  size_t n = 0;
  for (;;) {
    uint8_t byte = (uint8_t)(v & 0x7F);
    v >>= 7; /* arithmetic shift: gcc and clang define it for signed values */
    bool done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
    if (!done) byte |= 0x80;
    tmp[n++] = byte;
    if (done) break;
  }
  wb_bytes(b, tmp, n);
}

void wb_s32(wat_buf *b, int32_t v) { wb_s64(b, v); }

void wb_name(wat_buf *b, const uint8_t *s, size_t n) {
  wb_u32(b, (uint32_t)n);
  wb_bytes(b, s, n);
}

void wb_section(wat_buf *b, uint8_t id, const wat_buf *src, bool always) {
  if (src->len == 0 && !always) return;
  wb_byte(b, id);
  wb_u32(b, (uint32_t)src->len);
  wb_bytes(b, src->p, src->len);
  if (src->oom) b->oom = true;
}
