// camreg calibrate: camera intrinsics from chessboard photos.
#include "calib/chessboard.h"
#include "cli/command.h"
#include "cli/common.h"
#include "core/error.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: camreg calibrate -o CAMERA.yml [options] PHOTO...\n\n"
    "Calibrates a camera from photos of a chessboard: detects the inner corners (sub-pixel),\n"
    "runs OpenCV's calibrateCamera (k1,k2,p1,p2,k3) and writes the file OpenCV's calibration\n"
    "sample writes, plus the standard deviations of the intrinsics. Photos without a complete\n"
    "board are skipped with a warning.\n\n"
    "options:\n"
    "  -o, --out FILE        calibration file (.yml, .xml or .json)\n"
    "  -b, --board CxR       inner corners per row and column (default 9x6)\n"
    "  -s, --square MM       square size in mm (default 1)\n"
    "      --reject          reject outlier views and corners, then recalibrate\n"
    "      --view-k K        reject views with RMS > K x median view RMS (default 2)\n"
    "      --corner-k K      reject corners with residual > K x robust sigma (default 3)\n"
    "      --fix-aspect R    hold fx/fy at R\n"
    "      --zero-tangent    p1 = p2 = 0\n"
    "      --fix-k3          k3 = 0\n"
    "      --fix-principal   principal point at the image centre\n"
    "      --draw DIR        write each photo with the detected corners to DIR/<name>.png\n"
    "      --plot FILE.png   write a bar plot of the per-view RMS (red: rejected)\n"
    "  -h, --help            this text\n";

static const char *base_name(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

// Reads and detects every photo; fails on unreadable photos or mismatched sizes.
static int detect_all(cr_calib_views *v, char **photos, const char *draw_dir) {
  int first = -1;
  int nc = v->cols * v->rows;
  for (int i = 0; i < v->n; i++) {
    cr_image *img;
    int bits;
    if (cr_image_read(photos[i], &img, &bits)) return cli_fail_last();
    v->names[i] = strdup(photos[i]);
    int rc = cr_calib_find_corners(img, bits, v->cols, v->rows, v->corners + (size_t)i * nc * 2,
                                   &v->found[i]);
    if (!rc && !v->found[i])
      fprintf(stderr, "warning: %s: no complete %dx%d board found, photo skipped\n", photos[i],
              v->cols, v->rows);
    // Photos with a board must all have the size of the first one with a board.
    if (!rc && v->found[i] && !v->width) v->width = img->width, v->height = img->height, first = i;
    if (!rc && v->found[i] && (img->width != v->width || img->height != v->height)) {
      cli_fail("calibrate", "%s is %dx%d but %s is %dx%d: all photos must have the same size",
               photos[i], img->width, img->height, photos[first], v->width, v->height);
      cr_image_free(img);
      return 1;
    }
    if (!rc && draw_dir && v->found[i]) {
      cr_image *rgb = img->channels == 3 ? img : cr_image_new(img->width, img->height, 3);
      for (int y = 0; rgb && rgb != img && y < img->height; y++)
        for (int x = 0; x < img->width; x++)
          for (int c = 0; c < 3; c++) cr_image_px(rgb, x, y)[c] = cr_image_px(img, x, y)[0];
      if (rgb && bits != 8)
        for (int y = 0; y < rgb->height; y++)
          for (int x = 0; x < rgb->width * 3; x++)
            cr_image_row(rgb, y)[x] *= bits == 16 ? 255.0f / 65535.0f : 255.0f;
      char path[4096];
      snprintf(path, sizeof path, "%s/%s.png", draw_dir, base_name(photos[i]));
      rc = rgb ? cr_calib_draw_corners(rgb, v->cols, v->rows, v->corners + (size_t)i * nc * 2, 1)
               : CR_ENOMEM;
      if (!rc) rc = cr_image_write(path, rgb, 8);
      if (rgb != img) cr_image_free(rgb);
    }
    cr_image_free(img);
    if (rc) return cli_fail_last();
  }
  return 0;
}

static void print_table(const cr_calib_views *v, const cr_calib_result *r) {
  printf("views used %d of %d with a board (%d photos); corners %d of %d\n", r->n_used, r->n_views,
         v->n, r->corners_used, r->corners_total);
  printf("RMS %.4f px (first calibration, all corners: %.4f px)\n", r->rms, r->rms_all);
  const char *names[9] = {"fx", "fy", "cx", "cy", "k1", "k2", "p1", "p2", "k3"};
  double val[9] = {r->cam.fx,      r->cam.fy,      r->cam.cx,      r->cam.cy,     r->cam.dist[0],
                   r->cam.dist[1], r->cam.dist[2], r->cam.dist[3], r->cam.dist[4]};
  for (int k = 0; k < 9; k++) printf("  %-3s %14.6f +- %.6f\n", names[k], val[k], r->std_dev[k]);
  printf("per view (px):\n");
  for (int i = 0; i < v->n; i++) {
    if (!v->found[i])
      printf("  %-40s no board\n", v->names[i]);
    else if (!r->view_used[i])
      printf("  %-40s %.4f  rejected\n", v->names[i], r->view_rms_all[i]);
    else
      printf("  %-40s %.4f\n", v->names[i], r->view_rms[i]);
  }
}

static int run(int argc, char **argv) {
  static const struct option opts[] = {{"out", required_argument, 0, 'o'},
                                       {"board", required_argument, 0, 'b'},
                                       {"square", required_argument, 0, 's'},
                                       {"reject", no_argument, 0, 'r'},
                                       {"view-k", required_argument, 0, 'V'},
                                       {"corner-k", required_argument, 0, 'C'},
                                       {"fix-aspect", required_argument, 0, 'A'},
                                       {"zero-tangent", no_argument, 0, 'T'},
                                       {"fix-k3", no_argument, 0, 'K'},
                                       {"fix-principal", no_argument, 0, 'P'},
                                       {"draw", required_argument, 0, 'd'},
                                       {"plot", required_argument, 0, 'p'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  cr_calib_options opt = cr_calib_defaults();
  const char *out = NULL, *draw = NULL, *plot = NULL;
  int c, rc;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "o:b:s:h", opts, NULL)) != -1) {
    char tail;
    switch (c) {
    case 'o': out = optarg; break;
    case 'b':
      if (sscanf(optarg, "%dx%d%c", &opt.cols, &opt.rows, &tail) != 2 || opt.cols < 2 ||
          opt.rows < 2 || opt.cols > 100 || opt.rows > 100)
        return cli_usage_error("calibrate", "--board expects inner corners like 9x6, got '%s'",
                               optarg);
      break;
    case 's':
      if ((rc = cli_parse_double("calibrate", "--square", optarg, &opt.square_mm))) return rc;
      break;
    case 'r': opt.reject = 1; break;
    case 'V':
      if ((rc = cli_parse_double("calibrate", "--view-k", optarg, &opt.view_k))) return rc;
      break;
    case 'C':
      if ((rc = cli_parse_double("calibrate", "--corner-k", optarg, &opt.corner_k))) return rc;
      break;
    case 'A':
      if ((rc = cli_parse_double("calibrate", "--fix-aspect", optarg, &opt.aspect))) return rc;
      opt.flags |= CR_CALIB_FIX_ASPECT;
      break;
    case 'T': opt.flags |= CR_CALIB_ZERO_TANGENT; break;
    case 'K': opt.flags |= CR_CALIB_FIX_K3; break;
    case 'P': opt.flags |= CR_CALIB_FIX_PRINCIPAL; break;
    case 'd': draw = optarg; break;
    case 'p': plot = optarg; break;
    case 'h': fputs(usage, stdout); return 0;
    default:
      return cli_usage_error("calibrate", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (!out) return cli_usage_error("calibrate", "an output file is required (-o CAMERA.yml)");
  if (optind >= argc) return cli_usage_error("calibrate", "no photos given");
  if (!(opt.square_mm > 0)) return cli_usage_error("calibrate", "--square must be positive");
  if (!(opt.view_k > 1) || !(opt.corner_k > 0))
    return cli_usage_error("calibrate", "--view-k must be > 1 and --corner-k > 0");
  if ((opt.flags & CR_CALIB_FIX_ASPECT) && !(opt.aspect > 0))
    return cli_usage_error("calibrate", "--fix-aspect must be positive");
  cr_calib_views *v = cr_calib_views_new(argc - optind, opt.cols, opt.rows);
  if (!v) return cli_fail_last();
  cr_calib_result r;
  if ((rc = detect_all(v, argv + optind, draw))) goto done;
  int any = 0;
  for (int i = 0; i < v->n; i++) any += v->found[i];
  if (!any) {
    fprintf(stderr, "camreg calibrate: no %dx%d board found in any photo:", opt.cols, opt.rows);
    for (int i = 0; i < v->n; i++) fprintf(stderr, " %s", v->names[i]);
    fprintf(stderr, " (check --board: it counts inner corners)\n");
    rc = 1;
    goto done;
  }
  if (cr_calib_calibrate(v, &opt, &r)) {
    rc = cli_fail_last();
    goto done;
  }
  print_table(v, &r);
  rc = cr_calib_write(out, v, &opt, &r) ? cli_fail_last() : 0;
  if (!rc && plot) {
    cr_image *img;
    rc = cr_calib_plot_errors(v, &r, &img) || cr_image_write(plot, img, 8) ? cli_fail_last() : 0;
    cr_image_free(img);
  }
  if (!rc) fprintf(stderr, "wrote %s\n", out);
  cr_calib_result_free(&r);
done:
  cr_calib_views_free(v);
  return rc;
}

const cr_command cr_command_calibrate = {"calibrate", "camera intrinsics from chessboard photos",
                                         run};
