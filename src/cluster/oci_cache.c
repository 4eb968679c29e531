/*
 * oci_cache.c: the on-disk cache of pulled artifacts:
 *
 *   CACHE/blobs/sha256/<hex>     a layer, named by its digest
 *   CACHE/refs/<escaped ref>     "sha256:<hex>\n": the layer the reference
 *                                resolved to when last pulled
 *
 * Every file is written to a temporary name in the same directory and
 * renamed into place, so readers (other threads, other processes) see
 * either nothing or a complete file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cluster/oci_internal.h"

bool oci_mkdirs(const char *path) {
  char *p = strdup(path);
  if (!p) return false;
  for (char *s = p + 1;; s++) {
    if (*s == '/' || !*s) {
      char c = *s;
      *s = 0;
      if (mkdir(p, 0755) != 0 && errno != EEXIST) {
        free(p);
        return false;
      }
      *s = c;
      if (!c) break;
    }
  }
  free(p);
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static char *join(const char *a, const char *b, const char *c) {
  size_t n = strlen(a) + strlen(b) + (c ? strlen(c) : 0) + 3;
  char *s = malloc(n);
  if (s) snprintf(s, n, "%s/%s%s%s", a, b, c ? "/" : "", c ? c : "");
  return s;
}

wasm_status oci_cache_dir(const oci_options *o, char **out, wasm_error *err) {
  char *dir = NULL;
  if (o && o->cache_dir && *o->cache_dir) {
    dir = strdup(o->cache_dir);
  } else {
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && *xdg) dir = join(xdg, "stratus", "oci");
    else if (home && *home) dir = join(home, ".cache/stratus", "oci");
    else return wasm_fail(err, WASM_BAD_ARG, "no OCI cache directory: set HOME, XDG_CACHE_HOME or --cache-dir");
  }
  if (!dir) return wasm_fail(err, WASM_NOMEM, "out of memory");
  char *blobs = join(dir, "blobs/sha256", NULL), *refs = join(dir, "refs", NULL);
  bool ok = blobs && refs && oci_mkdirs(blobs) && oci_mkdirs(refs);
  int e = errno;
  free(blobs);
  free(refs);
  if (!ok) {
    wasm_status st = wasm_fail(err, WASM_BAD_ARG, "cannot create the OCI cache directory %s: %s",
                               dir, strerror(e));
    free(dir);
    return st;
  }
  *out = dir;
  return WASM_OK;
}

char *oci_cache_blob_path(const char *cache, const char *digest) {
  return join(cache, "blobs/sha256", digest + 7);
}

wasm_status oci_cache_verify(const char *path, const char *digest, bool *exists,
                             wasm_error *err) {
  *exists = false;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return WASM_OK;
    return wasm_fail(err, WASM_BAD_ARG, "cannot open %s: %s", path, strerror(errno));
  }
  *exists = true;
  enum { CHUNK = 1 << 20 };
  uint8_t *buf = malloc(CHUNK);
  if (!buf) {
    close(fd);
    return wasm_fail(err, WASM_NOMEM, "out of memory");
  }
  oci_sha256 s;
  oci_sha256_init(&s);
  ssize_t n;
  while ((n = read(fd, buf, CHUNK)) > 0) oci_sha256_update(&s, buf, (size_t)n);
  int e = errno;
  free(buf);
  close(fd);
  if (n < 0) return wasm_fail(err, WASM_BAD_ARG, "cannot read %s: %s", path, strerror(e));
  char got[OCI_DIGEST_LEN];
  oci_sha256_digest(&s, got);
  if (strcmp(got, digest) != 0)
    return wasm_fail(err, WASM_MALFORMED, "digest mismatch: %s is %s, expected %s", path, got,
                     digest);
  return WASM_OK;
}

char *oci_cache_index_get(const char *cache, const char *ref) {
  char *esc = oci_ref_escape(ref);
  char *path = esc ? join(cache, "refs", esc) : NULL;
  free(esc);
  if (!path) return NULL;
  FILE *f = fopen(path, "re");
  free(path);
  if (!f) return NULL;
  char line[128] = {0};
  bool ok = fgets(line, sizeof line, f) != NULL;
  fclose(f);
  line[strcspn(line, "\r\n")] = 0;
  return ok && oci_digest_valid(line) ? strdup(line) : NULL;
}

wasm_status oci_cache_tmp(const char *dir, int *fd, char **path, wasm_error *err) {
  char *p = join(dir, ".tmp-XXXXXX", NULL);
  if (!p) return wasm_fail(err, WASM_NOMEM, "out of memory");
  *fd = mkostemp(p, O_CLOEXEC);
  if (*fd < 0) {
    wasm_status st = wasm_fail(err, WASM_BAD_ARG, "cannot create a file in %s: %s", dir,
                               strerror(errno));
    free(p);
    return st;
  }
  /* mkostemp makes it 0600; cached artifacts are not secrets. */
  fchmod(*fd, 0644);
  *path = p;
  return WASM_OK;
}

wasm_status oci_cache_index_put(const char *cache, const char *ref, const char *digest,
                                wasm_error *err) {
  char *esc = oci_ref_escape(ref);
  char *dir = join(cache, "refs", NULL);
  char *path = esc && dir ? join(dir, esc, NULL) : NULL;
  char *tmp = NULL;
  int fd = -1;
  wasm_status st;
  if (!path) {
    st = wasm_fail(err, WASM_NOMEM, "out of memory");
    goto done;
  }
  if ((st = oci_cache_tmp(dir, &fd, &tmp, err))) goto done;
  size_t n = strlen(digest);
  char line[OCI_DIGEST_LEN + 1];
  snprintf(line, sizeof line, "%s\n", digest);
  if (write(fd, line, n + 1) != (ssize_t)(n + 1) || close(fd) != 0) {
    fd = -1;
    st = wasm_fail(err, WASM_BAD_ARG, "cannot write %s: %s", tmp, strerror(errno));
    unlink(tmp);
    goto done;
  }
  fd = -1;
  if (rename(tmp, path) != 0) {
    st = wasm_fail(err, WASM_BAD_ARG, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    unlink(tmp);
  }
done:
  if (fd >= 0) close(fd);
  free(tmp);
  free(path);
  free(dir);
  free(esc);
  return st;
}
