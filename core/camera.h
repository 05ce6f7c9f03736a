// The pinhole camera of OpenCV: intrinsics K = [fx 0 cx; 0 fy cy; 0 0 1], distortion
// (k1, k2, p1, p2, k3) and image size. Pixel centres are at integer (u, v); u to the
// right, v down; the camera looks along +z. A point with z <= 0 is not visible.
#ifndef CR_CAMERA_H
#define CR_CAMERA_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cr_camera {
  int width, height;     // image size, pixels
  double fx, fy, cx, cy; // pixels
  double dist[5];        // k1, k2, p1, p2, k3 (OpenCV order)
} cr_camera;

// A camera of the given size with horizontal field of view `fov_x_deg`, square
// pixels, principal point at the image centre ((w-1)/2, (h-1)/2) and no distortion.
cr_camera cr_camera_from_fov(int width, int height, double fov_x_deg);

// True if any distortion coefficient is non-zero.
int cr_camera_has_distortion(const cr_camera *cam);

// The largest image side camreg accepts, pixels.
#define CR_CAMERA_MAX_SIZE 100000
// Checks every value is finite and in range: size 1..CR_CAMERA_MAX_SIZE, fx and fy in
// 1e-3..1e8 px, the principal point within 10 image sizes of the image, |k1|, |k2|,
// |k3| <= 1000 and |p1|, |p2| <= 1. CR_EINVAL naming the value otherwise.
int cr_camera_validate(const cr_camera *cam);

// Applies lens distortion to normalized coordinates (x/z, y/z): OpenCV's model.
void cr_camera_distort_normalized(const cr_camera *cam, const double xn[2], double xd[2]);
// The same, inline for per-pixel loops.
static inline void cr_camera_distort_inline(const cr_camera *cam, const double xn[2],
                                            double xd[2]) {
  const double *d = cam->dist;
  double x = xn[0], y = xn[1], r2 = x * x + y * y;
  double radial = 1 + r2 * (d[0] + r2 * (d[1] + r2 * d[4]));
  xd[0] = x * radial + 2 * d[2] * x * y + d[3] * (r2 + 2 * x * x);
  xd[1] = y * radial + d[2] * (r2 + 2 * y * y) + 2 * d[3] * x * y;
}
// Inverts the distortion by fixed-point iteration (as cv::undistortPoints), then
// Newton polishing; accurate to ~1e-12 for the distortions of real lenses.
void cr_camera_undistort_normalized(const cr_camera *cam, const double xd[2], double xn[2]);

// Projects a point in the camera frame (mm) to pixels, with distortion. Returns 0 if
// the point is in front of the camera (z > 0), else -1 (uv untouched).
int cr_camera_project(const cr_camera *cam, const double x_cam[3], double uv[2]);
// The ray through pixel (u, v) (distortion removed), in the camera frame, as
// (x, y, 1): the point at depth z along it is z * ray.
void cr_camera_pixel_ray(const cr_camera *cam, double u, double v, double ray_cam[3]);

// The same camera for an image resampled by factor `scale` (0.5 = half size): size
// rounded, focal lengths scaled, principal point mapped with the pixel-centre
// convention c' = (c + 0.5) * s - 0.5, with s the actual size ratio per axis.
cr_camera cr_camera_scaled(const cr_camera *cam, double scale);

// OpenCV FileStorage YAML/XML/JSON with camera_matrix, distortion_coefficients,
// image_width, image_height (the file OpenCV's calibration sample writes). Reading
// accepts 4, 5 or more distortion coefficients (more only if the extra ones are 0).
int cr_camera_read(const char *path, cr_camera *cam);
// Writes those four keys, atomically.
int cr_camera_write(const char *path, const cr_camera *cam);
// The camera of an OpenCV camera matrix K (row-major, must be [fx 0 cx; 0 fy cy; 0 0 1]),
// `ndist` distortion coefficients (0, 4, 5, 8, 12 or 14; those past k3 must be 0) and
// image size, validated (cr_camera_validate). `what` names the matrix in messages
// ("camera_matrix", "M1"); the caller adds the file name (CR_EFORMAT / CR_EINVAL /
// CR_EUNSUPPORTED).
int cr_camera_from_opencv(cr_camera *cam, const double K[9], const double *dist, int ndist,
                          int width, int height, const char *what);

#ifdef __cplusplus
}
#endif
#endif
