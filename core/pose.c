#include "core/pose.h"

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/mat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cr_pose cr_pose_identity(void) {
  cr_pose p;
  cr_mat3_identity(p.R);
  p.t[0] = p.t[1] = p.t[2] = 0;
  return p;
}

cr_pose cr_pose_from_rvec_tvec(const double rvec[3], const double tvec[3]) {
  cr_pose p;
  cr_rotation_from_rvec(p.R, rvec);
  memcpy(p.t, tvec, sizeof p.t);
  return p;
}

void cr_pose_to_rvec_tvec(const cr_pose *p, double rvec[3], double tvec[3]) {
  cr_rvec_from_rotation(rvec, p->R);
  memcpy(tvec, p->t, sizeof p->t);
}

// max |R^T R - I| (NaN if R is not finite).
static double rotation_error(const double R[3][3]) {
  double RtR[3][3], Rt[3][3], err = 0;
  cr_mat3_transpose(Rt, R);
  cr_mat3_mul(RtR, Rt, R);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      const double e = fabs(RtR[i][j] - (i == j));
      if (!(e <= err)) err = e; // NaN propagates
    }
  return err;
}

int cr_pose_check(const cr_pose *p) {
  for (int i = 0; i < 3; i++) {
    if (!isfinite(p->t[i]))
      return cr_error(CR_EINVAL, "pose: t[%d] = %g is not finite", i, p->t[i]);
    for (int j = 0; j < 3; j++)
      if (!isfinite(p->R[i][j]))
        return cr_error(CR_EINVAL, "pose: R[%d][%d] = %g is not finite", i, j, p->R[i][j]);
  }
  const double err = rotation_error(p->R);
  if (!(err < 1e-4) || cr_mat3_det(p->R) < 0)
    return cr_error(CR_EINVAL, "pose: R is not a rotation (|R^T R - I| = %g, det = %g)", err,
                    cr_mat3_det(p->R));
  const double tn = cr_vec3_norm(p->t);
  if (!(tn <= 1e9))
    return cr_error(CR_EINVAL, "pose: |t| = %g mm is out of range (at most 1e9 mm)", tn);
  return CR_OK;
}

int cr_pose_from_mat4(cr_pose *out, const double M[4][4]) {
  if (fabs(M[3][0]) > 1e-9 || fabs(M[3][1]) > 1e-9 || fabs(M[3][2]) > 1e-9 ||
      fabs(M[3][3] - 1) > 1e-9)
    return cr_error(CR_EINVAL, "last row of the pose matrix is not 0 0 0 1");
  double R[3][3], RtR[3][3], Rt[3][3];
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) R[i][j] = M[i][j];
  cr_mat3_transpose(Rt, R);
  cr_mat3_mul(RtR, Rt, R);
  double err = 0;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) err = fmax(err, fabs(RtR[i][j] - (i == j)));
  if (!(err < 1e-4))
    return cr_error(CR_EINVAL, "pose matrix is not a rotation (|R^T R - I| = %g)", err);
  if (cr_mat3_det(R) < 0)
    return cr_error(CR_EINVAL, "pose matrix is a reflection (det < 0), not a rotation");
  cr_rotation_orthonormalize(R);
  memcpy(out->R, R, sizeof R);
  for (int i = 0; i < 3; i++) out->t[i] = M[i][3];
  return CR_OK;
}

void cr_pose_to_mat4(const cr_pose *p, double M[4][4]) {
  for (int i = 0; i < 3; i++) {
    for (int j = 0; j < 3; j++) M[i][j] = p->R[i][j];
    M[i][3] = p->t[i];
  }
  M[3][0] = M[3][1] = M[3][2] = 0, M[3][3] = 1;
}

cr_pose cr_pose_compose(const cr_pose *a_from_b, const cr_pose *b_from_c) {
  cr_pose r;
  cr_mat3_mul(r.R, a_from_b->R, b_from_c->R);
  cr_mat3_apply(r.t, a_from_b->R, b_from_c->t);
  cr_vec3_add(r.t, r.t, a_from_b->t);
  return r;
}

cr_pose cr_pose_inverse(const cr_pose *a_from_b) {
  cr_pose r;
  cr_mat3_transpose(r.R, a_from_b->R);
  cr_mat3_apply(r.t, r.R, a_from_b->t);
  cr_vec3_scale(r.t, r.t, -1);
  return r;
}

void cr_pose_apply(const cr_pose *p, const double x[3], double out[3]) {
  double y[3];
  cr_mat3_apply(y, p->R, x);
  cr_vec3_add(out, y, p->t);
}

void cr_pose_camera_centre(const cr_pose *cam_from_world, double centre_world[3]) {
  cr_mat3_apply_transpose(centre_world, cam_from_world->R, cam_from_world->t);
  cr_vec3_scale(centre_world, centre_world, -1);
}

cr_pose cr_pose_move_along_axis(const cr_pose *cam_from_world, double forward_mm) {
  // centre C + f R^T e_z: t = -R C becomes t - f e_z
  cr_pose p = *cam_from_world;
  p.t[2] -= forward_mm;
  return p;
}

int cr_pose_look_at(cr_pose *cam_from_world, const double eye[3], const double target[3],
                    const double up[3]) {
  double z[3], x[3], y[3], down[3] = {-up[0], -up[1], -up[2]};
  cr_vec3_sub(z, target, eye);
  if (cr_vec3_normalize(z) < 1e-12) return cr_error(CR_EINVAL, "look-at: eye equals target");
  // Image v points down, so camera y is the component of -up orthogonal to z.
  double d = cr_vec3_dot(down, z);
  double s[3];
  cr_vec3_scale(s, z, d);
  cr_vec3_sub(y, down, s);
  if (cr_vec3_normalize(y) < 1e-9)
    return cr_error(CR_EINVAL, "look-at: up vector is parallel to the viewing direction");
  cr_vec3_cross(x, y, z);
  for (int j = 0; j < 3; j++) {
    cam_from_world->R[0][j] = x[j];
    cam_from_world->R[1][j] = y[j];
    cam_from_world->R[2][j] = z[j];
  }
  double Re[3];
  cr_mat3_apply(Re, cam_from_world->R, eye);
  cr_vec3_scale(cam_from_world->t, Re, -1);
  return CR_OK;
}

void cr_pose_difference(const cr_pose *a, const cr_pose *b, double *angle_deg, double *dist_mm) {
  cr_pose bi = cr_pose_inverse(b);
  cr_pose d = cr_pose_compose(a, &bi);
  if (angle_deg) *angle_deg = cr_rotation_angle(d.R) * 180.0 / M_PI;
  if (dist_mm) {
    // Distance between the two camera centres: independent of the world origin.
    double ca[3], cb[3], diff[3];
    cr_pose_camera_centre(a, ca);
    cr_pose_camera_centre(b, cb);
    cr_vec3_sub(diff, ca, cb);
    *dist_mm = cr_vec3_norm(diff);
  }
}

int cr_pose_read(const char *path, cr_pose *out) {
  cr_atomic_note_input(path); // a command may not write over what it reads
  FILE *f = fopen(path, "r");
  if (!f) return cr_error(CR_EIO, "%s: cannot open pose file (%s)", path, strerror(errno));
  double M[4][4];
  int row = 0, lineno = 0, rc = CR_OK;
  // Whole lines of any length (getline): a long comment must not spill into a row.
  char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) >= 0) {
    lineno++;
    char *p = line;
    while (*p == ' ' || *p == '\t') p++;
    if (*p == '#' || *p == '\n' || *p == '\r' || *p == '\0') continue;
    if (row == 4) {
      rc = cr_error(CR_EFORMAT, "%s:%d: more than 4 rows in the pose matrix", path, lineno);
      break;
    }
    for (int j = 0; j < 4 && !rc; j++) {
      char *end;
      errno = 0;
      M[row][j] = strtod(p, &end);
      if (end == p || errno == ERANGE || !isfinite(M[row][j]))
        rc = cr_error(CR_EFORMAT,
                      "%s:%d: row %d, column %d: %s (each row of the 4x4 pose matrix is 4 "
                      "finite numbers on one line)",
                      path, lineno, row + 1, j + 1,
                      end == p ? "not a number" : "not a finite double");
      p = end;
    }
    if (rc) break;
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
    if (*p != '\0' && *p != '#') {
      rc = cr_error(CR_EFORMAT, "%s:%d: more than 4 numbers in a pose matrix row", path, lineno);
      break;
    }
    row++;
  }
  free(line);
  fclose(f);
  if (rc) return rc;
  if (row < 4)
    return cr_error(CR_EFORMAT, "%s: expected a 4x4 pose matrix, found %d rows", path, row);
  rc = cr_pose_from_mat4(out, (const double(*)[4])M);
  if (rc) cr_error_prefix(path);
  return rc;
}

int cr_pose_write(const char *path, const cr_pose *p, const char *comment) {
  cr_atomic_file af;
  int rc = cr_atomic_begin(&af, path, 1);
  if (rc) return rc;
  double M[4][4], rvec[3], tvec[3];
  cr_pose_to_mat4(p, M);
  cr_pose_to_rvec_tvec(p, rvec, tvec);
  FILE *f = af.fp;
  fprintf(f,
          "# camreg pose: cam_from_world, x_cam = R * x_world + t (world RAS mm, camera OpenCV)\n");
  if (comment) fprintf(f, "# %s\n", comment);
  for (int i = 0; i < 4; i++)
    fprintf(f, "%.17g %.17g %.17g %.17g\n", M[i][0], M[i][1], M[i][2], M[i][3]);
  fprintf(f, "# rvec: %.17g %.17g %.17g\n", rvec[0], rvec[1], rvec[2]);
  fprintf(f, "# tvec: %.17g %.17g %.17g\n", tvec[0], tvec[1], tvec[2]);
  return cr_atomic_commit(&af);
}
