/*
 * wasm_exec.c: the interpreter for the slot code of wasm_code.h.
 *
 * One function, `interp`, with threaded dispatch: every handler ends with
 * `goto *ip->h`, the handler address the compiler stored in the code (it
 * gets the label table by calling interp in its init mode). Wasm-to-wasm
 * calls push a frame record on a separate call stack and stay in the same
 * loop; only host functions are called through C.
 *
 * The handlers of the pure numeric instructions, the lane ops and the memory
 * accesses are generated from wasm_opcodes.def: each calls NUM_<ID> from
 * wasm_numeric.h through a small typed helper (wasm_exec_ops.h), chosen
 * with _Generic from NUM_<ID>'s C type (so the signature is written once,
 * in that header). Superinstructions (wasm_code.h: variants, chains,
 * copies, multiply-add, calls with a copy) are defined by macros here.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm_code.h"
#include "wasm_numeric.h"
#include "wasm_runtime.h"
#include "wasm_exec_ops.h"

/* ---- calls ---- */

/* A call's record, pushed when a wasm function starts; the running
 * function is the top frame's (cur_func). Three words: a call makes
 * three stores. */
typedef struct frame {
  const wasm_cell *ip; /* where the caller resumes */
  uint64_t *fp;        /* the caller's frame */
  /* The function this frame runs (the callee), with FRAME_SAME set when
   * the caller runs in the callee's instance and is not the host (RETURN's
   * fast path). */
  uintptr_t func_same;
} frame;
#define FRAME_SAME ((uintptr_t)1)

static inline wasm_func *frame_func(const frame *f) {
  return (wasm_func *)(f->func_same & ~FRAME_SAME);
}

static void vals_from_slots(const uint64_t *s, const uint8_t *kinds, uint32_t n,
                            wasm_val *out) {
  for (uint32_t i = 0; i < n; i++) {
    memset(&out[i], 0, sizeof out[i]);
    out[i].kind = kinds[i];
    if (kinds[i] == WASM_V128) {
      memcpy(out[i].of.v128, s, 16);
      s += 2;
    } else {
      memcpy(&out[i].of, s, 8);
      if (kinds[i] == WASM_I32 || kinds[i] == WASM_F32) out[i].of.i64 &= 0xffffffffu;
      s += 1;
    }
  }
}

static void vals_to_slots(uint64_t *s, const uint8_t *kinds, uint32_t n,
                          const wasm_val *in) {
  for (uint32_t i = 0; i < n; i++) {
    if (kinds[i] == WASM_V128) {
      memcpy(s, in[i].of.v128, 16);
      s += 2;
    } else if (kinds[i] == WASM_I32 || kinds[i] == WASM_F32) {
      *s++ = (uint32_t)in[i].of.i32;
    } else {
      memcpy(s, &in[i].of, 8);
      s += 1;
    }
  }
}

static uint32_t slots_of(const uint8_t *kinds, uint32_t n) {
  uint32_t s = 0;
  for (uint32_t i = 0; i < n; i++) s += wasm_kind_slots(kinds[i]);
  return s;
}

/* Calls a host function with the arguments at `at`; results land there. */
static wasm_status call_host(wasm_store *s, wasm_func *f, uint64_t *at,
                             wasm_error *err) {
  const wasm_functype *t = f->type;
  wasm_val abuf[8], rbuf[8];
  wasm_val *args = abuf, *res = rbuf;
  if (t->nparams > 8) args = malloc(t->nparams * sizeof *args);
  if (t->nresults > 8) res = malloc(t->nresults * sizeof *res);
  if (!args || !res) {
    if (args != abuf) free(args);
    if (res != rbuf) free(res);
    return wasm_fail(err, WASM_NOMEM, "out of memory");
  }
  vals_from_slots(at, t->types, t->nparams, args);
  memset(res, 0, t->nresults * sizeof *res);
  for (uint32_t i = 0; i < t->nresults; i++) res[i].kind = t->types[t->nparams + i];
  /* Nested wasm calls made by the host use the stack above these slots. */
  size_t saved_top = s->stack_top;
  uint32_t ps = slots_of(t->types, t->nparams);
  uint32_t rs = slots_of(t->types + t->nparams, t->nresults);
  s->stack_top = (size_t)(at - s->stack) + (ps > rs ? ps : rs);
  wasm_status st = f->host(f->env, args, res, err);
  s->stack_top = saved_top;
  if (st == WASM_OK) vals_to_slots(at, t->types + t->nparams, t->nresults, res);
  else if (err && err->status != st) err->status = st;
  if (args != abuf) free(args);
  if (res != rbuf) free(res);
  return st;
}

static void func_name(const wasm_func *f, char *buf, size_t n) {
  if (f && f->def && f->def->name) snprintf(buf, n, "%s", f->def->name);
  else if (f) snprintf(buf, n, "func[%u]", f->index);
  else snprintf(buf, n, "?");
}

static const char *numtrap_msg(int t) {
  switch (t) {
  case WASM_NUMTRAP_DIV_ZERO: return "integer divide by zero";
  case WASM_NUMTRAP_INT_OVERFLOW: return "integer overflow";
  case WASM_NUMTRAP_INVALID_CONV: return "invalid conversion to integer";
  default: return "internal error: bad instruction";
  }
}

/* Interpreter state that changes rarely (calls, returns, traps). It lives
 * in memory, not in the dispatch loop's registers: only ip, fp and the
 * memory-0 cache are carried from handler to handler, which keeps both the
 * generated code and the compilers' time on this function small. */
typedef struct xstate {
  wasm_store *s;
  wasm_error *err;
  wasm_instance *inst;  /* of the running function */
  wasm_global **globals;
  wasm_memory *mem0;    /* memory 0, or a static empty one */
  frame *frames;        /* the top one's func is running (cur_func) */
  size_t nframes, cap_frames;
  /* Frames the fast call path may push: below cap_frames and the call
   * depth limit (the store's call_depth is depth0 + nframes, written back
   * only before host calls, the one place a nested entry reads it). */
  size_t frame_limit;
  uint64_t *stack_end;
  uint32_t max_depth, depth0;
  /* Fuel/deadline checks left before the slow path (budget_refill): units
   * of fuel taken from the store (when it is limited) and not yet used. */
  int64_t budget;
  const char *trap_msg;
  int64_t trap_index;   /* named in the message when >= 0 */
  /* A host callee failed with a wasm exception in flight (s->exn_tag):
   * it is rethrown at the call (throw_at, a cell of it, in frame throw_fp). */
  bool rethrow;
  const wasm_cell *throw_at;
  uint64_t *throw_fp;
  wasm_status status;
  frame local_frames[16];
} xstate;

/* Where to continue after a call or return: ip NULL means stop. */
typedef struct xjump {
  const wasm_cell *ip;
  uint64_t *fp;
} xjump;

static wasm_memory no_memory; /* size 0: every access traps */

/* ---- fuel and epoch deadlines ----
 * Every check (function entry, backward jump) costs one decrement of
 * X->budget and a compare. The budget is a chunk of at most
 * EXEC_BUDGET_CHUNK units; when it runs out the slow path accounts the
 * store's fuel exactly and polls the engine's epoch, so a deadline is
 * noticed within one chunk of checks (microseconds). */
#define EXEC_BUDGET_CHUNK 10000

/* Called when a check finds the budget exhausted (it is then -1: the unit
 * for the current check is owed). False on an interruption. */
static __attribute__((noinline)) bool budget_refill(xstate *X) {
  wasm_store *s = X->s;
  X->budget = 0;
  if (s->deadline_set &&
      atomic_load_explicit(&s->engine->epoch, memory_order_relaxed) >= s->epoch_deadline) {
    X->status = WASM_EXHAUSTED;
    X->trap_msg = "interrupted: deadline exceeded";
    return false;
  }
  uint64_t take = EXEC_BUDGET_CHUNK;
  if (s->fuel_limited) {
    if (s->fuel == 0) {
      X->status = WASM_EXHAUSTED;
      X->trap_msg = "all fuel consumed";
      return false;
    }
    if (take > s->fuel) take = s->fuel;
    s->fuel -= take;
  }
  X->budget = (int64_t)take - 1;
  return true;
}

/* Gives the unused part of the budget back to the store (before a host call
 * and when the call ends), so the store's count is exact there. */
static void budget_return(xstate *X) {
  if (X->budget > 0 && X->s->fuel_limited) X->s->fuel += (uint64_t)X->budget;
  X->budget = 0;
}

void wasm_store_set_fuel(wasm_store *s, uint64_t fuel) {
  if (!s) return;
  s->fuel_limited = fuel != UINT64_MAX;
  s->fuel = fuel;
}

uint64_t wasm_store_get_fuel(const wasm_store *s) {
  return s && s->fuel_limited ? s->fuel : UINT64_MAX;
}

void wasm_engine_increment_epoch(wasm_engine *e) {
  if (e) atomic_fetch_add_explicit(&e->epoch, 1, memory_order_relaxed);
}

uint64_t wasm_engine_epoch(const wasm_engine *e) {
  return e ? atomic_load_explicit(&((wasm_engine *)e)->epoch, memory_order_relaxed) : 0;
}

void wasm_store_set_epoch_deadline(wasm_store *s, uint64_t ticks) {
  if (!s) return;
  if (ticks == UINT64_MAX) {
    s->deadline_set = false;
    return;
  }
  uint64_t now = wasm_engine_epoch(s->engine);
  s->deadline_set = true;
  s->epoch_deadline = ticks > UINT64_MAX - now ? UINT64_MAX : now + ticks;
}

static void set_instance(xstate *X, wasm_instance *inst) {
  X->inst = inst;
  X->globals = inst->globals;
  X->mem0 = wasm_module_total_memories(inst->module) ? inst->memories[0] : &no_memory;
}

/* The running wasm function, or NULL before the entry starts. */
static inline wasm_func *cur_func(const xstate *X) {
  return X->nframes ? frame_func(&X->frames[X->nframes - 1]) : NULL;
}

static void set_frame_limit(xstate *X) {
  size_t d = X->max_depth > X->depth0 ? X->max_depth - X->depth0 : 0;
  X->frame_limit = d < X->cap_frames ? d : X->cap_frames;
}

static xjump fail_jump(xstate *X, wasm_status st, const char *msg) {
  X->status = st;
  X->trap_msg = msg;
  return (xjump){NULL, NULL};
}

/* Calls `callee` with its params at nfp; the caller resumes at ret with
 * frame fp. A wasm callee gets a frame record and starts running; a host
 * callee runs to completion here. On failure ip is NULL and X says why
 * (trap_msg NULL: err is already filled). */
static __attribute__((noinline)) xjump enter(xstate *X, wasm_func *callee,
                                             uint64_t *nfp,
                                             const wasm_cell *ret,
                                             uint64_t *fp) {
  wasm_store *s = X->s;
  if (callee->host) {
    budget_return(X); /* the host may read or set the fuel, or call wasm */
    s->exn_tag = NULL;
    s->call_depth = X->depth0 + (uint32_t)X->nframes;
    wasm_status st = call_host(s, callee, nfp, X->err);
    if (st == WASM_TRAP && s->exn_tag && ret) {
      X->rethrow = true;
      X->throw_at = ret - 1;
      X->throw_fp = fp;
      return (xjump){NULL, NULL};
    }
    if (st != WASM_OK) return fail_jump(X, st, NULL);
    return (xjump){ret, fp};
  }
  const wasm_code *code = callee->def ? callee->def->code : NULL;
  if (UNLIKELY(!code)) return fail_jump(X, WASM_TRAP, "internal error: function not compiled");
  if (UNLIKELY(X->depth0 + X->nframes >= X->max_depth ||
               (size_t)(X->stack_end - nfp) < code->max_slots))
    return fail_jump(X, WASM_EXHAUSTED, "call stack exhausted");
  if (UNLIKELY(--X->budget < 0) && !budget_refill(X)) return (xjump){NULL, NULL};
  if (UNLIKELY(X->nframes == X->cap_frames)) {
    size_t nc = X->cap_frames * 2;
    frame *nf = X->frames == X->local_frames ? malloc(nc * sizeof *nf)
                                             : realloc(X->frames, nc * sizeof *nf);
    if (!nf) return fail_jump(X, WASM_NOMEM, "out of memory");
    if (X->frames == X->local_frames) memcpy(nf, X->local_frames, sizeof X->local_frames);
    X->frames = nf;
    X->cap_frames = nc;
    set_frame_limit(X);
  }
  bool same = ret && X->nframes && cur_func(X)->instance == callee->instance;
  assert(!((uintptr_t)callee & FRAME_SAME));
  X->frames[X->nframes++] = (frame){ret, fp, (uintptr_t)callee | (same ? FRAME_SAME : 0)};
  memset(nfp + code->nparam_slots, 0, code->nlocal_slots * sizeof(uint64_t));
  if (callee->instance != X->inst) set_instance(X, callee->instance);
  return (xjump){code->cells, nfp};
}

/* Returns from the running function: ip NULL when it was the entry. */
static __attribute__((noinline)) xjump leave(xstate *X) {
  frame *f = &X->frames[--X->nframes];
  if (X->nframes == 0) return (xjump){NULL, NULL};
  wasm_instance *inst = cur_func(X)->instance;
  if (inst != X->inst) set_instance(X, inst);
  return (xjump){f->ip, f->fp};
}

/* Finds the handler for the exception in flight (s->exn_tag, payload in
 * s->exn_payload) thrown at cell `at` of the running function, unwinding
 * frames as needed; on a catch the payload is in place and the jump says
 * where to go on. Uncaught by the entry function: ip NULL, a trap, and
 * s->exn_tag stays set for a wasm caller across a host function. */
static __attribute__((noinline)) xjump unwind(xstate *X, const wasm_cell *at, uint64_t *fp) {
  wasm_store *s = X->s;
  for (;;) {
    const wasm_func *func = cur_func(X);
    const wasm_code *code = func && func->def ? func->def->code : NULL;
    if (code && at >= code->cells && at < code->cells + code->ncells) {
      uint32_t idx = (uint32_t)(at - code->cells);
      for (uint32_t t = code->ntries; t-- > 0;) {
        const wasm_try *tr = &code->tries[t];
        if (idx < tr->start || idx >= tr->end) continue;
        for (uint32_t k = 0; k < tr->count; k++) {
          const wasm_catch *ct = &code->catches[tr->first + k];
          if (ct->tag != UINT32_MAX && X->inst->tags[ct->tag] != s->exn_tag) continue;
          uint32_t n = ct->tag != UINT32_MAX ? s->exn_slots : 0;
          if (n) memcpy(fp + ct->dst, s->exn_payload, n * sizeof(uint64_t));
          if (ct->ref) {
            wasm_exn *e = s->exn_obj;
            if (!e) {
              e = malloc(sizeof *e + s->exn_slots * sizeof(uint64_t));
              if (!e || wasm_store_track(s, WASM_OBJ_EXN, e) != WASM_OK) {
                free(e);
                return fail_jump(X, WASM_NOMEM, "out of memory");
              }
              e->tag = s->exn_tag;
              e->nslots = s->exn_slots;
              if (s->exn_slots) memcpy(e->payload, s->exn_payload, s->exn_slots * sizeof(uint64_t));
            }
            fp[ct->dst + n] = (uint64_t)(uintptr_t)e;
          }
          s->exn_tag = NULL;
          s->exn_obj = NULL;
          return (xjump){code->cells + ct->landing, fp};
        }
      }
    }
    if (X->nframes <= 1) return fail_jump(X, WASM_TRAP, "uncaught exception");
    frame *f = &X->frames[--X->nframes];
    wasm_instance *inst = cur_func(X)->instance;
    if (inst != X->inst) set_instance(X, inst);
    at = f->ip - 1;
    fp = f->fp;
  }
}

/* Starts throwing tag with the payload at args (nslots slots); obj is its
 * exnref when rethrown by throw_ref, else NULL. */
static __attribute__((noinline)) xjump throw_exn(xstate *X, wasm_tag *tag, const uint64_t *args,
                                                 uint32_t nslots, wasm_exn *obj,
                                                 const wasm_cell *at, uint64_t *fp) {
  wasm_store *s = X->s;
  if (nslots > s->exn_slots || !s->exn_payload) {
    uint64_t *p = realloc(s->exn_payload, (nslots ? nslots : 1) * sizeof(uint64_t));
    if (!p) return fail_jump(X, WASM_NOMEM, "out of memory");
    s->exn_payload = p;
  }
  if (nslots) memcpy(s->exn_payload, args, nslots * sizeof(uint64_t));
  s->exn_slots = nslots;
  s->exn_tag = tag;
  s->exn_obj = obj;
  return unwind(X, at, fp);
}

#define LOAD_MEM()                                                           \
  do {                                                                       \
    mbase = X.mem0->data;                                                    \
    msize = X.mem0->size;                                                    \
  } while (0)

#ifdef EXEC_PROFILE
#define NEXT()                                                               \
  do {                                                                       \
    wasm_exec_prof_hit(ip->h);                                               \
    goto *ip->h;                                                             \
  } while (0)
#else
#define NEXT() goto *ip->h
#endif
#define U(k) (ip[k].u)
#define SLOT(k) (fp + ip[k].u)
#define TRAP(msg)                                                            \
  do {                                                                       \
    X.trap_msg = (msg);                                                      \
    goto trap;                                                               \
  } while (0)
/* A trap that names the offending table index, as the reference does. */
#define TRAP_INDEX(msg, i)                                                   \
  do {                                                                       \
    X.trap_index = (int64_t)(i);                                             \
    TRAP(msg);                                                               \
  } while (0)
/* Branches to t. A backward jump (a loop's back edge: every loop that
 * runs forever takes one) costs a unit of the fuel/deadline budget. */
#define JUMP_TO(t)                                                           \
  do {                                                                       \
    const wasm_cell *t_ = (t);                                               \
    if (t_ <= ip && UNLIKELY(--X.budget < 0) && !budget_refill(&X)) goto stop; \
    ip = t_;                                                                 \
    NEXT();                                                                  \
  } while (0)
/* Chains: op1's operands by its form (CH_PLAIN, CH_K, CH_ACC), b of
 * cell k; and a part of a chain's expansion kept only where NC is 1. */
#define CH_A_0(T, k) rd_##T(SLOT(k))
#define CH_A_1(T, k) rd_##T(SLOT(k))
#define CH_A_2(T, k) acc_##T(&acc)
#define CH_B_0(T, k) rd_##T(SLOT(k))
#define CH_B_1(T, k) rd_##T(&ip[k].u)
#define CH_B_2(T, k) rd_##T(SLOT(k))
#define CH_IF_0(x)
#define CH_IF_1(x) x
/* A callee's locals are zeroed as one fixed block when they fit in it
 * (two sizes: stores are what a call is short of): no loop whose trip
 * count changes from call to call (and mispredicts). The
 * slots past the locals are the callee's operand stack, written before
 * they are read, and the stack check keeps the block below stack_end. */
#define ZERO_BLOCK 8
#define ZERO_SMALL 2 /* one 16-byte store for the smallest */
/* The inline part of a call of callee (code: its compiled code, entry
 * its first cell), a wasm function of the running instance, params at
 * nfp; the caller resumes NEXTC cells on. Falls through when the slow
 * path must check or grow. */
#define CALL_FAST(callee, code, entry, nfp, NEXTC)                           \
  do {                                                                       \
    const wasm_code *c_ = (code);                                            \
    if (LIKELY(X.budget > 0 && X.nframes < X.frame_limit &&                  \
               (size_t)(X.stack_end - (nfp)) >= c_->max_slots + ZERO_BLOCK)) { \
      X.budget--;                                                            \
      X.frames[X.nframes++] = (frame){ip + (NEXTC), fp, (uintptr_t)(callee) | FRAME_SAME}; \
      uint64_t *l_ = (nfp) + c_->nparam_slots;                               \
      uint32_t nl_ = c_->nlocal_slots;                                       \
      if (nl_ <= ZERO_SMALL)                                                 \
        memset(l_, 0, ZERO_SMALL * sizeof(uint64_t));                        \
      else if (LIKELY(nl_ <= ZERO_BLOCK))                                    \
        memset(l_, 0, ZERO_BLOCK * sizeof(uint64_t));                        \
      else                                                                   \
        memset(l_, 0, nl_ * sizeof(uint64_t));                               \
      ip = (entry);                                                          \
      fp = (nfp);                                                            \
      NEXT();                                                                \
    }                                                                        \
  } while (0)
/* op2 of a chain by its form, on t (op1's result) and cell 4. */
#define CH_OP2_0(O2, T, t) NUM_##O2(t, CH_B_0(T, 4))
#define CH_OP2_1(O2, T, t) NUM_##O2(t, CH_B_1(T, 4))
#define CH_OP2_2(O2, T, t) NUM_##O2(CH_B_0(T, 4), t)
/* Every chain X(FAM, T, O1, F1, O2, F2) and branch chain X(O1, F1, O2, F2)
 * of the lists in wasm_code.h, in all their forms. */
#define CH_F2(X, FAM, T, O1, F1, O2, NC)                                     \
  X(FAM, T, O1, F1, O2, 0) X(FAM, T, O1, F1, O2, 1) CH_IF_##NC(X(FAM, T, O1, F1, O2, 2))
#define CH_F1(X, FAM, T, O1, O2, NC)                                         \
  CH_F2(X, FAM, T, O1, 0, O2, NC) CH_F2(X, FAM, T, O1, 1, O2, NC)            \
  CH_F2(X, FAM, T, O1, 2, O2, NC)
#define CH_I32(X, O1, NC) CHAIN_I32_2(CH_F1, X, I32, u32, O1)
#define CH_F64(X, O1, NC) CHAIN_F64_2(CH_F1, X, F64, f64, O1)
#define FOR_CHAINS(X) CHAIN_I32_1(CH_I32, X) CHAIN_F64_1(CH_F64, X)
#define CHB_F(X, O1, O2, NC)                                                 \
  X(O1, 0, O2, 0) X(O1, 0, O2, 1) X(O1, 1, O2, 0) X(O1, 1, O2, 1) X(O1, 2, O2, 0) X(O1, 2, O2, 1)
#define CHB_1(X, O1, NC) CHAIN_BR_2(CHB_F, X, O1)
#define FOR_CHAIN_BRS(X) CHAIN_BR_1(CHB_1, X)
/* XOP_ADD2's halves by ADD_FORM_* (wasm_code.h): the sum of the slot at pa
 * (an address) and cell b. */
#define ADD_V0(pa, b) (uint64_t)(uint32_t)(rd_u32(pa) + rd_u32(SLOT(b)))
#define ADD_V1(pa, b) (uint64_t)(uint32_t)(rd_u32(pa) + (uint32_t)U(b))
#define ADD_V2(pa, b) (*(pa) + *SLOT(b))
#define ADD_V3(pa, b) (*(pa) + U(b))
/* The add of form F whose d|a pair is cell k and b cell k + 1 (XOP_ADD2's
 * halves, XOP_ADD3's thirds, the adds of XOP_ADDBR and XOP_CMPADDBR):
 * writes d; its value is the sum. */
#define ADD_AT(k, F) (fp[PAIR_DST(U(k))] = ADD_V##F(fp + PAIR_SRC(U(k)), (k) + 1))
#define ADD2_F2(X, F1) X(F1, 0) X(F1, 1) X(F1, 2) X(F1, 3)
#define FOR_ADD2(X) ADD2_F2(X, 0) ADD2_F2(X, 1) ADD2_F2(X, 2) ADD2_F2(X, 3)
#define ADD3_F3(X, F1, F2) X(F1, F2, 0) X(F1, F2, 1) X(F1, F2, 2) X(F1, F2, 3)
#define ADD3_F2(X, F1) ADD3_F3(X, F1, 0) ADD3_F3(X, F1, 1) ADD3_F3(X, F1, 2) ADD3_F3(X, F1, 3)
#define FOR_ADD3(X) ADD3_F2(X, 0) ADD3_F2(X, 1) ADD3_F2(X, 2) ADD3_F2(X, 3)
/* Continues after enter/leave. */
#define JUMP(j)                                                              \
  do {                                                                       \
    xjump j_ = (j);                                                          \
    if (UNLIKELY(!j_.ip)) goto stop;                                         \
    ip = j_.ip;                                                              \
    fp = j_.fp;                                                              \
    LOAD_MEM();                                                              \
    NEXT();                                                                  \
  } while (0)


/* gcc turns the loop that zeroes a callee's locals (a few slots) into a
 * call of memset, which costs more than the loop. */
#if defined(__GNUC__) && !defined(__clang__)
#define EXEC_NO_MEMSET __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define EXEC_NO_MEMSET
#endif

/* Runs `entry` (a wasm function) with its params already at fp0. With
 * table_out set, only returns the handler table. */
static EXEC_NO_MEMSET wasm_status interp(wasm_store *s, wasm_func *entry, uint64_t *fp0,
                          wasm_error *err, const void *const **table_out) {
  static const void *const table[XOP_TABLE_SIZE] = {
#if EXEC_VARIANTS
#define GT_NONE(ID, MS)                                                      \
  [WASM_OP_##ID] = &&G_##ID,                                                 \
  [XOPV(XV_K, WASM_OP_##ID)] = HAS_NUMK(NUM_##ID) ? &&GK_##ID : NULL,        \
  [XOPV(XV_BR, WASM_OP_##ID)] = HAS_BR(NUM_##ID) ? &&GB_##ID : NULL,         \
  [XOPV(XV_BRK, WASM_OP_##ID)] = HAS_BRK(NUM_##ID) ? &&GBK_##ID : NULL,      \
  GT_NONE2(ID)
#else
#define GT_NONE(ID, MS) [WASM_OP_##ID] = &&G_##ID,
#endif
#if EXEC_VARIANTS >= 2
#define GT_NONE2(ID)                                                         \
  [XOPV(XV_A1, WASM_OP_##ID)] = HAS_A1(NUM_##ID) ? &&GA1_##ID : NULL,        \
  [XOPV(XV_A1K, WASM_OP_##ID)] = HAS_BINS(NUM_##ID) ? &&GA1K_##ID : NULL,    \
  [XOPV(XV_A2, WASM_OP_##ID)] = HAS_BINS(NUM_##ID) ? &&GA2_##ID : NULL,      \
  [XOPV(XV_BRA1, WASM_OP_##ID)] = HAS_BR(NUM_##ID) ? &&GBA1_##ID : NULL,     \
  [XOPV(XV_BRA1K, WASM_OP_##ID)] = HAS_BRK(NUM_##ID) ? &&GBA1K_##ID : NULL,  \
  [XOPV(XV_BRA2, WASM_OP_##ID)] = HAS_BRK(NUM_##ID) ? &&GBA2_##ID : NULL,    \
  [XOPV(XV_LD, WASM_OP_##ID)] = HAS_BINMEM(NUM_##ID) ? &&GL_##ID : NULL,     \
  [XOPV(XV_ST, WASM_OP_##ID)] = HAS_BINMEM(NUM_##ID) ? &&GS_##ID : NULL,     \
  [XOPV(XV_RMW, WASM_OP_##ID)] = HAS_BINMEM(NUM_##ID) ? &&GR_##ID : NULL,    \
  [XOPV(XV_NW, WASM_OP_##ID)] = HAS_NUMNW(NUM_##ID) ? &&GNNW_##ID : NULL,    \
  [XOPV(XV_K_NW, WASM_OP_##ID)] = HAS_BINNW(NUM_##ID) ? &&GKNW_##ID : NULL,  \
  [XOPV(XV_A1_NW, WASM_OP_##ID)] = HAS_NUMNW(NUM_##ID) ? &&GA1NW_##ID : NULL, \
  [XOPV(XV_A1K_NW, WASM_OP_##ID)] = HAS_BINNW(NUM_##ID) ? &&GA1KNW_##ID : NULL, \
  [XOPV(XV_A2_NW, WASM_OP_##ID)] = HAS_BINNW(NUM_##ID) ? &&GA2NW_##ID : NULL, \
  [XOPV(XV_LD_NW, WASM_OP_##ID)] = HAS_BINMEM(NUM_##ID) ? &&GLNW_##ID : NULL,
#define GT_MEMARG2(ID)                                                       \
  [XOPV(XV_ADDX, WASM_OP_##ID)] = &&GX_##ID,                                 \
  [XOPV(XV_STI, WASM_OP_##ID)] = HAS_STOREI(NUM_##ID) ? &&GI_##ID : NULL,     \
  [XOPV(XV_A1, WASM_OP_##ID)] = HAS_MEMA(NUM_##ID) ? &&GA1_##ID : NULL,      \
  [XOPV(XV_AK, WASM_OP_##ID)] = &&GAK_##ID,                                  \
  [XOPV(XV_NW, WASM_OP_##ID)] = HAS_LOADNW(NUM_##ID) ? &&GNW_##ID : NULL,    \
  [XOPV(XV_ADDK_NW, WASM_OP_##ID)] = HAS_LOADNW(NUM_##ID) ? &&GKNW_##ID : NULL, \
  [XOPV(XV_ADDX_NW, WASM_OP_##ID)] = HAS_LOADNW(NUM_##ID) ? &&GXNW_##ID : NULL, \
  [XOPV(XV_A1_NW, WASM_OP_##ID)] = HAS_LOADNW(NUM_##ID) ? &&GA1NW_##ID : NULL, \
  [XOPV(XV_AK_NW, WASM_OP_##ID)] = HAS_LOADNW(NUM_##ID) ? &&GAKNW_##ID : NULL,
#else
#define GT_NONE2(ID)
#define GT_MEMARG2(ID)
#endif
#define GT_LANE(ID, MS) [WASM_OP_##ID] = &&G_##ID,
#if EXEC_VARIANTS
#define GT_MEMARG(ID, MS)                                                    \
  [WASM_OP_##ID] = &&G_##ID, [XOPV(XV_ADDK, WASM_OP_##ID)] = &&GA_##ID,      \
  GT_MEMARG2(ID)
#else
#define GT_MEMARG(ID, MS) [WASM_OP_##ID] = &&G_##ID,
#endif
#define GT_MEMARG_LANE(ID, MS) [WASM_OP_##ID] = &&G_##ID,
#define GT_(ID, MS)
#define GT_BLOCK GT_
#define GT_LABEL GT_
#define GT_BR_TABLE GT_
#define GT_FUNC GT_
#define GT_CALL_INDIRECT GT_
#define GT_LOCAL GT_
#define GT_GLOBAL GT_
#define GT_TABLE GT_
#define GT_I32 GT_
#define GT_I64 GT_
#define GT_F32 GT_
#define GT_F64 GT_
#define GT_V128 GT_
#define GT_SHUFFLE GT_
#define GT_SELECT_T GT_
#define GT_HEAPTYPE GT_
#define GT_ELEM GT_
#define GT_DATA GT_
#define GT_TABLE_TABLE GT_
#define GT_ELEM_TABLE GT_
#define GT_DATA_MEM GT_
#define GT_MEM GT_
#define GT_MEM_MEM GT_
#define GT_TAG GT_
#define GT_TRY_TABLE GT_
#define OP(ID, NAME, PREFIX, CODE, IMM, SIG, MSIZE) GT_##IMM(ID, MSIZE)
#include "wasm_opcodes.def"
#undef OP
#if EXEC_VARIANTS >= 2
#define GT_CH(FAM, T, O1, F1, O2, F2)                                       \
  [XOP_CHAIN(XOP_CHAIN_##FAM, CHP_##FAM##_2_N, CHP_##FAM##_1_##O1, F1,       \
             CHP_##FAM##_2_##O2, F2)] = &&GC_##O1##_##F1##_##O2##_##F2,
#define GT_CHB(O1, F1, O2, F2)                                               \
  [XOP_CHAIN(XOP_CHAIN_BR, CHP_BR_2_N, CHP_BR_1_##O1, F1, CHP_BR_2_##O2, F2)] = \
      &&GBC_##O1##_##F1##_##O2##_##F2,                                       \
  [XOP_CHAIN_NT - XOP_CHAIN_I32 +                                            \
   XOP_CHAIN(XOP_CHAIN_BR, CHP_BR_2_N, CHP_BR_1_##O1, F1, CHP_BR_2_##O2, F2)] = \
      &&GBCT_##O1##_##F1##_##O2##_##F2,
#define GT_CHT(FAM, T, O1, F1, O2, F2)                                      \
  [XOP_CHAIN_NT - XOP_CHAIN_I32 +                                            \
   XOP_CHAIN(XOP_CHAIN_##FAM, CHP_##FAM##_2_N, CHP_##FAM##_1_##O1, F1,       \
             CHP_##FAM##_2_##O2, F2)] = &&GCT_##O1##_##F1##_##O2##_##F2,     \
  [XOP_CHAIN_NW - XOP_CHAIN_I32 +                                            \
   XOP_CHAIN(XOP_CHAIN_##FAM, CHP_##FAM##_2_N, CHP_##FAM##_1_##O1, F1,       \
             CHP_##FAM##_2_##O2, F2)] = &&GCN_##O1##_##F1##_##O2##_##F2,
      FOR_CHAINS(GT_CH)
      FOR_CHAINS(GT_CHT)
      FOR_CHAIN_BRS(GT_CHB)
#endif
      [WASM_OP_I8X16_SHUFFLE] = &&H_I8X16_SHUFFLE,
      [WASM_OP_MEMORY_SIZE] = &&H_MEMORY_SIZE,
      [WASM_OP_MEMORY_GROW] = &&H_MEMORY_GROW,
      [WASM_OP_MEMORY_INIT] = &&H_MEMORY_INIT,
      [WASM_OP_DATA_DROP] = &&H_DATA_DROP,
      [WASM_OP_MEMORY_COPY] = &&H_MEMORY_COPY,
      [WASM_OP_MEMORY_FILL] = &&H_MEMORY_FILL,
      [WASM_OP_TABLE_GET] = &&H_TABLE_GET,
      [WASM_OP_TABLE_SET] = &&H_TABLE_SET,
      [WASM_OP_TABLE_SIZE] = &&H_TABLE_SIZE,
      [WASM_OP_TABLE_GROW] = &&H_TABLE_GROW,
      [WASM_OP_TABLE_FILL] = &&H_TABLE_FILL,
      [WASM_OP_TABLE_COPY] = &&H_TABLE_COPY,
      [WASM_OP_TABLE_INIT] = &&H_TABLE_INIT,
      [WASM_OP_ELEM_DROP] = &&H_ELEM_DROP,
      [XOP_UNREACHABLE] = &&H_UNREACHABLE,
      [XOP_COPY1] = &&H_COPY1,
      [XOP_COPY1BR] = &&H_COPY1BR,
#define GT_COPIES(N) [XOP_COPY1X##N] = &&H_COPY1X##N, [XOP_COPY1X##N##BR] = &&H_COPY1X##N##BR,
      GT_COPIES(2) GT_COPIES(3) GT_COPIES(4) GT_COPIES(5) GT_COPIES(6) GT_COPIES(7) GT_COPIES(8)
#define GT_MAC(OP, L, T)                                                     \
  [XOP_##OP##_##T] = &&H_##OP##_##T, [XOP_MAC_NT + XOP_##OP##_##T - XOP_MAC_I32] = &&H_##L##_##T,
#define GT_MACS(OP, L) GT_MAC(OP, L, I32) GT_MAC(OP, L, I64) GT_MAC(OP, L, F32) GT_MAC(OP, L, F64)
      GT_MACS(MAC, MACNT)
      GT_MACS(MAC2, MAC2NT)
      GT_MACS(MAC2S, MAC2SNT)
#define GT_ROTX3(V) [XOP_ROTX3 + V] = &&H_ROTX3_##V,
      GT_ROTX3(0) GT_ROTX3(1) GT_ROTX3(2) GT_ROTX3(3)
      GT_ROTX3(4) GT_ROTX3(5) GT_ROTX3(6) GT_ROTX3(7)
      [XOP_MAC2X3] = &&H_MAC2X3_1,
      [XOP_MAC2X3 + 1] = &&H_MAC2X3_0,
      [XOP_MAC2X3 + MAC2X3_CHAINED] = &&H_MAC2X3C_1,
      [XOP_MAC2X3 + MAC2X3_CHAINED + 1] = &&H_MAC2X3C_0,
      [XOP_SWAP32] = &&H_SWAP32,
#define GT_LOAD2(ID, MS) [XOP_LOAD2 + LOAD2_##ID] = &&H_LOAD2_##ID,
      LOAD2_TYPES(GT_LOAD2)
      [XOP_COPY2] = &&H_COPY2,
      [XOP_COPYN] = &&H_COPYN,
      [XOP_CONST] = &&H_CONST,
      [XOP_CONSTX2] = &&H_CONSTX2,
      [XOP_CONST2] = &&H_CONST2,
      [XOP_BR] = &&H_BR,
      [XOP_BR_IF] = &&H_BR_IF,
      [XOP_BR_UNLESS] = &&H_BR_UNLESS,
      [XOP_BR_TABLE] = &&H_BR_TABLE,
      [XOP_RETURN] = &&H_RETURN,
      [XOP_CALL] = &&H_CALL,
      [XOP_CALL_LOCAL] = &&H_CALL_LOCAL,
      [XOP_CALL_LOCAL1] = &&H_CALL_LOCAL1,
      [XOP_GADD] = &&H_GADD,
      [XOP_RETURN1] = &&H_RETURN1,
      [XOP_RETURNK] = &&H_RETURNK,
      [XOP_LDBR_I32] = &&H_LDBR_I32,
      [XOP_LDBR_U8] = &&H_LDBR_U8,
#define GT_ADD2(F1, F2) [XOP_ADD2 + 4 * F1 + F2] = &&H_ADD2_##F1##_##F2,
      FOR_ADD2(GT_ADD2)
#define GT_ADD3(F1, F2, F3) [XOP_ADD3 + 16 * F1 + 4 * F2 + F3] = &&H_ADD3_##F1##_##F2##_##F3,
      FOR_ADD3(GT_ADD3)
      [XOP_GSETK] = &&H_GSETK,
      [WASM_OP_THROW] = &&H_THROW,
      [XOP_THROW_REF] = &&H_THROW_REF,
      [XOP_CALL_INDIRECT] = &&H_CALL_INDIRECT,
      [XOP_SELECT] = &&H_SELECT,
      [XOP_SELECT2] = &&H_SELECT2,
      [XOP_SELECTK] = &&H_SELECTK,
      [XOP_SELECTKA] = &&H_SELECTKA,
      [XOP_SELECTKK] = &&H_SELECTKK,
      [XOP_MOVE32] = &&H_MOVE32,
      [XOP_MOVE64] = &&H_MOVE64,
      [XOP_MOVE8] = &&H_MOVE8,
      [XOP_MOVE32K] = &&H_MOVE32K,
      [XOP_MOVE64K] = &&H_MOVE64K,
      [XOP_MOVE8K] = &&H_MOVE8K,
      [XOP_ADDBR + 0] = &&H_ADDBR_0,
      [XOP_ADDBR + 1] = &&H_ADDBR_1,
      [XOP_ADDBR + 2] = &&H_ADDBR_2,
      [XOP_ADDBR + 3] = &&H_ADDBR_3,
#define GT_CAB(A, CMP, NC)                                                   \
  [XOP_CMPADDBR + 4 * CHP_BR_2_##CMP] = &&H_CAB_##CMP##_00,                  \
  [XOP_CMPADDBR + 4 * CHP_BR_2_##CMP + 1] = &&H_CAB_##CMP##_01,              \
  [XOP_CMPADDBR + 4 * CHP_BR_2_##CMP + 2] = &&H_CAB_##CMP##_10,              \
  [XOP_CMPADDBR + 4 * CHP_BR_2_##CMP + 3] = &&H_CAB_##CMP##_11,
      CHAIN_BR_2(GT_CAB, _)
      [XOP_GLOBAL_GET] = &&H_GLOBAL_GET,
      [XOP_GLOBAL_GET2] = &&H_GLOBAL_GET2,
      [XOP_GLOBAL_SET] = &&H_GLOBAL_SET,
      [XOP_GLOBAL_SET2] = &&H_GLOBAL_SET2,
      [XOP_REF_IS_NULL] = &&H_REF_IS_NULL,
      [XOP_REF_FUNC] = &&H_REF_FUNC,
      [XOP_MEMOP_MULTI] = &&H_MEMOP_MULTI,
  };
  if (table_out) {
    *table_out = table;
    return WASM_OK;
  }

  xstate X;
  memset(&X, 0, sizeof X);
  X.s = s;
  X.err = err;
  X.frames = X.local_frames;
  X.cap_frames = sizeof X.local_frames / sizeof X.local_frames[0];
  X.stack_end = s->stack + s->stack_slots;
  X.max_depth = s->engine->config.max_call_depth;
  if (!X.max_depth) X.max_depth = WASM_DEFAULT_CALL_DEPTH;
  X.depth0 = s->call_depth;
  set_frame_limit(&X);
  X.trap_index = -1;
  set_instance(&X, entry->instance);

  const wasm_cell *ip = NULL;
  uint64_t *fp = NULL;
  xacc acc = {0, 0, 0}; /* the last scalar result, see OP_A */
  uint8_t *mbase;
  uint64_t msize;
  JUMP(enter(&X, entry, fp0, NULL, NULL));

  /* ---- generated numeric, lane and memory handlers ---- */
#define GH_NUM(LABEL, CALL)                                                  \
  LABEL : {                                                                  \
    xres r_ = CALL;                                                          \
    if (UNLIKELY(r_.trap)) TRAP(numtrap_msg(r_.trap));                       \
    ip = r_.ip;                                                              \
    NEXT();                                                                  \
  }
#define GH_PLAIN(ID) GH_NUM(G_##ID, EXEC_NUM(NUM_##ID))
#if EXEC_VARIANTS
#define GH_NONE(ID, MS)                                                      \
  GH_PLAIN(ID)                                                               \
  GH_NUM(GK_##ID, EXEC_NUMK(NUM_##ID))                                       \
  GH_BRANCH(GB_##ID, EXEC_BR(WASM_OP_##ID, NUM_##ID, ))                      \
  GH_BRANCH(GBK_##ID, EXEC_BRK(WASM_OP_##ID, NUM_##ID, k))                   \
  GH_NONE2(ID)
#else
#define GH_NONE(ID, MS) GH_PLAIN(ID)
#endif
#if EXEC_VARIANTS >= 2
#define GH_NONE2(ID)                                                         \
  GH_NUM(GA1_##ID, EXEC_A1(NUM_##ID))                                        \
  GH_NUM(GA1K_##ID, EXEC_BINV(NUM_##ID, a1k))                                \
  GH_NUM(GA2_##ID, EXEC_BINV(NUM_##ID, a2))                                  \
  GH_BRANCH(GBA1_##ID, EXEC_BR(WASM_OP_##ID, NUM_##ID, a1))                  \
  GH_BRANCH(GBA1K_##ID, EXEC_BRK(WASM_OP_##ID, NUM_##ID, a1k))               \
  GH_BRANCH(GBA2_##ID, EXEC_BRK(WASM_OP_##ID, NUM_##ID, a2))                 \
  GH_MEMACCESS(GL_##ID, EXEC_BINMEM(NUM_##ID, ld))                           \
  GH_MEMACCESS(GS_##ID, EXEC_BINMEM(NUM_##ID, st))                           \
  GH_MEMACCESS(GR_##ID, EXEC_BINMEM(NUM_##ID, rmw))                          \
  GH_NUM(GNNW_##ID, EXEC_NUMNW(NUM_##ID, nw))                                \
  GH_NUM(GKNW_##ID, EXEC_BINNW(NUM_##ID, knw))                               \
  GH_NUM(GA1NW_##ID, EXEC_NUMNW(NUM_##ID, a1nw))                             \
  GH_NUM(GA1KNW_##ID, EXEC_BINNW(NUM_##ID, a1knw))                           \
  GH_NUM(GA2NW_##ID, EXEC_BINNW(NUM_##ID, a2nw))                             \
  GH_MEMACCESS(GLNW_##ID, EXEC_BINMEM(NUM_##ID, ldnw))
#define GH_MEMARG2(ID, MS)                                                   \
  GH_MEMACCESS(GX_##ID, EXEC_MEMF(NUM_##ID, MS, x))                          \
  GH_MEMACCESS(GI_##ID, EXEC_MEMS(NUM_##ID, MS, i))                          \
  GH_MEMACCESS(GA1_##ID, EXEC_MEMA(NUM_##ID, MS))                            \
  GH_MEMACCESS(GAK_##ID, EXEC_MEMAK(NUM_##ID, MS))                          \
  GH_MEMACCESS(GNW_##ID, EXEC_MEMNW(NUM_##ID, MS, nw))                       \
  GH_MEMACCESS(GKNW_##ID, EXEC_MEMNW(NUM_##ID, MS, knw))                     \
  GH_MEMACCESS(GXNW_##ID, EXEC_MEMNW(NUM_##ID, MS, xnw))                     \
  GH_MEMACCESS(GA1NW_##ID, EXEC_MEMNW(NUM_##ID, MS, anw))                    \
  GH_MEMACCESS(GAKNW_##ID, EXEC_MEMNW(NUM_##ID, MS, inw))
#else
#define GH_NONE2(ID)
#define GH_MEMARG2(ID, MS)
#endif
/* Only a taken branch may be a back edge (JUMP_TO's budget check). */
#define GH_BRANCH(LABEL, CALL)                                               \
  LABEL : {                                                                  \
    xbr b_ = CALL;                                                           \
    if (b_.taken) JUMP_TO(ip[b_.len - 1].target);                            \
    ip += b_.len;                                                            \
    NEXT();                                                                  \
  }
#define GH_LANE(ID, MS)                                                      \
  G_##ID : {                                                                 \
    xres r_ = EXEC_LANE(NUM_##ID);                                           \
    if (UNLIKELY(r_.trap)) TRAP(numtrap_msg(r_.trap));                       \
    ip = r_.ip;                                                              \
    NEXT();                                                                  \
  }
#define GH_MEMACCESS(LABEL, CALL)                                            \
  LABEL : {                                                                  \
    xres r_ = CALL;                                                          \
    if (UNLIKELY(r_.trap)) TRAP("out of bounds memory access");              \
    ip = r_.ip;                                                              \
    NEXT();                                                                  \
  }
#define GH_MEMARG_LANE(ID, MS) GH_MEMACCESS(G_##ID, EXEC_MEM(NUM_##ID, MS))
#if EXEC_VARIANTS
#define GH_MEMARG(ID, MS)                                                    \
  GH_MEMACCESS(G_##ID, EXEC_MEM(NUM_##ID, MS))                               \
  GH_MEMACCESS(GA_##ID, EXEC_MEMF(NUM_##ID, MS, k))                          \
  GH_MEMARG2(ID, MS)
#else
#define GH_MEMARG GH_MEMARG_LANE
#endif
#define GH_(ID, MS)
#define GH_BLOCK GH_
#define GH_LABEL GH_
#define GH_BR_TABLE GH_
#define GH_FUNC GH_
#define GH_CALL_INDIRECT GH_
#define GH_LOCAL GH_
#define GH_GLOBAL GH_
#define GH_TABLE GH_
#define GH_I32 GH_
#define GH_I64 GH_
#define GH_F32 GH_
#define GH_F64 GH_
#define GH_V128 GH_
#define GH_SHUFFLE GH_
#define GH_SELECT_T GH_
#define GH_HEAPTYPE GH_
#define GH_ELEM GH_
#define GH_DATA GH_
#define GH_TABLE_TABLE GH_
#define GH_ELEM_TABLE GH_
#define GH_DATA_MEM GH_
#define GH_MEM GH_
#define GH_MEM_MEM GH_
#define GH_TAG GH_
#define GH_TRY_TABLE GH_
#define OP(ID, NAME, PREFIX, CODE, IMM, SIG, MSIZE) GH_##IMM(ID, MSIZE)
#include "wasm_opcodes.def"
#undef OP
#if EXEC_VARIANTS >= 2
  /* ---- chains (wasm_code.h): t = op1(a, b); dst = op2(t, c) ---- */
/* L: the label's prefix; WT, WD: whether t and dst are written (the
 * twins at XOP_CHAIN_NT and XOP_CHAIN_NW leave them out). */
#define GH_CHW(L, WT, WD, T, O1, F1, O2, F2)                                 \
  L##_##O1##_##F1##_##O2##_##F2 : {                                          \
    x##T t_ = NUM_##O1(CH_A_##F1(T, 2), CH_B_##F1(T, 3));                    \
    x##T r_ = CH_OP2_##F2(O2, T, t_);                                        \
    if (WT) wr_##T(SLOT(5), t_);                                             \
    if (WD) wr_##T(SLOT(1), r_);                                             \
    acc_set_##T(&acc, r_);                                                   \
    ip += 6;                                                                 \
    NEXT();                                                                  \
  }
#define GH_CH(FAM, T, O1, F1, O2, F2)                                        \
  GH_CHW(GC, 1, 1, T, O1, F1, O2, F2)                                        \
  GH_CHW(GCT, 0, 1, T, O1, F1, O2, F2)                                       \
  GH_CHW(GCN, 0, 0, T, O1, F1, O2, F2)
#define GH_CHBW(L, WT, O1, F1, O2, F2)                                       \
  L##_##O1##_##F1##_##O2##_##F2 : {                                          \
    xu32 t_ = NUM_##O1(CH_A_##F1(u32, 1), CH_B_##F1(u32, 2));                \
    if (WT) wr_u32(SLOT(4), t_);                                             \
    if (NUM_##O2(t_, CH_B_##F2(u32, 3))) JUMP_TO(ip[6].target); /* nz is 1 */ \
    ip += 7;                                                                 \
    NEXT();                                                                  \
  }
#define GH_CHB(O1, F1, O2, F2)                                               \
  GH_CHBW(GBC, 1, O1, F1, O2, F2) GH_CHBW(GBCT, 0, O1, F1, O2, F2)
  FOR_CHAINS(GH_CH)
  FOR_CHAIN_BRS(GH_CHB)
#endif
  /* ---- data movement ---- */
#define COPY_AT(k) fp[PAIR_DST(U(k))] = fp[PAIR_SRC(U(k))];
#define COPIES_1 COPY_AT(1)
#define COPIES_2 COPIES_1 COPY_AT(2)
#define COPIES_3 COPIES_2 COPY_AT(3)
#define COPIES_4 COPIES_3 COPY_AT(4)
#define COPIES_5 COPIES_4 COPY_AT(5)
#define COPIES_6 COPIES_5 COPY_AT(6)
#define COPIES_7 COPIES_6 COPY_AT(7)
#define COPIES_8 COPIES_7 COPY_AT(8)
#define GH_COPIES(N, LABEL, LABEL_BR)                                        \
  LABEL : COPIES_##N ip += 1 + N;                                            \
  NEXT();                                                                    \
  LABEL_BR : COPIES_##N JUMP_TO(ip[1 + N].target);
  GH_COPIES(1, H_COPY1, H_COPY1BR)
  GH_COPIES(2, H_COPY1X2, H_COPY1X2BR)
  GH_COPIES(3, H_COPY1X3, H_COPY1X3BR)
  GH_COPIES(4, H_COPY1X4, H_COPY1X4BR)
  GH_COPIES(5, H_COPY1X5, H_COPY1X5BR)
  GH_COPIES(6, H_COPY1X6, H_COPY1X6BR)
  GH_COPIES(7, H_COPY1X7, H_COPY1X7BR)
  GH_COPIES(8, H_COPY1X8, H_COPY1X8BR)
#define GH_MAC(LABEL, P, WT)                                                 \
  GH_MEMACCESS(LABEL, ex_mac_##P(fp, ip, &acc, mbase, msize, rd_u32(SLOT(1)), \
                                 rd_u32(SLOT(3)), rd_##P(SLOT(2)), WT))
  GH_MAC(H_MAC_I32, u32, 1)
  GH_MAC(H_MAC_I64, u64, 1)
  GH_MAC(H_MAC_F32, f32, 1)
  GH_MAC(H_MAC_F64, f64, 1)
  GH_MAC(H_MACNT_I32, u32, 0)
  GH_MAC(H_MACNT_I64, u64, 0)
  GH_MAC(H_MACNT_F32, f32, 0)
  GH_MAC(H_MACNT_F64, f64, 0)
/* The XOP_MAC2* at cell o, its adds of form V, x the value of x (read
 * where it is used: after the adds' writes). The addresses go to the mac
 * as values, not back through their slots: a slot read right after its
 * write waits for the store to forward. */
#define MAC2_AT(o, P, V, x, WT)                                              \
  do {                                                                       \
    uint64_t b_ = ADD_V##V(SLOT((o) + 9), (o) + 10);                         \
    uint64_t a_ = ADD_V##V(SLOT((o) + 12), (o) + 13);                        \
    *SLOT((o) + 8) = b_;                                                     \
    *SLOT((o) + 11) = a_;                                                    \
    MAC_AT(o, P, b_, a_, x, WT);                                             \
  } while (0)
/* The mac part of the XOP_MAC2* at cell o, on the values of B and A. */
#define MAC_AT(o, P, b, a, x, WT)                                            \
  do {                                                                       \
    xres r_ = ex_mac_##P(fp, ip + (o), &acc, mbase, msize, (xu32)(b), (xu32)(a), x, WT); \
    if (UNLIKELY(r_.trap)) {                                                 \
      ip += (o);                                                             \
      TRAP("out of bounds memory access");                                   \
    }                                                                        \
  } while (0)
#define GH_MAC2(LABEL, P, V, WT)                                             \
  LABEL : {                                                                  \
    MAC2_AT(0, P, V, rd_##P(SLOT(2)), WT);                                   \
    ip += 14;                                                                \
    NEXT();                                                                  \
  }
#define GH_MAC2S(W, T, WT)                                                   \
  GH_MAC2(H_MAC2##W##_I32, u32, T, WT) GH_MAC2(H_MAC2##W##_I64, u64, T, WT)  \
  GH_MAC2(H_MAC2##W##_F32, f32, T, WT) GH_MAC2(H_MAC2##W##_F64, f64, T, WT)
  GH_MAC2S(, 1, 1)
  GH_MAC2S(S, 0, 1)
  GH_MAC2S(NT, 1, 0)
  GH_MAC2S(SNT, 0, 0)
/* XOP_ROTX3 + V (wasm_code.h): the cells of the three instructions it
 * stands for: k1 at 3, k2 at 7, d3 at 11, k3 at 13. */
#define GH_ROTX3(V)                                                          \
  H_ROTX3_##V : {                                                            \
    xu32 a_ = (V) & ROTX3_A1 ? acc_u32(&acc) : rd_u32(SLOT(2));              \
    xu32 r_ = NUM_I32_ROTL(a_, (xu32)U(3)) ^ NUM_I32_ROTL(a_, (xu32)U(7)) ^  \
              ((V) & ROTX3_SHR ? NUM_I32_SHR_U(a_, (xu32)U(13))              \
                               : NUM_I32_ROTL(a_, (xu32)U(13)));             \
    if (!((V) & ROTX3_NW)) wr_u32(SLOT(11), r_);                             \
    acc_set_u32(&acc, r_);                                                   \
    ip += ROTX3_CELLS;                                                       \
    NEXT();                                                                  \
  }
  GH_ROTX3(0) GH_ROTX3(1) GH_ROTX3(2) GH_ROTX3(3)
  GH_ROTX3(4) GH_ROTX3(5) GH_ROTX3(6) GH_ROTX3(7)
/* XOP_MAC2X3 (wasm_code.h): three XOP_MAC2 NT twins on the x read once. */
#define GH_MAC2X3(V)                                                         \
  H_MAC2X3_##V : {                                                           \
    xf64 x_ = rd_f64(SLOT(2));                                               \
    MAC2_AT(0, f64, V, x_, 0);                                               \
    MAC2_AT(14, f64, 1, x_, 0);                                              \
    MAC2_AT(28, f64, 1, x_, 0);                                              \
    ip += 42;                                                                \
    NEXT();                                                                  \
  }
  GH_MAC2X3(0) GH_MAC2X3(1)
/* + MAC2X3_CHAINED: the later two addresses are the first's plus their
 * constants (K1 at 24 and 38, K2 at 27 and 41); their a-addresses (cells
 * 25, 39) are not written. */
#define GH_MAC2X3C(V)                                                        \
  H_MAC2X3C_##V : {                                                          \
    xf64 x_ = rd_f64(SLOT(2));                                               \
    uint64_t b1_ = ADD_V##V(SLOT(9), 10), a1_ = ADD_V##V(SLOT(12), 13);     \
    xu32 b2_ = (xu32)b1_ + (xu32)U(24), a2_ = (xu32)a1_ + (xu32)U(27);       \
    xu32 b3_ = (xu32)b1_ + (xu32)U(38), a3_ = (xu32)a1_ + (xu32)U(41);       \
    *SLOT(8) = b1_;                                                          \
    *SLOT(11) = a1_;                                                         \
    *SLOT(22) = b2_;                                                         \
    *SLOT(36) = b3_;                                                         \
    MAC_AT(0, f64, b1_, a1_, x_, 0);                                         \
    MAC_AT(14, f64, b2_, a2_, x_, 0);                                        \
    MAC_AT(28, f64, b3_, a3_, x_, 0);                                        \
    ip += 42;                                                                \
    NEXT();                                                                  \
  }
  GH_MAC2X3C(0) GH_MAC2X3C(1)
H_COPY2: {
  uint64_t *d = SLOT(1), *a = SLOT(2);
  uint64_t lo = a[0], hi = a[1];
  d[0] = lo;
  d[1] = hi;
  ip += 3;
  NEXT();
}
H_COPYN: {
  uint64_t *d = SLOT(1), *a = SLOT(2);
  for (uint64_t i = 0, n = U(3); i < n; i++) d[i] = a[i]; /* d < a: forward */
  ip += 4;
  NEXT();
}
H_CONST:
  *SLOT(1) = U(2);
  ip += 3;
  NEXT();
H_CONSTX2:
  *SLOT(1) = U(2);
  *SLOT(3) = U(4);
  ip += 5;
  NEXT();
H_CONST2: {
  uint64_t *d = SLOT(1);
  d[0] = U(2);
  d[1] = U(3);
  ip += 4;
  NEXT();
}
#define GH_SELECT(LABEL, A, B)                                               \
  LABEL:                                                                     \
  *SLOT(1) = rd_u32(SLOT(4)) ? (A) : (B);                                    \
  ip += 5;                                                                   \
  NEXT();
  GH_SELECT(H_SELECT, *SLOT(2), *SLOT(3))
  GH_SELECT(H_SELECTK, *SLOT(2), U(3))
  GH_SELECT(H_SELECTKA, U(2), *SLOT(3))
  GH_SELECT(H_SELECTKK, U(2), U(3))
H_SELECT2: {
  uint64_t *src = rd_u32(SLOT(4)) ? SLOT(2) : SLOT(3);
  uint64_t *d = SLOT(1);
  uint64_t lo = src[0], hi = src[1];
  d[0] = lo;
  d[1] = hi;
  ip += 5;
  NEXT();
}
H_GLOBAL_GET:
  memcpy(SLOT(1), &X.globals[U(2)]->value.of, 8);
  ip += 3;
  NEXT();
H_GLOBAL_GET2:
  memcpy(SLOT(1), &X.globals[U(2)]->value.of, 16);
  ip += 3;
  NEXT();
H_GLOBAL_SET:
  memcpy(&X.globals[U(1)]->value.of, SLOT(2), 8);
  ip += 3;
  NEXT();
H_GADD: {
  wasm_global *g_ = X.globals[U(3)];
  uint32_t old;
  memcpy(&old, &g_->value.of, 4);
  wr_u32(SLOT(4), old);
  wr_u32(SLOT(1), old + (uint32_t)U(2));
  memcpy(&g_->value.of, SLOT(1), 8);
  ip += 5;
  NEXT();
}
H_GSETK:
  wr_u32(SLOT(1), rd_u32(SLOT(2)) + (uint32_t)U(3));
  memcpy(&X.globals[U(4)]->value.of, SLOT(1), 8);
  ip += 5;
  NEXT();
H_GLOBAL_SET2:
  memcpy(&X.globals[U(1)]->value.of, SLOT(2), 16);
  ip += 3;
  NEXT();
H_REF_IS_NULL:
  *SLOT(1) = *SLOT(2) == 0;
  ip += 3;
  NEXT();
H_REF_FUNC:
  *SLOT(1) = (uint64_t)(uintptr_t)X.inst->funcs[U(2)];
  ip += 3;
  NEXT();
H_I8X16_SHUFFLE: {
  uint8_t lanes[16];
  memcpy(lanes, &ip[4].u, 8);
  memcpy(lanes + 8, &ip[5].u, 8);
  wr_v128(SLOT(1), NUM_I8X16_SHUFFLE(rd_v128(SLOT(2)), rd_v128(SLOT(3)), lanes));
  ip += 6;
  NEXT();
}

  /* ---- control ---- */
H_UNREACHABLE:
  TRAP("unreachable");
H_BR:
  JUMP_TO(ip[1].target);
H_BR_IF:
  if (rd_u32(SLOT(1))) JUMP_TO(ip[2].target);
  ip += 3;
  NEXT();
H_BR_UNLESS:
  if (!rd_u32(SLOT(1))) JUMP_TO(ip[2].target);
  ip += 3;
  NEXT();
H_BR_TABLE: {
  uint64_t i = rd_u32(SLOT(1)), n = U(2);
  JUMP_TO(ip[3 + (i < n ? i : n)].target);
}
H_CALL: {
  /* Fast path, inline: a compiled wasm function of the same instance with
   * room for its frame and budget left; everything else goes to enter(). */
  wasm_func *callee = X.inst->funcs[U(1)];
  uint64_t *nfp = fp + U(2);
  const wasm_code *code = callee->def ? callee->def->code : NULL;
  if (LIKELY(code && !callee->host && callee->instance == X.inst))
    CALL_FAST(callee, code, code->cells, nfp, 3);
  JUMP(enter(&X, callee, nfp, ip + 3, fp));
}
H_CALL_LOCAL: { /* a function the module defines: same instance, compiled */
  wasm_func *callee = X.inst->funcs[U(1)];
  uint64_t *nfp = fp + U(2);
  CALL_FAST(callee, ip[4].ptr, ip[3].target, nfp, 5);
  JUMP(enter(&X, callee, nfp, ip + 5, fp));
}
H_CALL_LOCAL1: { /* the same after a copy (of an argument) */
  *SLOT(3) = *SLOT(4);
  wasm_func *callee = X.inst->funcs[U(1)];
  uint64_t *nfp = fp + U(2);
  CALL_FAST(callee, ip[6].ptr, ip[5].target, nfp, 7);
  JUMP(enter(&X, callee, nfp, ip + 7, fp));
}
H_CALL_INDIRECT: {
  wasm_table *tab = X.inst->tables[U(2)];
  uint64_t i = rd_u32(SLOT(4));
  if (UNLIKELY(i >= tab->size)) TRAP_INDEX("undefined element", i);
  wasm_func *callee = tab->elems[i];
  if (UNLIKELY(!callee)) TRAP_INDEX("uninitialized element", i);
  const wasm_functype *want = &X.inst->module->types[U(1)];
  if (UNLIKELY(callee->type != want && !wasm_functype_equal(callee->type, want)))
    TRAP("indirect call type mismatch");
  JUMP(enter(&X, callee, fp + U(3), ip + 5, fp));
}
#define GH_ADD2(F1, F2)                                                      \
  H_ADD2_##F1##_##F2 : {                                                     \
    ADD_AT(1, F1);                                                           \
    acc.i = ADD_AT(3, F2);                                                   \
    ip += 5;                                                                 \
    NEXT();                                                                  \
  }
  FOR_ADD2(GH_ADD2)
#define GH_ADD3(F1, F2, F3)                                                  \
  H_ADD3_##F1##_##F2##_##F3 : {                                              \
    ADD_AT(1, F1);                                                           \
    ADD_AT(3, F2);                                                           \
    acc.i = ADD_AT(5, F3);                                                   \
    ip += 7;                                                                 \
    NEXT();                                                                  \
  }
  FOR_ADD3(GH_ADD3)
#define GH_ADDBR(F)                                                          \
  H_ADDBR_##F : {                                                            \
    ADD_AT(1, F);                                                            \
    if ((rd_u32(SLOT(3)) != 0) == U(4)) JUMP_TO(ip[5].target);               \
    ip += 6;                                                                 \
    NEXT();                                                                  \
  }
  GH_ADDBR(0) GH_ADDBR(1) GH_ADDBR(2) GH_ADDBR(3)
/* XOP_CMPADDBR: the compare's b a slot (KB 0) or an immediate (1), the add
 * of form ADD_FORM_I32 + KY. */
#define CAB_B0 rd_u32(SLOT(3))
#define CAB_B1 (uint32_t)U(3)
#define GH_CAB_K(CMP, KB, KY)                                                \
  H_CAB_##CMP##_##KB##KY : {                                                 \
    xu32 t_ = NUM_##CMP(rd_u32(SLOT(2)), CAB_B##KB);                         \
    *SLOT(1) = t_;                                                           \
    ADD_AT(4, KY);                                                           \
    if (t_) JUMP_TO(ip[7].target); /* nz is 1 */                             \
    ip += 8;                                                                 \
    NEXT();                                                                  \
  }
#define GH_CAB(A, CMP, NC)                                                   \
  GH_CAB_K(CMP, 0, 0) GH_CAB_K(CMP, 0, 1) GH_CAB_K(CMP, 1, 0) GH_CAB_K(CMP, 1, 1)
  CHAIN_BR_2(GH_CAB, _)
/* v = the MT at (i32)(slot of cell 2 + cell 4) + cell 3, the load of the
 * fused load forms below; written to the slot of cell 1 too. */
#define LOAD_C234(MT, v)                                                     \
  MT v;                                                                      \
  do {                                                                       \
    uint64_t a_ = (uint64_t)(uint32_t)(rd_u32(SLOT(2)) + (uint32_t)U(4)) + U(3); \
    if (UNLIKELY(a_ + sizeof(MT) > msize)) TRAP("out of bounds memory access"); \
    memcpy(&v, mbase + a_, sizeof v);                                        \
    *SLOT(1) = v;                                                            \
  } while (0)
#define GH_LDBR(LABEL, MT)                                                   \
  LABEL : {                                                                  \
    LOAD_C234(MT, v_);                                                       \
    if ((v_ != 0) == U(5)) JUMP_TO(ip[6].target);                            \
    ip += 7;                                                                 \
    NEXT();                                                                  \
  }
  GH_LDBR(H_LDBR_I32, uint32_t)
  GH_LDBR(H_LDBR_U8, uint8_t)
#define GH_MOVE(LABEL, MT)                                                   \
  LABEL : {                                                                  \
    LOAD_C234(MT, v_); /* before the store's address is read: it may be dst */ \
    uint64_t b_ = (uint64_t)rd_u32(SLOT(5)) + U(6);                          \
    if (UNLIKELY(b_ + sizeof(MT) > msize)) TRAP("out of bounds memory access"); \
    memcpy(mbase + b_, &v_, sizeof v_);                                      \
    ip += 7;                                                                 \
    NEXT();                                                                  \
  }
  GH_MOVE(H_MOVE32, uint32_t)
/* XOP_LOAD2 (wasm_code.h): the two loads, at ip and ip + 4. */
#define GH_LOAD2(ID, MS)                                                     \
  H_LOAD2_##ID : {                                                           \
    if (UNLIKELY(EXEC_MEM(NUM_##ID, MS).trap)) TRAP("out of bounds memory access"); \
    ip += 4;                                                                 \
    if (UNLIKELY(EXEC_MEM(NUM_##ID, MS).trap)) TRAP("out of bounds memory access"); \
    ip += 4;                                                                 \
    NEXT();                                                                  \
  }
  LOAD2_TYPES(GH_LOAD2)
/* XOP_SWAP32 (wasm_code.h) over [h, t, a, off] [h, v, a, off, K, b, off2]
 * [h, addr, val, off]: the three instructions' reads and writes in their
 * order, traps included (a slot may be another's address). Written out
 * rather than run through the load and store helpers: those also set the
 * accumulator and step ip, and cost fannkuch 3-4% (A/B best of 11). */
#define SWAP_AT(p, ea)                                                       \
  uint64_t p##_a = (ea);                                                     \
  if (UNLIKELY(p##_a + 4 > msize)) TRAP("out of bounds memory access");      \
  uint8_t *p = mbase + p##_a
H_SWAP32: {
  SWAP_AT(pt, (uint64_t)rd_u32(SLOT(2)) + U(3));
  uint32_t t_, v_;
  memcpy(&t_, pt, 4);
  *SLOT(1) = t_;
  SWAP_AT(pv, (uint64_t)(uint32_t)(rd_u32(SLOT(6)) + (uint32_t)U(8)) + U(7));
  memcpy(&v_, pv, 4);
  *SLOT(5) = v_;
  SWAP_AT(pb, (uint64_t)rd_u32(SLOT(9)) + U(10));
  memcpy(pb, &v_, 4);
  SWAP_AT(ps, (uint64_t)rd_u32(SLOT(12)) + U(14));
  t_ = rd_u32(SLOT(13));
  memcpy(ps, &t_, 4);
  ip += 15;
  NEXT();
}
  GH_MOVE(H_MOVE64, uint64_t)
  GH_MOVE(H_MOVE8, uint8_t)
/* XOP_MOVE*K: the store's address is read before the load writes dst. */
#define GH_MOVEK(LABEL, MT)                                                  \
  LABEL : {                                                                  \
    uint64_t b_ = (uint64_t)(uint32_t)(rd_u32(SLOT(5)) + (uint32_t)U(7)) + U(6); \
    LOAD_C234(MT, v_);                                                       \
    if (UNLIKELY(b_ + sizeof(MT) > msize)) TRAP("out of bounds memory access"); \
    memcpy(mbase + b_, &v_, sizeof v_);                                      \
    ip += 8;                                                                 \
    NEXT();                                                                  \
  }
  GH_MOVEK(H_MOVE32K, uint32_t)
  GH_MOVEK(H_MOVE64K, uint64_t)
  GH_MOVEK(H_MOVE8K, uint8_t)
H_RETURN1:
  fp[0] = *SLOT(1);
  goto H_RETURN;
H_RETURNK:
  fp[0] = U(1);
  goto H_RETURN;
H_RETURN: {
  /* Fast path: back to a caller of the same instance (not the entry). */
  frame *f_ = &X.frames[X.nframes - 1];
  if (LIKELY(f_->func_same & FRAME_SAME)) {
    X.nframes--;
    ip = f_->ip;
    fp = f_->fp;
    NEXT();
  }
  JUMP(leave(&X));
}
H_THROW: /* [h, tag, argbase, nslots] */
  JUMP(throw_exn(&X, X.inst->tags[U(1)], SLOT(2), (uint32_t)U(3), NULL, ip, fp));
H_THROW_REF: { /* [h, src] */
  wasm_exn *e = (wasm_exn *)(uintptr_t)*SLOT(1);
  if (!e) TRAP("null exception reference");
  JUMP(throw_exn(&X, e->tag, e->payload, e->nslots, e, ip, fp));
}
H_MEMOP_MULTI: { /* memory != 0 (wasm_exec_mem.c); it may alias memory 0 */
  const char *msg = NULL;
  const wasm_cell *next = wasm_exec_memop_multi(X.inst, fp, ip, &msg);
  if (UNLIKELY(!next)) TRAP(msg);
  ip = next;
  LOAD_MEM();
  NEXT();
}

  /* ---- memory ---- */
H_MEMORY_SIZE:
  wr_u32(SLOT(1), (uint32_t)(msize / WASM_PAGE_SIZE));
  ip += 2;
  NEXT();
H_MEMORY_GROW: {
  int64_t r = wasm_memory_grow(X.mem0, rd_u32(SLOT(2)));
  wr_u32(SLOT(1), (uint32_t)(int32_t)r);
  LOAD_MEM();
  ip += 3;
  NEXT();
}
H_MEMORY_INIT: { /* [h, seg, mem, d, s, n] */
  uint64_t seg = U(1);
  uint64_t d = rd_u32(SLOT(3)), src = rd_u32(SLOT(4)), n = rd_u32(SLOT(5));
  const wasm_data *ds = &X.inst->module->datas[seg];
  uint64_t len = X.inst->data_dropped[seg] ? 0 : ds->len;
  if (src + n > len || d + n > msize) TRAP("out of bounds memory access");
  if (n) memcpy(mbase + d, ds->bytes + src, n);
  ip += 6;
  NEXT();
}
H_DATA_DROP:
  X.inst->data_dropped[U(1)] = 1;
  ip += 2;
  NEXT();
H_MEMORY_COPY: { /* [h, d, s, n] */
  uint64_t d = rd_u32(SLOT(1)), src = rd_u32(SLOT(2)), n = rd_u32(SLOT(3));
  if (src + n > msize || d + n > msize) TRAP("out of bounds memory access");
  if (n) memmove(mbase + d, mbase + src, n);
  ip += 4;
  NEXT();
}
H_MEMORY_FILL: { /* [h, d, val, n] */
  uint64_t d = rd_u32(SLOT(1)), n = rd_u32(SLOT(3));
  if (d + n > msize) TRAP("out of bounds memory access");
  if (n) memset(mbase + d, (int)(uint8_t)rd_u32(SLOT(2)), n);
  ip += 4;
  NEXT();
}

  /* ---- tables ---- */
H_TABLE_GET: { /* [h, dst, idx, table] */
  wasm_table *t = X.inst->tables[U(3)];
  uint64_t i = rd_u32(SLOT(2));
  if (i >= t->size) TRAP("out of bounds table access");
  *SLOT(1) = (uint64_t)(uintptr_t)t->elems[i];
  ip += 4;
  NEXT();
}
H_TABLE_SET: { /* [h, table, idx, val] */
  wasm_table *t = X.inst->tables[U(1)];
  uint64_t i = rd_u32(SLOT(2));
  if (i >= t->size) TRAP("out of bounds table access");
  t->elems[i] = (void *)(uintptr_t)*SLOT(3);
  ip += 4;
  NEXT();
}
H_TABLE_SIZE:
  wr_u32(SLOT(1), (uint32_t)X.inst->tables[U(2)]->size);
  ip += 3;
  NEXT();
H_TABLE_GROW: { /* [h, dst, init, n, table] */
  int64_t r = wasm_table_grow(X.inst->tables[U(4)], rd_u32(SLOT(3)),
                              (void *)(uintptr_t)*SLOT(2));
  wr_u32(SLOT(1), (uint32_t)(int32_t)r);
  ip += 5;
  NEXT();
}
H_TABLE_FILL: { /* [h, table, i, val, n] */
  wasm_table *t = X.inst->tables[U(1)];
  uint64_t i = rd_u32(SLOT(2)), n = rd_u32(SLOT(4));
  void *v = (void *)(uintptr_t)*SLOT(3);
  if (i + n > t->size) TRAP("out of bounds table access");
  for (uint64_t k = 0; k < n; k++) t->elems[i + k] = v;
  ip += 5;
  NEXT();
}
H_TABLE_COPY: { /* [h, dst table, src table, d, s, n] */
  wasm_table *td = X.inst->tables[U(1)], *ts = X.inst->tables[U(2)];
  uint64_t d = rd_u32(SLOT(3)), src = rd_u32(SLOT(4)), n = rd_u32(SLOT(5));
  if (src + n > ts->size || d + n > td->size) TRAP("out of bounds table access");
  if (n) memmove(td->elems + d, ts->elems + src, n * sizeof(void *));
  ip += 6;
  NEXT();
}
H_TABLE_INIT: { /* [h, elem, table, d, s, n] */
  uint64_t seg = U(1);
  wasm_table *t = X.inst->tables[U(2)];
  uint64_t d = rd_u32(SLOT(3)), src = rd_u32(SLOT(4)), n = rd_u32(SLOT(5));
  const wasm_elem *es = &X.inst->module->elems[seg];
  uint64_t len = X.inst->elem_dropped[seg] ? 0 : es->count;
  if (src + n > len || d + n > t->size) TRAP("out of bounds table access");
  for (uint64_t k = 0; k < n; k++) {
    void *ref = NULL;
    if (es->func_indices) {
      ref = X.inst->funcs[es->func_indices[src + k]];
    } else {
      wasm_val v;
      wasm_status st = wasm_eval_const(X.inst, es->exprs[src + k], es->elem_kind, &v, err);
      if (st != WASM_OK) {
        X.status = st;
        goto stop;
      }
      ref = v.of.ref;
    }
    t->elems[d + k] = ref;
  }
  ip += 6;
  NEXT();
}
H_ELEM_DROP:
  X.inst->elem_dropped[U(1)] = 1;
  ip += 2;
  NEXT();

trap:
  if (X.status == WASM_OK) X.status = WASM_TRAP;
stop:
  if (X.rethrow) { /* an exception crossed a host function: throw it on */
    X.rethrow = false;
    JUMP(unwind(&X, X.throw_at, X.throw_fp));
  }
  if (X.status != WASM_OK && X.trap_msg) {
    char name[96];
    func_name(X.nframes ? cur_func(&X) : entry, name, sizeof name);
    if (X.trap_index >= 0)
      wasm_fail(err, X.status, "%s %lld (in function %s)", X.trap_msg,
                (long long)X.trap_index, name);
    else
      wasm_fail(err, X.status, "%s (in function %s)", X.trap_msg, name);
  }
  budget_return(&X);
  s->call_depth = X.depth0;
  if (X.frames != X.local_frames) free(X.frames);
  return X.status;
}

const void *const *wasm_exec_handlers(void) {
  const void *const *t = NULL;
  interp(NULL, NULL, NULL, NULL, &t);
  return t;
}

wasm_status wasm_exec_call(wasm_store *s, wasm_func *f, const wasm_val *args,
                           wasm_val *results, wasm_error *err) {
  const wasm_functype *t = f->type;
  if (f->host) {
    if (exec_nesting >= EXEC_MAX_NESTING)
      return wasm_fail(err, WASM_EXHAUSTED, "call stack exhausted");
    exec_nesting++;
    wasm_status st = f->host(f->env, args, results, err);
    exec_nesting--;
    return st;
  }
  if (!s->stack) {
    size_t bytes = s->engine->config.max_stack_bytes;
    if (!bytes) bytes = WASM_DEFAULT_STACK_BYTES;
    s->stack_slots = bytes / sizeof(uint64_t);
    s->stack = malloc(s->stack_slots * sizeof(uint64_t));
    if (!s->stack) {
      s->stack_slots = 0;
      return wasm_fail(err, WASM_NOMEM, "out of memory for the value stack");
    }
    s->stack_top = 0;
  }
  uint32_t ps = slots_of(t->types, t->nparams);
  uint32_t rs = slots_of(t->types + t->nparams, t->nresults);
  if (exec_nesting >= EXEC_MAX_NESTING || s->stack_top > s->stack_slots ||
      s->stack_slots - s->stack_top < (ps > rs ? ps : rs))
    return wasm_fail(err, WASM_EXHAUSTED, "call stack exhausted");
  uint64_t *base = s->stack + s->stack_top;
  vals_to_slots(base, t->types, t->nparams, args);
  size_t saved_top = s->stack_top;
  exec_nesting++;
  wasm_status st = interp(s, f, base, err, NULL);
  exec_nesting--;
  s->stack_top = saved_top;
  if (st == WASM_OK) vals_from_slots(base, t->types + t->nparams, t->nresults, results);
  return st;
}
