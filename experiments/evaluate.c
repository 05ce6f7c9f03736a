// Accuracy evaluation: projection distance, pose errors, capture range (mTRE is cr_reg_mtre).
#include "experiments/evaluate.h"

#include "core/error.h"
#include "core/mat.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int cr_exp_projection_distance(const cr_camera *cam, const cr_pose *a, const cr_pose *b,
                               const double (*targets)[3], int n, double *mean_px, int *n_used) {
  double sum = 0;
  int used = 0;
  for (int i = 0; i < n; i++) {
    double xa[3], xb[3], ua[2], ub[2];
    cr_pose_apply(a, targets[i], xa);
    cr_pose_apply(b, targets[i], xb);
    if (cr_camera_project(cam, xa, ua) || cr_camera_project(cam, xb, ub)) continue;
    sum += hypot(ua[0] - ub[0], ua[1] - ub[1]);
    used++;
  }
  if (n_used) *n_used = used;
  if (!used) return cr_error(CR_EEMPTY, "no target point is in front of both cameras");
  *mean_px = sum / used;
  return 0;
}

void cr_exp_pose_errors(const cr_pose *est, const cr_pose *gt, double *rot_deg, double *trans_mm) {
  double Rt[3][3], D[3][3], ce[3], cg[3], d[3];
  cr_mat3_transpose(Rt, gt->R);
  cr_mat3_mul(D, est->R, Rt);
  *rot_deg = cr_rotation_angle(D) * 180.0 / M_PI;
  cr_pose_camera_centre(est, ce);
  cr_pose_camera_centre(gt, cg);
  cr_vec3_sub(d, ce, cg);
  *trans_mm = cr_vec3_norm(d);
}

double cr_exp_capture_range(const double *hi, const double *rate, const int *count, int n,
                            double min_rate) {
  double range = 0;
  for (int b = 0; b < n; b++) {
    if (count[b] <= 0) continue;
    if (rate[b] < min_rate - 1e-12) break;
    range = hi[b];
  }
  return range;
}

int cr_exp_error_split(const cr_camera *cam, const cr_pose *est, const cr_pose *gt,
                       const double (*targets)[3], int n, double *depth_mm, double *inplane_mm,
                       double *inplane_px) {
  double sd = 0, sm = 0, sp = 0;
  int used = 0;
  for (int i = 0; i < n; i++) {
    double xe[3], xg[3], dc[3];
    cr_pose_apply(est, targets[i], xe); // the target in the estimated camera
    cr_pose_apply(gt, targets[i], xg);  // ... and in the true camera
    if (!(xg[2] > 0)) continue;
    // d_c = R_gt (gt^-1(xe) - X) = xe - xg: the displacement in the true camera's axes
    for (int k = 0; k < 3; k++) dc[k] = xe[k] - xg[k];
    sd += fabs(dc[2]);
    sm += hypot(dc[0], dc[1]);
    sp += hypot(dc[0] * cam->fx / xg[2], dc[1] * cam->fy / xg[2]);
    used++;
  }
  if (!used) return cr_error(CR_EEMPTY, "error split: every target is behind the true camera");
  *depth_mm = sd / used, *inplane_mm = sm / used, *inplane_px = sp / used;
  return 0;
}

void cr_exp_evaluate_row(const cr_exp_config *cfg, const cr_exp_scene *scene, const cr_exp_trial *t,
                         int status, const cr_exp_outcome *out, double time_s, cr_exp_row *row) {
  memset(row, 0, sizeof *row);
  row->trial = t->index, row->sample = t->sample;
  snprintf(row->method, sizeof row->method, "%s", cfg->methods[t->method].name);
  row->status = status;
  row->bin_lo_mm = t->bin_lo_mm, row->bin_hi_mm = t->bin_hi_mm;
  const cr_pose *fin = status ? &t->start : &out->final;
  const double(*X)[3] = (const double(*)[3])t->targets;
  row->init_mtre_mm = cr_reg_mtre(&t->start, &t->gt, X, t->n_targets);
  row->final_mtre_mm = cr_reg_mtre(fin, &t->gt, X, t->n_targets);
  if (cr_exp_projection_distance(&scene->camera, &t->start, &t->gt, X, t->n_targets,
                                 &row->init_proj_px, NULL))
    row->init_proj_px = NAN;
  if (cr_exp_projection_distance(&scene->camera, fin, &t->gt, X, t->n_targets, &row->final_proj_px,
                                 NULL))
    row->final_proj_px = NAN;
  cr_exp_pose_errors(fin, &t->gt, &row->rot_err_deg, &row->trans_err_mm);
  if (cr_exp_error_split(&scene->camera, fin, &t->gt, X, t->n_targets, &row->depth_err_mm,
                         &row->inplane_err_mm, &row->inplane_err_px))
    row->depth_err_mm = row->inplane_err_mm = row->inplane_err_px = NAN;
  row->success = !status && row->final_mtre_mm < cfg->success_mm;
  row->evals = status ? 0 : out->evals;
  row->time_s = time_s;
  cr_pose_to_rvec_tvec(&t->gt, row->gt_rvec, row->gt_tvec);
  cr_pose_to_rvec_tvec(fin, row->final_rvec, row->final_tvec);
}
