// The focus distance of a camera pose (see focus.h).
#include "registration/focus.h"

#include "core/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CR_FOCUS_GRID 15 // rays per side of the central window

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

// Renders the world points seen by `cam` (a few pixels) and returns the camera-centre
// distances of the hits in d[], their count in *n.
static int hit_distances(cr_renderer *r, const cr_camera *cam, const cr_pose *pose, double *d,
                         int *n) {
  float xyz[3 * CR_FOCUS_GRID * CR_FOCUS_GRID], image[CR_FOCUS_GRID * CR_FOCUS_GRID];
  unsigned char hit[CR_FOCUS_GRID * CR_FOCUS_GRID];
  const size_t np = (size_t)cam->width * cam->height;
  cr_image xi = {cam->width, cam->height, 3, (size_t)cam->width * 3, xyz, 0};
  cr_image ii = {cam->width, cam->height, 1, (size_t)cam->width, image, 0};
  cr_render_out out;
  memset(&out, 0, sizeof out);
  out.image = &ii, out.xyz = &xi, out.hit = hit;
  int rc = cr_render(r, cam, pose, &out);
  if (rc) return rc;
  double centre[3];
  cr_pose_camera_centre(pose, centre);
  *n = 0;
  for (size_t i = 0; i < np; i++) {
    if (!hit[i]) continue;
    const float *p = xyz + 3 * i;
    d[(*n)++] =
        sqrt(pow(p[0] - centre[0], 2) + pow(p[1] - centre[1], 2) + pow(p[2] - centre[2], 2));
  }
  return 0;
}

int cr_reg_focus_distance(cr_renderer *surface, const cr_camera *camera, const cr_pose *pose,
                          double *distance_mm) {
  if (!(cr_renderer_options(surface)->mode->outputs & CR_RENDER_OUT_XYZ))
    return cr_error(CR_EINVAL, "focus distance: the %s mode finds no surface points",
                    cr_renderer_options(surface)->mode->name);
  // A camera of one pixel whose centre is the principal point: the same lens, so the
  // same normalized ray, as pixel (cx, cy) of `camera`.
  cr_camera one = *camera;
  one.width = one.height = 1, one.cx = one.cy = 0;
  double d[CR_FOCUS_GRID * CR_FOCUS_GRID];
  int n = 0, rc = hit_distances(surface, &one, pose, d, &n);
  if (rc) return rc;
  if (n == 1) return *distance_mm = d[0], 0;
  // The principal ray misses: a grid over the central 10% of the image width, again
  // the same lens with the focal lengths scaled (normalized coordinates are kept).
  cr_camera win = *camera;
  const double k = CR_FOCUS_GRID / (0.1 * camera->width);
  win.width = win.height = CR_FOCUS_GRID;
  win.fx *= k, win.fy *= k;
  win.cx = win.cy = (CR_FOCUS_GRID - 1) / 2.0;
  if ((rc = hit_distances(surface, &win, pose, d, &n))) return rc;
  if (n == 0)
    return cr_error(
        CR_EEMPTY,
        "focus distance: no surface on the principal ray or in the central 10%% of the view");
  qsort(d, (size_t)n, sizeof d[0], cmp_double);
  *distance_mm = n % 2 ? d[n / 2] : 0.5 * (d[n / 2 - 1] + d[n / 2]);
  return 0;
}
