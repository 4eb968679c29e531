/* test_oci_pull.c: oci_pull and oci_push against a fake registry in this
 * process (one thread, loopback, port 0) that wants Bearer tokens from its
 * own token endpoint (with basic credentials): the token flow, an image
 * index, blob reuse, a wrong blob, the timeout, TLS refusal, push with
 * metadata annotations. The real registry is tests/cluster/run_oci.sh's. */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cluster/oci_internal.h"
#include "unit.h"

typedef struct fake {
  int lfd, port;
  pthread_t th;
  volatile int stop;
  volatile int wrong_blob, silent, need_creds;
  int token_requests, blob_gets, manifest_gets;
  int held[16], nheld;
  char manifest[2048], index[2048], mdigest[OCI_DIGEST_LEN];
  char blob[64], bdigest[OCI_DIGEST_LEN];
  char pushed[4096];
  int pushed_blobs;
} fake;

static fake F;

static void reply(int fd, int status, const char *extra, const char *ctype, const void *body,
                  size_t len) {
  char h[1024];
  int n = snprintf(h, sizeof h,
                   "HTTP/1.1 %d X\r\nConnection: close\r\nContent-Length: %zu\r\n%s%s%s%s\r\n",
                   status, len, ctype ? "Content-Type: " : "", ctype ? ctype : "",
                   ctype ? "\r\n" : "", extra ? extra : "");
  if (write(fd, h, (size_t)n) != n) return;
  if (len && write(fd, body, len) != (ssize_t)len) return;
}

static void challenge(int fd, bool push) {
  char h[512];
  snprintf(h, sizeof h,
           "WWW-Authenticate: Bearer realm=\"http://127.0.0.1:%d/token\",service=\"fake\","
           "scope=\"repository:r/app:%s\"\r\n",
           F.port, push ? "pull,push" : "pull");
  reply(fd, 401, h, "application/json", "{}", 2);
}

/* One request on fd; the connection is closed after it. */
static void serve_one(int fd) {
  char buf[8192];
  size_t n = 0;
  char *end = NULL;
  while (n < sizeof buf - 1 && !end && !(n && (uint8_t)buf[0] == 0x16)) {
    ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
    if (r <= 0) return;
    n += (size_t)r;
    buf[n] = 0;
    end = strstr(buf, "\r\n\r\n");
  }
  if (!end) {
    /* A TLS ClientHello on this plain port: answer as Go's server does. */
    if (n && (uint8_t)buf[0] == 0x16) {
      const char *m = "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";
      if (write(fd, m, strlen(m)) < 0) return;
    }
    return;
  }
  char method[8] = "", path[1024] = "";
  if (sscanf(buf, "%7s %1023s", method, path) != 2) return;
  const char *cl = strcasestr(buf, "\r\nContent-Length:");
  size_t blen = cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
  static char body[1 << 16];
  size_t have = n - (size_t)(end + 4 - buf);
  if (blen > sizeof body) return;
  memcpy(body, end + 4, have);
  while (have < blen) {
    ssize_t r = read(fd, body + have, blen - have);
    if (r <= 0) return;
    have += (size_t)r;
  }
  const char *auth = strcasestr(buf, "\r\nAuthorization: ");
  char authv[256] = "";
  if (auth && auth < end) sscanf(auth + 17, "%255[^\r]", authv);

  if (strncmp(path, "/token?", 7) == 0) {
    F.token_requests++;
    /* alice:pw */
    if (F.need_creds && strcmp(authv, "Basic YWxpY2U6cHc=") != 0) {
      reply(fd, 401, NULL, "application/json", "{}", 2);
      return;
    }
    const char *tok = strstr(path, "pull%2Cpush") ? "{\"token\":\"tokpush\"}"
                                                   : "{\"access_token\":\"tokpull\"}";
    reply(fd, 200, NULL, "application/json", tok, strlen(tok));
    return;
  }
  bool write_op = strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0;
  if (strcmp(authv, write_op ? "Bearer tokpush" : "Bearer tokpull") != 0 &&
      strcmp(authv, "Bearer tokpush") != 0) {
    challenge(fd, write_op);
    return;
  }
  char mpath[256], bpath[256];
  snprintf(mpath, sizeof mpath, "/v2/r/app/manifests/%s", F.mdigest);
  snprintf(bpath, sizeof bpath, "/v2/r/app/blobs/%s", F.bdigest);
  if (strcmp(method, "GET") == 0 && strcmp(path, "/v2/r/app/manifests/v1") == 0) {
    F.manifest_gets++;
    reply(fd, 200, NULL, OCI_MEDIA_INDEX, F.index, strlen(F.index));
  } else if (strcmp(method, "GET") == 0 &&
             (strcmp(path, mpath) == 0 || strcmp(path, "/v2/r/app/manifests/v2") == 0 ||
              strstr(path, "/manifests/sha256:00000000"))) {
    F.manifest_gets++;
    reply(fd, 200, NULL, OCI_MEDIA_MANIFEST, F.manifest, strlen(F.manifest));
  } else if (strcmp(method, "GET") == 0 && strcmp(path, bpath) == 0) {
    F.blob_gets++;
    char b[64];
    memcpy(b, F.blob, sizeof b);
    if (F.wrong_blob) b[3] ^= 1;
    reply(fd, 200, NULL, "application/octet-stream", b, strlen(F.blob));
  } else if (strcmp(method, "GET") == 0 && strcmp(path, "/v2/r/app/manifests/nowasm") == 0) {
    const char *m = "{\"schemaVersion\":2,\"layers\":[{\"mediaType\":\"application/tar\","
                    "\"digest\":\"sha256:0000000000000000000000000000000000000000000000000000000000000000\","
                    "\"size\":1}]}";
    reply(fd, 200, NULL, OCI_MEDIA_MANIFEST, m, strlen(m));
  } else if (strcmp(method, "HEAD") == 0) {
    reply(fd, 404, NULL, NULL, NULL, 0);
  } else if (strcmp(method, "POST") == 0 && strcmp(path, "/v2/r/app/blobs/uploads/") == 0) {
    reply(fd, 202, "Location: /v2/r/app/blobs/uploads/u1?_state=x\r\n", NULL, NULL, 0);
  } else if (strcmp(method, "PUT") == 0 &&
             strncmp(path, "/v2/r/app/blobs/uploads/u1?_state=x&digest=sha256%3A", 52) == 0) {
    char d[OCI_DIGEST_LEN];
    oci_digest_of(body, blen, d);
    bool ok = strcmp(path + 52, d + 7) == 0;
    if (ok) F.pushed_blobs++;
    reply(fd, ok ? 201 : 400, NULL, NULL, NULL, 0);
  } else if (strcmp(method, "PUT") == 0 && strcmp(path, "/v2/r/app/manifests/v3") == 0) {
    memcpy(F.pushed, body, blen < sizeof F.pushed - 1 ? blen : sizeof F.pushed - 1);
    char d[OCI_DIGEST_LEN], h[128];
    oci_digest_of(body, blen, d);
    snprintf(h, sizeof h, "Docker-Content-Digest: %s\r\n", d);
    reply(fd, 201, h, NULL, NULL, 0);
  } else {
    const char *e = "{\"errors\":[{\"code\":\"NAME_UNKNOWN\",\"message\":\"no such thing\"}]}";
    reply(fd, 404, NULL, "application/json", e, strlen(e));
  }
}

static void *fake_main(void *arg) {
  (void)arg;
  while (!F.stop) {
    struct pollfd p = {.fd = F.lfd, .events = POLLIN};
    if (poll(&p, 1, 50) <= 0) continue;
    int fd = accept(F.lfd, NULL, NULL);
    if (fd < 0) continue;
    if (F.silent && F.nheld < 16) {
      F.held[F.nheld++] = fd; /* never answered: the client must time out */
      continue;
    }
    serve_one(fd);
    close(fd);
  }
  for (int i = 0; i < F.nheld; i++) close(F.held[i]);
  return NULL;
}

static bool fake_start(void) {
  F.lfd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  if (F.lfd < 0 || bind(F.lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(F.lfd, 16) != 0 ||
      getsockname(F.lfd, (struct sockaddr *)&a, &al) != 0)
    return false;
  F.port = ntohs(a.sin_port);
  /* The artifact: a blob, its manifest, an index naming it for wasm. */
  memcpy(F.blob, "WASM-fake-component-bytes-0123456789", 37);
  oci_digest_of(F.blob, strlen(F.blob), F.bdigest);
  snprintf(F.manifest, sizeof F.manifest,
           "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"%s\","
           "\"digest\":\"sha256:%064d\",\"size\":2},\"layers\":[{\"mediaType\":"
           "\"application/octet-stream\",\"digest\":\"sha256:%064d\",\"size\":1},"
           "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu}]}",
           OCI_MEDIA_MANIFEST, OCI_MEDIA_WASM_CONFIG, 0, 1, OCI_MEDIA_WASM_LAYER, F.bdigest,
           strlen(F.blob));
  oci_digest_of(F.manifest, strlen(F.manifest), F.mdigest);
  snprintf(F.index, sizeof F.index,
           "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"manifests\":["
           "{\"mediaType\":\"%s\",\"digest\":\"sha256:%064d\",\"size\":9,\"platform\":"
           "{\"architecture\":\"amd64\",\"os\":\"linux\"}},"
           "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu,\"platform\":"
           "{\"architecture\":\"wasm\",\"os\":\"wasip2\"}}]}",
           OCI_MEDIA_INDEX, OCI_MEDIA_MANIFEST, 7, OCI_MEDIA_MANIFEST, F.mdigest,
           strlen(F.manifest));
  return pthread_create(&F.th, NULL, fake_main, NULL) == 0;
}

static int count_files(const char *dir) {
  DIR *d = opendir(dir);
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir(d)))
    if (e->d_name[0] != '.' || strncmp(e->d_name, ".tmp", 4) == 0) n += e->d_name[0] != '.' ? 1 : 100;
  if (d) closedir(d);
  return n;
}

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int main(void) {
  CHECK(fake_start());
  char dir[] = "/tmp/stratus-oci-pull-XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  char cache[128], ref[128], blobs[160];
  snprintf(cache, sizeof cache, "%s/cache", dir);
  snprintf(blobs, sizeof blobs, "%s/blobs/sha256", cache);
  snprintf(ref, sizeof ref, "127.0.0.1:%d/r/app:v1", F.port);
  oci_options o = {.cache_dir = cache, .allow_insecure = true, .username = "alice",
                   .password = "pw", .timeout_ns = 10000000000ull};
  F.need_creds = 1;
  wasm_error err = {0};
  char *path = NULL, *digest = NULL;

  /* Bearer flow with basic credentials, through the image index. */
  wasm_status st = oci_pull(ref, &o, &path, &digest, &err);
  CHECKM(st == WASM_OK, "%s", err.message);
  CHECK(F.token_requests == 1);
  CHECK(F.manifest_gets == 2 && F.blob_gets == 1);
  CHECK(digest && strcmp(digest, F.bdigest) == 0);
  FILE *f = path ? fopen(path, "r") : NULL;
  char got[64] = "";
  if (f) {
    CHECK(fgets(got, sizeof got, f) != NULL);
    fclose(f);
  }
  CHECK(strcmp(got, F.blob) == 0);
  free(path);
  free(digest);
  path = digest = NULL;

  /* IfNotPresent: no network at all. */
  F.token_requests = F.manifest_gets = F.blob_gets = 0;
  CHECK(oci_pull(ref, &o, &path, &digest, &err) == WASM_OK);
  CHECK(F.token_requests == 0 && F.manifest_gets == 0 && F.blob_gets == 0);
  free(path);
  free(digest);
  /* Always: the manifest again, the cached blob reused. */
  o.policy = OCI_PULL_ALWAYS;
  CHECK(oci_pull(ref, &o, &path, NULL, &err) == WASM_OK);
  CHECK(F.manifest_gets == 2 && F.blob_gets == 0);
  free(path);
  /* By digest, straight to the manifest (the reference's digest is checked). */
  char dref[200];
  snprintf(dref, sizeof dref, "127.0.0.1:%d/r/app@%s", F.port, F.mdigest);
  CHECKM(oci_pull(dref, &o, &path, NULL, &err) == WASM_OK, "%s", err.message);
  free(path);
  /* A digest that is not the manifest's. */
  snprintf(dref, sizeof dref, "127.0.0.1:%d/r/app:v2@sha256:%064d", F.port, 5);
  CHECK(oci_pull(dref, &o, &path, NULL, &err) == WASM_MALFORMED);
  CHECKM(strstr(err.message, "digest mismatch") != NULL, "%s", err.message);

  /* No credentials: the token service refuses. */
  oci_options anon = o;
  anon.username = anon.password = NULL;
  CHECK(oci_pull(ref, &anon, &path, NULL, &err) == WASM_BAD_ARG);
  CHECKM(strstr(err.message, "unauthorized") && strstr(err.message, "credentials"), "%s",
         err.message);
  /* Wrong credentials. */
  anon.username = "alice";
  anon.password = "nope";
  CHECK(oci_pull(ref, &anon, &path, NULL, &err) == WASM_BAD_ARG);
  CHECKM(strstr(err.message, "rejected the credentials") != NULL, "%s", err.message);

  /* A registry sending the wrong bytes: an error, nothing cached. */
  char cache2[160];
  snprintf(cache2, sizeof cache2, "%s/cache2", dir);
  oci_options o2 = o;
  o2.cache_dir = cache2;
  F.wrong_blob = 1;
  CHECK(oci_pull(ref, &o2, &path, NULL, &err) == WASM_MALFORMED);
  CHECKM(strstr(err.message, "digest mismatch") && strstr(err.message, F.bdigest), "%s",
         err.message);
  char blobs2[200];
  snprintf(blobs2, sizeof blobs2, "%s/blobs/sha256", cache2);
  CHECK(count_files(blobs2) == 0);
  F.wrong_blob = 0;

  /* A missing tag; a manifest with no wasm layer. */
  snprintf(dref, sizeof dref, "127.0.0.1:%d/r/app:missing", F.port);
  CHECK(oci_pull(dref, &o2, &path, NULL, &err) == WASM_BAD_ARG);
  CHECKM(strstr(err.message, "not found") && strstr(err.message, "NAME_UNKNOWN"), "%s",
         err.message);
  snprintf(dref, sizeof dref, "127.0.0.1:%d/r/app:nowasm", F.port);
  CHECK(oci_pull(dref, &o2, &path, NULL, &err) == WASM_MALFORMED);
  CHECKM(strstr(err.message, "not a wasm artifact") && strstr(err.message, "application/tar"), "%s",
         err.message);

  /* Not insecure: https to a plain-HTTP server is refused, naming the flag. */
  o2.allow_insecure = false;
  CHECK(oci_pull(ref, &o2, &path, NULL, &err) == WASM_BAD_ARG);
  CHECKM(strstr(err.message, "--insecure") != NULL, "%s", err.message);
  o2.allow_insecure = true;

  /* A registry that never answers: the deadline. */
  F.silent = 1;
  o2.timeout_ns = 300000000ull;
  uint64_t t0 = now_ms();
  CHECK(oci_pull(ref, &o2, &path, NULL, &err) == WASM_EXHAUSTED);
  uint64_t took = now_ms() - t0;
  CHECKM(strstr(err.message, "timed out after 300ms") != NULL, "%s", err.message);
  CHECKM(took >= 250 && took < 3000, "took %llu ms", (unsigned long long)took);
  F.silent = 0;

  /* Push: token with pull,push; metadata sections become annotations. */
  char wasm_path[200];
  snprintf(wasm_path, sizeof wasm_path, "%s/app.wasm", dir);
  f = fopen(wasm_path, "wb");
  if (f) {
    static const uint8_t hdr[] = {0, 'a', 's', 'm', 0x0d, 0, 1, 0};
    fwrite(hdr, 1, sizeof hdr, f);
    /* custom section "version" = "1.2.3", "description" = "a test" */
    static const uint8_t s1[] = {0, 13, 7, 'v', 'e', 'r', 's', 'i', 'o', 'n', '1', '.', '2', '.', '3'};
    static const uint8_t s2[] = {0, 18, 11, 'd', 'e', 's', 'c', 'r', 'i', 'p', 't', 'i', 'o', 'n',
                                 'a', ' ', 't', 'e', 's', 't'};
    fwrite(s1, 1, sizeof s1, f);
    fwrite(s2, 1, sizeof s2, f);
    fclose(f);
  }
  snprintf(dref, sizeof dref, "127.0.0.1:%d/r/app:v3", F.port);
  F.token_requests = 0;
  CHECKM(oci_push(dref, wasm_path, &o, &digest, &err) == WASM_OK, "%s", err.message);
  CHECK(F.pushed_blobs == 2);
  CHECK(F.token_requests == 2); /* pull scope for HEAD, pull,push for the uploads */
  CHECK(strstr(F.pushed, "\"org.opencontainers.image.version\":\"1.2.3\"") != NULL);
  CHECK(strstr(F.pushed, "\"org.opencontainers.image.description\":\"a test\"") != NULL);
  CHECK(strstr(F.pushed, "\"org.opencontainers.image.title\":\"app.wasm\"") != NULL);
  CHECK(strstr(F.pushed, "\"artifactType\":\"application/vnd.wasm.config.v0+json\"") != NULL);
  char md[OCI_DIGEST_LEN];
  oci_digest_of(F.pushed, strlen(F.pushed), md);
  CHECK(digest && strcmp(digest, md) == 0);
  free(digest);
  /* Not a wasm file. */
  CHECK(oci_push(dref, ref /* no such file */, &o, NULL, &err) == WASM_BAD_ARG);
  CHECK(oci_push(dref, "/etc/hostname", &o, NULL, &err) != WASM_OK);

  CHECK(count_files(blobs) == 1);
  F.stop = 1;
  pthread_join(F.th, NULL);
  close(F.lfd);
  char cmd[160];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  CHECK(system(cmd) == 0);
  return unit_report();
}
