/* http_wasi.c: the wasi:http state of one linker: creation, linking,
 * the table of objects behind wasi:http resource handles, messages,
 * error-code values kept for wasi:io errors, and http_wasi_handle, which
 * runs one server request through a component's
 * wasi:http/incoming-handler export and streams the response it sets. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http_wasi_internal.h"

wasm_status hw_nomem(wasm_error *err) { return hw_trap(err, "wasi:http: out of memory"); }

/* ---- lifecycle ---- */

wasm_status http_wasi_new(const http_wasi_config *cfg, wasi2_ctx *w, http_wasi **out,
                          wasm_error *err) {
  if (out) *out = NULL;
  if (!w || !out) return hw_fail(err, WASM_BAD_ARG, "http_wasi_new: bad arguments");
  http_wasi *h = calloc(1, sizeof *h);
  if (!h) return hw_fail(err, WASM_NOMEM, "out of memory");
  cm_reptab_init(&h->slots, sizeof(hw_slot), HW_MAX_OBJS);
  if (cfg) h->cfg = *cfg;
  h->cfg.allowed_hosts = NULL;
  h->w = w;
  if (!h->cfg.connect_timeout_ms) h->cfg.connect_timeout_ms = 10000;
  if (!h->cfg.first_byte_timeout_ms) h->cfg.first_byte_timeout_ms = 30000;
  if (!h->cfg.between_bytes_timeout_ms) h->cfg.between_bytes_timeout_ms = 30000;
  if (cfg && cfg->nallowed) {
    h->allowed = calloc(cfg->nallowed, sizeof *h->allowed);
    if (!h->allowed) {
      free(h);
      return hw_fail(err, WASM_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < cfg->nallowed; i++) {
      h->allowed[i] = strdup(cfg->allowed_hosts[i] ? cfg->allowed_hosts[i] : "");
      if (!h->allowed[i]) {
        h->cfg.nallowed = i;
        http_wasi_delete(h);
        return hw_fail(err, WASM_NOMEM, "out of memory");
      }
    }
  }
  wasm_status st = hw_out_init(h, err);
  if (st) {
    http_wasi_delete(h);
    return st;
  }
  *out = h;
  return WASM_OK;
}

void http_wasi_delete(http_wasi *h) {
  if (!h) return;
  http_wasi_reset(h);
  hw_out_delete(h);
  for (size_t i = 0; i < h->cfg.nallowed && h->allowed; i++) free(h->allowed[i]);
  free(h->allowed);
  cm_reptab_destroy(&h->slots);
  free(h->errs);
  free(h);
}

static const char *const hw_res_names[HW_KIND_COUNT] = {
    [HW_FREE] = NULL,
#define HW_RES_NAME(id, name) [HW_##id] = name,
    HW_RESOURCE_LIST(HW_RES_NAME)
#undef HW_RES_NAME
};

wasm_status http_wasi_link(http_wasi *h, cm_linker *l, wasm_error *err) {
  if (!h || !l) return hw_fail(err, WASM_BAD_ARG, "http_wasi_link: bad arguments");
  if (h->l) return hw_fail(err, WASM_BAD_ARG, "http_wasi_link: already linked");
  h->l = l;
  wasm_status st;
  if ((st = hw_link_types(h, err)) || (st = hw_link_outgoing(h, err))) return st;
  for (int k = 1; k < HW_KIND_COUNT; k++) {
    h->res[k] = cm_linker_resource(l, "wasi:http/types@" HW_VERSION, hw_res_names[k]);
    if (!h->res[k])
      return hw_fail(err, WASM_BAD_ARG, "http_wasi_link: resource %s not defined",
                     hw_res_names[k]);
  }
  return WASM_OK;
}

/* ---- messages ---- */

hw_msg *hw_msg_new(http_wasi *h, hw_msgtype type) {
  hw_msg *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  m->refs = 1;
  m->type = type;
  m->h = h;
  m->seq = h->seq;
  m->status = 200;
  m->next = h->msgs;
  if (h->msgs) h->msgs->prev = m;
  h->msgs = m;
  return m;
}

void hw_msg_ref(hw_msg *m) { m->refs++; }

/* Frees m's memory (not the references it holds: see hw_msg_unref). */
static void msg_free(hw_msg *m) {
  http_wasi *h = m->h;
  if (m->prev) m->prev->next = m->next;
  else h->msgs = m->next;
  if (m->next) m->next->prev = m->prev;
  free(m->method_other);
  free(m->path);
  free(m->authority);
  free(m->scheme_other);
  free(m->buf);
  free(m);
}

void hw_msg_unref(hw_msg *m) {
  if (!m || --m->refs > 0) return;
  if (m->xfer && m->xfer->req == m) {
    /* a request whose transfer never started (its body was not finished) */
    m->xfer->req = NULL;
    if (!m->xfer->started) hw_xfer_fail(m->xfer, HE_INTERNAL, "the request was dropped");
  }
  hw_map_unref(m->headers);
  hw_map_unref(m->trailers);
  hw_xfer *x = m->xfer;
  m->xfer = NULL;
  msg_free(m);
  if (x) hw_xfer_unref(x);
}

/* ---- the object table ---- */

hw_slot *hw_slot_alloc(http_wasi *h, hw_kind k, void *p, uint32_t *rep) {
  hw_slot *s = cm_reptab_alloc(&h->slots, rep);
  if (!s) return NULL;
  s->kind = (uint8_t)k;
  s->p = p;
  return s;
}

/* Releases the reference a slot of kind k holds on p. */
static void release(http_wasi *h, hw_kind k, void *p) {
  switch (k) {
  case HW_FIELDS: hw_map_unref(p); break;
  case HW_FUT_RESP: hw_xfer_unref(p); break;
  case HW_OPTIONS: free(p); break;
  case HW_OUTPARAM: break;
  default: hw_msg_unref(p); break;
  }
}

void hw_slot_free(http_wasi *h, uint32_t rep) {
  const hw_slot *live = cm_reptab_at(&h->slots, rep);
  if (!live) return;
  hw_slot s = *live;
  cm_reptab_release(&h->slots, rep); /* zeroed: kind HW_FREE */
  if (!s.host_dropping) release(h, s.kind, s.p);
}

/* The destructor of every wasi:http resource type (the guest dropped a
 * handle). An outgoing body dropped before finish aborts its message. */
void hw_dtor(void *env, uint32_t rep) {
  http_wasi *h = env;
  hw_slot *s = cm_reptab_at(&h->slots, rep);
  if (!s) return;
  if (s->kind == HW_OUT_BODY && !s->host_dropping) {
    hw_msg *m = s->p;
    if (!m->finished) {
      m->aborted = true;
      if (m->xfer && !m->xfer->started)
        hw_xfer_fail(m->xfer, HE_INTERNAL, "the request body was dropped before finish");
    }
  }
  hw_slot_free(h, rep);
}

wasm_status hw_handle(http_wasi *h, hw_kind k, uint32_t rep, cm_val *out, wasm_error *err) {
  wasm_status st = cm_linker_resource_new(h->l, h->res[k], rep, out, err);
  if (st) hw_slot_free(h, rep);
  return st;
}

wasm_status hw_new(http_wasi *h, hw_kind k, void *p, cm_val *out, wasm_error *err) {
  uint32_t rep;
  if (!hw_slot_alloc(h, k, p, &rep)) {
    release(h, k, p);
    return hw_trap(err, "wasi:http: too many resources");
  }
  return hw_handle(h, k, rep, out, err);
}

hw_slot *hw_get(http_wasi *h, hw_kind k, const cm_val *v, uint32_t *rep, wasm_error *err) {
  uint32_t r = 0;
  if (cm_linker_resource_rep(h->l, h->res[k], v, &r, err)) return NULL;
  hw_slot *s = cm_reptab_at(&h->slots, r);
  if (!s || s->kind != k) {
    hw_trap(err, "wasi:http: unknown %s handle", hw_res_names[k]);
    return NULL;
  }
  if (rep) *rep = r;
  return s;
}

wasm_status hw_take(http_wasi *h, hw_kind k, const cm_val *v, void **p, wasm_error *err) {
  hw_slot *s = hw_get(h, k, v, NULL, err);
  if (!s) return WASM_TRAP;
  *p = s->p;
  s->host_dropping = true; /* the reference moves to the caller */
  return cm_linker_resource_drop(h->l, v, err);
}

/* ---- error-code values ---- */

void hw_err_clear(hw_err *e) {
  free(e->str);
  memset(e, 0, sizeof *e);
}

hw_err hw_err_make(uint8_t code, const char *str) {
  hw_err e = {.code = code};
  if (str) e.str = strdup(str);
  return e;
}

uint32_t hw_err_keep(http_wasi *h, const hw_err *e) {
  if (h->nerrs >= HW_MAX_ERRS) return UINT32_MAX;
  if (h->nerrs >= h->caperrs) {
    uint32_t cap = h->caperrs ? h->caperrs * 2 : 16;
    hw_err *v = realloc(h->errs, (size_t)cap * sizeof *v);
    if (!v) return UINT32_MAX;
    h->errs = v;
    h->caperrs = cap;
  }
  hw_err *d = &h->errs[h->nerrs];
  *d = *e;
  d->str = e->str ? strdup(e->str) : NULL;
  return h->nerrs++;
}

wasi2_io_error hw_io_error(http_wasi *h, const hw_err *e, const char *message) {
  uint32_t i = hw_err_keep(h, e);
  wasi2_io_error r = {.message = message ? message : hw_err_name(e->code)};
  if (i != UINT32_MAX) {
    r.owner = h;
    r.code = i;
  }
  return r;
}

/* ---- the server side: the response the guest set ---- */

static bool server_live(http_wasi *h, const hw_msg *m) {
  return h->x && m->seq == h->seq && !m->failed;
}

/* The headers of map as http_header entries (pointing into map). */
static http_header *header_array(const hw_fieldmap *map, size_t *n) {
  *n = 0;
  if (!map || !map->n) return NULL;
  http_header *v = calloc(map->n, sizeof *v);
  if (!v) return NULL;
  for (size_t i = 0; i < map->n; i++)
    v[i] = (http_header){map->v[i].name, map->v[i].nlen, (const char *)map->v[i].val,
                         map->v[i].vlen};
  *n = map->n;
  return v;
}

void hw_response_flush(http_wasi *h, hw_msg *m) {
  if (m != h->out.resp || !server_live(h, m)) return;
  if (!m->sent) {
    size_t n;
    http_header *hs = header_array(m->headers, &n);
    if (http_response_start(h->x, m->status, hs, hs ? n : 0) != 0) m->failed = true;
    free(hs);
    m->sent = true;
  }
  if (!m->failed && m->blen) {
    if (http_response_write(h->x, m->buf, m->blen) != 0) m->failed = true;
    m->blen = 0;
  }
  if (!m->failed && m->finished && !m->fin_sent) {
    m->fin_sent = true;
    size_t n;
    http_header *ts = header_array(m->trailers, &n);
    if (http_response_finish(h->x, ts, ts ? n : 0) != 0) m->failed = true;
    free(ts);
  }
}

/* The status answering a guest's error-code (as wasmtime's proxy does
 * for the few it distinguishes; 500 otherwise). */
static int error_status(uint8_t code) {
  switch (code) {
  case HE_REQ_DENIED: return 403;
  case HE_REQ_LENGTH_REQUIRED: return 411;
  case HE_REQ_BODY_SIZE: return 413;
  case HE_REQ_METHOD_INVALID: return 405;
  case HE_REQ_URI_INVALID: return 400;
  case HE_REQ_URI_TOO_LONG: return 414;
  case HE_REQ_HEADER_SECTION_SIZE: case HE_REQ_HEADER_SIZE: return 431;
  case HE_DNS_TIMEOUT: case HE_CONN_TIMEOUT: case HE_CONN_READ_TIMEOUT:
  case HE_CONN_WRITE_TIMEOUT: case HE_RESP_TIMEOUT: return 504;
  case HE_DNS_ERROR: case HE_DEST_NOT_FOUND: case HE_DEST_UNAVAILABLE:
  case HE_DEST_IP_PROHIBITED: case HE_DEST_IP_UNROUTABLE: case HE_CONN_REFUSED:
  case HE_CONN_TERMINATED: case HE_TLS_PROTOCOL: case HE_TLS_CERT: case HE_TLS_ALERT:
  case HE_RESP_INCOMPLETE: case HE_PROTOCOL_ERROR: return 502;
  default: return 500;
  }
}

/* The export to call: wasi:http/incoming-handler@0.2.N#handle, any N. */
static cm_func *find_handle(http_wasi *h, cm_instance *inst) {
  cm_func *f = h->handle_name[0] ? cm_instance_func(inst, h->handle_name) : NULL;
  for (int v = 0; !f && v < 100; v++) {
    snprintf(h->handle_name, sizeof h->handle_name,
             "wasi:http/incoming-handler@0.2.%d#handle", v);
    f = cm_instance_func(inst, h->handle_name);
  }
  if (!f) h->handle_name[0] = 0;
  return f;
}

/* The incoming request as a message: head copied, headers immutable. */
static hw_msg *request_msg(http_wasi *h, const http_request *req) {
  hw_msg *m = hw_msg_new(h, HW_MSG_IN_REQ);
  if (!m) return NULL;
  m->method = 9;
  for (int i = 0; i < 9; i++)
    if (strcmp(req->method, hw_method_names[i]) == 0) m->method = (uint8_t)i;
  bool ok = true;
  if (m->method == 9) ok = (m->method_other = strdup(req->method)) != NULL;
  m->has_path = true;
  ok = ok && (m->path = strdup(req->target ? req->target : "/")) != NULL;
  m->has_scheme = true;
  m->scheme = 0;
  if (req->authority && req->authority[0]) {
    m->has_authority = true;
    ok = ok && (m->authority = strdup(req->authority)) != NULL;
  }
  ok = ok && (m->headers = hw_map_new()) != NULL;
  for (size_t i = 0; ok && i < req->nheaders; i++)
    ok = hw_map_add(m->headers, req->headers[i].name, req->headers[i].name_len,
                    (const uint8_t *)req->headers[i].value, req->headers[i].value_len);
  if (!ok) {
    hw_msg_unref(m);
    return NULL;
  }
  m->headers->frozen = true;
  m->body_taken = false;
  return m;
}

wasm_status http_wasi_handle(http_wasi *h, cm_instance *inst, http_exchange *x,
                             const http_request *req, wasm_error *err) {
  if (!h || !inst || !x || !req || !h->l)
    return hw_fail(err, WASM_BAD_ARG, "http_wasi_handle: bad arguments");
  cm_func *f = find_handle(h, inst);
  if (!f)
    return hw_fail(err, WASM_LINK_ERROR,
                   "the component exports no wasi:http/incoming-handler@0.2.x#handle");
  h->seq++;
  h->x = x;
  hw_msg_unref(h->out.resp);
  hw_err_clear(&h->out.err);
  memset(&h->out, 0, sizeof h->out);
  h->out.live = true;
  hw_msg *m = request_msg(h, req);
  if (!m) {
    h->x = NULL;
    return hw_fail(err, WASM_NOMEM, "out of memory");
  }
  cm_val args[2];
  memset(args, 0, sizeof args);
  wasm_status st = hw_new(h, HW_IN_REQ, m, &args[0], err);
  uint32_t rep;
  if (!st && !hw_slot_alloc(h, HW_OUTPARAM, NULL, &rep)) {
    st = hw_fail(err, WASM_NOMEM, "out of memory");
    cm_linker_resource_drop(h->l, &args[0], NULL);
  }
  if (!st && (st = hw_handle(h, HW_OUTPARAM, rep, &args[1], err)))
    cm_linker_resource_drop(h->l, &args[0], NULL);
  if (st) {
    h->x = NULL;
    return st;
  }
  cm_val result;
  memset(&result, 0, sizeof result);
  st = cm_func_call(f, args, 2, &result, err);
  cm_val_free(&result);
  if (st) { /* the caller answers (when not started) and notes the trap */
    h->x = NULL;
    return st;
  }
  hw_outparam *o = &h->out;
  if (!o->set) {
    if (!http_response_started(x)) {
      http_exchange_note(x, "the component set no response");
      http_response_simple(x, 500, "the component set no response\n");
    }
  } else if (o->is_err) {
    char msg[200];
    snprintf(msg, sizeof msg, "the component answered with error-code %s%s%s\n",
             hw_err_name(o->err.code), o->err.str ? ": " : "", o->err.str ? o->err.str : "");
    http_exchange_note(x, "error-code %s", hw_err_name(o->err.code));
    if (!http_response_started(x)) http_response_simple(x, error_status(o->err.code), msg);
  } else {
    hw_msg *r = o->resp;
    hw_response_flush(h, r);
    /* a body never asked for is empty; one dropped or still open is left
     * unfinished, so the server closes the connection */
    if (!r->body_taken && !r->failed && server_live(h, r)) {
      r->finished = true;
      hw_response_flush(h, r);
    } else if (!r->finished) {
      http_exchange_note(x, "the component did not finish the response body");
    }
  }
  h->x = NULL;
  return WASM_OK;
}

void http_wasi_reset(http_wasi *h) {
  if (!h) return;
  /* the streams and pollables in the wasi2 context release their
   * references first, then every slot, then what a trapped guest left */
  wasi2_ctx_reset(h->w);
  for (uint32_t r = cm_reptab_next(&h->slots, 0); r; r = cm_reptab_next(&h->slots, r))
    hw_slot_free(h, r);
  cm_reptab_reset(&h->slots);
  hw_msg_unref(h->out.resp);
  hw_err_clear(&h->out.err);
  memset(&h->out, 0, sizeof h->out);
  hw_out_reset(h); /* transfers: detached from their messages, freed */
  while (h->msgs) {
    hw_msg *m = h->msgs;
    hw_map_unref(m->headers);
    hw_map_unref(m->trailers);
    msg_free(m);
  }
  for (uint32_t i = 0; i < h->nerrs; i++) hw_err_clear(&h->errs[i]);
  h->nerrs = 0;
  h->x = NULL;
  h->seq++;
}
