// Stereo calibration: two per-camera calibrations, then stereoCalibrate (see stereo.h).
#include "calib/stereo.h"

#include "calib/cv_calib.h"
#include "core/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void cr_stereo_result_free(cr_stereo_result *r) {
  if (!r) return;
  cr_calib_result_free(&r->left);
  cr_calib_result_free(&r->right);
  free(r->pair_used);
  free(r->pair_rms_left);
  free(r->pair_rms_right);
  free(r->corner_used);
  memset(r, 0, sizeof *r);
}

// stereoCalibrate over the pairs and corners marked used in r; fills r->rig's R, T, rms
// and the per-pair RMS.
static int stereo_once(const cr_calib_views *l, const cr_calib_views *rv,
                       const cr_calib_options *opt, cr_stereo_result *r) {
  int nc = l->cols * l->rows, nv = 0, np = 0;
  for (int i = 0; i < l->n; i++)
    if (r->pair_used[i]) {
      nv++;
      for (int k = 0; k < nc; k++) np += r->corner_used[(size_t)i * nc + k];
    }
  int *npts = calloc(nv, sizeof *npts), *idx = calloc(nv, sizeof *idx);
  double *obj = malloc(sizeof(double) * 3 * np), *u1 = malloc(sizeof(double) * 2 * np);
  double *u2 = malloc(sizeof(double) * 2 * np), *pve = malloc(sizeof(double) * 2 * nv);
  int rc = 0;
  if (!npts || !idx || !obj || !u1 || !u2 || !pve) {
    rc = cr_error(CR_ENOMEM, "out of memory for stereo calibration");
    goto done;
  }
  int a = 0, p = 0;
  for (int i = 0; i < l->n; i++) {
    if (!r->pair_used[i]) continue;
    idx[a] = i;
    for (int k = 0; k < nc; k++) {
      size_t q = (size_t)i * nc + k;
      if (!r->corner_used[q]) continue;
      obj[3 * p] = (k % l->cols) * opt->square_mm;
      obj[3 * p + 1] = (k / l->cols) * opt->square_mm;
      obj[3 * p + 2] = 0;
      memcpy(u1 + 2 * p, l->corners + q * 2, 2 * sizeof(double));
      memcpy(u2 + 2 * p, rv->corners + q * 2, 2 * sizeof(double));
      p++, npts[a]++;
    }
    a++;
  }
  const cr_camera *c1 = &r->rig.left, *c2 = &r->rig.right;
  double K1[9] = {c1->fx, 0, c1->cx, 0, c1->fy, c1->cy, 0, 0, 1};
  double K2[9] = {c2->fx, 0, c2->cx, 0, c2->fy, c2->cy, 0, 0, 1};
  double R[9], T[3];
  char err[512];
  if (cvw_stereo_calibrate(nv, npts, obj, u1, u2, l->width, l->height, K1, c1->dist, K2, c2->dist,
                           R, T, pve, &r->rig.rms, err, sizeof err)) {
    rc = cr_error(CR_ENUMERIC, "stereo calibration failed: %s", err);
    goto done;
  }
  for (int i = 0; i < 9; i++) r->rig.right_from_left.R[i / 3][i % 3] = R[i];
  memcpy(r->rig.right_from_left.t, T, sizeof T);
  for (a = 0; a < nv; a++)
    r->pair_rms_left[idx[a]] = pve[2 * a], r->pair_rms_right[idx[a]] = pve[2 * a + 1];
  r->n_used = nv;
  r->corners_used = np;
done:
  free(npts), free(idx), free(obj), free(u1), free(u2), free(pve);
  return rc;
}

int cr_calib_stereo(const cr_calib_views *left, const cr_calib_views *right,
                    const cr_calib_options *opt, cr_stereo_result *out) {
  memset(out, 0, sizeof *out);
  if (left->n != right->n)
    return cr_error(CR_EINVAL, "%d left photos but %d right photos: pairs need one of each",
                    left->n, right->n);
  if (left->cols != right->cols || left->rows != right->rows)
    return cr_error(CR_EINVAL, "left board %dx%d, right board %dx%d", left->cols, left->rows,
                    right->cols, right->rows);
  int n = left->n, nc = left->cols * left->rows, rc;
  int *both = calloc(n > 0 ? n : 1, sizeof *both);
  out->pair_used = calloc(n > 0 ? n : 1, sizeof *out->pair_used);
  out->pair_rms_left = malloc(sizeof(double) * (n > 0 ? n : 1));
  out->pair_rms_right = malloc(sizeof(double) * (n > 0 ? n : 1));
  out->corner_used = calloc((size_t)(n > 0 ? n : 1) * nc, 1);
  if (!both || !out->pair_used || !out->pair_rms_left || !out->pair_rms_right ||
      !out->corner_used) {
    rc = cr_error(CR_ENOMEM, "out of memory for %d pairs", n);
    goto done;
  }
  for (int i = 0; i < n; i++) {
    both[i] = left->found[i] && right->found[i];
    out->n_pairs += both[i];
    out->pair_rms_left[i] = out->pair_rms_right[i] = -1;
  }
  if (out->n_pairs == 0) {
    rc = cr_error(CR_EEMPTY, "no pair has a complete %dx%d board in both photos", left->cols,
                  left->rows);
    goto done;
  }
  if (out->n_pairs < 3) {
    rc = cr_error(CR_EINVAL,
                  "only %d pair(s) with a complete %dx%d board in both photos; stereo "
                  "calibration needs at least 3",
                  out->n_pairs, left->cols, left->rows);
    goto done;
  }
  // Each camera on the pairs only: both calibrations then see the same board poses.
  cr_calib_views lv = *left, rv = *right;
  lv.found = rv.found = both;
  if ((rc = cr_calib_calibrate(&lv, opt, &out->left))) {
    cr_error_prefix("left camera");
    goto done;
  }
  if ((rc = cr_calib_calibrate(&rv, opt, &out->right))) {
    cr_error_prefix("right camera");
    goto done;
  }
  int used = 0;
  for (int i = 0; i < n; i++) {
    out->pair_used[i] = out->left.view_used[i] && out->right.view_used[i];
    used += out->pair_used[i];
    for (size_t q = (size_t)i * nc; q < (size_t)(i + 1) * nc; q++)
      out->corner_used[q] =
          out->pair_used[i] && out->left.corner_used[q] && out->right.corner_used[q];
  }
  if (used < 3) {
    rc = cr_error(CR_EINVAL,
                  "only %d pair(s) kept by both per-camera calibrations; stereo calibration "
                  "needs at least 3 (try larger --view-k)",
                  used);
    goto done;
  }
  out->rig.left = out->left.cam;
  out->rig.right = out->right.cam;
  if ((rc = stereo_once(&lv, &rv, opt, out))) goto done;
  if ((rc = cr_rig_validate(&out->rig))) cr_error_prefix("stereo calibration");
done:
  free(both);
  if (rc) cr_stereo_result_free(out);
  return rc;
}
