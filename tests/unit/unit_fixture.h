/* unit_fixture.h: unit.h plus what the tests over repository files share:
 * the repository root, reading a file whole, and compiling a fixture
 * component (a missing or invalid one fails the test). */
#ifndef STRATUS_UNIT_FIXTURE_H
#define STRATUS_UNIT_FIXTURE_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stratus/component.h"
#include "unit.h"

/* The repository root into root (n bytes): from this program's path
 * (build/tests/NAME), else the working directory. */
static inline void unit_find_root(char *root, size_t n) {
  char exe[PATH_MAX];
  ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (k > 0) {
    exe[k] = 0;
    for (int up = 0; up < 3; up++) {
      char *slash = strrchr(exe, '/');
      if (slash) *slash = 0;
    }
    char probe[PATH_MAX + 64];
    snprintf(probe, sizeof probe, "%s/tests/fixtures/build.sh", exe);
    if (access(probe, R_OK) == 0) {
      snprintf(root, n, "%s", exe);
      return;
    }
  }
  if (!getcwd(root, n)) snprintf(root, n, ".");
}

/* The whole file (malloc'ed); NULL when missing, empty or unreadable. */
static inline uint8_t *unit_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  *len = 0;
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *p = n > 0 ? malloc((size_t)n) : NULL;
  if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
    free(p);
    p = NULL;
  }
  fclose(f);
  if (p) *len = (size_t)n;
  return p;
}

/* The component binary at path compiled with e; NULL, with a failed
 * check naming the file, when it is missing or invalid. */
static inline cm_component *unit_load_component(wasm_engine *e, const char *path) {
  size_t n;
  uint8_t *bytes = unit_read_file(path, &n);
  cm_component *c = NULL;
  wasm_error err = {0};
  if (!bytes || cm_component_new(e, bytes, n, &c, &err)) {
    CHECKM(0, "fixture %s: %s", path, bytes ? err.message : "missing");
    c = NULL;
  }
  free(bytes);
  return c;
}

/* <root>/build/fixtures/<prefix><name>.component.wasm (built by
 * tests/fixtures/build.sh) compiled with e, as unit_load_component. */
static inline cm_component *unit_fixture_component(wasm_engine *e, const char *root,
                                                   const char *prefix, const char *name) {
  char path[PATH_MAX + 128];
  snprintf(path, sizeof path, "%s/build/fixtures/%s%s.component.wasm", root, prefix, name);
  return unit_load_component(e, path);
}

#endif
