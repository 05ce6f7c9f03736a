// Small fixed-size linear algebra: 3-vectors, 3x3 and 4x4 row-major double matrices.
// Enough for frames and poses; anything larger goes through GSL.
#ifndef CR_MAT_H
#define CR_MAT_H

#include <math.h>

#ifdef __cplusplus
extern "C" {
#endif

static inline double cr_vec3_dot(const double a[3], const double b[3]) {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
static inline double cr_vec3_norm(const double a[3]) {
  return sqrt(cr_vec3_dot(a, a));
}
static inline void cr_vec3_cross(double out[3], const double a[3], const double b[3]) {
  double r0 = a[1] * b[2] - a[2] * b[1], r1 = a[2] * b[0] - a[0] * b[2],
         r2 = a[0] * b[1] - a[1] * b[0];
  out[0] = r0, out[1] = r1, out[2] = r2;
}
static inline void cr_vec3_sub(double out[3], const double a[3], const double b[3]) {
  out[0] = a[0] - b[0], out[1] = a[1] - b[1], out[2] = a[2] - b[2];
}
static inline void cr_vec3_add(double out[3], const double a[3], const double b[3]) {
  out[0] = a[0] + b[0], out[1] = a[1] + b[1], out[2] = a[2] + b[2];
}
static inline void cr_vec3_scale(double out[3], const double a[3], double s) {
  out[0] = a[0] * s, out[1] = a[1] * s, out[2] = a[2] * s;
}
// Normalizes in place; returns the former length (0 leaves the vector unchanged).
static inline double cr_vec3_normalize(double a[3]) {
  double n = cr_vec3_norm(a);
  if (n > 0) a[0] /= n, a[1] /= n, a[2] /= n;
  return n;
}

// Two unit vectors e1, e2 completing the unit vector a to a right-handed orthonormal frame
// (a, e1, e2), a function of a alone: the same a gives the same frame everywhere.
static inline void cr_vec3_frame(const double a[3], double e1[3], double e2[3]) {
  double h[3] = {1, 0, 0};
  if (a[0] > 0.9 || a[0] < -0.9) h[0] = 0, h[1] = 1;
  cr_vec3_cross(e1, a, h);
  cr_vec3_normalize(e1);
  cr_vec3_cross(e2, a, e1);
}

// out = A * x for a 3x3 matrix.
static inline void cr_mat3_apply(double out[3], const double A[3][3], const double x[3]) {
  double r0 = A[0][0] * x[0] + A[0][1] * x[1] + A[0][2] * x[2];
  double r1 = A[1][0] * x[0] + A[1][1] * x[1] + A[1][2] * x[2];
  double r2 = A[2][0] * x[0] + A[2][1] * x[1] + A[2][2] * x[2];
  out[0] = r0, out[1] = r1, out[2] = r2;
}
// out = A^T * x.
static inline void cr_mat3_apply_transpose(double out[3], const double A[3][3], const double x[3]) {
  double r0 = A[0][0] * x[0] + A[1][0] * x[1] + A[2][0] * x[2];
  double r1 = A[0][1] * x[0] + A[1][1] * x[1] + A[2][1] * x[2];
  double r2 = A[0][2] * x[0] + A[1][2] * x[1] + A[2][2] * x[2];
  out[0] = r0, out[1] = r1, out[2] = r2;
}

// out = A * B (out may alias A or B).
void cr_mat3_mul(double out[3][3], const double A[3][3], const double B[3][3]);
void cr_mat3_transpose(double out[3][3], const double A[3][3]);
double cr_mat3_det(const double A[3][3]);
// Inverse; returns 0, or CR_ENUMERIC if singular (|det| < 1e-300).
int cr_mat3_inverse(double out[3][3], const double A[3][3]);
void cr_mat3_identity(double out[3][3]);

// 4x4 affine (last row 0 0 0 1) helpers.
void cr_mat4_identity(double out[4][4]);
void cr_mat4_mul(double out[4][4], const double A[4][4], const double B[4][4]);
// Inverse of an affine 4x4; returns 0 or CR_ENUMERIC if the 3x3 part is singular.
int cr_mat4_affine_inverse(double out[4][4], const double A[4][4]);
// out = A * (x,1), the affine image of a point.
static inline void cr_mat4_apply_point(double out[3], const double A[4][4], const double x[3]) {
  double r0 = A[0][0] * x[0] + A[0][1] * x[1] + A[0][2] * x[2] + A[0][3];
  double r1 = A[1][0] * x[0] + A[1][1] * x[1] + A[1][2] * x[2] + A[1][3];
  double r2 = A[2][0] * x[0] + A[2][1] * x[1] + A[2][2] * x[2] + A[2][3];
  out[0] = r0, out[1] = r1, out[2] = r2;
}

// Rodrigues: rotation vector (axis * angle, rad) <-> rotation matrix, as OpenCV.
void cr_rotation_from_rvec(double R[3][3], const double rvec[3]);
void cr_rvec_from_rotation(double rvec[3], const double R[3][3]);
// Angle (rad) of the rotation R (0..pi).
double cr_rotation_angle(const double R[3][3]);
// Nearest rotation matrix (SVD-free: polar iteration); used to clean parsed matrices.
void cr_rotation_orthonormalize(double R[3][3]);

#ifdef __cplusplus
}
#endif
#endif
