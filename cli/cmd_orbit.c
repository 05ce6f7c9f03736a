// camreg orbit: a turntable of views around a pivot point, images and pose files.
#include "cli/command.h"
#include "cli/common.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/mat.h"
#include "render/render.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: camreg orbit --volume V.nii.gz --camera cam.yml --out-prefix PREFIX [options]\n\n"
    "Renders N views turning about an axis through a pivot (a turntable) and writes\n"
    "PREFIX_000.EXT, PREFIX_001.EXT, ... and their poses PREFIX_000.pose.txt, ...\n"
    "The start pose is --pose, or a camera at --distance from the pivot looking at it\n"
    "from the anterior (+y) side with superior (+z) up.\n\n"
    "options:\n"
    "  -v, --volume FILE      NIfTI volume\n"
    "  -c, --camera FILE      OpenCV camera YAML\n"
    "  -o, --out-prefix P     output prefix (folder must exist)\n"
    "  -p, --pose FILE        start pose (cam_from_world)\n"
    "      --pivot X,Y,Z      world pivot, mm (default: volume centre)\n"
    "      --axis X,Y,Z       turning axis, world (default 0,0,1)\n"
    "      --views N          number of views (default 12)\n"
    "      --degrees D        total turn (default 360: N views D/N apart)\n"
    "      --distance MM      start distance without --pose (default 300)\n"
    "  -m, --mode M           a render mode (list below; default surface)\n"
    "      --iso LEVEL        surface level (default automatic)\n"
    "      --step MM          sampling step (default smallest voxel size)\n"
    "      --ext EXT          image type: png (16-bit), nii, nii.gz, tif (default png)\n"
    "      --scale S          render at S times the camera resolution (default 1)\n"
    "  -h, --help             this text\n\n"
    "modes:\n";

// The help text: the modes come from the mode table (built-in and registered).
static void print_usage(void) {
  fputs(usage, stdout);
  for (int i = 0; i < cr_render_mode_count(); i++) {
    const cr_render_mode_type *t = cr_render_mode_at(i);
    printf("  %-9s %s\n", t->name, t->summary ? t->summary : "");
  }
}

typedef struct orbit_args {
  const char *volume, *camera, *prefix, *pose, *ext;
  cr_render_options p;
  double pivot[3], axis[3], degrees, distance, scale;
  int have_pivot, views;
} orbit_args;

static int parse(int argc, char **argv, orbit_args *a) {
  static const struct option opts[] = {{"volume", required_argument, 0, 'v'},
                                       {"camera", required_argument, 0, 'c'},
                                       {"out-prefix", required_argument, 0, 'o'},
                                       {"pose", required_argument, 0, 'p'},
                                       {"pivot", required_argument, 0, 'P'},
                                       {"axis", required_argument, 0, 'A'},
                                       {"views", required_argument, 0, 'n'},
                                       {"degrees", required_argument, 0, 'd'},
                                       {"distance", required_argument, 0, 'D'},
                                       {"mode", required_argument, 0, 'm'},
                                       {"iso", required_argument, 0, 'i'},
                                       {"step", required_argument, 0, 's'},
                                       {"ext", required_argument, 0, 'e'},
                                       {"scale", required_argument, 0, 'S'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  int c, rc;
  memset(a, 0, sizeof *a);
  // the mode first: its defaults are what the other options change
  const cr_render_mode_type *mode = &cr_render_mode_surface;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "v:c:o:p:m:h", opts, NULL)) != -1) {
    if (c == 'h') {
      print_usage();
      return -1;
    }
    if (c == 'm' && !(mode = cr_render_mode_find(optarg)))
      return cli_usage_error("orbit", "--mode: %s", cr_last_error());
  }
  a->p = cr_render_defaults(mode);
  a->axis[2] = 1, a->degrees = 360, a->distance = 300, a->scale = 1, a->views = 12, a->ext = "png";
  optind = 1;
  while ((c = getopt_long(argc, argv, "v:c:o:p:m:h", opts, NULL)) != -1) {
    switch (c) {
    case 'v': a->volume = optarg; break;
    case 'c': a->camera = optarg; break;
    case 'o': a->prefix = optarg; break;
    case 'p': a->pose = optarg; break;
    case 'P':
      if ((rc = cli_parse_doubles("orbit", "--pivot", optarg, 3, a->pivot))) return rc;
      a->have_pivot = 1;
      break;
    case 'A':
      if ((rc = cli_parse_doubles("orbit", "--axis", optarg, 3, a->axis))) return rc;
      break;
    case 'n':
      if ((rc = cli_parse_int("orbit", "--views", optarg, 1, 100000, &a->views))) return rc;
      break;
    case 'd':
      if ((rc = cli_parse_double("orbit", "--degrees", optarg, &a->degrees))) return rc;
      break;
    case 'D':
      if ((rc = cli_parse_double("orbit", "--distance", optarg, &a->distance))) return rc;
      break;
    case 'm': break; // read first
    case 'i':
      if ((rc = cli_parse_double("orbit", "--iso", optarg, &a->p.iso))) return rc;
      break;
    case 's':
      if ((rc = cli_parse_double("orbit", "--step", optarg, &a->p.step_mm))) return rc;
      break;
    case 'e': a->ext = optarg; break;
    case 'S':
      if ((rc = cli_parse_double("orbit", "--scale", optarg, &a->scale))) return rc;
      break;
    default: return cli_usage_error("orbit", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_usage_error("orbit", "unexpected argument '%s'", argv[optind]);
  if (!a->volume || !a->camera || !a->prefix)
    return cli_usage_error("orbit", "--volume, --camera and --out-prefix are required");
  if (!(cr_vec3_norm(a->axis) > 0)) return cli_usage_error("orbit", "--axis must not be zero");
  if (!(a->distance > 0)) return cli_usage_error("orbit", "--distance must be positive");
  if (!(a->scale > 0 && a->scale <= 8))
    return cli_usage_error("orbit", "--scale must be in (0, 8]");
  if (a->p.step_mm < 0) return cli_usage_error("orbit", "--step must be positive");
  char probe[64];
  snprintf(probe, sizeof probe, "x.%s", a->ext);
  if (cr_render_output_check(probe))
    return cli_usage_error("orbit", "--ext %s: use png, nii, nii.gz or tif", a->ext);
  return 0;
}

static int start_pose(const orbit_args *a, cr_pose *P) {
  if (a->pose) return cr_pose_read(a->pose, P);
  double eye[3] = {a->pivot[0], a->pivot[1] + a->distance, a->pivot[2]}, up[3] = {0, 0, 1};
  return cr_pose_look_at(P, eye, a->pivot, up);
}

static int run(int argc, char **argv) {
  orbit_args a;
  int rc = parse(argc, argv, &a);
  if (rc) return rc < 0 ? 0 : rc;
  cr_camera cam;
  cr_volume *vol = NULL;
  if (cr_camera_read(a.camera, &cam) || cr_volume_load(a.volume, -1, &vol, NULL) ||
      cr_volume_check_contrast(vol, a.volume))
    return cli_fail_last();
  if (a.scale != 1) cam = cr_camera_scaled(&cam, a.scale);
  if (!a.have_pivot) {
    double lo[3], hi[3];
    cr_volume_world_bounds(vol, lo, hi);
    for (int k = 0; k < 3; k++) a.pivot[k] = 0.5 * (lo[k] + hi[k]);
  }
  cr_pose P0;
  cr_renderer *r = NULL;
  cr_image *img = NULL;
  if (start_pose(&a, &P0) || cr_status_of(r = cr_renderer_new(vol, NULL, &a.p)) ||
      !(img = cr_image_new(cam.width, cam.height, 1)))
    goto fail;
  for (int i = 0; i < a.views; i++) {
    double angle = a.degrees * i / a.views, xc[3];
    cr_pose P = cr_render_orbit_pose(&P0, a.pivot, a.axis, angle);
    cr_render_out out = {img, NULL, NULL, NULL, NULL, NULL, NULL};
    if (cr_render(r, &cam, &P, &out)) goto fail;
    char path[4096], pose_path[4096], comment[128];
    snprintf(path, sizeof path, "%s_%03d.%s", a.prefix, i, a.ext);
    snprintf(pose_path, sizeof pose_path, "%s_%03d.pose.txt", a.prefix, i);
    snprintf(comment, sizeof comment, "camreg orbit view %d of %d, %.3f deg", i, a.views, angle);
    cr_pose_apply(&P, a.pivot, xc);
    if (cr_render_write(path, img, &cam, &P, xc[2] > 0 ? xc[2] : a.distance, NULL) ||
        cr_pose_write(pose_path, &P, comment))
      goto fail;
    cli_progress("orbit", i + 1, a.views);
  }
  fprintf(stderr, "wrote %d views %s_000.%s ... and their .pose.txt files\n", a.views, a.prefix,
          a.ext);
  rc = 0;
  goto done;
fail:
  rc = cli_fail_last();
done:
  cr_image_free(img);
  cr_renderer_free(r);
  cr_volume_free(vol);
  return rc;
}

const cr_command cr_command_orbit = {
    "orbit", "render a turntable of views around a pivot, with poses (any render mode)", run};
