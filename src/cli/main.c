/* main.c: the `stratus` command: dispatches to the subcommands listed in
 * commands.def. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct command {
  const char *name;
  const char *summary;
  const char *usage;
  int (*run)(int argc, char **argv);
} command;

static const command commands[] = {
#define CMD(NAME, SUMMARY, USAGE) {#NAME, SUMMARY, USAGE, cmd_##NAME},
#include "commands.def"
#undef CMD
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out) {
  fprintf(out, "usage: stratus <command> [args]\n\ncommands:\n");
  for (size_t i = 0; i < NCOMMANDS; i++)
    fprintf(out, "  %-8s %s\n           stratus %s %s\n", commands[i].name, commands[i].summary,
            commands[i].name, commands[i].usage);
  fprintf(out, "  %-8s %s\n  %-8s %s\n", "help", "show this help", "--version",
          "print the version");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
    printf("stratus %s\n", STRATUS_VERSION);
    return 0;
  }
  if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
    usage(stdout);
    return 0;
  }
  for (size_t i = 0; i < NCOMMANDS; i++)
    if (strcmp(cmd, commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "stratus: unknown command '%s'\n", cmd);
  usage(stderr);
  return 2;
}
