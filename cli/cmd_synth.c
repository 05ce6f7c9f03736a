// camreg synth: a synthetic intraoperative photo with its ground-truth pose and mask.
#include "cli/command.h"
#include "cli/common.h"
#include "core/camera.h"
#include "core/error.h"
#include "core/image.h"
#include "core/pose.h"
#include "core/volume.h"
#include "experiments/synth.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: camreg synth --volume V --camera CAM.yml --pose POSE.txt -o PHOTO.png [options]\n\n"
    "Makes a synthetic photo of the exposed cortex seen from POSE (cam_from_world), with an\n"
    "appearance model that registration does not use: pink cortex, dark sulci, red vessels\n"
    "from the sub-surface MRI signal, wet highlights, uneven light, colour cast, craniotomy\n"
    "opening with bone and drapes, instruments, 2x supersampling, blur, noise and JPEG; the\n"
    "camera's lens distortion is applied. The pose file is copied beside as ground truth.\n\n"
    "options:\n"
    "  -v, --volume FILE    MRI (NIfTI)\n"
    "  -c, --camera FILE    OpenCV camera YAML\n"
    "  --pose FILE          ground-truth pose (4x4 cam_from_world)\n"
    "  -o, --out FILE       photo (PNG/JPEG/TIFF, 8-bit RGB)\n"
    "  --mask FILE          also write the mask (255 = cortex seen in the opening)\n"
    "  --gt-pose FILE       also write the ground-truth pose here\n"
    "  --target X,Y,Z       world point the opening is centred on (default: centroid of\n"
    "                       the cortex seen near the image centre)\n"
    "  --iso LEVEL          cortical surface level (default: automatic, Otsu)\n"
    "  --opening MM         craniotomy radius in mm (default 35; 0: no opening)\n"
    "  --occluders N        instruments (default 1)\n"
    "  --vessels S --sulci S --specular S --illumination S\n"
    "                       effect strengths (default 1 each; 0 switches off)\n"
    "  --light-tilt DEG     light direction off the optical axis (default 5: a microscope's\n"
    "                       near-coaxial light)\n"
    "  --cast S             colour cast std dev (default 0.06)\n"
    "  --noise SIGMA        noise, grey levels (default 3)\n"
    "  --blur PX            blur sigma, pixels (default 0.7)\n"
    "  --jpeg Q             JPEG quality 1..100, 0 = none (default 92)\n"
    "  --seed N             random seed (default 1)\n"
    "  -h, --help           this text\n";

static int run(int argc, char **argv) {
  static const struct option opts[] = {{"volume", 1, 0, 'v'},   {"camera", 1, 0, 'c'},
                                       {"pose", 1, 0, 'P'},     {"out", 1, 0, 'o'},
                                       {"mask", 1, 0, 'M'},     {"gt-pose", 1, 0, 'G'},
                                       {"target", 1, 0, 'T'},   {"iso", 1, 0, 'I'},
                                       {"opening", 1, 0, 'O'},  {"occluders", 1, 0, 'N'},
                                       {"vessels", 1, 0, 'w'},  {"sulci", 1, 0, 's'},
                                       {"specular", 1, 0, 'p'}, {"illumination", 1, 0, 'l'},
                                       {"cast", 1, 0, 'k'},     {"noise", 1, 0, 'n'},
                                       {"blur", 1, 0, 'b'},     {"light-tilt", 1, 0, 't'},
                                       {"jpeg", 1, 0, 'j'},     {"seed", 1, 0, 'S'},
                                       {"help", 0, 0, 'h'},     {0, 0, 0, 0}};
  const char *vol_path = NULL, *cam_path = NULL, *pose_path = NULL, *out = NULL, *mask_path = NULL,
             *gt_path = NULL;
  cr_synth_options sp = cr_synth_defaults();
  double target[3];
  int have_target = 0, c, rc, seed;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "v:c:o:h", opts, NULL)) != -1) {
    rc = 0;
    switch (c) {
    case 'v': vol_path = optarg; break;
    case 'c': cam_path = optarg; break;
    case 'P': pose_path = optarg; break;
    case 'o': out = optarg; break;
    case 'M': mask_path = optarg; break;
    case 'G': gt_path = optarg; break;
    case 'T':
      rc = cli_parse_doubles("synth", "--target", optarg, 3, target), have_target = 1;
      break;
    case 'I': rc = cli_parse_double("synth", "--iso", optarg, &sp.iso); break;
    case 'O': rc = cli_parse_double("synth", "--opening", optarg, &sp.opening_mm); break;
    case 'N': rc = cli_parse_int("synth", "--occluders", optarg, 0, 4, &sp.n_occluders); break;
    case 'w': rc = cli_parse_double("synth", "--vessels", optarg, &sp.vessel_contrast); break;
    case 's': rc = cli_parse_double("synth", "--sulci", optarg, &sp.sulcus_darkening); break;
    case 'p': rc = cli_parse_double("synth", "--specular", optarg, &sp.specular); break;
    case 'l': rc = cli_parse_double("synth", "--illumination", optarg, &sp.illumination); break;
    case 'k': rc = cli_parse_double("synth", "--cast", optarg, &sp.colour_cast); break;
    case 'n': rc = cli_parse_double("synth", "--noise", optarg, &sp.noise_sigma); break;
    case 'b': rc = cli_parse_double("synth", "--blur", optarg, &sp.blur_px); break;
    case 't': rc = cli_parse_double("synth", "--light-tilt", optarg, &sp.light_tilt_deg); break;
    case 'j': rc = cli_parse_int("synth", "--jpeg", optarg, 0, 100, &sp.jpeg_quality); break;
    case 'S':
      rc = cli_parse_int("synth", "--seed", optarg, 0, 2147483647, &seed), sp.seed = (uint64_t)seed;
      break;
    case 'h': fputs(usage, stdout); return 0;
    default: return cli_usage_error("synth", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
    if (rc) return rc;
  }
  if (optind < argc) return cli_usage_error("synth", "unexpected argument '%s'", argv[optind]);
  if (!vol_path || !cam_path || !pose_path || !out)
    return cli_usage_error("synth", "--volume, --camera, --pose and -o are required");
  cr_camera cam;
  cr_pose pose;
  cr_volume *vol = NULL;
  if (cr_camera_read(cam_path, &cam) || cr_pose_read(pose_path, &pose) ||
      cr_volume_load(vol_path, -1, &vol, NULL) || cr_volume_check_contrast(vol, vol_path))
    return cli_fail_last();
  cr_image *photo = cr_image_new(cam.width, cam.height, 3),
           *mask = cr_image_new(cam.width, cam.height, 1);
  rc = photo && mask ? 0 : CR_ENOMEM;
  if (!rc && !have_target) rc = cr_synth_default_target(vol, &cam, &pose, sp.iso, target);
  if (!rc) rc = cr_synth_photo(vol, &cam, &pose, target, &sp, photo, mask);
  if (!rc) rc = cr_image_write(out, photo, 8);
  if (!rc && mask_path) {
    for (int y = 0; y < mask->height; y++)
      for (int x = 0; x < mask->width; x++) cr_image_px(mask, x, y)[0] *= 255;
    rc = cr_image_write(mask_path, mask, 8);
  }
  if (!rc && gt_path) rc = cr_pose_write(gt_path, &pose, "ground truth of a camreg synth photo");
  cr_image_free(photo), cr_image_free(mask), cr_volume_free(vol);
  if (rc) return cli_fail_last();
  fprintf(stderr, "wrote %s (%dx%d)%s%s\n", out, cam.width, cam.height, mask_path ? ", mask " : "",
          mask_path ? mask_path : "");
  return 0;
}

const cr_command cr_command_synth = {"synth",
                                     "make a synthetic intraoperative photo with known pose", run};
