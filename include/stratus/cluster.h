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


/* ---- the cluster host (ch_*.c): `stratus host` ----
 *
 * A host daemon speaking the wasmCloud v2 host <-> scheduler protocol
 * (reference, section 2) on NATS: it subscribes runtime.host.<id>.> on the
 * scheduler connection and answers heartbeat, workload.start,
 * workload.status and workload.stop requests (every request with a reply
 * subject gets a reply: malformed input, unknown commands and failures
 * answer a WorkloadStatus in WORKLOAD_STATE_ERROR with a message, unknown
 * ids NOT_FOUND); it publishes a HostHeartbeat on
 * runtime.operator.heartbeat.<id> at start, every heartbeat interval and
 * at once after a reconnect. Starts (image pulls, compiles) run on worker
 * threads, never on the NATS delivery thread. Workloads run in a
 * host_runtime with the built-in plugins: wasi-config, wasi-logging (to
 * the log), and keyvalue, blobstore and messaging on the data NATS
 * connection. HTTP (when http_addr is set) is routed by Host header.
 * Both connections retry and reconnect forever (every second); while
 * NATS is down, HTTP keeps serving.
 *
 * Images: an OCI reference is pulled with oci_pull (the component's
 * imagePullPolicy and imagePullSecret, the config's cache directory,
 * timeout and insecure flag); "file://PATH" or an absolute path to an
 * existing file is used as a local file (tests, single-machine setups). */

typedef struct cluster_nats_tls {
  const char *ca;   /* PEM CA bundle to verify the server, or NULL */
  const char *cert; /* client certificate chain (PEM), with key; or NULL */
  const char *key;
  bool first;       /* TLS handshake before the server's INFO: refused
                       when the linked nats.c lacks it (3.4 does) */
} cluster_nats_tls;

typedef struct cluster_host_config {
  const char *host_group;            /* label hostgroup; NULL: "default" */
  const char *scheduler_nats_url;    /* NULL: nats://localhost:4222 */
  const char *data_nats_url;         /* NULL: nats://localhost:4222 */
  cluster_nats_tls scheduler_tls, data_tls;
  const char *host_name;             /* heartbeat hostname; NULL: the OS's */
  const char *http_addr;             /* "127.0.0.1:0"; NULL: no HTTP */
  const char *oci_cache_dir;         /* NULL: oci_pull's default */
  bool allow_insecure_registries;
  /* Images given as "file://PATH" or an absolute path are read from this
   * machine's file system. Off by default: whoever may publish on the
   * host's subjects could otherwise have it open any local file. */
  bool allow_local_images;
  /* keyvalue / blobstore: a bucket the workload opens must exist already
   * (as in wasmCloud 2.0) instead of being created on first use. */
  bool no_create_buckets;
  uint64_t registry_pull_timeout_ns; /* 0: 30 s */
  plugin_map labels;                 /* more labels (hostgroup wins) */
  uint64_t heartbeat_interval_ns;    /* 0: 15 s */
  unsigned workers;                  /* HTTP workers; 0: one per core */
  uint64_t timeout_ns;               /* per request / plugin call; 0: none */
  const char *version;               /* heartbeat version; NULL: "0.0.0" */
  FILE *log;                         /* host and guest log lines; NULL: stderr */
} cluster_host_config;

typedef struct cluster_host cluster_host;

/* Makes the host: a fresh id (UUIDv4) and friendly name, the engine,
 * the NATS connections (not waiting for a server: a host starts while
 * NATS is down), the plugins, the runtime and, with http_addr, the bound
 * HTTP server. Bad TLS files, a taken address: an error. */
wasm_status cluster_host_new(const cluster_host_config *cfg, cluster_host **out,
                             wasm_error *err);
const char *cluster_host_id(const cluster_host *h);
const char *cluster_host_friendly_name(const cluster_host *h);
/* The bound HTTP address ("127.0.0.1:41873"), or NULL without HTTP. */
const char *cluster_host_http_addr(const cluster_host *h);
/* Subscribes, prints what it serves to the log, and serves until
 * cluster_host_stop; then drains: unsubscribes, finishes the starts in
 * flight (replying to them), stops the HTTP server (requests in flight
 * finish) and every workload. WASM_OK after a clean drain. */
wasm_status cluster_host_run(cluster_host *h, wasm_error *err);
/* Asks a running host to stop. Async-signal-safe. */
void cluster_host_stop(cluster_host *h);
/* Closes the NATS connections and frees everything (NULL: nothing). */
void cluster_host_delete(cluster_host *h);

/* ---- the control client (ctl_*.c): `stratus ctl` ----
 *
 * What a scheduler does, by hand: listen to host heartbeats, place
 * workloads on hosts, and send them the workload requests. */

typedef struct cluster_ctl cluster_ctl;

/* A host as its heartbeats show it. */
typedef struct cluster_ctl_host {
  char *id;
  json_t *heartbeat;     /* the last HostHeartbeat value */
  uint64_t seen_ns;      /* CLOCK_MONOTONIC when it came */
} cluster_ctl_host;

/* Connects to NATS at url (NULL: nats://localhost:4222), waiting up to
 * timeout_ns (0: 5 s) for the server. */
wasm_status cluster_ctl_connect(const char *url, uint64_t timeout_ns, cluster_ctl **out,
                                wasm_error *err);
void cluster_ctl_close(cluster_ctl *c);

/* Says whether the hosts heard so far are enough to stop listening. */
typedef bool (*cluster_ctl_enough_fn)(void *ctx, const cluster_ctl_host *hosts, size_t n);
/* Listens to runtime.operator.heartbeat.* for up to wait_ns, keeping the
 * last heartbeat of each host (in the order first heard); stops early when
 * enough (may be NULL) says so after a new host. Malformed heartbeats are
 * skipped. *hosts: cluster_ctl_hosts_free. */
wasm_status cluster_ctl_hosts(cluster_ctl *c, uint64_t wait_ns, cluster_ctl_enough_fn enough,
                              void *ctx, cluster_ctl_host **hosts, size_t *n, wasm_error *err);
void cluster_ctl_hosts_free(cluster_ctl_host *hosts, size_t n);
/* Whether h's labels hold every pair of selector. */
bool cluster_ctl_host_matches(const cluster_ctl_host *h, const plugin_map *selector);

/* One request on runtime.host.<host>.workload.<op> (op "start", "status"
 * or "stop"): req is the request message value (WorkloadStartRequest,
 * ...), *status the response's WorkloadStatus value (json_decref it).
 * No reply within timeout_ns, nobody listening or a malformed reply are
 * errors naming the host. */
wasm_status cluster_ctl_workload(cluster_ctl *c, const char *host, const char *op,
                                 const json_t *req, uint64_t timeout_ns, json_t **status,
                                 wasm_error *err);

/* A random UUIDv4, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx". */
void cluster_uuid4(char out[37]);

/* Where ctl remembers placements: a JSON file {"workloads": {ID: {"host",
 * "namespace", "name"}}}. The default path: ($XDG_STATE_HOME or
 * ~/.local/state)/stratus/ctl.json (malloc'ed; NULL without HOME). */
char *cluster_ctl_state_default(void);
/* Records (host not NULL) or forgets (host NULL) workload id; the file
 * and its directory are made as needed, replaced atomically. */
wasm_status cluster_ctl_state_set(const char *path, const char *id, const char *host,
                                  const char *ns, const char *name, wasm_error *err);
/* The host of workload id (malloc'ed), or NULL when the file does not
 * know it (or does not exist). */
char *cluster_ctl_state_host(const char *path, const char *id);

#ifdef __cplusplus
}
#endif

#endif
