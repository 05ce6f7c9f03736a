// camreg metric: the similarity between two images (a photo and a render).
#include "cli/command.h"
#include "cli/common.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/image.h"
#include "core/volume.h"
#include "metrics/metric.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: camreg metric FIXED MOVING --metric NAME [options]\n\n"
    "Prints the similarity of MOVING (a render) to FIXED (a photo) and whether larger or\n"
    "smaller is better. Images: PNG, JPEG, TIFF (float too) or a single-slice NIfTI. NaN\n"
    "pixels of MOVING (render background) are excluded like masked-out pixels.\n\n"
    "metrics: ssd ncc lncc mi nmi gc gd pi ngf edge dice, or 'all' (one line each)\n\n"
    "options:\n"
    "  -m, --metric NAME       metric to compute (required)\n"
    "  -k, --mask FILE         use only pixels where the mask is non-zero (same size)\n"
    "  -c, --channel C         colour images: grey (BT.601, default), r, g, b or 0..3\n"
    "                          (1-channel images are used as they are)\n"
    "      --grey-weights R,G,B  weighted grey instead of BT.601\n"
    "      --bins N            mi/nmi histogram bins (default 32)\n"
    "      --hist KIND         mi/nmi kernel: bspline (Parzen, default) or linear (PV)\n"
    "      --lncc-radius PX    lncc half window (default 4)\n"
    "      --pi-radius PX      pattern intensity radius (default 3)\n"
    "      --pi-sigma S        pattern intensity sigma (default 4% of the fixed range)\n"
    "      --ngf-eta E         ngf edge parameter, fraction of mean |gradient| (0.1)\n"
    "      --canny LOW,HIGH    edge: Canny thresholds on 0..255-mapped images (30,90)\n"
    "      --dice-threshold T  dice: foreground where value > T (0.5)\n"
    "  -h, --help              this text\n\n"
    "output: one line per metric, '<name> <value> (larger|smaller is better)'\n";

// Reads an image file (OpenCV formats, or a NIfTI with one slice) into *out.
static int read_any(const char *path, cr_image **out) {
  *out = NULL;
  if (!(cr_path_has_suffix(path, ".nii") || cr_path_has_suffix(path, ".nii.gz")))
    return cr_image_read(path, out, NULL);
  if (!cr_file_exists(path)) return cr_error(CR_EIO, "%s: image file not found", path);
  cr_volume *v;
  int rc = cr_volume_load(path, 0, &v, NULL);
  if (rc) return rc;
  if (v->dim[2] != 1) {
    rc = cr_error(CR_EUNSUPPORTED, "%s: a NIfTI image must have one slice (has %d)", path,
                  v->dim[2]);
  } else if (!(*out = cr_image_new(v->dim[0], v->dim[1], 1))) {
    rc = CR_ENOMEM;
  } else {
    memcpy((*out)->data, v->data, sizeof(float) * v->dim[0] * v->dim[1]);
  }
  cr_volume_free(v);
  return rc;
}

// Loads `path` as a 1-channel image (channel or grey of colour images).
static int load_grey(const char *path, int channel, const float *weights, cr_image **out) {
  cr_image *img;
  int rc = read_any(path, &img);
  if (rc) return rc;
  // The channel choice applies to colour images; a 1-channel image is used as it is.
  *out = cr_image_to_grey(img, img->channels == 1 ? -1 : channel, weights);
  cr_image_free(img);
  if (!*out) {
    cr_error_prefix(path);
    return CR_EINVAL;
  }
  return CR_OK;
}

typedef struct metric_args {
  const char *metric, *mask;
  int channel, use_weights;
  float weights[3];
  cr_metric_options opt;
} metric_args;

static int parse_channel(const char *s, int *c) {
  static const char *const names[] = {"grey", "gray", "r", "g", "b", "0", "1", "2", "3"};
  static const int values[] = {-1, -1, 0, 1, 2, 0, 1, 2, 3};
  for (int i = 0; i < 9; i++)
    if (!strcmp(s, names[i])) {
      *c = values[i];
      return 0;
    }
  return cli_usage_error("metric", "--channel expects grey, r, g, b or 0..3, got '%s'", s);
}

// Applies one parsed option (not -h); returns 0 or the usage-error exit status.
static int apply_option(int c, const char *arg, metric_args *a) {
  int rc;
  double v[3];
  switch (c) {
  case 'm': a->metric = arg; break;
  case 'k': a->mask = arg; break;
  case 'c':
    if ((rc = parse_channel(arg, &a->channel))) return rc;
    break;
  case 'w':
    if ((rc = cli_parse_doubles("metric", "--grey-weights", arg, 3, v))) return rc;
    for (int i = 0; i < 3; i++) a->weights[i] = (float)v[i];
    a->use_weights = 1;
    break;
  case 'B':
    if ((rc = cli_parse_int("metric", "--bins", arg, 4, 256, &a->opt.bins))) return rc;
    break;
  case 'H':
    if (!strcmp(arg, "bspline"))
      a->opt.hist = CR_HIST_BSPLINE;
    else if (!strcmp(arg, "linear"))
      a->opt.hist = CR_HIST_LINEAR;
    else
      return cli_usage_error("metric", "--hist expects bspline or linear, got '%s'", arg);
    break;
  case 'L':
    if ((rc = cli_parse_int("metric", "--lncc-radius", arg, 1, 64, &a->opt.lncc_radius_px)))
      return rc;
    break;
  case 'P':
    if ((rc = cli_parse_int("metric", "--pi-radius", arg, 1, 8, &a->opt.pi_radius_px))) return rc;
    break;
  case 'S':
    if ((rc = cli_parse_double("metric", "--pi-sigma", arg, &a->opt.pi_sigma))) return rc;
    if (!(a->opt.pi_sigma > 0)) return cli_usage_error("metric", "--pi-sigma must be positive");
    break;
  case 'E':
    if ((rc = cli_parse_double("metric", "--ngf-eta", arg, &a->opt.ngf_eta))) return rc;
    if (!(a->opt.ngf_eta > 0)) return cli_usage_error("metric", "--ngf-eta must be positive");
    break;
  case 'C':
    if ((rc = cli_parse_doubles("metric", "--canny", arg, 2, v))) return rc;
    if (!(v[0] >= 0 && v[1] >= v[0]))
      return cli_usage_error("metric", "--canny needs 0 <= LOW <= HIGH");
    a->opt.canny_low = v[0], a->opt.canny_high = v[1];
    break;
  case 'D':
    if ((rc = cli_parse_double("metric", "--dice-threshold", arg, &a->opt.dice_threshold)))
      return rc;
    break;
  }
  return 0;
}

static int parse_args(int argc, char **argv, metric_args *a) {
  static const struct option opts[] = {{"metric", required_argument, 0, 'm'},
                                       {"mask", required_argument, 0, 'k'},
                                       {"channel", required_argument, 0, 'c'},
                                       {"grey-weights", required_argument, 0, 'w'},
                                       {"bins", required_argument, 0, 'B'},
                                       {"hist", required_argument, 0, 'H'},
                                       {"lncc-radius", required_argument, 0, 'L'},
                                       {"pi-radius", required_argument, 0, 'P'},
                                       {"pi-sigma", required_argument, 0, 'S'},
                                       {"ngf-eta", required_argument, 0, 'E'},
                                       {"canny", required_argument, 0, 'C'},
                                       {"dice-threshold", required_argument, 0, 'D'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  int c, rc;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "m:k:c:h", opts, NULL)) != -1) {
    if (c == 'h') {
      fputs(usage, stdout);
      return -1;
    }
    if (c == '?' || c == ':')
      return cli_usage_error("metric", "unknown or incomplete option '%s'", argv[optind - 1]);
    if ((rc = apply_option(c, optarg, a))) return rc;
  }
  if (argc - optind != 2)
    return cli_usage_error("metric", "expected two images FIXED MOVING, got %d", argc - optind);
  if (!a->metric) return cli_usage_error("metric", "--metric NAME is required");
  if (strcmp(a->metric, "all") && !cr_metric_find(a->metric))
    return cli_usage_error("metric",
                           "unknown metric '%s' (ssd ncc lncc mi nmi gc gd pi ngf edge dice all)",
                           a->metric);
  return 0;
}

// Evaluates one metric and prints its line; returns the exit status.
static int print_metric(const cr_metric_type *t, const cr_image *f, const cr_image *mask,
                        const cr_image *mv, const metric_args *a) {
  cr_metric *m = cr_metric_new(t, f, mask, &a->opt);
  if (!m) return cli_fail_last();
  double value;
  int rc = cr_metric_eval(m, mv, &value);
  cr_metric_free(m);
  if (rc) return cli_fail_last();
  // The shortest of 15 or 17 digits that reads back as the same double: scripts (and the
  // Python module's tests) can compare values exactly.
  char text[40];
  snprintf(text, sizeof text, "%.15g", value);
  if (strtod(text, NULL) != value) snprintf(text, sizeof text, "%.17g", value);
  printf("%s %s (%s is better)\n", t->name, text, t->larger_is_better ? "larger" : "smaller");
  return 0;
}

static int run(int argc, char **argv) {
  metric_args a = {.channel = -1, .opt = cr_metric_defaults()};
  int rc = parse_args(argc, argv, &a);
  if (rc) return rc < 0 ? 0 : rc;
  const char *fixed_path = argv[optind], *moving_path = argv[optind + 1];
  cr_image *f = NULL, *mv = NULL, *mask = NULL;
  const float *w = a.use_weights ? a.weights : NULL;
  if (load_grey(fixed_path, a.channel, w, &f) || load_grey(moving_path, a.channel, w, &mv) ||
      (a.mask && read_any(a.mask, &mask))) {
    rc = cli_fail_last();
  } else if (mv->width != f->width || mv->height != f->height) {
    rc = cli_fail("metric", "%s is %dx%d but %s is %dx%d: the images must have the same size",
                  moving_path, mv->width, mv->height, fixed_path, f->width, f->height);
  } else if (mask && (mask->width != f->width || mask->height != f->height)) {
    rc = cli_fail("metric", "mask %s is %dx%d but %s is %dx%d", a.mask, mask->width, mask->height,
                  fixed_path, f->width, f->height);
  } else {
    for (int i = 0; cr_metric_types[i] && !rc; i++)
      if (!strcmp(a.metric, "all") || !strcmp(a.metric, cr_metric_types[i]->name))
        rc = print_metric(cr_metric_types[i], f, mask, mv, &a);
  }
  cr_image_free(f), cr_image_free(mv), cr_image_free(mask);
  return rc;
}

const cr_command cr_command_metric = {"metric", "similarity of two images (ssd, ncc, mi, gc, ...)",
                                      run};
