/* kv-counter-c: a visit counter in C, the twin of examples/kv-counter-js.
 * Every request increments `visits` in the workload's key-value bucket
 * `counters` (wasi:keyvalue, granted in workload.yaml) and answers with
 * the new value. Instances are fresh per request: the count lives in the
 * store. The HTTP bindings are the test fixtures' hand-written ones; the
 * two keyvalue imports are declared here. */
#include "../../tests/fixtures/http/http_bindings.h"

#define KV_STORE "wasi:keyvalue/store@0.2.0-draft"
#define KV_ATOMICS "wasi:keyvalue/atomics@0.2.0-draft"

/* result<bucket, error>: u8 @0; handle @4, or error (u8 @4, string @8) */
__attribute__((import_module(KV_STORE), import_name("open")))
void kv_open(const char *p, size_t n, void *ret);
__attribute__((import_module(KV_STORE), import_name("[resource-drop]bucket")))
void kv_bucket_drop(handle b);
/* result<u64, error>: u8 @0; u64 @8, or error (u8 @8, string @12) */
__attribute__((import_module(KV_ATOMICS), import_name("increment")))
void kv_increment(handle b, const char *k, size_t n, uint64_t delta, void *ret);

/* A keyvalue error (variant at off) as text into b; frees its string. */
static void kv_error(buf *b, const void *r, size_t off) {
  static const char *const names[] = {"no-such-store", "access-denied", "other: "};
  uint8_t d = U8(r, off);
  buf_str(b, "keyvalue error: ");
  buf_str(b, d < 3 ? names[d] : "?");
  if (d == 2) {
    buf_add(b, (const void *)(uintptr_t)U32(r, off + 4), U32(r, off + 8));
    free((void *)(uintptr_t)U32(r, off + 4));
  }
  buf_str(b, "\n");
}

HANDLER void handle_request(handle req, handle outparam) {
  incoming_request_drop(req);
  buf b = {0};
  int status = 200;
  RET(r, 24);
  kv_open("counters", 8, r);
  if (U8(r, 0)) {
    kv_error(&b, r, 4);
    status = 500;
  } else {
    handle bucket = U32(r, 4);
    memset(r, 0, sizeof r);
    kv_increment(bucket, "visits", 6, 1, r);
    if (U8(r, 0)) {
      kv_error(&b, r, 8);
      status = 500;
    } else {
      buf_str(&b, "visits: ");
      buf_u64(&b, U64(r, 8));
      buf_str(&b, "\n");
    }
    kv_bucket_drop(bucket);
  }
  respond(outparam, status, b.p, b.n);
  free(b.p);
}
