/* pl_logging.c: the wasi-logging plugin, wasi:logging/logging: one
 * structured line per call, with the workload and component, to a FILE*
 * (written and flushed under one lock so lines of threads never mix). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/pl_internal.h"

typedef struct log_self {
  FILE *out;
  pthread_mutex_t mu;
} log_self;

typedef struct log_item {
  log_self *self;
  char *workload, *component;
} log_item;

static const char *const levels[] = {"trace", "debug", "info", "warn", "error", "critical"};

/* Appends s[0..n) to buf, quoted when it must be (always when force). */
static void put_value(char **buf, size_t *len, size_t *cap, const char *s, size_t n, bool force) {
  bool quote = force || n == 0;
  for (size_t i = 0; i < n && !quote; i++) {
    unsigned char c = (unsigned char)s[i];
    quote = c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f;
  }
  size_t need = *len + n * 4 + 3;
  if (need > *cap) {
    size_t c = need * 2;
    char *b = realloc(*buf, c);
    if (!b) return; /* the value is left out; the line still goes out */
    *buf = b;
    *cap = c;
  }
  char *o = *buf + *len;
  if (quote) *o++ = '"';
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (!quote) {
      *o++ = (char)c;
    } else if (c == '"' || c == '\\') {
      *o++ = '\\';
      *o++ = (char)c;
    } else if (c == '\n') {
      *o++ = '\\', *o++ = 'n';
    } else if (c == '\r') {
      *o++ = '\\', *o++ = 'r';
    } else if (c == '\t') {
      *o++ = '\\', *o++ = 't';
    } else if (c < 0x20 || c == 0x7f) {
      o += sprintf(o, "\\x%02x", c);
    } else {
      *o++ = (char)c;
    }
  }
  if (quote) *o++ = '"';
  *len = (size_t)(o - *buf);
}

static void put_lit(char **buf, size_t *len, size_t *cap, const char *s) {
  size_t n = strlen(s);
  if (*len + n + 1 > *cap) {
    size_t c = (*len + n + 1) * 2;
    char *b = realloc(*buf, c);
    if (!b) return;
    *buf = b;
    *cap = c;
  }
  memcpy(*buf + *len, s, n);
  *len += n;
}

static wasm_status log_fn(void *env, cm_instance *caller, const cm_val *a, size_t na,
                          cm_val *res, wasm_error *err) {
  log_item *it = env;
  uint32_t lv = a[0].of.variant.disc;
  size_t cap = 256 + a[1].of.str.len * 4 + a[2].of.str.len * 4, len = 0;
  char *buf = malloc(cap);
  if (!buf) return pl_nomem(err);
  put_lit(&buf, &len, &cap, "level=");
  put_lit(&buf, &len, &cap, lv < 6 ? levels[lv] : "info");
  put_lit(&buf, &len, &cap, " workload=");
  put_value(&buf, &len, &cap, it->workload, strlen(it->workload), false);
  put_lit(&buf, &len, &cap, " component=");
  put_value(&buf, &len, &cap, it->component, strlen(it->component), false);
  put_lit(&buf, &len, &cap, " context=");
  put_value(&buf, &len, &cap, a[1].of.str.ptr, a[1].of.str.len, false);
  put_lit(&buf, &len, &cap, " msg=");
  put_value(&buf, &len, &cap, a[2].of.str.ptr, a[2].of.str.len, true);
  put_lit(&buf, &len, &cap, "\n");
  pthread_mutex_lock(&it->self->mu);
  fwrite(buf, 1, len, it->self->out);
  fflush(it->self->out);
  pthread_mutex_unlock(&it->self->mu);
  free(buf);
  return WASM_OK;
}

static wasm_status log_item_bind(plugin *p, plugin_item *item, wasm_error *err) {
  log_item *it = calloc(1, sizeof *it);
  const plugin_workload *w = item->workload;
  const char *wn = w && w->name ? w->name : (w && w->id ? w->id : "");
  if (it) {
    it->self = p->self;
    it->workload = strdup(wn);
    it->component = strdup(item->name ? item->name : "");
  }
  if (!it || !it->workload || !it->component) {
    if (it) free(it->workload), free(it->component);
    free(it);
    return pl_fail(err, WASM_NOMEM, "out of memory");
  }
  item->state = it;
  return WASM_OK;
}

static void log_item_unbind(plugin *p, plugin_item *item) {
  log_item *it = item->state;
  if (it) {
    free(it->workload);
    free(it->component);
    free(it);
  }
  item->state = NULL;
}

static const char WIT_LOGGING[] =
    "interface logging {\n"
    "  enum level { trace, debug, info, warn, error, critical }\n"
    "  log: func(level: level, context: string, message: string);\n"
    "}\n";

static wasm_status log_item_link(plugin *p, plugin_item *item, cm_linker *l, wasm_error *err) {
  if (!item->state) return pl_fail(err, WASM_BAD_ARG, "wasi-logging: item not bound");
  cm_host_entry e[] = {{"log", log_fn, NULL, item->state}};
  /* components import it versioned (0.1.0-draft) or not */
  wasm_status st =
      cm_linker_define_interface(l, "wasi:logging/logging@0.1.0-draft", WIT_LOGGING, e, 1, err);
  return st ? st : cm_linker_define_interface(l, "wasi:logging/logging", WIT_LOGGING, e, 1, err);
}

static void log_destroy(plugin *p) {
  log_self *s = p->self;
  if (s) pthread_mutex_destroy(&s->mu);
  pl_plugin_free(p);
}

plugin *plugin_logging_new(FILE *out) {
  plugin *p = out ? pl_plugin_new(sizeof(log_self)) : NULL;
  if (!p) return NULL;
  log_self *s = p->self;
  s->out = out;
  pthread_mutex_init(&s->mu, NULL);
  p->id = "wasi-logging";
  p->imports = "wasi:logging/logging";
  p->item_bind = log_item_bind;
  p->item_link = log_item_link;
  p->item_unbind = log_item_unbind;
  p->destroy = log_destroy;
  return p;
}
