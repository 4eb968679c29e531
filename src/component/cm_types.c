/*
 * cm_types.c: the component type system: the arena that owns decoded
 * types, primitive singletons, equality and subtyping, canonical ABI
 * layout and flattening (CanonicalABI.md), and cm_val ownership.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm_internal.h"

/* ---- errors ---- */

/* ---- arena ---- */

struct cm_arena_block {
  cm_arena_block *next;
  size_t used, cap;
  _Alignas(16) unsigned char data[];
};

#define CM_ARENA_CHUNK 16384u

void *cm_arena_alloc(cm_arena *a, size_t n) {
  n = (n + 15u) & ~(size_t)15u;
  if (n == 0) n = 16;
  if (n > CM_ARENA_MAX || a->total > CM_ARENA_MAX - n) return NULL;
  cm_arena_block *b = a->head;
  if (!b || b->cap - b->used < n) {
    size_t cap = n > CM_ARENA_CHUNK ? n : CM_ARENA_CHUNK;
    b = malloc(sizeof *b + cap);
    if (!b) return NULL;
    b->cap = cap;
    b->used = 0;
    if (n > CM_ARENA_CHUNK && a->head) {
      /* A big block goes behind the current one so its free space stays. */
      b->next = a->head->next;
      a->head->next = b;
    } else {
      b->next = a->head;
      a->head = b;
    }
  }
  void *p = b->data + b->used;
  b->used += n;
  a->total += n;
  memset(p, 0, n);
  return p;
}

void *cm_arena_array(cm_arena *a, size_t n, size_t size) {
  if (size && n > CM_ARENA_MAX / size) return NULL;
  return cm_arena_alloc(a, n * size);
}

char *cm_arena_strndup(cm_arena *a, const char *s, size_t n) {
  char *p = cm_arena_alloc(a, n + 1);
  if (p && n) memcpy(p, s, n);
  return p;
}

void cm_arena_free(cm_arena *a) {
  cm_arena_block *b = a->head;
  while (b) {
    cm_arena_block *next = b->next;
    free(b);
    b = next;
  }
  a->head = NULL;
  a->total = 0;
}

/* ---- tables ---- */

const cm_canon_info cm_canon_table[CM_CANON_COUNT] = {
#define CM_CANON_INFO(id, name, code, imm) {name, code},
    CM_CANON_LIST(CM_CANON_INFO)
#undef CM_CANON_INFO
};

const char *cm_sort_name(cm_sort s) {
  static const char *const names[CM_SORT_COUNT] = {
      "core func", "core table", "core memory", "core global", "tag", "core type",
      "module",    "core instance", "func",     "value",       "type",
      "component", "instance"};
  return (unsigned)s < CM_SORT_COUNT ? names[s] : "?";
}

/* ---- primitives ---- */

static const cm_type prim_types[CM_ERROR_CONTEXT + 1] = {
#define P(k) [k] = {.kind = k}
    P(CM_BOOL), P(CM_S8),  P(CM_U8),  P(CM_S16), P(CM_U16),
    P(CM_S32),  P(CM_U32), P(CM_S64), P(CM_U64), P(CM_F32),
    P(CM_F64),  P(CM_CHAR), P(CM_STRING), P(CM_ERROR_CONTEXT),
#undef P
};

const cm_type *cm_type_prim(cm_typekind k) {
  return (unsigned)k <= CM_ERROR_CONTEXT ? &prim_types[k] : NULL;
}

/* ---- equality and subtyping ---- */

static bool opt_equal(const cm_type *a, const cm_type *b) {
  if (!a || !b) return a == b;
  return cm_type_equal(a, b);
}

bool cm_type_equal(const cm_type *a, const cm_type *b) {
  if (a == b) return true;
  if (!a || !b || a->kind != b->kind) return false;
  switch (a->kind) {
  case CM_LIST:
    return a->as.list.fixed_len == b->as.list.fixed_len &&
           cm_type_equal(a->as.list.elem, b->as.list.elem);
  case CM_RECORD:
  case CM_VARIANT:
    if (a->as.record.n != b->as.record.n) return false;
    for (uint32_t i = 0; i < a->as.record.n; i++) {
      if (strcmp(a->as.record.fields[i].name, b->as.record.fields[i].name))
        return false;
      if (!opt_equal(a->as.record.fields[i].type, b->as.record.fields[i].type))
        return false;
    }
    return true;
  case CM_TUPLE:
    if (a->as.tuple.n != b->as.tuple.n) return false;
    for (uint32_t i = 0; i < a->as.tuple.n; i++)
      if (!cm_type_equal(a->as.tuple.types[i], b->as.tuple.types[i]))
        return false;
    return true;
  case CM_ENUM:
  case CM_FLAGS:
    if (a->as.labels.n != b->as.labels.n) return false;
    for (uint32_t i = 0; i < a->as.labels.n; i++)
      if (strcmp(a->as.labels.names[i], b->as.labels.names[i])) return false;
    return true;
  case CM_OPTION:
    return cm_type_equal(a->as.option.t, b->as.option.t);
  case CM_RESULT:
    return opt_equal(a->as.result.ok, b->as.result.ok) &&
           opt_equal(a->as.result.err, b->as.result.err);
  case CM_OWN:
  case CM_BORROW:
    return a->as.handle.res == b->as.handle.res;
  case CM_STREAM:
  case CM_FUTURE:
    return opt_equal(a->as.async.t, b->as.async.t);
  default:
    return true; /* primitives */
  }
}

/* Value subtyping is equality, as in the reference validator (the spec's
 * looser rules are not implemented by any engine). */
bool cm_type_subtype(const cm_type *a, const cm_type *b) {
  return cm_type_equal(a, b);
}

bool cm_functype_equal(const cm_functype *a, const cm_functype *b) {
  if (a == b) return true;
  if (a->nparams != b->nparams || a->async_ != b->async_) return false;
  for (uint32_t i = 0; i < a->nparams; i++) {
    if (strcmp(a->params[i].name, b->params[i].name)) return false;
    if (!cm_type_equal(a->params[i].type, b->params[i].type)) return false;
  }
  return opt_equal(a->result, b->result);
}

bool cm_functype_subtype(const cm_functype *a, const cm_functype *b) {
  return cm_functype_equal(a, b);
}

bool cm_core_functype_equal(const cm_core_functype *a,
                            const cm_core_functype *b) {
  if (a == b) return true;
  if (!a || !b) return false;
  return a->nparams == b->nparams && a->nresults == b->nresults &&
         (!a->nparams || !memcmp(a->params, b->params, a->nparams)) &&
         (!a->nresults || !memcmp(a->results, b->results, a->nresults));
}

static bool type_any(const cm_type *t, bool (*pred)(const cm_type *),
                     unsigned depth) {
  if (!t || depth > CM_MAX_TYPE_DEPTH) return false;
  if (pred(t)) return true;
  switch (t->kind) {
  case CM_LIST:
    return type_any(t->as.list.elem, pred, depth + 1);
  case CM_RECORD:
  case CM_VARIANT:
    for (uint32_t i = 0; i < t->as.record.n; i++)
      if (type_any(t->as.record.fields[i].type, pred, depth + 1)) return true;
    return false;
  case CM_TUPLE:
    for (uint32_t i = 0; i < t->as.tuple.n; i++)
      if (type_any(t->as.tuple.types[i], pred, depth + 1)) return true;
    return false;
  case CM_OPTION:
    return type_any(t->as.option.t, pred, depth + 1);
  case CM_RESULT:
    return type_any(t->as.result.ok, pred, depth + 1) ||
           type_any(t->as.result.err, pred, depth + 1);
  default:
    return false;
  }
}

static bool is_borrow(const cm_type *t) { return t->kind == CM_BORROW; }
static bool is_memory_type(const cm_type *t) {
  return t->kind == CM_STRING || (t->kind == CM_LIST && !t->as.list.fixed_len);
}

bool cm_type_has_borrow(const cm_type *t) { return type_any(t, is_borrow, 0); }
bool cm_type_needs_memory(const cm_type *t) {
  return type_any(t, is_memory_type, 0);
}

/* ---- canonical ABI layout ---- */

uint32_t cm_discriminant_size(uint32_t n) {
  return n <= 256 ? 1 : n <= 65536 ? 2 : 4;
}

static uint32_t align_to(uint32_t x, uint32_t a) {
  return (x + a - 1) / a * a;
}

static uint32_t max_case_align(const cm_type *t) {
  uint32_t a = 1;
  for (uint32_t i = 0; i < t->as.record.n; i++)
    if (t->as.record.fields[i].type) {
      uint32_t x = cm_type_align(t->as.record.fields[i].type);
      if (x > a) a = x;
    }
  return a;
}

uint32_t cm_type_align(const cm_type *t) {
  switch (t->kind) {
  case CM_BOOL: case CM_S8: case CM_U8: return 1;
  case CM_S16: case CM_U16: return 2;
  case CM_S32: case CM_U32: case CM_F32: case CM_CHAR: return 4;
  case CM_S64: case CM_U64: case CM_F64: return 8;
  case CM_STRING: case CM_ERROR_CONTEXT: case CM_OWN: case CM_BORROW:
  case CM_STREAM: case CM_FUTURE: return 4;
  case CM_LIST:
    return t->as.list.fixed_len ? cm_type_align(t->as.list.elem) : 4;
  case CM_RECORD: {
    uint32_t a = 1;
    for (uint32_t i = 0; i < t->as.record.n; i++) {
      uint32_t x = cm_type_align(t->as.record.fields[i].type);
      if (x > a) a = x;
    }
    return a;
  }
  case CM_TUPLE: {
    uint32_t a = 1;
    for (uint32_t i = 0; i < t->as.tuple.n; i++) {
      uint32_t x = cm_type_align(t->as.tuple.types[i]);
      if (x > a) a = x;
    }
    return a;
  }
  case CM_VARIANT: {
    uint32_t d = cm_discriminant_size(t->as.record.n), c = max_case_align(t);
    return d > c ? d : c;
  }
  case CM_ENUM: return cm_discriminant_size(t->as.labels.n);
  case CM_FLAGS: {
    uint32_t n = t->as.labels.n;
    return n <= 8 ? 1 : n <= 16 ? 2 : 4;
  }
  case CM_OPTION: {
    uint32_t c = cm_type_align(t->as.option.t);
    return c > 1 ? c : 1;
  }
  case CM_RESULT: {
    uint32_t a = 1;
    if (t->as.result.ok && cm_type_align(t->as.result.ok) > a)
      a = cm_type_align(t->as.result.ok);
    if (t->as.result.err && cm_type_align(t->as.result.err) > a)
      a = cm_type_align(t->as.result.err);
    return a;
  }
  }
  return 1;
}

/* Sizes saturate at UINT32_MAX so hostile fixed-length lists cannot wrap. */
static uint32_t sat_add(uint32_t a, uint32_t b) {
  return a > UINT32_MAX - b ? UINT32_MAX : a + b;
}
static uint32_t sat_mul(uint32_t a, uint32_t b) {
  return b && a > UINT32_MAX / b ? UINT32_MAX : a * b;
}

static uint32_t variant_size(uint32_t ncases, const cm_type *const *payloads,
                             uint32_t align) {
  uint32_t s = cm_discriminant_size(ncases), m = 0;
  for (uint32_t i = 0; i < ncases; i++)
    if (payloads[i]) {
      uint32_t x = cm_type_size(payloads[i]);
      if (x > m) m = x;
    }
  s = align_to(s, align);
  return align_to(sat_add(s, m), align);
}

uint32_t cm_type_size(const cm_type *t) {
  switch (t->kind) {
  case CM_BOOL: case CM_S8: case CM_U8: return 1;
  case CM_S16: case CM_U16: return 2;
  case CM_S32: case CM_U32: case CM_F32: case CM_CHAR: return 4;
  case CM_S64: case CM_U64: case CM_F64: return 8;
  case CM_STRING: return 8;
  case CM_ERROR_CONTEXT: case CM_OWN: case CM_BORROW: case CM_STREAM:
  case CM_FUTURE: return 4;
  case CM_LIST:
    if (!t->as.list.fixed_len) return 8;
    return sat_mul(cm_type_size(t->as.list.elem), t->as.list.fixed_len);
  case CM_RECORD: {
    uint32_t s = 0;
    for (uint32_t i = 0; i < t->as.record.n; i++) {
      const cm_type *f = t->as.record.fields[i].type;
      s = sat_add(align_to(s, cm_type_align(f)), cm_type_size(f));
    }
    return align_to(s, cm_type_align(t));
  }
  case CM_TUPLE: {
    uint32_t s = 0;
    for (uint32_t i = 0; i < t->as.tuple.n; i++) {
      const cm_type *f = t->as.tuple.types[i];
      s = sat_add(align_to(s, cm_type_align(f)), cm_type_size(f));
    }
    return align_to(s, cm_type_align(t));
  }
  case CM_VARIANT: {
    uint32_t s = cm_discriminant_size(t->as.record.n), m = 0;
    uint32_t a = cm_type_align(t);
    for (uint32_t i = 0; i < t->as.record.n; i++)
      if (t->as.record.fields[i].type) {
        uint32_t x = cm_type_size(t->as.record.fields[i].type);
        if (x > m) m = x;
      }
    return align_to(sat_add(align_to(s, max_case_align(t)), m), a);
  }
  case CM_ENUM: return cm_discriminant_size(t->as.labels.n);
  case CM_FLAGS: {
    uint32_t n = t->as.labels.n;
    if (n == 0) return 0;
    return n <= 8 ? 1 : n <= 16 ? 2 : 4 * ((n + 31) / 32);
  }
  case CM_OPTION: {
    const cm_type *p[2] = {NULL, t->as.option.t};
    return variant_size(2, p, cm_type_align(t));
  }
  case CM_RESULT: {
    const cm_type *p[2] = {t->as.result.ok, t->as.result.err};
    return variant_size(2, p, cm_type_align(t));
  }
  }
  return 0;
}

/* join of two flat types (CanonicalABI.md, flatten_variant). */
static uint8_t flat_join(uint8_t a, uint8_t b) {
  if (a == b) return a;
  if ((a == WASM_I32 && b == WASM_F32) || (a == WASM_F32 && b == WASM_I32))
    return WASM_I32;
  return WASM_I64;
}

typedef struct flat_buf {
  uint8_t *out;
  uint32_t max, n;
} flat_buf;

static void flat_push(flat_buf *fb, uint8_t t) {
  if (fb->out && fb->n < fb->max) fb->out[fb->n] = t;
  if (fb->n < UINT32_MAX) fb->n++;
}

static void flatten_into(const cm_type *t, flat_buf *fb, unsigned depth);

/* Variant cases: the discriminant, then the join of every payload. */
static void flatten_cases(uint32_t ncases, const cm_type *const *payloads,
                          flat_buf *fb, unsigned depth) {
  flat_push(fb, WASM_I32);
  uint8_t joined[64];
  uint32_t nj = 0;
  bool big = false;
  for (uint32_t i = 0; i < ncases; i++) {
    if (!payloads[i]) continue;
    uint8_t tmp[64];
    flat_buf sub = {tmp, 64, 0};
    flatten_into(payloads[i], &sub, depth + 1);
    if (sub.n > 64) big = true;
    uint32_t m = sub.n < 64 ? sub.n : 64;
    for (uint32_t k = 0; k < m; k++) {
      if (k < nj) joined[k] = flat_join(joined[k], tmp[k]);
      else joined[nj++] = tmp[k];
    }
  }
  for (uint32_t k = 0; k < nj; k++) flat_push(fb, joined[k]);
  if (big) fb->n = fb->n > UINT32_MAX - 64 ? UINT32_MAX : fb->n + 64;
}

static void flatten_into(const cm_type *t, flat_buf *fb, unsigned depth) {
  if (depth > CM_MAX_TYPE_DEPTH) {
    fb->n = UINT32_MAX;
    return;
  }
  switch (t->kind) {
  case CM_BOOL: case CM_S8: case CM_U8: case CM_S16: case CM_U16:
  case CM_S32: case CM_U32: case CM_CHAR: case CM_ERROR_CONTEXT:
  case CM_OWN: case CM_BORROW: case CM_STREAM: case CM_FUTURE: case CM_ENUM:
    flat_push(fb, WASM_I32);
    break;
  case CM_S64: case CM_U64: flat_push(fb, WASM_I64); break;
  case CM_F32: flat_push(fb, WASM_F32); break;
  case CM_F64: flat_push(fb, WASM_F64); break;
  case CM_STRING:
    flat_push(fb, WASM_I32);
    flat_push(fb, WASM_I32);
    break;
  case CM_LIST:
    if (!t->as.list.fixed_len) {
      flat_push(fb, WASM_I32);
      flat_push(fb, WASM_I32);
    } else {
      for (uint32_t i = 0; i < t->as.list.fixed_len && fb->n <= 4096; i++)
        flatten_into(t->as.list.elem, fb, depth + 1);
      if (fb->n > 4096) fb->n = UINT32_MAX;
    }
    break;
  case CM_RECORD:
    for (uint32_t i = 0; i < t->as.record.n; i++)
      flatten_into(t->as.record.fields[i].type, fb, depth + 1);
    break;
  case CM_TUPLE:
    for (uint32_t i = 0; i < t->as.tuple.n; i++)
      flatten_into(t->as.tuple.types[i], fb, depth + 1);
    break;
  case CM_FLAGS: {
    uint32_t n = t->as.labels.n;
    for (uint32_t i = 0; i < (n + 31) / 32; i++) flat_push(fb, WASM_I32);
    break;
  }
  case CM_VARIANT: {
    uint32_t n = t->as.record.n;
    const cm_type *stackp[16] = {0};
    const cm_type **p = n <= 16 ? stackp : malloc(n * sizeof *p);
    if (!p) {
      fb->n = UINT32_MAX;
      break;
    }
    for (uint32_t i = 0; i < n; i++) p[i] = t->as.record.fields[i].type;
    flatten_cases(n, p, fb, depth);
    if (p != stackp) free(p);
    break;
  }
  case CM_OPTION: {
    const cm_type *p[2] = {NULL, t->as.option.t};
    flatten_cases(2, p, fb, depth);
    break;
  }
  case CM_RESULT: {
    const cm_type *p[2] = {t->as.result.ok, t->as.result.err};
    flatten_cases(2, p, fb, depth);
    break;
  }
  }
}

uint32_t cm_flatten_type(const cm_type *t, uint8_t *out, uint32_t max) {
  flat_buf fb = {out, max, 0};
  flatten_into(t, &fb, 0);
  return fb.n;
}

const cm_core_functype *cm_functype_flatten(cm_arena *a, const cm_functype *ft,
                                            bool lower, bool async_) {
  uint8_t params[CM_MAX_FLAT_PARAMS + 1], results[CM_MAX_FLAT_PARAMS + 1];
  flat_buf pb = {params, CM_MAX_FLAT_PARAMS + 1, 0};
  for (uint32_t i = 0; i < ft->nparams; i++)
    flatten_into(ft->params[i].type, &pb, 0);
  uint32_t np = pb.n, nr = 0;
  if (ft->result) nr = cm_flatten_type(ft->result, results, CM_MAX_FLAT_PARAMS + 1);
  cm_core_functype *c = cm_arena_alloc(a, sizeof *c);
  uint8_t *buf = cm_arena_alloc(a, 2 * (CM_MAX_FLAT_PARAMS + 2));
  if (!c || !buf) return NULL;
  uint8_t *P = buf, *R = buf + CM_MAX_FLAT_PARAMS + 2;
  uint32_t max_params = async_ && lower ? CM_MAX_FLAT_ASYNC_PARAMS
                                        : CM_MAX_FLAT_PARAMS;
  if (np > max_params) {
    P[0] = WASM_I32;
    np = 1;
  } else {
    memcpy(P, params, np);
  }
  if (async_) {
    if (lower) {
      /* async lower: results go through a pointer, returns the status */
      if (ft->result) P[np++] = WASM_I32;
      R[0] = WASM_I32;
      nr = 1;
    } else {
      /* async lift: results are passed with task.return; the callback
       * form returns an i32 code (checked by the caller). */
      nr = 0;
    }
  } else if (nr > CM_MAX_FLAT_RESULTS) {
    if (lower) {
      P[np++] = WASM_I32;
      nr = 0;
    } else {
      R[0] = WASM_I32;
      nr = 1;
    }
  } else {
    memcpy(R, results, nr);
  }
  c->params = P;
  c->nparams = np;
  c->results = R;
  c->nresults = nr;
  return c;
}

/* ---- printing ---- */

typedef struct pbuf {
  char *buf;
  size_t len, n;
} pbuf;

static void pput(pbuf *p, const char *s) {
  size_t k = strlen(s);
  for (size_t i = 0; i < k; i++) {
    if (p->len && p->n + 1 < p->len) p->buf[p->n] = s[i];
    p->n++;
  }
  if (p->len) p->buf[p->n + 1 < p->len ? p->n : p->len - 1] = 0;
}

static void print_type(pbuf *p, const cm_type *t, unsigned depth) {
  static const char *const prim[] = {
      "bool", "s8", "u8", "s16", "u16", "s32", "u32", "s64", "u64",
      "f32", "f64", "char", "string", "error-context"};
  if (!t) {
    pput(p, "_");
    return;
  }
  if (depth > 8) {
    pput(p, "...");
    return;
  }
  char num[24];
  switch (t->kind) {
  case CM_LIST:
    pput(p, "list<");
    print_type(p, t->as.list.elem, depth + 1);
    if (t->as.list.fixed_len) {
      snprintf(num, sizeof num, ", %u", t->as.list.fixed_len);
      pput(p, num);
    }
    pput(p, ">");
    return;
  case CM_RECORD: pput(p, "record"); return;
  case CM_VARIANT: pput(p, "variant"); return;
  case CM_ENUM: pput(p, "enum"); return;
  case CM_FLAGS: pput(p, "flags"); return;
  case CM_TUPLE:
    pput(p, "tuple<");
    for (uint32_t i = 0; i < t->as.tuple.n; i++) {
      if (i) pput(p, ", ");
      print_type(p, t->as.tuple.types[i], depth + 1);
    }
    pput(p, ">");
    return;
  case CM_OPTION:
    pput(p, "option<");
    print_type(p, t->as.option.t, depth + 1);
    pput(p, ">");
    return;
  case CM_RESULT:
    pput(p, "result<");
    print_type(p, t->as.result.ok, depth + 1);
    pput(p, ", ");
    print_type(p, t->as.result.err, depth + 1);
    pput(p, ">");
    return;
  case CM_OWN: pput(p, "own"); return;
  case CM_BORROW: pput(p, "borrow"); return;
  case CM_STREAM: pput(p, "stream"); return;
  case CM_FUTURE: pput(p, "future"); return;
  default:
    if ((unsigned)t->kind <= CM_ERROR_CONTEXT) pput(p, prim[t->kind]);
    return;
  }
}

size_t cm_type_print(const cm_type *t, char *buf, size_t len) {
  pbuf p = {buf, len, 0};
  if (len) buf[0] = 0;
  print_type(&p, t, 0);
  return p.n;
}

/* ---- values ---- */

bool cm_val_string(cm_val *out, const char *s, size_t n) {
  memset(out, 0, sizeof *out);
  char *p = malloc(n + 1);
  if (!p) return false;
  if (n) memcpy(p, s, n);
  p[n] = 0;
  out->kind = CM_STRING;
  out->of.str.ptr = p;
  out->of.str.len = n;
  return true;
}

bool cm_val_agg(cm_val *out, cm_typekind kind, size_t n) {
  memset(out, 0, sizeof *out);
  out->kind = kind;
  if (n == 0) return true;
  out->of.list.elems = calloc(n, sizeof(cm_val));
  if (!out->of.list.elems) return false;
  out->of.list.n = n;
  return true;
}

bool cm_val_bytes(cm_val *out, const uint8_t *p, size_t n) {
  if (!cm_val_agg(out, CM_LIST, n)) return false;
  for (size_t i = 0; i < n; i++) out->of.list.elems[i] = (cm_val){.kind = CM_U8, .of.u = p[i]};
  return true;
}

bool cm_val_case(cm_val *out, cm_typekind kind, uint32_t disc, const cm_val *payload) {
  memset(out, 0, sizeof *out);
  out->kind = kind;
  out->of.variant.disc = disc;
  if (!payload) return true;
  cm_val *p = malloc(sizeof *p);
  if (!p) {
    cm_val_free((cm_val *)payload);
    return false;
  }
  *p = *payload;
  out->of.variant.payload = p;
  return true;
}

void cm_val_free(cm_val *v) {
  if (!v) return;
  switch (v->kind) {
  case CM_STRING:
    free(v->of.str.ptr);
    v->of.str.ptr = NULL;
    break;
  case CM_LIST:
  case CM_RECORD:
  case CM_TUPLE:
    for (size_t i = 0; i < v->of.list.n; i++) cm_val_free(&v->of.list.elems[i]);
    free(v->of.list.elems);
    v->of.list.elems = NULL;
    v->of.list.n = 0;
    break;
  case CM_VARIANT:
  case CM_ENUM:
  case CM_OPTION:
  case CM_RESULT:
    if (v->of.variant.payload) {
      cm_val_free(v->of.variant.payload);
      free(v->of.variant.payload);
      v->of.variant.payload = NULL;
    }
    break;
  case CM_FLAGS:
    free(v->of.flags.words);
    v->of.flags.words = NULL;
    break;
  default:
    break;
  }
}

bool cm_val_equal(const cm_val *a, const cm_val *b) {
  if (a == b) return true;
  if (!a || !b || a->kind != b->kind) return false;
  switch (a->kind) {
  case CM_BOOL: return a->of.b == b->of.b;
  case CM_S8: case CM_S16: case CM_S32: case CM_S64: return a->of.s == b->of.s;
  case CM_U8: case CM_U16: case CM_U32: case CM_U64: return a->of.u == b->of.u;
  case CM_F32: {
    /* all NaNs are one value in the component model */
    float x = a->of.f32, y = b->of.f32;
    if (x != x && y != y) return true;
    return memcmp(&x, &y, sizeof x) == 0;
  }
  case CM_F64: {
    double x = a->of.f64, y = b->of.f64;
    if (x != x && y != y) return true;
    return memcmp(&x, &y, sizeof x) == 0;
  }
  case CM_CHAR: return a->of.ch == b->of.ch;
  case CM_STRING:
    return a->of.str.len == b->of.str.len &&
           (!a->of.str.len ||
            !memcmp(a->of.str.ptr, b->of.str.ptr, a->of.str.len));
  case CM_LIST: case CM_RECORD: case CM_TUPLE:
    if (a->of.list.n != b->of.list.n) return false;
    for (size_t i = 0; i < a->of.list.n; i++)
      if (!cm_val_equal(&a->of.list.elems[i], &b->of.list.elems[i]))
        return false;
    return true;
  case CM_VARIANT: case CM_ENUM: case CM_OPTION: case CM_RESULT:
    if (a->of.variant.disc != b->of.variant.disc) return false;
    if (!a->of.variant.payload || !b->of.variant.payload)
      return a->of.variant.payload == b->of.variant.payload;
    return cm_val_equal(a->of.variant.payload, b->of.variant.payload);
  case CM_FLAGS: {
    if (a->of.flags.nlabels != b->of.flags.nlabels) return false;
    uint32_t nw = (a->of.flags.nlabels + 31) / 32;
    for (uint32_t i = 0; i < nw; i++) {
      uint32_t x = a->of.flags.words ? a->of.flags.words[i] : 0;
      uint32_t y = b->of.flags.words ? b->of.flags.words[i] : 0;
      if (x != y) return false;
    }
    return true;
  }
  default:
    return a->of.handle == b->of.handle;
  }
}
