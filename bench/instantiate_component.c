/*
 * instantiate_component.c: instantiation cost of a big component (the
 * ~12 MB componentize-js fixture, build/fixtures/js_app.component.wasm),
 * through the public API (stratus/component.h, stratus/wasi.h).
 *
 * Compiles the component once, instantiates it once (which prepares the
 * pre-instances and copy-on-write memory images of its core modules), then
 * measures instantiating it again from that state: a new store, a WASI 0.2
 * context and linker, cm_linker_instantiate, freeing it all. Also checks
 * that one of those instances runs (wasi:cli/run returns ok, its output
 * discarded). Prints microseconds (compile and first instantiation once,
 * the rest the mean over about a second, at least 5 iterations).
 *
 *   build/bench/instantiate_component [COMPONENT.wasm]   (bench/run.sh)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stratus/component.h"
#include "stratus/wasi.h"

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static unsigned char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  unsigned char *buf = NULL;
  if (fseek(f, 0, SEEK_END) == 0) {
    long n = ftell(f);
    if (n > 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n)) &&
        fread(buf, 1, (size_t)n, f) != (size_t)n) {
      free(buf);
      buf = NULL;
    }
    *len = n > 0 ? (size_t)n : 0;
  }
  fclose(f);
  return buf;
}

/* One instantiation in a fresh store; with run, also calls wasi:cli/run
 * and checks it returns ok. */
static int instantiate_once(wasm_engine *e, const cm_component *c, const char *run) {
  wasm_error err = {0};
  wasi2_config cfg = {.stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1};
  wasi2_ctx *ctx = NULL;
  cm_linker *l = cm_linker_new(e);
  wasm_store *s = wasm_store_new(e);
  cm_instance *inst = NULL;
  int rc = 1;
  if (!l || !s) {
    fprintf(stderr, "instantiate_component: out of memory\n");
    goto done;
  }
  if (wasi2_ctx_new(&cfg, &ctx, &err) != WASM_OK || wasi2_link(ctx, l, &err) != WASM_OK ||
      cm_linker_instantiate(l, s, c, &inst, &err) != WASM_OK) {
    fprintf(stderr, "instantiate_component: %s\n", err.message);
    goto done;
  }
  rc = 0;
  if (run) {
    cm_func *f = cm_instance_func(inst, run);
    cm_val res = {0};
    if (!f || cm_func_call(f, NULL, 0, &res, &err) != WASM_OK || res.kind != CM_RESULT ||
        res.of.variant.disc != 0) {
      fprintf(stderr, "instantiate_component: run failed: %s\n", f ? err.message : "no run export");
      rc = 1;
    }
    cm_val_free(&res);
  }
done:
  if (inst) cm_instance_delete(inst);
  if (l) cm_linker_delete(l);
  if (s) wasm_store_delete(s);
  wasi2_ctx_delete(ctx);
  return rc;
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "build/fixtures/js_app.component.wasm";
  size_t len = 0;
  unsigned char *bytes = slurp(path, &len);
  if (!bytes) {
    printf("instantiate_component: n/a (cannot read %s; tests/fixtures/build.sh builds it)\n", path);
    return 0;
  }
  char run[256] = "";
  wasm_engine *e = wasm_engine_new(NULL);
  wasm_error err = {0};
  cm_component *c = NULL;
  double t0 = now_us();
  if (!e || cm_component_new(e, bytes, len, &c, &err) != WASM_OK) {
    fprintf(stderr, "instantiate_component: %s\n", e ? err.message : "out of memory");
    return 1;
  }
  double t_compile = now_us() - t0;
  for (uint32_t i = 0; i < cm_component_export_count(c); i++)
    if (strncmp(cm_component_export_name(c, i), "wasi:cli/run@0.2.", 17) == 0)
      snprintf(run, sizeof run, "%s#run", cm_component_export_name(c, i));

  t0 = now_us();
  if (instantiate_once(e, c, NULL) != 0) return 1;
  double t_first = now_us() - t0;
  if (run[0] && instantiate_once(e, c, run) != 0) return 1;

  int n = 0;
  double t1;
  t0 = now_us();
  do {
    if (instantiate_once(e, c, NULL) != 0) return 1;
    n++;
    t1 = now_us();
  } while (n < 5 || t1 - t0 < 1e6);

  /* The server's path: imports resolved once (one linker and WASI
   * context, as a worker keeps), then a new store + instance per request. */
  double t_pre = -1;
  {
    wasi2_config cfg = {.stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1};
    wasi2_ctx *ctx = NULL;
    cm_linker *l = cm_linker_new(e);
    cm_instance_pre *pre = NULL;
    if (!l || wasi2_ctx_new(&cfg, &ctx, &err) != WASM_OK || wasi2_link(ctx, l, &err) != WASM_OK ||
        cm_linker_instantiate_pre(l, c, &pre, &err) != WASM_OK) {
      fprintf(stderr, "instantiate_component: pre: %s\n", err.message);
      return 1;
    }
    int m = 0;
    t0 = now_us();
    do {
      wasm_store *s = wasm_store_new(e);
      cm_instance *inst = NULL;
      if (!s || cm_instance_pre_instantiate(pre, s, &inst, &err) != WASM_OK) {
        fprintf(stderr, "instantiate_component: pre: %s\n", err.message);
        return 1;
      }
      cm_instance_delete(inst);
      wasm_store_delete(s);
      m++;
      t1 = now_us();
    } while (m < 5 || t1 - t0 < 1e6);
    t_pre = (t1 - t0) / m;
    cm_instance_pre_delete(pre);
    cm_linker_delete(l);
    wasi2_ctx_delete(ctx);
  }

  printf("instantiate_component: %s, %zu bytes\n", path, len);
  printf("  compile (cm_component_new)  %12.1f us\n", t_compile);
  printf("  first instantiation         %12.1f us\n", t_first);
  printf("  instantiate again           %12.1f us  (mean of %d; new store, WASI 0.2 linker)\n",
         (t1 - t0) / n, n);
  printf("  pre-instantiated            %12.1f us  (new store + cm_instance_pre_instantiate)\n", t_pre);
  cm_component_delete(c);
  wasm_engine_delete(e);
  free(bytes);
  return 0;
}
