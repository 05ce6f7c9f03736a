// camreg landscape: a metric along each of the six pose parameters around a pose, the
// classic figure of similarity-measure papers (Penney et al. 1998).
#include "cli/command.h"
#include "cli/common.h"
#include "core/atomic_file.h"
#include "core/camera.h"
#include "core/error.h"
#include "core/image.h"
#include "core/pose.h"
#include "core/volume.h"
#include "metrics/metric.h"
#include "registration/param.h"
#include "registration/pyramid.h"
#include "registration/cost.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage[] =
    "usage: camreg landscape --volume V --camera CAM.yml --photo P --pose POSE.txt -o DIR "
    "[options]\n\n"
    "Evaluates metrics between the photo and renders at poses stepped along each of the six\n"
    "registration parameters (rotations rx, ry, rz in degrees about the pivot, translations\n"
    "tx, ty, tz in mm, camera frame; tz is along the optical axis) through POSE. Writes\n"
    "DIR/landscape.csv (metric, parameter, offset, value, cost, cost scaled to 0..1 per\n"
    "metric and parameter) and DIR/landscape.png (one panel per parameter, one curve per\n"
    "metric; needs gnuplot), and prints where each curve has its optimum.\n\n"
    "options:\n"
    "  -v, --volume FILE     MRI (NIfTI)\n"
    "  -c, --camera FILE     camera YAML (the photo's size)\n"
    "  -p, --photo FILE      photo\n"
    "      --mask FILE       mask (non-zero = use)\n"
    "      --pose FILE       centre pose (cam_from_world), e.g. the ground truth\n"
    "  -o, --out DIR         output folder (created)\n"
    "      --metrics LIST    comma-separated metric names, or all (default ngf,ncc,mi,gc);\n"
    "                        --metric NAME is a list of one\n"
    "      --range DEG,MM    half range of the rotations and translations (default 10,10)\n"
    "      --steps N         odd number of samples per parameter (default 21)\n"
    "      --level L         pyramid level to evaluate at (0 = full size, default 0)\n"
    "      --pivot X,Y,Z     rotation centre (default: centroid of the surface seen at POSE)\n"
    "  -h, --help            this text\n\n"
    "method (render mode, preparation, metric options; as camreg register):\n";

typedef struct args {
  const char *vol, *cam, *photo, *mask, *pose, *out, *metrics;
  cr_reg_method method;
  double range[2];
  int steps, level, have_pivot;
  double pivot[3];
} args;

static int parse(int argc, char **argv, args *a) {
  static const struct option fixed[] = {
      {"volume", 1, 0, 'v'}, {"camera", 1, 0, 'c'}, {"photo", 1, 0, 'p'},   {"mask", 1, 0, 'M'},
      {"pose", 1, 0, 'P'},   {"out", 1, 0, 'o'},    {"metrics", 1, 0, 'e'}, {"range", 1, 0, 'r'},
      {"steps", 1, 0, 's'},  {"level", 1, 0, 'l'},  {"pivot", 1, 0, 'x'},   {"help", 0, 0, 'h'}};
  struct option opts[128];
  memcpy(opts, fixed, sizeof fixed);
  cli_method_options(opts, (int)(sizeof fixed / sizeof fixed[0]),
                     (int)(sizeof opts / sizeof opts[0]));
  *a = (args){.metrics = "ngf,ncc,mi,gc", .range = {10, 10}, .steps = 21};
  a->method = cr_reg_method_defaults();
  int c, rc;
  optind = 1, opterr = 0;
  while ((c = getopt_long(argc, argv, "v:c:p:o:m:h", opts, NULL)) != -1) {
    rc = 0;
    if (c == 'm') c = CLI_METHOD_OPT; // -m is --mode, the first method key
    const char *key = NULL;
    if (c >= CLI_METHOD_OPT) cr_reg_method_key_info(c - CLI_METHOD_OPT, &key, NULL, NULL);
    switch (c) {
    case 'v': a->vol = optarg; break;
    case 'c': a->cam = optarg; break;
    case 'p': a->photo = optarg; break;
    case 'M': a->mask = optarg; break;
    case 'P': a->pose = optarg; break;
    case 'o': a->out = optarg; break;
    case 'e': a->metrics = optarg; break;
    case 'r': rc = cli_parse_doubles("landscape", "--range", optarg, 2, a->range); break;
    case 's': rc = cli_parse_int("landscape", "--steps", optarg, 3, 1001, &a->steps); break;
    case 'l': rc = cli_parse_int("landscape", "--level", optarg, 0, 5, &a->level); break;
    case 'x':
      rc = cli_parse_doubles("landscape", "--pivot", optarg, 3, a->pivot), a->have_pivot = 1;
      break;
    case 'h':
      fputs(usage, stdout);
      cr_reg_method_print_help(stdout);
      return -1;
    default:
      if (key && !strcmp(key, "metric"))
        a->metrics = optarg;
      else if (key)
        rc = cli_method_apply("landscape", &a->method, c, optarg);
      else
        return cli_usage_error("landscape", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
    if (rc) return rc;
  }
  if (optind < argc) return cli_usage_error("landscape", "unexpected argument '%s'", argv[optind]);
  if (!a->vol || !a->cam || !a->photo || !a->pose || !a->out)
    return cli_usage_error("landscape", "--volume, --camera, --photo, --pose and -o are required");
  if (a->steps % 2 == 0)
    return cli_usage_error("landscape", "--steps must be odd (the centre pose is a sample)");
  if (!(a->range[0] > 0 && a->range[1] > 0))
    return cli_usage_error("landscape", "--range must be positive");
  return 0;
}

// Writes the gnuplot figure: one panel per parameter, one curve per metric (scaled cost).
static int plot(const char *dir, int n_metrics, char names[][16]) {
  char cmd[8192];
  int n =
      snprintf(cmd, sizeof cmd,
               "gnuplot -e \"set terminal png size 1200,700; set output '%s/landscape.png.part';"
               " set datafile separator ','; set multiplot layout 2,3 title 'cost (scaled 0..1) "
               "along each pose parameter';"
               " set key top center; set yrange [-0.05:1.05];",
               dir);
  static const char *pn[6] = {"rx", "ry", "rz", "tx", "ty", "tz"};
  for (int k = 0; k < 6 && n < (int)sizeof cmd - 512; k++) {
    n += snprintf(cmd + n, sizeof cmd - n, " set title '%s (%s)'; plot", pn[k],
                  k < 3 ? "deg" : "mm");
    for (int m = 0; m < n_metrics; m++)
      n += snprintf(cmd + n, sizeof cmd - n,
                    "%s '%s/landscape.csv' using (strcol(1) eq '%s' && strcol(2) eq '%s' ? \\$3 : "
                    "NaN):6 with lines title '%s'",
                    m ? "," : "", dir, names[m], pn[k], names[m]);
    n += snprintf(cmd + n, sizeof cmd - n, ";");
  }
  snprintf(cmd + n, sizeof cmd - n,
           " unset multiplot\" 2>/dev/null && mv '%s/landscape.png.part' '%s/landscape.png'", dir,
           dir);
  return system(cmd) == 0 ? 0 : -1;
}

// Evaluates one metric along the six parameters into cost[6][steps].
static int sweep(const args *a, const cr_volume *vol, const cr_camera *cam, const cr_image *photo,
                 const cr_image *mask, const cr_pose *pose, const cr_metric_type *mt,
                 double pivot[3], double *cost) {
  cr_reg_method m = a->method;
  m.metric = mt;
  m.levels = a->level + 1;
  cr_reg_view view = cr_reg_view_mono(cam, photo, mask);
  view.name = a->photo;
  cr_reg_cost *c;
  int rc = cr_status_of(c = cr_reg_cost_new(&m, vol, NULL, &view, 1));
  if (rc) return rc;
  if (!a->have_pivot && (rc = cr_reg_cost_pivot(c, pose, pivot))) goto done;
  cr_reg_param par;
  cr_reg_param_init(&par, pose, pivot);
  for (int k = 0; k < 6 && !rc; k++)
    for (int i = 0; i < a->steps && !rc; i++) {
      double p[6] = {0};
      p[k] = a->range[k < 3 ? 0 : 1] * (2.0 * i / (a->steps - 1) - 1);
      cr_pose q = cr_reg_param_to_pose(&par, p);
      rc = cr_reg_cost_eval(a->level, &q, c, &cost[k * a->steps + i]);
      cli_progress("landscape", (long)(k * a->steps + i + 1), 6L * a->steps);
    }
done:
  cr_reg_cost_free(c);
  return rc;
}

static int run(int argc, char **argv) {
  args a;
  int rc = parse(argc, argv, &a);
  if (rc) return rc < 0 ? 0 : rc;
  char names[32][16];
  int nm = 0;
  char list[512];
  snprintf(list, sizeof list, "%s",
           strcmp(a.metrics, "all") ? a.metrics : "ssd,ncc,lncc,mi,nmi,gc,gd,pi,ngf,edge");
  for (char *tok = strtok(list, ","); tok && nm < 32; tok = strtok(NULL, ",")) {
    if (!cr_metric_find(tok)) return cli_usage_error("landscape", "unknown metric '%s'", tok);
    snprintf(names[nm++], 16, "%s", tok);
  }
  cr_camera cam;
  cr_pose pose;
  cr_volume *vol = NULL;
  cr_image *photo = NULL, *mask = NULL;
  if (cr_camera_read(a.cam, &cam) || cr_pose_read(a.pose, &pose) ||
      cr_image_read(a.photo, &photo, NULL) || (a.mask && cr_image_read(a.mask, &mask, NULL)) ||
      cr_volume_load(a.vol, -1, &vol, NULL)) {
    rc = cli_fail_last();
    goto out;
  }
  if (mkdir(a.out, 0777) != 0 && !cr_file_exists(a.out)) {
    struct stat st;
    if (stat(a.out, &st) != 0 || !S_ISDIR(st.st_mode)) {
      rc = cli_fail("landscape", "%s: cannot create the output folder", a.out);
      goto out;
    }
  }
  double *cost = malloc(sizeof(double) * 6 * a.steps * nm);
  if (!cost) {
    rc = cli_fail("landscape", "out of memory");
    goto out;
  }
  double pivot[3];
  memcpy(pivot, a.pivot, sizeof pivot);
  for (int m = 0; m < nm && !rc; m++)
    if (sweep(&a, vol, &cam, photo, mask, &pose, cr_metric_find(names[m]), pivot,
              cost + (size_t)m * 6 * a.steps))
      rc = cli_fail_last();
  if (!rc) {
    char path[4096];
    snprintf(path, sizeof path, "%s/landscape.csv", a.out);
    cr_atomic_file af;
    if (cr_atomic_begin(&af, path, 1)) {
      rc = cli_fail_last();
    } else {
      static const char *pn[6] = {"rx", "ry", "rz", "tx", "ty", "tz"};
      fprintf(af.fp, "metric,parameter,offset,value,cost,scaled_cost\n");
      printf("optimum of each curve (offset from POSE; pivot %.2f %.2f %.2f mm):\n", pivot[0],
             pivot[1], pivot[2]);
      for (int m = 0; m < nm; m++) {
        const cr_metric_type *mt = cr_metric_find(names[m]);
        printf("  %-5s", names[m]);
        for (int k = 0; k < 6; k++) {
          const double *c = cost + ((size_t)m * 6 + k) * a.steps;
          double lo = INFINITY, hi = -INFINITY;
          int best = 0;
          for (int i = 0; i < a.steps; i++) {
            if (c[i] < lo) lo = c[i], best = i;
            if (c[i] > hi) hi = c[i];
          }
          for (int i = 0; i < a.steps; i++) {
            double off = a.range[k < 3 ? 0 : 1] * (2.0 * i / (a.steps - 1) - 1);
            fprintf(af.fp, "%s,%s,%.6g,%.9g,%.9g,%.6g\n", names[m], pn[k], off,
                    mt->larger_is_better ? -c[i] : c[i], c[i],
                    hi > lo ? (c[i] - lo) / (hi - lo) : 0);
          }
          printf("  %s %+6.2f", pn[k], a.range[k < 3 ? 0 : 1] * (2.0 * best / (a.steps - 1) - 1));
        }
        printf("\n");
      }
      if ((rc = cr_atomic_commit(&af))) rc = cli_fail_last();
    }
  }
  // gnuplot reads the CSV under its final name: place the outputs so far, then draw.
  if (!rc && (rc = cr_atomic_group_end(1))) rc = cli_fail_last();
  if (!rc) {
    cr_atomic_group_begin();
    if (plot(a.out, nm, names))
      fprintf(
          stderr,
          "camreg landscape: wrote %s/landscape.csv; no figure (gnuplot failed or is missing)\n",
          a.out);
    else
      fprintf(stderr, "wrote %s/landscape.csv and %s/landscape.png\n", a.out, a.out);
  }
  free(cost);
out:
  cr_volume_free(vol), cr_image_free(photo), cr_image_free(mask);
  return rc;
}

const cr_command cr_command_landscape = {
    "landscape", "a metric along each pose parameter (CSV and figure)", run};
