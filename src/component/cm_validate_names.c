/*
 * cm_validate_names.c: import/export names (Explainer.md, "Import and
 * Export Definitions"): kebab-case labels, [constructor]/[method]/[static]
 * annotations, interface names with semver versions, and the name
 * attributes (implements, version, external-id).
 */
#include <string.h>

#include "cm_validate.h"

/* ---- labels ---- */

static bool is_lower(char ch) { return ch >= 'a' && ch <= 'z'; }
static bool is_upper(char ch) { return ch >= 'A' && ch <= 'Z'; }
static bool is_digit(char ch) { return ch >= '0' && ch <= '9'; }

/* label ::= first-fragment ('-' fragment)*; a fragment is all lowercase
 * or all uppercase (plus digits); only the first must start with a letter.
 * With words_only, uppercase fragments are refused (namespace, package). */
static bool is_label(const char *s, size_t n, bool words_only) {
  if (n == 0) return false;
  size_t i = 0;
  bool first = true;
  while (i < n) {
    size_t j = i;
    bool lower = false, upper = false;
    while (j < n && s[j] != '-') {
      char ch = s[j];
      if (is_lower(ch)) lower = true;
      else if (is_upper(ch)) upper = true;
      else if (!is_digit(ch)) return false;
      if (j == i && first && !is_lower(ch) && !is_upper(ch)) return false;
      j++;
    }
    if (j == i || (lower && upper) || (words_only && upper)) return false;
    first = false;
    if (j == n) break;
    i = j + 1;
    if (i == n) return false; /* trailing '-' */
  }
  return true;
}

wasm_status cmv_label(cm_ctx *c, const char *what, const char *name) {
  if (!*name) return cm_fail(c->err, WASM_INVALID, "%s cannot be empty", what);
  if (!is_label(name, strlen(name), false))
    return cm_fail(c->err, WASM_INVALID, "%s `%s` is not in kebab case", what,
                   name);
  return WASM_OK;
}

static wasm_status kebab(cm_ctx *c, const char *s, size_t n) {
  if (!is_label(s, n, false))
    return cm_fail(c->err, WASM_INVALID, "`%.*s` is not in kebab case", (int)n,
                   s);
  return WASM_OK;
}

static bool has_prefix(const char *s, const char *p) {
  return !strncmp(s, p, strlen(p));
}

/* ---- semver ---- */

static bool is_ident_char(char ch) {
  return is_lower(ch) || is_upper(ch) || is_digit(ch) || ch == '-';
}

/* MAJOR.MINOR.PATCH(-pre)?(+build)?; the message names the first fault. */
static wasm_status semver(cm_ctx *c, const char *full, const char *v) {
  const char *p = v;
  if (!*p)
    return cm_fail(c->err, WASM_INVALID, "`%s` is not a valid extern name: "
                   "empty string", full);
  for (int k = 0; k < 3; k++) {
    if (!*p)
      return cm_fail(c->err, WASM_INVALID, "`%s` is not a valid extern name: "
                     "unexpected end of input", full);
    if (!is_digit(*p))
      return cm_fail(c->err, WASM_INVALID, "`%s` is not a valid extern name: "
                     "unexpected character '%c'", full, *p);
    if (*p == '0' && is_digit(p[1]))
      return cm_fail(c->err, WASM_INVALID, "`%s` is not a valid extern name: "
                     "invalid leading zero", full);
    while (is_digit(*p)) p++;
    if (k < 2) {
      if (!*p)
        return cm_fail(c->err, WASM_INVALID, "`%s` is not a valid extern "
                       "name: unexpected end of input", full);
      if (*p != '.')
        return cm_fail(c->err, WASM_INVALID, "`%s` is not a valid extern "
                       "name: unexpected character '%c'", full, *p);
      p++;
    }
  }
  for (int part = 0; part < 2; part++) {
    char lead = part == 0 ? '-' : '+';
    if (*p != lead) continue;
    p++;
    while (1) { /* dot-separated identifiers */
      const char *q = p;
      while (is_ident_char(*q)) q++;
      if (q == p)
        return cm_fail(c->err, WASM_INVALID, "`%s` is not a valid extern "
                       "name: empty identifier segment", full);
      p = q;
      if (*p != '.') break;
      p++;
    }
  }
  if (*p)
    return cm_fail(c->err, WASM_INVALID, "`%s` is not a valid extern name: "
                   "unexpected character '%c'", full, *p);
  return WASM_OK;
}

/* ---- interface names: ns:pkg/iface(@version)? ---- */

static wasm_status interface_part(cm_ctx *c, const char *full, const char *p,
                                  size_t n, bool words_only) {
  if (!is_label(p, n, false))
    return cm_fail(c->err, WASM_INVALID, "`%s` is not a valid extern name: "
                   "`%.*s` is not in kebab case", full, (int)n, p);
  if (words_only && !is_label(p, n, true))
    return cm_fail(c->err, WASM_INVALID, "`%s` is not a valid extern name",
                   full);
  return WASM_OK;
}

static wasm_status interface_name(cm_ctx *c, const char *s) {
  wasm_status st;
  const char *colon = strchr(s, ':');
  const char *at = strchr(s, '@');
  size_t end = at ? (size_t)(at - s) : strlen(s);
  if (!colon || (size_t)(colon - s) > end)
    return cm_fail(c->err, WASM_INVALID, "`%s` is not a valid extern name: "
                   "expected `:`", s);
  if ((st = interface_part(c, s, s, (size_t)(colon - s), true))) return st;
  const char *p = colon + 1;
  size_t rest = end - (size_t)(p - s);
  const char *slash = memchr(p, '/', rest);
  const char *c2 = memchr(p, ':', rest);
  if (!slash || (c2 && c2 < slash)) {
    size_t l = c2 ? (size_t)(c2 - p) : rest;
    if ((st = interface_part(c, s, p, l, true))) return st;
    return cm_fail(c->err, WASM_INVALID, "`%s` is not a valid extern name: "
                   "expected `/` after package name", s);
  }
  if ((st = interface_part(c, s, p, (size_t)(slash - p), true))) return st;
  p = slash + 1;
  rest = end - (size_t)(p - s);
  const char *q = memchr(p, '/', rest);
  size_t l = q ? (size_t)(q - p) : rest;
  if ((st = interface_part(c, s, p, l, false))) return st;
  if (q)
    return cm_fail(c->err, WASM_INVALID, "`%s` is not a valid extern name: "
                   "trailing characters found: `%.*s`", s,
                   (int)(end - (size_t)(q - s)), q);
  if (at) return semver(c, s, at + 1);
  return WASM_OK;
}

/* Parses and checks an extern name (Explainer.md, importname/exportname). */
static wasm_status parse_name(cm_ctx *c, cm_name *nm) {
  const char *s = nm->name;
  size_t n = strlen(s);
  wasm_status st;
  nm->kind = CM_NAME_PLAIN;
  if (s[0] == '[') {
    const char *close = strchr(s, ']');
    if (!close)
      return cm_fail(c->err, WASM_INVALID, "`%s` is not a valid extern name", s);
    const char *rest = close + 1;
    const char *ann = s;
    if (has_prefix(ann, "[async]")) {
      nm->async_ = true;
      return kebab(c, rest, strlen(rest));
    }
    if (has_prefix(ann, "[async method]") || has_prefix(ann, "[async static]"))
      nm->async_ = true;
    if (has_prefix(ann, "[constructor]")) {
      nm->kind = CM_NAME_CONSTRUCTOR;
      nm->resource = rest;
      return kebab(c, rest, strlen(rest));
    }
    if (has_prefix(ann, "[method]") || has_prefix(ann, "[static]") ||
        has_prefix(ann, "[async method]") || has_prefix(ann, "[async static]")) {
      nm->kind = strstr(ann, "method]") ? CM_NAME_METHOD : CM_NAME_STATIC;
      const char *dot = strchr(rest, '.');
      if (!dot)
        return cm_fail(c->err, WASM_INVALID, "failed to find `.` character");
      if ((st = kebab(c, rest, (size_t)(dot - rest)))) return st;
      if ((st = kebab(c, dot + 1, strlen(dot + 1)))) return st;
      nm->resource = cm_arena_strndup(c->arena, rest, (size_t)(dot - rest));
      nm->func = dot + 1;
      return nm->resource ? WASM_OK : cmd_nomem(c);
    }
    return cm_fail(c->err, WASM_INVALID, "`%s` is not a valid extern name", s);
  }
  if (has_prefix(s, "url=") || has_prefix(s, "integrity=") ||
      has_prefix(s, "locked-dep=") || has_prefix(s, "unlocked-dep=") ||
      has_prefix(s, "relative-url=")) {
    nm->kind = has_prefix(s, "url=") ? CM_NAME_URL :
               has_prefix(s, "integrity=") ? CM_NAME_HASH : CM_NAME_DEPENDENCY;
    return WASM_OK;
  }
  if (strchr(s, ':')) {
    nm->kind = CM_NAME_INTERFACE;
    return interface_name(c, s);
  }
  return kebab(c, s, n);
}

static wasm_status check_attributes(cm_ctx *c, const cm_name *nm) {
  if (!nm->implements) return WASM_OK;
  const char *v = nm->implements;
  if (!*v || !strchr(v, ':')) {
    /* a plain label is a name, just not an interface */
    if (*v && is_label(v, strlen(v), false))
      return cm_fail(c->err, WASM_INVALID, "`implements` value `%s` must be "
                     "an interface name", v);
    return cm_fail(c->err, WASM_INVALID, "`%s` is not a valid name: `implements` "
                   "must be an interface", v);
  }
  wasm_status st = interface_name(c, v);
  if (st) return st;
  if (nm->kind != CM_NAME_PLAIN)
    return cm_fail(c->err, WASM_INVALID,
                   "name `%s` is not valid with `implements`", nm->name);
  return WASM_OK;
}

wasm_status cmv_read_extern_name(cm_ctx *c, cm_rd *r, cm_name *out) {
  uint8_t b = 0;
  wasm_status st = cmd_byte(c, r, &b);
  if (st) return st;
  memset(out, 0, sizeof *out);
  if (b > 0x02) return cmd_bad_byte(c, b, "component name");
  if ((st = cmd_name(c, r, &out->name, NULL))) return st;
  if (b == 0x02) {
    uint32_t n = 0;
    if ((st = cmd_count(c, r, &n))) return st;
    for (uint32_t i = 0; i < n; i++) {
      uint8_t k = 0;
      const char *v;
      if ((st = cmd_byte(c, r, &k))) return st;
      if (k > 0x02) return cmd_bad_byte(c, k, "name option");
      if ((st = cmd_name(c, r, &v, NULL))) return st;
      const char **slot = k == 0 ? &out->implements :
                          k == 1 ? &out->version : &out->external_id;
      static const char *const what[] = {"implements", "version", "external-id"};
      if (*slot)
        return cm_fail(c->err, WASM_MALFORMED,
                       "duplicate '%s' option in name", what[k]);
      *slot = v;
    }
  }
  if ((st = parse_name(c, out))) return st;
  return check_attributes(c, out);
}
