/* app.c: a wasi:http component answering each request with "count: N",
 * N from the example-counter plugin's counter named after the request's
 * path (query left out): /a and /b count separately. Built as the C test
 * fixtures are (hand-written canonical-ABI bindings, http_bindings.h). */
#include "../../tests/fixtures/http/http_bindings.h"

/* next: func(name: string) -> u64; the string flattens to (ptr, len) */
__attribute__((import_module("example:counter/counter@0.1.0"), import_name("next")))
uint64_t counter_next(const char *name, size_t len);

HANDLER void handle_request(handle req, handle outparam) {
  char *path = request_path(req);
  incoming_request_drop(req);
  uint64_t n = counter_next(path, strcspn(path, "?"));
  buf b = {0};
  buf_str(&b, "count: ");
  buf_u64(&b, n);
  buf_str(&b, "\n");
  respond(outparam, 200, b.p, b.n);
  free(b.p);
  free(path);
}
