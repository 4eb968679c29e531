/*
 * wasm_compile.h: the compiler's state, shared by wasm_compile.c (control,
 * numeric ops, calls, locals: the pass itself), wasm_compile_mem.c
 * (loads, stores and their fusions, multi-memory ops) and
 * wasm_compile_fuse.c (the other superinstructions). Internal to the
 * compiler; see wasm_compile.c for how the pass works.
 */
#ifndef WASM_COMPILE_H
#define WASM_COMPILE_H

#include <stdbool.h>
#include <stdint.h>

#include "wasm_code.h"
#include "wasm_module.h"

/* Limits that keep hostile (but valid) bodies from exhausting memory. */
#define COMPILE_MAX_CELLS (64u << 20)

typedef struct cval {
  uint8_t kind;
  bool konst;    /* a constant not yet written anywhere: value k */
  uint32_t slot; /* home slot, fixed by stack position */
  uint32_t src;  /* where the value is now (== slot unless aliasing) */
  uint64_t k;
} cval;

enum { CTL_BLOCK, CTL_LOOP, CTL_IF, CTL_FUNC };

/* Slots known to hold one value (wasm_compile_eq.c): members of a class
 * (cls) are equal; a slot in no class is known equal to nothing. */
#define WC_EQ_MAX 16
/* Labels this deep or deeper keep none: nothing is known after them. */
#define WC_EQ_DEPTH 256
typedef struct wc_eq_ent {
  uint32_t slot, cls;
} wc_eq_ent;
typedef struct wc_eq {
  uint32_t n;
  wc_eq_ent e[WC_EQ_MAX];
} wc_eq;

/* Fusion with memory: the last instruction, when it is a full-width load
 * (plain or ADDK), a plain scalar binary op, or an XV_LD op. */
enum { LAST_NONE, LAST_LOAD, LAST_BIN, LAST_BINLD };
typedef struct last_instr {
  int kind; /* LAST_* */
  size_t start, end;
  int op;
  uint32_t dst;
  uint64_t a, b;         /* binary op: operand slots (XV_LD: a only) */
  uint64_t addr, off, k; /* load, XV_LD: address slot, offset, K */
} last_instr;

typedef struct ctl {
  uint8_t kind;
  bool unreachable;
  bool has_else;
  uint32_t height;       /* operand entries below the params */
  uint32_t base;         /* slot of the first param / result */
  const uint8_t *params, *results;
  uint32_t nparams, nresults;
  uint32_t param_slots, result_slots;
  size_t loop_pc;        /* loop: branch target */
  size_t patches;        /* chain of forward branches to the end (idx+1) */
  size_t else_patch;     /* if: BR_UNLESS target cell index + 1, or 0 */
  uint32_t try_plus1;    /* try_table: index + 1 of its entry in tries */
  uint32_t into_plus1;   /* block, if, loop: index + 1 of the local its one
                          * result is set to right after the end; the
                          * result goes there (wc_result_into), or 0 */
  bool eq_seen;          /* a forward branch to the end noted its slot
                          * equalities (wc_eq_branch) */
} ctl;

/* A chain's op1 (wasm_code.h) for a branch chain: where it starts, its
 * op and CH_* form, operands a and b, and the slot it writes t to. */
typedef struct chain_rec {
  size_t start; /* SIZE_MAX: none */
  int op, form;
  uint64_t a, b, t;
} chain_rec;

enum { ADD_FORM_I32, ADD_FORM_I32K, ADD_FORM_I64, ADD_FORM_I64K };

typedef struct comp {
  const wasm_module *m;
  const void *const *h;
  wasm_error *err;
  wasm_status st;
  wasm_cell *code;
  size_t n, cap;
  size_t *relocs; /* cells holding a target as a cell index */
  size_t nrelocs, cap_relocs;
  /* Calls of defined functions, whose callee's entry and code are filled
   * in once every function is compiled (wasm_compile). */
  struct wc_call_site {
    uint32_t caller, callee; /* indices into the module's funcs */
    size_t cell;             /* the caller's cell for the entry */
  } *calls;
  size_t ncalls, cap_calls;
  uint32_t cur_def; /* the function being compiled */
  cval *stk;
  uint32_t sp, cap_stk;
  uint32_t slots, max_slots;
  ctl *ctls;
  uint32_t nctl, cap_ctl;
  wasm_try *tries;        /* this function's exception handlers */
  size_t ntries, cap_tries;
  wasm_catch *catches;
  size_t ncatches, cap_catches;
  uint32_t nlocals;
  uint32_t first_temp; /* the first stack slot: locals are below */
  uint8_t *local_kind;
  uint32_t *local_slot;
  /* Peephole: the last instruction's dst operand cell, when it may be
   * retargeted (it wrote a fresh stack slot and nothing jumps between). */
  size_t last_dst, last_end, barrier;
  /* Fusion: the last instruction, when it is an integer op with an i32
   * result that a branch may absorb. */
  size_t fuse_start, fuse_end;
  int fuse_op;
  bool fuse_k;
  bool fuse_neg; /* an i32.eqz of the op's result followed it: jump inverted */
  int fuse_acc;  /* the op read in1 (1) or in2 (2) from the accumulator */
  uint32_t fuse_np, fuse_dst;
  uint64_t fuse_a, fuse_b;
  chain_rec fuse_ch; /* the op read the result of this op1 from acc */
  last_instr last;
  last_instr mac; /* the last XV_LD mul, the op1 of an XOP_MAC_* */
  last_instr ldbr; /* the last i32 load an XOP_LDBR_* may take in */
  size_t gg_start, gg_end; /* the last GLOBAL_GET, of global gg_index */
  /* The last add, an XOP_ADD2's first half; add_copy: it is a COPY1, an
   * add of 0 with its d|a pair in its cell. */
  size_t add_start, add_end;
  size_t add2_start, add2_end; /* the last XOP_ADD2 */
  /* The last i32 compare (start SIZE_MAX: none): right before the last
   * add, a branch on its result makes the three one XOP_CMPADDBR. */
  last_instr cmp;
  int add_form;
  bool add_copy;
  uint64_t add_a, add_b;
  uint32_t gg_index;
  size_t copy_at; /* the last instruction, when it is a COPY1 or COPY1Xn */
  size_t const_at; /* the last instruction, when it is an XOP_CONST */
  uint32_t copy_n; /* ... of that many copies */
  /* Chains (wasm_code.h): the last instruction, when a plain or K binary
   * op a following op may take in (op1, its CH_* form, operands a, b). */
  size_t ch_start, ch_end;
  int ch_op, ch_form;
  uint64_t ch_a, ch_b;
  /* The accumulator (wasm_code.h, XV_A1): the last instruction left the
   * value of slot acc_slot in it, if it ended at acc_end. */
  uint32_t acc_slot;
  size_t acc_end;
  /* Slot equalities where the code is being emitted (wasm_compile_eq.c):
   * eq holds after the instructions before eq_pend (the last one, op
   * eq_pend_op, not yet applied); eq_gen_end: the end of the last
   * instruction whose copies eq counts. */
  wc_eq eq;
  wc_eq *eq_lab;    /* per ctl below WC_EQ_DEPTH: what holds on every
                     * branch to its end so far, and an if's false edge */
  uint32_t eq_next; /* next class id */
  uint8_t eq_res[WASM_OP_COUNT]; /* what wasm ops write (wc_eq_init) */
  size_t eq_pend, eq_gen_end;
  int eq_pend_op;
  /* Block results into locals (wc_result_into): by block number, in the
   * order they start, the local set after its end (index + 1, or 0), read
   * ahead for blocks below nblk_scanned; blocks started so far. */
  uint32_t *into;
  size_t cap_into;
  uint32_t nblk_scanned, nblk;
  /* The reader, after the instruction being compiled (read ahead by
   * wc_result_into and wc_set_soon). */
  const wasm_reader *rd;
  /* The last instruction's result cell was made local tee_local's
   * (local.set/tee retargeted it), if it ended at tee_end. */
  size_t tee_cell, tee_end;
  uint32_t tee_local;
  /* Local lazy_plus1 - 1 holds no value of its own: reads take local
   * lazy_y's, until one of them is set or control flow comes (then the
   * copy is made). */
  uint32_t lazy_plus1, lazy_y;
  /* Where each instruction starts and its op (wc_drop_dead_writes; the
   * dump, STRATUS_DUMP_CODE set, prints them). */
  bool dump;
  size_t *starts;
  int *ops;
  size_t nstarts, cap_starts;
} comp;

/* Emitting and the operand stack (wasm_compile.c). */
bool wc_fail(comp *c, wasm_status st, const char *msg);
/* Makes room for need elements of elem bytes at *p (capacity *cap, doubled
 * from 64); false when out of memory, *p unchanged. */
bool wc_grow(void **p, size_t *cap, size_t need, size_t elem);
size_t wc_emit_u(comp *c, uint64_t v);
void wc_emit_op(comp *c, int op);
void wc_set_acc(comp *c, uint32_t slot);
bool wc_in_acc(const comp *c, const cval *v);
int wc_variant(const comp *c, int op, int v);
void wc_set_dst_candidate(comp *c, size_t cell);
/* A reference to the cell holding an instruction's destination slot
 * (last_dst, tee_cell): its index, plus WC_DST_PAIR when the slot is the
 * dst half of a slot pair (wasm_code.h). */
#define WC_DST_PAIR ((size_t)1 << (sizeof(size_t) * 8 - 1))
void wc_rewind(comp *c, size_t pos);
uint32_t wc_dst_get(const comp *c, size_t ref);
void wc_dst_set(comp *c, size_t ref, uint32_t slot);
bool wc_last_is(comp *c, size_t start, size_t end);
void wc_push(comp *c, uint8_t kind);
cval wc_pop(comp *c);
void wc_use(comp *c, cval *v);
uint8_t wc_sig_kind(char ch);
void wc_pop_use(comp *c, cval *v, uint32_t n);
void wc_emit_srcs(comp *c, const cval *v, uint32_t n);
void wc_emit_copy(comp *c, uint32_t dst, uint32_t src, uint32_t nslots);

/* Superinstructions of non-memory ops (wasm_compile_fuse.c). */
const char *wc_chain_name(int op, char *buf, size_t n);
bool wc_compile_chain(comp *c, int op, const cval *in, int acc, bool k);
int wc_add_form(int op, bool k);
uint64_t wc_add_b(int op, bool k, const cval *b);
int wc_compare_pos(int op);
bool wc_emit_add_jump(comp *c, uint64_t cond, bool nz);
bool wc_emit_add_cmp_jump(comp *c, int cmp, uint64_t t);
bool wc_fuse_copy_add2(comp *c, uint32_t dst, uint32_t src);
const wasm_cell *wc_add2_before(const comp *c, size_t at, int form);
bool wc_compile_add2(comp *c, int op, int af, uint32_t dst, const cval *in, bool k);
bool wc_emit_chain_jump(comp *c, bool nz);
void wc_drop_dead_writes(comp *c, uint32_t first_temp);
void wc_fuse_overlays(comp *c, uint32_t first_temp);
bool wc_compile_global_addk(comp *c, const cval *v, uint32_t g);

/* Slot equalities, for leaving out copies (wasm_compile_eq.c). */
void wc_eq_init(comp *c);
void wc_eq_func_start(comp *c);
void wc_eq_emit(comp *c, int op);
void wc_eq_flush(comp *c);
void wc_eq_retyped(comp *c, size_t at, int op);
bool wc_eq_same(comp *c, uint32_t dst, uint32_t src, uint32_t n);
void wc_eq_copied(comp *c, uint32_t dst, uint32_t src);
void wc_eq_wrote(comp *c, uint32_t dst, uint32_t n);
void wc_eq_reset(comp *c);
void wc_eq_save(comp *c, wc_eq *out);
void wc_eq_set(comp *c, const wc_eq *f);
void wc_eq_branch(comp *c, ctl *t);
void wc_eq_if(comp *c, ctl *t);
void wc_eq_else(comp *c, ctl *t);
void wc_eq_end(comp *c, ctl *t);
void wc_result_into(comp *c, ctl *t);
bool wc_control_op(int op);
bool wc_set_soon(comp *c, uint32_t x, uint32_t y);
void wc_lazy_flush(comp *c);
bool wc_set_lazily(comp *c, uint32_t y, cval *v);

/* Memory instructions (wasm_compile_mem.c). */
int wc_full_load(uint8_t kind);
bool wc_commutative(int op);
bool wc_compile_binld(comp *c, int op, cval *in);
void wc_compile_mem(comp *c, const wasm_opinfo *oi, int op, const wasm_instr *in);
bool wc_memop_multi(const wasm_opinfo *oi, const wasm_instr *in);
void wc_compile_memop_multi(comp *c, const wasm_opinfo *oi, int op, const wasm_instr *in);

#endif
