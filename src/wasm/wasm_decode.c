/*
 * wasm_decode.c: the binary format into struct wasm_module.
 *
 * Like the reference interpreter, sections are read from the whole module
 * stream and their declared size is checked afterwards, so the error for a
 * truncated or overlong item is the one the spec tests expect. Function
 * bodies and constant expressions are scanned instruction by instruction
 * here (encoding and block nesting only); typing is wasm_validate's job.
 */
#include <stdlib.h>
#include <string.h>

#include "wasm_opcodes.h"
#include "wasm_read.h"
#include "wasm_runtime.h"

typedef struct dec {
  wasm_module *m;
  wasm_reader r;       /* the whole module */
  wasm_error *err;
  bool has_code;       /* code section seen */
  uint32_t ncode;      /* its count of bodies */
  bool has_data;       /* data section seen */
  const uint8_t *names;     /* content of the "name" custom section */
  const uint8_t *names_end;
  uint8_t *nest;       /* block-kind stack for scan_expr */
  size_t nest_cap;
  bool multi_memory;   /* memory indexes beyond 2.0's zero byte allowed */
  bool exceptions;     /* tags (section 13, extern kind 4) allowed */
} dec;

#define TRY(x) do { wasm_status s_ = (x); if (s_ != WASM_OK) return s_; } while (0)

static wasm_status malformed(dec *d, const char *msg) {
  return wasm_fail(d->err, WASM_MALFORMED, "%s", msg);
}

static wasm_status nomem(dec *d) {
  return wasm_fail(d->err, WASM_NOMEM, "out of memory");
}

/* calloc for n items whose count was bounded by the input size. */
static void *alloc_n(size_t n, size_t size) {
  return calloc(n ? n : 1, size);
}

/* ---- names and types ---- */

static wasm_status rd_name(dec *d, wasm_reader *r, char **out,
                           uint32_t *out_len) {
  uint32_t n = 0;
  const uint8_t *bytes = NULL;
  TRY(wasm_rd_len(r, &n, d->err));
  TRY(wasm_rd_bytes(r, n, &bytes, d->err));
  if (!wasm_utf8_valid(bytes, n)) return malformed(d, "malformed UTF-8 encoding");
  char *s = malloc((size_t)n + 1);
  if (!s) return nomem(d);
  memcpy(s, bytes, n);
  s[n] = 0;
  *out = s;
  if (out_len) *out_len = n;
  return WASM_OK;
}

/* exnref exists only with WASM_FEATURE_EXCEPTIONS. */
static bool dec_valtype(const dec *d, uint8_t b) {
  return wasm_is_valtype(b) && (b != WASM_EXNREF || d->exceptions);
}

static wasm_status rd_valtype(dec *d, uint8_t *out) {
  TRY(wasm_rd_byte(&d->r, out, d->err));
  if (!dec_valtype(d, *out)) return malformed(d, "malformed value type");
  return WASM_OK;
}

static wasm_status rd_reftype(dec *d, uint8_t *out) {
  TRY(wasm_rd_byte(&d->r, out, d->err));
  if (!wasm_is_reftype(*out) || (*out == WASM_EXNREF && !d->exceptions))
    return malformed(d, "malformed reference type");
  return WASM_OK;
}

/* Limits flags are a one-bit LEB128 in 2.0 (so 0x02 is "integer too
 * large" and 0x81 "integer representation too long"). */
static wasm_status rd_limits(dec *d, wasm_limits *l) {
  uint64_t flags = 0;
  uint32_t v = 0;
  TRY(wasm_rd_leb(&d->r, 1, false, &flags, d->err));
  TRY(wasm_rd_u32(&d->r, &v, d->err));
  l->min = v;
  l->has_max = flags == 1;
  l->max = 0;
  if (l->has_max) {
    TRY(wasm_rd_u32(&d->r, &v, d->err));
    l->max = v;
  }
  return WASM_OK;
}

static wasm_status rd_tabletype(dec *d, wasm_tabletype *t) {
  TRY(rd_reftype(d, &t->elem));
  return rd_limits(d, &t->limits);
}

/* A tag type: attribute 0 (exception), then a function type index. */
static wasm_status rd_tagtype(dec *d, uint32_t *type) {
  uint8_t attr = 0;
  TRY(wasm_rd_byte(&d->r, &attr, d->err));
  if (attr != 0) return malformed(d, "malformed tag attribute");
  return wasm_rd_u32(&d->r, type, d->err);
}

static wasm_status rd_globaltype(dec *d, wasm_globaltype *g) {
  uint8_t mut = 0;
  TRY(rd_valtype(d, &g->kind));
  TRY(wasm_rd_byte(&d->r, &mut, d->err));
  if (mut > 1) return malformed(d, "malformed mutability");
  g->mutable_ = mut == 1;
  return WASM_OK;
}

/* ---- expressions ---- */

/* Reads instructions up to the `end` that closes the expression, checking
 * their encoding and that `else` only appears once directly inside `if`. */
static wasm_status scan_expr(dec *d) {
  enum { K_BLOCK, K_IF, K_ELSE };
  size_t depth = 0;
  wasm_instr in;
  for (;;) {
    TRY(wasm_read_instr(&d->r, &in, d->err));
    switch (in.op) {
    case WASM_OP_THROW: case WASM_OP_THROW_REF:
      if (!d->exceptions) return malformed(d, "illegal opcode");
      break;
    case WASM_OP_TRY_TABLE:
    case WASM_OP_BLOCK: case WASM_OP_LOOP: case WASM_OP_IF:
      if (in.op == WASM_OP_TRY_TABLE && !d->exceptions) return malformed(d, "illegal opcode");
      if (depth == d->nest_cap) {
        size_t cap = d->nest_cap ? d->nest_cap * 2 : 64;
        uint8_t *p = realloc(d->nest, cap);
        if (!p) return nomem(d);
        d->nest = p;
        d->nest_cap = cap;
      }
      d->nest[depth++] = in.op == WASM_OP_IF ? K_IF : K_BLOCK;
      break;
    case WASM_OP_ELSE:
      if (depth == 0 || d->nest[depth - 1] != K_IF)
        return malformed(d, "END opcode expected");
      d->nest[depth - 1] = K_ELSE;
      break;
    case WASM_OP_END:
      if (depth == 0) return WASM_OK;
      depth--;
      break;
    case WASM_OP_MEMORY_INIT: case WASM_OP_DATA_DROP:
      if (!d->m->has_datacount)
        return malformed(d, "data count section required");
      break;
    default:
      break;
    }
    if (!d->multi_memory) TRY(wasm_check_memimm_v2(&d->r, &in, d->err));
  }
}

static wasm_status rd_constexpr(dec *d, wasm_constexpr *e) {
  const uint8_t *start = d->r.p;
  TRY(scan_expr(d));
  e->code = start;
  e->len = (uint32_t)(d->r.p - start);
  return WASM_OK;
}

/* ---- sections ---- */

static wasm_status sec_type(dec *d) {
  wasm_module *m = d->m;
  uint32_t n = 0;
  TRY(wasm_rd_count(&d->r, &n, d->err));
  if (!(m->types = alloc_n(n, sizeof *m->types))) return nomem(d);
  m->ntypes = n;
  for (uint32_t i = 0; i < n; i++) {
    wasm_functype *t = &m->types[i];
    uint64_t form = 0;
    uint32_t np = 0, nr = 0;
    const uint8_t *ps = NULL, *rs = NULL;
    /* The form is an s7 LEB128 (-0x20, encoded 0x60). */
    TRY(wasm_rd_leb(&d->r, 7, true, &form, d->err));
    if ((int64_t)form != -0x20) return malformed(d, "malformed function type");
    TRY(wasm_rd_count(&d->r, &np, d->err));
    TRY(wasm_rd_bytes(&d->r, np, &ps, d->err));
    TRY(wasm_rd_count(&d->r, &nr, d->err));
    TRY(wasm_rd_bytes(&d->r, nr, &rs, d->err));
    /* Implementation limits (as in other engines), so later stages may
     * keep a signature's values in bounded buffers. */
    if (np > WASM_MAX_PARAMS) return malformed(d, "too many parameters");
    if (nr > WASM_MAX_RESULTS) return malformed(d, "too many results");
    for (uint32_t k = 0; k < np; k++)
      if (!dec_valtype(d, ps[k])) return malformed(d, "malformed value type");
    for (uint32_t k = 0; k < nr; k++)
      if (!dec_valtype(d, rs[k])) return malformed(d, "malformed value type");
    if (!(t->types = alloc_n((size_t)np + nr, 1))) return nomem(d);
    memcpy(t->types, ps, np);
    memcpy(t->types + np, rs, nr);
    t->nparams = np;
    t->nresults = nr;
  }
  return WASM_OK;
}

static wasm_status sec_import(dec *d) {
  wasm_module *m = d->m;
  uint32_t n = 0;
  TRY(wasm_rd_count(&d->r, &n, d->err));
  if (!(m->imports = alloc_n(n, sizeof *m->imports))) return nomem(d);
  m->nimports = n;
  for (uint32_t i = 0; i < n; i++) {
    wasm_import *im = &m->imports[i];
    uint8_t kind = 0;
    TRY(rd_name(d, &d->r, &im->module, &im->module_len));
    TRY(rd_name(d, &d->r, &im->name, &im->name_len));
    TRY(wasm_rd_byte(&d->r, &kind, d->err));
    switch (kind) {
    case WASM_EXTERN_FUNC:
      TRY(wasm_rd_u32(&d->r, &im->as.func_type, d->err));
      m->nfunc_imports++;
      break;
    case WASM_EXTERN_TABLE:
      TRY(rd_tabletype(d, &im->as.table));
      m->ntable_imports++;
      break;
    case WASM_EXTERN_MEMORY:
      TRY(rd_limits(d, &im->as.memory.limits));
      m->nmemory_imports++;
      break;
    case WASM_EXTERN_GLOBAL:
      TRY(rd_globaltype(d, &im->as.global));
      m->nglobal_imports++;
      break;
    case WASM_EXTERN_TAG:
      if (!d->exceptions) return malformed(d, "malformed import kind");
      TRY(rd_tagtype(d, &im->as.tag_type));
      m->ntag_imports++;
      break;
    default:
      return malformed(d, "malformed import kind");
    }
    im->kind = (wasm_externkind)kind;
  }
  uint32_t counts[5] = {m->nfunc_imports, m->ntable_imports,
                        m->nmemory_imports, m->nglobal_imports, m->ntag_imports};
  uint32_t fill[5] = {0, 0, 0, 0, 0};
  for (int k = 0; k < 5; k++)
    if (!(m->import_pos[k] = alloc_n(counts[k], sizeof(uint32_t))))
      return nomem(d);
  for (uint32_t i = 0; i < n; i++) {
    int k = m->imports[i].kind;
    m->import_pos[k][fill[k]++] = i;
  }
  return WASM_OK;
}

static wasm_status sec_func(dec *d) {
  wasm_module *m = d->m;
  uint32_t n = 0;
  TRY(wasm_rd_count(&d->r, &n, d->err));
  if (!(m->funcs = alloc_n(n, sizeof *m->funcs))) return nomem(d);
  m->nfuncs = n;
  for (uint32_t i = 0; i < n; i++)
    TRY(wasm_rd_u32(&d->r, &m->funcs[i].type, d->err));
  return WASM_OK;
}

static wasm_status sec_table(dec *d) {
  wasm_module *m = d->m;
  uint32_t n = 0;
  TRY(wasm_rd_count(&d->r, &n, d->err));
  if (!(m->tables = alloc_n(n, sizeof *m->tables))) return nomem(d);
  m->ntables = n;
  for (uint32_t i = 0; i < n; i++) TRY(rd_tabletype(d, &m->tables[i]));
  return WASM_OK;
}

static wasm_status sec_memory(dec *d) {
  wasm_module *m = d->m;
  uint32_t n = 0;
  TRY(wasm_rd_count(&d->r, &n, d->err));
  if (!(m->memories = alloc_n(n, sizeof *m->memories))) return nomem(d);
  m->nmemories = n;
  for (uint32_t i = 0; i < n; i++) TRY(rd_limits(d, &m->memories[i].limits));
  return WASM_OK;
}

/* The tag section: each tag is an attribute byte (0: exception) and a
 * type index. */
static wasm_status sec_tag(dec *d) {
  wasm_module *m = d->m;
  uint32_t n = 0;
  TRY(wasm_rd_count(&d->r, &n, d->err));
  if (!(m->tags = alloc_n(n, sizeof *m->tags))) return nomem(d);
  m->ntags = n;
  for (uint32_t i = 0; i < n; i++) TRY(rd_tagtype(d, &m->tags[i]));
  return WASM_OK;
}

static wasm_status sec_global(dec *d) {
  wasm_module *m = d->m;
  uint32_t n = 0;
  TRY(wasm_rd_count(&d->r, &n, d->err));
  if (!(m->globals = alloc_n(n, sizeof *m->globals))) return nomem(d);
  m->nglobals = n;
  for (uint32_t i = 0; i < n; i++) {
    TRY(rd_globaltype(d, &m->globals[i].type));
    TRY(rd_constexpr(d, &m->globals[i].init));
  }
  return WASM_OK;
}

static wasm_status sec_export(dec *d) {
  wasm_module *m = d->m;
  uint32_t n = 0;
  TRY(wasm_rd_count(&d->r, &n, d->err));
  if (!(m->exports = alloc_n(n, sizeof *m->exports))) return nomem(d);
  m->nexports = n;
  for (uint32_t i = 0; i < n; i++) {
    wasm_export *ex = &m->exports[i];
    uint8_t kind = 0;
    TRY(rd_name(d, &d->r, &ex->name, &ex->name_len));
    TRY(wasm_rd_byte(&d->r, &kind, d->err));
    if (kind > (d->exceptions ? WASM_EXTERN_TAG : WASM_EXTERN_GLOBAL))
      return malformed(d, "malformed export kind");
    ex->kind = (wasm_externkind)kind;
    TRY(wasm_rd_u32(&d->r, &ex->index, d->err));
  }
  return WASM_OK;
}

static wasm_status sec_start(dec *d) {
  d->m->has_start = true;
  return wasm_rd_u32(&d->r, &d->m->start, d->err);
}

/* The eight element segment encodings: bit 0 passive/declarative (with
 * bit 1 choosing declarative) or active; bit 1 on an active segment means
 * an explicit table index; bit 2 means items are expressions and the type
 * is a reftype rather than an elemkind. */
static wasm_status rd_elem(dec *d, wasm_elem *e) {
  uint32_t flags = 0, n = 0;
  TRY(wasm_rd_u32(&d->r, &flags, d->err));
  if (flags > 7) return malformed(d, "malformed elements segment kind");
  bool passive = flags & 1, explicit_ = flags & 2, exprs = flags & 4;
  e->elem_kind = WASM_FUNCREF;
  if (passive) {
    e->mode = explicit_ ? WASM_SEG_DECLARATIVE : WASM_SEG_PASSIVE;
  } else {
    e->mode = WASM_SEG_ACTIVE;
    if (explicit_) TRY(wasm_rd_u32(&d->r, &e->table, d->err));
    TRY(rd_constexpr(d, &e->offset));
  }
  if (passive || explicit_) {
    if (exprs) {
      TRY(rd_reftype(d, &e->elem_kind));
    } else {
      uint8_t kind = 0;
      TRY(wasm_rd_byte(&d->r, &kind, d->err));
      if (kind != 0) return malformed(d, "malformed element kind");
    }
  }
  TRY(wasm_rd_count(&d->r, &n, d->err));
  if (exprs) {
    if (!(e->exprs = alloc_n(n, sizeof *e->exprs))) return nomem(d);
    e->count = n;
    for (uint32_t i = 0; i < n; i++) TRY(rd_constexpr(d, &e->exprs[i]));
  } else {
    if (!(e->func_indices = alloc_n(n, sizeof *e->func_indices)))
      return nomem(d);
    e->count = n;
    for (uint32_t i = 0; i < n; i++)
      TRY(wasm_rd_u32(&d->r, &e->func_indices[i], d->err));
  }
  return WASM_OK;
}

static wasm_status sec_elem(dec *d) {
  wasm_module *m = d->m;
  uint32_t n = 0;
  TRY(wasm_rd_count(&d->r, &n, d->err));
  if (!(m->elems = alloc_n(n, sizeof *m->elems))) return nomem(d);
  m->nelems = n;
  for (uint32_t i = 0; i < n; i++) TRY(rd_elem(d, &m->elems[i]));
  return WASM_OK;
}

static wasm_status sec_datacount(dec *d) {
  d->m->has_datacount = true;
  return wasm_rd_u32(&d->r, &d->m->datacount, d->err);
}

/* Locals are (count, type) groups; the total is checked before anything
 * is allocated so a hostile count cannot make us allocate without end. */
static wasm_status rd_locals(dec *d, wasm_funcdef *f) {
  const wasm_module *m = d->m;
  uint32_t ngroups = 0, cnt = 0;
  uint8_t t = 0;
  uint64_t total = 0;
  TRY(wasm_rd_count(&d->r, &ngroups, d->err));
  const uint8_t *groups = d->r.p;
  for (uint32_t g = 0; g < ngroups; g++) {
    TRY(wasm_rd_u32(&d->r, &cnt, d->err));
    TRY(rd_valtype(d, &t));
    total += cnt;
  }
  uint64_t nparams = f->type < m->ntypes ? m->types[f->type].nparams : 0;
  if (total + nparams > WASM_MAX_LOCALS) return malformed(d, "too many locals");
  if (!(f->local_types = alloc_n((size_t)total, 1))) return nomem(d);
  f->nlocals = (uint32_t)total;
  wasm_reader again = {d->r.base, groups, d->r.p};
  uint32_t at = 0;
  for (uint32_t g = 0; g < ngroups; g++) {
    TRY(wasm_rd_u32(&again, &cnt, d->err));
    TRY(wasm_rd_byte(&again, &t, d->err));
    memset(f->local_types + at, t, cnt);
    at += cnt;
  }
  return WASM_OK;
}

/* A count that disagrees with the function section is reported after the
 * last section (as the reference does); meanwhile extra bodies are read
 * into a scratch entry. */
static wasm_status sec_code(dec *d) {
  wasm_module *m = d->m;
  uint32_t n = 0, size = 0;
  TRY(wasm_rd_count(&d->r, &n, d->err));
  d->has_code = true;
  d->ncode = n;
  for (uint32_t i = 0; i < n; i++) {
    wasm_funcdef scratch = {.type = UINT32_MAX};
    wasm_funcdef *f = i < m->nfuncs ? &m->funcs[i] : &scratch;
    TRY(wasm_rd_len(&d->r, &size, d->err));
    const uint8_t *end = d->r.p + size;
    wasm_status s = rd_locals(d, f);
    if (s == WASM_OK) {
      const uint8_t *body = d->r.p;
      s = scan_expr(d);
      if (s == WASM_OK && d->r.p != end) s = malformed(d, "section size mismatch");
      if (s == WASM_OK) {
        f->body = body;
        f->body_len = (uint32_t)(end - body);
        f->body_offset = (uint32_t)(body - d->r.base);
      }
    }
    free(scratch.local_types);
    if (s != WASM_OK) return s;
  }
  return WASM_OK;
}

static wasm_status rd_data(dec *d, wasm_data *s) {
  uint32_t flags = 0, n = 0;
  TRY(wasm_rd_u32(&d->r, &flags, d->err));
  if (flags > 2) return malformed(d, "malformed data segment kind");
  s->mode = flags == 1 ? WASM_SEG_PASSIVE : WASM_SEG_ACTIVE;
  if (flags == 2) TRY(wasm_rd_u32(&d->r, &s->memory, d->err));
  if (flags != 1) TRY(rd_constexpr(d, &s->offset));
  /* A short payload is "unexpected end", not "length out of bounds". */
  TRY(wasm_rd_u32(&d->r, &n, d->err));
  TRY(wasm_rd_bytes(&d->r, n, &s->bytes, d->err));
  s->len = n;
  return WASM_OK;
}

static wasm_status sec_data(dec *d) {
  wasm_module *m = d->m;
  uint32_t n = 0;
  TRY(wasm_rd_count(&d->r, &n, d->err));
  d->has_data = true;
  if (m->has_datacount && n != m->datacount)
    return malformed(d, "data count and data section have inconsistent lengths");
  if (!(m->datas = alloc_n(n, sizeof *m->datas))) return nomem(d);
  m->ndatas = n;
  for (uint32_t i = 0; i < n; i++) TRY(rd_data(d, &m->datas[i]));
  return WASM_OK;
}

/* A custom section: a UTF-8 name within the section, then anything. */
static wasm_status sec_custom(dec *d, const uint8_t *end) {
  wasm_reader r = {d->r.base, d->r.p, end};
  uint32_t n = 0;
  const uint8_t *name = NULL;
  TRY(wasm_rd_len(&r, &n, d->err));
  TRY(wasm_rd_bytes(&r, n, &name, d->err));
  if (!wasm_utf8_valid(name, n)) return malformed(d, "malformed UTF-8 encoding");
  if (n == 4 && memcmp(name, "name", 4) == 0 && !d->names) {
    d->names = r.p;
    d->names_end = end;
  }
  d->r.p = end;
  return WASM_OK;
}

/* ---- the name section (best effort: a bad one is ignored) ---- */

/* Walks the function-names subsection; with apply false only checks it. */
static bool walk_func_names(dec *d, bool apply) {
  wasm_module *m = d->m;
  wasm_reader r = {d->r.base, d->names, d->names_end};
  uint32_t prev = 0;
  bool first = true;
  while (r.p < r.end) {
    uint8_t id = 0;
    uint32_t size = 0;
    if (wasm_rd_byte(&r, &id, NULL) || wasm_rd_len(&r, &size, NULL)) return false;
    wasm_reader sub = {r.base, r.p, r.p + size};
    r.p += size;
    if (id != 1) continue;
    uint32_t n = 0;
    if (wasm_rd_len(&sub, &n, NULL)) return false;
    for (uint32_t i = 0; i < n; i++) {
      uint32_t idx = 0, len = 0;
      const uint8_t *s = NULL;
      if (wasm_rd_u32(&sub, &idx, NULL) || wasm_rd_len(&sub, &len, NULL) ||
          wasm_rd_bytes(&sub, len, &s, NULL) || !wasm_utf8_valid(s, len))
        return false;
      if (!first && idx <= prev) return false; /* must be sorted, unique */
      first = false;
      prev = idx;
      if (!apply || idx < m->nfunc_imports ||
          idx - m->nfunc_imports >= m->nfuncs)
        continue;
      wasm_funcdef *f = &m->funcs[idx - m->nfunc_imports];
      char *name = malloc((size_t)len + 1);
      if (!name) return false;
      memcpy(name, s, len);
      name[len] = 0;
      free(f->name);
      f->name = name;
    }
    if (sub.p != sub.end) return false;
  }
  return true;
}

static wasm_status fill_names(dec *d) {
  wasm_module *m = d->m;
  if (d->names && walk_func_names(d, false)) walk_func_names(d, true);
  for (uint32_t i = 0; i < m->nexports; i++) {
    const wasm_export *ex = &m->exports[i];
    if (ex->kind != WASM_EXTERN_FUNC || ex->index < m->nfunc_imports ||
        ex->index - m->nfunc_imports >= m->nfuncs)
      continue;
    wasm_funcdef *f = &m->funcs[ex->index - m->nfunc_imports];
    if (f->name) continue;
    if (!(f->name = malloc((size_t)ex->name_len + 1))) return nomem(d);
    memcpy(f->name, ex->name, (size_t)ex->name_len + 1);
  }
  return WASM_OK;
}

/* ---- declared function references (C.refs) ---- */

static void declare(wasm_module *m, uint32_t f) {
  if (f < wasm_module_total_funcs(m)) m->func_declared[f] = 1;
}

static void declare_in_expr(wasm_module *m, const wasm_constexpr *e) {
  wasm_reader r = {m->bytes, e->code, e->code + e->len};
  wasm_instr in;
  while (r.p < r.end && wasm_read_instr(&r, &in, NULL) == WASM_OK)
    if (in.op == WASM_OP_REF_FUNC) declare(m, in.imm.index);
}

static wasm_status fill_declared(dec *d) {
  wasm_module *m = d->m;
  if (!(m->func_declared = alloc_n(wasm_module_total_funcs(m), 1)))
    return nomem(d);
  for (uint32_t i = 0; i < m->nexports; i++)
    if (m->exports[i].kind == WASM_EXTERN_FUNC) declare(m, m->exports[i].index);
  for (uint32_t i = 0; i < m->nglobals; i++)
    declare_in_expr(m, &m->globals[i].init);
  for (uint32_t i = 0; i < m->nelems; i++) {
    const wasm_elem *e = &m->elems[i];
    for (uint32_t k = 0; k < e->count; k++) {
      if (e->func_indices) declare(m, e->func_indices[k]);
      else declare_in_expr(m, &e->exprs[k]);
    }
  }
  return WASM_OK;
}

/* ---- the module ---- */

/* Position of each non-custom section id in the required order
 * (the data count section sits between element and code). */
static int section_rank(uint8_t id) {
  /* The tag section (13) sits between memory and global. */
  static const int8_t rank[14] = {0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 22, 24, 20, 11};
  return rank[id];
}

static wasm_status decode_sections(dec *d) {
  wasm_module *m = d->m;
  wasm_reader *r = &d->r;
  static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6d};
  static const uint8_t version[4] = {0x01, 0x00, 0x00, 0x00};
  if (m->len < 4) return malformed(d, "unexpected end");
  if (memcmp(m->bytes, magic, 4) != 0)
    return malformed(d, "magic header not detected");
  if (m->len < 8) return malformed(d, "unexpected end");
  if (memcmp(m->bytes + 4, version, 4) != 0)
    return malformed(d, "unknown binary version");
  r->p += 8;
  int last = 0;
  while (r->p < r->end) {
    uint8_t id = 0;
    uint32_t size = 0;
    TRY(wasm_rd_byte(r, &id, d->err));
    if (id > (d->exceptions ? 13 : 12)) return malformed(d, "malformed section id");
    TRY(wasm_rd_len(r, &size, d->err));
    const uint8_t *end = r->p + size;
    if (id == 0) {
      TRY(sec_custom(d, end));
      continue;
    }
    if (section_rank(id) <= last)
      return malformed(d, "unexpected content after last section");
    last = section_rank(id);
    switch (id) {
    case 1: TRY(sec_type(d)); break;
    case 2: TRY(sec_import(d)); break;
    case 3: TRY(sec_func(d)); break;
    case 4: TRY(sec_table(d)); break;
    case 5: TRY(sec_memory(d)); break;
    case 6: TRY(sec_global(d)); break;
    case 7: TRY(sec_export(d)); break;
    case 8: TRY(sec_start(d)); break;
    case 9: TRY(sec_elem(d)); break;
    case 10: TRY(sec_code(d)); break;
    case 11: TRY(sec_data(d)); break;
    case 12: TRY(sec_datacount(d)); break;
    case 13: TRY(sec_tag(d)); break;
    }
    if (r->p != end) return malformed(d, "section size mismatch");
  }
  if (m->nfuncs != d->ncode)
    return malformed(d, "function and code section have inconsistent lengths");
  if (m->has_datacount && m->datacount != 0 && !d->has_data)
    return malformed(d, "data count and data section have inconsistent lengths");
  if (!m->import_pos[0]) /* no import section: empty position tables */
    for (int k = 0; k < 5; k++)
      if (!(m->import_pos[k] = alloc_n(0, sizeof(uint32_t)))) return nomem(d);
  TRY(fill_names(d));
  return fill_declared(d);
}

wasm_status wasm_decode(wasm_module *m, wasm_error *err) {
  dec d = {0};
  d.m = m;
  d.err = err;
  d.r.base = m->bytes;
  d.r.p = m->bytes;
  d.r.end = m->bytes + m->len;
  d.multi_memory = wasm_module_multi_memory(m);
  d.exceptions = wasm_module_exceptions(m);
  if (!m->bytes && m->len) return wasm_fail(err, WASM_BAD_ARG, "no bytes");
  wasm_status s = decode_sections(&d);
  free(d.nest);
  if (s != WASM_OK) wasm_module_free_contents(m);
  return s;
}

/* ---- freeing and type helpers ---- */

void wasm_module_free_contents(wasm_module *m) {
  for (uint32_t i = 0; i < m->ntypes; i++) free(m->types[i].types);
  free(m->types);
  for (uint32_t i = 0; i < m->nimports; i++) {
    free(m->imports[i].module);
    free(m->imports[i].name);
  }
  free(m->imports);
  for (uint32_t i = 0; i < m->nfuncs; i++) {
    free(m->funcs[i].local_types);
    free(m->funcs[i].name);
    if (m->funcs[i].code) wasm_compile_free(m->funcs[i].code);
  }
  free(m->funcs);
  free(m->tables);
  free(m->memories);
  free(m->globals);
  for (uint32_t i = 0; i < m->nexports; i++) free(m->exports[i].name);
  free(m->exports);
  for (uint32_t i = 0; i < m->nelems; i++) {
    free(m->elems[i].func_indices);
    free(m->elems[i].exprs);
  }
  free(m->elems);
  free(m->datas);
  free(m->func_declared);
  for (int k = 0; k < 5; k++) free(m->import_pos[k]);
  free(m->tags);
  /* Leave the module empty but keep what the caller owns. */
  wasm_engine *engine = m->engine;
  uint8_t *bytes = m->bytes;
  size_t len = m->len;
  memset(m, 0, sizeof *m);
  m->engine = engine;
  m->bytes = bytes;
  m->len = len;
}

bool wasm_module_multi_memory(const wasm_module *m) {
  return m->engine && (m->engine->config.features & WASM_FEATURE_MULTI_MEMORY);
}

bool wasm_module_exceptions(const wasm_module *m) {
  return m->engine && (m->engine->config.features & WASM_FEATURE_EXCEPTIONS);
}

uint32_t wasm_module_tag_type(const wasm_module *m, uint32_t i) {
  if (i < m->ntag_imports) return m->imports[m->import_pos[4][i]].as.tag_type;
  return m->tags[i - m->ntag_imports];
}

const wasm_functype *wasm_module_func_type(const wasm_module *m, uint32_t f) {
  uint32_t t = 0;
  if (f < m->nfunc_imports) t = m->imports[m->import_pos[0][f]].as.func_type;
  else if (f - m->nfunc_imports < m->nfuncs) t = m->funcs[f - m->nfunc_imports].type;
  else return NULL;
  return t < m->ntypes ? &m->types[t] : NULL;
}

wasm_tabletype wasm_module_table_type(const wasm_module *m, uint32_t i) {
  if (i < m->ntable_imports) return m->imports[m->import_pos[1][i]].as.table;
  return m->tables[i - m->ntable_imports];
}

wasm_memtype wasm_module_memory_type(const wasm_module *m, uint32_t i) {
  if (i < m->nmemory_imports) return m->imports[m->import_pos[2][i]].as.memory;
  return m->memories[i - m->nmemory_imports];
}

wasm_globaltype wasm_module_global_type(const wasm_module *m, uint32_t i) {
  if (i < m->nglobal_imports) return m->imports[m->import_pos[3][i]].as.global;
  return m->globals[i - m->nglobal_imports].type;
}
