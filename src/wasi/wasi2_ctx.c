/* wasi2_ctx.c: the WASI 0.2 context (configuration, the table of host
 * objects behind resource handles), value builders shared by the
 * interfaces, and wasi2_link, which registers every interface. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wasi/wasi2_internal.h"

static char *dupstr(const char *s) {
  return s ? strdup(s) : NULL;
}

static char **dup_list(const char *const *v, uint32_t n, bool *ok) {
  *ok = true;
  if (!n) return NULL;
  char **out = calloc(n, sizeof *out);
  if (!out) return *ok = false, NULL;
  for (uint32_t i = 0; i < n; i++)
    if (!(out[i] = dupstr(v[i] ? v[i] : ""))) *ok = false;
  return out;
}

wasm_status wasi2_ctx_new(const wasi2_config *cfg, wasi2_ctx **out, wasm_error *err) {
  *out = NULL;
  if (!cfg) return w2_fail(err, WASM_BAD_ARG, "wasi2_ctx_new: no config");
  wasi2_ctx *c = calloc(1, sizeof *c);
  if (!c) return w2_fail(err, WASM_NOMEM, "out of memory");
  cm_reptab_init(&c->objs, sizeof(w2_obj), W2_MAX_OBJS);
  bool ok1, ok2;
  c->args = dup_list(cfg->args, cfg->nargs, &ok1);
  c->nargs = cfg->nargs;
  c->env = dup_list(cfg->env, cfg->nenv, &ok2);
  c->nenv = cfg->nenv;
  c->cwd = dupstr(cfg->cwd);
  c->stdio[0] = cfg->stdin_fd;
  c->stdio[1] = cfg->stdout_fd;
  c->stdio[2] = cfg->stderr_fd;
  c->network = cfg->network;
  if (!ok1 || !ok2 || (cfg->cwd && !c->cwd)) {
    wasi2_ctx_delete(c);
    return w2_fail(err, WASM_NOMEM, "out of memory");
  }
  if (cfg->npreopens) {
    c->preopens = calloc(cfg->npreopens, sizeof *c->preopens);
    if (!c->preopens) {
      wasi2_ctx_delete(c);
      return w2_fail(err, WASM_NOMEM, "out of memory");
    }
    for (uint32_t i = 0; i < cfg->npreopens; i++) c->preopens[i].fd = -1;
    c->npreopens = cfg->npreopens;
    for (uint32_t i = 0; i < cfg->npreopens; i++) {
      const wasi_preopen *p = &cfg->preopens[i];
      int fd = p->host_path ? open(p->host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
      if (fd < 0) {
        wasm_status st = w2_fail(err, WASM_BAD_ARG, "cannot open directory %s: %s",
                                   p->host_path ? p->host_path : "(null)", strerror(errno));
        wasi2_ctx_delete(c);
        return st;
      }
      c->preopens[i].fd = fd;
      c->preopens[i].read_only = p->read_only;
      c->preopens[i].name = dupstr(p->guest_path ? p->guest_path : p->host_path);
      if (!c->preopens[i].name) {
        wasi2_ctx_delete(c);
        return w2_fail(err, WASM_NOMEM, "out of memory");
      }
    }
  }
  *out = c;
  return WASM_OK;
}

void wasi2_ctx_delete(wasi2_ctx *c) {
  if (!c) return;
  wasi2_ctx_reset(c); /* frees every object */
  cm_reptab_destroy(&c->objs);
  for (uint32_t i = 0; i < c->nargs && c->args; i++) free(c->args[i]);
  free(c->args);
  for (uint32_t i = 0; i < c->nenv && c->env; i++) free(c->env[i]);
  free(c->env);
  free(c->cwd);
  for (uint32_t i = 0; i < c->npreopens; i++) {
    if (c->preopens[i].fd >= 0) close(c->preopens[i].fd);
    free(c->preopens[i].name);
  }
  free(c->preopens);
  free(c);
}

bool wasi2_exit_code(const wasi2_ctx *c, int *code) {
  if (!c || !c->exited) return false;
  if (code) *code = c->exit_code;
  return true;
}

static const struct { const char *iface, *name; } w2_res_names[W2_KIND_COUNT] = {
    [W2_FREE] = {NULL, NULL},
#define W2_RES_NAME(id, iface, name) [W2_##id] = {iface "@" W2_VERSION, name},
    W2_RESOURCE_LIST(W2_RES_NAME)
#undef W2_RES_NAME
};

wasm_status wasi2_link(wasi2_ctx *c, struct cm_linker *l, wasm_error *err) {
  if (!c || !l) return w2_fail(err, WASM_BAD_ARG, "wasi2_link: bad arguments");
  if (c->l) return w2_fail(err, WASM_BAD_ARG, "wasi2_link: context already linked");
  c->l = l;
  wasm_status st;
  if ((st = w2_link_io(c, err)) || (st = w2_link_clocks(c, err)) ||
      (st = w2_link_random(c, err)) || (st = w2_link_cli(c, err)) ||
      (st = w2_link_fs(c, err)) || (st = w2_link_sockets(c, err)))
    return st;
  for (int k = 1; k < W2_KIND_COUNT; k++) {
    c->res[k] = cm_linker_resource(l, w2_res_names[k].iface, w2_res_names[k].name);
    if (!c->res[k])
      return w2_fail(err, WASM_BAD_ARG, "wasi2_link: resource %s of %s not defined",
                       w2_res_names[k].name, w2_res_names[k].iface);
  }
  return WASM_OK;
}

wasm_status w2_define(wasi2_ctx *c, const char *iface, const char *wit, const w2_fn *fns,
                      size_t n, wasm_error *err) {
  char name[128];
  snprintf(name, sizeof name, "%s@%s", iface, W2_VERSION);
  /* the functions, then a destructor entry for every resource type */
  cm_host_entry *e = calloc(n + W2_KIND_COUNT, sizeof *e);
  char (*drops)[64] = calloc(W2_KIND_COUNT, sizeof *drops);
  if (!e || !drops) {
    free(e);
    free(drops);
    return w2_fail(err, WASM_NOMEM, "out of memory");
  }
  for (size_t i = 0; i < n; i++) e[i] = (cm_host_entry){fns[i].name, fns[i].fn, NULL, c};
  size_t m = n;
  for (int k = 1; k < W2_KIND_COUNT; k++) {
    snprintf(drops[k], sizeof drops[k], "[resource-drop]%s", w2_res_names[k].name);
    e[m++] = (cm_host_entry){drops[k], NULL, w2_dtor, c};
  }
  wasm_status st = cm_linker_define_interface(c->l, name, wit, e, m, err);
  free(e);
  free(drops);
  return st;
}

/* ---- objects ---- */

w2_obj *w2_obj_alloc(wasi2_ctx *c, w2_kind k, uint32_t *rep) {
  w2_obj *o = cm_reptab_alloc(&c->objs, rep);
  if (!o) return NULL;
  o->kind = (uint8_t)k;
  o->fd = -1;
  return o;
}

void w2_obj_free(wasi2_ctx *c, uint32_t rep) {
  w2_obj *o = cm_reptab_at(&c->objs, rep);
  if (!o) return;
  if (o->kind == W2_ERROR) free(o->u.error.msg);
  if (o->kind == W2_DIRSTREAM && o->u.dirs.dir) {
    closedir(o->u.dirs.dir); /* closes its fd */
    o->own_fd = false;
  }
  if (o->kind == W2_RESOLVE) free(o->u.sock.addrs);
  w2_custom_drop(o); /* custom streams and pollables tell their owner */
  if (o->own_fd && o->fd >= 0) close(o->fd);
  cm_reptab_release(&c->objs, rep); /* zeroed: kind W2_FREE */
}

void w2_dtor(void *env, uint32_t rep) { w2_obj_free(env, rep); }

wasm_status w2_handle(wasi2_ctx *c, w2_kind k, uint32_t rep, cm_val *out, wasm_error *err) {
  wasm_status st = cm_linker_resource_new(c->l, c->res[k], rep, out, err);
  if (st) w2_obj_free(c, rep);
  return st;
}

w2_obj *w2_get(wasi2_ctx *c, w2_kind k, const cm_val *h, uint32_t *rep, wasm_error *err) {
  uint32_t r = 0;
  if (cm_linker_resource_rep(c->l, c->res[k], h, &r, err)) return NULL;
  w2_obj *o = cm_reptab_at(&c->objs, r);
  if (!o || o->kind != k) {
    w2_trap(err, "wasi: unknown %s handle", w2_res_names[k].name);
    return NULL;
  }
  if (rep) *rep = r;
  return o;
}

/* ---- values ---- */

cm_val w2_u64(uint64_t v) { return (cm_val){.kind = CM_U64, .of.u = v}; }
cm_val w2_u32(uint32_t v) { return (cm_val){.kind = CM_U32, .of.u = v}; }
cm_val w2_u16(uint16_t v) { return (cm_val){.kind = CM_U16, .of.u = v}; }
cm_val w2_u8(uint8_t v) { return (cm_val){.kind = CM_U8, .of.u = v}; }
cm_val w2_s32(int32_t v) { return (cm_val){.kind = CM_S32, .of.s = v}; }
cm_val w2_bool(bool v) { return (cm_val){.kind = CM_BOOL, .of.b = v}; }
cm_val w2_enum(uint32_t disc) { return (cm_val){.kind = CM_ENUM, .of.variant.disc = disc}; }

bool w2_flags(cm_val *out, uint32_t bits) {
  memset(out, 0, sizeof *out);
  out->kind = CM_FLAGS;
  out->of.flags.words = malloc(sizeof(uint32_t));
  if (!out->of.flags.words) return false;
  out->of.flags.words[0] = bits;
  out->of.flags.nlabels = 32;
  return true;
}

wasm_status w2_nomem(wasm_error *err) { return w2_trap(err, "wasi: out of memory"); }

wasm_status w2_ok(cm_val *res, const cm_val *payload, wasm_error *err) {
  return cm_val_case(res, CM_RESULT, 0, payload) ? WASM_OK : w2_nomem(err);
}

wasm_status w2_err(cm_val *res, const cm_val *payload, wasm_error *err) {
  return cm_val_case(res, CM_RESULT, 1, payload) ? WASM_OK : w2_nomem(err);
}

wasm_status w2_err_enum(cm_val *res, uint32_t code, wasm_error *err) {
  cm_val e = w2_enum(code);
  return w2_err(res, &e, err);
}

uint8_t *w2_arg_bytes(const cm_val *v, size_t *n) {
  *n = 0;
  size_t len = v->kind == CM_LIST ? v->of.list.n : 0;
  uint8_t *p = malloc(len ? len : 1);
  if (!p) return NULL;
  for (size_t i = 0; i < len; i++) p[i] = (uint8_t)v->of.list.elems[i].of.u;
  *n = len;
  return p;
}

char *w2_arg_str(const cm_val *v, bool *bad) {
  *bad = false;
  if (v->kind != CM_STRING) {
    *bad = true;
    return NULL;
  }
  if (memchr(v->of.str.ptr, 0, v->of.str.len)) {
    *bad = true;
    return NULL;
  }
  char *p = malloc(v->of.str.len + 1);
  if (!p) return NULL;
  memcpy(p, v->of.str.ptr, v->of.str.len);
  p[v->of.str.len] = 0;
  return p;
}

uint64_t w2_monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
