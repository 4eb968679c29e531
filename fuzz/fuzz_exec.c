/*
 * fuzz_exec.c: libFuzzer target for instantiation and execution. If the
 * input is a valid module, it is instantiated with a dummy for every import
 * (host functions returning zeros; fresh tables, memories and globals of
 * the imported types) and every exported function is called with zero
 * arguments, under a small call-depth limit and store limits.
 *
 * Traps and resource exhaustion are expected outcomes. Each store gets a
 * fuel budget, so a guest that loops forever ends in a trap (fuzz/run.sh
 * still drops timeouts: see fuzz/README.md).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wasm/wasm_module.h"

#define CALL_DEPTH 200
#define STACK_BYTES (1u << 20)
#define MAX_MEMORY_BYTES (16u << 20)
#define MAX_TABLE_ELEMS 10000u
#define MAX_EXPORT_CALLS 64
#define FUEL 1000000u /* per store: calls and loop iterations */

static wasm_engine *engine;

/* A zero value of the given kind. */
static wasm_val zero(uint8_t kind) {
  wasm_val v;
  memset(&v, 0, sizeof v);
  v.kind = kind;
  return v;
}

/* Every imported function: returns zeros of its result types (env). */
static wasm_status dummy_fn(void *env, const wasm_val *args, wasm_val *results,
                            wasm_error *err) {
  const wasm_functype *t = env;
  for (uint32_t i = 0; i < t->nresults; i++) results[i] = zero(t->types[t->nparams + i]);
  return WASM_OK;
}

/* Creates a dummy for import i of m in store s; false if the store refuses
 * (e.g. a memory minimum beyond the store limit). */
static bool make_dummy(wasm_store *s, const wasm_module *m, uint32_t i, wasm_extern *out) {
  const wasm_import *imp = &m->imports[i];
  out->kind = imp->kind;
  switch (imp->kind) {
  case WASM_EXTERN_FUNC: {
    const wasm_functype *t = &m->types[imp->as.func_type];
    out->of.func = wasm_func_new_host(s, t, dummy_fn, (void *)t);
    return out->of.func != NULL;
  }
  case WASM_EXTERN_TABLE:
    out->of.table = wasm_table_new(s, imp->as.table.elem, imp->as.table.limits, NULL);
    return out->of.table != NULL;
  case WASM_EXTERN_MEMORY:
    out->of.memory = wasm_memory_new(s, imp->as.memory.limits);
    return out->of.memory != NULL;
  case WASM_EXTERN_GLOBAL:
    out->of.global = wasm_global_new(s, imp->as.global.kind, imp->as.global.mutable_,
                                     zero(imp->as.global.kind));
    return out->of.global != NULL;
  case WASM_EXTERN_TAG:
    return false; /* no dummy tags: a module importing one is not run */
  }
  return false;
}

/* Calls every exported function of inst with zero arguments. */
static void call_exports(wasm_store *s, const wasm_module *m, const wasm_instance *inst) {
  uint32_t calls = 0;
  for (uint32_t i = 0; i < wasm_module_export_count(m) && calls < MAX_EXPORT_CALLS; i++) {
    const char *name;
    wasm_externkind kind;
    wasm_module_export(m, i, &name, &kind);
    wasm_extern ext;
    if (kind != WASM_EXTERN_FUNC || !wasm_instance_export(inst, name, &ext) ||
        ext.kind != WASM_EXTERN_FUNC)
      continue;
    const wasm_functype *t = wasm_func_type(ext.of.func);
    uint32_t np = wasm_functype_nparams(t), nr = wasm_functype_nresults(t);
    wasm_val *args = calloc(np + 1, sizeof *args);
    wasm_val *results = calloc(nr + 1, sizeof *results);
    if (args && results) {
      for (uint32_t k = 0; k < np; k++) args[k] = zero(wasm_functype_param(t, k));
      wasm_error err;
      wasm_func_call(s, ext.of.func, args, np, results, nr, &err);
    }
    free(args);
    free(results);
    calls++;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!engine) {
    wasm_config cfg = {.max_call_depth = CALL_DEPTH, .max_stack_bytes = STACK_BYTES};
    engine = wasm_engine_new(&cfg);
    if (!engine) return 0;
  }
  wasm_module *m = NULL;
  wasm_error err;
  if (wasm_module_new(engine, data, size, &m, &err) != WASM_OK) return 0;

  wasm_store *s = wasm_store_new(engine);
  uint32_t n = wasm_module_import_count(m);
  wasm_extern *imports = calloc(n + 1, sizeof *imports);
  if (s && imports) {
    wasm_store_limits lim = {.max_memory_bytes = MAX_MEMORY_BYTES,
                             .max_table_elems = MAX_TABLE_ELEMS};
    wasm_store_set_limits(s, &lim);
    wasm_store_set_fuel(s, FUEL);
    bool ok = true;
    for (uint32_t i = 0; i < n && ok; i++) ok = make_dummy(s, m, i, &imports[i]);
    wasm_instance *inst = NULL;
    if (ok && wasm_instantiate(s, m, imports, n, &inst, &err) == WASM_OK)
      call_exports(s, m, inst);
  }
  free(imports);
  if (s) wasm_store_delete(s);
  wasm_module_delete(m);
  return 0;
}
