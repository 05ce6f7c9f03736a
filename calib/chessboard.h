// Chessboard calibration: corner detection, cv::calibrateCamera through the OpenCV
// wrapper, rejection of outlier views and corners, and the calibration file that
// OpenCV's calibration sample writes. Board frame: inner corner (i, j) (column i, row j)
// sits at (i * square_mm, j * square_mm, 0); OpenCV's corner order (row-major).
#ifndef CR_CALIB_CHESSBOARD_H
#define CR_CALIB_CHESSBOARD_H

#include "core/camera.h"
#include "core/image.h"
#include "core/pose.h"

#ifdef __cplusplus
extern "C" {
#endif

// Calibration flags (bit mask).
enum {
  CR_CALIB_FIX_ASPECT = 1,     // fx / fy held at cr_calib_options.aspect
  CR_CALIB_ZERO_TANGENT = 2,   // p1 = p2 = 0
  CR_CALIB_FIX_K3 = 4,         // k3 = 0
  CR_CALIB_FIX_PRINCIPAL = 16, // cx, cy at the image centre
};

typedef struct cr_calib_options {
  int cols, rows;   // inner corners per row and per column (OpenCV's board size)
  double square_mm; // side of one square
  int flags;        // CR_CALIB_* bits
  double aspect;    // fx / fy for CR_CALIB_FIX_ASPECT (default 1)
  int reject;       // 1: reject outlier views and corners, then recalibrate
  double view_k;    // a view is an outlier if its RMS > view_k * median view RMS (2.0)
  double corner_k;  // a corner is an outlier if its residual > corner_k * sigma (3.0),
                    // sigma = median residual / sqrt(2 ln 2) (Rayleigh, robust)
  int max_rounds;   // rejection rounds (default 5)
} cr_calib_options;

// Defaults: 9x6 board, 1 mm squares, no flags, rejection off, k = 2 (views), 3 (corners).
cr_calib_options cr_calib_defaults(void);

// Detected corners of all photos. Views without a board stay in the list with found 0.
typedef struct cr_calib_views {
  int n;             // number of photos
  int width, height; // common image size
  int cols, rows;    // board inner corners
  char **names;      // photo file names (owned)
  int *found;        // n flags
  double *corners;   // n * cols * rows * 2 pixel coordinates (OpenCV convention)
} cr_calib_views;

// Finds the board's inner corners in an image (grey or RGB; `bits` 8, 16 or 32 tells
// the value range: 0..255, 0..65535, or float scaled by its maximum), refined to
// sub-pixel. corners: 2 * cols * rows doubles. *found is 0 when no complete board is
// seen (not an error).
int cr_calib_find_corners(const cr_image *img, int bits, int cols, int rows, double *corners,
                          int *found);

// Draws detected corners (OpenCV's drawChessboardCorners) into an RGB image with values
// in 0..255, in place.
int cr_calib_draw_corners(cr_image *rgb, int cols, int rows, const double *corners, int found);

// An empty list for n photos of a cols x rows board; NULL on failure.
cr_calib_views *cr_calib_views_new(int n, int cols, int rows);
void cr_calib_views_free(cr_calib_views *v);

typedef struct cr_calib_result {
  cr_camera cam;     // calibrated intrinsics and distortion
  double std_dev[9]; // standard deviations of fx fy cx cy k1 k2 p1 p2 k3
  double rms_all;    // OpenCV RMS of the first calibration (all found views, corners)
  double rms;        // RMS of the final calibration over the corners it used
  int n_views;       // views with a board (= v->n entries with found)
  int n_used;        // views used by the final calibration
  int corners_total; // corners of the views with a board
  int corners_used;  // corners used by the final calibration
  // Per photo (v->n entries): used (1/0), final RMS over its inlier corners (-1 if no
  // board), RMS of the first calibration, pose of the board, inlier corner flags.
  int *view_used;
  double *view_rms;
  double *view_rms_all;
  cr_pose *cam_from_board;
  unsigned char *corner_used; // v->n * cols * rows
} cr_calib_result;

// Calibrates from the views with a board. Needs >= 3 such views (CR_EINVAL names the
// count); with opt->reject, rounds of: drop views whose RMS > view_k x median and
// corners whose residual > corner_k x sigma (both judged against the last
// calibration, residuals of all corners of the kept views), recalibrate from the
// last estimate, until nothing changes. *out is filled (free with cr_calib_result_free).
int cr_calib_calibrate(const cr_calib_views *v, const cr_calib_options *opt, cr_calib_result *out);
void cr_calib_result_free(cr_calib_result *r);

// Writes the calibration file in the format of OpenCV's calibration sample
// (calibration_time, nr_of_frames, nframes, image_width, image_height, board_width,
// board_height, square_size, flags, camera_matrix, distortion_coefficients,
// avg_reprojection_error, per_view_reprojection_errors, extrinsic_parameters) plus
// camera_matrix_std_dev (fx fy cx cy), distortion_coefficients_std_dev,
// avg_reprojection_error_all, inlier_corners, image_files; atomically. Per-view keys
// cover the used views only, in photo order.
int cr_calib_write(const char *path, const cr_calib_views *v, const cr_calib_options *opt,
                   const cr_calib_result *r);

// Renders an anti-aliased photo of a chessboard (cols x rows inner corners, black
// square at the first corner's upper left, one white square of margin around the
// board, grey 128 background) seen by `cam` (with distortion) from `cam_from_board`;
// `ss` x `ss` supersamples per pixel. Values: black 30, white 220. Single channel.
// For tests and synthetic experiments.
int cr_calib_render_board(const cr_camera *cam, const cr_pose *cam_from_board, int cols, int rows,
                          double square_mm, int ss, cr_image **out);

// Draws the per-view RMS as a bar plot (RGB, 8-bit range): used views blue, rejected
// red, no-board views absent. For `camreg calibrate --plot`.
int cr_calib_plot_errors(const cr_calib_views *v, const cr_calib_result *r, cr_image **out);

#ifdef __cplusplus
}
#endif
#endif
