// Stereo calibration from chessboard pairs: each camera calibrated on its own (with the
// outlier rejection of cr_calib_calibrate), then OpenCV's stereoCalibrate with the
// intrinsics held fixed (CALIB_FIX_INTRINSIC) gives right_from_left. Pair i is the
// left photo i and the right photo i; only pairs with a complete board on both sides
// are used.
#ifndef CR_CALIB_STEREO_H
#define CR_CALIB_STEREO_H

#include "calib/chessboard.h"
#include "core/rig.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cr_stereo_result {
  cr_calib_result left, right; // per-camera calibrations over the pairs with both boards
  cr_rig rig;                  // cameras from those, R and T from stereoCalibrate, its RMS
  int n_pairs;                 // pairs with a board on both sides
  int n_used;                  // pairs used by stereoCalibrate (kept by both cameras)
  int corners_used;            // corners per side used by stereoCalibrate (inliers on both)
  // Per pair (v->n entries): 1 if used by stereoCalibrate; its stereo RMS (px) in the
  // left and in the right image (-1 if unused); inlier flags of its corners (cols*rows),
  // 1 when the corner is an inlier of both per-camera calibrations.
  int *pair_used;
  double *pair_rms_left, *pair_rms_right;
  unsigned char *corner_used;
} cr_stereo_result;

// Calibrates the rig from `left` and `right` (the same number of photos, the same
// board; each side's photos of one size, the two sides may differ). Per-camera
// calibrations use only the pairs found on both sides (their views' found flags are
// read, never changed); with opt->reject a pair rejected by either camera is left out of
// stereoCalibrate, and a corner is used only when it is an inlier on both sides. Needs
// >= 3 pairs (CR_EINVAL naming the count; CR_EEMPTY when no pair has both boards).
// *out is filled (free with cr_stereo_result_free).
int cr_calib_stereo(const cr_calib_views *left, const cr_calib_views *right,
                    const cr_calib_options *opt, cr_stereo_result *out);
void cr_stereo_result_free(cr_stereo_result *r);

#ifdef __cplusplus
}
#endif
#endif
