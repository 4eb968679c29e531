/* unit_cm.h: unit.h plus what the component tests share: compiling
 * component WAT into a cm_component. */
#ifndef STRATUS_UNIT_CM_H
#define STRATUS_UNIT_CM_H

#include "stratus/component.h"
#include "unit.h"

/* Compiles component WAT text with engine e; NULL (err filled) on failure. */
static inline cm_component *unit_cm_compile(wasm_engine *e, const char *wat, wasm_error *err) {
  uint8_t *bin = NULL;
  size_t n = 0;
  if (cm_wat_to_binary(wat, strlen(wat), &bin, &n, err) != WASM_OK) return NULL;
  cm_component *c = NULL;
  wasm_status st = cm_component_new(e, bin, n, &c, err);
  free(bin);
  return st == WASM_OK ? c : NULL;
}

#endif
