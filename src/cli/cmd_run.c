/*
 * cmd_run.c: `stratus run [options] prog.wasm [args...]`: runs a WASI
 * (preview1) command module, or one export of a module with --invoke, or a
 * component as a wasi:cli/command (WASI 0.2 linked, the `run` function of
 * its wasi:cli/run export called).
 *
 *   --env K=V           add K=V to the guest's (otherwise empty) environment
 *   --dir HOST[::GUEST] preopen host directory HOST as GUEST (default HOST)
 *   --allow-tcp, --allow-udp, --allow-ip-name-lookup, --allow-net (all
 *                       three): network grants for components (WASI 0.2
 *                       sockets), denied by default
 *   --invoke NAME       call export NAME with the remaining arguments parsed
 *                       as its parameters, and print its results
 *   --max-memory BYTES  cap each linear memory at BYTES (suffixes K, M, G:
 *                       binary multiples, e.g. 64M); a module whose minimum
 *                       is larger fails to instantiate, memory.grow past it
 *                       returns -1
 *   --fuel N            stop the guest after N units of fuel (one per
 *                       function call and loop back edge): deterministic
 *   --timeout DURATION  stop the guest after DURATION of wall time
 *                       (e.g. 500ms, 1s, 2m; a bare number is seconds)
 *   --max-call-depth N  limit nested wasm calls to N frames
 * An interrupted guest is a trap: "all fuel consumed", "interrupted:
 * deadline exceeded", "call stack exhausted".
 *
 * Exit status: the guest's exit code (proc_exit or wasi:cli/exit; else 0
 * when _start returns or run returns ok, 1 when run returns err); 134
 * after a trap ("error: <trap message>" on stderr); 1 when the module
 * cannot be read, compiled, linked or instantiated; 2 on bad usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "stratus/component.h"
#include "stratus/wasi.h"
#include "stratus/wasm.h"

#define RUN_TRAP_EXIT 134

typedef struct run_opts {
  const char **env;
  uint32_t nenv;
  wasi_preopen *dirs;
  uint32_t ndirs;
  const char *invoke;
  uint64_t max_memory; /* bytes; 0: no limit */
  uint32_t network;    /* WASI2_NET_* grants (components) */
  uint64_t fuel;       /* 0: unlimited */
  uint64_t timeout_ns; /* 0: none */
  uint32_t max_call_depth; /* 0: default */
  const char *path;
  char **args; /* after the module path */
  int nargs;
} run_opts;

static int run_usage(void) {
  fprintf(stderr, "usage: stratus run [--env K=V]... [--dir HOST[::GUEST]]... "
                  "[--allow-net|--allow-tcp|--allow-udp|--allow-ip-name-lookup]... "
                  "[--invoke NAME] [--max-memory BYTES] [--fuel N] [--timeout DURATION] "
                  "[--max-call-depth N] prog.wasm [args...]\n");
  return 2;
}

/* --timeout: a thread that waits until the time is up (or it is told to
 * stop), then advances the engine's epoch past the store's deadline. */
typedef struct run_timer {
  wasm_engine *engine;
  struct timespec until; /* CLOCK_MONOTONIC */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool stop;
  pthread_t th;
} run_timer;

static void *timer_main(void *arg) {
  run_timer *t = arg;
  pthread_mutex_lock(&t->mu);
  int rc = 0;
  while (!t->stop && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&t->cv, &t->mu, &t->until);
  bool fire = !t->stop;
  pthread_mutex_unlock(&t->mu);
  if (fire) wasm_engine_increment_epoch(t->engine);
  return NULL;
}

static bool timer_start(run_timer *t, wasm_engine *e, uint64_t ns) {
  t->engine = e;
  t->stop = false;
  clock_gettime(CLOCK_MONOTONIC, &t->until);
  uint64_t nsec = (uint64_t)t->until.tv_nsec + ns % 1000000000u;
  t->until.tv_sec += (time_t)(ns / 1000000000u + nsec / 1000000000u);
  t->until.tv_nsec = (long)(nsec % 1000000000u);
  pthread_condattr_t ca;
  if (pthread_condattr_init(&ca) != 0) return false;
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  bool ok = pthread_mutex_init(&t->mu, NULL) == 0;
  ok = ok && pthread_cond_init(&t->cv, &ca) == 0;
  pthread_condattr_destroy(&ca);
  return ok && pthread_create(&t->th, NULL, timer_main, t) == 0;
}

static void timer_stop(run_timer *t) {
  pthread_mutex_lock(&t->mu);
  t->stop = true;
  pthread_cond_signal(&t->cv);
  pthread_mutex_unlock(&t->mu);
  pthread_join(t->th, NULL);
}

/* Parses the options; the strings stay in argv. */
static int parse_opts(int argc, char **argv, run_opts *o) {
  memset(o, 0, sizeof *o);
  o->env = calloc((size_t)argc, sizeof *o->env);
  o->dirs = calloc((size_t)argc, sizeof *o->dirs);
  if (!o->env || !o->dirs) return -1;
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if (a[0] != '-' || a[1] == '\0') break;
    /* value-less network grants */
    static const struct { const char *name; uint32_t bits; } grants[] = {
        {"--allow-net", WASI2_NET_TCP | WASI2_NET_UDP | WASI2_NET_LOOKUP},
        {"--allow-tcp", WASI2_NET_TCP},
        {"--allow-udp", WASI2_NET_UDP},
        {"--allow-ip-name-lookup", WASI2_NET_LOOKUP},
    };
    bool granted = false;
    for (size_t k = 0; k < sizeof grants / sizeof grants[0] && !granted; k++)
      if (strcmp(a, grants[k].name) == 0) o->network |= grants[k].bits, granted = true;
    if (granted) continue;
    /* "--opt VALUE" or "--opt=VALUE" */
    static const char *const names[] = {"--env", "--dir", "--invoke", "--max-memory",
                                        "--fuel", "--timeout", "--max-call-depth"};
    size_t nlen = 0;
    const char *val = NULL;
    for (size_t k = 0; k < sizeof names / sizeof names[0] && !nlen; k++) {
      size_t l = strlen(names[k]);
      if (strncmp(a, names[k], l) != 0) continue;
      if (a[l] == '=') nlen = l, val = a + l + 1;
      else if (a[l] == '\0' && i + 1 < argc) nlen = l, val = argv[++i];
    }
    if (!val) return -1;
    if (nlen == 5 && strncmp(a, "--env", 5) == 0) {
      if (!strchr(val, '=')) return -1;
      o->env[o->nenv++] = val;
    } else if (nlen == 5 && strncmp(a, "--dir", 5) == 0) {
      wasi_preopen *p = &o->dirs[o->ndirs++];
      const char *sep = strstr(val, "::");
      if (sep) {
        char *host = strndup(val, (size_t)(sep - val));
        if (!host) return -1;
        p->host_path = host;
        p->guest_path = sep + 2;
      } else {
        p->host_path = val;
        p->guest_path = val;
      }
    } else if (nlen == 8 && strncmp(a, "--invoke", 8) == 0) {
      o->invoke = val;
    } else if (nlen == 12 && strncmp(a, "--max-memory", 12) == 0) {
      if (!cli_parse_bytes(val, &o->max_memory)) return -1;
    } else if (nlen == 6 && strncmp(a, "--fuel", 6) == 0) {
      if (!cli_parse_count(val, UINT64_MAX - 1, &o->fuel)) return -1;
    } else if (nlen == 9 && strncmp(a, "--timeout", 9) == 0) {
      if (!cli_parse_duration(val, &o->timeout_ns)) return -1;
    } else if (nlen == 16 && strncmp(a, "--max-call-depth", 16) == 0) {
      uint64_t d;
      if (!cli_parse_count(val, UINT32_MAX, &d)) return -1;
      o->max_call_depth = (uint32_t)d;
    } else {
      return -1;
    }
  }
  if (i >= argc) return -1;
  o->path = argv[i];
  o->args = argv + i + 1;
  o->nargs = argc - i - 1;
  return 0;
}

static void free_opts(run_opts *o, char **argv, int argc) {
  for (uint32_t i = 0; o->dirs && i < o->ndirs; i++)
    if (o->dirs[i].host_path != o->dirs[i].guest_path)
      free((char *)o->dirs[i].host_path);
  free(o->dirs);
  free(o->env);
}

/* Parses a command-line argument as a value of the given kind. */
static bool parse_val(const char *s, uint8_t kind, wasm_val *v) {
  char *end;
  errno = 0;
  v->kind = kind;
  switch (kind) {
  case WASM_I32: {
    long long x = strtoll(s, &end, 0);
    if (x < INT32_MIN || x > UINT32_MAX) return false;
    v->of.i32 = (int32_t)(uint32_t)x;
    break;
  }
  case WASM_I64: {
    if (s[0] == '-') v->of.i64 = strtoll(s, &end, 0);
    else v->of.i64 = (int64_t)strtoull(s, &end, 0);
    break;
  }
  case WASM_F32: {
    float f = strtof(s, &end);
    memcpy(&v->of.f32, &f, 4);
    break;
  }
  case WASM_F64: {
    double d = strtod(s, &end);
    memcpy(&v->of.f64, &d, 8);
    break;
  }
  default:
    return false;
  }
  return end != s && *end == '\0' && errno != ERANGE;
}

static void print_val(const wasm_val *v) {
  switch (v->kind) {
  case WASM_I32: printf("%" PRId32 "\n", v->of.i32); break;
  case WASM_I64: printf("%" PRId64 "\n", v->of.i64); break;
  case WASM_F32: {
    float f;
    memcpy(&f, &v->of.f32, 4);
    printf("%.9g\n", (double)f);
    break;
  }
  case WASM_F64: {
    double d;
    memcpy(&d, &v->of.f64, 8);
    printf("%.17g\n", d);
    break;
  }
  default: printf("<ref %p>\n", v->of.ref); break;
  }
}

/* Calls --invoke NAME with the command-line arguments. */
static wasm_status invoke(wasm_store *store, wasm_instance *inst,
                          const run_opts *o, wasm_error *err, bool *usage_err) {
  wasm_extern ext;
  if (!wasm_instance_export(inst, o->invoke, &ext) || ext.kind != WASM_EXTERN_FUNC) {
    fprintf(stderr, "error: no exported function '%s'\n", o->invoke);
    *usage_err = true;
    return WASM_BAD_ARG;
  }
  const wasm_functype *t = wasm_func_type(ext.of.func);
  uint32_t np = wasm_functype_nparams(t), nr = wasm_functype_nresults(t);
  if ((uint32_t)o->nargs != np) {
    fprintf(stderr, "error: '%s' takes %u arguments, %d given\n", o->invoke,
            np, o->nargs);
    *usage_err = true;
    return WASM_BAD_ARG;
  }
  wasm_val *args = calloc(np + 1, sizeof *args);
  wasm_val *res = calloc(nr + 1, sizeof *res);
  wasm_status st = WASM_NOMEM;
  if (args && res) {
    st = WASM_OK;
    for (uint32_t i = 0; i < np && st == WASM_OK; i++) {
      if (!parse_val(o->args[i], wasm_functype_param(t, i), &args[i])) {
        fprintf(stderr, "error: cannot parse argument %u '%s'\n", i, o->args[i]);
        *usage_err = true;
        st = WASM_BAD_ARG;
      }
    }
    if (st == WASM_OK) st = wasm_func_call(store, ext.of.func, args, np, res, nr, err);
    if (st == WASM_OK)
      for (uint32_t i = 0; i < nr; i++) print_val(&res[i]);
  }
  free(args);
  free(res);
  return st;
}

/* The name of c's wasi:cli/run@0.2.x export, or NULL. */
static const char *find_run_export(const cm_component *c) {
  static const char prefix[] = "wasi:cli/run@0.2.";
  for (uint32_t i = 0; i < cm_component_export_count(c); i++) {
    const char *n = cm_component_export_name(c, i);
    if (n && strncmp(n, prefix, sizeof prefix - 1) == 0) return n;
  }
  return NULL;
}

/* What running a component holds; the store's core objects refer to all
 * of it, so it is freed after the store (comp_free). */
typedef struct comp_run {
  cm_component *comp;
  cm_linker *linker;
  wasi2_ctx *ctx;
} comp_run;

static void comp_free(comp_run *r) {
  if (r->linker) cm_linker_delete(r->linker);
  wasi2_ctx_delete(r->ctx);
  cm_component_delete(r->comp);
}

/* Runs a component as a wasi:cli/command in store: WASI 0.2 linked, the
 * `run` function of its wasi:cli/run export called. Returns the exit
 * status. */
static int run_component(wasm_engine *engine, wasm_store *store, const uint8_t *bytes,
                         size_t len, const run_opts *o, const char **gargs, comp_run *r) {
  int rc = 1;
  wasm_error err = {0};
  cm_instance *inst = NULL;
  char *fname = NULL;
  cm_val res = {0};

  if (o->invoke) {
    fprintf(stderr, "error: --invoke is not supported for components\n");
    return 2;
  }
  if (cm_component_new(engine, bytes, len, &r->comp, &err) != WASM_OK) {
    fprintf(stderr, "error: %s: %s\n", o->path, err.message);
    return 1;
  }
  const char *run_name = find_run_export(r->comp);
  if (!run_name) {
    fprintf(stderr, "error: %s is not a wasi:cli/command (no wasi:cli/run@0.2 export)\n",
            o->path);
    goto done;
  }
  size_t nlen = strlen(run_name);
  fname = malloc(nlen + sizeof "#run");
  if (!fname) goto oom;
  memcpy(fname, run_name, nlen);
  memcpy(fname + nlen, "#run", sizeof "#run");

  wasi2_config cfg = {
      .args = gargs,
      .nargs = (uint32_t)o->nargs + 1,
      .env = o->env,
      .nenv = o->nenv,
      .stdin_fd = STDIN_FILENO,
      .stdout_fd = STDOUT_FILENO,
      .stderr_fd = STDERR_FILENO,
      .preopens = o->dirs,
      .npreopens = o->ndirs,
      .network = o->network,
  };
  r->linker = cm_linker_new(engine);
  if (!r->linker) goto oom;
  if (wasi2_ctx_new(&cfg, &r->ctx, &err) != WASM_OK ||
      wasi2_link(r->ctx, r->linker, &err) != WASM_OK ||
      cm_linker_instantiate(r->linker, store, r->comp, &inst, &err) != WASM_OK) {
    fprintf(stderr, "error: %s\n", err.message);
    goto done;
  }
  cm_func *run = cm_instance_func(inst, fname);
  if (!run) {
    fprintf(stderr, "error: %s: export %s is not a function\n", o->path, fname);
    goto done;
  }
  wasm_status st = cm_func_call(run, NULL, 0, &res, &err);
  fflush(stdout);
  int code;
  if (wasi2_exit_code(r->ctx, &code)) {
    rc = code;
  } else if (st == WASM_OK) {
    /* run: func() -> result */
    rc = res.kind == CM_RESULT && res.of.variant.disc == 0 ? 0 : 1;
  } else if (st == WASM_TRAP || st == WASM_EXHAUSTED) {
    fprintf(stderr, "error: %s\n", err.message);
    rc = RUN_TRAP_EXIT;
  } else {
    fprintf(stderr, "error: %s\n", err.message);
    rc = 1;
  }
  goto done;

oom:
  fprintf(stderr, "error: out of memory\n");
done:
  cm_val_free(&res);
  if (inst) cm_instance_delete(inst);
  free(fname);
  return rc;
}

int cmd_run(int argc, char **argv) {
  run_opts o;
  if (parse_opts(argc, argv, &o) != 0) {
    free_opts(&o, argv, argc);
    return run_usage();
  }
  int rc = 1;
  uint8_t *bytes = NULL;
  size_t len = 0;
  wasm_engine *engine = NULL;
  wasm_module *mod = NULL;
  wasm_store *store = NULL;
  wasm_linker *linker = NULL;
  wasi_ctx *ctx = NULL;
  const char **gargs = NULL;
  wasm_error err = {0};
  wasm_instance *inst = NULL;
  run_timer timer;
  bool timer_on = false;
  comp_run crun = {0};

  if (!cli_read_file(o.path, &bytes, &len)) {
    fprintf(stderr, "error: cannot read %s: %s\n", o.path, strerror(errno));
    goto done;
  }
  wasm_config ecfg = {.max_call_depth = o.max_call_depth};
  engine = wasm_engine_new(&ecfg);
  bool is_component = cm_is_component(bytes, len);
  if (!engine || (!is_component && wasm_module_new(engine, bytes, len, &mod, &err) != WASM_OK)) {
    fprintf(stderr, "error: %s: %s\n", o.path, engine ? err.message : "out of memory");
    goto done;
  }
  gargs = calloc((size_t)o.nargs + 1, sizeof *gargs);
  if (!gargs) goto done;
  gargs[0] = o.path; /* the guest's argv[0] is the program name */
  for (int i = 0; i < o.nargs; i++) gargs[i + 1] = o.args[i];
  wasi_config cfg = {
      .args = gargs,
      .nargs = o.invoke ? 1 : (uint32_t)o.nargs + 1,
      .env = o.env,
      .nenv = o.nenv,
      .stdin_fd = STDIN_FILENO,
      .stdout_fd = STDOUT_FILENO,
      .stderr_fd = STDERR_FILENO,
      .preopens = o.dirs,
      .npreopens = o.ndirs,
  };
  store = wasm_store_new(engine);
  linker = wasm_linker_new(engine);
  if (!store || !linker) {
    fprintf(stderr, "error: out of memory\n");
    goto done;
  }
  if (o.max_memory) {
    wasm_store_limits lim = {.max_memory_bytes = o.max_memory};
    wasm_store_set_limits(store, &lim);
  }
  if (o.fuel) wasm_store_set_fuel(store, o.fuel);
  if (o.timeout_ns) {
    wasm_store_set_epoch_deadline(store, 1);
    if (!timer_start(&timer, engine, o.timeout_ns)) {
      fprintf(stderr, "error: cannot start the timeout thread\n");
      goto done;
    }
    timer_on = true;
  }
  if (is_component) {
    rc = run_component(engine, store, bytes, len, &o, gargs, &crun);
    goto done;
  }
  if (wasi_ctx_new(&cfg, &ctx, &err) != WASM_OK ||
      wasi_ctx_link(ctx, linker, store, &err) != WASM_OK) {
    fprintf(stderr, "error: %s\n", err.message);
    goto done;
  }
  wasm_status st = wasm_linker_instantiate(linker, store, mod, &inst, &err);
  if (st == WASM_OK) {
    wasm_extern mem;
    if (wasm_instance_export(inst, "memory", &mem) && mem.kind == WASM_EXTERN_MEMORY)
      wasi_ctx_set_memory(ctx, mem.of.memory);
    bool usage_err = false;
    if (o.invoke) {
      st = invoke(store, inst, &o, &err, &usage_err);
    } else {
      wasm_extern start;
      if (wasm_instance_export(inst, "_start", &start) &&
          start.kind == WASM_EXTERN_FUNC) {
        st = wasm_func_call(store, start.of.func, NULL, 0, NULL, 0, &err);
      } else {
        fprintf(stderr, "error: %s has no _start export (use --invoke NAME)\n", o.path);
        usage_err = true;
        st = WASM_BAD_ARG;
      }
    }
    if (usage_err) {
      rc = 2;
      goto done;
    }
  }
  fflush(stdout);
  int code;
  if (wasi_ctx_exit_code(ctx, &code)) {
    rc = code;
  } else if (st == WASM_OK) {
    rc = 0;
  } else if (st == WASM_TRAP || st == WASM_EXHAUSTED) {
    fprintf(stderr, "error: %s\n", err.message);
    rc = RUN_TRAP_EXIT;
  } else {
    fprintf(stderr, "error: %s\n", err.message);
    rc = 1;
  }

done:
  if (timer_on) timer_stop(&timer);
  wasi_ctx_delete(ctx);
  if (linker) wasm_linker_delete(linker);
  if (store) wasm_store_delete(store);
  comp_free(&crun);
  if (mod) wasm_module_delete(mod);
  if (engine) wasm_engine_delete(engine);
  free(gargs);
  free(bytes);
  free_opts(&o, argv, argc);
  return rc;
}
