// Accuracy evaluation after van de Kraats et al. (IEEE TMI 2005), docs/design.md: mTRE over
// target points, mean projection distance, rotation and translation errors, success
// and capture range.
#ifndef CR_EXP_EVALUATE_H
#define CR_EXP_EVALUATE_H

#include "core/camera.h"
#include "core/pose.h"
#include "experiments/config.h"
#include "experiments/results.h"
#include "experiments/trial.h"
#include "experiments/trial_kinds.h"
#include "registration/param.h"

#ifdef __cplusplus
extern "C" {
#endif

// mTRE is registration's cr_reg_mtre (registration/param.h, included here): the mean over
// the target points of |a(X) - b(X)|, 0 for no points.

// Mean projection distance (px): mean over the points in front of both cameras of the
// distance between their projections by `cam` (with distortion) at poses a and b.
// *n_used receives the number of points used (may be NULL). CR_EEMPTY if none.
int cr_exp_projection_distance(const cr_camera *cam, const cr_pose *a, const cr_pose *b,
                               const double (*targets)[3], int n, double *mean_px, int *n_used);

// Rotation (deg) and translation (mm) error of `est` against `gt`: the angle of
// R_est R_gt^T and the distance between the two camera centres (world mm).
void cr_exp_pose_errors(const cr_pose *est, const cr_pose *gt, double *rot_deg, double *trans_mm);

// Success rate per bin and capture range. Bins are given by their upper edges hi[]
// (ascending, n bins); rate[b] in 0..1 is the success rate of bin b, count[b] its number
// of trials. The capture range is hi[b] of the largest b such that every bin 0..b with
// trials has rate >= min_rate (0.95 in docs/design.md), bins without trials being skipped;
// 0 if the first bin with trials already fails.
double cr_exp_capture_range(const double *hi, const double *rate, const int *count, int n,
                            double min_rate);

// The error split of estimate `est` against ground truth `gt` (docs/design.md): for
// each target X, d = gt^-1(est(X)) - X in world mm, expressed in the true camera's axes
// d_c = R_gt d; depth = mean |d_c,z|, in-plane = mean |(d_c,x, d_c,y)| in mm and in px at
// the target's true depth (fx, fy of `cam`). Targets behind the true camera are skipped;
// CR_EEMPTY if none is left.
int cr_exp_error_split(const cr_camera *cam, const cr_pose *est, const cr_pose *gt,
                       const double (*targets)[3], int n, double *depth_mm, double *inplane_mm,
                       double *inplane_px);

// Fills a row: trial ids, bin, errors of `final` (or of the start pose if status != 0)
// against the ground truth over the trial's targets, success (final mTRE < success_mm).
void cr_exp_evaluate_row(const cr_exp_config *cfg, const cr_exp_scene *scene,
                         const cr_exp_trial *trial, int status, const cr_exp_outcome *out,
                         double time_s, cr_exp_row *row);

#ifdef __cplusplus
}
#endif
#endif
