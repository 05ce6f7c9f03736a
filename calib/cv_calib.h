// Private to calib/: calib's OpenCV calib3d wrapper (cv_calib.cpp), plain C declarations.
// cv_calib.cpp wraps caller memory in cv::Mat without copying where it can, catches every
// cv::Exception and returns a status instead; no OpenCV type appears here. Conventions as
// core/cvwrap.h: every function returns 0 on success, -1 on failure with a reason in `err`
// (a caller buffer of `errlen` bytes); images are float32, interleaved, rows of `stride`
// floats, colour is RGB(A) on the C side; matrices are row-major doubles.
#ifndef CR_CALIB_CV_CALIB_H
#define CR_CALIB_CV_CALIB_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

// ---- geometry ----
// cv::projectPoints of n world points X (n x 3) with pose rvec/tvec, K and 5 dist.
int cvw_project_points(const double *X, int n, const double rvec[3], const double tvec[3],
                       const double K[9], const double dist[5], double *uv, char *err,
                       size_t errlen);
// cv::getOptimalNewCameraMatrix (alpha 0: only valid pixels, 1: keep all pixels).
int cvw_optimal_new_camera(const double K[9], const double dist[5], int width, int height,
                           double alpha, double newK[9], char *err, size_t errlen);

// ---- chessboard calibration ----
// Finds the inner corners (cols x rows) of a chessboard in a grey image (values mapped
// to 8 bits with v*scale), refined with cornerSubPix (half-window 11 px, less for small
// squares; photos over 1600 px are searched at reduced size and refined at full size).
// corners: 2*cols*rows doubles, pixel convention of OpenCV. *found is 1 when the whole
// board was found.
int cvw_find_chessboard(const float *grey, int width, int height, size_t stride, double scale,
                        int cols, int rows, double *corners, int *found, char *err, size_t errlen);
// Draws detected corners on an 8-bit-range RGB float image in place.
int cvw_draw_chessboard(float *rgb, int width, int height, size_t stride, int cols, int rows,
                        const double *corners, int found, char *err, size_t errlen);

enum {
  CVW_CALIB_FIX_ASPECT = 1,     // fx/fy fixed to the ratio in K on input
  CVW_CALIB_ZERO_TANGENT = 2,   // p1 = p2 = 0
  CVW_CALIB_FIX_K3 = 4,         // k3 = 0
  CVW_CALIB_USE_GUESS = 8,      // start from K/dist on input
  CVW_CALIB_FIX_PRINCIPAL = 16, // cx, cy fixed
};
// cv::calibrateCamera (extended): n_views views with n_points[v] points each; object
// points (x,y,z mm) and image points (u,v) are concatenated over views. Outputs K, dist
// (5), per-view rvec/tvec (3*n_views each), std deviations of the intrinsics (18,
// OpenCV order fx fy cx cy k1 k2 p1 p2 k3 ...), per-view RMS errors and the overall RMS.
int cvw_calibrate(int n_views, const int *n_points, const double *object_points,
                  const double *image_points, int width, int height, int flags, double K[9],
                  double dist[5], double *rvecs, double *tvecs, double std_intrinsics[18],
                  double *per_view_rms, double *rms, char *err, size_t errlen);
// cv::stereoCalibrate with CALIB_FIX_INTRINSIC: the intrinsics K1/dist1 (left) and
// K2/dist2 (right) stay fixed, only right_from_left (R row-major, T) and the board poses
// are optimized. n_views pairs with n_points[v] points each, the same object points seen
// in both images; points concatenated over views as for cvw_calibrate. Outputs R, T, the
// per-view RMS (2 * n_views: left, right) and the overall RMS.
int cvw_stereo_calibrate(int n_views, const int *n_points, const double *object_points,
                         const double *image_points1, const double *image_points2, int width,
                         int height, const double K1[9], const double dist1[5], const double K2[9],
                         const double dist2[5], double R[9], double T[3], double *per_view_rms,
                         double *rms, char *err, size_t errlen);
// cv::solvePnP (SOLVEPNP_ITERATIVE from an EPnP start, or SOLVEPNP_SQPNP) or
// cv::solvePnPRansac when ransac_px > 0; then solvePnPRefineLM on the inliers.
// inliers (n bytes, may be NULL) gets 1 for inliers.
int cvw_solve_pnp(const double *X, const double *uv, int n, const double K[9], const double dist[5],
                  double ransac_px, double rvec[3], double tvec[3], unsigned char *inliers,
                  char *err, size_t errlen);

// Matches between two 8-bit images (w x h, rows packed; masks: non-zero = use), each
// CLAHE-equalized (clip 2, 8 x 8 tiles): AKAZE
// keypoints (detector threshold `threshold`) and binary descriptors, brute-force Hamming
// 2-nearest neighbours, kept when the nearest is closer than `ratio` times the second
// (Lowe's test). At most `cap` pairs: pa, pb (2 cap each) get the keypoint positions
// (OpenCV pixel coordinates: the centre of pixel (0, 0) is (0, 0)); *n their number.
int cvw_feature_matches(const unsigned char *a, const unsigned char *amask, int aw, int ah,
                        const unsigned char *b, const unsigned char *bmask, int bw, int bh,
                        double threshold, double ratio, int cap, double *pa, double *pb, int *n,
                        char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
