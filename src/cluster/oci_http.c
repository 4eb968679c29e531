/*
 * oci_http.c: the registry client (OCI distribution API over libcurl).
 *
 * One client per pull or push: one curl handle (connections are reused
 * between its requests), one deadline for the whole operation, and the
 * authorization that the registry's challenges asked for. Requests start
 * anonymous; a 401 with a Bearer challenge fetches a token from the realm
 * (with the basic credentials, when given) and retries; a Basic challenge
 * retries with the credentials. The token is kept for later requests.
 *
 * https only, unless allow_insecure: then the registry is talked to over
 * plain http (as wash does for insecure registries), and TLS, if a
 * redirect leads to it, is not verified. Trying https first instead would
 * hang on servers that never answer a TLS ClientHello.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "cluster/oci_internal.h"

#define OCI_MEM_BODY_MAX (8u << 20)

struct oci_client {
  const oci_ref *ref;
  const oci_options *o;
  char *refstr; /* for messages */
  char *base;   /* "https://host" */
  char *auth; /* "Authorization: ..." or NULL */
  char *auth_scope; /* the scope the token was issued for */
  bool auth_basic;
  uint64_t deadline, timeout_ns;
  CURL *curl;
  char errbuf[CURL_ERROR_SIZE];
  /* the transfer in flight */
  const oci_req *rq;
  oci_resp *resp;
  wasm_error *sink_err;
  bool sink_failed, too_big;
  size_t cap;
  bool progress;
  uint64_t last_draw;
  bool drawn;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void curl_init(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const char *oci_client_ref(const oci_client *c) { return c->refstr; }

wasm_status oci_client_new(const oci_ref *ref, const oci_options *o, oci_client **out,
                           wasm_error *err) {
  pthread_once(&curl_once, curl_init);
  if (curl_init_rc != CURLE_OK) return wasm_fail(err, WASM_BAD_ARG, "libcurl failed to initialize");
  oci_client *c = calloc(1, sizeof *c);
  if (!c) return wasm_fail(err, WASM_NOMEM, "out of memory");
  c->ref = ref;
  c->o = o;
  c->timeout_ns = o->timeout_ns ? o->timeout_ns : 30000000000ull;
  c->deadline = now_ns() + c->timeout_ns;
  c->refstr = oci_ref_string(ref);
  size_t n = strlen(ref->host) + 16;
  c->base = malloc(n);
  c->curl = curl_easy_init();
  if (!c->refstr || !c->base || !c->curl) {
    oci_client_free(c);
    return wasm_fail(err, WASM_NOMEM, "out of memory");
  }
  snprintf(c->base, n, "%s://%s", o->allow_insecure ? "http" : "https", ref->host);
  c->progress = o->progress && isatty(2);
  *out = c;
  return WASM_OK;
}

void oci_client_free(oci_client *c) {
  if (!c) return;
  if (c->curl) curl_easy_cleanup(c->curl);
  free(c->refstr);
  free(c->base);
  free(c->auth);
  free(c->auth_scope);
  free(c);
}

void oci_resp_free(oci_resp *r) {
  if (!r) return;
  free(r->body);
  free(r->content_type);
  free(r->location);
  free(r->docker_digest);
  free(r->www_auth);
  *r = (oci_resp){0};
}

/* ---- one transfer ---- */

static size_t on_header(char *p, size_t size, size_t n, void *ud) {
  oci_client *c = ud;
  oci_resp *r = c->resp;
  size_t len = size * n, vlen;
  if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
    /* A new response (after a redirect or 100-continue): forget the last. */
    const char *sp = memchr(p, ' ', len);
    r->status = sp ? strtol(sp + 1, NULL, 10) : 0;
    free(r->content_type);
    free(r->location);
    free(r->docker_digest);
    free(r->www_auth);
    r->content_type = r->location = r->docker_digest = r->www_auth = NULL;
    return len;
  }
  const char *colon = memchr(p, ':', len);
  if (!colon) return len;
  size_t kn = (size_t)(colon - p);
  const char *v = colon + 1, *end = p + len;
  while (v < end && (*v == ' ' || *v == '\t')) v++;
  while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ')) end--;
  vlen = (size_t)(end - v);
  char **slot = NULL;
  if (kn == 12 && strncasecmp(p, "Content-Type", kn) == 0) slot = &r->content_type;
  else if (kn == 8 && strncasecmp(p, "Location", kn) == 0) slot = &r->location;
  else if (kn == 21 && strncasecmp(p, "Docker-Content-Digest", kn) == 0) slot = &r->docker_digest;
  else if (kn == 16 && strncasecmp(p, "WWW-Authenticate", kn) == 0) {
    /* Several challenges: prefer Bearer, which works without credentials. */
    if (r->www_auth && strncasecmp(r->www_auth, "Bearer", 6) == 0) return len;
    slot = &r->www_auth;
  }
  if (slot) {
    free(*slot);
    *slot = strndup(v, vlen);
    if (!*slot) return 0;
  }
  return len;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
  oci_client *c = ud;
  oci_resp *r = c->resp;
  size_t len = size * n;
  if (c->rq->sink && r->status >= 200 && r->status < 300) {
    if (!c->rq->sink(c->rq->sink_ctx, p, len, c->sink_err)) {
      c->sink_failed = true;
      return 0;
    }
    return len;
  }
  if (r->len + len > OCI_MEM_BODY_MAX) {
    c->too_big = true;
    return 0;
  }
  if (r->len + len + 1 > c->cap) {
    size_t cap = c->cap ? c->cap : 4096;
    while (cap < r->len + len + 1) cap *= 2;
    char *b = realloc(r->body, cap);
    if (!b) return 0;
    r->body = b;
    c->cap = cap;
  }
  memcpy(r->body + r->len, p, len);
  r->len += len;
  r->body[r->len] = 0;
  return len;
}

static void progress_clear(oci_client *c) {
  if (c->drawn) fputs("\r\033[K", stderr);
  c->drawn = false;
}

static void fmt_bytes(char *b, size_t n, double v) {
  if (v >= 1048576) snprintf(b, n, "%.1f MiB", v / 1048576);
  else if (v >= 1024) snprintf(b, n, "%.1f KiB", v / 1024);
  else snprintf(b, n, "%.0f B", v);
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow) {
  oci_client *c = ud;
  uint64_t t = now_ns();
  if (t - c->last_draw < 100000000ull) return 0;
  c->last_draw = t;
  curl_off_t now = ulnow ? ulnow : dlnow, total = ulnow ? ultotal : dltotal;
  if (!now) return 0;
  char a[32], b[32];
  fmt_bytes(a, sizeof a, (double)now);
  fmt_bytes(b, sizeof b, (double)total);
  fprintf(stderr, "\r\033[K%s: %s / %s", c->rq->progress_label, a, total ? b : "?");
  c->drawn = true;
  return 0;
}

static void fmt_duration(char *b, size_t n, uint64_t ns) {
  if (ns % 1000000000ull == 0) snprintf(b, n, "%llus", (unsigned long long)(ns / 1000000000ull));
  else snprintf(b, n, "%llums", (unsigned long long)(ns / 1000000ull));
}

static wasm_status timed_out(oci_client *c, wasm_error *err) {
  char d[32];
  fmt_duration(d, sizeof d, c->timeout_ns);
  return wasm_fail(err, WASM_EXHAUSTED, "%s: timed out after %s", c->refstr, d);
}

/* The URL of rq: absolute as given, or below the base. */
static char *req_url(oci_client *c, const char *u) {
  if (strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0) return strdup(u);
  size_t n = strlen(c->base) + strlen(u) + 1;
  char *s = malloc(n);
  if (s) snprintf(s, n, "%s%s", c->base, u);
  return s;
}

/* Performs one transfer to url with the given Authorization header line
 * (or NULL); transport failures are errors, statuses are not. */
static wasm_status transfer(oci_client *c, const oci_req *rq, const char *url, const char *auth,
                            oci_resp *resp, CURLcode *rc, wasm_error *err) {
  oci_resp_free(resp);
  c->rq = rq;
  c->resp = resp;
  c->sink_err = err;
  c->sink_failed = c->too_big = false;
  c->cap = 0;
  c->errbuf[0] = 0;
  uint64_t t = now_ns();
  if (t >= c->deadline) return timed_out(c, err);
  long ms = (long)((c->deadline - t) / 1000000ull) + 1;
  CURL *h = c->curl;
  curl_easy_reset(h);
  struct curl_slist *hs = NULL, *tmp;
  char line[512];
  bool ok = true;
#define ADD(s) ok = ok && (tmp = curl_slist_append(hs, (s))) && (hs = tmp)
  if (rq->accept) {
    snprintf(line, sizeof line, "Accept: %s", rq->accept);
    ADD(line);
  }
  if (rq->content_type) {
    snprintf(line, sizeof line, "Content-Type: %s", rq->content_type);
    ADD(line);
  }
  if (auth) ADD(auth);
  ADD("Expect:"); /* no 100-continue round trip before large uploads */
#undef ADD
  if (!ok) {
    curl_slist_free_all(hs);
    return wasm_fail(err, WASM_NOMEM, "out of memory");
  }
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "stratus/" "0.1");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ms);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, c->o->allow_insecure ? "http,https" : "https");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, c->o->allow_insecure ? "http,https" : "https");
  if (c->o->allow_insecure) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
  if (strcmp(rq->method, "HEAD") == 0) {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (strcmp(rq->method, "GET") != 0) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body ? (const char *)rq->body : "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(rq->body ? rq->body_len : 0));
    if (strcmp(rq->method, "POST") != 0) curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
  }
  if (c->progress && rq->progress_label) {
    c->last_draw = now_ns();
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
  }
  *rc = curl_easy_perform(h);
  progress_clear(c);
  curl_slist_free_all(hs);
  if (*rc == CURLE_OK) return WASM_OK;
  if (c->sink_failed) return err ? err->status : WASM_BAD_ARG;
  if (c->too_big)
    return wasm_fail(err, WASM_MALFORMED, "%s: the registry's response to %s %s is larger than %u bytes",
                     c->refstr, rq->method, url, OCI_MEM_BODY_MAX);
  if (*rc == CURLE_OPERATION_TIMEDOUT || now_ns() >= c->deadline) return timed_out(c, err);
  return WASM_BAD_ARG; /* the caller words it: it knows whether to retry */
}

static bool tls_failure(CURLcode rc) {
  return rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION ||
         rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_SSL_CACERT_BADFILE ||
         rc == CURLE_SSL_CIPHER || rc == CURLE_SSL_ISSUER_ERROR;
}

static wasm_status transport_error(oci_client *c, CURLcode rc, const char *url, wasm_error *err) {
  const char *why = c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);
  if (tls_failure(rc) && !c->o->allow_insecure)
    return wasm_fail(err, WASM_BAD_ARG,
                     "%s: TLS with %s failed (%s); if the registry serves plain HTTP, allow it "
                     "with --insecure (stratus oci) or --allow-insecure-registries (stratus host)",
                     c->refstr, c->ref->host, why);
  if (rc == CURLE_UNSUPPORTED_PROTOCOL && !c->o->allow_insecure)
    return wasm_fail(err, WASM_BAD_ARG,
                     "%s: %s is not https (%s); plain HTTP needs --insecure (stratus oci) or "
                     "--allow-insecure-registries (stratus host)",
                     c->refstr, url, why);
  return wasm_fail(err, WASM_BAD_ARG, "%s: cannot reach the registry: %s", c->refstr, why);
}

/* ---- auth ---- */

static char *basic_header(const char *user, const char *pass) {
  static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t ul = strlen(user), pl = strlen(pass), n = ul + 1 + pl;
  char *raw = malloc(n + 1), *out = malloc(4 * (n / 3 + 1) + 32);
  if (!raw || !out) {
    free(raw);
    free(out);
    return NULL;
  }
  snprintf(raw, n + 1, "%s:%s", user, pass);
  char *p = out + sprintf(out, "Authorization: Basic ");
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)(uint8_t)raw[i] << 16;
    if (i + 1 < n) v |= (uint32_t)(uint8_t)raw[i + 1] << 8;
    if (i + 2 < n) v |= (uint8_t)raw[i + 2];
    *p++ = b64[v >> 18 & 63];
    *p++ = b64[v >> 12 & 63];
    *p++ = i + 1 < n ? b64[v >> 6 & 63] : '=';
    *p++ = i + 2 < n ? b64[v & 63] : '=';
  }
  *p = 0;
  /* The raw credentials do not linger in freed memory. */
  memset(raw, 0, n);
  free(raw);
  return out;
}

static bool have_creds(const oci_client *c) { return c->o->username && c->o->password; }

/* Asks the challenge's realm for a token; c->auth becomes "Bearer T". */
static wasm_status fetch_token(oci_client *c, const oci_challenge *ch, wasm_error *err) {
  if (!ch->realm || !*ch->realm)
    return wasm_fail(err, WASM_BAD_ARG, "%s: the registry's Bearer challenge has no realm", c->refstr);
  if (strncmp(ch->realm, "https://", 8) != 0 &&
      !(c->o->allow_insecure && strncmp(ch->realm, "http://", 7) == 0))
    return wasm_fail(err, WASM_BAD_ARG, "%s: token realm %s is not https (allowed with --insecure)",
                     c->refstr, ch->realm);
  char *svc = ch->service ? curl_easy_escape(c->curl, ch->service, 0) : NULL;
  char *scope = ch->scope ? curl_easy_escape(c->curl, ch->scope, 0) : NULL;
  size_t n = strlen(ch->realm) + (svc ? strlen(svc) : 0) + (scope ? strlen(scope) : 0) + 32;
  char *url = malloc(n), *basic = have_creds(c) ? basic_header(c->o->username, c->o->password) : NULL;
  wasm_status st = WASM_OK;
  if (!url || (have_creds(c) && !basic)) {
    st = wasm_fail(err, WASM_NOMEM, "out of memory");
    goto done;
  }
  char sep = strchr(ch->realm, '?') ? '&' : '?';
  int k = snprintf(url, n, "%s", ch->realm);
  if (svc) k += snprintf(url + k, n - (size_t)k, "%cservice=%s", sep, svc), sep = '&';
  if (scope) snprintf(url + k, n - (size_t)k, "%cscope=%s", sep, scope);
  oci_req rq = {.method = "GET", .url = url, .accept = "application/json"};
  oci_resp r = {0};
  CURLcode rc;
  st = transfer(c, &rq, url, basic, &r, &rc, err);
  if (st) {
    if (rc != CURLE_OK && !c->sink_failed && !c->too_big && st != WASM_EXHAUSTED)
      st = transport_error(c, rc, url, err);
    oci_resp_free(&r);
    goto done;
  }
  if (r.status == 401 || r.status == 403) {
    st = wasm_fail(err, WASM_BAD_ARG, "%s: unauthorized: the token service %s %s", c->refstr,
                   ch->realm, have_creds(c) ? "rejected the credentials" : "wants credentials (-u/-p)");
  } else if (r.status < 200 || r.status >= 300) {
    st = wasm_fail(err, WASM_BAD_ARG, "%s: the token service %s answered HTTP %ld", c->refstr,
                   ch->realm, r.status);
  } else {
    json_t *j = r.body ? json_loadb(r.body, r.len, 0, NULL) : NULL;
    const char *tok = json_string_value(json_object_get(j, "token"));
    if (!tok || !*tok) tok = json_string_value(json_object_get(j, "access_token"));
    if (!tok || !*tok) {
      st = wasm_fail(err, WASM_MALFORMED, "%s: the token service %s sent no token", c->refstr,
                     ch->realm);
    } else {
      size_t tn = strlen(tok) + 32;
      char *h = malloc(tn);
      if (!h) st = wasm_fail(err, WASM_NOMEM, "out of memory");
      else {
        snprintf(h, tn, "Authorization: Bearer %s", tok);
        free(c->auth);
        c->auth = h;
        c->auth_basic = false;
        free(c->auth_scope);
        c->auth_scope = ch->scope ? strdup(ch->scope) : NULL;
      }
    }
    json_decref(j);
  }
  oci_resp_free(&r);
done:
  if (basic) {
    memset(basic, 0, strlen(basic));
    free(basic);
  }
  free(url);
  curl_free(svc);
  curl_free(scope);
  return st;
}

/* Answers a 401: WASM_OK when there is a new authorization to retry with. */
static wasm_status answer_challenge(oci_client *c, const oci_resp *r, wasm_error *err) {
  oci_challenge ch;
  if (!r->www_auth || !oci_challenge_parse(r->www_auth, &ch))
    return wasm_fail(err, WASM_BAD_ARG, "%s: unauthorized (HTTP 401 without a usable WWW-Authenticate)",
                     c->refstr);
  wasm_status st;
  if (strcasecmp(ch.scheme, "Bearer") == 0) {
    bool same = c->auth && !c->auth_basic &&
                ((!c->auth_scope && !ch.scope) ||
                 (c->auth_scope && ch.scope && strcmp(c->auth_scope, ch.scope) == 0));
    if (same)
      st = wasm_fail(err, WASM_BAD_ARG, "%s: unauthorized: the registry refused the token for %s%s",
                     c->refstr, ch.scope ? ch.scope : "this request",
                     have_creds(c) ? "" : " (anonymous; credentials: -u/-p)");
    else st = fetch_token(c, &ch, err);
  } else if (strcasecmp(ch.scheme, "Basic") == 0) {
    if (!have_creds(c))
      st = wasm_fail(err, WASM_BAD_ARG, "%s: unauthorized: %s wants credentials (-u/-p)", c->refstr,
                     c->ref->host);
    else if (c->auth && c->auth_basic)
      st = wasm_fail(err, WASM_BAD_ARG, "%s: unauthorized: %s rejected the credentials", c->refstr,
                     c->ref->host);
    else {
      char *h = basic_header(c->o->username, c->o->password);
      if (!h) st = wasm_fail(err, WASM_NOMEM, "out of memory");
      else {
        free(c->auth);
        c->auth = h;
        c->auth_basic = true;
        st = WASM_OK;
      }
    }
  } else {
    st = wasm_fail(err, WASM_BAD_ARG, "%s: unauthorized: unsupported auth scheme %s", c->refstr,
                   ch.scheme);
  }
  oci_challenge_free(&ch);
  return st;
}

wasm_status oci_client_do(oci_client *c, const oci_req *rq, oci_resp *resp, wasm_error *err) {
  *resp = (oci_resp){0};
  wasm_status st = WASM_OK;
  for (int round = 0; round < 4; round++) {
    char *url = req_url(c, rq->url);
    if (!url) return wasm_fail(err, WASM_NOMEM, "out of memory");
    CURLcode rc = CURLE_OK;
    st = transfer(c, rq, url, c->auth, resp, &rc, err);
    if (st && rc != CURLE_OK && !c->sink_failed && !c->too_big && st != WASM_EXHAUSTED)
      st = transport_error(c, rc, url, err);
    free(url);
    if (st) {
      oci_resp_free(resp);
      return st;
    }
    if (resp->status != 401) return WASM_OK;
    st = answer_challenge(c, resp, err);
    if (st) {
      oci_resp_free(resp);
      return st;
    }
  }
  oci_resp_free(resp);
  return wasm_fail(err, WASM_BAD_ARG, "%s: unauthorized", c->refstr);
}

const char *oci_resp_reason(const oci_resp *r, char *buf, size_t n) {
  json_t *j = r->body && r->len ? json_loadb(r->body, r->len, 0, NULL) : NULL;
  json_t *e0 = json_array_get(json_object_get(j, "errors"), 0);
  const char *code = json_string_value(json_object_get(e0, "code"));
  const char *msg = json_string_value(json_object_get(e0, "message"));
  if (code || msg)
    snprintf(buf, n, "HTTP %ld %s%s%s", r->status, code ? code : "", code && msg ? ": " : "",
             msg ? msg : "");
  else snprintf(buf, n, "HTTP %ld", r->status);
  json_decref(j);
  return buf;
}
