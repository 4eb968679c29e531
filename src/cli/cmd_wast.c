/*
 * cmd_wast.c: `stratus wast FILE...`, the WebAssembly spec script runner.
 *
 * Each script runs in its own engine, store and linker, with the `spectest`
 * module the scripts import from. Every command that can fail counts as one
 * check; a failed check prints
 *   FAIL <file>:<line>: <what>: <detail>
 * and each script ends with "<file>: <P>/<T> assertions passed".
 * Exit status: 0 all passed, 1 some check failed, 2 a script could not be
 * read or parsed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_wast_component.h"
#include "stratus/wasm.h"

/* ---- per-script state ---- */

typedef struct named_instance {
  const char *name; /* borrowed from the script */
  wasm_instance *inst;
} named_instance;

typedef struct named_module {
  const char *name; /* borrowed from the script, may be NULL */
  wasm_module *mod;
} named_module;

/* A spectest print function: what it prints with -v. */
typedef struct spectest_fn {
  const char *name;
  uint8_t params[2];
  uint32_t nparams;
  bool verbose;
} spectest_fn;

typedef struct wast_run {
  const char *file;
  bool verbose;
  wasm_engine *engine;
  wasm_store *store;
  wasm_linker *linker;
  wasm_instance *current; /* the latest instantiated module, or NULL */
  named_instance *named;
  size_t nnamed, cap_named;
  named_module *modules; /* every compiled module; deleted after the store */
  size_t nmodules, cap_modules;
  spectest_fn print_fns[7];
  size_t passed, total;
  /* Component commands go to the component runner (created on first use);
   * current_component says whether the latest instance is a component. */
  cmw_state *cw;
  bool current_component;
} wast_run;

static bool grow_array(void **arr, size_t *cap, size_t n, size_t size) {
  if (n < *cap) return true;
  size_t c = *cap ? *cap * 2 : 16;
  void *p = realloc(*arr, c * size);
  if (!p) return false;
  *arr = p;
  *cap = c;
  return true;
}

static bool add_named(wast_run *r, const char *name, wasm_instance *inst) {
  if (!grow_array((void **)&r->named, &r->cap_named, r->nnamed, sizeof *r->named)) return false;
  r->named[r->nnamed].name = name;
  r->named[r->nnamed].inst = inst;
  r->nnamed++;
  return true;
}

static wasm_instance *find_named(const wast_run *r, const char *name) {
  for (size_t i = r->nnamed; i-- > 0;)
    if (strcmp(r->named[i].name, name) == 0) return r->named[i].inst;
  return NULL;
}

static wasm_module *find_module_def(const wast_run *r, const char *name) {
  for (size_t i = r->nmodules; i-- > 0;)
    if (r->modules[i].name && strcmp(r->modules[i].name, name) == 0) return r->modules[i].mod;
  return NULL;
}

/* ---- reporting ---- */

static const char *command_name(wast_command_kind k) {
  switch (k) {
  case WAST_CMD_MODULE: return "module";
  case WAST_CMD_MODULE_INSTANCE: return "module instance";
  case WAST_CMD_REGISTER: return "register";
  case WAST_CMD_ACTION: return "action";
  case WAST_CMD_ASSERT_RETURN: return "assert_return";
  case WAST_CMD_ASSERT_TRAP: return "assert_trap";
  case WAST_CMD_ASSERT_EXHAUSTION: return "assert_exhaustion";
  case WAST_CMD_ASSERT_MALFORMED: return "assert_malformed";
  case WAST_CMD_ASSERT_INVALID: return "assert_invalid";
  case WAST_CMD_ASSERT_UNLINKABLE: return "assert_unlinkable";
  case WAST_CMD_ASSERT_UNINSTANTIABLE: return "assert_uninstantiable";
  case WAST_CMD_ASSERT_EXCEPTION: return "assert_exception";
  case WAST_CMD_UNSUPPORTED: return "unsupported command";
  }
  return "command";
}

/* Writes the command's name and, for actions, the export it names, with
 * unprintable bytes escaped. */
static void describe(const wast_command *c, char *buf, size_t size) {
  const char *name = command_name(c->kind);
  if (c->module.component && c->kind == WAST_CMD_MODULE) name = "component";
  if (c->module.component && c->kind == WAST_CMD_MODULE_INSTANCE) name = "component instance";
  size_t n = (size_t)snprintf(buf, size, "%s", name);
  if (!c->has_action || n >= size) return;
  n += (size_t)snprintf(buf + n, size - n, " \"");
  for (size_t i = 0; i < c->action.field_len && n + 8 < size; i++) {
    unsigned char ch = (unsigned char)c->action.field[i];
    if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') buf[n++] = (char)ch;
    else n += (size_t)snprintf(buf + n, size - n, "\\%02x", ch);
  }
  if (n + 2 < size) {
    buf[n++] = '"';
    buf[n] = 0;
  }
}

static void check(wast_run *r, const wast_command *c, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void check(wast_run *r, const wast_command *c, bool ok, const char *fmt, ...) {
  r->total++;
  if (ok) {
    r->passed++;
    return;
  }
  char what[160], detail[512];
  describe(c, what, sizeof what);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  printf("FAIL %s:%d: %s: %s\n", r->file, c->line, what, detail);
}

static const char *status_name(wasm_status st) {
  switch (st) {
  case WASM_OK: return "ok";
  case WASM_MALFORMED: return "malformed";
  case WASM_INVALID: return "invalid";
  case WASM_LINK_ERROR: return "link error";
  case WASM_TRAP: return "trap";
  case WASM_EXHAUSTED: return "exhausted";
  case WASM_NOMEM: return "out of memory";
  case WASM_BAD_ARG: return "bad argument";
  }
  return "unknown status";
}

static void format_val(const wasm_val *v, char *buf, size_t size) {
  switch (v->kind) {
  case WASM_I32: snprintf(buf, size, "i32:0x%08x (%d)", (uint32_t)v->of.i32, v->of.i32); break;
  case WASM_I64:
    snprintf(buf, size, "i64:0x%016llx (%lld)", (unsigned long long)v->of.i64,
             (long long)v->of.i64);
    break;
  case WASM_F32: {
    float f;
    memcpy(&f, &v->of.f32, 4);
    snprintf(buf, size, "f32:0x%08x (%g)", v->of.f32, (double)f);
    break;
  }
  case WASM_F64: {
    double d;
    memcpy(&d, &v->of.f64, 8);
    snprintf(buf, size, "f64:0x%016llx (%g)", (unsigned long long)v->of.f64, d);
    break;
  }
  case WASM_V128: {
    uint32_t l[4];
    memcpy(l, v->of.v128, 16);
    snprintf(buf, size, "v128:i32x4 0x%08x 0x%08x 0x%08x 0x%08x", l[0], l[1], l[2], l[3]);
    break;
  }
  case WASM_FUNCREF: snprintf(buf, size, "funcref:%p", v->of.ref); break;
  case WASM_EXTERNREF: snprintf(buf, size, "externref:%p", v->of.ref); break;
  default: snprintf(buf, size, "kind 0x%02x", v->kind); break;
  }
}

/* ---- spectest ---- */

static wasm_status spectest_print(void *env, const wasm_val *args, wasm_val *results,
                                  wasm_error *err) {
  const spectest_fn *fn = env;
  if (!fn->verbose) return WASM_OK;
  printf("%s(", fn->name);
  for (uint32_t i = 0; i < fn->nparams; i++) {
    char buf[96];
    format_val(&args[i], buf, sizeof buf);
    printf("%s%s", i ? ", " : "", buf);
  }
  printf(")\n");
  return WASM_OK;
}

static bool define(wast_run *r, const char *name, wasm_extern e) {
  return wasm_linker_define(r->linker, "spectest", name, e) == WASM_OK;
}

static bool spectest_define(wast_run *r) {
  static const struct { const char *name; uint8_t params[2]; uint32_t n; } fns[7] = {
      {"print", {0, 0}, 0},
      {"print_i32", {WASM_I32, 0}, 1},
      {"print_i64", {WASM_I64, 0}, 1},
      {"print_f32", {WASM_F32, 0}, 1},
      {"print_f64", {WASM_F64, 0}, 1},
      {"print_i32_f32", {WASM_I32, WASM_F32}, 2},
      {"print_f64_f64", {WASM_F64, WASM_F64}, 2},
  };
  for (size_t i = 0; i < 7; i++) {
    spectest_fn *fn = &r->print_fns[i];
    fn->name = fns[i].name;
    memcpy(fn->params, fns[i].params, 2);
    fn->nparams = fns[i].n;
    fn->verbose = r->verbose;
    wasm_functype *t = wasm_functype_new(fn->params, fn->nparams, NULL, 0);
    if (!t) return false;
    wasm_func *f = wasm_func_new_host(r->store, t, spectest_print, fn);
    wasm_functype_delete(t);
    if (!f) return false;
    wasm_extern e = {.kind = WASM_EXTERN_FUNC, .of.func = f};
    if (!define(r, fn->name, e)) return false;
  }
  float f32 = 666.6f;
  double f64 = 666.6;
  wasm_val v[4];
  memset(v, 0, sizeof v);
  v[0].kind = WASM_I32, v[0].of.i32 = 666;
  v[1].kind = WASM_I64, v[1].of.i64 = 666;
  v[2].kind = WASM_F32, memcpy(&v[2].of.f32, &f32, 4);
  v[3].kind = WASM_F64, memcpy(&v[3].of.f64, &f64, 8);
  static const char *const gnames[4] = {"global_i32", "global_i64", "global_f32", "global_f64"};
  for (size_t i = 0; i < 4; i++) {
    wasm_global *g = wasm_global_new(r->store, v[i].kind, false, v[i]);
    if (!g) return false;
    wasm_extern e = {.kind = WASM_EXTERN_GLOBAL, .of.global = g};
    if (!define(r, gnames[i], e)) return false;
  }
  wasm_table *t = wasm_table_new(r->store, WASM_FUNCREF, (wasm_limits){10, 20, true}, NULL);
  wasm_memory *m = wasm_memory_new(r->store, (wasm_limits){1, 2, true});
  if (!t || !m) return false;
  wasm_extern et = {.kind = WASM_EXTERN_TABLE, .of.table = t};
  wasm_extern em = {.kind = WASM_EXTERN_MEMORY, .of.memory = m};
  return define(r, "table", et) && define(r, "memory", em);
}

/* ---- modules ---- */

/* Compiles a script module: text through the WAT parser, then the binary
 * through decode/validate/compile. The module is kept until the script ends. */
static wasm_status compile_module(wast_run *r, const wast_module_src *src, wasm_module **out,
                                  bool *text_failed, wasm_error *err) {
  *out = NULL;
  *text_failed = false;
  uint8_t *bin = NULL;
  size_t len = 0;
  wasm_status st;
  if (src->form == WAST_MODULE_BINARY) {
    st = wasm_module_new(r->engine, src->bytes, src->len, out, err);
  } else {
    st = wasm_wat_to_binary((const char *)src->bytes, src->len, &bin, &len, err);
    if (st != WASM_OK) {
      *text_failed = true;
      free(bin);
      return st;
    }
    st = wasm_module_new(r->engine, bin, len, out, err);
    free(bin);
  }
  if (st != WASM_OK) return st;
  if (!grow_array((void **)&r->modules, &r->cap_modules, r->nmodules, sizeof *r->modules)) {
    wasm_module_delete(*out);
    *out = NULL;
    return WASM_NOMEM;
  }
  r->modules[r->nmodules].name = src->name;
  r->modules[r->nmodules].mod = *out;
  r->nmodules++;
  return WASM_OK;
}

/* Makes inst the current module, under name too if it has one. */
static void set_current(wast_run *r, const char *name, wasm_instance *inst) {
  r->current = inst;
  r->current_component = false;
  if (name && !add_named(r, name, inst)) r->current = NULL;
}

static void run_module(wast_run *r, const wast_command *c) {
  wasm_error err = {0};
  wasm_module *mod;
  bool text_failed;
  r->current = NULL; /* actions after a failed module must not hit an older one */
  r->current_component = false;
  wasm_status st = compile_module(r, &c->module, &mod, &text_failed, &err);
  if (st != WASM_OK) {
    check(r, c, false, "%s failed: %s: %s", text_failed ? "text parse" : "compile",
          status_name(st), err.message);
    return;
  }
  if (c->module.definition) {
    check(r, c, true, "-");
    return;
  }
  wasm_instance *inst;
  st = wasm_linker_instantiate(r->linker, r->store, mod, &inst, &err);
  if (st != WASM_OK) {
    check(r, c, false, "instantiation failed: %s: %s", status_name(st), err.message);
    return;
  }
  set_current(r, c->module.name, inst);
  check(r, c, true, "-");
}

static void run_module_instance(wast_run *r, const wast_command *c) {
  r->current = NULL;
  r->current_component = false;
  wasm_module *mod = c->name2 ? find_module_def(r, c->name2) : NULL;
  if (!mod) {
    check(r, c, false, "unknown module definition %s", c->name2 ? c->name2 : "(none)");
    return;
  }
  wasm_error err = {0};
  wasm_instance *inst;
  wasm_status st = wasm_linker_instantiate(r->linker, r->store, mod, &inst, &err);
  if (st != WASM_OK) {
    check(r, c, false, "instantiation failed: %s: %s", status_name(st), err.message);
    return;
  }
  set_current(r, c->name, inst);
  check(r, c, true, "-");
}

static void run_register(wast_run *r, const wast_command *c) {
  wasm_instance *inst = c->name2 ? find_named(r, c->name2) : r->current;
  if (!c->name || !inst) {
    check(r, c, false, "no module to register%s%s", c->name2 ? " named " : "",
          c->name2 ? c->name2 : "");
    return;
  }
  wasm_status st = wasm_linker_define_instance(r->linker, c->name, inst);
  check(r, c, st == WASM_OK, "register failed: %s", status_name(st));
}

/* ---- actions ---- */

typedef struct action_result {
  wasm_status status;
  wasm_error err;
  wasm_val *vals; /* nvals results, owned */
  size_t nvals;
} action_result;

static bool arg_value(const wast_value *a, wasm_val *out) {
  *out = a->val;
  switch (a->pattern) {
  case WAST_EXACT: return true;
  case WAST_REF_NULL: out->of.ref = NULL; return true;
  case WAST_REF_EXTERN: out->kind = WASM_EXTERNREF; return true;
  default: return false;
  }
}

static void run_action(wast_run *r, const wast_action *a, action_result *res) {
  memset(res, 0, sizeof *res);
  wasm_instance *inst = a->module ? find_named(r, a->module) : r->current;
  if (!inst) {
    res->status = WASM_BAD_ARG;
    snprintf(res->err.message, sizeof res->err.message, "unknown module %s",
             a->module ? a->module : "(no current module)");
    return;
  }
  wasm_extern ext;
  if (!wasm_instance_export_n(inst, a->field, a->field_len, &ext)) {
    res->status = WASM_BAD_ARG;
    snprintf(res->err.message, sizeof res->err.message, "unknown export");
    return;
  }
  if (a->kind == WAST_GET) {
    if (ext.kind != WASM_EXTERN_GLOBAL) {
      res->status = WASM_BAD_ARG;
      snprintf(res->err.message, sizeof res->err.message, "export is not a global");
      return;
    }
    res->vals = malloc(sizeof *res->vals);
    if (!res->vals) {
      res->status = WASM_NOMEM;
      return;
    }
    res->vals[0] = wasm_global_get(ext.of.global);
    res->nvals = 1;
    return;
  }
  if (ext.kind != WASM_EXTERN_FUNC) {
    res->status = WASM_BAD_ARG;
    snprintf(res->err.message, sizeof res->err.message, "export is not a function");
    return;
  }
  const wasm_functype *t = wasm_func_type(ext.of.func);
  size_t nres = wasm_functype_nresults(t);
  wasm_val *args = calloc(a->nargs ? a->nargs : 1, sizeof *args);
  res->vals = calloc(nres ? nres : 1, sizeof *res->vals);
  if (!args || !res->vals) {
    free(args);
    res->status = WASM_NOMEM;
    return;
  }
  for (size_t i = 0; i < a->nargs; i++) {
    if (!arg_value(&a->args[i], &args[i])) {
      free(args);
      res->status = WASM_BAD_ARG;
      snprintf(res->err.message, sizeof res->err.message, "unsupported argument %zu", i);
      return;
    }
  }
  res->status = wasm_func_call(r->store, ext.of.func, args, a->nargs, res->vals, nres, &res->err);
  res->nvals = res->status == WASM_OK ? nres : 0;
  free(args);
}

/* ---- result matching ---- */

static bool is_canonical_nan32(uint32_t b) { return (b & 0x7fffffffu) == 0x7fc00000u; }
static bool is_arith_nan32(uint32_t b) { return (b & 0x7fc00000u) == 0x7fc00000u; }
static bool is_canonical_nan64(uint64_t b) {
  return (b & 0x7fffffffffffffffull) == 0x7ff8000000000000ull;
}
static bool is_arith_nan64(uint64_t b) {
  return (b & 0x7ff8000000000000ull) == 0x7ff8000000000000ull;
}

static bool lane_matches(uint8_t pattern, uint8_t shape, const uint8_t *got, const uint8_t *want) {
  if (shape == 4) {
    uint32_t g, w;
    memcpy(&g, got, 4);
    memcpy(&w, want, 4);
    if (pattern == WAST_NAN_CANONICAL) return is_canonical_nan32(g);
    if (pattern == WAST_NAN_ARITHMETIC) return is_arith_nan32(g);
    return g == w;
  }
  uint64_t g, w;
  memcpy(&g, got, 8);
  memcpy(&w, want, 8);
  if (pattern == WAST_NAN_CANONICAL) return is_canonical_nan64(g);
  if (pattern == WAST_NAN_ARITHMETIC) return is_arith_nan64(g);
  return g == w;
}

static bool value_matches(const wast_value *e, const wasm_val *v) {
  switch (e->pattern) {
  case WAST_EXACT:
    if (v->kind != e->val.kind) return false;
    switch (v->kind) {
    case WASM_I32: return v->of.i32 == e->val.of.i32;
    case WASM_I64: return v->of.i64 == e->val.of.i64;
    case WASM_F32: return v->of.f32 == e->val.of.f32;
    case WASM_F64: return v->of.f64 == e->val.of.f64;
    case WASM_V128: return memcmp(v->of.v128, e->val.of.v128, 16) == 0;
    case WASM_FUNCREF:
    case WASM_EXTERNREF: return v->of.ref == e->val.of.ref;
    default: return false;
    }
  case WAST_NAN_CANONICAL:
    if (v->kind != e->val.kind) return false;
    if (v->kind == WASM_F32) return is_canonical_nan32(v->of.f32);
    if (v->kind == WASM_F64) return is_canonical_nan64(v->of.f64);
    return false;
  case WAST_NAN_ARITHMETIC:
    if (v->kind != e->val.kind) return false;
    if (v->kind == WASM_F32) return is_arith_nan32(v->of.f32);
    if (v->kind == WASM_F64) return is_arith_nan64(v->of.f64);
    return false;
  case WAST_REF_NULL: return v->kind == e->val.kind && v->of.ref == NULL;
  case WAST_REF_FUNC: return v->kind == WASM_FUNCREF && v->of.ref != NULL;
  case WAST_REF_EXTERN: return v->kind == WASM_EXTERNREF && v->of.ref == e->val.of.ref;
  case WAST_V128_LANES: {
    if (v->kind != WASM_V128 || (e->lane_shape != 4 && e->lane_shape != 2)) return false;
    size_t width = 16 / e->lane_shape;
    for (size_t i = 0; i < e->lane_shape; i++)
      if (!lane_matches(e->lane_pattern[i], e->lane_shape, v->of.v128 + i * width,
                        e->val.of.v128 + i * width))
        return false;
    return true;
  }
  case WAST_UNSUPPORTED: return false;
  }
  return false;
}

static void format_expected(const wast_value *e, char *buf, size_t size) {
  switch (e->pattern) {
  case WAST_EXACT: format_val(&e->val, buf, size); break;
  case WAST_NAN_CANONICAL: snprintf(buf, size, "nan:canonical"); break;
  case WAST_NAN_ARITHMETIC: snprintf(buf, size, "nan:arithmetic"); break;
  case WAST_REF_NULL: snprintf(buf, size, "ref.null"); break;
  case WAST_REF_FUNC: snprintf(buf, size, "ref.func"); break;
  case WAST_REF_EXTERN: snprintf(buf, size, "ref.extern %p", e->val.of.ref); break;
  case WAST_V128_LANES: {
    size_t n = (size_t)snprintf(buf, size, "v128:%s", e->lane_shape == 4 ? "f32x4" : "f64x2");
    for (size_t i = 0; i < e->lane_shape && i < 4 && n < size; i++) {
      const uint8_t *lane = e->val.of.v128 + i * (16u / e->lane_shape);
      uint64_t bits = 0;
      memcpy(&bits, lane, e->lane_shape == 4 ? 4 : 8);
      if (e->lane_pattern[i] == WAST_NAN_CANONICAL)
        n += (size_t)snprintf(buf + n, size - n, " nan:canonical");
      else if (e->lane_pattern[i] == WAST_NAN_ARITHMETIC)
        n += (size_t)snprintf(buf + n, size - n, " nan:arithmetic");
      else
        n += (size_t)snprintf(buf + n, size - n, " 0x%llx", (unsigned long long)bits);
    }
    break;
  }
  case WAST_UNSUPPORTED: snprintf(buf, size, "an unsupported value"); break;
  }
}

static void run_assert_return(wast_run *r, const wast_command *c) {
  action_result res;
  run_action(r, &c->action, &res);
  if (res.status != WASM_OK) {
    check(r, c, false, "%s: %s", status_name(res.status), res.err.message);
  } else if (c->neither) {
    bool ok = false;
    for (size_t i = 0; i < c->neither && i < c->nexpected && res.nvals == 1; i++)
      ok = ok || value_matches(&c->expected[i], &res.vals[0]);
    char got[96] = "no single result";
    if (res.nvals == 1) format_val(&res.vals[0], got, sizeof got);
    check(r, c, ok, "got %s, expected one of %zu alternatives", got, c->neither);
  } else if (res.nvals != c->nexpected) {
    check(r, c, false, "got %zu results, expected %zu", res.nvals, c->nexpected);
  } else {
    size_t bad = res.nvals;
    for (size_t i = 0; i < res.nvals && bad == res.nvals; i++)
      if (!value_matches(&c->expected[i], &res.vals[i])) bad = i;
    char got[96] = "", want[96] = "";
    if (bad < res.nvals) {
      format_val(&res.vals[bad], got, sizeof got);
      format_expected(&c->expected[bad], want, sizeof want);
    }
    check(r, c, bad == res.nvals, "result %zu: got %s, expected %s", bad, got, want);
  }
  free(res.vals);
}

static bool message_matches(const char *expected, const char *ours) {
  return !expected || strncmp(ours, expected, strlen(expected)) == 0;
}

static void run_assert_trap_action(wast_run *r, const wast_command *c, bool exhaustion) {
  action_result res;
  run_action(r, &c->action, &res);
  bool status_ok = exhaustion ? (res.status == WASM_EXHAUSTED || res.status == WASM_TRAP)
                              : res.status == WASM_TRAP;
  if (res.status == WASM_OK)
    check(r, c, false, "returned normally, expected \"%s\"", c->message ? c->message : "");
  else
    check(r, c, status_ok && message_matches(c->message, res.err.message),
          "got %s \"%s\", expected \"%s\"", status_name(res.status), res.err.message,
          c->message ? c->message : "");
  free(res.vals);
}

/* assert_exception: the action must end in an uncaught wasm exception,
 * which the engine reports as a trap "uncaught exception". */
static void run_assert_exception(wast_run *r, const wast_command *c) {
  action_result res;
  run_action(r, &c->action, &res);
  check(r, c, res.status == WASM_TRAP && strstr(res.err.message, "uncaught exception"),
        "got %s \"%s\", expected an uncaught exception", status_name(res.status),
        res.err.message);
  free(res.vals);
}

/* assert_trap on a module, assert_unlinkable, assert_uninstantiable: the
 * module must compile and then fail to instantiate with `want`. */
static void run_assert_instantiate(wast_run *r, const wast_command *c, wasm_status want,
                                   bool match_message) {
  wasm_error err = {0};
  wasm_module *mod;
  bool text_failed;
  wasm_status st = compile_module(r, &c->module, &mod, &text_failed, &err);
  if (st != WASM_OK) {
    check(r, c, false, "%s failed: %s: %s", text_failed ? "text parse" : "compile",
          status_name(st), err.message);
    return;
  }
  wasm_instance *inst;
  st = wasm_linker_instantiate(r->linker, r->store, mod, &inst, &err);
  if (st == WASM_OK) {
    check(r, c, false, "instantiated, expected %s \"%s\"", status_name(want),
          c->message ? c->message : "");
    return;
  }
  check(r, c, st == want && (!match_message || message_matches(c->message, err.message)),
        "got %s \"%s\", expected %s \"%s\"", status_name(st), err.message, status_name(want),
        c->message ? c->message : "");
}

/* Judges assert_malformed / assert_invalid once compiling a module or a
 * component (`what`) gave st: it must have failed, and an invalid one is
 * well-formed, so its text must have parsed. */
static void judge_compile_failure(wast_run *r, const wast_command *c, bool invalid,
                                  const char *what, wasm_status st, bool text_failed,
                                  const wasm_error *err) {
  const char *expected = c->message ? c->message : "";
  if (st == WASM_OK) {
    check(r, c, false, "%s compiled, expected \"%s\"", what, expected);
  } else if (invalid) {
    check(r, c, !text_failed && (st == WASM_INVALID || st == WASM_MALFORMED),
          "%s: %s: %s (expected \"%s\")", text_failed ? "text parse failed" : "wrong stage",
          status_name(st), err->message, expected);
  } else {
    check(r, c, st == WASM_MALFORMED || st == WASM_INVALID, "%s: %s (expected \"%s\")",
          status_name(st), err->message, expected);
  }
}

/* assert_malformed / assert_invalid: the module must fail to compile. */
static void run_assert_compile_fails(wast_run *r, const wast_command *c, bool invalid) {
  wasm_error err = {0};
  wasm_module *mod;
  bool text_failed;
  wasm_status st = compile_module(r, &c->module, &mod, &text_failed, &err);
  judge_compile_failure(r, c, invalid, "module", st, text_failed, &err);
}

/* ---- components ---- */

static cmw_state *component_runner(wast_run *r) {
  if (!r->cw) r->cw = cmw_new(r->engine, r->store);
  return r->cw;
}

/* Does the action address a component instance? */
static bool action_is_component(wast_run *r, const wast_action *a) {
  if (!r->cw) return false;
  if (a->module) return cmw_has_instance(r->cw, a->module) && !find_named(r, a->module);
  return r->current_component;
}

static void component_module(wast_run *r, const wast_command *c) {
  wasm_error err = {0};
  cmw_state *w = component_runner(r);
  if (!w) {
    check(r, c, false, "out of memory");
    return;
  }
  bool instantiated = false;
  wasm_status st = cmw_component(w, &c->module, &instantiated, &err);
  /* A definition leaves the current instance alone; otherwise, even after
   * a failure, later actions belong to the component runner (which then
   * has no current instance). */
  if (!c->module.definition) {
    r->current = NULL;
    r->current_component = true;
  }
  check(r, c, st == WASM_OK, "%s: %s", status_name(st), err.message);
}

static void component_instance(wast_run *r, const wast_command *c) {
  wasm_error err = {0};
  cmw_state *w = component_runner(r);
  r->current = NULL;
  r->current_component = false;
  wasm_status st = w ? cmw_instance(w, c->name, c->name2, &err) : WASM_NOMEM;
  r->current_component = w != NULL;
  check(r, c, st == WASM_OK, "instantiation failed: %s: %s", status_name(st), err.message);
}

/* Runs a component action; the caller frees res with cmw_result_free. */
static wasm_status component_action(wast_run *r, const wast_action *a, cmw_result *res,
                                    wasm_error *err) {
  memset(res, 0, sizeof *res);
  if (a->kind != WAST_INVOKE) {
    snprintf(err->message, sizeof err->message, "components have no get action");
    return WASM_BAD_ARG;
  }
  const char **texts = calloc(a->nargs ? a->nargs : 1, sizeof *texts);
  size_t *lens = calloc(a->nargs ? a->nargs : 1, sizeof *lens);
  char *field = malloc(a->field_len + 1);
  wasm_status st = WASM_NOMEM;
  if (texts && lens && field) {
    for (size_t i = 0; i < a->nargs; i++) {
      texts[i] = a->args[i].text ? a->args[i].text : "";
      lens[i] = a->args[i].text ? a->args[i].text_len : 0;
    }
    memcpy(field, a->field, a->field_len);
    field[a->field_len] = 0;
    st = cmw_invoke(r->cw, a->module, field, texts, lens, a->nargs, res, err);
  }
  free(texts);
  free(lens);
  free(field);
  return st;
}

static void component_assert_return(wast_run *r, const wast_command *c) {
  wasm_error err = {0};
  cmw_result res;
  wasm_status st = component_action(r, &c->action, &res, &err);
  if (st != WASM_OK) {
    check(r, c, false, "%s: %s", status_name(st), err.message);
    cmw_result_free(&res);
    return;
  }
  size_t n = c->neither ? 1 : c->nexpected;
  size_t alts = c->neither ? c->neither : 1;
  bool ok = false;
  char why[512] = "";
  for (size_t k = 0; k < alts && !ok; k++) {
    const char *texts[8];
    size_t lens[8];
    size_t m = n < 8 ? n : 8;
    for (size_t i = 0; i < m; i++) {
      const wast_value *e = &c->expected[c->neither ? k : i];
      texts[i] = e->text ? e->text : "";
      lens[i] = e->text ? e->text_len : 0;
    }
    ok = n <= 8 && cmw_result_matches(&res, texts, lens, m, why, sizeof why);
  }
  check(r, c, ok, "%s", why);
  cmw_result_free(&res);
}

static void component_assert_trap(wast_run *r, const wast_command *c) {
  wasm_error err = {0};
  cmw_result res;
  wasm_status st = component_action(r, &c->action, &res, &err);
  cmw_result_free(&res);
  if (st == WASM_OK)
    check(r, c, false, "returned normally, expected \"%s\"", c->message ? c->message : "");
  else
    check(r, c, st == WASM_TRAP && cmw_message_matches(c->message, err.message),
          "got %s \"%s\", expected \"%s\"", status_name(st), err.message,
          c->message ? c->message : "");
}

/* assert_trap / assert_unlinkable / assert_uninstantiable on a component. */
static void component_assert_instantiate(wast_run *r, const wast_command *c, wasm_status want) {
  wasm_error err = {0};
  cmw_state *w = component_runner(r);
  bool compiled = false;
  wasm_status st = w ? cmw_instantiate_only(w, &c->module, &compiled, &err) : WASM_NOMEM;
  if (!compiled) {
    check(r, c, false, "compile failed: %s: %s", status_name(st), err.message);
    return;
  }
  if (st == WASM_OK) {
    check(r, c, false, "instantiated, expected %s \"%s\"", status_name(want),
          c->message ? c->message : "");
    return;
  }
  bool ok = want == WASM_TRAP ? st == WASM_TRAP && cmw_message_matches(c->message, err.message)
                              : st == WASM_LINK_ERROR || st == WASM_INVALID;
  check(r, c, ok, "got %s \"%s\", expected %s \"%s\"", status_name(st), err.message,
        status_name(want), c->message ? c->message : "");
}

static void component_assert_compile_fails(wast_run *r, const wast_command *c, bool invalid) {
  wasm_error err = {0};
  cmw_state *w = component_runner(r);
  if (!w) {
    check(r, c, false, "out of memory");
    return;
  }
  cm_component *comp;
  bool text_failed = false;
  wasm_status st = cmw_compile(w, &c->module, &comp, &text_failed, &err);
  judge_compile_failure(r, c, invalid, "component", st, text_failed, &err);
}

/* Handles the command if it is a component one; returns false otherwise. */
static bool run_component_command(wast_run *r, const wast_command *c) {
  switch (c->kind) {
  case WAST_CMD_MODULE:
    if (!c->module.component) return false;
    component_module(r, c);
    return true;
  case WAST_CMD_MODULE_INSTANCE:
    if (!c->module.component) return false;
    component_instance(r, c);
    return true;
  case WAST_CMD_REGISTER: {
    if (!r->cw || !(c->name2 ? cmw_has_instance(r->cw, c->name2) && !find_named(r, c->name2)
                             : r->current_component))
      return false;
    wasm_error err = {0};
    wasm_status st = cmw_register(r->cw, c->name, c->name2, &err);
    check(r, c, st == WASM_OK, "register failed: %s: %s", status_name(st), err.message);
    return true;
  }
  default: break;
  }
  if (c->has_module && c->module.component) {
    switch (c->kind) {
    case WAST_CMD_ASSERT_MALFORMED: component_assert_compile_fails(r, c, false); return true;
    case WAST_CMD_ASSERT_INVALID: component_assert_compile_fails(r, c, true); return true;
    case WAST_CMD_ASSERT_TRAP:
    case WAST_CMD_ASSERT_UNINSTANTIABLE: component_assert_instantiate(r, c, WASM_TRAP); return true;
    case WAST_CMD_ASSERT_UNLINKABLE: component_assert_instantiate(r, c, WASM_LINK_ERROR); return true;
    default: check(r, c, false, "not supported for components"); return true;
    }
  }
  if (!c->has_action || !action_is_component(r, &c->action)) return false;
  switch (c->kind) {
  case WAST_CMD_ACTION: {
    wasm_error err = {0};
    cmw_result res;
    wasm_status st = component_action(r, &c->action, &res, &err);
    cmw_result_free(&res);
    check(r, c, st == WASM_OK, "%s: %s", status_name(st), err.message);
    return true;
  }
  case WAST_CMD_ASSERT_RETURN: component_assert_return(r, c); return true;
  case WAST_CMD_ASSERT_TRAP: component_assert_trap(r, c); return true;
  default: check(r, c, false, "not supported for components"); return true;
  }
}

static void run_command(wast_run *r, const wast_command *c) {
  if (run_component_command(r, c)) return;
  switch (c->kind) {
  case WAST_CMD_MODULE: run_module(r, c); return;
  case WAST_CMD_MODULE_INSTANCE: run_module_instance(r, c); return;
  case WAST_CMD_REGISTER: run_register(r, c); return;
  default: break;
  }
  bool needs_action = c->kind == WAST_CMD_ACTION || c->kind == WAST_CMD_ASSERT_RETURN ||
                      c->kind == WAST_CMD_ASSERT_EXHAUSTION ||
                      (c->kind == WAST_CMD_ASSERT_TRAP && !c->has_module);
  bool needs_module = c->kind == WAST_CMD_ASSERT_MALFORMED || c->kind == WAST_CMD_ASSERT_INVALID ||
                      c->kind == WAST_CMD_ASSERT_UNLINKABLE ||
                      c->kind == WAST_CMD_ASSERT_UNINSTANTIABLE ||
                      (c->kind == WAST_CMD_ASSERT_TRAP && c->has_module);
  if ((needs_action && !c->has_action) || (needs_module && !c->has_module)) {
    check(r, c, false, "command without its %s", needs_action ? "action" : "module");
    return;
  }
  switch (c->kind) {
  case WAST_CMD_ACTION: {
    action_result res;
    run_action(r, &c->action, &res);
    check(r, c, res.status == WASM_OK, "%s: %s", status_name(res.status), res.err.message);
    free(res.vals);
    return;
  }
  case WAST_CMD_ASSERT_RETURN: run_assert_return(r, c); return;
  case WAST_CMD_ASSERT_TRAP:
    if (c->has_module) run_assert_instantiate(r, c, WASM_TRAP, true);
    else run_assert_trap_action(r, c, false);
    return;
  case WAST_CMD_ASSERT_EXHAUSTION: run_assert_trap_action(r, c, true); return;
  case WAST_CMD_ASSERT_MALFORMED: run_assert_compile_fails(r, c, false); return;
  case WAST_CMD_ASSERT_INVALID: run_assert_compile_fails(r, c, true); return;
  case WAST_CMD_ASSERT_UNLINKABLE: run_assert_instantiate(r, c, WASM_LINK_ERROR, false); return;
  case WAST_CMD_ASSERT_UNINSTANTIABLE: run_assert_instantiate(r, c, WASM_TRAP, false); return;
  case WAST_CMD_ASSERT_EXCEPTION: run_assert_exception(r, c); return;
  default: check(r, c, false, "not supported by this runner"); return;
  }
}

/* ---- scripts ---- */

/* Runs one script; returns 0, 1 (a check failed) or 2 (unreadable). */
static int run_script(const char *path, bool verbose, uint32_t features) {
  size_t len;
  uint8_t *bytes = NULL;
  char *text = cli_read_file(path, &bytes, &len) ? (char *)bytes : NULL;
  if (!text) {
    printf("%s: cannot read the file\n", path);
    return 2;
  }
  wast_script *script = NULL;
  wasm_error err = {0};
  wasm_status st = wast_parse(text, len, &script, &err);
  if (st != WASM_OK || !script) {
    printf("%s: parse error: %s\n", path, err.message);
    free(text);
    return 2;
  }
  wast_run r;
  memset(&r, 0, sizeof r);
  r.file = path;
  r.verbose = verbose;
  wasm_config config = {0};
  config.features = features;
  r.engine = wasm_engine_new(&config);
  r.store = r.engine ? wasm_store_new(r.engine) : NULL;
  r.linker = r.engine ? wasm_linker_new(r.engine) : NULL;
  int rc = 0;
  if (!r.store || !r.linker || !spectest_define(&r)) {
    printf("%s: cannot set up the spectest module\n", path);
    rc = 2;
  } else {
    for (size_t i = 0; i < script->ncommands; i++) {
      run_command(&r, &script->commands[i]);
      fflush(stdout);
    }
    printf("%s: %zu/%zu assertions passed\n", path, r.passed, r.total);
    if (r.passed != r.total) rc = 1;
  }
  wasm_linker_delete(r.linker);
  /* The store's instances point into modules the components own: the
   * store goes first (component instances never touch the store when
   * freed). */
  wasm_store_delete(r.store);
  cmw_delete(r.cw);
  for (size_t i = 0; i < r.nmodules; i++) wasm_module_delete(r.modules[i].mod);
  free(r.modules);
  free(r.named);
  wasm_engine_delete(r.engine);
  wast_script_delete(script);
  free(text);
  return rc;
}

/* Features beyond WebAssembly 2.0, by their proposal names (`-W NAME`).
 * Off by default: the 2.0 suite requires rejecting them. */
static bool parse_feature(const char *name, uint32_t *features) {
  if (strcmp(name, "multi-memory") == 0) {
    *features |= WASM_FEATURE_MULTI_MEMORY;
    return true;
  }
  if (strcmp(name, "exceptions") == 0) {
    *features |= WASM_FEATURE_EXCEPTIONS;
    return true;
  }
  return false;
}

int cmd_wast(int argc, char **argv) {
  bool verbose = false;
  uint32_t features = 0;
  int nfiles = 0, rc = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-v") == 0) {
      verbose = true;
    } else if (strcmp(argv[i], "-W") == 0 && i + 1 < argc) {
      if (!parse_feature(argv[++i], &features)) {
        fprintf(stderr, "stratus wast: unknown feature '%s' (known: multi-memory, exceptions)\n", argv[i]);
        return 2;
      }
    } else {
      argv[++nfiles] = argv[i]; /* compact the file names in place */
    }
  }
  if (nfiles == 0) {
    fprintf(stderr, "usage: stratus wast [-v] [-W FEATURE]... FILE.wast...\n");
    return 2;
  }
  for (int i = 1; i <= nfiles; i++) {
    int frc = run_script(argv[i], verbose, features);
    if (frc > rc) rc = frc;
  }
  return rc;
}
