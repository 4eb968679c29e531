/* wast_parse.c: spec test scripts (.wast) into a list of commands.
 *
 * Modules are not compiled here: text modules keep their source span and
 * quote/binary modules their decoded strings, so a malformed module fails
 * when the runner reaches it. Forms this engine does not implement (GC
 * values, threads, ...) become WAST_CMD_UNSUPPORTED commands or
 * WAST_UNSUPPORTED values instead of failing the whole script. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wat_lex.h"
#include "wasm_module.h"

typedef struct wast_parser {
  const wat_token *t;
  size_t ntok, pos;
  char errmsg[WASM_ERROR_MAX]; /* why the current command failed */
} wast_parser;

/* A failure inside one command: recorded, the command becomes
 * WAST_CMD_UNSUPPORTED. */
typedef enum { P_OK = 0, P_FAIL = 1, P_NOMEM = 2 } pstatus;

static pstatus pfail(wast_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static pstatus pfail(wast_parser *p, const char *fmt, ...) {
  const wat_token *t = &p->t[p->pos < p->ntok ? p->pos : p->ntok - 1];
  char msg[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  snprintf(p->errmsg, sizeof p->errmsg, "%u:%u: %s", t->line, t->col, msg);
  return P_FAIL;
}

static const wat_token *peek(const wast_parser *p) { return &p->t[p->pos]; }
static const wat_token *peek2(const wast_parser *p) {
  return p->pos + 1 < p->ntok ? &p->t[p->pos + 1] : &p->t[p->ntok - 1];
}
static bool at_paren_kw(const wast_parser *p, const char *kw) {
  return peek(p)->kind == WT_LPAR && wat_tok_is(peek2(p), kw);
}
static pstatus expect_rpar(wast_parser *p) {
  if (peek(p)->kind != WT_RPAR) return pfail(p, "unexpected token, expected \")\"");
  p->pos++;
  return P_OK;
}

static char *dup_tok(const wat_token *t) { return strndup(t->p, t->len); }

/* A string literal, decoded and NUL-terminated. */
static pstatus string_lit(wast_parser *p, char **out, size_t *len) {
  const wat_token *t = peek(p);
  if (t->kind != WT_STRING) return pfail(p, "expected a string");
  char *b = malloc(t->len + 1);
  if (!b) return P_NOMEM;
  size_t n = wat_string_decode(t, (uint8_t *)b);
  b[n] = 0;
  if (len) *len = n;
  *out = b;
  p->pos++;
  return P_OK;
}

/* ---- modules ---- */

static pstatus module_src(wast_parser *p, wast_module_src *m) {
  const wat_token *open = peek(p);
  m->component = wat_tok_is(peek2(p), "component");
  size_t close = open->match;
  p->pos += 2;
  if (wat_tok_is(peek(p), "definition")) {
    m->definition = true;
    p->pos++;
  }
  if (peek(p)->kind == WT_ID) {
    if (!(m->name = dup_tok(peek(p)))) return P_NOMEM;
    p->pos++;
  }
  bool binary = wat_tok_is(peek(p), "binary"), quote = wat_tok_is(peek(p), "quote");
  if (binary || quote) {
    p->pos++;
    m->form = binary ? WAST_MODULE_BINARY : WAST_MODULE_QUOTE;
    size_t total = 0;
    for (size_t i = p->pos; p->t[i].kind == WT_STRING; i++) total += p->t[i].len;
    if (!(m->bytes = malloc(total + 1))) return P_NOMEM;
    m->len = 0;
    while (peek(p)->kind == WT_STRING) {
      m->len += wat_string_decode(peek(p), m->bytes + m->len);
      p->pos++;
    }
    m->bytes[m->len] = 0;
    if (p->pos != close) return pfail(p, "unexpected token in module");
  } else {
    m->form = WAST_MODULE_TEXT;
    const wat_token *end = &p->t[close];
    m->len = (size_t)(end->p + end->len - open->p);
    if (!(m->bytes = malloc(m->len + 1))) return P_NOMEM;
    memcpy(m->bytes, open->p, m->len);
    m->bytes[m->len] = 0;
  }
  p->pos = close + 1;
  return P_OK;
}

/* ---- values ---- */

static pstatus int_arg(wast_parser *p, int bits, uint64_t *v) {
  const wat_token *t = peek(p);
  if (t->kind != WT_NUM || wat_num_int(t->p, t->len, bits, v)) return pfail(p, "bad integer");
  p->pos++;
  return P_OK;
}

/* A float lane or value; nan:canonical / nan:arithmetic give a pattern. */
static pstatus float_arg(wast_parser *p, int bits, uint64_t *v, uint8_t *pattern) {
  const wat_token *t = peek(p);
  *pattern = WAST_EXACT;
  if (wat_tok_is(t, "nan:canonical") || wat_tok_is(t, "nan:arithmetic")) {
    *pattern = t->len == 13 ? WAST_NAN_CANONICAL : WAST_NAN_ARITHMETIC;
    *v = bits == 32 ? 0x7FC00000u : UINT64_C(0x7FF8000000000000);
    p->pos++;
    return P_OK;
  }
  if (t->kind != WT_NUM && t->kind != WT_KEYWORD) return pfail(p, "bad float");
  int r;
  if (bits == 32) {
    uint32_t f;
    r = wat_num_f32(t->p, t->len, &f);
    *v = f;
  } else {
    r = wat_num_f64(t->p, t->len, v);
  }
  if (r) return pfail(p, "bad float");
  p->pos++;
  return P_OK;
}

static pstatus v128_arg(wast_parser *p, wast_value *out) {
  static const struct { const char *name; int lanes, bits; bool fl; } shapes[] = {
    {"i8x16", 16, 8, false}, {"i16x8", 8, 16, false}, {"i32x4", 4, 32, false},
    {"i64x2", 2, 64, false}, {"f32x4", 4, 32, true}, {"f64x2", 2, 64, true},
  };
  const wat_token *t = peek(p);
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    if (!wat_tok_is(t, shapes[s].name)) continue;
    p->pos++;
    out->val.kind = WASM_V128;
    out->pattern = WAST_EXACT;
    bool any_nan = false;
    int bytes = shapes[s].bits / 8;
    for (int i = 0; i < shapes[s].lanes; i++) {
      uint64_t v;
      uint8_t pat = WAST_EXACT;
      pstatus st = shapes[s].fl ? float_arg(p, shapes[s].bits, &v, &pat)
                                : int_arg(p, shapes[s].bits, &v);
      if (st) return st;
      for (int k = 0; k < bytes; k++) out->val.of.v128[i * bytes + k] = (uint8_t)(v >> (8 * k));
      if (shapes[s].fl) out->lane_pattern[i] = pat;
      if (pat != WAST_EXACT) any_nan = true;
    }
    if (any_nan) {
      out->pattern = WAST_V128_LANES;
      out->lane_shape = (uint8_t)shapes[s].lanes;
    }
    return P_OK;
  }
  return pfail(p, "bad v128 shape");
}

/* Component value forms (kept as text for the component layer). */
static bool component_value_kw(const wat_token *kw) {
  static const char *const kws[] = {
    "bool.const", "s8.const", "u8.const", "s16.const", "u16.const", "s32.const", "u32.const",
    "s64.const", "u64.const", "char.const", "str.const", "list.const", "tuple.const",
    "record.const", "variant.const", "enum.const", "flags.const", "option.some", "option.none",
    "result.ok", "result.err", "map.const", "own.const", "borrow.const",
  };
  for (size_t i = 0; i < sizeof kws / sizeof kws[0]; i++)
    if (wat_tok_is(kw, kws[i])) return true;
  return false;
}

/* One (const ...) value; unknown forms give WAST_UNSUPPORTED. */
static pstatus value(wast_parser *p, wast_value *out) {
  memset(out, 0, sizeof *out);
  if (peek(p)->kind != WT_LPAR) return pfail(p, "expected a value");
  size_t close = peek(p)->match;
  const wat_token *kw = peek2(p);
  {
    const wat_token *open = peek(p), *end = &p->t[close];
    out->text_len = (size_t)(end->p + end->len - open->p);
    if (!(out->text = strndup(open->p, out->text_len))) return P_NOMEM;
  }
  p->pos += 2;
  pstatus st = P_OK;
  uint64_t v;
  uint8_t pat;
  out->pattern = WAST_EXACT;
  if (wat_tok_is(kw, "i32.const")) {
    out->val.kind = WASM_I32;
    if (!(st = int_arg(p, 32, &v))) out->val.of.i32 = (int32_t)(uint32_t)v;
  } else if (wat_tok_is(kw, "i64.const")) {
    out->val.kind = WASM_I64;
    if (!(st = int_arg(p, 64, &v))) out->val.of.i64 = (int64_t)v;
  } else if (wat_tok_is(kw, "f32.const")) {
    out->val.kind = WASM_F32;
    if (!(st = float_arg(p, 32, &v, &pat))) out->val.of.f32 = (uint32_t)v, out->pattern = pat;
  } else if (wat_tok_is(kw, "f64.const")) {
    out->val.kind = WASM_F64;
    if (!(st = float_arg(p, 64, &v, &pat))) out->val.of.f64 = v, out->pattern = pat;
  } else if (wat_tok_is(kw, "v128.const")) {
    st = v128_arg(p, out);
  } else if (wat_tok_is(kw, "ref.null") && (wat_tok_is(peek(p), "func") || wat_tok_is(peek(p), "extern"))) {
    out->pattern = WAST_REF_NULL;
    out->val.kind = wat_tok_is(peek(p), "func") ? WASM_FUNCREF : WASM_EXTERNREF;
    p->pos++;
  } else if (wat_tok_is(kw, "ref.extern") && peek(p)->kind == WT_NUM) {
    out->pattern = WAST_REF_EXTERN;
    out->val.kind = WASM_EXTERNREF;
    uint32_t n;
    if (wat_num_u32(peek(p)->p, peek(p)->len, &n)) return pfail(p, "bad externref");
    out->val.of.ref = (void *)((uintptr_t)n + 1);
    p->pos++;
  } else if (wat_tok_is(kw, "ref.func")) {
    out->pattern = WAST_REF_FUNC;
    out->val.kind = WASM_FUNCREF;
    p->pos = close;
  } else if (component_value_kw(kw)) {
    out->pattern = WAST_UNSUPPORTED;
    out->component_form = true;
    p->pos = close;
  } else {
    out->pattern = WAST_UNSUPPORTED;
    p->pos = close;
  }
  if (st) return st;
  return expect_rpar(p);
}

/* ---- actions ---- */

static void values_free(wast_value *v, size_t n) {
  for (size_t i = 0; i < n; i++) free(v[i].text);
  free(v);
}

static void action_free(wast_action *a) {
  free(a->module);
  free(a->field);
  values_free(a->args, a->nargs);
  memset(a, 0, sizeof *a);
}

static pstatus grow_values(wast_value **v, size_t n) {
  if (n & (n - 1)) return P_OK; /* capacity doubles at powers of two */
  wast_value *q = realloc(*v, (n ? n * 2 : 1) * sizeof *q);
  if (!q) return P_NOMEM;
  *v = q;
  return P_OK;
}

static pstatus action(wast_parser *p, wast_action *a) {
  bool invoke = at_paren_kw(p, "invoke"), get = at_paren_kw(p, "get");
  if (!invoke && !get) return pfail(p, "unsupported action");
  size_t close = peek(p)->match;
  p->pos += 2;
  a->kind = invoke ? WAST_INVOKE : WAST_GET;
  pstatus st;
  if (peek(p)->kind == WT_ID) {
    if (!(a->module = dup_tok(peek(p)))) return P_NOMEM;
    p->pos++;
  }
  if ((st = string_lit(p, &a->field, &a->field_len))) return st;
  while (p->pos < close) {
    if ((st = grow_values(&a->args, a->nargs))) return st;
    st = value(p, &a->args[a->nargs]);
    a->nargs++; /* counted even on failure: its text is freed with the rest */
    if (st) return st;
  }
  return expect_rpar(p);
}

/* ---- commands ---- */

static void command_free(wast_command *c) {
  free(c->module.name);
  free(c->module.bytes);
  action_free(&c->action);
  values_free(c->expected, c->nexpected);
  free(c->message);
  free(c->name);
  free(c->name2);
}

static pstatus opt_message(wast_parser *p, wast_command *c) {
  if (peek(p)->kind != WT_STRING) return P_OK;
  return string_lit(p, &c->message, NULL);
}

static pstatus command(wast_parser *p, wast_command *c) {
  const wat_token *kw = peek2(p);
  size_t close = peek(p)->match;
  pstatus st;
  if (wat_tok_is(kw, "module") || wat_tok_is(kw, "component")) {
    if (wat_tok_is(&p->t[p->pos + 2], "instance")) {
      c->kind = WAST_CMD_MODULE_INSTANCE;
      c->module.component = wat_tok_is(kw, "component");
      p->pos += 3;
      if (peek(p)->kind == WT_ID && !(c->name = dup_tok(&p->t[p->pos++]))) return P_NOMEM;
      if (peek(p)->kind == WT_ID && !(c->name2 = dup_tok(&p->t[p->pos++]))) return P_NOMEM;
      return expect_rpar(p);
    }
    c->kind = WAST_CMD_MODULE;
    c->has_module = true;
    return module_src(p, &c->module);
  }
  if (wat_tok_is(kw, "register")) {
    c->kind = WAST_CMD_REGISTER;
    p->pos += 2;
    if ((st = string_lit(p, &c->name, NULL))) return st;
    if (peek(p)->kind == WT_ID && !(c->name2 = dup_tok(&p->t[p->pos++]))) return P_NOMEM;
    return expect_rpar(p);
  }
  if (wat_tok_is(kw, "invoke") || wat_tok_is(kw, "get")) {
    c->kind = WAST_CMD_ACTION;
    c->has_action = true;
    return action(p, &c->action);
  }
  static const struct { const char *kw; wast_command_kind kind; bool module; } asserts[] = {
    {"assert_malformed", WAST_CMD_ASSERT_MALFORMED, true},
    {"assert_invalid", WAST_CMD_ASSERT_INVALID, true},
    {"assert_unlinkable", WAST_CMD_ASSERT_UNLINKABLE, true},
    {"assert_uninstantiable", WAST_CMD_ASSERT_UNINSTANTIABLE, true},
    {"assert_trap", WAST_CMD_ASSERT_TRAP, false},
    {"assert_exhaustion", WAST_CMD_ASSERT_EXHAUSTION, false},
    {"assert_exception", WAST_CMD_ASSERT_EXCEPTION, false},
    {"assert_return", WAST_CMD_ASSERT_RETURN, false},
  };
  for (size_t i = 0; i < sizeof asserts / sizeof asserts[0]; i++) {
    if (!wat_tok_is(kw, asserts[i].kw)) continue;
    c->kind = asserts[i].kind;
    p->pos += 2;
    if (at_paren_kw(p, "module") || at_paren_kw(p, "component")) {
      c->has_module = true;
      if ((st = module_src(p, &c->module))) return st;
    } else if (asserts[i].module) {
      return pfail(p, "expected a module");
    } else {
      c->has_action = true;
      if ((st = action(p, &c->action))) return st;
    }
    if (c->kind == WAST_CMD_ASSERT_RETURN) {
      while (p->pos < close) {
        if (at_paren_kw(p, "either")) {
          size_t eclose = peek(p)->match;
          p->pos += 2;
          while (p->pos < eclose) {
            if ((st = grow_values(&c->expected, c->nexpected))) return st;
            st = value(p, &c->expected[c->nexpected]);
            c->nexpected++;
            if (st) return st;
            c->neither++;
          }
          if ((st = expect_rpar(p))) return st;
          continue;
        }
        if ((st = grow_values(&c->expected, c->nexpected))) return st;
        st = value(p, &c->expected[c->nexpected]);
        c->nexpected++;
        if (st) return st;
      }
    } else if ((st = opt_message(p, c))) {
      return st;
    }
    return expect_rpar(p);
  }
  return pfail(p, "unsupported command");
}

static bool is_field(const wat_token *kw) {
  static const char *const fields[] = {"type", "import", "func", "table", "memory",
                                       "global", "export", "start", "elem", "data"};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    if (wat_tok_is(kw, fields[i])) return true;
  return false;
}

void wast_script_delete(wast_script *s) {
  if (!s) return;
  for (size_t i = 0; i < s->ncommands; i++) command_free(&s->commands[i]);
  free(s->commands);
  free(s);
}

wasm_status wast_parse(const char *text, size_t len, wast_script **out, wasm_error *err) {
  wat_token *toks;
  size_t ntok;
  wasm_status st = wat_lex(text, len, &toks, &ntok, err);
  if (st) return st;
  wast_script *s = calloc(1, sizeof *s);
  wast_parser p = {toks, ntok, 0, {0}};
  size_t cap = 0;
  if (!s) goto oom;
  if (ntok > 2 && toks[0].kind == WT_LPAR && is_field(&toks[1])) {
    /* A script that is just module fields is one inline module. */
    s->commands = calloc(1, sizeof *s->commands);
    if (!s->commands) goto oom;
    s->ncommands = 1;
    wast_command *c = &s->commands[0];
    c->kind = WAST_CMD_MODULE;
    c->line = (int)toks[0].line;
    c->has_module = true;
    c->module.form = WAST_MODULE_TEXT;
    c->module.len = len;
    if (!(c->module.bytes = malloc(len + 1))) goto oom;
    memcpy(c->module.bytes, text, len);
    c->module.bytes[len] = 0;
    p.pos = ntok - 1;
  }
  while (p.pos < ntok - 1) {
    const wat_token *open = peek(&p);
    if (open->kind != WT_LPAR) {
      st = wasm_fail(err, WASM_MALFORMED, "%u:%u: unexpected token in script", open->line,
                     open->col);
      goto fail;
    }
    if (s->ncommands == cap) {
      cap = cap ? cap * 2 : 64;
      wast_command *c = realloc(s->commands, cap * sizeof *c);
      if (!c) goto oom;
      s->commands = c;
    }
    wast_command *c = &s->commands[s->ncommands++];
    memset(c, 0, sizeof *c);
    c->line = (int)open->line;
    size_t close = open->match;
    p.errmsg[0] = 0;
    pstatus ps = command(&p, c);
    if (ps == P_NOMEM) goto oom;
    if (ps != P_OK || p.pos != close + 1) {
      /* Keep going: the runner reports the command as unsupported. */
      if (ps == P_OK) pfail(&p, "unexpected token in command");
      int line = c->line;
      command_free(c);
      memset(c, 0, sizeof *c);
      c->kind = WAST_CMD_UNSUPPORTED;
      c->line = line;
      c->message = strdup(p.errmsg);
      if (!c->message) goto oom;
      p.pos = close + 1;
    }
  }
  free(toks);
  *out = s;
  return WASM_OK;
oom:
  st = wasm_fail(err, WASM_NOMEM, "out of memory");
fail:
  free(toks);
  wast_script_delete(s);
  return st;
}
