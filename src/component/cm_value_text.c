/* cm_value_text.c: component values in the WAST text syntax, both ways.
 *
 * Parsing is guided by the expected type: the text says the form
 * ((u32.const 5), (list.const ...), (variant.const "case" v?), ...) and the
 * type says what the form must build (case indices, field order, element
 * types). Record fields may be written (field "name" (u8.const 0)) or, as
 * the test suite does, (field "name" u8.const 0). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/cm_internal.h"
#include "wasm/wat_lex.h"

#define VP_MAX_DEPTH 100 /* nesting bound against hostile input */

typedef struct vp {
  const wat_token *t;
  size_t ntok, pos;
  wasm_error *err;
  uint32_t depth;
} vp;

static wasm_status vfail(vp *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static wasm_status vfail(vp *p, const char *fmt, ...) {
  const wat_token *t = &p->t[p->pos < p->ntok ? p->pos : p->ntok - 1];
  char msg[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return cm_fail(p->err, WASM_MALFORMED, "%u:%u: %s", t->line, t->col, msg);
}

static wasm_status nomem(vp *p) { return cm_fail(p->err, WASM_NOMEM, "out of memory"); }

static const wat_token *cur(const vp *p) { return &p->t[p->pos]; }

static const char *const int_kw[] = {
  [CM_S8] = "s8.const",   [CM_U8] = "u8.const",   [CM_S16] = "s16.const",
  [CM_U16] = "u16.const", [CM_S32] = "s32.const", [CM_U32] = "u32.const",
  [CM_S64] = "s64.const", [CM_U64] = "u64.const",
};

static int int_bits(cm_typekind k) {
  switch (k) {
  case CM_S8: case CM_U8: return 8;
  case CM_S16: case CM_U16: return 16;
  case CM_S32: case CM_U32: return 32;
  default: return 64;
  }
}

static bool is_signed(cm_typekind k) {
  return k == CM_S8 || k == CM_S16 || k == CM_S32 || k == CM_S64;
}

/* An integer literal of the type's range. */
static wasm_status int_lit(vp *p, cm_typekind k, cm_val *out) {
  const wat_token *t = cur(p);
  if (t->kind != WT_NUM) return vfail(p, "expected an integer");
  bool neg = t->p[0] == '-', sign = neg || t->p[0] == '+';
  uint64_t mag;
  if (wat_num_u64(t->p + sign, t->len - sign, &mag)) return vfail(p, "malformed integer");
  int bits = int_bits(k);
  if (is_signed(k)) {
    uint64_t lim = UINT64_C(1) << (bits - 1);
    if (neg ? mag > lim : mag >= lim) return vfail(p, "integer out of range");
    out->of.s = neg ? (int64_t)(0 - mag) : (int64_t)mag;
  } else {
    if (neg && mag) return vfail(p, "integer out of range");
    if (bits < 64 && (mag >> bits)) return vfail(p, "integer out of range");
    out->of.u = mag;
  }
  p->pos++;
  return WASM_OK;
}

/* A string literal, decoded, NUL-terminated and checked as UTF-8. */
static wasm_status str_lit(vp *p, char **s, size_t *n) {
  const wat_token *t = cur(p);
  if (t->kind != WT_STRING) return vfail(p, "expected a string");
  char *b = malloc(t->len + 1);
  if (!b) return nomem(p);
  *n = wat_string_decode(t, (uint8_t *)b);
  b[*n] = 0;
  if (!wat_utf8_valid((const uint8_t *)b, *n)) {
    free(b);
    return vfail(p, "malformed UTF-8 encoding");
  }
  p->pos++;
  *s = b;
  return WASM_OK;
}

/* One scalar value from valid UTF-8 of exactly one character. */
static bool one_char(const uint8_t *s, size_t n, uint32_t *out) {
  if (n == 0) return false;
  size_t len = s[0] < 0x80 ? 1 : s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3 : 4;
  if (len != n) return false;
  uint32_t c = len == 1 ? s[0] : len == 2 ? s[0] & 0x1F : len == 3 ? s[0] & 0x0F : s[0] & 0x07;
  for (size_t i = 1; i < len; i++) c = (c << 6) | (s[i] & 0x3F);
  *out = c;
  return true;
}

/* The index of a label, or -1. */
static int64_t label_index(char *const *names, uint32_t n, const char *s) {
  for (uint32_t i = 0; i < n; i++)
    if (strcmp(names[i], s) == 0) return i;
  return -1;
}
static int64_t case_index(const cm_field *f, uint32_t n, const char *s) {
  for (uint32_t i = 0; i < n; i++)
    if (strcmp(f[i].name, s) == 0) return i;
  return -1;
}

/* Number of "(...)" forms from the current token up to end. */
static size_t count_forms(const vp *p, size_t end) {
  size_t n = 0;
  for (size_t i = p->pos; i < end && p->t[i].kind == WT_LPAR; i = p->t[i].match + 1) n++;
  return n;
}

static wasm_status form(vp *p, const cm_type *t, size_t end, cm_val *out);

/* A parenthesized value. */
static wasm_status value(vp *p, const cm_type *t, cm_val *out) {
  if (cur(p)->kind != WT_LPAR) return vfail(p, "expected a value");
  size_t end = cur(p)->match;
  p->pos++;
  wasm_status st = form(p, t, end, out);
  if (!st && p->pos != end) {
    cm_val_free(out);
    return vfail(p, "unexpected token in value");
  }
  p->pos = end + 1;
  return st;
}

/* A boxed optional payload: a value of t when t is set, else nothing. */
static wasm_status payload(vp *p, const cm_type *t, size_t end, cm_val **out) {
  *out = NULL;
  if (!t) return p->pos == end ? WASM_OK : vfail(p, "unexpected payload");
  if (p->pos == end) return vfail(p, "missing payload");
  cm_val *v = calloc(1, sizeof *v);
  if (!v) return nomem(p);
  wasm_status st = value(p, t, v);
  if (st) {
    free(v);
    return st;
  }
  *out = v;
  return WASM_OK;
}

/* Values of elem types (types[i], or elem for all) into a new array. */
static wasm_status values(vp *p, const cm_type *const *types, const cm_type *elem, size_t n,
                          size_t end, cm_val *out) {
  cm_val *a = calloc(n ? n : 1, sizeof *a);
  if (!a) return nomem(p);
  wasm_status st = WASM_OK;
  size_t i = 0;
  for (; i < n && !st; i++) st = value(p, types ? types[i] : elem, &a[i]);
  if (st) {
    for (size_t k = 0; k + 1 < i; k++) cm_val_free(&a[k]);
    free(a);
    return st;
  }
  out->of.list.elems = a;
  out->of.list.n = n;
  (void)end;
  return WASM_OK;
}

static wasm_status record(vp *p, const cm_type *t, size_t end, cm_val *out) {
  uint32_t n = t->as.record.n;
  cm_val *a = calloc(n ? n : 1, sizeof *a);
  bool *seen = calloc(n ? n : 1, 1);
  wasm_status st = WASM_OK;
  if (!a || !seen) {
    st = nomem(p);
    goto out;
  }
  for (uint32_t i = 0; i < n && !st; i++) {
    if (cur(p)->kind != WT_LPAR) {
      st = vfail(p, "missing record field");
      break;
    }
    size_t fend = cur(p)->match;
    uint32_t slot = i;
    if (wat_tok_is(&p->t[p->pos + 1], "field")) {
      p->pos += 2;
      char *name;
      size_t len;
      if ((st = str_lit(p, &name, &len))) break;
      int64_t k = case_index(t->as.record.fields, n, name);
      free(name);
      if (k < 0 || seen[k]) {
        st = vfail(p, "unknown or repeated record field");
        break;
      }
      slot = (uint32_t)k;
      seen[slot] = true;
      const cm_type *ft = t->as.record.fields[slot].type;
      if (cur(p)->kind == WT_LPAR) st = value(p, ft, &a[slot]);
      else st = form(p, ft, fend, &a[slot]);
      if (!st && p->pos != fend) st = vfail(p, "unexpected token in field");
      p->pos = fend + 1;
    } else {
      seen[slot] = true;
      st = value(p, t->as.record.fields[slot].type, &a[slot]);
    }
  }
  if (!st && p->pos != end) st = vfail(p, "too many record fields");
out:
  if (st) {
    for (uint32_t i = 0; a && seen && i < n; i++)
      if (seen[i]) cm_val_free(&a[i]);
    free(a);
  } else {
    out->of.list.elems = a;
    out->of.list.n = n;
  }
  free(seen);
  return st;
}

/* Keyword, then the form's arguments up to end (exclusive). */
static wasm_status form(vp *p, const cm_type *t, size_t end, cm_val *out) {
  memset(out, 0, sizeof *out);
  if (!t) return vfail(p, "no type for this value");
  if (++p->depth > VP_MAX_DEPTH) return vfail(p, "value nests too deep");
  const wat_token *kw = cur(p);
  out->kind = t->kind;
  p->pos++;
  wasm_status st = WASM_OK;
  char *s;
  size_t n;
  switch (t->kind) {
  case CM_BOOL:
    if (!wat_tok_is(kw, "bool.const")) goto mismatch;
    if (wat_tok_is(cur(p), "true") || wat_tok_is(cur(p), "false")) {
      out->of.b = wat_tok_is(cur(p), "true");
      p->pos++;
    } else {
      st = vfail(p, "expected true or false");
    }
    break;
  case CM_S8: case CM_U8: case CM_S16: case CM_U16:
  case CM_S32: case CM_U32: case CM_S64: case CM_U64:
    if (!wat_tok_is(kw, int_kw[t->kind])) goto mismatch;
    st = int_lit(p, t->kind, out);
    break;
  case CM_F32:
  case CM_F64: {
    bool f32 = t->kind == CM_F32;
    if (!wat_tok_is(kw, f32 ? "f32.const" : "f64.const")) goto mismatch;
    const wat_token *v = cur(p);
    uint32_t b32;
    uint64_t b64;
    if (v->kind != WT_NUM && v->kind != WT_KEYWORD) {
      st = vfail(p, "expected a float");
      break;
    }
    if (f32 ? wat_num_f32(v->p, v->len, &b32) : wat_num_f64(v->p, v->len, &b64)) {
      st = vfail(p, "malformed float");
      break;
    }
    if (f32) memcpy(&out->of.f32, &b32, 4);
    else memcpy(&out->of.f64, &b64, 8);
    p->pos++;
    break;
  }
  case CM_CHAR:
    if (!wat_tok_is(kw, "char.const")) goto mismatch;
    if ((st = str_lit(p, &s, &n))) break;
    if (!one_char((const uint8_t *)s, n, &out->of.ch)) st = vfail(p, "expected one character");
    free(s);
    break;
  case CM_STRING:
    if (!wat_tok_is(kw, "str.const")) goto mismatch;
    if ((st = str_lit(p, &s, &n))) break;
    out->of.str.ptr = s;
    out->of.str.len = n;
    break;
  case CM_LIST:
    if (!wat_tok_is(kw, "list.const")) goto mismatch;
    n = count_forms(p, end);
    if (t->as.list.fixed_len && n != t->as.list.fixed_len) {
      st = vfail(p, "wrong number of list elements");
      break;
    }
    st = values(p, NULL, t->as.list.elem, n, end, out);
    break;
  case CM_TUPLE:
    if (!wat_tok_is(kw, "tuple.const")) goto mismatch;
    if (count_forms(p, end) != t->as.tuple.n) {
      st = vfail(p, "wrong number of tuple elements");
      break;
    }
    st = values(p, t->as.tuple.types, NULL, t->as.tuple.n, end, out);
    break;
  case CM_RECORD:
    if (!wat_tok_is(kw, "record.const")) goto mismatch;
    st = record(p, t, end, out);
    break;
  case CM_VARIANT: {
    if (!wat_tok_is(kw, "variant.const")) goto mismatch;
    if ((st = str_lit(p, &s, &n))) break;
    int64_t k = case_index(t->as.record.fields, t->as.record.n, s);
    free(s);
    if (k < 0) {
      st = vfail(p, "unknown variant case");
      break;
    }
    out->of.variant.disc = (uint32_t)k;
    st = payload(p, t->as.record.fields[k].type, end, &out->of.variant.payload);
    break;
  }
  case CM_ENUM: {
    if (!wat_tok_is(kw, "enum.const")) goto mismatch;
    if ((st = str_lit(p, &s, &n))) break;
    int64_t k = label_index(t->as.labels.names, t->as.labels.n, s);
    free(s);
    if (k < 0) st = vfail(p, "unknown enum case");
    else out->of.variant.disc = (uint32_t)k;
    break;
  }
  case CM_FLAGS: {
    if (!wat_tok_is(kw, "flags.const")) goto mismatch;
    uint32_t nl = t->as.labels.n, words = (nl + 31) / 32;
    out->of.flags.nlabels = nl;
    out->of.flags.words = calloc(words ? words : 1, sizeof(uint32_t));
    if (!out->of.flags.words) {
      st = nomem(p);
      break;
    }
    while (!st && p->pos < end) {
      if ((st = str_lit(p, &s, &n))) break;
      int64_t k = label_index(t->as.labels.names, nl, s);
      free(s);
      if (k < 0) st = vfail(p, "unknown flag");
      else out->of.flags.words[k / 32] |= UINT32_C(1) << (k % 32);
    }
    break;
  }
  case CM_OPTION:
  case CM_RESULT: {
    /* option.none / option.some v, result.ok v? / result.err v?, or the
     * variant spelling with the case names none/some, ok/error. */
    static const char *const forms_[2][2] = {{"option.none", "option.some"},
                                             {"result.ok", "result.err"}};
    static const char *const cases[2][2] = {{"none", "some"}, {"ok", "error"}};
    int r = t->kind == CM_RESULT;
    int64_t disc = -1;
    if (wat_tok_is(kw, forms_[r][0])) disc = 0;
    else if (wat_tok_is(kw, forms_[r][1])) disc = 1;
    else if (wat_tok_is(kw, "variant.const")) {
      if ((st = str_lit(p, &s, &n))) break;
      disc = strcmp(s, cases[r][0]) == 0 ? 0 : strcmp(s, cases[r][1]) == 0 ? 1 : -1;
      free(s);
      if (disc < 0) {
        st = vfail(p, "unknown case");
        break;
      }
    } else {
      goto mismatch;
    }
    const cm_type *pt = r ? (disc ? t->as.result.err : t->as.result.ok)
                          : (disc ? t->as.option.t : NULL);
    out->of.variant.disc = (uint32_t)disc;
    st = payload(p, pt, end, &out->of.variant.payload);
    break;
  }
  default:
    st = vfail(p, "values of this type cannot be written in text");
    break;
  }
  p->depth--;
  if (st) cm_val_free(out);
  return st;
mismatch:
  p->depth--;
  out->kind = CM_BOOL; /* nothing owned yet */
  p->pos--;
  return vfail(p, "value form does not match the expected type");
}

wasm_status cm_value_parse(const char *text, size_t len, const cm_type *t, cm_val *out,
                           size_t *consumed, wasm_error *err) {
  wat_token *toks;
  size_t ntok;
  memset(out, 0, sizeof *out);
  wasm_status st = wat_lex(text, len, &toks, &ntok, err);
  if (st) return st;
  vp p = {toks, ntok, 0, err, 0};
  st = value(&p, t, out);
  if (!st && consumed) {
    const wat_token *last = &toks[p.pos - 1];
    *consumed = (size_t)(last->p + last->len - text);
  }
  free(toks);
  return st;
}

/* ---- values to text ---- */

typedef struct vw {
  char *buf;
  size_t size, len;
} vw;

static void put(vw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(vw *w, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t room = w->len < w->size ? w->size - w->len : 0;
  int n = vsnprintf(room ? w->buf + w->len : NULL, room, fmt, ap);
  va_end(ap);
  if (n > 0) w->len += (size_t)n;
}

static void put_str(vw *w, const char *s, size_t n) {
  put(w, "\"");
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') put(w, "\\%c", c);
    else if (c < 0x20 || c == 0x7f) put(w, "\\%02x", c);
    else put(w, "%c", c);
  }
  put(w, "\"");
}

static void put_char(vw *w, uint32_t c) {
  char u[4];
  size_t n;
  if (c < 0x80) u[0] = (char)c, n = 1;
  else if (c < 0x800) u[0] = (char)(0xC0 | c >> 6), u[1] = (char)(0x80 | (c & 0x3F)), n = 2;
  else if (c < 0x10000)
    u[0] = (char)(0xE0 | c >> 12), u[1] = (char)(0x80 | ((c >> 6) & 0x3F)),
    u[2] = (char)(0x80 | (c & 0x3F)), n = 3;
  else
    u[0] = (char)(0xF0 | c >> 18), u[1] = (char)(0x80 | ((c >> 12) & 0x3F)),
    u[2] = (char)(0x80 | ((c >> 6) & 0x3F)), u[3] = (char)(0x80 | (c & 0x3F)), n = 4;
  put_str(w, u, n);
}

static void write_val(vw *w, const cm_val *v, const cm_type *t, int depth) {
  if (depth > VP_MAX_DEPTH) {
    put(w, "...");
    return;
  }
  switch (v->kind) {
  case CM_BOOL: put(w, "(bool.const %s)", v->of.b ? "true" : "false"); return;
  case CM_S8: case CM_S16: case CM_S32: case CM_S64:
    put(w, "(%s %lld)", int_kw[v->kind], (long long)v->of.s);
    return;
  case CM_U8: case CM_U16: case CM_U32: case CM_U64:
    put(w, "(%s %llu)", int_kw[v->kind], (unsigned long long)v->of.u);
    return;
  case CM_F32: put(w, "(f32.const %.9g)", (double)v->of.f32); return;
  case CM_F64: put(w, "(f64.const %.17g)", v->of.f64); return;
  case CM_CHAR:
    put(w, "(char.const ");
    put_char(w, v->of.ch);
    put(w, ")");
    return;
  case CM_STRING:
    put(w, "(str.const ");
    put_str(w, v->of.str.ptr ? v->of.str.ptr : "", v->of.str.len);
    put(w, ")");
    return;
  case CM_LIST:
  case CM_TUPLE:
  case CM_RECORD:
    put(w, "(%s", v->kind == CM_LIST ? "list.const" : v->kind == CM_TUPLE ? "tuple.const"
                                                                         : "record.const");
    for (size_t i = 0; i < v->of.list.n; i++) {
      const cm_type *et = NULL;
      if (t && t->kind == CM_LIST) et = t->as.list.elem;
      else if (t && t->kind == CM_TUPLE && i < t->as.tuple.n) et = t->as.tuple.types[i];
      else if (t && t->kind == CM_RECORD && i < t->as.record.n) et = t->as.record.fields[i].type;
      put(w, " ");
      if (v->kind == CM_RECORD && t && t->kind == CM_RECORD && i < t->as.record.n) {
        put(w, "(field ");
        put_str(w, t->as.record.fields[i].name, strlen(t->as.record.fields[i].name));
        put(w, " ");
        write_val(w, &v->of.list.elems[i], et, depth + 1);
        put(w, ")");
      } else {
        write_val(w, &v->of.list.elems[i], et, depth + 1);
      }
    }
    put(w, ")");
    return;
  case CM_VARIANT:
  case CM_ENUM:
  case CM_OPTION:
  case CM_RESULT: {
    uint32_t d = v->of.variant.disc;
    const cm_type *pt = NULL;
    const char *name = NULL;
    if (v->kind == CM_OPTION) {
      put(w, "(option.%s", d ? "some" : "none");
      if (t && t->kind == CM_OPTION) pt = t->as.option.t;
    } else if (v->kind == CM_RESULT) {
      put(w, "(result.%s", d ? "err" : "ok");
      if (t && t->kind == CM_RESULT) pt = d ? t->as.result.err : t->as.result.ok;
    } else {
      if (t && t->kind == CM_VARIANT && d < t->as.record.n) {
        name = t->as.record.fields[d].name;
        pt = t->as.record.fields[d].type;
      } else if (t && t->kind == CM_ENUM && d < t->as.labels.n) {
        name = t->as.labels.names[d];
      }
      put(w, "(%s ", v->kind == CM_ENUM ? "enum.const" : "variant.const");
      if (name) put_str(w, name, strlen(name));
      else put(w, "#%u", d);
    }
    if (v->of.variant.payload) {
      put(w, " ");
      write_val(w, v->of.variant.payload, pt, depth + 1);
    }
    put(w, ")");
    return;
  }
  case CM_FLAGS:
    put(w, "(flags.const");
    for (uint32_t i = 0; i < v->of.flags.nlabels; i++) {
      if (!v->of.flags.words || !(v->of.flags.words[i / 32] >> (i % 32) & 1)) continue;
      if (t && t->kind == CM_FLAGS && i < t->as.labels.n) {
        put(w, " ");
        put_str(w, t->as.labels.names[i], strlen(t->as.labels.names[i]));
      } else {
        put(w, " #%u", i);
      }
    }
    put(w, ")");
    return;
  case CM_OWN: put(w, "(own %u)", v->of.handle); return;
  case CM_BORROW: put(w, "(borrow %u)", v->of.handle); return;
  default: put(w, "(value)"); return;
  }
}

size_t cm_value_to_text(const cm_val *v, const cm_type *t, char *buf, size_t size) {
  vw w = {buf, size, 0};
  if (size) buf[0] = 0;
  write_val(&w, v, t, 0);
  if (size) buf[w.len < size ? w.len : size - 1] = 0;
  return w.len;
}
