/*
 * fuzz_http.c: libFuzzer target for the HTTP/1.1 server's parsers
 * (src/http/http_parse.c): the input is fed to the request-head parser
 * and to the chunked-body decoder, each whole and in pieces whose size
 * the first byte picks. Both must agree with themselves: the same result
 * however the bytes arrive. Any crash, sanitizer report or disagreement
 * is a finding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_parse.h"

#define MAXH 32

/* Runs the head parser over data arriving step bytes at a time (in an
 * exact-size copy, so ASan sees any read past the end). */
static ssize_t head(const uint8_t *data, size_t size, size_t step, size_t max, int *status,
                    size_t *nheaders) {
  char *buf = malloc(size ? size : 1);
  http_header hdrs[MAXH];
  hp_head h;
  hp_head_init(&h, hdrs, MAXH);
  ssize_t r = 0;
  size_t have = 0;
  while (have < size && r == 0) {
    size_t n = size - have < step ? size - have : step;
    memcpy(buf + have, data + have, n);
    have += n;
    r = hp_head_parse(&h, buf, have, max);
  }
  *status = h.status;
  *nheaders = h.nheaders;
  if (r > 0) {
    /* what the request points at lies inside the head */
    if ((size_t)r > size || h.method < buf || h.target < buf || strlen(h.method) == 0 ||
        h.target + strlen(h.target) >= buf + r)
      abort();
    for (size_t i = 0; i < h.nheaders; i++)
      if (h.headers[i].value + h.headers[i].value_len >= buf + r ||
          h.headers[i].value[h.headers[i].value_len] != '\0')
        abort();
  } else if (r < 0 && !h.error) {
    abort();
  }
  free(buf);
  return r;
}

/* Decodes data as a chunked body step bytes at a time; returns the final
 * state and the count of data bytes. */
static int chunked(const uint8_t *data, size_t size, size_t step, uint64_t *out) {
  char *buf = malloc(size ? size : 1);
  memcpy(buf, data, size);
  char tbuf[256];
  hp_chunked d;
  hp_chunked_init(&d, tbuf, sizeof tbuf);
  size_t pos = 0, avail = 0;
  *out = 0;
  while (d.state != HP_CK_DONE && d.state != HP_CK_ERROR) {
    if (pos == avail) {
      if (avail == size) break;
      avail = avail + step > size ? size : avail + step;
    }
    pos += hp_chunked_scan(&d, buf + pos, avail - pos);
    if (pos > avail) abort();
    if (d.state == HP_CK_DATA && pos < avail) {
      size_t k = avail - pos;
      if (k > d.remaining) k = (size_t)d.remaining;
      *out += k;
      pos += k;
      hp_chunked_took(&d, k);
    }
  }
  if (d.state == HP_CK_DONE) {
    http_header tr[MAXH];
    size_t n;
    const char *why;
    hp_fields_parse(tbuf, d.tlen, tr, MAXH, &n, &why);
  }
  free(buf);
  return d.state;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  /* the first byte picks the piece size and the header-size limit */
  size_t step = 1 + data[0] % 17;
  size_t max = 64 + (size_t)(data[0] / 17) * 64;
  data++, size--;

  int s1, s2;
  size_t n1, n2;
  ssize_t r1 = head(data, size, size, max, &s1, &n1);
  ssize_t r2 = head(data, size, step, max, &s2, &n2);
  /* however the bytes arrive, the outcome is the same */
  if (r1 != r2 || (r1 > 0 && n1 != n2) || (r1 < 0 && s1 != s2)) abort();

  uint64_t o1, o2;
  int c1 = chunked(data, size, size, &o1);
  int c2 = chunked(data, size, step, &o2);
  if (c1 != c2 || o1 != o2) abort();
  return 0;
}
