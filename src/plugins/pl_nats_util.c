/* pl_nats_util.c: the helpers of the NATS backends (pl_nats_internal.h):
 * nats.c errors as messages, the connection check, JetStream contexts,
 * SHA-256 (FIPS 180-4) and base64url. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/pl_nats_internal.h"

/* ---- errors and connections ---- */

wasm_status pln_fail(wasm_error *err, natsStatus s, const char *fmt, ...) {
  char what[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  /* nats.c keeps the detail (e.g. the JetStream error) per thread */
  natsStatus ls = NATS_OK;
  const char *last = nats_GetLastError(&ls);
  wasm_status st = s == NATS_NO_MEMORY ? WASM_NOMEM : WASM_BAD_ARG;
  if (last && *last && ls == s && strcmp(last, natsStatus_GetText(s)) != 0)
    return pl_fail(err, st, "%s: %s (%.80s)", what, natsStatus_GetText(s), last);
  return pl_fail(err, st, "%s: %s", what, natsStatus_GetText(s));
}

static const char *conn_state(natsConnStatus cs) {
  switch (cs) {
  case NATS_CONN_STATUS_DISCONNECTED: return "disconnected";
  case NATS_CONN_STATUS_CONNECTING: return "connecting";
  case NATS_CONN_STATUS_CONNECTED: return "connected";
  case NATS_CONN_STATUS_CLOSED: return "closed";
  case NATS_CONN_STATUS_RECONNECTING: return "reconnecting";
  case NATS_CONN_STATUS_DRAINING_SUBS:
  case NATS_CONN_STATUS_DRAINING_PUBS: return "draining";
  }
  return "unknown state";
}

wasm_status pln_connected(natsConnection *nc, const char *what, wasm_error *err) {
  natsConnStatus cs = natsConnection_Status(nc);
  if (cs == NATS_CONN_STATUS_CONNECTED) return WASM_OK;
  return pl_fail(err, WASM_BAD_ARG, "%s: NATS is not connected (%s)", what, conn_state(cs));
}

wasm_status pln_js(natsConnection *nc, jsCtx **out, const char *what, wasm_error *err) {
  jsOptions o;
  jsOptions_Init(&o);
  o.Wait = PLN_JS_WAIT_MS;
  natsStatus s = natsConnection_JetStream(out, nc, &o);
  return s == NATS_OK ? WASM_OK : pln_fail(err, s, "%s: JetStream", what);
}

bool pln_bucket_valid(const char *name) {
  size_t n = name ? strlen(name) : 0;
  if (n == 0 || n > 255) return false;
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '_' || c == '-'))
      return false;
  }
  return true;
}

/* ---- SHA-256 ---- */

static const uint32_t sha_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

static uint32_t ror(uint32_t x, int n) { return x >> n | x << (32 - n); }

static void sha_block(pln_sha256 *c, const uint8_t *p) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
           (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = c->h[0], b = c->h[1], cc = c->h[2], d = c->h[3], e = c->h[4], f = c->h[5],
           g = c->h[6], h = c->h[7];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + sha_k[i] + w[i];
    uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & cc) ^ (b & cc));
    h = g, g = f, f = e, e = d + t1, d = cc, cc = b, b = a, a = t1 + t2;
  }
  c->h[0] += a, c->h[1] += b, c->h[2] += cc, c->h[3] += d;
  c->h[4] += e, c->h[5] += f, c->h[6] += g, c->h[7] += h;
}

void pln_sha256_init(pln_sha256 *c) {
  static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(c->h, iv, sizeof iv);
  c->len = 0;
  c->nbuf = 0;
}

void pln_sha256_update(pln_sha256 *c, const uint8_t *p, size_t n) {
  c->len += n;
  while (n > 0) {
    if (c->nbuf == 0 && n >= 64) {
      sha_block(c, p);
      p += 64, n -= 64;
      continue;
    }
    size_t k = 64 - c->nbuf < n ? 64 - c->nbuf : n;
    memcpy(c->buf + c->nbuf, p, k);
    c->nbuf += k, p += k, n -= k;
    if (c->nbuf == 64) {
      sha_block(c, c->buf);
      c->nbuf = 0;
    }
  }
}

void pln_sha256_final(pln_sha256 *c, uint8_t out[32]) {
  uint64_t bits = c->len * 8;
  uint8_t pad[72] = {0x80};
  size_t np = (c->nbuf < 56 ? 56 : 120) - c->nbuf;
  for (int i = 0; i < 8; i++) pad[np + i] = (uint8_t)(bits >> (56 - 8 * i));
  pln_sha256_update(c, pad, np + 8);
  for (int i = 0; i < 8; i++)
    for (int j = 0; j < 4; j++) out[4 * i + j] = (uint8_t)(c->h[i] >> (24 - 8 * j));
}

/* ---- base64url ---- */

static const char b64_alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *pln_b64url_enc(const uint8_t *p, size_t n, bool pad) {
  char *out = malloc((n + 2) / 3 * 4 + 1);
  if (!out) return NULL;
  size_t o = 0, i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
    out[o++] = b64_alpha[v >> 18];
    out[o++] = b64_alpha[v >> 12 & 63];
    out[o++] = b64_alpha[v >> 6 & 63];
    out[o++] = b64_alpha[v & 63];
  }
  if (n - i == 1) {
    uint32_t v = (uint32_t)p[i] << 16;
    out[o++] = b64_alpha[v >> 18];
    out[o++] = b64_alpha[v >> 12 & 63];
    if (pad) out[o++] = '=', out[o++] = '=';
  } else if (n - i == 2) {
    uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
    out[o++] = b64_alpha[v >> 18];
    out[o++] = b64_alpha[v >> 12 & 63];
    out[o++] = b64_alpha[v >> 6 & 63];
    if (pad) out[o++] = '=';
  }
  out[o] = 0;
  return out;
}

static int b64_val(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

uint8_t *pln_b64url_dec(const char *s, size_t *n) {
  size_t len = strlen(s);
  while (len > 0 && s[len - 1] == '=') len--;
  if (len % 4 == 1 || strlen(s) - len > 2) return NULL;
  uint8_t *out = malloc(len / 4 * 3 + 3);
  if (!out) return NULL;
  size_t o = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < len; i++) {
    int v = b64_val(s[i]);
    if (v < 0) {
      free(out);
      return NULL;
    }
    acc = acc << 6 | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (uint8_t)(acc >> bits);
      acc &= (1u << bits) - 1;
    }
  }
  if (acc != 0) { /* non-canonical trailing bits: not ours, not reversible */
    free(out);
    return NULL;
  }
  out[o] = 0;
  *n = o;
  return out;
}
