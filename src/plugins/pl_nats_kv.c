/* pl_nats_kv.c: the key-value backend on JetStream KV (nats.c's kvStore):
 * a bucket per identifier, bound (and created, history 1, unless
 * no_create_buckets) by open(), its kvStore handle cached for the
 * backend's life. Scope is ignored: bucket names are global on NATS, as
 * in wasmCloud's keyvalue-nats.
 *
 * Keys: NATS KV keys are [-/_=.a-zA-Z0-9]+, not starting or ending with
 * '.', no empty token. Such a key not starting with '=' is stored as it
 * is (what other NATS clients see); any other key is stored as '='
 * followed by the unpadded base64url of its bytes ("" becomes "="), so
 * the mapping is reversible and the two forms never collide. keys()
 * decodes; a stored key starting with '=' that does not decode (written
 * by someone else) is listed as it is.
 *
 * Counters (increment) are 8 big-endian bytes, as wasmCloud writes them;
 * an existing decimal-text value is accepted. The update is a
 * compare-and-set loop: kvStore_Create for a missing key, kvStore_Update
 * with the revision read otherwise, retried when another writer won. */
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugins/pl_nats_internal.h"

#define NKV_CAS_TRIES 10000 /* compare-and-set attempts of one increment */

typedef struct nkv {
  natsConnection *nc;
  jsCtx *js;
  bool no_create;
  pthread_mutex_t mu; /* buckets */
  pl_hmap buckets;    /* name -> kvStore */
} nkv;

/* ---- keys ---- */

static bool key_plain(const char *k) {
  size_t n = strlen(k);
  if (n == 0 || k[0] == '.' || k[0] == '=' || k[n - 1] == '.') return false;
  for (size_t i = 0; i < n; i++) {
    char c = k[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '/' || c == '_' || c == '=' || c == '.';
    if (!ok || (c == '.' && k[i + 1] == '.')) return false;
  }
  return true;
}

/* The stored form of key (malloc'ed), or NULL when out of memory. */
static char *key_enc(const char *key) {
  if (key_plain(key)) return strdup(key);
  char *b = pln_b64url_enc((const uint8_t *)key, strlen(key), false);
  if (!b) return NULL;
  char *out = malloc(strlen(b) + 2);
  if (out) {
    out[0] = '=';
    strcpy(out + 1, b);
  }
  free(b);
  return out;
}

/* The key of a stored form (malloc'ed); NULL when out of memory. */
static char *key_dec(const char *stored) {
  if (stored[0] != '=') return strdup(stored);
  size_t n;
  uint8_t *d = pln_b64url_dec(stored + 1, &n);
  if (d && memchr(d, 0, n) == NULL) return (char *)d;
  free(d);
  return strdup(stored); /* not ours */
}

/* ---- buckets ---- */

/* The kvStore of bucket, bound (created when create and allowed) on
 * first use; NULL with err filled. */
static kvStore *nkv_store(plugin_kv_backend *be, const char *bucket, bool create,
                          wasm_error *err) {
  nkv *k = be->self;
  if (!pln_bucket_valid(bucket)) {
    pl_fail(err, WASM_BAD_ARG,
            "keyvalue: invalid bucket name `%.200s` (NATS allows [A-Za-z0-9_-])", bucket);
    return NULL;
  }
  pthread_mutex_lock(&k->mu);
  kvStore *kv = pl_hmap_get(&k->buckets, bucket);
  pthread_mutex_unlock(&k->mu);
  if (kv) return kv;
  if (pln_connected(k->nc, "keyvalue", err)) return NULL;
  /* bound without the lock: a slow server must not block other buckets */
  natsStatus s = js_KeyValue(&kv, k->js, bucket);
  if (s == NATS_NOT_FOUND) {
    if (!create || k->no_create) {
      pl_fail(err, WASM_BAD_ARG, "keyvalue: no bucket `%s` on NATS (stream KV_%s)%s", bucket,
              bucket, create ? " and creating buckets is disabled" : "");
      return NULL;
    }
    kvConfig c;
    kvConfig_Init(&c);
    c.Bucket = bucket;
    c.History = 1;
    s = js_CreateKeyValue(&kv, k->js, &c);
    /* Another host may have created it since the lookup (the server then
     * refuses a second stream on the same subjects): bind to that one. */
    if (s != NATS_OK && js_KeyValue(&kv, k->js, bucket) == NATS_OK) s = NATS_OK;
    if (s != NATS_OK) {
      pln_fail(err, s, "keyvalue: create bucket `%s`", bucket);
      return NULL;
    }
  } else if (s != NATS_OK) {
    pln_fail(err, s, "keyvalue: bucket `%s`", bucket);
    return NULL;
  }
  pthread_mutex_lock(&k->mu);
  kvStore *had = pl_hmap_get(&k->buckets, bucket);
  void *old;
  if (had) { /* another thread bound it meanwhile */
    kvStore_Destroy(kv);
    kv = had;
  } else if (!pl_hmap_put(&k->buckets, bucket, kv, &old)) {
    kvStore_Destroy(kv);
    kv = NULL;
    pl_fail(err, WASM_NOMEM, "out of memory");
  }
  pthread_mutex_unlock(&k->mu);
  return kv;
}

static wasm_status nkv_open(plugin_kv_backend *be, const char *scope, const char *bucket,
                            wasm_error *err) {
  return nkv_store(be, bucket, true, err) ? WASM_OK : err->status;
}

/* The bucket's store and the stored key, checked connected; false with
 * err filled (nothing to free). */
static bool nkv_prep(plugin_kv_backend *be, const char *bucket, const char *key, kvStore **kv,
                     char **skey, wasm_error *err) {
  nkv *k = be->self;
  if (!(*kv = nkv_store(be, bucket, false, err))) return false;
  if (pln_connected(k->nc, "keyvalue", err)) return false;
  if (key && !(*skey = key_enc(key))) {
    pl_fail(err, WASM_NOMEM, "out of memory");
    return false;
  }
  return true;
}

/* kvStore_Get, tried again (twice at most) when it timed out while the
 * connection stayed up: a read has no effect, so repeating it is safe
 * (seen once under heavy load: reads of a bucket just created by many
 * clients at once timing out). */
static natsStatus kv_read(kvEntry **e, kvStore *kv, const char *sk, natsConnection *nc) {
  natsStatus s = NATS_TIMEOUT;
  for (int i = 0; i < 3 && s == NATS_TIMEOUT; i++) {
    *e = NULL;
    s = kvStore_Get(e, kv, sk);
    if (natsConnection_Status(nc) != NATS_CONN_STATUS_CONNECTED) break;
  }
  return s;
}

static wasm_status nkv_get(plugin_kv_backend *be, const char *scope, const char *bucket,
                           const char *key, uint8_t **val, size_t *len, bool *found,
                           wasm_error *err) {
  *found = false;
  kvStore *kv;
  char *sk;
  if (!nkv_prep(be, bucket, key, &kv, &sk, err)) return err->status;
  kvEntry *e = NULL;
  natsStatus s = kv_read(&e, kv, sk, ((nkv *)be->self)->nc);
  wasm_status st = WASM_OK;
  if (s == NATS_OK) {
    int n = kvEntry_ValueLen(e);
    *val = malloc(n > 0 ? (size_t)n : 1);
    if (!*val) {
      st = pl_fail(err, WASM_NOMEM, "out of memory");
    } else {
      if (n > 0) memcpy(*val, kvEntry_Value(e), (size_t)n);
      *len = (size_t)(n > 0 ? n : 0);
      *found = true;
    }
    kvEntry_Destroy(e);
  } else if (s != NATS_NOT_FOUND) { /* not found: missing, deleted or purged */
    st = pln_fail(err, s, "keyvalue: get `%.100s` from `%s`", key, bucket);
  }
  free(sk);
  return st;
}

static wasm_status nkv_set(plugin_kv_backend *be, const char *scope, const char *bucket,
                           const char *key, const uint8_t *val, size_t len, wasm_error *err) {
  if (len > INT_MAX) return pl_fail(err, WASM_BAD_ARG, "keyvalue: value too large");
  kvStore *kv;
  char *sk;
  if (!nkv_prep(be, bucket, key, &kv, &sk, err)) return err->status;
  natsStatus s = kvStore_Put(NULL, kv, sk, val, (int)len);
  free(sk);
  return s == NATS_OK ? WASM_OK : pln_fail(err, s, "keyvalue: set `%.100s` in `%s`", key, bucket);
}

static wasm_status nkv_del(plugin_kv_backend *be, const char *scope, const char *bucket,
                           const char *key, wasm_error *err) {
  kvStore *kv;
  char *sk;
  if (!nkv_prep(be, bucket, key, &kv, &sk, err)) return err->status;
  natsStatus s = kvStore_Delete(kv, sk); /* a marker: a missing key stays missing */
  free(sk);
  return s == NATS_OK ? WASM_OK
                      : pln_fail(err, s, "keyvalue: delete `%.100s` from `%s`", key, bucket);
}

static wasm_status nkv_keys(plugin_kv_backend *be, const char *scope, const char *bucket,
                            char ***keys, size_t *n, wasm_error *err) {
  *keys = NULL;
  *n = 0;
  kvStore *kv;
  if (!nkv_prep(be, bucket, NULL, &kv, NULL, err)) return err->status;
  kvKeysList list = {0};
  kvWatchOptions wo;
  kvWatchOptions_Init(&wo);
  wo.Timeout = PLN_JS_WAIT_MS;
  natsStatus s = kvStore_Keys(&list, kv, &wo);
  if (s == NATS_NOT_FOUND) return WASM_OK; /* an empty bucket */
  if (s != NATS_OK) return pln_fail(err, s, "keyvalue: keys of `%s`", bucket);
  wasm_status st = WASM_OK;
  char **v = calloc(list.Count > 0 ? (size_t)list.Count : 1, sizeof *v);
  size_t m = 0;
  if (!v) st = pl_fail(err, WASM_NOMEM, "out of memory");
  for (int i = 0; !st && i < list.Count; i++)
    if (!(v[m++] = key_dec(list.Keys[i]))) st = pl_fail(err, WASM_NOMEM, "out of memory");
  kvKeysList_Destroy(&list);
  if (st) {
    if (v) pl_strs_free(v, m);
    return st;
  }
  pl_strs_sort(v, m);
  *keys = v;
  *n = m;
  return WASM_OK;
}

/* Whether the last nats.c failure on this thread was a lost
 * compare-and-set (JetStream's "wrong last sequence", error 10071). */
static bool cas_lost(natsStatus s) {
  natsStatus ls = NATS_OK;
  const char *last = nats_GetLastError(&ls);
  return s != NATS_OK && ls == s && last &&
         (strstr(last, "wrong last sequence") || strstr(last, "10071"));
}

static wasm_status nkv_increment(plugin_kv_backend *be, const char *scope, const char *bucket,
                                 const char *key, uint64_t delta, uint64_t *out,
                                 wasm_error *err) {
  kvStore *kv;
  char *sk;
  if (!nkv_prep(be, bucket, key, &kv, &sk, err)) return err->status;
  wasm_status st = WASM_OK;
  unsigned seed = (unsigned)(uintptr_t)&seed ^ (unsigned)time(NULL);
  for (int attempt = 0;; attempt++) {
    if (attempt == NKV_CAS_TRIES) {
      st = pl_fail(err, WASM_EXHAUSTED, "keyvalue: increment `%.100s` in `%s`: too much contention",
                   key, bucket);
      break;
    }
    kvEntry *e = NULL;
    natsStatus s = kv_read(&e, kv, sk, ((nkv *)be->self)->nc);
    uint64_t cur = 0, rev = 0;
    if (s == NATS_OK) {
      int n = kvEntry_ValueLen(e);
      rev = kvEntry_Revision(e);
      bool ok = pl_counter_parse(kvEntry_Value(e), n > 0 ? (size_t)n : 0, &cur);
      kvEntry_Destroy(e);
      if (!ok) {
        st = pl_fail(err, WASM_BAD_ARG, "keyvalue: the value of `%.200s` is not a counter", key);
        break;
      }
    } else if (s != NATS_NOT_FOUND) {
      st = pln_fail(err, s, "keyvalue: increment `%.100s` in `%s`: read", key, bucket);
      break;
    }
    uint64_t sum = cur + delta;
    uint8_t be8[8];
    for (int i = 0; i < 8; i++) be8[i] = (uint8_t)(sum >> (56 - 8 * i));
    /* kvStore_Create also takes over a delete marker */
    s = rev ? kvStore_Update(NULL, kv, sk, be8, 8, rev) : kvStore_Create(NULL, kv, sk, be8, 8);
    if (s == NATS_OK) {
      *out = sum;
      break;
    }
    if (!cas_lost(s)) {
      st = pln_fail(err, s, "keyvalue: increment `%.100s` in `%s`: %s", key, bucket,
                    rev ? "update" : "create");
      break;
    }

    /* another writer won: back off a little, at random, so two loops
     * do not keep colliding */
    if (attempt > 2) {
      struct timespec ts = {0, (long)(rand_r(&seed) % 200 + 1) * 1000L};
      nanosleep(&ts, NULL);
    } else {
      sched_yield();
    }
  }
  free(sk);
  return st;
}

static void store_free(void *p) { kvStore_Destroy(p); }

static void nkv_destroy(plugin_kv_backend *be) {
  if (!be) return;
  nkv *k = be->self;
  if (k) {
    pl_hmap_clear(&k->buckets, store_free);
    jsCtx_Destroy(k->js);
    pthread_mutex_destroy(&k->mu);
    free(k);
  }
  free(be);
}

wasm_status plugin_kv_nats_new(natsConnection *nc, const plugin_nats_options *o,
                               plugin_kv_backend **out, wasm_error *err) {
  *out = NULL;
  if (!nc) return pl_fail(err, WASM_BAD_ARG, "keyvalue: no NATS connection");
  plugin_kv_backend *be = calloc(1, sizeof *be);
  nkv *k = calloc(1, sizeof *k);
  if (!be || !k) {
    free(be);
    free(k);
    return pl_fail(err, WASM_NOMEM, "out of memory");
  }
  wasm_status st = pln_js(nc, &k->js, "keyvalue", err);
  if (st) {
    free(be);
    free(k);
    return st;
  }
  k->nc = nc;
  k->no_create = o && o->no_create_buckets;
  pthread_mutex_init(&k->mu, NULL);
  *be = (plugin_kv_backend){.name = "nats", .self = k, .open = nkv_open, .get = nkv_get,
                            .set = nkv_set, .del = nkv_del, .keys = nkv_keys,
                            .increment = nkv_increment, .destroy = nkv_destroy};
  *out = be;
  return WASM_OK;
}
