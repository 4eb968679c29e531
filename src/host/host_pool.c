/* host_pool.c: a component's limits at run time (host_pool.h): the
 * cpuLimit gate and the per-slot instance pool (poolSize, maxInvocations,
 * memoryLimitMb). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/host_internal.h"
#include "host/host_pool.h"

/* ---- cpuLimit ---- */

void host_gate_init(host_gate *g, uint32_t limit) {
  g->limit = limit;
  atomic_init(&g->running, 0);
  atomic_init(&g->max_running, 0);
  pthread_mutex_init(&g->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&g->cv, &ca);
  pthread_condattr_destroy(&ca);
}

void host_gate_destroy(host_gate *g) {
  pthread_mutex_destroy(&g->mu);
  pthread_cond_destroy(&g->cv);
}

static uint64_t mono_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void note_running(host_gate *g, unsigned now) {
  unsigned m = atomic_load(&g->max_running);
  while (now > m && !atomic_compare_exchange_weak(&g->max_running, &m, now)) {}
}

bool host_gate_enter(host_gate *g, uint64_t timeout_ns, uint64_t *waited_ns) {
  *waited_ns = 0;
  if (!g->limit) { /* no cap: counted only, without the lock */
    note_running(g, atomic_fetch_add(&g->running, 1) + 1);
    return true;
  }
  uint64_t start = mono_ns(), end = timeout_ns ? start + timeout_ns : 0;
  struct timespec ts = {.tv_sec = (time_t)(end / 1000000000u), .tv_nsec = (long)(end % 1000000000u)};
  bool got = true;
  pthread_mutex_lock(&g->mu);
  while (atomic_load(&g->running) >= g->limit) {
    if (!timeout_ns) pthread_cond_wait(&g->cv, &g->mu);
    else if (pthread_cond_timedwait(&g->cv, &g->mu, &ts) == ETIMEDOUT &&
             atomic_load(&g->running) >= g->limit) {
      got = false;
      break;
    }
  }
  if (got) note_running(g, atomic_fetch_add(&g->running, 1) + 1);
  pthread_mutex_unlock(&g->mu);
  *waited_ns = mono_ns() - start;
  return got;
}

void host_gate_leave(host_gate *g) {
  if (!g->limit) {
    atomic_fetch_sub(&g->running, 1);
    return;
  }
  pthread_mutex_lock(&g->mu);
  atomic_fetch_sub(&g->running, 1);
  pthread_cond_signal(&g->cv);
  pthread_mutex_unlock(&g->mu);
}

/* ---- instances of a slot ---- */

void host_pool_init(host_pool *p, const host_pool_config *cfg) {
  memset(p, 0, sizeof *p);
  p->cfg = *cfg;
  if (!p->cfg.max_uses) p->cfg.max_uses = 1;
}

static void inst_delete(host_inst *in) {
  if (in->inst) cm_instance_delete(in->inst);
  if (in->store) wasm_store_delete(in->store);
  memset(in, 0, sizeof *in);
}

/* A new instance from the slot's pre-instance, in a store capped by the
 * memory limit. */
static wasm_status inst_new(host_pool *p, host_inst *out, wasm_error *err) {
  memset(out, 0, sizeof *out);
  if (!(out->store = wasm_store_new(p->cfg.engine))) return host_fail(err, WASM_NOMEM, "out of memory");
  if (p->cfg.max_memory) {
    wasm_store_limits lim = {.max_memory_bytes = p->cfg.max_memory};
    wasm_store_set_limits(out->store, &lim);
  }
  wasm_status st = cm_instance_pre_instantiate(p->cfg.pre, out->store, &out->inst, err);
  if (st) {
    inst_delete(out);
    /* the engine's message says "the store's limit": name the manifest's */
    if (st == WASM_EXHAUSTED && p->cfg.memory_limit_mb && strstr(err->message, "store's limit")) {
      char msg[sizeof err->message];
      snprintf(msg, sizeof msg, "%s", err->message);
      return host_fail(err, st, "memoryLimitMb %d (%d MiB per linear memory) refuses it: %s",
                       (int)p->cfg.memory_limit_mb, (int)p->cfg.memory_limit_mb, msg);
    }
    return st;
  }
  atomic_fetch_add(&p->cfg.ctr->made, 1);
  return WASM_OK;
}

wasm_status host_pool_take(host_pool *p, uint64_t deadline_ticks, host_inst *out,
                           wasm_error *err) {
  host_counters *c = p->cfg.ctr;
  if (p->kept.inst) {
    *out = p->kept;
    memset(&p->kept, 0, sizeof p->kept);
    atomic_fetch_add(&c->reused, 1);
  } else if (p->nready) {
    *out = p->ready[--p->nready];
    atomic_fetch_sub(&c->ready, 1);
    atomic_fetch_add(&c->from_pool, 1);
  } else {
    wasm_status st = inst_new(p, out, err);
    if (st) return st;
  }
  out->ahead = false;
  atomic_fetch_add(&c->invocations, 1);
  if (deadline_ticks) wasm_store_set_epoch_deadline(out->store, deadline_ticks);
  return WASM_OK;
}

bool host_pool_give(host_pool *p, host_inst *in, bool ok) {
  if (!in->inst) return !p->kept.inst;
  in->uses++;
  /* one kept instance at most: the slot serves one invocation at a time */
  if (ok && in->uses < p->cfg.max_uses && !p->kept.inst) {
    p->kept = *in;
    memset(in, 0, sizeof *in);
    return false;
  }
  inst_delete(in);
  return !p->kept.inst;
}

wasm_status host_pool_fill(host_pool *p, wasm_error *err) {
  if (p->nready >= p->cfg.target) return WASM_OK;
  if (!p->ready && !(p->ready = calloc(p->cfg.target, sizeof *p->ready)))
    return host_fail(err, WASM_NOMEM, "out of memory");
  while (p->nready < p->cfg.target) {
    host_inst in;
    wasm_status st = inst_new(p, &in, err);
    if (st) return st;
    in.ahead = true;
    p->ready[p->nready++] = in;
    atomic_fetch_add(&p->cfg.ctr->made_ahead, 1);
    atomic_fetch_add(&p->cfg.ctr->ready, 1);
  }
  return WASM_OK;
}

void host_pool_clear(host_pool *p) {
  inst_delete(&p->kept);
  for (size_t i = 0; i < p->nready; i++) inst_delete(&p->ready[i]);
  if (p->nready) atomic_fetch_sub(&p->cfg.ctr->ready, (int)p->nready);
  p->nready = 0;
  free(p->ready);
  p->ready = NULL;
}
