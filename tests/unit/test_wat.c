/* test_wat.c: the text format (wasm_wat_to_binary) and spec scripts
 * (wast_parse): encodings checked byte for byte against wat2wasm's output,
 * literals at their range limits, and malformed text rejected. Prints
 * "N passed, N failed". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stratus/wasm.h"
#include "wasm/wat_lex.h"
#include "unit.h"


/* The bytes after the 8-byte header must equal hex (spaces ignored). */
static int encodes(const char *wat, const char *hex) {
  uint8_t *out;
  size_t n;
  wasm_error err;
  if (wasm_wat_to_binary(wat, strlen(wat), &out, &n, &err) != WASM_OK) {
    printf("  error: %s\n", err.message);
    return 0;
  }
  uint8_t want[512];
  size_t wn = 0;
  for (const char *p = hex; *p && wn < sizeof want;) {
    if (*p == ' ') { p++; continue; }
    unsigned v;
    if (sscanf(p, "%2x", &v) != 1) break;
    want[wn++] = (uint8_t)v;
    p += 2;
  }
  int ok = n == wn + 8 && memcmp(out + 8, want, wn) == 0;
  if (!ok) {
    printf("  got:");
    for (size_t i = 8; i < n; i++) printf(" %02x", out[i]);
    printf("\n");
  }
  free(out);
  return ok;
}

static int rejects(const char *wat) {
  uint8_t *out;
  size_t n;
  wasm_error err;
  wasm_status st = wasm_wat_to_binary(wat, strlen(wat), &out, &n, &err);
  if (st == WASM_OK) free(out);
  return st == WASM_MALFORMED;
}

static void test_encoding(void) {
  /* Implicit types follow the explicit ones and are shared. */
  CHECK(encodes("(module (type (func (param i32))) (func (result i32) i32.const 7) (func (param i32)))",
                "01 09 02 60 01 7f 00 60 00 01 7f 03 03 02 01 00 "
                "0a 09 02 04 00 41 07 0b 02 00 0b"));
  /* Forward references, labels, folded if. */
  CHECK(encodes("(func $a (call $b)) (func $b (block $l (br $l) (if (i32.const 0) (then (br 1)))))",
                "01 04 01 60 00 00 03 03 02 00 00 0a 15 02 04 00 10 01 0b "
                "0e 00 02 40 0c 00 41 00 04 40 0c 01 0b 0b 0b"));
  /* Element segments: ref.func items become the compact form, as wat2wasm. */
  CHECK(encodes("(table 1 funcref) (func) (elem (i32.const 0) funcref (ref.func 0))",
                "01 04 01 60 00 00 03 02 01 00 04 04 01 70 00 01 "
                "09 07 01 00 41 00 0b 01 00 0a 04 01 02 00 0b"));
  /* data.drop brings a datacount section. */
  CHECK(encodes("(memory 1) (data \"a\") (func (data.drop 0))",
                "01 04 01 60 00 00 03 02 01 00 05 03 01 00 01 0c 01 01 "
                "0a 07 01 05 00 fc 09 00 0b 0b 04 01 01 01 61"));
  /* Literals: hex float rounding, nan payloads, i32 wrap-around. */
  CHECK(encodes("(func (f32.const 0x1.fffffefffp0) drop (f32.const -nan:0x200000) drop "
                "(i32.const 0xffffffff) drop (i64.const -0x8000000000000000) drop)",
                "01 04 01 60 00 00 03 02 01 00 0a 1f 01 1d 00 43 ff ff ff 3f 1a "
                "43 00 00 a0 ff 1a 41 7f 1a 42 80 80 80 80 80 80 80 80 80 7f 1a 0b"));
  /* Memory argument defaults and explicit alignment. */
  CHECK(encodes("(memory 1) (func (drop (i64.load offset=8 align=2 (i32.const 0))))",
                "01 04 01 60 00 00 03 02 01 00 05 03 01 00 01 0a 0a 01 08 00 41 00 "
                "29 01 08 1a 0b"));
}

static void test_malformed(void) {
  CHECK(rejects("(func (i32.const 0x1_0000_0000) drop)"));
  CHECK(rejects("(func (f32.const 0x1p128) drop)"));
  CHECK(rejects("(func (f32.const nan:0x0) drop)"));
  CHECK(rejects("(func (br $nope))"));
  CHECK(rejects("(func block $a end $b)"));
  CHECK(rejects("(func $f) (func $f)"));
  CHECK(rejects("(func) (import \"m\" \"f\" (func))"));
  CHECK(rejects("(func) (start 0) (start 0)"));
  CHECK(rejects("(memory 1) (func (drop (i32.load align=3 (i32.const 0))))"));
  CHECK(rejects("(type $t (func)) (func (type $t) (param i32))"));
  CHECK(rejects("(func (i32.add0))"));
  CHECK(rejects("(data $l\"a\")"));
  CHECK(rejects("(func (nop)"));
  CHECK(rejects("(export \"\\ff\" (func 0)) (func)"));
  CHECK(rejects("(func (;unterminated"));
}

static void test_literals(void) {
  uint64_t v;
  uint32_t f;
  CHECK(wat_num_int("-0x8000_0000", 12, 32, &v) == 0 && (uint32_t)v == 0x80000000u);
  CHECK(wat_num_int("-0x8000_0001", 12, 32, &v) == -2);
  CHECK(wat_num_int("1__0", 4, 32, &v) == -1);
  CHECK(wat_num_f32("0x1p-149", 8, &f) == 0 && f == 1);
  CHECK(wat_num_f32("-inf", 4, &f) == 0 && f == 0xFF800000u);
  CHECK(wat_num_f64("1e308", 5, &v) == 0);
  CHECK(wat_num_f64("1e309", 5, &v) == -2);
  CHECK(wat_num_f64("1.", 2, &v) == 0 && v == 0x3FF0000000000000ull);
  CHECK(wat_num_f64(".5", 2, &v) == -1);
}

static void test_script(void) {
  const char *s =
      "(module $m (func (export \"f\") (param i32) (result f32) f32.const 0))\n"
      "(register \"reg\" $m)\n"
      "(assert_return (invoke $m \"f\" (i32.const -1)) (f32.const nan:canonical))\n"
      "(assert_return (invoke \"f\" (i32.const 1)) (either (ref.null func) (ref.extern 3)))\n"
      "(assert_malformed (module quote \"(func\" \")\") \"unexpected\")\n"
      "(assert_invalid (module binary \"\\00asm\" \"\\01\\00\\00\\00\") \"x\")\n"
      "(assert_return (invoke \"g\") (ref.i31))\n"
      "(thread $t (module))\n";
  wast_script *sc;
  wasm_error err;
  CHECK(wast_parse(s, strlen(s), &sc, &err) == WASM_OK);
  if (unit_failed) return;
  CHECK(sc->ncommands == 8);
  CHECK(sc->commands[0].kind == WAST_CMD_MODULE && !strcmp(sc->commands[0].module.name, "$m"));
  CHECK(sc->commands[1].kind == WAST_CMD_REGISTER && !strcmp(sc->commands[1].name, "reg"));
  const wast_command *c = &sc->commands[2];
  CHECK(c->line == 3 && !strcmp(c->action.module, "$m") && c->action.nargs == 1 &&
        c->action.args[0].val.of.i32 == -1 && c->expected[0].pattern == WAST_NAN_CANONICAL);
  c = &sc->commands[3];
  CHECK(c->neither == 2 && c->expected[1].pattern == WAST_REF_EXTERN &&
        c->expected[1].val.of.ref == (void *)4);
  c = &sc->commands[4];
  CHECK(c->module.form == WAST_MODULE_QUOTE && c->module.len == 6 && !strcmp(c->message, "unexpected"));
  c = &sc->commands[5];
  CHECK(c->module.form == WAST_MODULE_BINARY && c->module.len == 8);
  CHECK(sc->commands[6].expected[0].pattern == WAST_UNSUPPORTED);
  CHECK(sc->commands[7].kind == WAST_CMD_UNSUPPORTED);
  /* The text span of a module compiles on its own. */
  uint8_t *out;
  size_t n;
  wasm_status st = wasm_wat_to_binary((const char *)sc->commands[0].module.bytes,
                                      sc->commands[0].module.len, &out, &n, &err);
  CHECK(st == WASM_OK);
  if (st == WASM_OK) free(out);
  wast_script_delete(sc);
}

int main(void) {
  test_encoding();
  test_malformed();
  test_literals();
  test_script();
  return unit_report();
}
