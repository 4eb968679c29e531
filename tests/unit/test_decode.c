/* test_decode.c: the binary decoder, instruction reader and validator on
 * hand-made modules (statuses and the spec's messages), plus truncated
 * and bit-flipped variants that must fail cleanly. With arguments, also
 * decodes and validates each given .wasm file, which must be valid.
 * Prints "N passed, N failed". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm/wasm_module.h"
#include "wasm/wasm_opcodes.h"
#include "wasm/wasm_read.h"
#include "unit.h"


/* Hex digits (spaces ignored) to bytes; returns the length. */
static size_t unhex(const char *hex, uint8_t *out) {
  size_t n = 0;
  int half = -1;
  for (; *hex; hex++) {
    int v;
    if (*hex >= '0' && *hex <= '9') v = *hex - '0';
    else if (*hex >= 'a' && *hex <= 'f') v = *hex - 'a' + 10;
    else continue;
    if (half < 0) {
      half = v;
    } else {
      out[n++] = (uint8_t)(half << 4 | v);
      half = -1;
    }
  }
  return n;
}

/* Decodes and validates; the module's contents are freed unless keep. */
static wasm_status load(wasm_module *m, uint8_t *bytes, size_t len,
                        wasm_error *err, int keep) {
  memset(m, 0, sizeof *m);
  m->bytes = bytes;
  m->len = len;
  wasm_status s = wasm_decode(m, err);
  if (s == WASM_OK) s = wasm_validate(m, err);
  if (!keep) wasm_module_free_contents(m);
  return s;
}

#define HDR "0061736d 01000000 "

/* One module: the expected status and message prefix. */
static void expect(const char *hex, wasm_status want, const char *msg,
                   int line) {
  uint8_t buf[512];
  size_t n = unhex(hex, buf);
  wasm_module m;
  wasm_error err = {0};
  wasm_status s = load(&m, buf, n, &err, 0);
  int ok = s == want && (want == WASM_OK || strncmp(err.message, msg, strlen(msg)) == 0);
  if (!ok) printf("  got %d \"%s\", want %d \"%s\"\n", s, err.message, want, msg);
  unit_check(ok, hex, __FILE__, line);
}
#define OK_(hex) expect(HDR hex, WASM_OK, "", __LINE__)
#define MAL(hex, msg) expect(HDR hex, WASM_MALFORMED, msg, __LINE__)
#define INV(hex, msg) expect(HDR hex, WASM_INVALID, msg, __LINE__)

/* type () -> (), one function, then a code section with body B. */
#define FN(body) "01040160 0000 03020100 0a" body

static void test_header(void) {
  expect("", WASM_MALFORMED, "unexpected end", __LINE__);
  expect("0061736d", WASM_MALFORMED, "unexpected end", __LINE__);
  expect("0061736d 02000000", WASM_MALFORMED, "unknown binary version", __LINE__);
  expect("6d736100 01000000", WASM_MALFORMED, "magic header not detected", __LINE__);
  OK_("");
  MAL("0d0100", "malformed section id");
  MAL("0101 00 0101 00", "unexpected content after last section");
  MAL("0c0101 0c0101", "unexpected content after last section");
  MAL("010a", "length out of bounds");
  MAL("0102 0160", "unexpected end");
  MAL("0105 01600000 00", "section size mismatch");
}

static void test_leb(void) {
  uint8_t b[16];
  wasm_error err = {0};
  uint32_t u = 0;
  int32_t i = 0;
  int64_t l = 0;
  size_t n = unhex("ffffffff0f", b);
  wasm_reader r = {b, b, b + n};
  CHECK(wasm_rd_u32(&r, &u, &err) == WASM_OK && u == 0xffffffffu);
  n = unhex("ffffffff1f", b);
  r = (wasm_reader){b, b, b + n};
  CHECK(wasm_rd_u32(&r, &u, &err) == WASM_MALFORMED &&
        !strcmp(err.message, "integer too large"));
  n = unhex("8080808080 00", b);
  r = (wasm_reader){b, b, b + n};
  CHECK(wasm_rd_u32(&r, &u, &err) == WASM_MALFORMED &&
        !strcmp(err.message, "integer representation too long"));
  n = unhex("ffffffff7f", b);
  r = (wasm_reader){b, b, b + n};
  CHECK(wasm_rd_s32(&r, &i, &err) == WASM_OK && i == -1);
  n = unhex("ffffffff4f", b);
  r = (wasm_reader){b, b, b + n};
  CHECK(wasm_rd_s32(&r, &i, &err) == WASM_MALFORMED);
  n = unhex("8080808080808080807f", b);
  r = (wasm_reader){b, b, b + n};
  CHECK(wasm_rd_s64(&r, &l, &err) == WASM_OK && l == INT64_MIN);
  n = unhex("80808080808080808001", b);
  r = (wasm_reader){b, b, b + n};
  CHECK(wasm_rd_s64(&r, &l, &err) == WASM_MALFORMED);
  n = unhex("ff ff ff ff 0f", b); /* s33: 2^32 - 1 */
  r = (wasm_reader){b, b, b + n};
  CHECK(wasm_rd_s33(&r, &l, &err) == WASM_OK && l == 0xffffffffll);
  n = unhex("80", b);
  r = (wasm_reader){b, b, b + n};
  CHECK(wasm_rd_u32(&r, &u, &err) == WASM_MALFORMED &&
        !strncmp(err.message, "unexpected end", 14));
}

static void test_instr(void) {
  uint8_t b[64];
  wasm_error err = {0};
  wasm_instr in;
  size_t n = unhex("02 40  02 7f  02 05  28 02 10  1c 01 7e  fd 0c "
                   "000102030405060708090a0b0c0d0e0f  0e 02 00 01 02  fc 0a 00 00",
                   b);
  wasm_reader r = {b, b, b + n};
  CHECK(wasm_read_instr(&r, &in, &err) == WASM_OK && in.op == WASM_OP_BLOCK &&
        in.imm.block.type == -64 && wasm_blocktype_byte(in.imm.block.type) == 0x40);
  CHECK(wasm_read_instr(&r, &in, &err) == WASM_OK &&
        wasm_blocktype_byte(in.imm.block.type) == WASM_I32);
  CHECK(wasm_read_instr(&r, &in, &err) == WASM_OK && in.imm.block.type == 5);
  CHECK(wasm_read_instr(&r, &in, &err) == WASM_OK && in.op == WASM_OP_I32_LOAD &&
        in.imm.mem.align == 2 && in.imm.mem.offset == 16);
  CHECK(wasm_read_instr(&r, &in, &err) == WASM_OK && in.op == WASM_OP_SELECT_T &&
        in.imm.select_t.count == 1 && in.imm.select_t.types[0] == WASM_I64);
  CHECK(wasm_read_instr(&r, &in, &err) == WASM_OK && in.op == WASM_OP_V128_CONST &&
        in.imm.v128[15] == 15);
  CHECK(wasm_read_instr(&r, &in, &err) == WASM_OK && in.op == WASM_OP_BR_TABLE &&
        in.imm.br_table.count == 2);
  CHECK(wasm_read_instr(&r, &in, &err) == WASM_OK && in.op == WASM_OP_MEMORY_COPY);
  CHECK(r.p == r.end);
  n = unhex("fc 40", b);
  r = (wasm_reader){b, b, b + n};
  CHECK(wasm_read_instr(&r, &in, &err) == WASM_MALFORMED &&
        !strcmp(err.message, "illegal opcode"));
  /* The reader takes any memory index (multi-memory); WebAssembly 2.0
   * wants a zero byte, which the decoder checks when the feature is off. */
  n = unhex("3f 01", b);
  r = (wasm_reader){b, b, b + n};
  CHECK(wasm_read_instr(&r, &in, &err) == WASM_OK && in.imm.index == 1);
  CHECK(wasm_check_memimm_v2(&r, &in, &err) == WASM_MALFORMED &&
        !strcmp(err.message, "zero byte expected"));
}

static void test_sections(void) {
  OK_(FN("040102000b"));
  MAL("01040160000003020100", "function and code section have inconsistent lengths");
  MAL(FN("0601040041011a"), "unexpected end");
  MAL(FN("0801060041011a0b0b"), "section size mismatch");
  MAL(FN("0701050041010f05"), "END opcode expected");
  MAL("010401600000030201000a0c010a02ffffffff0f7f017e0b", "too many locals");
  MAL("0204010000 04", "malformed import kind");
  MAL("0403017002", "integer too large");
  MAL("060601 7f02 41000b", "malformed mutability");
  MAL("0503020080", "unexpected end");
  MAL("0c0101", "data count and data section have inconsistent lengths");
  MAL("01040160000003020100 05030100 00 0a07010500fc09000b",
      "data count section required");
  MAL("0003 02c0af", "malformed UTF-8 encoding");
  /* A broken name section is ignored. */
  OK_("0007 046e616d65 01ff");
  /* Element segments in all eight encodings, data in all three. */
  OK_("010401600000030201000404017000010935080041000b010001000100020041000b000100030001000441000b01d2000b057001d0700b060041000b7001d2000b077001d2000b0a040102000b");
  OK_("05030100010b11030041000b0161010162020041000b0163");
}

static void test_validate(void) {
  INV(FN("0601040041000b"), "type mismatch");          /* [] -> [] leaves i32 */
  INV("010401600000030201000a0701050020001a0b", "unknown local 0");
  INV("010401600000030201000a060104000c010b", "unknown label 1");
  INV("010401600000030201000a08010600410024000b", "unknown global 0");
  INV("010401600000030201000a0a01080041002802001a0b", "unknown memory 0");
  INV("050401010201", "size minimum must not be greater than maximum");
  INV("0506010100818004", "memory size must be at most 65536 pages");
  INV("0505020000 0000", "multiple memories");
  INV("060601 7f00 23000b", "unknown global 0");
  INV("0606017f00 42000b", "type mismatch");
  INV("0609017f00410041006a0b", "constant expression required");
  INV("010401600000030302000007090201610000016100010a070202000b02000b", "duplicate export name");
  INV("01080260017f0060000003020100 080100 0a040102000b", "start function");
  MAL("010401600000030201000a050103000b00", "section size mismatch");
  /* ref.func needs a declaration outside function bodies. */
  INV("010401600000030201000a07010500d2001a0b", "undeclared function reference");
  OK_("01040160000003020100070501016600000a07010500d2001a0b");
  /* Alignment and lanes. */
  INV("01040160000003020100 05030100 01 0a0a0108004100 280300 1a0b",
      "alignment must not be larger than natural");
  INV("010401600000030201000a1a011800fd0c00000000000000000000000000000000fd15101a0b", "invalid lane index");
  /* Unreachable code is polymorphic; br_table arity must agree. */
  OK_("0105016000017f030201000a06010400006a0b");
  INV("0105016000017f030201000a11010f000240410041000e0100010b41000b", "type mismatch");
  INV("010401600000030201000a0f010d004100410041001c027f7f1a0b", "invalid result arity");
}

/* Names from the name section, or the export name as a fallback. */
static void test_names(void) {
  uint8_t buf[256];
  size_t n = unhex(HDR "0104016000000303020000070501017800010a070202000b02000b000e046e616d6501070100046d61696e", buf);
  wasm_module m;
  wasm_error err = {0};
  CHECK(load(&m, buf, n, &err, 1) == WASM_OK);
  CHECK(m.nfuncs == 2 && m.funcs[0].name && !strcmp(m.funcs[0].name, "main"));
  CHECK(m.nfuncs == 2 && m.funcs[1].name && !strcmp(m.funcs[1].name, "x"));
  CHECK(m.func_declared && !m.func_declared[0] && m.func_declared[1]);
  CHECK(m.nfuncs == 2 && m.funcs[0].body_len == 1 && m.funcs[0].body[0] == 0x0b);
  wasm_module_free_contents(&m);
}

/* Every prefix and many bit flips of a valid module must fail (or pass)
 * without crashing; run under `make SAN=1 unit` to catch memory errors. */
static void mutate(const uint8_t *orig, size_t len) {
  uint8_t *b = malloc(len ? len : 1);
  wasm_module m;
  wasm_error err;
  for (size_t k = 0; k < len; k++) {
    memcpy(b, orig, k);
    load(&m, b, k, &err, 0);
  }
  unsigned seed = 12345;
  for (int it = 0; it < 2000 && len > 8; it++) {
    memcpy(b, orig, len);
    seed = seed * 1103515245u + 12345u;
    size_t pos = 8 + (seed >> 8) % (len - 8);
    b[pos] ^= (uint8_t)(1u << ((seed >> 4) & 7));
    load(&m, b, len, &err, 0);
  }
  free(b);
  unit_check(1, "bit-flipped modules load without a crash", __FILE__, __LINE__);
}

static void test_mutations(void) {
  uint8_t buf[256];
  size_t n = unhex(HDR
                   "01090260017f017f600000030302000104040170000205030100010606017f0141000b070a01066578706f727400000907010041000b01000c01010a18020e01017e2000047f41010541020b0b07004100fd0f1a0b0b0701010461626364",
                   buf);
  wasm_module m;
  wasm_error err = {0};
  wasm_status s = load(&m, buf, n, &err, 0);
  if (s != WASM_OK) printf("  seed module: %s\n", err.message);
  CHECK(s == WASM_OK);
  mutate(buf, n);
}

static void test_files(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb");
    if (!f) { unit_check(0, argv[i], __FILE__, __LINE__); continue; }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(len > 0 ? (size_t)len : 1);
    size_t n = fread(b, 1, (size_t)len, f);
    fclose(f);
    wasm_module m;
    wasm_error err = {0};
    wasm_status s = load(&m, b, n, &err, 0);
    if (s != WASM_OK) printf("  %s: %s\n", argv[i], err.message);
    unit_check(s == WASM_OK, argv[i], __FILE__, __LINE__);
    mutate(b, n);
    free(b);
  }
}

int main(int argc, char **argv) {
  wasm_opcodes_init();
  test_header();
  test_leb();
  test_instr();
  test_sections();
  test_validate();
  test_names();
  test_mutations();
  test_files(argc, argv);
  return unit_report();
}
