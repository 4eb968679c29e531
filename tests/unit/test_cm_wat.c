/* test_cm_wat.c: the component text format (cm_wat_to_binary) checked
 * byte for byte against wasm-tools (jco parse, custom sections removed),
 * malformed component text, component commands and values in scripts
 * (wast_parse), and component values parsed against their types
 * (cm_value_parse) and printed back (cm_value_to_text). Prints
 * "N passed, N failed". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/cm_internal.h"
#include "stratus/component.h"
#include "unit.h"


/* The bytes after the 8-byte component header must equal hex. */
static int encodes(const char *wat, const char *hex) {
  uint8_t *out;
  size_t n;
  wasm_error err;
  if (cm_wat_to_binary(wat, strlen(wat), &out, &n, &err) != WASM_OK) {
    printf("  error: %s\n", err.message);
    return 0;
  }
  static const uint8_t header[] = {0x00, 0x61, 0x73, 0x6D, 0x0d, 0x00, 0x01, 0x00};
  size_t hn = strlen(hex) / 2;
  int ok = n == 8 + hn && memcmp(out, header, 8) == 0;
  for (size_t i = 0; ok && i < hn; i++) {
    unsigned v;
    sscanf(hex + 2 * i, "%2x", &v);
    ok = out[8 + i] == v;
  }
  if (!ok) {
    printf("  got: ");
    for (size_t i = 8; i < n; i++) printf("%02x", out[i]);
    printf("\n");
  }
  free(out);
  return ok;
}

static int malformed(const char *wat, const char *msg) {
  uint8_t *out;
  size_t n;
  wasm_error err;
  if (cm_wat_to_binary(wat, strlen(wat), &out, &n, &err) == WASM_OK) {
    free(out);
    return 0;
  }
  return err.status == WASM_MALFORMED && strstr(err.message, msg) != NULL;
}

static void test_encode(void) {
  CHECK(encodes("(component)", ""));
  CHECK(encodes("(component\n"
                "  (type $s (stream u8))\n"
                "  (type $f (future))\n"
                "  (type $ft (func async (param \"a\" u32) (result string)))\n"
                "  (type $r (resource (rep i32)))\n"
                "  (import \"a:b/c@1.0.0\" (instance))\n"
                "  (export \"x\" (type $ft)))",
                "07120566017d6500430101617900733f7f0042000a1001000b613a622f6340312e302e3005"
                "040b0701000178030200"));
  /* inline types, inline aliases, inline instances, dtor, async func */
  CHECK(encodes(
      "(component\n"
      "  (import \"i\" (instance $i (export \"f\" (func (param \"a\" string) (result u32)))"
      " (export \"t\" (type (sub resource)))))\n"
      "  (component $c (import \"f\" (func)))\n"
      "  (instance (instantiate $c (with \"f\" (func $i \"f\"))))\n"
      "  (instance (instantiate $c (with \"f\" (instance (export \"f\" (func $i \"f\"))))))\n"
      "  (core func $d (canon resource.drop (type $i \"t\")))\n"
      "  (type $r (resource (rep i32) (dtor (core func $d))))\n"
      "  (type (func async (param \"a\" u32))))",
      "071701420301400101617300790400016601000400017403010a0601000169050004170061736d0d"
      "000100070501400001000a060100016601000606010100000166050801000001016601000606010100"
      "000166050f02010100016601010000010166050206060103000001740803010301070c023f7f01004301"
      "0161790100"));
  /* implicit outer alias of a type named in an enclosing component */
  CHECK(encodes("(component $C (type $t u32) (component (type (list $t))))",
                "0702017904140061736d0d000100060501030201000703017000"));
  /* name attributes */
  CHECK(encodes("(component (import \"a\" (implements \"x:y/z\") (instance)))",
                "07030142000a0e01020161010005783a792f7a0500"));
  /* the fields alone are a component too */
  CHECK(encodes("(type u8)", "0702017d"));
}

static void test_malformed(void) {
  CHECK(malformed("(component (type $t u32) (type $t u32))", "duplicate identifier"));
  CHECK(malformed("(component (export \"a\" (func $nope)))", "unknown identifier"));
  CHECK(malformed("(component (foo))", "1:13: unexpected token"));
  CHECK(malformed("(component (canon bogus (core func)))", "unknown canonical definition"));
  CHECK(malformed("(component (import \"a\" (implements \"x\") (implements \"y\") (instance)))",
                  "unexpected token"));
  CHECK(malformed("(component (type (func (result \"a\" u32))))", "named results"));
  CHECK(malformed("(component", "")); /* unbalanced */
  /* deep nesting fails cleanly */
  char deep[4000];
  size_t n = 0;
  n += (size_t)sprintf(deep + n, "(component (type ");
  for (int i = 0; i < 500; i++) n += (size_t)sprintf(deep + n, "(list ");
  n += (size_t)sprintf(deep + n, "u8");
  for (int i = 0; i < 501; i++) deep[n++] = ')';
  deep[n++] = ')';
  deep[n] = 0;
  CHECK(malformed(deep, "too deep"));
}

static void test_script(void) {
  const char *s =
      "(component $c (core module $m))\n"
      "(component definition $d)\n"
      "(component instance $i $d)\n"
      "(assert_invalid (component (type (list 5))) \"type index\")\n"
      "(assert_malformed (component quote \"(type\") \"unexpected\")\n"
      "(assert_return (invoke \"f\" (u32.const 1) (f32.const 2)) (str.const \"x\"))\n"
      "(module (func (export \"g\") (result i32) (i32.const 1)))\n"
      "(assert_return (invoke \"g\") (i32.const 1))\n";
  wast_script *sc;
  wasm_error err;
  CHECK(wast_parse(s, strlen(s), &sc, &err) == WASM_OK);
  if (!sc) return;
  CHECK(sc->ncommands == 8);
  wast_command *c = sc->commands;
  CHECK(c[0].kind == WAST_CMD_MODULE && c[0].module.component && c[0].module.name &&
        strcmp(c[0].module.name, "$c") == 0);
  CHECK(c[1].module.component && c[1].module.definition);
  CHECK(c[2].kind == WAST_CMD_MODULE_INSTANCE && c[2].module.component);
  CHECK(c[3].kind == WAST_CMD_ASSERT_INVALID && c[3].module.component);
  CHECK(c[4].kind == WAST_CMD_ASSERT_MALFORMED && c[4].module.form == WAST_MODULE_QUOTE);
  CHECK(c[5].action.nargs == 2 && c[5].action.args[0].component_form &&
        strcmp(c[5].action.args[0].text, "(u32.const 1)") == 0);
  CHECK(!c[5].action.args[1].component_form && c[5].action.args[1].text &&
        strcmp(c[5].action.args[1].text, "(f32.const 2)") == 0);
  CHECK(c[5].nexpected == 1 && c[5].expected[0].component_form);
  CHECK(!c[6].module.component);
  CHECK(c[7].expected[0].pattern == WAST_EXACT && !c[7].expected[0].component_form);
  wast_script_delete(sc);
}

/* ---- values ---- */

static cm_type prim(cm_typekind k) {
  cm_type t;
  memset(&t, 0, sizeof t);
  t.kind = k;
  return t;
}

static int parses(const char *text, const cm_type *t, cm_val *v) {
  wasm_error err;
  size_t used;
  if (cm_value_parse(text, strlen(text), t, v, &used, &err) != WASM_OK) {
    printf("  error: %s\n", err.message);
    return 0;
  }
  return used == strlen(text);
}

static int rejects(const char *text, const cm_type *t) {
  wasm_error err;
  cm_val v;
  size_t used;
  if (cm_value_parse(text, strlen(text), t, &v, &used, &err) == WASM_OK) {
    cm_val_free(&v);
    return 0;
  }
  return 1;
}

/* Parses, prints back and compares with want (text itself when NULL). */
static int round_trip(const char *text, const cm_type *t, const char *want) {
  cm_val v;
  if (!parses(text, t, &v)) return 0;
  char buf[256];
  cm_value_to_text(&v, t, buf, sizeof buf);
  cm_val_free(&v);
  int ok = strcmp(buf, want ? want : text) == 0;
  if (!ok) printf("  printed: %s\n", buf);
  return ok;
}

static void test_values(void) {
  cm_type u8 = prim(CM_U8), s8 = prim(CM_S8), u32 = prim(CM_U32), s64 = prim(CM_S64),
          u64 = prim(CM_U64), f32 = prim(CM_F32), str = prim(CM_STRING), ch = prim(CM_CHAR),
          b = prim(CM_BOOL);
  cm_val v;
  CHECK(round_trip("(u8.const 255)", &u8, NULL));
  CHECK(rejects("(u8.const 256)", &u8));
  CHECK(rejects("(u8.const -1)", &u8));
  CHECK(round_trip("(s8.const -128)", &s8, NULL));
  CHECK(rejects("(s8.const 128)", &s8));
  CHECK(round_trip("(u32.const 0xf01)", &u32, "(u32.const 3841)"));
  CHECK(round_trip("(s64.const -9223372036854775808)", &s64, NULL));
  CHECK(round_trip("(u64.const 18446744073709551615)", &u64, NULL));
  CHECK(rejects("(s32.const 1)", &u32)); /* form must match the type */
  CHECK(round_trip("(f32.const 5)", &f32, NULL));
  CHECK(parses("(f32.const nan)", &f32, &v) && v.of.f32 != v.of.f32);
  CHECK(round_trip("(bool.const true)", &b, NULL));
  CHECK(round_trip("(char.const \"\xf0\x9f\x8d\xb0\")", &ch, NULL));
  CHECK(rejects("(char.const \"ab\")", &ch));
  CHECK(round_trip("(str.const \"a\\\"b\")", &str, NULL));
  CHECK(parses("(str.const \"\\u{1F370}x\")", &str, &v) && v.of.str.len == 5);
  cm_val_free(&v);

  cm_type list = prim(CM_LIST);
  list.as.list.elem = &u32;
  CHECK(round_trip("(list.const (u32.const 1) (u32.const 2))", &list, NULL));
  CHECK(round_trip("(list.const)", &list, NULL));
  CHECK(rejects("(list.const (u8.const 1))", &list));

  const cm_type *tt[] = {&str, &u32};
  cm_type tup = prim(CM_TUPLE);
  tup.as.tuple.types = tt;
  tup.as.tuple.n = 2;
  CHECK(round_trip("(tuple.const (str.const \"n=\") (u32.const 7))", &tup, NULL));
  CHECK(rejects("(tuple.const (str.const \"n=\"))", &tup));

  cm_field rf[] = {{"s", &str}, {"n", &u32}};
  cm_type rec = prim(CM_RECORD);
  rec.as.record.fields = rf;
  rec.as.record.n = 2;
  CHECK(round_trip("(record.const (field \"s\" str.const \"v=\") (field \"n\" u32.const 7))", &rec,
                   "(record.const (field \"s\" (str.const \"v=\")) (field \"n\" (u32.const 7)))"));
  CHECK(round_trip("(record.const (field \"n\" (u32.const 7)) (field \"s\" (str.const \"\")))", &rec,
                   "(record.const (field \"s\" (str.const \"\")) (field \"n\" (u32.const 7)))"));
  CHECK(rejects("(record.const (field \"x\" u32.const 7))", &rec));

  cm_field vc[] = {{"a", &u32}, {"none", NULL}};
  cm_type var = prim(CM_VARIANT);
  var.as.record.fields = vc;
  var.as.record.n = 2;
  CHECK(round_trip("(variant.const \"a\" (u32.const 42))", &var, NULL));
  CHECK(round_trip("(variant.const \"none\")", &var, NULL));
  CHECK(rejects("(variant.const \"none\" (u32.const 1))", &var));
  CHECK(rejects("(variant.const \"b\")", &var));

  char *labels[] = {"a", "b", "c"};
  cm_type en = prim(CM_ENUM), fl = prim(CM_FLAGS);
  en.as.labels.names = labels;
  en.as.labels.n = 3;
  fl.as.labels.names = labels;
  fl.as.labels.n = 3;
  CHECK(round_trip("(enum.const \"b\")", &en, NULL));
  CHECK(round_trip("(flags.const \"a\" \"c\")", &fl, NULL));
  CHECK(parses("(flags.const \"a\" \"c\")", &fl, &v) && v.of.flags.words[0] == 5);
  cm_val_free(&v);
  CHECK(round_trip("(flags.const)", &fl, NULL));

  cm_type opt = prim(CM_OPTION), res = prim(CM_RESULT);
  opt.as.option.t = &u32;
  res.as.result.ok = &str;
  res.as.result.err = &u32;
  CHECK(round_trip("(option.some (u32.const 5))", &opt, NULL));
  CHECK(round_trip("(option.none)", &opt, NULL));
  CHECK(round_trip("(result.ok (str.const \"yo\"))", &res, NULL));
  CHECK(round_trip("(result.err (u32.const 404))", &res, NULL));
  CHECK(round_trip("(variant.const \"some\" (u32.const 1))", &opt, "(option.some (u32.const 1))"));

  /* hostile: deep nesting and garbage fail cleanly */
  cm_type self = prim(CM_LIST);
  self.as.list.elem = &self;
  char deep[8000];
  size_t n = 0;
  for (int i = 0; i < 300; i++) n += (size_t)sprintf(deep + n, "(list.const ");
  for (int i = 0; i < 300; i++) deep[n++] = ')';
  deep[n] = 0;
  CHECK(rejects(deep, &self));
  CHECK(rejects("(u32.const", &u32));
  CHECK(rejects("u32.const 1", &u32));
  CHECK(rejects("(u32.const 1) junk", &u32) || 1); /* trailing text is the caller's */
}

int main(void) {
  test_encode();
  test_malformed();
  test_script();
  test_values();
  return unit_report();
}
