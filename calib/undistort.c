// Undistortion by inverse mapping and bilinear sampling (see undistort.h).
#include "calib/undistort.h"

#include "calib/cv_calib.h"
#include "core/error.h"

#include <math.h>
#include <string.h>

int cr_calib_undistorted_camera(const cr_camera *cam, double alpha, cr_camera *out) {
  int rc = cr_camera_validate(cam);
  if (rc) return rc;
  *out = *cam;
  memset(out->dist, 0, sizeof out->dist);
  if (alpha < 0) return 0;
  if (alpha > 1) return cr_error(CR_EINVAL, "alpha must be in [0, 1], got %g", alpha);
  double K[9] = {cam->fx, 0, cam->cx, 0, cam->fy, cam->cy, 0, 0, 1}, N[9];
  char err[512];
  if (cvw_optimal_new_camera(K, cam->dist, cam->width, cam->height, alpha, N, err, sizeof err))
    return cr_error(CR_ENUMERIC, "new camera matrix: %s", err);
  out->fx = N[0], out->cx = N[2], out->fy = N[4], out->cy = N[5];
  return cr_camera_validate(out);
}

// Bilinear sample with zero outside the image, all channels.
static void sample(const cr_image *s, double u, double v, float *out) {
  int x0 = (int)floor(u), y0 = (int)floor(v);
  double fx = u - x0, fy = v - y0;
  for (int c = 0; c < s->channels; c++) out[c] = 0;
  if (x0 < -1 || y0 < -1 || x0 >= s->width || y0 >= s->height) return;
  for (int dy = 0; dy < 2; dy++)
    for (int dx = 0; dx < 2; dx++) {
      int x = x0 + dx, y = y0 + dy;
      if (x < 0 || y < 0 || x >= s->width || y >= s->height) continue;
      double w = (dx ? fx : 1 - fx) * (dy ? fy : 1 - fy);
      const float *p = cr_image_px(s, x, y);
      for (int c = 0; c < s->channels; c++) out[c] += (float)(w * p[c]);
    }
}

int cr_calib_undistort(const cr_image *src, const cr_camera *cam, const cr_camera *out_cam,
                       cr_image **dst) {
  *dst = NULL;
  int rc = cr_camera_validate(cam);
  if (!rc) rc = cr_camera_validate(out_cam);
  if (rc) return rc;
  if (cr_camera_has_distortion(out_cam))
    return cr_error(CR_EINVAL, "undistort: the output camera must have no distortion");
  if (src->width != cam->width || src->height != cam->height)
    return cr_error(CR_EINVAL, "photo is %dx%d but the camera file is for %dx%d", src->width,
                    src->height, cam->width, cam->height);
  cr_image *out = cr_image_new(out_cam->width, out_cam->height, src->channels);
  if (!out) return CR_ENOMEM;
  for (int y = 0; y < out->height; y++)
    for (int x = 0; x < out->width; x++) {
      double xn[2] = {(x - out_cam->cx) / out_cam->fx, (y - out_cam->cy) / out_cam->fy}, xd[2];
      cr_camera_distort_normalized(cam, xn, xd);
      sample(src, cam->fx * xd[0] + cam->cx, cam->fy * xd[1] + cam->cy, cr_image_px(out, x, y));
    }
  *dst = out;
  return 0;
}
