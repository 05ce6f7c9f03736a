// camreg register: find the camera pose of a photo relative to an MRI volume.
#include "calib/landmarks.h"
#include "cli/command.h"
#include "cli/common.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/imgproc.h"
#include "registration/itk_transform.h"
#include "registration/overlay.h"
#include "registration/register.h"
#include "registration/pipeline.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: camreg register --volume V --camera CAM.yml --photo P [--mask M]\n"
    "                       (--init POSE.txt | --landmarks 2D.csv --landmarks-3d 3D.mrk.json)\n"
    "                       [--mode M] [--metric NAME] [--optimizer NAME] -o POSE.txt [options]\n\n"
    "Finds the camera pose (cam_from_world) that makes a render of the volume match the photo:\n"
    "coarse-to-fine over an image pyramid, six parameters (rotation about a pivot, degrees,\n"
    "and translation in the camera frame, mm), optional restarts from perturbed poses. The\n"
    "render uses the camera's lens distortion, so the photo is used as taken.\n\n"
    "inputs:\n"
    "  -v, --volume FILE       MRI (NIfTI)\n"
    "  -c, --camera FILE       OpenCV camera YAML; the photo must have its size\n"
    "  -p, --photo FILE        photo (PNG/JPEG/TIFF)\n"
    "      --mask FILE         craniotomy mask (non-zero = use), photo-sized\n"
    "      --init FILE         start pose (4x4 cam_from_world)\n"
    "      --landmarks FILE    2-D landmarks (CSV u,v) for a PnP start, with --landmarks-3d\n"
    "      --landmarks-3d FILE 3-D landmarks (Slicer .mrk.json/.fcsv or CSV, RAS mm)\n"
    "      --pivot X,Y,Z       rotation centre (default: centroid of the surface seen)\n"
    "      --focus-distance MM the microscope's focus distance: camera centre to the cortex along\n"
    "                          the principal ray; adds the focus prior (--focus-weight) to the "
    "cost\n"
    "      --focus-sigma MM    its error (default 1)\n"
    "      --prior-distance MM working distance (camera depth of the pivot) for --prior-weight\n"
    "outputs:\n"
    "  -o, --out FILE          registered pose (4x4 + rvec/tvec)\n"
    "      --tfm FILE          ITK transform of the camera for 3D Slicer (LPS, camera's place)\n"
    "      --report FILE       JSON report (cost, evaluations, time per level, poses, method)\n"
    "      --overlay FILE      PNG: prepared photo with the registered render's edges in red\n"
    "  -h, --help              this text\n\n"
    "method (the same keys as an experiment config's method group, e.g. max_evals = 500;):\n";

typedef struct reg_args {
  const char *volume, *camera, *photo, *mask, *init, *lm2, *lm3, *out, *tfm, *report, *overlay;
  cr_reg_method method;
  cr_reg_register_options ro;
} reg_args;

static int parse_opt(int c, reg_args *a) {
  switch (c) {
  case 'v': a->volume = optarg; break;
  case 'c': a->camera = optarg; break;
  case 'p': a->photo = optarg; break;
  case 'M': a->mask = optarg; break;
  case 'i': a->init = optarg; break;
  case 'L': a->lm2 = optarg; break;
  case '3': a->lm3 = optarg; break;
  case 'o': a->out = optarg; break;
  case 'T': a->tfm = optarg; break;
  case 'R': a->report = optarg; break;
  case 'O': a->overlay = optarg; break;
  case 'P':
    a->ro.have_pivot = 1;
    return cli_parse_doubles("register", "--pivot", optarg, 3, a->ro.pivot_world);
  case 'D':
    return cli_parse_double("register", "--prior-distance", optarg, &a->ro.prior_distance_mm);
  case 'F':
    return cli_parse_double("register", "--focus-distance", optarg, &a->ro.focus_distance_mm);
  case 'G': return cli_parse_double("register", "--focus-sigma", optarg, &a->ro.focus_sigma_mm);
  default:
    if (c >= CLI_METHOD_OPT) return cli_method_apply("register", &a->method, c, optarg);
    return -2;
  }
  return 0;
}

static int check_args(reg_args *a) {
  if (!a->volume || !a->camera || !a->photo || !a->out)
    return cli_usage_error("register", "--volume, --camera, --photo and --out are required");
  if (!!a->init + !!(a->lm2 || a->lm3) != 1)
    return cli_usage_error("register", "give either --init or --landmarks with --landmarks-3d");
  if (!a->init && !(a->lm2 && a->lm3))
    return cli_usage_error("register", "--landmarks and --landmarks-3d go together");
  if (a->ro.focus_distance_mm != 0 && !(a->ro.focus_distance_mm > 0))
    return cli_usage_error("register",
                           "--focus-distance %g: the focus is in front of the camera (> 0 mm)",
                           a->ro.focus_distance_mm);
  if (!(a->ro.focus_sigma_mm > 0)) return cli_usage_error("register", "--focus-sigma must be > 0");
  if (a->method.prior_weight > 0 && !(a->ro.prior_distance_mm > 0))
    return cli_usage_error("register", "--prior-weight needs --prior-distance > 0");
  if (cr_reg_method_check(&a->method)) return cli_usage_error("register", "%s", cr_last_error());
  if (a->overlay && !cr_path_has_suffix(a->overlay, ".png"))
    return cli_usage_error("register", "--overlay %s: must be a .png file", a->overlay);
  return 0;
}

static int parse(int argc, char **argv, reg_args *a) {
  static const struct option fixed[] = {{"volume", 1, 0, 'v'},
                                        {"camera", 1, 0, 'c'},
                                        {"photo", 1, 0, 'p'},
                                        {"mask", 1, 0, 'M'},
                                        {"init", 1, 0, 'i'},
                                        {"landmarks", 1, 0, 'L'},
                                        {"landmarks-3d", 1, 0, '3'},
                                        {"out", 1, 0, 'o'},
                                        {"tfm", 1, 0, 'T'},
                                        {"report", 1, 0, 'R'},
                                        {"overlay", 1, 0, 'O'},
                                        {"pivot", 1, 0, 'P'},
                                        {"prior-distance", 1, 0, 'D'},
                                        {"focus-distance", 1, 0, 'F'},
                                        {"focus-sigma", 1, 0, 'G'},
                                        {"help", 0, 0, 'h'}};
  struct option opts[128];
  const int n_fixed = (int)(sizeof fixed / sizeof fixed[0]);
  memcpy(opts, fixed, sizeof fixed);
  cli_method_options(opts, n_fixed, (int)(sizeof opts / sizeof opts[0]));
  memset(a, 0, sizeof *a);
  a->method = cr_reg_method_defaults();
  a->ro = cr_reg_register_defaults();
  a->ro.focus_sigma_mm = 1;
  optind = 1;
  opterr = 0;
  int c, rc;
  while ((c = getopt_long(argc, argv, "v:c:p:o:m:h", opts, NULL)) != -1) {
    if (c == 'h') {
      fputs(usage, stdout);
      cr_reg_method_print_help(stdout);
      return -1;
    }
    if (c == 'm') c = CLI_METHOD_OPT; // -m is --mode, the first method key
    if ((rc = parse_opt(c, a)) == -2)
      return cli_usage_error("register", "unknown or incomplete option '%s'", argv[optind - 1]);
    if (rc) return rc;
  }
  if (optind < argc) return cli_usage_error("register", "unexpected argument '%s'", argv[optind]);
  return check_args(a);
}

// Start pose from --init, or PnP on the landmark pair.
static int start_pose(const reg_args *a, const cr_camera *cam, cr_pose *pose) {
  if (a->init) return cr_pose_read(a->init, pose);
  cr_landmarks *l2 = NULL, *l3 = NULL;
  double *X = NULL, *uv = NULL, rms;
  int n = 0;
  int rc = cr_landmarks_read2d(a->lm2, &l2);
  if (!rc) rc = cr_landmarks_read3d(a->lm3, &l3);
  if (!rc) rc = cr_landmarks_match(l3, l2, &X, &uv, &n);
  if (!rc && n < 4) rc = cr_error(CR_EINVAL, "%s: %d landmark pairs, PnP needs >= 4", a->lm2, n);
  if (!rc) rc = cr_calib_pnp(X, uv, n, cam, 0, pose, NULL, NULL, &rms);
  if (!rc) fprintf(stderr, "start pose from %d landmarks (PnP, rms %.2f px)\n", n, rms);
  free(X), free(uv);
  cr_landmarks_free(l2), cr_landmarks_free(l3);
  return rc;
}

static void progress(void *ctx, int level, int start, int evals, double cost) {
  const reg_args *a = ctx;
  cli_progress("register", evals,
               (long)a->method.max_evals * (a->method.levels - 1 + a->method.starts));
}

// The prepared photo (grey) with the edges of the registered render in red.
static int write_overlay(const char *path, cr_reg_cost *cost, const cr_pose *pose) {
  const cr_image *ren, *photo = cr_reg_cost_photo(cost, 0, 0);
  int rc = cr_reg_cost_render(cost, 0, 0, pose, &ren, NULL);
  if (rc) return rc;
  cr_image *rgb = cr_image_new(photo->width, photo->height, 3);
  if (!rgb) return CR_ENOMEM;
  rc = cr_reg_overlay(photo, ren, rgb);
  if (!rc) rc = cr_image_write(path, rgb, 8);
  cr_image_free(rgb);
  return rc;
}

static int write_outputs(const reg_args *a, cr_reg_cost *cost, const cr_reg_result *res) {
  char comment[256];
  snprintf(comment, sizeof comment, "camreg register: %s, %s, %s, cost %.6g, %d evaluations",
           a->method.mode->name, a->method.metric->name, res->optimizer, res->cost, res->evals);
  int rc = cr_pose_write(a->out, &res->final, comment);
  if (!rc && a->tfm) rc = cr_reg_itk_write_camera(a->tfm, &res->final);
  if (!rc && a->report) {
    cJSON *extra = cr_reg_register_report_extra(cost, &a->method, &a->ro, res);
    if (!extra) return cr_error(CR_ENOMEM, "%s: cannot format the report", a->report);
    cJSON_AddStringToObject(extra, "volume", a->volume);
    cJSON_AddStringToObject(extra, "photo", a->photo);
    rc = cr_reg_report_write(a->report, res, extra);
    cJSON_Delete(extra);
  }
  if (!rc && a->overlay) rc = write_overlay(a->overlay, cost, &res->final);
  return rc;
}

static int run(int argc, char **argv) {
  reg_args a;
  int rc = parse(argc, argv, &a);
  if (rc) return rc < 0 ? 0 : rc;
  cr_camera cam;
  cr_pose init;
  cr_volume *vol = NULL;
  cr_image *photo = NULL, *mask = NULL;
  cr_reg_cost *cost = NULL;
  if (cr_camera_read(a.camera, &cam) || cr_volume_load(a.volume, -1, &vol, NULL) ||
      cr_volume_check_contrast(vol, a.volume) || cr_image_read(a.photo, &photo, NULL) ||
      (a.mask && cr_image_read(a.mask, &mask, NULL)) || start_pose(&a, &cam, &init))
    goto fail;
  if (photo->width != cam.width || photo->height != cam.height) {
    cr_error(CR_EINVAL, "%s: photo is %dx%d but the camera %s is %dx%d", a.photo, photo->width,
             photo->height, a.camera, cam.width, cam.height);
    goto fail;
  }
  if (mask && (mask->width != cam.width || mask->height != cam.height)) {
    cr_error(CR_EINVAL, "%s: mask is %dx%d but the camera %s is %dx%d", a.mask, mask->width,
             mask->height, a.camera, cam.width, cam.height);
    goto fail;
  }
  cr_reg_view view = cr_reg_view_mono(&cam, photo, mask);
  view.name = a.photo;
  if (cr_status_of(cost = cr_reg_cost_new(&a.method, vol, NULL, &view, 1))) goto fail;
  a.ro.progress = progress, a.ro.progress_ctx = &a;
  cr_reg_result res;
  if (cr_reg_register(cost, &a.method, &init, &a.ro, &res)) goto fail;
  double focus_mm = NAN, focus_penalty = 0;
  if (a.ro.focus_distance_mm > 0 &&
      !cr_reg_cost_focus_penalty(cost, &res.final, &focus_mm, &focus_penalty))
    fprintf(stderr, "\nfocus distance at the registered pose %.2f mm (reported %.2f +- %.2f mm)",
            focus_mm, a.ro.focus_distance_mm, a.ro.focus_sigma_mm);
  fprintf(stderr,
          "\nregistered: cost %.6g, %d evaluations, %.2f s; change at the pivot %.2f px "
          "in plane, %+.2f mm along the axis\n",
          res.cost, res.evals, res.seconds, res.inplane_px, res.along_mm);
  if (write_outputs(&a, cost, &res)) goto fail;
  rc = 0;
  goto done;
fail:
  rc = cli_fail_last();
done:
  cr_reg_cost_free(cost);
  cr_image_free(photo), cr_image_free(mask);
  cr_volume_free(vol);
  return rc;
}

const cr_command cr_command_register = {
    "register", "find the camera pose of a photo of the brain (render + metric + optimizer)", run};
