/* cli.h: what the subcommands of `stratus` share. */
#ifndef STRATUS_CLI_H
#define STRATUS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STRATUS_VERSION "0.1.0"

/* ---- cli_util.c ---- */

/* Reads a whole file (at most 1 GiB) into a malloc'd buffer, with a NUL
 * after the last byte. */
bool cli_read_file(const char *path, uint8_t **out, size_t *len);
/* A byte count: digits, then optionally K, M or G (binary multiples, with
 * an optional "iB" or "B"). Zero is refused. */
bool cli_parse_bytes(const char *s, uint64_t *out);
/* A positive decimal count no larger than max. */
bool cli_parse_count(const char *s, uint64_t max, uint64_t *out);
/* A duration: a decimal number with a unit ns, us, ms, s, m or h (none:
 * seconds), e.g. 500ms, 1.5s, 2m. Zero is refused. */
bool cli_parse_duration(const char *s, uint64_t *ns);

/* An option with a value, "--name VALUE" or "--name=VALUE". */
typedef struct cli_opt {
  const char *arg; /* the argument, "--name..." */
  size_t nlen;     /* bytes of the name in arg */
  const char *val;
} cli_opt;
/* Splits argv[*i] into *o, moving *i past a separate VALUE; false when
 * the value is missing. */
bool cli_opt_split(int argc, char **argv, int *i, cli_opt *o);
/* Whether o is the option name ("--addr"). */
bool cli_opt_is(const cli_opt *o, const char *name);

/* One entry point per subcommand; argv[0] is the subcommand's name.
 * Returns the process exit status. */
#define CMD(NAME, SUMMARY, USAGE) int cmd_##NAME(int argc, char **argv);
#include "commands.def"
#undef CMD

#endif
