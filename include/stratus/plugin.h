/*
 * stratus/plugin.h: host plugins (layer 5). A plugin provides WIT
 * interfaces to the components of workloads (wasi:keyvalue, wasi:config,
 * ...) and gets lifecycle hooks, as wasmCloud v2's HostPlugin does
 * (reference, section 3.3). The built-in plugins (src/plugins/) use
 * exactly this API; a plugin written outside the tree is a `plugin` struct
 * filled the same way.
 *
 * Lifecycle, for each workload the host starts:
 *   workload_bind(w)             once, with the grants that matched
 *   item_bind(item)              per component / service needing the plugin:
 *                                sets item->state (immutable afterwards)
 *   item_link(item, linker)      per linker of that item (a host keeps one
 *                                linker per worker thread): defines the
 *                                plugin's interfaces on it, host functions
 *                                getting item->state as env
 *   workload_resolved(w, host)   everything linked; e.g. start subscriptions
 *   item_unbind / workload_unbind when the workload stops
 * start/stop bracket the plugin's life in the host. Host functions run on
 * any worker thread, several at once: the state they share must be
 * thread-safe. Each hook returns a status and fills err on failure.
 *
 * Interface sets are written as in wasmCloud: "ns:pkg/iface1,iface2@ver",
 * several separated by spaces, e.g.
 *   "wasi:keyvalue/store,atomics,batch@0.2.0-draft".
 */
#ifndef STRATUS_PLUGIN_H
#define STRATUS_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "stratus/component.h"
#include "stratus/wasm.h"

#include <nats/nats.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A string map (config, environment), in the order written. */
typedef struct plugin_map {
  const char *const *keys;
  const char *const *values;
  size_t n;
} plugin_map;

/* The value of key in m, or NULL. */
const char *plugin_map_get(const plugin_map *m, const char *key);

/* One hostInterfaces entry of a workload: the interfaces it grants and
 * their configuration (reference, section 1.2). */
typedef struct plugin_grant {
  const char *ns, *package;         /* "wasi", "keyvalue" */
  const char *const *interfaces;    /* "store", "atomics" */
  size_t ninterfaces;
  const char *version;              /* "0.2.0-draft", or NULL */
  const char *name;                 /* named instance, or NULL */
  plugin_map config;
} plugin_grant;

typedef struct plugin_workload {
  const char *id;                   /* unique on the host */
  const char *name, *namespace_;
  const plugin_grant *grants;       /* those this plugin provides */
  size_t ngrants;
} plugin_workload;

/* A component or the service of a workload. */
typedef struct plugin_item {
  const plugin_workload *workload;
  const char *name;                 /* the component's name; "service" */
  bool is_service;
  plugin_map env;                   /* localResources.environment */
  plugin_map config;                /* localResources.config */
  const plugin_grant *const *grants; /* grants of this plugin the item uses */
  size_t ngrants;
  void *state;                      /* the plugin's, set by item_bind */
} plugin_item;

/* What the host offers a plugin after resolution: calling a component's
 * export in a fresh instance (messaging handlers, cron). */
typedef struct plugin_host plugin_host;
struct plugin_host {
  /* Calls export `func` ("wasmcloud:messaging/handler@0.2.0#handle-message")
   * of component `component` of workload `workload_id` in a new instance;
   * *result as cm_func_call gives it. */
  wasm_status (*call)(plugin_host *h, const char *workload_id, const char *component,
                      const char *func, const cm_val *args, size_t nargs, cm_val *result,
                      wasm_error *err);
  void *env;
  /* Whether component `component` of the workload exports `func` (same
   * naming as call). May be NULL: a plugin then learns it from call
   * (added for wasmcloud-messaging, which subscribes only handlers). */
  bool (*has_export)(plugin_host *h, const char *workload_id, const char *component,
                     const char *func);
};

typedef struct plugin plugin;
struct plugin {
  const char *id;        /* unique among a host's plugins: "wasi-keyvalue" */
  const char *imports;   /* interface sets components import from it */
  const char *exports;   /* interface sets of components it calls, or NULL */
  bool named_instances;  /* several named grants of one package at once */
  void *self;            /* the plugin's own data */
  /* every hook may be NULL (nothing to do) */
  wasm_status (*start)(plugin *p, wasm_error *err);
  void (*stop)(plugin *p);
  wasm_status (*workload_bind)(plugin *p, const plugin_workload *w, wasm_error *err);
  wasm_status (*item_bind)(plugin *p, plugin_item *item, wasm_error *err);
  wasm_status (*item_link)(plugin *p, plugin_item *item, cm_linker *l, wasm_error *err);
  wasm_status (*workload_resolved)(plugin *p, const plugin_workload *w, plugin_host *host,
                                   wasm_error *err);
  void (*item_unbind)(plugin *p, plugin_item *item);
  void (*workload_unbind)(plugin *p, const plugin_workload *w);
  void (*destroy)(plugin *p); /* frees p->self (and p if allocated) */
};

/* ---- interface sets ---- */

/* Whether the interface set `set` ("ns:pkg/a,b@v ...") contains interface
 * `iface` ("ns:pkg/a@v"): namespace, package and name equal; versions
 * compared only when both sides have one. */
bool plugin_set_has(const char *set, const char *iface);


/* ---- built-in plugins (src/plugins/) ----
 *
 * Each constructor returns a plugin the host owns: p->destroy(p) (or
 * plugin_free) frees it and what it owns (its backend). NULL when out of
 * memory. Buckets and containers are kept per workload *name*: scope
 * "<namespace>/<name>" (namespace "default" when unset), so replicas of a
 * workload share them and a restarted (or reloaded) workload finds its
 * data again; two workloads of different names never see each other's. */

/* Calls p->destroy when p is not NULL. */
void plugin_free(plugin *p);

/* Plugins whose interfaces pass wasi:io streams (wasi:blobstore) make them
 * in the WASI 0.2 context linked into the same linker. The host names it
 * once per linker, after wasi2_link and before item_link, and forgets the
 * linker before deleting it (a process-wide table, thread-safe). */
struct wasi2_ctx;
wasm_status plugin_linker_set_wasi2(cm_linker *l, struct wasi2_ctx *w, wasm_error *err);
struct wasi2_ctx *plugin_linker_wasi2(cm_linker *l);
void plugin_linker_forget(cm_linker *l);

/* wasi-config: wasi:config/store@0.2.0-rc.1. An item sees the config of
 * its wasi:config grants with its environment (plugin_item.env) merged on
 * top (a key in both: the environment's value). */
plugin *plugin_config_new(void);

/* wasi-logging: wasi:logging/logging (0.1.0-draft, also unversioned). One
 * line per call, written and flushed at once to out (borrowed):
 *   level=info workload=W component=C context=X msg="..."
 * Values with spaces, quotes, '=' or control characters are quoted with
 * C-style escapes; msg always is. */
plugin *plugin_logging_new(FILE *out);

/* A key-value store behind wasi-keyvalue. Buckets are addressed by scope
 * (see above) and identifier; every function is thread-safe and returns
 * a status with a message (which the guest sees as error::other). */
typedef struct plugin_kv_backend plugin_kv_backend;
struct plugin_kv_backend {
  const char *name; /* "memory", "directory" */
  void *self;
  /* Creates the bucket when it does not exist. */
  wasm_status (*open)(plugin_kv_backend *b, const char *scope, const char *bucket,
                      wasm_error *err);
  /* *found false when the key is missing; else *val (malloc'ed, *len). */
  wasm_status (*get)(plugin_kv_backend *b, const char *scope, const char *bucket,
                     const char *key, uint8_t **val, size_t *len, bool *found,
                     wasm_error *err);
  wasm_status (*set)(plugin_kv_backend *b, const char *scope, const char *bucket,
                     const char *key, const uint8_t *val, size_t len, wasm_error *err);
  wasm_status (*del)(plugin_kv_backend *b, const char *scope, const char *bucket,
                     const char *key, wasm_error *err); /* missing: not an error */
  /* Every key, sorted (bytewise); *keys and each key malloc'ed. */
  wasm_status (*keys)(plugin_kv_backend *b, const char *scope, const char *bucket,
                      char ***keys, size_t *n, wasm_error *err);
  /* Atomically adds delta to the counter at key (missing: 0) and stores
   * the sum as decimal text; *out gets it. A value that is neither
   * decimal text nor 8 big-endian bytes (wasmCloud's NATS format) fails. */
  wasm_status (*increment)(plugin_kv_backend *b, const char *scope, const char *bucket,
                           const char *key, uint64_t delta, uint64_t *out, wasm_error *err);
  void (*destroy)(plugin_kv_backend *b);
};

/* Memory: a hash map per bucket, gone with the backend. */
plugin_kv_backend *plugin_kv_memory_new(void);
/* Directory: dir/<scope>/<bucket>/<key>, one file per key; names are
 * encoded to safe file names ([A-Za-z0-9_.-] kept, other bytes %XX, a
 * leading '.' encoded); writes go to a temporary file renamed over the
 * key, so a crash leaves the old or the new value. dir is created. */
wasm_status plugin_kv_dir_new(const char *dir, plugin_kv_backend **out, wasm_error *err);

/* wasi-keyvalue: wasi:keyvalue/store,atomics,batch@0.2.0-draft over b
 * (owned by the plugin from now on, also when NULL is returned). open()
 * creates the bucket; list-keys pages (PLUGIN_KV_PAGE keys) with the
 * cursor the offset of the next page. Only the granted interfaces are
 * linked. */
#define PLUGIN_KV_PAGE 100
plugin *plugin_keyvalue_new(plugin_kv_backend *b);

/* A blob store behind wasi-blobstore, addressed by scope and container;
 * thread-safe, statuses with messages (the guest sees them as errors). */
typedef struct plugin_blob_backend plugin_blob_backend;
struct plugin_blob_backend {
  const char *name;
  void *self;
  /* Fails when the container exists already. */
  wasm_status (*create)(plugin_blob_backend *b, const char *scope, const char *container,
                        wasm_error *err);
  /* *created: seconds since the epoch; *found false when missing. */
  wasm_status (*stat)(plugin_blob_backend *b, const char *scope, const char *container,
                      bool *found, uint64_t *created, wasm_error *err);
  wasm_status (*destroy_container)(plugin_blob_backend *b, const char *scope,
                                   const char *container, wasm_error *err);
  /* Creates or replaces; fails when the container is missing. */
  wasm_status (*put)(plugin_blob_backend *b, const char *scope, const char *container,
                     const char *object, const uint8_t *data, size_t len, wasm_error *err);
  /* *found false when the object is missing; data may be NULL (only the
   * size and time wanted), else *data is malloc'ed. */
  wasm_status (*get)(plugin_blob_backend *b, const char *scope, const char *container,
                     const char *object, uint8_t **data, uint64_t *size, uint64_t *created,
                     bool *found, wasm_error *err);
  wasm_status (*del)(plugin_blob_backend *b, const char *scope, const char *container,
                     const char *object, wasm_error *err); /* missing: not an error */
  /* The object names, sorted; *names and each name malloc'ed. */
  wasm_status (*list)(plugin_blob_backend *b, const char *scope, const char *container,
                      char ***names, size_t *n, wasm_error *err);
  void (*destroy)(plugin_blob_backend *b);
};

plugin_blob_backend *plugin_blob_memory_new(void);
/* dir/<scope>/<container>/<object>, names encoded as the key-value
 * directory backend does; atomic writes by rename. */
wasm_status plugin_blob_dir_new(const char *dir, plugin_blob_backend **out, wasm_error *err);

/* wasi-blobstore: wasi:blobstore/blobstore,container,types@0.2.0-draft
 * over b (owned, as for keyvalue). Grant config: `buckets` (comma list:
 * the containers the item may use; any other is refused with an error
 * starting "unauthorized"; unset: all) and `read_only` ("true": every
 * write is refused with an error starting "read-only"). Object bodies
 * are wasi:io streams of the linker's WASI context (plugin_linker_set_wasi2);
 * objects are at most PLUGIN_BLOB_MAX bytes. */
#define PLUGIN_BLOB_MAX (64u << 20)
plugin *plugin_blobstore_new(plugin_blob_backend *b);

/* ---- messaging (wasmcloud:messaging@0.2.0) ---- */

/* A message on a bus: subject, body, the subject to answer on (or NULL). */
typedef struct plugin_msg {
  const char *subject;
  const uint8_t *body;
  size_t len;
  const char *reply_to;
  /* Set by a bus on what arrives at a reply subject instead of a reply
   * when nothing received the request (NATS's "no responders" status,
   * 503): the requester fails at once instead of waiting. */
  bool no_responders;
} plugin_msg;

/* A subscriber's callback: runs on the publisher's thread (or a thread of
 * the backend) with the bus locked, so it must be quick and must not call
 * the bus. m and what it points to are valid during the call only.
 * Returns false when it could not take the message (its queue is full). */
typedef bool (*plugin_msg_fn)(void *ctx, const plugin_msg *m);

/* The bus behind wasmcloud-messaging; a NATS client can be one. Subjects
 * are NATS subjects: tokens separated by '.'; a subscription pattern may
 * use `*` (one token) and, as its last token, `>` (one or more). scope
 * separates independent buses on one backend (the plugin passes the
 * workload id: in-process messaging is per workload, as in wasmCloud); a
 * backend may ignore it. Thread-safe. */
typedef struct plugin_bus plugin_bus;
struct plugin_bus {
  const char *name; /* "memory" */
  void *self;
  /* fn(ctx, m) for each message published in scope on a subject matching
   * pattern, until unsubscribe; *id names the subscription. */
  wasm_status (*subscribe)(plugin_bus *b, const char *scope, const char *pattern,
                           plugin_msg_fn fn, void *ctx, uint64_t *id, wasm_error *err);
  /* When it returns, the subscription's fn is not running and never runs
   * again. Not to be called from a callback. */
  void (*unsubscribe)(plugin_bus *b, uint64_t id);
  /* Delivers m to every matching subscription; *delivered (may be NULL)
   * counts those that took it. Fails, with a message, when one could not. */
  wasm_status (*publish)(plugin_bus *b, const char *scope, const plugin_msg *m,
                         size_t *delivered, wasm_error *err);
  void (*destroy)(plugin_bus *b);
  /* A new reply subject for a request, unique across every client of the
   * bus (malloc'ed; NULL when out of memory). May be NULL: the plugin
   * then numbers its own (_INBOX.<n>), unique only in the process. */
  char *(*new_inbox)(plugin_bus *b);
};

/* An in-process bus: delivers synchronously, on the publisher's thread. */
plugin_bus *plugin_bus_memory_new(void);

/* Whether s is a valid subject (pattern: `*` and `>` allowed), and
 * whether subject matches pattern. */
bool plugin_subject_valid(const char *s, bool pattern);
bool plugin_subject_match(const char *pattern, const char *subject);

/* wasmcloud-messaging: imports wasmcloud:messaging/consumer,types@0.2.0,
 * calls components exporting handler@0.2.0, over bus b (owned, as for
 * keyvalue). Grant config `subscriptions`: a comma list of subjects
 * (patterns) each component of the item exporting the handler is
 * subscribed to in workload_resolved; each message goes to a fresh
 * instance (plugin_host.call) on a delivery thread of the plugin, never
 * on the publisher's stack. consumer.request publishes with a unique
 * reply-to (_INBOX.<n>, or the bus's new_inbox when it has one) and waits
 * for the first message on it (no subscriber at all, or a reply flagged
 * no_responders: an error at once, as NATS's "no responders"); the
 * timeout is capped at PLUGIN_MSG_MAX_TIMEOUT_MS. Handler failures are
 * reported one line each to log (borrowed; NULL: stderr). Bodies are at
 * most PLUGIN_MSG_MAX bytes (NATS's default max_payload). */
#define PLUGIN_MSG_MAX (1u << 20)
#define PLUGIN_MSG_MAX_TIMEOUT_MS 60000u
plugin *plugin_messaging_new(plugin_bus *b, FILE *log);

/* ---- NATS backends (pl_nats_*.c): the data connection of `stratus host` ----
 * nc is borrowed and must outlive the backend; while NATS is unreachable
 * calls fail with a message (nats.c reconnects underneath). */
typedef struct plugin_nats_options {
  bool no_create_buckets; /* keyvalue / blobstore: opening a missing bucket
                             fails instead of creating it */
} plugin_nats_options;

/* wasi-keyvalue on JetStream KV: a bucket per identifier (KV_<bucket>),
 * shared by every workload (scope ignored); counters stored as 8
 * big-endian bytes, as wasmCloud does, incremented by compare-and-set.
 * Bucket names must be [A-Za-z0-9_-]. Keys outside NATS's key syntax (and
 * keys starting with '=') are stored as '=' + unpadded base64url of the
 * key; keys() decodes them (see pl_nats_kv.c). */
wasm_status plugin_kv_nats_new(natsConnection *nc, const plugin_nats_options *o,
                               plugin_kv_backend **out, wasm_error *err);
/* wasi-blobstore on the NATS object store protocol (stream OBJ_<bucket>,
 * chunks on $O.<bucket>.C.<nuid>, info on $O.<bucket>.M.<name b64url>):
 * what other NATS clients write reads back, and the reverse. Scope
 * ignored; container names must be [A-Za-z0-9_-]; with no_create_buckets
 * create() fails (containers are provisioned outside). */
wasm_status plugin_blob_nats_new(natsConnection *nc, const plugin_nats_options *o,
                                 plugin_blob_backend **out, wasm_error *err);
/* wasmcloud-messaging on core NATS. Subscriptions of a workload join a
 * queue group named after its scope up to any '#' ("namespace/name";
 * characters other than [A-Za-z0-9_./:=-] become '_'), so replicas of one
 * workload on several hosts get each message once; subscriptions to
 * request inboxes (subjects starting "_INBOX.") are plain. Publishing
 * ignores scope (subjects are global on NATS, as in wasmCloud), counts
 * *delivered 1 (NATS cannot tell more) and fails at once while the
 * connection is down; a request nobody receives gets NATS's no-responders
 * reply (plugin_msg.no_responders). new_inbox gives "_INBOX.<nuid>".
 * unsubscribe waits (up to 5 s) until nats.c is done with the callback. */
wasm_status plugin_bus_nats_new(natsConnection *nc, const plugin_nats_options *o,
                                plugin_bus **out, wasm_error *err);

/* ---- SHA-256 (pl_sha256.c): object-store and OCI digests ---- */
typedef struct plugin_sha256 {
  uint32_t h[8];
  uint64_t nbytes;  /* hashed so far */
  uint8_t buf[64];
  size_t nbuf;
} plugin_sha256;
void plugin_sha256_init(plugin_sha256 *s);
void plugin_sha256_update(plugin_sha256 *s, const void *data, size_t len);
void plugin_sha256_final(plugin_sha256 *s, uint8_t out[32]);

#ifdef __cplusplus
}
#endif
#endif
