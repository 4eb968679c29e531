/* wasm_opcodes.h: instruction ids and per-instruction facts, generated from
 * wasm_opcodes.def. */
#ifndef WASM_OPCODES_H
#define WASM_OPCODES_H

#include <stdint.h>

/* Kinds of immediate operand that follow an opcode in the binary format. */
typedef enum wasm_imm_kind {
  WASM_IMM_NONE,
  WASM_IMM_BLOCK,         /* blocktype: empty, a value type, or a type index */
  WASM_IMM_LABEL,         /* label depth */
  WASM_IMM_BR_TABLE,      /* vec(label) default */
  WASM_IMM_FUNC,          /* func index */
  WASM_IMM_CALL_INDIRECT, /* type index, table index */
  WASM_IMM_LOCAL,
  WASM_IMM_GLOBAL,
  WASM_IMM_TABLE,
  WASM_IMM_MEMARG,        /* align (log2), offset */
  WASM_IMM_I32,
  WASM_IMM_I64,
  WASM_IMM_F32,           /* 4 raw bytes */
  WASM_IMM_F64,           /* 8 raw bytes */
  WASM_IMM_V128,          /* 16 raw bytes */
  WASM_IMM_LANE,          /* one lane index byte */
  WASM_IMM_MEMARG_LANE,   /* memarg, then a lane index byte */
  WASM_IMM_SHUFFLE,       /* 16 lane index bytes */
  WASM_IMM_SELECT_T,      /* vec(valtype) */
  WASM_IMM_HEAPTYPE,      /* reftype byte of ref.null */
  WASM_IMM_ELEM,          /* elem index */
  WASM_IMM_DATA,          /* data index */
  WASM_IMM_TABLE_TABLE,   /* dst table, src table */
  WASM_IMM_ELEM_TABLE,    /* elem index, table index */
  WASM_IMM_DATA_MEM,      /* data index, memory index (a 0x00 byte in 2.0) */
  WASM_IMM_MEM,           /* memory index (a 0x00 byte in 2.0) */
  WASM_IMM_MEM_MEM,       /* dst memory, src memory */
  WASM_IMM_TAG,           /* tag index */
  WASM_IMM_TRY_TABLE,     /* blocktype, vec(catch clause) */
} wasm_imm_kind;

/* Every instruction gets a dense id, in table order. */
typedef enum wasm_op {
#define OP(ID, NAME, PREFIX, CODE, IMM, SIG, MSIZE) WASM_OP_##ID,
#include "wasm_opcodes.def"
#undef OP
  WASM_OP_COUNT
} wasm_op;

typedef struct wasm_opinfo {
  const char *name;     /* text-format mnemonic */
  uint8_t prefix;       /* 0, 0xFC or 0xFD */
  uint32_t code;        /* byte, or u32 after the prefix */
  uint8_t imm;          /* wasm_imm_kind */
  const char *sig;      /* "params:results" or NULL (typed by hand) */
  uint8_t msize;        /* see wasm_opcodes.def */
} wasm_opinfo;

extern const wasm_opinfo wasm_opinfo_table[WASM_OP_COUNT];

/* Maps an encoded opcode to its id; returns -1 for an unknown opcode. */
int wasm_op_lookup(uint8_t prefix, uint32_t code);

/* Maps a text mnemonic to its id (the first entry with that name, so
 * "select" gives WASM_OP_SELECT); returns -1 if unknown. */
int wasm_op_by_name(const char *name, uint32_t len);

/* Builds the lookup maps; wasm_engine_new calls it so that lookups from
 * several threads never race on first use. */
void wasm_opcodes_init(void);

#endif
