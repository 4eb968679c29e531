/* pl_nats_internal.h: what the NATS backends (pl_nats_kv.c, pl_nats_blob.c,
 * pl_nats_bus.c) share: error messages from nats.c statuses, the
 * connection check, a JetStream context with a bounded wait, SHA-256 and
 * base64url (the object store's digest and meta subjects; the plugins
 * layer is below the cluster layer, so it keeps its own). */
#ifndef STRATUS_PL_NATS_INTERNAL_H
#define STRATUS_PL_NATS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plugins/pl_internal.h"

/* Every JetStream request waits at most this long (a server that went
 * away mid-call must not hang a guest). */
#define PLN_JS_WAIT_MS 5000

/* Fails with "<formatted what>: <nats.c status text>[ (<last error>)]". */
wasm_status pln_fail(wasm_error *err, natsStatus s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* WASM_OK when nc is connected; else a failure "<what>: NATS is not
 * connected (<state>)", so calls fail at once while nats.c reconnects. */
wasm_status pln_connected(natsConnection *nc, const char *what, wasm_error *err);

/* A JetStream context on nc with requests bounded by PLN_JS_WAIT_MS. */
wasm_status pln_js(natsConnection *nc, jsCtx **out, const char *what, wasm_error *err);

/* Whether name is a valid NATS bucket name: [A-Za-z0-9_-]+ (KV and the
 * object store alike), at most 255 bytes. */
bool pln_bucket_valid(const char *name);

/* ---- base64url (RFC 4648 section 5) ---- */

/* Encodes n bytes into a malloc'ed string, with '=' padding when pad;
 * NULL when out of memory. */
char *pln_b64url_enc(const uint8_t *p, size_t n, bool pad);
/* Decodes s (padding optional) into a malloc'ed buffer (*n bytes, NUL
 * added after them); NULL when s is not base64url or out of memory. */
uint8_t *pln_b64url_dec(const char *s, size_t *n);

#endif
