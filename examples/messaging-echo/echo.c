/* messaging-echo, the echo component: a wasmcloud:messaging handler
 * (subscribed to "echo.*" by workload.yaml). A message with a reply-to
 * is answered there with "echo: " and the body upper-cased; others are
 * ignored. Canonical-ABI bindings by hand, as the test fixtures'. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HANDLER "wasmcloud:messaging/handler@0.2.0#handle-message"

/* publish(msg: broker-message) -> result<_, string>: the record flattened
 * (subject, body, option<string>); the result through ret (u8 @0, err
 * string @4) */
__attribute__((import_module("wasmcloud:messaging/consumer@0.2.0"), import_name("publish")))
void msg_publish(const char *s, size_t sn, const void *b, size_t bn, int has_reply,
                 const char *r, size_t rn, void *ret);

__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *old, size_t old_size, size_t align, size_t new_size) {
  (void)old_size;
  if (new_size == 0) return (void *)align;
  void *p = realloc(old, new_size);
  if (!p) __builtin_trap();
  return p;
}

/* result<_, string>: u8 @0, string @4; a failed publish is our error
 * (its string freed by the post-return) */
static uint32_t result[3];

__attribute__((export_name(HANDLER)))
uint32_t *handle_message(char *s, size_t sn, uint8_t *b, size_t bn, int has_reply, char *r,
                         size_t rn) {
  result[0] = 0;
  if (has_reply) {
    char *m = malloc(6 + bn);
    if (!m) __builtin_trap();
    memcpy(m, "echo: ", 6);
    for (size_t i = 0; i < bn; i++)
      m[6 + i] = b[i] >= 'a' && b[i] <= 'z' ? (char)(b[i] - 'a' + 'A') : (char)b[i];
    uint32_t pr[3] = {0};
    msg_publish(r, rn, m, 6 + bn, 0, "", 0, pr);
    free(m);
    if (pr[0] & 0xff) {
      result[0] = 1;
      result[1] = pr[1];
      result[2] = pr[2];
    }
  }
  if (sn) free(s);
  if (bn) free(b);
  if (has_reply && rn) free(r);
  return result;
}

__attribute__((export_name("cabi_post_" HANDLER))) void handle_message_post(uint32_t *ret) {
  if (ret[0]) free((void *)(uintptr_t)ret[1]);
}
