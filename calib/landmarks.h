// Landmark files and cameras from 2-D/3-D correspondences.
//
// 3-D points (world RAS mm) come from 3D Slicer markups (.mrk.json, LPS or RAS), legacy
// Slicer .fcsv (CoordinateSystem 0/RAS or 1/LPS) or CSV (x,y,z or label,x,y,z; an
// optional header row; RAS unless a comment line says "# CoordinateSystem = LPS"). 2-D points
// (pixels, OpenCV convention: pixel centres at integer u, v) come from CSV (u,v or label,u,v).
// Lines starting with '#' are comments.
#ifndef CR_CALIB_LANDMARKS_H
#define CR_CALIB_LANDMARKS_H

#include "core/camera.h"
#include "core/pose.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cr_landmarks {
  int n, dim;     // point count, 2 or 3
  double *p;      // n * dim coordinates
  char **label;   // n labels ("" when the file has none)
  int has_labels; // 1 when every point has a non-empty label
} cr_landmarks;

// Reads 3-D landmarks (RAS mm) by the file's extension (.mrk.json, .json, .fcsv, else
// CSV). Points of a markups file whose positionStatus is "undefined" are skipped; a
// file with no defined point is CR_EEMPTY naming the file.
int cr_landmarks_read3d(const char *path, cr_landmarks **out);
// Reads 2-D pixel landmarks from CSV.
int cr_landmarks_read2d(const char *path, cr_landmarks **out);
void cr_landmarks_free(cr_landmarks *l);

// Pairs 3-D and 2-D points: by label when both files have labels (every label must
// appear once in each), else by order. Different counts are CR_EINVAL. X (n*3) and uv
// (n*2) are malloc'ed (caller frees).
int cr_landmarks_match(const cr_landmarks *pts3, const cr_landmarks *pts2, double **X, double **uv,
                       int *n);

// Conditioning of a point set: the RMS spread (standard deviation) of the points along
// their principal axes, largest first, s[0..dim-1] (mm for 3-D, px for 2-D); `use` (may
// be NULL) selects points. Collinear points have s[1] ~ 0, coplanar 3-D points s[2] ~ 0.
int cr_calib_point_spread(const double *p, int n, int dim, const unsigned char *use, double s[3]);

// Pose from >= 4 correspondences with known intrinsics: OpenCV solvePnP (SQPnP) or,
// with ransac_px > 0, solvePnPRansac with that inlier threshold, then Levenberg-Marquardt
// refinement on the inliers. Collinear 3-D or 2-D points (all of them, or RANSAC's
// inliers: second spread < 1% of the first) and fewer than 4 inliers are CR_EINVAL: the
// pose would not be determined. err_px (n, may be NULL): per-point reprojection error;
// inliers (n, may be NULL). *rms_px: RMS over the inliers.
int cr_calib_pnp(const double *X, const double *uv, int n, const cr_camera *cam, double ransac_px,
                 cr_pose *cam_from_world, double *err_px, unsigned char *inliers, double *rms_px);

// Full camera from >= 6 non-coplanar correspondences: normalized DLT (Hartley), RQ
// decomposition into K (positive focal lengths; skew dropped), a proper rotation and t,
// then Levenberg-Marquardt (GSL multifit_nlinear) refinement of fx, fy, cx, cy, pose
// and, with `distortion` 1, k1 and k2 (needs >= 8 points). cam->width/height are taken
// from the caller's cam on input. Coplanar (or nearly) points are CR_EINVAL.
int cr_calib_dlt(const double *X, const double *uv, int n, int distortion, cr_camera *cam,
                 cr_pose *cam_from_world, double *err_px, double *rms_px);

// Per-point reprojection errors (px) and their RMS; points behind the camera count as
// errors of 1e6 px.
double cr_calib_reprojection(const double *X, const double *uv, int n, const cr_camera *cam,
                             const cr_pose *cam_from_world, double *err_px);

#ifdef __cplusplus
}
#endif
#endif
