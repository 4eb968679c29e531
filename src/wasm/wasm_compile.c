/*
 * wasm_compile.c: translates each validated function body into the
 * internal slot code described in wasm_code.h.
 *
 * One pass over the body with wasm_read_instr. The compiler mirrors the
 * validator's operand stack, but each entry records the frame slot it lives
 * in (its "home", fixed by its stack position) and the slot its value is
 * currently read from (`src`). local.get does not copy: it pushes an entry
 * whose src is the local's slot, and consumers read the local directly.
 * Such aliases are materialised (copied home) before anything that needs
 * values at their home slots (branches, calls, block boundaries) or before
 * the aliased local is written. Scalar constants are likewise kept on the
 * compile-time stack and become immediates of the integer ops' K variants,
 * or are written to their home slot when something needs them there.
 *
 * Peepholes: an op whose result goes straight into local.set/tee writes the
 * local directly; an op whose i32 result only feeds br_if/if is fused with
 * the branch (XV_BR variants); an i32.add (or sub) of a constant computing
 * an address folds into the access (XV_ADDK, XV_ADDX), constant addresses
 * and stored values become immediates (XV_AK, XV_STI); a full-width load
 * feeding a binary op, and a binary op feeding a store, fuse with it
 * (XV_LD, XV_ST, XV_RMW, and a mul.ld then add.rmw: XOP_MAC_*); up to eight
 * copies in a row become one COPY1Xn. An operand computed by the
 * instruction just before is read from the interpreter's accumulator
 * (XV_A1 and the like, wasm_code.h), and two binary ops in a row where the
 * second takes the first's result become one chain (XOP_CHAIN_*, with a
 * compare and the branch on it: XOP_CHAIN_BR); two adds in a row become
 * one XOP_ADD2, as do an add and a copy next to it (the copy an add of 0),
 * and a third add or copy joins them (XOP_ADD3); the adds computing
 * a mac's two addresses join it (XOP_MAC2_*, MAC2S_*), as do a move's
 * (XOP_MOVE*K); an add before a branch joins it (XOP_ADDBR), with the
 * compare before or after the add when the branch takes the compare's
 * result (XOP_CMPADDBR); a load and a store of its value are one
 * XOP_MOVE*; a select takes constants. A copy before a call or return,
 * a constant before a return, and the stack pointer's
 * global.get/add/global.set, join that instruction. Fusions that drop an
 * instruction only do so when its result feeds nothing else (or they
 * still write it) and no jump lands in between (`barrier`); they read the
 * dropped instruction's operands from their slots, which stay valid.
 * Memory instructions are compiled in wasm_compile_mem.c, the other
 * superinstructions formed in wasm_compile_fuse.c. Copies are left out
 * where the slots hold the same value already, a block's result set to a
 * local after it goes there directly, and in local.tee x; local.set y the
 * value may go to y alone, x reading it there (wasm_compile_eq.c).
 */
#include <stdbool.h>
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm_compile.h"

/* Stable storage for one-byte "result type lists" of simple blocktypes. */
static const uint8_t valtype_bytes[256] = {
#define B4(x) x, x + 1, x + 2, x + 3
#define B16(x) B4(x), B4(x + 4), B4(x + 8), B4(x + 12)
#define B64(x) B16(x), B16(x + 16), B16(x + 32), B16(x + 48)
    B64(0), B64(64), B64(128), B64(192)
#undef B64
#undef B16
#undef B4
};

bool wc_fail(comp *c, wasm_status st, const char *msg) {
  if (c->st == WASM_OK) {
    c->st = st;
    wasm_fail(c->err, st, "compile: %s", msg);
  }
  return false;
}

bool wc_grow(void **p, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) return true;
  size_t nc = *cap ? *cap * 2 : 64;
  while (nc < need) nc *= 2;
  void *q = realloc(*p, nc * elem);
  if (!q) return false;
  *p = q;
  *cap = nc;
  return true;
}

/* ---- emitting ---- */

size_t wc_emit_u(comp *c, uint64_t v) {
  if (c->st) return 0;
  if (c->n >= COMPILE_MAX_CELLS) return wc_fail(c, WASM_NOMEM, "function too large"), 0;
  if (!wc_grow((void **)&c->code, &c->cap, c->n + 1, sizeof(wasm_cell)))
    return wc_fail(c, WASM_NOMEM, "out of memory"), 0;
  c->code[c->n].u = v;
  return c->n++;
}

void wc_emit_op(comp *c, int op) {
  c->last_dst = SIZE_MAX; /* peephole candidates are set after emitting */
  c->fuse_start = SIZE_MAX;
  c->last.kind = LAST_NONE;
  c->copy_at = SIZE_MAX;
  c->const_at = SIZE_MAX;
  c->acc_end = SIZE_MAX;
  c->ch_start = SIZE_MAX;
  const void *h = c->h[op];
  if (!h) {
    wc_fail(c, WASM_INVALID, "instruction not supported by the interpreter");
    return;
  }
  if (c->st) return;
  wc_eq_emit(c, op);
  while (c->nstarts && c->starts[c->nstarts - 1] >= c->n) c->nstarts--; /* rewound */
  size_t cap = c->cap_starts;
  if (!wc_grow((void **)&c->starts, &cap, c->nstarts + 1, sizeof(size_t)) ||
      !wc_grow((void **)&c->ops, &c->cap_starts, c->nstarts + 1, sizeof(int))) {
    wc_fail(c, WASM_NOMEM, "out of memory");
    return;
  }
  c->starts[c->nstarts] = c->n;
  c->ops[c->nstarts++] = op;
  size_t i = wc_emit_u(c, 0);
  if (!c->st) c->code[i].h = h;
}

/* Named with their forms by wasm_code_op_name's code: */
#define ADD_NAMES4(s) s, s, s, s
#define ADD_NAMES16(s) ADD_NAMES4(s), ADD_NAMES4(s), ADD_NAMES4(s), ADD_NAMES4(s)
#define CMP_NAMES(c) "i32." #c "+add.br", "i32." #c "+add.k.br", "i32." #c ".k+add.br", \
      "i32." #c ".k+add.k.br"
const char *wasm_code_op_name(int op, char *buf, size_t n) {
  static const char *const xnames[] = {
      "unreachable", "copy1", "copy2", "copyn", "const", "const2", "const.x2", "br",
      "br_if", "br_unless", "br_table", "return", "call", "call_indirect",
      "select", "select2", "global.get", "global.get2", "global.set",
      "global.set2", "ref.is_null", "ref.func", "memop.multi", "throw_ref",
      "copy1x2", "call", "copy1x3", "copy1x4", "copy1x5", "copy1x6", "copy1x7", "copy1x8",
      "i32.mac", "i64.mac", "f32.mac", "f64.mac",
      "i32.mac2", "i64.mac2", "f32.mac2", "f64.mac2",
      "i32.mac2s", "i64.mac2s", "f32.mac2s", "f64.mac2s", "call.copy",
      "global.addk", "global.set.addk", "return.copy", ADD_NAMES16("add2"),
      "i32.load.br", "i32.load8_u.br",
      "copy1.br", "copy1x2.br", "copy1x3.br", "copy1x4.br",
      "copy1x5.br", "copy1x6.br", "copy1x7.br", "copy1x8.br", "select.k", "select.ka",
      "select.kk", "move32", "move64", "move8",
      "move32.kk", "move64.kk", "move8.kk", "add.br", "add.br", "add.br", "add.br",
      CMP_NAMES(eq), CMP_NAMES(ne), CMP_NAMES(lt_s), CMP_NAMES(lt_u), CMP_NAMES(gt_s),
      CMP_NAMES(gt_u), CMP_NAMES(le_s), CMP_NAMES(le_u), CMP_NAMES(ge_s), CMP_NAMES(ge_u),
      "i32.mac.nt", "i64.mac.nt", "f32.mac.nt", "f64.mac.nt", "i32.mac2.nt", "i64.mac2.nt",
      "f32.mac2.nt", "f64.mac2.nt", "i32.mac2s.nt", "i64.mac2s.nt", "f32.mac2s.nt", "f64.mac2s.nt",
      "i32.rotx3", "i32.rotx3.shr", "i32.rotx3.a1", "i32.rotx3.a1.shr", "i32.rotx3.nw",
      "i32.rotx3.shr.nw", "i32.rotx3.a1.nw", "i32.rotx3.a1.shr.nw", "f64.mac2.x3",
      "f64.mac2s.x3", "f64.mac2.x3c", "f64.mac2s.x3c", "i32.swap",
      "i32.load.x2", "i64.load.x2", "f32.load.x2", "f64.load.x2", ADD_NAMES16("add3"),
      ADD_NAMES16("add3"), ADD_NAMES16("add3"), ADD_NAMES16("add3"), "return.k"};
  static const char *const vnames[] = {"",    "k",   "br",  "brk",  "addk",  "addx",
                                       "sti", "ld",  "st",  "rmw",  "a1",    "a1k",
                                       "a2",  "bra1", "bra1k", "bra2", "ak",
                                       "nw", "addk.nw", "addx.nw", "a1.nw", "ak.nw",
                                       "k.nw", "a1k.nw", "a2.nw", "ld.nw"};
  if (op < WASM_OP_COUNT) return wasm_opinfo_table[op].name;
  if (op >= XOP_CHAIN_I32) return wc_chain_name(op, buf, n);
  /* The adds' forms, ADD_FORM_* in order: 0 i32, 1 i32 K, 2 i64, 3 i64 K. */
  if (op >= XOP_ADD2 && op <= XOP_ADD2_LAST) {
    snprintf(buf, n, "add2.%d%d", (op - XOP_ADD2) / 4, (op - XOP_ADD2) % 4);
    return buf;
  }
  if (op >= XOP_ADD3 && op <= XOP_ADD3_LAST) {
    int f = op - XOP_ADD3;
    snprintf(buf, n, "add3.%d%d%d", f / 16, f / 4 % 4, f % 4);
    return buf;
  }
  if (op < XOP_COUNT) {
    size_t x = (size_t)(op - XOP_FIRST - 1);
    return x < sizeof xnames / sizeof xnames[0] ? xnames[x] : "xop";
  }
  int base, v = wasm_code_variant(op, &base);
  snprintf(buf, n, "%s.%s", wasm_opinfo_table[base].name, vnames[v]);
  return buf;
}

/* Prints a function's code to stderr: one instruction a line, operands in
 * cells (branch targets as cell indices). */
static void dump_code(comp *c, uint32_t fidx) {
  fprintf(stderr, "func %u: %zu cells, %u slots (%u for locals)\n", fidx, c->n, c->max_slots,
          c->first_temp);
  for (size_t i = 0; i < c->nstarts; i++) {
    size_t a = c->starts[i], b = i + 1 < c->nstarts ? c->starts[i + 1] : c->n;
    char buf[64];
    fprintf(stderr, "  %5zu %-24s", a, wasm_code_op_name(c->ops[i], buf, sizeof buf));
    for (size_t k = a + 1; k < b; k++) {
      uint64_t u = c->code[k].u;
      if (wasm_code_pair_cell(c->ops[i], k - a)) fprintf(stderr, " %u<-%u", PAIR_DST(u), PAIR_SRC(u));
      else fprintf(stderr, " %llu", (unsigned long long)u);
    }
    fprintf(stderr, "\n");
  }
}

/* A branch target cell holding a cell index, fixed up at the end. */
static size_t emit_target(comp *c, size_t idx) {
  size_t at = wc_emit_u(c, idx);
  if (c->st) return 0;
  size_t ncap = c->cap_relocs;
  if (!wc_grow((void **)&c->relocs, &ncap, c->nrelocs + 1, sizeof(size_t)))
    return wc_fail(c, WASM_NOMEM, "out of memory"), 0;
  c->cap_relocs = ncap;
  c->relocs[c->nrelocs++] = at;
  return at;
}

/* Forward branches to a block's end are chained through their target
 * cells (each holds the previous link + 1) until the end is known. */
static void emit_forward(comp *c, ctl *t) {
  wc_eq_branch(c, t);
  size_t at = emit_target(c, t->patches);
  if (!c->st) t->patches = at + 1;
}

static void resolve_chain(comp *c, size_t chain, size_t pc) {
  while (chain && !c->st) {
    size_t at = chain - 1;
    chain = (size_t)c->code[at].u;
    c->code[at].u = pc;
  }
  c->barrier = pc; /* a jump lands here: no peephole across it */
}

/* The instruction just emitted also left its result (slot) in the
 * accumulator. */
void wc_set_acc(comp *c, uint32_t slot) {
  c->acc_slot = slot;
  c->acc_end = c->n;
}

/* Whether v can be read from the accumulator by the next instruction. */
bool wc_in_acc(const comp *c, const cval *v) {
  return !v->konst && c->acc_end == c->n && c->barrier != c->n && v->src == c->acc_slot;
}

/* The variant v of op, or -1 when it has none (or v is 0). */
int wc_variant(const comp *c, int op, int v) {
  if (v <= 0 || v >= XV_COUNT) return -1;
  int xop = XOPV(v, op);
  return c->h[xop] ? xop : -1;
}

uint32_t wc_dst_get(const comp *c, size_t ref) {
  uint64_t u = c->code[ref & ~WC_DST_PAIR].u;
  return ref & WC_DST_PAIR ? PAIR_DST(u) : (uint32_t)u;
}

void wc_dst_set(comp *c, size_t ref, uint32_t slot) {
  wasm_cell *cell = &c->code[ref & ~WC_DST_PAIR];
  cell->u = ref & WC_DST_PAIR ? SLOT_PAIR(slot, PAIR_SRC(cell->u)) : slot;
}

void wc_set_dst_candidate(comp *c, size_t cell) {
  c->last_dst = cell;
  c->last_end = c->n;
}

static void emit_const(comp *c, uint32_t dst, uint64_t k) {
  /* Two constants in a row become one XOP_CONSTX2. */
  if (c->const_at != SIZE_MAX && wc_last_is(c, c->const_at, c->const_at + 3) &&
      c->h[XOP_CONSTX2] && !c->st) {
    c->code[c->const_at].h = c->h[XOP_CONSTX2];
    if (c->nstarts) c->ops[c->nstarts - 1] = XOP_CONSTX2;
    wc_eq_retyped(c, c->const_at, XOP_CONSTX2);
    c->const_at = SIZE_MAX;
    wc_emit_u(c, dst);
    wc_emit_u(c, k);
    return;
  }
  wc_emit_op(c, XOP_CONST);
  c->const_at = c->n - 1;
  wc_emit_u(c, dst);
  wc_emit_u(c, k);
}

/* Forgets the records of the last instructions that a following one may
 * fuse with (not the accumulator, the retargetable dst or a copy to grow). */
/* Forgets the records of fusions that take in the last instruction's
 * result as a typed stack value; the add records (an add or copy after
 * joins the adds whatever they computed) stay. */
static void forget_typed_fusions(comp *c) {
  c->fuse_start = SIZE_MAX;
  c->ch_start = SIZE_MAX;
  c->last.kind = c->mac.kind = c->ldbr.kind = LAST_NONE;
  c->gg_start = c->gg_end = SIZE_MAX;
  c->cmp.start = SIZE_MAX;
}

static void forget_fusions(comp *c) {
  forget_typed_fusions(c);
  c->add_start = c->add_end = SIZE_MAX;
  c->add2_start = c->add2_end = SIZE_MAX;
}

/* Drops the code from cell pos on (a fusion replacing the instructions
 * there) and forgets every peephole record of an instruction in it: the
 * records are checked by position (wc_last_is), and code emitted after the
 * rewind could end where a dropped instruction did. */
void wc_rewind(comp *c, size_t pos) {
  c->n = pos;
  while (c->ncalls && c->calls[c->ncalls - 1].caller == c->cur_def &&
         c->calls[c->ncalls - 1].cell >= pos)
    c->ncalls--; /* a call dropped (the current function's are last) */
  if (c->last_dst != SIZE_MAX && (c->last_dst & ~WC_DST_PAIR) >= pos) c->last_dst = SIZE_MAX;
  if (c->tee_end != SIZE_MAX && (c->tee_cell & ~WC_DST_PAIR) >= pos) c->tee_end = SIZE_MAX;
  /* Records with an end too: both go (the global.addk fusion tests gg_end). */
  size_t *starts[][2] = {{&c->fuse_start, NULL}, {&c->gg_start, &c->gg_end},
                         {&c->add_start, &c->add_end}, {&c->add2_start, &c->add2_end},
                         {&c->copy_at, NULL}, {&c->const_at, NULL}, {&c->ch_start, NULL},
                         {&c->fuse_ch.start, NULL}, {&c->cmp.start, NULL}};
  for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++)
    if (*starts[i][0] != SIZE_MAX && *starts[i][0] >= pos) {
      *starts[i][0] = SIZE_MAX;
      if (starts[i][1]) *starts[i][1] = SIZE_MAX;
    }
  last_instr *lasts[] = {&c->last, &c->mac, &c->ldbr};
  for (size_t i = 0; i < sizeof lasts / sizeof lasts[0]; i++)
    if (lasts[i]->kind != LAST_NONE && lasts[i]->start >= pos) lasts[i]->kind = LAST_NONE;
  if (c->acc_end != SIZE_MAX && c->acc_end > pos) c->acc_end = SIZE_MAX;
}

/* Whether the instruction at [start, end) is the last one emitted and no
 * jump lands after it, so it may be rewritten. */
bool wc_last_is(comp *c, size_t start, size_t end) {
  return start != SIZE_MAX && end == c->n && c->barrier != c->n;
}

void wc_emit_copy(comp *c, uint32_t dst, uint32_t src, uint32_t nslots) {
  if (dst == src || nslots == 0) return;
  if (wc_eq_same(c, dst, src, nslots)) return; /* dst holds that value already */
  /* Up to eight copies in a row become one instruction (COPY1X2..X8). */
  if (nslots == 1 && c->copy_at != SIZE_MAX && c->copy_n < WASM_CODE_MAX_COPIES &&
      wc_last_is(c, c->copy_at, c->copy_at + 1 + c->copy_n) && !c->st) {
    int xop = wasm_code_copy_op((int)c->copy_n + 1, false);
    c->code[c->copy_at].h = c->h[xop];
    if (c->nstarts) c->ops[c->nstarts - 1] = xop;
    wc_eq_retyped(c, c->copy_at, xop);
    c->copy_n++;
    c->last_dst = SIZE_MAX;
    c->fuse_start = SIZE_MAX;
    c->ch_start = SIZE_MAX;
    wc_emit_u(c, SLOT_PAIR(dst, src));
    wc_eq_copied(c, dst, src);
    return;
  }
  /* A copy right after an add joins it in one XOP_ADD2, as an add of 0. */
  if (nslots == 1 && !c->st && wc_fuse_copy_add2(c, dst, src)) return;
  if (nslots == 1) {
    wc_emit_op(c, XOP_COPY1);
    c->copy_at = c->n - 1;
    c->copy_n = 1;
    wc_emit_u(c, SLOT_PAIR(dst, src));
    /* An add right after may join it in one XOP_ADD2. */
    c->add_start = c->copy_at;
    c->add_end = c->n;
    c->add_form = ADD_FORM_I64K;
    c->add_copy = true;
    c->add_b = 0;
    return;
  }
  if (nslots == 2) {
    wc_emit_op(c, XOP_COPY2);
  } else {
    wc_emit_op(c, XOP_COPYN);
  }
  wc_emit_u(c, dst);
  wc_emit_u(c, src);
  if (nslots > 2) wc_emit_u(c, nslots);
}

/* ---- operand stack ---- */

void wc_push(comp *c, uint8_t kind) {
  if (c->st) return;
  size_t cap = c->cap_stk;
  if (!wc_grow((void **)&c->stk, &cap, (size_t)c->sp + 1, sizeof(cval))) {
    wc_fail(c, WASM_NOMEM, "out of memory");
    return;
  }
  c->cap_stk = (uint32_t)cap;
  c->stk[c->sp++] = (cval){kind, false, c->slots, c->slots, 0};
  c->slots += wasm_kind_slots(kind);
  if (c->slots > c->max_slots) c->max_slots = c->slots;
}

cval wc_pop(comp *c) {
  uint32_t floor = c->nctl ? c->ctls[c->nctl - 1].height : 0;
  if (c->sp <= floor) {
    wc_fail(c, WASM_INVALID, "operand stack underflow");
    return (cval){WASM_I32, false, 0, 0, 0};
  }
  cval v = c->stk[--c->sp];
  c->slots = v.slot;
  return v;
}

/* Writes a pending constant to its home slot. */
void wc_use(comp *c, cval *v) {
  if (v->konst) {
    emit_const(c, v->slot, v->k);
    v->konst = false;
    v->src = v->slot;
  }
}

static void materialize_from(comp *c, uint32_t from) {
  for (uint32_t i = from; i < c->sp; i++) {
    cval *v = &c->stk[i];
    if (v->konst) {
      wc_use(c, v);
    } else if (v->src != v->slot) {
      wc_emit_copy(c, v->slot, v->src, wasm_kind_slots(v->kind));
      v->src = v->slot;
    }
  }
}

static void materialize_all(comp *c) { materialize_from(c, 0); }

/* Before writing a local: copy home every stack entry still reading it. */
static bool materialize_local(comp *c, uint32_t lslot) {
  bool any = false;
  for (uint32_t i = 0; i < c->sp; i++) {
    cval *v = &c->stk[i];
    if (v->src != v->slot && v->src == lslot) {
      wc_emit_copy(c, v->slot, v->src, wasm_kind_slots(v->kind));
      v->src = v->slot;
      any = true;
    }
  }
  return any;
}

static uint32_t kinds_slots(const uint8_t *k, uint32_t n) {
  uint32_t s = 0;
  for (uint32_t i = 0; i < n; i++) s += wasm_kind_slots(k[i]);
  return s;
}

uint8_t wc_sig_kind(char ch) {
  switch (ch) {
  case 'i': return WASM_I32;
  case 'I': return WASM_I64;
  case 'f': return WASM_F32;
  case 'F': return WASM_F64;
  default: return WASM_V128;
  }
}

/* ---- control ---- */

static ctl *push_ctl(comp *c, uint8_t kind, const uint8_t *p, uint32_t np,
                     const uint8_t *r, uint32_t nr) {
  if (c->st) return NULL;
  size_t cap = c->cap_ctl;
  if (!wc_grow((void **)&c->ctls, &cap, (size_t)c->nctl + 1, sizeof(ctl))) {
    wc_fail(c, WASM_NOMEM, "out of memory");
    return NULL;
  }
  c->cap_ctl = (uint32_t)cap;
  uint32_t floor = c->nctl ? c->ctls[c->nctl - 1].height : 0;
  if (c->sp < np || c->sp - np < floor) {
    wc_fail(c, WASM_INVALID, "operand stack underflow");
    return NULL;
  }
  ctl *t = &c->ctls[c->nctl++];
  memset(t, 0, sizeof *t);
  t->kind = kind;
  t->params = p;
  t->nparams = np;
  t->results = r;
  t->nresults = nr;
  t->param_slots = kinds_slots(p, np);
  t->result_slots = kinds_slots(r, nr);
  t->height = c->sp - np;
  t->base = np ? c->stk[t->height].slot : c->slots;
  return t;
}

static bool blocktype(comp *c, int64_t bt, const uint8_t **p, uint32_t *np,
                      const uint8_t **r, uint32_t *nr) {
  *p = *r = NULL;
  *np = *nr = 0;
  if (bt < 0) {
    uint8_t b = (uint8_t)(bt & 0x7f);
    if (b != 0x40) {
      *r = &valtype_bytes[b];
      *nr = 1;
    }
    return true;
  }
  if ((uint64_t)bt >= c->m->ntypes) return wc_fail(c, WASM_INVALID, "bad block type");
  const wasm_functype *t = &c->m->types[bt];
  *p = t->types;
  *np = t->nparams;
  *r = t->types + t->nparams;
  *nr = t->nresults;
  return true;
}

/* Whether the instruction just emitted wrote `slot` and may be made to
 * write elsewhere instead (nothing jumps in between). */
static bool can_retarget(comp *c, uint32_t slot) {
  return c->last_dst != SIZE_MAX && c->last_end == c->n && c->barrier != c->n &&
         wc_dst_get(c, c->last_dst) == slot;
}

/* Where a branch to t leaves its values: the function's results at slot
 * 0, a loop's params or a block's results at its base, or the local its
 * one result is set to next. */
static uint32_t label_slot(const comp *c, const ctl *t) {
  if (t->kind == CTL_FUNC) return 0;
  if (t->kind != CTL_LOOP && t->into_plus1) return c->local_slot[t->into_plus1 - 1];
  return t->base;
}

/* Moves the value on top of the stack (nslots) to slot dst: straight from
 * wherever it is, or by making the instruction that computed it write
 * there. */
static void move_top(comp *c, uint32_t dst, uint32_t nslots) {
  cval *v = &c->stk[c->sp - 1];
  if (v->konst) {
    emit_const(c, dst, v->k);
  } else if (v->src != v->slot) {
    wc_emit_copy(c, dst, v->src, nslots);
  } else if (can_retarget(c, v->slot)) {
    wc_dst_set(c, c->last_dst, dst);
    wc_eq_wrote(c, dst, nslots);
  } else {
    wc_emit_copy(c, dst, v->slot, nslots);
  }
}

/* Emits the copy of a branch's values into the label's slots and the jump
 * itself (a RETURN for the function's own label). */
static void emit_branch(comp *c, ctl *t) {
  bool loop = t->kind == CTL_LOOP;
  uint32_t n = loop ? t->nparams : t->nresults;
  uint32_t nslots = loop ? t->param_slots : t->result_slots;
  uint32_t dst = label_slot(c, t);
  if (n > c->sp) {
    wc_fail(c, WASM_INVALID, "operand stack underflow");
    return;
  }
  if (n == 1) {
    move_top(c, dst, nslots);
  } else {
    materialize_from(c, c->sp - n);
    wc_emit_copy(c, dst, c->slots - nslots, nslots);
  }
  if (t->kind == CTL_FUNC) {
    /* A copy of the result just before runs as part of the return. */
    if (c->copy_at != SIZE_MAX && c->copy_n == 1 && wc_last_is(c, c->copy_at, c->copy_at + 2) &&
        !c->st && PAIR_DST(c->code[c->copy_at + 1].u) == 0) {
      uint64_t src = PAIR_SRC(c->code[c->copy_at + 1].u);
      wc_rewind(c, c->copy_at);
      c->eq_gen_end = 0; /* the copy stays, in the return */
      wc_emit_op(c, XOP_RETURN1);
      wc_emit_u(c, src);
      return;
    }
    /* So does a constant result (return 1;). */
    if (c->const_at != SIZE_MAX && wc_last_is(c, c->const_at, c->const_at + 3) && !c->st &&
        c->code[c->const_at].h == c->h[XOP_CONST] && c->code[c->const_at + 1].u == 0 &&
        c->h[XOP_RETURNK]) {
      uint64_t k = c->code[c->const_at + 2].u;
      wc_rewind(c, c->const_at);
      wc_emit_op(c, XOP_RETURNK);
      wc_emit_u(c, k);
      return;
    }
    wc_emit_op(c, XOP_RETURN);
  } else {
    /* Copies just before (a loop's values moving on) run as part of the
     * jump: the target follows their cells. */
    if (c->copy_at != SIZE_MAX && wc_last_is(c, c->copy_at, c->copy_at + 1 + c->copy_n) &&
        !c->st) {
      int xop = wasm_code_copy_op((int)c->copy_n, true);
      c->code[c->copy_at].h = c->h[xop];
      if (c->nstarts) c->ops[c->nstarts - 1] = xop;
      wc_eq_retyped(c, c->copy_at, xop);
      c->copy_at = SIZE_MAX;
    } else {
      wc_emit_op(c, XOP_BR);
    }
    if (loop) emit_target(c, t->loop_pc);
    else emit_forward(c, t);
  }
}

/* Whether a branch to t needs no copy (values already at the label). */
static bool branch_in_place(comp *c, ctl *t) {
  if (t->kind == CTL_FUNC) return false;
  bool loop = t->kind == CTL_LOOP;
  uint32_t n = loop ? t->nparams : t->nresults;
  uint32_t nslots = loop ? t->param_slots : t->result_slots;
  if (n > c->sp) return false;
  if (!loop && t->into_plus1) { /* its one value must be in the local already */
    const cval *v = &c->stk[c->sp - 1];
    return n == 1 && !v->konst && v->src == label_slot(c, t);
  }
  for (uint32_t i = c->sp - n; i < c->sp; i++)
    if (c->stk[i].konst || c->stk[i].src != c->stk[i].slot) return false;
  return nslots == 0 || c->slots - nslots == t->base;
}

static void emit_target_of(comp *c, ctl *t) {
  if (t->kind == CTL_LOOP) emit_target(c, t->loop_pc);
  else emit_forward(c, t);
}

static ctl *label(comp *c, uint32_t depth) {
  if (depth >= c->nctl) {
    wc_fail(c, WASM_INVALID, "unknown label");
    return NULL;
  }
  return &c->ctls[c->nctl - 1 - depth];
}

static void set_unreachable(comp *c) {
  ctl *t = &c->ctls[c->nctl - 1];
  t->unreachable = true;
  c->sp = t->height;
  c->slots = t->base;
}

/* Resets the operand stack to a frame's entry height and pushes kinds. */
static void reset_stack(comp *c, ctl *t, const uint8_t *kinds, uint32_t n) {
  c->sp = t->height;
  c->slots = t->base;
  for (uint32_t i = 0; i < n; i++) wc_push(c, kinds[i]);
}

/* The values at the end of t's body, falling through to its end (or
 * else): at their home slots, or its one result in its local. */
static void end_values(comp *c, ctl *t) {
  if (t->into_plus1 && c->sp > t->height)
    move_top(c, c->local_slot[t->into_plus1 - 1], t->result_slots);
  else
    materialize_all(c);
}

/* ---- instructions ---- */


/* i64.extend_i32_u costs nothing: every i32 in a slot (and in the
 * accumulator) is kept zero-extended to 64 bits, so the value is already
 * its own extension; the stack entry is only retyped. The fusions keyed
 * on the last instruction's type are dropped; the accumulator, the
 * retargetable dst and the add records stay (the bits are the same). */
static void compile_extend_u(comp *c) {
  cval v = wc_pop(c);
  wc_push(c, WASM_I64);
  if (c->st) return;
  cval *r = &c->stk[c->sp - 1];
  r->konst = v.konst;
  r->k = v.k;
  r->src = v.src;
  forget_typed_fusions(c);
}

static void compile_numeric(comp *c, const wasm_opinfo *oi, int op) {
  if (op == WASM_OP_I64_EXTEND_I32_U) {
    compile_extend_u(c);
    return;
  }
  const char *sig = oi->sig;
  const char *colon = strchr(sig, ':');
  uint32_t np = (uint32_t)(colon - sig);
  cval in[3];
  if (np > 3) {
    wc_fail(c, WASM_INVALID, "bad signature");
    return;
  }
  for (uint32_t i = np; i-- > 0;) in[i] = wc_pop(c);
  /* i32.eqz of the fresh result of a fusable op: a branch on the eqz may
   * drop both and jump on the op's result with the sense inverted. */
  bool neg = op == WASM_OP_I32_EQZ && !in[0].konst && in[0].src == in[0].slot &&
             c->fuse_start != SIZE_MAX && c->fuse_end == c->n &&
             c->barrier != c->n && c->fuse_dst == in[0].slot;
  size_t prev_start = c->fuse_start;
  int prev_op = c->fuse_op;
  bool prev_k = c->fuse_k, prev_neg = c->fuse_neg;
  int prev_acc = c->fuse_acc;
  chain_rec prev_ch = c->fuse_ch;
  uint32_t prev_np = c->fuse_np;
  uint64_t prev_a = c->fuse_a, prev_b = c->fuse_b;
  if (np == 2 && wc_compile_binld(c, op, in)) return;
  /* A constant second operand becomes an immediate when the op has one. */
  bool k = np == 2 && in[1].konst && c->h[XOPV(XV_K, op)];
  for (uint32_t i = 0; i < np; i++)
    if (!(k && i == 1)) wc_use(c, &in[i]);
  uint32_t dst = c->slots;
  size_t start = c->n;
  /* An operand the last instruction computed is read from the accumulator. */
  int acc = 0, xop = -1;
  if (np >= 1 && np <= 2 && wc_in_acc(c, &in[0]) && (xop = wc_variant(c, op, k ? XV_A1K : XV_A1)) >= 0)
    acc = 1;
  else if (np == 2 && !k && wc_in_acc(c, &in[1]) && (xop = wc_variant(c, op, XV_A2)) >= 0)
    acc = 2;
  if (acc && np == 2 && wc_compile_chain(c, op, in, acc, k)) return;
  int af = wc_add_form(op, k);
  if (!acc && af >= 0 && wc_compile_add2(c, op, af, dst, in, k)) return;
  /* A compare of op1's result: a branch on it may take both in. */
  chain_rec ch = {SIZE_MAX, 0, 0, 0, 0, 0};
  if (acc && np == 2 && wc_last_is(c, c->ch_start, c->ch_end))
    ch = (chain_rec){c->ch_start, c->ch_op, c->ch_form, c->ch_a, c->ch_b,
                     c->code[c->ch_start + 1].u};
  if (!acc) xop = k ? XOPV(XV_K, op) : op;
  wc_emit_op(c, xop);
  size_t dcell = wc_emit_u(c, dst);
  for (uint32_t i = 0; i < np; i++) wc_emit_u(c, k && i == 1 ? in[i].k : in[i].src);
  for (const char *p = colon + 1; *p; p++) wc_push(c, wc_sig_kind(*p));
  if (!colon[1]) return;
  wc_set_dst_candidate(c, dcell);
  if (strchr("iIfF", colon[1])) wc_set_acc(c, dst);
  if (!acc && af >= 0) {
    c->add_start = start;
    c->add_end = c->n;
    c->add_form = af;
    c->add_copy = false;
    c->add_a = in[0].src;
    c->add_b = wc_add_b(op, k, &in[1]);
  }
  /* A chain's op1 reads the accumulator as its first operand only. */
  if (np == 2 && (!acc || (!k && (acc == 1 || wc_commutative(op))))) {
    c->ch_start = start;
    c->ch_end = c->n;
    c->ch_op = op;
    c->ch_form = acc ? CH_ACC : k ? CH_K : CH_PLAIN;
    c->ch_a = in[0].src;
    c->ch_b = acc == 2 ? in[0].src : k ? in[1].k : in[1].src;
  }
  if (np == 2 && !k && c->h[XOPV(XV_ST, op)])
    c->last = (last_instr){LAST_BIN, start, c->n, op, dst, in[0].src, in[1].src, 0, 0, 0};
  if (np == 2 && wc_compare_pos(op) >= 0)
    c->cmp = (last_instr){LAST_BIN, start, c->n, op, dst, in[0].src, k ? in[1].k : in[1].src,
                          0, 0, k};
  if (colon[1] == 'i' && !colon[2] && np >= 1 && np <= 2) {
    c->fuse_start = start;
    c->fuse_end = c->n;
    c->fuse_op = op;
    c->fuse_k = k;
    c->fuse_np = np;
    c->fuse_dst = dst;
    c->fuse_a = in[0].src;
    c->fuse_b = np == 2 ? (k ? in[1].k : in[1].src) : 0;
    c->fuse_neg = false;
    c->fuse_acc = acc;
    c->fuse_ch = ch;
    if (neg) {
      c->fuse_acc = prev_acc;
      c->fuse_ch = prev_ch;
      c->fuse_start = prev_start;
      c->fuse_op = prev_op;
      c->fuse_k = prev_k;
      c->fuse_np = prev_np;
      c->fuse_a = prev_a;
      c->fuse_b = prev_b;
      c->fuse_neg = !prev_neg;
    }
  }
}

/* Emits a conditional jump on cond (taken when (cond != 0) == nz), fusing
 * the op that computed cond when it was just emitted; the caller appends
 * the target cell. */
static void emit_cond_jump(comp *c, cval cond, bool nz) {
  /* A branch on the value an i32 load just loaded, or on its i32.eqz (the
   * same with the sense inverted). */
  last_instr l = c->ldbr;
  bool fresh = !cond.konst && cond.src == cond.slot && c->fuse_start != SIZE_MAX &&
               c->fuse_end == c->n && c->barrier != c->n && c->fuse_dst == cond.slot;
  bool eqz = fresh && l.kind == LAST_LOAD && c->fuse_op == WASM_OP_I32_EQZ && !c->fuse_neg &&
             l.end == c->fuse_start && c->barrier != l.end && c->code[l.start + 1].u == c->fuse_a;
  if (!cond.konst && l.kind == LAST_LOAD && (eqz || wc_last_is(c, l.start, l.end)) &&
      (eqz || c->code[l.start + 1].u == cond.src) && c->h[XOP_LDBR_I32]) {
    uint64_t dst = c->code[l.start + 1].u;
    if (eqz) nz = !nz;
    wc_rewind(c, l.start);
    wc_emit_op(c, l.op == WASM_OP_I32_LOAD ? XOP_LDBR_I32 : XOP_LDBR_U8);
    wc_emit_u(c, dst);
    wc_emit_u(c, l.addr);
    wc_emit_u(c, l.off);
    wc_emit_u(c, l.k);
    wc_emit_u(c, nz);
    return;
  }
  if (fresh) {
    if (wc_emit_chain_jump(c, nz)) return;
    /* Jump when the op's result is nonzero; an integer compare that would
     * jump on zero is inverted (its handler does not read nz). */
    int fop = c->fuse_op, inv = wasm_code_compare_inverse(fop);
    bool snz = c->fuse_neg ? !nz : nz;
    if (!snz && inv >= 0) {
      fop = inv;
      snz = true;
    }
    if (snz && wc_emit_add_cmp_jump(c, fop, cond.slot)) return;
    int xop = XOPV(c->fuse_k ? XV_BRK : XV_BR, fop);
    if (c->h[xop]) {
      uint32_t np = c->fuse_np;
      uint64_t a = c->fuse_a, b = c->fuse_b;
      /* The op read an operand from the accumulator: the value is still
       * there for the jump that replaces it. */
      static const int accv[2][3] = {{0, XV_BRA1, XV_BRA2}, {0, XV_BRA1K, XV_COUNT}};
      int axop = wc_variant(c, fop, accv[c->fuse_k][c->fuse_acc]);
      if (axop >= 0) xop = axop;
      wc_rewind(c, c->fuse_start); /* drop the op: its result only fed this jump */
      wc_emit_op(c, xop);
      wc_emit_u(c, a);
      if (np == 2) wc_emit_u(c, b);
      wc_emit_u(c, snz);
      return;
    }
  }
  wc_use(c, &cond);
  if (wc_emit_add_jump(c, cond.src, nz)) return;
  wc_emit_op(c, nz ? XOP_BR_IF : XOP_BR_UNLESS);
  wc_emit_u(c, cond.src);
}

static void compile_lane(comp *c, const wasm_opinfo *oi, int op, uint8_t lane) {
  const char *sig = oi->sig;
  const char *colon = strchr(sig, ':');
  uint32_t np = (uint32_t)(colon - sig);
  cval in[2];
  memset(in, 0, sizeof in);
  if (np > 2) {
    wc_fail(c, WASM_INVALID, "bad signature");
    return;
  }
  for (uint32_t i = np; i-- > 0;) in[i] = wc_pop(c);
  for (uint32_t i = 0; i < np; i++) wc_use(c, &in[i]);
  uint32_t dst = c->slots;
  wc_emit_op(c, op);
  size_t dcell = wc_emit_u(c, dst);
  for (uint32_t i = 0; i < np; i++) wc_emit_u(c, in[i].src);
  wc_emit_u(c, lane);
  wc_push(c, wc_sig_kind(colon[1]));
  wc_set_dst_candidate(c, dcell);
}

/* Pops n (<= 3) operands into v, in push order, ready to be read. */
void wc_pop_use(comp *c, cval *v, uint32_t n) {
  for (uint32_t i = n; i-- > 0;) v[i] = wc_pop(c);
  for (uint32_t i = 0; i < n; i++) wc_use(c, &v[i]);
}

void wc_emit_srcs(comp *c, const cval *v, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) wc_emit_u(c, v[i].src);
}

static void compile_call(comp *c, const wasm_functype *ft, int op, uint64_t a,
                         uint64_t b) {
  cval idx;
  memset(&idx, 0, sizeof idx);
  if (op == XOP_CALL_INDIRECT) idx = wc_pop(c);
  wc_use(c, &idx);
  if (ft->nparams > c->sp) {
    wc_fail(c, WASM_INVALID, "operand stack underflow");
    return;
  }
  materialize_from(c, c->sp - ft->nparams);
  for (uint32_t i = 0; i < ft->nparams; i++) wc_pop(c);
  uint32_t argbase = c->slots;
  /* A copy just before (of an argument) runs as part of the call. */
  uint64_t cd = 0, cs = 0;
  if (op == XOP_CALL_LOCAL && c->copy_at != SIZE_MAX && c->copy_n == 1 &&
      wc_last_is(c, c->copy_at, c->copy_at + 2) && !c->st) {
    cd = PAIR_DST(c->code[c->copy_at + 1].u);
    cs = PAIR_SRC(c->code[c->copy_at + 1].u);
    wc_rewind(c, c->copy_at);
    c->eq_gen_end = 0; /* the copy stays, in the call */
    op = XOP_CALL_LOCAL1;
  }
  wc_emit_op(c, op);
  wc_emit_u(c, a);
  if (op == XOP_CALL_INDIRECT) wc_emit_u(c, b);
  wc_emit_u(c, argbase);
  if (op == XOP_CALL_INDIRECT) wc_emit_u(c, idx.src);
  if (op == XOP_CALL_LOCAL1) {
    wc_emit_u(c, cd);
    wc_emit_u(c, cs);
  }
  if (op == XOP_CALL_LOCAL || op == XOP_CALL_LOCAL1) { /* filled in by wasm_compile */
    size_t at = wc_emit_u(c, 0);
    wc_emit_u(c, 0);
    if (!c->st && !wc_grow((void **)&c->calls, &c->cap_calls, c->ncalls + 1, sizeof *c->calls))
      wc_fail(c, WASM_NOMEM, "out of memory");
    if (!c->st)
      c->calls[c->ncalls++] = (struct wc_call_site){c->cur_def,
                                                    (uint32_t)(a - c->m->nfunc_imports), at};
  }
  for (uint32_t i = 0; i < ft->nresults; i++) wc_push(c, ft->types[ft->nparams + i]);
  /* Host calls marshal results at argbase; room for the larger side. */
  uint32_t top = argbase + kinds_slots(ft->types, ft->nparams);
  if (top > c->max_slots) c->max_slots = top;
}

static void compile_local_set(comp *c, uint32_t x, bool tee) {
  if (x >= c->nlocals) {
    wc_fail(c, WASM_INVALID, "unknown local");
    return;
  }
  uint32_t ls = c->local_slot[x];
  uint32_t ns = wasm_kind_slots(c->local_kind[x]);
  if (c->lazy_plus1 == x + 1) c->lazy_plus1 = 0; /* x gets a value of its own */
  else if (c->lazy_plus1 && c->lazy_y == x) wc_lazy_flush(c); /* the value x reads goes */
  /* Checked before materialising, which emits and so ends the candidate. */
  cval v = wc_pop(c);
  if (wc_set_lazily(c, x, &v)) {
    if (tee) {
      wc_push(c, v.kind);
      if (!c->st) c->stk[c->sp - 1].src = ls;
    }
    return;
  }
  bool retarget = can_retarget(c, v.slot);
  bool aliased = materialize_local(c, ls);
  if (v.konst) {
    emit_const(c, ls, v.k);
  } else if (retarget && !aliased && v.src == v.slot) {
    /* The previous instruction computed this value: write the local directly. */
    wc_dst_set(c, c->last_dst, ls);
    wc_eq_wrote(c, ls, ns);
    c->tee_cell = c->last_dst;
    c->tee_end = c->n;
    c->tee_local = x;
    c->last_dst = SIZE_MAX;
    c->fuse_start = SIZE_MAX;
    c->last.kind = LAST_NONE;
    if (c->acc_end == c->n && c->acc_slot == v.slot) c->acc_slot = ls;
    v.src = ls;
  } else {
    wc_emit_copy(c, ls, v.src, ns);
  }
  if (tee) {
    wc_push(c, v.kind);
    if (c->st) return;
    cval *t = &c->stk[c->sp - 1];
    if (v.konst) {
      t->konst = true;
      t->k = v.k;
    } else {
      t->src = ls;
    }
  }
}

/* try_table: a jump over one landing pad per catch clause (a branch to the
 * clause's label, which the thrower fills with the payload), then the body
 * as a block whose cells the handler entry covers. */
static void compile_try_table(comp *c, const wasm_instr *in, const uint8_t *p, uint32_t np,
                              const uint8_t *r, uint32_t nr) {
  const wasm_module *m = c->m;
  materialize_all(c);
  wc_emit_op(c, XOP_BR);
  size_t skip = emit_target(c, 0);
  size_t first = c->ncatches;
  wc_eq before;
  wc_eq_save(c, &before);
  wc_eq_reset(c); /* a landing pad is reached by a throw */
  wasm_reader rd = {m->bytes, in->imm.try_table.catches, m->bytes + m->len};
  for (uint32_t i = 0; i < in->imm.try_table.count && !c->st; i++) {
    uint8_t kind = *rd.p++;
    uint32_t tag = UINT32_MAX, l = 0;
    if (kind < 2 && !wasm_read_u32(&rd, &tag)) {
      wc_fail(c, WASM_INVALID, "bad catch clause");
      return;
    }
    if (!wasm_read_u32(&rd, &l)) {
      wc_fail(c, WASM_INVALID, "bad catch clause");
      return;
    }
    ctl *lt = label(c, l);
    if (!lt) return;
    wasm_catch k = {kind < 2 ? tag : UINT32_MAX, (uint32_t)c->n, 0, kind == 1 || kind == 3};
    if (lt->kind == CTL_FUNC) {
      wc_emit_op(c, XOP_RETURN);
    } else {
      k.dst = lt->base;
      wc_emit_op(c, XOP_BR);
      emit_target_of(c, lt);
    }
    uint32_t top = k.dst + k.ref;
    if (kind < 2) {
      const wasm_functype *tt = &m->types[wasm_module_tag_type(m, tag)];
      top += kinds_slots(tt->types, tt->nparams);
    }
    if (top > c->max_slots) c->max_slots = top;
    if (!wc_grow((void **)&c->catches, &c->cap_catches, c->ncatches + 1, sizeof k)) {
      wc_fail(c, WASM_NOMEM, "out of memory");
      return;
    }
    c->catches[c->ncatches++] = k;
  }
  if (c->st) return;
  c->code[skip].u = c->n;
  c->barrier = c->n;
  wc_eq_set(c, &before);
  ctl *t = push_ctl(c, CTL_BLOCK, p, np, r, nr);
  if (!t) return;
  if (!wc_grow((void **)&c->tries, &c->cap_tries, c->ntries + 1, sizeof(wasm_try))) {
    wc_fail(c, WASM_NOMEM, "out of memory");
    return;
  }
  c->tries[c->ntries++] = (wasm_try){(uint32_t)c->n, 0, (uint32_t)first,
                                     (uint32_t)(c->ncatches - first)};
  t->try_plus1 = (uint32_t)c->ntries;
}

static void compile_instr(comp *c, const wasm_instr *in, bool *done) {
  int op = in->op;
  const wasm_opinfo *oi = &wasm_opinfo_table[op];
  if (c->lazy_plus1 && wc_control_op(op)) wc_lazy_flush(c);
  if (wc_memop_multi(oi, in)) { /* multi-memory: memory 0 keeps its fast path */
    wc_compile_memop_multi(c, oi, op, in);
    return;
  }
  const wasm_module *m = c->m;
  ctl *t;
  const uint8_t *p, *r;
  uint32_t np, nr;

  switch (op) {
  case WASM_OP_UNREACHABLE:
    wc_emit_op(c, XOP_UNREACHABLE);
    set_unreachable(c);
    break;
  case WASM_OP_NOP:
    break;
  case WASM_OP_BLOCK:
  case WASM_OP_LOOP:
    if (!blocktype(c, in->imm.block.type, &p, &np, &r, &nr)) return;
    materialize_all(c);
    t = push_ctl(c, op == WASM_OP_LOOP ? CTL_LOOP : CTL_BLOCK, p, np, r, nr);
    wc_result_into(c, t);
    if (t && op == WASM_OP_LOOP) {
      /* Back edges (any backward jump) check fuel and deadline. */
      t->loop_pc = c->n;
      c->barrier = c->n;
      wc_eq_reset(c); /* they bring what the body leaves */
    }
    break;
  case WASM_OP_TRY_TABLE:
    if (!blocktype(c, in->imm.block.type, &p, &np, &r, &nr)) return;
    c->nblk++; /* blocks are numbered as they start (wc_result_into) */
    compile_try_table(c, in, p, np, r, nr);
    break;
  case WASM_OP_THROW_REF: {
    cval v = wc_pop(c);
    wc_use(c, &v);
    wc_emit_op(c, XOP_THROW_REF);
    wc_emit_u(c, v.src);
    set_unreachable(c);
    break;
  }
  case WASM_OP_THROW: {
    if (in->imm.index >= wasm_module_total_tags(m)) {
      wc_fail(c, WASM_INVALID, "unknown tag");
      return;
    }
    const wasm_functype *tt = &m->types[wasm_module_tag_type(m, in->imm.index)];
    if (tt->nparams > c->sp) {
      wc_fail(c, WASM_INVALID, "operand stack underflow");
      return;
    }
    materialize_from(c, c->sp - tt->nparams);
    for (uint32_t i = 0; i < tt->nparams; i++) wc_pop(c);
    wc_emit_op(c, WASM_OP_THROW);
    wc_emit_u(c, in->imm.index);
    wc_emit_u(c, c->slots);
    wc_emit_u(c, kinds_slots(tt->types, tt->nparams));
    set_unreachable(c);
    break;
  }
  case WASM_OP_IF: {
    if (!blocktype(c, in->imm.block.type, &p, &np, &r, &nr)) return;
    cval cond = wc_pop(c);
    materialize_all(c);
    emit_cond_jump(c, cond, false);
    size_t at = emit_target(c, 0);
    t = push_ctl(c, CTL_IF, p, np, r, nr);
    wc_result_into(c, t);
    if (t) {
      t->else_patch = at + 1;
      wc_eq_if(c, t);
    }
    break;
  }
  case WASM_OP_ELSE:
    t = &c->ctls[c->nctl - 1];
    if (t->kind != CTL_IF) {
      wc_fail(c, WASM_INVALID, "else without if");
      return;
    }
    if (!t->unreachable) {
      end_values(c, t);
      wc_emit_op(c, XOP_BR);
      emit_forward(c, t);
    }
    if (t->else_patch) c->code[t->else_patch - 1].u = c->n;
    t->else_patch = 0;
    c->barrier = c->n;
    wc_eq_else(c, t);
    t->has_else = true;
    t->unreachable = false;
    reset_stack(c, t, t->params, t->nparams);
    break;
  case WASM_OP_END:
    t = &c->ctls[c->nctl - 1];
    if (t->kind == CTL_FUNC) {
      if (!t->unreachable) emit_branch(c, t);
      *done = true;
      return;
    }
    if (!t->unreachable) end_values(c, t);
    if (t->try_plus1) c->tries[t->try_plus1 - 1].end = (uint32_t)c->n;
    if (t->else_patch) c->code[t->else_patch - 1].u = c->n;
    resolve_chain(c, t->patches, c->n);
    c->barrier = c->n;
    wc_eq_end(c, t);
    {
      ctl saved = *t;
      c->nctl--;
      reset_stack(c, &saved, saved.results, saved.nresults);
      if (saved.into_plus1 && c->sp && !c->st)
        c->stk[c->sp - 1].src = c->local_slot[saved.into_plus1 - 1]; /* end_values left it there */
    }
    break;
  case WASM_OP_BR:
    t = label(c, in->imm.index);
    if (!t) return;
    emit_branch(c, t);
    set_unreachable(c);
    break;
  case WASM_OP_BR_IF: {
    t = label(c, in->imm.index);
    if (!t) return;
    cval cond = wc_pop(c);
    if (branch_in_place(c, t)) {
      emit_cond_jump(c, cond, true);
      emit_target_of(c, t);
    } else {
      emit_cond_jump(c, cond, false);
      size_t skip = emit_target(c, 0);
      wc_eq fall;
      wc_eq_save(c, &fall);
      /* Copies go to the label only: the fallthrough keeps the aliases. */
      cval *save = NULL;
      uint32_t n = t->kind == CTL_LOOP ? t->nparams : t->nresults;
      if (n > c->sp) n = c->sp;
      if (n) {
        save = malloc(n * sizeof *save);
        if (!save) {
          wc_fail(c, WASM_NOMEM, "out of memory");
          return;
        }
        memcpy(save, c->stk + c->sp - n, n * sizeof *save);
      }
      emit_branch(c, t);
      if (n) {
        memcpy(c->stk + c->sp - n, save, n * sizeof *save);
        free(save);
      }
      if (!c->st) c->code[skip].u = c->n;
      c->barrier = c->n;
      wc_eq_set(c, &fall);
    }
    break;
  }
  case WASM_OP_BR_TABLE: {
    cval idx = wc_pop(c);
    wc_use(c, &idx);
    wasm_reader lr = {m->bytes, in->imm.br_table.labels, m->bytes + m->len};
    uint32_t count = in->imm.br_table.count;
    if (count > m->len) {
      wc_fail(c, WASM_INVALID, "bad br_table");
      return;
    }
    materialize_all(c);
    wc_emit_op(c, XOP_BR_TABLE);
    wc_emit_u(c, idx.src);
    wc_emit_u(c, count);
    size_t first = c->n;
    wc_eq at_table;
    wc_eq_save(c, &at_table);
    uint32_t *depths = malloc(((size_t)count + 1) * sizeof *depths);
    if (!depths) {
      wc_fail(c, WASM_NOMEM, "out of memory");
      return;
    }
    for (uint32_t i = 0; i <= count; i++) {
      if (!wasm_read_u32(&lr, &depths[i])) {
        free(depths);
        wc_fail(c, WASM_INVALID, "bad br_table");
        return;
      }
      t = label(c, depths[i]);
      if (!t) break;
      if (branch_in_place(c, t)) emit_target_of(c, t);
      else emit_target(c, 0); /* to a stub, filled below */
    }
    /* Stubs: copy the values to the label's slots, then jump. */
    for (uint32_t i = 0; i <= count && !c->st; i++) {
      t = label(c, depths[i]);
      if (!t || branch_in_place(c, t)) continue;
      c->code[first + i].u = c->n;
      wc_eq_set(c, &at_table); /* a stub is reached from the table only */
      emit_branch(c, t);
    }
    free(depths);
    set_unreachable(c);
    break;
  }
  case WASM_OP_RETURN:
    emit_branch(c, &c->ctls[0]);
    set_unreachable(c);
    break;
  case WASM_OP_CALL: {
    if (in->imm.index >= wasm_module_total_funcs(m)) {
      wc_fail(c, WASM_INVALID, "unknown function");
      return;
    }
    const wasm_functype *ft = wasm_module_func_type(m, in->imm.index);
    if (!ft) {
      wc_fail(c, WASM_INVALID, "unknown function");
      return;
    }
    /* A defined function runs in this instance and is compiled: the
     * interpreter checks less. */
    compile_call(c, ft, in->imm.index >= m->nfunc_imports ? XOP_CALL_LOCAL : XOP_CALL,
                 in->imm.index, 0);
    break;
  }
  case WASM_OP_CALL_INDIRECT:
    if (in->imm.call_indirect.type >= m->ntypes) {
      wc_fail(c, WASM_INVALID, "unknown type");
      return;
    }
    compile_call(c, &m->types[in->imm.call_indirect.type], XOP_CALL_INDIRECT,
                 in->imm.call_indirect.type, in->imm.call_indirect.table);
    break;
  case WASM_OP_DROP:
    wc_pop(c);
    break;
  case WASM_OP_SELECT:
  case WASM_OP_SELECT_T: {
    cval v[3];
    for (int i = 3; i-- > 0;) v[i] = wc_pop(c);
    cval a = v[0], b = v[1], cond = v[2];
    /* A constant operand (min(x, 16) and the like) is an immediate. */
    bool one = wasm_kind_slots(a.kind) == 1;
    bool ka = one && a.konst, kb = one && b.konst;
    if (!ka) wc_use(c, &a);
    if (!kb) wc_use(c, &b);
    wc_use(c, &cond);
    static const int sel[2][2] = {{XOP_SELECT, XOP_SELECTK}, {XOP_SELECTKA, XOP_SELECTKK}};
    wc_emit_op(c, one ? sel[ka][kb] : XOP_SELECT2);
    size_t dcell = wc_emit_u(c, a.slot);
    wc_emit_u(c, ka ? a.k : a.src);
    wc_emit_u(c, kb ? b.k : b.src);
    wc_emit_u(c, cond.src);
    wc_push(c, a.kind);
    wc_set_dst_candidate(c, dcell);
    break;
  }
  case WASM_OP_LOCAL_GET: {
    uint32_t x = in->imm.index;
    if (x >= c->nlocals) {
      wc_fail(c, WASM_INVALID, "unknown local");
      return;
    }
    wc_push(c, c->local_kind[x]);
    if (!c->st) c->stk[c->sp - 1].src = c->local_slot[c->lazy_plus1 == x + 1 ? c->lazy_y : x];
    break;
  }
  case WASM_OP_LOCAL_SET:
  case WASM_OP_LOCAL_TEE:
    compile_local_set(c, in->imm.index, op == WASM_OP_LOCAL_TEE);
    return; /* keeps last_dst bookkeeping itself */
  case WASM_OP_GLOBAL_GET: {
    if (in->imm.index >= wasm_module_total_globals(m)) {
      wc_fail(c, WASM_INVALID, "unknown global");
      return;
    }
    wasm_globaltype gt = wasm_module_global_type(m, in->imm.index);
    size_t start = c->n;
    wc_emit_op(c, wasm_kind_slots(gt.kind) == 2 ? XOP_GLOBAL_GET2 : XOP_GLOBAL_GET);
    size_t dcell = wc_emit_u(c, c->slots);
    wc_emit_u(c, in->imm.index);
    wc_push(c, gt.kind);
    wc_set_dst_candidate(c, dcell);
    c->gg_start = start;
    c->gg_end = c->n;
    c->gg_index = in->imm.index;
    break;
  }
  case WASM_OP_GLOBAL_SET: {
    cval v = wc_pop(c);
    if (wc_compile_global_addk(c, &v, in->imm.index)) break;
    wc_use(c, &v);
    wc_emit_op(c, wasm_kind_slots(v.kind) == 2 ? XOP_GLOBAL_SET2 : XOP_GLOBAL_SET);
    wc_emit_u(c, in->imm.index);
    wc_emit_u(c, v.src);
    break;
  }
  case WASM_OP_TABLE_GET: {
    cval i = wc_pop(c);
    wc_use(c, &i);
    wc_emit_op(c, op);
    wc_emit_u(c, c->slots);
    wc_emit_u(c, i.src);
    wc_emit_u(c, in->imm.index);
    wc_push(c, wasm_module_table_type(m, in->imm.index).elem);
    break;
  }
  case WASM_OP_TABLE_SET: {
    cval v[2];
    wc_pop_use(c, v, 2);
    wc_emit_op(c, op);
    wc_emit_u(c, in->imm.index);
    wc_emit_srcs(c, v, 2);
    break;
  }
  case WASM_OP_TABLE_SIZE:
    wc_emit_op(c, op);
    wc_emit_u(c, c->slots);
    wc_emit_u(c, in->imm.index);
    wc_push(c, WASM_I32);
    break;
  case WASM_OP_TABLE_GROW: {
    cval v[2];
    wc_pop_use(c, v, 2);
    cval init = v[0], n = v[1];
    wc_emit_op(c, op);
    wc_emit_u(c, init.slot);
    wc_emit_u(c, init.src);
    wc_emit_u(c, n.src);
    wc_emit_u(c, in->imm.index);
    wc_push(c, WASM_I32);
    break;
  }
  case WASM_OP_TABLE_FILL: {
    cval v[3];
    wc_pop_use(c, v, 3);
    wc_emit_op(c, op);
    wc_emit_u(c, in->imm.index);
    wc_emit_srcs(c, v, 3);
    break;
  }
  case WASM_OP_TABLE_COPY:
  case WASM_OP_TABLE_INIT:
  case WASM_OP_MEMORY_INIT: {
    cval v[3];
    wc_pop_use(c, v, 3);
    wc_emit_op(c, op);
    wc_emit_u(c, in->imm.pair.a);
    wc_emit_u(c, in->imm.pair.b);
    wc_emit_srcs(c, v, 3);
    break;
  }
  case WASM_OP_MEMORY_COPY:
  case WASM_OP_MEMORY_FILL: {
    cval v[3];
    wc_pop_use(c, v, 3);
    wc_emit_op(c, op);
    wc_emit_srcs(c, v, 3);
    break;
  }
  case WASM_OP_ELEM_DROP:
  case WASM_OP_DATA_DROP:
    wc_emit_op(c, op);
    wc_emit_u(c, in->imm.index);
    break;
  case WASM_OP_MEMORY_SIZE:
    wc_emit_op(c, op);
    wc_emit_u(c, c->slots);
    wc_push(c, WASM_I32);
    break;
  case WASM_OP_MEMORY_GROW: {
    cval d = wc_pop(c);
    wc_use(c, &d);
    wc_emit_op(c, op);
    wc_emit_u(c, d.slot);
    wc_emit_u(c, d.src);
    wc_push(c, WASM_I32);
    break;
  }
  case WASM_OP_I32_CONST:
  case WASM_OP_I64_CONST:
  case WASM_OP_F32_CONST:
  case WASM_OP_F64_CONST:
  case WASM_OP_REF_NULL: {
    uint64_t v = 0;
    uint8_t kind = WASM_I32;
    switch (op) {
    case WASM_OP_I32_CONST: v = (uint32_t)in->imm.i32; kind = WASM_I32; break;
    case WASM_OP_I64_CONST: v = (uint64_t)in->imm.i64; kind = WASM_I64; break;
    case WASM_OP_F32_CONST: v = in->imm.f32; kind = WASM_F32; break;
    case WASM_OP_F64_CONST: v = in->imm.f64; kind = WASM_F64; break;
    default: v = 0; kind = in->imm.reftype; break;
    }
    wc_push(c, kind); /* emitted when used, often as an immediate */
    if (!c->st) {
      c->stk[c->sp - 1].konst = true;
      c->stk[c->sp - 1].k = v;
    }
    break;
  }
  case WASM_OP_V128_CONST: {
    uint64_t lo, hi;
    memcpy(&lo, in->imm.v128, 8);
    memcpy(&hi, in->imm.v128 + 8, 8);
    wc_emit_op(c, XOP_CONST2);
    size_t dcell = wc_emit_u(c, c->slots);
    wc_emit_u(c, lo);
    wc_emit_u(c, hi);
    wc_push(c, WASM_V128);
    wc_set_dst_candidate(c, dcell);
    break;
  }
  case WASM_OP_I8X16_SHUFFLE: {
    cval v2[2];
    wc_pop_use(c, v2, 2);
    cval a = v2[0], b = v2[1];
    uint64_t lo, hi;
    memcpy(&lo, in->imm.v128, 8);
    memcpy(&hi, in->imm.v128 + 8, 8);
    wc_emit_op(c, op);
    size_t dcell = wc_emit_u(c, a.slot);
    wc_emit_u(c, a.src);
    wc_emit_u(c, b.src);
    wc_emit_u(c, lo);
    wc_emit_u(c, hi);
    wc_push(c, WASM_V128);
    wc_set_dst_candidate(c, dcell);
    break;
  }
  case WASM_OP_REF_IS_NULL: {
    cval v = wc_pop(c);
    wc_use(c, &v);
    wc_emit_op(c, XOP_REF_IS_NULL);
    size_t dcell = wc_emit_u(c, v.slot);
    wc_emit_u(c, v.src);
    wc_push(c, WASM_I32);
    wc_set_dst_candidate(c, dcell);
    break;
  }
  case WASM_OP_REF_FUNC:
    wc_emit_op(c, XOP_REF_FUNC);
    wc_emit_u(c, c->slots);
    wc_emit_u(c, in->imm.index);
    wc_push(c, WASM_FUNCREF);
    break;
  default:
    if (oi->imm == WASM_IMM_MEMARG || oi->imm == WASM_IMM_MEMARG_LANE) {
      wc_compile_mem(c, oi, op, in);
    } else if (oi->imm == WASM_IMM_LANE) {
      compile_lane(c, oi, op, in->imm.lane);
    } else if (oi->imm == WASM_IMM_NONE && oi->sig) {
      compile_numeric(c, oi, op);
      return; /* set_dst_candidate already done */
    } else {
      wc_fail(c, WASM_INVALID, "unsupported instruction");
    }
    break;
  }
}

static wasm_status compile_func(comp *c, wasm_funcdef *def) {
  const wasm_module *m = c->m;
  if (def->type >= m->ntypes)
    return wc_fail(c, WASM_INVALID, "bad function type"), c->st;
  const wasm_functype *ft = &m->types[def->type];
  uint64_t nl = (uint64_t)ft->nparams + def->nlocals;
  if (nl > 2u * WASM_MAX_LOCALS + WASM_MAX_PARAMS)
    return wc_fail(c, WASM_INVALID, "too many locals"), c->st;
  c->nlocals = (uint32_t)nl;
  c->local_kind = malloc(nl ? nl : 1);
  c->local_slot = malloc((nl ? nl : 1) * sizeof(uint32_t));
  if (!c->local_kind || !c->local_slot) return wc_fail(c, WASM_NOMEM, "out of memory"), c->st;
  uint32_t s = 0;
  for (uint32_t i = 0; i < nl; i++) {
    uint8_t k = i < ft->nparams ? ft->types[i] : def->local_types[i - ft->nparams];
    c->local_kind[i] = k;
    c->local_slot[i] = s;
    s += wasm_kind_slots(k);
  }
  uint32_t param_slots = kinds_slots(ft->types, ft->nparams);
  c->slots = c->max_slots = c->first_temp = s;
  c->sp = 0;
  c->nctl = 0;
  c->n = 0;
  c->nrelocs = 0;
  c->ntries = 0;
  c->ncatches = 0;
  c->nstarts = 0;
  forget_fusions(c);
  c->last_dst = SIZE_MAX;
  c->copy_at = c->const_at = SIZE_MAX;
  c->acc_end = SIZE_MAX;
  c->barrier = SIZE_MAX;
  wc_eq_func_start(c);
  ctl *t = push_ctl(c, CTL_FUNC, NULL, 0, ft->types + ft->nparams, ft->nresults);
  if (!t) return c->st;

  wasm_reader r = {m->bytes, def->body, def->body + def->body_len};
  bool done = false;
  uint32_t skip = 0; /* nesting depth inside unreachable code */
  while (!done && c->st == WASM_OK) {
    if (r.p >= r.end) return wc_fail(c, WASM_INVALID, "missing end"), c->st;
    wasm_instr in;
    wasm_status st = wasm_read_instr(&r, &in, c->err);
    if (st != WASM_OK) {
      c->st = st;
      return st;
    }
    if (c->nctl == 0) return wc_fail(c, WASM_INVALID, "code after end"), c->st;
    if (c->ctls[c->nctl - 1].unreachable) {
      /* Dead code: track nesting only, until this frame's else/end. */
      if (in.op == WASM_OP_BLOCK || in.op == WASM_OP_LOOP || in.op == WASM_OP_IF ||
          in.op == WASM_OP_TRY_TABLE) {
        skip++;
        c->nblk++; /* numbered as wc_result_into numbers them */
        continue;
      }
      if (skip) {
        if (in.op == WASM_OP_END) skip--;
        continue;
      }
      if (in.op != WASM_OP_END && in.op != WASM_OP_ELSE) continue;
    }
    c->rd = &r;
    compile_instr(c, &in, &done);
    c->rd = NULL;
  }
  if (c->st) return c->st;
  wc_drop_dead_writes(c, s);
  wc_fuse_overlays(c, s);
  if (c->dump) dump_code(c, (uint32_t)(def - m->funcs));

  wasm_code *code = calloc(1, sizeof *code);
  if (!code) return wc_fail(c, WASM_NOMEM, "out of memory"), c->st;
  code->cells = malloc((c->n ? c->n : 1) * sizeof(wasm_cell));
  if (!code->cells) {
    free(code);
    return wc_fail(c, WASM_NOMEM, "out of memory"), c->st;
  }
  memcpy(code->cells, c->code, c->n * sizeof(wasm_cell));
  code->ncells = c->n;
  for (size_t i = 0; i < c->nrelocs; i++) {
    size_t at = c->relocs[i];
    size_t idx = (size_t)code->cells[at].u;
    if (idx > c->n) {
      free(code->cells);
      free(code);
      return wc_fail(c, WASM_INVALID, "bad branch target"), c->st;
    }
    code->cells[at].target = code->cells + idx;
  }
  code->nparam_slots = param_slots;
  code->nlocal_slots = s - param_slots;
  code->nresult_slots = kinds_slots(ft->types + ft->nparams, ft->nresults);
  code->max_slots = c->max_slots > code->nresult_slots ? c->max_slots : code->nresult_slots;
  if (c->ntries) {
    code->tries = malloc(c->ntries * sizeof *code->tries);
    code->catches = malloc((c->ncatches ? c->ncatches : 1) * sizeof *code->catches);
    if (!code->tries || !code->catches) {
      wasm_compile_free(code);
      return wc_fail(c, WASM_NOMEM, "out of memory"), c->st;
    }
    memcpy(code->tries, c->tries, c->ntries * sizeof *code->tries);
    memcpy(code->catches, c->catches, c->ncatches * sizeof *code->catches);
    code->ntries = (uint32_t)c->ntries;
  }
  def->code = code;
  return WASM_OK;
}

wasm_status wasm_compile(wasm_module *m, wasm_error *err) {
  comp c;
  memset(&c, 0, sizeof c);
  c.m = m;
  c.err = err;
  c.h = wasm_exec_handlers();
  c.dump = getenv("STRATUS_DUMP_CODE") != NULL;
  c.eq_lab = malloc(2 * WC_EQ_DEPTH * sizeof *c.eq_lab);
  if (!c.eq_lab) return wasm_fail(err, WASM_NOMEM, "compile: out of memory");
  wc_eq_init(&c);
  for (uint32_t i = 0; i < m->nfuncs && c.st == WASM_OK; i++) {
    c.cur_def = i;
    compile_func(&c, &m->funcs[i]);
    free(c.local_kind);
    free(c.local_slot);
    c.local_kind = NULL;
    c.local_slot = NULL;
  }
  for (size_t i = 0; i < c.ncalls && c.st == WASM_OK; i++) {
    const struct wc_call_site *s = &c.calls[i];
    wasm_code *from = m->funcs[s->caller].code, *to = m->funcs[s->callee].code;
    assert(s->cell + 1 < from->ncells && from->cells[s->cell].u == 0);
    from->cells[s->cell].target = to->cells;
    from->cells[s->cell + 1].ptr = to;
  }
  free(c.calls);
  free(c.code);
  free(c.relocs);
  free(c.stk);
  free(c.ctls);
  free(c.starts);
  free(c.ops);
  free(c.tries);
  free(c.catches);
  free(c.into);
  free(c.eq_lab);
  if (c.st != WASM_OK) {
    for (uint32_t i = 0; i < m->nfuncs; i++) {
      wasm_compile_free(m->funcs[i].code);
      m->funcs[i].code = NULL;
    }
  }
  return c.st;
}

void wasm_compile_free(void *p) {
  wasm_code *code = p;
  if (!code) return;
  free(code->cells);
  free(code->tries);
  free(code->catches);
  free(code);
}
