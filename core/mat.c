#include "core/mat.h"

#include "core/error.h"

#include <string.h>

void cr_mat3_mul(double out[3][3], const double A[3][3], const double B[3][3]) {
  double r[3][3];
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) r[i][j] = A[i][0] * B[0][j] + A[i][1] * B[1][j] + A[i][2] * B[2][j];
  memcpy(out, r, sizeof r);
}

void cr_mat3_transpose(double out[3][3], const double A[3][3]) {
  double r[3][3];
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) r[i][j] = A[j][i];
  memcpy(out, r, sizeof r);
}

double cr_mat3_det(const double A[3][3]) {
  return A[0][0] * (A[1][1] * A[2][2] - A[1][2] * A[2][1]) -
         A[0][1] * (A[1][0] * A[2][2] - A[1][2] * A[2][0]) +
         A[0][2] * (A[1][0] * A[2][1] - A[1][1] * A[2][0]);
}

int cr_mat3_inverse(double out[3][3], const double A[3][3]) {
  double d = cr_mat3_det(A);
  if (!(fabs(d) > 1e-300)) return cr_error(CR_ENUMERIC, "singular 3x3 matrix");
  double r[3][3];
  r[0][0] = (A[1][1] * A[2][2] - A[1][2] * A[2][1]) / d;
  r[0][1] = (A[0][2] * A[2][1] - A[0][1] * A[2][2]) / d;
  r[0][2] = (A[0][1] * A[1][2] - A[0][2] * A[1][1]) / d;
  r[1][0] = (A[1][2] * A[2][0] - A[1][0] * A[2][2]) / d;
  r[1][1] = (A[0][0] * A[2][2] - A[0][2] * A[2][0]) / d;
  r[1][2] = (A[0][2] * A[1][0] - A[0][0] * A[1][2]) / d;
  r[2][0] = (A[1][0] * A[2][1] - A[1][1] * A[2][0]) / d;
  r[2][1] = (A[0][1] * A[2][0] - A[0][0] * A[2][1]) / d;
  r[2][2] = (A[0][0] * A[1][1] - A[0][1] * A[1][0]) / d;
  memcpy(out, r, sizeof r);
  return CR_OK;
}

void cr_mat3_identity(double out[3][3]) {
  memset(out, 0, 9 * sizeof(double));
  out[0][0] = out[1][1] = out[2][2] = 1;
}

void cr_mat4_identity(double out[4][4]) {
  memset(out, 0, 16 * sizeof(double));
  out[0][0] = out[1][1] = out[2][2] = out[3][3] = 1;
}

void cr_mat4_mul(double out[4][4], const double A[4][4], const double B[4][4]) {
  double r[4][4];
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++)
      r[i][j] = A[i][0] * B[0][j] + A[i][1] * B[1][j] + A[i][2] * B[2][j] + A[i][3] * B[3][j];
  memcpy(out, r, sizeof r);
}

int cr_mat4_affine_inverse(double out[4][4], const double A[4][4]) {
  double L[3][3], Li[3][3];
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) L[i][j] = A[i][j];
  int rc = cr_mat3_inverse(Li, L);
  if (rc) return rc;
  double t[3] = {A[0][3], A[1][3], A[2][3]}, ti[3];
  cr_mat3_apply(ti, Li, t);
  double r[4][4];
  for (int i = 0; i < 3; i++) {
    for (int j = 0; j < 3; j++) r[i][j] = Li[i][j];
    r[i][3] = -ti[i];
  }
  r[3][0] = r[3][1] = r[3][2] = 0, r[3][3] = 1;
  memcpy(out, r, sizeof r);
  return CR_OK;
}

void cr_rotation_from_rvec(double R[3][3], const double rvec[3]) {
  double theta = cr_vec3_norm(rvec);
  if (theta < 1e-12) {
    // First-order expansion keeps tiny rotations exact to machine precision.
    cr_mat3_identity(R);
    R[0][1] = -rvec[2], R[0][2] = rvec[1];
    R[1][0] = rvec[2], R[1][2] = -rvec[0];
    R[2][0] = -rvec[1], R[2][1] = rvec[0];
    return;
  }
  double k[3] = {rvec[0] / theta, rvec[1] / theta, rvec[2] / theta};
  double c = cos(theta), s = sin(theta), v = 1 - c;
  R[0][0] = c + k[0] * k[0] * v;
  R[0][1] = k[0] * k[1] * v - k[2] * s;
  R[0][2] = k[0] * k[2] * v + k[1] * s;
  R[1][0] = k[1] * k[0] * v + k[2] * s;
  R[1][1] = c + k[1] * k[1] * v;
  R[1][2] = k[1] * k[2] * v - k[0] * s;
  R[2][0] = k[2] * k[0] * v - k[1] * s;
  R[2][1] = k[2] * k[1] * v + k[0] * s;
  R[2][2] = c + k[2] * k[2] * v;
}

double cr_rotation_angle(const double R[3][3]) {
  double c = 0.5 * (R[0][0] + R[1][1] + R[2][2] - 1);
  double s = 0.5 * sqrt((R[2][1] - R[1][2]) * (R[2][1] - R[1][2]) +
                        (R[0][2] - R[2][0]) * (R[0][2] - R[2][0]) +
                        (R[1][0] - R[0][1]) * (R[1][0] - R[0][1]));
  return atan2(s, c); // atan2 stays accurate near 0 and pi, unlike acos
}

void cr_rvec_from_rotation(double rvec[3], const double R[3][3]) {
  double theta = cr_rotation_angle(R);
  double w[3] = {R[2][1] - R[1][2], R[0][2] - R[2][0], R[1][0] - R[0][1]};
  if (theta < 1e-6) {
    // sin(theta)/theta ~ 1: the skew part is the rotation vector.
    cr_vec3_scale(rvec, w, 0.5);
    return;
  }
  if (M_PI - theta > 1e-4) {
    cr_vec3_scale(rvec, w, theta / (2 * sin(theta)));
    return;
  }
  // Near pi the skew part vanishes; take the axis from the symmetric part R + I.
  double B[3][3];
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) B[i][j] = 0.5 * (R[i][j] + R[j][i]) + (i == j ? 1 : 0);
  int col = 0;
  for (int j = 1; j < 3; j++)
    if (B[j][j] > B[col][col]) col = j;
  double axis[3] = {B[0][col], B[1][col], B[2][col]};
  cr_vec3_normalize(axis);
  // Choose the sign that agrees with the (small) skew part.
  if (cr_vec3_dot(axis, w) < 0) cr_vec3_scale(axis, axis, -1);
  cr_vec3_scale(rvec, axis, theta);
}

void cr_rotation_orthonormalize(double R[3][3]) {
  // Polar decomposition by Newton iteration: X <- (X + X^-T)/2 converges to the
  // nearest orthogonal matrix for well-conditioned X.
  for (int it = 0; it < 30; it++) {
    double Xi[3][3], XiT[3][3];
    if (cr_mat3_inverse(Xi, R)) return;
    cr_mat3_transpose(XiT, Xi);
    double delta = 0;
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++) {
        double n = 0.5 * (R[i][j] + XiT[i][j]);
        delta += fabs(n - R[i][j]);
        R[i][j] = n;
      }
    if (delta < 1e-15) break;
  }
}
