// Stereo rig files: OpenCV's stereo sample keys through core's FileStorage wrapper.
#include "core/rig.h"

#include "core/atomic_file.h"
#include "core/cvwrap.h"
#include "core/error.h"
#include "core/filestorage.h"
#include "core/mat.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int cr_rig_validate(const cr_rig *rig) {
  int rc;
  if ((rc = cr_camera_validate(&rig->left))) {
    cr_error_prefix("left camera");
    return rc;
  }
  if ((rc = cr_camera_validate(&rig->right))) {
    cr_error_prefix("right camera");
    return rc;
  }
  const cr_pose *p = &rig->right_from_left;
  for (int i = 0; i < 3; i++) {
    if (!isfinite(p->t[i])) return cr_error(CR_EINVAL, "rig translation T is not finite");
    for (int j = 0; j < 3; j++)
      if (!isfinite(p->R[i][j])) return cr_error(CR_EINVAL, "rig rotation R is not finite");
  }
  // Orthonormal columns and det +1: a reflection or a scaled matrix is not a rig.
  double worst = 0;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      double d = 0;
      for (int k = 0; k < 3; k++) d += p->R[k][i] * p->R[k][j];
      worst = fmax(worst, fabs(d - (i == j)));
    }
  double det = cr_mat3_det(p->R);
  if (worst > 1e-6 || fabs(det - 1) > 1e-6)
    return cr_error(CR_EINVAL,
                    "rig R is not a rotation (|R^T R - I| = %.3g, det = %.9g; need orthonormal, "
                    "det +1 within 1e-6)",
                    worst, det);
  if (!(cr_vec3_norm(p->t) > 0)) return cr_error(CR_EINVAL, "rig translation T is zero");
  return CR_OK;
}

static void camera_matrix(const cr_camera *c, double K[3][3]) {
  double M[3][3] = {{c->fx, 0, c->cx}, {0, c->fy, c->cy}, {0, 0, 1}};
  memcpy(K, M, sizeof M);
}

void cr_rig_epipolar(const cr_rig *rig, double E[3][3], double F[3][3]) {
  const double *t = rig->right_from_left.t;
  double tx[3][3] = {{0, -t[2], t[1]}, {t[2], 0, -t[0]}, {-t[1], t[0], 0}};
  cr_mat3_mul(E, tx, rig->right_from_left.R);
  double K1[3][3], K2[3][3], K1i[3][3], K2i[3][3], K2it[3][3];
  camera_matrix(&rig->left, K1);
  camera_matrix(&rig->right, K2);
  // Focal lengths > 0 (validated cameras) keep both inverses defined.
  cr_mat3_inverse(K1i, K1);
  cr_mat3_inverse(K2i, K2);
  cr_mat3_transpose(K2it, K2i);
  cr_mat3_mul(F, K2it, E);
  cr_mat3_mul(F, F, K1i);
  double s = F[2][2];
  if (fabs(s) > 1e-12 * fabs(F[0][2]) + 1e-300)
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++) F[i][j] /= s;
}

double cr_rig_baseline_mm(const cr_rig *rig) {
  return cr_vec3_norm(rig->right_from_left.t);
}

double cr_rig_angle_deg(const cr_rig *rig) {
  return cr_rotation_angle(rig->right_from_left.R) * 180.0 / M_PI;
}

enum { K_W, K_H, K_W2, K_H2, K_M1, K_D1, K_M2, K_D2, K_R, K_T, K_RMS, K_UNITS, K_COUNT };

// A numeric key as int; CR_EINVAL naming the key when it is not an integer.
static int int_key(const char *path, const cvw_fs_value *v, int *out) {
  if (v->type != CVW_FS_INT)
    return cr_error(CR_EINVAL, "%s: key '%s' is not an integer", path, v->name);
  *out = (int)v->rval;
  return CR_OK;
}

// A matrix key of the given shape (a vector may be a row or a column when rows or
// cols is 1 ... n: D of 4, 5, 8, 12 or 14 values is checked by the camera).
static int matrix_key(const char *path, const cvw_fs_value *v, int rows, int cols) {
  if (v->type != CVW_FS_MATRIX)
    return cr_error(CR_EINVAL, "%s: key '%s' is not an opencv-matrix", path, v->name);
  int ok = rows ? (v->rows == rows && v->cols == cols) : (v->rows == 1 || v->cols == 1);
  if (!ok)
    return cr_error(CR_EINVAL, "%s: key '%s' is %dx%d, expected %s", path, v->name, v->rows,
                    v->cols,
                    rows == 3 && cols == 3 ? "3x3"
                    : rows                 ? "3x1"
                                           : "a vector");
  for (int i = 0; i < v->rows * v->cols; i++)
    if (!isfinite(v->data[i]))
      return cr_error(CR_EINVAL, "%s: key '%s' has a non-finite value", path, v->name);
  return CR_OK;
}

static int read_camera(const char *path, const cvw_fs_value *M, const cvw_fs_value *D, int w, int h,
                       cr_camera *cam) {
  int rc;
  if ((rc = matrix_key(path, M, 3, 3)) || (rc = matrix_key(path, D, 0, 0))) return rc;
  if ((rc = cr_camera_from_opencv(cam, M->data, D->data, D->rows * D->cols, w, h, M->name))) {
    char ctx[4200];
    snprintf(ctx, sizeof ctx, "%s: %s, %s", path, M->name, D->name);
    cr_error_prefix(ctx);
  }
  return rc;
}

int cr_rig_read(const char *path, cr_rig *rig) {
  memset(rig, 0, sizeof *rig);
  rig->rms = NAN;
  if (!cr_file_exists(path)) return cr_error(CR_EIO, "%s: rig file not found", path);
  cr_atomic_note_input(path); // a command may not write over what it reads
  if (cr_fs_check_text(path)) return cr_last_status();
  static const char *names[K_COUNT] = {
      "image_width", "image_height", "image_width2", "image_height2", "M1", "D1", "M2", "D2", "R",
      "T",           "rms",          "units"};
  static const int required[K_COUNT] = {1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0};
  cvw_fs_value v[K_COUNT];
  memset(v, 0, sizeof v);
  for (int k = 0; k < K_COUNT; k++) v[k].name = names[k];
  char err[512];
  if (cvw_fs_read(path, v, K_COUNT, err, sizeof err))
    return cr_error(CR_EFORMAT, "%s: %s", path, err);
  for (int k = 0; k < K_COUNT; k++)
    if (required[k] && !v[k].found)
      return cr_error(CR_EINVAL, "%s: missing key '%s'", path, names[k]);
  int rc, w = 0, h = 0, w2, h2;
  if ((rc = int_key(path, &v[K_W], &w)) || (rc = int_key(path, &v[K_H], &h))) return rc;
  w2 = w, h2 = h;
  if (v[K_W2].found != v[K_H2].found)
    return cr_error(CR_EINVAL, "%s: missing key '%s'", path,
                    v[K_W2].found ? "image_height2" : "image_width2");
  if (v[K_W2].found && ((rc = int_key(path, &v[K_W2], &w2)) || (rc = int_key(path, &v[K_H2], &h2))))
    return rc;
  if ((rc = read_camera(path, &v[K_M1], &v[K_D1], w, h, &rig->left)) ||
      (rc = read_camera(path, &v[K_M2], &v[K_D2], w2, h2, &rig->right)))
    return rc;
  if ((rc = matrix_key(path, &v[K_R], 3, 3)) || (rc = matrix_key(path, &v[K_T], 3, 1))) return rc;
  for (int i = 0; i < 9; i++) rig->right_from_left.R[i / 3][i % 3] = v[K_R].data[i];
  for (int i = 0; i < 3; i++) rig->right_from_left.t[i] = v[K_T].data[i];
  if (v[K_RMS].found) {
    if (v[K_RMS].type != CVW_FS_REAL && v[K_RMS].type != CVW_FS_INT)
      return cr_error(CR_EINVAL, "%s: key 'rms' is not a number", path);
    rig->rms = v[K_RMS].rval;
  }
  if (v[K_UNITS].found && (v[K_UNITS].type != CVW_FS_STRING || strcmp(v[K_UNITS].sval, "mm")))
    return cr_error(CR_EUNSUPPORTED, "%s: key 'units' is '%s'; camreg rigs are in mm", path,
                    v[K_UNITS].sval);
  if ((rc = cr_rig_validate(rig))) cr_error_prefix(path);
  return rc;
}

int cr_rig_write(const char *path, const cr_rig *rig) {
  int rc = cr_rig_validate(rig);
  if (rc) {
    cr_error_prefix(path);
    return rc;
  }
  const cr_camera *l = &rig->left, *r = &rig->right;
  double M1[9] = {l->fx, 0, l->cx, 0, l->fy, l->cy, 0, 0, 1};
  double M2[9] = {r->fx, 0, r->cx, 0, r->fy, r->cy, 0, 0, 1};
  double E[3][3], F[3][3];
  cr_rig_epipolar(rig, E, F);
  cvw_fs_entry e[] = {
      {"image_width", CVW_FS_INT, 0, 0, NULL, l->width, 0, NULL},
      {"image_height", CVW_FS_INT, 0, 0, NULL, l->height, 0, NULL},
      {"image_width2", CVW_FS_INT, 0, 0, NULL, r->width, 0, NULL},
      {"image_height2", CVW_FS_INT, 0, 0, NULL, r->height, 0, NULL},
      {"M1", CVW_FS_MATRIX, 3, 3, M1, 0, 0, NULL},
      {"D1", CVW_FS_MATRIX, 1, 5, l->dist, 0, 0, NULL},
      {"M2", CVW_FS_MATRIX, 3, 3, M2, 0, 0, NULL},
      {"D2", CVW_FS_MATRIX, 1, 5, r->dist, 0, 0, NULL},
      {"R", CVW_FS_MATRIX, 3, 3, &rig->right_from_left.R[0][0], 0, 0, NULL},
      {"T", CVW_FS_MATRIX, 3, 1, rig->right_from_left.t, 0, 0, NULL},
      {"E", CVW_FS_MATRIX, 3, 3, &E[0][0], 0, 0, NULL},
      {"F", CVW_FS_MATRIX, 3, 3, &F[0][0], 0, 0, NULL},
      {"units", CVW_FS_STRING, 0, 0, NULL, 0, 0, "mm"},
      {"rms", CVW_FS_REAL, 0, 0, NULL, 0, rig->rms, NULL},
  };
  // JSON has no NaN: an unknown RMS is left out (read back as NaN).
  int n = (int)(sizeof e / sizeof e[0]) - (isfinite(rig->rms) ? 0 : 1);
  return cr_fs_write(path, e, n);
}
