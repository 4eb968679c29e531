/*
 * http_parse.c: the request-head parser and the chunked-body decoder
 * (RFC 9112). Strict where leniency lets two parsers disagree about where
 * a message ends (obs-fold, bare CR, Content-Length with
 * Transfer-Encoding, conflicting lengths); a lone LF ends a line, as the
 * RFC allows.
 */
#include "http/http_parse.h"

#include <string.h>

/* RFC 9110 tchar: letters, digits and !#$%&'*+-.^_`|~ */
static const uint8_t tchar[256] = {
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1,
    ['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1,
    ['~'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
    ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1,
    ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1,
    ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1,
    ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1,
    ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
    ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1,
    ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

bool hp_is_token(const char *s, size_t n) {
  if (n == 0) return false;
  for (size_t i = 0; i < n; i++)
    if (!tchar[(uint8_t)s[i]]) return false;
  return true;
}

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static bool eq_nocase(const char *s, size_t n, const char *lower_lit) {
  size_t m = strlen(lower_lit);
  if (n != m) return false;
  for (size_t i = 0; i < n; i++)
    if (lower((uint8_t)s[i]) != lower_lit[i]) return false;
  return true;
}

bool hp_name_is(const http_header *h, const char *lower_lit) {
  return eq_nocase(h->name, h->name_len, lower_lit);
}

static bool ows(char c) { return c == ' ' || c == '\t'; }

/* Calls fn for each non-empty element of a comma-separated list value,
 * with surrounding whitespace trimmed; stops when fn returns false. */
typedef bool (*list_fn)(void *env, const char *s, size_t n);
static bool each_element(const char *v, size_t n, list_fn fn, void *env) {
  size_t i = 0;
  while (i < n) {
    size_t j = i;
    while (j < n && v[j] != ',') j++;
    size_t a = i, b = j;
    while (a < b && ows(v[a])) a++;
    while (b > a && ows(v[b - 1])) b--;
    if (b > a && !fn(env, v + a, b - a)) return false;
    i = j + 1;
  }
  return true;
}

typedef struct length_acc {
  uint64_t value;
  bool seen, bad;
} length_acc;

static bool length_element(void *env, const char *s, size_t n) {
  length_acc *a = env;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t d = (uint64_t)(s[i] - '0');
    if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - d) / 10) {
      a->bad = true;
      return false;
    }
    v = v * 10 + d;
  }
  if (a->seen && v != a->value) {
    a->bad = true;
    return false;
  }
  a->value = v;
  a->seen = true;
  return true;
}

bool hp_parse_length(const char *s, size_t n, uint64_t *out) {
  length_acc a = {0};
  each_element(s, n, length_element, &a);
  if (a.bad || !a.seen) return false;
  *out = a.value;
  return true;
}

/* ---- header fields ---- */

int hp_fields_parse(char *buf, size_t len, http_header *out, size_t max, size_t *n,
                    const char **error) {
  size_t i = 0, count = 0;
  while (i < len) {
    char *line = buf + i;
    char *lf = memchr(line, '\n', len - i);
    if (!lf) { /* callers pass whole lines; defensive */
      *error = "incomplete header line";
      return 400;
    }
    size_t llen = (size_t)(lf - line);
    i += llen + 1;
    if (llen > 0 && line[llen - 1] == '\r') llen--;
    if (llen == 0) {
      *error = "empty header line";
      return 400;
    }
    if (ows(line[0])) {
      *error = "obsolete header line folding";
      return 400;
    }
    char *colon = memchr(line, ':', llen);
    if (!colon || !hp_is_token(line, (size_t)(colon - line))) {
      *error = "invalid header name";
      return 400;
    }
    size_t a = (size_t)(colon - line) + 1, b = llen;
    while (a < b && ows(line[a])) a++;
    while (b > a && ows(line[b - 1])) b--;
    for (size_t k = a; k < b; k++) {
      uint8_t c = (uint8_t)line[k];
      if ((c < 0x20 && c != '\t') || c == 0x7f) {
        *error = "invalid character in header value";
        return 400;
      }
    }
    if (count == max) {
      *error = "too many header fields";
      return 431;
    }
    http_header *h = &out[count++];
    h->name = line;
    h->name_len = (size_t)(colon - line);
    h->value = line + a;
    h->value_len = b - a;
    *colon = '\0';
    line[b] = '\0'; /* over the trailing whitespace, CR or LF */
  }
  *n = count;
  return 0;
}

/* ---- request head ---- */

void hp_head_init(hp_head *h, http_header *headers, size_t max_headers) {
  memset(h, 0, sizeof *h);
  h->headers = headers;
  h->max_headers = max_headers;
}

static ssize_t fail(hp_head *h, int status, const char *error) {
  h->status = status;
  h->error = error;
  return -1;
}

typedef struct te_acc {
  int chunked, other;
} te_acc;

static bool te_element(void *env, const char *s, size_t n) {
  te_acc *a = env;
  if (eq_nocase(s, n, "chunked"))
    a->chunked++;
  else
    a->other++;
  return true;
}

typedef struct conn_acc {
  bool close, keep_alive;
} conn_acc;

static bool conn_element(void *env, const char *s, size_t n) {
  conn_acc *a = env;
  if (eq_nocase(s, n, "close")) a->close = true;
  if (eq_nocase(s, n, "keep-alive")) a->keep_alive = true;
  return true;
}

/* A Host value: reg-name, IPv4 or [IPv6], with an optional port; the
 * check only keeps out what could confuse a URL built from it. */
static bool host_ok(const char *v, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint8_t c = (uint8_t)v[i];
    if (c <= 0x20 || c >= 0x7f || strchr("/\\?#@\"<>{}|^`", c)) return false;
  }
  return true;
}

/* The request line line[0..n): METHOD SP target SP HTTP/x.y */
static ssize_t parse_request_line(hp_head *h, char *line, size_t n) {
  char *sp1 = memchr(line, ' ', n);
  if (!sp1 || sp1 == line || !hp_is_token(line, (size_t)(sp1 - line)))
    return fail(h, 400, "invalid request line");
  char *target = sp1 + 1, *end = line + n;
  char *sp2 = memchr(target, ' ', (size_t)(end - target));
  if (!sp2 || sp2 == target) return fail(h, 400, "invalid request line");
  for (char *p = target; p < sp2; p++)
    if ((uint8_t)*p <= 0x20 || (uint8_t)*p >= 0x7f)
      return fail(h, 400, "invalid character in request target");
  char *ver = sp2 + 1;
  size_t vlen = (size_t)(end - ver);
  if (vlen != 8 || memcmp(ver, "HTTP/", 5) != 0 || ver[5] < '0' || ver[5] > '9' ||
      ver[6] != '.' || ver[7] < '0' || ver[7] > '9')
    return fail(h, 400, "invalid HTTP version");
  if (ver[5] != '1' || (ver[7] != '0' && ver[7] != '1'))
    return fail(h, 505, "HTTP version not supported");
  h->version_minor = ver[7] - '0';
  *sp1 = '\0';
  *sp2 = '\0';
  h->method = line;
  h->target = target;
  return 0;
}

/* Framing and connection semantics from the parsed headers. */
static ssize_t interpret(hp_head *h) {
  bool has_length = false;
  uint64_t length = 0;
  te_acc te = {0};
  bool has_te = false;
  conn_acc conn = {0};
  int hosts = 0;
  for (size_t i = 0; i < h->nheaders; i++) {
    const http_header *f = &h->headers[i];
    switch (lower((uint8_t)f->name[0])) {
    case 'c':
      if (hp_name_is(f, "content-length")) {
        uint64_t v;
        if (!hp_parse_length(f->value, f->value_len, &v) || (has_length && v != length))
          return fail(h, 400, "invalid Content-Length");
        has_length = true;
        length = v;
      } else if (hp_name_is(f, "connection")) {
        each_element(f->value, f->value_len, conn_element, &conn);
      }
      break;
    case 't':
      if (hp_name_is(f, "transfer-encoding")) {
        has_te = true;
        each_element(f->value, f->value_len, te_element, &te);
      }
      break;
    case 'h':
      if (hp_name_is(f, "host")) {
        if (++hosts > 1) return fail(h, 400, "more than one Host header");
        if (!host_ok(f->value, f->value_len)) return fail(h, 400, "invalid Host header");
        h->host = f->value;
      }
      break;
    case 'e':
      if (hp_name_is(f, "expect")) {
        if (!eq_nocase(f->value, f->value_len, "100-continue"))
          return fail(h, 417, "unsupported expectation");
        h->expect_continue = true;
      }
      break;
    default:
      break;
    }
  }
  if (h->version_minor == 1 && hosts == 0) return fail(h, 400, "missing Host header");
  h->keep_alive = h->version_minor == 1 ? !conn.close : conn.keep_alive && !conn.close;
  if (has_te) {
    if (has_length) return fail(h, 400, "both Content-Length and Transfer-Encoding");
    if (te.other) return fail(h, 501, "unsupported Transfer-Encoding");
    if (te.chunked != 1) return fail(h, 400, "invalid Transfer-Encoding");
    h->body = HP_BODY_CHUNKED;
    /* RFC 9112 6.1: a 1.0 message with a transfer coding is suspect */
    if (h->version_minor == 0) h->keep_alive = false;
  } else if (has_length && length > 0) {
    h->body = HP_BODY_LENGTH;
    h->content_length = length;
  } else {
    h->body = HP_BODY_NONE;
  }
  if (h->body == HP_BODY_NONE || h->version_minor == 0) h->expect_continue = false;
  return 0;
}

ssize_t hp_head_parse(hp_head *h, char *buf, size_t len, size_t max_bytes) {
  /* RFC 9112 2.2: empty lines before the request line are ignored */
  while (!h->begun) {
    if (h->start >= len) return 0;
    if (h->start > max_bytes) return fail(h, 400, "too many empty lines");
    char c = buf[h->start];
    if (c == '\n') {
      h->start++;
    } else if (c == '\r') {
      if (h->start + 1 >= len) return 0;
      if (buf[h->start + 1] != '\n') return fail(h, 400, "invalid request line");
      h->start += 2;
    } else {
      h->begun = true;
      h->scanned = h->checked = h->start;
    }
  }
  /* Reject what cannot be HTTP (TLS, binary) before the head completes;
   * within the size limit, so the outcome does not depend on how the
   * bytes arrive. */
  size_t check_end = len < h->start + max_bytes ? len : h->start + max_bytes;
  while (!h->method_ok && h->checked < check_end) {
    char c = buf[h->checked];
    if (c == ' ' && h->checked > h->start)
      h->method_ok = true;
    else if (!tchar[(uint8_t)c])
      return fail(h, 400, "invalid request line");
    else
      h->checked++;
  }
  size_t i = h->scanned, end = 0;
  while (i < len) {
    char *p = memchr(buf + i, '\n', len - i);
    if (!p) {
      i = len;
      break;
    }
    size_t j = (size_t)(p - buf);
    if (j + 1 >= len) {
      i = j;
      break;
    }
    if (buf[j + 1] == '\n') {
      end = j + 2;
      break;
    }
    if (buf[j + 1] == '\r') {
      if (j + 2 >= len) {
        i = j;
        break;
      }
      if (buf[j + 2] == '\n') {
        end = j + 3;
        break;
      }
    }
    i = j + 1;
  }
  if (!end) {
    h->scanned = i;
    if (len - h->start > max_bytes) return fail(h, 431, "request header too large");
    return 0;
  }
  if (end - h->start > max_bytes) return fail(h, 431, "request header too large");

  char *line = buf + h->start;
  char *lf = memchr(line, '\n', end - h->start);
  size_t llen = (size_t)(lf - line);
  if (llen > 0 && line[llen - 1] == '\r') llen--;
  if (memchr(line, '\r', llen)) return fail(h, 400, "invalid request line");
  if (parse_request_line(h, line, llen) < 0) return -1;

  /* The header lines, without the final empty line. */
  char *fields = lf + 1;
  size_t flen = (size_t)(buf + end - fields);
  flen -= buf[end - 2] == '\r' ? 2 : 1;
  int st = hp_fields_parse(fields, flen, h->headers, h->max_headers, &h->nheaders, &h->error);
  if (st) {
    h->status = st;
    return -1;
  }
  if (interpret(h) < 0) return -1;
  return (ssize_t)end;
}

/* ---- chunked body ---- */

#define HP_CHUNK_LINE_MAX 4096 /* a size line with its extensions */

void hp_chunked_init(hp_chunked *d, char *tbuf, size_t tcap) {
  memset(d, 0, sizeof *d);
  d->state = HP_CK_SIZE;
  d->tbuf = tbuf;
  d->tcap = tcap;
}

static int hexval(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static size_t ck_fail(hp_chunked *d, size_t at, const char *error) {
  d->state = HP_CK_ERROR;
  d->error = error;
  return at;
}

size_t hp_chunked_scan(hp_chunked *d, const char *in, size_t len) {
  size_t i = 0;
  while (i < len) {
    uint8_t c = (uint8_t)in[i];
    switch (d->state) {
    case HP_CK_SIZE: {
      int v = hexval(c);
      if (v >= 0) {
        if (d->remaining > (UINT64_MAX >> 4)) return ck_fail(d, i, "chunk size overflows");
        d->remaining = (d->remaining << 4) | (uint64_t)v;
        d->digits++;
      } else if (d->digits == 0) {
        return ck_fail(d, i, "invalid chunk size");
      } else if (c == '\r') {
        d->state = HP_CK_SIZE_LF;
      } else if (c == '\n') {
        goto size_line_end;
      } else if (c == ';' || c == ' ' || c == '\t') {
        d->state = HP_CK_EXT;
      } else {
        return ck_fail(d, i, "invalid chunk size");
      }
      if (++d->line > HP_CHUNK_LINE_MAX) return ck_fail(d, i, "chunk size line too long");
      i++;
      break;
    }
    case HP_CK_EXT:
      if (c == '\r') {
        d->state = HP_CK_SIZE_LF;
      } else if (c == '\n') {
        goto size_line_end;
      } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
        return ck_fail(d, i, "invalid chunk extension");
      }
      if (++d->line > HP_CHUNK_LINE_MAX) return ck_fail(d, i, "chunk size line too long");
      i++;
      break;
    case HP_CK_SIZE_LF:
      if (c != '\n') return ck_fail(d, i, "invalid chunk size line");
    size_line_end:
      i++;
      d->line = 0;
      d->digits = 0;
      if (d->remaining == 0) {
        d->state = HP_CK_TRAILER_START;
      } else {
        d->state = HP_CK_DATA;
        return i;
      }
      break;
    case HP_CK_DATA:
      return i;
    case HP_CK_DATA_CR:
      if (c == '\r')
        d->state = HP_CK_DATA_LF;
      else if (c == '\n')
        d->state = HP_CK_SIZE;
      else
        return ck_fail(d, i, "missing CRLF after chunk data");
      i++;
      break;
    case HP_CK_DATA_LF:
      if (c != '\n') return ck_fail(d, i, "missing CRLF after chunk data");
      d->state = HP_CK_SIZE;
      i++;
      break;
    case HP_CK_TRAILER_START:
      if (c == '\r') {
        d->state = HP_CK_END_LF;
        i++;
        break;
      }
      if (c == '\n') {
        d->state = HP_CK_DONE;
        return i + 1;
      }
      d->state = HP_CK_TRAILER;
      /* fall through */
    case HP_CK_TRAILER:
      if (d->tlen == d->tcap) return ck_fail(d, i, "trailer section too large");
      d->tbuf[d->tlen++] = (char)c;
      if (c == '\n') d->state = HP_CK_TRAILER_START;
      i++;
      break;
    case HP_CK_END_LF:
      if (c != '\n') return ck_fail(d, i, "invalid end of chunked body");
      d->state = HP_CK_DONE;
      return i + 1;
    default: /* DONE, ERROR */
      return i;
    }
  }
  return i;
}

void hp_chunked_took(hp_chunked *d, size_t n) {
  d->remaining -= n;
  if (d->remaining == 0) d->state = HP_CK_DATA_CR;
}
