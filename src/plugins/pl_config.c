/* pl_config.c: the wasi-config plugin, wasi:config/store@0.2.0-rc.1. Per
 * item: the config of its wasi:config grants, then its environment on
 * top, fixed at item_bind (wasmCloud's DynamicConfig with copy_env). */
#include <stdlib.h>
#include <string.h>

#include "plugins/pl_internal.h"

#define CONFIG_IFACE "wasi:config/store@0.2.0-rc.1"

typedef struct cfg_state {
  char **keys, **vals;
  size_t n;
} cfg_state;

static void cfg_free(cfg_state *s) {
  if (!s) return;
  pl_strs_free(s->keys, s->n);
  pl_strs_free(s->vals, s->n);
  free(s);
}

/* Sets key to val, replacing an earlier value in place (order kept). */
static bool cfg_set(cfg_state *s, size_t cap, const char *key, const char *val) {
  if (!key) return true;
  char *v = strdup(val ? val : "");
  if (!v) return false;
  for (size_t i = 0; i < s->n; i++)
    if (strcmp(s->keys[i], key) == 0) {
      free(s->vals[i]);
      s->vals[i] = v;
      return true;
    }
  char *k = strdup(key);
  if (!k || s->n >= cap) {
    free(k);
    free(v);
    return false;
  }
  s->keys[s->n] = k;
  s->vals[s->n++] = v;
  return true;
}

static wasm_status cfg_item_bind(plugin *p, plugin_item *item, wasm_error *err) {
  size_t cap = item->env.n;
  for (size_t i = 0; i < item->ngrants; i++) cap += item->grants[i] ? item->grants[i]->config.n : 0;
  cfg_state *s = calloc(1, sizeof *s);
  if (!s) return pl_fail(err, WASM_NOMEM, "out of memory");
  s->keys = calloc(cap ? cap : 1, sizeof *s->keys);
  s->vals = calloc(cap ? cap : 1, sizeof *s->vals);
  bool ok = s->keys && s->vals;
  for (size_t i = 0; ok && i < item->ngrants; i++) {
    const plugin_map *m = item->grants[i] ? &item->grants[i]->config : NULL;
    for (size_t k = 0; m && ok && k < m->n; k++) ok = cfg_set(s, cap, m->keys[k], m->values[k]);
  }
  for (size_t k = 0; ok && k < item->env.n; k++)
    ok = cfg_set(s, cap, item->env.keys[k], item->env.values[k]);
  if (!ok) {
    cfg_free(s);
    return pl_fail(err, WASM_NOMEM, "out of memory");
  }
  item->state = s;
  return WASM_OK;
}

static void cfg_item_unbind(plugin *p, plugin_item *item) {
  cfg_free(item->state);
  item->state = NULL;
}

static wasm_status cfg_get(void *env, cm_instance *caller, const cm_val *a, size_t na,
                           cm_val *res, wasm_error *err) {
  const cfg_state *s = env;
  const cm_val *k = &a[0];
  for (size_t i = 0; i < s->n; i++) {
    if (strlen(s->keys[i]) != k->of.str.len || memcmp(s->keys[i], k->of.str.ptr, k->of.str.len))
      continue;
    cm_val v, some;
    if (!pl_cstr(&v, s->vals[i]) || !cm_val_case(&some, CM_OPTION, 1, &v)) return pl_nomem(err);
    return pl_ok(res, &some, err);
  }
  cm_val none;
  cm_val_case(&none, CM_OPTION, 0, NULL);
  return pl_ok(res, &none, err);
}

static wasm_status cfg_get_all(void *env, cm_instance *caller, const cm_val *a, size_t na,
                               cm_val *res, wasm_error *err) {
  const cfg_state *s = env;
  cm_val list;
  if (!cm_val_agg(&list, CM_LIST, s->n)) return pl_nomem(err);
  for (size_t i = 0; i < s->n; i++) {
    cm_val *t = &list.of.list.elems[i];
    if (!cm_val_agg(t, CM_TUPLE, 2) || !pl_cstr(&t->of.list.elems[0], s->keys[i]) ||
        !pl_cstr(&t->of.list.elems[1], s->vals[i])) {
      cm_val_free(&list);
      return pl_nomem(err);
    }
  }
  return pl_ok(res, &list, err);
}

static const char WIT_STORE[] =
    "interface store {\n"
    "  variant error { upstream(string), io(string) }\n"
    "  get: func(key: string) -> result<option<string>, error>;\n"
    "  get-all: func() -> result<list<tuple<string, string>>, error>;\n"
    "}\n";

static wasm_status cfg_item_link(plugin *p, plugin_item *item, cm_linker *l, wasm_error *err) {
  if (!item->state) return pl_fail(err, WASM_BAD_ARG, "wasi-config: item not bound");
  cm_host_entry e[] = {{"get", cfg_get, NULL, item->state},
                       {"get-all", cfg_get_all, NULL, item->state}};
  return cm_linker_define_interface(l, CONFIG_IFACE, WIT_STORE, e, 2, err);
}

static void cfg_destroy(plugin *p) { free(p); }

plugin *plugin_config_new(void) {
  plugin *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->id = "wasi-config";
  p->imports = CONFIG_IFACE;
  p->item_bind = cfg_item_bind;
  p->item_link = cfg_item_link;
  p->item_unbind = cfg_item_unbind;
  p->destroy = cfg_destroy;
  return p;
}
