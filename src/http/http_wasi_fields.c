/* http_wasi_fields.c: wasi:http fields (headers and trailers): the
 * reference-counted field maps behind them, the syntax rules (names are
 * tokens, values field-values, hop-by-hop names forbidden, maps of
 * incoming messages and of messages given away immutable), the fields
 * resource's functions; and the value builders and error-code values the
 * other wasi:http files share. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http_wasi_internal.h"

/* ---- values ---- */

wasm_status hw_ok(cm_val *res, const cm_val *payload, wasm_error *err) {
  return cm_val_case(res, CM_RESULT, 0, payload) ? WASM_OK : hw_nomem(err);
}

wasm_status hw_err_result(cm_val *res, const cm_val *payload, wasm_error *err) {
  return cm_val_case(res, CM_RESULT, 1, payload) ? WASM_OK : hw_nomem(err);
}

/* ---- error-code ---- */

static const char *const err_names[HE_COUNT] = {
    "DNS-timeout", "DNS-error", "destination-not-found", "destination-unavailable",
    "destination-IP-prohibited", "destination-IP-unroutable", "connection-refused",
    "connection-terminated", "connection-timeout", "connection-read-timeout",
    "connection-write-timeout", "connection-limit-reached", "TLS-protocol-error",
    "TLS-certificate-error", "TLS-alert-received", "HTTP-request-denied",
    "HTTP-request-length-required", "HTTP-request-body-size", "HTTP-request-method-invalid",
    "HTTP-request-URI-invalid", "HTTP-request-URI-too-long",
    "HTTP-request-header-section-size", "HTTP-request-header-size",
    "HTTP-request-trailer-section-size", "HTTP-request-trailer-size",
    "HTTP-response-incomplete", "HTTP-response-header-section-size",
    "HTTP-response-header-size", "HTTP-response-body-size",
    "HTTP-response-trailer-section-size", "HTTP-response-trailer-size",
    "HTTP-response-transfer-coding", "HTTP-response-content-coding", "HTTP-response-timeout",
    "HTTP-upgrade-failed", "HTTP-protocol-error", "loop-detected", "configuration-error",
    "internal-error",
};

const char *hw_err_name(uint8_t code) { return code < HE_COUNT ? err_names[code] : "?"; }

static bool opt_str(cm_val *v, const char *s) {
  if (!s) return cm_val_case(v, CM_OPTION, 0, NULL);
  cm_val t;
  return cm_val_string(&t, s, strlen(s)) && cm_val_case(v, CM_OPTION, 1, &t);
}

static bool opt_num(cm_val *v, bool has, uint64_t n, cm_typekind k) {
  if (!has) return cm_val_case(v, CM_OPTION, 0, NULL);
  cm_val t = {.kind = k, .of.u = n};
  return cm_val_case(v, CM_OPTION, 1, &t);
}

/* record field-size-payload { field-name: option<string>, field-size: option<u32> } */
static bool field_size(cm_val *v, const hw_err *e) {
  if (!cm_val_agg(v, CM_RECORD, 2)) return false;
  if (opt_str(&v->of.list.elems[0], e->str) &&
      opt_num(&v->of.list.elems[1], e->has_num, e->num, CM_U32))
    return true;
  cm_val_free(v);
  return false;
}

bool hw_err_val(const hw_err *e, cm_val *out) {
  cm_val p;
  bool ok = true, has = true;
  switch (e->code) {
  case HE_DNS_ERROR: /* record { rcode: option<string>, info-code: option<u16> } */
    ok = cm_val_agg(&p, CM_RECORD, 2) && opt_str(&p.of.list.elems[0], e->str) &&
         opt_num(&p.of.list.elems[1], e->has_num, e->num, CM_U16);
    break;
  case HE_TLS_ALERT: /* record { alert-id: option<u8>, alert-message: option<string> } */
    ok = cm_val_agg(&p, CM_RECORD, 2) && opt_num(&p.of.list.elems[0], e->has_num, e->num, CM_U8) &&
         opt_str(&p.of.list.elems[1], e->str);
    break;
  case HE_REQ_BODY_SIZE: case HE_RESP_BODY_SIZE:
    ok = opt_num(&p, e->has_num, e->num, CM_U64);
    break;
  case HE_REQ_HEADER_SECTION_SIZE: case HE_REQ_TRAILER_SECTION_SIZE:
  case HE_RESP_HEADER_SECTION_SIZE: case HE_RESP_TRAILER_SECTION_SIZE:
    ok = opt_num(&p, e->has_num, e->num, CM_U32);
    break;
  case HE_REQ_HEADER_SIZE: /* option<field-size-payload> */
    if (!e->str && !e->has_num) {
      ok = cm_val_case(&p, CM_OPTION, 0, NULL);
    } else {
      cm_val r;
      ok = field_size(&r, e) && cm_val_case(&p, CM_OPTION, 1, &r);
    }
    break;
  case HE_REQ_TRAILER_SIZE: case HE_RESP_HEADER_SIZE: case HE_RESP_TRAILER_SIZE:
    ok = field_size(&p, e);
    break;
  case HE_RESP_TRANSFER_CODING: case HE_RESP_CONTENT_CODING: case HE_INTERNAL:
    ok = opt_str(&p, e->str);
    break;
  default: has = false; break;
  }
  if (!ok) {
    if (has) cm_val_free(&p);
    return false;
  }
  return cm_val_case(out, CM_VARIANT, e->code < HE_COUNT ? e->code : HE_INTERNAL, has ? &p : NULL);
}

void hw_err_from_val(const cm_val *v, hw_err *e) {
  memset(e, 0, sizeof *e);
  if (!v || v->kind != CM_VARIANT) {
    e->code = HE_INTERNAL;
    return;
  }
  e->code = v->of.variant.disc < HE_COUNT ? (uint8_t)v->of.variant.disc : HE_INTERNAL;
  const cm_val *p = v->of.variant.payload;
  if (p && p->kind == CM_RECORD && p->of.list.n) p = &p->of.list.elems[0];
  if (p && p->kind == CM_OPTION && p->of.variant.disc == 1) p = p->of.variant.payload;
  if (p && p->kind == CM_STRING) e->str = strndup(p->of.str.ptr, p->of.str.len);
  else if (p && (p->kind == CM_U64 || p->kind == CM_U32)) {
    e->has_num = true;
    e->num = p->of.u;
  }
}

/* ---- syntax ---- */

const char *const hw_method_names[9] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                        "CONNECT", "OPTIONS", "TRACE", "PATCH"};

bool hw_is_token(const char *s, size_t n) {
  if (n == 0 || n > HW_MAX_FIELD_BYTES) return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) continue;
    if (!c || !strchr("!#$%&'*+-.^_`|~", c)) return false;
  }
  return true;
}

/* field-value: visible ASCII, space, tab and obs-text (0x80-0xff); no
 * control bytes (so no CR, LF or NUL). */
bool hw_valid_value(const uint8_t *p, size_t n) {
  if (n > HW_MAX_FIELD_BYTES) return false;
  for (size_t i = 0; i < n; i++)
    if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f) return false;
  return true;
}

/* The names wasmtime forbids guests to set (hop-by-hop and host). */
bool hw_forbidden(const char *name, size_t n) {
  static const char *const names[] = {"connection",          "keep-alive", "proxy-authenticate",
                                      "proxy-authorization", "proxy-connection", "te",
                                      "transfer-encoding",   "upgrade",    "host",
                                      "http2-settings"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strlen(names[i]) == n && strncasecmp(names[i], name, n) == 0) return true;
  return false;
}

/* path-with-query: origin-form ("/a/b?c") or "*", printable ASCII with
 * no space, '#' or control bytes. */
bool hw_valid_path(const char *s, size_t n) {
  if (n == 0 || n > 8192) return false;
  if (n == 1 && s[0] == '*') return true;
  if (s[0] != '/' && s[0] != '?') return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c <= 0x20 || c >= 0x7f || c == '#') return false;
  }
  return true;
}

/* authority: host[:port] with host a DNS name, IPv4 or [IPv6]: no
 * userinfo, no percent-encoding or sub-delims (which URL parsers might
 * read differently from the allow-list). */
bool hw_valid_authority(const char *s, size_t n) {
  if (n == 0 || n > 1024) return false;
  size_t i = 0;
  if (s[0] == '[') {
    while (i < n && s[i] != ']') {
      unsigned char c = (unsigned char)s[i];
      if (i > 0 && !(c == ':' || c == '.' || (c >= '0' && c <= '9') ||
                     (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
        return false;
      i++;
    }
    if (i >= n) return false;
    i++;
  } else {
    while (i < n && s[i] != ':') {
      unsigned char c = (unsigned char)s[i];
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~'))
        return false;
      i++;
    }
    if (i == 0) return false;
  }
  if (i == n) return true;
  if (s[i] != ':') return false;
  size_t digits = 0;
  for (i++; i < n; i++, digits++)
    if (s[i] < '0' || s[i] > '9' || digits >= 5) return false;
  return true;
}

/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
bool hw_valid_scheme(const char *s, size_t n) {
  if (n == 0 || n > 64) return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alpha && (i == 0 || !((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')))
      return false;
  }
  return true;
}

/* ---- field maps ---- */

hw_fieldmap *hw_map_new(void) {
  hw_fieldmap *m = calloc(1, sizeof *m);
  if (m) m->refs = 1;
  return m;
}

static void field_free(hw_field *f) {
  free(f->name);
  free(f->val);
}

void hw_map_unref(hw_fieldmap *m) {
  if (!m || --m->refs > 0) return;
  for (size_t i = 0; i < m->n; i++) field_free(&m->v[i]);
  free(m->v);
  free(m);
}

bool hw_map_add(hw_fieldmap *m, const char *name, size_t nlen, const uint8_t *val,
                size_t vlen) {
  if (m->n >= HW_MAX_FIELDS) return false;
  if (m->n >= m->cap) {
    size_t cap = m->cap ? m->cap * 2 : 8;
    hw_field *v = realloc(m->v, cap * sizeof *v);
    if (!v) return false;
    m->v = v;
    m->cap = cap;
  }
  hw_field f = {malloc(nlen + 1), nlen, malloc(vlen ? vlen : 1), vlen};
  if (!f.name || !f.val) {
    field_free(&f);
    return false;
  }
  for (size_t i = 0; i < nlen; i++)
    f.name[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
  f.name[nlen] = 0;
  if (vlen) memcpy(f.val, val, vlen);
  m->v[m->n++] = f;
  return true;
}

hw_fieldmap *hw_map_clone(const hw_fieldmap *m) {
  hw_fieldmap *c = hw_map_new();
  for (size_t i = 0; c && m && i < m->n; i++)
    if (!hw_map_add(c, m->v[i].name, m->v[i].nlen, m->v[i].val, m->v[i].vlen)) {
      hw_map_unref(c);
      return NULL;
    }
  return c;
}

static bool name_is(const hw_field *f, const char *name, size_t n) {
  return f->nlen == n && strncasecmp(f->name, name, n) == 0;
}

const hw_field *hw_map_find(const hw_fieldmap *m, const char *name) {
  size_t n = strlen(name);
  for (size_t i = 0; m && i < m->n; i++)
    if (name_is(&m->v[i], name, n)) return &m->v[i];
  return NULL;
}

static void map_remove(hw_fieldmap *m, const char *name, size_t n) {
  size_t k = 0;
  for (size_t i = 0; i < m->n; i++) {
    if (name_is(&m->v[i], name, n)) field_free(&m->v[i]);
    else m->v[k++] = m->v[i];
  }
  m->n = k;
}

/* ---- the fields resource ---- */

static wasm_status header_error(cm_val *res, uint32_t code, wasm_error *err) {
  cm_val e;
  if (!cm_val_case(&e, CM_VARIANT, code, NULL)) return hw_nomem(err);
  return hw_err_result(res, &e, err);
}

/* The checks of set/append/delete in wasmtime's order: immutable, name
 * syntax, forbidden name. -1: fine, else a header-error. */
static int name_check(const hw_fieldmap *m, const cm_val *name) {
  if (m->frozen) return HH_IMMUTABLE;
  if (!hw_is_token(name->of.str.ptr, name->of.str.len)) return HH_INVALID;
  if (hw_forbidden(name->of.str.ptr, name->of.str.len)) return HH_FORBIDDEN;
  return -1;
}

/* A list<u8> argument's bytes (malloc'ed). */
static uint8_t *arg_bytes(const cm_val *v, size_t *n) {
  size_t len = v->kind == CM_LIST ? v->of.list.n : 0;
  uint8_t *p = malloc(len ? len : 1);
  *n = 0;
  if (!p) return NULL;
  for (size_t i = 0; i < len; i++) p[i] = (uint8_t)v->of.list.elems[i].of.u;
  *n = len;
  return p;
}

#define FIELDS_SELF(h, a, err)                                   \
  hw_slot *s_ = hw_get(h, HW_FIELDS, &(a)[0], NULL, err);        \
  if (!s_) return WASM_TRAP;                                     \
  hw_fieldmap *m = s_->p

static wasm_status fields_new(void *env, cm_instance *caller, const cm_val *a, size_t n,
                              cm_val *res, wasm_error *err) {
  hw_fieldmap *m = hw_map_new();
  if (!m) return hw_nomem(err);
  return hw_new(env, HW_FIELDS, m, res, err);
}

static wasm_status fields_from_list(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                    cm_val *res, wasm_error *err) {
  hw_fieldmap *m = hw_map_new();
  if (!m) return hw_nomem(err);
  const cm_val *l = &a[0];
  for (size_t i = 0; i < l->of.list.n; i++) {
    const cm_val *t = &l->of.list.elems[i];
    const cm_val *name = &t->of.list.elems[0];
    int code = name_check(m, name);
    size_t vlen;
    uint8_t *val = code < 0 ? arg_bytes(&t->of.list.elems[1], &vlen) : NULL;
    if (code < 0 && !val) {
      hw_map_unref(m);
      return hw_nomem(err);
    }
    if (code < 0 && !hw_valid_value(val, vlen)) code = HH_INVALID;
    if (code < 0 && !hw_map_add(m, name->of.str.ptr, name->of.str.len, val, vlen)) code = HH_INVALID;
    free(val);
    if (code >= 0) {
      hw_map_unref(m);
      return header_error(res, (uint32_t)code, err);
    }
  }
  cm_val f;
  wasm_status st = hw_new(env, HW_FIELDS, m, &f, err);
  return st ? st : hw_ok(res, &f, err);
}

static wasm_status fields_get(void *env, cm_instance *caller, const cm_val *a, size_t n,
                              cm_val *res, wasm_error *err) {
  FIELDS_SELF(env, a, err);
  const cm_val *name = &a[1];
  size_t k = 0;
  for (size_t i = 0; i < m->n; i++) k += name_is(&m->v[i], name->of.str.ptr, name->of.str.len);
  if (!cm_val_agg(res, CM_LIST, k)) return hw_nomem(err);
  for (size_t i = 0, j = 0; i < m->n; i++)
    if (name_is(&m->v[i], name->of.str.ptr, name->of.str.len) &&
        !cm_val_bytes(&res->of.list.elems[j++], m->v[i].val, m->v[i].vlen))
      return hw_nomem(err);
  return WASM_OK;
}

static wasm_status fields_has(void *env, cm_instance *caller, const cm_val *a, size_t n,
                              cm_val *res, wasm_error *err) {
  FIELDS_SELF(env, a, err);
  bool found = false;
  for (size_t i = 0; i < m->n && !found; i++)
    found = name_is(&m->v[i], a[1].of.str.ptr, a[1].of.str.len);
  *res = (cm_val){.kind = CM_BOOL, .of.b = found};
  return WASM_OK;
}

static wasm_status fields_set(void *env, cm_instance *caller, const cm_val *a, size_t n,
                              cm_val *res, wasm_error *err) {
  FIELDS_SELF(env, a, err);
  int code = name_check(m, &a[1]);
  if (code >= 0) return header_error(res, (uint32_t)code, err);
  const cm_val *vals = &a[2];
  for (size_t i = 0; i < vals->of.list.n; i++) {
    const cm_val *v = &vals->of.list.elems[i];
    bool ok = v->of.list.n <= HW_MAX_FIELD_BYTES;
    for (size_t j = 0; ok && j < v->of.list.n; j++) {
      uint8_t b = (uint8_t)v->of.list.elems[j].of.u;
      ok = !((b < 0x20 && b != '\t') || b == 0x7f);
    }
    if (!ok) return header_error(res, HH_INVALID, err);
  }
  if (m->n + vals->of.list.n > HW_MAX_FIELDS) return header_error(res, HH_INVALID, err);
  /* the new values take the place of the name's first entry */
  const char *name = a[1].of.str.ptr;
  size_t nlen = a[1].of.str.len, k = vals->of.list.n;
  hw_field *out = malloc((m->n + k + 1) * sizeof *out);
  hw_fieldmap *add = hw_map_new();
  bool ok = out && add;
  for (size_t i = 0; ok && i < k; i++) {
    size_t vlen;
    uint8_t *val = arg_bytes(&vals->of.list.elems[i], &vlen);
    ok = val && hw_map_add(add, name, nlen, val, vlen);
    free(val);
  }
  if (!ok) {
    free(out);
    hw_map_unref(add);
    return hw_nomem(err);
  }
  size_t cnt = 0;
  bool placed = false;
  for (size_t i = 0; i < m->n; i++) {
    if (!name_is(&m->v[i], name, nlen)) {
      out[cnt++] = m->v[i];
      continue;
    }
    field_free(&m->v[i]);
    if (!placed) {
      for (size_t j = 0; j < add->n; j++) out[cnt++] = add->v[j];
      placed = true;
    }
  }
  if (!placed)
    for (size_t j = 0; j < add->n; j++) out[cnt++] = add->v[j];
  add->n = 0; /* its entries moved */
  hw_map_unref(add);
  free(m->v);
  m->v = out;
  m->n = cnt;
  m->cap = cnt + 1;
  return hw_ok(res, NULL, err);
}

static wasm_status fields_delete(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                 cm_val *res, wasm_error *err) {
  FIELDS_SELF(env, a, err);
  int code = name_check(m, &a[1]);
  if (code >= 0) return header_error(res, (uint32_t)code, err);
  map_remove(m, a[1].of.str.ptr, a[1].of.str.len);
  return hw_ok(res, NULL, err);
}

static wasm_status fields_append(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                 cm_val *res, wasm_error *err) {
  FIELDS_SELF(env, a, err);
  int code = name_check(m, &a[1]);
  if (code >= 0) return header_error(res, (uint32_t)code, err);
  size_t vlen;
  uint8_t *val = arg_bytes(&a[2], &vlen);
  if (!val) return hw_nomem(err);
  if (!hw_valid_value(val, vlen) || m->n >= HW_MAX_FIELDS) {
    free(val);
    return header_error(res, HH_INVALID, err);
  }
  bool ok = hw_map_add(m, a[1].of.str.ptr, a[1].of.str.len, val, vlen);
  free(val);
  return ok ? hw_ok(res, NULL, err) : hw_nomem(err);
}

static wasm_status fields_entries(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                  cm_val *res, wasm_error *err) {
  FIELDS_SELF(env, a, err);
  if (!cm_val_agg(res, CM_LIST, m->n)) return hw_nomem(err);
  for (size_t i = 0; i < m->n; i++) {
    cm_val *t = &res->of.list.elems[i];
    if (!cm_val_agg(t, CM_TUPLE, 2) || !cm_val_string(&t->of.list.elems[0], m->v[i].name, m->v[i].nlen) ||
        !cm_val_bytes(&t->of.list.elems[1], m->v[i].val, m->v[i].vlen))
      return hw_nomem(err);
  }
  return WASM_OK;
}

static wasm_status fields_clone(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                cm_val *res, wasm_error *err) {
  FIELDS_SELF(env, a, err);
  hw_fieldmap *c = hw_map_clone(m);
  if (!c) return hw_nomem(err);
  return hw_new(env, HW_FIELDS, c, res, err);
}

/* The functions of the fields resource (http_wasi_types.c registers
 * them with the rest of wasi:http/types). */
const hw_fn hw_fields_fns[] = {
    {"[constructor]fields", fields_new},
    {"[static]fields.from-list", fields_from_list},
    {"[method]fields.get", fields_get},
    {"[method]fields.has", fields_has},
    {"[method]fields.set", fields_set},
    {"[method]fields.delete", fields_delete},
    {"[method]fields.append", fields_append},
    {"[method]fields.entries", fields_entries},
    {"[method]fields.clone", fields_clone},
};
const size_t hw_nfields_fns = sizeof hw_fields_fns / sizeof hw_fields_fns[0];
