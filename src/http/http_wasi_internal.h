/* http_wasi_internal.h: shared by the wasi:http files (http_wasi*.c):
 * the http_wasi state, the table of objects behind wasi:http resource
 * handles, the reference-counted messages and field maps they point to,
 * and the outgoing transfers (libcurl).
 *
 * Ownership: a resource handle's slot holds one reference to the message
 * (or field map, or transfer) it stands for; the custom wasi:io streams
 * and pollables made for bodies hold one each too, dropped by their drop
 * hooks. A request holds its transfer; the transfer's pointer back to
 * the request is weak (cleared when the request goes). Every message and
 * transfer is also on a list of h, so http_wasi_reset frees what a
 * trapped guest left behind.
 *
 * Files: http_wasi.c (state, table, messages, http_wasi_handle),
 * http_wasi_fields.c (fields, syntax, values, error-code),
 * http_wasi_types.c (the other resources, the WIT), http_wasi_body.c
 * (body streams, future-trailers), http_wasi_out.c (libcurl). */
#ifndef STRATUS_HTTP_WASI_INTERNAL_H
#define STRATUS_HTTP_WASI_INTERNAL_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stratus/component.h"
#include "stratus/http.h"
#include "stratus/wasi.h"

#define HW_VERSION "0.2.12"  /* imports of any 0.2.y match (semver) */
#define HW_MAX_OBJS 65536    /* live wasi:http resources per exchange */
#define HW_MAX_FIELDS 1024   /* entries in one fields */
#define HW_MAX_FIELD_BYTES (64u << 10) /* one name or value */
#define HW_MAX_BUFFERED (64u << 20)    /* a client request body, or a response before set */
#define HW_RESP_BUFFER (1u << 20)      /* response bytes buffered before curl pauses */
#define HW_MAX_ERRS 4096               /* error-code values per exchange */

/* The resource types of wasi:http/types, in table order. */
#define HW_RESOURCE_LIST(X)                          \
  X(FIELDS, "fields")                                \
  X(IN_REQ, "incoming-request")                      \
  X(OUT_REQ, "outgoing-request")                     \
  X(OPTIONS, "request-options")                      \
  X(OUTPARAM, "response-outparam")                   \
  X(IN_RESP, "incoming-response")                    \
  X(OUT_RESP, "outgoing-response")                   \
  X(IN_BODY, "incoming-body")                        \
  X(OUT_BODY, "outgoing-body")                       \
  X(FUT_TRAILERS, "future-trailers")                 \
  X(FUT_RESP, "future-incoming-response")

typedef enum hw_kind {
  HW_FREE = 0,
#define HW_KIND_ENUM(id, name) HW_##id,
  HW_RESOURCE_LIST(HW_KIND_ENUM)
#undef HW_KIND_ENUM
  HW_KIND_COUNT
} hw_kind;

/* error-code cases (wasi:http/types), in WIT order. */
enum {
  HE_DNS_TIMEOUT, HE_DNS_ERROR, HE_DEST_NOT_FOUND, HE_DEST_UNAVAILABLE,
  HE_DEST_IP_PROHIBITED, HE_DEST_IP_UNROUTABLE, HE_CONN_REFUSED, HE_CONN_TERMINATED,
  HE_CONN_TIMEOUT, HE_CONN_READ_TIMEOUT, HE_CONN_WRITE_TIMEOUT, HE_CONN_LIMIT,
  HE_TLS_PROTOCOL, HE_TLS_CERT, HE_TLS_ALERT, HE_REQ_DENIED, HE_REQ_LENGTH_REQUIRED,
  HE_REQ_BODY_SIZE, HE_REQ_METHOD_INVALID, HE_REQ_URI_INVALID, HE_REQ_URI_TOO_LONG,
  HE_REQ_HEADER_SECTION_SIZE, HE_REQ_HEADER_SIZE, HE_REQ_TRAILER_SECTION_SIZE,
  HE_REQ_TRAILER_SIZE, HE_RESP_INCOMPLETE, HE_RESP_HEADER_SECTION_SIZE,
  HE_RESP_HEADER_SIZE, HE_RESP_BODY_SIZE, HE_RESP_TRAILER_SECTION_SIZE,
  HE_RESP_TRAILER_SIZE, HE_RESP_TRANSFER_CODING, HE_RESP_CONTENT_CODING,
  HE_RESP_TIMEOUT, HE_UPGRADE_FAILED, HE_PROTOCOL_ERROR, HE_LOOP_DETECTED,
  HE_CONFIG_ERROR, HE_INTERNAL, HE_COUNT
};

/* An error-code value: the case, and its one string or number payload
 * when it has one (other payload fields are none). */
typedef struct hw_err {
  uint8_t code;
  bool has_num;
  uint64_t num;
  char *str; /* NULL: none */
} hw_err;

/* header-error */
enum { HH_INVALID = 0, HH_FORBIDDEN = 1, HH_IMMUTABLE = 2 };

/* ---- field maps ---- */

typedef struct hw_field {
  char *name; /* lowercase */
  size_t nlen;
  uint8_t *val;
  size_t vlen;
} hw_field;

typedef struct hw_fieldmap {
  int refs;
  bool frozen; /* immutable: incoming, or its message was given away */
  hw_field *v;
  size_t n, cap;
} hw_fieldmap;

hw_fieldmap *hw_map_new(void);
void hw_map_unref(hw_fieldmap *m);
hw_fieldmap *hw_map_clone(const hw_fieldmap *m); /* mutable copy, or NULL */
/* Appends (name lowercased); false when out of memory or too many. */
bool hw_map_add(hw_fieldmap *m, const char *name, size_t nlen, const uint8_t *val,
                size_t vlen);
/* The first value of name (case-insensitive), or NULL. */
const hw_field *hw_map_find(const hw_fieldmap *m, const char *name);

/* ---- messages: requests and responses, with their bodies ---- */

typedef enum hw_msgtype { HW_MSG_IN_REQ, HW_MSG_OUT_REQ, HW_MSG_IN_RESP, HW_MSG_OUT_RESP } hw_msgtype;

typedef struct hw_xfer hw_xfer;

typedef struct hw_msg {
  int refs;
  hw_msgtype type;
  struct http_wasi *h;
  struct hw_msg *prev, *next; /* h->msgs */
  uint64_t seq;               /* the exchange (h->seq) a server message belongs to */
  /* head */
  uint8_t method;             /* method case; 9: other */
  char *method_other;
  bool has_path, has_scheme, has_authority;
  char *path, *authority;
  uint8_t scheme;             /* 0 HTTP, 1 HTTPS, 2 other */
  char *scheme_other;
  uint16_t status;
  hw_fieldmap *headers;
  /* body */
  bool body_taken;            /* consume() / body() returned it */
  bool stream_taken;          /* stream() / write() returned it */
  bool finished;              /* finish() called (outgoing: the body is complete) */
  bool aborted;               /* outgoing body dropped without finish */
  bool given_away;            /* outgoing: passed to handle() / response-outparam.set */
  bool sent;                  /* server response: its head went out */
  bool fin_sent;              /* server response: http_response_finish called */
  bool failed;                /* server response: the connection failed */
  uint64_t written;           /* outgoing body bytes */
  uint8_t *buf;               /* outgoing body bytes not yet sent */
  size_t blen, bcap;
  hw_fieldmap *trailers;      /* outgoing: given to finish; incoming: received */
  bool trailers_done;         /* incoming: the trailers are known */
  bool trailers_got;          /* future-trailers.get returned them */
  hw_xfer *xfer;              /* client side: the transfer (ref) */
} hw_msg;

hw_msg *hw_msg_new(struct http_wasi *h, hw_msgtype type);
void hw_msg_ref(hw_msg *m);
void hw_msg_unref(hw_msg *m);

/* ---- the object table ---- */

typedef struct hw_slot {
  uint8_t kind;        /* hw_kind */
  bool host_dropping;  /* the host drops the guest's handle: the destructor keeps p */
  void *p;             /* hw_fieldmap (FIELDS), hw_msg (requests, responses,
                          bodies, FUT_TRAILERS), hw_xfer (FUT_RESP),
                          hw_options (OPTIONS), NULL (OUTPARAM) */
} hw_slot;

typedef struct hw_options {
  bool has[3];
  uint64_t ns[3]; /* connect, first-byte, between-bytes */
} hw_options;

/* The response-outparam of the current exchange. */
typedef struct hw_outparam {
  bool live;   /* handed to the guest for this exchange */
  bool set;    /* set() called */
  bool is_err;
  hw_err err;
  hw_msg *resp; /* the response set (ref) */
} hw_outparam;

struct http_wasi {
  http_wasi_config cfg;
  char **allowed;
  wasi2_ctx *w;
  cm_linker *l;
  cm_host_resource *res[HW_KIND_COUNT];
  cm_reptab slots; /* of hw_slot: rep 0 is never handed out */
  hw_msg *msgs;   /* every live message */
  hw_xfer *xfers; /* every live transfer */
  hw_err *errs;   /* error-code values behind wasi:io/error resources */
  uint32_t nerrs, caperrs;
  /* the current exchange */
  uint64_t seq;
  http_exchange *x;
  hw_outparam out;
  char handle_name[64]; /* the export found last time */
  /* outgoing (http_wasi_out.c) */
  CURLM *multi;
  struct pollfd *socks; /* sockets curl asked to watch */
  size_t nsocks, capsocks;
  uint64_t timer_ns;    /* when curl wants a timeout action; 0: none */
};

/* A new slot of kind k holding p (one reference moves in); *rep. NULL
 * when the table is full (the caller still owns p). */
hw_slot *hw_slot_alloc(http_wasi *h, hw_kind k, void *p, uint32_t *rep);
/* An own handle for the slot in *out; on failure the slot is freed. */
wasm_status hw_handle(http_wasi *h, hw_kind k, uint32_t rep, cm_val *out, wasm_error *err);
/* A slot and own handle for p (a reference moves in, released on failure). */
wasm_status hw_new(http_wasi *h, hw_kind k, void *p, cm_val *out, wasm_error *err);
/* The slot behind a handle of kind k (NULL: trap in err). */
hw_slot *hw_get(http_wasi *h, hw_kind k, const cm_val *v, uint32_t *rep, wasm_error *err);
/* The destructor of every wasi:http resource (env: h). */
void hw_dtor(void *env, uint32_t rep);
/* Frees a slot, releasing its reference. */
void hw_slot_free(http_wasi *h, uint32_t rep);
/* Takes the object of an own handle the host received and drops the
 * handle without running the destructor's release: *p gets the object
 * (with the slot's reference). */
wasm_status hw_take(http_wasi *h, hw_kind k, const cm_val *v, void **p, wasm_error *err);

/* An error-code value of the exchange; its index (for wasi:io errors). */
uint32_t hw_err_keep(http_wasi *h, const hw_err *e);
void hw_err_clear(hw_err *e);
hw_err hw_err_make(uint8_t code, const char *str);
/* error-code as a cm_val. */
bool hw_err_val(const hw_err *e, cm_val *out);
/* error-code from a guest's value. */
void hw_err_from_val(const cm_val *v, hw_err *e);
const char *hw_err_name(uint8_t code);
/* A wasi:io/error resource carrying e (http-error-code reads it back). */
wasi2_io_error hw_io_error(http_wasi *h, const hw_err *e, const char *message);

/* Failures and traps with a message (stratus/wasm.h). */
#define hw_fail wasm_fail
#define hw_trap(err, ...) wasm_fail(err, WASM_TRAP, __VA_ARGS__)
wasm_status hw_nomem(wasm_error *err);

/* ---- value helpers (http_wasi_types.c) ---- */

/* (strings, lists, cases: cm_val_string/agg/bytes/case, stratus/component.h) */
wasm_status hw_ok(cm_val *res, const cm_val *payload, wasm_error *err);
wasm_status hw_err_result(cm_val *res, const cm_val *payload, wasm_error *err);

/* Validation (http_wasi_types.c). */
bool hw_is_token(const char *s, size_t n);
bool hw_valid_value(const uint8_t *p, size_t n);
bool hw_forbidden(const char *name, size_t n);
bool hw_valid_path(const char *s, size_t n);
bool hw_valid_authority(const char *s, size_t n);
bool hw_valid_scheme(const char *s, size_t n);

extern const char *const hw_method_names[9]; /* "GET", ... "PATCH" */

/* ---- the interfaces ---- */

typedef struct hw_fn {
  const char *name;
  cm_host_fn fn;
} hw_fn;
extern const hw_fn hw_fields_fns[]; /* http_wasi_fields.c */
extern const size_t hw_nfields_fns;

wasm_status hw_link_types(http_wasi *h, wasm_error *err);
wasm_status hw_link_outgoing(http_wasi *h, wasm_error *err);

/* Bodies (http_wasi_body.c): the wasi:io streams of incoming and outgoing
 * bodies, server and client side. */
wasm_status hw_body_input_stream(http_wasi *h, hw_msg *m, cm_val *out, wasm_error *err);
wasm_status hw_body_output_stream(http_wasi *h, hw_msg *m, cm_val *out, wasm_error *err);
/* future-trailers: whether the trailers are there; fills them. */
bool hw_trailers_ready(hw_msg *m);
wasm_status hw_trailers_pollable(http_wasi *h, hw_msg *m, cm_val *out, wasm_error *err);
/* Server response (http_wasi.c): sends the head of m (and what was
 * buffered) when it is the response set; finishes when finished. */
void hw_response_flush(http_wasi *h, hw_msg *m);
/* Ends an outgoing body: server response or client request. */
wasm_status hw_body_finish(http_wasi *h, hw_msg *m, hw_fieldmap *trailers, hw_err *fail);

/* Outgoing transfers (http_wasi_out.c). */
struct hw_xfer {
  int refs;
  http_wasi *h;
  hw_xfer *prev, *next; /* h->xfers */
  CURL *easy;
  struct curl_slist *hdrs;
  hw_msg *req;          /* the request (weak: it holds us), until the transfer starts */
  uint8_t *body;        /* the request body, taken from req at start */
  size_t bodylen;
  bool started, in_multi, head_done, done, paused, got;
  bool failed;          /* with err */
  bool err_set;         /* err chosen by a callback before curl failed */
  hw_err err;
  uint64_t start_ns, last_ns;
  uint64_t timeout_ns[3]; /* connect, first byte, between bytes */
  uint8_t *rbuf;        /* response body received, not yet read */
  size_t roff, rlen, rcap;
  hw_fieldmap *building; /* headers of the response being received */
  hw_fieldmap *trailers; /* received after the body */
  size_t header_bytes;
  int status;
  bool discard;          /* the guest finished the body: drop what arrives */
  char errbuf[CURL_ERROR_SIZE];
};

void hw_xfer_ref(hw_xfer *x);
void hw_xfer_unref(hw_xfer *x);
/* Runs curl without waiting (dispatches ready sockets and timers). */
void hw_drive(http_wasi *h);
/* Waits up to timeout_ms (-1: curl's own timer) for curl's sockets,
 * then drives. */
void hw_wait(http_wasi *h, int timeout_ms);
/* curl's sockets (up to max) and the re-check timeout, for pollables. */
int hw_wait_fds(http_wasi *h, struct pollfd *pfd, int max, int *timeout_ms);
/* Ends x with error-code code (msg: for internal-error). */
void hw_xfer_fail(hw_xfer *x, uint8_t code, const char *msg);
/* Starts x's transfer once its request body is complete. */
void hw_xfer_start(hw_xfer *x);
/* The response body: as wasi2 stream read (bytes, 0, WASI2_IO_END/FAIL). */
ssize_t hw_xfer_read(hw_xfer *x, void *buf, size_t n, bool block, wasi2_io_error *e);
bool hw_xfer_body_ready(hw_xfer *x);
void hw_out_reset(http_wasi *h);
wasm_status hw_out_init(http_wasi *h, wasm_error *err);
void hw_out_delete(http_wasi *h);

#endif
