// One camreg subcommand. Each cmd_<name>.c defines `const cr_command cr_command_<name>`;
// the build collects them into the dispatch table from the file names.
#ifndef CR_CLI_COMMAND_H
#define CR_CLI_COMMAND_H

typedef struct cr_command {
  const char *name;    // as typed: "camreg <name>"
  const char *summary; // one line for `camreg --help`
  // Runs the command; argv[0] is the command name. Returns the process exit status.
  int (*run)(int argc, char **argv);
} cr_command;

#endif
