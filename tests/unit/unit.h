/* unit.h: what every unit test program shares: a CHECK that counts, the
 * closing "N passed, N failed" line, and compiling a WAT module. Header
 * only; each test program is one translation unit. */
#ifndef STRATUS_UNIT_H
#define STRATUS_UNIT_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stratus/wasm.h"

static int unit_passed, unit_failed;

/* Counts one check; a failure prints where and what. */
static inline void unit_check(int ok, const char *what, const char *file, int line) {
  if (ok) {
    unit_passed++;
  } else {
    unit_failed++;
    fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
  }
}
#define CHECK(cond) unit_check((cond) != 0, #cond, __FILE__, __LINE__)

/* Like CHECK, with a printf-style message saying what went wrong. */
static inline void unit_checkm(int ok, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static inline void unit_checkm(int ok, const char *file, int line, const char *fmt, ...) {
  if (ok) {
    unit_passed++;
    return;
  }
  unit_failed++;
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s:%d: check failed: ", file, line);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}
#define CHECKM(cond, ...) unit_checkm((cond) != 0, __FILE__, __LINE__, __VA_ARGS__)

/* Prints the closing line; the value is main's exit status. */
static inline int unit_report(void) {
  printf("%d passed, %d failed\n", unit_passed, unit_failed);
  return unit_failed != 0;
}

/* Compiles WAT text into a module of engine e; NULL (with err filled, and
 * the message printed when quiet is false) on failure. */
static inline wasm_module *unit_compile(wasm_engine *e, const char *wat,
                                        wasm_error *err, int quiet) {
  uint8_t *bin;
  size_t len;
  wasm_module *m = NULL;
  if (wasm_wat_to_binary(wat, strlen(wat), &bin, &len, err) == WASM_OK) {
    wasm_module_new(e, bin, len, &m, err);
    free(bin);
  }
  if (!m && !quiet) fprintf(stderr, "compile: %s\n", err->message);
  return m;
}

static inline wasm_val unit_i32(int32_t v) {
  wasm_val x = {.kind = WASM_I32};
  x.of.i32 = v;
  return x;
}

#endif
