// camreg synth: a synthetic intraoperative photo with its ground-truth pose and mask.
#include "cli/command.h"
#include "cli/common.h"
#include "core/camera.h"
#include "core/error.h"
#include "core/image.h"
#include "core/pose.h"
#include "core/rig.h"
#include "core/volume.h"
#include "experiments/synth.h"
#include "render/render.h"

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
    "More views of the same scene (a stereo microscope, a tracked microscope moved): each\n"
    "--view adds a camera; vessels, texture, albedo, the opening and the instruments are\n"
    "attached to the surface, so every photo agrees on them; one light sits on the\n"
    "reference camera (--camera at --pose) unless a view has light=own; each camera has its\n"
    "own lens distortion, noise,\n"
    "blur, vignetting and highlights.\n\n"
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
    "  --rig FILE --out2 PHOTO [--mask2 MASK]\n"
    "                       a stereo rig (camreg calibrate --stereo): its left camera replaces\n"
    "                       --camera, the right camera's photo (lit by the light on the left\n"
    "                       camera, the microscope body) goes to --out2\n"
    "  --view camera=CAM.yml,out=PHOTO.png[,mask=MASK.png](,pose=POSE.txt | ,cam_from_ref=T.txt)\n"
    "         [,light=ref|own]\n"
    "                       one more camera (repeat, up to 15): pose is its cam_from_world\n"
    "                       (these files serve camreg register as tracked= poses, with\n"
    "                       --tracked = --pose: the synthetic tracker frame is the world);\n"
    "                       cam_from_ref its transform from the reference camera (a rig's R, T);\n"
    "                       light=own: lit by the light on this camera (a tracked microscope\n"
    "                       moved with its light), default ref: the light on the reference\n"
    "  -h, --help           this text\n";

// One --view: camera, photo and mask files and its pose (values point into buf).
typedef struct view_arg {
  const char *camera, *out, *mask, *pose, *cam_from_ref;
  int own_light;
  char buf[4 * 4096];
} view_arg;

static int parse_view(const char *arg, view_arg *v) {
  static const char *const keys[] = {"camera",       "out",   "mask", "pose",
                                     "cam_from_ref", "light", NULL};
  const char *val[6];
  int rc = cli_parse_spec("synth", "--view", arg, keys, val, v->buf, sizeof v->buf);
  if (rc) return rc;
  v->camera = val[0], v->out = val[1], v->mask = val[2], v->pose = val[3], v->cam_from_ref = val[4];
  if (val[5] && strcmp(val[5], "ref") && strcmp(val[5], "own"))
    return cli_usage_error("synth", "--view %s: light= is ref or own", arg);
  v->own_light = val[5] && !strcmp(val[5], "own");
  if (!v->camera || !v->out)
    return cli_usage_error("synth", "--view %s: needs camera= and out=", arg);
  if (!!v->pose + !!v->cam_from_ref != 1)
    return cli_usage_error("synth", "--view %s: give exactly one of pose= and cam_from_ref=", arg);
  return 0;
}

// Writes a photo and (if asked) its mask as 0/255.
static int write_photo(const char *out, const char *mask_path, cr_image *photo, cr_image *mask) {
  int rc = cr_image_write(out, photo, 8);
  if (!rc && mask_path) {
    for (int y = 0; y < mask->height; y++)
      for (int x = 0; x < mask->width; x++) cr_image_px(mask, x, y)[0] *= 255;
    rc = cr_image_write(mask_path, mask, 8);
  }
  return rc;
}

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
                                       {"view", 1, 0, 'V'},     {"help", 0, 0, 'h'},
                                       {"rig", 1, 0, 'r'},      {"out2", 1, 0, '2'},
                                       {"mask2", 1, 0, 'm'},    {0, 0, 0, 0}};
  const char *rig_path = NULL, *out2 = NULL, *mask2 = NULL;
  static view_arg extra[CR_SYNTH_MAX_VIEWS - 1];
  int n_extra = 0;
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
    case 'V':
      if (n_extra >= CR_SYNTH_MAX_VIEWS - 1)
        return cli_usage_error("synth", "--view: at most %d more views", CR_SYNTH_MAX_VIEWS - 1);
      rc = parse_view(optarg, &extra[n_extra++]);
      break;
    case 'r': rig_path = optarg; break;
    case '2': out2 = optarg; break;
    case 'm': mask2 = optarg; break;
    case 'h': fputs(usage, stdout); return 0;
    default: return cli_usage_error("synth", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
    if (rc) return rc;
  }
  if (optind < argc) return cli_usage_error("synth", "unexpected argument '%s'", argv[optind]);
  if (!vol_path || !(cam_path || rig_path) || !pose_path || !out)
    return cli_usage_error("synth", "--volume, --camera (or --rig), --pose and -o are required");
  if (cam_path && rig_path) return cli_usage_error("synth", "give either --camera or --rig");
  if (!!rig_path != !!out2) return cli_usage_error("synth", "--rig and --out2 go together");
  if (mask2 && !rig_path) return cli_usage_error("synth", "--mask2 needs --rig");
  if (rig_path && n_extra >= CR_SYNTH_MAX_VIEWS - 1)
    return cli_usage_error("synth", "at most %d more views", CR_SYNTH_MAX_VIEWS - 1);
  int rig_view = rig_path ? 1 + n_extra : -1; // the right camera: the last view
  if (rig_path) {
    memset(&extra[n_extra], 0, sizeof extra[n_extra]);
    extra[n_extra].out = out2, extra[n_extra].mask = mask2, extra[n_extra].camera = rig_path;
    n_extra++;
  }
  cr_volume *vol = NULL;
  cr_synth_view views[CR_SYNTH_MAX_VIEWS];
  cr_image *photos[CR_SYNTH_MAX_VIEWS] = {0}, *masks[CR_SYNTH_MAX_VIEWS] = {0};
  int n = 1 + n_extra;
  views[0].own_light = 0;
  cr_rig rig;
  rc = rig_path ? cr_rig_read(rig_path, &rig) : cr_camera_read(cam_path, &views[0].camera);
  if (rig_path && !rc) views[0].camera = rig.left;
  rc = rc || cr_pose_read(pose_path, &views[0].cam_from_world) ||
       cr_volume_load(vol_path, -1, &vol, NULL) || cr_volume_check_contrast(vol, vol_path);
  if (rig_path && !rc) {
    views[rig_view].camera = rig.right, views[rig_view].own_light = 0;
    views[rig_view].cam_from_world =
        cr_pose_compose(&rig.right_from_left, &views[0].cam_from_world);
  }
  for (int k = 1; k < n && !rc; k++) {
    if (k == rig_view) continue;
    const view_arg *e = &extra[k - 1];
    cr_pose p;
    rc = cr_camera_read(e->camera, &views[k].camera) ||
         cr_pose_read(e->pose ? e->pose : e->cam_from_ref, &p);
    views[k].cam_from_world = e->pose ? p : cr_pose_compose(&p, &views[0].cam_from_world);
    views[k].own_light = e->own_light;
  }
  for (int k = 0; k < n && !rc; k++) {
    photos[k] = cr_image_new(views[k].camera.width, views[k].camera.height, 3);
    masks[k] = cr_image_new(views[k].camera.width, views[k].camera.height, 1);
    if (!photos[k] || !masks[k]) rc = cr_error(CR_ENOMEM, "out of memory");
  }
  if (!rc && !have_target)
    rc = cr_synth_default_target(vol, &views[0].camera, &views[0].cam_from_world, sp.iso, target);
  if (!rc) rc = cr_synth_photos(vol, views, n, target, &sp, photos, masks);
  for (int k = 0; k < n && !rc; k++)
    rc = write_photo(k ? extra[k - 1].out : out, k ? extra[k - 1].mask : mask_path, photos[k],
                     masks[k]);
  if (!rc && gt_path)
    rc = cr_pose_write(gt_path, &views[0].cam_from_world, "ground truth of a camreg synth photo");
  for (int k = 0; k < n; k++) cr_image_free(photos[k]), cr_image_free(masks[k]);
  cr_volume_free(vol);
  if (rc) return cli_fail_last();
  for (int k = 0; k < n; k++)
    fprintf(stderr, "wrote %s (%dx%d)%s%s\n", k ? extra[k - 1].out : out, views[k].camera.width,
            views[k].camera.height, (k ? extra[k - 1].mask : mask_path) ? ", mask " : "",
            (k ? extra[k - 1].mask : mask_path) ? (k ? extra[k - 1].mask : mask_path) : "");
  return 0;
}

const cr_command cr_command_synth = {"synth",
                                     "make a synthetic intraoperative photo with known pose", run};
