/*
 * stratus/cluster.h: the cluster host layer (layer 7): the wasmCloud v2
 * host <-> scheduler protocol.
 *
 * Messages of package wasmcloud.runtime.v2 are described by tables that
 * tools/protogen generates from the .proto files under proto/wasmcloud/runtime/v2/ (see
 * $(BUILD)/gen/proto_tables.h for one symbol per message and enum). One
 * generic codec, driven by those tables, converts between canonical proto3
 * JSON text and an in-memory message value.
 *
 * The in-memory value is a jansson object tree, keyed by lowerCamelCase
 * JSON names (encode also accepts snake_case keys):
 *   string                     json string
 *   bool                       json true/false
 *   int32/sint32/uint32/int64  json integer
 *   uint64                     json integer holding the value's bit pattern
 *                              (values above INT64_MAX read back negative)
 *   float/double               json real (or integer); "NaN", "Infinity"
 *                              and "-Infinity" as strings
 *   enum                       json integer: the enum number
 *   message                    json object (present even when empty)
 *   map<string,string>         json object of strings
 *   repeated                   json array
 *   google.protobuf.Timestamp  json object {"seconds": int, "nanos": int}
 * A decoded value holds only known fields, with these types; default
 * values given explicitly on input are kept.
 */
#ifndef STRATUS_CLUSTER_H
#define STRATUS_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "stratus/host.h"
#include "stratus/wasm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- message tables (generated) ---- */

typedef enum proto_kind {
  PROTO_STRING,
  PROTO_BYTES,
  PROTO_BOOL,
  PROTO_INT32,
  PROTO_SINT32,
  PROTO_UINT32,
  PROTO_INT64,
  PROTO_SINT64,
  PROTO_UINT64,
  PROTO_FLOAT,
  PROTO_DOUBLE,
  PROTO_ENUM,
  PROTO_MESSAGE,
  PROTO_MAP, /* map<string,string> */
  PROTO_TIMESTAMP,
} proto_kind;

typedef struct proto_enum_value {
  const char *name;
  int32_t number;
} proto_enum_value;

typedef struct proto_enum {
  const char *name;      /* "WorkloadState" */
  const char *full_name; /* "wasmcloud.runtime.v2.WorkloadState" */
  const proto_enum_value *values;
  size_t nvalues;
} proto_enum;

typedef struct proto_message proto_message;

typedef struct proto_field {
  const char *json_name;  /* lowerCamelCase: "workloadId" */
  const char *proto_name; /* snake_case: "workload_id" */
  uint32_t number;
  proto_kind kind;
  bool repeated;
  const char *oneof;            /* the oneof it belongs to, or NULL */
  const proto_message *message; /* PROTO_MESSAGE */
  const proto_enum *enumt;      /* PROTO_ENUM */
} proto_field;

struct proto_message {
  const char *name;      /* "WorkloadStatus" */
  const char *full_name; /* "wasmcloud.runtime.v2.WorkloadStatus" */
  const proto_field *fields; /* in field-number order */
  size_t nfields;
};

extern const proto_message *const proto_messages[];
extern const size_t proto_message_count;
extern const proto_enum *const proto_enums[];
extern const size_t proto_enum_count;

/* A message by short or full name; NULL when unknown. */
const proto_message *proto_message_find(const char *name);
/* A field by JSON or proto name; NULL when unknown. */
const proto_field *proto_field_find(const proto_message *m, const char *name);
/* The name of an enum number, or NULL. */
const char *proto_enum_name(const proto_enum *e, int32_t number);

/* ---- canonical proto3 JSON codec ---- */

/* Parses JSON text as message m into a fresh value (*out, json_decref it).
 * Accepts lowerCamelCase and snake_case keys, enums by name or number,
 * 64-bit integers as strings or numbers, RFC 3339 timestamps; ignores
 * unknown fields. A wrong type is WASM_MALFORMED naming the field path
 * ("workload.witWorld.components[0].poolSize: ..."). */
wasm_status proto_decode(const proto_message *m, const char *json, size_t len,
                         json_t **out, wasm_error *err);
/* The same from an already parsed JSON tree. */
wasm_status proto_from_json(const proto_message *m, const json_t *in, json_t **out,
                            wasm_error *err);

/* Canonical proto3 JSON of value as message m: lowerCamelCase keys in
 * field-number order, enums by name, 64-bit integers as strings, RFC 3339
 * timestamps, default values omitted. *out is a NUL-terminated compact
 * string to free(). A value of the wrong type is WASM_BAD_ARG naming it. */
wasm_status proto_encode(const proto_message *m, const json_t *value, char **out,
                         wasm_error *err);
/* The same as a JSON tree (*out, json_decref it); floats are stored as the
 * double nearest their shortest decimal form. */
wasm_status proto_to_json(const proto_message *m, const json_t *value, json_t **out,
                          wasm_error *err);
/* Compact JSON text of any tree, keys in insertion order, reals in their
 * shortest round-trip form; NULL when out of memory. free() it. */
char *proto_json_dump(const json_t *j);

/* Timestamp values for the in-memory form. */
json_t *proto_timestamp(int64_t seconds, int32_t nanos);

/* ---- OCI artifacts (oci_*.c) ----
 *
 * Wasm components as OCI artifacts (the CNCF Wasm OCI artifact layout:
 * config media type application/vnd.wasm.config.v0+json, one layer of
 * media type application/wasm; pulls also accept the legacy layer type
 * application/vnd.module.wasm.content.layer.v1+wasm), over the OCI
 * distribution API with libcurl. A reference is
 * [REGISTRY/]REPOSITORY[:TAG][@sha256:DIGEST] (no registry: docker.io,
 * no tag: latest). Every blob is verified against its digest. Thread-safe:
 * each call uses its own handles. */

typedef enum oci_pull_policy {
  OCI_PULL_IF_NOT_PRESENT = 0, /* the cache when it has the reference */
  OCI_PULL_ALWAYS,             /* the registry's manifest every time */
  OCI_PULL_NEVER,              /* the cache only; missing: an error */
} oci_pull_policy;

typedef struct oci_options {
  const char *cache_dir;      /* blobs by digest + reference index; NULL:
                                 a per-user default ($XDG_CACHE_HOME or
                                 ~/.cache)/stratus/oci */
  bool allow_insecure;        /* the registry over plain http (and TLS,
                                 if a redirect leads there, unverified);
                                 else https only */
  uint64_t timeout_ns;        /* for the whole pull or push; 0: 30 s */
  const char *username;       /* basic credentials (also used to get a */
  const char *password;       /* bearer token), or NULL: anonymous */
  oci_pull_policy policy;
  bool progress;              /* a progress line on stderr if it is a tty */
} oci_options;

/* Pulls ref into the cache. *path (malloc'ed) is the component's file in
 * the cache, *digest (malloc'ed, may be NULL to ignore) its layer digest
 * "sha256:<hex>". Errors name the reference and the cause (HTTP status,
 * "unauthorized", digest mismatch, not a wasm artifact, timeout...). */
wasm_status oci_pull(const char *ref, const oci_options *o, char **path, char **digest,
                     wasm_error *err);
/* Pushes the component at wasm_path as ref, with
 * org.opencontainers.image.* annotations (title, created, and those the
 * component's metadata gives); *digest (may be NULL) the manifest's. */
wasm_status oci_push(const char *ref, const char *wasm_path, const oci_options *o,
                     char **digest, wasm_error *err);

/* ---- workloads on the wire (cluster_workload.c) ----
 *
 * Between the protocol's Workload message (a decoded value, see above)
 * and the manifest model of stratus/host.h. */

/* Maps an image reference to a local file (e.g. by pulling it): *path
 * malloc'ed. pull_policy is the ImagePullPolicy number, username and
 * password the ImagePullSecret's (NULL when none). */
typedef wasm_status (*cluster_image_fn)(void *ctx, const char *ref, int32_t pull_policy,
                                        const char *username, const char *password,
                                        char **path, wasm_error *err);

/* The Workload message value wl as a workload (workload_free it); every
 * image goes through resolve (NULL: references used as local paths).
 * Errors name the field ("witWorld.components[0].image: ..."). */
wasm_status cluster_workload_from_proto(const json_t *wl, cluster_image_fn resolve, void *ctx,
                                        workload **out, wasm_error *err);
/* A manifest's workload as a Workload message value (json_decref it). */
wasm_status cluster_workload_to_proto(const workload *w, json_t **out, wasm_error *err);

#ifdef __cplusplus
}
#endif

#endif
