/*
 * fuzz_decode.c: libFuzzer target for the binary decoder and validator:
 * wasm_module_new on the input bytes. Any outcome is fine except a crash,
 * a sanitizer report or a leak.
 */
#include <stddef.h>
#include <stdint.h>

#include "stratus/wasm.h"

static wasm_engine *engine;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!engine) engine = wasm_engine_new(NULL);
  if (!engine) return 0;
  wasm_module *m = NULL;
  wasm_error err;
  if (wasm_module_new(engine, data, size, &m, &err) == WASM_OK) wasm_module_delete(m);
  return 0;
}
