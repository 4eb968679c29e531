/* host_service.h: a workload's service (host_service.c), used by
 * host_runtime.c: the long-running wasi:cli/run component on its own
 * thread with its restart policy, the workload's virtual loopback
 * network, and the service's imports that components export. */
#ifndef STRATUS_HOST_SERVICE_H
#define STRATUS_HOST_SERVICE_H

#include <stdio.h>

#include "stratus/host.h"
#include "stratus/http.h"

typedef struct host_service host_service;

typedef struct host_service_config {
  const char *workload_id;  /* copied */
  int32_t max_restarts;     /* spec.service.maxRestarts (< 0: as 0) */
  uint64_t max_memory;      /* per linear memory; 0: no cap */
  plugin_host *host;        /* calls into components (borrowed) */
  FILE *log;                /* state lines; NULL: stderr */
} host_service_config;

wasm_status host_service_new(const host_service_config *cfg, host_service **out,
                             wasm_error *err);
/* The service's own engine: its component, linker and store use it, so
 * that stopping (an epoch increment) interrupts the service alone. */
wasm_engine *host_service_engine(host_service *s);
/* The virtual network hook for a context of the workload: the service's
 * may bind (loopback only; 0.0.0.0 becomes 127.0.0.1) and connect, a
 * component's may only connect, both only to ports the service bound. */
const wasi2_net_hook *host_service_net_hook(host_service *s, bool for_service);
/* Defines on l the service's imports that components export (plan item
 * ip's links): each function, per call, runs in a fresh instance of the
 * exporting component (names[k]: item k's name). A function passing a
 * resource fails here, naming it. */
wasm_status host_service_link(host_service *s, cm_linker *l, const cm_component *svc,
                              const host_item_plan *ip, const char *const *names,
                              wasm_error *err);
/* Starts the thread running svc's wasi:cli/run from pre (which, wasi and
 * http must outlive host_service_stop; http may be NULL). */
wasm_status host_service_start(host_service *s, const cm_component *svc, cm_instance_pre *pre,
                               wasi2_ctx *wasi, http_wasi *http, wasm_error *err);
/* Interrupts the service (its blocking waits and its wasm) and joins
 * its thread; idempotent. Then the state is STOPPED unless it had ended. */
void host_service_stop(host_service *s);
void host_service_get_status(host_service *s, host_service_status *out);
/* Stops, then frees s (NULL: nothing). */
void host_service_delete(host_service *s);

#endif
