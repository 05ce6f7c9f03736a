// camreg unreslice: a volume in the straightened space of `reslice --curve` (a label map
// drawn on the straightened stack, a filtered copy, ...) back onto the original grid.
#include "cli/command.h"
#include "cli/common.h"
#include "cli/curve_io.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "render/curved.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: camreg unreslice --input STRAIGHT.nii.gz --transforms SLICES.json --reference "
    "V.nii.gz --out OUT.nii.gz [options]\n\n"
    "Maps a volume on the straightened grid of `camreg reslice --curve` (same size as its\n"
    "--out, voxel (u, v, k) = pixel (u, v) of slice k) back onto the grid of the reference\n"
    "volume: every reference voxel between the first and the last slice and inside the\n"
    "slices takes the straightened volume's value at the inverse of the curved mapping;\n"
    "others get --outside. Label maps: --nearest.\n\n"
    "options:\n"
    "  -i, --input FILE      volume in straightened space (NIfTI)\n"
    "  -t, --transforms FILE the slices file written by reslice --transforms\n"
    "  -r, --reference FILE  the original volume (its grid is the output's)\n"
    "  -o, --out FILE        .nii/.nii.gz\n"
    "      --nearest         nearest neighbour (label maps; default trilinear)\n"
    "      --outside V       value outside the swept region (default 0)\n"
    "      --bits 8|16|32    output type: uint8, uint16 or float (default 32)\n"
    "  -h, --help            this text\n";

static int run(int argc, char **argv) {
  static const struct option opts[] = {{"input", required_argument, 0, 'i'},
                                       {"transforms", required_argument, 0, 't'},
                                       {"reference", required_argument, 0, 'r'},
                                       {"out", required_argument, 0, 'o'},
                                       {"nearest", no_argument, 0, 'N'},
                                       {"outside", required_argument, 0, 'O'},
                                       {"bits", required_argument, 0, 'b'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *in = NULL, *tr = NULL, *ref = NULL, *out = NULL;
  int nearest = 0, bits = 32, c, rc;
  double outside = 0;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "i:t:r:o:h", opts, NULL)) != -1) {
    switch (c) {
    case 'i': in = optarg; break;
    case 't': tr = optarg; break;
    case 'r': ref = optarg; break;
    case 'o': out = optarg; break;
    case 'N': nearest = 1; break;
    case 'O':
      if ((rc = cli_parse_double("unreslice", "--outside", optarg, &outside))) return rc;
      break;
    case 'b':
      if ((rc = cli_parse_int("unreslice", "--bits", optarg, 8, 32, &bits))) return rc;
      if (bits != 8 && bits != 16 && bits != 32)
        return cli_usage_error("unreslice", "--bits is 8, 16 or 32");
      break;
    case 'h': fputs(usage, stdout); return 0;
    default:
      return cli_usage_error("unreslice", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_usage_error("unreslice", "unexpected argument '%s'", argv[optind]);
  if (!in || !tr || !ref || !out)
    return cli_usage_error("unreslice",
                           "--input, --transforms, --reference and --out are required");
  if (!cr_path_has_suffix(out, ".nii") && !cr_path_has_suffix(out, ".nii.gz"))
    return cli_usage_error("unreslice", "--out must end in .nii or .nii.gz");
  cr_curve_slices *sl = NULL;
  cr_volume *st = NULL, *rv = NULL, *o = NULL;
  long inside = 0;
  rc = cli_curve_read_json(tr, &sl);
  if (!rc) rc = cr_volume_load(in, -1, &st, NULL);
  if (!rc) rc = cr_volume_load(ref, -1, &rv, NULL);
  if (!rc) {
    rc = cr_curve_unreslice(st, sl, rv, nearest, (float)outside, &o, &inside);
    if (rc) cr_error_prefix(in);
  }
  if (!rc) rc = cr_volume_save_as(out, o, bits);
  if (!rc)
    fprintf(stderr, "wrote %s (%d x %d x %d; %ld voxels in the swept region)\n", out, o->dim[0],
            o->dim[1], o->dim[2], inside);
  cr_volume_free(o), cr_volume_free(rv), cr_volume_free(st);
  cr_curve_slices_free(sl);
  return rc ? cli_fail_last() : 0;
}

const cr_command cr_command_unreslice = {
    "unreslice", "map a straightened volume (reslice --curve) back onto the original grid", run};
