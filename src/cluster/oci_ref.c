/*
 * oci_ref.c: image references (the distribution spec's grammar, with
 * Docker's normalization) and WWW-Authenticate challenges.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cluster/oci_internal.h"

#define REF_NAME_MAX 255

static bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
static bool is_alnum(char c) { return isalnum((unsigned char)c) != 0; }

/* path-component := [a-z0-9]+ (separator [a-z0-9]+)*,
 * separator := [_.] | "__" | "-"+ */
static bool path_component_ok(const char *p, size_t n) {
  size_t i = 0;
  if (n == 0 || !is_lower_alnum(p[0]) || !is_lower_alnum(p[n - 1])) return false;
  while (i < n) {
    while (i < n && is_lower_alnum(p[i])) i++;
    if (i == n) break;
    size_t s = i;
    if (p[i] == '.') i++;
    else if (p[i] == '_') i += (i + 1 < n && p[i + 1] == '_') ? 2 : 1;
    else if (p[i] == '-') while (i < n && p[i] == '-') i++;
    else return false;
    if (i == s || i >= n || !is_lower_alnum(p[i])) return false;
  }
  return true;
}

/* host[:port]: dot-separated labels of [A-Za-z0-9-] not starting or
 * ending with '-', or a bracketed IPv6 address. */
static bool domain_ok(const char *p, size_t n) {
  size_t i = 0;
  if (n && p[0] == '[') {
    const char *close = memchr(p, ']', n);
    if (!close || close == p + 1) return false;
    for (const char *q = p + 1; q < close; q++)
      if (!isxdigit((unsigned char)*q) && *q != ':' && *q != '.') return false;
    i = (size_t)(close - p) + 1;
  } else {
    for (;;) {
      size_t s = i;
      while (i < n && (is_alnum(p[i]) || p[i] == '-')) i++;
      if (i == s || p[s] == '-' || p[i - 1] == '-') return false;
      if (i < n && p[i] == '.') { i++; continue; }
      break;
    }
  }
  if (i == n) return true;
  if (p[i] != ':' || i + 1 == n) return false;
  for (i++; i < n; i++)
    if (!isdigit((unsigned char)p[i])) return false;
  return true;
}

/* tag := [\w][\w.-]{0,127} */
static bool tag_ok(const char *t) {
  size_t n = strlen(t);
  if (n == 0 || n > 128 || t[0] == '.' || t[0] == '-') return false;
  for (size_t i = 0; i < n; i++)
    if (!is_alnum(t[i]) && t[i] != '_' && t[i] != '.' && t[i] != '-') return false;
  return true;
}

void oci_ref_free(oci_ref *r) {
  if (!r) return;
  free(r->registry);
  free(r->host);
  free(r->repository);
  free(r->tag);
  free(r->digest);
  *r = (oci_ref){0};
}

wasm_status oci_ref_parse(const char *s, oci_ref *out, wasm_error *err) {
  *out = (oci_ref){0};
  if (!s || !*s) return wasm_fail(err, WASM_BAD_ARG, "empty image reference");
  char *name = strdup(s);
  if (!name) return wasm_fail(err, WASM_NOMEM, "out of memory");
  wasm_status st = WASM_BAD_ARG;
  const char *why = NULL;
  char *at = strchr(name, '@');
  if (at) {
    *at = 0;
    const char *d = at + 1;
    const char *colon = strchr(d, ':');
    if (!colon || colon == d || !colon[1]) { why = "digest is not ALGORITHM:HEX"; goto fail; }
    if (strncmp(d, "sha256:", 7) != 0) { why = "unsupported digest algorithm (only sha256)"; goto fail; }
    if (!oci_digest_valid(d)) { why = "sha256 digest is not 64 lowercase hex digits"; goto fail; }
    if (!(out->digest = strdup(d))) goto nomem;
  }
  char *slash = strrchr(name, '/'), *colon = strrchr(name, ':');
  if (colon && (!slash || colon > slash)) {
    *colon = 0;
    if (!tag_ok(colon + 1)) { why = "bad tag (letters, digits, '_', '.', '-'; at most 128)"; goto fail; }
    if (!(out->tag = strdup(colon + 1))) goto nomem;
  } else if (!out->digest) {
    if (!(out->tag = strdup("latest"))) goto nomem;
  }
  if (!*name) { why = "no repository name"; goto fail; }
  /* The first component is a registry when it looks like a host name. */
  const char *path = name;
  char *first = strchr(name, '/');
  if (first) {
    size_t n = (size_t)(first - name);
    bool upper = false;
    for (size_t i = 0; i < n; i++) upper |= isupper((unsigned char)name[i]) != 0;
    if (memchr(name, '.', n) || memchr(name, ':', n) || upper ||
        (n == 9 && strncmp(name, "localhost", 9) == 0)) {
      if (!domain_ok(name, n)) { why = "bad registry host"; goto fail; }
      if (!(out->registry = strndup(name, n))) goto nomem;
      path = first + 1;
    }
  }
  if (!out->registry && !(out->registry = strdup("docker.io"))) goto nomem;
  if (strcmp(out->registry, "index.docker.io") == 0 ||
      strcmp(out->registry, "registry-1.docker.io") == 0) {
    free(out->registry);
    if (!(out->registry = strdup("docker.io"))) goto nomem;
  }
  for (const char *p = path;;) {
    const char *e = strchr(p, '/');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (!path_component_ok(p, n)) {
      why = "bad repository name (lowercase letters, digits and separators '.', '_', '__', '-')";
      goto fail;
    }
    if (!e) break;
    p = e + 1;
  }
  bool docker = strcmp(out->registry, "docker.io") == 0;
  if (docker && !strchr(path, '/')) {
    size_t n = strlen(path) + 9;
    if (!(out->repository = malloc(n))) goto nomem;
    snprintf(out->repository, n, "library/%s", path);
  } else if (!(out->repository = strdup(path))) goto nomem;
  if (strlen(out->registry) + 1 + strlen(out->repository) > REF_NAME_MAX) {
    why = "name longer than 255 characters";
    goto fail;
  }
  if (!(out->host = strdup(docker ? "registry-1.docker.io" : out->registry))) goto nomem;
  free(name);
  return WASM_OK;
nomem:
  st = WASM_NOMEM;
  why = "out of memory";
fail:
  free(name);
  oci_ref_free(out);
  return wasm_fail(err, st, "invalid image reference '%.100s%s': %s", s,
                   strlen(s) > 100 ? "..." : "", why);
}

char *oci_ref_string(const oci_ref *r) {
  size_t n = strlen(r->registry) + strlen(r->repository) + (r->tag ? strlen(r->tag) : 0) +
             (r->digest ? strlen(r->digest) : 0) + 4;
  char *s = malloc(n);
  if (!s) return NULL;
  snprintf(s, n, "%s/%s%s%s%s%s", r->registry, r->repository, r->tag ? ":" : "",
           r->tag ? r->tag : "", r->digest ? "@" : "", r->digest ? r->digest : "");
  return s;
}

char *oci_ref_escape(const char *s) {
  size_t n = strlen(s);
  char *o = malloc(3 * n + 1), *p = o;
  if (!o) return NULL;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (is_alnum((char)c) || c == '.' || c == '_' || c == '-') *p++ = (char)c;
    else p += sprintf(p, "%%%02X", c);
  }
  *p = 0;
  /* "." and ".." are not file names we want. */
  if (o[0] == '.') o[0] = '_';
  return o;
}

/* ---- WWW-Authenticate ---- */

static bool is_tchar(char c) {
  return is_alnum(c) || (c && strchr("!#$%&'*+.^_`|~-", c));
}

static const char *skip_ws(const char *p) {
  while (*p == ' ' || *p == '\t') p++;
  return p;
}

void oci_challenge_free(oci_challenge *c) {
  if (!c) return;
  free(c->realm);
  free(c->service);
  free(c->scope);
  free(c->error);
  *c = (oci_challenge){0};
}

bool oci_challenge_parse(const char *h, oci_challenge *out) {
  *out = (oci_challenge){0};
  const char *p = skip_ws(h), *s = p;
  while (is_tchar(*p)) p++;
  if (p == s || (size_t)(p - s) >= sizeof out->scheme) return false;
  memcpy(out->scheme, s, (size_t)(p - s));
  p = skip_ws(p);
  char *val = malloc(strlen(h) + 1);
  if (!val) return false;
  while (*p) {
    const char *k = p;
    while (is_tchar(*p)) p++;
    size_t kn = (size_t)(p - k);
    p = skip_ws(p);
    /* A token with no '=' after it starts the next challenge: stop. */
    if (kn == 0 || *p != '=') break;
    p = skip_ws(p + 1);
    size_t vn = 0;
    if (*p == '"') {
      for (p++; *p && *p != '"'; p++) {
        if (*p == '\\' && p[1]) p++;
        val[vn++] = *p;
      }
      if (*p != '"') goto bad;
      p++;
    } else {
      while (is_tchar(*p) || *p == '/' || *p == ':') val[vn++] = *p++;
    }
    val[vn] = 0;
    char **slot = NULL;
    if (kn == 5 && strncasecmp(k, "realm", 5) == 0) slot = &out->realm;
    else if (kn == 7 && strncasecmp(k, "service", 7) == 0) slot = &out->service;
    else if (kn == 5 && strncasecmp(k, "scope", 5) == 0) slot = &out->scope;
    else if (kn == 5 && strncasecmp(k, "error", 5) == 0) slot = &out->error;
    if (slot) {
      free(*slot);
      if (!(*slot = strdup(val))) goto bad;
    }
    p = skip_ws(p);
    if (*p == ',') p = skip_ws(p + 1);
    else if (*p) break;
  }
  free(val);
  return true;
bad:
  free(val);
  oci_challenge_free(out);
  return false;
}
