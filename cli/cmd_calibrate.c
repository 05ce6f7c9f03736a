// camreg calibrate: camera intrinsics from chessboard photos; with --stereo, a stereo rig
// from left/right pairs.
#include "calib/chessboard.h"
#include "calib/stereo.h"
#include "cli/command.h"
#include "cli/common.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/rig.h"

#include <getopt.h>
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: camreg calibrate -o CAMERA.yml [options] PHOTO...\n"
    "       camreg calibrate --stereo -o RIG.yml --left 'L*.jpg' --right 'R*.jpg' [options]\n\n"
    "Calibrates a camera from photos of a chessboard: detects the inner corners (sub-pixel),\n"
    "runs OpenCV's calibrateCamera (k1,k2,p1,p2,k3) and writes the file OpenCV's calibration\n"
    "sample writes, plus the standard deviations of the intrinsics. Photos without a complete\n"
    "board are skipped with a warning.\n\n"
    "With --stereo: a stereo rig from photo pairs taken at the same time by the left and\n"
    "the right camera. --left and --right each take a glob pattern (quote it) or a file\n"
    "name, may be repeated, and are paired by order (sorted within a pattern): left\n"
    "photo i with right photo i. Each camera is calibrated on the pairs with a board in\n"
    "both photos (with --reject: the same outlier rejection as above, per camera), then\n"
    "OpenCV's stereoCalibrate with the intrinsics fixed gives R, T (x_right = R x_left\n"
    "+ T, in --square units). Writes the rig file RIG.yml (OpenCV's stereo keys M1 D1 M2\n"
    "D2 R T E F, sizes, rms) and one calibration file per camera, RIG_left.yml and\n"
    "RIG_right.yml (same extension); all files or none. Prints the stereo RMS, the\n"
    "baseline |T| and the rotation angle between the cameras.\n\n"
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
    "      --stereo          stereo calibration (see above)\n"
    "      --left PATTERN    left photos (--stereo); repeatable\n"
    "      --right PATTERN   right photos (--stereo); repeatable\n"
    "      --corners FILE    (--stereo) CSV of the detected corners of the pairs used:\n"
    "                        side,pair,photo,corner,col,row,x_mm,y_mm,u,v,used_camera,\n"
    "                        used_stereo (written with the other outputs)\n"
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

// Usage errors of the options both modes share.
static int check_options(const cr_calib_options *opt) {
  if (!(opt->square_mm > 0)) return cli_usage_error("calibrate", "--square must be positive");
  if (!(opt->view_k > 1) || !(opt->corner_k > 0))
    return cli_usage_error("calibrate", "--view-k must be > 1 and --corner-k > 0");
  if ((opt->flags & CR_CALIB_FIX_ASPECT) && !(opt->aspect > 0))
    return cli_usage_error("calibrate", "--fix-aspect must be positive");
  return 0;
}

// ---- --stereo ----

// Photos named by --left or --right patterns, in order.
typedef struct photo_list {
  char **paths;
  int n, cap;
} photo_list;

static void photo_list_free(photo_list *l) {
  for (int i = 0; i < l->n; i++) free(l->paths[i]);
  free(l->paths);
}

// Appends the files matching `pattern` (sorted, as glob(3) returns them).
static int photo_list_add(photo_list *l, const char *side, const char *pattern) {
  glob_t g;
  int rc = glob(pattern, 0, NULL, &g);
  if (rc == GLOB_NOMATCH) {
    globfree(&g);
    return cli_fail("calibrate", "--%s '%s' matches no file", side, pattern);
  }
  if (rc) {
    globfree(&g);
    return cli_fail("calibrate", "--%s '%s': cannot list the matching files", side, pattern);
  }
  for (size_t i = 0; i < g.gl_pathc; i++) {
    if (l->n == l->cap) {
      int cap = l->cap ? 2 * l->cap : 32;
      char **p = realloc(l->paths, sizeof *p * cap);
      if (!p) {
        globfree(&g);
        return cli_fail("calibrate", "out of memory");
      }
      l->paths = p, l->cap = cap;
    }
    if (!(l->paths[l->n++] = strdup(g.gl_pathv[i]))) {
      l->n--;
      globfree(&g);
      return cli_fail("calibrate", "out of memory");
    }
  }
  globfree(&g);
  return 0;
}

// "rig.yml" -> "rig_left.yml": `suffix` before the extension.
static void side_path(char *dst, size_t len, const char *path, const char *suffix) {
  const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
  if (!dot || (slash && dot < slash)) dot = path + strlen(path);
  snprintf(dst, len, "%.*s%s%s", (int)(dot - path), path, suffix, dot);
}

static void write_corners_csv(FILE *f, const cr_calib_views *const side[2],
                              const cr_stereo_result *r, const cr_calib_options *opt) {
  const cr_calib_result *cam[2] = {&r->left, &r->right};
  const char *names[2] = {"left", "right"};
  int nc = opt->cols * opt->rows;
  fputs("side,pair,photo,corner,col,row,x_mm,y_mm,u,v,used_camera,used_stereo\n", f);
  for (int s = 0; s < 2; s++)
    for (int i = 0; i < side[s]->n; i++) {
      if (!side[s]->found[i]) continue;
      for (int k = 0; k < nc; k++) {
        size_t q = (size_t)i * nc + k;
        const double *uv = side[s]->corners + 2 * q;
        fprintf(f, "%s,%d,%s,%d,%d,%d,%.9g,%.9g,%.9f,%.9f,%d,%d\n", names[s], i + 1,
                side[s]->names[i], k, k % opt->cols, k / opt->cols,
                (k % opt->cols) * opt->square_mm, (k / opt->cols) * opt->square_mm, uv[0], uv[1],
                cam[s]->view_used[i] && cam[s]->corner_used[q], r->corner_used[q]);
      }
    }
}

// Writes the rig, both calibration files and the corners (if asked). The command's
// atomic output group (cli.c, core/atomic_file.h) keeps them under temporary names and
// places them together when the command succeeds: all files or none.
static int write_stereo_outputs(const char *out, const char *corners, const cr_calib_views *lv,
                                const cr_calib_views *rv, const cr_calib_options *opt,
                                const cr_stereo_result *r) {
  char lpath[4096], rpath[4096];
  side_path(lpath, sizeof lpath, out, "_left");
  side_path(rpath, sizeof rpath, out, "_right");
  int rc = cr_rig_write(out, &r->rig);
  if (!rc) rc = cr_calib_write(lpath, lv, opt, &r->left);
  if (!rc) rc = cr_calib_write(rpath, rv, opt, &r->right);
  if (!rc && corners) {
    cr_atomic_file af;
    if (!(rc = cr_atomic_begin(&af, corners, 1))) {
      write_corners_csv(af.fp, (const cr_calib_views *const[2]){lv, rv}, r, opt);
      rc = cr_atomic_commit(&af);
    }
  }
  if (rc) return cli_fail_last();
  const char *paths[4] = {out, lpath, rpath, corners};
  for (int k = 0; k < (corners ? 4 : 3); k++) fprintf(stderr, "wrote %s\n", paths[k]);
  return 0;
}

static void print_stereo(const cr_calib_views *lv, const cr_calib_views *rv,
                         const cr_stereo_result *r, int n_photos) {
  printf("pairs used %d of %d with a board in both photos (%d pairs); corners %d per side\n",
         r->n_used, r->n_pairs, n_photos, r->corners_used);
  printf("left camera:  RMS %.4f px  fx %.3f fy %.3f cx %.3f cy %.3f  k1 %.5f k2 %.5f\n",
         r->left.rms, r->rig.left.fx, r->rig.left.fy, r->rig.left.cx, r->rig.left.cy,
         r->rig.left.dist[0], r->rig.left.dist[1]);
  printf("right camera: RMS %.4f px  fx %.3f fy %.3f cx %.3f cy %.3f  k1 %.5f k2 %.5f\n",
         r->right.rms, r->rig.right.fx, r->rig.right.fy, r->rig.right.cx, r->rig.right.cy,
         r->rig.right.dist[0], r->rig.right.dist[1]);
  printf("stereo RMS %.4f px\n", r->rig.rms);
  const double *t = r->rig.right_from_left.t;
  printf("baseline %.4f mm (|T|, in --square units), T = [%.4f %.4f %.4f]\n",
         cr_rig_baseline_mm(&r->rig), t[0], t[1], t[2]);
  printf("rotation between the cameras %.4f deg\n", cr_rig_angle_deg(&r->rig));
  printf("per pair (stereo RMS left, right; px):\n");
  for (int i = 0; i < lv->n; i++) {
    if (!lv->found[i]) continue;
    if (r->pair_used[i])
      printf("  %-30s %-30s %.4f %.4f\n", lv->names[i], rv->names[i], r->pair_rms_left[i],
             r->pair_rms_right[i]);
    else
      printf("  %-30s %-30s rejected\n", lv->names[i], rv->names[i]);
  }
}

static int run_stereo(const cr_calib_options *opt, const photo_list *L, const photo_list *R,
                      const char *out, const char *corners, const char *draw) {
  if (L->n != R->n)
    return cli_fail("calibrate",
                    "--left gives %d photos but --right gives %d: stereo pairs need one of each "
                    "(left photo i pairs with right photo i)",
                    L->n, R->n);
  cr_calib_views *lv = cr_calib_views_new(L->n, opt->cols, opt->rows);
  cr_calib_views *rv = lv ? cr_calib_views_new(R->n, opt->cols, opt->rows) : NULL;
  cr_stereo_result r;
  int rc = 0, any = 0;
  if (!lv || !rv) {
    rc = cli_fail_last();
    goto done;
  }
  if ((rc = detect_all(lv, L->paths, draw)) || (rc = detect_all(rv, R->paths, draw))) goto done;
  // Only pairs with a board on both sides: each side's calibration file then lists
  // the same pairs as the rig.
  for (int i = 0; i < lv->n; i++) {
    if (lv->found[i] != rv->found[i])
      fprintf(stderr, "warning: pair %d (%s, %s): no board in %s, pair dropped\n", i + 1,
              lv->names[i], rv->names[i], lv->found[i] ? rv->names[i] : lv->names[i]);
    lv->found[i] = rv->found[i] = lv->found[i] && rv->found[i];
    any += lv->found[i];
  }
  if (!any) {
    rc = cli_fail("calibrate",
                  "no pair has a complete %dx%d board in both photos (check --board: it counts "
                  "inner corners)",
                  opt->cols, opt->rows);
    goto done;
  }
  if (cr_calib_stereo(lv, rv, opt, &r)) {
    rc = cli_fail_last();
    goto done;
  }
  print_stereo(lv, rv, &r, L->n);
  rc = write_stereo_outputs(out, corners, lv, rv, opt, &r);
  cr_stereo_result_free(&r);
done:
  cr_calib_views_free(lv);
  cr_calib_views_free(rv);
  return rc;
}

// Usage errors of the inputs and outputs of one mode or the other.
static int check_mode(int stereo, int n_positional, const photo_list *L, const photo_list *R,
                      const char *out, const char *plot, const char *corners) {
  if (!stereo) {
    if (L->n || R->n || corners)
      return cli_usage_error("calibrate", "--left, --right and --corners need --stereo");
    if (!out) return cli_usage_error("calibrate", "an output file is required (-o CAMERA.yml)");
    if (!n_positional) return cli_usage_error("calibrate", "no photos given");
    return 0;
  }
  if (!out) return cli_usage_error("calibrate", "an output file is required (-o RIG.yml)");
  if (n_positional)
    return cli_usage_error("calibrate",
                           "with --stereo the photos are given by --left and --right (quote "
                           "patterns: --left 'left*.jpg')");
  if (!L->n || !R->n)
    return cli_usage_error("calibrate", "--stereo needs --left and --right photos");
  if (plot) return cli_usage_error("calibrate", "--plot is not available with --stereo");
  if (!(cr_path_has_suffix(out, ".yml") || cr_path_has_suffix(out, ".yaml") ||
        cr_path_has_suffix(out, ".xml") || cr_path_has_suffix(out, ".json")))
    return cli_usage_error("calibrate", "the rig file %s must end in .yml, .yaml, .xml or .json",
                           out);
  return 0;
}

// The command; the photo lists of --left/--right belong to run(), which frees them.
static int run_with_lists(int argc, char **argv, photo_list *lefts, photo_list *rights) {
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
                                       {"stereo", no_argument, 0, 'S'},
                                       {"left", required_argument, 0, 'L'},
                                       {"right", required_argument, 0, 'R'},
                                       {"corners", required_argument, 0, 'c'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  cr_calib_options opt = cr_calib_defaults();
  const char *out = NULL, *draw = NULL, *plot = NULL, *corners = NULL;
  int c, rc, stereo = 0;
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
    case 'S': stereo = 1; break;
    case 'L':
    case 'R':
      if (photo_list_add(c == 'L' ? lefts : rights, c == 'L' ? "left" : "right", optarg)) return 1;
      break;
    case 'c': corners = optarg; break;
    case 'h': fputs(usage, stdout); return 0;
    default:
      return cli_usage_error("calibrate", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if ((rc = check_mode(stereo, argc - optind, lefts, rights, out, plot, corners)) ||
      (rc = check_options(&opt)))
    return rc;
  if (stereo) return run_stereo(&opt, lefts, rights, out, corners, draw);
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

static int run(int argc, char **argv) {
  photo_list lefts = {0}, rights = {0};
  int rc = run_with_lists(argc, argv, &lefts, &rights);
  photo_list_free(&lefts);
  photo_list_free(&rights);
  return rc;
}

const cr_command cr_command_calibrate = {"calibrate", "camera intrinsics from chessboard photos",
                                         run};
