// A pose hypothesis from feature correspondences (docs/design.md, "Global stage"): the
// reference view rendered at a pose on a canvas wider than the view, with the world
// point of every pixel; AKAZE keypoints of the prepared photo matched to the render's
// (calib/features.h); the matched render pixels' world points and the photo pixels give
// the pose by PnP + RANSAC (calib/landmarks.h). Independent of the start's in-plane
// offset and roll (the descriptors are rotation-invariant), so it can reach poses a
// search box does not.
#ifndef CR_REG_FEATURE_HYP_H
#define CR_REG_FEATURE_HYP_H

#include "core/pose.h"
#include "registration/cost.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cr_reg_feature_result {
  int matches;   // ratio-test matches whose render pixel shows the surface
  int inliers;   // RANSAC inliers of the pose (0: no pose)
  double rms_px; // reprojection RMS over the inliers
  cr_pose pose;  // cam_from_world of the reference camera; valid when found
  int found;     // 1: at least min_inliers inliers
} cr_reg_feature_result;

// Matches the reference view's prepared photo (full resolution, inside its mask) against
// its render at `at` (cam_from_world of the reference camera) on a canvas widened on each
// side by margin_mm at the depth of the cost's pivot (no lens distortion on the canvas),
// and solves PnP + RANSAC (5 px) with the reference camera. found = 1 when the pose has
// at least `min_inliers` inliers. Errors: the cost's or OpenCV's status; too few matches
// or no consistent pose is not an error (found = 0).
int cr_reg_feature_hypothesis(cr_reg_cost *cost, const cr_pose *at, const double pivot_world[3],
                              double margin_mm, int min_inliers, cr_reg_feature_result *out);

#ifdef __cplusplus
}
#endif
#endif
