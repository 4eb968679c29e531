/* pl_blobstore.c: the wasi-blobstore plugin, wasi:blobstore/blobstore,
 * container and types @0.2.0-draft over a plugin_blob_backend, with the
 * grant's `buckets` allow-list and `read_only` both enforced.
 *
 * An outgoing-value collects what its output stream writes in a buffer
 * (shared by the two, reference-counted). container.write-data stores
 * the buffer as it is and remembers where; finish stores it again when
 * more was written since, so both orders guests use work (write the body
 * then write-data, or write-data then the body then finish). An
 * incoming-value holds a copy of the bytes asked for. */
#include <stdlib.h>
#include <string.h>

#include "plugins/pl_internal.h"

#define BS_VER "0.2.0-draft"
#define BS_BLOBSTORE "wasi:blobstore/blobstore@" BS_VER
#define BS_CONTAINER "wasi:blobstore/container@" BS_VER
#define BS_TYPES "wasi:blobstore/types@" BS_VER

enum { BS_CONT = 1, BS_NAMES, BS_OUT, BS_IN };

typedef struct bs_self {
  plugin_blob_backend *be;
  pl_table objs;
} bs_self;

typedef struct bs_item {
  pl_item b; /* scope, links */
  bs_self *self;
  char **allow; /* the `buckets` allow-list */
  size_t nallow;
  bool has_allow, read_only;
} bs_item;

typedef struct bs_link {
  pl_link link;
  bs_item *it;
  cm_linker *l;
  wasi2_ctx *w;
  cm_host_resource *r[5]; /* by object kind */
} bs_link;

/* ---- objects ---- */

typedef struct bs_buf {
  int refs; /* under buf_mu */
  uint8_t *p;
  size_t n, cap;
  uint64_t writes; /* bumps with each write */
} bs_buf;

static pthread_mutex_t buf_mu = PTHREAD_MUTEX_INITIALIZER;

static void buf_unref(bs_buf *b) {
  pthread_mutex_lock(&buf_mu);
  bool last = --b->refs == 0;
  pthread_mutex_unlock(&buf_mu);
  if (last) {
    free(b->p);
    free(b);
  }
}

typedef struct bs_out {
  bs_buf *buf;
  bool body_taken;
  char *container, *object; /* set by write-data */
  uint64_t stored_writes;   /* buf->writes when last stored */
} bs_out;

typedef struct bs_in {
  uint8_t *p;
  size_t n;
} bs_in;

typedef struct bs_names {
  char **v;
  size_t n, pos;
} bs_names;

static void free_obj(uint8_t kind, void *p) {
  if (!p) return;
  if (kind == BS_CONT) {
    free(p);
  } else if (kind == BS_NAMES) {
    bs_names *s = p;
    pl_strs_free(s->v, s->n);
    free(s);
  } else if (kind == BS_OUT) {
    bs_out *o = p;
    buf_unref(o->buf);
    free(o->container);
    free(o->object);
    free(o);
  } else if (kind == BS_IN) {
    bs_in *i = p;
    free(i->p);
    free(i);
  }
}

static void *obj_of(bs_link *k, uint8_t kind, const cm_val *h, uint32_t *rep, wasm_error *err) {
  return pl_handle_obj(&k->it->self->objs, k->l, k->r[kind], kind, h, rep, err);
}

static wasm_status obj_new(bs_link *k, uint8_t kind, void *p, cm_val *out, wasm_error *err) {
  return pl_handle_new(&k->it->self->objs, k->l, k->r[kind], kind, k->it, p, out, err);
}

static void drop_fn(bs_link *k, uint8_t kind, uint32_t rep) {
  free_obj(kind, pl_table_take(&k->it->self->objs, rep, kind));
}
static void drop_cont(void *env, uint32_t rep) { drop_fn(env, BS_CONT, rep); }
static void drop_names(void *env, uint32_t rep) { drop_fn(env, BS_NAMES, rep); }
static void drop_out(void *env, uint32_t rep) { drop_fn(env, BS_OUT, rep); }
static void drop_in(void *env, uint32_t rep) { drop_fn(env, BS_IN, rep); }

/* ---- policy ---- */

/* Whether the item may use container (and write when write); else a
 * guest-visible error in res. */
static bool allowed(bs_item *it, const char *container, bool write, cm_val *res,
                    wasm_status *st, wasm_error *err) {
  bool ok = !it->has_allow;
  for (size_t i = 0; !ok && i < it->nallow; i++) ok = strcmp(it->allow[i], container) == 0;
  if (!ok) {
    *st = pl_err_str(res, err, "unauthorized: container `%.200s` is not in the buckets allow-list",
                     container);
    return false;
  }
  if (write && it->read_only) {
    *st = pl_err_str(res, err, "read-only: this blobstore does not allow writes (container `%.200s`)",
                     container);
    return false;
  }
  return true;
}

/* A name argument; NULL with *st set (an error in res, or a trap). */
static char *name_arg(const cm_val *v, cm_val *res, wasm_status *st, wasm_error *err) {
  const char *why;
  char *s = pl_arg_str(v, true, &why);
  if (!s) *st = strcmp(why, "out of memory") ? pl_err_str(res, err, "%s", why) : pl_nomem(err);
  return s;
}

/* ---- blobstore ---- */

static wasm_status open_container(bs_link *k, const cm_val *a, cm_val *res, bool create,
                                  wasm_error *err) {
  wasm_status st = WASM_OK;
  char *name = name_arg(&a[0], res, &st, err);
  if (!name) return st;
  if (!allowed(k->it, name, create, res, &st, err)) {
    free(name);
    return st;
  }
  plugin_blob_backend *b = k->it->self->be;
  wasm_error be = {0};
  bool found = true;
  if (create ? b->create(b, k->it->b.scope, name, &be)
             : b->stat(b, k->it->b.scope, name, &found, NULL, &be)) {
    free(name);
    return pl_err_str(res, err, "%s", be.message);
  }
  if (!found) {
    st = pl_err_str(res, err, "container `%.200s` does not exist", name);
    free(name);
    return st;
  }
  cm_val h;
  if ((st = obj_new(k, BS_CONT, name, &h, err))) return st;
  return pl_ok(res, &h, err);
}

static wasm_status bs_create(void *env, cm_instance *c, const cm_val *a, size_t na, cm_val *res,
                             wasm_error *err) {
  return open_container(env, a, res, true, err);
}

static wasm_status bs_get_container(void *env, cm_instance *c, const cm_val *a, size_t na,
                                    cm_val *res, wasm_error *err) {
  return open_container(env, a, res, false, err);
}

static wasm_status bs_delete_container(void *env, cm_instance *c, const cm_val *a, size_t na,
                                       cm_val *res, wasm_error *err) {
  bs_link *k = env;
  wasm_status st = WASM_OK;
  char *name = name_arg(&a[0], res, &st, err);
  if (!name) return st;
  if (allowed(k->it, name, true, res, &st, err)) {
    wasm_error be = {0};
    plugin_blob_backend *b = k->it->self->be;
    st = b->destroy_container(b, k->it->b.scope, name, &be) ? pl_err_str(res, err, "%s", be.message)
                                                          : pl_ok(res, NULL, err);
  }
  free(name);
  return st;
}

static wasm_status bs_exists(void *env, cm_instance *c, const cm_val *a, size_t na, cm_val *res,
                             wasm_error *err) {
  bs_link *k = env;
  wasm_status st = WASM_OK;
  char *name = name_arg(&a[0], res, &st, err);
  if (!name) return st;
  if (allowed(k->it, name, false, res, &st, err)) {
    wasm_error be = {0};
    bool found = false;
    plugin_blob_backend *b = k->it->self->be;
    if (b->stat(b, k->it->b.scope, name, &found, NULL, &be)) {
      st = pl_err_str(res, err, "%s", be.message);
    } else {
      cm_val v = pl_bool(found);
      st = pl_ok(res, &v, err);
    }
  }
  free(name);
  return st;
}

/* copy-object / move-object: object-id records {container, object}. */
static wasm_status copy_or_move(bs_link *k, const cm_val *a, cm_val *res, bool move,
                                wasm_error *err) {
  wasm_status st = WASM_OK;
  char *n[4] = {0};
  for (int i = 0; i < 4; i++)
    if (!(n[i] = name_arg(&a[i / 2].of.list.elems[i % 2], res, &st, err))) goto done;
  if (!allowed(k->it, n[0], move, res, &st, err) || !allowed(k->it, n[2], true, res, &st, err))
    goto done;
  plugin_blob_backend *b = k->it->self->be;
  wasm_error be = {0};
  uint8_t *data = NULL;
  uint64_t size = 0;
  bool found = false;
  if (b->get(b, k->it->b.scope, n[0], n[1], &data, &size, NULL, &found, &be)) {
    st = pl_err_str(res, err, "%s", be.message);
  } else if (!found) {
    st = pl_err_str(res, err, "object `%.200s` does not exist in `%.200s`", n[1], n[0]);
  } else if (b->put(b, k->it->b.scope, n[2], n[3], data, (size_t)size, &be) ||
             (move && !(strcmp(n[0], n[2]) == 0 && strcmp(n[1], n[3]) == 0) &&
              b->del(b, k->it->b.scope, n[0], n[1], &be))) {
    st = pl_err_str(res, err, "%s", be.message);
  } else {
    st = pl_ok(res, NULL, err);
  }
  free(data);
done:
  for (int i = 0; i < 4; i++) free(n[i]);
  return st;
}

static wasm_status bs_copy(void *env, cm_instance *c, const cm_val *a, size_t na, cm_val *res,
                           wasm_error *err) {
  return copy_or_move(env, a, res, false, err);
}

static wasm_status bs_move(void *env, cm_instance *c, const cm_val *a, size_t na, cm_val *res,
                           wasm_error *err) {
  return copy_or_move(env, a, res, true, err);
}

/* ---- container ---- */

/* The container's name behind self (NULL: trap). */
static const char *cont_of(bs_link *k, const cm_val *h, wasm_error *err) {
  return obj_of(k, BS_CONT, h, NULL, err);
}

static wasm_status c_name(void *env, cm_instance *c, const cm_val *a, size_t na, cm_val *res,
                          wasm_error *err) {
  const char *name = cont_of(env, &a[0], err);
  if (!name) return WASM_TRAP;
  cm_val s;
  return pl_cstr(&s, name) ? pl_ok(res, &s, err) : pl_nomem(err);
}

static wasm_status c_info(void *env, cm_instance *c, const cm_val *a, size_t na, cm_val *res,
                          wasm_error *err) {
  bs_link *k = env;
  const char *name = cont_of(k, &a[0], err);
  if (!name) return WASM_TRAP;
  plugin_blob_backend *b = k->it->self->be;
  wasm_error be = {0};
  bool found = false;
  uint64_t created = 0;
  if (b->stat(b, k->it->b.scope, name, &found, &created, &be))
    return pl_err_str(res, err, "%s", be.message);
  if (!found) return pl_err_str(res, err, "container `%.200s` does not exist", name);
  cm_val rec;
  if (!cm_val_agg(&rec, CM_RECORD, 2) || !pl_cstr(&rec.of.list.elems[0], name)) {
    cm_val_free(&rec);
    return pl_nomem(err);
  }
  rec.of.list.elems[1] = pl_u64(created);
  return pl_ok(res, &rec, err);
}

static wasm_status c_get_data(void *env, cm_instance *c, const cm_val *a, size_t na, cm_val *res,
                              wasm_error *err) {
  bs_link *k = env;
  const char *cont = cont_of(k, &a[0], err);
  if (!cont) return WASM_TRAP;
  wasm_status st = WASM_OK;
  char *obj = name_arg(&a[1], res, &st, err);
  if (!obj) return st;
  uint64_t start = a[2].of.u, end = a[3].of.u;
  plugin_blob_backend *b = k->it->self->be;
  wasm_error be = {0};
  uint8_t *data = NULL;
  uint64_t size = 0;
  bool found = false;
  if (b->get(b, k->it->b.scope, cont, obj, &data, &size, NULL, &found, &be)) {
    st = pl_err_str(res, err, "%s", be.message);
  } else if (!found) {
    st = pl_err_str(res, err, "object `%.200s` does not exist in `%.200s`", obj, cont);
  } else if (start > end) {
    st = pl_err_str(res, err, "start %llu is after end %llu", (unsigned long long)start,
                    (unsigned long long)end);
  } else {
    /* inclusive offsets, clamped to the object */
    size_t from = start < size ? (size_t)start : (size_t)size;
    size_t to = end < size ? (size_t)end + 1 : (size_t)size;
    bs_in *in = calloc(1, sizeof *in);
    if (in) in->p = malloc(to - from ? to - from : 1);
    if (!in || !in->p) {
      free(in);
      free(data);
      free(obj);
      return pl_nomem(err);
    }
    memcpy(in->p, data + from, to - from);
    in->n = to - from;
    cm_val h;
    st = obj_new(k, BS_IN, in, &h, err);
    if (!st) st = pl_ok(res, &h, err);
  }
  free(data);
  free(obj);
  return st;
}

/* Stores the outgoing value's buffer at its target. */
static wasm_status store_out(bs_link *k, bs_out *o, wasm_error *be) {
  plugin_blob_backend *b = k->it->self->be;
  pthread_mutex_lock(&buf_mu); /* a snapshot: the stream may be written on */
  uint64_t writes = o->buf->writes;
  size_t n = o->buf->n;
  uint8_t *copy = malloc(n ? n : 1);
  if (copy && n) memcpy(copy, o->buf->p, n);
  pthread_mutex_unlock(&buf_mu);
  if (!copy) return pl_fail(be, WASM_NOMEM, "out of memory");
  wasm_status st = b->put(b, k->it->b.scope, o->container, o->object, copy, n, be);
  free(copy);
  if (!st) o->stored_writes = writes;
  return st;
}

static wasm_status c_write_data(void *env, cm_instance *c, const cm_val *a, size_t na,
                                cm_val *res, wasm_error *err) {
  bs_link *k = env;
  const char *cont = cont_of(k, &a[0], err);
  if (!cont) return WASM_TRAP;
  bs_out *o = obj_of(k, BS_OUT, &a[2], NULL, err);
  if (!o) return WASM_TRAP;
  wasm_status st = WASM_OK;
  char *obj = name_arg(&a[1], res, &st, err);
  if (!obj) return st;
  if (!allowed(k->it, cont, true, res, &st, err)) {
    free(obj);
    return st;
  }
  char *cc = strdup(cont);
  if (!cc) {
    free(obj);
    return pl_nomem(err);
  }
  free(o->container);
  free(o->object);
  o->container = cc;
  o->object = obj;
  wasm_error be = {0};
  return store_out(k, o, &be) ? pl_err_str(res, err, "%s", be.message) : pl_ok(res, NULL, err);
}

static wasm_status c_list(void *env, cm_instance *c, const cm_val *a, size_t na, cm_val *res,
                          wasm_error *err) {
  bs_link *k = env;
  const char *cont = cont_of(k, &a[0], err);
  if (!cont) return WASM_TRAP;
  plugin_blob_backend *b = k->it->self->be;
  wasm_error be = {0};
  bs_names *s = calloc(1, sizeof *s);
  if (!s) return pl_nomem(err);
  if (b->list(b, k->it->b.scope, cont, &s->v, &s->n, &be)) {
    free(s);
    return pl_err_str(res, err, "%s", be.message);
  }
  cm_val h;
  wasm_status st = obj_new(k, BS_NAMES, s, &h, err);
  return st ? st : pl_ok(res, &h, err);
}

static wasm_status delete_names(bs_link *k, const char *cont, const cm_val *names, size_t n,
                                cm_val *res, wasm_error *err) {
  wasm_status st = WASM_OK;
  if (!allowed(k->it, cont, true, res, &st, err)) return st;
  plugin_blob_backend *b = k->it->self->be;
  for (size_t i = 0; i < n; i++) {
    char *obj = name_arg(&names[i], res, &st, err);
    if (!obj) return st;
    wasm_error be = {0};
    st = b->del(b, k->it->b.scope, cont, obj, &be);
    free(obj);
    if (st) return pl_err_str(res, err, "%s", be.message);
  }
  return pl_ok(res, NULL, err);
}

static wasm_status c_delete(void *env, cm_instance *c, const cm_val *a, size_t na, cm_val *res,
                            wasm_error *err) {
  const char *cont = cont_of(env, &a[0], err);
  return cont ? delete_names(env, cont, &a[1], 1, res, err) : WASM_TRAP;
}

static wasm_status c_delete_many(void *env, cm_instance *c, const cm_val *a, size_t na,
                                 cm_val *res, wasm_error *err) {
  const char *cont = cont_of(env, &a[0], err);
  return cont ? delete_names(env, cont, a[1].of.list.elems, a[1].of.list.n, res, err)
              : WASM_TRAP;
}

static wasm_status c_clear(void *env, cm_instance *c, const cm_val *a, size_t na, cm_val *res,
                           wasm_error *err) {
  bs_link *k = env;
  const char *cont = cont_of(k, &a[0], err);
  if (!cont) return WASM_TRAP;
  wasm_status st = WASM_OK;
  if (!allowed(k->it, cont, true, res, &st, err)) return st;
  plugin_blob_backend *b = k->it->self->be;
  wasm_error be = {0};
  char **v = NULL;
  size_t n = 0;
  if (b->list(b, k->it->b.scope, cont, &v, &n, &be)) return pl_err_str(res, err, "%s", be.message);
  for (size_t i = 0; i < n && !st; i++)
    if (b->del(b, k->it->b.scope, cont, v[i], &be)) st = WASM_BAD_ARG;
  pl_strs_free(v, n);
  return st ? pl_err_str(res, err, "%s", be.message) : pl_ok(res, NULL, err);
}

/* has-object and object-info */
static wasm_status stat_object(bs_link *k, const cm_val *a, cm_val *res, bool info,
                               wasm_error *err) {
  const char *cont = cont_of(k, &a[0], err);
  if (!cont) return WASM_TRAP;
  wasm_status st = WASM_OK;
  char *obj = name_arg(&a[1], res, &st, err);
  if (!obj) return st;
  plugin_blob_backend *b = k->it->self->be;
  wasm_error be = {0};
  uint64_t size = 0, created = 0;
  bool found = false;
  if (b->get(b, k->it->b.scope, cont, obj, NULL, &size, &created, &found, &be)) {
    st = pl_err_str(res, err, "%s", be.message);
  } else if (!info) {
    cm_val v = pl_bool(found);
    st = pl_ok(res, &v, err);
  } else if (!found) {
    st = pl_err_str(res, err, "object `%.200s` does not exist in `%.200s`", obj, cont);
  } else {
    cm_val rec;
    if (!cm_val_agg(&rec, CM_RECORD, 4) || !pl_cstr(&rec.of.list.elems[0], obj) ||
        !pl_cstr(&rec.of.list.elems[1], cont)) {
      cm_val_free(&rec);
      free(obj);
      return pl_nomem(err);
    }
    rec.of.list.elems[2] = pl_u64(created);
    rec.of.list.elems[3] = pl_u64(size);
    st = pl_ok(res, &rec, err);
  }
  free(obj);
  return st;
}

static wasm_status c_has(void *env, cm_instance *c, const cm_val *a, size_t na, cm_val *res,
                         wasm_error *err) {
  return stat_object(env, a, res, false, err);
}

static wasm_status c_object_info(void *env, cm_instance *c, const cm_val *a, size_t na,
                                 cm_val *res, wasm_error *err) {
  return stat_object(env, a, res, true, err);
}

/* read-stream-object-names / skip-stream-object-names */
static wasm_status names_next(bs_link *k, const cm_val *a, cm_val *res, bool skip,
                              wasm_error *err) {
  bs_names *s = obj_of(k, BS_NAMES, &a[0], NULL, err);
  if (!s) return WASM_TRAP;
  uint64_t want = a[1].of.u;
  size_t left = s->n - s->pos;
  size_t cnt = want < left ? (size_t)want : left;
  cm_val t;
  if (!cm_val_agg(&t, CM_TUPLE, 2)) return pl_nomem(err);
  if (skip) {
    t.of.list.elems[0] = pl_u64(cnt);
  } else {
    cm_val *l = &t.of.list.elems[0];
    bool ok = cm_val_agg(l, CM_LIST, cnt);
    for (size_t i = 0; ok && i < cnt; i++) ok = pl_cstr(&l->of.list.elems[i], s->v[s->pos + i]);
    if (!ok) {
      cm_val_free(&t);
      return pl_nomem(err);
    }
  }
  s->pos += cnt;
  t.of.list.elems[1] = pl_bool(s->pos == s->n);
  return pl_ok(res, &t, err);
}

static wasm_status n_read(void *env, cm_instance *c, const cm_val *a, size_t na, cm_val *res,
                          wasm_error *err) {
  return names_next(env, a, res, false, err);
}

static wasm_status n_skip(void *env, cm_instance *c, const cm_val *a, size_t na, cm_val *res,
                          wasm_error *err) {
  return names_next(env, a, res, true, err);
}

/* ---- types: outgoing-value ---- */

static int64_t out_check_write(void *env, wasi2_io_error *e) {
  bs_buf *b = env;
  pthread_mutex_lock(&buf_mu);
  size_t n = b->n;
  pthread_mutex_unlock(&buf_mu);
  if (n >= PLUGIN_BLOB_MAX) {
    e->message = "object too large";
    return WASI2_IO_FAIL;
  }
  return (int64_t)(PLUGIN_BLOB_MAX - n);
}

static int out_write(void *env, const void *p, size_t n, wasi2_io_error *e) {
  bs_buf *b = env;
  int r = 0;
  pthread_mutex_lock(&buf_mu);
  if (n > PLUGIN_BLOB_MAX - b->n) {
    e->message = "object too large";
    r = WASI2_IO_FAIL;
  } else if (b->n + n > b->cap) {
    size_t c = (b->n + n) * 2 < PLUGIN_BLOB_MAX ? (b->n + n) * 2 : PLUGIN_BLOB_MAX;
    uint8_t *q = realloc(b->p, c ? c : 1);
    if (!q) {
      e->message = "out of memory";
      r = WASI2_IO_FAIL;
    } else {
      b->p = q;
      b->cap = c;
    }
  }
  if (!r && n) {
    memcpy(b->p + b->n, p, n);
    b->n += n;
    b->writes++;
  }
  pthread_mutex_unlock(&buf_mu);
  return r;
}

static void out_drop(void *env) { buf_unref(env); }

static const wasi2_stream_ops out_ops = {
    .check_write = out_check_write, .write = out_write, .drop = out_drop};

static wasm_status t_new_out(void *env, cm_instance *c, const cm_val *a, size_t na, cm_val *res,
                             wasm_error *err) {
  bs_out *o = calloc(1, sizeof *o);
  if (o) o->buf = calloc(1, sizeof *o->buf);
  if (!o || !o->buf) {
    free(o);
    return pl_nomem(err);
  }
  o->buf->refs = 1;
  return obj_new(env, BS_OUT, o, res, err);
}

static wasm_status t_write_body(void *env, cm_instance *c, const cm_val *a, size_t na,
                                cm_val *res, wasm_error *err) {
  bs_link *k = env;
  bs_out *o = obj_of(k, BS_OUT, &a[0], NULL, err);
  if (!o) return WASM_TRAP;
  if (o->body_taken) return pl_err(res, NULL, err); /* at most once */
  if (!k->w) return pl_trap(err, "wasi:blobstore: no WASI context for this linker "
                                 "(plugin_linker_set_wasi2)");
  pthread_mutex_lock(&buf_mu);
  o->buf->refs++; /* the stream's */
  pthread_mutex_unlock(&buf_mu);
  cm_val s;
  wasm_status st = wasi2_output_stream_new(k->w, &out_ops, o->buf, &s, err);
  if (st) return st; /* the drop hook has released the stream's reference */
  o->body_taken = true;
  return pl_ok(res, &s, err);
}

static wasm_status t_finish(void *env, cm_instance *c, const cm_val *a, size_t na, cm_val *res,
                            wasm_error *err) {
  bs_link *k = env;
  bs_out *o = obj_of(k, BS_OUT, &a[0], NULL, err);
  if (!o) return WASM_TRAP;
  wasm_error be = {0};
  wasm_status st;
  pthread_mutex_lock(&buf_mu);
  bool changed = o->buf->writes != o->stored_writes;
  pthread_mutex_unlock(&buf_mu);
  if (o->container && changed && store_out(k, o, &be))
    st = pl_err_str(res, err, "%s", be.message);
  else
    st = pl_ok(res, NULL, err);
  /* the own handle came to us: dropping it frees the value */
  wasm_status dst = cm_linker_resource_drop(k->l, &a[0], err);
  if (dst) cm_val_free(res);
  return dst ? dst : st;
}

/* ---- types: incoming-value ---- */

typedef struct in_stream {
  uint8_t *p;
  size_t n, pos;
} in_stream;

static ssize_t in_read(void *env, void *buf, size_t n, bool block, wasi2_io_error *e) {
  in_stream *s = env;
  if (s->pos >= s->n) return WASI2_IO_END;
  size_t k = s->n - s->pos < n ? s->n - s->pos : n;
  memcpy(buf, s->p + s->pos, k);
  s->pos += k;
  return (ssize_t)k;
}

static void in_drop(void *env) {
  in_stream *s = env;
  free(s->p);
  free(s);
}

static const wasi2_stream_ops in_ops = {.read = in_read, .drop = in_drop};

/* consume-sync and consume-async take the value (an own handle). */
static wasm_status consume(bs_link *k, const cm_val *a, cm_val *res, bool async,
                           wasm_error *err) {
  uint32_t rep;
  bs_in *in = obj_of(k, BS_IN, &a[0], &rep, err);
  if (!in) return WASM_TRAP;
  wasm_status st;
  if (!async) {
    cm_val bytes;
    st = cm_val_bytes(&bytes, in->p, in->n) ? pl_ok(res, &bytes, err) : pl_nomem(err);
  } else if (!k->w) {
    st = pl_trap(err, "wasi:blobstore: no WASI context for this linker (plugin_linker_set_wasi2)");
  } else {
    in_stream *s = calloc(1, sizeof *s);
    if (!s) return pl_nomem(err);
    s->p = in->p; /* the bytes move to the stream */
    s->n = in->n;
    in->p = NULL;
    in->n = 0;
    cm_val h;
    st = wasi2_input_stream_new(k->w, &in_ops, s, &h, err);
    if (!st) st = pl_ok(res, &h, err);
  }
  wasm_status dst = cm_linker_resource_drop(k->l, &a[0], err);
  if (dst && !st) cm_val_free(res);
  return st ? st : dst;
}

static wasm_status t_consume_sync(void *env, cm_instance *c, const cm_val *a, size_t na,
                                  cm_val *res, wasm_error *err) {
  return consume(env, a, res, false, err);
}

static wasm_status t_consume_async(void *env, cm_instance *c, const cm_val *a, size_t na,
                                   cm_val *res, wasm_error *err) {
  return consume(env, a, res, true, err);
}

static wasm_status t_size(void *env, cm_instance *c, const cm_val *a, size_t na, cm_val *res,
                          wasm_error *err) {
  bs_in *in = obj_of(env, BS_IN, &a[0], NULL, err);
  if (!in) return WASM_TRAP;
  *res = pl_u64(in->n);
  return WASM_OK;
}

/* ---- the interfaces ---- */

static const char WIT_TYPES[] =
    "interface types {\n"
    "  use wasi:io/streams@0.2.12.{input-stream, output-stream};\n"
    "  type container-name = string;\n"
    "  type object-name = string;\n"
    "  type timestamp = u64;\n"
    "  type object-size = u64;\n"
    "  type error = string;\n"
    "  record container-metadata { name: container-name, created-at: timestamp }\n"
    "  record object-metadata { name: object-name, container: container-name,\n"
    "    created-at: timestamp, size: object-size }\n"
    "  record object-id { container: container-name, object: object-name }\n"
    "  resource outgoing-value {\n"
    "    new-outgoing-value: static func() -> outgoing-value;\n"
    "    outgoing-value-write-body: func() -> result<output-stream>;\n"
    "    finish: static func(this: outgoing-value) -> result<_, error>;\n"
    "  }\n"
    "  resource incoming-value {\n"
    "    incoming-value-consume-sync: static func(this: incoming-value)\n"
    "      -> result<incoming-value-sync-body, error>;\n"
    "    incoming-value-consume-async: static func(this: incoming-value)\n"
    "      -> result<incoming-value-async-body, error>;\n"
    "    size: func() -> u64;\n"
    "  }\n"
    "  type incoming-value-async-body = input-stream;\n"
    "  type incoming-value-sync-body = list<u8>;\n"
    "}\n";

/* The aliases of types (error, object-name, container-name) are written
 * as what they stand for: a `use`d name is matched by name, and the
 * component sees an alias as its target type. */
static const char WIT_CONTAINER[] =
    "interface container {\n"
    "  use types.{container-metadata, incoming-value, object-metadata, outgoing-value};\n"
    "  resource container {\n"
    "    name: func() -> result<string, string>;\n"
    "    info: func() -> result<container-metadata, string>;\n"
    "    get-data: func(name: string, start: u64, end: u64) -> result<incoming-value, string>;\n"
    "    write-data: func(name: string, data: borrow<outgoing-value>) -> result<_, string>;\n"
    "    list-objects: func() -> result<stream-object-names, string>;\n"
    "    delete-object: func(name: string) -> result<_, string>;\n"
    "    delete-objects: func(names: list<string>) -> result<_, string>;\n"
    "    has-object: func(name: string) -> result<bool, string>;\n"
    "    object-info: func(name: string) -> result<object-metadata, string>;\n"
    "    clear: func() -> result<_, string>;\n"
    "  }\n"
    "  resource stream-object-names {\n"
    "    read-stream-object-names: func(len: u64) -> result<tuple<list<string>, bool>, string>;\n"
    "    skip-stream-object-names: func(num: u64) -> result<tuple<u64, bool>, string>;\n"
    "  }\n"
    "}\n";

static const char WIT_BLOBSTORE[] =
    "interface blobstore {\n"
    "  use container.{container};\n"
    "  use types.{object-id};\n"
    "  create-container: func(name: string) -> result<container, string>;\n"
    "  get-container: func(name: string) -> result<container, string>;\n"
    "  delete-container: func(name: string) -> result<_, string>;\n"
    "  container-exists: func(name: string) -> result<bool, string>;\n"
    "  copy-object: func(src: object-id, dest: object-id) -> result<_, string>;\n"
    "  move-object: func(src: object-id, dest: object-id) -> result<_, string>;\n"
    "}\n";

static wasm_status bs_item_link(plugin *p, plugin_item *item, cm_linker *l, wasm_error *err) {
  bs_item *it = item->state;
  if (!it) return pl_fail(err, WASM_BAD_ARG, "wasi-blobstore: item not bound");
  bs_link *k = pl_item_link_new(&it->b, sizeof *k);
  if (!k) return pl_fail(err, WASM_NOMEM, "out of memory");
  k->it = it;
  k->l = l;
  k->w = plugin_linker_wasi2(l);
  wasm_status st = WASM_OK;
  if (pl_granted(item, "wasi", "blobstore", "types")) {
    cm_host_entry e[] = {
        {"[static]outgoing-value.new-outgoing-value", t_new_out, NULL, k},
        {"[method]outgoing-value.outgoing-value-write-body", t_write_body, NULL, k},
        {"[static]outgoing-value.finish", t_finish, NULL, k},
        {"[static]incoming-value.incoming-value-consume-sync", t_consume_sync, NULL, k},
        {"[static]incoming-value.incoming-value-consume-async", t_consume_async, NULL, k},
        {"[method]incoming-value.size", t_size, NULL, k},
        {"[resource-drop]outgoing-value", NULL, drop_out, k},
        {"[resource-drop]incoming-value", NULL, drop_in, k},
    };
    st = cm_linker_define_interface(l, BS_TYPES, WIT_TYPES, e, sizeof e / sizeof e[0], err);
  }
  if (!st && pl_granted(item, "wasi", "blobstore", "container")) {
    cm_host_entry e[] = {
        {"[method]container.name", c_name, NULL, k},
        {"[method]container.info", c_info, NULL, k},
        {"[method]container.get-data", c_get_data, NULL, k},
        {"[method]container.write-data", c_write_data, NULL, k},
        {"[method]container.list-objects", c_list, NULL, k},
        {"[method]container.delete-object", c_delete, NULL, k},
        {"[method]container.delete-objects", c_delete_many, NULL, k},
        {"[method]container.has-object", c_has, NULL, k},
        {"[method]container.object-info", c_object_info, NULL, k},
        {"[method]container.clear", c_clear, NULL, k},
        {"[method]stream-object-names.read-stream-object-names", n_read, NULL, k},
        {"[method]stream-object-names.skip-stream-object-names", n_skip, NULL, k},
        {"[resource-drop]container", NULL, drop_cont, k},
        {"[resource-drop]stream-object-names", NULL, drop_names, k},
    };
    st = cm_linker_define_interface(l, BS_CONTAINER, WIT_CONTAINER, e, sizeof e / sizeof e[0], err);
  }
  if (!st && pl_granted(item, "wasi", "blobstore", "blobstore")) {
    cm_host_entry e[] = {
        {"create-container", bs_create, NULL, k},
        {"get-container", bs_get_container, NULL, k},
        {"delete-container", bs_delete_container, NULL, k},
        {"container-exists", bs_exists, NULL, k},
        {"copy-object", bs_copy, NULL, k},
        {"move-object", bs_move, NULL, k},
    };
    st = cm_linker_define_interface(l, BS_BLOBSTORE, WIT_BLOBSTORE, e, sizeof e / sizeof e[0], err);
  }
  k->r[BS_CONT] = cm_linker_resource(l, BS_CONTAINER, "container");
  k->r[BS_NAMES] = cm_linker_resource(l, BS_CONTAINER, "stream-object-names");
  k->r[BS_OUT] = cm_linker_resource(l, BS_TYPES, "outgoing-value");
  k->r[BS_IN] = cm_linker_resource(l, BS_TYPES, "incoming-value");
  return st;
}

static wasm_status bs_item_bind(plugin *p, plugin_item *item, wasm_error *err) {
  bs_item *it = calloc(1, sizeof *it);
  if (!it) return pl_fail(err, WASM_NOMEM, "out of memory");
  wasm_status st = pl_item_init(&it->b, item, err);
  if (st) {
    free(it);
    return st;
  }
  it->self = p->self;
  item->state = it;
  /* the first grant's config: one blobstore per item (no named instances) */
  const plugin_map *cfg = item->ngrants && item->grants[0] ? &item->grants[0]->config : NULL;
  const char *ro = cfg ? plugin_map_get(cfg, "read_only") : NULL;
  it->read_only = ro && strcmp(ro, "true") == 0;
  const char *list = cfg ? plugin_map_get(cfg, "buckets") : NULL;
  if (!list) return WASM_OK;
  it->has_allow = true;
  size_t cap = 1;
  for (const char *q = list; *q; q++) cap += *q == ',';
  it->allow = calloc(cap, sizeof *it->allow);
  for (const char *q = list; it->allow && *q;) {
    const char *e = strchr(q, ',');
    size_t n = e ? (size_t)(e - q) : strlen(q);
    while (n && (*q == ' ' || *q == '\t')) q++, n--; /* " a, b " -> "a", "b" */
    while (n && (q[n - 1] == ' ' || q[n - 1] == '\t')) n--;
    if (n && !(it->allow[it->nallow++] = strndup(q, n))) {
      it->nallow--;
      pl_strs_free(it->allow, it->nallow);
      it->allow = NULL;
    }
    q = e ? e + 1 : q + n;
    if (!e) break;
  }
  if (!it->allow) {
    it->nallow = 0; /* nothing allowed rather than everything */
    return pl_fail(err, WASM_NOMEM, "out of memory");
  }
  return WASM_OK;
}

static void bs_item_unbind(plugin *p, plugin_item *item) {
  bs_item *it = item->state;
  if (!it) return;
  pl_table_drain(&it->self->objs, it);
  pl_item_fini(&it->b);
  pl_strs_free(it->allow, it->nallow);
  free(it);
  item->state = NULL;
}

static void bs_destroy(plugin *p) {
  bs_self *s = p->self;
  if (s) {
    pl_table_destroy(&s->objs);
    if (s->be && s->be->destroy) s->be->destroy(s->be);
  }
  pl_plugin_free(p);
}

plugin *plugin_blobstore_new(plugin_blob_backend *b) {
  plugin *p = b ? pl_plugin_new(sizeof(bs_self)) : NULL;
  if (!p) {
    if (b && b->destroy) b->destroy(b);
    return NULL;
  }
  bs_self *s = p->self;
  s->be = b;
  pl_table_init(&s->objs, free_obj);
  p->id = "wasi-blobstore";
  p->imports = "wasi:blobstore/blobstore,container,types@" BS_VER;
  p->item_bind = bs_item_bind;
  p->item_link = bs_item_link;
  p->item_unbind = bs_item_unbind;
  p->destroy = bs_destroy;
  return p;
}
