/*
 * wasm_compile_eq.c: leaving out copies (part of the pass in
 * wasm_compile.c). Three ways:
 *
 * Slot equalities. Where the compiler is emitting, it knows which frame
 * slots hold the same value, so a copy between two of them is left out
 * (wc_emit_copy asks wc_eq_same). The facts are classes of slots holding
 * one value (wc_eq). A copy puts its destination in its source's class;
 * any other write takes the slot out of its class. Writes are read back
 * from the instructions as they were finally emitted (decoded one
 * instruction late, or at wc_eq_flush), so the pass's fusions and
 * rewrites are seen as the code they became: an instruction this file
 * does not know is taken to write every slot (and the one after, a v128's
 * second half) its cells name; a call writes every slot from its argbase
 * up. A fusion that drops an instruction after its copies were counted
 * makes everything unknown (wc_eq_emit), unless it keeps the copies (the
 * call and return forms say so). At a label only what holds on every edge
 * into it is kept: each forward branch to a block's end meets its facts
 * into the label's (wc_eq_branch), the end meets those with the
 * fallthrough's and an if's false edge (wc_eq_end); a loop's start and a
 * catch landing know nothing (back edges, throws).
 *
 * Block results into locals. A block whose one result is set to a local
 * right after its end has every branch and its fallthrough leave the
 * value in that local (wc_result_into reads ahead to the end), and the
 * set is none.
 *
 * A local standing in for another. local.tee x; local.set y (the value
 * computed by the instruction just before) has that instruction write y,
 * and reads of x read y, when x is set again before any control flow
 * (wc_set_soon); anything else in between gives x its copy first.
 */
#include <stdlib.h>
#include <string.h>

#include "wasm_compile.h"

static int eq_find(const wc_eq *f, uint64_t slot) {
  for (uint32_t i = 0; i < f->n; i++)
    if (f->e[i].slot == slot) return (int)i;
  return -1;
}

/* Takes the slots in [lo, hi) out of their classes. */
static void eq_kill(wc_eq *f, uint64_t lo, uint64_t hi) {
  uint32_t k = 0;
  for (uint32_t i = 0; i < f->n; i++)
    if (f->e[i].slot < lo || f->e[i].slot >= hi) f->e[k++] = f->e[i];
  f->n = k;
}

/* Drops the members alone in their class: they say nothing. */
static void eq_prune(wc_eq *f) {
  uint32_t k = 0;
  for (uint32_t i = 0; i < f->n; i++) {
    bool shared = false;
    for (uint32_t j = 0; j < f->n && !shared; j++)
      shared = j != i && f->e[j].cls == f->e[i].cls;
    if (shared) f->e[k++] = f->e[i];
  }
  f->n = k;
}

/* dst = src, one slot. */
static void eq_copy1(comp *c, uint64_t dst, uint64_t src) {
  wc_eq *f = &c->eq;
  if (dst == src) return;
  eq_kill(f, dst, dst + 1);
  if (dst > UINT32_MAX || src > UINT32_MAX) return;
  if (f->n + 2 > WC_EQ_MAX) eq_prune(f);
  if (f->n + 2 > WC_EQ_MAX) { /* forget the oldest facts */
    memmove(f->e, f->e + 2, (f->n - 2) * sizeof f->e[0]);
    f->n -= 2;
  }
  int i = eq_find(f, src);
  uint32_t cls;
  if (i >= 0) {
    cls = f->e[i].cls;
  } else {
    cls = c->eq_next++;
    f->e[f->n++] = (wc_eq_ent){(uint32_t)src, cls};
  }
  f->e[f->n++] = (wc_eq_ent){(uint32_t)dst, cls};
  c->eq_gen_end = c->n;
}

/* dst..dst+n-1 = src..src+n-1 as one move. */
static void eq_copy(comp *c, uint64_t dst, uint64_t src, uint64_t n) {
  if (dst < src + n && src < dst + n) { /* overlapping: just written */
    eq_kill(&c->eq, dst, dst + n);
    return;
  }
  for (uint64_t i = 0; i < n && i < WC_EQ_MAX; i++) eq_copy1(c, dst + i, src + i);
  if (n > WC_EQ_MAX) eq_kill(&c->eq, dst + WC_EQ_MAX, dst + n);
}

/* What wasm instructions write (wasm_compile starts with this): EQ_RES1
 * or EQ_RES2 slots at their first operand cell, nothing, or unknown. */
enum { EQ_RES0, EQ_RES1, EQ_RES2, EQ_RES_ANY };
void wc_eq_init(comp *c) {
  for (int op = 0; op < WASM_OP_COUNT; op++) {
    const char *sig = wasm_opinfo_table[op].sig;
    const char *colon = sig ? strchr(sig, ':') : NULL;
    c->eq_res[op] = !colon ? EQ_RES_ANY : !colon[1] ? EQ_RES0 : colon[1] == 'v' ? EQ_RES2 : EQ_RES1;
  }
}

/* A function's code starts: nothing known, no block scanned, no local
 * standing in for another. */
void wc_eq_func_start(comp *c) {
  c->eq.n = 0;
  c->eq_next = 0;
  c->eq_pend = SIZE_MAX;
  c->eq_gen_end = 0;
  c->nblk = c->nblk_scanned = 0;
  c->lazy_plus1 = 0;
  c->tee_end = SIZE_MAX;
}

/* The result of a wasm instruction (or a variant of it that writes it) at
 * cell a[0]; unknown ones write whatever their cells name. */
static void eq_result(comp *c, int op, const wasm_cell *a, size_t na) {
  wc_eq *f = &c->eq;
  switch (c->eq_res[op]) {
  case EQ_RES0:
    return;
  case EQ_RES1: case EQ_RES2:
    if (na) eq_kill(f, a[0].u, a[0].u + c->eq_res[op]);
    else f->n = 0;
    return;
  default:
    for (size_t i = 0; i < na; i++) eq_kill(f, a[i].u, a[i].u + 2);
  }
}

/* Whether op copies (and so may add facts). */
static bool eq_copies(int op) {
  return (op >= XOP_COPY1 && op <= XOP_COPYN) || wasm_code_copies(op) || op == XOP_CALL_LOCAL1;
}

/* The write of an add (ADD_FORM_* form, d|a pair, b) in XOP_ADD2 or
 * XOP_ADDBR: a 64-bit add of 0 is a copy. */
static void eq_add(comp *c, int form, uint64_t pair, uint64_t b) {
  if (form == ADD_FORM_I64K && b == 0)
    eq_copy1(c, PAIR_DST(pair), PAIR_SRC(pair));
  else
    eq_kill(&c->eq, PAIR_DST(pair), PAIR_DST(pair) + (uint64_t)1);
}

/* Applies the writes of one emitted instruction: op, its na operand cells. */
static void eq_writes(comp *c, int op, const wasm_cell *a, size_t na) {
  wc_eq *f = &c->eq;
  if (!f->n && !eq_copies(op)) return; /* nothing known to forget */
  if (op < WASM_OP_COUNT) {
    if (op != WASM_OP_THROW) eq_result(c, op, a, na);
    return;
  }
  if (op >= XOP_CHAIN_BR) { /* [a, b, c, t, nz, target]: t */
    if (na > 3) eq_kill(f, a[3].u, a[3].u + 1);
    else f->n = 0;
    return;
  }
  if (op >= XOP_CHAIN_I32) { /* [dst, a, b, c, t] */
    if (na > 4) {
      eq_kill(f, a[0].u, a[0].u + 1);
      eq_kill(f, a[4].u, a[4].u + 1);
    } else {
      f->n = 0;
    }
    return;
  }
  if (op >= XOP_COUNT) {
    int base, v = wasm_code_variant(op, &base);
    switch (v) {
    case XV_BR: case XV_BRK: case XV_BRA1: case XV_BRA1K: case XV_BRA2:
    case XV_STI: case XV_ST: case XV_RMW:
      return; /* no result written */
    default:
      eq_result(c, base, a, na);
      return;
    }
  }
  int ncopies = wasm_code_copies(op);
  if (ncopies) {
    if (na < (size_t)ncopies) {
      f->n = 0;
      return;
    }
    for (int i = 0; i < ncopies; i++) eq_copy1(c, PAIR_DST(a[i].u), PAIR_SRC(a[i].u));
    return;
  }
  switch (op) {
  case XOP_UNREACHABLE: case XOP_BR: case XOP_BR_IF: case XOP_BR_UNLESS: case XOP_BR_TABLE:
  case XOP_RETURN: case XOP_RETURN1: case XOP_RETURNK: case XOP_GLOBAL_SET: case XOP_GLOBAL_SET2:
  case XOP_THROW_REF:
    return;
  case XOP_COPY2:
    if (na < 2) break;
    eq_copy(c, a[0].u, a[1].u, 2);
    return;
  case XOP_COPYN:
    if (na < 3) break;
    eq_copy(c, a[0].u, a[1].u, a[2].u);
    return;
  case XOP_CONST: case XOP_SELECT: case XOP_SELECTK: case XOP_SELECTKA: case XOP_SELECTKK:
  case XOP_GLOBAL_GET: case XOP_REF_IS_NULL:
  case XOP_REF_FUNC: case XOP_GSETK: case XOP_LDBR_I32: case XOP_LDBR_U8:
  case XOP_MOVE32: case XOP_MOVE64: case XOP_MOVE8:
  case XOP_MOVE32K: case XOP_MOVE64K: case XOP_MOVE8K:
    if (na < 1) break;
    eq_kill(f, a[0].u, a[0].u + 1);
    return;
  case XOP_CONST2: case XOP_SELECT2: case XOP_GLOBAL_GET2:
    if (na < 1) break;
    eq_kill(f, a[0].u, a[0].u + 2);
    return;
  case XOP_CONSTX2: /* [d1, k1, d2, k2] */
    if (na < 3) break;
    eq_kill(f, a[0].u, a[0].u + 1);
    eq_kill(f, a[2].u, a[2].u + 1);
    return;
  case XOP_GADD: /* [dst, K, g, old] */
    if (na < 4) break;
    eq_kill(f, a[0].u, a[0].u + 1);
    eq_kill(f, a[3].u, a[3].u + 1);
    return;
  case XOP_CALL: case XOP_CALL_LOCAL: /* [func, argbase] */
    if (na < 2) break;
    eq_kill(f, a[1].u, UINT64_MAX);
    return;
  case XOP_CALL_LOCAL1: /* [func, argbase, dst, src] */
    if (na < 4) break;
    eq_copy1(c, a[2].u, a[3].u);
    eq_kill(f, a[1].u, UINT64_MAX);
    return;
  case XOP_CALL_INDIRECT: /* [type, table, argbase, index] */
    if (na < 3) break;
    eq_kill(f, a[2].u, UINT64_MAX);
    return;
  default:
    if (op >= XOP_ADD3 && op <= XOP_ADD3_LAST) { /* [d1|a1, b1, d2|a2, b2, d3|a3, b3] */
      if (na < 6) break;
      eq_add(c, (op - XOP_ADD3) / 16, a[0].u, a[1].u);
      eq_add(c, (op - XOP_ADD3) / 4 % 4, a[2].u, a[3].u);
      eq_add(c, (op - XOP_ADD3) % 4, a[4].u, a[5].u);
      return;
    }
    if (op >= XOP_ADD2 && op <= XOP_ADD2_LAST) { /* [d1|a1, b1, d2|a2, b2] */
      if (na < 4) break;
      eq_add(c, (op - XOP_ADD2) / 4, a[0].u, a[1].u);
      eq_add(c, (op - XOP_ADD2) % 4, a[2].u, a[3].u);
      return;
    }
    if (op >= XOP_CMPADDBR && op <= XOP_CMPADDBR_LAST) { /* [t, a, b, d|x, K, nz] */
      if (na < 4) break;
      eq_kill(f, a[0].u, a[0].u + 1);
      eq_kill(f, PAIR_DST(a[3].u), PAIR_DST(a[3].u) + (uint64_t)1);
      return;
    }
    if (op >= XOP_ADDBR && op <= XOP_ADDBR_LAST) { /* [d|a, b, cond, nz] */
      if (na < 2) break;
      eq_add(c, op - XOP_ADDBR, a[0].u, a[1].u);
      return;
    }
    for (size_t i = 0; i < na; i++) eq_kill(f, a[i].u, a[i].u + 2);
    return;
  }
  f->n = 0; /* fewer cells than the instruction has: nothing known */
}

/* Called by wc_emit_op before it emits op at c->n: the instruction before
 * is complete, its writes are applied. */
void wc_eq_emit(comp *c, int op) {
  if (c->n < c->eq_gen_end) { /* a counted copy was dropped */
    c->eq.n = 0;
    c->eq_gen_end = 0;
  }
  wc_eq_flush(c);
  c->eq_pend = c->n;
  c->eq_pend_op = op;
}

void wc_eq_flush(comp *c) {
  size_t s = c->eq_pend;
  c->eq_pend = SIZE_MAX;
  if (s == SIZE_MAX || s >= c->n || c->st) return; /* none, or dropped */
  eq_writes(c, c->eq_pend_op, c->code + s + 1, c->n - s - 1);
}

/* The handler of the instruction at cell `at` became op (same operands). */
void wc_eq_retyped(comp *c, size_t at, int op) {
  if (c->eq_pend == at) c->eq_pend_op = op;
}

/* Whether slots dst.. and src.. (n of each) hold the same values. */
bool wc_eq_same(comp *c, uint32_t dst, uint32_t src, uint32_t n) {
  wc_eq_flush(c);
  for (uint32_t i = 0; i < n; i++) {
    if (dst + i == src + i) continue;
    int a = eq_find(&c->eq, (uint64_t)dst + i), b = eq_find(&c->eq, (uint64_t)src + i);
    if (a < 0 || b < 0 || c->eq.e[a].cls != c->eq.e[b].cls) return false;
  }
  return true;
}

/* A copy just added to the last instruction (a COPY1 grown in place). */
void wc_eq_copied(comp *c, uint32_t dst, uint32_t src) {
  wc_eq_flush(c);
  eq_copy1(c, dst, src);
}

/* The last instruction was made to write slots dst.. (n) instead. */
void wc_eq_wrote(comp *c, uint32_t dst, uint32_t n) {
  wc_eq_flush(c);
  eq_kill(&c->eq, dst, (uint64_t)dst + n);
}

/* Keeps in `into` only the equalities that also hold in b. */
static void eq_meet(comp *c, wc_eq *into, const wc_eq *b) {
  wc_eq r;
  uint32_t ka[WC_EQ_MAX], kb[WC_EQ_MAX], id[WC_EQ_MAX], nk = 0;
  r.n = 0;
  for (uint32_t i = 0; i < into->n; i++) {
    int j = eq_find(b, into->e[i].slot);
    if (j < 0) continue;
    uint32_t k = 0;
    while (k < nk && (ka[k] != into->e[i].cls || kb[k] != b->e[j].cls)) k++;
    if (k == nk) {
      ka[nk] = into->e[i].cls;
      kb[nk] = b->e[j].cls;
      id[nk++] = c->eq_next++;
    }
    r.e[r.n++] = (wc_eq_ent){into->e[i].slot, id[k]};
  }
  eq_prune(&r);
  *into = r;
}

void wc_eq_reset(comp *c) {
  wc_eq_flush(c);
  c->eq.n = 0;
}

void wc_eq_save(comp *c, wc_eq *out) {
  wc_eq_flush(c);
  *out = c->eq;
}

void wc_eq_set(comp *c, const wc_eq *f) {
  wc_eq_flush(c);
  c->eq = *f;
}

/* The facts kept for t's end (which 0) or an if's false edge (1), or NULL
 * for a label WC_EQ_DEPTH deep or more. */
static wc_eq *eq_label(comp *c, const ctl *t, int which) {
  size_t d = (size_t)(t - c->ctls);
  return d < WC_EQ_DEPTH && c->eq_lab ? &c->eq_lab[2 * d + which] : NULL;
}

/* A forward branch to t's end is being emitted (its copies done). */
void wc_eq_branch(comp *c, ctl *t) {
  wc_eq_flush(c);
  wc_eq *e = eq_label(c, t, 0);
  if (!e) return;
  if (!t->eq_seen) *e = c->eq;
  else eq_meet(c, e, &c->eq);
  t->eq_seen = true;
}

/* An if's conditional jump to its else (or end) was just emitted. */
void wc_eq_if(comp *c, ctl *t) {
  wc_eq_flush(c);
  wc_eq *e = eq_label(c, t, 1);
  if (e) *e = c->eq;
}

/* At an if's else: what held at its conditional jump. */
void wc_eq_else(comp *c, ctl *t) {
  wc_eq_flush(c);
  wc_eq *e = eq_label(c, t, 1);
  if (e) c->eq = *e;
  else c->eq.n = 0;
}

/* At t's end: the fallthrough (unless unreachable), an if's false edge
 * (no else) and the branches meet. */
void wc_eq_end(comp *c, ctl *t) {
  wc_eq_flush(c);
  wc_eq *e = eq_label(c, t, 0), *f = eq_label(c, t, 1);
  if (!e) {
    c->eq.n = 0;
    return;
  }
  bool have = !t->unreachable;
  const wc_eq *in[2] = {t->else_patch ? f : NULL, t->eq_seen ? e : NULL};
  for (int i = 0; i < 2; i++) {
    if (!in[i]) continue;
    if (have) eq_meet(c, &c->eq, in[i]);
    else c->eq = *in[i];
    have = true;
  }
  if (!have) c->eq.n = 0;
}

/* ---- block results into the local set next ---- */

/* Reads ahead over the body of block number b, just started (c->rd is
 * after its start), to its end: for it and each block inside (numbered
 * on from b + 1 as they start) c->into[n] becomes the local index + 1 a
 * local.set or local.tee right after its end writes, or 0. None if a
 * try_table is inside: a catch leaves its payload at a label's base.
 * Returns false on running out of memory. */
static bool scan_block(comp *c, uint32_t b) {
  wasm_reader r = *c->rd;
  wasm_error err;
  uint32_t *open = NULL, next = b + 1;
  size_t nopen = 0, cap_open = 0;
  bool has_try = false, ok = true;
  if (!wc_grow((void **)&c->into, &c->cap_into, next, sizeof *c->into)) return false;
  c->into[b] = 0;
  while (r.p < r.end) {
    wasm_instr in;
    if (wasm_read_instr(&r, &in, &err) != WASM_OK) break; /* the pass fails there too */
    if (in.op == WASM_OP_TRY_TABLE) has_try = true;
    if (in.op == WASM_OP_BLOCK || in.op == WASM_OP_LOOP || in.op == WASM_OP_IF ||
        in.op == WASM_OP_TRY_TABLE) {
      if (!wc_grow((void **)&c->into, &c->cap_into, (size_t)next + 1, sizeof *c->into) ||
          !wc_grow((void **)&open, &cap_open, nopen + 1, sizeof *open)) {
        ok = false;
        break;
      }
      c->into[next] = 0;
      open[nopen++] = next++;
    } else if (in.op == WASM_OP_END) {
      uint32_t o = nopen ? open[--nopen] : b;
      wasm_reader peek = r;
      wasm_instr after;
      if (peek.p < peek.end && wasm_read_instr(&peek, &after, &err) == WASM_OK &&
          (after.op == WASM_OP_LOCAL_SET || after.op == WASM_OP_LOCAL_TEE))
        c->into[o] = after.imm.index + 1;
      if (o == b) break;
    }
  }
  free(open);
  if (has_try)
    for (uint32_t o = b; o < next; o++) c->into[o] = 0;
  c->nblk_scanned = next;
  return ok;
}

/* A block, loop or if just pushed (numbered c->nblk) with one result and
 * no params: when a local.set or local.tee right after its end takes the
 * result, every way out leaves it in that local (ctl.into_plus1). */
void wc_result_into(comp *c, ctl *t) {
  uint32_t b = c->nblk++;
  if (!t || t->nresults != 1 || t->nparams != 0) return;
  if (b >= c->nblk_scanned && !scan_block(c, b)) {
    wc_fail(c, WASM_NOMEM, "out of memory");
    return;
  }
  if (b < c->nblk_scanned && c->into[b] && c->into[b] - 1 < c->nlocals)
    t->into_plus1 = c->into[b];
}

/* ---- a local waiting for its copy ---- */

/* Instructions that branch, end or start a block, call (a throw may land
 * in this function) or leave it: a local must hold its value there. */
bool wc_control_op(int op) {
  switch (op) {
  case WASM_OP_UNREACHABLE: case WASM_OP_BLOCK: case WASM_OP_LOOP: case WASM_OP_IF:
  case WASM_OP_ELSE: case WASM_OP_END: case WASM_OP_BR: case WASM_OP_BR_IF:
  case WASM_OP_BR_TABLE: case WASM_OP_RETURN: case WASM_OP_CALL: case WASM_OP_CALL_INDIRECT:
  case WASM_OP_THROW: case WASM_OP_THROW_REF: case WASM_OP_TRY_TABLE:
    return true;
  default:
    return false;
  }
}

/* Whether, in the instructions after the current one (the next 64 at
 * most), local x is set before any control instruction (wc_control_op)
 * and before local y is set: then a value set to y can stand in for x
 * until then, x never needing it (wasm_compile.c, compile_local_set). */
bool wc_set_soon(comp *c, uint32_t x, uint32_t y) {
  if (!c->rd) return false;
  wasm_reader r = *c->rd;
  wasm_error err;
  for (int i = 0; i < 64 && r.p < r.end; i++) {
    wasm_instr in;
    if (wasm_read_instr(&r, &in, &err) != WASM_OK || wc_control_op(in.op)) return false;
    if (in.op == WASM_OP_LOCAL_SET || in.op == WASM_OP_LOCAL_TEE) {
      if (in.imm.index == x) return true;
      if (in.imm.index == y) return false;
    }
  }
  return false;
}

/* The local standing in for another (c->lazy_plus1) gets its copy. */
void wc_lazy_flush(comp *c) {
  uint32_t x = c->lazy_plus1 - 1;
  c->lazy_plus1 = 0;
  wc_emit_copy(c, c->local_slot[x], c->local_slot[c->lazy_y], wasm_kind_slots(c->local_kind[x]));
}

/* local.set y of the value a local.tee x (or local.set x, local.get x)
 * just gave x by making the instruction before write x: when x is set
 * again soon (wc_set_soon), that instruction writes y instead and x reads
 * y's value until then; no copy. */
bool wc_set_lazily(comp *c, uint32_t y, cval *v) {
  uint32_t x = c->tee_local;
  if (c->lazy_plus1 || v->konst || c->tee_end != c->n || c->barrier == c->n || x == y ||
      x >= c->nlocals || v->src != c->local_slot[x] || wc_dst_get(c, c->tee_cell) != v->src)
    return false;
  uint32_t ys = c->local_slot[y];
  for (uint32_t i = 0; i < c->sp; i++) { /* nothing may still read x's or y's slot */
    const cval *e = &c->stk[i];
    if (!e->konst && e->src != e->slot && (e->src == v->src || e->src == ys)) return false;
  }
  if (!wc_set_soon(c, x, y)) return false;
  wc_dst_set(c, c->tee_cell, ys);
  wc_eq_wrote(c, ys, wasm_kind_slots(c->local_kind[y]));
  if (c->acc_end == c->n && c->acc_slot == v->src) c->acc_slot = ys;
  c->lazy_plus1 = x + 1;
  c->lazy_y = y;
  c->tee_end = SIZE_MAX;
  v->src = ys;
  return true;
}
