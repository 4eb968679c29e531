/*
 * test_cm_types.c: every WIT value type through the host API in both
 * directions. One component template per type T: the component imports
 * `host-echo: func(x: T) -> T` and exports `echo: func(x: T) -> T`, whose
 * core function passes its flat params straight to the lowered import.
 * A call carries the value host -> export (lower into the guest), guest ->
 * host import (lift out), host -> guest (lower the import's result) and
 * back out of the export (lift): the host checks what it received and
 * what came back. Named types (record, variant, enum, flags) go through
 * an imported interface defined in WIT with cm_linker_define_interface.
 * Resources: own and borrow of a component-defined resource, host to
 * exports (test_resource).
 */
#include <stdarg.h>

#include "unit_cm.h"

#define RETAREA 16
#define IFACE "test:types/named" /* where named types' host-echo lives */ /* guest return area for results of more than one flat value */

/* ---- building values ---- */

static cm_val v_num(cm_typekind k, uint64_t u) {
  cm_val v;
  memset(&v, 0, sizeof v);
  v.kind = k;
  v.of.u = u;
  return v;
}
static cm_val v_s(cm_typekind k, int64_t s) {
  cm_val v = v_num(k, 0);
  v.of.s = s;
  return v;
}
static cm_val v_f32(float f) {
  cm_val v = v_num(CM_F32, 0);
  v.of.f32 = f;
  return v;
}
static cm_val v_f64(double f) {
  cm_val v = v_num(CM_F64, 0);
  v.of.f64 = f;
  return v;
}
static cm_val v_bool(bool b) {
  cm_val v = v_num(CM_BOOL, 0);
  v.of.b = b;
  return v;
}
static cm_val v_char(uint32_t c) {
  cm_val v = v_num(CM_CHAR, 0);
  v.of.ch = c;
  return v;
}
static cm_val v_str(const char *s) {
  cm_val v = v_num(CM_STRING, 0);
  v.of.str.len = strlen(s);
  v.of.str.ptr = malloc(v.of.str.len + 1);
  if (v.of.str.ptr) memcpy(v.of.str.ptr, s, v.of.str.len + 1);
  return v;
}
/* list, record or tuple of n values (taken over) */
static cm_val v_agg(cm_typekind k, size_t n, ...) {
  cm_val v = v_num(k, 0);
  v.of.list.n = n;
  v.of.list.elems = n ? calloc(n, sizeof(cm_val)) : NULL;
  va_list ap;
  va_start(ap, n);
  for (size_t i = 0; i < n; i++) {
    cm_val e = va_arg(ap, cm_val);
    if (v.of.list.elems) v.of.list.elems[i] = e;
  }
  va_end(ap);
  return v;
}
/* variant, enum, option or result; payload (taken over) when has */
static cm_val v_case(cm_typekind k, uint32_t disc, bool has, cm_val payload) {
  cm_val v = v_num(k, 0);
  v.of.variant.disc = disc;
  if (has) {
    v.of.variant.payload = malloc(sizeof(cm_val));
    if (v.of.variant.payload) *v.of.variant.payload = payload;
  }
  return v;
}
static cm_val v_none(cm_typekind k, uint32_t disc) { return v_case(k, disc, false, v_num(CM_U8, 0)); }
static cm_val v_flags(uint32_t nlabels, uint32_t w0, uint32_t w1) {
  cm_val v = v_num(CM_FLAGS, 0);
  v.of.flags.nlabels = nlabels;
  v.of.flags.words = calloc(2, sizeof(uint32_t));
  if (v.of.flags.words) {
    v.of.flags.words[0] = w0;
    v.of.flags.words[1] = w1;
  }
  return v;
}

/* A deep copy, for the host import's result. */
static bool v_clone(const cm_val *a, cm_val *out) {
  *out = *a;
  switch (a->kind) {
  case CM_STRING:
    out->of.str.ptr = malloc(a->of.str.len + 1);
    if (!out->of.str.ptr) return false;
    memcpy(out->of.str.ptr, a->of.str.ptr, a->of.str.len);
    out->of.str.ptr[a->of.str.len] = 0;
    return true;
  case CM_LIST: case CM_RECORD: case CM_TUPLE:
    out->of.list.elems = a->of.list.n ? calloc(a->of.list.n, sizeof(cm_val)) : NULL;
    if (a->of.list.n && !out->of.list.elems) return false;
    for (size_t i = 0; i < a->of.list.n; i++)
      if (!v_clone(&a->of.list.elems[i], &out->of.list.elems[i])) return false;
    return true;
  case CM_VARIANT: case CM_ENUM: case CM_OPTION: case CM_RESULT:
    if (!a->of.variant.payload) return true;
    out->of.variant.payload = calloc(1, sizeof(cm_val));
    return out->of.variant.payload && v_clone(a->of.variant.payload, out->of.variant.payload);
  case CM_FLAGS: {
    size_t nw = (a->of.flags.nlabels + 31) / 32;
    out->of.flags.words = calloc(nw ? nw : 1, sizeof(uint32_t));
    if (!out->of.flags.words) return false;
    memcpy(out->of.flags.words, a->of.flags.words, nw * sizeof(uint32_t));
    return true;
  }
  default:
    return true;
  }
}

/* ---- the table of types ---- */

#define MAXS 6
typedef struct tcase {
  const char *name;
  const char *wit;   /* the WIT type, or a WIT definition of named type t */
  const char *ctype; /* component type syntax */
  const char *flat;  /* the flattened core types of one T; "*": more than 16 */
  const char *enc;   /* string-encoding, NULL: utf8 default */
  size_t (*samples)(cm_val *out);
} tcase;

static size_t s_bool(cm_val *o) { o[0] = v_bool(false); o[1] = v_bool(true); return 2; }
static size_t s_s8(cm_val *o) { o[0] = v_s(CM_S8, -128); o[1] = v_s(CM_S8, 127); o[2] = v_s(CM_S8, -1); return 3; }
static size_t s_u8(cm_val *o) { o[0] = v_num(CM_U8, 0); o[1] = v_num(CM_U8, 255); return 2; }
static size_t s_s16(cm_val *o) { o[0] = v_s(CM_S16, -32768); o[1] = v_s(CM_S16, 32767); return 2; }
static size_t s_u16(cm_val *o) { o[0] = v_num(CM_U16, 65535); o[1] = v_num(CM_U16, 1); return 2; }
static size_t s_s32(cm_val *o) { o[0] = v_s(CM_S32, INT32_MIN); o[1] = v_s(CM_S32, -7); return 2; }
static size_t s_u32(cm_val *o) { o[0] = v_num(CM_U32, UINT32_MAX); o[1] = v_num(CM_U32, 42); return 2; }
static size_t s_s64(cm_val *o) { o[0] = v_s(CM_S64, INT64_MIN); o[1] = v_s(CM_S64, -3); return 2; }
static size_t s_u64(cm_val *o) { o[0] = v_num(CM_U64, UINT64_MAX); o[1] = v_num(CM_U64, 1ull << 40); return 2; }
static size_t s_f32(cm_val *o) {
  o[0] = v_f32(1.5f); o[1] = v_f32(-0.0f); o[2] = v_f32(__builtin_nanf("")); o[3] = v_f32(-3e38f);
  return 4;
}
static size_t s_f64(cm_val *o) {
  o[0] = v_f64(2.25); o[1] = v_f64(-0.0); o[2] = v_f64(__builtin_nan("")); o[3] = v_f64(1e-310);
  return 4;
}
static size_t s_char(cm_val *o) {
  o[0] = v_char('A'); o[1] = v_char(0xe9); o[2] = v_char(0x2603); o[3] = v_char(0x1f370);
  return 4;
}
static size_t s_string(cm_val *o) {
  o[0] = v_str(""); o[1] = v_str("hello");
  o[2] = v_str("h\xc3\xb6"); /* 2-byte UTF-8, fits latin1 */
  o[3] = v_str("\xe2\x98\x83\xf0\x9f\x8d\xb0 ok"); /* 3- and 4-byte UTF-8 */
  return 4;
}
static size_t s_list_u8(cm_val *o) {
  o[0] = v_agg(CM_LIST, 0);
  o[1] = v_agg(CM_LIST, 3, v_num(CM_U8, 1), v_num(CM_U8, 0), v_num(CM_U8, 255));
  return 2;
}
static size_t s_list_str(cm_val *o) {
  o[0] = v_agg(CM_LIST, 0);
  o[1] = v_agg(CM_LIST, 3, v_str("a"), v_str(""), v_str("\xf0\x9f\x8d\xb0"));
  return 2;
}
static size_t s_record(cm_val *o) {
  o[0] = v_agg(CM_RECORD, 4, v_num(CM_U8, 7), v_str("rec"), v_f64(-1.25), v_bool(true));
  o[1] = v_agg(CM_RECORD, 4, v_num(CM_U8, 0), v_str(""), v_f64(0), v_bool(false));
  return 2;
}
static size_t s_tuple(cm_val *o) {
  o[0] = v_agg(CM_TUPLE, 3, v_num(CM_U8, 200), v_str("tu\xc3\xb6"), v_f64(6.5));
  return 1;
}
static size_t s_variant(cm_val *o) {
  o[0] = v_none(CM_VARIANT, 0);
  o[1] = v_case(CM_VARIANT, 1, true, v_num(CM_U32, 0xdeadbeef));
  o[2] = v_case(CM_VARIANT, 2, true, v_str("payload"));
  o[3] = v_case(CM_VARIANT, 3, true, v_f64(-0.5));
  return 4;
}
static size_t s_enum(cm_val *o) { o[0] = v_none(CM_ENUM, 0); o[1] = v_none(CM_ENUM, 2); return 2; }
static size_t s_flags1(cm_val *o) { o[0] = v_flags(1, 0, 0); o[1] = v_flags(1, 1, 0); return 2; }
static size_t s_flags32(cm_val *o) {
  o[0] = v_flags(32, 0, 0); o[1] = v_flags(32, 0x80000001u, 0); o[2] = v_flags(32, UINT32_MAX, 0);
  return 3;
}
static size_t s_option(cm_val *o) {
  o[0] = v_none(CM_OPTION, 0); o[1] = v_case(CM_OPTION, 1, true, v_str("some"));
  o[2] = v_case(CM_OPTION, 1, true, v_str(""));
  return 3;
}
static size_t s_result(cm_val *o) {
  o[0] = v_case(CM_RESULT, 0, true, v_num(CM_U32, 9));
  o[1] = v_case(CM_RESULT, 1, true, v_str("bad \xe2\x98\x83"));
  return 2;
}
static size_t s_wide(cm_val *o) {
  o[0] = v_agg(CM_TUPLE, 0);
  o[0].of.list.elems = calloc(17, sizeof(cm_val));
  if (o[0].of.list.elems) {
    o[0].of.list.n = 17;
    for (uint32_t i = 0; i < 17; i++) o[0].of.list.elems[i] = v_num(CM_U32, 1000u * i + 1);
  }
  return 1;
}
static size_t s_result0(cm_val *o) { o[0] = v_none(CM_RESULT, 0); o[1] = v_none(CM_RESULT, 1); return 2; }

#define U17W "u32, u32, u32, u32, u32, u32, u32, u32, u32, u32, u32, u32, u32, u32, u32, u32, u32"
#define U17C "u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32"
#define W8(p) p "a, " p "b, " p "c, " p "d, " p "e, " p "f, " p "g, " p "h"
#define L8(p) "\"" p "a\" \"" p "b\" \"" p "c\" \"" p "d\" \"" p "e\" \"" p "f\" \"" p "g\" \"" p "h\" "
static const tcase CASES[] = {
    {"bool", "bool", "bool", "i32", NULL, s_bool},
    {"s8", "s8", "s8", "i32", NULL, s_s8},
    {"u8", "u8", "u8", "i32", NULL, s_u8},
    {"s16", "s16", "s16", "i32", NULL, s_s16},
    {"u16", "u16", "u16", "i32", NULL, s_u16},
    {"s32", "s32", "s32", "i32", NULL, s_s32},
    {"u32", "u32", "u32", "i32", NULL, s_u32},
    {"s64", "s64", "s64", "i64", NULL, s_s64},
    {"u64", "u64", "u64", "i64", NULL, s_u64},
    {"f32", "f32", "f32", "f32", NULL, s_f32},
    {"f64", "f64", "f64", "f64", NULL, s_f64},
    {"char", "char", "char", "i32", NULL, s_char},
    {"string utf8", "string", "string", "i32 i32", "utf8", s_string},
    {"string utf16", "string", "string", "i32 i32", "utf16", s_string},
    {"string latin1+utf16", "string", "string", "i32 i32", "latin1+utf16", s_string},
    {"list<u8>", "list<u8>", "(list u8)", "i32 i32", NULL, s_list_u8},
    {"list<string>", "list<string>", "(list string)", "i32 i32", NULL, s_list_str},
    {"record", "record t { a: u8, b: string, c: f64, d: bool }",
     "(record (field \"a\" u8) (field \"b\" string) (field \"c\" f64) (field \"d\" bool))",
     "i32 i32 i32 f64 i32", NULL, s_record},
    {"tuple", "tuple<u8, string, f64>", "(tuple u8 string f64)", "i32 i32 i32 f64", NULL,
     s_tuple},
    {"variant", "variant t { none, int(u32), str(string), f(f64) }",
     "(variant (case \"none\") (case \"int\" u32) (case \"str\" string) (case \"f\" f64))",
     "i32 i64 i32", NULL, s_variant},
    {"enum", "enum t { red, green, blue }", "(enum \"red\" \"green\" \"blue\")", "i32", NULL, s_enum},
    {"flags(1)", "flags t { only }", "(flags \"only\")", "i32", NULL, s_flags1},
    /* 32 labels is the most: the validator rejects 33 ("cannot have more
     * than 32 flags"), as the current Component Model spec does */
    {"flags(32)", "flags t { " W8("w") ", " W8("x") ", " W8("y") ", " W8("z") " }",
     "(flags " L8("w") L8("x") L8("y") L8("z") ")", "i32", NULL, s_flags32},
    {"option<string>", "option<string>", "(option string)", "i32 i32 i32", NULL, s_option},
    {"result<u32, string>", "result<u32, string>", "(result u32 (error string))",
     "i32 i32 i32", NULL, s_result},
    {"result", "result", "(result)", "i32", NULL, s_result0},
    /* more than 16 flat params: passed through memory both ways */
    {"tuple<u32 x17>", "tuple<" U17W ">", "(tuple " U17C ")", "*", NULL, s_wide},
};

/* Named types are defined in WIT ("record t { ... }") and imported
 * through interface IFACE; the others are used inline. */
static bool is_named(const tcase *c) { return strchr(c->wit, '{') != NULL; }

/* ---- the component template ---- */

static const char *TEMPLATE =
    "(component\n"
    "  (core module $M\n"
    "    (memory (export \"mem\") 1)\n"
    "    (global $next (mut i32) (i32.const 1024))\n"
    "    (func (export \"realloc\") (param i32 i32 i32 i32) (result i32)\n"
    "      (local $r i32)\n"
    "      (global.set $next (i32.and (i32.add (global.get $next) (i32.const 7)) (i32.const -8)))\n"
    "      (local.set $r (global.get $next))\n"
    "      (global.set $next (i32.add (global.get $next) (local.get 3)))\n"
    "      (if (local.get 0) (then (memory.copy (local.get $r) (local.get 0) (local.get 1))))\n"
    "      (local.get $r)))\n"
    "  (core instance $libc (instantiate $M))\n"
    "%s" /* the type $t and the import $h */
    "  (core func $hl (canon lower (func $h) string-encoding=%s\n"
    "    (memory (core memory $libc \"mem\")) (realloc (core func $libc \"realloc\"))))\n"
    "  (core module $U\n"
    "    (import \"\" \"h\" (func $h (param %s) %s))\n"
    "    (func (export \"echo\") (param %s) (result %s)\n"
    "      (call $h %s) %s))\n"
    "  (core instance $u (instantiate $U (with \"\" (instance (export \"h\" (func $hl))))))\n"
    "%s" /* the type of the export: $t or its export $te */
    "  (func (export \"echo\") (param \"x\" %s) (result %s)\n"
    "    (canon lift (core func $u \"echo\") string-encoding=%s\n"
    "      (memory (core memory $libc \"mem\")) (realloc (core func $libc \"realloc\"))))\n"
    ")\n";

/* The component text for case c into buf; false if it does not fit. */
static bool make_wat(const tcase *c, char *buf, size_t cap) {
  char imp_params[256], imp_res[64], res[16], args[256], tail[32];
  const char *params = strcmp(c->flat, "*") == 0 ? "i32" : c->flat; /* the export's */
  size_t nflat = 1;
  for (const char *p = c->flat; *p; p++) nflat += *p == ' ';
  int n = 0;
  for (size_t i = 0; i < nflat && n < (int)sizeof args; i++)
    n += snprintf(args + n, sizeof args - (size_t)n, "%s(local.get %zu)", i ? " " : "", i);
  if (strcmp(c->flat, "*") == 0) { /* params in memory: the lift gets a pointer to them */
    snprintf(imp_params, sizeof imp_params, "i32 i32");
    imp_res[0] = 0;
    snprintf(res, sizeof res, "i32");
    snprintf(tail, sizeof tail, "(i32.const %d)", RETAREA);
    snprintf(args, sizeof args, "(local.get 0) %s", tail);
  } else if (nflat == 1) { /* one flat result: returned directly */
    snprintf(imp_params, sizeof imp_params, "%s", c->flat);
    snprintf(imp_res, sizeof imp_res, "(result %s)", c->flat);
    snprintf(res, sizeof res, "%s", c->flat);
    tail[0] = 0;
  } else { /* through a return area: the import writes it, the export returns it */
    snprintf(imp_params, sizeof imp_params, "%s i32", c->flat);
    imp_res[0] = 0;
    snprintf(res, sizeof res, "i32");
    snprintf(tail, sizeof tail, "(i32.const %d)", RETAREA);
    if (n < (int)sizeof args) snprintf(args + n, sizeof args - (size_t)n, " %s", tail);
  }
  const char *enc = c->enc ? c->enc : "utf8";
  /* Named types (record, variant, enum, flags) must be imported to appear
   * in an import's type and exported to appear in an export's. */
  bool named = is_named(c);
  char tdef[2048];
  if (named)
    snprintf(tdef, sizeof tdef,
             "  (import \"%s\" (instance $i\n"
             "    (type $t0 %s)\n"
             "    (export \"t\" (type $t1 (eq $t0)))\n"
             "    (export \"host-echo\" (func (param \"x\" $t1) (result $t1)))))\n"
             "  (alias export $i \"t\" (type $t))\n"
             "  (alias export $i \"host-echo\" (func $h))\n",
             IFACE, c->ctype);
  else
    snprintf(tdef, sizeof tdef,
             "  (type $t %s)\n"
             "  (import \"host-echo\" (func $h (param \"x\" $t) (result $t)))\n",
             c->ctype);
  const char *texp = named ? "  (export $te \"t-out\" (type $t))\n" : "";
  const char *tname = named ? "$te" : "$t";
  int w = snprintf(buf, cap, TEMPLATE, tdef, enc, imp_params, imp_res, params, res, args, tail,
                   texp, tname, tname, enc);
  return w > 0 && (size_t)w < cap;
}

/* ---- the host side ---- */

typedef struct echo_env {
  const cm_val *expect;
  int calls, mismatches;
} echo_env;

static wasm_status host_echo(void *env, cm_instance *caller, const cm_val *args, size_t nargs,
                             cm_val *result, wasm_error *err) {
  echo_env *h = env;
  h->calls++;
  if (nargs != 1 || !h->expect || !cm_val_equal(&args[0], h->expect)) h->mismatches++;
  if (nargs != 1 || !v_clone(&args[0], result)) {
    err->status = WASM_TRAP;
    snprintf(err->message, sizeof err->message, "host-echo: bad arguments or out of memory");
    return WASM_TRAP;
  }
  return WASM_OK;
}


static void run_case(wasm_engine *e, const tcase *tc) {
  static char wat[8192];
  char wit[1024];
  wasm_error err = {0};
  CHECK(make_wat(tc, wat, sizeof wat));
  cm_component *c = unit_cm_compile(e, wat, &err);
  if (!c) fprintf(stderr, "%s: compile: %s\n%s", tc->name, err.message, wat);
  CHECK(c != NULL);
  if (!c) return;
  echo_env h = {0};
  wasm_store *s = wasm_store_new(e);
  cm_linker *l = cm_linker_new(e);
  cm_instance *inst = NULL;
  wasm_status st;
  if (is_named(tc)) {
    snprintf(wit, sizeof wit, "interface named {\n  %s\n  host-echo: func(x: t) -> t;\n}\n",
             tc->wit);
    cm_host_entry entry = {"host-echo", host_echo, NULL, &h};
    st = cm_linker_define_interface(l, IFACE, wit, &entry, 1, &err);
  } else {
    snprintf(wit, sizeof wit, "func(x: %s) -> %s", tc->wit, tc->wit);
    st = cm_linker_define_func(l, NULL, "host-echo", wit, host_echo, &h, &err);
  }
  if (st == WASM_OK) st = cm_linker_instantiate(l, s, c, &inst, &err);
  if (st != WASM_OK) fprintf(stderr, "%s: instantiate: %s\n", tc->name, err.message);
  CHECK(st == WASM_OK);
  cm_func *f = st == WASM_OK ? cm_instance_func(inst, "echo") : NULL;
  CHECK(st != WASM_OK || f != NULL);
  cm_val samples[MAXS];
  size_t ns = tc->samples(samples);
  for (size_t i = 0; i < ns; i++) {
    if (!f) break;
    cm_val res;
    memset(&res, 0, sizeof res);
    h.expect = &samples[i];
    int calls = h.calls, mism = h.mismatches;
    st = cm_func_call(f, &samples[i], 1, &res, &err);
    bool ok = st == WASM_OK && h.calls == calls + 1 && h.mismatches == mism &&
              cm_val_equal(&res, &samples[i]);
    if (!ok)
      fprintf(stderr, "%s sample %zu: status %d (%s), host saw %s, result %s\n", tc->name, i, st,
              st ? err.message : "", h.mismatches == mism ? "ok" : "a different value",
              st == WASM_OK && cm_val_equal(&res, &samples[i]) ? "equal" : "different");
    CHECK(ok);
    if (st == WASM_OK) cm_val_free(&res);
  }
  for (size_t i = 0; i < ns; i++) cm_val_free(&samples[i]);
  if (inst) cm_instance_delete(inst);
  cm_linker_delete(l);
  wasm_store_delete(s);
  cm_component_delete(c);
}

/* ---- own and borrow of a component-defined resource ----
 * Resource handles cannot go through the host-echo template (an import
 * cannot name a resource its own component defines; host-defined
 * resources in imports are covered by test_cm_host.c), so the host calls
 * exports that make, borrow, pass through and consume the component's
 * resource. */
static const char *RES_WAT =
    "(component\n"
    "  (type $r (resource (rep i32)))\n"
    "  (core func $new (canon resource.new $r))\n"
    "  (core func $rep (canon resource.rep $r))\n"
    "  (core func $drop (canon resource.drop $r))\n"
    "  (core module $M\n"
    "    (import \"\" \"new\" (func $new (param i32) (result i32)))\n"
    "    (import \"\" \"rep\" (func $rep (param i32) (result i32)))\n"
    "    (import \"\" \"drop\" (func $drop (param i32)))\n"
    "    (func (export \"make\") (param i32) (result i32) (call $new (local.get 0)))\n"
    /* a borrow of the callee's own resource arrives as its rep */
    "    (func (export \"peek\") (param i32) (result i32) (local.get 0))\n"
    "    (func (export \"take\") (param i32) (result i32) (local $v i32)\n"
    "      (local.set $v (call $rep (local.get 0)))\n"
    "      (call $drop (local.get 0))\n"
    "      (local.get $v))\n"
    "    (func (export \"echo\") (param i32) (result i32) (local.get 0)))\n"
    "  (core instance $m (instantiate $M (with \"\" (instance\n"
    "    (export \"new\" (func $new)) (export \"rep\" (func $rep)) (export \"drop\" (func $drop))))))\n"
    "  (export $re \"r\" (type $r))\n"
    "  (func (export \"make\") (param \"x\" u32) (result (own $re)) (canon lift (core func $m \"make\")))\n"
    "  (func (export \"peek\") (param \"x\" (borrow $re)) (result u32) (canon lift (core func $m \"peek\")))\n"
    "  (func (export \"take\") (param \"x\" (own $re)) (result u32) (canon lift (core func $m \"take\")))\n"
    "  (func (export \"echo\") (param \"x\" (own $re)) (result (own $re)) (canon lift (core func $m \"echo\")))\n"
    ")\n";

/* Calls export name of inst with one argument; the status, *out filled. */
static wasm_status call1(cm_instance *inst, const char *name, const cm_val *arg, cm_val *out,
                         wasm_error *err) {
  cm_func *f = cm_instance_func(inst, name);
  memset(out, 0, sizeof *out);
  return f ? cm_func_call(f, arg, 1, out, err) : WASM_BAD_ARG;
}

static void test_resource(wasm_engine *e) {
  wasm_error err = {0};
  cm_component *c = unit_cm_compile(e, RES_WAT, &err);
  if (!c) fprintf(stderr, "resource: compile: %s\n", err.message);
  CHECK(c != NULL);
  if (!c) return;
  wasm_store *s = wasm_store_new(e);
  cm_linker *l = cm_linker_new(e);
  cm_instance *inst = NULL;
  wasm_status st = cm_linker_instantiate(l, s, c, &inst, &err);
  CHECK(st == WASM_OK);
  if (st == WASM_OK) {
    cm_val x = v_num(CM_U32, 77), a, b, r;
    /* own out of an export */
    st = call1(inst, "make", &x, &a, &err);
    CHECK(st == WASM_OK && a.kind == CM_OWN);
    /* borrow into an export: the rep comes back */
    cm_val bor = a;
    bor.kind = CM_BORROW;
    st = call1(inst, "peek", &bor, &r, &err);
    if (st) fprintf(stderr, "resource peek: %s\n", err.message);
    CHECK(st == WASM_OK && r.kind == CM_U32 && r.of.u == 77);
    /* own in and out again: the new handle names the same resource */
    st = call1(inst, "echo", &a, &b, &err);
    CHECK(st == WASM_OK && b.kind == CM_OWN);
    bor = b;
    bor.kind = CM_BORROW;
    st = call1(inst, "peek", &bor, &r, &err);
    CHECK(st == WASM_OK && r.of.u == 77);
    /* a second resource gets its own handle and rep */
    cm_val y = v_num(CM_U32, 88), d;
    st = call1(inst, "make", &y, &d, &err);
    CHECK(st == WASM_OK && d.kind == CM_OWN && d.of.handle != b.of.handle);
    bor = d;
    bor.kind = CM_BORROW;
    st = call1(inst, "peek", &bor, &r, &err);
    CHECK(st == WASM_OK && r.of.u == 88);
    /* own into an export that drops it */
    st = call1(inst, "take", &b, &r, &err);
    CHECK(st == WASM_OK && r.of.u == 77);
    st = call1(inst, "take", &d, &r, &err);
    CHECK(st == WASM_OK && r.of.u == 88);
    /* a handle given away is gone (this traps, which leaves the instance
     * unusable, so it comes last) */
    bor = b;
    bor.kind = CM_BORROW;
    st = call1(inst, "peek", &bor, &r, &err);
    CHECK(st != WASM_OK);
    cm_instance_delete(inst);
  }
  cm_linker_delete(l);
  wasm_store_delete(s);
  cm_component_delete(c);
}

int main(void) {
  wasm_engine *e = wasm_engine_new(NULL);
  for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) run_case(e, &CASES[i]);
  test_resource(e);
  wasm_engine_delete(e);
  return unit_report();
}
