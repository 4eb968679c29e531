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

/* Composition's resource proxies (host_link_define_proxied): the envs
 * of the importers' host resources and proxied functions, and per slot
 * the proxies of its request. */
typedef struct host_pxslot host_pxslot;

/* The forwards defined so far; they must outlive the linkers and the
 * instances that call them. */
typedef struct host_fwds {
  host_fwd **v;
  size_t n;
  void **owned;        /* proxies' envs (zero-initialized with the rest) */
  size_t nowned;
  host_pxslot *slots;  /* by slot index */
  size_t nslots;
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

/* The linker of the exporter's instance on slot (whose context holds
 * the handles that instance's calls return). */
typedef cm_linker *(*host_link_linker_fn)(void *ctx, size_t exporter, unsigned slot);

/* As host_link_define, but a resource the linked interface declares
 * itself crosses by proxy, as wasmCloud does: each such resource R is
 * defined on l as a host resource; an own R the exporter returns (at any
 * depth of the result) becomes a new proxy of the importer's, indexing
 * the slot's proxy table that holds the exporter's handle; a proxy passed
 * back becomes that handle again (own: moved, the proxy retired;
 * borrow: lent); dropping a proxy drops the exporter's handle. fn must
 * call the same exporter instance for the whole request on a slot and
 * drop it when a call fails (host_runtime.c's hr_forward); the request's
 * end calls host_link_end before dropping that instance. A function
 * passing a resource of another interface (a WIT `use`) still fails. */
wasm_status host_link_define_proxied(host_fwds *fw, cm_linker *l, const cm_component *importer,
                                     const host_item_plan *ip, const char *const *names,
                                     const char *who, cm_host_fn fn, void *ctx, unsigned slot,
                                     host_link_linker_fn exporter_linker, wasm_error *err);
/* Ends the request on slot: drops the exporter handles its live proxies
 * hold (running the exporters' destructors; their instances must still
 * be alive), and forgets the proxies. */
void host_link_end(host_fwds *fw, unsigned slot);

void host_fwds_free(host_fwds *fw);

#endif
