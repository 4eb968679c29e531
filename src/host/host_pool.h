/* host_pool.h: a component's limits at run time (host_pool.c), used by
 * host_runtime.c:
 *
 *   - host_gate: cpuLimit, at most N invocations of a component at once;
 *     more wait for a place, up to a timeout;
 *   - host_pool: the instances of one slot (one worker thread, or one
 *     plugin-call slot) of a component: poolSize instances made ahead
 *     from the slot's pre-instance, the instance kept between
 *     invocations while maxInvocations allows, and each store capped at
 *     memoryLimitMb per linear memory.
 *
 * A pool belongs to its slot's thread (its instances are bound to the
 * slot's WASI context and linker), so it has no lock; the counters it
 * shares with the component's other pools are atomic. */
#ifndef STRATUS_HOST_POOL_H
#define STRATUS_HOST_POOL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "stratus/host.h"

/* What a component's pools and gate count (host_component_stats). */
typedef struct host_counters {
  atomic_uint_fast64_t made, made_ahead, invocations, reused, from_pool, busy;
  atomic_int ready;
} host_counters;

/* ---- cpuLimit ---- */

typedef struct host_gate {
  uint32_t limit; /* 0: none (only counted) */
  pthread_mutex_t mu;
  pthread_cond_t cv; /* CLOCK_MONOTONIC */
  atomic_uint running, max_running;
} host_gate;

void host_gate_init(host_gate *g, uint32_t limit);
void host_gate_destroy(host_gate *g);
/* Takes a place, waiting up to timeout_ns (0: as long as it takes);
 * false when none came in time. *waited_ns: how long it waited. */
bool host_gate_enter(host_gate *g, uint64_t timeout_ns, uint64_t *waited_ns);
void host_gate_leave(host_gate *g);

/* ---- instances of a slot ---- */

typedef struct host_inst {
  wasm_store *store;
  cm_instance *inst; /* NULL: none */
  uint32_t uses;     /* invocations served so far */
  bool ahead;        /* made ahead (pooled), not yet used */
} host_inst;

typedef struct host_pool_config {
  wasm_engine *engine;
  cm_instance_pre *pre;    /* the slot's (borrowed) */
  uint64_t max_memory;     /* bytes per linear memory; 0: none */
  int32_t memory_limit_mb; /* memoryLimitMb, named in errors; 0: none */
  uint32_t target;         /* poolSize: instances kept ready */
  uint32_t max_uses;       /* maxInvocations (0 is taken as 1) */
  host_counters *ctr;      /* the component's (borrowed) */
} host_pool_config;

typedef struct host_pool {
  host_pool_config cfg;
  host_inst kept;  /* used, may serve again */
  host_inst *ready; /* made ahead, never used */
  size_t nready;
} host_pool;

void host_pool_init(host_pool *p, const host_pool_config *cfg);
/* An instance for one invocation: the kept one, else a ready one, else a
 * new one; its epoch deadline deadline_ticks from now (0: none). An
 * instantiation refused by memoryLimitMb says so. */
wasm_status host_pool_take(host_pool *p, uint64_t deadline_ticks, host_inst *out,
                           wasm_error *err);
/* Gives back what host_pool_take gave: kept when `ok` (the invocation
 * did not trap) and it may serve again, else deleted. True when no used
 * instance of the slot remains: the caller then clears the slot's WASI
 * and wasi:http state (a kept instance still holds its objects). */
bool host_pool_give(host_pool *p, host_inst *in, bool ok);
/* Makes instances until target are ready. */
wasm_status host_pool_fill(host_pool *p, wasm_error *err);
/* Deletes every instance. */
void host_pool_clear(host_pool *p);

#endif
