/* http_wasi_types.c: wasi:http/types 0.2 except fields
 * (http_wasi_fields.c): incoming and outgoing requests and responses,
 * request-options, response-outparam, incoming and outgoing bodies (their
 * streams are in http_wasi_body.c), future-trailers, http-error-code, and
 * the interface's WIT text and registration. */
#include <stdlib.h>
#include <string.h>

#include "http/http_wasi_internal.h"

#define SELF(kind, type, var)                                  \
  hw_slot *s_ = hw_get(env, kind, &a[0], NULL, err);           \
  if (!s_) return WASM_TRAP;                                   \
  type *var = s_->p

/* result with no payloads: ok or err */
static wasm_status unit_result(cm_val *res, bool ok, wasm_error *err) {
  return cm_val_case(res, CM_RESULT, ok ? 0 : 1, NULL) ? WASM_OK : hw_nomem(err);
}

static wasm_status opt_string(cm_val *res, bool has, const char *s, wasm_error *err) {
  if (!has || !s) return cm_val_case(res, CM_OPTION, 0, NULL) ? WASM_OK : hw_nomem(err);
  cm_val v;
  if (!cm_val_string(&v, s, strlen(s))) return hw_nomem(err);
  return cm_val_case(res, CM_OPTION, 1, &v) ? WASM_OK : hw_nomem(err);
}

static wasm_status method_of(const hw_msg *m, cm_val *res, wasm_error *err) {
  if (m->method < 9) return cm_val_case(res, CM_VARIANT, m->method, NULL) ? WASM_OK : hw_nomem(err);
  cm_val s;
  const char *o = m->method_other ? m->method_other : "";
  if (!cm_val_string(&s, o, strlen(o))) return hw_nomem(err);
  return cm_val_case(res, CM_VARIANT, 9, &s) ? WASM_OK : hw_nomem(err);
}

static wasm_status scheme_of(const hw_msg *m, cm_val *res, wasm_error *err) {
  if (!m->has_scheme) return cm_val_case(res, CM_OPTION, 0, NULL) ? WASM_OK : hw_nomem(err);
  cm_val v;
  if (m->scheme < 2) {
    if (!cm_val_case(&v, CM_VARIANT, m->scheme, NULL)) return hw_nomem(err);
  } else {
    cm_val s;
    const char *o = m->scheme_other ? m->scheme_other : "";
    if (!cm_val_string(&s, o, strlen(o)) || !cm_val_case(&v, CM_VARIANT, 2, &s)) return hw_nomem(err);
  }
  return cm_val_case(res, CM_OPTION, 1, &v) ? WASM_OK : hw_nomem(err);
}

/* A fields handle sharing m's headers (immutable once m is). */
static wasm_status headers_of(http_wasi *h, hw_msg *m, cm_val *res, wasm_error *err) {
  if (!m->headers && !(m->headers = hw_map_new())) return hw_nomem(err);
  m->headers->refs++;
  return hw_new(h, HW_FIELDS, m->headers, res, err);
}

/* A body handle (once): result<incoming-body> / result<outgoing-body>. */
static wasm_status body_of(http_wasi *h, hw_msg *m, hw_kind k, cm_val *res, wasm_error *err) {
  if (m->body_taken) return unit_result(res, false, err);
  m->body_taken = true;
  hw_msg_ref(m);
  cm_val b;
  wasm_status st = hw_new(h, k, m, &b, err);
  return st ? st : hw_ok(res, &b, err);
}

/* The field map an own fields handle gives a new message: its own, or a
 * copy when shared or immutable. */
static wasm_status take_map(http_wasi *h, const cm_val *v, hw_fieldmap **out, wasm_error *err) {
  void *p;
  wasm_status st = hw_take(h, HW_FIELDS, v, &p, err);
  if (st) return st;
  hw_fieldmap *m = p;
  if (m->frozen || m->refs > 1) {
    hw_fieldmap *c = hw_map_clone(m);
    hw_map_unref(m);
    if (!c) return hw_nomem(err);
    m = c;
  }
  *out = m;
  return WASM_OK;
}

/* ---- incoming-request ---- */

static wasm_status inreq_method(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                cm_val *res, wasm_error *err) {
  SELF(HW_IN_REQ, hw_msg, m);
  return method_of(m, res, err);
}
static wasm_status inreq_path(void *env, cm_instance *caller, const cm_val *a, size_t n,
                              cm_val *res, wasm_error *err) {
  SELF(HW_IN_REQ, hw_msg, m);
  return opt_string(res, m->has_path, m->path, err);
}
static wasm_status inreq_scheme(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                cm_val *res, wasm_error *err) {
  SELF(HW_IN_REQ, hw_msg, m);
  return scheme_of(m, res, err);
}
static wasm_status inreq_authority(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                   cm_val *res, wasm_error *err) {
  SELF(HW_IN_REQ, hw_msg, m);
  return opt_string(res, m->has_authority, m->authority, err);
}
static wasm_status inreq_headers(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                 cm_val *res, wasm_error *err) {
  SELF(HW_IN_REQ, hw_msg, m);
  return headers_of(env, m, res, err);
}
static wasm_status inreq_consume(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                 cm_val *res, wasm_error *err) {
  SELF(HW_IN_REQ, hw_msg, m);
  return body_of(env, m, HW_IN_BODY, res, err);
}

/* ---- outgoing-request ---- */

static wasm_status outreq_new(void *env, cm_instance *caller, const cm_val *a, size_t n,
                              cm_val *res, wasm_error *err) {
  hw_fieldmap *map;
  wasm_status st = take_map(env, &a[0], &map, err);
  if (st) return st;
  hw_msg *m = hw_msg_new(env, HW_MSG_OUT_REQ);
  if (!m) {
    hw_map_unref(map);
    return hw_nomem(err);
  }
  m->headers = map;
  m->method = 0; /* GET */
  return hw_new(env, HW_OUT_REQ, m, res, err);
}
static wasm_status outreq_body(void *env, cm_instance *caller, const cm_val *a, size_t n,
                               cm_val *res, wasm_error *err) {
  SELF(HW_OUT_REQ, hw_msg, m);
  return body_of(env, m, HW_OUT_BODY, res, err);
}
static wasm_status outreq_method(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                 cm_val *res, wasm_error *err) {
  SELF(HW_OUT_REQ, hw_msg, m);
  return method_of(m, res, err);
}
static wasm_status outreq_set_method(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                     cm_val *res, wasm_error *err) {
  SELF(HW_OUT_REQ, hw_msg, m);
  uint32_t d = a[1].of.variant.disc;
  char *other = NULL;
  if (d >= 9) {
    const cm_val *s = a[1].of.variant.payload;
    if (!s || !hw_is_token(s->of.str.ptr, s->of.str.len)) return unit_result(res, false, err);
    if (!(other = strndup(s->of.str.ptr, s->of.str.len))) return hw_nomem(err);
    d = 9;
  }
  free(m->method_other);
  m->method_other = other;
  m->method = (uint8_t)d;
  return unit_result(res, true, err);
}
static wasm_status outreq_path(void *env, cm_instance *caller, const cm_val *a, size_t n,
                               cm_val *res, wasm_error *err) {
  SELF(HW_OUT_REQ, hw_msg, m);
  return opt_string(res, m->has_path, m->path, err);
}

/* option<string> setters: valid(s) decides; none clears. */
static wasm_status set_opt_string(const cm_val *v, bool (*valid)(const char *, size_t),
                                  bool *has, char **field, cm_val *res, wasm_error *err) {
  if (v->of.variant.disc == 0) {
    free(*field);
    *field = NULL;
    *has = false;
    return unit_result(res, true, err);
  }
  const cm_val *s = v->of.variant.payload;
  if (!s || !valid(s->of.str.ptr, s->of.str.len)) return unit_result(res, false, err);
  char *c = strndup(s->of.str.ptr, s->of.str.len);
  if (!c) return hw_nomem(err);
  free(*field);
  *field = c;
  *has = true;
  return unit_result(res, true, err);
}

static wasm_status outreq_set_path(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                   cm_val *res, wasm_error *err) {
  SELF(HW_OUT_REQ, hw_msg, m);
  return set_opt_string(&a[1], hw_valid_path, &m->has_path, &m->path, res, err);
}
static wasm_status outreq_scheme(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                 cm_val *res, wasm_error *err) {
  SELF(HW_OUT_REQ, hw_msg, m);
  return scheme_of(m, res, err);
}
static wasm_status outreq_set_scheme(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                     cm_val *res, wasm_error *err) {
  SELF(HW_OUT_REQ, hw_msg, m);
  if (a[1].of.variant.disc == 0) {
    m->has_scheme = false;
    return unit_result(res, true, err);
  }
  const cm_val *v = a[1].of.variant.payload;
  uint32_t d = v->of.variant.disc;
  char *other = NULL;
  if (d >= 2) {
    const cm_val *s = v->of.variant.payload;
    if (!s || !hw_valid_scheme(s->of.str.ptr, s->of.str.len)) return unit_result(res, false, err);
    if (!(other = strndup(s->of.str.ptr, s->of.str.len))) return hw_nomem(err);
    d = 2;
  }
  free(m->scheme_other);
  m->scheme_other = other;
  m->scheme = (uint8_t)d;
  m->has_scheme = true;
  return unit_result(res, true, err);
}
static wasm_status outreq_authority(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                    cm_val *res, wasm_error *err) {
  SELF(HW_OUT_REQ, hw_msg, m);
  return opt_string(res, m->has_authority, m->authority, err);
}
static wasm_status outreq_set_authority(void *env, cm_instance *caller, const cm_val *a,
                                        size_t n, cm_val *res, wasm_error *err) {
  SELF(HW_OUT_REQ, hw_msg, m);
  return set_opt_string(&a[1], hw_valid_authority, &m->has_authority, &m->authority, res, err);
}
static wasm_status outreq_headers(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                  cm_val *res, wasm_error *err) {
  SELF(HW_OUT_REQ, hw_msg, m);
  return headers_of(env, m, res, err);
}

/* ---- request-options ---- */

static wasm_status opts_new(void *env, cm_instance *caller, const cm_val *a, size_t n,
                            cm_val *res, wasm_error *err) {
  hw_options *o = calloc(1, sizeof *o);
  if (!o) return hw_nomem(err);
  return hw_new(env, HW_OPTIONS, o, res, err);
}

static wasm_status opts_get(void *env, const cm_val *a, int i, cm_val *res, wasm_error *err) {
  SELF(HW_OPTIONS, hw_options, o);
  if (!o->has[i]) return cm_val_case(res, CM_OPTION, 0, NULL) ? WASM_OK : hw_nomem(err);
  cm_val v = {.kind = CM_U64, .of.u = o->ns[i]};
  return cm_val_case(res, CM_OPTION, 1, &v) ? WASM_OK : hw_nomem(err);
}

static wasm_status opts_set(void *env, const cm_val *a, int i, cm_val *res, wasm_error *err) {
  SELF(HW_OPTIONS, hw_options, o);
  o->has[i] = a[1].of.variant.disc == 1;
  o->ns[i] = o->has[i] ? a[1].of.variant.payload->of.u : 0;
  return unit_result(res, true, err);
}

#define OPTS(i, get, set)                                                                    \
  static wasm_status get(void *env, cm_instance *caller, const cm_val *a, size_t n,          \
                         cm_val *res, wasm_error *err) {                                     \
    return opts_get(env, a, i, res, err);                                                    \
  }                                                                                          \
  static wasm_status set(void *env, cm_instance *caller, const cm_val *a, size_t n,          \
                         cm_val *res, wasm_error *err) {                                     \
    return opts_set(env, a, i, res, err);                                                    \
  }
OPTS(0, opts_connect, opts_set_connect)
OPTS(1, opts_first_byte, opts_set_first_byte)
OPTS(2, opts_between, opts_set_between)

/* ---- response-outparam ---- */

static wasm_status outparam_set(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                cm_val *res, wasm_error *err) {
  http_wasi *h = env;
  void *ignored;
  wasm_status st = hw_take(h, HW_OUTPARAM, &a[0], &ignored, err);
  if (st) return st;
  if (!h->out.live || h->out.set) return hw_trap(err, "wasi:http: response-outparam used twice");
  const cm_val *r = &a[1];
  if (r->of.variant.disc == 1) {
    h->out.set = h->out.is_err = true;
    hw_err_from_val(r->of.variant.payload, &h->out.err);
    return WASM_OK;
  }
  void *p;
  if ((st = hw_take(h, HW_OUT_RESP, r->of.variant.payload, &p, err))) return st;
  hw_msg *m = p;
  m->given_away = true;
  if (m->headers) m->headers->frozen = true;
  h->out.set = true;
  h->out.resp = m; /* the reference moves here */
  hw_response_flush(h, m); /* the head goes out now */
  return WASM_OK;
}

/* ---- incoming-response ---- */

static wasm_status inresp_status(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                 cm_val *res, wasm_error *err) {
  SELF(HW_IN_RESP, hw_msg, m);
  *res = (cm_val){.kind = CM_U16, .of.u = m->status};
  return WASM_OK;
}
static wasm_status inresp_headers(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                  cm_val *res, wasm_error *err) {
  SELF(HW_IN_RESP, hw_msg, m);
  return headers_of(env, m, res, err);
}
static wasm_status inresp_consume(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                  cm_val *res, wasm_error *err) {
  SELF(HW_IN_RESP, hw_msg, m);
  return body_of(env, m, HW_IN_BODY, res, err);
}

/* ---- incoming-body, future-trailers ---- */

static wasm_status inbody_stream(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                 cm_val *res, wasm_error *err) {
  SELF(HW_IN_BODY, hw_msg, m);
  if (m->stream_taken) return unit_result(res, false, err);
  m->stream_taken = true;
  cm_val s;
  wasm_status st = hw_body_input_stream(env, m, &s, err);
  return st ? st : hw_ok(res, &s, err);
}

static wasm_status inbody_finish(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                 cm_val *res, wasm_error *err) {
  void *p;
  wasm_status st = hw_take(env, HW_IN_BODY, &a[0], &p, err);
  if (st) return st;
  return hw_new(env, HW_FUT_TRAILERS, p, res, err); /* the body's reference moves */
}

static wasm_status trailers_subscribe(void *env, cm_instance *caller, const cm_val *a,
                                      size_t n, cm_val *res, wasm_error *err) {
  SELF(HW_FUT_TRAILERS, hw_msg, m);
  return hw_trailers_pollable(env, m, res, err);
}

/* option<result<result<option<trailers>, error-code>>> */
static wasm_status trailers_get(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                cm_val *res, wasm_error *err) {
  SELF(HW_FUT_TRAILERS, hw_msg, m);
  cm_val outer, inner, v;
  if (m->trailers_got) {
    if (!cm_val_case(&outer, CM_RESULT, 1, NULL)) return hw_nomem(err);
    return cm_val_case(res, CM_OPTION, 1, &outer) ? WASM_OK : hw_nomem(err);
  }
  if (!hw_trailers_ready(m)) return cm_val_case(res, CM_OPTION, 0, NULL) ? WASM_OK : hw_nomem(err);
  m->trailers_got = true;
  if (m->xfer && m->xfer->failed) {
    cm_val e;
    if (!hw_err_val(&m->xfer->err, &e) || !cm_val_case(&inner, CM_RESULT, 1, &e)) return hw_nomem(err);
  } else {
    if (m->trailers && m->trailers->n) {
      cm_val f;
      m->trailers->refs++;
      m->trailers->frozen = true;
      wasm_status st = hw_new(env, HW_FIELDS, m->trailers, &f, err);
      if (st) return st;
      if (!cm_val_case(&v, CM_OPTION, 1, &f)) return hw_nomem(err);
    } else if (!cm_val_case(&v, CM_OPTION, 0, NULL)) {
      return hw_nomem(err);
    }
    if (!cm_val_case(&inner, CM_RESULT, 0, &v)) return hw_nomem(err);
  }
  if (!cm_val_case(&outer, CM_RESULT, 0, &inner)) return hw_nomem(err);
  return cm_val_case(res, CM_OPTION, 1, &outer) ? WASM_OK : hw_nomem(err);
}

/* ---- outgoing-response ---- */

static wasm_status outresp_new(void *env, cm_instance *caller, const cm_val *a, size_t n,
                               cm_val *res, wasm_error *err) {
  hw_fieldmap *map;
  wasm_status st = take_map(env, &a[0], &map, err);
  if (st) return st;
  hw_msg *m = hw_msg_new(env, HW_MSG_OUT_RESP);
  if (!m) {
    hw_map_unref(map);
    return hw_nomem(err);
  }
  m->headers = map;
  m->status = 200;
  return hw_new(env, HW_OUT_RESP, m, res, err);
}
static wasm_status outresp_status(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                  cm_val *res, wasm_error *err) {
  SELF(HW_OUT_RESP, hw_msg, m);
  *res = (cm_val){.kind = CM_U16, .of.u = m->status};
  return WASM_OK;
}
static wasm_status outresp_set_status(void *env, cm_instance *caller, const cm_val *a,
                                      size_t n, cm_val *res, wasm_error *err) {
  SELF(HW_OUT_RESP, hw_msg, m);
  uint64_t s = a[1].of.u;
  if (s < 100 || s > 999) return unit_result(res, false, err);
  m->status = (uint16_t)s;
  return unit_result(res, true, err);
}
static wasm_status outresp_headers(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                   cm_val *res, wasm_error *err) {
  SELF(HW_OUT_RESP, hw_msg, m);
  return headers_of(env, m, res, err);
}
static wasm_status outresp_body(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                cm_val *res, wasm_error *err) {
  SELF(HW_OUT_RESP, hw_msg, m);
  return body_of(env, m, HW_OUT_BODY, res, err);
}

/* ---- outgoing-body ---- */

static wasm_status outbody_write(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                 cm_val *res, wasm_error *err) {
  SELF(HW_OUT_BODY, hw_msg, m);
  if (m->stream_taken) return unit_result(res, false, err);
  m->stream_taken = true;
  cm_val s;
  wasm_status st = hw_body_output_stream(env, m, &s, err);
  return st ? st : hw_ok(res, &s, err);
}

static wasm_status outbody_finish(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                  cm_val *res, wasm_error *err) {
  void *p;
  wasm_status st = hw_take(env, HW_OUT_BODY, &a[0], &p, err);
  if (st) return st;
  hw_msg *m = p;
  hw_fieldmap *trailers = NULL;
  if (a[1].of.variant.disc == 1 && (st = take_map(env, a[1].of.variant.payload, &trailers, err))) {
    hw_msg_unref(m);
    return st;
  }
  hw_err fail = {0};
  st = hw_body_finish(env, m, trailers, &fail);
  hw_msg_unref(m);
  if (st) {
    hw_err_clear(&fail);
    return st;
  }
  if (fail.code || fail.str || fail.has_num) {
    cm_val e;
    bool ok = hw_err_val(&fail, &e);
    hw_err_clear(&fail);
    return ok ? hw_err_result(res, &e, err) : hw_nomem(err);
  }
  return hw_ok(res, NULL, err);
}

/* ---- http-error-code ---- */

static wasm_status http_error_code(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                   cm_val *res, wasm_error *err) {
  http_wasi *h = env;
  uint64_t i;
  if (!wasi2_error_code(h->w, &a[0], h, &i) || i >= h->nerrs)
    return cm_val_case(res, CM_OPTION, 0, NULL) ? WASM_OK : hw_nomem(err);
  cm_val e;
  if (!hw_err_val(&h->errs[i], &e)) return hw_nomem(err);
  return cm_val_case(res, CM_OPTION, 1, &e) ? WASM_OK : hw_nomem(err);
}

/* ---- the interface ---- */

/* duration is written u64: `use`d value types are matched by kind only
 * where their own interface defines them. */
static const char WIT_TYPES[] =
    "interface types {\n"
    "  use wasi:clocks/monotonic-clock@0.2.12.{duration};\n"
    "  use wasi:io/streams@0.2.12.{input-stream, output-stream};\n"
    "  use wasi:io/error@0.2.12.{error as io-error};\n"
    "  use wasi:io/poll@0.2.12.{pollable};\n"
    "  variant method { get, head, post, put, delete, connect, options, trace, patch,\n"
    "    other(string) }\n"
    "  variant scheme { HTTP, HTTPS, other(string) }\n"
    "  variant error-code {\n"
    "    DNS-timeout, DNS-error(DNS-error-payload), destination-not-found,\n"
    "    destination-unavailable, destination-IP-prohibited, destination-IP-unroutable,\n"
    "    connection-refused, connection-terminated, connection-timeout,\n"
    "    connection-read-timeout, connection-write-timeout, connection-limit-reached,\n"
    "    TLS-protocol-error, TLS-certificate-error,\n"
    "    TLS-alert-received(TLS-alert-received-payload), HTTP-request-denied,\n"
    "    HTTP-request-length-required, HTTP-request-body-size(option<u64>),\n"
    "    HTTP-request-method-invalid, HTTP-request-URI-invalid, HTTP-request-URI-too-long,\n"
    "    HTTP-request-header-section-size(option<u32>),\n"
    "    HTTP-request-header-size(option<field-size-payload>),\n"
    "    HTTP-request-trailer-section-size(option<u32>),\n"
    "    HTTP-request-trailer-size(field-size-payload), HTTP-response-incomplete,\n"
    "    HTTP-response-header-section-size(option<u32>),\n"
    "    HTTP-response-header-size(field-size-payload),\n"
    "    HTTP-response-body-size(option<u64>),\n"
    "    HTTP-response-trailer-section-size(option<u32>),\n"
    "    HTTP-response-trailer-size(field-size-payload),\n"
    "    HTTP-response-transfer-coding(option<string>),\n"
    "    HTTP-response-content-coding(option<string>), HTTP-response-timeout,\n"
    "    HTTP-upgrade-failed, HTTP-protocol-error, loop-detected, configuration-error,\n"
    "    internal-error(option<string>)\n"
    "  }\n"
    "  record DNS-error-payload { rcode: option<string>, info-code: option<u16> }\n"
    "  record TLS-alert-received-payload { alert-id: option<u8>, alert-message: option<string> }\n"
    "  record field-size-payload { field-name: option<string>, field-size: option<u32> }\n"
    "  http-error-code: func(err: borrow<io-error>) -> option<error-code>;\n"
    "  variant header-error { invalid-syntax, forbidden, immutable }\n"
    "  type field-key = string;\n"
    "  type field-name = field-key;\n"
    "  type field-value = list<u8>;\n"
    "  resource fields {\n"
    "    constructor();\n"
    "    from-list: static func(entries: list<tuple<field-name, field-value>>)\n"
    "      -> result<fields, header-error>;\n"
    "    get: func(name: field-name) -> list<field-value>;\n"
    "    has: func(name: field-name) -> bool;\n"
    "    set: func(name: field-name, value: list<field-value>) -> result<_, header-error>;\n"
    "    delete: func(name: field-name) -> result<_, header-error>;\n"
    "    append: func(name: field-name, value: field-value) -> result<_, header-error>;\n"
    "    entries: func() -> list<tuple<field-name, field-value>>;\n"
    "    clone: func() -> fields;\n"
    "  }\n"
    "  type headers = fields;\n"
    "  type trailers = fields;\n"
    "  resource incoming-request {\n"
    "    method: func() -> method;\n"
    "    path-with-query: func() -> option<string>;\n"
    "    scheme: func() -> option<scheme>;\n"
    "    authority: func() -> option<string>;\n"
    "    headers: func() -> headers;\n"
    "    consume: func() -> result<incoming-body>;\n"
    "  }\n"
    "  resource outgoing-request {\n"
    "    constructor(headers: headers);\n"
    "    body: func() -> result<outgoing-body>;\n"
    "    method: func() -> method;\n"
    "    set-method: func(method: method) -> result;\n"
    "    path-with-query: func() -> option<string>;\n"
    "    set-path-with-query: func(path-with-query: option<string>) -> result;\n"
    "    scheme: func() -> option<scheme>;\n"
    "    set-scheme: func(scheme: option<scheme>) -> result;\n"
    "    authority: func() -> option<string>;\n"
    "    set-authority: func(authority: option<string>) -> result;\n"
    "    headers: func() -> headers;\n"
    "  }\n"
    "  resource request-options {\n"
    "    constructor();\n"
    "    connect-timeout: func() -> option<u64>;\n"
    "    set-connect-timeout: func(duration: option<u64>) -> result;\n"
    "    first-byte-timeout: func() -> option<u64>;\n"
    "    set-first-byte-timeout: func(duration: option<u64>) -> result;\n"
    "    between-bytes-timeout: func() -> option<u64>;\n"
    "    set-between-bytes-timeout: func(duration: option<u64>) -> result;\n"
    "  }\n"
    "  resource response-outparam {\n"
    "    set: static func(param: response-outparam,\n"
    "      response: result<outgoing-response, error-code>);\n"
    "  }\n"
    "  type status-code = u16;\n"
    "  resource incoming-response {\n"
    "    status: func() -> status-code;\n"
    "    headers: func() -> headers;\n"
    "    consume: func() -> result<incoming-body>;\n"
    "  }\n"
    "  resource incoming-body {\n"
    "    %stream: func() -> result<input-stream>;\n"
    "    finish: static func(this: incoming-body) -> future-trailers;\n"
    "  }\n"
    "  resource future-trailers {\n"
    "    subscribe: func() -> pollable;\n"
    "    get: func() -> option<result<result<option<trailers>, error-code>>>;\n"
    "  }\n"
    "  resource outgoing-response {\n"
    "    constructor(headers: headers);\n"
    "    status-code: func() -> status-code;\n"
    "    set-status-code: func(status-code: status-code) -> result;\n"
    "    headers: func() -> headers;\n"
    "    body: func() -> result<outgoing-body>;\n"
    "  }\n"
    "  resource outgoing-body {\n"
    "    write: func() -> result<output-stream>;\n"
    "    finish: static func(this: outgoing-body, trailers: option<trailers>)\n"
    "      -> result<_, error-code>;\n"
    "  }\n"
    "  resource future-incoming-response {\n"
    "    subscribe: func() -> pollable;\n"
    "    get: func() -> option<result<result<incoming-response, error-code>>>;\n"
    "  }\n"
    "}\n";

/* future-incoming-response's functions are in http_wasi_out.c. */
wasm_status hw_future_subscribe(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                cm_val *res, wasm_error *err);
wasm_status hw_future_get(void *env, cm_instance *caller, const cm_val *a, size_t n,
                          cm_val *res, wasm_error *err);

static const hw_fn types_fns[] = {
    {"http-error-code", http_error_code},
    {"[method]incoming-request.method", inreq_method},
    {"[method]incoming-request.path-with-query", inreq_path},
    {"[method]incoming-request.scheme", inreq_scheme},
    {"[method]incoming-request.authority", inreq_authority},
    {"[method]incoming-request.headers", inreq_headers},
    {"[method]incoming-request.consume", inreq_consume},
    {"[constructor]outgoing-request", outreq_new},
    {"[method]outgoing-request.body", outreq_body},
    {"[method]outgoing-request.method", outreq_method},
    {"[method]outgoing-request.set-method", outreq_set_method},
    {"[method]outgoing-request.path-with-query", outreq_path},
    {"[method]outgoing-request.set-path-with-query", outreq_set_path},
    {"[method]outgoing-request.scheme", outreq_scheme},
    {"[method]outgoing-request.set-scheme", outreq_set_scheme},
    {"[method]outgoing-request.authority", outreq_authority},
    {"[method]outgoing-request.set-authority", outreq_set_authority},
    {"[method]outgoing-request.headers", outreq_headers},
    {"[constructor]request-options", opts_new},
    {"[method]request-options.connect-timeout", opts_connect},
    {"[method]request-options.set-connect-timeout", opts_set_connect},
    {"[method]request-options.first-byte-timeout", opts_first_byte},
    {"[method]request-options.set-first-byte-timeout", opts_set_first_byte},
    {"[method]request-options.between-bytes-timeout", opts_between},
    {"[method]request-options.set-between-bytes-timeout", opts_set_between},
    {"[static]response-outparam.set", outparam_set},
    {"[method]incoming-response.status", inresp_status},
    {"[method]incoming-response.headers", inresp_headers},
    {"[method]incoming-response.consume", inresp_consume},
    {"[method]incoming-body.stream", inbody_stream},
    {"[static]incoming-body.finish", inbody_finish},
    {"[method]future-trailers.subscribe", trailers_subscribe},
    {"[method]future-trailers.get", trailers_get},
    {"[constructor]outgoing-response", outresp_new},
    {"[method]outgoing-response.status-code", outresp_status},
    {"[method]outgoing-response.set-status-code", outresp_set_status},
    {"[method]outgoing-response.headers", outresp_headers},
    {"[method]outgoing-response.body", outresp_body},
    {"[method]outgoing-body.write", outbody_write},
    {"[static]outgoing-body.finish", outbody_finish},
    {"[method]future-incoming-response.subscribe", hw_future_subscribe},
    {"[method]future-incoming-response.get", hw_future_get},
};

#define NTYPES (sizeof types_fns / sizeof types_fns[0])

wasm_status hw_link_types(http_wasi *h, wasm_error *err) {
  static const char *const drops[] = {
#define HW_DROP(id, name) "[resource-drop]" name,
      HW_RESOURCE_LIST(HW_DROP)
#undef HW_DROP
  };
  size_t ndrops = sizeof drops / sizeof drops[0];
  size_t total = NTYPES + hw_nfields_fns + ndrops;
  cm_host_entry *e = calloc(total, sizeof *e);
  if (!e) return hw_fail(err, WASM_NOMEM, "out of memory");
  size_t k = 0;
  for (size_t i = 0; i < NTYPES; i++) e[k++] = (cm_host_entry){types_fns[i].name, types_fns[i].fn, NULL, h};
  for (size_t i = 0; i < hw_nfields_fns; i++)
    e[k++] = (cm_host_entry){hw_fields_fns[i].name, hw_fields_fns[i].fn, NULL, h};
  for (size_t i = 0; i < ndrops; i++) e[k++] = (cm_host_entry){drops[i], NULL, hw_dtor, h};
  wasm_status st =
      cm_linker_define_interface(h->l, "wasi:http/types@" HW_VERSION, WIT_TYPES, e, k, err);
  free(e);
  return st;
}
