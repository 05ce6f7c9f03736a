// camreg: the command-line front end (cli/cli.c dispatches to one cmd_<name>.c per
// subcommand).
#include "cli/cli.h"

int main(int argc, char **argv) {
  return cr_cli_main(argc, argv);
}
