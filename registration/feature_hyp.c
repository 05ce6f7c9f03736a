// Pose hypothesis from feature correspondences (see feature_hyp.h).
#include "registration/feature_hyp.h"

#include "calib/features.h"
#include "calib/landmarks.h"
#include "core/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// The largest canvas side (px): a margin that would need more is cut to it.
#define CANVAS_MAX 2048
// RANSAC's inlier threshold (px at full resolution): keypoints of a photo and a render
// sit on the same sulcus or gyrus only to a few pixels (at the true pose, 4-7 inliers
// of 22-42 matches within 3 px on capture.cfg's photos, 5-10 within 6 px).
#define RANSAC_PX 5.0

int cr_reg_feature_hypothesis(cr_reg_cost *cost, const cr_pose *at, const double pivot_world[3],
                              double margin_mm, int min_inliers, cr_reg_feature_result *out) {
  memset(out, 0, sizeof *out);
  if (!(margin_mm >= 0) || min_inliers < 4)
    return cr_error(CR_EINVAL, "feature hypothesis: margin >= 0 mm and at least 4 inliers");
  const cr_camera *cam = cr_reg_cost_camera(cost, 0, 0);
  const cr_image *photo = cr_reg_cost_photo(cost, 0, 0), *mask = cr_reg_cost_mask(cost, 0, 0);
  double pc[3];
  cr_pose_apply(at, pivot_world, pc);
  if (!(pc[2] > 0))
    return cr_error(CR_EINVAL, "feature hypothesis: the pivot is behind the camera");
  int mx = (int)ceil(cam->fx * margin_mm / pc[2]), my = (int)ceil(cam->fy * margin_mm / pc[2]);
  if (cam->width + 2 * mx > CANVAS_MAX) mx = (CANVAS_MAX - cam->width) / 2;
  if (cam->height + 2 * my > CANVAS_MAX) my = (CANVAS_MAX - cam->height) / 2;
  cr_camera wc = *cam;
  wc.width += 2 * mx, wc.height += 2 * my, wc.cx += mx, wc.cy += my;
  for (int d = 0; d < 5; d++) wc.dist[d] = 0;
  cr_image *render = cr_image_new(wc.width, wc.height, 1),
           *xyz = cr_image_new(wc.width, wc.height, 3);
  double *pa = NULL, *pb = NULL, *X = NULL, *uv = NULL;
  int n = 0, rc = render && xyz ? 0 : cr_error(CR_ENOMEM, "feature hypothesis: out of memory");
  if (!rc) rc = cr_reg_cost_render_camera_xyz(cost, 0, &wc, at, render, xyz);
  cr_calib_feature_options fo = cr_calib_feature_defaults();
  if (!rc) rc = cr_calib_feature_matches(photo, mask, render, NULL, &fo, &pa, &pb, &n);
  if (!rc && n > 0) {
    X = malloc(3 * (size_t)n * sizeof *X), uv = malloc(2 * (size_t)n * sizeof *uv);
    if (!X || !uv) rc = cr_error(CR_ENOMEM, "feature hypothesis: out of memory");
  }
  int m = 0; // matches whose render pixel shows the surface
  for (int i = 0; i < n && !rc; i++) {
    const int u = (int)lround(pb[2 * i]), v = (int)lround(pb[2 * i + 1]);
    if (u < 0 || v < 0 || u >= wc.width || v >= wc.height) continue;
    const float *p = cr_image_px(xyz, u, v);
    if (!isfinite(p[0]) || !isfinite(p[1]) || !isfinite(p[2])) continue;
    for (int a = 0; a < 3; a++) X[3 * m + a] = p[a];
    uv[2 * m] = pa[2 * i], uv[2 * m + 1] = pa[2 * i + 1];
    m++;
  }
  out->matches = m;
  if (!rc && m >= min_inliers) {
    unsigned char *in = malloc((size_t)m);
    double rms = NAN;
    cr_pose pose;
    if (!in)
      rc = cr_error(CR_ENOMEM, "feature hypothesis: out of memory");
    else if (cr_calib_pnp(X, uv, m, cam, RANSAC_PX, &pose, NULL, in, &rms) == 0) {
      int k = 0;
      for (int i = 0; i < m; i++) k += in[i];
      out->inliers = k, out->rms_px = rms, out->pose = pose;
      out->found = k >= min_inliers;
    } else
      cr_error_clear(); // no consistent pose: no hypothesis, not an error
    free(in);
  }
  free(pa), free(pb), free(X), free(uv);
  cr_image_free(render), cr_image_free(xyz);
  return rc;
}
