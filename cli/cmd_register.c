// camreg register: find the camera pose of a photo relative to an MRI volume.
#include "calib/landmarks.h"
#include "cli/command.h"
#include "cli/common.h"
#include "core/atomic_file.h"
#include "core/rig.h"
#include "core/error.h"
#include "core/imgproc.h"
#include "registration/global.h"
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
    "                       (--init POSE.txt | --landmarks 2D.csv --landmarks-3d 3D.mrk.json |\n"
    "                        --look-at X,Y,Z --focus-distance MM)\n"
    "                       [--view SPEC ...] [--mode M] [--metric NAME] -o POSE.txt [options]\n\n"
    "Finds the camera pose (cam_from_world) that makes a render of the volume match the photo:\n"
    "coarse-to-fine over an image pyramid, six parameters (rotation about a pivot, degrees,\n"
    "and translation in the camera frame, mm), optional restarts from perturbed poses. The\n"
    "render uses the camera's lens distortion, so the photo is used as taken.\n\n"
    "Several views (a stereo microscope's second camera, photos from a tracked microscope)\n"
    "pin the depth along the optical axis that one narrow-field view barely constrains: the\n"
    "reference view is --camera/--photo/--mask, each --view adds one with its fixed transform\n"
    "from the reference camera, and one pose (the reference's) is optimized on the sum of\n"
    "the views' weighted costs.\n\n"
    "inputs:\n"
    "  -v, --volume FILE       MRI (NIfTI)\n"
    "  -c, --camera FILE       OpenCV camera YAML; the photo must have its size\n"
    "  -p, --photo FILE        photo (PNG/JPEG/TIFF)\n"
    "      --mask FILE         craniotomy mask (non-zero = use), photo-sized\n"
    "      --init FILE         start pose (4x4 cam_from_world)\n"
    "      --landmarks FILE    2-D landmarks (CSV u,v) for a PnP start, with --landmarks-3d\n"
    "      --landmarks-3d FILE 3-D landmarks (Slicer .mrk.json/.fcsv or CSV, RAS mm)\n"
    "      --look-at X,Y,Z     no start pose: the craniotomy centre (world RAS mm, on the "
    "cortex);\n"
    "                          the camera looks at it from --focus-distance, from any roll and "
    "any\n"
    "                          direction within --look-at-cone of the surface normal (global "
    "search)\n"
    "      --look-at-tol MM    how far the look-at point may be from the viewed point (default 5)\n"
    "      --look-at-cone DEG  how far the view may be from the surface normal (default 40)\n"
    "      --pivot X,Y,Z       rotation centre (default: centroid of the surface seen)\n"
    "      --focus-distance MM the microscope's focus distance: camera centre to the cortex along\n"
    "                          the principal ray (> 0); adds the focus prior (--focus-weight)\n"
    "      --focus-sigma MM    its error (default 1)\n"
    "      --light-at X,Y,Z    every view lit by one point light at this position (mm) in the\n"
    "                          reference camera's frame (0,0,0: at the reference camera: a\n"
    "                          stereo microscope's light on its body, shared by both cameras);\n"
    "                          default: each camera's own headlight. Surface mode only\n"
    "      --prior-distance MM working distance (camera depth of the pivot) for --prior-weight\n"
    "a stereo microscope (the rig file of camreg calibrate --stereo; its left camera is the\n"
    "reference, replacing --camera):\n"
    "      --rig FILE          rig file (M1 D1 M2 D2 R T, sizes): x_right = R x_left + T\n"
    "      --photo2 FILE       the right camera's photo (its size)\n"
    "      --mask2 FILE        its mask;  --weight2 W  weight of its cost (default 1)\n"
    "more views (up to 15; comma-separated KEY=VALUE, file names without commas):\n"
    "      --view camera=CAM.yml,photo=P.png[,mask=M.png][,weight=W]\n"
    "             (,cam_from_ref=POSE.txt | ,tracked=POSE.txt)\n"
    "                          cam_from_ref: the 4x4 transform from the reference camera to\n"
    "                          this one (x_view = R x_ref + t, mm; a stereo rig's R, T);\n"
    "                          tracked: this view's tracked pose cam_from_tracker (the\n"
    "                          tracker's reading with the hand-eye transform applied), with\n"
    "                          --tracked; weight of its cost (default 1)\n"
    "      --tracked FILE      the reference view's tracked pose (cam_from_tracker): a view's\n"
    "                          cam_from_ref = cam_from_tracker * inverse(this)\n"
    "outputs:\n"
    "  -o, --out FILE          registered pose of the reference camera (4x4 + rvec/tvec)\n"
    "      --tfm FILE          ITK transform of the camera for 3D Slicer (LPS, camera's place);\n"
    "                          view k > 0 to FILE_viewK.tfm\n"
    "      --report FILE       JSON report (cost, evaluations, time per level, poses, method,\n"
    "                          every view with its transform, pose and cost)\n"
    "      --overlay FILE      PNG: prepared photo with the registered render's edges in red;\n"
    "                          view k > 0 to FILE_viewK.png\n"
    "  -h, --help              this text\n\n"
    "method (the same keys as an experiment config's method group, e.g. max_evals = 500;):\n";

// One --view: the values point into buf.
typedef struct view_arg {
  const char *camera, *photo, *mask, *cam_from_ref, *tracked;
  double weight;
  char buf[4 * 4096];
} view_arg;

typedef struct reg_args {
  const char *volume, *camera, *photo, *mask, *init, *lm2, *lm3, *out, *tfm, *report, *overlay;
  int look_at;
  double look_at_world[3];
  const char *tracked, *rig, *photo2, *mask2;
  double weight2;
  int focus_given, n_extra;
  view_arg extra[CR_REG_MAX_VIEWS - 1];
  cr_reg_method method;
  cr_reg_register_options ro;
} reg_args;

static int parse_view(const char *arg, reg_args *a) {
  if (a->n_extra >= CR_REG_MAX_VIEWS - 1)
    return cli_usage_error("register", "--view: at most %d views besides the reference",
                           CR_REG_MAX_VIEWS - 1);
  static const char *const keys[] = {"camera",       "photo",   "mask", "weight",
                                     "cam_from_ref", "tracked", NULL};
  view_arg *v = &a->extra[a->n_extra];
  const char *val[6];
  int rc = cli_parse_spec("register", "--view", arg, keys, val, v->buf, sizeof v->buf);
  if (rc) return rc;
  v->camera = val[0], v->photo = val[1], v->mask = val[2], v->weight = 1;
  v->cam_from_ref = val[4], v->tracked = val[5];
  if (val[3] && (rc = cli_parse_double("register", "--view weight=", val[3], &v->weight)))
    return rc;
  if (!(v->weight > 0))
    return cli_usage_error("register", "--view %s: weight %g must be > 0", arg, v->weight);
  if (!v->camera || !v->photo)
    return cli_usage_error("register", "--view %s: needs camera= and photo=", arg);
  if (!!v->cam_from_ref + !!v->tracked != 1)
    return cli_usage_error("register",
                           "--view %s: give exactly one of cam_from_ref= and tracked=", arg);
  a->n_extra++;
  return 0;
}

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
    a->focus_given = 1;
    return cli_parse_double("register", "--focus-distance", optarg, &a->ro.focus_distance_mm);
  case 'V': return parse_view(optarg, a);
  case 'K': a->tracked = optarg; break;
  case 'X': a->rig = optarg; break;
  case 'Y': a->photo2 = optarg; break;
  case 'Z': a->mask2 = optarg; break;
  case 'W': return cli_parse_double("register", "--weight2", optarg, &a->weight2);
  case 'G': return cli_parse_double("register", "--focus-sigma", optarg, &a->ro.focus_sigma_mm);
  case 'H':
    a->ro.have_light = 1;
    return cli_parse_doubles("register", "--light-at", optarg, 3, a->ro.light_at);
  case 'A':
    a->look_at = 1;
    return cli_parse_doubles("register", "--look-at", optarg, 3, a->look_at_world);
  case 'U': return cli_parse_double("register", "--look-at-tol", optarg, &a->ro.look_at_mm);
  case 'C': return cli_parse_double("register", "--look-at-cone", optarg, &a->ro.look_at_cone_deg);
  default:
    if (c >= CLI_METHOD_OPT) return cli_method_apply("register", &a->method, c, optarg);
    return -2;
  }
  return 0;
}

static int check_args(reg_args *a) {
  if (!a->volume || !(a->camera || a->rig) || !a->photo || !a->out)
    return cli_usage_error("register", "--volume, --camera (or --rig), --photo and --out are "
                                       "required");
  if (a->camera && a->rig)
    return cli_usage_error("register", "give either --camera or --rig (its left camera is the "
                                       "reference)");
  if (!!a->rig != !!a->photo2) return cli_usage_error("register", "--rig and --photo2 go together");
  if ((a->mask2 || a->weight2 != 1) && !a->rig)
    return cli_usage_error("register", "--mask2 and --weight2 need --rig");
  if (!(a->weight2 > 0)) return cli_usage_error("register", "--weight2 must be > 0");
  if (a->n_extra + !!a->rig > CR_REG_MAX_VIEWS - 1)
    return cli_usage_error("register", "at most %d views besides the reference",
                           CR_REG_MAX_VIEWS - 1);
  if (!!a->init + !!(a->lm2 || a->lm3) + a->look_at != 1)
    return cli_usage_error("register",
                           "give one of --init, --landmarks with --landmarks-3d, or --look-at");
  if (a->look_at && !(a->ro.focus_distance_mm > 0))
    return cli_usage_error("register", "--look-at needs --focus-distance");
  if (a->look_at && a->ro.have_pivot)
    return cli_usage_error("register", "--look-at is the pivot: leave out --pivot");
  if (!(a->ro.look_at_mm >= 0) || !(a->ro.look_at_cone_deg >= 0 && a->ro.look_at_cone_deg <= 90))
    return cli_usage_error("register", "--look-at-tol must be >= 0 mm, --look-at-cone 0..90 deg");
  const double *l = a->ro.light_at;
  if (a->ro.have_light && !isfinite(l[0] + l[1] + l[2]))
    return cli_usage_error("register", "--light-at %g,%g,%g: needs a finite position", l[0], l[1],
                           l[2]);
  if (!a->init && !a->look_at && !(a->lm2 && a->lm3))
    return cli_usage_error("register", "--landmarks and --landmarks-3d go together");
  if (a->focus_given && !(a->ro.focus_distance_mm > 0))
    return cli_usage_error("register",
                           "--focus-distance %g: the focus lies in front of the camera (> 0 mm)",
                           a->ro.focus_distance_mm);
  int need_tracked = 0;
  for (int k = 0; k < a->n_extra; k++) need_tracked |= a->extra[k].tracked != NULL;
  if (need_tracked && !a->tracked)
    return cli_usage_error("register", "a --view with tracked= needs --tracked (the reference "
                                       "view's tracked pose)");
  if (a->tracked && !need_tracked)
    return cli_usage_error("register", "--tracked is used only by a --view with tracked=");
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
                                        {"light-at", 1, 0, 'H'},
                                        {"look-at", 1, 0, 'A'},
                                        {"look-at-tol", 1, 0, 'U'},
                                        {"look-at-cone", 1, 0, 'C'},
                                        {"view", 1, 0, 'V'},
                                        {"tracked", 1, 0, 'K'},
                                        {"rig", 1, 0, 'X'},
                                        {"photo2", 1, 0, 'Y'},
                                        {"mask2", 1, 0, 'Z'},
                                        {"weight2", 1, 0, 'W'},
                                        {"help", 0, 0, 'h'}};
  struct option opts[128];
  const int n_fixed = (int)(sizeof fixed / sizeof fixed[0]);
  memcpy(opts, fixed, sizeof fixed);
  cli_method_options(opts, n_fixed, (int)(sizeof opts / sizeof opts[0]));
  memset(a, 0, sizeof *a);
  a->method = cr_reg_method_defaults();
  a->ro = cr_reg_register_defaults();
  a->ro.focus_sigma_mm = 1;
  a->weight2 = 1;
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
  if (a->look_at) return 0; // from the cost (its surface level): look_at_start
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

static void global_progress(void *ctx, long done, long total) {
  (void)ctx;
  cli_progress("register: global search", done, total);
}

// --look-at: the start looks at the point from the focus distance along its surface normal.
static int look_at_start(reg_args *a, const cr_volume *vol, cr_reg_cost *cost, cr_pose *start) {
  double iso, normal[3];
  int rc = cr_reg_cost_iso(cost, &iso);
  if (!rc)
    rc = cr_reg_look_at_start(vol, iso, a->look_at_world, a->ro.focus_distance_mm, start, normal);
  if (rc) return rc;
  a->ro.look_at = 1, a->ro.have_pivot = 1;
  memcpy(a->ro.pivot_world, a->look_at_world, sizeof a->look_at_world);
  fprintf(stderr, "look-at start: normal (%.3f, %.3f, %.3f) at (%g, %g, %g) mm\n", normal[0],
          normal[1], normal[2], a->look_at_world[0], a->look_at_world[1], a->look_at_world[2]);
  return 0;
}

// PATH with "_viewK" before its extension for view k > 0 (PATH itself for view 0).
static void view_path(const char *path, int k, char *out, size_t cap) {
  const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
  if (k == 0 || !dot || (slash && dot < slash))
    snprintf(out, cap, k ? "%s_view%d" : "%s", path, k);
  else
    snprintf(out, cap, "%.*s_view%d%s", (int)(dot - path), path, k, dot);
}

// The prepared photo (grey) of a view with the edges of its registered render in red.
static int write_overlay(const char *path, cr_reg_cost *cost, int view, const cr_pose *pose) {
  const cr_image *ren, *photo = cr_reg_cost_photo(cost, view, 0);
  int rc = cr_reg_cost_render(cost, view, 0, pose, &ren, NULL);
  if (rc) return rc;
  cr_image *rgb = cr_image_new(photo->width, photo->height, 3);
  if (!rgb) return CR_ENOMEM;
  rc = cr_reg_overlay(photo, ren, rgb);
  if (!rc) rc = cr_image_write(path, rgb, 8);
  cr_image_free(rgb);
  return rc;
}

// The views as the registration saw them (loaded from the arguments).
typedef struct views {
  int n;
  cr_reg_view v[CR_REG_MAX_VIEWS];
  cr_image *photo[CR_REG_MAX_VIEWS], *mask[CR_REG_MAX_VIEWS];
  const char *camera_path[CR_REG_MAX_VIEWS], *mask_path[CR_REG_MAX_VIEWS];
  char rig_left[4200], rig_right[4200]; // "rig.yml (left camera)": named by camera_path[0..1]
} views;

static void views_free(views *vs) {
  for (int k = 0; k < vs->n; k++) cr_image_free(vs->photo[k]), cr_image_free(vs->mask[k]);
}

static cJSON *pose_json(const cr_pose *p) {
  double M[4][4];
  cr_pose_to_mat4(p, M);
  cJSON *o = cJSON_CreateArray();
  for (int i = 0; o && i < 4; i++) cJSON_AddItemToArray(o, cJSON_CreateDoubleArray(M[i], 4));
  return o;
}

// The photo consistency of each view k >= 1 with view 0 at the start and registered pose;
// has[k] = 0 where the cost has no such term (one view, --consistency 0, a mode without
// surface points).
typedef struct consistencies {
  double start[CR_REG_MAX_VIEWS], final[CR_REG_MAX_VIEWS];
  int has[CR_REG_MAX_VIEWS];
} consistencies;

static void consistencies_of(cr_reg_cost *cost, int n_views, const cr_reg_result *res,
                             consistencies *c) {
  memset(c, 0, sizeof *c);
  for (int k = 1; k < n_views; k++)
    c->has[k] = !cr_reg_cost_consistency(cost, k, 0, &res->start, &c->start[k]) &&
                !cr_reg_cost_consistency(cost, k, 0, &res->final, &c->final[k]);
  cr_error_clear();
}

// Every view: its files, weight, transform from the reference, registered pose and cost
// (and for views 1.. their photo consistency with view 0).
static cJSON *views_json(const views *vs, cr_reg_cost *cost, const cr_reg_result *res,
                         const consistencies *cons) {
  cJSON *arr = cJSON_CreateArray();
  for (int k = 0; arr && k < vs->n; k++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "photo", vs->v[k].name);
    cJSON_AddStringToObject(o, "camera", vs->camera_path[k]);
    if (vs->mask_path[k]) cJSON_AddStringToObject(o, "mask", vs->mask_path[k]);
    cJSON_AddNumberToObject(o, "weight", vs->v[k].weight);
    cJSON_AddItemToObject(o, "cam_from_ref", pose_json(&vs->v[k].cam_from_ref));
    cr_pose final = cr_pose_compose(&vs->v[k].cam_from_ref, &res->final);
    cJSON_AddItemToObject(o, "cam_from_world", pose_json(&final));
    double c0 = NAN, c1 = NAN;
    cr_reg_cost_eval_view(cost, k, 0, &res->start, &c0);
    cr_reg_cost_eval_view(cost, k, 0, &res->final, &c1);
    cJSON_AddNumberToObject(o, "start_cost", c0);
    cJSON_AddNumberToObject(o, "final_cost", c1);
    // the photo consistency with view 0 (unweighted; absent where the cost has none)
    if (cons->has[k]) {
      cJSON_AddNumberToObject(o, "start_consistency", cons->start[k]);
      cJSON_AddNumberToObject(o, "final_consistency", cons->final[k]);
    }
    cJSON_AddItemToArray(arr, o);
  }
  return arr;
}

static int write_outputs(const reg_args *a, const views *vs, cr_reg_cost *cost,
                         const cr_reg_result *res, const cr_reg_global_result *g,
                         const consistencies *cons) {
  char comment[256], path[4200];
  snprintf(comment, sizeof comment, "camreg register: %s, %s, %s, cost %.6g, %d evaluations",
           a->method.mode->name, a->method.metric->name, res->optimizer, res->cost, res->evals);
  int rc = cr_pose_write(a->out, &res->final, comment);
  for (int k = 0; !rc && a->tfm && k < vs->n; k++) {
    cr_pose p = cr_pose_compose(&vs->v[k].cam_from_ref, &res->final);
    view_path(a->tfm, k, path, sizeof path);
    rc = cr_reg_itk_write_camera(path, &p);
  }
  if (!rc && a->report) {
    cJSON *extra = cr_reg_register_report_extra(cost, &a->method, &a->ro, res);
    if (!extra) return cr_error(CR_ENOMEM, "%s: cannot format the report", a->report);
    cJSON_AddStringToObject(extra, "volume", a->volume);
    cJSON_AddStringToObject(extra, "photo", a->photo);
    if (a->method.global) cJSON_AddItemToObject(extra, "global", cr_reg_global_json(g));
    cJSON_AddItemToObject(extra, "views", views_json(vs, cost, res, cons));
    rc = cr_reg_report_write(a->report, res, extra);
    cJSON_Delete(extra);
  }
  for (int k = 0; !rc && a->overlay && k < vs->n; k++) {
    view_path(a->overlay, k, path, sizeof path);
    rc = write_overlay(path, cost, k, &res->final);
  }
  return rc;
}

// One view's camera (from cam_path, or *given, named cam_path), photo and mask, with sizes
// checked against the camera.
static int load_view(const char *cam_path, const cr_camera *given, const char *photo_path,
                     const char *mask_path, views *vs) {
  int k = vs->n;
  cr_camera cam;
  if (given) cam = *given;
  if ((!given && cr_camera_read(cam_path, &cam)) ||
      cr_image_read(photo_path, &vs->photo[k], NULL) ||
      (mask_path && cr_image_read(mask_path, &vs->mask[k], NULL))) {
    vs->n++; // free what was read
    return -1;
  }
  vs->n++;
  const cr_image *ph = vs->photo[k], *mk = vs->mask[k];
  if (ph->width != cam.width || ph->height != cam.height)
    return cr_error(CR_EINVAL, "%s: photo is %dx%d but the camera %s is %dx%d", photo_path,
                    ph->width, ph->height, cam_path, cam.width, cam.height);
  if (mk && (mk->width != cam.width || mk->height != cam.height))
    return cr_error(CR_EINVAL, "%s: mask is %dx%d but the camera %s is %dx%d", mask_path, mk->width,
                    mk->height, cam_path, cam.width, cam.height);
  vs->v[k] = cr_reg_view_mono(&cam, ph, mk);
  vs->v[k].name = photo_path;
  vs->camera_path[k] = cam_path, vs->mask_path[k] = mask_path;
  return 0;
}

// The reference view and every --view, with its cam_from_ref and weight.
static int load_views(const reg_args *a, views *vs) {
  memset(vs, 0, sizeof *vs);
  cr_rig rig;
  char *left = vs->rig_left, *right = vs->rig_right;
  if (a->rig) {
    if (cr_rig_read(a->rig, &rig)) return -1;
    snprintf(left, sizeof vs->rig_left, "%s (left camera)", a->rig);
    snprintf(right, sizeof vs->rig_right, "%s (right camera)", a->rig);
  }
  if (load_view(a->rig ? left : a->camera, a->rig ? &rig.left : NULL, a->photo, a->mask, vs))
    return -1;
  if (a->rig) { // the rig's right camera: x_right = R x_left + T
    if (load_view(right, &rig.right, a->photo2, a->mask2, vs)) return -1;
    vs->v[1].cam_from_ref = rig.right_from_left, vs->v[1].weight = a->weight2;
  }
  cr_pose ref_from_tracker = cr_pose_identity(), tracker_from_ref = cr_pose_identity();
  if (a->tracked) {
    if (cr_pose_read(a->tracked, &ref_from_tracker)) return -1;
    tracker_from_ref = cr_pose_inverse(&ref_from_tracker);
  }
  for (int i = 0; i < a->n_extra; i++) {
    const view_arg *e = &a->extra[i];
    if (load_view(e->camera, NULL, e->photo, e->mask, vs)) return -1;
    cr_reg_view *v = &vs->v[vs->n - 1];
    v->weight = e->weight;
    cr_pose p;
    if (cr_pose_read(e->cam_from_ref ? e->cam_from_ref : e->tracked, &p)) return -1;
    v->cam_from_ref = e->cam_from_ref ? p : cr_pose_compose(&p, &tracker_from_ref);
  }
  return 0;
}

static int run(int argc, char **argv) {
  static reg_args a; // large (one buffer per --view)
  int rc = parse(argc, argv, &a);
  if (rc) return rc < 0 ? 0 : rc;
  cr_pose init;
  cr_volume *vol = NULL;
  cr_reg_cost *cost = NULL;
  views vs;
  if (load_views(&a, &vs) || cr_volume_load(a.volume, -1, &vol, NULL) ||
      cr_volume_check_contrast(vol, a.volume) || start_pose(&a, &vs.v[0].camera, &init))
    goto fail;
  for (int k = 0; k < vs.n && vs.n > 1; k++)
    fprintf(stderr, "view %d: %s (%s, weight %g)\n", k, vs.v[k].name,
            k == 0                                  ? "reference"
            : a.rig && k == 1                       ? "the rig's right camera"
            : a.extra[k - 1 - !!a.rig].cam_from_ref ? "cam_from_ref given"
                                                    : "cam_from_ref from the tracked poses",
            vs.v[k].weight);
  if (a.look_at) a.method.global = 1; // no start pose: the global stage is the start
  if (cr_status_of(cost = cr_reg_cost_new(&a.method, vol, NULL, vs.v, vs.n))) goto fail;
  if (a.look_at && look_at_start(&a, vol, cost, &init)) goto fail;
  a.ro.progress = progress, a.ro.progress_ctx = &a;
  a.ro.global_progress = global_progress;
  cr_reg_global_result *g = calloc(1, sizeof *g);
  if (!g) {
    cr_error(CR_ENOMEM, "out of memory");
    goto fail;
  }
  a.ro.global = g;
  cr_reg_result res;
  rc = cr_reg_register(cost, &a.method, &init, &a.ro, &res);
  if (!rc && a.method.global) {
    fprintf(stderr,
            "global: %ld grid poses on %dx%d views (%.2f s), %d hypotheses refined (%.2f s), "
            "hypothesis %d won",
            g->n_grid, g->width, g->height, g->seconds_search, g->n, g->seconds_refine, g->winner);
    if (g->n_depth) fprintf(stderr, "; depth restart %+g mm won", g->depth_mm[g->depth_winner]);
    fputc('\n', stderr);
  }
  consistencies cons;
  if (!rc) consistencies_of(cost, vs.n, &res, &cons);
  if (rc || write_outputs(&a, &vs, cost, &res, g, &cons)) {
    free(g);
    goto fail;
  }
  free(g);
  double focus_mm = NAN, focus_penalty = 0;
  if (a.ro.focus_distance_mm > 0 &&
      !cr_reg_cost_focus_penalty(cost, &res.final, &focus_mm, &focus_penalty))
    fprintf(stderr, "\nfocus distance at the registered pose %.2f mm (reported %.2f +- %.2f mm)",
            focus_mm, a.ro.focus_distance_mm, a.ro.focus_sigma_mm);
  for (int k = 1; k < vs.n; k++) { // what pins depth with several views: said where it is off
    if (cons.has[k])
      fprintf(stderr, "\nview %d: photo consistency with view 0 %.4f at the start, %.4f registered",
              k, cons.start[k], cons.final[k]);
    else
      fprintf(stderr, "\nview %d: no photo consistency with view 0 (--consistency %g, %s mode)", k,
              a.method.consistency_weight, a.method.mode->name);
  }
  fprintf(stderr,
          "\nregistered: cost %.6g, %d evaluations, %.2f s; change at the pivot %.2f px "
          "in plane, %+.2f mm along the axis\n",
          res.cost, res.evals, res.seconds, res.inplane_px, res.along_mm);
  rc = 0;
  goto done;
fail:
  rc = cli_fail_last();
done:
  cr_reg_cost_free(cost);
  views_free(&vs);
  cr_volume_free(vol);
  return rc;
}

const cr_command cr_command_register = {
    "register", "find the camera pose of a photo of the brain (render + metric + optimizer)", run};
