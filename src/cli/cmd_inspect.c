/*
 * cmd_inspect.c: `stratus inspect [--world NAME] FILE.wasm`: what a binary
 * is and needs.
 *
 * A component: its kind and size, its world in WIT (imports and exports
 * with their functions and types; the world is named NAME, default
 * "root", since a component binary does not record it), then which imports
 * this host cannot satisfy: each is tried against a linker holding what
 * `stratus run` links (WASI 0.2).
 *
 * A core module: its size, imports and exports with their types, and which
 * imports `stratus run` cannot satisfy (it links wasi_snapshot_preview1).
 *
 * Exit status: 0 when every import is satisfied, 3 when some are not (or
 * linking fails for another reason), 1
 * when the file cannot be read or decoded, 2 on bad usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "stratus/component.h"
#include "stratus/wasi.h"
#include "stratus/wasm.h"

#define INSPECT_UNSATISFIED 3

/* A core extern type in the text format's words. */
static void print_core_type(const wasm_externtype *t) {
  switch (t->kind) {
  case WASM_EXTERN_FUNC: {
    printf("(func");
    uint32_t np = wasm_functype_nparams(t->func), nr = wasm_functype_nresults(t->func);
    if (np) {
      printf(" (param");
      for (uint32_t i = 0; i < np; i++) printf(" %s", wasm_valkind_name(wasm_functype_param(t->func, i)));
      printf(")");
    }
    if (nr) {
      printf(" (result");
      for (uint32_t i = 0; i < nr; i++) printf(" %s", wasm_valkind_name(wasm_functype_result(t->func, i)));
      printf(")");
    }
    printf(")");
    break;
  }
  case WASM_EXTERN_TABLE:
  case WASM_EXTERN_MEMORY:
    printf("(%s %llu", t->kind == WASM_EXTERN_TABLE ? "table" : "memory",
           (unsigned long long)t->limits.min);
    if (t->limits.has_max) printf(" %llu", (unsigned long long)t->limits.max);
    if (t->kind == WASM_EXTERN_TABLE) printf(" %s", wasm_valkind_name(t->elem));
    printf(")");
    break;
  case WASM_EXTERN_GLOBAL:
    if (t->global_mutable) printf("(global (mut %s))", wasm_valkind_name(t->global_kind));
    else printf("(global %s)", wasm_valkind_name(t->global_kind));
    break;
  case WASM_EXTERN_TAG: {
    printf("(tag");
    uint32_t np = wasm_functype_nparams(t->func);
    if (np) {
      printf(" (param");
      for (uint32_t i = 0; i < np; i++) printf(" %s", wasm_valkind_name(wasm_functype_param(t->func, i)));
      printf(")");
    }
    printf(")");
    break;
  }
  }
}

static wasm_status stub_host(void *env, const wasm_val *args, wasm_val *results,
                             wasm_error *err) {
  err->status = WASM_TRAP;
  snprintf(err->message, sizeof err->message, "import not provided by this host");
  return WASM_TRAP;
}

/* Marks in missing[] the imports of m that a preview1 linker cannot
 * satisfy: resolves imports (wasm_linker_instantiate_pre runs nothing),
 * and for each failure names the import, stands in for it, and retries. */
static wasm_status core_missing(wasm_engine *e, const wasm_module *m, bool *missing,
                                wasm_error *err) {
  uint32_t n = wasm_module_import_count(m);
  wasm_store *s = wasm_store_new(e);
  wasm_linker *l = wasm_linker_new(e);
  wasi_ctx *ctx = NULL;
  wasi_config cfg = {.stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1};
  wasm_status st = WASM_NOMEM;
  if (!s || !l) goto done;
  if ((st = wasi_ctx_new(&cfg, &ctx, err)) || (st = wasi_ctx_link(ctx, l, s, err))) goto done;
  for (uint32_t round = 0; round <= n; round++) {
    wasm_instance_pre *pre = NULL;
    wasm_error e2 = {0};
    wasm_status ist = wasm_linker_instantiate_pre(l, m, &pre, &e2);
    if (pre) wasm_instance_pre_delete(pre);
    if (ist != WASM_LINK_ERROR) break;
    uint32_t i = 0;
    const char *mod = NULL, *name = NULL;
    wasm_externkind kind = WASM_EXTERN_FUNC;
    for (; i < n; i++) {
      wasm_module_import(m, i, &mod, &name, &kind);
      char full[512];
      snprintf(full, sizeof full, " %s.%s", mod, name);
      size_t fl = strlen(full);
      const char *hit = strstr(e2.message, full);
      if (!missing[i] && hit && (hit[fl] == 0 || hit[fl] == ' ' || hit[fl] == ':')) break;
    }
    if (i == n) break;
    missing[i] = true;
    wasm_externtype t;
    wasm_module_import_type(m, i, &t);
    if (kind != WASM_EXTERN_FUNC ||
        wasm_linker_define_func(l, mod, name, t.func, stub_host, NULL) != WASM_OK)
      break;
  }
  st = WASM_OK;
done:
  wasi_ctx_delete(ctx);
  if (l) wasm_linker_delete(l);
  if (s) wasm_store_delete(s);
  if (st == WASM_NOMEM && !err->status) {
    err->status = st;
    snprintf(err->message, sizeof err->message, "out of memory");
  }
  return st;
}

static int inspect_module(wasm_engine *e, const char *path, const uint8_t *bytes, size_t len) {
  wasm_error err = {0};
  wasm_module *m = NULL;
  if (wasm_module_new(e, bytes, len, &m, &err) != WASM_OK) {
    fprintf(stderr, "error: %s: %s\n", path, err.message);
    return 1;
  }
  uint32_t ni = wasm_module_import_count(m), ne = wasm_module_export_count(m);
  printf("%s: core module, %zu bytes\n", path, len);
  printf("\nimports (%u):\n", ni);
  for (uint32_t i = 0; i < ni; i++) {
    const char *mod, *name;
    wasm_externkind k;
    wasm_externtype t;
    wasm_module_import(m, i, &mod, &name, &k);
    wasm_module_import_type(m, i, &t);
    printf("  %s.%s: ", mod, name);
    print_core_type(&t);
    printf("\n");
  }
  printf("\nexports (%u):\n", ne);
  for (uint32_t i = 0; i < ne; i++) {
    const char *name;
    wasm_externkind k;
    wasm_externtype t;
    wasm_module_export(m, i, &name, &k);
    wasm_module_export_type(m, i, &t);
    printf("  %s: ", name);
    print_core_type(&t);
    printf("\n");
  }
  bool *missing = calloc((size_t)ni + 1, sizeof *missing);
  int rc = 1;
  if (!missing || core_missing(e, m, missing, &err) != WASM_OK) {
    fprintf(stderr, "error: %s\n", missing ? err.message : "out of memory");
  } else {
    uint32_t nm = 0;
    for (uint32_t i = 0; i < ni; i++) nm += missing[i];
    if (!nm) {
      printf("\nevery import is satisfied by this host (wasi_snapshot_preview1)\n");
      rc = 0;
    } else {
      printf("\nimports this host cannot satisfy (%u):\n", nm);
      for (uint32_t i = 0; i < ni; i++) {
        const char *mod, *name;
        wasm_externkind k;
        wasm_module_import(m, i, &mod, &name, &k);
        if (missing[i]) printf("  %s.%s\n", mod, name);
      }
      rc = INSPECT_UNSATISFIED;
    }
  }
  free(missing);
  wasm_module_delete(m);
  return rc;
}

static int inspect_component(wasm_engine *e, const char *path, const uint8_t *bytes, size_t len,
                             const char *world) {
  wasm_error err = {0};
  cm_component *c = NULL;
  if (cm_component_new(e, bytes, len, &c, &err) != WASM_OK) {
    fprintf(stderr, "error: %s: %s\n", path, err.message);
    return 1;
  }
  int rc = 1;
  uint32_t ni = cm_component_import_count(c), ne = cm_component_export_count(c);
  char *wit = cm_component_wit(c, world);
  char **why = calloc((size_t)ni + 1, sizeof *why);
  cm_linker *l = cm_linker_new(e);
  wasi2_ctx *ctx = NULL;
  wasi2_config cfg = {.stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1};
  if (!wit || !why || !l) {
    fprintf(stderr, "error: out of memory\n");
    goto done;
  }
  printf("%s: component, %zu bytes, %u imports, %u exports\n\n%s", path, len, ni, ne, wit);
  if (wasi2_ctx_new(&cfg, &ctx, &err) != WASM_OK || wasi2_link(ctx, l, &err) != WASM_OK) {
    fprintf(stderr, "error: %s\n", err.message);
    goto done;
  }
  wasm_status st = cm_linker_check_imports(l, c, why, &err);
  if (st != WASM_OK && st != WASM_LINK_ERROR) {
    fprintf(stderr, "error: %s\n", err.message);
    goto done;
  }
  uint32_t nm = 0;
  for (uint32_t i = 0; i < ni; i++) nm += why[i] != NULL;
  if (st == WASM_LINK_ERROR)
    printf("\n// linking with this host (WASI 0.2) fails: %s\n", err.message);
  if (nm || st == WASM_LINK_ERROR) {
    if (nm) printf("\n// imports this host cannot satisfy (%u):\n", nm);
    for (uint32_t i = 0; i < ni; i++) {
      if (!why[i]) continue;
      /* the linker's message repeats the import's name first */
      static const char tail[] = "not found in the linker: ";
      const char *r = strstr(why[i], tail);
      printf("//   %s: %s\n", cm_component_import_name(c, i), r ? r + sizeof tail - 1 : why[i]);
    }
    rc = INSPECT_UNSATISFIED;
  } else {
    printf("\n// every import is satisfied by this host (WASI 0.2)\n");
    rc = 0;
  }
done:
  for (uint32_t i = 0; why && i < ni; i++) free(why[i]);
  free(why);
  free(wit);
  if (l) cm_linker_delete(l);
  wasi2_ctx_delete(ctx);
  cm_component_delete(c);
  return rc;
}

int cmd_inspect(int argc, char **argv) {
  const char *world = NULL, *path = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--world") == 0 && i + 1 < argc) {
      world = argv[++i];
    } else if (strncmp(argv[i], "--world=", 8) == 0) {
      world = argv[i] + 8;
    } else if (argv[i][0] == '-' || path) {
      path = NULL;
      break;
    } else {
      path = argv[i];
    }
  }
  if (!path) {
    fprintf(stderr, "usage: stratus inspect [--world NAME] FILE.wasm\n");
    return 2;
  }
  uint8_t *bytes = NULL;
  size_t len = 0;
  if (!cli_read_file(path, &bytes, &len)) {
    fprintf(stderr, "error: cannot read %s: %s\n", path, errno ? strerror(errno) : "too large");
    return 1;
  }
  wasm_engine *e = wasm_engine_new(NULL);
  int rc = 1;
  if (!e) fprintf(stderr, "error: out of memory\n");
  else if (cm_is_component(bytes, len)) rc = inspect_component(e, path, bytes, len, world);
  else rc = inspect_module(e, path, bytes, len);
  fflush(stdout);
  if (e) wasm_engine_delete(e);
  free(bytes);
  return rc;
}
