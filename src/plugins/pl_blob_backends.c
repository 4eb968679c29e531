/* pl_blob_backends.c: the embedded blob stores of wasi-blobstore: memory
 * (containers of objects in hash maps, one lock) and directory (a
 * directory per container holding a `.created` stamp and one file per
 * object, written by rename; an object's created-at is its file's mtime,
 * i.e. when it was last written). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugins/pl_internal.h"

/* ---- memory ---- */

typedef struct bm_obj {
  uint64_t created;
  size_t len;
  uint8_t data[];
} bm_obj;

typedef struct bm_container {
  uint64_t created;
  pl_hmap objs; /* name -> bm_obj */
} bm_container;

typedef struct bm {
  pthread_mutex_t mu;
  pl_hmap containers; /* "<len(scope)>:<scope><name>" -> bm_container */
} bm;

static void container_free(void *p) {
  bm_container *c = p;
  pl_hmap_clear(&c->objs, free);
  free(c);
}

static char *bm_key(const char *scope, const char *name) {
  size_t n = strlen(scope) + strlen(name) + 32;
  char *k = malloc(n);
  if (k) snprintf(k, n, "%zu:%s%s", strlen(scope), scope, name);
  return k;
}

/* Runs with the lock held: the container, or NULL (err filled). */
static bm_container *bm_find(bm *m, const char *scope, const char *name, wasm_error *err) {
  char *k = bm_key(scope, name);
  if (!k) {
    pl_fail(err, WASM_NOMEM, "out of memory");
    return NULL;
  }
  bm_container *c = pl_hmap_get(&m->containers, k);
  free(k);
  if (!c) pl_fail(err, WASM_BAD_ARG, "container `%.200s` does not exist", name);
  return c;
}

static wasm_status bm_create(plugin_blob_backend *b, const char *scope, const char *name,
                             wasm_error *err) {
  bm *m = b->self;
  char *k = bm_key(scope, name);
  bm_container *c = calloc(1, sizeof *c);
  wasm_status st = WASM_OK;
  pthread_mutex_lock(&m->mu);
  void *old = NULL;
  if (!k || !c) {
    st = pl_fail(err, WASM_NOMEM, "out of memory");
  } else if (pl_hmap_get(&m->containers, k)) {
    st = pl_fail(err, WASM_BAD_ARG, "container `%.200s` already exists", name);
  } else {
    c->created = pl_now_secs();
    if (!pl_hmap_put(&m->containers, k, c, &old)) st = pl_fail(err, WASM_NOMEM, "out of memory");
    else c = NULL;
  }
  pthread_mutex_unlock(&m->mu);
  free(k);
  free(c);
  return st;
}

static wasm_status bm_stat(plugin_blob_backend *b, const char *scope, const char *name,
                           bool *found, uint64_t *created, wasm_error *err) {
  bm *m = b->self;
  char *k = bm_key(scope, name);
  if (!k) return pl_fail(err, WASM_NOMEM, "out of memory");
  pthread_mutex_lock(&m->mu);
  bm_container *c = pl_hmap_get(&m->containers, k);
  *found = c != NULL;
  if (c && created) *created = c->created;
  pthread_mutex_unlock(&m->mu);
  free(k);
  return WASM_OK;
}

static wasm_status bm_destroy_container(plugin_blob_backend *b, const char *scope,
                                        const char *name, wasm_error *err) {
  bm *m = b->self;
  char *k = bm_key(scope, name);
  if (!k) return pl_fail(err, WASM_NOMEM, "out of memory");
  pthread_mutex_lock(&m->mu);
  bm_container *c = pl_hmap_del(&m->containers, k);
  pthread_mutex_unlock(&m->mu);
  free(k);
  if (!c) return pl_fail(err, WASM_BAD_ARG, "container `%.200s` does not exist", name);
  container_free(c);
  return WASM_OK;
}

static wasm_status bm_put(plugin_blob_backend *b, const char *scope, const char *container,
                          const char *object, const uint8_t *data, size_t len, wasm_error *err) {
  bm *m = b->self;
  bm_obj *o = malloc(sizeof *o + (len ? len : 1));
  if (!o) return pl_fail(err, WASM_NOMEM, "out of memory");
  o->created = pl_now_secs();
  o->len = len;
  if (len) memcpy(o->data, data, len);
  pthread_mutex_lock(&m->mu);
  bm_container *c = bm_find(m, scope, container, err);
  void *old = NULL;
  bool ok = c && pl_hmap_put(&c->objs, object, o, &old);
  if (c && !ok) pl_fail(err, WASM_NOMEM, "out of memory");
  pthread_mutex_unlock(&m->mu);
  free(old);
  if (!ok) free(o);
  return ok ? WASM_OK : err->status;
}

static wasm_status bm_get(plugin_blob_backend *b, const char *scope, const char *container,
                          const char *object, uint8_t **data, uint64_t *size, uint64_t *created,
                          bool *found, wasm_error *err) {
  bm *m = b->self;
  *found = false;
  wasm_status st = WASM_OK;
  pthread_mutex_lock(&m->mu);
  bm_container *c = bm_find(m, scope, container, err);
  bm_obj *o = c ? pl_hmap_get(&c->objs, object) : NULL;
  if (!c) {
    st = err->status;
  } else if (o) {
    *found = true;
    if (size) *size = o->len;
    if (created) *created = o->created;
    if (data) {
      *data = malloc(o->len ? o->len : 1);
      if (*data) memcpy(*data, o->data, o->len);
      else st = pl_fail(err, WASM_NOMEM, "out of memory");
    }
  }
  pthread_mutex_unlock(&m->mu);
  return st;
}

static wasm_status bm_del(plugin_blob_backend *b, const char *scope, const char *container,
                          const char *object, wasm_error *err) {
  bm *m = b->self;
  pthread_mutex_lock(&m->mu);
  bm_container *c = bm_find(m, scope, container, err);
  if (c) free(pl_hmap_del(&c->objs, object));
  pthread_mutex_unlock(&m->mu);
  return c ? WASM_OK : err->status;
}

static wasm_status bm_list(plugin_blob_backend *b, const char *scope, const char *container,
                           char ***names, size_t *n, wasm_error *err) {
  bm *m = b->self;
  pthread_mutex_lock(&m->mu);
  bm_container *c = bm_find(m, scope, container, err);
  bool ok = c && pl_hmap_keys(&c->objs, names, n);
  if (c && !ok) pl_fail(err, WASM_NOMEM, "out of memory");
  pthread_mutex_unlock(&m->mu);
  return ok ? WASM_OK : err->status;
}

static void bm_destroy(plugin_blob_backend *b) {
  bm *m = b->self;
  pl_hmap_clear(&m->containers, container_free);
  pthread_mutex_destroy(&m->mu);
  free(m);
  free(b);
}

plugin_blob_backend *plugin_blob_memory_new(void) {
  plugin_blob_backend *b = calloc(1, sizeof *b);
  bm *m = calloc(1, sizeof *m);
  if (!b || !m) {
    free(b);
    free(m);
    return NULL;
  }
  pthread_mutex_init(&m->mu, NULL);
  *b = (plugin_blob_backend){.name = "memory", .self = m, .create = bm_create, .stat = bm_stat,
                             .destroy_container = bm_destroy_container, .put = bm_put,
                             .get = bm_get, .del = bm_del, .list = bm_list,
                             .destroy = bm_destroy};
  return b;
}

/* ---- directory ---- */

typedef struct bd {
  char *root;
  pthread_mutex_t mu; /* container creation and removal */
} bd;

#define STAMP "/.created"

static wasm_status bd_dir(plugin_blob_backend *b, const char *scope, const char *container,
                          char *path, size_t max, bool must_exist, wasm_error *err) {
  bd *d = b->self;
  wasm_status st = pl_path(path, max, d->root, scope, container, NULL, err);
  if (st || !must_exist) return st;
  struct stat s;
  if (stat(path, &s) != 0 || !S_ISDIR(s.st_mode))
    return pl_fail(err, WASM_BAD_ARG, "container `%.200s` does not exist", container);
  return WASM_OK;
}

static wasm_status bd_create(plugin_blob_backend *b, const char *scope, const char *name,
                             wasm_error *err) {
  bd *d = b->self;
  char path[PATH_MAX], stamp[PATH_MAX + 16];
  wasm_status st = bd_dir(b, scope, name, path, sizeof path, false, err);
  if (st) return st;
  pthread_mutex_lock(&d->mu);
  struct stat s;
  if (stat(path, &s) == 0) {
    st = pl_fail(err, WASM_BAD_ARG, "container `%.200s` already exists", name);
  } else if (!(st = pl_mkdirs(path, err))) {
    char text[24];
    int k = snprintf(text, sizeof text, "%" PRIu64, pl_now_secs());
    snprintf(stamp, sizeof stamp, "%s" STAMP, path);
    st = pl_write_atomic(stamp, (const uint8_t *)text, (size_t)k, err);
  }
  pthread_mutex_unlock(&d->mu);
  return st;
}

static wasm_status bd_stat(plugin_blob_backend *b, const char *scope, const char *name,
                           bool *found, uint64_t *created, wasm_error *err) {
  char path[PATH_MAX], stamp[PATH_MAX + 16];
  *found = false;
  wasm_status st = bd_dir(b, scope, name, path, sizeof path, false, err);
  if (st) return st;
  struct stat s;
  if (stat(path, &s) != 0 || !S_ISDIR(s.st_mode)) return WASM_OK;
  *found = true;
  if (created) {
    *created = (uint64_t)s.st_mtime;
    snprintf(stamp, sizeof stamp, "%s" STAMP, path);
    uint8_t *text = NULL;
    size_t n;
    bool there;
    if (!pl_read_file(stamp, &text, &n, &there, err) && there) {
      uint64_t v;
      if (pl_counter_parse(text, n, &v)) *created = v;
    }
    free(text);
  }
  return WASM_OK;
}

static wasm_status bd_destroy_container(plugin_blob_backend *b, const char *scope,
                                        const char *name, wasm_error *err) {
  bd *d = b->self;
  char path[PATH_MAX];
  wasm_status st = bd_dir(b, scope, name, path, sizeof path, true, err);
  if (st) return st;
  pthread_mutex_lock(&d->mu);
  st = pl_remove_tree(path, err);
  pthread_mutex_unlock(&d->mu);
  return st;
}

static wasm_status bd_put(plugin_blob_backend *b, const char *scope, const char *container,
                          const char *object, const uint8_t *data, size_t len, wasm_error *err) {
  bd *d = b->self;
  char path[PATH_MAX];
  wasm_status st = bd_dir(b, scope, container, path, sizeof path, true, err);
  if (!st) st = pl_path(path, sizeof path, d->root, scope, container, object, err);
  return st ? st : pl_write_atomic(path, data, len, err);
}

static wasm_status bd_get(plugin_blob_backend *b, const char *scope, const char *container,
                          const char *object, uint8_t **data, uint64_t *size, uint64_t *created,
                          bool *found, wasm_error *err) {
  bd *d = b->self;
  char path[PATH_MAX];
  size_t n = 0;
  *found = false;
  wasm_status st = bd_dir(b, scope, container, path, sizeof path, true, err);
  if (!st) st = pl_path(path, sizeof path, d->root, scope, container, object, err);
  if (!st) st = pl_read_file(path, data, &n, found, err);
  if (!st && *found) {
    struct stat s;
    if (size) *size = n;
    if (created) *created = stat(path, &s) == 0 ? (uint64_t)s.st_mtime : pl_now_secs();
  }
  return st;
}

static wasm_status bd_del(plugin_blob_backend *b, const char *scope, const char *container,
                          const char *object, wasm_error *err) {
  bd *d = b->self;
  char path[PATH_MAX];
  wasm_status st = bd_dir(b, scope, container, path, sizeof path, true, err);
  if (!st) st = pl_path(path, sizeof path, d->root, scope, container, object, err);
  if (!st && unlink(path) != 0 && errno != ENOENT)
    st = pl_fail(err, WASM_BAD_ARG, "cannot delete `%.200s`: %s", object, strerror(errno));
  return st;
}

static wasm_status bd_list(plugin_blob_backend *b, const char *scope, const char *container,
                           char ***names, size_t *n, wasm_error *err) {
  char path[PATH_MAX];
  wasm_status st = bd_dir(b, scope, container, path, sizeof path, true, err);
  return st ? st : pl_list_dir(path, false, names, n, err);
}

static void bd_destroy(plugin_blob_backend *b) {
  bd *d = b->self;
  pthread_mutex_destroy(&d->mu);
  free(d->root);
  free(d);
  free(b);
}

wasm_status plugin_blob_dir_new(const char *dir, plugin_blob_backend **out, wasm_error *err) {
  *out = NULL;
  if (!dir || !*dir) return pl_fail(err, WASM_BAD_ARG, "blobstore: no directory");
  wasm_status st = pl_mkdirs(dir, err);
  if (st) return st;
  plugin_blob_backend *b = calloc(1, sizeof *b);
  bd *d = calloc(1, sizeof *d);
  char *root = realpath(dir, NULL);
  if (!b || !d || !root) {
    free(b);
    free(d);
    free(root);
    return pl_fail(err, WASM_NOMEM, "blobstore: cannot use %s", dir);
  }
  d->root = root;
  pthread_mutex_init(&d->mu, NULL);
  *b = (plugin_blob_backend){.name = "directory", .self = d, .create = bd_create,
                             .stat = bd_stat, .destroy_container = bd_destroy_container,
                             .put = bd_put, .get = bd_get, .del = bd_del, .list = bd_list,
                             .destroy = bd_destroy};
  *out = b;
  return WASM_OK;
}
