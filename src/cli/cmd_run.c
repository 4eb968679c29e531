/*
 * cmd_run.c: `stratus run [options] prog.wasm [args...]`: runs a WASI
 * (preview1) command module, or one export of a module with --invoke.
 *
 *   --env K=V           add K=V to the guest's (otherwise empty) environment
 *   --dir HOST[::GUEST] preopen host directory HOST as GUEST (default HOST)
 *   --invoke NAME       call export NAME with the remaining arguments parsed
 *                       as its parameters, and print its results
 *   --max-memory BYTES  cap each linear memory at BYTES (suffixes K, M, G:
 *                       binary multiples, e.g. 64M); a module whose minimum
 *                       is larger fails to instantiate, memory.grow past it
 *                       returns -1
 *
 * Exit status: the guest's exit code (proc_exit, or 0 when _start returns);
 * 134 after a trap ("error: <trap message>" on stderr); 1 when the module
 * cannot be read, compiled, linked or instantiated; 2 on bad usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "stratus/wasi.h"
#include "stratus/wasm.h"

#define RUN_TRAP_EXIT 134
#define RUN_MAX_FILE ((size_t)1 << 30)

typedef struct run_opts {
  const char **env;
  uint32_t nenv;
  wasi_preopen *dirs;
  uint32_t ndirs;
  const char *invoke;
  uint64_t max_memory; /* bytes; 0: no limit */
  const char *path;
  char **args; /* after the module path */
  int nargs;
} run_opts;

static int run_usage(void) {
  fprintf(stderr, "usage: stratus run [--env K=V]... [--dir HOST[::GUEST]]... "
                  "[--invoke NAME] [--max-memory BYTES] prog.wasm [args...]\n");
  return 2;
}

static bool read_file(const char *path, uint8_t **out, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return false;
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  while (buf) {
    size_t r = fread(buf + n, 1, cap - n, f);
    n += r;
    if (n < cap) break;
    if (cap >= RUN_MAX_FILE) {
      free(buf);
      buf = NULL;
      break;
    }
    uint8_t *nb = realloc(buf, cap * 2);
    if (!nb) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = nb;
    cap *= 2;
  }
  bool ok = buf && !ferror(f);
  fclose(f);
  if (!ok) {
    free(buf);
    return false;
  }
  *out = buf;
  *len = n;
  return true;
}

/* Parses a byte count: digits, then optionally K, M or G (binary
 * multiples, with an optional "iB" or "B" after them). Zero is refused. */
static bool parse_bytes(const char *s, uint64_t *out) {
  if (*s < '0' || *s > '9') return false;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno) return false;
  unsigned shift = 0;
  switch (*end) {
  case 'k': case 'K': shift = 10; end++; break;
  case 'm': case 'M': shift = 20; end++; break;
  case 'g': case 'G': shift = 30; end++; break;
  default: break;
  }
  if (shift && *end == 'i') end++;
  if (*end == 'B' || (shift && *end == 'b')) end++;
  if (*end || v == 0 || v > (UINT64_MAX >> shift)) return false;
  *out = (uint64_t)v << shift;
  return true;
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
    /* "--opt VALUE" or "--opt=VALUE" */
    static const char *const names[] = {"--env", "--dir", "--invoke", "--max-memory"};
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
      if (!parse_bytes(val, &o->max_memory)) return -1;
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

  if (!read_file(o.path, &bytes, &len)) {
    fprintf(stderr, "error: cannot read %s: %s\n", o.path, strerror(errno));
    goto done;
  }
  engine = wasm_engine_new(NULL);
  if (!engine || wasm_module_new(engine, bytes, len, &mod, &err) != WASM_OK) {
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
  wasi_ctx_delete(ctx);
  if (linker) wasm_linker_delete(linker);
  if (store) wasm_store_delete(store);
  if (mod) wasm_module_delete(mod);
  if (engine) wasm_engine_delete(engine);
  free(gargs);
  free(bytes);
  free_opts(&o, argv, argc);
  return rc;
}
