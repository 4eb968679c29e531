/* json.c: generates a JSON document, parses it into a tree, serializes the
 * tree, parses the output again and checks the second serialization is
 * identical. Numbers are kept as decimal (mantissa, exponent) pairs so the
 * round trip is exact without any float conversion. */
#include "../bench.h"

const char bench_name[] = "json";

#ifndef JSON_RECORDS
#define JSON_RECORDS 36000
#endif
#ifndef JSON_ROUNDS
#define JSON_ROUNDS 3
#endif

/* ---- growable text buffer ---- */

typedef struct text { char *p; size_t len, cap; } text;

static void text_reserve(text *t, size_t extra) {
  if (t->len + extra <= t->cap) return;
  size_t cap = t->cap ? t->cap : 16;
  while (cap < t->len + extra) cap *= 2;
  char *np = bench_alloc(cap);
  bench_memcpy(np, t->p, t->len);
  bench_free(t->p);
  t->p = np;
  t->cap = cap;
}
static void text_putc(text *t, char c) {
  text_reserve(t, 1);
  t->p[t->len++] = c;
}
static void text_puts(text *t, const char *s) {
  while (*s) text_putc(t, *s++);
}
static void text_int(text *t, int64_t v) {
  char tmp[24];
  int n = 0;
  uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  do {
    tmp[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) text_putc(t, '-');
  while (n) text_putc(t, tmp[--n]);
}

/* ---- the tree ---- */

typedef enum { J_NULL, J_FALSE, J_TRUE, J_NUM, J_STR, J_ARR, J_OBJ } jkind;

typedef struct jval {
  jkind kind;
  int32_t exp;      /* J_NUM: value = mant * 10^exp */
  int64_t mant;
  char *str;        /* J_STR: bytes (UTF-8); J_OBJ: unused */
  size_t len;       /* J_STR: bytes; J_ARR/J_OBJ: items */
  struct jval *items;
  char **keys;      /* J_OBJ */
  size_t *key_lens;
} jval;

static void jfree(jval *v) {
  if (v->kind == J_STR) bench_free(v->str);
  if (v->kind == J_ARR || v->kind == J_OBJ) {
    for (size_t i = 0; i < v->len; i++) {
      jfree(&v->items[i]);
      if (v->kind == J_OBJ) bench_free(v->keys[i]);
    }
    bench_free(v->items);
    if (v->kind == J_OBJ) {
      bench_free(v->keys);
      bench_free(v->key_lens);
    }
  }
}

/* ---- parser ---- */

typedef struct parser { const char *p, *end; int err; } parser;

static void skip_ws(parser *ps) {
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\t' || *ps->p == '\r'))
    ps->p++;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static void put_utf8(text *t, uint32_t cp) {
  if (cp < 0x80) {
    text_putc(t, (char)cp);
  } else if (cp < 0x800) {
    text_putc(t, (char)(0xC0 | cp >> 6));
    text_putc(t, (char)(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    text_putc(t, (char)(0xE0 | cp >> 12));
    text_putc(t, (char)(0x80 | ((cp >> 6) & 0x3F)));
    text_putc(t, (char)(0x80 | (cp & 0x3F)));
  } else {
    text_putc(t, (char)(0xF0 | cp >> 18));
    text_putc(t, (char)(0x80 | ((cp >> 12) & 0x3F)));
    text_putc(t, (char)(0x80 | ((cp >> 6) & 0x3F)));
    text_putc(t, (char)(0x80 | (cp & 0x3F)));
  }
}

/* Parses a string literal (at the opening quote) into *out. */
static void parse_string(parser *ps, char **out, size_t *len) {
  text t = {0};
  ps->p++;
  while (ps->p < ps->end && *ps->p != '"') {
    char c = *ps->p++;
    if (c != '\\') {
      text_putc(&t, c);
      continue;
    }
    if (ps->p >= ps->end) break;
    c = *ps->p++;
    switch (c) {
    case 'n': text_putc(&t, '\n'); break;
    case 't': text_putc(&t, '\t'); break;
    case 'r': text_putc(&t, '\r'); break;
    case 'b': text_putc(&t, '\b'); break;
    case 'f': text_putc(&t, '\f'); break;
    case 'u': {
      uint32_t cp = 0;
      for (int k = 0; k < 4; k++) {
        int hv = ps->p < ps->end ? hexval(*ps->p++) : -1;
        if (hv < 0) ps->err = 1;
        cp = cp << 4 | (uint32_t)(hv & 15);
      }
      put_utf8(&t, cp);
      break;
    }
    default: text_putc(&t, c); break; /* \" \\ \/ */
    }
  }
  if (ps->p >= ps->end) ps->err = 1;
  else ps->p++;
  *out = t.p;
  *len = t.len;
}

static void parse_value(parser *ps, jval *v, int depth);

/* Parses "[...]" or "{...}" into v; items grow by doubling. */
static void parse_container(parser *ps, jval *v, int depth, int is_obj) {
  size_t cap = 4;
  v->kind = is_obj ? J_OBJ : J_ARR;
  v->len = 0;
  v->items = bench_alloc(cap * sizeof(jval));
  if (is_obj) {
    v->keys = bench_alloc(cap * sizeof(char *));
    v->key_lens = bench_alloc(cap * sizeof(size_t));
  }
  char close = is_obj ? '}' : ']';
  ps->p++;
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == close) {
    ps->p++;
    return;
  }
  while (!ps->err) {
    if (v->len == cap) {
      jval *ni = bench_alloc(2 * cap * sizeof(jval));
      bench_memcpy(ni, v->items, cap * sizeof(jval));
      bench_free(v->items);
      v->items = ni;
      if (is_obj) {
        char **nk = bench_alloc(2 * cap * sizeof(char *));
        size_t *nl = bench_alloc(2 * cap * sizeof(size_t));
        bench_memcpy(nk, v->keys, cap * sizeof(char *));
        bench_memcpy(nl, v->key_lens, cap * sizeof(size_t));
        bench_free(v->keys);
        bench_free(v->key_lens);
        v->keys = nk;
        v->key_lens = nl;
      }
      cap *= 2;
    }
    skip_ws(ps);
    if (is_obj) {
      if (ps->p >= ps->end || *ps->p != '"') {
        ps->err = 1;
        break;
      }
      parse_string(ps, &v->keys[v->len], &v->key_lens[v->len]);
      skip_ws(ps);
      if (ps->p >= ps->end || *ps->p != ':') {
        bench_free(v->keys[v->len]);
        ps->err = 1;
        break;
      }
      ps->p++;
    }
    parse_value(ps, &v->items[v->len], depth + 1);
    v->len++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ',') {
      ps->p++;
      continue;
    }
    if (ps->p < ps->end && *ps->p == close) {
      ps->p++;
      break;
    }
    ps->err = 1;
  }
}

static void parse_number(parser *ps, jval *v) {
  int neg = 0, exp = 0;
  int64_t mant = 0;
  v->kind = J_NUM;
  if (*ps->p == '-') {
    neg = 1;
    ps->p++;
  }
  while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') mant = mant * 10 + (*ps->p++ - '0');
  if (ps->p < ps->end && *ps->p == '.') {
    ps->p++;
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
      mant = mant * 10 + (*ps->p++ - '0');
      exp--;
    }
  }
  if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
    int eneg = 0, e = 0;
    ps->p++;
    if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-')) eneg = *ps->p++ == '-';
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') e = e * 10 + (*ps->p++ - '0');
    exp += eneg ? -e : e;
  }
  /* Canonical form: no trailing zeros in the mantissa. */
  while (mant != 0 && mant % 10 == 0) {
    mant /= 10;
    exp++;
  }
  v->mant = neg ? -mant : mant;
  v->exp = mant == 0 ? 0 : exp;
}

static int match_word(parser *ps, const char *w) {
  const char *p = ps->p;
  for (; *w; w++, p++)
    if (p >= ps->end || *p != *w) return 0;
  ps->p = p;
  return 1;
}

static void parse_value(parser *ps, jval *v, int depth) {
  v->kind = J_NULL;
  skip_ws(ps);
  if (ps->p >= ps->end || depth > 200) {
    ps->err = 1;
    return;
  }
  char c = *ps->p;
  if (c == '{' || c == '[') parse_container(ps, v, depth, c == '{');
  else if (c == '"') {
    v->kind = J_STR;
    parse_string(ps, &v->str, &v->len);
  } else if (c == '-' || (c >= '0' && c <= '9')) parse_number(ps, v);
  else if (match_word(ps, "true")) v->kind = J_TRUE;
  else if (match_word(ps, "false")) v->kind = J_FALSE;
  else if (!match_word(ps, "null")) ps->err = 1;
}

/* ---- serializer ---- */

static void emit_string(text *t, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  text_putc(t, '"');
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      text_putc(t, '\\');
      text_putc(t, (char)c);
    } else if (c == '\n') {
      text_puts(t, "\\n");
    } else if (c == '\t') {
      text_puts(t, "\\t");
    } else if (c < 0x20) {
      text_puts(t, "\\u00");
      text_putc(t, hex[c >> 4]);
      text_putc(t, hex[c & 15]);
    } else {
      text_putc(t, (char)c);
    }
  }
  text_putc(t, '"');
}

static void emit(text *t, const jval *v) {
  switch (v->kind) {
  case J_NULL: text_puts(t, "null"); break;
  case J_FALSE: text_puts(t, "false"); break;
  case J_TRUE: text_puts(t, "true"); break;
  case J_NUM:
    text_int(t, v->mant);
    if (v->exp) {
      text_putc(t, 'e');
      text_int(t, v->exp);
    }
    break;
  case J_STR: emit_string(t, v->str, v->len); break;
  case J_ARR:
  case J_OBJ:
    text_putc(t, v->kind == J_OBJ ? '{' : '[');
    for (size_t i = 0; i < v->len; i++) {
      if (i) text_putc(t, ',');
      if (v->kind == J_OBJ) {
        emit_string(t, v->keys[i], v->key_lens[i]);
        text_putc(t, ':');
      }
      emit(t, &v->items[i]);
    }
    text_putc(t, v->kind == J_OBJ ? '}' : ']');
    break;
  }
}

/* ---- generator: pretty-printed records with escapes and mixed numbers ---- */

static const char *const names[] = {"alpha", "beta", "gamma", "delta \"q\"", "eps\\ilon",
                                    "z\u00e9ta", "eta\n", "theta\t", "iota", "kappa"};

static void gen_value(text *t, bench_rng *r, int depth) {
  uint64_t v = bench_rand(r);
  int pick = depth > 3 ? (int)(v % 5) : (int)(v % 7);
  switch (pick) {
  case 0: text_int(t, (int64_t)(v >> 40) - (1 << 23)); break;
  case 1:
    text_int(t, (int64_t)(v >> 50));
    text_putc(t, '.');
    text_int(t, (int64_t)((v >> 20) % 1000));
    text_puts(t, (v & 1) ? "E+3" : "e-2");
    break;
  case 2: {
    const char *s = names[(v >> 8) % 10];
    size_t n = 0;
    while (s[n]) n++;
    emit_string(t, s, n);
    break;
  }
  case 3: text_puts(t, (v >> 9) & 1 ? "true" : "false"); break;
  case 4: text_puts(t, "null"); break;
  case 5:
    text_puts(t, "[ ");
    for (int i = 0, n = (int)((v >> 16) % 6); i < n; i++) {
      if (i) text_puts(t, ", ");
      gen_value(t, r, depth + 1);
    }
    text_puts(t, " ]");
    break;
  default:
    text_puts(t, "{\n");
    for (int i = 0, n = (int)((v >> 16) % 5); i < n; i++) {
      if (i) text_puts(t, ",\n");
      text_puts(t, "  \"k");
      text_int(t, i);
      text_puts(t, "\\u0041\" : ");
      gen_value(t, r, depth + 1);
    }
    text_puts(t, "\n}");
    break;
  }
}

static void generate(text *t, int records, uint64_t seed) {
  bench_rng r = {seed};
  text_puts(t, "[\n");
  for (int i = 0; i < records; i++) {
    if (i) text_puts(t, ",\n");
    text_puts(t, " {\"id\": ");
    text_int(t, i);
    text_puts(t, ", \"payload\": ");
    gen_value(t, &r, 0);
    text_puts(t, ", \"tags\": [\"x\", \"y\\/z\", 12.50, -0.0]}");
  }
  text_puts(t, "\n]\n");
}

static uint64_t hash_text(const text *t) {
  uint64_t h = BENCH_HASH_INIT;
  for (size_t i = 0; i < t->len; i++) h = (h ^ (uint8_t)t->p[i]) * 0x100000001b3ULL;
  return h;
}

uint64_t bench_run(void) {
  uint64_t h = BENCH_HASH_INIT;
  for (int round = 0; round < JSON_ROUNDS; round++) {
    text src = {0}, out1 = {0}, out2 = {0};
    generate(&src, JSON_RECORDS, 1000 + (uint64_t)round);
    jval v1, v2;
    parser p1 = {src.p, src.p + src.len, 0};
    parse_value(&p1, &v1, 0);
    emit(&out1, &v1);
    parser p2 = {out1.p, out1.p + out1.len, 0};
    parse_value(&p2, &v2, 0);
    emit(&out2, &v2);
    int same = out1.len == out2.len && bench_memcmp(out1.p, out2.p, out1.len) == 0;
    h = bench_mix(h, src.len);
    h = bench_mix(h, out1.len);
    h = bench_mix(h, hash_text(&out1));
    h = bench_mix(h, (uint64_t)(same && !p1.err && !p2.err));
    jfree(&v1);
    jfree(&v2);
    bench_free(src.p);
    bench_free(out1.p);
    bench_free(out2.p);
  }
  return h;
}
