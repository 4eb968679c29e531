/* job.c: the component of examples/service-cron: exports
 * stratus:service-fixtures/cron; tick(n) does the periodic work (here it
 * prints "job run N"). */
#include "svc_bindings.h"

__attribute__((export_name("stratus:service-fixtures/cron#tick"))) void tick(uint32_t n) {
  say_num("job run ", n);
}
