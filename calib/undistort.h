// Removal of lens distortion from photos (camreg's own implementation; cv::undistort
// in tests/cv_reference.h is the test reference).
#ifndef CR_CALIB_UNDISTORT_H
#define CR_CALIB_UNDISTORT_H

#include "core/camera.h"
#include "core/image.h"

#ifdef __cplusplus
extern "C" {
#endif

// The camera of the undistorted image: the same K (alpha < 0) or the matrix of
// cv::getOptimalNewCameraMatrix with `alpha` (0: only valid pixels, 1: all source
// pixels kept); zero distortion, same size.
int cr_calib_undistorted_camera(const cr_camera *cam, double alpha, cr_camera *out);

// Each pixel (u, v) of the output (camera `out_cam`, which must have no distortion) is
// the bilinear sample of `src` (camera `cam`) at the projection, with distortion, of the
// ray through (u, v); neighbours outside src count as 0 (as cv::undistort). Any channel
// count; *dst is out_cam->width x out_cam->height.
int cr_calib_undistort(const cr_image *src, const cr_camera *cam, const cr_camera *out_cam,
                       cr_image **dst);

#ifdef __cplusplus
}
#endif
#endif
