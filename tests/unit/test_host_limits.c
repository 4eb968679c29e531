/*
 * test_host_limits.c: the runtime's per-component limits (host.h,
 * "limits"; src/host/host_pool.c) on the plugin-call path: a test plugin
 * grants test:limits/probe (its `hold` sleeps and measures how many calls
 * run at once) and keeps the plugin_host it is given, whose `call` is
 * what messaging handlers and the service use. The component is written
 * in the component text format: `next` counts in a global (a fresh
 * instance answers 1), `grow` is memory.grow, `boom` traps, `hold`
 * calls the probe.
 *
 *   memoryLimitMb  grow within the limit works, past it -1; a component
 *                  whose initial memory is above it does not start,
 *                  naming the limit
 *   cpuLimit       4 concurrent calls with cpuLimit 1 run one at a time,
 *                  with 2 two at a time; past the timeout a call fails
 *                  saying the component is busy
 *   maxInvocations 3: next gives 1,2,3,1,2,3; a trap drops the instance
 *   poolSize       instances are made ahead and calls take them; the
 *                  pool refills after each call
 *   composition    a component's calls into another's export obey the
 *                  exporter's maxInvocations, pool and cpuLimit
 */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "stratus/host.h"
#include "unit_cm.h"

static wasm_engine *eng;
static char dir[] = "/tmp/stratus-limits-XXXXXX";

/* ---- the probe plugin ---- */

static atomic_int running, max_running;
static plugin_host *the_host;

static wasm_status probe_hold(void *env, cm_instance *caller, const cm_val *args, size_t nargs,
                              cm_val *result, wasm_error *err) {
  int now = atomic_fetch_add(&running, 1) + 1;
  int m = atomic_load(&max_running);
  while (now > m && !atomic_compare_exchange_weak(&max_running, &m, now)) {}
  struct timespec ts = {0, (long)args[0].of.u * 1000000L};
  nanosleep(&ts, NULL);
  atomic_fetch_sub(&running, 1);
  return WASM_OK;
}

static wasm_status probe_link(plugin *p, plugin_item *item, cm_linker *l, wasm_error *err) {
  cm_host_entry e[] = {{"hold", probe_hold, NULL, NULL}};
  return cm_linker_define_interface(l, "test:limits/probe@0.1.0",
                                    "interface probe { hold: func(ms: u32); }", e, 1, err);
}

static wasm_status probe_resolved(plugin *p, const plugin_workload *w, plugin_host *host,
                                  wasm_error *err) {
  the_host = host;
  return WASM_OK;
}

static plugin probe = {.id = "test-probe", .imports = "test:limits/probe@0.1.0",
                       .item_link = probe_link, .workload_resolved = probe_resolved};

/* ---- the component ---- */

/* Component text wat compiled into dir/NAME. */
static bool write_wat(const char *name, const char *wat) {
  uint8_t *bin = NULL;
  size_t n = 0;
  wasm_error err = {0};
  if (cm_wat_to_binary(wat, strlen(wat), &bin, &n, &err) != WASM_OK) {
    CHECKM(0, "component text of %s: %s", name, err.message);
    return false;
  }
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  bool ok = f && fwrite(bin, 1, n, f) == n;
  if (f) ok = fclose(f) == 0 && ok;
  free(bin);
  CHECKM(ok, "cannot write %s", path);
  return ok;
}

/* composition: `counter` exports test:limits/api with `next` (a counter
 * in a global), `caller` imports it and exports `next` calling it. */
static const char *COUNTER_WAT =
    "(component\n"
    "  (core module $M (global $n (mut i32) (i32.const 0))\n"
    "    (func (export \"next\") (result i32)\n"
    "      (global.set $n (i32.add (global.get $n) (i32.const 1))) (global.get $n)))\n"
    "  (core instance $m (instantiate $M))\n"
    "  (func $next (result u32) (canon lift (core func $m \"next\")))\n"
    "  (instance $api (export \"next\" (func $next)))\n"
    "  (export \"test:limits/api@0.1.0\" (instance $api)))\n";
static const char *CALLER_WAT =
    "(component\n"
    "  (import \"test:limits/api@0.1.0\" (instance $api (export \"next\" (func (result u32)))))\n"
    "  (alias export $api \"next\" (func $next))\n"
    "  (core func $n (canon lower (func $next)))\n"
    "  (core module $M (import \"\" \"next\" (func $n (result i32)))\n"
    "    (func (export \"next\") (result i32) (call $n)))\n"
    "  (core instance $m (instantiate $M (with \"\" (instance (export \"next\" (func $n))))))\n"
    "  (func (export \"next\") (result u32) (canon lift (core func $m \"next\"))))\n";

/* The component with an initial memory of `pages` pages, in dir/NAME. */
static bool write_component(const char *name, unsigned pages) {
  char wat[4096];
  snprintf(wat, sizeof wat,
           "(component\n"
           "  (import \"test:limits/probe@0.1.0\" (instance $p (export \"hold\" (func (param \"ms\" u32)))))\n"
           "  (alias export $p \"hold\" (func $hold))\n"
           "  (core func $h (canon lower (func $hold)))\n"
           "  (core module $M\n"
           "    (import \"\" \"hold\" (func $hold (param i32)))\n"
           "    (memory (export \"mem\") %u)\n"
           "    (global $n (mut i32) (i32.const 0))\n"
           "    (func (export \"next\") (result i32)\n"
           "      (global.set $n (i32.add (global.get $n) (i32.const 1))) (global.get $n))\n"
           "    (func (export \"grow\") (param i32) (result i32) (memory.grow (local.get 0)))\n"
           "    (func (export \"boom\") unreachable)\n"
           "    (func (export \"hold\") (param i32) (call $hold (local.get 0))))\n"
           "  (core instance $m (instantiate $M (with \"\" (instance (export \"hold\" (func $h))))))\n"
           "  (func (export \"next\") (result u32) (canon lift (core func $m \"next\")))\n"
           "  (func (export \"grow\") (param \"pages\" u32) (result s32) (canon lift (core func $m \"grow\")))\n"
           "  (func (export \"boom\") (canon lift (core func $m \"boom\")))\n"
           "  (func (export \"hold\") (param \"ms\" u32) (canon lift (core func $m \"hold\"))))\n",
           pages);
  return write_wat(name, wat);
}

/* ---- a runtime with one workload ---- */

typedef struct rt_wl {
  host_runtime *rt;
  char id[HOST_RUNTIME_ID_MAX];
} rt_wl;

/* Starts a workload whose spec.components are `components` (YAML lines,
 * indented 4). WASM_OK or the start's status with err filled. */
static wasm_status start_components(rt_wl *x, const char *components, uint64_t timeout_ns,
                                    wasm_error *err) {
  memset(x, 0, sizeof *x);
  plugin *plugins[] = {&probe};
  host_runtime_config cfg = {.engine = eng, .plugins = plugins, .nplugins = 1, .workers = 2,
                             .timeout_ns = timeout_ns};
  wasm_status st = host_runtime_new(&cfg, &x->rt, err);
  if (st) return st;
  char yaml[2048], path[PATH_MAX];
  snprintf(yaml, sizeof yaml,
           "apiVersion: runtime.wasmcloud.dev/v1alpha1\nkind: Workload\nmetadata:\n  name: lim\n"
           "spec:\n  components:\n%s"
           "  hostInterfaces:\n    - namespace: test\n      package: limits\n"
           "      interfaces: [probe]\n      version: 0.1.0\n",
           components);
  snprintf(path, sizeof path, "%s/w.yaml", dir);
  workload *w = NULL;
  st = workload_parse(yaml, strlen(yaml), path, &w, err);
  if (!st) st = host_runtime_start_workload(x->rt, w, x->id, err);
  return st;
}

/* One component `c` (image IMAGE) with the component fields `fields`
 * (YAML lines, indented 6). */
static wasm_status start(rt_wl *x, const char *image, const char *fields, uint64_t timeout_ns,
                         wasm_error *err) {
  char comps[1024];
  snprintf(comps, sizeof comps, "    - name: c\n      image: ./%s\n%s", image, fields);
  return start_components(x, comps, timeout_ns, err);
}

static void stop(rt_wl *x) {
  host_runtime_delete(x->rt);
  x->rt = NULL;
  the_host = NULL;
}

/* Calls func of component c with at most one u32 argument; the result's
 * number (u32 or s32) in *out. */
static wasm_status call_in(rt_wl *x, const char *comp, const char *func, const uint32_t *arg,
                           int64_t *out, wasm_error *err) {
  cm_val a = {.kind = CM_U32}, res;
  memset(&res, 0, sizeof res);
  if (arg) a.of.u = *arg;
  wasm_status st = the_host->call(the_host, x->id, comp, func, arg ? &a : NULL, arg ? 1 : 0, &res, err);
  if (!st && out) *out = res.kind == CM_S32 ? (int64_t)res.of.s : (int64_t)res.of.u;
  if (!st) cm_val_free(&res);
  return st;
}

static wasm_status call(rt_wl *x, const char *func, const uint32_t *arg, int64_t *out,
                        wasm_error *err) {
  return call_in(x, "c", func, arg, out, err);
}

static int64_t call_n(rt_wl *x, const char *func, uint32_t arg) {
  int64_t v = -999;
  wasm_error err = {0};
  wasm_status st = call(x, func, &arg, &v, &err);
  CHECKM(st == WASM_OK, "%s(%u): %s", func, arg, err.message);
  return v;
}

static int64_t next(rt_wl *x) {
  int64_t v = -999;
  wasm_error err = {0};
  wasm_status st = call(x, "next", NULL, &v, &err);
  CHECKM(st == WASM_OK, "next: %s", err.message);
  return v;
}

static host_component_stats stats_of(rt_wl *x, const char *comp) {
  host_component_stats s;
  CHECK(host_runtime_component_stats(x->rt, x->id, comp, &s));
  return s;
}

static host_component_stats stats(rt_wl *x) { return stats_of(x, "c"); }

/* ---- the limits ---- */

static void test_memory_limit(void) {
  rt_wl x;
  wasm_error err = {0};
  /* 1 page initial, memoryLimitMb 1 (16 pages): up to 15 more */
  wasm_status st = start(&x, "small.wasm", "      localResources:\n        memoryLimitMb: 1\n", 0, &err);
  CHECKM(st == WASM_OK, "start: %s", err.message);
  if (!st) {
    CHECK(call_n(&x, "grow", 15) == 1);  /* old size: 1 page */
    CHECK(call_n(&x, "grow", 16) == -1); /* a fresh instance: 1 + 16 > 16 */
    CHECK(call_n(&x, "grow", 5) == 1);
    st = call(&x, "grow", &(uint32_t){16}, NULL, &err); /* still serving */
    CHECK(st == WASM_OK);
  }
  stop(&x);
  /* without the limit, 1 + 100 pages grow */
  st = start(&x, "small.wasm", "", 0, &err);
  CHECKM(st == WASM_OK, "start: %s", err.message);
  if (!st) CHECK(call_n(&x, "grow", 100) == 1);
  stop(&x);
  /* 17 pages initial is above 1 MiB: the workload does not start */
  st = start(&x, "big.wasm", "      localResources:\n        memoryLimitMb: 1\n", 0, &err);
  CHECKM(st != WASM_OK && strstr(err.message, "component `c`") &&
             strstr(err.message, "memoryLimitMb 1") && strstr(err.message, "17 pages"),
         "big: %d %s", (int)st, err.message);
  stop(&x);
  /* 2 MiB fits it */
  st = start(&x, "big.wasm", "      localResources:\n        memoryLimitMb: 2\n", 0, &err);
  CHECKM(st == WASM_OK, "big, 2 MiB: %s", err.message);
  if (!st) CHECK(call_n(&x, "grow", 15) == 17 && call_n(&x, "grow", 16) == -1);
  stop(&x);
}

typedef struct holder {
  rt_wl *x;
  uint32_t ms;
  wasm_status st;
  char msg[256];
} holder;

static void *hold_thread(void *arg) {
  holder *h = arg;
  wasm_error err = {0};
  h->st = call(h->x, "hold", &h->ms, NULL, &err);
  snprintf(h->msg, sizeof h->msg, "%s", err.message);
  return NULL;
}

/* n calls of hold(ms) at once; returns how many failed, the last
 * failure's message saying "busy" in msg. */
static int hold_n(rt_wl *x, int n, uint32_t ms, char *msg, size_t size) {
  holder h[8];
  pthread_t t[8];
  int failed = 0;
  atomic_store(&max_running, 0);
  for (int i = 0; i < n; i++) {
    h[i] = (holder){.x = x, .ms = ms};
    pthread_create(&t[i], NULL, hold_thread, &h[i]);
  }
  for (int i = 0; i < n; i++) {
    pthread_join(t[i], NULL);
    if (h[i].st) failed++;
    if (h[i].st && strstr(h[i].msg, "busy")) snprintf(msg, size, "%s", h[i].msg);
  }
  return failed;
}

static void test_cpu_limit(void) {
  rt_wl x;
  wasm_error err = {0};
  char msg[256] = "";
  /* no limit: the 4 plugin-call slots run 4 at once */
  wasm_status st = start(&x, "small.wasm", "", 0, &err);
  CHECKM(st == WASM_OK, "start: %s", err.message);
  if (!st) {
    CHECK(hold_n(&x, 4, 100, msg, sizeof msg) == 0);
    CHECKM(atomic_load(&max_running) == 4, "no limit: %d at once", atomic_load(&max_running));
  }
  stop(&x);
  for (int limit = 1; limit <= 2; limit++) {
    char fields[128];
    snprintf(fields, sizeof fields, "      localResources:\n        cpuLimit: %d\n", limit);
    st = start(&x, "small.wasm", fields, 0, &err);
    CHECKM(st == WASM_OK, "start: %s", err.message);
    if (st) {
      stop(&x);
      continue;
    }
    CHECK(hold_n(&x, 4, 50, msg, sizeof msg) == 0);
    CHECKM(atomic_load(&max_running) == limit, "cpuLimit %d: %d at once", limit,
           atomic_load(&max_running));
    host_component_stats s = stats(&x);
    CHECK(s.max_running == (uint32_t)limit && s.running == 0 && s.invocations == 4);
    stop(&x);
  }
  /* past the timeout (200 ms) a waiting call fails, saying why (the one
   * holding the place may fail too, past its deadline) */
  st = start(&x, "small.wasm", "      localResources:\n        cpuLimit: 1\n", 200000000u, &err);
  CHECKM(st == WASM_OK, "start: %s", err.message);
  if (!st) {
    int failed = hold_n(&x, 2, 600, msg, sizeof msg);
    CHECKM(failed >= 1 && strstr(msg, "component `c` is busy: cpuLimit 1"), "%d failed: %s",
           failed, msg);
    CHECK(stats(&x).busy == 1);
    CHECK(next(&x) == 1); /* and it serves on */
  }
  stop(&x);
}

static void test_max_invocations(void) {
  rt_wl x;
  wasm_error err = {0};
  /* default: a fresh instance per call */
  wasm_status st = start(&x, "small.wasm", "", 0, &err);
  CHECKM(st == WASM_OK, "start: %s", err.message);
  if (!st) CHECK(next(&x) == 1 && next(&x) == 1 && next(&x) == 1);
  stop(&x);
  st = start(&x, "small.wasm", "      maxInvocations: 3\n", 0, &err);
  CHECKM(st == WASM_OK, "start: %s", err.message);
  if (!st) {
    int64_t got[7];
    for (int i = 0; i < 7; i++) got[i] = next(&x);
    CHECKM(got[0] == 1 && got[1] == 2 && got[2] == 3 && got[3] == 1 && got[4] == 2 &&
               got[5] == 3 && got[6] == 1,
           "%lld %lld %lld %lld %lld %lld %lld", (long long)got[0], (long long)got[1],
           (long long)got[2], (long long)got[3], (long long)got[4], (long long)got[5],
           (long long)got[6]);
    /* a trap drops the instance: the next call starts over */
    CHECK(next(&x) == 2);
    CHECK(call(&x, "boom", NULL, NULL, &err) == WASM_TRAP);
    CHECK(next(&x) == 1);
    host_component_stats s = stats(&x);
    CHECKM(s.invocations == 10 && s.reused == 6 && s.instances == 4, "%llu %llu %llu",
           (unsigned long long)s.invocations, (unsigned long long)s.reused,
           (unsigned long long)s.instances);
  }
  stop(&x);
}

static void test_pool(void) {
  rt_wl x;
  wasm_error err = {0};
  wasm_status st = start(&x, "small.wasm", "      poolSize: 2\n", 0, &err);
  CHECKM(st == WASM_OK, "start: %s", err.message);
  if (!st) {
    /* not the HTTP handler: made ahead on the first call slot */
    host_component_stats s = stats(&x);
    CHECKM(s.made_ahead == 2 && s.ready == 2 && s.invocations == 0, "%llu %u",
           (unsigned long long)s.made_ahead, s.ready);
    CHECK(next(&x) == 1 && next(&x) == 1 && next(&x) == 1); /* fresh all the same */
    s = stats(&x);
    CHECKM(s.from_pool == 3 && s.ready == 2 && s.made_ahead == 5 && s.instances == 5,
           "from_pool %llu ready %u ahead %llu made %llu", (unsigned long long)s.from_pool,
           s.ready, (unsigned long long)s.made_ahead, (unsigned long long)s.instances);
  }
  stop(&x);
  /* with maxInvocations: the used instance first, then a pooled one */
  st = start(&x, "small.wasm", "      poolSize: 1\n      maxInvocations: 2\n", 0, &err);
  CHECKM(st == WASM_OK, "start: %s", err.message);
  if (!st) {
    CHECK(next(&x) == 1 && next(&x) == 2 && next(&x) == 1 && next(&x) == 2);
    host_component_stats s = stats(&x);
    CHECK(s.from_pool == 2 && s.reused == 2 && s.ready == 1);
  }
  stop(&x);
  /* too big a pool is refused */
  st = start(&x, "small.wasm", "      poolSize: 5000\n", 0, &err);
  CHECKM(st == WASM_BAD_ARG && strstr(err.message, "poolSize 5000 is more than 1024"), "%s",
         err.message);
  stop(&x);
}

/* Calls from one component into another (composition) obey the
 * exporter's limits: its maxInvocations and its pool. */
static void test_composition(void) {
  rt_wl x;
  wasm_error err = {0};
  wasm_status st = start_components(&x,
                                    "    - name: caller\n      image: ./caller.wasm\n"
                                    "    - name: counter\n      image: ./counter.wasm\n"
                                    "      poolSize: 1\n      maxInvocations: 3\n"
                                    "      localResources: {cpuLimit: 1}\n",
                                    0, &err);
  CHECKM(st == WASM_OK, "start: %s", err.message);
  if (!st) {
    int64_t got[5] = {0};
    for (int i = 0; i < 5; i++) call_in(&x, "caller", "next", NULL, &got[i], &err);
    CHECKM(got[0] == 1 && got[1] == 2 && got[2] == 3 && got[3] == 1 && got[4] == 2,
           "%lld %lld %lld %lld %lld", (long long)got[0], (long long)got[1], (long long)got[2],
           (long long)got[3], (long long)got[4]);
    host_component_stats s = stats_of(&x, "counter");
    CHECKM(s.invocations == 5 && s.reused == 3 && s.from_pool == 2 && s.max_running == 1,
           "inv %llu reused %llu from_pool %llu max_running %u",
           (unsigned long long)s.invocations, (unsigned long long)s.reused,
           (unsigned long long)s.from_pool, s.max_running);
    s = stats_of(&x, "caller");
    CHECK(s.invocations == 5 && s.reused == 0);
  }
  stop(&x);
}

int main(void) {
  eng = wasm_engine_new(NULL);
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 1;
  }
  if (write_component("small.wasm", 1) && write_component("big.wasm", 17) &&
      write_wat("counter.wasm", COUNTER_WAT) && write_wat("caller.wasm", CALLER_WAT)) {
    test_memory_limit();
    test_cpu_limit();
    test_max_invocations();
    test_pool();
    test_composition();
  }
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/counter.wasm", dir);
  unlink(path);
  snprintf(path, sizeof path, "%s/caller.wasm", dir);
  unlink(path);
  snprintf(path, sizeof path, "%s/small.wasm", dir);
  unlink(path);
  snprintf(path, sizeof path, "%s/big.wasm", dir);
  unlink(path);
  rmdir(dir);
  wasm_engine_delete(eng);
  return unit_report();
}
