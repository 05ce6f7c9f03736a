// camreg register: find the camera pose of a photo relative to an MRI volume.
#include "calib/landmarks.h"
#include "cli/command.h"
#include "cli/common.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/imgproc.h"
#include "registration/itk_transform.h"
#include "registration/overlay.h"
#include "registration/mesh_cost.h"
#include "registration/register.h"
#include "registration/render_cost.h"

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
    "outputs:\n"
    "  -o, --out FILE          registered pose (4x4 + rvec/tvec)\n"
    "      --tfm FILE          ITK transform of the camera for 3D Slicer (LPS, camera's place)\n"
    "      --report FILE       JSON report (cost, evaluations, time per level, poses)\n"
    "      --overlay FILE      PNG: prepared photo with the registered render's edges in red\n"
    "method:\n"
    "  -m, --mode M            render mode: surface, probe, volume, drr, mip, or mesh (default\n"
    "                          surface); mesh rasterizes the cortex mesh (marching cubes at\n"
    "                          --iso, largest component, --smooth Taubin iterations) shaded\n"
    "                          by a headlight instead of ray casting the volume\n"
    "      --metric NAME       ssd ncc lncc mi nmi gc gd pi ngf edge dice (default ngf)\n"
    "      --optimizer NAME    nelder-mead, powell, cmaes, bfgs (default nelder-mead)\n"
    "      --levels N          pyramid levels (default 3)\n"
    "      --max-evals N       budget per start at the coarsest level, halved per finer level (default 400)\n"
    "      --starts N          starts at the coarsest level (default 3: the initial pose and two\n"
    "                          seeded perturbations; the best continues)\n"
    "      --start-spread D,MM restart perturbation, degrees and mm (default 5,5)\n"
    "      --seed N            restarts and CMA-ES (default 1)\n"
    "      --step D,MM         initial optimizer step at full resolution (default 1,1)\n"
    "      --xtol X            stop on parameter change below X deg/mm (default 0.01)\n"
    "      --pivot X,Y,Z       rotation centre (default: centroid of the surface seen)\n"
    "      --prior-distance MM working distance (depth of the pivot), with --prior-weight\n"
    "      --prior-weight W    weight of (depth - distance)^2 in the cost (default 0 = off);\n"
    "                          the metric constrains depth weakly: 0.01 for ncc is a start\n"
    "preparation and rendering:\n"
    "      --channel C         grey, r, g, b (default g)\n"
    "      --clahe CLIP        CLAHE clip limit, 0 = off (default 2)\n"
    "      --vesselness        multi-scale Hessian vesselness on photo and render\n"
    "      --bright-vessels    vessels brighter than their surround in the photo\n"
    "      --iso LEVEL         surface level (default automatic, Otsu)\n"
    "      --probe-depth MM    probe shell thickness (default 3)\n"
    "      --render-step MM    ray sampling step (default: smallest voxel size)\n"
    "      --smooth N          mesh mode: Taubin smoothing iterations (default 20)\n"
    "  -h, --help              this text\n";

typedef struct reg_args {
  const char *volume, *camera, *photo, *mask, *init, *lm2, *lm3, *out, *tfm, *report, *overlay;
  const char *metric_name, *optimizer_name;
  int have_pivot, mesh_mode, smooth;
  cr_reg_options ro;
  cr_reg_render_cost_options co;
} reg_args;

static int parse_pair(const char *opt, const char *s, double *a, double *b) {
  double v[2];
  int rc = cli_parse_doubles("register", opt, s, 2, v);
  if (rc) return rc;
  if (!(v[0] > 0) || !(v[1] > 0)) return cli_usage_error("register", "%s values must be > 0", opt);
  *a = v[0], *b = v[1];
  return 0;
}

static int parse_channel(const char *s, int *c) {
  static const char *names[] = {"grey", "r", "g", "b"};
  for (int i = 0; i < 4; i++)
    if (strcmp(s, names[i]) == 0) return *c = i - 1, 0;
  return cli_usage_error("register", "--channel '%s': use grey, r, g or b", s);
}

static int parse_opt(int c, reg_args *a) {
  int rc = 0, n;
  double d;
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
  case 'm':
    if ((a->mesh_mode = strcmp(optarg, "mesh") == 0)) break;
    if (!(a->co.render.mode = cr_render_mode_find(optarg)))
      return cli_usage_error("register", "--mode: %s", cr_last_error());
    break;
  case 'e': a->metric_name = optarg; break;
  case 'z': a->optimizer_name = optarg; break;
  case 'l': rc = cli_parse_int("register", "--levels", optarg, 1, CR_REG_MAX_LEVELS, &a->ro.levels); break;
  case 'x': rc = cli_parse_int("register", "--max-evals", optarg, 1, 10000000, &a->ro.max_evals); break;
  case 'n': rc = cli_parse_int("register", "--starts", optarg, 1, 1000, &a->ro.starts); break;
  case 'S': rc = parse_pair("--start-spread", optarg, &a->ro.start_rot_deg, &a->ro.start_trans_mm); break;
  case 's':
    if (!(rc = cli_parse_int("register", "--seed", optarg, 0, 2000000000, &n))) a->ro.seed = (unsigned long)n;
    break;
  case 'a': rc = parse_pair("--step", optarg, &a->ro.step_deg, &a->ro.step_mm); break;
  case 't':
    if (!(rc = cli_parse_double("register", "--xtol", optarg, &a->ro.xtol)) && !(a->ro.xtol > 0))
      rc = cli_usage_error("register", "--xtol must be > 0");
    break;
  case 'P': rc = cli_parse_doubles("register", "--pivot", optarg, 3, a->ro.pivot_world), a->have_pivot = 1; break;
  case 'D': rc = cli_parse_double("register", "--prior-distance", optarg, &a->ro.prior_distance_mm); break;
  case 'W': rc = cli_parse_double("register", "--prior-weight", optarg, &a->ro.prior_weight); break;
  case 'C': rc = parse_channel(optarg, &a->co.prep.channel); break;
  case 'H': rc = cli_parse_double("register", "--clahe", optarg, &a->co.prep.clahe_clip); break;
  case 'V': a->co.prep.vesselness = 1; break;
  case 'B': a->co.prep.bright_vessels = 1; break;
  case 'I': rc = cli_parse_double("register", "--iso", optarg, &a->co.render.iso); break;
  case 'd': rc = cli_parse_double("register", "--probe-depth", optarg, &a->co.render.probe_depth_mm); break;
  case 'r':
    if (!(rc = cli_parse_double("register", "--render-step", optarg, &d)) && !(d > 0))
      rc = cli_usage_error("register", "--render-step must be > 0");
    a->co.render.step_mm = d;
    break;
  case 'K': rc = cli_parse_int("register", "--smooth", optarg, 0, 10000, &a->smooth); break;
  default: rc = -2;
  }
  return rc;
}

static int check_args(reg_args *a) {
  if (!a->volume || !a->camera || !a->photo || !a->out)
    return cli_usage_error("register", "--volume, --camera, --photo and --out are required");
  if (!!a->init + !!(a->lm2 || a->lm3) != 1)
    return cli_usage_error("register", "give either --init or --landmarks with --landmarks-3d");
  if (!a->init && !(a->lm2 && a->lm3))
    return cli_usage_error("register", "--landmarks and --landmarks-3d go together");
  if (!(a->co.prep.clahe_clip >= 0)) return cli_usage_error("register", "--clahe must be >= 0");
  if (a->ro.prior_weight < 0 || (a->ro.prior_weight > 0 && !(a->ro.prior_distance_mm > 0)))
    return cli_usage_error("register", "--prior-weight needs --prior-distance > 0 (and weight >= 0)");
  if (!(a->co.render.probe_depth_mm >= 0)) return cli_usage_error("register", "--probe-depth must be >= 0");
  a->co.metric = cr_metric_find(a->metric_name ? a->metric_name : "ngf");
  if (!a->co.metric) {
    char names[256] = "";
    for (int i = 0; cr_metric_types[i]; i++)
      snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "",
               cr_metric_types[i]->name);
    return cli_usage_error("register", "unknown metric '%s' (known: %s)", a->metric_name, names);
  }
  a->ro.optimizer = cr_opt_lookup(a->optimizer_name ? a->optimizer_name : "nelder-mead");
  if (!a->ro.optimizer) return cli_usage_error("register", "--optimizer: %s", cr_last_error());
  a->co.levels = a->ro.levels;
  if (a->overlay && !cr_path_has_suffix(a->overlay, ".png"))
    return cli_usage_error("register", "--overlay %s: must be a .png file", a->overlay);
  return 0;
}

static int parse(int argc, char **argv, reg_args *a) {
  static const struct option opts[] = {
      {"volume", 1, 0, 'v'}, {"camera", 1, 0, 'c'}, {"photo", 1, 0, 'p'}, {"mask", 1, 0, 'M'},
      {"init", 1, 0, 'i'}, {"landmarks", 1, 0, 'L'}, {"landmarks-3d", 1, 0, '3'},
      {"out", 1, 0, 'o'}, {"tfm", 1, 0, 'T'}, {"report", 1, 0, 'R'}, {"overlay", 1, 0, 'O'},
      {"mode", 1, 0, 'm'}, {"metric", 1, 0, 'e'}, {"optimizer", 1, 0, 'z'},
      {"levels", 1, 0, 'l'}, {"max-evals", 1, 0, 'x'}, {"starts", 1, 0, 'n'},
      {"start-spread", 1, 0, 'S'}, {"seed", 1, 0, 's'}, {"step", 1, 0, 'a'}, {"xtol", 1, 0, 't'},
      {"pivot", 1, 0, 'P'}, {"prior-distance", 1, 0, 'D'}, {"prior-weight", 1, 0, 'W'},
      {"channel", 1, 0, 'C'}, {"clahe", 1, 0, 'H'}, {"vesselness", 0, 0, 'V'},
      {"bright-vessels", 0, 0, 'B'}, {"iso", 1, 0, 'I'}, {"probe-depth", 1, 0, 'd'},
      {"render-step", 1, 0, 'r'}, {"smooth", 1, 0, 'K'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
  memset(a, 0, sizeof *a);
  a->ro = cr_reg_defaults();
  a->co = cr_reg_render_cost_defaults();
  a->smooth = cr_reg_mesh_cost_defaults().build.smooth_iterations;
  optind = 1;
  opterr = 0;
  int c, rc;
  while ((c = getopt_long(argc, argv, "v:c:p:o:m:h", opts, NULL)) != -1) {
    if (c == 'h') return fputs(usage, stdout), -1;
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

// The cost in use: the volume render cost, or the mesh raster cost of --mode mesh.
typedef struct reg_cost {
  cr_reg_render_cost *render;
  cr_reg_mesh_cost *mesh;
  cr_mesh *cortex; // the mesh of the mesh cost
} reg_cost;

static int cost_new(const reg_args *a, reg_cost *c, const cr_volume *vol, const cr_camera *cam,
                    const cr_image *photo, const cr_image *mask) {
  if (!a->mesh_mode) {
    if (!cr_reg_render_cost_new(&c->render, vol, cam, photo, mask, &a->co)) return 0;
    cr_error_prefix(a->mask ? a->mask : a->photo);
    return -1;
  }
  cr_reg_mesh_cost_options mo = cr_reg_mesh_cost_defaults();
  mo.build.iso = a->co.render.iso, mo.build.smooth_iterations = a->smooth;
  mo.metric = a->co.metric, mo.metric_opt = a->co.metric_opt;
  mo.prep = a->co.prep, mo.levels = a->co.levels;
  double iso;
  if (cr_reg_mesh_build(vol, &mo.build, &c->cortex, &iso)) {
    cr_error_prefix(a->volume);
    return -1;
  }
  fprintf(stderr, "mesh: iso %g, %d vertices, %d triangles\n", iso, c->cortex->n_vertices, c->cortex->n_triangles);
  if (cr_reg_mesh_cost_new(&c->mesh, c->cortex, NULL, cam, photo, mask, &mo)) {
    cr_error_prefix(a->mask ? a->mask : a->photo);
    return -1;
  }
  return 0;
}

static void cost_free(reg_cost *c) {
  cr_reg_render_cost_free(c->render);
  cr_reg_mesh_cost_free(c->mesh);
  cr_mesh_free(c->cortex);
}

static int cost_render(reg_cost *c, int level, const cr_pose *pose, const cr_image **img, long *n) {
  return c->mesh ? cr_reg_mesh_cost_render(c->mesh, level, pose, img, n)
                 : cr_reg_render_cost_render(c->render, level, pose, img, n);
}

static const cr_image *cost_photo(const reg_cost *c, int level) {
  return c->mesh ? cr_reg_mesh_cost_photo(c->mesh, level) : cr_reg_render_cost_photo(c->render, level);
}

static int cost_pivot(reg_cost *c, const cr_pose *pose, double pivot[3]) {
  return c->mesh ? cr_reg_mesh_cost_pivot(c->mesh, pose, pivot) : cr_reg_render_cost_pivot(c->render, pose, pivot);
}

static void progress(void *ctx, int level, int start, int evals, double cost) {
  const reg_args *a = ctx;
  cli_progress("register", evals, (long)a->ro.max_evals * (a->ro.levels - 1 + a->ro.starts));
}

// The prepared photo (grey) with the edges of the registered render in red.
static int write_overlay(const char *path, reg_cost *cost, const cr_pose *pose) {
  const cr_image *ren, *photo = cost_photo(cost, 0);
  int rc = cost_render(cost, 0, pose, &ren, NULL);
  if (rc) return rc;
  cr_image *rgb = cr_image_new(photo->width, photo->height, 3);
  if (!rgb) return CR_ENOMEM;
  rc = cr_reg_overlay(photo, ren, rgb);
  if (!rc) rc = cr_image_write(path, rgb, 8);
  cr_image_free(rgb);
  return rc;
}

static int write_outputs(const reg_args *a, reg_cost *cost, const cr_reg_result *res) {
  char comment[256];
  snprintf(comment, sizeof comment, "camreg register: %s, %s, cost %.6g, %d evaluations",
           a->co.metric->name, res->optimizer, res->cost, res->evals);
  int rc = cr_pose_write(a->out, &res->final, comment);
  if (!rc && a->tfm) rc = cr_reg_itk_write_camera(a->tfm, &res->final);
  if (!rc && a->report) {
    cJSON *extra = cJSON_CreateObject();
    cJSON_AddStringToObject(extra, "metric", a->co.metric->name);
    cJSON_AddStringToObject(extra, "mode", a->mesh_mode ? "mesh" : a->co.render.mode->name);
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
  reg_cost cost = {NULL, NULL, NULL};
  if (cr_camera_read(a.camera, &cam) || cr_volume_load(a.volume, -1, &vol, NULL) ||
      cr_image_read(a.photo, &photo, NULL) || (a.mask && cr_image_read(a.mask, &mask, NULL)) ||
      start_pose(&a, &cam, &init))
    goto fail;
  if (photo->width != cam.width || photo->height != cam.height) {
    cr_error(CR_EINVAL, "%s: photo is %dx%d but the camera %s is %dx%d", a.photo, photo->width,
             photo->height, a.camera, cam.width, cam.height);
    goto fail;
  }
  if (cost_new(&a, &cost, vol, &cam, photo, mask)) goto fail;
  long n_valid = 0;
  if ((!a.have_pivot && cost_pivot(&cost, &init, a.ro.pivot_world)) ||
      cost_render(&cost, 0, &init, NULL, &n_valid))
    goto fail;
  if (n_valid == 0) {
    cr_error(CR_EEMPTY, "the initial pose sees no part of the volume inside the mask");
    goto fail;
  }
  a.ro.progress = progress, a.ro.progress_ctx = &a;
  cr_reg_result res;
  if (cost.mesh ? cr_reg_run(&cam, &init, cr_reg_mesh_cost_eval, cost.mesh, &a.ro, &res)
                : cr_reg_run(&cam, &init, cr_reg_render_cost_eval, cost.render, &a.ro, &res))
    goto fail;
  fprintf(stderr, "\nregistered: cost %.6g, %d evaluations, %.2f s; change at the pivot %.2f px "
                  "in plane, %+.2f mm along the axis\n", res.cost, res.evals, res.seconds,
          res.inplane_px, res.along_mm);
  if (write_outputs(&a, &cost, &res)) goto fail;
  rc = 0;
  goto done;
fail:
  rc = cli_fail_last();
done:
  cost_free(&cost);
  cr_image_free(photo), cr_image_free(mask);
  cr_volume_free(vol);
  return rc;
}

const cr_command cr_command_register = {"register", "find the camera pose of a photo of the brain (render + metric + optimizer)", run};
