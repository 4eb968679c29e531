/*
 * wasm_exec_mem.c: the interpreter's out-of-line path for memory
 * instructions on a memory other than 0 (multi-memory), and memory.copy
 * between two memories: the XOP_MEMOP_MULTI instruction of wasm_code.h.
 *
 * Memory 0 keeps the interpreter's fast handlers (its base and size live in
 * registers); these accesses look the memory up in the instance on every
 * execution, so they see growth through any alias, and use the same bounds
 * checks and trap messages. The instruction's layout is fixed by the wasm
 * opcode's signature (wasm_opcodes.def):
 *   [h, op, mem, mem2_or_seg, dst?, in1.., offset?, lane?]
 * dst when the signature has a result, one slot per parameter, the memarg
 * offset (and lane) for accesses. mem2_or_seg: memory.copy's source memory,
 * memory.init's data segment, else 0.
 */
#include <string.h>

#include "wasm_code.h"
#include "wasm_numeric.h"
#include "wasm_runtime.h"

#define MEM_OOB "out of bounds memory access"

/* v128.load/store are plain copies; wasm_numeric.h leaves them out. */
static inline wasm_v128 NUM_V128_LOAD(const uint8_t *p) {
  wasm_v128 v;
  memcpy(&v, p, 16);
  return v;
}
static inline void NUM_V128_STORE(uint8_t *p, wasm_v128 v) { memcpy(p, &v, 16); }

/* One SIMD access: the bounds-checked address, the result slot (loads),
 * the vector operand's slot (stores, lane ops) and the lane. */
typedef struct mm_access {
  uint8_t *p;
  uint64_t *dst;
  const uint64_t *vec;
  uint32_t lane;
} mm_access;

static wasm_v128 rd_v128(const uint64_t *s) {
  wasm_v128 v;
  memcpy(&v, s, 16);
  return v;
}

static void mm_load(wasm_v128 (*f)(const uint8_t *), const mm_access *a) {
  wasm_v128 v = f(a->p);
  memcpy(a->dst, &v, 16);
}
static void mm_store(void (*f)(uint8_t *, wasm_v128), const mm_access *a) {
  f(a->p, rd_v128(a->vec));
}
static void mm_load_lane(wasm_v128 (*f)(const uint8_t *, wasm_v128, uint32_t),
                         const mm_access *a) {
  wasm_v128 v = f(a->p, rd_v128(a->vec), a->lane);
  memcpy(a->dst, &v, 16);
}
static void mm_store_lane(void (*f)(uint8_t *, wasm_v128, uint32_t), const mm_access *a) {
  f(a->p, rd_v128(a->vec), a->lane);
}

/* Runs a SIMD memory instruction (prefix 0xFD): false if op is not one. */
static bool mm_simd(int op, const mm_access *a) {
  switch (op) {
#define MM_CALL(ID)                                                          \
  case WASM_OP_##ID:                                                         \
    _Generic(&NUM_##ID,                                                      \
             wasm_v128 (*)(const uint8_t *): mm_load,                        \
             void (*)(uint8_t *, wasm_v128): mm_store,                       \
             wasm_v128 (*)(const uint8_t *, wasm_v128, uint32_t): mm_load_lane, \
             void (*)(uint8_t *, wasm_v128, uint32_t): mm_store_lane)(NUM_##ID, a); \
    return true;
#define MM_MEMARG(ID, P) MM_MEMARG_##P(ID)
#define MM_MEMARG_0(ID)
#define MM_MEMARG_0xFD(ID) MM_CALL(ID)
#define MM_MEMARG_LANE(ID, P) MM_CALL(ID)
#define MM_(ID, P)
#define MM_NONE MM_
#define MM_BLOCK MM_
#define MM_LABEL MM_
#define MM_BR_TABLE MM_
#define MM_FUNC MM_
#define MM_CALL_INDIRECT MM_
#define MM_LOCAL MM_
#define MM_GLOBAL MM_
#define MM_TABLE MM_
#define MM_I32 MM_
#define MM_I64 MM_
#define MM_F32 MM_
#define MM_F64 MM_
#define MM_V128 MM_
#define MM_LANE MM_
#define MM_SHUFFLE MM_
#define MM_SELECT_T MM_
#define MM_HEAPTYPE MM_
#define MM_ELEM MM_
#define MM_DATA MM_
#define MM_TABLE_TABLE MM_
#define MM_ELEM_TABLE MM_
#define MM_DATA_MEM MM_
#define MM_MEM MM_
#define MM_MEM_MEM MM_
#define MM_TAG MM_
#define MM_TRY_TABLE MM_
#define OP(ID, NAME, PREFIX, CODE, IMM, SIG, MSIZE) MM_##IMM(ID, PREFIX)
#include "wasm_opcodes.def"
#undef OP
  default:
    return false;
  }
}

/* A scalar load or store of oi->msize bytes (little-endian host): loads
 * named *_s sign-extend, 32-bit results (i32, f32 bits) are zero-extended
 * in the slot as everywhere in the interpreter. */
static void mm_scalar(const wasm_opinfo *oi, bool load, uint8_t *p, uint64_t *dst,
                      const uint64_t *val) {
  uint32_t n = oi->msize;
  if (!load) {
    uint64_t v = *val;
    memcpy(p, &v, n);
    return;
  }
  uint64_t x = 0;
  memcpy(&x, p, n);
  size_t len = strlen(oi->name);
  bool is_signed = len > 2 && oi->name[len - 2] == '_' && oi->name[len - 1] == 's';
  if (is_signed && n < 8) {
    uint64_t sign = UINT64_C(1) << (n * 8 - 1);
    x = (x ^ sign) - sign;
  }
  char r = strchr(oi->sig, ':')[1];
  *dst = (r == 'i' || r == 'f') ? (uint32_t)x : x;
}

const wasm_cell *wasm_exec_memop_multi(wasm_instance *inst, uint64_t *fp,
                                       const wasm_cell *ip, const char **trap) {
  int op = (int)ip[1].u;
  const wasm_opinfo *oi = &wasm_opinfo_table[op];
  const wasm_module *m = inst->module;
  wasm_memory *mem = inst->memories[ip[2].u];
  const char *colon = strchr(oi->sig, ':');
  uint32_t np = (uint32_t)(colon - oi->sig);
  bool has_result = colon[1] != 0;
  uint64_t *dst = has_result ? fp + ip[4].u : NULL;
  const wasm_cell *in = ip + 4 + has_result;
  uint64_t a0 = np > 0 ? *(fp + in[0].u) : 0;
  uint64_t a1 = np > 1 ? *(fp + in[1].u) : 0;
  uint64_t a2 = np > 2 ? *(fp + in[2].u) : 0;
  const wasm_cell *imm = in + np;
  *trap = MEM_OOB;
  switch ((wasm_imm_kind)oi->imm) {
  case WASM_IMM_MEMARG:
  case WASM_IMM_MEMARG_LANE: {
    bool lane = oi->imm == WASM_IMM_MEMARG_LANE;
    uint64_t ea = (uint64_t)(uint32_t)a0 + imm[0].u;
    if (ea + oi->msize > mem->size) return NULL;
    uint8_t *p = mem->data + ea;
    mm_access acc = {p, dst, np > 1 ? fp + in[1].u : NULL, lane ? (uint32_t)imm[1].u : 0};
    if (oi->prefix == 0) mm_scalar(oi, has_result, p, dst, fp + in[np - 1].u);
    else if (!mm_simd(op, &acc)) break;
    return imm + 1 + lane;
  }
  case WASM_IMM_MEM:
    if (op == WASM_OP_MEMORY_SIZE) {
      *dst = (uint32_t)(mem->size / WASM_PAGE_SIZE);
    } else if (op == WASM_OP_MEMORY_GROW) {
      *dst = (uint32_t)(int32_t)wasm_memory_grow(mem, (uint32_t)a0);
    } else { /* memory.fill d val n */
      uint64_t d = (uint32_t)a0, n = (uint32_t)a2;
      if (d + n > mem->size) return NULL;
      if (n) memset(mem->data + d, (int)(uint8_t)a1, n);
    }
    return imm;
  case WASM_IMM_MEM_MEM: { /* memory.copy d s n: dst memory, src memory */
    wasm_memory *src = inst->memories[ip[3].u];
    uint64_t d = (uint32_t)a0, s = (uint32_t)a1, n = (uint32_t)a2;
    if (s + n > src->size || d + n > mem->size) return NULL;
    if (n) memmove(mem->data + d, src->data + s, n);
    return imm;
  }
  case WASM_IMM_DATA_MEM: { /* memory.init d s n */
    uint64_t seg = ip[3].u;
    const wasm_data *ds = &m->datas[seg];
    uint64_t d = (uint32_t)a0, s = (uint32_t)a1, n = (uint32_t)a2;
    uint64_t len = inst->data_dropped[seg] ? 0 : ds->len;
    if (s + n > len || d + n > mem->size) return NULL;
    if (n) memcpy(mem->data + d, ds->bytes + s, n);
    return imm;
  }
  default:
    break;
  }
  *trap = "internal error: bad instruction";
  return NULL;
}
