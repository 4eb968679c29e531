/* test_workload.c: workload manifests (tests/fixtures/workloads/), the
 * grant model with fake plugins, the composition order, and volumes. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stratus/host.h"
#include "unit_cm.h"
#include "unit_fixture.h"

static char root[PATH_MAX];

static void fixture(const char *name, char *path, size_t n) {
  snprintf(path, n, "%s/tests/fixtures/workloads/%s", root, name);
}

static char *read_text(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = calloc(1, 1 << 16);
  *len = buf ? fread(buf, 1, (1 << 16) - 1, f) : 0;
  fclose(f);
  return buf;
}

static const char *map_get(const plugin_map *m, const char *k) {
  for (size_t i = 0; i < m->n; i++)
    if (!strcmp(m->keys[i], k)) return m->values[i];
  return NULL;
}

static bool streq(const char *a, const char *b) { return a && b && !strcmp(a, b); }

/* ---- manifests ---- */

static void test_full(void) {
  char path[PATH_MAX + 64], dir[PATH_MAX + 64];
  fixture("full.yaml", path, sizeof path);
  fixture("", dir, sizeof dir);
  dir[strlen(dir) - 1] = 0; /* no trailing slash */
  workload *w = NULL;
  wasm_error err = {0};
  wasm_status st = workload_load(path, &w, &err);
  CHECKM(st == WASM_OK, "full.yaml: %s", err.message);
  if (!w) return;
  CHECK(w->kind == WORKLOAD_KIND_WORKLOAD);
  CHECK(streq(w->name, "shop") && streq(w->namespace_, "prod"));
  CHECK(w->labels.n == 2 && streq(map_get(&w->labels, "tier"), "web"));
  CHECK(streq(map_get(&w->host_selector, "hostgroup"), "default"));
  CHECK(w->host_id == NULL);
  CHECK(w->ncomponents == 2);
  const workload_component *api = &w->components[0], *store = &w->components[1];
  CHECK(streq(api->name, "api"));
  CHECK(streq(api->image.ref, "ghcr.io/example/shop-api:0.3.1") && api->image.path == NULL);
  CHECK(api->image.pull_policy == WORKLOAD_PULL_IF_NOT_PRESENT);
  CHECK(api->pool_size == 4 && api->max_invocations == 1000);
  CHECK(streq(map_get(&api->local.environment.config, "LOG_LEVEL"), "debug"));
  CHECK(streq(map_get(&api->local.environment.config, "RETRIES"), "3"));
  CHECK(streq(map_get(&api->local.config, "mode"), "strict"));
  CHECK(api->local.allowed_hosts.n == 2 && streq(api->local.allowed_hosts.items[1], "*.example.com"));
  CHECK(api->local.nvolume_mounts == 2);
  if (api->local.nvolume_mounts == 2) {
    CHECK(streq(api->local.volume_mounts[0].mount_path, "/assets") &&
          api->local.volume_mounts[0].read_only && api->local.volume_mounts[0].volume == 0);
    CHECK(!api->local.volume_mounts[1].read_only && api->local.volume_mounts[1].volume == 1);
  }
  /* a local image resolves against the manifest's directory; both kept */
  char want[PATH_MAX + 128];
  snprintf(want, sizeof want, "%s/build/store.wasm", dir);
  CHECK(streq(store->image.ref, "./build/store.wasm"));
  CHECKM(streq(store->image.path, want), "store path %s, want %s", store->image.path, want);
  CHECK(store->image.pull_policy == WORKLOAD_PULL_UNSET && store->local.nvolume_mounts == 0);
  CHECK(w->service != NULL);
  if (w->service) {
    snprintf(want, sizeof want, "%s/build/cron.wasm", dir);
    CHECKM(streq(w->service->image.path, want), "service path %s", w->service->image.path);
    CHECK(w->service->max_restarts == 3 && w->service->local.nvolume_mounts == 1);
  }
  CHECK(w->nhost_interfaces == 3);
  if (w->nhost_interfaces == 3) {
    const plugin_grant *kv = &w->host_interfaces[1].grant;
    CHECK(streq(kv->ns, "wasi") && streq(kv->package, "keyvalue") && kv->ninterfaces == 2);
    CHECK(streq(kv->interfaces[1], "atomics") && streq(kv->version, "0.2.0-draft"));
    CHECK(streq(kv->name, "cache") && streq(map_get(&kv->config, "bucket"), "shop-cache"));
    const workload_host_interface *cfg = &w->host_interfaces[2];
    CHECK(cfg->grant.name == NULL && streq(map_get(&cfg->grant.config, "currency"), "EUR"));
    CHECK(cfg->config_from.n == 1 && streq(cfg->config_from.items[0], "shop-settings"));
    CHECK(cfg->secret_from.n == 1 && streq(cfg->secret_from.items[0], "shop-secrets"));
  }
  CHECK(streq(w->http_host, "shop.example.com"));
  CHECK(w->nvolumes == 2);
  if (w->nvolumes == 2) {
    CHECK(w->volumes[0].kind == WORKLOAD_VOLUME_HOST_PATH && streq(w->volumes[0].host_path, "/srv/assets"));
    CHECK(streq(w->volumes[0].resolved_path, "/srv/assets"));
    CHECK(w->volumes[1].kind == WORKLOAD_VOLUME_EPHEMERAL && streq(w->volumes[1].name, "scratch"));
  }
  CHECK(workload_item_count(w) == 3 && streq(workload_item_name(w, 2), "service"));
  /* Kubernetes references are refused when binding, naming the first */
  st = workload_check_local(w, &err);
  char msg[PATH_MAX + 256];
  snprintf(msg, sizeof msg,
           "%s: spec.hostInterfaces[2].configFrom: ConfigMap `shop-settings` needs Kubernetes, "
           "which this host does not have",
           path);
  CHECKM(st == WASM_BAD_ARG && !strcmp(err.message, msg), "check_local: %s", err.message);
  workload_free(w);
}

static void test_deployment(void) {
  char path[PATH_MAX + 64];
  fixture("deployment.yaml", path, sizeof path);
  workload *w = NULL;
  wasm_error err = {0};
  CHECKM(workload_load(path, &w, &err) == WASM_OK, "deployment.yaml: %s", err.message);
  if (!w) return;
  CHECK(w->kind == WORKLOAD_KIND_DEPLOYMENT && streq(w->name, "hello"));
  CHECK(streq(w->namespace_, "default"));
  CHECK(w->has_replicas && w->replicas == 3 && streq(w->deploy_policy, "Recreate"));
  CHECK(w->nartifacts == 1 && streq(w->artifacts[0].artifact_from, "hello-artifact"));
  CHECK(streq(map_get(&w->template_labels, "app"), "hello"));
  CHECK(streq(map_get(&w->host_selector, "hostgroup"), "edge"));
  CHECK(w->ncomponents == 1 && streq(w->components[0].image.ref, "artifact://hello-art"));
  CHECK(w->components[0].image.path == NULL);
  CHECK(streq(w->http_host, "localhost") && w->service == NULL);
  CHECK(workload_check_local(w, &err) == WASM_OK);
  workload_free(w);
}

static void test_multi(void) {
  char path[PATH_MAX + 64];
  fixture("multi.yaml", path, sizeof path);
  workload *w = NULL;
  wasm_error err = {0};
  CHECKM(workload_load(path, &w, &err) == WASM_OK, "multi.yaml: %s", err.message);
  if (w) {
    CHECK(streq(w->name, "second") && w->ncomponents == 1);
    workload_free(w);
  }
  fixture("none.yaml", path, sizeof path);
  CHECK(workload_load(path, &w, &err) == WASM_MALFORMED && w == NULL);
  char want[PATH_MAX + 200];
  snprintf(want, sizeof want,
           "%s: no Workload, WorkloadReplicaSet or WorkloadDeployment document (apiVersion "
           "runtime.wasmcloud.dev/v1alpha1)",
           path);
  CHECKM(!strcmp(err.message, want), "none.yaml: %s", err.message);
  CHECK(workload_load("/nonexistent/w.yaml", &w, &err) == WASM_BAD_ARG);
  CHECKM(!strcmp(err.message, "/nonexistent/w.yaml: No such file or directory"), "%s", err.message);
}

/* Each bad fixture, parsed under its base name, fails with exactly this. */
static void test_bad_fixtures(void) {
  static const struct {
    const char *file, *message;
  } cases[] = {
      {"bad_unknown.yaml", "bad_unknown.yaml:8:7: spec.components[0].imag: unknown field"},
      {"bad_type.yaml",
       "bad_type.yaml:12:7: spec.components[1].poolSize: expected an integer, got \"many\""},
      {"bad_missing.yaml", "bad_missing.yaml:7:7: spec.components[0].image: required field is missing"},
      {"bad_name.yaml",
       "bad_name.yaml:10:7: spec.hostInterfaces[0].name: `Cache_1` does not match "
       "^[a-z0-9][a-z0-9-]*$"},
      {"bad_mount.yaml",
       "bad_mount.yaml:11:13: spec.components[0].localResources.volumeMounts[0].name: no volume "
       "named `data` in spec.volumes"},
      {"bad_volume.yaml",
       "bad_volume.yaml:7:7: spec.volumes[0]: ephemeral and hostPath exclude each other: give one"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char path[PATH_MAX + 64];
    fixture(cases[i].file, path, sizeof path);
    size_t len;
    char *text = read_text(path, &len);
    CHECKM(text != NULL, "cannot read %s", path);
    if (!text) continue;
    workload *w = NULL;
    wasm_error err = {0};
    wasm_status st = workload_parse(text, len, cases[i].file, &w, &err);
    CHECKM(st == WASM_MALFORMED && w == NULL, "%s: status %d", cases[i].file, (int)st);
    CHECKM(!strcmp(err.message, cases[i].message), "%s:\n  got  %s\n  want %s", cases[i].file,
           err.message, cases[i].message);
    free(text);
  }
}

#define HEAD                                           \
  "apiVersion: runtime.wasmcloud.dev/v1alpha1\n"       \
  "kind: Workload\n"                                   \
  "metadata:\n"                                        \
  "  name: w\n"

/* More bad manifests, inline: the message after "w.yaml:". */
static void test_bad_inline(void) {
  static const struct {
    const char *yaml, *message;
  } cases[] = {
      {HEAD "spec:\n  components:\n    - name: a\n      image: a.wasm\n      localResources:\n"
            "        volumeMounts: [{name: x, mountPath: /x, readOnly: maybe}]\n",
       "w.yaml:10:49: spec.components[0].localResources.volumeMounts[0].readOnly: expected true "
       "or false, got \"maybe\""},
      {"apiVersion: runtime.wasmcloud.dev/v1alpha1\nkind: Workload\nmetadata:\n  name: w\n"
       "  labels: [a, b]\nspec: {}\n",
       "w.yaml:5:3: metadata.labels: expected a map of strings, got a list"},
      {HEAD "spec:\n  hostInterfaces:\n    - namespace: wasi\n      package: kv\n      interfaces: []\n",
       "w.yaml:9:7: spec.hostInterfaces[0].interfaces: needs at least one interface"},
      {HEAD "spec:\n  hostInterfaces:\n    - namespace: wasi\n      package: kv\n",
       "w.yaml:7:7: spec.hostInterfaces[0].interfaces: required field is missing"},
      {HEAD "spec:\n  components:\n    - {name: a, image: a.wasm}\n    - {name: a, image: b.wasm}\n",
       "w.yaml:8:8: spec.components[1].name: component `a` is already defined (components[0])"},
      {"apiVersion: runtime.wasmcloud.dev/v2\nkind: Workload\nmetadata: {name: w}\nspec: {}\n",
       "w.yaml:1:1: apiVersion: expected runtime.wasmcloud.dev/v1alpha1, got "
       "\"runtime.wasmcloud.dev/v2\""},
      {HEAD "spec:\n  components:\n    - name: a\n      image: [x\n",
       "w.yaml:9:1: YAML: did not find expected ',' or ']' while parsing a flow sequence"},
      {HEAD "spec:\n  components:\n    - name: a\n      image: a.wasm\n      poolSize: 3000000000\n",
       "w.yaml:9:7: spec.components[0].poolSize: 3000000000 is out of range for int32"},
      {HEAD "spec:\n  service:\n    image: s.wasm\n    imagePullPolicy: Sometimes\n",
       "w.yaml:8:5: spec.service.imagePullPolicy: expected Always, IfNotPresent or Never, got "
       "\"Sometimes\""},
      {HEAD "spec: {}\nextra: 1\n", "w.yaml:6:1: extra: unknown field"},
      {HEAD "spec:\n  volumes:\n    - name: v\n      hostPath: {}\n",
       "w.yaml:8:17: spec.volumes[0].hostPath.path: required field is missing"},
      {HEAD "spec:\n  volumes:\n    - name: v\n",
       "w.yaml:7:7: spec.volumes[0]: needs ephemeral: {} or hostPath: {path: ...}"},
      {HEAD "spec:\n  volumes:\n    - name: v\n      ephemeral: {medium: Memory}\n",
       "w.yaml:8:19: spec.volumes[0].ephemeral.medium: unknown field"},
      {HEAD "spec:\n  components:\n    - name: a\n      image: a.wasm\n      image: b.wasm\n",
       "w.yaml:9:7: spec.components[0].image: duplicate field"},
      {HEAD "spec:\n  components:\n    - name: a\n      image: {repo: x}\n",
       "w.yaml:8:7: spec.components[0].image: expected a string, got a mapping"},
      {HEAD "spec:\n  components: {a: 1}\n", "w.yaml:6:3: spec.components: expected a list, got a mapping"},
      {HEAD "spec:\n  hostInterfaces:\n    - namespace: wasi\n      package: config\n"
            "      interfaces: [store]\n      configFrom: [settings]\n",
       "w.yaml:10:20: spec.hostInterfaces[0].configFrom[0]: expected a mapping, got \"settings\""},
      {"apiVersion: runtime.wasmcloud.dev/v1alpha1\nkind: WorkloadDeployment\nmetadata: {name: d}\n"
       "spec:\n  replicas: 2\n",
       "w.yaml:5:3: spec.template: required field is missing"},
      {HEAD "spec:\n  components:\n    - name: a\n      image: \"\"\n",
       "w.yaml:8:7: spec.components[0].image: must not be empty"},
      /* limits: integers >= 0 */
      {HEAD "spec:\n  components:\n    - name: a\n      image: a.wasm\n      localResources:\n"
            "        memoryLimitMb: -1\n",
       "w.yaml:10:9: spec.components[0].localResources.memoryLimitMb: must be 0 or more, got -1"},
      {HEAD "spec:\n  components:\n    - name: a\n      image: a.wasm\n      localResources:\n"
            "        cpuLimit: half\n",
       "w.yaml:10:9: spec.components[0].localResources.cpuLimit: expected an integer, got \"half\""},
      {HEAD "spec:\n  components:\n    - name: a\n      image: a.wasm\n      maxInvocations: -3\n",
       "w.yaml:9:7: spec.components[0].maxInvocations: must be 0 or more, got -3"},
      {HEAD "spec:\n  components:\n    - name: a\n      image: a.wasm\n      poolSize: -1\n",
       "w.yaml:9:7: spec.components[0].poolSize: must be 0 or more, got -1"},
      {HEAD "spec:\n  service:\n    image: s.wasm\n    localResources: {memoryLimitMb: -5}\n",
       "w.yaml:8:22: spec.service.localResources.memoryLimitMb: must be 0 or more, got -5"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    workload *w = NULL;
    wasm_error err = {0};
    wasm_status st = workload_parse(cases[i].yaml, strlen(cases[i].yaml), "w.yaml", &w, &err);
    CHECKM(st == WASM_MALFORMED && w == NULL, "case %zu: status %d", i, (int)st);
    CHECKM(!strcmp(err.message, cases[i].message), "case %zu:\n  got  %s\n  want %s", i,
           err.message, cases[i].message);
    workload_free(w);
  }
  /* YAML 1.1 booleans, quoted numbers, null optional fields, anchors */
  const char *ok = HEAD "spec:\n  hostId: ~\n  components:\n    - name: a\n      image: a.wasm\n"
                        "      poolSize: \"2\"\n      localResources:\n"
                        "        config: &c {k: v}\n        environment: {config: *c}\n"
                        "        volumeMounts: [{name: v, mountPath: /v, readOnly: yes}]\n"
                        "  volumes:\n    - name: v\n      ephemeral:\n";
  workload *w = NULL;
  wasm_error err = {0};
  CHECKM(workload_parse(ok, strlen(ok), "w.yaml", &w, &err) == WASM_OK, "ok: %s", err.message);
  if (w) {
    CHECK(w->host_id == NULL && w->components[0].pool_size == 2);
    CHECK(w->components[0].local.volume_mounts[0].read_only);
    CHECK(streq(map_get(&w->components[0].local.environment.config, "k"), "v"));
    CHECK(w->volumes[0].kind == WORKLOAD_VOLUME_EPHEMERAL);
    CHECK(streq(w->components[0].image.path, "a.wasm")); /* no directory in the name */
    CHECK(w->components[0].local.memory_limit_mb == 0 && w->components[0].local.cpu_limit == 0);
    workload_free(w);
  }
  /* limits: memoryLimitMb and cpuLimit in localResources (a component's
   * and the service's), poolSize and maxInvocations beside */
  const char *lim = HEAD "spec:\n  components:\n    - name: a\n      image: a.wasm\n"
                         "      poolSize: 2\n      maxInvocations: 3\n"
                         "      localResources:\n        memoryLimitMb: 64\n        cpuLimit: \"1\"\n"
                         "  service:\n    image: s.wasm\n"
                         "    localResources: {memoryLimitMb: 0, cpuLimit: 4}\n";
  w = NULL;
  CHECKM(workload_parse(lim, strlen(lim), "w.yaml", &w, &err) == WASM_OK, "limits: %s", err.message);
  if (w) {
    const workload_component *a = &w->components[0];
    CHECK(a->pool_size == 2 && a->max_invocations == 3);
    CHECK(a->local.memory_limit_mb == 64 && a->local.cpu_limit == 1);
    CHECK(w->service && w->service->local.memory_limit_mb == 0 && w->service->local.cpu_limit == 4);
    CHECK(workload_item_local(w, 1)->cpu_limit == 4);
    workload_free(w);
  }
}

/* ---- interface sets ---- */

static void test_sets(void) {
  const char *kv = "wasi:keyvalue/store,atomics,batch@0.2.0-draft";
  CHECK(host_set_has(kv, "wasi:keyvalue/atomics@0.2.0-draft"));
  CHECK(host_set_has(kv, "wasi:keyvalue/store"));
  CHECK(!host_set_has(kv, "wasi:keyvalue/watch@0.2.0-draft"));
  CHECK(!host_set_has(kv, "wasi:keyvalue/store@0.2.1-draft"));
  CHECK(!host_set_has(kv, "wasi:blobstore/store@0.2.0-draft"));
  const char *two = "wasi:logging/logging  ex:pkg/{a,b}@1.0.0";
  CHECK(host_set_has(two, "wasi:logging/logging@0.1.0-draft"));
  CHECK(host_set_has(two, "ex:pkg/b@1.3.0") && !host_set_has(two, "ex:pkg/b@2.0.0"));
  CHECK(!host_set_has(two, "ex:pkg/c@1.0.0") && !host_set_has(NULL, "ex:pkg/a"));
  CHECK(host_set_has("ex:p/i@0.2.1", "ex:p/i@0.2.9") && !host_set_has("ex:p/i@0.2.1", "ex:p/i@0.3.0"));
  CHECK(host_is_core_interface("wasi:io/streams@0.2.0") && host_is_core_interface("wasi:http/types@0.2.0"));
  CHECK(host_is_core_interface("wasi:sockets/tcp@0.2.3") && !host_is_core_interface("wasi:keyvalue/store"));
  CHECK(!host_is_core_interface("wasi-io"));
}

/* ---- the grant model ---- */

static plugin kv_plugin = {.id = "wasi-keyvalue", .imports = "wasi:keyvalue/store,atomics,batch@0.2.0-draft"};
static plugin kv_named = {.id = "wasi-keyvalue-multi",
                          .imports = "wasi:keyvalue/store,atomics,batch@0.2.0-draft",
                          .named_instances = true};
static plugin cfg_plugin = {.id = "wasi-config", .imports = "wasi:config/store@0.2.0-rc.1"};
static plugin log_plugin = {.id = "wasi-logging", .imports = "wasi:logging/logging@0.1.0-draft"};
static plugin msg_plugin = {.id = "wasmcloud-messaging",
                            .imports = "wasmcloud:messaging/consumer,types@0.2.0",
                            .exports = "wasmcloud:messaging/handler@0.2.0"};

#define KV_IMPORT "wasi:keyvalue/store@0.2.0-draft"

static workload *parse_ok(const char *yaml) {
  workload *w = NULL;
  wasm_error err = {0};
  if (workload_parse(yaml, strlen(yaml), "w.yaml", &w, &err) != WASM_OK)
    fprintf(stderr, "parse: %s\n", err.message);
  return w;
}

/* Plans w with the worlds and plugins; returns the status, message in err. */
static wasm_status plan(const workload *w, const host_item_world *worlds, plugin *const *ps,
                        size_t nps, host_plan **out, wasm_error *err) {
  memset(err, 0, sizeof *err);
  return host_plan_new(w, worlds, ps, nps, out, err);
}

#define WORLD(imps, exps) \
  {(imps), sizeof(imps) / sizeof *(imps), (exps), sizeof(exps) / sizeof *(exps)}

static const char *const no_names[] = {NULL};
#define NONE no_names, 0

static void test_grants_ok(void) {
  workload *w = parse_ok(
      HEAD "spec:\n  components:\n    - {name: api, image: api.wasm}\n    - {name: sub, image: sub.wasm}\n"
           "  service: {image: svc.wasm}\n"
           "  hostInterfaces:\n"
           "    - {namespace: wasi, package: http, interfaces: [incoming-handler], config: {host: a.test}}\n"
           "    - {namespace: wasi, package: keyvalue, interfaces: [store, atomics], version: 0.2.0-draft}\n"
           "    - {namespace: wasi, package: config, interfaces: [store], version: 0.2.0-rc.1}\n"
           "    - {namespace: wasmcloud, package: messaging, interfaces: [consumer, handler], version: 0.2.0,"
           " config: {subscriptions: a.b}}\n");
  if (!w) {
    CHECK(0);
    return;
  }
  static const char *const api_imp[] = {"wasi:io/streams@0.2.0", "wasi:http/types@0.2.0", KV_IMPORT,
                                        "wasi:keyvalue/atomics@0.2.0-draft",
                                        "wasi:config/store@0.2.0-rc.1", "plain-func"};
  static const char *const api_exp[] = {"wasi:http/incoming-handler@0.2.0"};
  static const char *const sub_imp[] = {"wasmcloud:messaging/consumer@0.2.0", "wasi:cli/environment@0.2.0"};
  static const char *const sub_exp[] = {"wasmcloud:messaging/handler@0.2.0"};
  static const char *const svc_imp[] = {"wasi:cli/run@0.2.0", "wasi:config/store@0.2.0-rc.1"};
  static const char *const svc_exp[] = {"wasi:cli/run@0.2.0"};
  host_item_world worlds[3] = {WORLD(api_imp, api_exp), WORLD(sub_imp, sub_exp), WORLD(svc_imp, svc_exp)};
  plugin *ps[] = {&log_plugin, &kv_plugin, &cfg_plugin, &msg_plugin};
  host_plan *p = NULL;
  wasm_error err;
  CHECKM(plan(w, worlds, ps, 4, &p, &err) == WASM_OK, "plan: %s", err.message);
  if (p) {
    CHECK(streq(p->http_host, "a.test") && p->nitems == 3);
    /* logging is registered but not granted: not in the plan */
    CHECK(p->nplugins == 3);
    CHECK(p->plugins[0].plugin == &kv_plugin && p->plugins[0].ngrants == 1);
    CHECK(streq(p->plugins[0].grants[0].package, "keyvalue"));
    CHECK(p->plugins[1].plugin == &cfg_plugin && p->plugins[2].plugin == &msg_plugin);
    CHECK(streq(map_get(&p->plugins[2].grants[0].config, "subscriptions"), "a.b"));
    const host_item_plan *api = &p->items[0], *sub = &p->items[1], *svc = &p->items[2];
    CHECK(streq(api->name, "api") && !api->is_service && api->nuses == 2 && api->nlinks == 0);
    CHECK(api->uses[0].plugin == 0 && api->uses[0].ngrants == 1 &&
          api->uses[0].grants[0] == &p->plugins[0].grants[0]);
    CHECK(api->uses[1].plugin == 1);
    /* the handler export and the consumer import use the messaging entry */
    CHECK(sub->nuses == 1 && sub->uses[0].plugin == 2);
    CHECK(svc->is_service && streq(svc->name, "service") && svc->nuses == 1 && svc->uses[0].plugin == 1);
    CHECK(p->order[0] == 0 && p->order[1] == 1 && p->order[2] == 2);
    host_plan_free(p);
  }
  workload_free(w);
}

static void test_grants_denied(void) {
  workload *w = parse_ok(HEAD "spec:\n  components:\n    - {name: api, image: api.wasm}\n"
                              "  service: {image: svc.wasm}\n"
                              "  hostInterfaces:\n"
                              "    - {namespace: wasi, package: config, interfaces: [store]}\n");
  if (!w) {
    CHECK(0);
    return;
  }
  plugin *ps[] = {&kv_plugin, &cfg_plugin};
  host_plan *p = NULL;
  wasm_error err;
  static const char *const kv_imp[] = {"wasi:config/store@0.2.0-rc.1", KV_IMPORT};
  static const char *const nn_imp[] = {"wasi:nn/graph@0.2.0-rc-2024-10-28"};
  static const char *const run_exp[] = {"wasi:cli/run@0.2.0"};
  host_item_world worlds[2] = {WORLD(kv_imp, no_names), {NONE, NONE}};
  worlds[0].nexports = 0;
  CHECK(plan(w, worlds, ps, 2, &p, &err) == WASM_LINK_ERROR && p == NULL);
  CHECKM(!strcmp(err.message, "w.yaml: component `api` imports " KV_IMPORT
                              ", which the workload does not grant"),
         "%s", err.message);
  /* the same import from the service */
  host_item_world w2[2] = {{NONE, NONE}, WORLD(kv_imp, run_exp)};
  CHECK(plan(w, w2, ps, 2, &p, &err) == WASM_LINK_ERROR);
  CHECKM(!strcmp(err.message, "w.yaml: the service imports " KV_IMPORT ", which the workload does not grant"),
         "%s", err.message);
  /* nothing provides it at all */
  host_item_world w3[2] = {WORLD(nn_imp, no_names), {NONE, NONE}};
  w3[0].nexports = 0;
  CHECK(plan(w, w3, ps, 2, &p, &err) == WASM_LINK_ERROR);
  CHECKM(!strcmp(err.message, "w.yaml: component `api` imports wasi:nn/graph@0.2.0-rc-2024-10-28, "
                              "which no plugin of this host and no component of the workload provides"),
         "%s", err.message);
  /* a declared interface no plugin provides */
  plugin *only_kv[] = {&kv_plugin};
  host_item_world w4[2] = {{NONE, NONE}, {NONE, NONE}};
  CHECK(plan(w, w4, only_kv, 1, &p, &err) == WASM_LINK_ERROR);
  CHECKM(!strcmp(err.message, "w.yaml: spec.hostInterfaces[0]: wasi:config/store is declared but no "
                              "plugin on this host provides it"),
         "%s", err.message);
  workload_free(w);
  /* an interface of the package the plugin lacks */
  w = parse_ok(HEAD "spec:\n  hostInterfaces:\n"
                    "    - {namespace: wasi, package: keyvalue, interfaces: [store, watch], version: 0.2.0-draft}\n");
  if (w) {
    CHECK(plan(w, NULL, only_kv, 1, &p, &err) == WASM_LINK_ERROR);
    CHECKM(!strcmp(err.message, "w.yaml: spec.hostInterfaces[0]: wasi:keyvalue/watch@0.2.0-draft is "
                                "declared but no plugin on this host provides it"),
           "%s", err.message);
    workload_free(w);
  }
  /* only wasi:http declared: host core, no plugin, the virtual host kept */
  w = parse_ok(HEAD "spec:\n  components: [{name: h, image: h.wasm}]\n  hostInterfaces:\n"
                    "    - {namespace: wasi, package: http, interfaces: [incoming-handler, outgoing-handler],"
                    " config: {host: Shop.Test}}\n");
  if (w) {
    static const char *const h_imp[] = {"wasi:http/outgoing-handler@0.2.0", "wasi:random/random@0.2.0"};
    static const char *const h_exp[] = {"wasi:http/incoming-handler@0.2.0"};
    host_item_world hw[1] = {WORLD(h_imp, h_exp)};
    CHECKM(plan(w, hw, NULL, 0, &p, &err) == WASM_OK, "%s", err.message);
    if (p) {
      CHECK(p->nplugins == 0 && streq(p->http_host, "Shop.Test") && p->items[0].nuses == 0);
      host_plan_free(p);
    }
    workload_free(w);
  }
}

static void test_grants_named(void) {
  workload *w = parse_ok(HEAD "spec:\n  components: [{name: api, image: api.wasm}]\n  hostInterfaces:\n"
                              "    - {namespace: wasi, package: keyvalue, interfaces: [store], name: users}\n"
                              "    - {namespace: wasi, package: keyvalue, interfaces: [store], name: carts}\n");
  if (!w) {
    CHECK(0);
    return;
  }
  static const char *const imp[] = {KV_IMPORT};
  host_item_world worlds[1] = {WORLD(imp, no_names)};
  worlds[0].nexports = 0;
  host_plan *p = NULL;
  wasm_error err;
  plugin *single[] = {&kv_plugin};
  CHECK(plan(w, worlds, single, 1, &p, &err) == WASM_LINK_ERROR);
  CHECKM(!strcmp(err.message, "w.yaml: spec.hostInterfaces[0] and [1]: two entries of wasi:keyvalue for "
                              "plugin `wasi-keyvalue`, which does not support named instances"),
         "%s", err.message);
  plugin *multi[] = {&kv_named};
  CHECKM(plan(w, worlds, multi, 1, &p, &err) == WASM_OK, "%s", err.message);
  if (p) {
    CHECK(p->nplugins == 1 && p->plugins[0].ngrants == 2);
    CHECK(p->items[0].nuses == 1 && p->items[0].uses[0].ngrants == 2);
    CHECK(streq(p->items[0].uses[0].grants[1]->name, "carts"));
    host_plan_free(p);
  }
  workload_free(w);
  w = parse_ok(HEAD "spec:\n  hostInterfaces:\n"
                    "    - {namespace: wasi, package: keyvalue, interfaces: [store]}\n"
                    "    - {namespace: wasi, package: keyvalue, interfaces: [atomics]}\n");
  if (w) {
    CHECK(plan(w, NULL, multi, 1, &p, &err) == WASM_LINK_ERROR);
    CHECKM(!strcmp(err.message, "w.yaml: spec.hostInterfaces[0] and [1]: two entries of wasi:keyvalue "
                                "need distinct names"),
           "%s", err.message);
    workload_free(w);
  }
}

/* Components a, b, c (and a service): a imports from b, c from a. */
static void test_composition(void) {
  workload *w = parse_ok(HEAD "spec:\n  components:\n    - {name: a, image: a.wasm}\n"
                              "    - {name: b, image: b.wasm}\n    - {name: c, image: c.wasm}\n"
                              "  service: {image: s.wasm}\n");
  if (!w) {
    CHECK(0);
    return;
  }
  static const char *const a_imp[] = {"ex:math/calc@1.0.0"}, *const a_exp[] = {"ex:app/api@1.0.0"};
  static const char *const b_imp[] = {"wasi:clocks/monotonic-clock@0.2.0"};
  static const char *const b_exp[] = {"ex:math/calc@1.2.0", "wasi:http/incoming-handler@0.2.0"};
  static const char *const c_imp[] = {"ex:app/api@1.0.0"};
  static const char *const c_exp[] = {"wasi:http/incoming-handler@0.2.0"};
  static const char *const s_imp[] = {"ex:app/api@1.0.0", "ex:math/calc@1.0.0"};
  static const char *const s_exp[] = {"wasi:cli/run@0.2.0"};
  host_item_world worlds[4] = {WORLD(a_imp, a_exp), WORLD(b_imp, b_exp), WORLD(c_imp, c_exp),
                               WORLD(s_imp, s_exp)};
  host_plan *p = NULL;
  wasm_error err;
  /* two components exporting incoming-handler is no conflict: nobody imports it */
  CHECKM(plan(w, worlds, NULL, 0, &p, &err) == WASM_OK, "%s", err.message);
  if (p) {
    CHECK(p->order[0] == 1 && p->order[1] == 0 && p->order[2] == 2 && p->order[3] == 3);
    CHECK(p->items[0].nlinks == 1 && p->items[0].links[0].exporter == 1);
    CHECK(streq(p->items[0].links[0].import_name, "ex:math/calc@1.0.0"));
    CHECK(streq(p->items[0].links[0].export_name, "ex:math/calc@1.2.0"));
    CHECK(p->items[2].nlinks == 1 && p->items[2].links[0].exporter == 0);
    CHECK(p->items[3].nlinks == 2 && p->items[3].links[1].exporter == 1);
    host_plan_free(p);
  }
  /* a cycle: b now imports from c */
  static const char *const b_imp2[] = {"ex:web/h@0.1.0"}, *const c_exp2[] = {"ex:web/h@0.1.0"};
  worlds[1] = (host_item_world)WORLD(b_imp2, b_exp);
  worlds[2] = (host_item_world)WORLD(c_imp, c_exp2);
  CHECK(plan(w, worlds, NULL, 0, &p, &err) == WASM_LINK_ERROR && p == NULL);
  CHECKM(!strcmp(err.message, "w.yaml: components import from each other in a cycle: `a` -> `b` -> `c` "
                              "-> `a` (each imports from the next)"),
         "%s", err.message);
  /* two exporters of an interface someone imports */
  static const char *const c_exp3[] = {"ex:math/calc@1.1.0"};
  worlds[1] = (host_item_world)WORLD(b_imp, b_exp);
  worlds[2] = (host_item_world){NONE, c_exp3, 1};
  CHECK(plan(w, worlds, NULL, 0, &p, &err) == WASM_LINK_ERROR);
  CHECKM(!strcmp(err.message, "w.yaml: component `a` imports ex:math/calc@1.0.0, which both `b` and `c` export"),
         "%s", err.message);
  /* components never import from the service */
  static const char *const s_exp4[] = {"ex:math/calc@1.0.0"};
  worlds[1] = (host_item_world){NONE, NONE};
  worlds[2] = (host_item_world){NONE, NONE};
  worlds[3] = (host_item_world){NONE, s_exp4, 1};
  CHECK(plan(w, worlds, NULL, 0, &p, &err) == WASM_LINK_ERROR);
  CHECKM(strstr(err.message, "component `a` imports ex:math/calc@1.0.0, which no plugin") != NULL, "%s",
         err.message);
  workload_free(w);
  /* a two-item cycle among later components, after independent ones */
  w = parse_ok(HEAD "spec:\n  components: [{name: x, image: x.wasm}, {name: y, image: y.wasm},"
                    " {name: z, image: z.wasm}]\n");
  if (w) {
    static const char *const y_imp[] = {"ex:z/i"}, *const y_exp[] = {"ex:y/i"};
    static const char *const z_imp[] = {"ex:y/i"}, *const z_exp[] = {"ex:z/i"};
    host_item_world ws[3] = {{NONE, NONE}, WORLD(y_imp, y_exp), WORLD(z_imp, z_exp)};
    CHECK(plan(w, ws, NULL, 0, &p, &err) == WASM_LINK_ERROR);
    CHECKM(!strcmp(err.message, "w.yaml: components import from each other in a cycle: `y` -> `z` -> `y` "
                                "(each imports from the next)"),
           "%s", err.message);
    workload_free(w);
  }
}

/* host_item_world_of over a real component. */
static void test_world_of(void) {
  wasm_engine *e = wasm_engine_new(NULL);
  wasm_error err = {0};
  cm_component *c = unit_cm_compile(e,
                                    "(component\n"
                                    "  (import \"wasi:keyvalue/store@0.2.0-draft\" (instance $kv))\n"
                                    "  (import \"f\" (func $f))\n"
                                    "  (export \"ex:pkg/api@1.0.0\" (instance $kv)))\n",
                                    &err);
  CHECKM(c != NULL, "compile: %s", err.message);
  if (c) {
    host_item_world wd;
    CHECK(host_item_world_of(c, &wd, &err) == WASM_OK);
    CHECK(wd.nimports == 2 && streq(wd.imports[0], KV_IMPORT) && streq(wd.imports[1], "f"));
    CHECK(wd.nexports == 1 && streq(wd.exports[0], "ex:pkg/api@1.0.0"));
    host_item_world_release(&wd);
    cm_component_delete(c);
  }
  wasm_engine_delete(e);
}

/* ---- volumes ---- */

static bool is_dir(const char *p) {
  struct stat sb;
  return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static void test_volumes(void) {
  char host[] = "/tmp/stratus-test-vol-XXXXXX";
  if (!mkdtemp(host)) {
    CHECK(0);
    return;
  }
  char yaml[2048];
  snprintf(yaml, sizeof yaml,
           HEAD "spec:\n  components:\n"
                "    - name: a\n      image: a.wasm\n      localResources:\n        volumeMounts:\n"
                "          - {name: data, mountPath: /data, readOnly: true}\n"
                "          - {name: tmp, mountPath: /tmp}\n"
                "    - name: b\n      image: b.wasm\n      localResources:\n"
                "        volumeMounts: [{name: tmp, mountPath: /scratch}]\n"
                "  service:\n    image: s.wasm\n"
                "  volumes:\n    - {name: data, hostPath: {path: %s}}\n    - {name: tmp, ephemeral: {}}\n",
           host);
  workload *w = parse_ok(yaml);
  if (!w) {
    CHECK(0);
    rmdir(host);
    return;
  }
  host_volumes *v = NULL;
  wasm_error err = {0};
  CHECKM(host_volumes_open(w, &v, &err) == WASM_OK, "open: %s", err.message);
  if (v) {
    const char *eph = host_volumes_dir(v, 1);
    CHECK(streq(host_volumes_dir(v, 0), host) && eph && is_dir(eph) && strcmp(eph, host) != 0);
    CHECK(host_volumes_dir(v, 2) == NULL);
    size_t n;
    const wasi_preopen *pa = host_volumes_preopens(v, 0, &n);
    CHECK(n == 2 && streq(pa[0].host_path, host) && streq(pa[0].guest_path, "/data") && pa[0].read_only);
    CHECK(n == 2 && streq(pa[1].host_path, eph) && streq(pa[1].guest_path, "/tmp") && !pa[1].read_only);
    const wasi_preopen *pb = host_volumes_preopens(v, 1, &n);
    CHECK(n == 1 && streq(pb[0].host_path, eph) && streq(pb[0].guest_path, "/scratch"));
    host_volumes_preopens(v, 2, &n); /* the service mounts nothing: sees nothing */
    CHECK(n == 0);
    /* the ephemeral directory goes with everything in it */
    char sub[PATH_MAX], file[PATH_MAX + 16], keep[PATH_MAX];
    snprintf(sub, sizeof sub, "%s/deep", eph);
    snprintf(file, sizeof file, "%s/f.txt", sub);
    snprintf(keep, sizeof keep, "%s", eph);
    CHECK(mkdir(sub, 0700) == 0);
    FILE *f = fopen(file, "w");
    if (f) fclose(f);
    host_volumes_close(v);
    CHECK(!is_dir(keep) && is_dir(host));
  }
  workload_free(w);
  /* a hostPath that is missing, or a file */
  char missing[PATH_MAX + 16], afile[PATH_MAX + 16], want[PATH_MAX * 2];
  snprintf(missing, sizeof missing, "%s/nope", host);
  snprintf(afile, sizeof afile, "%s/file", host);
  FILE *f = fopen(afile, "w");
  if (f) fclose(f);
  const char *paths[] = {missing, afile};
  for (int i = 0; i < 2; i++) {
    snprintf(yaml, sizeof yaml, HEAD "spec:\n  volumes: [{name: data, hostPath: {path: %s}}]\n", paths[i]);
    w = parse_ok(yaml);
    if (!w) continue;
    v = NULL;
    CHECK(host_volumes_open(w, &v, &err) == WASM_BAD_ARG && v == NULL);
    if (i == 0) snprintf(want, sizeof want, "w.yaml: volume `data`: hostPath %s: No such file or directory", missing);
    else snprintf(want, sizeof want, "w.yaml: volume `data`: hostPath %s is not a directory", afile);
    CHECKM(!strcmp(err.message, want), "%s", err.message);
    workload_free(w);
  }
  /* relative hostPaths resolve against the manifest's directory */
  const char *rel = HEAD "spec:\n  volumes: [{name: d, hostPath: {path: ./data}}]\n";
  w = NULL;
  CHECK(workload_parse(rel, strlen(rel), "/srv/app/w.yaml", &w, &err) == WASM_OK);
  if (w) {
    CHECK(streq(w->volumes[0].resolved_path, "/srv/app/data") && streq(w->volumes[0].host_path, "./data"));
    workload_free(w);
  }
  unlink(afile);
  rmdir(host);
}

int main(void) {
  unit_find_root(root, sizeof root);
  test_full();
  test_deployment();
  test_multi();
  test_bad_fixtures();
  test_bad_inline();
  test_sets();
  test_grants_ok();
  test_grants_denied();
  test_grants_named();
  test_composition();
  test_world_of();
  test_volumes();
  return unit_report();
}
