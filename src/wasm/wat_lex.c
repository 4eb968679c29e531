/* wat_lex.c: the tokenizer of the text format, string literals and the
 * conversion of numeric literals (spec 6.3: lexical format, 6.4: values). */
#include "wat_lex.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wasm_module.h"

/* ---- tokens ---- */

static bool is_idchar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
    return true;
  return c != 0 && strchr("!#$%&'*+-./:<=>?@\\^_`|~", c) != NULL;
}

static int hexval(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Length of the UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_seq(const uint8_t *s, size_t n) {
  uint8_t c = s[0];
  if (c < 0x80) return 1;
  size_t len;
  uint32_t cp, min;
  if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1F, min = 0x80;
  else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0F, min = 0x800;
  else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07, min = 0x10000;
  else return 0;
  if (len > n) return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000)) return 0;
  return len;
}

bool wat_utf8_valid(const uint8_t *s, size_t len) {
  size_t i = 0;
  while (i < len) {
    size_t k = utf8_seq(s + i, len - i);
    if (!k) return false;
    i += k;
  }
  return true;
}

typedef struct lexer {
  const char *p, *end;
  uint32_t line;
  const char *line_start;
  wasm_error *err;
} lexer;

static wasm_status lex_fail(lexer *lx, const char *at, const char *msg) {
  /* Column of `at` on the current line (at is never before line_start). */
  return wasm_fail(lx->err, WASM_MALFORMED, "%u:%u: %s", lx->line,
                   (unsigned)(at - lx->line_start) + 1, msg);
}

static void lex_newline(lexer *lx, const char *after) {
  lx->line++;
  lx->line_start = after;
}

/* Skips a string starting at the quote; checks its escapes and text. */
static wasm_status lex_string(lexer *lx) {
  const char *q = lx->p + 1;
  while (q < lx->end && *q != '"') {
    unsigned char c = (unsigned char)*q;
    if (c == '\n') return lex_fail(lx, q, "newline in string");
    if (c < 0x20 || c == 0x7F) return lex_fail(lx, q, "illegal character in string");
    if (c == '\\') {
      if (q + 1 >= lx->end) break;
      char e = q[1];
      if (strchr("tnr\"'\\", e)) {
        q += 2;
      } else if (e == 'u') {
        const char *s = q + 2;
        if (s >= lx->end || *s != '{') return lex_fail(lx, q, "malformed escape");
        s++;
        uint32_t cp = 0;
        int nd = 0;
        bool under_ok = false;
        while (s < lx->end && *s != '}') {
          if (*s == '_' && under_ok) { under_ok = false; s++; continue; }
          int h = hexval((unsigned char)*s);
          if (h < 0) return lex_fail(lx, q, "malformed escape");
          if (cp > 0x10FFFF) cp = 0x110000;
          else cp = cp * 16 + (uint32_t)h;
          nd++;
          under_ok = true;
          s++;
        }
        if (s >= lx->end || nd == 0 || !under_ok) return lex_fail(lx, q, "malformed escape");
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000))
          return lex_fail(lx, q, "malformed escape");
        q = s + 1;
      } else if (hexval((unsigned char)e) >= 0 && q + 2 < lx->end &&
                 hexval((unsigned char)q[2]) >= 0) {
        q += 3;
      } else {
        return lex_fail(lx, q, "illegal escape");
      }
    } else if (c >= 0x80) {
      size_t k = utf8_seq((const uint8_t *)q, (size_t)(lx->end - q));
      if (!k) return lex_fail(lx, q, "malformed UTF-8 encoding");
      q += k;
    } else {
      q++;
    }
  }
  if (q >= lx->end) return lex_fail(lx, lx->p, "unexpected end of input in string");
  lx->p = q + 1;
  return WASM_OK;
}

static wasm_status lex_block_comment(lexer *lx) {
  const char *start = lx->p;
  int depth = 0;
  while (lx->p < lx->end) {
    if (lx->p + 1 < lx->end && lx->p[0] == '(' && lx->p[1] == ';') {
      depth++;
      lx->p += 2;
    } else if (lx->p + 1 < lx->end && lx->p[0] == ';' && lx->p[1] == ')') {
      lx->p += 2;
      if (--depth == 0) return WASM_OK;
    } else {
      if (*lx->p == '\n') lex_newline(lx, lx->p + 1);
      lx->p++;
    }
  }
  lx->p = start;
  return lex_fail(lx, start, "unexpected end of input in block comment");
}

typedef struct tokvec {
  wat_token *t;
  size_t n, cap;
} tokvec;

static bool tok_push(tokvec *v, wat_token tok) {
  if (v->n == v->cap) {
    size_t cap = v->cap ? v->cap * 2 : 256;
    wat_token *t = realloc(v->t, cap * sizeof *t);
    if (!t) return false;
    v->t = t;
    v->cap = cap;
  }
  v->t[v->n++] = tok;
  return true;
}

wasm_status wat_lex(const char *text, size_t len, wat_token **out, size_t *ntok,
                    wasm_error *err) {
  lexer lx = {text, text + len, 1, text, err};
  tokvec v = {0};
  uint32_t *stack = NULL;
  size_t depth = 0, stack_cap = 0;
  wasm_status st = WASM_OK;
  while (st == WASM_OK) {
    const char *p = lx.p;
    if (p >= lx.end) break;
    unsigned char c = (unsigned char)*p;
    if (c == ' ' || c == '\t' || c == '\r') { lx.p++; continue; }
    if (c == '\n') { lx.p++; lex_newline(&lx, lx.p); continue; }
    if (c == ';' && p + 1 < lx.end && p[1] == ';') {
      /* A line comment ends at LF or CR (spec: newline is either). */
      while (lx.p < lx.end && *lx.p != '\n' && *lx.p != '\r') lx.p++;
      continue;
    }
    if (c == '(' && p + 1 < lx.end && p[1] == ';') {
      st = lex_block_comment(&lx);
      continue;
    }
    wat_token tok = {0};
    tok.line = lx.line;
    tok.col = (uint32_t)(p - lx.line_start) + 1;
    tok.p = p;
    if (c == '(' || c == ')') {
      lx.p++;
      tok.kind = c == '(' ? WT_LPAR : WT_RPAR;
      tok.len = 1;
      if (c == '(') {
        if (depth == stack_cap) {
          size_t cap = stack_cap ? stack_cap * 2 : 64;
          uint32_t *s = realloc(stack, cap * sizeof *s);
          if (!s) { st = wasm_fail(err, WASM_NOMEM, "out of memory"); break; }
          stack = s;
          stack_cap = cap;
        }
        stack[depth++] = (uint32_t)v.n;
      } else {
        if (depth == 0) { st = lex_fail(&lx, p, "unexpected token \")\""); break; }
        v.t[stack[--depth]].match = (uint32_t)v.n;
      }
    } else if (c == '"' || is_idchar(c)) {
      /* A run of idchars and strings with nothing between them is one
       * token; unless it is a single piece it is reserved (an error). */
      int pieces = 0;
      bool is_string = false;
      while (st == WASM_OK && lx.p < lx.end &&
             (*lx.p == '"' || is_idchar((unsigned char)*lx.p))) {
        if (*lx.p == '"') {
          st = lex_string(&lx);
          is_string = true;
        } else {
          while (lx.p < lx.end && is_idchar((unsigned char)*lx.p)) lx.p++;
          is_string = false;
        }
        pieces++;
      }
      if (st != WASM_OK) break;
      tok.len = (uint32_t)(lx.p - p);
      if (pieces > 1) tok.kind = WT_RESERVED;
      else if (is_string) tok.kind = WT_STRING;
      else if (c == '$' && tok.len > 1) tok.kind = WT_ID;
      else if (c >= 'a' && c <= 'z') tok.kind = WT_KEYWORD;
      else if ((c >= '0' && c <= '9') || c == '+' || c == '-') tok.kind = WT_NUM;
      else tok.kind = WT_RESERVED;
    } else {
      /* Characters no token may contain: one reserved token up to the next
       * separator. */
      lx.p++;
      while (lx.p < lx.end && *lx.p && !strchr(" \t\r\n()", *lx.p)) lx.p++;
      tok.kind = WT_RESERVED;
      tok.len = (uint32_t)(lx.p - p);
    }
    if (!tok_push(&v, tok)) { st = wasm_fail(err, WASM_NOMEM, "out of memory"); break; }
  }
  if (st == WASM_OK && depth > 0) {
    wat_token *open = &v.t[stack[depth - 1]];
    st = wasm_fail(err, WASM_MALFORMED, "%u:%u: unexpected end of input (unclosed \"(\")",
                   open->line, open->col);
  }
  if (st == WASM_OK) {
    wat_token eof = {WT_EOF, lx.line, (uint32_t)(lx.p - lx.line_start) + 1, lx.p, 0, 0};
    if (!tok_push(&v, eof)) st = wasm_fail(err, WASM_NOMEM, "out of memory");
  }
  free(stack);
  if (st != WASM_OK) {
    free(v.t);
    return st;
  }
  *out = v.t;
  *ntok = v.n;
  return WASM_OK;
}

size_t wat_string_decode(const wat_token *t, uint8_t *out) {
  size_t n = 0;
  const char *q = t->p + 1, *end = t->p + t->len - 1;
  while (q < end) {
    if (*q != '\\') { out[n++] = (uint8_t)*q++; continue; }
    char e = q[1];
    switch (e) {
    case 't': out[n++] = '\t'; q += 2; break;
    case 'n': out[n++] = '\n'; q += 2; break;
    case 'r': out[n++] = '\r'; q += 2; break;
    case '"': case '\'': case '\\': out[n++] = (uint8_t)e; q += 2; break;
    case 'u': {
      uint32_t cp = 0;
      q += 3;
      while (*q != '}') {
        if (*q != '_') cp = cp * 16 + (uint32_t)hexval((unsigned char)*q);
        q++;
      }
      q++;
      if (cp < 0x80) out[n++] = (uint8_t)cp;
      else if (cp < 0x800) {
        out[n++] = (uint8_t)(0xC0 | (cp >> 6));
        out[n++] = (uint8_t)(0x80 | (cp & 0x3F));
      } else if (cp < 0x10000) {
        out[n++] = (uint8_t)(0xE0 | (cp >> 12));
        out[n++] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[n++] = (uint8_t)(0x80 | (cp & 0x3F));
      } else {
        out[n++] = (uint8_t)(0xF0 | (cp >> 18));
        out[n++] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
        out[n++] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[n++] = (uint8_t)(0x80 | (cp & 0x3F));
      }
      break;
    }
    default:
      out[n++] = (uint8_t)(hexval((unsigned char)q[1]) * 16 + hexval((unsigned char)q[2]));
      q += 3;
    }
  }
  return n;
}

/* ---- numbers ---- */

/* Scans digit ('_'? digit)* from p; appends the digits to buf (if not NULL)
 * and returns the end, or NULL if there is not one digit or an underscore
 * is misplaced. */
static const char *scan_digits(const char *p, const char *end, bool hex,
                               char *buf, size_t *bn) {
  const char *s = p;
  bool need_digit = true;
  while (p < end) {
    unsigned char c = (unsigned char)*p;
    bool dig = hex ? hexval(c) >= 0 : (c >= '0' && c <= '9');
    if (dig) {
      if (buf) buf[(*bn)++] = (char)c;
      need_digit = false;
    } else if (c == '_' && !need_digit) {
      need_digit = true;
    } else {
      break;
    }
    p++;
  }
  if (p == s || need_digit) return NULL;
  return p;
}

/* Unsigned magnitude of digits (decimal or 0x-hex), saturating: *ovf is set
 * when it does not fit in 64 bits. */
static int scan_uint(const char *p, size_t len, uint64_t *out, bool *ovf) {
  const char *end = p + len;
  bool hex = len > 2 && p[0] == '0' && (p[1] == 'x');
  if (hex) p += 2;
  const char *e = scan_digits(p, end, hex, NULL, NULL);
  if (!e || e != end) return -1;
  uint64_t v = 0;
  *ovf = false;
  unsigned base = hex ? 16 : 10;
  for (; p < end; p++) {
    if (*p == '_') continue;
    uint64_t d = (uint64_t)hexval((unsigned char)*p);
    if (v > (UINT64_MAX - d) / base) *ovf = true;
    v = v * base + d;
  }
  *out = v;
  return 0;
}

int wat_num_u64(const char *p, size_t len, uint64_t *out) {
  bool ovf;
  if (len == 0 || p[0] < '0' || p[0] > '9') return -1;
  if (scan_uint(p, len, out, &ovf)) return -1;
  return ovf ? -2 : 0;
}

int wat_num_u32(const char *p, size_t len, uint32_t *out) {
  uint64_t v;
  int r = wat_num_u64(p, len, &v);
  if (r) return r;
  if (v > UINT32_MAX) return -2;
  *out = (uint32_t)v;
  return 0;
}

int wat_num_int(const char *p, size_t len, int bits, uint64_t *out) {
  char sign = 0;
  if (len && (p[0] == '+' || p[0] == '-')) sign = p[0], p++, len--;
  uint64_t mag;
  bool ovf;
  if (len == 0 || p[0] < '0' || p[0] > '9') return -1;
  if (scan_uint(p, len, &mag, &ovf)) return -1;
  if (ovf) return -2;
  uint64_t umax = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
  uint64_t smin = UINT64_C(1) << (bits - 1);
  if (sign == '-') {
    if (mag > smin) return -2;
    mag = (uint64_t)0 - mag;
  } else if (mag > umax) {
    return -2;
  }
  *out = bits == 64 ? mag : (mag & umax);
  return 0;
}

/* Checks a float literal's syntax and copies it without underscores into
 * buf (room for len+1). Returns 0 for a finite/inf number, 1 for nan
 * (payload in *payload, 0 for a plain nan), -1 if malformed, -2 if a nan
 * payload overflows. *neg is the sign. */
static int scan_float(const char *p, size_t len, char *buf, bool *neg,
                      uint64_t *payload) {
  const char *end = p + len;
  size_t bn = 0;
  *neg = false;
  if (p < end && (*p == '+' || *p == '-')) {
    *neg = *p == '-';
    buf[bn++] = *p++;
  }
  size_t rest = (size_t)(end - p);
  if (rest == 3 && memcmp(p, "inf", 3) == 0) {
    memcpy(buf + bn, "inf", 4);
    return 0;
  }
  if (rest == 3 && memcmp(p, "nan", 3) == 0) {
    *payload = 0;
    return 1;
  }
  if (rest > 6 && memcmp(p, "nan:0x", 6) == 0) {
    bool ovf;
    if (scan_uint(p + 4, rest - 4, payload, &ovf)) return -1;
    return ovf || *payload == 0 ? -2 : 1; /* a payload of 0 would be inf */
  }
  bool hex = rest > 2 && p[0] == '0' && p[1] == 'x';
  if (hex) {
    buf[bn++] = '0';
    buf[bn++] = 'x';
    p += 2;
  }
  if (p >= end || !(hex ? hexval((unsigned char)*p) >= 0 : (*p >= '0' && *p <= '9')))
    return -1;
  p = scan_digits(p, end, hex, buf, &bn);
  if (!p) return -1;
  if (p < end && *p == '.') {
    buf[bn++] = *p++;
    if (p < end && (hex ? hexval((unsigned char)*p) >= 0 : (*p >= '0' && *p <= '9'))) {
      p = scan_digits(p, end, hex, buf, &bn);
      if (!p) return -1;
    }
  }
  if (p < end && (hex ? (*p == 'p' || *p == 'P') : (*p == 'e' || *p == 'E'))) {
    buf[bn++] = *p++;
    if (p < end && (*p == '+' || *p == '-')) buf[bn++] = *p++;
    p = scan_digits(p, end, false, buf, &bn);
    if (!p) return -1;
  }
  if (p != end) return -1;
  if (hex && !memchr(buf, 'p', bn) && !memchr(buf, 'P', bn)) buf[bn++] = 'p', buf[bn++] = '0';
  buf[bn] = 0;
  return 0;
}

/* Parses a float literal of the given width (32 or 64) into its bits:
 * decimal and hex literals round to nearest (strtof rounds directly to
 * single precision, so f32 never goes through a double), inf, and nan with
 * an optional payload (default: the quiet bit only). */
static int num_float(const char *p, size_t len, int width, uint64_t *out) {
  char small[128];
  char *buf = len + 4 <= sizeof small ? small : malloc(len + 4);
  if (!buf) return -1;
  bool neg;
  uint64_t payload = 0;
  int r = scan_float(p, len, buf, &neg, &payload);
  if (r == 0) {
    bool lit_inf = strstr(buf, "inf") != NULL;
    if (width == 32) {
      float f = strtof(buf, NULL);
      uint32_t u;
      memcpy(&u, &f, 4);
      if (isinf(f) && !lit_inf) r = -2;
      else *out = u;
    } else {
      double d = strtod(buf, NULL);
      if (isinf(d) && !lit_inf) r = -2;
      else memcpy(out, &d, 8);
    }
  } else if (r == 1) {
    int mant_bits = width == 32 ? 23 : 52;
    uint64_t mant = (UINT64_C(1) << mant_bits) - 1;
    uint64_t exp = width == 32 ? 0xFF : 0x7FF;
    if (payload == 0) payload = UINT64_C(1) << (mant_bits - 1);
    if (payload > mant) r = -2;
    else *out = (neg ? UINT64_C(1) << (width - 1) : 0) | (exp << mant_bits) | payload, r = 0;
  }
  if (buf != small) free(buf);
  return r;
}

int wat_num_f32(const char *p, size_t len, uint32_t *out) {
  uint64_t bits;
  int r = num_float(p, len, 32, &bits);
  if (r == 0) *out = (uint32_t)bits;
  return r;
}

int wat_num_f64(const char *p, size_t len, uint64_t *out) {
  return num_float(p, len, 64, out);
}
