/*
 * oci_pull.c: oci_pull: a reference -> its wasm layer in the cache.
 *
 * The manifest (an image index is resolved to its wasm entry, or its
 * first), its wasm layer (application/wasm or the legacy
 * application/vnd.module.wasm.content.layer.v1+wasm), the blob streamed
 * into a temporary file while it is hashed, checked against the layer's
 * digest and size, then renamed to CACHE/blobs/sha256/<hex>; the
 * reference's index entry last. A cached blob is hashed again before use,
 * so a corrupt cache is an error, not a wrong component.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cluster/oci_internal.h"

#define OCI_LAYER_MAX (1ull << 30)

static const char *const MANIFEST_ACCEPT =
    OCI_MEDIA_MANIFEST ", " OCI_MEDIA_DOCKER_MANIFEST ", " OCI_MEDIA_INDEX ", " OCI_MEDIA_DOCKER_LIST;

static char *repo_url(const oci_ref *r, const char *kind, const char *ref) {
  size_t n = strlen(r->repository) + strlen(kind) + strlen(ref) + 8;
  char *s = malloc(n);
  if (s) snprintf(s, n, "/v2/%s/%s/%s", r->repository, kind, ref);
  return s;
}

/* GETs the manifest `reference` (a tag or digest) as a JSON tree; when
 * want is set, the bytes must hash to it. */
static wasm_status get_manifest(oci_client *c, const oci_ref *ref, const char *reference,
                                const char *want, json_t **out, char **ctype, wasm_error *err) {
  const char *R = oci_client_ref(c);
  char *url = repo_url(ref, "manifests", reference);
  if (!url) return wasm_fail(err, WASM_NOMEM, "out of memory");
  oci_req rq = {.method = "GET", .url = url, .accept = MANIFEST_ACCEPT};
  oci_resp r;
  wasm_status st = oci_client_do(c, &rq, &r, err);
  free(url);
  if (st) return st;
  char why[200];
  if (r.status == 404) {
    st = wasm_fail(err, WASM_BAD_ARG, "%s: not found in the registry: manifest %s (%s)", R,
                   reference, oci_resp_reason(&r, why, sizeof why));
    goto done;
  }
  if (r.status == 403) {
    st = wasm_fail(err, WASM_BAD_ARG, "%s: denied: %s", R, oci_resp_reason(&r, why, sizeof why));
    goto done;
  }
  if (r.status != 200) {
    st = wasm_fail(err, WASM_BAD_ARG, "%s: manifest %s: %s", R, reference,
                   oci_resp_reason(&r, why, sizeof why));
    goto done;
  }
  if (want) {
    char got[OCI_DIGEST_LEN];
    oci_digest_of(r.body ? r.body : "", r.len, got);
    if (strcmp(got, want) != 0) {
      st = wasm_fail(err, WASM_MALFORMED, "%s: digest mismatch: manifest is %s, expected %s", R,
                     got, want);
      goto done;
    }
  }
  json_error_t je;
  *out = r.body ? json_loadb(r.body, r.len, 0, &je) : NULL;
  if (!json_is_object(*out)) {
    json_decref(*out);
    *out = NULL;
    st = wasm_fail(err, WASM_MALFORMED, "%s: the manifest is not a JSON object", R);
    goto done;
  }
  if (ctype) *ctype = r.content_type ? strdup(r.content_type) : NULL;
done:
  oci_resp_free(&r);
  return st;
}

static bool is_index(const json_t *m, const char *ctype) {
  const char *mt = json_string_value(json_object_get(m, "mediaType"));
  if (!mt) mt = ctype;
  if (mt && (strncmp(mt, OCI_MEDIA_INDEX, strlen(OCI_MEDIA_INDEX)) == 0 ||
             strncmp(mt, OCI_MEDIA_DOCKER_LIST, strlen(OCI_MEDIA_DOCKER_LIST)) == 0))
    return true;
  /* Untyped: an index has manifests and no layers. */
  return !mt && json_is_array(json_object_get(m, "manifests")) && !json_object_get(m, "layers");
}

/* The index entry for wasm (platform architecture "wasm" or OS wasip*),
 * or the first one. */
static const json_t *pick_entry(const json_t *idx) {
  const json_t *list = json_object_get(idx, "manifests"), *e;
  size_t i;
  json_array_foreach(list, i, e) {
    const json_t *p = json_object_get(e, "platform");
    const char *arch = json_string_value(json_object_get(p, "architecture"));
    const char *os = json_string_value(json_object_get(p, "os"));
    if ((arch && strcmp(arch, "wasm") == 0) || (os && strncmp(os, "wasip", 5) == 0)) return e;
  }
  return json_array_get(list, 0);
}

/* The wasm layer of an image manifest. */
static wasm_status pick_layer(const char *R, const json_t *m, const char **digest, uint64_t *size,
                              wasm_error *err) {
  const json_t *layers = json_object_get(m, "layers"), *l;
  size_t i;
  char seen[160] = "";
  json_array_foreach(layers, i, l) {
    const char *mt = json_string_value(json_object_get(l, "mediaType"));
    if (mt && (strcmp(mt, OCI_MEDIA_WASM_LAYER) == 0 || strcmp(mt, OCI_MEDIA_WASM_LEGACY) == 0)) {
      const char *d = json_string_value(json_object_get(l, "digest"));
      json_int_t sz = json_integer_value(json_object_get(l, "size"));
      if (!oci_digest_valid(d))
        return wasm_fail(err, WASM_MALFORMED, "%s: the wasm layer's digest %s is not sha256:<hex>",
                         R, d ? d : "(none)");
      if (!json_is_integer(json_object_get(l, "size")) || sz < 0 || (uint64_t)sz > OCI_LAYER_MAX)
        return wasm_fail(err, WASM_MALFORMED, "%s: the wasm layer's size is missing or too large", R);
      *digest = d;
      *size = (uint64_t)sz;
      return WASM_OK;
    }
    size_t n = strlen(seen);
    if (n < sizeof seen - 2)
      snprintf(seen + n, sizeof seen - n, "%s%s", n ? ", " : "", mt ? mt : "(untyped)");
  }
  return wasm_fail(err, WASM_MALFORMED, "%s: not a wasm artifact (no application/wasm layer%s%s)",
                   R, *seen ? "; layers: " : "", seen);
}

typedef struct blob_sink {
  int fd;
  oci_sha256 sha;
  uint64_t n, max;
  const char *R, *path;
} blob_sink;

static bool blob_write(void *ctx, const void *data, size_t len, wasm_error *err) {
  blob_sink *s = ctx;
  if (s->n + len > s->max) {
    wasm_fail(err, WASM_MALFORMED, "%s: the blob is larger than the manifest's %llu bytes", s->R,
              (unsigned long long)s->max);
    return false;
  }
  oci_sha256_update(&s->sha, data, len);
  s->n += len;
  for (const char *p = data; len;) {
    ssize_t w = write(s->fd, p, len);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      wasm_fail(err, WASM_BAD_ARG, "%s: cannot write %s: %s", s->R, s->path, strerror(errno));
      return false;
    }
    p += w;
    len -= (size_t)w;
  }
  return true;
}

/* Downloads the blob into the cache at dest, verified. */
static wasm_status get_blob(oci_client *c, const oci_ref *ref, const char *digest, uint64_t size, const char *dest, wasm_error *err) {
  const char *R = oci_client_ref(c);
  char *dir = strdup(dest), *tmp = NULL, *url = repo_url(ref, "blobs", digest);
  if (!dir || !url) {
    free(dir);
    free(url);
    return wasm_fail(err, WASM_NOMEM, "out of memory");
  }
  *strrchr(dir, '/') = 0;
  blob_sink s = {.fd = -1, .max = size, .R = R};
  wasm_status st = oci_cache_tmp(dir, &s.fd, &tmp, err);
  if (st) goto done;
  s.path = tmp;
  oci_sha256_init(&s.sha);
  char label[300];
  snprintf(label, sizeof label, "pulling %s", R);
  oci_req rq = {.method = "GET", .url = url, .sink = blob_write, .sink_ctx = &s,
                .progress_label = label};
  oci_resp r;
  st = oci_client_do(c, &rq, &r, err);
  if (!st && r.status != 200) {
    char why[200];
    st = wasm_fail(err, WASM_BAD_ARG, "%s: blob %s: %s", R, digest,
                   oci_resp_reason(&r, why, sizeof why));
  }
  oci_resp_free(&r);
  if (st) goto done;
  char got[OCI_DIGEST_LEN];
  oci_sha256_digest(&s.sha, got);
  if (s.n != size) {
    st = wasm_fail(err, WASM_MALFORMED, "%s: the blob has %llu bytes, the manifest says %llu", R,
                   (unsigned long long)s.n, (unsigned long long)size);
  } else if (strcmp(got, digest) != 0) {
    st = wasm_fail(err, WASM_MALFORMED, "%s: digest mismatch: the registry sent %s for %s", R,
                   got, digest);
  } else if (close(s.fd) != 0) { /* no fsync: a torn blob fails verification on use */
    s.fd = -1;
    st = wasm_fail(err, WASM_BAD_ARG, "%s: cannot write %s: %s", R, tmp, strerror(errno));
  } else {
    s.fd = -1;
    if (rename(tmp, dest) != 0)
      st = wasm_fail(err, WASM_BAD_ARG, "%s: cannot rename %s to %s: %s", R, tmp, dest,
                     strerror(errno));
  }
done:
  if (s.fd >= 0) close(s.fd);
  if (st && tmp) unlink(tmp);
  free(tmp);
  free(url);
  free(dir);
  return st;
}

/* The cached blob at path when it is intact: WASM_OK with *ok. A corrupt
 * one is removed (the next pull fetches it again) and is an error. */
static wasm_status use_cached(const char *R, const char *path, const char *digest, bool *ok,
                              wasm_error *err) {
  wasm_error e;
  *ok = false;
  wasm_status st = oci_cache_verify(path, digest, ok, &e);
  if (st == WASM_MALFORMED) {
    unlink(path);
    *ok = false;
    return wasm_fail(err, st, "%s: cached blob %s (removed; pull again)", R, e.message);
  }
  if (st) return wasm_fail(err, st, "%s: %s", R, e.message);
  return WASM_OK;
}

static wasm_status pull_remote(const oci_ref *ref, const oci_options *o, const char *cache,
                               const char *key, char **path, char **digest, wasm_error *err) {
  oci_client *c;
  wasm_status st = oci_client_new(ref, o, &c, err);
  if (st) return st;
  const char *R = oci_client_ref(c);
  json_t *m = NULL;
  char *ctype = NULL, *blob = NULL;
  st = get_manifest(c, ref, ref->digest ? ref->digest : ref->tag, ref->digest, &m, &ctype, err);
  if (st) goto done;
  if (is_index(m, ctype)) {
    const json_t *e = pick_entry(m);
    const char *d = json_string_value(json_object_get(e, "digest"));
    if (!oci_digest_valid(d)) {
      st = wasm_fail(err, WASM_MALFORMED, "%s: the image index has no usable sha256 entry", R);
      goto done;
    }
    char *dd = strdup(d);
    json_decref(m);
    m = NULL;
    if (!dd) {
      st = wasm_fail(err, WASM_NOMEM, "out of memory");
      goto done;
    }
    st = get_manifest(c, ref, dd, dd, &m, NULL, err);
    free(dd);
    if (st) goto done;
    if (is_index(m, NULL)) {
      st = wasm_fail(err, WASM_MALFORMED, "%s: an image index inside an image index", R);
      goto done;
    }
  }
  const char *ld = NULL;
  uint64_t size = 0;
  if ((st = pick_layer(R, m, &ld, &size, err))) goto done;
  if (!(blob = oci_cache_blob_path(cache, ld))) {
    st = wasm_fail(err, WASM_NOMEM, "out of memory");
    goto done;
  }
  bool ok;
  /* A layer another reference already brought is reused; a corrupt one
   * is replaced rather than failing a pull that reaches the registry. */
  wasm_error ignored;
  if (oci_cache_verify(blob, ld, &ok, &ignored) != WASM_OK) {
    unlink(blob);
    ok = false;
  }
  if (!ok && (st = get_blob(c, ref, ld, size, blob, err))) goto done;
  if ((st = oci_cache_index_put(cache, key, ld, err))) goto done;
  if (digest && !(*digest = strdup(ld))) {
    st = wasm_fail(err, WASM_NOMEM, "out of memory");
    goto done;
  }
  *path = blob;
  blob = NULL;
done:
  free(blob);
  free(ctype);
  json_decref(m);
  oci_client_free(c);
  return st;
}

wasm_status oci_pull(const char *refstr, const oci_options *o, char **path, char **digest,
                     wasm_error *err) {
  static const oci_options defaults = {0};
  if (!o) o = &defaults;
  *path = NULL;
  if (digest) *digest = NULL;
  oci_ref ref;
  wasm_status st = oci_ref_parse(refstr, &ref, err);
  if (st) return st;
  char *key = oci_ref_string(&ref), *cache = NULL, *d = NULL, *blob = NULL;
  if (!key) {
    st = wasm_fail(err, WASM_NOMEM, "out of memory");
    goto done;
  }
  if ((st = oci_cache_dir(o, &cache, err))) goto done;
  if (o->policy != OCI_PULL_ALWAYS && (d = oci_cache_index_get(cache, key))) {
    bool ok;
    if (!(blob = oci_cache_blob_path(cache, d))) {
      st = wasm_fail(err, WASM_NOMEM, "out of memory");
      goto done;
    }
    if ((st = use_cached(key, blob, d, &ok, err))) goto done;
    if (ok) {
      *path = blob;
      blob = NULL;
      if (digest) {
        *digest = d;
        d = NULL;
      }
      goto done;
    }
  }
  if (o->policy == OCI_PULL_NEVER) {
    st = wasm_fail(err, WASM_BAD_ARG, "%s: not in the OCI cache %s and the pull policy is Never",
                   key, cache);
    goto done;
  }
  st = pull_remote(&ref, o, cache, key, path, digest, err);
done:
  free(blob);
  free(d);
  free(cache);
  free(key);
  oci_ref_free(&ref);
  return st;
}
