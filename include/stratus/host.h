/*
 * stratus/host.h: workloads (layer 6).
 *
 * A workload is components + at most one service + the host interfaces it
 * grants + volumes, all on one host (reference, sections 1.2 and 4). This
 * header has three parts:
 *
 *   1. The manifest: workload_load / workload_parse read a wasmCloud v2
 *      `Workload`, `WorkloadReplicaSet` or `WorkloadDeployment` (YAML,
 *      apiVersion runtime.wasmcloud.dev/v1alpha1) unchanged into the
 *      in-memory model below. An unknown field or a wrong type fails with
 *      "file:line:col: field.path: what".
 *   2. The grant model (reference, section 3.4), a pure function:
 *      host_plan_new takes the workload, what each component / the service
 *      imports and exports, and the registered plugins, and says which
 *      grants go to which plugin for which item, and in which order the
 *      items link (one's exports satisfying another's imports). Deny by
 *      default: importing a plugin interface the workload did not grant
 *      fails, naming the interface.
 *   3. Volumes: host_volumes_open checks hostPath volumes and creates the
 *      ephemeral ones; each item gets wasi_preopen entries for its own
 *      volumeMounts only.
 *
 * Items are numbered: components 0 .. ncomponents-1 in manifest order, then
 * the service (index ncomponents) when there is one.
 */
#ifndef STRATUS_HOST_H
#define STRATUS_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stratus/component.h"
#include "stratus/plugin.h"
#include "stratus/wasi.h"
#include "stratus/wasm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the manifest model ---- */

#define WORKLOAD_API_VERSION "runtime.wasmcloud.dev/v1alpha1"

typedef enum workload_kind {
  WORKLOAD_KIND_WORKLOAD,
  WORKLOAD_KIND_REPLICA_SET,
  WORKLOAD_KIND_DEPLOYMENT,
} workload_kind;

typedef enum workload_pull_policy {
  WORKLOAD_PULL_UNSET = 0, /* the host treats it as IfNotPresent */
  WORKLOAD_PULL_ALWAYS,
  WORKLOAD_PULL_IF_NOT_PRESENT,
  WORKLOAD_PULL_NEVER,
} workload_pull_policy;

/* A list of strings. */
typedef struct workload_strings {
  const char *const *items;
  size_t n;
} workload_strings;

/* A ConfigLayer: a plain map plus Kubernetes ConfigMap / Secret names.
 * The references are kept; a host without Kubernetes refuses them when
 * the workload is bound (workload_check_local), not when it is parsed. */
typedef struct workload_config_layer {
  plugin_map config;
  workload_strings config_from; /* ConfigMap names */
  workload_strings secret_from; /* Secret names */
} workload_config_layer;

typedef struct workload_volume_mount {
  const char *name;       /* a volume of the workload */
  const char *mount_path; /* the directory name the guest sees */
  bool read_only;
  size_t volume;          /* index into workload.volumes */
} workload_volume_mount;

typedef struct workload_local_resources {
  const workload_volume_mount *volume_mounts;
  size_t nvolume_mounts;
  workload_config_layer environment; /* -> wasi:cli/environment */
  plugin_map config;                 /* opaque, handed to plugins */
  workload_strings allowed_hosts;    /* outgoing HTTP; empty: none */
  /* Limits (the protocol's LocalResources; in manifests a Stratus
   * extension with the same names): 0 when not given. */
  int32_t memory_limit_mb;           /* memoryLimitMb */
  int32_t cpu_limit;                 /* cpuLimit */
} workload_local_resources;

/* An image: a local file or an OCI reference. */
typedef struct workload_image {
  const char *ref;            /* as written in the manifest */
  const char *path;           /* a local file: ref resolved against the
                                 manifest's directory; NULL for OCI */
  const char *pull_secret;    /* imagePullSecret.name, or NULL */
  workload_pull_policy pull_policy;
} workload_image;

typedef struct workload_component {
  const char *name;
  workload_image image;
  int32_t pool_size, max_invocations; /* 0 when not given */
  workload_local_resources local;
} workload_component;

typedef struct workload_service {
  workload_image image;
  int32_t max_restarts;
  workload_local_resources local;
} workload_service;

/* One hostInterfaces entry: `grant` is it as plugins see it (its
 * config is the inline `config` map); the Kubernetes references beside. */
typedef struct workload_host_interface {
  plugin_grant grant;
  workload_strings config_from, secret_from;
} workload_host_interface;

typedef enum workload_volume_kind {
  WORKLOAD_VOLUME_EPHEMERAL,
  WORKLOAD_VOLUME_HOST_PATH,
} workload_volume_kind;

typedef struct workload_volume {
  const char *name;
  workload_volume_kind kind;
  const char *host_path;      /* as written (hostPath only) */
  const char *resolved_path;  /* relative paths joined to the manifest's
                                 directory (hostPath only) */
} workload_volume;

/* A WorkloadDeployment's artifacts[] entry. */
typedef struct workload_artifact {
  const char *name, *artifact_from;
} workload_artifact;

typedef struct workload {
  workload_kind kind;
  const char *name;                   /* metadata.name */
  const char *namespace_;             /* metadata.namespace, or "default" */
  plugin_map labels, annotations;     /* metadata */
  /* spec (of the Workload, or of the template) */
  plugin_map host_selector;
  const char *host_id;                /* or NULL */
  workload_component *components;
  size_t ncomponents;
  workload_service *service;          /* NULL: none */
  workload_host_interface *host_interfaces;
  size_t nhost_interfaces;
  workload_volume *volumes;
  size_t nvolumes;
  const char *kubernetes_service;     /* spec.kubernetesService.name, or NULL */
  /* The `config.host` of the first wasi:http entry of hostInterfaces: the
   * workload's virtual host for HTTP routing, or NULL. */
  const char *http_host;
  /* WorkloadReplicaSet / WorkloadDeployment only */
  bool has_replicas;
  int32_t replicas;
  plugin_map template_labels, template_annotations;
  const char *deploy_policy;          /* "RollingUpdate" (default) or "Recreate" */
  const workload_artifact *artifacts;
  size_t nartifacts;
  const char *deployment_service;     /* spec.service.name (Kubernetes), or NULL */
  /* where it came from */
  const char *source;                 /* the file name used in messages */
  const char *source_dir;             /* local paths resolve against it */
  void *arena_;                       /* owns everything above */
} workload;

/* Reads the manifest at path. Several YAML documents may be in the file
 * (---): the first Workload, WorkloadReplicaSet or WorkloadDeployment is
 * taken, other kinds are skipped; none is an error. Local image and
 * hostPath paths resolve against the manifest's directory. */
wasm_status workload_load(const char *path, workload **out, wasm_error *err);
/* The same from memory; name_for_errors starts every message, and its
 * directory part (or ".") is where local paths resolve. */
wasm_status workload_parse(const char *yaml, size_t len, const char *name_for_errors,
                           workload **out, wasm_error *err);
void workload_free(workload *w);

/* Components, plus the service when there is one. */
size_t workload_item_count(const workload *w);
/* "api" for a component, "service" for the service. */
const char *workload_item_name(const workload *w, size_t item);
const workload_local_resources *workload_item_local(const workload *w, size_t item);
const workload_image *workload_item_image(const workload *w, size_t item);

/* Fails (WASM_BAD_ARG) naming the first Kubernetes reference (configFrom,
 * secretFrom, imagePullSecret) of w: a host without Kubernetes cannot
 * resolve them. */
wasm_status workload_check_local(const workload *w, wasm_error *err);

/* ---- the grant model ---- */

/* What one item imports and exports: instance names as
 * cm_component_import_name / cm_component_export_name give them
 * ("wasi:keyvalue/store@0.2.0-draft"). Names that are not interfaces
 * (plain functions) are ignored. */
typedef struct host_item_world {
  const char *const *imports;
  size_t nimports;
  const char *const *exports;
  size_t nexports;
} host_item_world;

/* Fills *world with c's import and export names (arrays malloc'ed, the
 * strings are c's); host_item_world_release frees the arrays. */
wasm_status host_item_world_of(const cm_component *c, host_item_world *world,
                               wasm_error *err);
void host_item_world_release(host_item_world *world);

/* One plugin the workload uses, with the grants it provides (in
 * hostInterfaces order): what plugin_workload.grants is for it. */
typedef struct host_plugin_plan {
  plugin *plugin;
  plugin_grant *grants;
  size_t ngrants;
} host_plugin_plan;

/* The grants of one plugin an item uses: plugin_item.grants. The pointers
 * point into plan->plugins[plugin].grants. */
typedef struct host_item_use {
  size_t plugin; /* index into plan->plugins */
  const plugin_grant **grants;
  size_t ngrants;
} host_item_use;

/* An import of an item satisfied by another item's export. */
typedef struct host_link {
  const char *import_name; /* as the importer names it */
  size_t exporter;         /* item index */
  const char *export_name; /* as the exporter names it */
} host_link;

typedef struct host_item_plan {
  const char *name;        /* workload_item_name */
  bool is_service;
  host_item_use *uses;     /* by plugin, in plan->plugins order */
  size_t nuses;
  host_link *links;        /* in import order */
  size_t nlinks;
} host_item_plan;

typedef struct host_plan {
  host_plugin_plan *plugins; /* those with a grant, in registration order */
  size_t nplugins;
  host_item_plan *items;     /* indexed like the workload's items */
  size_t nitems;
  size_t *order;             /* item indices, exporters before their
                                importers; the service last */
  const char *http_host;     /* workload.http_host */
  void *arena_;
} host_plan;

/* Binds the workload's grants to plugins (reference, section 3.4):
 *  - wasi:http entries of hostInterfaces are host core and dropped (their
 *    config.host is plan->http_host); WASI 0.2 core interfaces (wasi:io,
 *    clocks, random, cli, filesystem, sockets) and wasi:http are always
 *    allowed;
 *  - every interface of every other entry must be provided by a plugin
 *    (its `imports` or `exports` set), else an error names it; an entry
 *    goes to each plugin providing one of its interfaces (the first
 *    registered plugin providing an interface wins);
 *  - two entries of one package going to a plugin without
 *    named_instances is an error;
 *  - an item uses an entry when it imports or exports one of its
 *    interfaces; an import another item exports is linked to it instead
 *    (two exporters: an error); an import a plugin provides but no entry
 *    grants fails: "component `api` imports wasi:keyvalue/store@0.2.0-draft,
 *    which the workload does not grant"; an import nothing provides fails
 *    too;
 *  - order: topological over the links (components never import from the
 *    service); a cycle is an error naming it.
 * worlds[i] is item i's world (workload_item_count entries). The plan
 * points into w and plugins; it must not outlive them. */
wasm_status host_plan_new(const workload *w, const host_item_world *worlds,
                          plugin *const *plugins, size_t nplugins, host_plan **out,
                          wasm_error *err);
void host_plan_free(host_plan *plan);

/* Whether `name` ("wasi:io/streams@0.2.0") belongs to what the host core
 * always provides: WASI 0.2 (io, clocks, random, cli, filesystem,
 * sockets) and wasi:http. */
bool host_is_core_interface(const char *name);

/* Interface-set matching as plugin_set_has describes it (kept here too so
 * that the host layer does not depend on a plugin being built); versions
 * match when equal or semver-compatible, or when either side has none. */
bool host_set_has(const char *set, const char *iface);

/* ---- volumes ---- */

typedef struct host_volumes host_volumes;

/* Checks every hostPath volume (an existing directory) and creates every
 * ephemeral one (a fresh temporary directory, removed by
 * host_volumes_close); computes each item's preopens. */
wasm_status host_volumes_open(const workload *w, host_volumes **out, wasm_error *err);
/* Item `item`'s mounts as WASI preopens (host directory, mountPath,
 * readOnly), in volumeMounts order; valid until host_volumes_close and
 * while the workload lives (the strings are shared). */
const wasi_preopen *host_volumes_preopens(const host_volumes *v, size_t item, size_t *n);
/* The host directory of volume i (a temp dir for an ephemeral one). */
const char *host_volumes_dir(const host_volumes *v, size_t volume);
/* Removes the ephemeral directories with their contents; frees v. */
void host_volumes_close(host_volumes *v);

/* ---- the runtime: running workloads on this host (host_runtime.c) ----
 *
 * A runtime runs workloads: per component it compiles the image, binds
 * the plugins the grant plan names (workload_bind, item_bind, item_link
 * per linker, workload_resolved), links WASI 0.2 (environment, volumes)
 * and wasi:http (outgoing limited to localResources.allowedHosts) and
 * makes a pre-instance per worker. HTTP requests go, by Host header
 * (case-insensitive, port ignored), to the workload whose wasi:http
 * hostInterface has that `config.host`, into a fresh instance of the
 * component exporting wasi:http/incoming-handler: no route 400, no
 * handler 404, a trap 500, past the timeout 504.
 *
 * Workloads are reference-counted: a request holds the version it
 * started on, so host_runtime_replace_workload swaps in a new version
 * atomically while requests in flight finish on the old one. A service
 * runs as "the service" below says.
 *
 * Composition: a component importing an interface another component of
 * the workload exports (host_plan's links) gets it linked: its calls go
 * to one instance of the exporter per calling request (or plugin call),
 * made at the first call and dropped when the request ends; exporters
 * may import from others in turn (no cycles: host_plan refuses them).
 * Functions whose types carry resources cannot cross yet: the workload
 * fails to start, naming the interface and the function. */

/* Limits, per component (src/host/host_pool.c), from the component's
 * poolSize, maxInvocations and localResources.memoryLimitMb / cpuLimit:
 *
 *  - memoryLimitMb N: every linear memory of an instance of the
 *    component (or of the service) is capped at N MiB (and at
 *    config.max_memory when that is lower): memory.grow past it returns
 *    -1; an initial memory above it fails the instantiation, naming the
 *    limit (checked once when the workload starts, so such a workload
 *    does not start).
 *  - cpuLimit N: at most N invocations of the component (HTTP requests,
 *    plugin calls, calls from other components) run at once; the others
 *    wait for a place up to config.timeout_ns (none: as long as it
 *    takes), then an HTTP request gets 503 and a call fails, both saying
 *    so. The time waited counts against the request's deadline. (The
 *    service runs one instance: its cpuLimit has nothing to cap.)
 *  - poolSize N: instances are bound to one thread's WASI context, so
 *    each slot (HTTP worker, or plugin-call slot) keeps its own pool of N
 *    instances made ahead from its pre-instance: the workers' of the HTTP
 *    handler and the first call slot's of every other component when the
 *    workload starts, any other slot's after its first use; an
 *    invocation takes a ready instance instead of instantiating, and the
 *    slot refills after the response (or call). N is at most
 *    HOST_MAX_POOL.
 *  - maxInvocations N > 1: an instance serves up to N invocations in
 *    sequence (on its slot) before it is dropped and replaced; 0 or 1:
 *    one each. An instance that trapped is never used again.
 * host_runtime_component_stats reads what they counted. */
#define HOST_MAX_POOL 1024

typedef struct host_component_stats {
  uint64_t instances;   /* instantiations (ahead or on demand) */
  uint64_t made_ahead;  /* of them, made ahead into a pool */
  uint64_t invocations; /* requests and calls that got an instance */
  uint64_t from_pool;   /* of them, given an instance made ahead */
  uint64_t reused;      /* of them, given an instance that had served before */
  uint64_t busy;        /* refused at cpuLimit: no place within the timeout */
  uint32_t running;     /* invocations running now */
  uint32_t max_running; /* the most that ran at once */
  uint32_t ready;       /* instances made ahead, waiting */
} host_component_stats;

typedef struct host_runtime host_runtime;

typedef struct host_runtime_config {
  wasm_engine *engine;        /* borrowed */
  plugin *const *plugins;     /* borrowed; started by host_runtime_new,
                                 stopped by host_runtime_delete */
  size_t nplugins;
  unsigned workers;           /* HTTP worker threads (the server's); >= 1 */
  uint64_t timeout_ns;        /* per request / plugin call; 0: none */
  uint64_t max_memory;        /* per linear memory; 0: no cap */
  /* Dev mode: when exactly one workload runs and it has no host, every
   * request goes to it. */
  bool dev;
  /* Guest stdout/stderr: each line goes to log prefixed "[component] ";
   * NULL: the process's stdout and stderr, unprefixed. */
  FILE *log;
} host_runtime_config;

#define HOST_RUNTIME_ID_MAX 96

/* ---- the epoch ticker (host_util.c) ----
 *
 * A thread advancing an engine's epoch every HOST_TICK_NS, so a store
 * whose epoch deadline is host_deadline_ticks(timeout) ahead interrupts
 * a guest that runs longer than the timeout. */

#define HOST_TICK_NS 10000000u /* 10 ms */
typedef struct host_ticker host_ticker;
/* NULL when the thread cannot start. */
host_ticker *host_ticker_start(wasm_engine *e);
/* Stops and frees t (NULL: nothing to do). */
void host_ticker_stop(host_ticker *t);
/* The ticks of timeout_ns, rounded up, plus the tick in progress. */
uint64_t host_deadline_ticks(uint64_t timeout_ns);

wasm_status host_runtime_new(const host_runtime_config *cfg, host_runtime **out,
                             wasm_error *err);
/* Stops every workload (waiting for requests in flight is the caller's:
 * stop the HTTP server first), then the plugins. */
void host_runtime_delete(host_runtime *rt);

/* Starts w (owned by the runtime from now on, freed also on failure);
 * id (HOST_RUNTIME_ID_MAX bytes) gets its id, "namespace/name#N". Local
 * images only: an OCI reference fails. Fails with the grant plan's
 * message, a link error naming the import, ... ; nothing is left behind
 * on failure. */
wasm_status host_runtime_start_workload(host_runtime *rt, workload *w, char *id,
                                        wasm_error *err);
/* Starts w fully, then, at once, routes new requests to it and stops the
 * workload old_id (whose requests in flight finish first). On failure
 * old_id keeps running untouched. */
wasm_status host_runtime_replace_workload(host_runtime *rt, const char *old_id, workload *w,
                                          char *id, wasm_error *err);
/* Removes the workload from routing; it is freed (plugins unbound) when
 * its last request ends. False when no workload has that id. */
bool host_runtime_stop_workload(host_runtime *rt, const char *id);
/* What the limits of component `component` (not the service) of workload
 * id counted since it started; false when there is no such workload or
 * component. */
bool host_runtime_component_stats(host_runtime *rt, const char *id, const char *component,
                                  host_component_stats *out);

/* ---- the service (host_service.c) ----
 *
 * A workload's service (spec.service) is one wasi:cli/run component run
 * on its own thread from when the workload starts. When run returns err
 * or traps, it runs again in a fresh instance after a backoff (100 ms,
 * doubling, at most 10 s), at most spec.service.maxRestarts times
 * (wasmCloud's meaning: 0, the default, is no restart); then it is
 * FAILED. When run returns ok (or calls exit(0)) it is COMPLETED and not
 * run again. Stopping the workload interrupts it (its blocking waits and
 * its wasm) and joins its thread: STOPPED. Reloading starts the new
 * version's service before stopping the old one. Every state change is
 * logged ("stratus: workload ID: service STATE ...") to the runtime's
 * log (stderr when none).
 *
 * The virtual loopback network: the service may bind TCP on 127.0.0.1
 * (0.0.0.0 is taken as 127.0.0.1; any other address is access-denied)
 * and the workload's components (and the service) may connect to
 * 127.0.0.1:PORT for the ports the service bound. The guest's port is
 * virtual (the socket really listens on a free loopback port), so two
 * workloads may bind the same one; other connects are access-denied
 * (no outgoing sockets), UDP is not granted.
 *
 * The service may import interfaces that components of the workload
 * export (the cron pattern): each call runs in a fresh instance of the
 * exporting component (the same as plugin_host.call); functions passing
 * resources cannot cross (the workload fails to start, naming it). */
typedef enum host_service_state {
  HOST_SERVICE_NONE,       /* the workload has no service */
  HOST_SERVICE_STARTING,   /* not yet run */
  HOST_SERVICE_RUNNING,
  HOST_SERVICE_RESTARTING, /* waiting out the backoff */
  HOST_SERVICE_COMPLETED,  /* run returned ok */
  HOST_SERVICE_FAILED,     /* failed with no restart left */
  HOST_SERVICE_STOPPED,    /* the workload stopped it */
} host_service_state;

typedef struct host_service_status {
  host_service_state state;
  uint32_t runs;           /* instances run so far */
  uint32_t restarts;       /* of them, restarts */
  char last_error[256];    /* why the last run failed, or "" */
} host_service_status;

/* "RUNNING", ... */
const char *host_service_state_name(host_service_state s);
/* The service state of workload id; false when no workload has that id
 * (a workload without a service: HOST_SERVICE_NONE). */
bool host_runtime_service_status(host_runtime *rt, const char *id, host_service_status *out);

/* The HTTP handler (an http_handler_fn with the runtime as env): worker
 * must be below config.workers. */
struct http_exchange;
struct http_request;
/* Answers a request whose component failed with err: 504 when it ran past
 * its deadline, else 500 (unless the response has started), and notes
 * the cause in the access log, after "who: " when who is not NULL. */
void host_http_failed(struct http_exchange *x, const wasm_error *err, const char *who);
void host_runtime_handle_http(void *rt, unsigned worker, struct http_exchange *x,
                              const struct http_request *req);

#ifdef __cplusplus
}
#endif
#endif
