/* messaging-echo, the web component: each HTTP request becomes a
 * wasmcloud:messaging request on subject "echo.http" whose body is the
 * request's path without its leading '/' ("hello" when empty); the
 * reply's body is the response (200), a failed request a 502 with the
 * error. The HTTP bindings are the test fixtures' hand-written ones. */
#include "../../tests/fixtures/http/http_bindings.h"

/* result<broker-message, string>: u8 @0; ok: subject @4, body @12,
 * reply-to option u8 @20, string @24; err: string @4 */
__attribute__((import_module("wasmcloud:messaging/consumer@0.2.0"), import_name("request")))
void msg_request(const char *s, size_t sn, const void *b, size_t bn, uint32_t timeout_ms,
                 void *ret);

static void free_at(const void *area, size_t off) { free((void *)(uintptr_t)U32(area, off)); }

HANDLER void handle_request(handle req, handle outparam) {
  char *path = request_path(req);
  incoming_request_drop(req);
  const char *text = path[0] == '/' ? path + 1 : path;
  if (!*text) text = "hello";
  RET(r, 32);
  msg_request("echo.http", 9, text, strlen(text), 5000, r);
  free(path);
  buf b = {0};
  if (U8(r, 0)) {
    buf_str(&b, "messaging request failed: ");
    buf_add(&b, (const void *)(uintptr_t)U32(r, 4), U32(r, 8));
    buf_str(&b, "\n");
    free_at(r, 4);
    respond(outparam, 502, b.p, b.n);
  } else {
    buf_add(&b, (const void *)(uintptr_t)U32(r, 12), U32(r, 16));
    buf_str(&b, "\n");
    free_at(r, 4);
    free_at(r, 12);
    if (U8(r, 20)) free_at(r, 24);
    respond(outparam, 200, b.p, b.n);
  }
  free(b.p);
}
