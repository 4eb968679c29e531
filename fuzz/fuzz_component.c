/*
 * fuzz_component.c: libFuzzer target for the Component Model decoder and
 * validator (cm_component_new). An input that starts with '(' is component
 * text: it goes through cm_wat_to_binary first, so valid components built
 * from text reach deep into the validator. Any outcome is fine except a
 * crash, a sanitizer report or a leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "stratus/component.h"

static wasm_engine *engine;

static void check_binary(const uint8_t *data, size_t size) {
  cm_component *c = NULL;
  wasm_error err;
  if (cm_component_new(engine, data, size, &c, &err) == WASM_OK) cm_component_delete(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!engine) {
    wasm_config config = {0};
    config.features = WASM_FEATURE_MULTI_MEMORY;
    engine = wasm_engine_new(&config);
  }
  if (!engine) return 0;
  if (size > 0 && data[0] == '(') {
    uint8_t *bin = NULL;
    size_t len = 0;
    wasm_error err;
    if (cm_wat_to_binary((const char *)data, size, &bin, &len, &err) == WASM_OK) {
      check_binary(bin, len);
      free(bin);
    }
    return 0;
  }
  check_binary(data, size);
  return 0;
}
