// View sets: the geometry of a stereo rig and of a turned tracked camera (view_set.h).
#include "experiments/view_set.h"

#include "core/error.h"

#include <math.h>
#include <string.h>

cr_exp_view_set cr_exp_view_set_defaults(void) {
  cr_exp_view_set v = {CR_EXP_VIEWS_MONO, 25, 0, 30, 10, 1};
  return v;
}

static const char *const names[] = {"mono", "stereo", "tracked"};

int cr_exp_view_kind_parse(const char *name, cr_exp_view_kind *kind) {
  for (int i = 0; i < 3; i++)
    if (!strcmp(name, names[i])) {
      *kind = (cr_exp_view_kind)i;
      return 0;
    }
  return cr_error(CR_EINVAL, "unknown view set '%s' (mono, stereo, tracked)", name);
}

const char *cr_exp_view_kind_name(cr_exp_view_kind kind) {
  return kind >= 0 && kind <= 2 ? names[kind] : "?";
}

cr_pose cr_exp_stereo_right_from_left(double baseline_mm, double converge_mm) {
  // In the left frame the right camera sits at c = (B, 0, 0) and looks along
  // z_r = (-sin a, 0, cos a) towards (0, 0, D); the rows of R are its axes.
  double a = converge_mm > 0 && isfinite(converge_mm) ? atan2(baseline_mm, converge_mm) : 0;
  cr_pose p = cr_pose_identity();
  double R[3][3] = {{cos(a), 0, sin(a)}, {0, 1, 0}, {-sin(a), 0, cos(a)}};
  memcpy(p.R, R, sizeof R);
  for (int i = 0; i < 3; i++) p.t[i] = -R[i][0] * baseline_mm;
  return p;
}

cr_pose cr_exp_turned_from_ref(double angle_deg, double pivot_depth_mm) {
  // The turned camera's axes are Ry(a) applied to the reference's, and its centre is
  // Q + Ry(a) (0 - Q) with Q = (0, 0, d): cam_from_ref = Ry(a)^T (x - c).
  double a = angle_deg * M_PI / 180, d = pivot_depth_mm;
  double Ry[3][3] = {{cos(a), 0, sin(a)}, {0, 1, 0}, {-sin(a), 0, cos(a)}};
  double c[3] = {-Ry[0][2] * d, 0, d - Ry[2][2] * d};
  cr_pose p = cr_pose_identity();
  for (int i = 0; i < 3; i++) {
    for (int j = 0; j < 3; j++) p.R[i][j] = Ry[j][i];
    p.t[i] = -(p.R[i][0] * c[0] + p.R[i][1] * c[1] + p.R[i][2] * c[2]);
  }
  return p;
}
