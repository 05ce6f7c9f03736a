// A calibrated stereo rig: two OpenCV pinhole cameras and the rigid transform between
// them. Frames: `right_from_left` maps points of the left camera frame into the right
// camera frame, x_right = R * x_left + T (mm), exactly the R, T of OpenCV's
// stereoCalibrate. A point seen by the left camera with pose left_from_world is seen by
// the right camera with right_from_world = right_from_left ∘ left_from_world.
//
// Rig file: OpenCV FileStorage (YAML, XML or JSON by the extension) with the keys of
// OpenCV's stereo calibration sample, so cv::FileStorage / cv2.FileStorage read it
// unchanged:
//   image_width, image_height     left image size (int)
//   image_width2, image_height2   right image size (int; on read, absent = the left size)
//   M1, D1, M2, D2                camera matrices (3x3) and distortion (1x5, k1 k2 p1 p2 k3)
//   R, T                          right_from_left rotation (3x3) and translation (3x1, mm)
//   E, F                          essential and fundamental matrices (3x3), F(2,2) = 1
//   rms                           stereo reprojection RMS, px (absent when unknown)
//   units                         "mm"
#ifndef CR_RIG_H
#define CR_RIG_H

#include "core/camera.h"
#include "core/pose.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cr_rig {
  cr_camera left, right;   // each camera with its own image size, K, distortion (5 coeffs)
  cr_pose right_from_left; // x_right = R * x_left + T, mm (OpenCV stereoCalibrate's R, T)
  double rms;              // stereo reprojection RMS, px (NaN when unknown, e.g. synthetic)
} cr_rig;

// Checks both cameras (cr_camera_validate), R a proper rotation (R^T R = I within 1e-6,
// det +1 within 1e-6), finite values and T non-zero (a rig needs a baseline).
// CR_EINVAL with the reason.
int cr_rig_validate(const cr_rig *rig);

// The essential matrix E = [T]x R and the fundamental matrix F = M2^-T E M1^-1, scaled
// so that F(2,2) = 1 when F(2,2) is not ~0 (as OpenCV's stereoCalibrate returns it).
// Pixel pairs of one world point satisfy [u2 v2 1] F [u1 v1 1]^T = 0 (undistorted).
void cr_rig_epipolar(const cr_rig *rig, double E[3][3], double F[3][3]);

// Baseline |T| (mm) and the rotation angle between the two cameras (deg).
double cr_rig_baseline_mm(const cr_rig *rig);
double cr_rig_angle_deg(const cr_rig *rig);

// Reads a rig file. Required keys: image_width, image_height, M1, D1, M2, D2, R, T;
// units, when present, must be "mm"; rms absent gives NaN. E and F are not read back
// (they are derived from R, T and the camera matrices, which are what camreg uses).
// Errors name the file and the missing or bad key ("rig.yml: missing key 'T'",
// CR_EINVAL); a missing file is CR_EIO, an unparsable one CR_EFORMAT.
int cr_rig_read(const char *path, cr_rig *rig);
// Validates (cr_rig_validate), then writes every key above atomically; E and F are
// computed from R, T and the camera matrices (cr_rig_epipolar).
int cr_rig_write(const char *path, const cr_rig *rig);

#ifdef __cplusplus
}
#endif
#endif
