/* cm_wat_canon.c: references (sorts, indices, inline aliases), alias
 * definitions and canonical definitions of the component text format. */
#include <string.h>

#include "component/cm_wat_internal.h"

/* ---- sorts ---- */

int cw_sort(cw_ctx *c, bool core_ctx) {
  static const struct { const char *kw; int core, comp; } sorts[] = {
    {"func", CS_CORE_FUNC, CS_FUNC},          {"table", CS_CORE_TABLE, CS_CORE_TABLE},
    {"memory", CS_CORE_MEM, CS_CORE_MEM},     {"global", CS_CORE_GLOBAL, CS_CORE_GLOBAL},
    {"tag", CS_CORE_TAG, CS_CORE_TAG},        {"type", CS_CORE_TYPE, CS_TYPE},
    {"module", CS_CORE_MODULE, CS_CORE_MODULE}, {"instance", CS_CORE_INSTANCE, CS_INSTANCE},
    {"value", -1, CS_VALUE},                  {"component", -1, CS_COMPONENT},
  };
  bool core = core_ctx;
  if (wat_tok_is(wat_peek(&c->w), "core")) {
    core = true;
    c->w.pos++;
  }
  for (size_t i = 0; i < sizeof sorts / sizeof sorts[0]; i++) {
    if (!wat_tok_is(wat_peek(&c->w), sorts[i].kw)) continue;
    int s = core ? sorts[i].core : sorts[i].comp;
    if (s >= 0) c->w.pos++;
    return s;
  }
  return -1;
}

void cw_put_sort(wat_buf *b, int space, bool bare_core) {
  static const uint8_t code[CS_COUNT] = {
    [CS_CORE_FUNC] = 0x00, [CS_CORE_TABLE] = 0x01, [CS_CORE_MEM] = 0x02,
    [CS_CORE_GLOBAL] = 0x03, [CS_CORE_TAG] = 0x04, [CS_CORE_TYPE] = 0x10,
    [CS_CORE_MODULE] = 0x11, [CS_CORE_INSTANCE] = 0x12, [CS_FUNC] = 0x01,
    [CS_VALUE] = 0x02, [CS_TYPE] = 0x03, [CS_COMPONENT] = 0x04, [CS_INSTANCE] = 0x05,
  };
  if (cw_is_core(space) && !bare_core) wb_byte(b, 0x00);
  wb_byte(b, code[space]);
}

/* ---- references ---- */

/* Emits `alias export` (component instance) or `alias core export` of
 * name (the current string token) from instance inst, as space. */
/* True for the sorts a core instance exports. */
static bool core_export_sort(int space) { return space <= CS_CORE_TAG; }

static wasm_status export_alias(cw_ctx *c, int space, uint32_t inst, uint32_t *idx) {
  wat_buf b = {0};
  cw_put_sort(&b, space, false);
  wb_byte(&b, core_export_sort(space) ? 0x01 : 0x00);
  wb_u32(&b, inst);
  wasm_status st = cw_name(c, &b);
  if (!st) st = cw_emit(c, CI_ALIAS, &b);
  if (!st) st = cw_add(c, space, NULL, idx);
  wb_free(&b);
  return st;
}

/* After the sort: idx, or $inst "name"+ (an inline alias chain). */
static wasm_status ref_rest(cw_ctx *c, int space, uint32_t *idx) {
  const wat_token *t = wat_peek(&c->w);
  if (wat_peek2(&c->w)->kind != WT_STRING) return cw_resolve(c, space, t, idx);
  bool core = core_export_sort(space);
  uint32_t inst;
  wasm_status st = cw_resolve(c, core ? CS_CORE_INSTANCE : CS_INSTANCE, t, &inst);
  while (!st && wat_peek2(&c->w)->kind == WT_STRING) {
    if (core) return wat_err(&c->w, wat_peek(&c->w), "core instances export no instances");
    st = export_alias(c, CS_INSTANCE, inst, &inst);
  }
  if (!st) st = export_alias(c, space, inst, idx);
  return st;
}

wasm_status cw_sortidx(cw_ctx *c, int expect, bool core_ctx, int *space, uint32_t *idx) {
  wasm_status st = wat_expect_lpar(&c->w);
  if (st) return st;
  int s = cw_sort(c, core_ctx);
  if (s < 0 || (expect >= 0 && s != expect)) return wat_err(&c->w, wat_peek(&c->w), "unexpected sort");
  if (space) *space = s;
  if ((st = ref_rest(c, s, idx))) return st;
  return wat_expect_rpar(&c->w);
}

wasm_status cw_index_or_ref(cw_ctx *c, int space, uint32_t *idx) {
  if (wat_at_index(&c->w)) return ref_rest(c, space, idx);
  return cw_sortidx(c, space, cw_is_core(space), NULL, idx);
}

/* ---- aliases ---- */

static bool scope_find(const cw_scope *sc, int space, const wat_token *t, uint32_t *out) {
  const wat_space *s = &sc->space[space];
  for (uint32_t i = 0; i < s->n; i++) {
    if (s->names[i].p && s->names[i].len == t->len && memcmp(s->names[i].p, t->p, t->len) == 0) {
      *out = i;
      return true;
    }
  }
  return false;
}

/* An alias target after "alias" for a definition of space, written with
 * its sort into b. */
static wasm_status alias_target(cw_ctx *c, int space, wat_buf *b) {
  wasm_status st;
  bool core = wat_tok_is(wat_peek(&c->w), "core");
  if (core) c->w.pos++;
  if (wat_tok_is(wat_peek(&c->w), "export")) {
    c->w.pos++;
    uint32_t inst;
    if ((st = cw_resolve(c, core ? CS_CORE_INSTANCE : CS_INSTANCE, wat_peek(&c->w), &inst)))
      return st;
    cw_put_sort(b, space, false);
    wb_byte(b, core ? 0x01 : 0x00);
    wb_u32(b, inst);
    return cw_name(c, b);
  }
  if (core || !wat_tok_is(wat_peek(&c->w), "outer")) return wat_unexpected(&c->w);
  c->w.pos++;
  const wat_token *ct_tok = wat_peek(&c->w), *idx_tok = wat_peek2(&c->w);
  uint32_t ct = 0, idx;
  cw_scope *sc = c->sc;
  if (ct_tok->kind == WT_NUM) {
    if (wat_num_u32(ct_tok->p, ct_tok->len, &ct)) return wat_err(&c->w, ct_tok, "malformed index");
    for (uint32_t i = 0; i < ct && sc; i++) sc = sc->parent;
  } else if (ct_tok->kind == WT_ID) {
    while (sc && !(sc->id && sc->id->len == ct_tok->len &&
                   memcmp(sc->id->p, ct_tok->p, ct_tok->len) == 0)) {
      sc = sc->parent;
      ct++;
    }
    if (!sc) return wat_err(&c->w, ct_tok, "unknown outer identifier");
  } else {
    return wat_unexpected(&c->w);
  }
  if (idx_tok->kind == WT_NUM) {
    if (wat_num_u32(idx_tok->p, idx_tok->len, &idx)) return wat_err(&c->w, idx_tok, "malformed index");
  } else if (idx_tok->kind != WT_ID || !sc || !scope_find(sc, space, idx_tok, &idx)) {
    return wat_err(&c->w, idx_tok, "unknown identifier");
  }
  c->w.pos += 2;
  if (c->sc->kind == CW_MODTYPE) {
    cw_put_sort(b, space, true);
    wb_byte(b, 0x01);
  } else {
    cw_put_sort(b, space, false);
    wb_byte(b, 0x02);
  }
  wb_u32(b, ct);
  wb_u32(b, idx);
  return WASM_OK;
}

wasm_status cw_alias_sugar(cw_ctx *c, int space, const wat_token *id) {
  c->w.pos += 2; /* "(" "alias" */
  wat_buf b = {0};
  wasm_status st = alias_target(c, space, &b);
  if (!st) st = wat_expect_rpar(&c->w);
  if (!st) st = cw_emit(c, CI_ALIAS, &b);
  if (!st) st = cw_add(c, space, id, NULL);
  wb_free(&b);
  return st;
}

wasm_status cw_alias_field(cw_ctx *c) {
  /* The sort comes last in the text but first in the binary: find it. */
  size_t start = c->w.pos, p = start;
  while (p < c->w.ntok && c->w.t[p].kind != WT_LPAR && c->w.t[p].kind != WT_RPAR &&
         c->w.t[p].kind != WT_EOF)
    p++;
  if (c->w.t[p].kind != WT_LPAR) return wat_unexpected(&c->w);
  c->w.pos = p + 1;
  int space = cw_sort(c, c->sc->kind == CW_MODTYPE);
  if (space < 0) return wat_unexpected(&c->w);
  const wat_token *id = wat_opt_id(&c->w);
  wasm_status st = wat_expect_rpar(&c->w);
  if (st) return st;
  size_t after = c->w.pos;
  c->w.pos = start;
  wat_buf b = {0};
  st = alias_target(c, space, &b);
  if (!st && c->w.pos != p) st = wat_unexpected(&c->w);
  if (!st) {
    c->w.pos = after;
    st = cw_emit(c, CI_ALIAS, &b);
  }
  if (!st) st = cw_add(c, space, id, NULL);
  wb_free(&b);
  return st;
}

/* ---- canonical definitions ---- */

enum {
  A_NONE,        /* no immediates */
  A_TYPE,        /* typeidx */
  A_TYPE_OPTS,   /* typeidx opts */
  A_TYPE_ASYNC,  /* typeidx async? */
  A_OPTS,        /* opts */
  A_ASYNC,       /* async? */
  A_CANCEL,      /* cancellable? */
  A_CANCEL_MEM,  /* cancellable? (memory m) */
  A_CTX,         /* core valtype, u32 */
  A_RESULT_OPTS, /* (result t)? opts */
  A_TYPE_TABLE,  /* core typeidx, core tableidx */
};

static const struct { const char *name; uint8_t code, args; } builtins[] = {
  {"resource.new", 0x02, A_TYPE}, {"resource.drop", 0x03, A_TYPE},
  {"resource.rep", 0x04, A_TYPE}, {"task.cancel", 0x05, A_NONE},
  {"subtask.cancel", 0x06, A_ASYNC}, {"backpressure.set", 0x08, A_NONE},
  {"task.return", 0x09, A_RESULT_OPTS}, {"context.get", 0x0a, A_CTX},
  {"context.set", 0x0b, A_CTX}, {"thread.yield", 0x0c, A_CANCEL},
  {"subtask.drop", 0x0d, A_NONE}, {"stream.new", 0x0e, A_TYPE},
  {"stream.read", 0x0f, A_TYPE_OPTS}, {"stream.write", 0x10, A_TYPE_OPTS},
  {"stream.cancel-read", 0x11, A_TYPE_ASYNC}, {"stream.cancel-write", 0x12, A_TYPE_ASYNC},
  {"stream.drop-readable", 0x13, A_TYPE}, {"stream.drop-writable", 0x14, A_TYPE},
  {"future.new", 0x15, A_TYPE}, {"future.read", 0x16, A_TYPE_OPTS},
  {"future.write", 0x17, A_TYPE_OPTS}, {"future.cancel-read", 0x18, A_TYPE_ASYNC},
  {"future.cancel-write", 0x19, A_TYPE_ASYNC}, {"future.drop-readable", 0x1a, A_TYPE},
  {"future.drop-writable", 0x1b, A_TYPE}, {"error-context.new", 0x1c, A_OPTS},
  {"error-context.debug-message", 0x1d, A_OPTS}, {"error-context.drop", 0x1e, A_NONE},
  {"waitable-set.new", 0x1f, A_NONE}, {"waitable-set.wait", 0x20, A_CANCEL_MEM},
  {"waitable-set.poll", 0x21, A_CANCEL_MEM}, {"waitable-set.drop", 0x22, A_NONE},
  {"waitable.join", 0x23, A_NONE}, {"backpressure.inc", 0x24, A_NONE},
  {"backpressure.dec", 0x25, A_NONE}, {"thread.index", 0x26, A_NONE},
  {"thread.new-indirect", 0x27, A_TYPE_TABLE}, {"thread.resume-later", 0x28, A_NONE},
  {"thread.suspend", 0x29, A_CANCEL}, {"thread.suspend-then-resume", 0x2a, A_CANCEL},
  {"thread.yield-then-resume", 0x2b, A_CANCEL}, {"thread.suspend-then-promote", 0x2c, A_CANCEL},
  {"thread.yield-then-promote", 0x2d, A_CANCEL}, {"stream.forward", 0x2e, A_TYPE},
  {"future.forward", 0x2f, A_TYPE},
};

static bool at_opt(const cw_ctx *c) {
  static const char *const kws[] = {"string-encoding=utf8", "string-encoding=utf16",
                                    "string-encoding=latin1+utf16", "async"};
  static const char *const forms[] = {"memory", "realloc", "post-return", "callback"};
  for (size_t i = 0; i < 4; i++)
    if (wat_tok_is(wat_peek(&c->w), kws[i]) || wat_at_paren_kw(&c->w, forms[i])) return true;
  return false;
}

/* canonopt* as a vector. */
static wasm_status opts(cw_ctx *c, wat_buf *out) {
  static const char *const kws[] = {"string-encoding=utf8", "string-encoding=utf16",
                                    "string-encoding=latin1+utf16"};
  static const struct { const char *kw; uint8_t code; int space; } forms[] = {
    {"memory", 0x03, CS_CORE_MEM}, {"realloc", 0x04, CS_CORE_FUNC},
    {"post-return", 0x05, CS_CORE_FUNC}, {"callback", 0x07, CS_CORE_FUNC},
  };
  wat_buf b = {0};
  uint32_t n = 0;
  wasm_status st = WASM_OK;
  while (!st && at_opt(c)) {
    n++;
    bool done = false;
    for (uint8_t i = 0; i < 3 && !done; i++) {
      if (wat_tok_is(wat_peek(&c->w), kws[i])) {
        wb_byte(&b, i);
        c->w.pos++;
        done = true;
      }
    }
    if (done) continue;
    if (wat_tok_is(wat_peek(&c->w), "async")) {
      wb_byte(&b, 0x06);
      c->w.pos++;
      continue;
    }
    for (size_t i = 0; i < 4; i++) {
      if (!wat_at_paren_kw(&c->w, forms[i].kw)) continue;
      c->w.pos += 2;
      uint32_t idx;
      if (!(st = cw_index_or_ref(c, forms[i].space, &idx))) {
        wb_byte(&b, forms[i].code);
        wb_u32(&b, idx);
        st = wat_expect_rpar(&c->w);
      }
      break;
    }
  }
  if (!st) {
    wb_u32(out, n);
    wb_bytes(out, b.p, b.len);
  }
  wb_free(&b);
  return st;
}

static void flag(cw_ctx *c, const char *kw, wat_buf *b) {
  bool on = wat_tok_is(wat_peek(&c->w), kw);
  if (on) c->w.pos++;
  wb_byte(b, on ? 1 : 0);
}

/* A builtin's immediates after its name. */
static wasm_status builtin_args(cw_ctx *c, int args, wat_buf *b) {
  wasm_status st = WASM_OK;
  uint32_t idx;
  switch (args) {
  case A_NONE: break;
  case A_TYPE:
  case A_TYPE_OPTS:
  case A_TYPE_ASYNC:
    if ((st = cw_index_or_ref(c, CS_TYPE, &idx))) return st;
    wb_u32(b, idx);
    if (args == A_TYPE_OPTS) st = opts(c, b);
    if (args == A_TYPE_ASYNC) flag(c, "async", b);
    break;
  case A_OPTS: st = opts(c, b); break;
  case A_ASYNC: flag(c, "async", b); break;
  case A_CANCEL: flag(c, "cancellable", b); break;
  case A_CANCEL_MEM:
    flag(c, "cancellable", b);
    if (!wat_at_paren_kw(&c->w, "memory")) return wat_unexpected(&c->w);
    c->w.pos += 2;
    if ((st = cw_index_or_ref(c, CS_CORE_MEM, &idx))) return st;
    wb_u32(b, idx);
    st = wat_expect_rpar(&c->w);
    break;
  case A_CTX: {
    uint8_t vt;
    if ((st = wat_valtype(&c->w, &vt)) || (st = wat_u32(&c->w, &idx))) return st;
    wb_byte(b, vt);
    wb_u32(b, idx);
    break;
  }
  case A_RESULT_OPTS:
    if (wat_at_paren_kw(&c->w, "result")) {
      c->w.pos += 2;
      wb_byte(b, 0x00);
      if ((st = cw_valtype(c, b)) || (st = wat_expect_rpar(&c->w))) return st;
    } else {
      wb_byte(b, 0x01);
      wb_byte(b, 0x00);
    }
    st = opts(c, b);
    break;
  case A_TYPE_TABLE:
    if ((st = cw_index_or_ref(c, CS_CORE_TYPE, &idx))) return st;
    wb_u32(b, idx);
    if (wat_at_paren_kw(&c->w, "table")) { /* legacy (table x) */
      c->w.pos += 2;
      if ((st = cw_index_or_ref(c, CS_CORE_TABLE, &idx)) || (st = wat_expect_rpar(&c->w)))
        return st;
    } else if ((st = cw_index_or_ref(c, CS_CORE_TABLE, &idx))) {
      return st;
    }
    wb_u32(b, idx);
    break;
  }
  return st;
}

/* After "canon": the definition up to its result form; *space says what it
 * defines (a component func for lift, a core func otherwise). For lift,
 * type_idx >= 0 is the type from the func sugar; otherwise the trailing
 * (func $id? typeuse) gives it, and *id. */
static wasm_status canon_body(cw_ctx *c, bool sugar, int64_t type_idx, wat_buf *b, int *space,
                              const wat_token **id) {
  const wat_token *kw = wat_peek(&c->w);
  wasm_status st;
  uint32_t idx;
  c->w.pos++;
  if (wat_tok_is(kw, "lift")) {
    *space = CS_FUNC;
    size_t last = 0, after = 0;
    if (!sugar) {
      /* wasm-tools expands the trailing (func $id? typeuse) first. */
      size_t p = c->w.pos;
      while (c->w.t[p].kind != WT_RPAR && c->w.t[p].kind != WT_EOF) {
        if (c->w.t[p].kind == WT_LPAR) last = p, p = c->w.t[p].match;
        p++;
      }
      size_t save = c->w.pos;
      c->w.pos = last;
      if (!last || !wat_at_paren_kw(&c->w, "func")) return wat_unexpected(&c->w);
      c->w.pos += 2;
      *id = wat_opt_id(&c->w);
      uint32_t t;
      if ((st = cw_typeuse(c, CS_FUNC, &t)) || (st = wat_expect_rpar(&c->w))) return st;
      type_idx = t;
      after = c->w.pos;
      c->w.pos = save;
    }
    if ((st = cw_index_or_ref(c, CS_CORE_FUNC, &idx))) return st;
    wat_buf o = {0};
    st = opts(c, &o);
    if (!st && !sugar) {
      if (c->w.pos != last) st = wat_unexpected(&c->w);
      c->w.pos = after;
    }
    if (!st && type_idx < 0) st = wat_err(&c->w, kw, "canon lift needs a function type");
    if (!st) {
      wb_byte(b, 0x00);
      wb_byte(b, 0x00);
      wb_u32(b, idx);
      wb_bytes(b, o.p, o.len);
      wb_u32(b, (uint32_t)type_idx);
    }
    wb_free(&o);
    return st;
  }
  *space = CS_CORE_FUNC;
  if (wat_tok_is(kw, "lower")) {
    if ((st = cw_index_or_ref(c, CS_FUNC, &idx))) return st;
    wb_byte(b, 0x01);
    wb_byte(b, 0x00);
    wb_u32(b, idx);
    st = opts(c, b);
  } else {
    size_t i = 0, n = sizeof builtins / sizeof builtins[0];
    while (i < n && !wat_tok_is(kw, builtins[i].name)) i++;
    if (i == n) return wat_err(&c->w, kw, "unknown canonical definition");
    uint8_t code = builtins[i].code;
    wat_buf a = {0};
    st = builtin_args(c, builtins[i].args, &a);
    /* resource.drop async has its own opcode */
    if (!st && code == 0x03 && wat_tok_is(wat_peek(&c->w), "async")) {
      c->w.pos++;
      code = 0x07;
    }
    wb_byte(b, code);
    wb_bytes(b, a.p, a.len);
    wb_free(&a);
  }
  if (!st && !sugar) {
    if (!wat_at_paren_kw(&c->w, "core")) return wat_unexpected(&c->w);
    c->w.pos += 2;
    if (!wat_tok_is(wat_peek(&c->w), "func")) return wat_unexpected(&c->w);
    c->w.pos++;
    *id = wat_opt_id(&c->w);
    st = wat_expect_rpar(&c->w);
  }
  return st;
}

static wasm_status canon_finish(cw_ctx *c, wat_buf *b, int space, const wat_token *id,
                                uint32_t *idx) {
  wasm_status st = cw_emit(c, CI_CANON, b);
  if (!st) st = cw_add(c, space, id, idx);
  wb_free(b);
  return st;
}

wasm_status cw_canon_field(cw_ctx *c) {
  wat_buf b = {0};
  int space;
  const wat_token *id = NULL;
  wasm_status st = canon_body(c, false, -1, &b, &space, &id);
  if (st) {
    wb_free(&b);
    return st;
  }
  return canon_finish(c, &b, space, id, NULL);
}

wasm_status cw_canon_core_func(cw_ctx *c, const wat_token *id) {
  if (!wat_at_paren_kw(&c->w, "canon")) return wat_unexpected(&c->w);
  c->w.pos += 2;
  wat_buf b = {0};
  int space;
  const wat_token *unused = NULL;
  wasm_status st = canon_body(c, true, -1, &b, &space, &unused);
  if (!st && space != CS_CORE_FUNC) st = wat_err(&c->w, wat_peek(&c->w), "expected a core function");
  if (!st) st = wat_expect_rpar(&c->w);
  if (st) {
    wb_free(&b);
    return st;
  }
  return canon_finish(c, &b, space, id, NULL);
}

wasm_status cw_canon_lift(cw_ctx *c, int64_t type_idx, const wat_token *id, uint32_t *func) {
  if (!wat_at_paren_kw(&c->w, "canon")) return wat_unexpected(&c->w);
  c->w.pos += 2;
  wat_buf b = {0};
  int space;
  const wat_token *unused = NULL;
  wasm_status st = canon_body(c, true, type_idx, &b, &space, &unused);
  if (!st && space != CS_FUNC) st = wat_err(&c->w, wat_peek(&c->w), "expected canon lift");
  if (!st) st = wat_expect_rpar(&c->w);
  if (st) {
    wb_free(&b);
    return st;
  }
  return canon_finish(c, &b, space, id, func);
}
