/* cli.h: what the subcommands of `stratus` share. */
#ifndef STRATUS_CLI_H
#define STRATUS_CLI_H

#define STRATUS_VERSION "0.1.0"

/* One entry point per subcommand; argv[0] is the subcommand's name.
 * Returns the process exit status. */
#define CMD(NAME, SUMMARY, USAGE) int cmd_##NAME(int argc, char **argv);
#include "commands.def"
#undef CMD

#endif
