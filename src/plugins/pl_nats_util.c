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
