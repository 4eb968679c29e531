/*
 * proto_json.c: canonical proto3 JSON for wasmcloud.runtime.v2, driven by
 * the tables tools/protogen generates from the .proto files. One generic
 * walk per direction: decode normalises JSON into the in-memory value of
 * stratus/cluster.h, encode writes that value the way protojson would.
 */
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto_tables.h"
#include "stratus/cluster.h"

#define PATH_MAX_LEN 512

static wasm_status fail(wasm_error *err, wasm_status st, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static wasm_status fail(wasm_error *err, wasm_status st, const char *path, const char *fmt, ...) {
  if (err) {
    err->status = st;
    int n = snprintf(err->message, sizeof err->message, "%s: ", path[0] ? path : "(message)");
    if (n < 0 || (size_t)n >= sizeof err->message) n = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message + n, sizeof err->message - (size_t)n, fmt, ap);
    va_end(ap);
  }
  return st;
}

static wasm_status nomem(wasm_error *err, const char *path) {
  return fail(err, WASM_NOMEM, path, "out of memory");
}

/* path + ".name" or path + "[i]" into out; truncated paths stay readable. */
static void path_field(char *out, const char *path, const char *name) {
  if (snprintf(out, PATH_MAX_LEN, "%s%s%s", path, path[0] ? "." : "", name) >= PATH_MAX_LEN)
    out[PATH_MAX_LEN - 1] = 0; /* a truncated path still names the start */
}
static void path_index(char *out, const char *path, size_t i) {
  if (snprintf(out, PATH_MAX_LEN, "%s[%zu]", path, i) >= PATH_MAX_LEN) out[PATH_MAX_LEN - 1] = 0;
}

/* ---- tables ---- */

const proto_message *proto_message_find(const char *name) {
  for (size_t i = 0; i < proto_message_count; i++) {
    const proto_message *m = proto_messages[i];
    if (!strcmp(m->name, name) || !strcmp(m->full_name, name)) return m;
  }
  return NULL;
}

const proto_field *proto_field_find(const proto_message *m, const char *name) {
  for (size_t i = 0; i < m->nfields; i++)
    if (!strcmp(m->fields[i].json_name, name) || !strcmp(m->fields[i].proto_name, name))
      return &m->fields[i];
  return NULL;
}

const char *proto_enum_name(const proto_enum *e, int32_t number) {
  for (size_t i = 0; i < e->nvalues; i++)
    if (e->values[i].number == number) return e->values[i].name;
  return NULL;
}

static bool enum_number(const proto_enum *e, const char *name, int32_t *out) {
  for (size_t i = 0; i < e->nvalues; i++)
    if (!strcmp(e->values[i].name, name)) {
      *out = e->values[i].number;
      return true;
    }
  return false;
}

json_t *proto_timestamp(int64_t seconds, int32_t nanos) {
  return json_pack("{s:I,s:i}", "seconds", (json_int_t)seconds, "nanos", (int)nanos);
}

/* ---- timestamps: civil calendar <-> days since 1970-01-01 ---- */

static int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

/* The range protobuf allows: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z. */
#define TS_MIN INT64_C(-62135596800)
#define TS_MAX INT64_C(253402300799)

static int days_in_month(int64_t y, int m) {
  static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : dm[m - 1];
}

static int digits(const char **s, int n) {
  int v = 0;
  for (int i = 0; i < n; i++, (*s)++) {
    if (**s < '0' || **s > '9') return -1;
    v = v * 10 + (**s - '0');
  }
  return v;
}

/* RFC 3339: YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|+HH:MM|-HH:MM). */
static bool parse_rfc3339(const char *s, int64_t *secs, int32_t *nanos) {
  int y = digits(&s, 4);
  if (y < 1 || *s++ != '-') return false;
  int mo = digits(&s, 2);
  if (mo < 1 || mo > 12 || *s++ != '-') return false;
  int d = digits(&s, 2);
  if (d < 1 || d > days_in_month(y, mo) || (*s != 'T' && *s != 't')) return false;
  s++;
  int h = digits(&s, 2);
  if (h < 0 || h > 23 || *s++ != ':') return false;
  int mi = digits(&s, 2);
  if (mi < 0 || mi > 59 || *s++ != ':') return false;
  int se = digits(&s, 2);
  if (se < 0 || se > 59) return false;
  int32_t ns = 0;
  if (*s == '.') {
    s++;
    int n = 0;
    while (*s >= '0' && *s <= '9') {
      if (++n > 9) return false;
      ns = ns * 10 + (*s++ - '0');
    }
    if (n == 0) return false;
    for (; n < 9; n++) ns *= 10;
  }
  int64_t off = 0;
  if (*s == 'Z' || *s == 'z') {
    s++;
  } else if (*s == '+' || *s == '-') {
    int sign = *s++ == '-' ? -1 : 1;
    int oh = digits(&s, 2);
    if (oh < 0 || oh > 23 || *s++ != ':') return false;
    int om = digits(&s, 2);
    if (om < 0 || om > 59) return false;
    off = sign * (oh * 3600 + om * 60);
  } else {
    return false;
  }
  if (*s) return false;
  int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
  if (t < TS_MIN || t > TS_MAX) return false;
  *secs = t;
  *nanos = ns;
  return true;
}

/* Always UTC with "Z", and 0, 3, 6 or 9 fractional digits as protojson. */
static void format_rfc3339(int64_t secs, int32_t nanos, char out[40]) {
  int64_t days = secs / 86400, rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    days--;
  }
  int64_t y;
  int m, d;
  civil_from_days(days, &y, &m, &d);
  int n = snprintf(out, 40, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d", y, m, d, (int)(rem / 3600),
                   (int)(rem / 60 % 60), (int)(rem % 60));
  if (nanos % 1000000 == 0 && nanos)
    n += snprintf(out + n, 40 - (size_t)n, ".%03d", (int)(nanos / 1000000));
  else if (nanos % 1000 == 0 && nanos)
    n += snprintf(out + n, 40 - (size_t)n, ".%06d", (int)(nanos / 1000));
  else if (nanos)
    n += snprintf(out + n, 40 - (size_t)n, ".%09d", (int)nanos);
  snprintf(out + n, 40 - (size_t)n, "Z");
}

/* ---- numbers ---- */

/* An integer from a JSON integer, an integral real, or a decimal string. */
static bool int_of(const json_t *v, bool is_unsigned, int64_t *s, uint64_t *u) {
  if (json_is_integer(v)) {
    json_int_t x = json_integer_value(v);
    if (is_unsigned && x < 0) return false;
    *s = x;
    *u = (uint64_t)x;
    return true;
  }
  if (json_is_real(v)) {
    double d = json_real_value(v);
    if (d != floor(d) || !isfinite(d)) return false;
    if (is_unsigned) {
      if (d < 0 || d >= 18446744073709551616.0) return false;
      *u = (uint64_t)d;
      *s = (int64_t)*u;
    } else {
      if (d < -9223372036854775808.0 || d >= 9223372036854775808.0) return false;
      *s = (int64_t)d;
      *u = (uint64_t)*s;
    }
    return true;
  }
  if (json_is_string(v)) {
    const char *str = json_string_value(v);
    char *end;
    if (!str[0] || str[0] == ' ' || str[0] == '+') return false;
    errno = 0;
    if (is_unsigned) {
      if (str[0] == '-') return false;
      *u = strtoull(str, &end, 10);
      *s = (int64_t)*u;
    } else {
      *s = strtoll(str, &end, 10);
      *u = (uint64_t)*s;
    }
    if (errno || *end) {
      /* "1e3" and "5.0" are numbers too */
      double d = strtod(str, &end);
      if (*end || d != floor(d) || !isfinite(d)) return false;
      json_t *r = json_real(d);
      bool ok = r && int_of(r, is_unsigned, s, u);
      json_decref(r);
      return ok;
    }
    return true;
  }
  return false;
}

static bool real_of(const json_t *v, double *out) {
  if (json_is_number(v)) {
    *out = json_number_value(v);
    return true;
  }
  if (!json_is_string(v)) return false;
  const char *s = json_string_value(v);
  if (!strcmp(s, "NaN")) *out = NAN;
  else if (!strcmp(s, "Infinity")) *out = INFINITY;
  else if (!strcmp(s, "-Infinity")) *out = -INFINITY;
  else {
    char *end;
    if (!s[0] || s[0] == ' ') return false;
    *out = strtod(s, &end);
    if (*end || !isfinite(*out)) return false;
  }
  return true;
}

/* The double nearest a float's shortest decimal form, so 0.1f prints 0.1. */
static double float_shortest(float f) {
  char buf[32];
  if (!isfinite(f)) return f;
  for (int p = 1; p <= 9; p++) {
    snprintf(buf, sizeof buf, "%.*g", p, (double)f);
    if ((float)strtod(buf, NULL) == f) return strtod(buf, NULL);
  }
  return f;
}

/* ---- decode: JSON -> in-memory value ---- */

static wasm_status decode_message(const proto_message *m, const json_t *in, const char *path,
                                  json_t **out, wasm_error *err);

static wasm_status decode_single(const proto_field *f, const json_t *v, const char *path,
                                 json_t **out, wasm_error *err) {
  int64_t s = 0;
  uint64_t u = 0;
  double d;
  *out = NULL;
  switch (f->kind) {
  case PROTO_STRING:
  case PROTO_BYTES:
    if (!json_is_string(v)) return fail(err, WASM_MALFORMED, path, "expected a string");
    *out = json_incref((json_t *)v);
    break;
  case PROTO_BOOL:
    if (!json_is_boolean(v)) return fail(err, WASM_MALFORMED, path, "expected true or false");
    *out = json_incref((json_t *)v);
    break;
  case PROTO_INT32:
  case PROTO_SINT32:
    if (!int_of(v, false, &s, &u) || s < INT32_MIN || s > INT32_MAX)
      return fail(err, WASM_MALFORMED, path, "expected a 32-bit integer");
    *out = json_integer(s);
    break;
  case PROTO_UINT32:
    if (!int_of(v, true, &s, &u) || u > UINT32_MAX)
      return fail(err, WASM_MALFORMED, path, "expected an unsigned 32-bit integer");
    *out = json_integer(s);
    break;
  case PROTO_INT64:
  case PROTO_SINT64:
    if (!int_of(v, false, &s, &u)) return fail(err, WASM_MALFORMED, path, "expected a 64-bit integer");
    *out = json_integer(s);
    break;
  case PROTO_UINT64:
    if (!int_of(v, true, &s, &u))
      return fail(err, WASM_MALFORMED, path, "expected an unsigned 64-bit integer");
    *out = json_integer((json_int_t)u);
    break;
  case PROTO_FLOAT:
  case PROTO_DOUBLE:
    if (!real_of(v, &d)) return fail(err, WASM_MALFORMED, path, "expected a number");
    if (f->kind == PROTO_FLOAT && isfinite(d) && fabs(d) > FLT_MAX)
      return fail(err, WASM_MALFORMED, path, "number out of float range");
    if (isnan(d)) *out = json_string("NaN"); /* jansson reals are finite */
    else if (isinf(d)) *out = json_string(d > 0 ? "Infinity" : "-Infinity");
    else *out = json_real(f->kind == PROTO_FLOAT ? (double)(float)d : d);
    break;
  case PROTO_ENUM: {
    int32_t n;
    if (json_is_string(v)) {
      if (!enum_number(f->enumt, json_string_value(v), &n))
        return fail(err, WASM_MALFORMED, path, "unknown %s value \"%s\"", f->enumt->name,
                    json_string_value(v));
    } else if (int_of(v, false, &s, &u) && s >= INT32_MIN && s <= INT32_MAX) {
      n = (int32_t)s; /* proto3 enums are open: unknown numbers are kept */
    } else {
      return fail(err, WASM_MALFORMED, path, "expected a %s name or number", f->enumt->name);
    }
    *out = json_integer(n);
    break;
  }
  case PROTO_TIMESTAMP: {
    int32_t ns;
    if (!json_is_string(v) || !parse_rfc3339(json_string_value(v), &s, &ns))
      return fail(err, WASM_MALFORMED, path, "expected an RFC 3339 timestamp");
    *out = proto_timestamp(s, ns);
    break;
  }
  case PROTO_MESSAGE:
    return decode_message(f->message, v, path, out, err);
  case PROTO_MAP: {
    if (!json_is_object(v)) return fail(err, WASM_MALFORMED, path, "expected an object");
    json_t *o = json_object();
    if (!o) return nomem(err, path);
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)v, k, x) {
      if (!json_is_string(x)) {
        char p[PATH_MAX_LEN];
        path_field(p, path, k);
        json_decref(o);
        return fail(err, WASM_MALFORMED, p, "expected a string");
      }
      if (json_object_set(o, k, x)) {
        json_decref(o);
        return nomem(err, path);
      }
    }
    *out = o;
    break;
  }
  }
  return *out ? WASM_OK : nomem(err, path);
}

static wasm_status decode_message(const proto_message *m, const json_t *in, const char *path,
                                  json_t **out, wasm_error *err) {
  *out = NULL;
  if (!json_is_object(in)) return fail(err, WASM_MALFORMED, path, "expected an object");
  json_t *o = json_object();
  if (!o) return nomem(err, path);
  const char *key;
  json_t *v;
  wasm_status st = WASM_OK;
  json_object_foreach((json_t *)in, key, v) {
    const proto_field *f = proto_field_find(m, key);
    if (!f) continue; /* unknown fields are ignored, as protojson's DiscardUnknown */
    char p[PATH_MAX_LEN];
    path_field(p, path, f->json_name);
    if (json_object_get(o, f->json_name)) { /* both spellings of one field */
      st = fail(err, WASM_MALFORMED, p, "field given twice");
      break;
    }
    if (json_is_null(v)) continue; /* null is the default value */
    if (f->oneof) {
      for (size_t i = 0; i < m->nfields; i++) {
        const proto_field *g = &m->fields[i];
        if (g != f && g->oneof && !strcmp(g->oneof, f->oneof) && json_object_get(o, g->json_name)) {
          st = fail(err, WASM_MALFORMED, p, "oneof %s already has %s", f->oneof, g->json_name);
          goto done;
        }
      }
    }
    json_t *val = NULL;
    if (f->repeated) {
      if (!json_is_array(v)) {
        st = fail(err, WASM_MALFORMED, p, "expected an array");
        break;
      }
      val = json_array();
      if (!val) {
        st = nomem(err, p);
        break;
      }
      size_t i;
      json_t *e;
      json_array_foreach(v, i, e) {
        char pi[PATH_MAX_LEN];
        path_index(pi, p, i);
        json_t *x;
        if (json_is_null(e)) st = fail(err, WASM_MALFORMED, pi, "null in a repeated field");
        else st = decode_single(f, e, pi, &x, err);
        if (st == WASM_OK && json_array_append_new(val, x)) st = nomem(err, pi);
        if (st != WASM_OK) break;
      }
      if (st != WASM_OK) {
        json_decref(val);
        break;
      }
    } else {
      st = decode_single(f, v, p, &val, err);
      if (st != WASM_OK) break;
    }
    if (json_object_set_new(o, f->json_name, val)) {
      st = nomem(err, p);
      break;
    }
  }
done:
  if (st != WASM_OK) {
    json_decref(o);
    return st;
  }
  *out = o;
  return WASM_OK;
}

wasm_status proto_from_json(const proto_message *m, const json_t *in, json_t **out,
                            wasm_error *err) {
  return decode_message(m, in, "", out, err);
}

wasm_status proto_decode(const proto_message *m, const char *json, size_t len, json_t **out,
                         wasm_error *err) {
  *out = NULL;
  json_error_t je;
  json_t *in = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
  if (!in)
    return fail(err, WASM_MALFORMED, m->name, "bad JSON at line %d column %d: %s", je.line,
                je.column, je.text);
  wasm_status st = decode_message(m, in, "", out, err);
  json_decref(in);
  return st;
}

/* ---- encode: in-memory value -> canonical JSON ---- */

static wasm_status encode_message(const proto_message *m, const json_t *in, const char *path,
                                  json_t **out, wasm_error *err);

/* Is v the proto3 default of its kind (so encode leaves it out)? */
static bool is_default(const proto_field *f, const json_t *v) {
  switch (f->kind) {
  case PROTO_STRING:
  case PROTO_BYTES:
    return json_is_string(v) && json_string_length(v) == 0;
  case PROTO_BOOL:
    return json_is_false(v);
  case PROTO_ENUM:
    if (json_is_string(v)) {
      int32_t n;
      return enum_number(f->enumt, json_string_value(v), &n) && n == 0;
    }
    return json_is_number(v) && json_number_value(v) == 0;
  case PROTO_MAP:
    return json_is_object(v) && json_object_size(v) == 0;
  case PROTO_MESSAGE:
  case PROTO_TIMESTAMP:
    return false; /* messages have presence */
  default:
    return json_is_number(v) && json_number_value(v) == 0 && !signbit(json_number_value(v));
  }
}

static wasm_status encode_single(const proto_field *f, const json_t *v, const char *path,
                                 json_t **out, wasm_error *err) {
  char buf[48];
  *out = NULL;
  switch (f->kind) {
  case PROTO_STRING:
  case PROTO_BYTES:
    if (!json_is_string(v)) return fail(err, WASM_BAD_ARG, path, "expected a string");
    *out = json_incref((json_t *)v);
    break;
  case PROTO_BOOL:
    if (!json_is_boolean(v)) return fail(err, WASM_BAD_ARG, path, "expected a boolean");
    *out = json_incref((json_t *)v);
    break;
  case PROTO_INT32:
  case PROTO_SINT32:
  case PROTO_UINT32:
  case PROTO_INT64:
  case PROTO_SINT64:
  case PROTO_UINT64: {
    if (!json_is_integer(v)) return fail(err, WASM_BAD_ARG, path, "expected an integer");
    json_int_t x = json_integer_value(v);
    bool ok = f->kind == PROTO_UINT32  ? x >= 0 && x <= UINT32_MAX
              : f->kind <= PROTO_SINT32 ? x >= INT32_MIN && x <= INT32_MAX
                                        : true;
    if (!ok) return fail(err, WASM_BAD_ARG, path, "integer out of range");
    if (f->kind == PROTO_UINT64) {
      snprintf(buf, sizeof buf, "%" PRIu64, (uint64_t)x);
      *out = json_string(buf);
    } else if (f->kind == PROTO_INT64 || f->kind == PROTO_SINT64) {
      snprintf(buf, sizeof buf, "%" PRId64, (int64_t)x);
      *out = json_string(buf);
    } else {
      *out = json_integer(x);
    }
    break;
  }
  case PROTO_FLOAT:
  case PROTO_DOUBLE: {
    double d;
    if (json_is_string(v)) {
      const char *str = json_string_value(v);
      if (strcmp(str, "NaN") && strcmp(str, "Infinity") && strcmp(str, "-Infinity"))
        return fail(err, WASM_BAD_ARG, path, "expected a number");
      *out = json_incref((json_t *)v);
      break;
    }
    if (!json_is_number(v)) return fail(err, WASM_BAD_ARG, path, "expected a number");
    d = json_number_value(v);
    if (f->kind == PROTO_FLOAT) d = float_shortest((float)d);
    if (isnan(d)) *out = json_string("NaN");
    else if (isinf(d)) *out = json_string(d > 0 ? "Infinity" : "-Infinity");
    else *out = json_real(d);
    break;
  }
  case PROTO_ENUM: {
    const char *name = NULL;
    if (json_is_string(v)) {
      int32_t n;
      if (!enum_number(f->enumt, json_string_value(v), &n))
        return fail(err, WASM_BAD_ARG, path, "unknown %s value \"%s\"", f->enumt->name,
                    json_string_value(v));
      name = json_string_value(v);
    } else if (json_is_integer(v) && json_integer_value(v) >= INT32_MIN &&
               json_integer_value(v) <= INT32_MAX) {
      name = proto_enum_name(f->enumt, (int32_t)json_integer_value(v));
    } else {
      return fail(err, WASM_BAD_ARG, path, "expected a %s number", f->enumt->name);
    }
    /* an unknown number of an open enum is written as the number */
    *out = name ? json_string(name) : json_integer(json_integer_value(v));
    break;
  }
  case PROTO_TIMESTAMP: {
    json_t *s = json_object_get(v, "seconds"), *n = json_object_get(v, "nanos");
    if (!json_is_object(v) || (s && !json_is_integer(s)) || (n && !json_is_integer(n)))
      return fail(err, WASM_BAD_ARG, path, "expected a {seconds, nanos} timestamp");
    int64_t secs = s ? json_integer_value(s) : 0, nanos = n ? json_integer_value(n) : 0;
    if (secs < TS_MIN || secs > TS_MAX || nanos < 0 || nanos > 999999999)
      return fail(err, WASM_BAD_ARG, path, "timestamp out of range");
    format_rfc3339(secs, (int32_t)nanos, buf);
    *out = json_string(buf);
    break;
  }
  case PROTO_MESSAGE:
    return encode_message(f->message, v, path, out, err);
  case PROTO_MAP: {
    if (!json_is_object(v)) return fail(err, WASM_BAD_ARG, path, "expected an object");
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)v, k, x) {
      if (!json_is_string(x)) {
        char p[PATH_MAX_LEN];
        path_field(p, path, k);
        return fail(err, WASM_BAD_ARG, p, "expected a string");
      }
    }
    *out = json_deep_copy(v);
    break;
  }
  }
  return *out ? WASM_OK : nomem(err, path);
}

static wasm_status encode_message(const proto_message *m, const json_t *in, const char *path,
                                  json_t **out, wasm_error *err) {
  *out = NULL;
  if (!json_is_object(in)) return fail(err, WASM_BAD_ARG, path, "expected an object");
  json_t *o = json_object();
  if (!o) return nomem(err, path);
  wasm_status st = WASM_OK;
  const char *oneof_set[8];
  size_t noneof = 0;
  for (size_t i = 0; i < m->nfields && st == WASM_OK; i++) {
    const proto_field *f = &m->fields[i];
    char p[PATH_MAX_LEN];
    path_field(p, path, f->json_name);
    const json_t *v = json_object_get(in, f->json_name);
    if (!v && strcmp(f->json_name, f->proto_name) != 0) v = json_object_get(in, f->proto_name);
    if (!v || json_is_null(v)) continue;
    json_t *val = NULL;
    if (f->repeated) {
      if (!json_is_array(v)) {
        st = fail(err, WASM_BAD_ARG, p, "expected an array");
        break;
      }
      if (json_array_size(v) == 0) continue;
      if (!(val = json_array())) {
        st = nomem(err, p);
        break;
      }
      for (size_t j = 0; j < json_array_size(v) && st == WASM_OK; j++) {
        char pj[PATH_MAX_LEN];
        path_index(pj, p, j);
        json_t *x;
        st = encode_single(f, json_array_get(v, j), pj, &x, err);
        if (st == WASM_OK && json_array_append_new(val, x)) st = nomem(err, pj);
      }
    } else {
      if (f->oneof) {
        for (size_t j = 0; j < noneof; j++)
          if (!strcmp(oneof_set[j], f->oneof))
            st = fail(err, WASM_BAD_ARG, p, "oneof %s has more than one member", f->oneof);
        if (st != WASM_OK) break;
        if (noneof < sizeof oneof_set / sizeof *oneof_set) oneof_set[noneof++] = f->oneof;
      } else if (is_default(f, v)) {
        continue; /* a oneof member keeps presence even at its default */
      }
      st = encode_single(f, v, p, &val, err);
    }
    if (st == WASM_OK && json_object_set_new(o, f->json_name, val)) st = nomem(err, p);
    else if (st != WASM_OK) json_decref(val);
  }
  if (st != WASM_OK) {
    json_decref(o);
    return st;
  }
  *out = o;
  return WASM_OK;
}

wasm_status proto_to_json(const proto_message *m, const json_t *value, json_t **out,
                          wasm_error *err) {
  return encode_message(m, value, "", out, err);
}

/* ---- writer: compact, insertion order, shortest reals ---- */

typedef struct buf {
  char *p;
  size_t len, cap;
  bool oom;
} buf;

static void put(buf *b, const char *s, size_t n) {
  if (b->oom) return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = (b->len + n + 1) * 2;
    char *p = realloc(b->p, cap);
    if (!p) {
      b->oom = true;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = 0;
}
static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

static void put_string(buf *b, const char *s, size_t n) {
  put(b, "\"", 1);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    char esc[8];
    if (c == '"' || c == '\\') {
      esc[0] = '\\';
      esc[1] = (char)c;
      put(b, esc, 2);
    } else if (c == '\n') puts_(b, "\\n");
    else if (c == '\r') puts_(b, "\\r");
    else if (c == '\t') puts_(b, "\\t");
    else if (c == '\b') puts_(b, "\\b");
    else if (c == '\f') puts_(b, "\\f");
    else if (c < 0x20 || c == 0x7f) {
      snprintf(esc, sizeof esc, "\\u%04x", c);
      puts_(b, esc);
    } else {
      put(b, (const char *)&s[i], 1);
    }
  }
  put(b, "\"", 1);
}

static void put_json(buf *b, const json_t *j) {
  char num[40];
  switch (json_typeof(j)) {
  case JSON_OBJECT: {
    put(b, "{", 1);
    bool first = true;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)j, k, v) {
      if (!first) put(b, ",", 1);
      first = false;
      put_string(b, k, strlen(k));
      put(b, ":", 1);
      put_json(b, v);
    }
    put(b, "}", 1);
    break;
  }
  case JSON_ARRAY:
    put(b, "[", 1);
    for (size_t i = 0; i < json_array_size(j); i++) {
      if (i) put(b, ",", 1);
      put_json(b, json_array_get(j, i));
    }
    put(b, "]", 1);
    break;
  case JSON_STRING:
    put_string(b, json_string_value(j), json_string_length(j));
    break;
  case JSON_INTEGER:
    snprintf(num, sizeof num, "%" PRId64, (int64_t)json_integer_value(j));
    puts_(b, num);
    break;
  case JSON_REAL: {
    double d = json_real_value(j);
    if (!isfinite(d)) {
      puts_(b, "null"); /* JSON has no spelling for these; encode uses strings */
      break;
    }
    if (d == 0 && signbit(d)) { /* "-0" would read back as the integer 0 */
      puts_(b, "-0.0");
      break;
    }
    for (int p = 1; p <= 17; p++) {
      snprintf(num, sizeof num, "%.*g", p, d);
      if (strtod(num, NULL) == d) break;
    }
    puts_(b, num);
    break;
  }
  case JSON_TRUE:
    puts_(b, "true");
    break;
  case JSON_FALSE:
    puts_(b, "false");
    break;
  case JSON_NULL:
    puts_(b, "null");
    break;
  }
}

char *proto_json_dump(const json_t *j) {
  buf b = {0};
  put_json(&b, j);
  if (b.oom) {
    free(b.p);
    return NULL;
  }
  return b.p;
}

wasm_status proto_encode(const proto_message *m, const json_t *value, char **out,
                         wasm_error *err) {
  *out = NULL;
  json_t *j;
  wasm_status st = encode_message(m, value, "", &j, err);
  if (st != WASM_OK) return st;
  *out = proto_json_dump(j);
  json_decref(j);
  return *out ? WASM_OK : nomem(err, m->name);
}
