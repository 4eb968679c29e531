/*
 * wasm_validate_code.c: validation of function bodies, with the algorithm
 * of the spec's appendix: an operand stack of value types (with an unknown
 * type for unreachable code) and a stack of control frames. Instructions
 * with a fixed signature are typed from the `sig` strings of
 * wasm_opcodes.def; the rest are typed here by hand.
 */
#include <stdlib.h>
#include <string.h>

#include "wasm_opcodes.h"
#include "wasm_read.h"
#include "wasm_validate.h"

#define TRY(x) do { wasm_status s_ = (x); if (s_ != WASM_OK) return s_; } while (0)

enum { UNK = 0 }; /* the type of a value popped from unreachable code */

/* vt_self[b] == b for every value type byte: a stable one-element type
 * list for blocks typed by a single value type. */
static const uint8_t vt_self[128] = {
    [WASM_I32] = WASM_I32,         [WASM_I64] = WASM_I64,
    [WASM_F32] = WASM_F32,         [WASM_F64] = WASM_F64,
    [WASM_V128] = WASM_V128,       [WASM_FUNCREF] = WASM_FUNCREF,
    [WASM_EXTERNREF] = WASM_EXTERNREF, [WASM_EXNREF] = WASM_EXNREF,
};

typedef struct ctrl {
  uint16_t op; /* WASM_OP_BLOCK (also the function), LOOP, IF or ELSE */
  const uint8_t *params, *results;
  uint32_t nparams, nresults;
  size_t height;
  bool unreachable;
} ctrl;

typedef struct fv {
  const wasm_module *m;
  wasm_error *err;
  uint8_t *vals;
  size_t nvals, vcap;
  ctrl *ctrls;
  size_t nctrls, ccap;
  uint8_t *tmp; /* popped types, for br_table */
  size_t tcap;
  uint8_t *locals; /* params then declared locals */
  uint32_t nlocals;
} fv;

static wasm_status mismatch(fv *v) {
  return wasm_fail(v->err, WASM_INVALID, "type mismatch");
}

static wasm_status nomem(fv *v) {
  return wasm_fail(v->err, WASM_NOMEM, "out of memory");
}

static bool grow(void **p, size_t *cap, size_t need, size_t size) {
  if (need <= *cap) return true;
  size_t n = *cap ? *cap : 64;
  while (n < need) n *= 2;
  void *q = realloc(*p, n * size);
  if (!q) return false;
  *p = q;
  *cap = n;
  return true;
}

/* ---- operand stack ---- */

static wasm_status push(fv *v, uint8_t t) {
  if (!grow((void **)&v->vals, &v->vcap, v->nvals + 1, 1)) return nomem(v);
  v->vals[v->nvals++] = t;
  return WASM_OK;
}

static wasm_status pop(fv *v, uint8_t *out) {
  const ctrl *c = &v->ctrls[v->nctrls - 1];
  if (v->nvals == c->height) {
    if (!c->unreachable) return mismatch(v);
    *out = UNK;
    return WASM_OK;
  }
  *out = v->vals[--v->nvals];
  return WASM_OK;
}

static wasm_status pop_expect(fv *v, uint8_t want, uint8_t *out) {
  uint8_t t = 0;
  TRY(pop(v, &t));
  if (t != want && t != UNK && want != UNK) return mismatch(v);
  if (out) *out = t;
  return WASM_OK;
}

/* Pops types[n-1] .. types[0]; with keep, the actual types go to v->tmp. */
static wasm_status pop_vals(fv *v, const uint8_t *types, uint32_t n, bool keep) {
  if (keep && !grow((void **)&v->tmp, &v->tcap, n, 1)) return nomem(v);
  for (uint32_t i = n; i-- > 0;) TRY(pop_expect(v, types[i], keep ? &v->tmp[i] : NULL));
  return WASM_OK;
}

static wasm_status push_vals(fv *v, const uint8_t *types, uint32_t n) {
  if (!grow((void **)&v->vals, &v->vcap, v->nvals + n, 1)) return nomem(v);
  if (n) memcpy(v->vals + v->nvals, types, n);
  v->nvals += n;
  return WASM_OK;
}

/* ---- control stack ---- */

static wasm_status push_ctrl(fv *v, uint16_t op, const uint8_t *params,
                             uint32_t np, const uint8_t *results, uint32_t nr) {
  if (!grow((void **)&v->ctrls, &v->ccap, v->nctrls + 1, sizeof(ctrl)))
    return nomem(v);
  v->ctrls[v->nctrls++] = (ctrl){op, params, results, np, nr, v->nvals, false};
  return push_vals(v, params, np);
}

static wasm_status pop_ctrl(fv *v, ctrl *out) {
  if (v->nctrls == 0) return wasm_fail(v->err, WASM_MALFORMED, "unexpected end");
  const ctrl *c = &v->ctrls[v->nctrls - 1];
  TRY(pop_vals(v, c->results, c->nresults, false));
  if (v->nvals != c->height) return mismatch(v);
  *out = *c;
  v->nctrls--;
  return WASM_OK;
}

static void set_unreachable(fv *v) {
  ctrl *c = &v->ctrls[v->nctrls - 1];
  v->nvals = c->height;
  c->unreachable = true;
}

/* The types a branch to label l carries; NULL c on an unknown label. */
static wasm_status label(fv *v, uint32_t l, const uint8_t **types, uint32_t *n) {
  if (l >= v->nctrls) return wasm_fail(v->err, WASM_INVALID, "unknown label %u", l);
  const ctrl *c = &v->ctrls[v->nctrls - 1 - l];
  if (c->op == WASM_OP_LOOP) { *types = c->params; *n = c->nparams; }
  else { *types = c->results; *n = c->nresults; }
  return WASM_OK;
}

static wasm_status block_type(fv *v, int64_t t, const uint8_t **p, uint32_t *np,
                              const uint8_t **r, uint32_t *nr) {
  if (t < 0) {
    uint8_t b = wasm_blocktype_byte(t);
    *p = NULL;
    *np = 0;
    *r = b == 0x40 ? NULL : &vt_self[b];
    *nr = b == 0x40 ? 0 : 1;
    return WASM_OK;
  }
  if ((uint64_t)t >= v->m->ntypes)
    return wasm_fail(v->err, WASM_INVALID, "unknown type %u", (uint32_t)t);
  const wasm_functype *ft = &v->m->types[t];
  *p = ft->types;
  *np = ft->nparams;
  *r = ft->types + ft->nparams;
  *nr = ft->nresults;
  return WASM_OK;
}

/* ---- instructions ---- */

static uint8_t sig_type(char c) {
  switch (c) {
  case 'i': return WASM_I32;
  case 'I': return WASM_I64;
  case 'f': return WASM_F32;
  case 'F': return WASM_F64;
  default: return WASM_V128;
  }
}

/* Pops the params of a "params:results" signature, pushes its results. */
static wasm_status apply_sig(fv *v, const char *sig) {
  const char *colon = strchr(sig, ':');
  for (const char *c = colon; c-- > sig;) TRY(pop_expect(v, sig_type(*c), NULL));
  for (const char *c = colon + 1; *c; c++) TRY(push(v, sig_type(*c)));
  return WASM_OK;
}

static wasm_status need_table(fv *v, uint32_t t, uint8_t *elem) {
  if (t >= wasm_module_total_tables(v->m))
    return wasm_fail(v->err, WASM_INVALID, "unknown table %u", t);
  if (elem) *elem = wasm_module_table_type(v->m, t).elem;
  return WASM_OK;
}

static wasm_status need_memory(fv *v, uint32_t mem) {
  if (mem >= wasm_module_total_memories(v->m))
    return wasm_fail(v->err, WASM_INVALID, "unknown memory %u", mem);
  return WASM_OK;
}

static wasm_status need_elem(fv *v, uint32_t e) {
  if (e >= v->m->nelems)
    return wasm_fail(v->err, WASM_INVALID, "unknown elem segment %u", e);
  return WASM_OK;
}

static wasm_status need_data(fv *v, uint32_t d) {
  uint32_t n = v->m->has_datacount ? v->m->datacount : v->m->ndatas;
  if (d >= n) return wasm_fail(v->err, WASM_INVALID, "unknown data segment %u", d);
  return WASM_OK;
}

/* try_table's catch clauses: each label must take exactly what the clause
 * delivers (the tag's params for catch, nothing for catch_all, plus an
 * exnref for the _ref forms). */
static wasm_status try_table_catches(fv *v, const wasm_instr *in) {
  wasm_reader r = {v->m->bytes, in->imm.try_table.catches, v->m->bytes + v->m->len};
  for (uint32_t i = 0; i < in->imm.try_table.count; i++) {
    uint8_t kind = *r.p++;
    uint32_t tag = 0, l = 0;
    const uint8_t *want = NULL, *have = NULL;
    uint32_t nwant = 0, nhave = 0;
    if (kind < 2) {
      if (!wasm_read_u32(&r, &tag)) return wasm_fail(v->err, WASM_MALFORMED, "unexpected end");
      if (tag >= wasm_module_total_tags(v->m))
        return wasm_fail(v->err, WASM_INVALID, "unknown tag %u", tag);
      const wasm_functype *tt = &v->m->types[wasm_module_tag_type(v->m, tag)];
      want = tt->types;
      nwant = tt->nparams;
    }
    if (!wasm_read_u32(&r, &l)) return wasm_fail(v->err, WASM_MALFORMED, "unexpected end");
    TRY(label(v, l, &have, &nhave));
    if (kind == 1 || kind == 3) { /* the _ref forms add an exnref */
      if (nhave != nwant + 1 || have[nwant] != WASM_EXNREF) return mismatch(v);
      nhave--;
    }
    if (nhave != nwant || (nwant && memcmp(have, want, nwant) != 0)) return mismatch(v);
  }
  return WASM_OK;
}

static wasm_status br_table(fv *v, const wasm_instr *in) {
  wasm_reader r = {v->m->bytes, in->imm.br_table.labels, v->m->bytes + v->m->len};
  uint32_t l = 0, dflt = 0, arity = 0, n = 0;
  const uint8_t *types = NULL;
  TRY(pop_expect(v, WASM_I32, NULL));
  for (uint32_t i = 0; i <= in->imm.br_table.count; i++) TRY(wasm_rd_u32(&r, &dflt, v->err));
  TRY(label(v, dflt, &types, &arity));
  r.p = in->imm.br_table.labels;
  for (uint32_t i = 0; i < in->imm.br_table.count; i++) {
    TRY(wasm_rd_u32(&r, &l, v->err));
    TRY(label(v, l, &types, &n));
    if (n != arity) return mismatch(v);
    TRY(pop_vals(v, types, n, true));
    TRY(push_vals(v, v->tmp, n));
  }
  TRY(label(v, dflt, &types, &n));
  TRY(pop_vals(v, types, n, false));
  set_unreachable(v);
  return WASM_OK;
}

static bool is_num_or_unk(uint8_t t) {
  return t == UNK || t == WASM_I32 || t == WASM_I64 || t == WASM_F32 ||
         t == WASM_F64;
}

static wasm_status select_untyped(fv *v) {
  uint8_t t1 = 0, t2 = 0;
  TRY(pop_expect(v, WASM_I32, NULL));
  TRY(pop(v, &t1));
  TRY(pop(v, &t2));
  bool vec = (t1 == WASM_V128 || t1 == UNK) && (t2 == WASM_V128 || t2 == UNK);
  if (!(is_num_or_unk(t1) && is_num_or_unk(t2)) && !vec) return mismatch(v);
  if (t1 != t2 && t1 != UNK && t2 != UNK) return mismatch(v);
  return push(v, t1 == UNK ? t2 : t1);
}

/* Without WASM_FEATURE_EXCEPTIONS exnref is not a type (malformed). */
static wasm_status no_exnref(fv *v, const wasm_instr *in, const wasm_opinfo *info) {
  bool bad = false;
  if (info->imm == WASM_IMM_BLOCK) bad = in->imm.block.type == (int64_t)WASM_EXNREF - 0x80;
  if (info->imm == WASM_IMM_HEAPTYPE) bad = in->imm.reftype == WASM_EXNREF;
  if (info->imm == WASM_IMM_SELECT_T)
    bad = memchr(in->imm.select_t.types, WASM_EXNREF, in->imm.select_t.count) != NULL;
  return bad ? wasm_fail(v->err, WASM_MALFORMED, "malformed value type") : WASM_OK;
}

/* Instructions typed by hand. Returns WASM_OK with *done false for those
 * that are typed by their signature after the checks done here. */
static wasm_status instr(fv *v, const wasm_instr *in, bool *done) {
  const wasm_module *m = v->m;
  const wasm_opinfo *info = &wasm_opinfo_table[in->op];
  if (!wasm_module_exceptions(m)) TRY(no_exnref(v, in, info));
  const uint8_t *p = NULL, *r = NULL;
  uint32_t np = 0, nr = 0;
  uint8_t t = 0, e = 0;
  ctrl c;
  *done = true;
  switch (in->op) {
  case WASM_OP_UNREACHABLE:
    set_unreachable(v);
    return WASM_OK;
  case WASM_OP_BLOCK: case WASM_OP_LOOP: case WASM_OP_IF:
    TRY(block_type(v, in->imm.block.type, &p, &np, &r, &nr));
    if (in->op == WASM_OP_IF) TRY(pop_expect(v, WASM_I32, NULL));
    TRY(pop_vals(v, p, np, false));
    return push_ctrl(v, in->op, p, np, r, nr);
  case WASM_OP_TRY_TABLE:
    TRY(block_type(v, in->imm.block.type, &p, &np, &r, &nr));
    TRY(try_table_catches(v, in));
    TRY(pop_vals(v, p, np, false));
    return push_ctrl(v, WASM_OP_BLOCK, p, np, r, nr);
  case WASM_OP_THROW_REF:
    TRY(pop_expect(v, WASM_EXNREF, NULL));
    set_unreachable(v);
    return WASM_OK;
  case WASM_OP_THROW: {
    if (in->imm.index >= wasm_module_total_tags(m))
      return wasm_fail(v->err, WASM_INVALID, "unknown tag %u", in->imm.index);
    const wasm_functype *tt = &m->types[wasm_module_tag_type(m, in->imm.index)];
    TRY(pop_vals(v, tt->types, tt->nparams, false));
    set_unreachable(v);
    return WASM_OK;
  }
  case WASM_OP_ELSE:
    TRY(pop_ctrl(v, &c));
    if (c.op != WASM_OP_IF) return wasm_fail(v->err, WASM_MALFORMED, "END opcode expected");
    return push_ctrl(v, WASM_OP_ELSE, c.params, c.nparams, c.results, c.nresults);
  case WASM_OP_END:
    TRY(pop_ctrl(v, &c));
    if (c.op == WASM_OP_IF) { /* no else: it passes the params through */
      TRY(push_ctrl(v, WASM_OP_ELSE, c.params, c.nparams, c.results, c.nresults));
      TRY(pop_ctrl(v, &c));
    }
    if (v->nctrls == 0) return WASM_OK;
    return push_vals(v, c.results, c.nresults);
  case WASM_OP_BR:
    TRY(label(v, in->imm.index, &p, &np));
    TRY(pop_vals(v, p, np, false));
    set_unreachable(v);
    return WASM_OK;
  case WASM_OP_BR_IF:
    TRY(label(v, in->imm.index, &p, &np));
    TRY(pop_expect(v, WASM_I32, NULL));
    TRY(pop_vals(v, p, np, false));
    return push_vals(v, p, np);
  case WASM_OP_BR_TABLE:
    return br_table(v, in);
  case WASM_OP_RETURN:
    TRY(pop_vals(v, v->ctrls[0].results, v->ctrls[0].nresults, false));
    set_unreachable(v);
    return WASM_OK;
  case WASM_OP_CALL: {
    const wasm_functype *ft = wasm_module_func_type(m, in->imm.index);
    if (in->imm.index >= wasm_module_total_funcs(m) || !ft)
      return wasm_fail(v->err, WASM_INVALID, "unknown function %u", in->imm.index);
    TRY(pop_vals(v, ft->types, ft->nparams, false));
    return push_vals(v, ft->types + ft->nparams, ft->nresults);
  }
  case WASM_OP_CALL_INDIRECT: {
    TRY(need_table(v, in->imm.call_indirect.table, &e));
    if (e != WASM_FUNCREF) return mismatch(v);
    if (in->imm.call_indirect.type >= m->ntypes)
      return wasm_fail(v->err, WASM_INVALID, "unknown type %u", in->imm.call_indirect.type);
    const wasm_functype *ft = &m->types[in->imm.call_indirect.type];
    TRY(pop_expect(v, WASM_I32, NULL));
    TRY(pop_vals(v, ft->types, ft->nparams, false));
    return push_vals(v, ft->types + ft->nparams, ft->nresults);
  }
  case WASM_OP_DROP:
    return pop(v, &t);
  case WASM_OP_SELECT:
    return select_untyped(v);
  case WASM_OP_SELECT_T:
    if (in->imm.select_t.count != 1)
      return wasm_fail(v->err, WASM_INVALID, "invalid result arity");
    t = in->imm.select_t.types[0];
    TRY(pop_expect(v, WASM_I32, NULL));
    TRY(pop_expect(v, t, NULL));
    TRY(pop_expect(v, t, NULL));
    return push(v, t);
  case WASM_OP_LOCAL_GET: case WASM_OP_LOCAL_SET: case WASM_OP_LOCAL_TEE:
    if (in->imm.index >= v->nlocals)
      return wasm_fail(v->err, WASM_INVALID, "unknown local %u", in->imm.index);
    t = v->locals[in->imm.index];
    if (in->op == WASM_OP_LOCAL_GET) return push(v, t);
    TRY(pop_expect(v, t, NULL));
    return in->op == WASM_OP_LOCAL_TEE ? push(v, t) : WASM_OK;
  case WASM_OP_GLOBAL_GET: case WASM_OP_GLOBAL_SET: {
    if (in->imm.index >= wasm_module_total_globals(m))
      return wasm_fail(v->err, WASM_INVALID, "unknown global %u", in->imm.index);
    wasm_globaltype g = wasm_module_global_type(m, in->imm.index);
    if (in->op == WASM_OP_GLOBAL_GET) return push(v, g.kind);
    if (!g.mutable_) return wasm_fail(v->err, WASM_INVALID, "global is immutable");
    return pop_expect(v, g.kind, NULL);
  }
  case WASM_OP_TABLE_GET:
    TRY(need_table(v, in->imm.index, &e));
    TRY(pop_expect(v, WASM_I32, NULL));
    return push(v, e);
  case WASM_OP_TABLE_SET:
    TRY(need_table(v, in->imm.index, &e));
    TRY(pop_expect(v, e, NULL));
    return pop_expect(v, WASM_I32, NULL);
  case WASM_OP_TABLE_GROW:
    TRY(need_table(v, in->imm.index, &e));
    TRY(pop_expect(v, WASM_I32, NULL));
    TRY(pop_expect(v, e, NULL));
    return push(v, WASM_I32);
  case WASM_OP_TABLE_FILL:
    TRY(need_table(v, in->imm.index, &e));
    TRY(pop_expect(v, WASM_I32, NULL));
    TRY(pop_expect(v, e, NULL));
    return pop_expect(v, WASM_I32, NULL);
  case WASM_OP_REF_NULL:
    return push(v, in->imm.reftype);
  case WASM_OP_REF_IS_NULL:
    TRY(pop(v, &t));
    if (t != UNK && !wasm_is_reftype(t)) return mismatch(v);
    return push(v, WASM_I32);
  case WASM_OP_REF_FUNC:
    if (in->imm.index >= wasm_module_total_funcs(m))
      return wasm_fail(v->err, WASM_INVALID, "unknown function %u", in->imm.index);
    if (!m->func_declared || !m->func_declared[in->imm.index])
      return wasm_fail(v->err, WASM_INVALID, "undeclared function reference");
    return push(v, WASM_FUNCREF);
  default:
    break;
  }

  /* Typed by signature, after their own checks. */
  *done = false;
  switch ((wasm_imm_kind)info->imm) {
  case WASM_IMM_MEMARG: case WASM_IMM_MEMARG_LANE:
    TRY(need_memory(v, in->imm.mem.memory));
    if ((1ull << in->imm.mem.align) > info->msize)
      return wasm_fail(v->err, WASM_INVALID, "alignment must not be larger than natural");
    if (info->imm == WASM_IMM_MEMARG_LANE && in->imm.mem.lane >= 16 / info->msize)
      return wasm_fail(v->err, WASM_INVALID, "invalid lane index");
    break;
  case WASM_IMM_LANE:
    if (in->imm.lane >= info->msize)
      return wasm_fail(v->err, WASM_INVALID, "invalid lane index");
    break;
  case WASM_IMM_SHUFFLE:
    for (int i = 0; i < 16; i++)
      if (in->imm.v128[i] >= 32)
        return wasm_fail(v->err, WASM_INVALID, "invalid lane index");
    break;
  case WASM_IMM_MEM:
    TRY(need_memory(v, in->imm.index));
    break;
  case WASM_IMM_MEM_MEM:
    TRY(need_memory(v, in->imm.pair.a));
    TRY(need_memory(v, in->imm.pair.b));
    break;
  case WASM_IMM_DATA_MEM:
    TRY(need_memory(v, in->imm.pair.b));
    TRY(need_data(v, in->imm.pair.a));
    break;
  case WASM_IMM_DATA:
    TRY(need_data(v, in->imm.index));
    break;
  case WASM_IMM_ELEM:
    TRY(need_elem(v, in->imm.index));
    break;
  case WASM_IMM_TABLE: /* table.size */
    TRY(need_table(v, in->imm.index, NULL));
    break;
  case WASM_IMM_TABLE_TABLE: {
    uint8_t e2 = 0;
    TRY(need_table(v, in->imm.pair.a, &e));
    TRY(need_table(v, in->imm.pair.b, &e2));
    if (e != e2) return mismatch(v);
    break;
  }
  case WASM_IMM_ELEM_TABLE:
    TRY(need_table(v, in->imm.pair.b, &e));
    TRY(need_elem(v, in->imm.pair.a));
    if (m->elems[in->imm.pair.a].elem_kind != e) return mismatch(v);
    break;
  default:
    break;
  }
  if (!info->sig)
    return wasm_fail(v->err, WASM_INVALID, "cannot type %s", info->name);
  return WASM_OK;
}

static wasm_status run(fv *v, const wasm_funcdef *f) {
  const wasm_module *m = v->m;
  const wasm_functype *ft = &m->types[f->type];
  size_t n = (size_t)ft->nparams + f->nlocals;
  if (!(v->locals = malloc(n ? n : 1))) return nomem(v);
  memcpy(v->locals, ft->types, ft->nparams);
  if (f->nlocals) memcpy(v->locals + ft->nparams, f->local_types, f->nlocals);
  v->nlocals = (uint32_t)n;
  TRY(push_ctrl(v, WASM_OP_BLOCK, NULL, 0, ft->types + ft->nparams, ft->nresults));
  wasm_reader r = {m->bytes, f->body, f->body + f->body_len};
  wasm_instr in;
  bool done;
  while (v->nctrls > 0) {
    TRY(wasm_read_instr(&r, &in, v->err));
    TRY(instr(v, &in, &done));
    if (!done) TRY(apply_sig(v, wasm_opinfo_table[in.op].sig));
  }
  if (r.p != r.end) return wasm_fail(v->err, WASM_MALFORMED, "section size mismatch");
  return WASM_OK;
}

wasm_status wasm_validate_func(const wasm_module *m, uint32_t i, wasm_error *err) {
  fv v = {0};
  v.m = m;
  v.err = err;
  wasm_status s = run(&v, &m->funcs[i]);
  free(v.vals);
  free(v.ctrls);
  free(v.tmp);
  free(v.locals);
  return s;
}
