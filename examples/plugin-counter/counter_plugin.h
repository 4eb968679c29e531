/* counter_plugin.h: the example-counter host plugin (counter_plugin.c). */
#ifndef COUNTER_PLUGIN_H
#define COUNTER_PLUGIN_H

#include "stratus/plugin.h"

#define COUNTER_IFACE "example:counter/counter@0.1.0"

/* A plugin providing example:counter/counter@0.1.0: next(name) adds one
 * to the counter `name` of the calling workload and returns it (the first
 * call gives 1). Counters live as long as the workload is bound. The
 * caller owns the plugin: plugin_free(p). NULL when out of memory. */
plugin *counter_plugin_new(void);

#endif
