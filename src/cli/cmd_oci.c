/*
 * cmd_oci.c: `stratus oci pull REF [out.wasm]` and `stratus oci push REF
 * app.wasm`: Wasm components as OCI artifacts (see oci_pull/oci_push in
 * stratus/cluster.h).
 *
 *   --insecure              plain http (and unverified TLS) for the registry
 *   -u, --user USER         basic credentials (or $STRATUS_OCI_USER)
 *   -p, --password PASS     (or $STRATUS_OCI_PASSWORD)
 *   --cache-dir DIR         the pull cache (default ~/.cache/stratus/oci)
 *   --timeout DURATION      for the whole operation (default 30s)
 *   --pull-policy POLICY    always | if-not-present (default) | never
 *
 * pull copies the component out of the cache to out.wasm (default
 * component.wasm, as wash does) and prints its layer digest; push prints
 * the manifest's digest. Errors are one line on stderr, exit status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "stratus/cluster.h"

static int oci_usage(void) {
  fprintf(stderr,
          "usage: stratus oci pull [options] REF [out.wasm]\n"
          "       stratus oci push [options] REF app.wasm\n"
          "options: --insecure, -u/--user USER, -p/--password PASS, --cache-dir DIR,\n"
          "         --timeout DURATION, --pull-policy always|if-not-present|never\n");
  return 2;
}

/* Copies src to dst through a temporary file beside dst and a rename, so
 * a regular file dst is never half written. */
static bool copy_file(const char *src, const char *dst, char *why, size_t n) {
  int in = open(src, O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    snprintf(why, n, "cannot open %s: %s", src, strerror(errno));
    return false;
  }
  size_t dl = strlen(dst);
  char *tmp = malloc(dl + 16);
  if (!tmp) {
    close(in);
    snprintf(why, n, "out of memory");
    return false;
  }
  snprintf(tmp, dl + 16, "%s.tmp-XXXXXX", dst);
  /* Something that is not a regular file (/dev/null, a pipe) is written
   * in place: renaming over it would replace the device or pipe. */
  struct stat st;
  bool direct = stat(dst, &st) == 0 && !S_ISREG(st.st_mode);
  int out = direct ? open(dst, O_WRONLY | O_TRUNC | O_CLOEXEC) : mkostemp(tmp, O_CLOEXEC);
  bool ok = out >= 0;
  if (!ok) snprintf(why, n, "cannot create %s: %s", direct ? dst : tmp, strerror(errno));
  char buf[1 << 16];
  ssize_t r;
  while (ok && (r = read(in, buf, sizeof buf)) != 0) {
    if (r < 0) {
      ok = false;
      snprintf(why, n, "cannot read %s: %s", src, strerror(errno));
      break;
    }
    for (ssize_t off = 0; off < r;) {
      ssize_t w = write(out, buf + off, (size_t)(r - off));
      if (w <= 0) {
        ok = false;
        snprintf(why, n, "cannot write %s: %s", dst, strerror(errno));
        break;
      }
      off += w;
    }
  }
  if (out >= 0) {
    if (!direct) fchmod(out, 0644);
    if (close(out) != 0 && ok) {
      ok = false;
      snprintf(why, n, "cannot write %s: %s", dst, strerror(errno));
    }
  }
  close(in);
  if (ok && !direct && rename(tmp, dst) != 0) {
    ok = false;
    snprintf(why, n, "cannot write %s: %s", dst, strerror(errno));
  }
  if (!ok && out >= 0 && !direct) unlink(tmp);
  free(tmp);
  return ok;
}

int cmd_oci(int argc, char **argv) {
  if (argc < 2) return oci_usage();
  const char *sub = argv[1];
  bool pull = strcmp(sub, "pull") == 0;
  if (!pull && strcmp(sub, "push") != 0) {
    fprintf(stderr, "stratus oci: unknown subcommand '%s'\n", sub);
    return oci_usage();
  }
  oci_options o = {.progress = true, .policy = OCI_PULL_IF_NOT_PRESENT,
                   .username = getenv("STRATUS_OCI_USER"),
                   .password = getenv("STRATUS_OCI_PASSWORD")};
  const char *pos[2] = {0};
  int npos = 0;
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--insecure") == 0 || strcmp(a, "--allow-insecure") == 0 ||
        strcmp(a, "--allow-insecure-registries") == 0) { o.allow_insecure = true; continue; }
    if (a[0] != '-' || strcmp(a, "-") == 0) {
      if (npos == 2) {
        fprintf(stderr, "stratus oci %s: too many arguments\n", sub);
        return oci_usage();
      }
      pos[npos++] = a;
      continue;
    }
    cli_opt op;
    if (!cli_opt_split(argc, argv, &i, &op)) {
      fprintf(stderr, "stratus oci %s: %s needs a value\n", sub, a);
      return oci_usage();
    }
#define OPT(name) cli_opt_is(&op, name)
    if (OPT("-u") || OPT("--user")) o.username = op.val;
    else if (OPT("-p") || OPT("--password")) o.password = op.val;
    else if (OPT("--cache-dir")) o.cache_dir = op.val;
    else if (OPT("--timeout")) {
      if (!cli_parse_duration(op.val, &o.timeout_ns)) {
        fprintf(stderr, "stratus oci %s: bad --timeout '%s' (e.g. 30s, 500ms, 2m)\n", sub, op.val);
        return 2;
      }
    } else if (OPT("--pull-policy")) {
      if (strcmp(op.val, "always") == 0 || strcmp(op.val, "Always") == 0) o.policy = OCI_PULL_ALWAYS;
      else if (strcmp(op.val, "if-not-present") == 0 || strcmp(op.val, "IfNotPresent") == 0)
        o.policy = OCI_PULL_IF_NOT_PRESENT;
      else if (strcmp(op.val, "never") == 0 || strcmp(op.val, "Never") == 0) o.policy = OCI_PULL_NEVER;
      else {
        fprintf(stderr, "stratus oci %s: bad --pull-policy '%s' (always, if-not-present, never)\n",
                sub, op.val);
        return 2;
      }
    } else {
      fprintf(stderr, "stratus oci %s: unknown option %s\n", sub, a);
      return oci_usage();
    }
#undef OPT
  }
  if (o.username && !*o.username) o.username = NULL;
  if (o.password && !*o.password) o.password = NULL;
  if (!!o.username != !!o.password) {
    fprintf(stderr, "stratus oci %s: give both a user and a password (or neither)\n", sub);
    return 2;
  }
  if (npos < 1 || (!pull && npos != 2)) return oci_usage();
  wasm_error err = {0};
  char *digest = NULL;
  int rc = 0;
  if (pull) {
    char *path = NULL;
    const char *out = npos > 1 ? pos[1] : "component.wasm";
    if (oci_pull(pos[0], &o, &path, &digest, &err) != WASM_OK) {
      fprintf(stderr, "stratus oci pull: %s\n", err.message);
      return 1;
    }
    char why[512];
    if (!copy_file(path, out, why, sizeof why)) {
      fprintf(stderr, "stratus oci pull: %s\n", why);
      rc = 1;
    } else {
      printf("%s\n", digest);
    }
    free(path);
  } else {
    if (oci_push(pos[0], pos[1], &o, &digest, &err) != WASM_OK) {
      fprintf(stderr, "stratus oci push: %s\n", err.message);
      return 1;
    }
    printf("%s\n", digest);
  }
  free(digest);
  return rc;
}
