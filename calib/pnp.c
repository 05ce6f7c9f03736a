// Camera pose from correspondences with known intrinsics (see landmarks.h).
#include "calib/landmarks.h"

#include "calib/cv_calib.h"
#include "core/error.h"

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_sort_vector.h>
#include <math.h>
#include <stdlib.h>

double cr_calib_reprojection(const double *X, const double *uv, int n, const cr_camera *cam,
                             const cr_pose *cam_from_world, double *err_px) {
  double ss = 0;
  for (int i = 0; i < n; i++) {
    double xc[3], p[2], e = 1e6;
    cr_pose_apply(cam_from_world, X + 3 * i, xc);
    if (cr_camera_project(cam, xc, p) == 0) e = hypot(p[0] - uv[2 * i], p[1] - uv[2 * i + 1]);
    if (err_px) err_px[i] = e;
    ss += e * e;
  }
  return n > 0 ? sqrt(ss / n) : 0;
}

int cr_calib_point_spread(const double *p, int n, int dim, const unsigned char *use, double s[3]) {
  double c[3] = {0}, C[9] = {0};
  int m = 0;
  s[0] = s[1] = s[2] = 0;
  for (int i = 0; i < n; i++)
    if (!use || use[i]) {
      for (int k = 0; k < dim; k++) c[k] += p[dim * i + k];
      m++;
    }
  if (m == 0) return CR_OK;
  for (int k = 0; k < dim; k++) c[k] /= m;
  for (int i = 0; i < n; i++)
    if (!use || use[i])
      for (int a = 0; a < dim; a++)
        for (int b = 0; b < dim; b++)
          C[a * dim + b] += (p[dim * i + a] - c[a]) * (p[dim * i + b] - c[b]) / m;
  gsl_matrix_view A = gsl_matrix_view_array(C, dim, dim);
  gsl_vector *ev = gsl_vector_alloc(dim);
  gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc(dim);
  if (!ev || !w) {
    gsl_vector_free(ev), gsl_eigen_symm_free(w);
    return cr_error(CR_ENOMEM, "out of memory");
  }
  gsl_eigen_symm(&A.matrix, ev, w);
  gsl_sort_vector(ev); // ascending
  for (int k = 0; k < dim; k++) s[k] = sqrt(fmax(gsl_vector_get(ev, dim - 1 - k), 0));
  gsl_vector_free(ev), gsl_eigen_symm_free(w);
  return CR_OK;
}

// Collinear points leave the rotation about their line free: PnP returns some pose with a
// tiny reprojection error, which looks like success. Refused (names what, and the spread).
static int check_not_collinear(const double *X, const double *uv, int n, const unsigned char *use,
                               const char *which) {
  double s3[3], s2[3];
  int rc = cr_calib_point_spread(X, n, 3, use, s3);
  if (!rc) rc = cr_calib_point_spread(uv, n, 2, use, s2);
  if (rc) return rc;
  if (!(s3[1] > 0.01 * s3[0]))
    return cr_error(CR_EINVAL,
                    "PnP: the 3-D points%s are collinear (spread %.3g mm along their line, %.3g "
                    "mm across): the pose is not determined",
                    which, s3[0], s3[1]);
  if (!(s2[1] > 0.01 * s2[0]))
    return cr_error(CR_EINVAL,
                    "PnP: the 2-D points%s are collinear (spread %.3g px along their line, %.3g "
                    "px across): the pose is not determined",
                    which, s2[0], s2[1]);
  return CR_OK;
}

int cr_calib_pnp(const double *X, const double *uv, int n, const cr_camera *cam, double ransac_px,
                 cr_pose *cam_from_world, double *err_px, unsigned char *inliers, double *rms_px) {
  if (n < 4) return cr_error(CR_EINVAL, "PnP needs at least 4 correspondences, got %d", n);
  int rc = cr_camera_validate(cam);
  if (rc) return rc;
  if ((rc = check_not_collinear(X, uv, n, NULL, ""))) return rc;
  unsigned char *in = malloc(n);
  double *err = malloc(sizeof(double) * n);
  if (!in || !err) {
    free(in), free(err);
    return cr_error(CR_ENOMEM, "out of memory");
  }
  double K[9] = {cam->fx, 0, cam->cx, 0, cam->fy, cam->cy, 0, 0, 1}, rvec[3] = {0}, tvec[3] = {0};
  char msg[512];
  if (cvw_solve_pnp(X, uv, n, K, cam->dist, ransac_px, rvec, tvec, in, msg, sizeof msg)) {
    rc = cr_error(CR_ENUMERIC, "PnP failed: %s", msg);
    goto done;
  }
  int n_in = 0;
  for (int i = 0; i < n; i++) n_in += in[i] != 0;
  if (n_in < 4) {
    rc = cr_error(CR_EINVAL, "PnP: RANSAC kept %d inliers of %d (at least 4 are needed)", n_in, n);
    goto done;
  }
  if (n_in < n && (rc = check_not_collinear(X, uv, n, in, " RANSAC kept as inliers"))) goto done;
  *cam_from_world = cr_pose_from_rvec_tvec(rvec, tvec);
  cr_calib_reprojection(X, uv, n, cam, cam_from_world, err);
  double ss = 0;
  int m = 0;
  for (int i = 0; i < n; i++)
    if (in[i]) {
      if (err[i] >= 1e6) {
        rc = cr_error(CR_ENUMERIC, "PnP: point %d lies behind the camera in the solution", i + 1);
        goto done;
      }
      ss += err[i] * err[i], m++;
    }
  *rms_px = m ? sqrt(ss / m) : 0;
  if (err_px)
    for (int i = 0; i < n; i++) err_px[i] = err[i];
  if (inliers)
    for (int i = 0; i < n; i++) inliers[i] = in[i];
done:
  free(in), free(err);
  return rc;
}
