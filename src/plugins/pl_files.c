/* pl_files.c: the file helpers of the directory backends: safe file
 * names for arbitrary bucket/key names, atomic writes by rename, reading,
 * listing and removing. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugins/pl_internal.h"

#define PL_FILE_MAX 255 /* bytes of one file name (NAME_MAX) */

static bool keep(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

bool pl_enc_name(const char *name, char *out, size_t max) {
  static const char hex[] = "0123456789ABCDEF";
  size_t k = 0;
  if (!*name) { /* the empty name: "%" alone, which no other name encodes to */
    if (max < 2) return false;
    memcpy(out, "%", 2);
    return true;
  }
  for (size_t i = 0; name[i]; i++) {
    unsigned char c = (unsigned char)name[i];
    if (keep(c) && !(i == 0 && c == '.')) {
      if (k + 1 >= max) return false;
      out[k++] = (char)c;
    } else {
      if (k + 3 >= max) return false;
      out[k++] = '%';
      out[k++] = hex[c >> 4];
      out[k++] = hex[c & 15];
    }
  }
  out[k] = 0;
  return true;
}

static int unhex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool pl_dec_name(const char *file, char *out, size_t max) {
  if (strcmp(file, "%") == 0) {
    if (max < 1) return false;
    out[0] = 0;
    return true;
  }
  size_t k = 0;
  for (size_t i = 0; file[i]; i++) {
    if (k + 1 >= max) return false;
    if (file[i] == '%') {
      int a = unhex(file[i + 1]), b = a < 0 ? -1 : unhex(file[i + 2]);
      if (a < 0 || b < 0 || (a == 0 && b == 0)) return false;
      out[k++] = (char)(a << 4 | b);
      i += 2;
    } else if (keep((unsigned char)file[i]) && !(i == 0 && file[i] == '.')) {
      out[k++] = file[i];
    } else {
      return false;
    }
  }
  out[k] = 0;
  return true;
}

wasm_status pl_mkdirs(const char *path, wasm_error *err) {
  char buf[PATH_MAX];
  size_t n = strlen(path);
  if (n == 0 || n >= sizeof buf) return pl_fail(err, WASM_BAD_ARG, "bad directory `%s`", path);
  memcpy(buf, path, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (buf[i] != '/' && buf[i] != 0) continue;
    char c = buf[i];
    buf[i] = 0;
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
      return pl_fail(err, WASM_BAD_ARG, "cannot create %s: %s", buf, strerror(errno));
    buf[i] = c;
  }
  struct stat st;
  if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
    return pl_fail(err, WASM_BAD_ARG, "%s is not a directory", path);
  return WASM_OK;
}

wasm_status pl_write_atomic(const char *path, const uint8_t *data, size_t len,
                            wasm_error *err) {
  char tmp[PATH_MAX];
  const char *slash = strrchr(path, '/');
  size_t dn = slash ? (size_t)(slash - path) : 0;
  /* ".tmp-*" never decodes as a name (a leading '.' is always encoded) */
  if (snprintf(tmp, sizeof tmp, "%.*s%s.tmp-XXXXXX", (int)dn, path, slash ? "/" : "") >=
      (int)sizeof tmp)
    return pl_fail(err, WASM_BAD_ARG, "path too long");
  int fd = mkstemp(tmp);
  if (fd < 0) return pl_fail(err, WASM_BAD_ARG, "cannot write %s: %s", path, strerror(errno));
  size_t done = 0;
  while (done < len) {
    ssize_t w = write(fd, data + done, len - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      int e = errno;
      close(fd);
      unlink(tmp);
      return pl_fail(err, WASM_BAD_ARG, "cannot write %s: %s", path, strerror(e));
    }
    done += (size_t)w;
  }
  fchmod(fd, 0644);
  if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
    int e = errno;
    unlink(tmp);
    return pl_fail(err, WASM_BAD_ARG, "cannot write %s: %s", path, strerror(e));
  }
  return WASM_OK;
}

wasm_status pl_read_file(const char *path, uint8_t **data, size_t *len, bool *found,
                         wasm_error *err) {
  *found = false;
  if (data) *data = NULL;
  *len = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return WASM_OK;
    return pl_fail(err, WASM_BAD_ARG, "cannot read %s: %s", path, strerror(errno));
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return pl_fail(err, WASM_BAD_ARG, "cannot read %s: not a file", path);
  }
  size_t n = (size_t)st.st_size;
  if (!data) { /* only the size wanted */
    close(fd);
    *len = n;
    *found = true;
    return WASM_OK;
  }
  uint8_t *p = malloc(n ? n : 1);
  if (!p) {
    close(fd);
    return pl_fail(err, WASM_NOMEM, "out of memory");
  }
  size_t done = 0;
  while (done < n) {
    ssize_t r = read(fd, p + done, n - done);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break; /* shrunk meanwhile: what was there */
    done += (size_t)r;
  }
  close(fd);
  *data = p;
  *len = done;
  *found = true;
  return WASM_OK;
}

wasm_status pl_list_dir(const char *dir, bool missing_ok, char ***names, size_t *n,
                        wasm_error *err) {
  *names = NULL;
  *n = 0;
  DIR *d = opendir(dir);
  if (!d) {
    if (errno == ENOENT && missing_ok) return WASM_OK;
    return pl_fail(err, WASM_BAD_ARG, "cannot list %s: %s", dir, strerror(errno));
  }
  char **v = NULL;
  size_t k = 0, cap = 0;
  struct dirent *e;
  char name[PL_MAX_NAME + 1];
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.' || !pl_dec_name(e->d_name, name, sizeof name)) continue;
    if (k == cap) {
      size_t c = cap ? cap * 2 : 16;
      char **nv = realloc(v, c * sizeof *nv);
      if (!nv) goto nomem;
      v = nv;
      cap = c;
    }
    if (!(v[k] = strdup(name))) goto nomem;
    k++;
  }
  closedir(d);
  pl_strs_sort(v, k);
  *names = v;
  *n = k;
  return WASM_OK;
nomem:
  closedir(d);
  pl_strs_free(v, k);
  return pl_fail(err, WASM_NOMEM, "out of memory");
}

wasm_status pl_remove_tree(const char *path, wasm_error *err) {
  DIR *d = opendir(path);
  if (!d) {
    if (errno == ENOENT) return WASM_OK;
    if (errno == ENOTDIR) return unlink(path) == 0 ? WASM_OK : pl_fail(err, WASM_BAD_ARG, "cannot remove %s: %s", path, strerror(errno));
    return pl_fail(err, WASM_BAD_ARG, "cannot remove %s: %s", path, strerror(errno));
  }
  struct dirent *e;
  char sub[PATH_MAX];
  wasm_status st = WASM_OK;
  while (!st && (e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
    struct stat s;
    if (lstat(sub, &s) == 0 && S_ISDIR(s.st_mode))
      st = pl_remove_tree(sub, err);
    else if (unlink(sub) != 0 && errno != ENOENT)
      st = pl_fail(err, WASM_BAD_ARG, "cannot remove %s: %s", sub, strerror(errno));
  }
  closedir(d);
  if (!st && rmdir(path) != 0 && errno != ENOENT)
    st = pl_fail(err, WASM_BAD_ARG, "cannot remove %s: %s", path, strerror(errno));
  return st;
}

wasm_status pl_path(char *out, size_t max, const char *root, const char *scope, const char *a,
                    const char *b, wasm_error *err) {
  char enc[PL_FILE_MAX + 1];
  size_t k = (size_t)snprintf(out, max, "%s", root);
  /* the scope "ns/name": each part its own directory */
  const char *slash = strchr(scope, '/');
  char part[PL_MAX_NAME + 1];
  const char *parts[4] = {NULL, NULL, a, b};
  size_t n0 = slash ? (size_t)(slash - scope) : strlen(scope);
  if (n0 > PL_MAX_NAME) return pl_fail(err, WASM_BAD_ARG, "name too long");
  memcpy(part, scope, n0);
  part[n0] = 0;
  parts[0] = part;
  parts[1] = slash ? slash + 1 : NULL;
  for (int i = 0; i < 4; i++) {
    if (!parts[i]) continue;
    if (!pl_enc_name(parts[i], enc, sizeof enc))
      return pl_fail(err, WASM_BAD_ARG, "name too long for a file name: `%.64s`", parts[i]);
    if (k >= max || (size_t)snprintf(out + k, max - k, "/%s", enc) >= max - k)
      return pl_fail(err, WASM_BAD_ARG, "path too long");
    k += strlen(out + k);
  }
  return WASM_OK;
}
