/*
 * fuzz_workload.c: libFuzzer target for the path a workload.start request
 * takes on `stratus host` before anything is pulled or compiled: the
 * protocol codec (src/cluster/proto_json.c) decodes a WorkloadStartRequest,
 * cluster_workload_from_proto (src/cluster/cluster_workload.c) turns its
 * Workload into a manifest, and the manifest parser (src/host/
 * host_workload.c, libyaml) reads it. Images resolve to a fixed path, so
 * no file or network is touched. A failure must come with a message; any
 * crash, sanitizer report or leak is a finding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stratus/cluster.h"

static wasm_status resolve(void *ctx, const char *ref, int32_t policy, const char *user,
                           const char *password, char **path, wasm_error *err) {
  (void)ctx, (void)ref, (void)policy, (void)user, (void)password;
  *path = strdup("/nonexistent/component.wasm");
  return *path ? WASM_OK : wasm_fail(err, WASM_NOMEM, "out of memory");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  wasm_error err;
  json_t *req = NULL;
  if (proto_decode(proto_message_find("WorkloadStartRequest"), (const char *)data, size, &req, &err) != WASM_OK) {
    if (!err.message[0]) abort();
    return 0;
  }
  const json_t *wl = json_object_get(req, "workload");
  if (wl) {
    workload *w = NULL;
    if (cluster_workload_from_proto(wl, resolve, NULL, &w, &err) == WASM_OK) {
      /* what was read must go back onto the wire */
      json_t *back = NULL;
      if (cluster_workload_to_proto(w, &back, &err) == WASM_OK) json_decref(back);
      else if (!err.message[0]) abort();
      workload_free(w);
    } else if (!err.message[0]) {
      abort();
    }
  }
  json_decref(req);
  return 0;
}
