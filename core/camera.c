#include "core/camera.h"

#include "core/atomic_file.h"
#include "core/cvwrap.h"
#include "core/filestorage.h"
#include "core/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cr_camera cr_camera_from_fov(int width, int height, double fov_x_deg) {
  cr_camera c;
  memset(&c, 0, sizeof c);
  c.width = width, c.height = height;
  c.fx = c.fy = 0.5 * width / tan(0.5 * fov_x_deg * M_PI / 180.0);
  c.cx = 0.5 * (width - 1), c.cy = 0.5 * (height - 1);
  return c;
}

int cr_camera_has_distortion(const cr_camera *cam) {
  for (int i = 0; i < 5; i++)
    if (cam->dist[i] != 0) return 1;
  return 0;
}

int cr_camera_validate(const cr_camera *cam) {
  // One policy for every camera (files, command lines, configs): the ranges below hold
  // for any real camera; values outside them are typos or corrupt files, and would make
  // the renderer's pixel loops, ray tables and distortion inversion meaningless.
  if (cam->width <= 0 || cam->height <= 0 || cam->width > CR_CAMERA_MAX_SIZE ||
      cam->height > CR_CAMERA_MAX_SIZE)
    return cr_error(CR_EINVAL, "camera image size %dx%d is out of range (1..%d pixels)", cam->width,
                    cam->height, CR_CAMERA_MAX_SIZE);
  if (!(cam->fx > 0 && cam->fy > 0 && isfinite(cam->fx) && isfinite(cam->fy)))
    return cr_error(CR_EINVAL, "camera focal lengths fx=%g fy=%g must be positive", cam->fx,
                    cam->fy);
  if (!(cam->fx >= 1e-3 && cam->fx <= 1e8))
    return cr_error(CR_EINVAL, "camera fx = %g px is out of range (1e-3..1e8)", cam->fx);
  if (!(cam->fy >= 1e-3 && cam->fy <= 1e8))
    return cr_error(CR_EINVAL, "camera fy = %g px is out of range (1e-3..1e8)", cam->fy);
  if (!isfinite(cam->cx) || !isfinite(cam->cy))
    return cr_error(CR_EINVAL, "camera principal point is not finite");
  if (fabs(cam->cx - 0.5 * cam->width) > 10.0 * cam->width)
    return cr_error(CR_EINVAL, "camera cx = %g px is more than 10 image widths from the image",
                    cam->cx);
  if (fabs(cam->cy - 0.5 * cam->height) > 10.0 * cam->height)
    return cr_error(CR_EINVAL, "camera cy = %g px is more than 10 image heights from the image",
                    cam->cy);
  static const char *names[5] = {"k1", "k2", "p1", "p2", "k3"};
  for (int i = 0; i < 5; i++) {
    if (!isfinite(cam->dist[i]))
      return cr_error(CR_EINVAL, "camera distortion %s is not finite", names[i]);
    double bound = (i == 2 || i == 3) ? 1.0 : 1000.0;
    if (fabs(cam->dist[i]) > bound)
      return cr_error(CR_EINVAL, "camera distortion %s = %g is out of range (|%s| <= %g)", names[i],
                      cam->dist[i], names[i], bound);
  }
  return CR_OK;
}

void cr_camera_distort_normalized(const cr_camera *cam, const double xn[2], double xd[2]) {
  cr_camera_distort_inline(cam, xn, xd);
}

void cr_camera_undistort_normalized(const cr_camera *cam, const double xd[2], double xn[2]) {
  const double *d = cam->dist;
  double x = xd[0], y = xd[1];
  if (!cr_camera_has_distortion(cam)) {
    xn[0] = x, xn[1] = y;
    return;
  }
  // Fixed-point iteration (OpenCV's scheme) gets close; Newton then polishes.
  for (int it = 0; it < 20; it++) {
    double r2 = x * x + y * y;
    double radial = 1 + r2 * (d[0] + r2 * (d[1] + r2 * d[4]));
    double dx = 2 * d[2] * x * y + d[3] * (r2 + 2 * x * x);
    double dy = d[2] * (r2 + 2 * y * y) + 2 * d[3] * x * y;
    x = (xd[0] - dx) / radial;
    y = (xd[1] - dy) / radial;
  }
  for (int it = 0; it < 5; it++) {
    double p[2] = {x, y}, q[2];
    cr_camera_distort_normalized(cam, p, q);
    double ex = q[0] - xd[0], ey = q[1] - xd[1];
    if (fabs(ex) + fabs(ey) < 1e-15) break;
    const double h = 1e-7;
    double px[2] = {x + h, y}, py[2] = {x, y + h}, qx[2], qy[2];
    cr_camera_distort_normalized(cam, px, qx);
    cr_camera_distort_normalized(cam, py, qy);
    double a = (qx[0] - q[0]) / h, b = (qy[0] - q[0]) / h;
    double c = (qx[1] - q[1]) / h, e = (qy[1] - q[1]) / h;
    double det = a * e - b * c;
    if (fabs(det) < 1e-12) break;
    x -= (e * ex - b * ey) / det;
    y -= (-c * ex + a * ey) / det;
  }
  xn[0] = x, xn[1] = y;
}

int cr_camera_project(const cr_camera *cam, const double x_cam[3], double uv[2]) {
  if (!(x_cam[2] > 0)) return -1;
  double xn[2] = {x_cam[0] / x_cam[2], x_cam[1] / x_cam[2]}, xd[2];
  cr_camera_distort_normalized(cam, xn, xd);
  uv[0] = cam->fx * xd[0] + cam->cx;
  uv[1] = cam->fy * xd[1] + cam->cy;
  return 0;
}

void cr_camera_pixel_ray(const cr_camera *cam, double u, double v, double ray_cam[3]) {
  double xd[2] = {(u - cam->cx) / cam->fx, (v - cam->cy) / cam->fy}, xn[2];
  cr_camera_undistort_normalized(cam, xd, xn);
  ray_cam[0] = xn[0], ray_cam[1] = xn[1], ray_cam[2] = 1;
}

cr_camera cr_camera_scaled(const cr_camera *cam, double scale) {
  cr_camera c = *cam;
  c.width = (int)lround(cam->width * scale);
  c.height = (int)lround(cam->height * scale);
  if (c.width < 1) c.width = 1;
  if (c.height < 1) c.height = 1;
  double sx = (double)c.width / cam->width, sy = (double)c.height / cam->height;
  c.fx = cam->fx * sx, c.fy = cam->fy * sy;
  c.cx = (cam->cx + 0.5) * sx - 0.5;
  c.cy = (cam->cy + 0.5) * sy - 0.5;
  return c;
}

// OpenCV's parsers wrap an integer that does not fit an int (image_width: 99999999999
// reads as 1215752191): find the key's number in the file text and compare.
static int check_int_key(const char *path, const char *key, int got) {
  FILE *f = fopen(path, "rb");
  if (!f) return CR_OK;
  char buf[65536];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  for (const char *p = strstr(buf, key); p; p = strstr(p + 1, key)) {
    const char *q = p + strlen(key);
    while (*q && strchr("\"': \t>", *q)) q++;
    char *end;
    double v = strtod(q, &end);
    if (end != q && v != (double)got)
      return cr_error(CR_EFORMAT, "%s: %s = %.*s is out of range (1..%d)", path, key,
                      (int)(end - q), q, CR_CAMERA_MAX_SIZE);
  }
  return CR_OK;
}

int cr_camera_read(const char *path, cr_camera *cam) {
  cr_atomic_note_input(path); // a command may not write over what it reads
  memset(cam, 0, sizeof *cam);
  double K[9], dist[14];
  int ndist = 0;
  char err[512];
  if (!cr_file_exists(path)) return cr_error(CR_EIO, "%s: camera file not found", path);
  if (cr_fs_check_text(path)) return cr_last_status();
  if (cvw_camera_read(path, K, dist, &ndist, &cam->width, &cam->height, err, sizeof err))
    return cr_error(CR_EFORMAT, "%s: %s", path, err);
  if (check_int_key(path, "image_width", cam->width) ||
      check_int_key(path, "image_height", cam->height))
    return cr_last_status();
  int rc = cr_camera_from_opencv(cam, K, dist, ndist, cam->width, cam->height, "camera_matrix");
  if (rc) cr_error_prefix(path);
  return rc;
}

int cr_camera_from_opencv(cr_camera *cam, const double K[9], const double *dist, int ndist,
                          int width, int height, const char *what) {
  memset(cam, 0, sizeof *cam);
  cam->width = width, cam->height = height;
  if (K[1] != 0 || K[3] != 0 || K[6] != 0 || K[7] != 0 || K[8] != 1)
    return cr_error(CR_EFORMAT, "%s is not of the form [fx 0 cx; 0 fy cy; 0 0 1]", what);
  cam->fx = K[0], cam->cx = K[2], cam->fy = K[4], cam->cy = K[5];
  if (ndist != 0 && ndist != 4 && ndist != 5 && ndist != 8 && ndist != 12 && ndist != 14)
    return cr_error(CR_EFORMAT, "the distortion of %s has %d values (expected 4, 5, 8, 12 or 14)",
                    what, ndist);
  for (int i = 5; i < ndist; i++)
    if (dist[i] != 0)
      return cr_error(CR_EUNSUPPORTED,
                      "distortion coefficient %d of %s is non-zero; only k1,k2,p1,p2,k3 are "
                      "supported",
                      i + 1, what);
  for (int i = 0; i < 5 && i < ndist; i++) cam->dist[i] = dist[i];
  return cr_camera_validate(cam);
}

int cr_camera_write(const char *path, const cr_camera *cam) {
  int rc = cr_camera_validate(cam);
  if (rc) return rc;
  double K[9] = {cam->fx, 0, cam->cx, 0, cam->fy, cam->cy, 0, 0, 1};
  cvw_fs_entry e[] = {
      {"image_width", CVW_FS_INT, 0, 0, NULL, cam->width, 0, NULL},
      {"image_height", CVW_FS_INT, 0, 0, NULL, cam->height, 0, NULL},
      {"camera_matrix", CVW_FS_MATRIX, 3, 3, K, 0, 0, NULL},
      {"distortion_coefficients", CVW_FS_MATRIX, 5, 1, cam->dist, 0, 0, NULL},
  };
  return cr_fs_write(path, e, 4);
}
