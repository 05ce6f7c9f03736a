// The dispatcher of camreg: `camreg <command> [options]` runs one cmd_<name>.c; every
// command answers --help.
#include "cli/cli.h"

#include "cli/command.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/version.h"

#include <stdio.h>
#include <string.h>

#include "cli/command_table.inc"

static void print_help(FILE *f) {
  fprintf(f,
          "camreg %s: 2D/3D registration of intraoperative camera photos to brain MRI\n\n"
          "usage: camreg <command> [options]    (camreg <command> --help for details)\n\n"
          "commands:\n",
          CR_VERSION_STRING);
  for (int i = 0; command_table[i]; i++)
    fprintf(f, "  %-19s %s\n", command_table[i]->name, command_table[i]->summary);
  fprintf(f,
          "\nWorld coordinates are NIfTI RAS+ millimetres; cameras follow OpenCV's pinhole model;\n"
          "poses are cam_from_world (x_cam = R x_world + t).\n");
}

int cr_cli_main(int argc, char **argv) {
  cr_gsl_quiet();
  if (argc < 2) {
    print_help(stderr);
    return 2;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
    print_help(stdout);
    return 0;
  }
  if (!strcmp(argv[1], "--version")) {
    printf("camreg %s\n", CR_VERSION_STRING);
    return 0;
  }
  for (int i = 0; command_table[i]; i++) {
    if (strcmp(argv[1], command_table[i]->name)) continue;
    // Every output of a command is committed together, only when the command succeeds;
    // an interrupted command removes its temporary files. `experiment` writes its
    // results as trials finish (resumable), so it commits file by file.
    cr_atomic_install_signal_cleanup();
    int grouped = strcmp(argv[1], "experiment") != 0;
    if (grouped) cr_atomic_group_begin();
    int rc = command_table[i]->run(argc - 1, argv + 1);
    if (grouped && cr_atomic_group_end(rc == 0) != 0) {
      fprintf(stderr, "camreg: %s\n", cr_last_error());
      rc = 1;
    }
    return rc;
  }
  fprintf(stderr, "camreg: unknown command '%s'; see 'camreg --help'\n", argv[1]);
  return 2;
}
