/* test_cluster_workload: the Workload message <-> manifest conversion
 * (cluster_workload_from_proto / _to_proto): round trips of the manifests
 * under tests/ and examples/, and malformed messages. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stratus/cluster.h"
#include "unit.h"
#include "unit_fixture.h"

static char root[PATH_MAX];

static bool streq(const char *a, const char *b) { return a && b && !strcmp(a, b); }

static const char *map_get(const plugin_map *m, const char *k) {
  for (size_t i = 0; i < m->n; i++)
    if (!strcmp(m->keys[i], k)) return m->values[i];
  return NULL;
}

/* A resolver standing in for OCI pulls: "/cache/<ref>", remembering the
 * last call. */
typedef struct fake_cache {
  int calls;
  int32_t policy;
  char user[32], pass[32];
  const char *fail; /* a ref to fail on */
} fake_cache;

static wasm_status fake_resolve(void *ctx, const char *ref, int32_t policy, const char *user,
                                const char *pass, char **path, wasm_error *err) {
  fake_cache *c = ctx;
  c->calls++;
  c->policy = policy;
  snprintf(c->user, sizeof c->user, "%s", user ? user : "(none)");
  snprintf(c->pass, sizeof c->pass, "%s", pass ? pass : "(none)");
  if (c->fail && !strcmp(ref, c->fail))
    return wasm_fail(err, WASM_BAD_ARG, "%s: manifest unknown (HTTP 404)", ref);
  size_t n = strlen(ref) + 8;
  *path = malloc(n);
  snprintf(*path, n, "/cache/%s", ref);
  return WASM_OK;
}

/* The message value as canonical JSON text (for comparing and printing). */
static char *encoded(const json_t *v) {
  char *s = NULL;
  wasm_error err = {0};
  if (proto_encode(proto_message_find("Workload"), v, &s, &err) != WASM_OK) {
    fprintf(stderr, "encode: %s\n", err.message);
    return NULL;
  }
  return s;
}

/* Every image of a message value as the fake cache maps it. */
static void cache_images(json_t *wl) {
  json_t *cs = json_object_get(json_object_get(wl, "witWorld"), "components");
  json_t *svc = json_object_get(wl, "service");
  for (size_t i = 0; i <= json_array_size(cs); i++) {
    json_t *o = i < json_array_size(cs) ? json_array_get(cs, i) : svc;
    if (!o) continue;
    char buf[PATH_MAX + 16];
    snprintf(buf, sizeof buf, "/cache/%s", json_string_value(json_object_get(o, "image")));
    json_object_set_new(o, "image", json_string(buf));
  }
}

/* manifest -> message -> workload -> message: the two messages agree
 * (images aside, which went through the cache), and the workload keeps
 * what the manifest said. */
static void round_trip(const char *path) {
  workload *w = NULL, *w2 = NULL;
  wasm_error err = {0};
  if (workload_load(path, &w, &err) != WASM_OK) {
    CHECKM(0, "%s: %s", path, err.message);
    return;
  }
  /* Kubernetes references cannot travel: to_proto refuses them (tested in
   * test_refs); drop them here to round-trip the rest. */
  for (size_t i = 0; i < w->nhost_interfaces; i++) {
    w->host_interfaces[i].config_from.n = 0;
    w->host_interfaces[i].secret_from.n = 0;
  }
  for (size_t i = 0; i < workload_item_count(w); i++) {
    workload_local_resources *lr = (workload_local_resources *)workload_item_local(w, i);
    lr->environment.config_from.n = lr->environment.secret_from.n = 0;
    lr->memory_limit_mb = (int32_t)(64 * (i + 1)); /* limits travel too */
    lr->cpu_limit = (int32_t)i;
  }
  json_t *p1 = NULL, *p2 = NULL;
  wasm_status st = cluster_workload_to_proto(w, &p1, &err);
  CHECKM(st == WASM_OK, "%s: to_proto: %s", path, err.message);
  fake_cache cache = {0};
  if (st == WASM_OK) {
    st = cluster_workload_from_proto(p1, fake_resolve, &cache, &w2, &err);
    CHECKM(st == WASM_OK, "%s: from_proto: %s", path, err.message);
  }
  if (st == WASM_OK) {
    CHECKM(cache.calls == (int)workload_item_count(w), "%s: %d resolves", path, cache.calls);
    st = cluster_workload_to_proto(w2, &p2, &err);
    CHECKM(st == WASM_OK, "%s: to_proto again: %s", path, err.message);
  }
  if (st == WASM_OK) {
    cache_images(p1);
    char *a = encoded(p1), *b = encoded(p2);
    CHECKM(a && b && !strcmp(a, b), "%s: round trip differs:\n  %s\n  %s", path, a, b);
    free(a);
    free(b);
    CHECK(w2->kind == WORKLOAD_KIND_WORKLOAD);
    CHECK(streq(w2->name, w->name) && streq(w2->namespace_, w->namespace_));
    CHECKM((!w->http_host && !w2->http_host) || streq(w->http_host, w2->http_host),
           "%s: http host %s vs %s", path, w->http_host, w2->http_host);
    CHECK(w2->ncomponents == w->ncomponents && w2->nvolumes == w->nvolumes &&
          w2->nhost_interfaces == w->nhost_interfaces && !w2->service == !w->service);
    for (size_t i = 0; i < workload_item_count(w2) && i < workload_item_count(w); i++) {
      const workload_image *im = workload_item_image(w2, i), *im1 = workload_item_image(w, i);
      char want[PATH_MAX + 16];
      snprintf(want, sizeof want, "/cache/%s", im1->path ? im1->path : im1->ref);
      CHECKM(streq(im->path, want), "%s: item %zu image %s, want %s", path, i, im->path, want);
      CHECK(im->pull_policy == im1->pull_policy);
      CHECK(workload_item_local(w2, i)->memory_limit_mb == (int32_t)(64 * (i + 1)));
      CHECK(workload_item_local(w2, i)->cpu_limit == (int32_t)i);
    }
  }
  json_decref(p1);
  json_decref(p2);
  workload_free(w);
  workload_free(w2);
}

static void test_round_trips(void) {
  static const char *const files[] = {
      "tests/fixtures/workloads/full.yaml",    "tests/fixtures/workloads/deployment.yaml",
      "tests/fixtures/workloads/multi.yaml",   "tests/fixtures/workloads/reference.yaml",
      "examples/http-hello-c/workload.yaml",   "examples/kv-counter-c/workload.yaml",
      "examples/kv-counter-js/workload.yaml",  "examples/messaging-echo/workload.yaml",
      "examples/plugin-counter/workload.yaml", "examples/service-cron/workload.yaml",
  };
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", root, files[i]);
    round_trip(path);
  }
}

/* to_proto of full.yaml: the message values, and its Kubernetes
 * references refused by name. */
static void test_to_proto(void) {
  char path[PATH_MAX + 64];
  snprintf(path, sizeof path, "%s/tests/fixtures/workloads/full.yaml", root);
  workload *w = NULL;
  wasm_error err = {0};
  if (workload_load(path, &w, &err) != WASM_OK) {
    CHECKM(0, "%s", err.message);
    return;
  }
  json_t *p = NULL;
  CHECK(cluster_workload_to_proto(w, &p, &err) == WASM_BAD_ARG && !p);
  CHECKM(strstr(err.message, "spec.hostInterfaces[2].configFrom") &&
             strstr(err.message, "shop-settings"),
         "%s", err.message);
  w->host_interfaces[2].config_from.n = 0;
  CHECK(cluster_workload_to_proto(w, &p, &err) == WASM_BAD_ARG);
  CHECKM(strstr(err.message, "secretFrom") && strstr(err.message, "shop-secrets"), "%s", err.message);
  w->host_interfaces[2].secret_from.n = 0;
  if (cluster_workload_to_proto(w, &p, &err) != WASM_OK) {
    CHECKM(0, "%s", err.message);
  } else {
    char *s = encoded(p);
    CHECK(s != NULL);
    if (s) {
      CHECKM(strstr(s, "\"namespace\":\"prod\",\"name\":\"shop\""), "%s", s);
      CHECKM(strstr(s, "\"image\":\"ghcr.io/example/shop-api:0.3.1\""), "%s", s);
      CHECKM(strstr(s, "\"imagePullPolicy\":\"IMAGE_PULL_POLICY_IF_NOT_PRESENT\""), "%s", s);
      CHECKM(strstr(s, "\"poolSize\":4,\"maxInvocations\":1000"), "%s", s);
      CHECKM(strstr(s, "\"environment\":{\"LOG_LEVEL\":\"debug\",\"RETRIES\":\"3\"}"), "%s", s);
      CHECKM(strstr(s, "\"maxRestarts\":\"3\""), "%s", s);
      CHECKM(strstr(s, "{\"name\":\"assets\",\"hostPath\":{\"localPath\":\"/srv/assets\"}}"), "%s", s);
      CHECKM(strstr(s, "{\"name\":\"scratch\",\"emptyDir\":{}}"), "%s", s);
      CHECKM(strstr(s, "\"version\":\"0.2.0-draft\",\"interfaces\":[\"store\",\"atomics\"],"
                       "\"config\":{\"bucket\":\"shop-cache\"},\"name\":\"cache\""),
             "%s", s);
      /* labels and hostSelector are not part of the message */
      CHECKM(!strstr(s, "tier") && !strstr(s, "hostgroup"), "%s", s);
    }
    free(s);
  }
  json_decref(p);
  workload_free(w);
}

/* from_proto of message text (proto JSON) with the fake cache. */
static wasm_status from_text(const char *text, fake_cache *cache, workload **w, wasm_error *err) {
  json_t *v = NULL;
  *w = NULL;
  wasm_status st = proto_decode(proto_message_find("Workload"), text, strlen(text), &v, err);
  if (st == WASM_OK) st = cluster_workload_from_proto(v, fake_resolve, cache, w, err);
  json_decref(v);
  return st;
}

static void test_from_proto(void) {
  const char *text =
      "{\"name\":\"hello\",\"annotations\":{\"q\":\"say \\\"hi\\\"\\nbye\",\"n\":\"null\","
      "\"y\":\"yes\",\"u\":\"caf\\u00e9 \\ud83d\\ude00 \\u2028 \\u007f \\u0085 # &a *b !t\"},"
      "\"witWorld\":{\"components\":[{\"image\":\"reg.local:5000/a/http:v1\","
      "\"imagePullSecret\":{\"username\":\"bob\",\"password\":\"s3cret\"},"
      "\"imagePullPolicy\":\"IMAGE_PULL_POLICY_NEVER\",\"localResources\":{"
      "\"environment\":{\"A\":\"1\",\"EMPTY\":\"\"},\"config\":{\"k\":\"v: w\"},"
      "\"allowedHosts\":[\"*.example.com\"],\"volumeMounts\":[{\"name\":\"data\","
      "\"mountPath\":\"/data\",\"readOnly\":true}],\"memoryLimitMb\":32}},"
      "{\"name\":\"worker\",\"image\":\"b.wasm\",\"poolSize\":2,\"maxInvocations\":3}],"
      "\"hostInterfaces\":[{\"namespace\":\"wasi\",\"package\":\"http\","
      "\"interfaces\":[\"incoming-handler\"],\"config\":{\"host\":\"hello.test\"}},"
      "{\"namespace\":\"wasi\",\"package\":\"keyvalue\",\"version\":\"0.2.0-draft\","
      "\"interfaces\":[\"store\",\"atomics\"],\"name\":\"cache\",\"config\":{\"bucket\":\"b1\"}}]},"
      "\"service\":{\"image\":\"svc:1\",\"maxRestarts\":\"5\"},"
      "\"volumes\":[{\"name\":\"data\",\"emptyDir\":{}},"
      "{\"name\":\"srv\",\"hostPath\":{\"localPath\":\"/srv/x\"}}]}";
  fake_cache cache = {0};
  workload *w;
  wasm_error err = {0};
  if (from_text(text, &cache, &w, &err) != WASM_OK) {
    CHECKM(0, "%s", err.message);
    return;
  }
  CHECK(streq(w->name, "hello") && streq(w->namespace_, "default"));
  CHECK(streq(map_get(&w->annotations, "q"), "say \"hi\"\nbye"));
  CHECK(streq(map_get(&w->annotations, "n"), "null") && streq(map_get(&w->annotations, "y"), "yes"));
  CHECKM(streq(map_get(&w->annotations, "u"),
               "caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x80\xa8 \x7f \xc2\x85 # &a *b !t"),
         "u = %s", map_get(&w->annotations, "u"));
  CHECK(streq(w->http_host, "hello.test"));
  CHECK(w->ncomponents == 2 && w->service && w->nvolumes == 2 && w->nhost_interfaces == 2);
  if (w->ncomponents == 2 && w->service && w->nvolumes == 2 && w->nhost_interfaces == 2) {
    const workload_component *a = &w->components[0], *b = &w->components[1];
    CHECK(streq(a->name, "component-0") && streq(b->name, "worker"));
    CHECK(streq(a->image.path, "/cache/reg.local:5000/a/http:v1"));
    CHECK(a->image.pull_policy == WORKLOAD_PULL_NEVER && a->image.pull_secret == NULL);
    CHECK(streq(map_get(&a->local.environment.config, "A"), "1"));
    CHECK(streq(map_get(&a->local.environment.config, "EMPTY"), ""));
    CHECK(streq(map_get(&a->local.config, "k"), "v: w"));
    CHECK(a->local.allowed_hosts.n == 1 && streq(a->local.allowed_hosts.items[0], "*.example.com"));
    CHECK(a->local.nvolume_mounts == 1 && a->local.volume_mounts[0].read_only &&
          a->local.volume_mounts[0].volume == 0);
    CHECK(a->local.memory_limit_mb == 32 && a->local.cpu_limit == 0);
    CHECK(streq(b->image.path, "/cache/b.wasm") && b->pool_size == 2 && b->max_invocations == 3);
    CHECK(w->service->max_restarts == 5 && streq(w->service->image.path, "/cache/svc:1"));
    CHECK(w->volumes[0].kind == WORKLOAD_VOLUME_EPHEMERAL);
    CHECK(w->volumes[1].kind == WORKLOAD_VOLUME_HOST_PATH &&
          streq(w->volumes[1].resolved_path, "/srv/x"));
    const plugin_grant *g = &w->host_interfaces[1].grant;
    CHECK(streq(g->version, "0.2.0-draft") && streq(g->name, "cache") && g->ninterfaces == 2 &&
          streq(map_get(&g->config, "bucket"), "b1"));
    CHECK(w->host_interfaces[0].grant.version == NULL && w->host_interfaces[0].grant.name == NULL);
  }
  /* the resolver saw each image once; the last was the service's */
  CHECK(cache.calls == 3 && cache.policy == 0 && streq(cache.user, "(none)"));
  workload_free(w);

  /* the pull secret and policy reach the resolver */
  cache = (fake_cache){0};
  CHECK(from_text("{\"name\":\"s\",\"witWorld\":{\"components\":[{\"image\":\"r/x:1\","
                  "\"imagePullPolicy\":1,\"imagePullSecret\":{\"username\":\"bob\","
                  "\"password\":\"pw\"}}]}}",
                  &cache, &w, &err) == WASM_OK);
  CHECK(cache.calls == 1 && cache.policy == 1 && streq(cache.user, "bob") && streq(cache.pass, "pw"));
  workload_free(w);

  /* no resolver: references are local paths */
  json_t *v = json_pack("{s:s,s:{s:[{s:s},{s:s}]}}", "name", "p", "witWorld", "components",
                        "image", "x/y.wasm", "image", "/abs/z.wasm");
  CHECK(cluster_workload_from_proto(v, NULL, NULL, &w, &err) == WASM_OK);
  if (w) {
    CHECK(streq(w->components[0].image.path, "x/y.wasm"));
    CHECK(streq(w->components[1].image.path, "/abs/z.wasm"));
  }
  workload_free(w);
  json_decref(v);
}

/* A malformed message fails naming the message's field; the resolver is
 * never called for one. */
static void bad(const char *text, const char *want) {
  fake_cache cache = {0};
  workload *w = NULL;
  wasm_error err = {0};
  wasm_status st = from_text(text, &cache, &w, &err);
  CHECKM(st != WASM_OK && !w, "accepted: %s", text);
  CHECKM(strstr(err.message, want) != NULL, "error \"%s\" lacks \"%s\"", err.message, want);
  CHECKM(cache.calls == 0, "resolved %d images for a malformed message", cache.calls);
  CHECKM(!strstr(err.message, "spec.") && !strstr(err.message, "Workload:1:"),
         "error names the manifest, not the message: %s", err.message);
  workload_free(w);
}

#define C1 "{\"name\":\"w\",\"witWorld\":{\"components\":[{\"image\":\"a.wasm\""

static void test_malformed(void) {
  bad("{}", "name: required field is missing");
  bad("{\"name\":7}", "name: expected a string");
  bad("{\"name\":\"w\",\"witWorld\":[]}", "witWorld: expected an object");
  bad(C1 ",\"poolSize\":\"big\"}]}}", "witWorld.components[0].poolSize: expected a 32-bit integer");
  bad(C1 ",\"imagePullPolicy\":\"SOMETIMES\"}]}}",
      "witWorld.components[0].imagePullPolicy: unknown ImagePullPolicy value \"SOMETIMES\"");
  bad(C1 ",\"imagePullPolicy\":9}]}}", "witWorld.components[0].imagePullPolicy: unknown ImagePullPolicy 9");
  bad("{\"name\":\"w\",\"witWorld\":{\"components\":[{\"name\":\"a\"}]}}",
      "witWorld.components[0].image: required field is missing");
  bad(C1 ",\"name\":\"x\"},{\"name\":\"x\",\"image\":\"b.wasm\"}]}}",
      "witWorld.components[1].name: component `x` is already defined");
  /* the user's names in a message stay as they are */
  bad("{\"name\":\"w\",\"witWorld\":{\"components\":[{\"name\":\"metadata.ephemeral\",\"image\":\"a\"},"
      "{\"name\":\"metadata.ephemeral\",\"image\":\"b\"}]}}",
      "witWorld.components[1].name: component `metadata.ephemeral` is already defined");
  bad(C1 ",\"localResources\":{\"volumeMounts\":[{\"name\":\"nope\",\"mountPath\":\"/d\"}]}}]}}",
      "witWorld.components[0].localResources.volumeMounts[0].name: no volume named `nope` in volumes");
  bad(C1 ",\"localResources\":{\"memoryLimitMb\":-1}}]}}",
      "witWorld.components[0].localResources.memoryLimitMb: must be 0 or more, got -1");
  bad(C1 "}],\"hostInterfaces\":[{\"namespace\":\"wasi\",\"package\":\"keyvalue\"}]}}",
      "witWorld.hostInterfaces[0].interfaces: needs at least one interface");
  bad(C1 "}],\"hostInterfaces\":[{\"namespace\":\"wasi\",\"package\":\"keyvalue\","
         "\"interfaces\":[\"store\"],\"name\":\"Bad_Name\"}]}}",
      "witWorld.hostInterfaces[0].name: `Bad_Name` does not match");
  bad(C1 "}],\"hostInterfaces\":[{\"package\":\"keyvalue\",\"interfaces\":[\"store\"]}]}}",
      "witWorld.hostInterfaces[0].namespace: must not be empty");
  bad(C1 "}]},\"volumes\":[{\"name\":\"v\"}]}", "volumes[0]: needs one of hostPath or emptyDir");
  bad(C1 "}]},\"volumes\":[{\"name\":\"v\",\"hostPath\":{}}]}",
      "volumes[0].hostPath.localPath: required field is missing");
  bad(C1 "}]},\"volumes\":[{\"name\":\"v\",\"emptyDir\":{}},{\"name\":\"v\",\"emptyDir\":{}}]}",
      "volumes[1].name: volume `v` is already defined");
  bad(C1 "}]},\"volumes\":[{\"name\":\"v\",\"emptyDir\":{},\"hostPath\":{\"localPath\":\"/x\"}}]}",
      "volumes[0].");
  bad(C1 "}]},\"service\":{\"image\":\"s.wasm\",\"maxRestarts\":\"99999999999\"}}",
      "service.maxRestarts: 99999999999 is out of range for int32");
  bad(C1 "}]},\"service\":{}}", "service.image: required field is missing");
  bad(C1 "}]},\"annotations\":{\"a\":1}}", "annotations.a: expected a string");

  /* not an object at all */
  workload *w = NULL;
  wasm_error err = {0};
  json_t *v = json_string("x");
  CHECK(cluster_workload_from_proto(v, NULL, NULL, &w, &err) == WASM_MALFORMED && !w);
  json_decref(v);

  /* a failed pull names the field and keeps the resolver's message */
  fake_cache cache = {.fail = "r/missing:1"};
  CHECK(from_text("{\"name\":\"w\",\"witWorld\":{\"components\":[{\"image\":\"ok:1\"},"
                  "{\"image\":\"r/missing:1\"}]}}",
                  &cache, &w, &err) == WASM_BAD_ARG && !w);
  CHECKM(strstr(err.message, "witWorld.components[1].image: r/missing:1: manifest unknown"),
         "%s", err.message);
}

/* The ctl pieces that need no NATS: UUIDs, label matching, the state file. */
static void test_ctl_local(void) {
  char a[37], b[37];
  cluster_uuid4(a);
  cluster_uuid4(b);
  CHECK(strlen(a) == 36 && a[8] == '-' && a[14] == '4' && strchr("89ab", a[19]) && strcmp(a, b));
  json_t *hb = json_pack("{s:s,s:{s:s,s:s}}", "id", "h1", "labels", "zone", "a", "hostgroup", "g");
  cluster_ctl_host h = {.id = "h1", .heartbeat = hb};
  const char *k1[] = {"zone"}, *v1[] = {"a"}, *k2[] = {"zone", "hostgroup"}, *v2[] = {"a", "x"};
  plugin_map none = {0}, m1 = {k1, v1, 1}, m2 = {k2, v2, 2};
  CHECK(cluster_ctl_host_matches(&h, &none) && cluster_ctl_host_matches(&h, &m1));
  CHECK(!cluster_ctl_host_matches(&h, &m2));
  json_decref(hb);

  char dir[] = "/tmp/stratus-ctl-XXXXXX", path[64];
  if (!mkdtemp(dir)) {
    CHECK(0);
    return;
  }
  snprintf(path, sizeof path, "%s/sub/ctl.json", dir);
  wasm_error err = {0};
  CHECK(cluster_ctl_state_host(path, "w1") == NULL); /* no file yet */
  CHECKM(cluster_ctl_state_set(path, "w1", "host-a", "default", "hello", &err) == WASM_OK, "%s",
         err.message);
  CHECK(cluster_ctl_state_set(path, "w2", "host-b", "default", "hello", &err) == WASM_OK);
  char *h1 = cluster_ctl_state_host(path, "w1"), *h2 = cluster_ctl_state_host(path, "w2");
  CHECK(streq(h1, "host-a") && streq(h2, "host-b"));
  free(h1);
  free(h2);
  CHECK(cluster_ctl_state_set(path, "w1", NULL, NULL, NULL, &err) == WASM_OK);
  CHECK(cluster_ctl_state_host(path, "w1") == NULL);
  h2 = cluster_ctl_state_host(path, "w2");
  CHECK(streq(h2, "host-b"));
  free(h2);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  CHECK(system(cmd) == 0);
}

int main(void) {
  unit_find_root(root, sizeof root);
  test_round_trips();
  test_to_proto();
  test_from_proto();
  test_malformed();
  test_ctl_local();
  return unit_report();
}
