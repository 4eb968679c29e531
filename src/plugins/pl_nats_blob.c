/* pl_nats_blob.c: the blob backend on the NATS object store protocol,
 * implemented on JetStream (nats.c 3.4 has no object store API), so that
 * objects written here read back with other NATS clients' object stores
 * (Go, JavaScript) and the reverse. The protocol, as those clients speak it:
 *
 *   container C  = stream OBJ_C, subjects $O.C.C.> and $O.C.M.>, discard
 *                  new, rollup headers and direct get allowed
 *   object data  = chunks of at most 128 KiB (or the server's max payload)
 *                  published on $O.C.C.<nuid>, a fresh nuid per version
 *   object info  = a JSON ObjectInfo published last on $O.C.M.<base64url
 *                  (padded) of the name> with "Nats-Rollup: sub", so only
 *                  the newest stays: {name, description, options:
 *                  {max_chunk_size}, bucket, nuid, size, mtime (RFC 3339),
 *                  chunks, digest "SHA-256=<base64url padded>", deleted}
 *   replace      = new chunks, new info, then the old nuid's chunks purged
 *   delete       = the info again with deleted true, size and chunks 0 and
 *                  no digest, then its chunks purged
 *
 * Reads take the info (the last message on its subject), then the chunks
 * one by one by direct get (next message on the chunk subject), checking
 * count, size and digest. Scope is ignored: bucket names are global on
 * NATS, as in wasmCloud's blobstore-nats. JSON by jansson. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <jansson.h>

#include "plugins/pl_nats_internal.h"

#define NOB_CHUNK (128u * 1024u)
#define NOB_DIGEST "SHA-256="
#define NOB_SUBJ_MAX 2048

typedef struct nob {
  natsConnection *nc;
  jsCtx *js;
  bool no_create;
} nob;

/* ---- names ---- */

/* Checks the container name and the connection; fills stream. */
static wasm_status nob_prep(plugin_blob_backend *be, const char *container, char *stream,
                            size_t max, wasm_error *err) {
  nob *b = be->self;
  if (!pln_bucket_valid(container))
    return pl_fail(err, WASM_BAD_ARG,
                   "blobstore: invalid container name `%.200s` (NATS allows [A-Za-z0-9_-])",
                   container);
  snprintf(stream, max, "OBJ_%s", container);
  return pln_connected(b->nc, "blobstore", err);
}

/* $O.<container>.M.<base64url padded name> into out. */
static wasm_status meta_subject(const char *container, const char *object, char *out, size_t max,
                                wasm_error *err) {
  if (!object || !*object) return pl_fail(err, WASM_BAD_ARG, "blobstore: empty object name");
  char *enc = pln_b64url_enc((const uint8_t *)object, strlen(object), true);
  if (!enc) return pl_fail(err, WASM_NOMEM, "out of memory");
  int n = snprintf(out, max, "$O.%s.M.%s", container, enc);
  free(enc);
  if (n < 0 || (size_t)n >= max)
    return pl_fail(err, WASM_BAD_ARG, "blobstore: object name too long");
  return WASM_OK;
}

/* A fresh object id: 22 characters of [0-9A-Za-z], as NUIDs are. */
static wasm_status new_nuid(char out[23], wasm_error *err) {
  static const char alpha[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  uint8_t r[22];
  if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
    return pl_fail(err, WASM_BAD_ARG, "blobstore: no random bytes");
  for (int i = 0; i < 22; i++) out[i] = alpha[r[i] % 62];
  out[22] = 0;
  return WASM_OK;
}

/* ---- object info ---- */

/* The ObjectInfo (JSON) last published on subj, deleted ones included;
 * *info NULL when there is none, *missing_stream when the container does
 * not exist. */
static wasm_status info_read(nob *b, const char *stream, const char *subj, json_t **info,
                             bool *missing_stream, wasm_error *err) {
  *info = NULL;
  *missing_stream = false;
  natsMsg *m = NULL;
  jsErrCode jerr = 0;
  natsStatus s = NATS_TIMEOUT;
  /* a read: tried again when it timed out (see pl_nats_kv.c kv_read) */
  for (int i = 0; i < 3 && s == NATS_TIMEOUT; i++) {
    s = js_GetLastMsg(&m, b->js, stream, subj, NULL, &jerr);
    if (natsConnection_Status(b->nc) != NATS_CONN_STATUS_CONNECTED) break;
  }
  if (s != NATS_OK) {
    if (jerr == JSStreamNotFoundErr) {
      *missing_stream = true;
      return WASM_OK;
    }
    if (s == NATS_NOT_FOUND || jerr == JSNoMessageFoundErr) {
      return WASM_OK;
    }
    return pln_fail(err, s, "blobstore: read object info from %s", stream);
  }
  json_error_t je;
  json_t *j = json_loadb(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m), 0, &je);
  natsMsg_Destroy(m);
  if (!j || !json_is_object(j)) {
    json_decref(j);
    return pl_fail(err, WASM_BAD_ARG, "blobstore: malformed object info on %s", subj);
  }
  *info = j;
  return WASM_OK;
}

static const char *jstr(json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "";
}

static uint64_t juint(json_t *o, const char *k) {
  json_t *v = json_object_get(o, k);
  if (json_is_integer(v) && json_integer_value(v) > 0) return (uint64_t)json_integer_value(v);
  if (json_is_real(v) && json_real_value(v) > 0) return (uint64_t)json_real_value(v);
  return 0;
}

/* Seconds since the epoch of an RFC 3339 time ("2024-05-01T10:00:00.5Z",
 * "...+02:00"); 0 when malformed. */
static uint64_t parse_rfc3339(const char *s) {
  struct tm tm = {0};
  int n = 0;
  if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
             &tm.tm_min, &tm.tm_sec, &n) != 6)
    return 0;
  const char *p = s + n;
  if (*p == '.')
    for (p++; *p >= '0' && *p <= '9'; p++) {}
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  time_t t = timegm(&tm);
  int oh = 0, om = 0;
  if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d", &oh, &om) == 2)
    t -= (*p == '+' ? 1 : -1) * (time_t)(oh * 3600 + om * 60);
  return t > 0 ? (uint64_t)t : 0;
}

static bool info_deleted(json_t *info) { return json_is_true(json_object_get(info, "deleted")); }

/* Publishes info on subj with the rollup header (only the newest stays). */
static wasm_status info_publish(nob *b, const char *subj, json_t *info, wasm_error *err) {
  char *text = json_dumps(info, JSON_COMPACT);
  if (!text) return pl_fail(err, WASM_NOMEM, "out of memory");
  natsMsg *m = NULL;
  natsStatus s = natsMsg_Create(&m, subj, NULL, text, (int)strlen(text));
  if (s == NATS_OK) s = natsMsgHeader_Set(m, "Nats-Rollup", "sub");
  jsErrCode jerr = 0;
  if (s == NATS_OK) s = js_PublishMsg(NULL, b->js, m, NULL, &jerr);
  natsMsg_Destroy(m);
  free(text);
  return s == NATS_OK ? WASM_OK : pln_fail(err, s, "blobstore: publish object info");
}

/* Removes the chunks of nuid (best effort after the info is live: the
 * object is consistent either way, as the other clients do it). */
static wasm_status purge_chunks(nob *b, const char *stream, const char *container,
                                const char *nuid, wasm_error *err) {
  if (!nuid || !*nuid) return WASM_OK;
  char subj[NOB_SUBJ_MAX];
  snprintf(subj, sizeof subj, "$O.%s.C.%s", container, nuid);
  jsOptions o;
  jsOptions_Init(&o);
  o.Wait = PLN_JS_WAIT_MS;
  o.Stream.Purge.Subject = subj;
  jsErrCode jerr = 0;
  natsStatus s = js_PurgeStream(b->js, stream, &o, &jerr);
  return s == NATS_OK ? WASM_OK : pln_fail(err, s, "blobstore: purge chunks of %s", stream);
}

/* ---- containers ---- */

static wasm_status nob_stat(plugin_blob_backend *be, const char *scope, const char *container,
                            bool *found, uint64_t *created, wasm_error *err) {
  nob *b = be->self;
  char stream[300];
  *found = false;
  wasm_status st = nob_prep(be, container, stream, sizeof stream, err);
  if (st) return st;
  jsStreamInfo *si = NULL;
  jsErrCode jerr = 0;
  natsStatus s = js_GetStreamInfo(&si, b->js, stream, NULL, &jerr);
  if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
    return WASM_OK;
  }
  if (s != NATS_OK) return pln_fail(err, s, "blobstore: container `%s`", container);
  *found = true;
  if (created) *created = si->Created > 0 ? (uint64_t)(si->Created / 1000000000) : 0;
  jsStreamInfo_Destroy(si);
  return WASM_OK;
}

static wasm_status nob_create(plugin_blob_backend *be, const char *scope, const char *container,
                              wasm_error *err) {
  nob *b = be->self;
  bool found;
  wasm_status st = nob_stat(be, scope, container, &found, NULL, err);
  if (st) return st;
  /* adding a stream with the same config succeeds on JetStream: ask first */
  if (found) return pl_fail(err, WASM_BAD_ARG, "blobstore: container `%s` already exists", container);
  if (b->no_create)
    return pl_fail(err, WASM_BAD_ARG,
                   "blobstore: container `%s` does not exist and creating containers is disabled",
                   container);
  char stream[300], chunks[300], metas[300];
  snprintf(stream, sizeof stream, "OBJ_%s", container);
  snprintf(chunks, sizeof chunks, "$O.%s.C.>", container);
  snprintf(metas, sizeof metas, "$O.%s.M.>", container);
  const char *subjects[2] = {chunks, metas};
  jsStreamConfig c;
  jsStreamConfig_Init(&c);
  c.Name = stream;
  c.Subjects = subjects;
  c.SubjectsLen = 2;
  c.Storage = js_FileStorage;
  c.Replicas = 1;
  c.Discard = js_DiscardNew;
  c.AllowRollup = true;
  c.AllowDirect = true;
  jsStreamInfo *si = NULL;
  jsErrCode jerr = 0;
  natsStatus s = js_AddStream(&si, b->js, &c, NULL, &jerr);
  jsStreamInfo_Destroy(si);
  return s == NATS_OK ? WASM_OK : pln_fail(err, s, "blobstore: create container `%s`", container);
}

static wasm_status nob_destroy_container(plugin_blob_backend *be, const char *scope,
                                         const char *container, wasm_error *err) {
  nob *b = be->self;
  char stream[300];
  wasm_status st = nob_prep(be, container, stream, sizeof stream, err);
  if (st) return st;
  jsErrCode jerr = 0;
  natsStatus s = js_DeleteStream(b->js, stream, NULL, &jerr);
  if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
    return pl_fail(err, WASM_BAD_ARG, "blobstore: container `%s` does not exist", container);
  }
  return s == NATS_OK ? WASM_OK : pln_fail(err, s, "blobstore: delete container `%s`", container);
}

/* ---- objects ---- */

/* The stream and meta subject of object in container (stream: 300 bytes,
 * msubj: NOB_SUBJ_MAX) and its info as stored (*info NULL when it was
 * never written); a missing container is an error. */
static wasm_status object_info(plugin_blob_backend *be, const char *container, const char *object,
                               char *stream, char *msubj, json_t **info, wasm_error *err) {
  *info = NULL;
  wasm_status st = nob_prep(be, container, stream, 300, err);
  if (!st) st = meta_subject(container, object, msubj, NOB_SUBJ_MAX, err);
  bool nostream = false;
  if (!st) st = info_read(be->self, stream, msubj, info, &nostream, err);
  if (!st && nostream) st = pl_fail(err, WASM_BAD_ARG, "blobstore: container `%s` does not exist", container);
  return st;
}

static wasm_status nob_put(plugin_blob_backend *be, const char *scope, const char *container,
                           const char *object, const uint8_t *data, size_t len,
                           wasm_error *err) {
  nob *b = be->self;
  char stream[300], msubj[NOB_SUBJ_MAX], csubj[NOB_SUBJ_MAX], nuid[23];
  json_t *old = NULL;
  wasm_status st = new_nuid(nuid, err);
  if (!st) st = object_info(be, container, object, stream, msubj, &old, err);
  if (st) return st;
  snprintf(csubj, sizeof csubj, "$O.%s.C.%s", container, nuid);
  int64_t mp = natsConnection_GetMaxPayload(b->nc);
  size_t chunk = mp > 0 && (uint64_t)mp < NOB_CHUNK ? (size_t)mp : NOB_CHUNK;
  plugin_sha256 sha;
  plugin_sha256_init(&sha);
  size_t nchunks = 0;
  for (size_t off = 0; off < len; off += chunk) {
    size_t n = len - off < chunk ? len - off : chunk;
    jsErrCode jerr = 0;
    natsStatus s = js_Publish(NULL, b->js, csubj, data + off, (int)n, NULL, &jerr);
    if (s != NATS_OK) {
      st = pln_fail(err, s, "blobstore: put `%.100s` in `%s`", object, container);
      wasm_error ignored;
      purge_chunks(b, stream, container, nuid, &ignored); /* no partial object left */
      json_decref(old);
      return st;
    }
    plugin_sha256_update(&sha, data + off, n);
    nchunks++;
  }
  uint8_t dg[32];
  plugin_sha256_final(&sha, dg);
  char *d64 = pln_b64url_enc(dg, sizeof dg, true);
  char digest[64], mtime[40];
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  struct tm tm;
  gmtime_r(&now.tv_sec, &tm);
  size_t k = strftime(mtime, sizeof mtime, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(mtime + k, sizeof mtime - k, ".%09ldZ", now.tv_nsec);
  if (d64) snprintf(digest, sizeof digest, "%s%s", NOB_DIGEST, d64);
  free(d64);
  json_t *info = d64 ? json_pack("{s:s, s:s, s:{s:I}, s:s, s:s, s:I, s:s, s:I, s:s, s:b}",
                                 "name", object, "description", "", "options",
                                 "max_chunk_size", (json_int_t)chunk, "bucket", container,
                                 "nuid", nuid, "size", (json_int_t)len, "mtime", mtime,
                                 "chunks", (json_int_t)nchunks, "digest", digest, "deleted", 0)
                     : NULL;
  if (!info) {
    wasm_error ignored;
    purge_chunks(b, stream, container, nuid, &ignored);
    json_decref(old);
    return pl_fail(err, WASM_NOMEM, "out of memory");
  }
  st = info_publish(b, msubj, info, err);
  json_decref(info);
  if (st) {
    wasm_error ignored;
    purge_chunks(b, stream, container, nuid, &ignored);
  } else if (old) { /* the new version is live: the old chunks go */
    wasm_error ignored;
    purge_chunks(b, stream, container, jstr(old, "nuid"), &ignored);
  }
  json_decref(old);
  return st;
}

/* The chunks of info into a malloc'ed buffer, checked against its size,
 * chunk count and digest. */
static wasm_status read_chunks(nob *b, const char *stream, const char *container,
                               const char *object, json_t *info, uint64_t size,
                               uint8_t **out, wasm_error *err) {
  const char *nuid = jstr(info, "nuid"), *digest = jstr(info, "digest");
  uint64_t want_chunks = juint(info, "chunks");
  if (strncmp(digest, NOB_DIGEST, strlen(NOB_DIGEST)) != 0)
    return pl_fail(err, WASM_BAD_ARG, "blobstore: `%.100s`: unknown digest type \"%.40s\"", object,
                   digest);
  size_t dlen;
  uint8_t *want = pln_b64url_dec(digest + strlen(NOB_DIGEST), &dlen);
  if (!want || dlen != 32) {
    free(want);
    return pl_fail(err, WASM_BAD_ARG, "blobstore: `%.100s`: malformed digest", object);
  }
  uint8_t *buf = malloc(size ? size : 1);
  if (!buf) {
    free(want);
    return pl_fail(err, WASM_NOMEM, "out of memory");
  }
  char csubj[NOB_SUBJ_MAX];
  snprintf(csubj, sizeof csubj, "$O.%s.C.%s", container, nuid);
  plugin_sha256 sha;
  plugin_sha256_init(&sha);
  uint64_t got = 0, nchunks = 0, seq = 0;
  wasm_status st = WASM_OK;
  while (!st && got < size) {
    jsDirectGetMsgOptions dg;
    jsDirectGetMsgOptions_Init(&dg);
    dg.Sequence = seq + 1;
    dg.NextBySubject = csubj;
    natsMsg *m = NULL;
    natsStatus s = NATS_TIMEOUT;
    for (int i = 0; i < 3 && s == NATS_TIMEOUT; i++) { /* a read: safe to repeat */
      s = js_DirectGetMsg(&m, b->js, stream, NULL, &dg);
      if (natsConnection_Status(b->nc) != NATS_CONN_STATUS_CONNECTED) break;
    }
    if (s == NATS_NOT_FOUND) {
      st = pl_fail(err, WASM_BAD_ARG, "blobstore: `%.100s`: chunks missing (%" PRIu64 " of %" PRIu64
                   " bytes)", object, got, size);
      break;
    }
    if (s != NATS_OK) {
      st = pln_fail(err, s, "blobstore: get `%.100s` from `%s`", object, container);
      break;
    }
    const char *sv = NULL;
    uint64_t mseq = 0;
    if (natsMsgHeader_Get(m, "Nats-Sequence", &sv) == NATS_OK && sv)
      mseq = strtoull(sv, NULL, 10);
    else
      mseq = natsMsg_GetSequence(m);
    int n = natsMsg_GetDataLength(m);
    if (mseq <= seq || n < 0 || (uint64_t)n > size - got) {
      st = pl_fail(err, WASM_BAD_ARG, "blobstore: `%.100s`: chunks do not match its size %" PRIu64,
                   object, size);
    } else {
      memcpy(buf + got, natsMsg_GetData(m), (size_t)n);
      plugin_sha256_update(&sha, buf + got, (size_t)n);
      got += (uint64_t)n;
      nchunks++;
      seq = mseq;
    }
    natsMsg_Destroy(m);
  }
  if (!st && want_chunks && nchunks != want_chunks)
    st = pl_fail(err, WASM_BAD_ARG, "blobstore: `%.100s`: %" PRIu64 " chunks, its info says %" PRIu64,
                 object, nchunks, want_chunks);
  if (!st) {
    uint8_t dg[32];
    plugin_sha256_final(&sha, dg);
    if (memcmp(dg, want, 32) != 0)
      st = pl_fail(err, WASM_BAD_ARG, "blobstore: `%.100s`: corrupt object (digest mismatch)", object);
  }
  free(want);
  if (st) free(buf);
  else *out = buf;
  return st;
}

static wasm_status nob_get(plugin_blob_backend *be, const char *scope, const char *container,
                           const char *object, uint8_t **data, uint64_t *size, uint64_t *created,
                           bool *found, wasm_error *err) {
  nob *b = be->self;
  *found = false;
  char stream[300], msubj[NOB_SUBJ_MAX];
  json_t *info = NULL;
  wasm_status st = object_info(be, container, object, stream, msubj, &info, err);
  if (st) return st;
  if (!info || info_deleted(info)) {
    json_decref(info);
    return WASM_OK;
  }
  json_t *opts = json_object_get(info, "options");
  if (json_is_object(opts) && json_object_get(opts, "link") && !json_is_null(json_object_get(opts, "link"))) {
    json_decref(info);
    return pl_fail(err, WASM_BAD_ARG, "blobstore: `%.100s` is a link (not supported)", object);
  }
  uint64_t sz = juint(info, "size");
  if (sz > PLUGIN_BLOB_MAX) {
    json_decref(info);
    return pl_fail(err, WASM_BAD_ARG, "blobstore: `%.100s` is larger than %u bytes", object,
                   PLUGIN_BLOB_MAX);
  }
  if (data) st = read_chunks(b, stream, container, object, info, sz, data, err);
  if (!st) {
    *size = sz;
    if (created) *created = parse_rfc3339(jstr(info, "mtime"));
    *found = true;
  }
  json_decref(info);
  return st;
}

static wasm_status nob_del(plugin_blob_backend *be, const char *scope, const char *container,
                           const char *object, wasm_error *err) {
  nob *b = be->self;
  char stream[300], msubj[NOB_SUBJ_MAX];
  json_t *info = NULL;
  wasm_status st = object_info(be, container, object, stream, msubj, &info, err);
  if (st) return st;
  if (!info || info_deleted(info)) {
    json_decref(info);
    return WASM_OK;
  }
  char *nuid = strdup(jstr(info, "nuid"));
  /* the rest of the info stays, as the other clients keep it */
  if (!nuid || json_object_set_new(info, "deleted", json_true()) ||
      json_object_set_new(info, "size", json_integer(0)) ||
      json_object_set_new(info, "chunks", json_integer(0)) ||
      json_object_set_new(info, "digest", json_string(""))) {
    free(nuid);
    json_decref(info);
    return pl_fail(err, WASM_NOMEM, "out of memory");
  }
  st = info_publish(b, msubj, info, err);
  json_decref(info);
  if (!st) st = purge_chunks(b, stream, container, nuid, err);
  free(nuid);
  return st;
}

static wasm_status nob_list(plugin_blob_backend *be, const char *scope, const char *container,
                            char ***names, size_t *n, wasm_error *err) {
  nob *b = be->self;
  *names = NULL;
  *n = 0;
  char stream[300], filter[300];
  wasm_status st = nob_prep(be, container, stream, sizeof stream, err);
  if (st) return st;
  snprintf(filter, sizeof filter, "$O.%s.M.>", container);
  /* the info subjects from the stream state, then each info (deleted
   * objects keep theirs) */
  jsOptions o;
  jsOptions_Init(&o);
  o.Wait = PLN_JS_WAIT_MS;
  o.Stream.Info.SubjectsFilter = filter;
  jsStreamInfo *si = NULL;
  jsErrCode jerr = 0;
  natsStatus s = js_GetStreamInfo(&si, b->js, stream, &o, &jerr);
  if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
    return pl_fail(err, WASM_BAD_ARG, "blobstore: container `%s` does not exist", container);
  }
  if (s != NATS_OK) return pln_fail(err, s, "blobstore: list `%s`", container);
  int count = si->State.Subjects ? si->State.Subjects->Count : 0;
  char **v = calloc(count > 0 ? (size_t)count : 1, sizeof *v);
  size_t m = 0;
  if (!v) st = pl_fail(err, WASM_NOMEM, "out of memory");
  for (int i = 0; !st && i < count; i++) {
    json_t *info = NULL;
    bool nostream;
    st = info_read(b, stream, si->State.Subjects->List[i].Subject, &info, &nostream, err);
    if (!st && nostream) st = pl_fail(err, WASM_BAD_ARG, "blobstore: container `%s` does not exist", container);
    if (!st && info && !info_deleted(info) && json_is_string(json_object_get(info, "name")) &&
        !(v[m++] = strdup(jstr(info, "name"))))
      st = pl_fail(err, WASM_NOMEM, "out of memory");
    json_decref(info);
  }
  jsStreamInfo_Destroy(si);
  if (st) {
    if (v) pl_strs_free(v, m);
    return st;
  }
  pl_strs_sort(v, m);
  *names = v;
  *n = m;
  return WASM_OK;
}

static void nob_destroy(plugin_blob_backend *be) {
  if (!be) return;
  nob *b = be->self;
  if (b) {
    jsCtx_Destroy(b->js);
    free(b);
  }
  free(be);
}

wasm_status plugin_blob_nats_new(natsConnection *nc, const plugin_nats_options *o,
                                 plugin_blob_backend **out, wasm_error *err) {
  *out = NULL;
  if (!nc) return pl_fail(err, WASM_BAD_ARG, "blobstore: no NATS connection");
  plugin_blob_backend *be = calloc(1, sizeof *be);
  nob *b = calloc(1, sizeof *b);
  if (!be || !b) {
    free(be);
    free(b);
    return pl_fail(err, WASM_NOMEM, "out of memory");
  }
  wasm_status st = pln_js(nc, &b->js, "blobstore", err);
  if (st) {
    free(be);
    free(b);
    return st;
  }
  b->nc = nc;
  b->no_create = o && o->no_create_buckets;
  *be = (plugin_blob_backend){.name = "nats", .self = b, .create = nob_create, .stat = nob_stat,
                              .destroy_container = nob_destroy_container, .put = nob_put,
                              .get = nob_get, .del = nob_del, .list = nob_list,
                              .destroy = nob_destroy};
  *out = be;
  return WASM_OK;
}
