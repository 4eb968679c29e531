/* cm_wat.c: the component text format to the component binary format.
 *
 * Scopes (a component, a component type, an instance type, a core module
 * type) own the index spaces and collect the encoded items; a component's
 * consecutive items of one kind share a section, as in wasm-tools, so the
 * output compares byte for byte with `jco parse` (minus custom sections).
 * This file holds the scopes, the assembly and the component fields;
 * types are in cm_wat_types.c, canon/alias/references in cm_wat_canon.c. */
#include <stdlib.h>
#include <string.h>

#include "component/cm_wat_internal.h"
#include "stratus/component.h"

#define CW_MAX_ITEMS 1000000u /* per index space / item list, against hostile input */

wasm_status cw_nomem(cw_ctx *c) { return wasm_fail(c->w.err, WASM_NOMEM, "out of memory"); }

/* ---- names and index spaces ---- */

static bool name_eq(const wat_name *n, const wat_token *t) {
  return n->p && n->len == t->len && memcmp(n->p, t->p, t->len) == 0;
}

static bool find_name(const cw_scope *sc, int space, const wat_token *t, uint32_t *out) {
  const wat_space *s = &sc->space[space];
  for (uint32_t i = 0; i < s->n; i++) {
    if (name_eq(&s->names[i], t)) {
      *out = i;
      return true;
    }
  }
  return false;
}

wasm_status cw_add(cw_ctx *c, int space, const wat_token *id, uint32_t *idx) {
  wat_space *s = &c->sc->space[space];
  uint32_t dummy;
  if (id && find_name(c->sc, space, id, &dummy))
    return wat_err(&c->w, id, "duplicate identifier %.*s", (int)id->len, id->p);
  if (s->n >= CW_MAX_ITEMS) return wat_err(&c->w, wat_peek(&c->w), "too many definitions");
  if (s->n == s->cap) {
    uint32_t cap = s->cap ? s->cap * 2 : 8;
    wat_name *p = realloc(s->names, cap * sizeof *p);
    if (!p) return cw_nomem(c);
    s->names = p;
    s->cap = cap;
  }
  s->names[s->n].p = id ? id->p : NULL;
  s->names[s->n].len = id ? id->len : 0;
  if (idx) *idx = s->n;
  s->n++;
  return WASM_OK;
}

/* Sort bytes of an outer alias for a space: in a module type the core
 * alias form (core sort, 0x01 outer), elsewhere the component form. */
static void outer_alias(wat_buf *b, int kind, int space, uint32_t ct, uint32_t idx) {
  if (kind == CW_MODTYPE) {
    cw_put_sort(b, space, true);
    wb_byte(b, 0x01);
  } else {
    cw_put_sort(b, space, false);
    wb_byte(b, 0x02);
  }
  wb_u32(b, ct);
  wb_u32(b, idx);
}

wasm_status cw_resolve(cw_ctx *c, int space, const wat_token *t, uint32_t *out) {
  if (t->kind == WT_NUM) {
    if (wat_num_u32(t->p, t->len, out)) return wat_err(&c->w, t, "malformed index");
    c->w.pos++;
    return WASM_OK;
  }
  if (t->kind != WT_ID) return wat_err(&c->w, t, "expected an index");
  c->w.pos++;
  if (find_name(c->sc, space, t, out)) return WASM_OK;
  cw_scope *sc = c->sc;
  for (uint32_t i = 0; i < sc->nimplicit; i++) {
    if (sc->implicit[i].space == space && sc->implicit[i].id->len == t->len &&
        memcmp(sc->implicit[i].id->p, t->p, t->len) == 0) {
      *out = sc->implicit[i].idx;
      return WASM_OK;
    }
  }
  if (space == CS_TYPE || space == CS_COMPONENT || space == CS_CORE_MODULE ||
      space == CS_CORE_TYPE) {
    uint32_t ct = 1, idx;
    for (cw_scope *o = c->sc->parent; o; o = o->parent, ct++) {
      if (!find_name(o, space, t, &idx)) continue;
      /* As wasm-tools: an implicit outer alias, reused within the item. */
      wat_buf b = {0};
      outer_alias(&b, c->sc->kind, space, ct, idx);
      wasm_status st = cw_emit(c, CI_ALIAS, &b);
      if (!st) st = cw_add(c, space, NULL, out);
      if (st) return st;
      if (sc->nimplicit == sc->implicit_cap) {
        uint32_t cap = sc->implicit_cap ? sc->implicit_cap * 2 : 8;
        struct cw_implicit *p = realloc(sc->implicit, cap * sizeof *p);
        if (!p) return cw_nomem(c);
        sc->implicit = p;
        sc->implicit_cap = cap;
      }
      sc->implicit[sc->nimplicit].space = space;
      sc->implicit[sc->nimplicit].id = t;
      sc->implicit[sc->nimplicit].idx = *out;
      sc->nimplicit++;
      return WASM_OK;
    }
  }
  return wat_err(&c->w, t, "unknown identifier %.*s", (int)t->len, t->p);
}

/* ---- items ---- */

static wasm_status push_piece(cw_ctx *c, cw_pieces *ps, uint8_t sec, wat_buf *b) {
  if (b->oom) return cw_nomem(c);
  if (ps->n >= CW_MAX_ITEMS) return wat_err(&c->w, wat_peek(&c->w), "too many items");
  if (ps->n == ps->cap) {
    uint32_t cap = ps->cap ? ps->cap * 2 : 16;
    cw_piece *p = realloc(ps->p, cap * sizeof *p);
    if (!p) return cw_nomem(c);
    ps->p = p;
    ps->cap = cap;
  }
  ps->p[ps->n].sec = sec;
  ps->p[ps->n].b = *b;
  ps->n++;
  memset(b, 0, sizeof *b);
  return WASM_OK;
}

wasm_status cw_emit(cw_ctx *c, int item, wat_buf *b) {
  static const uint8_t sec_of[] = {
    [CI_CORE_MODULE] = 1, [CI_CORE_INSTANCE] = 2, [CI_CORE_TYPE] = 3, [CI_COMPONENT] = 4,
    [CI_INSTANCE] = 5, [CI_ALIAS] = 6, [CI_TYPE] = 7, [CI_CANON] = 8, [CI_START] = 9,
    [CI_IMPORT] = 10, [CI_EXPORT] = 11,
  };
  int prefix = -1;
  switch (c->sc->kind) {
  case CW_COMPONENT:
    return push_piece(c, &c->sc->items, sec_of[item], b);
  case CW_COMPTYPE:
  case CW_INSTTYPE:
    prefix = item == CI_CORE_TYPE ? 0 : item == CI_TYPE ? 1 : item == CI_ALIAS ? 2
           : item == CI_IMPORT && c->sc->kind == CW_COMPTYPE ? 3 : item == CI_EXPORT ? 4 : -1;
    break;
  default:
    prefix = item == CI_IMPORT ? 0 : item == CI_CORE_TYPE ? 1 : item == CI_ALIAS ? 2
           : item == CI_EXPORT ? 3 : -1;
    break;
  }
  if (prefix < 0) {
    wb_free(b);
    return wat_err(&c->w, wat_peek(&c->w), "definition not allowed in this type");
  }
  return push_piece(c, &c->sc->items, (uint8_t)prefix, b);
}

static void pieces_free(cw_pieces *ps) {
  for (uint32_t i = 0; i < ps->n; i++) wb_free(&ps->p[i].b);
  free(ps->p);
  memset(ps, 0, sizeof *ps);
}

void cw_scope_free(cw_scope *sc) {
  for (int i = 0; i < CS_COUNT; i++) free(sc->space[i].names);
  pieces_free(&sc->items);
  pieces_free(&sc->tail);
  free(sc->implicit);
}

/* A component scope's items as sections (runs of one kind merged), or a
 * type scope's declarators as a vector. */
wasm_status cw_assemble(cw_ctx *c, cw_scope *sc, wat_buf *out) {
  for (uint32_t i = 0; i < sc->tail.n; i++) {
    wasm_status st = push_piece(c, &sc->items, sc->tail.p[i].sec, &sc->tail.p[i].b);
    if (st) return st;
  }
  if (sc->kind != CW_COMPONENT) {
    wb_u32(out, sc->items.n);
    for (uint32_t i = 0; i < sc->items.n; i++) {
      wb_byte(out, sc->items.p[i].sec);
      wb_bytes(out, sc->items.p[i].b.p, sc->items.p[i].b.len);
    }
    return out->oom ? cw_nomem(c) : WASM_OK;
  }
  static const uint8_t header[] = {0x00, 0x61, 0x73, 0x6D, 0x0d, 0x00, 0x01, 0x00};
  wb_bytes(out, header, sizeof header);
  for (uint32_t i = 0; i < sc->items.n;) {
    uint8_t sec = sc->items.p[i].sec;
    if (sec == 1 || sec == 4 || sec == 9) { /* one item per section */
      wb_section(out, sec, &sc->items.p[i].b, true);
      i++;
      continue;
    }
    uint32_t j = i;
    while (j < sc->items.n && sc->items.p[j].sec == sec) j++;
    wat_buf body = {0};
    wb_u32(&body, j - i);
    for (; i < j; i++) wb_bytes(&body, sc->items.p[i].b.p, sc->items.p[i].b.len);
    if (body.oom) out->oom = true;
    wb_section(out, sec, &body, true);
    wb_free(&body);
  }
  return out->oom ? cw_nomem(c) : WASM_OK;
}

/* ---- strings ---- */

wasm_status cw_string(cw_ctx *c, uint8_t **s, size_t *n) {
  const wat_token *t = wat_peek(&c->w);
  if (t->kind != WT_STRING) return wat_err(&c->w, t, "expected a string");
  uint8_t *b = malloc(t->len + 1);
  if (!b) return cw_nomem(c);
  *n = wat_string_decode(t, b);
  if (!wat_utf8_valid(b, *n)) {
    free(b);
    return wat_err(&c->w, t, "malformed UTF-8 encoding");
  }
  b[*n] = 0;
  c->w.pos++;
  *s = b;
  return WASM_OK;
}

wasm_status cw_name(cw_ctx *c, wat_buf *b) {
  uint8_t *s;
  size_t n;
  wasm_status st = cw_string(c, &s, &n);
  if (st) return st;
  wb_name(b, s, n);
  free(s);
  return WASM_OK;
}

wasm_status cw_externname(cw_ctx *c, wat_buf *b) {
  static const struct { const char *kw; uint8_t code; } attrs[] = {
    {"implements", 0x00}, {"external-id", 0x02},
  };
  wat_buf name = {0}, a = {0};
  uint32_t n = 0, seen = 0;
  wasm_status st = cw_name(c, &name);
  while (!st && wat_peek(&c->w)->kind == WT_LPAR) {
    size_t i = 0;
    while (i < 2 && !wat_tok_is(wat_peek2(&c->w), attrs[i].kw)) i++;
    if (i == 2) break;
    if (seen & (1u << i)) { /* at most one of each */
      st = wat_err(&c->w, wat_peek2(&c->w), "unexpected token");
      break;
    }
    seen |= 1u << i;
    c->w.pos += 2;
    wb_byte(&a, attrs[i].code);
    if (!(st = cw_name(c, &a))) st = wat_expect_rpar(&c->w);
    n++;
  }
  if (!st) {
    wb_byte(b, n ? 0x02 : 0x00);
    wb_bytes(b, name.p, name.len);
    if (n) {
      wb_u32(b, n);
      wb_bytes(b, a.p, a.len);
    }
  }
  wb_free(&name);
  wb_free(&a);
  return st;
}

/* ---- definition preludes: inline exports and imports ---- */

static bool at_inline_export(const cw_ctx *c) {
  const wat_token *t = wat_peek(&c->w);
  return t->kind == WT_LPAR && wat_tok_is(wat_peek2(&c->w), "export") &&
         c->w.pos + 3 < c->w.ntok && c->w.t[c->w.pos + 2].kind == WT_STRING &&
         c->w.t[c->w.pos + 3].kind == WT_RPAR;
}

/* Skips (export "name")*, remembering where they start. */
static size_t skip_inline_exports(cw_ctx *c) {
  size_t first = c->w.pos;
  while (at_inline_export(c)) c->w.pos += 4;
  return first;
}

/* Queues the inline exports at first for definition idx of space. */
static wasm_status queue_inline_exports(cw_ctx *c, size_t first, int space, uint32_t idx) {
  size_t save = c->w.pos;
  c->w.pos = first;
  wasm_status st = WASM_OK;
  while (!st && at_inline_export(c)) {
    if (c->sc->kind != CW_COMPONENT) {
      st = wat_err(&c->w, wat_peek(&c->w), "inline export not allowed here");
      break;
    }
    c->w.pos += 2;
    wat_buf b = {0};
    wb_byte(&b, 0x00);
    if (!(st = cw_name(c, &b))) {
      cw_put_sort(&b, space, false);
      wb_u32(&b, idx);
      wb_byte(&b, 0x00);
      st = push_piece(c, &c->sc->tail, 11, &b);
    }
    wb_free(&b);
    c->w.pos++; /* ")" */
  }
  c->w.pos = save;
  return st;
}

static bool at_inline_import(const cw_ctx *c) {
  return wat_at_paren_kw(&c->w, "import") && c->w.pos + 3 < c->w.ntok &&
         c->w.t[c->w.pos + 2].kind == WT_STRING && c->w.t[c->w.pos + 3].kind == WT_RPAR;
}

/* (sort $id? (import "name") desc...): an import of the definition. */
static wasm_status inline_import(cw_ctx *c, int space, const wat_token *id, uint32_t *idx) {
  wat_buf b = {0}, desc = {0};
  c->w.pos += 2;
  wb_byte(&b, 0x00);
  wasm_status st = cw_name(c, &b);
  if (!st) st = wat_expect_rpar(&c->w);
  if (!st) st = cw_externdesc_body(c, space, &desc);
  if (!st) {
    wb_bytes(&b, desc.p, desc.len);
    st = cw_emit(c, CI_IMPORT, &b);
  }
  if (!st) st = cw_add(c, space, id, idx);
  wb_free(&b);
  wb_free(&desc);
  return st;
}

/* ---- component fields ---- */

static wasm_status fields(cw_ctx *c, size_t stop);

wasm_status cw_component(cw_ctx *c, cw_scope *sc, size_t stop, wat_buf *out) {
  if (++c->depth > CW_MAX_DEPTH) return wat_err(&c->w, wat_peek(&c->w), "nesting too deep");
  cw_scope *saved = c->sc;
  c->sc = sc;
  wasm_status st = fields(c, stop);
  if (!st) st = cw_assemble(c, sc, out);
  c->sc = saved;
  c->depth--;
  return st;
}

static wasm_status core_module(cw_ctx *c, size_t end) {
  const wat_token *id = wat_opt_id(&c->w);
  size_t ex = skip_inline_exports(c);
  wat_buf b = {0};
  wasm_status st;
  uint32_t idx;
  if (at_inline_import(c)) {
    if ((st = inline_import(c, CS_CORE_MODULE, id, &idx))) return st;
    return queue_inline_exports(c, ex, CS_CORE_MODULE, idx);
  }
  if (wat_tok_is(wat_peek(&c->w), "binary")) {
    c->w.pos++;
    while (wat_peek(&c->w)->kind == WT_STRING) {
      const wat_token *t = wat_peek(&c->w);
      uint8_t *s = malloc(t->len + 1);
      if (!s) return cw_nomem(c);
      size_t n = wat_string_decode(t, s);
      wb_bytes(&b, s, n);
      free(s);
      c->w.pos++;
    }
    st = WASM_OK;
  } else {
    st = wat_module_tokens(c->w.t, c->w.ntok, c->w.pos, end, &b, c->w.err);
    c->w.pos = end;
  }
  if (!st) st = cw_emit(c, CI_CORE_MODULE, &b);
  if (!st) st = cw_add(c, CS_CORE_MODULE, id, &idx);
  if (!st) st = queue_inline_exports(c, ex, CS_CORE_MODULE, idx);
  wb_free(&b);
  return st;
}

/* (export "name" coresortidx)* of a core instance, as a vector. */
static wasm_status core_inline_exports(cw_ctx *c, wat_buf *out) {
  wat_buf b = {0};
  uint32_t n = 0;
  wasm_status st = WASM_OK;
  while (!st && wat_at_paren_kw(&c->w, "export")) {
    c->w.pos += 2;
    int space;
    uint32_t idx;
    if ((st = cw_name(c, &b)) || (st = cw_sortidx(c, -1, true, &space, &idx))) break;
    if (!cw_is_core(space)) {
      st = wat_err(&c->w, wat_peek(&c->w), "expected a core sort");
      break;
    }
    cw_put_sort(&b, space, true);
    wb_u32(&b, idx);
    n++;
    st = wat_expect_rpar(&c->w);
  }
  if (!st) {
    wb_u32(out, n);
    wb_bytes(out, b.p, b.len);
  }
  wb_free(&b);
  return st;
}

static wasm_status core_instance(cw_ctx *c) {
  const wat_token *id = wat_opt_id(&c->w);
  wat_buf b = {0}, args = {0};
  wasm_status st = WASM_OK;
  if (wat_at_paren_kw(&c->w, "instantiate")) {
    c->w.pos += 2;
    uint32_t m, n = 0;
    if ((st = cw_index_or_ref(c, CS_CORE_MODULE, &m))) goto out;
    while (wat_at_paren_kw(&c->w, "with")) {
      c->w.pos += 2;
      if ((st = cw_name(c, &args))) goto out;
      uint32_t inst;
      if (wat_at_paren_kw(&c->w, "instance") &&
          (c->w.t[c->w.pos + 2].kind == WT_LPAR || c->w.t[c->w.pos + 2].kind == WT_RPAR)) {
        c->w.pos += 2;
        wat_buf ib = {0};
        wb_byte(&ib, 0x01);
        st = core_inline_exports(c, &ib);
        if (!st) st = cw_emit(c, CI_CORE_INSTANCE, &ib);
        wb_free(&ib);
        if (st || (st = cw_add(c, CS_CORE_INSTANCE, NULL, &inst)) || (st = wat_expect_rpar(&c->w)))
          goto out;
      } else if ((st = cw_index_or_ref(c, CS_CORE_INSTANCE, &inst))) {
        goto out;
      }
      wb_byte(&args, 0x12);
      wb_u32(&args, inst);
      n++;
      if ((st = wat_expect_rpar(&c->w))) goto out;
    }
    if ((st = wat_expect_rpar(&c->w))) goto out;
    wb_byte(&b, 0x00);
    wb_u32(&b, m);
    wb_u32(&b, n);
    wb_bytes(&b, args.p, args.len);
  } else {
    wb_byte(&b, 0x01);
    if ((st = core_inline_exports(c, &b))) goto out;
  }
  if (!(st = cw_emit(c, CI_CORE_INSTANCE, &b))) st = cw_add(c, CS_CORE_INSTANCE, id, NULL);
out:
  wb_free(&b);
  wb_free(&args);
  return st;
}

/* (export "name" sortidx)* of a component instance, as a vector. */
static wasm_status inline_exports_vec(cw_ctx *c, wat_buf *out) {
  wat_buf b = {0};
  uint32_t n = 0;
  wasm_status st = WASM_OK;
  while (!st && wat_at_paren_kw(&c->w, "export")) {
    c->w.pos += 2;
    int space;
    uint32_t idx;
    if ((st = cw_externname(c, &b)) || (st = cw_sortidx(c, -1, false, &space, &idx))) break;
    cw_put_sort(&b, space, false);
    wb_u32(&b, idx);
    n++;
    st = wat_expect_rpar(&c->w);
  }
  if (!st) {
    wb_u32(out, n);
    wb_bytes(out, b.p, b.len);
  }
  wb_free(&b);
  return st;
}

static wasm_status instance(cw_ctx *c) {
  const wat_token *id = wat_opt_id(&c->w);
  size_t ex = skip_inline_exports(c);
  wat_buf b = {0}, args = {0};
  wasm_status st = WASM_OK;
  uint32_t idx;
  if (at_inline_import(c)) {
    if ((st = inline_import(c, CS_INSTANCE, id, &idx))) return st;
    return queue_inline_exports(c, ex, CS_INSTANCE, idx);
  }
  if (wat_at_paren_kw(&c->w, "alias")) {
    if ((st = cw_alias_sugar(c, CS_INSTANCE, id))) return st;
    return queue_inline_exports(c, ex, CS_INSTANCE, c->sc->space[CS_INSTANCE].n - 1);
  }
  if (wat_at_paren_kw(&c->w, "instantiate")) {
    c->w.pos += 2;
    uint32_t comp, n = 0;
    if ((st = cw_index_or_ref(c, CS_COMPONENT, &comp))) goto out;
    while (wat_at_paren_kw(&c->w, "with")) {
      c->w.pos += 2;
      if ((st = cw_name(c, &args))) goto out;
      int space;
      uint32_t i;
      if (wat_at_paren_kw(&c->w, "instance") &&
          (c->w.t[c->w.pos + 2].kind == WT_LPAR || c->w.t[c->w.pos + 2].kind == WT_RPAR)) {
        c->w.pos += 2;
        wat_buf ib = {0};
        wb_byte(&ib, 0x01);
        st = inline_exports_vec(c, &ib);
        if (!st) st = cw_emit(c, CI_INSTANCE, &ib);
        wb_free(&ib);
        if (st || (st = cw_add(c, CS_INSTANCE, NULL, &i)) || (st = wat_expect_rpar(&c->w))) goto out;
        space = CS_INSTANCE;
      } else if ((st = cw_sortidx(c, -1, false, &space, &i))) {
        goto out;
      }
      cw_put_sort(&args, space, false);
      wb_u32(&args, i);
      n++;
      if ((st = wat_expect_rpar(&c->w))) goto out;
    }
    if ((st = wat_expect_rpar(&c->w))) goto out;
    wb_byte(&b, 0x00);
    wb_u32(&b, comp);
    wb_u32(&b, n);
    wb_bytes(&b, args.p, args.len);
  } else {
    wb_byte(&b, 0x01);
    if ((st = inline_exports_vec(c, &b))) goto out;
  }
  if (!(st = cw_emit(c, CI_INSTANCE, &b)) && !(st = cw_add(c, CS_INSTANCE, id, &idx)))
    st = queue_inline_exports(c, ex, CS_INSTANCE, idx);
out:
  wb_free(&b);
  wb_free(&args);
  return st;
}

static wasm_status component(cw_ctx *c, size_t end) {
  const wat_token *id = wat_opt_id(&c->w);
  size_t ex = skip_inline_exports(c);
  wasm_status st;
  uint32_t idx;
  if (at_inline_import(c)) {
    if ((st = inline_import(c, CS_COMPONENT, id, &idx))) return st;
    return queue_inline_exports(c, ex, CS_COMPONENT, idx);
  }
  cw_scope sc;
  memset(&sc, 0, sizeof sc);
  sc.parent = c->sc;
  sc.kind = CW_COMPONENT;
  sc.id = id;
  wat_buf b = {0};
  st = cw_component(c, &sc, end, &b);
  cw_scope_free(&sc);
  if (!st) st = cw_emit(c, CI_COMPONENT, &b);
  if (!st) st = cw_add(c, CS_COMPONENT, id, &idx);
  if (!st) st = queue_inline_exports(c, ex, CS_COMPONENT, idx);
  wb_free(&b);
  return st;
}

static wasm_status func(cw_ctx *c) {
  const wat_token *id = wat_opt_id(&c->w);
  size_t ex = skip_inline_exports(c);
  wasm_status st;
  uint32_t idx;
  if (at_inline_import(c)) {
    st = inline_import(c, CS_FUNC, id, &idx);
  } else if (wat_at_paren_kw(&c->w, "alias")) {
    st = cw_alias_sugar(c, CS_FUNC, id);
    idx = c->sc->space[CS_FUNC].n - 1;
  } else {
    uint32_t t;
    st = cw_typeuse(c, CS_FUNC, &t);
    if (!st) st = cw_canon_lift(c, t, id, &idx);
  }
  if (!st) st = queue_inline_exports(c, ex, CS_FUNC, idx);
  return st;
}

static wasm_status core_func(cw_ctx *c) {
  const wat_token *id = wat_opt_id(&c->w);
  if (wat_at_paren_kw(&c->w, "alias")) return cw_alias_sugar(c, CS_CORE_FUNC, id);
  return cw_canon_core_func(c, id);
}

static wasm_status type_def(cw_ctx *c) {
  const wat_token *id = wat_opt_id(&c->w);
  size_t ex = skip_inline_exports(c);
  wasm_status st;
  if (at_inline_import(c)) {
    uint32_t idx;
    if ((st = inline_import(c, CS_TYPE, id, &idx))) return st;
    return queue_inline_exports(c, ex, CS_TYPE, idx);
  }
  if (wat_at_paren_kw(&c->w, "alias")) st = cw_alias_sugar(c, CS_TYPE, id);
  else st = cw_type_field(c, id);
  if (!st) st = queue_inline_exports(c, ex, CS_TYPE, c->sc->space[CS_TYPE].n - 1);
  return st;
}

static wasm_status import(cw_ctx *c) {
  wat_buf b = {0}, desc = {0};
  wasm_status st = cw_externname(c, &b);
  int space;
  const wat_token *id = NULL;
  if (!st) st = wat_expect_lpar(&c->w);
  if (!st) st = cw_externdesc(c, &desc, &space, &id);
  if (!st) {
    wb_bytes(&b, desc.p, desc.len);
    st = cw_emit(c, CI_IMPORT, &b);
  }
  if (!st) st = cw_add(c, space, id, NULL);
  wb_free(&b);
  wb_free(&desc);
  return st;
}

static wasm_status export(cw_ctx *c) {
  const wat_token *id = wat_opt_id(&c->w);
  wat_buf b = {0};
  wasm_status st = cw_externname(c, &b);
  int space;
  uint32_t idx;
  if (!st) st = cw_sortidx(c, -1, false, &space, &idx);
  if (!st) {
    cw_put_sort(&b, space, false);
    wb_u32(&b, idx);
    if (wat_peek(&c->w)->kind == WT_LPAR) {
      wat_buf desc = {0};
      int dspace;
      const wat_token *did = NULL;
      c->w.pos++;
      st = cw_externdesc(c, &desc, &dspace, &did);
      wb_byte(&b, 0x01);
      wb_bytes(&b, desc.p, desc.len);
      wb_free(&desc);
    } else {
      wb_byte(&b, 0x00);
    }
  }
  if (!st) st = cw_emit(c, CI_EXPORT, &b);
  if (!st) st = cw_add(c, space, id, NULL);
  wb_free(&b);
  return st;
}

static wasm_status start(cw_ctx *c) {
  wat_buf b = {0}, args = {0};
  uint32_t f, n = 0, nres = 0;
  wasm_status st = cw_index_or_ref(c, CS_FUNC, &f);
  while (!st && wat_at_paren_kw(&c->w, "value")) {
    uint32_t v;
    c->w.pos += 2;
    if (!(st = cw_resolve(c, CS_VALUE, wat_peek(&c->w), &v))) {
      wb_u32(&args, v);
      n++;
      st = wat_expect_rpar(&c->w);
    }
  }
  while (!st && wat_at_paren_kw(&c->w, "result")) {
    c->w.pos += 2;
    if (!wat_at_paren_kw(&c->w, "value")) {
      st = wat_unexpected(&c->w);
      break;
    }
    c->w.pos += 2;
    const wat_token *id = wat_opt_id(&c->w);
    if (!(st = cw_add(c, CS_VALUE, id, NULL)) && !(st = wat_expect_rpar(&c->w)))
      st = wat_expect_rpar(&c->w);
    nres++;
  }
  if (!st) {
    wb_u32(&b, f);
    wb_u32(&b, n);
    wb_bytes(&b, args.p, args.len);
    wb_u32(&b, nres);
    st = cw_emit(c, CI_START, &b);
  }
  wb_free(&b);
  wb_free(&args);
  return st;
}

static wasm_status field(cw_ctx *c, size_t end) {
  const wat_token *kw = wat_peek2(&c->w);
  c->w.pos += 2;
  if (wat_tok_is(kw, "core")) {
    const wat_token *k2 = wat_peek(&c->w);
    c->w.pos++;
    if (wat_tok_is(k2, "module")) return core_module(c, end);
    if (wat_tok_is(k2, "instance")) return core_instance(c);
    if (wat_tok_is(k2, "type")) return cw_core_type_field(c);
    if (wat_tok_is(k2, "func")) return core_func(c);
    static const struct { const char *kw; int space; } sugar[] = {
      {"table", CS_CORE_TABLE}, {"memory", CS_CORE_MEM}, {"global", CS_CORE_GLOBAL},
      {"tag", CS_CORE_TAG},
    };
    for (size_t i = 0; i < sizeof sugar / sizeof sugar[0]; i++) {
      if (!wat_tok_is(k2, sugar[i].kw)) continue;
      const wat_token *id = wat_opt_id(&c->w);
      return cw_alias_sugar(c, sugar[i].space, id);
    }
    return wat_err(&c->w, k2, "unexpected token");
  }
  if (wat_tok_is(kw, "component")) return component(c, end);
  if (wat_tok_is(kw, "instance")) return instance(c);
  if (wat_tok_is(kw, "alias")) return cw_alias_field(c);
  if (wat_tok_is(kw, "type")) return type_def(c);
  if (wat_tok_is(kw, "canon")) return cw_canon_field(c);
  if (wat_tok_is(kw, "func")) return func(c);
  if (wat_tok_is(kw, "start")) return start(c);
  if (wat_tok_is(kw, "import")) return import(c);
  if (wat_tok_is(kw, "export")) return export(c);
  return wat_err(&c->w, kw, "unexpected token");
}

static wasm_status fields(cw_ctx *c, size_t stop) {
  while (c->w.pos < stop) {
    if (wat_peek(&c->w)->kind != WT_LPAR) return wat_unexpected(&c->w);
    size_t end = wat_peek(&c->w)->match;
    cw_item_start(c);
    wasm_status st = field(c, end);
    if (st) return st;
    if (c->w.pos != end) return wat_unexpected(&c->w);
    c->w.pos++;
  }
  return WASM_OK;
}

/* ---- entry ---- */

static wasm_status to_binary(const char *text, size_t len, wat_buf *out, wasm_error *err,
                             int depth) {
  wat_token *toks;
  size_t ntok;
  wasm_status st = wat_lex(text, len, &toks, &ntok, err);
  if (st) return st;
  cw_ctx c;
  memset(&c, 0, sizeof c);
  c.w.t = toks;
  c.w.ntok = ntok;
  c.w.err = err;
  cw_scope top;
  memset(&top, 0, sizeof top);
  top.kind = CW_COMPONENT;
  c.sc = &top;
  if (wat_at_paren_kw(&c.w, "component")) {
    size_t close = wat_peek(&c.w)->match;
    c.w.pos += 2;
    if (wat_tok_is(wat_peek(&c.w), "definition")) c.w.pos++;
    top.id = wat_opt_id(&c.w);
    if (wat_tok_is(wat_peek(&c.w), "binary")) {
      c.w.pos++;
      st = wat_strings(&c.w, out);
    } else if (wat_tok_is(wat_peek(&c.w), "quote")) {
      c.w.pos++;
      wat_buf src = {0};
      st = wat_strings(&c.w, &src);
      if (!st && depth > 8) st = wat_err(&c.w, wat_peek(&c.w), "quoted components nest too deep");
      if (!st) st = to_binary(src.p ? (const char *)src.p : "", src.len, out, err, depth + 1);
      wb_free(&src);
      c.w.pos = close;
    } else {
      st = cw_component(&c, &top, close, out);
    }
    if (!st) st = wat_expect_rpar(&c.w);
    if (!st && wat_peek(&c.w)->kind != WT_EOF) st = wat_unexpected(&c.w);
  } else {
    st = cw_component(&c, &top, ntok - 1, out);
  }
  cw_scope_free(&top);
  for (uint32_t i = 0; i < c.w.ntypes; i++) free(c.w.types[i].vt);
  free(c.w.types);
  for (int i = 0; i < WS_COUNT; i++) free(c.w.space[i].names);
  free(c.w.locals);
  free(toks);
  return st;
}

wasm_status cm_wat_to_binary(const char *text, size_t len, uint8_t **out, size_t *out_len,
                             wasm_error *err) {
  wat_buf b = {0};
  wasm_status st = to_binary(text, len, &b, err, 0);
  return wb_finish(&b, st, out, out_len, err);
}
