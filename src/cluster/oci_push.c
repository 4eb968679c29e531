/*
 * oci_push.c: oci_push: a component file -> an OCI artifact in the CNCF
 * Wasm layout: a config blob (application/vnd.wasm.config.v0+json), one
 * application/wasm layer, and an OCI image manifest with artifactType set
 * and org.opencontainers.image.* annotations: title (the file name),
 * created, and whatever metadata the component carries in its custom
 * sections (version, description, authors, source, homepage, revision,
 * licenses, as wasm-metadata writes them). Blobs the registry already has
 * are not uploaded again (HEAD first); each upload is a POST for a session
 * then one PUT with the whole blob.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cluster/oci_internal.h"

#define OCI_FILE_MAX (1u << 30)

static wasm_status read_all(const char *path, uint8_t **out, size_t *len, wasm_error *err) {
  FILE *f = fopen(path, "rbe");
  if (!f) return wasm_fail(err, WASM_BAD_ARG, "cannot open %s: %s", path, strerror(errno));
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n > OCI_FILE_MAX) break;
    if (n == cap) {
      uint8_t *b = realloc(buf, cap * 2);
      if (!b) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = b;
      cap *= 2;
    }
  }
  bool bad = ferror(f);
  fclose(f);
  if (!buf) return wasm_fail(err, WASM_NOMEM, "out of memory reading %s", path);
  if (bad || n > OCI_FILE_MAX) {
    free(buf);
    return wasm_fail(err, WASM_BAD_ARG, "cannot read %s: %s", path,
                     bad ? "read error" : "larger than 1 GiB");
  }
  *out = buf;
  *len = n;
  return WASM_OK;
}

static bool leb(const uint8_t **p, const uint8_t *end, uint32_t *v) {
  *v = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    if (*p >= end) return false;
    uint8_t b = *(*p)++;
    *v |= (uint32_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

/* Annotations from the top-level custom sections that wasm-metadata
 * writes (one UTF-8 string each). */
static void metadata_annotations(const uint8_t *b, size_t n, json_t *ann, json_t *config) {
  static const struct { const char *section, *key; } map[] = {
      {"version", "org.opencontainers.image.version"},
      {"description", "org.opencontainers.image.description"},
      {"authors", "org.opencontainers.image.authors"},
      {"source", "org.opencontainers.image.source"},
      {"homepage", "org.opencontainers.image.url"},
      {"revision", "org.opencontainers.image.revision"},
      {"licenses", "org.opencontainers.image.licenses"},
  };
  const uint8_t *p = b + 8, *end = b + n;
  while (p < end) {
    uint8_t id = *p++;
    uint32_t size;
    if (!leb(&p, end, &size) || size > (size_t)(end - p)) return;
    const uint8_t *s = p, *send = p + size;
    p = send;
    if (id != 0) continue;
    uint32_t nl;
    if (!leb(&s, send, &nl) || nl > (size_t)(send - s)) continue;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
      if (strlen(map[i].section) != nl || memcmp(s, map[i].section, nl) != 0) continue;
      json_t *v = json_stringn((const char *)s + nl, (size_t)(send - s - nl));
      if (!v || json_string_length(v) == 0) { /* not UTF-8, or empty: skip */
        json_decref(v);
        continue;
      }
      if (strcmp(map[i].section, "authors") == 0) json_object_set(config, "author", v);
      json_object_set_new(ann, map[i].key, v);
    }
  }
}

static void rfc3339_now(char *buf, size_t n) {
  /* SOURCE_DATE_EPOCH: reproducible artifacts when the build asks for them. */
  const char *sde = getenv("SOURCE_DATE_EPOCH");
  time_t t = sde && *sde ? (time_t)strtoll(sde, NULL, 10) : time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static char *dump(const json_t *j) { return json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER); }

/* Uploads one blob unless the registry has it. */
static wasm_status put_blob(oci_client *c, const oci_ref *ref, const void *data, size_t len,
                            const char *digest, const char *what, wasm_error *err) {
  const char *R = oci_client_ref(c);
  size_t n = strlen(ref->repository) + OCI_DIGEST_LEN + 32;
  char *url = malloc(n), *put = NULL, why[200];
  if (!url) return wasm_fail(err, WASM_NOMEM, "out of memory");
  snprintf(url, n, "/v2/%s/blobs/%s", ref->repository, digest);
  oci_req head = {.method = "HEAD", .url = url};
  oci_resp r;
  wasm_status st = oci_client_do(c, &head, &r, err);
  if (st || r.status == 200) goto done;
  oci_resp_free(&r);
  snprintf(url, n, "/v2/%s/blobs/uploads/", ref->repository);
  oci_req post = {.method = "POST", .url = url};
  if ((st = oci_client_do(c, &post, &r, err))) goto done;
  if (r.status != 202 || !r.location || !*r.location) {
    st = wasm_fail(err, WASM_BAD_ARG, "%s: starting the upload of the %s: %s%s", R, what,
                   oci_resp_reason(&r, why, sizeof why),
                   r.status == 202 ? " (no Location)" : "");
    goto done;
  }
  if (r.location[0] != '/' && strncmp(r.location, "http://", 7) != 0 &&
      strncmp(r.location, "https://", 8) != 0) {
    st = wasm_fail(err, WASM_MALFORMED, "%s: the registry's upload location '%s' is not a URL or path",
                   R, r.location);
    goto done;
  }
  size_t pn = strlen(r.location) + OCI_DIGEST_LEN + 16;
  if (!(put = malloc(pn))) {
    st = wasm_fail(err, WASM_NOMEM, "out of memory");
    goto done;
  }
  /* The digest's ':' as %3A: it is a query value. */
  snprintf(put, pn, "%s%cdigest=sha256%%3A%s", r.location, strchr(r.location, '?') ? '&' : '?',
           digest + 7);
  oci_resp_free(&r);
  char label[300];
  snprintf(label, sizeof label, "pushing %s", R);
  oci_req rq = {.method = "PUT", .url = put, .content_type = "application/octet-stream",
                .body = data, .body_len = len, .progress_label = label};
  if ((st = oci_client_do(c, &rq, &r, err))) goto done;
  if (r.status != 201)
    st = wasm_fail(err, WASM_BAD_ARG, "%s: uploading the %s %s: %s", R, what, digest,
                   oci_resp_reason(&r, why, sizeof why));
done:
  oci_resp_free(&r);
  free(put);
  free(url);
  return st;
}

wasm_status oci_push(const char *refstr, const char *wasm_path, const oci_options *o,
                     char **digest, wasm_error *err) {
  static const oci_options defaults = {0};
  if (!o) o = &defaults;
  if (digest) *digest = NULL;
  oci_ref ref;
  wasm_status st = oci_ref_parse(refstr, &ref, err);
  if (st) return st;
  uint8_t *wasm = NULL;
  size_t wlen = 0;
  char *cfg_text = NULL, *man_text = NULL, *R = oci_ref_string(&ref);
  json_t *config = NULL, *manifest = NULL, *ann = NULL;
  oci_client *c = NULL;
  if (!R) {
    st = wasm_fail(err, WASM_NOMEM, "out of memory");
    goto done;
  }
  if ((st = read_all(wasm_path, &wasm, &wlen, err))) goto done;
  if (wlen < 8 || memcmp(wasm, "\0asm", 4) != 0) {
    st = wasm_fail(err, WASM_MALFORMED, "%s is not a WebAssembly file", wasm_path);
    goto done;
  }
  /* Version 0x0d, layer 1: a component (WASI 0.2); else a core module. */
  bool component = wasm[4] == 0x0d && wasm[5] == 0 && wasm[6] == 1 && wasm[7] == 0;
  char ld[OCI_DIGEST_LEN], cd[OCI_DIGEST_LEN], md[OCI_DIGEST_LEN], created[32];
  oci_digest_of(wasm, wlen, ld);
  rfc3339_now(created, sizeof created);
  const char *slash = strrchr(wasm_path, '/'), *title = slash ? slash + 1 : wasm_path;
  config = json_pack("{s:s, s:s, s:s, s:[s]}", "created", created, "architecture", "wasm", "os",
                     component ? "wasip2" : "wasip1", "layerDigests", ld);
  ann = json_pack("{s:s, s:s}", "org.opencontainers.image.title", title,
                  "org.opencontainers.image.created", created);
  if (!config || !ann) {
    st = wasm_fail(err, WASM_NOMEM, "out of memory");
    goto done;
  }
  metadata_annotations(wasm, wlen, ann, config);
  if (!(cfg_text = dump(config))) {
    st = wasm_fail(err, WASM_NOMEM, "out of memory");
    goto done;
  }
  oci_digest_of(cfg_text, strlen(cfg_text), cd);
  manifest = json_pack(
      "{s:i, s:s, s:s, s:{s:s, s:s, s:I}, s:[{s:s, s:s, s:I, s:{s:s}}], s:O}", "schemaVersion", 2,
      "mediaType", OCI_MEDIA_MANIFEST, "artifactType", OCI_MEDIA_WASM_CONFIG, "config",
      "mediaType", OCI_MEDIA_WASM_CONFIG, "digest", cd, "size", (json_int_t)strlen(cfg_text),
      "layers", "mediaType", OCI_MEDIA_WASM_LAYER, "digest", ld, "size", (json_int_t)wlen,
      "annotations", "org.opencontainers.image.title", title, "annotations", ann);
  if (!manifest || !(man_text = dump(manifest))) {
    st = wasm_fail(err, WASM_NOMEM, "out of memory");
    goto done;
  }
  oci_digest_of(man_text, strlen(man_text), md);
  if (ref.digest && strcmp(ref.digest, md) != 0) {
    st = wasm_fail(err, WASM_BAD_ARG, "%s: the manifest's digest would be %s, not the reference's",
                   R, md);
    goto done;
  }
  if ((st = oci_client_new(&ref, o, &c, err))) goto done;
  if ((st = put_blob(c, &ref, cfg_text, strlen(cfg_text), cd, "config", err))) goto done;
  if ((st = put_blob(c, &ref, wasm, wlen, ld, "wasm layer", err))) goto done;
  size_t n = strlen(ref.repository) + 200;
  char *url = malloc(n);
  if (!url) {
    st = wasm_fail(err, WASM_NOMEM, "out of memory");
    goto done;
  }
  snprintf(url, n, "/v2/%s/manifests/%s", ref.repository, ref.tag ? ref.tag : md);
  oci_req rq = {.method = "PUT", .url = url, .content_type = OCI_MEDIA_MANIFEST,
                .body = man_text, .body_len = strlen(man_text)};
  oci_resp r;
  st = oci_client_do(c, &rq, &r, err);
  free(url);
  if (!st && r.status != 201) {
    char why[200];
    st = wasm_fail(err, WASM_BAD_ARG, "%s: the registry refused the manifest: %s", R,
                   oci_resp_reason(&r, why, sizeof why));
  }
  if (!st && r.docker_digest && strcmp(r.docker_digest, md) != 0)
    st = wasm_fail(err, WASM_MALFORMED, "%s: the registry stored the manifest as %s, not %s", R,
                   r.docker_digest, md);
  oci_resp_free(&r);
  if (!st && digest && !(*digest = strdup(md))) st = wasm_fail(err, WASM_NOMEM, "out of memory");
done:
  oci_client_free(c);
  json_decref(manifest);
  json_decref(ann);
  json_decref(config);
  free(man_text);
  free(cfg_text);
  free(wasm);
  free(R);
  oci_ref_free(&ref);
  return st;
}
