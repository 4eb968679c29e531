/*
 * test_plugins.c: the built-in host plugins (src/plugins/) through the
 * plugin hooks, with the C fixture components of tests/fixtures/plugins/
 * (built by tests/fixtures/build.sh; a missing fixture fails the test).
 * Each fixture exports `run: func(cmd: string) -> string`, a small command
 * interpreter over the plugin's interface; the test fills plugin_workload,
 * plugin_item and plugin_grant by hand as a host would, links WASI 0.2
 * and the plugin into a cm_linker and calls run.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stratus/component.h"
#include "stratus/plugin.h"
#include "stratus/wasi.h"
#include "unit_cm.h"
#include "unit_fixture.h"

static char root[PATH_MAX];
static wasm_engine *eng;

/* ---- fixtures ---- */

static cm_component *load(const char *name) { return unit_fixture_component(eng, root, "pl_", name); }

/* ---- a workload with one component ---- */

typedef struct wl {
  plugin_grant grant;
  const plugin_grant *grants[1];
  plugin_workload w;
  plugin_item item;
} wl;

/* A workload `name` granting ns:pkg/ifaces (NULL-terminated) with config
 * (n keys, then n values) to component "comp" with environment env
 * (likewise). */
static void wl_init(wl *x, const char *name, const char *ns, const char *pkg,
                    const char *const *ifaces, const char *const *cfg_kv, size_t ncfg,
                    const char *const *env_kv, size_t nenv) {
  memset(x, 0, sizeof *x);
  size_t ni = 0;
  while (ifaces && ifaces[ni]) ni++;
  x->grant = (plugin_grant){.ns = ns, .package = pkg, .interfaces = ifaces, .ninterfaces = ni};
  x->grant.config = (plugin_map){cfg_kv, cfg_kv ? cfg_kv + ncfg : NULL, ncfg};
  x->grants[0] = &x->grant;
  x->w = (plugin_workload){.id = name, .name = name, .namespace_ = "test",
                           .grants = &x->grant, .ngrants = 1};
  x->item = (plugin_item){.workload = &x->w, .name = "comp", .grants = x->grants, .ngrants = 1};
  x->item.env = (plugin_map){env_kv, env_kv ? env_kv + nenv : NULL, nenv};
}

static bool bind(plugin *p, wl *x) {
  wasm_error err = {0};
  if (p->workload_bind && p->workload_bind(p, &x->w, &err)) {
    CHECKM(0, "%s workload_bind: %s", p->id, err.message);
    return false;
  }
  if (p->item_bind && p->item_bind(p, &x->item, &err)) {
    CHECKM(0, "%s item_bind: %s", p->id, err.message);
    return false;
  }
  return true;
}

static void unbind(plugin *p, wl *x) {
  if (p->item_unbind) p->item_unbind(p, &x->item);
  if (p->workload_unbind) p->workload_unbind(p, &x->w);
}

/* ---- an instance of a fixture ---- */

typedef struct rig {
  wasi2_ctx *w;
  cm_linker *l;
  wasm_store *s;
  cm_instance *inst;
  cm_func *run;
} rig;

static bool rig_new(rig *r, cm_component *c, plugin *p, wl *x) {
  memset(r, 0, sizeof *r);
  if (!c) return false;
  wasi2_config cfg = {.stdin_fd = -1, .stdout_fd = -1, .stderr_fd = 2};
  wasm_error err = {0};
  r->l = cm_linker_new(eng);
  r->s = wasm_store_new(eng);
  if (!r->l || !r->s || wasi2_ctx_new(&cfg, &r->w, &err) || wasi2_link(r->w, r->l, &err) ||
      plugin_linker_set_wasi2(r->l, r->w, &err) || p->item_link(p, &x->item, r->l, &err) ||
      cm_linker_instantiate(r->l, r->s, c, &r->inst, &err)) {
    CHECKM(0, "%s instance: %s", p->id, err.message);
    return false;
  }
  r->run = cm_instance_func(r->inst, "run");
  CHECKM(r->run != NULL, "%s: no run export", p->id);
  return r->run != NULL;
}

static void rig_free(rig *r) {
  if (r->inst) cm_instance_delete(r->inst);
  if (r->s) wasm_store_delete(r->s);
  if (r->l) plugin_linker_forget(r->l);
  if (r->w) wasi2_ctx_delete(r->w);
  if (r->l) cm_linker_delete(r->l);
  memset(r, 0, sizeof *r);
}

/* run(cmd): the returned string (malloc'ed), or "TRAP: message". */
static char *call(rig *r, const char *cmd) {
  if (!r->run) return strdup("no instance");
  cm_val arg = unit_cm_str(cmd), res;
  memset(&res, 0, sizeof res);
  wasm_error err = {0};
  wasm_status st = cm_func_call(r->run, &arg, 1, &res, &err);
  return unit_cm_result(st, &res, &err);
}

/* Checks that run(cmd) returns want (exactly, or as a prefix when the
 * want ends with '*'). */
#define EXPECT(r, cmd, want) expect(r, cmd, want, __LINE__)
static void expect(rig *r, const char *cmd, const char *want, int line) {
  char *got = call(r, cmd);
  size_t n = strlen(want);
  bool ok = n && want[n - 1] == '*' ? strncmp(got, want, n - 1) == 0 : strcmp(got, want) == 0;
  unit_checkm(ok, __FILE__, line, "run(\"%s\") = \"%s\", want \"%s\"", cmd, got, want);
  free(got);
}

/* ---- plugin_set_has ---- */

static void test_set_has(void) {
  const char *kv = "wasi:keyvalue/store,atomics,batch@0.2.0-draft";
  CHECK(plugin_set_has(kv, "wasi:keyvalue/store@0.2.0-draft"));
  CHECK(plugin_set_has(kv, "wasi:keyvalue/batch@0.2.0-draft"));
  CHECK(plugin_set_has(kv, "wasi:keyvalue/atomics"));            /* unversioned query */
  CHECK(!plugin_set_has(kv, "wasi:keyvalue/watcher@0.2.0-draft")); /* not listed */
  CHECK(!plugin_set_has(kv, "wasi:keyvalue/store@0.2.0-draft2")); /* other version */
  CHECK(!plugin_set_has(kv, "wasi:blobstore/store@0.2.0-draft")); /* other package */
  CHECK(!plugin_set_has(kv, "wasix:keyvalue/store@0.2.0-draft")); /* other namespace */
  CHECK(!plugin_set_has(kv, "wasi:keyvalue/stor@0.2.0-draft"));   /* a prefix of a name */
  CHECK(plugin_set_has("wasi:logging/logging", "wasi:logging/logging@0.1.0-draft"));
  const char *two = "wasi:config/store@0.2.0-rc.1  wasmcloud:messaging/consumer,types@0.2.0";
  CHECK(plugin_set_has(two, "wasmcloud:messaging/types@0.2.0"));
  CHECK(plugin_set_has(two, "wasi:config/store@0.2.0-rc.1"));
  CHECK(!plugin_set_has(two, "wasmcloud:messaging/handler@0.2.0"));
  CHECK(plugin_set_has("wasi:blobstore@0.2.0-draft", "wasi:blobstore/container@0.2.0-draft"));
  CHECK(plugin_set_has(kv, "wasi:keyvalue@0.2.0-draft")); /* a package query */
  CHECK(!plugin_set_has("", "wasi:keyvalue/store"));
  CHECK(!plugin_set_has(kv, "garbage"));
  CHECK(!plugin_set_has(NULL, "wasi:keyvalue/store"));

  const char *keys[] = {"a", "b", "a"}, *vals[] = {"1", "2", "3"};
  plugin_map m = {keys, vals, 3};
  CHECK(plugin_map_get(&m, "a") && strcmp(plugin_map_get(&m, "a"), "3") == 0);
  CHECK(plugin_map_get(&m, "b") && strcmp(plugin_map_get(&m, "b"), "2") == 0);
  CHECK(plugin_map_get(&m, "c") == NULL);
}

/* ---- wasi-config ---- */

static void test_config(cm_component *c) {
  plugin *p = plugin_config_new();
  CHECK(p != NULL && strcmp(p->id, "wasi-config") == 0);
  const char *ifaces[] = {"store", NULL};
  const char *cfg[] = {"color", "size", "mode", "blue", "9", "grant"};
  const char *env[] = {"mode", "HOME", "env", "/nowhere"};
  wl x;
  wl_init(&x, "cfg", "wasi", "config", ifaces, cfg, 3, env, 2);
  rig r;
  if (bind(p, &x) && rig_new(&r, c, p, &x)) {
    EXPECT(&r, "get color", "some:blue");
    EXPECT(&r, "get mode", "some:env"); /* the environment wins */
    EXPECT(&r, "get HOME", "some:/nowhere");
    EXPECT(&r, "get missing", "none");
    EXPECT(&r, "all", "color=blue;size=9;mode=env;HOME=/nowhere;");
  }
  rig_free(&r);
  unbind(p, &x);

  /* another item of another workload sees only its own */
  wl y;
  wl_init(&y, "other", "wasi", "config", ifaces, NULL, 0, NULL, 0);
  if (bind(p, &y) && rig_new(&r, c, p, &y)) {
    EXPECT(&r, "get color", "none");
    EXPECT(&r, "all", "");
  }
  rig_free(&r);
  unbind(p, &y);
  plugin_free(p);
}

/* ---- wasi-logging ---- */

static void test_logging(cm_component *c) {
  char *buf = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&buf, &len);
  plugin *p = plugin_logging_new(mem);
  CHECK(p != NULL);
  const char *ifaces[] = {"logging", NULL};
  wl x;
  wl_init(&x, "shop", "wasi", "logging", ifaces, NULL, 0, NULL, 0);
  rig r;
  if (p && bind(p, &x) && rig_new(&r, c, p, &x)) {
    EXPECT(&r, "2 cart hello world", "ok");
    EXPECT(&r, "5 - say \"hi\"\\ now", "ok");
    EXPECT(&r, "3 my=ctx tab\there", "ok");
    EXPECT(&r, "0 trace ", "ok");
  }
  rig_free(&r);
  if (p) unbind(p, &x);
  plugin_free(p);
  fclose(mem);
  const char *want =
      "level=info workload=shop component=comp context=cart msg=\"hello world\"\n"
      "level=critical workload=shop component=comp context=\"\" msg=\"say \\\"hi\\\"\\\\ now\"\n"
      "level=warn workload=shop component=comp context=\"my=ctx\" msg=\"tab\\there\"\n"
      "level=trace workload=shop component=comp context=trace msg=\"\"\n";
  CHECKM(buf && strcmp(buf, want) == 0, "log lines:\n%s\nwant:\n%s", buf ? buf : "", want);
  free(buf);
}

/* ---- wasi-keyvalue ---- */

static void kv_common(rig *r) {
  EXPECT(r, "get b1 k", "none");
  EXPECT(r, "set b1 k v1", "ok");
  EXPECT(r, "get b1 k", "some:v1");
  EXPECT(r, "exists b1 k", "true");
  EXPECT(r, "get b2 k", "none"); /* buckets are separate */
  EXPECT(r, "set b1 k v2", "ok");
  EXPECT(r, "get b1 k", "some:v2");
  EXPECT(r, "del b1 k", "ok");
  EXPECT(r, "exists b1 k", "false");
  EXPECT(r, "del b1 k", "ok"); /* missing: not an error */
  EXPECT(r, "inc b1 n 1", "1");
  EXPECT(r, "inc b1 n 41", "42");
  EXPECT(r, "get b1 n", "some:42");
  EXPECT(r, "set b1 word abc", "ok");
  EXPECT(r, "inc b1 word 1", "err:other:*");
  EXPECT(r, "set b1 odd/na%me ..x", "ok");
  EXPECT(r, "get b1 odd/na%me", "some:..x");
  EXPECT(r, "keys b1", "n,odd/na%me,word;pages=1");
  EXPECT(r, "setmany b3 a=1 b=2 c=3", "ok");
  EXPECT(r, "getmany b3 a zz c", "a=1,none,c=3");
  EXPECT(r, "delmany b3 a c zz", "ok");
  EXPECT(r, "keys b3", "b;pages=1");
  EXPECT(r, "fill big 250", "ok");
  char *k = call(r, "keys big");
  CHECKM(strncmp(k, "k0000,k0001,", 12) == 0 && strstr(k, "k0249;pages=3"),
         "paged keys: %.80s ... %s", k, strlen(k) > 20 ? k + strlen(k) - 20 : "");
  free(k);
}

static void test_keyvalue(cm_component *c, const char *dir) {
  const char *all[] = {"store", "atomics", "batch", NULL};
  for (int backend = 0; backend < 2; backend++) {
    plugin_kv_backend *b = NULL;
    wasm_error err = {0};
    if (backend == 0)
      b = plugin_kv_memory_new();
    else if (plugin_kv_dir_new(dir, &b, &err))
      CHECKM(0, "kv dir: %s", err.message);
    plugin *p = plugin_keyvalue_new(b);
    CHECK(p != NULL);
    if (!p) continue;
    wl x;
    wl_init(&x, "kvapp", "wasi", "keyvalue", all, NULL, 0, NULL, 0);
    rig r;
    if (bind(p, &x) && rig_new(&r, c, p, &x)) {
      kv_common(&r);
      EXPECT(&r, "inc counter hits 1", "1");
      EXPECT(&r, "leak b1", "ok"); /* freed at item_unbind */
    }
    rig_free(&r);
    unbind(p, &x);

    /* another workload: its own buckets */
    wl y;
    wl_init(&y, "other", "wasi", "keyvalue", all, NULL, 0, NULL, 0);
    if (bind(p, &y) && rig_new(&r, c, p, &y)) EXPECT(&r, "get b1 n", "none");
    rig_free(&r);
    unbind(p, &y);

    /* the same workload again (a restart in the same host) */
    if (bind(p, &x) && rig_new(&r, c, p, &x)) EXPECT(&r, "inc counter hits 1", "2");
    rig_free(&r);
    unbind(p, &x);
    plugin_free(p);
  }

  /* the directory backend: a new plugin over the same directory */
  plugin_kv_backend *b = NULL;
  wasm_error err = {0};
  CHECK(plugin_kv_dir_new(dir, &b, &err) == WASM_OK);
  plugin *p = plugin_keyvalue_new(b);
  wl x;
  wl_init(&x, "kvapp", "wasi", "keyvalue", all, NULL, 0, NULL, 0);
  rig r;
  if (p && bind(p, &x) && rig_new(&r, c, p, &x)) {
    EXPECT(&r, "inc counter hits 1", "3");
    EXPECT(&r, "get b1 n", "some:42");
    EXPECT(&r, "get b1 odd/na%me", "some:..x");
  }
  rig_free(&r);
  if (p) unbind(p, &x);
  plugin_free(p);
  char path[PATH_MAX + 64];
  snprintf(path, sizeof path, "%s/test/kvapp/counter/hits", dir);
  struct stat st;
  CHECKM(stat(path, &st) == 0 && st.st_size == 1, "%s: one file per key", path);
  snprintf(path, sizeof path, "%s/test/kvapp/b1/odd%%2Fna%%25me", dir);
  CHECKM(access(path, F_OK) == 0, "%s: the encoded file name", path);

  /* deny by default: only store granted, the component imports atomics */
  const char *store_only[] = {"store", NULL};
  p = plugin_keyvalue_new(plugin_kv_memory_new());
  wl_init(&x, "kvapp", "wasi", "keyvalue", store_only, NULL, 0, NULL, 0);
  if (p && bind(p, &x)) {
    cm_linker *l = cm_linker_new(eng);
    wasm_store *s = wasm_store_new(eng);
    cm_instance *inst = NULL;
    CHECK(p->item_link(p, &x.item, l, &err) == WASM_OK);
    wasm_status stt = cm_linker_instantiate(l, s, c, &inst, &err);
    CHECKM(stt != WASM_OK && strstr(err.message, "wasi:keyvalue/atomics"),
           "an ungranted interface is refused: %s", err.message);
    if (inst) cm_instance_delete(inst);
    wasm_store_delete(s);
    cm_linker_delete(l);
    unbind(p, &x);
  }
  plugin_free(p);
}


/* ---- several worker threads, one linker each, one item ---- */

enum { THREADS = 4, INCS = 40 };

typedef struct worker {
  cm_component *c;
  plugin *p;
  wl *x;
  int ok; /* increments that answered a number */
} worker;

static void *work(void *arg) {
  worker *w = arg;
  rig r;
  if (rig_new(&r, w->c, w->p, w->x)) {
    for (int i = 0; i < INCS; i++) {
      char *s = call(&r, "inc shared n 1");
      if (s[0] >= '0' && s[0] <= '9') w->ok++;
      free(s);
    }
  }
  rig_free(&r);
  return NULL;
}

static void test_threads(cm_component *c, const char *dir) {
  const char *all[] = {"store", "atomics", "batch", NULL};
  for (int backend = 0; backend < 2; backend++) {
    plugin_kv_backend *b = NULL;
    wasm_error err = {0};
    if (backend == 0) b = plugin_kv_memory_new();
    else if (plugin_kv_dir_new(dir, &b, &err)) CHECKM(0, "kv dir: %s", err.message);
    plugin *p = plugin_keyvalue_new(b);
    if (!p) continue;
    wl x;
    wl_init(&x, "threads", "wasi", "keyvalue", all, NULL, 0, NULL, 0);
    if (bind(p, &x)) {
      pthread_t t[THREADS];
      worker w[THREADS];
      for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){c, p, &x, 0};
        pthread_create(&t[i], NULL, work, &w[i]);
      }
      int ok = 0;
      for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        ok += w[i].ok;
      }
      CHECKM(ok == THREADS * INCS, "%s: %d increments answered", b->name, ok);
      rig r;
      char want[32];
      snprintf(want, sizeof want, "%d", THREADS * INCS + 1);
      if (rig_new(&r, c, p, &x)) EXPECT(&r, "inc shared n 1", want); /* none lost */
      rig_free(&r);
      unbind(p, &x);
    }
    plugin_free(p);
  }
}

/* ---- wasi-blobstore ---- */

static void blob_common(rig *r) {
  EXPECT(r, "create photos", "ok");
  EXPECT(r, "create photos", "err:*"); /* exists already */
  EXPECT(r, "exists photos", "true");
  EXPECT(r, "exists docs", "false");
  EXPECT(r, "exists secret", "err:unauthorized*");
  EXPECT(r, "create secret", "err:unauthorized*");
  EXPECT(r, "cname secret", "err:unauthorized*");
  EXPECT(r, "cname photos", "photos");
  EXPECT(r, "cname docs", "err:*"); /* allowed, but missing */
  EXPECT(r, "write photos a.txt hello-world", "ok");
  EXPECT(r, "read photos a.txt", "hello-world|size=11");
  EXPECT(r, "reada photos a.txt", "hello-world|size=11");
  EXPECT(r, "range photos a.txt 0 4", "hello|size=5");
  EXPECT(r, "range photos a.txt 6 100", "world|size=5");
  EXPECT(r, "write2 photos b.txt second", "ok");
  EXPECT(r, "read photos b.txt", "second|size=6");
  EXPECT(r, "read photos nothing", "err:*");
  EXPECT(r, "write photos .hidden/x dot", "ok");
  EXPECT(r, "list photos", ".hidden/x,a.txt,b.txt");
  EXPECT(r, "has photos a.txt", "true");
  EXPECT(r, "has photos zz", "false");
  EXPECT(r, "info photos a.txt", "a.txt@photos size=11 time=ok");
  EXPECT(r, "create docs", "ok");
  EXPECT(r, "copy photos a.txt docs c.txt", "ok");
  EXPECT(r, "copy photos a.txt secret c.txt", "err:unauthorized*");
  EXPECT(r, "read docs c.txt", "hello-world|size=11");
  EXPECT(r, "move docs c.txt docs d.txt", "ok");
  EXPECT(r, "has docs c.txt", "false");
  EXPECT(r, "read docs d.txt", "hello-world|size=11");
  EXPECT(r, "del photos a.txt", "ok");
  EXPECT(r, "del photos a.txt", "ok"); /* missing: not an error */
  EXPECT(r, "delmany photos b.txt zz", "ok");
  EXPECT(r, "list photos", ".hidden/x");
  EXPECT(r, "clear photos", "ok");
  EXPECT(r, "list photos", "");
  EXPECT(r, "delc docs", "ok");
  EXPECT(r, "exists docs", "false");
  EXPECT(r, "write photos keep.txt kept", "ok");
  EXPECT(r, "leak photos keep.txt", "ok"); /* freed at item_unbind */
}

static void test_blobstore(cm_component *c, const char *dir) {
  const char *all[] = {"blobstore", "container", "types", NULL};
  const char *allow[] = {"buckets", " photos , docs"};
  const char *ro[] = {"buckets", "read_only", "photos", "true"};
  for (int backend = 0; backend < 2; backend++) {
    plugin_blob_backend *b = NULL;
    wasm_error err = {0};
    if (backend == 0)
      b = plugin_blob_memory_new();
    else if (plugin_blob_dir_new(dir, &b, &err))
      CHECKM(0, "blob dir: %s", err.message);
    plugin *p = plugin_blobstore_new(b);
    CHECK(p != NULL);
    if (!p) continue;
    wl x;
    wl_init(&x, "blobs", "wasi", "blobstore", all, allow, 1, NULL, 0);
    rig r;
    if (bind(p, &x) && rig_new(&r, c, p, &x)) blob_common(&r);
    rig_free(&r);
    unbind(p, &x);

    /* read_only: reads work, every write is refused */
    wl_init(&x, "blobs", "wasi", "blobstore", all, ro, 2, NULL, 0);
    if (bind(p, &x) && rig_new(&r, c, p, &x)) {
      EXPECT(&r, "read photos keep.txt", "kept|size=4");
      EXPECT(&r, "list photos", "keep.txt");
      EXPECT(&r, "write photos new.txt data", "err:read-only*");
      EXPECT(&r, "write2 photos new.txt data", "err:read-only*");
      EXPECT(&r, "del photos keep.txt", "err:read-only*");
      EXPECT(&r, "clear photos", "err:read-only*");
      EXPECT(&r, "delc photos", "err:read-only*");
      EXPECT(&r, "create photos", "err:read-only*");
      EXPECT(&r, "exists docs", "err:unauthorized*");
      EXPECT(&r, "has photos new.txt", "false");
    }
    rig_free(&r);
    unbind(p, &x);
    plugin_free(p);
  }

  /* the directory backend: a new plugin finds the object */
  plugin_blob_backend *b = NULL;
  wasm_error err = {0};
  CHECK(plugin_blob_dir_new(dir, &b, &err) == WASM_OK);
  plugin *p = plugin_blobstore_new(b);
  wl x;
  wl_init(&x, "blobs", "wasi", "blobstore", all, allow, 1, NULL, 0);
  rig r;
  if (p && bind(p, &x) && rig_new(&r, c, p, &x)) {
    EXPECT(&r, "read photos keep.txt", "kept|size=4");
    EXPECT(&r, "info photos keep.txt", "keep.txt@photos size=4 time=ok");
  }
  rig_free(&r);
  if (p) unbind(p, &x);
  plugin_free(p);
  char path[PATH_MAX + 64];
  snprintf(path, sizeof path, "%s/test/blobs/photos/keep.txt", dir);
  CHECKM(access(path, F_OK) == 0, "%s: one file per object", path);
}

/* Removes the test directory tree (files and directories only). */
static void rm_tree(const char *dir) {
  char cmd[PATH_MAX + 32];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", dir);
}

int main(void) {
  unit_find_root(root, sizeof root);
  char cmd[2 * PATH_MAX + 128];
  snprintf(cmd, sizeof cmd, "FIXTURES_OUT='%s/build/fixtures' '%s/tests/fixtures/build.sh' >/dev/null",
           root, root);
  CHECKM(system(cmd) == 0, "tests/fixtures/build.sh failed");
  eng = wasm_engine_new(NULL);
  char tmp[] = "/tmp/stratus-plugins-XXXXXX";
  CHECK(mkdtemp(tmp) != NULL);
  char kvdir[sizeof tmp + 16], blobdir[sizeof tmp + 16];
  snprintf(kvdir, sizeof kvdir, "%s/kv", tmp);
  snprintf(blobdir, sizeof blobdir, "%s/blob", tmp);

  test_set_has();
  cm_component *cc = load("config"), *lc = load("logging"), *kc = load("keyvalue"),
               *bc = load("blobstore");
  if (cc) test_config(cc);
  if (lc) test_logging(lc);
  if (kc) test_keyvalue(kc, kvdir);
  if (kc) test_threads(kc, kvdir);
  if (bc) test_blobstore(bc, blobdir);
  if (cc) cm_component_delete(cc);
  if (lc) cm_component_delete(lc);
  if (kc) cm_component_delete(kc);
  if (bc) cm_component_delete(bc);
  rm_tree(tmp);
  wasm_engine_delete(eng);
  return unit_report();
}
