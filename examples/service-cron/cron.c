/* cron.c: the service of examples/service-cron: a wasi:cli/run
 * component that calls the workload's `job` component every INTERVAL_MS
 * (default 1000) through the stratus:service-fixtures/cron interface
 * that component exports; each call runs in a fresh instance of it. */
#include "svc_bindings.h"

#ifndef INTERVAL_MS
#define INTERVAL_MS 1000
#endif

__attribute__((import_module("stratus:service-fixtures/cron"), import_name("tick")))
void cron_tick(uint32_t n);

RUN int run(void) {
  say_num("cron: calling the job every (ms) ", INTERVAL_MS);
  for (uint32_t n = 1;; n++) {
    cron_tick(n);
    sleep_ms(INTERVAL_MS);
  }
}
