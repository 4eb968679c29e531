/* wasm_opcodes.c: lookup tables generated from wasm_opcodes.def. */
#include "wasm_opcodes.h"

#include <string.h>

const wasm_opinfo wasm_opinfo_table[WASM_OP_COUNT] = {
#define OP(ID, NAME, PREFIX, CODE, IMM, SIG, MSIZE) \
  {NAME, PREFIX, CODE, WASM_IMM_##IMM, SIG, MSIZE},
#include "wasm_opcodes.def"
#undef OP
};

/* Dense maps from encoding to id; -1 marks an unused encoding. Built on
 * first use; the tables are small so a plain array per prefix is enough. */
static int16_t by_byte[256], by_fc[32], by_fd[256];
static int maps_ready;

static void build_maps(void) {
  memset(by_byte, 0xff, sizeof by_byte);
  memset(by_fc, 0xff, sizeof by_fc);
  memset(by_fd, 0xff, sizeof by_fd);
  for (int i = 0; i < WASM_OP_COUNT; i++) {
    const wasm_opinfo *o = &wasm_opinfo_table[i];
    if (o->prefix == 0) by_byte[o->code] = (int16_t)i;
    else if (o->prefix == 0xFC) by_fc[o->code] = (int16_t)i;
    else by_fd[o->code] = (int16_t)i;
  }
  maps_ready = 1;
}

int wasm_op_lookup(uint8_t prefix, uint32_t code) {
  if (!maps_ready) build_maps();
  switch (prefix) {
  case 0: return by_byte[code & 0xff];
  case 0xFC: return code < 32 ? by_fc[code] : -1;
  case 0xFD: return code < 256 ? by_fd[code] : -1;
  default: return -1;
  }
}

int wasm_op_by_name(const char *name, uint32_t len) {
  for (int i = 0; i < WASM_OP_COUNT; i++) {
    const char *n = wasm_opinfo_table[i].name;
    if (strlen(n) == len && memcmp(n, name, len) == 0) return i;
  }
  return -1;
}

/* Called once from wasm_engine_new so lookups never race on first use. */
void wasm_opcodes_init(void) {
  if (!maps_ready) build_maps();
}
