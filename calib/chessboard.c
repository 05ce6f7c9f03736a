// Chessboard detection and calibration with outlier rejection (see chessboard.h).
#include "calib/chessboard.h"

#include "calib/cv_calib.h"
#include "core/error.h"
#include "core/mat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

cr_calib_options cr_calib_defaults(void) {
  cr_calib_options o = {9, 6, 1.0, 0, 1.0, 0, 2.0, 3.0, 5};
  return o;
}

int cr_calib_find_corners(const cr_image *img, int bits, int cols, int rows, double *corners,
                          int *found) {
  *found = 0;
  if (cols < 2 || rows < 2)
    return cr_error(CR_EINVAL, "board size %dx%d: need at least 2x2 inner corners", cols, rows);
  cr_image *grey = cr_image_to_grey(img, img->channels == 1 ? 0 : -1, NULL);
  if (!grey) return CR_ENOMEM;
  double scale = 1.0;
  if (bits == 16) scale = 255.0 / 65535.0;
  if (bits == 32) {
    float lo, hi;
    cr_image_minmax(grey, &lo, &hi);
    scale = hi > 0 ? 255.0 / hi : 1.0;
  }
  char err[512];
  int rc = cvw_find_chessboard(grey->data, grey->width, grey->height, grey->stride, scale, cols,
                               rows, corners, found, err, sizeof err);
  cr_image_free(grey);
  if (rc) return cr_error(CR_ENUMERIC, "chessboard detection: %s", err);
  return 0;
}

cr_calib_views *cr_calib_views_new(int n, int cols, int rows) {
  cr_calib_views *v = calloc(1, sizeof *v);
  if (!v) return NULL;
  v->n = n, v->cols = cols, v->rows = rows;
  v->names = calloc(n > 0 ? n : 1, sizeof *v->names);
  v->found = calloc(n > 0 ? n : 1, sizeof *v->found);
  v->corners = calloc((size_t)(n > 0 ? n : 1) * cols * rows * 2, sizeof *v->corners);
  if (!v->names || !v->found || !v->corners) {
    cr_calib_views_free(v);
    cr_error(CR_ENOMEM, "out of memory for %d views", n);
    return NULL;
  }
  return v;
}

void cr_calib_views_free(cr_calib_views *v) {
  if (!v) return;
  if (v->names)
    for (int i = 0; i < v->n; i++) free(v->names[i]);
  free(v->names);
  free(v->found);
  free(v->corners);
  free(v);
}

void cr_calib_result_free(cr_calib_result *r) {
  if (!r) return;
  free(r->view_used);
  free(r->view_rms);
  free(r->view_rms_all);
  free(r->cam_from_board);
  free(r->corner_used);
  memset(r, 0, sizeof *r);
}

// One cv::calibrateCamera over the used views and corners; fills cam, std_dev, poses and
// returns the RMS in *rms. `guess` starts from r->cam.
static int calibrate_once(const cr_calib_views *v, const cr_calib_options *opt, cr_calib_result *r,
                          int guess, double *rms) {
  int nc = v->cols * v->rows, nv = 0, np = 0;
  for (int i = 0; i < v->n; i++)
    if (r->view_used[i]) {
      nv++;
      for (int k = 0; k < nc; k++) np += r->corner_used[(size_t)i * nc + k];
    }
  int *npts = calloc(nv, sizeof *npts), *idx = calloc(nv, sizeof *idx);
  double *obj = malloc(sizeof(double) * 3 * np), *img = malloc(sizeof(double) * 2 * np);
  double *rv = malloc(sizeof(double) * 3 * nv), *tv = malloc(sizeof(double) * 3 * nv);
  double *pve = malloc(sizeof(double) * nv), sd[18];
  int rc = 0;
  if (!npts || !idx || !obj || !img || !rv || !tv || !pve) {
    rc = cr_error(CR_ENOMEM, "out of memory for calibration");
    goto done;
  }
  int a = 0, p = 0;
  for (int i = 0; i < v->n; i++) {
    if (!r->view_used[i]) continue;
    idx[a] = i;
    for (int k = 0; k < nc; k++) {
      if (!r->corner_used[(size_t)i * nc + k]) continue;
      obj[3 * p] = (k % v->cols) * opt->square_mm;
      obj[3 * p + 1] = (k / v->cols) * opt->square_mm;
      obj[3 * p + 2] = 0;
      img[2 * p] = v->corners[((size_t)i * nc + k) * 2];
      img[2 * p + 1] = v->corners[((size_t)i * nc + k) * 2 + 1];
      p++, npts[a]++;
    }
    a++;
  }
  double K[9] = {1, 0, (v->width - 1) * 0.5, 0, 1, (v->height - 1) * 0.5, 0, 0, 1};
  double dist[5] = {0};
  if (opt->flags & CR_CALIB_FIX_ASPECT) K[0] = opt->aspect > 0 ? opt->aspect : 1.0;
  if (guess) {
    K[0] = r->cam.fx, K[2] = r->cam.cx, K[4] = r->cam.fy, K[5] = r->cam.cy;
    memcpy(dist, r->cam.dist, sizeof dist);
  }
  int flags = 0;
  if (opt->flags & CR_CALIB_FIX_ASPECT) flags |= CVW_CALIB_FIX_ASPECT;
  if (opt->flags & CR_CALIB_ZERO_TANGENT) flags |= CVW_CALIB_ZERO_TANGENT;
  if (opt->flags & CR_CALIB_FIX_K3) flags |= CVW_CALIB_FIX_K3;
  if (opt->flags & CR_CALIB_FIX_PRINCIPAL) flags |= CVW_CALIB_FIX_PRINCIPAL;
  if (guess) flags |= CVW_CALIB_USE_GUESS;
  char err[512];
  if (cvw_calibrate(nv, npts, obj, img, v->width, v->height, flags, K, dist, rv, tv, sd, pve, rms,
                    err, sizeof err)) {
    rc = cr_error(CR_ENUMERIC, "calibration failed: %s", err);
    goto done;
  }
  r->cam.width = v->width, r->cam.height = v->height;
  r->cam.fx = K[0], r->cam.cx = K[2], r->cam.fy = K[4], r->cam.cy = K[5];
  memcpy(r->cam.dist, dist, sizeof dist);
  for (int j = 0; j < 9; j++) r->std_dev[j] = sd[j];
  for (a = 0; a < nv; a++)
    r->cam_from_board[idx[a]] = cr_pose_from_rvec_tvec(rv + 3 * a, tv + 3 * a);
done:
  free(npts), free(idx), free(obj), free(img), free(rv), free(tv), free(pve);
  return rc;
}

// Reprojection residual (px) of every corner of the used views (others get -1).
static int residuals(const cr_calib_views *v, const cr_calib_options *opt, const cr_calib_result *r,
                     double *res) {
  int nc = v->cols * v->rows;
  double *obj = malloc(sizeof(double) * 3 * nc), *uv = malloc(sizeof(double) * 2 * nc);
  if (!obj || !uv) {
    free(obj), free(uv);
    return cr_error(CR_ENOMEM, "out of memory");
  }
  for (int k = 0; k < nc; k++) {
    obj[3 * k] = (k % v->cols) * opt->square_mm;
    obj[3 * k + 1] = (k / v->cols) * opt->square_mm;
    obj[3 * k + 2] = 0;
  }
  const cr_camera *c = &r->cam;
  double K[9] = {c->fx, 0, c->cx, 0, c->fy, c->cy, 0, 0, 1};
  char err[512];
  int rc = 0;
  for (int i = 0; i < v->n && !rc; i++) {
    for (int k = 0; k < nc; k++) res[(size_t)i * nc + k] = -1;
    if (!r->view_used[i]) continue;
    double rvec[3], tvec[3];
    cr_pose_to_rvec_tvec(&r->cam_from_board[i], rvec, tvec);
    if (cvw_project_points(obj, nc, rvec, tvec, K, c->dist, uv, err, sizeof err)) {
      rc = cr_error(CR_ENUMERIC, "projection failed: %s", err);
      break;
    }
    for (int k = 0; k < nc; k++) {
      const double *m = v->corners + ((size_t)i * nc + k) * 2;
      res[(size_t)i * nc + k] = hypot(uv[2 * k] - m[0], uv[2 * k + 1] - m[1]);
    }
  }
  free(obj), free(uv);
  return rc;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *x, int n) {
  if (n <= 0) return 0;
  qsort(x, n, sizeof *x, cmp_double);
  return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

// Per-view RMS over inlier corners and the overall inlier RMS, from residuals.
static double view_stats(const cr_calib_views *v, cr_calib_result *r, const double *res,
                         double *rms_out) {
  int nc = v->cols * v->rows, tot = 0;
  double ss_all = 0;
  for (int i = 0; i < v->n; i++) {
    r->view_rms[i] = -1;
    if (!r->view_used[i]) continue;
    double ss = 0;
    int cnt = 0;
    for (int k = 0; k < nc; k++)
      if (r->corner_used[(size_t)i * nc + k])
        ss += res[(size_t)i * nc + k] * res[(size_t)i * nc + k], cnt++;
    r->view_rms[i] = cnt ? sqrt(ss / cnt) : 0;
    ss_all += ss, tot += cnt;
  }
  r->corners_used = tot;
  *rms_out = tot ? sqrt(ss_all / tot) : 0;
  return *rms_out;
}

// One rejection round: corners by the robust residual scale, then views by the median
// view RMS. Returns 1 if any flag changed, 0 if none, negative on error.
static int reject_round(const cr_calib_views *v, const cr_calib_options *opt, cr_calib_result *r,
                        double *res, double *work) {
  int nc = v->cols * v->rows, m = 0, changed = 0, rc;
  if ((rc = residuals(v, opt, r, res))) return rc;
  for (int i = 0; i < v->n; i++)
    if (r->view_used[i])
      for (int k = 0; k < nc; k++) work[m++] = res[(size_t)i * nc + k];
  double sigma = median(work, m) / sqrt(2.0 * log(2.0));
  int n_used = 0;
  for (int i = 0; i < v->n; i++) n_used += r->view_used[i];
  for (int i = 0; i < v->n; i++) {
    if (!r->view_used[i]) continue;
    int kept = 0;
    for (int k = 0; k < nc; k++) {
      size_t q = (size_t)i * nc + k;
      unsigned char in = res[q] <= opt->corner_k * sigma;
      changed |= in != r->corner_used[q];
      r->corner_used[q] = in;
      kept += in;
    }
    if (kept < nc / 2 && n_used > 3) r->view_used[i] = 0, n_used--, changed = 1; // mostly wrong
  }
  double dummy;
  view_stats(v, r, res, &dummy);
  m = 0;
  for (int i = 0; i < v->n; i++)
    if (r->view_used[i]) work[m++] = r->view_rms[i];
  double med = median(work, m);
  // Drop the worst views first and never go below 3 views.
  for (;;) {
    int worst = -1;
    for (int i = 0; i < v->n; i++)
      if (r->view_used[i] && r->view_rms[i] > opt->view_k * med &&
          (worst < 0 || r->view_rms[i] > r->view_rms[worst]))
        worst = i;
    if (worst < 0 || n_used <= 3) break;
    r->view_used[worst] = 0, n_used--, changed = 1;
    r->view_rms[worst] = -1;
  }
  return changed;
}

static int result_alloc(const cr_calib_views *v, cr_calib_result *r) {
  memset(r, 0, sizeof *r);
  int n = v->n > 0 ? v->n : 1;
  r->view_used = calloc(n, sizeof *r->view_used);
  r->view_rms = calloc(n, sizeof *r->view_rms);
  r->view_rms_all = calloc(n, sizeof *r->view_rms_all);
  r->cam_from_board = calloc(n, sizeof *r->cam_from_board);
  r->corner_used = calloc((size_t)n * v->cols * v->rows, 1);
  if (!r->view_used || !r->view_rms || !r->view_rms_all || !r->cam_from_board || !r->corner_used) {
    cr_calib_result_free(r);
    return cr_error(CR_ENOMEM, "out of memory for %d views", v->n);
  }
  return 0;
}

int cr_calib_calibrate(const cr_calib_views *v, const cr_calib_options *opt, cr_calib_result *r) {
  if (!(opt->square_mm > 0)) return cr_error(CR_EINVAL, "square size must be positive");
  if (v->cols != opt->cols || v->rows != opt->rows)
    return cr_error(CR_EINVAL, "views have a %dx%d board, options say %dx%d", v->cols, v->rows,
                    opt->cols, opt->rows);
  int rc = result_alloc(v, r);
  if (rc) return rc;
  int nc = v->cols * v->rows;
  for (int i = 0; i < v->n; i++) {
    r->view_used[i] = v->found[i] != 0;
    r->n_views += r->view_used[i];
    memset(r->corner_used + (size_t)i * nc, r->view_used[i], nc);
  }
  r->corners_total = r->n_views * nc;
  if (r->n_views < 3) {
    cr_calib_result_free(r);
    return cr_error(CR_EINVAL,
                    "only %d view(s) with a complete %dx%d board; calibration needs at least 3",
                    v->n > 0 ? r->n_views : 0, v->cols, v->rows);
  }
  double *res = malloc(sizeof(double) * v->n * nc), *work = malloc(sizeof(double) * v->n * nc);
  if (!res || !work) {
    rc = cr_error(CR_ENOMEM, "out of memory");
    goto done;
  }
  if ((rc = calibrate_once(v, opt, r, 0, &r->rms_all))) goto done;
  if ((rc = residuals(v, opt, r, res))) goto done;
  view_stats(v, r, res, &r->rms);
  memcpy(r->view_rms_all, r->view_rms, sizeof(double) * v->n);
  for (int round = 0; opt->reject && round < opt->max_rounds; round++) {
    int changed = reject_round(v, opt, r, res, work);
    if (changed < 0) {
      rc = changed;
      goto done;
    }
    if (!changed) break;
    double rms_cv;
    if ((rc = calibrate_once(v, opt, r, 1, &rms_cv))) goto done;
  }
  if ((rc = residuals(v, opt, r, res))) goto done;
  view_stats(v, r, res, &r->rms);
  r->n_used = 0;
  for (int i = 0; i < v->n; i++) r->n_used += r->view_used[i];
done:
  free(res), free(work);
  if (rc) cr_calib_result_free(r);
  return rc;
}

int cr_calib_draw_corners(cr_image *rgb, int cols, int rows, const double *corners, int found) {
  if (rgb->channels != 3) return cr_error(CR_EINVAL, "draw corners: RGB image required");
  char err[512];
  if (cvw_draw_chessboard(rgb->data, rgb->width, rgb->height, rgb->stride, cols, rows, corners,
                          found, err, sizeof err))
    return cr_error(CR_ENUMERIC, "draw corners: %s", err);
  return 0;
}
