// camreg reslice: resample a volume on an arbitrary plane into a placed 2-D NIfTI, or
// on slices perpendicular to a curve into a straightened volume with its transforms.
#include "calib/landmarks.h"
#include "cli/command.h"
#include "cli/common.h"
#include "cli/curve_io.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "render/curved.h"
#include "render/render.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char usage[] =
    "usage: camreg reslice --volume V.nii.gz --out SLICE.nii.gz [options]\n\n"
    "Resamples the volume on a plane through --centre with --normal; the image v axis runs\n"
    "along -up (up projected onto the plane), u along (-up) x normal, so the slice looks\n"
    "like a camera looking along the normal sees it. The NIfTI header puts every pixel\n"
    "back at its world place (sform = qform); a .png output is an 8-bit quick look.\n\n"
    "options:\n"
    "With --curve, the slices are perpendicular to a smooth curve through the points of\n"
    "FILE (3D Slicer markups .mrk.json, .fcsv, or CSV x,y,z; LPS or RAS as the file\n"
    "says), every --step mm of arc length, with rotation-minimizing frames (no twist);\n"
    "--out is then the straightened volume (voxel (u, v, k) = pixel (u, v) of slice k,\n"
    "float NIfTI of the original intensities), and --transforms, --itk-dir, --field,\n"
    "--mip and --drr write the rest (README: 'camreg reslice --curve, unreslice').\n\n"
    "  -v, --volume FILE     NIfTI volume\n"
    "  -o, --out FILE        .nii/.nii.gz (float, placed), .tif or .png\n"
    "      --centre X,Y,Z    plane centre, world mm (default: volume centre)\n"
    "      --normal X,Y,Z    plane normal (default 0,0,1: axial)\n"
    "      --up X,Y,Z        image up direction (default 0,1,0)\n"
    "      --size W,H        pixels (default 256,256)\n"
    "      --spacing MM      pixel size (default: smallest voxel size)\n"
    "      --nearest         nearest-neighbour (default trilinear)\n"
    "      --outside V       value outside the volume (default 0)\n"
    "curved reslicing:\n"
    "      --curve FILE      control points of the curve (at least two, no repeats)\n"
    "      --step MM         arc length between slices (default: --spacing)\n"
    "      --up X,Y,Z        with --curve: the first slice's up direction (default 0,0,1)\n"
    "      --transforms FILE every slice's world_from_pixel 4x4 (RAS) as JSON\n"
    "      --itk-dir DIR     one ITK transform per slice, DIR/slice_NNNN.tfm (LPS, Slicer)\n"
    "      --field FILE      displacement field .nii.gz on the straightened grid mapping it\n"
    "                        back to the original (ITK/Slicer grid transform)\n"
    "      --field-intent vector|dispvect  vector (default): intent 1007, LPS vectors, as\n"
    "                        ITK writes; dispvect: intent 1006, RAS vectors (ITK >= 5.4)\n"
    "      --mip FILE        panoramic maximum projection (.nii.gz, .tif, .png)\n"
    "      --drr FILE        panoramic line integral (intensity x mm)\n"
    "      --axis u|v        projection direction of --mip/--drr (default v)\n"
    "      --slab MM         project only within +-MM/2 of the curve (default: all)\n"
    "  -h, --help            this text\n";

typedef struct curve_args {
  const char *curve, *transforms, *itk_dir, *field, *mip, *drr;
  double step, slab;
  int axis, dispvect, have_up;
} curve_args;

// Writes a panoramic image: NIfTI (arc length by the other axis, mm), TIFF, or PNG.
static int write_panorama(const char *path, const cr_image *img, double step, double sp) {
  if (cr_path_has_suffix(path, ".nii") || cr_path_has_suffix(path, ".nii.gz")) {
    double A[4][4] = {{step, 0, 0, 0}, {0, sp, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}};
    return cr_image_write_nifti(path, img, A);
  }
  if (cr_path_has_suffix(path, ".png")) return cr_image_write_preview(path, img, 0, 0);
  return cr_image_write(path, img, 32);
}

static int run_curve(const char *vpath, const char *out, const curve_args *ca,
                     cr_curve_slices_options so, int nearest, float outside) {
  const char *cmd = "reslice";
  if (!cr_path_has_suffix(out, ".nii") && !cr_path_has_suffix(out, ".nii.gz"))
    return cli_usage_error(cmd, "with --curve, --out must be a .nii or .nii.gz volume");
  const char *pano[2] = {ca->mip, ca->drr};
  for (int i = 0; i < 2; i++)
    if (pano[i] && cr_render_output_check(pano[i]))
      return cli_usage_error(cmd, "%s", cr_last_error());
  if (ca->field && !cr_path_has_suffix(ca->field, ".nii") &&
      !cr_path_has_suffix(ca->field, ".nii.gz"))
    return cli_usage_error(cmd, "--field must end in .nii or .nii.gz");
  cr_landmarks *pts = NULL;
  if (cr_landmarks_read3d(ca->curve, &pts)) return cli_fail_last();
  cr_volume *vol = NULL, *st = NULL;
  if (cr_volume_load(vpath, -1, &vol, NULL)) {
    cr_landmarks_free(pts);
    return cli_fail_last();
  }
  if (so.spacing_mm == 0) // the smallest voxel size
    so.spacing_mm = fmin(vol->spacing[0], fmin(vol->spacing[1], vol->spacing[2]));
  cr_curve_slices *sl = NULL;
  int rc = cr_curve_slices_build(pts->p, pts->n, &so, &sl);
  int npts = pts->n;
  cr_landmarks_free(pts);
  if (rc) {
    cr_error_prefix(ca->curve);
    cr_volume_free(vol);
    return cli_fail_last();
  }
  cr_image *img[2] = {NULL, NULL};
  rc = cr_curve_reslice(vol, sl, nearest, outside, &st);
  for (int i = 0; i < 2 && !rc; i++)
    if (pano[i]) rc = cr_curve_panorama(st, sl, ca->axis, i == 0, ca->slab, &img[i]);
  // Every output is computed before the first is written.
  if (!rc) rc = cr_volume_save(out, st);
  if (!rc && ca->transforms) rc = cli_curve_write_json(ca->transforms, sl);
  if (!rc && ca->itk_dir) {
    struct stat sb;
    if (stat(ca->itk_dir, &sb) != 0 && mkdir(ca->itk_dir, 0777) != 0)
      rc = cr_error(CR_EIO, "%s: cannot create the folder", ca->itk_dir);
    if (!rc) rc = cli_curve_write_itk(ca->itk_dir, sl);
  }
  if (!rc && ca->field) rc = cli_curve_write_field(ca->field, sl, ca->dispvect);
  for (int i = 0; i < 2 && !rc; i++)
    if (pano[i]) rc = write_panorama(pano[i], img[i], sl->step_mm, sl->spacing_mm);
  if (!rc)
    fprintf(stderr,
            "wrote %s (%d x %d x %d: %d control points, curve %.1f mm, %g mm pixels, %g mm "
            "steps)\n",
            out, sl->width, sl->height, sl->n, npts, sl->length_mm, sl->spacing_mm, sl->step_mm);
  cr_image_free(img[0]), cr_image_free(img[1]);
  cr_volume_free(st), cr_volume_free(vol);
  cr_curve_slices_free(sl);
  return rc ? cli_fail_last() : 0;
}

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
                                       {"curve", required_argument, 0, 'C'},
                                       {"step", required_argument, 0, 'S'},
                                       {"transforms", required_argument, 0, 'T'},
                                       {"itk-dir", required_argument, 0, 'I'},
                                       {"field", required_argument, 0, 'F'},
                                       {"field-intent", required_argument, 0, 'G'},
                                       {"mip", required_argument, 0, 'M'},
                                       {"drr", required_argument, 0, 'D'},
                                       {"axis", required_argument, 0, 'A'},
                                       {"slab", required_argument, 0, 'L'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *vpath = NULL, *out = NULL;
  double centre[3], normal[3] = {0, 0, 1}, up[3] = {0, 1, 0}, size[2] = {256, 256}, spacing = 0,
                    outside = 0;
  int have_centre = 0, have_normal = 0, have_size = 0, c, rc;
  curve_args ca = {0};
  ca.axis = 1;
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
      have_normal = 1;
      break;
    case 'u':
      if ((rc = cli_parse_doubles("reslice", "--up", optarg, 3, up))) return rc;
      ca.have_up = 1;
      break;
    case 'C': ca.curve = optarg; break;
    case 'S':
      if ((rc = cli_parse_double("reslice", "--step", optarg, &ca.step))) return rc;
      if (!(ca.step > 0)) return cli_usage_error("reslice", "--step must be positive");
      break;
    case 'T': ca.transforms = optarg; break;
    case 'I': ca.itk_dir = optarg; break;
    case 'F': ca.field = optarg; break;
    case 'G':
      if (strcmp(optarg, "vector") && strcmp(optarg, "dispvect"))
        return cli_usage_error("reslice", "--field-intent is vector or dispvect, not '%s'", optarg);
      ca.dispvect = !strcmp(optarg, "dispvect");
      break;
    case 'M': ca.mip = optarg; break;
    case 'D': ca.drr = optarg; break;
    case 'A':
      if (strcmp(optarg, "u") && strcmp(optarg, "v"))
        return cli_usage_error("reslice", "--axis is u or v, not '%s'", optarg);
      ca.axis = optarg[0] == 'u' ? 0 : 1;
      break;
    case 'L':
      if ((rc = cli_parse_double("reslice", "--slab", optarg, &ca.slab))) return rc;
      break;
    case 's':
      if ((rc = cli_parse_doubles("reslice", "--size", optarg, 2, size))) return rc;
      for (int a = 0; a < 2; a++)
        if (size[a] < 1 || size[a] > 16384 || size[a] != (int)size[a])
          return cli_usage_error("reslice", "--size values must be whole numbers 1..16384");
      have_size = 1;
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
  if (spacing < 0) return cli_usage_error("reslice", "--spacing must be positive");
  if (ca.curve) {
    if (have_centre || have_normal)
      return cli_usage_error("reslice", "--centre and --normal do not go with --curve");
    cr_curve_slices_options so = cr_curve_slices_defaults();
    if (have_size) so.width = (int)size[0], so.height = (int)size[1];
    so.spacing_mm = spacing; // 0: the smallest voxel size
    so.step_mm = ca.step;
    if (ca.have_up) memcpy(so.up, up, sizeof so.up);
    return run_curve(vpath, out, &ca, so, interp == CR_INTERP_NEAREST, (float)outside);
  }
  if (ca.transforms || ca.itk_dir || ca.field || ca.mip || ca.drr || ca.step > 0)
    return cli_usage_error("reslice", "--step, --transforms, --itk-dir, --field, --mip and --drr "
                                      "need --curve");
  if (cr_render_output_check(out)) return cli_usage_error("reslice", "%s", cr_last_error());
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

const cr_command cr_command_reslice = {
    "reslice", "resample the volume on a plane, or along a curve (straightened volume)", run};
