/* cm_wat_types.c: type definitions of the component text format: value
 * types (anonymous compound types become their own definitions, as in
 * wasm-tools), function, component, instance and resource types, core
 * function and module types, and extern descriptors. */
#include <stdlib.h>
#include <string.h>

#include "component/cm_wat_internal.h"

static const struct { const char *kw; uint8_t code; } prims[] = {
  {"bool", 0x7f}, {"s8", 0x7e},  {"u8", 0x7d},      {"s16", 0x7c},     {"u16", 0x7b},
  {"s32", 0x7a},  {"u32", 0x79}, {"s64", 0x78},     {"u64", 0x77},     {"f32", 0x76},
  {"float32", 0x76}, {"f64", 0x75}, {"float64", 0x75}, {"char", 0x74}, {"string", 0x73},
  {"error-context", 0x64},
};

static int prim_code(const wat_token *t) {
  for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++)
    if (wat_tok_is(t, prims[i].kw)) return prims[i].code;
  return -1;
}

/* The end of the current form: the ")" after any "(...)" items. */
static size_t form_end(const cw_ctx *c) {
  size_t p = c->w.pos;
  while (c->w.t[p].kind == WT_LPAR) p = c->w.t[p].match + 1;
  return p;
}

static wasm_status defvaltype(cw_ctx *c, wat_buf *out);

wasm_status cw_valtype(cw_ctx *c, wat_buf *out) {
  const wat_token *t = wat_peek(&c->w);
  int code = prim_code(t);
  if (code >= 0) {
    c->w.pos++;
    wb_byte(out, (uint8_t)code);
    return WASM_OK;
  }
  uint32_t idx;
  wasm_status st;
  if (t->kind == WT_NUM || t->kind == WT_ID) {
    if ((st = cw_resolve(c, CS_TYPE, t, &idx))) return st;
  } else if (t->kind == WT_LPAR) {
    if (++c->depth > CW_MAX_DEPTH) return wat_err(&c->w, t, "nesting too deep");
    wat_buf b = {0};
    st = defvaltype(c, &b);
    if (!st) st = cw_emit(c, CI_TYPE, &b);
    wb_free(&b);
    c->depth--;
    if (st || (st = cw_add(c, CS_TYPE, NULL, &idx))) return st;
  } else {
    return wat_err(&c->w, t, "expected a value type");
  }
  wb_s64(out, idx); /* valtype indices are s33 */
  return WASM_OK;
}

/* vt or nothing before ")", as <valtype>? */
static wasm_status opt_valtype(cw_ctx *c, wat_buf *out) {
  if (wat_peek(&c->w)->kind == WT_RPAR) {
    wb_byte(out, 0x00);
    return WASM_OK;
  }
  wb_byte(out, 0x01);
  return cw_valtype(c, out);
}

/* "name"* as a vector of labels. */
static wasm_status labels(cw_ctx *c, wat_buf *out) {
  wat_buf b = {0};
  uint32_t n = 0;
  wasm_status st = WASM_OK;
  while (!st && wat_peek(&c->w)->kind == WT_STRING) {
    st = cw_name(c, &b);
    n++;
  }
  wb_u32(out, n);
  wb_bytes(out, b.p, b.len);
  wb_free(&b);
  return st;
}

/* A parenthesized value type definition at "(", through its ")". */
static wasm_status defvaltype(cw_ctx *c, wat_buf *out) {
  c->w.pos++;
  const wat_token *kw = wat_peek(&c->w);
  c->w.pos++;
  wasm_status st = WASM_OK;
  wat_buf b = {0};
  uint32_t n = 0;
  if (wat_tok_is(kw, "record")) {
    while (!st && wat_at_paren_kw(&c->w, "field")) {
      c->w.pos += 2;
      wat_opt_id(&c->w);
      if (!(st = cw_name(c, &b)) && !(st = cw_valtype(c, &b))) st = wat_expect_rpar(&c->w);
      n++;
    }
    wb_byte(out, 0x72);
  } else if (wat_tok_is(kw, "variant")) {
    while (!st && wat_at_paren_kw(&c->w, "case")) {
      c->w.pos += 2;
      wat_opt_id(&c->w);
      if ((st = cw_name(c, &b))) break;
      if (wat_peek(&c->w)->kind != WT_RPAR && !wat_at_paren_kw(&c->w, "refines")) {
        wb_byte(&b, 0x01);
        st = cw_valtype(c, &b);
      } else {
        wb_byte(&b, 0x00);
      }
      if (!st && wat_at_paren_kw(&c->w, "refines")) c->w.pos = wat_peek(&c->w)->match + 1;
      wb_byte(&b, 0x00);
      n++;
      if (!st) st = wat_expect_rpar(&c->w);
    }
    wb_byte(out, 0x71);
  } else if (wat_tok_is(kw, "list")) {
    if ((st = cw_valtype(c, &b))) goto out;
    if (wat_peek(&c->w)->kind == WT_NUM) {
      uint32_t len;
      if ((st = wat_u32(&c->w, &len))) goto out;
      wb_byte(out, 0x67);
      wb_bytes(out, b.p, b.len);
      wb_u32(out, len);
    } else {
      wb_byte(out, 0x70);
      wb_bytes(out, b.p, b.len);
    }
    goto close;
  } else if (wat_tok_is(kw, "tuple")) {
    while (!st && wat_peek(&c->w)->kind != WT_RPAR && wat_peek(&c->w)->kind != WT_EOF) {
      st = cw_valtype(c, &b);
      n++;
    }
    wb_byte(out, 0x6f);
  } else if (wat_tok_is(kw, "flags") || wat_tok_is(kw, "enum")) {
    wb_byte(out, wat_tok_is(kw, "flags") ? 0x6e : 0x6d);
    st = labels(c, out);
    goto close;
  } else if (wat_tok_is(kw, "option")) {
    wb_byte(out, 0x6b);
    st = cw_valtype(c, out);
    goto close;
  } else if (wat_tok_is(kw, "result")) {
    wb_byte(out, 0x6a);
    if (wat_peek(&c->w)->kind == WT_RPAR || wat_at_paren_kw(&c->w, "error")) {
      wb_byte(out, 0x00);
    } else {
      wb_byte(out, 0x01);
      if ((st = cw_valtype(c, out))) goto out;
    }
    if (wat_at_paren_kw(&c->w, "error")) {
      c->w.pos += 2;
      wb_byte(out, 0x01);
      if ((st = cw_valtype(c, out)) || (st = wat_expect_rpar(&c->w))) goto out;
    } else {
      wb_byte(out, 0x00);
    }
    goto close;
  } else if (wat_tok_is(kw, "own") || wat_tok_is(kw, "borrow")) {
    uint32_t idx;
    if ((st = cw_index_or_ref(c, CS_TYPE, &idx))) goto out;
    wb_byte(out, wat_tok_is(kw, "own") ? 0x69 : 0x68);
    wb_u32(out, idx);
    goto close;
  } else if (wat_tok_is(kw, "stream") || wat_tok_is(kw, "future")) {
    wb_byte(out, wat_tok_is(kw, "stream") ? 0x66 : 0x65);
    st = opt_valtype(c, out);
    goto close;
  } else if (wat_tok_is(kw, "map")) {
    wb_byte(out, 0x63);
    if (!(st = cw_valtype(c, out))) st = cw_valtype(c, out);
    goto close;
  } else {
    st = wat_err(&c->w, kw, "unexpected token, expected a type");
    goto out;
  }
  if (st) goto out;
  wb_u32(out, n);
  wb_bytes(out, b.p, b.len);
close:
  if (!st) st = wat_expect_rpar(&c->w);
out:
  wb_free(&b);
  return st;
}

wasm_status cw_functype(cw_ctx *c, bool async, wat_buf *out) {
  wat_buf b = {0};
  uint32_t n = 0;
  wasm_status st = WASM_OK;
  while (!st && wat_at_paren_kw(&c->w, "param")) {
    c->w.pos += 2;
    if (!(st = cw_name(c, &b)) && !(st = cw_valtype(c, &b))) st = wat_expect_rpar(&c->w);
    n++;
  }
  if (st) goto out;
  wb_byte(out, async ? 0x43 : 0x40);
  wb_u32(out, n);
  wb_bytes(out, b.p, b.len);
  if (wat_at_paren_kw(&c->w, "result")) {
    c->w.pos += 2;
    if (wat_peek(&c->w)->kind == WT_STRING) {
      st = wat_err(&c->w, wat_peek(&c->w), "named results are not supported");
      goto out;
    }
    wb_byte(out, 0x00);
    if ((st = cw_valtype(c, out)) || (st = wat_expect_rpar(&c->w))) goto out;
  } else {
    wb_byte(out, 0x01);
    wb_byte(out, 0x00);
  }
out:
  wb_free(&b);
  return st;
}

/* ---- declarators of component, instance and module types ---- */

static wasm_status core_functype(cw_ctx *c, wat_buf *out);
static wasm_status core_importdesc(cw_ctx *c, wat_buf *out);

/* One declarator of a component or instance type. */
static wasm_status decl(cw_ctx *c) {
  const wat_token *kw = wat_peek2(&c->w);
  c->w.pos += 2;
  wasm_status st;
  if (wat_tok_is(kw, "core")) {
    if (!wat_tok_is(wat_peek(&c->w), "type")) return wat_unexpected(&c->w);
    c->w.pos++;
    return cw_core_type_field(c);
  }
  if (wat_tok_is(kw, "type")) return cw_type_field(c, wat_opt_id(&c->w));
  if (wat_tok_is(kw, "alias")) return cw_alias_field(c);
  if (wat_tok_is(kw, "import") || wat_tok_is(kw, "export")) {
    wat_buf b = {0}, desc = {0};
    int space;
    const wat_token *id = NULL;
    st = cw_externname(c, &b);
    if (!st) st = wat_expect_lpar(&c->w);
    if (!st) st = cw_externdesc(c, &desc, &space, &id);
    if (!st) {
      wb_bytes(&b, desc.p, desc.len);
      st = cw_emit(c, wat_tok_is(kw, "import") ? CI_IMPORT : CI_EXPORT, &b);
    }
    if (!st) st = cw_add(c, space, id, NULL);
    wb_free(&b);
    wb_free(&desc);
    return st;
  }
  return wat_err(&c->w, kw, "unexpected token in type");
}

/* One declarator of a core module type. */
static wasm_status module_decl(cw_ctx *c) {
  const wat_token *kw = wat_peek2(&c->w);
  c->w.pos += 2;
  wasm_status st;
  if (wat_tok_is(kw, "type")) {
    const wat_token *id = wat_opt_id(&c->w);
    wat_buf b = {0};
    if (!wat_at_paren_kw(&c->w, "func")) return wat_unexpected(&c->w);
    st = core_functype(c, &b);
    if (!st) st = cw_emit(c, CI_CORE_TYPE, &b);
    if (!st) st = cw_add(c, CS_CORE_TYPE, id, NULL);
    wb_free(&b);
    return st;
  }
  if (wat_tok_is(kw, "alias")) return cw_alias_field(c);
  bool imp = wat_tok_is(kw, "import");
  if (!imp && !wat_tok_is(kw, "export")) return wat_err(&c->w, kw, "unexpected token in module type");
  wat_buf b = {0}, desc = {0};
  st = cw_name(c, &b);
  if (!st && imp) st = cw_name(c, &b);
  if (!st) st = core_importdesc(c, &desc);
  if (!st) {
    wb_bytes(&b, desc.p, desc.len);
    st = cw_emit(c, imp ? CI_IMPORT : CI_EXPORT, &b);
  }
  wb_free(&b);
  wb_free(&desc);
  return st;
}

/* Declarators up to stop in a new scope of kind; the type into out. */
static wasm_status decls(cw_ctx *c, int kind, const wat_token *id, size_t stop, wat_buf *out) {
  if (++c->depth > CW_MAX_DEPTH) return wat_err(&c->w, wat_peek(&c->w), "nesting too deep");
  cw_scope sc;
  memset(&sc, 0, sizeof sc);
  sc.parent = c->sc;
  sc.kind = kind;
  sc.id = id;
  c->sc = &sc;
  wasm_status st = WASM_OK;
  while (!st && c->w.pos < stop) {
    if (wat_peek(&c->w)->kind != WT_LPAR) {
      st = wat_unexpected(&c->w);
      break;
    }
    size_t end = wat_peek(&c->w)->match;
    cw_item_start(c);
    st = kind == CW_MODTYPE ? module_decl(c) : decl(c);
    if (!st && c->w.pos != end) st = wat_unexpected(&c->w);
    c->w.pos = end + 1;
  }
  if (!st) {
    wb_byte(out, kind == CW_COMPTYPE ? 0x41 : kind == CW_INSTTYPE ? 0x42 : 0x50);
    st = cw_assemble(c, &sc, out);
  }
  c->sc = sc.parent;
  cw_scope_free(&sc);
  c->depth--;
  return st;
}

/* ---- core types ---- */

/* (param ...)* (result ...)* as 0x60 params results. */
static wasm_status core_sig(cw_ctx *c, wat_buf *out) {
  wat_ctx *w = &c->w;
  wasm_status st = wat_functype_def(w);
  if (st) return st;
  wat_functype *f = &w->types[w->ntypes - 1];
  wb_byte(out, 0x60);
  wb_u32(out, f->np);
  wb_bytes(out, f->vt, f->np);
  wb_u32(out, f->nr);
  wb_bytes(out, f->vt + f->np, f->nr);
  free(f->vt);
  w->ntypes--;
  return WASM_OK;
}

/* (func (param ...)* (result ...)*) at "(". */
static wasm_status core_functype(cw_ctx *c, wat_buf *out) {
  c->w.pos += 2;
  wasm_status st = core_sig(c, out);
  if (!st) st = wat_expect_rpar(&c->w);
  return st;
}

/* (func $id? typeuse) | (memory ...) | (table ...) | (global ...) of a
 * module type's import or export. */
static wasm_status core_importdesc(cw_ctx *c, wat_buf *out) {
  wasm_status st = wat_expect_lpar(&c->w);
  if (st) return st;
  const wat_token *kw = wat_peek(&c->w);
  c->w.pos++;
  wat_opt_id(&c->w);
  if (wat_tok_is(kw, "func") || wat_tok_is(kw, "tag")) {
    uint32_t idx;
    if (wat_at_paren_kw(&c->w, "type")) {
      c->w.pos += 2;
      if ((st = cw_resolve(c, CS_CORE_TYPE, wat_peek(&c->w), &idx)) || (st = wat_expect_rpar(&c->w)))
        return st;
      /* a (param)/(result) after (type x) must agree; not checked here */
      while (wat_at_paren_kw(&c->w, "param") || wat_at_paren_kw(&c->w, "result"))
        c->w.pos = wat_peek(&c->w)->match + 1;
    } else {
      /* An inline signature becomes a type declarator first. */
      wat_buf t = {0};
      st = core_sig(c, &t);
      if (!st) st = cw_emit(c, CI_CORE_TYPE, &t);
      if (!st) st = cw_add(c, CS_CORE_TYPE, NULL, &idx);
      wb_free(&t);
      if (st) return st;
    }
    if (wat_tok_is(kw, "tag")) {
      wb_byte(out, 0x04);
      wb_byte(out, 0x00);
    } else {
      wb_byte(out, 0x00);
    }
    wb_u32(out, idx);
  } else if (wat_tok_is(kw, "table")) {
    wb_byte(out, 0x01);
    st = wat_tabletype(&c->w, out);
  } else if (wat_tok_is(kw, "memory")) {
    wb_byte(out, 0x02);
    st = wat_limits(&c->w, out);
  } else if (wat_tok_is(kw, "global")) {
    wb_byte(out, 0x03);
    st = wat_globaltype(&c->w, out);
  } else {
    return wat_err(&c->w, kw, "unexpected token");
  }
  if (!st) st = wat_expect_rpar(&c->w);
  return st;
}

wasm_status cw_core_type_field(cw_ctx *c) {
  const wat_token *id = wat_opt_id(&c->w);
  wat_buf b = {0};
  wasm_status st;
  if (wat_at_paren_kw(&c->w, "func")) {
    st = core_functype(c, &b);
  } else if (wat_at_paren_kw(&c->w, "module")) {
    size_t end = wat_peek(&c->w)->match;
    c->w.pos += 2;
    st = decls(c, CW_MODTYPE, id, end, &b);
    if (!st) st = wat_expect_rpar(&c->w);
  } else {
    st = wat_unexpected(&c->w);
  }
  if (!st) st = cw_emit(c, CI_CORE_TYPE, &b);
  if (!st) st = cw_add(c, CS_CORE_TYPE, id, NULL);
  wb_free(&b);
  return st;
}

/* ---- type definitions ---- */

/* A deftype at the current token into out (inline parts emitted). */
static wasm_status deftype(cw_ctx *c, const wat_token *id, wat_buf *out) {
  const wat_token *t = wat_peek(&c->w);
  int code = prim_code(t);
  if (code >= 0) {
    c->w.pos++;
    wb_byte(out, (uint8_t)code);
    return WASM_OK;
  }
  if (t->kind != WT_LPAR) return wat_err(&c->w, t, "expected a type");
  const wat_token *kw = wat_peek2(&c->w);
  size_t end = t->match;
  wasm_status st;
  if (wat_tok_is(kw, "func")) {
    c->w.pos += 2;
    bool async = wat_tok_is(wat_peek(&c->w), "async");
    if (async) c->w.pos++;
    if ((st = cw_functype(c, async, out))) return st;
    return wat_expect_rpar(&c->w);
  }
  if (wat_tok_is(kw, "component") || wat_tok_is(kw, "instance")) {
    c->w.pos += 2;
    st = decls(c, wat_tok_is(kw, "component") ? CW_COMPTYPE : CW_INSTTYPE, id, end, out);
    if (!st) st = wat_expect_rpar(&c->w);
    return st;
  }
  if (wat_tok_is(kw, "resource")) {
    c->w.pos += 2;
    if (!wat_at_paren_kw(&c->w, "rep")) return wat_unexpected(&c->w);
    c->w.pos += 2;
    if (!wat_tok_is(wat_peek(&c->w), "i32")) return wat_unexpected(&c->w);
    c->w.pos++;
    if ((st = wat_expect_rpar(&c->w))) return st;
    wb_byte(out, 0x3f);
    wb_byte(out, 0x7f);
    if (wat_at_paren_kw(&c->w, "dtor")) {
      c->w.pos += 2;
      uint32_t f;
      if ((st = cw_index_or_ref(c, CS_CORE_FUNC, &f)) || (st = wat_expect_rpar(&c->w))) return st;
      wb_byte(out, 0x01);
      wb_u32(out, f);
    } else {
      wb_byte(out, 0x00);
    }
    return wat_expect_rpar(&c->w);
  }
  return defvaltype(c, out);
}

wasm_status cw_type_field(cw_ctx *c, const wat_token *id) {
  wat_buf b = {0};
  wasm_status st = deftype(c, id, &b);
  if (!st) st = cw_emit(c, CI_TYPE, &b);
  if (!st) st = cw_add(c, CS_TYPE, id, NULL);
  wb_free(&b);
  return st;
}

/* ---- type uses and extern descriptors ---- */

wasm_status cw_typeuse(cw_ctx *c, int space, uint32_t *idx) {
  bool core = space == CS_CORE_MODULE;
  wasm_status st;
  const wat_token *t3 = &c->w.t[c->w.pos + 3 < c->w.ntok ? c->w.pos + 3 : c->w.ntok - 1];
  if (wat_at_paren_kw(&c->w, "type") && c->w.t[c->w.pos + 2].kind != WT_LPAR &&
      (t3->kind == WT_RPAR || t3->kind == WT_STRING)) {
    c->w.pos += 2;
    if ((st = cw_index_or_ref(c, core ? CS_CORE_TYPE : CS_TYPE, idx))) return st;
    return wat_expect_rpar(&c->w);
  }
  wat_buf b = {0};
  size_t stop = form_end(c);
  if (space == CS_FUNC) {
    bool async = wat_tok_is(wat_peek(&c->w), "async");
    if (async) c->w.pos++;
    st = cw_functype(c, async, &b);
  } else if (space == CS_COMPONENT || space == CS_INSTANCE) {
    st = decls(c, space == CS_COMPONENT ? CW_COMPTYPE : CW_INSTTYPE, NULL, stop, &b);
  } else if (core) {
    st = decls(c, CW_MODTYPE, NULL, stop, &b);
  } else {
    st = wat_unexpected(&c->w);
  }
  if (!st) st = cw_emit(c, core ? CI_CORE_TYPE : CI_TYPE, &b);
  if (!st) st = cw_add(c, core ? CS_CORE_TYPE : CS_TYPE, NULL, idx);
  wb_free(&b);
  return st;
}

wasm_status cw_externdesc_body(cw_ctx *c, int space, wat_buf *out) {
  wasm_status st;
  uint32_t idx;
  switch (space) {
  case CS_CORE_MODULE:
  case CS_FUNC:
  case CS_COMPONENT:
  case CS_INSTANCE:
    if ((st = cw_typeuse(c, space, &idx))) return st;
    if (space == CS_CORE_MODULE) {
      wb_byte(out, 0x00);
      wb_byte(out, 0x11);
    } else {
      wb_byte(out, space == CS_FUNC ? 0x01 : space == CS_COMPONENT ? 0x04 : 0x05);
    }
    wb_u32(out, idx);
    return WASM_OK;
  case CS_VALUE:
    wb_byte(out, 0x02);
    if (wat_at_paren_kw(&c->w, "eq")) {
      c->w.pos += 2;
      wb_byte(out, 0x00);
      if ((st = cw_resolve(c, CS_VALUE, wat_peek(&c->w), &idx))) return st;
      wb_u32(out, idx);
      return wat_expect_rpar(&c->w);
    }
    wb_byte(out, 0x01);
    return cw_valtype(c, out);
  case CS_TYPE:
    wb_byte(out, 0x03);
    if (wat_at_paren_kw(&c->w, "eq")) {
      c->w.pos += 2;
      wb_byte(out, 0x00);
      if ((st = cw_index_or_ref(c, CS_TYPE, &idx))) return st;
      wb_u32(out, idx);
      return wat_expect_rpar(&c->w);
    }
    if (wat_at_paren_kw(&c->w, "sub")) {
      c->w.pos += 2;
      if (!wat_tok_is(wat_peek(&c->w), "resource")) return wat_unexpected(&c->w);
      c->w.pos++;
      wb_byte(out, 0x01);
      return wat_expect_rpar(&c->w);
    }
    return wat_unexpected(&c->w);
  default:
    return wat_err(&c->w, wat_peek(&c->w), "unexpected extern kind");
  }
}

wasm_status cw_externdesc(cw_ctx *c, wat_buf *out, int *space, const wat_token **id) {
  int s = cw_sort(c, false);
  if (s < 0 || (cw_is_core(s) && s != CS_CORE_MODULE)) return wat_err(&c->w, wat_peek(&c->w), "unexpected extern kind");
  *space = s;
  *id = wat_opt_id(&c->w);
  wasm_status st = cw_externdesc_body(c, s, out);
  if (!st) st = wat_expect_rpar(&c->w);
  return st;
}
