// Labels on the photo from the command line: `camreg render -m label` and `camreg
// overlay` share this implementation (render/labels.h does the work).
#ifndef CR_CLI_LABELS_H
#define CR_CLI_LABELS_H

// Runs the label projection with the arguments of command `cmd` ("render" or
// "overlay"); with need_photo, --photo is required. Returns the exit status.
int cli_labels_run(const char *cmd, int argc, char **argv, int need_photo);

// The --help text.
void cli_labels_usage(const char *cmd);

#endif
