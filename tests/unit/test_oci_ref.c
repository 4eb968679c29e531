/* test_oci_ref.c: OCI references, WWW-Authenticate challenges, SHA-256
 * and the cache index (src/cluster/oci_ref.c, oci_sha256.c, oci_cache.c). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cluster/oci_internal.h"
#include "unit.h"

static bool streq(const char *a, const char *b) {
  return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void ok_ref(const char *in, const char *registry, const char *host, const char *repo,
                   const char *tag, const char *digest) {
  oci_ref r;
  wasm_error err = {0};
  wasm_status st = oci_ref_parse(in, &r, &err);
  CHECKM(st == WASM_OK, "%s: %s", in, err.message);
  if (st) return;
  CHECKM(streq(r.registry, registry), "%s: registry %s", in, r.registry);
  CHECKM(streq(r.host, host), "%s: host %s", in, r.host);
  CHECKM(streq(r.repository, repo), "%s: repository %s", in, r.repository);
  CHECKM(streq(r.tag, tag), "%s: tag %s", in, r.tag ? r.tag : "(null)");
  CHECKM(streq(r.digest, digest), "%s: digest %s", in, r.digest ? r.digest : "(null)");
  oci_ref_free(&r);
}

static void bad_ref(const char *in, const char *why) {
  oci_ref r;
  wasm_error err = {0};
  wasm_status st = oci_ref_parse(in, &r, &err);
  CHECKM(st == WASM_BAD_ARG, "%s: accepted", in ? in : "(null)");
  if (st == WASM_OK) oci_ref_free(&r);
  else CHECKM(strstr(err.message, why) != NULL, "%s: message '%s' lacks '%s'", in, err.message, why);
}

static void test_refs(void) {
  ok_ref("hello", "docker.io", "registry-1.docker.io", "library/hello", "latest", NULL);
  ok_ref("user/app:v1", "docker.io", "registry-1.docker.io", "user/app", "v1", NULL);
  ok_ref("docker.io/hello", "docker.io", "registry-1.docker.io", "library/hello", "latest", NULL);
  ok_ref("index.docker.io/user/app", "docker.io", "registry-1.docker.io", "user/app", "latest", NULL);
  ok_ref("ghcr.io/wasmcloud/components/http-hello-world-rust:0.1.0", "ghcr.io", "ghcr.io",
         "wasmcloud/components/http-hello-world-rust", "0.1.0", NULL);
  ok_ref("localhost:5000/app", "localhost:5000", "localhost:5000", "app", "latest", NULL);
  ok_ref("localhost/app:1", "localhost", "localhost", "app", "1", NULL);
  ok_ref("127.0.0.1:41234/a/b/c:tag_1.2-x", "127.0.0.1:41234", "127.0.0.1:41234", "a/b/c",
         "tag_1.2-x", NULL);
  ok_ref("[::1]:5000/app:v", "[::1]:5000", "[::1]:5000", "app", "v", NULL);
  ok_ref("Registry/app", "Registry", "Registry", "app", "latest", NULL); /* uppercase: a host */
  ok_ref("r.io/app@sha256:" D64, "r.io", "r.io", "app", NULL, "sha256:" D64);
  ok_ref("r.io/app:v2@sha256:" D64, "r.io", "r.io", "app", "v2", "sha256:" D64);
  ok_ref("r.io:443/a.b/c__d/e--f/g_h:V", "r.io:443", "r.io:443", "a.b/c__d/e--f/g_h", "V", NULL);
  ok_ref("my-registry.example.com:8080/ns/app", "my-registry.example.com:8080",
         "my-registry.example.com:8080", "ns/app", "latest", NULL);

  bad_ref("", "empty");
  bad_ref(NULL, "empty");
  bad_ref("r.io/App", "repository name");
  bad_ref("r.io/app:", "tag");
  bad_ref("r.io/app:-x", "tag");
  bad_ref("r.io/app:a/b", "repository name");
  bad_ref("r.io/app@sha256:abc", "64");
  bad_ref("r.io/app@sha256:" D64 "00", "64");
  bad_ref("r.io/app@sha512:" D64 D64, "unsupported digest");
  bad_ref("r.io/app@", "digest");
  bad_ref("r.io//app", "repository name");
  bad_ref("r.io/app/", "repository name");
  bad_ref("r.io/a..b", "repository name");
  bad_ref("r.io/a___b", "repository name");
  bad_ref("r.io/-a", "repository name");
  bad_ref("-r.io/a", "registry");
  bad_ref("r.io:x/a", "registry");
  bad_ref("r.io:/a", "registry");
  bad_ref("/app", "repository name");
  char tag129[140] = "r.io/a:";
  memset(tag129 + 7, 't', 129);
  bad_ref(tag129, "tag");
  char longname[300] = "r.io/";
  memset(longname + 5, 'a', 260);
  bad_ref(longname, "255");

  oci_ref r;
  wasm_error err;
  CHECK(oci_ref_parse("Localhost:5000/x/y:1@sha256:" D64, &r, &err) == WASM_OK);
  char *s = oci_ref_string(&r);
  CHECK(streq(s, "Localhost:5000/x/y:1@sha256:" D64));
  char *e = oci_ref_escape(s);
  CHECK(streq(e, "Localhost%3A5000%2Fx%2Fy%3A1%40sha256%3A" D64));
  free(e);
  free(s);
  oci_ref_free(&r);
  e = oci_ref_escape("..");
  CHECK(e && e[0] != '.');
  free(e);
}

static void test_challenges(void) {
  oci_challenge c;
  CHECK(oci_challenge_parse("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
                            "scope=\"repository:library/hello:pull\"",
                            &c));
  CHECK(streq(c.scheme, "Bearer"));
  CHECK(streq(c.realm, "https://auth.docker.io/token"));
  CHECK(streq(c.service, "registry.docker.io"));
  CHECK(streq(c.scope, "repository:library/hello:pull"));
  CHECK(c.error == NULL);
  oci_challenge_free(&c);

  /* Spaces, unquoted values, escapes, several scopes, error=, case. */
  CHECK(oci_challenge_parse("  bearer  REALM = https://r.io/t , service=r.io, "
                            "scope=\"repository:a:pull,push\", error=\"insufficient_scope\", "
                            "x=\"q\\\"uote\"",
                            &c));
  CHECK(streq(c.scheme, "bearer"));
  CHECK(streq(c.realm, "https://r.io/t"));
  CHECK(streq(c.service, "r.io"));
  CHECK(streq(c.scope, "repository:a:pull,push"));
  CHECK(streq(c.error, "insufficient_scope"));
  oci_challenge_free(&c);

  CHECK(oci_challenge_parse("Basic realm=\"Registry Realm\"", &c));
  CHECK(streq(c.scheme, "Basic"));
  CHECK(streq(c.realm, "Registry Realm"));
  CHECK(c.service == NULL && c.scope == NULL);
  oci_challenge_free(&c);

  CHECK(oci_challenge_parse("Basic", &c));
  CHECK(streq(c.scheme, "Basic") && c.realm == NULL);
  oci_challenge_free(&c);

  /* Two challenges in one header: the first one's parameters only. */
  CHECK(oci_challenge_parse("Bearer realm=\"https://a/t\", Basic realm=\"x\"", &c));
  CHECK(streq(c.scheme, "Bearer") && streq(c.realm, "https://a/t"));
  oci_challenge_free(&c);

  CHECK(!oci_challenge_parse("", &c));
  CHECK(!oci_challenge_parse("   ", &c));
  CHECK(!oci_challenge_parse("Bearer realm=\"unterminated", &c));
  CHECK(!oci_challenge_parse("\"Bearer\"", &c));
}

static void hex_digest(const void *data, size_t len, char *out) { oci_digest_of(data, len, out); }

static void test_sha256(void) {
  char d[OCI_DIGEST_LEN];
  hex_digest("", 0, d);
  CHECK(streq(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  hex_digest("abc", 3, d);
  CHECK(streq(d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  hex_digest(two, strlen(two), d);
  CHECK(streq(d, "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
  /* One million 'a', fed in uneven pieces. */
  oci_sha256 s;
  oci_sha256_init(&s);
  char a[1024];
  memset(a, 'a', sizeof a);
  size_t left = 1000000, step = 1;
  while (left) {
    size_t n = step < left ? step : left;
    oci_sha256_update(&s, a, n);
    left -= n;
    step = step % 997 + 7;
  }
  oci_sha256_digest(&s, d);
  CHECK(streq(d, "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
  /* Lengths around the padding boundary agree between one-shot and split. */
  uint8_t buf[200];
  for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)(i * 7 + 1);
  for (size_t n = 50; n < 140; n++) {
    char one[OCI_DIGEST_LEN], two_[OCI_DIGEST_LEN];
    hex_digest(buf, n, one);
    oci_sha256_init(&s);
    oci_sha256_update(&s, buf, n / 3);
    oci_sha256_update(&s, buf + n / 3, n - n / 3);
    oci_sha256_digest(&s, two_);
    CHECKM(streq(one, two_), "length %zu", n);
  }
  hex_digest("x", 1, d);
  CHECK(oci_digest_valid(d));
  CHECK(!oci_digest_valid("sha256:" D64 "0"));
  CHECK(!oci_digest_valid("sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"));
  CHECK(!oci_digest_valid("sha512:" D64));
  CHECK(!oci_digest_valid(NULL));
}

static void test_cache(void) {
  char dir[] = "/tmp/stratus-oci-unit-XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  char cache[128];
  snprintf(cache, sizeof cache, "%s/nested/cache", dir);
  oci_options o = {.cache_dir = cache};
  char *got = NULL;
  wasm_error err;
  CHECK(oci_cache_dir(&o, &got, &err) == WASM_OK);
  CHECK(streq(got, cache));
  const char *ref = "127.0.0.1:5000/a/b:v1";
  CHECK(oci_cache_index_get(cache, ref) == NULL);
  char dg[OCI_DIGEST_LEN];
  oci_digest_of("hello", 5, dg);
  CHECK(oci_cache_index_put(cache, ref, dg, &err) == WASM_OK);
  char *back = oci_cache_index_get(cache, ref);
  CHECK(streq(back, dg));
  free(back);
  CHECK(oci_cache_index_get(cache, "127.0.0.1:5000/a/b:v2") == NULL);

  /* A blob file: verified, mismatched, missing. */
  char *bp = oci_cache_blob_path(cache, dg);
  FILE *f = fopen(bp, "w");
  CHECK(f != NULL);
  if (f) {
    fputs("hello", f);
    fclose(f);
  }
  bool exists;
  CHECK(oci_cache_verify(bp, dg, &exists, &err) == WASM_OK && exists);
  f = fopen(bp, "w");
  if (f) {
    fputs("jello", f);
    fclose(f);
  }
  CHECK(oci_cache_verify(bp, dg, &exists, &err) == WASM_MALFORMED && exists);
  CHECK(strstr(err.message, "digest mismatch") != NULL);
  unlink(bp);
  CHECK(oci_cache_verify(bp, dg, &exists, &err) == WASM_OK && !exists);
  free(bp);

  /* Policy Never: the index is consulted and nothing else. */
  o.policy = OCI_PULL_NEVER;
  char *path = NULL, *digest = NULL;
  CHECK(oci_pull("127.0.0.1:1/none:v", &o, &path, &digest, &err) == WASM_BAD_ARG);
  CHECKM(strstr(err.message, "127.0.0.1:1/none:v") && strstr(err.message, "Never"), "%s",
         err.message);
  CHECK(path == NULL && digest == NULL);
  /* Index present, blob missing, Never: still an error. */
  CHECK(oci_pull(ref, &o, &path, &digest, &err) == WASM_BAD_ARG);
  /* Index present, blob present. */
  bp = oci_cache_blob_path(cache, dg);
  f = fopen(bp, "w");
  if (f) {
    fputs("hello", f);
    fclose(f);
  }
  CHECK(oci_pull(ref, &o, &path, &digest, &err) == WASM_OK);
  CHECK(streq(path, bp) && streq(digest, dg));
  free(path);
  free(digest);
  /* Tampered: an error, and the blob is gone. */
  f = fopen(bp, "w");
  if (f) {
    fputs("jello", f);
    fclose(f);
  }
  path = digest = NULL;
  CHECK(oci_pull(ref, &o, &path, &digest, &err) == WASM_MALFORMED);
  CHECKM(strstr(err.message, "digest mismatch") != NULL, "%s", err.message);
  CHECK(access(bp, F_OK) != 0);
  free(bp);
  free(got);

  /* Plain http without allow_insecure never goes out: https is refused
   * by a plain listener... here nothing listens: a connect error. */
  o.policy = OCI_PULL_ALWAYS;
  o.timeout_ns = 2000000000ull;
  CHECK(oci_pull("127.0.0.1:1/none:v", &o, &path, &digest, &err) == WASM_BAD_ARG);
  CHECKM(strstr(err.message, "127.0.0.1:1/none:v") != NULL, "%s", err.message);

  char cmd[160];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  CHECK(system(cmd) == 0);
}

int main(void) {
  test_refs();
  test_challenges();
  test_sha256();
  test_cache();
  return unit_report();
}
