// camreg bench-registration: time, evaluations and accuracy of the registration loop for
// each optimizer, on a synthetic reprojection cost and (with --volume) on a synthetic
// photo of a volume rendered by the real cost (render + metric).
#include "cli/command.h"
#include "cli/common.h"
#include "core/error.h"
#include "core/mat.h"
#include "core/rng.h"
#include "experiments/synth.h"
#include "experiments/view_set.h"
#include "registration/register.h"
#include "registration/pipeline.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: camreg bench-registration [--volume V --camera CAM.yml --pose TRUTH.txt] [options]\n\n"
    "Registers from seeded starts at --start DEG,MM (rotation about the pivot, translation)\n"
    "and prints per optimizer (and mode) the median wall time, median evaluations, median\n"
    "and worst final mTRE (mm, over surface points seen at the true pose). Without --volume\n"
    "the cost is the mean squared reprojection distance of 30 points (an exact, smooth cost:\n"
    "measures the optimizers and the loop only). With --volume a photo is synthesized at\n"
    "TRUTH (experiments/synth.c appearance model) and registered with the real cost.\n\n"
    "options:\n"
    "  --volume FILE --camera FILE --pose FILE   real-cost benchmark inputs\n"
    "  --modes LIST       render modes, comma separated (default: the method's --mode)\n"
    "  --view-sets LIST   with --volume: mono, stereo, tracked, comma separated (default\n"
    "                     mono): stereo adds a second camera --baseline MM (25) along x,\n"
    "                     converging at the truth's pivot depth; tracked adds the camera\n"
    "                     turned --view-angle DEG (30) about that point, with its light\n"
    "  --optimizers LIST  (default nelder-mead,powell,cmaes,bfgs)\n"
    "  --trials N         starts per optimizer (default 5; 1 with --volume)\n"
    "  --start DEG,MM     initial error (default 10,10)\n"
    "  --landscape R      instead: the cost along each parameter through the truth,\n"
    "                     offsets -R..R (deg or mm) in 11 steps, per level, with the arg-min\n"
    "  -h, --help\n\n"
    "method (as camreg register; --prior-weight W takes the working distance from the true\n"
    "depth of the pivot, an oracle no user has: for comparisons only):\n";

typedef struct bench {
  cr_camera cam;
  cr_pose truth;
  double targets[400][3], pivot[3];
  int n_targets;
} bench;

static int reproj_cost(int level, const cr_pose *pose, void *ctx, double *cost) {
  const bench *b = ctx;
  const cr_camera level_cam = cr_reg_level_camera(&b->cam, level), *cam = &level_cam;
  double sum = 0;
  for (int i = 0; i < b->n_targets; i++) {
    double xa[3], xb[3], ua[2], ub[2];
    cr_pose_apply(pose, b->targets[i], xa);
    cr_pose_apply(&b->truth, b->targets[i], xb);
    if (cr_camera_project(cam, xa, ua) || cr_camera_project(cam, xb, ub)) return *cost = 1e6, 0;
    sum += (ua[0] - ub[0]) * (ua[0] - ub[0]) + (ua[1] - ub[1]) * (ua[1] - ub[1]);
  }
  *cost = sum / b->n_targets;
  return 0;
}

static void synthetic_scene(bench *b) {
  b->cam = cr_camera_from_fov(256, 256, 30);
  double eye[3] = {10, 20, 230}, target[3] = {10, 20, 50}, up[3] = {0, 1, 0};
  cr_pose_look_at(&b->truth, eye, target, up);
  b->n_targets = 30;
  memset(b->pivot, 0, sizeof b->pivot);
  for (int i = 0; i < 30; i++) {
    double a = 2.399963 * i, r = 35 * sqrt((i + 0.5) / 30);
    b->targets[i][0] = 10 + r * cos(a), b->targets[i][1] = 20 + r * sin(a);
    b->targets[i][2] = 50 - r * r / 80 + 4 * sin(0.3 * i);
    for (int k = 0; k < 3; k++) b->pivot[k] += b->targets[i][k] / 30;
  }
}

// Start k: the truth perturbed by exactly deg about a direction and mm along another.
static cr_pose start_pose(const bench *b, double deg, double mm, int k) {
  cr_reg_param par;
  cr_reg_param_init(&par, &b->truth, b->pivot);
  double p[6];
  cr_rng rng = cr_rng_make((uint64_t)k, 0x62656e6368ull /* "bench" */);
  cr_rng_unit_vector(&rng, p), cr_rng_unit_vector(&rng, p + 3);
  for (int i = 0; i < 3; i++) p[i] *= deg, p[3 + i] *= mm;
  return cr_reg_param_to_pose(&par, p);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

typedef struct bench_args {
  const char *volume, *camera, *pose, *modes, *optimizers, *view_sets;
  int trials;
  double deg, mm, landscape, baseline_mm, view_angle_deg;
  cr_reg_method method;
} bench_args;

// Cost along each parameter through the truth (offsets -R..R), per level: where is the
// optimum of the metric? Prints the costs and the arg-min offset.
static int landscape(const bench *b, const bench_args *a, int levels, cr_reg_cost_fn f, void *ctx) {
  static const char *pname[6] = {"rx deg", "ry deg", "rz deg", "tx mm", "ty mm", "tz mm"};
  cr_reg_param par;
  cr_reg_param_init(&par, &b->truth, b->pivot);
  for (int l = levels - 1; l >= 0; l--) {
    for (int k = 0; k < 6; k++) {
      double best = INFINITY, best_off = 0;
      printf("level %d %-6s:", l, pname[k]);
      for (int i = -5; i <= 5; i++) {
        double p[6] = {0}, c;
        p[k] = a->landscape * i / 5;
        cr_pose pose = cr_reg_param_to_pose(&par, p);
        if (f(l, &pose, ctx, &c)) return cli_fail_last();
        printf(" %8.4g", c);
        if (c < best) best = c, best_off = p[k];
      }
      printf("   min at %+g\n", best_off);
    }
  }
  return 0;
}

// Runs `trials` registrations with one optimizer and prints one line.
static int run_optimizer(const bench *b, const bench_args *a, const char *opt_name,
                         const char *label, cr_reg_cost_fn f, void *ctx) {
  cr_reg_method m = a->method;
  if (!(m.optimizer = cr_opt_lookup(opt_name))) return cli_fail_last();
  cr_reg_register_options ro = cr_reg_register_defaults();
  memcpy(ro.pivot_world, b->pivot, sizeof b->pivot);
  if (m.prior_weight > 0) { // the focus distance: the pivot's depth at the truth (an oracle)
    double pc[3];
    cr_pose_apply(&b->truth, b->pivot, pc);
    ro.prior_distance_mm = pc[2];
  }
  cr_reg_options o = cr_reg_method_loop_options(&m, &ro);
  if (f == cr_reg_cost_eval) o.linearize = cr_reg_cost_linearize; // --warp: as camreg register
  double t[64], ev[64], mt[64], lt[CR_REG_MAX_LEVELS][64], le[CR_REG_MAX_LEVELS][64];
  int n = a->trials < 64 ? a->trials : 64, nl = 0, lw[CR_REG_MAX_LEVELS];
  for (int k = 0; k < n; k++) {
    cr_pose start = start_pose(b, a->deg, a->mm, k);
    cr_reg_result r;
    if (cr_reg_run(&b->cam, &start, f, ctx, &o, &r)) return cli_fail_last();
    t[k] = r.seconds * 1e3, ev[k] = r.evals;
    mt[k] = cr_reg_mtre(&r.final, &b->truth, (const double(*)[3])b->targets, b->n_targets);
    nl = r.nlevels;
    for (int l = 0; l < nl; l++)
      lt[l][k] = r.level[l].seconds * 1e3, le[l][k] = r.level[l].evals, lw[l] = r.level[l].width;
  }
  qsort(t, n, sizeof t[0], cmp_double), qsort(ev, n, sizeof ev[0], cmp_double);
  qsort(mt, n, sizeof mt[0], cmp_double);
  printf("%-22s %-12s %10.1f %8.0f %10.4f %10.4f\n", label, opt_name, t[n / 2], ev[n / 2],
         mt[n / 2], mt[n - 1]);
  // where the time goes: median ms and evaluations per pyramid level, coarse to fine
  printf("  per level:");
  for (int l = 0; l < nl; l++) {
    qsort(lt[l], n, sizeof lt[l][0], cmp_double), qsort(le[l], n, sizeof le[l][0], cmp_double);
    printf("  %dpx %.1f ms %.0f evals%s", lw[l], lt[l][n / 2], le[l][n / 2],
           l + 1 < nl ? ";" : "\n");
  }
  fflush(stdout);
  return 0;
}

static int for_each_optimizer(const bench *b, const bench_args *a, const char *label,
                              cr_reg_cost_fn f, void *ctx) {
  char list[256];
  snprintf(list, sizeof list, "%s", a->optimizers);
  for (char *s = strtok(list, ","); s; s = strtok(NULL, ","))
    if (run_optimizer(b, a, s, label, f, ctx)) return 1;
  return 0;
}

// The cameras of a view set about the truth (experiments/view_set.h): their cam_from_ref and
// whether each carries its own light. Returns the number of views, 0 for an unknown name.
static int view_set(const bench *b, const bench_args *a, const char *name, cr_pose *cam_from_ref,
                    int *own_light) {
  double pc[3];
  cr_pose_apply(&b->truth, b->pivot, pc);
  cam_from_ref[0] = cr_pose_identity(), own_light[0] = own_light[1] = 0;
  cr_exp_view_kind kind;
  if (cr_exp_view_kind_parse(name, &kind)) return 0;
  if (kind == CR_EXP_VIEWS_MONO) return 1;
  if (kind == CR_EXP_VIEWS_STEREO)
    cam_from_ref[1] = cr_exp_stereo_right_from_left(a->baseline_mm, pc[2]);
  else
    cam_from_ref[1] = cr_exp_turned_from_ref(a->view_angle_deg, pc[2]), own_light[1] = 1;
  return 2;
}

// Synthesizes the views of one view set at the truth and benchmarks a mode on them.
static int bench_views(bench *b, const bench_args *a, const cr_volume *vol, const char *mode,
                       const char *set) {
  cr_pose cam_from_ref[2];
  int own[2], n = view_set(b, a, set, cam_from_ref, own), rc = 0;
  if (!n) return cli_fail_last();
  cr_synth_view sv[2];
  cr_image *photo[2] = {0}, *mask[2] = {0};
  cr_reg_view views[2];
  for (int v = 0; v < n && !rc; v++) {
    sv[v].camera = b->cam, sv[v].own_light = own[v];
    sv[v].cam_from_world = cr_pose_compose(&cam_from_ref[v], &b->truth);
    photo[v] = cr_image_new(b->cam.width, b->cam.height, 3);
    mask[v] = cr_image_new(b->cam.width, b->cam.height, 1);
    if (!photo[v] || !mask[v]) rc = cr_error(CR_ENOMEM, "out of memory");
  }
  cr_synth_options spp = cr_synth_defaults();
  if (!rc) rc = cr_synth_photos(vol, sv, n, b->pivot, &spp, photo, mask);
  cr_reg_method method = a->method;
  if (!rc) rc = cr_reg_method_set(&method, "mode", mode);
  for (int v = 0; v < n; v++) {
    views[v] = cr_reg_view_mono(&b->cam, photo[v], mask[v]);
    views[v].cam_from_ref = cam_from_ref[v];
  }
  cr_reg_cost *cost = NULL;
  if (!rc) rc = cr_status_of(cost = cr_reg_cost_new(&method, vol, NULL, views, n));
  if (rc) rc = cli_fail_last();
  char label[64];
  snprintf(label, sizeof label, "%s/%s %dx%d %s", mode, method.metric->name, b->cam.width,
           b->cam.height, set);
  if (!rc)
    rc = a->landscape > 0 ? landscape(b, a, method.levels, cr_reg_cost_eval, cost)
                          : for_each_optimizer(b, a, label, cr_reg_cost_eval, cost);
  cr_reg_cost_free(cost);
  for (int v = 0; v < n; v++) cr_image_free(photo[v]), cr_image_free(mask[v]);
  return rc;
}

// Benchmarks every mode and view set with the real cost on photos synthesized at the truth.
static int real_cost(bench *b, const bench_args *a) {
  cr_volume *vol = NULL;
  int rc = 1;
  if (cr_camera_read(a->camera, &b->cam) || cr_pose_read(a->pose, &b->truth) ||
      cr_volume_load(a->volume, -1, &vol, NULL))
    return cli_fail_last();
  cr_render_options sp = cr_render_defaults(&cr_render_mode_surface);
  cr_renderer *sr = NULL;
  double xyz[3 * 4000];
  int n = 0;
  if (cr_status_of(sr = cr_renderer_new(vol, NULL, &sp)) ||
      cr_render_surface_points(sr, &b->cam, &b->truth, 8, xyz, 4000, &n, b->pivot)) {
    rc = cli_fail_last();
    goto done;
  }
  b->n_targets = n < 400 ? n : 400;
  for (int i = 0; i < b->n_targets; i++) // spread the targets over all seen points
    memcpy(b->targets[i], xyz + 3 * (size_t)(i * (long)n / b->n_targets), sizeof b->targets[i]);
  char modes[128], sets[128];
  snprintf(modes, sizeof modes, "%s", a->modes);
  rc = 0;
  for (char *s1 = NULL, *m = strtok_r(modes, ",", &s1); m && !rc; m = strtok_r(NULL, ",", &s1)) {
    snprintf(sets, sizeof sets, "%s", a->view_sets);
    for (char *s2 = NULL, *v = strtok_r(sets, ",", &s2); v && !rc; v = strtok_r(NULL, ",", &s2))
      rc = bench_views(b, a, vol, m, v);
  }
done:
  cr_renderer_free(sr);
  cr_volume_free(vol);
  return rc;
}

static int parse(int argc, char **argv, bench_args *a) {
  static const struct option fixed[] = {
      {"volume", 1, 0, 'v'},   {"camera", 1, 0, 'c'},     {"pose", 1, 0, 'p'},
      {"modes", 1, 0, 'M'},    {"optimizers", 1, 0, 'z'}, {"trials", 1, 0, 'n'},
      {"start", 1, 0, 's'},    {"landscape", 1, 0, 'L'},  {"view-sets", 1, 0, 'V'},
      {"baseline", 1, 0, 'B'}, {"view-angle", 1, 0, 'A'}, {"help", 0, 0, 'h'}};
  struct option opts[128];
  memcpy(opts, fixed, sizeof fixed);
  cli_method_options(opts, (int)(sizeof fixed / sizeof fixed[0]),
                     (int)(sizeof opts / sizeof opts[0]));
  *a = (bench_args){NULL, NULL, NULL, NULL, "nelder-mead,powell,cmaes,bfgs", "mono", 0, 10,
                    10,   0,    25,   30,   cr_reg_method_defaults()};
  optind = 1, opterr = 0;
  int c, rc = 0;
  double v[2];
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1 && !rc) {
    switch (c) {
    case 'v': a->volume = optarg; break;
    case 'c': a->camera = optarg; break;
    case 'p': a->pose = optarg; break;
    case 'M': a->modes = optarg; break;
    case 'z': a->optimizers = optarg; break;
    case 'V': a->view_sets = optarg; break;
    case 'B':
      rc = cli_parse_double("bench-registration", "--baseline", optarg, &a->baseline_mm);
      break;
    case 'A':
      rc = cli_parse_double("bench-registration", "--view-angle", optarg, &a->view_angle_deg);
      break;
    case 'n':
      rc = cli_parse_int("bench-registration", "--trials", optarg, 1, 64, &a->trials);
      break;
    case 's':
      if (!(rc = cli_parse_doubles("bench-registration", "--start", optarg, 2, v)))
        a->deg = v[0], a->mm = v[1];
      break;
    case 'L':
      if (!(rc = cli_parse_double("bench-registration", "--landscape", optarg, &a->landscape)) &&
          !(a->landscape > 0))
        rc = cli_usage_error("bench-registration", "--landscape must be > 0");
      break;
    case 'h':
      fputs(usage, stdout);
      cr_reg_method_print_help(stdout);
      return -1;
    default:
      if (c >= CLI_METHOD_OPT)
        rc = cli_method_apply("bench-registration", &a->method, c, optarg);
      else
        return cli_usage_error("bench-registration", "unknown or incomplete option '%s'",
                               argv[optind - 1]);
    }
  }
  if (rc) return rc;
  // The benchmark times the local loop (cr_reg_run): a global key would be ignored.
  if (a->method.global)
    return cli_usage_error("bench-registration",
                           "--global: the benchmark times the local loop only; time the global "
                           "stage with camreg experiment run (global = true)");
  if (!!a->volume + !!a->camera + !!a->pose != 0 && !(a->volume && a->camera && a->pose))
    return cli_usage_error("bench-registration", "--volume, --camera and --pose go together");
  if (a->method.warp_rounds > 0 && !a->volume)
    return cli_usage_error("bench-registration",
                           "--warp: warps renders, so it needs the real cost (--volume)");
  if (!a->modes) a->modes = a->method.mode->name;
  char sets[128];
  snprintf(sets, sizeof sets, "%s", a->view_sets);
  cr_exp_view_kind kind;
  for (char *s = NULL, *v = strtok_r(sets, ",", &s); v; v = strtok_r(NULL, ",", &s))
    if (cr_exp_view_kind_parse(v, &kind))
      return cli_usage_error("bench-registration", "--view-sets: %s", cr_last_error());
  if (!a->trials) a->trials = a->volume ? 1 : 5;
  return 0;
}

static int run(int argc, char **argv) {
  bench_args a;
  int rc = parse(argc, argv, &a);
  if (rc) return rc < 0 ? 0 : rc;
  cr_gsl_quiet();
  static bench b;
  printf("start error %g deg, %g mm; %d trial(s) each\n", a.deg, a.mm, a.trials);
  printf("%-22s %-12s %10s %8s %10s %10s\n", "cost", "optimizer", "median ms", "evals", "mTRE med",
         "mTRE max");
  if (a.volume) return real_cost(&b, &a);
  synthetic_scene(&b);
  if (a.landscape > 0) return landscape(&b, &a, a.method.levels, reproj_cost, &b);
  return for_each_optimizer(&b, &a, "reprojection 256x256", reproj_cost, &b);
}

const cr_command cr_command_bench_registration = {
    "bench-registration", "benchmark the registration loop and optimizers", run};
