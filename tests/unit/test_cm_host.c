/*
 * test_cm_host.c: the component host API: components written in component
 * WAT, instantiated with a cm_linker, called with cm_val arguments; host
 * functions called by components; WIT type strings (syntax, mismatches,
 * compound types both ways); host-defined resources dropped in every
 * order; a WIT interface with callbacks; imports the host lacks;
 * malformed input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit_cm.h"



static const char *LIBC =
    "(core module $M\n"
    "  (memory (export \"mem\") 1)\n"
    "  (global $next (mut i32) (i32.const 1024))\n"
    "  (func (export \"realloc\") (param i32 i32 i32 i32) (result i32)\n"
    "    (local $r i32)\n"
    "    (global.set $next (i32.and (i32.add (global.get $next) (i32.const 7)) (i32.const -8)))\n"
    "    (local.set $r (global.get $next))\n"
    "    (global.set $next (i32.add (global.get $next) (local.get 3)))\n"
    "    (if (local.get 0) (then (memory.copy (local.get $r) (local.get 0) (local.get 1))))\n"
    "    (local.get $r))\n"
    "  (func (export \"add\") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))\n"
    "  (func (export \"echo\") (param i32 i32) (result i32)\n"
    "    (i32.store (i32.const 0) (local.get 0))\n"
    "    (i32.store (i32.const 4) (local.get 1))\n"
    "    (i32.const 0))\n"
    ")\n";

static cm_val str_val(const char *s) {
  cm_val v;
  memset(&v, 0, sizeof v);
  v.kind = CM_STRING;
  v.of.str.len = strlen(s);
  v.of.str.ptr = malloc(v.of.str.len + 1);
  memcpy(v.of.str.ptr, s, v.of.str.len + 1);
  return v;
}

/* Exports: numbers and strings in each encoding round-trip. */
static void test_exports(wasm_engine *e) {
  static const char *encs[] = {"utf8", "utf16", "latin1+utf16"};
  for (int k = 0; k < 3; k++) {
    char wat[4096];
    snprintf(wat, sizeof wat,
             "(component\n%s"
             "  (core instance $m (instantiate $M))\n"
             "  (func (export \"add\") (param \"a\" u32) (param \"b\" u32) (result u32)\n"
             "    (canon lift (core func $m \"add\")))\n"
             "  (func (export \"echo\") (param \"s\" string) (result string)\n"
             "    (canon lift (core func $m \"echo\") string-encoding=%s\n"
             "      (memory (core memory $m \"mem\")) (realloc (core func $m \"realloc\"))))\n"
             ")\n",
             LIBC, encs[k]);
    wasm_error err = {0};
    cm_component *c = unit_cm_compile(e, wat, &err);
    CHECKM(c != NULL, "compile (%s): %s", encs[k], err.message);
    if (!c) continue;
    wasm_store *s = wasm_store_new(e);
    cm_linker *l = cm_linker_new(e);
    cm_instance *inst = NULL;
    wasm_status st = cm_linker_instantiate(l, s, c, &inst, &err);
    CHECKM(st == WASM_OK, "instantiate: %s", err.message);
    if (st == WASM_OK) {
      cm_func *add = cm_instance_func(inst, "add");
      CHECKM(add != NULL, "no export add");
      cm_val args[2] = {{.kind = CM_U32, .of.u = 40}, {.kind = CM_U32, .of.u = 2}}, res;
      if (add) {
        st = cm_func_call(add, args, 2, &res, &err);
        CHECKM(st == WASM_OK && res.kind == CM_U32 && res.of.u == 42, "add: %s", err.message);
      }
      cm_func *echo = cm_instance_func(inst, "echo");
      const char *samples[] = {"", "hello", "h\xc3\xb6", "\xe2\x98\x83\xf0\x9f\x8d\xb0 ok"};
      for (int i = 0; echo && i < 4; i++) {
        cm_val a = str_val(samples[i]);
        st = cm_func_call(echo, &a, 1, &res, &err);
        CHECKM(st == WASM_OK && cm_val_equal(&a, &res), "echo %s \"%s\": %s", encs[k],
              samples[i], err.message);
        if (st == WASM_OK) cm_val_free(&res);
        cm_val_free(&a);
      }
      cm_instance_delete(inst);
    }
    cm_linker_delete(l);
    wasm_store_delete(s);
    cm_component_delete(c);
  }
}

/* Imports: a host function called by the component, and a missing one. */
static wasm_status host_double(void *env, cm_instance *caller, const cm_val *args,
                               size_t nargs, cm_val *result, wasm_error *err) {
  (*(int *)env)++;
  result->kind = CM_U32;
  result->of.u = args[0].of.u * 2;
  return WASM_OK;
}

/* Instantiates c with l and checks that its export `run`, called with x,
 * returns want after calling the host function exactly once. */
static void check_run(cm_linker *l, wasm_store *s, const cm_component *c, uint32_t x,
                      uint32_t want, const int *calls) {
  wasm_error err = {0};
  cm_instance *inst = NULL;
  wasm_status st = cm_linker_instantiate(l, s, c, &inst, &err);
  CHECKM(st == WASM_OK, "instantiate: %s", err.message);
  if (st != WASM_OK) return;
  cm_func *run = cm_instance_func(inst, "run");
  cm_val a = {.kind = CM_U32, .of.u = x}, res;
  st = run ? cm_func_call(run, &a, 1, &res, &err) : WASM_BAD_ARG;
  CHECKM(st == WASM_OK && res.of.u == want && *calls == 1, "run: %s", err.message);
  cm_instance_delete(inst);
}

static void test_imports(wasm_engine *e) {
  const char *wat =
      "(component\n"
      "  (import \"test:demo/math@0.2.1\" (instance $math\n"
      "    (export \"double\" (func (param \"x\" u32) (result u32)))))\n"
      "  (alias export $math \"double\" (func $double))\n"
      "  (core func $d (canon lower (func $double)))\n"
      "  (core module $M (import \"\" \"d\" (func $d (param i32) (result i32)))\n"
      "    (func (export \"run\") (param i32) (result i32) (i32.add (call $d (local.get 0)) (i32.const 1))))\n"
      "  (core instance $m (instantiate $M (with \"\" (instance (export \"d\" (func $d))))))\n"
      "  (func (export \"run\") (param \"x\" u32) (result u32) (canon lift (core func $m \"run\")))\n"
      ")\n";
  wasm_error err = {0};
  cm_component *c = unit_cm_compile(e, wat, &err);
  CHECKM(c != NULL, "compile: %s", err.message);
  if (!c) return;
  wasm_store *s = wasm_store_new(e);
  /* missing interface */
  cm_linker *l = cm_linker_new(e);
  cm_instance *inst = NULL;
  wasm_status st = cm_linker_instantiate(l, s, c, &inst, &err);
  CHECKM(st == WASM_LINK_ERROR && strstr(err.message, "test:demo/math@0.2.1"),
        "missing import: %d %s", st, err.message);
  /* provided with a semver-compatible version */
  int calls = 0;
  st = cm_linker_define_func(l, "test:demo/math@0.2.5", "double", "func(x: u32) -> u32",
                             host_double, &calls, &err);
  CHECKM(st == WASM_OK, "define: %s", err.message);
  check_run(l, s, c, 20, 41, &calls);
  cm_linker_delete(l);
  wasm_store_delete(s);
  cm_component_delete(c);
}

/* A value type imported at the root with an eq bound needs nothing from
 * the linker: its bound determines it. */
static void test_root_type_import(wasm_engine *e) {
  const char *wat =
      "(component\n"
      "  (type $t0 u32)\n"
      "  (import \"t\" (type $t (eq $t0)))\n"
      "  (import \"double\" (func $h (param \"x\" $t) (result $t)))\n"
      "  (core func $hl (canon lower (func $h)))\n"
      "  (core module $M (import \"\" \"h\" (func $h (param i32) (result i32)))\n"
      "    (func (export \"run\") (param i32) (result i32) (call $h (local.get 0))))\n"
      "  (core instance $m (instantiate $M (with \"\" (instance (export \"h\" (func $hl))))))\n"
      "  (func (export \"run\") (param \"x\" $t) (result $t) (canon lift (core func $m \"run\"))))\n";
  wasm_error err = {0};
  cm_component *c = unit_cm_compile(e, wat, &err);
  CHECKM(c != NULL, "compile: %s", err.message);
  if (!c) return;
  wasm_store *s = wasm_store_new(e);
  cm_linker *l = cm_linker_new(e);
  int calls = 0;
  wasm_status st = cm_linker_define_func(l, NULL, "double", "func(x: u32) -> u32", host_double,
                                         &calls, &err);
  CHECKM(st == WASM_OK, "define: %s", err.message);
  check_run(l, s, c, 21, 42, &calls);
  cm_linker_delete(l);
  wasm_store_delete(s);
  cm_component_delete(c);
}

/* WIT type strings: syntax errors at definition, mismatches at
 * instantiation, compound types in both directions. */
static wasm_status host_sum(void *env, cm_instance *caller, const cm_val *args, size_t nargs,
                            cm_val *result, wasm_error *err) {
  uint64_t sum = 0;
  for (size_t i = 0; i < args[0].of.list.n; i++) sum += args[0].of.list.elems[i].of.u;
  bool some = args[1].of.variant.disc == 1;
  if (some) sum += args[1].of.variant.payload->of.u;
  cm_val *el = calloc(2, sizeof *el);
  if (!el) return WASM_NOMEM;
  el[0].kind = CM_U32;
  el[0].of.u = sum;
  el[1].kind = CM_BOOL;
  el[1].of.b = some;
  result->kind = CM_TUPLE;
  result->of.list.elems = el;
  result->of.list.n = 2;
  return WASM_OK;
}

static void test_wit(wasm_engine *e) {
  char wat[4096];
  snprintf(wat, sizeof wat,
      "(component\n%s"
      "  (core instance $libc (instantiate $M))\n"
      "  (import \"sum\" (func $sum (param \"xs\" (list u32)) (param \"o\" (option u32))\n"
      "    (result (tuple u32 bool))))\n"
      "  (core func $s (canon lower (func $sum) (memory (core memory $libc \"mem\"))))\n"
      "  (core module $U (import \"\" \"mem\" (memory 1))\n"
      "    (import \"\" \"s\" (func $s (param i32 i32 i32 i32 i32)))\n"
      "    (func (export \"run\") (result i32)\n"
      "      (i32.store (i32.const 100) (i32.const 1))\n"
      "      (i32.store (i32.const 104) (i32.const 2))\n"
      "      (i32.store (i32.const 108) (i32.const 3))\n"
      "      (call $s (i32.const 100) (i32.const 3) (i32.const 1) (i32.const 10) (i32.const 200))\n"
      "      (i32.add (i32.load (i32.const 200)) (i32.load8_u (i32.const 204))))\n"
      "    (func (export \"pick\") (param i32 i32 i32 i32) (result i32)\n"
      "      (i32.store8 (i32.const 300) (local.get 0))\n"
      "      (i32.store (i32.const 304) (i32.add (local.get 1) (local.get 3)))\n"
      "      (i32.const 300)))\n"
      "  (core instance $u (instantiate $U (with \"\" (instance\n"
      "    (export \"mem\" (memory $libc \"mem\")) (export \"s\" (func $s))))))\n"
      "  (func (export \"run\") (result u32) (canon lift (core func $u \"run\")))\n"
      "  (func (export \"pick\") (param \"o\" (option u32)) (param \"r\" (result u32 (error u8)))\n"
      "    (result (option u32)) (canon lift (core func $u \"pick\") (memory $libc \"mem\")))\n"
      ")\n", LIBC);
  wasm_error err = {0};
  cm_component *c = unit_cm_compile(e, wat, &err);
  CHECKM(c != NULL, "compile: %s", err.message);
  if (!c) return;
  wasm_store *s = wasm_store_new(e);
  static const char *const syntax_bad[] = {"func(x: u32", "fn(x: u32)", "func(x u32)",
                                           "func() -> list<u32", "func(x: u32) junk"};
  cm_linker *l = cm_linker_new(e);
  for (size_t i = 0; i < sizeof syntax_bad / sizeof syntax_bad[0]; i++) {
    wasm_status st = cm_linker_define_func(l, NULL, "sum", syntax_bad[i], host_sum, NULL, &err);
    CHECKM(st == WASM_MALFORMED, "WIT `%s` accepted: %d", syntax_bad[i], st);
  }
  static const char *const mismatched[] = {
      "func(xs: list<u32>, o: option<u32>) -> tuple<u32, u8>",
      "func(xs: list<u64>, o: option<u32>) -> tuple<u32, bool>",
      "func(ys: list<u32>, o: option<u32>) -> tuple<u32, bool>",
      "func(xs: list<u32>) -> tuple<u32, bool>",
      "func(xs: list<u32>, o: option<u32>)",
      "func(xs: list<u32>, o: result<u32>) -> tuple<u32, bool>",
  };
  for (size_t i = 0; i < sizeof mismatched / sizeof mismatched[0]; i++) {
    cm_linker *bad = cm_linker_new(e);
    wasm_status st = cm_linker_define_func(bad, NULL, "sum", mismatched[i], host_sum, NULL, &err);
    CHECKM(st == WASM_OK, "define `%s`: %s", mismatched[i], err.message);
    cm_instance *inst = NULL;
    st = cm_linker_instantiate(bad, s, c, &inst, &err);
    CHECKM(st == WASM_LINK_ERROR && strstr(err.message, "wrong type"),
          "mismatch `%s` not caught: %d %s", mismatched[i], st, err.message);
    if (st == WASM_OK) cm_instance_delete(inst);
    cm_linker_delete(bad);
  }
  wasm_status st = cm_linker_define_func(
      l, NULL, "sum", "func(xs: list<u32>, o: option<u32>) -> tuple<u32, bool>", host_sum, NULL,
      &err);
  CHECKM(st == WASM_OK, "define sum: %s", err.message);
  cm_instance *inst = NULL;
  st = cm_linker_instantiate(l, s, c, &inst, &err);
  CHECKM(st == WASM_OK, "instantiate: %s", err.message);
  if (st == WASM_OK) {
    /* component -> host: list and option in, tuple out (through memory) */
    cm_func *run = cm_instance_func(inst, "run");
    cm_val res;
    st = run ? cm_func_call(run, NULL, 0, &res, &err) : WASM_BAD_ARG;
    CHECKM(st == WASM_OK && res.kind == CM_U32 && res.of.u == 17, "run: %s %llu", err.message,
          st == WASM_OK ? (unsigned long long)res.of.u : 0ull);
    if (st == WASM_OK) cm_val_free(&res);
    /* host -> component: option and result in, option out (through memory) */
    cm_func *pick = cm_instance_func(inst, "pick");
    cm_val five = {.kind = CM_U32, .of.u = 5}, two = {.kind = CM_U32, .of.u = 2};
    cm_val args[2];
    memset(args, 0, sizeof args);
    args[0].kind = CM_OPTION;
    args[0].of.variant.disc = 1;
    args[0].of.variant.payload = &five;
    args[1].kind = CM_RESULT;
    args[1].of.variant.disc = 0;
    args[1].of.variant.payload = &two;
    st = pick ? cm_func_call(pick, args, 2, &res, &err) : WASM_BAD_ARG;
    CHECKM(st == WASM_OK && res.kind == CM_OPTION && res.of.variant.disc == 1 &&
              res.of.variant.payload && res.of.variant.payload->of.u == 7,
          "pick: %s", err.message);
    if (st == WASM_OK) cm_val_free(&res);
    cm_instance_delete(inst);
  }
  cm_linker_delete(l);
  wasm_store_delete(s);
  cm_component_delete(c);
}

/* Host-defined resources: created by the host, borrowed and consumed by
 * the component, dropped in every order; destructors run once each. */
typedef struct res_host {
  cm_linker *l;
  cm_host_resource *blob;
  uint32_t dropped[8];
  int ndropped;
  int bad;
} res_host;

static void blob_dtor(void *env, uint32_t rep) {
  res_host *h = env;
  if (h->ndropped < 8) h->dropped[h->ndropped] = rep;
  h->ndropped++;
}

static wasm_status host_make(void *env, cm_instance *caller, const cm_val *args, size_t nargs,
                             cm_val *result, wasm_error *err) {
  res_host *h = env;
  return cm_linker_resource_new(h->l, h->blob, (uint32_t)args[0].of.u, result, err);
}

static wasm_status host_peek(void *env, cm_instance *caller, const cm_val *args, size_t nargs,
                             cm_val *result, wasm_error *err) {
  res_host *h = env;
  uint32_t rep = 0;
  wasm_status st = cm_linker_resource_rep(h->l, h->blob, &args[0], &rep, err);
  if (st) return st;
  if (args[0].kind != CM_BORROW) h->bad++;
  result->kind = CM_U32;
  result->of.u = rep;
  return WASM_OK;
}

static wasm_status host_consume(void *env, cm_instance *caller, const cm_val *args,
                                size_t nargs, cm_val *result, wasm_error *err) {
  res_host *h = env;
  uint32_t rep = 0;
  wasm_status st = cm_linker_resource_rep(h->l, h->blob, &args[0], &rep, err);
  if (st) return st;
  if (args[0].kind != CM_OWN) h->bad++;
  if ((st = cm_linker_resource_drop(h->l, &args[0], err))) return st;
  result->kind = CM_U32;
  result->of.u = rep;
  return WASM_OK;
}

static const char *RES_WAT =
    "(component\n"
    "  (import \"test:res/store\" (instance $st\n"
    "    (export \"blob\" (type $blob (sub resource)))\n"
    "    (export \"make\" (func (param \"x\" u32) (result (own $blob))))\n"
    "    (export \"peek\" (func (param \"b\" (borrow $blob)) (result u32)))\n"
    "    (export \"consume\" (func (param \"b\" (own $blob)) (result u32)))))\n"
    "  (alias export $st \"blob\" (type $blob))\n"
    "  (alias export $st \"make\" (func $make))\n"
    "  (alias export $st \"peek\" (func $peek))\n"
    "  (alias export $st \"consume\" (func $consume))\n"
    "  (core func $make' (canon lower (func $make)))\n"
    "  (core func $peek' (canon lower (func $peek)))\n"
    "  (core func $consume' (canon lower (func $consume)))\n"
    "  (core func $drop (canon resource.drop $blob))\n"
    "  (core module $M\n"
    "    (import \"\" \"make\" (func $make (param i32) (result i32)))\n"
    "    (import \"\" \"peek\" (func $peek (param i32) (result i32)))\n"
    "    (import \"\" \"consume\" (func $consume (param i32) (result i32)))\n"
    "    (import \"\" \"drop\" (func $drop (param i32)))\n"
    "    (global $a (mut i32) (i32.const 0))\n"
    "    (global $b (mut i32) (i32.const 0))\n"
    "    (func (export \"setup\") (result i32)\n"
    "      (global.set $a (call $make (i32.const 7)))\n"
    "      (global.set $b (call $make (i32.const 8)))\n"
    "      (i32.add (call $peek (global.get $a)) (call $peek (global.get $b))))\n"
    "    (func (export \"drop-a\") (call $drop (global.get $a)))\n"
    "    (func (export \"drop-b\") (call $drop (global.get $b)))\n"
    "    (func (export \"consume-b\") (result i32) (call $consume (global.get $b))))\n"
    "  (core instance $m (instantiate $M (with \"\" (instance\n"
    "    (export \"make\" (func $make')) (export \"peek\" (func $peek'))\n"
    "    (export \"consume\" (func $consume')) (export \"drop\" (func $drop))))))\n"
    "  (func (export \"setup\") (result u32) (canon lift (core func $m \"setup\")))\n"
    "  (func (export \"drop-a\") (canon lift (core func $m \"drop-a\")))\n"
    "  (func (export \"drop-b\") (canon lift (core func $m \"drop-b\")))\n"
    "  (func (export \"consume-b\") (result u32) (canon lift (core func $m \"consume-b\")))\n"
    ")\n";

static void test_resources(wasm_engine *e) {
  wasm_error err = {0};
  cm_component *c = unit_cm_compile(e, RES_WAT, &err);
  CHECKM(c != NULL, "compile: %s", err.message);
  if (!c) return;
  /* the calls of each scenario after setup, and the destructor order */
  static const struct { const char *calls[3]; uint32_t order[2]; int ndrops; } cases[] = {
      {{"drop-a", "drop-b", NULL}, {7, 8}, 2},
      {{"drop-b", "drop-a", NULL}, {8, 7}, 2},
      {{"consume-b", "drop-a", NULL}, {8, 7}, 2},
      {{"drop-a", "consume-b", NULL}, {7, 8}, 2},
      {{"drop-a", "drop-a", NULL}, {7, 0}, 1}, /* the second drop traps */
      {{NULL}, {0, 0}, 0},                     /* never dropped */
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    wasm_store *s = wasm_store_new(e);
    res_host h;
    memset(&h, 0, sizeof h);
    h.l = cm_linker_new(e);
    /* a missing resource is named at instantiation */
    cm_instance *inst = NULL;
    wasm_status st = cm_linker_define_func(h.l, "test:res/store", "make",
                                           "func(x: u32) -> own<blob>", host_make, &h, &err);
    st = st ? st : cm_linker_define_func(h.l, "test:res/store", "peek",
                                         "func(b: borrow<blob>) -> u32", host_peek, &h, &err);
    st = st ? st : cm_linker_define_func(h.l, "test:res/store", "consume",
                                         "func(b: blob) -> u32", host_consume, &h, &err);
    CHECKM(st == WASM_OK, "define: %s", err.message);
    if (k == 0) {
      st = cm_linker_instantiate(h.l, s, c, &inst, &err);
      CHECKM(st == WASM_LINK_ERROR && strstr(err.message, "blob"), "missing resource: %d %s",
            st, err.message);
    }
    st = cm_linker_define_resource(h.l, "test:res/store@1.0.0", "blob", blob_dtor, &h, &h.blob,
                                   &err);
    CHECKM(st == WASM_OK, "define resource: %s", err.message);
    /* an unversioned import is not served by a versioned definition */
    st = cm_linker_instantiate(h.l, s, c, &inst, &err);
    CHECKM(st == WASM_LINK_ERROR, "version mismatch accepted");
    cm_linker_delete(h.l);
    h.l = cm_linker_new(e);
    st = cm_linker_define_resource(h.l, "test:res/store", "blob", blob_dtor, &h, &h.blob, &err);
    st = st ? st : cm_linker_define_func(h.l, "test:res/store", "make", NULL, host_make, &h, &err);
    st = st ? st : cm_linker_define_func(h.l, "test:res/store", "peek", NULL, host_peek, &h, &err);
    st = st ? st : cm_linker_define_func(h.l, "test:res/store", "consume", NULL, host_consume, &h,
                                         &err);
    st = st ? st : cm_linker_instantiate(h.l, s, c, &inst, &err);
    CHECKM(st == WASM_OK, "instantiate: %s", err.message);
    if (st == WASM_OK) {
      cm_val res;
      cm_func *f = cm_instance_func(inst, "setup");
      st = f ? cm_func_call(f, NULL, 0, &res, &err) : WASM_BAD_ARG;
      CHECKM(st == WASM_OK && res.of.u == 15, "setup: %s", err.message);
      for (int i = 0; i < 3 && cases[k].calls[i]; i++) {
        f = cm_instance_func(inst, cases[k].calls[i]);
        st = f ? cm_func_call(f, NULL, 0, &res, &err) : WASM_BAD_ARG;
        bool want_trap = k == 4 && i == 1;
        CHECKM(want_trap ? st == WASM_TRAP : st == WASM_OK, "case %zu %s: %d %s", k,
              cases[k].calls[i], st, err.message);
        if (st == WASM_OK) cm_val_free(&res);
        if (strcmp(cases[k].calls[i], "consume-b") == 0)
          CHECKM(st == WASM_OK && res.of.u == 8, "consume-b result");
      }
      CHECKM(h.ndropped == cases[k].ndrops && h.bad == 0, "case %zu: %d drops, %d bad", k,
            h.ndropped, h.bad);
      for (int i = 0; i < cases[k].ndrops && i < h.ndropped; i++)
        CHECKM(h.dropped[i] == cases[k].order[i], "case %zu: drop %d was rep %u", k, i,
              h.dropped[i]);
      cm_instance_delete(inst);
    }
    cm_linker_delete(h.l);
    wasm_store_delete(s);
  }
  cm_component_delete(c);
}

/* A host interface described once in WIT, with its callbacks. */
typedef struct if_host {
  cm_linker *l;
  int drops;
} if_host;

static wasm_status if_ctor(void *env, cm_instance *caller, const cm_val *args, size_t nargs,
                           cm_val *result, wasm_error *err) {
  if_host *h = env;
  return cm_linker_resource_new(h->l, cm_linker_resource(h->l, "test:demo/shapes", "blob"),
                                (uint32_t)args[0].of.u, result, err);
}

static wasm_status if_size(void *env, cm_instance *caller, const cm_val *args, size_t nargs,
                           cm_val *result, wasm_error *err) {
  if_host *h = env;
  uint32_t rep = 0;
  wasm_status st = cm_linker_resource_rep(
      h->l, cm_linker_resource(h->l, "test:demo/shapes", "blob"), &args[0], &rep, err);
  result->kind = CM_U32;
  result->of.u = rep * 10;
  return st;
}

static wasm_status if_sum(void *env, cm_instance *caller, const cm_val *args, size_t nargs,
                          cm_val *result, wasm_error *err) {
  result->kind = CM_U32;
  result->of.u = args[0].of.list.elems[0].of.u + args[0].of.list.elems[1].of.u;
  return WASM_OK;
}

static void if_drop(void *env, uint32_t rep) { ((if_host *)env)->drops++; }

static void test_interface(wasm_engine *e) {
  const char *wat =
      "(component\n"
      "  (import \"test:demo/shapes\" (instance $sh\n"
      "    (export \"blob\" (type $blob (sub resource)))\n"
      "    (type $point' (record (field \"x\" u32) (field \"y\" u32)))\n"
      "    (export \"point\" (type $point (eq $point')))\n"
      "    (export \"[constructor]blob\" (func (param \"x\" u32) (result (own $blob))))\n"
      "    (export \"[method]blob.size\" (func (param \"self\" (borrow $blob)) (result u32)))\n"
      "    (export \"sum\" (func (param \"p\" $point) (result u32)))))\n"
      "  (alias export $sh \"blob\" (type $blob))\n"
      "  (core func $new (canon lower (func $sh \"[constructor]blob\")))\n"
      "  (core func $size (canon lower (func $sh \"[method]blob.size\")))\n"
      "  (core func $sum (canon lower (func $sh \"sum\")))\n"
      "  (core func $drop (canon resource.drop $blob))\n"
      "  (core module $M\n"
      "    (import \"\" \"new\" (func $new (param i32) (result i32)))\n"
      "    (import \"\" \"size\" (func $size (param i32) (result i32)))\n"
      "    (import \"\" \"sum\" (func $sum (param i32 i32) (result i32)))\n"
      "    (import \"\" \"drop\" (func $drop (param i32)))\n"
      "    (func (export \"run\") (result i32) (local $h i32)\n"
      "      (local.set $h (call $new (i32.const 4)))\n"
      "      (call $size (local.get $h))\n"
      "      (call $drop (local.get $h))\n"
      "      (i32.add (call $sum (i32.const 1) (i32.const 2)))))\n"
      "  (core instance $m (instantiate $M (with \"\" (instance\n"
      "    (export \"new\" (func $new)) (export \"size\" (func $size))\n"
      "    (export \"sum\" (func $sum)) (export \"drop\" (func $drop))))))\n"
      "  (func (export \"run\") (result u32) (canon lift (core func $m \"run\")))\n"
      ")\n";
  const char *wit =
      "interface shapes {\n"
      "  // types are compared with the component's\n"
      "  record point { x: u32, y: u32 }\n"
      "  resource blob {\n"
      "    constructor(x: u32);\n"
      "    size: func() -> u32;\n"
      "  }\n"
      "  sum: func(p: point) -> u32;\n"
      "}\n";
  wasm_error err = {0};
  cm_component *c = unit_cm_compile(e, wat, &err);
  CHECKM(c != NULL, "compile: %s", err.message);
  if (!c) return;
  wasm_store *s = wasm_store_new(e);
  if_host h = {0};
  h.l = cm_linker_new(e);
  cm_host_entry entries[] = {
      {"[constructor]blob", if_ctor, NULL, &h},
      {"[method]blob.size", if_size, NULL, &h},
      {"sum", if_sum, NULL, &h},
      {"[resource-drop]blob", NULL, if_drop, &h},
  };
  wasm_status st = cm_linker_define_interface(h.l, "test:demo/shapes", wit, entries + 1, 3, &err);
  CHECKM(st == WASM_BAD_ARG && strstr(err.message, "[constructor]blob"), "missing callback: %d %s", st,
        err.message);
  cm_linker_delete(h.l);
  h.l = cm_linker_new(e);
  st = cm_linker_define_interface(h.l, "test:demo/shapes", "interface x { f: func(; }", entries,
                                  4, &err);
  CHECKM(st == WASM_MALFORMED, "malformed WIT accepted: %d", st);
  cm_linker_delete(h.l);
  h.l = cm_linker_new(e);
  st = cm_linker_define_interface(h.l, "test:demo/shapes", wit, entries, 4, &err);
  CHECKM(st == WASM_OK, "define interface: %s", err.message);
  cm_instance *inst = NULL;
  st = cm_linker_instantiate(h.l, s, c, &inst, &err);
  CHECKM(st == WASM_OK, "instantiate: %s", err.message);
  if (st == WASM_OK) {
    cm_func *f = cm_instance_func(inst, "run");
    cm_val res;
    st = f ? cm_func_call(f, NULL, 0, &res, &err) : WASM_BAD_ARG;
    CHECKM(st == WASM_OK && res.of.u == 43 && h.drops == 1, "run: %s (%llu, %d drops)",
          err.message, st == WASM_OK ? (unsigned long long)res.of.u : 0ull, h.drops);
    cm_instance_delete(inst);
  }
  cm_linker_delete(h.l);
  wasm_store_delete(s);
  cm_component_delete(c);
}

/* Named types of a WIT interface are compared structurally with the
 * component's: any difference is a link error naming the type. */
#define NAMED_WIT(T, V, E, F)                                                     \
  "interface named {\n  record t { " T " }\n  variant v { " V " }\n"              \
  "  enum e { " E " }\n  flags f { " F " }\n  type alias-t = t;\n"                 \
  "  get-a: func(x: alias-t) -> u32;\n  take: func(v: v, e: e, fl: f);\n}\n"

static wasm_status named_get(void *env, cm_instance *caller, const cm_val *args, size_t nargs,
                             cm_val *result, wasm_error *err) {
  result->kind = CM_U32;
  result->of.u = args[0].of.list.elems[0].of.u + args[0].of.list.elems[1].of.u;
  return WASM_OK;
}

static wasm_status named_take(void *env, cm_instance *caller, const cm_val *args, size_t nargs,
                              cm_val *result, wasm_error *err) {
  return WASM_OK;
}

static void test_named_types(wasm_engine *e) {
  const char *wat =
      "(component\n"
      "  (import \"test:types/named\" (instance $i\n"
      "    (type $t' (record (field \"a\" u8) (field \"b\" u16)))\n"
      "    (export \"t\" (type $t (eq $t')))\n"
      "    (type $v' (variant (case \"none\") (case \"num\" u32) (case \"rec\" $t)))\n"
      "    (export \"v\" (type $v (eq $v')))\n"
      "    (type $e' (enum \"red\" \"green\"))\n"
      "    (export \"e\" (type $e (eq $e')))\n"
      "    (type $f' (flags \"x\" \"y\"))\n"
      "    (export \"f\" (type $f (eq $f')))\n"
      "    (export \"get-a\" (func (param \"x\" $t) (result u32)))\n"
      "    (export \"take\" (func (param \"v\" $v) (param \"e\" $e) (param \"fl\" $f)))))\n"
      "  (alias export $i \"get-a\" (func $g))\n"
      "  (core func $g (canon lower (func $g)))\n"
      "  (core module $M (import \"\" \"g\" (func $g (param i32 i32) (result i32)))\n"
      "    (func (export \"run\") (result i32) (call $g (i32.const 7) (i32.const 300))))\n"
      "  (core instance $m (instantiate $M (with \"\" (instance (export \"g\" (func $g))))))\n"
      "  (func (export \"run\") (result u32) (canon lift (core func $m \"run\")))\n"
      ")\n";
  wasm_error err = {0};
  cm_component *c = unit_cm_compile(e, wat, &err);
  CHECKM(c != NULL, "compile: %s", err.message);
  if (!c) return;
  wasm_store *s = wasm_store_new(e);
  cm_host_entry entries[] = {{"get-a", named_get, NULL, NULL}, {"take", named_take, NULL, NULL}};
  /* the right interface links and runs */
  cm_linker *l = cm_linker_new(e);
  wasm_status st = cm_linker_define_interface(
      l, "test:types/named",
      NAMED_WIT("a: u8, b: u16", "none, num(u32), rec(t)", "red, green", "x, y,"), entries, 2,
      &err);
  CHECKM(st == WASM_OK, "define: %s", err.message);
  cm_instance *inst = NULL;
  if (st == WASM_OK) st = cm_linker_instantiate(l, s, c, &inst, &err);
  CHECKM(st == WASM_OK, "instantiate: %s", err.message);
  if (st == WASM_OK) {
    cm_func *f = cm_instance_func(inst, "run");
    cm_val res;
    st = f ? cm_func_call(f, NULL, 0, &res, &err) : WASM_BAD_ARG;
    CHECKM(st == WASM_OK && res.of.u == 307, "run: %s", err.message);
    cm_instance_delete(inst);
  }
  cm_linker_delete(l);
  /* each difference is a link error naming the type and the item */
  static const struct { const char *wit, *type, *item; } bad[] = {
      {NAMED_WIT("a: u16, b: u16", "none, num(u32), rec(t)", "red, green", "x, y"), "`t`", "`a`"},
      {NAMED_WIT("a: u8", "none, num(u32), rec(t)", "red, green", "x, y"), "`t`", "`b`"},
      {NAMED_WIT("a: u8, c: u16", "none, num(u32), rec(t)", "red, green", "x, y"), "`t`", "`c`"},
      {NAMED_WIT("a: u8, b: u16", "none, num(u32), rec(t)", "red, blue", "x, y"), "`e`", "`blue`"},
      {NAMED_WIT("a: u8, b: u16", "none, num(u32), rec(t)", "red, green", "x"), "`f`", "`y`"},
      {NAMED_WIT("a: u8, b: u16", "none, num(u64), rec(t)", "red, green", "x, y"), "`v`", "`num`"},
      {NAMED_WIT("a: u8, b: u16", "none, num, rec(t)", "red, green", "x, y"), "`v`", "`num`"},
      {NAMED_WIT("a: u8, b: s16", "none, num(u32), rec(t)", "red, green", "x, y"), "`t`", "`b`"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    l = cm_linker_new(e);
    inst = NULL;
    st = cm_linker_define_interface(l, "test:types/named", bad[i].wit, entries, 2, &err);
    CHECKM(st == WASM_OK, "bad %zu: define: %s", i, err.message);
    if (st == WASM_OK) st = cm_linker_instantiate(l, s, c, &inst, &err);
    CHECKM(st == WASM_LINK_ERROR && strstr(err.message, "test:types/named") &&
              strstr(err.message, bad[i].type) && strstr(err.message, bad[i].item),
          "bad %zu: %d %s", i, st, st ? err.message : "accepted");
    if (getenv("SHOW_LINK_ERRORS")) printf("bad %zu: %s\n", i, err.message);
    if (st == WASM_OK) cm_instance_delete(inst);
    cm_linker_delete(l);
  }
  /* a self-referential alias cannot loop */
  l = cm_linker_new(e);
  st = cm_linker_define_interface(l, "test:types/named",
                                  "interface named { type t = t;\n get-a: func(x: t) -> u32;\n"
                                  " take: func(v: v, e: e, fl: f); }",
                                  entries, 2, &err);
  CHECKM(st == WASM_OK, "define cyclic: %s", err.message);
  inst = NULL;
  if (st == WASM_OK) st = cm_linker_instantiate(l, s, c, &inst, &err);
  CHECKM(st == WASM_LINK_ERROR, "cyclic alias: %d %s", st, st ? err.message : "accepted");
  if (st == WASM_OK) cm_instance_delete(inst);
  cm_linker_delete(l);
  /* a type another interface defines (`use other.{num}` where
   * num = u32) is checked there: any type is accepted here */
  l = cm_linker_new(e);
  st = cm_linker_define_interface(l, "test:types/named",
                                  "interface named { use other.{num, t, v as v, e, f};\n"
                                  " get-a: func(x: t) -> num;\n take: func(v: v, e: e, fl: f); }",
                                  entries, 2, &err);
  inst = NULL;
  if (st == WASM_OK) st = cm_linker_instantiate(l, s, c, &inst, &err);
  CHECKM(st == WASM_OK, "use'd alias: %s", err.message);
  if (st == WASM_OK) cm_instance_delete(inst);
  cm_linker_delete(l);
  /* a malformed definition is rejected when defined */
  l = cm_linker_new(e);
  st = cm_linker_define_interface(
      l, "test:types/named", NAMED_WIT("a: , b: u16", "none", "red", "x"), entries, 2, &err);
  CHECKM(st == WASM_MALFORMED && strstr(err.message, "`t`"), "malformed type: %d %s", st,
        err.message);
  cm_linker_delete(l);
  wasm_store_delete(s);
  cm_component_delete(c);
}

static void test_malformed(wasm_engine *e) {
  static const uint8_t bad[][12] = {
      {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0x07, 0xff},
      {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00},
      {0x00, 0x61, 0x73},
  };
  static const size_t lens[] = {10, 8, 3};
  for (int i = 0; i < 3; i++) {
    cm_component *c = NULL;
    wasm_error err = {0};
    wasm_status st = cm_component_new(e, bad[i], lens[i], &c, &err);
    CHECKM(st != WASM_OK && c == NULL, "malformed %d accepted", i);
  }
}

int main(void) {
  wasm_engine *e = wasm_engine_new(NULL);
  test_exports(e);
  test_imports(e);
  test_root_type_import(e);
  test_wit(e);
  test_resources(e);
  test_interface(e);
  test_named_types(e);
  test_malformed(e);
  wasm_engine_delete(e);
  return unit_report();
}
