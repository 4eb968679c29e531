/*
 * wasm_code.h: the internal code that wasm_compile.c produces and
 * wasm_exec.c runs.
 *
 * A function's code is an array of 8-byte cells. An instruction is one cell
 * holding its handler's address (a computed-goto label inside the
 * interpreter) followed by its operand cells. Operands are decoded
 * immediates or slot numbers: a frame is a window of the store's value stack
 * (8-byte slots, a v128 takes two), laid out as params, locals, then the
 * operand stack. Because the operand stack height is known statically at
 * every instruction, each instruction names its inputs and output as slot
 * numbers relative to the frame pointer, e.g. `i32.add dst a b`.
 *
 * Encodings (operands after the handler cell, in order):
 *   numeric op (IMM NONE, fixed sig)   dst, in1 [, in2 [, in3]]
 *   lane op                            dst, in1 [, in2], lane
 *   i8x16.shuffle                      dst, a, b, lanes[0..7], lanes[8..15]
 *   load / SIMD load                   dst, addr, offset
 *   store                              addr, value, offset
 *   lane load                          dst, addr, vec, offset, lane
 *   lane store                         addr, vec, offset, lane
 *   COPY1 / COPY2                      dst, src            (1 or 2 slots)
 *   COPYN                              dst, src, nslots
 *   COPY1X2                            dst1, src1, dst2, src2
 *   CONST                              dst, value
 *   CONST2                             dst, lo, hi         (v128)
 *   BR                                 target
 *   BR_IF / BR_UNLESS                  cond, target
 *   BR_TABLE                           index, n, target[0..n] (last: default)
 *   RETURN                             -                   (results at slot 0)
 *   CALL                               func index, argbase
 *   CALL_INDIRECT                      type index, table, argbase, index slot
 *   SELECT / SELECT2                   dst, a, b, cond
 *   GLOBAL_GET(2)                      dst, global index
 *   GLOBAL_SET(2)                      global index, src
 *   memory / table / ref ops           see the handlers in wasm_exec.c
 * Branch targets are absolute cell addresses. A call's arguments are the
 * caller's slots from argbase up: they become the callee's params without a
 * copy, and the results land at argbase.
 *
 * Opcode numbers: below WASM_OP_COUNT an internal opcode is the handler of
 * that wasm instruction (the generated numeric handlers, loads, stores,
 * lane ops, bulk ops...); the XOP_* values above it are internal-only
 * instructions, then come the generated variants (XOPV below).
 * Superinstructions get new XOP_* values or variants.
 */
#ifndef WASM_CODE_H
#define WASM_CODE_H

#include <stddef.h>
#include <stdint.h>

#include "wasm_opcodes.h"

typedef union wasm_cell {
  const void *h;               /* handler address */
  uint64_t u;                  /* operand: slot, index, immediate */
  int64_t i;
  const union wasm_cell *target; /* branch target */
} wasm_cell;

enum wasm_xop {
  XOP_FIRST = WASM_OP_COUNT - 1,
  XOP_UNREACHABLE,
  XOP_COPY1,
  XOP_COPY2,
  XOP_COPYN,
  XOP_CONST,
  XOP_CONST2,
  XOP_BR,
  XOP_BR_IF,
  XOP_BR_UNLESS,
  XOP_BR_TABLE,
  XOP_RETURN,
  XOP_CALL,
  XOP_CALL_INDIRECT,
  XOP_SELECT,
  XOP_SELECT2,
  XOP_GLOBAL_GET,
  XOP_GLOBAL_GET2,
  XOP_GLOBAL_SET,
  XOP_GLOBAL_SET2,
  XOP_REF_IS_NULL,
  XOP_REF_FUNC,
  XOP_MEMOP_MULTI, /* a memory op on memory != 0: wasm_exec_memop_multi */
  XOP_THROW_REF,   /* [h, src]: rethrows an exnref */
  XOP_COPY1X2,     /* [h, dst1, src1, dst2, src2]: two COPY1 in order */
  XOP_COUNT
};

/* Generated variants of the scalar numeric instructions (XV_K: binary ops
 * of any scalar type; XV_BR, XV_BRK: integer ops with an i32 result):
 *   XV_K    [h, dst, in1, imm]            second operand an immediate
 *   XV_BR   [h, in1 (, in2), nz, target]  fused with a following br_if (or
 *                                         if): jump when (result != 0) == nz
 *   XV_BRK  [h, in1, imm, nz, target]     both
 * Their opcode is XOPV(variant, wasm op); the handler table holds NULL
 * where a variant does not apply to the instruction's type. */
/*   XV_ADDK (memory accesses with a memarg, not the lane ones): the
 *           address is (i32)(x + K), a preceding i32.add of a constant;
 *           load [h, dst, x, off, K], store [h, x, val, off, K]
 *   XV_ADDX likewise (i32)(x + y) for slots x and y, a preceding i32.add:
 *           load [h, dst, x, off, y], store [h, x, val, off, y]
 *   XV_STI  (scalar stores) the value is an immediate: [h, addr, imm, off]
 *   XV_AK   the address is an immediate K (an i32 value, as the address
 *           slot would hold): load [h, dst, K, off], store [h, K, val, off]
 * Binary ops whose operands and result have one scalar type, fused with
 * a full-width load or store of that type (the memarg offset `off`):
 *   XV_LD   [h, dst, in1, addr, off, K]  in2 is loaded from
 *                                        (i32)(addr + K) + off
 *   XV_ST   [h, addr, in1, in2, off]     the result is stored at addr + off
 *   XV_RMW  [h, addr, in, off]           m = op(in, m) for m at addr + off */
/* The accumulator (the scalar result of the instruction just before,
 * which the interpreter also keeps in a register) replaces an operand;
 * the layout stays that of the instruction varied, its cell ignored:
 *   XV_A1   numeric op (plain): in1;  load: the address;  store: the value
 *   XV_A1K  K variant: in1            XV_A2   numeric op (plain): in2
 *   XV_BRA1, XV_BRA1K, XV_BRA2        the same for XV_BR / XV_BRK */
enum wasm_xvariant {
  XV_K = 1, XV_BR, XV_BRK, XV_ADDK, XV_ADDX, XV_STI, XV_LD, XV_ST, XV_RMW,
  XV_A1, XV_A1K, XV_A2, XV_BRA1, XV_BRA1K, XV_BRA2, XV_AK,
  XV_COUNT
};
#define XOPV(v, op) (XOP_COUNT + ((v) - 1) * WASM_OP_COUNT + (op))
#define XOP_TABLE_SIZE XOPV(XV_COUNT, 0)

/* Exception handlers (try_table): a try covers the cells [start, end) of
 * the body; its catch clauses are catches[first .. first+count). Tries are
 * in order of their start, so the innermost covering try is the last one.
 * A catch of a thrown tag (or any, tag UINT32_MAX) copies the payload to
 * slot dst and continues at cell `landing` (a jump to the label). */
typedef struct wasm_catch {
  uint32_t tag;     /* tag index in the instance, or UINT32_MAX: catch_all */
  uint32_t landing; /* cell index */
  uint32_t dst;     /* frame slot of the payload */
  uint32_t ref;     /* catch_ref / catch_all_ref: an exnref follows it */
} wasm_catch;

typedef struct wasm_try {
  uint32_t start, end, first, count;
} wasm_try;

/* A compiled function. */
typedef struct wasm_code {
  wasm_cell *cells;
  size_t ncells;
  uint32_t nparam_slots;  /* params, at slot 0 */
  uint32_t nlocal_slots;  /* declared locals after them, zeroed on entry */
  uint32_t nresult_slots; /* results, at slot 0 on return */
  uint32_t max_slots;     /* frame size: params + locals + max stack */
  wasm_try *tries;        /* exception handlers, or NULL */
  uint32_t ntries;
  wasm_catch *catches;
} wasm_code;

/* The interpreter's handler table, indexed by opcode (wasm_op or
 * wasm_xop); entries are NULL for opcodes that are never emitted. */
const void *const *wasm_exec_handlers(void);

/* A readable name of an internal opcode ("i32.add.k"), in buf if needed. */
const char *wasm_code_op_name(int op, char *buf, size_t n);

/* With -DEXEC_PROFILE the interpreter reports each instruction it
 * dispatches (wasm_exec_prof.c). */
void wasm_exec_prof_hit(const void *h);

/* XOP_MEMOP_MULTI [h, op, mem, mem2/seg, dst?, inputs.., offset?, lane?]
 * (layout in wasm_exec_mem.c): runs it on inst's memories; returns the next
 * instruction, or NULL with *trap set. */
struct wasm_instance;
const wasm_cell *wasm_exec_memop_multi(struct wasm_instance *inst, uint64_t *fp,
                                       const wasm_cell *ip, const char **trap);

static inline uint32_t wasm_kind_slots(uint8_t kind) {
  return kind == 0x7B /* WASM_V128 */ ? 2 : 1;
}

#endif
