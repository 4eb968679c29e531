/*
 * cm_wit.c: WIT function type strings of host definitions
 * ("func(x: u32, s: string) -> result<list<u8>, error-code>").
 *
 * The text is not turned into a type tree: it is walked together with the
 * component's import type, so a host function's declared type is checked
 * against what the component expects at instantiation. A named type
 * ("error-code") stands for a record, variant, enum, flags or own handle
 * defined by the component; the host receives values of the component's
 * type. Called with a NULL type, the walk only checks the syntax.
 *
 * Functions of cm_linker_define_interface carry the interface's WIT text
 * ("defs"): a named type defined there (record, variant, enum, flags,
 * `type x = ...`) is compared structurally with the component's type, in
 * the same walk. Names without a definition (resources, `use`d types,
 * cm_linker_define_func's bare strings) are matched by name: resources
 * are nominal, and a `use`d type is checked where its own interface is.
 */
#include <stdio.h>
#include <string.h>

#include "component/cm_rt.h"

#define WIT_MAX_DEPTH 64

static bool def_used(const char *defs, const char *name);

typedef struct wit_cur {
  const char *s;
  const char *defs; /* interface WIT text with named type definitions, or NULL */
  size_t pos;
  char *why;
  size_t whylen;
  bool syntax; /* the failure is a syntax error (vs a type mismatch) */
  bool failed;
} wit_cur;

static void skip_ws(wit_cur *c) {
  while (c->s[c->pos] == ' ' || c->s[c->pos] == '\t' || c->s[c->pos] == '\n' ||
         c->s[c->pos] == '\r')
    c->pos++;
}

static bool wit_fail(wit_cur *c, bool syntax, const char *fmt, const char *arg) {
  if (!c->failed) {
    c->failed = true;
    c->syntax = syntax;
    snprintf(c->why, c->whylen, fmt, arg ? arg : "");
    if (syntax) {
      size_t n = strlen(c->why);
      snprintf(c->why + n, c->whylen - n, " at offset %zu", c->pos);
    }
  }
  return false;
}

static bool eat(wit_cur *c, char ch) {
  skip_ws(c);
  if (c->s[c->pos] != ch) return false;
  c->pos++;
  return true;
}

static bool expect(wit_cur *c, char ch) {
  if (eat(c, ch)) return true;
  char what[4] = {'`', ch, '`', 0};
  return wit_fail(c, true, "expected %s", what);
}

/* A WIT identifier (kebab case, optional '%'); returns its length. */
static size_t ident(wit_cur *c, const char **start) {
  skip_ws(c);
  if (c->s[c->pos] == '%') c->pos++;
  *start = c->s + c->pos;
  size_t n = 0;
  for (;;) {
    char ch = c->s[c->pos + n];
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
        ch == '-')
      n++;
    else
      break;
  }
  c->pos += n;
  return n;
}

static bool word_is(const char *p, size_t n, const char *w) {
  return strlen(w) == n && memcmp(p, w, n) == 0;
}

static const struct { const char *name; cm_typekind kind; } wit_prims[] = {
    {"bool", CM_BOOL}, {"s8", CM_S8},   {"u8", CM_U8},     {"s16", CM_S16},
    {"u16", CM_U16},   {"s32", CM_S32}, {"u32", CM_U32},   {"s64", CM_S64},
    {"u64", CM_U64},   {"f32", CM_F32}, {"f64", CM_F64},   {"float32", CM_F32},
    {"float64", CM_F64}, {"char", CM_CHAR}, {"string", CM_STRING},
    {"error-context", CM_ERROR_CONTEXT},
};

static bool kind_is(wit_cur *c, const cm_type *t, cm_typekind k, const char *wit) {
  if (!t || t->kind == k) return true;
  char have[96];
  cm_type_print(t, have, sizeof have);
  char msg[160];
  snprintf(msg, sizeof msg, "the host declares `%s` where the component uses `%%s`", wit);
  return wit_fail(c, false, msg, have);
}

static bool wit_type(wit_cur *c, const cm_type *t, unsigned depth);
enum { DEF_ALIAS, DEF_RECORD, DEF_VARIANT, DEF_ENUM, DEF_FLAGS };
static bool def_find(const char *defs, const char *name, int *kind, size_t *pos);
static bool wit_def(wit_cur *c, const cm_type *t, unsigned depth, int kind, const char *name);

/* "<T>" for list/option; t is the element type or NULL. */
static bool one_arg(wit_cur *c, const cm_type *elem, unsigned depth) {
  return expect(c, '<') && wit_type(c, elem, depth + 1) && expect(c, '>');
}

static bool wit_type(wit_cur *c, const cm_type *t, unsigned depth) {
  if (depth > WIT_MAX_DEPTH) return wit_fail(c, true, "type nested too deeply%s", NULL);
  const char *w;
  size_t n = ident(c, &w);
  if (n == 0) return wit_fail(c, true, "expected a type%s", NULL);
  for (size_t i = 0; i < sizeof wit_prims / sizeof wit_prims[0]; i++)
    if (word_is(w, n, wit_prims[i].name)) return kind_is(c, t, wit_prims[i].kind, wit_prims[i].name);
  if (word_is(w, n, "list")) {
    if (!kind_is(c, t, CM_LIST, "list")) return false;
    if (!expect(c, '<') || !wit_type(c, t ? t->as.list.elem : NULL, depth + 1)) return false;
    uint32_t len = 0;
    if (eat(c, ',')) {
      skip_ws(c);
      if (c->s[c->pos] < '0' || c->s[c->pos] > '9') return wit_fail(c, true, "expected a length%s", NULL);
      while (c->s[c->pos] >= '0' && c->s[c->pos] <= '9' && len < 100000000u)
        len = len * 10 + (uint32_t)(c->s[c->pos++] - '0');
    }
    if (t && t->as.list.fixed_len != len)
      return wit_fail(c, false, "list length differs from the component's%s", NULL);
    return expect(c, '>');
  }
  if (word_is(w, n, "option"))
    return kind_is(c, t, CM_OPTION, "option") && one_arg(c, t ? t->as.option.t : NULL, depth);
  if (word_is(w, n, "stream") || word_is(w, n, "future")) {
    cm_typekind k = w[0] == 's' ? CM_STREAM : CM_FUTURE;
    if (!kind_is(c, t, k, k == CM_STREAM ? "stream" : "future")) return false;
    skip_ws(c);
    if (c->s[c->pos] != '<') return !t || !t->as.async.t || wit_fail(c, false, "payload missing%s", NULL);
    if (t && !t->as.async.t) return wit_fail(c, false, "the component's %s has no payload", "stream");
    return one_arg(c, t ? t->as.async.t : NULL, depth);
  }
  if (word_is(w, n, "result")) {
    if (!kind_is(c, t, CM_RESULT, "result")) return false;
    const cm_type *ok = t ? t->as.result.ok : NULL, *er = t ? t->as.result.err : NULL;
    bool has_ok = false, has_err = false;
    if (eat(c, '<')) {
      skip_ws(c);
      if (c->s[c->pos] == '_') {
        c->pos++;
      } else {
        has_ok = true;
        if (t && !ok) return wit_fail(c, false, "the component's result has no ok type%s", NULL);
        if (!wit_type(c, ok, depth + 1)) return false;
      }
      if (eat(c, ',')) {
        has_err = true;
        if (t && !er) return wit_fail(c, false, "the component's result has no error type%s", NULL);
        if (!wit_type(c, er, depth + 1)) return false;
      }
      if (!expect(c, '>')) return false;
    }
    if (t && ((ok && !has_ok) || (er && !has_err)))
      return wit_fail(c, false, "the host's result lacks a case type the component has%s", NULL);
    return true;
  }
  if (word_is(w, n, "tuple")) {
    if (!kind_is(c, t, CM_TUPLE, "tuple") || !expect(c, '<')) return false;
    uint32_t i = 0;
    do {
      if (t && i >= t->as.tuple.n) return wit_fail(c, false, "tuple has more types than the component's%s", NULL);
      if (!wit_type(c, t ? t->as.tuple.types[i] : NULL, depth + 1)) return false;
      i++;
    } while (eat(c, ','));
    if (t && i != t->as.tuple.n) return wit_fail(c, false, "tuple has fewer types than the component's%s", NULL);
    return expect(c, '>');
  }
  if (word_is(w, n, "borrow") || word_is(w, n, "own")) {
    bool borrow = w[0] == 'b';
    if (!kind_is(c, t, borrow ? CM_BORROW : CM_OWN, borrow ? "borrow" : "own")) return false;
    const char *r;
    if (!expect(c, '<')) return false;
    if (!ident(c, &r)) return wit_fail(c, true, "expected a resource name%s", NULL);
    return expect(c, '>');
  }
  /* A named type: structural if the interface defines it, else by name. */
  char name[64];
  snprintf(name, sizeof name, "%.*s", (int)(n < 63 ? n : 63), w);
  int kind;
  size_t at;
  if (t && c->defs && n < 63 && def_find(c->defs, name, &kind, &at)) {
    size_t save = c->pos;
    const char *s = c->s;
    c->s = c->defs;
    c->pos = at;
    bool ok = wit_def(c, t, depth + 1, kind, name);
    c->s = s;
    c->pos = save;
    return ok;
  }
  if (t && c->defs && n < 63 && def_used(c->defs, name)) return true;
  if (t && t->kind != CM_RECORD && t->kind != CM_VARIANT && t->kind != CM_ENUM &&
      t->kind != CM_FLAGS && t->kind != CM_OWN) {
    return kind_is(c, t, CM_RECORD, name);
  }
  return true;
}

/* Puts "type `name`: what: " before the reason of a type mismatch found
 * inside a named type, so the message names where it differs. */
static bool wit_inside(wit_cur *c, const char *name, const char *what, const char *item) {
  if (c->syntax || !c->whylen) return false;
  char pre[160];
  if (item)
    snprintf(pre, sizeof pre, "type `%s`: %s `%s`: ", name, what, item);
  else
    snprintf(pre, sizeof pre, "type `%s`: ", name);
  size_t pl = strlen(pre), wl = strlen(c->why);
  if (pl + wl + 1 > c->whylen) wl = c->whylen > pl + 1 ? c->whylen - pl - 1 : 0;
  if (pl + 1 > c->whylen) return false;
  memmove(c->why + pl, c->why, wl);
  c->why[pl + wl] = 0;
  memcpy(c->why, pre, pl);
  return false;
}

/* Reports a structural difference of named type `name`. */
static bool wit_differs(wit_cur *c, const char *name, const char *fmt, const char *a,
                        const char *b) {
  char msg[200];
  snprintf(msg, sizeof msg, fmt, a, b ? b : "");
  char full[260];
  snprintf(full, sizeof full, "type `%s`: %s", name, msg);
  return wit_fail(c, false, "%s", full);
}

/* The body of a named type definition at c->pos ("= T;" for an alias,
 * "{ ... }" otherwise), walked against the component's type t (NULL:
 * syntax only). */
static bool wit_def(wit_cur *c, const cm_type *t, unsigned depth, int kind, const char *name) {
  if (depth > WIT_MAX_DEPTH) return wit_fail(c, true, "type nested too deeply%s", NULL);
  if (kind == DEF_ALIAS) {
    if (!expect(c, '=')) return false;
    bool failed = c->failed;
    if (!wit_type(c, t, depth + 1)) return failed ? false : wit_inside(c, name, NULL, NULL);
    return expect(c, ';');
  }
  static const cm_typekind kinds[] = {CM_BOOL, CM_RECORD, CM_VARIANT, CM_ENUM, CM_FLAGS};
  static const char *const words[] = {"type", "record", "variant", "enum", "flags"};
  static const char *const items[] = {"", "field", "case", "case", "flag"};
  if (t && t->kind != kinds[kind]) {
    char have[96];
    cm_type_print(t, have, sizeof have);
    return wit_differs(c, name, "is a %s here but `%s` in the component", words[kind], have);
  }
  if (!expect(c, '{')) return false;
  bool labels = kind == DEF_ENUM || kind == DEF_FLAGS;
  uint32_t cnt = t ? (labels ? t->as.labels.n : t->as.record.n) : 0;
  uint32_t i = 0;
  for (;;) {
    skip_ws(c);
    if (c->s[c->pos] == '}') break;
    const char *w;
    size_t n = ident(c, &w);
    if (!n || n > 120) return wit_fail(c, true, "expected a name in `%s`", name);
    char item[128];
    snprintf(item, sizeof item, "%.*s", (int)n, w);
    if (t && i >= cnt)
      return wit_differs(c, name, "%s `%s` is not in the component's type", items[kind], item);
    const char *want = t ? (labels ? t->as.labels.names[i] : t->as.record.fields[i].name) : NULL;
    if (want && strcmp(want, item) != 0) {
      char fmt[80];
      snprintf(fmt, sizeof fmt, "has %s `%%s` where the component has `%%s`", items[kind]);
      return wit_differs(c, name, fmt, item, want);
    }
    if (kind == DEF_RECORD) {
      if (!expect(c, ':')) return false;
      if (!wit_type(c, t ? t->as.record.fields[i].type : NULL, depth + 1))
        return wit_inside(c, name, "field", item);
    } else if (kind == DEF_VARIANT) {
      const cm_type *pt = t ? t->as.record.fields[i].type : NULL;
      if (eat(c, '(')) {
        if (t && !pt)
          return wit_differs(c, name, "case `%s` has a payload here but none in the component%s", item, NULL);
        if (!wit_type(c, pt, depth + 1)) return wit_inside(c, name, "case", item);
        if (!expect(c, ')')) return false;
      } else if (pt) {
        return wit_differs(c, name, "case `%s` has no payload here but one in the component%s", item, NULL);
      }
    }
    i++;
    if (!eat(c, ',')) break;
  }
  if (!expect(c, '}')) return false;
  if (t && i < cnt) {
    const char *miss = labels ? t->as.labels.names[i] : t->as.record.fields[i].name;
    return wit_differs(c, name, "lacks %s `%s` of the component's type", items[kind], miss);
  }
  return true;
}

wasm_status cm_wit_check_func(const char *wit, const cm_functype *ft, char *why,
                              size_t whylen) {
  return cm_wit_check_func_in(wit, NULL, ft, why, whylen);
}

wasm_status cm_wit_check_func_in(const char *wit, const char *defs, const cm_functype *ft,
                                 char *why, size_t whylen) {
  wit_cur c = {.s = wit ? wit : "", .defs = defs, .why = why, .whylen = whylen};
  if (whylen) why[0] = 0;
  const char *w;
  size_t n = ident(&c, &w);
  bool ok = word_is(w, n, "func") || wit_fail(&c, true, "expected `func`%s", NULL);
  if (ok) ok = expect(&c, '(');
  uint32_t i = 0;
  skip_ws(&c);
  if (ok && c.s[c.pos] != ')') {
    do {
      skip_ws(&c);
      if (c.s[c.pos] == ')') break; /* trailing comma */
      const char *pn;
      size_t pl = ident(&c, &pn);
      if (!pl) {
        ok = wit_fail(&c, true, "expected a parameter name%s", NULL);
        break;
      }
      if (!(ok = expect(&c, ':'))) break;
      if (ft && i >= ft->nparams) {
        ok = wit_fail(&c, false, "the host declares more parameters than the component%s", NULL);
        break;
      }
      if (ft && !word_is(pn, pl, ft->params[i].name)) {
        ok = wit_fail(&c, false, "parameter name differs from the component's `%s`",
                      ft->params[i].name);
        break;
      }
      if (!(ok = wit_type(&c, ft ? ft->params[i].type : NULL, 1))) break;
      i++;
    } while (eat(&c, ','));
  }
  if (ok) ok = expect(&c, ')');
  if (ok && ft && i != ft->nparams)
    ok = wit_fail(&c, false, "the host declares fewer parameters than the component%s", NULL);
  if (ok) {
    skip_ws(&c);
    if (c.s[c.pos] == '-' && c.s[c.pos + 1] == '>') {
      c.pos += 2;
      if (ft && !ft->result) ok = wit_fail(&c, false, "the component's function has no result%s", NULL);
      else ok = wit_type(&c, ft ? ft->result : NULL, 1);
    } else if (ft && ft->result) {
      ok = wit_fail(&c, false, "the host's function has no result, the component's has%s", NULL);
    }
  }
  if (ok) {
    skip_ws(&c);
    if (c.s[c.pos]) ok = wit_fail(&c, true, "unexpected text after the type%s", NULL);
  }
  if (ok) return WASM_OK;
  return c.syntax ? WASM_MALFORMED : WASM_LINK_ERROR;
}

/* ---- WIT interfaces (cm_linker_define_interface) ---- */

typedef struct wit_if {
  const char *s;
  size_t pos, len;
} wit_if;

/* Skips blanks and // comments. */
static void if_ws(wit_if *p) {
  for (;;) {
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
                               p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
      p->pos++;
    if (p->pos + 1 < p->len && p->s[p->pos] == '/' && p->s[p->pos + 1] == '/') {
      while (p->pos < p->len && p->s[p->pos] != '\n') p->pos++;
      continue;
    }
    return;
  }
}

static size_t if_ident(wit_if *p, const char **w) {
  if_ws(p);
  if (p->pos < p->len && p->s[p->pos] == '%') p->pos++;
  *w = p->s + p->pos;
  size_t n = 0;
  while (p->pos + n < p->len) {
    char ch = p->s[p->pos + n];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
          ch == '-' || ch == '_'))
      break;
    n++;
  }
  p->pos += n;
  return n;
}

static bool if_eat(wit_if *p, char ch) {
  if_ws(p);
  if (p->pos < p->len && p->s[p->pos] == ch) {
    p->pos++;
    return true;
  }
  return false;
}

/* Skips to the end of the item: past ';' or past a balanced {...}. */
static bool if_skip_item(wit_if *p) {
  int depth = 0;
  while (p->pos < p->len) {
    char ch = p->s[p->pos++];
    if (ch == '{') depth++;
    else if (ch == '}' && --depth <= 0) {
      /* `use a.{b};` ends with a ';' after its braces; a record does not */
      if (depth == 0) { if_ws(p); if_eat(p, ';'); }
      return depth == 0;
    }
    else if (ch == ';' && depth == 0) return true;
  }
  return false;
}

/* The text of a function type up to ';' (exclusive). */
static bool if_until_semi(wit_if *p, const char **start, size_t *n) {
  if_ws(p);
  *start = p->s + p->pos;
  while (p->pos < p->len && p->s[p->pos] != ';' && p->s[p->pos] != '}') p->pos++;
  if (p->pos >= p->len || p->s[p->pos] != ';') return false;
  *n = (size_t)(p->s + p->pos - *start);
  p->pos++;
  return true;
}

static int def_kind(const char *w, size_t n) {
  static const char *const words[] = {"type", "record", "variant", "enum", "flags"};
  for (int k = 0; k < 5; k++)
    if (word_is(w, n, words[k])) return k;
  return -1;
}

/* Finds the definition of named type `name` among the top-level items of
 * an interface's WIT text: *kind is DEF_*, *pos the offset after the name. */
static bool def_find(const char *defs, const char *name, int *kind, size_t *pos) {
  wit_if p = {.s = defs, .len = strlen(defs)};
  const char *w;
  size_t n = if_ident(&p, &w);
  if (!word_is(w, n, "interface") || !if_ident(&p, &w) || !if_eat(&p, '{')) return false;
  while (!if_eat(&p, '}')) {
    n = if_ident(&p, &w);
    if (!n) return false;
    int k = def_kind(w, n);
    if (k >= 0) {
      size_t save = p.pos;
      n = if_ident(&p, &w);
      if (word_is(w, n, name)) {
        *kind = k;
        *pos = p.pos;
        return true;
      }
      p.pos = save;
    }
    if (!if_skip_item(&p)) return false;
  }
  return false;
}

/* Whether an interface's WIT text brings named type `name` in with a
 * `use x.{..., name, ...}` item (an alias like `error = string` of
 * another interface is checked there, so any type is accepted here). */
static bool def_used(const char *defs, const char *name) {
  wit_if p = {.s = defs, .len = strlen(defs)};
  const char *w;
  size_t n = if_ident(&p, &w);
  if (!word_is(w, n, "interface") || !if_ident(&p, &w) || !if_eat(&p, '{')) return false;
  while (!if_eat(&p, '}')) {
    size_t start = p.pos;
    n = if_ident(&p, &w);
    if (!n) return false;
    if (word_is(w, n, "use")) {
      const char *brace = memchr(p.s + p.pos, '{', p.len - p.pos);
      const char *semi = memchr(p.s + p.pos, ';', p.len - p.pos);
      if (brace && (!semi || brace < semi)) {
        wit_if q = {.s = defs, .pos = (size_t)(brace - defs) + 1, .len = p.len};
        while ((n = if_ident(&q, &w)) > 0) {
          if (word_is(w, n, name)) return true;
          if_eat(&q, ',');
        }
      }
    }
    p.pos = start;
    if_ident(&p, &w);
    if (!if_skip_item(&p)) return false;
  }
  return false;
}

/* Checks the syntax of a named type definition; p->pos is after its
 * keyword, and moves past the definition. */
static wasm_status if_typedef(wit_if *p, int kind, wasm_error *err) {
  const char *w;
  size_t n = if_ident(p, &w);
  if (!n || n > 120) return cm_rt_fail(err, WASM_MALFORMED, "WIT: expected a type name");
  char name[128], why[160];
  snprintf(name, sizeof name, "%.*s", (int)n, w);
  wit_cur c = {.s = p->s, .pos = p->pos, .why = why, .whylen = sizeof why};
  if (!wit_def(&c, NULL, 1, kind, name))
    return cm_rt_fail(err, WASM_MALFORMED, "WIT: type `%s`: %s", name, why);
  p->pos = c.pos;
  return WASM_OK;
}

static const cm_host_entry *find_entry(const cm_host_entry *e, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (e[i].name && strcmp(e[i].name, name) == 0) return &e[i];
  return NULL;
}

/* Defines one function: name is the import name ("f", "[method]r.f"). */
static wasm_status if_func(cm_linker *l, const char *iface, const char *name, const char *type,
                           const char *defs, const cm_host_entry *e, size_t n,
                           wasm_error *err) {
  char why[160];
  if (cm_wit_check_func(type, NULL, why, sizeof why) != WASM_OK)
    return cm_rt_fail(err, WASM_MALFORMED, "WIT: function `%s`: %s", name, why);
  const cm_host_entry *en = find_entry(e, n, name);
  if (!en || !en->fn)
    return cm_rt_fail(err, WASM_BAD_ARG, "interface `%s`: no callback for `%s`", iface, name);
  return cm_linker_define_func_in(l, iface, name, type, defs, en->fn, en->env, err);
}

#define WIT_TEXT_MAX 4096

wasm_status cm_linker_define_interface(cm_linker *l, const char *iface, const char *wit,
                                       const cm_host_entry *entries, size_t nentries,
                                       wasm_error *err) {
  if (!l || !iface || !wit) return cm_rt_fail(err, WASM_BAD_ARG, "cm_linker_define_interface: bad arguments");
  wit_if p = {.s = wit, .len = strlen(wit)};
  const char *w;
  size_t n = if_ident(&p, &w);
  if (!word_is(w, n, "interface") || !if_ident(&p, &w) || !if_eat(&p, '{'))
    return cm_rt_fail(err, WASM_MALFORMED, "WIT: expected `interface name {`");
  char name[256], type[WIT_TEXT_MAX];
  wasm_status st = cm_linker_note_iface(l, iface, err);
  if (st) return st;
  for (;;) {
    if (if_eat(&p, '}')) break;
    size_t at = p.pos;
    n = if_ident(&p, &w);
    if (!n) return cm_rt_fail(err, WASM_MALFORMED, "WIT: unexpected text at offset %zu", at);
    int kind = def_kind(w, n);
    if (kind >= 0) {
      /* kept in the text, compared with the component's type at link time */
      if ((st = if_typedef(&p, kind, err))) return st;
      continue;
    }
    if (word_is(w, n, "use")) {
      /* `use`d types are matched by name (checked with their own interface) */
      if (!if_skip_item(&p)) return cm_rt_fail(err, WASM_MALFORMED, "WIT: unterminated `%.*s`", (int)n, w);
      continue;
    }
    if (word_is(w, n, "resource")) {
      const char *r;
      size_t rn = if_ident(&p, &r);
      if (!rn || rn >= 128) return cm_rt_fail(err, WASM_MALFORMED, "WIT: expected a resource name");
      char res[128];
      snprintf(res, sizeof res, "%.*s", (int)rn, r);
      snprintf(name, sizeof name, "[resource-drop]%s", res);
      const cm_host_entry *de = find_entry(entries, nentries, name);
      if ((st = cm_linker_define_resource(l, iface, res, de ? de->dtor : NULL,
                                          de ? de->env : NULL, NULL, err)))
        return st;
      if (if_eat(&p, ';')) continue;
      if (!if_eat(&p, '{')) return cm_rt_fail(err, WASM_MALFORMED, "WIT: expected `{` or `;` after resource");
      while (!if_eat(&p, '}')) {
        const char *m, *t;
        size_t mn = if_ident(&p, &m), tn;
        if (!mn || mn >= 100) return cm_rt_fail(err, WASM_MALFORMED, "WIT: bad item in resource `%s`", res);
        if (word_is(m, mn, "constructor")) {
          if (!if_until_semi(&p, &t, &tn)) return cm_rt_fail(err, WASM_MALFORMED, "WIT: unterminated constructor");
          snprintf(name, sizeof name, "[constructor]%s", res);
          snprintf(type, sizeof type, "func%.*s -> %s", (int)tn, t, res);
        } else {
          if (!if_eat(&p, ':')) return cm_rt_fail(err, WASM_MALFORMED, "WIT: expected `:` after `%.*s`", (int)mn, m);
          size_t save = p.pos;
          const char *k;
          size_t kn = if_ident(&p, &k);
          bool is_static = word_is(k, kn, "static");
          if (!is_static) p.pos = save;
          if (!if_until_semi(&p, &t, &tn)) return cm_rt_fail(err, WASM_MALFORMED, "WIT: unterminated method");
          snprintf(name, sizeof name, "[%s]%s.%.*s", is_static ? "static" : "method", res,
                   (int)mn, m);
          /* a method's first parameter is the borrowed resource */
          const char *paren = memchr(t, '(', tn);
          if (!paren) return cm_rt_fail(err, WASM_MALFORMED, "WIT: method without parameters");
          size_t head = (size_t)(paren + 1 - t);
          const char *q = paren + 1;
          while (q < t + tn && (*q == ' ' || *q == '\n' || *q == '\t')) q++;
          bool empty = q < t + tn && *q == ')';
          if (is_static)
            snprintf(type, sizeof type, "%.*s", (int)tn, t);
          else
            snprintf(type, sizeof type, "%.*sself: borrow<%s>%s%.*s", (int)head, t, res,
                     empty ? "" : ", ", (int)(tn - head), t + head);
        }
        if ((st = if_func(l, iface, name, type, wit, entries, nentries, err))) return st;
      }
      continue;
    }
    /* name: func(...) -> T; */
    if (n >= 200 || !if_eat(&p, ':'))
      return cm_rt_fail(err, WASM_MALFORMED, "WIT: expected `:` after `%.*s`", (int)(n < 64 ? n : 64), w);
    snprintf(name, sizeof name, "%.*s", (int)n, w);
    const char *t;
    size_t tn;
    if (!if_until_semi(&p, &t, &tn) || tn >= sizeof type)
      return cm_rt_fail(err, WASM_MALFORMED, "WIT: unterminated function `%s`", name);
    snprintf(type, sizeof type, "%.*s", (int)tn, t);
    if ((st = if_func(l, iface, name, type, wit, entries, nentries, err))) return st;
  }
  if_ws(&p);
  if (p.pos != p.len) return cm_rt_fail(err, WASM_MALFORMED, "WIT: text after the interface");
  return WASM_OK;
}
