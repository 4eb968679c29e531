/*
 * fuzz_proto.c: libFuzzer target for the wasmcloud.runtime.v2 JSON codec
 * (src/cluster/proto_json.c), which decodes what arrives on the host's NATS
 * subjects. The first byte picks the message; the rest is the payload.
 * A payload that decodes must encode, and its encoding must decode to the
 * same canonical text again (encode is a fixed point). Any crash,
 * sanitizer report, leak or disagreement is a finding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stratus/cluster.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || proto_message_count == 0) return 0;
  const proto_message *m = proto_messages[data[0] % proto_message_count];
  wasm_error err;
  json_t *v = NULL;
  if (proto_decode(m, (const char *)data + 1, size - 1, &v, &err) != WASM_OK) {
    if (!err.message[0]) abort(); /* every failure names its cause */
    return 0;
  }
  char *text = NULL;
  if (proto_encode(m, v, &text, &err) != WASM_OK) abort();
  json_t *again = NULL;
  if (proto_decode(m, text, strlen(text), &again, &err) != WASM_OK) abort();
  char *text2 = NULL;
  if (proto_encode(m, again, &text2, &err) != WASM_OK) abort();
  if (strcmp(text, text2) != 0) abort();
  free(text);
  free(text2);
  json_decref(v);
  json_decref(again);
  return 0;
}
