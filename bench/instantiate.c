/*
 * instantiate.c: instantiation cost of the engine, through the public API.
 *
 * Builds (as binary bytes, so only the decoder is involved) a module with
 * 100 imports (98 functions, a global and a table), 16 active data
 * segments of 64 KiB (1 MiB in all) into its own memory, and a few
 * exported functions, then measures
 *   (a) compile + instantiate: wasm_module_new, a new store, the imports,
 *       wasm_instantiate, and freeing it all again;
 *   (b) instantiate only: a new store, the imports and wasm_instantiate of
 *       the module compiled once;
 *   (c) pre-instantiated: the same module shape with 100 function imports
 *       defined once on a linker (wasm_linker_define_func) and its global
 *       and table defined inside, prepared once with
 *       wasm_linker_instantiate_pre; then a new store and
 *       wasm_instance_pre_instantiate, for 1 KiB, 1 MiB and 16 MiB of data
 *       (the cost should not depend on the data size);
 * and prints microseconds per iteration (the mean over as many iterations
 * as fit in about half a second, at least 5).
 *
 *   build/bench/instantiate       (built and run by bench/run.sh)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stratus/wasm.h"

#define NIMPORT_FUNCS 98
#define NDATA 16
#define DATA_BYTES 65536
#define NDEFINED 8

/* The shape of a module: (a) and (b) use the default one. */
typedef struct shape {
  int nimport_funcs;
  int import_global_table; /* else the global and the table are defined */
  int ndata;               /* active segments of seg_bytes each */
  int seg_bytes;
} shape;

static const shape default_shape = {NIMPORT_FUNCS, 1, NDATA, DATA_BYTES};

/* ---- a growable byte buffer with LEB128 writers ---- */

typedef struct bytes {
  uint8_t *p;
  size_t len, cap;
  int oom;
} bytes;

static void put(bytes *b, const void *src, size_t n) {
  if (b->oom) return;
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n) cap *= 2;
    uint8_t *np = realloc(b->p, cap);
    if (!np) {
      b->oom = 1;
      return;
    }
    b->p = np;
    b->cap = cap;
  }
  memcpy(b->p + b->len, src, n);
  b->len += n;
}

static void put_u8(bytes *b, uint8_t v) { put(b, &v, 1); }

static void put_u32(bytes *b, uint32_t v) {
  do {
    uint8_t c = v & 0x7f;
    v >>= 7;
    put_u8(b, c | (v ? 0x80 : 0));
  } while (v);
}

static void put_s32(bytes *b, int32_t v) {
  for (;;) {
    uint8_t c = v & 0x7f;
    v >>= 7; /* arithmetic shift: the sign is kept */
    if ((v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40))) {
      put_u8(b, c);
      return;
    }
    put_u8(b, c | 0x80);
  }
}

static void put_name(bytes *b, const char *s) {
  put_u32(b, (uint32_t)strlen(s));
  put(b, s, strlen(s));
}

/* Appends section `id` with the contents of `body`, then empties body. */
static void put_section(bytes *b, uint8_t id, bytes *body) {
  put_u8(b, id);
  put_u32(b, (uint32_t)body->len);
  put(b, body->p, body->len);
  if (body->oom) b->oom = 1;
  body->len = 0;
}

/* Type 0: () -> (); type 1: (i32) -> (i32). */
static int import_type(int i) { return i % 2; }

static int build_module(bytes *out, const shape *sh) {
  bytes s = {0};
  static const uint8_t header[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
  put(out, header, sizeof header);

  put_u32(&s, 2); /* types */
  put_u8(&s, 0x60), put_u32(&s, 0), put_u32(&s, 0);
  put_u8(&s, 0x60), put_u32(&s, 1), put_u8(&s, 0x7f), put_u32(&s, 1), put_u8(&s, 0x7f);
  put_section(out, 1, &s);

  uint32_t nfi = (uint32_t)sh->nimport_funcs;
  put_u32(&s, nfi + (sh->import_global_table ? 2 : 0)); /* imports */
  for (int i = 0; i < sh->nimport_funcs; i++) {
    char name[16];
    snprintf(name, sizeof name, "f%d", i);
    put_name(&s, "env"), put_name(&s, name);
    put_u8(&s, 0x00), put_u32(&s, (uint32_t)import_type(i));
  }
  if (sh->import_global_table) {
    put_name(&s, "env"), put_name(&s, "g");
    put_u8(&s, 0x03), put_u8(&s, 0x7f), put_u8(&s, 0x00); /* immutable i32 */
    put_name(&s, "env"), put_name(&s, "t");
    put_u8(&s, 0x01), put_u8(&s, 0x70), put_u8(&s, 0x00), put_u32(&s, 4); /* funcref, min 4 */
  }
  put_section(out, 2, &s);

  put_u32(&s, NDEFINED); /* functions: all (i32) -> i32 */
  for (int i = 0; i < NDEFINED; i++) put_u32(&s, 1);
  put_section(out, 3, &s);

  if (!sh->import_global_table) {
    put_u32(&s, 1); /* table: funcref, min 4 */
    put_u8(&s, 0x70), put_u8(&s, 0x00), put_u32(&s, 4);
    put_section(out, 4, &s);
  }

  /* memory: enough pages for the segments, and 63 more at most */
  uint32_t pages = (uint32_t)((uint64_t)sh->ndata * (uint32_t)sh->seg_bytes / 65536 + 1);
  put_u32(&s, 1);
  put_u8(&s, 0x01), put_u32(&s, pages), put_u32(&s, pages + 63);
  put_section(out, 5, &s);

  if (!sh->import_global_table) {
    put_u32(&s, 1); /* global: immutable i32 7 */
    put_u8(&s, 0x7f), put_u8(&s, 0x00), put_u8(&s, 0x41), put_s32(&s, 7), put_u8(&s, 0x0b);
    put_section(out, 6, &s);
  }

  put_u32(&s, NDEFINED + 1); /* exports */
  put_name(&s, "memory"), put_u8(&s, 0x02), put_u32(&s, 0);
  for (int i = 0; i < NDEFINED; i++) {
    char name[16];
    snprintf(name, sizeof name, "run%d", i);
    put_name(&s, name), put_u8(&s, 0x00), put_u32(&s, nfi + (uint32_t)i);
  }
  put_section(out, 7, &s);

  put_u32(&s, NDEFINED); /* code: call an (i32)->i32 import, add a load */
  for (int i = 0; i < NDEFINED; i++) {
    bytes body = {0};
    put_u32(&body, 0);                                    /* no locals */
    put_u8(&body, 0x20), put_u32(&body, 0);               /* local.get 0 */
    put_u8(&body, 0x10), put_u32(&body, (uint32_t)(2 * i + 1)); /* call f(2i+1) */
    put_u8(&body, 0x20), put_u32(&body, 0);               /* local.get 0 */
    put_u8(&body, 0x28), put_u32(&body, 2), put_u32(&body, 0); /* i32.load */
    put_u8(&body, 0x6a);                                  /* i32.add */
    put_u8(&body, 0x23), put_u32(&body, 0);               /* global.get 0 */
    put_u8(&body, 0x6a);                                  /* i32.add */
    put_u8(&body, 0x0b);                                  /* end */
    put_u32(&s, (uint32_t)body.len);
    put(&s, body.p, body.len);
    if (body.oom) s.oom = 1;
    free(body.p);
  }
  put_section(out, 10, &s);

  put_u32(&s, (uint32_t)sh->ndata); /* data: active segments into memory 0 */
  uint8_t *chunk = malloc((size_t)sh->seg_bytes);
  if (!chunk) {
    free(s.p);
    return -1;
  }
  for (int i = 0; i < sh->ndata; i++) {
    for (int k = 0; k < sh->seg_bytes; k++) chunk[k] = (uint8_t)(k * 31 + i);
    put_u8(&s, 0x00);                                   /* active, memory 0 */
    put_u8(&s, 0x41), put_s32(&s, i * sh->seg_bytes);   /* i32.const offset */
    put_u8(&s, 0x0b);
    put_u32(&s, (uint32_t)sh->seg_bytes);
    put(&s, chunk, (size_t)sh->seg_bytes);
  }
  free(chunk);
  put_section(out, 11, &s);
  int oom = s.oom || out->oom;
  free(s.p);
  return oom ? -1 : 0;
}

/* ---- imports ---- */

static wasm_status host_nop(void *env, const wasm_val *args, wasm_val *results,
                            wasm_error *err) {
  return WASM_OK;
}

static wasm_status host_id(void *env, const wasm_val *args, wasm_val *results,
                           wasm_error *err) {
  results[0] = args[0];
  return WASM_OK;
}

static wasm_functype *types[2];

/* Creates the 100 imports in store s, in the module's import order. */
static int make_imports(wasm_store *s, wasm_extern *imports) {
  for (int i = 0; i < NIMPORT_FUNCS; i++) {
    int t = import_type(i);
    imports[i].kind = WASM_EXTERN_FUNC;
    imports[i].of.func = wasm_func_new_host(s, types[t], t ? host_id : host_nop, NULL);
    if (!imports[i].of.func) return -1;
  }
  wasm_val g = {.kind = WASM_I32};
  g.of.i32 = 7;
  imports[NIMPORT_FUNCS].kind = WASM_EXTERN_GLOBAL;
  imports[NIMPORT_FUNCS].of.global = wasm_global_new(s, WASM_I32, false, g);
  wasm_limits lim = {.min = 4, .max = 0, .has_max = false};
  imports[NIMPORT_FUNCS + 1].kind = WASM_EXTERN_TABLE;
  imports[NIMPORT_FUNCS + 1].of.table = wasm_table_new(s, WASM_FUNCREF, lim, NULL);
  if (!imports[NIMPORT_FUNCS].of.global || !imports[NIMPORT_FUNCS + 1].of.table) return -1;
  return 0;
}

/* ---- timing ---- */

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Checks run0 of inst: run0(4) = f1(4) + load(4) + g = 4 + bytes 4..7 of
 * segment 0 + 7. Returns 0 when right. */
static int check_run0(wasm_store *s, wasm_instance *inst) {
  wasm_error err = {0};
  wasm_extern run;
  wasm_val arg = {.kind = WASM_I32}, res = {0};
  arg.of.i32 = 4;
  int32_t want = 4 + (int32_t)(124 | 155u << 8 | 186u << 16 | 217u << 24) + 7;
  if (!wasm_instance_export(inst, "run0", &run) || run.kind != WASM_EXTERN_FUNC ||
      wasm_func_call(s, run.of.func, &arg, 1, &res, 1, &err) != WASM_OK || res.of.i32 != want) {
    fprintf(stderr, "instantiate: run0 gave %d, want %d (%s)\n", res.of.i32, want, err.message);
    return -1;
  }
  return 0;
}

/* One instantiation of m in a fresh store; calls run0 once the first time
 * to check the instance works. Returns 0 on success. */
static int instantiate_once(wasm_engine *e, const wasm_module *m, int check) {
  wasm_extern imports[NIMPORT_FUNCS + 2];
  wasm_error err = {0};
  wasm_store *s = wasm_store_new(e);
  if (!s) return -1;
  int rc = -1;
  wasm_instance *inst = NULL;
  if (make_imports(s, imports) != 0) {
    fprintf(stderr, "instantiate: creating imports failed\n");
  } else if (wasm_instantiate(s, m, imports, NIMPORT_FUNCS + 2, &inst, &err) != WASM_OK) {
    fprintf(stderr, "instantiate: %s\n", err.message);
  } else {
    rc = check ? check_run0(s, inst) : 0;
  }
  wasm_store_delete(s);
  return rc;
}

/* One instance of pre in a fresh store. */
static int pre_once(wasm_engine *e, const wasm_instance_pre *pre, int check) {
  wasm_error err = {0};
  wasm_store *s = wasm_store_new(e);
  if (!s) return -1;
  wasm_instance *inst = NULL;
  int rc = -1;
  if (wasm_instance_pre_instantiate(pre, s, &inst, &err) != WASM_OK)
    fprintf(stderr, "instantiate: %s\n", err.message);
  else
    rc = check ? check_run0(s, inst) : 0;
  wasm_store_delete(s);
  return rc;
}

/* (c) for one data size: prints the line, returns 0 on success. */
static int bench_pre(wasm_engine *e, int ndata, int seg_bytes, double budget_us) {
  shape sh = {100, 0, ndata, seg_bytes};
  bytes bin = {0};
  wasm_error err = {0};
  wasm_module *m = NULL;
  wasm_linker *l = wasm_linker_new(e);
  wasm_instance_pre *pre = NULL;
  int rc = -1;
  if (!l || build_module(&bin, &sh) != 0) {
    fprintf(stderr, "instantiate: out of memory\n");
    goto done;
  }
  for (int i = 0; i < sh.nimport_funcs; i++) {
    char name[16];
    int t = import_type(i);
    snprintf(name, sizeof name, "f%d", i);
    if (wasm_linker_define_func(l, "env", name, types[t], t ? host_id : host_nop, NULL) !=
        WASM_OK)
      goto done;
  }
  if (wasm_module_new(e, bin.p, bin.len, &m, &err) != WASM_OK ||
      wasm_linker_instantiate_pre(l, m, &pre, &err) != WASM_OK) {
    fprintf(stderr, "instantiate: %s\n", err.message);
    goto done;
  }
  if (pre_once(e, pre, 1) != 0) goto done;
  int n = 0;
  double t0 = now_us(), t1;
  do {
    if (pre_once(e, pre, 0) != 0) goto done;
    n++;
    t1 = now_us();
  } while (n < 5 || t1 - t0 < budget_us);
  printf("  pre: new store + instantiate, %6lld KiB data %8.1f us  (mean of %d)\n",
         (long long)ndata * seg_bytes / 1024, (t1 - t0) / n, n);
  rc = 0;
done:
  wasm_instance_pre_delete(pre);
  wasm_module_delete(m);
  wasm_linker_delete(l);
  free(bin.p);
  return rc;
}

int main(void) {
  bytes bin = {0};
  if (build_module(&bin, &default_shape) != 0) {
    fprintf(stderr, "instantiate: out of memory\n");
    return 1;
  }
  static const uint8_t t1[1] = {WASM_I32};
  types[0] = wasm_functype_new(NULL, 0, NULL, 0);
  types[1] = wasm_functype_new(t1, 1, t1, 1);
  wasm_engine *e = wasm_engine_new(NULL);
  if (!types[0] || !types[1] || !e) {
    fprintf(stderr, "instantiate: engine setup failed\n");
    return 1;
  }

  wasm_error err = {0};
  wasm_module *m = NULL;
  if (wasm_module_new(e, bin.p, bin.len, &m, &err) != WASM_OK) {
    fprintf(stderr, "instantiate: compiling the module failed: %s\n", err.message);
    return 1;
  }
  if (instantiate_once(e, m, 1) != 0) return 1;

  const double budget_us = 500000;
  const int min_iters = 5;

  /* (a) compile + instantiate */
  int n_a = 0;
  double t0 = now_us(), t1a;
  do {
    wasm_module *mm = NULL;
    if (wasm_module_new(e, bin.p, bin.len, &mm, &err) != WASM_OK) {
      fprintf(stderr, "instantiate: %s\n", err.message);
      return 1;
    }
    int rc = instantiate_once(e, mm, 0);
    wasm_module_delete(mm);
    if (rc != 0) return 1;
    n_a++;
    t1a = now_us();
  } while (n_a < min_iters || t1a - t0 < budget_us);

  /* (b) new store + instance of the compiled module */
  int n_b = 0;
  double t0b = now_us(), t1b;
  do {
    if (instantiate_once(e, m, 0) != 0) return 1;
    n_b++;
    t1b = now_us();
  } while (n_b < min_iters || t1b - t0b < budget_us);

  printf("instantiate: module of %zu bytes, %d imports, %d KiB of data segments\n", bin.len,
         NIMPORT_FUNCS + 2, NDATA * DATA_BYTES / 1024);
  printf("  compile + instantiate      %10.1f us  (mean of %d)\n", (t1a - t0) / n_a, n_a);
  printf("  new store + instantiate    %10.1f us  (mean of %d)\n", (t1b - t0b) / n_b, n_b);

  /* (c) pre-instantiated, by data size */
  if (bench_pre(e, 1, 1024, budget_us) != 0 || bench_pre(e, 16, 65536, budget_us) != 0 ||
      bench_pre(e, 256, 65536, budget_us) != 0)
    return 1;

  wasm_module_delete(m);
  wasm_engine_delete(e);
  wasm_functype_delete(types[0]);
  wasm_functype_delete(types[1]);
  free(bin.p);
  return 0;
}
