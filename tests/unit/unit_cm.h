/* unit_cm.h: unit.h plus what the component tests share: compiling
 * component WAT into a cm_component, string arguments and results. */
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

/* A string value borrowing s. */
static inline cm_val unit_cm_str(const char *s) {
  cm_val v;
  memset(&v, 0, sizeof v);
  v.kind = CM_STRING;
  v.of.str.ptr = (char *)s;
  v.of.str.len = strlen(s);
  return v;
}

/* What a call returning a string gave: its result (freed here), or
 * "TRAP: message" when st failed; malloc'ed. */
static inline char *unit_cm_result(wasm_status st, cm_val *res, const wasm_error *err) {
  if (st) {
    size_t n = strlen(err->message) + 8;
    char *s = malloc(n);
    snprintf(s, n, "TRAP: %s", err->message);
    return s;
  }
  char *s = malloc(res->of.str.len + 1);
  memcpy(s, res->of.str.ptr, res->of.str.len);
  s[res->of.str.len] = 0;
  cm_val_free(res);
  return s;
}

#endif
