/*
 * cli_util.c: what several subcommands parse and read: files, byte counts,
 * counts and durations given on the command line.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define CLI_MAX_FILE ((size_t)1 << 30)

bool cli_read_file(const char *path, uint8_t **out, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return false;
  uint8_t *buf = NULL;
  size_t n = 0, cap = 0;
  bool ok = true;
  for (;;) {
    if (n == cap) {
      size_t nc = cap ? cap * 2 : 1 << 16;
      uint8_t *nb = nc <= CLI_MAX_FILE ? realloc(buf, nc + 1) : NULL;
      if (!nb) {
        ok = false;
        break;
      }
      buf = nb;
      cap = nc;
    }
    size_t r = fread(buf + n, 1, cap - n, f);
    n += r;
    if (r == 0) break;
  }
  ok = ok && !ferror(f);
  fclose(f);
  if (!ok) {
    free(buf);
    return false;
  }
  buf[n] = 0; /* text files can be used as strings */
  *out = buf;
  *len = n;
  return true;
}

/* Parses a byte count: digits, then optionally K, M or G (binary
 * multiples, with an optional "iB" or "B" after them). Zero is refused. */
bool cli_parse_bytes(const char *s, uint64_t *out) {
  if (*s < '0' || *s > '9') return false;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno) return false;
  unsigned shift = 0;
  switch (*end) {
  case 'k': case 'K': shift = 10; end++; break;
  case 'm': case 'M': shift = 20; end++; break;
  case 'g': case 'G': shift = 30; end++; break;
  default: break;
  }
  if (shift && *end == 'i') end++;
  if (*end == 'B' || (shift && *end == 'b')) end++;
  if (*end || v == 0 || v > (UINT64_MAX >> shift)) return false;
  *out = (uint64_t)v << shift;
  return true;
}

/* Parses a positive decimal count no larger than max. */
bool cli_parse_count(const char *s, uint64_t max, uint64_t *out) {
  if (*s < '0' || *s > '9') return false;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || v == 0 || v > max) return false;
  *out = v;
  return true;
}

/* Parses a duration: a decimal number with a unit ns, us, ms, s, m or h
 * (none: seconds), e.g. 500ms, 1.5s, 2m. Zero is refused. */
bool cli_parse_duration(const char *s, uint64_t *ns) {
  if ((*s < '0' || *s > '9') && *s != '.') return false;
  errno = 0;
  char *end;
  double v = strtod(s, &end);
  if (errno || !(v > 0)) return false;
  static const struct { const char *unit; double scale; } units[] = {
      {"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}, {"", 1e9}};
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
    if (strcmp(end, units[i].unit) != 0) continue;
    double t = v * units[i].scale;
    if (t < 1 || t > 1e18) return false;
    *ns = (uint64_t)t;
    return true;
  }
  return false;
}

bool cli_opt_split(int argc, char **argv, int *i, cli_opt *o) {
  const char *a = argv[*i];
  const char *eq = strchr(a, '=');
  o->arg = a;
  o->nlen = eq ? (size_t)(eq - a) : strlen(a);
  o->val = eq ? eq + 1 : (*i + 1 < argc ? argv[++*i] : NULL);
  return o->val != NULL;
}

bool cli_opt_is(const cli_opt *o, const char *name) {
  return strlen(name) == o->nlen && strncmp(o->arg, name, o->nlen) == 0;
}
