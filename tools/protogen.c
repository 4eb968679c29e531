/*
 * protogen: reads the project's .proto files (the proto3 subset they use:
 * package, import, message, enum, oneof, map<string,string>, repeated,
 * service) and writes C tables (stratus/cluster.h types) describing each
 * message, so the JSON codec is driven by the .proto files rather than by
 * hand-written per-message code.
 *
 *   protogen OUT.c OUT.h FILE.proto...
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXN 128

typedef struct field {
  char type[MAXN], name[MAXN], oneof[MAXN];
  bool repeated, map;
  unsigned number;
} field;

typedef struct message {
  char name[MAXN];
  field *fields;
  size_t nfields;
} message;

typedef struct evalue {
  char name[MAXN];
  long number;
} evalue;

typedef struct enumd {
  char name[MAXN];
  evalue *values;
  size_t nvalues;
} enumd;

static message *msgs;
static size_t nmsgs;
static enumd *enums;
static size_t nenums;
static char package[MAXN];

/* ---- tokens ---- */
static const char *src, *cur, *path;
static char tok[MAXN];

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int line = 1;
  for (const char *p = src; p && p < cur; p++) line += *p == '\n';
  fprintf(stderr, "protogen: %s:%d: ", path ? path : "-", line);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

static void *xrealloc(void *p, size_t n) {
  p = realloc(p, n);
  if (!p) die("out of memory");
  return p;
}

/* Next token into tok; false at end of input. Strings keep their quotes. */
static bool next(void) {
  for (;;) {
    while (isspace((unsigned char)*cur)) cur++;
    if (cur[0] == '/' && cur[1] == '/') {
      while (*cur && *cur != '\n') cur++;
    } else if (cur[0] == '/' && cur[1] == '*') {
      const char *e = strstr(cur + 2, "*/");
      if (!e) die("unterminated comment");
      cur = e + 2;
    } else {
      break;
    }
  }
  if (!*cur) return false;
  size_t n = 0;
  if (isalnum((unsigned char)*cur) || *cur == '_' || *cur == '.' || *cur == '-') {
    while (isalnum((unsigned char)*cur) || *cur == '_' || *cur == '.' || *cur == '-') {
      if (n + 1 >= MAXN) die("token too long");
      tok[n++] = *cur++;
    }
  } else if (*cur == '"' || *cur == '\'') {
    char q = *cur;
    tok[n++] = *cur++;
    while (*cur && *cur != q) {
      if (n + 2 >= MAXN) die("string too long");
      tok[n++] = *cur++;
    }
    if (!*cur) die("unterminated string");
    tok[n++] = *cur++;
  } else {
    tok[n++] = *cur++;
  }
  tok[n] = 0;
  return true;
}

static void need_next(void) {
  if (!next()) die("unexpected end of file");
}

static void expect(const char *s) {
  need_next();
  if (strcmp(tok, s) != 0) die("expected '%s', found '%s'", s, tok);
}

static bool ident(const char *s) {
  if (!(isalpha((unsigned char)s[0]) || s[0] == '_' || s[0] == '.')) return false;
  for (; *s; s++)
    if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '.')) return false;
  return true;
}

/* Skips to the end of a statement: past ';' or a balanced { } block. */
static void skip_statement(void) {
  int depth = 0;
  for (;;) {
    need_next();
    if (!strcmp(tok, "{")) depth++;
    else if (!strcmp(tok, "}")) {
      if (--depth <= 0) return;
    } else if (!strcmp(tok, ";") && depth == 0) return;
  }
}

static unsigned parse_number(void) {
  need_next();
  char *end;
  unsigned long v = strtoul(tok, &end, 0);
  if (*end || v == 0 || v > 536870911) die("bad field number '%s'", tok);
  return (unsigned)v;
}

/* [ options ] then ';' */
static void field_end(void) {
  need_next();
  if (!strcmp(tok, "[")) {
    do need_next();
    while (strcmp(tok, "]") != 0);
    need_next();
  }
  if (strcmp(tok, ";") != 0) die("expected ';', found '%s'", tok);
}

static void add_field(message *m, const field *f) {
  for (size_t i = 0; i < m->nfields; i++) {
    if (m->fields[i].number == f->number) die("%s: field number %u reused", m->name, f->number);
    if (!strcmp(m->fields[i].name, f->name)) die("%s: field %s repeated", m->name, f->name);
  }
  m->fields = xrealloc(m->fields, (m->nfields + 1) * sizeof *m->fields);
  m->fields[m->nfields++] = *f;
}

/* One field whose first token is in tok. */
static void parse_field(message *m, const char *oneof) {
  field f;
  memset(&f, 0, sizeof f);
  if (oneof) snprintf(f.oneof, sizeof f.oneof, "%s", oneof);
  if (!strcmp(tok, "repeated")) {
    if (oneof) die("repeated field in a oneof");
    f.repeated = true;
    need_next();
  } else if (!strcmp(tok, "optional")) {
    die("proto3 optional is not supported");
  }
  if (!strcmp(tok, "map")) {
    expect("<");
    need_next();
    if (strcmp(tok, "string") != 0) die("only map<string,string> is supported");
    expect(",");
    need_next();
    if (strcmp(tok, "string") != 0) die("only map<string,string> is supported");
    expect(">");
    if (f.repeated || oneof) die("map cannot be repeated or in a oneof");
    f.map = true;
    snprintf(f.type, sizeof f.type, "map");
  } else {
    if (!ident(tok)) die("expected a type, found '%s'", tok);
    snprintf(f.type, sizeof f.type, "%s", tok);
  }
  need_next();
  if (!ident(tok) || strchr(tok, '.')) die("expected a field name, found '%s'", tok);
  snprintf(f.name, sizeof f.name, "%s", tok);
  expect("=");
  f.number = parse_number();
  field_end();
  add_field(m, &f);
}

static void parse_message(void) {
  need_next();
  if (!ident(tok)) die("bad message name '%s'", tok);
  msgs = xrealloc(msgs, (nmsgs + 1) * sizeof *msgs);
  message *m = &msgs[nmsgs++];
  memset(m, 0, sizeof *m);
  snprintf(m->name, sizeof m->name, "%s", tok);
  expect("{");
  for (;;) {
    need_next();
    if (!strcmp(tok, "}")) break;
    if (!strcmp(tok, ";")) continue;
    if (!strcmp(tok, "reserved") || !strcmp(tok, "option")) {
      skip_statement();
    } else if (!strcmp(tok, "message") || !strcmp(tok, "enum")) {
      die("nested %s declarations are not supported", tok);
    } else if (!strcmp(tok, "oneof")) {
      char name[MAXN];
      need_next();
      snprintf(name, sizeof name, "%s", tok);
      expect("{");
      for (;;) {
        need_next();
        if (!strcmp(tok, "}")) break;
        if (!strcmp(tok, "option")) {
          skip_statement();
          continue;
        }
        parse_field(m, name);
      }
    } else {
      parse_field(m, NULL);
    }
  }
}

static void parse_enum(void) {
  need_next();
  if (!ident(tok)) die("bad enum name '%s'", tok);
  enums = xrealloc(enums, (nenums + 1) * sizeof *enums);
  enumd *e = &enums[nenums++];
  memset(e, 0, sizeof *e);
  snprintf(e->name, sizeof e->name, "%s", tok);
  expect("{");
  for (;;) {
    need_next();
    if (!strcmp(tok, "}")) break;
    if (!strcmp(tok, ";")) continue;
    if (!strcmp(tok, "option") || !strcmp(tok, "reserved")) {
      skip_statement();
      continue;
    }
    evalue v;
    snprintf(v.name, sizeof v.name, "%s", tok);
    expect("=");
    need_next();
    char *end;
    v.number = strtol(tok, &end, 0);
    if (*end) die("bad enum number '%s'", tok);
    field_end();
    e->values = xrealloc(e->values, (e->nvalues + 1) * sizeof *e->values);
    e->values[e->nvalues++] = v;
  }
  if (e->nvalues == 0 || e->values[0].number != 0) die("enum %s must start with 0", e->name);
}

static void parse_file(const char *p) {
  FILE *f = fopen(p, "rb");
  if (!f) {
    fprintf(stderr, "protogen: cannot open %s\n", p);
    exit(1);
  }
  char *buf = NULL;
  size_t len = 0, cap = 0, n;
  char chunk[4096];
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    if (len + n + 1 > cap) {
      cap = (len + n + 1) * 2;
      buf = xrealloc(buf, cap);
    }
    memcpy(buf + len, chunk, n);
    len += n;
  }
  fclose(f);
  buf = xrealloc(buf, len + 1);
  buf[len] = 0;
  src = cur = buf;
  path = p;
  while (next()) {
    if (!strcmp(tok, "syntax")) {
      expect("=");
      need_next();
      if (strcmp(tok, "\"proto3\"") != 0) die("only proto3 is supported");
      expect(";");
    } else if (!strcmp(tok, "package")) {
      need_next();
      if (package[0] && strcmp(package, tok) != 0) die("all files must share one package");
      snprintf(package, sizeof package, "%s", tok);
      expect(";");
    } else if (!strcmp(tok, "import") || !strcmp(tok, "option")) {
      skip_statement();
    } else if (!strcmp(tok, "message")) {
      parse_message();
    } else if (!strcmp(tok, "enum")) {
      parse_enum();
    } else if (!strcmp(tok, "service")) {
      need_next();
      expect("{");
      int depth = 1;
      while (depth > 0) {
        need_next();
        depth += !strcmp(tok, "{") - !strcmp(tok, "}");
      }
    } else if (strcmp(tok, ";") != 0) {
      die("unexpected '%s'", tok);
    }
  }
  free(buf);
  src = cur = NULL;
}

/* ---- output ---- */

/* proto3 JSON name: underscores dropped, the letter after one upper-cased. */
static void json_name(const char *in, char *out) {
  bool up = false;
  size_t n = 0;
  for (; *in; in++) {
    if (*in == '_') {
      up = true;
      continue;
    }
    out[n++] = up ? (char)toupper((unsigned char)*in) : *in;
    up = false;
  }
  out[n] = 0;
}

static const char *short_name(const char *t) {
  size_t pl = strlen(package);
  if (pl && !strncmp(t, package, pl) && t[pl] == '.') return t + pl + 1;
  if (t[0] == '.') return short_name(t + 1);
  return t;
}

static message *find_msg(const char *t) {
  for (size_t i = 0; i < nmsgs; i++)
    if (!strcmp(msgs[i].name, short_name(t))) return &msgs[i];
  return NULL;
}

static enumd *find_enum(const char *t) {
  for (size_t i = 0; i < nenums; i++)
    if (!strcmp(enums[i].name, short_name(t))) return &enums[i];
  return NULL;
}

static const struct {
  const char *proto, *kind;
} scalars[] = {
    {"string", "PROTO_STRING"}, {"bytes", "PROTO_BYTES"},   {"bool", "PROTO_BOOL"},
    {"int32", "PROTO_INT32"},   {"sint32", "PROTO_SINT32"}, {"uint32", "PROTO_UINT32"},
    {"int64", "PROTO_INT64"},   {"sint64", "PROTO_SINT64"}, {"uint64", "PROTO_UINT64"},
    {"float", "PROTO_FLOAT"},   {"double", "PROTO_DOUBLE"},
    {"google.protobuf.Timestamp", "PROTO_TIMESTAMP"},
};

static int cmp_field(const void *a, const void *b) {
  const field *x = a, *y = b;
  return (x->number > y->number) - (x->number < y->number);
}

static void emit(FILE *c, FILE *h, const char *hname) {
  fprintf(h, "/* Generated by tools/protogen from the .proto files; do not edit. */\n"
             "#ifndef STRATUS_PROTO_TABLES_H\n#define STRATUS_PROTO_TABLES_H\n\n"
             "#include \"stratus/cluster.h\"\n\n");
  fprintf(c, "/* Generated by tools/protogen from the .proto files; do not edit. */\n"
             "#include \"%s\"\n\n#include <string.h>\n\n",
          hname);
  for (size_t i = 0; i < nenums; i++) {
    enumd *e = &enums[i];
    fprintf(h, "extern const proto_enum proto_enum_%s;\n", e->name);
    for (size_t j = 0; j < e->nvalues; j++)
      fprintf(h, "#define PROTO_%s %ld\n", e->values[j].name, e->values[j].number);
    fprintf(c, "static const proto_enum_value proto_ev_%s[] = {\n", e->name);
    for (size_t j = 0; j < e->nvalues; j++)
      fprintf(c, "  {\"%s\", %ld},\n", e->values[j].name, e->values[j].number);
    fprintf(c, "};\nconst proto_enum proto_enum_%s = {\"%s\", \"%s.%s\", proto_ev_%s, %zu};\n\n",
            e->name, e->name, package, e->name, e->name, e->nvalues);
  }
  for (size_t i = 0; i < nmsgs; i++) fprintf(h, "extern const proto_message proto_msg_%s;\n", msgs[i].name);
  for (size_t i = 0; i < nmsgs; i++) {
    message *m = &msgs[i];
    if (m->nfields) qsort(m->fields, m->nfields, sizeof *m->fields, cmp_field);
    if (m->nfields) fprintf(c, "static const proto_field proto_fields_%s[] = {\n", m->name);
    for (size_t j = 0; j < m->nfields; j++) {
      field *f = &m->fields[j];
      char jn[MAXN], oneof[MAXN + 2] = "NULL", target[MAXN + 32] = "NULL", et[MAXN + 32] = "NULL";
      const char *kind = NULL;
      json_name(f->name, jn);
      if (f->oneof[0]) snprintf(oneof, sizeof oneof, "\"%s\"", f->oneof);
      if (f->map) kind = "PROTO_MAP";
      for (size_t k = 0; !kind && k < sizeof scalars / sizeof *scalars; k++)
        if (!strcmp(f->type, scalars[k].proto)) kind = scalars[k].kind;
      if (!kind && find_msg(f->type)) {
        kind = "PROTO_MESSAGE";
        snprintf(target, sizeof target, "&proto_msg_%s", find_msg(f->type)->name);
      }
      if (!kind && find_enum(f->type)) {
        kind = "PROTO_ENUM";
        snprintf(et, sizeof et, "&proto_enum_%s", find_enum(f->type)->name);
      }
      if (!kind) {
        fprintf(stderr, "protogen: %s.%s: unknown type %s\n", m->name, f->name, f->type);
        exit(1);
      }
      fprintf(c, "  {\"%s\", \"%s\", %u, %s, %s, %s, %s, %s},\n", jn, f->name, f->number, kind,
              f->repeated ? "true" : "false", oneof, target, et);
    }
    if (m->nfields)
      fprintf(c, "};\nconst proto_message proto_msg_%s = {\"%s\", \"%s.%s\", proto_fields_%s, %zu};\n\n",
              m->name, m->name, package, m->name, m->name, m->nfields);
    else
      fprintf(c, "const proto_message proto_msg_%s = {\"%s\", \"%s.%s\", NULL, 0};\n\n", m->name,
              m->name, package, m->name);
  }
  fprintf(c, "const proto_message *const proto_messages[] = {\n");
  for (size_t i = 0; i < nmsgs; i++) fprintf(c, "  &proto_msg_%s,\n", msgs[i].name);
  fprintf(c, "};\nconst size_t proto_message_count = %zu;\n\n", nmsgs);
  fprintf(c, "const proto_enum *const proto_enums[] = {\n");
  for (size_t i = 0; i < nenums; i++) fprintf(c, "  &proto_enum_%s,\n", enums[i].name);
  if (!nenums) fprintf(c, "  NULL,\n");
  fprintf(c, "};\nconst size_t proto_enum_count = %zu;\n", nenums);
  fprintf(h, "\n#endif\n");
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: protogen OUT.c OUT.h FILE.proto...\n");
    return 2;
  }
  for (int i = 3; i < argc; i++) parse_file(argv[i]);
  if (!nmsgs) {
    fprintf(stderr, "protogen: no messages\n");
    return 1;
  }
  FILE *c = fopen(argv[1], "w"), *h = fopen(argv[2], "w");
  if (!c || !h) {
    fprintf(stderr, "protogen: cannot write %s / %s\n", argv[1], argv[2]);
    return 1;
  }
  const char *hname = strrchr(argv[2], '/') ? strrchr(argv[2], '/') + 1 : argv[2];
  emit(c, h, hname);
  bool bad = ferror(c) || ferror(h);
  bad |= fclose(c) != 0;
  bad |= fclose(h) != 0;
  if (bad) {
    fprintf(stderr, "protogen: write failed\n");
    return 1;
  }
  for (size_t i = 0; i < nmsgs; i++) free(msgs[i].fields);
  for (size_t i = 0; i < nenums; i++) free(enums[i].values);
  free(msgs);
  free(enums);
  return 0;
}
