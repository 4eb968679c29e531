/*
 * cm_inspect.c: what `stratus inspect` shows of a component: the kinds and
 * function types of its imports and exports, its world rendered in WIT,
 * and which imports a linker cannot satisfy.
 *
 * WIT rendering: the cm_type tree carries no names, so names come from the
 * type exports of the component's instance imports and exports (and its
 * root type imports/exports): a type node (or resource) is printed by the
 * name it is exported under. A type an interface re-exports from an earlier
 * one (wasi:cli/stdout's output-stream) becomes a `use`. Interfaces are
 * grouped into nested `package ns:pkg@version { ... }` blocks after the
 * world, as wasm-tools prints them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/cm_internal.h"

/* ---- kinds and function types ---- */

static const cm_externtype *import_type(const cm_component *c, uint32_t i) {
  if (!c || !c->root || i >= c->root->nimports) return NULL;
  return &c->root->defs[c->root->imports[i]].u.import.t;
}

static const cm_externtype *export_type(const cm_component *c, uint32_t i) {
  if (!c || !c->root || i >= c->root->nexports) return NULL;
  return &c->root->defs[c->root->exports[i]].u.export_.t;
}

static cm_extern_kind kind_of(const cm_externtype *t) {
  if (!t) return CM_EXTERN_OTHER;
  switch (t->sort) {
  case CM_SORT_FUNC: return CM_EXTERN_FUNC;
  case CM_SORT_INSTANCE: return CM_EXTERN_INSTANCE;
  case CM_SORT_TYPE: return CM_EXTERN_TYPE;
  case CM_SORT_COMPONENT: return CM_EXTERN_COMPONENT;
  case CM_SORT_CORE_MODULE: return CM_EXTERN_CORE_MODULE;
  case CM_SORT_VALUE: return CM_EXTERN_VALUE;
  default: return CM_EXTERN_OTHER;
  }
}

cm_extern_kind cm_component_import_kind(const cm_component *c, uint32_t i) {
  return kind_of(import_type(c, i));
}
cm_extern_kind cm_component_export_kind(const cm_component *c, uint32_t i) {
  return kind_of(export_type(c, i));
}
const cm_functype *cm_component_import_func(const cm_component *c, uint32_t i) {
  const cm_externtype *t = import_type(c, i);
  return t && t->sort == CM_SORT_FUNC ? t->u.func : NULL;
}
const cm_functype *cm_component_export_func(const cm_component *c, uint32_t i) {
  const cm_externtype *t = export_type(c, i);
  return t && t->sort == CM_SORT_FUNC ? t->u.func : NULL;
}

/* ---- a growable string ---- */

typedef struct sbuf {
  char *p;
  size_t n, cap;
  bool oom;
} sbuf;

#define SB_MAX ((size_t)64 << 20) /* a hostile component cannot make more */

static void sb_putn(sbuf *b, const char *s, size_t n) {
  if (b->oom) return;
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->n + n + 1) cap *= 2;
    char *np = cap <= SB_MAX ? realloc(b->p, cap) : NULL;
    if (!np) {
      b->oom = true;
      return;
    }
    b->p = np;
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = 0;
}
static void sb_put(sbuf *b, const char *s) { sb_putn(b, s, strlen(s)); }

__attribute__((format(printf, 2, 3))) static void sb_printf(sbuf *b, const char *fmt, ...) {
  char tmp[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof tmp) {
    sb_putn(b, tmp, (size_t)n);
    return;
  }
  char *big = malloc((size_t)n + 1);
  if (!big) {
    b->oom = true;
    return;
  }
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  sb_putn(b, big, (size_t)n);
  free(big);
}

static void sb_indent(sbuf *b, int depth) {
  for (int i = 0; i < depth; i++) sb_put(b, "  ");
}

/* ---- names of types ---- */

/* One named type: key is a cm_type (value types) or a cm_resource_type,
 * exported as `name` by interface `owner` (NULL: the world itself). */
typedef struct tname {
  const void *key;
  const char *owner;
  const char *name;
} tname;

typedef struct wit_cx {
  sbuf *b;
  tname *names;
  uint32_t n, cap;
  const char *iface; /* the interface being printed (NULL: world) */
} wit_cx;

static void add_name(wit_cx *w, const void *key, const char *owner, const char *name) {
  if (!key || w->b->oom) return;
  if (w->n == w->cap) {
    uint32_t cap = w->cap ? w->cap * 2 : 64;
    tname *v = cap < (1u << 24) ? realloc(w->names, cap * sizeof *v) : NULL;
    if (!v) {
      w->b->oom = true;
      return;
    }
    w->names = v;
    w->cap = cap;
  }
  w->names[w->n++] = (tname){key, owner, name};
}

static bool same_owner(const char *a, const char *b) {
  return a == b || (a && b && strcmp(a, b) == 0);
}

/* The key a type export names. */
static const void *type_key(const cm_externtype *t) {
  if (t->sort != CM_SORT_TYPE || !t->u.type) return NULL;
  if (t->u.type->kind == CM_DT_RESOURCE) return t->u.type->u.resource;
  /* primitives are shared nodes: every alias of u64 is the same pointer */
  if (t->u.type->kind == CM_DT_VAL && t->u.type->u.val &&
      t->u.type->u.val->kind > CM_ERROR_CONTEXT)
    return t->u.type->u.val;
  return NULL;
}

/* The name of key as seen from the interface being printed: its own
 * export of it first, else where it was first defined. */
static const tname *lookup(const wit_cx *w, const void *key) {
  const tname *first = NULL;
  for (uint32_t i = 0; i < w->n; i++) {
    if (w->names[i].key != key) continue;
    if (same_owner(w->names[i].owner, w->iface)) return &w->names[i];
    if (!first) first = &w->names[i];
  }
  return first;
}

static const tname *first_def(const wit_cx *w, const void *key) {
  for (uint32_t i = 0; i < w->n; i++)
    if (w->names[i].key == key) return &w->names[i];
  return NULL;
}

static void collect(wit_cx *w, const char *owner, const cm_externtype *t, const char *name) {
  if (t->sort == CM_SORT_TYPE) {
    add_name(w, type_key(t), owner, name);
  } else if (t->sort == CM_SORT_INSTANCE && t->u.instance) {
    const cm_insttype *it = t->u.instance;
    for (uint32_t e = 0; e < it->nexports; e++)
      if (it->exports[e].t.sort == CM_SORT_TYPE)
        add_name(w, type_key(&it->exports[e].t), name, it->exports[e].name.name);
  }
}

/* ---- types ---- */

static void print_def(wit_cx *w, const cm_type *t, int depth);

/* A reference to t: its name if it has one, else its structure. */
static void print_ref(wit_cx *w, const cm_type *t, int depth) {
  sbuf *b = w->b;
  if (!t) {
    sb_put(b, "_");
    return;
  }
  if (depth > CM_MAX_TYPE_DEPTH) {
    sb_put(b, "...");
    return;
  }
  const tname *n = lookup(w, t);
  if (n) {
    sb_put(b, n->name);
    return;
  }
  if (t->kind == CM_OWN || t->kind == CM_BORROW) {
    const tname *r = lookup(w, t->as.handle.res);
    const char *rn = r ? r->name : t->as.handle.res && t->as.handle.res->name
                                       ? t->as.handle.res->name
                                       : "resource";
    if (t->kind == CM_OWN) sb_put(b, rn);
    else sb_printf(b, "borrow<%s>", rn);
    return;
  }
  print_def(w, t, depth + 1);
}

static void print_labels(wit_cx *w, const cm_type *t) {
  for (uint32_t i = 0; i < t->as.labels.n; i++)
    sb_printf(w->b, "%s%s", i ? ", " : "", t->as.labels.names[i]);
}

/* t's structure; named parts by reference. Records and variants inline
 * (how a named definition shows them is decided by print_typedef). */
static void print_def(wit_cx *w, const cm_type *t, int depth) {
  static const char *const prim[] = {"bool", "s8",  "u8",  "s16",  "u16",    "s32", "u32",
                                     "s64",  "u64", "f32", "f64",  "char",   "string",
                                     "error-context"};
  sbuf *b = w->b;
  switch (t->kind) {
  case CM_LIST:
    sb_put(b, "list<");
    print_ref(w, t->as.list.elem, depth);
    if (t->as.list.fixed_len) sb_printf(b, ", %u", t->as.list.fixed_len);
    sb_put(b, ">");
    return;
  case CM_TUPLE:
    sb_put(b, "tuple<");
    for (uint32_t i = 0; i < t->as.tuple.n; i++) {
      if (i) sb_put(b, ", ");
      print_ref(w, t->as.tuple.types[i], depth);
    }
    sb_put(b, ">");
    return;
  case CM_OPTION:
    sb_put(b, "option<");
    print_ref(w, t->as.option.t, depth);
    sb_put(b, ">");
    return;
  case CM_RESULT:
    if (!t->as.result.ok && !t->as.result.err) {
      sb_put(b, "result");
      return;
    }
    sb_put(b, "result<");
    print_ref(w, t->as.result.ok, depth);
    if (t->as.result.err) {
      sb_put(b, ", ");
      print_ref(w, t->as.result.err, depth);
    }
    sb_put(b, ">");
    return;
  case CM_RECORD:
  case CM_VARIANT:
    sb_put(b, t->kind == CM_RECORD ? "record { " : "variant { ");
    for (uint32_t i = 0; i < t->as.record.n; i++) {
      const cm_field *f = &t->as.record.fields[i];
      sb_printf(b, "%s%s", i ? ", " : "", f->name);
      if (f->type) {
        sb_put(b, t->kind == CM_RECORD ? ": " : "(");
        print_ref(w, f->type, depth);
        if (t->kind == CM_VARIANT) sb_put(b, ")");
      }
    }
    sb_put(b, " }");
    return;
  case CM_ENUM:
  case CM_FLAGS:
    sb_put(b, t->kind == CM_ENUM ? "enum { " : "flags { ");
    print_labels(w, t);
    sb_put(b, " }");
    return;
  case CM_OWN:
  case CM_BORROW:
    print_ref(w, t, depth);
    return;
  case CM_STREAM:
  case CM_FUTURE:
    sb_put(b, t->kind == CM_STREAM ? "stream" : "future");
    if (t->as.async.t) {
      sb_put(b, "<");
      print_ref(w, t->as.async.t, depth);
      sb_put(b, ">");
    }
    return;
  default:
    if ((unsigned)t->kind < sizeof prim / sizeof prim[0]) sb_put(b, prim[t->kind]);
    else sb_put(b, "?");
    return;
  }
}

/* `name: T` pairs of a parameter list, skipping the first skip. */
static void print_params(wit_cx *w, const cm_functype *ft, uint32_t skip) {
  sb_put(w->b, "(");
  for (uint32_t i = skip; i < ft->nparams; i++) {
    sb_printf(w->b, "%s%s: ", i > skip ? ", " : "", ft->params[i].name);
    print_ref(w, ft->params[i].type, 0);
  }
  sb_put(w->b, ")");
  if (ft->result) {
    sb_put(w->b, " -> ");
    print_ref(w, ft->result, 0);
  }
}

static void print_func(wit_cx *w, const char *label, const cm_functype *ft, bool is_static,
                       uint32_t skip) {
  if (!ft) {
    sb_printf(w->b, "%s: func();\n", label);
    return;
  }
  sb_printf(w->b, "%s: %s%sfunc", label, is_static ? "static " : "", ft->async_ ? "async " : "");
  print_params(w, ft, skip);
  sb_put(w->b, ";\n");
}

/* A named type definition at depth. */
static void print_typedef(wit_cx *w, const char *name, const cm_type *t, int depth) {
  sbuf *b = w->b;
  sb_indent(b, depth);
  switch (t->kind) {
  case CM_RECORD:
  case CM_VARIANT:
    sb_printf(b, "%s %s {\n", t->kind == CM_RECORD ? "record" : "variant", name);
    for (uint32_t i = 0; i < t->as.record.n; i++) {
      const cm_field *f = &t->as.record.fields[i];
      sb_indent(b, depth + 1);
      sb_put(b, f->name);
      if (f->type) {
        sb_put(b, t->kind == CM_RECORD ? ": " : "(");
        print_ref(w, f->type, 0);
        if (t->kind == CM_VARIANT) sb_put(b, ")");
      }
      sb_put(b, ",\n");
    }
    sb_indent(b, depth);
    sb_put(b, "}\n");
    return;
  case CM_ENUM:
  case CM_FLAGS:
    sb_printf(b, "%s %s {\n", t->kind == CM_ENUM ? "enum" : "flags", name);
    for (uint32_t i = 0; i < t->as.labels.n; i++) {
      sb_indent(b, depth + 1);
      sb_printf(b, "%s,\n", t->as.labels.names[i]);
    }
    sb_indent(b, depth);
    sb_put(b, "}\n");
    return;
  default:
    sb_printf(b, "type %s = ", name);
    print_def(w, t, 0);
    sb_put(b, ";\n");
    return;
  }
}

/* ---- interfaces ---- */

/* Whether export e of it is a function attached to resource rname. */
static bool is_member(const cm_named_extern *e, const char *rname) {
  return e->t.sort == CM_SORT_FUNC && e->name.resource &&
         (e->name.kind == CM_NAME_CONSTRUCTOR || e->name.kind == CM_NAME_METHOD ||
          e->name.kind == CM_NAME_STATIC) &&
         strcmp(e->name.resource, rname) == 0;
}

static void print_resource(wit_cx *w, const cm_insttype *it, const char *rname, int depth) {
  sbuf *b = w->b;
  uint32_t nmembers = 0;
  for (uint32_t e = 0; e < it->nexports; e++) nmembers += is_member(&it->exports[e], rname);
  sb_indent(b, depth);
  if (!nmembers) {
    sb_printf(b, "resource %s;\n", rname);
    return;
  }
  sb_printf(b, "resource %s {\n", rname);
  for (uint32_t e = 0; e < it->nexports; e++) {
    const cm_named_extern *x = &it->exports[e];
    if (!is_member(x, rname)) continue;
    const cm_functype *ft = x->t.u.func;
    sb_indent(b, depth + 1);
    if (x->name.kind == CM_NAME_CONSTRUCTOR) {
      sb_put(b, "constructor");
      if (ft) {
        /* the result (own<R>) is implied */
        sb_put(b, "(");
        for (uint32_t i = 0; i < ft->nparams; i++) {
          sb_printf(b, "%s%s: ", i ? ", " : "", ft->params[i].name);
          print_ref(w, ft->params[i].type, 0);
        }
        sb_put(b, ")");
      }
      sb_put(b, ";\n");
    } else {
      bool is_static = x->name.kind == CM_NAME_STATIC;
      print_func(w, x->name.func ? x->name.func : x->name.name, ft, is_static,
                 is_static || !ft || !ft->nparams ? 0 : 1);
    }
  }
  sb_indent(b, depth);
  sb_put(b, "}\n");
}

/* The body of an instance type: uses, types, resources, functions. */
static void print_interface_body(wit_cx *w, const char *iface, const cm_insttype *it, int depth) {
  sbuf *b = w->b;
  w->iface = iface;
  for (uint32_t e = 0; e < it->nexports; e++) {
    const cm_named_extern *x = &it->exports[e];
    const void *key = x->t.sort == CM_SORT_TYPE ? type_key(&x->t) : NULL;
    const tname *def = key ? first_def(w, key) : NULL;
    if (!def || same_owner(def->owner, iface)) continue;
    sb_indent(b, depth);
    if (def->owner) sb_printf(b, "use %s.{%s", def->owner, def->name);
    else sb_printf(b, "use %s", def->name); /* a world-level type */
    if (strcmp(def->name, x->name.name) != 0) sb_printf(b, " as %s", x->name.name);
    sb_put(b, def->owner ? "};\n" : ";\n");
  }
  for (uint32_t e = 0; e < it->nexports; e++) {
    const cm_named_extern *x = &it->exports[e];
    if (x->t.sort != CM_SORT_TYPE || !x->t.u.type) continue;
    const void *key = type_key(&x->t);
    const tname *def = key ? first_def(w, key) : NULL;
    if (def && !same_owner(def->owner, iface)) continue; /* a use */
    if (x->t.u.type->kind == CM_DT_RESOURCE) {
      print_resource(w, it, x->name.name, depth);
    } else if (x->t.u.type->kind == CM_DT_VAL) {
      /* the definition itself, not its own name */
      const cm_type *t = x->t.u.type->u.val;
      if (def && strcmp(def->name, x->name.name) != 0) {
        sb_indent(b, depth);
        sb_printf(b, "type %s = %s;\n", x->name.name, def->name);
      } else {
        print_typedef(w, x->name.name, t, depth);
      }
    } else {
      sb_indent(b, depth);
      sb_printf(b, "// type %s\n", x->name.name);
    }
  }
  for (uint32_t e = 0; e < it->nexports; e++) {
    const cm_named_extern *x = &it->exports[e];
    if (x->t.sort == CM_SORT_FUNC) {
      if (x->name.resource && x->name.kind != CM_NAME_PLAIN && x->name.kind != CM_NAME_INTERFACE)
        continue; /* printed with its resource */
      sb_indent(b, depth);
      print_func(w, x->name.name, x->t.u.func, false, 0);
    } else if (x->t.sort != CM_SORT_TYPE) {
      sb_indent(b, depth);
      sb_printf(b, "// %s %s\n", cm_sort_name(x->t.sort), x->name.name);
    }
  }
  w->iface = NULL;
}

/* ---- the world ---- */

typedef struct witem {
  const char *name;
  const cm_externtype *t;
  bool is_import;
} witem;

/* "ns:pkg/iface@ver" -> package "ns:pkg@ver" (in pkg, of size n) and
 * interface "iface"; false for a plain name. */
static bool split_iface(const char *name, char *pkg, size_t n, const char **iface,
                        size_t *iface_len) {
  const char *slash = strchr(name, '/');
  const char *colon = strchr(name, ':');
  if (!slash || !colon || colon > slash) return false;
  const char *at = strchr(slash, '@');
  size_t plen = (size_t)(slash - name);
  int k = snprintf(pkg, n, "%.*s%s", (int)plen, name, at ? at : "");
  if (k < 0 || (size_t)k >= n) return false;
  *iface = slash + 1;
  *iface_len = at ? (size_t)(at - slash - 1) : strlen(slash + 1);
  return true;
}

static void print_world_item(wit_cx *w, const witem *x) {
  sbuf *b = w->b;
  const char *dir = x->is_import ? "import" : "export";
  const cm_externtype *t = x->t;
  char pkg[512];
  const char *ifn;
  size_t ifl;
  sb_indent(b, 1);
  switch (t->sort) {
  case CM_SORT_INSTANCE:
    if (split_iface(x->name, pkg, sizeof pkg, &ifn, &ifl) || !t->u.instance) {
      sb_printf(b, "%s %s;\n", dir, x->name);
    } else {
      sb_printf(b, "%s %s: interface {\n", dir, x->name);
      print_interface_body(w, x->name, t->u.instance, 2);
      sb_indent(b, 1);
      sb_put(b, "}\n");
    }
    return;
  case CM_SORT_FUNC:
    sb_printf(b, "%s ", dir);
    print_func(w, x->name, t->u.func, false, 0);
    return;
  case CM_SORT_TYPE: {
    const void *key = type_key(t);
    const tname *def = key ? first_def(w, key) : NULL;
    if (def && def->owner) {
      sb_printf(b, "use %s.{%s", def->owner, def->name);
      if (strcmp(def->name, x->name) != 0) sb_printf(b, " as %s", x->name);
      sb_put(b, "};\n");
    } else if (t->u.type && t->u.type->kind == CM_DT_RESOURCE) {
      sb_printf(b, "resource %s;\n", x->name);
    } else if (t->u.type && t->u.type->kind == CM_DT_VAL) {
      print_typedef(w, x->name, t->u.type->u.val, 0);
    } else {
      sb_printf(b, "// %s type %s\n", dir, x->name);
    }
    return;
  }
  default:
    sb_printf(b, "// %s %s: %s\n", dir, x->name, cm_sort_name(t->sort));
    return;
  }
}

char *cm_component_wit(const cm_component *c, const char *world) {
  if (!c || !c->root) return NULL;
  const cm_component_def *r = c->root;
  sbuf b = {0};
  wit_cx w = {.b = &b};
  uint32_t n = r->nimports + r->nexports;
  witem *items = calloc((size_t)n + 1, sizeof *items);
  bool *done = calloc((size_t)n + 1, sizeof *done);
  if (!items || !done) {
    free(items);
    free(done);
    return NULL;
  }
  for (uint32_t i = 0; i < r->nimports; i++) {
    const cm_import_def *d = &r->defs[r->imports[i]].u.import;
    items[i] = (witem){d->name.name, &d->t, true};
  }
  for (uint32_t i = 0; i < r->nexports; i++) {
    const cm_export_def *d = &r->defs[r->exports[i]].u.export_;
    items[r->nimports + i] = (witem){d->name.name, &d->t, false};
  }
  for (uint32_t i = 0; i < n; i++) collect(&w, items[i].t->sort == CM_SORT_TYPE ? NULL : items[i].name,
                                           items[i].t, items[i].name);

  if (!world || !*world) world = "root";
  sb_printf(&b, "package root:component;\n\nworld %s {\n", world);
  for (uint32_t i = 0; i < n; i++) print_world_item(&w, &items[i]);
  sb_put(&b, "}\n");

  /* Named interfaces, grouped by package in order of first appearance;
   * an interface both imported and exported is printed once. */
  char pkg[512], pkg2[512];
  const char *ifn, *ifn2;
  size_t ifl, ifl2;
  for (uint32_t i = 0; i < n; i++) {
    if (done[i] || items[i].t->sort != CM_SORT_INSTANCE || !items[i].t->u.instance ||
        !split_iface(items[i].name, pkg, sizeof pkg, &ifn, &ifl))
      continue;
    sb_printf(&b, "\npackage %s {\n", pkg);
    bool first = true;
    for (uint32_t j = i; j < n; j++) {
      if (done[j] || items[j].t->sort != CM_SORT_INSTANCE || !items[j].t->u.instance ||
          !split_iface(items[j].name, pkg2, sizeof pkg2, &ifn2, &ifl2) || strcmp(pkg, pkg2) != 0)
        continue;
      for (uint32_t k = j; k < n; k++)
        if (strcmp(items[k].name, items[j].name) == 0) done[k] = true;
      if (!first) sb_put(&b, "\n");
      first = false;
      sb_printf(&b, "  interface %.*s {\n", (int)ifl2, ifn2);
      print_interface_body(&w, items[j].name, items[j].t->u.instance, 2);
      sb_put(&b, "  }\n");
    }
    sb_put(&b, "}\n");
  }
  free(items);
  free(done);
  free(w.names);
  if (b.oom || !b.p) {
    free(b.p);
    return NULL;
  }
  return b.p;
}

/* ---- which imports a linker satisfies ---- */

static wasm_status stub_fn(void *env, cm_instance *caller, const cm_val *args, size_t nargs,
                           cm_val *result, wasm_error *err) {
  return cm_fail(err, WASM_TRAP, "import not provided by this host");
}

/* Defines stand-ins for every function and resource of import i on l, so
 * that resolution gets past it. False when the import cannot be stubbed. */
static bool stub_import(cm_linker *l, const char *name, const cm_externtype *t, wasm_error *err) {
  if (t->sort == CM_SORT_FUNC)
    return cm_linker_define_func(l, NULL, name, "", stub_fn, NULL, err) == WASM_OK;
  if (t->sort == CM_SORT_TYPE)
    return cm_linker_define_resource(l, NULL, name, NULL, NULL, NULL, err) == WASM_OK;
  if (t->sort != CM_SORT_INSTANCE || !t->u.instance) return false;
  const cm_insttype *it = t->u.instance;
  for (uint32_t e = 0; e < it->nexports; e++) {
    const cm_named_extern *x = &it->exports[e];
    wasm_status st = WASM_OK;
    if (x->t.sort == CM_SORT_FUNC)
      st = cm_linker_define_func(l, name, x->name.name, "", stub_fn, NULL, err);
    else if (x->t.sort == CM_SORT_TYPE && x->t.u.type && x->t.u.type->kind == CM_DT_RESOURCE)
      st = cm_linker_define_resource(l, name, x->name.name, NULL, NULL, NULL, err);
    if (st) return false;
  }
  return true;
}

/* Whether msg names import `name`: as a whole word ("`wasi:io/poll@0.2.12`",
 * "function `f` of wasi:io/poll@0.2.12 has the wrong type"). */
static bool names_import(const char *msg, const char *name) {
  size_t n = strlen(name);
  if (!n) return false;
  for (const char *p = strstr(msg, name); p; p = strstr(p + 1, name)) {
    char before = p == msg ? ' ' : p[-1], after = p[n];
    if ((before == '`' || before == ' ') &&
        (after == '`' || after == ' ' || after == ':' || after == ',' || after == 0))
      return true;
  }
  return false;
}

wasm_status cm_linker_check_imports(cm_linker *l, const cm_component *c, char **why,
                                    wasm_error *err) {
  if (!l || !c || !c->root || !why)
    return cm_fail(err, WASM_BAD_ARG, "cm_linker_check_imports: bad arguments");
  const cm_component_def *r = c->root;
  for (uint32_t i = 0; i < r->nimports; i++) why[i] = NULL;
  /* Instantiation resolves every import before it runs anything; a store
   * whose memory limit no module fits stops it right after that. */
  wasm_store *s = wasm_store_new(c->engine);
  if (!s) return cm_fail(err, WASM_NOMEM, "out of memory");
  wasm_store_limits lim = {.max_memory_bytes = 1};
  wasm_store_set_limits(s, &lim);
  wasm_status st = WASM_OK;
  for (uint32_t round = 0; round <= r->nimports; round++) {
    wasm_error e = {0};
    cm_instance *inst = NULL;
    wasm_status ist = cm_linker_instantiate(l, s, c, &inst, &e);
    if (ist == WASM_OK) cm_instance_delete(inst);
    if (ist != WASM_LINK_ERROR) break;
    uint32_t i = 0;
    while (i < r->nimports &&
           (why[i] || !names_import(e.message, r->defs[r->imports[i]].u.import.name.name)))
      i++;
    if (i == r->nimports) { /* not about one import: instantiation fails anyway */
      *err = e;
      st = WASM_LINK_ERROR;
      break;
    }
    const cm_import_def *d = &r->defs[r->imports[i]].u.import;
    why[i] = strdup(e.message);
    if (!why[i]) {
      st = cm_fail(err, WASM_NOMEM, "out of memory");
      break;
    }
    wasm_error se = {0};
    if (!stub_import(l, d->name.name, &d->t, &se)) break;
  }
  wasm_store_delete(s);
  return st;
}
