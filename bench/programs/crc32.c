/* crc32.c: table-driven CRC-32 (IEEE, reflected) over a generated buffer. */
#include "../bench.h"

const char bench_name[] = "crc32";

#ifndef CRC_BYTES
#define CRC_BYTES (1u << 20)
#endif
#ifndef CRC_ROUNDS
#define CRC_ROUNDS 128
#endif

static uint32_t table[256];

static void make_table(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
}

static uint32_t crc32(uint32_t crc, const uint8_t *p, size_t n) {
  crc = ~crc;
  for (size_t i = 0; i < n; i++) crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

uint64_t bench_run(void) {
  make_table();
  uint64_t h = bench_mix(BENCH_HASH_INIT, crc32(0, (const uint8_t *)"123456789", 9));
  uint8_t *buf = bench_alloc(CRC_BYTES);
  bench_rng r = {7};
  for (size_t i = 0; i < CRC_BYTES; i++) buf[i] = (uint8_t)(bench_rand(&r) >> 56);
  uint32_t crc = 0;
  for (int round = 0; round < CRC_ROUNDS; round++) {
    crc = crc32(crc, buf, CRC_BYTES - (size_t)round);
    buf[round] ^= (uint8_t)crc;
  }
  bench_free(buf);
  return bench_mix(h, crc);
}
