/* host_log.h: guest output with a per-component prefix. Each component
 * gets a pipe whose write end is its WASI stdout/stderr; one thread reads
 * every pipe and writes whole lines to the log as "[component] line". */
#ifndef STRATUS_HOST_LOG_H
#define STRATUS_HOST_LOG_H

#include <stdio.h>

#include "stratus/wasm.h"

typedef struct host_log host_log;

/* Starts the reading thread; out is borrowed. */
wasm_status host_log_new(FILE *out, host_log **lp, wasm_error *err);
/* A new pipe whose lines are prefixed "[prefix] "; *fd gets its write
 * end, which the caller closes when done (the reader then flushes what
 * is left and forgets the pipe). */
wasm_status host_log_pipe(host_log *l, const char *prefix, int *fd, wasm_error *err);
/* Reads what is still in the pipes (their write ends should be closed),
 * then stops the thread and frees l. */
void host_log_delete(host_log *l);

#endif
