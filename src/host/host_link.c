/* host_link.c: forwarding an item's imports to the components of the
 * workload that export them (host_link.h). What a call does is the
 * caller's host function; this file checks the types and defines one
 * function per linked import function. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/host_internal.h"
#include "host/host_link.h"

static long import_index(const cm_component *c, const char *name) {
  for (uint32_t i = 0; i < cm_component_import_count(c); i++)
    if (strcmp(cm_component_import_name(c, i), name) == 0) return (long)i;
  return -1;
}

static wasm_status fwd_add(host_fwds *fw, const host_link *lk, const char *component,
                           const char *fname, void *ctx, unsigned slot, host_fwd **out,
                           wasm_error *err) {
  host_fwd **nv = realloc(fw->v, (fw->n + 1) * sizeof *nv);
  if (!nv) return host_fail(err, WASM_NOMEM, "out of memory");
  fw->v = nv;
  host_fwd *f = calloc(1, sizeof *f);
  size_t len = strlen(lk->export_name) + strlen(fname) + 2;
  char *func = malloc(len);
  if (!f || !func) {
    free(f);
    free(func);
    return host_fail(err, WASM_NOMEM, "out of memory");
  }
  snprintf(func, len, "%s#%s", lk->export_name, fname);
  *f = (host_fwd){.exporter = lk->exporter, .component = component, .func = func, .ctx = ctx,
                  .slot = slot};
  fw->v[fw->n++] = f;
  *out = f;
  return WASM_OK;
}

wasm_status host_link_define(host_fwds *fw, cm_linker *l, const cm_component *importer,
                             const host_item_plan *ip, const char *const *names,
                             const char *who, cm_host_fn fn, void *ctx, unsigned slot,
                             wasm_error *err) {
  for (size_t k = 0; k < ip->nlinks; k++) {
    const host_link *lk = &ip->links[k];
    long i = import_index(importer, lk->import_name);
    if (i < 0) continue;
    uint32_t n = cm_component_import_nfuncs(importer, (uint32_t)i);
    for (uint32_t j = 0; j < n; j++) {
      const char *fname = cm_component_import_func_name(importer, (uint32_t)i, j);
      /* each side has its own handle tables: a handle would mean nothing
       * in the other instance */
      if (cm_functype_has_handles(cm_component_import_func_at(importer, (uint32_t)i, j)))
        return host_fail(err, WASM_BAD_ARG,
                         "%s imports %s from component `%s`: function `%s` passes a resource, "
                         "and resources cannot cross between components of a workload yet",
                         who, lk->import_name, names[lk->exporter], fname);
      host_fwd *f = NULL;
      wasm_status st = fwd_add(fw, lk, names[lk->exporter], fname, ctx, slot, &f, err);
      if (!st) st = cm_linker_define_func(l, lk->import_name, fname, "", fn, f, err);
      if (st) return st;
    }
  }
  return WASM_OK;
}

void host_fwds_free(host_fwds *fw) {
  for (size_t i = 0; i < fw->n; i++) {
    free(fw->v[i]->func);
    free(fw->v[i]);
  }
  free(fw->v);
  fw->v = NULL;
  fw->n = 0;
}
