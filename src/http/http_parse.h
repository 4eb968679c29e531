/*
 * http_parse.h: the HTTP/1.1 request-head parser and the chunked-body
 * decoder of the server (internal to src/http/). Pure: no I/O, no
 * allocation; the caller owns every buffer. Fuzzed by fuzz/fuzz_http.c.
 */
#ifndef STRATUS_HTTP_PARSE_H
#define STRATUS_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "stratus/http.h"

/* How the request body is framed. */
enum { HP_BODY_NONE = 0, HP_BODY_LENGTH, HP_BODY_CHUNKED };

/* ---- request head ---- */

typedef struct hp_head {
  /* The request, valid once hp_head_parse returned > 0. The strings point
   * into the caller's buffer, which the parser NUL-terminates in place
   * (method, target, every header value; names are followed by ':' turned
   * into NUL as well). */
  char *method;
  char *target;
  int version_minor;
  http_header *headers; /* caller's array of max_headers */
  size_t nheaders, max_headers;
  const char *host; /* the Host value, NULL when absent */
  int body;         /* HP_BODY_* */
  uint64_t content_length;
  bool keep_alive;      /* from the version and the Connection header */
  bool expect_continue; /* Expect: 100-continue with a body */
  /* When hp_head_parse returned -1: the response status (400, 417, 431,
   * 501, 505) and a short static reason. */
  int status;
  const char *error;
  /* scanner state between calls */
  size_t start;   /* first byte of the request line (empty lines skipped) */
  size_t scanned; /* bytes searched for the end of the head */
  size_t checked; /* bytes of the method checked so far */
  bool begun;     /* the request line has started */
  bool method_ok; /* the method was checked up to its space */
} hp_head;

/* Resets h for a new request; headers is an array of max_headers. */
void hp_head_init(hp_head *h, http_header *headers, size_t max_headers);
/* Looks at the len bytes received so far (the same buffer, growing,
 * between calls; it may move). Returns 0 when the head is not complete
 * yet, -1 on an error (h->status, h->error: also when the head is over
 * max_bytes, 431), or the length of the head including its final empty
 * line (and any empty lines before the request line): the body or the
 * next request starts there. Only the complete head is modified. */
ssize_t hp_head_parse(hp_head *h, char *buf, size_t len, size_t max_bytes);

/* Parses header lines (each ending with LF, optionally CR LF) filling
 * buf[0..len) into out (at most max, else 431), NUL-terminating names and
 * values in place. Returns 0, or the error status with *error set. Used
 * for heads and for the trailers of chunked bodies. */
int hp_fields_parse(char *buf, size_t len, http_header *out, size_t max, size_t *n,
                    const char **error);

/* True when the n bytes at s are a token (RFC 9110 tchar+). */
bool hp_is_token(const char *s, size_t n);
/* Case-insensitive comparison of a header name with a lower-case literal. */
bool hp_name_is(const http_header *h, const char *lower);
/* The value of a decimal Content-Length ("5", also "5, 5"); false when it
 * is not one. */
bool hp_parse_length(const char *s, size_t n, uint64_t *out);

/* ---- chunked body ---- */

enum {
  HP_CK_SIZE = 0, /* reading a chunk-size line */
  HP_CK_EXT,      /* in the chunk extensions (ignored) */
  HP_CK_SIZE_LF,  /* CR seen after the size line */
  HP_CK_DATA,     /* remaining data bytes of the chunk follow */
  HP_CK_DATA_CR,  /* expecting CR LF after the data */
  HP_CK_DATA_LF,
  HP_CK_TRAILER_START, /* at the start of a trailer line (or the end) */
  HP_CK_TRAILER,       /* inside a trailer line */
  HP_CK_END_LF,        /* CR seen on the final empty line */
  HP_CK_DONE,
  HP_CK_ERROR,
};

typedef struct hp_chunked {
  int state;
  uint64_t remaining; /* data bytes left in the current chunk */
  size_t line;        /* bytes of the current size line (a limit) */
  int digits;         /* hex digits of the current size */
  /* The trailer section's raw lines, copied into the caller's buffer for
   * hp_fields_parse once HP_CK_DONE. */
  char *tbuf;
  size_t tcap, tlen;
  const char *error; /* when HP_CK_ERROR */
} hp_chunked;

void hp_chunked_init(hp_chunked *d, char *tbuf, size_t tcap);
/* Consumes framing bytes from in[0..len) and returns how many. Stops
 * where chunk data begins (state HP_CK_DATA: up to d->remaining data
 * bytes follow at in + returned; take some and call hp_chunked_took), at
 * HP_CK_DONE or HP_CK_ERROR, or at the end of the input. */
size_t hp_chunked_scan(hp_chunked *d, const char *in, size_t len);
/* n data bytes (at most d->remaining) were taken. */
void hp_chunked_took(hp_chunked *d, size_t n);

#endif
