/* host_workload.c: reading wasmCloud v2 workload manifests (YAML, with
 * libyaml's document API) into the model of stratus/host.h. Strict: an
 * unknown field or a wrong type is an error naming the field path and its
 * line:column, so a typo never silently drops a grant. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "host/host_internal.h"

typedef struct wl {
  yaml_document_t *doc;
  const char *file;
  const char *dir;
  host_arena *a;
  workload *w;
  wasm_error *err;
  char path[200];
  size_t plen;
  bool failed_nomem;
} wl;

/* A field of a mapping: its key node (positions errors) and value. */
typedef struct wl_field {
  yaml_node_t *key, *val;
} wl_field;

#define MAX_FIELDS 16

static yaml_node_t *node_at(wl *p, int index) { return yaml_document_get_node(p->doc, index); }

static const char *scalar(const yaml_node_t *n) { return (const char *)n->data.scalar.value; }

static bool is_null(const yaml_node_t *n) {
  if (!n) return true;
  if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return false;
  const char *s = scalar(n);
  return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

/* ---- field paths and errors ---- */

static size_t push(wl *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t push(wl *p, const char *fmt, ...) {
  size_t saved = p->plen;
  if (p->plen < sizeof p->path - 1) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(p->path + p->plen, sizeof p->path - p->plen, fmt, ap);
    va_end(ap);
    if (n > 0) p->plen += (size_t)n;
    if (p->plen > sizeof p->path - 1) p->plen = sizeof p->path - 1;
  }
  return saved;
}

/* Appends ".name" (or "name" at the top). */
static size_t push_field(wl *p, const char *name) { return push(p, p->plen ? ".%s" : "%s", name); }

static void pop(wl *p, size_t saved) {
  p->plen = saved;
  p->path[saved] = 0;
}

static bool fail_at(wl *p, const yaml_node_t *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool fail_at(wl *p, const yaml_node_t *at, const char *fmt, ...) {
  char msg[WASM_ERROR_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  host_fail(p->err, WASM_MALFORMED, "%s:%lu:%lu: %s: %s", p->file,
            (unsigned long)at->start_mark.line + 1, (unsigned long)at->start_mark.column + 1,
            p->plen ? p->path : "(document)", msg);
  return false;
}

static bool nomem(wl *p) {
  host_fail(p->err, WASM_NOMEM, "%s: out of memory", p->file);
  p->failed_nomem = true;
  return false;
}

/* "a mapping", "a list" or the scalar quoted, for "expected X, got Y". */
static const char *describe(const yaml_node_t *n, char *buf, size_t size) {
  if (n->type == YAML_MAPPING_NODE) return "a mapping";
  if (n->type == YAML_SEQUENCE_NODE) return "a list";
  const char *s = scalar(n);
  size_t len = strlen(s);
  if (len > 40) snprintf(buf, size, "\"%.40s...\"", s);
  else snprintf(buf, size, "\"%s\"", s);
  return buf;
}

/* The node an error about field f points at: its key when there is one. */
static const yaml_node_t *where(const wl_field *f) { return f->key ? f->key : f->val; }

static bool wrong_type(wl *p, const wl_field *f, const char *expected) {
  char buf[64];
  return fail_at(p, where(f), "expected %s, got %s", expected, describe(f->val, buf, sizeof buf));
}

/* Checks n is a mapping whose keys all name one of `names`
 * (NULL-terminated) at most once; fills f[i] for names[i]. */
static bool fields(wl *p, yaml_node_t *n, const wl_field *self, const char *const *names,
                   wl_field *f) {
  size_t count = 0;
  while (names[count]) count++;
  memset(f, 0, count * sizeof *f);
  if (n->type != YAML_MAPPING_NODE) return wrong_type(p, self, "a mapping");
  for (yaml_node_pair_t *pair = n->data.mapping.pairs.start; pair < n->data.mapping.pairs.top;
       pair++) {
    yaml_node_t *k = node_at(p, pair->key), *v = node_at(p, pair->value);
    if (k->type != YAML_SCALAR_NODE) return fail_at(p, k, "expected a field name");
    size_t i = 0;
    while (i < count && strcmp(names[i], scalar(k)) != 0) i++;
    size_t saved = push_field(p, scalar(k));
    if (i == count) return fail_at(p, k, "unknown field");
    if (f[i].key) return fail_at(p, k, "duplicate field");
    pop(p, saved);
    f[i].key = k;
    f[i].val = v;
  }
  return true;
}

static bool missing(wl *p, const yaml_node_t *parent, const char *name) {
  size_t saved = push_field(p, name);
  fail_at(p, parent, "required field is missing");
  pop(p, saved);
  return false;
}

/* ---- scalars ---- */

/* A string field; absent or null leaves *out NULL (an error when
 * required; a required string must not be empty either). */
static bool get_str(wl *p, const yaml_node_t *parent, const wl_field *f, const char *name,
                    const char **out, bool required) {
  *out = NULL;
  if (!f->val || is_null(f->val)) return required ? missing(p, f->key ? f->key : parent, name) : true;
  size_t saved = push_field(p, name);
  if (f->val->type != YAML_SCALAR_NODE) return wrong_type(p, f, "a string");
  if (required && !*scalar(f->val)) return fail_at(p, where(f), "must not be empty");
  pop(p, saved);
  *out = host_arena_strdup(p->a, scalar(f->val));
  return *out ? true : nomem(p);
}

static bool get_int32(wl *p, const wl_field *f, const char *name, int32_t *out, bool *present) {
  *out = 0;
  if (present) *present = false;
  if (!f->val || is_null(f->val)) return true;
  size_t saved = push_field(p, name);
  if (f->val->type != YAML_SCALAR_NODE) return wrong_type(p, f, "an integer");
  const char *s = scalar(f->val);
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (!*s || *end || errno || (*s != '-' && *s != '+' && (*s < '0' || *s > '9')))
    return wrong_type(p, f, "an integer");
  if (v < INT32_MIN || v > INT32_MAX) return fail_at(p, where(f), "%s is out of range for int32", s);
  pop(p, saved);
  *out = (int32_t)v;
  if (present) *present = true;
  return true;
}

static bool get_bool(wl *p, const wl_field *f, const char *name, bool *out) {
  static const char *const yes[] = {"true", "yes", "on", "y"}, *const no[] = {"false", "no", "off", "n"};
  *out = false;
  if (!f->val || is_null(f->val)) return true;
  size_t saved = push_field(p, name);
  if (f->val->type == YAML_SCALAR_NODE) {
    for (size_t i = 0; i < 4; i++) {
      if (!strcasecmp(scalar(f->val), yes[i]) || !strcasecmp(scalar(f->val), no[i])) {
        *out = !strcasecmp(scalar(f->val), yes[i]);
        pop(p, saved);
        return true;
      }
    }
  }
  return wrong_type(p, f, "true or false");
}

/* A map of strings (config, labels, environment). */
static bool get_map(wl *p, const wl_field *f, const char *name, plugin_map *out) {
  memset(out, 0, sizeof *out);
  if (!f->val || is_null(f->val)) return true;
  size_t saved = push_field(p, name);
  if (f->val->type != YAML_MAPPING_NODE) return wrong_type(p, f, "a map of strings");
  yaml_node_pair_t *start = f->val->data.mapping.pairs.start, *top = f->val->data.mapping.pairs.top;
  size_t n = (size_t)(top - start);
  const char **keys = host_arena_alloc(p->a, (n ? n : 1) * sizeof *keys);
  const char **values = host_arena_alloc(p->a, (n ? n : 1) * sizeof *values);
  if (!keys || !values) return nomem(p);
  for (size_t i = 0; i < n; i++) {
    yaml_node_t *k = node_at(p, start[i].key), *v = node_at(p, start[i].value);
    if (k->type != YAML_SCALAR_NODE) return fail_at(p, k, "expected a string key");
    size_t s2 = push_field(p, scalar(k));
    for (size_t j = 0; j < i; j++)
      if (!strcmp(keys[j], scalar(k))) return fail_at(p, k, "duplicate key");
    wl_field vf = {k, v};
    if (v->type != YAML_SCALAR_NODE) return wrong_type(p, &vf, "a string");
    pop(p, s2);
    keys[i] = host_arena_strdup(p->a, scalar(k));
    values[i] = host_arena_strdup(p->a, is_null(v) ? "" : scalar(v));
    if (!keys[i] || !values[i]) return nomem(p);
  }
  pop(p, saved);
  out->keys = keys;
  out->values = values;
  out->n = n;
  return true;
}

/* The items of a list field; *n 0 when absent. */
static bool get_list(wl *p, const wl_field *f, yaml_node_item_t **items, size_t *n) {
  *items = NULL;
  *n = 0;
  if (!f->val || is_null(f->val)) return true;
  if (f->val->type != YAML_SEQUENCE_NODE) return wrong_type(p, f, "a list");
  *items = f->val->data.sequence.items.start;
  *n = (size_t)(f->val->data.sequence.items.top - f->val->data.sequence.items.start);
  return true;
}

/* A list of strings, or (refs) of LocalObjectReferences ({name}) kept as
 * their names. */
static bool get_names(wl *p, const wl_field *f, const char *name, bool refs,
                      workload_strings *out) {
  memset(out, 0, sizeof *out);
  size_t saved = push_field(p, name);
  yaml_node_item_t *items;
  size_t n;
  if (!get_list(p, f, &items, &n)) return false;
  const char **v = host_arena_alloc(p->a, (n ? n : 1) * sizeof *v);
  if (!v) return nomem(p);
  for (size_t i = 0; i < n; i++) {
    static const char *const F[] = {"name", NULL};
    wl_field g[1], itf = {NULL, node_at(p, items[i])};
    size_t s2 = push(p, "[%zu]", i);
    if (!refs && (itf.val->type != YAML_SCALAR_NODE || is_null(itf.val)))
      return wrong_type(p, &itf, "a string");
    if (refs && (!fields(p, itf.val, &itf, F, g) ||
                 !get_str(p, itf.val, &g[0], "name", &v[i], true)))
      return false;
    pop(p, s2);
    if (!refs && !(v[i] = host_arena_strdup(p->a, scalar(itf.val)))) return nomem(p);
  }
  pop(p, saved);
  out->items = v;
  out->n = n;
  return true;
}

/* A Kubernetes LocalObjectReference: {name}. */
static bool get_ref(wl *p, const wl_field *f, const char *name, const char **out) {
  *out = NULL;
  if (!f->val || is_null(f->val)) return true;
  static const char *const F[] = {"name", NULL};
  wl_field g[1];
  size_t saved = push_field(p, name);
  if (!fields(p, f->val, f, F, g) || !get_str(p, f->val, &g[0], "name", out, true)) return false;
  pop(p, saved);
  return true;
}

/* ---- the spec ---- */

static bool parse_config_layer(wl *p, const wl_field *f, const char *name,
                               workload_config_layer *out) {
  memset(out, 0, sizeof *out);
  if (!f->val || is_null(f->val)) return true;
  static const char *const F[] = {"config", "configFrom", "secretFrom", NULL};
  wl_field g[3];
  size_t saved = push_field(p, name);
  if (!fields(p, f->val, f, F, g) || !get_map(p, &g[0], "config", &out->config) ||
      !get_names(p, &g[1], "configFrom", true, &out->config_from) ||
      !get_names(p, &g[2], "secretFrom", true, &out->secret_from))
    return false;
  pop(p, saved);
  return true;
}

static bool parse_mounts(wl *p, const wl_field *f, workload_local_resources *lr) {
  size_t saved = push_field(p, "volumeMounts");
  yaml_node_item_t *items;
  size_t n;
  if (!get_list(p, f, &items, &n)) return false;
  workload_volume_mount *m = host_arena_alloc(p->a, (n ? n : 1) * sizeof *m);
  if (!m) return nomem(p);
  for (size_t i = 0; i < n; i++) {
    static const char *const F[] = {"name", "mountPath", "readOnly", NULL};
    wl_field g[3], itf = {NULL, node_at(p, items[i])};
    size_t s2 = push(p, "[%zu]", i);
    if (!fields(p, itf.val, &itf, F, g) || !get_str(p, itf.val, &g[0], "name", &m[i].name, true) ||
        !get_str(p, itf.val, &g[1], "mountPath", &m[i].mount_path, true) ||
        !get_bool(p, &g[2], "readOnly", &m[i].read_only))
      return false;
    size_t v = 0;
    while (v < p->w->nvolumes && strcmp(p->w->volumes[v].name, m[i].name) != 0) v++;
    if (v == p->w->nvolumes) {
      push_field(p, "name");
      return fail_at(p, g[0].key, "no volume named `%s` in spec.volumes", m[i].name);
    }
    for (size_t j = 0; j < i; j++)
      if (!strcmp(m[j].mount_path, m[i].mount_path)) {
        push_field(p, "mountPath");
        return fail_at(p, g[1].key, "%s is already mounted (volumeMounts[%zu])", m[i].mount_path, j);
      }
    m[i].volume = v;
    pop(p, s2);
  }
  pop(p, saved);
  lr->volume_mounts = m;
  lr->nvolume_mounts = n;
  return true;
}

/* A limit: an integer >= 0 (0 or absent: none). */
static bool get_limit(wl *p, const wl_field *f, const char *name, int32_t *out) {
  if (!get_int32(p, f, name, out, NULL)) return false;
  if (*out >= 0) return true;
  size_t saved = push_field(p, name);
  fail_at(p, where(f), "must be 0 or more, got %d", (int)*out);
  pop(p, saved);
  return false;
}

/* localResources (of a component or the service): volumeMounts,
 * environment, config, allowedHosts as wasmCloud's manifests have them,
 * and the limits memoryLimitMb and cpuLimit, a Stratus extension named
 * as the protocol's LocalResources fields (integers >= 0; 0: none). */
static bool parse_local(wl *p, const wl_field *f, workload_local_resources *lr) {
  memset(lr, 0, sizeof *lr);
  if (!f->val || is_null(f->val)) return true;
  static const char *const F[] = {"volumeMounts",  "environment", "config", "allowedHosts",
                                  "memoryLimitMb", "cpuLimit",    NULL};
  wl_field g[6];
  size_t saved = push_field(p, "localResources");
  if (!fields(p, f->val, f, F, g) || !parse_mounts(p, &g[0], lr) ||
      !parse_config_layer(p, &g[1], "environment", &lr->environment) ||
      !get_map(p, &g[2], "config", &lr->config) ||
      !get_names(p, &g[3], "allowedHosts", false, &lr->allowed_hosts) ||
      !get_limit(p, &g[4], "memoryLimitMb", &lr->memory_limit_mb) ||
      !get_limit(p, &g[5], "cpuLimit", &lr->cpu_limit))
    return false;
  pop(p, saved);
  return true;
}

/* Whether an image reference names a local file rather than an OCI
 * artifact: a file:// URL, an absolute or ./ ../ path, or a name ending
 * in .wasm without a registry's colon. */
static bool image_is_local(const char *ref) {
  if (!strncmp(ref, "file://", 7) || ref[0] == '/' || !strncmp(ref, "./", 2) ||
      !strncmp(ref, "../", 3))
    return true;
  size_t len = strlen(ref);
  return !strchr(ref, ':') && len > 5 && !strcmp(ref + len - 5, ".wasm");
}

/* path joined to the manifest's directory unless absolute. */
static const char *resolve_path(wl *p, const char *path) {
  if (!strncmp(path, "file://", 7)) path += 7;
  if (path[0] == '/') return host_arena_strdup(p->a, path);
  while (!strncmp(path, "./", 2)) path += 2;
  if (!strcmp(p->dir, ".")) return host_arena_strdup(p->a, path);
  return host_arena_printf(p->a, "%s/%s", p->dir, path);
}

static bool parse_image(wl *p, const yaml_node_t *parent, const wl_field *image,
                        const wl_field *secret, const wl_field *policy, workload_image *out) {
  const char *pol;
  if (!get_str(p, parent, image, "image", &out->ref, true) ||
      !get_ref(p, secret, "imagePullSecret", &out->pull_secret) ||
      !get_str(p, parent, policy, "imagePullPolicy", &pol, false))
    return false;
  if (pol) {
    if (!strcmp(pol, "Always")) out->pull_policy = WORKLOAD_PULL_ALWAYS;
    else if (!strcmp(pol, "IfNotPresent")) out->pull_policy = WORKLOAD_PULL_IF_NOT_PRESENT;
    else if (!strcmp(pol, "Never")) out->pull_policy = WORKLOAD_PULL_NEVER;
    else {
      size_t saved = push_field(p, "imagePullPolicy");
      wrong_type(p, policy, "Always, IfNotPresent or Never");
      pop(p, saved);
      return false;
    }
  }
  if (image_is_local(out->ref) && !(out->path = resolve_path(p, out->ref))) return nomem(p);
  return true;
}

static bool parse_components(wl *p, const wl_field *f) {
  size_t saved = push_field(p, "components");
  yaml_node_item_t *items;
  size_t n;
  if (!get_list(p, f, &items, &n)) return false;
  workload_component *cs = host_arena_alloc(p->a, (n ? n : 1) * sizeof *cs);
  if (!cs) return nomem(p);
  for (size_t i = 0; i < n; i++) {
    static const char *const F[] = {"name",     "image",          "imagePullSecret", "imagePullPolicy",
                                    "poolSize", "maxInvocations", "localResources",  NULL};
    wl_field g[7], itf = {NULL, node_at(p, items[i])};
    workload_component *c = &cs[i];
    size_t s2 = push(p, "[%zu]", i);
    if (!fields(p, itf.val, &itf, F, g) || !get_str(p, itf.val, &g[0], "name", &c->name, true))
      return false;
    for (size_t j = 0; j < i; j++)
      if (!strcmp(cs[j].name, c->name)) {
        push_field(p, "name");
        return fail_at(p, g[0].key, "component `%s` is already defined (components[%zu])", c->name, j);
      }
    if (!parse_image(p, itf.val, &g[1], &g[2], &g[3], &c->image) ||
        !get_limit(p, &g[4], "poolSize", &c->pool_size) ||
        !get_limit(p, &g[5], "maxInvocations", &c->max_invocations) ||
        !parse_local(p, &g[6], &c->local))
      return false;
    pop(p, s2);
  }
  pop(p, saved);
  p->w->components = cs;
  p->w->ncomponents = n;
  return true;
}

static bool parse_service(wl *p, const wl_field *f) {
  if (!f->val || is_null(f->val)) return true;
  static const char *const F[] = {"image", "imagePullSecret", "imagePullPolicy", "maxRestarts",
                                  "localResources", NULL};
  wl_field g[5];
  size_t saved = push_field(p, "service");
  workload_service *s = host_arena_alloc(p->a, sizeof *s);
  if (!s) return nomem(p);
  if (!fields(p, f->val, f, F, g) || !parse_image(p, f->val, &g[0], &g[1], &g[2], &s->image) ||
      !get_int32(p, &g[3], "maxRestarts", &s->max_restarts, NULL) ||
      !parse_local(p, &g[4], &s->local))
    return false;
  pop(p, saved);
  p->w->service = s;
  return true;
}

/* hostInterfaces[].name: ^[a-z0-9][a-z0-9-]*$ */
static bool valid_instance_name(const char *s) {
  if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9'))) return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-')) return false;
  return true;
}

static bool parse_host_interfaces(wl *p, const wl_field *f) {
  size_t saved = push_field(p, "hostInterfaces");
  yaml_node_item_t *items;
  size_t n;
  if (!get_list(p, f, &items, &n)) return false;
  workload_host_interface *hs = host_arena_alloc(p->a, (n ? n : 1) * sizeof *hs);
  if (!hs) return nomem(p);
  for (size_t i = 0; i < n; i++) {
    static const char *const F[] = {"namespace", "package", "interfaces", "version", "name",
                                    "config",    "configFrom", "secretFrom", NULL};
    wl_field g[8], itf = {NULL, node_at(p, items[i])};
    workload_host_interface *h = &hs[i];
    plugin_grant *gr = &h->grant;
    workload_strings ifaces;
    size_t s2 = push(p, "[%zu]", i);
    if (!fields(p, itf.val, &itf, F, g) || !get_str(p, itf.val, &g[0], "namespace", &gr->ns, true) ||
        !get_str(p, itf.val, &g[1], "package", &gr->package, true))
      return false;
    if (!g[2].val || is_null(g[2].val)) return missing(p, itf.val, "interfaces");
    if (!get_names(p, &g[2], "interfaces", false, &ifaces)) return false;
    if (ifaces.n == 0) {
      push_field(p, "interfaces");
      return fail_at(p, g[2].key, "needs at least one interface");
    }
    gr->interfaces = ifaces.items;
    gr->ninterfaces = ifaces.n;
    if (!get_str(p, itf.val, &g[3], "version", &gr->version, false) ||
        !get_str(p, itf.val, &g[4], "name", &gr->name, false))
      return false;
    if (gr->name && !valid_instance_name(gr->name)) {
      push_field(p, "name");
      return fail_at(p, g[4].key, "`%s` does not match ^[a-z0-9][a-z0-9-]*$", gr->name);
    }
    if (!get_map(p, &g[5], "config", &gr->config) ||
        !get_names(p, &g[6], "configFrom", true, &h->config_from) ||
        !get_names(p, &g[7], "secretFrom", true, &h->secret_from))
      return false;
    pop(p, s2);
  }
  pop(p, saved);
  p->w->host_interfaces = hs;
  p->w->nhost_interfaces = n;
  return true;
}

static bool parse_volumes(wl *p, const wl_field *f) {
  size_t saved = push_field(p, "volumes");
  yaml_node_item_t *items;
  size_t n;
  if (!get_list(p, f, &items, &n)) return false;
  workload_volume *vs = host_arena_alloc(p->a, (n ? n : 1) * sizeof *vs);
  if (!vs) return nomem(p);
  for (size_t i = 0; i < n; i++) {
    static const char *const F[] = {"name", "ephemeral", "hostPath", NULL};
    static const char *const NONE[] = {NULL};
    static const char *const HP[] = {"path", NULL};
    wl_field g[3], h[1], itf = {NULL, node_at(p, items[i])};
    workload_volume *v = &vs[i];
    size_t s2 = push(p, "[%zu]", i);
    if (!fields(p, itf.val, &itf, F, g) || !get_str(p, itf.val, &g[0], "name", &v->name, true))
      return false;
    for (size_t j = 0; j < i; j++)
      if (!strcmp(vs[j].name, v->name)) {
        push_field(p, "name");
        return fail_at(p, g[0].key, "volume `%s` is already defined (volumes[%zu])", v->name, j);
      }
    /* `ephemeral:` with nothing after it is null in YAML; it still says
     * which kind is meant. */
    bool eph = g[1].key != NULL, hp = g[2].val && !is_null(g[2].val);
    if (eph && hp) return fail_at(p, itf.val, "ephemeral and hostPath exclude each other: give one");
    if (!eph && !hp) return fail_at(p, itf.val, "needs ephemeral: {} or hostPath: {path: ...}");
    if (eph) {
      v->kind = WORKLOAD_VOLUME_EPHEMERAL;
      size_t s3 = push_field(p, "ephemeral");
      if (!is_null(g[1].val) && !fields(p, g[1].val, &g[1], NONE, h)) return false;
      pop(p, s3);
    } else {
      v->kind = WORKLOAD_VOLUME_HOST_PATH;
      size_t s3 = push_field(p, "hostPath");
      if (!fields(p, g[2].val, &g[2], HP, h) || !get_str(p, g[2].val, &h[0], "path", &v->host_path, true))
        return false;
      pop(p, s3);
      if (!(v->resolved_path = resolve_path(p, v->host_path))) return nomem(p);
    }
    pop(p, s2);
  }
  pop(p, saved);
  p->w->volumes = vs;
  p->w->nvolumes = n;
  return true;
}

static bool parse_workload_spec(wl *p, const wl_field *f, const yaml_node_t *parent) {
  if (!f->val || is_null(f->val)) return missing(p, parent, "spec");
  static const char *const F[] = {"hostSelector", "hostId", "components", "hostInterfaces",
                                  "service",      "volumes", "kubernetesService", NULL};
  wl_field g[7];
  size_t saved = push_field(p, "spec");
  /* volumes first: volumeMounts refer to them by name */
  if (!fields(p, f->val, f, F, g) || !get_map(p, &g[0], "hostSelector", &p->w->host_selector) ||
      !get_str(p, f->val, &g[1], "hostId", &p->w->host_id, false) || !parse_volumes(p, &g[5]) ||
      !parse_components(p, &g[2]) || !parse_host_interfaces(p, &g[3]) || !parse_service(p, &g[4]) ||
      !get_ref(p, &g[6], "kubernetesService", &p->w->kubernetes_service))
    return false;
  pop(p, saved);
  return true;
}

/* WorkloadReplicaSet / WorkloadDeployment: spec.template.spec is the
 * workload's; the rest is kept. */
static bool parse_replicated_spec(wl *p, const wl_field *f, const yaml_node_t *parent) {
  if (!f->val || is_null(f->val)) return missing(p, parent, "spec");
  static const char *const RS[] = {"replicas", "template", NULL};
  static const char *const WD[] = {"replicas", "template", "deployPolicy", "artifacts", "service", NULL};
  static const char *const T[] = {"annotations", "labels", "spec", NULL};
  bool deploy = p->w->kind == WORKLOAD_KIND_DEPLOYMENT;
  wl_field g[5], t[3];
  size_t saved = push_field(p, "spec");
  if (!fields(p, f->val, f, deploy ? WD : RS, g) ||
      !get_int32(p, &g[0], "replicas", &p->w->replicas, &p->w->has_replicas))
    return false;
  if (!g[1].val || is_null(g[1].val)) return missing(p, f->val, "template");
  size_t s2 = push_field(p, "template");
  if (!fields(p, g[1].val, &g[1], T, t) ||
      !get_map(p, &t[0], "annotations", &p->w->template_annotations) ||
      !get_map(p, &t[1], "labels", &p->w->template_labels) ||
      !parse_workload_spec(p, &t[2], g[1].val))
    return false;
  pop(p, s2);
  if (!deploy) {
    pop(p, saved);
    return true;
  }
  const char *policy;
  if (!get_str(p, f->val, &g[2], "deployPolicy", &policy, false)) return false;
  if (policy && strcmp(policy, "RollingUpdate") != 0 && strcmp(policy, "Recreate") != 0) {
    push_field(p, "deployPolicy");
    return wrong_type(p, &g[2], "RollingUpdate or Recreate");
  }
  p->w->deploy_policy = policy ? policy : "RollingUpdate";
  s2 = push_field(p, "artifacts");
  yaml_node_item_t *items;
  size_t n;
  if (!get_list(p, &g[3], &items, &n)) return false;
  workload_artifact *as = host_arena_alloc(p->a, (n ? n : 1) * sizeof *as);
  if (!as) return nomem(p);
  for (size_t i = 0; i < n; i++) {
    static const char *const A[] = {"name", "artifactFrom", NULL};
    wl_field h[2], itf = {NULL, node_at(p, items[i])};
    size_t s3 = push(p, "[%zu]", i);
    if (!fields(p, itf.val, &itf, A, h) || !get_str(p, itf.val, &h[0], "name", &as[i].name, true))
      return false;
    if (!h[1].val || is_null(h[1].val)) return missing(p, itf.val, "artifactFrom");
    if (!get_ref(p, &h[1], "artifactFrom", &as[i].artifact_from)) return false;
    pop(p, s3);
  }
  pop(p, s2);
  p->w->artifacts = as;
  p->w->nartifacts = n;
  if (!get_ref(p, &g[4], "service", &p->w->deployment_service)) return false;
  pop(p, saved);
  return true;
}

static bool parse_metadata(wl *p, const wl_field *f, const yaml_node_t *root) {
  if (!f->val || is_null(f->val)) return missing(p, root, "metadata");
  /* What `kubectl get -o yaml` adds is accepted and ignored. */
  static const char *const F[] = {"name",          "namespace",       "labels",
                                  "annotations",   "uid",             "generation",
                                  "resourceVersion", "creationTimestamp", "generateName",
                                  "finalizers",    "ownerReferences", "managedFields",
                                  "deletionTimestamp", "deletionGracePeriodSeconds", NULL};
  wl_field g[14];
  size_t saved = push_field(p, "metadata");
  if (!fields(p, f->val, f, F, g) || !get_str(p, f->val, &g[0], "name", &p->w->name, true) ||
      !get_str(p, f->val, &g[1], "namespace", &p->w->namespace_, false) ||
      !get_map(p, &g[2], "labels", &p->w->labels) ||
      !get_map(p, &g[3], "annotations", &p->w->annotations))
    return false;
  pop(p, saved);
  if (!p->w->namespace_) p->w->namespace_ = "default";
  return true;
}

static const char *map_get(const plugin_map *m, const char *key) {
  for (size_t i = 0; i < m->n; i++)
    if (!strcmp(m->keys[i], key)) return m->values[i];
  return NULL;
}

/* One document: 1 taken, 0 another kind (skipped), -1 error. */
static int parse_document(wl *p, yaml_node_t *root) {
  if (root->type != YAML_MAPPING_NODE) return 0;
  static const char *const F[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
  const char *kind = NULL;
  for (yaml_node_pair_t *pair = root->data.mapping.pairs.start; pair < root->data.mapping.pairs.top;
       pair++) {
    yaml_node_t *k = node_at(p, pair->key), *v = node_at(p, pair->value);
    if (k->type == YAML_SCALAR_NODE && !strcmp(scalar(k), "kind") && v->type == YAML_SCALAR_NODE)
      kind = scalar(v);
  }
  workload_kind wk;
  if (!kind) return 0;
  if (!strcmp(kind, "Workload")) wk = WORKLOAD_KIND_WORKLOAD;
  else if (!strcmp(kind, "WorkloadReplicaSet")) wk = WORKLOAD_KIND_REPLICA_SET;
  else if (!strcmp(kind, "WorkloadDeployment")) wk = WORKLOAD_KIND_DEPLOYMENT;
  else return 0;
  p->w->kind = wk;
  wl_field g[5], self = {NULL, root};
  const char *api;
  if (!fields(p, root, &self, F, g) || !get_str(p, root, &g[0], "apiVersion", &api, true)) return -1;
  if (strcmp(api, WORKLOAD_API_VERSION) != 0) {
    push_field(p, "apiVersion");
    char buf[64];
    fail_at(p, g[0].key, "expected %s, got %s", WORKLOAD_API_VERSION, describe(g[0].val, buf, sizeof buf));
    return -1;
  }
  if (!parse_metadata(p, &g[2], root)) return -1;
  if (wk == WORKLOAD_KIND_WORKLOAD ? !parse_workload_spec(p, &g[3], root)
                                   : !parse_replicated_spec(p, &g[3], root))
    return -1;
  for (size_t i = 0; i < p->w->nhost_interfaces; i++) {
    const plugin_grant *gr = &p->w->host_interfaces[i].grant;
    if (!strcmp(gr->ns, "wasi") && !strcmp(gr->package, "http") && !p->w->http_host)
      p->w->http_host = map_get(&gr->config, "host");
  }
  return 1;
}

static wasm_status parse_impl(const char *yaml, size_t len, const char *name, const char *dir,
                              workload **out, wasm_error *err) {
  *out = NULL;
  host_arena *a = host_arena_new();
  workload *w = a ? host_arena_alloc(a, sizeof *w) : NULL;
  if (!w) {
    host_arena_free(a);
    return host_fail(err, WASM_NOMEM, "%s: out of memory", name);
  }
  w->arena_ = a;
  w->source = host_arena_strdup(a, name);
  w->source_dir = host_arena_strdup(a, dir);
  wl p = {.file = name, .dir = dir, .a = a, .w = w, .err = err};
  if (!w->source || !w->source_dir) {
    nomem(&p);
    host_arena_free(a);
    return WASM_NOMEM;
  }
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) {
    host_arena_free(a);
    return host_fail(err, WASM_NOMEM, "%s: out of memory", name);
  }
  yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
  int r = 0;
  while (r == 0) {
    yaml_document_t doc;
    if (!yaml_parser_load(&parser, &doc)) {
      host_fail(err, WASM_MALFORMED, "%s:%lu:%lu: YAML: %s%s%s", name,
                (unsigned long)parser.problem_mark.line + 1,
                (unsigned long)parser.problem_mark.column + 1,
                parser.problem ? parser.problem : "syntax error", parser.context ? " " : "",
                parser.context ? parser.context : "");
      r = -1;
      break;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) {
      yaml_document_delete(&doc);
      break; /* end of the stream */
    }
    p.doc = &doc;
    r = parse_document(&p, root);
    yaml_document_delete(&doc);
  }
  yaml_parser_delete(&parser);
  if (r == 0)
    host_fail(err, WASM_MALFORMED,
              "%s: no Workload, WorkloadReplicaSet or WorkloadDeployment document "
              "(apiVersion " WORKLOAD_API_VERSION ")",
              name);
  if (r != 1) {
    host_arena_free(a);
    return err ? err->status : WASM_MALFORMED;
  }
  *out = w;
  return WASM_OK;
}

wasm_status workload_parse(const char *yaml, size_t len, const char *name_for_errors,
                           workload **out, wasm_error *err) {
  const char *name = name_for_errors ? name_for_errors : "workload";
  const char *slash = strrchr(name, '/');
  char dir[PATH_MAX];
  if (!slash) snprintf(dir, sizeof dir, ".");
  else if (slash == name) snprintf(dir, sizeof dir, "/");
  else snprintf(dir, sizeof dir, "%.*s", (int)(slash - name), name);
  return parse_impl(yaml, len, name, dir, out, err);
}

wasm_status workload_load(const char *path, workload **out, wasm_error *err) {
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) return host_fail(err, WASM_BAD_ARG, "%s: %s", path, strerror(errno));
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  while (buf) {
    if (len == cap) {
      char *nb = realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
      cap *= 2;
    }
    size_t n = fread(buf + len, 1, cap - len, f);
    len += n;
    if (n == 0) break;
  }
  bool rerr = ferror(f);
  fclose(f);
  if (!buf) return host_fail(err, WASM_NOMEM, "%s: out of memory", path);
  if (rerr) {
    free(buf);
    return host_fail(err, WASM_BAD_ARG, "%s: read error", path);
  }
  /* Local paths resolve against the manifest's directory, made absolute
   * so the workload does not depend on the current directory. */
  char copy[PATH_MAX], dir[PATH_MAX];
  snprintf(copy, sizeof copy, "%s", path);
  const char *d = dirname(copy);
  if (!realpath(d, dir)) snprintf(dir, sizeof dir, "%s", d);
  wasm_status st = parse_impl(buf, len, path, dir, out, err);
  free(buf);
  return st;
}

void workload_free(workload *w) {
  if (w) host_arena_free(w->arena_);
}

size_t workload_item_count(const workload *w) { return w->ncomponents + (w->service ? 1 : 0); }

const char *workload_item_name(const workload *w, size_t item) {
  return item < w->ncomponents ? w->components[item].name : "service";
}

const workload_local_resources *workload_item_local(const workload *w, size_t item) {
  return item < w->ncomponents ? &w->components[item].local : &w->service->local;
}

const workload_image *workload_item_image(const workload *w, size_t item) {
  return item < w->ncomponents ? &w->components[item].image : &w->service->image;
}

/* The first Kubernetes reference of a ConfigLayer, as "what `name`". */
static bool layer_ref(const workload_strings *cf, const workload_strings *sf, const char **kind,
                      const char **name, const char **field) {
  if (cf->n) {
    *kind = "ConfigMap", *name = cf->items[0], *field = "configFrom";
    return true;
  }
  if (sf->n) {
    *kind = "Secret", *name = sf->items[0], *field = "secretFrom";
    return true;
  }
  return false;
}

wasm_status workload_check_local(const workload *w, wasm_error *err) {
  const char *kind, *name, *field;
  const char *tail = "needs Kubernetes, which this host does not have";
  for (size_t i = 0; i < w->nhost_interfaces; i++) {
    const workload_host_interface *h = &w->host_interfaces[i];
    if (layer_ref(&h->config_from, &h->secret_from, &kind, &name, &field))
      return host_fail(err, WASM_BAD_ARG, "%s: spec.hostInterfaces[%zu].%s: %s `%s` %s", w->source,
                       i, field, kind, name, tail);
  }
  for (size_t i = 0; i < workload_item_count(w); i++) {
    const workload_local_resources *lr = workload_item_local(w, i);
    const workload_image *im = workload_item_image(w, i);
    char where[96];
    if (i < w->ncomponents) snprintf(where, sizeof where, "spec.components[%zu]", i);
    else snprintf(where, sizeof where, "spec.service");
    if (layer_ref(&lr->environment.config_from, &lr->environment.secret_from, &kind, &name, &field))
      return host_fail(err, WASM_BAD_ARG, "%s: %s.localResources.environment.%s: %s `%s` %s",
                       w->source, where, field, kind, name, tail);
    if (im->pull_secret)
      return host_fail(err, WASM_BAD_ARG, "%s: %s.imagePullSecret: Secret `%s` %s", w->source,
                       where, im->pull_secret, tail);
  }
  return WASM_OK;
}
