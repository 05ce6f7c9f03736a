// camreg reslice: resample a volume on an arbitrary plane into a placed 2-D NIfTI.
#include "cli/command.h"
#include "cli/common.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "render/render.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: camreg reslice --volume V.nii.gz --out SLICE.nii.gz [options]\n\n"
    "Resamples the volume on a plane through --centre with --normal; the image v axis runs\n"
    "along -up (up projected onto the plane), u along (-up) x normal, so the slice looks\n"
    "like a camera looking along the normal sees it. The NIfTI header puts every pixel\n"
    "back at its world place (sform = qform); a .png output is an 8-bit quick look.\n\n"
    "options:\n"
    "  -v, --volume FILE     NIfTI volume\n"
    "  -o, --out FILE        .nii/.nii.gz (float, placed), .tif or .png\n"
    "      --centre X,Y,Z    plane centre, world mm (default: volume centre)\n"
    "      --normal X,Y,Z    plane normal (default 0,0,1: axial)\n"
    "      --up X,Y,Z        image up direction (default 0,1,0)\n"
    "      --size W,H        pixels (default 256,256)\n"
    "      --spacing MM      pixel size (default: smallest voxel size)\n"
    "      --nearest         nearest-neighbour (default trilinear)\n"
    "      --outside V       value outside the volume (default 0)\n"
    "  -h, --help            this text\n";

static int run(int argc, char **argv) {
  static const struct option opts[] = {{"volume", required_argument, 0, 'v'},
                                       {"out", required_argument, 0, 'o'},
                                       {"centre", required_argument, 0, 'c'},
                                       {"normal", required_argument, 0, 'n'},
                                       {"up", required_argument, 0, 'u'},
                                       {"size", required_argument, 0, 's'},
                                       {"spacing", required_argument, 0, 'p'},
                                       {"nearest", no_argument, 0, 'N'},
                                       {"outside", required_argument, 0, 'O'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *vpath = NULL, *out = NULL;
  double centre[3], normal[3] = {0, 0, 1}, up[3] = {0, 1, 0}, size[2] = {256, 256}, spacing = 0,
                    outside = 0;
  int have_centre = 0, c, rc;
  cr_render_interp interp = CR_INTERP_LINEAR;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "v:o:h", opts, NULL)) != -1) {
    switch (c) {
    case 'v': vpath = optarg; break;
    case 'o': out = optarg; break;
    case 'c':
      if ((rc = cli_parse_doubles("reslice", "--centre", optarg, 3, centre))) return rc;
      have_centre = 1;
      break;
    case 'n':
      if ((rc = cli_parse_doubles("reslice", "--normal", optarg, 3, normal))) return rc;
      break;
    case 'u':
      if ((rc = cli_parse_doubles("reslice", "--up", optarg, 3, up))) return rc;
      break;
    case 's':
      if ((rc = cli_parse_doubles("reslice", "--size", optarg, 2, size))) return rc;
      for (int a = 0; a < 2; a++)
        if (size[a] < 1 || size[a] > 16384 || size[a] != (int)size[a])
          return cli_usage_error("reslice", "--size values must be whole numbers 1..16384");
      break;
    case 'p':
      if ((rc = cli_parse_double("reslice", "--spacing", optarg, &spacing))) return rc;
      break;
    case 'N': interp = CR_INTERP_NEAREST; break;
    case 'O':
      if ((rc = cli_parse_double("reslice", "--outside", optarg, &outside))) return rc;
      break;
    case 'h': fputs(usage, stdout); return 0;
    default:
      return cli_usage_error("reslice", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_usage_error("reslice", "unexpected argument '%s'", argv[optind]);
  if (!vpath || !out) return cli_usage_error("reslice", "--volume and --out are required");
  if (cr_render_output_check(out)) return cli_usage_error("reslice", "%s", cr_last_error());
  if (spacing < 0) return cli_usage_error("reslice", "--spacing must be positive");
  cr_volume *vol;
  if (cr_volume_load(vpath, -1, &vol, NULL)) return cli_fail_last();
  if (!have_centre) {
    double lo[3], hi[3];
    cr_volume_world_bounds(vol, lo, hi);
    for (int k = 0; k < 3; k++) centre[k] = 0.5 * (lo[k] + hi[k]);
  }
  if (spacing == 0) spacing = vol->spacing[0] < vol->spacing[1] ? vol->spacing[0] : vol->spacing[1];
  if (spacing > vol->spacing[2]) spacing = vol->spacing[2];
  cr_image *img = cr_image_new((int)size[0], (int)size[1], 1);
  double M[4][4];
  rc = !img || cr_render_reslice(vol, centre, normal, up, spacing, interp, (float)outside, img, M);
  if (!rc) {
    if (cr_path_has_suffix(out, ".nii") || cr_path_has_suffix(out, ".nii.gz"))
      rc = cr_image_write_nifti(out, img, M);
    else if (cr_path_has_suffix(out, ".png")) {
      float lo, hi;
      cr_image_minmax(img, &lo, &hi);
      rc = cr_image_write_preview(out, img, lo, hi); // a picture: 8-bit quick look
    } else
      rc = cr_image_write(out, img, 32);
  }
  cr_image_free(img);
  cr_volume_free(vol);
  if (rc) return cli_fail_last();
  fprintf(stderr, "wrote %s (%dx%d, %g mm, centre %.2f %.2f %.2f)\n", out, (int)size[0],
          (int)size[1], spacing, centre[0], centre[1], centre[2]);
  return 0;
}

const cr_command cr_command_reslice = {"reslice",
                                       "resample the volume on a plane (placed 2-D NIfTI)", run};
