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

#include "stratus/component.h"
#include "stratus/wasm.h"

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

#ifdef __cplusplus
}
#endif
#endif
