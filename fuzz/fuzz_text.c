/*
 * fuzz_text.c: libFuzzer target for the text format: the input as a WAT
 * module (wasm_wat_to_binary, and the binary it produces through
 * wasm_module_new) and as a WAST script (wast_parse).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "stratus/wasm.h"

static wasm_engine *engine;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!engine) engine = wasm_engine_new(NULL);
  if (!engine) return 0;
  const char *text = (const char *)data;
  wasm_error err;

  uint8_t *bin = NULL;
  size_t len = 0;
  if (wasm_wat_to_binary(text, size, &bin, &len, &err) == WASM_OK) {
    /* What the text parser emits must at least be decodable without harm. */
    wasm_module *m = NULL;
    if (wasm_module_new(engine, bin, len, &m, &err) == WASM_OK) wasm_module_delete(m);
    free(bin);
  }

  wast_script *script = NULL;
  if (wast_parse(text, size, &script, &err) == WASM_OK) wast_script_delete(script);
  return 0;
}
