/* http-hello-c: a wasi:http component in C answering every request with
 * 200 and a greeting. The canonical-ABI bindings are the hand-written
 * ones of the test fixtures (tests/fixtures/http/http_bindings.h).
 * GREETING can be set at build time: build.sh passes -DGREETING=... from
 * the environment (the reload test builds two versions that way). */
#include "../../tests/fixtures/http/http_bindings.h"

#ifndef GREETING
#define GREETING "hello from stratus dev"
#endif

HANDLER void handle_request(handle req, handle outparam) {
  incoming_request_drop(req);
  static const char body[] = GREETING "\n";
  respond(outparam, 200, body, sizeof body - 1);
}
