// Full camera from 2-D/3-D correspondences: normalized DLT, RQ, LM (see landmarks.h).
#include "calib/landmarks.h"

#include "core/error.h"
#include "core/mat.h"

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

// Ratio of the smallest to the largest singular value of the centred points, and
// the two values themselves (mm, RMS over the points).
static int spread(const double *X, int n, double *thin, double *wide) {
  double c[3] = {0};
  for (int i = 0; i < n; i++)
    for (int k = 0; k < 3; k++) c[k] += X[3 * i + k] / n;
  gsl_matrix *A = gsl_matrix_alloc(n, 3), *V = gsl_matrix_alloc(3, 3);
  gsl_vector *S = gsl_vector_alloc(3), *w = gsl_vector_alloc(3);
  if (!A || !V || !S || !w) {
    gsl_matrix_free(A), gsl_matrix_free(V), gsl_vector_free(S), gsl_vector_free(w);
    return cr_error(CR_ENOMEM, "out of memory");
  }
  for (int i = 0; i < n; i++)
    for (int k = 0; k < 3; k++) gsl_matrix_set(A, i, k, X[3 * i + k] - c[k]);
  int rc =
      gsl_linalg_SV_decomp(A, V, S, w) ? cr_error(CR_ENUMERIC, "SVD of the 3-D points failed") : 0;
  *wide = gsl_vector_get(S, 0) / sqrt(n);
  *thin = gsl_vector_get(S, 2) / sqrt(n);
  gsl_matrix_free(A), gsl_matrix_free(V), gsl_vector_free(S), gsl_vector_free(w);
  return rc;
}

// Similarity normalizing points of dimension d: centroid to 0, mean distance sqrt(d).
static void normalizer(const double *p, int n, int d, double *c, double *s) {
  double md = 0;
  for (int k = 0; k < d; k++) c[k] = 0;
  for (int i = 0; i < n; i++)
    for (int k = 0; k < d; k++) c[k] += p[d * i + k] / n;
  for (int i = 0; i < n; i++) {
    double q = 0;
    for (int k = 0; k < d; k++) q += (p[d * i + k] - c[k]) * (p[d * i + k] - c[k]);
    md += sqrt(q) / n;
  }
  *s = md > 0 ? sqrt((double)d) / md : 1;
}

// The 3x4 projection matrix P (row-major) by normalized DLT.
static int dlt_matrix(const double *X, const double *uv, int n, double P[12]) {
  double c2[2], s2, c3[3], s3;
  normalizer(uv, n, 2, c2, &s2);
  normalizer(X, n, 3, c3, &s3);
  gsl_matrix *A = gsl_matrix_calloc(2 * n, 12), *V = gsl_matrix_alloc(12, 12);
  gsl_vector *S = gsl_vector_alloc(12), *w = gsl_vector_alloc(12);
  int rc = 0;
  if (!A || !V || !S || !w) {
    rc = cr_error(CR_ENOMEM, "out of memory");
    goto done;
  }
  for (int i = 0; i < n; i++) {
    double Xh[4] = {(X[3 * i] - c3[0]) * s3, (X[3 * i + 1] - c3[1]) * s3,
                    (X[3 * i + 2] - c3[2]) * s3, 1};
    double x = (uv[2 * i] - c2[0]) * s2, y = (uv[2 * i + 1] - c2[1]) * s2;
    for (int k = 0; k < 4; k++) {
      gsl_matrix_set(A, 2 * i, k, Xh[k]);
      gsl_matrix_set(A, 2 * i, 8 + k, -x * Xh[k]);
      gsl_matrix_set(A, 2 * i + 1, 4 + k, Xh[k]);
      gsl_matrix_set(A, 2 * i + 1, 8 + k, -y * Xh[k]);
    }
  }
  if (gsl_linalg_SV_decomp(A, V, S, w)) {
    rc = cr_error(CR_ENUMERIC, "DLT: SVD failed");
    goto done;
  }
  // P = T^-1 * Pn * U with T, U the 2-D and 3-D normalizers.
  double Pn[12], Ti[3][3] = {{1 / s2, 0, c2[0]}, {0, 1 / s2, c2[1]}, {0, 0, 1}}, TP[12];
  for (int k = 0; k < 12; k++) Pn[k] = gsl_matrix_get(V, k, 11);
  for (int r = 0; r < 3; r++)
    for (int k = 0; k < 4; k++)
      TP[4 * r + k] = Ti[r][0] * Pn[k] + Ti[r][1] * Pn[4 + k] + Ti[r][2] * Pn[8 + k];
  for (int r = 0; r < 3; r++) {
    for (int k = 0; k < 3; k++) P[4 * r + k] = TP[4 * r + k] * s3;
    P[4 * r + 3] =
        TP[4 * r + 3] - s3 * (TP[4 * r] * c3[0] + TP[4 * r + 1] * c3[1] + TP[4 * r + 2] * c3[2]);
  }
done:
  gsl_matrix_free(A), gsl_matrix_free(V), gsl_vector_free(S), gsl_vector_free(w);
  return rc;
}

// RQ by Gram-Schmidt from the last row: M = K R with K upper triangular, positive
// diagonal, R orthonormal; det M > 0 makes R proper. Then t = K^-1 p4 and K /= K33.
static int decompose(double P[12], cr_camera *cam, cr_pose *pose) {
  double M[3][3];
  for (int r = 0; r < 3; r++)
    for (int k = 0; k < 3; k++) M[r][k] = P[4 * r + k];
  if (cr_mat3_det(M) < 0) {
    for (int k = 0; k < 12; k++) P[k] = -P[k];
    for (int r = 0; r < 3; r++)
      for (int k = 0; k < 3; k++) M[r][k] = -M[r][k];
  }
  double K[3][3] = {{0}}, R[3][3];
  K[2][2] = cr_vec3_norm(M[2]);
  if (!(K[2][2] > 0)) return cr_error(CR_ENUMERIC, "DLT: degenerate projection matrix");
  cr_vec3_scale(R[2], M[2], 1 / K[2][2]);
  K[1][2] = cr_vec3_dot(M[1], R[2]);
  double r1[3], r0[3], tmp[3];
  cr_vec3_scale(tmp, R[2], K[1][2]);
  cr_vec3_sub(r1, M[1], tmp);
  K[1][1] = cr_vec3_normalize(r1);
  memcpy(R[1], r1, sizeof r1);
  K[0][2] = cr_vec3_dot(M[0], R[2]);
  K[0][1] = cr_vec3_dot(M[0], R[1]);
  for (int k = 0; k < 3; k++) r0[k] = M[0][k] - K[0][1] * R[1][k] - K[0][2] * R[2][k];
  K[0][0] = cr_vec3_normalize(r0);
  memcpy(R[0], r0, sizeof r0);
  if (!(K[0][0] > 0 && K[1][1] > 0))
    return cr_error(CR_ENUMERIC, "DLT: degenerate projection matrix");
  double Ki[3][3], p4[3] = {P[3], P[7], P[11]};
  if (cr_mat3_inverse(Ki, K)) return cr_error(CR_ENUMERIC, "DLT: singular K");
  cr_mat3_apply(pose->t, Ki, p4);
  memcpy(pose->R, R, sizeof R);
  cam->fx = K[0][0] / K[2][2], cam->fy = K[1][1] / K[2][2];
  cam->cx = K[0][2] / K[2][2], cam->cy = K[1][2] / K[2][2];
  memset(cam->dist, 0, sizeof cam->dist);
  return 0;
}

typedef struct lm_data {
  const double *X, *uv;
  int n, distortion;
  cr_camera cam;
} lm_data;

static void unpack(const gsl_vector *x, lm_data *d, cr_camera *cam, cr_pose *pose) {
  *cam = d->cam;
  cam->fx = gsl_vector_get(x, 0), cam->fy = gsl_vector_get(x, 1);
  cam->cx = gsl_vector_get(x, 2), cam->cy = gsl_vector_get(x, 3);
  double rv[3] = {gsl_vector_get(x, 4), gsl_vector_get(x, 5), gsl_vector_get(x, 6)};
  double tv[3] = {gsl_vector_get(x, 7), gsl_vector_get(x, 8), gsl_vector_get(x, 9)};
  *pose = cr_pose_from_rvec_tvec(rv, tv);
  if (d->distortion) cam->dist[0] = gsl_vector_get(x, 10), cam->dist[1] = gsl_vector_get(x, 11);
}

static int lm_f(const gsl_vector *x, void *params, gsl_vector *f) {
  lm_data *d = params;
  cr_camera cam;
  cr_pose pose;
  unpack(x, d, &cam, &pose);
  for (int i = 0; i < d->n; i++) {
    double xc[3], p[2] = {d->uv[2 * i] + 1e3, d->uv[2 * i + 1] + 1e3};
    cr_pose_apply(&pose, d->X + 3 * i, xc);
    cr_camera_project(&cam, xc, p); // behind the camera: a large residual
    gsl_vector_set(f, 2 * i, p[0] - d->uv[2 * i]);
    gsl_vector_set(f, 2 * i + 1, p[1] - d->uv[2 * i + 1]);
  }
  return GSL_SUCCESS;
}

static int refine(const double *X, const double *uv, int n, int distortion, cr_camera *cam,
                  cr_pose *pose) {
  int np = distortion ? 12 : 10;
  lm_data d = {X, uv, n, distortion, *cam};
  gsl_multifit_nlinear_fdf fdf = {lm_f, NULL, NULL, (size_t)2 * n, (size_t)np, &d, 0, 0, 0};
  gsl_multifit_nlinear_parameters prm = gsl_multifit_nlinear_default_parameters();
  gsl_multifit_nlinear_workspace *w =
      gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &prm, 2 * n, np);
  gsl_vector *x0 = gsl_vector_alloc(np);
  if (!w || !x0) {
    gsl_multifit_nlinear_free(w), gsl_vector_free(x0);
    return cr_error(CR_ENOMEM, "out of memory");
  }
  double rv[3], tv[3];
  cr_pose_to_rvec_tvec(pose, rv, tv);
  double init[12] = {cam->fx, cam->fy, cam->cx, cam->cy, rv[0], rv[1],
                     rv[2],   tv[0],   tv[1],   tv[2],   0,     0};
  for (int k = 0; k < np; k++) gsl_vector_set(x0, k, init[k]);
  int info, rc = 0;
  gsl_multifit_nlinear_init(x0, &fdf, w);
  int st = gsl_multifit_nlinear_driver(200, 1e-12, 1e-12, 1e-12, NULL, NULL, &info, w);
  if (st != GSL_SUCCESS && st != GSL_EMAXITER)
    rc = cr_error(CR_ENUMERIC, "DLT refinement failed: %s", gsl_strerror(st));
  else
    unpack(w->x, &d, cam, pose);
  gsl_multifit_nlinear_free(w), gsl_vector_free(x0);
  return rc;
}

int cr_calib_dlt(const double *X, const double *uv, int n, int distortion, cr_camera *cam,
                 cr_pose *cam_from_world, double *err_px, double *rms_px) {
  if (n < 6) return cr_error(CR_EINVAL, "DLT needs at least 6 correspondences, got %d", n);
  if (distortion && n < 8)
    return cr_error(CR_EINVAL, "DLT with distortion needs at least 8 correspondences, got %d", n);
  double thin = 0, wide = 0, P[12];
  int rc = spread(X, n, &thin, &wide);
  if (rc) return rc;
  if (!(thin > 0.01 * wide))
    return cr_error(CR_EINVAL,
                    "the 3-D points are coplanar (thickness %.3g mm vs extent %.3g mm): "
                    "DLT needs points off a plane; use pnp with known intrinsics",
                    thin, wide);
  if ((rc = dlt_matrix(X, uv, n, P))) return rc;
  cr_camera c = *cam;
  cr_pose pose;
  if ((rc = decompose(P, &c, &pose))) return rc;
  if ((rc = refine(X, uv, n, distortion, &c, &pose))) return rc;
  if (!(c.fx > 0 && c.fy > 0))
    return cr_error(CR_ENUMERIC, "DLT refinement gave a non-positive focal length");
  *cam = c;
  *cam_from_world = pose;
  *rms_px = cr_calib_reprojection(X, uv, n, cam, cam_from_world, err_px);
  return 0;
}
