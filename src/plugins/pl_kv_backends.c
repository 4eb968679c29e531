/* pl_kv_backends.c: the embedded key-value backends of wasi-keyvalue:
 * memory (a hash map per bucket, a lock per bucket) and directory (a
 * directory per bucket, a file per key, atomic writes by rename; one lock
 * per backend serialises writers in this process, so increment is atomic
 * here; several processes sharing a directory are not coordinated). */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/pl_internal.h"

/* ---- memory ---- */

typedef struct kvm_val {
  size_t len;
  uint8_t data[];
} kvm_val;

typedef struct kvm_bucket {
  pthread_mutex_t mu;
  pl_hmap entries; /* key -> kvm_val */
} kvm_bucket;

typedef struct kvm {
  pthread_mutex_t mu;
  pl_hmap buckets; /* "<len(scope)>:<scope><bucket>" -> kvm_bucket */
} kvm;

static void bucket_free(void *p) {
  kvm_bucket *b = p;
  pl_hmap_clear(&b->entries, free);
  pthread_mutex_destroy(&b->mu);
  free(b);
}

/* The bucket (created when create), or NULL (err filled). */
static kvm_bucket *kvm_find(plugin_kv_backend *be, const char *scope, const char *bucket,
                            bool create, wasm_error *err) {
  kvm *m = be->self;
  size_t n = strlen(scope) + strlen(bucket) + 32;
  char *key = malloc(n);
  if (!key) {
    pl_fail(err, WASM_NOMEM, "out of memory");
    return NULL;
  }
  snprintf(key, n, "%zu:%s%s", strlen(scope), scope, bucket);
  pthread_mutex_lock(&m->mu);
  kvm_bucket *b = pl_hmap_get(&m->buckets, key);
  if (!b && create) {
    void *old;
    b = calloc(1, sizeof *b);
    if (b) pthread_mutex_init(&b->mu, NULL);
    if (b && !pl_hmap_put(&m->buckets, key, b, &old)) {
      bucket_free(b);
      b = NULL;
    }
    if (!b) pl_fail(err, WASM_NOMEM, "out of memory");
  } else if (!b) {
    pl_fail(err, WASM_BAD_ARG, "no bucket `%s`", bucket);
  }
  pthread_mutex_unlock(&m->mu);
  free(key);
  return b;
}

static wasm_status kvm_open(plugin_kv_backend *be, const char *scope, const char *bucket,
                            wasm_error *err) {
  return kvm_find(be, scope, bucket, true, err) ? WASM_OK : err->status;
}

static wasm_status kvm_get(plugin_kv_backend *be, const char *scope, const char *bucket,
                           const char *key, uint8_t **val, size_t *len, bool *found,
                           wasm_error *err) {
  *found = false;
  kvm_bucket *b = kvm_find(be, scope, bucket, false, err);
  if (!b) return err->status;
  wasm_status st = WASM_OK;
  pthread_mutex_lock(&b->mu);
  kvm_val *v = pl_hmap_get(&b->entries, key);
  if (v) {
    *val = malloc(v->len ? v->len : 1);
    if (*val) {
      memcpy(*val, v->data, v->len);
      *len = v->len;
      *found = true;
    } else {
      st = pl_fail(err, WASM_NOMEM, "out of memory");
    }
  }
  pthread_mutex_unlock(&b->mu);
  return st;
}

/* Stores a copy of val at key, with the bucket locked. */
static wasm_status kvm_put_locked(kvm_bucket *b, const char *key, const uint8_t *val,
                                  size_t len, wasm_error *err) {
  kvm_val *v = malloc(sizeof *v + (len ? len : 1));
  if (!v) return pl_fail(err, WASM_NOMEM, "out of memory");
  v->len = len;
  if (len) memcpy(v->data, val, len);
  void *old;
  if (!pl_hmap_put(&b->entries, key, v, &old)) {
    free(v);
    return pl_fail(err, WASM_NOMEM, "out of memory");
  }
  free(old);
  return WASM_OK;
}

static wasm_status kvm_set(plugin_kv_backend *be, const char *scope, const char *bucket,
                           const char *key, const uint8_t *val, size_t len, wasm_error *err) {
  kvm_bucket *b = kvm_find(be, scope, bucket, false, err);
  if (!b) return err->status;
  pthread_mutex_lock(&b->mu);
  wasm_status st = kvm_put_locked(b, key, val, len, err);
  pthread_mutex_unlock(&b->mu);
  return st;
}

static wasm_status kvm_del(plugin_kv_backend *be, const char *scope, const char *bucket,
                           const char *key, wasm_error *err) {
  kvm_bucket *b = kvm_find(be, scope, bucket, false, err);
  if (!b) return err->status;
  pthread_mutex_lock(&b->mu);
  free(pl_hmap_del(&b->entries, key));
  pthread_mutex_unlock(&b->mu);
  return WASM_OK;
}

static wasm_status kvm_keys(plugin_kv_backend *be, const char *scope, const char *bucket,
                            char ***keys, size_t *n, wasm_error *err) {
  kvm_bucket *b = kvm_find(be, scope, bucket, false, err);
  if (!b) return err->status;
  pthread_mutex_lock(&b->mu);
  bool ok = pl_hmap_keys(&b->entries, keys, n);
  pthread_mutex_unlock(&b->mu);
  return ok ? WASM_OK : pl_fail(err, WASM_NOMEM, "out of memory");
}

static wasm_status kvm_increment(plugin_kv_backend *be, const char *scope, const char *bucket,
                                 const char *key, uint64_t delta, uint64_t *out,
                                 wasm_error *err) {
  kvm_bucket *b = kvm_find(be, scope, bucket, false, err);
  if (!b) return err->status;
  pthread_mutex_lock(&b->mu);
  kvm_val *v = pl_hmap_get(&b->entries, key);
  uint64_t cur = 0;
  wasm_status st = WASM_OK;
  if (v && !pl_counter_parse(v->data, v->len, &cur))
    st = pl_fail(err, WASM_BAD_ARG, "the value of `%.200s` is not a counter", key);
  if (!st) {
    char text[24];
    int k = snprintf(text, sizeof text, "%" PRIu64, cur + delta);
    st = kvm_put_locked(b, key, (const uint8_t *)text, (size_t)k, err);
    if (!st) *out = cur + delta;
  }
  pthread_mutex_unlock(&b->mu);
  return st;
}

static void kvm_destroy(plugin_kv_backend *be) {
  kvm *m = be->self;
  pl_hmap_clear(&m->buckets, bucket_free);
  pthread_mutex_destroy(&m->mu);
  free(m);
  free(be);
}

plugin_kv_backend *plugin_kv_memory_new(void) {
  plugin_kv_backend *be = calloc(1, sizeof *be);
  kvm *m = calloc(1, sizeof *m);
  if (!be || !m) {
    free(be);
    free(m);
    return NULL;
  }
  pthread_mutex_init(&m->mu, NULL);
  *be = (plugin_kv_backend){.name = "memory", .self = m, .open = kvm_open, .get = kvm_get,
                            .set = kvm_set, .del = kvm_del, .keys = kvm_keys,
                            .increment = kvm_increment, .destroy = kvm_destroy};
  return be;
}

/* ---- directory ---- */

typedef struct kvd {
  char *root;
  pthread_mutex_t mu; /* writers */
} kvd;

static wasm_status kvd_open(plugin_kv_backend *be, const char *scope, const char *bucket,
                            wasm_error *err) {
  kvd *d = be->self;
  char path[PATH_MAX];
  wasm_status st = pl_path(path, sizeof path, d->root, scope, bucket, NULL, err);
  return st ? st : pl_mkdirs(path, err);
}

static wasm_status kvd_get(plugin_kv_backend *be, const char *scope, const char *bucket,
                           const char *key, uint8_t **val, size_t *len, bool *found,
                           wasm_error *err) {
  kvd *d = be->self;
  char path[PATH_MAX];
  *found = false;
  wasm_status st = pl_path(path, sizeof path, d->root, scope, bucket, key, err);
  return st ? st : pl_read_file(path, val, len, found, err);
}

static wasm_status kvd_set(plugin_kv_backend *be, const char *scope, const char *bucket,
                           const char *key, const uint8_t *val, size_t len, wasm_error *err) {
  kvd *d = be->self;
  char path[PATH_MAX];
  wasm_status st = pl_path(path, sizeof path, d->root, scope, bucket, key, err);
  if (st) return st;
  pthread_mutex_lock(&d->mu);
  st = pl_write_atomic(path, val, len, err);
  pthread_mutex_unlock(&d->mu);
  return st;
}

static wasm_status kvd_del(plugin_kv_backend *be, const char *scope, const char *bucket,
                           const char *key, wasm_error *err) {
  kvd *d = be->self;
  char path[PATH_MAX];
  wasm_status st = pl_path(path, sizeof path, d->root, scope, bucket, key, err);
  if (st) return st;
  pthread_mutex_lock(&d->mu);
  st = pl_remove_tree(path, err);
  pthread_mutex_unlock(&d->mu);
  return st;
}

static wasm_status kvd_keys(plugin_kv_backend *be, const char *scope, const char *bucket,
                            char ***keys, size_t *n, wasm_error *err) {
  kvd *d = be->self;
  char path[PATH_MAX];
  wasm_status st = pl_path(path, sizeof path, d->root, scope, bucket, NULL, err);
  return st ? st : pl_list_dir(path, true, keys, n, err);
}

static wasm_status kvd_increment(plugin_kv_backend *be, const char *scope, const char *bucket,
                                 const char *key, uint64_t delta, uint64_t *out,
                                 wasm_error *err) {
  kvd *d = be->self;
  char path[PATH_MAX];
  wasm_status st = pl_path(path, sizeof path, d->root, scope, bucket, key, err);
  if (st) return st;
  pthread_mutex_lock(&d->mu);
  uint8_t *val = NULL;
  size_t len = 0;
  bool found;
  uint64_t cur = 0;
  st = pl_read_file(path, &val, &len, &found, err);
  if (!st && found && !pl_counter_parse(val, len, &cur))
    st = pl_fail(err, WASM_BAD_ARG, "the value of `%.200s` is not a counter", key);
  if (!st) {
    char text[24];
    int k = snprintf(text, sizeof text, "%" PRIu64, cur + delta);
    st = pl_write_atomic(path, (const uint8_t *)text, (size_t)k, err);
    if (!st) *out = cur + delta;
  }
  pthread_mutex_unlock(&d->mu);
  free(val);
  return st;
}

static void kvd_destroy(plugin_kv_backend *be) {
  kvd *d = be->self;
  pthread_mutex_destroy(&d->mu);
  free(d->root);
  free(d);
  free(be);
}

wasm_status plugin_kv_dir_new(const char *dir, plugin_kv_backend **out, wasm_error *err) {
  *out = NULL;
  if (!dir || !*dir) return pl_fail(err, WASM_BAD_ARG, "keyvalue: no directory");
  wasm_status st = pl_mkdirs(dir, err);
  if (st) return st;
  plugin_kv_backend *be = calloc(1, sizeof *be);
  kvd *d = calloc(1, sizeof *d);
  char *root = realpath(dir, NULL);
  if (!be || !d || !root) {
    free(be);
    free(d);
    free(root);
    return pl_fail(err, WASM_NOMEM, "keyvalue: cannot use %s", dir);
  }
  d->root = root;
  pthread_mutex_init(&d->mu, NULL);
  *be = (plugin_kv_backend){.name = "directory", .self = d, .open = kvd_open, .get = kvd_get,
                            .set = kvd_set, .del = kvd_del, .keys = kvd_keys,
                            .increment = kvd_increment, .destroy = kvd_destroy};
  *out = be;
  return WASM_OK;
}
