// Pose parametrization about a pivot (see param.h for the convention).
#include "registration/param.h"

#include "core/error.h"
#include "core/mat.h"

#include <math.h>

#define DEG (M_PI / 180.0)

void cr_reg_param_init(cr_reg_param *par, const cr_pose *cam_from_world_ref,
                       const double pivot_world[3]) {
  par->cam_from_world_ref = *cam_from_world_ref;
  for (int i = 0; i < 3; i++) par->pivot_world[i] = pivot_world[i];
  cr_pose_apply(cam_from_world_ref, pivot_world, par->pivot_cam);
}

cr_pose cr_reg_param_to_pose(const cr_reg_param *par, const double p[CR_REG_NPARAM]) {
  // E(x) = Rw x + (Pc - Rw Pc + t)
  double w[3] = {p[0] * DEG, p[1] * DEG, p[2] * DEG};
  cr_pose e;
  cr_rotation_from_rvec(e.R, w);
  double rpc[3];
  cr_mat3_apply(rpc, (const double(*)[3])e.R, par->pivot_cam);
  for (int i = 0; i < 3; i++) e.t[i] = par->pivot_cam[i] - rpc[i] + p[3 + i];
  return cr_pose_compose(&e, &par->cam_from_world_ref);
}

void cr_reg_param_from_pose(const cr_reg_param *par, const cr_pose *cam_from_world,
                            double p[CR_REG_NPARAM]) {
  cr_pose ref_inv = cr_pose_inverse(&par->cam_from_world_ref);
  cr_pose e = cr_pose_compose(cam_from_world, &ref_inv);
  double w[3], rpc[3];
  cr_rvec_from_rotation(w, (const double(*)[3])e.R);
  cr_mat3_apply(rpc, (const double(*)[3])e.R, par->pivot_cam);
  for (int i = 0; i < 3; i++) {
    p[i] = w[i] / DEG;
    p[3 + i] = e.t[i] - par->pivot_cam[i] + rpc[i];
  }
}

int cr_reg_pose_change_split(const cr_camera *cam, const cr_pose *a, const cr_pose *b,
                             const double pivot_world[3], double *inplane_px, double *along_mm) {
  double pa[3], pb[3];
  cr_pose_apply(a, pivot_world, pa);
  cr_pose_apply(b, pivot_world, pb);
  if (!(pa[2] > 0) || !(pb[2] > 0))
    return cr_error(CR_EINVAL, "pose change split: pivot is behind a camera (z %.3g, %.3g mm)",
                    pa[2], pb[2]);
  double du = cam->fx * (pb[0] / pb[2] - pa[0] / pa[2]);
  double dv = cam->fy * (pb[1] / pb[2] - pa[1] / pa[2]);
  if (inplane_px) *inplane_px = hypot(du, dv);
  if (along_mm) *along_mm = pb[2] - pa[2];
  return 0;
}

double cr_reg_mtre(const cr_pose *a, const cr_pose *b, const double (*points)[3], int n) {
  if (n <= 0) return 0;
  double sum = 0;
  for (int i = 0; i < n; i++) {
    double xa[3], xb[3], d[3];
    cr_pose_apply(a, points[i], xa);
    cr_pose_apply(b, points[i], xb);
    cr_vec3_sub(d, xa, xb);
    sum += cr_vec3_norm(d);
  }
  return sum / n;
}
