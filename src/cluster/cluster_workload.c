/* cluster_workload.c: the protocol's Workload message <-> the manifest
 * model of stratus/host.h.
 *
 * from_proto writes the message as a Workload manifest in JSON (which YAML
 * reads as flow syntax) and hands it to workload_parse, so a workload that
 * comes over the wire obeys every rule a manifest file does. The parser's
 * errors name manifest paths; they are translated back to the message's
 * field paths ("spec.components[0].name" -> "witWorld.components[0].name").
 * to_proto walks the model. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stratus/cluster.h"

#define CW_NAME "Workload" /* name_for_errors: no '/', local paths resolve against "." */

static wasm_status nomem(wasm_error *err) { return wasm_fail(err, WASM_NOMEM, "out of memory"); }

/* ---- reading the normalized message ---- */

static const char *str_at(const json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  return s ? s : "";
}

static json_int_t int_at(const json_t *o, const char *key) {
  return json_integer_value(json_object_get(o, key));
}

static const json_t *obj_at(const json_t *o, const char *key) {
  const json_t *v = json_object_get(o, key);
  return json_is_object(v) ? v : NULL;
}

static size_t len_at(const json_t *o, const char *key) {
  const json_t *v = json_object_get(o, key);
  return json_is_array(v) ? json_array_size(v) : 0;
}

static const json_t *item_at(const json_t *o, const char *key, size_t i) {
  return json_array_get(json_object_get(o, key), i);
}

static const char *const PULL_NAMES[] = {NULL, "Always", "IfNotPresent", "Never"};

/* ---- building the manifest document ---- */

/* Sets key to v (stolen) unless v is NULL; false only when out of memory. */
static bool put(json_t *o, const char *key, json_t *v) {
  return v && json_object_set_new(o, key, v) == 0;
}

/* A copy of a map<string,string> value, or NULL (nothing to write) when
 * empty; *ok false when out of memory. */
static json_t *map_copy(const json_t *m, bool *ok) {
  if (!json_is_object(m) || json_object_size(m) == 0) return NULL;
  json_t *c = json_deep_copy(m);
  if (!c) *ok = false;
  return c;
}

/* An image as the manifest must hold a local file: a path the parser
 * recognises as local (absolute, ./, ../ or file://). */
static char *local_form(const char *path) {
  bool local = path[0] == '/' || !strncmp(path, "./", 2) || !strncmp(path, "../", 3) ||
               !strncmp(path, "file://", 7);
  size_t n = strlen(path) + 3;
  char *s = malloc(n);
  if (s) snprintf(s, n, "%s%s", local ? "" : "./", path);
  return s;
}

/* The localResources of the document from a LocalResources value;
 * NULL with *ok true when there is nothing to write. */
static json_t *local_resources(const json_t *lr, bool *ok) {
  if (!lr) return NULL;
  json_t *o = json_object();
  if (!o) {
    *ok = false;
    return NULL;
  }
  json_t *env = map_copy(json_object_get(lr, "environment"), ok);
  if (env) *ok = *ok && put(o, "environment", json_pack("{s:o}", "config", env));
  json_t *cfg = map_copy(json_object_get(lr, "config"), ok);
  if (cfg) *ok = *ok && put(o, "config", cfg);
  if (len_at(lr, "allowedHosts"))
    *ok = *ok && put(o, "allowedHosts", json_deep_copy(json_object_get(lr, "allowedHosts")));
  size_t n = len_at(lr, "volumeMounts");
  if (n) {
    json_t *a = json_array();
    *ok = *ok && put(o, "volumeMounts", a);
    for (size_t i = 0; *ok && i < n; i++) {
      const json_t *m = item_at(lr, "volumeMounts", i);
      *ok = json_array_append_new(a, json_pack("{s:s,s:s,s:b}", "name", str_at(m, "name"),
                                               "mountPath", str_at(m, "mountPath"), "readOnly",
                                               json_is_true(json_object_get(m, "readOnly")))) == 0;
    }
  }
  static const char *const LIMITS[] = {"memoryLimitMb", "cpuLimit"};
  for (size_t i = 0; i < 2; i++)
    if (int_at(lr, LIMITS[i])) *ok = *ok && put(o, LIMITS[i], json_integer(int_at(lr, LIMITS[i])));
  if (json_object_size(o) == 0 || !*ok) {
    json_decref(o);
    return NULL;
  }
  return o;
}

static bool put_pull_policy(json_t *o, const json_t *from) {
  json_int_t p = int_at(from, "imagePullPolicy");
  return p == 0 || put(o, "imagePullPolicy", json_string(PULL_NAMES[p]));
}

/* The manifest document of a normalized, checked Workload message; the
 * images are `images[i]` (components, then the service). */
static json_t *manifest_of(const json_t *wl, char *const *images) {
  bool ok = true;
  json_t *doc = json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", WORKLOAD_API_VERSION, "kind",
                          "Workload", "metadata", "name", str_at(wl, "name"));
  json_t *spec = json_object();
  if (!doc || !put(doc, "spec", spec)) {
    json_decref(doc);
    return NULL;
  }
  json_t *meta = json_object_get(doc, "metadata");
  if (*str_at(wl, "namespace")) ok = put(meta, "namespace", json_string(str_at(wl, "namespace")));
  json_t *ann = map_copy(json_object_get(wl, "annotations"), &ok);
  if (ann) ok = ok && put(meta, "annotations", ann);

  const json_t *world = obj_at(wl, "witWorld");
  size_t nc = len_at(world, "components");
  json_t *cs = json_array();
  ok = ok && put(spec, "components", cs);
  for (size_t i = 0; ok && i < nc; i++) {
    const json_t *c = item_at(world, "components", i);
    char dflt[32];
    snprintf(dflt, sizeof dflt, "component-%zu", i);
    json_t *o = json_pack("{s:s,s:s}", "name", *str_at(c, "name") ? str_at(c, "name") : dflt,
                          "image", images[i]);
    ok = o && json_array_append_new(cs, o) == 0 && put_pull_policy(o, c);
    if (ok && int_at(c, "poolSize")) ok = put(o, "poolSize", json_integer(int_at(c, "poolSize")));
    if (ok && int_at(c, "maxInvocations"))
      ok = put(o, "maxInvocations", json_integer(int_at(c, "maxInvocations")));
    json_t *lr = ok ? local_resources(obj_at(c, "localResources"), &ok) : NULL;
    if (lr) ok = ok && put(o, "localResources", lr);
  }

  size_t nh = len_at(world, "hostInterfaces");
  if (ok && nh) {
    json_t *hs = json_array();
    ok = put(spec, "hostInterfaces", hs);
    for (size_t i = 0; ok && i < nh; i++) {
      const json_t *h = item_at(world, "hostInterfaces", i);
      const json_t *ifs = json_object_get(h, "interfaces");
      /* always written: an empty list gets the parser's "needs at least one" */
      json_t *o = json_pack("{s:s,s:s,s:o}", "namespace", str_at(h, "namespace"), "package",
                            str_at(h, "package"), "interfaces",
                            ifs ? json_deep_copy(ifs) : json_array());
      ok = o && json_array_append_new(hs, o) == 0;
      if (ok && *str_at(h, "version")) ok = put(o, "version", json_string(str_at(h, "version")));
      if (ok && *str_at(h, "name")) ok = put(o, "name", json_string(str_at(h, "name")));
      json_t *cfg = ok ? map_copy(json_object_get(h, "config"), &ok) : NULL;
      if (cfg) ok = ok && put(o, "config", cfg);
    }
  }

  const json_t *svc = obj_at(wl, "service");
  if (ok && svc) {
    json_t *o = json_pack("{s:s}", "image", images[nc]);
    ok = put(spec, "service", o) && put_pull_policy(o, svc);
    if (ok && int_at(svc, "maxRestarts"))
      ok = put(o, "maxRestarts", json_integer(int_at(svc, "maxRestarts")));
    json_t *lr = ok ? local_resources(obj_at(svc, "localResources"), &ok) : NULL;
    if (lr) ok = ok && put(o, "localResources", lr);
  }

  size_t nv = len_at(wl, "volumes");
  if (ok && nv) {
    json_t *vs = json_array();
    ok = put(spec, "volumes", vs);
    for (size_t i = 0; ok && i < nv; i++) {
      const json_t *v = item_at(wl, "volumes", i);
      const json_t *hp = obj_at(v, "hostPath");
      json_t *o = hp ? json_pack("{s:s,s:{s:s}}", "name", str_at(v, "name"), "hostPath", "path",
                                 str_at(hp, "localPath"))
                     : json_pack("{s:s,s:{}}", "name", str_at(v, "name"), "ephemeral");
      ok = o && json_array_append_new(vs, o) == 0;
    }
  }
  if (!ok) {
    json_decref(doc);
    return NULL;
  }
  return doc;
}

/* ---- checks the manifest cannot express ---- */

static wasm_status check_image(const json_t *o, const char *path, wasm_error *err) {
  if (!*str_at(o, "image"))
    return wasm_fail(err, WASM_MALFORMED, "%s.image: required field is missing", path);
  json_int_t p = int_at(o, "imagePullPolicy");
  if (p < 0 || p > 3)
    return wasm_fail(err, WASM_MALFORMED, "%s.imagePullPolicy: unknown ImagePullPolicy %lld",
                     path, (long long)p);
  return WASM_OK;
}

static wasm_status check_message(const json_t *wl, wasm_error *err) {
  if (!*str_at(wl, "name")) return wasm_fail(err, WASM_MALFORMED, "name: required field is missing");
  const json_t *world = obj_at(wl, "witWorld");
  char path[64];
  for (size_t i = 0; i < len_at(world, "components"); i++) {
    const json_t *c = item_at(world, "components", i);
    snprintf(path, sizeof path, "witWorld.components[%zu]", i);
    wasm_status st = check_image(c, path, err);
    if (st != WASM_OK) return st;
  }
  const json_t *svc = obj_at(wl, "service");
  if (svc) {
    wasm_status st = check_image(svc, "service", err);
    if (st != WASM_OK) return st;
    /* uint64 values above INT64_MAX read back negative */
    json_int_t r = int_at(svc, "maxRestarts");
    if (r < 0 || r > INT32_MAX)
      return wasm_fail(err, WASM_MALFORMED, "service.maxRestarts: %llu is out of range for int32",
                       (unsigned long long)r);
  }
  for (size_t i = 0; i < len_at(wl, "volumes"); i++) {
    const json_t *v = item_at(wl, "volumes", i);
    bool hp = obj_at(v, "hostPath") != NULL, ed = obj_at(v, "emptyDir") != NULL;
    if (hp == ed)
      return wasm_fail(err, WASM_MALFORMED, "volumes[%zu]: needs one of hostPath or emptyDir", i);
    if (hp && !*str_at(obj_at(v, "hostPath"), "localPath"))
      return wasm_fail(err, WASM_MALFORMED, "volumes[%zu].hostPath.localPath: required field is missing", i);
  }
  return WASM_OK;
}

/* ---- the parser's errors, in the message's terms ---- */

/* Replaces every `from` in s (of capacity cap) by `to`. */
static void replace_all(char *s, size_t cap, const char *from, const char *to) {
  size_t fl = strlen(from), tl = strlen(to);
  for (char *p = strstr(s, from); p; p = strstr(p + tl, from)) {
    size_t rest = strlen(p + fl);
    if ((size_t)(p - s) + tl + rest + 1 > cap) return;
    memmove(p + tl, p + fl, rest + 1);
    memcpy(p, to, tl);
  }
}

/* "Workload:1:57: spec.components[0].name: ..." -> "witWorld.components[0].name: ..." */
static wasm_status translate(wasm_status st, wasm_error *err) {
  if (!err) return st;
  const char *m = err->message;
  if (!strncmp(m, CW_NAME ":", strlen(CW_NAME) + 1)) {
    m += strlen(CW_NAME) + 1;
    while ((*m >= '0' && *m <= '9') || *m == ':') m++;
    while (*m == ' ') m++;
  }
  /* The path (up to the first ": ") gets every rename; the text after it
   * only the spec.* ones (it may quote the user's names). */
  const char *colon = strstr(m, ": ");
  size_t plen = colon ? (size_t)(colon - m) : 0;
  char path[WASM_ERROR_MAX], rest[WASM_ERROR_MAX];
  snprintf(path, sizeof path, "%.*s", (int)plen, m);
  snprintf(rest, sizeof rest, "%s", m + plen);
  static const char *const R[][2] = {
      {"spec.components", "witWorld.components"},
      {"spec.hostInterfaces", "witWorld.hostInterfaces"},
      {"spec.service", "service"},
      {"spec.volumes", "volumes"},
      {"metadata.", ""},
      {".hostPath.path", ".hostPath.localPath"},
      {".environment.config", ".environment"},
      {".ephemeral", ".emptyDir"},
  };
  for (size_t i = 0; i < sizeof R / sizeof R[0]; i++) {
    replace_all(path, sizeof path, R[i][0], R[i][1]);
    if (i < 4) replace_all(rest, sizeof rest, R[i][0], R[i][1]);
  }
  size_t a = strlen(path), b = strlen(rest), cap = sizeof err->message - 1;
  if (a > cap) a = cap;
  if (b > cap - a) b = cap - a;
  memcpy(err->message, path, a); /* path and rest are copies: no overlap */
  memcpy(err->message + a, rest, b);
  err->message[a + b] = 0;
  err->status = st;
  return st;
}

/* ---- from_proto ---- */

/* JSON text as YAML reads it back unchanged: YAML refuses some characters
 * JSON passes raw (DEL, C1 controls, and folds U+0085/U+2028/U+2029 as
 * line breaks), so every byte past ASCII's printable range becomes a YAML
 * escape: \u007f, or \UXXXXXXXX for a whole code point. jansson's output is
 * valid UTF-8 and has non-ASCII bytes only inside strings. */
static char *yaml_safe(const char *json) {
  size_t n = 0;
  for (const unsigned char *p = (const unsigned char *)json; *p; p++) n += *p >= 0x7f ? 10 : 1;
  char *out = malloc(n + 1), *o = out;
  if (!out) return NULL;
  for (const unsigned char *p = (const unsigned char *)json; *p;) {
    if (*p < 0x7f) {
      *o++ = (char)*p++;
      continue;
    }
    uint32_t cp = *p;
    size_t len = 1;
    if (*p >= 0xf0) cp = *p & 0x07, len = 4;
    else if (*p >= 0xe0) cp = *p & 0x0f, len = 3;
    else if (*p >= 0xc0) cp = *p & 0x1f, len = 2;
    for (size_t i = 1; i < len && p[i]; i++) cp = cp << 6 | (p[i] & 0x3f);
    for (size_t i = 0; i < len && *p; i++) p++;
    o += sprintf(o, "\\U%08x", (unsigned)cp);
  }
  *o = 0;
  return out;
}

static wasm_status parse_doc(const json_t *doc, workload **out, wasm_error *err) {
  /* not compact: YAML wants a space after ':' in some flow contexts */
  char *json = json_dumps(doc, JSON_PRESERVE_ORDER);
  char *text = json ? yaml_safe(json) : NULL;
  free(json);
  if (!text) return nomem(err);
  wasm_status st = workload_parse(text, strlen(text), CW_NAME, out, err);
  free(text);
  return st == WASM_OK ? st : translate(st, err);
}

/* Each image through resolve (or as a local path), in local form. */
static wasm_status resolve_images(const json_t *wl, cluster_image_fn resolve, void *ctx,
                                  char **images, wasm_error *err) {
  const json_t *world = obj_at(wl, "witWorld");
  size_t nc = len_at(world, "components");
  const json_t *svc = obj_at(wl, "service");
  for (size_t i = 0; i < nc + (svc ? 1 : 0); i++) {
    const json_t *o = i < nc ? item_at(world, "components", i) : svc;
    char path[64];
    if (i < nc) snprintf(path, sizeof path, "witWorld.components[%zu].image", i);
    else snprintf(path, sizeof path, "service.image");
    char *file = NULL;
    if (resolve) {
      const json_t *sec = obj_at(o, "imagePullSecret");
      const char *user = sec && *str_at(sec, "username") ? str_at(sec, "username") : NULL;
      const char *pass = sec && *str_at(sec, "password") ? str_at(sec, "password") : NULL;
      wasm_error e = {0};
      wasm_status st = resolve(ctx, str_at(o, "image"), (int32_t)int_at(o, "imagePullPolicy"),
                               user, pass, &file, &e);
      if (st != WASM_OK) {
        free(file);
        return wasm_fail(err, st, "%s: %s", path, e.message);
      }
      if (!file) return wasm_fail(err, WASM_BAD_ARG, "%s: the image resolver gave no file", path);
    }
    images[i] = local_form(file ? file : str_at(o, "image"));
    free(file);
    if (!images[i]) return nomem(err);
  }
  return WASM_OK;
}

wasm_status cluster_workload_from_proto(const json_t *wl, cluster_image_fn resolve, void *ctx,
                                        workload **out, wasm_error *err) {
  *out = NULL;
  const proto_message *m = proto_message_find("Workload");
  if (!m) return wasm_fail(err, WASM_BAD_ARG, "Workload message table missing");
  if (!json_is_object(wl)) return wasm_fail(err, WASM_MALFORMED, "(message): expected an object");
  json_t *n = NULL;
  wasm_status st = proto_from_json(m, wl, &n, err);
  if (st != WASM_OK) return st;
  st = check_message(n, err);
  const json_t *world = obj_at(n, "witWorld");
  size_t nc = len_at(world, "components"), nimg = nc + (obj_at(n, "service") ? 1 : 0);
  char **images = calloc(nimg + 1, sizeof *images);
  if (st == WASM_OK && !images) st = nomem(err);
  /* A first pass with the references as written checks the whole message
   * before any image is fetched. */
  for (size_t i = 0; st == WASM_OK && i < nimg; i++) {
    const json_t *o = i < nc ? item_at(world, "components", i) : obj_at(n, "service");
    if (!(images[i] = strdup(str_at(o, "image")))) st = nomem(err);
  }
  workload *w = NULL;
  if (st == WASM_OK) {
    json_t *doc = manifest_of(n, images);
    st = doc ? parse_doc(doc, &w, err) : nomem(err);
    json_decref(doc);
    workload_free(w);
    w = NULL;
  }
  for (size_t i = 0; images && i < nimg; i++) {
    free(images[i]);
    images[i] = NULL;
  }
  if (st == WASM_OK) st = resolve_images(n, resolve, ctx, images, err);
  if (st == WASM_OK) {
    json_t *doc = manifest_of(n, images);
    st = doc ? parse_doc(doc, &w, err) : nomem(err);
    json_decref(doc);
  }
  if (st == WASM_OK) *out = w;
  for (size_t i = 0; images && i < nimg; i++) free(images[i]);
  free(images);
  json_decref(n);
  return st;
}

/* ---- to_proto ---- */

static json_t *map_value(const plugin_map *m) {
  json_t *o = json_object();
  for (size_t i = 0; o && i < m->n; i++)
    if (json_object_set_new(o, m->keys[i], json_string(m->values[i]))) {
      json_decref(o);
      return NULL;
    }
  return o;
}

static json_t *strings_value(const workload_strings *s) {
  json_t *a = json_array();
  for (size_t i = 0; a && i < s->n; i++)
    if (json_array_append_new(a, json_string(s->items[i]))) {
      json_decref(a);
      return NULL;
    }
  return a;
}

/* Kubernetes references cannot travel: the message has no field for them. */
static wasm_status refuse_refs(const workload *w, const workload_config_layer *l, const char *what,
                               wasm_error *err) {
  if (l->config_from.n)
    return wasm_fail(err, WASM_BAD_ARG, "%s: %s.configFrom: ConfigMap `%s` cannot be sent to a host",
                     w->source, what, l->config_from.items[0]);
  if (l->secret_from.n)
    return wasm_fail(err, WASM_BAD_ARG, "%s: %s.secretFrom: Secret `%s` cannot be sent to a host",
                     w->source, what, l->secret_from.items[0]);
  return WASM_OK;
}

static json_t *local_value(const workload_local_resources *lr) {
  json_t *o = json_object(), *mounts = json_array();
  bool ok = o && put(o, "volumeMounts", mounts);
  for (size_t i = 0; ok && i < lr->nvolume_mounts; i++) {
    const workload_volume_mount *m = &lr->volume_mounts[i];
    ok = json_array_append_new(mounts, json_pack("{s:s,s:s,s:b}", "name", m->name, "mountPath",
                                                 m->mount_path, "readOnly", m->read_only)) == 0;
  }
  ok = ok && put(o, "memoryLimitMb", json_integer(lr->memory_limit_mb)) &&
       put(o, "cpuLimit", json_integer(lr->cpu_limit)) &&
       put(o, "config", map_value(&lr->config)) &&
       put(o, "environment", map_value(&lr->environment.config)) &&
       put(o, "allowedHosts", strings_value(&lr->allowed_hosts));
  if (!ok) {
    json_decref(o);
    return NULL;
  }
  return o;
}

/* What the host is to fetch: the local file when there is one (for hosts
 * sharing this file system), else the OCI reference. */
static const char *image_value(const workload_image *im) { return im->path ? im->path : im->ref; }

static wasm_status to_proto(const workload *w, json_t *wl, wasm_error *err) {
  const plugin_map *ann = w->kind == WORKLOAD_KIND_WORKLOAD ? &w->annotations : &w->template_annotations;
  json_t *world = json_object(), *cs = json_array(), *hs = json_array(), *vs = json_array();
  bool ok = put(wl, "namespace", json_string(w->namespace_)) && put(wl, "name", json_string(w->name)) &&
            put(wl, "annotations", map_value(ann)) && put(wl, "witWorld", world) &&
            put(world, "components", cs) && put(world, "hostInterfaces", hs) &&
            put(wl, "volumes", vs);
  if (!ok) {
    json_decref(world), json_decref(cs), json_decref(hs), json_decref(vs);
    return nomem(err);
  }
  char what[96];
  for (size_t i = 0; i < w->ncomponents; i++) {
    const workload_component *c = &w->components[i];
    snprintf(what, sizeof what, "spec.components[%zu].localResources.environment", i);
    wasm_status st = refuse_refs(w, &c->local.environment, what, err);
    if (st != WASM_OK) return st;
    json_t *o = json_pack("{s:s,s:s,s:i,s:i,s:i}", "name", c->name, "image", image_value(&c->image),
                          "poolSize", (int)c->pool_size, "maxInvocations", (int)c->max_invocations,
                          "imagePullPolicy", (int)c->image.pull_policy);
    if (!o || json_array_append_new(cs, o) || !put(o, "localResources", local_value(&c->local)))
      return nomem(err);
  }
  for (size_t i = 0; i < w->nhost_interfaces; i++) {
    const workload_host_interface *h = &w->host_interfaces[i];
    const plugin_grant *g = &h->grant;
    workload_config_layer l = {.config_from = h->config_from, .secret_from = h->secret_from};
    snprintf(what, sizeof what, "spec.hostInterfaces[%zu]", i);
    wasm_status st = refuse_refs(w, &l, what, err);
    if (st != WASM_OK) return st;
    workload_strings ifs = {g->interfaces, g->ninterfaces};
    json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "namespace", g->ns, "package", g->package,
                          "version", g->version ? g->version : "", "name", g->name ? g->name : "");
    if (!o || json_array_append_new(hs, o) || !put(o, "interfaces", strings_value(&ifs)) ||
        !put(o, "config", map_value(&g->config)))
      return nomem(err);
  }
  if (w->service) {
    const workload_service *s = w->service;
    wasm_status st = refuse_refs(w, &s->local.environment, "spec.service.localResources.environment", err);
    if (st != WASM_OK) return st;
    json_t *o = json_pack("{s:s,s:I,s:i}", "image", image_value(&s->image), "maxRestarts",
                          (json_int_t)s->max_restarts, "imagePullPolicy", (int)s->image.pull_policy);
    if (!put(wl, "service", o) || !put(o, "localResources", local_value(&s->local)))
      return nomem(err);
  }
  for (size_t i = 0; i < w->nvolumes; i++) {
    const workload_volume *v = &w->volumes[i];
    json_t *o = v->kind == WORKLOAD_VOLUME_HOST_PATH
                    ? json_pack("{s:s,s:{s:s}}", "name", v->name, "hostPath", "localPath",
                                v->resolved_path ? v->resolved_path : v->host_path)
                    : json_pack("{s:s,s:{}}", "name", v->name, "emptyDir");
    if (!o || json_array_append_new(vs, o)) return nomem(err);
  }
  return WASM_OK;
}

wasm_status cluster_workload_to_proto(const workload *w, json_t **out, wasm_error *err) {
  *out = NULL;
  json_t *wl = json_object();
  if (!wl) return nomem(err);
  wasm_status st = to_proto(w, wl, err);
  if (st != WASM_OK) {
    json_decref(wl);
    return st;
  }
  *out = wl;
  return WASM_OK;
}
