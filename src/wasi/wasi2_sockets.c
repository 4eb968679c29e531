/* wasi2_sockets.c: wasi:sockets 0.2: network, instance-network, tcp,
 * tcp-create-socket, udp, udp-create-socket, ip-name-lookup. Denied by
 * default: creating a socket or resolving a name fails with access-denied
 * unless the context's config grants it (WASI2_NET_*). Granted sockets are
 * real nonblocking host sockets; the two-phase start-/finish- operations
 * do the work in start- and report it in finish-. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wasi/wasi2_internal.h"

enum { /* network error-code */
  NE_UNKNOWN = 0, NE_ACCESS_DENIED = 1, NE_NOT_SUPPORTED = 2, NE_INVALID_ARGUMENT = 3,
  NE_OUT_OF_MEMORY = 4, NE_TIMEOUT = 5, NE_CONCURRENCY = 6, NE_NOT_IN_PROGRESS = 7,
  NE_WOULD_BLOCK = 8, NE_INVALID_STATE = 9, NE_NEW_SOCKET_LIMIT = 10,
  NE_ADDRESS_NOT_BINDABLE = 11, NE_ADDRESS_IN_USE = 12, NE_REMOTE_UNREACHABLE = 13,
  NE_CONNECTION_REFUSED = 14, NE_CONNECTION_RESET = 15, NE_CONNECTION_ABORTED = 16,
  NE_DATAGRAM_TOO_LARGE = 17, NE_NAME_UNRESOLVABLE = 18, NE_TEMPORARY_RESOLVER = 19,
  NE_PERMANENT_RESOLVER = 20,
};

enum w2_sock_state { /* tcp and udp */
  S_UNBOUND, S_BIND_STARTED, S_BOUND, S_LISTEN_STARTED, S_LISTENING, S_CONNECT_STARTED,
  S_CONNECTED, S_CLOSED,
};

static uint32_t net_code(int e) {
  switch (e) {
  case EACCES: case EPERM: return NE_ACCESS_DENIED;
  case EOPNOTSUPP: case EAFNOSUPPORT: case EPROTONOSUPPORT: return NE_NOT_SUPPORTED;
  case EINVAL: case EDESTADDRREQ: return NE_INVALID_ARGUMENT;
  case ENOMEM: case ENOBUFS: return NE_OUT_OF_MEMORY;
  case ETIMEDOUT: return NE_TIMEOUT;
  case EAGAIN: case EINPROGRESS: case EALREADY: return NE_WOULD_BLOCK;
  case EISCONN: case ENOTCONN: return NE_INVALID_STATE;
  case EMFILE: case ENFILE: return NE_NEW_SOCKET_LIMIT;
  case EADDRNOTAVAIL: return NE_ADDRESS_NOT_BINDABLE;
  case EADDRINUSE: return NE_ADDRESS_IN_USE;
  case EHOSTUNREACH: case ENETUNREACH: case ENETDOWN: return NE_REMOTE_UNREACHABLE;
  case ECONNREFUSED: return NE_CONNECTION_REFUSED;
  case ECONNRESET: case EPIPE: return NE_CONNECTION_RESET;
  case ECONNABORTED: return NE_CONNECTION_ABORTED;
  case EMSGSIZE: return NE_DATAGRAM_TOO_LARGE;
  default: return NE_UNKNOWN;
  }
}

static wasm_status net_err(cm_val *res, uint32_t code, wasm_error *err) {
  return w2_err_enum(res, code, err);
}

/* The virtual network hook (wasi2_ctx_set_net_hook): 0 to go on with
 * *ss (maybe rewritten), else the errno refusing it. */
static int net_map(wasi2_ctx *c, int op, int type, struct sockaddr_storage *ss) {
  return c->net_hook && c->net_hook->map ? c->net_hook->map(c->net_hook->env, op, type, ss) : 0;
}

void wasi2_ctx_set_net_hook(wasi2_ctx *ctx, const wasi2_net_hook *hook) {
  if (ctx) ctx->net_hook = hook;
}

/* ---- addresses: ip-socket-address <-> sockaddr ---- */

/* variant ip-socket-address { ipv4(record { port, address: tuple<u8 x4> }),
 *   ipv6(record { port, flow-info, address: tuple<u16 x8>, scope-id }) } */
static bool addr_from_val(const cm_val *v, struct sockaddr_storage *ss, socklen_t *len,
                          int family) {
  memset(ss, 0, sizeof *ss);
  /* named types are matched by kind only: check every level */
  if (!v || v->kind != CM_VARIANT) return false;
  const cm_val *r = v->of.variant.payload;
  if (!r || r->kind != CM_RECORD) return false;
  if (v->of.variant.disc == 0) {
    if (family != AF_INET || r->of.list.n != 2 || r->of.list.elems[1].kind != CM_TUPLE ||
        r->of.list.elems[1].of.list.n != 4)
      return false;
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    in->sin_family = AF_INET;
    in->sin_port = htons((uint16_t)r->of.list.elems[0].of.u);
    uint8_t *b = (uint8_t *)&in->sin_addr;
    for (int i = 0; i < 4; i++) b[i] = (uint8_t)r->of.list.elems[1].of.list.elems[i].of.u;
    *len = sizeof *in;
    return true;
  }
  if (family != AF_INET6 || r->of.list.n != 4 || r->of.list.elems[2].kind != CM_TUPLE ||
      r->of.list.elems[2].of.list.n != 8)
    return false;
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons((uint16_t)r->of.list.elems[0].of.u);
  in6->sin6_flowinfo = htonl((uint32_t)r->of.list.elems[1].of.u);
  for (int i = 0; i < 8; i++) {
    uint16_t w = (uint16_t)r->of.list.elems[2].of.list.elems[i].of.u;
    in6->sin6_addr.s6_addr[2 * i] = (uint8_t)(w >> 8);
    in6->sin6_addr.s6_addr[2 * i + 1] = (uint8_t)w;
  }
  in6->sin6_scope_id = (uint32_t)r->of.list.elems[3].of.u;
  *len = sizeof *in6;
  return true;
}

/* ip-address (with_port false) or ip-socket-address of a sockaddr. */
static bool addr_to_val(const struct sockaddr *sa, bool with_port, cm_val *out) {
  cm_val rec, tup;
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
    if (!cm_val_agg(&tup, CM_TUPLE, 4)) return false;
    const uint8_t *b = (const uint8_t *)&in->sin_addr;
    for (int i = 0; i < 4; i++) tup.of.list.elems[i] = w2_u8(b[i]);
    if (!with_port) return cm_val_case(out, CM_VARIANT, 0, &tup);
    if (!cm_val_agg(&rec, CM_RECORD, 2)) return cm_val_free(&tup), false;
    rec.of.list.elems[0] = w2_u16(ntohs(in->sin_port));
    rec.of.list.elems[1] = tup;
    return cm_val_case(out, CM_VARIANT, 0, &rec);
  }
  const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
  if (!cm_val_agg(&tup, CM_TUPLE, 8)) return false;
  for (int i = 0; i < 8; i++)
    tup.of.list.elems[i] =
        w2_u16((uint16_t)(in6->sin6_addr.s6_addr[2 * i] << 8 | in6->sin6_addr.s6_addr[2 * i + 1]));
  if (!with_port) return cm_val_case(out, CM_VARIANT, 1, &tup);
  if (!cm_val_agg(&rec, CM_RECORD, 4)) return cm_val_free(&tup), false;
  rec.of.list.elems[0] = w2_u16(ntohs(in6->sin6_port));
  rec.of.list.elems[1] = w2_u32(ntohl(in6->sin6_flowinfo));
  rec.of.list.elems[2] = tup;
  rec.of.list.elems[3] = w2_u32(in6->sin6_scope_id);
  return cm_val_case(out, CM_VARIANT, 1, &rec);
}

/* ---- network ---- */

static wasm_status instance_network(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                    cm_val *res, wasm_error *err) {
  uint32_t rep;
  if (!w2_obj_alloc(env, W2_NETWORK, &rep)) return w2_trap(err, "wasi: too many resources");
  return w2_handle(env, W2_NETWORK, rep, res, err);
}

static wasm_status network_error_code(void *env, cm_instance *caller, const cm_val *a,
                                      size_t n, cm_val *res, wasm_error *err) {
  w2_obj *e = w2_get(env, W2_ERROR, &a[0], NULL, err);
  if (!e) return WASM_TRAP;
  if (!e->u.error.host_errno) return cm_val_case(res, CM_OPTION, 0, NULL) ? WASM_OK : w2_nomem(err);
  cm_val code = w2_enum(net_code(e->u.error.host_errno));
  return cm_val_case(res, CM_OPTION, 1, &code) ? WASM_OK : w2_nomem(err);
}

/* ---- socket creation ---- */

static wasm_status create_socket(wasi2_ctx *c, w2_kind k, uint32_t grant, int type,
                                 const cm_val *fam, cm_val *res, wasm_error *err) {
  if (!(c->network & grant)) return net_err(res, NE_ACCESS_DENIED, err);
  int family = fam->of.variant.disc == 0 ? AF_INET : AF_INET6;
  int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return net_err(res, net_code(errno), err);
  if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &(int){1}, sizeof(int));
  uint32_t rep;
  w2_obj *o = w2_obj_alloc(c, k, &rep);
  if (!o) {
    close(fd);
    return net_err(res, NE_NEW_SOCKET_LIMIT, err);
  }
  o->fd = fd;
  o->own_fd = true;
  o->u.sock.family = family;
  o->u.sock.backlog = 128;
  cm_val h;
  wasm_status st = w2_handle(c, k, rep, &h, err);
  return st ? st : w2_ok(res, &h, err);
}

static wasm_status create_tcp(void *env, cm_instance *caller, const cm_val *a, size_t n,
                              cm_val *res, wasm_error *err) {
  return create_socket(env, W2_TCP, WASI2_NET_TCP, SOCK_STREAM, &a[0], res, err);
}

static wasm_status create_udp(void *env, cm_instance *caller, const cm_val *a, size_t n,
                              cm_val *res, wasm_error *err) {
  return create_socket(env, W2_UDP, WASI2_NET_UDP, SOCK_DGRAM, &a[0], res, err);
}

/* ---- shared tcp/udp methods ---- */

#define SOCK(o, k)                                                            \
  w2_obj *o = w2_get(env, k, &a[0], NULL, err);                               \
  if (!o) return WASM_TRAP

static wasm_status start_bind(void *env, w2_kind k, const cm_val *a, cm_val *res,
                              wasm_error *err) {
  SOCK(o, k);
  if (!w2_get(env, W2_NETWORK, &a[1], NULL, err)) return WASM_TRAP;
  if (o->u.sock.state != S_UNBOUND) return net_err(res, NE_INVALID_STATE, err);
  struct sockaddr_storage ss;
  socklen_t len;
  if (!addr_from_val(&a[2], &ss, &len, o->u.sock.family))
    return net_err(res, NE_INVALID_ARGUMENT, err);
  int type = k == W2_TCP ? SOCK_STREAM : SOCK_DGRAM;
  struct sockaddr_storage asked = ss;
  int me = net_map(env, WASI2_NET_OP_BIND, type, &ss);
  if (me) return net_err(res, net_code(me), err);
  if (k == W2_TCP) setsockopt(o->fd, SOL_SOCKET, SO_REUSEADDR, &(int){1}, sizeof(int));
  if (bind(o->fd, (struct sockaddr *)&ss, len) != 0) return net_err(res, net_code(errno), err);
  wasi2_ctx *c = env;
  if (c->net_hook && c->net_hook->bound) {
    struct sockaddr_storage real;
    socklen_t rl = sizeof real;
    if (getsockname(o->fd, (struct sockaddr *)&real, &rl) == 0)
      c->net_hook->bound(c->net_hook->env, type, &asked, &real);
  }
  o->u.sock.state = S_BIND_STARTED;
  return w2_ok(res, NULL, err);
}

static wasm_status finish_bind(void *env, w2_kind k, const cm_val *a, cm_val *res,
                               wasm_error *err) {
  SOCK(o, k);
  if (o->u.sock.state != S_BIND_STARTED) return net_err(res, NE_NOT_IN_PROGRESS, err);
  o->u.sock.state = S_BOUND;
  return w2_ok(res, NULL, err);
}

static wasm_status sock_addr(void *env, w2_kind k, const cm_val *a, bool remote, cm_val *res,
                             wasm_error *err) {
  SOCK(o, k);
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  int r = remote ? getpeername(o->fd, (struct sockaddr *)&ss, &len)
                 : getsockname(o->fd, (struct sockaddr *)&ss, &len);
  if (r != 0) return net_err(res, NE_INVALID_STATE, err);
  if (!remote && o->u.sock.state == S_UNBOUND) return net_err(res, NE_INVALID_STATE, err);
  cm_val v;
  if (!addr_to_val((struct sockaddr *)&ss, true, &v)) return w2_nomem(err);
  return w2_ok(res, &v, err);
}

static wasm_status sock_family(void *env, w2_kind k, const cm_val *a, cm_val *res,
                               wasm_error *err) {
  SOCK(o, k);
  *res = w2_enum(o->u.sock.family == AF_INET ? 0 : 1);
  return WASM_OK;
}

/* Socket options: get returns result<T>, set takes value. */
typedef struct sockopt { int level, name; cm_typekind kind; } sockopt;

static wasm_status opt_get(void *env, w2_kind k, const cm_val *a, sockopt so, cm_val *res,
                           wasm_error *err) {
  SOCK(o, k);
  int v = 0;
  socklen_t len = sizeof v;
  int level = so.level, name = so.name;
  if (level == IPPROTO_IP && o->u.sock.family == AF_INET6) {
    level = IPPROTO_IPV6;
    name = name == IP_TTL ? IPV6_UNICAST_HOPS : name;
  }
  if (getsockopt(o->fd, level, name, &v, &len) != 0) return net_err(res, net_code(errno), err);
  cm_val x = {.kind = so.kind};
  if (so.kind == CM_BOOL) x.of.b = v != 0;
  else if (name == TCP_KEEPIDLE || name == TCP_KEEPINTVL) x.of.u = (uint64_t)v * 1000000000u;
  else x.of.u = (uint64_t)(uint32_t)v;
  return w2_ok(res, &x, err);
}

static wasm_status opt_set(void *env, w2_kind k, const cm_val *a, sockopt so, cm_val *res,
                           wasm_error *err) {
  SOCK(o, k);
  uint64_t u = so.kind == CM_BOOL ? a[1].of.b : a[1].of.u;
  int level = so.level, name = so.name;
  if (name == TCP_KEEPIDLE || name == TCP_KEEPINTVL) {
    if (u == 0) return net_err(res, NE_INVALID_ARGUMENT, err);
    u = (u + 999999999u) / 1000000000u;
  }
  if ((name == IP_TTL || name == TCP_KEEPCNT) && u == 0) return net_err(res, NE_INVALID_ARGUMENT, err);
  if (level == IPPROTO_IP && o->u.sock.family == AF_INET6) {
    level = IPPROTO_IPV6;
    name = name == IP_TTL ? IPV6_UNICAST_HOPS : name;
  }
  int v = u > INT32_MAX ? INT32_MAX : (int)u;
  if (setsockopt(o->fd, level, name, &v, sizeof v) != 0) return net_err(res, net_code(errno), err);
  return w2_ok(res, NULL, err);
}

static wasm_status sock_subscribe(void *env, w2_kind k, const cm_val *a, cm_val *res,
                                  wasm_error *err) {
  SOCK(o, k);
  return w2_new_pollable(env, W2_POLL_FD, o->fd, POLLIN | POLLOUT, 0, res, err);
}

/* ---- tcp ---- */

static wasm_status tcp_start_connect(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                     cm_val *res, wasm_error *err) {
  SOCK(o, W2_TCP);
  if (!w2_get(env, W2_NETWORK, &a[1], NULL, err)) return WASM_TRAP;
  if (o->u.sock.state != S_UNBOUND && o->u.sock.state != S_BOUND)
    return net_err(res, NE_INVALID_STATE, err);
  struct sockaddr_storage ss;
  socklen_t len;
  if (!addr_from_val(&a[2], &ss, &len, o->u.sock.family))
    return net_err(res, NE_INVALID_ARGUMENT, err);
  int me = net_map(env, WASI2_NET_OP_CONNECT, SOCK_STREAM, &ss);
  if (me) return net_err(res, net_code(me), err);
  if (connect(o->fd, (struct sockaddr *)&ss, len) != 0 && errno != EINPROGRESS)
    return net_err(res, net_code(errno), err);
  o->u.sock.state = S_CONNECT_STARTED;
  return w2_ok(res, NULL, err);
}

/* tuple<input-stream, output-stream> over a connected socket (dups). */
static bool stream_pair(wasi2_ctx *c, int fd, cm_val *t, wasm_status *st, wasm_error *err) {
  int in = fcntl(fd, F_DUPFD_CLOEXEC, 0), out = in >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
  if (out < 0) {
    if (in >= 0) close(in);
    *st = w2_trap(err, "wasi: out of descriptors");
    return false;
  }
  if (!cm_val_agg(t, CM_TUPLE, 2)) {
    close(in);
    close(out);
    *st = w2_nomem(err);
    return false;
  }
  *st = w2_new_input(c, in, true, W2_IO_SOCKET, 0, &t->of.list.elems[0], err);
  if (*st) close(out);
  else *st = w2_new_output(c, out, true, W2_IO_SOCKET, 0, false, &t->of.list.elems[1], err);
  return *st == WASM_OK;
}

static wasm_status tcp_finish_connect(void *env, cm_instance *caller, const cm_val *a,
                                      size_t n, cm_val *res, wasm_error *err) {
  SOCK(o, W2_TCP);
  if (o->u.sock.state != S_CONNECT_STARTED) return net_err(res, NE_NOT_IN_PROGRESS, err);
  struct pollfd pf = {.fd = o->fd, .events = POLLOUT};
  if (poll(&pf, 1, 0) == 0) return net_err(res, NE_WOULD_BLOCK, err);
  int e = 0;
  socklen_t len = sizeof e;
  getsockopt(o->fd, SOL_SOCKET, SO_ERROR, &e, &len);
  if (e) {
    o->u.sock.state = S_CLOSED;
    return net_err(res, net_code(e), err);
  }
  o->u.sock.state = S_CONNECTED;
  cm_val t;
  wasm_status st;
  if (!stream_pair(env, o->fd, &t, &st, err)) return st;
  return w2_ok(res, &t, err);
}

static wasm_status tcp_start_listen(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                    cm_val *res, wasm_error *err) {
  SOCK(o, W2_TCP);
  if (o->u.sock.state != S_BOUND) return net_err(res, NE_INVALID_STATE, err);
  int bl = o->u.sock.backlog > 4096 ? 4096 : (int)o->u.sock.backlog;
  if (listen(o->fd, bl) != 0) return net_err(res, net_code(errno), err);
  o->u.sock.state = S_LISTEN_STARTED;
  return w2_ok(res, NULL, err);
}

static wasm_status tcp_finish_listen(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                     cm_val *res, wasm_error *err) {
  SOCK(o, W2_TCP);
  if (o->u.sock.state != S_LISTEN_STARTED) return net_err(res, NE_NOT_IN_PROGRESS, err);
  o->u.sock.state = S_LISTENING;
  return w2_ok(res, NULL, err);
}

static wasm_status tcp_accept(void *env, cm_instance *caller, const cm_val *a, size_t n,
                              cm_val *res, wasm_error *err) {
  wasi2_ctx *c = env;
  SOCK(o, W2_TCP);
  if (o->u.sock.state != S_LISTENING) return net_err(res, NE_INVALID_STATE, err);
  int fd = accept4(o->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) return net_err(res, net_code(errno), err);
  int family = o->u.sock.family;
  uint32_t rep;
  w2_obj *s = w2_obj_alloc(c, W2_TCP, &rep);
  if (!s) {
    close(fd);
    return net_err(res, NE_NEW_SOCKET_LIMIT, err);
  }
  s->fd = fd;
  s->own_fd = true;
  s->u.sock.family = family;
  s->u.sock.state = S_CONNECTED;
  cm_val t, streams;
  wasm_status st;
  if (!cm_val_agg(&t, CM_TUPLE, 3)) {
    w2_obj_free(c, rep);
    return w2_nomem(err);
  }
  if ((st = w2_handle(c, W2_TCP, rep, &t.of.list.elems[0], err))) {
    cm_val_free(&t);
    return st;
  }
  if (!stream_pair(c, fd, &streams, &st, err)) {
    cm_linker_resource_drop(c->l, &t.of.list.elems[0], NULL);
    cm_val_free(&t);
    return st;
  }
  t.of.list.elems[1] = streams.of.list.elems[0];
  t.of.list.elems[2] = streams.of.list.elems[1];
  free(streams.of.list.elems);
  return w2_ok(res, &t, err);
}

static wasm_status tcp_is_listening(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                    cm_val *res, wasm_error *err) {
  SOCK(o, W2_TCP);
  *res = w2_bool(o->u.sock.state == S_LISTENING);
  return WASM_OK;
}

static wasm_status tcp_set_backlog(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                   cm_val *res, wasm_error *err) {
  SOCK(o, W2_TCP);
  if (a[1].of.u == 0) return net_err(res, NE_INVALID_ARGUMENT, err);
  o->u.sock.backlog = a[1].of.u;
  if (o->u.sock.state == S_LISTENING)
    listen(o->fd, o->u.sock.backlog > 4096 ? 4096 : (int)o->u.sock.backlog);
  return w2_ok(res, NULL, err);
}

static wasm_status tcp_shutdown(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                cm_val *res, wasm_error *err) {
  SOCK(o, W2_TCP);
  if (o->u.sock.state != S_CONNECTED) return net_err(res, NE_INVALID_STATE, err);
  static const int how[] = {SHUT_RD, SHUT_WR, SHUT_RDWR};
  uint32_t d = a[1].of.variant.disc;
  if (shutdown(o->fd, how[d < 3 ? d : 2]) != 0) return net_err(res, net_code(errno), err);
  return w2_ok(res, NULL, err);
}

/* Thin wrappers: one host function per WIT method, sharing the above. */
#define SOCK_WRAP(name, call)                                                 \
  static wasm_status name(void *env, cm_instance *caller, const cm_val *a,    \
                          size_t n, cm_val *res, wasm_error *err) {           \
    return call;                                                              \
  }
#define OPT(level, nm, kind) ((sockopt){level, nm, kind})
SOCK_WRAP(tcp_start_bind, start_bind(env, W2_TCP, a, res, err))
SOCK_WRAP(tcp_finish_bind, finish_bind(env, W2_TCP, a, res, err))
SOCK_WRAP(tcp_local, sock_addr(env, W2_TCP, a, false, res, err))
SOCK_WRAP(tcp_remote, sock_addr(env, W2_TCP, a, true, res, err))
SOCK_WRAP(tcp_family, sock_family(env, W2_TCP, a, res, err))
SOCK_WRAP(tcp_subscribe, sock_subscribe(env, W2_TCP, a, res, err))
SOCK_WRAP(tcp_ka, opt_get(env, W2_TCP, a, OPT(SOL_SOCKET, SO_KEEPALIVE, CM_BOOL), res, err))
SOCK_WRAP(tcp_set_ka, opt_set(env, W2_TCP, a, OPT(SOL_SOCKET, SO_KEEPALIVE, CM_BOOL), res, err))
SOCK_WRAP(tcp_kidle, opt_get(env, W2_TCP, a, OPT(IPPROTO_TCP, TCP_KEEPIDLE, CM_U64), res, err))
SOCK_WRAP(tcp_set_kidle, opt_set(env, W2_TCP, a, OPT(IPPROTO_TCP, TCP_KEEPIDLE, CM_U64), res, err))
SOCK_WRAP(tcp_kintvl, opt_get(env, W2_TCP, a, OPT(IPPROTO_TCP, TCP_KEEPINTVL, CM_U64), res, err))
SOCK_WRAP(tcp_set_kintvl, opt_set(env, W2_TCP, a, OPT(IPPROTO_TCP, TCP_KEEPINTVL, CM_U64), res, err))
SOCK_WRAP(tcp_kcnt, opt_get(env, W2_TCP, a, OPT(IPPROTO_TCP, TCP_KEEPCNT, CM_U32), res, err))
SOCK_WRAP(tcp_set_kcnt, opt_set(env, W2_TCP, a, OPT(IPPROTO_TCP, TCP_KEEPCNT, CM_U32), res, err))
SOCK_WRAP(tcp_hop, opt_get(env, W2_TCP, a, OPT(IPPROTO_IP, IP_TTL, CM_U8), res, err))
SOCK_WRAP(tcp_set_hop, opt_set(env, W2_TCP, a, OPT(IPPROTO_IP, IP_TTL, CM_U8), res, err))
SOCK_WRAP(tcp_rcvbuf, opt_get(env, W2_TCP, a, OPT(SOL_SOCKET, SO_RCVBUF, CM_U64), res, err))
SOCK_WRAP(tcp_set_rcvbuf, opt_set(env, W2_TCP, a, OPT(SOL_SOCKET, SO_RCVBUF, CM_U64), res, err))
SOCK_WRAP(tcp_sndbuf, opt_get(env, W2_TCP, a, OPT(SOL_SOCKET, SO_SNDBUF, CM_U64), res, err))
SOCK_WRAP(tcp_set_sndbuf, opt_set(env, W2_TCP, a, OPT(SOL_SOCKET, SO_SNDBUF, CM_U64), res, err))
SOCK_WRAP(udp_start_bind, start_bind(env, W2_UDP, a, res, err))
SOCK_WRAP(udp_finish_bind, finish_bind(env, W2_UDP, a, res, err))
SOCK_WRAP(udp_local, sock_addr(env, W2_UDP, a, false, res, err))
SOCK_WRAP(udp_remote, sock_addr(env, W2_UDP, a, true, res, err))
SOCK_WRAP(udp_family, sock_family(env, W2_UDP, a, res, err))
SOCK_WRAP(udp_subscribe, sock_subscribe(env, W2_UDP, a, res, err))
SOCK_WRAP(udp_hop, opt_get(env, W2_UDP, a, OPT(IPPROTO_IP, IP_TTL, CM_U8), res, err))
SOCK_WRAP(udp_set_hop, opt_set(env, W2_UDP, a, OPT(IPPROTO_IP, IP_TTL, CM_U8), res, err))
SOCK_WRAP(udp_rcvbuf, opt_get(env, W2_UDP, a, OPT(SOL_SOCKET, SO_RCVBUF, CM_U64), res, err))
SOCK_WRAP(udp_set_rcvbuf, opt_set(env, W2_UDP, a, OPT(SOL_SOCKET, SO_RCVBUF, CM_U64), res, err))
SOCK_WRAP(udp_sndbuf, opt_get(env, W2_UDP, a, OPT(SOL_SOCKET, SO_SNDBUF, CM_U64), res, err))
SOCK_WRAP(udp_set_sndbuf, opt_set(env, W2_UDP, a, OPT(SOL_SOCKET, SO_SNDBUF, CM_U64), res, err))

/* ---- udp datagram streams ---- */

static wasm_status udp_stream(void *env, cm_instance *caller, const cm_val *a, size_t n,
                              cm_val *res, wasm_error *err) {
  wasi2_ctx *c = env;
  SOCK(o, W2_UDP);
  if (o->u.sock.state != S_BOUND && o->u.sock.state != S_CONNECTED)
    return net_err(res, NE_INVALID_STATE, err);
  if (a[1].kind == CM_OPTION && a[1].of.variant.disc == 1) {
    struct sockaddr_storage ss;
    socklen_t len;
    if (!addr_from_val(a[1].of.variant.payload, &ss, &len, o->u.sock.family))
      return net_err(res, NE_INVALID_ARGUMENT, err);
    int me = net_map(c, WASI2_NET_OP_CONNECT, SOCK_DGRAM, &ss);
    if (me) return net_err(res, net_code(me), err);
    if (connect(o->fd, (struct sockaddr *)&ss, len) != 0) return net_err(res, net_code(errno), err);
    o->u.sock.state = S_CONNECTED;
  } else if (o->u.sock.state == S_CONNECTED) {
    struct sockaddr sa = {.sa_family = AF_UNSPEC};
    connect(o->fd, &sa, sizeof sa); /* disconnect */
    o->u.sock.state = S_BOUND;
  }
  cm_val t;
  if (!cm_val_agg(&t, CM_TUPLE, 2)) return w2_nomem(err);
  w2_kind kinds[2] = {W2_IN_DGRAM, W2_OUT_DGRAM};
  for (int i = 0; i < 2; i++) {
    uint32_t rep;
    w2_obj *s = w2_obj_alloc(c, kinds[i], &rep);
    int fd = s ? fcntl(o->fd, F_DUPFD_CLOEXEC, 0) : -1;
    wasm_status st = WASM_OK;
    if (!s) st = w2_trap(err, "wasi: too many resources");
    else if (fd < 0) {
      w2_obj_free(c, rep);
      st = w2_trap(err, "wasi: out of descriptors");
    } else {
      s->fd = fd;
      s->own_fd = true;
      s->u.sock.family = o->u.sock.family;
      s->u.sock.state = o->u.sock.state;
      st = w2_handle(c, kinds[i], rep, &t.of.list.elems[i], err);
    }
    if (st) {
      if (i == 1) cm_linker_resource_drop(c->l, &t.of.list.elems[0], NULL);
      cm_val_free(&t);
      return st;
    }
  }
  return w2_ok(res, &t, err);
}

#define W2_MAX_DGRAMS 1024

static wasm_status in_receive(void *env, cm_instance *caller, const cm_val *a, size_t n,
                              cm_val *res, wasm_error *err) {
  SOCK(o, W2_IN_DGRAM);
  uint64_t max = a[1].of.u > W2_MAX_DGRAMS ? W2_MAX_DGRAMS : a[1].of.u;
  cm_val list;
  if (!cm_val_agg(&list, CM_LIST, max)) return w2_nomem(err);
  uint8_t *buf = malloc(65536); /* contexts may run on several threads */
  if (!buf) {
    cm_val_free(&list);
    return w2_nomem(err);
  }
  size_t got = 0;
  while (got < max) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    ssize_t r = recvfrom(o->fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&ss, &len);
    if (r < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || got) break;
      int e = errno;
      free(buf);
      cm_val_free(&list);
      return net_err(res, net_code(e), err);
    }
    cm_val *d = &list.of.list.elems[got];
    if (!cm_val_agg(d, CM_RECORD, 2) || !cm_val_bytes(&d->of.list.elems[0], buf, (size_t)r) ||
        !addr_to_val((struct sockaddr *)&ss, true, &d->of.list.elems[1])) {
      free(buf);
      cm_val_free(&list);
      return w2_nomem(err);
    }
    got++;
  }
  free(buf);
  list.of.list.n = got; /* the rest are zeroed (kind 0, nothing owned) */
  return w2_ok(res, &list, err);
}

static wasm_status out_check_send(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                  cm_val *res, wasm_error *err) {
  SOCK(o, W2_OUT_DGRAM);
  struct pollfd pf = {.fd = o->fd, .events = POLLOUT};
  cm_val v = w2_u64(poll(&pf, 1, 0) > 0 ? 64 : 0);
  return w2_ok(res, &v, err);
}

static wasm_status out_send(void *env, cm_instance *caller, const cm_val *a, size_t n,
                            cm_val *res, wasm_error *err) {
  SOCK(o, W2_OUT_DGRAM);
  const cm_val *list = &a[1];
  uint64_t sent = 0;
  for (size_t i = 0; i < list->of.list.n; i++) {
    const cm_val *d = &list->of.list.elems[i];
    if (d->kind != CM_RECORD || d->of.list.n != 2 || d->of.list.elems[0].kind != CM_LIST ||
        d->of.list.elems[1].kind != CM_OPTION)
      return w2_trap(err, "wasi:sockets/udp: malformed outgoing-datagram");
    size_t len;
    uint8_t *buf = w2_arg_bytes(&d->of.list.elems[0], &len);
    if (!buf) return w2_nomem(err);
    const cm_val *to = &d->of.list.elems[1];
    struct sockaddr_storage ss;
    socklen_t sl = 0;
    ssize_t r;
    if (to->of.variant.disc == 1) {
      if (!addr_from_val(to->of.variant.payload, &ss, &sl, o->u.sock.family)) {
        free(buf);
        if (sent) break;
        return net_err(res, NE_INVALID_ARGUMENT, err);
      }
      int me = net_map(env, WASI2_NET_OP_CONNECT, SOCK_DGRAM, &ss);
      if (me) {
        free(buf);
        if (sent) break;
        return net_err(res, net_code(me), err);
      }
      r = sendto(o->fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&ss, sl);
    } else {
      r = send(o->fd, buf, len, MSG_DONTWAIT);
    }
    free(buf);
    if (r < 0) {
      if (sent || errno == EAGAIN) break;
      return net_err(res, net_code(errno), err);
    }
    sent++;
  }
  cm_val v = w2_u64(sent);
  return w2_ok(res, &v, err);
}

static wasm_status dgram_subscribe(void *env, w2_kind k, const cm_val *a, short ev,
                                   cm_val *res, wasm_error *err) {
  SOCK(o, k);
  return w2_new_pollable(env, W2_POLL_FD, o->fd, ev, 0, res, err);
}
SOCK_WRAP(in_subscribe, dgram_subscribe(env, W2_IN_DGRAM, a, POLLIN, res, err))
SOCK_WRAP(out_subscribe, dgram_subscribe(env, W2_OUT_DGRAM, a, POLLOUT, res, err))

/* ---- ip-name-lookup ----
 * Resolved at once (getaddrinfo) but reported the spec's way: only a
 * syntactically invalid name fails resolve-addresses; a lookup failure
 * is kept and returned by the first resolve-next-address, after which
 * the stream (like an exhausted one) yields none. The stream is always
 * ready, so subscribe gives a ready pollable and would-block never
 * occurs. */

typedef struct w2_addrs { size_t n, next; struct sockaddr_storage a[]; } w2_addrs;

static wasm_status resolve_addresses(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                     cm_val *res, wasm_error *err) {
  wasi2_ctx *c = env;
  if (!w2_get(c, W2_NETWORK, &a[0], NULL, err)) return WASM_TRAP;
  if (!(c->network & WASI2_NET_LOOKUP)) return net_err(res, NE_ACCESS_DENIED, err);
  bool bad;
  char *name = w2_arg_str(&a[1], &bad);
  if (!name) return bad ? net_err(res, NE_INVALID_ARGUMENT, err) : w2_nomem(err);
  if (!name[0] || strlen(name) > 253) {
    free(name);
    return net_err(res, NE_INVALID_ARGUMENT, err);
  }
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
  int r = getaddrinfo(name, NULL, &hints, &ai);
  free(name);
  int code = 0;
  if (r != 0)
    code = r == EAI_AGAIN ? NE_TEMPORARY_RESOLVER
           : r == EAI_NONAME || r == EAI_NODATA ? NE_NAME_UNRESOLVABLE
                                               : NE_PERMANENT_RESOLVER;
  size_t cnt = 0;
  for (struct addrinfo *p = ai; p && cnt < 256; p = p->ai_next) cnt++;
  w2_addrs *list = calloc(1, sizeof *list + cnt * sizeof list->a[0]);
  if (!list) {
    if (ai) freeaddrinfo(ai);
    return w2_nomem(err);
  }
  for (struct addrinfo *p = ai; p && list->n < cnt; p = p->ai_next)
    if (p->ai_family == AF_INET || p->ai_family == AF_INET6)
      memcpy(&list->a[list->n++], p->ai_addr, p->ai_addrlen);
  if (ai) freeaddrinfo(ai);
  uint32_t rep;
  w2_obj *o = w2_obj_alloc(c, W2_RESOLVE, &rep);
  if (!o) {
    free(list);
    return w2_trap(err, "wasi: too many resources");
  }
  o->u.sock.addrs = list;
  o->u.sock.lookup_errno = code;
  cm_val h;
  wasm_status st = w2_handle(c, W2_RESOLVE, rep, &h, err);
  return st ? st : w2_ok(res, &h, err);
}

static wasm_status resolve_next(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                cm_val *res, wasm_error *err) {
  SOCK(o, W2_RESOLVE);
  w2_addrs *l = o->u.sock.addrs;
  cm_val opt;
  if (o->u.sock.lookup_errno) {
    int code = o->u.sock.lookup_errno;
    o->u.sock.lookup_errno = 0; /* reported once, then the stream is done */
    return net_err(res, (uint32_t)code, err);
  }
  if (!l || l->next >= l->n) {
    cm_val_case(&opt, CM_OPTION, 0, NULL);
    return w2_ok(res, &opt, err);
  }
  cm_val ip;
  if (!addr_to_val((struct sockaddr *)&l->a[l->next++], false, &ip)) return w2_nomem(err);
  if (!cm_val_case(&opt, CM_OPTION, 1, &ip)) return w2_nomem(err);
  return w2_ok(res, &opt, err);
}

static wasm_status resolve_subscribe(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                     cm_val *res, wasm_error *err) {
  SOCK(o, W2_RESOLVE);
  return w2_new_pollable(env, W2_POLL_READY, -1, 0, 0, res, err);
}

/* ---- WIT ---- */

static const char WIT_NETWORK[] =
    "interface network {\n"
    "  resource network;\n"
    "  enum error-code { unknown, access-denied, not-supported, invalid-argument,\n"
    "    out-of-memory, timeout, concurrency-conflict, not-in-progress, would-block,\n"
    "    invalid-state, new-socket-limit, address-not-bindable, address-in-use,\n"
    "    remote-unreachable, connection-refused, connection-reset, connection-aborted,\n"
    "    datagram-too-large, name-unresolvable, temporary-resolver-failure,\n"
    "    permanent-resolver-failure }\n"
    "  network-error-code: func(err: borrow<error>) -> option<error-code>;\n"
    "  enum ip-address-family { ipv4, ipv6 }\n"
    "  // type ipv4-address = tuple<u8, u8, u8, u8>;\n"
    "  // type ipv6-address = tuple<u16, u16, u16, u16, u16, u16, u16, u16>;\n"
    "  variant ip-address { ipv4(ipv4-address), ipv6(ipv6-address) }\n"
    "  record ipv4-socket-address { port: u16, address: ipv4-address }\n"
    "  record ipv6-socket-address { port: u16, flow-info: u32, address: ipv6-address,\n"
    "    scope-id: u32 }\n"
    "  variant ip-socket-address { ipv4(ipv4-socket-address), ipv6(ipv6-socket-address) }\n"
    "}\n";

static const char WIT_INSTANCE_NETWORK[] =
    "interface instance-network {\n"
    "  instance-network: func() -> network;\n"
    "}\n";

static const char WIT_LOOKUP[] =
    "interface ip-name-lookup {\n"
    "  resolve-addresses: func(network: borrow<network>, name: string)\n"
    "    -> result<resolve-address-stream, error-code>;\n"
    "  resource resolve-address-stream {\n"
    "    resolve-next-address: func() -> result<option<ip-address>, error-code>;\n"
    "    subscribe: func() -> pollable;\n"
    "  }\n"
    "}\n";

static const char WIT_TCP_CREATE[] =
    "interface tcp-create-socket {\n"
    "  create-tcp-socket: func(address-family: ip-address-family)\n"
    "    -> result<tcp-socket, error-code>;\n"
    "}\n";

static const char WIT_TCP[] =
    "interface tcp {\n"
    "  // use wasi:clocks/monotonic-clock.{duration}: u64 below\n"
    "  enum shutdown-type { receive, send, both }\n"
    "  resource tcp-socket {\n"
    "    start-bind: func(network: borrow<network>, local-address: ip-socket-address)\n"
    "      -> result<_, error-code>;\n"
    "    finish-bind: func() -> result<_, error-code>;\n"
    "    start-connect: func(network: borrow<network>, remote-address: ip-socket-address)\n"
    "      -> result<_, error-code>;\n"
    "    finish-connect: func() -> result<tuple<input-stream, output-stream>, error-code>;\n"
    "    start-listen: func() -> result<_, error-code>;\n"
    "    finish-listen: func() -> result<_, error-code>;\n"
    "    accept: func() -> result<tuple<tcp-socket, input-stream, output-stream>, error-code>;\n"
    "    local-address: func() -> result<ip-socket-address, error-code>;\n"
    "    remote-address: func() -> result<ip-socket-address, error-code>;\n"
    "    is-listening: func() -> bool;\n"
    "    address-family: func() -> ip-address-family;\n"
    "    set-listen-backlog-size: func(value: u64) -> result<_, error-code>;\n"
    "    keep-alive-enabled: func() -> result<bool, error-code>;\n"
    "    set-keep-alive-enabled: func(value: bool) -> result<_, error-code>;\n"
    "    keep-alive-idle-time: func() -> result<u64, error-code>;\n"
    "    set-keep-alive-idle-time: func(value: u64) -> result<_, error-code>;\n"
    "    keep-alive-interval: func() -> result<u64, error-code>;\n"
    "    set-keep-alive-interval: func(value: u64) -> result<_, error-code>;\n"
    "    keep-alive-count: func() -> result<u32, error-code>;\n"
    "    set-keep-alive-count: func(value: u32) -> result<_, error-code>;\n"
    "    hop-limit: func() -> result<u8, error-code>;\n"
    "    set-hop-limit: func(value: u8) -> result<_, error-code>;\n"
    "    receive-buffer-size: func() -> result<u64, error-code>;\n"
    "    set-receive-buffer-size: func(value: u64) -> result<_, error-code>;\n"
    "    send-buffer-size: func() -> result<u64, error-code>;\n"
    "    set-send-buffer-size: func(value: u64) -> result<_, error-code>;\n"
    "    subscribe: func() -> pollable;\n"
    "    shutdown: func(shutdown-type: shutdown-type) -> result<_, error-code>;\n"
    "  }\n"
    "}\n";

static const char WIT_UDP_CREATE[] =
    "interface udp-create-socket {\n"
    "  create-udp-socket: func(address-family: ip-address-family)\n"
    "    -> result<udp-socket, error-code>;\n"
    "}\n";

static const char WIT_UDP[] =
    "interface udp {\n"
    "  record incoming-datagram { data: list<u8>, remote-address: ip-socket-address }\n"
    "  record outgoing-datagram { data: list<u8>, remote-address: option<ip-socket-address> }\n"
    "  resource udp-socket {\n"
    "    start-bind: func(network: borrow<network>, local-address: ip-socket-address)\n"
    "      -> result<_, error-code>;\n"
    "    finish-bind: func() -> result<_, error-code>;\n"
    "    %stream: func(remote-address: option<ip-socket-address>)\n"
    "      -> result<tuple<incoming-datagram-stream, outgoing-datagram-stream>, error-code>;\n"
    "    local-address: func() -> result<ip-socket-address, error-code>;\n"
    "    remote-address: func() -> result<ip-socket-address, error-code>;\n"
    "    address-family: func() -> ip-address-family;\n"
    "    unicast-hop-limit: func() -> result<u8, error-code>;\n"
    "    set-unicast-hop-limit: func(value: u8) -> result<_, error-code>;\n"
    "    receive-buffer-size: func() -> result<u64, error-code>;\n"
    "    set-receive-buffer-size: func(value: u64) -> result<_, error-code>;\n"
    "    send-buffer-size: func() -> result<u64, error-code>;\n"
    "    set-send-buffer-size: func(value: u64) -> result<_, error-code>;\n"
    "    subscribe: func() -> pollable;\n"
    "  }\n"
    "  resource incoming-datagram-stream {\n"
    "    receive: func(max-results: u64) -> result<list<incoming-datagram>, error-code>;\n"
    "    subscribe: func() -> pollable;\n"
    "  }\n"
    "  resource outgoing-datagram-stream {\n"
    "    check-send: func() -> result<u64, error-code>;\n"
    "    send: func(datagrams: list<outgoing-datagram>) -> result<u64, error-code>;\n"
    "    subscribe: func() -> pollable;\n"
    "  }\n"
    "}\n";

#define NFN(a) (sizeof(a) / sizeof((a)[0]))

wasm_status w2_link_sockets(wasi2_ctx *c, wasm_error *err) {
  static const w2_fn network[] = {{"network-error-code", network_error_code}};
  static const w2_fn inst[] = {{"instance-network", instance_network}};
  static const w2_fn lookup[] = {
      {"resolve-addresses", resolve_addresses},
      {"[method]resolve-address-stream.resolve-next-address", resolve_next},
      {"[method]resolve-address-stream.subscribe", resolve_subscribe},
  };
  static const w2_fn tcp_create[] = {{"create-tcp-socket", create_tcp}};
  static const w2_fn udp_create[] = {{"create-udp-socket", create_udp}};
#define T(m, f) {"[method]tcp-socket." m, f}
  static const w2_fn tcp[] = {
      T("start-bind", tcp_start_bind), T("finish-bind", tcp_finish_bind),
      T("start-connect", tcp_start_connect), T("finish-connect", tcp_finish_connect),
      T("start-listen", tcp_start_listen), T("finish-listen", tcp_finish_listen),
      T("accept", tcp_accept), T("local-address", tcp_local), T("remote-address", tcp_remote),
      T("is-listening", tcp_is_listening), T("address-family", tcp_family),
      T("set-listen-backlog-size", tcp_set_backlog), T("keep-alive-enabled", tcp_ka),
      T("set-keep-alive-enabled", tcp_set_ka), T("keep-alive-idle-time", tcp_kidle),
      T("set-keep-alive-idle-time", tcp_set_kidle), T("keep-alive-interval", tcp_kintvl),
      T("set-keep-alive-interval", tcp_set_kintvl), T("keep-alive-count", tcp_kcnt),
      T("set-keep-alive-count", tcp_set_kcnt), T("hop-limit", tcp_hop),
      T("set-hop-limit", tcp_set_hop), T("receive-buffer-size", tcp_rcvbuf),
      T("set-receive-buffer-size", tcp_set_rcvbuf), T("send-buffer-size", tcp_sndbuf),
      T("set-send-buffer-size", tcp_set_sndbuf), T("subscribe", tcp_subscribe),
      T("shutdown", tcp_shutdown),
  };
#undef T
#define U(m, f) {"[method]udp-socket." m, f}
  static const w2_fn udp[] = {
      U("start-bind", udp_start_bind), U("finish-bind", udp_finish_bind),
      U("stream", udp_stream), U("local-address", udp_local), U("remote-address", udp_remote),
      U("address-family", udp_family), U("unicast-hop-limit", udp_hop),
      U("set-unicast-hop-limit", udp_set_hop), U("receive-buffer-size", udp_rcvbuf),
      U("set-receive-buffer-size", udp_set_rcvbuf), U("send-buffer-size", udp_sndbuf),
      U("set-send-buffer-size", udp_set_sndbuf), U("subscribe", udp_subscribe),
      {"[method]incoming-datagram-stream.receive", in_receive},
      {"[method]incoming-datagram-stream.subscribe", in_subscribe},
      {"[method]outgoing-datagram-stream.check-send", out_check_send},
      {"[method]outgoing-datagram-stream.send", out_send},
      {"[method]outgoing-datagram-stream.subscribe", out_subscribe},
  };
#undef U
  static const struct { const char *iface, *wit; const w2_fn *fns; size_t n; } ifs[] = {
      {"wasi:sockets/network", WIT_NETWORK, network, NFN(network)},
      {"wasi:sockets/instance-network", WIT_INSTANCE_NETWORK, inst, NFN(inst)},
      {"wasi:sockets/ip-name-lookup", WIT_LOOKUP, lookup, NFN(lookup)},
      {"wasi:sockets/tcp", WIT_TCP, tcp, NFN(tcp)},
      {"wasi:sockets/tcp-create-socket", WIT_TCP_CREATE, tcp_create, NFN(tcp_create)},
      {"wasi:sockets/udp", WIT_UDP, udp, NFN(udp)},
      {"wasi:sockets/udp-create-socket", WIT_UDP_CREATE, udp_create, NFN(udp_create)},
  };
  for (size_t i = 0; i < NFN(ifs); i++) {
    wasm_status st = w2_define(c, ifs[i].iface, ifs[i].wit, ifs[i].fns, ifs[i].n, err);
    if (st) return st;
  }
  return WASM_OK;
}
