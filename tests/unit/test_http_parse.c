/* Unit tests of the HTTP/1.1 request-head parser and the chunked-body
 * decoder (src/http/http_parse.c). */
#include "http/http_parse.h"
#include "unit.h"

#define MAXH 100

static http_header hdrs[MAXH];

/* Parses the whole text at once into h (buffer kept in buf). */
static ssize_t parse_all(hp_head *h, char *buf, const char *text, size_t max_bytes) {
  size_t n = strlen(text);
  memcpy(buf, text, n + 1);
  hp_head_init(h, hdrs, MAXH);
  return hp_head_parse(h, buf, n, max_bytes);
}

/* Feeds text one byte at a time; returns the final result. */
static ssize_t parse_bytewise(hp_head *h, char *buf, const char *text, size_t max_bytes) {
  size_t n = strlen(text);
  hp_head_init(h, hdrs, MAXH);
  ssize_t r = 0;
  for (size_t i = 1; i <= n; i++) {
    buf[i - 1] = text[i - 1];
    r = hp_head_parse(h, buf, i, max_bytes);
    if (r != 0) return r;
  }
  return r;
}

static const char *value_of(const hp_head *h, const char *lower) {
  for (size_t i = 0; i < h->nheaders; i++)
    if (hp_name_is(&h->headers[i], lower)) return h->headers[i].value;
  return NULL;
}

static void test_valid(void) {
  static char buf[8192];
  hp_head h;
  const char *req = "GET /a/b?c=d HTTP/1.1\r\nHost: example.com:8080\r\n"
                    "User-Agent:  curl/8  \r\nX-Empty:\r\nAccept: */*\r\n\r\nBODY";
  ssize_t r = parse_all(&h, buf, req, 65536);
  CHECKM(r == (ssize_t)(strlen(req) - 4), "head length %zd", r);
  CHECK(strcmp(h.method, "GET") == 0);
  CHECK(strcmp(h.target, "/a/b?c=d") == 0);
  CHECK(h.version_minor == 1);
  CHECK(h.nheaders == 4);
  CHECK(h.host && strcmp(h.host, "example.com:8080") == 0);
  CHECK(strcmp(value_of(&h, "user-agent"), "curl/8") == 0);
  CHECK(h.headers[1].value_len == 6);
  CHECK(strcmp(h.headers[1].name, "User-Agent") == 0 && h.headers[1].name_len == 10);
  CHECK(value_of(&h, "x-empty") && h.headers[2].value_len == 0);
  CHECK(h.keep_alive);
  CHECK(h.body == HP_BODY_NONE);

  /* the same, one byte at a time */
  static char buf2[8192];
  hp_head h2;
  r = parse_bytewise(&h2, buf2, req, 65536);
  CHECKM(r == (ssize_t)(strlen(req) - 4), "bytewise head length %zd", r);
  CHECK(h2.nheaders == 4 && strcmp(h2.target, "/a/b?c=d") == 0);

  /* bare LF line ends, leading empty lines, HTTP/1.0 */
  r = parse_all(&h, buf, "\r\n\nPOST /x HTTP/1.0\nContent-Length: 12\nConnection: keep-alive\n\n",
                65536);
  CHECKM(r > 0, "LF-only head: %zd %s", r, h.error ? h.error : "");
  CHECK(r > 0 && strcmp(h.method, "POST") == 0 && h.version_minor == 0);
  CHECK(h.body == HP_BODY_LENGTH && h.content_length == 12);
  CHECK(h.keep_alive);
  CHECK(h.host == NULL); /* not required for 1.0 */

  r = parse_all(&h, buf, "GET / HTTP/1.0\r\n\r\n", 65536);
  CHECK(r > 0 && !h.keep_alive && h.nheaders == 0);

  r = parse_all(&h, buf, "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, Close\r\n\r\n", 65536);
  CHECK(r > 0 && !h.keep_alive);

  r = parse_all(&h, buf,
                "PUT /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n"
                "Expect: 100-Continue\r\n\r\n",
                65536);
  CHECK(r > 0 && h.body == HP_BODY_CHUNKED && h.expect_continue);

  /* identical repeated lengths are one length */
  r = parse_all(&h, buf, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\nContent-Length: 5\r\n\r\n",
                65536);
  CHECK(r > 0 && h.body == HP_BODY_LENGTH && h.content_length == 5);

  /* Expect without a body is moot */
  r = parse_all(&h, buf, "GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n", 65536);
  CHECK(r > 0 && !h.expect_continue);

  /* other target forms */
  r = parse_all(&h, buf, "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 65536);
  CHECK(r > 0 && strcmp(h.target, "*") == 0);
  r = parse_all(&h, buf, "GET http://a.b/c HTTP/1.1\r\nHost: a.b\r\n\r\n", 65536);
  CHECK(r > 0 && strcmp(h.target, "http://a.b/c") == 0);

  /* incomplete */
  r = parse_all(&h, buf, "GET / HTTP/1.1\r\nHost: a\r\n", 65536);
  CHECK(r == 0);
  r = parse_all(&h, buf, "GET / HTTP/1.1\r\nHost: a\r\n\r", 65536);
  CHECK(r == 0);
  r = parse_all(&h, buf, "\r\n\r\n", 65536);
  CHECK(r == 0);
}

/* Each bad head with the status it must get, whole and byte by byte. */
static void test_invalid(void) {
  static const struct {
    const char *text;
    int status;
  } cases[] = {
      {"GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400},                      /* fold at start */
      {"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n  2\r\n\r\n", 400},       /* obs-fold */
      {"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400},                      /* space before colon */
      {"GET / HTTP/1.1\r\nHo(st: a\r\n\r\n", 400},                      /* not a token */
      {"GET / HTTP/1.1\r\n: a\r\nHost: a\r\n\r\n", 400},                /* empty name */
      {"GET / HTTP/1.1\r\nHost a\r\n\r\n", 400},                        /* no colon */
      {"GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400},                    /* bare CR */
      {"GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n", 400},                   /* control char */
      {"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400},                      /* two spaces */
      {"GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400},                    /* space in target */
      {"GET /\x80 HTTP/1.1\r\nHost: a\r\n\r\n", 400},                   /* non-ASCII target */
      {"GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400},                      /* trailing space */
      {"GET /\r\n\r\n", 400},                                           /* HTTP/0.9 */
      {"G@T / HTTP/1.1\r\nHost: a\r\n\r\n", 400},                       /* method */
      {" GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"GET / HTTP/1.x\r\nHost: a\r\n\r\n", 400},
      {"GET / HTTX/1.1\r\nHost: a\r\n\r\n", 400},
      {"GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\n\r\n", 400},                                  /* no Host */
      {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},            /* two Hosts */
      {"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
      {"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
      {"GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505},
      {"GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505},
      {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505},                        /* HTTP/2 preface */
      {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 2\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", 501},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nHost: a\r\nExpect: something\r\n\r\n", 417},
      {"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400}, /* TLS, rejected early */
  };
  static char buf[8192];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    hp_head h;
    ssize_t r = parse_all(&h, buf, cases[i].text, 65536);
    CHECKM(r == -1 && h.status == cases[i].status, "case %zu: got %zd status %d (want %d)", i, r,
           h.status, cases[i].status);
    r = parse_bytewise(&h, buf, cases[i].text, 65536);
    CHECKM(r == -1 && h.status == cases[i].status, "bytewise case %zu: got %zd status %d", i, r,
           h.status);
  }
}

static void test_limits(void) {
  static char buf[200000];
  hp_head h;
  /* too large: complete and incomplete heads */
  char *big = malloc(100000);
  strcpy(big, "GET / HTTP/1.1\r\nHost: a\r\nX-Big: ");
  size_t n = strlen(big);
  memset(big + n, 'x', 5000);
  strcpy(big + n + 5000, "\r\n\r\n");
  ssize_t r = parse_all(&h, buf, big, 4096);
  CHECK(r == -1 && h.status == 431);
  r = parse_all(&h, buf, big, 8192);
  CHECK(r > 0);
  big[n + 3000] = '\0'; /* no end in sight */
  r = parse_all(&h, buf, big, 1024);
  CHECK(r == -1 && h.status == 431);
  r = parse_all(&h, buf, big, 65536);
  CHECK(r == 0);
  /* byte by byte, it stops as soon as the limit is passed */
  hp_head_init(&h, hdrs, MAXH);
  size_t fed = 0;
  r = 0;
  while (r == 0 && fed < n + 3000) {
    buf[fed] = big[fed];
    fed++;
    r = hp_head_parse(&h, buf, fed, 1024);
  }
  CHECK(r == -1 && h.status == 431 && fed == 1025);

  /* too many headers */
  strcpy(big, "GET / HTTP/1.1\r\nHost: a\r\n");
  for (int i = 0; i < MAXH; i++) sprintf(big + strlen(big), "X-%d: %d\r\n", i, i);
  strcat(big, "\r\n");
  r = parse_all(&h, buf, big, 65536);
  CHECK(r == -1 && h.status == 431);
  free(big);

  /* header count exactly at the limit */
  static char text[8192];
  strcpy(text, "GET / HTTP/1.1\r\nHost: a\r\n");
  for (int i = 0; i < MAXH - 1; i++) sprintf(text + strlen(text), "X-%d: %d\r\n", i, i);
  strcat(text, "\r\n");
  r = parse_all(&h, buf, text, 65536);
  CHECK(r > 0 && h.nheaders == MAXH);
}

/* Decodes a chunked body fed in pieces of step bytes; returns the final
 * state, the data in out. */
static int decode(const char *in, size_t len, size_t step, char *out, size_t *outlen,
                  char *tbuf, size_t tcap, hp_chunked *d, size_t *consumed) {
  hp_chunked_init(d, tbuf, tcap);
  size_t pos = 0, avail = 0;
  *outlen = 0;
  while (d->state != HP_CK_DONE && d->state != HP_CK_ERROR) {
    if (pos == avail) {
      if (avail == len) break;
      avail = avail + step > len ? len : avail + step;
    }
    pos += hp_chunked_scan(d, in + pos, avail - pos);
    if (d->state == HP_CK_DATA && pos < avail) {
      size_t k = avail - pos;
      if (k > d->remaining) k = (size_t)d->remaining;
      memcpy(out + *outlen, in + pos, k);
      *outlen += k;
      pos += k;
      hp_chunked_took(d, k);
    }
  }
  *consumed = pos;
  return d->state;
}

static void test_chunked(void) {
  static const char body[] =
      "5\r\nhello\r\n"
      "6;name=value;x=\"q\"\r\n world\r\n"
      "A\r\n0123456789\r\n"
      "0\r\nX-Checksum: abc\r\nX-Other:  v \r\n\r\n"
      "NEXT";
  char out[64], tbuf[256];
  size_t steps[] = {1, 2, 3, 7, 1000};
  for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
    hp_chunked d;
    size_t olen, used;
    int st = decode(body, sizeof body - 1, steps[s], out, &olen, tbuf, sizeof tbuf, &d, &used);
    CHECKM(st == HP_CK_DONE, "step %zu: state %d (%s)", steps[s], st, d.error ? d.error : "");
    CHECK(olen == 21 && memcmp(out, "hello world0123456789", 21) == 0);
    CHECK(used == sizeof body - 1 - 4);
    http_header tr[4];
    size_t ntr = 0;
    const char *why = NULL;
    CHECK(hp_fields_parse(tbuf, d.tlen, tr, 4, &ntr, &why) == 0);
    CHECK(ntr == 2 && strcmp(tr[0].name, "X-Checksum") == 0 && strcmp(tr[0].value, "abc") == 0);
    CHECK(ntr == 2 && strcmp(tr[1].value, "v") == 0);
  }
  /* LF-only framing, no trailers */
  {
    hp_chunked d;
    size_t olen, used;
    const char *b = "3\nabc\n0\n\n";
    CHECK(decode(b, strlen(b), 1, out, &olen, tbuf, sizeof tbuf, &d, &used) == HP_CK_DONE);
    CHECK(olen == 3 && d.tlen == 0);
  }
  /* errors */
  static const char *bad[] = {
      "x\r\n",                                   /* not hex */
      "\r\n",                                    /* no digits */
      "5\r\nhelloX\r\n",                         /* no CRLF after data */
      "5\rX",                                    /* CR without LF */
      "10000000000000000\r\n",                   /* 17 hex digits: overflow */
      "FFFFFFFFFFFFFFFFF\r\n",                   /* overflow */
      "5;a\x01\r\n",                             /* control in extension */
      "0\r\n\rX",                                /* bad end */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    hp_chunked d;
    size_t olen, used;
    int st = decode(bad[i], strlen(bad[i]), 1, out, &olen, tbuf, sizeof tbuf, &d, &used);
    CHECKM(st == HP_CK_ERROR, "bad chunked %zu: state %d", i, st);
  }
  /* the largest size that fits is accepted as a size */
  {
    hp_chunked d;
    hp_chunked_init(&d, tbuf, sizeof tbuf);
    const char *s = "FFFFFFFFFFFFFFFF\r\n";
    size_t used = hp_chunked_scan(&d, s, strlen(s));
    CHECK(used == strlen(s) && d.state == HP_CK_DATA && d.remaining == UINT64_MAX);
  }
  /* trailers over the buffer */
  {
    hp_chunked d;
    size_t olen, used;
    const char *b = "0\r\nX-Long: 0123456789012345678901234567890123456789\r\n\r\n";
    CHECK(decode(b, strlen(b), 1, out, &olen, tbuf, 16, &d, &used) == HP_CK_ERROR);
  }
  /* an overlong size line */
  {
    hp_chunked d;
    hp_chunked_init(&d, tbuf, sizeof tbuf);
    static char line[6000];
    memset(line, 'a', sizeof line);
    line[0] = '1';
    line[1] = ';';
    hp_chunked_scan(&d, line, sizeof line);
    CHECK(d.state == HP_CK_ERROR);
  }
  /* invalid trailer lines are reported by the field parser */
  {
    hp_chunked d;
    size_t olen, used;
    const char *b = "0\r\nBad Name: x\r\n\r\n";
    CHECK(decode(b, strlen(b), 1, out, &olen, tbuf, sizeof tbuf, &d, &used) == HP_CK_DONE);
    http_header tr[4];
    size_t ntr;
    const char *why = NULL;
    CHECK(hp_fields_parse(tbuf, d.tlen, tr, 4, &ntr, &why) == 400 && why);
  }
}

static void test_helpers(void) {
  uint64_t v;
  CHECK(hp_parse_length("0", 1, &v) && v == 0);
  CHECK(hp_parse_length("18446744073709551615", 20, &v) && v == UINT64_MAX);
  CHECK(!hp_parse_length("18446744073709551616", 20, &v));
  CHECK(!hp_parse_length("", 0, &v));
  CHECK(!hp_parse_length("1 2", 3, &v));
  CHECK(hp_is_token("X-Foo", 5) && !hp_is_token("a b", 3) && !hp_is_token("", 0));
}

int main(void) {
  test_valid();
  test_invalid();
  test_limits();
  test_chunked();
  test_helpers();
  return unit_report();
}
