/*
 * oci_internal.h: what the oci_*.c files of the cluster layer share
 * (references, SHA-256, the registry client, the cache). Not public: the
 * API is oci_pull/oci_push in stratus/cluster.h. The unit tests include it.
 */
#ifndef STRATUS_OCI_INTERNAL_H
#define STRATUS_OCI_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stratus/cluster.h"

#define OCI_MEDIA_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_MEDIA_INDEX "application/vnd.oci.image.index.v1+json"
#define OCI_MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define OCI_MEDIA_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define OCI_MEDIA_WASM_CONFIG "application/vnd.wasm.config.v0+json"
#define OCI_MEDIA_WASM_LAYER "application/wasm"
#define OCI_MEDIA_WASM_LEGACY "application/vnd.module.wasm.content.layer.v1+wasm"

/* ---- oci_sha256.c ---- */

/* Streams are hashed with plugin_sha256_* (stratus/plugin.h). */
typedef plugin_sha256 oci_sha256;
#define oci_sha256_init plugin_sha256_init
#define oci_sha256_update plugin_sha256_update
#define oci_sha256_final plugin_sha256_final
/* "sha256:" + 64 lowercase hex digits + NUL. */
#define OCI_DIGEST_LEN (7 + 64 + 1)
void oci_sha256_digest(oci_sha256 *s, char out[OCI_DIGEST_LEN]);
void oci_digest_of(const void *data, size_t len, char out[OCI_DIGEST_LEN]);
/* Whether d is "sha256:" followed by 64 lowercase hex digits. */
bool oci_digest_valid(const char *d);

/* ---- oci_ref.c ---- */

/* A parsed reference. registry is as normalized ("docker.io",
 * "localhost:5000", "[::1]:5000"); host is where the API lives
 * ("registry-1.docker.io" for docker.io). tag is NULL when the reference
 * names only a digest; digest is NULL when it has none. */
typedef struct oci_ref {
  char *registry, *host, *repository, *tag, *digest;
} oci_ref;

/* Parses a reference per the distribution spec's grammar: a first path
 * component with a '.' or ':' or equal to "localhost" is the registry;
 * otherwise docker.io, and a one-component name gets "library/". No tag
 * and no digest: "latest". Errors name the reference and the part. */
wasm_status oci_ref_parse(const char *s, oci_ref *out, wasm_error *err);
void oci_ref_free(oci_ref *r);
/* The normalized reference text "REGISTRY/REPO[:TAG][@DIGEST]" (malloc'ed). */
char *oci_ref_string(const oci_ref *r);
/* The reference as one file name: bytes outside [A-Za-z0-9._-] as %XX
 * (malloc'ed). */
char *oci_ref_escape(const char *s);

/* One challenge of a WWW-Authenticate header. */
typedef struct oci_challenge {
  char scheme[16]; /* "Bearer", "Basic" (as sent) */
  char *realm, *service, *scope, *error;
} oci_challenge;

/* Parses the first challenge of a WWW-Authenticate value:
 * SCHEME [param=value | param="quoted \" value"]... (comma-separated).
 * False when the header is malformed. Free with oci_challenge_free. */
bool oci_challenge_parse(const char *header, oci_challenge *out);
void oci_challenge_free(oci_challenge *c);

/* ---- oci_http.c: a registry client with auth, deadline and progress ---- */

typedef struct oci_client oci_client;

typedef struct oci_resp {
  long status;
  char *body; /* NUL-terminated (small bodies only: see below) */
  size_t len;
  char *content_type, *location, *docker_digest, *www_auth;
} oci_resp;

/* Where a response body goes when it is not kept in memory: called with
 * each chunk of a 2xx body; false aborts the transfer (err filled). */
typedef bool (*oci_sink_fn)(void *ctx, const void *data, size_t len, wasm_error *err);

typedef struct oci_req {
  const char *method; /* "GET", "HEAD", "POST", "PUT" */
  const char *url;    /* absolute, or a path below the registry's base */
  const char *accept, *content_type;
  const void *body; /* request body (PUT/POST), or NULL */
  size_t body_len;
  oci_sink_fn sink; /* NULL: the body is kept in resp->body (at most 8 MiB) */
  void *sink_ctx;
  const char *progress_label; /* non-NULL: a progress line for this transfer */
} oci_req;

/* A client for ref's registry; the deadline starts now. ref must outlive it. */
wasm_status oci_client_new(const oci_ref *ref, const oci_options *o, oci_client **out,
                           wasm_error *err);
void oci_client_free(oci_client *c);
/* Performs one request, answering auth challenges (anonymous first; a
 * Bearer challenge gets a token, with the basic credentials if any; a
 * Basic challenge gets the credentials) and retrying once. A transport
 * failure, the deadline, or an unanswerable 401 is an error (named after
 * the reference); any other status is returned in resp. */
wasm_status oci_client_do(oci_client *c, const oci_req *rq, oci_resp *resp, wasm_error *err);
void oci_resp_free(oci_resp *r);
/* "REF: ..." prefix material: the reference as the user wrote it. */
const char *oci_client_ref(const oci_client *c);
/* A one-line reason from a registry error body ({"errors":[{"code",
 * "message"}]}) or the status; into buf. */
const char *oci_resp_reason(const oci_resp *r, char *buf, size_t n);

/* ---- oci_cache.c ---- */

/* The cache directory (o->cache_dir or the per-user default), created;
 * malloc'ed. */
wasm_status oci_cache_dir(const oci_options *o, char **out, wasm_error *err);
/* CACHE/blobs/sha256/<hex> for digest (malloc'ed). */
char *oci_cache_blob_path(const char *cache, const char *digest);
/* Whether the file at path hashes to digest; *exists false when missing.
 * A mismatch is an error naming both digests. */
wasm_status oci_cache_verify(const char *path, const char *digest, bool *exists,
                             wasm_error *err);
/* The layer digest the index records for ref text (malloc'ed), or NULL. */
char *oci_cache_index_get(const char *cache, const char *ref);
/* Records ref -> digest, atomically (temp file + rename). */
wasm_status oci_cache_index_put(const char *cache, const char *ref, const char *digest,
                                wasm_error *err);
/* A temporary file in dir (opened for writing): *path malloc'ed. */
wasm_status oci_cache_tmp(const char *dir, int *fd, char **path, wasm_error *err);
/* mkdir -p. */
bool oci_mkdirs(const char *path);

#endif
