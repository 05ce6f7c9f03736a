// The camreg command line as a library (cr_cli): the camreg program is main() calling
// cr_cli_main, and tests link cr_cli to run command-line code paths in-process (e.g.
// with a render mode they registered).
#ifndef CR_CLI_H
#define CR_CLI_H

#ifdef __cplusplus
extern "C" {
#endif

// Runs `camreg <command> [options]`: argv[0] is the program name, argv[1] the command.
// Prints to stdout/stderr as the program does and returns its exit status (0 ok,
// 1 failure, 2 usage error). Commands parse with getopt (not reentrant: one call at a
// time per process).
int cr_cli_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif
