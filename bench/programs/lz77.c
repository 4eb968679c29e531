/* lz77.c: an LZ77 compressor (hash chains over a 32 KiB window) and its
 * decompressor, round-tripping generated text-like data. */
#include "../bench.h"

const char bench_name[] = "lz77";

#ifndef LZ_BYTES
#define LZ_BYTES (4u << 20)
#endif
#ifndef LZ_ROUNDS
#define LZ_ROUNDS 3
#endif

#define WINDOW (1u << 15)
#define HASH_BITS 15
#define MIN_MATCH 3
#define MAX_MATCH 258
#define MAX_CHAIN 48

/* Output format: a sequence of (varint literal count, literals,
 * varint match length - MIN_MATCH + 1 or 0 at the end, varint distance). */
typedef struct buf { uint8_t *p; size_t len, cap; } buf;

static void put(buf *b, uint8_t c) {
  if (b->len == b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 4096;
    uint8_t *np = bench_alloc(cap);
    bench_memcpy(np, b->p, b->len);
    bench_free(b->p);
    b->p = np;
    b->cap = cap;
  }
  b->p[b->len++] = c;
}

static void put_varint(buf *b, uint32_t v) {
  while (v >= 0x80) {
    put(b, (uint8_t)(v | 0x80));
    v >>= 7;
  }
  put(b, (uint8_t)v);
}

static uint32_t get_varint(const uint8_t **pp, const uint8_t *end) {
  uint32_t v = 0;
  for (int shift = 0; *pp < end && shift < 35; shift += 7) {
    uint8_t c = *(*pp)++;
    v |= (uint32_t)(c & 0x7f) << shift;
    if (!(c & 0x80)) break;
  }
  return v;
}

static inline uint32_t hash3(const uint8_t *p) {
  uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
  return (v * 2654435761u) >> (32 - HASH_BITS);
}

static void compress(const uint8_t *in, size_t n, buf *out) {
  int32_t *head = bench_alloc(sizeof(int32_t) << HASH_BITS);
  int32_t *prev = bench_alloc(sizeof(int32_t) * WINDOW);
  for (size_t i = 0; i < (1u << HASH_BITS); i++) head[i] = -1;
  size_t lit_start = 0, i = 0;
  while (i < n) {
    size_t best_len = 0, best_dist = 0;
    if (i + MIN_MATCH <= n) {
      uint32_t hv = hash3(in + i);
      int32_t cand = head[hv];
      size_t limit = n - i < MAX_MATCH ? n - i : MAX_MATCH;
      for (int chain = 0; cand >= 0 && chain < MAX_CHAIN; chain++) {
        size_t dist = i - (size_t)cand;
        if (dist > WINDOW - 1) break;
        if (in[cand + best_len] == in[i + best_len]) {
          size_t len = 0;
          while (len < limit && in[cand + len] == in[i + len]) len++;
          if (len > best_len) {
            best_len = len;
            best_dist = dist;
            if (len == limit) break;
          }
        }
        cand = prev[cand & (WINDOW - 1)];
      }
      prev[i & (WINDOW - 1)] = head[hv];
      head[hv] = (int32_t)i;
    }
    if (best_len >= MIN_MATCH) {
      put_varint(out, (uint32_t)(i - lit_start));
      for (size_t k = lit_start; k < i; k++) put(out, in[k]);
      put_varint(out, (uint32_t)(best_len - MIN_MATCH + 1));
      put_varint(out, (uint32_t)best_dist);
      /* Index the positions inside the match too (cheap, better ratio). */
      for (size_t k = i + 1; k < i + best_len && k + MIN_MATCH <= n; k++) {
        uint32_t hv = hash3(in + k);
        prev[k & (WINDOW - 1)] = head[hv];
        head[hv] = (int32_t)k;
      }
      i += best_len;
      lit_start = i;
    } else {
      i++;
    }
  }
  put_varint(out, (uint32_t)(n - lit_start));
  for (size_t k = lit_start; k < n; k++) put(out, in[k]);
  put_varint(out, 0);
  bench_free(head);
  bench_free(prev);
}

/* Returns the decompressed length, or (size_t)-1 if the stream is bad. */
static size_t decompress(const uint8_t *p, size_t n, uint8_t *out, size_t cap) {
  const uint8_t *end = p + n;
  size_t o = 0;
  while (p < end) {
    uint32_t lits = get_varint(&p, end);
    if (lits > (size_t)(end - p) || lits > cap - o) return (size_t)-1;
    for (uint32_t k = 0; k < lits; k++) out[o++] = *p++;
    uint32_t m = get_varint(&p, end);
    if (m == 0) break;
    size_t len = m + MIN_MATCH - 1;
    uint32_t dist = get_varint(&p, end);
    if (dist == 0 || dist > o || len > cap - o) return (size_t)-1;
    for (size_t k = 0; k < len; k++, o++) out[o] = out[o - dist];
  }
  return o;
}

/* Text-like input: words from a small vocabulary with some noise. */
static void generate(uint8_t *p, size_t n, uint64_t seed) {
  static const char *words[] = {
    "the ", "quick ", "brown ", "fox ", "jumps ", "over ", "lazy ", "dog ",
    "stratus ", "cloud ", "module ", "memory ", "table ", "global ", "func ",
    "import ", "export ", "value ", "stack ", "frame ", "\n", ", ", ". ",
    "interpreter ", "compile ", "validate ", "decode ", "instance ",
  };
  const size_t nwords = sizeof words / sizeof *words;
  bench_rng r = {seed};
  size_t i = 0;
  while (i < n) {
    uint64_t v = bench_rand(&r);
    if (v % 16 == 0) {
      p[i++] = (uint8_t)(v >> 32);
      continue;
    }
    for (const char *w = words[(v >> 8) % nwords]; *w && i < n; w++) p[i++] = (uint8_t)*w;
  }
}

uint64_t bench_run(void) {
  uint8_t *in = bench_alloc(LZ_BYTES);
  uint8_t *back = bench_alloc(LZ_BYTES);
  uint64_t h = BENCH_HASH_INIT;
  for (int round = 0; round < LZ_ROUNDS; round++) {
    generate(in, LZ_BYTES, 99 + (uint64_t)round);
    buf c = {0};
    compress(in, LZ_BYTES, &c);
    size_t n = decompress(c.p, c.len, back, LZ_BYTES);
    int ok = n == LZ_BYTES && bench_memcmp(in, back, LZ_BYTES) == 0;
    uint64_t ch = BENCH_HASH_INIT;
    for (size_t i = 0; i < c.len; i++) ch = (ch ^ c.p[i]) * 0x100000001b3ULL;
    h = bench_mix(bench_mix(bench_mix(h, c.len), ch), (uint64_t)ok);
    bench_free(c.p);
  }
  bench_free(in);
  bench_free(back);
  return h;
}
