/*
 * unit_msg.h: a messaging test's host (included by test_messaging.c and
 * test_plugins_nats.c): one workload of the two fixture components of
 * tests/fixtures/plugins/ (msg_requester_app.c, driven through `run`;
 * msg_echo_app.c, a handler answering on reply-to), bound to a
 * wasmcloud-messaging plugin by hand, with a plugin_host.call that makes
 * a fresh linker, store and instance per call, as the host runtime does.
 * The includer sets eng, requester_c and echo_c before use.
 */
#ifndef UNIT_MSG_H
#define UNIT_MSG_H

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "stratus/component.h"
#include "stratus/plugin.h"
#include "stratus/wasi.h"
#include "unit_cm.h"

#define HANDLER_FUNC "wasmcloud:messaging/handler@0.2.0#handle-message"

static wasm_engine *eng;
static cm_component *requester_c, *echo_c;

typedef struct wl {
  plugin *p;
  plugin_host host;
  const char *ifaces[3];
  const char *cfg_k[1], *cfg_v[1];
  plugin_grant grant;
  const plugin_grant *grants[1];
  plugin_workload w;
  plugin_item items[2]; /* "requester", "echo" */
  atomic_int calls[2];  /* plugin_host.call per item */
  atomic_int handler_calls_to_requester;
  bool bound;
} wl;

static int item_index(wl *x, const char *name) {
  for (int i = 0; i < 2; i++)
    if (strcmp(x->items[i].name, name) == 0) return i;
  return -1;
}

/* plugin_host.call: a new linker (WASI 0.2 + the plugin), store and
 * instance for every call, as the runtime's plugin slot does. */
static wasm_status host_call(plugin_host *h, const char *wid, const char *comp, const char *func,
                             const cm_val *args, size_t nargs, cm_val *result, wasm_error *err) {
  wl *x = h->env;
  int i = item_index(x, comp);
  if (strcmp(wid, x->w.id) != 0 || i < 0) {
    snprintf(err->message, sizeof err->message, "no component %s in %s", comp, wid);
    return WASM_BAD_ARG;
  }
  atomic_fetch_add(&x->calls[i], 1);
  if (i == 0 && strcmp(func, HANDLER_FUNC) == 0) atomic_fetch_add(&x->handler_calls_to_requester, 1);
  wasi2_config cfg = {.stdin_fd = -1, .stdout_fd = -1, .stderr_fd = 2};
  wasi2_ctx *w = NULL;
  cm_linker *l = cm_linker_new(eng);
  wasm_store *s = wasm_store_new(eng);
  cm_instance *inst = NULL;
  wasm_status st = !l || !s ? WASM_NOMEM : WASM_OK;
  if (!st) st = wasi2_ctx_new(&cfg, &w, err);
  if (!st) st = wasi2_link(w, l, err);
  if (!st) st = x->p->item_link(x->p, &x->items[i], l, err);
  if (!st) st = cm_linker_instantiate(l, s, i == 0 ? requester_c : echo_c, &inst, err);
  if (!st) {
    cm_func *f = cm_instance_func(inst, func);
    if (!f) {
      snprintf(err->message, sizeof err->message, "component `%s` has no export %s", comp, func);
      st = WASM_BAD_ARG;
    } else {
      st = cm_func_call(f, args, nargs, result, err);
    }
  }
  if (inst) cm_instance_delete(inst);
  if (s) wasm_store_delete(s);
  if (w) wasi2_ctx_delete(w);
  if (l) cm_linker_delete(l);
  return st;
}

static bool host_has_export(plugin_host *h, const char *wid, const char *comp, const char *func) {
  wl *x = h->env;
  int i = item_index(x, comp);
  cm_component *c = i == 0 ? requester_c : i == 1 ? echo_c : NULL;
  if (!c || strncmp(func, "wasmcloud:messaging/handler@", 28) != 0) return false;
  for (uint32_t k = 0; k < cm_component_export_count(c); k++)
    if (strcmp(cm_component_export_name(c, k), "wasmcloud:messaging/handler@0.2.0") == 0) return true;
  return false;
}

/* Binds workload `id` (grant: consumer, handler, types; subscriptions
 * subs, or none when NULL) and resolves it; has_export offered or not. */
static bool wl_start(wl *x, plugin *p, const char *id, const char *subs, bool has_export,
                     wasm_error *err) {
  memset(x, 0, sizeof *x);
  x->p = p;
  x->host = (plugin_host){.call = host_call, .env = x,
                          .has_export = has_export ? host_has_export : NULL};
  x->ifaces[0] = "consumer", x->ifaces[1] = "handler", x->ifaces[2] = "types";
  x->cfg_k[0] = "subscriptions", x->cfg_v[0] = subs;
  x->grant = (plugin_grant){.ns = "wasmcloud", .package = "messaging", .interfaces = x->ifaces,
                            .ninterfaces = 3, .version = "0.2.0"};
  if (subs) x->grant.config = (plugin_map){x->cfg_k, x->cfg_v, 1};
  x->grants[0] = &x->grant;
  x->w = (plugin_workload){.id = id, .name = id, .namespace_ = "test", .grants = &x->grant,
                           .ngrants = 1};
  const char *names[2] = {"requester", "echo"};
  for (int i = 0; i < 2; i++)
    x->items[i] = (plugin_item){.workload = &x->w, .name = names[i], .grants = x->grants,
                                .ngrants = 1};
  if (p->workload_bind(p, &x->w, err)) return false;
  for (int i = 0; i < 2; i++)
    if (p->item_bind(p, &x->items[i], err)) {
      for (int k = i; k-- > 0;) p->item_unbind(p, &x->items[k]);
      p->workload_unbind(p, &x->w);
      return false;
    }
  x->bound = true;
  return p->workload_resolved(p, &x->w, &x->host, err) == WASM_OK;
}

static void wl_stop(wl *x) {
  if (!x->bound) return;
  for (int i = 2; i-- > 0;) x->p->item_unbind(x->p, &x->items[i]);
  x->p->workload_unbind(x->p, &x->w);
  x->bound = false;
}

/* run(cmd) of the requester: the returned string (malloc'ed) or "TRAP: ...". */
static char *run(wl *x, const char *cmd) {
  cm_val arg = unit_cm_str(cmd), res;
  memset(&res, 0, sizeof res);
  wasm_error err = {0};
  wasm_status st = host_call(&x->host, x->w.id, "requester", "run", &arg, 1, &res, &err);
  return unit_cm_result(st, &res, &err);
}

#endif
