// The OpenCV wrapper: plain C declarations of the few OpenCV functions camreg uses.
// cvwrap.cpp (the project's only C++ file) wraps caller memory in cv::Mat without
// copying where it can, catches every cv::Exception and returns a status instead.
// No OpenCV type appears here. Only core/ and calib/ call these functions; other
// modules use the core functions built on them (image_io.h, imgproc.h, camera.h).
//
// Conventions: every function returns 0 on success, -1 on failure with a reason in
// `err` (a caller buffer of `errlen` bytes). Images are float32, interleaved, rows of
// `stride` floats; colour images are RGB(A) on the C side (BGR only inside OpenCV).
// Matrices are row-major doubles.
#ifndef CR_CVWRAP_H
#define CR_CVWRAP_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

// ---- FileStorage (YAML / XML / JSON by the file extension) ----
typedef enum cvw_fs_type { CVW_FS_INT, CVW_FS_REAL, CVW_FS_STRING, CVW_FS_MATRIX } cvw_fs_type;
typedef struct cvw_fs_entry {
  const char *name;
  cvw_fs_type type;
  int rows, cols;     // CVW_FS_MATRIX: written as an opencv-matrix of doubles
  const double *data; // CVW_FS_MATRIX
  int ival;           // CVW_FS_INT
  double rval;        // CVW_FS_REAL
  const char *sval;   // CVW_FS_STRING
} cvw_fs_entry;
// Writes the entries, in order, to `path` (which must keep the format's extension).
int cvw_fs_write(const char *path, const cvw_fs_entry *entries, int n, char *err, size_t errlen);
// Reads the four camera keys. `dist` must hold 14 values; *ndist gets the count (0 if
// the key is absent).
int cvw_camera_read(const char *path, double K[9], double dist[14], int *ndist, int *width,
                    int *height, char *err, size_t errlen);

// ---- image files ----
// Reads any image OpenCV decodes, unchanged in depth: 8-bit (0..255), 16-bit
// (0..65535) and float files keep their values. *data is malloc'ed (caller frees),
// channels 1, 3 (RGB) or 4 (RGBA); *bits is 8, 16 or 32.
int cvw_image_read(const char *path, float **data, int *width, int *height, int *channels,
                   int *bits, char *err, size_t errlen);
// Writes with `bits` 8 or 16 (values rounded and saturated) or 32 (float; TIFF only).
// `jpeg_quality` 0 means OpenCV's default.
int cvw_image_write(const char *path, const float *data, int width, int height, int channels,
                    size_t stride, int bits, int jpeg_quality, char *err, size_t errlen);
// Encodes to JPEG in memory and decodes again (8-bit), in place: simulates compression.
int cvw_jpeg_roundtrip(float *data, int width, int height, int channels, size_t stride,
                       int quality, char *err, size_t errlen);

// ---- geometry (cross-checks and calibration) ----
// cv::projectPoints of n world points X (n x 3) with pose rvec/tvec, K and 5 dist.
int cvw_project_points(const double *X, int n, const double rvec[3], const double tvec[3],
                       const double K[9], const double dist[5], double *uv, char *err,
                       size_t errlen);
// cv::getOptimalNewCameraMatrix (alpha 0: only valid pixels, 1: keep all pixels).
int cvw_optimal_new_camera(const double K[9], const double dist[5], int width, int height,
                           double alpha, double newK[9], char *err, size_t errlen);
// cv::undistort of a float image with camera K/dist into an image of the same size
// seen by newK (bilinear, border 0). The reference path for camreg's own undistortion.
int cvw_undistort(const float *src, int width, int height, int channels, size_t stride,
                  const double K[9], const double dist[5], const double newK[9], float *dst,
                  char *err, size_t errlen);
// cv::undistortPoints: n distorted pixels -> n normalized coordinates (x/z, y/z).
int cvw_undistort_points(const double *uv, int n, const double K[9], const double dist[5],
                         double *xn, char *err, size_t errlen);

// ---- image processing on single-channel float images ----
// Canny edges: the image is mapped to 8 bits as v*scale (saturated), thresholds are in
// those 8-bit units. edges: w*h bytes, 255 on edges, 0 elsewhere.
int cvw_canny(const float *src, int width, int height, size_t stride, double scale, double low,
              double high, unsigned char *edges, char *err, size_t errlen);
// Euclidean distance (pixels, DIST_L2 with a 5x5 mask) from each pixel to the nearest
// pixel where `features` is non-zero. dist: w*h floats.
int cvw_distance_to_features(const unsigned char *features, int width, int height, float *dist,
                             char *err, size_t errlen);
// CLAHE: the image is mapped to 16 bits as v*scale, equalized with `clip` limit on
// tiles x tiles regions, and mapped back (divided by scale). dst may equal src.
int cvw_clahe(const float *src, int width, int height, size_t stride, double scale, double clip,
              int tiles, float *dst, char *err, size_t errlen);
// Gaussian blur with standard deviation sigma (pixels), any channel count; dst may
// equal src (same stride).
int cvw_gaussian_blur(const float *src, int width, int height, int channels, size_t stride,
                      double sigma, float *dst, char *err, size_t errlen);
// Area-average resize (INTER_AREA) to dst_w x dst_h; dst is tightly packed.
int cvw_resize_area(const float *src, int width, int height, int channels, size_t stride,
                    float *dst, int dst_w, int dst_h, char *err, size_t errlen);

// ---- chessboard calibration ----
// Finds the inner corners (cols x rows) of a chessboard in a grey image (values mapped
// to 8 bits with v*scale), refined with cornerSubPix (half-window 11 px, less for small
// squares; photos over 1600 px are searched at reduced size and refined at full size).
// corners: 2*cols*rows doubles, pixel convention of OpenCV. *found is 1 when the whole
// board was found.
int cvw_find_chessboard(const float *grey, int width, int height, size_t stride, double scale,
                        int cols, int rows, double *corners, int *found, char *err,
                        size_t errlen);
// Draws detected corners on an 8-bit-range RGB float image in place.
int cvw_draw_chessboard(float *rgb, int width, int height, size_t stride, int cols, int rows,
                        const double *corners, int found, char *err, size_t errlen);

enum {
  CVW_CALIB_FIX_ASPECT = 1,      // fx/fy fixed to the ratio in K on input
  CVW_CALIB_ZERO_TANGENT = 2,    // p1 = p2 = 0
  CVW_CALIB_FIX_K3 = 4,          // k3 = 0
  CVW_CALIB_USE_GUESS = 8,       // start from K/dist on input
  CVW_CALIB_FIX_PRINCIPAL = 16,  // cx, cy fixed
};
// cv::calibrateCamera (extended): n_views views with n_points[v] points each; object
// points (x,y,z mm) and image points (u,v) are concatenated over views. Outputs K, dist
// (5), per-view rvec/tvec (3*n_views each), std deviations of the intrinsics (18,
// OpenCV order fx fy cx cy k1 k2 p1 p2 k3 ...), per-view RMS errors and the overall RMS.
int cvw_calibrate(int n_views, const int *n_points, const double *object_points,
                  const double *image_points, int width, int height, int flags, double K[9],
                  double dist[5], double *rvecs, double *tvecs, double std_intrinsics[18],
                  double *per_view_rms, double *rms, char *err, size_t errlen);
// cv::solvePnP (SOLVEPNP_ITERATIVE from an EPnP start, or SOLVEPNP_SQPNP) or
// cv::solvePnPRansac when ransac_px > 0; then solvePnPRefineLM on the inliers.
// inliers (n bytes, may be NULL) gets 1 for inliers.
int cvw_solve_pnp(const double *X, const double *uv, int n, const double K[9],
                  const double dist[5], double ransac_px, double rvec[3], double tvec[3],
                  unsigned char *inliers, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
