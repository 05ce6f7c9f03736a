// camreg overlay: labels of the MRI's space (a segmentation, an atlas) drawn on a
// registered photo (cli/labels.c, render/labels.h).
#include "cli/command.h"
#include "cli/labels.h"

static int run(int argc, char **argv) {
  return cli_labels_run("overlay", argc, argv, 1);
}

const cr_command cr_command_overlay = {
    "overlay", "draw a label map (atlas, segmentation) on a registered photo", run};
