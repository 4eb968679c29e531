/* host_link.h: an item's imports that other components of the workload
 * export (the plan's links), defined on the importer's linker as host
 * functions forwarding each call to the exporter (host_link.c). Used by
 * the service (host_service.c: each call through plugin_host.call) and
 * by composition between components (host_runtime.c: an instance of the
 * exporter per calling request). */
#ifndef STRATUS_HOST_LINK_H
#define STRATUS_HOST_LINK_H

#include "stratus/host.h"

/* One forwarded function: the env of its host function. */
typedef struct host_fwd {
  size_t exporter;       /* item index of the exporting component */
  const char *component; /* its name */
  char *func;            /* "iface#name" as the exporter names it */
  void *ctx;             /* the definer's (host_link_define) */
  unsigned slot;         /* the definer's */
} host_fwd;

/* The forwards defined so far; they must outlive the linkers and the
 * instances that call them. */
typedef struct host_fwds {
  host_fwd **v;
  size_t n;
} host_fwds;

/* Defines on l every function of importer's imports that plan item ip
 * links to another item's export, as fn with a host_fwd (carrying ctx
 * and slot) as env; names[k] is item k's name, who names the importer in
 * messages ("the service", "component `api`"). The importer's own import
 * types are used (host_plan matched the interface names). A function
 * whose type carries a resource (own or borrow, at any depth) fails,
 * naming the interface and the function: a handle cannot cross between
 * two instances. */
wasm_status host_link_define(host_fwds *fw, cm_linker *l, const cm_component *importer,
                             const host_item_plan *ip, const char *const *names,
                             const char *who, cm_host_fn fn, void *ctx, unsigned slot,
                             wasm_error *err);
void host_fwds_free(host_fwds *fw);

#endif
