/*
 * cm_abi.c: the canonical ABI between cm_val and core values / linear memory
 * (CanonicalABI.md): despecialised layouts (tuple = record, enum/option/
 * result = variant), flattening with variant joins, lift/lower flat and
 * through memory, strings in utf8 / utf16 / latin1+utf16 with the realloc
 * sequences of the reference, handles through the transit table.
 *
 * A cm_val string is always UTF-8, so every transcoding goes through it.
 */
#include <stdlib.h>
#include <string.h>

#include "component/cm_rt.h"

#define FLAT_BUF 40 /* > MAX_FLAT_PARAMS + 1; larger flattenings are spilled */
#define UTF16_TAG 0x80000000u

/* ---- type shapes ---- */

static uint32_t ncases(const cm_type *t) {
  switch (t->kind) {
  case CM_VARIANT: return t->as.record.n;
  case CM_ENUM: return t->as.labels.n;
  default: return 2; /* option, result */
  }
}

static const cm_type *case_type(const cm_type *t, uint32_t i) {
  switch (t->kind) {
  case CM_VARIANT: return t->as.record.fields[i].type;
  case CM_ENUM: return NULL;
  case CM_OPTION: return i == 1 ? t->as.option.t : NULL;
  default: return i == 0 ? t->as.result.ok : t->as.result.err;
  }
}

static uint32_t nfields(const cm_type *t) {
  return t->kind == CM_RECORD ? t->as.record.n : t->as.tuple.n;
}

static const cm_type *field_type(const cm_type *t, uint32_t i) {
  return t->kind == CM_RECORD ? t->as.record.fields[i].type
                              : t->as.tuple.types[i];
}

static uint32_t disc_size(uint32_t n) {
  return n <= 0x100 ? 1 : n <= 0x10000 ? 2 : 4;
}

static uint32_t flag_words(uint32_t n) { return (n + 31) / 32; }

static uint64_t align_to(uint64_t p, uint32_t a) { return (p + a - 1) / a * a; }

static uint32_t max_case_align(const cm_type *t) {
  uint32_t a = 1, n = ncases(t);
  for (uint32_t i = 0; i < n; i++) {
    const cm_type *c = case_type(t, i);
    if (c) {
      uint32_t ca = cm_abi_align(c);
      if (ca > a) a = ca;
    }
  }
  return a;
}

uint32_t cm_abi_align(const cm_type *t) {
  switch (t->kind) {
  case CM_BOOL: case CM_S8: case CM_U8: return 1;
  case CM_S16: case CM_U16: return 2;
  case CM_S64: case CM_U64: case CM_F64: return 8;
  case CM_LIST:
    return t->as.list.fixed_len ? cm_abi_align(t->as.list.elem) : 4;
  case CM_RECORD: case CM_TUPLE: {
    uint32_t a = 1, n = nfields(t);
    for (uint32_t i = 0; i < n; i++) {
      uint32_t fa = cm_abi_align(field_type(t, i));
      if (fa > a) a = fa;
    }
    return a;
  }
  case CM_VARIANT: case CM_ENUM: case CM_OPTION: case CM_RESULT: {
    uint32_t a = disc_size(ncases(t)), m = max_case_align(t);
    return a > m ? a : m;
  }
  case CM_FLAGS: {
    uint32_t n = t->as.labels.n;
    return n <= 8 ? 1 : n <= 16 ? 2 : 4;
  }
  default: return 4; /* s32 u32 f32 char string own borrow stream future ... */
  }
}

uint32_t cm_abi_size(const cm_type *t) {
  switch (t->kind) {
  case CM_BOOL: case CM_S8: case CM_U8: return 1;
  case CM_S16: case CM_U16: return 2;
  case CM_S64: case CM_U64: case CM_F64: return 8;
  case CM_STRING: return 8;
  case CM_LIST: {
    if (!t->as.list.fixed_len) return 8;
    uint64_t s = (uint64_t)cm_abi_size(t->as.list.elem) * t->as.list.fixed_len;
    return s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
  }
  case CM_RECORD: case CM_TUPLE: {
    uint64_t s = 0;
    uint32_t n = nfields(t);
    for (uint32_t i = 0; i < n; i++) {
      const cm_type *f = field_type(t, i);
      s = align_to(s, cm_abi_align(f)) + cm_abi_size(f);
      if (s > UINT32_MAX) return UINT32_MAX;
    }
    return (uint32_t)align_to(s, cm_abi_align(t));
  }
  case CM_VARIANT: case CM_ENUM: case CM_OPTION: case CM_RESULT: {
    uint32_t n = ncases(t);
    uint64_t s = align_to(disc_size(n), max_case_align(t)), cs = 0;
    for (uint32_t i = 0; i < n; i++) {
      const cm_type *c = case_type(t, i);
      if (c && cm_abi_size(c) > cs) cs = cm_abi_size(c);
    }
    s += cs;
    if (s > UINT32_MAX) return UINT32_MAX;
    return (uint32_t)align_to(s, cm_abi_align(t));
  }
  case CM_FLAGS: {
    uint32_t n = t->as.labels.n;
    return n == 0 ? 0 : n <= 8 ? 1 : n <= 16 ? 2 : 4 * flag_words(n);
  }
  default: return 4;
  }
}

/* ---- flattening ---- */

static uint8_t join(uint8_t a, uint8_t b) {
  if (a == b) return a;
  if ((a == WASM_I32 && b == WASM_F32) || (a == WASM_F32 && b == WASM_I32))
    return WASM_I32;
  return WASM_I64;
}

#define FLAT_SAT 0xffff

static uint32_t sat_add(uint32_t a, uint32_t b) {
  return a + b > FLAT_SAT ? FLAT_SAT : a + b;
}

uint32_t cm_abi_flatten(const cm_type *t, uint8_t *out, uint32_t cap) {
#define PUT(i, k) do { if (out && (i) < cap) out[i] = (k); } while (0)
  switch (t->kind) {
  case CM_S64: case CM_U64: PUT(0, WASM_I64); return 1;
  case CM_F32: PUT(0, WASM_F32); return 1;
  case CM_F64: PUT(0, WASM_F64); return 1;
  case CM_STRING: PUT(0, WASM_I32); PUT(1, WASM_I32); return 2;
  case CM_LIST: {
    if (!t->as.list.fixed_len) { PUT(0, WASM_I32); PUT(1, WASM_I32); return 2; }
    uint32_t n = 0;
    for (uint32_t i = 0; i < t->as.list.fixed_len && n < FLAT_SAT; i++) {
      uint32_t k = cm_abi_flatten(t->as.list.elem, out && n < cap ? out + n : NULL,
                                  n < cap ? cap - n : 0);
      n = sat_add(n, k);
    }
    return n;
  }
  case CM_RECORD: case CM_TUPLE: {
    uint32_t n = 0, nf = nfields(t);
    for (uint32_t i = 0; i < nf && n < FLAT_SAT; i++) {
      uint32_t k = cm_abi_flatten(field_type(t, i), out && n < cap ? out + n : NULL,
                                  n < cap ? cap - n : 0);
      n = sat_add(n, k);
    }
    return n;
  }
  case CM_VARIANT: case CM_ENUM: case CM_OPTION: case CM_RESULT: {
    uint8_t joined[FLAT_BUF], tmp[FLAT_BUF];
    uint32_t nj = 0, nc = ncases(t);
    for (uint32_t i = 0; i < nc; i++) {
      const cm_type *c = case_type(t, i);
      if (!c) continue;
      uint32_t k = cm_abi_flatten(c, tmp, FLAT_BUF);
      for (uint32_t j = 0; j < k && j < FLAT_BUF; j++)
        joined[j] = j < nj ? join(joined[j], tmp[j]) : tmp[j];
      if (k > nj) nj = k;
    }
    PUT(0, WASM_I32);
    for (uint32_t j = 0; j < nj && j < FLAT_BUF; j++) PUT(j + 1, joined[j]);
    return sat_add(nj, 1);
  }
  case CM_FLAGS: {
    uint32_t w = flag_words(t->as.labels.n);
    for (uint32_t i = 0; i < w; i++) PUT(i, WASM_I32);
    return w;
  }
  default: PUT(0, WASM_I32); return 1;
  }
#undef PUT
}

static uint32_t flatten_list(const cm_type *const *ts, uint32_t n, uint8_t *out,
                             uint32_t cap) {
  uint32_t c = 0;
  for (uint32_t i = 0; i < n && c < FLAT_SAT; i++)
    c = sat_add(c, cm_abi_flatten(ts[i], out && c < cap ? out + c : NULL,
                                  c < cap ? cap - c : 0));
  return c;
}

void cm_abi_flatten_functype(const cm_functype *ft, bool lower,
                             uint8_t *params, uint32_t *nparams,
                             uint8_t *results, uint32_t *nresults) {
  uint32_t np = 0;
  for (uint32_t i = 0; i < ft->nparams && np < FLAT_SAT; i++)
    np = sat_add(np, cm_abi_flatten(ft->params[i].type,
                                    np < CM_MAX_FLAT_PARAMS ? params + np : NULL,
                                    np < CM_MAX_FLAT_PARAMS ? CM_MAX_FLAT_PARAMS - np : 0));
  if (np > CM_MAX_FLAT_PARAMS) {
    params[0] = WASM_I32;
    np = 1;
  }
  uint32_t nr = ft->result ? cm_abi_flatten(ft->result, results, 1) : 0;
  if (nr > CM_MAX_FLAT_RESULTS) {
    if (lower) {
      params[np++] = WASM_I32;
      nr = 0;
    } else {
      results[0] = WASM_I32;
      nr = 1;
    }
  }
  *nparams = np;
  *nresults = nr;
}

/* ---- memory access ---- */

static wasm_status trap(cm_abi_cx *cx, const char *msg) {
  return cm_rt_fail(cx->err, WASM_TRAP, "%s", msg);
}

static uint8_t *mem_range(cm_abi_cx *cx, uint64_t ptr, uint64_t len) {
  if (!cx->mem) return NULL;
  uint64_t sz = wasm_memory_size(cx->mem);
  if (ptr > sz || len > sz - ptr) return NULL;
  return wasm_memory_data(cx->mem) + ptr;
}

static wasm_status need_mem(cm_abi_cx *cx) {
  if (!cx->mem) return trap(cx, "canonical ABI: no memory in the options");
  return WASM_OK;
}

static wasm_status call_realloc(cm_abi_cx *cx, uint32_t old, uint32_t osize,
                                uint32_t align, uint32_t nsize,
                                const char *what, uint32_t *out) {
  if (!cx->realloc) return trap(cx, "canonical ABI: no realloc in the options");
  wasm_val args[4] = {
      {.kind = WASM_I32, .of.i32 = (int32_t)old},
      {.kind = WASM_I32, .of.i32 = (int32_t)osize},
      {.kind = WASM_I32, .of.i32 = (int32_t)align},
      {.kind = WASM_I32, .of.i32 = (int32_t)nsize},
  };
  wasm_val r;
  wasm_status st = wasm_func_call(cx->store, cx->realloc, args, 4, &r, 1, cx->err);
  if (st != WASM_OK) return st;
  uint32_t p = (uint32_t)r.of.i32;
  if (p % align != 0)
    return trap(cx, cx->adapter ? "unaligned pointer"
                                : "realloc return: result not aligned");
  if (!mem_range(cx, p, nsize)) {
    if (!cx->adapter) return trap(cx, "realloc return: beyond end of memory");
    return cm_rt_fail(cx->err, WASM_TRAP, "%s content out-of-bounds", what);
  }
  *out = p;
  return WASM_OK;
}

wasm_status cm_abi_alloc(cm_abi_cx *cx, uint32_t align, uint32_t size,
                         uint32_t *out) {
  wasm_status st = need_mem(cx);
  if (st) return st;
  return call_realloc(cx, 0, 0, align, size, "list", out);
}

static uint64_t rd(const uint8_t *p, uint32_t n) {
  uint64_t v = 0;
  for (uint32_t i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

static void wr(uint8_t *p, uint64_t v, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* ---- UTF-8 / UTF-16 helpers ---- */

/* Decodes one scalar; returns its length, 0 invalid, -1 truncated. */
static int utf8_next(const uint8_t *s, size_t n, uint32_t *cp) {
  uint8_t c = s[0];
  int len;
  uint32_t v, min;
  if (c < 0x80) { *cp = c; return 1; }
  if ((c & 0xe0) == 0xc0) { len = 2; v = c & 0x1f; min = 0x80; }
  else if ((c & 0xf0) == 0xe0) { len = 3; v = c & 0x0f; min = 0x800; }
  else if ((c & 0xf8) == 0xf0 && c <= 0xf4) { len = 4; v = c & 0x07; min = 0x10000; }
  else return 0;
  for (int i = 1; i < len; i++) {
    if ((size_t)i >= n) return -1;
    if ((s[i] & 0xc0) != 0x80) return 0;
    v = (v << 6) | (s[i] & 0x3f);
  }
  if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return 0;
  *cp = v;
  return len;
}

static size_t utf8_put(uint8_t *o, uint32_t cp) {
  if (cp < 0x80) { o[0] = (uint8_t)cp; return 1; }
  if (cp < 0x800) {
    o[0] = (uint8_t)(0xc0 | (cp >> 6)); o[1] = (uint8_t)(0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (uint8_t)(0xe0 | (cp >> 12)); o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
    o[2] = (uint8_t)(0x80 | (cp & 0x3f));
    return 3;
  }
  o[0] = (uint8_t)(0xf0 | (cp >> 18)); o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
  o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f)); o[3] = (uint8_t)(0x80 | (cp & 0x3f));
  return 4;
}

/* Checks a UTF-8 string; fills err on failure. */
static wasm_status utf8_check(cm_abi_cx *cx, const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint32_t cp;
    int k = utf8_next(s + i, n - i, &cp);
    if (k == 0) return trap(cx, "invalid utf-8");
    if (k < 0) return trap(cx, "incomplete utf-8 byte sequence");
    i += (size_t)k;
  }
  return WASM_OK;
}

static wasm_status make_str(cm_abi_cx *cx, cm_val *out, char *buf, size_t n) {
  out->kind = CM_STRING;
  out->of.str.ptr = buf;
  out->of.str.len = n;
  buf[n] = 0;
  return WASM_OK;
}

/* ---- strings: lift ---- */

static wasm_status lift_string(cm_abi_cx *cx, uint32_t ptr, uint32_t tagged,
                               cm_val *out) {
  wasm_status st = need_mem(cx);
  if (st) return st;
  bool utf16 = cx->enc == CM_ENC_UTF16 ||
               (cx->enc == CM_ENC_LATIN1_UTF16 && (tagged & UTF16_TAG));
  uint64_t units = cx->enc == CM_ENC_LATIN1_UTF16 ? (tagged & ~UTF16_TAG) : tagged;
  uint64_t bytes = utf16 ? 2 * units : units;
  if (cx->enc != CM_ENC_UTF8 && ptr % 2 != 0) return trap(cx, "unaligned pointer");
  const uint8_t *p = mem_range(cx, ptr, bytes);
  if (!p)
    return trap(cx, cx->adapter ? "string content out-of-bounds"
                                : "string pointer/length out of bounds of memory");
  if (cx->enc == CM_ENC_UTF8) {
    if ((st = utf8_check(cx, p, bytes))) return st;
    char *buf = malloc(bytes + 1);
    if (!buf) return cm_rt_fail(cx->err, WASM_NOMEM, "out of memory (string)");
    memcpy(buf, p, bytes);
    return make_str(cx, out, buf, bytes);
  }
  /* utf16 needs up to 3 bytes per unit, latin1 up to 2 */
  char *buf = malloc(units * 3 + 1);
  if (!buf) return cm_rt_fail(cx->err, WASM_NOMEM, "out of memory (string)");
  size_t o = 0;
  if (!utf16) {
    for (uint64_t i = 0; i < units; i++) o += utf8_put((uint8_t *)buf + o, p[i]);
    return make_str(cx, out, buf, o);
  }
  for (uint64_t i = 0; i < units; i++) {
    uint32_t u = (uint32_t)rd(p + 2 * i, 2);
    if (u >= 0xd800 && u <= 0xdbff && i + 1 < units) {
      uint32_t l = (uint32_t)rd(p + 2 * i + 2, 2);
      if (l >= 0xdc00 && l <= 0xdfff) {
        u = 0x10000 + ((u - 0xd800) << 10) + (l - 0xdc00);
        i++;
        o += utf8_put((uint8_t *)buf + o, u);
        continue;
      }
    }
    if (u >= 0xd800 && u <= 0xdfff) {
      free(buf);
      return trap(cx, "invalid utf-16");
    }
    o += utf8_put((uint8_t *)buf + o, u);
  }
  return make_str(cx, out, buf, o);
}

/* ---- strings: lower (source is always UTF-8) ---- */

static size_t utf16_encode(uint8_t *dst, const uint8_t *s, size_t n) {
  size_t i = 0, o = 0;
  while (i < n) {
    uint32_t cp;
    int k = utf8_next(s + i, n - i, &cp);
    if (k <= 0) { cp = 0xfffd; k = 1; } /* cm_val strings are valid UTF-8 */
    i += (size_t)k;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      wr(dst + o, 0xd800 + (cp >> 10), 2);
      wr(dst + o + 2, 0xdc00 + (cp & 0x3ff), 2);
      o += 4;
    } else {
      wr(dst + o, cp, 2);
      o += 2;
    }
  }
  return o;
}

static wasm_status lower_string(cm_abi_cx *cx, const cm_val *v, uint32_t *optr,
                                uint32_t *olen) {
  wasm_status st = need_mem(cx);
  if (st) return st;
  if (v->kind != CM_STRING) return trap(cx, "type mismatch: expected a string");
  const uint8_t *s = (const uint8_t *)v->of.str.ptr;
  size_t n = v->of.str.len;
  if (n > CM_MAX_STRING_BYTE_LENGTH) return trap(cx, "string too large");
  uint32_t ptr;
  if (cx->enc == CM_ENC_UTF8) {
    if ((st = call_realloc(cx, 0, 0, 1, (uint32_t)n, "string", &ptr))) return st;
    memcpy(mem_range(cx, ptr, n), s, n);
    *optr = ptr;
    *olen = (uint32_t)n;
    return WASM_OK;
  }
  /* a UTF-16 encoding of a UTF-8 string never exceeds 2 * its byte length */
  uint8_t *tmp = malloc(2 * n + 1);
  if (!tmp) return cm_rt_fail(cx->err, WASM_NOMEM, "out of memory (string)");
  size_t enc = utf16_encode(tmp, s, n);
  if (cx->enc == CM_ENC_UTF16) {
    uint64_t worst = 2 * (uint64_t)n;
    if (worst > CM_MAX_STRING_BYTE_LENGTH) { free(tmp); return trap(cx, "string too large"); }
    if ((st = call_realloc(cx, 0, 0, 2, (uint32_t)worst, "string", &ptr))) goto out;
    memcpy(mem_range(cx, ptr, enc), tmp, enc);
    if (enc < worst &&
        (st = call_realloc(cx, ptr, (uint32_t)worst, 2, (uint32_t)enc, "string", &ptr)))
      goto out;
    *optr = ptr;
    *olen = (uint32_t)(enc / 2);
    goto out;
  }
  /* latin1+utf16: latin1 while every scalar fits a byte */
  bool latin1 = true;
  for (size_t i = 0; i < enc; i += 2)
    if (rd(tmp + i, 2) >= 0x100) latin1 = false;
  if ((st = call_realloc(cx, 0, 0, 2, (uint32_t)n, "string", &ptr))) goto out;
  if (latin1) {
    size_t units = enc / 2;
    uint8_t *d = mem_range(cx, ptr, units);
    for (size_t i = 0; i < units; i++) d[i] = tmp[2 * i];
    if (units < n &&
        (st = call_realloc(cx, ptr, (uint32_t)n, 2, (uint32_t)units, "string", &ptr)))
      goto out;
    *optr = ptr;
    *olen = (uint32_t)units;
  } else {
    uint64_t worst = 2 * (uint64_t)n;
    if (worst > CM_MAX_STRING_BYTE_LENGTH) { st = trap(cx, "string too large"); goto out; }
    if ((st = call_realloc(cx, ptr, (uint32_t)n, 2, (uint32_t)worst, "string", &ptr)))
      goto out;
    memcpy(mem_range(cx, ptr, enc), tmp, enc);
    if (worst > enc &&
        (st = call_realloc(cx, ptr, (uint32_t)worst, 2, (uint32_t)enc, "string", &ptr)))
      goto out;
    *optr = ptr;
    *olen = (uint32_t)(enc / 2) | UTF16_TAG;
  }
out:
  free(tmp);
  return st;
}

/* ---- handles ---- */

static const cm_rtres *resolve(cm_abi_cx *cx, const cm_type *t) {
  if (!cx->resolve || !t->as.handle.res) return NULL;
  return cx->resolve(cx->resolve_env, t->as.handle.res);
}

static wasm_status lift_handle(cm_abi_cx *cx, const cm_type *t, uint32_t i,
                               cm_val *out) {
  if (!cx->handles || !cx->transit) return trap(cx, "canonical ABI: no handle table");
  const cm_rtres *rt = resolve(cx, t);
  cm_handle *h = cm_htable_get_typed(cx->handles, i, rt, cx->err);
  if (!h) return WASM_TRAP;
  cm_handle th = {.rt = h->rt, .rep = h->rep, .state = t->kind == CM_OWN ? CM_H_OWN : CM_H_BORROW};
  wasm_status st;
  if (t->kind == CM_OWN) {
    if (h->state != CM_H_OWN) return trap(cx, "cannot lift own resource from a borrow");
    if (h->lends) return trap(cx, "cannot remove owned resource while borrowed");
    cm_htable_remove(cx->handles, i);
  } else if (h->state == CM_H_OWN && cx->scope) {
    if ((st = cm_scope_add_lender(cx->scope, cx->handles, i, cx->err))) return st;
  }
  uint32_t ti = cm_htable_insert(cx->transit, th, cx->err);
  if (!ti) return cx->err ? cx->err->status : WASM_TRAP;
  out->kind = t->kind;
  out->of.handle = ti;
  return WASM_OK;
}

static wasm_status lower_handle(cm_abi_cx *cx, const cm_type *t, const cm_val *v,
                                uint32_t *out) {
  if (!cx->handles || !cx->transit) return trap(cx, "canonical ABI: no handle table");
  if (v->kind != CM_OWN && v->kind != CM_BORROW)
    return trap(cx, "type mismatch: expected a handle");
  const cm_rtres *rt = resolve(cx, t);
  cm_handle *th = cm_htable_get_typed(cx->transit, v->of.handle, rt, cx->err);
  if (!th) return WASM_TRAP;
  cm_handle h = *th;
  if (t->kind == CM_OWN) {
    if (h.state != CM_H_OWN) return trap(cx, "cannot lower a borrow as an own handle");
    if (h.lends) return trap(cx, "cannot remove owned resource while borrowed");
    cm_htable_remove(cx->transit, v->of.handle);
    h.scope = NULL;
  } else {
    if (h.state == CM_H_BORROW) cm_htable_remove(cx->transit, v->of.handle);
    if (h.rt && h.rt->impl && h.rt->impl == cx->self) {
      *out = h.rep; /* borrowing into the implementation: the rep itself */
      return WASM_OK;
    }
    h.state = CM_H_BORROW;
    h.lends = 0;
    h.scope = cx->scope;
    if (cx->scope) cx->scope->borrow_count++;
  }
  uint32_t i = cm_htable_insert(cx->handles, h, cx->err);
  if (!i) return cx->err ? cx->err->status : WASM_TRAP;
  *out = i;
  return WASM_OK;
}

/* ---- values ---- */

static wasm_status alloc_children(cm_abi_cx *cx, cm_val *out, cm_typekind k,
                                  size_t n) {
  out->kind = k;
  out->of.list.n = 0;
  out->of.list.elems = calloc(n ? n : 1, sizeof(cm_val));
  if (!out->of.list.elems) return cm_rt_fail(cx->err, WASM_NOMEM, "out of memory (value)");
  out->of.list.n = n; /* zeroed elements are empty bools: a partial value frees cleanly */
  return WASM_OK;
}

static wasm_status set_variant(cm_abi_cx *cx, cm_val *out, const cm_type *t,
                               uint32_t disc) {
  out->kind = t->kind;
  out->of.variant.disc = disc;
  out->of.variant.payload = NULL;
  if (disc >= ncases(t)) return trap(cx, "invalid variant discriminant");
  if (case_type(t, disc)) {
    out->of.variant.payload = calloc(1, sizeof(cm_val));
    if (!out->of.variant.payload)
      return cm_rt_fail(cx->err, WASM_NOMEM, "out of memory (value)");
  }
  return WASM_OK;
}

static wasm_status set_flags(cm_abi_cx *cx, cm_val *out, const cm_type *t) {
  uint32_t n = t->as.labels.n;
  out->kind = CM_FLAGS;
  out->of.flags.nlabels = n;
  out->of.flags.words = calloc(flag_words(n) ? flag_words(n) : 1, 4);
  if (!out->of.flags.words) return cm_rt_fail(cx->err, WASM_NOMEM, "out of memory (value)");
  return WASM_OK;
}

static uint32_t flag_word(const cm_val *v, uint32_t w, uint32_t nlabels) {
  if (v->kind != CM_FLAGS || !v->of.flags.words || w >= flag_words(v->of.flags.nlabels))
    return 0;
  uint32_t x = v->of.flags.words[w];
  uint32_t rem = nlabels - 32 * w;
  if (rem < 32) x &= (1u << rem) - 1;
  return x;
}

static bool valid_char(uint32_t c) { return c < 0xd800 || (c >= 0xe000 && c < 0x110000); }

/* -- load -- */

static wasm_status load_list(cm_abi_cx *cx, const cm_type *et, uint32_t ptr,
                             uint32_t len, cm_val *out);

wasm_status cm_abi_load(cm_abi_cx *cx, const cm_type *t, uint64_t ptr, cm_val *out) {
  memset(out, 0, sizeof *out);
  wasm_status st = need_mem(cx);
  if (st) return st;
  const uint8_t *p = mem_range(cx, ptr, cm_abi_size(t));
  if (!p) return trap(cx, "out of bounds memory access");
  out->kind = t->kind;
  switch (t->kind) {
  case CM_BOOL: out->of.b = p[0] != 0; return WASM_OK;
  case CM_U8: out->of.u = p[0]; return WASM_OK;
  case CM_U16: out->of.u = rd(p, 2); return WASM_OK;
  case CM_U32: out->of.u = rd(p, 4); return WASM_OK;
  case CM_U64: out->of.u = rd(p, 8); return WASM_OK;
  case CM_S8: out->of.s = (int8_t)p[0]; return WASM_OK;
  case CM_S16: out->of.s = (int16_t)rd(p, 2); return WASM_OK;
  case CM_S32: out->of.s = (int32_t)rd(p, 4); return WASM_OK;
  case CM_S64: out->of.s = (int64_t)rd(p, 8); return WASM_OK;
  case CM_F32: { uint32_t b = (uint32_t)rd(p, 4); memcpy(&out->of.f32, &b, 4); return WASM_OK; }
  case CM_F64: { uint64_t b = rd(p, 8); memcpy(&out->of.f64, &b, 8); return WASM_OK; }
  case CM_CHAR: {
    uint32_t c = (uint32_t)rd(p, 4);
    if (!valid_char(c)) return trap(cx, "invalid `char` bit pattern");
    out->of.ch = c;
    return WASM_OK;
  }
  case CM_STRING: return lift_string(cx, (uint32_t)rd(p, 4), (uint32_t)rd(p + 4, 4), out);
  case CM_LIST:
    if (t->as.list.fixed_len) {
      const cm_type *et = t->as.list.elem;
      uint32_t n = t->as.list.fixed_len, es = cm_abi_size(et);
      if ((st = alloc_children(cx, out, CM_LIST, n))) return st;
      for (uint32_t i = 0; i < n; i++) {
        if ((st = cm_abi_load(cx, et, ptr + (uint64_t)i * es, &out->of.list.elems[i]))) return st;
      }
      return WASM_OK;
    }
    return load_list(cx, t->as.list.elem, (uint32_t)rd(p, 4), (uint32_t)rd(p + 4, 4), out);
  case CM_RECORD: case CM_TUPLE: {
    uint32_t n = nfields(t);
    if ((st = alloc_children(cx, out, t->kind, n))) return st;
    for (uint32_t i = 0; i < n; i++) {
      const cm_type *f = field_type(t, i);
      ptr = align_to(ptr, cm_abi_align(f));
      if ((st = cm_abi_load(cx, f, ptr, &out->of.list.elems[i]))) return st;
      ptr += cm_abi_size(f);
    }
    return WASM_OK;
  }
  case CM_VARIANT: case CM_ENUM: case CM_OPTION: case CM_RESULT: {
    uint32_t ds = disc_size(ncases(t));
    uint32_t disc = (uint32_t)rd(p, ds);
    if ((st = set_variant(cx, out, t, disc))) return st;
    const cm_type *c = case_type(t, disc);
    if (!c) return WASM_OK;
    return cm_abi_load(cx, c, align_to(ptr + ds, max_case_align(t)), out->of.variant.payload);
  }
  case CM_FLAGS: {
    if ((st = set_flags(cx, out, t))) return st;
    uint32_t sz = cm_abi_size(t), n = t->as.labels.n;
    if (sz <= 4) {
      uint32_t x = (uint32_t)rd(p, sz);
      if (n < 32) x &= (1u << n) - 1;
      out->of.flags.words[0] = x;
    } else {
      for (uint32_t w = 0; w < flag_words(n); w++) {
        uint32_t x = (uint32_t)rd(p + 4 * w, 4), rem = n - 32 * w;
        out->of.flags.words[w] = rem < 32 ? x & ((1u << rem) - 1) : x;
      }
    }
    return WASM_OK;
  }
  case CM_OWN: case CM_BORROW: return lift_handle(cx, t, (uint32_t)rd(p, 4), out);
  default: return trap(cx, "canonical ABI: type not supported");
  }
}

static wasm_status load_list(cm_abi_cx *cx, const cm_type *et, uint32_t ptr,
                             uint32_t len, cm_val *out) {
  uint32_t es = cm_abi_size(et), ea = cm_abi_align(et);
  if (ptr % ea != 0) return trap(cx, "unaligned pointer");
  if (!mem_range(cx, ptr, (uint64_t)len * es))
    return trap(cx, cx->adapter ? "list content out-of-bounds"
                                : "list pointer/length out of bounds of memory");
  wasm_status st = alloc_children(cx, out, CM_LIST, len);
  if (st) return st;
  for (uint32_t i = 0; i < len; i++) {
    if ((st = cm_abi_load(cx, et, (uint64_t)ptr + (uint64_t)i * es, &out->of.list.elems[i])))
      return st;
  }
  return WASM_OK;
}

/* -- store -- */

static bool kind_ok(const cm_type *t, const cm_val *v) { return t->kind == v->kind; }

static wasm_status lower_list_range(cm_abi_cx *cx, const cm_type *et, const cm_val *v,
                                    uint32_t *optr, uint32_t *olen) {
  if (v->kind != CM_LIST) return trap(cx, "type mismatch: expected a list");
  uint32_t es = cm_abi_size(et), ea = cm_abi_align(et);
  uint64_t bytes = (uint64_t)v->of.list.n * es;
  if (bytes >= (1ull << 32)) return trap(cx, "list too large");
  wasm_status st = need_mem(cx);
  if (st) return st;
  uint32_t ptr;
  if ((st = call_realloc(cx, 0, 0, ea, (uint32_t)bytes, "list", &ptr))) return st;
  for (size_t i = 0; i < v->of.list.n; i++)
    if ((st = cm_abi_store(cx, et, &v->of.list.elems[i], (uint64_t)ptr + i * es))) return st;
  *optr = ptr;
  *olen = (uint32_t)v->of.list.n;
  return WASM_OK;
}

wasm_status cm_abi_store(cm_abi_cx *cx, const cm_type *t, const cm_val *v, uint64_t ptr) {
  wasm_status st = need_mem(cx);
  if (st) return st;
  if (!kind_ok(t, v)) return trap(cx, "type mismatch in lowered value");
  uint32_t sz = cm_abi_size(t);
  if (!mem_range(cx, ptr, sz)) return trap(cx, "out of bounds memory access");
#define P() mem_range(cx, ptr, sz) /* memory may move under realloc */
  switch (t->kind) {
  case CM_BOOL: P()[0] = v->of.b ? 1 : 0; return WASM_OK;
  case CM_U8: case CM_U16: case CM_U32: case CM_U64: wr(P(), v->of.u, sz); return WASM_OK;
  case CM_S8: case CM_S16: case CM_S32: case CM_S64: wr(P(), (uint64_t)v->of.s, sz); return WASM_OK;
  case CM_F32: { uint32_t b; memcpy(&b, &v->of.f32, 4); wr(P(), b, 4); return WASM_OK; }
  case CM_F64: { uint64_t b; memcpy(&b, &v->of.f64, 8); wr(P(), b, 8); return WASM_OK; }
  case CM_CHAR:
    if (!valid_char(v->of.ch)) return trap(cx, "invalid `char` bit pattern");
    wr(P(), v->of.ch, 4);
    return WASM_OK;
  case CM_STRING: {
    uint32_t a, n;
    if ((st = lower_string(cx, v, &a, &n))) return st;
    wr(P(), a, 4); wr(P() + 4, n, 4);
    return WASM_OK;
  }
  case CM_LIST: {
    if (t->as.list.fixed_len) {
      uint32_t es = cm_abi_size(t->as.list.elem);
      if (v->of.list.n != t->as.list.fixed_len) return trap(cx, "fixed-length list size mismatch");
      for (uint32_t i = 0; i < t->as.list.fixed_len; i++)
        if ((st = cm_abi_store(cx, t->as.list.elem, &v->of.list.elems[i], ptr + (uint64_t)i * es)))
          return st;
      return WASM_OK;
    }
    uint32_t a, n;
    if ((st = lower_list_range(cx, t->as.list.elem, v, &a, &n))) return st;
    wr(P(), a, 4); wr(P() + 4, n, 4);
    return WASM_OK;
  }
  case CM_RECORD: case CM_TUPLE: {
    uint32_t n = nfields(t);
    if (v->of.list.n != n) return trap(cx, "record arity mismatch");
    for (uint32_t i = 0; i < n; i++) {
      const cm_type *f = field_type(t, i);
      ptr = align_to(ptr, cm_abi_align(f));
      if ((st = cm_abi_store(cx, f, &v->of.list.elems[i], ptr))) return st;
      ptr += cm_abi_size(f);
    }
    return WASM_OK;
  }
  case CM_VARIANT: case CM_ENUM: case CM_OPTION: case CM_RESULT: {
    uint32_t disc = v->of.variant.disc, ds = disc_size(ncases(t));
    if (disc >= ncases(t)) return trap(cx, "invalid variant discriminant");
    wr(P(), disc, ds);
    const cm_type *c = case_type(t, disc);
    if (!c) return WASM_OK;
    if (!v->of.variant.payload) return trap(cx, "variant payload missing");
    return cm_abi_store(cx, c, v->of.variant.payload, align_to(ptr + ds, max_case_align(t)));
  }
  case CM_FLAGS: {
    uint32_t n = t->as.labels.n;
    if (sz <= 4) wr(P(), flag_word(v, 0, n), sz);
    else
      for (uint32_t w = 0; w < flag_words(n); w++) wr(P() + 4 * w, flag_word(v, w, n), 4);
    return WASM_OK;
  }
  case CM_OWN: case CM_BORROW: {
    uint32_t h;
    if ((st = lower_handle(cx, t, v, &h))) return st;
    wr(P(), h, 4);
    return WASM_OK;
  }
  default: return trap(cx, "canonical ABI: type not supported");
  }
#undef P
}

/* ---- flat lift ---- */

typedef struct flat_rd {
  const wasm_val *v;
  uint32_t n, pos;
} flat_rd;

/* Reads the next flat value as the wanted core type, coercing from the
 * joined type a variant payload may have been widened to. */
static bool next_bits(flat_rd *r, uint8_t want, uint64_t *out) {
  if (r->pos >= r->n) return false;
  const wasm_val *v = &r->v[r->pos++];
  uint64_t x;
  switch (v->kind) {
  case WASM_I32: x = (uint32_t)v->of.i32; break;
  case WASM_F32: x = v->of.f32; break;
  case WASM_I64: x = (uint64_t)v->of.i64; break;
  case WASM_F64: x = v->of.f64; break;
  default: x = 0; break;
  }
  if (want == WASM_I32 || want == WASM_F32) x &= 0xffffffffu;
  *out = x;
  return true;
}

static wasm_status lift_flat_rd(cm_abi_cx *cx, const cm_type *t, flat_rd *r, cm_val *out);

static wasm_status rd_fail(cm_abi_cx *cx) {
  return trap(cx, "canonical ABI: too few core values");
}

static wasm_status lift_flat_rd(cm_abi_cx *cx, const cm_type *t, flat_rd *r, cm_val *out) {
  memset(out, 0, sizeof *out);
  out->kind = t->kind;
  uint64_t x, y;
  wasm_status st;
  switch (t->kind) {
  case CM_BOOL: if (!next_bits(r, WASM_I32, &x)) return rd_fail(cx); out->of.b = x != 0; return WASM_OK;
  case CM_U8: if (!next_bits(r, WASM_I32, &x)) return rd_fail(cx); out->of.u = x & 0xff; return WASM_OK;
  case CM_U16: if (!next_bits(r, WASM_I32, &x)) return rd_fail(cx); out->of.u = x & 0xffff; return WASM_OK;
  case CM_U32: if (!next_bits(r, WASM_I32, &x)) return rd_fail(cx); out->of.u = x; return WASM_OK;
  case CM_U64: if (!next_bits(r, WASM_I64, &x)) return rd_fail(cx); out->of.u = x; return WASM_OK;
  case CM_S8: if (!next_bits(r, WASM_I32, &x)) return rd_fail(cx); out->of.s = (int8_t)x; return WASM_OK;
  case CM_S16: if (!next_bits(r, WASM_I32, &x)) return rd_fail(cx); out->of.s = (int16_t)x; return WASM_OK;
  case CM_S32: if (!next_bits(r, WASM_I32, &x)) return rd_fail(cx); out->of.s = (int32_t)x; return WASM_OK;
  case CM_S64: if (!next_bits(r, WASM_I64, &x)) return rd_fail(cx); out->of.s = (int64_t)x; return WASM_OK;
  case CM_F32: {
    if (!next_bits(r, WASM_F32, &x)) return rd_fail(cx);
    uint32_t b = (uint32_t)x;
    memcpy(&out->of.f32, &b, 4);
    return WASM_OK;
  }
  case CM_F64: if (!next_bits(r, WASM_F64, &x)) return rd_fail(cx); memcpy(&out->of.f64, &x, 8); return WASM_OK;
  case CM_CHAR:
    if (!next_bits(r, WASM_I32, &x)) return rd_fail(cx);
    if (!valid_char((uint32_t)x)) return trap(cx, "invalid `char` bit pattern");
    out->of.ch = (uint32_t)x;
    return WASM_OK;
  case CM_STRING:
    if (!next_bits(r, WASM_I32, &x) || !next_bits(r, WASM_I32, &y)) return rd_fail(cx);
    return lift_string(cx, (uint32_t)x, (uint32_t)y, out);
  case CM_LIST:
    if (t->as.list.fixed_len) {
      uint32_t n = t->as.list.fixed_len;
      if ((st = alloc_children(cx, out, CM_LIST, n))) return st;
      for (uint32_t i = 0; i < n; i++) {
        if ((st = lift_flat_rd(cx, t->as.list.elem, r, &out->of.list.elems[i]))) return st;
      }
      return WASM_OK;
    }
    if (!next_bits(r, WASM_I32, &x) || !next_bits(r, WASM_I32, &y)) return rd_fail(cx);
    if ((st = need_mem(cx))) return st;
    return load_list(cx, t->as.list.elem, (uint32_t)x, (uint32_t)y, out);
  case CM_RECORD: case CM_TUPLE: {
    uint32_t n = nfields(t);
    if ((st = alloc_children(cx, out, t->kind, n))) return st;
    for (uint32_t i = 0; i < n; i++) {
      if ((st = lift_flat_rd(cx, field_type(t, i), r, &out->of.list.elems[i]))) return st;
    }
    return WASM_OK;
  }
  case CM_VARIANT: case CM_ENUM: case CM_OPTION: case CM_RESULT: {
    uint32_t total = cm_abi_flatten(t, NULL, 0);
    uint32_t start = r->pos;
    if (!next_bits(r, WASM_I32, &x)) return rd_fail(cx);
    if ((st = set_variant(cx, out, t, (uint32_t)x))) return st;
    const cm_type *c = case_type(t, (uint32_t)x);
    if (c && (st = lift_flat_rd(cx, c, r, out->of.variant.payload))) return st;
    if (start + total > r->n) return rd_fail(cx);
    r->pos = start + total;
    return WASM_OK;
  }
  case CM_FLAGS: {
    if ((st = set_flags(cx, out, t))) return st;
    uint32_t n = t->as.labels.n;
    for (uint32_t w = 0; w < flag_words(n); w++) {
      if (!next_bits(r, WASM_I32, &x)) return rd_fail(cx);
      uint32_t rem = n - 32 * w;
      out->of.flags.words[w] = rem < 32 ? (uint32_t)x & ((1u << rem) - 1) : (uint32_t)x;
    }
    return WASM_OK;
  }
  case CM_OWN: case CM_BORROW:
    if (!next_bits(r, WASM_I32, &x)) return rd_fail(cx);
    return lift_handle(cx, t, (uint32_t)x, out);
  default: return trap(cx, "canonical ABI: type not supported");
  }
}

wasm_status cm_abi_lift_flat(cm_abi_cx *cx, const cm_type *t, const wasm_val *vals,
                             uint32_t nvals, uint32_t *pos, cm_val *out) {
  flat_rd r = {vals, nvals, *pos};
  wasm_status st = lift_flat_rd(cx, t, &r, out);
  *pos = r.pos;
  return st;
}

/* ---- flat lower ---- */

static wasm_val mkval(uint8_t kind, uint64_t bits) {
  wasm_val v;
  memset(&v, 0, sizeof v);
  v.kind = kind;
  switch (kind) {
  case WASM_I32: v.of.i32 = (int32_t)(uint32_t)bits; break;
  case WASM_F32: v.of.f32 = (uint32_t)bits; break;
  case WASM_I64: v.of.i64 = (int64_t)bits; break;
  default: v.of.f64 = bits; break;
  }
  return v;
}

static uint64_t val_bits(const wasm_val *v) {
  switch (v->kind) {
  case WASM_I32: return (uint32_t)v->of.i32;
  case WASM_F32: return v->of.f32;
  case WASM_I64: return (uint64_t)v->of.i64;
  default: return v->of.f64;
  }
}

static wasm_status push(cm_abi_cx *cx, wasm_val *out, uint32_t cap, uint32_t *n,
                        uint8_t kind, uint64_t bits) {
  if (*n >= cap) return trap(cx, "canonical ABI: too many core values");
  out[(*n)++] = mkval(kind, bits);
  return WASM_OK;
}

wasm_status cm_abi_lower_flat(cm_abi_cx *cx, const cm_type *t, const cm_val *v,
                              wasm_val *out, uint32_t cap, uint32_t *n) {
  if (!kind_ok(t, v)) return trap(cx, "type mismatch in lowered value");
  wasm_status st;
  switch (t->kind) {
  case CM_BOOL: return push(cx, out, cap, n, WASM_I32, v->of.b ? 1 : 0);
  case CM_U8: return push(cx, out, cap, n, WASM_I32, v->of.u & 0xff);
  case CM_U16: return push(cx, out, cap, n, WASM_I32, v->of.u & 0xffff);
  case CM_U32: return push(cx, out, cap, n, WASM_I32, v->of.u & 0xffffffffu);
  case CM_U64: return push(cx, out, cap, n, WASM_I64, v->of.u);
  case CM_S8: case CM_S16: case CM_S32:
    return push(cx, out, cap, n, WASM_I32, (uint32_t)(int32_t)v->of.s);
  case CM_S64: return push(cx, out, cap, n, WASM_I64, (uint64_t)v->of.s);
  case CM_F32: { uint32_t b; memcpy(&b, &v->of.f32, 4); return push(cx, out, cap, n, WASM_F32, b); }
  case CM_F64: { uint64_t b; memcpy(&b, &v->of.f64, 8); return push(cx, out, cap, n, WASM_F64, b); }
  case CM_CHAR:
    if (!valid_char(v->of.ch)) return trap(cx, "invalid `char` bit pattern");
    return push(cx, out, cap, n, WASM_I32, v->of.ch);
  case CM_STRING: {
    uint32_t a, l;
    if ((st = lower_string(cx, v, &a, &l))) return st;
    if ((st = push(cx, out, cap, n, WASM_I32, a))) return st;
    return push(cx, out, cap, n, WASM_I32, l);
  }
  case CM_LIST: {
    if (t->as.list.fixed_len) {
      if (v->of.list.n != t->as.list.fixed_len) return trap(cx, "fixed-length list size mismatch");
      for (uint32_t i = 0; i < t->as.list.fixed_len; i++)
        if ((st = cm_abi_lower_flat(cx, t->as.list.elem, &v->of.list.elems[i], out, cap, n)))
          return st;
      return WASM_OK;
    }
    uint32_t a, l;
    if ((st = lower_list_range(cx, t->as.list.elem, v, &a, &l))) return st;
    if ((st = push(cx, out, cap, n, WASM_I32, a))) return st;
    return push(cx, out, cap, n, WASM_I32, l);
  }
  case CM_RECORD: case CM_TUPLE: {
    uint32_t nf = nfields(t);
    if (v->of.list.n != nf) return trap(cx, "record arity mismatch");
    for (uint32_t i = 0; i < nf; i++)
      if ((st = cm_abi_lower_flat(cx, field_type(t, i), &v->of.list.elems[i], out, cap, n)))
        return st;
    return WASM_OK;
  }
  case CM_VARIANT: case CM_ENUM: case CM_OPTION: case CM_RESULT: {
    uint8_t want[FLAT_BUF];
    uint32_t total = cm_abi_flatten(t, want, FLAT_BUF);
    if (total > FLAT_BUF) return trap(cx, "canonical ABI: variant too wide to flatten");
    uint32_t disc = v->of.variant.disc;
    if (disc >= ncases(t)) return trap(cx, "invalid variant discriminant");
    if ((st = push(cx, out, cap, n, WASM_I32, disc))) return st;
    uint32_t start = *n;
    const cm_type *c = case_type(t, disc);
    if (c) {
      if (!v->of.variant.payload) return trap(cx, "variant payload missing");
      if ((st = cm_abi_lower_flat(cx, c, v->of.variant.payload, out, cap, n))) return st;
    }
    for (uint32_t i = start; i < *n; i++) /* widen to the joined types */
      out[i] = mkval(want[1 + i - start], val_bits(&out[i]));
    for (uint32_t i = *n - start + 1; i < total; i++)
      if ((st = push(cx, out, cap, n, want[i], 0))) return st;
    return WASM_OK;
  }
  case CM_FLAGS: {
    uint32_t nl = t->as.labels.n;
    for (uint32_t w = 0; w < flag_words(nl); w++)
      if ((st = push(cx, out, cap, n, WASM_I32, flag_word(v, w, nl)))) return st;
    return WASM_OK;
  }
  case CM_OWN: case CM_BORROW: {
    uint32_t h;
    if ((st = lower_handle(cx, t, v, &h))) return st;
    return push(cx, out, cap, n, WASM_I32, h);
  }
  default: return trap(cx, "canonical ABI: type not supported");
  }
}

/* ---- lists of values (params, results) ---- */

static void tuple_layout(const cm_type *const *ts, uint32_t n, uint32_t *align,
                         uint64_t *size) {
  uint32_t a = 1;
  uint64_t s = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t fa = cm_abi_align(ts[i]);
    if (fa > a) a = fa;
    s = align_to(s, fa) + cm_abi_size(ts[i]);
  }
  *align = a;
  *size = align_to(s, a);
}

wasm_status cm_abi_lift_values(cm_abi_cx *cx, const cm_type *const *ts, uint32_t n,
                               uint32_t max_flat, const wasm_val *vals, uint32_t nvals,
                               cm_val *out) {
  wasm_status st;
  for (uint32_t i = 0; i < n; i++) memset(&out[i], 0, sizeof out[i]);
  if (flatten_list(ts, n, NULL, 0) > max_flat) {
    if (nvals < 1) return rd_fail(cx);
    uint32_t ptr = (uint32_t)val_bits(&vals[0]), a;
    uint64_t sz;
    tuple_layout(ts, n, &a, &sz);
    if ((st = need_mem(cx))) return st;
    if (ptr % a != 0) return trap(cx, "unaligned pointer");
    if (!mem_range(cx, ptr, sz)) return trap(cx, "pointer out of bounds of memory");
    uint64_t p = ptr;
    for (uint32_t i = 0; i < n; i++) {
      p = align_to(p, cm_abi_align(ts[i]));
      if ((st = cm_abi_load(cx, ts[i], p, &out[i]))) return st;
      p += cm_abi_size(ts[i]);
    }
    return WASM_OK;
  }
  flat_rd r = {vals, nvals, 0};
  for (uint32_t i = 0; i < n; i++)
    if ((st = lift_flat_rd(cx, ts[i], &r, &out[i]))) return st;
  return WASM_OK;
}

wasm_status cm_abi_lower_values(cm_abi_cx *cx, const cm_type *const *ts, uint32_t n,
                                uint32_t max_flat, const cm_val *vs, wasm_val *out,
                                uint32_t cap, uint32_t *nout, bool out_ptr_given,
                                uint32_t out_ptr) {
  wasm_status st;
  *nout = 0;
  if (flatten_list(ts, n, NULL, 0) > max_flat) {
    uint32_t a, ptr;
    uint64_t sz;
    tuple_layout(ts, n, &a, &sz);
    if ((st = need_mem(cx))) return st;
    if (out_ptr_given) {
      ptr = out_ptr;
      if (ptr % a != 0) return trap(cx, "unaligned pointer");
      if (!mem_range(cx, ptr, sz)) return trap(cx, "pointer out of bounds of memory");
    } else {
      if (sz > UINT32_MAX) return trap(cx, "values too large");
      if ((st = call_realloc(cx, 0, 0, a, (uint32_t)sz, "list", &ptr))) return st;
    }
    uint64_t p = ptr;
    for (uint32_t i = 0; i < n; i++) {
      p = align_to(p, cm_abi_align(ts[i]));
      if ((st = cm_abi_store(cx, ts[i], &vs[i], p))) return st;
      p += cm_abi_size(ts[i]);
    }
    if (!out_ptr_given) return push(cx, out, cap, nout, WASM_I32, ptr);
    return WASM_OK;
  }
  for (uint32_t i = 0; i < n; i++)
    if ((st = cm_abi_lower_flat(cx, ts[i], &vs[i], out, cap, nout))) return st;
  return WASM_OK;
}
