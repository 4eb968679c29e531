/* pl_keyvalue.c: the wasi-keyvalue plugin, wasi:keyvalue/store, atomics
 * and batch @0.2.0-draft over a plugin_kv_backend. A bucket resource is
 * an object of the plugin's table holding the bucket's name; the item's
 * scope (its workload's namespace/name) addresses the backend. */
#include <stdlib.h>
#include <string.h>

#include "plugins/pl_internal.h"

#define KV_VER "0.2.0-draft"
#define KV_STORE "wasi:keyvalue/store@" KV_VER
#define KV_ATOMICS "wasi:keyvalue/atomics@" KV_VER
#define KV_BATCH "wasi:keyvalue/batch@" KV_VER

enum { KV_BUCKET = 1 };
enum { KE_NO_SUCH_STORE, KE_ACCESS_DENIED, KE_OTHER }; /* store.error cases */

typedef struct kv_self {
  plugin_kv_backend *be;
  pl_table objs;
} kv_self;

typedef struct kv_item {
  pl_item b; /* scope, links */
  kv_self *self;
} kv_item;

/* The env of the host functions of one linker. */
typedef struct kv_link {
  pl_link link;
  kv_item *it;
  cm_linker *l;
  cm_host_resource *bucket;
} kv_link;

static void free_obj(uint8_t kind, void *p) { free(p); }

/* result<_, error> with error::other(msg). */
static wasm_status kv_other(cm_val *res, const char *msg, wasm_error *err) {
  cm_val s, e;
  if (!pl_cstr(&s, msg) || !cm_val_case(&e, CM_VARIANT, KE_OTHER, &s)) return pl_nomem(err);
  return pl_err(res, &e, err);
}

/* The bucket name behind a bucket handle (NULL: trap in err). */
static const char *bucket_of(kv_link *k, const cm_val *h, wasm_error *err) {
  return pl_handle_obj(&k->it->self->objs, k->l, k->bucket, KV_BUCKET, h, NULL, err);
}

/* A key argument; NULL with *st set: a guest-visible error in res (or a
 * trap). */
static char *key_arg(const cm_val *v, cm_val *res, wasm_status *st, wasm_error *err) {
  const char *why;
  char *k = pl_arg_str(v, true, &why);
  if (!k) *st = strcmp(why, "out of memory") ? kv_other(res, why, err) : pl_nomem(err);
  return k;
}

/* A call on a bucket (a[0], and its key a[1]): the backend, what it
 * addresses, and the backend's error. */
typedef struct kv_call {
  plugin_kv_backend *bk;
  const char *scope, *bucket;
  char *key; /* malloc'ed (kv_key_call) */
  wasm_error be;
} kv_call;

/* The bucket of a call; false with a trap in err. */
static bool kv_bucket_call(kv_call *c, void *env, const cm_val *a, wasm_error *err) {
  kv_link *k = env;
  *c = (kv_call){.bk = k->it->self->be, .scope = k->it->b.scope};
  return (c->bucket = bucket_of(k, &a[0], err)) != NULL;
}

/* The bucket and the key; false with *st set: a trap, or a guest-visible
 * error in res. */
static bool kv_key_call(kv_call *c, void *env, const cm_val *a, cm_val *res, wasm_status *st,
                        wasm_error *err) {
  *st = WASM_TRAP;
  if (!kv_bucket_call(c, env, a, err)) return false;
  *st = WASM_OK;
  return (c->key = key_arg(&a[1], res, st, err)) != NULL;
}

/* ---- store ---- */

static wasm_status kv_open(void *env, cm_instance *caller, const cm_val *a, size_t na,
                           cm_val *res, wasm_error *err) {
  kv_link *k = env;
  wasm_status st = WASM_OK;
  char *name = key_arg(&a[0], res, &st, err);
  if (!name) return st;
  wasm_error be = {0};
  if (k->it->self->be->open(k->it->self->be, k->it->b.scope, name, &be)) {
    free(name);
    return kv_other(res, be.message, err);
  }
  cm_val h;
  if ((st = pl_handle_new(&k->it->self->objs, k->l, k->bucket, KV_BUCKET, k->it, name, &h, err)))
    return st;
  return pl_ok(res, &h, err);
}

static void kv_drop(void *env, uint32_t rep) {
  kv_link *k = env;
  free(pl_table_take(&k->it->self->objs, rep, KV_BUCKET));
}

static wasm_status kv_get(void *env, cm_instance *caller, const cm_val *a, size_t na,
                          cm_val *res, wasm_error *err) {
  kv_call c;
  wasm_status st;
  if (!kv_key_call(&c, env, a, res, &st, err)) return st;
  uint8_t *val = NULL;
  size_t len = 0;
  bool found = false;
  st = c.bk->get(c.bk, c.scope, c.bucket, c.key, &val, &len, &found, &c.be);
  free(c.key);
  if (st) return kv_other(res, c.be.message, err);
  cm_val opt, bytes;
  if (found) {
    bool ok = cm_val_bytes(&bytes, val, len);
    free(val);
    if (!ok || !cm_val_case(&opt, CM_OPTION, 1, &bytes)) return pl_nomem(err);
  } else {
    cm_val_case(&opt, CM_OPTION, 0, NULL);
  }
  return pl_ok(res, &opt, err);
}

static wasm_status kv_set(void *env, cm_instance *caller, const cm_val *a, size_t na,
                          cm_val *res, wasm_error *err) {
  kv_call c;
  wasm_status st;
  if (!kv_key_call(&c, env, a, res, &st, err)) return st;
  size_t len;
  uint8_t *val = pl_arg_bytes(&a[2], &len);
  if (!val) {
    free(c.key);
    return pl_nomem(err);
  }
  st = c.bk->set(c.bk, c.scope, c.bucket, c.key, val, len, &c.be);
  free(c.key);
  free(val);
  return st ? kv_other(res, c.be.message, err) : pl_ok(res, NULL, err);
}

static wasm_status kv_delete(void *env, cm_instance *caller, const cm_val *a, size_t na,
                             cm_val *res, wasm_error *err) {
  kv_call c;
  wasm_status st;
  if (!kv_key_call(&c, env, a, res, &st, err)) return st;
  st = c.bk->del(c.bk, c.scope, c.bucket, c.key, &c.be);
  free(c.key);
  return st ? kv_other(res, c.be.message, err) : pl_ok(res, NULL, err);
}

static wasm_status kv_exists(void *env, cm_instance *caller, const cm_val *a, size_t na,
                             cm_val *res, wasm_error *err) {
  kv_call c;
  wasm_status st;
  if (!kv_key_call(&c, env, a, res, &st, err)) return st;
  bool found = false;
  uint8_t *val = NULL;
  size_t len;
  st = c.bk->get(c.bk, c.scope, c.bucket, c.key, &val, &len, &found, &c.be);
  free(c.key);
  free(val);
  if (st) return kv_other(res, c.be.message, err);
  cm_val v = pl_bool(found);
  return pl_ok(res, &v, err);
}

static wasm_status kv_list_keys(void *env, cm_instance *caller, const cm_val *a, size_t na,
                                cm_val *res, wasm_error *err) {
  kv_call c;
  if (!kv_bucket_call(&c, env, a, err)) return WASM_TRAP;
  uint64_t start = 0;
  if (a[1].of.variant.disc == 1 && a[1].of.variant.payload) start = a[1].of.variant.payload->of.u;
  char **keys = NULL;
  size_t n = 0;
  if (c.bk->keys(c.bk, c.scope, c.bucket, &keys, &n, &c.be))
    return kv_other(res, c.be.message, err);
  size_t from = start < n ? (size_t)start : n;
  size_t cnt = n - from < PLUGIN_KV_PAGE ? n - from : PLUGIN_KV_PAGE;
  cm_val rec, list, cur;
  bool ok = cm_val_agg(&list, CM_LIST, cnt);
  for (size_t i = 0; ok && i < cnt; i++) ok = pl_cstr(&list.of.list.elems[i], keys[from + i]);
  pl_strs_free(keys, n);
  if (!ok) {
    cm_val_free(&list);
    return pl_nomem(err);
  }
  if (from + cnt < n) {
    cm_val next = pl_u64(from + cnt);
    cm_val_case(&cur, CM_OPTION, 1, &next);
  } else {
    cm_val_case(&cur, CM_OPTION, 0, NULL);
  }
  if (!cm_val_agg(&rec, CM_RECORD, 2)) {
    cm_val_free(&list);
    cm_val_free(&cur);
    return pl_nomem(err);
  }
  rec.of.list.elems[0] = list;
  rec.of.list.elems[1] = cur;
  return pl_ok(res, &rec, err);
}

/* ---- atomics ---- */

static wasm_status kv_increment(void *env, cm_instance *caller, const cm_val *a, size_t na,
                                cm_val *res, wasm_error *err) {
  kv_call c;
  wasm_status st;
  if (!kv_key_call(&c, env, a, res, &st, err)) return st;
  uint64_t out = 0;
  st = c.bk->increment(c.bk, c.scope, c.bucket, c.key, a[2].of.u, &out, &c.be);
  free(c.key);
  if (st) return kv_other(res, c.be.message, err);
  cm_val v = pl_u64(out);
  return pl_ok(res, &v, err);
}

/* ---- batch ---- */

static wasm_status kv_get_many(void *env, cm_instance *caller, const cm_val *a, size_t na,
                               cm_val *res, wasm_error *err) {
  kv_call c;
  if (!kv_bucket_call(&c, env, a, err)) return WASM_TRAP;
  size_t n = a[1].of.list.n;
  cm_val list;
  if (!cm_val_agg(&list, CM_LIST, n)) return pl_nomem(err);
  for (size_t i = 0; i < n; i++) {
    wasm_status st = WASM_OK;
    char *key = key_arg(&a[1].of.list.elems[i], res, &st, err);
    if (!key) {
      cm_val_free(&list);
      return st;
    }
    uint8_t *val = NULL;
    size_t len = 0;
    bool found = false;
    if (c.bk->get(c.bk, c.scope, c.bucket, key, &val, &len, &found, &c.be)) {
      free(key);
      cm_val_free(&list);
      return kv_other(res, c.be.message, err);
    }
    cm_val *o = &list.of.list.elems[i];
    if (!found) {
      cm_val_case(o, CM_OPTION, 0, NULL);
      free(key);
      continue;
    }
    cm_val t;
    bool ok = cm_val_agg(&t, CM_TUPLE, 2) && pl_cstr(&t.of.list.elems[0], key) &&
              cm_val_bytes(&t.of.list.elems[1], val, len);
    free(key);
    free(val);
    if (!ok) cm_val_free(&t);
    if (!ok || !cm_val_case(o, CM_OPTION, 1, &t)) {
      cm_val_free(&list);
      return pl_nomem(err);
    }
  }
  return pl_ok(res, &list, err);
}

static wasm_status kv_set_many(void *env, cm_instance *caller, const cm_val *a, size_t na,
                               cm_val *res, wasm_error *err) {
  kv_call c;
  if (!kv_bucket_call(&c, env, a, err)) return WASM_TRAP;
  for (size_t i = 0; i < a[1].of.list.n; i++) {
    const cm_val *t = &a[1].of.list.elems[i];
    wasm_status st = WASM_OK;
    char *key = key_arg(&t->of.list.elems[0], res, &st, err);
    if (!key) return st;
    size_t len;
    uint8_t *val = pl_arg_bytes(&t->of.list.elems[1], &len);
    st = val ? c.bk->set(c.bk, c.scope, c.bucket, key, val, len, &c.be) : WASM_NOMEM;
    free(key);
    free(val);
    if (!val) return pl_nomem(err);
    if (st) return kv_other(res, c.be.message, err); /* no rollback, as the WIT says */
  }
  return pl_ok(res, NULL, err);
}

static wasm_status kv_delete_many(void *env, cm_instance *caller, const cm_val *a, size_t na,
                                  cm_val *res, wasm_error *err) {
  kv_call c;
  if (!kv_bucket_call(&c, env, a, err)) return WASM_TRAP;
  for (size_t i = 0; i < a[1].of.list.n; i++) {
    wasm_status st = WASM_OK;
    char *key = key_arg(&a[1].of.list.elems[i], res, &st, err);
    if (!key) return st;
    st = c.bk->del(c.bk, c.scope, c.bucket, key, &c.be);
    free(key);
    if (st) return kv_other(res, c.be.message, err);
  }
  return pl_ok(res, NULL, err);
}

/* ---- the interfaces ---- */

static const char WIT_STORE[] =
    "interface store {\n"
    "  variant error { no-such-store, access-denied, other(string) }\n"
    "  record key-response { keys: list<string>, cursor: option<u64> }\n"
    "  open: func(identifier: string) -> result<bucket, error>;\n"
    "  resource bucket {\n"
    "    get: func(key: string) -> result<option<list<u8>>, error>;\n"
    "    set: func(key: string, value: list<u8>) -> result<_, error>;\n"
    "    delete: func(key: string) -> result<_, error>;\n"
    "    exists: func(key: string) -> result<bool, error>;\n"
    "    list-keys: func(cursor: option<u64>) -> result<key-response, error>;\n"
    "  }\n"
    "}\n";

static const char WIT_ATOMICS[] =
    "interface atomics {\n"
    "  use store.{bucket, error};\n"
    "  increment: func(bucket: borrow<bucket>, key: string, delta: u64) -> result<u64, error>;\n"
    "}\n";

static const char WIT_BATCH[] =
    "interface batch {\n"
    "  use store.{bucket, error};\n"
    "  get-many: func(bucket: borrow<bucket>, keys: list<string>)\n"
    "    -> result<list<option<tuple<string, list<u8>>>>, error>;\n"
    "  set-many: func(bucket: borrow<bucket>, key-values: list<tuple<string, list<u8>>>)\n"
    "    -> result<_, error>;\n"
    "  delete-many: func(bucket: borrow<bucket>, keys: list<string>) -> result<_, error>;\n"
    "}\n";

static wasm_status kv_item_link(plugin *p, plugin_item *item, cm_linker *l, wasm_error *err) {
  kv_item *it = item->state;
  if (!it) return pl_fail(err, WASM_BAD_ARG, "wasi-keyvalue: item not bound");
  kv_link *k = pl_item_link_new(&it->b, sizeof *k);
  if (!k) return pl_fail(err, WASM_NOMEM, "out of memory");
  k->it = it;
  k->l = l;
  wasm_status st = WASM_OK;
  /* deny by default: only what the grants name */
  if (pl_granted(item, "wasi", "keyvalue", "store")) {
    cm_host_entry e[] = {
        {"open", kv_open, NULL, k},
        {"[method]bucket.get", kv_get, NULL, k},
        {"[method]bucket.set", kv_set, NULL, k},
        {"[method]bucket.delete", kv_delete, NULL, k},
        {"[method]bucket.exists", kv_exists, NULL, k},
        {"[method]bucket.list-keys", kv_list_keys, NULL, k},
        {"[resource-drop]bucket", NULL, kv_drop, k},
    };
    st = cm_linker_define_interface(l, KV_STORE, WIT_STORE, e, sizeof e / sizeof e[0], err);
  }
  k->bucket = cm_linker_resource(l, KV_STORE, "bucket");
  if (!st && pl_granted(item, "wasi", "keyvalue", "atomics")) {
    cm_host_entry e[] = {{"increment", kv_increment, NULL, k}};
    st = cm_linker_define_interface(l, KV_ATOMICS, WIT_ATOMICS, e, 1, err);
  }
  if (!st && pl_granted(item, "wasi", "keyvalue", "batch")) {
    cm_host_entry e[] = {{"get-many", kv_get_many, NULL, k},
                         {"set-many", kv_set_many, NULL, k},
                         {"delete-many", kv_delete_many, NULL, k}};
    st = cm_linker_define_interface(l, KV_BATCH, WIT_BATCH, e, 3, err);
  }
  return st;
}

static wasm_status kv_item_bind(plugin *p, plugin_item *item, wasm_error *err) {
  kv_item *it = calloc(1, sizeof *it);
  if (!it) return pl_fail(err, WASM_NOMEM, "out of memory");
  wasm_status st = pl_item_init(&it->b, item, err);
  if (st) {
    free(it);
    return st;
  }
  it->self = p->self;
  item->state = it;
  return WASM_OK;
}

static void kv_item_unbind(plugin *p, plugin_item *item) {
  kv_item *it = item->state;
  if (!it) return;
  pl_table_drain(&it->self->objs, it); /* buckets instances did not drop */
  pl_item_fini(&it->b);
  free(it);
  item->state = NULL;
}

static void kv_destroy(plugin *p) {
  kv_self *s = p->self;
  if (s) {
    pl_table_destroy(&s->objs);
    if (s->be && s->be->destroy) s->be->destroy(s->be);
  }
  pl_plugin_free(p);
}

plugin *plugin_keyvalue_new(plugin_kv_backend *b) {
  plugin *p = b ? pl_plugin_new(sizeof(kv_self)) : NULL;
  if (!p) {
    if (b && b->destroy) b->destroy(b);
    return NULL;
  }
  kv_self *s = p->self;
  s->be = b;
  pl_table_init(&s->objs, free_obj);
  p->id = "wasi-keyvalue";
  p->imports = "wasi:keyvalue/store,atomics,batch@" KV_VER;
  p->item_bind = kv_item_bind;
  p->item_link = kv_item_link;
  p->item_unbind = kv_item_unbind;
  p->destroy = kv_destroy;
  return p;
}
